/* Fuzz target for util/toml.c: parses the input as a TOML document and walks the tree,
 * checking the bounds and the shape the parser promises (typed values, unique keys, depth). */
#include <stdint.h>

#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t walk(const struct den_toml *t, unsigned depth)
{
        size_t n = 1;

        if (t->depth != depth || depth > DEN_TOML_MAX_DEPTH || t->line == 0 || t->col == 0)
                abort();
        switch (t->type) {
        case DEN_TOML_STRING:
        case DEN_TOML_DATETIME:
                if (!t->str || strlen(t->str) > DEN_TOML_MAX_STRING)
                        abort();
                break;
        case DEN_TOML_TABLE:
                for (size_t i = 0; i < t->n; i++) {
                        if (!t->keys[i] || den_toml_get(t, t->keys[i]) != t->items[i])
                                abort(); /* keys are unique */
                        n += walk(t->items[i], depth + 1);
                }
                break;
        case DEN_TOML_ARRAY:
                for (size_t i = 0; i < t->n; i++)
                        n += walk(t->items[i], depth + 1);
                break;
        case DEN_TOML_INTEGER:
        case DEN_TOML_FLOAT:
        case DEN_TOML_BOOL:
                if (t->n || t->items || t->str)
                        abort();
                break;
        default:
                abort();
        }
        return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct den_toml *t = NULL;
        den_error *err = NULL;

        if (den_toml_parse((const char *) data, size, "fuzz.toml", &t, &err) < 0) {
                if (!err || !err->msg || t || !den_str_has_prefix(err->msg, "fuzz.toml:"))
                        abort();
                den_error_free(err);
                return 0;
        }
        if (t->type != DEN_TOML_TABLE || walk(t, 0) > DEN_TOML_MAX_NODES)
                abort();
        den_toml_free(t);
        return 0;
}
