/* Fuzz target for runtime/seccomp.c: parses the input as a seccomp profile. A rejected one
 * must come with a message and no profile; an accepted small one is also compiled (on the
 * native architecture and on aarch64, for two bounding sets), which runs every rule through
 * the condition checks and libseccomp, and its program must have the shape the kernel takes. */
#include <linux/filter.h>
#include <stdint.h>

#include "runtime/runtime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void compile(const struct rt_seccomp *p, const char *arch, char *const *caps)
{
        const struct rt_seccomp_target t = { .arch = arch, .kernel = "5.10", .caps = caps };
        den_error *err = NULL;
        struct den_buf key = { 0 };
        void *bpf = NULL;
        size_t len = 0;

        if (rt_seccomp_cache_key(p, &t, &key, &err) < 0 || key.len == 0)
                abort();
        den_buf_free(&key);
        if (rt_seccomp_compile(p, &t, &bpf, &len, &err) < 0) {
                /* libseccomp may refuse a rule (a comparison it cannot build, say) */
                if (!err || !err->msg || bpf)
                        abort();
                den_error_free(err);
                return;
        }
        if (len == 0 || len % sizeof(struct sock_filter) != 0 ||
            len / sizeof(struct sock_filter) > BPF_MAXINSNS)
                abort();
        free(bpf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static char *const caps[] = { "CAP_SYS_ADMIN", "CAP_AUDIT_WRITE", "CAP_A", NULL };
        struct rt_seccomp *p = NULL;
        den_error *err = NULL;

        if (rt_seccomp_parse((const char *) data, size, &p, &err) < 0) {
                if (!err || !err->msg || !err->msg[0] || p)
                        abort();
                den_error_free(err);
                return 0;
        }
        if (!p || err)
                abort();
        /* compiling costs milliseconds: keep the fuzzer fast on the parser */
        if (!rt_seccomp_is_unconfined(p) && size < 1024) {
                compile(p, NULL, NULL);
                compile(p, "aarch64", caps);
        }
        rt_seccomp_free(p);
        return 0;
}
