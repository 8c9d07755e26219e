/* Image records: images.json (strictly parsed through a field table), the lookup rules
 * behind every IMAGE argument, and the mutations (add, tag, untag, remove), each a
 * read-change-write of images.json under the store lock. Readers take no lock: the file is
 * replaced by rename, so a reader sees the old or the new list, never a mix. */
#include <jansson.h>
#include <stddef.h>
#include <sys/stat.h>
#include <time.h>
#include "storage/internal.h"

#define DIGEST_MAX (7 + 128)
#define SHORT_MAX 256

/* ---------------------------------------------------------------- records */

void store_image_free(struct store_image *img)
{
        if (!img)
                return;
        free(img->id);
        den_strv_free(img->names);
        den_strv_free(img->digests);
        free(img->manifest_digest);
        free(img->manifest_media_type);
        free(img->config_digest);
        den_strv_free(img->layers);
        free(img->os);
        free(img->arch);
        free(img);
}

void store_images_free(struct store_image **imgs, size_t n)
{
        for (size_t i = 0; i < n; i++)
                store_image_free(imgs[i]);
        free(imgs);
}

static char *strdup_or_null(const char *s)
{
        return s ? xstrdup(s) : NULL;
}

static char **strv_copy(char *const *v)
{
        size_t n = den_strv_len(v);
        char **r = xcalloc(n + 1, sizeof(*r));

        for (size_t i = 0; i < n; i++)
                r[i] = xstrdup(v[i]);
        return r;
}

/* Appends the strings of src that dst lacks. */
static void strv_merge(char ***dst, char *const *src)
{
        for (size_t i = 0; src && src[i]; i++)
                if (!den_strv_contains(*dst, src[i]))
                        den_strv_push(dst, src[i]);
}

static void strv_remove(char **v, const char *s)
{
        size_t j = 0;

        if (!v)
                return;
        for (size_t i = 0; v[i]; i++) {
                if (streq(v[i], s))
                        free(v[i]);
                else
                        v[j++] = v[i];
        }
        v[j] = NULL;
}

static struct store_image *image_copy(const struct store_image *img)
{
        struct store_image *c = xcalloc(1, sizeof(*c));

        *c = (struct store_image){
                .id = xstrdup(img->id),
                .names = strv_copy(img->names),
                .digests = strv_copy(img->digests),
                .manifest_digest = strdup_or_null(img->manifest_digest),
                .manifest_media_type = strdup_or_null(img->manifest_media_type),
                .config_digest = strdup_or_null(img->config_digest),
                .layers = strv_copy(img->layers),
                .created = img->created,
                .stored = img->stored,
                .size = img->size,
                .os = strdup_or_null(img->os),
                .arch = strdup_or_null(img->arch),
        };
        return c;
}

/* Names, digests, media types and platforms are printable ASCII without spaces: that is all
 * a reference can hold, and it keeps every record encodable as JSON. */
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

static bool repo_digest_is_valid(const char *d)
{
        const char *at = strrchr(d, '@');

        return str_is_token(d, STORE_MAX_STR) && at && at != d && den_digest_is_valid(at + 1);
}

static int image_validate_strings(const struct store_image *img, den_error **err)
{
        for (size_t i = 0; img->names && img->names[i]; i++)
                if (!str_is_token(img->names[i], STORE_MAX_STR))
                        return den_error_set(err, EINVAL, "image %.12s: invalid name #%zu", img->id,
                                             i + 1);
        for (size_t i = 0; img->digests && img->digests[i]; i++)
                if (!repo_digest_is_valid(img->digests[i]))
                        return den_error_set(err, EINVAL, "image %.12s: invalid repo digest #%zu",
                                             img->id, i + 1);
        for (size_t i = 0; img->layers && img->layers[i]; i++)
                if (!den_digest_is_valid(img->layers[i]))
                        return den_error_set(err, EINVAL, "image %.12s: invalid layer #%zu",
                                             img->id, i + 1);
        if ((img->manifest_digest && !den_digest_is_valid(img->manifest_digest)) ||
            (img->config_digest && !den_digest_is_valid(img->config_digest)))
                return den_error_set(err, EINVAL, "image %.12s: invalid manifest or config digest",
                                     img->id);
        if ((img->manifest_media_type && !str_is_token(img->manifest_media_type, SHORT_MAX)) ||
            (img->os && !str_is_token(img->os, SHORT_MAX)) ||
            (img->arch && !str_is_token(img->arch, SHORT_MAX)))
                return den_error_set(err, EINVAL, "image %.12s: invalid media type, os or arch",
                                     img->id);
        return 0;
}

static int image_validate(const struct store_image *img, den_error **err)
{
        if (!img->id || !den_hex_is_valid(img->id, 64))
                return den_error_set(err, EINVAL, "invalid image id \"%.80s\"",
                                     img->id ? img->id : "");
        if (den_strv_len(img->names) > STORE_MAX_NAMES ||
            den_strv_len(img->digests) > STORE_MAX_NAMES ||
            den_strv_len(img->layers) > STORE_MAX_LAYERS)
                return den_error_set(err, E2BIG, "image %.12s: too many names, digests or layers",
                                     img->id);
        if (img->size > INT64_MAX)
                return den_error_set(err, ERANGE, "image %.12s: size out of range", img->id);
        return image_validate_strings(img, err);
}

/* ---------------------------------------------------------------- images.json */

enum field_kind {
        FIELD_STR,
        FIELD_STRV,
        FIELD_I64,
        FIELD_U64,
};

struct field {
        const char *key;
        enum field_kind kind;
        size_t offset;
        size_t max; /* bytes of a FIELD_STR, elements of a FIELD_STRV */
        bool is_required;
};

#define FIELD(k, kind, member, max, req)                                \
        {                                                               \
                k, kind, offsetof(struct store_image, member), max, req \
        }
static const struct field image_fields[] = {
        FIELD("id", FIELD_STR, id, 64, true),
        FIELD("names", FIELD_STRV, names, STORE_MAX_NAMES, true),
        FIELD("digests", FIELD_STRV, digests, STORE_MAX_NAMES, true),
        FIELD("manifest_digest", FIELD_STR, manifest_digest, DIGEST_MAX, false),
        FIELD("manifest_media_type", FIELD_STR, manifest_media_type, SHORT_MAX, false),
        FIELD("config_digest", FIELD_STR, config_digest, DIGEST_MAX, false),
        FIELD("layers", FIELD_STRV, layers, STORE_MAX_LAYERS, true),
        FIELD("created", FIELD_I64, created, 0, true),
        FIELD("stored", FIELD_I64, stored, 0, true),
        FIELD("size", FIELD_U64, size, 0, true),
        FIELD("os", FIELD_STR, os, SHORT_MAX, false),
        FIELD("arch", FIELD_STR, arch, SHORT_MAX, false),
};

static int parse_strv(const struct field *f, json_t *v, char ***dst, den_error **err)
{
        char **r = NULL;
        json_t *e;
        size_t i;

        if (!json_is_array(v) || json_array_size(v) > f->max)
                return den_error_set(err, 0, "\"%s\": not an array of at most %zu strings", f->key,
                                     f->max);
        r = xcalloc(json_array_size(v) + 1, sizeof(*r));
        json_array_foreach (v, i, e) {
                if (!json_is_string(e) || json_string_length(e) > STORE_MAX_STR) {
                        den_strv_free(r);
                        return den_error_set(err, 0,
                                             "\"%s\"[%zu]: not a string of at most %d "
                                             "bytes",
                                             f->key, i, STORE_MAX_STR);
                }
                r[i] = xstrdup(json_string_value(e));
        }
        *dst = r;
        return 0;
}

static int field_parse(const struct field *f, json_t *v, void *dst, den_error **err)
{
        switch (f->kind) {
        case FIELD_STR:
                if (!json_is_string(v) || json_string_length(v) > f->max)
                        return den_error_set(err, 0, "\"%s\": not a string of at most %zu bytes",
                                             f->key, f->max);
                *(char **) dst = xstrdup(json_string_value(v));
                return 0;
        case FIELD_STRV:
                return parse_strv(f, v, dst, err);
        case FIELD_I64:
                if (!json_is_integer(v))
                        return den_error_set(err, 0, "\"%s\": not an integer", f->key);
                *(int64_t *) dst = json_integer_value(v);
                return 0;
        case FIELD_U64:
                if (!json_is_integer(v) || json_integer_value(v) < 0)
                        return den_error_set(err, 0, "\"%s\": not a non-negative integer", f->key);
                *(uint64_t *) dst = (uint64_t) json_integer_value(v);
                return 0;
        default:
                break;
        }
        return den_error_set(err, 0, "\"%s\": unknown field kind", f->key);
}

static int image_from_json(json_t *j, struct store_image **ret, den_error **err)
{
        struct store_image *img = NULL;
        bool is_seen[ARRAY_SIZE(image_fields)] = { false };
        const char *key;
        json_t *v;
        size_t k;

        if (!json_is_object(j))
                return den_error_set(err, 0, "not a JSON object");
        img = xcalloc(1, sizeof(*img));
        json_object_foreach (j, key, v) {
                for (k = 0; k < ARRAY_SIZE(image_fields); k++)
                        if (streq(key, image_fields[k].key))
                                break;
                if (k == ARRAY_SIZE(image_fields)) {
                        store_image_free(img);
                        return den_error_set(err, 0, "unknown key \"%.64s\"", key);
                }
                if (field_parse(&image_fields[k], v, (char *) img + image_fields[k].offset, err) <
                    0) {
                        store_image_free(img);
                        return -1;
                }
                is_seen[k] = true;
        }
        for (k = 0; k < ARRAY_SIZE(image_fields); k++) {
                if (image_fields[k].is_required && !is_seen[k]) {
                        store_image_free(img);
                        return den_error_set(err, 0, "missing \"%s\"", image_fields[k].key);
                }
        }
        if (image_validate(img, err) < 0) {
                store_image_free(img);
                return -1;
        }
        *ret = img;
        return 0;
}

static int cmp_image_id(const void *a, const void *b)
{
        return strcmp((*(struct store_image *const *) a)->id,
                      (*(struct store_image *const *) b)->id);
}

static bool ids_have_duplicate(struct store_image *const *imgs, size_t n)
{
        _cleanup_free_ struct store_image **sorted = NULL;

        if (n < 2)
                return false;
        sorted = xmalloc(n * sizeof(*sorted));
        memcpy(sorted, imgs, n * sizeof(*sorted));
        qsort(sorted, n, sizeof(*sorted), cmp_image_id);
        for (size_t i = 1; i < n; i++)
                if (streq(sorted[i - 1]->id, sorted[i]->id))
                        return true;
        return false;
}

/* Newest first; stable, so images stored in the same second keep their order. The list is
 * nearly sorted whenever this runs, where insertion sort is linear. */
static void images_sort(struct store_image **imgs, size_t n)
{
        for (size_t i = 1; i < n; i++) {
                struct store_image *x = imgs[i];
                size_t j = i;

                for (; j > 0 && imgs[j - 1]->stored < x->stored; j--)
                        imgs[j] = imgs[j - 1];
                imgs[j] = x;
        }
}

int store_images_parse(const char *buf, size_t len, struct store_image ***ret, size_t *ret_n,
                       den_error **err)
{
        json_error_t jerr;
        json_auto_t *j = store_json_load(buf, len, &jerr);
        struct store_image **imgs = NULL;
        size_t i, n;
        json_t *v;

        if (!j)
                return den_error_set(err, 0, "%s (line %d)", jerr.text, jerr.line);
        if (!json_is_array(j))
                return den_error_set(err, 0, "not a JSON array");
        n = json_array_size(j);
        if (n > STORE_MAX_IMAGES)
                return den_error_set(err, E2BIG, "more than %d images", STORE_MAX_IMAGES);
        imgs = xcalloc(n + 1, sizeof(*imgs));
        json_array_foreach (j, i, v) {
                if (image_from_json(v, &imgs[i], err) < 0) {
                        store_images_free(imgs, i);
                        return den_error_wrap(err, "image %zu", i);
                }
        }
        if (ids_have_duplicate(imgs, n)) {
                store_images_free(imgs, n);
                return den_error_set(err, 0, "duplicate image id");
        }
        images_sort(imgs, n);
        *ret = imgs;
        *ret_n = n;
        return 0;
}

int store_images_read(struct store *s, struct store_image ***ret, size_t *ret_n, den_error **err)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        int r = -ENOENT;

        if (s->root_dfd >= 0)
                r = den_read_file_at(s->root_dfd, "images.json", STORE_MAX_IMAGES_JSON, &buf, &len);
        if (r == -ENOENT) {
                *ret = xcalloc(1, sizeof(**ret));
                *ret_n = 0;
                return 0;
        }
        if (r == -EFBIG)
                return den_error_set(err, EFBIG, "\"%s/images.json\" is larger than %zu MiB",
                                     s->root, STORE_MAX_IMAGES_JSON >> 20);
        if (r < 0)
                return den_error_set(err, -r, "read \"%s/images.json\"", s->root);
        if (store_images_parse(buf, len, ret, ret_n, err) < 0)
                return den_error_wrap(err, "parse \"%s/images.json\"", s->root);
        return 0;
}

static json_t *strv_to_json(char *const *v)
{
        json_t *a = json_array();

        for (size_t i = 0; v && v[i]; i++)
                json_array_append_new(a, json_string(v[i]));
        return a;
}

static void set_optional(json_t *o, const char *key, const char *v)
{
        if (v)
                json_object_set_new(o, key, json_string(v));
}

static json_t *image_to_json(const struct store_image *img)
{
        json_t *o = json_object();

        json_object_set_new(o, "id", json_string(img->id));
        json_object_set_new(o, "names", strv_to_json(img->names));
        json_object_set_new(o, "digests", strv_to_json(img->digests));
        set_optional(o, "manifest_digest", img->manifest_digest);
        set_optional(o, "manifest_media_type", img->manifest_media_type);
        set_optional(o, "config_digest", img->config_digest);
        json_object_set_new(o, "layers", strv_to_json(img->layers));
        json_object_set_new(o, "created", json_integer(img->created));
        json_object_set_new(o, "stored", json_integer(img->stored));
        json_object_set_new(o, "size", json_integer((json_int_t) img->size));
        set_optional(o, "os", img->os);
        set_optional(o, "arch", img->arch);
        return o;
}

static int images_write(struct store *s, struct store_image *const *imgs, size_t n, den_error **err)
{
        json_auto_t *a = json_array();
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r;

        for (size_t i = 0; i < n; i++)
                json_array_append_new(a, image_to_json(imgs[i]));
        text = json_dumps(a, JSON_COMPACT);
        if (!text)
                return den_error_set(err, EINVAL, "encode images.json");
        len = strlen(text);
        if (len > STORE_MAX_IMAGES_JSON || n > STORE_MAX_IMAGES)
                return den_error_set(err, EFBIG, "\"%s/images.json\" would exceed its bounds",
                                     s->root);
        r = den_write_file_atomic_at(s->root_dfd, "images.json", text, len, 0600);
        if (r < 0)
                return den_error_set(err, -r, "write \"%s/images.json\"", s->root);
        return 0;
}

/* ---------------------------------------------------------------- lookup */

struct image_vec {
        struct store_image **v;
        size_t n;
};

static int not_known(den_error **err, const char *name)
{
        return den_error_set_plain(err, ENOENT, "%s: image not known", name);
}

static ssize_t find_id(const struct image_vec *iv, const char *id)
{
        for (size_t i = 0; i < iv->n; i++)
                if (streq(iv->v[i]->id, id))
                        return (ssize_t) i;
        return -1;
}

/* Exact match in the names (or, for "repo@digest", the repo digests). */
static ssize_t find_exact(const struct image_vec *iv, const char *name)
{
        bool is_digest = strchr(name, '@') != NULL;

        for (size_t i = 0; i < iv->n; i++)
                if (den_strv_contains(is_digest ? iv->v[i]->digests : iv->v[i]->names, name))
                        return (ssize_t) i;
        return -1;
}

static bool has_tag_or_digest(const char *name)
{
        const char *slash = strrchr(name, '/');

        return strchr(name, '@') || strchr(slash ? slash + 1 : name, ':');
}

/* name, then name:latest when it has neither tag nor digest. */
static ssize_t find_exact_or_latest(const struct image_vec *iv, const char *name)
{
        _cleanup_free_ char *latest = NULL;
        ssize_t i = find_exact(iv, name);

        if (i >= 0 || has_tag_or_digest(name))
                return i;
        latest = xasprintf("%s:latest", name);
        return find_exact(iv, latest);
}

/* A short name has no registry part: its first component has no '.' or ':' and is not
 * "localhost" (the rule references use to tell a domain from a path). */
static bool is_short_name(const char *name)
{
        const char *slash = strchr(name, '/');
        size_t n = slash ? (size_t) (slash - name) : 0;

        if (!slash)
                return true;
        return !memchr(name, '.', n) && !memchr(name, ':', n) &&
               !(n == strlen("localhost") && den_str_has_prefix(name, "localhost"));
}

static bool ends_with_component(const char *full, const char *suffix)
{
        size_t fl = strlen(full), sl = strlen(suffix);

        return fl > sl && full[fl - sl - 1] == '/' && streq(full + fl - sl, suffix);
}

/* Returns 1 and *ret when one image matches the short name, 0 when none, -1 (listing the
 * candidates) when several do. An exact localhost/<name> wins, as it would in podman. */
static int find_short(const struct image_vec *iv, const char *name, ssize_t *ret, den_error **err)
{
        bool is_digest = strchr(name, '@') != NULL;
        _cleanup_free_ char *want =
                has_tag_or_digest(name) ? xstrdup(name) : xasprintf("%s:latest", name);
        _cleanup_free_ char *local = xasprintf("localhost/%s", want);
        struct den_buf cands = { 0 };
        size_t n_found = 0;
        ssize_t found = -1;

        for (size_t i = 0; i < iv->n; i++) {
                char *const *list = is_digest ? iv->v[i]->digests : iv->v[i]->names;
                const char *hit = NULL;

                if (den_strv_contains(list, local)) {
                        den_buf_free(&cands);
                        *ret = (ssize_t) i;
                        return 1;
                }
                for (size_t k = 0; list && list[k] && !hit; k++)
                        if (ends_with_component(list[k], want))
                                hit = list[k];
                if (!hit)
                        continue;
                den_buf_printf(&cands, "%s%s", n_found ? ", " : "", hit);
                found = (ssize_t) i;
                n_found++;
        }
        if (n_found > 1) {
                _cleanup_free_ char *list = den_buf_steal(&cands);

                return den_error_set(err, 0, "short name \"%s\" is ambiguous: it matches %s", name,
                                     list);
        }
        den_buf_free(&cands);
        if (n_found == 0)
                return 0;
        *ret = found;
        return 1;
}

/* A unique ID prefix of at least 3 hex characters. Same return convention as find_short. */
static int find_prefix(const struct image_vec *iv, const char *hex, ssize_t *ret, den_error **err)
{
        size_t len = strlen(hex);
        struct den_buf cands = { 0 };
        size_t n_found = 0;
        ssize_t found = -1;

        if (len < 3 || len > 64 || !den_hex_is_valid(hex, len))
                return 0;
        for (size_t i = 0; i < iv->n; i++) {
                if (strncmp(iv->v[i]->id, hex, len) != 0)
                        continue;
                den_buf_printf(&cands, "%s%s", n_found ? ", " : "", iv->v[i]->id);
                found = (ssize_t) i;
                n_found++;
        }
        if (n_found > 1) {
                _cleanup_free_ char *list = den_buf_steal(&cands);

                return den_error_set(err, 0, "image ID prefix \"%s\" is ambiguous: it matches %s",
                                     hex, list);
        }
        den_buf_free(&cands);
        if (n_found == 0)
                return 0;
        *ret = found;
        return 1;
}

static int image_lookup(const struct image_vec *iv, const char *name, ssize_t *ret, den_error **err)
{
        const char *hex = den_str_has_prefix(name, "sha256:") ? name + 7 : name;
        _cleanup_free_ char *docker = NULL;
        ssize_t i = -1;
        int r = 0;

        if (!*name || strlen(name) > STORE_MAX_STR)
                return not_known(err, name);
        if (den_hex_is_valid(hex, 64))
                i = find_id(iv, hex);
        if (i < 0)
                i = find_exact_or_latest(iv, name);
        /* "docker.io/alpine" is spelled "docker.io/library/alpine" in the store */
        if (i < 0 && den_str_has_prefix(name, "docker.io/") &&
            !strchr(name + strlen("docker.io/"), '/')) {
                docker = xasprintf("docker.io/library/%s", name + strlen("docker.io/"));
                i = find_exact_or_latest(iv, docker);
        }
        if (i < 0 && is_short_name(name))
                r = find_short(iv, name, &i, err);
        if (r == 0 && i < 0)
                r = find_prefix(iv, hex, &i, err);
        if (r < 0)
                return -1;
        if (i < 0)
                return not_known(err, name);
        *ret = i;
        return 0;
}

int store_images_list(struct store *s, struct store_image ***ret, size_t *ret_n, den_error **err)
{
        return store_images_read(s, ret, ret_n, err);
}

int store_image_find(struct store *s, const char *name, struct store_image **ret, den_error **err)
{
        struct image_vec iv = { 0 };
        ssize_t i = -1;
        int r;

        if (store_images_read(s, &iv.v, &iv.n, err) < 0)
                return -1;
        r = image_lookup(&iv, name, &i, err);
        if (r == 0)
                *ret = image_copy(iv.v[i]);
        store_images_free(iv.v, iv.n);
        return r;
}

/* ---------------------------------------------------------------- mutations */

typedef int (*image_change_fn)(struct store *s, struct image_vec *iv, const void *arg,
                               den_error **err);

/* Lock, re-read, change, write, (collect garbage), unlock. */
static int images_change(struct store *s, image_change_fn fn, const void *arg, bool is_gc,
                         den_error **err)
{
        _cleanup_close_ int lock = store_lock(s, err);
        struct image_vec iv = { 0 };
        int r;

        if (lock < 0)
                return -1;
        r = store_images_read(s, &iv.v, &iv.n, err);
        if (r == 0)
                r = fn(s, &iv, arg, err);
        if (r == 0) {
                images_sort(iv.v, iv.n);
                r = images_write(s, iv.v, iv.n, err);
        }
        /* the record is gone already: say so when only the cleanup failed */
        if (r == 0 && is_gc && store_gc_locked(s, iv.v, iv.n, err) < 0)
                r = den_error_wrap(err, "image removed, but collect unused layers and blobs");
        store_images_free(iv.v, iv.n);
        return r;
}

static const char *id_normalize(const char *id)
{
        if (id && den_str_has_prefix(id, "sha256:"))
                id += 7;
        return id && den_hex_is_valid(id, 64) ? id : NULL;
}

/* Takes names away from every image but the one with keep_id. */
static void names_take(struct image_vec *iv, const char *keep_id, char *const *names)
{
        for (size_t k = 0; k < iv->n; k++) {
                if (streq(iv->v[k]->id, keep_id))
                        continue;
                for (size_t i = 0; names && names[i]; i++)
                        strv_remove(iv->v[k]->names, names[i]);
        }
}

static void replace_str(char **dst, const char *src)
{
        if (!src)
                return;
        free(*dst);
        *dst = xstrdup(src);
}

static void image_merge(struct store_image *dst, const struct store_image *src)
{
        strv_merge(&dst->names, src->names);
        strv_merge(&dst->digests, src->digests);
        replace_str(&dst->manifest_digest, src->manifest_digest);
        replace_str(&dst->manifest_media_type, src->manifest_media_type);
        replace_str(&dst->config_digest, src->config_digest);
        replace_str(&dst->os, src->os);
        replace_str(&dst->arch, src->arch);
        if (src->layers) {
                den_strv_free(dst->layers);
                dst->layers = strv_copy(src->layers);
        }
        if (src->created)
                dst->created = src->created;
        if (src->size)
                dst->size = src->size;
}

static bool layer_is_present(struct store *s, const char *diff_id)
{
        _cleanup_free_ char *p = xasprintf("%s/layer.json", store_layer_hex(diff_id));

        return faccessat(s->layers_dfd, p, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

static int add_change(struct store *s, struct image_vec *iv, const void *arg, den_error **err)
{
        const struct store_image *img = arg;
        ssize_t i = find_id(iv, img->id);
        struct store_image *dst = NULL;

        /* under the lock, where gc runs: a layer present now stays until the record is in */
        for (size_t k = 0; img->layers && img->layers[k]; k++)
                if (!layer_is_present(s, img->layers[k]))
                        return den_error_set(err, ENOENT,
                                             "image %.12s: layer %s is not in the store", img->id,
                                             img->layers[k]);
        names_take(iv, img->id, img->names);
        if (i >= 0) {
                dst = iv->v[i];
        } else {
                dst = xcalloc(1, sizeof(*dst));
                dst->id = xstrdup(img->id);
                dst->names = xcalloc(1, sizeof(char *));
                dst->digests = xcalloc(1, sizeof(char *));
                dst->layers = xcalloc(1, sizeof(char *));
                dst->stored = img->stored ? img->stored : (int64_t) time(NULL);
                iv->v = xrealloc(iv->v, (iv->n + 2) * sizeof(*iv->v));
                memmove(iv->v + 1, iv->v, iv->n * sizeof(*iv->v));
                iv->v[0] = dst;
                iv->n++;
        }
        image_merge(dst, img);
        return 0;
}

int store_image_add(struct store *s, const struct store_image *img, den_error **err)
{
        if (image_validate(img, err) < 0)
                return den_error_wrap(err, "add image");
        if (images_change(s, add_change, img, false, err) < 0)
                return den_error_wrap(err, "add image %.12s", img->id);
        /* its layers and blobs are referenced now: gc may run again */
        store_unpin(s);
        return 0;
}

struct name_arg {
        const char *id;
        const char *name;
};

static int tag_change(struct store *s, struct image_vec *iv, const void *arg, den_error **err)
{
        const struct name_arg *a = arg;
        char *names[] = { (char *) a->name, NULL };
        ssize_t i = find_id(iv, a->id);

        if (i < 0)
                return not_known(err, a->id);
        names_take(iv, a->id, names);
        if (!den_strv_contains(iv->v[i]->names, a->name))
                den_strv_push(&iv->v[i]->names, a->name);
        return 0;
}

int store_image_tag(struct store *s, const char *id, const char *name, den_error **err)
{
        struct name_arg a = { .id = id_normalize(id), .name = name };

        if (!a.id)
                return den_error_set(err, EINVAL, "invalid image id \"%.80s\"", id ? id : "");
        if (!str_is_token(name, STORE_MAX_STR))
                return den_error_set(err, EINVAL, "invalid image name \"%.80s\"", name ? name : "");
        return images_change(s, tag_change, &a, false, err);
}

static int untag_change(struct store *s, struct image_vec *iv, const void *arg, den_error **err)
{
        const struct name_arg *a = arg;
        ssize_t i = find_id(iv, a->id);

        if (i < 0)
                return not_known(err, a->id);
        if (!a->name) {
                den_strv_free(iv->v[i]->names);
                iv->v[i]->names = xcalloc(1, sizeof(char *));
                return 0;
        }
        if (!den_strv_contains(iv->v[i]->names, a->name))
                return den_error_set(err, ENOENT, "%s: tag not known", a->name);
        strv_remove(iv->v[i]->names, a->name);
        return 0;
}

int store_image_untag(struct store *s, const char *id, const char *name, den_error **err)
{
        struct name_arg a = { .id = id_normalize(id), .name = name };

        if (!a.id)
                return den_error_set(err, EINVAL, "invalid image id \"%.80s\"", id ? id : "");
        return images_change(s, untag_change, &a, false, err);
}

static int remove_change(struct store *s, struct image_vec *iv, const void *arg, den_error **err)
{
        ssize_t i = find_id(iv, arg);

        if (i < 0)
                return not_known(err, arg);
        if (store_image_check_unused(s, arg, err) < 0)
                return -1;
        store_image_free(iv->v[i]);
        memmove(iv->v + i, iv->v + i + 1, (iv->n - (size_t) i - 1) * sizeof(*iv->v));
        iv->n--;
        return 0;
}

int store_image_remove(struct store *s, const char *id, den_error **err)
{
        const char *hex = id_normalize(id);

        if (!hex)
                return den_error_set(err, EINVAL, "invalid image id \"%.80s\"", id ? id : "");
        return images_change(s, remove_change, hex, true, err);
}
