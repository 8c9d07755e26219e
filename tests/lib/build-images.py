#!/usr/bin/python3
"""Builds den's fixture images as OCI image layouts, without any network.

    build-images.py OUTDIR                         all small fixture images
    build-images.py --debian ROOTFS.tar OUTDIR     test/debian:bookworm from a rootfs tar

Every tar entry is written here explicitly (names, modes, owners, link targets, one fixed
mtime) so the images are reproducible and so that hostile entries can be expressed exactly.
Each image goes to OUTDIR/<name>/ (oci-layout, index.json, blobs/sha256/...), and
OUTDIR/images.json (or debian.json) describes them: digests, image IDs, and where
tests/lib/registries must push each one.
"""

import gzip
import hashlib
import io
import json
import os
import platform
import subprocess
import sys
import tarfile

MTIME = 1704067200  # 2024-01-01T00:00:00Z
CREATED = "2024-01-01T00:00:00Z"
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_TAR = "application/vnd.oci.image.layer.v1.tar"
MT_GZIP = MT_TAR + "+gzip"
MT_ZSTD = MT_TAR + "+zstd"

BUSYBOX = "/bin/busybox"


def host_arch():
    m = platform.machine()
    return {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386",
            "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64"}.get(m, m)


def jdump(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Layer:
    """An ordered list of tar entries, written exactly as given."""

    def __init__(self):
        self.entries = []

    def _info(self, name, kind, mode, uid, gid):
        ti = tarfile.TarInfo(name)
        ti.type = kind
        ti.mode = mode
        ti.uid = uid
        ti.gid = gid
        ti.uname = ""
        ti.gname = ""
        ti.mtime = MTIME
        return ti

    def dir(self, name, mode=0o755, uid=0, gid=0):
        self.entries.append((self._info(name, tarfile.DIRTYPE, mode, uid, gid), None))

    def file(self, name, data, mode=0o644, uid=0, gid=0):
        if isinstance(data, str):
            data = data.encode()
        ti = self._info(name, tarfile.REGTYPE, mode, uid, gid)
        ti.size = len(data)
        self.entries.append((ti, data))

    def symlink(self, name, target, uid=0, gid=0):
        ti = self._info(name, tarfile.SYMTYPE, 0o777, uid, gid)
        ti.linkname = target
        self.entries.append((ti, None))

    def hardlink(self, name, target):
        ti = self._info(name, tarfile.LNKTYPE, 0o644, 0, 0)
        ti.linkname = target
        self.entries.append((ti, None))

    def tar(self):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
            for ti, data in self.entries:
                tf.addfile(ti, io.BytesIO(data) if data is not None else None)
        return buf.getvalue()


class Layout:
    """One OCI image layout directory."""

    def __init__(self, path):
        self.path = path
        os.makedirs(os.path.join(path, "blobs", "sha256"), exist_ok=True)
        with open(os.path.join(path, "oci-layout"), "wb") as f:
            f.write(jdump({"imageLayoutVersion": "1.0.0"}))

    def blob(self, data, media_type):
        digest = sha256(data)
        p = os.path.join(self.path, "blobs", "sha256", digest[7:])
        if not os.path.exists(p):
            with open(p + ".tmp", "wb") as f:
                f.write(data)
            os.rename(p + ".tmp", p)
        return {"mediaType": media_type, "digest": digest, "size": len(data)}

    def blob_file(self, tmp_path, digest, size, media_type):
        os.rename(tmp_path, os.path.join(self.path, "blobs", "sha256", digest[7:]))
        return {"mediaType": media_type, "digest": digest, "size": size}

    def set_ref(self, desc, ref="latest"):
        d = dict(desc)
        d["annotations"] = {"org.opencontainers.image.ref.name": ref}
        with open(os.path.join(self.path, "index.json"), "wb") as f:
            f.write(jdump({"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": [d]}))


def compress(tar, how):
    if how == "gzip":
        buf = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=6, mtime=0) as gz:
            gz.write(tar)
        return buf.getvalue(), MT_GZIP
    if how == "zstd":
        out = subprocess.run(["zstd", "-q", "-c", "-3", "--no-progress"], input=tar,
                             stdout=subprocess.PIPE, check=True).stdout
        return out, MT_ZSTD
    return tar, MT_TAR


def make_image(layout, layers, cfg=None, arch=None, variant=None, compression="gzip",
               diff_id_override=None, labels=None, history_notes=None):
    """Writes layers, config and manifest into layout; returns (manifest desc, info)."""
    descs, diff_ids = [], []
    for i, layer in enumerate(layers):
        tar = layer.tar()
        diff_ids.append(sha256(tar))
        data, mt = compress(tar, compression)
        descs.append(layout.blob(data, mt))
    if diff_id_override is not None:
        diff_ids = diff_id_override(diff_ids)
    config = {
        "created": CREATED,
        "architecture": arch or host_arch(),
        "os": "linux",
        "config": cfg if cfg is not None else {"Env": [PATH_ENV], "Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": CREATED,
                     "created_by": (history_notes[i] if history_notes else
                                    "den test fixture layer %d" % (i + 1))}
                    for i in range(len(layers))],
    }
    if variant:
        config["variant"] = variant
    if labels:
        config["config"] = dict(config["config"], Labels=labels)
    cdesc = layout.blob(jdump(config), MT_CONFIG)
    manifest = {"schemaVersion": 2, "mediaType": MT_MANIFEST, "config": cdesc, "layers": descs}
    mdesc = layout.blob(jdump(manifest), MT_MANIFEST)
    info = {"digest": mdesc["digest"], "id": cdesc["digest"][7:],
            "layers": [d["digest"] for d in descs], "diff_ids": diff_ids}
    return mdesc, info


def busybox_layer(extra=None):
    """/bin/busybox with a symlink per applet, plus the files every image here shares."""
    with open(BUSYBOX, "rb") as f:
        bb = f.read()
    applets = subprocess.run([BUSYBOX, "--list"], stdout=subprocess.PIPE, check=True,
                             text=True).stdout.split()
    lay = Layer()
    lay.dir("bin")
    lay.file("bin/busybox", bb, mode=0o755)
    for a in sorted(set(applets)):
        if a != "busybox" and "/" not in a:
            lay.symlink("bin/" + a, "/bin/busybox")
    lay.dir("dev")
    lay.dir("etc")
    lay.file("etc/group", "root:x:0:\nnobody:x:65534:\nuser:x:1000:\n")
    lay.file("etc/passwd",
             "root:x:0:0:root:/root:/bin/sh\n"
             "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
             "user:x:1000:1000:user:/home/user:/bin/sh\n")
    lay.dir("home")
    lay.dir("home/user", uid=1000, gid=1000)
    lay.dir("proc")
    lay.dir("root", mode=0o700)
    lay.dir("sys")
    lay.dir("tmp", mode=0o1777)
    lay.dir("usr")
    lay.dir("usr/bin")
    lay.symlink("usr/bin/env", "/bin/busybox")
    lay.dir("var")
    if extra:
        extra(lay)
    return lay


def simple(entries):
    lay = Layer()
    for e in entries:
        getattr(lay, e[0])(*e[1:])
    return lay


def build_small(out):
    images = []

    def add(name, mdesc, info, pushes, **more):
        layout_ref = "latest"
        entry = {"name": name, "layout": name, "ref": layout_ref, "pushes": pushes}
        entry.update(info)
        entry.update(more)
        images.append(entry)

    def push(repo, tag="latest", fmt=None):
        return {"repo": repo, "tag": tag, "format": fmt}

    # test/busybox: three layers exercising owners, modes, links, whiteouts, opaque dirs.
    lay = Layout(os.path.join(out, "busybox"))
    l1 = busybox_layer()
    l2 = Layer()
    l2.dir("data")
    l2.file("data/file", "hardlinked content\n")
    l2.hardlink("data/hardlink", "data/file")
    l2.symlink("data/link-to-passwd", "/etc/passwd")
    l2.dir("data/opaque")
    l2.file("data/opaque/a", "a\n")
    l2.file("data/opaque/b", "b\n")
    l2.file("data/setuid", "#!/bin/sh\necho setuid\n", mode=0o4755)
    l2.dir("etc")
    l2.file("etc/deleted-later", "removed by the next layer\n")
    l2.dir("home")
    l2.dir("home/user", uid=1000, gid=1000)
    l2.file("home/user/owned", "owned by user 1000\n", mode=0o640, uid=1000, gid=1000)
    l3 = Layer()
    l3.dir("data")
    l3.dir("data/opaque")
    l3.file("data/opaque/.wh..wh..opq", b"")
    l3.file("data/opaque/c", "c\n")
    l3.dir("etc")
    l3.file("etc/.wh.deleted-later", b"")
    cfg = {"Env": [PATH_ENV], "Cmd": ["/bin/sh"], "WorkingDir": "/",
           "Labels": {"org.den.test": "busybox"}, "ExposedPorts": {"80/tcp": {}}}
    mdesc, info = make_image(lay, [l1, l2, l3], cfg=cfg, history_notes=[
        "busybox, applet links, passwd, group",
        "files with owners, modes, links; a file deleted later; an opaque dir",
        "a whiteout and an opaque directory marker"])
    lay.set_ref(mdesc)
    add("busybox", mdesc, info, [push("test/busybox"), push("public/busybox")])
    # The same image converted to Docker schema 2 by skopeo; its digests are taken from the
    # registry after the push.
    images.append({"name": "busybox-docker", "layout": "busybox", "ref": "latest",
                   "pushes": [push("test/busybox-docker", fmt="v2s2")], "converted": True})

    # test/zstd and test/plain: one layer each, runnable.
    for name, how in (("zstd", "zstd"), ("plain", "none")):
        lay = Layout(os.path.join(out, name))
        layer = busybox_layer(lambda l, n=name: l.file(n + "-marker", n + "\n"))
        mdesc, info = make_image(lay, [layer], compression=how,
                                 labels={"org.den.test": name})
        lay.set_ref(mdesc)
        add(name, mdesc, info, [push("test/" + name)])

    # test/multiarch: an index with linux/amd64 and linux/arm64/v8.
    lay = Layout(os.path.join(out, "multiarch"))
    plats = {}
    descs = []
    for arch, variant in (("amd64", None), ("arm64", "v8")):
        if arch == "amd64":
            layer = busybox_layer(lambda l: l.file("arch", "amd64\n"))
        else:
            layer = simple([("file", "arch", "arm64\n")])
        mdesc, info = make_image(lay, [layer], arch=arch, variant=variant,
                                 labels={"org.den.test": "multiarch", "org.den.test.arch": arch})
        d = dict(mdesc)
        d["platform"] = {"architecture": arch, "os": "linux"}
        if variant:
            d["platform"]["variant"] = variant
        descs.append(d)
        plats[arch] = info
    index = {"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": descs}
    idesc = lay.blob(jdump(index), MT_INDEX)
    lay.set_ref(idesc)
    images.append({"name": "multiarch", "layout": "multiarch", "ref": "latest",
                   "pushes": [push("test/multiarch")], "index": True,
                   "digest": idesc["digest"], "platforms": plats})

    # Hostile layers. Manifests and configs are valid; only the tar entries are not.
    evil = {
        "evil-dotdot": [[("dir", "ok"), ("file", "ok/file", "fine\n"),
                         ("file", "../../escape", "escaped through ..\n")]],
        "evil-abs": [[("dir", "ok"), ("file", "/abs-escape", "escaped by an absolute name\n")]],
        "evil-symlink": [[("symlink", "link", "/tmp/den-evil-target")],
                         [("file", "link/pwned", "written through a symlink\n")]],
        "evil-symlink-same": [[("symlink", "link", "/tmp/den-evil-target"),
                               ("file", "link/pwned", "written through a symlink\n")]],
        "evil-symlink-rel": [[("symlink", "link", "../../../../../../../../tmp/den-evil-target")],
                             [("file", "link/pwned", "written through a relative symlink\n")]],
        "evil-hardlink": [[("hardlink", "h", "../../../etc/passwd")]],
    }
    for name, layers in evil.items():
        lay = Layout(os.path.join(out, name))
        mdesc, info = make_image(lay, [simple(e) for e in layers],
                                 labels={"org.den.test": name})
        lay.set_ref(mdesc)
        add(name, mdesc, info, [push("test/" + name)])

    # test/tampered: pushed intact; tests/lib/registries then corrupts the stored layer.
    lay = Layout(os.path.join(out, "tampered"))
    layer = simple([("file", "tampered", "this layer's bytes are corrupted in the registry\n" * 64)])
    mdesc, info = make_image(lay, [layer], labels={"org.den.test": "tampered"})
    lay.set_ref(mdesc)
    add("tampered", mdesc, info, [push("test/tampered")], tamper_blob=info["layers"][0])

    # test/bad-diffid: the config names a diff_id that is not the layer's content.
    lay = Layout(os.path.join(out, "bad-diffid"))
    layer = simple([("file", "bad-diffid", "content whose digest the config gets wrong\n")])
    mdesc, info = make_image(lay, [layer], labels={"org.den.test": "bad-diffid"},
                             diff_id_override=lambda ids: [sha256(b"not the layer")])
    lay.set_ref(mdesc)
    add("bad-diffid", mdesc, info, [push("test/bad-diffid")])

    with open(os.path.join(out, "images.json"), "w") as f:
        json.dump(images, f, indent=1, sort_keys=True)


def build_debian(rootfs_tar, out):
    """test/debian:bookworm: the debootstrap tar as one gzip layer, streamed."""
    lay = Layout(os.path.join(out, "debian"))
    tmp = os.path.join(lay.path, "blobs", "layer.tmp")
    uh, ch = hashlib.sha256(), hashlib.sha256()

    class Hashing(io.RawIOBase):
        def __init__(self, f):
            self.f = f
            self.n = 0

        def writable(self):
            return True

        def write(self, b):
            ch.update(b)
            self.n += len(b)
            return self.f.write(b)

    with open(rootfs_tar, "rb") as src, open(tmp, "wb") as dst:
        hw = Hashing(dst)
        with gzip.GzipFile(filename="", mode="wb", fileobj=hw, compresslevel=6, mtime=0) as gz:
            while True:
                chunk = src.read(1 << 20)
                if not chunk:
                    break
                uh.update(chunk)
                gz.write(chunk)
    ldesc = lay.blob_file(tmp, "sha256:" + ch.hexdigest(), hw.n, MT_GZIP)
    config = {
        "created": CREATED, "architecture": host_arch(), "os": "linux",
        "config": {"Env": [PATH_ENV], "Cmd": ["bash"], "Labels": {"org.den.test": "debian"}},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + uh.hexdigest()]},
        "history": [{"created": CREATED,
                     "created_by": "debootstrap --variant=minbase bookworm"}],
    }
    cdesc = lay.blob(jdump(config), MT_CONFIG)
    manifest = {"schemaVersion": 2, "mediaType": MT_MANIFEST, "config": cdesc,
                "layers": [ldesc]}
    mdesc = lay.blob(jdump(manifest), MT_MANIFEST)
    lay.set_ref(mdesc, "bookworm")
    images = [{"name": "debian", "layout": "debian", "ref": "bookworm",
               "pushes": [{"repo": "test/debian", "tag": "bookworm", "format": None}],
               "digest": mdesc["digest"], "id": cdesc["digest"][7:],
               "layers": [ldesc["digest"]], "diff_ids": config["rootfs"]["diff_ids"]}]
    with open(os.path.join(out, "debian.json"), "w") as f:
        json.dump(images, f, indent=1, sort_keys=True)


def main(argv):
    if len(argv) == 3 and argv[0] == "--debian":
        build_debian(argv[1], argv[2])
    elif len(argv) == 1:
        build_small(argv[0])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
