#!/usr/bin/env python3
"""Runs a test script as an unprivileged user on a cgroup v2 system: a virtual machine booted
from Debian's kernel (qemu, software emulation), with den, its monitor, newuidmap/newgidmap
and busybox in an initramfs. This machine's cgroups are v1 hybrid with no systemd; the
limits den applies through a delegated cgroup v2 subtree are checked there.

The machine's root sets up the cgroup tree as systemd does for a user (user@UID.service with
Delegate=yes: the user owns that subtree, its parents enable cpu, memory and pids for it)
and runs SCRIPT twice as the user, with HOME, XDG_RUNTIME_DIR and PATH set:
  SCRIPT delegated    in app.slice/den-test.service, a cgroup the user owns (a unit's cgroup)
  SCRIPT root-owned   in system.slice/session-1.scope, a cgroup root owns (a login session)
Each run's output is printed between the lines "=== den-vm begin MODE" and
"=== den-vm end MODE STATUS". Exits 0 when the machine ran both, 2 when it could not.

usage: cgroup-vm.py --den DEN [--file SRC:DEST ...] SCRIPT
"""
import argparse
import glob
import gzip
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile

UID = 1000
SUBID = "100000:65536"
CONTROLLERS = "+cpu +memory +pids"

INIT = r"""#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmp /tmp
mount -t tmpfs -o mode=1777 shm /dev/shm
mount -t tmpfs -o mode=755 run /run
mount -t tmpfs -o mode=755 home /home
mount -t cgroup2 cgroup2 /sys/fs/cgroup
chmod 0666 /dev/fuse /dev/net/tun 2>/dev/null
ip link set lo up 2>/dev/null
mkdir -p /home/dentest /run/user/@UID@
chown @UID@:@UID@ /home/dentest /run/user/@UID@
chmod 0700 /home/dentest /run/user/@UID@
cd /sys/fs/cgroup
U=user.slice/user-@UID@.slice/user@@UID@.service
mkdir -p $U/app.slice/den-test.service system.slice/session-1.scope
for d in . user.slice user.slice/user-@UID@.slice $U $U/app.slice system.slice; do
        echo "@CONTROLLERS@" > $d/cgroup.subtree_control
done
# Delegate=yes: the user owns the unit's cgroup and the files that move processes and
# hand controllers down
for d in $U $U/app.slice $U/app.slice/den-test.service; do
        chown @UID@:@UID@ $d $d/cgroup.procs $d/cgroup.subtree_control $d/cgroup.threads
done
cd /
run_as_user() { # MODE CGROUP
        echo "=== den-vm begin $1"
        sh -c 'echo $$ > "$0/cgroup.procs" && exec /usr/local/bin/setpriv --reuid=@UID@ --regid=@UID@ --init-groups \
                env -i HOME=/home/dentest USER=dentest LOGNAME=dentest \
                XDG_RUNTIME_DIR=/run/user/@UID@ PATH=$PATH LANG=C.UTF-8 TERM=dumb \
                sh /test/script "$1" </dev/null 2>&1' "/sys/fs/cgroup/$2" "$1"
        echo "=== den-vm end $1 $?"
}
run_as_user delegated $U/app.slice/den-test.service
run_as_user root-owned system.slice/session-1.scope
poweroff -f
"""


class Cpio:
    """An initramfs in the kernel's "newc" cpio format: every owner and mode as given."""

    def __init__(self):
        self.entries = {}

    def add(self, path, mode, data=b"", uid=0, gid=0):
        path = path.lstrip("/")
        parts = path.split("/")
        for i in range(1, len(parts)):
            d = "/".join(parts[:i])
            self.entries.setdefault(d, (stat.S_IFDIR | 0o755, b"", 0, 0))
        self.entries[path] = (mode, data, uid, gid)

    def add_file(self, src, dest=None, mode=None, uid=0, gid=0):
        dest = dest or src
        st = os.stat(src)
        with open(src, "rb") as f:
            data = f.read()
        self.add(dest, stat.S_IFREG | (mode if mode is not None else st.st_mode & 0o7777), data,
                 uid, gid)

    def add_binary(self, path, dest=None, mode=None):
        """PATH and the shared libraries ldd names for it, at the same paths."""
        self.add_file(path, dest, mode)
        out = subprocess.run(["ldd", path], capture_output=True, text=True).stdout
        for lib in re.findall(r"(/\S+) \(0x", out):
            real = os.path.realpath(lib)
            if lib.lstrip("/") not in self.entries:
                self.add_file(real, lib, 0o755)

    def add_library(self, soname):
        """A library a program opens with dlopen (den's libarchive, libcrypto, libcurl), by its
        soname as ldconfig knows it, with the libraries it needs."""
        out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout
        m = re.search(r"^\s*" + re.escape(soname) + r" \(libc6,x86-64\) => (\S+)$", out, re.M)
        if m:
            self.add_binary(m.group(1), None, 0o755)

    def write(self, out):
        ino = 1
        for path in sorted(self.entries):
            mode, data, uid, gid = self.entries[path]
            self._entry(out, path, mode, data, uid, gid, ino)
            ino += 1
        self._entry(out, "TRAILER!!!", 0, b"", 0, 0, 0)

    @staticmethod
    def _entry(out, name, mode, data, uid, gid, ino):
        nb = name.encode() + b"\0"
        fields = [ino, mode, uid, gid, 1, 0, len(data), 0, 0, 0, 0, len(nb), 0]
        hdr = b"070701" + b"".join(b"%08X" % v for v in fields)
        out.write(hdr + nb)
        out.write(b"\0" * ((4 - (len(hdr) + len(nb)) % 4) % 4))
        out.write(data)
        out.write(b"\0" * ((4 - len(data) % 4) % 4))


def kernel():
    found = sorted(glob.glob("/boot/vmlinuz-*"))
    return found[-1] if found else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--den", required=True)
    ap.add_argument("--file", action="append", default=[], help="SRC:DEST, readable by the user")
    ap.add_argument("--memory", default="768")
    ap.add_argument("--timeout", type=int, default=600)
    ap.add_argument("script")
    a = ap.parse_args()

    vmlinuz, qemu = kernel(), shutil.which("qemu-system-x86_64")
    if not vmlinuz or not qemu:
        print("cgroup-vm: needs a kernel in /boot (linux-image-amd64) and qemu-system-x86_64",
              file=sys.stderr)
        return 2
    den = os.path.realpath(a.den)
    cp = Cpio()
    init = INIT.replace("@UID@", str(UID)).replace("@CONTROLLERS@", CONTROLLERS)
    cp.add("init", stat.S_IFREG | 0o755, init.encode())
    cp.add_file("/bin/busybox", "bin/busybox", 0o755)
    cp.add_binary(den, "usr/local/bin/den", 0o755)
    for soname in ("libarchive.so.13", "libcrypto.so.3", "libcurl.so.4"):
        cp.add_library(soname)
    cp.add_binary(os.path.join(os.path.dirname(den), "den-monitor"), "usr/local/bin/den-monitor",
                  0o755)
    for prog in ("newuidmap", "newgidmap"):
        cp.add_binary(shutil.which(prog), "usr/bin/" + prog, 0o4755)
    for prog in ("setpriv", "ip"):
        p = shutil.which(prog) or "/usr/sbin/" + prog
        if os.path.exists(p):
            cp.add_binary(p, "usr/local/bin/" + prog, 0o755)
    cp.add("etc/passwd", stat.S_IFREG | 0o644,
           f"root:x:0:0:root:/root:/bin/sh\ndentest:x:{UID}:{UID}::/home/dentest:/bin/sh\n".encode())
    cp.add("etc/group", stat.S_IFREG | 0o644, f"root:x:0:\ndentest:x:{UID}:\n".encode())
    for f in ("etc/subuid", "etc/subgid"):
        cp.add(f, stat.S_IFREG | 0o644, f"dentest:{SUBID}\n".encode())
    cp.add("etc/hosts", stat.S_IFREG | 0o644, b"127.0.0.1 localhost\n")
    cp.add("etc/resolv.conf", stat.S_IFREG | 0o644, b"nameserver 10.0.2.3\n")
    for d in ("proc", "sys", "dev", "tmp", "run", "home", "root"):
        cp.add(d, stat.S_IFDIR | 0o755)
    cp.add_file(a.script, "test/script", 0o755)
    for spec in a.file:
        src, dest = spec.split(":", 1)
        cp.add_file(src, dest, 0o644, UID, UID)

    with tempfile.TemporaryDirectory(prefix="den-vm.") as tmp:
        initrd = os.path.join(tmp, "initrd.gz")
        with gzip.open(initrd, "wb", compresslevel=1) as f:
            cp.write(f)
        cmd = [qemu, "-nographic", "-no-reboot", "-m", a.memory, "-smp", "1",
               "-kernel", vmlinuz, "-initrd", initrd, "-nic", "none",
               "-append", "console=ttyS0 panic=-1 quiet loglevel=1 rdinit=/init"]
        try:
            p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                               timeout=a.timeout)
        except subprocess.TimeoutExpired as e:
            sys.stdout.write((e.stdout or b"").decode(errors="replace"))
            print(f"cgroup-vm: the machine did not finish within {a.timeout} s", file=sys.stderr)
            return 2
    out = p.stdout.decode(errors="replace").replace("\r\n", "\n")
    # what the firmware and the machine's root print before the first part is left out
    start = out.find("=== den-vm begin ")
    sys.stdout.write(out[start:] if start >= 0 else out)
    if p.returncode != 0 or out.count("=== den-vm end ") != 2:
        sys.stderr.write(p.stderr.decode(errors="replace"))
        print(f"cgroup-vm: the machine did not run both parts (qemu exited {p.returncode})",
              file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
