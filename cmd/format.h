/* Output formatting shared by every command: --format json, Go templates as podman accepts
 * them, and aligned tables. Private to cmd/. */
#pragma once

#include <jansson.h>
#include "util/util.h"

struct cmd_template;

/* Compiles a Go text/template as podman accepts it. A leading "table " (or a bare "table")
 * marks table output. A malformed template is an error naming the position
 * ("template: 1:14: unexpected \"}\" in operand"). */
int cmd_template_compile(const char *text, struct cmd_template **ret, den_error **err);
void cmd_template_free(struct cmd_template *t);
bool cmd_template_is_table(const struct cmd_template *t);
/* Executes the template over one JSON value (the row), appending to out. */
int cmd_template_exec(const struct cmd_template *t, json_t *data, struct den_buf *out,
                      den_error **err);

/* A header name override: field "ID" is shown as "IMAGE ID". */
struct cmd_header {
        const char *field;
        const char *header;
};

/* Prints rows (a JSON array of objects) the way podman does for --format:
 *   format NULL or ""      -> default_table (a "table ..." template)
 *   "json"                 -> the array, pretty-printed with 4-space indent
 *   "table ..."            -> a header line (field names upper-cased and split at camel case,
 *                             "CreatedAt" -> "CREATED AT", unless headers override) and one
 *                             line per row, columns separated by "\t" in the template aligned
 *                             like Go's tabwriter(minwidth 12, tabwidth 2, padding 2, ' ')
 *   anything else          -> the template once per row, a newline after each
 * json_rows, when not NULL, is printed for "json" instead of rows (commands whose JSON
 * differs from their template rows). */
int cmd_output_rows(FILE *out, json_t *rows, json_t *json_rows, const char *format,
                    const char *default_table, const struct cmd_header *headers,
                    den_error **err);
/* Prints one object: "json" or NULL pretty-prints it; otherwise the template once. */
int cmd_output_one(FILE *out, json_t *obj, const char *format, den_error **err);
/* Pretty-prints JSON as podman does (4-space indent, keys in insertion order, no escaping of
 * '/' and non-ASCII kept), with a trailing newline. */
void cmd_print_json(FILE *out, json_t *v);
