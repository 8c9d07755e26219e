/* Container records: containers.json (every brief record in one file, strictly parsed), the
 * lookup rules behind every CONTAINER argument, and the mutations (create, update, rename,
 * remove), each a read-change-write of containers.json under the store lock. Readers take
 * no lock: the file is replaced by rename, so a reader sees the old or the new list. A
 * container's full configuration lives in its own directory (container.json), written once
 * before its record: creating or removing one container rewrites only the brief records. */
#include <jansson.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include "storage/internal.h"

#define CTR_NAME_MAX 255
#define CTR_DRIVER_MAX 32
#define CTR_REMOVE_PREFIX ".remove-"

/* ---------------------------------------------------------------- records */

void store_container_free(struct store_container *c)
{
        if (!c)
                return;
        free(c->id);
        free(c->name);
        free(c->image_id);
        free(c->image_name);
        free(c->driver);
        json_decref(c->meta);
        json_decref(c->config);
        free(c);
}

void store_containers_free(struct store_container **v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                store_container_free(v[i]);
        free(v);
}

static struct store_container *container_copy(const struct store_container *c)
{
        struct store_container *r = xcalloc(1, sizeof(*r));

        *r = (struct store_container){
                .id = xstrdup(c->id),
                .name = xstrdup(c->name),
                .image_id = xstrdup(c->image_id),
                .image_name = c->image_name ? xstrdup(c->image_name) : NULL,
                .created = c->created,
                .driver = xstrdup(c->driver),
                .meta = json_deep_copy(c->meta),
                .config = json_incref(c->config), /* never changed */
        };
        if (!r->meta)
                r->meta = json_object();
        return r;
}

/* podman's rule for container names: [a-zA-Z0-9][a-zA-Z0-9_.-]* */
static bool name_char_is_valid(char ch, bool is_first)
{
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))
                return true;
        return !is_first && (ch == '_' || ch == '.' || ch == '-');
}

static bool name_is_valid(const char *name)
{
        size_t n = 0;

        if (!name || !*name)
                return false;
        for (; name[n]; n++)
                if (n >= CTR_NAME_MAX || !name_char_is_valid(name[n], n == 0))
                        return false;
        return true;
}

static int name_check(const char *name, den_error **err)
{
        if (!name_is_valid(name))
                return den_error_set(err, EINVAL, "names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*");
        return 0;
}

static bool driver_is_valid(const char *d)
{
        return d && (streq(d, "overlay") || streq(d, "fuse-overlayfs") || streq(d, "vfs"));
}

/* Printable ASCII without spaces, as in a reference. */
static bool str_is_token(const char *s, size_t max)
{
        size_t n = 0;

        if (!s || !*s)
                return false;
        for (; s[n]; n++)
                if (n >= max || (unsigned char) s[n] <= 0x20 || (unsigned char) s[n] >= 0x7f)
                        return false;
        return true;
}

static int container_validate(const struct store_container *c, den_error **err)
{
        if (!c->id || !den_hex_is_valid(c->id, 64))
                return den_error_set(err, EINVAL, "invalid container id \"%.80s\"",
                                     c->id ? c->id : "");
        if (!name_is_valid(c->name))
                return den_error_set(err, EINVAL, "container %.12s: invalid name", c->id);
        if (!c->image_id || !den_hex_is_valid(c->image_id, 64))
                return den_error_set(err, EINVAL, "container %.12s: invalid image id", c->id);
        if (c->image_name && !str_is_token(c->image_name, STORE_MAX_STR))
                return den_error_set(err, EINVAL, "container %.12s: invalid image name", c->id);
        if (!driver_is_valid(c->driver))
                return den_error_set(err, EINVAL, "container %.12s: invalid driver", c->id);
        if (!json_is_object(c->meta))
                return den_error_set(err, EINVAL, "container %.12s: meta is not an object", c->id);
        return 0;
}

/* ---------------------------------------------------------------- containers.json */

static int string_field(const char *key, json_t *v, size_t max, char **dst, den_error **err)
{
        if (!json_is_string(v) || json_string_length(v) > max ||
            strlen(json_string_value(v)) != json_string_length(v))
                return den_error_set(err, 0, "\"%s\": not a string of at most %zu bytes", key, max);
        free(*dst);
        *dst = xstrdup(json_string_value(v));
        return 0;
}

static int container_field(const char *key, json_t *v, struct store_container *c, den_error **err)
{
        if (streq(key, "id"))
                return string_field(key, v, 64, &c->id, err);
        if (streq(key, "name"))
                return string_field(key, v, CTR_NAME_MAX, &c->name, err);
        if (streq(key, "image_id"))
                return string_field(key, v, 64, &c->image_id, err);
        if (streq(key, "image_name"))
                return string_field(key, v, STORE_MAX_STR, &c->image_name, err);
        if (streq(key, "driver"))
                return string_field(key, v, CTR_DRIVER_MAX, &c->driver, err);
        if (streq(key, "created")) {
                if (!json_is_integer(v))
                        return den_error_set(err, 0, "\"created\": not an integer");
                c->created = json_integer_value(v);
                return 0;
        }
        if (streq(key, "meta")) {
                if (!json_is_object(v))
                        return den_error_set(err, 0, "\"meta\": not an object");
                json_decref(c->meta);
                c->meta = json_incref(v);
                return 0;
        }
        return den_error_set(err, 0, "unknown key \"%.64s\"", key);
}

static int container_from_json(json_t *j, struct store_container **ret, den_error **err)
{
        struct store_container *c = NULL;
        const char *key;
        json_t *v;

        if (!json_is_object(j))
                return den_error_set(err, 0, "not a JSON object");
        c = xcalloc(1, sizeof(*c));
        json_object_foreach (j, key, v) {
                if (container_field(key, v, c, err) < 0) {
                        store_container_free(c);
                        return -1;
                }
        }
        if (!c->id || !c->name || !c->image_id || !c->driver || !c->meta ||
            !json_object_get(j, "created")) {
                store_container_free(c);
                return den_error_set(err, 0,
                                     "missing \"id\", \"name\", \"image_id\", \"created\", "
                                     "\"driver\" or \"meta\"");
        }
        if (container_validate(c, err) < 0) {
                store_container_free(c);
                return -1;
        }
        *ret = c;
        return 0;
}

static int cmp_str_ptr(const void *a, const void *b)
{
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* True when two records share an id or a name. */
static bool have_duplicate(struct store_container *const *v, size_t n)
{
        _cleanup_free_ const char **keys = NULL;

        if (n < 2)
                return false;
        keys = xmalloc(2 * n * sizeof(*keys));
        for (size_t i = 0; i < n; i++) {
                keys[2 * i] = v[i]->id;
                keys[2 * i + 1] = v[i]->name;
        }
        qsort(keys, 2 * n, sizeof(*keys), cmp_str_ptr);
        for (size_t i = 1; i < 2 * n; i++)
                if (streq(keys[i - 1], keys[i]))
                        return true;
        return false;
}

/* Newest first; stable (insertion sort: the list is nearly sorted whenever this runs). */
static void containers_sort(struct store_container **v, size_t n)
{
        for (size_t i = 1; i < n; i++) {
                struct store_container *x = v[i];
                size_t j = i;

                for (; j > 0 && v[j - 1]->created < x->created; j--)
                        v[j] = v[j - 1];
                v[j] = x;
        }
}

int store_containers_parse(const char *buf, size_t len, struct store_container ***ret,
                           size_t *ret_n, den_error **err)
{
        json_error_t jerr;
        json_auto_t *j = store_json_load(buf, len, &jerr);
        struct store_container **v = NULL;
        size_t i, n;
        json_t *e;

        if (!j)
                return den_error_set(err, 0, "%s (line %d)", jerr.text, jerr.line);
        if (!json_is_array(j))
                return den_error_set(err, 0, "not a JSON array");
        n = json_array_size(j);
        if (n > STORE_MAX_IMAGES)
                return den_error_set(err, E2BIG, "more than %d containers", STORE_MAX_IMAGES);
        v = xcalloc(n + 1, sizeof(*v));
        json_array_foreach (j, i, e) {
                if (container_from_json(e, &v[i], err) < 0) {
                        store_containers_free(v, i);
                        return den_error_wrap(err, "container %zu", i);
                }
        }
        if (have_duplicate(v, n)) {
                store_containers_free(v, n);
                return den_error_set(err, 0, "duplicate container id or name");
        }
        containers_sort(v, n);
        *ret = v;
        *ret_n = n;
        return 0;
}

static char *stamp_of(const struct stat *st)
{
        return xasprintf("%llu-%lld-%lld.%09ld", (unsigned long long) st->st_ino,
                         (long long) st->st_size, (long long) st->st_mtim.tv_sec,
                         st->st_mtim.tv_nsec);
}

char *store_containers_stamp(struct store *s)
{
        struct stat st;

        if (s->root_dfd < 0 || fstatat(s->root_dfd, "containers.json", &st, 0) < 0)
                return xstrdup("none");
        return stamp_of(&st);
}

static int containers_read(struct store *s, struct store_container ***ret, size_t *ret_n,
                           char **ret_stamp, den_error **err)
{
        _cleanup_free_ char *buf = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        size_t len = 0;
        int r = -ENOENT;

        if (s->root_dfd >= 0) {
                fd = openat(s->root_dfd, "containers.json", O_RDONLY | O_NOCTTY | O_CLOEXEC);
                r = fd < 0 ? -errno : fstat(fd, &st) < 0 ? -errno : 0;
                if (r == 0)
                        r = den_read_fd(fd, STORE_MAX_IMAGES_JSON, &buf, &len);
        }
        if (r == -ENOENT) {
                *ret = xcalloc(1, sizeof(**ret));
                *ret_n = 0;
                if (ret_stamp)
                        *ret_stamp = xstrdup("none");
                return 0;
        }
        if (r == -EFBIG)
                return den_error_set(err, EFBIG, "\"%s/containers.json\" is larger than %zu MiB",
                                     s->root, STORE_MAX_IMAGES_JSON >> 20);
        if (r < 0)
                return den_error_set(err, -r, "read \"%s/containers.json\"", s->root);
        if (store_containers_parse(buf, len, ret, ret_n, err) < 0)
                return den_error_wrap(err, "parse \"%s/containers.json\"", s->root);
        if (ret_stamp)
                *ret_stamp = stamp_of(&st);
        return 0;
}

int store_containers_read(struct store *s, struct store_container ***ret, size_t *ret_n,
                          den_error **err)
{
        return containers_read(s, ret, ret_n, NULL, err);
}

int store_containers_list_stamped(struct store *s, struct store_container ***ret, size_t *ret_n,
                                  char **ret_stamp, den_error **err)
{
        return containers_read(s, ret, ret_n, ret_stamp, err);
}

static json_t *container_to_json(const struct store_container *c)
{
        json_t *o = json_object();

        json_object_set_new(o, "id", json_string(c->id));
        json_object_set_new(o, "name", json_string(c->name));
        json_object_set_new(o, "image_id", json_string(c->image_id));
        if (c->image_name)
                json_object_set_new(o, "image_name", json_string(c->image_name));
        json_object_set_new(o, "created", json_integer(c->created));
        json_object_set_new(o, "driver", json_string(c->driver));
        json_object_set(o, "meta", c->meta);
        return o;
}

char *store_containers_dump(struct store_container *const *v, size_t n)
{
        json_auto_t *a = json_array();

        for (size_t i = 0; i < n; i++)
                json_array_append_new(a, container_to_json(v[i]));
        return json_dumps(a, JSON_COMPACT);
}

static int containers_write(struct store *s, struct store_container *const *v, size_t n,
                            den_error **err)
{
        _cleanup_free_ char *text = store_containers_dump(v, n);
        size_t len;
        int r;

        if (!text)
                return den_error_set(err, EINVAL, "encode containers.json");
        len = strlen(text);
        if (len > STORE_MAX_IMAGES_JSON || n > STORE_MAX_IMAGES)
                return den_error_set(err, EFBIG, "\"%s/containers.json\" would exceed its bounds",
                                     s->root);
        r = den_write_file_atomic_at(s->root_dfd, "containers.json", text, len, 0600);
        if (r < 0)
                return den_error_set(err, -r, "write \"%s/containers.json\"", s->root);
        return 0;
}

/* ---------------------------------------------------------------- lookup */

struct ctr_vec {
        struct store_container **v;
        size_t n;
};

static void ctr_vec_clear(struct ctr_vec *cv)
{
        store_containers_free(cv->v, cv->n);
        *cv = (struct ctr_vec){ 0 };
}

static int no_such_container(den_error **err, const char *name_or_id)
{
        return den_error_set_plain(err, ENOENT,
                                   "no container with name or ID \"%s\" found: no such "
                                   "container",
                                   name_or_id);
}

static ssize_t find_id(const struct ctr_vec *cv, const char *id)
{
        for (size_t i = 0; i < cv->n; i++)
                if (streq(cv->v[i]->id, id))
                        return (ssize_t) i;
        return -1;
}

static ssize_t find_name(const struct ctr_vec *cv, const char *name)
{
        for (size_t i = 0; i < cv->n; i++)
                if (streq(cv->v[i]->name, name))
                        return (ssize_t) i;
        return -1;
}

/* Full id, then exact name, then a unique id prefix, as podman looks them up. */
static int ctr_lookup(const struct ctr_vec *cv, const char *name_or_id, ssize_t *ret,
                      den_error **err)
{
        size_t len = name_or_id ? strlen(name_or_id) : 0;
        size_t n_found = 0;
        ssize_t i = -1;

        if (len == 0 || len > STORE_MAX_STR)
                return no_such_container(err, name_or_id ? name_or_id : "");
        if (len == 64)
                i = find_id(cv, name_or_id);
        if (i < 0)
                i = find_name(cv, name_or_id);
        if (i < 0 && len < 64 && den_hex_is_valid(name_or_id, len)) {
                for (size_t k = 0; k < cv->n; k++) {
                        if (strncmp(cv->v[k]->id, name_or_id, len) != 0)
                                continue;
                        i = (ssize_t) k;
                        n_found++;
                }
                if (n_found > 1)
                        /* podman 4's wording (its BoltDB state) */
                        return den_error_set(err, 0,
                                             "more than one result for container ID %s: "
                                             "container already exists",
                                             name_or_id);
        }
        if (i < 0)
                return no_such_container(err, name_or_id);
        *ret = i;
        return 0;
}

int store_containers_list(struct store *s, struct store_container ***ret, size_t *ret_n,
                          den_error **err)
{
        return store_containers_read(s, ret, ret_n, err);
}

int store_container_find(struct store *s, const char *name_or_id, struct store_container **ret,
                         den_error **err)
{
        struct ctr_vec cv = { 0 };
        ssize_t i = -1;
        int r;

        if (store_containers_read(s, &cv.v, &cv.n, err) < 0)
                return -1;
        r = ctr_lookup(&cv, name_or_id, &i, err);
        if (r == 0)
                *ret = container_copy(cv.v[i]);
        ctr_vec_clear(&cv);
        return r;
}

int store_image_container_count(struct store *s, const char *image_id, den_error **err)
{
        struct ctr_vec cv = { 0 };
        int n = 0;

        if (store_containers_read(s, &cv.v, &cv.n, err) < 0)
                return -1;
        for (size_t i = 0; i < cv.n; i++)
                if (image_id && streq(cv.v[i]->image_id, image_id))
                        n++;
        ctr_vec_clear(&cv);
        return n;
}

int store_image_check_unused(struct store *s, const char *image_id, den_error **err)
{
        struct ctr_vec cv = { 0 };
        int r = 0;

        if (store_containers_read(s, &cv.v, &cv.n, err) < 0)
                return -1;
        for (size_t i = 0; i < cv.n && r == 0; i++)
                if (streq(cv.v[i]->image_id, image_id))
                        r = den_error_set(err, EBUSY,
                                          "image used by %s: image is in use by a container: "
                                          "consider listing external containers and "
                                          "force-removing image",
                                          cv.v[i]->id);
        ctr_vec_clear(&cv);
        return r;
}

/* ---------------------------------------------------------------- names */

static const char *const name_left[] = {
        "admiring", "agile",   "amazing",  "bold",     "brave",     "busy",    "calm",
        "clever",   "cool",    "curious",  "dazzling", "eager",     "elegant", "epic",
        "fervent",  "festive", "friendly", "gallant",  "gifted",    "happy",   "hopeful",
        "jolly",    "keen",    "kind",     "lucid",    "merry",     "modest",  "nifty",
        "peaceful", "quirky",  "relaxed",  "serene",   "sharp",     "silly",   "stoic",
        "sweet",    "tender",  "upbeat",   "vibrant",  "wonderful", "zealous",
};

static const char *const name_right[] = {
        "agnesi",   "archimedes", "babbage", "bohr",    "curie",    "darwin",   "dijkstra",
        "einstein", "euclid",     "euler",   "faraday", "fermat",   "feynman",  "galileo",
        "gauss",    "hamilton",   "hopper",  "hypatia", "kepler",   "knuth",    "lamarr",
        "lovelace", "maxwell",    "meitner", "mendel",  "newton",   "noether",  "pascal",
        "pasteur",  "planck",     "ritchie", "shannon", "thompson", "torvalds", "turing",
        "volta",    "wozniak",    "yalow",
};

static uint32_t random_u32(void)
{
        uint32_t v = 0;

        /* only fails before the entropy pool is up, where any value will do */
        if (getrandom(&v, sizeof(v), 0) != (ssize_t) sizeof(v))
                v = (uint32_t) time(NULL) ^ (uint32_t) getpid();
        return v;
}

/* A free "adjective_noun" name like podman's; a numeric suffix once many are taken. */
static char *name_generate(const struct ctr_vec *cv)
{
        for (unsigned tries = 0;; tries++) {
                uint32_t r = random_u32();
                const char *a = name_left[r % ARRAY_SIZE(name_left)];
                const char *b = name_right[(r / ARRAY_SIZE(name_left)) % ARRAY_SIZE(name_right)];
                char *name = tries < 32 ? xasprintf("%s_%s", a, b)
                                        : xasprintf("%s_%s%u", a, b, (r >> 20) % 1000);

                if (find_name(cv, name) < 0)
                        return name;
                free(name);
        }
}

/* ---------------------------------------------------------------- mutations */

typedef int (*ctr_change_fn)(struct store *s, struct ctr_vec *cv, void *arg, den_error **err);

/* Lock, re-read, change, write, unlock. */
static int containers_change(struct store *s, ctr_change_fn fn, void *arg, den_error **err)
{
        _cleanup_close_ int lock = store_lock(s, err);
        struct ctr_vec cv = { 0 };
        int r;

        if (lock < 0)
                return -1;
        r = store_containers_read(s, &cv.v, &cv.n, err);
        if (r == 0)
                r = fn(s, &cv, arg, err);
        if (r == 0) {
                containers_sort(cv.v, cv.n);
                r = containers_write(s, cv.v, cv.n, err);
        }
        ctr_vec_clear(&cv);
        return r;
}

/* podman's words, which end the message: no errno text after them */
static int name_in_use(den_error **err, const char *name, const char *id)
{
        return den_error_set_plain(
                err, EEXIST,
                "the container name \"%s\" is already in use by %s. You have to "
                "remove that container to be able to reuse that name: that name is "
                "already in use",
                name, id);
}

static int containers_dir_open(struct store *s, int *ret, den_error **err)
{
        int fd;

        if (mkdirat(s->root_dfd, "containers", 0700) == 0)
                store_dir_spread_at(s->root_dfd, "containers"); /* a vfs root is a tree */
        else if (errno != EEXIST)
                return den_error_set(err, errno, "create \"%s/containers\"", s->root);
        fd = openat(s->root_dfd, "containers", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return den_error_set(err, errno, "open \"%s/containers\"", s->root);
        *ret = fd;
        return 0;
}

/* containers/<id>/container.json, durable with its directory's entry in containers/ before
 * the record that points at them is written. */
static int config_write(struct store *s, int cdfd, int bdfd, const struct store_container *c,
                        den_error **err)
{
        _cleanup_free_ char *text = json_dumps(c->config, JSON_COMPACT);
        _cleanup_close_ int dfd = -EBADF;
        size_t len = text ? strlen(text) : 0;
        int r;

        if (!text)
                return den_error_set(err, EINVAL, "encode the configuration of %.12s", c->id);
        if (len > STORE_MAX_CONFIG_JSON)
                return den_error_set(err, EFBIG, "the configuration of %.12s exceeds %zu MiB",
                                     c->id, STORE_MAX_CONFIG_JSON >> 20);
        if (c->is_config_volatile)
                r = den_write_file_replace_at(bdfd, "container.json", text, len, 0600);
        else
                r = den_write_file_atomic_at(bdfd, "container.json", text, len, 0600);
        if (r < 0)
                return den_error_set(err, -r, "write \"%s/containers/%s/container.json\"", s->root,
                                     c->id);
        if (c->is_config_volatile)
                return 0;
        dfd = openat(cdfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 || fsync(dfd) < 0)
                return den_error_set(err, errno, "sync \"%s/containers\"", s->root);
        return 0;
}

int store_container_config_parse(const char *buf, size_t len, json_t **ret, den_error **err)
{
        json_error_t jerr;
        json_t *j = store_json_load(buf, len, &jerr);

        if (!j)
                return den_error_set(err, 0, "%s (line %d)", jerr.text, jerr.line);
        if (!json_is_object(j)) {
                json_decref(j);
                return den_error_set(err, 0, "not a JSON object");
        }
        *ret = j;
        return 0;
}

int store_container_load_config(struct store *s, struct store_container *c, den_error **err)
{
        _cleanup_free_ char *path = NULL;
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        json_t *j = NULL;
        int r;

        if (!den_hex_is_valid(c->id, 64))
                return den_error_set(err, EINVAL, "invalid container id \"%.80s\"", c->id);
        path = xasprintf("containers/%s/container.json", c->id);
        r = s->root_dfd < 0
                    ? -ENOENT
                    : den_read_file_at(s->root_dfd, path, STORE_MAX_CONFIG_JSON, &text, &len);
        if (r < 0)
                return den_error_set(err, -r,
                                     "the configuration of container %.12s: read \"%s/%s\"", c->id,
                                     s->root, path);
        if (store_container_config_parse(text, len, &j, err) < 0)
                return den_error_wrap(err, "the configuration of container %.12s: parse \"%s/%s\"",
                                      c->id, s->root, path);
        json_decref(c->config);
        c->config = j;
        return 0;
}

/* containers/<id>/ and its subdirectories; for vfs, rootfs/ gets a copy of the image. */
static int bundle_create(struct store *s, int cdfd, const struct store_container *c,
                         const struct store_image *img, den_error **err)
{
        bool is_vfs = streq(c->driver, "vfs");
        _cleanup_close_ int bdfd = -EBADF;
        _cleanup_close_ int rootfs = -EBADF;

        if (mkdirat(cdfd, c->id, 0700) < 0)
                return den_error_set(err, errno, "create \"%s/containers/%s\"", s->root, c->id);
        bdfd = openat(cdfd, c->id, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (bdfd < 0)
                return den_error_set(err, errno, "open \"%s/containers/%s\"", s->root, c->id);
        /* the merged root takes the upper directory's mode: a root directory is 0755 */
        if (mkdirat(bdfd, "rootfs", 0755) < 0 || mkdirat(bdfd, "userdata", 0700) < 0 ||
            (!is_vfs && (mkdirat(bdfd, "diff", 0755) < 0 || mkdirat(bdfd, "work", 0700) < 0)))
                return den_error_set(err, errno, "create directories in \"%s/containers/%s\"",
                                     s->root, c->id);
        if (config_write(s, cdfd, bdfd, c, err) < 0)
                return -1;
        if (!is_vfs)
                return 0;
        rootfs = openat(bdfd, "rootfs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (rootfs < 0)
                return den_error_set(err, errno, "open rootfs of container %.12s", c->id);
        if (store_rootfs_populate(s, img->layers, rootfs, err) < 0)
                return den_error_wrap(err, "copy image %.12s into rootfs", img->id);
        return 0;
}

struct create_arg {
        struct store_container *c;   /* the caller's record, filled in on success */
        struct store_container *rec; /* the new record */
        bool is_dir_made;
};

static int create_change(struct store *s, struct ctr_vec *cv, void *arg, den_error **err)
{
        struct create_arg *a = arg;
        struct store_container *rec = a->rec;
        _cleanup_(store_image_freep) struct store_image *img = NULL;
        _cleanup_close_ int cdfd = -EBADF;
        ssize_t i;
        char id[65];

        if (rec->name && (i = find_name(cv, rec->name)) >= 0)
                return name_in_use(err, rec->name, cv->v[i]->id);
        /* under the lock, where images are removed: the image stays while we hold it */
        if (store_image_find(s, rec->image_id, &img, err) < 0 || !streq(img->id, rec->image_id))
                return den_error_set(err, ENOENT, "%s: image not known", rec->image_id);
        if (!rec->id) {
                do
                        den_random_hex(id, 32);
                while (find_id(cv, id) >= 0 || find_name(cv, id) >= 0);
                rec->id = xstrdup(id);
        } else if (find_id(cv, rec->id) >= 0) {
                return den_error_set(err, EEXIST, "container id %s is already in use", rec->id);
        }
        if (!rec->name)
                rec->name = name_generate(cv);
        if (container_validate(rec, err) < 0)
                return -1;
        if (containers_dir_open(s, &cdfd, err) < 0)
                return -1;
        a->is_dir_made = true;
        if (bundle_create(s, cdfd, rec, img, err) < 0)
                return -1;
        cv->v = xrealloc(cv->v, (cv->n + 2) * sizeof(*cv->v));
        cv->v[cv->n++] = container_copy(rec);
        cv->v[cv->n] = NULL;
        return 0;
}

int store_container_create(struct store *s, struct store_container *c, den_error **err)
{
        struct store_container rec = {
                .id = c->id ? xstrdup(c->id) : NULL,
                .name = c->name ? xstrdup(c->name) : NULL,
                .image_id = c->image_id ? xstrdup(c->image_id) : NULL,
                .image_name = c->image_name ? xstrdup(c->image_name) : NULL,
                .created = c->created,
                .driver = xstrdup(c->driver ? c->driver : store_driver(s)),
                .meta = c->meta ? json_deep_copy(c->meta) : json_object(),
                .config = c->config ? json_incref(c->config) : json_object(),
                .is_config_volatile = c->is_config_volatile,
        };
        struct create_arg a = { .c = c, .rec = &rec };
        _cleanup_close_ int cdfd = -EBADF;
        int r;

        if (rec.name && name_check(rec.name, err) < 0) {
                r = -1;
        } else if (!rec.image_id || !den_hex_is_valid(rec.image_id, 64)) {
                r = den_error_set(err, EINVAL, "invalid image id \"%.80s\"",
                                  rec.image_id ? rec.image_id : "");
        } else if (!driver_is_valid(rec.driver)) {
                r = den_error_set(err, EINVAL, "unknown storage driver \"%s\"", rec.driver);
        } else if (!json_is_object(rec.config)) {
                r = den_error_set(err, 0, "the configuration is not a JSON object");
        } else {
                if (!rec.created) {
                        struct timespec ts;

                        clock_gettime(CLOCK_REALTIME, &ts);
                        rec.created = (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
                }
                r = containers_change(s, create_change, &a, err);
        }
        /* the record was not written: nothing may point at the directory */
        if (r < 0 && a.is_dir_made && containers_dir_open(s, &cdfd, NULL) == 0)
                (void) den_rm_rf_at(cdfd, rec.id);
        if (r == 0) {
                free(c->id);
                free(c->name);
                free(c->driver);
                c->id = steal_ptr(rec.id);
                c->name = steal_ptr(rec.name);
                c->driver = steal_ptr(rec.driver);
                c->created = rec.created;
        }
        free(rec.id);
        free(rec.name);
        free(rec.image_id);
        free(rec.image_name);
        free(rec.driver);
        json_decref(rec.meta);
        json_decref(rec.config);
        if (r < 0)
                return den_error_wrap(err, "creating container storage");
        return 0;
}

struct update_arg {
        const char *id;
        json_t *patch;
        struct store_container *result;
};

static int update_change(struct store *s, struct ctr_vec *cv, void *arg, den_error **err)
{
        struct update_arg *a = arg;
        struct store_container *c = NULL;
        const char *key;
        json_t *v;
        ssize_t i = -1;

        (void) s;
        if (ctr_lookup(cv, a->id, &i, err) < 0)
                return -1;
        c = cv->v[i];
        json_object_foreach (a->patch, key, v) {
                if (json_is_null(v))
                        json_object_del(c->meta, key);
                else
                        json_object_set_new(c->meta, key, json_deep_copy(v));
        }
        a->result = container_copy(c);
        return 0;
}

int store_container_update(struct store *s, const char *id, json_t *patch,
                           struct store_container **ret, den_error **err)
{
        struct update_arg a = { .id = id, .patch = patch };

        if (!json_is_object(patch))
                return den_error_set(err, EINVAL, "update container: patch is not an object");
        if (containers_change(s, update_change, &a, err) < 0) {
                store_container_free(a.result);
                return den_error_wrap(err, "update container");
        }
        if (ret)
                *ret = a.result;
        else
                store_container_free(a.result);
        return 0;
}

struct rename_arg {
        const char *id;
        const char *name;
};

static int rename_change(struct store *s, struct ctr_vec *cv, void *arg, den_error **err)
{
        struct rename_arg *a = arg;
        ssize_t i = -1, k;

        (void) s;
        if (ctr_lookup(cv, a->id, &i, err) < 0)
                return -1;
        k = find_name(cv, a->name);
        if (k >= 0 && k != i)
                return name_in_use(err, a->name, cv->v[k]->id);
        free(cv->v[i]->name);
        cv->v[i]->name = xstrdup(a->name);
        return 0;
}

int store_container_rename(struct store *s, const char *id, const char *new_name, den_error **err)
{
        struct rename_arg a = { .id = id, .name = new_name };

        if (name_check(new_name, err) < 0)
                return -1;
        return containers_change(s, rename_change, &a, err);
}

/* Removes containers/.remove-* left by removals that were interrupted. */
static void removals_gc(int cdfd)
{
        int fd = openat(cdfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *de;

        if (!d) {
                if (fd >= 0)
                        close(fd);
                return;
        }
        while ((de = readdir(d)))
                if (den_str_has_prefix(de->d_name, CTR_REMOVE_PREFIX))
                        (void) den_rm_rf_at(cdfd, de->d_name);
}

static int remove_change(struct store *s, struct ctr_vec *cv, void *arg, den_error **err)
{
        char **ret_id = arg;
        _cleanup_close_ int cdfd = -EBADF;
        char rnd[17];
        char tmp[sizeof(CTR_REMOVE_PREFIX) + sizeof(rnd)];
        ssize_t i = -1;

        if (ctr_lookup(cv, *ret_id, &i, err) < 0)
                return -1;
        /* A removal from the mount namespace the root was mounted in (the monitor's cleanup
         * of a --rm container) unmounts it first: the deletion must not descend into the
         * merged root, and the root's directory cannot be removed while it is a mount point.
         * A fuse-overlayfs daemon is itself a member of that namespace, so without the
         * unmount it, its mount and the namespace would outlive the container. Elsewhere
         * the root is not mounted and this does nothing. */
        {
                den_error *e = NULL;

                if (store_container_unmount(s, cv->v[i], &e) < 0)
                        den_warn_error(&e, "unmount the root of %.12s, continuing", cv->v[i]->id);
        }
        /* Move the directory aside first, so a removal that stops half-way leaves neither a
         * record without a directory nor a directory that looks like a live container. */
        if (containers_dir_open(s, &cdfd, err) < 0)
                return -1;
        den_random_hex(rnd, 8);
        snprintf(tmp, sizeof(tmp), CTR_REMOVE_PREFIX "%s", rnd);
        if (renameat(cdfd, cv->v[i]->id, cdfd, tmp) < 0 && errno != ENOENT)
                return den_error_set(err, errno, "move \"%s/containers/%s\" aside", s->root,
                                     cv->v[i]->id);
        *ret_id = xstrdup(cv->v[i]->id);
        store_container_free(cv->v[i]);
        memmove(cv->v + i, cv->v + i + 1, (cv->n - (size_t) i) * sizeof(*cv->v));
        cv->n--;
        return 0;
}

int store_container_remove(struct store *s, const char *id, den_error **err)
{
        char *full_id = (char *) id;
        _cleanup_close_ int cdfd = -EBADF;
        _cleanup_close_ int rdfd = -EBADF;
        _cleanup_free_ char *rundir = NULL;
        int r;

        if (containers_change(s, remove_change, &full_id, err) < 0) {
                if (full_id != id)
                        free(full_id);
                return den_error_wrap(err, "remove container %s", id);
        }
        /* the record is gone: what follows only frees space */
        if (containers_dir_open(s, &cdfd, err) < 0) {
                free(full_id);
                return den_error_wrap(err, "container removed, but remove its directory");
        }
        removals_gc(cdfd);
        rundir = xasprintf("%s/containers", s->runroot);
        rdfd = open(rundir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        r = rdfd >= 0 ? den_rm_rf_at(rdfd, full_id) : 0;
        if (r < 0)
                den_error_set(err, -r, "container removed, but remove \"%s/%s\"", rundir, full_id);
        free(full_id);
        return r < 0 ? -1 : 0;
}

/* ---------------------------------------------------------------- directories */

char *store_container_dir(struct store *s, const char *id)
{
        return xasprintf("%s/containers/%s", s->root, id);
}

int store_container_rundir(struct store *s, const char *id, char **ret, den_error **err)
{
        _cleanup_free_ char *p = NULL;
        int r;

        if (!id || !den_hex_is_valid(id, 64))
                return den_error_set(err, EINVAL, "invalid container id \"%.80s\"", id ? id : "");
        p = xasprintf("%s/containers/%s", s->runroot, id);
        r = den_mkdir_p_at(AT_FDCWD, p, 0700);
        if (r < 0)
                return den_error_set(err, -r, "create \"%s\"", p);
        *ret = steal_ptr(p);
        return 0;
}
