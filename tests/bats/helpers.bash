# Loaded by every .bats file with `load helpers`.
#
# Gives: bats-support, bats-assert and bats-file; the registries' and fixtures' variables
# (DEN_TEST_*, from the env file tests/lib/registries writes); and
#   DEN                    the den binary (env DEN, default build/cmd/den)
#   run_den [RUN-FLAGS] ARGS...
#                          bats `run` of den with a per-test store (--root
#                          $BATS_TEST_TMPDIR/root --runroot $BATS_TEST_TMPDIR/run); leading
#                          `run` flags pass through: run_den -125 pull x,
#                          run_den --separate-stderr images, run_den ! rmi x
#   den_raw ARGS...        den with the same store, without `run` (for pipes, &, $(...))
#   skip_strict REASON     skip, except with DEN_TEST_STRICT=1 (CI), where it fails
#   need PROGRAM           skip_strict unless PROGRAM is installed
#   registries_conf [TEXT] write a registries.conf marking the plain registry insecure (TEXT
#                          first: top-level keys and tables of the test's own) and export
#                          CONTAINERS_REGISTRIES_CONF for this test
#   store_snapshot [ROOT]  list the store tree (path, type, size, owner, mode, link target)
#   free_port              a TCP port of 127.0.0.1 nobody listens on
#   seed_store             pull the busybox fixture into the test's store (so that a
#                          store_snapshot afterwards covers an existing, populated store)
#   busybox_setup          a setup: IMG is the busybox fixture, pulled into the test's store
#   containers_teardown    a teardown: removes every container of the test's store (-f, no
#                          stop timeout), then den_cleanup_store

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert
bats_load_library bats-file

DEN_TEST_REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
DEN=${DEN:-$DEN_TEST_REPO/build/cmd/den}
DEN_TEST_ENV=${DEN_TEST_ENV:-/tmp/den-test-state/env}
DEN_TEST_TIMEOUT=${DEN_TEST_TIMEOUT:-120}
export DEN DEN_TEST_REPO DEN_TEST_ENV

if [ -r "$DEN_TEST_ENV" ]; then
        # shellcheck source=/dev/null
        source "$DEN_TEST_ENV"
else
        echo "helpers: no fixture environment at $DEN_TEST_ENV (run tests/run, or tests/lib/registries start)" >&2
        return 1
fi

den_raw() {
        timeout --kill-after=10 "$DEN_TEST_TIMEOUT" \
                "$DEN" --root "$BATS_TEST_TMPDIR/root" --runroot "$BATS_TEST_TMPDIR/run" "$@"
}

run_den() {
        local flags=()
        while [ $# -gt 0 ]; do
                case $1 in
                '!' | -[0-9] | -[0-9][0-9] | -[0-9][0-9][0-9] | --keep-empty-lines | --separate-stderr)
                        flags+=("$1")
                        shift
                        ;;
                --)
                        shift
                        break
                        ;;
                *) break ;;
                esac
        done
        run "${flags[@]}" -- den_raw "$@"
}

skip_strict() {
        if [ "${DEN_TEST_STRICT:-0}" = 1 ]; then
                fail "not skipped in strict mode (DEN_TEST_STRICT=1): $*"
        fi
        skip "$@"
}

# need PROGRAM: skips (fails in strict mode) when PROGRAM is not installed
need() {
        command -v "$1" >/dev/null || skip_strict "$1 is not installed (.ci/install-deps installs it)"
}

registries_conf() {
        local f=$BATS_TEST_TMPDIR/registries.conf
        {
                [ $# -eq 0 ] || printf '%s\n\n' "$1"
                printf '[[registry]]\nlocation = "%s"\ninsecure = true\n' "$DEN_TEST_REGISTRY"
        } >"$f"
        export CONTAINERS_REGISTRIES_CONF=$f
}

store_snapshot() {
        local root=${1:-$BATS_TEST_TMPDIR/root}
        [ -d "$root" ] || return 0
        (
                cd "$root" || exit 1
                # Directories that belong to container users may be unreadable from outside
                # the user namespace; what can be seen is listed, the same way every time.
                find . -mindepth 1 \( -type f -printf '%p f %s %U:%G %m\n' \) -o \
                        \( -type l -printf '%p l %l %U:%G\n' \) -o \
                        \( -printf '%p %y - %U:%G %m\n' \) 2>/dev/null | LC_ALL=C sort
        )
}

free_port() {
        python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

seed_store() {
        den_raw pull -q --tls-verify=false "$DEN_TEST_REGISTRY/test/busybox:latest" >/dev/null
}

# The test's store holds files of container users (subordinate ids) that only den's user
# namespace can remove; every test ends by removing it there. A file with a teardown of its
# own calls den_cleanup_store from it.
den_cleanup_store() {
        local d
        for d in "$BATS_TEST_TMPDIR"/root* "$BATS_TEST_TMPDIR"/r[0-9]*; do
                [ -d "$d" ] || continue
                timeout 60 "$DEN" --root "$d" --runroot "$BATS_TEST_TMPDIR/run" \
                        unshare rm -rf "$d" >/dev/null 2>&1 || true
        done
        # a test that gave den a runtime directory of its own got a user namespace holder
        # of its own there: stopped with the test, so that none outlives the suite
        if [ -n "${XDG_RUNTIME_DIR:-}" ] && [ "$XDG_RUNTIME_DIR" != "/run/user/$(id -u)" ]; then
                timeout 60 "$DEN" system migrate >/dev/null 2>&1 || true
        fi
}

busybox_setup() {
        IMG=$DEN_TEST_REGISTRY/test/busybox:latest
        run_den pull -q --tls-verify=false "$IMG"
        assert_success
}

containers_teardown() {
        den_raw rm -a -f -t 0 >/dev/null 2>&1 || true
        den_cleanup_store
}

teardown() {
        den_cleanup_store
}
