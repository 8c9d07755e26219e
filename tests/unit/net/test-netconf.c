/* net_config (--network, -p, -P, JSON) and net_files_write. Expected messages are podman
 * 4.3's, taken from `podman run -p ...` and `podman run --network ...`. */
#include "net/net.h"
#include "tap.h"

#include <sys/stat.h>

struct pub_case {
        const char *spec;
        const char *host_ip;
        int host_port, ctr_port, range;
        const char *proto;
};

static const struct pub_case good[] = {
        { "80", "", 0, 80, 1, "tcp" },
        { "8080:80", "", 8080, 80, 1, "tcp" },
        { "127.0.0.1:8080:80", "127.0.0.1", 8080, 80, 1, "tcp" },
        { "0.0.0.0:8080:80", "", 8080, 80, 1, "tcp" },
        { "127.0.0.1::80", "127.0.0.1", 0, 80, 1, "tcp" },
        { ":80", "", 0, 80, 1, "tcp" },
        { "8000-8010:80-90", "", 8000, 80, 11, "tcp" },
        { "80-82", "", 0, 80, 3, "tcp" },
        { "8080:80/udp", "", 8080, 80, 1, "udp" },
        { "8080:80/TCP", "", 8080, 80, 1, "tcp" },
        { "[::1]:8080:80", "::1", 8080, 80, 1, "tcp" },
        { "[::1]::80/udp", "::1", 0, 80, 1, "udp" },
        { "[1.2.3.4]:80:80", "1.2.3.4", 80, 80, 1, "tcp" },
        { "[fd00:0::2]:80:80", "fd00::2", 80, 80, 1, "tcp" },
        { "08080:080", "", 8080, 80, 1, "tcp" },
        { "+80", "", 0, 80, 1, "tcp" },
        { "65535", "", 0, 65535, 1, "tcp" },
        { "1:1", "", 1, 1, 1, "tcp" },
};

struct bad_case {
        const char *spec;
        const char *msg;
};

static const struct bad_case bad[] = {
        { ":", "must provide a non-empty container port to publish" },
        { "8080:", "must provide a non-empty container port to publish" },
        { "/udp", "must provide a non-empty container port to publish" },
        { "abc", "parsing container port: invalid port number: strconv.Atoi: parsing \"abc\": "
                 "invalid syntax" },
        { " 80", "parsing container port: invalid port number: strconv.Atoi: parsing \" 80\": "
                 "invalid syntax" },
        { "80/foo", "unrecognized protocol \"foo\" in port mapping" },
        { "8080:80/", "must provide a non-empty protocol to publish" },
        { "8080:80/tcp/udp", "invalid port format - protocol can only be specified once" },
        { "0:80", "parsing host port: port numbers must be between 1 and 65535 (inclusive), got "
                  "0" },
        { "70000:80", "parsing host port: port numbers must be between 1 and 65535 "
                      "(inclusive), got 70000" },
        { "99999999999:80", "parsing host port: port numbers must be between 1 and 65535 "
                            "(inclusive), got 99999999999" },
        { "8080:0", "parsing container port: port numbers must be between 1 and 65535 "
                    "(inclusive), got 0" },
        { "8000-8010:80-85", "host and container port ranges have different lengths: 11 vs 6" },
        { "8000-8010:80", "host and container port ranges have different lengths: 11 vs 1" },
        { "8080:80-81", "host and container port ranges have different lengths: 1 vs 2" },
        { "8000-7000:80", "parsing host port: the end port of a range must be higher than the "
                          "start port - 7000 is not higher than 8000" },
        { "80-80", "parsing container port: the end port of a range must be higher than the "
                   "start port - 80 is not higher than 80" },
        { "80-", "parsing container port: must provide ending number for port range" },
        { "-1:80", "parsing host port: port numbers cannot be negative" },
        { "80-90-100", "parsing container port: invalid port format - port ranges are "
                       "formatted as startPort-stopPort" },
        { "65535-65536:80", "parsing host port: port numbers must be between 1 and 65535 "
                            "(inclusive), got 65536" },
        { "1.2.3.4:80", "parsing host port: invalid port number: strconv.Atoi: parsing "
                        "\"1.2.3.4\": invalid syntax" },
        { "::1:8080:80", "invalid port format - format is [[hostIP:]hostPort:]containerPort" },
        { "a:b:c:d", "invalid port format - format is [[hostIP:]hostPort:]containerPort" },
        { "1.2.3.4:8080:80:90", "invalid port format - format is "
                                "[[hostIP:]hostPort:]containerPort" },
        { "localhost:8080:80", "cannot parse \"localhost\" as an IP address" },
        { "[::1]80:80", "invalid port format - IPv6 address must be followed by a colon (':')" },
        { "::1]:80:80", "invalid port format - IPv6 addresses must be enclosed by []" },
        { "[::1]:80", "invalid port format - must provide host and destination port if "
                      "specifying an IP" },
        { "80/sctp", "unsupported protocol \"sctp\" in port mapping" },
};

static void test_publish(void)
{
        for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
                struct net_config c;
                den_error *err = NULL;

                net_config_init(&c);
                is_int(net_config_add_publish(&c, good[i].spec, &err), 0);
                if (err) {
                        printf("# %s: %s\n", good[i].spec, err->msg);
                        den_error_free(err);
                        net_config_clear(&c);
                        continue;
                }
                is_int(c.n_ports, 1);
                is_str(c.ports[0].host_ip, good[i].host_ip);
                is_int(c.ports[0].host_port, good[i].host_port);
                is_int(c.ports[0].ctr_port, good[i].ctr_port);
                is_int(c.ports[0].range, good[i].range);
                is_str(c.ports[0].proto, good[i].proto);
                net_config_clear(&c);
        }
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                struct net_config c;
                den_error *err = NULL;

                net_config_init(&c);
                ok(net_config_add_publish(&c, bad[i].spec, &err) < 0);
                is_str(err ? err->msg : NULL, bad[i].msg);
                is_int(c.n_ports, 0);
                den_error_free(err);
                net_config_clear(&c);
        }
}

static void test_exposed(void)
{
        struct net_config c;
        den_error *err = NULL;

        net_config_init(&c);
        is_int(net_config_add_exposed(&c, "80/tcp", &err), 0);
        is_int(net_config_add_exposed(&c, "53/udp", &err), 0);
        is_int(net_config_add_exposed(&c, "9000", &err), 0);
        is_int(c.n_ports, 3);
        is_int(c.ports[0].host_port, 0);
        is_int(c.ports[0].ctr_port, 80);
        is_str(c.ports[1].proto, "udp");
        is_str(c.ports[2].proto, "tcp");
        ok(net_config_add_exposed(&c, "8080:80", &err) < 0);
        is_str(err ? err->msg : NULL, "invalid exposed port \"8080:80\"");
        den_error_free(err);
        net_config_clear(&c);
}

struct net_bad_case {
        const char *value;
        const char *msg;
};

static const struct net_bad_case net_bad[] = {
        { "slirp4netns:foo", "unknown option for slirp4netns: \"foo\"" },
        { "slirp4netns:foo=bar", "unknown option for slirp4netns: \"foo=bar\"" },
        { "slirp4netns:mtu=abc", "invalid mtu \"abc\"" },
        { "slirp4netns:mtu=67", "invalid mtu \"67\"" },
        { "slirp4netns:allow_host_loopback=maybe",
          "invalid value of allow_host_loopback for slirp4netns: \"maybe\"" },
        { "slirp4netns:enable_ipv6=1", "invalid value of enable_ipv6 for slirp4netns: \"1\"" },
        { "slirp4netns:port_handler=x", "unknown port_handler for slirp4netns: \"x\"" },
        { "slirp4netns:cidr=bad", "invalid cidr \"bad\"" },
        { "slirp4netns:cidr=fd00::/64", "invalid cidr \"fd00::/64\"" },
        { "slirp4netns:outbound_addr=zz", "invalid outbound_addr \"zz\"" },
        { "slirp4netns:", "unknown option for slirp4netns: \"\"" },
        { "slirp4netns:mtu=1500,,", "unknown option for slirp4netns: \"\"" },
        { "container:", "invalid config provided: namespace mode container requires a value" },
        { "ns:", "invalid config provided: namespace mode path requires a value" },
        { "ns:/no/such/netns", "cannot find specified network namespace path: stat "
                               "/no/such/netns" },
        { "foo", "unable to find network with name or ID foo: network not found" },
        { "none:x", "invalid option for network none: unknown bridge network option: x" },
        { "host:x", "invalid option for network host: unknown bridge network option: x" },
};

static void test_network(void)
{
        struct net_config c;
        den_error *err = NULL;

        net_config_init(&c);
        is_int(c.mode, NET_SLIRP4NETNS);
        is_int(c.mtu, 65520);
        is_int(net_config_set_mode(&c,
                                   "slirp4netns:allow_host_loopback=true,mtu=1500,"
                                   "cidr=10.5.0.0/24,enable_ipv6=true,"
                                   "port_handler=slirp4netns,outbound_addr=127.0.0.1",
                                   &err),
               0);
        is_int(c.mode, NET_SLIRP4NETNS);
        ok(c.allow_host_loopback);
        ok(c.enable_ipv6);
        ok(c.is_slirp_port_handler);
        is_int(c.mtu, 1500);
        is_str(c.cidr, "10.5.0.0/24");
        is_str(c.outbound_addr, "127.0.0.1");
        /* A bad option leaves the earlier ones as they were. */
        ok(net_config_set_mode(&c, "slirp4netns:mtu=9000,foo", &err) < 0);
        is_int(c.mtu, 1500);
        den_error_free(steal_ptr(err));
        is_int(net_config_set_mode(&c, "none", &err), 0);
        is_int(c.mode, NET_NONE);
        is_int(net_config_set_mode(&c, "host", &err), 0);
        is_int(c.mode, NET_HOST);
        is_int(net_config_set_mode(&c, "pasta", &err), 0);
        is_int(c.mode, NET_PASTA);
        is_int(net_config_set_mode(&c, "container:web", &err), 0);
        is_int(c.mode, NET_CONTAINER);
        is_str(c.target, "web");
        is_int(net_config_set_mode(&c, "ns:/proc/self/ns/net", &err), 0);
        is_int(c.mode, NET_NS);
        is_str(c.target, "/proc/self/ns/net");
        is_int(net_config_set_mode(&c, "private", &err), 0);
        is_int(c.mode, NET_SLIRP4NETNS);
        is_str(c.target, NULL);
        net_config_clear(&c);

        for (size_t i = 0; i < ARRAY_SIZE(net_bad); i++) {
                net_config_init(&c);
                ok(net_config_set_mode(&c, net_bad[i].value, &err) < 0);
                is_str(err ? err->msg : NULL, net_bad[i].msg);
                den_error_free(steal_ptr(err));
                net_config_clear(&c);
        }
}

static char *dump(const struct net_config *c)
{
        json_t *j = net_config_to_json(c);
        char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);

        json_decref(j);
        return s;
}

static void test_json(void)
{
        struct net_config c, back;
        den_error *err = NULL;
        char *a, *b;
        json_t *j;
        json_error_t jerr;

        net_config_init(&c);
        ok(net_config_set_mode(&c,
                               "slirp4netns:allow_host_loopback=true,mtu=1500,"
                               "cidr=10.5.0.0/24,port_handler=slirp4netns",
                               &err) == 0);
        ok(net_config_add_publish(&c, "127.0.0.1:8080:80", &err) == 0);
        ok(net_config_add_publish(&c, "[::1]:9000-9001:90-91/udp", &err) == 0);
        den_strv_push(&c.dns, "9.9.9.9");
        den_strv_push(&c.dns_search, "example.com");
        den_strv_push(&c.dns_options, "ndots:2");
        den_strv_push(&c.add_hosts, "db:10.1.2.3");
        c.no_hosts = true;
        a = dump(&c);
        j = json_loads(a, 0, &jerr);
        is_int(net_config_from_json(j, &back, &err), 0);
        json_decref(j);
        b = dump(&back);
        is_str(b, a);
        is_int(back.n_ports, 2);
        is_str(back.ports[1].host_ip, "::1");
        is_int(back.ports[1].range, 2);
        is_str(back.dns[0], "9.9.9.9");
        ok(back.no_hosts && back.allow_host_loopback && back.is_slirp_port_handler);
        free(a);
        free(b);
        net_config_clear(&back);
        net_config_clear(&c);

        static const char *bad_json[] = {
                "[]",
                "{\"mode\":\"bridge\"}",
                "{\"mode\":\"container\"}",
                "{\"mtu\":10}",
                "{\"mtu\":\"1500\"}",
                "{\"unknown\":1}",
                "{\"ports\":[{\"host_ip\":\"\",\"host_port\":70000,\"container_port\":80,"
                "\"range\":1,\"protocol\":\"tcp\"}]}",
                "{\"ports\":[{\"host_ip\":\"\",\"host_port\":80,\"container_port\":65535,"
                "\"range\":2,\"protocol\":\"tcp\"}]}",
                "{\"ports\":[{\"host_ip\":\"nope\",\"host_port\":80,\"container_port\":80,"
                "\"range\":1,\"protocol\":\"tcp\"}]}",
                "{\"ports\":[{\"host_ip\":\"\",\"host_port\":80,\"container_port\":80,"
                "\"range\":1,\"protocol\":\"icmp\"}]}",
                "{\"ports\":[{\"host_port\":80,\"container_port\":80,\"range\":1,"
                "\"protocol\":\"tcp\"}]}",
                "{\"dns\":[1]}",
                "{\"cidr\":\"10.0.2.0\"}",
                "{\"no_hosts\":1}",
                "{\"port_handler\":\"x\"}",
        };
        for (size_t i = 0; i < ARRAY_SIZE(bad_json); i++) {
                j = json_loads(bad_json[i], 0, &jerr);
                ok(j && net_config_from_json(j, &back, &err) < 0);
                if (err)
                        printf("# %s\n", err->msg);
                den_error_free(steal_ptr(err));
                json_decref(j);
        }
}

/* ---------------------------------------------------------------- name files */

static char *read_in(int dfd, const char *name)
{
        char *text = NULL;

        if (den_read_file_at(dfd, name, 1 << 20, &text, NULL) < 0)
                return NULL;
        return text;
}

static const char host_hosts[] = "# comment\n"
                                 "127.0.0.1   localhost\n"
                                 "127.0.1.1\tbox box.lan # trailing\n"
                                 "\n"
                                 "   \n"
                                 "::1 ip6-localhost\n";
static const char host_resolv[] = "# generated\n"
                                  "nameserver 127.0.0.53\n"
                                  "nameserver 192.168.1.1\n"
                                  "search lan corp.example\n"
                                  "options edns0 trust-ad\n";

static int scratch(const char *tmp, const char *name, const char *text)
{
        int dfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        den_write_file_atomic_at(dfd, name, text, strlen(text), 0644);
        return dfd;
}

static void test_files(const char *tmp)
{
        _cleanup_free_ char *hosts_path = den_path_join(tmp, "host-hosts");
        _cleanup_free_ char *resolv_path = den_path_join(tmp, "host-resolv");
        struct net_files_opts o = { .hostname = "abc123",
                                    .ctr_name = "web",
                                    .host_hosts = hosts_path,
                                    .host_resolv = resolv_path,
                                    .host_ip = "192.0.2.2" };
        struct net_config c;
        den_error *err = NULL;
        char *t;
        int dfd;

        close(scratch(tmp, "host-hosts", host_hosts));
        dfd = scratch(tmp, "host-resolv", host_resolv);

        /* Default slirp4netns. */
        net_config_init(&c);
        is_int(net_files_write(dfd, &c, &o, &err), 0);
        is_str(t = read_in(dfd, "hosts"), "127.0.0.1\tlocalhost\n"
                                          "127.0.1.1\tbox box.lan\n"
                                          "::1\tip6-localhost\n"
                                          "192.0.2.2\thost.containers.internal\n"
                                          "10.0.2.100\tabc123 web\n");
        free(t);
        is_str(t = read_in(dfd, "resolv.conf"), "search lan corp.example\n"
                                                "nameserver 10.0.2.3\n"
                                                "nameserver 192.168.1.1\n"
                                                "options edns0 trust-ad\n");
        free(t);
        is_str(t = read_in(dfd, "hostname"), "abc123\n");
        free(t);

        /* --add-host, --dns*, a cidr, hostname equal to the name. */
        ok(net_config_set_mode(&c, "slirp4netns:cidr=10.5.0.0/24", &err) == 0);
        den_strv_push(&c.add_hosts, "a.b:1.2.3.4");
        den_strv_push(&c.add_hosts, "gw:host-gateway");
        den_strv_push(&c.add_hosts, "v6:fd00::1");
        den_strv_push(&c.dns, "9.9.9.9");
        den_strv_push(&c.dns_search, "ex.com");
        den_strv_push(&c.dns_options, "ndots:2");
        o.hostname = "web";
        is_int(net_files_write(dfd, &c, &o, &err), 0);
        is_str(t = read_in(dfd, "hosts"), "1.2.3.4\ta.b\n"
                                          "192.0.2.2\tgw\n"
                                          "fd00::1\tv6\n"
                                          "127.0.0.1\tlocalhost\n"
                                          "127.0.1.1\tbox box.lan\n"
                                          "::1\tip6-localhost\n"
                                          "192.0.2.2\thost.containers.internal\n"
                                          "10.5.0.100\tweb\n");
        free(t);
        is_str(t = read_in(dfd, "resolv.conf"), "search ex.com\n"
                                                "nameserver 9.9.9.9\n"
                                                "options ndots:2\n");
        free(t);
        net_config_clear(&c);

        /* A bad --add-host is refused. */
        net_config_init(&c);
        den_strv_push(&c.add_hosts, "x:not-an-ip");
        ok(net_files_write(dfd, &c, &o, &err) < 0);
        is_str(err ? err->msg : NULL, "invalid IP address in add-host: \"not-an-ip\"");
        den_error_free(steal_ptr(err));
        net_config_clear(&c);

        /* --network none: 127.0.0.1 for the container, no resolv.conf written; an empty base
         * file gets podman's localhost lines; --dns-search . drops the search line. */
        unlinkat(dfd, "resolv.conf", 0);
        close(scratch(tmp, "host-hosts", ""));
        net_config_init(&c);
        ok(net_config_set_mode(&c, "none", &err) == 0);
        o.hostname = "abc123";
        o.host_ip = "";
        is_int(net_files_write(dfd, &c, &o, &err), 0);
        is_str(t = read_in(dfd, "hosts"), "127.0.0.1\tlocalhost\n"
                                          "::1\tlocalhost\n"
                                          "127.0.0.1\tabc123 web\n");
        free(t);
        ok(faccessat(dfd, "resolv.conf", F_OK, 0) < 0);

        /* --network host: the host's nameservers as they are, no container line. */
        ok(net_config_set_mode(&c, "host", &err) == 0);
        den_strv_push(&c.dns_search, ".");
        is_int(net_files_write(dfd, &c, &o, &err), 0);
        is_str(t = read_in(dfd, "hosts"), "127.0.0.1\tlocalhost\n"
                                          "::1\tlocalhost\n");
        free(t);
        is_str(t = read_in(dfd, "resolv.conf"), "nameserver 127.0.0.53\n"
                                                "nameserver 192.168.1.1\n"
                                                "options edns0 trust-ad\n");
        free(t);
        net_config_clear(&c);

        /* Only loopback nameservers on the host: slirp4netns's forwarder alone. */
        close(scratch(tmp, "host-resolv", "nameserver 127.0.0.53\nnameserver ::1\n"));
        net_config_init(&c);
        c.no_hosts = true;
        unlinkat(dfd, "hosts", 0);
        is_int(net_files_write(dfd, &c, &o, &err), 0);
        is_str(t = read_in(dfd, "resolv.conf"), "nameserver 10.0.2.3\n");
        free(t);
        ok(faccessat(dfd, "hosts", F_OK, 0) < 0);
        net_config_clear(&c);
        close(dfd);
}

int main(void)
{
        char tmp[] = "/tmp/test-netconf-XXXXXX";

        test_publish();
        test_exposed();
        test_network();
        test_json();
        if (mkdtemp(tmp)) {
                int dfd = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

                test_files(tmp);
                den_rm_rf_at(dfd, tmp + 5);
                close(dfd);
        }
        return tap_done();
}
