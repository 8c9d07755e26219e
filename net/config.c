/* The network options of a container: --network, -p/--publish, -P, and their JSON form in the
 * container's record. The parsers follow podman's rules and error messages, so scripts that
 * check podman's output read the same text from den. */
#include "net.h"
#include "net-internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <net/if.h>
#include <sys/stat.h>

void net_config_init(struct net_config *c)
{
        *c = (struct net_config){
                .mode = NET_SLIRP4NETNS,
                .mtu = NET_DEFAULT_MTU,
        };
}

void net_config_clear(struct net_config *c)
{
        free(c->target);
        free(c->cidr);
        free(c->outbound_addr);
        free(c->ports);
        den_strv_free(c->dns);
        den_strv_free(c->dns_search);
        den_strv_free(c->dns_options);
        den_strv_free(c->add_hosts);
        net_config_init(c);
}

/* ---------------------------------------------------------------- --network */

static int parse_bool_opt(const char *name, const char *value, bool *ret, den_error **err)
{
        if (streq(value, "true"))
                *ret = true;
        else if (streq(value, "false"))
                *ret = false;
        else
                return den_error_set(err, 0, "invalid value of %s for slirp4netns: \"%s\"", name,
                                     value);
        return 0;
}

/* "a.b.c.d/len" with an IPv4 address. */
static bool cidr_is_valid(const char *s)
{
        const char *slash = strchr(s, '/');
        _cleanup_free_ char *addr = NULL;
        struct in_addr a;
        int len;

        if (!slash)
                return false;
        addr = xstrndup(s, (size_t) (slash - s));
        if (inet_pton(AF_INET, addr, &a) != 1)
                return false;
        return den_parse_int(slash + 1, 0, 32, &len) == 0;
}

static int slirp_option(struct net_config *c, const char *opt, den_error **err)
{
        const char *eq = strchr(opt, '=');
        _cleanup_free_ char *name = NULL;
        const char *value;
        struct in_addr a;
        int mtu;

        if (!eq)
                return den_error_set(err, 0, "unknown option for slirp4netns: \"%s\"", opt);
        name = xstrndup(opt, (size_t) (eq - opt));
        value = eq + 1;
        if (streq(name, "allow_host_loopback"))
                return parse_bool_opt(name, value, &c->allow_host_loopback, err);
        if (streq(name, "enable_ipv6"))
                return parse_bool_opt(name, value, &c->enable_ipv6, err);
        if (streq(name, "mtu")) {
                if (den_parse_int(value, 68, NET_MAX_MTU, &mtu) < 0)
                        return den_error_set(err, 0, "invalid mtu \"%s\"", value);
                c->mtu = (unsigned) mtu;
        } else if (streq(name, "cidr")) {
                if (!cidr_is_valid(value))
                        return den_error_set(err, 0, "invalid cidr \"%s\"", value);
                free(c->cidr);
                c->cidr = xstrdup(value);
        } else if (streq(name, "port_handler")) {
                if (streq(value, "slirp4netns"))
                        c->is_slirp_port_handler = true;
                else if (streq(value, "rootlesskit"))
                        c->is_slirp_port_handler = false;
                else
                        return den_error_set(err, 0, "unknown port_handler for slirp4netns: \"%s\"",
                                             value);
        } else if (streq(name, "outbound_addr")) {
                if (inet_pton(AF_INET, value, &a) != 1 && if_nametoindex(value) == 0)
                        return den_error_set(err, 0, "invalid outbound_addr \"%s\"", value);
                free(c->outbound_addr);
                c->outbound_addr = xstrdup(value);
        } else {
                return den_error_set(err, 0, "unknown option for slirp4netns: \"%s\"", opt);
        }
        return 0;
}

static int slirp_options(struct net_config *c, const char *opts, den_error **err)
{
        _cleanup_free_ char *copy = xstrdup(opts);
        char *p = copy;

        for (;;) {
                char *comma = strchr(p, ',');

                if (comma)
                        *comma = '\0';
                if (slirp_option(c, p, err) < 0)
                        return -1;
                if (!comma)
                        return 0;
                p = comma + 1;
        }
}

static int mode_with_target(struct net_config *c, enum net_mode mode, const char *target,
                            den_error **err)
{
        struct stat st;
        json_t *utf8 = json_string(target); /* NULL unless valid UTF-8 */

        if (!utf8)
                return den_error_set(err, 0, "invalid network namespace \"%s\"", target);
        json_decref(utf8);
        if (mode == NET_CONTAINER && !*target)
                return den_error_set(err, 0,
                                     "invalid config provided: namespace mode container "
                                     "requires a value");
        if (mode == NET_NS) {
                if (!*target)
                        return den_error_set(err, 0,
                                             "invalid config provided: namespace mode "
                                             "path requires a value");
                if (stat(target, &st) < 0)
                        return den_error_set(err, errno,
                                             "cannot find specified network "
                                             "namespace path: stat %s",
                                             target);
        }
        c->mode = mode;
        free(c->target);
        c->target = xstrdup(target);
        return 0;
}

int net_config_set_mode(struct net_config *c, const char *network, den_error **err)
{
        const char *colon = strchr(network, ':');
        size_t n = colon ? (size_t) (colon - network) : strlen(network);
        _cleanup_free_ char *kind = xstrndup(network, n);
        struct net_config tmp;

        if (streq(kind, "container"))
                return mode_with_target(c, NET_CONTAINER, colon ? colon + 1 : "", err);
        if (streq(kind, "ns"))
                return mode_with_target(c, NET_NS, colon ? colon + 1 : "", err);
        if (streq(kind, "slirp4netns") || streq(kind, "private")) {
                /* Options are applied to a copy so that a bad value changes nothing. */
                tmp = *c;
                tmp.cidr = c->cidr ? xstrdup(c->cidr) : NULL;
                tmp.outbound_addr = c->outbound_addr ? xstrdup(c->outbound_addr) : NULL;
                if (colon && slirp_options(&tmp, colon + 1, err) < 0) {
                        free(tmp.cidr);
                        free(tmp.outbound_addr);
                        return -1;
                }
                free(c->cidr);
                free(c->outbound_addr);
                *c = tmp;
                c->mode = NET_SLIRP4NETNS;
                free(steal_ptr(c->target));
                return 0;
        }
        if (streq(kind, "none") || streq(kind, "host") || streq(kind, "pasta")) {
                if (colon)
                        return den_error_set(err, 0,
                                             "invalid option for network %s: unknown "
                                             "bridge network option: %s",
                                             kind, colon + 1);
                c->mode = streq(kind, "none")   ? NET_NONE
                          : streq(kind, "host") ? NET_HOST
                                                : NET_PASTA;
                free(steal_ptr(c->target));
                return 0;
        }
        return den_error_set(err, 0, "unable to find network with name or ID %s: network not found",
                             network);
}

const char *net_mode_name(enum net_mode mode)
{
        switch (mode) {
        case NET_SLIRP4NETNS:
                return "slirp4netns";
        case NET_NONE:
                return "none";
        case NET_HOST:
                return "host";
        case NET_CONTAINER:
                return "container";
        case NET_NS:
                return "ns";
        case NET_PASTA:
                return "pasta";
        default:
                return NULL;
        }
}

/* ---------------------------------------------------------------- -p / --publish */

/* Go's strconv.Atoi, with its error text, then podman's range check. */
static int parse_port(const char *s, uint16_t *ret, den_error **err)
{
        const char *p = s;
        long long v = 0;
        bool neg = false, overflow = false;

        if (*p == '+' || *p == '-')
                neg = *p++ == '-';
        if (!*p)
                return den_error_set(err, 0,
                                     "invalid port number: strconv.Atoi: parsing \"%s\": "
                                     "invalid syntax",
                                     s);
        for (; *p; p++) {
                if (*p < '0' || *p > '9')
                        return den_error_set(err, 0,
                                             "invalid port number: strconv.Atoi: parsing "
                                             "\"%s\": invalid syntax",
                                             s);
                if (v > (INT64_MAX - 9) / 10)
                        overflow = true;
                else
                        v = v * 10 + (*p - '0');
        }
        if (overflow)
                return den_error_set(err, 0,
                                     "invalid port number: strconv.Atoi: parsing \"%s\": "
                                     "value out of range",
                                     s);
        if (neg)
                v = -v;
        if (v < 1 || v > 65535)
                return den_error_set(err, 0,
                                     "port numbers must be between 1 and 65535 "
                                     "(inclusive), got %lld",
                                     v);
        *ret = (uint16_t) v;
        return 0;
}

static int parse_range(const char *s, uint16_t *ret_start, uint16_t *ret_len, den_error **err)
{
        const char *dash = strchr(s, '-');
        _cleanup_free_ char *first = NULL;
        uint16_t start, end;

        if (dash && strchr(dash + 1, '-'))
                return den_error_set(err, 0,
                                     "invalid port format - port ranges are formatted as "
                                     "startPort-stopPort");
        first = dash ? xstrndup(s, (size_t) (dash - s)) : xstrdup(s);
        if (!*first)
                return den_error_set(err, 0, "port numbers cannot be negative");
        if (parse_port(first, &start, err) < 0)
                return -1;
        *ret_len = 1;
        if (dash) {
                if (!dash[1])
                        return den_error_set(err, 0, "must provide ending number for port range");
                if (parse_port(dash + 1, &end, err) < 0)
                        return -1;
                if (end <= start)
                        return den_error_set(err, 0,
                                             "the end port of a range must be higher than "
                                             "the start port - %u is not higher than %u",
                                             end, start);
                *ret_len = (uint16_t) (end - start + 1);
        }
        *ret_start = start;
        return 0;
}

static int set_host_ip(struct net_port *p, const char *ip, den_error **err)
{
        unsigned char buf[sizeof(struct in6_addr)];
        int family;

        if (!*ip)
                return den_error_set(err, 0,
                                     "must provide a non-empty container host IP to "
                                     "publish");
        if (streq(ip, "0.0.0.0"))
                return 0; /* all addresses, as podman stores it */
        family = strchr(ip, ':') ? AF_INET6 : AF_INET;
        if (inet_pton(family, ip, buf) != 1 ||
            !inet_ntop(family, buf, p->host_ip, sizeof(p->host_ip)))
                return den_error_set(err, 0, "cannot parse \"%s\" as an IP address", ip);
        return 0;
}

static int set_proto(struct net_port *p, const char *proto, den_error **err)
{
        _cleanup_free_ char *lower = xstrdup(proto);

        if (!*proto)
                return den_error_set(err, 0, "must provide a non-empty protocol to publish");
        for (char *q = lower; *q; q++)
                *q = (char) tolower((unsigned char) *q);
        if (streq(lower, "sctp"))
                return den_error_set(err, 0, "unsupported protocol \"sctp\" in port mapping");
        if (!streq(lower, "tcp") && !streq(lower, "udp"))
                return den_error_set(err, 0, "unrecognized protocol \"%s\" in port mapping", proto);
        strcpy(p->proto, lower);
        return 0;
}

/* The parts of one spec after podman's splitting: host_ip and host_port are NULL when absent. */
struct publish_parts {
        const char *host_ip, *host_port, *ctr_port, *proto;
};

static int fill_port(const struct publish_parts *s, struct net_port *p, den_error **err)
{
        uint16_t hstart, hlen;

        if (!*s->ctr_port)
                return den_error_set(err, 0, "must provide a non-empty container port to publish");
        if (parse_range(s->ctr_port, &p->ctr_port, &p->range, err) < 0)
                return den_error_wrap(err, "parsing container port");
        if (set_proto(p, s->proto ? s->proto : "tcp", err) < 0)
                return -1;
        if (s->host_ip && set_host_ip(p, s->host_ip, err) < 0)
                return -1;
        if (s->host_port && *s->host_port) {
                if (parse_range(s->host_port, &hstart, &hlen, err) < 0)
                        return den_error_wrap(err, "parsing host port");
                if (hlen != p->range)
                        return den_error_set(err, 0,
                                             "host and container port ranges have "
                                             "different lengths: %u vs %u",
                                             hlen, p->range);
                p->host_port = hstart;
        }
        if (p->host_port && (unsigned) p->host_port + p->range - 1 > 65535)
                return den_error_set(err, 0, "host port range exceeds 65535");
        return 0;
}

static int split_publish(char *spec, struct publish_parts *s, den_error **err)
{
        char *slash = strchr(spec, '/'), *rest = spec, *c1, *c2;
        bool has_v6 = false;

        *s = (struct publish_parts){ 0 };
        if (slash) {
                if (strchr(slash + 1, '/'))
                        return den_error_set(err, 0,
                                             "invalid port format - protocol can only be "
                                             "specified once");
                *slash = '\0';
                s->proto = slash + 1;
        }
        char *bracket = strchr(rest, ']');
        if (bracket) {
                if (strchr(bracket + 1, ']'))
                        return den_error_set(err, 0,
                                             "invalid port format - at most one IPv6 "
                                             "address can be specified in a --publish");
                if (rest[0] != '[')
                        return den_error_set(err, 0,
                                             "invalid port format - IPv6 addresses must "
                                             "be enclosed by []");
                if (bracket[1] != ':')
                        return den_error_set(err, 0,
                                             "invalid port format - IPv6 address must be "
                                             "followed by a colon (':')");
                *bracket = '\0';
                s->host_ip = rest + 1;
                rest = bracket + 2;
                has_v6 = true;
        }
        c1 = strchr(rest, ':');
        c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (c2 && strchr(c2 + 1, ':'))
                return den_error_set(err, 0,
                                     "invalid port format - format is "
                                     "[[hostIP:]hostPort:]containerPort");
        if (!c1) {
                if (has_v6)
                        return den_error_set(err, 0,
                                             "invalid port format - must provide host and "
                                             "destination port if specifying an IP");
                s->ctr_port = rest;
        } else if (!c2) {
                *c1 = '\0';
                s->host_port = rest;
                s->ctr_port = c1 + 1;
        } else {
                if (has_v6)
                        return den_error_set(err, 0,
                                             "invalid port format - when v6 address "
                                             "specified, must be [ipv6]:hostPort:ctrPort");
                *c1 = *c2 = '\0';
                s->host_ip = rest;
                s->host_port = c1 + 1;
                s->ctr_port = c2 + 1;
        }
        return 0;
}

static void push_port(struct net_config *c, const struct net_port *p)
{
        c->ports = xrealloc(c->ports, (c->n_ports + 1) * sizeof(*c->ports));
        c->ports[c->n_ports++] = *p;
}

int net_config_add_publish(struct net_config *c, const char *spec, den_error **err)
{
        _cleanup_free_ char *copy = NULL;
        struct publish_parts s;
        struct net_port p = { 0 };

        if (strlen(spec) > NET_MAX_SPEC)
                return den_error_set(err, 0, "invalid port format - too long");
        if (c->n_ports >= NET_MAX_PORTS)
                return den_error_set(err, 0, "too many published ports (at most %d)",
                                     NET_MAX_PORTS);
        copy = xstrdup(spec);
        if (split_publish(copy, &s, err) < 0 || fill_port(&s, &p, err) < 0)
                return -1;
        push_port(c, &p);
        return 0;
}

int net_config_add_exposed(struct net_config *c, const char *exposed, den_error **err)
{
        if (strchr(exposed, ':') || strchr(exposed, ']'))
                return den_error_set(err, 0, "invalid exposed port \"%s\"", exposed);
        return net_config_add_publish(c, exposed, err);
}

/* ---------------------------------------------------------------- JSON */

static json_t *strv_to_json(char *const *v)
{
        json_t *a = json_array();

        for (size_t i = 0; v && v[i]; i++)
                json_array_append_new(a, json_string(v[i]));
        return a;
}

static json_t *port_to_json(const struct net_port *p)
{
        return json_pack("{s:s, s:i, s:i, s:i, s:s}", "host_ip", p->host_ip, "host_port",
                         (int) p->host_port, "container_port", (int) p->ctr_port, "range",
                         (int) p->range, "protocol", p->proto);
}

json_t *net_config_to_json(const struct net_config *c)
{
        json_t *j = json_object(), *ports = json_array();

        json_object_set_new(j, "mode", json_string(net_mode_name(c->mode)));
        if (c->target)
                json_object_set_new(j, "target", json_string(c->target));
        json_object_set_new(j, "allow_host_loopback", json_boolean(c->allow_host_loopback));
        json_object_set_new(j, "enable_ipv6", json_boolean(c->enable_ipv6));
        json_object_set_new(j, "mtu", json_integer(c->mtu));
        if (c->cidr)
                json_object_set_new(j, "cidr", json_string(c->cidr));
        if (c->outbound_addr)
                json_object_set_new(j, "outbound_addr", json_string(c->outbound_addr));
        json_object_set_new(j, "port_handler",
                            json_string(c->is_slirp_port_handler ? "slirp4netns" : "rootlesskit"));
        for (size_t i = 0; i < c->n_ports; i++)
                json_array_append_new(ports, port_to_json(&c->ports[i]));
        json_object_set_new(j, "ports", ports);
        json_object_set_new(j, "dns", strv_to_json(c->dns));
        json_object_set_new(j, "dns_search", strv_to_json(c->dns_search));
        json_object_set_new(j, "dns_options", strv_to_json(c->dns_options));
        json_object_set_new(j, "add_hosts", strv_to_json(c->add_hosts));
        json_object_set_new(j, "no_hosts", json_boolean(c->no_hosts));
        return j;
}

static int json_to_strv(json_t *a, const char *key, char ***ret, den_error **err)
{
        _cleanup_strv_ char **v = NULL;
        size_t i;
        json_t *s;

        if (!json_is_array(a) || json_array_size(a) > NET_MAX_LIST)
                return den_error_set(err, 0, "\"%s\": expected an array of strings", key);
        json_array_foreach (a, i, s) {
                if (!json_is_string(s))
                        return den_error_set(err, 0, "\"%s\"[%zu]: expected a string", key, i);
                den_strv_push(&v, json_string_value(s));
        }
        den_strv_free(*ret);
        *ret = steal_ptr(v);
        return 0;
}

static int json_port_int(json_t *o, const char *key, int min, int max, uint16_t *ret,
                         den_error **err)
{
        json_t *v = json_object_get(o, key);
        json_int_t n;

        if (!json_is_integer(v))
                return den_error_set(err, 0, "\"%s\": expected an integer", key);
        n = json_integer_value(v);
        if (n < min || n > max)
                return den_error_set(err, 0, "\"%s\": %lld out of range", key, (long long) n);
        *ret = (uint16_t) n;
        return 0;
}

static int json_to_port(json_t *o, struct net_port *p, den_error **err)
{
        const char *key;
        json_t *v;

        *p = (struct net_port){ 0 };
        if (!json_is_object(o))
                return den_error_set(err, 0, "expected an object");
        json_object_foreach (o, key, v) {
                if (!streq(key, "host_ip") && !streq(key, "host_port") &&
                    !streq(key, "container_port") && !streq(key, "range") &&
                    !streq(key, "protocol"))
                        return den_error_set(err, 0, "unknown key \"%s\"", key);
        }
        v = json_object_get(o, "host_ip");
        if (!json_is_string(v) || json_string_length(v) >= sizeof(p->host_ip))
                return den_error_set(err, 0, "\"host_ip\": expected an address");
        if (json_string_length(v) > 0 && set_host_ip(p, json_string_value(v), err) < 0)
                return -1;
        if (json_port_int(o, "host_port", 0, 65535, &p->host_port, err) < 0 ||
            json_port_int(o, "container_port", 1, 65535, &p->ctr_port, err) < 0 ||
            json_port_int(o, "range", 1, 65535, &p->range, err) < 0)
                return -1;
        v = json_object_get(o, "protocol");
        if (!json_is_string(v) || set_proto(p, json_string_value(v), err) < 0)
                return den_error_set(err, 0, "\"protocol\": expected \"tcp\" or \"udp\"");
        if ((unsigned) p->ctr_port + p->range - 1 > 65535 ||
            (p->host_port && (unsigned) p->host_port + p->range - 1 > 65535))
                return den_error_set(err, 0, "\"range\": beyond port 65535");
        return 0;
}

static int json_to_ports(json_t *a, struct net_config *c, den_error **err)
{
        size_t i;
        json_t *o;

        if (!json_is_array(a) || json_array_size(a) > NET_MAX_PORTS)
                return den_error_set(err, 0, "\"ports\": expected an array");
        json_array_foreach (a, i, o) {
                struct net_port p;

                if (json_to_port(o, &p, err) < 0)
                        return den_error_wrap(err, "\"ports\"[%zu]", i);
                push_port(c, &p);
        }
        return 0;
}

static int json_to_mode(json_t *v, struct net_config *c, den_error **err)
{
        const char *s = json_string_value(v);

        for (int m = NET_SLIRP4NETNS; m <= NET_PASTA; m++)
                if (s && streq(s, net_mode_name((enum net_mode) m))) {
                        c->mode = (enum net_mode) m;
                        return 0;
                }
        return den_error_set(err, 0, "\"mode\": unknown network mode");
}

static int json_field(const char *key, json_t *v, struct net_config *c, den_error **err)
{
        json_int_t mtu;

        if (streq(key, "mode"))
                return json_to_mode(v, c, err);
        if (streq(key, "ports"))
                return json_to_ports(v, c, err);
        if (streq(key, "dns"))
                return json_to_strv(v, key, &c->dns, err);
        if (streq(key, "dns_search"))
                return json_to_strv(v, key, &c->dns_search, err);
        if (streq(key, "dns_options"))
                return json_to_strv(v, key, &c->dns_options, err);
        if (streq(key, "add_hosts"))
                return json_to_strv(v, key, &c->add_hosts, err);
        if (streq(key, "allow_host_loopback") || streq(key, "enable_ipv6") ||
            streq(key, "no_hosts")) {
                if (!json_is_boolean(v))
                        return den_error_set(err, 0, "\"%s\": expected a boolean", key);
                *(streq(key, "no_hosts")              ? &c->no_hosts
                  : streq(key, "allow_host_loopback") ? &c->allow_host_loopback
                                                      : &c->enable_ipv6) = json_is_true(v);
                return 0;
        }
        if (streq(key, "mtu")) {
                mtu = json_is_integer(v) ? json_integer_value(v) : -1;
                if (mtu < 68 || mtu > NET_MAX_MTU)
                        return den_error_set(err, 0, "\"mtu\": expected 68 to %d", NET_MAX_MTU);
                c->mtu = (unsigned) mtu;
                return 0;
        }
        if (streq(key, "port_handler")) {
                const char *s = json_string_value(v);

                if (!s || (!streq(s, "slirp4netns") && !streq(s, "rootlesskit")))
                        return den_error_set(err, 0, "\"port_handler\": unknown handler");
                c->is_slirp_port_handler = streq(s, "slirp4netns");
                return 0;
        }
        if (streq(key, "target") || streq(key, "cidr") || streq(key, "outbound_addr")) {
                char **dst = streq(key, "target") ? &c->target
                             : streq(key, "cidr") ? &c->cidr
                                                  : &c->outbound_addr;

                if (!json_is_string(v))
                        return den_error_set(err, 0, "\"%s\": expected a string", key);
                if (streq(key, "cidr") && !cidr_is_valid(json_string_value(v)))
                        return den_error_set(err, 0, "\"cidr\": invalid cidr");
                free(*dst);
                *dst = xstrdup(json_string_value(v));
                return 0;
        }
        return den_error_set(err, 0, "unknown key \"%s\"", key);
}

int net_config_from_json(json_t *j, struct net_config *ret, den_error **err)
{
        struct net_config c;
        const char *key;
        json_t *v;

        if (!json_is_object(j))
                return den_error_set(err, 0, "network config: expected an object");
        net_config_init(&c);
        json_object_foreach (j, key, v) {
                if (json_field(key, v, &c, err) < 0) {
                        net_config_clear(&c);
                        return den_error_wrap(err, "network config");
                }
        }
        if ((c.mode == NET_CONTAINER || c.mode == NET_NS) && (!c.target || !*c.target)) {
                net_config_clear(&c);
                return den_error_set(err, 0, "network config: \"target\" missing");
        }
        *ret = c;
        return 0;
}
