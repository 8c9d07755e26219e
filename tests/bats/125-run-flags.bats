#!/usr/bin/env bats
# `run` and `create` flags observed from inside the container (or through inspect), as the
# unprivileged user.

load helpers

IMG=

setup() {
    busybox_setup
}

teardown() {
    containers_teardown
}

# The CapEff mask of the default set with bit $1 added and bit $2 removed.
cap_mask() {
    local def=$((0x800405fb))
    printf '%016x' $(((def | (1 << $1)) & ~(1 << $2)))
}

@test "run --init: an init is pid 1, forwards signals and reaps" {
    run_den run --rm --network none --init "$IMG" ps -o pid,args
    assert_success
    assert_line --regexp '^ +1 .*init'
    assert_line --regexp '^ +2 ps -o pid,args$'
    # SIGTERM to pid 1 reaches the command, whose exit code is the container's
    run_den run --rm --network none --init "$IMG" sh -c 'trap "exit 7" TERM; kill -TERM 1; sleep 5 & wait'
    assert_failure 7
}

@test "run --userns keep-id maps the user's own ids, keep-id:uid=,gid= others" {
    run_den run --rm --network none --userns keep-id "$IMG" id -u
    assert_output "$(id -u)"
    run_den run --rm --network none --userns keep-id "$IMG" id -g
    assert_output "$(id -g)"
    run_den run --rm --network none --userns keep-id:uid=200,gid=300 "$IMG" id
    assert_output --regexp '^uid=200 gid=300'
    run_den run --rm --network none --userns bogus "$IMG" true
    assert_failure 125
}

@test "run -v and --mount: bind mounts read-write and read-only, tmpfs" {
    local dir=$BATS_TEST_TMPDIR/vol
    mkdir -p "$dir"
    echo "from the host" >"$dir/in"
    run_den run --rm --network none -v "$dir:/data" "$IMG" sh -c 'cat /data/in; echo back > /data/out'
    assert_success
    assert_output "from the host"
    # written as the container's root, which is the user on the host
    [ "$(cat "$dir/out")" = back ]
    [ "$(stat -c %u "$dir/out")" = "$(id -u)" ]

    run_den run --rm --network none -v "$dir:/data:ro" "$IMG" sh -c 'cat /data/in; touch /data/x'
    assert_failure 1
    assert_output --partial "from the host"
    assert_output --partial "Read-only file system"
    [ ! -e "$dir/x" ]

    run_den run --rm --network none --mount "type=bind,source=$dir,destination=/m,readonly" "$IMG" cat /m/in
    assert_output "from the host"
    run_den run --rm --network none --mount type=tmpfs,destination=/scratch --tmpfs /t:size=1m "$IMG" \
        sh -c 'grep -E " /(scratch|t) " /proc/mounts | cut -d" " -f2,3 | sort'
    assert_output "/scratch tmpfs
/t tmpfs"
    run_den run --rm --network none -v "$BATS_TEST_TMPDIR/nosuch:/x" "$IMG" true
    assert_failure 125
}

@test "run --cap-add, --cap-drop, --security-opt no-new-privileges and mask" {
    # NET_ADMIN is bit 12, CHOWN bit 0
    run_den run --rm --network none --cap-add NET_ADMIN --cap-drop CHOWN "$IMG" grep CapEff /proc/self/status
    assert_output "CapEff:	$(cap_mask 12 0)"
    run_den run --rm --network none --cap-drop all "$IMG" grep CapEff /proc/self/status
    assert_output "CapEff:	0000000000000000"
    run_den run --rm --network none --security-opt no-new-privileges "$IMG" grep NoNewPrivs /proc/self/status
    assert_output "NoNewPrivs:	1"
    run_den run --rm --network none --security-opt mask=/etc/hostname "$IMG" sh -c 'wc -c < /etc/hostname'
    assert_output "0"
    run_den run --rm --network none --cap-add NOT_A_CAP "$IMG" true
    assert_failure 125
}

@test "run --ulimit, --entrypoint, --group-add, -h, --read-only-tmpfs=false" {
    run_den run --rm --network none --ulimit nofile=512:1024 "$IMG" sh -c 'ulimit -n; ulimit -Hn'
    assert_output "512
1024"
    run_den run --rm --network none --entrypoint /bin/echo "$IMG" hi there
    assert_output "hi there"
    run_den run --rm --network none --group-add 10 -u 1000:1000 "$IMG" id -G
    assert_output "1000 10"
    run_den run --rm --network none -h box7 "$IMG" hostname
    assert_output "box7"
    run_den run --rm --network none --read-only --read-only-tmpfs=false "$IMG" touch /tmp/x
    assert_failure 1
    assert_output --partial "Read-only file system"
}

@test "run --pid, --uts and --ipc host share the host's namespaces" {
    run_den run --rm --network none --pid host "$IMG" readlink /proc/self/ns/pid
    assert_success
    [ "$output" = "$(readlink /proc/self/ns/pid)" ]
    run_den run --rm --network none --uts host "$IMG" hostname
    assert_output "$(hostname)"
    run_den run --rm --network none --ipc host "$IMG" readlink /proc/self/ns/ipc
    assert_output "$(readlink /proc/self/ns/ipc)"
}

@test "run -l, --annotation, --stop-signal, --cidfile, --replace, --env-host, --pull never" {
    local cid=$BATS_TEST_TMPDIR/cid
    run_den run -d --name meta -l tier=web --annotation note=x --stop-signal SIGUSR1 \
        --cidfile "$cid" --network none "$IMG" sleep 100
    assert_success
    [ "$(cat "$cid")" = "$output" ]
    run_den inspect --format '{{index .Config.Labels "tier"}} {{index .Config.Annotations "note"}} {{.Config.StopSignal}}' meta
    assert_output "web x SIGUSR1"
    # --cidfile refuses an existing file, as podman does
    run_den run --rm --cidfile "$cid" --network none "$IMG" true
    assert_failure 125
    assert_output "Error: container id file exists. Ensure another container is not using it or delete $cid"
    # --replace removes the container of that name first
    run_den run -d --replace --name meta --network none "$IMG" sleep 100
    assert_success
    local new=$output
    run_den ps -a --format '{{.ID}} {{.Names}}' --no-trunc
    assert_output "$new meta"

    FOO_FROM_HOST=bar run_den run --rm --network none --env-host "$IMG" sh -c 'echo $FOO_FROM_HOST'
    assert_output "bar"
    run_den run --rm --network none --pull never nosuch.example/x:1 true
    assert_failure 125
    assert_output "Error: nosuch.example/x:1: image not known"
}

@test "run --log-driver none: nothing is logged, logs says so as podman does" {
    run_den run --name quiet --log-driver none --network none "$IMG" echo shown
    assert_success
    assert_output "shown"
    run_den logs quiet
    assert_failure 125
    assert_output "Error: this container is using the 'none' log driver, cannot read logs: this container is not logging output"
}

@test "run --memory, --cpus, --pids-limit: kept in inspect; ignored with one warning on cgroup v1" {
    [ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ] || skip "cgroup v2 here: the limits apply"
    run_den run --name lim --memory 64m --cpus 0.5 --pids-limit 20 --network none "$IMG" echo ran
    assert_success
    assert_line "ran"
    assert_line "Warning: Resource limits are not supported and ignored on cgroups V1 rootless systems"
    assert_equal "$(echo "$output" | grep -c 'Resource limits')" 1
    run_den inspect --format '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}}' lim
    assert_output "67108864 500000000 20"
    run_den run --rm --memory 1m --network none "$IMG" true
    assert_failure 125
    assert_output 'Error: invalid value "1m" for --memory: minimum memory limit allowed is 6MB'
    run_den run --rm --cpus lots --network none "$IMG" true
    assert_failure 125
    assert_output 'Error: invalid value "lots" for --cpus: expected a number of CPUs of at least 0.01'
    run_den run --rm --pids-limit x --network none "$IMG" true
    assert_failure 125
    assert_output 'Error: invalid value "x" for --pids-limit: expected an integer (-1 for unlimited)'
}

# The script run_in_cgroup_v2_machine runs: first in a cgroup the user owns (a unit with
# Delegate=yes), then in one root owns (a login session), on a cgroup v2 system.
cgroup_v2_script() {
    cat <<'SCRIPT'
d() { den --storage-driver vfs "$@"; }
img=$(d import -q /test/rootfs.tar localhost/vmtest) || exit 1
if [ "$1" = root-owned ]; then
    d run --rm --network none --memory 64m "$img" echo ran
    exit
fi
id=$(d run -d --network none --memory 64m --cpus 0.5 --pids-limit 12 "$img" sleep 300 2>err) || exit 1
echo "warnings: $(cat err)"
own=$(cut -d: -f3 /proc/self/cgroup)
echo "den's cgroup: ${own#/}"
cg=/sys/fs/cgroup${own%/den-leaf}/den-$id
echo "host: $(cat "$cg/memory.max") $(cat "$cg/cpu.max") $(cat "$cg/pids.max")"
echo "inside: $(d exec "$id" cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/cpu.max /sys/fs/cgroup/pids.max | tr '\n' ' ')"
echo "exec: $(d exec "$id" cat /proc/self/cgroup) $(d exec "$id" cat /sys/fs/cgroup/pids.current)"
d rm -f -t 0 "$id" >/dev/null
[ -e "$cg" ] && echo "left behind: $cg"
# a second container finds the controllers enabled beside den's leaf; a fork past the limit
# fails, and the shell's exit trap counts the processes there are
d run --rm --network none --pids-limit 8 "$img" sh -c \
    'trap "set -- /proc/[0-9]*; echo processes: \$#" EXIT; for i in $(seq 20); do sleep 30 & done' 2>&1
echo "pids: $?"
d run --name oom --network none --memory 32m "$img" dd if=/dev/zero of=/dev/null bs=64M count=1 >/dev/null 2>&1
echo "oom: $? $(d inspect --format '{{.State.OOMKilled}} {{.State.ExitCode}}' oom)"
d info --format '{{.Host.CgroupsVersion}} {{.Host.CgroupControllers}}'
SCRIPT
}

@test "run --memory, --cpus, --pids-limit on cgroup v2: applied in a delegated cgroup, else one warning" {
    need qemu-system-x86_64
    ls /boot/vmlinuz-* >/dev/null 2>&1 || skip_strict "no kernel in /boot (.ci/install-deps installs linux-image-amd64)"
    # a one-layer busybox image, imported there: the machine's only filesystem is tmpfs, which
    # on its kernel (6.1) has no user xattrs for the whiteouts of the fixture's layers
    local r=$BATS_TEST_TMPDIR/rootfs a
    mkdir -p "$r/bin" "$r/proc" "$r/sys" "$r/dev" "$r/tmp"
    cp /bin/busybox "$r/bin/busybox"
    for a in sh sleep dd cat seq echo true; do ln -s busybox "$r/bin/$a"; done
    tar -C "$r" -cf "$BATS_TEST_TMPDIR/rootfs.tar" .
    cgroup_v2_script >"$BATS_TEST_TMPDIR/script"
    run python3 "$BATS_TEST_DIRNAME/../lib/cgroup-vm.py" --den "$DEN" \
        --file "$BATS_TEST_TMPDIR/rootfs.tar:/test/rootfs.tar" "$BATS_TEST_TMPDIR/script"
    assert_success
    # in a unit's cgroup: den moves what runs there into a leaf and puts the container beside
    # it, with the limits in place as seen from the host and from inside
    assert_line "warnings: "
    assert_line "den's cgroup: user.slice/user-1000.slice/user@1000.service/app.slice/den-test.service/den-leaf"
    assert_line "host: 67108864 50000 100000 12"
    assert_line "inside: 67108864 50000 100000 12 "
    # exec runs in the container's cgroup: the sleep and the cat
    assert_line "exec: 0::/ 2"
    refute_line --partial "left behind"
    assert_line "sh: can't fork: Resource temporarily unavailable"
    assert_line "processes: 8"
    assert_line "pids: 2"
    assert_line "oom: 137 true 137"
    assert_line "v2 [cpu memory pids]"
    assert_line "=== den-vm end delegated 0"
    # in a cgroup root owns: the container runs, and one warning says why the limits are not
    assert_line "Warning: Resource limits are ignored: cannot create a cgroup in /sys/fs/cgroup/system.slice/session-1.scope (Permission denied): it is not delegated to this user"
    assert_line "ran"
    assert_line "=== den-vm end root-owned 0"
}
