#!/usr/bin/env bats
# Containers: run, create/start, the detached lifecycle, ps, logs, inspect, rm, exit codes.

load helpers

IMG=

# The store has no container within 10 s (a --rm cleanup running after den returned).
assert_no_containers_soon() {
    for _ in $(seq 100); do
        [ -z "$(den_raw ps -a -q)" ] && break
        sleep 0.1
    done
    run_den ps -a -q
    assert_output ""
}

setup() {
    busybox_setup
}

# Process PID is gone within 5 s (a zombie not yet reaped has no namespace left).
assert_process_gone_soon() {
    for _ in $(seq 50); do
        readlink "/proc/$1/ns/user" >/dev/null 2>&1 || break
        sleep 0.1
    done
    run readlink "/proc/$1/ns/user"
    assert_failure
}

# The user namespace holder den recorded.
recorded_holder() {
    cut -d' ' -f1 "$XDG_RUNTIME_DIR/den-userns.pid"
}

@test "run: output, exit code and --rm" {
    run_den run --rm "$IMG" echo hello from den
    assert_success
    assert_output "hello from den"
    run_den run --rm "$IMG" sh -c 'exit 7'
    assert_failure 7
    run_den ps -a -q
    assert_output ""
}

@test "run: a missing command exits 127, a non-executable one 126" {
    run_den -127 run --rm "$IMG" /nosuch/command
    assert_failure 127
    run_den -126 run --rm "$IMG" /etc/passwd
    assert_failure 126
    run_den ps -a -q
    assert_output ""
}

@test "run: no such image and a bad flag are den's errors (125)" {
    run_den run --rm --pull never nosuchimage true
    assert_failure 125
    assert_output --partial "nosuchimage"
    run_den run --bogus-flag "$IMG" true
    assert_failure 125
}

@test "run: the container is root in a user namespace mapped to the user and its subordinate ids" {
    run_den run --rm "$IMG" cat /proc/self/uid_map
    assert_success
    local start count
    IFS=: read -r _ start count < <(grep "^$(id -un):" /etc/subuid | head -1)
    assert_line --regexp "^ +0 +$(id -u) +1$"
    assert_line --regexp "^ +1 +$start +$count$"
    run_den run --rm "$IMG" id -u
    assert_output "0"
}

@test "run: hardened defaults are visible inside" {
    run_den run --rm "$IMG" grep -E '^(CapEff|Seccomp|NoNewPrivs):' /proc/self/status
    assert_success
    assert_line --regexp '^CapEff:[[:space:]]+00000000800405fb$'
    assert_line --regexp '^Seccomp:[[:space:]]+2$'
    run_den run --rm "$IMG" cat /proc/kcore
    assert_failure
    run_den run --rm --hostname box1 "$IMG" hostname
    assert_output "box1"
}

@test "run: --read-only root refuses writes, /tmp stays writable" {
    run_den run --rm --read-only "$IMG" sh -c 'touch /x'
    assert_failure
    run_den run --rm --read-only "$IMG" sh -c 'touch /tmp/x && echo ok'
    assert_success
    assert_output "ok"
}

@test "run: -e, -w and -u reach the process" {
    run_den run --rm -e FOO=bar -w /etc "$IMG" sh -c 'echo $FOO $(pwd)'
    assert_success
    assert_output "bar /etc"
    run_den run --rm --network none -u 1000:1000 "$IMG" sh -c 'echo $(id -u):$(id -g)'
    assert_success
    assert_output "1000:1000"
}

@test "run: --network none has only lo and no resolv.conf bind" {
    run_den run --rm --network none "$IMG" sh -c 'ls /sys/class/net'
    assert_success
    assert_output "lo"
}

@test "detached lifecycle: run -d, logs, stop, wait, inspect, rm" {
    run_den run -d --name life "$IMG" sh -c 'echo started; trap "echo bye; exit 3" TERM; while :; do sleep 0.1; done'
    assert_success
    local id=$output
    [[ "$id" =~ ^[0-9a-f]{64}$ ]]
    run_den ps --format '{{.Names}} {{.State}}'
    assert_output "life running"
    for _ in $(seq 50); do
        run_den logs life
        [ "$output" = started ] && break
        sleep 0.1
    done
    assert_output "started"
    run_den stop -t 5 life
    assert_success
    run_den wait life
    assert_output "3"
    run_den inspect --format '{{.State.Status}} {{.State.ExitCode}} {{.State.Running}}' life
    assert_output "exited 3 false"
    run_den logs life
    assert_output "started
bye"
    run_den ps -a --format '{{.ID}} {{.Status}}'
    assert_output --regexp "^${id:0:12} Exited \(3\) "
    run_den rm life
    assert_success
    run_den container exists life
    assert_failure 1
}

@test "create, then start -a" {
    run_den create --name later "$IMG" echo from create
    assert_success
    run_den ps -a --format '{{.Names}} {{.Status}}'
    assert_output "later Created"
    run_den start -a later
    assert_success
    assert_output "from create"
    run_den rm later
    assert_success
}

@test "rm: a running container needs -f; a name in use is an error" {
    run_den run -d --name busy "$IMG" sleep 60
    assert_success
    run_den run -d --name busy "$IMG" sleep 60
    assert_failure 125
    assert_output --partial 'the container name "busy" is already in use'
    run_den rm busy
    assert_failure 125
    assert_output --partial "cannot remove container"
    run_den rm -f busy
    assert_success
    run_den ps -a -q
    assert_output ""
}

@test "rm: a container whose namespaces another shares needs --depend, which removes the sharers first" {
    run_den run -d --name dep-a "$IMG" sleep 100
    assert_success
    local a=$output b c
    run_den run -d --name dep-b --network container:dep-a "$IMG" sleep 100
    assert_success
    b=$output
    run_den create --name dep-c --ipc container:dep-b "$IMG" true
    assert_success
    c=$output
    # recorded by id, as podman does: a rename keeps the sharing
    run_den inspect --format '{{.HostConfig.NetworkMode}} {{.HostConfig.IpcMode}}' dep-b dep-c
    assert_line --index 0 "container:$a shareable"
    assert_line --index 1 "slirp4netns container:$b"
    run_den rename dep-a dep-a2
    assert_success
    run_den stop -t 0 dep-b
    assert_success
    run_den start dep-b
    assert_success
    run_den inspect --format '{{.State.Running}}' dep-b
    assert_output "true"

    run_den rm -f dep-a2
    assert_failure 125
    assert_output "Error: container $a has dependent containers which must be removed before it: $b: container already exists"
    # named together, but dep-c still depends on dep-b: nothing is removed
    run_den rm -f dep-b dep-a2
    assert_failure 125
    assert_output --partial "container $b has dependent containers which must be removed before it: $c:"
    run_den ps -a -q --no-trunc
    assert_line "$a"
    assert_line "$b"
    assert_line "$c"

    run_den rm -f --depend dep-a2
    assert_success
    assert_output "$(printf '%s\n%s\n%s' "$c" "$b" "$a")"
    run_den ps -a -q
    assert_output ""

    # named together, in either order, the sharer goes first; rm -a is not held up either
    run_den create --name dep-x "$IMG" true
    assert_success
    run_den create --name dep-y --network container:dep-x "$IMG" true
    assert_success
    run_den rm dep-x dep-y
    assert_success
    assert_output "$(printf 'dep-y\ndep-x')"
    run_den create --name dep-x "$IMG" true
    assert_success
    a=$output
    run_den create --name dep-y --network container:dep-x "$IMG" true
    assert_success
    b=$output
    run_den rm -a
    assert_success
    assert_output "$(printf '%s\n%s' "$b" "$a")"
    run_den ps -a -q
    assert_output ""

    run_den create --network container:nosuch "$IMG" true
    assert_failure 125
    assert_output 'Error: looking up container to share net namespace with: no container with name or ID "nosuch" found: no such container'
    run_den create --ipc container:nosuch "$IMG" true
    assert_failure 125
    assert_output --partial 'looking up container to share ipc namespace with'
    run_den ps -a -q
    assert_output ""
}

@test "monitor: a SIGKILLed den does not take a detached container with it" {
    run_den run -d --name survivor "$IMG" sleep 60
    assert_success
    # the monitor is in its own session; killing den-side processes leaves it running
    pkill -KILL -f "^$DEN .*run -d --name survivor" || true
    run_den ps --format '{{.Names}} {{.State}}'
    assert_output "survivor running"
    run_den rm -f survivor
    assert_success
}

@test "monitor: a killed monitor leaves a container that ps reports and rm -f removes" {
    run_den run -d --name orphan "$IMG" sleep 60
    assert_success
    local mon
    mon=$(pgrep -f "den-monitor.*$(den_raw inspect --format '{{.Id}}' orphan)" | head -1)
    [ -n "$mon" ]
    kill -KILL "$mon"
    run_den ps --format '{{.Names}} {{.State}}'
    assert_output "orphan running"
    run_den rm -f orphan
    assert_success
    run_den ps -a -q
    assert_output ""
}

@test "ps: filters, -n and bad input" {
    run_den create --name c1 --label tier=db "$IMG" true
    assert_success
    run_den run --name c2 "$IMG" sh -c 'exit 4'
    assert_failure 4
    run_den ps -a --format '{{.Names}}' --filter status=exited
    assert_output "c2"
    run_den ps -a --format '{{.Names}}' --filter label=tier=db
    assert_output "c1"
    run_den ps -a --format '{{.Names}}' --filter exited=4
    assert_output "c2"
    run_den ps -a -n 1 --format '{{.Names}}'
    assert_output "c2"
    run_den ps --format '{{.Names}}'
    assert_output ""
    run_den ps -a --filter bogus=1
    assert_failure 125
    assert_output --partial "bogus is an invalid filter"
    run_den ps -a --filter status=sleeping
    assert_failure 125
    assert_output --partial "sleeping is not a valid status"
    run_den ps -a --format json
    assert_success
    [ "$(jq -r '.[] | select(.Names == "c2") | .ExitCode' <<<"$output")" = 4 ]
}

@test "container errors: missing containers, stopped ones, bad signals" {
    run_den logs nosuchctr
    assert_failure 125
    assert_output --partial 'no container with name or ID "nosuchctr" found: no such container'
    run_den inspect nosuchctr
    assert_failure 125
    assert_output --partial 'no such object: "nosuchctr"'
    run_den rm nosuchctr
    assert_failure 125
    run_den rm -i nosuchctr
    assert_success
    run_den create --name idle "$IMG" true
    assert_success
    run_den kill idle
    assert_failure 125
    assert_output --partial "container state improper"
    run_den attach idle
    assert_failure 125
    assert_output --partial "you can only attach to running containers"
    run_den kill -s NOSUCHSIG idle
    assert_failure 125
    assert_output --partial "invalid signal: NOSUCHSIG"
    run_den run --rm --pull sometimes "$IMG" true
    assert_failure 125
    assert_output --partial 'invalid pull policy "sometimes"'
}

@test "logs: --tail, -t and a renamed container" {
    run_den run --name talk "$IMG" sh -c 'echo one; echo two; echo three'
    assert_success
    run_den logs --tail 2 talk
    assert_output "two
three"
    run_den logs -t --tail 1 talk
    assert_output --regexp '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9:]+) three$'
    run_den rename talk chatter
    assert_success
    run_den logs --tail 1 chatter
    assert_output "three"
    run_den container exists talk
    assert_failure 1
}

@test "stop returns after the monitor recorded the exit: an immediate start stays running" {
    run_den run -d --name again --network none "$IMG" sleep 1000
    assert_success
    for _ in 1 2 3 4 5; do
        run_den stop -t 0 again
        assert_success
        run_den inspect --format '{{.State.Status}}' again
        assert_output "exited"
        run_den start again
        assert_success
    done
    # a late "exited" from the last stop's monitor would show here
    sleep 0.5
    run_den inspect --format '{{.State.Status}} {{.State.Running}}' again
    assert_output "running true"
}

@test "run --rm: a SIGKILLed foreground den leaves the removal to the monitor" {
    den_raw run --rm --name fg --network none "$IMG" sleep 2 >/dev/null 2>&1 &
    local client=$!
    local i
    for i in $(seq 100); do
        [ "$(den_raw ps --format '{{.Names}}')" = fg ] && break
        sleep 0.1
    done
    run_den ps --format '{{.Names}} {{.State}}'
    assert_output "fg running"
    # the den process (under timeout) dies without answering the exit
    pkill -KILL -P "$client" || true
    kill -KILL "$client" 2>/dev/null || true
    wait "$client" 2>/dev/null || true
    assert_no_containers_soon
    run ls "$BATS_TEST_TMPDIR/root/containers"
    assert_output ""
}

@test "run --rm: a stopped foreground den is waited for 5 s, then the monitor removes" {
    den_raw run --rm --name paused --network none "$IMG" sh -c 'sleep 1; exit 6' >/dev/null 2>&1 &
    local client=$! den_pid=
    for _ in $(seq 100); do
        # the den that timeout (den_raw) started, not the one it forks for the monitor
        den_pid=$(pgrep -P "$(pgrep -u "$(id -u)" -x timeout -a |
            awk '/run --rm --name paused/ {print $1}')" -x den || true)
        [ -n "$den_pid" ] && [ "$(den_raw ps --format '{{.Names}}')" = paused ] && break
        sleep 0.1
    done
    [ -n "$den_pid" ]
    kill -STOP "$den_pid"
    # the container exits after 1 s; the monitor gives the silent client 5 s
    assert_no_containers_soon
    kill -CONT "$den_pid"
    # resumed, den finds its container gone and still reports the container's code
    local rc=0
    wait "$client" || rc=$?
    [ "$rc" -eq 6 ]
    run ls "$BATS_TEST_TMPDIR/root/containers"
    assert_output ""
}

@test "an exited container's state outlives the runroot (as after a reboot)" {
    run_den run --name gone --network none "$IMG" sh -c 'exit 3'
    assert_failure 3
    run_den inspect --format '{{.State.Status}} {{.State.ExitCode}} {{.State.StartedAt}}' gone
    assert_success
    local before=$output
    [[ $before == "exited 3 "* ]]
    # a reboot empties the runroot: the last start's state goes, the exit record stays
    rm -rf "$BATS_TEST_TMPDIR/run"
    run_den inspect --format '{{.State.Status}} {{.State.ExitCode}} {{.State.StartedAt}}' gone
    assert_output "$before"
    run_den ps -a --format '{{.Names}} {{.Status}}'
    assert_output --regexp '^gone Exited \(3\) '
    # and it starts again from there
    run_den start -a gone
    assert_failure 3
}

@test "a container that exited is unmounted by its monitor" {
    run_den run -d --name quick --network none "$IMG" true
    assert_success
    run_den wait quick
    assert_output "0"
    local id
    id=$(den_raw inspect --format '{{.Id}}' quick)
    local mon
    for _ in $(seq 50); do
        mon=$(pgrep -f "den-monitor --id $id" || true)
        [ -z "$mon" ] && break
        sleep 0.1
    done
    [ -z "$mon" ]
    # no process of the user's keeps the root mounted: no mount namespace shows it
    run sh -c "cat /proc/[0-9]*/mountinfo 2>/dev/null | grep -c 'containers/$id/rootfs' || true"
    assert_output "0"
    # rm prints each container as it was named, as podman does
    run_den rm "${id:0:12}"
    assert_success
    assert_output "${id:0:12}"
}

@test "wait: a detached --rm container's exit code, though it is removed at its exit" {
    local id
    id=$(den_raw run -d --rm --network none "$IMG" sh -c 'sleep 1; exit 4')
    run_den wait "$id"
    assert_success
    assert_output "4"
    assert_no_containers_soon
}

@test "ps follows renames; a container whose configuration is damaged is listed and removable" {
    run_den create --name first --label k=v --env MARK=in-config --network none "$IMG" echo one
    assert_success
    local id=$output
    run_den ps -a --format '{{.Names}} {{.Command}} {{.Labels.k}}'
    assert_output "first [echo one] v"
    run_den rename first second
    assert_success
    run_den ps -a --format '{{.Names}}'
    assert_output "second"
    run_den inspect --format '{{.Config.Env}}' second
    assert_success
    assert_output --partial "MARK=in-config"
    # the full configuration lives in the container's directory
    printf '{"Config":' >"$BATS_TEST_TMPDIR/root/containers/$id/container.json"
    run_den start second
    assert_failure 125
    assert_output --partial "the configuration of container ${id:0:12}: parse"
    assert_output --partial "containers/$id/container.json"
    run_den inspect second
    assert_failure 125
    run_den ps -a --format '{{.Names}} {{.Command}}'
    assert_success
    assert_output "second [echo one]"
    run_den rm second
    assert_success
    assert_output "second"
    run_den ps -a -q
    assert_output ""
}

@test "den's user namespace is kept between commands; system migrate lets it go" {
    local first holder
    run_den system migrate
    assert_success
    run_den run --rm --network none "$IMG" readlink /proc/self/ns/user
    assert_success
    first=$output
    # kept by a process of its own, in that namespace, outside every command
    holder=$(recorded_holder)
    [ "$(cat "/proc/$holder/comm")" = den-userns ]
    [ "$(readlink "/proc/$holder/ns/user")" = "$first" ]
    run_den run --rm --network none "$IMG" readlink /proc/self/ns/user
    assert_output "$first"
    run_den system migrate
    assert_success
    assert_process_gone_soon "$holder"
    # the next command makes a new one (its inode number may be the old one's: compare pids)
    run_den run --rm --network none "$IMG" readlink /proc/self/ns/user
    assert_success
    first=$output
    local holder2
    holder2=$(recorded_holder)
    [ "$holder2" != "$holder" ]
    [ "$(readlink "/proc/$holder2/ns/user")" = "$first" ]
    # without a runtime directory of the user's, each command makes a namespace of its own
    local pid own
    run env -u XDG_RUNTIME_DIR "$DEN" --root "$BATS_TEST_TMPDIR/root" --runroot "$BATS_TEST_TMPDIR/run" \
        run -d --name own --network none "$IMG" sleep 100
    assert_success
    pid=$(den_raw inspect --format '{{.State.Pid}}' own)
    own=$(readlink "/proc/$pid/ns/user")
    [ "$own" != "$first" ]
    run env -u XDG_RUNTIME_DIR "$DEN" --root "$BATS_TEST_TMPDIR/root" --runroot "$BATS_TEST_TMPDIR/run" \
        run --rm --network none "$IMG" readlink /proc/self/ns/user
    assert_success
    [ "$output" != "$own" ]
    [ "$output" != "$first" ]
    run_den rm -f -t 0 own
    assert_success
}

@test "a recorded holder whose maps are not den's is replaced, never joined" {
    local fake fake_ns start out holder
    # the current holder stops first: the planted record would orphan it
    run_den system migrate
    assert_success
    # a process of the user's in a namespace that maps only the user's own id
    unshare -r sleep 300 3>&- &
    fake=$!
    for _ in $(seq 50); do
        [ "$(readlink "/proc/$fake/ns/user")" != "$(readlink /proc/self/ns/user)" ] && break
        sleep 0.1
    done
    fake_ns=$(readlink "/proc/$fake/ns/user")
    start=$(awk '{ print $22 }' "/proc/$fake/stat")
    echo "$fake $start" >"$XDG_RUNTIME_DIR/den-userns.pid"
    run_den run --rm --network none "$IMG" readlink /proc/self/ns/user
    assert_success
    out=$output
    [ "$out" != "$fake_ns" ]
    # the new holder is recorded and holds the namespace the container ran in
    holder=$(recorded_holder)
    [ "$holder" != "$fake" ]
    [ "$(readlink "/proc/$holder/ns/user")" = "$out" ]
    # and the one of other maps was stopped, by SIGTERM
    assert_process_gone_soon "$fake"
    run wait "$fake"
    assert_failure 143
}

@test "a container whose init is gone but whose monitor has not yet recorded the exit is still running" {
    run_den run -d --name exiting --network none "$IMG" sleep 1000
    assert_success
    local id=$output st="$BATS_TEST_TMPDIR/run/containers/$output/state.json"
    cp "$st" "$st.saved"
    # the moment between the monitor's reaping of the init and its exit record: a pid that is
    # gone, the monitor alive (as the state would be read then)
    jq '.Pid = 999999 | .PidStart = 1' "$st.saved" >"$st"
    run_den inspect --format '{{.State.Status}} {{.State.Pid}} {{.State.ExitCode}}' exiting
    assert_output "running 0 0"
    run_den exec exiting true
    assert_failure 125
    assert_output "Error: can only create exec sessions on running containers: container state improper"
    run_den top exiting
    assert_failure 125
    cp "$st.saved" "$st"
    run_den inspect --format '{{.State.Status}}' "$id"
    assert_output "running"
    run_den rm -f -t 0 exiting
    assert_success
}
