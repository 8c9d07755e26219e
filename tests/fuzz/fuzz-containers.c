/* Fuzz the store's containers.json parser: strict, bounded, never crashing. */
#include <stdint.h>
#include "storage/storage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct store_container **v = NULL;
        size_t n = 0;
        den_error *err = NULL;

        if (store_containers_parse((const char *) data, size, &v, &n, &err) == 0)
                store_containers_free(v, n);
        den_error_free(err);
        return 0;
}
