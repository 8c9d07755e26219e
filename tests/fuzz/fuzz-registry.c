/* Fuzz what the registry client parses from a registry's answers: the first byte picks the
 * parser (WWW-Authenticate challenges, an error body, a Link header), the rest is its input. */
#include <stdint.h>
#include "image/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void challenges(const char *s)
{
        struct img_challenge *v = NULL;
        den_error *err = NULL;
        size_t n = 0;

        if (img_challenge_parse(s, &v, &n, &err) == 0) {
                for (size_t i = 0; i < n; i++) {
                        /* every parsed challenge is well formed */
                        if (!v[i].scheme || !*v[i].scheme)
                                abort();
                        for (size_t k = 0; k < v[i].n_params; k++)
                                if (img_challenge_param(&v[i], v[i].param_names[k]) !=
                                    v[i].param_values[k])
                                        abort(); /* duplicates are refused */
                }
                img_challenges_free(v, n);
        } else if (!err || !err->msg) {
                abort();
        }
        den_error_free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s;

        if (size < 1 || size > (1u << 20))
                return 0;
        s = xstrndup((const char *) data + 1, size - 1);
        switch (data[0] % 3) {
        case 0:
                challenges(s);
                break;
        case 1:
                free(img_registry_error_text((const char *) data + 1, size - 1));
                break;
        default:
                free(img_link_next(s));
                break;
        }
        free(s);
        return 0;
}
