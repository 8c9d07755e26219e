/* storage.conf, as podman reads it for a rootless user: the driver a new store gets.
 *
 * The file is the first that exists of $CONTAINERS_STORAGE_CONF, the user's
 * $XDG_CONFIG_HOME/containers/storage.conf (~/.config/containers/storage.conf), then
 * /etc/containers/storage.conf and /usr/share/containers/storage.conf. Only [storage] driver
 * and overlay's mount_program ([storage.options.overlay] or [storage.options]) matter to den:
 * "overlay" with a fuse-overlayfs mount program is den's fuse-overlayfs driver. A store keeps
 * the driver it was made with (store.json); the file only decides for a new one. */
#include "storage/internal.h"

#include <sys/stat.h>

static const char *conf_str(const struct den_toml *t, const char *name, const char *key,
                            den_error **err, bool *bad)
{
        const struct den_toml *v = den_toml_get(t, key);

        if (!v)
                return NULL;
        if (v->type != DEN_TOML_STRING) {
                den_error_set(err, 0, "%s:%u:%u: \"%s\" must be a string, not %s", name, v->line,
                              v->col, key, den_toml_type_name(v->type));
                *bad = true;
                return NULL;
        }
        return v->str;
}

int store_conf_parse(const char *text, size_t len, const char *name, char **ret_driver,
                     den_error **err)
{
        _cleanup_(den_toml_freep) struct den_toml *doc = NULL;
        const struct den_toml *storage, *options, *overlay;
        const char *driver, *program = NULL;
        bool bad = false;

        *ret_driver = NULL;
        if (den_toml_parse(text, len, name, &doc, err) < 0)
                return -1;
        storage = den_toml_get(doc, "storage");
        if (!storage)
                return 0;
        if (storage->type != DEN_TOML_TABLE)
                return den_error_set(err, 0, "%s:%u:%u: \"storage\" must be a table", name,
                                     storage->line, storage->col);
        driver = conf_str(storage, name, "driver", err, &bad);
        options = den_toml_get(storage, "options");
        overlay = den_toml_get(options, "overlay");
        if (!bad)
                program = conf_str(overlay, name, "mount_program", err, &bad);
        if (!bad && !program)
                program = conf_str(options, name, "mount_program", err, &bad);
        if (bad)
                return -1;
        if (!driver || !*driver)
                return 0; /* den's default */
        if (streq(driver, "overlay") || streq(driver, "overlay2")) {
                const char *base = program ? strrchr(program, '/') : NULL;

                base = base ? base + 1 : program;
                *ret_driver = xstrdup(base && den_str_has_prefix(base, "fuse-overlayfs")
                                              ? "fuse-overlayfs"
                                              : "overlay");
                return 0;
        }
        if (streq(driver, "vfs")) {
                *ret_driver = xstrdup("vfs");
                return 0;
        }
        return den_error_set(err, 0,
                             "%s: storage driver \"%s\" is not supported (overlay, "
                             "fuse-overlayfs through mount_program, vfs)",
                             name, driver);
}

/* The user's file: $XDG_CONFIG_HOME or ~/.config. */
static char *user_conf_path(void)
{
        const char *x = getenv("XDG_CONFIG_HOME");
        const char *home = getenv("HOME");

        if (x && *x == '/')
                return den_path_join(x, "containers/storage.conf");
        if (home && *home == '/')
                return den_path_join(home, ".config/containers/storage.conf");
        return NULL;
}

int store_conf_driver(char **ret_driver, den_error **err)
{
        _cleanup_free_ char *user = user_conf_path();
        const char *env = getenv("CONTAINERS_STORAGE_CONF");
        const char *paths[] = { env && *env ? env : NULL, user, "/etc/containers/storage.conf",
                                "/usr/share/containers/storage.conf" };

        *ret_driver = NULL;
        for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
                _cleanup_free_ char *text = NULL;
                size_t len = 0;
                int r;

                if (!paths[i])
                        continue;
                r = den_read_file_at(AT_FDCWD, paths[i], DEN_TOML_MAX_SIZE, &text, &len);
                /* $CONTAINERS_STORAGE_CONF must exist; the others are looked for */
                if ((r == -ENOENT || r == -ENOTDIR) && paths[i] != paths[0])
                        continue;
                if (r < 0)
                        return den_error_set(err, -r, "read %s", paths[i]);
                return store_conf_parse(text, len, paths[i], ret_driver, err);
        }
        return 0;
}
