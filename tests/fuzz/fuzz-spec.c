/* Fuzz target for runtime/spec.c: parses the input as a config.json. A rejected one must
 * come with a message and no spec. */
#include <stdint.h>

#include "runtime/runtime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct rt_spec *s = NULL;
        den_error *err = NULL;

        if (rt_spec_parse((const char *) data, size, &s, &err) < 0) {
                if (!err || !err->msg || !err->msg[0] || s)
                        abort();
                den_error_free(err);
                return 0;
        }
        if (!s || err)
                abort();
        (void) rt_spec_has_terminal(s);
        rt_spec_free(s);
        return 0;
}
