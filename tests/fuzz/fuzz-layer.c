/* Fuzzes layer extraction: arbitrary bytes (plain, gzip or zstd, as sniffed) are extracted
 * into a fresh directory, in either whiteout format, and the target aborts if anything
 * appeared outside it. The directory is removed after each input. */
#include "image/image.h"

#include <sys/mman.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char base[64];
static int base_fd = -EBADF;

static void remove_base(void)
{
        int parent = open("/tmp", O_PATH | O_DIRECTORY | O_CLOEXEC);

        if (parent >= 0) {
                (void) den_rm_rf_at(parent, strrchr(base, '/') + 1);
                close(parent);
        }
}

static void setup(void)
{
        snprintf(base, sizeof(base), "/tmp/den-fuzz-layer.XXXXXX");
        if (!mkdtemp(base))
                abort();
        base_fd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (base_fd < 0 || mkdirat(base_fd, "sentinel", 0755) < 0)
                abort();
        atexit(remove_base);
}

static size_t count_children(const char *name)
{
        int fd = openat(base_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd < 0 ? NULL : fdopendir(fd);
        struct dirent *de;
        size_t n = 0;

        if (!d)
                abort();
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        n++;
        closedir(d);
        return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct img_layer_opts opts = {
                .whiteouts = size % 2 ? IMG_WHITEOUT_APPLY : IMG_WHITEOUT_OVERLAY,
                .max_size = 64u << 20,
        };
        struct img_layer_result res = { 0 };
        den_error *err = NULL;
        int in, dest;

        if (base_fd < 0)
                setup();
        in = memfd_create("layer", MFD_CLOEXEC);
        if (in < 0 || den_write_all(in, data, size) < 0 || lseek(in, 0, SEEK_SET) < 0)
                abort();
        if (mkdirat(base_fd, "dest", 0755) < 0)
                abort();
        dest = openat(base_fd, "dest", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dest < 0)
                abort();
        if (img_layer_extract(in, dest, &opts, &res, &err) == 0)
                img_layer_result_clear(&res);
        den_error_free(err);
        close(dest);
        close(in);

        /* nothing may appear beside dest, nor in the sentinel directory */
        if (count_children(".") != 2 || count_children("sentinel") != 0)
                abort();
        if (den_rm_rf_at(base_fd, "dest") < 0)
                abort();
        return 0;
}
