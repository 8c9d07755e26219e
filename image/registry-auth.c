/* Registry authentication: WWW-Authenticate challenges, Basic credentials, and bearer tokens
 * from the realm the registry names (Docker's token protocol), cached per scope and shared by
 * a client's clones.
 *
 * Trust boundary: the challenge, the token server's answer and the Link header are remote input,
 * parsed by bounded parsers here. The realm is the one place besides the registry that a request
 * can go to on the registry's word; it must be an http(s) URL. The user's password goes only
 * into Authorization lines (base64, so it cannot break a header) sent to the registry's own
 * origin or to the realm, and never into a message. */
#include <time.h>
#include "image/registry-http.h"

#define CHALLENGE_MAX_LEN 8192
#define CHALLENGE_MAX_COUNT 16
#define CHALLENGE_MAX_PARAMS 32
#define REALM_MAX 2048
#define SCOPE_MAX 1024
#define TOKEN_MIN_LIFE_S 60 /* the token spec's default and minimum */
#define TOKEN_MAX_LIFE_S (7 * 86400)
#define TOKEN_SLACK_S 10 /* renew a little early rather than be refused mid-pull */

/* ---------------------------------------------------------------- challenge syntax (RFC 7235) */

static bool is_tchar(unsigned char ch)
{
        return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
               (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static bool is_t68char(unsigned char ch)
{
        return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
               (ch && strchr("-._~+/", ch));
}

static const char *skip_ows(const char *p)
{
        while (*p == ' ' || *p == '\t')
                p++;
        return p;
}

static size_t span_token(const char *p)
{
        size_t n = 0;

        while (is_tchar((unsigned char) p[n]))
                n++;
        return n;
}

static char *lower_dup(const char *s, size_t n)
{
        char *d = xstrndup(s, n);

        for (char *p = d; *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                        *p = (char) (*p - 'A' + 'a');
        return d;
}

/* A quoted-string starting at **pp (on the quote): backslash escapes the next character;
 * control characters other than tab are refused. */
static int parse_quoted(const char **pp, char **ret, den_error **err)
{
        const char *p = *pp + 1;
        struct den_buf b = { 0 };

        for (;; p++) {
                unsigned char ch = (unsigned char) *p;

                if (ch == '"')
                        break;
                if (ch == '\\')
                        ch = (unsigned char) *++p;
                if (ch == '\0') {
                        den_buf_free(&b);
                        return den_error_set(err, 0, "unterminated quoted string");
                }
                if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
                        den_buf_free(&b);
                        return den_error_set(err, 0, "control character in a quoted string");
                }
                den_buf_append(&b, &ch, 1);
        }
        *pp = p + 1;
        *ret = den_buf_steal(&b);
        return 0;
}

/* token / quoted-string */
static int parse_value(const char **pp, char **ret, den_error **err)
{
        size_t n;

        if (**pp == '"')
                return parse_quoted(pp, ret, err);
        n = span_token(*pp);
        if (n == 0)
                return den_error_set(err, 0, "expected a value at \"%.16s\"", *pp);
        *ret = xstrndup(*pp, n);
        *pp += n;
        return 0;
}

/* token68 is "abc==" directly after the scheme, standing alone in its list element. */
static size_t span_token68(const char *p)
{
        size_t n = 0;
        const char *q;

        while (is_t68char((unsigned char) p[n]))
                n++;
        if (n == 0)
                return 0;
        while (p[n] == '=')
                n++;
        q = skip_ows(p + n);
        return (*q == '\0' || *q == ',') ? n : 0;
}

/* True when p starts an auth-param (token BWS "="), not the next challenge's scheme. */
static bool is_param_start(const char *p)
{
        size_t n = span_token(p);

        return n > 0 && *skip_ows(p + n) == '=';
}

static int add_param(struct img_challenge *c, const char *name, size_t n, char *value,
                     den_error **err)
{
        _cleanup_free_ char *lname = lower_dup(name, n);

        if (c->n_params >= CHALLENGE_MAX_PARAMS) {
                free(value);
                return den_error_set(err, 0, "more than %d parameters", CHALLENGE_MAX_PARAMS);
        }
        if (img_challenge_param(c, lname)) {
                free(value);
                return den_error_set(err, 0, "parameter \"%s\" given twice", lname);
        }
        c->param_names = xrealloc(c->param_names, (c->n_params + 1) * sizeof(char *));
        c->param_values = xrealloc(c->param_values, (c->n_params + 1) * sizeof(char *));
        c->param_names[c->n_params] = steal_ptr(lname);
        c->param_values[c->n_params] = value;
        c->n_params++;
        return 0;
}

/* The parameters of one challenge, up to (not including) the next challenge's scheme. */
static int parse_params(const char **pp, struct img_challenge *c, den_error **err)
{
        const char *p = *pp;
        size_t n = span_token68(p);

        if (n > 0 && !is_param_start(p)) {
                c->token68 = xstrndup(p, n);
                *pp = p + n;
                return 0;
        }
        while (is_param_start(p)) {
                const char *name = p;
                size_t nl = span_token(p);
                char *value = NULL;

                p = skip_ows(skip_ows(p + nl) + 1);
                if (parse_value(&p, &value, err) < 0 || add_param(c, name, nl, value, err) < 0)
                        return -1;
                p = skip_ows(p);
                if (*p != ',' && *p != '\0')
                        return den_error_set(err, 0, "expected ',' at \"%.16s\"", p);
                while (*p == ',')
                        p = skip_ows(p + 1);
        }
        *pp = p;
        return 0;
}

void img_challenges_free(struct img_challenge *v, size_t n)
{
        for (size_t i = 0; v && i < n; i++) {
                free(v[i].scheme);
                free(v[i].token68);
                for (size_t k = 0; k < v[i].n_params; k++) {
                        free(v[i].param_names[k]);
                        free(v[i].param_values[k]);
                }
                free(v[i].param_names);
                free(v[i].param_values);
        }
        free(v);
}

const char *img_challenge_param(const struct img_challenge *c, const char *name)
{
        for (size_t i = 0; i < c->n_params; i++)
                if (streq(c->param_names[i], name))
                        return c->param_values[i];
        return NULL;
}

int img_challenge_parse(const char *header, struct img_challenge **ret, size_t *ret_n,
                        den_error **err)
{
        struct img_challenge *v = NULL;
        const char *p = header;
        size_t n = 0;

        if (strlen(header) > CHALLENGE_MAX_LEN)
                return den_error_set(err, 0, "WWW-Authenticate is longer than %d bytes",
                                     CHALLENGE_MAX_LEN);
        for (;;) {
                struct img_challenge *c;
                size_t sl;

                p = skip_ows(p);
                while (*p == ',')
                        p = skip_ows(p + 1);
                if (!*p)
                        break;
                sl = span_token(p);
                if (sl == 0 || n >= CHALLENGE_MAX_COUNT) {
                        img_challenges_free(v, n);
                        if (sl == 0)
                                return den_error_set(err, 0,
                                                     "WWW-Authenticate: expected an auth "
                                                     "scheme at \"%.16s\"",
                                                     p);
                        return den_error_set(err, 0, "WWW-Authenticate: more than %d challenges",
                                             CHALLENGE_MAX_COUNT);
                }
                v = xrealloc(v, (n + 1) * sizeof(*v));
                c = &v[n++];
                *c = (struct img_challenge){ .scheme = lower_dup(p, sl) };
                p += sl;
                if (*p != ' ' && *p != '\t' && *p != ',' && *p != '\0') {
                        img_challenges_free(v, n);
                        return den_error_set(err, 0,
                                             "WWW-Authenticate: unexpected \"%.16s\" after "
                                             "the scheme",
                                             p);
                }
                p = skip_ows(p);
                if (*p != ',' && parse_params(&p, c, err) < 0) {
                        den_error_wrap(err, "WWW-Authenticate: %s challenge", c->scheme);
                        img_challenges_free(v, n);
                        return -1;
                }
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

/* One ";name=value" of a link-value, at **pp (on the ';'). */
static int link_param(const char **pp, bool *is_next)
{
        _cleanup_(den_error_freep) den_error *e = NULL;
        _cleanup_free_ char *value = NULL;
        const char *q = skip_ows(*pp + 1);
        const char *name = q;
        size_t nl = span_token(q);

        if (nl == 0)
                return -1;
        q = skip_ows(q + nl);
        if (*q == '=') {
                q = skip_ows(q + 1);
                if (parse_value(&q, &value, &e) < 0)
                        return -1;
        }
        if (value && nl == 3 && strncasecmp(name, "rel", 3) == 0)
                for (char *w = value, *save = NULL, *tok; (tok = strtok_r(w, " \t", &save));
                     w = NULL)
                        if (strcasecmp(tok, "next") == 0)
                                *is_next = true;
        *pp = q;
        return 0;
}

char *img_link_next(const char *header)
{
        const char *p = header;

        if (strlen(header) > REG_MAX_HEADER_VALUE)
                return NULL;
        for (;;) {
                const char *start, *end, *q;
                bool is_next = false;

                p = skip_ows(p);
                while (*p == ',')
                        p = skip_ows(p + 1);
                if (*p != '<')
                        return NULL;
                start = p + 1;
                end = strchr(start, '>');
                if (!end)
                        return NULL;
                for (q = skip_ows(end + 1); *q == ';'; q = skip_ows(q))
                        if (link_param(&q, &is_next) < 0)
                                return NULL;
                if (is_next) {
                        for (const char *u = start; u < end; u++)
                                if ((unsigned char) *u <= 0x20 || (unsigned char) *u >= 0x7f)
                                        return NULL;
                        return end > start ? xstrndup(start, (size_t) (end - start)) : NULL;
                }
                if (*q != ',')
                        return NULL;
                p = q + 1;
        }
}

/* ---------------------------------------------------------------- credentials */

static void free_secret(char *s)
{
        if (s) {
                explicit_bzero(s, strlen(s));
                free(s);
        }
}

static uint64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

/* Credentials for repo (NULL: the registry as a whole): --creds, else the auth files, where a
 * "host/repo" entry is more specific than "host". Lookups are cached, found or not, so a pull
 * reads the files once. Returns 1 with copies, 0 when there are none. */
static int creds_get(struct img_client *c, const char *repo, char **ret_user, char **ret_pass,
                     den_error **err)
{
        struct reg_shared *sh = c->sh;
        _cleanup_free_ char *key = NULL;
        char *user = NULL, *pass = NULL;
        int r = -1;

        if (sh->creds_user) {
                *ret_user = xstrdup(sh->creds_user);
                *ret_pass = xstrdup(sh->creds_pass);
                return 1;
        }
        key = repo ? xasprintf("%s/%s", sh->domain, repo) : xstrdup(sh->domain);
        pthread_mutex_lock(&sh->lock);
        for (size_t i = 0; i < sh->n_creds; i++) {
                if (!streq(sh->creds[i].key, key))
                        continue;
                r = sh->creds[i].pass ? 1 : 0;
                if (r) {
                        *ret_user = xstrdup(sh->creds[i].user);
                        *ret_pass = xstrdup(sh->creds[i].pass);
                }
                break;
        }
        pthread_mutex_unlock(&sh->lock);
        if (r >= 0)
                return r;
        r = img_auth_lookup(sh->authfile, key, &user, &pass, err);
        if (r < 0)
                return den_error_wrap(err, "look up credentials for \"%s\"", key);
        if (r == 0) {
                free(user);
                free_secret(pass);
                user = pass = NULL;
        }
        pthread_mutex_lock(&sh->lock);
        if (sh->n_creds < REG_MAX_CREDS)
                sh->creds[sh->n_creds++] = (struct reg_cred){
                        .key = xstrdup(key),
                        .user = user ? xstrdup(user) : NULL,
                        .pass = pass ? xstrdup(pass) : NULL,
                };
        pthread_mutex_unlock(&sh->lock);
        if (r == 0)
                return 0;
        *ret_user = user;
        *ret_pass = pass;
        return 1;
}

static char *base64(const unsigned char *s, size_t n)
{
        static const char tab[] =
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        char *out = xmalloc((n + 2) / 3 * 4 + 1);
        char *o = out;

        for (size_t i = 0; i < n; i += 3) {
                uint32_t v = (uint32_t) s[i] << 16;

                if (i + 1 < n)
                        v |= (uint32_t) s[i + 1] << 8;
                if (i + 2 < n)
                        v |= s[i + 2];
                *o++ = tab[(v >> 18) & 63];
                *o++ = tab[(v >> 12) & 63];
                *o++ = i + 1 < n ? tab[(v >> 6) & 63] : '=';
                *o++ = i + 2 < n ? tab[v & 63] : '=';
        }
        *o = '\0';
        return out;
}

static char *basic_header(const char *user, const char *pass)
{
        char *plain = xasprintf("%s:%s", user, pass);
        char *b64 = base64((const unsigned char *) plain, strlen(plain));
        char *h = xasprintf("Authorization: Basic %s", b64);

        free_secret(plain);
        free_secret(b64);
        return h;
}

/* ---------------------------------------------------------------- bearer tokens */

static void token_clear(struct reg_token *t)
{
        free(t->scope);
        free_secret(t->token);
        *t = (struct reg_token){ 0 };
}

/* A live cached token for scope, copied (under lock). A token for pull and push serves a request
 * that needs only pull. */
static char *token_get(struct reg_shared *sh, const char *scope, bool *ret_has_creds)
{
        _cleanup_free_ char *wider = NULL;
        uint64_t now = now_ms();
        char *tok = NULL;

        if (*scope && !strchr(scope, ' ') && strlen(scope) > 5 &&
            streq(scope + strlen(scope) - 5, ":pull"))
                wider = xasprintf("%s,push", scope);
        pthread_mutex_lock(&sh->lock);
        for (size_t i = 0; i < sh->n_tokens && !tok; i++) {
                struct reg_token *t = &sh->tokens[i];

                if (t->expires_ms > now &&
                    (streq(t->scope, scope) || (wider && streq(t->scope, wider)))) {
                        tok = xstrdup(t->token);
                        *ret_has_creds = t->scope[0] == '\x01';
                }
        }
        pthread_mutex_unlock(&sh->lock);
        return tok;
}

static void token_put(struct reg_shared *sh, const char *scope, const char *token, long life_s)
{
        uint64_t expires = now_ms() + (uint64_t) (life_s - TOKEN_SLACK_S) * 1000;
        size_t i;

        pthread_mutex_lock(&sh->lock);
        for (i = 0; i < sh->n_tokens; i++)
                if (streq(sh->tokens[i].scope, scope))
                        break;
        if (i == sh->n_tokens) {
                if (sh->n_tokens == REG_MAX_TOKENS) {
                        /* full: the oldest goes */
                        token_clear(&sh->tokens[0]);
                        memmove(&sh->tokens[0], &sh->tokens[1],
                                (REG_MAX_TOKENS - 1) * sizeof(sh->tokens[0]));
                        sh->tokens[REG_MAX_TOKENS - 1] = (struct reg_token){ 0 };
                        i = REG_MAX_TOKENS - 1;
                } else {
                        sh->n_tokens++;
                }
        }
        token_clear(&sh->tokens[i]);
        sh->tokens[i] = (struct reg_token){ .scope = xstrdup(scope),
                                            .token = xstrdup(token),
                                            .expires_ms = expires };
        pthread_mutex_unlock(&sh->lock);
}

void reg_auth_clear(struct reg_shared *sh)
{
        for (size_t i = 0; i < sh->n_tokens; i++)
                token_clear(&sh->tokens[i]);
        sh->n_tokens = 0;
        for (size_t i = 0; i < sh->n_creds; i++) {
                free(sh->creds[i].key);
                free(sh->creds[i].user);
                free_secret(sh->creds[i].pass);
        }
        sh->n_creds = 0;
        free(sh->realm);
        free(sh->service);
        sh->realm = sh->service = NULL;
}

static bool is_printable(const char *s, size_t max, bool allow_space)
{
        size_t n = 0;

        for (; s[n]; n++)
                if ((unsigned char) s[n] < (allow_space ? 0x20 : 0x21) ||
                    (unsigned char) s[n] >= 0x7f)
                        return false;
        return n > 0 && n <= max;
}

/* {"token": ..., "access_token": ..., "expires_in": seconds} */
static int parse_token(const char *body, size_t len, char **ret, long *ret_life, den_error **err)
{
        json_auto_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
        const char *tok;
        json_t *exp;
        long life = TOKEN_MIN_LIFE_S;

        if (!json_is_object(root))
                return den_error_set(err, 0, "the token server's answer is not a JSON object");
        tok = json_string_value(json_object_get(root, "token"));
        if (!tok || !*tok)
                tok = json_string_value(json_object_get(root, "access_token"));
        if (!tok || !*tok)
                return den_error_set(err, 0, "the token server's answer has no token");
        /* it becomes a header line: no spaces, control bytes or line breaks */
        if (!is_printable(tok, REG_MAX_TOKEN, false))
                return den_error_set(err, 0,
                                     "the token server's token is malformed or longer than %u "
                                     "bytes",
                                     REG_MAX_TOKEN);
        exp = json_object_get(root, "expires_in");
        if (json_is_integer(exp) && json_integer_value(exp) > life)
                life = json_integer_value(exp) > TOKEN_MAX_LIFE_S ? TOKEN_MAX_LIFE_S
                                                                  : (long) json_integer_value(exp);
        *ret = xstrdup(tok);
        *ret_life = life;
        return 0;
}

static void add_query(struct den_buf *url, CURL *h, bool *has_query, const char *name,
                      const char *value)
{
        char *esc = curl_easy_escape(h, value, 0);

        if (!esc) {
                fputs("den: out of memory\n", stderr);
                abort();
        }
        den_buf_printf(url, "%c%s=%s", *has_query ? '&' : '?', name, esc);
        *has_query = true;
        curl_free(esc);
}

static char *unauthorized_text(const struct reg_resp *rs)
{
        _cleanup_(den_error_freep) den_error *e = NULL;

        (void) reg_status_error(rs, &e);
        if (den_str_has_prefix(e->msg, "unauthorized") || den_str_has_prefix(e->msg, "denied"))
                return xstrdup(e->msg);
        return xasprintf("unauthorized: %s", e->msg);
}

/* GET realm?service=..&scope=..: the scopes are space-separated in scope. */
static int fetch_token(struct img_client *c, const char *realm, const char *service,
                       const char *scope, const char *user, const char *pass, char **ret,
                       long *ret_life, den_error **err)
{
        struct den_buf url = { 0 };
        _cleanup_free_ char *auth = user ? basic_header(user, pass) : NULL;
        _cleanup_free_ char *origin = reg_url_origin(realm);
        _cleanup_free_ char *scopes = xstrdup(scope ? scope : "");
        _cleanup_free_ char *shown = xstrndup(realm, strcspn(realm, "?#"));
        struct reg_resp rs = { 0 };
        bool has_query = strchr(realm, '?') != NULL;
        int r;

        den_buf_puts(&url, realm);
        if (service)
                add_query(&url, c->curl, &has_query, "service", service);
        for (char *w = scopes, *save = NULL, *tok; (tok = strtok_r(w, " ", &save)); w = NULL)
                add_query(&url, c->curl, &has_query, "scope", tok);
        if (user)
                add_query(&url, c->curl, &has_query, "account", user);
        struct reg_req rq = {
                .method = "GET",
                .url = url.data,
                .auth = auth,
                .auth_origin = origin,
                .accept = "application/json",
                .sink = REG_SINK_MEM,
                .max = REG_MAX_TOKEN_BODY,
        };
        r = reg_http_do(c, &rq, &rs, err);
        den_buf_free(&url);
        if (r < 0) {
                reg_resp_clear(&rs);
                return den_error_wrap(err, "requesting bearer token from \"%s\"", shown);
        }
        if ((rs.status == 401 || rs.status == 403) && user) {
                _cleanup_free_ char *text = unauthorized_text(&rs);

                reg_resp_clear(&rs);
                return den_error_set(err, 0, "authenticating creds for \"%s\": %s", c->sh->domain,
                                     text);
        }
        if (rs.status != 200) {
                reg_status_error(&rs, err);
                reg_resp_clear(&rs);
                return den_error_wrap(err, "requesting bearer token from \"%s\"", shown);
        }
        r = parse_token(rs.body.data ? rs.body.data : "", rs.body.len, ret, ret_life, err);
        reg_resp_clear(&rs);
        if (r < 0)
                return den_error_wrap(err, "requesting bearer token from \"%s\"", shown);
        return 0;
}

/* ---------------------------------------------------------------- choosing the Authorization */

static int bearer_header(struct img_client *c, const char *repo, const char *scope, bool is_refresh,
                         char **ret, bool *ret_sent_creds, den_error **err)
{
        struct reg_shared *sh = c->sh;
        _cleanup_free_ char *realm = NULL;
        _cleanup_free_ char *service = NULL;
        _cleanup_free_ char *key = NULL;
        _cleanup_free_ char *user = NULL;
        char *pass = NULL;
        char *tok = NULL;
        bool has_creds = false;
        long life = 0;
        int r;

        /* the cache key carries whether the user's credentials stand behind the token */
        if (!is_refresh) {
                for (int with = 1; with >= 0 && !tok; with--) {
                        free(key);
                        key = xasprintf("%s%s", with ? "\x01" : "", scope ? scope : "");
                        tok = token_get(sh, key, &has_creds);
                }
                if (tok) {
                        *ret = xasprintf("Authorization: Bearer %s", tok);
                        *ret_sent_creds = has_creds;
                        free_secret(tok);
                        return 0;
                }
        }
        pthread_mutex_lock(&sh->lock);
        realm = sh->realm ? xstrdup(sh->realm) : NULL;
        service = sh->service ? xstrdup(sh->service) : NULL;
        pthread_mutex_unlock(&sh->lock);
        if (!realm)
                return 0;
        r = creds_get(c, repo, &user, &pass, err);
        if (r < 0)
                return -1;
        r = fetch_token(c, realm, service, scope, user, pass, &tok, &life, err);
        free_secret(pass);
        if (r < 0)
                return -1;
        free(key);
        key = xasprintf("%s%s", user ? "\x01" : "", scope ? scope : "");
        token_put(sh, key, tok, life);
        *ret = xasprintf("Authorization: Bearer %s", tok);
        *ret_sent_creds = user != NULL;
        free_secret(tok);
        return 0;
}

int reg_auth_header(struct img_client *c, const char *repo, const char *scope, bool is_refresh,
                    char **ret, bool *ret_sent_creds, den_error **err)
{
        struct reg_shared *sh = c->sh;
        enum reg_auth_kind kind;
        _cleanup_free_ char *user = NULL;
        char *pass = NULL;
        int r;

        *ret = NULL;
        *ret_sent_creds = false;
        pthread_mutex_lock(&sh->lock);
        kind = sh->auth_kind;
        pthread_mutex_unlock(&sh->lock);
        switch (kind) {
        case REG_AUTH_NONE:
                return 0;
        case REG_AUTH_BASIC:
                r = creds_get(c, repo, &user, &pass, err);
                if (r <= 0)
                        return r;
                *ret = basic_header(user, pass);
                *ret_sent_creds = true;
                free_secret(pass);
                return 0;
        case REG_AUTH_BEARER:
                return bearer_header(c, repo, scope, is_refresh, ret, ret_sent_creds, err);
        default:
                return 0;
        }
}

/* Picks the challenge den can answer (bearer before basic) and records it. Returns the kind,
 * with *ret_scope set when a bearer challenge names the scope it wants. */
static int learn(struct reg_shared *sh, const char *www_auth, char **ret_scope, den_error **err)
{
        struct img_challenge *v = NULL;
        const struct img_challenge *pick = NULL;
        enum reg_auth_kind kind = REG_AUTH_NONE;
        const char *realm = NULL, *service = NULL, *scope = NULL;
        size_t n = 0;

        if (img_challenge_parse(www_auth, &v, &n, err) < 0)
                return -1;
        for (size_t i = 0; i < n; i++) {
                if (streq(v[i].scheme, "bearer") && img_challenge_param(&v[i], "realm")) {
                        pick = &v[i];
                        kind = REG_AUTH_BEARER;
                        break;
                }
                if (streq(v[i].scheme, "basic") && !pick) {
                        pick = &v[i];
                        kind = REG_AUTH_BASIC;
                }
        }
        if (kind == REG_AUTH_BEARER) {
                realm = img_challenge_param(pick, "realm");
                service = img_challenge_param(pick, "service");
                scope = img_challenge_param(pick, "scope");
                if (!is_printable(realm, REALM_MAX, false) ||
                    !(den_str_has_prefix(realm, "https://") ||
                      den_str_has_prefix(realm, "http://"))) {
                        img_challenges_free(v, n);
                        return den_error_set(err, 0,
                                             "WWW-Authenticate: the bearer realm is not an "
                                             "http(s) URL");
                }
                if (service && !is_printable(service, SCOPE_MAX, true))
                        service = NULL;
                if (scope && is_printable(scope, SCOPE_MAX, true) && ret_scope)
                        *ret_scope = xstrdup(scope);
        }
        pthread_mutex_lock(&sh->lock);
        sh->auth_kind = kind;
        if (kind == REG_AUTH_BEARER) {
                free(sh->realm);
                free(sh->service);
                sh->realm = xstrdup(realm);
                sh->service = service ? xstrdup(service) : NULL;
        }
        pthread_mutex_unlock(&sh->lock);
        img_challenges_free(v, n);
        return (int) kind;
}

void reg_auth_from_ping(struct img_client *c, const struct reg_resp *rs)
{
        _cleanup_(den_error_freep) den_error *e = NULL;

        if (rs->status != 401 || !rs->www_auth) {
                pthread_mutex_lock(&c->sh->lock);
                c->sh->auth_kind = REG_AUTH_NONE;
                pthread_mutex_unlock(&c->sh->lock);
                return;
        }
        /* a challenge den cannot read here is met again, and reported, on the first request */
        if (learn(c->sh, rs->www_auth, NULL, &e) < 0)
                den_debug("%s: %s", c->sh->host, e->msg);
}

int reg_auth_learn(struct img_client *c, const char *www_auth, const char *repo, bool sent_auth,
                   char **ret_scope, den_error **err)
{
        _cleanup_free_ char *user = NULL;
        char *pass = NULL;
        int kind, r;

        if (!www_auth)
                return 0;
        kind = learn(c->sh, www_auth, ret_scope, err);
        if (kind < 0)
                return den_error_wrap(err, "%s", c->sh->host);
        if (kind == REG_AUTH_BEARER)
                return 1;
        if (kind != REG_AUTH_BASIC || sent_auth)
                return 0;
        r = creds_get(c, repo, &user, &pass, err);
        free_secret(pass);
        return r;
}

int reg_auth_refused(struct img_client *c, const struct reg_resp *rs, bool sent_creds,
                     den_error **err)
{
        _cleanup_free_ char *text = unauthorized_text(rs);

        if (sent_creds)
                return den_error_set(err, 0, "authenticating creds for \"%s\": %s", c->sh->domain,
                                     text);
        return den_error_set(err, 0, "%s", text);
}
