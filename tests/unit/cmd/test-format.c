/* The --format engine: Go text/template semantics over JSON values, Go's fmt and
 * encoding/json output, podman's table headers and tabwriter alignment. Expected strings are
 * what Go (text/template, fmt, encoding/json, text/tabwriter) and podman print. */
#include "tap.h"
#include "cmd/format.h"

static const char *data_json =
        "{\"ID\":\"abc123def4567890\",\"Names\":[\"web\",\"db\"],\"Size\":1234,\"Zero\":0,"
        "\"Real\":2.5,\"Tiny\":0.000001,\"Big\":1e21,\"Million\":1000000.0,\"Empty\":\"\","
        "\"Nil\":null,\"True\":true,\"False\":false,\"None\":[],\"Labels\":{\"b\":\"2\",\"a\":"
        "\"1\"},"
        "\"Mixed\":{\"n\":1,\"s\":\"x\"},\"Host\":{\"OCIRuntime\":{\"Name\":\"crun\"},"
        "\"arch\":\"amd64\"},\"Id\":\"other\",\"Html\":\"<a&b>\",\"Uni\":\"h\\u00e9llo\"}";

static json_t *data;
static char *ring[4]; /* the last results, so that two can be compared */
static size_t ring_i;

static const char *keep(char *s)
{
        ring_i = (ring_i + 1) % ARRAY_SIZE(ring);
        free(ring[ring_i]);
        ring[ring_i] = s;
        return s;
}

/* Compiles and executes tmpl over data: the output, or "ERR: " and the error. */
static const char *run_on(const char *tmpl, json_t *v)
{
        struct cmd_template *t = NULL;
        den_error *err = NULL;
        struct den_buf b = { 0 };

        const char *r;

        if (cmd_template_compile(tmpl, &t, &err) < 0 || cmd_template_exec(t, v, &b, &err) < 0) {
                r = keep(xasprintf("ERR: %s", err ? err->msg : "(no error)"));
                den_error_free(err);
                den_buf_free(&b);
        } else {
                r = keep(den_buf_steal(&b));
        }
        cmd_template_free(t);
        return r;
}

static const char *run(const char *tmpl)
{
        return run_on(tmpl, data);
}

static char *json_text(json_t *v, int indent, unsigned flags)
{
        struct den_buf b = { 0 };

        cmd_json_append(&b, v, indent, flags);
        return den_buf_steal(&b);
}

/* cmd_output_rows into a string. */
static const char *rows_out(const char *rows_text, const char *format, bool is_no_heading)
{
        static const struct cmd_header headers[] = {
                { "ID", "image id" },
                { "CreatedSince", "CREATED" },
                { NULL, NULL },
        };
        struct cmd_output_opts o = {
                .format = format,
                .default_table = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}",
                .headers = headers,
                .is_no_heading = is_no_heading,
        };
        json_t *rows = json_loads(rows_text, 0, NULL);
        den_error *err = NULL;
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        int r = cmd_output_rows_opts(f, rows, NULL, &o, &err);

        const char *res;

        fclose(f);
        if (r < 0) {
                res = keep(xasprintf("ERR: %s", err->msg));
                free(buf);
        } else {
                res = keep(buf);
        }
        den_error_free(err);
        json_decref(rows);
        return res;
}

static void test_fields(void)
{
        is_str(run("{{.ID}}"), "abc123def4567890");
        is_str(run("{{.Host.OCIRuntime.Name}}"), "crun");
        /* exact name first, then case-insensitive */
        is_str(run("{{.Id}}"), "other");
        is_str(run("{{.id}}"), "abc123def4567890");
        is_str(run("{{.Host.Arch}}"), "amd64");
        is_str(run("{{.host.ociruntime.name}}"), "crun");
        /* a missing key is Go's missing map key; chains through it stay missing */
        is_str(run("{{.Missing}}"), "<no value>");
        is_str(run("{{.Missing.Deeper}}"), "<no value>");
        is_str(run("{{.Nil}}"), "<nil>");
        {
                json_t *v = json_loads("{\"b\":[1,\"x\"],\"a\":{\"k\":null}}", 0, NULL);

                is_str(run_on("{{.}}", v), "map[a:map[k:<nil>] b:[1 x]]");
                json_decref(v);
        }
        is_str(run("{{$.ID}} {{$}}"), run("{{.ID}} {{.}}"));
        is_str(run("{{.ID.Foo}}"), "ERR: template: output:1:2: executing \"output\" at "
                                   "<.ID.Foo>: can't evaluate field Foo in type string");
        is_str(run("{{.Size.Foo}}"), "ERR: template: output:1:2: executing \"output\" at "
                                     "<.Size.Foo>: can't evaluate field Foo in type int");
        is_str(run("{{.Nil.Foo}}"), "ERR: template: output:1:2: executing \"output\" at "
                                    "<.Nil.Foo>: nil pointer evaluating interface {}.Foo");
        is_str(run("{{.ID 1}}"), "ERR: template: output:1:2: executing \"output\" at <.ID>: "
                                 "ID is not a method but has arguments");
}

static void test_printing(void)
{
        is_str(run("{{.Size}} {{.Zero}} {{.Real}} {{.True}} {{.False}}"), "1234 0 2.5 true false");
        /* floats print as Go's %v: shortest form, exponent from 1e21 and below 1e-4 */
        is_str(run("{{.Tiny}} {{.Big}} {{.Million}}"), "1e-06 1e+21 1e+06");
        is_str(run("{{.Names}} {{.None}} {{.Labels}} {{.Mixed}}"),
               "[web db] [] map[a:1 b:2] map[n:1 s:x]");
        is_str(run("{{\"lit\"}} {{`raw\\n`}} {{1.5}} {{1e3}} {{-7}} {{0x1F}} {{0o17}} {{0b101}}"),
               "lit raw\\n 1.5 1000 -7 31 15 5");
        is_str(run("{{'a'}} {{'\\n'}} {{'\\x41'}} {{1_000}} {{true}} {{false}}"),
               "97 10 65 1000 true false");
        is_str(run("{{\"tab\\there \\u00e9 \\x41 \\101 \\\"q\\\"\"}}"), "tab\there é A A \"q\"");
        is_str(run("{{.Uni}}"), "h\xc3\xa9llo");
}

static void test_text_and_trim(void)
{
        is_str(run("a  {{- .Size -}}  b"), "a1234b");
        is_str(run("a {{- \" x \" }} b"), "a x  b");
        is_str(run("{{-3}}"), "-3");
        is_str(run("x {{/* a comment */}} y"), "x  y");
        is_str(run("x {{- /* trimmed */ -}} y"), "xy");
        is_str(run("{{.ID}}}"), "abc123def4567890}");
        is_str(run("no actions at all"), "no actions at all");
        is_str(run(""), "");
        /* "\t" and "\n" typed literally outside actions, as podman's NormalizeFormat */
        is_str(run("{{.Size}}\\t{{.Zero}}\\n"), "1234\t0\n");
        is_str(run("{{\"\\\\t\"}}"), "\\t");
}

static void test_control(void)
{
        is_str(run("{{if .True}}yes{{end}}"), "yes");
        is_str(run("{{if .Empty}}a{{else if .Zero}}b{{else if .None}}c{{else}}d{{end}}"), "d");
        is_str(run("{{if .Nil}}a{{else}}b{{end}}{{if .Missing}}a{{else}}b{{end}}"), "bb");
        is_str(run("{{if .Labels}}map{{end}}{{if .Names}}list{{end}}{{if .Real}}r{{end}}"),
               "maplistr");
        is_str(run("{{range .Names}}[{{.}}]{{end}}"), "[web][db]");
        is_str(run("{{range $i, $n := .Names}}{{$i}}={{$n}} {{end}}"), "0=web 1=db ");
        is_str(run("{{range $n := .Names}}{{$n}}{{end}}"), "webdb");
        /* objects range in sorted key order */
        is_str(run("{{range $k, $v := .Labels}}{{$k}}:{{$v}} {{end}}"), "a:1 b:2 ");
        is_str(run("{{range .None}}x{{else}}empty{{end}}"), "empty");
        is_str(run("{{range .Missing}}x{{else}}none{{end}}{{range .Nil}}x{{else}}nil{{end}}"),
               "nonenil");
        is_str(run("{{range 3}}{{.}}{{end}}"), "012");
        is_str(run("{{range .Names}}{{if eq . \"web\"}}{{continue}}{{end}}{{.}}{{end}}"), "db");
        is_str(run("{{range .Names}}{{.}}{{break}}{{end}}"), "web");
        is_str(run("{{with .Host}}{{.OCIRuntime.Name}}{{end}}"), "crun");
        is_str(run("{{with .Empty}}x{{else}}empty{{end}}"), "empty");
        is_str(run("{{with .Empty}}x{{else with .Size}}{{.}}{{end}}"), "1234");
        is_str(run("{{range .Names}}{{$.Size}}{{end}}"), "12341234");
        is_str(run("{{range .ID}}{{end}}"), "ERR: template: output:1:8: executing \"output\" at "
                                            "<.ID>: range can't iterate over abc123def4567890");
}

static void test_variables(void)
{
        is_str(run("{{$x := .ID}}{{$x}}"), "abc123def4567890");
        is_str(run("{{$x := 1}}{{$x = 2}}{{$x}}"), "2");
        is_str(run("{{$x := 1}}{{if true}}{{$x := 5}}{{$x}}{{end}}{{$x}}"), "51");
        is_str(run("{{$x := 1}}{{range .Names}}{{$x = 9}}{{end}}{{$x}}"), "9");
        is_str(run("{{with $h := .Host}}{{$h.arch}}{{end}}"), "amd64");
        is_str(run("{{$x := .Missing}}{{$x}}"), "<no value>");
        is_str(run("{{if $x := .Size}}{{$x}}{{end}}"), "1234");
}

static void test_pipelines(void)
{
        is_str(run("{{.ID | upper}}"), "ABC123DEF4567890");
        is_str(run("{{.ID | truncate 12 | printf \"%s\"}}"),
               "ERR: template: output:1:8: executing \"output\" at <truncate>: "
               "wrong type for value; expected string; got int");
        is_str(run("{{12 | truncate .ID}}"), "abc123def456");
        is_str(run("{{(index .Names 1) | printf \"<%s>\"}}"), "<db>");
        is_str(run("{{printf \"%s-%d\" (upper .ID) (len .Names)}}"), "ABC123DEF4567890-2");
        is_str(run("{{(.Host).arch}}"), "amd64");
        is_str(run("{{len .Names | printf \"%03d\"}}"), "002");
}

static void test_builtins(void)
{
        is_str(run("{{len .ID}} {{len .Names}} {{len .Labels}} {{len \"\"}}"), "16 2 2 0");
        is_str(run("{{index .Names 1}} {{index .Labels \"b\"}} {{index .Host \"arch\"}}"),
               "db 2 amd64");
        /* a missing key of a map of strings is "", of other maps nil, as Go's zero values */
        is_str(run("[{{index .Labels \"zz\"}}] [{{index .Mixed \"zz\"}}] [{{index .Nil \"k\"}}]"),
               "[] [<nil>] []");
        is_str(run("{{index \"abc\" 1}}"), "98");
        is_str(run("{{slice .ID 0 3}} {{slice .ID 13}} {{slice .Names 1}} {{slice .Names 0 0}}"),
               "abc 890 [db] []");
        is_str(run("{{not .True}} {{not .Empty}} {{not .None}}"), "false true true");
        is_str(run("{{and 1 0 2}} {{and 1 2}} {{or 0 \"\" \"x\"}} {{or 0 \"\"}}"), "0 2 x ");
        /* and/or do not evaluate what they do not need */
        is_str(run("{{or .True .ID.Bad}} {{and .False .ID.Bad}}"), "true false");
        is_str(run("{{eq .Size 1234}} {{eq .ID \"x\" \"abc123def4567890\"}} {{ne .Real 2.5}}"),
               "true true false");
        is_str(run("{{eq .Size 1234.0}} {{eq .Missing .Nil}} {{eq .Missing 1}}"),
               "true true false");
        is_str(run("{{lt 1 2}} {{le 2 2}} {{gt \"b\" \"a\"}} {{ge 1.5 2}} {{lt 1 1.5}}"),
               "true true true false true");
        is_str(run("{{print 1 2 \"a\" \"b\" 3 .Nil}}"), "1 2ab3 <nil>");
        is_str(run("{{println \"a\" 1}}"), "a 1\n");
        is_str(run("{{html .Html}} {{js \"it's <x>\"}} {{urlquery \"a b&c/d\"}}"),
               "&lt;a&amp;b&gt; it\\'s \\u003Cx\\u003E a+b%26c%2Fd");
        is_str(run("{{html .Missing}}"), "&lt;no value&gt;");
}

static void test_podman_funcs(void)
{
        is_str(run("{{json .Names}} {{json .Labels}} {{json .Nil}} {{json .Missing}}"),
               "[\"web\",\"db\"] {\"b\":\"2\",\"a\":\"1\"} null null");
        /* podman's json encoder does not escape HTML */
        is_str(run("{{json .Html}} {{json .Real}} {{json .Big}}"), "\"<a&b>\" 2.5 1e+21");
        is_str(run("{{join .Names \", \"}} [{{join .None \",\"}}] [{{join .Nil \",\"}}]"),
               "web, db [] []");
        is_str(run("{{lower \"MiXeD\"}} {{upper \"MiXeD\"}} {{title \"hello big-world_x\"}}"),
               "mixed MIXED Hello Big-World_x");
        is_str(run("{{split \"a,b,,c\" \",\"}} {{len (split \"\" \",\")}} {{split \"h\xc3\xa9\" "
                   "\"\"}}"),
               "[a b  c] 1 [h \xc3\xa9]");
        is_str(run("{{truncate .ID 12}} {{truncate \"ab\" 12}}"), "abc123def456 ab");
        is_str(run("[{{pad \"x\" 2 3}}] [{{pad \"\" 2 3}}]"), "[  x   ] []");
}

static void test_printf(void)
{
        is_str(run("{{printf \"%5s|%-5s|%.2s|%q|%x|% X\" \"ab\" \"cd\" \"xyz\" \"a\\\"b\" \"hi\" "
                   "\"hi\"}}"),
               "   ab|cd   |xy|\"a\\\"b\"|6869|68 69");
        is_str(run("{{printf \"%d|%5d|%-5d|%05d|%+d|%x|%X|%o|%b|%#x|%c|%q|%U\" 42 42 42 -42 42 255 "
                   "255 8 5 255 65 65 65}}"),
               "42|   42|42   |-0042|+42|ff|FF|10|101|0xff|A|'A'|U+0041");
        is_str(run("{{printf \"%f|%.2f|%8.3f|%e|%g|%G|%v\" 2.5 2.5 3.14159 123456.789 0.00001 1e-7 "
                   "100000000.0}}"),
               "2.500000|2.50|   3.142|1.234568e+05|1e-05|1E-07|1e+08");
        is_str(run("{{printf \"%v|%s|%d|%t\" .Names .Names .Size .True}}"),
               "[web db]|[web db]|1234|true");
        is_str(run("{{printf \"%q\" .Names}}"), "[\"web\" \"db\"]");
        is_str(run("{{printf \"%v %s\" .Labels .Nil}}"), "map[a:1 b:2] %!s(<nil>)");
        is_str(run("{{printf \"%d %s %t\" \"x\" 5 1}}"), "%!d(string=x) %!s(int=5) %!t(int=1)");
        is_str(run("{{printf \"%d\"}} {{printf \"%d\" 1 2}} {{printf \"100%%\"}} {{printf \"%\"}}"),
               "%!d(MISSING) 1%!(EXTRA int=2) 100% %!(NOVERB)");
        is_str(run("{{printf \"%*d|%-*d|%.*f\" 4 7 3 7 1 2.25}}"), "   7|7  |2.2");
        is_str(run("{{printf \"%T %T %T %T\" .ID .Size .Real .Names}}"),
               "string int float64 []interface {}");
        is_str(run("{{printf \"%#v\" .Labels}}"),
               "map[string]interface {}{\"a\":\"1\", \"b\":\"2\"}");
        is_str(run("{{printf \"%6.2f%%\" 12.345}}"), " 12.35%");
        is_str(run("{{printf \"%s\"  \"h\xc3\xa9\" | printf \"%4s|\"}}"), "  h\xc3\xa9|");
        is_str(run("{{printf 3}}"), "ERR: template: output:1:2: executing \"output\" at "
                                    "<printf>: wrong type for value; expected string; got int");
}

static void test_compile_errors(void)
{
        is_str(run("{{.ID"), "ERR: template: output:1:5: unclosed action");
        is_str(run("{{.ID}"), "ERR: template: output:1:5: bad character U+007D '}'");
        is_str(run("{{index .Names 1}"), "ERR: template: output:1:16: unexpected \"}\" in operand");
        is_str(run("{{nosuchfunc .ID}}"),
               "ERR: template: output:1:2: function \"nosuchfunc\" not defined");
        is_str(run("{{if .ID}}x"), "ERR: template: output:1:11: unexpected EOF");
        is_str(run("x{{end}}"), "ERR: template: output:1:1: unexpected {{end}}");
        is_str(run("{{else}}"), "ERR: template: output:1:0: unexpected {{else}}");
        is_str(run("{{}}"), "ERR: template: output:1:2: missing value for command");
        is_str(run("{{if}}{{end}}"), "ERR: template: output:1:4: missing value for if");
        is_str(run("{{$x}}"), "ERR: template: output:1:2: undefined variable \"$x\"");
        is_str(run("{{with $x := 1}}{{end}}{{$x}}"),
               "ERR: template: output:1:25: undefined variable \"$x\"");
        is_str(run("{{.ID | \"a\"}}"),
               "ERR: template: output:1:8: non executable command in pipeline stage 2");
        is_str(run("{{\"a\"\"b\"}}"),
               "ERR: template: output:1:5: unexpected \"\\\"b\\\"\" in operand");
        is_str(run("{{(.ID}}"), "ERR: template: output:1:6: unclosed left paren");
        is_str(run("{{.ID)}}"), "ERR: template: output:1:5: unexpected right paren");
        is_str(run("{{/* x }}"), "ERR: template: output:1:0: unclosed comment");
        is_str(run("{{/* x */ }}"),
               "ERR: template: output:1:9: comment ends before closing delimiter");
        is_str(run("{{\"abc}}"), "ERR: template: output:1:2: unterminated quoted string");
        is_str(run("{{break}}"), "ERR: template: output:1:2: {{break}} outside {{range}}");
        is_str(run("{{3x}}"), "ERR: template: output:1:2: bad number syntax: \"3x\"");
        is_str(run("{{'ab'}}"), "ERR: template: output:1:2: malformed character constant: 'ab'");
        is_str(run("{{1 2 | .ID}}"), "ERR: template: output:1:2: executing \"output\" at <1 2>: "
                                     "can't give argument to non-function 1");
        is_str(run("{{range $a, $b, $c := .Names}}{{end}}"),
               "ERR: template: output:1:14: too many declarations in range");
        is_str(run("{{if 1}}{{else}}{{else}}{{end}}"),
               "ERR: template: output:1:24: expected end; found {{else}}");
        is_str(run("{{define \"x\"}}{{end}}"),
               "ERR: template: output:1:2: {{define}} is not supported");
        /* lines count from 1, columns from 0, in the text the user typed */
        is_str(run("line one\n  {{.ID.X}}"), "ERR: template: output:2:4: executing \"output\" at "
                                             "<.ID.X>: can't evaluate field X in type string");
        is_str(run("a\n{{.Missing"), "ERR: template: output:2:10: unclosed action");
        ok(strchr(run("{{`multi\nline` 1}}"), '\n') == NULL); /* messages are one line */
}

static void test_exec_errors(void)
{
        is_str(run("{{len .Size}}"), "ERR: template: output:1:2: executing \"output\" at <len>: "
                                     "error calling len: len of type int");
        is_str(run("{{index .Names 5}}"), "ERR: template: output:1:2: executing \"output\" at "
                                          "<index>: error calling index: index out of range: 5");
        is_str(run("{{upper .Size}}"), "ERR: template: output:1:2: executing \"output\" at "
                                       "<upper>: wrong type for value; expected string; got int");
        is_str(run("{{upper}}"), "ERR: template: output:1:2: executing \"output\" at <upper>: "
                                 "wrong number of args for upper: want 1 got 0");
        is_str(run("{{eq .ID 1}}"), "ERR: template: output:1:2: executing \"output\" at <eq>: "
                                    "error calling eq: incompatible types for comparison");
        is_str(run("{{lt .True .False}}"), "ERR: template: output:1:2: executing \"output\" at "
                                           "<lt>: error calling lt: invalid type for comparison");
        is_str(run("{{nil}}"), "ERR: template: output:1:2: executing \"output\" at <nil>: "
                               "nil is not a command");
        is_str(run("{{slice .ID 5 2}}"),
               "ERR: template: output:1:2: executing \"output\" at "
               "<slice>: error calling slice: invalid slice index: 5 > 2");
        ok(den_str_has_prefix(run("x{{.ID}}{{len 3}}"), "ERR: "));
}

static void test_bounds(void)
{
        ok(strstr(run("{{range 100000000}}{{end}}"), "exceeds 2000000 steps") != NULL);
        ok(strstr(run("{{range 100000}}{{printf \"%1000s\" \"\"}}{{end}}"),
                  "template output exceeds 64 MiB") != NULL);
        ok(strstr(run("{{range 1000}}{{$x := printf \"%999999s\" \"\"}}{{end}}"),
                  "made more than 256 MiB") != NULL);
        ok(strstr(run("{{pad \"x\" 999999999 1}}"), "pad result exceeds") != NULL);
        ok(strstr(run("{{len (split (printf \"%70000s\" \"\") \"\")}}"),
                  "split makes more than 65536 parts") != NULL);
        is_str(run("{{printf \"%100000000d\" 1}}"), "%!(NOVERB)%!(EXTRA int=1)");
        {
                struct den_buf deep = { 0 };

                for (int i = 0; i < 150; i++)
                        den_buf_puts(&deep, "{{if 1}}");
                ok(strstr(run(deep.data), "nested deeper than 100") != NULL);
                den_buf_free(&deep);
        }
}

static void test_headers(void)
{
        _cleanup_free_ char *a = cmd_header_from_field("CreatedAt");
        _cleanup_free_ char *b = cmd_header_from_field("ID");
        _cleanup_free_ char *c = cmd_header_from_field("RepoDigests");
        _cleanup_free_ char *d = cmd_header_from_field("OCIRuntime");
        _cleanup_free_ char *e = cmd_header_from_field("GL11Version");
        _cleanup_free_ char *f = cmd_header_from_field("lowercase");

        is_str(a, "CREATED AT");
        is_str(b, "ID");
        is_str(c, "REPO DIGESTS");
        is_str(d, "OCI RUNTIME");
        is_str(e, "GL 11 VERSION");
        is_str(f, "LOWERCASE");
}

static const char *rows_text =
        "[{\"Repository\":\"docker.io/library/busybox\",\"Tag\":\"latest\",\"ID\":\"abc123\","
        "\"CreatedAt\":\"now\",\"Names\":[\"x\",\"y\"],\"Size\":\"1.2 MB\"},"
        "{\"Repository\":\"r\",\"Tag\":\"a-very-long-tag-name-here\",\"ID\":\"d\","
        "\"CreatedAt\":\"later\",\"Names\":[],\"Size\":\"5 kB\"}]";

static void test_tables(void)
{
        /* default table, header overrides upper-cased, minwidth 12, padding 2 */
        is_str(rows_out(rows_text, NULL, false),
               "REPOSITORY                 TAG                        IMAGE ID\n"
               "docker.io/library/busybox  latest                     abc123\n"
               "r                          a-very-long-tag-name-here  d\n");
        is_str(rows_out(rows_text, "table", false), rows_out(rows_text, NULL, false));
        is_str(rows_out(rows_text, "table {{.ID}}\\t{{.Size}}", false),
               "IMAGE ID    SIZE\nabc123      1.2 MB\nd           5 kB\n");
        /* spaces in a table template are column breaks, as in podman */
        is_str(rows_out(rows_text, "table {{.ID}} {{.CreatedAt}}", false),
               "IMAGE ID    CREATED AT\nabc123      now\nd           later\n");
        is_str(rows_out(rows_text, "table {{.ID | upper}}\t{{join .Names \",\"}}\t{{.Tag}}", false),
               "IMAGE ID    NAMES       TAG\nABC123      x,y         latest\n"
               "D                       a-very-long-tag-name-here\n");
        is_str(rows_out(rows_text,
                        "table {{if .Tag}}{{.Tag}}{{else}}<none>{{end}}\t{{range "
                        ".Names}}{{.}}{{end}}",
                        false),
               "TAG                        NAMES\nlatest                     xy\n"
               "a-very-long-tag-name-here  \n");
        is_str(rows_out(rows_text, "table {{.ID}}\t{{.Tag}}", true),
               "abc123      latest\nd           a-very-long-tag-name-here\n");
        is_str(rows_out("[]", "table {{.ID}}\t{{.Tag}}", false), "IMAGE ID    TAG\n");
        /* plain templates: once per row, a newline unless the template ends with one */
        is_str(rows_out(rows_text, "{{.ID}}\\t{{.Tag}}", false),
               "abc123\tlatest\nd\ta-very-long-tag-name-here\n");
        is_str(rows_out(rows_text, "{{.ID}}\n", false), "abc123\nd\n");
        is_str(rows_out(rows_text, "{{.ID -}}", false), "abc123d");
        is_str(rows_out(rows_text, "{{.ID}}: {{.Nope.X}}", false),
               "abc123: <no value>\nd: <no value>\n");
        is_str(rows_out(rows_text, "{{.ID.X}}", false),
               "ERR: template: output:1:2: executing \"output\" at <.ID.X>: can't evaluate "
               "field X in type string");
        is_str(rows_out("[{\"A\":\"<&>\",\"B\":[]}]", "json", false),
               "[\n    {\n        \"A\": \"\\u003c\\u0026\\u003e\",\n        \"B\": []\n    "
               "}\n]\n");
        is_str(rows_out("[{\"A\":1}]", "{{ json . }}", false),
               "[\n    {\n        \"A\": 1\n    }\n]\n");
        is_str(rows_out("[]", "json", false), "[]\n");
}

static void test_tabwriter(void)
{
        struct den_buf b = { 0 };
        /* a column block is a run of lines with that cell; a line without one splits it */
        const char *in = "a\tbb\tc\n"
                         "aaaaaaaaaaaaaaa\tb\n"
                         "no tabs here\n"
                         "x\ty\n"
                         "trailing\t";

        ok(cmd_tabwrite(in, strlen(in), &b, NULL) == 0);
        is_str(b.data, "a                bb          c\n"
                       "aaaaaaaaaaaaaaa  b\n"
                       "no tabs here\n"
                       "x           y\n"
                       "trailing");
        den_buf_free(&b);
        /* widths count runes, not bytes */
        in = "h\xc3\xa9llo-wide-cell\tz\nab\tz\n";
        ok(cmd_tabwrite(in, strlen(in), &b, NULL) == 0);
        is_str(b.data, "h\xc3\xa9llo-wide-cell  z\nab               z\n");
        den_buf_free(&b);
        ok(cmd_tabwrite("", 0, &b, NULL) == 0);
        is_int(b.len, 0);
        den_buf_free(&b);
}

static void test_json(void)
{
        json_t *v =
                json_loads("{\"s\":\"a/b\\u00e9<>&\\u2028\\t\\u0001\\\"\\\\\",\"e\":[],\"o\":{},"
                           "\"n\":[1,-2.5,1e-7,1e21,123456789.0,null,true],"
                           "\"deep\":{\"x\":[{\"y\":{}}]}}",
                           0, NULL);
        _cleanup_free_ char *compact = json_text(v, -1, 0);
        _cleanup_free_ char *raw = json_text(v, -1, CMD_JSON_NO_HTML_ESCAPE);
        _cleanup_free_ char *pretty = json_text(v, 4, 0);
        _cleanup_free_ char *five = json_text(json_object_get(v, "deep"), 5, 0);

        is_str(compact, "{\"s\":\"a/b\xc3\xa9\\u003c\\u003e\\u0026\\u2028\\t\\u0001\\\"\\\\\","
                        "\"e\":[],\"o\":{},\"n\":[1,-2.5,1e-7,1e+21,123456789,null,true],"
                        "\"deep\":{\"x\":[{\"y\":{}}]}}");
        ok(strstr(raw, "<>&") != NULL);
        is_str(pretty, "{\n"
                       "    \"s\": \"a/b\xc3\xa9\\u003c\\u003e\\u0026\\u2028\\t\\u0001\\\"\\\\\",\n"
                       "    \"e\": [],\n"
                       "    \"o\": {},\n"
                       "    \"n\": [\n"
                       "        1,\n"
                       "        -2.5,\n"
                       "        1e-7,\n"
                       "        1e+21,\n"
                       "        123456789,\n"
                       "        null,\n"
                       "        true\n"
                       "    ],\n"
                       "    \"deep\": {\n"
                       "        \"x\": [\n"
                       "            {\n"
                       "                \"y\": {}\n"
                       "            }\n"
                       "        ]\n"
                       "    }\n"
                       "}");
        is_str(five,
               "{\n     \"x\": [\n          {\n               \"y\": {}\n          }\n     ]\n}");
        {
                /* invalid UTF-8 becomes U+FFFD, as Go writes it */
                json_t *bad = json_stringn_nocheck("a\xff"
                                                   "b",
                                                   3);
                _cleanup_free_ char *t = json_text(bad, -1, 0);

                is_str(t, "\"a\\ufffdb\"");
                json_decref(bad);
        }
        json_decref(v);
}

static void test_output_one(void)
{
        json_t *o = json_loads("{\"Host\":{\"Arch\":\"amd64\"},\"N\":1}", 0, NULL);
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        den_error *err = NULL;

        ok(cmd_output_one(f, o, "{{.Host.Arch}}", &err) == 0);
        ok(cmd_output_one(f, o, "json", &err) == 0);
        ok(cmd_output_one(f, o, "{{.N}}\\n", &err) == 0);
        ok(cmd_output_one(f, o, "{{.Host.Arch", &err) < 0);
        fclose(f);
        is_str(buf, "amd64\n{\n    \"Host\": {\n        \"Arch\": \"amd64\"\n    },\n    \"N\": "
                    "1\n}\n1\n");
        ok(err && strstr(err->msg, "unclosed action"));
        ok(cmd_format_is_json(" json "));
        ok(cmd_format_is_json("{{json .}}"));
        ok(cmd_format_is_json("{{ json }}"));
        ok(!cmd_format_is_json("{{json .Names}}"));
        ok(!cmd_format_is_json("jsonx"));
        den_error_free(err);
        free(buf);
        json_decref(o);
}

static void test_header_row(void)
{
        struct cmd_template *t = NULL;
        struct den_buf b = { 0 };
        static const struct cmd_header h[] = { { "Host.Arch", "arch" }, { NULL, NULL } };

        ok(cmd_template_compile(
                   "table {{.Host.Arch}}\t{{printf \"%s\" .Repository}}\t"
                   "{{with .Labels}}{{.x}}{{end}}\t{{\"lit\"}}\t{{.RepoDigests | len}}",
                   &t, NULL) == 0);
        ok(cmd_template_is_table(t));
        ok(cmd_template_exec_header(t, h, &b, NULL) == 0);
        is_str(b.data, "ARCH\tREPOSITORY\tLABELS\tlit\tREPO DIGESTS");
        den_buf_free(&b);
        cmd_template_free(t);
        ok(cmd_template_compile("{{.A}}", &t, NULL) == 0);
        ok(!cmd_template_is_table(t));
        cmd_template_free(t);
}

int main(void)
{
        data = json_loads(data_json, 0, NULL);
        ok(data != NULL);
        test_fields();
        test_printing();
        test_text_and_trim();
        test_control();
        test_variables();
        test_pipelines();
        test_builtins();
        test_podman_funcs();
        test_printf();
        test_compile_errors();
        test_exec_errors();
        test_bounds();
        test_headers();
        test_tables();
        test_tabwriter();
        test_json();
        test_output_one();
        test_header_row();
        for (size_t i = 0; i < ARRAY_SIZE(ring); i++)
                free(ring[i]);
        json_decref(data);
        return tap_done();
}
