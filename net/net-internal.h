/* Private to net/: limits and the pieces shared by config.c, files.c, slirp.c and ports.c. */
#pragma once

#include "net.h"

#include <netinet/in.h>

#define NET_DEFAULT_MTU 65520
#define NET_MAX_MTU 65521 /* slirp4netns's limit */
#define NET_DEFAULT_CIDR "10.0.2.0/24"
#define NET_MAX_SPEC 256   /* one -p value */
#define NET_MAX_PORTS 1024 /* -p values in one container */
#define NET_MAX_LIST 4096  /* entries of --dns, --add-host... in a record */
#define NET_TAP "tap0"

const char *net_mode_name(enum net_mode mode);

/* The addresses slirp4netns gives out in c->cidr (default 10.0.2.0/24): the network plus
 * 100 (the container), 2 (the gateway, the host's loopback with allow_host_loopback) and 3
 * (the DNS forwarder). */
struct net_slirp_addrs {
        struct in_addr ctr, gateway, dns;
};
int net_slirp_addrs(const struct net_config *c, struct net_slirp_addrs *ret, den_error **err);

/* Forks a process detached from the caller: a new session, stdin and stdout on /dev/null,
 * stderr on stderr_fd (-1: /dev/null), every fd but keep[] closed. The caller gets the
 * grandchild's pid and returns 1; the grandchild returns 0 and must end in _exit(). The
 * intermediate child is reaped here, so the new process is not the caller's child (the
 * monitor waits for its container alone) and lives on when the caller exits. */
int net_spawn_detached(const int *keep, size_t n_keep, int stderr_fd, pid_t *ret_pid,
                       den_error **err);
/* Brings "lo" up inside the network namespace netns_fd, from a forked child (the caller's own
 * namespace does not change). */
int net_lo_up(int netns_fd, den_error **err);

/* slirp.c */
struct net_slirp {
        pid_t pid;
        int pidfd;
        int exit_fd;  /* write end; slirp4netns exits when it closes */
        int ready_fd; /* until net_slirp_wait: the ready pipe and slirp4netns's log */
        int log_fd;
        char *api_dir, *api_socket;
};
/* slirp4netns for the namespaces netns_fd and userns_fd (handed to it as /proc/self/fd paths). */
int net_slirp_start(const struct net_config *c, int netns_fd, int userns_fd, struct net_slirp *ret,
                    den_error **err);
/* net_slirp_start in two halves, so that other work overlaps slirp4netns's start: spawn
 * returns at once, wait returns once tap0 is configured. Either stops slirp4netns when it
 * fails. */
int net_slirp_spawn(const struct net_config *c, int netns_fd, int userns_fd, struct net_slirp *ret,
                    den_error **err);
int net_slirp_wait(struct net_slirp *s, den_error **err);
int net_slirp_add_ports(const struct net_slirp *s, const struct net_config *c, den_error **err);
void net_slirp_stop(struct net_slirp *s, bool kill_it);
/* Removes the API socket's path and directory (slirp4netns keeps listening on its fd). */
void net_slirp_forget_api(struct net_slirp *s);
/* Closes this process's copies of s's fds and frees it, leaving slirp4netns and its API
 * socket to the process that forked with the same copies. */
void net_slirp_release(struct net_slirp *s);
/* Parses one reply of slirp4netns's API socket: 0 for {"return": ...}, -1 with err (the
 * reply's "desc") for {"error": ...} or anything else. */
int net_slirp_parse_reply(const char *buf, size_t len, den_error **err);

/* ports.c: den's forwarder */
struct net_listener {
        int fd;
        int ctr_port;
        bool is_udp;
};
/* Binds every published port (choosing free host ports where host_port is 0 and writing them
 * back into c->ports). All or nothing. */
int net_ports_bind(struct net_config *c, struct net_listener **ret, size_t *ret_n, den_error **err);
void net_listeners_close(struct net_listener *l, size_t n);
/* Starts the forwarder with the bound listeners (closed in the caller either way). */
int net_ports_start(struct net_listener *l, size_t n, int netns_fd, pid_t *ret_pid, int *ret_pidfd,
                    int *ret_lifetime_fd, den_error **err);
