/* The last steps of a container process, shared by rt_create's init and rt_exec's process
 * (rlimits, user, capabilities, no_new_privs, seccomp, the terminal, execve), the sync
 * protocol around them, and rt_exec.
 *
 * Protocol: parent and child share a SOCK_SEQPACKET socketpair, close-on-exec on both ends.
 * The child sends READY once it is set up and blocks for GO; on GO it execs. A successful
 * execve closes its end, so the parent reads EOF; a failure anywhere is an ERROR record
 * (errno, exit status, message) followed by _exit. The child never writes to the user's
 * terminal: its fds 0-2 are the container's from early on. */
#include <linux/capability.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <grp.h>
#include <termios.h>

#include "runtime/rt-internal.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

/* ---------------------------------------------------------------- messages */

int rt_child_send(int sync_fd, int type, int fd, den_error **err)
{
        struct rt_msg m = { .type = type };
        struct iovec iov = { .iov_base = &m, .iov_len = offsetof(struct rt_msg, text) };
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } u = { 0 };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

        if (fd >= 0) {
                struct cmsghdr *cm;

                mh.msg_control = u.buf;
                mh.msg_controllen = sizeof(u.buf);
                cm = CMSG_FIRSTHDR(&mh);
                cm->cmsg_level = SOL_SOCKET;
                cm->cmsg_type = SCM_RIGHTS;
                cm->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(cm), &fd, sizeof(int));
        }
        if (sendmsg(sync_fd, &mh, MSG_NOSIGNAL) < 0)
                return den_error_set(err, errno, "send to the runtime");
        return 0;
}

_Noreturn void rt_child_fail(int sync_fd, den_error *err)
{
        struct rt_msg m = { .type = RT_MSG_ERROR };
        size_t len;

        if (err) {
                m.errnum = err->errnum;
                m.exit_status = err->exit_status;
                (void) snprintf(m.text, sizeof(m.text), "%s", err->msg ? err->msg : "");
        }
        len = offsetof(struct rt_msg, text) + strlen(m.text) + 1;
        (void) send(sync_fd, &m, len, MSG_NOSIGNAL);
        _exit(m.exit_status ? m.exit_status : 1);
}

int rt_child_wait(int sync_fd, int type, den_error **err)
{
        struct rt_msg m;
        ssize_t n;

        do
                n = recv(sync_fd, &m, sizeof(m), 0);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return den_error_set(err, errno, "wait for the runtime");
        if (n < (ssize_t) sizeof(int32_t) || m.type != type)
                return den_error_set(err, EPIPE, "wait for the runtime: it went away");
        return 0;
}

int rt_parent_recv(int sync_fd, struct rt_msg *ret, int *ret_fd, den_error **err)
{
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } u;
        struct iovec iov = { .iov_base = ret, .iov_len = sizeof(*ret) - 1 };
        struct msghdr mh = { .msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = u.buf,
                             .msg_controllen = sizeof(u.buf) };
        ssize_t n;

        memset(ret, 0, sizeof(*ret));
        do
                n = recvmsg(sync_fd, &mh, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return den_error_set(err, errno, "read from the container's init");
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
                if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
                    cm->cmsg_len == CMSG_LEN(sizeof(int))) {
                        int fd;

                        memcpy(&fd, CMSG_DATA(cm), sizeof(int));
                        if (ret_fd && *ret_fd < 0)
                                *ret_fd = fd;
                        else
                                (void) close(fd);
                }
        }
        if (n == 0)
                return 0; /* EOF: type stays 0 */
        if (n < (ssize_t) offsetof(struct rt_msg, text))
                return den_error_set(err, EPROTO, "short message from the container's init");
        return 0;
}

/* The child's error record as a den_error. */
static int msg_error(const struct rt_msg *m, den_error **err)
{
        int r = den_error_set(err, m->errnum, "%s", m->text);

        if (err && *err)
                (*err)->exit_status = m->exit_status;
        return r;
}

int rt_parent_wait_ready(struct rt_container *c, bool has_terminal, den_error **err)
{
        for (;;) {
                struct rt_msg m;
                int fd = -EBADF;

                if (rt_parent_recv(c->sync_fd, &m, &fd, err) < 0)
                        return -1;
                switch (m.type) {
                case RT_MSG_READY:
                        if (has_terminal && c->pty_master < 0)
                                return den_error_set(err, EPROTO, "no terminal from the init");
                        return 0;
                case RT_MSG_PTY:
                        if (fd < 0)
                                return den_error_set(err, EPROTO, "no terminal from the init");
                        c->pty_master = fd;
                        break;
                case RT_MSG_NETNS:
                case RT_MSG_USERNS: {
                        int *slot = m.type == RT_MSG_NETNS ? &c->netns_fd : &c->userns_fd;

                        if (fd < 0 || *slot >= 0) {
                                if (fd >= 0)
                                        (void) close(fd);
                                return den_error_set(err, EPROTO,
                                                     "unexpected namespace from the init");
                        }
                        *slot = fd;
                        if (c->netns_fd >= 0 && c->userns_fd >= 0 && c->on_namespaces) {
                                c->on_namespaces(c->on_namespaces_arg, c->pid, c->netns_fd,
                                                 c->userns_fd);
                                c->on_namespaces = NULL;
                        }
                        break;
                }
                case RT_MSG_ERROR:
                        return msg_error(&m, err);
                case 0:
                        return den_error_set(err, EPIPE,
                                             "the container's init exited during "
                                             "setup");
                default:
                        return den_error_set(err, EPROTO, "unexpected message %d from the init",
                                             m.type);
                }
        }
}

int rt_parent_seccomp(const struct rt_spec *s, const struct rt_process *proc, int cache_dfd,
                      void **ret_bpf, size_t *ret_len, den_error **err)
{
        const struct rt_seccomp_target t = { .caps = proc->has_caps ? proc->bounding_names : NULL };
        int r;

        *ret_bpf = NULL;
        *ret_len = 0;
        if (!s->seccomp)
                return 0;
        if (cache_dfd >= 0)
                r = rt_seccomp_compile_cached(s->seccomp, &t, cache_dfd, ret_bpf, ret_len, err);
        else
                r = rt_seccomp_compile(s->seccomp, &t, ret_bpf, ret_len, err);
        return r < 0 ? den_error_wrap(err, "seccomp") : 0;
}

/* ---------------------------------------------------------------- child: stdio and terminal */

int rt_child_stdio(const int stdio[3], den_error **err)
{
        int tmp[3];

        /* copies above 2 first, so no dup2 below overwrites a source still needed */
        for (int i = 0; i < 3; i++) {
                tmp[i] = fcntl(stdio[i], F_DUPFD_CLOEXEC, 3);
                if (tmp[i] < 0)
                        return den_error_set(err, errno, "duplicate stdio fd %d", stdio[i]);
        }
        for (int i = 0; i < 3; i++) {
                if (dup2(tmp[i], i) < 0)
                        return den_error_set(err, errno, "set up fd %d", i);
                (void) close(tmp[i]);
        }
        return 0;
}

static void console_bind(int master)
{
        char name[64];
        int fd;

        if (ptsname_r(master, name, sizeof(name)) != 0)
                return;
        /* after pivot_root: every path here is inside the container */
        fd = open("/dev/console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return;
        (void) close(fd);
        (void) mount(name, "/dev/console", NULL, MS_BIND, NULL);
}

int rt_child_terminal(int sync_fd, den_error **err)
{
        _cleanup_close_ int master = -EBADF, slave = -EBADF;

        master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0)
                return den_error_set(err, errno, "open /dev/ptmx");
        if (unlockpt(master) < 0)
                return den_error_set(err, errno, "unlock the terminal");
        slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (slave < 0)
                return den_error_set(err, errno, "open the terminal's slave");
        console_bind(master);
        if (setsid() < 0)
                return den_error_set(err, errno, "setsid");
        if (ioctl(slave, TIOCSCTTY, 0) < 0)
                return den_error_set(err, errno, "set the controlling terminal");
        for (int i = 0; i < 3; i++)
                if (dup2(slave, i) < 0)
                        return den_error_set(err, errno, "set up fd %d", i);
        return rt_child_send(sync_fd, RT_MSG_PTY, master, err);
}

/* ---------------------------------------------------------------- child: process settings */

static int apply_rlimits(const struct rt_process *p, den_error **err)
{
        for (size_t i = 0; i < p->n_rlimits; i++)
                if (setrlimit(p->rlimits[i].resource, &p->rlimits[i].lim) < 0)
                        return den_error_set(err, errno, "setrlimit %d", p->rlimits[i].resource);
        return 0;
}

static int drop_bounding(const struct rt_process *p, den_error **err)
{
        if (!p->has_caps)
                return 0;
        for (int c = 0; c < 64; c++) {
                if (p->caps[RT_CAP_BOUNDING] & (1ull << c))
                        continue;
                if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
                        if (errno == EINVAL)
                                break; /* past the kernel's last capability */
                        return den_error_set(err, errno,
                                             "drop capability %d from the bounding "
                                             "set",
                                             c);
                }
        }
        return 0;
}

static int set_user(const struct rt_process *p, den_error **err)
{
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return den_error_set(err, errno, "keep capabilities");
        /* a user namespace with setgroups "deny" refuses even an empty list */
        if (setgroups(p->n_groups, p->groups) < 0 && (p->n_groups > 0 || errno != EPERM))
                return den_error_set(err, errno, "setgroups");
        if (setresgid(p->gid, p->gid, p->gid) < 0)
                return den_error_set(err, errno, "setgid %u", (unsigned) p->gid);
        if (setresuid(p->uid, p->uid, p->uid) < 0)
                return den_error_set(err, errno, "setuid %u", (unsigned) p->uid);
        if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
                return den_error_set(err, errno, "reset keep capabilities");
        return 0;
}

static int set_caps(const struct rt_process *p, den_error **err)
{
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[2] = { 0 };

        if (!p->has_caps)
                return 0;
        for (int i = 0; i < 2; i++) {
                d[i].effective = (uint32_t) (p->caps[RT_CAP_EFFECTIVE] >> (32 * i));
                d[i].permitted = (uint32_t) (p->caps[RT_CAP_PERMITTED] >> (32 * i));
                d[i].inheritable = (uint32_t) (p->caps[RT_CAP_INHERITABLE] >> (32 * i));
        }
        if (syscall(SYS_capset, &h, d) < 0)
                return den_error_set(err, errno, "capset");
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return den_error_set(err, errno, "clear ambient capabilities");
        for (int c = 0; c < 64; c++) {
                if (!(p->caps[RT_CAP_AMBIENT] & (1ull << c)))
                        continue;
                /* as runc: an ambient capability the kernel refuses (not permitted and
                 * inheritable) is left out rather than failing the container */
                (void) prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0);
        }
        return 0;
}

static int set_cwd(const struct rt_process *p, den_error **err)
{
        if (chdir(p->cwd) < 0)
                return den_error_set(err, errno, "chdir to cwd (\"%s\") set in config.json",
                                     p->cwd);
        return 0;
}

/* Go's exec.LookPath, as runc uses it: a name with a slash is taken as is, else each entry
 * of the container's PATH is tried; a candidate is a file with an execute bit. */
static int find_executable(const char *file)
{
        struct stat st;

        if (stat(file, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (!(st.st_mode & 0111))
                return -EACCES;
        return 0;
}

static int look_path(const struct rt_process *p, char *buf, size_t size, const char **ret,
                     den_error **err)
{
        const char *name = p->args[0];
        const char *path = p->path_env;
        int r;

        if (strchr(name, '/')) {
                r = find_executable(name);
                if (r == -ENOENT || r == -ENOTDIR)
                        return den_error_set(err, -r, "exec: \"%s\": stat %s", name, name);
                if (r < 0)
                        return den_error_set(err, -r, "exec: \"%s\"", name);
                *ret = name;
                return 0;
        }
        while (path) {
                const char *end = strchrnul(path, ':');
                int len = (int) (end - path);

                if (snprintf(buf, size, "%.*s/%s", len, len ? path : ".", name) < (int) size &&
                    find_executable(buf) == 0) {
                        *ret = buf;
                        return 0;
                }
                path = *end ? end + 1 : NULL;
        }
        return den_error_set(err, ENOENT, "exec: \"%s\": executable file not found in $PATH", name);
}

static int exec_status(int errnum)
{
        return errnum == ENOENT || errnum == ENOTDIR ? 127 : 126;
}

static _Noreturn void child_exec(const struct rt_child *c)
{
        den_error *err = NULL;
        char buf[PATH_MAX];
        const char *file = NULL;

        if (look_path(c->proc, buf, sizeof(buf), &file, &err) < 0) {
                err->exit_status = exec_status(err->errnum);
                rt_child_fail(c->sync_fd, err);
        }
        if (c->bpf && c->proc->is_no_new_privs &&
            rt_seccomp_load_bpf(c->bpf, c->bpf_len, c->bpf_flags, &err) < 0)
                rt_child_fail(c->sync_fd, err);
        execve(file, c->proc->args, c->proc->env);
        den_error_set(&err, errno, "exec: \"%s\"", c->proc->args[0]);
        err->exit_status = exec_status(err->errnum);
        rt_child_fail(c->sync_fd, err);
}

_Noreturn void rt_child_finish(const struct rt_child *c)
{
        const struct rt_process *p = c->proc;
        den_error *err = NULL;

        if (apply_rlimits(p, &err) < 0 || drop_bounding(p, &err) < 0)
                rt_child_fail(c->sync_fd, err);
        /* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN in the effective set,
         * which switching to another uid clears and set_caps may drop: load it while still
         * root then. With it, seccomp comes last, right before execve, so the filter never
         * has to allow the runtime's own syscalls. */
        if (c->bpf && !p->is_no_new_privs &&
            rt_seccomp_load_bpf(c->bpf, c->bpf_len, c->bpf_flags, &err) < 0)
                rt_child_fail(c->sync_fd, err);
        if (set_user(p, &err) < 0)
                rt_child_fail(c->sync_fd, err);
        if (p->has_umask)
                (void) umask(p->umask);
        if (set_cwd(p, &err) < 0)
                rt_child_fail(c->sync_fd, err);
        if (set_caps(p, &err) < 0)
                rt_child_fail(c->sync_fd, err);
        if (p->is_no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
                den_error_set(&err, errno, "set no_new_privs");
                rt_child_fail(c->sync_fd, err);
        }
        /* no fd of the runtime's survives execve: everything above 2 is close-on-exec */
        if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
                /* COMPAT(kernel < 5.11): mark them one by one */
                for (int fd = 3; fd < 65536; fd++)
                        (void) fcntl(fd, F_SETFD, FD_CLOEXEC);
        }
        if (rt_child_send(c->sync_fd, RT_MSG_READY, -1, &err) < 0 ||
            rt_child_wait(c->sync_fd, RT_MSG_GO, &err) < 0)
                rt_child_fail(c->sync_fd, err);
        child_exec(c);
}

/* ---------------------------------------------------------------- rt_exec */

static const struct {
        const char *name;
        int flag;
} exec_ns[] = {
        { "user", CLONE_NEWUSER },     { "mnt", CLONE_NEWNS },  { "pid", CLONE_NEWPID },
        { "ipc", CLONE_NEWIPC },       { "uts", CLONE_NEWUTS }, { "net", CLONE_NEWNET },
        { "cgroup", CLONE_NEWCGROUP },
};

bool rt_has_joined_container;

int rt_cgroup_of(pid_t pid)
{
        _cleanup_free_ char *text = NULL, *dir = NULL;
        char path[64];
        struct statfs sf;
        size_t len = 0;

        (void) snprintf(path, sizeof(path), "/proc/%d/cgroup", (int) pid);
        if (statfs("/sys/fs/cgroup", &sf) < 0 || sf.f_type != CGROUP2_SUPER_MAGIC ||
            den_read_file_at(AT_FDCWD, path, 4096, &text, &len) < 0 ||
            !den_str_has_prefix(text, "0::/"))
                return -1;
        text[strcspn(text, "\n")] = '\0';
        if (strstr(text, "/.."))
                return -1; /* outside our cgroup namespace: not reachable by path */
        dir = xasprintf("/sys/fs/cgroup%s", text + 3);
        return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* Joins init_pid's namespaces, user first (it grants the rights for the others), but for the
 * cgroup namespace, which the process started in the container's cgroup joins itself
 * (*ret_cgroupns, -1 when shared with us): from inside it, a cgroup outside could not be
 * left for the container's. A namespace the init shares with us is skipped: setns into one's
 * own user namespace fails. */
static int join_namespaces(pid_t init_pid, int *ret_cgroupns, den_error **err)
{
        int fds[ARRAY_SIZE(exec_ns)];
        int r = 0;

        for (size_t i = 0; i < ARRAY_SIZE(exec_ns); i++) {
                char path[64], self[64];
                struct stat a, b;

                (void) snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int) init_pid,
                                exec_ns[i].name);
                (void) snprintf(self, sizeof(self), "/proc/self/ns/%s", exec_ns[i].name);
                fds[i] = -1;
                if (stat(path, &a) < 0 ||
                    (stat(self, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev))
                        continue;
                fds[i] = open(path, O_RDONLY | O_CLOEXEC);
                if (fds[i] < 0 && r == 0)
                        r = den_error_set(err, errno, "open %s", path);
        }
        *ret_cgroupns = -1;
        for (size_t i = 0; i < ARRAY_SIZE(exec_ns) && r == 0; i++) {
                if (exec_ns[i].flag == CLONE_NEWCGROUP && fds[i] >= 0) {
                        *ret_cgroupns = steal_fd(fds[i]);
                        rt_has_joined_container = true;
                } else if (fds[i] >= 0 && setns(fds[i], exec_ns[i].flag) < 0)
                        r = den_error_set(err, errno, "join the container's %s namespace",
                                          exec_ns[i].name);
                else if (fds[i] >= 0)
                        rt_has_joined_container = true;
        }
        for (size_t i = 0; i < ARRAY_SIZE(exec_ns); i++)
                if (fds[i] >= 0)
                        (void) close(fds[i]);
        return r;
}

void rt_child_reset_signals(void)
{
        sigset_t none;

        for (int sig = 1; sig < NSIG; sig++)
                (void) signal(sig, SIG_DFL);
        sigemptyset(&none);
        (void) sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Masked paths of the container stay masked: rt_create mounted them in the container's
 * mount namespace, which the process joins. */
static _Noreturn void exec_child(const struct rt_child *c)
{
        den_error *err = NULL;

        rt_child_reset_signals();
        if (!c->proc->is_terminal && rt_child_stdio(c->stdio, &err) < 0)
                rt_child_fail(c->sync_fd, err);
        if (c->proc->is_terminal && rt_child_terminal(c->sync_fd, &err) < 0)
                rt_child_fail(c->sync_fd, err);
        rt_child_finish(c);
}

static void process_freep(struct rt_process **p)
{
        if (*p)
                rt_process_clear(*p);
        free(*p);
}

int rt_exec(const struct rt_exec_opts *o, struct rt_container **ret, den_error **err)
{
        const struct rt_spec *spec = o->spec;
        _cleanup_(process_freep) struct rt_process *proc = xcalloc(1, sizeof(*proc));
        _cleanup_free_ void *bpf = NULL;
        _cleanup_close_ int devnull = -EBADF, cg = -EBADF, cgroupns = -EBADF;
        json_auto_t *doc = NULL;
        struct rt_container *c;
        struct rt_child child;
        json_error_t jerr;
        bool is_in_cgroup;
        int sv[2], pidfd = -1;
        pid_t pid;

        doc = json_loads(o->process_json, JSON_REJECT_DUPLICATES, &jerr);
        if (!doc)
                return den_error_set(err, EINVAL, "exec: process: invalid JSON: %s", jerr.text);
        if (rt_process_parse(doc, "process", proc, err) < 0 ||
            rt_parent_seccomp(spec, proc, o->seccomp_cache_dfd, &bpf, &child.bpf_len, err) < 0)
                return den_error_wrap(err, "exec");
        devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (devnull < 0)
                return den_error_set(err, errno, "exec: open /dev/null");
        /* the process runs in the container's cgroup, under its limits, as podman's does */
        cg = rt_cgroup_of(o->init_pid);
        if (join_namespaces(o->init_pid, &cgroupns, err) < 0)
                return den_error_wrap(err, "exec");
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return den_error_set(err, errno, "exec: socketpair");
        child = (struct rt_child){ .spec = spec,
                                   .proc = proc,
                                   .sync_fd = sv[1],
                                   .bpf = bpf,
                                   .bpf_len = child.bpf_len,
                                   .root_tree = -1,
                                   .bpf_flags = spec->seccomp ? rt_seccomp_load_flags(spec->seccomp)
                                                              : 0 };
        for (int i = 0; i < 3; i++)
                child.stdio[i] = o->stdio[i] >= 0 ? o->stdio[i] : devnull;
        /* a child: the pid namespace applies to children only */
        pid = rt_clone_into(0, cg, &pidfd, &is_in_cgroup);
        if (pid < 0) {
                (void) close(sv[0]);
                (void) close(sv[1]);
                return den_error_set(err, errno, "exec: fork");
        }
        if (pid == 0) {
                den_error *cerr = NULL;

                (void) close(sv[0]);
                if (cgroupns >= 0 && setns(cgroupns, CLONE_NEWCGROUP) < 0) {
                        (void) den_error_set(&cerr, errno, "join the container's cgroup namespace");
                        rt_child_fail(sv[1], cerr);
                }
                exec_child(&child);
        }
        (void) close(sv[1]);
        c = xcalloc(1, sizeof(*c));
        *c = (struct rt_container){ .pid = pid,
                                    .pidfd = pidfd,
                                    .pty_master = -1,
                                    .netns_fd = -EBADF,
                                    .userns_fd = -EBADF,
                                    .sync_fd = sv[0],
                                    .status_fd = -1 };
        if (rt_parent_wait_ready(c, proc->is_terminal, err) < 0) {
                (void) waitpid(pid, NULL, 0);
                rt_container_free(c, true);
                return den_error_wrap(err, "exec");
        }
        *ret = c;
        return 0;
}
