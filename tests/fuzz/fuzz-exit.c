/* Fuzzes the exit record reader (runtime/exit.c): a record den-monitor or a failed start
 * wrote, or anything a damaged store holds. An accepted one has a code of 0-255 and times
 * that are not negative; a refused one has a message. A record rt_exit_write makes of the
 * result reads back the same. */
#include <fcntl.h>

#include "runtime/runtime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct rt_exit ex = { 0 }, back = { 0 };
        den_error *err = NULL;
        char dir[] = "/tmp/den-fuzz-exit-XXXXXX";
        _cleanup_free_ char *path = NULL;
        int dfd;

        if (rt_exit_parse((const char *) data, size, &ex, &err) < 0) {
                if (!err || !err->msg)
                        abort();
                den_error_free(err);
                return 0;
        }
        if (ex.exit_code < 0 || ex.exit_code > 255 || ex.finished_ns < 0 || ex.started_ns < 0)
                abort();
        if (!mkdtemp(dir))
                abort();
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        path = den_path_join(dir, "exit");
        if (dfd < 0 || rt_exit_write(dfd, "exit", &ex, NULL) < 0 ||
            rt_exit_read(path, &back, NULL) != 0 || back.exit_code != ex.exit_code ||
            back.finished_ns != ex.finished_ns || back.started_ns != ex.started_ns ||
            back.is_oom_killed != ex.is_oom_killed)
                abort();
        (void) unlinkat(dfd, "exit", 0);
        close(dfd);
        (void) rmdir(dir);
        return 0;
}
