/* The client side of a container's attach socket (`run` in the foreground, `attach`,
 * `start -a`).
 *
 * Protocol. den-monitor listens on a unix SOCK_SEQPACKET socket (0600, in the user's
 * runroot); every message is one packet: a type byte (enum rt_attach_msg) and a payload.
 *   monitor -> client   RT_ATTACH_STDOUT  bytes the container wrote to stdout (or its pty)
 *                       RT_ATTACH_STDERR  bytes it wrote to stderr
 *                       RT_ATTACH_EXIT    its exit code (0-255, 128+n for signal n) in decimal
 *                                         text; the monitor closes the connection after it
 *                                         (the first client: after its answer, see TAKEOVER)
 *   client -> monitor   RT_ATTACH_STDIN   bytes for the container's stdin
 *                       RT_ATTACH_STDIN_CLOSE  end of input (ignored with a terminal)
 *                       RT_ATTACH_RESIZE  rows and cols, two native-endian uint16
 *                       RT_ATTACH_TAKEOVER  after the exit, from the client the container
 *                                         started with (run, start -a): it does the exit
 *                                         command's work (--rm removal) itself, so the
 *                                         monitor does not run it; a client that closes the
 *                                         connection instead leaves it to the monitor
 * Payloads are at most 8 KiB. Unknown types are ignored by both sides. Packets keep message
 * boundaries, so no framing is needed. The monitor never waits for a client: output a client
 * does not read in time is dropped for that client only.
 *
 * Trust: only the user's own processes can connect (the socket's mode and directory); the
 * monitor's output is the container's, copied verbatim to the user's fds. */
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>

#include "runtime/runtime.h"

#define CHUNK 8192
#define MAX_DETACH_KEYS 16

/* sun_path holds 107 bytes, and a runroot can be deeper than that: a longer path is reached
 * through its directory's fd, "/proc/self/fd/N/attach" (den-monitor binds the same way). */
static int socket_address(const char *path, struct sockaddr_un *sa, int *ret_dfd)
{
        const char *slash = strrchr(path, '/');
        _cleanup_free_ char *dir = NULL;
        int dfd;

        *ret_dfd = -EBADF;
        if (strlen(path) < sizeof(sa->sun_path)) {
                strcpy(sa->sun_path, path);
                return 0;
        }
        if (!slash)
                return -ENAMETOOLONG;
        dir = xstrndup(path, (size_t) (slash - path));
        dfd = open(*dir ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return -errno;
        if ((size_t) snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/%s", dfd,
                              slash + 1) >= sizeof(sa->sun_path)) {
                (void) close(dfd);
                return -ENAMETOOLONG;
        }
        *ret_dfd = dfd;
        return 0;
}

int rt_attach_connect(const char *socket_path, int *ret_fd, den_error **err)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -EBADF, dfd = -EBADF;
        int r;

        r = socket_address(socket_path, &sa, &dfd);
        if (r < 0)
                return den_error_set(err, -r, "attach: socket path \"%s\"", socket_path);
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return den_error_set(err, errno, "attach: create socket");
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                int e = errno == ECONNREFUSED ? ENOENT : errno; /* a stale socket: gone */

                return den_error_set(err, e, "attach: connect to \"%s\"", socket_path);
        }
        *ret_fd = steal_fd(fd);
        return 0;
}

/* podman's --detach-keys: comma-separated keys, each one character or "ctrl-X" with X one
 * of a-z @ [ \ ] ^ _. */
static int detach_keys_parse(const char *s, unsigned char *keys, size_t *ret_n, den_error **err)
{
        size_t n = 0;
        const char *p = s;

        if (!*s) {
                *ret_n = 0; /* "" disables detaching */
                return 0;
        }
        for (;;) {
                const char *end = strchrnul(p, ',');
                size_t len = (size_t) (end - p);
                int key = -1;

                if (len == 1) {
                        key = (unsigned char) *p;
                } else if (len == 6 && strncmp(p, "ctrl-", 5) == 0) {
                        char c = p[5];

                        if (c >= 'a' && c <= 'z')
                                key = c - 'a' + 1;
                        else if (c == '@' || c == '[' || c == '\\' || c == ']' || c == '^' ||
                                 c == '_')
                                key = c - '@';
                }
                /* podman's wording, which names the one key it could not read */
                if (key < 0)
                        return den_error_set(err, 0,
                                             "invalid detach keys: Unknown character: '%.*s'",
                                             (int) len, p);
                if (n == MAX_DETACH_KEYS)
                        return den_error_set(err, 0, "invalid detach keys: more than %d keys",
                                             MAX_DETACH_KEYS);
                keys[n++] = (unsigned char) key;
                if (!*end)
                        break;
                p = end + 1;
        }
        *ret_n = n;
        return 0;
}

struct attach {
        int sock;
        const struct rt_attach_opts *o;
        unsigned char keys[MAX_DETACH_KEYS];
        size_t n_keys;
        size_t matched; /* how many detach keys the input ended with so far */
        bool has_raw;
        struct termios saved;
};

static int send_msg(int sock, uint8_t type, const void *p, size_t n, den_error **err)
{
        struct iovec iov[2] = { { &type, 1 }, { (void *) p, n } };
        struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };

        while (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0)
                if (errno != EINTR)
                        return den_error_set(err, errno, "attach: send");
        return 0;
}

static int send_size(struct attach *a, den_error **err)
{
        struct winsize ws;
        uint16_t rc[2];

        if (!a->o->is_tty || a->o->in_fd < 0 || ioctl(a->o->in_fd, TIOCGWINSZ, &ws) < 0)
                return 0;
        rc[0] = ws.ws_row;
        rc[1] = ws.ws_col;
        return send_msg(a->sock, RT_ATTACH_RESIZE, rc, sizeof(rc), err);
}

/* Input in packets of at most CHUNK bytes, the most den-monitor reads at once. */
static int send_input(int sock, const unsigned char *p, size_t n, den_error **err)
{
        for (size_t off = 0; off < n; off += CHUNK)
                if (send_msg(sock, RT_ATTACH_STDIN, p + off, n - off > CHUNK ? CHUNK : n - off,
                             err) < 0)
                        return -1;
        return 0;
}

/* Forwards input, holding back a prefix of the detach sequence until it is complete (detach:
 * returns 1) or broken (the held keys are sent after all). */
static int forward_input(struct attach *a, const unsigned char *p, size_t n, den_error **err)
{
        unsigned char out[CHUNK + MAX_DETACH_KEYS];
        size_t k = 0;

        for (size_t i = 0; i < n; i++) {
                if (a->n_keys && p[i] == a->keys[a->matched]) {
                        if (++a->matched == a->n_keys)
                                return send_input(a->sock, out, k, err) < 0 ? -1 : 1;
                        continue;
                }
                memcpy(out + k, a->keys, a->matched);
                k += a->matched;
                a->matched = 0;
                if (a->n_keys && p[i] == a->keys[0]) {
                        a->matched = 1;
                        continue;
                }
                out[k++] = p[i];
        }
        return send_input(a->sock, out, k, err);
}

/* One packet from the monitor: 0 to go on, 2 for the exit message. */
static int handle_packet(struct attach *a, const char *p, size_t n, int *ret_code, den_error **err)
{
        int fd, r;

        if (n == 0)
                return 0;
        switch ((uint8_t) p[0]) {
        case RT_ATTACH_STDOUT:
        case RT_ATTACH_STDERR:
                fd = (uint8_t) p[0] == RT_ATTACH_STDOUT ? a->o->out_fd : a->o->err_fd;
                if (fd < 0)
                        return 0;
                r = den_write_all(fd, p + 1, n - 1);
                if (r < 0 && r != -EPIPE)
                        return den_error_set(err, -r, "attach: write output");
                return 0;
        case RT_ATTACH_EXIT: {
                char code[16] = { 0 };
                int v;

                memcpy(code, p + 1, n - 1 < sizeof(code) - 1 ? n - 1 : sizeof(code) - 1);
                if (den_parse_int(code, 0, 255, &v) < 0)
                        return den_error_set(err, EPROTO, "attach: bad exit message");
                *ret_code = v;
                return 2;
        }
        default:
                return 0;
        }
}

/* What --sig-proxy forwards: the catchable signals but SIGCHLD, SIGPIPE and SIGURG, as podman
 * does (SIGWINCH becomes a resize message instead). */
static const int proxied[] = { SIGINT,  SIGTERM, SIGHUP,  SIGQUIT, SIGUSR1,   SIGUSR2, SIGALRM,
                               SIGCONT, SIGTSTP, SIGTTIN, SIGTTOU, SIGVTALRM, SIGPROF, SIGXCPU,
                               SIGXFSZ, SIGIO,   SIGPWR,  SIGSYS,  SIGTRAP };

/* The signals this attach handles, as an fd (*ret_fd = -1 when there are none); they are
 * blocked until rt_attach_run restores *old. */
static int make_signalfd(const struct rt_attach_opts *o, sigset_t *old, int *ret_fd,
                         den_error **err)
{
        sigset_t mask;
        int fd;

        sigemptyset(&mask);
        if (o->is_tty)
                sigaddset(&mask, SIGWINCH);
        if (o->sig_proxy_pid > 0)
                for (size_t i = 0; i < ARRAY_SIZE(proxied); i++)
                        sigaddset(&mask, proxied[i]);
        *ret_fd = -1;
        if (sigisemptyset(&mask))
                return 0;
        fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        if (fd < 0)
                return den_error_set(err, errno, "attach: signalfd");
        sigprocmask(SIG_BLOCK, &mask, old);
        *ret_fd = fd;
        return 0;
}

static int handle_signals(struct attach *a, int sfd, den_error **err)
{
        struct signalfd_siginfo si;

        while (read(sfd, &si, sizeof(si)) == (ssize_t) sizeof(si)) {
                if (si.ssi_signo == SIGWINCH && a->o->is_tty) {
                        if (send_size(a, err) < 0)
                                return -1;
                } else if (a->o->sig_proxy_pid > 0) {
                        (void) kill(a->o->sig_proxy_pid, (int) si.ssi_signo);
                }
        }
        return 0;
}

static void raw_mode(struct attach *a)
{
        struct termios t;

        if (!a->o->is_tty || a->o->in_fd < 0 || tcgetattr(a->o->in_fd, &a->saved) < 0)
                return;
        t = a->saved;
        cfmakeraw(&t);
        if (tcsetattr(a->o->in_fd, TCSANOW, &t) == 0)
                a->has_raw = true;
}

/* Returns 0 at exit, 1 on detach, -1 on error. */
static int pump(struct attach *a, int sfd, int *ret_code, den_error **err)
{
        _cleanup_free_ char *buf = xmalloc(CHUNK + 1);
        int in_fd = a->o->in_fd;

        for (;;) {
                struct pollfd pfd[3] = { { a->sock, POLLIN, 0 },
                                         { in_fd, POLLIN, 0 },
                                         { sfd, POLLIN, 0 } };
                ssize_t n;
                int r;

                if (poll(pfd, 3, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return den_error_set(err, errno, "attach: poll");
                }
                if (pfd[2].revents && handle_signals(a, sfd, err) < 0)
                        return -1;
                if (pfd[0].revents) {
                        n = recv(a->sock, buf, CHUNK + 1, 0);
                        if (n < 0 && errno != EINTR)
                                return den_error_set(err, errno, "attach: receive");
                        if (n == 0)
                                return den_error_set(err, ECONNRESET,
                                                     "attach: the container's monitor is gone");
                        r = n > 0 ? handle_packet(a, buf, (size_t) n, ret_code, err) : 0;
                        /* a monitor that has already given up waiting is no failure: it
                         * runs the exit command, and removal tolerates a second remover */
                        if (r == 2 && a->o->is_takeover)
                                (void) send_msg(a->sock, RT_ATTACH_TAKEOVER, "", 0, NULL);
                        if (r != 0)
                                return r == 2 ? 0 : -1;
                }
                if (pfd[1].revents) {
                        n = read(in_fd, buf, CHUNK);
                        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                                continue;
                        if (n <= 0) {
                                /* end of input (or an unreadable one): tell the container */
                                if (send_msg(a->sock, RT_ATTACH_STDIN_CLOSE, "", 0, err) < 0)
                                        return -1;
                                in_fd = -1;
                                continue;
                        }
                        r = forward_input(a, (unsigned char *) buf, (size_t) n, err);
                        if (r != 0)
                                return r;
                }
        }
}

int rt_attach_run(int sock, const struct rt_attach_opts *o, int *ret_exit_code, den_error **err)
{
        struct attach a = { .sock = sock, .o = o };
        _cleanup_close_ int sfd = -EBADF;
        sigset_t old;
        int code = 0, r;

        if (detach_keys_parse(o->detach_keys ? o->detach_keys : "ctrl-p,ctrl-q", a.keys, &a.n_keys,
                              err) < 0)
                return -1;
        if (make_signalfd(o, &old, &sfd, err) < 0)
                return -1;
        raw_mode(&a);
        r = send_size(&a, err);
        if (r == 0)
                r = pump(&a, sfd, &code, err);
        if (a.has_raw)
                (void) tcsetattr(o->in_fd, TCSANOW, &a.saved);
        if (sfd >= 0)
                sigprocmask(SIG_SETMASK, &old, NULL);
        if (r == 0)
                *ret_exit_code = code;
        return r;
}
