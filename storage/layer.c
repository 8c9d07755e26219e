/* Layers: extracted diffs keyed by diff_id. A layer is extracted into a private stage
 * directory and renamed into place in one step, so layers/<hex> is always complete; each
 * stage holds a flock on its own lock file, so gc can tell a live stage from a dead one. */
#include <inttypes.h>
#include <jansson.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include "storage/internal.h"

#define STAGE_PREFIX ".stage-"
#define REMOVE_PREFIX ".remove-"

/* The public stage plus what only this file needs. */
struct stage {
        struct store_stage pub;
        int stage_dfd; /* O_PATH of layers/.stage-<rand> */
        int lock_fd;   /* flock held on layers/.stage-<rand>/lock while the stage lives */
};

const char *store_layer_hex(const char *diff_id)
{
        if (!diff_id || !den_digest_is_valid(diff_id))
                return NULL;
        return den_digest_hex(diff_id);
}

static const char *stage_base(const struct store_stage *st)
{
        return st->name + strlen("layers/");
}

bool store_layer_exists(struct store *s, const char *diff_id)
{
        const char *hex = store_layer_hex(diff_id);
        _cleanup_free_ char *p = NULL;

        if (!hex || s->layers_dfd < 0)
                return false;
        /* the caller may skip fetching it now: keep gc from removing it before the image
         * that will reference it is added */
        store_pin(s);
        p = xasprintf("%s/layer.json", hex);
        return faccessat(s->layers_dfd, p, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

static void stage_close(struct stage *st)
{
        closep(&st->pub.dfd);
        closep(&st->stage_dfd);
        closep(&st->lock_fd);
        free(st->pub.name);
        free(st);
}

static int stage_fill(struct store *s, struct stage *st, den_error **err)
{
        const char *base = stage_base(&st->pub);

        st->stage_dfd = openat(s->layers_dfd, base, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (st->stage_dfd < 0)
                return den_error_set(err, errno, "open \"%s/%s\"", s->root, st->pub.name);
        st->lock_fd = den_lock_at(st->stage_dfd, "lock", true);
        if (st->lock_fd < 0)
                return den_error_set(err, -st->lock_fd, "lock \"%s/%s\"", s->root, st->pub.name);
        if (mkdirat(st->stage_dfd, "diff", 0755) < 0)
                return den_error_set(err, errno, "create \"%s/%s/diff\"", s->root, st->pub.name);
        st->pub.dfd =
                openat(st->stage_dfd, "diff", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (st->pub.dfd < 0)
                return den_error_set(err, errno, "open \"%s/%s/diff\"", s->root, st->pub.name);
        /* the diff's root is the container's "/" when the layer has no "./" entry: 0755
         * whatever the umask */
        if (fchmod(st->pub.dfd, 0755) < 0)
                return den_error_set(err, errno, "chmod \"%s/%s/diff\"", s->root, st->pub.name);
        return 0;
}

int store_layer_stage(struct store *s, struct store_stage **ret, den_error **err)
{
        struct stage *st = NULL;
        char rnd[33];

        if (store_check_writable(s, err) < 0)
                return -1;
        store_pin(s);
        den_random_hex(rnd, 16);
        st = xcalloc(1, sizeof(*st));
        st->pub.dfd = st->stage_dfd = st->lock_fd = -EBADF;
        st->pub.name = xasprintf("layers/" STAGE_PREFIX "%s", rnd);
        if (mkdirat(s->layers_dfd, stage_base(&st->pub), 0700) < 0) {
                den_error_set(err, errno, "create \"%s/%s\"", s->root, st->pub.name);
                stage_close(st);
                return -1;
        }
        if (stage_fill(s, st, err) < 0) {
                (void) den_rm_rf_at(s->layers_dfd, stage_base(&st->pub));
                stage_close(st);
                return -1;
        }
        *ret = &st->pub;
        return 0;
}

static int layer_json_write(struct store *s, struct stage *st, const char *diff_id, uint64_t size,
                            den_error **err)
{
        json_auto_t *j = NULL;
        _cleanup_free_ char *text = NULL;
        int r;

        if (size > INT64_MAX)
                return den_error_set(err, EINVAL, "layer size %" PRIu64 " out of range", size);
        j = json_pack("{s:s, s:I, s:I}", "diff_id", diff_id, "size", (json_int_t) size, "created",
                      (json_int_t) time(NULL));
        text = j ? json_dumps(j, JSON_COMPACT) : NULL;
        if (!text)
                return den_error_set(err, EINVAL, "encode layer.json");
        r = den_write_file_atomic_at(st->stage_dfd, "layer.json", text, strlen(text), 0600);
        if (r < 0)
                return den_error_set(err, -r, "write \"%s/%s/layer.json\"", s->root, st->pub.name);
        return 0;
}

static void layers_dir_sync(struct store *s)
{
        _cleanup_close_ int fd = openat(s->layers_dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd >= 0)
                (void) fsync(fd);
}

int store_layer_commit(struct store *s, struct store_stage *pub, const char *diff_id, uint64_t size,
                       den_error **err)
{
        struct stage *st = (struct stage *) pub;
        const char *hex = store_layer_hex(diff_id);
        _cleanup_free_ char *lock = NULL;
        int r;

        if (!hex)
                return den_error_set(err, EINVAL, "invalid layer id \"%s\"", diff_id);
        if (pub->is_committed)
                return den_error_set(err, EINVAL, "stage %s is already committed", pub->name);
        if (!store_layer_exists(s, diff_id)) {
                if (layer_json_write(s, st, diff_id, size, err) < 0)
                        return -1;
                /* the extracted files must be on disk before the name says they are
                 * complete; one syncfs beats an fsync per file */
                if (syncfs(pub->dfd) < 0)
                        return den_error_set(err, errno, "sync layer %.12s", hex);
                r = renameat2(s->layers_dfd, stage_base(pub), s->layers_dfd, hex, RENAME_NOREPLACE);
                if (r < 0 && (errno == EINVAL || errno == ENOSYS))
                        /* COMPAT(fs without RENAME_NOREPLACE): a non-empty target directory
                         * makes rename fail the same way */
                        r = renameat(s->layers_dfd, stage_base(pub), s->layers_dfd, hex);
                if (r == 0) {
                        lock = xasprintf("%s/lock", hex);
                        (void) unlinkat(s->layers_dfd, lock, 0);
                        layers_dir_sync(s);
                        pub->is_committed = true;
                        return 0;
                }
                if (errno != EEXIST && errno != ENOTEMPTY)
                        return den_error_set(err, errno, "rename \"%s/%s\" to layer %.12s", s->root,
                                             pub->name, hex);
        }
        /* another process committed the same layer first: ours is redundant */
        (void) store_remove_tree(s->layers_dfd, stage_base(pub));
        pub->is_committed = true;
        return 0;
}

void store_stage_free(struct store *s, struct store_stage *pub)
{
        struct stage *st = (struct stage *) pub;

        if (!pub)
                return;
        closep(&pub->dfd);
        pub->dfd = -EBADF;
        if (!pub->is_committed)
                (void) store_remove_tree(s->layers_dfd, stage_base(pub));
        stage_close(st);
}

int store_layer_open(struct store *s, const char *diff_id, int *ret_dfd, den_error **err)
{
        const char *hex = store_layer_hex(diff_id);
        _cleanup_free_ char *p = NULL;
        int fd;

        if (!hex)
                return den_error_set(err, EINVAL, "invalid layer id \"%s\"", diff_id);
        if (s->layers_dfd < 0)
                return den_error_set(err, ENOENT, "open layer %.12s", hex);
        p = xasprintf("%s/diff", hex);
        fd = openat(s->layers_dfd, p, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return den_error_set(err, errno, "open layer %.12s", hex);
        *ret_dfd = fd;
        return 0;
}

char *store_layer_path(struct store *s, const char *diff_id)
{
        const char *colon = strchr(diff_id, ':');

        return xasprintf("%s/layers/%s/diff", s->root, colon ? colon + 1 : diff_id);
}

uint64_t store_layer_size(struct store *s, const char *diff_id)
{
        const char *hex = store_layer_hex(diff_id);
        _cleanup_free_ char *p = NULL;
        _cleanup_free_ char *buf = NULL;
        json_auto_t *j = NULL;
        json_t *v;
        size_t len = 0;

        if (!hex || s->layers_dfd < 0)
                return 0;
        p = xasprintf("%s/layer.json", hex);
        if (den_read_file_at(s->layers_dfd, p, STORE_MAX_SMALL_JSON, &buf, &len) < 0)
                return 0;
        j = store_json_load(buf, len, NULL);
        v = json_object_get(j, "size");
        if (!json_is_integer(v) || json_integer_value(v) < 0)
                return 0;
        return (uint64_t) json_integer_value(v);
}

/* Files kept beside a layer's diff are named by den itself; still, a name is one plain
 * component that does not shadow the layer's own entries. */
static bool side_file_name_is_valid(const char *name)
{
        static const char *const reserved[] = { "diff", "lock", "layer.json" };

        if (!name || !*name || name[0] == '.' || strchr(name, '/') || strlen(name) > NAME_MAX)
                return false;
        for (size_t i = 0; i < ARRAY_SIZE(reserved); i++)
                if (streq(name, reserved[i]))
                        return false;
        return true;
}

int store_stage_put_file(struct store *s, struct store_stage *pub, const char *name,
                         const void *data, size_t len, den_error **err)
{
        struct stage *st = (struct stage *) pub;
        int r;

        if (!side_file_name_is_valid(name))
                return den_error_set(err, EINVAL, "invalid layer file name \"%s\"",
                                     name ? name : "");
        if (pub->is_committed)
                return den_error_set(err, EINVAL, "stage %s is already committed", pub->name);
        r = den_write_file_atomic_at(st->stage_dfd, name, data, len, 0600);
        if (r < 0)
                return den_error_set(err, -r, "write \"%s/%s/%s\"", s->root, pub->name, name);
        return 0;
}

int store_layer_open_file(struct store *s, const char *diff_id, const char *name, int *ret_fd,
                          den_error **err)
{
        const char *hex = store_layer_hex(diff_id);
        _cleanup_free_ char *p = NULL;
        int fd;

        if (!hex)
                return den_error_set(err, EINVAL, "invalid layer id \"%s\"", diff_id);
        if (!side_file_name_is_valid(name))
                return den_error_set(err, EINVAL, "invalid layer file name \"%s\"",
                                     name ? name : "");
        if (s->layers_dfd < 0)
                return den_error_set(err, ENOENT, "layer %.12s has no %s", hex, name);
        p = xasprintf("%s/%s", hex, name);
        fd = openat(s->layers_dfd, p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 && errno == ENOENT)
                return den_error_set(err, ENOENT, "layer %.12s has no %s", hex, name);
        if (fd < 0)
                return den_error_set(err, errno, "open \"%s/layers/%s\"", s->root, p);
        *ret_fd = fd;
        return 0;
}

/* ---------------------------------------------------------------- gc */

int store_remove_tree(int dfd, const char *name)
{
        char rnd[17];
        char tmp[sizeof(REMOVE_PREFIX) + sizeof(rnd)];

        /* rename first: a half-removed layer must never look like a present one */
        den_random_hex(rnd, 8);
        snprintf(tmp, sizeof(tmp), REMOVE_PREFIX "%s", rnd);
        if (renameat(dfd, name, dfd, tmp) < 0)
                return errno == ENOENT ? 0 : -errno;
        return den_rm_rf_at(dfd, tmp);
}

/* A stage is dead when it is old and its lock is free (its process is gone); it is removed
 * while this holds the lock, so it cannot come back to life in between. */
static void stage_gc_one(struct store *s, const char *name, time_t now)
{
        _cleanup_close_ int sfd = -EBADF;
        _cleanup_close_ int lfd = -EBADF;
        struct stat st;

        if (fstatat(s->layers_dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode) ||
            st.st_mtime > now - STORE_STALE_SECS)
                return;
        sfd = openat(s->layers_dfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sfd < 0)
                return;
        lfd = openat(sfd, "lock", O_RDWR | O_NOFOLLOW | O_CLOEXEC);
        if (lfd < 0 && errno != ENOENT)
                return;
        if (lfd >= 0 && flock(lfd, LOCK_EX | LOCK_NB) < 0)
                return; /* a live process is extracting into it */
        den_debug("store gc: removing stale %s", name);
        (void) store_remove_tree(s->layers_dfd, name);
}

void store_stages_gc(struct store *s)
{
        int fd = s->layers_dfd < 0 ? -EBADF
                                   : openat(s->layers_dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        time_t now = time(NULL);
        struct dirent *de;

        if (!d) {
                if (fd >= 0)
                        close(fd);
                return;
        }
        while ((de = readdir(d))) {
                if (den_str_has_prefix(de->d_name, STAGE_PREFIX))
                        stage_gc_one(s, de->d_name, now);
                else if (den_str_has_prefix(de->d_name, REMOVE_PREFIX))
                        (void) den_rm_rf_at(s->layers_dfd, de->d_name);
        }
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The hex of every layer imgs reference, sorted for bsearch. */
static char **referenced_layers(struct store_image *const *imgs, size_t n, size_t *ret_n)
{
        char **v = NULL;
        size_t k = 0, cap = 0;

        for (size_t i = 0; i < n; i++) {
                for (size_t j = 0; imgs[i]->layers && imgs[i]->layers[j]; j++) {
                        const char *hex = store_layer_hex(imgs[i]->layers[j]);

                        if (!hex)
                                continue;
                        if (k == cap) {
                                cap = cap ? cap * 2 : 64;
                                v = xrealloc(v, cap * sizeof(*v));
                        }
                        v[k++] = (char *) hex;
                }
        }
        if (k)
                qsort(v, k, sizeof(*v), cmp_str);
        *ret_n = k;
        return v;
}

static bool name_is_layer(const char *name)
{
        size_t n = strlen(name);

        return (n == 64 || n == 128) && den_hex_is_valid(name, n);
}

int store_layers_gc_unused(struct store *s, struct store_image *const *imgs, size_t n,
                           den_error **err)
{
        int fd = openat(s->layers_dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        _cleanup_free_ char **used = NULL;
        size_t n_used = 0;
        struct dirent *de;
        int r = 0, q;

        if (!d) {
                if (fd >= 0)
                        close(fd);
                return den_error_set(err, errno, "open \"%s/layers\"", s->root);
        }
        used = referenced_layers(imgs, n, &n_used);
        while ((de = readdir(d))) {
                const char *name = de->d_name;

                if (!name_is_layer(name) ||
                    (n_used && bsearch(&name, used, n_used, sizeof(*used), cmp_str)))
                        continue;
                den_debug("store gc: removing layer %.12s", name);
                q = store_remove_tree(s->layers_dfd, name);
                if (q < 0 && r == 0)
                        r = den_error_set(err, -q, "remove layer %.12s", name);
        }
        return r;
}

int store_layers_gc(struct store *s, den_error **err)
{
        _cleanup_close_ int lock = store_lock(s, err);
        struct store_image **imgs = NULL;
        size_t n = 0;
        int r;

        if (lock < 0)
                return -1;
        if (store_images_read(s, &imgs, &n, err) < 0)
                return -1;
        r = store_gc_locked(s, imgs, n, err);
        store_images_free(imgs, n);
        return r;
}
