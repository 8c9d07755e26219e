#!/usr/bin/env bash
# Container benchmarks: den vs podman (and the kernel floor where there is one), each pair in
# the same hyperfine run, as the unprivileged test user with stores in a temporary directory.
#
#   sudo bench/run.sh [--runs N]
#
#   run      `run --rm --network none IMAGE true`; the floor is ../shared/bench/floor-run.c
#            (user namespace through newuidmap/newgidmap, the other namespaces, overlay of the
#            image's layers, /proc, /dev, pivot_root, exec), compiled here
#   create   `create --rm --network none IMAGE true | xargs start -a`, both under `sh -c`
#   exec     `exec CTR true` in a running `sleep` container; the floor is nsenter into den's
#            container (user, mount, pid, net, ipc, uts); den is skipped while `den exec`
#            does not exist
#   ps       `ps -a` over 100 created containers (created untimed, before the run)
#   monitor  Pss of den-monitor and of conmon for the same detached `sleep` container
#            (/proc/PID/smaps_rollup, median of several samples)
#
# podman runs with its default runtime unless that cannot start a container here (crun
# refuses hybrid cgroup hierarchies), then with runc. Results: one hyperfine JSON per
# benchmark and the monitor samples under bench/results/run-<date>-*.json, and a table of
# means with the ratios podman/den and den/floor.
# $den and $podman are command lines, split into words on purpose
# shellcheck disable=SC1091,SC2086
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
runs=20
while [ $# -gt 0 ]; do
        case $1 in
        --runs)
                runs=$2
                shift 2
                ;;
        *) echo "usage: $0 [--runs N]" >&2; exit 2 ;;
        esac
done

. "$here/lib.sh"
img=$DEN_TEST_REGISTRY/test/busybox:latest

den="$build/cmd/den --root $work/den --runroot $work/den-run"
podman="podman --root $work/podman --runroot $work/podman-run --storage-driver overlay"

cleanup() {
        set +e
        as_user $den rm -f -a >/dev/null 2>&1
        as_user $podman rm -f -a -t 0 >/dev/null 2>&1
        as_user $den unshare rm -rf "$work/den" >/dev/null 2>&1
        as_user $podman unshare rm -rf "$work/podman" >/dev/null 2>&1
        rm -rf "$work"
}
trap cleanup EXIT

# hyperfine NAME ARGS...: one hyperfine run, its JSON kept as run-<stamp>-NAME.json
hf() {
        local name=$1
        shift
        echo "== $name"
        as_user hyperfine -N --warmup 3 --runs "$runs" --style basic \
                --export-json "$work/$name.json" "$@" | grep -E '^(Benchmark|  Time)'
        cp "$work/$name.json" "$here/results/run-$stamp-$name.json"
}

# Images, untimed. podman's default runtime is kept when it can run a container.
as_user $den pull -q --tls-verify=false "$img" >/dev/null
as_user $podman pull -q --tls-verify=false "$img" >/dev/null
if ! msg=$(as_user $podman run --rm --network none "$img" true 2>&1); then
        echo "podman's default runtime failed (${msg##*$'\n'}); using runc"
        podman="$podman --runtime runc"
        as_user $podman run --rm --network none "$img" true
fi
echo "den $(git -C "$repo" rev-parse --short HEAD), $(podman --version), $(nproc) cpus, runs $runs"

# The floor's lower directories: den's extracted layers of the image, top layer first. They
# were extracted under the same id mapping the floor sets up (own id as 0, subordinate from 1).
lower=$(python3 - "$work/den/images.json" "$work/den/layers" "$img" <<'PY'
import json, sys
imgs, layers, ref = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
rec = next(i for i in imgs if ref in i["names"])
print(":".join("%s/%s/diff" % (layers, d.split(":", 1)[1]) for d in reversed(rec["layers"])))
PY
)
floor_src=/work/shared/bench/floor-run.c
[ -f "$floor_src" ] || floor_src=$repo/../shared/bench/floor-run.c
cc -O2 -o "$work/floor-run" "$floor_src"
chmod o+rx "$work/floor-run"
as_user mkdir "$work/floor"

hf run \
        -n den "$den run --rm --network none $img true" \
        -n podman "$podman run --rm --network none $img true" \
        -n floor "$work/floor-run $lower $work/floor /bin/true"

hf create \
        -n den "sh -c '$den create --rm --network none $img true | xargs $den start -a'" \
        -n podman "sh -c '$podman create --rm --network none $img true | xargs $podman start -a'"

# exec and monitor: one detached sleep container in each store
as_user $den run -d --name bench-sleep --network none "$img" sleep 3600 >/dev/null
as_user $podman run -d --name bench-sleep --network none "$img" sleep 3600 >/dev/null
pid=$(as_user $den inspect --format '{{.State.Pid}}' bench-sleep)
den_mon=$(awk '{print $4}' "/proc/$pid/stat")
conmon=$(as_user $podman inspect --format '{{.State.ConmonPid}}' bench-sleep)
nsenter_cmd="nsenter -t $pid -U -m -p -n -i -u --preserve-credentials true"
if as_user $den exec --help >/dev/null 2>&1; then
        hf exec \
                -n den "$den exec bench-sleep true" \
                -n podman "$podman exec bench-sleep true" \
                -n floor "$nsenter_cmd"
else
        echo "exec: skipped: den exec not available (podman and nsenter measured)"
        hf exec \
                -n podman "$podman exec bench-sleep true" \
                -n floor "$nsenter_cmd"
fi

echo "== monitor"
[ "$(cat "/proc/$den_mon/comm")" = den-monitor ] || den_die "pid $den_mon is not den-monitor"
[ "$(cat "/proc/$conmon/comm")" = conmon ] || den_die "pid $conmon is not conmon"
python3 - "$den_mon" "$conmon" "$work/monitor.json" <<'PY'
import json, statistics, sys, time
def pss(pid):
    for line in open("/proc/%s/smaps_rollup" % pid):
        if line.startswith("Pss:"):
            return int(line.split()[1])
den, conmon, out = sys.argv[1:4]
s = {"den-monitor": [], "conmon": []}
for _ in range(7):
    s["den-monitor"].append(pss(den))
    s["conmon"].append(pss(conmon))
    time.sleep(0.3)
r = {k: {"pss_kb_samples": v, "pss_kb_median": statistics.median(v)} for k, v in s.items()}
json.dump(r, open(out, "w"), indent=1)
print("  den-monitor Pss %d kB, conmon Pss %d kB" % (r["den-monitor"]["pss_kb_median"], r["conmon"]["pss_kb_median"]))
PY
cp "$work/monitor.json" "$here/results/run-$stamp-monitor.json"
as_user $den rm -f bench-sleep >/dev/null
as_user $podman rm -f -t 0 bench-sleep >/dev/null

# ps -a over 100 containers in each store, created untimed
as_user sh -c "for i in \$(seq 100); do $den create --network none $img true >/dev/null || exit 1; done"
as_user sh -c "for i in \$(seq 100); do $podman create --network none $img true >/dev/null || exit 1; done"
[ "$(as_user $den ps -a -q | wc -l)" = 100 ] || den_die "den ps -a does not list 100 containers"
[ "$(as_user $podman ps -a -q | wc -l)" = 100 ] || den_die "podman ps -a does not list 100 containers"
hf ps \
        -n den "$den ps -a" \
        -n podman "$podman ps -a"

echo
python3 - "$here/results" "$stamp" <<'PY'
import json, os, sys
d, stamp = sys.argv[1:3]
cpu = {}
def load(name):
    p = os.path.join(d, "run-%s-%s.json" % (stamp, name))
    res = json.load(open(p))["results"]
    for r in res:
        cpu[(name, r["command"])] = (r["user"] + r["system"]) * 1000
    return {r["command"]: r["mean"] * 1000 for r in res}
rows = [("run --rm --network none true", "run", "podman/den >= 10, den/floor <= 1.5"),
        ("create + start -a", "create", ""),
        ("exec CTR true", "exec", "podman/den >= 10"),
        ("ps -a, 100 containers", "ps", "podman/den >= 20")]
ms = lambda v: "%.1f ms" % v if v is not None else "-"
x = lambda a, b: "%.2fx" % (a / b) if a is not None and b is not None else "-"
print("| benchmark | den | podman | floor | podman/den | den/floor | target |")
print("|---|---|---|---|---|---|---|")
for label, name, target in rows:
    m = load(name)
    den, pod, fl = m.get("den"), m.get("podman"), m.get("floor")
    print("| %s | %s | %s | %s | %s | %s | %s |" % (label, ms(den), ms(pod), ms(fl), x(pod, den), x(den, fl), target))
mon = json.load(open(os.path.join(d, "run-%s-monitor.json" % stamp)))
dm, cm = mon["den-monitor"]["pss_kb_median"], mon["conmon"]["pss_kb_median"]
print("| monitor Pss (median) | %d kB | %d kB (conmon) | - | %s | - | den/conmon <= 0.33 (%.2f) |" % (dm, cm, x(cm, dm), dm / cm))
print()
print("CPU time (user + system, mean per run; less sensitive to other load than wall time):")
for label, name, _ in rows:
    c = lambda k: ms(cpu.get((name, k)))
    print("  %-30s den %s, podman %s, floor %s" % (label, c("den"), c("podman"), c("floor")))
PY
