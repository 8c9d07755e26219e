/* The registry client: its parsers (WWW-Authenticate challenges, error bodies, Link headers),
 * and its auth, verification and redirect handling against a small in-process HTTP server on
 * the loopback. (tests/bats covers the real registries.) */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include "image/image.h"
#include "tests/unit/tap.h"

static void test_challenge_bearer(void)
{
        struct img_challenge *v = NULL;
        size_t n = 0;
        den_error *e = NULL;
        int r;

        r = img_challenge_parse("Bearer realm=\"https://auth.docker.io/token\",service="
                                "\"registry.docker.io\",scope=\"repository:library/alpine:pull\"",
                                &v, &n, &e);
        is_int(r, 0);
        is_int(n, 1);
        is_str(v[0].scheme, "bearer");
        is_int(v[0].n_params, 3);
        is_str(img_challenge_param(&v[0], "realm"), "https://auth.docker.io/token");
        is_str(img_challenge_param(&v[0], "service"), "registry.docker.io");
        is_str(img_challenge_param(&v[0], "scope"), "repository:library/alpine:pull");
        ok(img_challenge_param(&v[0], "error") == NULL);
        img_challenges_free(v, n);
}

static void test_challenge_list(void)
{
        struct img_challenge *v = NULL;
        size_t n = 0;
        den_error *e = NULL;
        int r;

        /* two challenges, tokens and quoted values mixed, escapes, odd spacing and case */
        r = img_challenge_parse("Basic realm=\"a \\\"quoted\\\" realm\" , BEARER Realm=x,"
                                "service = \"s\\\\1\" ,error=insufficient_scope,",
                                &v, &n, &e);
        is_int(r, 0);
        is_int(n, 2);
        if (n == 2) {
                is_str(v[0].scheme, "basic");
                is_str(img_challenge_param(&v[0], "realm"), "a \"quoted\" realm");
                is_str(v[1].scheme, "bearer");
                is_str(img_challenge_param(&v[1], "realm"), "x");
                is_str(img_challenge_param(&v[1], "service"), "s\\1");
                is_str(img_challenge_param(&v[1], "error"), "insufficient_scope");
        }
        img_challenges_free(v, n);

        /* token68 and parameterless schemes */
        r = img_challenge_parse("Negotiate abc+/==, Basic, Bearer realm=\"r\"", &v, &n, &e);
        is_int(r, 0);
        is_int(n, 3);
        if (n == 3) {
                is_str(v[0].scheme, "negotiate");
                is_str(v[0].token68, "abc+/==");
                is_str(v[1].scheme, "basic");
                is_int(v[1].n_params, 0);
                is_str(img_challenge_param(&v[2], "realm"), "r");
        }
        img_challenges_free(v, n);

        r = img_challenge_parse("", &v, &n, &e);
        is_int(r, 0);
        is_int(n, 0);
        img_challenges_free(v, n);
}

static void expect_bad(const char *header, const char *part)
{
        struct img_challenge *v = NULL;
        size_t n = 0;
        den_error *e = NULL;
        int r = img_challenge_parse(header, &v, &n, &e);

        is_int(r, -1);
        ok(e && strstr(e->msg, part));
        if (e && !strstr(e->msg, part))
                printf("#   got \"%s\", wanted \"%s\"\n", e->msg, part);
        den_error_free(e);
}

static void test_challenge_bad(void)
{
        char *big = xmalloc(9000);
        struct den_buf many = { 0 };

        expect_bad("Bearer realm=\"unterminated", "unterminated quoted string");
        expect_bad("Bearer realm=\"a\\", "unterminated quoted string");
        expect_bad("Bearer realm=\"a\x01b\"", "control character");
        expect_bad("Bearer realm=", "expected a value");
        expect_bad("Bearer realm=a b=c", "expected ','");
        expect_bad("Bearer realm=a, realm=b", "given twice");
        expect_bad("=oops", "expected an auth scheme");
        expect_bad("Bearer\"x\"", "after the scheme");
        memset(big, 'a', 8999);
        big[8999] = '\0';
        expect_bad(big, "longer than");
        for (int i = 0; i < 17; i++)
                den_buf_puts(&many, "Basic, ");
        expect_bad(many.data, "more than 16 challenges");
        den_buf_free(&many);
        for (int i = 0; i < 33; i++)
                den_buf_printf(&many, "%sp%d=v", i ? "," : "Bearer ", i);
        expect_bad(many.data, "more than 32 parameters");
        den_buf_free(&many);
        free(big);
}

static char *text(const char *body)
{
        return img_registry_error_text(body, strlen(body));
}

static void test_error_text(void)
{
        char *t;
        char big[70000];

        t = text("{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":"
                 "\"manifest unknown\",\"detail\":{\"Tag\":\"x\"}}]}");
        is_str(t, "manifest unknown");
        free(t);
        t = text("{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":"
                 "\"authentication required\"}]}");
        is_str(t, "unauthorized: authentication required");
        free(t);
        t = text("{\"errors\":[{\"code\":\"DENIED\"},{\"message\":\"two\\u001b[0m\"}]}");
        is_str(t, "denied; two?[0m");
        free(t);
        t = text("{\"details\":\"incorrect username or password\"}");
        is_str(t, "incorrect username or password");
        free(t);
        ok(text("not json") == NULL);
        ok(text("{\"errors\":[]}") == NULL);
        ok(text("{\"errors\":\"x\"}") == NULL);
        ok(text("{\"a\":1,\"a\":2}") == NULL);
        ok(img_registry_error_text(NULL, 0) == NULL);
        memset(big, ' ', sizeof(big));
        memcpy(big, "{\"details\":\"x\"}", 15);
        ok(img_registry_error_text(big, sizeof(big)) == NULL);
}

static void test_link(void)
{
        char *u;

        u = img_link_next("</v2/r/tags/list?last=b&n=2>; rel=\"next\"");
        is_str(u, "/v2/r/tags/list?last=b&n=2");
        free(u);
        u = img_link_next("<https://a/prev>; rel=prev, <https://a/x,y>; title=\"a;b\"; "
                          "rel=\"alternate NEXT\"");
        is_str(u, "https://a/x,y");
        free(u);
        ok(img_link_next("</x>; rel=\"prev\"") == NULL);
        ok(img_link_next("</x") == NULL);
        ok(img_link_next("garbage") == NULL);
        ok(img_link_next("</x y>; rel=next") == NULL);
        ok(img_link_next("<>; rel=next") == NULL);
        ok(img_link_next("</x>; rel=\"next") == NULL);
        ok(img_link_next("") == NULL);
}

static void test_client_args(void)
{
        struct img_client *c = NULL;
        den_error *e = NULL;

        is_int(img_client_new("example.com/evil", NULL, &c, &e), -1);
        ok(e && e->errnum == EINVAL);
        den_error_free(e);
        e = NULL;
        is_int(img_client_new("", NULL, &c, &e), -1);
        den_error_free(e);
        e = NULL;
        is_int(img_client_new("a@b", NULL, &c, &e), -1);
        den_error_free(e);
        e = NULL;
        is_int(img_client_new("localhost:5000",
                              &(struct img_client_opts){ .tls_verify = -1, .creds_user = "u" }, &c,
                              &e),
               -1);
        den_error_free(e);
        e = NULL;
        /* a missing --cert-dir adds nothing, as in podman */
        is_int(img_client_new("localhost:5000",
                              &(struct img_client_opts){ .tls_verify = -1,
                                                         .certs_dir = "/nonexistent/certs" },
                              &c, &e),
               0);
        img_client_free(c);
}

/* ---------------------------------------------------------------- a loopback registry */

#define MANIFEST "{\"schemaVersion\":2,\"mediaType\":\"" IMG_MEDIA_OCI_MANIFEST "\"}"
#define BLOB "blob bytes"

struct srv {
        int lfd;
        int port;
        bool is_bearer;       /* Bearer via /token, else Basic */
        char store_auth[512]; /* the Authorization /store received ("-" for none) */
        int n_tokens;
        pthread_t th;
};

static char manifest_digest[72];
static char blob_digest[72];

static void reply(int fd, const char *status, const char *headers, const char *body)
{
        char *r = xasprintf("HTTP/1.1 %s\r\nConnection: close\r\nContent-Length: %zu\r\n%s\r\n%s",
                            status, strlen(body), headers, body);

        (void) den_write_all(fd, r, strlen(r));
        free(r);
}

static void header_value(const char *req, const char *name, char *out, size_t n)
{
        const char *p = strcasestr(req, name);

        snprintf(out, n, "-");
        if (p) {
                p += strlen(name);
                snprintf(out, n, "%.*s", (int) strcspn(p, "\r\n"), p);
        }
}

static void route(struct srv *s, int fd, const char *req)
{
        char method[8] = "", path[512] = "", auth[512], hdr[512];
        const char *good = s->is_bearer ? "Bearer T0k" : "Basic dTpw"; /* u:p */

        (void) sscanf(req, "%7s %511s", method, path);
        header_value(req, "\r\nAuthorization: ", auth, sizeof(auth));
        if (strncmp(path, "/token?", 7) == 0) {
                /* the realm gets the user's Basic credentials */
                if (!streq(auth, "Basic dTpw")) {
                        reply(fd, "401 Unauthorized", "", "{\"details\":\"bad password\"}");
                        return;
                }
                s->n_tokens++;
                reply(fd, "200 OK", "", "{\"token\":\"T0k\",\"expires_in\":600}");
                return;
        }
        if (streq(path, "/store")) {
                snprintf(s->store_auth, sizeof(s->store_auth), "%s", auth);
                reply(fd, "200 OK", "", BLOB);
                return;
        }
        if (!streq(auth, good)) {
                if (s->is_bearer)
                        snprintf(hdr, sizeof(hdr),
                                 "WWW-Authenticate: Bearer realm=\"http://127.0.0.1:%d/token\","
                                 "service=\"svc\"\r\n",
                                 s->port);
                else
                        snprintf(hdr, sizeof(hdr), "WWW-Authenticate: Basic realm=\"t\"\r\n");
                reply(fd, "401 Unauthorized", hdr,
                      "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication "
                      "required\"}]}");
                return;
        }
        if (streq(path, "/v2/")) {
                reply(fd, "200 OK", "", "{}");
        } else if (strncmp(path, "/v2/r/manifests/", 16) == 0 &&
                   (streq(path + 16, "latest") || strncmp(path + 16, "sha256:", 7) == 0)) {
                reply(fd, "200 OK", "Content-Type: " IMG_MEDIA_OCI_MANIFEST "; charset=utf-8\r\n",
                      MANIFEST);
        } else if (strncmp(path, "/v2/r/blobs/", 12) == 0) {
                snprintf(hdr, sizeof(hdr), "Location: http://localhost:%d/store\r\n", s->port);
                reply(fd, "307 Temporary Redirect", hdr, "");
        } else {
                reply(fd, "404 Not Found", "",
                      "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest "
                      "unknown\"}]}");
        }
}

static void *serve(void *p)
{
        struct srv *s = p;

        for (;;) {
                char req[8192];
                size_t n = 0;
                int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);

                if (fd < 0)
                        return NULL;
                while (n < sizeof(req) - 1) {
                        ssize_t r = read(fd, req + n, sizeof(req) - 1 - n);

                        if (r <= 0)
                                break;
                        n += (size_t) r;
                        req[n] = '\0';
                        if (strstr(req, "\r\n\r\n") || req[0] == 0x16)
                                break;
                }
                if (n > 0 && req[0] == 0x16) { /* a TLS handshake: this server speaks HTTP */
                        close(fd);
                        continue;
                }
                req[n] = '\0';
                route(s, fd, req);
                close(fd);
        }
}

static void srv_start(struct srv *s, bool is_bearer)
{
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(a);

        *s = (struct srv){ .is_bearer = is_bearer };
        s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *) &a, sizeof(a)) < 0 ||
            listen(s->lfd, 16) < 0 || getsockname(s->lfd, (struct sockaddr *) &a, &len) < 0)
                abort();
        s->port = ntohs(a.sin_port);
        pthread_create(&s->th, NULL, serve, s);
}

static void srv_stop(struct srv *s)
{
        shutdown(s->lfd, SHUT_RDWR);
        pthread_join(s->th, NULL);
        close(s->lfd);
}

static struct img_client *client_for(struct srv *s, const char *user, const char *pass)
{
        struct img_client *c = NULL;
        den_error *e = NULL;
        char host[32];

        snprintf(host, sizeof(host), "127.0.0.1:%d", s->port);
        if (img_client_new(host,
                           &(struct img_client_opts){
                                   .tls_verify = 0, .creds_user = user, .creds_pass = pass },
                           &c, &e) < 0)
                abort();
        return c;
}

static void test_flow(bool is_bearer)
{
        struct srv s;
        struct img_client *c;
        den_error *e = NULL;
        char *body = NULL, *mt = NULL, dg[72];
        size_t len = 0;
        int r;

        printf("# %s\n", is_bearer ? "bearer" : "basic");
        srv_start(&s, is_bearer);
        c = client_for(&s, "u", "p");
        is_int(img_client_ping(c, &e), 0);
        r = img_client_get_manifest(c, "r", "latest", &body, &len, &mt, dg, &e);
        is_int(r, 0);
        is_str(body, MANIFEST);
        is_str(mt, IMG_MEDIA_OCI_MANIFEST);
        is_str(dg, manifest_digest);
        free(body);
        free(mt);
        r = img_client_get_manifest(c, "r", manifest_digest, &body, &len, &mt, dg, &e);
        is_int(r, 0);
        free(body);
        free(mt);
        /* by digest, the body must have that digest */
        r = img_client_get_manifest(c, "r", blob_digest, &body, &len, &mt, dg, &e);
        is_int(r, -1);
        ok(e && strstr(e->msg, "manifest digest mismatch: expected sha256:"));
        den_error_free(e);
        e = NULL;
        r = img_client_get_manifest(c, "r", "gone", &body, &len, &mt, dg, &e);
        ok(r < 0 && e && e->errnum == ENOENT);
        ok(e && strstr(e->msg, "reading manifest gone in 127.0.0.1:") &&
           strstr(e->msg, "/r: manifest unknown"));
        den_error_free(e);
        e = NULL;
        /* the blob is redirected to another host, which gets no Authorization */
        r = img_client_get_blob(c, "r", blob_digest, 1024, &body, &len, &e);
        is_int(r, 0);
        is_str(body, BLOB);
        is_str(s.store_auth, "-");
        free(body);
        if (is_bearer)
                is_int(s.n_tokens, 2); /* one for the ping, one for repository:r:pull */
        img_client_free(c);

        c = client_for(&s, "u", "wrong-pw-1234");
        r = img_client_get_manifest(c, "r", "latest", &body, &len, &mt, dg, &e);
        is_int(r, -1);
        ok(e && strstr(e->msg, "authenticating creds for \"127.0.0.1:") &&
           strstr(e->msg, is_bearer ? "unauthorized: bad password"
                                    : "unauthorized: authentication required") &&
           !strstr(e->msg, "wrong-pw"));
        if (e)
                printf("# %s\n", e->msg);
        den_error_free(e);
        img_client_free(c);
        srv_stop(&s);
}

static void test_refused(void)
{
        struct srv s;
        struct img_client *c;
        den_error *e = NULL;
        char *t;

        /* a port that was just free: connection refused, named like podman names it */
        srv_start(&s, false);
        srv_stop(&s);
        c = client_for(&s, NULL, NULL);
        is_int(img_client_ping(c, &e), -1);
        t = e ? den_error_text(e) : NULL;
        ok(t && strstr(t, "pinging container registry 127.0.0.1:") &&
           strstr(t, ": connect: Connection refused"));
        if (t)
                printf("# %s\n", t);
        free(t);
        den_error_free(e);
        img_client_free(c);
}

int main(void)
{
        signal(SIGPIPE, SIG_IGN);
        den_sha256_buf(MANIFEST, strlen(MANIFEST), manifest_digest);
        den_sha256_buf(BLOB, strlen(BLOB), blob_digest);
        test_challenge_bearer();
        test_challenge_list();
        test_challenge_bad();
        test_error_text();
        test_link();
        test_client_args();
        test_flow(false);
        test_flow(true);
        test_refused();
        return tap_done();
}
