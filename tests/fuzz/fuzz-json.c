/* Fuzz the store's JSON reader against jansson's: for every input both accept or both refuse,
 * and what they accept is equal; a difference aborts. */
#include <stdint.h>
#include "storage/storage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        json_error_t e1, e2;
        json_t *mine = store_json_load((const char *) data, size, &e1);
        json_t *theirs = json_loadb((const char *) data, size, JSON_REJECT_DUPLICATES, &e2);

        /* the one difference allowed: jansson skips a NUL byte right after a number or a
         * literal ("[1\0]" is [1] to it); the store's reader refuses NUL outside strings as
         * everywhere else, and must have stopped at one */
        if (!mine && theirs && e1.position >= 0 && (size_t) e1.position < size &&
            data[e1.position] == '\0') {
                json_decref(theirs);
                return 0;
        }
        if (!mine != !theirs) {
                fprintf(stderr, "store_json_load %s, json_loadb %s\n", mine ? "accepts" : e1.text,
                        theirs ? "accepts" : e2.text);
                abort();
        }
        if (mine && !json_equal(mine, theirs)) {
                fprintf(stderr, "store_json_load and json_loadb read different values\n");
                abort();
        }
        if (!mine && !e1.text[0]) {
                fprintf(stderr, "store_json_load refused without a reason\n");
                abort();
        }
        json_decref(mine);
        json_decref(theirs);
        return 0;
}
