/* Fuzzes the /etc/subuid parser (runtime/subid.c): any text, for a user matched by name and
 * by uid. Every range returned must be one newuidmap could accept. */
#include "runtime/runtime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *text, const char *user, uid_t uid)
{
        struct rt_idmap *r = NULL;
        size_t n = 0;
        int got = rt_subid_parse(text, user, uid, &r, &n);

        if (got < 0) {
                if (got != -E2BIG)
                        abort();
                return;
        }
        if ((size_t) got != n || n > 64 || (n == 0) != (r == NULL))
                abort();
        for (size_t i = 0; i < n; i++)
                if (r[i].size == 0 || (uint64_t) r[i].host_id + r[i].size > UINT32_MAX ||
                    r[i].container_id != 0)
                        abort();
        free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *text = NULL;

        if (size > 1 << 20)
                return 0;
        text = xstrndup((const char *) data, size);
        check(text, "alice", 1000);
        check(text, NULL, 0);
        check(text, "", 4294967295u);
        return 0;
}
