/* A small TOML reader for the container ecosystem's config files (registries.conf and its
 * drop-ins). It reads TOML 1.0 (plus 1.1's newlines and trailing commas inside inline
 * tables) into a tree of typed values.
 *
 * The text comes from files a user (or an administrator) wrote, so it is validated as it is
 * read and everything is bounded: document size, nesting depth, string length and the number
 * of values. Every error names the place: "registries.conf:12:5: expected '='". */
#include "util.h"
#include <math.h>

enum {
        F_EXPLICIT = 1u << 0, /* table defined by a [header] */
        F_DOTTED = 1u << 1,   /* table created by a dotted key ("a.b = 1") */
        F_SEALED = 1u << 2,   /* inline table or inside one: closed for additions */
        F_AOT = 1u << 3,      /* array created by [[header]] */
};

struct parser {
        const char *start, *p, *end;
        const char *name;
        unsigned line;
        const char *line_start;
        size_t n_nodes;
        den_error **err;
        /* columns are counted in characters from line_start; the last answer is kept so a
         * long line costs one pass, not one per value */
        const char *col_at;
        unsigned col_n;
};

static inline void buf_freep(struct den_buf *b)
{
        den_buf_free(b);
}
#define _cleanup_buf_ _cleanup_(buf_freep)

static unsigned col_of(struct parser *ps, const char *pos)
{
        if (!ps->col_at || ps->col_at < ps->line_start || ps->col_at > pos) {
                ps->col_at = ps->line_start;
                ps->col_n = 1;
        }
        for (; ps->col_at < pos; ps->col_at++)
                if (((unsigned char) *ps->col_at & 0xc0) != 0x80) /* characters, not bytes */
                        ps->col_n++;
        return ps->col_n;
}

static __attribute__((format(printf, 4, 0))) int vfail(struct parser *ps, unsigned line,
                                                       unsigned col, const char *fmt, va_list ap)
{
        _cleanup_free_ char *msg = NULL;

        if (vasprintf(&msg, fmt, ap) < 0) {
                fputs("den: out of memory\n", stderr);
                abort();
        }
        return den_error_set(ps->err, 0, "%s:%u:%u: %s", ps->name, line, col, msg);
}

static __attribute__((format(printf, 4, 5))) int fail_at(struct parser *ps, unsigned line,
                                                         unsigned col, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vfail(ps, line, col, fmt, ap);
        va_end(ap);
        return -1;
}

/* An error at the current position. */
static __attribute__((format(printf, 2, 3))) int fail(struct parser *ps, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vfail(ps, ps->line, col_of(ps, ps->p), fmt, ap);
        va_end(ap);
        return -1;
}

static int peek(const struct parser *ps, size_t off)
{
        return ps->p + off < ps->end ? (unsigned char) ps->p[off] : -1;
}

/* Control characters are not allowed in comments and strings, except tab. */
static bool is_ctrl(int c)
{
        return (c >= 0 && c < 0x20 && c != '\t') || c == 0x7f;
}

static bool is_digit(int c)
{
        return c >= '0' && c <= '9';
}

static bool is_bare_key_char(int c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' ||
               c == '-';
}

/* Consumes "\n" or "\r\n"; false when p is not at a newline. */
static bool eat_newline(struct parser *ps)
{
        if (peek(ps, 0) == '\n')
                ps->p++;
        else if (peek(ps, 0) == '\r' && peek(ps, 1) == '\n')
                ps->p += 2;
        else
                return false;
        ps->line++;
        ps->line_start = ps->p;
        return true;
}

static void skip_ws(struct parser *ps)
{
        while (peek(ps, 0) == ' ' || peek(ps, 0) == '\t')
                ps->p++;
}

static int skip_comment(struct parser *ps)
{
        if (peek(ps, 0) != '#')
                return 0;
        for (;;) {
                int c = peek(ps, 0);

                if (c < 0 || c == '\n' || (c == '\r' && peek(ps, 1) == '\n'))
                        return 0;
                if (is_ctrl(c))
                        return fail(ps, "control character in comment");
                ps->p++;
        }
}

/* Whitespace, comments and newlines, as allowed between array items. */
static int skip_blank(struct parser *ps)
{
        for (;;) {
                skip_ws(ps);
                if (skip_comment(ps) < 0)
                        return -1;
                if (!eat_newline(ps))
                        return 0;
        }
}

/* Moves the line bookkeeping to pos, for errors found by a scan ahead of p. */
static void locate(struct parser *ps, const char *pos)
{
        ps->line = 1;
        ps->line_start = ps->start;
        for (const char *q = ps->start; q < pos; q++)
                if (*q == '\n') {
                        ps->line++;
                        ps->line_start = q + 1;
                }
        ps->p = pos;
}

/* The whole document must be UTF-8 (no overlong forms, no surrogates) without NUL bytes. */
static int check_utf8(struct parser *ps)
{
        const unsigned char *s = (const unsigned char *) ps->start;
        size_t n = (size_t) (ps->end - ps->start);

        for (size_t i = 0; i < n;) {
                unsigned c = s[i], need, min, cp;

                if (c == 0) {
                        locate(ps, ps->start + i);
                        return fail(ps, "NUL byte in document");
                }
                if (c < 0x80) {
                        i++;
                        continue;
                }
                if (c >= 0xc2 && c <= 0xdf)
                        need = 1, min = 0x80, cp = c & 0x1f;
                else if (c >= 0xe0 && c <= 0xef)
                        need = 2, min = 0x800, cp = c & 0x0f;
                else if (c >= 0xf0 && c <= 0xf4)
                        need = 3, min = 0x10000, cp = c & 0x07;
                else
                        goto bad;
                if (n - i <= need)
                        goto bad;
                for (unsigned k = 1; k <= need; k++) {
                        if ((s[i + k] & 0xc0) != 0x80)
                                goto bad;
                        cp = (cp << 6) | (s[i + k] & 0x3f);
                }
                if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                        goto bad;
                i += need + 1;
                continue;
bad:
                locate(ps, ps->start + i);
                return fail(ps, "invalid UTF-8");
        }
        return 0;
}

/* ---------------------------------------------------------------- nodes */

static struct den_toml *node_new(struct parser *ps, enum den_toml_type type, unsigned depth,
                                 unsigned line, unsigned col)
{
        struct den_toml *t;

        if (depth > DEN_TOML_MAX_DEPTH) {
                fail_at(ps, line, col, "nesting deeper than %d levels", DEN_TOML_MAX_DEPTH);
                return NULL;
        }
        if (++ps->n_nodes > DEN_TOML_MAX_NODES) {
                fail_at(ps, line, col, "more than %d values", DEN_TOML_MAX_NODES);
                return NULL;
        }
        t = xcalloc(1, sizeof(*t));
        t->type = type;
        t->depth = depth;
        t->line = line;
        t->col = col;
        return t;
}

void den_toml_free(struct den_toml *t)
{
        if (!t)
                return;
        for (size_t i = 0; i < t->n; i++) {
                if (t->keys)
                        free(t->keys[i]);
                den_toml_free(t->items[i]);
        }
        free(t->keys);
        free(t->items);
        free(t->str);
        free(t);
}

/* Arrays grow to the next power of two, so appending n items costs O(n). */
static bool needs_grow(size_t n)
{
        return (n & (n - 1)) == 0;
}

static void node_append(struct den_toml *t, char *key, struct den_toml *v)
{
        if (needs_grow(t->n)) {
                size_t cap = t->n ? 2 * t->n : 1;

                t->items = xrealloc(t->items, cap * sizeof(*t->items));
                if (t->type == DEN_TOML_TABLE)
                        t->keys = xrealloc(t->keys, cap * sizeof(*t->keys));
        }
        if (t->type == DEN_TOML_TABLE)
                t->keys[t->n] = key;
        t->items[t->n++] = v;
}

static struct den_toml *table_get(const struct den_toml *t, const char *key)
{
        for (size_t i = 0; i < t->n; i++)
                if (streq(t->keys[i], key))
                        return t->items[i];
        return NULL;
}

const struct den_toml *den_toml_get(const struct den_toml *t, const char *key)
{
        if (!t || t->type != DEN_TOML_TABLE || !key)
                return NULL;
        return table_get(t, key);
}

const char *den_toml_type_name(enum den_toml_type type)
{
        switch (type) {
        case DEN_TOML_TABLE:
                return "table";
        case DEN_TOML_ARRAY:
                return "array";
        case DEN_TOML_STRING:
                return "string";
        case DEN_TOML_INTEGER:
                return "integer";
        case DEN_TOML_FLOAT:
                return "float";
        case DEN_TOML_BOOL:
                return "boolean";
        case DEN_TOML_DATETIME:
                return "datetime";
        default:
                return "unknown";
        }
}

static void seal(struct den_toml *t)
{
        if (t->type == DEN_TOML_TABLE)
                t->flags |= F_SEALED;
        if (t->type == DEN_TOML_TABLE || (t->type == DEN_TOML_ARRAY && !(t->flags & F_AOT)))
                for (size_t i = 0; i < t->n; i++)
                        seal(t->items[i]);
}

/* ---------------------------------------------------------------- strings */

static int put(struct parser *ps, struct den_buf *b, const void *p, size_t n)
{
        if (b->len + n > DEN_TOML_MAX_STRING)
                return fail(ps, "string longer than %u bytes", DEN_TOML_MAX_STRING);
        den_buf_append(b, p, n);
        return 0;
}

static int put_codepoint(struct parser *ps, struct den_buf *b, uint32_t cp)
{
        char u[4];
        size_t n;

        if (cp < 0x80) {
                u[0] = (char) cp;
                n = 1;
        } else if (cp < 0x800) {
                u[0] = (char) (0xc0 | (cp >> 6));
                u[1] = (char) (0x80 | (cp & 0x3f));
                n = 2;
        } else if (cp < 0x10000) {
                u[0] = (char) (0xe0 | (cp >> 12));
                u[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
                u[2] = (char) (0x80 | (cp & 0x3f));
                n = 3;
        } else {
                u[0] = (char) (0xf0 | (cp >> 18));
                u[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
                u[2] = (char) (0x80 | ((cp >> 6) & 0x3f));
                u[3] = (char) (0x80 | (cp & 0x3f));
                n = 4;
        }
        return put(ps, b, u, n);
}

/* p is just past the backslash. */
static int parse_escape(struct parser *ps, struct den_buf *b)
{
        static const char from[] = "btnfr\"\\", to[] = "\b\t\n\f\r\"\\";
        int c = peek(ps, 0);
        const char *k = c > 0 ? strchr(from, c) : NULL;
        unsigned n = c == 'u' ? 4 : 8;
        uint32_t cp = 0;

        if (k && *k) {
                ps->p++;
                return put(ps, b, &to[k - from], 1);
        }
        if (c != 'u' && c != 'U')
                return fail(ps, "invalid escape sequence");
        for (unsigned i = 1; i <= n; i++) {
                int h = peek(ps, i);

                if (is_digit(h))
                        cp = (cp << 4) | (uint32_t) (h - '0');
                else if (h >= 'a' && h <= 'f')
                        cp = (cp << 4) | (uint32_t) (h - 'a' + 10);
                else if (h >= 'A' && h <= 'F')
                        cp = (cp << 4) | (uint32_t) (h - 'A' + 10);
                else
                        return fail(ps, "\\%c needs %u hex digits", c, n);
        }
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return fail(ps, "escape is not a Unicode scalar value");
        if (cp == 0) /* strings are C strings */
                return fail(ps, "\\u0000 is not supported");
        ps->p += n + 1;
        return put_codepoint(ps, b, cp);
}

/* A closing delimiter of a multi-line string: three quotes, plus up to two that belong to
 * the content. Returns the run length (3..5), 0 when not at a closing run. */
static int closing_run(struct parser *ps, int q)
{
        int k = 0;

        while (peek(ps, (size_t) k) == q)
                k++;
        if (k < 3)
                return 0;
        if (k > 5) {
                fail(ps, "too many quotes at the end of a multi-line string");
                return -1;
        }
        return k;
}

/* "\" at the end of a line in a multi-line basic string trims the newline and all
 * whitespace up to the next content. Returns 1 when it was such a backslash. */
static int line_ending_backslash(struct parser *ps)
{
        const char *q = ps->p + 1;

        while (q < ps->end && (*q == ' ' || *q == '\t'))
                q++;
        if (!(q < ps->end && (*q == '\n' || (*q == '\r' && q + 1 < ps->end && q[1] == '\n'))))
                return 0;
        ps->p = q;
        for (;;) {
                skip_ws(ps);
                if (!eat_newline(ps))
                        return 1;
        }
}

static int parse_string_ml(struct parser *ps, int q, char **ret)
{
        _cleanup_buf_ struct den_buf b = { 0 };
        unsigned line = ps->line, col = col_of(ps, ps->p);

        ps->p += 3;
        (void) eat_newline(ps); /* a newline right after the opening quotes is trimmed */
        for (;;) {
                int c = peek(ps, 0), k;

                if (c < 0)
                        return fail_at(ps, line, col, "unterminated multi-line string");
                if (c == q && (k = closing_run(ps, q)) != 0) {
                        if (k < 0 || put(ps, &b, ps->p, (size_t) k - 3) < 0)
                                return -1;
                        ps->p += k;
                        break;
                }
                if (q == '"' && c == '\\') {
                        if (line_ending_backslash(ps))
                                continue;
                        ps->p++;
                        if (parse_escape(ps, &b) < 0)
                                return -1;
                } else if (eat_newline(ps)) {
                        if (put(ps, &b, "\n", 1) < 0)
                                return -1;
                } else if (is_ctrl(c)) {
                        return fail(ps, "control character in string");
                } else {
                        if (put(ps, &b, ps->p, 1) < 0)
                                return -1;
                        ps->p++;
                }
        }
        *ret = den_buf_steal(&b);
        return 0;
}

/* A basic ("...") or literal ('...') string on one line; p is at the opening quote. */
static int parse_string(struct parser *ps, char **ret)
{
        _cleanup_buf_ struct den_buf b = { 0 };
        int q = peek(ps, 0);

        if (peek(ps, 1) == q && peek(ps, 2) == q)
                return parse_string_ml(ps, q, ret);
        ps->p++;
        for (;;) {
                int c = peek(ps, 0);

                if (c < 0 || c == '\n' || c == '\r')
                        return fail(ps, "unterminated string");
                if (c == q) {
                        ps->p++;
                        break;
                }
                if (q == '"' && c == '\\') {
                        ps->p++;
                        if (parse_escape(ps, &b) < 0)
                                return -1;
                        continue;
                }
                if (is_ctrl(c))
                        return fail(ps, "control character in string");
                if (put(ps, &b, ps->p, 1) < 0)
                        return -1;
                ps->p++;
        }
        *ret = den_buf_steal(&b);
        return 0;
}

/* ---------------------------------------------------------------- keys */

struct key {
        char **parts; /* NULL-terminated */
        size_t n;
        unsigned line, col;
};

static void key_clear(struct key *k)
{
        den_strv_free(k->parts);
        *k = (struct key){ 0 };
}

/* key = simple-key *( "." simple-key ), simple keys bare or quoted (single-line). */
static int parse_key(struct parser *ps, struct key *k)
{
        skip_ws(ps);
        k->line = ps->line;
        k->col = col_of(ps, ps->p);
        for (;;) {
                _cleanup_free_ char *part = NULL;
                int c;

                skip_ws(ps);
                c = peek(ps, 0);
                if (c == '"' || c == '\'') {
                        if (peek(ps, 1) == c && peek(ps, 2) == c)
                                return fail(ps, "a key cannot be a multi-line string");
                        if (parse_string(ps, &part) < 0)
                                return -1;
                } else if (is_bare_key_char(c)) {
                        const char *s = ps->p;

                        while (is_bare_key_char(peek(ps, 0)))
                                ps->p++;
                        if ((size_t) (ps->p - s) > DEN_TOML_MAX_STRING)
                                return fail(ps, "key longer than %u bytes", DEN_TOML_MAX_STRING);
                        part = xstrndup(s, (size_t) (ps->p - s));
                } else {
                        return fail(ps, "expected a key");
                }
                if (k->n >= DEN_TOML_MAX_DEPTH)
                        return fail(ps, "key with more than %d parts", DEN_TOML_MAX_DEPTH);
                den_strv_push(&k->parts, part);
                k->n++;
                skip_ws(ps);
                if (peek(ps, 0) != '.')
                        return 0;
                ps->p++;
        }
}

/* ---------------------------------------------------------------- scalars */

/* A run of digits in base with single underscores between digits. */
static bool digits_ok(const char *s, size_t n, unsigned base)
{
        bool prev_digit = false;

        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++) {
                int c = (unsigned char) s[i];
                unsigned d;

                if (c == '_') {
                        if (!prev_digit || i + 1 == n)
                                return false;
                        prev_digit = false;
                        continue;
                }
                if (is_digit(c))
                        d = (unsigned) (c - '0');
                else if (c >= 'a' && c <= 'f')
                        d = (unsigned) (c - 'a' + 10);
                else if (c >= 'A' && c <= 'F')
                        d = (unsigned) (c - 'A' + 10);
                else
                        return false;
                if (d >= base)
                        return false;
                prev_digit = true;
        }
        return true;
}

static int digit_value(int c)
{
        if (is_digit(c))
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return c - 'A' + 10;
}

static int parse_integer(struct parser *ps, const char *s, size_t n, int64_t *ret)
{
        bool is_neg = false, has_sign = false;
        unsigned base = 10;
        uint64_t v = 0, limit;

        if (n > 0 && (s[0] == '+' || s[0] == '-')) {
                is_neg = s[0] == '-';
                has_sign = true;
                s++, n--;
        }
        if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o' || s[1] == 'b')) {
                if (has_sign)
                        return fail(ps, "a sign is not allowed on hex, octal or binary integers");
                base = s[1] == 'x' ? 16 : s[1] == 'o' ? 8 : 2;
                s += 2, n -= 2;
        } else if (n > 1 && s[0] == '0') {
                return fail(ps, "leading zeros are not allowed");
        }
        if (!digits_ok(s, n, base))
                return fail(ps, "invalid integer");
        limit = is_neg ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX;
        for (size_t i = 0; i < n; i++) {
                uint64_t d;

                if (s[i] == '_')
                        continue;
                d = (uint64_t) digit_value((unsigned char) s[i]);
                if (v > (limit - d) / base)
                        return fail(ps, "integer out of range");
                v = v * base + d;
        }
        *ret = is_neg ? (int64_t) (0 - v) : (int64_t) v;
        return 0;
}

static int parse_float(struct parser *ps, const char *s, size_t n, double *ret)
{
        _cleanup_free_ char *clean = xmalloc(n + 1);
        const char *i = s, *end = s + n, *d;
        size_t m = 0;
        double v;

        if (i < end && (*i == '+' || *i == '-'))
                i++;
        if ((size_t) (end - i) == 3 && (!strncmp(i, "inf", 3) || !strncmp(i, "nan", 3))) {
                v = i[0] == 'i' ? INFINITY : NAN;
                *ret = s[0] == '-' ? -v : v;
                return 0;
        }
        for (d = i; d < end && (is_digit(*d) || *d == '_'); d++)
                ;
        if (!digits_ok(i, (size_t) (d - i), 10) || (d - i > 1 && *i == '0'))
                return fail(ps, "invalid float");
        if (d < end && *d == '.') {
                for (i = ++d; d < end && (is_digit(*d) || *d == '_'); d++)
                        ;
                if (!digits_ok(i, (size_t) (d - i), 10))
                        return fail(ps, "invalid float");
        }
        if (d < end && (*d == 'e' || *d == 'E')) {
                d++;
                if (d < end && (*d == '+' || *d == '-'))
                        d++;
                if (!digits_ok(d, (size_t) (end - d), 10))
                        return fail(ps, "invalid float");
                d = end;
        }
        if (d != end)
                return fail(ps, "invalid float");
        for (size_t k = 0; k < n; k++)
                if (s[k] != '_')
                        clean[m++] = s[k];
        clean[m] = '\0';
        /* the text is validated above, so strtod sees only the TOML float grammar */
        errno = 0;
        v = strtod(clean, NULL);
        if (errno == ERANGE && isinf(v))
                return fail(ps, "float out of range");
        *ret = v;
        return 0;
}

static bool all_digits(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (!is_digit((unsigned char) s[i]))
                        return false;
        return true;
}

static unsigned two(const char *s)
{
        return (unsigned) (s[0] - '0') * 10 + (unsigned) (s[1] - '0');
}

/* HH:MM:SS[.frac] then, when allow_offset, an optional Z or +HH:MM. */
static bool time_ok(const char *s, size_t n, bool allow_offset)
{
        size_t i = 8;

        if (n < 8 || !all_digits(s, 2) || s[2] != ':' || !all_digits(s + 3, 2) || s[5] != ':' ||
            !all_digits(s + 6, 2) || two(s) > 23 || two(s + 3) > 59 || two(s + 6) > 60)
                return false;
        if (i < n && s[i] == '.') {
                size_t f = ++i;

                while (i < n && is_digit((unsigned char) s[i]))
                        i++;
                if (i == f)
                        return false;
        }
        if (i == n)
                return true;
        if (!allow_offset)
                return false;
        if (n - i == 1 && (s[i] == 'Z' || s[i] == 'z'))
                return true;
        return n - i == 6 && (s[i] == '+' || s[i] == '-') && all_digits(s + i + 1, 2) &&
               s[i + 3] == ':' && all_digits(s + i + 4, 2) && two(s + i + 1) <= 23 &&
               two(s + i + 4) <= 59;
}

static bool looks_like_date(const char *s, size_t n)
{
        return n >= 10 && all_digits(s, 4) && s[4] == '-' && all_digits(s + 5, 2) && s[7] == '-' &&
               all_digits(s + 8, 2);
}

static bool datetime_ok(const char *s, size_t n)
{
        if (!looks_like_date(s, n))
                return time_ok(s, n, false); /* a local time */
        if (two(s + 5) < 1 || two(s + 5) > 12 || two(s + 8) < 1 || two(s + 8) > 31)
                return false;
        if (n == 10)
                return true;
        return (s[10] == 'T' || s[10] == 't' || s[10] == ' ') && time_ok(s + 11, n - 11, true);
}

static bool has_any(const char *s, size_t n, const char *set)
{
        for (size_t i = 0; i < n; i++)
                if (s[i] && strchr(set, s[i]))
                        return true;
        return false;
}

static bool is_token_char(int c)
{
        return is_bare_key_char(c) || c == '+' || c == '.' || c == ':';
}

/* Booleans, numbers and date-times: one bare token, classified by its shape. */
static int parse_bare_value(struct parser *ps, struct den_toml *v)
{
        const char *s = ps->p;
        size_t n;

        while (is_token_char(peek(ps, 0)))
                ps->p++;
        /* a date and a time may be separated by one space */
        if (looks_like_date(s, (size_t) (ps->p - s)) && ps->p - s == 10 && peek(ps, 0) == ' ' &&
            is_digit(peek(ps, 1))) {
                ps->p++;
                while (is_token_char(peek(ps, 0)))
                        ps->p++;
        }
        n = (size_t) (ps->p - s);
        if (n == 0)
                return fail(ps, "expected a value");
        if (n > 256) {
                ps->p = s;
                return fail(ps, "value too long");
        }
        if ((n == 4 && !strncmp(s, "true", 4)) || (n == 5 && !strncmp(s, "false", 5))) {
                v->type = DEN_TOML_BOOL;
                v->boolean = n == 4;
                return 0;
        }
        ps->p = s; /* number errors point at the start of the value */
        if ((n >= 10 && looks_like_date(s, n)) || (n >= 3 && all_digits(s, 2) && s[2] == ':')) {
                if (!datetime_ok(s, n))
                        return fail(ps, "invalid date-time");
                v->type = DEN_TOML_DATETIME;
                v->str = xstrndup(s, n);
        } else if (has_any(s, n, ".eEin") && !(n > 1 && s[0] == '0' && s[1] == 'x')) {
                v->type = DEN_TOML_FLOAT;
                if (parse_float(ps, s, n, &v->number) < 0)
                        return -1;
        } else {
                v->type = DEN_TOML_INTEGER;
                if (parse_integer(ps, s, n, &v->integer) < 0)
                        return -1;
        }
        ps->p = s + n;
        return 0;
}

/* ---------------------------------------------------------------- values and tables */

static int parse_value(struct parser *ps, unsigned depth, struct den_toml **ret);
static int parse_keyval(struct parser *ps, struct den_toml *t);

static int parse_array(struct parser *ps, struct den_toml *a)
{
        ps->p++;
        for (;;) {
                struct den_toml *item = NULL;

                if (skip_blank(ps) < 0)
                        return -1;
                if (peek(ps, 0) < 0)
                        return fail_at(ps, a->line, a->col, "unterminated array");
                if (peek(ps, 0) == ']')
                        break;
                if (parse_value(ps, a->depth + 1, &item) < 0)
                        return -1;
                node_append(a, NULL, item);
                if (skip_blank(ps) < 0)
                        return -1;
                if (peek(ps, 0) == ',') {
                        ps->p++;
                        continue;
                }
                if (peek(ps, 0) == ']')
                        break;
                if (peek(ps, 0) < 0)
                        return fail_at(ps, a->line, a->col, "unterminated array");
                return fail(ps, "expected ',' or ']' in array");
        }
        ps->p++;
        return 0;
}

static int parse_inline_table(struct parser *ps, struct den_toml *t)
{
        ps->p++;
        for (;;) {
                if (skip_blank(ps) < 0)
                        return -1;
                if (peek(ps, 0) < 0)
                        return fail_at(ps, t->line, t->col, "unterminated inline table");
                if (peek(ps, 0) == '}')
                        break;
                if (parse_keyval(ps, t) < 0)
                        return -1;
                if (skip_blank(ps) < 0)
                        return -1;
                if (peek(ps, 0) == ',') {
                        ps->p++;
                        continue;
                }
                if (peek(ps, 0) == '}')
                        break;
                if (peek(ps, 0) < 0)
                        return fail_at(ps, t->line, t->col, "unterminated inline table");
                return fail(ps, "expected ',' or '}' in inline table");
        }
        ps->p++;
        seal(t);
        return 0;
}

static int parse_value(struct parser *ps, unsigned depth, struct den_toml **ret)
{
        _cleanup_(den_toml_freep) struct den_toml *v = NULL;
        int c = peek(ps, 0), r;

        v = node_new(ps, DEN_TOML_STRING, depth, ps->line, col_of(ps, ps->p));
        if (!v)
                return -1;
        if (c == '"' || c == '\'') {
                r = parse_string(ps, &v->str);
        } else if (c == '[') {
                v->type = DEN_TOML_ARRAY;
                r = parse_array(ps, v);
        } else if (c == '{') {
                v->type = DEN_TOML_TABLE;
                r = parse_inline_table(ps, v);
        } else {
                r = parse_bare_value(ps, v);
        }
        if (r < 0)
                return -1;
        *ret = steal_ptr(v);
        return 0;
}

/* "a.b.c" for messages. */
static char *key_display(const struct key *k, size_t n)
{
        struct den_buf b = { 0 };

        for (size_t i = 0; i < n; i++) {
                if (i)
                        den_buf_puts(&b, ".");
                den_buf_printf(&b, "%.100s", k->parts[i]);
        }
        return den_buf_steal(&b);
}

static int fail_redefined(struct parser *ps, const struct key *k, size_t n,
                          const struct den_toml *old)
{
        _cleanup_free_ char *name = key_display(k, n);

        return fail_at(ps, k->line, k->col, "\"%s\" is already defined (at line %u) as %s", name,
                       old->line, den_toml_type_name(old->type));
}

/* key = value, into table t (the current [table] or an inline table being read). */
static int parse_keyval(struct parser *ps, struct den_toml *t)
{
        _cleanup_(key_clear) struct key k = { 0 };
        struct den_toml *v = NULL, *old;

        if (parse_key(ps, &k) < 0)
                return -1;
        if (peek(ps, 0) != '=')
                return fail(ps, "expected '='");
        ps->p++;
        skip_ws(ps);
        for (size_t i = 0; i + 1 < k.n; i++) {
                struct den_toml *c = table_get(t, k.parts[i]);

                if (!c) {
                        c = node_new(ps, DEN_TOML_TABLE, t->depth + 1, k.line, k.col);
                        if (!c)
                                return -1;
                        c->flags = F_DOTTED;
                        node_append(t, xstrdup(k.parts[i]), c);
                } else if (c->type != DEN_TOML_TABLE || (c->flags & F_SEALED)) {
                        return fail_redefined(ps, &k, i + 1, c);
                }
                t = c;
        }
        old = table_get(t, k.parts[k.n - 1]);
        if (old) {
                _cleanup_free_ char *name = key_display(&k, k.n);

                return fail_at(ps, k.line, k.col, "duplicate key \"%s\" (first defined at line %u)",
                               name, old->line);
        }
        if (peek(ps, 0) < 0 || peek(ps, 0) == '\n' || peek(ps, 0) == '\r' || peek(ps, 0) == '#')
                return fail(ps, "expected a value after '='");
        if (parse_value(ps, t->depth + 1, &v) < 0)
                return -1;
        node_append(t, xstrdup(k.parts[k.n - 1]), v);
        return 0;
}

/* Walks (creating implicit tables) to the parent of the header's last key part. */
static int header_parent(struct parser *ps, const struct key *k, struct den_toml *root,
                         struct den_toml **ret)
{
        struct den_toml *t = root;

        for (size_t i = 0; i + 1 < k->n; i++) {
                struct den_toml *c = table_get(t, k->parts[i]);

                if (!c) {
                        c = node_new(ps, DEN_TOML_TABLE, t->depth + 1, k->line, k->col);
                        if (!c)
                                return -1;
                        node_append(t, xstrdup(k->parts[i]), c);
                } else if (c->type == DEN_TOML_ARRAY && (c->flags & F_AOT)) {
                        c = c->items[c->n - 1]; /* [a.b] after [[a]] extends the last [[a]] */
                } else if (c->type != DEN_TOML_TABLE || (c->flags & F_SEALED)) {
                        return fail_redefined(ps, k, i + 1, c);
                }
                t = c;
        }
        *ret = t;
        return 0;
}

/* [table] or [[array.of.tables]]; *cur becomes the table that following keys go into. */
static int parse_header(struct parser *ps, struct den_toml *root, struct den_toml **cur)
{
        _cleanup_(key_clear) struct key k = { 0 };
        bool is_aot = peek(ps, 1) == '[';
        const char *last;
        struct den_toml *t = NULL, *c;

        ps->p += is_aot ? 2 : 1;
        if (parse_key(ps, &k) < 0)
                return -1;
        if (peek(ps, 0) != ']' || (is_aot && peek(ps, 1) != ']'))
                return fail(ps, is_aot ? "expected ']]'" : "expected ']'");
        ps->p += is_aot ? 2 : 1;
        if (header_parent(ps, &k, root, &t) < 0)
                return -1;
        last = k.parts[k.n - 1];
        c = table_get(t, last);
        if (is_aot) {
                struct den_toml *item;

                if (!c) {
                        c = node_new(ps, DEN_TOML_ARRAY, t->depth + 1, k.line, k.col);
                        if (!c)
                                return -1;
                        c->flags = F_AOT;
                        node_append(t, xstrdup(last), c);
                } else if (c->type != DEN_TOML_ARRAY || !(c->flags & F_AOT)) {
                        return fail_redefined(ps, &k, k.n, c);
                }
                item = node_new(ps, DEN_TOML_TABLE, c->depth + 1, k.line, k.col);
                if (!item)
                        return -1;
                item->flags = F_EXPLICIT;
                node_append(c, NULL, item);
                *cur = item;
                return 0;
        }
        if (!c) {
                c = node_new(ps, DEN_TOML_TABLE, t->depth + 1, k.line, k.col);
                if (!c)
                        return -1;
                node_append(t, xstrdup(last), c);
        } else if (c->type != DEN_TOML_TABLE || (c->flags & (F_EXPLICIT | F_DOTTED | F_SEALED))) {
                return fail_redefined(ps, &k, k.n, c);
        }
        c->flags |= F_EXPLICIT;
        c->line = k.line;
        c->col = k.col;
        *cur = c;
        return 0;
}

int den_toml_parse(const char *text, size_t len, const char *name, struct den_toml **ret,
                   den_error **err)
{
        _cleanup_(den_toml_freep) struct den_toml *root = NULL;
        struct parser ps = {
                .start = text ? text : "",
                .p = text ? text : "",
                .end = (text ? text : "") + (text ? len : 0),
                .name = name ? name : "<toml>",
                .line = 1,
                .line_start = text ? text : "",
                .err = err,
        };
        struct den_toml *cur;

        if (len > DEN_TOML_MAX_SIZE)
                return den_error_set(err, EFBIG, "%s: larger than %u bytes", ps.name,
                                     DEN_TOML_MAX_SIZE);
        if (check_utf8(&ps) < 0)
                return -1;
        if (ps.end - ps.p >= 3 && !memcmp(ps.p, "\xef\xbb\xbf", 3))
                ps.p = ps.line_start = ps.p + 3; /* a byte order mark */
        root = node_new(&ps, DEN_TOML_TABLE, 0, 1, 1);
        root->flags = F_EXPLICIT;
        cur = root;
        for (;;) {
                int c;

                skip_ws(&ps);
                c = peek(&ps, 0);
                if (c == '[' && parse_header(&ps, root, &cur) < 0)
                        return -1;
                if (c >= 0 && c != '[' && c != '#' && c != '\n' && c != '\r' &&
                    parse_keyval(&ps, cur) < 0)
                        return -1;
                skip_ws(&ps);
                if (skip_comment(&ps) < 0)
                        return -1;
                if (peek(&ps, 0) < 0)
                        break;
                if (!eat_newline(&ps))
                        return fail(&ps, peek(&ps, 0) == '\r' ? "carriage return without newline"
                                                              : "expected end of line");
        }
        *ret = steal_ptr(root);
        return 0;
}
