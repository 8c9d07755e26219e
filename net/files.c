/* The name files of a container (hosts, resolv.conf, hostname), laid out as podman 4 writes
 * them: /etc/hosts starts from the host's own (podman's default base_hosts_file) with the
 * --add-host lines first and host.containers.internal and the container's own entry last;
 * resolv.conf has slirp4netns's DNS forwarder first, then the host's nameservers that can be
 * reached from the container (loopback ones cannot). */
#include "net.h"
#include "net-internal.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>

#define NAME_FILE_MAX (1u << 20)

static bool ip_is_valid(const char *s)
{
        unsigned char buf[sizeof(struct in6_addr)];

        return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static bool ip_is_loopback(const char *s)
{
        struct in_addr a;
        struct in6_addr a6;

        if (inet_pton(AF_INET, s, &a) == 1)
                return (ntohl(a.s_addr) >> 24) == 127;
        return inet_pton(AF_INET6, s, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

/* podman's choice for host.containers.internal: the first non-loopback IPv4 address, else the
 * first global IPv6 one. */
static char *host_ip_detect(void)
{
        struct ifaddrs *ifs = NULL;
        char buf[INET6_ADDRSTRLEN], *v6 = NULL, *v4 = NULL;

        if (getifaddrs(&ifs) < 0)
                return NULL;
        for (struct ifaddrs *i = ifs; i && !v4; i = i->ifa_next) {
                if (!i->ifa_addr || (i->ifa_flags & IFF_LOOPBACK))
                        continue;
                if (i->ifa_addr->sa_family == AF_INET) {
                        struct sockaddr_in sa;

                        memcpy(&sa, i->ifa_addr, sizeof(sa)); /* sockaddr is less aligned */
                        if ((ntohl(sa.sin_addr.s_addr) >> 16) == 0xa9fe) /* link-local */
                                continue;
                        v4 = xstrdup(inet_ntop(AF_INET, &sa.sin_addr, buf, sizeof(buf)));
                } else if (i->ifa_addr->sa_family == AF_INET6 && !v6) {
                        struct sockaddr_in6 sa6;

                        memcpy(&sa6, i->ifa_addr, sizeof(sa6));
                        if (IN6_IS_ADDR_LINKLOCAL(&sa6.sin6_addr) ||
                            IN6_IS_ADDR_LOOPBACK(&sa6.sin6_addr))
                                continue;
                        v6 = xstrdup(inet_ntop(AF_INET6, &sa6.sin6_addr, buf, sizeof(buf)));
                }
        }
        freeifaddrs(ifs);
        if (v4) {
                free(v6);
                return v4;
        }
        return v6;
}

static char *read_optional(const char *path)
{
        char *text = NULL;

        if (den_read_file_at(AT_FDCWD, path, NAME_FILE_MAX, &text, NULL) < 0)
                return xstrdup("");
        return text;
}

/* ---------------------------------------------------------------- hosts */

struct hosts {
        struct den_buf out;
        char **names; /* every name listed so far */
};

static void hosts_add(struct hosts *h, const char *ip, char *const *names)
{
        if (!names || !names[0])
                return;
        den_buf_printf(&h->out, "%s\t", ip);
        for (size_t i = 0; names[i]; i++) {
                den_buf_printf(&h->out, "%s%s", i ? " " : "", names[i]);
                den_strv_push(&h->names, names[i]);
        }
        den_buf_puts(&h->out, "\n");
}

static int hosts_add_extra(struct hosts *h, char *const *add_hosts, const char *host_ip,
                           den_error **err)
{
        for (size_t i = 0; add_hosts && add_hosts[i]; i++) {
                const char *colon = strchr(add_hosts[i], ':');
                _cleanup_free_ char *name = NULL;
                const char *ip;
                char *names[2] = { NULL, NULL };

                if (!colon || colon == add_hosts[i])
                        return den_error_set(err, 0,
                                             "invalid add-host \"%s\": expected "
                                             "name:ip",
                                             add_hosts[i]);
                name = xstrndup(add_hosts[i], (size_t) (colon - add_hosts[i]));
                ip = colon + 1;
                if (streq(ip, "host-gateway")) {
                        if (!host_ip || !*host_ip)
                                return den_error_set(err, 0,
                                                     "unable to replace \"host-gateway\" "
                                                     "of host entry \"%s\": host "
                                                     "containers internal IP address is "
                                                     "empty",
                                                     add_hosts[i]);
                        ip = host_ip;
                } else if (!ip_is_valid(ip)) {
                        return den_error_set(err, 0, "invalid IP address in add-host: \"%s\"", ip);
                }
                names[0] = name;
                hosts_add(h, ip, names);
        }
        return 0;
}

/* The host's hosts file, entry by entry ("ip name..."; comments and blank lines dropped). */
static void hosts_add_base(struct hosts *h, char *text)
{
        char *save = NULL;

        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                _cleanup_strv_ char **names = NULL;
                char *hash = strchr(line, '#'), *fsave = NULL, *ip;

                if (hash)
                        *hash = '\0';
                ip = strtok_r(line, " \t\r", &fsave);
                if (!ip)
                        continue;
                for (char *n = strtok_r(NULL, " \t\r", &fsave); n;
                     n = strtok_r(NULL, " \t\r", &fsave))
                        den_strv_push(&names, n);
                hosts_add(h, ip, names);
        }
}

static int ctr_address(const struct net_config *c, char *buf, size_t size, den_error **err)
{
        struct net_slirp_addrs a;

        *buf = '\0';
        switch (c->mode) {
        case NET_SLIRP4NETNS:
                if (net_slirp_addrs(c, &a, err) < 0)
                        return -1;
                inet_ntop(AF_INET, &a.ctr, buf, (socklen_t) size);
                break;
        case NET_NONE:
                snprintf(buf, size, "127.0.0.1");
                break;
        case NET_HOST:
        case NET_CONTAINER:
        case NET_NS:
        case NET_PASTA:
        default:
                break;
        }
        return 0;
}

static int hosts_build(const struct net_config *c, const struct net_files_opts *o,
                       const char *host_ip, char **ret, den_error **err)
{
        struct hosts h = { 0 };
        _cleanup_free_ char *base = read_optional(o->host_hosts ? o->host_hosts : "/etc/hosts");
        char ip[INET6_ADDRSTRLEN];
        char *names[3] = { NULL, NULL, NULL };
        size_t n = 0;

        if (hosts_add_extra(&h, c->add_hosts, host_ip, err) < 0 ||
            ctr_address(c, ip, sizeof(ip), err) < 0)
                goto fail;
        hosts_add_base(&h, base);
        if (!den_strv_contains(h.names, "localhost")) {
                char *lo[] = { "localhost", NULL };

                hosts_add(&h, "127.0.0.1", lo);
                hosts_add(&h, "::1", lo);
        }
        if (host_ip && *host_ip && !den_strv_contains(h.names, "host.containers.internal")) {
                char *hci[] = { "host.containers.internal", NULL };

                hosts_add(&h, host_ip, hci);
        }
        if (o->hostname && *o->hostname)
                names[n++] = (char *) o->hostname;
        if (o->ctr_name && *o->ctr_name && !(n && streq(names[0], o->ctr_name)))
                names[n++] = (char *) o->ctr_name;
        if (*ip)
                hosts_add(&h, ip, names);
        den_strv_free(h.names);
        *ret = den_buf_steal(&h.out);
        return 0;
fail:
        den_strv_free(h.names);
        den_buf_free(&h.out);
        return -1;
}

/* ---------------------------------------------------------------- resolv.conf */

struct resolv {
        char **nameservers, **search, **options;
};

static void push_words(char ***v, char *rest)
{
        char *save = NULL;

        for (char *w = strtok_r(rest, " \t\r", &save); w; w = strtok_r(NULL, " \t\r", &save))
                den_strv_push(v, w);
}

static void resolv_parse(char *text, struct resolv *r)
{
        char *save = NULL;

        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *fsave = NULL, *key, *rest;

                if (*line == '#' || *line == ';')
                        continue;
                key = strtok_r(line, " \t\r", &fsave);
                rest = strtok_r(NULL, "", &fsave);
                if (!key || !rest)
                        continue;
                if (streq(key, "nameserver")) {
                        char *ns = strtok_r(rest, " \t\r", &fsave);

                        if (ns)
                                den_strv_push(&r->nameservers, ns);
                } else if (streq(key, "search")) {
                        den_strv_free(steal_ptr(r->search));
                        push_words(&r->search, rest);
                } else if (streq(key, "options")) {
                        push_words(&r->options, rest);
                }
        }
}

static char **pick_nameservers(const struct net_config *c, char **host)
{
        char **out = NULL;
        struct net_slirp_addrs a;
        char buf[INET_ADDRSTRLEN];

        if (c->dns && c->dns[0]) {
                for (size_t i = 0; c->dns[i]; i++)
                        den_strv_push(&out, c->dns[i]);
                return out;
        }
        if (c->mode == NET_SLIRP4NETNS && net_slirp_addrs(c, &a, NULL) == 0)
                den_strv_push(&out, inet_ntop(AF_INET, &a.dns, buf, sizeof(buf)));
        for (size_t i = 0; host && host[i]; i++)
                if (c->mode == NET_HOST || !ip_is_loopback(host[i]))
                        den_strv_push(&out, host[i]);
        if (!out) { /* nothing usable: the public resolvers podman falls back to */
                den_strv_push(&out, "8.8.8.8");
                den_strv_push(&out, "8.8.4.4");
        }
        return out;
}

static void put_line(struct den_buf *b, const char *key, char *const *words)
{
        if (!words || !words[0])
                return;
        den_buf_puts(b, key);
        for (size_t i = 0; words[i]; i++)
                den_buf_printf(b, " %s", words[i]);
        den_buf_puts(b, "\n");
}

static char *resolv_build(const struct net_config *c, const struct net_files_opts *o)
{
        _cleanup_free_ char *text =
                read_optional(o->host_resolv ? o->host_resolv : "/etc/resolv.conf");
        struct resolv host = { 0 };
        _cleanup_strv_ char **ns = NULL;
        struct den_buf b = { 0 };
        char *const *search, *const *options;

        resolv_parse(text, &host);
        ns = pick_nameservers(c, host.nameservers);
        search = c->dns_search && c->dns_search[0] ? c->dns_search : host.search;
        /* "--dns-search ." asks for no search domains at all. */
        if (search && search[0] && streq(search[0], ".") && !search[1])
                search = NULL;
        options = c->dns_options && c->dns_options[0] ? c->dns_options : host.options;
        put_line(&b, "search", search);
        for (size_t i = 0; ns[i]; i++)
                den_buf_printf(&b, "nameserver %s\n", ns[i]);
        put_line(&b, "options", options);
        den_strv_free(host.nameservers);
        den_strv_free(host.search);
        den_strv_free(host.options);
        if (!b.data)
                den_buf_puts(&b, "");
        return den_buf_steal(&b);
}

/* ---------------------------------------------------------------- writing */

static int write_file(int dfd, const char *name, const char *text, den_error **err)
{
        /* rewritten at every start: no fsync */
        int r = den_write_file_replace_at(dfd, name, text, strlen(text), 0644);

        if (r < 0)
                return den_error_set(err, -r, "write %s", name);
        return 0;
}

int net_files_write(int dir_dfd, const struct net_config *c, const struct net_files_opts *o,
                    den_error **err)
{
        _cleanup_free_ char *detected = NULL, *hosts = NULL, *resolv = NULL, *hostname = NULL;
        const char *host_ip = o->host_ip;

        if (!host_ip)
                host_ip = detected = host_ip_detect();
        if (o->hostname && *o->hostname) {
                hostname = xasprintf("%s\n", o->hostname);
                if (write_file(dir_dfd, "hostname", hostname, err) < 0)
                        return -1;
        }
        if (!c->no_hosts) {
                if (hosts_build(c, o, host_ip, &hosts, err) < 0 ||
                    write_file(dir_dfd, "hosts", hosts, err) < 0)
                        return -1;
        }
        /* With --network none podman leaves the image's resolv.conf alone. */
        if (c->mode != NET_NONE) {
                resolv = resolv_build(c, o);
                if (write_file(dir_dfd, "resolv.conf", resolv, err) < 0)
                        return -1;
        }
        return 0;
}
