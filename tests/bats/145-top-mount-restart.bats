#!/usr/bin/env bats
# top, mount/umount and restart of containers.

load helpers

IMG=

setup() {
    busybox_setup
}

teardown() {
    containers_teardown
}

@test "top: the container's processes with pids and users as it sees them" {
    run_den run -d --name tp "$IMG" sleep 600
    assert_success
    run_den top tp
    assert_success
    assert_line --index 0 --regexp '^USER +PID +PPID +%CPU +ELAPSED +TTY +TIME +COMMAND$'
    assert_line --index 1 --regexp '^root +1 +0 +[0-9]+\.[0-9]{3} +[0-9.]+(ms|s) +\? +0s +sleep 600 ?$'
    assert_equal "${#lines[@]}" 2
    run_den top tp pid,args
    assert_success
    assert_line --index 0 --regexp '^PID +COMMAND$'
    assert_line --index 1 --regexp '^1 +sleep 600 ?$'
    run_den top tp user group pid comm
    assert_success
    assert_line --index 1 --regexp '^root +root +1 +sleep$'
    run_den top tp nosuchdescriptor
    assert_failure 125
    assert_output "Error: 'nosuchdescriptor': unknown descriptor"
}

@test "top: a stopped container and a missing one are errors" {
    run_den create --name tps "$IMG" sleep 600
    assert_success
    run_den top tps
    assert_failure 125
    assert_output "Error: top can only be used on running containers"
    run_den top nope
    assert_failure 125
    assert_output --partial 'no container with name or ID "nope" found'
}

@test "mount: only inside den unshare, where the path shows the container's files" {
    run_den create --name mt "$IMG" true
    assert_success
    run_den mount mt
    assert_failure 125
    assert_output 'Error: cannot run command "den mount" in rootless mode, must execute `den unshare` first'
    local den="$DEN --root $BATS_TEST_TMPDIR/root --runroot $BATS_TEST_TMPDIR/run"
    run_den unshare sh -c "p=\$($den mount mt) && echo \"path=\$p\" && ls \"\$p/bin/busybox\" && cat \"\$p/etc/passwd\" && $den mount && $den umount mt && echo after && $den mount"
    assert_success
    local id
    id=$(den_raw inspect --format '{{.Id}}' mt)
    assert_line "path=$BATS_TEST_TMPDIR/root/containers/$id/rootfs"
    assert_line --regexp '/bin/busybox$'
    assert_line --regexp '^root:x:0:0:'
    assert_line "${id:0:12}  $BATS_TEST_TMPDIR/root/containers/$id/rootfs"
    assert_line mt
    # nothing is listed once unmounted
    assert_equal "${lines[-1]}" after
    run_den umount
    assert_failure 125
    assert_output "Error: you must provide at least one name or id"
}

@test "restart: a running container runs again with a new start time" {
    run_den run -d --name rs "$IMG" sleep 600
    assert_success
    run_den inspect --format '{{.State.StartedAt}} {{.State.Pid}}' rs
    assert_success
    local before=$output
    run_den restart -t 0 rs
    assert_success
    assert_output rs
    run_den inspect --format '{{.State.Status}}' rs
    assert_output running
    run_den inspect --format '{{.State.StartedAt}} {{.State.Pid}}' rs
    [ "$output" != "$before" ]
    run_den top rs pid,args
    assert_line --index 1 --regexp '^1 +sleep 600 ?$'
}

@test "restart: an exited container is started again; a missing one is an error" {
    run_den run --name rx "$IMG" sh -c 'echo ran; exit 3'
    assert_failure 3
    run_den restart rx
    assert_success
    assert_output rx
    run_den wait rx
    assert_output 3
    run_den logs rx
    assert_output "ran
ran"
    run_den restart nope
    assert_failure 125
    assert_output --partial 'no container with name or ID "nope" found'
    run_den restart
    assert_failure 125
    assert_output "Error: you must provide at least one name or id"
}
