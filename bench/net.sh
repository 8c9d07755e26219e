#!/usr/bin/env bash
# Network benchmarks: den vs podman in the same run, as the unprivileged test user.
#
#   sudo bench/net.sh [--runs N] [--mib N]
#
# 1. Start-up cost of the default network: `run --rm IMAGE true` with slirp4netns and with
#    --network none, for den and for podman, the four in rotation N times (after 3 rounds of
#    warm-up). The network's cost is the difference of the two medians; the target is den's
#    cost at most podman's / 4.
# 2. Throughput of a published port: the host sends N MiB (default 1024) to a perl sink in
#    the Debian image (busybox's nc reads in small chunks and would be the bottleneck)
#    through `-p 127.0.0.1:PORT:9000`, with den's forwarder, with
#    slirp4netns's own handler (den), and with podman's default (rootlessport). MiB/s, best
#    of three each.
# podman runs with --runtime runc (Debian's crun refuses this machine's hybrid cgroups).
# Results: a summary, also written to bench/results/net-<date>.json.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
runs=20
mib=1024
while [ $# -gt 0 ]; do
        case $1 in
        --runs) runs=$2; shift 2 ;;
        --mib) mib=$2; shift 2 ;;
        *) echo "usage: $0 [--runs N] [--mib N]" >&2; exit 2 ;;
        esac
done

. "$here/lib.sh"
den="$build/cmd/den --root $work/den --runroot $work/den-run"
podman="podman --root $work/podman --runroot $work/podman-run --storage-driver overlay --runtime runc"
img=$DEN_TEST_REGISTRY/test/busybox:latest
deb=$DEN_TEST_REGISTRY/test/debian:bookworm
sink='use IO::Socket::INET; my $s = IO::Socket::INET->new(LocalPort => 9000, Listen => 1, ReuseAddr => 1) or die "$!"; my $c = $s->accept; 1 while sysread($c, my $b, 1 << 20);'
cleanup() {
        as_user $den rm -af -t 0 >/dev/null 2>&1 || true
        as_user $podman rm -af -t 0 >/dev/null 2>&1 || true
        as_user $den unshare rm -rf "$work/den" >/dev/null 2>&1 || true
        as_user $podman unshare rm -rf "$work/podman" >/dev/null 2>&1 || true
        rm -rf "$work"
}
trap cleanup EXIT
for i in "$img" "$deb"; do
        as_user $den pull -q --tls-verify=false "$i" >/dev/null
        as_user $podman pull -q --tls-verify=false "$i" >/dev/null
done

echo "== container start: default network (slirp4netns) vs --network none"
# The four commands in rotation, so that the machine's drift (large here) falls on all of them
# alike; medians, since a start-up now and then takes several times the usual.
cat >"$work/start.py" <<'PY'
import json, shlex, statistics, subprocess, sys, time
runs, warmup, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
cmds = dict(zip(sys.argv[4::2], (shlex.split(c) for c in sys.argv[5::2])))
times = {k: [] for k in cmds}
for i in range(warmup + runs):
    for name, argv in cmds.items():
        t = time.monotonic()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        if i >= warmup:
            times[name].append(time.monotonic() - t)
json.dump({"results": [{"command": k, "median": statistics.median(v), "mean": statistics.mean(v),
                        "times": v} for k, v in times.items()]}, open(out, "w"))
PY
chmod 0644 "$work/start.py"
as_user python3 "$work/start.py" "$runs" 3 "$work/start.json" \
        den-none "$den run --rm --network none $img true" \
        den-slirp "$den run --rm $img true" \
        podman-none "$podman run --rm --network none $img true" \
        podman-slirp "$podman run --rm $img true"

# --- throughput
cat >"$work/client.py" <<'PY'
import socket, sys, time
port, mib = int(sys.argv[1]), int(sys.argv[2])
deadline = time.time() + 20
while True:
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        # a forwarder accepts before the server listens: wait for a connection that stays
        s.settimeout(0.2)
        try:
            if s.recv(1) == b"":
                raise ConnectionError("closed")
        except socket.timeout:
            pass
        s.settimeout(None)
        break
    except (OSError, ConnectionError):
        if time.time() > deadline:
            sys.exit("no server on port %d" % port)
        time.sleep(0.05)
buf = b"\0" * (1 << 20)
t = time.monotonic()
for _ in range(mib):
    s.sendall(buf)
s.shutdown(socket.SHUT_WR)
s.recv(1)  # the server closes once it has read everything
dt = time.monotonic() - t
print("%.1f" % (mib / dt))
PY
chmod 0644 "$work/client.py"
free_port() {
        python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# throughput TOOL [run options...]: best MiB/s of three transfers
throughput() {
        local tool=$1 best=0 port v
        shift
        for _ in 1 2 3; do
                port=$(free_port)
                as_user $tool run -d --name tp "$@" -p "127.0.0.1:$port:9000" "$deb" \
                        perl -e "$sink" >/dev/null
                v=$(as_user python3 "$work/client.py" "$port" "$mib")
                as_user $tool rm -f -t 0 tp >/dev/null
                best=$(python3 -c "print(max($best, $v))")
        done
        echo "$best"
}
echo "== published port throughput ($mib MiB host -> container)"
tp_den=$(throughput "$den")
tp_den_slirp=$(throughput "$den" --network slirp4netns:port_handler=slirp4netns)
tp_podman=$(throughput "$podman")

python3 - "$work/start.json" "$tp_den" "$tp_den_slirp" "$tp_podman" "$here/results/net-$stamp.json" <<'PY'
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
tp_den, tp_den_slirp, tp_podman = map(float, sys.argv[2:5])
den_cost = r["den-slirp"] - r["den-none"]
pod_cost = r["podman-slirp"] - r["podman-none"]
print("  run --rm true, median ms: den none %.1f, den slirp4netns %.1f; podman none %.1f, podman slirp4netns %.1f"
      % tuple(1000 * r[k] for k in ("den-none", "den-slirp", "podman-none", "podman-slirp")))
print("  network start-up cost: den %.1f ms, podman %.1f ms (podman/den %.1fx; target >= 4x)"
      % (1000 * den_cost, 1000 * pod_cost, pod_cost / den_cost if den_cost > 0 else float("inf")))
print("  throughput MiB/s: den forwarder %.0f, den with slirp4netns's handler %.0f, podman %.0f"
      " (den/podman %.2fx; target >= 1x)" % (tp_den, tp_den_slirp, tp_podman, tp_den / tp_podman))
json.dump({"start_ms": {k: 1000 * v for k, v in r.items()},
           "net_cost_ms": {"den": 1000 * den_cost, "podman": 1000 * pod_cost},
           "throughput_mib_s": {"den": tp_den, "den_slirp_handler": tp_den_slirp, "podman": tp_podman}},
          open(sys.argv[5], "w"), indent=1)
PY
