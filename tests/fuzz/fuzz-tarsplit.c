/* Fuzz the tar-split recorder with arbitrary streams, in arbitrary chunkings, and replay what
 * it accepts against an empty root. */
#include <stdint.h>
#include "image/image.h"

static int sink(void *ud, const void *buf, size_t n, den_error **err)
{
        *(size_t *) ud += n;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct img_tarsplit_rec *rec = img_tarsplit_rec_new();
        den_error *err = NULL;
        char *out = NULL;
        size_t len = 0, chunk = size ? (size_t) data[0] % 97 + 1 : 1;

        for (size_t off = 0; off < size; off += chunk)
                img_tarsplit_rec_feed(rec, data + off, size - off < chunk ? size - off : chunk);
        if (img_tarsplit_rec_finish(rec, &out, &len, &err) == 0) {
                char tmpl[] = "/tmp/den-fuzz-ts-XXXXXX";
                int fd = mkstemp(tmpl);
                int root = open("/var/empty", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                size_t total = 0;

                if (root < 0)
                        root = open("/proc/self/fdinfo", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                unlink(tmpl);
                den_write_all(fd, out, len);
                lseek(fd, 0, SEEK_SET);
                (void) img_tarsplit_replay(fd, root, sink, &total, &err);
                close(fd);
                close(root);
        }
        den_error_free(err);
        free(out);
        return 0;
}
