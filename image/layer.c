/* Layer extraction: where bytes from a registry or a file become files in the store.
 *
 * Trust boundary. Trusted: dest_dfd, a fresh directory the caller made inside the store and
 * that nothing else writes to while we run; our credentials (root inside the user namespace,
 * so we may chown to any mapped id and override permission bits on mapped files); the kernel.
 * Untrusted: every byte of in_fd, that is the compression framing, the tar headers, entry
 * names, link targets, modes, owners, sizes, sparse maps and xattrs. The digests are checked
 * only after the stream ends, so until then the content may be hostile; the caller throws
 * dest away on any failure, and extraction must be safe even for bytes that fail the check.
 *
 * Why each operation is safe:
 * - Names are split into components; absolute names, ".." components, empty names and names
 *   over PATH_MAX (or components over NAME_MAX, or deeper than LAYER_MAX_DEPTH) are refused,
 *   "." and empty components are dropped. libarchive hands names over as C strings, so a NUL
 *   inside a pax record ends the name there and the shorter name passes the same checks.
 * - The parent directory of an entry is opened with den_open_in_root() (openat2
 *   RESOLVE_IN_ROOT, or a walk clamped to the root): symlinks planted by this layer or an
 *   earlier one resolve as if dest were "/", so the parent fd always names a directory
 *   inside dest. Missing parents are created one component at a time under such an fd; a
 *   name in the way that is not a directory (a dangling symlink, say) is an error, since
 *   O_NOFOLLOW|O_DIRECTORY refuses it.
 * - The leaf is a single component created relative to that fd with O_CREAT|O_EXCL|
 *   O_NOFOLLOW, mkdirat, symlinkat, mknodat or linkat(..., 0): none of them follows a
 *   symlink at the leaf. An existing leaf is removed first (unlinkat, or a recursive removal
 *   that never follows symlinks) and the create is retried once.
 * - Symlink targets are stored verbatim and never followed by us.
 * - A hardlink's target is resolved like a parent (inside the root), must be a regular file
 *   or a symlink, and is linked with linkat(target_parent, target_leaf, parent, leaf, 0),
 *   which links the inode named there and does not follow a symlink: nothing outside dest
 *   can be linked in, and no capability (CAP_DAC_READ_SEARCH for AT_EMPTY_PATH) is needed.
 * - Metadata is applied through the fd just created where one exists (fchown, then fchmod,
 *   since chown clears set-id bits; then xattrs, because chown also drops
 *   security.capability; then times). Names without an fd (symlinks, fifos, devices) use
 *   the *at() calls on the leaf just created, with AT_SYMLINK_NOFOLLOW where the kernel has
 *   it; fchmodat on a fifo or device we created a moment ago cannot meet a symlink because
 *   nothing else writes to dest.
 * - Only user.* (not user.overlay.*, which overlayfs would read as its own metadata) and
 *   security.capability xattrs are set; trusted.* and the rest are dropped.
 * - Devices other than whiteouts fail with EPERM in a user namespace and are skipped.
 * - Whiteouts act only on a single component below a parent resolved as above: the overlay
 *   format makes a 0:0 character device there (which a user namespace may do) or sets the
 *   opaque xattr on that parent; the apply format removes the name, never following links.
 * - Everything is bounded: uncompressed bytes (max_size), entries, depth, link target length,
 *   xattr count and size, sparse offsets.
 */
#include "image/image.h"

#include <archive.h>
#include <archive_entry.h>
#include "image/lazy.h"
#include <inttypes.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#define LAYER_BUF_SIZE (1u << 20)
#define LAYER_DEFAULT_MAX_SIZE (64ull << 30)
#define LAYER_MAX_ENTRIES 10000000u
#define LAYER_MAX_DEPTH 256 /* den_open_in_root's fallback walk has the same limit */
#define LAYER_MAX_XATTRS 128
#define LAYER_MAX_XATTR_SIZE 65536
#define OPAQUE_XATTR "user.overlay.opaque"

static void archive_read_freep(struct archive **a)
{
        if (*a)
                (void) archive_read_free(*a);
}
#define _cleanup_archive_read_ _cleanup_(archive_read_freep)

/* A set of cleaned entry paths (open addressing, FNV-1a). */
struct pathset {
        char **slots;
        size_t cap; /* power of two */
        size_t n;
};

struct dir_time {
        char *path;
        struct timespec times[2];
};

struct extract {
        int root;
        enum img_whiteout_format whiteouts;
        uint64_t max_size;
        const struct img_layer_opts *opts;

        /* the compressed side */
        int in_fd;
        char *in_buf;
        size_t in_pending; /* bytes read while sniffing, not yet handed out */
        uint64_t in_done;
        bool in_eof;
        struct den_sha256 *in_sha;

        /* the tar side: raw is NULL for an uncompressed layer (then in_* is the tar stream) */
        struct archive *raw;
        bool raw_is_empty; /* the decompressed stream has no bytes at all */
        struct den_sha256 *tar_sha;
        uint64_t tar_size;
        den_error *cb_err; /* an error raised inside a libarchive callback */

        /* the last parent directory used, kept open: most entries share it with the one
         * before them */
        char *parent_path;
        int parent_fd;

        struct dir_time *dirs; /* directory times, set when everything else is written */
        size_t n_dirs, cap_dirs;
        /* IMG_WHITEOUT_APPLY: the paths this layer created or wrote below; an opaque directory
         * or a whiteout removes what earlier layers left, never what this layer made */
        struct pathset seen;
        /* directories already pruned (apply) or marked opaque (overlay, marked again at the
         * end): once is enough, and repeating it for every marker would be quadratic */
        struct pathset pruned;
        uint64_t n_entries;
};

/* ---------------------------------------------------------------- whiteouts */

enum img_whiteout_kind img_whiteout_classify(const char *leaf, const char **ret_name)
{
        const char *name;

        if (!den_str_has_prefix(leaf, ".wh."))
                return IMG_WH_NONE;
        if (streq(leaf, ".wh..wh..opq"))
                return IMG_WH_OPAQUE;
        if (den_str_has_prefix(leaf, ".wh..wh."))
                return IMG_WH_RESERVED;
        name = leaf + 4;
        if (!*name || streq(name, ".") || streq(name, "..") || strchr(name, '/'))
                return IMG_WH_INVALID;
        if (ret_name)
                *ret_name = name;
        return IMG_WH_FILE;
}

/* ---------------------------------------------------------------- path set */

static uint64_t hash_bytes(const char *s, size_t n)
{
        uint64_t h = 1469598103934665603ull;

        for (size_t i = 0; i < n; i++) {
                h ^= (unsigned char) s[i];
                h *= 1099511628211ull;
        }
        return h;
}

static char **pathset_slot(const struct pathset *set, const char *s, size_t n)
{
        size_t i = hash_bytes(s, n) & (set->cap - 1);

        for (;; i = (i + 1) & (set->cap - 1)) {
                char *cur = set->slots[i];

                if (!cur || (strlen(cur) == n && memcmp(cur, s, n) == 0))
                        return &set->slots[i];
        }
}

static bool pathset_has(const struct pathset *set, const char *s)
{
        return set->cap > 0 && *pathset_slot(set, s, strlen(s)) != NULL;
}

static void pathset_add(struct pathset *set, const char *s, size_t n)
{
        char **slot;

        if (set->n * 2 >= set->cap) {
                struct pathset bigger = { .cap = set->cap ? set->cap * 2 : 1024 };

                bigger.slots = xcalloc(bigger.cap, sizeof(char *));
                for (size_t i = 0; i < set->cap; i++)
                        if (set->slots[i])
                                *pathset_slot(&bigger, set->slots[i], strlen(set->slots[i])) =
                                        set->slots[i];
                free(set->slots);
                set->slots = bigger.slots;
                set->cap = bigger.cap;
        }
        slot = pathset_slot(set, s, n);
        if (!*slot) {
                *slot = xstrndup(s, n);
                set->n++;
        }
}

/* Adds path and each of its ancestors. */
static void pathset_add_with_parents(struct pathset *set, const char *path)
{
        for (const char *p = path; (p = strchr(p, '/')); p++)
                pathset_add(set, path, (size_t) (p - path));
        if (*path)
                pathset_add(set, path, strlen(path));
}

static void pathset_clear(struct pathset *set)
{
        for (size_t i = 0; i < set->cap; i++)
                free(set->slots[i]);
        free(set->slots);
        *set = (struct pathset){ 0 };
}

/* ---------------------------------------------------------------- streams */

static void input_account(struct extract *x, const char *p, size_t n)
{
        den_sha256_update(x->in_sha, p, n);
        x->in_done += n;
        if (x->opts && x->opts->progress && n > 0)
                x->opts->progress(x->opts->progress_ud, x->in_done);
}

static int input_fill(struct extract *x)
{
        ssize_t n;

        for (;;) {
                n = read(x->in_fd, x->in_buf, LAYER_BUF_SIZE);
                if (n >= 0 || errno != EINTR)
                        break;
        }
        if (n < 0)
                return den_error_set(&x->cb_err, errno, "read layer");
        if (n == 0)
                x->in_eof = true;
        input_account(x, x->in_buf, (size_t) n);
        return (int) n;
}

/* The next chunk of the compressed stream, hashed as it is read. */
static ssize_t input_next(struct extract *x, const void **ret)
{
        int n;

        *ret = x->in_buf;
        if (x->in_pending > 0) {
                size_t p = x->in_pending;

                x->in_pending = 0;
                return (ssize_t) p;
        }
        if (x->in_eof)
                return 0;
        n = input_fill(x);
        return n < 0 ? -1 : n;
}

static la_ssize_t raw_read_cb(struct archive *a, void *ud, const void **ret)
{
        return input_next(ud, ret);
}

static int count_tar_bytes(struct extract *x, size_t n)
{
        x->tar_size += n;
        if (x->tar_size > x->max_size)
                return den_error_set(&x->cb_err, EFBIG,
                                     "layer exceeds the maximum uncompressed size of %" PRIu64
                                     " bytes",
                                     x->max_size);
        return 0;
}

/* The next chunk of the uncompressed tar stream, hashed and counted. */
static ssize_t tar_next(struct extract *x, const void **ret)
{
        size_t n = 0;
        la_int64_t off;
        ssize_t got;
        int r;

        if (!x->raw) {
                got = input_next(x, ret);
                if (got > 0 && count_tar_bytes(x, (size_t) got) < 0)
                        return -1;
                if (got > 0 && x->opts && x->opts->tar_observer)
                        x->opts->tar_observer(x->opts->tar_observer_ud, *ret, (size_t) got);
                return got;
        }
        if (x->raw_is_empty)
                return 0;
        r = archive_read_data_block(x->raw, ret, &n, &off);
        if (r == ARCHIVE_EOF)
                return 0;
        if (r < ARCHIVE_WARN) {
                if (!x->cb_err)
                        den_error_set(&x->cb_err, 0, "decompress layer: %s",
                                      archive_error_string(x->raw));
                return -1;
        }
        den_sha256_update(x->tar_sha, *ret, n);
        if (count_tar_bytes(x, n) < 0)
                return -1;
        if (n > 0 && x->opts && x->opts->tar_observer)
                x->opts->tar_observer(x->opts->tar_observer_ud, *ret, n);
        return (ssize_t) n;
}

static la_ssize_t tar_read_cb(struct archive *a, void *ud, const void **ret)
{
        return tar_next(ud, ret);
}

/* Turns a libarchive failure into an error, preferring one our callbacks raised. */
static int archive_fail(struct extract *x, struct archive *a, den_error **err, const char *what)
{
        const char *s;

        if (x->cb_err) {
                if (err && !*err)
                        *err = steal_ptr(x->cb_err);
                return -1;
        }
        s = a ? archive_error_string(a) : NULL;
        return den_error_set(err, 0, "%s: %s", what, s ? s : "unknown error");
}

static const char *sniff(const unsigned char *p, size_t n)
{
        if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
                return "gzip";
        if (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd)
                return "zstd";
        return "none";
}

/* Reads the first bytes, picks the decompressor and opens both readers. */
static int streams_open(struct extract *x, struct archive **ret_tar, const char **ret_comp,
                        den_error **err)
{
        _cleanup_archive_read_ struct archive *tar = NULL;
        struct archive_entry *e = NULL;
        const char *comp;
        int r;

        while (x->in_pending < 4 && !x->in_eof) {
                ssize_t n =
                        read(x->in_fd, x->in_buf + x->in_pending, LAYER_BUF_SIZE - x->in_pending);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return den_error_set(err, errno, "read layer");
                if (n == 0)
                        x->in_eof = true;
                input_account(x, x->in_buf + x->in_pending, (size_t) n);
                x->in_pending += (size_t) n;
        }
        comp = sniff((const unsigned char *) x->in_buf, x->in_pending);
        if (!streq(comp, "none")) {
                int want = streq(comp, "gzip") ? ARCHIVE_FILTER_GZIP : ARCHIVE_FILTER_ZSTD;

                x->raw = archive_read_new();
                x->tar_sha = den_sha256_new();
                (void) archive_read_support_format_raw(x->raw);
                (void) archive_read_support_format_empty(x->raw); /* compressed nothing */
                if (want == ARCHIVE_FILTER_GZIP)
                        (void) archive_read_support_filter_gzip(x->raw);
                else
                        (void) archive_read_support_filter_zstd(x->raw);
                r = archive_read_open(x->raw, x, NULL, raw_read_cb, NULL);
                if (r == ARCHIVE_OK)
                        r = archive_read_next_header(x->raw, &e);
                if (r == ARCHIVE_EOF)
                        x->raw_is_empty = true;
                else if (r != ARCHIVE_OK)
                        return archive_fail(x, x->raw, err, "decompress layer");
                if (archive_filter_code(x->raw, 0) != want)
                        return den_error_set(err, 0, "decompress layer: invalid %s header", comp);
        }
        tar = archive_read_new();
        (void) archive_read_support_format_tar(tar);
        (void) archive_read_support_format_empty(tar);
        if (archive_read_open(tar, x, NULL, tar_read_cb, NULL) != ARCHIVE_OK)
                return archive_fail(x, tar, err, "read layer");
        *ret_tar = steal_ptr(tar);
        *ret_comp = comp;
        return 0;
}

/* Reads both streams to their ends: the digests cover every byte, padding included. */
static int streams_drain(struct extract *x, den_error **err)
{
        const void *p;
        ssize_t n;

        if (x->raw) {
                while ((n = tar_next(x, &p)) > 0)
                        ;
                if (n < 0)
                        return archive_fail(x, x->raw, err, "decompress layer");
        }
        /* without a decompressor the tar stream is the input; tar_next counts it */
        while ((n = x->raw ? input_next(x, &p) : tar_next(x, &p)) > 0)
                ;
        if (n < 0)
                return archive_fail(x, x->raw, err, "read layer");
        return 0;
}

/* ---------------------------------------------------------------- names and parents */

/* Cleans an untrusted entry name into "a/b/c" ("" for the root itself). */
static int path_clean(const char *name, const char *what, char **ret, den_error **err)
{
        _cleanup_free_ char *out = NULL;
        size_t len, o = 0;
        int depth = 0;

        if (!name || !*name)
                return den_error_set(err, EINVAL, "%s: empty name", what);
        len = strlen(name);
        if (len >= PATH_MAX)
                return den_error_set(err, ENAMETOOLONG, "%s \"%.64s...\": name too long", what,
                                     name);
        if (name[0] == '/')
                return den_error_set(err, EINVAL, "%s \"%s\": absolute name", what, name);
        out = xmalloc(len + 1);
        for (const char *p = name; *p;) {
                size_t n = strcspn(p, "/");

                if (n == 2 && p[0] == '.' && p[1] == '.')
                        return den_error_set(err, EINVAL, "%s \"%s\": \"..\" in name", what, name);
                if (n > NAME_MAX)
                        return den_error_set(err, ENAMETOOLONG, "%s \"%s\": component too long",
                                             what, name);
                if (n > 0 && !(n == 1 && p[0] == '.')) {
                        if (++depth > LAYER_MAX_DEPTH)
                                return den_error_set(err, ENAMETOOLONG, "%s \"%.64s...\": too deep",
                                                     what, name);
                        if (o > 0)
                                out[o++] = '/';
                        memcpy(out + o, p, n);
                        o += n;
                }
                p += n;
                while (*p == '/')
                        p++;
        }
        out[o] = '\0';
        *ret = steal_ptr(out);
        return 0;
}

/* Opens path (a directory inside the root), creating what is missing, the way tar does. */
static int open_parent_creating(struct extract *x, const char *path, den_error **err)
{
        _cleanup_free_ char *buf = xstrdup(path);
        _cleanup_close_ int fd = -EBADF;
        size_t len = strlen(path), have = len, start;

        /* the deepest ancestor that exists: buf[0, have) */
        for (;;) {
                char *slash;

                buf[have] = '\0';
                fd = have ? den_open_in_root(x->root, buf, O_PATH | O_DIRECTORY, 0)
                          : fcntl(x->root, F_DUPFD_CLOEXEC, 3);
                if (fd >= 0)
                        break;
                if (fd != -ENOENT || have == 0)
                        return den_error_set(err, -fd, "open directory \"%s\"", buf);
                slash = memrchr(buf, '/', have);
                have = slash ? (size_t) (slash - buf) : 0;
        }
        /* then each missing component below it; a directory just made is not a symlink, and
         * a name that exists but is not a directory fails O_NOFOLLOW|O_DIRECTORY */
        memcpy(buf, path, len + 1);
        for (start = have ? have + 1 : 0; start < len;) {
                size_t end = start + strcspn(buf + start, "/");
                char saved = buf[end];
                int nfd;

                buf[end] = '\0';
                if (mkdirat(fd, buf + start, 0755) == 0)
                        (void) !fchmodat(fd, buf + start, 0755, 0); /* whatever the umask */
                else if (errno != EEXIST)
                        return den_error_set(err, errno, "create directory \"%s\"", buf);
                nfd = openat(fd, buf + start, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (nfd < 0)
                        return den_error_set(err, errno, "open directory \"%s\"", buf);
                closep(&fd);
                fd = nfd;
                buf[end] = saved;
                start = end + 1;
        }
        return steal_fd(fd);
}

/* The fd of directory path inside the root, borrowed from the one-entry cache. */
static int get_parent(struct extract *x, const char *path, bool create, den_error **err)
{
        int fd;

        if (!*path)
                return x->root;
        if (x->parent_path && streq(x->parent_path, path))
                return x->parent_fd;
        fd = den_open_in_root(x->root, path, O_PATH | O_DIRECTORY, 0);
        if (fd == -ENOENT && create)
                fd = open_parent_creating(x, path, err);
        else if (fd < 0)
                return den_error_set(err, -fd, "open directory \"%s\"", path);
        if (fd < 0)
                return -1;
        closep(&x->parent_fd);
        free(x->parent_path);
        x->parent_fd = fd;
        x->parent_path = xstrdup(path);
        if (x->whiteouts == IMG_WHITEOUT_APPLY)
                pathset_add_with_parents(&x->seen, path);
        return fd;
}

/* Forgets the cached parent when it lies in the tree at path, which is about to be removed.
 * The fd an entry is working in is never forgotten: what it removes is below it. */
static void forget_parent_below(struct extract *x, const char *path)
{
        size_t n = strlen(path);

        if (x->parent_path && strncmp(x->parent_path, path, n) == 0 &&
            (x->parent_path[n] == '\0' || x->parent_path[n] == '/')) {
                closep(&x->parent_fd);
                x->parent_fd = -EBADF;
                free(x->parent_path);
                x->parent_path = NULL;
        }
}

/* Makes room for a new leaf: removes a non-directory, or a directory recursively unless
 * keep_dir. Returns 1 when an existing directory was kept. */
static int clear_leaf(struct extract *x, int pfd, const char *leaf, const char *path, bool keep_dir,
                      den_error **err)
{
        struct stat st;
        int r;

        if (fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : den_error_set(err, errno, "stat \"%s\"", path);
        if (S_ISDIR(st.st_mode)) {
                if (keep_dir)
                        return 1;
                forget_parent_below(x, path);
                r = den_rm_rf_at(pfd, leaf);
        } else {
                r = unlinkat(pfd, leaf, 0) < 0 ? -errno : 0;
        }
        if (r < 0 && r != -ENOENT)
                return den_error_set(err, -r, "remove \"%s\"", path);
        return 0;
}

/* ---------------------------------------------------------------- metadata */

struct meta {
        uid_t uid;
        gid_t gid;
        mode_t perm; /* with set-id and sticky bits */
        struct timespec times[2];
};

static int meta_read(struct archive_entry *e, const char *path, struct meta *m, den_error **err)
{
        int64_t uid = archive_entry_uid(e), gid = archive_entry_gid(e);

        if (uid < 0 || uid >= UINT32_MAX || gid < 0 || gid >= UINT32_MAX)
                return den_error_set(err, EINVAL,
                                     "entry \"%s\": invalid owner %" PRId64 ":%" PRId64, path, uid,
                                     gid);
        m->uid = (uid_t) uid;
        m->gid = (gid_t) gid;
        m->perm = archive_entry_perm(e) & 07777;
        m->times[0].tv_sec = archive_entry_mtime(e);
        m->times[0].tv_nsec = archive_entry_mtime_nsec(e);
        if (m->times[0].tv_nsec < 0 || m->times[0].tv_nsec >= 1000000000)
                m->times[0].tv_nsec = 0;
        m->times[1] = m->times[0];
        return 0;
}

static int chown_fail(const struct meta *m, const char *path, den_error **err)
{
        if (errno == EINVAL)
                return den_error_set(err, EINVAL,
                                     "entry \"%s\": owner %u:%u is not mapped in the user "
                                     "namespace",
                                     path, m->uid, m->gid);
        return den_error_set(err, errno, "entry \"%s\": chown to %u:%u", path, m->uid, m->gid);
}

static bool xattr_allowed(const char *name)
{
        if (den_str_has_prefix(name, "user.overlay."))
                return false;
        return den_str_has_prefix(name, "user.") || streq(name, "security.capability");
}

static int apply_xattrs(int fd, struct archive_entry *e, const char *path, den_error **err)
{
        const char *name;
        const void *value;
        size_t size;
        int n = 0;

        if (archive_entry_xattr_reset(e) == 0)
                return 0;
        while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
                if (++n > LAYER_MAX_XATTRS)
                        return den_error_set(err, E2BIG, "entry \"%s\": too many xattrs", path);
                if (size > LAYER_MAX_XATTR_SIZE || strlen(name) > 255)
                        return den_error_set(err, E2BIG, "entry \"%s\": xattr too large", path);
                if (!xattr_allowed(name)) {
                        den_debug("layer: \"%s\": dropping xattr %s", path, name);
                        continue;
                }
                if (fsetxattr(fd, name, value, size, 0) == 0)
                        continue;
                if (errno == EPERM || errno == ENOTSUP) {
                        den_debug("layer: \"%s\": set xattr %s: %s, ignoring", path, name,
                                  strerror(errno));
                        continue;
                }
                return den_error_set(err, errno, "entry \"%s\": set xattr %s", path, name);
        }
        return 0;
}

/* Owner, mode and xattrs through an fd, in the order that keeps set-id bits and caps. */
static int apply_meta_fd(int fd, struct archive_entry *e, const struct meta *m, const char *path,
                         den_error **err)
{
        if (fchown(fd, m->uid, m->gid) < 0)
                return chown_fail(m, path, err);
        if (fchmod(fd, m->perm) < 0)
                return den_error_set(err, errno, "entry \"%s\": chmod", path);
        return apply_xattrs(fd, e, path, err);
}

static void defer_dir_time(struct extract *x, const char *path, const struct meta *m)
{
        if (x->n_dirs == x->cap_dirs) {
                x->cap_dirs = x->cap_dirs ? x->cap_dirs * 2 : 256;
                x->dirs = xrealloc(x->dirs, x->cap_dirs * sizeof(*x->dirs));
        }
        x->dirs[x->n_dirs].path = xstrdup(path);
        memcpy(x->dirs[x->n_dirs].times, m->times, sizeof(m->times));
        x->n_dirs++;
}

/* ---------------------------------------------------------------- entries */

struct entry {
        struct archive_entry *e;
        const char *path; /* cleaned, never "" */
        const char *leaf;
        int pfd;
        struct meta m;
};

static int check_size(struct extract *x, const struct entry *en, den_error **err)
{
        int64_t size = archive_entry_size(en->e);

        if (size < 0)
                return den_error_set(err, EINVAL, "entry \"%s\": invalid size", en->path);
        if ((uint64_t) size > x->max_size)
                return den_error_set(err, EFBIG,
                                     "entry \"%s\": size exceeds the maximum uncompressed size "
                                     "of %" PRIu64 " bytes",
                                     en->path, x->max_size);
        return 0;
}

static int write_data(struct extract *x, struct archive *tar, int fd, const struct entry *en,
                      den_error **err)
{
        int64_t pos = 0, size = archive_entry_size(en->e);

        for (;;) {
                const void *buf;
                size_t n;
                la_int64_t off;
                int r = archive_read_data_block(tar, &buf, &n, &off);

                if (r == ARCHIVE_EOF)
                        break;
                if (r < ARCHIVE_WARN)
                        return archive_fail(x, tar, err, "read layer");
                if (off < 0 || (uint64_t) off > x->max_size || n > x->max_size - (uint64_t) off)
                        return den_error_set(err, EFBIG, "entry \"%s\": invalid data offset",
                                             en->path);
                if (off != pos && lseek(fd, off, SEEK_SET) < 0)
                        return den_error_set(err, errno, "entry \"%s\": seek", en->path);
                r = den_write_all(fd, buf, n);
                if (r < 0)
                        return den_error_set(err, -r, "entry \"%s\": write", en->path);
                pos = off + (int64_t) n;
        }
        if (size > pos && ftruncate(fd, size) < 0) /* a sparse file's trailing hole */
                return den_error_set(err, errno, "entry \"%s\": truncate", en->path);
        return 0;
}

static int create_file(struct extract *x, struct archive *tar, const struct entry *en,
                       den_error **err)
{
        _cleanup_close_ int fd = -EBADF;

        if (check_size(x, en, err) < 0)
                return -1;
        for (int attempt = 0;; attempt++) {
                fd = openat(en->pfd, en->leaf,
                            O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
                if (fd >= 0)
                        break;
                if (errno != EEXIST || attempt > 0)
                        return den_error_set(err, errno, "entry \"%s\": create", en->path);
                if (clear_leaf(x, en->pfd, en->leaf, en->path, false, err) < 0)
                        return -1;
        }
        if (write_data(x, tar, fd, en, err) < 0 ||
            apply_meta_fd(fd, en->e, &en->m, en->path, err) < 0)
                return -1;
        if (futimens(fd, en->m.times) < 0)
                return den_error_set(err, errno, "entry \"%s\": set times", en->path);
        return 0;
}

static int create_dir(struct extract *x, const struct entry *en, den_error **err)
{
        _cleanup_close_ int fd = -EBADF;

        if (mkdirat(en->pfd, en->leaf, 0700) < 0) {
                int r;

                if (errno != EEXIST)
                        return den_error_set(err, errno, "entry \"%s\": mkdir", en->path);
                r = clear_leaf(x, en->pfd, en->leaf, en->path, true, err);
                if (r < 0)
                        return -1;
                if (r == 0 && mkdirat(en->pfd, en->leaf, 0700) < 0)
                        return den_error_set(err, errno, "entry \"%s\": mkdir", en->path);
        }
        fd = openat(en->pfd, en->leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return den_error_set(err, errno, "entry \"%s\": open", en->path);
        if (apply_meta_fd(fd, en->e, &en->m, en->path, err) < 0)
                return -1;
        defer_dir_time(x, en->path, &en->m);
        return 0;
}

static int create_symlink(struct extract *x, const struct entry *en, den_error **err)
{
        const char *target = archive_entry_symlink(en->e);

        if (!target || !*target || strlen(target) >= PATH_MAX)
                return den_error_set(err, EINVAL, "entry \"%s\": invalid symlink target", en->path);
        for (int attempt = 0;; attempt++) {
                if (symlinkat(target, en->pfd, en->leaf) == 0)
                        break;
                if (errno != EEXIST || attempt > 0)
                        return den_error_set(err, errno, "entry \"%s\": symlink", en->path);
                if (clear_leaf(x, en->pfd, en->leaf, en->path, false, err) < 0)
                        return -1;
        }
        if (fchownat(en->pfd, en->leaf, en->m.uid, en->m.gid, AT_SYMLINK_NOFOLLOW) < 0)
                return chown_fail(&en->m, en->path, err);
        if (utimensat(en->pfd, en->leaf, en->m.times, AT_SYMLINK_NOFOLLOW) < 0)
                return den_error_set(err, errno, "entry \"%s\": set times", en->path);
        return 0;
}

static int create_node(struct extract *x, const struct entry *en, mode_t type, den_error **err)
{
        dev_t dev = type == S_IFIFO ? 0
                                    : makedev(archive_entry_rdevmajor(en->e),
                                              archive_entry_rdevminor(en->e));

        for (int attempt = 0;; attempt++) {
                if (mknodat(en->pfd, en->leaf, type | 0600, dev) == 0)
                        break;
                if (errno == EPERM && type != S_IFIFO) {
                        /* devices cannot be made in a user namespace; podman skips them too */
                        den_debug("layer: skipping device \"%s\"", en->path);
                        return 0;
                }
                if (errno != EEXIST || attempt > 0)
                        return den_error_set(err, errno, "entry \"%s\": mknod", en->path);
                if (clear_leaf(x, en->pfd, en->leaf, en->path, false, err) < 0)
                        return -1;
        }
        if (fchownat(en->pfd, en->leaf, en->m.uid, en->m.gid, AT_SYMLINK_NOFOLLOW) < 0)
                return chown_fail(&en->m, en->path, err);
        /* follows a symlink, but the leaf is the node made above and no one else writes here */
        if (fchmodat(en->pfd, en->leaf, en->m.perm, 0) < 0)
                return den_error_set(err, errno, "entry \"%s\": chmod", en->path);
        if (utimensat(en->pfd, en->leaf, en->m.times, AT_SYMLINK_NOFOLLOW) < 0)
                return den_error_set(err, errno, "entry \"%s\": set times", en->path);
        return 0;
}

static int create_hardlink(struct extract *x, const struct entry *en, den_error **err)
{
        _cleanup_free_ char *target = NULL;
        _cleanup_close_ int tfd = -EBADF;
        const char *tleaf;
        struct stat st;
        char *slash;

        if (path_clean(archive_entry_hardlink(en->e), "hardlink target", &target, err) < 0)
                return den_error_wrap(err, "entry \"%s\"", en->path);
        if (streq(target, en->path)) {
                den_debug("layer: \"%s\" is a hardlink to itself, skipping", en->path);
                return 0;
        }
        if (!*target)
                return den_error_set(err, EINVAL, "entry \"%s\": hardlink to the root", en->path);
        slash = strrchr(target, '/');
        if (slash)
                *slash = '\0';
        tleaf = slash ? slash + 1 : target;
        tfd = slash ? den_open_in_root(x->root, target, O_PATH | O_DIRECTORY, 0)
                    : fcntl(x->root, F_DUPFD_CLOEXEC, 3);
        if (tfd < 0 || fstatat(tfd, tleaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return den_error_set(err, tfd < 0 ? -tfd : errno, "entry \"%s\": hardlink target",
                                     en->path);
        if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
                return den_error_set(err, EPERM, "entry \"%s\": hardlink target is not a file",
                                     en->path);
        for (int attempt = 0;; attempt++) {
                if (linkat(tfd, tleaf, en->pfd, en->leaf, 0) == 0)
                        return 0;
                if (errno != EEXIST || attempt > 0)
                        return den_error_set(err, errno, "entry \"%s\": link", en->path);
                if (clear_leaf(x, en->pfd, en->leaf, en->path, false, err) < 0)
                        return -1;
        }
}

/* ---------------------------------------------------------------- whiteouts applied */

/* Removes, below the directory dfd (whose path is in *path), whatever this layer did not
 * create: the part of an opaque directory or a whited-out directory that came from earlier
 * layers. */
static int prune_children(struct extract *x, int dfd, struct den_buf *path, den_error **err)
{
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        size_t base = path->len;
        int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0 || !(d = fdopendir(fd))) {
                if (fd >= 0)
                        close(fd);
                return den_error_set(err, errno, "open directory \"%s\"", path->data);
        }
        while ((de = readdir(d))) {
                _cleanup_close_ int sub = -EBADF;
                int r;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                path->len = base;
                if (base > 0)
                        den_buf_append(path, "/", 1);
                den_buf_puts(path, de->d_name);
                if (!pathset_has(&x->seen, path->data)) {
                        forget_parent_below(x, path->data);
                        r = den_rm_rf_at(dirfd(d), de->d_name);
                        if (r < 0)
                                return den_error_set(err, -r, "remove \"%s\"", path->data);
                        continue;
                }
                sub = openat(dirfd(d), de->d_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub >= 0 && prune_children(x, sub, path, err) < 0)
                        return -1;
        }
        path->len = base;
        path->data[base] = '\0';
        return 0;
}

static int whiteout_apply(struct extract *x, int pfd, const char *parent, const char *name,
                          den_error **err)
{
        _cleanup_(den_buf_free) struct den_buf path = { 0 };
        _cleanup_close_ int sub = -EBADF;
        int r;

        den_buf_printf(&path, "%s%s%s", parent, *parent ? "/" : "", name);
        if (!pathset_has(&x->seen, path.data)) {
                forget_parent_below(x, path.data);
                r = den_rm_rf_at(pfd, name);
                return r < 0 ? den_error_set(err, -r, "whiteout \"%s\"", path.data) : 0;
        }
        /* this layer wrote below it too: keep that, drop the rest */
        if (pathset_has(&x->pruned, path.data))
                return 0;
        pathset_add(&x->pruned, path.data, path.len);
        sub = openat(pfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        return sub < 0 ? 0 : prune_children(x, sub, &path, err);
}

static int set_opaque(int pfd, const char *parent, den_error **err)
{
        _cleanup_close_ int fd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0 || fsetxattr(fd, OPAQUE_XATTR, "y", 1, 0) < 0)
                return den_error_set(err, errno, "mark \"%s\" opaque", *parent ? parent : "/");
        return 0;
}

static int whiteout_overlay(struct extract *x, int pfd, const char *path, const char *name,
                            den_error **err)
{
        for (int attempt = 0;; attempt++) {
                if (mknodat(pfd, name, S_IFCHR | 0, makedev(0, 0)) == 0)
                        return 0;
                if (errno != EEXIST || attempt > 0)
                        return den_error_set(err, errno, "create whiteout \"%s\"", path);
                if (clear_leaf(x, pfd, name, path, false, err) < 0)
                        return -1;
        }
}

/* Maps an OCI whiteout entry to the backend's format: overlay's 0:0 char devices and opaque
 * xattr, or deletion from dest. */
static int whiteout_entry(struct extract *x, enum img_whiteout_kind kind, const char *wname,
                          int pfd, const char *parent, const char *path, den_error **err)
{
        _cleanup_(den_buf_free) struct den_buf pb = { 0 };

        switch (kind) {
        case IMG_WH_NONE:
                return 0;
        case IMG_WH_RESERVED:
                den_debug("layer: ignoring reserved whiteout \"%s\"", path);
                return 0;
        case IMG_WH_INVALID:
                return den_error_set(err, EINVAL, "entry \"%s\": invalid whiteout", path);
        case IMG_WH_FILE:
                if (x->whiteouts == IMG_WHITEOUT_APPLY)
                        return whiteout_apply(x, pfd, parent, wname, err);
                den_buf_printf(&pb, "%s%s%s", parent, *parent ? "/" : "", wname);
                return whiteout_overlay(x, pfd, pb.data, wname, err);
        case IMG_WH_OPAQUE:
                if (pathset_has(&x->pruned, parent))
                        return 0;
                pathset_add(&x->pruned, parent, strlen(parent));
                if (x->whiteouts == IMG_WHITEOUT_APPLY) {
                        den_buf_puts(&pb, parent);
                        return prune_children(x, pfd, &pb, err);
                }
                return set_opaque(pfd, parent, err);
        default:
                abort();
        }
}

/* ---------------------------------------------------------------- the entry loop */

static int extract_root(struct extract *x, struct archive_entry *e, den_error **err)
{
        _cleanup_close_ int fd = -EBADF;
        struct meta m;

        if (archive_entry_hardlink(e) || archive_entry_filetype(e) != AE_IFDIR)
                return den_error_set(err, EINVAL, "entry \".\": the root must be a directory");
        if (meta_read(e, ".", &m, err) < 0)
                return -1;
        fd = openat(x->root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return den_error_set(err, errno, "open layer root");
        if (apply_meta_fd(fd, e, &m, ".", err) < 0)
                return -1;
        defer_dir_time(x, "", &m);
        return 0;
}

static int create_entry(struct extract *x, struct archive *tar, struct entry *en, den_error **err)
{
        mode_t type = archive_entry_filetype(en->e);

        if (meta_read(en->e, en->path, &en->m, err) < 0)
                return -1;
        if (archive_entry_hardlink(en->e))
                return create_hardlink(x, en, err);
        switch (type) {
        case AE_IFREG:
                return create_file(x, tar, en, err);
        case AE_IFDIR:
                return create_dir(x, en, err);
        case AE_IFLNK:
                return create_symlink(x, en, err);
        case AE_IFCHR:
        case AE_IFBLK:
        case AE_IFIFO:
                return create_node(x, en, type, err);
        default:
                return den_error_set(err, EINVAL, "entry \"%s\": unsupported type 0%o", en->path,
                                     (unsigned) type);
        }
}

static int extract_one(struct extract *x, struct archive *tar, struct archive_entry *e,
                       den_error **err)
{
        _cleanup_free_ char *path = NULL;
        _cleanup_free_ char *parent = NULL;
        struct entry en = { .e = e };
        enum img_whiteout_kind kind;
        const char *wname = NULL;
        char *slash;

        if (path_clean(archive_entry_pathname(e), "entry", &path, err) < 0)
                return -1;
        if (!*path)
                return extract_root(x, e, err);
        slash = strrchr(path, '/');
        parent = slash ? xstrndup(path, (size_t) (slash - path)) : xstrdup("");
        en.path = path;
        en.leaf = slash ? slash + 1 : path;
        en.pfd = get_parent(x, parent, true, err);
        if (en.pfd < 0)
                return den_error_wrap(err, "entry \"%s\"", path);
        kind = img_whiteout_classify(en.leaf, &wname);
        if (kind != IMG_WH_NONE)
                return whiteout_entry(x, kind, wname, en.pfd, parent, path, err);
        if (x->whiteouts == IMG_WHITEOUT_APPLY)
                pathset_add(&x->seen, path, strlen(path));
        return create_entry(x, tar, &en, err);
}

static int extract_entries(struct extract *x, struct archive *tar, den_error **err)
{
        for (;;) {
                struct archive_entry *e;
                int r = archive_read_next_header(tar, &e);

                if (r == ARCHIVE_EOF)
                        return 0;
                if (r < ARCHIVE_WARN)
                        return archive_fail(x, tar, err, "read layer");
                if (++x->n_entries > LAYER_MAX_ENTRIES)
                        return den_error_set(err, E2BIG, "layer has more than %u entries",
                                             LAYER_MAX_ENTRIES);
                if (extract_one(x, tar, e, err) < 0)
                        return -1;
        }
}

/* Directory times last (creating children changed them), then the opaque marks again. */
static int finish_dirs(struct extract *x, den_error **err)
{
        for (size_t i = 0; i < x->n_dirs; i++) {
                char *path = x->dirs[i].path;
                char *slash = strrchr(path, '/');
                const char *leaf = slash ? slash + 1 : (*path ? path : ".");
                den_error *ignored = NULL;
                struct stat st;
                int pfd;

                if (slash)
                        *slash = '\0';
                pfd = get_parent(x, slash ? path : "", false, &ignored);
                den_error_free(ignored);
                if (slash)
                        *slash = '/';
                /* a later entry may have removed or replaced it */
                if (pfd < 0 || fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                    !S_ISDIR(st.st_mode))
                        continue;
                if (utimensat(pfd, leaf, x->dirs[i].times, AT_SYMLINK_NOFOLLOW) < 0)
                        return den_error_set(err, errno, "entry \"%s\": set times", path);
        }
        for (size_t i = 0; x->whiteouts == IMG_WHITEOUT_OVERLAY && i < x->pruned.cap; i++) {
                const char *p = x->pruned.slots[i];
                _cleanup_close_ int fd = -EBADF;

                if (!p)
                        continue;
                fd = *p ? den_open_in_root(x->root, p, O_PATH | O_DIRECTORY | O_NOFOLLOW, 0)
                        : fcntl(x->root, F_DUPFD_CLOEXEC, 3);
                if (fd >= 0 && set_opaque(fd, p, err) < 0)
                        return -1;
        }
        return 0;
}

static int verify(const char *what, const char *expected, const char *got, den_error **err)
{
        if (expected && !streq(expected, got))
                return den_error_set(err, EINVAL, "verify layer: %s mismatch: expected %s, got %s",
                                     what, expected, got);
        return 0;
}

static void extract_free(struct extract *x)
{
        archive_read_freep(&x->raw);
        den_sha256_free(x->in_sha);
        den_sha256_free(x->tar_sha);
        den_error_free(x->cb_err);
        free(x->in_buf);
        closep(&x->parent_fd);
        free(x->parent_path);
        for (size_t i = 0; i < x->n_dirs; i++)
                free(x->dirs[i].path);
        free(x->dirs);
        pathset_clear(&x->seen);
        pathset_clear(&x->pruned);
}

/* After a failure: reads the rest of in_fd so that a corrupt download is reported as the
 * digest mismatch it is rather than as whatever the damaged bytes looked like. */
static void explain_failure(struct extract *x, den_error **err)
{
        char digest[72];
        den_error *mismatch = NULL;

        if (!x->opts || !x->opts->expected_digest || !x->in_sha)
                return;
        while (!x->in_eof && input_fill(x) >= 0)
                ;
        if (!x->in_eof)
                return;
        den_sha256_final(x->in_sha, digest);
        x->in_sha = NULL;
        if (verify("digest", x->opts->expected_digest, digest, &mismatch) < 0 && err) {
                den_error_free(*err);
                *err = mismatch;
        }
}

static int extract_run(struct extract *x, struct img_layer_result *ret, den_error **err)
{
        _cleanup_archive_read_ struct archive *tar = NULL;
        struct img_layer_result res = { 0 };
        const char *comp = NULL;

        if (streams_open(x, &tar, &comp, err) < 0 || extract_entries(x, tar, err) < 0 ||
            streams_drain(x, err) < 0 || finish_dirs(x, err) < 0)
                return -1;
        den_sha256_final(x->in_sha, res.digest);
        x->in_sha = NULL;
        if (x->tar_sha) {
                den_sha256_final(x->tar_sha, res.diff_id);
                x->tar_sha = NULL;
        } else {
                memcpy(res.diff_id, res.digest, sizeof(res.diff_id));
        }
        if (verify("digest", x->opts ? x->opts->expected_digest : NULL, res.digest, err) < 0 ||
            verify("diff_id", x->opts ? x->opts->expected_diff_id : NULL, res.diff_id, err) < 0)
                return -1;
        res.compressed_size = x->in_done;
        res.size = x->tar_size;
        res.compression = xstrdup(comp);
        if (ret)
                *ret = res;
        else
                free(res.compression);
        return 0;
}

int img_layer_extract(int in_fd, int dest_dfd, const struct img_layer_opts *opts,
                      struct img_layer_result *ret, den_error **err)
{
        struct extract x = {
                .root = dest_dfd,
                .whiteouts = opts ? opts->whiteouts : IMG_WHITEOUT_OVERLAY,
                .max_size = opts && opts->max_size ? opts->max_size : LAYER_DEFAULT_MAX_SIZE,
                .opts = opts,
                .in_fd = in_fd,
                .in_buf = xmalloc(LAYER_BUF_SIZE),
                .in_sha = den_sha256_new(),
                .parent_fd = -EBADF,
        };
        int r;

        if (opts && opts->expected_digest && !den_digest_is_valid(opts->expected_digest))
                r = den_error_set(err, EINVAL, "invalid expected digest \"%s\"",
                                  opts->expected_digest);
        else if (opts && opts->expected_diff_id && !den_digest_is_valid(opts->expected_diff_id))
                r = den_error_set(err, EINVAL, "invalid expected diff_id \"%s\"",
                                  opts->expected_diff_id);
        else
                r = extract_run(&x, ret, err);
        if (r < 0)
                explain_failure(&x, err);
        extract_free(&x);
        return r;
}

void img_layer_result_clear(struct img_layer_result *r)
{
        if (!r)
                return;
        free(r->compression);
        *r = (struct img_layer_result){ 0 };
}
