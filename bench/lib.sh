# Shared setup of the benchmarks (sourced after $here and $repo are set): a release build of
# den, the fixture registries, the unprivileged test user and its runtime directory, a work
# directory that user owns, and as_user to run a command as that user with a clean
# environment. Sets build, user, uid, work, stamp; the results directory exists.
. "$repo/tests/lib/common.sh"
den_need_root
build=${DEN_BENCH_BUILD:-$repo/build-bench}
if [ ! -x "$build/cmd/den" ]; then
        meson setup --buildtype=release -Db_ndebug=true "$build" "$repo" >/dev/null
fi
ninja -C "$build" >/dev/null
"$repo/tests/lib/host-setup" >/dev/null
"$repo/tests/lib/registries" start >/dev/null
. "${DEN_TEST_STATE:-/tmp/den-test-state}/env"
user=${DEN_TEST_USER:-dentest}
uid=$(id -u "$user")
install -d -o "$user" -g "$user" -m 0700 "/run/user/$uid"
work=$(mktemp -d /tmp/den-bench.XXXXXX)
chown "$user:" "$work"
chmod o+rx "$build" "$build/cmd"
mkdir -p "$here/results"
stamp=$(date +%Y%m%d-%H%M%S)
as_user() {
        runuser -u "$user" -- env -i HOME="$(getent passwd "$user" | cut -d: -f6)" USER="$user" \
                PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
                XDG_RUNTIME_DIR="/run/user/$uid" "$@"
}
