/* Unit tests for storage.conf (storage/conf.c): which driver a new store gets, the files looked
 * for in order, and the errors for what den cannot use. */
#include <stdlib.h>
#include <sys/stat.h>
#include "storage/storage.h"
#include "tap.h"

static char *driver_of(const char *text, const char **ret_err)
{
        static char msg[512];
        den_error *err = NULL;
        char *d = NULL;

        *ret_err = NULL;
        if (store_conf_parse(text, strlen(text), "storage.conf", &d, &err) < 0) {
                snprintf(msg, sizeof(msg), "%s", err->msg);
                *ret_err = msg;
                den_error_free(err);
                return xstrdup("(error)");
        }
        return d ? d : xstrdup("(none)");
}

static void check(const char *text, const char *want, const char *want_err)
{
        const char *e;
        _cleanup_free_ char *d = driver_of(text, &e);

        is_str(d, want);
        if (want_err)
                ok(e && strstr(e, want_err) != NULL);
}

static void write_file(const char *path, const char *text)
{
        FILE *f = fopen(path, "w");

        fputs(text, f);
        fclose(f);
}

int main(void)
{
        char tmp[] = "/tmp/den-test-conf-XXXXXX";
        _cleanup_free_ char *cfg = NULL, *file = NULL, *env_file = NULL;
        den_error *err = NULL;
        char *d = NULL;

        check("", "(none)", NULL);
        check("[storage]\nrunroot = \"/run/x\"\n", "(none)", NULL);
        check("[storage]\ndriver = \"overlay\"\n", "overlay", NULL);
        check("[storage]\ndriver = \"vfs\"\n", "vfs", NULL);
        check("[storage]\ndriver = \"overlay\"\n[storage.options.overlay]\n"
              "mount_program = \"/usr/bin/fuse-overlayfs\"\n",
              "fuse-overlayfs", NULL);
        check("[storage]\ndriver = \"overlay\"\n[storage.options]\n"
              "mount_program = \"/usr/bin/fuse-overlayfs\"\n",
              "fuse-overlayfs", NULL);
        check("[storage]\ndriver = \"overlay\"\n[storage.options.overlay]\nmount_program = \"\"\n",
              "overlay", NULL);
        check("[storage]\ndriver = \"btrfs\"\n", "(error)",
              "storage.conf: storage driver \"btrfs\" is not supported");
        check("[storage]\ndriver = 1\n", "(error)",
              "storage.conf:2:10: \"driver\" must be a string, not integer");
        check("storage = 1\n", "(error)", "\"storage\" must be a table");
        check("[storage\n", "(error)", "storage.conf:1:");

        /* the files: the user's first, then /etc, /usr/share; $CONTAINERS_STORAGE_CONF wins */
        ok(mkdtemp(tmp) != NULL);
        cfg = xasprintf("%s/containers", tmp);
        ok(mkdir(cfg, 0700) == 0);
        file = xasprintf("%s/storage.conf", cfg);
        write_file(file, "[storage]\ndriver = \"vfs\"\n");
        setenv("XDG_CONFIG_HOME", tmp, 1);
        unsetenv("CONTAINERS_STORAGE_CONF");
        is_int(store_conf_driver(&d, &err), 0);
        is_str(d, "vfs");
        free(d);
        env_file = xasprintf("%s/other.conf", tmp);
        write_file(env_file, "[storage]\ndriver = \"overlay\"\n[storage.options.overlay]\n"
                             "mount_program = \"/usr/bin/fuse-overlayfs\"\n");
        setenv("CONTAINERS_STORAGE_CONF", env_file, 1);
        is_int(store_conf_driver(&d, &err), 0);
        is_str(d, "fuse-overlayfs");
        free(d);
        /* a named file that is missing is an error, naming it */
        setenv("CONTAINERS_STORAGE_CONF", "/nonexistent/storage.conf", 1);
        ok(store_conf_driver(&d, &err) < 0);
        ok(err && strstr(err->msg, "/nonexistent/storage.conf") != NULL);
        den_error_free(err);
        err = NULL;
        unsetenv("CONTAINERS_STORAGE_CONF");
        unlink(file);
        unlink(env_file);
        rmdir(cfg);
        rmdir(tmp);
        return tap_done();
}
