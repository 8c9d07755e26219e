/* File helpers: whole-file reads, atomic writes, trees, locks, and the one resolver for
 * untrusted paths. */
#include "util.h"
#include <linux/openat2.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>

int den_write_all(int fd, const void *data, size_t len)
{
        const char *p = data;

        while (len > 0) {
                ssize_t n = write(fd, p, len);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                len -= (size_t) n;
        }
        return 0;
}

int den_read_fd(int fd, size_t max, char **ret, size_t *ret_len)
{
        struct den_buf b = { 0 };
        char chunk[65536];

        for (;;) {
                ssize_t n = read(fd, chunk, sizeof(chunk));

                if (n < 0) {
                        int r = -errno;

                        if (errno == EINTR)
                                continue;
                        den_buf_free(&b);
                        return r;
                }
                if (n == 0)
                        break;
                if (b.len + (size_t) n > max) {
                        den_buf_free(&b);
                        return -EFBIG;
                }
                den_buf_append(&b, chunk, (size_t) n);
        }
        if (ret_len)
                *ret_len = b.len;
        *ret = den_buf_steal(&b);
        return 0;
}

int den_read_file_at(int dfd, const char *path, size_t max, char **ret, size_t *ret_len)
{
        _cleanup_close_ int fd = openat(dfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

        if (fd < 0)
                return -errno;
        return den_read_fd(fd, max, ret, ret_len);
}

void den_random_hex(char *out, size_t nbytes)
{
        static const char hex[] = "0123456789abcdef";
        unsigned char raw[64];
        size_t done = 0;

        if (nbytes > sizeof(raw))
                nbytes = sizeof(raw);
        while (done < nbytes) {
                ssize_t n = getrandom(raw + done, nbytes - done, 0);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        abort(); /* getrandom cannot fail on a supported kernel */
                }
                done += (size_t) n;
        }
        for (size_t i = 0; i < nbytes; i++) {
                out[2 * i] = hex[raw[i] >> 4];
                out[2 * i + 1] = hex[raw[i] & 15];
        }
        out[2 * nbytes] = '\0';
}

static int write_replace(int dfd, const char *name, const void *data, size_t len, mode_t mode,
                         bool is_durable)
{
        char tmp[PATH_MAX];
        char rnd[17];
        const char *slash = strrchr(name, '/');
        _cleanup_close_ int fd = -EBADF;
        _cleanup_close_ int dirfd_ = -EBADF;
        int r;

        den_random_hex(rnd, 8);
        if (slash)
                snprintf(tmp, sizeof(tmp), "%.*s/.tmp-%s", (int) (slash - name), name, rnd);
        else
                snprintf(tmp, sizeof(tmp), ".tmp-%s", rnd);
        fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd < 0)
                return -errno;
        r = den_write_all(fd, data, len);
        if (r == 0 && fchmod(fd, mode) < 0)
                r = -errno;
        if (r == 0 && is_durable && fsync(fd) < 0)
                r = -errno;
        if (r == 0 && renameat(dfd, tmp, dfd, name) < 0)
                r = -errno;
        if (r < 0) {
                (void) unlinkat(dfd, tmp, 0);
                return r;
        }
        if (!is_durable)
                return 0;
        if (slash) {
                char dir[PATH_MAX];

                snprintf(dir, sizeof(dir), "%.*s", (int) (slash - name), name);
                dirfd_ = openat(dfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        } else {
                dirfd_ = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        }
        if (dirfd_ >= 0)
                (void) fsync(dirfd_);
        return 0;
}

int den_write_file_atomic_at(int dfd, const char *name, const void *data, size_t len, mode_t mode)
{
        return write_replace(dfd, name, data, len, mode, true);
}

int den_write_file_replace_at(int dfd, const char *name, const void *data, size_t len, mode_t mode)
{
        return write_replace(dfd, name, data, len, mode, false);
}

int den_mkdir_p_at(int dfd, const char *path, mode_t mode)
{
        _cleanup_free_ char *p = xstrdup(path);

        for (char *s = p + (*p == '/');; s++) {
                if (*s == '/' || *s == '\0') {
                        char c = *s;

                        *s = '\0';
                        if (*p && mkdirat(dfd, p, mode) < 0 && errno != EEXIST)
                                return -errno;
                        *s = c;
                        if (c == '\0')
                                break;
                }
        }
        return 0;
}

int den_opendir_at(int dfd, DIR **ret)
{
        int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int e;

        if (fd < 0)
                return -errno;
        *ret = fdopendir(fd);
        if (!*ret) {
                e = errno;
                close(fd);
                return -e;
        }
        return 0;
}

static int rm_rf_children(int dfd)
{
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        int fd2 = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
        int r = 0;

        if (fd2 < 0)
                return -errno;
        d = fdopendir(fd2);
        if (!d) {
                r = -errno;
                close(fd2);
                return r;
        }
        while ((de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (unlinkat(dfd, de->d_name, 0) == 0)
                        continue;
                if (errno == EISDIR || errno == EPERM || errno == ENOTEMPTY) {
                        int q = den_rm_rf_at(dfd, de->d_name);

                        if (q < 0 && r == 0)
                                r = q;
                } else if (errno != ENOENT && r == 0) {
                        r = -errno;
                }
        }
        return r;
}

int den_rm_rf_at(int dfd, const char *name)
{
        _cleanup_close_ int sub = -EBADF;
        int r;

        if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
                return 0;
        sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0) {
                if (errno == EACCES || errno == EPERM) {
                        /* a directory without write/exec permission: make it ours first */
                        (void) !fchmodat(dfd, name, 0700, 0);
                        sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                }
                if (sub < 0)
                        return errno == ENOENT ? 0 : -errno;
        }
        (void) fchmod(sub, 0700);
        r = rm_rf_children(sub);
        if (unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return r < 0 ? r : -errno;
        return r;
}

/* Trust boundary: path comes from an image, a layer or a user. Every component is resolved
 * inside root_dfd: ".." at the root stays at the root and absolute symlinks restart at the
 * root, as if root_dfd were "/" (chroot semantics), so nothing outside it can be reached. */

int den_open_in_root(int root_dfd, const char *path, int flags, mode_t mode)
{
        struct open_how how = {
                .flags = (uint64_t) (flags | O_CLOEXEC),
                .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };

        for (int tries = 0; tries < 8; tries++) {
                long fd = syscall(SYS_openat2, root_dfd, path, &how, sizeof(how));

                if (fd >= 0)
                        return (int) fd;
                if (errno == EAGAIN)
                        continue;
                if (errno == ENOSYS || errno == EPERM)
                        break;
                return -errno;
        }
        /* COMPAT(kernel < 5.6): openat2 missing or filtered; walk by hand. */
        return den_open_in_root_walk(root_dfd, path, flags, mode);
}

#define WALK_MAX_DEPTH 256
#define WALK_MAX_LINKS 40

struct walk {
        int fds[WALK_MAX_DEPTH];
        int n;
};

static void walk_reset(struct walk *w)
{
        while (w->n > 1)
                closep(&w->fds[--w->n]);
}

/* Takes the next component off *rem (in place); NULL at the end. */
static char *walk_next(char **rem)
{
        char *s = *rem;
        char *e;

        while (*s == '/')
                s++;
        if (!*s)
                return NULL;
        e = strchr(s, '/');
        if (e) {
                *e = '\0';
                *rem = e + 1;
        } else {
                *rem = s + strlen(s);
        }
        return s;
}

static bool walk_at_end(const char *rem)
{
        while (*rem == '/')
                rem++;
        return *rem == '\0';
}

static int walk_step(struct walk *w, char **buf, char **rem, const char *comp, int *links,
                     int flags, mode_t mode, int *ret_fd)
{
        int cur = w->fds[w->n - 1];
        bool last = walk_at_end(*rem);
        struct stat st;
        int nfd;

        *ret_fd = -EBADF;
        if (fstatat(cur, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode) &&
            !(last && (flags & O_NOFOLLOW))) {
                char target[PATH_MAX];
                ssize_t n = readlinkat(cur, comp, target, sizeof(target) - 1);
                char *nb;

                if (n < 0)
                        return -errno;
                if (++*links > WALK_MAX_LINKS)
                        return -ELOOP;
                target[n] = '\0';
                if (target[0] == '/')
                        walk_reset(w); /* absolute targets restart at the root */
                nb = xasprintf("%s/%s", target, *rem);
                free(*buf);
                *buf = *rem = nb;
                return 0;
        }
        if (last) {
                nfd = openat(cur, comp, flags | O_NOFOLLOW | O_CLOEXEC, mode);
                if (nfd < 0)
                        return -errno;
                *ret_fd = nfd;
                return 0;
        }
        if (w->n >= WALK_MAX_DEPTH)
                return -ENAMETOOLONG;
        nfd = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (nfd < 0)
                return -errno;
        w->fds[w->n++] = nfd;
        return 0;
}

int den_open_in_root_walk(int root_dfd, const char *path, int flags, mode_t mode)
{
        struct walk w = { .n = 1 };
        char *buf = xstrdup(path);
        char *rem = buf;
        int links = 0;
        int r = 0;

        w.fds[0] = fcntl(root_dfd, F_DUPFD_CLOEXEC, 3);
        if (w.fds[0] < 0) {
                free(buf);
                return -errno;
        }
        for (;;) {
                char *comp = walk_next(&rem);
                int fd = -EBADF;

                if (!comp) {
                        /* the path named a directory on the stack (or the root) itself */
                        fd = openat(w.fds[w.n - 1], ".",
                                    (flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW)) | O_CLOEXEC);
                        r = fd < 0 ? -errno : fd;
                        break;
                }
                if (streq(comp, "."))
                        continue;
                if (streq(comp, "..")) {
                        if (w.n > 1) /* ".." never climbs above the root */
                                closep(&w.fds[--w.n]);
                        continue;
                }
                r = walk_step(&w, &buf, &rem, comp, &links, flags, mode, &fd);
                if (r < 0)
                        break;
                if (fd >= 0) {
                        r = fd;
                        break;
                }
        }
        while (w.n > 0)
                closep(&w.fds[--w.n]);
        free(buf);
        return r;
}

int den_lock_at(int dfd, const char *name, bool exclusive)
{
        int fd = openat(dfd, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

        if (fd < 0)
                return -errno;
        while (flock(fd, exclusive ? LOCK_EX : LOCK_SH) < 0) {
                int r = -errno;

                if (errno == EINTR)
                        continue;
                close(fd);
                return r;
        }
        return fd;
}

char *den_path_join(const char *a, const char *b)
{
        size_t la = strlen(a);

        if (la > 0 && a[la - 1] == '/')
                return xasprintf("%s%s", a, b[0] == '/' ? b + 1 : b);
        return xasprintf("%s%s%s", a, b[0] == '/' ? "" : "/", b);
}

char *den_home_dir(void)
{
        const char *h = getenv("HOME");
        struct passwd *pw;

        if (h && *h)
                return xstrdup(h);
        pw = getpwuid(getuid());
        if (pw && pw->pw_dir)
                return xstrdup(pw->pw_dir);
        return xstrdup("/");
}
