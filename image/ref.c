/* Image references: "[domain/]path[:tag][@digest]", read the way podman reads a name given on
 * its command line (the grammar of the distribution project's reference package):
 *
 *   domain    host[:port], host a DNS name, an IPv4 address or a bracketed IPv6 address; the
 *             first path component is a domain only when it contains '.' or ':' or is
 *             "localhost", otherwise the whole name is a short name for registries.conf
 *   path      components of [a-z0-9]+ joined by '.', '_', '__' or runs of '-', split by '/'
 *   tag       [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 *   digest    sha256:<64 lowercase hex> (den verifies only sha256)
 *
 * Docker Hub names are normalized as podman does: "docker.io/alpine" and
 * "index.docker.io/alpine" both become domain "docker.io", path "library/alpine". The
 * repository name ("domain/path") is at most 255 characters.
 *
 * References come from users, archives and registries.conf, so every part is validated and
 * an error names the input and what is wrong with it. */
#include "image/image.h"

#define REF_MAX_INPUT 512
#define REF_MAX_NAME 255
#define REF_MAX_TAG 128

static int ref_error(den_error **err, const char *s, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int ref_error(den_error **err, const char *s, const char *fmt, ...)
{
        _cleanup_free_ char *reason = NULL;
        size_t n = strlen(s);
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&reason, fmt, ap) < 0)
                reason = NULL;
        va_end(ap);
        if (!reason) {
                fputs("den: out of memory\n", stderr);
                abort();
        }
        /* a huge input is quoted in part: the message must stay one readable line */
        return den_error_set(err, 0, "invalid reference format: \"%.*s%s\": %s",
                             n > 256 ? 256 : (int) n, s, n > 256 ? "..." : "", reason);
}

static bool is_lower_alnum(int c)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(int c)
{
        return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static bool is_word(int c)
{
        return is_alnum(c) || c == '_';
}

static bool is_lower_hex(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

/* One path component: alphanumeric runs joined by '.', '_', '__' or one or more '-'. */
static bool component_ok(const char *c, size_t n)
{
        size_t i = 0;

        for (;;) {
                size_t run = i;

                while (i < n && is_lower_alnum((unsigned char) c[i]))
                        i++;
                if (i == run)
                        return false;
                if (i == n)
                        return true;
                if (c[i] == '.')
                        i++;
                else if (c[i] == '_')
                        i += (i + 1 < n && c[i + 1] == '_') ? 2 : 1;
                else if (c[i] == '-')
                        while (i < n && c[i] == '-')
                                i++;
                else
                        return false;
        }
}

static int path_check(const char *input, const char *path, den_error **err)
{
        const char *p = path;

        if (!*path)
                return ref_error(err, input, "repository name must have at least one component");
        for (const char *q = path; *q; q++)
                if (*q >= 'A' && *q <= 'Z')
                        return ref_error(err, input, "repository name must be lowercase");
        for (;;) {
                const char *slash = strchr(p, '/');
                size_t n = slash ? (size_t) (slash - p) : strlen(p);

                if (n == 0)
                        return ref_error(err, input, "empty repository name component");
                if (!component_ok(p, n))
                        return ref_error(err, input,
                                         "invalid repository name component \"%.*s\" (allowed: "
                                         "a-z, 0-9 and the separators '.', '_', '__', '-')",
                                         (int) n, p);
                if (!slash)
                        return 0;
                p = slash + 1;
        }
}

/* label ("." label)*, each label alphanumeric with inner '-'. */
static bool hostname_ok(const char *h, size_t n)
{
        size_t i = 0;

        for (;;) {
                size_t start = i;

                while (i < n && (is_alnum((unsigned char) h[i]) || h[i] == '-'))
                        i++;
                if (i == start || h[start] == '-' || h[i - 1] == '-')
                        return false;
                if (i == n)
                        return true;
                if (h[i] != '.')
                        return false;
                i++;
        }
}

static bool port_ok(const char *p, size_t n)
{
        unsigned v = 0;

        if (n == 0 || n > 5)
                return false;
        for (size_t i = 0; i < n; i++) {
                if (p[i] < '0' || p[i] > '9')
                        return false;
                v = v * 10 + (unsigned) (p[i] - '0');
        }
        return v <= 65535;
}

static int domain_check(const char *input, const char *d, den_error **err)
{
        size_t n = strlen(d), host_n;
        const char *colon;

        if (d[0] == '[') {
                const char *close = strchr(d, ']');

                if (!close || close == d + 1)
                        return ref_error(err, input, "invalid IPv6 address in domain \"%s\"", d);
                for (const char *q = d + 1; q < close; q++)
                        if (!(is_lower_hex(q, 1) || (*q >= 'A' && *q <= 'F') || *q == ':'))
                                return ref_error(err, input,
                                                 "invalid IPv6 address in domain \"%s\"", d);
                host_n = (size_t) (close - d) + 1;
                if (host_n < n && d[host_n] != ':')
                        return ref_error(err, input, "invalid domain \"%s\"", d);
        } else {
                colon = strchr(d, ':');
                host_n = colon ? (size_t) (colon - d) : n;
                if (!hostname_ok(d, host_n))
                        return ref_error(err, input, "invalid domain \"%s\"", d);
        }
        if (host_n < n && !port_ok(d + host_n + 1, n - host_n - 1))
                return ref_error(err, input, "invalid port in domain \"%s\"", d);
        return 0;
}

static int tag_check(const char *input, const char *tag, den_error **err)
{
        size_t n = strlen(tag);

        if (n == 0)
                return ref_error(err, input, "empty tag");
        if (n > REF_MAX_TAG)
                return ref_error(err, input, "tag longer than %d characters", REF_MAX_TAG);
        if (!is_word((unsigned char) tag[0]))
                return ref_error(err, input, "invalid tag \"%s\"", tag);
        for (size_t i = 1; i < n; i++)
                if (!is_word((unsigned char) tag[i]) && tag[i] != '.' && tag[i] != '-')
                        return ref_error(err, input, "invalid tag \"%s\"", tag);
        return 0;
}

static int digest_check(const char *input, const char *digest, den_error **err)
{
        const char *colon = strchr(digest, ':');

        if (colon && colon - digest == 6 && !strncmp(digest, "sha256", 6)) {
                if (strlen(colon + 1) == DEN_SHA256_HEX_LEN &&
                    is_lower_hex(colon + 1, DEN_SHA256_HEX_LEN))
                        return 0;
                return ref_error(err, input,
                                 "invalid digest: sha256 needs 64 lowercase hex digits");
        }
        if (colon && colon > digest && colon - digest <= 32 && colon[1]) {
                bool is_word_alg = true;

                for (const char *q = digest; q < colon; q++)
                        if (!is_alnum((unsigned char) *q) && !strchr("+._-", *q))
                                is_word_alg = false;
                if (is_word_alg)
                        return ref_error(err, input,
                                         "unsupported digest algorithm \"%.*s\" (only sha256)",
                                         (int) (colon - digest), digest);
        }
        return ref_error(err, input, "invalid digest \"%.80s\"", digest);
}

/* The first component is a domain when it looks like one (see the top of the file). */
static bool is_domain_component(const char *s, size_t n)
{
        return memchr(s, '.', n) || memchr(s, ':', n) || (n == 9 && !strncmp(s, "localhost", 9));
}

/* Splits name into domain and path, and applies Docker Hub's normalization. */
static void split_name(const char *name, char **ret_domain, char **ret_path)
{
        const char *slash = strchr(name, '/');
        char *domain = NULL;
        const char *rest = name;

        if (slash && is_domain_component(name, (size_t) (slash - name))) {
                domain = xstrndup(name, (size_t) (slash - name));
                rest = slash + 1;
        }
        if (domain && streq(domain, "index.docker.io")) {
                free(domain);
                domain = xstrdup("docker.io");
        }
        if (domain && streq(domain, "docker.io") && *rest && !strchr(rest, '/'))
                *ret_path = xasprintf("library/%s", rest);
        else
                *ret_path = xstrdup(rest);
        *ret_domain = domain;
}

int img_ref_parse(const char *s, struct img_ref **ret, den_error **err)
{
        _cleanup_(img_ref_freep) struct img_ref *r = NULL;
        _cleanup_free_ char *name = NULL;
        const char *at, *name_end, *last_slash, *base, *colon;
        size_t len = s ? strlen(s) : 0;

        if (!s || len == 0)
                return den_error_set(err, 0, "invalid reference format: empty name");
        if (len > REF_MAX_INPUT)
                return ref_error(err, s, "longer than %d characters", REF_MAX_INPUT);
        if (len == DEN_SHA256_HEX_LEN && is_lower_hex(s, len))
                return ref_error(err, s,
                                 "a 64-character hexadecimal string is an image ID, "
                                 "not a repository name");
        r = xcalloc(1, sizeof(*r));
        at = strchr(s, '@');
        name_end = at ? at : s + len;
        last_slash = memrchr(s, '/', (size_t) (name_end - s));
        base = last_slash ? last_slash + 1 : s;
        /* the tag is after the last ':' of the last component */
        colon = memrchr(base, ':', (size_t) (name_end - base));
        if (colon) {
                r->tag = xstrndup(colon + 1, (size_t) (name_end - colon - 1));
                if (tag_check(s, r->tag, err) < 0)
                        return -1;
        }
        if (at) {
                r->digest = xstrdup(at + 1);
                if (digest_check(s, r->digest, err) < 0)
                        return -1;
        }
        name = xstrndup(s, (size_t) ((colon ? colon : name_end) - s));
        if (!*name)
                return ref_error(err, s, "missing repository name");
        split_name(name, &r->domain, &r->path);
        if (r->domain && domain_check(s, r->domain, err) < 0)
                return -1;
        if (path_check(s, r->path, err) < 0)
                return -1;
        if ((r->domain ? strlen(r->domain) + 1 : 0) + strlen(r->path) > REF_MAX_NAME)
                return ref_error(err, s, "repository name longer than %d characters", REF_MAX_NAME);
        *ret = steal_ptr(r);
        return 0;
}

struct img_ref *img_ref_dup(const struct img_ref *r)
{
        struct img_ref *d;

        if (!r)
                return NULL;
        d = xcalloc(1, sizeof(*d));
        d->domain = r->domain ? xstrdup(r->domain) : NULL;
        d->path = r->path ? xstrdup(r->path) : NULL;
        d->tag = r->tag ? xstrdup(r->tag) : NULL;
        d->digest = r->digest ? xstrdup(r->digest) : NULL;
        return d;
}

void img_ref_free(struct img_ref *r)
{
        if (!r)
                return;
        free(r->domain);
        free(r->path);
        free(r->tag);
        free(r->digest);
        free(r);
}

char *img_ref_repo(const struct img_ref *r)
{
        if (r->domain)
                return xasprintf("%s/%s", r->domain, r->path);
        return xstrdup(r->path);
}

char *img_ref_string(const struct img_ref *r)
{
        _cleanup_free_ char *repo = img_ref_repo(r);
        const char *tag = r->tag ? r->tag : r->digest ? NULL : "latest";

        return xasprintf("%s%s%s%s%s", repo, tag ? ":" : "", tag ? tag : "", r->digest ? "@" : "",
                         r->digest ? r->digest : "");
}

bool img_ref_looks_like_id(const char *s)
{
        size_t n = s ? strlen(s) : 0;

        return n >= 3 && n <= DEN_SHA256_HEX_LEN && is_lower_hex(s, n);
}
