#!/usr/bin/env bats
# cp: host <-> container for running and stopped containers, tar streams with "-", symlinks
# in the container that must never lead to the host's files, and the errors.

load helpers

IMG=

setup() {
    busybox_setup
    W=$BATS_TEST_TMPDIR/w
    mkdir -p "$W/dir/sub"
    echo hello >"$W/f"
    echo top >"$W/dir/a"
    echo inner >"$W/dir/sub/x"
}

teardown() {
    containers_teardown
}

# Runs the checks of a copy round trip against container $1.
cp_round_trip() {
    local c=$1
    run_den cp "$W/f" "$c:/tmp/"
    assert_success
    run_den cp "$W/f" "$c:/tmp/renamed"
    assert_success
    run_den cp "$W/dir" "$c:/tmp/newdir"
    assert_success
    # into an existing directory: lands inside it
    run_den cp "$W/dir" "$c:/tmp/newdir"
    assert_success
    run_den cp "$W/dir/." "$c:/tmp/contents"
    assert_success

    run_den cp "$c:/tmp/f" "$W/back-f"
    assert_success
    assert_equal "$(cat "$W/back-f")" hello
    run_den cp "$c:/tmp/renamed" "$W/back-renamed"
    assert_equal "$(cat "$W/back-renamed")" hello
    mkdir "$W/into"
    run_den cp "$c:/tmp/newdir" "$W/into"
    assert_success
    assert_equal "$(cat "$W/into/newdir/a")" top
    assert_equal "$(cat "$W/into/newdir/sub/x")" inner
    assert_equal "$(cat "$W/into/newdir/dir/sub/x")" inner
    run_den cp "$c:/tmp/contents" "$W/contents"
    assert_success
    assert_equal "$(cat "$W/contents/a")" top
    assert_equal "$(cat "$W/contents/sub/x")" inner
    assert_not_exist "$W/contents/dir"
    # copied out: owned by the user on the host
    assert_equal "$(stat -c %u "$W/into/newdir/sub/x")" "$(id -u)"

    # copied in: owned by root of the container
    run bash -c "'$DEN' --root '$BATS_TEST_TMPDIR/root' --runroot '$BATS_TEST_TMPDIR/run' cp '$c:/tmp/newdir' - | tar tvf -"
    assert_success
    assert_line --regexp '^-rw-r--r-- 0/0 .* newdir/sub/x$'
    assert_line --regexp '^-rw-r--r-- 0/0 .* newdir/dir/sub/x$'
    refute_output --regexp " $(id -u)/"
}

@test "cp: host to container and back, running container" {
    run_den run -d --name cpr "$IMG" sleep 600
    assert_success
    cp_round_trip cpr
    # what the running container writes is seen
    run_den run -d --name cpw "$IMG" sh -c 'echo from-inside >/tmp/made; sleep 600'
    assert_success
    for _ in $(seq 50); do
        den_raw cp cpw:/tmp/made "$W/made" 2>/dev/null && break
        sleep 0.1
    done
    assert_equal "$(cat "$W/made")" from-inside
}

@test "cp: host to container and back, stopped container" {
    run_den create --name cps "$IMG" cat /tmp/f
    assert_success
    cp_round_trip cps
    # the container sees what was copied into it while stopped
    run_den start -a cps
    assert_success
    assert_output hello
    # and its exit state keeps cp working
    run_den cp cps:/tmp/newdir/a "$W/after-exit"
    assert_success
    assert_equal "$(cat "$W/after-exit")" top
}

@test "cp: - streams a tar archive out and in" {
    run_den run -d --name cpt "$IMG" sleep 600
    assert_success
    run bash -c "'$DEN' --root '$BATS_TEST_TMPDIR/root' --runroot '$BATS_TEST_TMPDIR/run' cp cpt:/etc/passwd - | tar tf -"
    assert_success
    assert_output passwd
    run bash -c "'$DEN' --root '$BATS_TEST_TMPDIR/root' --runroot '$BATS_TEST_TMPDIR/run' cp cpt:/etc - | tar tf -"
    assert_success
    assert_line etc/passwd
    assert_line etc/group

    tar -C "$W" -cf "$W/in.tar" f dir
    run bash -c "'$DEN' --root '$BATS_TEST_TMPDIR/root' --runroot '$BATS_TEST_TMPDIR/run' cp - cpt:/tmp <'$W/in.tar'"
    assert_success
    run_den cp cpt:/tmp/dir/sub/x "$W/x-back"
    assert_success
    assert_equal "$(cat "$W/x-back")" inner
    run_den cp cpt:/tmp/f "$W/f-back"
    assert_equal "$(cat "$W/f-back")" hello

    # the destination of a stream must be an existing directory
    run bash -c "'$DEN' --root '$BATS_TEST_TMPDIR/root' --runroot '$BATS_TEST_TMPDIR/run' cp - cpt:/tmp/nothere <'$W/in.tar'"
    assert_failure 125
    assert_output "Error: destination must be a directory when copying from stdin"
}

@test "cp: a tar from stdin cannot climb out of the destination" {
    run_den run -d --name cpe "$IMG" sleep 600
    assert_success
    python3 - "$W/evil.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    i = tarfile.TarInfo("../../../../escaped")
    i.size = 4
    t.addfile(i, io.BytesIO(b"bad\n"))
PY
    run bash -c "'$DEN' --root '$BATS_TEST_TMPDIR/root' --runroot '$BATS_TEST_TMPDIR/run' cp - cpe:/tmp <'$W/evil.tar'"
    assert_failure 125
    assert_output --partial "leaves its directory"
    assert_not_exist "$BATS_TEST_TMPDIR/escaped"
    assert_not_exist "$BATS_TEST_TMPDIR/root/escaped"
}

@test "cp: symlinks in the container never lead to the host's files" {
    local host_passwd
    host_passwd=$(sha256sum /etc/passwd)
    run_den run -d --name cpl "$IMG" sh -c 'ln -s /etc/passwd /tmp/lpw; ln -s / /tmp/lroot;
        ln -s ../../../../../../../etc/passwd /tmp/lrel; mkdir /tmp/d; ln -s /etc /tmp/d/etc;
        echo ready >/tmp/ready; sleep 600'
    assert_success
    for _ in $(seq 50); do
        den_raw cp cpl:/tmp/ready "$W/ready" 2>/dev/null && break
        sleep 0.1
    done
    # reading through them reads the container's passwd, never the host's
    run_den cp cpl:/tmp/lpw "$W/o1"
    assert_success
    run_den cp cpl:/tmp/lroot/etc/passwd "$W/o2"
    assert_success
    run_den cp cpl:/tmp/lrel "$W/o3"
    assert_success
    for f in o1 o2 o3; do
        run grep -c "^$(id -un):" "$W/$f"
        assert_output 0
        run grep -c "^root:" "$W/$f"
        assert_output 1
    done
    # a symlink inside a copied tree stays a symlink
    run_den cp cpl:/tmp/d "$W/d"
    assert_success
    assert_link_exists "$W/d/etc"
    assert_equal "$(readlink "$W/d/etc")" /etc
    # writing through them writes inside the container
    run_den cp "$W/f" cpl:/tmp/lpw
    assert_success
    run_den cp "$W/f" cpl:/tmp/lroot/etc/
    assert_success
    assert_equal "$(sha256sum /etc/passwd)" "$host_passwd"
    assert_not_exist /etc/f
    run_den cp cpl:/etc/passwd "$W/container-passwd"
    assert_equal "$(cat "$W/container-passwd")" hello
    run_den cp cpl:/etc/f "$W/container-f"
    assert_equal "$(cat "$W/container-f")" hello
}

@test "cp: errors for missing containers and paths exit 125" {
    run_den create --name cpx "$IMG" true
    assert_success
    run_den cp nope:/etc/passwd "$W/x"
    assert_failure 125
    assert_output 'Error: container "nope" does not exist'
    run_den cp cpx:/nope "$W/x"
    assert_failure 125
    assert_output 'Error: "/nope" could not be found on container cpx: no such file or directory'
    run_den cp "$W/nope" cpx:/tmp
    assert_failure 125
    assert_output "Error: \"$W/nope\" could not be found on the host: no such file or directory"
    run_den cp "$W/f" cpx:/nonexist/dir/f
    assert_failure 125
    assert_output 'Error: "/nonexist/dir/f" could not be found on container cpx: no such file or directory'
    run_den cp cpx:/etc/passwd "$W/nodir/x"
    assert_failure 125
    assert_output --partial "could not be found on the host"
    run_den cp "$W/dir" cpx:/etc/passwd
    assert_failure 125
    assert_output "Error: destination must be a directory when copying a directory"
    run_den cp "$W/f" "$W/g"
    assert_failure 125
}
