#!/usr/bin/env bash
# Pull benchmark: den vs podman vs the floor (curl + sha256sum + tar, layers in parallel),
# pulling into an empty store from the local registry, in the same hyperfine run.
#
#   sudo bench/pull.sh [--runs N]
#
# Images: test/debian (debootstrap --variant=minbase, one layer) and bench/pyfiles (python's
# standard library and the C headers of this machine, two layers of many small files). Both
# are pushed to the plain test registry as bench/<name>:latest. Results: a table of means and
# the ratios den/podman and den/floor, also written to bench/results/pull-<date>-<image>.json.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
. "$repo/tests/lib/common.sh"
den_need_root
runs=5
[ "${1:-}" = --runs ] && runs=$2

build=${DEN_BENCH_BUILD:-$repo/build-bench}
if [ ! -x "$build/cmd/den" ]; then
        meson setup --buildtype=release -Db_ndebug=true "$build" "$repo" >/dev/null
fi
ninja -C "$build" >/dev/null
"$repo/tests/lib/host-setup" >/dev/null
"$repo/tests/lib/registries" start >/dev/null
. "${DEN_TEST_STATE:-/tmp/den-test-state}/env"
R=$DEN_TEST_REGISTRY
user=${DEN_TEST_USER:-dentest}
uid=$(id -u "$user")
install -d -o "$user" -g "$user" -m 0700 "/run/user/$uid"

# bench/pyfiles: two gzip layers built from this machine's files, pushed once per registry
if ! skopeo inspect --tls-verify=false "docker://$R/bench/pyfiles:latest" >/dev/null 2>&1; then
        "$here/make-dirs-image.sh" "$R/bench/pyfiles:latest" /usr/lib/python3.11 /usr/include
fi
skopeo copy -q --src-tls-verify=false --dest-tls-verify=false \
        "docker://$R/test/debian:bookworm" "docker://$R/bench/debian:latest"

work=$(mktemp -d /tmp/den-bench.XXXXXX)
chown "$user:" "$work"
chmod o+rx "$build" "$build/cmd"
mkdir -p "$here/results"
stamp=$(date +%Y%m%d-%H%M%S)
out=$work/pull
as_user() {
        runuser -u "$user" -- env -i HOME="$(getent passwd "$user" | cut -d: -f6)" USER="$user" \
                PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
                XDG_RUNTIME_DIR="/run/user/$uid" "$@"
}
den="$build/cmd/den --root $work/den --runroot $work/den-run"
podman="podman --root $work/podman --runroot $work/podman-run --storage-driver overlay"
floor=/work/shared/bench/floor-pull.sh
[ -x "$floor" ] || floor=$repo/../shared/bench/floor-pull.sh
for img in debian pyfiles; do
        ref=$R/bench/$img:latest
        echo "== $img"
        as_user hyperfine --runs "$runs" --warmup 1 --export-json "$out-$img.json" \
                --prepare "$den unshare rm -rf $work/den; true" \
                -n den "$den pull -q --tls-verify=false $ref" \
                --prepare "$podman unshare rm -rf $work/podman; true" \
                -n podman "$podman pull -q --tls-verify=false $ref" \
                --prepare "rm -rf $work/floor" \
                -n floor "bash $floor $R bench/$img $work/floor"
        python3 - "$out-$img.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
m = {k: v["mean"] for k, v in r.items()}
print("  den %.3f s  podman %.3f s  floor %.3f s" % (m["den"], m["podman"], m["floor"]))
print("  podman/den = %.2fx   den/floor = %.2fx" % (m["podman"] / m["den"], m["den"] / m["floor"]))
PY
        cp "$out-$img.json" "$here/results/pull-$stamp-$img.json"
done
as_user $den unshare rm -rf "$work/den" || true
as_user $podman unshare rm -rf "$work/podman" || true
rm -rf "$work"
