/* Unit tests for container records (containers.json, lookup, create, update, rename,
 * remove, the image-in-use rule) and for container root filesystems: the vfs copy with
 * whiteouts, and the overlay and fuse-overlayfs mounts, checked from a child process in its
 * own user and mount namespaces (the way den mounts them). */
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include "storage/storage.h"
#include "tap.h"

static char base[PATH_MAX];

#define skip(reason)                                        \
        do {                                                \
                tap_n++;                                    \
                printf("ok %d # skip %s\n", tap_n, reason); \
        } while (0)

static char *path_in(const char *rel)
{
        return xasprintf("%s/%s", base, rel);
}

static bool path_exists(const char *dir, const char *rel)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, rel);
        struct stat st;

        return lstat(p, &st) == 0;
}

static char *read_text(const char *dir, const char *rel)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, rel);
        char *buf = NULL;
        size_t len = 0;

        if (den_read_file_at(AT_FDCWD, p, 1 << 20, &buf, &len) < 0)
                return NULL;
        return buf;
}

static int open_store(const char *name, const char *driver, struct store **ret)
{
        _cleanup_free_ char *root = path_in(name);
        _cleanup_free_ char *run = xasprintf("%s/run-%s", base, name);
        _cleanup_error_ den_error *err = NULL;
        struct store_opts o = { .root = root, .runroot = run, .driver = driver };

        return store_open(&o, ret, &err);
}

static void make_digest(const char *seed, char out[72])
{
        den_sha256_buf(seed, strlen(seed), out);
}

static bool err_has(const den_error *e, const char *text)
{
        if (e && !strstr(e->msg, text))
                printf("# error was: %s\n", e->msg);
        return e && e->msg && strstr(e->msg, text);
}

static void put_file(int dfd, const char *name, const char *text, mode_t mode)
{
        int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);

        if (fd < 0 || den_write_all(fd, text, strlen(text)) < 0 || fchmod(fd, mode) < 0)
                abort();
        close(fd);
}

static void put_whiteout(int dfd, const char *name)
{
        if (mknodat(dfd, name, S_IFCHR | 0, makedev(0, 0)) < 0)
                abort();
}

static void put_opaque_dir(int dfd, const char *name)
{
        int fd;

        if (mkdirat(dfd, name, 0755) < 0)
                abort();
        fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || fsetxattr(fd, "user.overlay.opaque", "y", 1, 0) < 0)
                abort();
        close(fd);
}

/* The base layer: plain files, a hard link pair, a symlink, a fifo, owners, an xattr. */
static void fill_base(int dfd)
{
        int fd;

        put_file(dfd, "a", "a1", 0644);
        put_file(dfd, "keep", "keep", 0644);
        put_file(dfd, "wh", "gone", 0644);
        put_file(dfd, "owned", "x", 0640);
        if ((geteuid() == 0 && fchownat(dfd, "owned", 1234, 5678, 0) < 0) ||
            fchmodat(dfd, "owned", 04750, 0) < 0)
                abort();
        put_file(dfd, "hl1", "linked", 0644);
        if (linkat(dfd, "hl1", dfd, "hl2", 0) < 0 || symlinkat("a", dfd, "sl") < 0 ||
            symlinkat("/etc/passwd", dfd, "abs") < 0 || mkfifoat(dfd, "fifo", 0600) < 0)
                abort();
        for (int i = 0; i < 2; i++) {
                fd = openat(dfd, i ? "keep" : "a", O_RDONLY | O_CLOEXEC);
                if (fd < 0 || fsetxattr(fd, "user.test", "v1", 2, 0) < 0)
                        abort();
                close(fd);
        }
        if (mkdirat(dfd, "d", 0755) < 0 || mkdirat(dfd, "dir2", 0755) < 0)
                abort();
        fd = openat(dfd, "d", O_PATH | O_DIRECTORY | O_CLOEXEC);
        put_file(fd, "old", "old", 0644);
        close(fd);
        fd = openat(dfd, "dir2", O_PATH | O_DIRECTORY | O_CLOEXEC);
        put_file(fd, "x", "x", 0644);
        close(fd);
}

/* The middle layer: a changed file, a whiteout, an opaque dir, a dir replaced by a file. */
static void fill_mid(int dfd)
{
        int fd;

        put_file(dfd, "a", "a2", 0600);
        put_whiteout(dfd, "wh");
        put_opaque_dir(dfd, "d");
        fd = openat(dfd, "d", O_PATH | O_DIRECTORY | O_CLOEXEC);
        put_file(fd, "new", "new", 0644);
        close(fd);
        put_file(dfd, "dir2", "now a file", 0644);
}

static void fill_top(int dfd)
{
        put_file(dfd, "new3", "3", 0644);
        put_whiteout(dfd, "sl");
}

static int add_layer(struct store *s, const char *diff_id, void (*fill)(int dfd),
                     const char *single)
{
        struct store_stage *st = NULL;
        _cleanup_error_ den_error *err = NULL;
        int r;

        if (store_layer_stage(s, &st, &err) < 0)
                return -1;
        if (fill)
                fill(st->dfd);
        else
                put_file(st->dfd, single, single, 0644);
        r = store_layer_commit(s, st, diff_id, 1, &err);
        store_stage_free(s, st);
        return r;
}

struct fixture {
        char l[3][72];
        char id[65];
};

/* Three layers and an image "localhost/test:latest" over them. */
static int fixture_add(struct store *s, struct fixture *f)
{
        _cleanup_error_ den_error *err = NULL;
        char cfg[72];
        struct store_image img;

        make_digest("layer-base", f->l[0]);
        make_digest("layer-mid", f->l[1]);
        make_digest("layer-top", f->l[2]);
        make_digest("image", cfg);
        memcpy(f->id, cfg + 7, 65);
        if (add_layer(s, f->l[0], fill_base, NULL) < 0 || add_layer(s, f->l[1], fill_mid, NULL) ||
            add_layer(s, f->l[2], fill_top, NULL) < 0)
                return -1;
        img = (struct store_image){
                .id = f->id,
                .names = (char *[]){ "localhost/test:latest", NULL },
                .config_digest = cfg,
                .layers = (char *[]){ f->l[0], f->l[1], f->l[2], NULL },
                .created = 1700000000,
                .size = 3,
        };
        return store_image_add(s, &img, &err);
}

static int create(struct store *s, const char *id, const char *name, const char *image_id,
                  const char *driver, struct store_container **ret, den_error **err)
{
        struct store_container *c = xcalloc(1, sizeof(*c));
        int r;

        c->id = id ? xstrdup(id) : NULL;
        c->name = name ? xstrdup(name) : NULL;
        c->image_id = xstrdup(image_id);
        c->image_name = xstrdup("localhost/test:latest");
        c->driver = driver ? xstrdup(driver) : NULL;
        c->meta = json_pack("{s:s}", "state", "created");
        r = store_container_create(s, c, err);
        if (r == 0 && ret)
                *ret = c;
        else
                store_container_free(c);
        return r;
}

static bool name_matches_rule(const char *n)
{
        if (!n || !*n || !strchr("abcdefghijklmnopqrstuvwxyz0123456789", n[0]))
                return false;
        return strspn(n, "abcdefghijklmnopqrstuvwxyz0123456789_.-") == strlen(n);
}

/* ---------------------------------------------------------------- records */

/* The configuration is written to the container's directory, not containers.json, and read
 * back only when asked for. */
static void test_config(struct store *s, const struct fixture *f)
{
        _cleanup_free_ char *dir = NULL;
        _cleanup_free_ char *list = NULL;
        _cleanup_free_ char *path = NULL;
        struct store_container *c = xcalloc(1, sizeof(*c)), *got = NULL;
        den_error *err = NULL;

        c->name = xstrdup("cfg");
        c->image_id = xstrdup(f->id);
        c->meta = json_pack("{s:s}", "state", "created");
        c->config = json_pack("{s:{s:[s,s]}}", "Config", "Cmd", "sleep", "marker-in-config");
        ok(store_container_create(s, c, &err) == 0);
        dir = store_container_dir(s, c->id);
        {
                _cleanup_free_ char *text = read_text(dir, "container.json");

                ok(text && strstr(text, "marker-in-config"));
        }
        list = read_text(store_root(s), "containers.json");
        ok(list && strstr(list, c->id) && !strstr(list, "marker-in-config"));

        ok(store_container_find(s, "cfg", &got, &err) == 0 && got && !got->config);
        ok(got && store_container_load_config(s, got, &err) == 0 &&
           json_equal(got->config, c->config));
        store_container_free(got);
        got = NULL;

        /* a damaged or missing configuration is an error naming the file */
        path = xasprintf("%s/container.json", dir);
        ok(den_write_file_atomic_at(AT_FDCWD, path, "[1,", 3, 0600) == 0);
        ok(store_container_find(s, "cfg", &got, &err) == 0);
        ok(got && store_container_load_config(s, got, &err) < 0);
        ok(err_has(err, "container.json") && err_has(err, "parse"));
        den_error_free(err);
        err = NULL;
        ok(den_write_file_atomic_at(AT_FDCWD, path, "[1]", 3, 0600) == 0);
        ok(got && store_container_load_config(s, got, &err) < 0);
        ok(err_has(err, "not a JSON object") && err_has(err, "container.json"));
        den_error_free(err);
        err = NULL;
        ok(unlink(path) == 0);
        ok(got && store_container_load_config(s, got, &err) < 0);
        is_int(err ? err->errnum : 0, ENOENT);
        den_error_free(err);
        err = NULL;
        ok(got && !got->config);
        store_container_free(got);

        /* a removal does not need it */
        ok(store_container_remove(s, c->id, &err) == 0);
        den_error_free(err);
        store_container_free(c);
}

static void test_create_find(struct store *s, const struct fixture *f)
{
        _cleanup_free_ char *dir = NULL;
        struct store_container *c = NULL, *g = NULL, *got = NULL;
        den_error *err = NULL;

        ok(create(s, NULL, "web", f->id, NULL, &c, &err) == 0);
        if (!c)
                return;
        ok(den_hex_is_valid(c->id, 64));
        is_str(c->driver, "overlay");
        ok(c->created > 1700000000LL * 1000000000LL);
        dir = store_container_dir(s, c->id);
        ok(path_exists(dir, "rootfs") && path_exists(dir, "diff") && path_exists(dir, "work") &&
           path_exists(dir, "userdata"));

        /* a generated name follows podman's pattern */
        ok(create(s, NULL, NULL, f->id, NULL, &g, &err) == 0);
        ok(g && name_matches_rule(g->name) && strchr(g->name, '_'));

        ok(store_container_find(s, "web", &got, &err) == 0);
        is_str(got ? got->id : NULL, c->id);
        is_str(got ? json_string_value(json_object_get(got->meta, "state")) : NULL, "created");
        is_str(got ? got->image_name : NULL, "localhost/test:latest");
        store_container_free(got);
        got = NULL;
        ok(store_container_find(s, c->id, &got, &err) == 0 && got && streq(got->name, "web"));
        store_container_free(got);
        got = NULL;
        {
                char prefix[13];

                snprintf(prefix, sizeof(prefix), "%.12s", c->id);
                ok(store_container_find(s, prefix, &got, &err) == 0 && got &&
                   streq(got->id, c->id));
                store_container_free(got);
                got = NULL;
        }
        ok(store_container_find(s, "nosuch", &got, &err) < 0);
        is_int(err ? err->errnum : 0, ENOENT);
        is_str(err ? err->msg : NULL,
               "no container with name or ID \"nosuch\" found: no such container");
        den_error_free(err);
        err = NULL;

        /* the name is taken */
        ok(create(s, NULL, "web", f->id, NULL, NULL, &err) < 0);
        is_int(err ? err->errnum : 0, EEXIST);
        {
                _cleanup_free_ char *want = xasprintf(
                        "creating container storage: the container name \"web\" is already in "
                        "use by %s. You have to remove "
                        "that container to be able to reuse that name: that name is already in "
                        "use",
                        c->id);

                is_str(err ? err->msg : NULL, want);
        }
        den_error_free(err);
        err = NULL;

        /* names follow podman's rule */
        ok(create(s, NULL, "-bad", f->id, NULL, NULL, &err) < 0);
        ok(err_has(err, "names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*"));
        den_error_free(err);
        err = NULL;
        ok(create(s, NULL, "a b", f->id, NULL, NULL, &err) < 0);
        den_error_free(err);
        err = NULL;
        ok(create(s, NULL, "Ok_1.x-y", f->id, NULL, &got, &err) == 0);
        ok(got && store_container_remove(s, got->id, &err) == 0);
        store_container_free(got);
        got = NULL;

        /* the image must exist */
        ok(create(s, NULL, "noimage",
                  "0123456789012345678901234567890123456789012345678901234567890123", NULL, NULL,
                  &err) < 0);
        ok(err_has(err, "image not known"));
        den_error_free(err);
        err = NULL;

        store_container_free(c);
        store_container_free(g);
}

static void test_prefix_ambiguity(struct store *s, const struct fixture *f)
{
        const char *id1 = "abc0000000000000000000000000000000000000000000000000000000000001";
        const char *id2 = "abc0000000000000000000000000000000000000000000000000000000000002";
        struct store_container *got = NULL, **v = NULL;
        den_error *err = NULL;
        size_t n = 0;

        ok(create(s, id1, "amb1", f->id, NULL, NULL, &err) == 0);
        ok(create(s, id2, "amb2", f->id, NULL, NULL, &err) == 0);
        ok(create(s, id2, "amb3", f->id, NULL, NULL, &err) < 0); /* the id is taken */
        den_error_free(err);
        err = NULL;
        ok(store_container_find(s, "abc", &got, &err) < 0);
        is_str(err ? err->msg : NULL,
               "more than one result for container ID abc: container already exists");
        den_error_free(err);
        err = NULL;
        ok(store_container_find(s,
                                "abc0000000000000000000000000000000000000000000000000000000000002",
                                &got, &err) == 0 &&
           streq(got->name, "amb2"));
        store_container_free(got);
        got = NULL;
        /* newest first */
        ok(store_containers_list(s, &v, &n, &err) == 0);
        ok(n >= 2 && streq(v[0]->name, "amb2") && streq(v[1]->name, "amb1"));
        for (size_t i = 1; i < n; i++)
                ok(v[i - 1]->created >= v[i]->created);
        store_containers_free(v, n);
        ok(store_container_remove(s, "amb1", &err) == 0);
        ok(store_container_remove(s, id2, &err) == 0);
        den_error_free(err);
}

static void test_update_rename(struct store *s, const struct fixture *f)
{
        struct store_container *c = NULL, *u = NULL, *got = NULL;
        json_auto_t *empty = json_object();
        json_t *patch = NULL;
        den_error *err = NULL;

        ok(create(s, NULL, "upd", f->id, NULL, &c, &err) == 0);
        if (!c)
                return;
        patch = json_pack("{s:s, s:i, s:{s:b}}", "state", "running", "pid", 42, "cfg", "tty", 1);
        ok(store_container_update(s, c->id, patch, &u, &err) == 0);
        json_decref(patch);
        is_str(u ? json_string_value(json_object_get(u->meta, "state")) : NULL, "running");
        store_container_free(u);
        u = NULL;
        patch = json_pack("{s:n, s:s}", "pid", "extra", "x");
        ok(store_container_update(s, "upd", patch, NULL, &err) == 0);
        json_decref(patch);
        ok(store_container_find(s, c->id, &got, &err) == 0);
        ok(got && !json_object_get(got->meta, "pid"));
        is_str(got ? json_string_value(json_object_get(got->meta, "extra")) : NULL, "x");
        is_str(got ? json_string_value(json_object_get(got->meta, "state")) : NULL, "running");
        ok(got && json_is_true(json_object_get(json_object_get(got->meta, "cfg"), "tty")));
        store_container_free(got);
        got = NULL;
        ok(store_container_update(s, "nosuch", empty, NULL, &err) < 0);
        ok(err_has(err, "no such container"));
        den_error_free(err);
        err = NULL;

        ok(store_container_rename(s, c->id, "upd2", &err) == 0);
        ok(store_container_find(s, "upd", &got, &err) < 0);
        den_error_free(err);
        err = NULL;
        ok(store_container_find(s, "upd2", &got, &err) == 0 && streq(got->id, c->id));
        store_container_free(got);
        got = NULL;
        ok(store_container_rename(s, c->id, "web", &err) < 0);
        is_int(err ? err->errnum : 0, EEXIST);
        den_error_free(err);
        err = NULL;
        ok(store_container_rename(s, c->id, ".hidden", &err) < 0);
        ok(err_has(err, "names must match"));
        den_error_free(err);
        err = NULL;
        ok(store_container_remove(s, c->id, &err) == 0);
        store_container_free(c);
}

static void test_image_in_use(struct store *s, const struct fixture *f)
{
        struct store_container **v = NULL, *c = NULL;
        _cleanup_free_ char *dir = NULL;
        _cleanup_free_ char *rundir = NULL;
        den_error *err = NULL;
        size_t n = 0;

        ok(store_containers_list(s, &v, &n, &err) == 0);
        is_int(store_image_container_count(s, f->id, &err), (int) n);
        ok(n > 0);
        ok(store_image_remove(s, f->id, &err) < 0);
        is_int(err ? err->errnum : 0, EBUSY);
        ok(err_has(err, "image is in use by a container: consider listing external containers "
                        "and force-removing image"));
        ok(err && n > 0 && strstr(err->msg, "image used by "));
        den_error_free(err);
        err = NULL;

        /* removal tolerates a partial directory, and removes the run directory */
        ok(create(s, NULL, "partial", f->id, NULL, &c, &err) == 0);
        if (c) {
                dir = store_container_dir(s, c->id);
                ok(store_container_rundir(s, c->id, &rundir, &err) == 0);
                ok(rundir && path_exists(rundir, "."));
                {
                        _cleanup_free_ char *diff = xasprintf("%s/diff", dir);

                        ok(rmdir(diff) == 0);
                }
                ok(store_container_remove(s, "partial", &err) == 0);
                ok(!path_exists(dir, "."));
                ok(rundir && !path_exists(rundir, "."));
                ok(store_container_remove(s, c->id, &err) < 0);
                ok(err_has(err, "no such container"));
                den_error_free(err);
                err = NULL;
                store_container_free(c);
        }
        for (size_t i = 0; i < n; i++)
                ok(store_container_remove(s, v[i]->id, &err) == 0);
        store_containers_free(v, n);
        is_int(store_image_container_count(s, f->id, &err), 0);
}

static void test_parse(void)
{
        static const char *const bad[] = {
                "{}",
                "[1]",
                "[{\"id\":\"x\"}]",
                "[{\"id\":\"0000000000000000000000000000000000000000000000000000000000000001\","
                "\"name\":\"a\",\"image_id\":\"000000000000000000000000000000000000000000000000"
                "0000000000000002\",\"created\":1,\"driver\":\"overlay\",\"meta\":[]}]",
                "[{\"id\":\"0000000000000000000000000000000000000000000000000000000000000001\","
                "\"name\":\"-a\",\"image_id\":\"00000000000000000000000000000000000000000000000"
                "00000000000000002\",\"created\":1,\"driver\":\"overlay\",\"meta\":{}}]",
                "[{\"id\":\"0000000000000000000000000000000000000000000000000000000000000001\","
                "\"name\":\"a\",\"image_id\":\"000000000000000000000000000000000000000000000000"
                "0000000000000002\",\"created\":1,\"driver\":\"zfs\",\"meta\":{}}]",
                "[{\"id\":\"0000000000000000000000000000000000000000000000000000000000000001\","
                "\"name\":\"a\",\"image_id\":\"000000000000000000000000000000000000000000000000"
                "0000000000000002\",\"created\":1,\"driver\":\"vfs\",\"meta\":{},\"x\":1}]",
        };
        const char *good =
                "[{\"id\":\"0000000000000000000000000000000000000000000000000000000000000001\","
                "\"name\":\"a\",\"image_id\":\"000000000000000000000000000000000000000000000000"
                "0000000000000002\",\"created\":1,\"driver\":\"vfs\",\"meta\":{\"k\":[1,{}]}},"
                "{\"id\":\"0000000000000000000000000000000000000000000000000000000000000003\","
                "\"name\":\"b\",\"image_id\":\"000000000000000000000000000000000000000000000000"
                "0000000000000002\",\"created\":2,\"driver\":\"overlay\",\"meta\":{}}]";
        struct store_container **v = NULL;
        size_t n = 0;

        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                den_error *err = NULL;

                ok(store_containers_parse(bad[i], strlen(bad[i]), &v, &n, &err) < 0 && err);
                den_error_free(err);
        }
        {
                den_error *err = NULL;
                _cleanup_free_ char *dup = xstrdup(good);

                /* the same name twice */
                memcpy(strstr(dup, "\"name\":\"b\""), "\"name\":\"a\"", 10);
                ok(store_containers_parse(dup, strlen(dup), &v, &n, &err) < 0);
                den_error_free(err);
        }
        ok(store_containers_parse(good, strlen(good), &v, &n, NULL) == 0);
        is_int(n, 2);
        if (n == 2) {
                is_str(v[0]->name, "b");
                ok(json_is_array(json_object_get(v[1]->meta, "k")));
                store_containers_free(v, n);
        }
}

/* ---------------------------------------------------------------- root filesystems */

/* What every driver must show for the fixture image. */
static void check_merged(const char *root, const char *what)
{
        _cleanup_free_ char *a = read_text(root, "a");
        _cleanup_free_ char *dir2 = read_text(root, "dir2");
        _cleanup_free_ char *hl = read_text(root, "hl2");

        printf("# %s: %s\n", what, root);
        is_str(a, "a2");
        ok(path_exists(root, "keep") && path_exists(root, "new3"));
        ok(!path_exists(root, "wh")); /* whiteout */
        ok(!path_exists(root, "sl")); /* whiteout of a symlink */
        ok(path_exists(root, "d/new"));
        ok(!path_exists(root, "d/old")); /* opaque directory */
        is_str(dir2, "now a file");
        is_str(hl, "linked");
}

static void test_vfs(void)
{
        struct store *s = NULL;
        struct store_container *c = NULL;
        struct fixture f;
        _cleanup_free_ char *rootfs = NULL;
        char *mounted = NULL;
        den_error *err = NULL;
        struct stat st1, st2, st;
        char target[64] = "";
        char xv[8] = "";

        ok(open_store("vfs", "vfs", &s) == 0);
        if (!s)
                return;
        ok(fixture_add(s, &f) == 0);
        ok(create(s, NULL, "v", f.id, NULL, &c, &err) == 0);
        if (c) {
                _cleanup_free_ char *dir = store_container_dir(s, c->id);

                rootfs = xasprintf("%s/rootfs", dir);
                is_str(c->driver, "vfs");
                ok(!path_exists(dir, "diff"));
                check_merged(rootfs, "vfs");
                ok(store_container_mount(s, c, &mounted, &err) == 0);
                is_str(mounted, rootfs);
                free(mounted);
                ok(store_container_unmount(s, c, &err) == 0);
        }
        if (rootfs) {
                int dfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);

                /* hard links within a layer stay links */
                ok(fstatat(dfd, "hl1", &st1, AT_SYMLINK_NOFOLLOW) == 0 &&
                   fstatat(dfd, "hl2", &st2, AT_SYMLINK_NOFOLLOW) == 0 && st1.st_ino == st2.st_ino);
                ok(fstatat(dfd, "owned", &st, AT_SYMLINK_NOFOLLOW) == 0);
                is_int(st.st_uid, geteuid() == 0 ? 1234 : geteuid());
                is_int(st.st_gid, geteuid() == 0 ? 5678 : getegid());
                is_int(st.st_mode & 07777, 04750);
                ok(fstatat(dfd, "a", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                   (st.st_mode & 07777) == 0600);
                ok(fstatat(dfd, "fifo", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISFIFO(st.st_mode));
                ok(readlinkat(dfd, "abs", target, sizeof(target) - 1) > 0);
                is_str(target, "/etc/passwd");
                close(dfd);
                {
                        _cleanup_free_ char *d = xasprintf("%s/d", rootfs);
                        _cleanup_free_ char *af = xasprintf("%s/a", rootfs);
                        _cleanup_free_ char *kf = xasprintf("%s/keep", rootfs);

                        /* overlay's marker stays out of a vfs root; other xattrs are copied
                         * (the base layer's "a" had one, the middle layer's has none) */
                        ok(getxattr(d, "user.overlay.opaque", xv, sizeof(xv)) < 0);
                        ok(getxattr(af, "user.test", xv, sizeof(xv)) < 0);
                        is_int(getxattr(kf, "user.test", xv, sizeof(xv)), 2);
                        ok(memcmp(xv, "v1", 2) == 0);
                }
        }
        if (c) {
                ok(store_container_remove(s, c->id, &err) == 0);
                ok(!path_exists(rootfs, "."));
        }
        den_error_free(err);
        store_container_free(c);
        store_free(s);
}

/* Results of checks made in the namespaced child travel back as "<0|1> <label>" lines. */
static FILE *child_out;
static const char *child_what = "";

#define child_ok(expr, label)                                           \
        do {                                                            \
                fprintf(child_out, "%d %s\n", (expr) ? 1 : 0, (label)); \
        } while (0)

static bool rootfs_is_mounted(const char *rootfs)
{
        _cleanup_free_ char *parent = xasprintf("%s/..", rootfs);
        struct stat a, b;

        return stat(rootfs, &a) == 0 && stat(parent, &b) == 0 && a.st_dev != b.st_dev;
}

static void child_report_error(den_error **err, const char *what)
{
        if (*err)
                fprintf(child_out, "0 %s: %s (%s)\n", what, (*err)->msg, strerror((*err)->errnum));
        den_error_free(*err);
        *err = NULL;
}

static void child_check_driver(struct store *s, const struct fixture *f, const char *driver)
{
        struct store_container *c = NULL;
        _cleanup_free_ char *path = NULL;
        _cleanup_free_ char *diff = NULL;
        char *again = NULL;
        den_error *err = NULL;
        struct stat st;

        child_what = driver;
        if (create(s, NULL, driver, f->id, driver, &c, &err) < 0) {
                child_report_error(&err, "create");
                return;
        }
        if (store_container_mount(s, c, &path, &err) < 0) {
                child_report_error(&err, driver);
                store_container_free(c);
                return;
        }
        child_ok(rootfs_is_mounted(path), "mounted");
        {
                _cleanup_free_ char *a = read_text(path, "a");
                _cleanup_free_ char *dir2 = read_text(path, "dir2");

                child_ok(a && streq(a, "a2"), "upper layer's file wins");
                child_ok(!path_exists(path, "wh") && !path_exists(path, "sl"), "whiteouts hide");
                child_ok(path_exists(path, "d/new") && !path_exists(path, "d/old"),
                         "opaque dir hides lower content");
                child_ok(dir2 && streq(dir2, "now a file"), "dir replaced by file");
                child_ok(path_exists(path, "keep") && path_exists(path, "hl2"), "lower files");
        }
        /* writes land in diff/, deletions become whiteouts there */
        {
                _cleanup_free_ char *w = xasprintf("%s/written", path);
                _cleanup_free_ char *k = xasprintf("%s/keep", path);
                int fd = open(w, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

                child_ok(fd >= 0 && write(fd, "w", 1) == 1, "write in merged root");
                if (fd >= 0)
                        close(fd);
                child_ok(unlink(k) == 0, "delete in merged root");
        }
        child_ok(store_container_mount(s, c, &again, &err) == 0 && again && streq(again, path),
                 "second mount is a no-op");
        free(again);
        child_ok(store_container_unmount(s, c, &err) == 0, "unmount");
        child_report_error(&err, "unmount");
        child_ok(!rootfs_is_mounted(path), "unmounted");
        diff = xasprintf("%s/../diff", path);
        child_ok(path_exists(diff, "written"), "upper dir holds the new file");
        {
                _cleanup_free_ char *k = xasprintf("%s/keep", diff);

                child_ok(lstat(k, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0),
                         "deletion is a 0:0 whiteout in the upper dir");
        }
        child_ok(store_container_remove(s, c->id, &err) == 0, "remove after unmount");
        child_report_error(&err, "remove");
        store_container_free(c);
}

/* An image of 60 layers: its lowerdir list is longer than a page, so the mount goes
 * through the store's short links. */
static void child_check_short_links(struct store *s)
{
        char *layers[61] = { NULL };
        char digests[60][72];
        char cfg[72];
        struct store_container *c = NULL;
        _cleanup_free_ char *path = NULL;
        _cleanup_free_ char *ldir = NULL;
        den_error *err = NULL;
        struct store_image img;
        int n_links = 0;

        child_what = "overlay, 60 layers";
        for (int i = 0; i < 60; i++) {
                char name[16];
                _cleanup_free_ char *seed = xasprintf("many-%d", i);

                snprintf(name, sizeof(name), "f%d", i);
                make_digest(seed, digests[i]);
                layers[i] = digests[i];
                if (add_layer(s, digests[i], NULL, name) < 0) {
                        child_ok(false, "add layer");
                        return;
                }
        }
        make_digest("many-image", cfg);
        img = (struct store_image){
                .id = cfg + 7, .config_digest = cfg, .layers = layers, .created = 1
        };
        if (store_image_add(s, &img, &err) < 0 ||
            create(s, NULL, "many", cfg + 7, "overlay", &c, &err) < 0) {
                child_report_error(&err, "add image with 60 layers");
                return;
        }
        if (store_container_mount(s, c, &path, &err) < 0) {
                child_report_error(&err, "mount 60 layers");
                store_container_free(c);
                return;
        }
        child_ok(path_exists(path, "f0") && path_exists(path, "f59"), "60 layers merged");
        ldir = xasprintf("%s/l", store_root(s));
        {
                DIR *d = opendir(ldir);
                struct dirent *de;

                while (d && (de = readdir(d)))
                        if (de->d_type == DT_LNK)
                                n_links++;
                if (d)
                        closedir(d);
        }
        child_ok(n_links >= 60, "short links created");
        child_ok(store_container_unmount(s, c, &err) == 0, "unmount 60 layers");
        child_report_error(&err, "unmount");
        /* a second container reuses the links */
        (void) store_container_remove(s, c->id, &err);
        child_report_error(&err, "remove");
        store_container_free(c);
}

/* The fixture's ids (the parent added the image: its files have owners the child cannot
 * map). */
static int fixture_ids(struct fixture *f)
{
        char cfg[72];

        make_digest("image", cfg);
        memcpy(f->id, cfg + 7, 65);
        return 0;
}

static void child_main(int fd)
{
        struct store *s = NULL;
        struct fixture f;
        den_error *err = NULL;
        const char *probed;

        child_out = fdopen(fd, "w");
        if (!child_out)
                _exit(1);
        setvbuf(child_out, NULL, _IOLBF, 0);
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                child_ok(false, "make mounts private");
                _exit(0);
        }
        if (open_store("mnt", NULL, &s) < 0 || fixture_ids(&f) < 0) {
                child_ok(false, "store with the fixture image");
                _exit(0);
        }
        probed = store_probe_driver(s, &err);
        child_report_error(&err, "probe");
        fprintf(child_out, "P %s\n", probed ? probed : "(error)");
        if (probed && streq(probed, "overlay")) {
                child_check_driver(s, &f, "overlay");
                child_check_short_links(s);
        } else {
                fprintf(child_out, "S overlay: the kernel refuses overlay with userxattr here\n");
        }
        if (access("/dev/fuse", R_OK | W_OK) == 0 && access("/usr/bin/fuse-overlayfs", X_OK) == 0)
                child_check_driver(s, &f, "fuse-overlayfs");
        else
                fprintf(child_out, "S fuse-overlayfs: no /dev/fuse or no fuse-overlayfs\n");
        store_free(s);
        fclose(child_out);
        _exit(0);
}

static bool write_map(const char *file, const char *text)
{
        int fd = open(file, O_WRONLY | O_CLOEXEC);
        bool is_ok = fd >= 0 && write(fd, text, strlen(text)) == (ssize_t) strlen(text);

        if (fd >= 0)
                close(fd);
        return is_ok;
}

static void test_mounts(void)
{
        int p[2];
        pid_t pid;
        FILE *in;
        char line[1024];
        int status = 0;

        if (geteuid() != 0) {
                skip("mount tests need root (they map root into a user namespace)");
                return;
        }
        {
                struct store *s = NULL;
                struct fixture f;

                ok(open_store("mnt", NULL, &s) == 0 && fixture_add(s, &f) == 0);
                store_free(s);
        }
        if (pipe2(p, O_CLOEXEC) < 0)
                abort();
        fflush(stdout);
        pid = fork();
        if (pid == 0) {
                close(p[0]);
                /* root in a new user namespace mapped onto root, with its own mount
                 * namespace: the kernel path den takes for the user's own mapping */
                if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
                        dprintf(p[1], "S unshare: %s\n", strerror(errno));
                        _exit(0);
                }
                if (!write_map("/proc/self/setgroups", "deny") ||
                    !write_map("/proc/self/uid_map", "0 0 1") ||
                    !write_map("/proc/self/gid_map", "0 0 1")) {
                        dprintf(p[1], "0 write id maps: %s\n", strerror(errno));
                        _exit(0);
                }
                child_main(p[1]);
        }
        close(p[1]);
        in = fdopen(p[0], "r");
        while (in && fgets(line, sizeof(line), in)) {
                line[strcspn(line, "\n")] = '\0';
                if (line[0] == 'S') {
                        skip(line + 2);
                } else if (line[0] == 'P') {
                        printf("# probed driver: %s\n", line + 2);
                        ok(!streq(line + 2, "(error)"));
                } else {
                        TAP_REPORT(line[0] == '1', "%s", line + 2);
                }
        }
        if (in)
                fclose(in);
        waitpid(pid, &status, 0);
        ok(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void)
{
        struct store *s = NULL;
        struct fixture f;

        snprintf(base, sizeof(base), "/tmp/den-test-ctr-XXXXXX");
        if (!mkdtemp(base))
                return 1;
        test_parse();
        ok(open_store("rec", NULL, &s) == 0);
        if (s) {
                ok(fixture_add(s, &f) == 0);
                test_create_find(s, &f);
                test_config(s, &f);
                test_prefix_ambiguity(s, &f);
                test_update_rename(s, &f);
                test_image_in_use(s, &f);
                {
                        den_error *err = NULL;

                        ok(store_image_remove(s, f.id, &err) == 0);
                        den_error_free(err);
                }
                store_free(s);
        }
        test_vfs();
        test_mounts();
        (void) den_rm_rf_at(AT_FDCWD, base);
        return tap_done();
}
