/* Fuzzes the k8s-file log reader (runtime/logs.c): each line through rt_klog_parse, whose
 * result must point inside the line, then the whole input through rt_log_print with and
 * without --tail, as a log file den-monitor could have written or a user could have edited. */
#include <sys/mman.h>

#include "runtime/runtime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_lines(const char *text, size_t size)
{
        const char *p = text, *end = text + size;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t len = nl ? (size_t) (nl - p) : (size_t) (end - p);
                struct rt_klog_line l;

                if (rt_klog_parse(p, len, &l) == 0) {
                        if (l.time != p || l.time_len >= len || l.msg < p ||
                            l.msg + l.msg_len != p + len || l.time_ns < 0)
                                abort();
                }
                p += len + 1;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const long tails[] = { -1, 0, 1, 3 };
        _cleanup_close_ int fd = -EBADF, null_fd = -EBADF;
        char path[64];

        if (size > 1 << 20)
                return 0;
        check_lines((const char *) data, size);
        fd = memfd_create("klog", MFD_CLOEXEC);
        null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (fd < 0 || null_fd < 0 || den_write_all(fd, data, size) < 0)
                return 0;
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        for (size_t i = 0; i < ARRAY_SIZE(tails); i++) {
                struct rt_log_opts o = {
                        .tail = tails[i],
                        .is_timestamps = i % 2 == 1,
                        .since_ns = i == 2 ? 1704067200LL * 1000000000 : 0,
                        .out_fd = null_fd,
                        .err_fd = null_fd,
                };
                den_error *err = NULL;

                if (rt_log_print(path, &o, &err) < 0)
                        abort(); /* a readable file is never an error, whatever it holds */
        }
        return 0;
}
