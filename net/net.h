/* den network library: slirp4netns, port forwarding, and name files. net/'s one public
 * header. */
#pragma once

#include "util/util.h"

#include <jansson.h>

/* ---------------------------------------------------------------- configuration (config.c)
 *
 * The network part of a container's options, parsed from the command line by cmd (create/run)
 * and kept in the container's record as JSON (net_config_to_json / net_config_from_json), so
 * that start, port, ps and inspect read the same thing. */

enum net_mode {
        NET_SLIRP4NETNS, /* default for rootless */
        NET_NONE,        /* loopback only */
        NET_HOST,        /* the host's network namespace (none created) */
        NET_CONTAINER,   /* another container's namespace: target holds its id or name */
        NET_NS,          /* an existing namespace: target holds the path */
        NET_PASTA,       /* pasta, where passt is installed */
};

struct net_port {
        char host_ip[64];   /* "" = all addresses */
        uint16_t host_port; /* 0 before a random one is chosen */
        uint16_t ctr_port;
        uint16_t range; /* number of consecutive ports, >= 1 */
        char proto[4];  /* "tcp" or "udp" */
};

struct net_config {
        enum net_mode mode;
        char *target; /* NET_CONTAINER: name or id; NET_NS: path */
        /* slirp4netns options: allow_host_loopback, mtu, cidr, enable_ipv6, port_handler
         * ("rootlesskit" = den's own forwarder, default; or "slirp4netns"), outbound_addr */
        bool allow_host_loopback;
        bool enable_ipv6;
        unsigned mtu;        /* 65520 */
        char *cidr;          /* "10.0.2.0/24" */
        char *outbound_addr; /* slirp4netns --outbound-addr (IPv4 or interface name) */
        bool is_slirp_port_handler;
        struct net_port *ports;
        size_t n_ports;
        char **dns;         /* --dns */
        char **dns_search;  /* --dns-search */
        char **dns_options; /* --dns-option */
        char **add_hosts;   /* --add-host "name:ip" */
        bool no_hosts;      /* --no-hosts */
};

/* --network value ("slirp4netns:allow_host_loopback=true,mtu=1500", "none", "host",
 * "container:NAME", "ns:/path", "pasta"). Errors name the bad part, e.g.
 * `invalid option for slirp4netns: "foo"`. */
int net_config_set_mode(struct net_config *c, const char *network, den_error **err);
/* One -p/--publish value: "8080:80", "127.0.0.1:8080:80", "80", "8000-8010:80-90",
 * "8080:80/udp", "127.0.0.1::80". Appended to c->ports. */
int net_config_add_publish(struct net_config *c, const char *spec, den_error **err);
/* -P: each EXPOSE'd port of the image ("80/tcp") published on a random host port. */
int net_config_add_exposed(struct net_config *c, const char *exposed, den_error **err);
void net_config_init(struct net_config *c);
void net_config_clear(struct net_config *c);
json_t *net_config_to_json(const struct net_config *c);
int net_config_from_json(json_t *j, struct net_config *ret, den_error **err);

/* ---------------------------------------------------------------- name files (files.c) */

struct net_files_opts {
        const char *hostname;    /* the container's hostname */
        const char *ctr_name;    /* also listed in /etc/hosts, as podman does */
        const char *rootfs;      /* the image's /etc/hosts and resolv.conf are not used;
                                  * NULL is fine */
        const char *host_resolv; /* NULL: /etc/resolv.conf */
        const char *host_hosts;  /* NULL: /etc/hosts, the base of every hosts file, as
                                  * podman's default base_hosts_file */
        const char *host_ip;     /* host.containers.internal; NULL: the host's first
                                  * non-loopback address (podman's choice), "" for none */
};
/* Writes hosts (unless no_hosts), resolv.conf (not for NET_NONE, as podman) and hostname
 * (when o->hostname is set) into dir_dfd (the container's userdata/) atomically, as podman 4
 * lays them out. hosts: --add-host lines ("host-gateway" is the host's address), the host's
 * hosts file, localhost lines when it has none, host.containers.internal (the host's address,
 * o->host_ip), and the container's address (10.0.2.100 with slirp4netns, 127.0.0.1 with
 * none) with its hostname and name. resolv.conf: --dns, else slirp4netns's forwarder
 * (10.0.2.3) followed by the host's nameservers that are not loopback addresses (all of them
 * with --network host); --dns-search ("." for none) or the host's search line; --dns-option
 * or the host's options. A bad --add-host is an error. */
int net_files_write(int dir_dfd, const struct net_config *c, const struct net_files_opts *o,
                    den_error **err);

/* ---------------------------------------------------------------- setup (slirp.c, ports.c) */

struct net_handle; /* what keeps the network of one container alive */

/* Sets up the network of a created container whose init (pid, in its new network namespace)
 * has not started yet: for slirp4netns starts slirp4netns (--configure, --mtu, sandbox,
 * seccomp, --exit-fd, --ready-fd: returns only once the tap is configured), then binds every
 * published port on the host first (a port in use is an error and nothing stays running)
 * and starts den's forwarder process (or adds slirp4netns API forwards). The caller is in
 * den's user namespace and is the process that becomes the monitor. NET_NONE brings lo up
 * (the runtime only creates the namespace); NET_HOST, NET_CONTAINER and NET_NS need nothing
 * here (the spec already names the namespace). Random host ports chosen are written back into
 * c->ports. Errors read like podman's: "rootlessport listen tcp 0.0.0.0:8080: bind" with
 * EADDRINUSE, "start slirp4netns: slirp4netns failed: <its last message>". netns_fd and
 * userns_fd are the init's namespaces as the runtime opened them before the init changed
 * credentials (a non-root container user makes /proc/PID/ns unreadable to others); -1 opens
 * /proc/PID/ns here. */
int net_setup(struct net_config *c, pid_t pid, int netns_fd, int userns_fd, struct net_handle **ret,
              den_error **err);
/* net_setup in two halves, so that slirp4netns starts while the container's init still sets
 * up its root: begin binds the published ports and spawns slirp4netns (it needs only the
 * namespaces); end waits until tap0 and lo are configured and starts the forwarding.
 * After a failed end the caller tears the handle down. */
int net_setup_begin(struct net_config *c, pid_t pid, int netns_fd, int userns_fd,
                    struct net_handle **ret, den_error **err);
int net_setup_end(struct net_handle *h, struct net_config *c, den_error **err);
/* Brings lo up in the calling process's own network namespace (den's runtime, in the init of
 * a namespace it created); 0 or an errno. Needs CAP_NET_ADMIN over the namespace. */
int net_lo_up_here(void);
/* The fds the monitor must hold open for the network to live (closing them makes
 * slirp4netns and the forwarder exit). They are O_CLOEXEC: whoever execs the monitor program
 * clears that flag on them. Both run in sessions of their own: the forwarder is detached (not
 * the caller's child), slirp4netns is the child of the process that spawned it, whose reaping
 * (the monitor's, or the orphan reaper's once den exits) cares only for the container's init. */
const int *net_handle_fds(const struct net_handle *h, size_t *ret_n);
/* Kills whatever net_setup started (a failed start), and frees. */
void net_teardown(struct net_handle *h);
/* Frees without stopping anything (after rt_monitor_exec took the fds, or in den): the fds of
 * net_handle_fds stay open. */
void net_handle_free(struct net_handle *h);
/* In a process that forked with a handle: closes its own copies of every fd (the child's keep
 * the network alive) and frees, stopping and unlinking nothing. */
void net_handle_release(struct net_handle *h);
