/* tar-split: remember a layer's tar stream without its file contents, so the exact stream
 * (and so the diff_id in the image config) can be rebuilt from the extracted files for push
 * and save.
 *
 * The recorder follows the tar framing itself, block by block: headers, PAX and GNU
 * long-name metadata, padding and the end-of-archive trailer are kept verbatim as raw
 * records; the contents of regular files become (path, size) records. Anything it cannot
 * follow marks the record unusable rather than guessing.
 *
 * Record stream (gzip-compressed):
 *   'R' u32le len, bytes      raw bytes of the tar stream
 *   'F' u32le len, path, u64le size
 *                             the contents of the regular file at path (relative to the
 *                             layer root), size bytes
 */
#include <archive.h>
#include <archive_entry.h>
#include "image/lazy.h"
#include "image.h"

#define TS_BLOCK 512
#define TS_MAX_META (1u << 20)
#define TS_MAX_RAW_RECORD (1u << 20)

enum ts_state {
        TS_HEADER,  /* collecting a 512-byte header block */
        TS_META,    /* PAX / GNU metadata payload: kept raw and parsed */
        TS_DATA,    /* regular file contents: skipped */
        TS_RAWDATA, /* contents of other entries: kept raw */
        TS_PAD,     /* padding after contents: kept raw */
        TS_TRAILER, /* after the end-of-archive blocks: kept raw */
};

struct img_tarsplit_rec {
        struct archive *w;
        struct den_buf out;
        struct den_buf raw;
        enum ts_state state;
        unsigned char hdr[TS_BLOCK];
        size_t hdr_len;
        uint64_t remaining;
        uint64_t pad;
        char meta_type;
        struct den_buf meta;
        char *pending_path;
        int64_t pending_size; /* from PAX; -1 when none */
        int n_zero_blocks;
        bool is_broken;
        den_error *err;
};

static la_ssize_t out_write(struct archive *a, void *ud, const void *buf, size_t n)
{
        struct img_tarsplit_rec *r = ud;

        den_buf_append(&r->out, buf, n);
        return (la_ssize_t) n;
}

struct img_tarsplit_rec *img_tarsplit_rec_new(void)
{
        struct img_tarsplit_rec *r = xcalloc(1, sizeof(*r));

        r->pending_size = -1;
        r->w = archive_write_new();
        if (!r->w || archive_write_set_format_raw(r->w) != ARCHIVE_OK ||
            archive_write_add_filter_gzip(r->w) != ARCHIVE_OK ||
            archive_write_set_bytes_in_last_block(r->w, 1) != ARCHIVE_OK ||
            archive_write_open(r->w, r, NULL, out_write, NULL) != ARCHIVE_OK) {
                r->is_broken = true;
        } else {
                struct archive_entry *e = archive_entry_new();

                archive_entry_set_filetype(e, AE_IFREG);
                archive_entry_set_pathname(e, "tar-split");
                if (archive_write_header(r->w, e) != ARCHIVE_OK)
                        r->is_broken = true;
                archive_entry_free(e);
        }
        return r;
}

void img_tarsplit_rec_free(struct img_tarsplit_rec *r)
{
        if (!r)
                return;
        if (r->w)
                archive_write_free(r->w);
        den_buf_free(&r->out);
        den_buf_free(&r->raw);
        den_buf_free(&r->meta);
        free(r->pending_path);
        den_error_free(r->err);
        free(r);
}

static void emit(struct img_tarsplit_rec *r, const void *p, size_t n)
{
        if (r->is_broken || n == 0)
                return;
        if (archive_write_data(r->w, p, n) != (la_ssize_t) n)
                r->is_broken = true;
}

static void put_u32(unsigned char *p, uint32_t v)
{
        for (int i = 0; i < 4; i++)
                p[i] = (unsigned char) (v >> (8 * i));
}

static void put_u64(unsigned char *p, uint64_t v)
{
        for (int i = 0; i < 8; i++)
                p[i] = (unsigned char) (v >> (8 * i));
}

static void flush_raw(struct img_tarsplit_rec *r)
{
        unsigned char h[5] = { 'R' };

        if (r->raw.len == 0)
                return;
        put_u32(h + 1, (uint32_t) r->raw.len);
        emit(r, h, sizeof(h));
        emit(r, r->raw.data, r->raw.len);
        r->raw.len = 0;
}

static void keep_raw(struct img_tarsplit_rec *r, const void *p, size_t n)
{
        den_buf_append(&r->raw, p, n);
        if (r->raw.len >= TS_MAX_RAW_RECORD)
                flush_raw(r);
}

static void emit_file(struct img_tarsplit_rec *r, const char *path, uint64_t size)
{
        unsigned char h[5] = { 'F' };
        unsigned char sz[8];

        flush_raw(r);
        put_u32(h + 1, (uint32_t) strlen(path));
        put_u64(sz, size);
        emit(r, h, sizeof(h));
        emit(r, path, strlen(path));
        emit(r, sz, sizeof(sz));
}

/* Octal (NUL/space terminated) or base-256 numeric field. */
static bool parse_number(const unsigned char *f, size_t len, uint64_t *ret)
{
        uint64_t v = 0;
        size_t i = 0;

        if (f[0] & 0x80) {
                if (f[0] != 0x80)
                        return false; /* negative or oversized */
                for (i = 1; i < len; i++) {
                        if (v >> 56)
                                return false;
                        v = (v << 8) | f[i];
                }
                *ret = v;
                return true;
        }
        while (i < len && f[i] == ' ')
                i++;
        for (; i < len && f[i] >= '0' && f[i] <= '7'; i++) {
                if (v >> 60)
                        return false;
                v = (v << 3) | (uint64_t) (f[i] - '0');
        }
        *ret = v;
        return true;
}

/* The path a regular file lands at under the layer root, or NULL when the extractor would
 * not have created it (then the record cannot be replayed). */
static char *clean_path(const char *name)
{
        const char *p = name;
        _cleanup_free_ char *copy = NULL;
        char *save = NULL;

        while (p[0] == '.' && p[1] == '/')
                p += 2;
        if (*p == '/')
                return NULL;
        if (!*p)
                return NULL;
        copy = xstrdup(p);
        for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save))
                if (streq(c, ".."))
                        return NULL;
        return xstrdup(p);
}

static void parse_pax(struct img_tarsplit_rec *r)
{
        const char *p = r->meta.data;
        const char *end = p + r->meta.len;

        while (p < end) {
                char *sp = NULL;
                unsigned long len = strtoul(p, &sp, 10);
                const char *rec_end = p + len;
                const char *eq;

                if (!sp || *sp != ' ' || len == 0 || rec_end > end || rec_end[-1] != '\n') {
                        r->is_broken = true;
                        return;
                }
                eq = memchr(sp + 1, '=', (size_t) (rec_end - sp - 1));
                if (eq) {
                        size_t kl = (size_t) (eq - sp - 1);
                        const char *v = eq + 1;
                        size_t vl = (size_t) (rec_end - 1 - v);

                        if (kl == 4 && strncmp(sp + 1, "path", 4) == 0) {
                                free(r->pending_path);
                                r->pending_path = xstrndup(v, vl);
                        } else if (kl == 4 && strncmp(sp + 1, "size", 4) == 0) {
                                _cleanup_free_ char *s = xstrndup(v, vl);
                                uint64_t n;

                                if (den_parse_u64(s, &n) < 0 || n > INT64_MAX)
                                        r->is_broken = true;
                                else
                                        r->pending_size = (int64_t) n;
                        }
                }
                p = rec_end;
        }
}

static void header_done(struct img_tarsplit_rec *r)
{
        const unsigned char *h = r->hdr;
        char type = (char) h[156];
        uint64_t size = 0;
        bool is_zero = true;

        keep_raw(r, h, TS_BLOCK);
        for (size_t i = 0; i < TS_BLOCK; i++)
                if (h[i]) {
                        is_zero = false;
                        break;
                }
        if (is_zero) {
                if (++r->n_zero_blocks >= 2)
                        r->state = TS_TRAILER;
                return;
        }
        r->n_zero_blocks = 0;
        if (!parse_number(h + 124, 12, &size)) {
                r->is_broken = true;
                return;
        }
        if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
                if (size > TS_MAX_META) {
                        r->is_broken = true;
                        return;
                }
                r->meta_type = type;
                r->meta.len = 0;
                r->remaining = size;
                r->pad = (TS_BLOCK - size % TS_BLOCK) % TS_BLOCK;
                r->state = size ? TS_META : TS_PAD;
                return;
        }
        if (r->pending_size >= 0)
                size = (uint64_t) r->pending_size;
        r->remaining = size;
        r->pad = (TS_BLOCK - size % TS_BLOCK) % TS_BLOCK;
        if (type == '0' || type == '\0' || type == '7') {
                _cleanup_free_ char *name = NULL;
                _cleanup_free_ char *clean = NULL;

                if (r->pending_path) {
                        name = steal_ptr(r->pending_path);
                } else if (memcmp(h + 257, "ustar", 5) == 0 && h[345]) {
                        name = xasprintf("%.155s/%.100s", (const char *) h + 345, (const char *) h);
                } else {
                        name = xstrndup((const char *) h, 100);
                }
                clean = clean_path(name);
                if (!clean && size > 0)
                        r->is_broken = true;
                if (clean)
                        emit_file(r, clean, size);
                r->state = size ? TS_DATA : TS_PAD;
        } else {
                r->state = size ? TS_RAWDATA : TS_PAD;
        }
        free(steal_ptr(r->pending_path));
        r->pending_size = -1;
}

static void meta_done(struct img_tarsplit_rec *r)
{
        if (r->meta_type == 'x') {
                parse_pax(r);
        } else if (r->meta_type == 'L') {
                free(r->pending_path);
                r->pending_path = xstrndup(r->meta.data, strnlen(r->meta.data, r->meta.len));
        }
        /* 'g' (global PAX) and 'K' (long link name) change no file path or size here */
        r->state = TS_PAD;
}

void img_tarsplit_rec_feed(struct img_tarsplit_rec *r, const void *buf, size_t n)
{
        const unsigned char *p = buf;

        while (n > 0 && !r->is_broken) {
                size_t take;

                switch (r->state) {
                case TS_HEADER:
                        take = TS_BLOCK - r->hdr_len < n ? TS_BLOCK - r->hdr_len : n;
                        memcpy(r->hdr + r->hdr_len, p, take);
                        r->hdr_len += take;
                        if (r->hdr_len == TS_BLOCK) {
                                r->hdr_len = 0;
                                header_done(r);
                        }
                        break;
                case TS_META:
                case TS_DATA:
                case TS_RAWDATA:
                        take = r->remaining < n ? (size_t) r->remaining : n;
                        if (r->state != TS_DATA)
                                keep_raw(r, p, take);
                        if (r->state == TS_META)
                                den_buf_append(&r->meta, p, take);
                        r->remaining -= take;
                        if (r->remaining == 0) {
                                if (r->state == TS_META)
                                        meta_done(r);
                                else
                                        r->state = TS_PAD;
                        }
                        break;
                case TS_PAD:
                        take = r->pad < n ? (size_t) r->pad : n;
                        keep_raw(r, p, take);
                        r->pad -= take;
                        if (r->pad == 0)
                                r->state = TS_HEADER;
                        break;
                case TS_TRAILER:
                default:
                        take = n;
                        keep_raw(r, p, take);
                        break;
                }
                /* a zero-length pad moves on without consuming */
                if (r->state == TS_PAD && r->pad == 0) {
                        r->state = TS_HEADER;
                }
                p += take;
                n -= take;
        }
}

int img_tarsplit_rec_finish(struct img_tarsplit_rec *r, char **ret, size_t *ret_len,
                            den_error **err)
{
        if (!r->is_broken && r->hdr_len != 0)
                keep_raw(r, r->hdr, r->hdr_len); /* a stream ending mid-block */
        if (!r->is_broken && r->state != TS_HEADER && r->state != TS_TRAILER && r->state != TS_PAD)
                r->is_broken = true;
        flush_raw(r);
        if (r->is_broken || archive_write_close(r->w) != ARCHIVE_OK) {
                img_tarsplit_rec_free(r);
                return den_error_set(err, 0, "record tar layout: stream not understood");
        }
        *ret_len = r->out.len;
        *ret = den_buf_steal(&r->out);
        img_tarsplit_rec_free(r);
        return 0;
}

/* ---------------------------------------------------------------- replay */

static int read_exact(struct archive *a, void *buf, size_t n, den_error **err)
{
        char *p = buf;

        while (n > 0) {
                la_ssize_t got = archive_read_data(a, p, n);

                if (got < 0)
                        return den_error_set(err, 0, "read tar layout: %s",
                                             archive_error_string(a));
                if (got == 0)
                        return den_error_set(err, 0, "read tar layout: truncated");
                p += got;
                n -= (size_t) got;
        }
        return 0;
}

static uint32_t get_u32(const unsigned char *p)
{
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 |
               (uint32_t) p[3] << 24;
}

static uint64_t get_u64(const unsigned char *p)
{
        uint64_t v = 0;

        for (int i = 7; i >= 0; i--)
                v = (v << 8) | p[i];
        return v;
}

static int replay_file(int root_dfd, const char *path, uint64_t size, char *buf, size_t buflen,
                       int (*write)(void *, const void *, size_t, den_error **), void *ud,
                       den_error **err)
{
        _cleanup_close_ int fd = -EBADF;
        uint64_t left = size;

        if (size == 0)
                return 0; /* whiteout markers and empty files need no contents */
        fd = den_open_in_root(root_dfd, path, O_RDONLY | O_NOFOLLOW | O_NOCTTY, 0);
        if (fd < 0)
                return den_error_set(err, -fd, "open \"%s\"", path);
        while (left > 0) {
                ssize_t n = read(fd, buf, left < buflen ? (size_t) left : buflen);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return den_error_set(err, errno, "read \"%s\"", path);
                }
                if (n == 0)
                        return den_error_set(err, 0, "\"%s\" is shorter than its layer entry",
                                             path);
                if (write(ud, buf, (size_t) n, err) < 0)
                        return -1;
                left -= (uint64_t) n;
        }
        {
                char extra;

                if (read(fd, &extra, 1) == 1)
                        return den_error_set(err, 0, "\"%s\" is longer than its layer entry", path);
        }
        return 0;
}

int img_tarsplit_replay(int rec_fd, int root_dfd,
                        int (*write)(void *ud, const void *buf, size_t n, den_error **err),
                        void *ud, den_error **err)
{
        struct archive *a = archive_read_new();
        struct archive_entry *e = NULL;
        const size_t buflen = 1 << 20;
        _cleanup_free_ char *buf = xmalloc(buflen);
        int r = -1;

        archive_read_support_filter_gzip(a);
        archive_read_support_format_raw(a);
        if (archive_read_open_fd(a, rec_fd, 65536) != ARCHIVE_OK ||
            archive_read_next_header(a, &e) != ARCHIVE_OK) {
                den_error_set(err, 0, "read tar layout: %s", archive_error_string(a));
                goto out;
        }
        for (;;) {
                unsigned char h[5];
                la_ssize_t got = archive_read_data(a, h, 1);
                uint32_t len;

                if (got == 0)
                        break;
                if (got < 0 || read_exact(a, h + 1, 4, err) < 0) {
                        if (got < 0)
                                den_error_set(err, 0, "read tar layout: %s",
                                              archive_error_string(a));
                        goto out;
                }
                len = get_u32(h + 1);
                if (h[0] == 'R') {
                        while (len > 0) {
                                size_t take = len < buflen ? len : buflen;

                                if (read_exact(a, buf, take, err) < 0 ||
                                    write(ud, buf, take, err) < 0)
                                        goto out;
                                len -= (uint32_t) take;
                        }
                } else if (h[0] == 'F' && len > 0 && len < PATH_MAX) {
                        _cleanup_free_ char *path = xmalloc(len + 1);
                        unsigned char sz[8];

                        if (read_exact(a, path, len, err) < 0 || read_exact(a, sz, 8, err) < 0)
                                goto out;
                        path[len] = '\0';
                        if (strlen(path) != len) {
                                den_error_set(err, 0, "read tar layout: bad path");
                                goto out;
                        }
                        if (replay_file(root_dfd, path, get_u64(sz), buf, buflen, write, ud, err) <
                            0)
                                goto out;
                } else {
                        den_error_set(err, 0, "read tar layout: bad record");
                        goto out;
                }
        }
        r = 0;
out:
        archive_read_free(a);
        return r;
}
