/* registries.conf, read as podman reads it: the v2 format (unqualified-search-registries,
 * short-name-mode, [[registry]] with [[registry.mirror]], [aliases]) and the old v1 format
 * ([registries.search], [registries.insecure], [registries.block]), plus the drop-ins in
 * registries.conf.d/.
 *
 * Which files are read, in order (each later one overrides the earlier ones):
 *   1. $CONTAINERS_REGISTRIES_CONF when set; else ~/.config/containers/registries.conf when it
 *      exists; else /etc/containers/registries.conf. A missing file is an empty one.
 *   2. The *.conf files of /etc/containers/registries.conf.d, then those of
 *      ~/.config/containers/registries.conf.d, each directory in lexical order. When the
 *      per-user registries.conf is the one read in step 1, only the per-user directory is.
 * A drop-in replaces the search list and short-name-mode when it sets them, replaces
 * [[registry]] entries with the same prefix, and sets aliases one by one (an alias set to ""
 * removes it). Drop-ins must use the v2 format.
 *
 * Unknown keys are ignored, as podman ignores them; a known key with the wrong type is an
 * error naming the file, the place and the key. */
#include <sys/stat.h>

#include "image/image.h"

#define REGISTRIES_MAX_SIZE DEN_TOML_MAX_SIZE
#define REGISTRIES_MAX_DROPINS 256
#define SYSTEM_CONF "/etc/containers/registries.conf"
#define SYSTEM_DIR "/etc/containers/registries.conf.d"
#define USER_CONF ".config/containers/registries.conf"
#define USER_DIR ".config/containers/registries.conf.d"

/* What one file says, merged into a struct img_registries only when the whole file is valid. */
struct file_conf {
        const char *name;
        den_error **err;
        bool is_drop_in;
        bool has_search;
        char **search;
        char *short_name_mode;
        char **alias_names;
        char **alias_values; /* "" removes the alias */
        struct img_registry_conf *entries;
        size_t n_entries;
};

static void entry_clear(struct img_registry_conf *e)
{
        free(e->prefix);
        free(e->location);
        den_strv_free(e->mirrors);
        free(e->mirror_is_insecure);
        *e = (struct img_registry_conf){ 0 };
}

static void file_conf_clear(struct file_conf *fc)
{
        den_strv_free(fc->search);
        free(fc->short_name_mode);
        den_strv_free(fc->alias_names);
        den_strv_free(fc->alias_values);
        for (size_t i = 0; i < fc->n_entries; i++)
                entry_clear(&fc->entries[i]);
        free(fc->entries);
}

void img_registries_free(struct img_registries *r)
{
        if (!r)
                return;
        den_strv_free(r->search);
        den_strv_free(r->alias_names);
        den_strv_free(r->alias_values);
        for (size_t i = 0; i < r->n_entries; i++)
                entry_clear(&r->entries[i]);
        free(r->entries);
        free(r->short_name_mode);
        free(r);
}

static void registries_freep(struct img_registries **r)
{
        img_registries_free(*r);
}

/* ---------------------------------------------------------------- typed getters */

static int bad_value(const struct file_conf *fc, const struct den_toml *v, const char *key,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int bad_value(const struct file_conf *fc, const struct den_toml *v, const char *key,
                     const char *fmt, ...)
{
        _cleanup_free_ char *what = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&what, fmt, ap) < 0)
                what = NULL;
        va_end(ap);
        if (!what) {
                fputs("den: out of memory\n", stderr);
                abort();
        }
        return den_error_set(fc->err, 0, "%s:%u:%u: %s: %s", fc->name, v->line, v->col, key, what);
}

static int bad_type(const struct file_conf *fc, const struct den_toml *v, const char *key,
                    const char *want)
{
        return bad_value(fc, v, key, "expected %s, got %s", want, den_toml_type_name(v->type));
}

/* Each getter returns 1 when the key is set, 0 when absent (output untouched), -1 on error. */
static int get_string(const struct file_conf *fc, const struct den_toml *t, const char *key,
                      const char *shown, const struct den_toml **ret_node, char **ret)
{
        const struct den_toml *v = den_toml_get(t, key);

        if (!v)
                return 0;
        if (v->type != DEN_TOML_STRING)
                return bad_type(fc, v, shown, "a string");
        free(*ret);
        *ret = xstrdup(v->str);
        if (ret_node)
                *ret_node = v;
        return 1;
}

static int get_bool(const struct file_conf *fc, const struct den_toml *t, const char *key,
                    const char *shown, bool *ret)
{
        const struct den_toml *v = den_toml_get(t, key);

        if (!v)
                return 0;
        if (v->type != DEN_TOML_BOOL)
                return bad_type(fc, v, shown, "a boolean");
        *ret = v->boolean;
        return 1;
}

/* A registry location: no URI scheme, trailing slashes dropped (as podman reads them). */
static int location_clean(const struct file_conf *fc, const struct den_toml *v, const char *key,
                          const char *s, char **ret)
{
        size_t n = strlen(s);

        if (den_str_has_prefix(s, "http://") || den_str_has_prefix(s, "https://"))
                return bad_value(fc, v, key,
                                 "invalid location \"%s\": URI schemes are not "
                                 "supported",
                                 s);
        while (n > 0 && s[n - 1] == '/')
                n--;
        *ret = xstrndup(s, n);
        return 0;
}

/* An array of registry locations. */
static int get_locations(const struct file_conf *fc, const struct den_toml *t, const char *key,
                         const char *shown, char ***ret)
{
        const struct den_toml *v = den_toml_get(t, key);
        _cleanup_strv_ char **out = xcalloc(1, sizeof(char *));

        if (!v)
                return 0;
        if (v->type != DEN_TOML_ARRAY)
                return bad_type(fc, v, shown, "an array of strings");
        for (size_t i = 0; i < v->n; i++) {
                const struct den_toml *s = v->items[i];
                _cleanup_free_ char *loc = NULL;

                if (s->type != DEN_TOML_STRING)
                        return bad_type(fc, s, shown, "an array of strings");
                if (location_clean(fc, s, shown, s->str, &loc) < 0)
                        return -1;
                if (!*loc)
                        return bad_value(fc, s, shown, "empty registry");
                den_strv_push(&out, loc);
        }
        den_strv_free(*ret);
        *ret = steal_ptr(out);
        return 1;
}

/* ---------------------------------------------------------------- [[registry]] */

static int parse_mirror(struct file_conf *fc, const struct den_toml *m, struct img_registry_conf *e,
                        size_t i)
{
        _cleanup_free_ char *loc = NULL;
        const struct den_toml *node = m;

        if (m->type != DEN_TOML_TABLE)
                return bad_type(fc, m, "registry.mirror", "a table");
        if (get_string(fc, m, "location", "registry.mirror.location", &node, &loc) < 0)
                return -1;
        if (!loc)
                return bad_value(fc, m, "registry.mirror", "location is not set");
        if (location_clean(fc, node, "registry.mirror.location", loc, &e->mirrors[i]) < 0)
                return -1;
        if (!*e->mirrors[i])
                return bad_value(fc, node, "registry.mirror.location", "must not be empty");
        return get_bool(fc, m, "insecure", "registry.mirror.insecure", &e->mirror_is_insecure[i]);
}

static int parse_entry(struct file_conf *fc, const struct den_toml *t, struct img_registry_conf *e)
{
        _cleanup_free_ char *prefix = NULL;
        _cleanup_free_ char *location = NULL;
        const struct den_toml *pnode = t, *lnode = t, *mirrors;

        if (t->type != DEN_TOML_TABLE)
                return bad_type(fc, t, "registry", "a table");
        if (get_string(fc, t, "prefix", "registry.prefix", &pnode, &prefix) < 0 ||
            get_string(fc, t, "location", "registry.location", &lnode, &location) < 0 ||
            get_bool(fc, t, "insecure", "registry.insecure", &e->is_insecure) < 0 ||
            get_bool(fc, t, "blocked", "registry.blocked", &e->is_blocked) < 0)
                return -1;
        if (location && location_clean(fc, lnode, "registry.location", location, &e->location) < 0)
                return -1;
        if (prefix && location_clean(fc, pnode, "registry.prefix", prefix, &e->prefix) < 0)
                return -1;
        if ((!e->prefix || !*e->prefix) && (!e->location || !*e->location))
                return bad_value(fc, t, "registry", "both location and prefix are unset");
        if (!e->prefix || !*e->prefix) {
                free(e->prefix);
                e->prefix = xstrdup(e->location);
        }
        if (den_str_has_prefix(e->prefix, "*.")) {
                if (strpbrk(e->prefix, "/:@"))
                        return bad_value(fc, pnode, "registry.prefix",
                                         "wildcarded prefix \"%s\" must be like *.example.com",
                                         e->prefix);
        }
        if (!e->location || !*e->location) {
                /* the prefix is the location, unless it is a wildcard */
                free(e->location);
                e->location = xstrdup(den_str_has_prefix(e->prefix, "*.") ? "" : e->prefix);
        }
        mirrors = den_toml_get(t, "mirror");
        e->mirrors = xcalloc(1, sizeof(char *));
        if (!mirrors)
                return 0;
        if (mirrors->type != DEN_TOML_ARRAY)
                return bad_type(fc, mirrors, "registry.mirror", "an array of tables");
        e->mirrors = xrealloc(e->mirrors, (mirrors->n + 1) * sizeof(char *));
        memset(e->mirrors, 0, (mirrors->n + 1) * sizeof(char *));
        e->mirror_is_insecure = xcalloc(mirrors->n + 1, sizeof(bool));
        for (size_t i = 0; i < mirrors->n; i++)
                if (parse_mirror(fc, mirrors->items[i], e, i) < 0)
                        return -1;
        return 0;
}

static struct img_registry_conf *entry_add(struct file_conf *fc)
{
        fc->entries = xrealloc(fc->entries, (fc->n_entries + 1) * sizeof(*fc->entries));
        fc->entries[fc->n_entries] = (struct img_registry_conf){ 0 };
        return &fc->entries[fc->n_entries++];
}

static int parse_entries(struct file_conf *fc, const struct den_toml *doc)
{
        const struct den_toml *regs = den_toml_get(doc, "registry");

        if (!regs)
                return 0;
        if (regs->type != DEN_TOML_ARRAY)
                return bad_type(fc, regs, "registry", "an array of tables");
        for (size_t i = 0; i < regs->n; i++)
                if (parse_entry(fc, regs->items[i], entry_add(fc)) < 0)
                        return -1;
        return 0;
}

/* The same location must not be both insecure and secure, or blocked and not. */
static int check_conflicts(struct file_conf *fc)
{
        for (size_t i = 0; i < fc->n_entries; i++) {
                const struct img_registry_conf *a = &fc->entries[i];
                const char *la = *a->location ? a->location : a->prefix;

                for (size_t j = i + 1; j < fc->n_entries; j++) {
                        const struct img_registry_conf *b = &fc->entries[j];

                        if (!streq(la, *b->location ? b->location : b->prefix))
                                continue;
                        if (a->is_insecure != b->is_insecure || a->is_blocked != b->is_blocked)
                                return den_error_set(
                                        fc->err, 0,
                                        "%s: registry \"%s\" is defined multiple times with "
                                        "conflicting '%s' setting",
                                        fc->name, la,
                                        a->is_insecure != b->is_insecure ? "insecure" : "blocked");
                }
        }
        return 0;
}

/* ---------------------------------------------------------------- [aliases] */

/* An alias name is a short name: no registry, tag or digest. */
static int alias_name_check(struct file_conf *fc, const struct den_toml *v, const char *name)
{
        _cleanup_(img_ref_freep) struct img_ref *ref = NULL;
        _cleanup_error_ den_error *e = NULL;

        if (img_ref_parse(name, &ref, &e) < 0)
                return bad_value(fc, v, "aliases", "%s", e->msg);
        if (ref->domain)
                return bad_value(fc, v, "aliases",
                                 "invalid short name \"%s\": must not contain "
                                 "a registry",
                                 name);
        if (ref->tag || ref->digest)
                return bad_value(fc, v, "aliases",
                                 "invalid short name \"%s\": must not contain "
                                 "a tag or digest",
                                 name);
        return 0;
}

/* An alias value is a fully qualified repository without tag or digest. */
static int alias_value_check(struct file_conf *fc, const struct den_toml *v, const char *value)
{
        _cleanup_(img_ref_freep) struct img_ref *ref = NULL;
        _cleanup_error_ den_error *e = NULL;

        if (img_ref_parse(value, &ref, &e) < 0)
                return bad_value(fc, v, "aliases", "%s", e->msg);
        if (!ref->domain)
                return bad_value(fc, v, "aliases",
                                 "invalid alias \"%s\": must contain registry "
                                 "and repository",
                                 value);
        if (ref->tag || ref->digest)
                return bad_value(fc, v, "aliases",
                                 "invalid alias \"%s\": must not contain a tag "
                                 "or digest",
                                 value);
        return 0;
}

static int parse_aliases(struct file_conf *fc, const struct den_toml *doc)
{
        const struct den_toml *t = den_toml_get(doc, "aliases");

        if (!t)
                return 0;
        if (t->type != DEN_TOML_TABLE)
                return bad_type(fc, t, "aliases", "a table");
        for (size_t i = 0; i < t->n; i++) {
                const struct den_toml *v = t->items[i];

                if (v->type != DEN_TOML_STRING)
                        return bad_type(fc, v, "aliases", "a string");
                if (alias_name_check(fc, v, t->keys[i]) < 0)
                        return -1;
                if (*v->str && alias_value_check(fc, v, v->str) < 0)
                        return -1;
                den_strv_push(&fc->alias_names, t->keys[i]);
                den_strv_push(&fc->alias_values, v->str);
        }
        return 0;
}

/* ---------------------------------------------------------------- v1 and the top level */

static int v1_list(struct file_conf *fc, const struct den_toml *regs, const char *what, char ***ret)
{
        const struct den_toml *t = den_toml_get(regs, what);
        _cleanup_free_ char *shown = xasprintf("registries.%s.registries", what);

        if (!t)
                return 0;
        if (t->type != DEN_TOML_TABLE)
                return bad_type(fc, t, shown, "a table");
        return get_locations(fc, t, "registries", shown, ret);
}

static struct img_registry_conf *v1_entry(struct file_conf *fc, const char *location)
{
        struct img_registry_conf *e;

        for (size_t i = 0; i < fc->n_entries; i++)
                if (streq(fc->entries[i].location, location))
                        return &fc->entries[i];
        e = entry_add(fc);
        e->prefix = xstrdup(location);
        e->location = xstrdup(location);
        e->mirrors = xcalloc(1, sizeof(char *));
        return e;
}

/* The v1 format, converted as podman converts it: blocked and insecure registries become
 * [[registry]] entries. Returns 1 when the file uses v1. */
static int parse_v1(struct file_conf *fc, const struct den_toml *doc)
{
        const struct den_toml *regs = den_toml_get(doc, "registries");
        _cleanup_strv_ char **search = NULL;
        _cleanup_strv_ char **insecure = NULL;
        _cleanup_strv_ char **block = NULL;
        int has_search;

        if (!regs)
                return 0;
        if (regs->type != DEN_TOML_TABLE)
                return bad_type(fc, regs, "registries", "a table");
        if ((has_search = v1_list(fc, regs, "search", &search)) < 0 ||
            v1_list(fc, regs, "insecure", &insecure) < 0 || v1_list(fc, regs, "block", &block) < 0)
                return -1;
        if (!den_strv_len(search) && !den_strv_len(insecure) && !den_strv_len(block))
                return 0;
        for (size_t i = 0; block && block[i]; i++)
                v1_entry(fc, block[i])->is_blocked = true;
        for (size_t i = 0; insecure && insecure[i]; i++)
                v1_entry(fc, insecure[i])->is_insecure = true;
        if (has_search) {
                fc->has_search = true;
                fc->search = steal_ptr(search);
        }
        return 1;
}

static int parse_short_name_mode(struct file_conf *fc, const struct den_toml *doc)
{
        const struct den_toml *v = NULL;
        int r = get_string(fc, doc, "short-name-mode", "short-name-mode", &v, &fc->short_name_mode);

        if (r <= 0)
                return r;
        if (!streq(v->str, "enforcing") && !streq(v->str, "permissive") &&
            !streq(v->str, "disabled"))
                return bad_value(fc, v, "short-name-mode",
                                 "invalid value \"%s\" (expected \"enforcing\", \"permissive\" "
                                 "or \"disabled\")",
                                 v->str);
        return 0;
}

static int parse_file(struct file_conf *fc, const char *text)
{
        _cleanup_(den_toml_freep) struct den_toml *doc = NULL;
        int is_v1, r;

        if (den_toml_parse(text, strlen(text), fc->name, &doc, fc->err) < 0)
                return -1;
        is_v1 = parse_v1(fc, doc);
        if (is_v1 < 0)
                return -1;
        if (is_v1 && fc->is_drop_in)
                return den_error_set(fc->err, 0,
                                     "%s: drop-in files must use the v2 format, not "
                                     "[registries.*] tables",
                                     fc->name);
        if (is_v1 &&
            (den_toml_get(doc, "registry") || den_toml_get(doc, "unqualified-search-registries") ||
             den_toml_get(doc, "short-name-mode") || den_toml_get(doc, "aliases")))
                return den_error_set(fc->err, 0,
                                     "%s: mixing the v1 format ([registries.*]) and "
                                     "the v2 format is not supported",
                                     fc->name);
        if (is_v1)
                return check_conflicts(fc);
        r = get_locations(fc, doc, "unqualified-search-registries", "unqualified-search-registries",
                          &fc->search);
        if (r < 0)
                return -1;
        fc->has_search = r > 0;
        if (parse_short_name_mode(fc, doc) < 0 || parse_entries(fc, doc) < 0 ||
            parse_aliases(fc, doc) < 0)
                return -1;
        /* credential-helpers is read by podman's credential code, not here: ignored */
        return check_conflicts(fc);
}

/* ---------------------------------------------------------------- merging */

static void alias_set(struct img_registries *r, const char *name, const char *value)
{
        size_t n = den_strv_len(r->alias_names);

        for (size_t i = 0; i < n; i++) {
                if (!streq(r->alias_names[i], name))
                        continue;
                if (*value) {
                        free(r->alias_values[i]);
                        r->alias_values[i] = xstrdup(value);
                        return;
                }
                free(r->alias_names[i]);
                free(r->alias_values[i]);
                memmove(&r->alias_names[i], &r->alias_names[i + 1], (n - i) * sizeof(char *));
                memmove(&r->alias_values[i], &r->alias_values[i + 1], (n - i) * sizeof(char *));
                return;
        }
        if (*value) {
                den_strv_push(&r->alias_names, name);
                den_strv_push(&r->alias_values, value);
        }
}

static void merge(struct img_registries *r, struct file_conf *fc)
{
        if (fc->has_search) {
                den_strv_free(r->search);
                r->search = steal_ptr(fc->search);
        }
        if (fc->short_name_mode) {
                free(r->short_name_mode);
                r->short_name_mode = steal_ptr(fc->short_name_mode);
        }
        for (size_t i = 0; fc->alias_names && fc->alias_names[i]; i++)
                alias_set(r, fc->alias_names[i], fc->alias_values[i]);
        for (size_t i = 0; i < fc->n_entries; i++) {
                struct img_registry_conf *e = NULL;

                for (size_t j = 0; j < r->n_entries && !e; j++)
                        if (streq(r->entries[j].prefix, fc->entries[i].prefix))
                                e = &r->entries[j];
                if (!e) {
                        r->entries = xrealloc(r->entries, (r->n_entries + 1) * sizeof(*e));
                        e = &r->entries[r->n_entries++];
                } else {
                        entry_clear(e);
                }
                *e = fc->entries[i];
                fc->entries[i] = (struct img_registry_conf){ 0 };
        }
}

static int parse_into(struct img_registries *r, const char *text, const char *name, bool is_drop_in,
                      den_error **err)
{
        struct file_conf fc = {
                .name = name ? name : "registries.conf",
                .err = err,
                .is_drop_in = is_drop_in,
        };
        int ret = parse_file(&fc, text ? text : "");

        if (ret == 0)
                merge(r, &fc);
        file_conf_clear(&fc);
        return ret;
}

int img_registries_parse(struct img_registries *r, const char *text, const char *name,
                         den_error **err)
{
        return parse_into(r, text, name, false, err);
}

/* ---------------------------------------------------------------- loading */

/* Reads and merges one file; a missing file is an empty one. */
static int load_file(struct img_registries *r, const char *path, bool is_drop_in, den_error **err)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int k = den_read_file_at(AT_FDCWD, path, REGISTRIES_MAX_SIZE, &text, &len);

        if (k == -ENOENT || k == -EISDIR)
                return 0;
        if (k == -EFBIG)
                return den_error_set(err, EFBIG, "read \"%s\": larger than %u bytes", path,
                                     REGISTRIES_MAX_SIZE);
        if (k < 0)
                return den_error_set(err, -k, "read \"%s\"", path);
        if (strlen(text) != len)
                return den_error_set(err, 0, "%s: NUL byte in file", path);
        return parse_into(r, text, path, is_drop_in, err);
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The *.conf files of dir, in lexical order. */
static int load_dir(struct img_registries *r, const char *dir, den_error **err)
{
        _cleanup_closedir_ DIR *d = opendir(dir);
        _cleanup_strv_ char **names = NULL;
        struct dirent *de;
        size_t n = 0;

        if (!d) {
                if (errno == ENOENT || errno == ENOTDIR)
                        return 0;
                return den_error_set(err, errno, "open \"%s\"", dir);
        }
        while ((errno = 0, de = readdir(d))) {
                size_t len = strlen(de->d_name);

                if (de->d_name[0] == '.' || len < 6 || !streq(de->d_name + len - 5, ".conf"))
                        continue;
                if (++n > REGISTRIES_MAX_DROPINS)
                        return den_error_set(err, 0, "\"%s\": more than %d drop-in files", dir,
                                             REGISTRIES_MAX_DROPINS);
                den_strv_push(&names, de->d_name);
        }
        if (errno)
                return den_error_set(err, errno, "read \"%s\"", dir);
        if (n)
                qsort(names, n, sizeof(char *), cmp_str);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *path = den_path_join(dir, names[i]);

                if (load_file(r, path, true, err) < 0)
                        return -1;
        }
        return 0;
}

int img_registries_load(struct img_registries **ret, den_error **err)
{
        _cleanup_(registries_freep) struct img_registries *r = xcalloc(1, sizeof(*r));
        _cleanup_free_ char *home = den_home_dir();
        _cleanup_free_ char *user_conf = den_path_join(home, USER_CONF);
        _cleanup_free_ char *user_dir = den_path_join(home, USER_DIR);
        const char *env = getenv("CONTAINERS_REGISTRIES_CONF");
        const char *main_conf = SYSTEM_CONF;
        bool has_system_dir = true;
        struct stat st;

        if (env && *env) {
                main_conf = env;
        } else if (stat(user_conf, &st) == 0) {
                main_conf = user_conf;
                has_system_dir = false;
        }
        if (load_file(r, main_conf, false, err) < 0)
                return -1;
        if (has_system_dir && load_dir(r, SYSTEM_DIR, err) < 0)
                return -1;
        if (load_dir(r, user_dir, err) < 0)
                return -1;
        if (!r->search)
                r->search = xcalloc(1, sizeof(char *));
        *ret = steal_ptr(r);
        return 0;
}

/* ---------------------------------------------------------------- queries */

const char *img_registries_alias(const struct img_registries *r, const char *name)
{
        for (size_t i = 0; r && name && r->alias_names && r->alias_names[i]; i++)
                if (streq(r->alias_names[i], name))
                        return r->alias_values[i];
        return NULL;
}

/* How much of repo a prefix matches (0: no match). "example.com/foo" matches
 * "example.com/foo" and "example.com/foo/bar", not "example.com/foobar"; "*.example.com"
 * matches any host under example.com (with any port). Unlike podman, a plain host prefix does
 * not match the same host with a port: "example.com" is not "example.com:5000". */
static size_t prefix_match(const char *repo, const char *prefix)
{
        size_t n = strlen(prefix);

        if (den_str_has_prefix(prefix, "*.")) {
                size_t host_n = strcspn(repo, "/@:"), suffix_n = n - 1;

                if (host_n <= suffix_n || strncmp(repo + host_n - suffix_n, prefix + 1, suffix_n))
                        return 0;
                return host_n;
        }
        if (n == 0 || strncmp(repo, prefix, n))
                return 0;
        if (repo[n] == '\0' || repo[n] == '/' || repo[n] == '@' ||
            (repo[n] == ':' && strchr(prefix, '/')))
                return n;
        return 0;
}

const struct img_registry_conf *img_registries_find(const struct img_registries *r,
                                                    const char *repo)
{
        const struct img_registry_conf *best = NULL;
        size_t best_n = 0;

        for (size_t i = 0; r && repo && i < r->n_entries; i++) {
                size_t m = prefix_match(repo, r->entries[i].prefix);

                if (m > best_n) {
                        best = &r->entries[i];
                        best_n = m;
                }
        }
        return best;
}

/* The host[:port] part of a mirror location ("mirror.example.com:5000/ns"). */
static bool location_host_is(const char *location, const char *domain)
{
        size_t n = strcspn(location, "/");

        return strlen(domain) == n && !strncmp(location, domain, n);
}

bool img_registries_is_insecure(const struct img_registries *r, const char *domain)
{
        const struct img_registry_conf *e = img_registries_find(r, domain);

        if (e && e->is_insecure)
                return true;
        for (size_t i = 0; r && domain && i < r->n_entries; i++)
                for (size_t j = 0; r->entries[i].mirrors && r->entries[i].mirrors[j]; j++)
                        if (r->entries[i].mirror_is_insecure[j] &&
                            location_host_is(r->entries[i].mirrors[j], domain))
                                return true;
        return false;
}

static int candidate(const char *text, const struct img_ref *shortref, struct img_ref **ret,
                     den_error **err)
{
        struct img_ref *c = NULL;

        if (img_ref_parse(text, &c, err) < 0)
                return -1;
        if (!c->domain) {
                /* podman would read "name/x" as docker.io/name/x; a search registry that is
                 * not a host is a mistake in the file, so say so */
                img_ref_free(c);
                return den_error_set(err, 0,
                                     "not a registry host (no '.' or ':' and not "
                                     "\"localhost\")");
        }
        free(c->tag);
        free(c->digest);
        c->tag = shortref->tag ? xstrdup(shortref->tag) : NULL;
        c->digest = shortref->digest ? xstrdup(shortref->digest) : NULL;
        *ret = c;
        return 0;
}

static void refs_free(struct img_ref **v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                img_ref_free(v[i]);
        free(v);
}

int img_registries_resolve(const struct img_registries *r, const struct img_ref *shortref,
                           struct img_ref ***ret, size_t *ret_n, den_error **err)
{
        size_t n_search = r ? den_strv_len(r->search) : 0, n = 0;
        const char *alias = img_registries_alias(r, shortref->path);
        struct img_ref **v = xcalloc(n_search + 2, sizeof(*v));

        if (shortref->domain) {
                v[n++] = img_ref_dup(shortref); /* already qualified: nothing to resolve */
        } else if (alias) {
                if (candidate(alias, shortref, &v[n], err) < 0) {
                        refs_free(v, n);
                        return den_error_wrap(err, "alias for \"%s\"", shortref->path);
                }
                n++;
        } else {
                for (size_t i = 0; i < n_search; i++) {
                        _cleanup_free_ char *text =
                                xasprintf("%s/%s", r->search[i], shortref->path);

                        if (candidate(text, shortref, &v[n], err) < 0) {
                                refs_free(v, n);
                                return den_error_wrap(err, "unqualified-search registry \"%s\"",
                                                      r->search[i]);
                        }
                        n++;
                }
        }
        *ret = v;
        *ret_n = n;
        return 0;
}
