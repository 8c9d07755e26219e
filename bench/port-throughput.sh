#!/bin/sh
# Bulk TCP transfer through a published port, host -> container, with den's forwarder
# (splice) and with slirp4netns's own port handler (port_handler=slirp4netns).
#
#   bench/port-throughput.sh [BUILD_DIR] [MIB]
#
# Uses the unit test driver (tests/unit/net-test-net setup ...) as the monitor stand-in; run
# as an unprivileged user it enters a user namespace of its own first. Prints MiB/s.
set -eu

build=${1:-build}
mib=${2:-1024}
drv=$(cd "$build" && pwd)/tests/unit/net-test-net
py=$(command -v python3)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

[ -x "$drv" ] || { echo "no $drv: build the unit tests first" >&2; exit 1; }

cat >"$tmp/server.py" <<'PY'
import os, socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 80))
s.listen(1)
open(sys.argv[1], "w").close()
c, _ = s.accept()
n = 0
while True:
    b = c.recv(1 << 20)
    if not b:
        break
    n += len(b)
c.sendall(str(n).encode())
c.close()
PY

cat >"$tmp/client.py" <<'PY'
import os, socket, sys, time
port, mib, ready = int(os.environ["HOST_PORT"]), int(sys.argv[1]), sys.argv[2]
deadline = time.time() + 10
while not os.path.exists(ready):
    if time.time() > deadline:
        sys.exit("server did not start")
    time.sleep(0.01)
buf = b"\0" * (1 << 20)
s = socket.create_connection(("127.0.0.1", port))
t = time.monotonic()
for _ in range(mib):
    s.sendall(buf)
s.shutdown(socket.SHUT_WR)
got = int(s.recv(64) or b"0")
dt = time.monotonic() - t
if got != mib << 20:
    sys.exit("server received %d bytes, sent %d" % (got, mib << 20))
print("%d MiB in %.2f s: %.0f MiB/s" % (mib, dt, mib / dt))
PY

run() {
        label=$1
        shift
        rm -f "$tmp/ready"
        printf '%-28s ' "$label"
        if [ "$(id -u)" = 0 ]; then set -- "$drv" setup "$@"; else set -- unshare --user --map-root-user "$drv" setup "$@"; fi
        "$@" -p 127.0.0.1::80 --serve "$py $tmp/server.py $tmp/ready" \
                --run "$py $tmp/client.py $mib $tmp/ready" | grep MiB/s
}

run "den forwarder (splice)"
run "slirp4netns port handler" --network slirp4netns:port_handler=slirp4netns
