/* Layer packing: a directory tree (a container's overlay upper dir, or any tree) becomes a
 * PAX tar stream, optionally compressed, with both digests computed on the way out.
 *
 * The tree may be written by a container while we read it, so it is walked by fd: every
 * directory and file is opened with O_NOFOLLOW and described by fstat of the opened fd, never
 * by a path looked up again later. A file that shrinks under us is an error; growth past the
 * size we recorded is not read. The output is deterministic for a given tree: entries sorted
 * by name in each directory, times kept (to the second, as other engines do), no user or
 * group names, and no timestamp in the gzip header.
 */
#include "image/image.h"

#include <archive.h>
#include <archive_entry.h>
#include "image/lazy.h"
#include <inttypes.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#define PACK_BUF_SIZE (1u << 20)
#define PACK_MAX_DEPTH 256 /* what extraction accepts */
#define PACK_MAX_XATTR_LIST 65536
#define PACK_MAX_XATTR_SIZE 65536

struct link_seen {
        dev_t dev;
        ino_t ino;
        char *path;
};

struct pack {
        int out_fd;
        struct archive *tar;  /* pax writer: its output is the uncompressed stream */
        struct archive *comp; /* raw writer with the compression filter, or NULL */
        struct den_sha256 *tar_sha;
        struct den_sha256 *out_sha;
        uint64_t tar_size;
        uint64_t out_size;
        den_error *cb_err; /* an error raised inside a libarchive callback */
        char *buf;
        struct link_seen *links; /* files with more than one link, by (dev, ino) */
        size_t links_cap, n_links;
};

/* ---------------------------------------------------------------- output streams */

static int out_write(struct pack *p, const void *buf, size_t n)
{
        int r;

        den_sha256_update(p->out_sha, buf, n);
        p->out_size += n;
        r = den_write_all(p->out_fd, buf, n);
        if (r < 0)
                return den_error_set(&p->cb_err, -r, "write layer");
        return 0;
}

static la_ssize_t comp_write_cb(struct archive *a, void *ud, const void *buf, size_t n)
{
        return out_write(ud, buf, n) < 0 ? -1 : (la_ssize_t) n;
}

static la_ssize_t tar_write_cb(struct archive *a, void *ud, const void *buf, size_t n)
{
        struct pack *p = ud;

        den_sha256_update(p->tar_sha, buf, n);
        p->tar_size += n;
        if (!p->comp)
                return out_write(p, buf, n) < 0 ? -1 : (la_ssize_t) n;
        if (archive_write_data(p->comp, buf, n) != (la_ssize_t) n) {
                if (!p->cb_err)
                        den_error_set(&p->cb_err, 0, "compress layer: %s",
                                      archive_error_string(p->comp));
                return -1;
        }
        return (la_ssize_t) n;
}

static int pack_fail(struct pack *p, struct archive *a, const char *what, den_error **err)
{
        const char *s;

        if (p->cb_err) {
                if (err && !*err)
                        *err = steal_ptr(p->cb_err);
                return -1;
        }
        s = archive_error_string(a);
        return den_error_set(err, 0, "%s: %s", what, s ? s : "unknown error");
}

static int open_comp(struct pack *p, enum img_compression compression, den_error **err)
{
        struct archive_entry *e = NULL;
        int r;

        switch (compression) {
        case IMG_COMPRESSION_NONE:
                return 0;
        case IMG_COMPRESSION_GZIP:
                p->comp = archive_write_new();
                (void) archive_write_set_format_raw(p->comp);
                r = archive_write_add_filter_gzip(p->comp);
                /* no time in the gzip header, so the same tree gives the same bytes */
                if (r == ARCHIVE_OK)
                        r = archive_write_set_filter_option(p->comp, "gzip", "timestamp", NULL);
                break;
        case IMG_COMPRESSION_ZSTD:
                p->comp = archive_write_new();
                (void) archive_write_set_format_raw(p->comp);
                r = archive_write_add_filter_zstd(p->comp);
                break;
        default:
                return den_error_set(err, EINVAL, "unknown compression %d", (int) compression);
        }
        if (r == ARCHIVE_OK)
                r = archive_write_set_bytes_per_block(p->comp, 65536);
        if (r == ARCHIVE_OK)
                r = archive_write_set_bytes_in_last_block(p->comp, 1);
        if (r == ARCHIVE_OK)
                r = archive_write_open(p->comp, p, NULL, comp_write_cb, NULL);
        if (r == ARCHIVE_OK) {
                e = archive_entry_new();
                archive_entry_set_pathname(e, "layer.tar");
                archive_entry_set_filetype(e, AE_IFREG);
                archive_entry_set_perm(e, 0644);
                r = archive_write_header(p->comp, e);
                archive_entry_free(e);
        }
        if (r != ARCHIVE_OK)
                return pack_fail(p, p->comp, "compress layer", err);
        return 0;
}

static int open_tar(struct pack *p, den_error **err)
{
        int r;

        p->tar = archive_write_new();
        r = archive_write_set_format_pax_restricted(p->tar);
        if (r == ARCHIVE_OK) /* SCHILY.xattr only, the form other engines read */
                r = archive_write_set_format_option(p->tar, "pax", "xattrheader", "SCHILY");
        if (r == ARCHIVE_OK) /* two zero blocks end the stream, no padding to 10 KiB */
                r = archive_write_set_bytes_in_last_block(p->tar, 1);
        if (r == ARCHIVE_OK)
                r = archive_write_open(p->tar, p, NULL, tar_write_cb, NULL);
        if (r != ARCHIVE_OK)
                return pack_fail(p, p->tar, "write layer", err);
        return 0;
}

/* ---------------------------------------------------------------- hard links */

static struct link_seen *link_slot(struct pack *p, dev_t dev, ino_t ino)
{
        size_t i = ((uint64_t) ino * 0x9e3779b97f4a7c15ull ^ (uint64_t) dev) & (p->links_cap - 1);

        for (;; i = (i + 1) & (p->links_cap - 1)) {
                struct link_seen *s = &p->links[i];

                if (!s->path || (s->dev == dev && s->ino == ino))
                        return s;
        }
}

/* The path a multiply-linked file was first packed under, or NULL (then it is recorded). */
static const char *link_lookup(struct pack *p, const struct stat *st, const char *path)
{
        struct link_seen *s;

        if (p->n_links * 2 >= p->links_cap) {
                struct pack bigger = { .links_cap = p->links_cap ? p->links_cap * 2 : 256 };

                bigger.links = xcalloc(bigger.links_cap, sizeof(*bigger.links));
                for (size_t i = 0; i < p->links_cap; i++)
                        if (p->links[i].path)
                                *link_slot(&bigger, p->links[i].dev, p->links[i].ino) = p->links[i];
                free(p->links);
                p->links = bigger.links;
                p->links_cap = bigger.links_cap;
        }
        s = link_slot(p, st->st_dev, st->st_ino);
        if (s->path)
                return s->path;
        *s = (struct link_seen){ .dev = st->st_dev, .ino = st->st_ino, .path = xstrdup(path) };
        p->n_links++;
        return NULL;
}

/* ---------------------------------------------------------------- entries */

static bool xattr_packed(const char *name)
{
        if (den_str_has_prefix(name, "user.overlay."))
                return false;
        return den_str_has_prefix(name, "user.") || streq(name, "security.capability");
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Adds fd's xattrs worth keeping to e, sorted by name. */
static int add_xattrs(int fd, struct archive_entry *e, const char *path, den_error **err)
{
        _cleanup_free_ char *list = NULL;
        _cleanup_free_ char **names = NULL;
        _cleanup_free_ char *value = NULL;
        size_t n_names = 0;
        ssize_t len = flistxattr(fd, NULL, 0);

        if (len < 0 && (errno == ENOTSUP || errno == EPERM))
                return 0;
        if (len < 0 || len > PACK_MAX_XATTR_LIST)
                return den_error_set(err, len < 0 ? errno : E2BIG, "list xattrs of \"%s\"", path);
        list = xmalloc((size_t) len + 1);
        len = flistxattr(fd, list, (size_t) len);
        if (len < 0)
                return den_error_set(err, errno, "list xattrs of \"%s\"", path);
        names = xcalloc((size_t) len + 1, sizeof(char *));
        for (char *s = list; s < list + len; s += strlen(s) + 1)
                if (xattr_packed(s))
                        names[n_names++] = s;
        qsort(names, n_names, sizeof(char *), cmp_str);
        value = xmalloc(PACK_MAX_XATTR_SIZE);
        for (size_t i = 0; i < n_names; i++) {
                ssize_t vlen = fgetxattr(fd, names[i], value, PACK_MAX_XATTR_SIZE);

                if (vlen < 0 && errno == ENODATA)
                        continue; /* removed meanwhile */
                if (vlen < 0)
                        return den_error_set(err, errno, "read xattr %s of \"%s\"", names[i], path);
                archive_entry_xattr_add_entry(e, names[i], value, (size_t) vlen);
        }
        return 0;
}

static void entry_init(struct archive_entry *e, const char *path, const struct stat *st)
{
        archive_entry_clear(e);
        archive_entry_set_pathname(e, path);
        archive_entry_set_uid(e, st->st_uid);
        archive_entry_set_gid(e, st->st_gid);
        archive_entry_set_perm(e, st->st_mode & 07777);
        archive_entry_set_mtime(e, st->st_mtim.tv_sec, 0);
}

static int write_header(struct pack *p, struct archive_entry *e, const char *path, den_error **err)
{
        /* ARCHIVE_WARN: a name that is not valid in the locale, written as bytes */
        if (archive_write_header(p->tar, e) < ARCHIVE_WARN) {
                pack_fail(p, p->tar, "write layer", err);
                return den_error_wrap(err, "pack \"%s\"", path);
        }
        return 0;
}

/* An empty regular file standing for a whiteout (".wh.<name>", ".wh..wh..opq"). */
static int write_marker(struct pack *p, struct archive_entry *e, const char *path,
                        const struct stat *st, den_error **err)
{
        struct stat zero = { .st_mtim = st->st_mtim };

        entry_init(e, path, &zero);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_size(e, 0);
        return write_header(p, e, path, err);
}

static int pack_file(struct pack *p, int dfd, const char *name, const char *path,
                     struct archive_entry *e, den_error **err)
{
        _cleanup_close_ int fd = -EBADF;
        const char *first;
        struct stat st;
        off_t left;

        fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0 || fstat(fd, &st) < 0)
                return den_error_set(err, errno, "open \"%s\"", path);
        if (!S_ISREG(st.st_mode))
                return den_error_set(err, EAGAIN, "\"%s\" changed while packing", path);
        entry_init(e, path, &st);
        archive_entry_set_filetype(e, AE_IFREG);
        first = st.st_nlink > 1 ? link_lookup(p, &st, path) : NULL;
        if (first) {
                archive_entry_set_hardlink(e, first);
                archive_entry_set_size(e, 0);
                return write_header(p, e, path, err);
        }
        archive_entry_set_size(e, st.st_size);
        if (add_xattrs(fd, e, path, err) < 0 || write_header(p, e, path, err) < 0)
                return -1;
        for (left = st.st_size; left > 0;) {
                ssize_t n = read(fd, p->buf, left < PACK_BUF_SIZE ? (size_t) left : PACK_BUF_SIZE);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return den_error_set(err, errno, "read \"%s\"", path);
                if (n == 0)
                        return den_error_set(err, EAGAIN, "\"%s\" shrank while packing", path);
                if (archive_write_data(p->tar, p->buf, (size_t) n) != n) {
                        pack_fail(p, p->tar, "write layer", err);
                        return den_error_wrap(err, "pack \"%s\"", path);
                }
                left -= n;
        }
        return 0;
}

static int pack_tree(struct pack *p, int dfd, struct den_buf *path, int depth, den_error **err);

static int pack_dir(struct pack *p, int dfd, const char *name, struct den_buf *path, int depth,
                    struct archive_entry *e, den_error **err)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *marker = NULL;
        char opaque[2];
        struct stat st;

        if (depth >= PACK_MAX_DEPTH)
                return den_error_set(err, ELOOP, "pack \"%s\": nested too deep", path->data);
        fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0)
                return den_error_set(err, errno, "open \"%s\"", path->data);
        entry_init(e, path->data, &st);
        archive_entry_set_filetype(e, AE_IFDIR);
        if (add_xattrs(fd, e, path->data, err) < 0 || write_header(p, e, path->data, err) < 0)
                return -1;
        if (fgetxattr(fd, "user.overlay.opaque", opaque, sizeof(opaque)) == 1 && opaque[0] == 'y') {
                marker = xasprintf("%s/.wh..wh..opq", path->data);
                if (write_marker(p, e, marker, &st, err) < 0)
                        return -1;
        }
        return pack_tree(p, fd, path, depth + 1, err);
}

static int pack_one(struct pack *p, int dfd, const char *name, struct den_buf *path, int depth,
                    struct archive_entry *e, den_error **err)
{
        _cleanup_free_ char *wh = NULL;
        char target[PATH_MAX];
        struct stat st;
        ssize_t n;

        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : den_error_set(err, errno, "stat \"%s\"", path->data);
        switch (st.st_mode & S_IFMT) {
        case S_IFREG:
                return pack_file(p, dfd, name, path->data, e, err);
        case S_IFDIR:
                return pack_dir(p, dfd, name, path, depth, e, err);
        case S_IFLNK:
                n = readlinkat(dfd, name, target, sizeof(target) - 1);
                if (n < 0)
                        return den_error_set(err, errno, "read link \"%s\"", path->data);
                target[n] = '\0';
                entry_init(e, path->data, &st);
                archive_entry_set_filetype(e, AE_IFLNK);
                archive_entry_set_symlink(e, target);
                return write_header(p, e, path->data, err);
        case S_IFCHR:
                if (st.st_rdev == makedev(0, 0)) { /* an overlay whiteout */
                        size_t dir_len = strlen(path->data) - strlen(name);

                        wh = xasprintf("%.*s.wh.%s", (int) dir_len, path->data, name);
                        return write_marker(p, e, wh, &st, err);
                }
                /* fallthrough */
        case S_IFBLK:
        case S_IFIFO:
                entry_init(e, path->data, &st);
                archive_entry_set_filetype(e, st.st_mode & S_IFMT);
                archive_entry_set_rdevmajor(e, major(st.st_rdev));
                archive_entry_set_rdevminor(e, minor(st.st_rdev));
                return write_header(p, e, path->data, err);
        default:
                den_debug("pack: skipping socket \"%s\"", path->data);
                return 0;
        }
}

/* Packs the children of dfd (whose path is in *path), sorted by name. */
static int pack_tree(struct pack *p, int dfd, struct den_buf *path, int depth, den_error **err)
{
        _cleanup_closedir_ DIR *d = NULL;
        _cleanup_strv_ char **names = NULL;
        struct archive_entry *e = NULL;
        size_t base = path->len, n = 0, cap = 0;
        struct dirent *de;
        int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int r = 0;

        if (fd < 0 || !(d = fdopendir(fd))) {
                if (fd >= 0)
                        close(fd);
                return den_error_set(err, errno, "open directory \"%s\"", base ? path->data : ".");
        }
        while ((de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (n + 1 >= cap) {
                        cap = cap ? cap * 2 : 64;
                        names = xrealloc(names, cap * sizeof(char *));
                }
                names[n++] = xstrdup(de->d_name);
                names[n] = NULL;
        }
        closedirp(&d);
        d = NULL;
        if (n > 0)
                qsort(names, n, sizeof(char *), cmp_str);
        e = archive_entry_new();
        for (size_t i = 0; i < n && r == 0; i++) {
                path->len = base;
                if (base > 0)
                        den_buf_append(path, "/", 1);
                den_buf_puts(path, names[i]);
                r = pack_one(p, dfd, names[i], path, depth, e, err);
        }
        archive_entry_free(e);
        path->len = base;
        if (path->data)
                path->data[base] = '\0';
        return r;
}

/* ---------------------------------------------------------------- entry point */

static void pack_free(struct pack *p)
{
        if (p->tar)
                (void) archive_write_free(p->tar);
        if (p->comp)
                (void) archive_write_free(p->comp);
        den_sha256_free(p->tar_sha);
        den_sha256_free(p->out_sha);
        den_error_free(p->cb_err);
        free(p->buf);
        for (size_t i = 0; i < p->links_cap; i++)
                free(p->links[i].path);
        free(p->links);
}

static int pack_run(struct pack *p, int src_dfd, enum img_compression compression, den_error **err)
{
        _cleanup_(den_buf_free) struct den_buf path = { 0 };

        if (open_comp(p, compression, err) < 0 || open_tar(p, err) < 0)
                return -1;
        den_buf_puts(&path, "");
        if (pack_tree(p, src_dfd, &path, 0, err) < 0)
                return -1;
        if (archive_write_close(p->tar) != ARCHIVE_OK)
                return pack_fail(p, p->tar, "write layer", err);
        if (p->comp && archive_write_close(p->comp) != ARCHIVE_OK)
                return pack_fail(p, p->comp, "compress layer", err);
        return 0;
}

int img_layer_pack(int src_dfd, int out_fd, enum img_compression compression,
                   struct img_layer_result *ret, den_error **err)
{
        static const char *const names[] = {
                [IMG_COMPRESSION_NONE] = "none",
                [IMG_COMPRESSION_GZIP] = "gzip",
                [IMG_COMPRESSION_ZSTD] = "zstd",
        };
        struct pack p = {
                .out_fd = out_fd,
                .tar_sha = den_sha256_new(),
                .out_sha = den_sha256_new(),
                .buf = xmalloc(PACK_BUF_SIZE),
        };
        struct img_layer_result res = { 0 };
        int r = pack_run(&p, src_dfd, compression, err);

        if (r == 0) {
                den_sha256_final(p.tar_sha, res.diff_id);
                den_sha256_final(p.out_sha, res.digest);
                p.tar_sha = p.out_sha = NULL;
                res.size = p.tar_size;
                res.compressed_size = p.out_size;
                res.compression = xstrdup(names[compression]);
                if (ret)
                        *ret = res;
                else
                        free(res.compression);
        }
        pack_free(&p);
        return r;
}
