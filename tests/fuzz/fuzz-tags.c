/* Fuzz the parser of a registry's tag list page (GET /v2/<name>/tags/list): whatever the
 * registry sends, a parsed list holds only tags that are valid in a reference, so pull
 * --all-tags can put each one after "repo:" without producing another name. */
#include <stdint.h>
#include "image/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_tag(const char *t)
{
        size_t n = strlen(t);

        if (n == 0 || n > 128 || t[0] == '.' || t[0] == '-')
                abort();
        for (size_t i = 0; i < n; i++)
                if (!(t[i] >= 'a' && t[i] <= 'z') && !(t[i] >= 'A' && t[i] <= 'Z') &&
                    !(t[i] >= '0' && t[i] <= '9') && !strchr("_.-", t[i]))
                        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        den_error *err = NULL;
        char **tags = NULL;

        if (size > (1u << 20))
                return 0;
        if (img_tag_list_parse((const char *) data, size, &tags, &err) == 0) {
                if (!tags || err)
                        abort();
                for (size_t i = 0; tags[i]; i++)
                        check_tag(tags[i]);
                den_strv_free(tags);
        } else if (!err || !err->msg || tags) {
                abort();
        }
        den_error_free(err);
        return 0;
}
