/* The user namespace entry: the step where an ordinary user becomes root in a namespace of
 * their own, owning only their own id and the subordinate ids the administrator granted them.
 * The plan (which ids map where) is computed first as data; rt_userns_enter then applies it. */
#include "runtime/runtime.h"

#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* Set once the process is inside: holds the inode of the namespace, so the marker is only
 * believed by processes that really are in that namespace (children and re-exec'd den). */
#define USERNS_ENV "_DEN_USERNS"
#define SUBUID_PATH "/etc/subuid"
#define SUBGID_PATH "/etc/subgid"
/* rt_subid_parse returns at most 64 ranges, plus the line for the user's own id */
#define MAP_MAX_LINES 65
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
/* how much of newuidmap's and newgidmap's messages is kept for the error */
#define TOOL_OUTPUT_MAX 1024

/* ---------------------------------------------------------------- the plan */

static void userns_freep(struct rt_userns **u)
{
        rt_userns_free(*u);
}

static bool ranges_overlap(const struct rt_idmap *a, const struct rt_idmap *b)
{
        return (uint64_t) a->host_id < (uint64_t) b->host_id + b->size &&
               (uint64_t) b->host_id < (uint64_t) a->host_id + a->size;
}

/* podman's rootless layout: { 0 -> id, 1 }, then the ranges one after the other from
 * container id 1. The kernel refuses maps whose host ranges overlap, so that is checked
 * here with a message naming the ranges; a range listed twice (once by name, once by uid)
 * is used once. */
static int map_build(uint32_t id, const struct rt_idmap *ranges, size_t n, struct rt_idmap **ret,
                     size_t *ret_n, den_error **err)
{
        _cleanup_free_ struct rt_idmap *map = xcalloc(n + 1, sizeof(*map));
        uint64_t next = 1;
        size_t m = 1;

        map[0] = (struct rt_idmap){ .container_id = 0, .host_id = id, .size = 1 };
        for (size_t i = 0; i < n; i++) {
                const struct rt_idmap *r = &ranges[i];
                bool is_dup = false;

                for (size_t j = 1; j < m && !is_dup; j++)
                        is_dup = map[j].host_id == r->host_id && map[j].size == r->size;
                if (is_dup)
                        continue;
                if (ranges_overlap(&map[0], r))
                        return den_error_set(err, 0, "range %u:%u contains the user's own id %u",
                                             r->host_id, r->size, id);
                for (size_t j = 1; j < m; j++)
                        if (ranges_overlap(&map[j], r))
                                return den_error_set(err, 0, "ranges %u:%u and %u:%u overlap",
                                                     map[j].host_id, map[j].size, r->host_id,
                                                     r->size);
                if (next + r->size > UINT32_MAX)
                        return den_error_set(err, 0, "ranges add up to more than %u ids",
                                             UINT32_MAX - 1);
                map[m++] = (struct rt_idmap){ .container_id = (uint32_t) next,
                                              .host_id = r->host_id,
                                              .size = r->size };
                next += r->size;
        }
        *ret = steal_ptr(map);
        *ret_n = m;
        return 0;
}

static void map_format(struct den_buf *b, const struct rt_idmap *map, size_t n)
{
        for (size_t i = 0; i < n; i++)
                den_buf_printf(b, "%s%u:%u:%u", i ? "," : "", map[i].container_id, map[i].host_id,
                               map[i].size);
}

int rt_userns_plan_for(const struct rt_userns_source *src, struct rt_userns **ret, den_error **err)
{
        _cleanup_(userns_freep) struct rt_userns *u = xcalloc(1, sizeof(*u));
        _cleanup_free_ struct rt_idmap *ur = NULL, *gr = NULL;
        _cleanup_free_ char *shown = NULL;
        struct den_buf key = { 0 };
        size_t nu = 0, ng = 0;

        if (rt_subid_read(src->subuid_path, src->user, src->uid, &ur, &nu, err) < 0 ||
            rt_subid_read(src->subgid_path, src->user, src->uid, &gr, &ng, err) < 0)
                return -1;
        if (nu == 0 || ng == 0) {
                /* a mixed map (ranges for uids, one gid) would break as soon as an image
                 * has a file owned by a group other than 0: map one id on both sides */
                shown = src->user ? xstrdup(src->user) : xasprintf("%u", (unsigned) src->uid);
                den_warn("no %s ranges found for user \"%s\" in %s; only the user's own uid "
                         "and gid are mapped in containers",
                         nu == 0 ? "subuid" : "subgid", shown,
                         nu == 0 ? src->subuid_path : src->subgid_path);
                u->is_single = true;
                nu = ng = 0;
        }
        if (map_build(src->uid, ur, nu, &u->uidmap, &u->n_uidmap, err) < 0)
                return den_error_wrap(err, "%s", src->subuid_path);
        if (map_build(src->gid, gr, ng, &u->gidmap, &u->n_gidmap, err) < 0)
                return den_error_wrap(err, "%s", src->subgid_path);
        map_format(&key, u->uidmap, u->n_uidmap);
        den_buf_puts(&key, "/");
        map_format(&key, u->gidmap, u->n_gidmap);
        u->key = den_buf_steal(&key);
        *ret = steal_ptr(u);
        return 0;
}

/* The user's name from the password database; $USER when the uid has no entry (a container
 * or an LDAP outage). The name only selects which ranges den asks for: newuidmap looks the
 * caller up itself, so a wrong $USER makes the request fail, never succeed for someone else. */
static char *user_name(uid_t uid)
{
        size_t size = 4096;
        const char *env;

        for (;;) {
                _cleanup_free_ char *buf = xmalloc(size);
                struct passwd pw, *res = NULL;
                int r = getpwuid_r(uid, &pw, buf, size, &res);

                if (r == 0 && res && res->pw_name && *res->pw_name)
                        return xstrdup(res->pw_name);
                if (r != ERANGE || size >= (1u << 20))
                        break;
                size *= 2;
        }
        env = getenv("USER");
        return env && *env ? xstrdup(env) : NULL;
}

int rt_userns_plan(struct rt_userns **ret, den_error **err)
{
        _cleanup_free_ char *name = user_name(getuid());
        struct rt_userns_source src = {
                .user = name,
                .uid = getuid(),
                .gid = getgid(),
                .subuid_path = SUBUID_PATH,
                .subgid_path = SUBGID_PATH,
        };

        return rt_userns_plan_for(&src, ret, err);
}

void rt_userns_free(struct rt_userns *u)
{
        if (!u)
                return;
        free(u->uidmap);
        free(u->gidmap);
        free(u->key);
        free(u);
}

/* ---------------------------------------------------------------- entering */

/* One helper per tool: a fork of this process, left in the parent user namespace, that waits
 * for the parent to unshare and then becomes newuidmap (or newgidmap). Exec'ing straight from
 * a fork lets the two setuid programs start and run at the same time; spawning both from one
 * process would serialize their exec (posix_spawn waits for each exec to finish). */
struct helper {
        pid_t parent;
        int go_r, go_w;   /* socket pair: the parent sends one byte per helper once unshared */
        int out_w;        /* the tools' stdout and stderr, kept for the error message */
        const char *path; /* resolved in the parent, before forking */
        char **argv;
};
#define HELPER_ABORTED 125 /* the parent went away, or gave up before unsharing */

static int proc_write(const char *path, const char *text, den_error **err)
{
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        ssize_t n;

        if (fd < 0)
                return den_error_set(err, errno, "open %s", path);
        /* the kernel takes a map in one write(), never in pieces */
        n = write(fd, text, strlen(text));
        if (n < 0)
                return den_error_set(err, errno, "write %s", path);
        if ((size_t) n != strlen(text))
                return den_error_set(err, 0, "write %s: short write", path);
        return 0;
}

static int unshare_userns(den_error **err)
{
        int e;

        if (unshare(CLONE_NEWUSER) == 0)
                return 0;
        e = errno;
        switch (e) {
        case EINVAL:
                return den_error_set(err, e,
                                     "create user namespace (the process must not "
                                     "have started threads)");
        case EPERM:
        case ENOSPC:
        case EUSERS:
                return den_error_set(err, e,
                                     "create user namespace (unprivileged user "
                                     "namespaces may be disabled or at their limit: "
                                     "see sysctl user.max_user_namespaces)");
        default:
                return den_error_set(err, e, "create user namespace");
        }
}

/* Looks name up in $PATH as execvp would, but only in absolute directories: a relative
 * entry would make the current directory decide which program sets up the mapping. */
static int find_program(const char *name, char **ret, den_error **err)
{
        const char *path = getenv("PATH");
        const char *p;

        if (!path || !*path)
                path = DEFAULT_PATH;
        for (p = path; *p;) {
                size_t len = strcspn(p, ":");

                if (len > 0 && p[0] == '/') {
                        _cleanup_free_ char *cand = xasprintf("%.*s/%s", (int) len, p, name);

                        if (access(cand, X_OK) == 0) {
                                *ret = steal_ptr(cand);
                                return 0;
                        }
                }
                p += len;
                if (*p == ':')
                        p++;
        }
        return den_error_set(err, 0,
                             "%s not found in $PATH; install the \"uidmap\" package, "
                             "which provides newuidmap and newgidmap",
                             name);
}

/* newuidmap PID 0 1000 1 1 100000 65536 ... */
static char **tool_argv(const char *name, pid_t pid, const struct rt_idmap *map, size_t n)
{
        char **v = NULL;
        char num[32];

        den_strv_push(&v, name);
        snprintf(num, sizeof(num), "%d", (int) pid);
        den_strv_push(&v, num);
        for (size_t i = 0; i < n; i++) {
                snprintf(num, sizeof(num), "%u", map[i].container_id);
                den_strv_push(&v, num);
                snprintf(num, sizeof(num), "%u", map[i].host_id);
                den_strv_push(&v, num);
                snprintf(num, sizeof(num), "%u", map[i].size);
                den_strv_push(&v, num);
        }
        return v;
}

static _Noreturn void helper_run(const struct helper *h)
{
        ssize_t n;
        char c;
        int e;

        /* If the parent dies, die too, so the pid can never be reused under us; newuidmap
         * would only accept a process of the same user anyway. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != h->parent)
                _exit(HELPER_ABORTED);
        /* the parent closing its end without a byte must read as end of file here */
        (void) close(h->go_w);
        if (dup2(h->out_w, STDOUT_FILENO) < 0 || dup2(h->out_w, STDERR_FILENO) < 0)
                _exit(HELPER_ABORTED);
        do
                n = read(h->go_r, &c, 1);
        while (n < 0 && errno == EINTR);
        if (n != 1)
                _exit(HELPER_ABORTED);
        execv(h->path, h->argv);
        e = errno;
        (void) dprintf(STDERR_FILENO, "%s: exec \"%s\": %s\n", h->argv[0], h->path, strerror(e));
        _exit(e == ENOENT ? 127 : 126);
}

/* Reads the tools' messages until every writer has exited, keeping the first
 * TOOL_OUTPUT_MAX bytes as one line ("a; b"), without control characters. */
static char *tool_output_read(int fd)
{
        char buf[TOOL_OUTPUT_MAX], chunk[512];
        size_t len = 0;
        ssize_t n;

        for (;;) {
                n = read(fd, chunk, sizeof(chunk));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                for (ssize_t i = 0; i < n && len < sizeof(buf) - 2; i++) {
                        unsigned char ch = (unsigned char) chunk[i];

                        if (ch == '\n') {
                                buf[len++] = ';';
                                buf[len++] = ' ';
                        } else {
                                buf[len++] = ch < 0x20 || ch == 0x7f ? '?' : (char) ch;
                        }
                }
        }
        while (len > 0 && (buf[len - 1] == ' ' || buf[len - 1] == ';'))
                len--;
        return xstrndup(buf, len);
}

static int tools_result(const int status[2], char **argv[2], const char *output, den_error **err)
{
        for (int i = 0; i < 2; i++) {
                if (WIFEXITED(status[i]) && WEXITSTATUS(status[i]) == 0)
                        continue;
                /* "newuidmap: write to uid_map failed: Operation not permitted" */
                if (*output)
                        return den_error_set(err, 0, "%s", output);
                if (WIFSIGNALED(status[i]))
                        return den_error_set(err, 0, "%s killed by signal %d", argv[i][0],
                                             WTERMSIG(status[i]));
                return den_error_set(err, 0, "%s exited with status %d", argv[i][0],
                                     WEXITSTATUS(status[i]));
        }
        return 0;
}

static pid_t wait_child(pid_t pid, int *ret_status)
{
        pid_t r;

        do
                r = waitpid(pid, ret_status, 0);
        while (r < 0 && errno == EINTR);
        return r;
}

/* Forks the two helpers, unshares, then lets them map this process. */
static int enter_mapped(const struct rt_userns *u, den_error **err)
{
        _cleanup_free_ char *upath = NULL, *gpath = NULL, *output = NULL;
        _cleanup_strv_ char **uargv = NULL, **gargv = NULL;
        _cleanup_close_ int go_r = -EBADF, go_w = -EBADF, out_r = -EBADF, out_w = -EBADF;
        int go[2], out[2], status[2] = { 0, 0 }, r = 0;
        pid_t pid[2] = { -1, -1 };

        if (find_program("newuidmap", &upath, err) < 0 ||
            find_program("newgidmap", &gpath, err) < 0)
                return -1;
        uargv = tool_argv("newuidmap", getpid(), u->uidmap, u->n_uidmap);
        gargv = tool_argv("newgidmap", getpid(), u->gidmap, u->n_gidmap);
        /* a socket, so helpers that died early cost EPIPE rather than SIGPIPE */
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, go) < 0)
                return den_error_set(err, errno, "create socket pair");
        go_r = go[0], go_w = go[1];
        if (pipe2(out, O_CLOEXEC) < 0)
                return den_error_set(err, errno, "create pipe");
        out_r = out[0], out_w = out[1];
        for (int i = 0; i < 2; i++) {
                struct helper h = {
                        .parent = getpid(),
                        .go_r = go_r,
                        .go_w = go_w,
                        .out_w = out_w,
                        .path = i ? gpath : upath,
                        .argv = i ? gargv : uargv,
                };

                pid[i] = fork();
                if (pid[i] < 0) {
                        r = den_error_set(err, errno, "fork uid/gid mapping helper");
                        break;
                }
                if (pid[i] == 0)
                        helper_run(&h);
        }
        (void) close(steal_fd(go_r));
        (void) close(steal_fd(out_w));
        if (r == 0)
                r = unshare_userns(err);
        if (r == 0 && send(go_w, "gg", 2, MSG_NOSIGNAL) != 2)
                r = den_error_set(err, errno, "start uid/gid mapping helpers");
        /* helpers that were not told to start read end of file and exit */
        (void) close(steal_fd(go_w));
        output = tool_output_read(out_r);
        for (int i = 0; i < 2; i++)
                if (pid[i] > 0 && wait_child(pid[i], &status[i]) < 0 && r == 0)
                        r = den_error_set(err, errno, "wait for uid/gid mapping helper");
        if (r < 0)
                return r;
        return tools_result(status, (char **[2]){ uargv, gargv }, output, err);
}

/* Without subordinate ranges the kernel lets a user map their own id, and nothing else,
 * provided setgroups() is denied first in the namespace. No helper is needed. */
static int enter_single(const struct rt_userns *u, den_error **err)
{
        char line[64];

        if (unshare_userns(err) < 0)
                return -1;
        if (proc_write("/proc/self/setgroups", "deny", err) < 0)
                return -1;
        snprintf(line, sizeof(line), "0 %u 1\n", u->uidmap[0].host_id);
        if (proc_write("/proc/self/uid_map", line, err) < 0)
                return -1;
        snprintf(line, sizeof(line), "0 %u 1\n", u->gidmap[0].host_id);
        return proc_write("/proc/self/gid_map", line, err);
}

static int map_check(const struct rt_idmap *map, size_t n, uint32_t id, const char *what,
                     den_error **err)
{
        if (n == 0 || n > MAP_MAX_LINES)
                return den_error_set(err, EINVAL, "%s map has %zu lines", what, n);
        if (map[0].container_id != 0 || map[0].host_id != id || map[0].size != 1)
                return den_error_set(err, EINVAL, "%s map does not start with 0 -> %u", what, id);
        for (size_t i = 0; i < n; i++)
                if (map[i].size == 0)
                        return den_error_set(err, EINVAL, "%s map has an empty range", what);
        return 0;
}

static int plan_check(const struct rt_userns *u, den_error **err)
{
        if (!u)
                return den_error_set(err, EINVAL, "no user namespace plan");
        if (rt_userns_is_inside())
                return den_error_set(err, 0, "already inside den's user namespace");
        if (map_check(u->uidmap, u->n_uidmap, (uint32_t) geteuid(), "uid", err) < 0 ||
            map_check(u->gidmap, u->n_gidmap, (uint32_t) getegid(), "gid", err) < 0)
                return -1;
        if (u->is_single && (u->n_uidmap != 1 || u->n_gidmap != 1))
                return den_error_set(err, EINVAL, "single-id plan with more than one range");
        return 0;
}

/* The ids are already right (our own id is 0 in the map); setresuid/setresgid make every id
 * of the triple 0, and the supplementary groups, which came from the parent namespace and
 * would show as "nogroup", are dropped when the namespace allows it. */
static int become_root(bool can_setgroups, den_error **err)
{
        if (can_setgroups && setgroups(0, NULL) < 0 && errno != EPERM)
                return den_error_set(err, errno, "drop supplementary groups");
        if (setresgid(0, 0, 0) < 0)
                return den_error_set(err, errno, "become root in the user namespace: setresgid");
        if (setresuid(0, 0, 0) < 0)
                return den_error_set(err, errno, "become root in the user namespace: setresuid");
        return 0;
}

static int mark_inside(den_error **err)
{
        struct stat st;
        char ino[32];

        if (stat("/proc/self/ns/user", &st) < 0)
                return den_error_set(err, errno, "stat /proc/self/ns/user");
        snprintf(ino, sizeof(ino), "%llu", (unsigned long long) st.st_ino);
        if (setenv(USERNS_ENV, ino, 1) < 0)
                return den_error_set(err, errno, "set %s", USERNS_ENV);
        return 0;
}

/* ---------------------------------------------------------------- the holder
 *
 * newuidmap and newgidmap are setuid programs: running both costs some 10 ms, a quarter of
 * a whole `run --rm`. So the namespace of the first command is kept by a holder process that
 * does nothing else (den-monitor --hold-userns, some 200 kB), and later commands join it with
 * setns when its maps are the plan's (an edited /etc/subuid gets a new namespace and holder).
 * Joining gives the same ids and the same powers as a new namespace: the user owns both.
 * The holder's pid and start time are in $XDG_RUNTIME_DIR/den-userns.pid (a tmpfs of the
 * user's, gone at logout with the holder); without a usable XDG_RUNTIME_DIR every command
 * makes its own namespace, as before. */

#define HOLDER_PID "den-userns.pid"
#define HOLDER_LOCK "den-userns.lock"

/* The user's runtime directory: absolute, a directory of ours, not group/world writable. */
static int holder_dir(void)
{
        const char *x = getenv("XDG_RUNTIME_DIR");
        struct stat st;
        int fd;

        if (!x || x[0] != '/')
                return -1;
        fd = open(x, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        if (fstat(fd, &st) < 0 || st.st_uid != getuid() || (st.st_mode & 0022)) {
                (void) close(fd);
                return -1;
        }
        return fd;
}

/* The recorded holder while it lives (same pid and start time), else 0. */
static pid_t holder_read(int dfd)
{
        _cleanup_free_ char *text = NULL;
        unsigned long long start = 0;
        int pid = 0;

        if (den_read_file_at(dfd, HOLDER_PID, 64, &text, NULL) < 0 ||
            sscanf(text, "%d %llu", &pid, &start) != 2 || pid <= 1 ||
            rt_pid_start_time(pid) != (uint64_t) start)
                return 0;
        return pid;
}

static bool holder_maps_match(const struct rt_userns *u, pid_t pid);

enum holder_state {
        HOLDER_JOINED,
        HOLDER_NONE,      /* none recorded, or it is gone */
        HOLDER_STALE,     /* alive, with maps that are not the plan's */
        HOLDER_UNJOINABLE /* setns refused (a chroot, say): not a reason for another one */
};

/* Joins the holder's namespace when its maps are the plan's. */
static enum holder_state holder_join(const struct rt_userns *u, int dfd, pid_t *ret_pid)
{
        _cleanup_close_ int fd = -EBADF;
        pid_t pid = holder_read(dfd);
        char path[64];

        *ret_pid = pid;
        if (pid <= 0)
                return HOLDER_NONE;
        if (!holder_maps_match(u, pid))
                return HOLDER_STALE;
        (void) snprintf(path, sizeof(path), "/proc/%d/ns/user", (int) pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) /* it ended a moment ago */
                return HOLDER_NONE;
        if (setns(fd, CLONE_NEWUSER) < 0) {
                den_debug("join the user namespace of holder %d: %s", (int) pid, strerror(errno));
                return HOLDER_UNJOINABLE;
        }
        return HOLDER_JOINED;
}

/* Forks the holder in the namespace just entered and records it. Best effort: without it
 * the next command makes a namespace of its own. */
static void holder_spawn(int dfd)
{
        _cleanup_free_ char *mon = rt_monitor_path();
        char text[64];
        pid_t pid;

        pid = fork();
        if (pid < 0) {
                den_debug("fork the user namespace holder: %s", strerror(errno));
                return;
        }
        if (pid == 0) {
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);

                /* nothing of the command: no terminal, stdio, fds or working directory */
                (void) setsid();
                if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
                        _exit(1);
                (void) syscall(SYS_close_range, 3U, ~0U, 0U);
                if (chdir("/") < 0)
                        _exit(1);
                /* nor its environment (registry credentials, say) */
                execle(mon, "den-monitor", "--hold-userns", (char *) NULL, (char *[]){ NULL });
                _exit(127);
        }
        (void) snprintf(text, sizeof(text), "%d %llu\n", (int) pid,
                        (unsigned long long) rt_pid_start_time(pid));
        if (den_write_file_replace_at(dfd, HOLDER_PID, text, strlen(text), 0600) < 0)
                den_debug("record the user namespace holder: %s", strerror(errno));
}

/* Enters a namespace of den's, joining the holder's when there is one that fits. */
static int enter_shared(const struct rt_userns *u, den_error **err)
{
        _cleanup_close_ int dfd = holder_dir();
        _cleanup_close_ int lock = -EBADF;
        enum holder_state st;
        pid_t pid = 0;

        if (dfd < 0)
                return enter_mapped(u, err);
        st = holder_join(u, dfd, &pid);
        if (st == HOLDER_JOINED)
                return 0;
        if (st == HOLDER_UNJOINABLE)
                return enter_mapped(u, err);
        /* one command makes the holder; the others wait for it and join */
        lock = openat(dfd, HOLDER_LOCK, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (lock >= 0 && flock(lock, LOCK_EX) < 0)
                (void) close(steal_fd(lock));
        if (lock >= 0) {
                st = holder_join(u, dfd, &pid);
                if (st == HOLDER_JOINED)
                        return 0;
        }
        if (enter_mapped(u, err) < 0)
                return -1;
        if (lock >= 0 && st != HOLDER_UNJOINABLE) {
                holder_spawn(dfd);
                /* its namespace has maps that /etc/subuid no longer gives */
                if (st == HOLDER_STALE)
                        (void) kill(pid, SIGTERM);
        }
        return 0;
}

int rt_userns_holder_stop(den_error **err)
{
        _cleanup_close_ int dfd = holder_dir();
        pid_t pid;

        if (dfd < 0)
                return 0;
        pid = holder_read(dfd);
        (void) unlinkat(dfd, HOLDER_PID, 0);
        if (pid > 0 && kill(pid, SIGTERM) < 0 && errno != ESRCH)
                return den_error_set(err, errno, "stop the user namespace holder %d", (int) pid);
        return 0;
}

/*
 * TRUST BOUNDARY: an ordinary user becomes root in a new user namespace.
 *
 * What is trusted, and why each step is safe:
 *  - The kernel grants the new namespace's root only power over ids mapped into it. An
 *    unprivileged process may map just its own euid and egid, and the gid map only after
 *    setgroups() is denied (the single-id path below does exactly that), so dropping a group
 *    can never unlock a file whose mode denies that group.
 *  - Any wider map comes from newuidmap and newgidmap (setuid root, package "uidmap"). They
 *    are the only privileged actors here, and they trust nothing den computes: they re-read
 *    /etc/subuid and /etc/subgid, look the caller up by its real uid, check that the target
 *    pid belongs to that uid, and refuse ranges the administrator did not grant. So a wrong
 *    plan (edited $USER, a $PATH naming another program, a bad file) can make the entry fail
 *    but never map an id the user was not given. Because newgidmap is privileged, setgroups
 *    stays allowed, which is the administrator's decision in granting the ranges.
 *  - The two helpers are forks of this process with the same credentials, left in the
 *    parent namespace. They take nothing from the parent but one byte on a socket, and die
 *    with it (PR_SET_PDEATHSIG) until they exec, so they cannot act on a recycled pid.
 *  - Inside, root owns only the user's own files (their uid is 0 there) and files of the
 *    subordinate ids; files of other users stay unmapped (nobody), and capabilities in the
 *    namespace do not apply to them. Environment, cwd and HOME are unchanged.
 *  - A later command joins the namespace kept by the holder (see above) only after reading
 *    the holder's uid_map and gid_map and finding exactly the plan's lines; setns itself
 *    admits only a namespace the user owns. So a joined namespace gives what a new one
 *    would, and a holder of an older /etc/subuid is replaced, never joined.
 * The process must be single-threaded (the kernel refuses otherwise). If an error occurs
 * after unshare(), the process is left in an unmapped namespace and should exit.
 */
int rt_userns_enter(const struct rt_userns *u, den_error **err)
{
        int r;

        if (plan_check(u, err) < 0)
                return den_error_wrap(err, "enter user namespace");
        r = u->is_single ? enter_single(u, err) : enter_shared(u, err);
        if (r == 0)
                r = become_root(!u->is_single, err);
        if (r == 0)
                r = mark_inside(err);
        if (r < 0)
                return den_error_wrap(err, "enter user namespace");
        return 0;
}

/* The map file of pid as the plan's lines would print it ("0 1000 1\n1 100000 65536\n"),
 * for comparing a namespace with the plan. */
static bool map_matches(pid_t pid, const char *file, const struct rt_idmap *m, size_t n)
{
        _cleanup_(den_buf_free) struct den_buf want = { 0 };
        _cleanup_free_ char *have = NULL;
        char path[64];
        const char *p;

        for (size_t i = 0; i < n; i++)
                den_buf_printf(&want, "%u %u %u\n", m[i].container_id, m[i].host_id, m[i].size);
        (void) snprintf(path, sizeof(path), "/proc/%d/%s", (int) pid, file);
        if (den_read_file_at(AT_FDCWD, path, 65536, &have, NULL) < 0)
                return false;
        /* the kernel pads the columns: compare the numbers */
        p = have;
        for (size_t i = 0; i < n; i++) {
                unsigned a, b, c;
                int used = 0;

                if (sscanf(p, "%u %u %u\n%n", &a, &b, &c, &used) != 3 || used == 0 ||
                    a != m[i].container_id || b != m[i].host_id || c != m[i].size)
                        return false;
                p += used;
        }
        while (*p == ' ' || *p == '\n')
                p++;
        return *p == '\0';
}

static bool holder_maps_match(const struct rt_userns *u, pid_t pid)
{
        return map_matches(pid, "uid_map", u->uidmap, u->n_uidmap) &&
               map_matches(pid, "gid_map", u->gidmap, u->n_gidmap);
}

int rt_userns_join(const struct rt_userns *u, pid_t pid, den_error **err)
{
        _cleanup_close_ int fd = -EBADF;
        char path[64];

        if (plan_check(u, err) < 0)
                return den_error_wrap(err, "join user namespace");
        /* files made there must get the ids a namespace of our own would give them */
        if (!map_matches(pid, "uid_map", u->uidmap, u->n_uidmap) ||
            !map_matches(pid, "gid_map", u->gidmap, u->n_gidmap))
                return den_error_set(err, 0,
                                     "join the user namespace of process %d: its id mappings "
                                     "differ from /etc/subuid and /etc/subgid now",
                                     (int) pid);
        (void) snprintf(path, sizeof(path), "/proc/%d/ns/user", (int) pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || setns(fd, CLONE_NEWUSER) < 0)
                return den_error_set(err, errno, "join the user namespace %s", path);
        if (become_root(!u->is_single, err) < 0 || mark_inside(err) < 0)
                return den_error_wrap(err, "join user namespace");
        return 0;
}

bool rt_userns_is_inside(void)
{
        const char *v = getenv(USERNS_ENV);
        struct stat st;
        uint64_t ino;

        if (!v || den_parse_u64(v, &ino) < 0)
                return false;
        /* a marker inherited by a process in another namespace names the wrong inode */
        if (stat("/proc/self/ns/user", &st) < 0)
                return false;
        return (uint64_t) st.st_ino == ino;
}
