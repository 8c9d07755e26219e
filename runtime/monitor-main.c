/* den-monitor: the small process that stays with a running container.
 *
 * It is exec'd by rt_monitor_exec in the process that created the container, so the init is
 * its child. It copies the container's output to the k8s-file log and to attached clients,
 * feeds stdin from clients to the container, reaps the init, writes the exit record,
 * unmounts the container's root and runs the exit command (unless the client the container
 * started with takes that over: see await_takeover). The wire protocol is described at the
 * top of runtime/attach.c.
 *
 * Memory: this process lives as long as the container, once per container, so it links only
 * libc (none of util's libraries), has no threads, allocates per client only what that client
 * has pending, and uses one 8 KiB read buffer on the stack.
 *
 * Trust: the clients are the user's own den processes (the socket is 0600 in the user's
 * runroot), the container's output is untrusted data that is only copied, never parsed. A
 * client that stops reading loses data instead of stalling the container. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "runtime/runtime.h"

#define READ_CHUNK 8192
#define MAX_CLIENTS 64
/* A client this far behind stops the reading of the container's output until it catches up:
 * the container's writes then wait, as they would on a pipe, and nothing is lost. The
 * foreground client (run, start -a) is always waited for; one that attached later and takes
 * nothing for CLIENT_STALL_MS is only sent what fits from then on, so a stuck `attach` cannot
 * stop a container. */
#define CLIENT_QUEUE_MAX (256u << 10)
#define CLIENT_STALL_MS 5000
#define STDIN_MAX (64u << 10) /* clients are not read while this much is pending */
#define EXIT_COMMAND_TIMEOUT_S 120
/* after the exit, a client that takes nothing for this long loses the rest */
#define EXIT_FLUSH_IDLE_MS 10000
/* how long the foreground client has to answer the exit with RT_ATTACH_TAKEOVER; a live one
 * answers at once, a dead one closes its end at once, so this bounds a stopped client only */
#define TAKEOVER_WAIT_MS 5000

struct client {
        int fd;
        bool has_stdin;
        bool is_foreground;    /* never loses output */
        bool is_lossy;         /* stalled once: output beyond a full queue is dropped */
        int64_t full_since_ms; /* when its queue filled, 0 while it has room */
        char *q;               /* queued messages, each as [u32 length][bytes] */
        size_t q_len;
};

struct stream {
        int fd;
        const char *name; /* "stdout" / "stderr" */
        uint8_t type;     /* RT_ATTACH_STDOUT / RT_ATTACH_STDERR */
        bool is_partial;  /* the last log record of this stream was "P" */
};

struct mon {
        const char *id;
        pid_t pid;
        struct stream out, err;
        int in_fd;
        bool is_tty;
        int log_fd;
        unsigned log_errors; /* records that could not be written */
        const char *exit_path;
        bool is_exit_volatile; /* no fsync of the exit record */
        int64_t started_ns;    /* kept in the exit record when > 0 */
        const char *unmount_path;
        const char *socket_path;
        int listen_fd;
        int attach_fd;
        int ready_fd;
        int sig_fd;
        char **exit_command;
        int *keep_fds;
        size_t n_keep_fds;
        bool is_stdin_once;
        bool is_stdin_closing;
        char *in_buf;
        size_t in_len;
        struct client clients[MAX_CLIENTS];
        size_t n_clients;
        int exit_code;
        bool has_exited;
};

static void fail(const char *what)
{
        /* stderr is /dev/null once detached: the message matters for tests and debugging */
        fprintf(stderr, "den-monitor: %s: %s\n", what, strerror(errno));
        exit(1);
}

static void *grow(void *p, size_t n)
{
        void *r = realloc(p, n);

        if (!r && n) {
                errno = ENOMEM;
                fail("allocate");
        }
        return r;
}

static int parse_fd(const char *s)
{
        char *end = NULL;
        long v;

        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || !end || *end || v < -1 || v > INT_MAX) {
                errno = EINVAL;
                fail("bad fd argument");
        }
        return (int) v;
}

static void set_nonblock(int fd)
{
        int fl = fcntl(fd, F_GETFL);

        if (fl >= 0)
                (void) fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void parse_args(struct mon *m, int argc, char **argv)
{
        int i;

        for (i = 1; i < argc; i++) {
                const char *a = argv[i];
                const char *v = i + 1 < argc ? argv[i + 1] : NULL;

                if (streq(a, "--")) {
                        i++;
                        break;
                }
                if (streq(a, "--stdin-once")) {
                        m->is_stdin_once = true;
                        continue;
                }
                if (streq(a, "--exit-volatile")) {
                        m->is_exit_volatile = true;
                        continue;
                }
                if (!v) {
                        errno = EINVAL;
                        fail(a);
                }
                i++;
                if (streq(a, "--id"))
                        m->id = v;
                else if (streq(a, "--pid"))
                        m->pid = (pid_t) parse_fd(v);
                else if (streq(a, "--out-fd"))
                        m->out.fd = parse_fd(v);
                else if (streq(a, "--err-fd"))
                        m->err.fd = parse_fd(v);
                else if (streq(a, "--in-fd"))
                        m->in_fd = parse_fd(v);
                else if (streq(a, "--log")) {
                        m->log_fd = open(v, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
                        if (m->log_fd < 0)
                                fail(v); /* before "ok" on ready_fd: the caller sees it */
                } else if (streq(a, "--exit"))
                        m->exit_path = v;
                else if (streq(a, "--socket"))
                        m->socket_path = v;
                else if (streq(a, "--unmount"))
                        m->unmount_path = v;
                else if (streq(a, "--started")) {
                        char *end = NULL;

                        errno = 0;
                        m->started_ns = strtoll(v, &end, 10);
                        if (errno || !end || *end || m->started_ns < 0) {
                                errno = EINVAL;
                                fail("bad --started");
                        }
                } else if (streq(a, "--attach-fd"))
                        m->attach_fd = parse_fd(v);
                else if (streq(a, "--ready-fd"))
                        m->ready_fd = parse_fd(v);
                else if (streq(a, "--keep-fd")) {
                        m->keep_fds = grow(m->keep_fds, (m->n_keep_fds + 1) * sizeof(int));
                        m->keep_fds[m->n_keep_fds++] = parse_fd(v);
                } else {
                        errno = EINVAL;
                        fail(a);
                }
        }
        if (i < argc)
                m->exit_command = argv + i;
        if (m->pid <= 0 || !m->exit_path || !m->socket_path) {
                errno = EINVAL;
                fail("missing --pid, --exit or --socket");
        }
}

/* ---- clients */

static int64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void client_drop(struct mon *m, size_t i)
{
        struct client *c = &m->clients[i];

        if (m->is_stdin_once && c->has_stdin && m->in_fd >= 0)
                m->is_stdin_closing = true;
        close(c->fd);
        free(c->q);
        m->clients[i] = m->clients[--m->n_clients];
}

static void client_add(struct mon *m, int fd, bool has_stdin, bool is_foreground)
{
        if (m->n_clients == MAX_CLIENTS) {
                close(fd);
                return;
        }
        set_nonblock(fd);
        m->clients[m->n_clients++] =
                (struct client){ .fd = fd, .has_stdin = has_stdin, .is_foreground = is_foreground };
}

/* Sends what is queued; false when the client is gone. */
static bool client_flush(struct client *c)
{
        size_t off = 0;

        while (off < c->q_len) {
                uint32_t n;
                ssize_t r;

                memcpy(&n, c->q + off, sizeof(n));
                r = send(c->fd, c->q + off + sizeof(n), n, MSG_DONTWAIT | MSG_NOSIGNAL);
                if (r < 0 && (errno == EAGAIN || errno == EINTR))
                        break;
                if (r < 0)
                        return false;
                off += sizeof(n) + n;
        }
        memmove(c->q, c->q + off, c->q_len - off);
        c->q_len -= off;
        if (off > 0)
                c->full_since_ms = 0; /* it takes output: the stall clock starts again */
        if (c->q_len == 0) {
                /* a caught-up client holds no memory */
                free(c->q);
                c->q = NULL;
        }
        return true;
}

/* Sends one message, or queues it while the client is behind (the caller stops reading
 * output while a queue is full, see clients_full). False when the client is gone. */
static bool client_send(struct client *c, uint8_t type, const char *p, size_t n)
{
        struct iovec iov[2] = { { &type, 1 }, { (void *) p, n } };
        struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
        uint32_t len = (uint32_t) n + 1;

        if (c->q_len == 0) {
                ssize_t r = sendmsg(c->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);

                if (r >= 0)
                        return true;
                if (errno != EAGAIN && errno != EINTR)
                        return false;
        }
        if (c->is_lossy && c->q_len + sizeof(len) + len > CLIENT_QUEUE_MAX)
                return true;
        c->q = grow(c->q, c->q_len + sizeof(len) + len);
        memcpy(c->q + c->q_len, &len, sizeof(len));
        c->q[c->q_len + sizeof(len)] = (char) type;
        memcpy(c->q + c->q_len + sizeof(len) + 1, p, n);
        c->q_len += sizeof(len) + len;
        return true;
}

static bool clients_full(const struct mon *m)
{
        for (size_t i = 0; i < m->n_clients; i++)
                if (!m->clients[i].is_lossy && m->clients[i].q_len >= CLIENT_QUEUE_MAX)
                        return true;
        return false;
}

/* Notes when queues filled, turns clients stalled too long lossy; returns the poll timeout
 * until the next one would stall (-1: none is waited for). */
static int clients_stall_check(struct mon *m, int64_t now)
{
        int timeout = -1;

        for (size_t i = 0; i < m->n_clients; i++) {
                struct client *c = &m->clients[i];
                int64_t left;

                if (c->is_lossy && c->q_len == 0)
                        c->is_lossy = false; /* caught up: waited for again */
                if (c->is_lossy || c->q_len < CLIENT_QUEUE_MAX) {
                        c->full_since_ms = 0;
                        continue;
                }
                if (c->is_foreground)
                        continue;
                if (c->full_since_ms == 0)
                        c->full_since_ms = now;
                left = c->full_since_ms + CLIENT_STALL_MS - now;
                if (left <= 0) {
                        c->is_lossy = true;
                        continue;
                }
                if (timeout < 0 || left < timeout)
                        timeout = (int) left;
        }
        return timeout;
}

static void broadcast(struct mon *m, uint8_t type, const char *p, size_t n)
{
        for (size_t i = 0; i < m->n_clients;)
                if (client_send(&m->clients[i], type, p, n))
                        i++;
                else
                        client_drop(m, i);
}

static void resize(struct mon *m, const char *p, size_t n)
{
        struct winsize ws = { 0 };
        uint16_t rows, cols;

        if (!m->is_tty || n != 4)
                return;
        memcpy(&rows, p, 2);
        memcpy(&cols, p + 2, 2);
        ws.ws_row = rows;
        ws.ws_col = cols;
        (void) ioctl(m->out.fd, TIOCSWINSZ, &ws);
}

/* One message from a client; false when the client is gone. */
static bool client_read(struct mon *m, struct client *c)
{
        char buf[READ_CHUNK + 1];
        ssize_t r = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);

        if (r < 0)
                return errno == EAGAIN || errno == EINTR;
        if (r == 0)
                return false;
        switch ((uint8_t) buf[0]) {
        case RT_ATTACH_STDIN:
                c->has_stdin = true;
                if (m->in_fd < 0 || m->is_stdin_closing)
                        break;
                /* the caller stops reading clients before in_buf can overflow */
                m->in_buf = grow(m->in_buf, m->in_len + (size_t) r - 1);
                memcpy(m->in_buf + m->in_len, buf + 1, (size_t) r - 1);
                m->in_len += (size_t) r - 1;
                break;
        case RT_ATTACH_STDIN_CLOSE:
                c->has_stdin = true;
                if (m->in_fd >= 0 && !m->is_tty)
                        m->is_stdin_closing = true;
                break;
        case RT_ATTACH_RESIZE:
                resize(m, buf + 1, (size_t) r - 1);
                break;
        default:
                break; /* unknown messages are ignored, for newer clients */
        }
        return true;
}

/* ---- output */

static size_t k8s_timestamp(char *buf, size_t size)
{
        struct timespec ts;
        struct tm tm;
        long off;
        char sign = '+';

        clock_gettime(CLOCK_REALTIME, &ts);
        localtime_r(&ts.tv_sec, &tm);
        off = tm.tm_gmtoff;
        if (off < 0) {
                sign = '-';
                off = -off;
        }
        return (size_t) snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%09ld%c%02ld:%02ld",
                                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                                 tm.tm_min, tm.tm_sec, ts.tv_nsec, sign, off / 3600,
                                 off % 3600 / 60);
}

/* One record per line of the chunk: "<time> <stream> F <line>\n" for a line that ends here,
 * "P" for the rest of a chunk without a newline (the line continues in the next record). */
static void log_chunk(struct mon *m, struct stream *s, const char *p, size_t n)
{
        char prefix[96];
        size_t plen;

        if (m->log_fd < 0)
                return;
        plen = k8s_timestamp(prefix, sizeof(prefix) - 16);
        while (n > 0) {
                const char *nl = memchr(p, '\n', n);
                size_t len = nl ? (size_t) (nl - p) : n;
                struct iovec iov[3];
                int k;

                k = snprintf(prefix + plen, sizeof(prefix) - plen, " %s %c ", s->name,
                             nl ? 'F' : 'P');
                iov[0] = (struct iovec){ prefix, plen + (size_t) k };
                iov[1] = (struct iovec){ (void *) p, len };
                iov[2] = (struct iovec){ "\n", 1 };
                /* O_APPEND: each record lands whole; a full disk loses log lines only */
                if (writev(m->log_fd, iov, 3) < 0)
                        m->log_errors++;
                s->is_partial = !nl;
                p += len + (nl ? 1 : 0);
                n -= len + (nl ? 1 : 0);
        }
}

/* Reads what the stream has; false at its end. */
static bool stream_read(struct mon *m, struct stream *s)
{
        char buf[READ_CHUNK];

        for (int rounds = 0; rounds < 16 && !clients_full(m); rounds++) {
                ssize_t r = read(s->fd, buf, sizeof(buf));

                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0 && errno == EAGAIN)
                        return true;
                if (r <= 0)
                        return false; /* EOF, or EIO on a pty master whose slave is closed */
                log_chunk(m, s, buf, (size_t) r);
                broadcast(m, s->type, buf, (size_t) r);
        }
        return true;
}

static void stream_close(struct mon *m, struct stream *s)
{
        if (s->fd < 0)
                return;
        if (s->fd != m->in_fd)
                close(s->fd);
        s->fd = -1;
}

static void stdin_write(struct mon *m)
{
        if (m->in_fd < 0) {
                m->in_len = 0;
                return;
        }
        while (m->in_len > 0) {
                ssize_t r = write(m->in_fd, m->in_buf, m->in_len);

                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0 && errno == EAGAIN)
                        return;
                if (r < 0) {
                        m->in_len = 0; /* the container closed its stdin */
                        m->is_stdin_closing = !m->is_tty;
                        break;
                }
                memmove(m->in_buf, m->in_buf + r, m->in_len - (size_t) r);
                m->in_len -= (size_t) r;
        }
        if (m->in_len == 0) {
                free(m->in_buf);
                m->in_buf = NULL;
        }
        if (m->is_stdin_closing && m->in_len == 0 && m->in_fd >= 0 && !m->is_tty) {
                close(m->in_fd);
                m->in_fd = -1;
        }
}

/* ---- the loop */

static void reap(struct mon *m)
{
        int status;
        pid_t p;

        while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
                if (p != m->pid)
                        continue;
                m->has_exited = true;
                if (WIFEXITED(status))
                        m->exit_code = WEXITSTATUS(status);
                else if (WIFSIGNALED(status))
                        m->exit_code = 128 + WTERMSIG(status);
        }
}

static void loop(struct mon *m)
{
        while (!m->has_exited) {
                struct pollfd pfd[5 + MAX_CLIENTS];
                size_t n = 0, first_client;
                size_t nc = m->n_clients;
                bool can_take_stdin = m->in_len < STDIN_MAX;
                int timeout = clients_stall_check(m, now_ms());
                bool can_read_output = !clients_full(m);

                pfd[n++] = (struct pollfd){ m->sig_fd, POLLIN, 0 };
                pfd[n++] = (struct pollfd){ m->listen_fd, POLLIN, 0 };
                pfd[n++] = (struct pollfd){ can_read_output ? m->out.fd : -1, POLLIN, 0 };
                pfd[n++] = (struct pollfd){ can_read_output ? m->err.fd : -1, POLLIN, 0 };
                pfd[n++] = (struct pollfd){ m->in_len ? m->in_fd : -1, POLLOUT, 0 };
                first_client = n;
                for (size_t i = 0; i < nc; i++)
                        pfd[n++] = (struct pollfd){ m->clients[i].fd,
                                                    (short) ((can_take_stdin ? POLLIN : 0) |
                                                             (m->clients[i].q_len ? POLLOUT : 0)),
                                                    0 };
                if (poll(pfd, n, timeout) < 0) {
                        if (errno == EINTR)
                                continue;
                        fail("poll");
                }
                if (pfd[0].revents) {
                        struct signalfd_siginfo si;

                        while (read(m->sig_fd, &si, sizeof(si)) > 0)
                                ;
                        reap(m);
                }
                if (pfd[1].revents & POLLIN) {
                        int fd = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

                        if (fd >= 0)
                                client_add(m, fd, false, false);
                }
                if (pfd[2].revents && !stream_read(m, &m->out))
                        stream_close(m, &m->out);
                if (pfd[3].revents && !stream_read(m, &m->err))
                        stream_close(m, &m->err);
                if (pfd[4].revents)
                        stdin_write(m);
                /* clients were added or dropped above only at the end of the array; walk the
                 * polled ones backwards so a drop (swap with the last) skips nobody */
                for (size_t i = nc; i-- > 0;) {
                        struct client *c = &m->clients[i];
                        short re = pfd[first_client + i].revents;
                        bool is_alive = true;

                        if (i >= m->n_clients || c->fd != pfd[first_client + i].fd)
                                continue;
                        if (re & POLLOUT)
                                is_alive = client_flush(c);
                        if (is_alive && (re & POLLIN))
                                is_alive = client_read(m, c);
                        if (is_alive && (re & (POLLHUP | POLLERR)) && !(re & POLLIN))
                                is_alive = false;
                        if (!is_alive)
                                client_drop(m, i);
                }
                if (m->in_len || m->is_stdin_closing)
                        stdin_write(m);
        }
}

/* After the init is gone: read what is left in the pipes (the pid namespace is dead, so no
 * writer remains unless one was passed outside it; reads are non-blocking either way). */
static void drain(struct mon *m)
{
        char buf[READ_CHUNK];
        struct stream *ss[2] = { &m->out, &m->err };

        for (int i = 0; i < 2; i++) {
                struct stream *s = ss[i];
                ssize_t r;

                if (s->fd < 0)
                        continue;
                while ((r = read(s->fd, buf, sizeof(buf))) > 0 || (r < 0 && errno == EINTR))
                        if (r > 0) {
                                log_chunk(m, s, buf, (size_t) r);
                                broadcast(m, s->type, buf, (size_t) r);
                        }
                stream_close(m, s);
        }
}

/* Each client gets what is queued and the exit code; one that takes nothing for
 * EXIT_FLUSH_IDLE_MS loses the rest. Returns the foreground client's connection, still open,
 * when it got the exit and there is an exit command it may take over; else -1. */
static int send_exit(struct mon *m)
{
        char code[16];
        int len = snprintf(code, sizeof(code), "%d", m->exit_code);
        int keep = -1;

        for (size_t i = 0; i < m->n_clients; i++) {
                struct client *c = &m->clients[i];
                int64_t deadline = now_ms() + EXIT_FLUSH_IDLE_MS;
                size_t last = c->q_len;

                (void) client_send(c, RT_ATTACH_EXIT, code, (size_t) len);
                while (c->q_len > 0 && client_flush(c) && c->q_len > 0) {
                        struct pollfd p = { c->fd, POLLOUT, 0 };
                        int64_t left;

                        if (c->q_len < last)
                                deadline = now_ms() + EXIT_FLUSH_IDLE_MS;
                        last = c->q_len;
                        left = deadline - now_ms();

                        if (left <= 0 || poll(&p, 1, (int) left) <= 0 || (p.revents & POLLHUP))
                                break;
                }
                if (c->is_foreground && c->q_len == 0 && m->exit_command && m->exit_command[0])
                        keep = c->fd;
                else
                        close(c->fd);
                free(c->q);
        }
        m->n_clients = 0;
        return keep;
}

/* The foreground client's answer to the exit: true when it takes the exit command over
 * (RT_ATTACH_TAKEOVER); false when it closes, stays silent for TAKEOVER_WAIT_MS, or says
 * anything else last. Closes fd. */
static bool await_takeover(int fd)
{
        int64_t deadline = now_ms() + TAKEOVER_WAIT_MS;
        bool is_taken = false;

        for (;;) {
                struct pollfd p = { fd, POLLIN, 0 };
                int64_t left = deadline - now_ms();
                char buf[READ_CHUNK + 1];
                ssize_t n;

                if (left <= 0 || poll(&p, 1, (int) left) <= 0)
                        break;
                n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
                if (n < 0 && (errno == EINTR || errno == EAGAIN))
                        continue;
                if (n <= 0)
                        break;
                /* input the client sent before it saw the exit is of no use now */
                if ((uint8_t) buf[0] == RT_ATTACH_TAKEOVER) {
                        is_taken = true;
                        break;
                }
        }
        close(fd);
        return is_taken;
}

/* The container's root, mounted in this (den's) mount namespace for the container's life. */
static void unmount_root(const struct mon *m)
{
        if (m->unmount_path && umount2(m->unmount_path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 &&
            errno != EINVAL && errno != ENOENT)
                fprintf(stderr, "den-monitor: unmount %s: %s\n", m->unmount_path, strerror(errno));
}

/* The container's cgroup, den-<id> beside this process's own (runtime/cgroup.c), when its
 * resource limits had one: removed once the init is gone. Returns whether the kernel's OOM
 * killer acted in it (memory.events' oom_kill). Nothing on cgroup v1, where there is none. */
static bool cgroup_release(const struct mon *m)
{
        char self[PATH_MAX], path[PATH_MAX + 96], events[1024];
        const char *kill;
        bool is_oom = false;
        ssize_t n;
        int fd;

        if (!m->id)
                return false;
        fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        n = read(fd, self, sizeof(self) - 1);
        close(fd);
        if (n < 4 || strncmp(self, "0::/", 4) != 0)
                return false;
        self[n] = '\0';
        self[strcspn(self, "\n")] = '\0';
        rt_cgroup_strip_leaf(self + 3);
        if (snprintf(path, sizeof(path), "/sys/fs/cgroup%s/den-%.64s/memory.events", self + 3,
                     m->id) >= (int) sizeof(path))
                return false;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false; /* no cgroup of its own: no limits were asked for or possible */
        n = read(fd, events, sizeof(events) - 1);
        close(fd);
        if (n > 0) {
                events[n] = '\0';
                kill = strstr(events, "oom_kill ");
                is_oom = kill && (kill == events || kill[-1] == '\n') && kill[9] != '0';
        }
        *strrchr(path, '/') = '\0';
        /* busy while processes outside a pid namespace of the container's own remain */
        if (rmdir(path) < 0 && errno != ENOENT && errno != EBUSY)
                fprintf(stderr, "den-monitor: remove %s: %s\n", path, strerror(errno));
        return is_oom;
}

static void write_exit_record(struct mon *m)
{
        char body[160], tmp[PATH_MAX];
        struct timespec ts;
        int fd, len;

        clock_gettime(CLOCK_REALTIME, &ts);
        len = snprintf(body, sizeof(body),
                       "{\"exit_code\":%d,\"finished_ns\":%lld,\"started_ns\":%lld,"
                       "\"oom_killed\":%s}\n",
                       m->exit_code, (long long) ts.tv_sec * 1000000000LL + ts.tv_nsec,
                       (long long) m->started_ns, cgroup_release(m) ? "true" : "false");
        if (snprintf(tmp, sizeof(tmp), "%s.tmp", m->exit_path) >= (int) sizeof(tmp))
                return;
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return;
        if (write(fd, body, (size_t) len) != len || (!m->is_exit_volatile && fsync(fd) < 0)) {
                close(fd);
                unlink(tmp);
                return;
        }
        close(fd);
        if (rename(tmp, m->exit_path) < 0)
                unlink(tmp);
}

static void run_exit_command(struct mon *m)
{
        sigset_t none;
        pid_t p;

        if (!m->exit_command || !m->exit_command[0])
                return;
        p = fork();
        if (p < 0)
                return;
        if (p == 0) {
                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                signal(SIGPIPE, SIG_DFL);
                execvp(m->exit_command[0], m->exit_command);
                _exit(127);
        }
        for (int64_t deadline = now_ms() + EXIT_COMMAND_TIMEOUT_S * 1000;;) {
                struct pollfd pfd = { m->sig_fd, POLLIN, 0 };
                struct signalfd_siginfo si;
                int64_t left = deadline - now_ms();

                if (waitpid(p, NULL, WNOHANG) == p)
                        return;
                if (left <= 0) {
                        kill(p, SIGKILL);
                        (void) waitpid(p, NULL, 0);
                        return;
                }
                if (poll(&pfd, 1, (int) (left > 1000 ? 1000 : left)) > 0)
                        while (read(m->sig_fd, &si, sizeof(si)) > 0)
                                ;
        }
}

/* sun_path holds 107 bytes and a runroot can be deeper: a longer path is bound through its
 * directory's fd, "/proc/self/fd/N/attach", as rt_attach_connect connects. Returns that fd
 * (close it after bind) or -1 when the path fits. */
static int socket_address(const char *path, struct sockaddr_un *sa)
{
        const char *slash = strrchr(path, '/');
        char dir[PATH_MAX];
        int dfd;

        if (strlen(path) < sizeof(sa->sun_path)) {
                strcpy(sa->sun_path, path);
                return -1;
        }
        errno = ENAMETOOLONG;
        if (!slash || (size_t) (slash - path) >= sizeof(dir))
                fail(path);
        memcpy(dir, path, (size_t) (slash - path));
        dir[slash - path] = '\0';
        dfd = open(*dir ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                fail(dir);
        if ((size_t) snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/%s", dfd,
                              slash + 1) >= sizeof(sa->sun_path)) {
                errno = ENAMETOOLONG;
                fail(path);
        }
        return dfd;
}

static void setup(struct mon *m)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        sigset_t mask;
        mode_t old_umask;
        int dfd;

        if (getsid(0) != getpid())
                (void) setsid();
        signal(SIGPIPE, SIG_IGN);
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        m->sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        if (m->sig_fd < 0)
                fail("signalfd");

        dfd = socket_address(m->socket_path, &sa);
        m->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (m->listen_fd < 0)
                fail("socket");
        (void) unlink(m->socket_path); /* a stale socket of an earlier run */
        old_umask = umask(0177);       /* the socket file is 0600 from birth */
        if (bind(m->listen_fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                fail(m->socket_path);
        umask(old_umask);
        if (dfd >= 0)
                close(dfd);
        if (listen(m->listen_fd, 16) < 0)
                fail("listen");

        if (m->out.fd >= 0)
                set_nonblock(m->out.fd);
        if (m->err.fd >= 0)
                set_nonblock(m->err.fd);
        if (m->in_fd >= 0)
                set_nonblock(m->in_fd);
        m->is_tty = m->err.fd < 0 && m->out.fd >= 0 && isatty(m->out.fd);
        if (m->attach_fd >= 0)
                client_add(m, m->attach_fd, m->in_fd >= 0, true);
        if (m->ready_fd >= 0) {
                (void) !write(m->ready_fd, "ok\n", 3);
                close(m->ready_fd);
        }
}

int main(int argc, char **argv)
{
        struct mon m = {
                .out = { .fd = -1, .name = "stdout", .type = RT_ATTACH_STDOUT },
                .err = { .fd = -1, .name = "stderr", .type = RT_ATTACH_STDERR },
                .in_fd = -1,
                .log_fd = -1,
                .attach_fd = -1,
                .ready_fd = -1,
                .exit_code = 255,
        };
        int fg;

        /* den's user namespace kept between commands (runtime/userns.c): nothing to do but
         * be there, until SIGTERM or the end of the session */
        if (argc == 2 && streq(argv[1], "--hold-userns")) {
                (void) prctl(PR_SET_NAME, "den-userns");
                for (;;)
                        pause();
        }
        parse_args(&m, argc, argv);
        setup(&m);
        reap(&m); /* the init may have exited before SIGCHLD was blocked */
        loop(&m);
        drain(&m);
        if (m.in_fd >= 0 && m.in_fd != m.out.fd)
                close(m.in_fd);
        for (size_t i = 0; i < m.n_keep_fds; i++)
                close(m.keep_fds[i]);
        write_exit_record(&m);
        unmount_root(&m);
        close(m.listen_fd);
        (void) unlink(m.socket_path);
        if (m.log_fd >= 0)
                close(m.log_fd);
        fg = send_exit(&m);
        free(m.in_buf);
        free(m.keep_fds);
        if (fg < 0 || !await_takeover(fg))
                run_exit_command(&m);
        return 0;
}
