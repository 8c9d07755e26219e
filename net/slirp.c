/* slirp4netns: user-mode networking for the container's network namespace.
 *
 * slirp4netns runs in a session of its own (stdio on /dev/null and a log memfd), so it neither
 * dies with the short-lived den process nor keeps den's terminal or pipes open. Its lifetime is
 * tied to the monitor through --exit-fd: it gets the read end of a pipe whose write end only the
 * monitor holds, and exits when that end closes (the monitor exits with the container). --ready-fd
 * tells when tap0 is configured; den waits on it with poll() and a generous timeout, never with a
 * sleep. */
#include "net.h"
#include "net-internal.h"

#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>

#define READY_TIMEOUT_MS 30000
#define LOG_MAX 4096
#define REPLY_MAX 65536

static char **slirp_argv(const struct net_config *c, const char *api_socket)
{
        char **argv = NULL;
        char *s;

        den_strv_push(&argv, "slirp4netns");
        den_strv_push(&argv, "--configure");
        s = xasprintf("--mtu=%u", c->mtu ? c->mtu : NET_DEFAULT_MTU);
        den_strv_push(&argv, s);
        free(s);
        if (!c->allow_host_loopback)
                den_strv_push(&argv, "--disable-host-loopback");
        den_strv_push(&argv, "--enable-sandbox");
        den_strv_push(&argv, "--enable-seccomp");
        den_strv_push(&argv, "--exit-fd=3");
        den_strv_push(&argv, "--ready-fd=4");
        den_strv_push(&argv, "--netns-type=path");
        /* the namespaces are fds 5 and 6 of slirp4netns (exec_slirp) */
        den_strv_push(&argv, "--userns-path=/proc/self/fd/6");
        if (api_socket) {
                den_strv_push(&argv, "--api-socket");
                den_strv_push(&argv, api_socket);
        }
        if (c->cidr) {
                s = xasprintf("--cidr=%s", c->cidr);
                den_strv_push(&argv, s);
                free(s);
        }
        if (c->enable_ipv6)
                den_strv_push(&argv, "--enable-ipv6");
        if (c->outbound_addr) {
                s = xasprintf("--outbound-addr=%s", c->outbound_addr);
                den_strv_push(&argv, s);
                free(s);
        }
        den_strv_push(&argv, "/proc/self/fd/5");
        den_strv_push(&argv, NET_TAP);
        return argv;
}

/* The last line slirp4netns wrote, for an error message. */
static char *log_tail(int log_fd)
{
        char buf[LOG_MAX + 1];
        off_t size = lseek(log_fd, 0, SEEK_END);
        off_t from = size > LOG_MAX ? size - LOG_MAX : 0;
        ssize_t n = pread(log_fd, buf, LOG_MAX, from);
        char *end, *line;

        if (n <= 0)
                return xstrdup("exited");
        buf[n] = '\0';
        end = buf + n;
        while (end > buf && (end[-1] == '\n' || end[-1] == '\r'))
                *--end = '\0';
        line = strrchr(buf, '\n');
        return xstrdup(line ? line + 1 : buf);
}

static int wait_ready(int ready_r, int log_fd, den_error **err)
{
        struct pollfd p = { .fd = ready_r, .events = POLLIN };
        _cleanup_free_ char *why = NULL;
        char c;
        int r;

        do
                r = poll(&p, 1, READY_TIMEOUT_MS);
        while (r < 0 && errno == EINTR);
        if (r < 0)
                return den_error_set(err, errno, "wait for slirp4netns");
        if (r == 0)
                return den_error_set(err, ETIMEDOUT, "wait for slirp4netns");
        if (read(ready_r, &c, 1) == 1 && c == '1')
                return 0;
        why = log_tail(log_fd);
        return den_error_set(err, 0, "slirp4netns failed: %s", why);
}

static int make_api_dir(struct net_slirp *s, den_error **err)
{
        const char *base = getenv("XDG_RUNTIME_DIR");
        char *dir;

        if (!base || !*base || access(base, W_OK) < 0)
                base = "/tmp";
        dir = xasprintf("%s/den-slirp-XXXXXX", base);
        if (!mkdtemp(dir)) {
                int e = errno;

                free(dir);
                return den_error_set(err, e, "create directory for the slirp4netns API socket");
        }
        s->api_dir = dir;
        s->api_socket = xasprintf("%s/api.sock", dir);
        return 0;
}

/* slirp4netns is spawned (posix_spawn: a vfork, no copy of den's page tables) into a session
 * of its own, signals at their defaults, stdin on /dev/null, stdout and stderr on the log;
 * exit_r becomes its fd 3, ready_w fd 4, the network namespace fd 5 and the user namespace
 * fd 6, as argv says, and every other fd is closed. It is the caller's child: a short-lived den
 * leaves it to the reaper of orphans, the monitor's reap ignores it. */
static int spawn(const struct net_config *c, int netns_fd, int userns_fd, struct net_slirp *s,
                 int *ret_ready, int log_fd, den_error **err)
{
        _cleanup_strv_ char **argv = slirp_argv(c, s->api_socket);
        _cleanup_close_ int exit_r = -EBADF, ready_w = -EBADF;
        int exit_p[2], ready_p[2], high[4] = { -EBADF, -EBADF, -EBADF, -EBADF };
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t at;
        sigset_t none, all;
        int r = 0;

        if (pipe2(exit_p, O_CLOEXEC) < 0)
                return den_error_set(err, errno, "create pipe");
        exit_r = exit_p[0];
        s->exit_fd = exit_p[1];
        if (pipe2(ready_p, O_CLOEXEC) < 0)
                return den_error_set(err, errno, "create pipe");
        ready_w = ready_p[1];
        *ret_ready = ready_p[0];
        {
                const int from[4] = { exit_r, ready_w, netns_fd, userns_fd };

                /* copies above the targets, so that no dup2 overwrites a source still needed */
                for (size_t i = 0; i < ARRAY_SIZE(high) && r == 0; i++) {
                        high[i] = fcntl(from[i], F_DUPFD_CLOEXEC, 10);
                        if (high[i] < 0)
                                r = errno;
                }
        }
        if (r == 0 && (r = posix_spawn_file_actions_init(&fa)) == 0) {
                if ((r = posix_spawnattr_init(&at)) == 0) {
                        sigemptyset(&none);
                        sigfillset(&all);
                        r = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
                        for (int fd = 1; fd <= 2 && r == 0; fd++)
                                r = posix_spawn_file_actions_adddup2(&fa, log_fd, fd);
                        for (int i = 0; i < 4 && r == 0; i++)
                                r = posix_spawn_file_actions_adddup2(&fa, high[i], 3 + i);
                        if (r == 0)
                                r = posix_spawn_file_actions_addclosefrom_np(&fa, 7);
                        if (r == 0)
                                r = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID |
                                                                          POSIX_SPAWN_SETSIGMASK |
                                                                          POSIX_SPAWN_SETSIGDEF);
                        if (r == 0)
                                r = posix_spawnattr_setsigmask(&at, &none);
                        if (r == 0)
                                r = posix_spawnattr_setsigdefault(&at, &all);
                        if (r == 0)
                                r = posix_spawnp(&s->pid, argv[0], &fa, &at, argv, environ);
                        (void) posix_spawnattr_destroy(&at);
                }
                (void) posix_spawn_file_actions_destroy(&fa);
        }
        for (size_t i = 0; i < ARRAY_SIZE(high); i++)
                if (high[i] >= 0)
                        (void) close(high[i]);
        if (r == ENOENT)
                return den_error_set(err, 0,
                                     "slirp4netns was not found in $PATH (Debian's "
                                     "slirp4netns package), or use --network none");
        if (r != 0)
                return den_error_set(err, r, "exec slirp4netns");
        s->pidfd = (int) syscall(SYS_pidfd_open, s->pid, 0);
        return 0;
}

static void close_fd_once(int *fd)
{
        if (*fd >= 0)
                (void) close(*fd);
        *fd = -EBADF;
}

int net_slirp_spawn(const struct net_config *c, int netns_fd, int userns_fd, struct net_slirp *ret,
                    den_error **err)
{
        struct net_slirp s = {
                .pid = 0, .pidfd = -EBADF, .exit_fd = -EBADF, .ready_fd = -EBADF, .log_fd = -EBADF
        };

        s.log_fd = memfd_create("slirp4netns-log", MFD_CLOEXEC);
        if (s.log_fd < 0)
                return den_error_set(err, errno, "create slirp4netns log");
        if ((c->is_slirp_port_handler && make_api_dir(&s, err) < 0) ||
            spawn(c, netns_fd, userns_fd, &s, &s.ready_fd, s.log_fd, err) < 0) {
                net_slirp_stop(&s, true);
                return den_error_wrap(err, "start slirp4netns");
        }
        *ret = s;
        return 0;
}

int net_slirp_wait(struct net_slirp *s, den_error **err)
{
        int r = wait_ready(s->ready_fd, s->log_fd, err);

        close_fd_once(&s->ready_fd);
        close_fd_once(&s->log_fd);
        if (r < 0) {
                net_slirp_stop(s, true);
                return den_error_wrap(err, "start slirp4netns");
        }
        den_debug("slirp4netns started, pid %d", (int) s->pid);
        return 0;
}

int net_slirp_start(const struct net_config *c, int netns_fd, int userns_fd, struct net_slirp *ret,
                    den_error **err)
{
        if (net_slirp_spawn(c, netns_fd, userns_fd, ret, err) < 0)
                return -1;
        return net_slirp_wait(ret, err);
}

void net_slirp_stop(struct net_slirp *s, bool kill_it)
{
        close_fd_once(&s->ready_fd);
        close_fd_once(&s->log_fd);
        if (kill_it) {
                if (s->exit_fd >= 0)
                        (void) close(s->exit_fd);
                if (s->pidfd >= 0)
                        (void) syscall(SYS_pidfd_send_signal, s->pidfd, SIGTERM, NULL, 0);
        }
        s->exit_fd = -EBADF;
        if (s->pidfd >= 0)
                (void) close(s->pidfd);
        s->pidfd = -EBADF;
        net_slirp_forget_api(s);
}

void net_slirp_release(struct net_slirp *s)
{
        close_fd_once(&s->ready_fd);
        close_fd_once(&s->log_fd);
        close_fd_once(&s->exit_fd);
        close_fd_once(&s->pidfd);
        free(steal_ptr(s->api_socket));
        free(steal_ptr(s->api_dir));
}

void net_slirp_forget_api(struct net_slirp *s)
{
        if (s->api_socket)
                (void) unlink(s->api_socket);
        if (s->api_dir)
                (void) rmdir(s->api_dir);
        free(steal_ptr(s->api_socket));
        free(steal_ptr(s->api_dir));
}

/* ---------------------------------------------------------------- API socket */

int net_slirp_parse_reply(const char *buf, size_t len, den_error **err)
{
        json_auto_t *j = NULL;
        json_error_t jerr;
        json_t *e, *desc;

        j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!json_is_object(j))
                return den_error_set(err, 0, "slirp4netns: malformed reply");
        if (json_object_get(j, "return"))
                return 0;
        e = json_object_get(j, "error");
        desc = json_object_get(e, "desc");
        if (json_is_string(desc))
                return den_error_set(err, 0, "slirp4netns: %s", json_string_value(desc));
        return den_error_set(err, 0, "slirp4netns: malformed reply");
}

static int api_call(const char *path, const char *request, den_error **err)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *reply = NULL;
        size_t len = 0;
        int r;

        if (strlen(path) >= sizeof(sa.sun_path))
                return den_error_set(err, ENAMETOOLONG, "connect to %s", path);
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return den_error_set(err, errno, "connect to %s", path);
        r = den_write_all(fd, request, strlen(request));
        if (r < 0)
                return den_error_set(err, -r, "write to %s", path);
        (void) shutdown(fd, SHUT_WR);
        r = den_read_fd(fd, REPLY_MAX, &reply, &len);
        if (r < 0)
                return den_error_set(err, -r, "read from %s", path);
        return net_slirp_parse_reply(reply, len, err);
}

int net_slirp_add_ports(const struct net_slirp *s, const struct net_config *c, den_error **err)
{
        struct net_slirp_addrs a;
        char guest[INET_ADDRSTRLEN];

        if (net_slirp_addrs(c, &a, err) < 0)
                return -1;
        inet_ntop(AF_INET, &a.ctr, guest, sizeof(guest));
        for (size_t i = 0; i < c->n_ports; i++) {
                const struct net_port *p = &c->ports[i];
                const char *host = *p->host_ip ? p->host_ip : "0.0.0.0";

                for (unsigned k = 0; k < p->range; k++) {
                        json_auto_t *req = json_pack("{s:s, s:{s:s, s:s, s:i, s:s, s:i}}",
                                                     "execute", "add_hostfwd", "arguments", "proto",
                                                     p->proto, "host_addr", host, "host_port",
                                                     (int) (p->host_port + k), "guest_addr", guest,
                                                     "guest_port", (int) (p->ctr_port + k));
                        _cleanup_free_ char *text = json_dumps(req, JSON_COMPACT);

                        if (api_call(s->api_socket, text, err) < 0)
                                return den_error_wrap(err, "set up port redirection %s %s:%u",
                                                      p->proto, host, p->host_port + k);
                }
        }
        return 0;
}
