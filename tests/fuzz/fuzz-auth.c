/* Fuzz target for image/auth.c: parses the input as auth.json and looks up several kinds of
 * key (host, host with port, namespaces, docker.io spellings). Credentials come back in
 * pairs or not at all. */
#include <stdint.h>

#include "image/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const keys[] = {
        "quay.io", "docker.io", "index.docker.io", "localhost:5000", "quay.io/team/app", "",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
                char *user = NULL, *pass = NULL;
                den_error *err = NULL;
                int r = img_auth_parse((const char *) data, size, keys[i], &user, &pass, &err);

                if (r > 0 && (!user || !pass || err))
                        abort();
                if (r == 0 && (user || pass || err))
                        abort();
                if (r < 0 && (user || pass || !err || !err->msg))
                        abort();
                free(user);
                free(pass);
                den_error_free(err);
        }
        return 0;
}
