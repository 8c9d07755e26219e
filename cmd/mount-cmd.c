/* den mount / den umount: mount a container's root where the user can look at it, and
 * unmount it again.
 *
 * Rootless, a mount exists only in a mount namespace owned by den's user namespace, so as
 * podman does, `mount` works only inside `den unshare` (which gives its shell such a
 * namespace) and the path it prints is meaningful there. Outside it is podman's error.
 * Without arguments, `mount` lists the containers whose root is mounted in this mount
 * namespace: a mount point at containers/<id>/rootfs (vfs roots are plain directories, so
 * `mount` leaves a marker in the container's run directory for them). */
#include <fcntl.h>
#include <sys/stat.h>
#include "ctr-run.h"

#define VFS_MARKER "mounted"

/* True when dir/name is the root of a mount (its mount id differs from dir's). */
static bool is_mount_point(const char *dir, const char *name)
{
        _cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        struct statx a, b;

        if (dfd < 0 ||
            statx(dfd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID | STATX_INO, &a) < 0 ||
            statx(dfd, name, AT_SYMLINK_NOFOLLOW, STATX_MNT_ID | STATX_INO, &b) < 0)
                return false;
        if ((a.stx_mask & STATX_MNT_ID) && (b.stx_mask & STATX_MNT_ID))
                return a.stx_mnt_id != b.stx_mnt_id;
        return a.stx_dev_major != b.stx_dev_major || a.stx_dev_minor != b.stx_dev_minor;
}

static bool vfs_marker(struct store *s, const struct store_container *rec, bool is_set,
                       bool is_clear)
{
        _cleanup_free_ char *rundir = NULL;
        _cleanup_close_ int dfd = -EBADF;
        den_error *e = NULL;

        if (store_container_rundir(s, rec->id, &rundir, &e) < 0) {
                den_error_free(e);
                return false;
        }
        dfd = open(rundir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return false;
        if (is_set)
                return den_write_file_atomic_at(dfd, VFS_MARKER, "", 0, 0600) == 0;
        if (is_clear)
                return unlinkat(dfd, VFS_MARKER, 0) == 0;
        return faccessat(dfd, VFS_MARKER, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

static bool is_mounted(struct store *s, const struct cmd_ctr *c)
{
        if (streq(c->rec->driver, "vfs"))
                return vfs_marker(s, c->rec, false, false);
        return is_mount_point(c->dir, "rootfs");
}

static int list_mounted(struct store *s, bool is_no_trunc, const char *format, den_error **err)
{
        struct cmd_ctr **v = NULL;
        json_t *rows = json_array();
        size_t n = 0;
        int r = 0;

        if (cmd_ctr_load_all(s, &v, &n, err) < 0) {
                json_decref(rows);
                return -1;
        }
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *path = NULL;

                if (!is_mounted(s, v[i]))
                        continue;
                path = den_path_join(v[i]->dir, "rootfs");
                if (format)
                        json_array_append_new(rows, json_pack("{s:s, s:[s], s:s}", "id",
                                                              v[i]->rec->id, "Names",
                                                              v[i]->rec->name, "mountpoint", path));
                else
                        printf("%-*.*s  %s\n", is_no_trunc ? 64 : 12, is_no_trunc ? 64 : 12,
                               v[i]->rec->id, path);
        }
        if (format)
                r = cmd_output_rows(stdout, rows, NULL, format, "table {{.id}}\t{{.mountpoint}}",
                                    NULL, err);
        json_decref(rows);
        cmd_ctrs_free(v, n);
        return r;
}

static int run_mount(struct cmd_ctx *ctx, const struct cmd_args *a, den_error **err)
{
        const char *format = cmd_str(a, "format");
        struct cmd_ctr **v = NULL;
        struct store *s;
        size_t n = 0;
        int r = 0;

        if (!rt_userns_is_inside())
                return den_error_set(err, 0,
                                     "cannot run command \"den mount\" in rootless mode, must "
                                     "execute `den unshare` first");
        if (format && !cmd_format_is_json(format))
                return den_error_set(err, 0, "unknown --format argument: %s", format);
        if (cmd_ctx_store(ctx, true, &s, err) < 0)
                return -1;
        if (!a->n_pos && !cmd_flag(a, "all") && !cmd_flag(a, "latest"))
                return list_mounted(s, cmd_flag(a, "no-trunc"), format, err);
        if (a->n_pos && (cmd_flag(a, "all") || cmd_flag(a, "latest")))
                return den_error_set(err, 0,
                                     "--all, --latest and containers cannot be used together");
        if (a->n_pos) {
                if (cmd_ctr_load_named(s, a->pos, a->n_pos, &v, &n, err) < 0)
                        return -1;
        } else if (cmd_ctr_load_all(s, &v, &n, err) < 0) {
                return -1;
        } else if (cmd_flag(a, "latest") && n > 1) {
                for (size_t i = 1; i < n; i++)
                        cmd_ctr_free(v[i]);
                n = 1;
        }
        for (size_t i = 0; i < n && r == 0; i++) {
                _cleanup_free_ char *path = NULL;

                r = store_container_mount(s, v[i]->rec, &path, err);
                if (r < 0)
                        break;
                if (streq(v[i]->rec->driver, "vfs"))
                        (void) vfs_marker(s, v[i]->rec, true, false);
                if (a->n_pos == 1)
                        printf("%s\n", path);
                else
                        printf("%s %s\n", v[i]->rec->id, path);
        }
        cmd_ctrs_free(v, n);
        return r;
}

static int run_umount(struct cmd_ctx *ctx, const struct cmd_args *a, den_error **err)
{
        struct cmd_ctr **v = NULL;
        struct store *s;
        size_t n = 0;
        int r = 0;

        if (!a->n_pos && !cmd_flag(a, "all"))
                return den_error_set(err, 0, "you must provide at least one name or id");
        if (cmd_ctx_store(ctx, rt_userns_is_inside(), &s, err) < 0)
                return -1;
        if (a->n_pos) {
                if (cmd_ctr_load_named(s, a->pos, a->n_pos, &v, &n, err) < 0)
                        return -1;
        } else if (cmd_ctr_load_all(s, &v, &n, err) < 0) {
                return -1;
        }
        for (size_t i = 0; i < n && r == 0; i++) {
                bool was_mounted = is_mounted(s, v[i]);

                /* outside `den unshare` nothing of den's is mounted in this namespace */
                if (rt_userns_is_inside() && !streq(v[i]->rec->driver, "vfs"))
                        r = store_container_unmount(s, v[i]->rec, err);
                if (r < 0)
                        break;
                if (streq(v[i]->rec->driver, "vfs"))
                        (void) vfs_marker(s, v[i]->rec, false, true);
                if (a->n_pos)
                        printf("%s\n", a->pos[i]);
                else if (was_mounted)
                        printf("%s\n", v[i]->rec->id);
        }
        cmd_ctrs_free(v, n);
        return r;
}

static const struct cmd_opt mount_opts[] = {
        { "all", 'a', CMD_OPT_BOOL, NULL, "Mount all containers" },
        { "format", 0, CMD_OPT_STRING, "string",
          "Print the mounted containers in specified format (json)" },
        { "latest", 'l', CMD_OPT_BOOL, NULL, "Act on the latest container den is aware of" },
        { "no-trunc", 0, CMD_OPT_BOOL, NULL, "Do not truncate output" },
        { 0 },
};

const struct cmd cmd_mount = {
        .name = "mount",
        .aliases = { "container mount" },
        .usage = "[options] [CONTAINER...]",
        .summary = "Mount a working container's root filesystem",
        .description = "Without a container, lists the mounted containers' mount points. "
                       "Rootless, it must run inside `den unshare`.",
        .opts = mount_opts,
        .max_args = -1,
        .run = run_mount,
};

static const struct cmd_opt umount_opts[] = {
        { "all", 'a', CMD_OPT_BOOL, NULL, "Umount all of the currently mounted containers" },
        { "force", 'f', CMD_OPT_BOOL, NULL,
          "Force the complete umount of the specified mounted containers" },
        { 0 },
};

const struct cmd cmd_umount = {
        .name = "umount",
        .aliases = { "container umount", "unmount", "container unmount" },
        .usage = "[options] CONTAINER [CONTAINER...]",
        .summary = "Unmount working container's root filesystem",
        .opts = umount_opts,
        .max_args = -1,
        .run = run_umount,
};
