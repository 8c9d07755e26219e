#!/usr/bin/env bats
# den's OCI runtime, through the hidden `den oci-run BUNDLE` command: a bundle made of the
# static busybox binary and a config.json derived from `runc spec --rootless`, run with den's
# own runtime and with runc, observed from inside the container.

load helpers

BUSYBOX=/bin/busybox

setup() {
        [ -x "$BUSYBOX" ] || skip_strict "no static busybox at $BUSYBOX"
        command -v jq >/dev/null || skip_strict "jq is not installed"
        B=$BATS_TEST_TMPDIR/bundle
        mkdir -p "$B/rootfs/bin" "$B/rootfs/etc" "$B/rootfs/proc" "$B/rootfs/dev" \
                "$B/rootfs/sys" "$B/rootfs/tmp"
        cp "$BUSYBOX" "$B/rootfs/bin/busybox"
        for c in sh id cat ls hostname tty echo grep touch mkdir wc head env pwd mount; do
                ln -s busybox "$B/rootfs/bin/$c"
        done
        echo 'root:x:0:0:root:/root:/bin/sh' >"$B/rootfs/etc/passwd"
        printf 'text\n' >"$B/rootfs/etc/notexec"
        # runc's rootless template, sharing den's user namespace (podman's rootless layout)
        # and with a network namespace of its own
        command -v runc >/dev/null || skip_strict "runc is not installed (its spec template)"
        (cd "$BATS_TEST_TMPDIR" && runc spec --rootless)
        jq '.process.terminal = false
            | del(.linux.uidMappings, .linux.gidMappings)
            | .linux.namespaces = [{"type":"pid"},{"type":"ipc"},{"type":"uts"},
                                   {"type":"mount"},{"type":"network"}]' \
                "$BATS_TEST_TMPDIR/config.json" >"$B/base.json"
}

# spec JQ-FILTER: writes the bundle's config.json from the base with the filter applied
spec() {
        jq "$1" "$B/base.json" >"$B/config.json"
}

# cmd ARGS...: the container runs these arguments
cmd() {
        local args
        args=$(printf '%s\n' "$@" | jq -R . | jq -s .)
        spec ".process.args = $args"
}

@test "oci-run: identity, hostname and capabilities seen from inside" {
        cmd sh -c 'id; hostname; cat /proc/self/uid_map; grep -E "^(CapEff|CapBnd|NoNewPrivs)" /proc/self/status'
        run_den oci-run "$B"
        assert_success
        assert_line --index 0 "uid=0(root) gid=0"
        assert_line --index 1 "runc"
        assert_line --regexp "^ +0 +$(id -u) +1$"
        # runc's template keeps CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE
        assert_line --regexp "^CapEff:	0000000020000420$"
        assert_line --regexp "^CapBnd:	0000000020000420$"
        assert_line --regexp "^NoNewPrivs:	1$"
}

@test "oci-run: same view as runc" {
        command -v runc >/dev/null || skip_strict "runc is not installed"
        cmd sh -c 'id; hostname; cat /proc/self/uid_map; grep -E "^(Cap|NoNewPrivs|Seccomp:)" /proc/self/status; ls /dev; ulimit -n; pwd'
        run_den oci-run "$B"
        assert_success
        local own=$output
        run_den oci-run --runtime runc "$B"
        assert_success
        assert_equal "$output" "$own"
}

@test "oci-run: read-only root, masked and read-only paths" {
        cmd sh -c 'touch /x; echo "keys:$(cat /proc/keys | wc -c)"; ls /sys/firmware | wc -l; echo 1 > /proc/sys/kernel/domainname; grep " / " /proc/mounts'
        run_den oci-run "$B"
        assert_success
        assert_line --partial "/x: Read-only file system"
        assert_line "keys:0"
        assert_line --index 2 "0"
        assert_line --partial "/proc/sys/kernel/domainname: Read-only file system"
        assert_line --regexp "^[^ ]+ / [^ ]+ ro,"
}

@test "oci-run: seccomp profile from linux.seccomp is loaded" {
        cmd sh -c 'mkdir /tmp/d; grep "^Seccomp:" /proc/self/status'
        jq '.linux.seccomp = {"defaultAction":"SCMP_ACT_ALLOW",
                              "architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_AARCH64"],
                              "syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO",
                                           "errnoRet":1}]}' "$B/config.json" >"$B/c2"
        mv "$B/c2" "$B/config.json"
        run_den oci-run "$B"
        assert_success
        assert_line --partial "can't create directory '/tmp/d': Operation not permitted"
        assert_line --regexp "^Seccomp:	2$"
}

@test "oci-run: command not found exits 127 with runc's wording" {
        cmd nosuchcmd
        run_den -127 oci-run "$B"
        assert_failure 127
        assert_output --partial 'exec: "nosuchcmd": executable file not found in $PATH'
        run_den -127 oci-run --runtime runc "$B"
        assert_failure 127
        assert_output --partial 'exec: "nosuchcmd": executable file not found in $PATH'
}

@test "oci-run: missing path exits 127, not executable exits 126" {
        cmd /no/such
        run_den -127 oci-run "$B"
        assert_failure 127
        assert_output --partial 'exec: "/no/such": stat /no/such: No such file or directory'
        cmd /etc/notexec
        run_den oci-run "$B"
        assert_failure 126
        assert_output --partial 'exec: "/etc/notexec": Permission denied'
}

@test "oci-run: the container's exit status passes through" {
        cmd sh -c 'exit 7'
        run_den oci-run "$B"
        assert_failure 7
        run_den oci-run --runtime runc "$B"
        assert_failure 7
}

@test "oci-run: env, a missing cwd is created, rlimits" {
        cmd sh -c 'echo "FOO=$FOO"; pwd; ulimit -n'
        jq '.process.env += ["FOO=bar baz"] | .process.cwd = "/work/dir"
            | .process.rlimits = [{"type":"RLIMIT_NOFILE","soft":321,"hard":321}]' \
                "$B/config.json" >"$B/c2"
        mv "$B/c2" "$B/config.json"
        run_den oci-run "$B"
        assert_success
        assert_line --index 0 "FOO=bar baz"
        assert_line --index 1 "/work/dir"
        assert_line --index 2 "321"
}

@test "oci-run: no fd of den's leaks into the container" {
        cmd sh -c 'ls /proc/self/fd'
        run_den oci-run "$B" 7</dev/null
        assert_success
        # 0-2 and the fd ls opens for the directory
        assert_equal "$(echo "$output" | wc -l)" 4
}

@test "oci-run: a bind destination through an image symlink stays inside the rootfs" {
        # the image links /evil to the host's /etc: the mount must land in the rootfs's /etc
        ln -s /etc "$B/rootfs/evil"
        mkdir -p "$BATS_TEST_TMPDIR/src"
        echo "from-the-bind" >"$BATS_TEST_TMPDIR/src/file"
        cmd sh -c 'cat /etc/den-bind-test/file'
        jq --arg src "$BATS_TEST_TMPDIR/src" \
                '.mounts += [{"destination":"/evil/den-bind-test","type":"bind","source":$src,
                              "options":["rbind","ro"]}]' "$B/config.json" >"$B/c2"
        mv "$B/c2" "$B/config.json"
        run_den oci-run "$B"
        assert_success
        assert_output "from-the-bind"
        assert [ -d "$B/rootfs/etc/den-bind-test" ]
        assert [ ! -e /etc/den-bind-test ]
}

@test "oci-run: read-only bind mount" {
        mkdir -p "$BATS_TEST_TMPDIR/src"
        cmd sh -c 'touch /mnt/x; cat /mnt/y'
        echo "y" >"$BATS_TEST_TMPDIR/src/y"
        jq --arg src "$BATS_TEST_TMPDIR/src" \
                '.mounts += [{"destination":"/mnt","type":"bind","source":$src,
                              "options":["bind","ro","nosuid","nodev"]}]' "$B/config.json" >"$B/c2"
        mv "$B/c2" "$B/config.json"
        run_den oci-run "$B"
        assert_success
        assert_line --partial "/mnt/x: Read-only file system"
        assert_line "y"
}

@test "oci-run: a user namespace of the container's own with its mappings" {
        cmd sh -c 'cat /proc/self/uid_map; id'
        jq '.linux.namespaces += [{"type":"user"}]
            | .linux.uidMappings = [{"containerID":0,"hostID":0,"size":1},
                                    {"containerID":1,"hostID":1,"size":1000}]
            | .linux.gidMappings = .linux.uidMappings' "$B/config.json" >"$B/c2"
        mv "$B/c2" "$B/config.json"
        run_den oci-run "$B"
        assert_success
        assert_line --index 0 --regexp "^ +0 +0 +1$"
        assert_line --index 1 --regexp "^ +1 +1 +1000$"
        assert_line --index 2 "uid=0(root) gid=0"
}

@test "oci-run: resource limits on cgroup v1 warn once" {
        [ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ] || skip "cgroup v2 here"
        cmd sh -c true
        jq '.linux.resources = {"memory":{"limit":10000000},"pids":{"limit":10}}' \
                "$B/config.json" >"$B/c2"
        mv "$B/c2" "$B/config.json"
        run_den oci-run "$B"
        assert_success
        assert_output --partial "Resource limits are not supported and ignored on cgroups V1 rootless systems"
        assert_equal "$(echo "$output" | grep -c 'Resource limits')" 1
}

@test "oci-run: a terminal" {
        command -v script >/dev/null || skip_strict "script is not installed"
        cmd sh -c 'tty; [ -t 0 ] && echo stdin-is-a-tty'
        jq '.process.terminal = true' "$B/config.json" >"$B/c2"
        mv "$B/c2" "$B/config.json"
        run script -qec "$(printf '%q ' "$DEN" --root "$BATS_TEST_TMPDIR/root" \
                --runroot "$BATS_TEST_TMPDIR/run" oci-run "$B")" /dev/null </dev/null
        assert_success
        assert_output --partial "/dev/pts/0"
        assert_output --partial "stdin-is-a-tty"
}

@test "oci-run --runtime runc: a terminal through the console socket" {
        command -v runc >/dev/null || skip_strict "runc is not installed"
        command -v script >/dev/null || skip_strict "script is not installed"
        cmd sh -c 'tty'
        jq '.process.terminal = true' "$B/config.json" >"$B/c2"
        mv "$B/c2" "$B/config.json"
        run script -qec "$(printf '%q ' "$DEN" --root "$BATS_TEST_TMPDIR/root" \
                --runroot "$BATS_TEST_TMPDIR/run" oci-run --runtime runc "$B")" /dev/null </dev/null
        assert_success
        assert_output --partial "/dev/pts/0"
}

@test "oci-run --runtime: a runtime's own error is the error" {
        cmd true
        run_den oci-run --runtime /no/such/runtime "$B"
        assert_failure 125
        assert_output --partial "/no/such/runtime"
}

@test "oci-run: a bad config.json names the field" {
        spec '.mounts[0].destination = "proc"'
        run_den oci-run "$B"
        assert_failure 125
        assert_output --partial 'mounts[0].destination: "proc" is not an absolute path'
}
