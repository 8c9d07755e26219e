#!/usr/bin/env bash
# Pull benchmark: den vs podman vs the floor (curl + sha256sum + tar, layers in parallel),
# pulling into an empty store from the local registry, in the same hyperfine run.
#
#   sudo bench/pull.sh [--runs N] [--settle SECS]
#
# --settle waits SECS after emptying each store, before the timed pull: on an ext4 without a
# journal (this machine's), inodes freed in the last 30 seconds slow every allocation in
# their block group, which hits whichever tool pulls right after a removal (docs/performance.md).
#
# Images: test/debian (debootstrap --variant=minbase, one layer) and bench/pyfiles (python's
# standard library and the C headers of this machine, two layers of many small files). Both
# are pushed to the plain test registry as bench/<name>:latest. Results: a table of means and
# the ratios den/podman and den/floor, also written to bench/results/pull-<date>-<image>.json.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
runs=5
settle=0
while [ $# -gt 0 ]; do
        case $1 in
        --runs) runs=$2; shift 2 ;;
        --settle) settle=$2; shift 2 ;;
        *) echo "usage: $0 [--runs N] [--settle SECS]" >&2; exit 2 ;;
        esac
done

. "$here/lib.sh"
R=$DEN_TEST_REGISTRY

# bench/pyfiles: two gzip layers built from this machine's files, pushed once per registry
if ! skopeo inspect --tls-verify=false "docker://$R/bench/pyfiles:latest" >/dev/null 2>&1; then
        "$here/make-dirs-image.sh" "$R/bench/pyfiles:latest" /usr/lib/python3.11 /usr/include
fi
skopeo copy -q --src-tls-verify=false --dest-tls-verify=false \
        "docker://$R/test/debian:bookworm" "docker://$R/bench/debian:latest"

out=$work/pull
den="$build/cmd/den --root $work/den --runroot $work/den-run"
podman="podman --root $work/podman --runroot $work/podman-run --storage-driver overlay"
floor=/work/shared/bench/floor-pull.sh
[ -x "$floor" ] || floor=$repo/../shared/bench/floor-pull.sh
for img in debian pyfiles; do
        ref=$R/bench/$img:latest
        echo "== $img"
        as_user hyperfine --runs "$runs" --warmup 1 --export-json "$out-$img.json" \
                --prepare "$den unshare rm -rf $work/den; sleep $settle" \
                -n den "$den pull -q --tls-verify=false $ref" \
                --prepare "$podman unshare rm -rf $work/podman; sleep $settle" \
                -n podman "$podman pull -q --tls-verify=false $ref" \
                --prepare "rm -rf $work/floor; sleep $settle" \
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
# podman keeps its overlay directory mounted on itself in its namespace
as_user $podman unshare sh -c "umount -l '$work/podman/overlay' 2>/dev/null; rm -rf '$work/podman'" || true
rm -rf "$work"
