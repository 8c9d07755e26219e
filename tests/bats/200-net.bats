#!/usr/bin/env bats
# Container networking (net/) as an unprivileged user, without `den run`: the unit test
# program tests/unit/net/test-net.c stands in for the monitor. Inside `unshare --user
# --map-root-user` it is root in a user namespace of its own, as den's monitor is, and
# creates the container's network namespace itself.

load helpers

setup() {
        NET_TEST=${DEN_NET_TEST:-$(dirname "$DEN")/../tests/unit/net-test-net}
        [ -x "$NET_TEST" ] || skip_strict "no $NET_TEST (build the unit tests)"
        command -v slirp4netns >/dev/null || skip_strict "slirp4netns is not installed"
        unshare --user --map-root-user true 2>/dev/null || skip_strict "no unprivileged user namespaces"
}

net_test() {
        run timeout --kill-after=10 200 unshare --user --map-root-user "$NET_TEST" "$@"
}

@test "net: slirp4netns, published TCP and UDP ports, host loopback, cleanup" {
        net_test
        assert_success
        refute_output --partial "not ok"
        refute_output --partial "SKIP"
        assert_line --regexp '^1\.\.[0-9]+$'
}

@test "net: published ports are listed and nothing is left running" {
        net_test setup -p 127.0.0.1::80 -p 127.0.0.1::53/udp
        assert_success
        assert_line --regexp '^127\.0\.0\.1:[0-9]+->80/tcp$'
        assert_line --regexp '^127\.0\.0\.1:[0-9]+->53/udp$'
        assert_line "tap0: ok"
        assert_line "left: 0"
}

@test "net: a host port in use fails the setup, as podman says it" {
        local port
        port=$(free_port)
        net_test setup -p "127.0.0.1:$port:80" -p "127.0.0.1:$port:81"
        assert_failure 125
        assert_line "Error: rootlessport listen tcp 127.0.0.1:$port: bind: Address already in use"
        assert_line "left: 0"
}

@test "net: a privileged host port gives podman's hint" {
        [ "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)" -gt 80 ] ||
                skip "port 80 is not privileged here"
        net_test setup -p 127.0.0.1:80:80
        assert_failure 125
        assert_output --partial "Error: rootlessport cannot expose privileged port 80, you can add 'net.ipv4.ip_unprivileged_port_start=80' to /etc/sysctl.conf (currently"
        assert_output --partial "listen tcp 127.0.0.1:80: bind: Permission denied"
        assert_line "left: 0"
}

@test "net: slirp4netns's own port handler" {
        net_test setup --network slirp4netns:port_handler=slirp4netns -p 127.0.0.1::80
        assert_success
        assert_line --regexp '^127\.0\.0\.1:[0-9]+->80/tcp$'
        assert_line "tap0: ok"
        assert_line "left: 0"
}

@test "net: bad slirp4netns options are refused with podman's messages" {
        net_test setup --network slirp4netns:mtu=abc
        assert_failure 125
        assert_line 'Error: invalid mtu "abc"'
        net_test setup --network slirp4netns:foo
        assert_failure 125
        assert_line 'Error: unknown option for slirp4netns: "foo"'
}
