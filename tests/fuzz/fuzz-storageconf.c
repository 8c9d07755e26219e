/* Fuzz target for storage/conf.c: storage.conf text to the driver of a new store. Whatever the
 * input, the result is an error or one of den's drivers (or none). */
#include <stdint.h>

#include "storage/storage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        den_error *err = NULL;
        char *driver = NULL;
        int r = store_conf_parse((const char *) data, size, "storage.conf", &driver, &err);

        if (r < 0) {
                if (!err || !err->msg || driver)
                        abort();
        } else if (err || (driver && !streq(driver, "overlay") &&
                           !streq(driver, "fuse-overlayfs") && !streq(driver, "vfs"))) {
                abort();
        }
        den_error_free(err);
        free(driver);
        return 0;
}
