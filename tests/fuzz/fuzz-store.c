/* Fuzz the store's images.json parser: strict, bounded, never crashing. */
#include <stdint.h>
#include "storage/storage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct store_image **imgs = NULL;
        size_t n = 0;
        den_error *err = NULL;

        if (store_images_parse((const char *) data, size, &imgs, &n, &err) == 0)
                store_images_free(imgs, n);
        den_error_free(err);
        return 0;
}
