/* Fuzz target for image/registries.c: parses the input as registries.conf (a line "----"
 * splits it into a main file and drop-ins, merged in order), checks the result's shape, and
 * runs the lookups and short-name resolution on it. */
#include <stdint.h>

#include "image/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define H32 "0123456789abcdef0123456789abcdef"

static const char *const names[] = {
        "alpine",      "library/alpine:3",   "fedora", ("a/b/c@sha256:" H32 H32),
        "quay.io/x/y", "localhost:5000/app",
};

static void check(const struct img_registries *r)
{
        size_t n_alias = den_strv_len(r->alias_names);

        if (n_alias != den_strv_len(r->alias_values))
                abort();
        for (size_t i = 0; i < n_alias; i++)
                if (!*r->alias_values[i])
                        abort(); /* "" removes an alias, it is never stored */
        for (size_t i = 0; i < r->n_entries; i++) {
                const struct img_registry_conf *e = &r->entries[i];

                if (!e->prefix || !*e->prefix || !e->location || !e->mirrors)
                        abort();
                if (!*e->location && !den_str_has_prefix(e->prefix, "*."))
                        abort();
                for (size_t j = 0; e->mirrors[j]; j++)
                        if (!*e->mirrors[j] ||
                            (e->mirror_is_insecure[j] != 0 && e->mirror_is_insecure[j] != 1))
                                abort();
        }
}

static void query(const struct img_registries *r)
{
        for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
                struct img_ref *ref = NULL, **c = NULL;
                den_error *err = NULL;
                size_t n = 0;

                if (img_ref_parse(names[i], &ref, &err) < 0)
                        abort();
                (void) img_registries_find(r, names[i]);
                (void) img_registries_is_insecure(r, names[i]);
                if (img_registries_resolve(r, ref, &c, &n, &err) == 0) {
                        for (size_t k = 0; k < n; k++) {
                                if (!c[k] || !c[k]->domain)
                                        abort();
                                img_ref_free(c[k]);
                        }
                        if (c[n])
                                abort();
                        free(c);
                } else if (!err) {
                        abort();
                }
                den_error_free(err);
                img_ref_free(ref);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct img_registries *r = xcalloc(1, sizeof(*r));
        char *text = xstrndup((const char *) data, size), *part = text;

        for (;;) {
                char *sep = strstr(part, "\n----\n");
                den_error *err = NULL;

                if (sep)
                        *sep = '\0';
                if (img_registries_parse(r, part, "fuzz.conf", &err) < 0) {
                        if (!err || !err->msg)
                                abort();
                        den_error_free(err);
                }
                check(r);
                if (!sep)
                        break;
                part = sep + 6;
        }
        query(r);
        img_registries_free(r);
        free(text);
        return 0;
}
