/* The store handle: default locations, opening and creating a store, store.json (driver and
 * id mapping), the store lock, the gc pin, and content-addressed blobs. */
#include <jansson.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include "storage/internal.h"

#define STORE_VERSION 1

static const char *const known_drivers[] = { "overlay", "fuse-overlayfs", "vfs" };

static bool driver_is_known(const char *d)
{
        for (size_t i = 0; i < ARRAY_SIZE(known_drivers); i++)
                if (streq(d, known_drivers[i]))
                        return true;
        return false;
}

char *store_default_root(void)
{
        const char *x = getenv("XDG_DATA_HOME");
        _cleanup_free_ char *home = NULL;

        /* the XDG spec says relative values are to be ignored */
        if (x && x[0] == '/')
                return den_path_join(x, "den");
        home = den_home_dir();
        return den_path_join(home, ".local/share/den");
}

char *store_default_runroot(void)
{
        const char *x = getenv("XDG_RUNTIME_DIR");
        struct stat st;

        if (x && x[0] == '/' && stat(x, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == getuid())
                return den_path_join(x, "den");
        return xasprintf("/tmp/den-%u", (unsigned) getuid());
}

/* An absolute spelling of p (relative to the working directory), without trailing slashes.
 * Symlinks are kept: the path is configuration, not untrusted content. */
static int path_absolute(const char *p, char **ret, den_error **err)
{
        _cleanup_free_ char *cwd = NULL;
        char *r;
        size_t n;

        if (!p || !*p)
                return den_error_set(err, EINVAL, "empty store path");
        if (p[0] == '/') {
                r = xstrdup(p);
        } else {
                cwd = getcwd(NULL, 0);
                if (!cwd)
                        return den_error_set(err, errno, "get working directory");
                r = den_path_join(cwd, p);
        }
        n = strlen(r);
        while (n > 1 && r[n - 1] == '/')
                r[--n] = '\0';
        *ret = r;
        return 0;
}

/* The fallback runroot lives in the world-writable /tmp, where another user could have made
 * it first: "/tmp/den-<digits>" must be a real directory (no symlink) that is ours and 0700.
 * Other runroots were chosen by the user and are only created when missing. */
static bool runroot_is_shared_tmp(const char *p)
{
        const char *d = p + strlen("/tmp/den-");

        if (!den_str_has_prefix(p, "/tmp/den-") || !*d)
                return false;
        for (; *d; d++)
                if (*d < '0' || *d > '9')
                        return false;
        return true;
}

static int runroot_prepare(const char *p, den_error **err)
{
        bool is_tmp = runroot_is_shared_tmp(p);
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        int r;

        if (is_tmp)
                r = mkdir(p, 0700) < 0 && errno != EEXIST ? -errno : 0;
        else
                r = den_mkdir_p_at(AT_FDCWD, p, 0700);
        if (r < 0)
                return den_error_set(err, -r, "create runroot \"%s\"", p);
        fd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC | (is_tmp ? O_NOFOLLOW : 0));
        if (fd < 0 || fstat(fd, &st) < 0)
                return den_error_set(err, errno, "open runroot \"%s\"", p);
        if (is_tmp && (st.st_uid != geteuid() || (st.st_mode & 07777) != 0700))
                return den_error_set(err, 0,
                                     "runroot \"%s\" is not a directory of uid %u with mode "
                                     "0700 (owner %u, mode %04o): remove it or use --runroot",
                                     p, (unsigned) geteuid(), (unsigned) st.st_uid,
                                     (unsigned) (st.st_mode & 07777));
        return 0;
}

/* ---------------------------------------------------------------- store.json */

struct store_meta {
        int64_t version;
        char *driver;
        char *idmap; /* "" when the store was created without a mapping */
};

static void meta_clear(struct store_meta *m)
{
        free(m->driver);
        free(m->idmap);
        *m = (struct store_meta){ 0 };
}

static int meta_field(const char *key, json_t *v, struct store_meta *m, den_error **err)
{
        if (streq(key, "version")) {
                if (!json_is_integer(v) || json_integer_value(v) != STORE_VERSION)
                        return den_error_set(err, 0, "unsupported \"version\" (want %d)",
                                             STORE_VERSION);
                m->version = json_integer_value(v);
        } else if (streq(key, "driver")) {
                if (!json_is_string(v) || !driver_is_known(json_string_value(v)))
                        return den_error_set(err, 0,
                                             "\"driver\": not overlay, fuse-overlayfs or vfs");
                m->driver = xstrdup(json_string_value(v));
        } else if (streq(key, "idmap")) {
                if (!json_is_string(v) || json_string_length(v) > STORE_MAX_STR ||
                    strlen(json_string_value(v)) != json_string_length(v))
                        return den_error_set(err, 0, "\"idmap\": not a string");
                m->idmap = xstrdup(json_string_value(v));
        } else {
                return den_error_set(err, 0, "unknown key \"%s\"", key);
        }
        return 0;
}

static int meta_parse(const char *buf, size_t len, struct store_meta *ret, den_error **err)
{
        struct store_meta m = { 0 };
        json_error_t jerr;
        json_auto_t *j = store_json_load(buf, len, &jerr);
        const char *key;
        json_t *v;

        if (!j)
                return den_error_set(err, 0, "%s (line %d)", jerr.text, jerr.line);
        if (!json_is_object(j))
                return den_error_set(err, 0, "not a JSON object");
        json_object_foreach (j, key, v) {
                if (meta_field(key, v, &m, err) < 0) {
                        meta_clear(&m);
                        return -1;
                }
        }
        if (!m.version || !m.driver || !m.idmap) {
                meta_clear(&m);
                return den_error_set(err, 0, "missing \"version\", \"driver\" or \"idmap\"");
        }
        *ret = m;
        return 0;
}

/* Reads store.json: 0 with *ret filled, 1 when it does not exist, -1 on error. */
static int meta_read(struct store *s, struct store_meta *ret, den_error **err)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        int r;

        if (s->root_dfd < 0)
                return 1;
        r = den_read_file_at(s->root_dfd, "store.json", STORE_MAX_SMALL_JSON, &buf, &len);
        if (r == -ENOENT)
                return 1;
        if (r < 0)
                return den_error_set(err, -r, "read \"%s/store.json\"", s->root);
        if (meta_parse(buf, len, ret, err) < 0)
                return den_error_wrap(err, "parse \"%s/store.json\"", s->root);
        return 0;
}

static int meta_write(struct store *s, const char *driver, const char *idmap, den_error **err)
{
        json_auto_t *j = json_pack("{s:i, s:s, s:s}", "version", STORE_VERSION, "driver", driver,
                                   "idmap", idmap);
        _cleanup_free_ char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
        int r;

        if (!text)
                return den_error_set(err, EINVAL, "encode store.json");
        r = den_write_file_atomic_at(s->root_dfd, "store.json", text, strlen(text), 0600);
        if (r < 0)
                return den_error_set(err, -r, "write \"%s/store.json\"", s->root);
        return 0;
}

static int meta_check(struct store *s, const struct store_meta *m, const struct store_opts *o,
                      den_error **err)
{
        if (o->driver && !streq(o->driver, m->driver))
                return den_error_set(err, 0,
                                     "store \"%s\" was created with driver %s, now %s: remove "
                                     "it (rm -rf %s) or use --root",
                                     s->root, m->driver, o->driver, s->root);
        if (o->idmap_key && *m->idmap && !streq(o->idmap_key, m->idmap))
                return den_error_set(err, 0,
                                     "store \"%s\" was created with id mapping %s, now %s: "
                                     "remove it (rm -rf %s) or use --root",
                                     s->root, m->idmap, o->idmap_key, s->root);
        return 0;
}

static const char *new_driver(const struct store_opts *o)
{
        return o->driver ? o->driver : o->default_driver ? o->default_driver : "overlay";
}

/* Creates store.json on the first writable open and records the id mapping once one is
 * known; under the lock, so two first opens agree on one file. */
static int meta_create(struct store *s, const struct store_opts *o, struct store_meta *m,
                       den_error **err)
{
        _cleanup_close_ int lock = store_lock(s, err);
        const char *driver = new_driver(o);
        int r;

        if (lock < 0)
                return -1;
        meta_clear(m);
        r = meta_read(s, m, err);
        if (r < 0)
                return -1;
        if (r == 0 && meta_check(s, m, o, err) < 0)
                return -1;
        if (r == 0 && (!o->idmap_key || *m->idmap))
                return 0; /* someone else got here first, with a compatible mapping */
        if (r == 0)
                driver = m->driver;
        if (meta_write(s, driver, o->idmap_key ? o->idmap_key : "", err) < 0)
                return -1;
        meta_clear(m);
        return meta_read(s, m, err) == 0 ? 0 : den_error_set(err, EIO, "store.json vanished");
}

static int meta_load(struct store *s, const struct store_opts *o, den_error **err)
{
        struct store_meta m = { 0 };
        int r = meta_read(s, &m, err);

        if (r < 0)
                return -1;
        if (r == 0 && meta_check(s, &m, o, err) < 0) {
                meta_clear(&m);
                return -1;
        }
        if (!s->is_read_only && (r == 1 || (o->idmap_key && !*m.idmap))) {
                if (meta_create(s, o, &m, err) < 0) {
                        meta_clear(&m);
                        return -1;
                }
                r = 0;
        }
        if (r == 0)
                s->driver = steal_ptr(m.driver);
        else
                s->driver = xstrdup(new_driver(o));
        meta_clear(&m);
        return 0;
}

/* ---------------------------------------------------------------- open */

/* Opens dfd/name as O_PATH; a read-only store may lack it. */
static int open_dir(struct store *s, int dfd, const char *name, int *ret, den_error **err)
{
        int fd = -EBADF;

        if (dfd >= 0)
                fd = openat(dfd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 && (dfd < 0 || errno == ENOENT) && s->is_read_only) {
                *ret = -EBADF;
                return 0;
        }
        if (fd < 0)
                return den_error_set(err, errno, "open \"%s/%s\"", s->root, name);
        *ret = fd;
        return 0;
}

/* Why: on an ext4 without a journal, allocating an inode skips every inode freed in the last
 * 30 seconds of its block group, one buffer lookup each, so extracting a layer right after
 * an image or a container was removed costs time quadratic in the files removed (measured
 * here: 130-250 us per file instead of 17). A top directory starts each layer in a block group
 * of its own choosing, away from the freed inodes; on a journalled ext4 it only spreads the
 * trees, and other filesystems refuse or ignore the flag. */
void store_dir_spread_at(int dfd, const char *name)
{
        _cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int flags = 0;

        if (fd < 0 || ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0 || (flags & FS_TOPDIR_FL))
                return;
        flags |= FS_TOPDIR_FL;
        if (ioctl(fd, FS_IOC_SETFLAGS, &flags) < 0)
                den_debug("mark \"%s\" as a top directory: %s, ignoring", name, strerror(errno));
}

static int open_dirs(struct store *s, den_error **err)
{
        static const char *const subdirs[] = { "layers", "blobs", "blobs/sha256" };
        int r;

        if (!s->is_read_only) {
                r = den_mkdir_p_at(AT_FDCWD, s->root, 0700);
                if (r < 0)
                        return den_error_set(err, -r, "create store \"%s\"", s->root);
        }
        s->root_dfd = open(s->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (s->root_dfd < 0) {
                if (errno == ENOENT && s->is_read_only)
                        return 0;
                return den_error_set(err, errno, "open store \"%s\"", s->root);
        }
        for (size_t i = 0; !s->is_read_only && i < ARRAY_SIZE(subdirs); i++) {
                if (mkdirat(s->root_dfd, subdirs[i], 0700) == 0) {
                        if (streq(subdirs[i], "layers"))
                                store_dir_spread_at(s->root_dfd, subdirs[i]);
                } else if (errno != EEXIST) {
                        return den_error_set(err, errno, "create \"%s/%s\"", s->root, subdirs[i]);
                }
        }
        if (open_dir(s, s->root_dfd, "layers", &s->layers_dfd, err) < 0 ||
            open_dir(s, s->root_dfd, "blobs/sha256", &s->blobs_dfd, err) < 0)
                return -1;
        return 0;
}

int store_open(const struct store_opts *opts, struct store **ret, den_error **err)
{
        _cleanup_(store_freep) struct store *s = xcalloc(1, sizeof(*s));
        _cleanup_free_ char *root = NULL;
        _cleanup_free_ char *runroot = NULL;

        s->root_dfd = s->layers_dfd = s->blobs_dfd = s->pin_fd = -EBADF;
        pthread_mutex_init(&s->pin_mu, NULL);
        s->is_read_only = opts->is_read_only;
        if (opts->default_driver && !driver_is_known(opts->default_driver))
                return den_error_set(err, 0, "unknown storage driver \"%s\"", opts->default_driver);
        if (opts->driver && !driver_is_known(opts->driver))
                return den_error_set(err, EINVAL,
                                     "unknown storage driver \"%s\" (overlay, fuse-overlayfs, "
                                     "vfs)",
                                     opts->driver);
        root = opts->root ? xstrdup(opts->root) : store_default_root();
        runroot = opts->runroot ? xstrdup(opts->runroot) : store_default_runroot();
        if (path_absolute(root, &s->root, err) < 0 || path_absolute(runroot, &s->runroot, err) < 0)
                return -1;
        if (!s->is_read_only && runroot_prepare(s->runroot, err) < 0)
                return -1;
        if (open_dirs(s, err) < 0 || meta_load(s, opts, err) < 0)
                return -1;
        *ret = steal_ptr(s);
        return 0;
}

void store_free(struct store *s)
{
        if (!s)
                return;
        closep(&s->pin_fd);
        closep(&s->root_dfd);
        closep(&s->layers_dfd);
        closep(&s->blobs_dfd);
        pthread_mutex_destroy(&s->pin_mu);
        free(s->root);
        free(s->runroot);
        free(s->driver);
        free(s);
}

const char *store_root(const struct store *s)
{
        return s->root;
}

const char *store_runroot(const struct store *s)
{
        return s->runroot;
}

const char *store_driver(const struct store *s)
{
        return s->driver;
}

int store_check_writable(struct store *s, den_error **err)
{
        if (s->is_read_only || s->root_dfd < 0)
                return den_error_set(err, EROFS, "store \"%s\" is open read-only", s->root);
        return 0;
}

int store_lock(struct store *s, den_error **err)
{
        int fd;

        if (store_check_writable(s, err) < 0)
                return -1;
        fd = den_lock_at(s->root_dfd, "store.lock", true);
        if (fd < 0)
                return den_error_set(err, -fd, "lock store \"%s\"", s->root);
        return fd;
}

/* ---------------------------------------------------------------- gc pin */

void store_pin(struct store *s)
{
        if (s->is_read_only || s->root_dfd < 0)
                return;
        pthread_mutex_lock(&s->pin_mu);
        if (s->pin_fd < 0) {
                /* Blocks while a gc runs, so a layer found present stays present. Failing to
                 * pin only means a concurrent gc could race us; the store stays consistent
                 * (store_image_add checks layers under the lock). */
                int fd = den_lock_at(s->root_dfd, "gc.lock", false);

                if (fd >= 0)
                        s->pin_fd = fd;
        }
        pthread_mutex_unlock(&s->pin_mu);
}

void store_unpin(struct store *s)
{
        pthread_mutex_lock(&s->pin_mu);
        closep(&s->pin_fd);
        s->pin_fd = -EBADF;
        pthread_mutex_unlock(&s->pin_mu);
}

/* Returns the fd holding gc.lock exclusively, -EWOULDBLOCK when a pin is held, or -errno. */
static int gc_trylock(struct store *s)
{
        _cleanup_close_ int fd =
                openat(s->root_dfd, "gc.lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

        if (fd < 0)
                return -errno;
        while (flock(fd, LOCK_EX | LOCK_NB) < 0)
                if (errno != EINTR)
                        return errno == EAGAIN ? -EWOULDBLOCK : -errno;
        return steal_fd(fd);
}

static bool blob_is_referenced(const char *hex, struct store_image *const *imgs, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                const char *m = imgs[i]->manifest_digest, *c = imgs[i]->config_digest;

                if ((m && den_str_has_prefix(m, "sha256:") && streq(m + 7, hex)) ||
                    (c && den_str_has_prefix(c, "sha256:") && streq(c + 7, hex)))
                        return true;
        }
        return false;
}

/* Removes blobs no image references, and temp files of writers that died. */
static int blobs_gc(struct store *s, struct store_image *const *imgs, size_t n, den_error **err)
{
        int fd = openat(s->blobs_dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        time_t now = time(NULL);
        struct dirent *de;
        struct stat st;
        int r = 0;

        if (!d) {
                if (fd >= 0)
                        close(fd);
                return den_error_set(err, errno, "open \"%s/blobs/sha256\"", s->root);
        }
        while ((de = readdir(d))) {
                bool is_unused = den_hex_is_valid(de->d_name, 64) &&
                                 !blob_is_referenced(de->d_name, imgs, n);
                bool is_debris = den_str_has_prefix(de->d_name, ".tmp-") &&
                                 fstatat(s->blobs_dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                                 st.st_mtime < now - STORE_STALE_SECS;

                if ((is_unused || is_debris) && unlinkat(s->blobs_dfd, de->d_name, 0) < 0 &&
                    errno != ENOENT && r == 0)
                        r = den_error_set(err, errno, "remove blob %s", de->d_name);
        }
        return r;
}

int store_gc_locked(struct store *s, struct store_image *const *imgs, size_t n, den_error **err)
{
        _cleanup_close_ int gc = -EBADF;
        int r;

        store_stages_gc(s);
        gc = gc_trylock(s);
        if (gc == -EWOULDBLOCK) {
                den_debug("store gc: a layer or blob writer is active, leaving unused content");
                return 0;
        }
        if (gc < 0)
                return den_error_set(err, -gc, "lock \"%s/gc.lock\"", s->root);
        r = store_layers_gc_unused(s, imgs, n, err);
        if (blobs_gc(s, imgs, n, err) < 0)
                r = -1;
        return r;
}

/* ---------------------------------------------------------------- blobs */

static int blob_hex(const char *digest, const char **ret, den_error **err)
{
        if (!digest || !den_digest_is_valid(digest))
                return den_error_set(err, EINVAL, "invalid digest \"%s\"", digest ? digest : "");
        if (!den_str_has_prefix(digest, "sha256:"))
                return den_error_set(err, ENOTSUP, "unsupported digest algorithm in \"%s\"",
                                     digest);
        *ret = digest + 7;
        return 0;
}

int store_blob_read(struct store *s, const char *digest, size_t max, char **ret, size_t *ret_len,
                    den_error **err)
{
        const char *hex = NULL;
        int r;

        if (blob_hex(digest, &hex, err) < 0)
                return -1;
        if (s->blobs_dfd < 0)
                return den_error_set(err, ENOENT, "blob %s not known", digest);
        r = den_read_file_at(s->blobs_dfd, hex, max, ret, ret_len);
        if (r == -ENOENT)
                return den_error_set(err, ENOENT, "blob %s not known", digest);
        if (r == -EFBIG)
                return den_error_set(err, EFBIG, "blob %s is larger than %zu bytes", digest, max);
        if (r < 0)
                return den_error_set(err, -r, "read blob %s", digest);
        return 0;
}

int store_blob_write(struct store *s, const void *data, size_t len, const char *expected_digest,
                     char ret_digest[72], den_error **err)
{
        const char *hex = NULL;
        char got[72];
        int r;

        if (expected_digest && blob_hex(expected_digest, &hex, err) < 0)
                return -1;
        den_sha256_buf(data, len, got);
        if (expected_digest && !streq(expected_digest, got))
                return den_error_set(err, 0, "blob digest mismatch: expected %s, got %s",
                                     expected_digest, got);
        if (store_check_writable(s, err) < 0)
                return -1;
        store_pin(s);
        /* content-addressed: a blob already present was verified when it came in */
        if (faccessat(s->blobs_dfd, got + 7, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
                r = den_write_file_atomic_at(s->blobs_dfd, got + 7, data, len, 0600);
                if (r < 0)
                        return den_error_set(err, -r, "write blob %s", got);
        }
        if (ret_digest)
                memcpy(ret_digest, got, sizeof(got));
        return 0;
}
