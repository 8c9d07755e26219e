/* Image manifests, image indexes and Docker manifest lists (OCI image spec v1.1 and Docker
 * image manifest v2 schema 2): parsing into struct img_manifest, platform selection, and
 * serialization.
 *
 * Trust boundary: every document parsed here comes from a registry or an archive and is
 * untrusted. Before jansson sees it, it is bounded in size (IMG_MAX_MANIFEST_SIZE) and in
 * nesting depth, so a hostile document costs bounded memory and stack. Duplicate keys are
 * refused, because two readers that keep different copies of a key could disagree about what
 * the manifest says. Every field den uses is checked for type, format and range before it is
 * stored; unknown keys are ignored as the image spec requires. Digests are checked here only
 * for their shape: the blobs they name are verified where they are fetched. The media type
 * of the document must agree with the Content-Type it was served with, and a document may not
 * be both an index and a manifest, so a registry (or an attacker in front of one) cannot make
 * two clients read one body as two different things. Strings from the document that end up
 * in error messages are made printable first. */
#include <jansson.h>
#include <stdarg.h>
#include <strings.h>
#include <sys/utsname.h>

#include "image/image.h"
#include "image/json-internal.h"

#define MAX_DEPTH 64
#define MAX_LAYERS 1000
#define MAX_ENTRIES 1000
#define MAX_MEDIA_TYPE_LEN 255
/* 16 TiB: far above any real blob, far below where sums of sizes could overflow. */
#define MAX_BLOB_SIZE (INT64_C(1) << 44)
/* How many platforms an error message lists before it shortens the list. */
#define MAX_LISTED_PLATFORMS 32

#define MEDIA_DOCKER_SCHEMA1 "application/vnd.docker.distribution.manifest.v1+json"
#define MEDIA_DOCKER_SCHEMA1_SIGNED "application/vnd.docker.distribution.manifest.v1+prettyjws"

static const char *const manifest_media_types[] = {
        IMG_MEDIA_OCI_MANIFEST,
        IMG_MEDIA_OCI_INDEX,
        IMG_MEDIA_DOCKER_MANIFEST,
        IMG_MEDIA_DOCKER_LIST,
};

static const char *const layer_media_types[] = {
        IMG_MEDIA_OCI_LAYER,
        IMG_MEDIA_OCI_LAYER_GZIP,
        IMG_MEDIA_OCI_LAYER_ZSTD,
        "application/vnd.oci.image.layer.nondistributable.v1.tar",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
        IMG_MEDIA_DOCKER_LAYER_GZIP,
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
};

/* ---------------------------------------------------------------- small helpers */

/* The canonical spelling of s when it is one of list (case-insensitive), else NULL. */
static const char *lookup(const char *const *list, size_t n, const char *s)
{
        for (size_t i = 0; s && i < n; i++)
                if (strcasecmp(list[i], s) == 0)
                        return list[i];
        return NULL;
}

static bool is_index_media_type(const char *mt)
{
        return streq(mt, IMG_MEDIA_OCI_INDEX) || streq(mt, IMG_MEDIA_DOCKER_LIST);
}

static bool is_docker_media_type(const char *mt)
{
        return streq(mt, IMG_MEDIA_DOCKER_MANIFEST) || streq(mt, IMG_MEDIA_DOCKER_LIST);
}

/* A copy of an untrusted string fit for a one-line message: control and non-ASCII bytes
 * escaped, long strings cut. */
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

/* Sets an error naming the field path.key ("layers[2].digest: not a valid digest"). key may
 * be NULL when the element at path itself is wrong. */
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

/* The value of key, or NULL when it is absent or null: Go writers emit null for unset
 * fields, and readers treat it as absent. */
static json_t *field(const json_t *obj, const char *key)
{
        json_t *v = json_object_get(obj, key);

        return json_is_null(v) ? NULL : v;
}

static int get_string(const json_t *obj, const char *path, const char *key, bool required,
                      char **ret, den_error **err)
{
        json_t *v = field(obj, key);

        if (!v) {
                if (required)
                        return field_error(err, path, key, "missing");
                return 0;
        }
        if (!json_is_string(v))
                return field_error(err, path, key, "not a string");
        *ret = xstrdup(json_string_value(v));
        return 0;
}

/* RFC 6838 "type/subtype" with restricted-name characters, no parameters. */
static bool media_type_is_valid(const char *s)
{
        const char *slash = strchr(s, '/');
        size_t len = strlen(s);

        if (!slash || slash == s || !slash[1] || len > MAX_MEDIA_TYPE_LEN)
                return false;
        for (const char *p = s; *p; p++) {
                if (p == slash)
                        continue;
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                            "!#$&^_.+-",
                            *p))
                        return false;
        }
        return true;
}

/* Counts nesting outside strings; jansson's own limit (2048) is far deeper than any image
 * document needs. Malformed input is left for jansson to reject. */
static bool depth_is_bounded(const char *s, size_t len, unsigned max)
{
        bool in_string = false, escaped = false;
        unsigned depth = 0;

        for (size_t i = 0; i < len; i++) {
                char c = s[i];

                if (in_string) {
                        if (escaped)
                                escaped = false;
                        else if (c == '\\')
                                escaped = true;
                        else if (c == '"')
                                in_string = false;
                } else if (c == '"') {
                        in_string = true;
                } else if (c == '[' || c == '{') {
                        if (++depth > max)
                                return false;
                } else if ((c == ']' || c == '}') && depth > 0) {
                        depth--;
                }
        }
        return true;
}

int img_json_load_object(const char *body, size_t len, size_t max_len, json_t **ret,
                         den_error **err)
{
        json_error_t jerr;
        json_t *root;

        if (!body || len == 0)
                return den_error_set(err, 0, "empty document");
        if (len > max_len)
                return den_error_set(err, 0, "document is %zu bytes, over the %zu byte limit", len,
                                     max_len);
        if (!depth_is_bounded(body, len, MAX_DEPTH))
                return den_error_set(err, 0, "JSON nested deeper than %d levels", MAX_DEPTH);
        root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!root)
                return den_error_set(err, 0, "invalid JSON at line %d column %d: %s", jerr.line,
                                     jerr.column, jerr.text);
        if (!json_is_object(root)) {
                json_decref(root);
                return den_error_set(err, 0, "not a JSON object");
        }
        *ret = root;
        return 0;
}

static int load_document(const char *body, size_t len, json_t **ret, den_error **err)
{
        return img_json_load_object(body, len, IMG_MAX_MANIFEST_SIZE, ret, err);
}

/* ---------------------------------------------------------------- parsing */

static void descriptor_clear(struct img_descriptor *d)
{
        free(d->media_type);
        free(d->digest);
        free(d->os);
        free(d->architecture);
        free(d->variant);
        *d = (struct img_descriptor){ 0 };
}

void img_manifest_free(struct img_manifest *m)
{
        if (!m)
                return;
        free(m->media_type);
        descriptor_clear(&m->config);
        for (size_t i = 0; i < m->n_layers; i++)
                descriptor_clear(&m->layers[i]);
        free(m->layers);
        for (size_t i = 0; i < m->n_manifests; i++)
                descriptor_clear(&m->manifests[i]);
        free(m->manifests);
        den_strv_free(m->annotation_keys);
        den_strv_free(m->annotation_values);
        free(m);
}

static int parse_size(const json_t *obj, const char *path, int64_t *ret, den_error **err)
{
        json_t *v = field(obj, "size");
        json_int_t n;

        if (!v)
                return field_error(err, path, "size", "missing");
        if (!json_is_integer(v))
                return field_error(err, path, "size", "not an integer");
        n = json_integer_value(v);
        if (n < 0)
                return field_error(err, path, "size", "negative");
        if (n > MAX_BLOB_SIZE)
                return field_error(err, path, "size", "%lld is too large", (long long) n);
        *ret = (int64_t) n;
        return 0;
}

static int parse_descriptor(const json_t *v, const char *path, struct img_descriptor *d,
                            den_error **err)
{
        if (!json_is_object(v))
                return field_error(err, path, NULL, "not an object");
        if (get_string(v, path, "mediaType", true, &d->media_type, err) < 0)
                return -1;
        if (!media_type_is_valid(d->media_type))
                return field_error(err, path, "mediaType", "not a valid media type");
        if (get_string(v, path, "digest", true, &d->digest, err) < 0)
                return -1;
        if (!den_digest_is_valid(d->digest))
                return field_error(err, path, "digest", "not a valid digest");
        return parse_size(v, path, &d->size, err);
}

static int parse_platform(const json_t *entry, const char *path, struct img_descriptor *d,
                          den_error **err)
{
        json_t *p = field(entry, "platform");
        char ppath[64];

        if (!p)
                return 0;
        if (!json_is_object(p))
                return field_error(err, path, "platform", "not an object");
        snprintf(ppath, sizeof(ppath), "%s.platform", path);
        if (get_string(p, ppath, "architecture", false, &d->architecture, err) < 0 ||
            get_string(p, ppath, "os", false, &d->os, err) < 0 ||
            get_string(p, ppath, "variant", false, &d->variant, err) < 0)
                return -1;
        if (d->variant && !*d->variant) { /* "" and absent mean the same */
                free(d->variant);
                d->variant = NULL;
        }
        return 0;
}

static int parse_layers(const json_t *root, struct img_manifest *m, den_error **err)
{
        json_t *a = field(root, "layers"), *v;
        size_t i;

        if (!a)
                return field_error(err, "", "layers", "missing");
        if (!json_is_array(a))
                return field_error(err, "", "layers", "not an array");
        if (json_array_size(a) > MAX_LAYERS)
                return field_error(err, "", "layers", "more than %d layers", MAX_LAYERS);
        m->layers = xcalloc(json_array_size(a) ? json_array_size(a) : 1, sizeof(*m->layers));
        json_array_foreach (a, i, v) {
                struct img_descriptor *d = &m->layers[i];
                const char *mt;
                char path[32];

                m->n_layers = i + 1;
                snprintf(path, sizeof(path), "layers[%zu]", i);
                if (parse_descriptor(v, path, d, err) < 0)
                        return -1;
                mt = lookup(layer_media_types, ARRAY_SIZE(layer_media_types), d->media_type);
                if (!mt) {
                        _cleanup_free_ char *p = printable(d->media_type);

                        return field_error(err, path, "mediaType",
                                           "unknown layer media type \"%s\"", p);
                }
                free(d->media_type);
                d->media_type = xstrdup(mt); /* canonical spelling for later comparisons */
        }
        return 0;
}

static int parse_entries(const json_t *root, struct img_manifest *m, den_error **err)
{
        json_t *a = field(root, "manifests"), *v;
        size_t i;

        if (!a)
                return field_error(err, "", "manifests", "missing");
        if (!json_is_array(a))
                return field_error(err, "", "manifests", "not an array");
        if (json_array_size(a) > MAX_ENTRIES)
                return field_error(err, "", "manifests", "more than %d entries", MAX_ENTRIES);
        m->manifests = xcalloc(json_array_size(a) ? json_array_size(a) : 1, sizeof(*m->manifests));
        json_array_foreach (a, i, v) {
                char path[32];

                m->n_manifests = i + 1;
                snprintf(path, sizeof(path), "manifests[%zu]", i);
                if (parse_descriptor(v, path, &m->manifests[i], err) < 0 ||
                    parse_platform(v, path, &m->manifests[i], err) < 0)
                        return -1;
        }
        return 0;
}

static int parse_annotations(const json_t *root, struct img_manifest *m, den_error **err)
{
        json_t *a = field(root, "annotations"), *v;
        const char *k;
        size_t i = 0;

        if (!a)
                return 0;
        if (!json_is_object(a))
                return field_error(err, "", "annotations", "not an object");
        m->annotation_keys = xcalloc(json_object_size(a) + 1, sizeof(char *));
        m->annotation_values = xcalloc(json_object_size(a) + 1, sizeof(char *));
        json_object_foreach (a, k, v) {
                if (!json_is_string(v)) {
                        _cleanup_free_ char *p = printable(k);

                        return field_error(err, "annotations", p, "not a string");
                }
                m->annotation_keys[i] = xstrdup(k);
                m->annotation_values[i] = xstrdup(json_string_value(v));
                i++;
        }
        return 0;
}

/* Content-Type without parameters and surrounding blanks, when it names a manifest kind; NULL
 * for the generic types some registries send (application/json, text/plain) or none. */
static const char *content_type_kind(const char *content_type, bool *ret_is_schema1)
{
        char buf[MAX_MEDIA_TYPE_LEN + 1];
        size_t n;

        *ret_is_schema1 = false;
        if (!content_type)
                return NULL;
        content_type += strspn(content_type, " \t");
        n = strcspn(content_type, "; \t");
        if (n >= sizeof(buf))
                return NULL;
        memcpy(buf, content_type, n);
        buf[n] = '\0';
        if (strcasecmp(buf, MEDIA_DOCKER_SCHEMA1) == 0 ||
            strcasecmp(buf, MEDIA_DOCKER_SCHEMA1_SIGNED) == 0)
                *ret_is_schema1 = true;
        return lookup(manifest_media_types, ARRAY_SIZE(manifest_media_types), buf);
}

static int check_schema_version(const json_t *root, bool ct_is_schema1, den_error **err)
{
        json_t *v = field(root, "schemaVersion");
        json_t *mt = field(root, "mediaType");

        if (ct_is_schema1 ||
            (json_is_string(mt) && (streq(json_string_value(mt), MEDIA_DOCKER_SCHEMA1) ||
                                    streq(json_string_value(mt), MEDIA_DOCKER_SCHEMA1_SIGNED))))
                return den_error_set(err, 0, "unsupported manifest schema 1");
        if (!v)
                return field_error(err, "", "schemaVersion", "missing");
        if (!json_is_integer(v))
                return field_error(err, "", "schemaVersion", "not an integer");
        if (json_integer_value(v) == 1)
                return den_error_set(err, 0, "unsupported manifest schema 1");
        if (json_integer_value(v) != 2)
                return field_error(err, "", "schemaVersion", "unsupported version %lld",
                                   (long long) json_integer_value(v));
        return 0;
}

/* Decides what the document is: its own mediaType, else the Content-Type it came with, else
 * its shape. */
static int resolve_media_type(const json_t *root, const char *content_type,
                              const char **ret_media_type, den_error **err)
{
        bool ct_is_schema1;
        const char *ct = content_type_kind(content_type, &ct_is_schema1);
        _cleanup_free_ char *doc = NULL;
        const char *mt;

        if (check_schema_version(root, ct_is_schema1, err) < 0)
                return -1;
        if (get_string(root, "", "mediaType", false, &doc, err) < 0)
                return -1;
        if (doc) {
                mt = lookup(manifest_media_types, ARRAY_SIZE(manifest_media_types), doc);
                if (!mt) {
                        _cleanup_free_ char *p = printable(doc);

                        return field_error(err, "", "mediaType",
                                           "unsupported manifest media type \"%s\"", p);
                }
                if (ct && ct != mt) {
                        _cleanup_free_ char *p = printable(doc);

                        return field_error(err, "", "mediaType",
                                           "\"%s\" contradicts the Content-Type \"%s\"", p, ct);
                }
        } else if (ct) {
                mt = ct;
        } else if (json_object_get(root, "manifests")) {
                mt = IMG_MEDIA_OCI_INDEX;
        } else if (json_object_get(root, "config") && json_object_get(root, "layers")) {
                mt = IMG_MEDIA_OCI_MANIFEST;
        } else {
                return den_error_set(err, 0,
                                     "no mediaType, and neither \"manifests\" nor "
                                     "\"config\" and \"layers\": not a manifest");
        }
        *ret_media_type = mt;
        return 0;
}

static int parse_root(const json_t *root, const char *content_type, struct img_manifest *m,
                      den_error **err)
{
        const char *mt = NULL;

        if (resolve_media_type(root, content_type, &mt, err) < 0)
                return -1;
        m->schema_version = 2;
        m->media_type = xstrdup(mt);
        m->is_index = is_index_media_type(mt);
        /* A document must not read as both kinds (the ambiguity behind CVE-2021-41190). */
        if (m->is_index && (json_object_get(root, "config") || json_object_get(root, "layers")))
                return den_error_set(err, 0, "index has \"config\" or \"layers\": ambiguous");
        if (!m->is_index && json_object_get(root, "manifests"))
                return den_error_set(err, 0, "manifest has \"manifests\": ambiguous");
        if (m->is_index) {
                if (parse_entries(root, m, err) < 0)
                        return -1;
        } else {
                json_t *c = field(root, "config");

                if (!c)
                        return field_error(err, "", "config", "missing");
                if (parse_descriptor(c, "config", &m->config, err) < 0 ||
                    parse_layers(root, m, err) < 0)
                        return -1;
        }
        return parse_annotations(root, m, err);
}

int img_manifest_parse(const char *body, size_t len, const char *content_type,
                       struct img_manifest **ret, den_error **err)
{
        _cleanup_(img_manifest_freep) struct img_manifest *m = NULL;
        json_auto_t *root = NULL;

        if (load_document(body, len, &root, err) < 0)
                return den_error_wrap(err, "parse manifest");
        m = xcalloc(1, sizeof(*m));
        if (parse_root(root, content_type, m, err) < 0)
                return den_error_wrap(err, "parse manifest");
        *ret = steal_ptr(m);
        return 0;
}

/* ---------------------------------------------------------------- platforms */

/* Kernel machine names and common aliases, mapped to OCI (Go) architecture names. */
static const struct {
        const char *name;
        const char *arch;
} arch_aliases[] = {
        { "x86_64", "amd64" },    { "x86-64", "amd64" },
        { "amd64", "amd64" },     { "aarch64", "arm64" },
        { "arm64", "arm64" },     { "i386", "386" },
        { "i486", "386" },        { "i586", "386" },
        { "i686", "386" },        { "ppc64le", "ppc64le" },
        { "ppc64", "ppc64" },     { "s390x", "s390x" },
        { "riscv64", "riscv64" }, { "loongarch64", "loong64" },
        { "mips64", "mips64" },
};

static const char *normalize_arch(const char *arch)
{
        for (size_t i = 0; i < ARRAY_SIZE(arch_aliases); i++)
                if (streq(arch, arch_aliases[i].name))
                        return arch_aliases[i].arch;
        return arch;
}

/* "7" and "v7" name the same arm variant. */
static const char *normalize_variant(const char *arch, const char *variant)
{
        static const char *const vs[] = { "v5", "v6", "v7", "v8" };

        if (!variant)
                return "";
        if ((streq(arch, "arm") || streq(arch, "arm64")) && variant[0] >= '5' &&
            variant[0] <= '8' && !variant[1])
                return vs[variant[0] - '5'];
        return variant;
}

const char *img_host_arch(void)
{
        struct utsname u;

        if (uname(&u) == 0) {
                for (size_t i = 0; i < ARRAY_SIZE(arch_aliases); i++)
                        if (streq(u.machine, arch_aliases[i].name))
                                return arch_aliases[i].arch;
                if (den_str_has_prefix(u.machine, "arm"))
                        return "arm";
        }
        /* An unknown machine name: the architecture den was built for. */
#if defined(__x86_64__)
        return "amd64";
#elif defined(__aarch64__)
        return "arm64";
#elif defined(__arm__)
        return "arm";
#elif defined(__i386__)
        return "386";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        return "ppc64le";
#elif defined(__s390x__)
        return "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
        return "riscv64";
#else
        return "unknown";
#endif
}

/* The variant of a 32-bit arm host ("armv7l" -> "v7"); NULL elsewhere. */
static const char *host_variant(void)
{
        static const char *const vs[] = { "v5", "v6", "v7", "v8" };
        struct utsname u;

        if (uname(&u) < 0 || !den_str_has_prefix(u.machine, "armv"))
                return NULL;
        if (u.machine[4] >= '5' && u.machine[4] <= '8')
                return vs[u.machine[4] - '5'];
        return NULL;
}

/* Variants to try, best first. "" matches an entry without a variant; "*" matches any
 * variant. A requested variant is matched exactly first, then (arm) by the older variants the
 * CPU also runs, then by an entry without one. With no variant requested, arm64 prefers v8
 * and arm prefers v7, then an entry without a variant, then any. */
static size_t variant_candidates(const char *arch, const char *want, const char *out[8])
{
        static const char *const arm[] = { "v5", "v6", "v7", "v8" };
        size_t n = 0;

        if (want) {
                for (size_t i = 0; streq(arch, "arm") && i < ARRAY_SIZE(arm); i++) {
                        if (!streq(arm[i], want))
                                continue;
                        for (size_t j = i + 1; j-- > 0;)
                                out[n++] = arm[j];
                }
                if (n == 0)
                        out[n++] = want;
                out[n++] = "";
                return n;
        }
        if (streq(arch, "arm64")) {
                out[n++] = "v8";
        } else if (streq(arch, "arm")) {
                out[n++] = "v7";
                out[n++] = "v6";
                out[n++] = "v5";
        }
        out[n++] = "";
        out[n++] = "*";
        return n;
}

/* Only image manifests can be run; nested indexes and artifacts are not candidates, and the
 * "unknown/unknown" platform that build tools give attestation manifests never matches. */
static bool entry_is_image(const struct img_descriptor *d)
{
        if (!streq(d->media_type, IMG_MEDIA_OCI_MANIFEST) &&
            !streq(d->media_type, IMG_MEDIA_DOCKER_MANIFEST))
                return false;
        return !(d->os && streq(d->os, "unknown")) &&
               !(d->architecture && streq(d->architecture, "unknown"));
}

static bool entry_matches(const struct img_descriptor *d, const char *os, const char *arch,
                          const char *variant)
{
        if (!entry_is_image(d) || !d->os || !d->architecture)
                return false;
        if (!streq(d->os, os) || !streq(normalize_arch(d->architecture), arch))
                return false;
        return streq(variant, "*") || streq(normalize_variant(arch, d->variant), variant);
}

static bool index_has_platforms(const struct img_manifest *m)
{
        for (size_t i = 0; i < m->n_manifests; i++)
                if (m->manifests[i].os || m->manifests[i].architecture)
                        return true;
        return false;
}

static int no_match_error(const struct img_manifest *m, const char *os, const char *arch,
                          const char *variant, den_error **err)
{
        struct den_buf b = { 0 };
        _cleanup_free_ char *list = NULL;
        size_t listed = 0;

        for (size_t i = 0; i < m->n_manifests; i++) {
                const struct img_descriptor *d = &m->manifests[i];
                _cleanup_free_ char *plat = NULL, *p = NULL;

                if (!entry_is_image(d) || !d->os || !d->architecture)
                        continue;
                if (listed++ == MAX_LISTED_PLATFORMS) {
                        den_buf_puts(&b, ", ...");
                        break;
                }
                if (d->variant && *d->variant)
                        plat = xasprintf("%s/%s/%s", d->os, d->architecture, d->variant);
                else
                        plat = xasprintf("%s/%s", d->os, d->architecture);
                p = printable(plat);
                den_buf_printf(&b, "%s%s", listed > 1 ? ", " : "", p);
        }
        list = den_buf_steal(&b);
        {
                _cleanup_free_ char *pa = printable(arch), *pv = printable(variant),
                                    *po = printable(os);

                return den_error_set(err, 0,
                                     "no image found in manifest list for architecture \"%s\", "
                                     "variant \"%s\", OS \"%s\" (available: %s)",
                                     pa, pv, po, *list ? list : "none");
        }
}

int img_manifest_pick(const struct img_manifest *m, const char *os, const char *arch,
                      const char *variant, den_error **err)
{
        const char *want_os = os && *os ? os : "linux";
        const char *want_arch = normalize_arch(arch && *arch ? arch : img_host_arch());
        const char *want_variant = NULL;
        const char *cands[8];
        size_t n;

        if (!m->is_index)
                return den_error_set(err, 0, "pick platform: not a manifest list");
        if (variant && *variant)
                want_variant = normalize_variant(want_arch, variant);
        else if (!(arch && *arch))
                want_variant = host_variant(); /* only when the architecture is the host's */
        n = variant_candidates(want_arch, want_variant, cands);
        for (size_t c = 0; c < n; c++)
                for (size_t i = 0; i < m->n_manifests; i++)
                        if (entry_matches(&m->manifests[i], want_os, want_arch, cands[c]))
                                return (int) i;
        /* An index may describe an image without naming its platform (skopeo, OCI layouts).
         * Such an entry is taken only when no entry names one: beside entries that do, it is
         * more likely an artifact than an image for every platform. */
        if (!index_has_platforms(m))
                for (size_t i = 0; i < m->n_manifests; i++)
                        if (entry_is_image(&m->manifests[i]))
                                return (int) i;
        return no_match_error(m, want_os, want_arch, want_variant ? want_variant : "", err);
}

/* ---------------------------------------------------------------- serialization */

/* A JSON string for s; bytes that are not valid UTF-8 (never the case for parsed documents)
 * become '?' rather than dropping the value. */
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

static json_t *descriptor_json(const struct img_descriptor *d, bool is_docker)
{
        json_t *o = json_object();

        json_object_set_new(o, "mediaType", jstr(d->media_type));
        if (is_docker) { /* the key order of each spec's own examples */
                json_object_set_new(o, "size", json_integer(d->size));
                json_object_set_new(o, "digest", jstr(d->digest));
        } else {
                json_object_set_new(o, "digest", jstr(d->digest));
                json_object_set_new(o, "size", json_integer(d->size));
        }
        if (d->os || d->architecture || (d->variant && *d->variant)) {
                json_t *p = json_object();

                json_object_set_new(p, "architecture", jstr(d->architecture));
                json_object_set_new(p, "os", jstr(d->os));
                if (d->variant && *d->variant)
                        json_object_set_new(p, "variant", jstr(d->variant));
                json_object_set_new(o, "platform", p);
        }
        return o;
}

struct kv {
        const char *k, *v;
};

static int kv_cmp(const void *a, const void *b)
{
        return strcmp(((const struct kv *) a)->k, ((const struct kv *) b)->k);
}

/* Keys sorted bytewise, as Go writes maps, so equal sets give equal bytes. */
static json_t *sorted_object(char *const *keys, char *const *values)
{
        size_t n = den_strv_len(keys);
        _cleanup_free_ struct kv *kvs = xcalloc(n ? n : 1, sizeof(*kvs));
        json_t *o = json_object();

        for (size_t i = 0; i < n; i++)
                kvs[i] = (struct kv){ keys[i], values && values[i] ? values[i] : "" };
        qsort(kvs, n, sizeof(*kvs), kv_cmp);
        for (size_t i = 0; i < n; i++)
                json_object_set_new(o, kvs[i].k, jstr(kvs[i].v));
        return o;
}

/* The media type to write: the manifest's own when it fits its kind, else OCI's. */
static const char *serialize_media_type(const struct img_manifest *m)
{
        const char *mt =
                lookup(manifest_media_types, ARRAY_SIZE(manifest_media_types), m->media_type);

        if (mt && is_index_media_type(mt) == m->is_index)
                return mt;
        return m->is_index ? IMG_MEDIA_OCI_INDEX : IMG_MEDIA_OCI_MANIFEST;
}

char *img_manifest_serialize(const struct img_manifest *m, size_t *ret_len)
{
        const char *mt = serialize_media_type(m);
        bool is_docker = is_docker_media_type(mt);
        json_auto_t *root = json_object();
        json_t *a = json_array();
        char *s;

        json_object_set_new(root, "schemaVersion", json_integer(2));
        json_object_set_new(root, "mediaType", json_string(mt));
        if (m->is_index) {
                for (size_t i = 0; i < m->n_manifests; i++)
                        json_array_append_new(a, descriptor_json(&m->manifests[i], is_docker));
                json_object_set_new(root, "manifests", a);
        } else {
                json_object_set_new(root, "config", descriptor_json(&m->config, is_docker));
                for (size_t i = 0; i < m->n_layers; i++)
                        json_array_append_new(a, descriptor_json(&m->layers[i], is_docker));
                json_object_set_new(root, "layers", a);
        }
        /* Docker's schema 2 has no annotations. */
        if (!is_docker && m->annotation_keys && m->annotation_keys[0])
                json_object_set_new(root, "annotations",
                                    sorted_object(m->annotation_keys, m->annotation_values));
        s = json_dumps(root, JSON_COMPACT);
        if (!s)
                abort(); /* only on out of memory, which is fatal */
        if (ret_len)
                *ret_len = strlen(s);
        return s;
}
