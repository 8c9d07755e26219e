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

static int lo_up_child(pid_t pid)
{
        _cleanup_free_ char *path = xasprintf("/proc/%d/ns/net", (int) pid);
        struct ifreq ifr = { 0 };
        int ns, s;

        ns = open(path, O_RDONLY | O_CLOEXEC);
        if (ns < 0 || setns(ns, CLONE_NEWNET) < 0)
                return errno;
        s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
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

int net_lo_up(pid_t pid, den_error **err)
{
        pid_t child;
        int status;

        child = fork();
        if (child < 0)
                return den_error_set(err, errno, "fork");
        if (child == 0)
                _exit(lo_up_child(pid));
        if (waitpid(child, &status, 0) < 0)
                return den_error_set(err, errno, "wait for child");
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return den_error_set(err, WIFEXITED(status) ? WEXITSTATUS(status) : 0,
                                     "bring up lo in the container's network namespace");
        return 0;
}

/* ---------------------------------------------------------------- setup */

static int setup_slirp(struct net_config *c, pid_t pid, struct net_handle *h, den_error **err)
{
        struct net_listener *l = NULL;
        size_t n = 0;
        int lifetime = -EBADF;

        /* Host ports first: a port in use fails the start before anything runs. */
        if (net_ports_bind(c, &l, &n, err) < 0)
                return -1;
        if (net_slirp_start(c, pid, &h->slirp, err) < 0) {
                net_listeners_close(l, n);
                return -1;
        }
        h->has_slirp = true;
        h->fds[h->n_fds++] = h->slirp.exit_fd;
        if (net_lo_up(pid, err) < 0) {
                net_listeners_close(l, n);
                return -1;
        }
        if (c->is_slirp_port_handler) {
                /* The listeners only reserved the ports (and chose the random ones). */
                net_listeners_close(l, n);
                if (net_slirp_add_ports(&h->slirp, c, err) < 0)
                        return -1;
                /* slirp4netns keeps its listening socket; the path is no longer needed. */
                net_slirp_forget_api(&h->slirp);
                return 0;
        }
        if (n == 0)
                return 0;
        if (net_ports_start(l, n, pid, &h->fwd_pid, &h->fwd_pidfd, &lifetime, err) < 0)
                return -1;
        h->fds[h->n_fds++] = lifetime;
        return 0;
}

int net_setup(struct net_config *c, pid_t pid, struct net_handle **ret, den_error **err)
{
        struct net_handle *h = xcalloc(1, sizeof(*h));
        int r = 0;

        h->fwd_pidfd = -EBADF;
        h->slirp.pidfd = -EBADF;
        h->slirp.exit_fd = -EBADF;
        switch (c->mode) {
        case NET_SLIRP4NETNS:
                r = setup_slirp(c, pid, h, err);
                break;
        case NET_NONE:
                r = net_lo_up(pid, err);
                break;
        case NET_PASTA:
                r = den_error_set(err, ENOTSUP, "network mode pasta: passt is not supported");
                break;
        case NET_HOST:
        case NET_CONTAINER:
        case NET_NS:
                break;
        default:
                r = den_error_set(err, EINVAL, "unknown network mode %d", (int) c->mode);
                break;
        }
        if (r < 0) {
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

void net_handle_free(struct net_handle *h)
{
        if (!h)
                return;
        if (h->fwd_pidfd >= 0)
                (void) close(h->fwd_pidfd);
        if (h->has_slirp)
                net_slirp_stop(&h->slirp, false);
        free(h);
}
