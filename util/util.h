/* den utility library: the error type, cleanup helpers, logging, allocation, files, digests.
 * This is util/'s one public header. */
#pragma once

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>
#include <dirent.h>
#include <limits.h>

/* ---------------------------------------------------------------- cleanup */

#define _cleanup_(fn) __attribute__((cleanup(fn)))

static inline void freep(void *p)
{
        free(*(void **) p);
}

static inline void closep(int *fd)
{
        if (*fd >= 0) {
                int saved = errno;

                (void) close(*fd); /* no EINTR retry: the fd is released either way */
                errno = saved;
        }
        /* closed once: an explicit closep before a _cleanup_close_ must not close the number
         * again, which another thread may have been given meanwhile */
        *fd = -EBADF;
}

static inline void fclosep(FILE **f)
{
        if (*f) {
                int saved = errno;

                (void) fclose(*f);
                errno = saved;
        }
}

static inline void closedirp(DIR **d)
{
        if (*d) {
                int saved = errno;

                (void) closedir(*d);
                errno = saved;
        }
}

void den_strv_free(char **v);
static inline void strv_freep(char ***v)
{
        den_strv_free(*v);
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_closedir_ _cleanup_(closedirp)
#define _cleanup_strv_ _cleanup_(strv_freep)

#define steal_fd(fd)                \
        ({                          \
                int _stolen = (fd); \
                (fd) = -EBADF;      \
                _stolen;            \
        })
#define steal_ptr(p)                         \
        ({                                   \
                __typeof__(p) _stolen = (p); \
                (p) = NULL;                  \
                _stolen;                     \
        })

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define streq(a, b) (strcmp((a), (b)) == 0)

/* ---------------------------------------------------------------- errors */

typedef struct den_error {
        int errnum;      /* errno-style cause; 0 when the cause is not a syscall */
        int exit_status; /* 0 = default (125); 126 / 127 for "cannot invoke" / "not found" */
        char *msg;       /* outermost context first: "pull alpine: fetch manifest: HTTP 401" */
        bool is_plain;   /* msg says it all: errnum classifies, no strerror is appended */
} den_error;

/* Fills *err (if err is not NULL and *err is NULL) and returns -1. */
int den_error_set(den_error **err, int errnum, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Like den_error_set, for messages that already say what errnum would (podman's
 * "x: image not known"): errnum only classifies the error, den_error_text adds nothing. */
int den_error_set_plain(den_error **err, int errnum, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Prepends "ctx: " to the message of *err; returns -1. */
int den_error_wrap(den_error **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void den_error_free(den_error *err);
static inline void den_error_freep(den_error **err)
{
        den_error_free(*err);
}
/* "msg: strerror(errnum)" in a new string. */
char *den_error_text(const den_error *err);
/* Logs the error at warn level followed by ctx and frees it. */
void den_warn_error(den_error **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define _cleanup_error_ _cleanup_(den_error_freep)

/* ---------------------------------------------------------------- logging */

enum den_log_level {
        DEN_LOG_ERROR = 0,
        DEN_LOG_WARN = 1,
        DEN_LOG_INFO = 2,
        DEN_LOG_DEBUG = 3,
};

extern int den_log_level_current;
int den_log_level_parse(const char *s); /* -1 when unknown */
void den_log_full(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define den_log(level, ...)                                 \
        do {                                                \
                if ((level) <= den_log_level_current)       \
                        den_log_full((level), __VA_ARGS__); \
        } while (0)
#define den_debug(...) den_log(DEN_LOG_DEBUG, __VA_ARGS__)
#define den_warn(...) den_log(DEN_LOG_WARN, __VA_ARGS__)

/* ---------------------------------------------------------------- allocation (OOM is fatal) */

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable byte buffer. */
struct den_buf {
        char *data;
        size_t len;
        size_t cap;
};
void den_buf_append(struct den_buf *b, const void *p, size_t n);
void den_buf_puts(struct den_buf *b, const char *s);
void den_buf_printf(struct den_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *den_buf_steal(struct den_buf *b); /* NUL-terminated, buffer reset */
void den_buf_free(struct den_buf *b);

/* NULL-terminated string vectors. */
size_t den_strv_len(char *const *v);
void den_strv_push(char ***v, const char *s); /* copies s */
bool den_strv_contains(char *const *v, const char *s);

/* ---------------------------------------------------------------- parsing */

/* Whole-string decimal parse with range check; -EINVAL / -ERANGE on failure. */
int den_parse_u64(const char *s, uint64_t *ret);
int den_parse_int(const char *s, int min, int max, int *ret);
bool den_str_has_prefix(const char *s, const char *prefix);
/* Parses "10MB", "1.5g", "512k" (podman's units, 1024-based) into bytes. */
int den_parse_size(const char *s, uint64_t *ret);
/* Human size as podman prints it: "1.23 MB" (1000-based, 3 significant digits). */
char *den_size_human(uint64_t bytes);
/* "2 minutes ago", "About an hour ago" as podman prints. */
char *den_time_ago(int64_t unix_seconds, int64_t now);
/* RFC 3339 with nanoseconds, UTC: 2024-01-02T03:04:05.123456789Z */
char *den_time_rfc3339(int64_t sec, long nsec);
/* Parses RFC 3339 (with optional fraction and zone); -EINVAL on failure. */
int den_time_parse_rfc3339(const char *s, int64_t *ret_sec, long *ret_nsec);

/* ---------------------------------------------------------------- files */

/* Reads a whole file (at most max bytes: -EFBIG beyond) into a NUL-terminated buffer. */
int den_read_file_at(int dfd, const char *path, size_t max, char **ret, size_t *ret_len);
int den_read_fd(int fd, size_t max, char **ret, size_t *ret_len);
/* write-temp + fsync + renameat + fsync(dir). Returns -errno. */
int den_write_file_atomic_at(int dfd, const char *name, const void *data, size_t len, mode_t mode);
/* The same without the fsyncs: readers see the old file or the new one, never a mix, but a
 * crash may lose it. For files rewritten at every use (a container's config.json and name
 * files, written afresh at each start). Returns -errno. */
int den_write_file_replace_at(int dfd, const char *name, const void *data, size_t len, mode_t mode);
int den_write_all(int fd, const void *data, size_t len);
/* mkdir -p relative to dfd; -errno. */
int den_mkdir_p_at(int dfd, const char *path, mode_t mode);
/* Removes a tree below dfd/name without following symlinks; -errno. */
int den_rm_rf_at(int dfd, const char *name);
/* A directory stream over the directory dfd of its own (the directory reopened, so dfd and its
 * offset stay the caller's); 0, or -errno. */
int den_opendir_at(int dfd, DIR **ret);
/* Opens an untrusted path inside root (openat2 RESOLVE_IN_ROOT, or a clamped manual walk). */
int den_open_in_root(int root_dfd, const char *path, int flags, mode_t mode);
/* COMPAT(kernel < 5.6): the manual walk den_open_in_root falls back to (exposed for tests). */
int den_open_in_root_walk(int root_dfd, const char *path, int flags, mode_t mode);
/* Random hex string of n bytes (2n chars). */
void den_random_hex(char *out, size_t nbytes);
/* flock helpers: open dfd/name (creating it) and take an exclusive or shared lock. */
int den_lock_at(int dfd, const char *name, bool exclusive);
/* Joins a and b with '/', in a new string. */
char *den_path_join(const char *a, const char *b);
/* $XDG_* style lookup helpers. */
char *den_home_dir(void);

/* ---------------------------------------------------------------- digests */

#define DEN_SHA256_HEX_LEN 64
/* A streaming sha256. */
struct den_sha256;
struct den_sha256 *den_sha256_new(void);
void den_sha256_update(struct den_sha256 *h, const void *p, size_t n);
/* Writes "sha256:<hex>" (72 bytes incl. NUL) and frees h. */
void den_sha256_final(struct den_sha256 *h, char out[72]);
void den_sha256_free(struct den_sha256 *h);
void den_sha256_buf(const void *p, size_t n, char out[72]);
/* True when s is "sha256:" followed by 64 lowercase hex chars (or sha512 with 128). */
bool den_digest_is_valid(const char *s);
bool den_hex_is_valid(const char *s, size_t len);
/* Pointer to the hex part of a digest ("sha256:abc" -> "abc"). */
const char *den_digest_hex(const char *digest);

/* ---- TOML (toml.c) */

/* A small TOML reader for the ecosystem's config files (registries.conf and its drop-ins).
 * It builds a tree of typed values; tables keep their keys in document order. Everything is
 * bounded: the document size, nesting depth, string length and number of values. Errors
 * read "<name>:<line>:<col>: <what>". Date-times are validated and kept as their text. */
#define DEN_TOML_MAX_SIZE (1u << 20)
#define DEN_TOML_MAX_DEPTH 32
#define DEN_TOML_MAX_STRING (64u << 10)
#define DEN_TOML_MAX_NODES 16384

enum den_toml_type {
        DEN_TOML_TABLE,
        DEN_TOML_ARRAY,
        DEN_TOML_STRING,
        DEN_TOML_INTEGER,
        DEN_TOML_FLOAT,
        DEN_TOML_BOOL,
        DEN_TOML_DATETIME,
};

struct den_toml {
        enum den_toml_type type;
        unsigned line, col; /* where the value (or the table's first header) starts, 1-based */
        unsigned depth;     /* 0 for the root table */
        unsigned flags;     /* the parser's bookkeeping */
        char *str;          /* STRING (UTF-8, no NUL inside) and DATETIME (as written) */
        int64_t integer;
        double number;
        bool boolean;
        size_t n;                /* TABLE: number of keys; ARRAY: number of items */
        char **keys;             /* TABLE: keys, parallel to items */
        struct den_toml **items; /* TABLE: values; ARRAY: items */
};

/* Parses a whole document into a root table; name (a file name) prefixes error messages. */
int den_toml_parse(const char *text, size_t len, const char *name, struct den_toml **ret,
                   den_error **err);
void den_toml_free(struct den_toml *t);
static inline void den_toml_freep(struct den_toml **t)
{
        den_toml_free(*t);
}
/* The value under key in table t, or NULL (also when t is NULL or not a table). */
const struct den_toml *den_toml_get(const struct den_toml *t, const char *key);
/* "table", "array", "string", "integer", "float", "boolean", "datetime". */
const char *den_toml_type_name(enum den_toml_type type);
