/* A container's root filesystem: the vfs copy of an image's layers (whiteouts applied), the
 * overlay and fuse-overlayfs mounts of the layers under the container's diff/, the short
 * links that keep a long lowerdir list within overlay's one-page option string, and the
 * probe that picks a default driver.
 *
 * Trust: layers were extracted by den itself (storage/layer.c, image/layer.c), so their
 * names are safe, but their content (symlinks especially) comes from images. The copy walks
 * both trees through directory fds with O_NOFOLLOW at every step and never resolves a path
 * string, so a symlink in a layer or in the rootfs being built is copied, never followed. */
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include "storage/internal.h"

#define COPY_MAX_DEPTH 300 /* layers are at most 256 deep (image/layer.c) */
#define XATTR_LIST_MAX_LEN (64u << 10)
#define XATTR_VALUE_MAX_LEN (64u << 10)
#define OPAQUE_XATTR "user.overlay.opaque"

/* ---------------------------------------------------------------- vfs copy */

struct hardlink {
        dev_t dev;
        ino_t ino;
        char *path; /* of the first copy, relative to the rootfs */
};

struct copy_ctx {
        int rootfs_dfd;
        struct den_buf path; /* the directory being copied, relative to the rootfs ("" or "a/b/") */
        struct hardlink *links;
        size_t n_links;
};

static void links_clear(struct copy_ctx *cx)
{
        for (size_t i = 0; i < cx->n_links; i++)
                free(cx->links[i].path);
        free(cx->links);
        cx->links = NULL;
        cx->n_links = 0;
}

static const char *links_find(const struct copy_ctx *cx, const struct stat *st)
{
        for (size_t i = 0; i < cx->n_links; i++)
                if (cx->links[i].dev == st->st_dev && cx->links[i].ino == st->st_ino)
                        return cx->links[i].path;
        return NULL;
}

static void links_add(struct copy_ctx *cx, const struct stat *st, const char *name)
{
        cx->links = xrealloc(cx->links, (cx->n_links + 1) * sizeof(*cx->links));
        cx->links[cx->n_links++] = (struct hardlink){
                .dev = st->st_dev,
                .ino = st->st_ino,
                .path = xasprintf("%.*s%s", (int) cx->path.len, cx->path.data ? cx->path.data : "",
                                  name),
        };
}

static bool xattr_is_overlay(const char *name)
{
        return den_str_has_prefix(name, "user.overlay.") ||
               den_str_has_prefix(name, "trusted.overlay.");
}

/* Copies extended attributes between two open files, leaving out overlay's own: in a vfs
 * root they would mean nothing, and under a later overlay mount they would mislead. */
static int xattrs_copy(int src, int dst)
{
        _cleanup_free_ char *list = NULL;
        _cleanup_free_ char *val = NULL;
        ssize_t n = flistxattr(src, NULL, 0);

        if (n <= 0)
                return n < 0 && errno != ENOTSUP && errno != EOPNOTSUPP ? -errno : 0;
        if ((size_t) n > XATTR_LIST_MAX_LEN)
                return -E2BIG;
        list = xmalloc((size_t) n);
        n = flistxattr(src, list, (size_t) n);
        if (n < 0)
                return -errno;
        val = xmalloc(XATTR_VALUE_MAX_LEN);
        for (char *k = list; k < list + n; k += strlen(k) + 1) {
                ssize_t vn;

                if (xattr_is_overlay(k))
                        continue;
                vn = fgetxattr(src, k, val, XATTR_VALUE_MAX_LEN);
                if (vn < 0)
                        return -errno;
                /* attributes this user namespace may not set (security.selinux, trusted.*)
                 * are left out, as an unprivileged copy would leave them */
                if (fsetxattr(dst, k, val, (size_t) vn, 0) < 0 && errno != EPERM &&
                    errno != ENOTSUP && errno != EOPNOTSUPP && errno != EACCES)
                        return -errno;
        }
        return 0;
}

/* Owner, mode, extended attributes and times of st onto the open file dst. chown comes
 * first because it clears set-id bits. */
static int meta_apply(int src, int dst, const struct stat *st)
{
        const struct timespec ts[2] = { st->st_atim, st->st_mtim };
        int r;

        if (fchown(dst, st->st_uid, st->st_gid) < 0 || fchmod(dst, st->st_mode & 07777) < 0)
                return -errno;
        r = xattrs_copy(src, dst);
        if (r < 0)
                return r;
        return futimens(dst, ts) < 0 ? -errno : 0;
}

static int data_copy(int src, int dst)
{
        char buf[64 << 10];

        for (;;) {
                ssize_t n = copy_file_range(src, NULL, dst, NULL, 1 << 30, 0);

                if (n == 0)
                        return 0;
                if (n > 0)
                        continue;
                if (errno == EINTR)
                        continue;
                if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
                        return -errno;
                break;
        }
        /* COMPAT: filesystems without copy_file_range between them */
        for (;;) {
                ssize_t n = read(src, buf, sizeof(buf));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return 0;
                if (den_write_all(dst, buf, (size_t) n) < 0)
                        return -errno;
        }
}

static int file_copy(struct copy_ctx *cx, int sdfd, int ddfd, const char *name,
                     const struct stat *st)
{
        _cleanup_close_ int src = -EBADF;
        _cleanup_close_ int dst = -EBADF;
        const char *first = st->st_nlink > 1 ? links_find(cx, st) : NULL;
        int r;

        /* a hard link inside one layer stays a hard link; the directories on the way to the
         * first copy were made by this copy of this layer, so none is a symlink */
        if (first && linkat(cx->rootfs_dfd, first, ddfd, name, 0) == 0)
                return 0;
        src = openat(sdfd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
        if (src < 0)
                return -errno;
        dst = openat(ddfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (dst < 0)
                return -errno;
        r = data_copy(src, dst);
        if (r == 0)
                r = meta_apply(src, dst, st);
        if (r == 0 && st->st_nlink > 1 && !first)
                links_add(cx, st, name);
        return r;
}

/* Symlinks, devices, fifos and sockets: created by name, their metadata set by name without
 * following (their xattrs cannot be user.* ones, and are left out). */
static int special_copy(int sdfd, int ddfd, const char *name, const struct stat *st)
{
        const struct timespec ts[2] = { st->st_atim, st->st_mtim };

        if (S_ISLNK(st->st_mode)) {
                char target[PATH_MAX];
                ssize_t n = readlinkat(sdfd, name, target, sizeof(target));

                if (n < 0)
                        return -errno;
                if ((size_t) n >= sizeof(target))
                        return -ENAMETOOLONG;
                target[n] = '\0';
                if (symlinkat(target, ddfd, name) < 0)
                        return -errno;
        } else {
                if (mknodat(ddfd, name, st->st_mode & ~07777, st->st_rdev) < 0) {
                        /* devices cannot be made in a user namespace: extraction skips
                         * them too */
                        if (errno == EPERM && (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)))
                                return 0;
                        return -errno;
                }
        }
        if (fchownat(ddfd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        /* fchmodat follows symlinks; the node just created is not one */
        if (!S_ISLNK(st->st_mode) && fchmodat(ddfd, name, st->st_mode & 07777, 0) < 0)
                return -errno;
        return utimensat(ddfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

static bool dir_is_opaque(int dfd)
{
        char v[2];
        ssize_t n = fgetxattr(dfd, OPAQUE_XATTR, v, sizeof(v));

        return n == 1 && v[0] == 'y';
}

static int dir_clear(int dfd)
{
        int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *de;
        int r;

        if (!d) {
                if (fd >= 0)
                        close(fd);
                return -errno;
        }
        while ((de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                r = den_rm_rf_at(dfd, de->d_name);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int tree_copy(struct copy_ctx *cx, int sdfd, int ddfd, unsigned depth);

/* The directory name of the layer onto the rootfs: merged with a directory that is there
 * (emptied first when the layer marks it opaque), replacing anything else. */
static int dir_copy(struct copy_ctx *cx, int sdfd, int ddfd, const char *name,
                    const struct stat *st, unsigned depth)
{
        _cleanup_close_ int src = -EBADF;
        _cleanup_close_ int dst = -EBADF;
        size_t saved = cx->path.len;
        struct stat dst_st;
        int r;

        if (fstatat(ddfd, name, &dst_st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(dst_st.st_mode)) {
                r = den_rm_rf_at(ddfd, name);
                if (r < 0)
                        return r;
        }
        if (mkdirat(ddfd, name, 0700) < 0 && errno != EEXIST)
                return -errno;
        src = openat(sdfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        dst = openat(ddfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (src < 0 || dst < 0)
                return -errno;
        if (dir_is_opaque(src) && (r = dir_clear(dst)) < 0)
                return r;
        den_buf_printf(&cx->path, "%s/", name);
        r = tree_copy(cx, src, dst, depth + 1);
        cx->path.len = saved;
        if (r < 0)
                return r;
        /* after the children: creating them would change the times again */
        return meta_apply(src, dst, st);
}

static int entry_copy(struct copy_ctx *cx, int sdfd, int ddfd, const char *name, unsigned depth)
{
        struct stat st;
        int r;

        if (fstatat(sdfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return dir_copy(cx, sdfd, ddfd, name, &st, depth);
        /* anything else replaces what lower layers had at that name; a 0:0 character
         * device is a whiteout and replaces it with nothing */
        r = den_rm_rf_at(ddfd, name);
        if (r < 0)
                return r;
        if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0))
                return 0;
        if (S_ISREG(st.st_mode))
                return file_copy(cx, sdfd, ddfd, name, &st);
        return special_copy(sdfd, ddfd, name, &st);
}

static int tree_copy(struct copy_ctx *cx, int sdfd, int ddfd, unsigned depth)
{
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        int r;

        if (depth > COPY_MAX_DEPTH)
                return -ELOOP;
        r = den_opendir_at(sdfd, &d);
        if (r < 0)
                return r;
        while ((errno = 0, de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                r = entry_copy(cx, sdfd, ddfd, de->d_name, depth);
                if (r < 0) {
                        if (!cx->path.len || cx->path.data[cx->path.len - 1] == '/')
                                den_buf_puts(&cx->path, de->d_name);
                        return r;
                }
        }
        return errno ? -errno : 0;
}

int store_rootfs_populate(struct store *s, char *const *layers, int rootfs_dfd, den_error **err)
{
        struct copy_ctx cx = { .rootfs_dfd = rootfs_dfd };
        int r = 0;

        for (size_t i = 0; layers && layers[i] && r == 0; i++) {
                _cleanup_close_ int ldfd = -EBADF;
                _cleanup_close_ int src = -EBADF;

                if (store_layer_open(s, layers[i], &ldfd, err) < 0)
                        r = -1;
                else if ((src = openat(ldfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
                        r = den_error_set(err, errno, "open layer %.19s", layers[i]);
                else if ((r = tree_copy(&cx, src, rootfs_dfd, 0)) < 0)
                        r = den_error_set(err, -r, "copy layer %.19s: \"/%.*s\"", layers[i],
                                          (int) cx.path.len, cx.path.data ? cx.path.data : "");
                /* hard links never cross layers */
                links_clear(&cx);
                cx.path.len = 0;
        }
        den_buf_free(&cx.path);
        return r;
}

/* ---------------------------------------------------------------- helpers */

/* Runs argv (searched in PATH) with stdin and stdout on /dev/null; returns its exit status
 * (the first bytes of its stderr in *ret_msg), or -errno when it could not run. A helper
 * that daemonizes (fuse-overlayfs) returns once its mount is in place; its daemon may still
 * hold the pipe, so stderr is read without waiting for its end. */
static int helper_run(char *const argv[], char **ret_msg)
{
        int pfd[2] = { -EBADF, -EBADF };
        char buf[1024];
        ssize_t n = 0;
        int status = 0;
        pid_t pid;

        *ret_msg = NULL;
        if (pipe2(pfd, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                int e = errno;

                close(pfd[0]);
                close(pfd[1]);
                return -e;
        }
        if (pid == 0) {
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);

                if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(pfd[1], 2) < 0)
                        _exit(126);
                execvp(argv[0], argv);
                _exit(errno == ENOENT ? 127 : 126);
        }
        close(pfd[1]);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) {
                        close(pfd[0]);
                        return -errno;
                }
        if (fcntl(pfd[0], F_SETFL, O_NONBLOCK) == 0)
                n = read(pfd[0], buf, sizeof(buf) - 1);
        close(pfd[0]);
        if (n > 0) {
                while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
                        n--;
                buf[n] = '\0';
                *ret_msg = xstrdup(buf);
        }
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static bool program_in_path(const char *name)
{
        const char *path = getenv("PATH");
        _cleanup_free_ char *copy = xstrdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
        char *save = NULL;

        for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
                _cleanup_free_ char *p = den_path_join(dir, name);

                if (access(p, X_OK) == 0)
                        return true;
        }
        return false;
}

static bool fuse_is_usable(void)
{
        _cleanup_close_ int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);

        return fd >= 0 && program_in_path("fuse-overlayfs");
}

/* Overlay options are split at ',' and lowerdir at ':'; a store path holding either (or the
 * escape character) is refused rather than escaped. */
static int path_check_option_safe(const char *p, den_error **err)
{
        if (strpbrk(p, ",:\\"))
                return den_error_set(err, EINVAL,
                                     "path \"%s\" contains ',', ':' or '\\', which overlay "
                                     "options cannot hold: use another --root",
                                     p);
        return 0;
}

/* ---------------------------------------------------------------- short links */

/* A page is all the kernel copies of mount(2)'s data; long lowerdir lists go through
 * <root>/l/<short>, symlinks to ../layers/<hex>/diff named by the shortest prefix of the
 * layer's hex that is free or already names it (12 characters nearly always). They are
 * created under the store lock, each by one symlinkat, and shared by all containers. */
static const size_t short_lens[] = { 12, 16, 24, 64 };

/* 0 with *ret, -ENOENT when the link is missing (and may_create is false), or -errno. */
static int short_link_get(int l_dfd, const char *hex, bool may_create, char **ret)
{
        _cleanup_free_ char *target = xasprintf("../layers/%s/diff", hex);
        char got[128];

        for (size_t i = 0; i < ARRAY_SIZE(short_lens); i++) {
                _cleanup_free_ char *name = xstrndup(hex, short_lens[i]);
                ssize_t n = l_dfd >= 0 ? readlinkat(l_dfd, name, got, sizeof(got) - 1) : -1;

                if (n >= 0) {
                        got[n] = '\0';
                        if (!streq(got, target))
                                continue; /* another layer with the same prefix */
                        *ret = steal_ptr(name);
                        return 0;
                }
                if (l_dfd >= 0 && errno != ENOENT)
                        return -errno;
                if (!may_create)
                        return -ENOENT;
                if (symlinkat(target, l_dfd, name) < 0)
                        return -errno;
                *ret = steal_ptr(name);
                return 0;
        }
        return -EEXIST;
}

static int short_links_pass(struct store *s, char *const *layers, bool may_create,
                            struct den_buf *b, den_error **err)
{
        _cleanup_close_ int l_dfd =
                openat(s->root_dfd, "l", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        size_t n = den_strv_len(layers);

        b->len = 0;
        for (size_t i = n; i-- > 0;) {
                _cleanup_free_ char *name = NULL;
                const char *hex = store_layer_hex(layers[i]);
                int r;

                if (!hex)
                        return den_error_set(err, EINVAL, "invalid layer \"%s\"", layers[i]);
                r = short_link_get(l_dfd, hex, may_create, &name);
                if (r == -ENOENT && !may_create)
                        return 1;
                if (r < 0)
                        return den_error_set(err, -r, "link \"%s/l\" to layer %.12s", s->root, hex);
                den_buf_printf(b, "%sl/%s", b->len ? ":" : "", name);
        }
        return 0;
}

/* "l/<a>:l/<b>..." (top layer first), relative to the store root. */
static int short_lowerdir(struct store *s, char *const *layers, char **ret, den_error **err)
{
        struct den_buf b = { 0 };
        _cleanup_close_ int lock = -EBADF;
        int r = short_links_pass(s, layers, false, &b, err);

        if (r == 1) {
                lock = store_lock(s, err);
                if (lock < 0) {
                        den_buf_free(&b);
                        return -1;
                }
                if (mkdirat(s->root_dfd, "l", 0700) < 0 && errno != EEXIST) {
                        den_buf_free(&b);
                        return den_error_set(err, errno, "create \"%s/l\"", s->root);
                }
                r = short_links_pass(s, layers, true, &b, err);
        }
        if (r < 0) {
                den_buf_free(&b);
                return -1;
        }
        den_buf_puts(&b, "");
        *ret = den_buf_steal(&b);
        return 0;
}

/* ---------------------------------------------------------------- overlay */

struct mount_plan {
        struct store *s;
        const struct store_container *c;
        char *const *layers;                   /* base first */
        int bdfd;                              /* O_PATH of containers/<id> */
        int target_fd;                         /* O_PATH of containers/<id>/rootfs */
        char *bundle;                          /* absolute path of containers/<id> */
        const struct store_idmap *uids, *gids; /* the container's own mapping, or none */
        size_t n_uids, n_gids;
};

static size_t option_max(void)
{
        long pg = sysconf(_SC_PAGESIZE);

        return (size_t) (pg > 0 ? pg : 4096) - 1;
}

/* "<root>/layers/<hex>/diff:..." (top layer first), or the bundle's empty/ for an image
 * without layers (overlay needs one lower directory). */
static int absolute_lowerdir(const struct mount_plan *p, char **ret, den_error **err)
{
        struct den_buf b = { 0 };
        size_t n = den_strv_len(p->layers);

        if (n == 0) {
                if (mkdirat(p->bdfd, "empty", 0755) < 0 && errno != EEXIST)
                        return den_error_set(err, errno, "create \"%s/empty\"", p->bundle);
                *ret = xasprintf("%s/empty", p->bundle);
                return 0;
        }
        for (size_t i = n; i-- > 0;) {
                _cleanup_free_ char *path = NULL;

                if (!store_layer_hex(p->layers[i])) {
                        den_buf_free(&b);
                        return den_error_set(err, EINVAL, "invalid layer \"%s\"", p->layers[i]);
                }
                path = store_layer_path(p->s, p->layers[i]);
                den_buf_printf(&b, "%s%s", b.len ? ":" : "", path);
        }
        den_buf_puts(&b, "");
        *ret = den_buf_steal(&b);
        return 0;
}

/* mount(2) of overlay onto target_fd; with cwd_fd >= 0, from a child whose working
 * directory is cwd_fd, so relative option paths resolve there and ours stays. */
static int overlay_mount_at(int cwd_fd, int target_fd, const char *opts)
{
        char target[64];
        int status = 0;
        pid_t pid;

        snprintf(target, sizeof(target), "/proc/self/fd/%d", target_fd);
        if (cwd_fd < 0)
                return mount("overlay", target, "overlay", 0, opts) < 0 ? -errno : 0;
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                if (fchdir(cwd_fd) < 0 || mount("overlay", target, "overlay", 0, opts) < 0)
                        _exit(errno > 0 && errno < 256 ? errno : EIO);
                _exit(0);
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (!WIFEXITED(status))
                return -EIO;
        return -WEXITSTATUS(status);
}

static int overlay_mount(const struct mount_plan *p, den_error **err)
{
        _cleanup_free_ char *lower = NULL;
        _cleanup_free_ char *opts = NULL;
        int r;

        if (absolute_lowerdir(p, &lower, err) < 0)
                return -1;
        opts = xasprintf("lowerdir=%s,upperdir=%s/diff,workdir=%s/work,userxattr", lower, p->bundle,
                         p->bundle);
        if (strlen(opts) <= option_max()) {
                r = overlay_mount_at(-EBADF, p->target_fd, opts);
                if (r < 0)
                        return den_error_set(err, -r, "mount overlay");
                return 0;
        }
        free(lower);
        free(opts);
        lower = opts = NULL;
        if (short_lowerdir(p->s, p->layers, &lower, err) < 0)
                return -1;
        opts = xasprintf("lowerdir=%s,upperdir=containers/%s/diff,workdir=containers/%s/work,"
                         "userxattr",
                         lower, p->c->id, p->c->id);
        if (strlen(opts) > option_max())
                return den_error_set(err, E2BIG, "mount overlay: too many layers (%zu)",
                                     den_strv_len(p->layers));
        den_debug("mount overlay with short links (%zu layers)", den_strv_len(p->layers));
        r = overlay_mount_at(p->s->root_dfd, p->target_fd, opts);
        if (r < 0)
                return den_error_set(err, -r, "mount overlay");
        return 0;
}

static int fuse_mount(const struct mount_plan *p, den_error **err)
{
        _cleanup_free_ char *lower = NULL;
        _cleanup_free_ char *opts = NULL;
        _cleanup_free_ char *target = NULL;
        _cleanup_free_ char *msg = NULL;
        int r;

        if (absolute_lowerdir(p, &lower, err) < 0)
                return -1;
        opts = xasprintf("lowerdir=%s,upperdir=%s/diff,workdir=%s/work", lower, p->bundle,
                         p->bundle);
        if (p->n_uids || p->n_gids) {
                /* "C:H:N:C2:H2:N2...", the container's own map: a file of den's C shows as
                 * den's H, which the container's namespace shows as C again; allow_other:
                 * the container's ids are not den's root, who mounts it */
                struct den_buf b = { 0 };

                den_buf_printf(&b, "%s,allow_other,uidmapping=", opts);
                for (size_t i = 0; i < p->n_uids; i++)
                        den_buf_printf(&b, "%s%u:%u:%u", i ? ":" : "", p->uids[i].container_id,
                                       p->uids[i].host_id, p->uids[i].size);
                den_buf_printf(&b, ",gidmapping=");
                for (size_t i = 0; i < p->n_gids; i++)
                        den_buf_printf(&b, "%s%u:%u:%u", i ? ":" : "", p->gids[i].container_id,
                                       p->gids[i].host_id, p->gids[i].size);
                free(opts);
                opts = b.data;
        }
        target = xasprintf("%s/rootfs", p->bundle);
        /* fuse-overlayfs reads the same whiteouts (0:0 devices) and user.overlay.opaque */
        r = helper_run((char *const[]){ "fuse-overlayfs", "-o", opts, target, NULL }, &msg);
        if (r < 0)
                return den_error_set(err, -r, "run fuse-overlayfs");
        if (r == 127)
                return den_error_set(err, ENOENT, "run fuse-overlayfs");
        if (r != 0)
                return den_error_set(err, 0, "fuse-overlayfs exited with status %d%s%s", r,
                                     msg ? ": " : "", msg ? msg : "");
        return 0;
}

/* ---------------------------------------------------------------- mount, unmount, probe */

static bool is_mounted(int bdfd)
{
        struct stat b, r;

        return fstat(bdfd, &b) == 0 && fstatat(bdfd, "rootfs", &r, AT_SYMLINK_NOFOLLOW) == 0 &&
               b.st_dev != r.st_dev;
}

static bool overlay_error_is_fallback(const den_error *e)
{
        return e && (e->errnum == EPERM || e->errnum == EINVAL || e->errnum == ENODEV ||
                     e->errnum == EOPNOTSUPP || e->errnum == EACCES);
}

static int mount_driver(struct mount_plan *p, den_error **err)
{
        _cleanup_error_ den_error *e = NULL;

        if (streq(p->c->driver, "fuse-overlayfs"))
                return fuse_mount(p, err);
        if (!streq(p->c->driver, "overlay"))
                return den_error_set(err, EINVAL, "unknown storage driver \"%s\"", p->c->driver);
        if (p->n_uids || p->n_gids) {
                if (!fuse_is_usable())
                        return den_error_set(err, 0,
                                             "a user namespace of the container's own needs "
                                             "fuse-overlayfs and /dev/fuse with the overlay "
                                             "driver");
                return fuse_mount(p, err);
        }
        if (overlay_mount(p, &e) == 0)
                return 0;
        if (!overlay_error_is_fallback(e) || !fuse_is_usable()) {
                *err = steal_ptr(e);
                return -1;
        }
        /* same layout (diff/, work/): fuse-overlayfs can mount what overlay would have */
        den_warn_error(&e, "kernel overlay unavailable here, using fuse-overlayfs, continuing");
        return fuse_mount(p, err);
}

int store_container_mount(struct store *s, const struct store_container *c, char **ret_path,
                          den_error **err)
{
        return store_container_mount_mapped(s, c, NULL, 0, NULL, 0, ret_path, err);
}

int store_container_mount_mapped(struct store *s, const struct store_container *c,
                                 const struct store_idmap *uids, size_t n_uids,
                                 const struct store_idmap *gids, size_t n_gids, char **ret_path,
                                 den_error **err)
{
        _cleanup_(store_image_freep) struct store_image *img = NULL;
        _cleanup_free_ char *rel = NULL;
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int bdfd = -EBADF;
        _cleanup_close_ int target = -EBADF;
        struct mount_plan p = {
                .s = s, .c = c, .uids = uids, .gids = gids, .n_uids = n_uids, .n_gids = n_gids
        };

        if (!c->id || !den_hex_is_valid(c->id, 64) || s->root_dfd < 0)
                return den_error_set(err, EINVAL, "mount rootfs: invalid container");
        path = xasprintf("%s/containers/%s/rootfs", s->root, c->id);
        if (streq(c->driver, "vfs") && !n_uids && !n_gids) {
                *ret_path = steal_ptr(path);
                return 0;
        }
        rel = xasprintf("containers/%s", c->id);
        bdfd = openat(s->root_dfd, rel, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        target = bdfd >= 0 ? openat(bdfd, "rootfs",
                                    (streq(c->driver, "vfs") ? O_RDONLY : O_PATH) | O_DIRECTORY |
                                            O_NOFOLLOW | O_CLOEXEC)
                           : -EBADF;
        if (target < 0)
                return den_error_set(err, errno, "mount rootfs: open \"%s\"", path);
        if (streq(c->driver, "vfs")) {
                if (store_rootfs_shift(bdfd, target, uids, n_uids, gids, n_gids, err) < 0)
                        return den_error_wrap(err, "container %.12s", c->id);
                *ret_path = steal_ptr(path);
                return 0;
        }
        if (!is_mounted(bdfd)) {
                p.bdfd = bdfd;
                p.target_fd = target;
                p.bundle = xasprintf("%s/%s", s->root, rel);
                if (path_check_option_safe(p.bundle, err) < 0 ||
                    store_image_find(s, c->image_id, &img, err) < 0) {
                        free(p.bundle);
                        return den_error_wrap(err, "mount rootfs of container %.12s", c->id);
                }
                p.layers = img->layers;
                if (mount_driver(&p, err) < 0) {
                        free(p.bundle);
                        return den_error_wrap(err, "mount rootfs of container %.12s", c->id);
                }
                free(p.bundle);
        }
        *ret_path = steal_ptr(path);
        return 0;
}

int store_container_unmount(struct store *s, const struct store_container *c, den_error **err)
{
        _cleanup_free_ char *path = NULL;
        _cleanup_free_ char *msg = NULL;
        _cleanup_free_ char *rel = NULL;
        _cleanup_close_ int bdfd = -EBADF;
        int r;

        if (!c->id || !den_hex_is_valid(c->id, 64))
                return den_error_set(err, EINVAL, "unmount rootfs: invalid container");
        if (streq(c->driver, "vfs"))
                return 0;
        /* not mounted in this mount namespace: nothing to do (umount2 would say EPERM in a
         * namespace den does not own, which is not a failure) */
        rel = xasprintf("containers/%s", c->id);
        bdfd = openat(s->root_dfd, rel, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (bdfd < 0 || !is_mounted(bdfd))
                return 0;
        path = xasprintf("%s/containers/%s/rootfs", s->root, c->id);
        if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) == 0 || errno == EINVAL || errno == ENOENT)
                return 0;
        if (errno != EPERM || !streq(c->driver, "fuse-overlayfs"))
                return den_error_set(err, errno, "unmount \"%s\"", path);
        /* a fuse mount made outside this user namespace's mount namespace */
        r = helper_run((char *const[]){ "fusermount3", "-u", "-z", path, NULL }, &msg);
        if (r != 0)
                return den_error_set(err, r < 0 ? -r : 0, "fusermount3 -u \"%s\"%s%s", path,
                                     msg ? ": " : "", msg ? msg : "");
        return 0;
}

/* A tiny overlay with userxattr in .probe-<rand> under the store root: the filesystem the
 * layers live on is the one that has to support it. */
static bool overlay_probe(struct store *s)
{
        char rnd[17];
        _cleanup_free_ char *name = NULL;
        _cleanup_free_ char *dir = NULL;
        _cleanup_free_ char *opts = NULL;
        _cleanup_close_ int dfd = -EBADF;
        _cleanup_close_ int target = -EBADF;
        bool is_ok = false;

        den_random_hex(rnd, 8);
        name = xasprintf(".probe-%s", rnd);
        dir = xasprintf("%s/%s", s->root, name);
        if (strpbrk(dir, ",:\\") || mkdirat(s->root_dfd, name, 0700) < 0)
                return false;
        dfd = openat(s->root_dfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd >= 0 && mkdirat(dfd, "lower", 0700) == 0 && mkdirat(dfd, "upper", 0700) == 0 &&
            mkdirat(dfd, "work", 0700) == 0 && mkdirat(dfd, "merged", 0700) == 0) {
                target = openat(dfd, "merged", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                opts = xasprintf("lowerdir=%s/lower,upperdir=%s/upper,workdir=%s/work,userxattr",
                                 dir, dir, dir);
                is_ok = target >= 0 && overlay_mount_at(-EBADF, target, opts) == 0;
                if (is_ok) {
                        _cleanup_free_ char *merged = xasprintf("%s/merged", dir);

                        (void) umount2(merged, MNT_DETACH | UMOUNT_NOFOLLOW);
                }
        }
        (void) den_rm_rf_at(s->root_dfd, name);
        return is_ok;
}

const char *store_probe_driver(struct store *s, den_error **err)
{
        if (store_check_writable(s, err) < 0)
                return NULL;
        if (overlay_probe(s))
                return "overlay";
        den_debug("store probe: kernel overlay with userxattr unavailable");
        if (fuse_is_usable())
                return "fuse-overlayfs";
        den_debug("store probe: fuse-overlayfs unavailable (no /dev/fuse or no binary)");
        return "vfs";
}
