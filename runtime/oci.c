/* External OCI runtimes (runc, crun, runsc) driven through their command line, the way
 * podman's conmon drives them: `create` with the bundle, a pid file and (for a terminal) a
 * console socket, then `start`, `kill`, `delete`. den is the subreaper, so the container's
 * init, whose parent is the runtime that exits after create, becomes den's child.
 *
 * The runtime's own errors are read from its --log file (JSON lines): with no terminal the
 * runtime's stdio is the container's, so its stderr cannot be told apart from the
 * container's. */
#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "runtime/rt-internal.h"

#define OCI_MAX_ARGS 24

static bool is_runsc(const char *rt)
{
        const char *base = strrchr(rt, '/');

        return streq(base ? base + 1 : rt, "runsc");
}

/* "<rt> [runsc flags] --root R --log L --log-format json" */
static size_t global_args(const char **argv, const char *rt, const char *root, const char *log)
{
        size_t n = 0;

        argv[n++] = rt;
        if (is_runsc(rt)) {
                /* gVisor inside den's user namespace, where den is root already. runsc's own
                 * --rootless mode supports only `run` (`create` answers "Rootless mode not
                 * supported with "create"") and builds a user namespace of its own, so it is
                 * turned off. There are no cgroups to set up rootless, and the sandbox uses
                 * the network namespace it is started in (the one den made and configured,
                 * or the host's with --network host) rather than its own netstack, which
                 * would refuse to run in the host's namespace. */
                argv[n++] = "--rootless=false";
                argv[n++] = "--ignore-cgroups";
                argv[n++] = "--network=host";
        }
        argv[n++] = "--root";
        argv[n++] = root;
        if (log) {
                argv[n++] = "--log";
                argv[n++] = log;
                argv[n++] = "--log-format";
                argv[n++] = "json";
        }
        return n;
}

/* fork + exec of the runtime with stdio on fds 0-2 (-1: /dev/null). */
static int spawn(const char *const *argv, const int stdio[3], pid_t *ret_pid, den_error **err)
{
        _cleanup_close_ int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        pid_t pid;

        if (devnull < 0)
                return den_error_set(err, errno, "open /dev/null");
        pid = fork();
        if (pid < 0)
                return den_error_set(err, errno, "fork");
        if (pid == 0) {
                int tmp[3];

                for (int i = 0; i < 3; i++)
                        tmp[i] = fcntl(stdio && stdio[i] >= 0 ? stdio[i] : devnull, F_DUPFD_CLOEXEC,
                                       3);
                for (int i = 0; i < 3; i++)
                        if (tmp[i] < 0 || dup2(tmp[i], i) < 0)
                                _exit(127);
                (void) signal(SIGPIPE, SIG_DFL);
                execvp(argv[0], (char *const *) argv);
                _exit(errno == ENOENT ? 127 : 126);
        }
        *ret_pid = pid;
        return 0;
}

static int wait_status(pid_t pid)
{
        int st;

        while (waitpid(pid, &st, 0) < 0)
                if (errno != EINTR)
                        return -1;
        if (WIFEXITED(st))
                return WEXITSTATUS(st);
        return 128 + WTERMSIG(st);
}

/* The last error message in a runtime's JSON log, or its last line. */
static char *log_error(const char *log)
{
        _cleanup_free_ char *data = NULL;
        char *last = NULL;
        size_t len = 0;

        if (!log || den_read_file_at(AT_FDCWD, log, 1u << 20, &data, &len) < 0)
                return NULL;
        for (char *line = strtok(data, "\n"); line; line = strtok(NULL, "\n")) {
                json_auto_t *j = json_loads(line, 0, NULL);
                const char *msg = json_string_value(json_object_get(j, "msg"));
                const char *lvl = json_string_value(json_object_get(j, "level"));

                if (msg && (!lvl || streq(lvl, "error") || streq(lvl, "fatal"))) {
                        free(last);
                        last = xstrdup(msg);
                } else if (!j && *line) {
                        free(last);
                        last = xstrdup(line);
                }
        }
        return last;
}

/* A failed runtime command as an error; its exit status tells how to treat an exec failure
 * as podman does: by the runtime's message. */
static int runtime_error(const char *rt, const char *verb, int status, const char *log,
                         den_error **err)
{
        _cleanup_free_ char *msg = log_error(log);
        _cleanup_free_ char *fallback = xasprintf("exit status %d", status);
        int r;

        if (status == 127 && !msg)
                return den_error_set(err, ENOENT, "%s: executable file not found in $PATH", rt);
        r = den_error_set(err, 0, "%s %s: %s", rt, verb, msg ? msg : fallback);
        if (err && *err && msg) {
                if (strstr(msg, "executable file not found") || strstr(msg, "not found in $PATH") ||
                    strstr(msg, "no such file or directory") ||
                    strstr(msg, "No such file or directory"))
                        (*err)->exit_status = 127;
                else if (strstr(msg, "permission denied") || strstr(msg, "Permission denied"))
                        (*err)->exit_status = 126;
        }
        return r;
}

/* Runs "<rt> <globals> <args...>" to completion. */
static int run_cmd(const char *rt, const char *root, const char *log, const char *const *args,
                   const int stdio[3], den_error **err)
{
        const char *argv[OCI_MAX_ARGS];
        size_t n = global_args(argv, rt, root, log);
        pid_t pid;
        int st;

        for (size_t i = 0; args[i] && n + 1 < OCI_MAX_ARGS; i++)
                argv[n++] = args[i];
        argv[n] = NULL;
        if (spawn(argv, stdio, &pid, err) < 0)
                return den_error_wrap(err, "%s %s", rt, args[0]);
        st = wait_status(pid);
        if (st != 0)
                return runtime_error(rt, args[0], st, log, err);
        return 0;
}

/* ---------------------------------------------------------------- console socket */

static int console_listen(const char *path, den_error **err)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -EBADF;

        if (strlen(path) >= sizeof(sa.sun_path))
                return den_error_set(err, ENAMETOOLONG, "console socket \"%s\"", path);
        strcpy(sa.sun_path, path);
        (void) unlink(path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(fd, 1) < 0)
                return den_error_set(err, errno, "console socket \"%s\"", path);
        return steal_fd(fd);
}

/* The runtime sends the pty master with a short payload of its own (the pty's name). */
static int recv_fd(int sock, den_error **err)
{
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } u;
        char data[256];
        struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
        struct msghdr mh = { .msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = u.buf,
                             .msg_controllen = sizeof(u.buf) };
        struct cmsghdr *cm;
        int fd = -EBADF;

        if (recvmsg(sock, &mh, MSG_CMSG_CLOEXEC) < 0)
                return den_error_set(err, errno, "receive the console");
        cm = CMSG_FIRSTHDR(&mh);
        if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
            cm->cmsg_len != CMSG_LEN(sizeof(int)))
                return den_error_set(err, EPROTO, "no terminal from the runtime");
        memcpy(&fd, CMSG_DATA(cm), sizeof(int));
        return fd;
}

/* Accepts the runtime's connection and receives the pty master, unless the runtime exits
 * first (then 0 with *ret_fd untouched). */
static int console_receive(int lfd, pid_t rt_pid, int *ret_fd, den_error **err)
{
        _cleanup_close_ int pidfd = (int) syscall(SYS_pidfd_open, rt_pid, 0);
        _cleanup_close_ int conn = -EBADF;
        struct pollfd p[2] = { { .fd = lfd, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
        int fd;

        for (;;) {
                int n = poll(p, pidfd >= 0 ? 2 : 1, -1);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return den_error_set(err, errno, "wait for the console");
                if (p[0].revents)
                        break;
                if (p[1].revents)
                        return 0;
        }
        conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (conn < 0)
                return den_error_set(err, errno, "accept the console");
        fd = recv_fd(conn, err);
        if (fd < 0)
                return -1;
        *ret_fd = fd;
        return 0;
}

/* ---------------------------------------------------------------- create and start */

/* The runtime exists: a name is looked up in $PATH as execvp will, a path is taken as is.
 * Checked before anything is created, so a typo is one clear error, not the first failure of
 * a fork and exec. */
int rt_oci_runtime_check(const char *rt, den_error **err)
{
        const char *path = getenv("PATH");

        if (!*rt || streq(rt, ".") || streq(rt, ".."))
                return den_error_set(err, EINVAL, "invalid OCI runtime \"%s\"", rt);
        if (strchr(rt, '/')) {
                if (access(rt, X_OK) < 0)
                        return den_error_set(err, EINVAL,
                                             "no valid executable found for OCI runtime %s", rt);
                return 0;
        }
        if (!path)
                path = "/usr/local/bin:/usr/bin:/bin";
        while (path) {
                const char *end = strchrnul(path, ':');
                _cleanup_free_ char *cand =
                        xasprintf("%.*s/%s", (int) (end - path), end > path ? path : ".", rt);
                struct stat st;

                if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
                        return 0;
                path = *end ? end + 1 : NULL;
        }
        return den_error_set(err, EINVAL, "OCI runtime \"%s\" not found in $PATH", rt);
}

/* State the runtime keeps for this id from an earlier start of the same container (runc and
 * crun: a directory named after the id; runsc: "<id>_sandbox:<id>.state"): create would fail
 * with "container with given ID already exists", so it is deleted first. den's own files
 * (<id>.pid, <id>.log) do not count. */
static bool has_stale_state(const char *root, const char *id)
{
        _cleanup_closedir_ DIR *d = opendir(root);
        size_t len = strlen(id);
        struct dirent *de;

        while (d && (de = readdir(d))) {
                const char *rest = de->d_name + len;

                if (strncmp(de->d_name, id, len) != 0)
                        continue;
                if (!streq(rest, ".pid") && !streq(rest, ".log"))
                        return true;
        }
        return false;
}

static int read_pid(const char *path, pid_t *ret, den_error **err)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int pid = 0;
        int r;

        r = den_read_file_at(AT_FDCWD, path, 64, &data, &len);
        if (r < 0)
                return den_error_set(err, -r, "read pid file \"%s\"", path);
        data[strcspn(data, "\n")] = '\0';
        if (den_parse_int(data, 1, INT32_MAX, &pid) < 0)
                return den_error_set(err, EINVAL, "pid file \"%s\": invalid pid", path);
        *ret = pid;
        return 0;
}

static int oci_spawn_create(const struct rt_create_opts *o, const char *pidfile, const char *sock,
                            const char *log, pid_t *ret_pid, den_error **err)
{
        const char *argv[OCI_MAX_ARGS];
        size_t n = global_args(argv, o->oci_runtime, o->oci_root, log);

        argv[n++] = "create";
        argv[n++] = "--bundle";
        argv[n++] = o->bundle;
        argv[n++] = "--pid-file";
        argv[n++] = pidfile;
        if (sock) {
                argv[n++] = "--console-socket";
                argv[n++] = sock;
        }
        argv[n++] = o->id;
        argv[n] = NULL;
        return spawn(argv, o->stdio, ret_pid, err);
}

/* A directory for the console socket. A unix socket's path has at most 107 bytes, which
 * runroot/containers/<id>/oci/<id>.console can exceed, so the socket lives in a fresh
 * directory of its own under /tmp (mode 0700, removed once the runtime has connected). */
static char *console_dir(den_error **err)
{
        char tmpl[] = "/tmp/den-console-XXXXXX";

        if (!mkdtemp(tmpl)) {
                den_error_set(err, errno, "create a directory for the console socket");
                return NULL;
        }
        return xstrdup(tmpl);
}

int rt_oci_create(const struct rt_create_opts *o, const struct rt_spec *s,
                  struct rt_container **ret, den_error **err)
{
        _cleanup_free_ char *pidfile = NULL, *log = NULL, *sock = NULL, *sockdir = NULL;
        _cleanup_close_ int lfd = -EBADF;
        int pty = -EBADF;
        struct rt_container *c;
        pid_t rt_pid, pid = 0;
        int st, r;

        if (!o->id || !o->oci_root || !o->bundle)
                return den_error_set(err, EINVAL,
                                     "an external runtime needs an id, a bundle "
                                     "and a root");
        if (rt_oci_runtime_check(o->oci_runtime, err) < 0)
                return -1;
        if (s->has_limits)
                den_warn("Resource limits are not supported and ignored on cgroups V1 rootless "
                         "systems");
        r = den_mkdir_p_at(AT_FDCWD, o->oci_root, 0700);
        if (r < 0)
                return den_error_set(err, -r, "create \"%s\"", o->oci_root);
        if (has_stale_state(o->oci_root, o->id))
                (void) run_cmd(o->oci_runtime, o->oci_root, NULL,
                               (const char *const[]){ "delete", "--force", o->id, NULL }, NULL,
                               NULL);
        pidfile = xasprintf("%s/%s.pid", o->oci_root, o->id);
        log = xasprintf("%s/%s.log", o->oci_root, o->id);
        (void) unlink(pidfile);
        (void) unlink(log);
        if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
                return den_error_set(err, errno, "become a subreaper");
        if (s->proc.is_terminal) {
                sockdir = console_dir(err);
                if (!sockdir)
                        return -1;
                sock = xasprintf("%s/console", sockdir);
                lfd = console_listen(sock, err);
        }
        if (s->proc.is_terminal && lfd < 0) {
                (void) rmdir(sockdir);
                return -1;
        }
        r = oci_spawn_create(o, pidfile, sock, log, &rt_pid, err);
        if (r == 0 && lfd >= 0 && console_receive(lfd, rt_pid, &pty, err) < 0) {
                (void) kill(rt_pid, SIGKILL);
                (void) wait_status(rt_pid);
                r = -1;
        }
        if (sock) {
                (void) unlink(sock);
                (void) rmdir(sockdir);
        }
        if (r < 0)
                return den_error_wrap(err, "%s create", o->oci_runtime);
        st = wait_status(rt_pid);
        if (st != 0 || read_pid(pidfile, &pid, err) < 0) {
                if (pty >= 0)
                        (void) close(pty);
                if (st != 0) {
                        (void) run_cmd(o->oci_runtime, o->oci_root, NULL,
                                       (const char *const[]){ "delete", "--force", o->id, NULL },
                                       NULL, NULL);
                        return runtime_error(o->oci_runtime, "create", st, log, err);
                }
                return -1;
        }
        c = xcalloc(1, sizeof(*c));
        *c = (struct rt_container){ .pid = pid,
                                    .pidfd = (int) syscall(SYS_pidfd_open, pid, 0),
                                    .pty_master = pty,
                                    .netns_fd = -EBADF,
                                    .userns_fd = -EBADF,
                                    .sync_fd = -1,
                                    .status_fd = -1,
                                    .oci_runtime = xstrdup(o->oci_runtime),
                                    .oci_root = xstrdup(o->oci_root),
                                    .id = xstrdup(o->id) };
        *ret = c;
        return 0;
}

int rt_oci_start(struct rt_container *c, int *ret_exit_code, den_error **err)
{
        _cleanup_free_ char *log = xasprintf("%s/%s.log", c->oci_root, c->id);

        if (run_cmd(c->oci_runtime, c->oci_root, log, (const char *const[]){ "start", c->id, NULL },
                    NULL, err) < 0) {
                *ret_exit_code = *err && (*err)->exit_status ? (*err)->exit_status : 125;
                return -1;
        }
        return 0;
}

int rt_oci_kill(const char *oci_runtime, const char *oci_root, const char *id, int sig,
                den_error **err)
{
        char s[16];

        (void) snprintf(s, sizeof(s), "%d", sig);
        return run_cmd(oci_runtime, oci_root, NULL, (const char *const[]){ "kill", id, s, NULL },
                       NULL, err);
}

int rt_oci_delete(const char *oci_runtime, const char *oci_root, const char *id, den_error **err)
{
        static const char *const own[] = { "pid", "log" };

        for (size_t i = 0; i < ARRAY_SIZE(own); i++) {
                _cleanup_free_ char *p = xasprintf("%s/%s.%s", oci_root, id, own[i]);

                (void) unlink(p);
        }
        return run_cmd(oci_runtime, oci_root, NULL,
                       (const char *const[]){ "delete", "--force", id, NULL }, NULL, err);
}

char *rt_oci_version(const char *oci_runtime)
{
        const char *argv[] = { oci_runtime, "--version", NULL };
        _cleanup_close_ int rd = -EBADF;
        _cleanup_free_ char *out = NULL;
        den_error *err = NULL;
        int p[2], stdio[3] = { -1, -1, -1 };
        size_t len = 0;
        pid_t pid;

        if (pipe2(p, O_CLOEXEC) < 0)
                return NULL;
        rd = p[0];
        stdio[1] = p[1];
        if (spawn(argv, stdio, &pid, &err) < 0) {
                den_error_free(err);
                (void) close(p[1]);
                return NULL;
        }
        (void) close(p[1]);
        (void) den_read_fd(rd, 64 << 10, &out, &len);
        if (wait_status(pid) != 0 || !out || !*out)
                return NULL;
        out[strcspn(out, "\n")] = '\0';
        return steal_ptr(out);
}
