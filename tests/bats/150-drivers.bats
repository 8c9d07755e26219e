#!/usr/bin/env bats
# Storage drivers through `den run`: the kernel's overlay (userxattr, in den's user
# namespace), fuse-overlayfs and vfs. Each gets a fresh store, the busybox fixture (three
# layers: a file deleted by a whiteout in the last layer, a directory made opaque there), and
# containers whose writes stay their own; nothing of the mount is left once a container is
# gone. A store made with one driver refuses the others.

load helpers

IMG=

setup() {
        IMG=$DEN_TEST_REGISTRY/test/busybox:latest
}

teardown() {
        local d
        for d in overlay fuse-overlayfs vfs; do
                den_raw --storage-driver "$d" rm -a -f -t 0 >/dev/null 2>&1 || true
        done
        den_cleanup_store
}

need_driver() {
        case $1 in
        fuse-overlayfs)
                command -v fuse-overlayfs >/dev/null && [ -w /dev/fuse ] ||
                        skip_strict "fuse-overlayfs or /dev/fuse is not available"
                ;;
        esac
}

# Lines of this user's processes' mountinfo that name the test's store.
store_mounts() {
        local p
        for p in $(pgrep -u "$(id -u)"); do
                grep -F "$BATS_TEST_TMPDIR/root/" "/proc/$p/mountinfo" 2>/dev/null || true
        done
}

# fuse-overlayfs processes serving the test's store.
store_fuse_pids() {
        pgrep -u "$(id -u)" -f "fuse-overlayfs .*$BATS_TEST_TMPDIR/root/" || true
}

# Waits (bounded) until nothing of the store is mounted and no fuse-overlayfs serves it.
wait_store_unmounted() {
        for _ in $(seq 100); do
                [ -z "$(store_mounts)" ] && [ -z "$(store_fuse_pids)" ] && return 0
                sleep 0.1
        done
        return 0
}

# Nothing of the test's store is mounted or served, and no removal left debris.
assert_store_clean() {
        wait_store_unmounted
        run store_mounts
        assert_output ""
        run store_fuse_pids
        assert_output ""
        run ls -A "$BATS_TEST_TMPDIR/root/containers"
        refute_output --partial ".remove-"
}

driver_suite() {
        local d=$1 id pid monitor fstype upper
        need_driver "$d"
        run_den --storage-driver "$d" pull -q --tls-verify=false "$IMG"
        assert_success
        run_den --storage-driver "$d" info --format '{{.Store.GraphDriverName}}'
        assert_success
        assert_output "$d"
        run cat "$BATS_TEST_TMPDIR/root/store.json"
        assert_output --partial "\"driver\":\"$d\""

        # files of the lower layers, the whiteout of the last one, its opaque directory
        run_den --storage-driver "$d" run --rm --network none "$IMG" sh -c \
                'cat /data/file /data/hardlink /home/user/owned; ls /data/opaque;
                 test -e /etc/deleted-later && echo deleted-later is there; ls /etc'
        assert_success
        assert_output "hardlinked content
hardlinked content
owned by user 1000
c
group
hostname
hosts
passwd"
        # --rm: the monitor's cleanup removed the container in the namespace of its mount
        assert_store_clean
        run ls -A "$BATS_TEST_TMPDIR/root/containers"
        assert_output ""

        # a running container: its root is mounted by this driver in the monitor's namespace
        run_den --storage-driver "$d" run -d --name first --network none "$IMG" sh -c \
                'echo first > /etc/written; rm /data/file; echo ready; sleep 1000'
        assert_success
        id=$output
        for _ in $(seq 100); do
                [ "$(den_raw --storage-driver "$d" logs first)" = ready ] && break
                sleep 0.1
        done
        run_den --storage-driver "$d" inspect --format '{{.State.Pid}} {{.Driver}}' first
        assert_output --regexp "^[1-9][0-9]* $d\$"
        pid=${output%% *}
        monitor=$(ps -o ppid= -p "$pid" | tr -d ' ')
        fstype=$(awk -v t="$BATS_TEST_TMPDIR/root/containers/$id/rootfs" \
                '$5 == t { for (i = 7; $i != "-"; i++); print $(i + 1) }' \
                "/proc/$monitor/mountinfo")
        case $d in
        overlay) assert_equal "$fstype" "overlay" ;;
        fuse-overlayfs)
                assert_equal "$fstype" "fuse.fuse-overlayfs"
                [ -n "$(store_fuse_pids)" ] || fail "no fuse-overlayfs process for the store"
                ;;
        vfs) assert_equal "$fstype" "" ;;
        esac

        # writes stay in their container
        run_den --storage-driver "$d" run --rm --network none "$IMG" sh -c \
                'cat /data/file; test -e /etc/written && echo written is there; true'
        assert_success
        assert_output "hardlinked content"
        # ... and land in the container's own upper layer (vfs: its copied root)
        upper=$BATS_TEST_TMPDIR/root/containers/$id/diff
        [ "$d" != vfs ] || upper=$BATS_TEST_TMPDIR/root/containers/$id/rootfs
        run cat "$upper/etc/written"
        assert_output "first"
        run_den --storage-driver "$d" rm -f -t 0 first
        assert_success

        # once the containers are gone nothing of the store is mounted or served
        assert_store_clean
        run mountpoint -q "$BATS_TEST_TMPDIR/root/containers/$id/rootfs"
        assert_failure
        run_den --storage-driver "$d" ps -a -q
        assert_output ""

        # a container's writes survive its restart, and are its own
        run_den --storage-driver "$d" run --name second --network none "$IMG" sh -c \
                'echo second > /etc/written; rm /data/file'
        assert_success
        run_den --storage-driver "$d" start -a second
        assert_failure # rm of a removed file
        run_den --storage-driver "$d" run --rm --network none "$IMG" sh -c \
                'cat /data/file; test -e /etc/written && echo written is there; true'
        assert_output "hardlinked content"
        run_den --storage-driver "$d" rm second
        assert_success
        assert_store_clean
}

@test "driver overlay: layers, whiteouts, opaque dirs, private writes, no mount left" {
        driver_suite overlay
}

@test "driver fuse-overlayfs: layers, whiteouts, opaque dirs, private writes, no mount left" {
        driver_suite fuse-overlayfs
}

@test "driver vfs: layers, whiteouts, opaque dirs, private writes, no mount left" {
        driver_suite vfs
}

# A user namespace of the container's own sees the image's owners as they are (root's files as
# 0, the user 1000's as 1000) and writes as its own root.
idmap_suite() {
        local d=$1
        need_driver "$d"
        run_den --storage-driver "$d" pull -q --tls-verify=false "$IMG"
        assert_success
        run_den --storage-driver "$d" run --rm --network none --uidmap 0:1:5000 --gidmap 0:1:5000 "$IMG" sh -c \
                'id -u; tr -s " " < /proc/self/uid_map; stat -c %u:%g /etc/passwd /home/user/owned /etc/hosts;
                 touch /new; stat -c %u:%g /new; echo 127.0.0.2 x >> /etc/hosts && echo hosts written'
        assert_success
        assert_output "0
 0 1 5000
0:0
1000:1000
0:0
0:0
hosts written"
        run_den --storage-driver "$d" run --rm --network none --userns nomap "$IMG" sh -c \
                'id -u; stat -c %u:%g /etc/passwd /home/user/owned'
        assert_success
        assert_output "0
0:0
1000:1000"
        run_den --storage-driver "$d" run --rm --network none --userns keep-id "$IMG" sh -c \
                'id -u; stat -c %u:%g /etc/passwd /home/user/owned'
        assert_success
        assert_output "$(id -u)
0:0
1000:1000"
        assert_store_clean
}

@test "driver overlay: --uidmap, --userns nomap and keep-id show the image's owners" {
        idmap_suite overlay
}

@test "driver fuse-overlayfs: --uidmap, --userns nomap and keep-id show the image's owners" {
        idmap_suite fuse-overlayfs
}

@test "driver vfs: --uidmap, --userns nomap and keep-id show the image's owners" {
        idmap_suite vfs
}

@test "driver vfs: a root shifted once keeps its owners across restarts; an unmapped owner is an error" {
        run_den --storage-driver vfs pull -q --tls-verify=false "$IMG"
        assert_success
        run_den --storage-driver vfs create --name m --network none --uidmap 0:1:5000 --gidmap 0:1:5000 \
                "$IMG" stat -c %u:%g /etc/passwd /home/user/owned
        assert_success
        local id=$output
        run_den start -a m
        assert_success
        assert_output "0:0
1000:1000"
        # on disk: den's 1 and 1001, the ids the container's map shows as 0 and 1000
        run cat "$BATS_TEST_TMPDIR/root/containers/$id/rootfs.idmap"
        assert_output "uids 0:1:5000
gids 0:1:5000"
        run_den start -a m
        assert_success
        assert_output "0:0
1000:1000"
        run_den rm m
        assert_success
        # the image's uid 1000 is outside a map of 500 ids: refused, nothing half-run
        run_den --storage-driver vfs run --rm --network none --uidmap 0:1:500 --gidmap 0:1:500 "$IMG" true
        assert_failure 125
        assert_output --regexp 'Error: .*"/home/user[^"]*": its owner is not mapped in the container.s user namespace'
        run_den ps -aq
        assert_output ""
        assert_store_clean
}

@test "driver overlay: a user namespace of the container's own without fuse-overlayfs is a clear error" {
        local bin=$BATS_TEST_TMPDIR/bin p
        run_den --storage-driver overlay pull -q --tls-verify=false "$IMG"
        assert_success
        # a PATH with the id mapping tools but no fuse-overlayfs
        mkdir -p "$bin"
        for p in newuidmap newgidmap; do
                ln -s "$(command -v "$p")" "$bin/$p"
        done
        run env PATH="$bin" "$DEN" --root "$BATS_TEST_TMPDIR/root" --runroot "$BATS_TEST_TMPDIR/run" \
                --storage-driver overlay run --rm --network none --uidmap 0:1:5000 "$IMG" true
        assert_failure 125
        assert_output --partial "a user namespace of the container's own needs fuse-overlayfs and /dev/fuse with the overlay driver"
        # without the mapping the same PATH runs the container
        run env PATH="$bin" "$DEN" --root "$BATS_TEST_TMPDIR/root" --runroot "$BATS_TEST_TMPDIR/run" \
                --storage-driver overlay run --rm --network none "$IMG" echo ran
        assert_success
        assert_output "ran"
}

@test "a store made with one driver refuses the others" {
        local d o
        for d in overlay fuse-overlayfs vfs; do
                need_driver "$d"
                r=$BATS_TEST_TMPDIR/root-$d
                run timeout 120 "$DEN" --root "$r" --runroot "$BATS_TEST_TMPDIR/run" \
                        --storage-driver "$d" pull -q --tls-verify=false "$IMG"
                assert_success
                for o in overlay fuse-overlayfs vfs; do
                        [ "$o" != "$d" ] || continue
                        for cmd in "images" "run --rm --network none $IMG true" \
                                "pull -q --tls-verify=false $IMG"; do
                                # shellcheck disable=SC2086
                                run timeout 120 "$DEN" --root "$r" --runroot "$BATS_TEST_TMPDIR/run" \
                                        --storage-driver "$o" $cmd
                                assert_failure 125
                                assert_output "Error: store \"$r\" was created with driver $d, now $o: remove it (rm -rf $r) or use --root"
                        done
                done
                # without --storage-driver the store's own driver is used
                run timeout 120 "$DEN" --root "$r" --runroot "$BATS_TEST_TMPDIR/run" \
                        run --rm --network none "$IMG" cat /data/opaque/c
                assert_success
                assert_output "c"
                run timeout 120 "$DEN" --root "$r" --runroot "$BATS_TEST_TMPDIR/run" \
                        info --format '{{.Store.GraphDriverName}}'
                assert_output "$d"
        done
}

@test "storage.conf chooses the driver of a new store, as podman reads it" {
        need_driver fuse-overlayfs
        local cfg=$BATS_TEST_TMPDIR/cfg
        mkdir -p "$cfg/containers"

        # mount_program = fuse-overlayfs: den's fuse-overlayfs driver
        printf '[storage]\ndriver = "overlay"\n[storage.options.overlay]\nmount_program = "/usr/bin/fuse-overlayfs"\n' \
                >"$cfg/containers/storage.conf"
        XDG_CONFIG_HOME=$cfg run_den pull -q --tls-verify=false "$IMG"
        assert_success
        XDG_CONFIG_HOME=$cfg run_den info --format '{{.Store.GraphDriverName}}'
        assert_output "fuse-overlayfs"
        XDG_CONFIG_HOME=$cfg run_den run -d --network none "$IMG" sleep 100
        assert_success
        run bash -c 'pgrep -u "$(id -u)" -x fuse-overlayfs | head -1'
        [ -n "$output" ]
        XDG_CONFIG_HOME=$cfg run_den rm -af -t 0
        assert_success

        # the store keeps its driver when the file changes; a new store takes the new one
        printf '[storage]\ndriver = "vfs"\n' >"$cfg/containers/storage.conf"
        XDG_CONFIG_HOME=$cfg run_den info --format '{{.Store.GraphDriverName}}'
        assert_output "fuse-overlayfs"
        XDG_CONFIG_HOME=$cfg run_den --root "$BATS_TEST_TMPDIR/root2" pull -q --tls-verify=false "$IMG"
        assert_success
        XDG_CONFIG_HOME=$cfg run_den --root "$BATS_TEST_TMPDIR/root2" info --format '{{.Store.GraphDriverName}}'
        assert_output "vfs"
        XDG_CONFIG_HOME=$cfg run_den --root "$BATS_TEST_TMPDIR/root2" run --rm --network none "$IMG" cat /etc/hostname
        assert_success

        # what den cannot use is a clear error naming the file
        printf '[storage]\ndriver = "btrfs"\n' >"$cfg/containers/storage.conf"
        XDG_CONFIG_HOME=$cfg run_den --root "$BATS_TEST_TMPDIR/root3" images
        assert_failure 125
        assert_output "Error: $cfg/containers/storage.conf: storage driver \"btrfs\" is not supported (overlay, fuse-overlayfs through mount_program, vfs)"
        printf '[storage\n' >"$cfg/containers/storage.conf"
        XDG_CONFIG_HOME=$cfg run_den --root "$BATS_TEST_TMPDIR/root3" images
        assert_failure 125
        assert_output --regexp "^Error: $cfg/containers/storage.conf:1:"
        # --storage-driver overrides the file
        XDG_CONFIG_HOME=$cfg run_den --root "$BATS_TEST_TMPDIR/root3" --storage-driver vfs images -q
        assert_success
}
