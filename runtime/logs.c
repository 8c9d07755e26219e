/* `logs`: reads the k8s-file log den-monitor writes, as podman does.
 *
 * The log file holds whatever the container printed, so every record is untrusted: a record
 * that does not parse is skipped, records are bounded (LINE_MAX_LEN; longer ones are skipped
 * up to their newline) and so is the joining of partial records (JOIN_MAX). */
#include <poll.h>
#include <sys/stat.h>

#include "runtime/runtime.h"

#define LINE_MAX_LEN (1u << 20)
#define JOIN_MAX (4u << 20)
#define READ_BLOCK 65536
#define FOLLOW_INTERVAL_MS 100

static bool is_digits(const char *p, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (p[i] < '0' || p[i] > '9')
                        return false;
        return true;
}

int rt_klog_parse(const char *line, size_t len, struct rt_klog_line *ret)
{
        const char *sp1, *sp2, *end = line + len;
        char ts[64];
        int64_t sec = 0;
        long nsec = 0;
        struct rt_klog_line l = { 0 };

        sp1 = memchr(line, ' ', len);
        /* "2006-01-02T15:04:05Z" is the shortest timestamp */
        if (!sp1 || sp1 - line < 20 || (size_t) (sp1 - line) >= sizeof(ts))
                return -EINVAL;
        if (!is_digits(line, 4) || line[4] != '-' || line[10] != 'T')
                return -EINVAL;
        memcpy(ts, line, (size_t) (sp1 - line));
        ts[sp1 - line] = '\0';
        if (den_time_parse_rfc3339(ts, &sec, &nsec) < 0 || sec < 0 ||
            sec > INT64_MAX / 1000000000 - 1)
                return -EINVAL;
        l.time = line;
        l.time_len = (size_t) (sp1 - line);
        l.time_ns = sec * 1000000000 + nsec;

        sp1++;
        sp2 = memchr(sp1, ' ', (size_t) (end - sp1));
        if (!sp2)
                return -EINVAL;
        if (sp2 - sp1 == 6 && memcmp(sp1, "stdout", 6) == 0)
                l.is_stderr = false;
        else if (sp2 - sp1 == 6 && memcmp(sp1, "stderr", 6) == 0)
                l.is_stderr = true;
        else
                return -EINVAL;
        sp2++;
        /* "F" or "P", then a space and the text; a bare "F" is an empty line */
        if (end - sp2 < 1 || (*sp2 != 'F' && *sp2 != 'P'))
                return -EINVAL;
        l.is_partial = *sp2 == 'P';
        if (end - sp2 == 1) {
                l.msg = end;
        } else if (sp2[1] == ' ') {
                l.msg = sp2 + 2;
        } else {
                return -EINVAL;
        }
        l.msg_len = (size_t) (end - l.msg);
        *ret = l;
        return 0;
}

/* ---- printing */

struct printer {
        const struct rt_log_opts *o;
        struct den_buf join; /* text of the partial records so far */
        bool is_join_stderr;
        struct rt_klog_line last; /* the last partial record, its time in last_time */
        char last_time[64];
        struct den_buf out;
};

/* Go's time.RFC3339Nano, which podman formats log times with: trailing zeros of the fraction
 * dropped, "Z" for UTC. The timestamp was validated by rt_klog_parse. */
static void format_time(struct den_buf *b, const char *t, size_t len)
{
        const char *dot = memchr(t, '.', len);
        const char *zone = t + len;

        for (const char *p = t + 19; p < t + len; p++)
                if (*p == 'Z' || *p == 'z' || *p == '+' || *p == '-') {
                        zone = p;
                        break;
                }
        if (dot && dot < zone) {
                const char *last = zone;

                while (last > dot + 1 && last[-1] == '0')
                        last--;
                den_buf_append(b, t, (size_t) ((last == dot + 1 ? dot : last) - t));
        } else {
                den_buf_append(b, t, (size_t) (zone - t));
        }
        if (zone == t + len || *zone == 'Z' || *zone == 'z' ||
            ((size_t) (t + len - zone) == 6 && memcmp(zone + 1, "00:00", 5) == 0))
                den_buf_puts(b, "Z");
        else
                den_buf_append(b, zone, (size_t) (t + len - zone));
}

static int emit(struct printer *pr, const struct rt_klog_line *l, bool is_end, den_error **err)
{
        const struct rt_log_opts *o = pr->o;
        int fd = l->is_stderr ? o->err_fd : o->out_fd;
        int r;

        /* both bounds are exclusive, as podman's (time.After, time.Before) */
        if ((o->since_ns && l->time_ns <= o->since_ns) ||
            (o->until_ns && l->time_ns >= o->until_ns))
                return 0;
        pr->out.len = 0;
        if (o->prefix)
                den_buf_puts(&pr->out, o->prefix);
        if (o->is_timestamps) {
                format_time(&pr->out, l->time, l->time_len);
                den_buf_puts(&pr->out, " ");
        }
        den_buf_append(&pr->out, pr->join.data, pr->join.len);
        den_buf_append(&pr->out, l->msg, l->msg_len);
        if (is_end)
                den_buf_puts(&pr->out, "\n");
        r = den_write_all(fd, pr->out.data, pr->out.len);
        if (r < 0)
                return den_error_set(err, -r, "write log line");
        return 0;
}

/* One record: partial ones are collected, a full one prints the joined line with its own
 * time, as podman does. */
static int feed(struct printer *pr, const char *line, size_t len, den_error **err)
{
        struct rt_klog_line l;
        int r;

        if (rt_klog_parse(line, len, &l) < 0)
                return 0;
        if (pr->join.len && l.is_stderr != pr->is_join_stderr)
                pr->join.len = 0; /* a partial line of the other stream was never finished */
        if (l.is_partial && pr->join.len + l.msg_len <= JOIN_MAX) {
                den_buf_append(&pr->join, l.msg, l.msg_len);
                pr->is_join_stderr = l.is_stderr;
                /* rt_klog_parse bounds the timestamp below sizeof(last_time) */
                memcpy(pr->last_time, l.time, l.time_len);
                pr->last = l;
                pr->last.time = pr->last_time;
                pr->last.msg = "";
                pr->last.msg_len = 0;
                return 0;
        }
        r = emit(pr, &l, true, err);
        pr->join.len = 0;
        return r;
}

/* A line still partial when the container is gone is printed as it is, without a newline,
 * as the container wrote it. */
static int flush_partial(struct printer *pr, den_error **err)
{
        int r;

        if (pr->join.len == 0)
                return 0;
        r = emit(pr, &pr->last, false, err);
        pr->join.len = 0;
        return r;
}

/* ---- reading */

struct reader {
        int fd;
        struct den_buf pending; /* bytes of an incomplete record */
        bool is_skipping;       /* inside a record longer than LINE_MAX_LEN */
};

/* Feeds every complete record that can be read now; 0 at EOF. */
static int read_available(struct reader *rd, struct printer *pr, den_error **err)
{
        _cleanup_free_ char *buf = xmalloc(READ_BLOCK);

        for (;;) {
                ssize_t n = read(rd->fd, buf, READ_BLOCK);
                const char *p = buf, *end;

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return den_error_set(err, errno, "read log");
                if (n == 0)
                        return 0;
                end = buf + n;
                while (p < end) {
                        const char *nl = memchr(p, '\n', (size_t) (end - p));
                        size_t len = nl ? (size_t) (nl - p) : (size_t) (end - p);

                        if (!rd->is_skipping)
                                den_buf_append(&rd->pending, p, len);
                        if (rd->pending.len > LINE_MAX_LEN) {
                                rd->is_skipping = true;
                                rd->pending.len = 0;
                        }
                        p += len;
                        if (!nl)
                                break;
                        p++;
                        if (!rd->is_skipping && feed(pr, rd->pending.data ? rd->pending.data : "",
                                                     rd->pending.len, err) < 0)
                                return -1;
                        rd->pending.len = 0;
                        rd->is_skipping = false;
                }
        }
}

/* Whether the record [p, p+len) is a full ("F") one: what --tail counts. */
static bool is_full_record(const char *p, size_t len)
{
        struct rt_klog_line l;

        return rt_klog_parse(p, len, &l) == 0 && !l.is_partial;
}

/* Whether the record collected backwards in rev is a full one; rev is reversed in place. */
static bool is_full_reversed(struct den_buf *rev)
{
        for (size_t a = 0, b = rev->len; a < b / 2; a++) {
                char c = rev->data[a];

                rev->data[a] = rev->data[b - 1 - a];
                rev->data[b - 1 - a] = c;
        }
        return rev->len > 0 && rev->len <= LINE_MAX_LEN && is_full_record(rev->data, rev->len);
}

/* The offset where the last `tail` lines start, reading backwards from the end in blocks so
 * a big log costs only what is printed. Partial records belong to the full one after them;
 * a trailing record without its newline is still being written and is not counted. */
static int tail_offset(int fd, long tail, off_t *ret, den_error **err)
{
        struct stat st;
        struct den_buf rev = { 0 }; /* the record being collected, reversed */
        _cleanup_free_ char *buf = xmalloc(READ_BLOCK);
        off_t pos, rec_end, start = 0;
        long seen = 0;
        bool is_found = false;

        if (fstat(fd, &st) < 0)
                return den_error_set(err, errno, "stat log");
        pos = rec_end = st.st_size;
        while (pos > 0 && !is_found) {
                size_t n = pos > READ_BLOCK ? READ_BLOCK : (size_t) pos;
                ssize_t got = pread(fd, buf, n, pos - (off_t) n);

                if (got != (ssize_t) n) {
                        den_buf_free(&rev);
                        return den_error_set(err, got < 0 ? errno : EIO, "read log");
                }
                pos -= (off_t) n;
                for (size_t i = n; i-- > 0 && !is_found;) {
                        if (buf[i] != '\n') {
                                if (rev.len <= LINE_MAX_LEN)
                                        den_buf_append(&rev, &buf[i], 1);
                                continue;
                        }
                        /* the record [pos + i + 1, rec_end) ends at the newline at rec_end */
                        if (rec_end < st.st_size && is_full_reversed(&rev) && ++seen > tail) {
                                start = rec_end + 1;
                                is_found = true;
                        }
                        rev.len = 0;
                        rec_end = pos + (off_t) i;
                }
        }
        /* the file's first record has no newline before it */
        if (!is_found && rec_end < st.st_size && is_full_reversed(&rev) && ++seen > tail)
                start = rec_end + 1;
        den_buf_free(&rev);
        *ret = start;
        return 0;
}

static bool is_done(const struct rt_log_opts *o)
{
        return !o->is_done || o->is_done(o->userdata);
}

int rt_log_print(const char *log_path, const struct rt_log_opts *o, den_error **err)
{
        struct printer pr = { .o = o };
        struct reader rd = { .fd = -1 };
        int r = 0;

        rd.fd = open(log_path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (rd.fd < 0)
                return den_error_set(err, errno, "open log \"%s\"", log_path);
        if (o->tail >= 0) {
                off_t start = 0;

                r = tail_offset(rd.fd, o->tail, &start, err);
                if (r == 0 && lseek(rd.fd, start, SEEK_SET) < 0)
                        r = den_error_set(err, errno, "seek log");
        }
        while (r == 0) {
                bool was_done = o->is_follow ? is_done(o) : true;

                r = read_available(&rd, &pr, err);
                /* done was checked before the last read: what was written before the exit is
                 * printed */
                if (r == 0 && was_done)
                        r = flush_partial(&pr, err);
                if (r < 0 || was_done)
                        break;
                (void) poll(NULL, 0, FOLLOW_INTERVAL_MS);
        }
        (void) close(rd.fd);
        den_buf_free(&rd.pending);
        den_buf_free(&pr.join);
        den_buf_free(&pr.out);
        return r < 0 ? -1 : 0;
}
