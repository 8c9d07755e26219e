/* Fuzz target for image/config.c: parses the input as an image config, serializes it, and
 * checks that the serialization parses again and is a fixed point. */
#include <stdint.h>

#include "image/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct img_config *c = NULL, *back = NULL;
        den_error *err = NULL;
        char *s, *s2;
        size_t len = 0;

        if (img_config_parse((const char *) data, size, &c, &err) < 0) {
                if (!err || !err->msg || c)
                        abort();
                den_error_free(err);
                return 0;
        }
        if (c->has_entrypoint != (c->entrypoint != NULL) || c->has_cmd != (c->cmd != NULL) ||
            !c->diff_ids || den_strv_len(c->label_keys) != den_strv_len(c->label_values))
                abort();
        for (size_t i = 0; c->diff_ids[i]; i++)
                if (!den_digest_is_valid(c->diff_ids[i]))
                        abort();
        s = img_config_serialize(c, &len);
        if (!s || len != strlen(s))
                abort();
        if (len <= IMG_MAX_CONFIG_SIZE) {
                if (img_config_parse(s, len, &back, &err) < 0) {
                        fprintf(stderr, "re-parse failed: %s\n%s\n", err->msg, s);
                        abort();
                }
                if (back->created_unix != c->created_unix || back->n_history != c->n_history ||
                    back->has_cmd != c->has_cmd || back->has_entrypoint != c->has_entrypoint)
                        abort();
                s2 = img_config_serialize(back, NULL);
                if (!streq(s, s2)) {
                        fprintf(stderr, "not a fixed point:\n%s\n%s\n", s, s2);
                        abort();
                }
                free(s2);
                img_config_free(back);
        }
        free(s);
        img_config_free(c);
        return 0;
}
