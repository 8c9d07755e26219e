/* den's own OCI runtime: rt_create clones the container's init into the spec's namespaces
 * and builds its root file system; rt_start lets it exec.
 *
 * Trust: the spec is den's (or the user's own), the rootfs is not. Everything inside the
 * rootfs comes from image layers and may be a symlink planted to redirect a mount onto the
 * host (a destination "/etc/x" whose "/etc" links to "/../../etc"). So every destination is
 * resolved inside the rootfs with den_open_in_root (openat2 RESOLVE_IN_ROOT) into an fd,
 * missing components are created below fds already resolved, and mounts target
 * "/proc/self/fd/N" of that fd: the path string is never looked up again after the check.
 * Bind sources are host paths from the spec and are trusted. */
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "net/net.h"
#include "runtime/rt-internal.h"

#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV 0x00000004
#define MOUNT_ATTR_NOEXEC 0x00000008
struct mount_attr {
        uint64_t attr_set;
        uint64_t attr_clr;
        uint64_t propagation;
        uint64_t userns_fd;
};
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#define MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#endif

/* The clone3 argument, as <linux/sched.h> lays it out (that header clashes with glibc's). */
struct rt_clone_args {
        uint64_t flags;
        uint64_t pidfd;
        uint64_t child_tid;
        uint64_t parent_tid;
        uint64_t exit_signal;
        uint64_t stack;
        uint64_t stack_size;
        uint64_t tls;
        uint64_t set_tid;
        uint64_t set_tid_size;
        uint64_t cgroup;
};

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

static const int ns_flags[RT_NS_N] = {
        [RT_NS_PID] = CLONE_NEWPID,       [RT_NS_NET] = CLONE_NEWNET, [RT_NS_MOUNT] = CLONE_NEWNS,
        [RT_NS_IPC] = CLONE_NEWIPC,       [RT_NS_UTS] = CLONE_NEWUTS, [RT_NS_USER] = CLONE_NEWUSER,
        [RT_NS_CGROUP] = CLONE_NEWCGROUP,
};

#define FDPATH_LEN 32
static const char *fdpath(char buf[FDPATH_LEN], int fd)
{
        (void) snprintf(buf, FDPATH_LEN, "/proc/self/fd/%d", fd);
        return buf;
}

/* ---------------------------------------------------------------- paths inside the rootfs */

/* An O_PATH fd for path inside root, creating what is missing (directories; the leaf as a
 * directory or an empty file). Returns -errno. */
static int make_in_root(int root, const char *path, bool is_dir, unsigned depth)
{
        _cleanup_close_ int pfd = -EBADF;
        char buf[RT_SPEC_MAX_PATH + 1];
        char *slash, *leaf;
        size_t len;
        int fd, r;

        fd = den_open_in_root(root, path, O_PATH | O_CLOEXEC, 0);
        if (fd != -ENOENT)
                return fd;
        if (depth > 256)
                return -ELOOP;
        len = strlen(path);
        if (len >= sizeof(buf))
                return -ENAMETOOLONG;
        memcpy(buf, path, len + 1);
        while (len > 1 && buf[len - 1] == '/')
                buf[--len] = '\0';
        slash = strrchr(buf, '/');
        leaf = slash ? slash + 1 : buf;
        if (!*leaf || streq(leaf, ".") || streq(leaf, ".."))
                return -EINVAL;
        if (slash)
                *slash = '\0';
        pfd = make_in_root(root, slash && buf[0] ? buf : "/", true, depth + 1);
        if (pfd < 0)
                return pfd;
        if (is_dir)
                r = mkdirat(pfd, leaf, 0755);
        else
                r = openat(pfd, leaf, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0644);
        if (r < 0 && errno != EEXIST)
                return -errno;
        if (r >= 0 && !is_dir)
                (void) close(r);
        /* resolve again inside the root: the leaf may be a symlink someone planted */
        return den_open_in_root(root, path, O_PATH | O_CLOEXEC, 0);
}

static int open_dest(int root, const char *path, bool is_dir, int *ret, den_error **err)
{
        int fd = make_in_root(root, path, is_dir, 0);

        if (fd < 0)
                return den_error_set(err, -fd, "resolve \"%s\" in the rootfs", path);
        *ret = fd;
        return 0;
}

/* Sets flags on the mount at fd (recursively for rbinds), keeping the flags the kernel
 * locked: mount_setattr only adds. */
static int mount_set_flags(int fd, unsigned long flags, bool is_recursive)
{
        struct mount_attr a = { 0 };
        char p[FDPATH_LEN];
        struct statvfs sf;
        unsigned long locked = 0;

        if (flags & MS_RDONLY)
                a.attr_set |= MOUNT_ATTR_RDONLY;
        if (flags & MS_NOSUID)
                a.attr_set |= MOUNT_ATTR_NOSUID;
        if (flags & MS_NODEV)
                a.attr_set |= MOUNT_ATTR_NODEV;
        if (flags & MS_NOEXEC)
                a.attr_set |= MOUNT_ATTR_NOEXEC;
        if (!a.attr_set)
                return 0;
        if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | (is_recursive ? AT_RECURSIVE : 0),
                    &a, sizeof(a)) == 0)
                return 0;
        if (errno != ENOSYS)
                return -errno;
        /* COMPAT(kernel < 5.12): remount, repeating the flags the kernel locked */
        if (fstatvfs(fd, &sf) == 0)
                locked = sf.f_flag & (ST_RDONLY | ST_NOSUID | ST_NODEV | ST_NOEXEC);
        if (mount(NULL, fdpath(p, fd), NULL,
                  MS_REMOUNT | MS_BIND | (flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)) |
                          (locked & ST_RDONLY ? MS_RDONLY : 0) |
                          (locked & ST_NOSUID ? MS_NOSUID : 0) |
                          (locked & ST_NODEV ? MS_NODEV : 0) | (locked & ST_NOEXEC ? MS_NOEXEC : 0),
                  NULL) < 0)
                return -errno;
        return 0;
}

/* Binds the host path src (trusted) at dest inside root, then applies flags to the new
 * mount, found by resolving dest again inside the root. */
/* src_fd: the source opened beforehand (a negative errno when that failed), or -EBADF to
 * open src now. */
static int bind_at_fd(int root, const char *src, int src_fd, const char *dest, unsigned long flags,
                      bool is_rbind, unsigned long propagation, den_error **err)
{
        _cleanup_close_ int sfd = -EBADF, dfd = -EBADF, nfd = -EBADF;
        char ps[FDPATH_LEN], pd[FDPATH_LEN];
        struct stat st;
        int r;

        if (src_fd >= 0)
                sfd = fcntl(src_fd, F_DUPFD_CLOEXEC, 3);
        else if (src_fd == -EBADF)
                sfd = open(src, O_PATH | O_CLOEXEC);
        else
                errno = -src_fd;
        if (sfd < 0 || fstat(sfd, &st) < 0)
                return den_error_set(err, errno, "bind \"%s\" to \"%s\": open source", src, dest);
        if (open_dest(root, dest, S_ISDIR(st.st_mode), &dfd, err) < 0)
                return den_error_wrap(err, "bind \"%s\"", src);
        if (mount(fdpath(ps, sfd), fdpath(pd, dfd), NULL, MS_BIND | (is_rbind ? MS_REC : 0), NULL) <
            0)
                return den_error_set(err, errno, "bind \"%s\" to \"%s\"", src, dest);
        if (!(flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)) && !propagation)
                return 0;
        nfd = den_open_in_root(root, dest, O_PATH | O_CLOEXEC, 0);
        if (nfd < 0)
                return den_error_set(err, -nfd, "resolve \"%s\" in the rootfs", dest);
        r = mount_set_flags(nfd, flags, is_rbind);
        if (r < 0)
                return den_error_set(err, -r, "remount \"%s\"", dest);
        if (propagation && mount(NULL, fdpath(pd, nfd), NULL, propagation, NULL) < 0)
                return den_error_set(err, errno, "set propagation of \"%s\"", dest);
        return 0;
}

static int bind_at(int root, const char *src, const char *dest, unsigned long flags, bool is_rbind,
                   unsigned long propagation, den_error **err)
{
        return bind_at_fd(root, src, -EBADF, dest, flags, is_rbind, propagation, err);
}

/* ---------------------------------------------------------------- spec mounts */

/* "gid=5" names a group that may not be mapped in a nested user namespace: devpts then
 * refuses the mount, and is tried again without it. */
static void strip_gid(char *data)
{
        char *p = strstr(data, "gid=");

        while (p && p != data && p[-1] != ',')
                p = strstr(p + 1, "gid=");
        if (!p)
                return;
        char *end = strchrnul(p, ',');
        memmove(p, *end ? end + 1 : end, strlen(*end ? end + 1 : end) + 1);
        if (*data && data[strlen(data) - 1] == ',')
                data[strlen(data) - 1] = '\0';
}

static int mount_fs(int root, const struct rt_mount *m, den_error **err)
{
        _cleanup_close_ int dfd = -EBADF;
        char pd[FDPATH_LEN];
        int r;

        if (open_dest(root, m->destination, true, &dfd, err) < 0)
                return den_error_wrap(err, "mount %s", m->type);
        r = mount(m->source, fdpath(pd, dfd), m->type, m->flags & ~MS_REMOUNT, m->data);
        if (r < 0 && errno == EINVAL && m->data && streq(m->type, "devpts") &&
            strstr(m->data, "gid=")) {
                _cleanup_free_ char *d = xstrdup(m->data);

                strip_gid(d);
                r = mount(m->source, pd, m->type, m->flags & ~MS_REMOUNT, d);
        }
        if (r < 0 && (errno == EPERM || errno == EACCES) && streq(m->type, "mqueue")) {
                /* an ipc namespace we do not own: show the host's queues, as crun does */
                (void) close(steal_fd(dfd));
                return bind_at(root, "/dev/mqueue", m->destination, m->flags, true, 0, err);
        }
        if (r < 0)
                return den_error_set(err, errno, "mount %s to \"%s\"", m->type, m->destination);
        if (m->propagation) {
                /* the fd names the directory below the new mount: reopen to reach the mount */
                _cleanup_close_ int nfd =
                        den_open_in_root(root, m->destination, O_PATH | O_CLOEXEC, 0);
                char pn[64];

                if (nfd < 0)
                        return den_error_set(err, -nfd, "resolve \"%s\" in the rootfs",
                                             m->destination);
                if (mount(NULL, fdpath(pn, nfd), NULL, m->propagation, NULL) < 0)
                        return den_error_set(err, errno, "set propagation of \"%s\"",
                                             m->destination);
        }
        return 0;
}

static int mount_one(int root, const struct rt_mount *m, int src_fd, den_error **err)
{
        switch (m->kind) {
        case RT_MOUNT_BIND:
                return bind_at_fd(root, m->source, src_fd, m->destination, m->flags, m->is_rbind,
                                  m->propagation, err);
        case RT_MOUNT_SYSFS: {
                _cleanup_close_ int dfd = -EBADF;
                char pd[FDPATH_LEN];

                if (open_dest(root, m->destination, true, &dfd, err) < 0)
                        return den_error_wrap(err, "mount sysfs");
                if (mount("sysfs", fdpath(pd, dfd), "sysfs", m->flags & ~MS_REMOUNT, NULL) == 0)
                        return 0;
                if (errno != EPERM && errno != EACCES)
                        return den_error_set(err, errno, "mount sysfs to \"%s\"", m->destination);
                /* sysfs needs a network namespace of our own: bind the host's read-only */
                return bind_at(root, "/sys", m->destination, m->flags | MS_RDONLY, true, 0, err);
        }
        case RT_MOUNT_CGROUP: {
                struct statfs sf;

                /* cgroup v2 and a cgroup namespace of the container's own (owned by its user
                 * namespace): a cgroup2 of its own, rooted at the container's cgroup, as podman
                 * mounts it. Otherwise (v1 hierarchies cannot be mounted rootless, the host's
                 * cgroup namespace may not be) the host's tree, read-only. */
                if (statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC) {
                        _cleanup_close_ int dfd = -EBADF;
                        char pd[FDPATH_LEN];

                        if (open_dest(root, m->destination, true, &dfd, err) < 0)
                                return den_error_wrap(err, "mount cgroup2");
                        if (mount("cgroup2", fdpath(pd, dfd), "cgroup2", m->flags & ~MS_REMOUNT,
                                  NULL) == 0)
                                return 0;
                        if (errno != EPERM && errno != EACCES)
                                return den_error_set(err, errno, "mount cgroup2 to \"%s\"",
                                                     m->destination);
                }
                return bind_at(root, "/sys/fs/cgroup", m->destination, m->flags | MS_RDONLY, true,
                               0, err);
        }
        case RT_MOUNT_FS:
                return mount_fs(root, m, err);
        default:
                break;
        }
        return den_error_set(err, EINVAL, "unknown mount kind");
}

/* ---------------------------------------------------------------- /dev */

static bool spec_mounts(const struct rt_spec *s, const char *dest)
{
        for (size_t i = 0; i < s->n_mounts; i++)
                if (streq(s->mounts[i].destination, dest))
                        return true;
        return false;
}

/* The standard device nodes, bound from the host: mknod needs a privilege den has not. */
static int make_devices(const struct rt_spec *s, int root, den_error **err)
{
        static const char *const devs[] = { "null", "zero", "full", "random", "urandom", "tty" };
        static const char *const links[][2] = {
                { "/proc/self/fd", "fd" },       { "/proc/self/fd/0", "stdin" },
                { "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
                { "pts/ptmx", "ptmx" },
        };
        _cleanup_close_ int devfd = -EBADF;
        char dest[32];

        if (open_dest(root, "/dev", true, &devfd, err) < 0)
                return -1;
        for (size_t i = 0; i < ARRAY_SIZE(devs); i++) {
                struct stat st;

                (void) snprintf(dest, sizeof(dest), "/dev/%s", devs[i]);
                if (spec_mounts(s, dest))
                        continue;
                /* a symlink in the image's /dev is replaced, never followed */
                if (fstatat(devfd, devs[i], &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
                        (void) unlinkat(devfd, devs[i], 0);
                if (bind_at(root, dest, dest, 0, false, 0, err) < 0)
                        return -1;
        }
        for (size_t i = 0; i < ARRAY_SIZE(links); i++)
                if (symlinkat(links[i][0], devfd, links[i][1]) < 0 && errno != EEXIST)
                        return den_error_set(err, errno, "symlink /dev/%s", links[i][1]);
        return 0;
}

/* ---------------------------------------------------------------- masked and read-only paths */

static int mask_paths(const struct rt_spec *s, int root, int null_fd, den_error **err)
{
        char pd[FDPATH_LEN], ps[FDPATH_LEN];

        for (size_t i = 0; s->masked && s->masked[i]; i++) {
                _cleanup_close_ int fd =
                        den_open_in_root(root, s->masked[i], O_PATH | O_CLOEXEC, 0);
                struct stat st;
                int r;

                if (fd == -ENOENT || fd == -ENOTDIR)
                        continue;
                if (fd < 0 || fstat(fd, &st) < 0)
                        return den_error_set(err, fd < 0 ? -fd : errno, "mask \"%s\"",
                                             s->masked[i]);
                if (S_ISDIR(st.st_mode))
                        r = mount("tmpfs", fdpath(pd, fd), "tmpfs", MS_RDONLY, "size=0k");
                else
                        r = mount(fdpath(ps, null_fd), fdpath(pd, fd), NULL, MS_BIND, NULL);
                if (r < 0)
                        return den_error_set(err, errno, "mask \"%s\"", s->masked[i]);
        }
        return 0;
}

static int readonly_paths(const struct rt_spec *s, int root, den_error **err)
{
        char pd[FDPATH_LEN];

        for (size_t i = 0; s->readonly && s->readonly[i]; i++) {
                const char *p = s->readonly[i];
                _cleanup_close_ int fd = den_open_in_root(root, p, O_PATH | O_CLOEXEC, 0);
                _cleanup_close_ int nfd = -EBADF;
                int r;

                if (fd == -ENOENT || fd == -ENOTDIR)
                        continue;
                if (fd < 0)
                        return den_error_set(err, -fd, "make \"%s\" read-only", p);
                if (mount(fdpath(pd, fd), pd, NULL, MS_BIND | MS_REC, NULL) < 0)
                        return den_error_set(err, errno, "make \"%s\" read-only", p);
                nfd = den_open_in_root(root, p, O_PATH | O_CLOEXEC, 0);
                r = nfd < 0 ? nfd : mount_set_flags(nfd, MS_RDONLY, true);
                if (r < 0)
                        return den_error_set(err, -r, "make \"%s\" read-only", p);
        }
        return 0;
}

/* ---------------------------------------------------------------- the root */

static int pivot(int root, den_error **err)
{
        if (fchdir(root) < 0)
                return den_error_set(err, errno, "chdir to the rootfs");
        if (syscall(SYS_pivot_root, ".", ".") == 0) {
                /* the old root is stacked under "."; detach it without propagating */
                if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
                        return den_error_set(err, errno, "make the old root a slave");
                if (umount2(".", MNT_DETACH) < 0)
                        return den_error_set(err, errno, "detach the old root");
        } else if (errno == EINVAL) {
                /* the root is on initramfs, which cannot be pivoted away from (runc too) */
                if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
                        return den_error_set(err, errno, "move the rootfs to /");
                if (chroot(".") < 0)
                        return den_error_set(err, errno, "chroot");
        } else {
                return den_error_set(err, errno, "pivot_root");
        }
        if (chdir("/") < 0)
                return den_error_set(err, errno, "chdir to /");
        return 0;
}

/* What the init opens before it becomes root of its own user namespace, while it still has
 * the rights of den's root: the rootfs's place and the bind sources, under directories
 * (the store's, a home) that the container's ids may not search. */
struct early_fds {
        int root_target; /* with a root tree: where it is attached */
        int *src;        /* per spec mount: a bind's source, or -errno; -EBADF otherwise */
        size_t n;
};

static void early_open(const struct rt_child *c, struct early_fds *e)
{
        const struct rt_spec *s = c->spec;

        e->root_target =
                c->root_tree >= 0 ? open(s->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC) : -EBADF;
        if (c->root_tree >= 0 && e->root_target < 0)
                e->root_target = -errno;
        e->n = s->n_mounts;
        e->src = xcalloc(e->n + 1, sizeof(*e->src));
        for (size_t i = 0; i < e->n; i++) {
                e->src[i] = -EBADF;
                if (c->root_tree < 0 || s->mounts[i].kind != RT_MOUNT_BIND)
                        continue;
                e->src[i] = open(s->mounts[i].source, O_PATH | O_CLOEXEC);
                if (e->src[i] < 0)
                        e->src[i] = -errno;
        }
}

/* The root as its own mount (pivot_root needs one) in *ret. */
static int root_attach(const struct rt_child *c, const struct early_fds *e, int *ret,
                       den_error **err)
{
        const struct rt_spec *s = c->spec;

        if (c->root_tree < 0) {
                if (mount(s->root_path, s->root_path, NULL, MS_BIND | MS_REC, NULL) < 0)
                        return den_error_set(err, errno, "bind the rootfs \"%s\"", s->root_path);
                *ret = open(s->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (*ret < 0)
                        return den_error_set(err, errno, "open the rootfs \"%s\"", s->root_path);
                return 0;
        }
        if (e->root_target < 0)
                return den_error_set(err, -e->root_target, "open the rootfs \"%s\"", s->root_path);
        if (syscall(SYS_move_mount, c->root_tree, "", e->root_target, "",
                    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return den_error_set(err, errno, "attach the rootfs \"%s\"", s->root_path);
        *ret = fcntl(c->root_tree, F_DUPFD_CLOEXEC, 3);
        if (*ret < 0)
                return den_error_set(err, errno, "open the rootfs \"%s\"", s->root_path);
        return 0;
}

static int setup_rootfs(const struct rt_child *c, const struct early_fds *e, den_error **err)
{
        const struct rt_spec *s = c->spec;
        _cleanup_close_ int root = -EBADF, null_fd = -EBADF, cwd = -EBADF;
        unsigned long prop = s->rootfs_propagation ? s->rootfs_propagation : MS_SLAVE | MS_REC;

        if (mount(NULL, "/", NULL, prop | MS_REC, NULL) < 0)
                return den_error_set(err, errno, "set propagation of /");
        if (root_attach(c, e, &root, err) < 0)
                return -1;
        null_fd = open("/dev/null", O_PATH | O_CLOEXEC);
        if (null_fd < 0)
                return den_error_set(err, errno, "open /dev/null");
        for (size_t i = 0; i < s->n_mounts; i++)
                if (mount_one(root, &s->mounts[i], e->src[i], err) < 0)
                        return -1;
        if (make_devices(s, root, err) < 0)
                return -1;
        /* runc creates a missing working directory */
        if (open_dest(root, s->proc.cwd, true, &cwd, err) < 0)
                return den_error_wrap(err, "cwd");
        if (mask_paths(s, root, null_fd, err) < 0 || readonly_paths(s, root, err) < 0 ||
            pivot(root, err) < 0)
                return -1;
        if (s->is_root_readonly &&
            syscall(SYS_mount_setattr, AT_FDCWD, "/", 0,
                    &(struct mount_attr){ .attr_set = MOUNT_ATTR_RDONLY },
                    sizeof(struct mount_attr)) < 0 &&
            mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
                return den_error_set(err, errno, "make the rootfs read-only");
        return 0;
}

static int write_sysctls(const struct rt_spec *s, den_error **err)
{
        for (size_t i = 0; s->sysctl && s->sysctl[i]; i += 2) {
                char path[300];
                _cleanup_close_ int fd = -EBADF;

                (void) snprintf(path, sizeof(path), "/proc/sys/%s", s->sysctl[i]);
                for (char *p = path + 10; *p; p++)
                        if (*p == '.')
                                *p = '/';
                fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0 || den_write_all(fd, s->sysctl[i + 1], strlen(s->sysctl[i + 1])) < 0)
                        return den_error_set(err, errno, "sysctl %s", s->sysctl[i]);
        }
        return 0;
}

/* ---------------------------------------------------------------- the init child */

static int join_paths(const struct rt_spec *s, den_error **err)
{
        /* user first: it grants the rights the others need */
        static const int order[] = { RT_NS_USER, RT_NS_MOUNT, RT_NS_NET,
                                     RT_NS_IPC,  RT_NS_UTS,   RT_NS_CGROUP };

        for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
                const struct rt_ns *n = &s->ns[order[i]];
                _cleanup_close_ int fd = -EBADF;

                if (!n->is_set || !n->path)
                        continue;
                fd = open(n->path, O_RDONLY | O_CLOEXEC);
                if (fd < 0 || setns(fd, ns_flags[order[i]]) < 0)
                        return den_error_set(err, errno, "join namespace \"%s\"", n->path);
        }
        return 0;
}

/* Hands the parent one of the init's namespaces while the init is still dumpable. */
static int send_ns(int sync_fd, int type, const char *name, den_error **err)
{
        _cleanup_close_ int fd = -EBADF;
        char path[32];

        (void) snprintf(path, sizeof(path), "/proc/self/ns/%s", name);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return den_error_set(err, errno, "open %s", path);
        return rt_child_send(sync_fd, type, fd, err);
}

static _Noreturn void init_child(const struct rt_child *c)
{
        const struct rt_spec *s = c->spec;
        struct early_fds early = { 0 };
        den_error *err = NULL;

        rt_child_reset_signals();
        early_open(c, &early);
        if (s->ns[RT_NS_USER].is_set && !s->ns[RT_NS_USER].path) {
                if (rt_child_wait(c->sync_fd, RT_MSG_MAPPED, &err) < 0)
                        rt_child_fail(c->sync_fd, err);
                /* root of the new namespace, when the mapping has one */
                if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
                        den_debug("no root in the new user namespace, continuing");
        }
        if (join_paths(s, &err) < 0 || send_ns(c->sync_fd, RT_MSG_NETNS, "net", &err) < 0 ||
            send_ns(c->sync_fd, RT_MSG_USERNS, "user", &err) < 0)
                rt_child_fail(c->sync_fd, err);
        if (!s->proc.is_terminal && rt_child_stdio(c->stdio, &err) < 0)
                rt_child_fail(c->sync_fd, err);
        /* a network namespace of its own starts with lo down: up, as podman's --network none
         * has it (slirp4netns's --configure would do it too, later) */
        if (s->ns[RT_NS_NET].is_set && !s->ns[RT_NS_NET].path) {
                int e = net_lo_up_here();

                if (e) {
                        den_error_set(&err, e, "bring up lo");
                        rt_child_fail(c->sync_fd, err);
                }
        }
        if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
                den_error_set(&err, errno, "set hostname");
        if (!err && s->domainname && setdomainname(s->domainname, strlen(s->domainname)) < 0)
                den_error_set(&err, errno, "set domainname");
        /* sysctls first: /proc/sys is read-only in the finished root, and the namespaced
         * ones (net.*, kernel.msg*) are those of the writer, whichever /proc it opens */
        if (err || write_sysctls(s, &err) < 0 || setup_rootfs(c, &early, &err) < 0)
                rt_child_fail(c->sync_fd, err);
        if (s->proc.is_terminal && rt_child_terminal(c->sync_fd, &err) < 0)
                rt_child_fail(c->sync_fd, err);
        rt_child_finish(c);
}

/* ---------------------------------------------------------------- the parent */

static int write_map(pid_t pid, const char *file, const struct rt_idmap *m, size_t n,
                     den_error **err)
{
        _cleanup_(den_buf_free) struct den_buf b = { 0 };
        _cleanup_close_ int fd = -EBADF;
        char path[64];

        for (size_t i = 0; i < n; i++)
                den_buf_printf(&b, "%u %u %u\n", m[i].container_id, m[i].host_id, m[i].size);
        (void) snprintf(path, sizeof(path), "/proc/%d/%s", (int) pid, file);
        fd = open(path, O_WRONLY | O_CLOEXEC);
        /* one write: the kernel takes a map only whole */
        if (fd < 0 || write(fd, b.data, b.len) != (ssize_t) b.len)
                return den_error_set(err, errno, "write %s", file);
        return 0;
}

pid_t rt_clone_into(unsigned long flags, int cg, int *ret_pidfd, bool *ret_in_cgroup)
{
        struct rt_clone_args a = { .flags = flags | CLONE_PIDFD,
                                   .pidfd = (uint64_t) (uintptr_t) ret_pidfd,
                                   .exit_signal = SIGCHLD };
        long r = -1;

        *ret_in_cgroup = false;
        if (cg >= 0) {
                a.flags |= CLONE_INTO_CGROUP;
                a.cgroup = (uint64_t) cg;
                r = syscall(SYS_clone3, &a, sizeof(a));
                if (r >= 0) {
                        *ret_in_cgroup = true;
                        return (pid_t) r;
                }
                /* COMPAT(kernel < 5.7): no CLONE_INTO_CGROUP; the init is moved in after */
                a.flags &= ~(uint64_t) CLONE_INTO_CGROUP;
                a.cgroup = 0;
        }
        r = syscall(SYS_clone3, &a, sizeof(a));
        if (r < 0 && errno == ENOSYS) {
                /* COMPAT(kernel < 5.3): clone; x86_64 order (flags, stack, parent_tid, ...) */
                r = syscall(SYS_clone, flags | CLONE_PIDFD | SIGCHLD, NULL, ret_pidfd, NULL, 0);
        }
        return (pid_t) r;
}

static int join_pid_ns(const struct rt_spec *s, den_error **err)
{
        _cleanup_close_ int fd = -EBADF;

        /* setns(CLONE_NEWPID) applies to the children created afterwards: the init */
        if (!s->ns[RT_NS_PID].is_set || !s->ns[RT_NS_PID].path)
                return 0;
        fd = open(s->ns[RT_NS_PID].path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || setns(fd, CLONE_NEWPID) < 0)
                return den_error_set(err, errno, "join namespace \"%s\"", s->ns[RT_NS_PID].path);
        return 0;
}

/* A container with a user namespace of its own gets its root as a detached copy of the
 * mount, cloned before the init, which inherits it: the init's ids may not search the
 * store's directories that lead to the root's path. (The ids it shows are the storage's
 * business: store_container_mount_mapped.) */
static int root_tree_open(const struct rt_spec *s, unsigned long flags, int *ret, den_error **err)
{
        *ret = -1;
        if (!(flags & CLONE_NEWUSER))
                return 0;
        *ret = (int) syscall(SYS_open_tree, AT_FDCWD, s->root_path,
                             OPEN_TREE_CLONE | O_CLOEXEC | AT_RECURSIVE);
        if (*ret < 0)
                return den_error_set(err, errno, "clone the rootfs \"%s\"", s->root_path);
        return 0;
}

static int create_own(const struct rt_create_opts *o, const struct rt_spec *s,
                      struct rt_container **ret, den_error **err)
{
        _cleanup_free_ void *bpf = NULL;
        _cleanup_close_ int devnull = -EBADF, cg = -EBADF, tree = -EBADF;
        bool is_in_cgroup = false;
        struct rt_child child = { .spec = s, .proc = &s->proc, .root_tree = -1 };
        struct rt_container *c;
        unsigned long flags = 0;
        int sv[2], pidfd = -1;
        pid_t pid;

        if (!s->ns[RT_NS_MOUNT].is_set)
                return den_error_set(err, EINVAL, "a mount namespace is required");
        if (rt_parent_seccomp(s, &s->proc, o->seccomp_cache_dfd, &bpf, &child.bpf_len, err) < 0)
                return -1;
        child.bpf = bpf;
        child.bpf_flags = s->seccomp ? rt_seccomp_load_flags(s->seccomp) : 0;
        devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (devnull < 0)
                return den_error_set(err, errno, "open /dev/null");
        for (int i = 0; i < 3; i++)
                child.stdio[i] = o->stdio[i] >= 0 ? o->stdio[i] : devnull;
        for (int k = 0; k < RT_NS_N; k++)
                if (s->ns[k].is_set && !s->ns[k].path)
                        flags |= (unsigned long) ns_flags[k];
        if (join_pid_ns(s, err) < 0 || root_tree_open(s, flags, &tree, err) < 0)
                return -1;
        child.root_tree = tree;
        cg = rt_cgroup_prepare(o->id, s);
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return den_error_set(err, errno, "socketpair");
        child.sync_fd = sv[1];
        pid = rt_clone_into(flags, cg, &pidfd, &is_in_cgroup);
        if (pid < 0) {
                (void) close(sv[0]);
                (void) close(sv[1]);
                return den_error_set(err, errno, "clone the container's init");
        }
        if (pid == 0) {
                (void) close(sv[0]);
                init_child(&child);
        }
        (void) close(sv[1]);
        c = xcalloc(1, sizeof(*c));
        *c = (struct rt_container){
                .pid = pid,
                .pidfd = pidfd,
                .pty_master = -1,
                .netns_fd = -EBADF,
                .userns_fd = -EBADF,
                .sync_fd = sv[0],
                .status_fd = -1,
        };
        c->on_namespaces = o->on_namespaces;
        c->on_namespaces_arg = o->on_namespaces_arg;
        if (!is_in_cgroup)
                rt_cgroup_attach(cg, pid);
        if ((flags & CLONE_NEWUSER) &&
            (write_map(pid, "uid_map", s->uidmap, s->n_uidmap, err) < 0 ||
             write_map(pid, "gid_map", s->gidmap, s->n_gidmap, err) < 0 ||
             rt_child_send(c->sync_fd, RT_MSG_MAPPED, -1, err) < 0))
                goto fail;
        if (rt_parent_wait_ready(c, s->proc.is_terminal, err) < 0)
                goto fail;
        *ret = c;
        return 0;
fail:
        (void) kill(pid, SIGKILL);
        (void) waitpid(pid, NULL, 0);
        rt_container_free(c, true);
        return -1;
}

int rt_create(const struct rt_create_opts *o, struct rt_container **ret, den_error **err)
{
        struct rt_spec *loaded = NULL;
        const struct rt_spec *s = o->spec;
        int r;

        if (!s) {
                if (rt_spec_load(o->bundle, &loaded, err) < 0)
                        return -1;
                s = loaded;
        }
        if (o->oci_runtime)
                r = rt_oci_create(o, s, ret, err);
        else
                r = create_own(o, s, ret, err);
        rt_spec_free(loaded);
        return r;
}

int rt_start(struct rt_container *c, int *ret_exit_code, den_error **err)
{
        struct rt_msg m;

        if (c->oci_runtime)
                return rt_oci_start(c, ret_exit_code, err);
        if (rt_child_send(c->sync_fd, RT_MSG_GO, -1, err) < 0 ||
            rt_parent_recv(c->sync_fd, &m, NULL, err) < 0) {
                *ret_exit_code = 125;
                return -1;
        }
        if (m.type == 0)
                return 0; /* EOF: execve closed the child's end */
        *ret_exit_code = m.exit_status ? m.exit_status : 125;
        if (den_error_set(err, m.errnum, "%s", m.text) < 0 && err && *err)
                (*err)->exit_status = m.exit_status;
        return -1;
}

void rt_container_free(struct rt_container *c, bool close_pty)
{
        if (!c)
                return;
        if (c->sync_fd >= 0)
                (void) close(c->sync_fd);
        if (c->status_fd >= 0)
                (void) close(c->status_fd);
        if (c->pidfd >= 0)
                (void) close(c->pidfd);
        if (c->netns_fd >= 0)
                (void) close(c->netns_fd);
        if (c->userns_fd >= 0)
                (void) close(c->userns_fd);
        if (close_pty && c->pty_master >= 0)
                (void) close(c->pty_master);
        free(c->oci_runtime);
        free(c->oci_root);
        free(c->id);
        free(c);
}
