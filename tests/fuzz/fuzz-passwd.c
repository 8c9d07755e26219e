/* Fuzzes the parsers of untrusted text in cmd/: the rootfs's /etc/passwd and /etc/group
 * (cmd/spec.c) and --env-file (cmd/ctr-opts.c). The same input is read as each; whatever
 * they return must be consistent with the text. */
#include "cmd/ctr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* cmd/spec.c links the runtime's seccomp-to-OCI conversion; a runtime without it yet gets this
 * stand-in (never called here). */
json_t *rt_seccomp_to_oci(const struct rt_seccomp *p, const struct rt_seccomp_target *t,
                          den_error **err);
__attribute__((weak)) json_t *rt_seccomp_to_oci(const struct rt_seccomp *p,
                                                const struct rt_seccomp_target *t, den_error **err)
{
        abort();
}

static void check_passwd(const char *text, size_t len)
{
        struct cmd_passwd_entry e = { 0 };

        if (cmd_passwd_find(text, len, "root", 0, &e) == 0) {
                if (!e.name || !streq(e.name, "root") || !e.home)
                        abort();
                cmd_passwd_entry_clear(&e);
        }
        if (cmd_passwd_find(text, len, NULL, 1000, &e) == 0) {
                if (e.uid != 1000 || !e.name || !*e.name)
                        abort();
                cmd_passwd_entry_clear(&e);
        }
}

static void check_group(const char *text, size_t len)
{
        gid_t g = 0, *gids = NULL;
        size_t n = 0;
        int r;

        (void) cmd_group_find(text, len, "wheel", 0, &g);
        if (cmd_group_find(text, len, NULL, 10, &g) == 0 && g != 10)
                abort();
        r = cmd_group_members(text, len, "alice", &gids, &n);
        if (r == 0 && (n > 64 || (n == 0) != (gids == NULL)))
                abort();
        if (r < 0 && r != -E2BIG && r != -EFBIG)
                abort();
        free(gids);
}

static void check_env_file(const char *text, size_t len)
{
        char **vars = NULL;
        den_error *err = NULL;

        if (cmd_env_file_parse(text, len, "fuzz", &vars, &err) < 0) {
                if (!err || !err->msg)
                        abort();
                den_error_free(err);
                return;
        }
        for (char **v = vars; *v; v++)
                if (**v == '=' || !strchr(*v, '=') || strchr(*v, '\n'))
                        abort();
        den_strv_free(vars);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > (8u << 20))
                return 0;
        check_passwd((const char *) data, size);
        check_group((const char *) data, size);
        check_env_file((const char *) data, size);
        return 0;
}
