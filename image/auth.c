/* auth.json: registry credentials in podman's files, and docker's as a fallback.
 *
 * The format is {"auths": {"<key>": {"auth": "<base64 of user:password>"}}}. A key is a
 * registry ("quay.io", "localhost:5000") or a registry with a repository namespace
 * ("quay.io/team"); the most specific key wins. docker wrote keys as URLs for years
 * ("https://index.docker.io/v1/"), so when no key matches exactly, keys are compared by host,
 * with docker.io, index.docker.io and registry-1.docker.io counted as one registry. Entries
 * may also carry "username" and "password" fields instead of "auth". Unknown fields are kept
 * when den rewrites a file.
 *
 * Passwords must never reach a message or a log: errors name the file and the key only, and
 * JSON syntax errors are reported by position with den's own wording (jansson's text may
 * quote the document). */
#include <jansson.h>
#include <sys/stat.h>

#include "image/image.h"

#define AUTH_MAX_SIZE (1u << 20)

/* ---------------------------------------------------------------- base64 */

static const char b64_alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *b64_encode(const unsigned char *p, size_t n)
{
        char *out = xmalloc(4 * ((n + 2) / 3) + 1), *o = out;

        for (size_t i = 0; i < n; i += 3) {
                uint32_t v = (uint32_t) p[i] << 16;

                if (i + 1 < n)
                        v |= (uint32_t) p[i + 1] << 8;
                if (i + 2 < n)
                        v |= p[i + 2];
                *o++ = b64_alphabet[(v >> 18) & 63];
                *o++ = b64_alphabet[(v >> 12) & 63];
                *o++ = i + 1 < n ? b64_alphabet[(v >> 6) & 63] : '=';
                *o++ = i + 2 < n ? b64_alphabet[v & 63] : '=';
        }
        *o = '\0';
        return out;
}

static int b64_value(int c)
{
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        if (c == '+')
                return 62;
        if (c == '/')
                return 63;
        return -1;
}

/* Strict: the standard alphabet, padding to a multiple of 4, '=' only at the end, and no
 * stray bits in the last character. */
static int b64_decode(const char *s, size_t n, char **ret, size_t *ret_len)
{
        _cleanup_free_ char *out = xmalloc(n / 4 * 3 + 1);
        size_t m = 0;

        if (n % 4)
                return -EINVAL;
        for (size_t i = 0; i < n; i += 4) {
                bool is_last = i + 4 == n;
                int a = b64_value(s[i]), b = b64_value(s[i + 1]);
                int c = b64_value(s[i + 2]), d = b64_value(s[i + 3]);

                if (a < 0 || b < 0)
                        return -EINVAL;
                out[m++] = (char) (a << 2 | b >> 4);
                if (is_last && s[i + 2] == '=' && s[i + 3] == '=') {
                        if (b & 15)
                                return -EINVAL;
                        break;
                }
                if (c < 0)
                        return -EINVAL;
                out[m++] = (char) ((b & 15) << 4 | c >> 2);
                if (is_last && s[i + 3] == '=') {
                        if (c & 3)
                                return -EINVAL;
                        break;
                }
                if (d < 0)
                        return -EINVAL;
                out[m++] = (char) ((c & 3) << 6 | d);
        }
        out[m] = '\0';
        *ret_len = m;
        *ret = steal_ptr(out);
        return 0;
}

/* ---------------------------------------------------------------- paths */

static char *config_home(void)
{
        const char *x = getenv("XDG_CONFIG_HOME");
        _cleanup_free_ char *home = NULL;

        if (x && *x)
                return xstrdup(x);
        home = den_home_dir();
        return den_path_join(home, ".config");
}

char *img_auth_default_path(void)
{
        const char *env = getenv("REGISTRY_AUTH_FILE");
        const char *run = getenv("XDG_RUNTIME_DIR");
        _cleanup_free_ char *cfg = NULL;

        if (env && *env)
                return xstrdup(env);
        if (run && *run)
                return xasprintf("%s/containers/auth.json", run);
        cfg = config_home();
        return xasprintf("%s/containers/auth.json", cfg);
}

/* ---------------------------------------------------------------- reading */

static const char *json_reason(const json_error_t *jerr)
{
        switch (json_error_code(jerr)) {
        case json_error_invalid_utf8:
                return "invalid UTF-8";
        case json_error_premature_end_of_input:
                return "unexpected end of input";
        case json_error_end_of_input_expected:
                return "unexpected data after the document";
        case json_error_duplicate_key:
                return "duplicate object key";
        case json_error_null_character:
        case json_error_null_byte_in_key:
                return "NUL character";
        case json_error_numeric_overflow:
                return "number out of range";
        case json_error_stack_overflow:
                return "nested too deeply";
        case json_error_unknown:
        case json_error_out_of_memory:
        case json_error_cannot_open_file:
        case json_error_invalid_argument:
        case json_error_invalid_syntax:
        case json_error_invalid_format:
        case json_error_wrong_type:
        case json_error_null_value:
        case json_error_item_not_found:
        case json_error_index_out_of_range:
        default:
                return "invalid syntax";
        }
}

static int parse_doc(const char *text, size_t len, const char *name, json_t **ret, den_error **err)
{
        json_error_t jerr;
        json_t *root;

        if (len > AUTH_MAX_SIZE)
                return den_error_set(err, EFBIG, "\"%s\": larger than %u bytes", name,
                                     AUTH_MAX_SIZE);
        root = json_loadb(text ? text : "", len, JSON_REJECT_DUPLICATES, &jerr);
        if (!root)
                return den_error_set(err, 0, "\"%s\": invalid JSON at line %d, column %d: %s", name,
                                     jerr.line, jerr.column, json_reason(&jerr));
        if (!json_is_object(root)) {
                json_decref(root);
                return den_error_set(err, 0, "\"%s\": expected a JSON object", name);
        }
        *ret = root;
        return 0;
}

/* Reads and parses path; 0 with *ret NULL when the file does not exist. */
static int read_doc(const char *path, json_t **ret, den_error **err)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r = den_read_file_at(AT_FDCWD, path, AUTH_MAX_SIZE, &text, &len);

        if (r == -ENOENT || r == -ENOTDIR) {
                *ret = NULL;
                return 0;
        }
        if (r == -EFBIG)
                return den_error_set(err, EFBIG, "read \"%s\": larger than %u bytes", path,
                                     AUTH_MAX_SIZE);
        if (r < 0)
                return den_error_set(err, -r, "read \"%s\"", path);
        r = parse_doc(text, len, path, ret, err);
        explicit_bzero(text, len);
        return r;
}

/* "docker.io" and its aliases are one registry for matching. */
static const char *normalize_registry(const char *host)
{
        if (streq(host, "docker.io") || streq(host, "registry-1.docker.io"))
                return "index.docker.io";
        return host;
}

/* A key as written in a file, reduced to the host it names: URLs lose their scheme and path;
 * in the legacy format every key is a host. */
static char *key_host(const char *key, bool is_legacy)
{
        const char *s = key;

        if (den_str_has_prefix(s, "https://"))
                s += 8;
        else if (den_str_has_prefix(s, "http://"))
                s += 7;
        if (is_legacy || s != key)
                return xstrndup(s, strcspn(s, "/"));
        return xstrdup(s);
}

static void trim_newlines(char *s)
{
        size_t n = strlen(s), skip = strspn(s, "\n");

        while (n > skip && s[n - 1] == '\n')
                n--;
        memmove(s, s + skip, n - skip);
        s[n - skip] = '\0';
}

/* 1 with credentials, 0 when the entry holds none (docker writes {} for a credential helper). */
static int decode_entry(const char *name, const char *key, json_t *e, char **ret_user,
                        char **ret_pass, den_error **err)
{
        json_t *auth = json_object_get(e, "auth");
        json_t *user = json_object_get(e, "username"), *pass = json_object_get(e, "password");
        _cleanup_free_ char *raw = NULL;
        size_t len = 0;
        char *colon;

        if (!json_is_object(e))
                return den_error_set(err, 0, "\"%s\": auths.\"%s\": expected an object", name, key);
        if ((auth && !json_is_string(auth)) || (user && !json_is_string(user)) ||
            (pass && !json_is_string(pass)))
                return den_error_set(err, 0,
                                     "\"%s\": auths.\"%s\": auth, username and password "
                                     "must be strings",
                                     name, key);
        if (auth && json_string_length(auth) > 0) {
                if (b64_decode(json_string_value(auth), json_string_length(auth), &raw, &len) < 0)
                        return den_error_set(err, 0, "\"%s\": auths.\"%s\".auth: invalid base64",
                                             name, key);
                colon = strchr(raw, ':');
                if (strlen(raw) != len || !colon) {
                        /* as podman does: not "user:password", so no credentials here */
                        explicit_bzero(raw, len);
                        den_debug("auth file \"%s\": entry \"%s\" is not user:password, ignoring",
                                  name, key);
                        return 0;
                }
                *colon = '\0';
                *ret_user = xstrdup(raw);
                *ret_pass = xstrdup(colon + 1);
                trim_newlines(*ret_pass);
                explicit_bzero(raw, len);
                return 1;
        }
        if (user && pass && json_string_length(user) > 0) {
                *ret_user = xstrdup(json_string_value(user));
                *ret_pass = xstrdup(json_string_value(pass));
                return 1;
        }
        return 0;
}

/* Looks key up in one document: the key, then its parent namespaces down to the host, then
 * keys that name the same host in another spelling. */
static int find_in_doc(json_t *root, bool is_legacy, const char *name, const char *key,
                       char **ret_user, char **ret_pass, den_error **err)
{
        json_t *auths = is_legacy ? root : json_object_get(root, "auths"), *e;
        _cleanup_free_ char *cand = xstrdup(key);
        _cleanup_free_ char *host = xstrndup(key, strcspn(key, "/"));
        const char *k;

        if (!auths)
                return 0;
        if (!json_is_object(auths))
                return den_error_set(err, 0, "\"%s\": \"auths\" must be an object", name);
        for (;;) {
                char *slash;

                e = json_object_get(auths, cand);
                if (e)
                        return decode_entry(name, cand, e, ret_user, ret_pass, err);
                slash = strrchr(cand, '/');
                if (is_legacy || !slash)
                        break;
                *slash = '\0';
        }
        json_object_foreach (auths, k, e) {
                _cleanup_free_ char *kh = key_host(k, is_legacy);

                if (streq(normalize_registry(kh), normalize_registry(host)))
                        return decode_entry(name, k, e, ret_user, ret_pass, err);
        }
        return 0;
}

int img_auth_parse(const char *text, size_t len, const char *key, char **ret_user, char **ret_pass,
                   den_error **err)
{
        json_auto_t *root = NULL;
        char *user = NULL, *pass = NULL;
        int r;

        if (parse_doc(text, len, "auth.json", &root, err) < 0)
                return -1;
        if (!key || !*key)
                return 0;
        r = find_in_doc(root, false, "auth.json", key, &user, &pass, err);
        if (r > 0) {
                *ret_user = user;
                *ret_pass = pass;
        }
        return r;
}

static int lookup_file(const char *path, bool is_legacy, const char *key, char **ret_user,
                       char **ret_pass, den_error **err)
{
        json_auto_t *root = NULL;

        if (read_doc(path, &root, err) < 0)
                return -1;
        if (!root)
                return 0;
        return find_in_doc(root, is_legacy, path, key, ret_user, ret_pass, err);
}

int img_auth_lookup(const char *authfile, const char *key, char **ret_user, char **ret_pass,
                    den_error **err)
{
        const char *env = getenv("REGISTRY_AUTH_FILE");
        const char *docker = getenv("DOCKER_CONFIG");
        bool is_user_specified = (authfile && *authfile) || (env && *env);
        _cleanup_free_ char *first =
                authfile && *authfile ? xstrdup(authfile) : img_auth_default_path();
        _cleanup_free_ char *home = den_home_dir();
        _cleanup_free_ char *cfg = config_home();
        char *paths[4] = { NULL }; /* freed below: a cleanup attribute frees one pointer only */
        bool is_legacy[4] = { false, false, false, true };
        char *user = NULL, *pass = NULL;
        int r;

        if (!key || !*key)
                return 0;
        /* a file the user named is the only one read, as in podman */
        if (!is_user_specified) {
                paths[0] = xasprintf("%s/containers/auth.json", cfg);
                paths[1] = docker && *docker ? xasprintf("%s/config.json", docker)
                                             : xasprintf("%s/.docker/config.json", home);
                paths[3] = xasprintf("%s/.dockercfg", home);
        }
        r = lookup_file(first, false, key, &user, &pass, err);
        for (size_t i = 0; r == 0 && i < ARRAY_SIZE(paths); i++)
                if (paths[i] && !streq(paths[i], first))
                        r = lookup_file(paths[i], is_legacy[i], key, &user, &pass, err);
        for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
                free(paths[i]);
        if (r > 0) {
                *ret_user = user;
                *ret_pass = pass;
        }
        return r;
}

/* ---------------------------------------------------------------- writing */

static int write_doc(const char *path, json_t *root, den_error **err)
{
        _cleanup_free_ char *dir = xstrdup(path);
        _cleanup_close_ int dfd = -EBADF;
        char *slash = strrchr(dir, '/');
        const char *base = slash ? slash + 1 : path;
        char *text;
        int r;

        if (!*base)
                return den_error_set(err, EISDIR, "write \"%s\"", path);
        if (slash == dir)
                dir[1] = '\0';
        else if (slash)
                *slash = '\0';
        else
                strcpy(dir, ".");
        r = den_mkdir_p_at(AT_FDCWD, dir, 0700);
        if (r < 0)
                return den_error_set(err, -r, "create \"%s\"", dir);
        dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return den_error_set(err, errno, "open \"%s\"", dir);
        text = json_dumps(root, JSON_INDENT(8));
        if (!text) {
                fputs("den: out of memory\n", stderr);
                abort();
        }
        r = den_write_file_atomic_at(dfd, base, text, strlen(text), 0600);
        explicit_bzero(text, strlen(text));
        free(text);
        if (r < 0)
                return den_error_set(err, -r, "write \"%s\"", path);
        return 0;
}

/* The "auths" object of root, created when missing. */
static json_t *auths_of(json_t *root, const char *path, den_error **err)
{
        json_t *auths = json_object_get(root, "auths");

        if (!auths) {
                auths = json_object();
                json_object_set_new(root, "auths", auths);
        }
        if (!json_is_object(auths)) {
                den_error_set(err, 0, "\"%s\": \"auths\" must be an object", path);
                return NULL;
        }
        return auths;
}

int img_auth_store(const char *authfile, const char *key, const char *user, const char *pass,
                   den_error **err)
{
        _cleanup_free_ char *path =
                authfile && *authfile ? xstrdup(authfile) : img_auth_default_path();
        _cleanup_free_ char *plain = NULL;
        _cleanup_free_ char *encoded = NULL;
        json_auto_t *root = NULL;
        json_t *auths;
        int r;

        if (!key || !*key)
                return den_error_set(err, 0, "store credentials: empty registry");
        if (!user || !*user || strchr(user, ':'))
                return den_error_set(err, 0,
                                     "store credentials for \"%s\": the username must be "
                                     "non-empty and must not contain ':'",
                                     key);
        if (!pass)
                return den_error_set(err, 0, "store credentials for \"%s\": no password", key);
        if (read_doc(path, &root, err) < 0)
                return -1;
        if (!root)
                root = json_object();
        auths = auths_of(root, path, err);
        if (!auths)
                return -1;
        plain = xasprintf("%s:%s", user, pass);
        encoded = b64_encode((const unsigned char *) plain, strlen(plain));
        explicit_bzero(plain, strlen(plain));
        json_object_set_new(auths, key, json_pack("{s:s}", "auth", encoded));
        r = write_doc(path, root, err);
        explicit_bzero(encoded, strlen(encoded));
        return r;
}

/* Removes key, or when key names a host, entries naming the same host in another spelling
 * ("https://index.docker.io/v1/" for "docker.io"). Returns the number removed. */
static size_t remove_key(json_t *auths, const char *key)
{
        const char *k;
        json_t *e;
        void *tmp;
        size_t n = 0;

        if (json_object_get(auths, key)) {
                json_object_del(auths, key);
                return 1;
        }
        if (strchr(key, '/'))
                return 0;
        json_object_foreach_safe (auths, tmp, k, e) {
                _cleanup_free_ char *kh = key_host(k, false);

                if (streq(normalize_registry(kh), normalize_registry(key))) {
                        json_object_del(auths, k);
                        n++;
                }
        }
        return n;
}

int img_auth_remove(const char *authfile, const char *key, den_error **err)
{
        _cleanup_free_ char *path =
                authfile && *authfile ? xstrdup(authfile) : img_auth_default_path();
        json_auto_t *root = NULL;
        json_t *auths;
        size_t n;

        if (read_doc(path, &root, err) < 0)
                return -1;
        if (!root)
                return 0;
        auths = json_object_get(root, "auths");
        if (!auths)
                return 0;
        if (!json_is_object(auths))
                return den_error_set(err, 0, "\"%s\": \"auths\" must be an object", path);
        if (key) {
                n = remove_key(auths, key);
        } else {
                n = json_object_size(auths);
                json_object_clear(auths);
        }
        if (n == 0)
                return 0;
        if (write_doc(path, root, err) < 0)
                return -1;
        return 1;
}
