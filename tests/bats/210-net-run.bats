#!/usr/bin/env bats
# Networking through `den run` as the unprivileged user: slirp4netns, published TCP and UDP
# ports with den's forwarder and with slirp4netns's handler, host loopback, the network modes,
# the name files, and that nothing of the network outlives its container.

load helpers

IMG=

setup() {
    command -v slirp4netns >/dev/null || skip_strict "slirp4netns is not installed"
    busybox_setup
}

teardown() {
    local pid
    for pid in ${HOST_PIDS:-}; do
        kill "$pid" 2>/dev/null || true
    done
    "$DEN" --root "$BATS_TEST_TMPDIR/root" --runroot "$BATS_TEST_TMPDIR/run" rm -af -t 0 >/dev/null 2>&1 || true
    den_cleanup_store
}

# The slirp4netns processes of this user, one pid per line.
slirp_pids() {
    pgrep -u "$(id -u)" -x slirp4netns | sort || true
}

# No slirp4netns runs that was not running when $1 was taken (those of earlier tests may
# still be on their way out).
no_new_slirp() {
    [ -z "$(comm -13 <(echo "$1") <(slirp_pids))" ]
}

# Serves a page with text $1 from the host's 127.0.0.1 on a free port, left in $PORT.
host_page() {
    local dir=$BATS_TEST_TMPDIR/hostweb
    mkdir -p "$dir"
    echo "$1" >"$dir/page"
    PORT=$(free_port)
    python3 -m http.server --bind 127.0.0.1 --directory "$dir" "$PORT" >/dev/null 2>&1 &
    HOST_PIDS=$!
    retry curl -sf "http://127.0.0.1:$PORT/page"
}

# Retries a host-side check until it succeeds (a server in a container needs a moment to
# listen); the check's output is left in $output.
retry() {
    local i
    for i in $(seq 100); do
        if output=$("$@" 2>&1); then
            return 0
        fi
        sleep 0.1
    done
    echo "gave up on: $* ($output)" >&2
    return 1
}

# A web root with one page, served by busybox httpd on port 8080 in the container.
HTTPD='mkdir -p /www && echo "hello from $(hostname)" > /www/index.html && exec httpd -f -p 8080 -h /www'

@test "net run: the default network is slirp4netns with podman's addresses and MTU" {
    run_den run --rm "$IMG" sh -c 'ip -4 addr show tap0; ip route; cat /sys/class/net/tap0/mtu'
    assert_success
    assert_output --partial "inet 10.0.2.100/24"
    assert_output --partial "default via 10.0.2.2 dev tap0"
    assert_line "65520"
    # lo is up, in den's user namespace and in one of the container's own
    for userns in "" "--uidmap=0:1:5000 --gidmap=0:1:5000"; do
        run_den run --rm --hostname lo-test $userns "$IMG" sh -c \
            'ip link show lo; httpd -p 127.0.0.1:8080 -h /etc && wget -q -O - http://127.0.0.1:8080/hostname'
        assert_success
        assert_output --partial "<LOOPBACK,UP,LOWER_UP>"
        assert_line "lo-test"
    done
}

@test "net run: the container's root may bind port 80, also in a user namespace of its own" {
    # the network namespace belongs to the user namespace the container's root is root of
    run_den run --rm "$IMG" sh -c 'httpd -p 80 -h / && echo bound; cat /sys/class/net/tap0/mtu'
    assert_success
    assert_output "bound
65520"
    run_den run --rm --uidmap 0:1:5000 --gidmap 0:1:5000 "$IMG" \
        sh -c 'ip -4 addr show tap0 | grep -o "inet [0-9./]*"; httpd -p 80 -h / && echo bound'
    assert_success
    assert_output "inet 10.0.2.100/24
bound"
}

@test "net run: a published TCP port reaches busybox httpd, also as a non-root container user" {
    local port
    port=$(free_port)
    run_den run -d --name web -p "127.0.0.1:$port:8080" "$IMG" sh -c "$HTTPD"
    assert_success
    local id=$output
    retry curl -sf "http://127.0.0.1:$port/index.html"
    # the page names the container's hostname: its short id
    [ "$output" = "hello from ${id:0:12}" ]

    port=$(free_port)
    run_den run -d --name webuser -u 1000:1000 -p "127.0.0.1:$port:8080" "$IMG" \
        sh -c 'mkdir -p /tmp/www && id -u > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www'
    assert_success
    retry curl -sf "http://127.0.0.1:$port/index.html"
    [ "$output" = "1000" ]
}

@test "net run: busybox nc behind a published port talks both ways" {
    local port
    port=$(free_port)
    run_den run -d --name ncsrv -p "127.0.0.1:$port:9000" "$IMG" sh -c 'echo from-container | nc -l -p 9000'
    assert_success
    retry python3 - "$port" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"from-host\n")
data = b""
while not data.endswith(b"\n"):
    chunk = s.recv(100)
    if not chunk:
        break
    data += chunk
if data != b"from-container\n":
    sys.exit("got %r" % data)
print(data.decode().strip())
EOF
    [ "$output" = from-container ]
    run_den wait ncsrv
    assert_output "0"
    run_den logs ncsrv
    assert_output "from-host"
}

@test "net run: a published UDP port, with den's forwarder and with slirp4netns's handler" {
    [ -n "${DEN_TEST_DEBIAN_READY:-}" ] || skip_strict "no Debian fixture image"
    local deb=$DEN_TEST_REGISTRY/test/debian:bookworm port
    run_den pull -q --tls-verify=false "$deb"
    assert_success
    # an echo server that logs what it gets (perl-base is in the minbase image; busybox's nc
    # has no UDP)
    local echo='use IO::Socket::INET; $| = 1; my $s = IO::Socket::INET->new(LocalPort => 5353, Proto => "udp") or die "$!"; while (1) { my $peer = $s->recv(my $m, 512); print "got $m\n"; $s->send("echo:$m", 0, $peer); }'
    local client='import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.5)
s.sendto(sys.argv[2].encode(), ("127.0.0.1", int(sys.argv[1])))
print(s.recv(100).decode())'

    # den's forwarder: both ways
    port=$(free_port)
    run_den run -d --name udpden -p "127.0.0.1:$port:5353/udp" "$deb" perl -e "$echo"
    assert_success
    retry python3 -c "$client" "$port" ping
    [ "$output" = "echo:ping" ]
    run_den port udpden
    assert_output "5353/udp -> 127.0.0.1:$port"

    # slirp4netns's handler delivers the datagram (its replies do not come back to the
    # host's client, with podman as with den: libslirp's UDP forwarding)
    port=$(free_port)
    run_den run -d --name udpslirp --network slirp4netns:port_handler=slirp4netns \
        -p "127.0.0.1:$port:5353/udp" "$deb" perl -e "$echo"
    assert_success
    retry sh -c 'python3 -c "$1" "$2" hello >/dev/null 2>&1; "$3" --root "$4/root" --runroot "$4/run" logs udpslirp | grep -qx "got hello"' \
        _ "$client" "$port" "$DEN" "$BATS_TEST_TMPDIR"
    run_den port udpslirp
    assert_output "5353/udp -> 127.0.0.1:$port"
}

@test "net run: host loopback (10.0.2.2) only with allow_host_loopback=true" {
    host_page "on the host"

    run_den run --rm --network slirp4netns:allow_host_loopback=true "$IMG" \
        timeout 5 wget -q -O - "http://10.0.2.2:$PORT/page"
    assert_success
    assert_output "on the host"

    run_den run --rm "$IMG" timeout 3 wget -q -O - "http://10.0.2.2:$PORT/page"
    assert_failure
    refute_output --partial "on the host"
}

@test "net run: --network none and host start no slirp4netns" {
    local before
    before=$(slirp_pids)
    run_den run -d --name quiet --network none "$IMG" sleep 100
    assert_success
    run_den run --rm --network none "$IMG" ls /sys/class/net
    assert_output "lo"
    # lo is up, as podman has it, with den's runtime and with runc
    for rt in "" "--runtime runc"; do
        run_den run --rm --network none $rt "$IMG" sh -c \
            'ip link show lo; httpd -p 127.0.0.1:8080 -h /etc && wget -q -O - http://127.0.0.1:8080/passwd'
        assert_success
        assert_output --partial "<LOOPBACK,UP,LOWER_UP>"
        assert_line --regexp "^root:x:0:0:"
    done
    no_new_slirp "$before"

    # host: the host's interfaces and its loopback, directly
    host_page "direct"
    run_den run --rm --network host "$IMG" timeout 5 wget -q -O - "http://127.0.0.1:$PORT/page"
    assert_success
    assert_output "direct"
    no_new_slirp "$before"
}

@test "net run: container: shares another container's network namespace" {
    run_den run -d --name srv "$IMG" sh -c "$HTTPD"
    assert_success
    local before
    before=$(slirp_pids)
    run_den run --rm --network container:srv "$IMG" sh -c \
        'for i in $(seq 50); do wget -q -O - http://127.0.0.1:8080/index.html && exit 0; sleep 0.1; done; exit 1'
    assert_success
    assert_output --regexp "^hello from "
    run_den run --rm --network container:srv "$IMG" ip -4 addr show tap0
    assert_output --partial "10.0.2.100/24"
    # the sharer started no network of its own
    no_new_slirp "$before"

    run_den run --rm --network container:nosuch "$IMG" true
    assert_failure 125
    assert_output --partial "nosuch"
}

@test "net run: /etc/hosts, /etc/resolv.conf and /etc/hostname" {
    run_den run --rm --hostname box1 --add-host db.example:192.0.2.7 \
        --dns 192.0.2.53 --dns-search example.org --dns-option ndots:2 "$IMG" \
        sh -c 'cat /etc/hosts; echo ---; cat /etc/resolv.conf; echo ---; cat /etc/hostname; echo ---; grep -E " /etc/(hosts|resolv.conf|hostname) " /proc/mounts | cut -d" " -f2 | sort'
    assert_success
    assert_line --regexp '^127\.0\.0\.1[[:space:]]+localhost'
    assert_line --regexp '^192\.0\.2\.7[[:space:]]+db\.example$'
    # the host's address, as podman gives it
    assert_line --regexp '^[0-9.]+[[:space:]]+host\.containers\.internal'
    assert_line --regexp '^10\.0\.2\.100[[:space:]]+box1'
    assert_line "nameserver 192.0.2.53"
    assert_line "search example.org"
    assert_line "options ndots:2"
    assert_line "box1"
    # bind-mounted from the container's bundle, not written into its layer
    assert_line "/etc/hostname"
    assert_line "/etc/hosts"
    assert_line "/etc/resolv.conf"

    # the defaults: the host's nameservers, or slirp4netns's forwarder for loopback ones
    run_den run --rm "$IMG" cat /etc/resolv.conf
    assert_success
    local ns
    ns=$(awk '$1 == "nameserver" { print $2 }' /etc/resolv.conf | grep -Ev '^(127\.|::1$)' | head -1)
    if [ -n "$ns" ]; then
        assert_line "nameserver $ns"
    else
        assert_line "nameserver 10.0.2.3"
    fi
    # and the image's own files are untouched
    run_den run --rm --network none "$IMG" sh -c 'grep -c box1 /etc/hosts || true'
    assert_output "0"
}

@test "net run: ps, port and inspect show the published ports" {
    local p1 p2
    p1=$(free_port)
    p2=$(free_port)
    run_den run -d --name ports -p "127.0.0.1:$p1:8080" -p "127.0.0.1:$p2:53/udp" "$IMG" sleep 100
    assert_success
    run_den port ports
    assert_success
    assert_line "8080/tcp -> 127.0.0.1:$p1"
    assert_line "53/udp -> 127.0.0.1:$p2"
    run_den port ports 8080
    assert_output "127.0.0.1:$p1"
    run_den ps --format '{{.Names}} {{.Ports}}'
    assert_output --partial "ports "
    assert_output --partial "127.0.0.1:$p1->8080/tcp"
    assert_output --partial "127.0.0.1:$p2->53/udp"
    run_den inspect --format '{{json .NetworkSettings.Ports}}' ports
    assert_success
    assert_output --partial "\"8080/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"$p1\"}]"
    assert_output --partial "\"53/udp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"$p2\"}]"

    # a random host port is chosen, recorded and reachable
    run_den run -d --name rnd -p 127.0.0.1::8080 "$IMG" sh -c "$HTTPD"
    assert_success
    run_den port rnd 8080/tcp
    assert_success
    assert_output --regexp '^127\.0\.0\.1:[0-9]+$'
    local hp=${output##*:}
    [ "$hp" -gt 0 ]
    retry curl -sf "http://127.0.0.1:$hp/index.html"
    assert_output --regexp "^hello from "
}

@test "net run: -P publishes the image's EXPOSE on random ports" {
    # an image that exposes 8080/tcp, made with import --change
    run bash -c "'$DEN' --root '$BATS_TEST_TMPDIR/root' --runroot '$BATS_TEST_TMPDIR/run' run --rm --network none '$IMG' tar -C / -cf - bin etc | '$DEN' --root '$BATS_TEST_TMPDIR/root' --runroot '$BATS_TEST_TMPDIR/run' import --change 'EXPOSE 8080/tcp' - exposed:latest"
    assert_success
    run_den run -d --name pub -P localhost/exposed:latest sh -c "$HTTPD"
    assert_success
    run_den port pub 8080/tcp
    assert_success
    assert_output --regexp '^0\.0\.0\.0:[0-9]+$'
    local hp=${output##*:}
    retry curl -sf "http://127.0.0.1:$hp/index.html"
    assert_output --regexp "^hello from "
}

@test "net run: a host port in use fails before the container runs, leaving nothing" {
    local port before
    port=$(free_port)
    python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); time.sleep(600)' "$port" &
    HOST_PIDS=$!
    retry python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)' "$port"
    before=$(slirp_pids)
    run_den run --name busy -p "127.0.0.1:$port:80" "$IMG" sh -c 'echo should-not-run'
    assert_failure 125
    assert_output --partial "rootlessport listen tcp 127.0.0.1:$port: bind: Address already in use"
    refute_output --partial should-not-run
    no_new_slirp "$before"
    run_den ps -a --format '{{.Names}} {{.State}}'
    refute_output --partial "busy running"
}

@test "net run: malformed -p and --network values are den's errors (125)" {
    local bad
    for bad in "abc" "80:" "1:2:3:4" "70000:80" "8080:80/sctpx" "127.0.0.1:8080-8081:80-82"; do
        run_den run --rm -p "$bad" "$IMG" true
        assert_failure 125
        assert_output --regexp '^Error: '
    done
    run_den run --rm --network bogus "$IMG" true
    assert_failure 125
    assert_output --regexp '^Error: '
    run_den run --rm --network slirp4netns:mtu=abc "$IMG" true
    assert_failure 125
    run_den ps -a -q
    assert_output ""
}

@test "net run: no slirp4netns or forwarder remains after stop, rm -f, or the container's exit" {
    local before port
    before=$(slirp_pids)
    port=$(free_port)
    run_den run -d --name a -p "127.0.0.1:$port:8080" "$IMG" sleep 100
    assert_success
    run no_new_slirp "$before"
    assert_failure
    run_den stop -t 0 a
    assert_success
    retry no_new_slirp "$before"
    # the host port is free again
    python3 -c 'import socket, sys; s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1])))' "$port"

    run_den run -d --name b -p "127.0.0.1:$port:8080" "$IMG" sleep 100
    assert_success
    run_den rm -f b
    assert_success
    retry no_new_slirp "$before"

    run_den run --name c -p "127.0.0.1:$port:8080" "$IMG" sh -c 'exit 4'
    assert_failure 4
    retry no_new_slirp "$before"
    python3 -c 'import socket, sys; s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1])))' "$port"
}

@test "net run: without slirp4netns in PATH the default network is a clear error (125)" {
    local bin=$BATS_TEST_TMPDIR/bin p
    mkdir "$bin"
    for p in timeout newuidmap newgidmap fuse-overlayfs; do
        ln -s "$(command -v "$p")" "$bin/$p"
    done
    # the same PATH is enough for a container without a network
    PATH=$bin run_den run --rm --network none "$IMG" true
    assert_success
    PATH=$bin run_den run --rm "$IMG" true
    assert_failure 125
    assert_output --partial 'start slirp4netns: slirp4netns was not found in $PATH'
    assert_equal "$(echo "$output" | grep -c .)" 1
    run_den ps -a -q
    assert_output ""
}
