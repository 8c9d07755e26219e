/* Private to the registry client (registry.c, registry-http.c, registry-auth.c): the state one
 * client shares with its clones, and the one-request HTTP layer over libcurl. */
#pragma once

#include <curl/curl.h>
#include "image/lazy.h"
#include <jansson.h>
#include <pthread.h>
#include "image/image.h"

/* Bounds on what a registry, a storage host it redirects to, or a token server controls. */
#define REG_MAX_HEADER_VALUE (16u << 10)   /* one kept header: Location, Link, ... */
#define REG_MAX_HEADERS_TOTAL (256u << 10) /* all headers of one response */
#define REG_MAX_ERROR_BODY (64u << 10)     /* a non-2xx body, kept for its message */
#define REG_MAX_TOKEN_BODY (1u << 20)      /* a token server's JSON answer */
#define REG_MAX_TOKEN (64u << 10)          /* one bearer token */
#define REG_MAX_URL 8192
#define REG_MAX_REDIRECTS 5
#define REG_MAX_TOKENS 64 /* cached tokens (one per scope) */
#define REG_MAX_CREDS 16  /* cached auth-file lookups (one per key) */

enum reg_auth_kind {
        REG_AUTH_NONE,
        REG_AUTH_BASIC,
        REG_AUTH_BEARER,
};

struct reg_token {
        char *scope; /* "repository:a/b:pull" ("" for none); the cache key */
        char *token;
        uint64_t expires_ms; /* CLOCK_MONOTONIC */
};

struct reg_cred {
        char *key; /* what img_auth_lookup was asked: "host" or "host/repo" */
        char *user;
        char *pass; /* NULL when the auth files have nothing for key */
};

/* Shared by a client and its clones (refcounted). Fields above the lock comment are set once in
 * img_client_new and read-only afterwards; the rest is learned while talking to the registry and
 * is read and written only under lock, because clones run on other threads. */
struct reg_shared {
        char *domain; /* as in the reference: "docker.io", "localhost:5000" */
        char *host;   /* the API host: "registry-1.docker.io", "localhost:5000" */
        char *authfile;
        char *creds_user; /* --creds; NULL: the auth files */
        char *creds_pass;
        bool is_verify; /* verify TLS peers */
        bool can_http;  /* insecure: fall back to plain http */
        char *ca_data;  /* system CAs + certs.d *.crt, or NULL: libcurl's defaults */
        size_t ca_len;
        char *client_cert; /* certs.d *.cert and its *.key, or NULL */
        char *client_key;

        /* everything below is guarded by lock */
        pthread_mutex_t lock;
        unsigned refs;
        bool is_detected; /* scheme and auth learned from GET /v2/ */
        char *origin;     /* "https://host" once detected */
        enum reg_auth_kind auth_kind;
        char *realm; /* bearer */
        char *service;
        struct reg_token tokens[REG_MAX_TOKENS];
        size_t n_tokens;
        struct reg_cred creds[REG_MAX_CREDS];
        size_t n_creds;
};

struct img_client {
        struct reg_shared *sh;
        CURL *curl; /* one handle per client: its connections stay alive between requests */
        CURLcode last_code;
        /* an upload session a refused mount opened (202), kept for the next upload to repo */
        char *upload_url;
        char *upload_repo;
        char errbuf[CURL_ERROR_SIZE];
};

enum reg_sink {
        REG_SINK_DISCARD, /* a small 2xx body nobody needs (bounded like an error body) */
        REG_SINK_MEM,     /* into reg_resp.body, at most max bytes */
        REG_SINK_FD,      /* streamed into out_fd */
};

struct reg_req {
        const char *method; /* "GET", "HEAD", "POST", "PUT", "DELETE" */
        const char *url;    /* absolute */
        /* a whole "Authorization: ..." line, sent only to auth_origin (never to another host
         * a redirect or a Location leads to) */
        const char *auth;
        const char *auth_origin;
        const char *accept;
        const char *content_type;
        /* request body: body/body_len in memory, or body_size bytes read from body_fd starting
         * at body_start (-1: fd cannot seek, so the body cannot be sent twice) */
        bool has_body;
        const char *body;
        size_t body_len;
        int body_fd;
        uint64_t body_size;
        off_t body_start;
        /* response body */
        enum reg_sink sink;
        size_t max;
        int out_fd;
        void (*progress)(void *ud, uint64_t done, uint64_t total);
        void *progress_ud;
        bool is_follow;      /* follow redirects (GET and HEAD only) */
        long low_speed_time; /* seconds below 1 byte/s before giving up; 0: default */
};

struct reg_resp {
        long status;
        char *reason; /* from the status line, sanitized; may be "" (HTTP/2) */
        char *content_type;
        char *location;
        char *link;
        char *www_auth; /* several WWW-Authenticate headers joined with ", " */
        char *docker_digest;
        char *url;            /* the URL that answered, after redirects */
        struct den_buf body;  /* REG_SINK_MEM's body, or a non-2xx body */
        bool is_body_dropped; /* a non-2xx body too large to keep */
};

void reg_resp_clear(struct reg_resp *rs);
/* Sends one request (following redirects when asked) and fills rs with the final answer. Fails
 * only when no HTTP answer came, or when the body could not be delivered: a non-2xx status is
 * not an error here. The error names the method, the URL without its query, and the cause. */
int reg_http_do(struct img_client *c, const struct reg_req *rq, struct reg_resp *rs,
                den_error **err);
/* A one-line error for a non-2xx answer: the registry's own message when its body carries one,
 * else the status. 404 gives errnum ENOENT. */
int reg_status_error(const struct reg_resp *rs, den_error **err);
/* Resolves ref (absolute or relative) against base; NULL unless the result is http(s). */
char *reg_url_resolve(const char *base, const char *ref);
/* "scheme://host:port" with the port made explicit, or NULL. */
char *reg_url_origin(const char *url);

/* registry-tls.c */

/* Finds the registry's certs.d directory (or opts->certs_dir) and loads its *.crt files, on top
 * of the system's CAs, and its client certificate (*.cert with its *.key). */
int reg_tls_load(struct reg_shared *sh, const struct img_client_opts *o, den_error **err);
/* Applies the client's TLS trust and identity to its handle (after curl_easy_reset). */
void reg_tls_setup(struct img_client *c);

/* registry-auth.c */

/* The Authorization line for a request needing scope (NULL for GET /v2/) of repo (NULL for
 * none), or NULL in *ret when none applies. is_refresh fetches a new token even when one is
 * cached. *ret_sent_creds tells whether the user's credentials stand behind it. */
int reg_auth_header(struct img_client *c, const char *repo, const char *scope, bool is_refresh,
                    char **ret, bool *ret_sent_creds, den_error **err);
/* Learns the auth scheme from a 401's WWW-Authenticate. Returns 1 when sending the request again
 * can help (then *ret_scope may name an extra scope the registry asked for), 0 when not. */
int reg_auth_learn(struct img_client *c, const char *www_auth, const char *repo, bool sent_auth,
                   char **ret_scope, den_error **err);
/* Sets the auth scheme from GET /v2/'s answer (a 401's challenge, or none). */
void reg_auth_from_ping(struct img_client *c, const struct reg_resp *rs);
/* The error for a request the registry still refuses (401) after authenticating. */
int reg_auth_refused(struct img_client *c, const struct reg_resp *rs, bool sent_creds,
                     den_error **err);
void reg_auth_clear(struct reg_shared *sh);
