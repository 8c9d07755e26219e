/* Output formatting shared by every command: --format json, Go templates as podman accepts
 * them, and aligned tables. Private to cmd/.
 *
 * template.c holds the Go text/template engine (lexer, parser, executor, functions);
 * format.c holds what prints values: Go's fmt verbs, Go-compatible JSON, the tabwriter, and
 * the cmd_output_* entry points the commands call. */
#pragma once

#include <jansson.h>
#include "util/util.h"

struct cmd_template;

/* Compiles a Go text/template as podman accepts it. A leading "table " (or a bare "table")
 * marks table output. As podman does, a literal "\t" or "\n" outside actions becomes a tab or
 * a newline, and in a table template a space outside actions becomes a tab (a column break).
 * A malformed template is an error naming the position as Go does, with a 0-based column
 * ("template: output:1:14: unexpected \"}\" in operand"). */
int cmd_template_compile(const char *text, struct cmd_template **ret, den_error **err);
/* Like cmd_template_compile; CMD_TEMPLATE_LINE appends "\n" to the template unless it already
 * ends with one, before parsing, as podman does for every --format (so "{{.ID -}}" still
 * trims it). */
#define CMD_TEMPLATE_LINE (1u << 0)
int cmd_template_compile_full(const char *text, unsigned flags, struct cmd_template **ret,
                              den_error **err);
void cmd_template_free(struct cmd_template *t);
static inline void cmd_template_freep(struct cmd_template **t)
{
        cmd_template_free(*t);
}
bool cmd_template_is_table(const struct cmd_template *t);
/* Executes the template over one JSON value (the row), appending to out. Execution is bounded
 * (output size, steps, string sizes); crossing a bound is an error. */
int cmd_template_exec(const struct cmd_template *t, json_t *data, struct den_buf *out,
                      den_error **err);

/* A header name override: field "ID" is shown as "IMAGE ID". */
struct cmd_header {
        const char *field;
        const char *header;
};

/* Executes the template's header row: every action that shows a field ({{.Name}},
 * {{.Name | fn}}, {{fn .Name}}, {{range .Name}}...) prints that field's column header instead:
 * the override from headers (a { NULL, NULL }-terminated array, may be NULL), else the field
 * name split at camel case and upper-cased. */
int cmd_template_exec_header(const struct cmd_template *t, const struct cmd_header *headers,
                             struct den_buf *out, den_error **err);
/* The default column header of a field, as podman derives it: "CreatedAt" -> "CREATED AT",
 * "ID" -> "ID", "OCIRuntime" -> "OCI RUNTIME". */
char *cmd_header_from_field(const char *field);

/* Prints rows (a JSON array of objects) the way podman does for --format:
 *   format NULL or ""      -> default_table (a "table ..." template)
 *   "json"                 -> the array, pretty-printed with 4-space indent
 *   "table ..."            -> a header line (field names upper-cased and split at camel case,
 *                             "CreatedAt" -> "CREATED AT", unless headers override) and one
 *                             line per row, columns separated by "\t" in the template aligned
 *                             like Go's tabwriter(minwidth 12, tabwidth 2, padding 2, ' ')
 *   anything else          -> the template once per row, a newline after each
 * json_rows, when not NULL, is printed for "json" instead of rows (commands whose JSON
 * differs from their template rows). "json" also means " json ", "{{json .}}" and
 * "{{ json }}", as podman's IsJSON accepts. */
int cmd_output_rows(FILE *out, json_t *rows, json_t *json_rows, const char *format,
                    const char *default_table, const struct cmd_header *headers, den_error **err);
/* cmd_output_rows with every knob: is_no_heading drops the header line of a table
 * (--noheading). */
struct cmd_output_opts {
        const char *format;
        const char *default_table;
        const struct cmd_header *headers;
        bool is_no_heading;
};
int cmd_output_rows_opts(FILE *out, json_t *rows, json_t *json_rows,
                         const struct cmd_output_opts *o, den_error **err);
/* Prints one object: "json" or NULL pretty-prints it; otherwise the template once. */
int cmd_output_one(FILE *out, json_t *obj, const char *format, den_error **err);
/* True for the formats podman treats as JSON: "json", "{{json .}}", "{{ json }}", with
 * surrounding spaces. */
bool cmd_format_is_json(const char *format);

/* Pretty-prints JSON as podman does (4-space indent, keys in insertion order, no escaping of
 * '/' and non-ASCII kept), with a trailing newline. Like Go's json.MarshalIndent it escapes
 * '<', '>' and '&' as \u003c, \u003e, \u0026. */
void cmd_print_json(FILE *out, json_t *v);
/* Go's encoding/json text of v appended to b: indent < 0 is compact ({"a":1}), otherwise
 * pretty with that many spaces. CMD_JSON_NO_HTML_ESCAPE keeps '<', '>' and '&' as they are
 * (podman inspect and the template function json use an encoder with SetEscapeHTML(false);
 * podman inspect also indents with 5 spaces). */
#define CMD_JSON_NO_HTML_ESCAPE (1u << 0)
void cmd_json_append(struct den_buf *b, json_t *v, int indent, unsigned flags);
/* cmd_json_append then a newline, written to out. */
void cmd_print_json_full(FILE *out, json_t *v, int indent, unsigned flags);

/* ---- Go's fmt over template values (format.c), used by the template engine ----
 * A NULL value is Go's nil interface. */

/* Go's %v: strings raw, integers as integers, reals in shortest form, <nil>, [a b],
 * map[k:v] with sorted keys. */
void cmd_fmt_value(struct den_buf *b, json_t *v);
/* fmt.Sprint (spaces between operands when neither is a string) or fmt.Sprintln. */
void cmd_fmt_print(struct den_buf *b, json_t *const *args, size_t n, bool is_ln);
/* fmt.Sprintf with Go's verbs, flags, width and precision, and Go's %!verb(type=value)
 * markers. Returns -1 once b->len passes limit (b then holds a partial result). */
int cmd_fmt_printf(struct den_buf *b, const char *fmt, size_t fmt_len, json_t *const *args,
                   size_t n, size_t limit);
/* strconv.Quote: a double-quoted Go string literal of s. */
void cmd_fmt_quote(struct den_buf *b, const char *s, size_t n);
/* The Go type name of a value as fmt and the template engine report it: "string", "int",
 * "float64", "bool", "[]interface {}", "map[string]interface {}", "<nil>". */
const char *cmd_fmt_type_name(json_t *v);
/* The members of an object sorted by key, bytewise, as Go orders map keys; free() the array
 * (keys and values are borrowed from obj). */
struct cmd_kv {
        const char *key;
        size_t key_len;
        json_t *value;
};
struct cmd_kv *cmd_object_sorted(json_t *obj, size_t *ret_n);
/* Decodes one UTF-8 sequence as Go does: invalid or truncated input yields U+FFFD and 1. */
size_t cmd_utf8_decode(const char *s, size_t n, uint32_t *ret_cp);
/* Appends cp encoded as UTF-8 (U+FFFD for a surrogate or a value past U+10FFFF). */
void cmd_utf8_append(struct den_buf *b, uint32_t cp);
/* Aligns "\t"-separated cells like Go's text/tabwriter with podman's settings (minwidth 12,
 * padding 2, padchar ' '): each cell but the last of its line is padded to the widest cell
 * of its column block plus 2, at least 12. Too many cells is an error. */
int cmd_tabwrite(const char *s, size_t n, struct den_buf *out, den_error **err);
