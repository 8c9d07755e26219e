/* The registry client: the OCI distribution API (Docker registry v2) over libcurl.
 *
 * A client talks to one registry. Its first request pings GET /v2/ to learn the scheme (https,
 * or plain http for an insecure registry that does not speak TLS) and how the registry wants to
 * be authenticated; every API call then goes through call(), which adds the Authorization line
 * and, on a 401, learns the new challenge, fetches a fresh token and tries once more. Clones
 * share what was learned (scheme, challenge, credentials, tokens) so pull's layer threads need
 * not authenticate again.
 *
 * Trust boundary: names given to the client (repo, tag, digest) become URL paths, so they are
 * checked against the distribution spec's grammar first; a registry's answers are bounded and
 * checked in registry-http.c, and every body a caller relies on is verified against its digest
 * here or by the caller (layers, streamed to an fd, are verified by the extractor). */
#include <sys/stat.h>
#include "image/registry-http.h"

#define MANIFEST_ACCEPT                                                                \
        IMG_MEDIA_OCI_MANIFEST ", " IMG_MEDIA_OCI_INDEX ", " IMG_MEDIA_DOCKER_MANIFEST \
                               ", " IMG_MEDIA_DOCKER_LIST
#define MAX_TAG_PAGES 1000
#define MAX_TAGS 100000
#define MAX_TAGS_PAGE (8u << 20)
#define UPLOAD_LOW_SPEED_TIME_S 300L /* a registry may take a while to commit a large blob */

/* libcurl's global state is initialized once per process, before the first handle; this is the
 * one piece of process-wide state the client needs. */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
                /* fails only when out of memory, which is fatal everywhere in den */
                fputs("den: cannot initialize libcurl\n", stderr);
                abort();
        }
}

/* ---------------------------------------------------------------- names */

static bool is_alnum_lower(char ch)
{
        return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

/* A repository path: components of [a-z0-9]+ joined by '.', '_', '__' or '-'s, separated by
 * '/'. */
static bool repo_is_valid(const char *s)
{
        size_t n = strlen(s);

        if (n == 0 || n > 255 || !is_alnum_lower(s[0]) || !is_alnum_lower(s[n - 1]))
                return false;
        for (size_t i = 0; i < n; i++) {
                char ch = s[i];

                if (is_alnum_lower(ch))
                        continue;
                if (!strchr("._-/", ch) || !is_alnum_lower(s[i - 1]))
                        return false;
                if (ch == '/' || ch == '.') {
                        if (!is_alnum_lower(s[i + 1]))
                                return false;
                } else {
                        while (s[i + 1] == '_' || s[i + 1] == '-')
                                i++;
                        if (!is_alnum_lower(s[i + 1]))
                                return false;
                }
        }
        return true;
}

static bool tag_is_valid(const char *s)
{
        size_t n = strlen(s);

        if (n == 0 || n > 128 || s[0] == '.' || s[0] == '-')
                return false;
        for (size_t i = 0; i < n; i++)
                if (!is_alnum_lower(s[i]) && !(s[i] >= 'A' && s[i] <= 'Z') && !strchr("_.-", s[i]))
                        return false;
        return true;
}

static int check_repo(const char *repo, den_error **err)
{
        if (!repo || !repo_is_valid(repo))
                return den_error_set(err, EINVAL, "invalid repository name \"%s\"",
                                     repo ? repo : "");
        return 0;
}

static int check_digest(const char *digest, den_error **err)
{
        if (!digest || !den_digest_is_valid(digest))
                return den_error_set(err, EINVAL, "invalid digest \"%s\"", digest ? digest : "");
        return 0;
}

/* host[:port], an IPv4 or bracketed IPv6 address, nothing that could leave the authority part
 * of a URL. */
static bool domain_is_valid(const char *s)
{
        size_t n = strlen(s);

        if (n == 0 || n > 255)
                return false;
        for (size_t i = 0; i < n; i++) {
                char ch = s[i];

                if (!is_alnum_lower(ch) && !(ch >= 'A' && ch <= 'Z') && !strchr(".-:[]", ch))
                        return false;
        }
        return s[0] != '.' && s[0] != '-' && s[0] != ':';
}

/* ---------------------------------------------------------------- lifetime */

static struct img_client *client_alloc(struct reg_shared *sh)
{
        struct img_client *c = xcalloc(1, sizeof(*c));

        c->sh = sh;
        c->curl = curl_easy_init();
        if (!c->curl) {
                fputs("den: out of memory\n", stderr);
                abort();
        }
        return c;
}

static void shared_unref(struct reg_shared *sh)
{
        unsigned refs;

        pthread_mutex_lock(&sh->lock);
        refs = --sh->refs;
        pthread_mutex_unlock(&sh->lock);
        if (refs)
                return;
        reg_auth_clear(sh);
        free(sh->domain);
        free(sh->host);
        free(sh->authfile);
        free(sh->creds_user);
        if (sh->creds_pass) {
                explicit_bzero(sh->creds_pass, strlen(sh->creds_pass));
                free(sh->creds_pass);
        }
        free(sh->ca_data);
        free(sh->client_cert);
        free(sh->client_key);
        free(sh->origin);
        pthread_mutex_destroy(&sh->lock);
        free(sh);
}

int img_client_new(const char *domain, const struct img_client_opts *opts, struct img_client **ret,
                   den_error **err)
{
        static const struct img_client_opts defaults = { .tls_verify = -1 };
        const struct img_client_opts *o = opts ? opts : &defaults;
        struct reg_shared *sh;
        bool is_insecure;

        if (!domain || !domain_is_valid(domain))
                return den_error_set(err, EINVAL, "invalid registry \"%s\"", domain ? domain : "");
        if (!o->creds_user != !o->creds_pass)
                return den_error_set(err, EINVAL, "credentials need both user and password");
        pthread_once(&curl_once, curl_init_once);
        is_insecure = o->tls_verify == 0 || (o->tls_verify < 0 && o->is_insecure);
        if (o->tls_verify < 0 && !is_insecure) {
                /* registries.conf decides: [[registry]] insecure = true for this location */
                struct img_registries *regs = NULL;
                den_error *e = NULL;

                if (img_registries_load(&regs, &e) < 0) {
                        den_error_free(e);
                } else {
                        is_insecure = img_registries_is_insecure(regs, domain);
                        img_registries_free(regs);
                }
        }
        sh = xcalloc(1, sizeof(*sh));
        pthread_mutex_init(&sh->lock, NULL);
        sh->refs = 1;
        sh->domain = xstrdup(domain);
        /* Docker Hub's API lives on its own host; credentials stay keyed by "docker.io" */
        sh->host = xstrdup(streq(domain, "docker.io") ? "registry-1.docker.io" : domain);
        sh->authfile = o->authfile ? xstrdup(o->authfile) : NULL;
        sh->creds_user = o->creds_user ? xstrdup(o->creds_user) : NULL;
        sh->creds_pass = o->creds_pass ? xstrdup(o->creds_pass) : NULL;
        sh->is_verify = !is_insecure;
        sh->can_http = is_insecure;
        if (reg_tls_load(sh, o, err) < 0) {
                shared_unref(sh);
                return -1;
        }
        *ret = client_alloc(sh);
        return 0;
}

struct img_client *img_client_clone(struct img_client *c)
{
        pthread_mutex_lock(&c->sh->lock);
        c->sh->refs++;
        pthread_mutex_unlock(&c->sh->lock);
        return client_alloc(c->sh);
}

void img_client_free(struct img_client *c)
{
        if (!c)
                return;
        curl_easy_cleanup(c->curl);
        free(c->upload_url);
        free(c->upload_repo);
        shared_unref(c->sh);
        free(c);
}

/* ---------------------------------------------------------------- ping and calls */

static bool is_tls_failure(CURLcode cc)
{
        return cc == CURLE_SSL_CONNECT_ERROR || cc == CURLE_PEER_FAILED_VERIFICATION ||
               cc == CURLE_GOT_NOTHING || cc == CURLE_RECV_ERROR;
}

/* GET /v2/ over one scheme: 200 and 401 both mean "a registry answers here". */
static int ping_scheme(struct img_client *c, const char *scheme, struct reg_resp *rs,
                       den_error **err)
{
        _cleanup_free_ char *url = xasprintf("%s://%s/v2/", scheme, c->sh->host);
        struct reg_req rq = { .method = "GET", .url = url, .sink = REG_SINK_DISCARD };

        if (reg_http_do(c, &rq, rs, err) < 0)
                return -1;
        if (rs->status != 200 && rs->status != 401) {
                reg_status_error(rs, err);
                return den_error_wrap(err, "GET \"%s\"", url);
        }
        return 0;
}

/* Learns the scheme and the auth challenge once per client family. An insecure registry is
 * tried over https without verification first, then over plain http, as podman does. */
static int detect(struct img_client *c, den_error **err)
{
        struct reg_shared *sh = c->sh;
        _cleanup_(den_error_freep) den_error *https_err = NULL;
        struct reg_resp rs = { 0 };
        const char *scheme = "https";
        bool is_done;
        int r;

        pthread_mutex_lock(&sh->lock);
        is_done = sh->is_detected;
        pthread_mutex_unlock(&sh->lock);
        if (is_done)
                return 0;
        r = ping_scheme(c, scheme, &rs, &https_err);
        if (r < 0 && sh->can_http) {
                CURLcode https_code = c->last_code;
                den_error *http_err = NULL;

                scheme = "http";
                reg_resp_clear(&rs);
                r = ping_scheme(c, scheme, &rs, &http_err);
                /* when both fail, the https failure explains more, unless TLS itself failed
                 * (then the server probably speaks http and its failure is the real one) */
                if (r < 0 && is_tls_failure(https_code)) {
                        den_error_free(https_err);
                        https_err = http_err;
                } else {
                        den_error_free(http_err);
                }
        }
        if (r < 0) {
                reg_resp_clear(&rs);
                *err = steal_ptr(https_err);
                return den_error_wrap(err, "pinging container registry %s", sh->host);
        }
        reg_auth_from_ping(c, &rs);
        reg_resp_clear(&rs);
        pthread_mutex_lock(&sh->lock);
        if (!sh->is_detected) {
                free(sh->origin);
                sh->origin = xasprintf("%s://%s", scheme, sh->host);
                sh->is_detected = true;
        }
        pthread_mutex_unlock(&sh->lock);
        return 0;
}

/* What a call needs permission for: repository:<repo>:<actions>, plus pull on from (a mount's
 * source). */
struct scope {
        const char *repo;
        bool is_push;
        const char *from;
};

static char *scope_string(const struct scope *s)
{
        if (!s->repo)
                return NULL;
        if (s->from)
                return xasprintf("repository:%s:pull,push repository:%s:pull", s->repo, s->from);
        return xasprintf("repository:%s:%s", s->repo, s->is_push ? "pull,push" : "pull");
}

/* Sends rq (its url a path on the registry, or an absolute URL) with authentication, retrying
 * once after a 401 that a fresh token or the user's credentials can answer. A final 401 is the
 * error; any other status is left to the caller. */
static int call(struct img_client *c, const char *path, const struct scope *sc, struct reg_req *rq,
                struct reg_resp *rs, den_error **err)
{
        _cleanup_free_ char *scope = scope_string(sc);
        _cleanup_free_ char *url = NULL;
        _cleanup_free_ char *origin = NULL;
        bool sent_creds = false;

        if (detect(c, err) < 0)
                return -1;
        pthread_mutex_lock(&c->sh->lock);
        url = path[0] == '/' ? xasprintf("%s%s", c->sh->origin, path) : xstrdup(path);
        /* credentials go to the registry's own origin only, not to an upload Location or a
         * redirect on another host */
        origin = reg_url_origin(c->sh->origin);
        pthread_mutex_unlock(&c->sh->lock);
        for (int attempt = 0;; attempt++) {
                _cleanup_free_ char *auth = NULL;
                _cleanup_free_ char *hint = NULL;
                int r;

                if (reg_auth_header(c, sc->repo, scope, attempt > 0, &auth, &sent_creds, err) < 0)
                        return -1;
                rq->url = url;
                rq->auth = auth;
                rq->auth_origin = origin;
                r = reg_http_do(c, rq, rs, err);
                rq->auth = NULL;
                if (r < 0)
                        return -1;
                if (rs->status != 401 || attempt > 0)
                        break;
                /* a body read from a pipe cannot be sent twice */
                if (rq->has_body && !rq->body && rq->body_start < 0)
                        break;
                r = reg_auth_learn(c, rs->www_auth, sc->repo, auth != NULL, &hint, err);
                if (r < 0)
                        return -1;
                if (r == 0)
                        break;
                if (hint && scope && !strstr(scope, hint)) {
                        char *wider = xasprintf("%s %s", scope, hint);

                        free(scope);
                        scope = wider;
                } else if (hint && !scope) {
                        scope = steal_ptr(hint);
                }
        }
        if (rs->status == 401)
                return reg_auth_refused(c, rs, sent_creds, err);
        return 0;
}

int img_client_ping(struct img_client *c, den_error **err)
{
        struct scope sc = { 0 };
        struct reg_req rq = { .method = "GET", .sink = REG_SINK_DISCARD };
        struct reg_resp rs = { 0 };
        int r;

        r = call(c, "/v2/", &sc, &rq, &rs, err);
        if (r == 0 && rs.status != 200) {
                reg_status_error(&rs, err);
                r = den_error_wrap(err, "pinging container registry %s", c->sh->host);
        }
        reg_resp_clear(&rs);
        return r;
}

/* ---------------------------------------------------------------- manifests */

static char *media_type_of(const char *content_type)
{
        size_t n;

        if (!content_type)
                return NULL;
        content_type += strspn(content_type, " \t");
        n = strcspn(content_type, "; \t");
        return n ? xstrndup(content_type, n) : NULL;
}

int img_client_get_manifest(struct img_client *c, const char *repo, const char *ref,
                            char **ret_body, size_t *ret_len, char **ret_media_type,
                            char ret_digest[72], den_error **err)
{
        struct scope sc = { .repo = repo };
        struct reg_req rq = { .method = "GET",
                              .accept = MANIFEST_ACCEPT,
                              .sink = REG_SINK_MEM,
                              .max = IMG_MAX_MANIFEST_SIZE,
                              .is_follow = true };
        struct reg_resp rs = { 0 };
        _cleanup_free_ char *path = NULL;
        bool is_digest = ref && strchr(ref, ':');
        char digest[72];
        int r;

        if (check_repo(repo, err) < 0)
                return -1;
        if (!ref || (is_digest ? !den_digest_is_valid(ref) : !tag_is_valid(ref)))
                return den_error_set(err, EINVAL, "invalid tag or digest \"%s\"", ref ? ref : "");
        if (is_digest && !den_str_has_prefix(ref, "sha256:"))
                return den_error_set(err, ENOTSUP,
                                     "reading manifest %s: only sha256 digests "
                                     "are supported",
                                     ref);
        path = xasprintf("/v2/%s/manifests/%s", repo, ref);
        r = call(c, path, &sc, &rq, &rs, err);
        if (r == 0 && rs.status != 200)
                r = reg_status_error(&rs, err);
        if (r == 0) {
                den_sha256_buf(rs.body.data ? rs.body.data : "", rs.body.len, digest);
                if (is_digest && !streq(digest, ref))
                        r = den_error_set(err, 0, "manifest digest mismatch: expected %s, got %s",
                                          ref, digest);
        }
        if (r < 0) {
                reg_resp_clear(&rs);
                return den_error_wrap(err, "reading manifest %s in %s/%s", ref, c->sh->domain,
                                      repo);
        }
        *ret_media_type = media_type_of(rs.content_type);
        *ret_len = rs.body.len;
        *ret_body = den_buf_steal(&rs.body);
        memcpy(ret_digest, digest, 72);
        reg_resp_clear(&rs);
        return 0;
}

int img_client_put_manifest(struct img_client *c, const char *repo, const char *ref,
                            const char *media_type, const char *body, size_t len, den_error **err)
{
        struct scope sc = { .repo = repo, .is_push = true };
        struct reg_req rq = { .method = "PUT",
                              .content_type = media_type,
                              .has_body = true,
                              .body = body,
                              .body_len = len,
                              .body_fd = -EBADF,
                              .sink = REG_SINK_DISCARD };
        struct reg_resp rs = { 0 };
        _cleanup_free_ char *path = NULL;
        bool is_digest = ref && strchr(ref, ':');
        int r;

        if (check_repo(repo, err) < 0)
                return -1;
        if (!ref || (is_digest ? !den_digest_is_valid(ref) : !tag_is_valid(ref)))
                return den_error_set(err, EINVAL, "invalid tag or digest \"%s\"", ref ? ref : "");
        if (!media_type || strlen(media_type) > 255 || strpbrk(media_type, "\r\n") || !*media_type)
                return den_error_set(err, EINVAL, "invalid media type for manifest %s", ref);
        if (len > IMG_MAX_MANIFEST_SIZE)
                return den_error_set(err, EFBIG, "manifest %s is larger than %u bytes", ref,
                                     IMG_MAX_MANIFEST_SIZE);
        path = xasprintf("/v2/%s/manifests/%s", repo, ref);
        r = call(c, path, &sc, &rq, &rs, err);
        if (r == 0 && rs.status != 201 && rs.status != 200 && rs.status != 202)
                r = reg_status_error(&rs, err);
        reg_resp_clear(&rs);
        if (r < 0)
                return den_error_wrap(err, "uploading manifest %s to %s/%s", ref, c->sh->domain,
                                      repo);
        return 0;
}

/* ---------------------------------------------------------------- tags */

struct tag_list {
        char **v; /* NULL-terminated once done */
        size_t n;
        size_t cap;
};

/* One page of {"name": ..., "tags": [...]}; "tags" may be null. */
static int parse_tags(const char *body, size_t len, struct tag_list *tl, den_error **err)
{
        json_auto_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
        json_t *arr, *t;
        size_t i;

        if (!json_is_object(root))
                return den_error_set(err, 0, "the tag list is not a JSON object");
        arr = json_object_get(root, "tags");
        if (!arr || json_is_null(arr))
                return 0;
        if (!json_is_array(arr))
                return den_error_set(err, 0, "the tag list's \"tags\" is not an array");
        json_array_foreach (arr, i, t) {
                const char *s = json_string_value(t);

                if (!s || !tag_is_valid(s))
                        return den_error_set(err, 0, "the tag list holds an invalid tag");
                if (tl->n >= MAX_TAGS)
                        return den_error_set(err, 0, "more than %d tags", MAX_TAGS);
                if (tl->n + 2 > tl->cap) {
                        tl->cap = tl->cap ? tl->cap * 2 : 64;
                        tl->v = xrealloc(tl->v, tl->cap * sizeof(char *));
                }
                tl->v[tl->n++] = xstrdup(s);
                tl->v[tl->n] = NULL;
        }
        return 0;
}

/* The next page's URL from a Link header, or NULL. Pages come from the registry itself, never
 * from another host. */
static int next_page(const struct reg_resp *rs, const char *origin, char **ret, den_error **err)
{
        _cleanup_free_ char *link = rs->link ? img_link_next(rs->link) : NULL;
        _cleanup_free_ char *next = link ? reg_url_resolve(rs->url, link) : NULL;
        _cleanup_free_ char *o = next ? reg_url_origin(next) : NULL;

        if (next && (!o || !streq(o, origin)))
                return den_error_set(err, 0, "the tag list links to another host");
        *ret = steal_ptr(next);
        return 0;
}

static int list_tags(struct img_client *c, const char *repo, struct tag_list *tl, den_error **err)
{
        struct scope sc = { .repo = repo };
        _cleanup_free_ char *url = xasprintf("/v2/%s/tags/list", repo);
        _cleanup_free_ char *origin = NULL;

        for (int page = 0;; page++) {
                struct reg_req rq = { .method = "GET",
                                      .accept = "application/json",
                                      .sink = REG_SINK_MEM,
                                      .max = MAX_TAGS_PAGE };
                struct reg_resp rs = { 0 };
                char *next = NULL;
                int r;

                if (page >= MAX_TAG_PAGES)
                        return den_error_set(err, 0, "more than %d pages of tags", MAX_TAG_PAGES);
                r = call(c, url, &sc, &rq, &rs, err);
                if (r == 0 && rs.status != 200)
                        r = reg_status_error(&rs, err);
                if (r == 0)
                        r = parse_tags(rs.body.data ? rs.body.data : "", rs.body.len, tl, err);
                if (r == 0 && !origin) {
                        pthread_mutex_lock(&c->sh->lock);
                        origin = reg_url_origin(c->sh->origin);
                        pthread_mutex_unlock(&c->sh->lock);
                }
                if (r == 0)
                        r = next_page(&rs, origin ? origin : "", &next, err);
                reg_resp_clear(&rs);
                if (r < 0)
                        return -1;
                if (!next)
                        return 0;
                free(url);
                url = next;
        }
}

int img_client_list_tags(struct img_client *c, const char *repo, char ***ret, den_error **err)
{
        struct tag_list tl = { 0 };

        if (check_repo(repo, err) < 0)
                return -1;
        if (list_tags(c, repo, &tl, err) < 0) {
                den_strv_free(tl.v);
                return den_error_wrap(err, "listing tags of %s/%s", c->sh->domain, repo);
        }
        *ret = tl.v ? tl.v : xcalloc(1, sizeof(char *));
        return 0;
}

int img_tag_list_parse(const char *body, size_t len, char ***ret, den_error **err)
{
        struct tag_list tl = { 0 };

        if (parse_tags(body, len, &tl, err) < 0) {
                den_strv_free(tl.v);
                return -1;
        }
        *ret = tl.v ? tl.v : xcalloc(1, sizeof(char *));
        return 0;
}

/* ---------------------------------------------------------------- blobs */

static int check_blob_args(const char *repo, const char *digest, den_error **err)
{
        if (check_repo(repo, err) < 0 || check_digest(digest, err) < 0)
                return -1;
        return 0;
}

int img_client_get_blob(struct img_client *c, const char *repo, const char *digest, size_t max,
                        char **ret, size_t *ret_len, den_error **err)
{
        struct scope sc = { .repo = repo };
        struct reg_req rq = {
                .method = "GET", .sink = REG_SINK_MEM, .max = max, .is_follow = true
        };
        struct reg_resp rs = { 0 };
        _cleanup_free_ char *path = NULL;
        char got[72];
        int r;

        if (check_blob_args(repo, digest, err) < 0)
                return -1;
        if (!den_str_has_prefix(digest, "sha256:"))
                return den_error_set(err, ENOTSUP,
                                     "reading blob %s: only sha256 digests are "
                                     "supported",
                                     digest);
        path = xasprintf("/v2/%s/blobs/%s", repo, digest);
        r = call(c, path, &sc, &rq, &rs, err);
        if (r == 0 && rs.status != 200)
                r = reg_status_error(&rs, err);
        if (r == 0) {
                den_sha256_buf(rs.body.data ? rs.body.data : "", rs.body.len, got);
                if (!streq(got, digest))
                        r = den_error_set(err, 0, "digest mismatch: expected %s, got %s", digest,
                                          got);
        }
        if (r < 0) {
                reg_resp_clear(&rs);
                return den_error_wrap(err, "reading blob %s", digest);
        }
        *ret_len = rs.body.len;
        *ret = den_buf_steal(&rs.body);
        reg_resp_clear(&rs);
        return 0;
}

int img_client_get_blob_to_fd(struct img_client *c, const char *repo, const char *digest, int fd,
                              void (*progress)(void *ud, uint64_t done, uint64_t total), void *ud,
                              den_error **err)
{
        struct scope sc = { .repo = repo };
        struct reg_req rq = { .method = "GET",
                              .sink = REG_SINK_FD,
                              .out_fd = fd,
                              .progress = progress,
                              .progress_ud = ud,
                              .is_follow = true };
        struct reg_resp rs = { 0 };
        _cleanup_free_ char *path = NULL;
        int r;

        if (check_blob_args(repo, digest, err) < 0)
                return -1;
        path = xasprintf("/v2/%s/blobs/%s", repo, digest);
        r = call(c, path, &sc, &rq, &rs, err);
        if (r == 0 && rs.status != 200)
                r = reg_status_error(&rs, err);
        reg_resp_clear(&rs);
        if (r < 0)
                return den_error_wrap(err, "reading blob %s", digest);
        return 0;
}

int img_client_blob_exists(struct img_client *c, const char *repo, const char *digest,
                           den_error **err)
{
        struct scope sc = { .repo = repo };
        struct reg_req rq = { .method = "HEAD", .sink = REG_SINK_DISCARD, .is_follow = true };
        struct reg_resp rs = { 0 };
        _cleanup_free_ char *path = NULL;
        int r;

        if (check_blob_args(repo, digest, err) < 0)
                return -1;
        path = xasprintf("/v2/%s/blobs/%s", repo, digest);
        r = call(c, path, &sc, &rq, &rs, err);
        if (r == 0)
                r = rs.status == 200 ? 1 : rs.status == 404 ? 0 : reg_status_error(&rs, err);
        reg_resp_clear(&rs);
        if (r < 0)
                return den_error_wrap(err, "checking blob %s in %s/%s", digest, c->sh->domain,
                                      repo);
        return r;
}

/* A refused mount opens an upload session (202); the distribution spec lets the client go on
 * with it, so the next upload to the same repository uses it instead of opening another. (Ending
 * it with DELETE would need the "delete" action, which registries rarely grant.) */
static void keep_upload(struct img_client *c, const char *repo, const struct reg_resp *rs)
{
        char *url = rs->location ? reg_url_resolve(rs->url, rs->location) : NULL;

        if (!url)
                return;
        free(c->upload_url);
        free(c->upload_repo);
        c->upload_url = url;
        c->upload_repo = xstrdup(repo);
}

int img_client_blob_mount(struct img_client *c, const char *repo, const char *digest,
                          const char *from_repo, den_error **err)
{
        struct scope sc = { .repo = repo, .is_push = true, .from = from_repo };
        struct reg_req rq = { .method = "POST", .sink = REG_SINK_DISCARD };
        struct reg_resp rs = { 0 };
        _cleanup_free_ char *path = NULL;
        int r;

        if (check_blob_args(repo, digest, err) < 0 || check_repo(from_repo, err) < 0)
                return -1;
        path = xasprintf("/v2/%s/blobs/uploads/?mount=%s&from=%s", repo, digest, from_repo);
        r = call(c, path, &sc, &rq, &rs, err);
        if (r == 0 && rs.status == 201) {
                r = 1;
        } else if (r == 0 && rs.status == 202) {
                keep_upload(c, repo, &rs); /* not mounted */
                r = 0;
        } else if (r == 0) {
                r = reg_status_error(&rs, err);
        }
        reg_resp_clear(&rs);
        if (r < 0)
                return den_error_wrap(err, "mounting blob %s from %s", digest, from_repo);
        return r;
}

/* POST opens an upload session; its Location (maybe relative, maybe with a query of its own)
 * is where the blob goes. */
static int start_upload(struct img_client *c, const struct scope *sc, char **ret_url,
                        den_error **err)
{
        _cleanup_free_ char *path = xasprintf("/v2/%s/blobs/uploads/", sc->repo);
        struct reg_req rq = { .method = "POST", .sink = REG_SINK_DISCARD };
        struct reg_resp rs = { 0 };
        int r;

        r = call(c, path, sc, &rq, &rs, err);
        if (r == 0 && rs.status != 202)
                r = reg_status_error(&rs, err);
        if (r == 0 && !(rs.location && (*ret_url = reg_url_resolve(rs.url, rs.location))))
                r = den_error_set(err, 0, "the registry gave no valid upload location");
        reg_resp_clear(&rs);
        return r;
}

int img_client_put_blob_fd(struct img_client *c, const char *repo, const char *digest, int fd,
                           uint64_t size, den_error **err)
{
        struct scope sc = { .repo = repo, .is_push = true };
        struct reg_req rq = { .method = "PUT",
                              .content_type = "application/octet-stream",
                              .has_body = true,
                              .body_fd = fd,
                              .body_size = size,
                              .sink = REG_SINK_DISCARD,
                              .low_speed_time = UPLOAD_LOW_SPEED_TIME_S };
        struct reg_resp rs = { 0 };
        _cleanup_free_ char *loc = NULL;
        _cleanup_free_ char *url = NULL;
        char *esc;
        int r;

        if (check_blob_args(repo, digest, err) < 0)
                return -1;
        rq.body_start = lseek(fd, 0, SEEK_CUR); /* -1 for a pipe: the body can go only once */
        if (c->upload_url && streq(c->upload_repo, repo)) {
                loc = steal_ptr(c->upload_url);
                free(steal_ptr(c->upload_repo));
        } else if (start_upload(c, &sc, &loc, err) < 0) {
                return den_error_wrap(err, "uploading blob %s", digest);
        }
        esc = curl_easy_escape(c->curl, digest, 0);
        if (!esc) {
                fputs("den: out of memory\n", stderr);
                abort();
        }
        url = xasprintf("%s%cdigest=%s", loc, strchr(loc, '?') ? '&' : '?', esc);
        curl_free(esc);
        r = call(c, url, &sc, &rq, &rs, err);
        if (r == 0 && rs.status != 201)
                r = reg_status_error(&rs, err);
        reg_resp_clear(&rs);
        if (r < 0)
                return den_error_wrap(err, "uploading blob %s", digest);
        return 0;
}
