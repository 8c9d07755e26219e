/* net_setup and the pieces shared by slirp.c and ports.c: detached helper processes, the
 * loopback interface, and the handle the monitor keeps. */
#include "net.h"
#include "net-internal.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

struct net_handle {
        enum net_mode mode;
        int netns_fd;                   /* the container's, between the two halves */
        struct net_listener *listeners; /* bound, not yet handed to the forwarder */
        size_t n_listeners;
        struct net_slirp slirp;
        bool has_slirp;
        pid_t fwd_pid;
        int fwd_pidfd;
        int fds[2]; /* slirp4netns's exit fd, the forwarder's lifetime fd */
        size_t n_fds;
};

int net_slirp_addrs(const struct net_config *c, struct net_slirp_addrs *ret, den_error **err)
{
        const char *cidr = c->cidr ? c->cidr : NET_DEFAULT_CIDR;
        const char *slash = strchr(cidr, '/');
        _cleanup_free_ char *addr = slash ? xstrndup(cidr, (size_t) (slash - cidr)) : NULL;
        struct in_addr a;
        int len;
        uint32_t net, mask;

        if (!addr || inet_pton(AF_INET, addr, &a) != 1 || den_parse_int(slash + 1, 0, 32, &len) < 0)
                return den_error_set(err, 0, "invalid cidr \"%s\"", cidr);
        if (len > 24)
                return den_error_set(err, 0, "cidr \"%s\" is too small for slirp4netns", cidr);
        mask = len ? ~0u << (32 - len) : 0;
        net = ntohl(a.s_addr) & mask;
        ret->ctr.s_addr = htonl(net + 100);
        ret->gateway.s_addr = htonl(net + 2);
        ret->dns.s_addr = htonl(net + 3);
        return 0;
}

/* ---------------------------------------------------------------- detached processes */

static void close_all_but(const int *keep, size_t n_keep)
{
        unsigned from = 3;

        for (;;) {
                unsigned next = ~0u; /* the lowest kept fd at or above from */

                for (size_t i = 0; i < n_keep; i++)
                        if (keep[i] >= (int) from && (unsigned) keep[i] < next)
                                next = (unsigned) keep[i];
                if (next > from)
                        (void) syscall(SYS_close_range, from, next - 1, 0);
                if (next == ~0u)
                        return;
                from = next + 1;
        }
}

static void reset_signals(void)
{
        sigset_t all;

        for (int s = 1; s < NSIG; s++)
                (void) signal(s, SIG_DFL);
        sigemptyset(&all);
        (void) sigprocmask(SIG_SETMASK, &all, NULL);
}

int net_spawn_detached(const int *keep, size_t n_keep, int log_fd, pid_t *ret_pid, den_error **err)
{
        _cleanup_close_ int rd = -EBADF, wr = -EBADF;
        int p[2], status, null_fd;
        pid_t child, grandchild = 0;
        ssize_t n;

        if (pipe2(p, O_CLOEXEC) < 0)
                return den_error_set(err, errno, "create pipe");
        rd = p[0];
        wr = p[1];
        child = fork();
        if (child < 0)
                return den_error_set(err, errno, "fork");
        if (child == 0) {
                (void) setsid();
                grandchild = fork();
                if (grandchild != 0) {
                        (void) den_write_all(wr, &grandchild, sizeof(grandchild));
                        _exit(grandchild < 0 ? 1 : 0);
                }
                (void) close(steal_fd(rd));
                (void) close(steal_fd(wr));
                reset_signals();
                null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
                if (null_fd < 0 || dup2(null_fd, 0) < 0 ||
                    dup2(log_fd >= 0 ? log_fd : null_fd, 1) < 0 ||
                    dup2(log_fd >= 0 ? log_fd : null_fd, 2) < 0)
                        _exit(126);
                close_all_but(keep, n_keep);
                return 0;
        }
        (void) close(steal_fd(wr));
        n = read(rd, &grandchild, sizeof(grandchild));
        (void) waitpid(child, &status, 0);
        if (n != sizeof(grandchild) || grandchild <= 0)
                return den_error_set(err, EAGAIN, "fork");
        *ret_pid = grandchild;
        return 1;
}

/* ---------------------------------------------------------------- lo */

int net_lo_up_here(void)
{
        struct ifreq ifr = { 0 };
        _cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        if (s < 0)
                return errno;
        strcpy(ifr.ifr_name, "lo");
        if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
                return errno;
        ifr.ifr_flags |= IFF_UP;
        if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
                return errno;
        return 0;
}

int net_lo_up(int netns_fd, den_error **err)
{
        pid_t child;
        int status;

        child = fork();
        if (child < 0)
                return den_error_set(err, errno, "fork");
        if (child == 0)
                _exit(setns(netns_fd, CLONE_NEWNET) < 0 ? errno : net_lo_up_here());
        if (waitpid(child, &status, 0) < 0)
                return den_error_set(err, errno, "wait for child");
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return den_error_set(err, WIFEXITED(status) ? WEXITSTATUS(status) : 0,
                                     "bring up lo in the container's network namespace");
        return 0;
}

/* ---------------------------------------------------------------- setup */

/* The second half for slirp4netns: tap0 up, the published ports. slirp4netns --configure
 * brings lo up as well as tap0. */
static int finish_slirp(struct net_config *c, struct net_handle *h, den_error **err)
{
        int lifetime = -EBADF;

        if (net_slirp_wait(&h->slirp, err) < 0)
                return -1;
        if (c->is_slirp_port_handler) {
                if (net_slirp_add_ports(&h->slirp, c, err) < 0)
                        return -1;
                /* slirp4netns keeps its listening socket; the path is no longer needed. */
                net_slirp_forget_api(&h->slirp);
                return 0;
        }
        if (h->n_listeners == 0)
                return 0;
        /* net_ports_start closes the listeners either way */
        if (net_ports_start(steal_ptr(h->listeners), h->n_listeners, h->netns_fd, &h->fwd_pid,
                            &h->fwd_pidfd, &lifetime, err) < 0)
                return -1;
        h->fds[h->n_fds++] = lifetime;
        return 0;
}

/* /proc/PID/ns/NAME, when the runtime could not hand the namespace over. */
static int open_ns(pid_t pid, const char *name, int given, int *own, den_error **err)
{
        char path[64];

        if (given >= 0)
                return given;
        (void) snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int) pid, name);
        *own = open(path, O_RDONLY | O_CLOEXEC);
        if (*own < 0)
                return den_error_set(err, errno, "open %s", path);
        return *own;
}

int net_setup_begin(struct net_config *c, pid_t pid, int netns_fd, int userns_fd,
                    struct net_handle **ret, den_error **err)
{
        _cleanup_close_ int own_user = -EBADF;
        struct net_handle *h = xcalloc(1, sizeof(*h));
        int own_net = -EBADF, r = 0;

        h->fwd_pidfd = -EBADF;
        h->netns_fd = -EBADF;
        h->slirp.pidfd = -EBADF;
        h->slirp.exit_fd = -EBADF;
        h->slirp.ready_fd = -EBADF;
        h->slirp.log_fd = -EBADF;
        h->mode = c->mode;
        if (c->mode == NET_SLIRP4NETNS || c->mode == NET_NONE) {
                /* kept for the second half: a copy of the runtime's, or our own */
                r = open_ns(pid, "net", netns_fd, &own_net, err);
                if (r >= 0)
                        h->netns_fd = own_net >= 0 ? own_net : fcntl(r, F_DUPFD_CLOEXEC, 3);
                if (r >= 0 && h->netns_fd < 0)
                        r = den_error_set(err, errno, "duplicate the network namespace fd");
        }
        if (r >= 0 && c->mode == NET_SLIRP4NETNS) {
                userns_fd = open_ns(pid, "user", userns_fd, &own_user, err);
                r = userns_fd;
        }
        if (r >= 0) {
                r = 0;
                switch (c->mode) {
                case NET_SLIRP4NETNS:
                        /* Host ports first: a port in use fails the start before anything
                         * runs. */
                        if (net_ports_bind(c, &h->listeners, &h->n_listeners, err) < 0) {
                                r = -1;
                                break;
                        }
                        /* slirp4netns's handler binds the ports itself: the listeners only
                         * checked them and chose the random ones; copies kept in forks made
                         * before its start (the container's init) would keep them busy */
                        if (c->is_slirp_port_handler) {
                                net_listeners_close(steal_ptr(h->listeners), h->n_listeners);
                                h->n_listeners = 0;
                        }
                        if (net_slirp_spawn(c, h->netns_fd, userns_fd, &h->slirp, err) < 0) {
                                r = -1;
                                break;
                        }
                        h->has_slirp = true;
                        h->fds[h->n_fds++] = h->slirp.exit_fd;
                        break;
                case NET_PASTA:
                        r = den_error_set(err, ENOTSUP,
                                          "network mode pasta: passt is not supported");
                        break;
                case NET_NONE:
                case NET_HOST:
                case NET_CONTAINER:
                case NET_NS:
                        break;
                default:
                        r = den_error_set(err, EINVAL, "unknown network mode %d", (int) c->mode);
                        break;
                }
        }
        if (r < 0) {
                net_teardown(h);
                return -1;
        }
        *ret = h;
        return 0;
}

int net_setup_end(struct net_handle *h, struct net_config *c, den_error **err)
{
        if (h->mode == NET_SLIRP4NETNS)
                return finish_slirp(c, h, err);
        if (h->mode == NET_NONE)
                return net_lo_up(h->netns_fd, err);
        return 0;
}

int net_setup(struct net_config *c, pid_t pid, int netns_fd, int userns_fd, struct net_handle **ret,
              den_error **err)
{
        struct net_handle *h = NULL;

        if (net_setup_begin(c, pid, netns_fd, userns_fd, &h, err) < 0)
                return -1;
        if (net_setup_end(h, c, err) < 0) {
                net_teardown(h);
                return -1;
        }
        *ret = h;
        return 0;
}

const int *net_handle_fds(const struct net_handle *h, size_t *ret_n)
{
        *ret_n = h->n_fds;
        return h->fds;
}

static void signal_pidfd(int pidfd)
{
        if (pidfd >= 0)
                (void) syscall(SYS_pidfd_send_signal, pidfd, SIGTERM, NULL, 0);
}

void net_teardown(struct net_handle *h)
{
        if (!h)
                return;
        /* Closing the fds alone makes both exit; the signal covers one that is stuck. */
        for (size_t i = 0; i < h->n_fds; i++)
                (void) close(h->fds[i]);
        h->n_fds = 0;
        signal_pidfd(h->fwd_pidfd);
        if (h->has_slirp) {
                h->slirp.exit_fd = -EBADF;
                net_slirp_stop(&h->slirp, true);
                h->has_slirp = false;
        }
        net_handle_free(h);
}

void net_handle_release(struct net_handle *h)
{
        if (!h)
                return;
        /* the exit fd is among fds[] and slirp's own: closed once */
        for (size_t i = 0; i < h->n_fds; i++)
                if (!h->has_slirp || h->fds[i] != h->slirp.exit_fd)
                        (void) close(h->fds[i]);
        h->n_fds = 0;
        if (h->has_slirp)
                net_slirp_release(&h->slirp);
        h->has_slirp = false;
        net_handle_free(h);
}

void net_handle_free(struct net_handle *h)
{
        if (!h)
                return;
        if (h->listeners)
                net_listeners_close(h->listeners, h->n_listeners);
        if (h->netns_fd >= 0)
                (void) close(h->netns_fd);
        if (h->fwd_pidfd >= 0)
                (void) close(h->fwd_pidfd);
        if (h->has_slirp)
                net_slirp_stop(&h->slirp, false);
        free(h);
}
