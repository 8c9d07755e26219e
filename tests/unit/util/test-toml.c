/* Tests for util/toml.c: the value types, tables and arrays of tables as registries.conf uses
 * them, the TOML rules on redefinition, error positions, and the bounds. */
#include <math.h>

#include "util/util.h"
#include "tap.h"

static struct den_toml *parse(const char *doc)
{
        struct den_toml *t = NULL;
        den_error *err = NULL;

        if (den_toml_parse(doc, strlen(doc), "test.toml", &t, &err) < 0) {
                printf("# unexpected error: %s\n", err->msg);
                den_error_free(err);
                return NULL;
        }
        return t;
}

/* The error message for doc, or NULL when it parses. */
static char *parse_error(const char *doc, size_t len)
{
        struct den_toml *t = NULL;
        den_error *err = NULL;
        char *msg;

        if (den_toml_parse(doc, len, "registries.conf", &t, &err) == 0) {
                den_toml_free(t);
                return NULL;
        }
        msg = xstrdup(err && err->msg ? err->msg : "(no message)");
        den_error_free(err);
        return msg;
}

static void is_error(const char *doc, const char *expected)
{
        _cleanup_free_ char *msg = parse_error(doc, strlen(doc));

        is_str(msg, expected);
}

static bool error_contains(const char *doc, size_t len, const char *part)
{
        _cleanup_free_ char *msg = parse_error(doc, len);

        if (!msg || !strstr(msg, part)) {
                printf("# error for input: %s\n", msg ? msg : "(parsed)");
                return false;
        }
        return true;
}

static bool has_error(const char *doc, const char *part)
{
        return error_contains(doc, strlen(doc), part);
}

static const char *str_at(const struct den_toml *t, const char *key)
{
        const struct den_toml *v = den_toml_get(t, key);

        return v && v->type == DEN_TOML_STRING ? v->str : NULL;
}

static void test_scalars(void)
{
        _cleanup_(den_toml_freep) struct den_toml *t =
                parse("# a comment\n"
                      "basic = \"tab\\there \\\"q\\\" \\\\ \\u00e9 \\U0001F600\"\n"
                      "literal = 'C:\\Users\\x'\n"
                      "empty = \"\"\n"
                      "\"quoted key\" = 1\n"
                      "'lit.key' = 2\n"
                      "dec = +1_000\n"
                      "neg = -17\n"
                      "hex = 0xDEAD_beef\n"
                      "oct = 0o755\n"
                      "bin = 0b1101\n"
                      "max = 9223372036854775807\n"
                      "min = -9223372036854775808\n"
                      "f1 = 3.25\n"
                      "f2 = -1e3\n"
                      "f3 = 6.5E-1\n"
                      "f4 = -inf\n"
                      "f5 = nan\n"
                      "yes = true\n"
                      "no = false # trailing comment\n"
                      "odt = 1979-05-27T07:32:00Z\n"
                      "ldt = 1979-05-27 07:32:00.999\n"
                      "ld = 1979-05-27\n"
                      "lt = 07:32:00\n"
                      "off = 1979-05-27T00:32:00-07:00\n");
        const struct den_toml *v;

        ok(t != NULL);
        if (!t)
                return;
        is_str(str_at(t, "basic"), "tab\there \"q\" \\ \xc3\xa9 \xf0\x9f\x98\x80");
        is_str(str_at(t, "literal"), "C:\\Users\\x");
        is_str(str_at(t, "empty"), "");
        is_int(den_toml_get(t, "quoted key")->integer, 1);
        is_int(den_toml_get(t, "lit.key")->integer, 2);
        is_int(den_toml_get(t, "dec")->integer, 1000);
        is_int(den_toml_get(t, "neg")->integer, -17);
        is_int(den_toml_get(t, "hex")->integer, 0xdeadbeef);
        is_int(den_toml_get(t, "oct")->integer, 0755);
        is_int(den_toml_get(t, "bin")->integer, 13);
        ok(den_toml_get(t, "max")->integer == INT64_MAX);
        ok(den_toml_get(t, "min")->integer == INT64_MIN);
        v = den_toml_get(t, "f1");
        ok(v->type == DEN_TOML_FLOAT && v->number == 3.25);
        ok(den_toml_get(t, "f2")->number == -1000.0);
        ok(den_toml_get(t, "f3")->number == 0.65);
        ok(isinf(den_toml_get(t, "f4")->number) && den_toml_get(t, "f4")->number < 0);
        ok(isnan(den_toml_get(t, "f5")->number));
        v = den_toml_get(t, "yes");
        ok(v->type == DEN_TOML_BOOL && v->boolean);
        ok(!den_toml_get(t, "no")->boolean);
        v = den_toml_get(t, "odt");
        ok(v->type == DEN_TOML_DATETIME);
        is_str(v->str, "1979-05-27T07:32:00Z");
        is_str(den_toml_get(t, "ldt")->str, "1979-05-27 07:32:00.999");
        is_str(den_toml_get(t, "ld")->str, "1979-05-27");
        is_str(den_toml_get(t, "lt")->str, "07:32:00");
        is_str(den_toml_get(t, "off")->str, "1979-05-27T00:32:00-07:00");
        ok(den_toml_get(t, "missing") == NULL);
        ok(den_toml_get(den_toml_get(t, "dec"), "x") == NULL); /* not a table */
        is_str(den_toml_type_name(DEN_TOML_BOOL), "boolean");
        /* keys keep document order */
        is_str(t->keys[0], "basic");
        is_str(t->keys[t->n - 1], "off");
        is_int(den_toml_get(t, "neg")->line, 8);
        is_int(den_toml_get(t, "neg")->col, 7);
}

static void test_multiline_strings(void)
{
        _cleanup_(den_toml_freep) struct den_toml *t =
                parse("a = \"\"\"\nline one\nline two\"\"\"\n"
                      "b = \"\"\"one \\\n      two \\\n\n   three\"\"\"\n"
                      "c = '''\n raw \\n ''text'' '''\n"
                      "d = \"\"\"quote at end\"\"\"\"\"\n"
                      "e = \"\"\"crlf\r\nline\"\"\"\r\n"
                      "after = 1\n");

        ok(t != NULL);
        if (!t)
                return;
        is_str(str_at(t, "a"), "line one\nline two");
        is_str(str_at(t, "b"), "one two three");
        is_str(str_at(t, "c"), " raw \\n ''text'' ");
        is_str(str_at(t, "d"), "quote at end\"\"");
        is_str(str_at(t, "e"), "crlf\nline");
        is_int(den_toml_get(t, "after")->line, 13);
}

static void test_arrays_and_inline_tables(void)
{
        _cleanup_(den_toml_freep) struct den_toml *t =
                parse("list = [\n"
                      "  \"a\", # first\n"
                      "  'b',\n"
                      "\n"
                      "  \"c\",   # trailing comma allowed\n"
                      "]\n"
                      "empty = []\n"
                      "nested = [[1, 2], [\"x\"], []]\n"
                      "mixed = [1, \"two\", true]\n"
                      "point = { x = 1, y.z = 2, name = \"p\" }\n"
                      "pts = [ { x = 1 }, { x = 2 } ]\n");
        const struct den_toml *v, *p;

        ok(t != NULL);
        if (!t)
                return;
        v = den_toml_get(t, "list");
        ok(v && v->type == DEN_TOML_ARRAY && v->n == 3);
        is_str(v->items[0]->str, "a");
        is_str(v->items[2]->str, "c");
        is_int(den_toml_get(t, "empty")->n, 0);
        v = den_toml_get(t, "nested");
        is_int(v->n, 3);
        is_int(v->items[0]->items[1]->integer, 2);
        is_int(v->items[2]->n, 0);
        is_int(den_toml_get(t, "mixed")->n, 3);
        p = den_toml_get(t, "point");
        ok(p && p->type == DEN_TOML_TABLE);
        is_int(den_toml_get(p, "x")->integer, 1);
        is_int(den_toml_get(den_toml_get(p, "y"), "z")->integer, 2);
        is_str(str_at(p, "name"), "p");
        v = den_toml_get(t, "pts");
        is_int(den_toml_get(v->items[1], "x")->integer, 2);
}

static void test_tables(void)
{
        _cleanup_(den_toml_freep) struct den_toml *t =
                parse("unqualified-search-registries = [\"docker.io\", \"quay.io\"]\n"
                      "\n"
                      "[[registry]]\n"
                      "prefix = \"example.com/foo\"\n"
                      "location = \"internal.example.com/foo\"\n"
                      "\n"
                      "[[registry.mirror]]\n"
                      "location = \"m1.example.com\"\n"
                      "[[registry.mirror]]\n"
                      "location = \"m2.example.com\"\n"
                      "insecure = true\n"
                      "\n"
                      "[[registry]]\n"
                      "location = \"other.io\"\n"
                      "\n"
                      "[ aliases ]\n"
                      "\"fedora\" = \"registry.fedoraproject.org/fedora\"\n"
                      "\n"
                      "[a.b.c]\n"
                      "x = 1\n"
                      "[a]\n" /* defining an implicitly created table is allowed */
                      "y = 2\n"
                      "[a.b.d]\n"
                      "[fruit]\n"
                      "apple.color = \"red\"\n"
                      "apple.taste.sweet = true\n"
                      "[fruit.apple.texture]\n"
                      "smooth = true\n");
        const struct den_toml *regs, *m, *a, *apple;

        ok(t != NULL);
        if (!t)
                return;
        regs = den_toml_get(t, "registry");
        ok(regs && regs->type == DEN_TOML_ARRAY && regs->n == 2);
        is_str(str_at(regs->items[0], "prefix"), "example.com/foo");
        m = den_toml_get(regs->items[0], "mirror");
        ok(m && m->n == 2);
        is_str(str_at(m->items[1], "location"), "m2.example.com");
        ok(den_toml_get(m->items[1], "insecure")->boolean);
        ok(den_toml_get(regs->items[1], "mirror") == NULL);
        is_str(str_at(regs->items[1], "location"), "other.io");
        is_int(regs->items[1]->line, 13);
        is_str(str_at(den_toml_get(t, "aliases"), "fedora"), "registry.fedoraproject.org/fedora");
        a = den_toml_get(t, "a");
        is_int(den_toml_get(a, "y")->integer, 2);
        is_int(den_toml_get(den_toml_get(den_toml_get(a, "b"), "c"), "x")->integer, 1);
        ok(den_toml_get(den_toml_get(a, "b"), "d") != NULL);
        apple = den_toml_get(den_toml_get(t, "fruit"), "apple");
        is_str(str_at(apple, "color"), "red");
        ok(den_toml_get(den_toml_get(apple, "texture"), "smooth")->boolean);
        is_int(den_toml_get(t, "registry")->depth, 1);
}

static void test_errors(void)
{
        is_error("a = 1\nb 2\n", "registries.conf:2:3: expected '='");
        is_error("a = 1\n  = 2\n", "registries.conf:2:3: expected a key");
        is_error("a =\n", "registries.conf:1:4: expected a value after '='");
        is_error("a = 1 b = 2\n", "registries.conf:1:7: expected end of line");
        is_error("a = 1\na = 2\n",
                 "registries.conf:2:1: duplicate key \"a\" (first defined at line 1)");
        is_error("x = \"abc\n", "registries.conf:1:9: unterminated string");
        is_error("x = [1, 2\n", "registries.conf:1:5: unterminated array");
        is_error("x = [1 2]\n", "registries.conf:1:8: expected ',' or ']' in array");
        is_error("[a]\n[a]\n",
                 "registries.conf:2:2: \"a\" is already defined (at line 1) as table");
        is_error("[[r]]\n[r]\n",
                 "registries.conf:2:2: \"r\" is already defined (at line 1) as array");
        is_error("[r]\n[[r]]\n",
                 "registries.conf:2:3: \"r\" is already defined (at line 1) as table");
        is_error("x = 1\n[x.y]\n",
                 "registries.conf:2:2: \"x\" is already defined (at line 1) as integer");
        is_error("x = \"\\q\"\n", "registries.conf:1:7: invalid escape sequence");
        is_error("x = 01\n", "registries.conf:1:5: leading zeros are not allowed");
        is_error("x = 9223372036854775808\n", "registries.conf:1:5: integer out of range");
        is_error("x = 1__0\n", "registries.conf:1:5: invalid integer");
        is_error("x = 1.\n", "registries.conf:1:5: invalid float");
        is_error("x = truthy\n", "registries.conf:1:5: invalid integer");
        is_error("x = 1979-13-01\n", "registries.conf:1:5: invalid date-time");
        is_error("x = {a = 1, b = 2\n", "registries.conf:1:5: unterminated inline table");
        is_error("[a\n", "registries.conf:1:3: expected ']'");
        is_error("[[a]\n", "registries.conf:1:4: expected ']]'");
        /* a column counts characters, not bytes */
        is_error("\"\xc3\xa9\xc3\xa9\" 1\n", "registries.conf:1:6: expected '='");
        /* inline tables are closed */
        ok(has_error("t = {a = 1}\nt.b = 2\n", "already defined"));
        ok(has_error("t = {a = 1}\n[t]\n", "already defined"));
        ok(has_error("t = {a = {x = 1}, a.y = 2}\n", "already defined"));
        /* dotted-key tables cannot be redefined by a header */
        ok(has_error("[f]\napple.color = 1\n[f.apple]\n", "already defined"));
        /* a static array cannot be extended with [[...]] */
        ok(has_error("r = []\n[[r]]\n", "already defined"));
        /* control characters, bad UTF-8, NUL, lone CR */
        ok(has_error("x = \"a\x01\"\n", "control character in string"));
        ok(has_error("# bell \x07\nx = 1\n", "control character in comment"));
        ok(has_error("x = \"\xc3\x28\"\n", "1:6: invalid UTF-8"));
        ok(has_error("x = \"\xed\xa0\x80\"\n", "invalid UTF-8")); /* surrogate */
        ok(has_error("x = \"\xc0\xaf\"\n", "invalid UTF-8"));     /* overlong */
        ok(error_contains("x = 1\n\ny = \"a\0b\"\n", 16, "3:7: NUL byte"));
        ok(has_error("x = \"\\u0000\"\n", "\\u0000 is not supported"));
        ok(has_error("x = \"\\ud800\"\n", "not a Unicode scalar value"));
        ok(has_error("x = \"\\u12\"\n", "needs 4 hex digits"));
        ok(has_error("x = 1\ry = 2\n", "carriage return without newline"));
        ok(has_error("x = \"\"\"abc\"\"\"\"\"\"\n", "too many quotes"));
        ok(has_error("x = '''abc\n", "unterminated multi-line string"));
        ok(has_error("x = 0x\n", "invalid integer"));
        ok(has_error("x = -0x10\n", "a sign is not allowed"));
        ok(has_error("x = 1e999\n", "float out of range"));
}

static void test_crlf_bom_and_empty(void)
{
        _cleanup_(den_toml_freep) struct den_toml *t =
                parse("\xef\xbb\xbfx = 1\r\n[t]\r\ny = 'a'\r\n");
        _cleanup_(den_toml_freep) struct den_toml *e = parse("");
        _cleanup_(den_toml_freep) struct den_toml *c = parse("# only a comment");

        ok(t && den_toml_get(t, "x")->integer == 1);
        ok(t && streq(str_at(den_toml_get(t, "t"), "y"), "a"));
        ok(e && e->type == DEN_TOML_TABLE && e->n == 0);
        ok(c && c->n == 0);
}

static void test_bounds(void)
{
        struct den_buf b = { 0 };
        char *doc;

        /* nesting: arrays within arrays */
        den_buf_puts(&b, "x = ");
        for (int i = 0; i < DEN_TOML_MAX_DEPTH + 1; i++)
                den_buf_puts(&b, "[");
        doc = den_buf_steal(&b);
        ok(error_contains(doc, strlen(doc), "nesting deeper than 32 levels"));
        free(doc);

        /* nesting: a long dotted header */
        den_buf_puts(&b, "[a");
        for (int i = 0; i < DEN_TOML_MAX_DEPTH + 2; i++)
                den_buf_puts(&b, ".a");
        den_buf_puts(&b, "]\n");
        doc = den_buf_steal(&b);
        ok(error_contains(doc, strlen(doc), "key with more than 32 parts"));
        free(doc);

        /* nesting: dotted keys inside nested inline tables */
        den_buf_puts(&b, "x = ");
        for (int i = 0; i < 8; i++)
                den_buf_puts(&b, "{ a.b.c.d.e = ");
        doc = den_buf_steal(&b);
        ok(error_contains(doc, strlen(doc), "nesting deeper than 32 levels"));
        free(doc);

        /* string length */
        den_buf_puts(&b, "x = \"");
        for (unsigned i = 0; i < DEN_TOML_MAX_STRING + 1; i++)
                den_buf_puts(&b, "a");
        den_buf_puts(&b, "\"\n");
        doc = den_buf_steal(&b);
        ok(error_contains(doc, strlen(doc), "string longer than 65536 bytes"));
        free(doc);

        /* number of values */
        den_buf_puts(&b, "x = [");
        for (int i = 0; i < DEN_TOML_MAX_NODES + 1; i++)
                den_buf_puts(&b, "1,");
        den_buf_puts(&b, "]\n");
        doc = den_buf_steal(&b);
        ok(error_contains(doc, strlen(doc), "more than 16384 values"));
        free(doc);

        /* document size */
        doc = xmalloc(DEN_TOML_MAX_SIZE + 2);
        memset(doc, '\n', DEN_TOML_MAX_SIZE + 1);
        doc[DEN_TOML_MAX_SIZE + 1] = '\0';
        ok(error_contains(doc, DEN_TOML_MAX_SIZE + 1, "larger than 1048576 bytes"));
        ok(error_contains(doc, DEN_TOML_MAX_SIZE + 1, "registries.conf:"));
        free(doc);
}

int main(void)
{
        test_scalars();
        test_multiline_strings();
        test_arrays_and_inline_tables();
        test_tables();
        test_errors();
        test_crlf_bom_and_empty();
        test_bounds();
        return tap_done();
}
