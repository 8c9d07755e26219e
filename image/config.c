/* Image configs (OCI image spec v1.1 config, and Docker's image JSON, which shares its
 * fields): parsing into struct img_config and serialization back to canonical OCI JSON.
 *
 * Trust boundary: a config is a blob from a registry or an archive and is untrusted (its
 * digest is checked where it is fetched, which says nothing about its contents). It is
 * bounded in size (IMG_MAX_CONFIG_SIZE) and nesting depth before jansson parses it, duplicate
 * keys are refused, and each field den uses is type-checked; unknown keys are ignored as the
 * spec requires. rootfs.diff_ids decide which layers make up the image, so each must be a
 * valid digest and their number is bounded. Values written by Go tools as null count as
 * absent. */
#include <jansson.h>
#include <stdarg.h>

#include "image/image.h"
#include "image/json-internal.h"

#define MAX_DIFF_IDS 1000
#define MAX_HISTORY 10000

/* ---------------------------------------------------------------- small helpers */

/* A copy of an untrusted string fit for a one-line message. */
static char *printable(const char *s)
{
        struct den_buf b = { 0 };
        size_t i;

        for (i = 0; s[i] && i < 100; i++) {
                unsigned char c = (unsigned char) s[i];

                if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
                        den_buf_printf(&b, "\\x%02x", c);
                else
                        den_buf_append(&b, &s[i], 1);
        }
        if (s[i])
                den_buf_puts(&b, "...");
        return den_buf_steal(&b);
}

/* Sets an error naming the field path.key ("rootfs.diff_ids[1]: not a valid digest"). */
static int field_error(den_error **err, const char *path, const char *key, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static int field_error(den_error **err, const char *path, const char *key, const char *fmt, ...)
{
        _cleanup_free_ char *detail = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&detail, fmt, ap) < 0)
                abort(); /* out of memory is fatal */
        va_end(ap);
        return den_error_set(err, 0, "%s%s%s: %s", path, key && *path ? "." : "", key ? key : "",
                             detail);
}

/* The value of key, or NULL when absent or null. */
static json_t *field(const json_t *obj, const char *key)
{
        json_t *v = json_object_get(obj, key);

        return json_is_null(v) ? NULL : v;
}

static int get_string(const json_t *obj, const char *path, const char *key, char **ret,
                      den_error **err)
{
        json_t *v = field(obj, key);

        if (!v)
                return 0;
        if (!json_is_string(v))
                return field_error(err, path, key, "not a string");
        *ret = xstrdup(json_string_value(v));
        return 0;
}

/* An array of strings; absent or null leaves *ret NULL, [] gives an empty vector. */
static int get_strv(const json_t *obj, const char *path, const char *key, char ***ret,
                    den_error **err)
{
        json_t *a = field(obj, key), *v;
        char **strv;
        size_t i;

        if (!a)
                return 0;
        if (!json_is_array(a))
                return field_error(err, path, key, "not an array");
        strv = xcalloc(json_array_size(a) + 1, sizeof(char *));
        *ret = strv;
        json_array_foreach (a, i, v) {
                if (!json_is_string(v))
                        return field_error(err, path, key, "element %zu is not a string", i);
                strv[i] = xstrdup(json_string_value(v));
        }
        return 0;
}

/* The keys of an object ({"80/tcp": {}}), and its string values when ret_values is set. */
static int get_keys(const json_t *obj, const char *path, const char *key, char ***ret_keys,
                    char ***ret_values, den_error **err)
{
        json_t *o = field(obj, key), *v;
        const char *k;
        size_t i = 0;

        if (!o)
                return 0;
        if (!json_is_object(o))
                return field_error(err, path, key, "not an object");
        *ret_keys = xcalloc(json_object_size(o) + 1, sizeof(char *));
        if (ret_values)
                *ret_values = xcalloc(json_object_size(o) + 1, sizeof(char *));
        json_object_foreach (o, k, v) {
                if (ret_values && !json_is_string(v)) {
                        _cleanup_free_ char *p = printable(k);

                        return field_error(err, path, key, "value of \"%s\" is not a string", p);
                }
                (*ret_keys)[i] = xstrdup(k);
                if (ret_values)
                        (*ret_values)[i] = xstrdup(json_string_value(v));
                i++;
        }
        return 0;
}

static bool digits(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (s[i] < '0' || s[i] > '9')
                        return false;
        return true;
}

/* The exact RFC 3339 shape ("2024-01-02T03:04:05[.frac](Z|+hh:mm)"), checked before the
 * date parser sees the string, so that parser only ever gets well-formed input. */
static bool rfc3339_shape_is_valid(const char *s)
{
        size_t n = strlen(s), i = 19;

        if (n < 20 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
            !digits(s + 8, 2) || s[10] != 'T' || !digits(s + 11, 2) || s[13] != ':' ||
            !digits(s + 14, 2) || s[16] != ':' || !digits(s + 17, 2))
                return false;
        if (s[i] == '.') {
                size_t f = strspn(s + i + 1, "0123456789");

                if (f == 0 || f > 9)
                        return false;
                i += 1 + f;
        }
        if ((s[i] == 'Z' || s[i] == 'z') && s[i + 1] == '\0')
                return true;
        return (s[i] == '+' || s[i] == '-') && n - i == 6 && digits(s + i + 1, 2) &&
               s[i + 3] == ':' && digits(s + i + 4, 2);
}

static int load_document(const char *body, size_t len, json_t **ret, den_error **err)
{
        return img_json_load_object(body, len, IMG_MAX_CONFIG_SIZE, ret, err);
}

/* ---------------------------------------------------------------- parsing */

void img_config_free(struct img_config *c)
{
        if (!c)
                return;
        free(c->architecture);
        free(c->os);
        free(c->variant);
        free(c->created);
        free(c->author);
        free(c->user);
        den_strv_free(c->env);
        den_strv_free(c->entrypoint);
        den_strv_free(c->cmd);
        free(c->working_dir);
        den_strv_free(c->exposed_ports);
        den_strv_free(c->volumes);
        free(c->stop_signal);
        den_strv_free(c->label_keys);
        den_strv_free(c->label_values);
        den_strv_free(c->diff_ids);
        for (size_t i = 0; i < c->n_history; i++) {
                free(c->history[i].created);
                free(c->history[i].created_by);
                free(c->history[i].comment);
                free(c->history[i].author);
        }
        free(c->history);
        free(c);
}

/* "created" that is not RFC 3339 is dropped rather than refused, as podman tolerates it. */
static int parse_created(const json_t *root, struct img_config *c, den_error **err)
{
        _cleanup_free_ char *created = NULL;
        int64_t sec;

        if (get_string(root, "", "created", &created, err) < 0)
                return -1;
        if (!created || !rfc3339_shape_is_valid(created) ||
            den_time_parse_rfc3339(created, &sec, NULL) < 0)
                return 0;
        c->created = steal_ptr(created);
        c->created_unix = sec;
        return 0;
}

static int parse_exec_config(const json_t *root, struct img_config *c, den_error **err)
{
        json_t *o = field(root, "config");
        const char *p = "config";

        if (!o)
                return 0;
        if (!json_is_object(o))
                return field_error(err, "", "config", "not an object");
        if (get_string(o, p, "User", &c->user, err) < 0 ||
            get_strv(o, p, "Env", &c->env, err) < 0 ||
            get_strv(o, p, "Entrypoint", &c->entrypoint, err) < 0 ||
            get_strv(o, p, "Cmd", &c->cmd, err) < 0 ||
            get_string(o, p, "WorkingDir", &c->working_dir, err) < 0 ||
            get_keys(o, p, "ExposedPorts", &c->exposed_ports, NULL, err) < 0 ||
            get_keys(o, p, "Volumes", &c->volumes, NULL, err) < 0 ||
            get_string(o, p, "StopSignal", &c->stop_signal, err) < 0 ||
            get_keys(o, p, "Labels", &c->label_keys, &c->label_values, err) < 0)
                return -1;
        c->has_entrypoint = c->entrypoint != NULL;
        c->has_cmd = c->cmd != NULL;
        return 0;
}

static int parse_rootfs(const json_t *root, struct img_config *c, den_error **err)
{
        json_t *r = field(root, "rootfs"), *t;

        if (!r)
                return field_error(err, "", "rootfs", "missing");
        if (!json_is_object(r))
                return field_error(err, "", "rootfs", "not an object");
        t = field(r, "type");
        if (!t)
                return field_error(err, "rootfs", "type", "missing");
        if (!json_is_string(t) || !streq(json_string_value(t), "layers"))
                return field_error(err, "rootfs", "type", "not \"layers\"");
        if (!json_object_get(r, "diff_ids"))
                return field_error(err, "rootfs", "diff_ids", "missing");
        if (get_strv(r, "rootfs", "diff_ids", &c->diff_ids, err) < 0)
                return -1;
        if (!c->diff_ids) /* null: an image without layers */
                c->diff_ids = xcalloc(1, sizeof(char *));
        if (den_strv_len(c->diff_ids) > MAX_DIFF_IDS)
                return field_error(err, "rootfs", "diff_ids", "more than %d layers", MAX_DIFF_IDS);
        for (size_t i = 0; c->diff_ids[i]; i++)
                if (!den_digest_is_valid(c->diff_ids[i]))
                        return den_error_set(err, 0, "rootfs.diff_ids[%zu]: not a valid digest", i);
        return 0;
}

/* History need not match the layers one to one: images in the wild disagree, and den only
 * shows it. */
static int parse_history(const json_t *root, struct img_config *c, den_error **err)
{
        json_t *a = field(root, "history"), *v;
        size_t i;

        if (!a)
                return 0;
        if (!json_is_array(a))
                return field_error(err, "", "history", "not an array");
        if (json_array_size(a) > MAX_HISTORY)
                return field_error(err, "", "history", "more than %d entries", MAX_HISTORY);
        c->history = xcalloc(json_array_size(a) ? json_array_size(a) : 1, sizeof(*c->history));
        json_array_foreach (a, i, v) {
                struct img_history *h = &c->history[i];
                json_t *e;
                char path[32];

                c->n_history = i + 1;
                snprintf(path, sizeof(path), "history[%zu]", i);
                if (!json_is_object(v))
                        return field_error(err, path, NULL, "not an object");
                if (get_string(v, path, "created", &h->created, err) < 0 ||
                    get_string(v, path, "created_by", &h->created_by, err) < 0 ||
                    get_string(v, path, "comment", &h->comment, err) < 0 ||
                    get_string(v, path, "author", &h->author, err) < 0)
                        return -1;
                e = field(v, "empty_layer");
                if (e && !json_is_boolean(e))
                        return field_error(err, path, "empty_layer", "not a boolean");
                h->is_empty_layer = json_is_true(e);
        }
        return 0;
}

int img_config_parse(const char *body, size_t len, struct img_config **ret, den_error **err)
{
        _cleanup_(img_config_freep) struct img_config *c = NULL;
        json_auto_t *root = NULL;

        if (load_document(body, len, &root, err) < 0)
                return den_error_wrap(err, "parse config");
        c = xcalloc(1, sizeof(*c));
        if (get_string(root, "", "architecture", &c->architecture, err) < 0 ||
            get_string(root, "", "os", &c->os, err) < 0 ||
            get_string(root, "", "variant", &c->variant, err) < 0 ||
            get_string(root, "", "author", &c->author, err) < 0 ||
            parse_created(root, c, err) < 0 || parse_exec_config(root, c, err) < 0 ||
            parse_rootfs(root, c, err) < 0 || parse_history(root, c, err) < 0)
                return den_error_wrap(err, "parse config");
        *ret = steal_ptr(c);
        return 0;
}

/* ---------------------------------------------------------------- serialization */

/* A JSON string for s; invalid UTF-8 (possible only in configs den builds itself, from user
 * input) becomes '?' rather than dropping the value. */
static json_t *jstr(const char *s)
{
        json_t *v;
        char *copy;

        if (!s)
                return NULL;
        v = json_string(s);
        if (v)
                return v;
        copy = xstrdup(s);
        for (char *p = copy; *p; p++)
                if ((unsigned char) *p >= 0x80)
                        *p = '?';
        v = json_string(copy);
        free(copy);
        return v;
}

static void set_str(json_t *o, const char *key, const char *s)
{
        if (s)
                json_object_set_new(o, key, jstr(s));
}

static void set_strv(json_t *o, const char *key, char *const *v, bool force)
{
        json_t *a;

        if (!v && !force)
                return;
        a = json_array();
        for (size_t i = 0; v && v[i]; i++)
                json_array_append_new(a, jstr(v[i]));
        json_object_set_new(o, key, a);
}

struct kv {
        const char *k, *v;
};

static int kv_cmp(const void *a, const void *b)
{
        return strcmp(((const struct kv *) a)->k, ((const struct kv *) b)->k);
}

/* An object with keys sorted bytewise (as Go writes maps): values are the strings in values,
 * or {} when values is NULL (ExposedPorts, Volumes). */
static void set_sorted_object(json_t *o, const char *key, char *const *keys, char *const *values)
{
        size_t n = den_strv_len(keys);
        _cleanup_free_ struct kv *kvs = NULL;
        json_t *obj;

        if (!keys)
                return;
        kvs = xcalloc(n ? n : 1, sizeof(*kvs));
        for (size_t i = 0; i < n; i++)
                kvs[i] = (struct kv){ keys[i], values && values[i] ? values[i] : "" };
        qsort(kvs, n, sizeof(*kvs), kv_cmp);
        obj = json_object();
        for (size_t i = 0; i < n; i++)
                json_object_set_new(obj, kvs[i].k, values ? jstr(kvs[i].v) : json_object());
        json_object_set_new(o, key, obj);
}

static json_t *exec_config_json(const struct img_config *c)
{
        json_t *o = json_object();

        set_str(o, "User", c->user);
        set_sorted_object(o, "ExposedPorts", c->exposed_ports, NULL);
        set_strv(o, "Env", c->env, false);
        set_strv(o, "Entrypoint", c->entrypoint, c->has_entrypoint);
        set_strv(o, "Cmd", c->cmd, c->has_cmd);
        set_sorted_object(o, "Volumes", c->volumes, NULL);
        set_str(o, "WorkingDir", c->working_dir);
        set_sorted_object(o, "Labels", c->label_keys, c->label_values);
        set_str(o, "StopSignal", c->stop_signal);
        return o;
}

static json_t *history_json(const struct img_config *c)
{
        json_t *a = json_array();

        for (size_t i = 0; i < c->n_history; i++) {
                const struct img_history *h = &c->history[i];
                json_t *o = json_object();

                set_str(o, "created", h->created);
                set_str(o, "author", h->author);
                set_str(o, "created_by", h->created_by);
                set_str(o, "comment", h->comment);
                if (h->is_empty_layer)
                        json_object_set_new(o, "empty_layer", json_true());
                json_array_append_new(a, o);
        }
        return a;
}

char *img_config_serialize(const struct img_config *c, size_t *ret_len)
{
        json_auto_t *root = json_object();
        json_t *rootfs = json_object();
        char *s;

        if (c->created) {
                set_str(root, "created", c->created);
        } else if (c->created_unix != 0) {
                _cleanup_free_ char *t = den_time_rfc3339(c->created_unix, 0);

                set_str(root, "created", t);
        }
        set_str(root, "author", c->author);
        set_str(root, "architecture", c->architecture);
        set_str(root, "os", c->os);
        set_str(root, "variant", c->variant);
        json_object_set_new(root, "config", exec_config_json(c));
        json_object_set_new(rootfs, "type", json_string("layers"));
        set_strv(rootfs, "diff_ids", c->diff_ids, true);
        json_object_set_new(root, "rootfs", rootfs);
        if (c->n_history)
                json_object_set_new(root, "history", history_json(c));
        s = json_dumps(root, JSON_COMPACT);
        if (!s)
                abort(); /* only on out of memory, which is fatal */
        if (ret_len)
                *ret_len = strlen(s);
        return s;
}
