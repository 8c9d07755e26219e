/* What prints values for --format: Go's fmt verbs over JSON values, Go-compatible JSON text,
 * podman's tabwriter settings, and the cmd_output_* entry points every command calls.
 *
 * The output mirrors what podman prints, so that scripts written against podman keep working:
 * podman renders Go values with fmt and encoding/json, so the rules here are Go's (shortest
 * float forms, %!verb(type=value) markers, json.MarshalIndent's layout and escapes). */
#include <math.h>
#include "format.h"

#define MAX_TABLE_CELLS (1u << 22)
#define MAX_PRINT_DEPTH 1024
#define FMT_MAX_NUM 1000000 /* Go's fmt rejects widths and precisions above this */

/* ---------------------------------------------------------------- UTF-8 */

size_t cmd_utf8_decode(const char *s, size_t n, uint32_t *ret_cp)
{
        const unsigned char *u = (const unsigned char *) s;
        uint32_t cp, min;
        size_t len;

        if (n == 0) {
                *ret_cp = 0xFFFD;
                return 0;
        }
        if (u[0] < 0x80) {
                *ret_cp = u[0];
                return 1;
        }
        if (u[0] >= 0xC2 && u[0] <= 0xDF) {
                len = 2, cp = u[0] & 0x1F, min = 0x80;
        } else if (u[0] >= 0xE0 && u[0] <= 0xEF) {
                len = 3, cp = u[0] & 0x0F, min = 0x800;
        } else if (u[0] >= 0xF0 && u[0] <= 0xF4) {
                len = 4, cp = u[0] & 0x07, min = 0x10000;
        } else {
                *ret_cp = 0xFFFD;
                return 1;
        }
        if (n < len) {
                *ret_cp = 0xFFFD;
                return 1;
        }
        for (size_t i = 1; i < len; i++) {
                if ((u[i] & 0xC0) != 0x80) {
                        *ret_cp = 0xFFFD;
                        return 1;
                }
                cp = (cp << 6) | (u[i] & 0x3F);
        }
        /* overlong forms, surrogates and values past U+10FFFF are invalid, as in Go */
        if (cp < min || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
                *ret_cp = 0xFFFD;
                return 1;
        }
        *ret_cp = cp;
        return len;
}

static size_t rune_count(const char *s, size_t n)
{
        size_t count = 0;
        uint32_t cp;

        for (size_t i = 0; i < n; count++)
                i += cmd_utf8_decode(s + i, n - i, &cp);
        return count;
}

static void buf_rune(struct den_buf *b, uint32_t cp)
{
        char c[4];

        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                cp = 0xFFFD;
        if (cp < 0x80) {
                c[0] = (char) cp;
                den_buf_append(b, c, 1);
        } else if (cp < 0x800) {
                c[0] = (char) (0xC0 | (cp >> 6));
                c[1] = (char) (0x80 | (cp & 0x3F));
                den_buf_append(b, c, 2);
        } else if (cp < 0x10000) {
                c[0] = (char) (0xE0 | (cp >> 12));
                c[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
                c[2] = (char) (0x80 | (cp & 0x3F));
                den_buf_append(b, c, 3);
        } else {
                c[0] = (char) (0xF0 | (cp >> 18));
                c[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
                c[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
                c[3] = (char) (0x80 | (cp & 0x3F));
                den_buf_append(b, c, 4);
        }
}

void cmd_utf8_append(struct den_buf *b, uint32_t cp)
{
        buf_rune(b, cp);
}

static void buf_repeat(struct den_buf *b, char c, size_t n)
{
        char chunk[64];

        memset(chunk, c, sizeof(chunk));
        while (n > 0) {
                size_t k = n < sizeof(chunk) ? n : sizeof(chunk);

                den_buf_append(b, chunk, k);
                n -= k;
        }
}

/* ---------------------------------------------------------------- floats as Go prints them */

/* The shortest decimal digits that read back as d (finite, >= 0), as strconv finds them:
 * d = 0.DIGITS x 10^dp. */
struct decimal {
        char d[24];
        int nd;
        int dp;
};

static void shortest_decimal(double d, struct decimal *ret)
{
        char buf[40];
        int exp = 0, sign = 1, k = 0;
        const char *p;

        if (d == 0) {
                *ret = (struct decimal){ .d = "0", .nd = 1, .dp = 1 };
                return;
        }
        for (int prec = 1; prec <= 17; prec++) {
                snprintf(buf, sizeof(buf), "%.*e", prec - 1, d);
                if (strtod(buf, NULL) == d)
                        break;
        }
        for (p = buf; *p && *p != 'e'; p++)
                if (*p >= '0' && *p <= '9')
                        ret->d[k++] = *p;
        if (*p == 'e')
                p++;
        if (*p == '-' || *p == '+')
                sign = *p++ == '-' ? -1 : 1;
        for (; *p >= '0' && *p <= '9'; p++)
                exp = exp * 10 + (*p - '0');
        while (k > 1 && ret->d[k - 1] == '0')
                k--;
        ret->d[k] = 0;
        ret->nd = k;
        ret->dp = sign * exp + 1;
}

/* strconv's %e with prec digits after the point (from a shortest decimal). */
static void decimal_fmt_e(struct den_buf *b, const struct decimal *dec, char e)
{
        int exp = dec->dp - 1;

        den_buf_append(b, dec->d, 1);
        if (dec->nd > 1) {
                den_buf_append(b, ".", 1);
                den_buf_append(b, dec->d + 1, (size_t) dec->nd - 1);
        }
        den_buf_printf(b, "%c%c%02d", e, exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
}

static void decimal_fmt_f(struct den_buf *b, const struct decimal *dec)
{
        if (dec->dp > 0) {
                int k = dec->dp < dec->nd ? dec->dp : dec->nd;

                den_buf_append(b, dec->d, (size_t) k);
                buf_repeat(b, '0', (size_t) (dec->dp - k));
        } else {
                den_buf_append(b, "0", 1);
        }
        if (dec->nd > dec->dp) {
                den_buf_append(b, ".", 1);
                if (dec->dp < 0)
                        buf_repeat(b, '0', (size_t) -dec->dp);
                if (dec->dp >= 0)
                        den_buf_append(b, dec->d + dec->dp, (size_t) (dec->nd - dec->dp));
                else
                        den_buf_append(b, dec->d, (size_t) dec->nd);
        }
}

/* strconv.AppendFloat(d, verb, -1, 64) for verb e, f or g (shortest form). */
static void float_shortest(struct den_buf *b, double d, char verb)
{
        struct decimal dec;
        int exp;

        if (isnan(d)) {
                den_buf_puts(b, "NaN");
                return;
        }
        if (isinf(d)) {
                den_buf_puts(b, d < 0 ? "-Inf" : "+Inf");
                return;
        }
        if (signbit(d)) {
                den_buf_append(b, "-", 1);
                d = -d;
        }
        shortest_decimal(d, &dec);
        exp = dec.dp - 1;
        if (verb == 'e' || verb == 'E')
                decimal_fmt_e(b, &dec, verb);
        else if (verb == 'f' || verb == 'F')
                decimal_fmt_f(b, &dec);
        else if (exp < -4 || exp >= 6) /* 'g': shortest uses precision 6 for the choice */
                decimal_fmt_e(b, &dec, verb == 'G' ? 'E' : 'e');
        else
                decimal_fmt_f(b, &dec);
}

/* ---------------------------------------------------------------- JSON as encoding/json */

static void json_quote(struct den_buf *b, const char *s, size_t n, unsigned flags)
{
        static const char hex[] = "0123456789abcdef";
        bool is_html = !(flags & CMD_JSON_NO_HTML_ESCAPE);
        size_t i = 0, start = 0;

        den_buf_append(b, "\"", 1);
        while (i < n) {
                unsigned char c = (unsigned char) s[i];
                uint32_t cp;
                size_t k;

                if (c < 0x80) {
                        if (c >= 0x20 && c != '"' && c != '\\' &&
                            !(is_html && (c == '<' || c == '>' || c == '&'))) {
                                i++;
                                continue;
                        }
                        den_buf_append(b, s + start, i - start);
                        switch (c) {
                        case '"':
                        case '\\':
                                den_buf_append(b, "\\", 1);
                                den_buf_append(b, &s[i], 1);
                                break;
                        case '\b':
                                den_buf_puts(b, "\\b");
                                break;
                        case '\f':
                                den_buf_puts(b, "\\f");
                                break;
                        case '\n':
                                den_buf_puts(b, "\\n");
                                break;
                        case '\r':
                                den_buf_puts(b, "\\r");
                                break;
                        case '\t':
                                den_buf_puts(b, "\\t");
                                break;
                        default:
                                den_buf_puts(b, "\\u00");
                                den_buf_append(b, &hex[c >> 4], 1);
                                den_buf_append(b, &hex[c & 0xF], 1);
                                break;
                        }
                        start = ++i;
                        continue;
                }
                k = cmd_utf8_decode(s + i, n - i, &cp);
                if (cp == 0xFFFD && k == 1) {
                        den_buf_append(b, s + start, i - start);
                        den_buf_puts(b, "\\ufffd");
                        start = ++i;
                        continue;
                }
                if (cp == 0x2028 || cp == 0x2029) { /* Go escapes these for JSONP safety */
                        den_buf_append(b, s + start, i - start);
                        den_buf_printf(b, "\\u%04x", cp);
                        start = i + k;
                }
                i += k;
        }
        den_buf_append(b, s + start, n - start);
        den_buf_append(b, "\"", 1);
}

static void json_number_real(struct den_buf *b, double d)
{
        double a = fabs(d);
        size_t start = b->len;

        if (isnan(d) || isinf(d)) { /* not representable; jansson never holds these */
                den_buf_puts(b, "null");
                return;
        }
        if (a != 0 && (a < 1e-6 || a >= 1e21)) {
                float_shortest(b, d, 'e');
                /* Go cleans "e-09" up to "e-9" */
                if (b->len - start >= 4 && b->data[b->len - 4] == 'e' &&
                    b->data[b->len - 3] == '-' && b->data[b->len - 2] == '0') {
                        b->data[b->len - 2] = b->data[b->len - 1];
                        b->len--;
                }
        } else {
                float_shortest(b, d, 'f');
        }
}

static void json_newline(struct den_buf *b, int indent, int depth)
{
        if (indent < 0)
                return;
        den_buf_append(b, "\n", 1);
        buf_repeat(b, ' ', (size_t) indent * (size_t) depth);
}

static void json_emit(struct den_buf *b, json_t *v, int indent, unsigned flags, int depth)
{
        if (depth > MAX_PRINT_DEPTH) {
                den_buf_puts(b, "null");
                return;
        }
        switch (json_typeof(v)) {
        case JSON_OBJECT: {
                void *it = json_object_iter(v);

                if (!it) {
                        den_buf_puts(b, "{}");
                        return;
                }
                den_buf_append(b, "{", 1);
                for (bool is_first = true; it; it = json_object_iter_next(v, it)) {
                        if (!is_first)
                                den_buf_append(b, ",", 1);
                        is_first = false;
                        json_newline(b, indent, depth + 1);
                        json_quote(b, json_object_iter_key(it), json_object_iter_key_len(it),
                                   flags);
                        den_buf_puts(b, indent < 0 ? ":" : ": ");
                        json_emit(b, json_object_iter_value(it), indent, flags, depth + 1);
                }
                json_newline(b, indent, depth);
                den_buf_append(b, "}", 1);
                return;
        }
        case JSON_ARRAY:
                if (json_array_size(v) == 0) {
                        den_buf_puts(b, "[]");
                        return;
                }
                den_buf_append(b, "[", 1);
                for (size_t i = 0; i < json_array_size(v); i++) {
                        if (i > 0)
                                den_buf_append(b, ",", 1);
                        json_newline(b, indent, depth + 1);
                        json_emit(b, json_array_get(v, i), indent, flags, depth + 1);
                }
                json_newline(b, indent, depth);
                den_buf_append(b, "]", 1);
                return;
        case JSON_STRING:
                json_quote(b, json_string_value(v), json_string_length(v), flags);
                return;
        case JSON_INTEGER:
                den_buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
                return;
        case JSON_REAL:
                json_number_real(b, json_real_value(v));
                return;
        case JSON_TRUE:
                den_buf_puts(b, "true");
                return;
        case JSON_FALSE:
                den_buf_puts(b, "false");
                return;
        case JSON_NULL:
        default:
                den_buf_puts(b, "null");
                return;
        }
}

void cmd_json_append(struct den_buf *b, json_t *v, int indent, unsigned flags)
{
        if (!v)
                den_buf_puts(b, "null");
        else
                json_emit(b, v, indent, flags, 0);
}

void cmd_print_json_full(FILE *out, json_t *v, int indent, unsigned flags)
{
        struct den_buf b = { 0 };

        cmd_json_append(&b, v, indent, flags);
        den_buf_append(&b, "\n", 1);
        (void) fwrite(b.data, 1, b.len, out);
        den_buf_free(&b);
}

void cmd_print_json(FILE *out, json_t *v)
{
        cmd_print_json_full(out, v, 4, 0);
}

/* ---------------------------------------------------------------- Go's fmt */

const char *cmd_fmt_type_name(json_t *v)
{
        switch (v ? json_typeof(v) : JSON_NULL) {
        case JSON_OBJECT:
                return "map[string]interface {}";
        case JSON_ARRAY:
                return "[]interface {}";
        case JSON_STRING:
                return "string";
        case JSON_INTEGER:
                return "int";
        case JSON_REAL:
                return "float64";
        case JSON_TRUE:
        case JSON_FALSE:
                return "bool";
        case JSON_NULL:
        default:
                return "<nil>";
        }
}

struct spec {
        bool is_minus, is_plus, is_sharp, is_zero, is_space;
        bool has_wid, has_prec;
        int wid, prec;
        uint32_t verb;
};

/* Go's fmt.pad: width counts runes; zero padding only where the caller left it on. */
static void pad(struct den_buf *b, const struct spec *f, const char *s, size_t n)
{
        size_t w = f->has_wid ? (size_t) f->wid : 0, runes;

        if (w == 0) {
                den_buf_append(b, s, n);
                return;
        }
        runes = rune_count(s, n);
        if (runes >= w) {
                den_buf_append(b, s, n);
        } else if (f->is_minus) {
                den_buf_append(b, s, n);
                buf_repeat(b, ' ', w - runes);
        } else {
                buf_repeat(b, f->is_zero ? '0' : ' ', w - runes);
                den_buf_append(b, s, n);
        }
}

static void pad_str(struct den_buf *b, const struct spec *f, const char *s)
{
        pad(b, f, s, strlen(s));
}

/* Go's unicode.IsPrint, closely enough for quoting: the C1 controls, the non-ASCII spaces,
 * the format characters and private use areas are not printable. */
static bool rune_is_print(uint32_t r)
{
        if (r < 0x80)
                return r >= 0x20 && r < 0x7F;
        return !(r < 0xA1 || r == 0xAD || (r >= 0x2000 && r <= 0x200F) ||
                 (r >= 0x2028 && r <= 0x202F) || (r >= 0x205F && r <= 0x206F) || r == 0x3000 ||
                 r == 0xFEFF || (r >= 0xFFF9 && r <= 0xFFFB) || (r >= 0xE000 && r <= 0xF8FF) ||
                 r >= 0xF0000 || r == 0xFFFE || r == 0xFFFF);
}

static void quote_rune(struct den_buf *b, uint32_t r, char quote, bool is_ascii)
{
        static const char hex[] = "0123456789abcdef";

        if (r == (uint32_t) quote || r == '\\') {
                den_buf_append(b, "\\", 1);
                buf_rune(b, r);
                return;
        }
        if (is_ascii ? (r < 0x80 && rune_is_print(r)) : rune_is_print(r)) {
                buf_rune(b, r);
                return;
        }
        switch (r) {
        case '\a':
                den_buf_puts(b, "\\a");
                return;
        case '\b':
                den_buf_puts(b, "\\b");
                return;
        case '\f':
                den_buf_puts(b, "\\f");
                return;
        case '\n':
                den_buf_puts(b, "\\n");
                return;
        case '\r':
                den_buf_puts(b, "\\r");
                return;
        case '\t':
                den_buf_puts(b, "\\t");
                return;
        case '\v':
                den_buf_puts(b, "\\v");
                return;
        default:
                break;
        }
        if (r < 0x20 || r == 0x7F) {
                den_buf_puts(b, "\\x");
                den_buf_append(b, &hex[r >> 4], 1);
                den_buf_append(b, &hex[r & 0xF], 1);
        } else if (r < 0x10000) {
                den_buf_printf(b, "\\u%04x", r);
        } else {
                den_buf_printf(b, "\\U%08x", r);
        }
}

/* strconv.Quote / QuoteToASCII. */
static void go_quote(struct den_buf *b, const char *s, size_t n, bool is_ascii)
{
        static const char hex[] = "0123456789abcdef";

        den_buf_append(b, "\"", 1);
        for (size_t i = 0; i < n;) {
                uint32_t r;
                size_t k = cmd_utf8_decode(s + i, n - i, &r);

                if (r == 0xFFFD && k == 1) {
                        unsigned char c = (unsigned char) s[i];

                        den_buf_puts(b, "\\x");
                        den_buf_append(b, &hex[c >> 4], 1);
                        den_buf_append(b, &hex[c & 0xF], 1);
                } else {
                        quote_rune(b, r, '"', is_ascii);
                }
                i += k;
        }
        den_buf_append(b, "\"", 1);
}

void cmd_fmt_quote(struct den_buf *b, const char *s, size_t n)
{
        go_quote(b, s, n, false);
}

static bool can_backquote(const char *s, size_t n)
{
        for (size_t i = 0; i < n;) {
                uint32_t r;
                size_t k = cmd_utf8_decode(s + i, n - i, &r);

                if ((r == 0xFFFD && k == 1) || r == '`' || r == 0xFEFF || r == 0x7F ||
                    (r < 0x20 && r != '\t'))
                        return false;
                i += k;
        }
        return true;
}

/* The byte length of the first prec runes of s. */
static size_t truncate_runes(const char *s, size_t n, const struct spec *f)
{
        size_t i = 0;
        uint32_t r;

        if (!f->has_prec)
                return n;
        for (int k = 0; k < f->prec && i < n; k++)
                i += cmd_utf8_decode(s + i, n - i, &r);
        return i;
}

static void fmt_q(struct den_buf *b, const struct spec *f, const char *s, size_t n)
{
        struct den_buf q = { 0 };

        n = truncate_runes(s, n, f);
        if (f->is_sharp && can_backquote(s, n)) {
                den_buf_append(&q, "`", 1);
                den_buf_append(&q, s, n);
                den_buf_append(&q, "`", 1);
        } else {
                go_quote(&q, s, n, f->is_plus);
        }
        pad(b, f, q.data, q.len);
        den_buf_free(&q);
}

/* fmt's %x / %X of a string: hex of its bytes. */
static void fmt_sx(struct den_buf *b, const struct spec *f, const char *s, size_t n, bool is_upper)
{
        const char *digits = is_upper ? "0123456789ABCDEF" : "0123456789abcdef";
        size_t len = n, width;

        if (f->has_prec && (size_t) f->prec < len)
                len = (size_t) f->prec;
        width = 2 * len;
        if (width == 0) {
                if (f->has_wid)
                        buf_repeat(b, ' ', (size_t) f->wid);
                return;
        }
        if (f->is_space)
                width = (f->is_sharp ? width * 2 : width) + len - 1;
        else if (f->is_sharp)
                width += 2;
        if (f->has_wid && (size_t) f->wid > width && !f->is_minus)
                buf_repeat(b, ' ', (size_t) f->wid - width);
        if (f->is_sharp) {
                den_buf_append(b, "0", 1);
                den_buf_append(b, is_upper ? "X" : "x", 1);
        }
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char) s[i];

                if (f->is_space && i > 0) {
                        den_buf_append(b, " ", 1);
                        if (f->is_sharp) {
                                den_buf_append(b, "0", 1);
                                den_buf_append(b, is_upper ? "X" : "x", 1);
                        }
                }
                den_buf_append(b, &digits[c >> 4], 1);
                den_buf_append(b, &digits[c & 0xF], 1);
        }
        if (f->has_wid && (size_t) f->wid > width && f->is_minus)
                buf_repeat(b, ' ', (size_t) f->wid - width);
}

static void bad_verb(struct den_buf *b, const struct spec *f, json_t *v);
static void fmt_arg(struct den_buf *b, const struct spec *f, json_t *v, int depth);

/* fmt.fmtInteger. */
static void fmt_integer(struct den_buf *b, const struct spec *f, long long v, int base,
                        bool is_upper)
{
        const char *digits = is_upper ? "0123456789ABCDEFX" : "0123456789abcdefx";
        char tmp[72];
        size_t i = sizeof(tmp), prec = 0;
        bool is_neg = v < 0;
        unsigned long long u = is_neg ? 0ULL - (unsigned long long) v : (unsigned long long) v;
        struct spec nz = *f;
        struct den_buf num = { 0 };

        if (f->has_prec) {
                prec = (size_t) f->prec;
                if (prec == 0 && u == 0) { /* "print nothing" but the padding */
                        if (f->has_wid)
                                buf_repeat(b, ' ', (size_t) f->wid);
                        return;
                }
        } else if (f->is_zero && !f->is_minus && f->has_wid) {
                prec = (size_t) f->wid;
                if (prec > 0 && (is_neg || f->is_plus || f->is_space))
                        prec--; /* room for the sign */
        }
        do {
                tmp[--i] = digits[u % (unsigned) base];
                u /= (unsigned) base;
        } while (u);
        if (is_neg)
                den_buf_append(&num, "-", 1);
        else if (f->is_plus)
                den_buf_append(&num, "+", 1);
        else if (f->is_space)
                den_buf_append(&num, " ", 1);
        if (f->is_sharp && base == 2)
                den_buf_puts(&num, "0b");
        else if (f->is_sharp && base == 16) {
                den_buf_append(&num, "0", 1);
                den_buf_append(&num, &digits[16], 1);
        }
        if (f->verb == 'O')
                den_buf_puts(&num, "0o");
        if (prec > sizeof(tmp) - i)
                buf_repeat(&num, '0', prec - (sizeof(tmp) - i));
        else if (f->is_sharp && base == 8 && tmp[i] != '0')
                den_buf_append(&num, "0", 1);
        den_buf_append(&num, tmp + i, sizeof(tmp) - i);
        nz.is_zero = false;
        pad(b, &nz, num.data, num.len);
        den_buf_free(&num);
}

/* strconv.AppendFloat(d, c, prec, 64); prec < 0 is the shortest form. */
static void float_text(struct den_buf *num, double d, char c, int prec)
{
        if (c == 'b') {
                uint64_t bits;
                int exp;

                memcpy(&bits, &d, sizeof(bits));
                exp = (int) ((bits >> 52) & 0x7FF);
                bits &= (1ULL << 52) - 1;
                if (exp == 0)
                        exp++;
                else
                        bits |= 1ULL << 52;
                den_buf_printf(num, "%s%llup%+d", signbit(d) ? "-" : "", (unsigned long long) bits,
                               exp - 1075);
        } else if ((c == 'x' || c == 'X') && !isnan(d) && !isinf(d)) {
                char tmp[64], *p;

                snprintf(tmp, sizeof(tmp), c == 'x' ? "%.*a" : "%.*A", prec < 0 ? 13 : prec, d);
                p = strpbrk(tmp, "pP");
                if (prec < 0 && p) { /* shortest: drop the mantissa's trailing zeros */
                        char *z = p;

                        while (z[-1] == '0' && z - 1 > tmp + 2)
                                z--;
                        if (z[-1] == '.')
                                z--;
                        memmove(z, p, strlen(p) + 1);
                        p = z;
                }
                if (p && p[1] && p[2] && !p[3]) { /* Go prints two exponent digits */
                        p[4] = 0;
                        p[3] = p[2];
                        p[2] = '0';
                }
                den_buf_puts(num, tmp);
        } else if (isnan(d) || isinf(d) || prec < 0) {
                float_shortest(num, d, c);
        } else {
                /* %e, %f and %g with a precision round the same way in C and Go */
                if (c == 'e')
                        den_buf_printf(num, "%.*e", prec, d);
                else if (c == 'E')
                        den_buf_printf(num, "%.*E", prec, d);
                else if (c == 'f')
                        den_buf_printf(num, "%.*f", prec, d);
                else if (c == 'G')
                        den_buf_printf(num, "%.*G", prec, d);
                else
                        den_buf_printf(num, "%.*g", prec, d);
        }
}

/* fmt.fmtFloat: strconv's text, then fmt's sign and zero-padding rules. */
static void fmt_float(struct den_buf *b, const struct spec *f, double d, uint32_t verb)
{
        struct den_buf num = { 0 }, t = { 0 };
        char c = verb == 'v' ? 'g' : verb == 'F' ? 'f' : (char) verb, sign = '+';
        int prec = f->has_prec ? f->prec : (c == 'g' || c == 'G' || c == 'b') ? -1 : 6;
        const char *digits;
        size_t dlen;
        struct spec nz = *f;

        if ((c == 'x' || c == 'X') && !f->has_prec)
                prec = -1;
        float_text(&num, d, c, prec);
        digits = num.data;
        if (digits[0] == '-' || digits[0] == '+')
                sign = *digits++;
        dlen = num.len - (size_t) (digits - num.data);
        if (f->is_space && sign == '+' && !f->is_plus)
                sign = ' ';
        if (digits[0] == 'I' || digits[0] == 'N') {
                nz.is_zero = false;
                if (!(digits[0] == 'N' && !f->is_space && !f->is_plus))
                        den_buf_append(&t, &sign, 1);
                den_buf_append(&t, digits, dlen);
                pad(b, &nz, t.data, t.len);
        } else if (f->is_plus || sign != '+') {
                if (f->is_zero && !f->is_minus && f->has_wid && (size_t) f->wid > dlen + 1) {
                        den_buf_append(b, &sign, 1);
                        buf_repeat(b, '0', (size_t) f->wid - dlen - 1);
                        den_buf_append(b, digits, dlen);
                } else {
                        den_buf_append(&t, &sign, 1);
                        den_buf_append(&t, digits, dlen);
                        pad(b, f, t.data, t.len);
                }
        } else {
                pad(b, f, digits, dlen);
        }
        den_buf_free(&t);
        den_buf_free(&num);
}

static void fmt_rune_verbs(struct den_buf *b, const struct spec *f, long long i)
{
        struct den_buf t = { 0 };
        uint32_t r = i < 0 || i > 0x10FFFF || (i >= 0xD800 && i <= 0xDFFF) ? 0xFFFD : (uint32_t) i;

        if (f->verb == 'c') {
                buf_rune(&t, r);
        } else if (f->verb == 'q') {
                den_buf_append(&t, "'", 1);
                quote_rune(&t, r, '\'', f->is_plus);
                den_buf_append(&t, "'", 1);
        } else { /* 'U' */
                int digits = f->has_prec && f->prec > 4 ? f->prec : 4;

                if (i < 0)
                        den_buf_printf(&t, "U+%0*llX", digits, (unsigned long long) i);
                else
                        den_buf_printf(&t, "U+%0*llX", digits, i);
                if (f->is_sharp && i >= 0 && i <= 0x10FFFF && rune_is_print(r)) {
                        den_buf_puts(&t, " '");
                        buf_rune(&t, r);
                        den_buf_puts(&t, "'");
                }
        }
        pad(b, f, t.data, t.len);
        den_buf_free(&t);
}

static void fmt_int_value(struct den_buf *b, const struct spec *f, json_t *v)
{
        long long i = json_integer_value(v);

        switch (f->verb) {
        case 'v':
        case 'd':
                fmt_integer(b, f, i, 10, false);
                return;
        case 'b':
                fmt_integer(b, f, i, 2, false);
                return;
        case 'o':
        case 'O':
                fmt_integer(b, f, i, 8, false);
                return;
        case 'x':
        case 'X':
                fmt_integer(b, f, i, 16, f->verb == 'X');
                return;
        case 'c':
        case 'q':
        case 'U':
                fmt_rune_verbs(b, f, i);
                return;
        default:
                bad_verb(b, f, v);
                return;
        }
}

static void fmt_string(struct den_buf *b, const struct spec *f, json_t *v)
{
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);

        switch (f->verb) {
        case 'v':
        case 's':
                pad(b, f, s, truncate_runes(s, n, f));
                return;
        case 'q':
                fmt_q(b, f, s, n);
                return;
        case 'x':
        case 'X':
                fmt_sx(b, f, s, n, f->verb == 'X');
                return;
        default:
                bad_verb(b, f, v);
                return;
        }
}

/* "%!z(string=abc)", Go's marker for a verb that does not fit the value. */
static void bad_verb(struct den_buf *b, const struct spec *f, json_t *v)
{
        struct spec vs = *f;

        vs.verb = 'v';
        den_buf_puts(b, "%!");
        buf_rune(b, f->verb);
        den_buf_append(b, "(", 1);
        if (!v || json_is_null(v)) {
                den_buf_puts(b, "<nil>");
        } else {
                den_buf_puts(b, cmd_fmt_type_name(v));
                den_buf_append(b, "=", 1);
                fmt_arg(b, &vs, v, 0);
        }
        den_buf_append(b, ")", 1);
}

static int kv_cmp(const void *a, const void *b)
{
        const struct cmd_kv *x = a, *y = b;
        size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
        int r = memcmp(x->key, y->key, n);

        return r ? r : (x->key_len > y->key_len) - (x->key_len < y->key_len);
}

struct cmd_kv *cmd_object_sorted(json_t *obj, size_t *ret_n)
{
        size_t n = json_object_size(obj), k = 0;
        struct cmd_kv *kv = xcalloc(n ? n : 1, sizeof(*kv));

        for (void *it = json_object_iter(obj); it && k < n; it = json_object_iter_next(obj, it))
                kv[k++] = (struct cmd_kv){ .key = json_object_iter_key(it),
                                           .key_len = json_object_iter_key_len(it),
                                           .value = json_object_iter_value(it) };
        qsort(kv, k, sizeof(*kv), kv_cmp);
        *ret_n = k;
        return kv;
}

/* %#v: Go-syntax representation of the value as an interface{} would print. */
static void fmt_sharp_v(struct den_buf *b, json_t *v, int depth)
{
        size_t n;
        struct cmd_kv *kv;

        if (depth > MAX_PRINT_DEPTH) {
                den_buf_puts(b, "...");
                return;
        }
        switch (v ? json_typeof(v) : JSON_NULL) {
        case JSON_NULL:
                den_buf_puts(b, depth > 0 ? "interface {}(nil)" : "<nil>");
                return;
        case JSON_STRING:
                go_quote(b, json_string_value(v), json_string_length(v), false);
                return;
        case JSON_ARRAY:
                den_buf_puts(b, "[]interface {}{");
                for (size_t i = 0; i < json_array_size(v); i++) {
                        if (i > 0)
                                den_buf_puts(b, ", ");
                        fmt_sharp_v(b, json_array_get(v, i), depth + 1);
                }
                den_buf_puts(b, "}");
                return;
        case JSON_OBJECT:
                kv = cmd_object_sorted(v, &n);
                den_buf_puts(b, "map[string]interface {}{");
                for (size_t i = 0; i < n; i++) {
                        if (i > 0)
                                den_buf_puts(b, ", ");
                        go_quote(b, kv[i].key, kv[i].key_len, false);
                        den_buf_append(b, ":", 1);
                        fmt_sharp_v(b, kv[i].value, depth + 1);
                }
                den_buf_puts(b, "}");
                free(kv);
                return;
        case JSON_INTEGER:
        case JSON_REAL:
        case JSON_TRUE:
        case JSON_FALSE:
        default:
                cmd_fmt_value(b, v);
                return;
        }
}

static void fmt_object(struct den_buf *b, const struct spec *f, json_t *v, int depth)
{
        size_t n;
        struct cmd_kv *kv = cmd_object_sorted(v, &n);

        den_buf_puts(b, "map[");
        for (size_t i = 0; i < n; i++) {
                json_t *key = json_stringn_nocheck(kv[i].key, kv[i].key_len);

                if (i > 0)
                        den_buf_append(b, " ", 1);
                fmt_arg(b, f, key, depth + 1);
                den_buf_append(b, ":", 1);
                fmt_arg(b, f, kv[i].value, depth + 1);
                json_decref(key);
        }
        den_buf_append(b, "]", 1);
        free(kv);
}

/* fmt's printArg/printValue for one value under one verb; arrays and objects apply the verb
 * to each element, as Go does for slices and maps. */
static void fmt_arg(struct den_buf *b, const struct spec *f, json_t *v, int depth)
{
        if (depth > MAX_PRINT_DEPTH) {
                den_buf_puts(b, "...");
                return;
        }
        if (f->verb == 'T') {
                pad_str(b, f, cmd_fmt_type_name(v));
                return;
        }
        if (f->verb == 'v' && f->is_sharp) {
                struct den_buf t = { 0 };

                fmt_sharp_v(&t, v, depth);
                pad(b, f, t.data, t.len);
                den_buf_free(&t);
                return;
        }
        switch (v ? json_typeof(v) : JSON_NULL) {
        case JSON_NULL:
                /* a nil element of a slice or map prints <nil> under any verb */
                if (f->verb == 'v' || depth > 0)
                        pad_str(b, f, "<nil>");
                else
                        bad_verb(b, f, v);
                return;
        case JSON_TRUE:
        case JSON_FALSE:
                if (f->verb == 'v' || f->verb == 't')
                        pad_str(b, f, json_is_true(v) ? "true" : "false");
                else
                        bad_verb(b, f, v);
                return;
        case JSON_INTEGER:
                fmt_int_value(b, f, v);
                return;
        case JSON_REAL:
                if (f->verb < 0x80 && strchr("vbgGxXfFeE", (int) f->verb))
                        fmt_float(b, f, json_real_value(v), f->verb);
                else
                        bad_verb(b, f, v);
                return;
        case JSON_STRING:
                fmt_string(b, f, v);
                return;
        case JSON_ARRAY:
                den_buf_append(b, "[", 1);
                for (size_t i = 0; i < json_array_size(v); i++) {
                        if (i > 0)
                                den_buf_append(b, " ", 1);
                        fmt_arg(b, f, json_array_get(v, i), depth + 1);
                }
                den_buf_append(b, "]", 1);
                return;
        case JSON_OBJECT:
        default:
                fmt_object(b, f, v, depth);
                return;
        }
}

void cmd_fmt_value(struct den_buf *b, json_t *v)
{
        struct spec f = { .verb = 'v' };

        fmt_arg(b, &f, v, 0);
}

void cmd_fmt_print(struct den_buf *b, json_t *const *args, size_t n, bool is_ln)
{
        bool was_string = false;

        for (size_t i = 0; i < n; i++) {
                bool is_string = args[i] && json_is_string(args[i]);

                if (i > 0 && (is_ln || (!is_string && !was_string)))
                        den_buf_append(b, " ", 1);
                cmd_fmt_value(b, args[i]);
                was_string = is_string;
        }
        if (is_ln)
                den_buf_append(b, "\n", 1);
}

/* fmt's parsenum: false when the number is absurdly large (Go then gives up on the verb). */
static bool parse_num(const char *s, size_t n, size_t *i, int *ret, bool *ret_has)
{
        int num = 0;

        *ret_has = false;
        for (; *i < n && s[*i] >= '0' && s[*i] <= '9'; (*i)++) {
                if (num > FMT_MAX_NUM)
                        return false;
                num = num * 10 + (s[*i] - '0');
                *ret_has = true;
        }
        *ret = num;
        return true;
}

/* A '*' width or precision: Go accepts only an int operand. */
static bool star_arg(json_t *const *args, size_t n, size_t *argn, int *ret)
{
        long long v;

        if (*argn >= n || !args[*argn] || !json_is_integer(args[*argn]))
                return false;
        v = json_integer_value(args[(*argn)++]);
        if (v > FMT_MAX_NUM || v < -FMT_MAX_NUM)
                return false;
        *ret = (int) v;
        return true;
}

/* Flags, width and precision of one directive; returns false when the format ends early. */
static bool parse_spec(const char *s, size_t n, size_t *i, json_t *const *args, size_t nargs,
                       size_t *argn, struct spec *f, struct den_buf *b)
{
        for (; *i < n; (*i)++) {
                char c = s[*i];

                if (c == '#')
                        f->is_sharp = true;
                else if (c == '0')
                        f->is_zero = !f->is_minus;
                else if (c == '+')
                        f->is_plus = true;
                else if (c == '-')
                        f->is_minus = true, f->is_zero = false;
                else if (c == ' ')
                        f->is_space = true;
                else
                        break;
        }
        if (*i < n && s[*i] == '*') {
                (*i)++;
                f->has_wid = star_arg(args, nargs, argn, &f->wid);
                if (!f->has_wid)
                        den_buf_puts(b, "%!(BADWIDTH)");
                else if (f->wid < 0)
                        f->wid = -f->wid, f->is_minus = true, f->is_zero = false;
        } else if (!parse_num(s, n, i, &f->wid, &f->has_wid)) {
                return false;
        }
        if (*i < n && s[*i] == '.') {
                (*i)++;
                if (*i < n && s[*i] == '*') {
                        (*i)++;
                        f->has_prec = star_arg(args, nargs, argn, &f->prec);
                        if (f->has_prec && f->prec < 0)
                                f->has_prec = false, f->prec = 0;
                        else if (!f->has_prec)
                                den_buf_puts(b, "%!(BADPREC)");
                } else {
                        if (!parse_num(s, n, i, &f->prec, &f->has_prec))
                                return false;
                        f->has_prec = true;
                }
        }
        return *i < n;
}

int cmd_fmt_printf(struct den_buf *b, const char *s, size_t n, json_t *const *args, size_t nargs,
                   size_t limit)
{
        size_t i = 0, argn = 0;

        while (i < n) {
                size_t start = i;
                struct spec f = { 0 };

                if (b->len > limit)
                        return -1;
                while (i < n && s[i] != '%')
                        i++;
                den_buf_append(b, s + start, i - start);
                if (i >= n)
                        break;
                i++;
                if (!parse_spec(s, n, &i, args, nargs, &argn, &f, b)) {
                        den_buf_puts(b, "%!(NOVERB)");
                        break;
                }
                i += cmd_utf8_decode(s + i, n - i, &f.verb);
                if (f.verb == '%') {
                        den_buf_append(b, "%", 1);
                } else if (argn >= nargs) {
                        den_buf_puts(b, "%!");
                        buf_rune(b, f.verb);
                        den_buf_puts(b, "(MISSING)");
                } else if (f.verb == 'w') {
                        bad_verb(b, &f, args[argn++]);
                } else {
                        fmt_arg(b, &f, args[argn++], 0);
                }
        }
        if (argn < nargs) {
                den_buf_puts(b, "%!(EXTRA ");
                for (size_t k = argn; k < nargs; k++) {
                        if (k > argn)
                                den_buf_puts(b, ", ");
                        if (!args[k] || json_is_null(args[k])) {
                                den_buf_puts(b, "<nil>");
                                continue;
                        }
                        den_buf_puts(b, cmd_fmt_type_name(args[k]));
                        den_buf_append(b, "=", 1);
                        cmd_fmt_value(b, args[k]);
                }
                den_buf_append(b, ")", 1);
        }
        return b->len > limit ? -1 : 0;
}

/* ---------------------------------------------------------------- tabwriter */

#define TAB_MINWIDTH 12
#define TAB_PADDING 2

struct tab_cell {
        uint32_t off, len, width, block;
};

struct tab_line {
        uint32_t first, n;
};

/* Splits the text into lines of cells. As in Go's tabwriter, every line ended by "\n" ends
 * with a cell (possibly empty), while an unterminated last line has a final cell only when
 * it is not empty. */
static void tab_split(const char *s, size_t n, struct tab_cell *cells, struct tab_line *lines,
                      size_t *ret_cells, size_t *ret_lines)
{
        size_t nc = 0, nl = 0, start = 0;

        lines[0].first = 0;
        for (size_t i = 0; i < n; i++) {
                if (s[i] != '\t' && s[i] != '\n')
                        continue;
                cells[nc++] =
                        (struct tab_cell){ .off = (uint32_t) start,
                                           .len = (uint32_t) (i - start),
                                           .width = (uint32_t) rune_count(s + start, i - start) };
                start = i + 1;
                if (s[i] == '\n') {
                        lines[nl].n = (uint32_t) nc - lines[nl].first;
                        lines[++nl].first = (uint32_t) nc;
                }
        }
        if (start < n)
                cells[nc++] =
                        (struct tab_cell){ .off = (uint32_t) start,
                                           .len = (uint32_t) (n - start),
                                           .width = (uint32_t) rune_count(s + start, n - start) };
        lines[nl].n = (uint32_t) nc - lines[nl].first;
        *ret_cells = nc;
        *ret_lines = nl + 1;
}

/* A column block is a run of consecutive lines that all have a cell in that column which is
 * not their last cell; Go's tabwriter finds these recursively, column by column. Because a
 * line with column j also has column j-1, the runs nest, so one pass over the lines that
 * keeps the open block of each column finds the same blocks without recursion. */
static uint32_t *tab_blocks(struct tab_cell *cells, const struct tab_line *lines, size_t nl,
                            size_t nc)
{
        uint32_t *width = xcalloc(nc ? nc : 1, sizeof(*width));
        uint32_t *open = xcalloc(nc ? nc : 1, sizeof(*open));
        uint32_t nblocks = 0, prev = 0;

        for (size_t l = 0; l < nl; l++) {
                uint32_t k = lines[l].n ? lines[l].n - 1 : 0;

                for (uint32_t j = k < prev ? k : prev; j < k; j++) {
                        open[j] = nblocks;
                        width[nblocks++] = TAB_MINWIDTH;
                }
                for (uint32_t j = 0; j < k; j++) {
                        struct tab_cell *c = &cells[lines[l].first + j];

                        c->block = open[j];
                        if (c->width + TAB_PADDING > width[c->block])
                                width[c->block] = c->width + TAB_PADDING;
                }
                prev = k;
        }
        free(open);
        return width;
}

int cmd_tabwrite(const char *s, size_t n, struct den_buf *out, den_error **err)
{
        size_t nc = 1, nl = 1;
        _cleanup_free_ struct tab_cell *cells = NULL;
        _cleanup_free_ struct tab_line *lines = NULL;
        _cleanup_free_ uint32_t *width = NULL;

        if (n >= UINT32_MAX)
                return den_error_set(err, EFBIG, "table output is too large");
        for (size_t i = 0; i < n; i++) {
                nc += s[i] == '\t' || s[i] == '\n';
                nl += s[i] == '\n';
        }
        if (nc > MAX_TABLE_CELLS)
                return den_error_set(err, E2BIG, "table output has more than %u cells",
                                     MAX_TABLE_CELLS);
        cells = xcalloc(nc, sizeof(*cells));
        lines = xcalloc(nl, sizeof(*lines));
        tab_split(s, n, cells, lines, &nc, &nl);
        width = tab_blocks(cells, lines, nl, nc);
        for (size_t l = 0; l < nl; l++) {
                for (uint32_t j = 0; j < lines[l].n; j++) {
                        const struct tab_cell *c = &cells[lines[l].first + j];

                        den_buf_append(out, s + c->off, c->len);
                        if (j + 1 < lines[l].n)
                                buf_repeat(out, ' ', width[c->block] - c->width);
                }
                if (l + 1 < nl)
                        den_buf_append(out, "\n", 1);
        }
        return 0;
}

/* ---------------------------------------------------------------- output entry points */

static const char *skip_space(const char *p)
{
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f')
                p++;
        return p;
}

bool cmd_format_is_json(const char *format)
{
        const char *p;

        if (!format)
                return false;
        p = skip_space(format);
        if (den_str_has_prefix(p, "json"))
                return *skip_space(p + 4) == 0;
        if (!den_str_has_prefix(p, "{{"))
                return false;
        p = skip_space(p + 2);
        if (!den_str_has_prefix(p, "json"))
                return false;
        p = skip_space(p + 4);
        if (*p == '.')
                p = skip_space(p + 1);
        if (!den_str_has_prefix(p, "}}"))
                return false;
        return *skip_space(p + 2) == 0;
}

static void write_buf(FILE *out, const struct den_buf *b)
{
        if (b->len)
                (void) fwrite(b->data, 1, b->len, out);
}

static int print_table(FILE *out, const struct cmd_template *t, json_t *rows,
                       const struct cmd_header *headers, bool has_heading, den_error **err)
{
        struct den_buf b = { 0 }, aligned = { 0 };
        int r = 0;

        if (has_heading)
                r = cmd_template_exec_header(t, headers, &b, err);
        for (size_t i = 0; r >= 0 && i < json_array_size(rows); i++)
                r = cmd_template_exec(t, json_array_get(rows, i), &b, err);
        if (r >= 0)
                r = cmd_tabwrite(b.data ? b.data : "", b.len, &aligned, err);
        if (r >= 0)
                write_buf(out, &aligned);
        den_buf_free(&b);
        den_buf_free(&aligned);
        return r < 0 ? -1 : 0;
}

int cmd_output_rows_opts(FILE *out, json_t *rows, json_t *json_rows,
                         const struct cmd_output_opts *o, den_error **err)
{
        _cleanup_(cmd_template_freep) struct cmd_template *t = NULL;
        json_auto_t *list = json_is_array(rows) ? json_incref(rows) : json_pack("[O]", rows);
        const char *format = o->format;
        struct den_buf b = { 0 };
        int r = 0;

        if (!format || !*format || streq(format, "table"))
                format = o->default_table ? o->default_table : "json";
        if (cmd_format_is_json(format)) {
                cmd_print_json(out, json_rows ? json_rows : rows);
                return 0;
        }
        if (cmd_template_compile_full(format, CMD_TEMPLATE_LINE, &t, err) < 0)
                return -1;
        if (cmd_template_is_table(t))
                return print_table(out, t, list, o->headers, !o->is_no_heading, err);
        /* rows print as they come, as podman's plain templates do */
        for (size_t i = 0; r >= 0 && i < json_array_size(list); i++) {
                b.len = 0;
                r = cmd_template_exec(t, json_array_get(list, i), &b, err);
                if (r >= 0)
                        write_buf(out, &b);
        }
        den_buf_free(&b);
        return r < 0 ? -1 : 0;
}

int cmd_output_rows(FILE *out, json_t *rows, json_t *json_rows, const char *format,
                    const char *default_table, const struct cmd_header *headers, den_error **err)
{
        struct cmd_output_opts o = {
                .format = format,
                .default_table = default_table,
                .headers = headers,
        };

        return cmd_output_rows_opts(out, rows, json_rows, &o, err);
}

int cmd_output_one(FILE *out, json_t *obj, const char *format, den_error **err)
{
        _cleanup_(cmd_template_freep) struct cmd_template *t = NULL;
        json_auto_t *list = NULL;
        struct den_buf b = { 0 };
        int r;

        if (!format || !*format || cmd_format_is_json(format)) {
                cmd_print_json(out, obj);
                return 0;
        }
        if (cmd_template_compile_full(format, CMD_TEMPLATE_LINE, &t, err) < 0)
                return -1;
        if (cmd_template_is_table(t)) {
                list = json_pack("[O]", obj);
                return print_table(out, t, list, NULL, true, err);
        }
        r = cmd_template_exec(t, obj, &b, err);
        if (r >= 0)
                write_buf(out, &b);
        den_buf_free(&b);
        return r < 0 ? -1 : 0;
}
