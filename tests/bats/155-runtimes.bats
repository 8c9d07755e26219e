#!/usr/bin/env bats
# External OCI runtimes through `den run --runtime`: runc (by name and by path), crun, runsc
# (gVisor), and an unknown runtime. den drives the runtime's create/start/delete and
# signals the init itself; stop, kill, rm, ps, logs and inspect must behave as with den's own
# runtime.

load helpers

IMG=

setup() {
        busybox_setup
}

teardown() {
	containers_teardown
}

# The runtime's own view of a container: its state directory under the container's run dir.
runtime_status() { # RUNTIME ID
        "$1" --root "$BATS_TEST_TMPDIR/run/containers/$2/oci" state "$2" |
                python3 -c 'import json, sys; print(json.load(sys.stdin)["status"])'
}

# A script that reports its start and exits 7 on SIGTERM.
TRAP_SCRIPT='echo started; trap "echo got TERM; exit 7" TERM; while :; do sleep 0.1; done'

@test "run --runtime runc: output, exit code, and --rm leaves nothing behind" {
        need runc
        run_den run --rm --network none --runtime runc "$IMG" sh -c 'echo hi from runc; exit 3'
        assert_failure 3
        assert_output "hi from runc"
        run_den run --rm --network none --runtime runc "$IMG" cat /etc/passwd
        assert_success
        assert_line --index 0 "root:x:0:0:root:/root:/bin/sh"
        run_den ps -a -q
        assert_output ""
        run ls -A "$BATS_TEST_TMPDIR/run/containers"
        assert_output ""
}

@test "run --runtime runc: a missing command exits 127, a non-executable one 126" {
        need runc
        run_den -127 run --rm --network none --runtime runc "$IMG" /no/such/cmd
        assert_failure 127
        assert_output --partial 'exec: "/no/such/cmd": stat /no/such/cmd: no such file or directory'
        run_den -127 run --rm --network none --runtime runc "$IMG" nosuchcmd
        assert_failure 127
        assert_output --partial 'exec: "nosuchcmd": executable file not found in $PATH'
        run_den -126 run --rm --network none --runtime runc "$IMG" /etc/passwd
        assert_failure 126
        assert_output --partial 'exec: "/etc/passwd": permission denied'
        run_den ps -a -q
        assert_output ""
}

@test "create/start/ps/logs/inspect/stop/kill/rm through runc" {
        need runc
        run_den create --network none --runtime runc "$IMG" sh -c "$TRAP_SCRIPT"
        assert_success
        id=$output
        run_den inspect --format '{{.OCIRuntime}} {{.State.Status}}' "$id"
        assert_output "runc created"
        run_den start "$id"
        assert_success
        run_den ps --format '{{.ID}} {{.Status}}' --no-trunc
        assert_output --regexp "^$id Up "
        # the container is runc's: runc itself reports it running
        run runtime_status runc "$id"
        assert_output "running"
        run_den inspect --format '{{.State.Running}} {{.State.Pid}}' "$id"
        assert_output --regexp '^true [1-9][0-9]*$'
        pid=${output#true }
        run cat "/proc/$pid/comm"
        assert_output "sh"
        run_den logs "$id"
        assert_output "started"
        # stop sends SIGTERM to the init: the trap's exit code is the container's
        run_den stop -t 20 "$id"
        assert_success
        run_den inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$id"
        assert_output "exited 7"
        run_den logs "$id"
        assert_output $'started\ngot TERM'
        # a second start of the same container (runc's state of the first is replaced)
        run_den start "$id"
        assert_success
        run runtime_status runc "$id"
        assert_output "running"
        run_den kill "$id"
        assert_success
        run_den wait "$id"
        assert_output "137"
        run_den rm "$id"
        assert_success
        run_den ps -a -q
        assert_output ""
        assert_not_exist "$BATS_TEST_TMPDIR/run/containers/$id"
}

@test "run -d --runtime runc, rm -f of the running container" {
        need runc
        run_den run -d --network none --runtime runc "$IMG" sleep 1000
        assert_success
        id=$output
        run_den inspect --format '{{.State.Pid}}' "$id"
        pid=$output
        run_den rm -f -t 0 "$id"
        assert_success
        run_den ps -a -q
        assert_output ""
        assert_not_exist "/proc/$pid"
        assert_not_exist "$BATS_TEST_TMPDIR/run/containers/$id"
}

@test "run --runtime runc -t: a terminal through the console socket" {
        need runc
        # the run dir of a test is long enough that runroot/containers/<id>/oci/<id>.console
        # would not fit in a unix socket's path
        run script -qec "timeout 60 $DEN --root $BATS_TEST_TMPDIR/root \
                --runroot $BATS_TEST_TMPDIR/run run --rm -t --network none --runtime runc \
                $IMG sh -c 'tty; exit 5'" /dev/null </dev/null
        assert_failure 5
        assert_output --partial "/dev/pts/0"
}

@test "run --runtime PATH: runc given by its path" {
        need runc
        rt=$(command -v runc)
        run_den run -d --network none --runtime "$rt" "$IMG" sleep 1000
        assert_success
        id=$output
        run_den inspect --format '{{.OCIRuntime}}' "$id"
        assert_output "$rt"
        run runtime_status "$rt" "$id"
        assert_output "running"
        run_den rm -f -t 0 "$id"
        assert_success
        run_den run --rm --network none --runtime "$rt" "$IMG" echo by path
        assert_success
        assert_output "by path"
}

@test "run --runtime crun: runs the container, or reports crun's own refusal (125)" {
        need crun
        # what crun says about this machine when driven directly, in den's user namespace
        mkdir -p "$BATS_TEST_TMPDIR/crun-bundle/rootfs"
        (cd "$BATS_TEST_TMPDIR/crun-bundle" && crun spec --rootless)
        python3 -c 'import json, sys
spec = json.load(open(sys.argv[1]))
spec["process"]["terminal"] = False
json.dump(spec, open(sys.argv[1], "w"))' "$BATS_TEST_TMPDIR/crun-bundle/config.json"
        run den_raw unshare crun --root "$BATS_TEST_TMPDIR/crun-state" create \
                --bundle "$BATS_TEST_TMPDIR/crun-bundle" probe
        crun_status=$status
        crun_msg=${lines[-1]}
        den_raw unshare crun --root "$BATS_TEST_TMPDIR/crun-state" delete --force probe \
                >/dev/null 2>&1 || true

        run_den run --rm --network none --runtime crun "$IMG" echo hi from crun
        if [ "$crun_status" = 0 ]; then
                assert_success
                assert_output "hi from crun"
        else
                assert_failure 125
                assert_output "Error: crun create: ${crun_msg#crun: }"
        fi
}

@test "run --runtime: an unknown runtime name or path is one clear error (125)" {
        run_den run --rm --network none --runtime no-such-runtime "$IMG" true
        assert_failure 125
        assert_output 'Error: OCI runtime "no-such-runtime" not found in $PATH: Invalid argument'
        run_den run --rm --network none --runtime /no/such/runtime "$IMG" true
        assert_failure 125
        assert_output "Error: no valid executable found for OCI runtime /no/such/runtime: Invalid argument"
        # create refuses it too, before any container exists
        run_den create --network none --runtime no-such-runtime "$IMG" true
        assert_failure 125
        assert_output 'Error: OCI runtime "no-such-runtime" not found in $PATH: Invalid argument'
        run_den ps -a -q
        assert_output ""
}

@test "run --runtime runsc: gVisor runs the container rootless" {
        need runsc
        run_den run --rm --network none --runtime runsc "$IMG" sh -c 'echo hi; exit 4'
        assert_failure 4
        assert_output "hi"
        # gVisor's kernel, not the host's
        run_den run --rm --network none --runtime runsc "$IMG" dmesg
        assert_success
        assert_output --partial "Starting gVisor"
        run_den ps -a -q
        assert_output ""
}

@test "run --runtime runsc: detached, logs, stop, restart, kill, rm" {
        need runsc
        run_den run -d --network none --runtime runsc "$IMG" sh -c "$TRAP_SCRIPT"
        assert_success
        id=$output
        run_den inspect --format '{{.OCIRuntime}} {{.State.Running}}' "$id"
        assert_output "runsc true"
        run runtime_status runsc "$id"
        assert_output "running"
        for _ in $(seq 100); do
                [ -n "$(den_raw logs "$id")" ] && break
                sleep 0.1
        done
        run_den logs "$id"
        assert_output "started"
        run_den stop -t 20 "$id"
        assert_success
        run_den inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$id"
        assert_output "exited 7"
        run_den start "$id"
        assert_success
        run_den kill "$id"
        assert_success
        run_den wait "$id"
        assert_output "137"
        run_den rm "$id"
        assert_success
        assert_not_exist "$BATS_TEST_TMPDIR/run/containers/$id"
        run pgrep -u "$(id -u)" -f "runsc.*$id"
        assert_failure
}

@test "run --runtime runsc -t: a terminal, and the default network" {
        need runsc
        run script -qec "timeout 60 $DEN --root $BATS_TEST_TMPDIR/root \
                --runroot $BATS_TEST_TMPDIR/run run --rm -t --network none --runtime runsc \
                $IMG sh -c 'test -t 0 && test -t 1 && echo terminal'" /dev/null </dev/null
        assert_success
        assert_output --partial "terminal"
        # slirp4netns's address, seen through the sandbox
        run_den run --rm --runtime runsc "$IMG" ip -o -4 addr show tap0
        assert_success
        assert_output --partial "10.0.2.100/24"
}
