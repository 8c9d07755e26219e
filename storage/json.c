/* The store's JSON reader. containers.json and images.json are read by nearly every command,
 * and with a hundred containers jansson's own reader was half of `den ps`: it takes the input
 * a byte at a time through a stream, copies every string through a growing buffer and checks
 * each byte's UTF-8 again. This one scans the buffer in place and builds the same jansson
 * values. It accepts exactly what json_loadb(JSON_REJECT_DUPLICATES) accepts (an object or an
 * array at the top, strict RFC 8259, no NUL in strings, no duplicate keys, integers that fit
 * in json_int_t, reals that do not overflow, nesting to JSON_PARSER_MAX_DEPTH) and yields an
 * equal value: tests/fuzz/fuzz-json.c compares the two on every input. (One difference:
 * jansson skips a NUL byte right after a number or a literal, a quirk of its stream; here a
 * NUL outside a string is an error, as RFC 8259 has it.) */
#include <math.h>
#include "storage/storage.h"

struct json_reader {
        const char *start, *p, *end;
        char *scratch; /* strings with escapes, decoded; number texts */
        size_t scratch_cap;
        int depth;
        json_error_t *error;
};

static void reader_fail(struct json_reader *r, const char *why)
{
        json_error_t *e = r->error;
        int line = 1, column = 0;

        if (!e || e->text[0])
                return;
        for (const char *q = r->start; q < r->p; q++) {
                if (*q == '\n')
                        line++, column = 0;
                else
                        column++;
        }
        e->line = line;
        e->column = column;
        e->position = (int) (r->p - r->start);
        snprintf(e->text, sizeof(e->text), "%s", why);
}

static char *scratch_reserve(struct json_reader *r, size_t n)
{
        if (n > r->scratch_cap) {
                size_t cap = r->scratch_cap ? r->scratch_cap : 256;

                while (cap < n)
                        cap *= 2;
                r->scratch = xrealloc(r->scratch, cap);
                r->scratch_cap = cap;
        }
        return r->scratch;
}

static void skip_ws(struct json_reader *r)
{
        while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
                r->p++;
}

/* Whether the next byte is C, which is then consumed. */
static bool eat(struct json_reader *r, char c)
{
        if (r->p >= r->end || *r->p != c)
                return false;
        r->p++;
        return true;
}

/* The length of the UTF-8 sequence at P (at most AVAIL bytes), 0 when it is not a valid one:
 * no overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_len(const unsigned char *p, size_t avail)
{
        unsigned c = p[0], v;
        size_t n;

        if (c < 0x80)
                return 1;
        if (c < 0xc2 || c > 0xf4)
                return 0;
        n = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
        if (avail < n)
                return 0;
        v = c & (0x7f >> n);
        for (size_t i = 1; i < n; i++) {
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
                v = (v << 6) | (p[i] & 0x3f);
        }
        if ((n == 3 && (v < 0x800 || (v >= 0xd800 && v <= 0xdfff))) ||
            (n == 4 && (v < 0x10000 || v > 0x10ffff)))
                return 0;
        return n;
}

static int hex4(const char *p, unsigned *ret)
{
        unsigned v = 0;

        for (int i = 0; i < 4; i++) {
                char c = p[i];

                v <<= 4;
                if (c >= '0' && c <= '9')
                        v |= (unsigned) (c - '0');
                else if (c >= 'a' && c <= 'f')
                        v |= (unsigned) (c - 'a' + 10);
                else if (c >= 'A' && c <= 'F')
                        v |= (unsigned) (c - 'A' + 10);
                else
                        return -1;
        }
        *ret = v;
        return 0;
}

static size_t utf8_put(char *out, unsigned v)
{
        if (v < 0x80) {
                out[0] = (char) v;
                return 1;
        }
        if (v < 0x800) {
                out[0] = (char) (0xc0 | (v >> 6));
                out[1] = (char) (0x80 | (v & 0x3f));
                return 2;
        }
        if (v < 0x10000) {
                out[0] = (char) (0xe0 | (v >> 12));
                out[1] = (char) (0x80 | ((v >> 6) & 0x3f));
                out[2] = (char) (0x80 | (v & 0x3f));
                return 3;
        }
        out[0] = (char) (0xf0 | (v >> 18));
        out[1] = (char) (0x80 | ((v >> 12) & 0x3f));
        out[2] = (char) (0x80 | ((v >> 6) & 0x3f));
        out[3] = (char) (0x80 | (v & 0x3f));
        return 4;
}

/* One escape after the backslash at r->p, decoded into OUT (room for 4 bytes); its length,
 * or 0 on error. */
static size_t read_escape(struct json_reader *r, char *out)
{
        static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
        const char *hit;
        unsigned v, lo;

        if (r->end - r->p < 2) {
                reader_fail(r, "premature end of input in a string");
                return 0;
        }
        if (r->p[1] != 'u') {
                hit = r->p[1] ? strchr(from, r->p[1]) : NULL;
                if (!hit) {
                        reader_fail(r, "invalid escape in a string");
                        return 0;
                }
                r->p += 2;
                out[0] = to[hit - from];
                return 1;
        }
        if (r->end - r->p < 6 || hex4(r->p + 2, &v) < 0) {
                reader_fail(r, "invalid \\u escape in a string");
                return 0;
        }
        if (v >= 0xdc00 && v <= 0xdfff) {
                reader_fail(r, "invalid Unicode escape (a lone low surrogate)");
                return 0;
        }
        if (v >= 0xd800 && v <= 0xdbff) {
                if (r->end - r->p < 12 || r->p[6] != '\\' || r->p[7] != 'u' ||
                    hex4(r->p + 8, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff) {
                        reader_fail(r, "invalid Unicode escape (a high surrogate alone)");
                        return 0;
                }
                v = 0x10000 + ((v - 0xd800) << 10) + (lo - 0xdc00);
                r->p += 6;
        }
        if (v == 0) {
                reader_fail(r, "\\u0000 is not allowed in a string");
                return 0;
        }
        r->p += 6;
        return utf8_put(out, v);
}

/* The string whose opening quote is at r->p: its bytes (in the input when it has no escape,
 * else decoded in r->scratch) and length; -1 on error. */
static int read_string(struct json_reader *r, const char **ret, size_t *ret_len)
{
        const char *s = ++r->p;
        size_t n = 0;
        bool is_copied = false;

        for (;;) {
                unsigned char c;
                size_t k;

                if (r->p >= r->end) {
                        reader_fail(r, "premature end of input in a string");
                        return -1;
                }
                c = (unsigned char) *r->p;
                if (c == '"')
                        break;
                if (c == '\\') {
                        char *out;

                        if (!is_copied) {
                                n = (size_t) (r->p - s);
                                memcpy(scratch_reserve(r, n + 4), s, n);
                                is_copied = true;
                        }
                        out = scratch_reserve(r, n + 4) + n;
                        k = read_escape(r, out);
                        if (k == 0)
                                return -1;
                        n += k;
                        continue;
                }
                if (c < 0x20) {
                        reader_fail(r, "control character in a string");
                        return -1;
                }
                k = utf8_len((const unsigned char *) r->p, (size_t) (r->end - r->p));
                if (k == 0) {
                        reader_fail(r, "invalid UTF-8 in a string");
                        return -1;
                }
                if (is_copied) {
                        memcpy(scratch_reserve(r, n + k) + n, r->p, k);
                        n += k;
                }
                r->p += k;
        }
        if (is_copied) {
                *ret = r->scratch;
                *ret_len = n;
        } else {
                *ret = s;
                *ret_len = (size_t) (r->p - s);
        }
        r->p++;
        return 0;
}

static bool at_digit(const struct json_reader *r)
{
        return r->p < r->end && *r->p >= '0' && *r->p <= '9';
}

static json_t *read_number(struct json_reader *r)
{
        const char *s = r->p;
        bool is_real = false;
        size_t n;
        char *text, *endp;

        (void) eat(r, '-');
        if (!at_digit(r)) {
                reader_fail(r, "invalid number");
                return NULL;
        }
        if (*r->p++ == '0') {
                if (at_digit(r)) {
                        reader_fail(r, "invalid number (a leading zero)");
                        return NULL;
                }
        } else {
                while (at_digit(r))
                        r->p++;
        }
        if (eat(r, '.')) {
                is_real = true;
                if (!at_digit(r)) {
                        reader_fail(r, "invalid number");
                        return NULL;
                }
                while (at_digit(r))
                        r->p++;
        }
        if (eat(r, 'e') || eat(r, 'E')) {
                is_real = true;
                if (!eat(r, '+'))
                        (void) eat(r, '-');
                if (!at_digit(r)) {
                        reader_fail(r, "invalid number");
                        return NULL;
                }
                while (at_digit(r))
                        r->p++;
        }
        n = (size_t) (r->p - s);
        text = scratch_reserve(r, n + 1);
        memcpy(text, s, n);
        text[n] = '\0';
        errno = 0;
        if (!is_real) {
                long long v = strtoll(text, &endp, 10);

                if (errno == ERANGE) {
                        reader_fail(r, v < 0 ? "too big negative integer" : "too big integer");
                        return NULL;
                }
                return json_integer((json_int_t) v);
        }
        {
                double v = strtod(text, &endp);

                if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL)) {
                        reader_fail(r, "real number overflow");
                        return NULL;
                }
                return json_real(v);
        }
}

static json_t *read_value(struct json_reader *r);

static json_t *read_object(struct json_reader *r)
{
        json_auto_t *o = json_object();

        r->p++;
        skip_ws(r);
        if (eat(r, '}'))
                return steal_ptr(o);
        for (;;) {
                const char *key;
                size_t key_len;
                _cleanup_free_ char *copy = NULL;
                json_t *v;

                if (r->p >= r->end || *r->p != '"') {
                        reader_fail(r, "string expected as an object key");
                        return NULL;
                }
                if (read_string(r, &key, &key_len) < 0)
                        return NULL;
                if (json_object_getn(o, key, key_len)) {
                        reader_fail(r, "duplicate object key");
                        return NULL;
                }
                /* the value may reuse the scratch buffer */
                if (key == r->scratch)
                        key = copy = xstrndup(key, key_len);
                skip_ws(r);
                if (!eat(r, ':')) {
                        reader_fail(r, "':' expected");
                        return NULL;
                }
                v = read_value(r);
                if (!v)
                        return NULL;
                if (json_object_setn_new_nocheck(o, key, key_len, v) < 0) {
                        reader_fail(r, "out of memory");
                        return NULL;
                }
                skip_ws(r);
                if (eat(r, ',')) {
                        skip_ws(r);
                        continue;
                }
                if (eat(r, '}'))
                        return steal_ptr(o);
                reader_fail(r, "',' or '}' expected");
                return NULL;
        }
}

static json_t *read_array(struct json_reader *r)
{
        json_auto_t *a = json_array();

        r->p++;
        skip_ws(r);
        if (eat(r, ']'))
                return steal_ptr(a);
        for (;;) {
                json_t *v = read_value(r);

                if (!v)
                        return NULL;
                if (json_array_append_new(a, v) < 0) {
                        reader_fail(r, "out of memory");
                        return NULL;
                }
                skip_ws(r);
                if (eat(r, ','))
                        continue;
                if (eat(r, ']'))
                        return steal_ptr(a);
                reader_fail(r, "',' or ']' expected");
                return NULL;
        }
}

static json_t *read_literal(struct json_reader *r, const char *word, json_t *v)
{
        size_t n = strlen(word);

        if ((size_t) (r->end - r->p) < n || memcmp(r->p, word, n) != 0) {
                reader_fail(r, "invalid token");
                return NULL;
        }
        r->p += n;
        return v;
}

static json_t *read_value(struct json_reader *r)
{
        json_t *v = NULL;

        skip_ws(r);
        if (++r->depth > JSON_PARSER_MAX_DEPTH) {
                reader_fail(r, "maximum parsing depth reached");
                return NULL;
        }
        if (r->p >= r->end) {
                reader_fail(r, "premature end of input");
                return NULL;
        }
        switch (*r->p) {
        case '{':
                v = read_object(r);
                break;
        case '[':
                v = read_array(r);
                break;
        case '"': {
                const char *s;
                size_t n;

                if (read_string(r, &s, &n) == 0)
                        v = json_stringn_nocheck(s, n);
                break;
        }
        case 't':
                v = read_literal(r, "true", json_true());
                break;
        case 'f':
                v = read_literal(r, "false", json_false());
                break;
        case 'n':
                v = read_literal(r, "null", json_null());
                break;
        default:
                if (*r->p == '-' || (*r->p >= '0' && *r->p <= '9'))
                        v = read_number(r);
                else
                        reader_fail(r, "invalid token");
        }
        r->depth--;
        return v;
}

json_t *store_json_load(const char *buf, size_t len, json_error_t *error)
{
        struct json_reader r = { .start = buf, .p = buf, .end = buf + len, .error = error };
        json_t *v = NULL;

        if (error) {
                memset(error, 0, sizeof(*error));
                error->line = error->column = error->position = -1;
        }
        skip_ws(&r);
        if (r.p >= r.end || (*r.p != '{' && *r.p != '[')) {
                reader_fail(&r, "'[' or '{' expected");
        } else {
                v = read_value(&r);
                skip_ws(&r);
                if (v && r.p != r.end) {
                        reader_fail(&r, "end of input expected");
                        json_decref(v);
                        v = NULL;
                }
        }
        free(r.scratch);
        return v;
}
