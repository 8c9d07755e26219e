/* den cp [options] SRC DEST: copies files between a container and the host, or streams a tar
 * archive of a container path to stdout ("-" as DEST) or from stdin into a container
 * directory ("-" as SRC), with podman's (docker's) rules: a copy into an existing directory
 * lands inside it, "SRC/." copies a directory's contents, a missing parent is an error.
 *
 * Every copy is a tar stream: a writer walks the source tree and an extractor creates the
 * entries under the destination (a forked writer feeds the extractor through a pipe).
 *
 * TRUST BOUNDARY. Paths and files inside a container are untrusted: the container's
 * processes may have made any of them a symlink, at any time.
 *  - Container paths are resolved only with den_open_in_root against the container's root
 *    fd (openat2 RESOLVE_IN_ROOT), so `..` and symlinks, absolute or relative, stay inside
 *    it. A symlink that is the last component is followed inside the root as podman does.
 *  - The writer walks directories through fds, opening every child with O_NOFOLLOW, so a
 *    symlink inside a copied tree is stored as a symlink and never followed. Only regular
 *    files are read (opened with O_NONBLOCK, so a FIFO cannot block den).
 *  - The extractor trusts no entry name (a tar from stdin, or one a container's files
 *    produced): absolute names lose their leading "/", ".." is refused, and every parent is
 *    resolved inside the extraction root: the container's root, or for a copy to the host
 *    the destination directory itself, so a symlink the copy just created ("a" -> "/etc")
 *    leads back inside the destination and "a/passwd" can never write to the host's /etc.
 *    Leaves are created with O_EXCL|O_NOFOLLOW after removing what was there.
 * A running container is reached through /proc/PID/root of its init, from inside its user
 * namespace (the command joins it), so files in its tmpfs mounts and overlay upper layer are
 * seen; a stopped one has its root mounted in this command's private mount namespace. */
#include <archive.h>
#include <archive_entry.h>
#include "image/lazy.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include "ctr-run.h"

#define CP_MAX_DEPTH 512
#define CP_MAX_LINKS 40

/* One side of the copy: a container (root >= 0) or the host. */
struct cp_loc {
        int root;         /* the container's root, or -1 for the host */
        const char *name; /* the container as the user named it (messages) */
};

static void archive_read_freep(struct archive **a)
{
        if (*a)
                archive_read_free(*a);
}

static void archive_write_freep(struct archive **a)
{
        if (*a)
                archive_write_free(*a);
}

static void archive_entry_freep(struct archive_entry **e)
{
        if (*e)
                archive_entry_free(*e);
}

static int loc_open(const struct cp_loc *l, const char *path, int flags)
{
        int fd;

        if (l->root >= 0)
                return den_open_in_root(l->root, *path ? path : ".", flags, 0);
        fd = openat(AT_FDCWD, *path ? path : ".", flags | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

static int not_found(den_error **err, const struct cp_loc *l, const char *path)
{
        if (l->root >= 0)
                return den_error_set_plain(err, ENOENT,
                                           "\"%s\" could not be found on container %s: no such "
                                           "file or directory",
                                           path, l->name);
        return den_error_set_plain(err, ENOENT,
                                   "\"%s\" could not be found on the host: no such file or "
                                   "directory",
                                   path);
}

static bool has_suffix(const char *s, const char *suffix)
{
        size_t n = strlen(s), m = strlen(suffix);

        return n >= m && streq(s + n - m, suffix);
}

/* "a/b/" -> "a/b"; "/" stays "/". */
static char *strip_slashes(const char *p)
{
        size_t n = strlen(p);

        while (n > 1 && p[n - 1] == '/')
                n--;
        return xstrndup(p, n);
}

/* Splits a path into its directory ("" for a bare name, "/" for a name under the root) and
 * its last component. */
static void path_split(const char *path, char **ret_dir, char **ret_leaf)
{
        _cleanup_free_ char *p = strip_slashes(path);
        char *slash = strrchr(p, '/');

        if (!slash) {
                *ret_dir = xstrdup("");
                *ret_leaf = xstrdup(p);
        } else {
                *ret_leaf = xstrdup(slash + 1);
                *ret_dir = slash == p ? xstrdup("/") : xstrndup(p, (size_t) (slash - p));
        }
}

/* ---------------------------------------------------------------- the tar writer */

struct hardlink {
        dev_t dev;
        ino_t ino;
        char *name;
};

struct tar_w {
        struct archive *a;
        struct archive_entry *e;
        struct hardlink *links;
        size_t n_links;
};

static int write_header(struct tar_w *w, const char *name, const struct stat *st,
                        const char *symlink, den_error **err)
{
        archive_entry_clear(w->e);
        archive_entry_set_pathname(w->e, name);
        archive_entry_set_mode(w->e, st->st_mode);
        archive_entry_set_uid(w->e, st->st_uid);
        archive_entry_set_gid(w->e, st->st_gid);
        archive_entry_set_mtime(w->e, st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
        archive_entry_set_size(w->e, S_ISREG(st->st_mode) ? st->st_size : 0);
        if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
                archive_entry_set_rdev(w->e, st->st_rdev);
        if (symlink)
                archive_entry_set_symlink(w->e, symlink);
        if (S_ISREG(st->st_mode) && st->st_nlink > 1) {
                for (size_t i = 0; i < w->n_links; i++)
                        if (w->links[i].dev == st->st_dev && w->links[i].ino == st->st_ino) {
                                archive_entry_set_size(w->e, 0);
                                archive_entry_set_hardlink(w->e, w->links[i].name);
                                if (archive_write_header(w->a, w->e) < ARCHIVE_WARN)
                                        return den_error_set(err, 0, "write archive: %s",
                                                             archive_error_string(w->a));
                                return 1; /* no data */
                        }
                w->links = xrealloc(w->links, (w->n_links + 1) * sizeof(*w->links));
                w->links[w->n_links++] = (struct hardlink){ st->st_dev, st->st_ino, xstrdup(name) };
        }
        if (archive_write_header(w->a, w->e) < ARCHIVE_WARN)
                return den_error_set(err, 0, "write archive: %s", archive_error_string(w->a));
        return 0;
}

/* Writes size bytes of fd; a file that shrank meanwhile is padded with zeros, as the header
 * promised that many. */
static int write_data(struct tar_w *w, int fd, off_t size, const char *name, den_error **err)
{
        char buf[64 << 10];
        off_t done = 0;

        while (done < size) {
                size_t want = (size_t) (size - done < (off_t) sizeof(buf) ? size - done
                                                                          : (off_t) sizeof(buf));
                ssize_t n = read(fd, buf, want);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return den_error_set(err, errno, "read \"%s\"", name);
                if (n == 0) {
                        memset(buf, 0, want);
                        n = (ssize_t) want;
                }
                if (archive_write_data(w->a, buf, (size_t) n) != n)
                        return den_error_set(err, 0, "write archive: %s",
                                             archive_error_string(w->a));
                done += n;
        }
        return 0;
}

static int add_children(struct tar_w *w, int dfd, const char *prefix, int depth, den_error **err);

/* One entry, dfd/name, never following a symlink. */
static int add_entry(struct tar_w *w, int dfd, const char *name, const char *arcname, int depth,
                     den_error **err)
{
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        char target[PATH_MAX];
        ssize_t n;
        int r;

        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : den_error_set(err, errno, "stat \"%s\"", arcname);
        if (S_ISLNK(st.st_mode)) {
                n = readlinkat(dfd, name, target, sizeof(target) - 1);
                if (n < 0)
                        return den_error_set(err, errno, "read link \"%s\"", arcname);
                target[n] = '\0';
                return write_header(w, arcname, &st, target, err) < 0 ? -1 : 0;
        }
        if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
                fd = openat(dfd, name,
                            O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC |
                                    (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
                /* the type was checked by name: recheck on the fd that is read */
                if (fd < 0 || fstat(fd, &st) < 0)
                        return den_error_set(err, errno, "open \"%s\"", arcname);
        }
        r = write_header(w, arcname, &st, NULL, err);
        if (r != 0)
                return r < 0 ? -1 : 0;
        if (S_ISREG(st.st_mode))
                return write_data(w, fd, st.st_size, arcname, err);
        if (S_ISDIR(st.st_mode))
                return add_children(w, fd, arcname, depth + 1, err);
        return 0;
}

static int add_children(struct tar_w *w, int dfd, const char *prefix, int depth, den_error **err)
{
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        int fd;

        if (depth > CP_MAX_DEPTH)
                return den_error_set(err, ELOOP, "copy \"%s\": too deep", prefix);
        fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || !(d = fdopendir(fd))) {
                if (fd >= 0)
                        close(fd);
                return den_error_set(err, errno, "open directory \"%s\"", prefix);
        }
        while ((errno = 0, de = readdir(d))) {
                _cleanup_free_ char *arcname = NULL;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                arcname = xasprintf("%s/%s", prefix, de->d_name);
                if (add_entry(w, dirfd(d), de->d_name, arcname, depth, err) < 0)
                        return -1;
        }
        if (errno)
                return den_error_set(err, errno, "read directory \"%s\"", prefix);
        return 0;
}

/* Writes the source (fd, already resolved) as a tar stream named arcname to out_fd. */
static int tar_write(int out_fd, int src_fd, const char *arcname, den_error **err)
{
        _cleanup_(archive_write_freep) struct archive *a = archive_write_new();
        _cleanup_(archive_entry_freep) struct archive_entry *e = archive_entry_new();
        struct tar_w w = { .a = a, .e = e };
        struct stat st;
        int r = -1;

        if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
            archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
            archive_write_open_fd(a, out_fd) != ARCHIVE_OK)
                return den_error_set(err, 0, "write archive: %s", archive_error_string(a));
        if (fstat(src_fd, &st) < 0) {
                den_error_set(err, errno, "stat \"%s\"", arcname);
                goto out;
        }
        r = write_header(&w, arcname, &st, NULL, err);
        if (r == 0 && S_ISREG(st.st_mode))
                r = write_data(&w, src_fd, st.st_size, arcname, err);
        else if (r == 0 && S_ISDIR(st.st_mode))
                r = add_children(&w, src_fd, arcname, 0, err);
        if (r == 0 && archive_write_close(a) != ARCHIVE_OK)
                r = den_error_set(err, 0, "write archive: %s", archive_error_string(a));
out:
        for (size_t i = 0; i < w.n_links; i++)
                free(w.links[i].name);
        free(w.links);
        return r < 0 ? -1 : 0;
}

/* ---------------------------------------------------------------- the extractor */

struct extract {
        int root;         /* where entries are resolved: a container's root, or the host
                           * destination directory itself */
        const char *base; /* the destination directory inside root ("" for root itself) */
        const char *rename_from, *rename_to; /* the top component's new name */
        bool is_chown;                       /* give entries owner (else the archive's ids) */
        bool is_keep_ids;                    /* chown to the archive's ids */
        uid_t uid;
        gid_t gid;
        bool is_overwrite;
};

/* The entry name made safe and relative, renamed: NULL to skip it (the root itself), an
 * error for "..". */
static int entry_name(const struct extract *x, const char *raw, char **ret, den_error **err)
{
        _cleanup_free_ char *copy = xstrdup(raw);
        _cleanup_(den_buf_free) struct den_buf b = { 0 };
        char *save = NULL;
        bool is_first = true;

        if (strlen(raw) >= PATH_MAX)
                return den_error_set(err, ENAMETOOLONG, "archive entry name too long");
        for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                if (streq(c, "."))
                        continue;
                if (streq(c, ".."))
                        return den_error_set(err, EINVAL,
                                             "archive entry \"%s\" leaves its directory", raw);
                if (b.len)
                        den_buf_puts(&b, "/");
                if (is_first && x->rename_from && streq(c, x->rename_from))
                        c = (char *) x->rename_to;
                den_buf_puts(&b, c);
                is_first = false;
        }
        *ret = b.len ? den_buf_steal(&b) : NULL;
        return 0;
}

/* Owner, mode and time of a created entry, on an fd of the entry itself (never by name: a
 * container process could swap the name for a symlink meanwhile). */
/* Owner, mode and times of what was just created: leaf in dfd, or dfd itself with leaf ""
 * (an open file or directory); a symlink keeps its mode and is never followed. */
static int meta_apply(const struct extract *x, int dfd, const char *leaf, struct archive_entry *e,
                      const char *name, den_error **err)
{
        const struct timespec ts[2] = {
                { archive_entry_mtime(e), archive_entry_mtime_nsec(e) },
                { archive_entry_mtime(e), archive_entry_mtime_nsec(e) },
        };
        int flags = *leaf ? AT_SYMLINK_NOFOLLOW : AT_EMPTY_PATH;

        if (x->is_chown || x->is_keep_ids) {
                uid_t uid = x->is_chown ? x->uid : (uid_t) archive_entry_uid(e);
                gid_t gid = x->is_chown ? x->gid : (gid_t) archive_entry_gid(e);

                if (fchownat(dfd, leaf, uid, gid, flags) < 0)
                        return den_error_set(err, errno, "chown \"%s\"", name);
        }
        /* after chown, which clears set-id bits */
        if (!*leaf && fchmod(dfd, archive_entry_perm(e)) < 0)
                return den_error_set(err, errno, "chmod \"%s\"", name);
        if (*leaf)
                (void) utimensat(dfd, leaf, ts, AT_SYMLINK_NOFOLLOW);
        else
                (void) futimens(dfd, ts);
        return 0;
}

/* Opens the directory rel (below base, inside root), creating missing components. */
static int open_dir(const struct extract *x, const char *rel, int *ret, den_error **err)
{
        _cleanup_free_ char *copy = xstrdup(rel);
        _cleanup_free_ char *path = xstrdup(*x->base ? x->base : ".");
        _cleanup_close_ int fd = den_open_in_root(x->root, path, O_PATH | O_DIRECTORY, 0);
        char *save = NULL;

        if (fd < 0)
                return den_error_set(err, -fd, "open \"%s\"", path);
        for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                char *next = xasprintf("%s/%s", path, c);
                int nfd = den_open_in_root(x->root, next, O_PATH | O_DIRECTORY, 0);

                if (nfd == -ENOENT) {
                        if (mkdirat(fd, c, 0755) < 0 && errno != EEXIST) {
                                den_error_set(err, errno, "create directory \"%s\"", next);
                                free(next);
                                return -1;
                        }
                        if (x->is_chown &&
                            fchownat(fd, c, x->uid, x->gid, AT_SYMLINK_NOFOLLOW) < 0) {
                                den_error_set(err, errno, "chown \"%s\"", next);
                                free(next);
                                return -1;
                        }
                        nfd = den_open_in_root(x->root, next, O_PATH | O_DIRECTORY, 0);
                }
                if (nfd < 0) {
                        den_error_set(err, -nfd, "open \"%s\"", next);
                        free(next);
                        return -1;
                }
                free(path);
                path = next;
                closep(&fd);
                fd = nfd;
        }
        *ret = steal_fd(fd);
        return 0;
}

/* Makes room for a new leaf of the entry's type: keeps a directory for a directory, removes
 * anything else (a directory only with --overwrite). 1 when a directory is kept. */
static int leaf_clear(const struct extract *x, int dfd, const char *leaf, const char *name,
                      bool is_dir, den_error **err)
{
        struct stat st;

        if (fstatat(dfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : den_error_set(err, errno, "stat \"%s\"", name);
        if (S_ISDIR(st.st_mode) && is_dir)
                return 1;
        if (S_ISDIR(st.st_mode) != is_dir && !x->is_overwrite)
                return den_error_set(err, EEXIST,
                                     is_dir ? "cannot overwrite non-directory \"%s\" with "
                                              "directory"
                                            : "cannot overwrite directory \"%s\" with "
                                              "non-directory",
                                     name);
        if (S_ISDIR(st.st_mode)) {
                int r = den_rm_rf_at(dfd, leaf);

                return r < 0 ? den_error_set(err, -r, "remove \"%s\"", name) : 0;
        }
        if (unlinkat(dfd, leaf, 0) < 0)
                return den_error_set(err, errno, "remove \"%s\"", name);
        return 0;
}

static int extract_file(const struct extract *x, struct archive *a, struct archive_entry *e,
                        int dfd, const char *leaf, const char *name, den_error **err)
{
        _cleanup_close_ int fd =
                openat(dfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        const void *buf;
        size_t n;
        la_int64_t off;
        int r;

        if (fd < 0)
                return den_error_set(err, errno, "create \"%s\"", name);
        while ((r = archive_read_data_block(a, &buf, &n, &off)) == ARCHIVE_OK)
                if (lseek(fd, off, SEEK_SET) < 0 || den_write_all(fd, buf, n) < 0)
                        return den_error_set(err, errno, "write \"%s\"", name);
        if (r != ARCHIVE_EOF)
                return den_error_set(err, 0, "read archive: %s", archive_error_string(a));
        /* sparse files end in a hole the data blocks do not cover */
        if (ftruncate(fd, archive_entry_size(e)) < 0)
                return den_error_set(err, errno, "write \"%s\"", name);
        return meta_apply(x, fd, "", e, name, err);
}

static int extract_link(const struct extract *x, struct archive_entry *e, int dfd, const char *leaf,
                        const char *name, den_error **err)
{
        _cleanup_free_ char *target = NULL;
        _cleanup_free_ char *tdir = NULL;
        _cleanup_free_ char *tleaf = NULL;
        _cleanup_close_ int tfd = -EBADF;

        if (entry_name(x, archive_entry_hardlink(e), &target, err) < 0)
                return -1;
        if (!target)
                return den_error_set(err, EINVAL, "hard link \"%s\" to a directory", name);
        path_split(target, &tdir, &tleaf);
        if (open_dir(x, tdir, &tfd, err) < 0)
                return -1;
        if (linkat(tfd, tleaf, dfd, leaf, 0) < 0)
                return den_error_set(err, errno, "link \"%s\"", name);
        return 0;
}

/* A directory or fifo just made (or kept): its fd, opened without following a symlink. */
static int meta_apply_at(const struct extract *x, int dfd, const char *leaf,
                         struct archive_entry *e, const char *name, den_error **err)
{
        _cleanup_close_ int fd =
                openat(dfd, leaf, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

        if (fd < 0)
                return den_error_set(err, errno, "open \"%s\"", name);
        return meta_apply(x, fd, "", e, name, err);
}

static int extract_entry(const struct extract *x, struct archive *a, struct archive_entry *e,
                         den_error **err)
{
        _cleanup_free_ char *name = NULL;
        _cleanup_free_ char *dir = NULL;
        _cleanup_free_ char *leaf = NULL;
        _cleanup_close_ int dfd = -EBADF;
        mode_t type = archive_entry_filetype(e);
        int r;

        if (entry_name(x, archive_entry_pathname(e), &name, err) < 0)
                return -1;
        if (!name)
                return 0;
        path_split(name, &dir, &leaf);
        if (open_dir(x, dir, &dfd, err) < 0)
                return -1;
        r = leaf_clear(x, dfd, leaf, name, type == AE_IFDIR && !archive_entry_hardlink(e), err);
        if (r < 0)
                return -1;
        if (archive_entry_hardlink(e))
                return extract_link(x, e, dfd, leaf, name, err);
        switch (type) {
        case AE_IFDIR:
                if (r == 0 && mkdirat(dfd, leaf, 0700) < 0)
                        return den_error_set(err, errno, "create directory \"%s\"", name);
                return meta_apply_at(x, dfd, leaf, e, name, err);
        case AE_IFREG:
                return extract_file(x, a, e, dfd, leaf, name, err);
        case AE_IFLNK:
                if (symlinkat(archive_entry_symlink(e), dfd, leaf) < 0)
                        return den_error_set(err, errno, "create symlink \"%s\"", name);
                return meta_apply(x, dfd, leaf, e, name, err);
        case AE_IFIFO:
                if (mkfifoat(dfd, leaf, 0600) < 0)
                        return den_error_set(err, errno, "create fifo \"%s\"", name);
                return meta_apply_at(x, dfd, leaf, e, name, err);
        default:
                return 0; /* devices and sockets are left out, as podman does */
        }
}

static int tar_extract(const struct extract *x, int in_fd, den_error **err)
{
        _cleanup_(archive_read_freep) struct archive *a = archive_read_new();
        struct archive_entry *e;
        int r;

        if (archive_read_support_format_tar(a) != ARCHIVE_OK ||
            archive_read_support_filter_all(a) != ARCHIVE_OK ||
            archive_read_open_fd(a, in_fd, 64 << 10) != ARCHIVE_OK)
                return den_error_set(err, 0, "read archive: %s", archive_error_string(a));
        while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN)
                if (extract_entry(x, a, e, err) < 0)
                        return -1;
        if (r != ARCHIVE_EOF)
                return den_error_set(err, 0, "read archive: %s", archive_error_string(a));
        return 0;
}

/* Runs the writer in a child feeding the extractor through a pipe. The child's error, when
 * it has one, is the one reported (the extractor then only saw a truncated stream). */
static int copy_stream(const struct extract *x, int src_fd, const char *arcname, den_error **err)
{
        _cleanup_close_ int rd = -EBADF, wr = -EBADF, erd = -EBADF, ewr = -EBADF;
        char text[4096];
        ssize_t n;
        pid_t pid;
        int p[2], ep[2], status = 0, r;

        if (pipe2(p, O_CLOEXEC) < 0)
                return den_error_set(err, errno, "pipe");
        rd = p[0];
        wr = p[1];
        if (pipe2(ep, O_CLOEXEC) < 0)
                return den_error_set(err, errno, "pipe");
        erd = ep[0];
        ewr = ep[1];
        fflush(NULL);
        pid = fork();
        if (pid < 0)
                return den_error_set(err, errno, "fork");
        if (pid == 0) {
                den_error *e = NULL;

                closep(&rd);
                closep(&erd);
                if (tar_write(wr, src_fd, arcname, &e) == 0)
                        _exit(0);
                {
                        _cleanup_free_ char *t = den_error_text(e);

                        (void) !write(ewr, t, strlen(t));
                }
                _exit(1);
        }
        closep(&wr);
        closep(&ewr);
        r = tar_extract(x, rd, err);
        closep(&rd); /* a writer still going gets EPIPE */
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        n = read(erd, text, sizeof(text) - 1);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return r;
        if (*err) {
                den_error_free(*err);
                *err = NULL;
        }
        if (n > 0) {
                text[n] = '\0';
                return den_error_set_plain(err, EIO, "%s", text);
        }
        return den_error_set(err, 0, "the archive writer failed");
}

/* Follows symlinks at the last component of path by hand (each step resolved inside the
 * root): the directory and the name a file written to path lands at. */
static int resolve_leaf(const struct cp_loc *l, const char *path, char **ret_dir, char **ret_leaf,
                        den_error **err)
{
        _cleanup_free_ char *cur = strip_slashes(path);

        for (int i = 0; i < CP_MAX_LINKS; i++) {
                _cleanup_free_ char *dir = NULL;
                _cleanup_free_ char *leaf = NULL;
                _cleanup_close_ int pfd = -EBADF;
                char target[PATH_MAX];
                ssize_t n;

                path_split(cur, &dir, &leaf);
                if (!*leaf || streq(leaf, ".") || streq(leaf, ".."))
                        return not_found(err, l, path);
                pfd = loc_open(l, dir, O_PATH | O_DIRECTORY);
                if (pfd < 0)
                        return not_found(err, l, path);
                n = readlinkat(pfd, leaf, target, sizeof(target) - 1);
                if (n < 0) {
                        *ret_dir = steal_ptr(dir);
                        *ret_leaf = steal_ptr(leaf);
                        return 0;
                }
                target[n] = '\0';
                free(cur);
                cur = target[0] == '/' || !*dir ? xstrdup(target) : xasprintf("%s/%s", dir, target);
        }
        return den_error_set(err, ELOOP, "resolve \"%s\"", path);
}

struct cp_opts {
        bool is_archive, is_overwrite;
        uid_t uid; /* the container's user, for is_archive */
        gid_t gid;
};

/* The extraction into dir (of l): host directories become the root themselves. */
static int extract_setup(const struct cp_loc *l, const char *dir, const struct cp_opts *o,
                         struct extract *x, int *ret_root_fd, den_error **err)
{
        *x = (struct extract){
                .root = l->root,
                .base = dir,
                .is_chown = l->root >= 0 && o->is_archive,
                .is_keep_ids = l->root >= 0 && !o->is_archive,
                .uid = o->uid,
                .gid = o->gid,
                .is_overwrite = o->is_overwrite,
        };
        *ret_root_fd = -EBADF;
        if (l->root >= 0)
                return 0;
        *ret_root_fd = loc_open(l, dir, O_PATH | O_DIRECTORY);
        if (*ret_root_fd < 0)
                return den_error_set(err, -*ret_root_fd, "open \"%s\"", dir);
        x->root = *ret_root_fd;
        x->base = "";
        return 0;
}

static int copy(const struct cp_loc *sl, const char *src, const struct cp_loc *dl, const char *dst,
                const struct cp_opts *o, den_error **err)
{
        _cleanup_free_ char *sdir = NULL, *arcname = NULL, *ddir = NULL, *leaf = NULL;
        _cleanup_free_ char *sub = NULL;
        _cleanup_close_ int sfd = -EBADF, dfd = -EBADF, xroot = -EBADF;
        bool is_contents = has_suffix(src, "/.") || streq(src, ".");
        struct extract x;
        struct stat st, dst_st;

        sfd = loc_open(sl, src, O_RDONLY | O_NONBLOCK | O_NOCTTY);
        if (sfd < 0 || fstat(sfd, &st) < 0)
                return not_found(err, sl, src);
        path_split(src, &sdir, &arcname);
        if (streq(arcname, "/") || streq(arcname, "") || streq(arcname, ".")) {
                is_contents = S_ISDIR(st.st_mode);
                free(arcname);
                arcname = xstrdup(".");
        }
        if (is_contents) {
                free(arcname);
                arcname = xstrdup(".");
        }
        dfd = loc_open(dl, dst, O_PATH);
        if (dfd >= 0 && fstat(dfd, &dst_st) == 0 && S_ISDIR(dst_st.st_mode)) {
                if (extract_setup(dl, dst, o, &x, &xroot, err) < 0)
                        return -1;
                return copy_stream(&x, sfd, arcname, err);
        }
        if (dfd >= 0 && S_ISDIR(st.st_mode))
                return den_error_set(err, 0,
                                     "destination must be a directory when copying a directory");
        if (dfd < 0 && dfd != -ENOENT)
                return den_error_set(err, -dfd, "open \"%s\"", dst);
        if (dfd < 0 && has_suffix(dst, "/"))
                return not_found(err, dl, dst);
        if (resolve_leaf(dl, dst, &ddir, &leaf, err) < 0)
                return -1;
        if (is_contents) {
                /* "SRC/." to a new directory: make it, then fill it */
                _cleanup_close_ int pfd = loc_open(dl, ddir, O_PATH | O_DIRECTORY);

                if (pfd < 0 || mkdirat(pfd, leaf, st.st_mode & 07777) < 0)
                        return den_error_set(err, pfd < 0 ? -pfd : errno, "create \"%s\"", dst);
                if (dl->root >= 0 && o->is_archive &&
                    fchownat(pfd, leaf, o->uid, o->gid, AT_SYMLINK_NOFOLLOW) < 0)
                        return den_error_set(err, errno, "chown \"%s\"", dst);
                sub = *ddir ? xasprintf("%s/%s", ddir, leaf) : xstrdup(leaf);
                if (extract_setup(dl, sub, o, &x, &xroot, err) < 0)
                        return -1;
                return copy_stream(&x, sfd, arcname, err);
        }
        if (extract_setup(dl, ddir, o, &x, &xroot, err) < 0)
                return -1;
        x.rename_from = arcname;
        x.rename_to = leaf;
        return copy_stream(&x, sfd, arcname, err);
}

/* ---------------------------------------------------------------- the command */

struct cp_arg {
        char *ctr; /* NULL: the host, or stdio */
        const char *path;
        bool is_stdio;
};

static void arg_parse(const char *s, struct cp_arg *ret)
{
        const char *colon = strchr(s, ':');

        *ret = (struct cp_arg){ .path = s };
        if (streq(s, "-"))
                ret->is_stdio = true;
        else if (s[0] != '/' && s[0] != '.' && colon) {
                ret->ctr = xstrndup(s, (size_t) (colon - s));
                ret->path = colon + 1;
        }
}

/* The container's user (Config.User, podman's --archive owner): numbers, or names looked up
 * in the container's /etc/passwd and /etc/group. root when it names nobody known. */
static void ctr_user_ids(const struct cmd_ctr *c, int root, uid_t *ret_uid, gid_t *ret_gid)
{
        const char *user = cmd_ctr_cfg_str(c, "Config", "User");
        _cleanup_free_ char *u = xstrdup(user ? user : "");
        _cleanup_free_ char *pw = NULL, *gr = NULL;
        size_t pw_len = 0, gr_len = 0;
        char *g = strchr(u, ':');
        struct cmd_passwd_entry e = { 0 };
        int id;

        *ret_uid = 0;
        *ret_gid = 0;
        if (g)
                *g++ = '\0';
        for (int i = 0; i < 2; i++) {
                _cleanup_close_ int fd =
                        den_open_in_root(root, i ? "/etc/group" : "/etc/passwd", O_RDONLY, 0);
                struct stat st;

                if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
                        (void) den_read_fd(fd, 4u << 20, i ? &gr : &pw, i ? &gr_len : &pw_len);
        }
        if (*u && den_parse_int(u, 0, INT32_MAX, &id) == 0) {
                *ret_uid = (uid_t) id;
                if (pw && cmd_passwd_find(pw, pw_len, NULL, (uid_t) id, &e) == 0)
                        *ret_gid = e.gid;
        } else if (*u && pw && cmd_passwd_find(pw, pw_len, u, 0, &e) == 0) {
                *ret_uid = e.uid;
                *ret_gid = e.gid;
        }
        cmd_passwd_entry_clear(&e);
        if (g && *g && den_parse_int(g, 0, INT32_MAX, &id) == 0)
                *ret_gid = (gid_t) id;
        else if (g && *g && gr)
                (void) cmd_group_find(gr, gr_len, g, 0, ret_gid);
}

/* The container's root: its init's root while it runs (this process is in its user
 * namespace), else its storage mounted here. */
static int ctr_root(struct store *s, const struct cmd_ctr *c, int *ret, den_error **err)
{
        _cleanup_free_ char *path = NULL;
        int fd;

        if (cmd_ctr_is_running(c) && c->pid > 0)
                path = xasprintf("/proc/%d/root", (int) c->pid);
        else if (store_container_mount(s, c->rec, &path, err) < 0)
                return -1;
        fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return den_error_set(err, errno, "open the root of container %s", c->rec->name);
        *ret = fd;
        return 0;
}

static int args_check(const struct cmd_args *a, struct cp_arg *src, struct cp_arg *dst,
                      den_error **err)
{
        arg_parse(a->pos[0], src);
        arg_parse(a->pos[1], dst);
        if ((src->ctr && !*src->path) || (dst->ctr && !*dst->path))
                return den_error_set(err, 0,
                                     "invalid arguments \"%s\", \"%s\": you must specify "
                                     "paths",
                                     a->pos[0], a->pos[1]);
        if (src->ctr && dst->ctr)
                return den_error_set(err, 0, "copying between containers is not supported");
        if ((!src->ctr && !dst->ctr) || (src->ctr && !*src->ctr) || (dst->ctr && !*dst->ctr))
                return den_error_set(err, 0, "name or ID cannot be empty");
        return 0;
}

static int run(struct cmd_ctx *ctx, const struct cmd_args *a, den_error **err)
{
        _cleanup_(cmd_ctr_freep) struct cmd_ctr *c = NULL;
        _cleanup_close_ int root = -EBADF;
        struct cp_arg src, dst;
        struct cp_opts o = { .is_archive = cmd_tristate(a, "archive") != 0,
                             .is_overwrite = cmd_flag(a, "overwrite") };
        struct cp_loc host = { .root = -1 }, ctr;
        const char *name;
        struct store *s;
        int r;

        r = args_check(a, &src, &dst, err);
        name = src.ctr ? src.ctr : dst.ctr;
        if (r == 0 && cmd_ctx_store(ctx, true, &s, err) == 0 &&
            cmd_ctr_load(s, name, &c, err) < 0 && (*err)->errnum == ENOENT) {
                den_error_free(*err);
                *err = NULL;
                den_error_set(err, ENOENT, "container \"%s\" does not exist", name);
                (*err)->is_plain = true;
        }
        if (r < 0 || !c || ctr_root(s, c, &root, err) < 0) {
                free(src.ctr);
                free(dst.ctr);
                return -1;
        }
        ctr = (struct cp_loc){ .root = root, .name = name };
        ctr_user_ids(c, root, &o.uid, &o.gid);
        if (src.is_stdio) {
                _cleanup_close_ int dfd = loc_open(&ctr, dst.path, O_PATH | O_DIRECTORY);
                struct extract x = {
                        .root = root,
                        .base = dst.path,
                        .is_chown = o.is_archive,
                        .is_keep_ids = !o.is_archive,
                        .uid = o.uid,
                        .gid = o.gid,
                        .is_overwrite = o.is_overwrite,
                };

                r = dfd < 0 ? den_error_set(err, 0,
                                            "destination must be a directory when "
                                            "copying from stdin")
                            : tar_extract(&x, STDIN_FILENO, err);
        } else if (dst.is_stdio) {
                _cleanup_close_ int sfd = loc_open(&ctr, src.path, O_RDONLY | O_NONBLOCK);
                _cleanup_free_ char *dir = NULL, *arcname = NULL;

                path_split(src.path, &dir, &arcname);
                r = sfd < 0 ? not_found(err, &ctr, src.path)
                            : tar_write(STDOUT_FILENO, sfd, arcname, err);
        } else if (src.ctr) {
                r = copy(&ctr, src.path, &host, dst.path, &o, err);
        } else {
                r = copy(&host, src.path, &ctr, dst.path, &o, err);
        }
        free(src.ctr);
        free(dst.ctr);
        return r;
}

/* A running container's files are reached from its own user namespace. */
static int userns_owner(struct cmd_ctx *ctx, const struct cmd_args *a, pid_t *ret_pid,
                        den_error **err)
{
        struct cp_arg src, dst;
        const char *name;
        int r;

        *ret_pid = 0;
        arg_parse(a->pos[0], &src);
        arg_parse(a->pos[1], &dst);
        name = src.ctr ? src.ctr : dst.ctr;
        r = name && *name ? cmd_ctr_userns_owner(ctx, &name, 1, ret_pid, err) : 0;
        free(src.ctr);
        free(dst.ctr);
        return r;
}

static const struct cmd_opt opts[] = {
        { "archive", 'a', CMD_OPT_BOOL, NULL,
          "Chown copied files to the primary uid/gid of the destination container.", "true" },
        { "follow-link", 'L', CMD_OPT_BOOL, NULL,
          "Follow a symbolic link in SRC_PATH (always done for the path's last component)" },
        { "overwrite", 0, CMD_OPT_BOOL, NULL,
          "Allow to overwrite directories with non-directories and vice versa" },
        { 0 },
};

const struct cmd cmd_cp = {
        .name = "cp",
        .aliases = { "container cp" },
        .usage = "[options] [CONTAINER:]SRC_PATH [CONTAINER:]DEST_PATH",
        .summary = "Copy files/folders between a container and the local filesystem",
        .description = "If \"-\" is given as SRC_PATH, a tar archive is read from stdin and "
                       "extracted into the container directory DEST_PATH; as DEST_PATH, a tar "
                       "archive of the container's SRC_PATH is written to stdout. The container "
                       "can be running or stopped.",
        .opts = opts,
        .min_args = 2,
        .max_args = 2,
        .flags = CMD_F_USERNS | CMD_F_MOUNTNS | CMD_F_STORE_WRITE,
        .run = run,
        .userns_owner = userns_owner,
};
