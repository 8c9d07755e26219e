#!/usr/bin/env bats
# Many den processes against one store at once: containers.json is changed under the store's
# lock by re-reading it, so concurrent creates and removals must all succeed, lose no record,
# leave no process, mount or directory behind, and keep the image usable.

load helpers

IMG=

setup() {
        IMG=$DEN_TEST_REGISTRY/test/busybox:latest
}

teardown() {
        local r
        for r in "$BATS_TEST_TMPDIR"/root*; do
                [ -d "$r" ] || continue
                timeout 60 "$DEN" --root "$r" --runroot "$BATS_TEST_TMPDIR/run" rm -a -f -t 0 \
                        >/dev/null 2>&1 || true
        done
        den_cleanup_store
}

# den on the store ROOT (under the test's directory), sharing the test's runroot.
den_on() { # ROOT ARGS...
        local root=$1
        shift
        timeout --kill-after=10 "$DEN_TEST_TIMEOUT" "$DEN" --root "$BATS_TEST_TMPDIR/$root" \
                --runroot "$BATS_TEST_TMPDIR/run" "$@"
}

# Everything a store's containers could leave behind, one line each; empty when clean.
store_leftovers() { # ROOT
        local root=$BATS_TEST_TMPDIR/$1 p
        for p in $(pgrep -u "$(id -u)"); do
                grep -F "$root/" "/proc/$p/mountinfo" 2>/dev/null | sed 's/^/mount: /' || true
        done
        pgrep -u "$(id -u)" -a -f "den-monitor .*$root/" | sed 's/^/monitor: /' || true
        pgrep -u "$(id -u)" -a -f "fuse-overlayfs .*$root/" | sed 's/^/fuse: /' || true
        ls -A "$root/containers" 2>/dev/null | sed 's/^/directory: /' || true
        ls -A "$BATS_TEST_TMPDIR/run/containers" 2>/dev/null | sed 's/^/run directory: /' || true
}

# Bounded wait for the last fuse-overlayfs daemons to notice their unmount.
wait_clean() { # ROOT
        for _ in $(seq 100); do
                [ -z "$(store_leftovers "$1")" ] && return 0
                sleep 0.1
        done
        return 0
}

@test "10 concurrent loops of run -d and rm -f on one store leave it clean and usable" {
        local dir=$BATS_TEST_TMPDIR/loops
        mkdir -p "$dir"
        run den_on root pull -q --tls-verify=false "$IMG"
        assert_success
        for i in $(seq 10); do
                (
                        for j in 1 2 3 4; do
                                if ! id=$(den_on root run -d --network none "$IMG" sleep 100); then
                                        echo "run $i.$j failed" >>"$dir/failures"
                                        continue
                                fi
                                den_on root inspect --format '{{.State.Pid}}' "$id" >>"$dir/pids" ||
                                        echo "inspect $i.$j failed" >>"$dir/failures"
                                den_on root rm -f -t 0 "$id" >/dev/null ||
                                        echo "rm $i.$j failed" >>"$dir/failures"
                        done
                ) 2>"$dir/stderr-$i" &
        done
        wait

        # every command succeeded, quietly
        assert_not_exist "$dir/failures"
        run cat "$dir"/stderr-*
        assert_output ""
        run wc -l <"$dir/pids"
        assert_output "40"
        # no record is left, and the records file is valid JSON
        run den_on root ps -a -q
        assert_success
        assert_output ""
        run python3 -c 'import json, sys; print(json.load(open(sys.argv[1])))' \
                "$BATS_TEST_TMPDIR/root/containers.json"
        assert_success
        assert_output "[]"
        # no container process survived (40 distinct inits, none of them still a sleep)
        run sort -u "$dir/pids"
        assert_equal "${#lines[@]}" 40
        for pid in $(cat "$dir/pids"); do
                if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = sleep ]; then
                        fail "container init $pid is still running"
                fi
        done
        # no monitor, mount, fuse daemon or directory of the store is left
        wait_clean root
        run store_leftovers root
        assert_output ""
        # the image's layers are intact
        run den_on root run --rm --network none "$IMG" sh -c 'cat /data/file; ls /data/opaque'
        assert_success
        assert_output $'hardlinked content\nc'
}

@test "10 concurrent run --rm of the same image, with each storage driver" {
        local d i dir
        for d in overlay fuse-overlayfs vfs; do
                if [ "$d" = fuse-overlayfs ] && ! { command -v fuse-overlayfs >/dev/null && [ -w /dev/fuse ]; }; then
                        skip_strict "fuse-overlayfs or /dev/fuse is not available"
                fi
                dir=$BATS_TEST_TMPDIR/out-$d
                mkdir -p "$dir"
                run den_on "root-$d" --storage-driver "$d" pull -q --tls-verify=false "$IMG"
                assert_success
                for i in $(seq 10); do
                        (
                                rc=0
                                den_on "root-$d" --storage-driver "$d" run --rm --network none \
                                        "$IMG" sh -c "echo run $i; cat /data/opaque/c" \
                                        >"$dir/out-$i" 2>"$dir/err-$i" || rc=$?
                                echo "$rc" >"$dir/status-$i"
                        ) &
                done
                wait
                for i in $(seq 10); do
                        run cat "$dir/status-$i" "$dir/out-$i" "$dir/err-$i"
                        assert_output $'0\n'"run $i"$'\nc'
                done
                run den_on "root-$d" ps -a -q
                assert_output ""
                wait_clean "root-$d"
                run store_leftovers "root-$d"
                assert_output ""
        done
}

@test "concurrent creates of one name: exactly one wins, the others get podman's error" {
        local dir=$BATS_TEST_TMPDIR/names i
        mkdir -p "$dir"
        run den_on root pull -q --tls-verify=false "$IMG"
        assert_success
        for i in $(seq 10); do
                (
                        rc=0
                        den_on root run -d --name same --network none "$IMG" sleep 100 \
                                >"$dir/out-$i" 2>"$dir/err-$i" || rc=$?
                        echo "$rc" >"$dir/status-$i"
                ) &
        done
        wait
        run cat "$dir"/status-*
        assert_equal "$(grep -c '^0$' <<<"$output")" 1
        assert_equal "$(grep -c '^125$' <<<"$output")" 9
        winner=$(cat "$dir"/out-*)
        [[ $winner =~ ^[0-9a-f]{64}$ ]] || fail "no container id from the winner: $winner"
        for i in $(seq 10); do
                [ "$(cat "$dir/status-$i")" = 0 ] && continue
                run cat "$dir/err-$i"
                assert_output "Error: creating container storage: the container name \"same\" is already in use by $winner. You have to remove that container to be able to reuse that name: that name is already in use"
        done
        run den_on root ps -a --format '{{.ID}} {{.Names}}' --no-trunc
        assert_output "$winner same"
        run den_on root rm -f -t 0 same
        assert_success
        wait_clean root
        run store_leftovers root
        assert_output ""
}
