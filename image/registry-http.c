/* One HTTP exchange with a registry, a storage host it redirects to, or a token server, over the
 * client's libcurl handle.
 *
 * Trust boundary: everything in an answer is remote input. Headers are kept only when named
 * below and each is bounded, the whole header block is bounded, bodies go to a bounded buffer or
 * to the caller's fd, and text that ends up in an error message is stripped of control bytes.
 * Redirects are followed by hand, so the Authorization line goes only to the origin it was made
 * for and a redirect can only lead to http(s). Bodies are never decoded (no Accept-Encoding):
 * digests are of the bytes as sent. */
#include <inttypes.h>
#include <poll.h>
#include <sys/stat.h>
#include "image/registry-http.h"

#define CONNECT_TIMEOUT_S 30L
#define LOW_SPEED_TIME_S 60L /* a transfer below 1 byte/s this long has stalled */

struct xfer {
        const struct reg_req *rq;
        struct reg_resp *rs;
        CURL *curl;
        size_t header_bytes;
        uint64_t sent;          /* request body bytes handed to libcurl */
        uint64_t received;      /* 2xx body bytes delivered to the sink */
        bool is_error_body_cut; /* stopped reading an over-long non-2xx body on purpose */
        den_error *err;         /* a callback's own failure, reported instead of libcurl's */
};

void reg_resp_clear(struct reg_resp *rs)
{
        free(rs->reason);
        free(rs->content_type);
        free(rs->location);
        free(rs->link);
        free(rs->www_auth);
        free(rs->docker_digest);
        free(rs->url);
        den_buf_free(&rs->body);
        *rs = (struct reg_resp){ 0 };
}

/* Remote text for a message: printable ASCII only, so a registry cannot write escape sequences
 * to the user's terminal. */
static char *sanitize(const char *s, size_t n)
{
        char *out = xstrndup(s, n);

        for (char *p = out; *p; p++)
                if ((unsigned char) *p < 0x20 || (unsigned char) *p >= 0x7f)
                        *p = '?';
        return out;
}

/* The URL as shown in messages: without query and fragment (a storage host's signed URL
 * carries its credentials there). */
static char *url_for_message(const char *url)
{
        return sanitize(url, strcspn(url, "?#"));
}

/* "Get", "Head", ...: the way podman's messages name a request. */
static char *method_word(const char *method)
{
        char *w = xstrdup(method);

        for (char *p = w + 1; *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                        *p = (char) (*p - 'A' + 'a');
        return w;
}

char *reg_url_resolve(const char *base, const char *ref)
{
        CURLU *u = curl_url();
        char *s = NULL;
        char *scheme = NULL;
        char *out = NULL;

        if (!u)
                return NULL;
        if (strlen(ref) > REG_MAX_URL || curl_url_set(u, CURLUPART_URL, base, 0) != CURLUE_OK ||
            curl_url_set(u, CURLUPART_URL, ref, 0) != CURLUE_OK ||
            curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
            curl_url_get(u, CURLUPART_URL, &s, 0) != CURLUE_OK)
                goto out;
        if ((streq(scheme, "http") || streq(scheme, "https")) && strlen(s) <= REG_MAX_URL)
                out = xstrdup(s);
out:
        curl_free(scheme);
        curl_free(s);
        curl_url_cleanup(u);
        return out;
}

char *reg_url_origin(const char *url)
{
        CURLU *u = curl_url();
        char *scheme = NULL, *host = NULL, *port = NULL;
        char *out = NULL;

        if (!u)
                return NULL;
        if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
            curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
            curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
            curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
                out = xasprintf("%s://%s:%s", scheme, host, port);
                for (char *p = out; *p; p++)
                        if (*p >= 'A' && *p <= 'Z')
                                *p = (char) (*p - 'A' + 'a');
        }
        curl_free(scheme);
        curl_free(host);
        curl_free(port);
        curl_url_cleanup(u);
        return out;
}

static bool header_is(const char *name, size_t n, const char *want)
{
        return strlen(want) == n && strncasecmp(name, want, n) == 0;
}

/* Keeps one header value (bounded); a repeated WWW-Authenticate is joined as a list. */
static int keep_header(struct xfer *x, char **slot, const char *what, const char *v, size_t n,
                       bool is_list)
{
        size_t old = *slot ? strlen(*slot) : 0;

        if (old + n + 2 > REG_MAX_HEADER_VALUE)
                return den_error_set(&x->err, 0, "response header %s is longer than %u bytes", what,
                                     REG_MAX_HEADER_VALUE);
        if (memchr(v, '\0', n))
                return den_error_set(&x->err, 0, "response header %s contains a NUL byte", what);
        if (*slot && is_list) {
                char *j = xasprintf("%s, %.*s", *slot, (int) n, v);

                free(*slot);
                *slot = j;
        } else {
                free(*slot);
                *slot = xstrndup(v, n);
        }
        return 0;
}

/* A new status line starts a new response (after a 100 Continue, or on each redirect hop):
 * forget the headers kept so far. */
static void start_response(struct xfer *x, const char *line, size_t n)
{
        struct reg_resp *rs = x->rs;
        const char *sp = memchr(line, ' ', n);
        const char *reason = "";
        size_t rn = 0;

        free(rs->content_type);
        free(rs->location);
        free(rs->link);
        free(rs->www_auth);
        free(rs->docker_digest);
        rs->content_type = rs->location = rs->link = rs->www_auth = rs->docker_digest = NULL;
        if (sp) {
                const char *sp2 = memchr(sp + 1, ' ', n - (size_t) (sp + 1 - line));

                if (sp2) {
                        reason = sp2 + 1;
                        rn = n - (size_t) (reason - line);
                }
        }
        free(rs->reason);
        rs->reason = sanitize(reason, rn < 128 ? rn : 128);
}

static size_t on_header(char *buf, size_t size, size_t nmemb, void *ud)
{
        struct xfer *x = ud;
        struct reg_resp *rs = x->rs;
        size_t len = size * nmemb, n = len, nn;
        const char *colon, *v;
        int r = 0;

        x->header_bytes += len;
        if (x->header_bytes > REG_MAX_HEADERS_TOTAL) {
                den_error_set(&x->err, 0, "response headers are longer than %u bytes",
                              REG_MAX_HEADERS_TOTAL);
                return 0;
        }
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
                n--;
        if (n >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
                start_response(x, buf, n);
                return len;
        }
        colon = memchr(buf, ':', n);
        if (!colon)
                return len;
        nn = (size_t) (colon - buf);
        v = colon + 1;
        while (v < buf + n && (*v == ' ' || *v == '\t'))
                v++;
        n -= (size_t) (v - buf);
        while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
                n--;
        if (header_is(buf, nn, "content-type"))
                r = keep_header(x, &rs->content_type, "Content-Type", v, n, false);
        else if (header_is(buf, nn, "location"))
                r = keep_header(x, &rs->location, "Location", v, n, false);
        else if (header_is(buf, nn, "link"))
                r = keep_header(x, &rs->link, "Link", v, n, true);
        else if (header_is(buf, nn, "www-authenticate"))
                r = keep_header(x, &rs->www_auth, "WWW-Authenticate", v, n, true);
        else if (header_is(buf, nn, "docker-content-digest"))
                r = keep_header(x, &rs->docker_digest, "Docker-Content-Digest", v, n, false);
        return r < 0 ? 0 : len;
}

/* Writes all of buf to fd. A full nonblocking fd is waited for; EPIPE (the reader is gone) is
 * reported as such so the caller can prefer the reader's own error. */
static int write_sink(struct xfer *x, const char *buf, size_t n)
{
        while (n > 0) {
                ssize_t w = write(x->rq->out_fd, buf, n);

                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0 && errno == EAGAIN) {
                        struct pollfd p = { .fd = x->rq->out_fd, .events = POLLOUT };

                        (void) poll(&p, 1, -1);
                        continue;
                }
                if (w < 0 && errno == EPIPE)
                        return den_error_set(&x->err, EPIPE, "the blob's reader stopped");
                if (w <= 0)
                        return den_error_set(&x->err, w < 0 ? errno : EIO, "write blob");
                buf += w;
                n -= (size_t) w;
        }
        return 0;
}

static size_t on_body(char *buf, size_t size, size_t nmemb, void *ud)
{
        struct xfer *x = ud;
        struct reg_resp *rs = x->rs;
        size_t len = size * nmemb;
        long status = 0;

        (void) curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &status);
        if (status / 100 != 2 || x->rq->sink == REG_SINK_DISCARD) {
                /* errors, redirects and unwanted bodies: keep a bounded copy for the message */
                if (rs->body.len + len > REG_MAX_ERROR_BODY) {
                        rs->is_body_dropped = true;
                        den_buf_free(&rs->body);
                        x->is_error_body_cut = true;
                        return 0;
                }
                den_buf_append(&rs->body, buf, len);
                return len;
        }
        if (x->rq->sink == REG_SINK_MEM) {
                if (rs->body.len + len > x->rq->max) {
                        den_error_set(&x->err, 0, "response body is larger than %zu bytes",
                                      x->rq->max);
                        return 0;
                }
                den_buf_append(&rs->body, buf, len);
                return len;
        }
        if (write_sink(x, buf, len) < 0)
                return 0;
        x->received += len;
        if (x->rq->progress) {
                curl_off_t total = -1;

                (void) curl_easy_getinfo(x->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &total);
                x->rq->progress(x->rq->progress_ud, x->received, total > 0 ? (uint64_t) total : 0);
        }
        return len;
}

static size_t on_read(char *buf, size_t size, size_t nmemb, void *ud)
{
        struct xfer *x = ud;
        const struct reg_req *rq = x->rq;
        size_t len = size * nmemb;
        uint64_t left;
        ssize_t r;

        if (rq->body) {
                left = rq->body_len - x->sent;
                if (len > left)
                        len = (size_t) left;
                memcpy(buf, rq->body + x->sent, len);
                x->sent += len;
                return len;
        }
        left = rq->body_size - x->sent;
        if (left == 0)
                return 0;
        if (len > left)
                len = (size_t) left;
        do
                r = read(rq->body_fd, buf, len);
        while (r < 0 && errno == EINTR);
        if (r < 0) {
                den_error_set(&x->err, errno, "read blob");
                return CURL_READFUNC_ABORT;
        }
        if (r == 0) {
                den_error_set(&x->err, 0, "blob ended after %" PRIu64 " of %" PRIu64 " bytes",
                              x->sent, rq->body_size);
                return CURL_READFUNC_ABORT;
        }
        x->sent += (uint64_t) r;
        return (size_t) r;
}

/* libcurl rewinds the body when it must send it again (a reused connection that died). */
static int on_seek(void *ud, curl_off_t offset, int origin)
{
        struct xfer *x = ud;
        const struct reg_req *rq = x->rq;

        if (origin != SEEK_SET || offset < 0)
                return CURL_SEEKFUNC_CANTSEEK;
        if (rq->body) {
                if ((uint64_t) offset > rq->body_len)
                        return CURL_SEEKFUNC_FAIL;
        } else {
                if (rq->body_start < 0 || (uint64_t) offset > rq->body_size ||
                    lseek(rq->body_fd, rq->body_start + offset, SEEK_SET) < 0)
                        return CURL_SEEKFUNC_CANTSEEK;
        }
        x->sent = (uint64_t) offset;
        return CURL_SEEKFUNC_OK;
}

static void setup_common(struct img_client *c, const struct reg_req *rq, struct xfer *x)
{
        CURL *h = c->curl;

        curl_easy_reset(h); /* keeps live connections, the DNS cache and TLS sessions */
        c->errbuf[0] = '\0';
        (void) curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
        (void) curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        (void) curl_easy_setopt(h, CURLOPT_USERAGENT, "den/" DEN_VERSION);
        (void) curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        (void) curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
        (void) curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
        (void) curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
        (void) curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME,
                                rq->low_speed_time ? rq->low_speed_time : LOW_SPEED_TIME_S);
        (void) curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
        (void) curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 128L << 10);
        (void) curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
        (void) curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
        (void) curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
        (void) curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
        (void) curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
        (void) curl_easy_setopt(h, CURLOPT_READDATA, x);
        (void) curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
        (void) curl_easy_setopt(h, CURLOPT_SEEKDATA, x);
        reg_tls_setup(c);
}

static void setup_method(CURL *h, const struct reg_req *rq, const char *method)
{
        uint64_t size = rq->body ? rq->body_len : rq->body_size;

        if (streq(method, "HEAD")) {
                (void) curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
        } else if (streq(method, "PUT")) {
                (void) curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
                (void) curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
                                        (curl_off_t) (rq->has_body ? size : 0));
        } else if (streq(method, "POST")) {
                (void) curl_easy_setopt(h, CURLOPT_POST, 1L);
                if (rq->has_body) {
                        (void) curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) size);
                } else {
                        /* an empty body, never libcurl's default of reading stdin */
                        (void) curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
                        (void) curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) 0);
                }
        } else if (!streq(method, "GET")) {
                (void) curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
        }
}

static struct curl_slist *build_headers(const struct reg_req *rq, bool send_auth)
{
        struct curl_slist *l = NULL;
        _cleanup_free_ char *accept = NULL;
        _cleanup_free_ char *ctype = NULL;

        if (send_auth && rq->auth)
                l = curl_slist_append(l, rq->auth);
        if (rq->accept) {
                accept = xasprintf("Accept: %s", rq->accept);
                l = curl_slist_append(l, accept);
        }
        if (rq->content_type) {
                ctype = xasprintf("Content-Type: %s", rq->content_type);
                l = curl_slist_append(l, ctype);
        }
        return l;
}

static int transport_error(struct img_client *c, const char *method, const char *url, CURLcode cc,
                           den_error **err)
{
        _cleanup_free_ char *shown = url_for_message(url);
        _cleanup_free_ char *verb = method_word(method);
        _cleanup_free_ char *origin = reg_url_origin(url);
        const char *why = c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc);
        const char *hostport = origin ? strstr(origin, "://") + 3 : "?";
        long os_errno = 0;

        (void) curl_easy_getinfo(c->curl, CURLINFO_OS_ERRNO, &os_errno);
        if (cc == CURLE_COULDNT_CONNECT)
                /* errnum carries the reason, so the message reads "...: connect: Connection
                 * refused" once printed */
                return den_error_set(err, os_errno > 0 ? (int) os_errno : ECONNREFUSED,
                                     "%s \"%s\": dial tcp %s: connect", verb, shown, hostport);
        if (cc == CURLE_COULDNT_RESOLVE_HOST)
                return den_error_set(err, 0, "%s \"%s\": dial tcp: lookup %s: %s", verb, shown,
                                     hostport, why);
        if (cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE ||
            cc == CURLE_SSL_ISSUER_ERROR || cc == CURLE_SSL_PINNEDPUBKEYNOTMATCH)
                return den_error_set(err, 0,
                                     "%s \"%s\": tls: failed to verify certificate: %s (trust "
                                     "the registry's CA in certs.d, or use --tls-verify=false)",
                                     verb, shown, why);
        if ((cc == CURLE_RECV_ERROR || cc == CURLE_SSL_CONNECT_ERROR) && strstr(why, "alert") &&
            strstr(why, "certificate"))
                return den_error_set(err, 0,
                                     "%s \"%s\": tls: the registry refused the client "
                                     "certificate (give one in certs.d as *.cert and *.key): %s",
                                     verb, shown, why);
        if (cc == CURLE_SSL_CERTPROBLEM || cc == CURLE_SSL_CIPHER)
                return den_error_set(err, 0, "%s \"%s\": tls: client certificate: %s", verb, shown,
                                     why);
        if (cc == CURLE_SSL_CONNECT_ERROR && strstr(why, "wrong version number"))
                return den_error_set(err, 0,
                                     "%s \"%s\": http: server gave HTTP response to HTTPS "
                                     "client (for an insecure registry use --tls-verify=false)",
                                     verb, shown);
        if (cc == CURLE_SSL_CONNECT_ERROR)
                return den_error_set(err, 0, "%s \"%s\": tls: handshake: %s", verb, shown, why);
        if (cc == CURLE_OPERATION_TIMEDOUT)
                return den_error_set(err, 0, "%s \"%s\": timeout: %s", verb, shown, why);
        return den_error_set(err, 0, "%s \"%s\": %s", verb, shown, why);
}

/* One hop: sends the request to url and records the answer. */
static int perform(struct img_client *c, const struct reg_req *rq, const char *method,
                   const char *url, bool send_auth, struct reg_resp *rs, den_error **err)
{
        struct xfer x = { .rq = rq, .rs = rs, .curl = c->curl };
        struct curl_slist *hdrs = build_headers(rq, send_auth);
        CURLcode cc;
        long status = 0;

        setup_common(c, rq, &x);
        (void) curl_easy_setopt(c->curl, CURLOPT_URL, url);
        if (hdrs)
                (void) curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, hdrs);
        setup_method(c->curl, rq, method);
        if (rq->has_body && !rq->body && rq->body_start >= 0 &&
            lseek(rq->body_fd, rq->body_start, SEEK_SET) < 0) {
                curl_slist_free_all(hdrs);
                return den_error_set(err, errno, "rewind blob");
        }
        cc = curl_easy_perform(c->curl);
        c->last_code = cc;
        curl_slist_free_all(hdrs);
        (void) curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
        den_debug("%s %s: %ld (%s)", method, url, status, curl_easy_strerror(cc));
        if (x.err && !(x.is_error_body_cut && cc == CURLE_WRITE_ERROR)) {
                *err = x.err; /* the callback's own cause explains the failure best */
                return -1;
        }
        den_error_free(x.err);
        if (cc != CURLE_OK && !(x.is_error_body_cut && cc == CURLE_WRITE_ERROR))
                return transport_error(c, method, url, cc, err);
        rs->status = status;
        free(rs->url);
        rs->url = xstrdup(url);
        if (!rs->reason)
                rs->reason = xstrdup("");
        return 0;
}

static bool is_redirect(long status)
{
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

int reg_http_do(struct img_client *c, const struct reg_req *rq, struct reg_resp *rs,
                den_error **err)
{
        _cleanup_free_ char *url = xstrdup(rq->url);
        const char *method = rq->method;
        bool can_follow = rq->is_follow && (streq(method, "GET") || streq(method, "HEAD"));

        for (int hop = 0;; hop++) {
                _cleanup_free_ char *origin = reg_url_origin(url);
                _cleanup_free_ char *next = NULL;
                bool send_auth =
                        rq->auth && rq->auth_origin && origin && streq(origin, rq->auth_origin);

                reg_resp_clear(rs);
                if (perform(c, rq, method, url, send_auth, rs, err) < 0)
                        return -1;
                if (!can_follow || !is_redirect(rs->status) || !rs->location)
                        return 0;
                if (hop >= REG_MAX_REDIRECTS)
                        return den_error_set(err, 0, "more than %d redirects from \"%s\"",
                                             REG_MAX_REDIRECTS, url);
                next = reg_url_resolve(url, rs->location);
                if (!next) {
                        _cleanup_free_ char *shown = sanitize(rs->location, strlen(rs->location));

                        return den_error_set(err, 0, "redirect to an invalid URL \"%s\"", shown);
                }
                /* never from https down to plain http: the blob's digest protects its bytes,
                 * but not the privacy of what is pulled */
                if (den_str_has_prefix(url, "https:") && den_str_has_prefix(next, "http:") &&
                    c->sh->is_verify) {
                        _cleanup_free_ char *shown = url_for_message(next);

                        return den_error_set(err, 0, "refusing a redirect from https to \"%s\"",
                                             shown);
                }
                free(url);
                url = steal_ptr(next);
        }
}

/* Registry error codes are UPPER_SNAKE; shown lowercase with spaces, as podman does. */
static char *code_words(const char *code)
{
        char *w = sanitize(code, strlen(code) < 64 ? strlen(code) : 64);

        for (char *p = w; *p; p++) {
                if (*p == '_')
                        *p = ' ';
                else if (*p >= 'A' && *p <= 'Z')
                        *p = (char) (*p - 'A' + 'a');
        }
        return w;
}

/* One entry of an "errors" array: "code words: message", or just the message when it already
 * says what the code says (MANIFEST_UNKNOWN, "manifest unknown"). */
static void append_error(struct den_buf *b, json_t *e)
{
        const char *code = json_string_value(json_object_get(e, "code"));
        const char *msg = json_string_value(json_object_get(e, "message"));
        _cleanup_free_ char *words = code && *code ? code_words(code) : NULL;
        _cleanup_free_ char *text = NULL;

        if (msg && *msg) {
                size_t n = strlen(msg);

                text = sanitize(msg, n > 512 ? 512 : n);
                if (n > 512)
                        text[509] = text[510] = text[511] = '.';
        }
        if (!words && !text)
                return;
        if (b->len)
                den_buf_puts(b, "; ");
        if (words && (!text || strncasecmp(text, words, strlen(words)) != 0))
                den_buf_printf(b, "%s%s", words, text ? ": " : "");
        if (text)
                den_buf_puts(b, text);
}

char *img_registry_error_text(const char *body, size_t len)
{
        json_auto_t *root = NULL;
        struct den_buf b = { 0 };
        json_t *errors, *e;
        size_t i;

        if (!body || len == 0 || len > REG_MAX_ERROR_BODY)
                return NULL;
        root = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
        if (!json_is_object(root))
                return NULL;
        errors = json_object_get(root, "errors");
        json_array_foreach (errors, i, e) {
                if (i >= 4)
                        break;
                if (json_is_object(e))
                        append_error(&b, e);
        }
        if (!b.len) {
                /* token servers: {"details": ...} (Docker's), {"error_description": ...} or
                 * {"error": ...} (OAuth2) */
                static const char *const keys[] = { "details", "error_description", "error",
                                                    "message" };

                for (i = 0; i < ARRAY_SIZE(keys) && !b.len; i++) {
                        const char *s = json_string_value(json_object_get(root, keys[i]));

                        if (s && *s) {
                                _cleanup_free_ char *t =
                                        sanitize(s, strlen(s) < 512 ? strlen(s) : 512);

                                den_buf_puts(&b, t);
                        }
                }
        }
        if (!b.len)
                return NULL;
        return den_buf_steal(&b);
}

int reg_status_error(const struct reg_resp *rs, den_error **err)
{
        _cleanup_free_ char *text = img_registry_error_text(rs->body.data, rs->body.len);
        int errnum = rs->status == 404 ? ENOENT : 0;

        if (text && rs->status == 401 && !den_str_has_prefix(text, "unauthorized"))
                return den_error_set(err, 0, "unauthorized: %s", text);
        if (text)
                return den_error_set(err, errnum, "%s", text);
        switch (rs->status) {
        case 401:
                return den_error_set(err, 0, "unauthorized");
        case 403:
                return den_error_set(err, 0, "denied: access to the resource is denied");
        case 404:
                return den_error_set(err, errnum, "not found");
        case 429:
                return den_error_set(err, 0, "too many requests to the registry");
        default:
                return den_error_set(err, 0, "received unexpected HTTP status: %ld%s%s", rs->status,
                                     rs->reason && *rs->reason ? " " : "",
                                     rs->reason ? rs->reason : "");
        }
}
