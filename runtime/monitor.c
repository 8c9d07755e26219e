/* rt_monitor_exec: turns the calling process (the container's parent) into den-monitor. The
 * options become argv; the fds they name are kept (FD_CLOEXEC cleared), every other fd is
 * closed, and 0-2 point to /dev/null so the monitor never writes to the user's terminal. */
#include <sys/stat.h>
#include <sys/syscall.h>

#include "runtime/runtime.h"

#ifndef DEN_LIBEXECDIR
#define DEN_LIBEXECDIR "/usr/local/libexec/den"
#endif

char *rt_monitor_path(void)
{
        const char *env = getenv("DEN_MONITOR");
        _cleanup_free_ char *self = NULL;
        char *slash;
        ssize_t n;

        if (env && *env)
                return xstrdup(env);
        self = xmalloc(PATH_MAX);
        n = readlink("/proc/self/exe", self, PATH_MAX - 1);
        if (n > 0) {
                self[n] = '\0';
                slash = strrchr(self, '/');
                if (slash) {
                        char *p;

                        *slash = '\0';
                        p = xasprintf("%s/den-monitor", self);
                        if (access(p, X_OK) == 0)
                                return p;
                        free(p);
                }
        }
        return xstrdup(DEN_LIBEXECDIR "/den-monitor");
}

/* Moves fd above 2 (so /dev/null can take 0-2) and records it as kept. */
static int keep(int fd, int *kept, size_t *n)
{
        if (fd < 0)
                return fd;
        if (fd <= 2) {
                int nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);

                if (nfd < 0)
                        return -errno;
                fd = nfd;
        }
        kept[(*n)++] = fd;
        return fd;
}

static int cmp_int(const void *a, const void *b)
{
        int x = *(const int *) a, y = *(const int *) b;

        return (x > y) - (x < y);
}

/* Closes every fd >= 3 that is not in kept (sorted) and clears FD_CLOEXEC on the kept ones. */
static int close_others(int *kept, size_t n)
{
        unsigned from = 3;

        qsort(kept, n, sizeof(*kept), cmp_int);
        for (size_t i = 0; i <= n; i++) {
                unsigned to = i < n ? (unsigned) kept[i] : ~0u;

                if (to > from && syscall(SYS_close_range, from, to - 1, 0) < 0) {
                        /* COMPAT(kernel < 5.9): no close_range */
                        for (unsigned fd = from; fd < to && fd < 65536; fd++)
                                (void) close((int) fd);
                }
                if (i < n) {
                        int fl = fcntl(kept[i], F_GETFD);

                        if (fl < 0 || fcntl(kept[i], F_SETFD, fl & ~FD_CLOEXEC) < 0)
                                return -errno;
                        from = (unsigned) kept[i] + 1;
                }
        }
        return 0;
}

static void push_fd(char ***argv, const char *flag, int fd)
{
        char num[16];

        if (fd < 0)
                return;
        snprintf(num, sizeof(num), "%d", fd);
        den_strv_push(argv, flag);
        den_strv_push(argv, num);
}

static void push_str(char ***argv, const char *flag, const char *v)
{
        if (!v)
                return;
        den_strv_push(argv, flag);
        den_strv_push(argv, v);
}

int rt_monitor_exec(const struct rt_monitor_opts *o, den_error **err)
{
        _cleanup_strv_ char **argv = NULL;
        _cleanup_free_ char *path = rt_monitor_path();
        _cleanup_free_ int *kept = xcalloc(o->n_keep_fds + 6, sizeof(int));
        int out_fd, err_fd, in_fd, attach_fd, ready_fd, null_fd;
        char pid[24];
        size_t n = 0;
        int r;

        if (!o->exit_path || !o->socket_path || o->pid <= 0)
                return den_error_set(err, EINVAL, "start monitor: missing pid, exit or socket");
        /* fail while the caller's fds are still its own */
        if (access(path, X_OK) < 0)
                return den_error_set(err, errno, "start monitor: \"%s\"", path);
        /* in_fd is often the same pty master as out_fd: keep it once */
        out_fd = keep(o->out_fd, kept, &n);
        in_fd = o->in_fd >= 0 && o->in_fd == o->out_fd ? out_fd : keep(o->in_fd, kept, &n);
        err_fd = keep(o->err_fd, kept, &n);
        attach_fd = keep(o->attach_fd, kept, &n);
        ready_fd = keep(o->ready_fd, kept, &n);
        den_strv_push(&argv, "den-monitor");
        push_str(&argv, "--id", o->id); /* first, for ps */
        for (size_t i = 0; i < o->n_keep_fds; i++) {
                int fd = keep(o->keep_fds[i], kept, &n);

                if (fd < -1)
                        return den_error_set(err, -fd, "start monitor: move fd %d", o->keep_fds[i]);
                push_fd(&argv, "--keep-fd", fd);
        }
        if (out_fd < -1 || in_fd < -1 || err_fd < -1 || attach_fd < -1 || ready_fd < -1)
                return den_error_set(err, EBADF, "start monitor: move stdio fds");

        snprintf(pid, sizeof(pid), "%d", (int) o->pid);
        push_str(&argv, "--pid", pid);
        push_fd(&argv, "--out-fd", out_fd);
        push_fd(&argv, "--err-fd", err_fd);
        push_fd(&argv, "--in-fd", in_fd);
        push_fd(&argv, "--attach-fd", attach_fd);
        push_fd(&argv, "--ready-fd", ready_fd);
        push_str(&argv, "--log", o->log_path);
        push_str(&argv, "--exit", o->exit_path);
        push_str(&argv, "--socket", o->socket_path);
        push_str(&argv, "--unmount", o->unmount_path);
        if (o->started_ns > 0) {
                char started[24];

                snprintf(started, sizeof(started), "%lld", (long long) o->started_ns);
                push_str(&argv, "--started", started);
        }
        if (o->is_exit_volatile)
                den_strv_push(&argv, "--exit-volatile");
        if (o->is_stdin_once)
                den_strv_push(&argv, "--stdin-once");
        if (o->exit_command && o->exit_command[0]) {
                den_strv_push(&argv, "--");
                for (char *const *a = o->exit_command; *a; a++)
                        den_strv_push(&argv, *a);
        }

        null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null_fd < 0)
                return den_error_set(err, errno, "start monitor: open /dev/null");
        for (int fd = 0; fd <= 2; fd++)
                if (dup2(null_fd, fd) < 0)
                        return den_error_set(err, errno, "start monitor: redirect stdio");
        kept[n++] = null_fd; /* closed by close_others' caller below, after the exec fails */
        r = close_others(kept, n);
        if (r < 0)
                return den_error_set(err, -r, "start monitor: prepare fds");
        (void) fcntl(null_fd, F_SETFD, FD_CLOEXEC);
        execv(path, argv);
        r = errno;
        (void) close(null_fd);
        return den_error_set(err, r, "start monitor: exec \"%s\"", path);
}
