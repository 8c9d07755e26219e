#!/usr/bin/env bats
# exec: a new process in a running container, seen from inside.

load helpers

IMG=
CID=

setup() {
    busybox_setup
    run_den run -d --network none "$IMG" sleep 1000
    assert_success
    CID=$output
}

teardown() {
    containers_teardown
}

# The capability mask of every capability the kernel knows, as /proc/PID/status prints it.
full_cap_mask() {
    printf '%016x' $(((1 << ($(cat /proc/sys/kernel/cap_last_cap) + 1)) - 1))
}

@test "exec: output and exit codes pass through, by name, id and --latest" {
    run_den exec "$CID" echo hello from exec
    assert_success
    assert_output "hello from exec"
    run_den exec "${CID:0:12}" sh -c 'exit 3'
    assert_failure 3
    run_den exec --latest sh -c 'echo latest; exit 0'
    assert_success
    assert_output "latest"
    run_den exec "$CID" sh -c 'kill -KILL $$'
    assert_failure 137
    # den's own signal settings (it ignores SIGPIPE) do not reach the process
    run_den exec "$CID" grep -E '^Sig(Ign|Blk):' /proc/self/status
    assert_line --regexp '^SigIgn:[[:space:]]+0+$'
    assert_line --regexp '^SigBlk:[[:space:]]+0+$'
}

@test "exec: a missing command exits 127, a non-executable one 126" {
    run_den -127 exec "$CID" /nosuch/command
    assert_failure 127
    assert_output --partial 'exec: "/nosuch/command"'
    run_den -127 exec "$CID" nosuchcommand
    assert_failure 127
    assert_output --partial 'executable file not found in $PATH'
    run_den -126 exec "$CID" /etc/passwd
    assert_failure 126
    assert_output --partial 'exec: "/etc/passwd": Permission denied'
}

@test "exec: the container's environment, -e, -e NAME from den's and --env-file" {
    run_den exec "$CID" env
    assert_success
    assert_line "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    assert_line "HOME=/root"
    assert_line "container=den"
    printf 'FROMFILE=file\n# comment\nBOTH=file\n' >"$BATS_TEST_TMPDIR/env"
    FROMHOST=host-value run_den exec -e FOO=bar -e FROMHOST -e NOTSET -e BOTH=flag \
        --env-file "$BATS_TEST_TMPDIR/env" "$CID" env
    assert_success
    assert_line "FOO=bar"
    assert_line "FROMHOST=host-value"
    assert_line "FROMFILE=file"
    assert_line "BOTH=flag"
    refute_line --partial "NOTSET"
    run_den exec -e HOME=/elsewhere "$CID" sh -c 'echo $HOME'
    assert_output "/elsewhere"
}

@test "exec: -u picks the user from the container's files, -w the directory" {
    run_den exec "$CID" id -u
    assert_output "0"
    run_den exec -u 1000:1000 "$CID" sh -c 'echo $(id -u):$(id -g)'
    assert_success
    assert_output "1000:1000"
    run_den exec -u nobody "$CID" sh -c 'echo $(id -un) $HOME'
    assert_success
    assert_output "nobody /nonexistent"
    run_den exec -u root:nobody "$CID" sh -c 'echo $(id -u) $(id -gn)'
    assert_output "0 nobody"
    run_den exec -u nosuchuser "$CID" id
    assert_failure 125
    assert_output "Error: unable to find user nosuchuser: no matching entries in passwd file"
    run_den exec -u root:nosuchgroup "$CID" id
    assert_failure 125
    assert_output --partial "unable to find group nosuchgroup"
    run_den exec -w /etc "$CID" pwd
    assert_output "/etc"
    run_den exec "$CID" pwd
    assert_output "/"
}

@test "exec: the container's pid namespace, hostname and file system" {
    run_den exec "$CID" ps -o pid,args
    assert_success
    assert_line --regexp '^ +1 +sleep 1000$'
    assert_line --regexp '^ +[0-9]+ +ps -o pid,args$'
    run_den exec "$CID" hostname
    assert_output "${CID:0:12}"
    run_den exec "$CID" sh -c 'echo written by one exec >/tmp/shared'
    assert_success
    run_den exec "$CID" cat /tmp/shared
    assert_output "written by one exec"
    # the same root as the container's init
    run_den exec "$CID" sh -c 'test /proc/1/root/tmp/shared -ef /tmp/shared && echo same'
    assert_output "same"
}

@test "exec: capabilities, no_new_privs and seccomp are the container's; --privileged adds every capability" {
    run_den exec "$CID" sh -c 'grep -E "^(CapEff|CapBnd|NoNewPrivs|Seccomp):" /proc/1/status; echo ---;
        grep -E "^(CapEff|CapBnd|NoNewPrivs|Seccomp):" /proc/self/status'
    assert_success
    local init=${output%%---*} self=${output##*---}
    assert_equal "$(echo "$self" | sed '/^$/d')" "$(echo "$init" | sed '/^$/d')"
    assert_line --regexp '^CapEff:[[:space:]]+00000000800405fb$'
    assert_line --regexp '^Seccomp:[[:space:]]+2$'
    run_den exec -u 1000 "$CID" grep '^CapEff:' /proc/self/status
    assert_output --regexp '^CapEff:[[:space:]]+0000000000000000$'
    run_den exec --privileged "$CID" grep -E '^(CapEff|CapBnd|Seccomp):' /proc/self/status
    assert_success
    assert_line --regexp "^CapEff:[[:space:]]+$(full_cap_mask)\$"
    assert_line --regexp "^CapBnd:[[:space:]]+$(full_cap_mask)\$"
    # as podman: the container's seccomp filter stays
    assert_line --regexp '^Seccomp:[[:space:]]+2$'
}

@test "exec: -i passes stdin, without it the process reads nothing" {
    run bash -c 'printf "line one\nline two\n" | "$0" --root "$1/root" --runroot "$1/run" exec -i "$2" cat' \
        "$DEN" "$BATS_TEST_TMPDIR" "$CID"
    assert_success
    assert_output "line one
line two"
    run bash -c 'echo ignored | "$0" --root "$1/root" --runroot "$1/run" exec "$2" cat' \
        "$DEN" "$BATS_TEST_TMPDIR" "$CID"
    assert_success
    assert_output ""
}

@test "exec: -t gives the process a terminal of its own" {
    command -v script >/dev/null || skip_strict "script (util-linux) is not installed"
    # --foreground: den must stay in the terminal's foreground process group
    local den="timeout --foreground 60 $DEN --root $BATS_TEST_TMPDIR/root --runroot $BATS_TEST_TMPDIR/run"
    run script -qec "$den exec -it $CID tty" /dev/null </dev/null
    assert_success
    assert_output --regexp '/dev/pts/[0-9]+'
    # the window size of den's terminal reaches the container's
    run script -qec "stty rows 33 cols 77; $den exec -t $CID stty size" /dev/null </dev/null
    assert_success
    assert_output --partial "33 77"
    # input typed at den's terminal reaches the process; its exit code comes back
    run script -qec "$den exec -it $CID sh -c 'read x; echo got \$x; exit 4'" /dev/null \
        < <(sleep 1; echo typed)
    assert_failure 4
    assert_output --partial "got typed"
    # without -t there is no terminal
    run_den exec "$CID" tty
    assert_failure
    assert_output "not a tty"
}

@test "exec: -d returns at once and leaves the process running" {
    run_den exec -d "$CID" sleep 567
    assert_success
    assert_output --regexp '^[0-9a-f]{64}$'
    run_den exec "$CID" ps -o args
    assert_line "sleep 567"
}

# Starts den exec in the background (den itself, so that $! is den) with a watchdog.
den_bg() {
    local out=$1
    shift
    "$DEN" --root "$BATS_TEST_TMPDIR/root" --runroot "$BATS_TEST_TMPDIR/run" exec "$@" >"$out" &
    BG_PID=$!
    # a watchdog that ends with den, or kills it after a minute
    (timeout 60 tail --pid="$BG_PID" -f /dev/null || kill -KILL "$BG_PID") >/dev/null 2>&1 3>&- &
    for _ in $(seq 100); do grep -q ready "$out" && break; sleep 0.1; done
}

@test "exec: SIGTERM and SIGINT sent to den reach the process" {
    den_bg "$BATS_TEST_TMPDIR/out" "$CID" sh -c 'trap "echo got TERM; exit 7" TERM; echo ready; sleep 100 & wait'
    local rc=0
    kill -TERM "$BG_PID"
    wait "$BG_PID" || rc=$?
    assert_equal "$rc" 7
    run cat "$BATS_TEST_TMPDIR/out"
    assert_output "ready
got TERM"
    den_bg "$BATS_TEST_TMPDIR/out2" "$CID" sh -c 'echo ready; exec sleep 101'
    rc=0
    kill -INT "$BG_PID"
    wait "$BG_PID" || rc=$?
    assert_equal "$rc" 130
    run_den exec "$CID" ps -o args
    refute_line "sleep 101"
}

@test "exec: errors: no such container, a stopped container, no command" {
    run_den exec nosuchcontainer true
    assert_failure 125
    assert_output --partial 'Error: no container with name or ID "nosuchcontainer" found: no such container'
    run_den run --name stopped "$IMG" true
    assert_success
    run_den exec stopped true
    assert_failure 125
    assert_output "Error: can only create exec sessions on running containers: container state improper"
    run_den exec "$CID"
    assert_failure 125
    assert_output --partial "must provide a non-empty command to start an exec session"
    run_den exec
    assert_failure 125
    assert_output --partial "exec requires the name or ID of a container or the --latest flag"
    run_den exec --bogus "$CID" true
    assert_failure 125
}

@test "exec: nothing stays behind, and rm -f removes the container" {
    run_den inspect --format '{{.State.Pid}}' "$CID"
    assert_success
    local init=$output pidns
    pidns=$(readlink "/proc/$init/ns/pid")
    run_den exec "$CID" true
    assert_success
    run_den exec -d "$CID" sleep 999
    assert_success
    run_den rm -f "$CID"
    assert_success
    run_den ps -a -q
    assert_output ""
    # no process of the user is left in the container's pid namespace, and no den exec
    local p left=
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$pidns" ] && left+=" ${p#/proc/}"
    done
    assert_equal "$left" ""
    # the -d process's waiter ends right after the process it waited for
    for _ in $(seq 50); do
        pgrep -u "$(id -u)" -f "$BATS_TEST_TMPDIR/root.* exec" >/dev/null || break
        sleep 0.1
    done
    run pgrep -u "$(id -u)" -f "$BATS_TEST_TMPDIR/root.* exec"
    assert_failure 1
}
