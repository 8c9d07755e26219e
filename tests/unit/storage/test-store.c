/* Unit tests for the store: creation, store.json checks, blobs, layer stages, image records
 * and their lookup rules, garbage collection, corrupt files and concurrent writers. */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include "storage/storage.h"
#include "tap.h"

static char base[PATH_MAX];

static char *path_in(const char *rel)
{
        return xasprintf("%s/%s", base, rel);
}

static bool path_exists(const char *root, const char *rel)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", root, rel);
        struct stat st;

        return lstat(p, &st) == 0;
}

static int open_store(const char *root, bool is_ro, const char *driver, const char *idmap,
                      struct store **ret, den_error **err)
{
        _cleanup_free_ char *run = path_in("run");
        struct store_opts o = {
                .root = root,
                .runroot = run,
                .driver = driver,
                .idmap_key = idmap,
                .is_read_only = is_ro,
        };

        return store_open(&o, ret, err);
}

static void write_text(const char *root, const char *rel, const char *text)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", root, rel);
        FILE *f = fopen(p, "we");

        if (!f)
                abort();
        fputs(text, f);
        fclose(f);
}

/* A 64-hex id starting with the given hex prefix. */
static void make_id(const char *prefix, const char *seed, char out[65])
{
        char d[72];

        den_sha256_buf(seed, strlen(seed), d);
        memcpy(out, d + 7, 65);
        memcpy(out, prefix, strlen(prefix));
}

static void make_digest(const char *seed, char out[72])
{
        den_sha256_buf(seed, strlen(seed), out);
}

static int add_layer(struct store *s, const char *diff_id, const char *content)
{
        struct store_stage *st = NULL;
        _cleanup_error_ den_error *err = NULL;
        int fd, r;

        if (store_layer_stage(s, &st, &err) < 0)
                return -1;
        fd = openat(st->dfd, "file", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 || den_write_all(fd, content, strlen(content)) < 0)
                abort();
        close(fd);
        r = store_layer_commit(s, st, diff_id, strlen(content), &err);
        store_stage_free(s, st);
        return r;
}

static bool err_has(const den_error *e, const char *text)
{
        return e && e->msg && strstr(e->msg, text);
}

/* ---------------------------------------------------------------- defaults and open */

static void test_defaults(void)
{
        _cleanup_free_ char *other = path_in("not-mine");
        _cleanup_free_ char *tmp_default = xasprintf("/tmp/den-%u", (unsigned) getuid());
        _cleanup_free_ char *expect = xasprintf("%s/den", base);
        char *p;

        setenv("XDG_DATA_HOME", "/data", 1);
        p = store_default_root();
        is_str(p, "/data/den");
        free(p);
        setenv("XDG_DATA_HOME", "relative", 1);
        setenv("HOME", "/home/u", 1);
        p = store_default_root();
        is_str(p, "/home/u/.local/share/den");
        free(p);
        unsetenv("XDG_DATA_HOME");
        p = store_default_root();
        is_str(p, "/home/u/.local/share/den");
        free(p);

        setenv("XDG_RUNTIME_DIR", base, 1);
        p = store_default_runroot();
        is_str(p, expect);
        free(p);
        /* a runtime dir that is not ours is not used */
        ok(mkdir(other, 0700) == 0 && chown(other, 12345, 12345) == 0);
        setenv("XDG_RUNTIME_DIR", other, 1);
        p = store_default_runroot();
        is_str(p, tmp_default);
        free(p);
        unsetenv("XDG_RUNTIME_DIR");
        p = store_default_runroot();
        is_str(p, tmp_default);
        free(p);
}

static void test_tmp_runroot(void)
{
        _cleanup_free_ char *root = path_in("tmp-runroot-store");
        char run[64];
        struct store_opts o = { .root = root, .runroot = run };
        struct store *s = NULL;
        den_error *err = NULL;
        struct stat st;

        /* a /tmp/den-<uid> style path that no real user has */
        snprintf(run, sizeof(run), "/tmp/den-%u", 3000000000u + (unsigned) getpid());
        (void) rmdir(run);
        ok(store_open(&o, &s, &err) == 0);
        ok(stat(run, &st) == 0 && (st.st_mode & 07777) == 0700);
        store_free(s);
        s = NULL;
        ok(chmod(run, 0755) == 0);
        ok(store_open(&o, &s, &err) < 0 && !s);
        ok(err_has(err, "mode 0700") && err_has(err, run));
        den_error_free(err);
        err = NULL;
        ok(chmod(run, 0700) == 0 && chown(run, 12345, 12345) == 0);
        ok(store_open(&o, &s, &err) < 0);
        ok(err_has(err, "is not a directory of uid"));
        den_error_free(err);
        err = NULL;
        ok(rmdir(run) == 0);
        /* a symlink planted there is refused too */
        ok(symlink(base, run) == 0);
        ok(store_open(&o, &s, &err) < 0);
        den_error_free(err);
        ok(unlink(run) == 0);
}

static void test_open(void)
{
        _cleanup_free_ char *root = path_in("s1");
        _cleanup_free_ char *none = path_in("none");
        _cleanup_free_ char *meta = NULL;
        struct store_image **imgs = NULL;
        struct store_image *img = NULL;
        struct store_stage *st = NULL;
        struct store *s = NULL;
        den_error *err = NULL;
        char *body = NULL;
        size_t n = 99;
        struct stat sb;

        /* read-only open of a store that does not exist: works, lists nothing, creates
         * nothing */
        ok(open_store(none, true, NULL, NULL, &s, &err) == 0);
        ok(!path_exists(none, ""));
        ok(store_images_list(s, &imgs, &n, &err) == 0);
        is_int(n, 0);
        store_images_free(imgs, n);
        ok(store_image_find(s, "alpine", &img, &err) < 0);
        is_int(err ? err->errnum : 0, ENOENT);
        is_str(err ? err->msg : NULL, "alpine: image not known");
        den_error_free(err);
        err = NULL;
        ok(store_blob_read(s,
                           "sha256:"
                           "0000000000000000000000000000000000000000000000000000000000000000",
                           100, &body, NULL, &err) < 0);
        is_int(err ? err->errnum : 0, ENOENT);
        den_error_free(err);
        err = NULL;
        ok(!store_layer_exists(
                s, "sha256:0000000000000000000000000000000000000000000000000000000000000000"));
        ok(store_layer_stage(s, &st, &err) < 0);
        is_int(err ? err->errnum : 0, EROFS);
        den_error_free(err);
        err = NULL;
        is_str(store_driver(s), "overlay");
        store_free(s);
        ok(!path_exists(none, ""));

        /* writable open creates the layout */
        ok(open_store(root, false, NULL, NULL, &s, &err) == 0);
        ok(stat(root, &sb) == 0 && (sb.st_mode & 0777) == 0700);
        ok(path_exists(root, "layers") && path_exists(root, "blobs/sha256"));
        is_str(store_root(s), root);
        is_str(store_driver(s), "overlay");
        ok(den_str_has_prefix(store_runroot(s), base));
        store_free(s);
        s = NULL;
        {
                _cleanup_free_ char *p = xasprintf("%s/store.json", root);

                ok(den_read_file_at(AT_FDCWD, p, 4096, &meta, NULL) == 0);
                is_str(meta, "{\"version\":1,\"driver\":\"overlay\",\"idmap\":\"\"}");
        }

        /* a relative root becomes absolute */
        ok(chdir(base) == 0);
        {
                struct store_opts o = { .root = "rel//", .runroot = "run" };

                ok(store_open(&o, &s, &err) == 0);
                if (s) {
                        _cleanup_free_ char *want = path_in("rel");

                        is_str(store_root(s), want);
                }
                store_free(s);
                s = NULL;
        }
}

static void test_store_json(void)
{
        _cleanup_free_ char *root = path_in("s2");
        _cleanup_free_ char *root2 = path_in("s3");
        struct store *s = NULL;
        den_error *err = NULL;
        _cleanup_free_ char *want = NULL;

        /* the first writable open with a mapping records it */
        ok(open_store(root, false, NULL, "0:1000:1/0:1000:1", &s, &err) == 0);
        store_free(s);
        s = NULL;
        ok(open_store(root, false, NULL, "0:1000:1/0:1000:1", &s, &err) == 0);
        store_free(s);
        s = NULL;
        ok(open_store(root, false, NULL, "0:1000:1,1:100000:65536/0:1000:1", &s, &err) < 0);
        ok(!s);
        want = xasprintf("store \"%s\" was created with id mapping 0:1000:1/0:1000:1, now "
                         "0:1000:1,1:100000:65536/0:1000:1: remove it (rm -rf %s) or use "
                         "--root",
                         root, root);
        is_str(err ? err->msg : NULL, want);
        ok(err && !strchr(err->msg, '\n'));
        den_error_free(err);
        err = NULL;
        /* read-only commands pass no mapping and check nothing */
        ok(open_store(root, true, NULL, NULL, &s, &err) == 0);
        store_free(s);
        s = NULL;

        /* driver mismatch */
        ok(open_store(root, false, "vfs", NULL, &s, &err) < 0);
        ok(err_has(err, "was created with driver overlay, now vfs"));
        den_error_free(err);
        err = NULL;
        ok(open_store(root, true, "vfs", NULL, &s, &err) < 0);
        den_error_free(err);
        err = NULL;
        ok(open_store(root, false, "zfs", NULL, &s, &err) < 0);
        ok(err_has(err, "unknown storage driver \"zfs\""));
        den_error_free(err);
        err = NULL;

        /* a store made without a mapping takes the first one it sees */
        ok(open_store(root2, false, "vfs", NULL, &s, &err) == 0);
        store_free(s);
        s = NULL;
        ok(open_store(root2, false, NULL, "0:1:1/0:1:1", &s, &err) == 0);
        is_str(s ? store_driver(s) : NULL, "vfs");
        store_free(s);
        s = NULL;
        ok(open_store(root2, false, NULL, "0:2:1/0:2:1", &s, &err) < 0);
        den_error_free(err);
        err = NULL;

        /* corrupt or unexpected store.json */
        write_text(root2, "store.json", "{\"version\":1,");
        ok(open_store(root2, true, NULL, NULL, &s, &err) < 0);
        ok(err_has(err, "store.json") && err_has(err, root2));
        den_error_free(err);
        err = NULL;
        write_text(root2, "store.json", "{\"version\":2,\"driver\":\"vfs\",\"idmap\":\"\"}");
        ok(open_store(root2, false, NULL, NULL, &s, &err) < 0);
        ok(err_has(err, "version"));
        den_error_free(err);
        err = NULL;
        write_text(root2, "store.json",
                   "{\"version\":1,\"driver\":\"vfs\",\"idmap\":\"\",\"idmap\":\"x\"}");
        ok(open_store(root2, false, NULL, NULL, &s, &err) < 0);
        den_error_free(err);
        err = NULL;
        write_text(root2, "store.json", "{\"version\":1,\"driver\":\"vfs\",\"idmap\":3}");
        ok(open_store(root2, false, NULL, NULL, &s, &err) < 0);
        ok(err_has(err, "idmap"));
        den_error_free(err);
        err = NULL;
        write_text(root2, "store.json",
                   "{\"version\":1,\"driver\":\"vfs\",\"idmap\":\"\",\"x\":1}");
        ok(open_store(root2, false, NULL, NULL, &s, &err) < 0);
        ok(err_has(err, "unknown key \"x\""));
        den_error_free(err);
        err = NULL;
}

/* ---------------------------------------------------------------- blobs and layers */

static void test_blobs(struct store *s)
{
        const char *data = "{\"schemaVersion\":2}";
        char want[72], got[72] = "";
        char *body = NULL;
        size_t len = 0;
        den_error *err = NULL;
        _cleanup_free_ char *wrong = xasprintf("sha256:%064d", 0);
        _cleanup_free_ char *wrong_path = xasprintf("blobs/sha256/%064d", 0);

        den_sha256_buf(data, strlen(data), want);
        ok(store_blob_write(s, data, strlen(data), want, got, &err) == 0);
        is_str(got, want);
        ok(path_exists(store_root(s), "blobs/sha256") &&
           store_blob_read(s, want, 1024, &body, &len, &err) == 0);
        is_str(body, data);
        is_int(len, strlen(data));
        free(body);
        body = NULL;
        /* bounded */
        ok(store_blob_read(s, want, 4, &body, &len, &err) < 0);
        is_int(err ? err->errnum : 0, EFBIG);
        den_error_free(err);
        err = NULL;
        /* mismatch: an error naming both, and nothing written */
        ok(store_blob_write(s, data, strlen(data), wrong, NULL, &err) < 0);
        {
                _cleanup_free_ char *m =
                        xasprintf("blob digest mismatch: expected %s, got %s", wrong, want);

                is_str(err ? err->msg : NULL, m);
        }
        den_error_free(err);
        err = NULL;
        ok(!path_exists(store_root(s), wrong_path));
        ok(store_blob_read(s, wrong, 1024, &body, &len, &err) < 0);
        is_int(err ? err->errnum : 0, ENOENT);
        den_error_free(err);
        err = NULL;
        ok(store_blob_read(s, "sha256:../../etc/passwd", 1024, &body, &len, &err) < 0);
        is_int(err ? err->errnum : 0, EINVAL);
        den_error_free(err);
        err = NULL;
        /* no expected digest: computed and returned */
        got[0] = '\0';
        ok(store_blob_write(s, "x", 1, NULL, got, &err) == 0);
        ok(den_digest_is_valid(got));
}

static void test_layers(struct store *s)
{
        char l1[72], l2[72];
        struct store_stage *st = NULL;
        den_error *err = NULL;
        _cleanup_free_ char *p = NULL;
        _cleanup_free_ char *content = NULL;
        _cleanup_free_ char *stage_name = NULL;
        int fd = -1;

        make_digest("layer-one", l1);
        make_digest("layer-two", l2);
        ok(!store_layer_exists(s, l1));
        {
                mode_t old = umask(077);
                struct stat sb;

                ok(store_layer_stage(s, &st, &err) == 0 && st);
                umask(old);
                if (!st)
                        return;
                ok(fstat(st->dfd, &sb) == 0 && (sb.st_mode & 07777) == 0755);
        }
        stage_name = xstrdup(st->name);
        ok(den_str_has_prefix(st->name, "layers/.stage-"));
        ok(path_exists(store_root(s), st->name));
        ok(mkdirat(st->dfd, "etc", 0755) == 0);
        fd = openat(st->dfd, "etc/hostname", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        ok(fd >= 0 && den_write_all(fd, "first", 5) == 0);
        close(fd);
        ok(store_stage_put_file(s, st, "tar-split.gz", "ts", 2, &err) == 0);
        ok(store_stage_put_file(s, st, "../x", "ts", 2, &err) < 0);
        den_error_free(err);
        err = NULL;
        ok(store_layer_commit(s, st, l1, 5, &err) == 0);
        ok(st->is_committed);
        store_stage_free(s, st);
        ok(!path_exists(store_root(s), stage_name));
        ok(store_layer_exists(s, l1));
        is_int(store_layer_size(s, l1), 5);
        p = store_layer_path(s, l1);
        {
                _cleanup_free_ char *want =
                        xasprintf("%s/layers/%s/diff", store_root(s), den_digest_hex(l1));

                is_str(p, want);
        }
        ok(store_layer_open(s, l1, &fd, &err) == 0);
        if (fd >= 0) {
                ok(den_read_file_at(fd, "etc/hostname", 100, &content, NULL) == 0);
                is_str(content, "first");
                close(fd);
        }
        ok(store_layer_open_file(s, l1, "tar-split.gz", &fd, &err) == 0);
        close(fd);
        ok(store_layer_open_file(s, l1, "other", &fd, &err) < 0);
        is_int(err ? err->errnum : 0, ENOENT);
        den_error_free(err);
        err = NULL;
        ok(store_layer_open(s, l2, &fd, &err) < 0);
        is_int(err ? err->errnum : 0, ENOENT);
        den_error_free(err);
        err = NULL;

        /* a second commit of the same layer: our stage is dropped, the first one stays */
        ok(store_layer_stage(s, &st, &err) == 0);
        free(stage_name);
        stage_name = xstrdup(st->name);
        fd = openat(st->dfd, "second", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        close(fd);
        ok(store_layer_commit(s, st, l1, 6, &err) == 0);
        store_stage_free(s, st);
        ok(!path_exists(store_root(s), stage_name));
        is_int(store_layer_size(s, l1), 5);
        free(p);
        p = xasprintf("layers/%s/diff/second", den_digest_hex(l1));
        ok(!path_exists(store_root(s), p));

        /* an uncommitted stage is removed on free */
        ok(store_layer_stage(s, &st, &err) == 0);
        free(stage_name);
        stage_name = xstrdup(st->name);
        ok(mkdirat(st->dfd, "d", 0500) == 0); /* even with a read-only dir inside */
        store_stage_free(s, st);
        ok(!path_exists(store_root(s), stage_name));
        ok(!store_layer_exists(s, l2));
        ok(store_layer_commit(s, NULL, "bad", 0, &err) < 0);
        den_error_free(err);
}

/* ---------------------------------------------------------------- images */

struct fixture {
        char l1[72], l2[72], l3[72];
        char id1[65], id2[65], id3[65], id4[65], id5[65];
        char m1[72], c1[72], m2[72], c2[72];
};

static int add_image(struct store *s, const char *id, const char *names_csv, const char *digest,
                     char *const *layers, int64_t stored, den_error **err)
{
        _cleanup_strv_ char **names = NULL;
        char *digests[2] = { (char *) digest, NULL };
        char cfg[72];
        _cleanup_free_ char *copy = xstrdup(names_csv ? names_csv : "");
        struct store_image img;

        for (char *sp = NULL, *t = strtok_r(copy, ",", &sp); t; t = strtok_r(NULL, ",", &sp))
                den_strv_push(&names, t);
        snprintf(cfg, sizeof(cfg), "sha256:%s", id);
        img = (struct store_image){
                .id = (char *) id,
                .names = names,
                .digests = digest ? digests : NULL,
                .config_digest = cfg,
                .layers = (char **) layers,
                .created = 1700000000,
                .stored = stored,
                .size = 42,
                .os = "linux",
                .arch = "amd64",
        };
        return store_image_add(s, &img, err);
}

static const char *find_id(struct store *s, const char *name, char buf[65])
{
        struct store_image *img = NULL;
        _cleanup_error_ den_error *err = NULL;

        if (store_image_find(s, name, &img, &err) < 0)
                return "(error)";
        snprintf(buf, 65, "%s", img->id);
        store_image_free(img);
        return buf;
}

static void expect_find_error(struct store *s, const char *name, int errnum, const char *text)
{
        struct store_image *img = NULL;
        den_error *err = NULL;

        ok(store_image_find(s, name, &img, &err) < 0 && !img);
        is_int(err ? err->errnum : -1, errnum);
        if (!err_has(err, text))
                printf("#   message: %s\n", err ? err->msg : "(none)");
        ok(err_has(err, text));
        den_error_free(err);
}

static void test_find(struct store *s, struct fixture *f)
{
        char buf[65];
        _cleanup_free_ char *sha = xasprintf("sha256:%s", f->id1);
        _cleanup_free_ char *rd = xasprintf("docker.io/library/alpine@%s", f->m1);
        _cleanup_free_ char *rd_short = xasprintf("alpine@%s", f->m1);

        is_str(find_id(s, f->id1, buf), f->id1);
        is_str(find_id(s, sha, buf), f->id1);
        is_str(find_id(s, "docker.io/library/alpine:latest", buf), f->id1);
        is_str(find_id(s, "docker.io/library/alpine", buf), f->id1);
        is_str(find_id(s, "docker.io/alpine", buf), f->id1);
        is_str(find_id(s, rd, buf), f->id1);
        is_str(find_id(s, rd_short, buf), f->id1);
        is_str(find_id(s, "alpine", buf), f->id1);
        is_str(find_id(s, "alpine:3", buf), f->id1);
        is_str(find_id(s, "library/alpine", buf), f->id1);
        /* busybox:latest only on quay.io/foo/busybox; busybox:1.36 elsewhere */
        is_str(find_id(s, "busybox", buf), f->id2);
        is_str(find_id(s, "busybox:1.36", buf), f->id3);
        is_str(find_id(s, "foo/busybox", buf), f->id2);
        /* id prefixes: unique, via sha256:, too short, ambiguous */
        is_str(find_id(s, "bbb3", buf), f->id3);
        is_str(find_id(s, "sha256:bbb", buf), f->id3);
        expect_find_error(s, "bb", ENOENT, "bb: image not known");
        expect_find_error(s, "aaa", 0, "ambiguous");
        /* not found, and short-name matching never crosses component boundaries */
        expect_find_error(s, "nothere", ENOENT, "nothere: image not known");
        expect_find_error(s, "pine", ENOENT, "pine: image not known");
        expect_find_error(s, "alpine:9", ENOENT, "alpine:9: image not known");
        expect_find_error(s, "quay.io/alpine", ENOENT, "image not known");
        expect_find_error(s, "", ENOENT, "image not known");

        /* a second busybox:latest makes the short name ambiguous, listing both */
        ok(add_image(s, f->id4, "docker.io/library/busybox:latest", NULL, (char *[]){ f->l3, NULL },
                     400, NULL) == 0);
        expect_find_error(s, "busybox", 0,
                          "short name \"busybox\" is ambiguous: it matches "
                          "docker.io/library/busybox:latest, quay.io/foo/busybox:latest");
        is_str(find_id(s, "docker.io/library/busybox", buf), f->id4);
        /* ... until localhost/busybox exists, which is preferred */
        ok(add_image(s, f->id5, "localhost/busybox:latest", NULL, (char *[]){ f->l3, NULL }, 500,
                     NULL) == 0);
        is_str(find_id(s, "busybox", buf), f->id5);
}

static void test_add_rules(struct store *s, struct fixture *f)
{
        struct store_image **imgs = NULL;
        struct store_image *img = NULL;
        den_error *err = NULL;
        char missing[72], buf[65];
        size_t n = 0;

        /* newest first by the time stored */
        ok(store_images_list(s, &imgs, &n, &err) == 0);
        is_int(n, 5);
        if (n == 5) {
                is_str(imgs[0]->id, f->id5);
                is_str(imgs[1]->id, f->id4);
                is_str(imgs[2]->id, f->id3);
                is_str(imgs[4]->id, f->id1);
                is_str(imgs[4]->os, "linux");
                is_int(imgs[4]->created, 1700000000);
                is_int(imgs[4]->size, 42);
                is_int(den_strv_len(imgs[4]->layers), 2);
        }
        store_images_free(imgs, n);

        /* invalid records are refused before anything changes */
        ok(add_image(s, "nothex", "x", NULL, NULL, 0, &err) < 0);
        is_int(err ? err->errnum : 0, EINVAL);
        den_error_free(err);
        err = NULL;
        ok(add_image(s, f->id1, "has space", NULL, NULL, 0, &err) < 0);
        den_error_free(err);
        err = NULL;
        ok(add_image(s, f->id1, NULL, "repo@sha256:short", NULL, 0, &err) < 0);
        den_error_free(err);
        err = NULL;
        make_digest("never-stored", missing);
        ok(add_image(s, f->id1, NULL, NULL, (char *[]){ missing, NULL }, 0, &err) < 0);
        is_int(err ? err->errnum : 0, ENOENT);
        ok(err_has(err, "is not in the store"));
        den_error_free(err);
        err = NULL;

        /* re-adding merges names and digests and keeps the stored time */
        ok(add_image(s, f->id1, "localhost/extra:1",
                     "localhost/extra@sha256:"
                     "1111111111111111111111111111111111111111111111111111111111111111",
                     (char *[]){ f->l1, f->l2, NULL }, 999, &err) == 0);
        ok(store_image_find(s, "localhost/extra:1", &img, &err) == 0);
        if (img) {
                is_str(img->id, f->id1);
                is_int(den_strv_len(img->names), 3);
                is_int(den_strv_len(img->digests), 2);
                is_int(img->stored, 100);
                store_image_free(img);
                img = NULL;
        }

        /* names move: id3 takes alpine:3 from id1; id5 takes quay's busybox from id2, which
         * is left dangling but kept */
        ok(add_image(s, f->id3, "docker.io/library/alpine:3", NULL, (char *[]){ f->l3, NULL }, 0,
                     &err) == 0);
        is_str(find_id(s, "alpine:3", buf), f->id3);
        is_str(find_id(s, "alpine", buf), f->id1);
        ok(store_image_tag(s, f->id5, "quay.io/foo/busybox:latest", &err) == 0);
        ok(store_image_find(s, f->id2, &img, &err) == 0);
        if (img) {
                is_int(den_strv_len(img->names), 0);
                store_image_free(img);
                img = NULL;
        }
        ok(store_images_list(s, &imgs, &n, &err) == 0);
        is_int(n, 5);
        store_images_free(imgs, n);
}

static void test_tag_untag(struct store *s, struct fixture *f)
{
        struct store_image *img = NULL;
        den_error *err = NULL;
        char buf[65];

        ok(store_image_tag(s, f->id3, "localhost/mine:1", &err) == 0);
        ok(store_image_tag(s, f->id3, "localhost/mine:1", &err) == 0); /* idempotent */
        is_str(find_id(s, "mine:1", buf), f->id3);
        ok(store_image_tag(s, f->id3, "bad name", &err) < 0);
        den_error_free(err);
        err = NULL;
        ok(store_image_tag(s, "0000000000000000000000000000000000000000000000000000000000000000",
                           "localhost/x:1", &err) < 0);
        is_int(err ? err->errnum : 0, ENOENT);
        den_error_free(err);
        err = NULL;
        ok(store_image_untag(s, f->id3, "localhost/nope:1", &err) < 0);
        is_int(err ? err->errnum : 0, ENOENT);
        is_str(err ? err->msg : NULL, "localhost/nope:1: tag not known");
        den_error_free(err);
        err = NULL;
        ok(store_image_untag(s, f->id3, "localhost/mine:1", &err) == 0);
        expect_find_error(s, "mine:1", ENOENT, "mine:1: image not known");
        ok(store_image_untag(s, f->id3, NULL, &err) == 0);
        ok(store_image_find(s, f->id3, &img, &err) == 0);
        if (img) {
                is_int(den_strv_len(img->names), 0);
                store_image_free(img);
        }
        /* a dangling image is still found by ID */
        is_str(find_id(s, "bbb3", buf), f->id3);
}

static void test_remove_gc(struct store *s, struct fixture *f)
{
        const char *root = store_root(s);
        _cleanup_free_ char *l1 = xasprintf("layers/%s", den_digest_hex(f->l1));
        _cleanup_free_ char *l2 = xasprintf("layers/%s", den_digest_hex(f->l2));
        _cleanup_free_ char *l3 = xasprintf("layers/%s", den_digest_hex(f->l3));
        _cleanup_free_ char *m1 = xasprintf("blobs/sha256/%s", den_digest_hex(f->m1));
        _cleanup_free_ char *c1 = xasprintf("blobs/sha256/%s", den_digest_hex(f->c1));
        _cleanup_free_ char *m2 = xasprintf("blobs/sha256/%s", den_digest_hex(f->m2));
        den_error *err = NULL;

        ok(path_exists(root, l1) && path_exists(root, l2) && path_exists(root, l3));
        ok(path_exists(root, m1) && path_exists(root, c1) && path_exists(root, m2));
        /* id1 has l1+l2 and blobs m1/c1; id2 (dangling) has l1 and m2 */
        ok(store_image_remove(s, f->id1, &err) == 0);
        ok(!path_exists(root, l2));
        ok(path_exists(root, l1)); /* still used by id2 */
        ok(!path_exists(root, m1) && !path_exists(root, c1));
        ok(path_exists(root, m2));
        ok(store_image_remove(s, f->id1, &err) < 0);
        is_int(err ? err->errnum : 0, ENOENT);
        den_error_free(err);
        err = NULL;
        ok(store_image_remove(s, "sha256:garbage", &err) < 0);
        is_int(err ? err->errnum : 0, EINVAL);
        den_error_free(err);
        err = NULL;
        ok(store_image_remove(s, f->id2, &err) == 0);
        ok(!path_exists(root, l1) && !path_exists(root, m2));
        ok(path_exists(root, l3));
}

static void fixture_init(struct fixture *f)
{
        make_digest("L1", f->l1);
        make_digest("L2", f->l2);
        make_digest("L3", f->l3);
        make_id("aaa1", "i1", f->id1);
        make_id("aaa2", "i2", f->id2);
        make_id("bbb3", "i3", f->id3);
        make_id("ccc4", "i4", f->id4);
        make_id("ddd5", "i5", f->id5);
}

static void test_images(void)
{
        _cleanup_free_ char *root = path_in("img");
        struct store *s = NULL;
        den_error *err = NULL;
        struct fixture f;
        _cleanup_free_ char *d1 = NULL;
        _cleanup_free_ char *d2 = NULL;
        struct store_image img;

        fixture_init(&f);
        ok(open_store(root, false, NULL, NULL, &s, &err) == 0);
        if (!s)
                return;
        ok(add_layer(s, f.l1, "1") == 0 && add_layer(s, f.l2, "2") == 0 &&
           add_layer(s, f.l3, "3") == 0);
        ok(store_blob_write(s, "m1", 2, NULL, f.m1, &err) == 0);
        ok(store_blob_write(s, "c1", 2, NULL, f.c1, &err) == 0);
        ok(store_blob_write(s, "m2", 2, NULL, f.m2, &err) == 0);
        d1 = xasprintf("docker.io/library/alpine@%s", f.m1);
        img = (struct store_image){
                .id = f.id1,
                .names = (char *[]){ "docker.io/library/alpine:latest",
                                     "docker.io/library/alpine:3", NULL },
                .digests = (char *[]){ d1, NULL },
                .manifest_digest = f.m1,
                .manifest_media_type = "application/vnd.oci.image.manifest.v1+json",
                .config_digest = f.c1,
                .layers = (char *[]){ f.l1, f.l2, NULL },
                .created = 1700000000,
                .stored = 100,
                .size = 42,
                .os = "linux",
                .arch = "amd64",
        };
        ok(store_image_add(s, &img, &err) == 0);
        d2 = xasprintf("quay.io/foo/busybox@%s", f.m2);
        img = (struct store_image){
                .id = f.id2,
                .names = (char *[]){ "quay.io/foo/busybox:latest", NULL },
                .digests = (char *[]){ d2, NULL },
                .manifest_digest = f.m2,
                .layers = (char *[]){ f.l1, NULL },
                .stored = 200,
        };
        ok(store_image_add(s, &img, &err) == 0);
        ok(add_image(s, f.id3, "docker.io/library/busybox:1.36", NULL, (char *[]){ f.l3, NULL },
                     300, &err) == 0);
        if (err)
                printf("# %s\n", err->msg);
        test_find(s, &f);
        test_add_rules(s, &f);
        test_tag_untag(s, &f);
        test_remove_gc(s, &f);
        /* a read-only handle refuses changes */
        store_free(s);
        s = NULL;
        ok(open_store(root, true, NULL, NULL, &s, &err) == 0);
        ok(store_image_tag(s, f.id3, "localhost/x:1", &err) < 0);
        is_int(err ? err->errnum : 0, EROFS);
        den_error_free(err);
        store_free(s);
}

/* ---------------------------------------------------------------- gc and pins */

static void backdate(const char *root, const char *rel)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", root, rel);
        struct timespec ts[2] = { { .tv_sec = time(NULL) - 7200 },
                                  { .tv_sec = time(NULL) - 7200 } };

        if (utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW) < 0)
                abort();
}

static void test_pins_and_stages(void)
{
        _cleanup_free_ char *root = path_in("gc");
        struct store *s = NULL, *s2 = NULL;
        struct store_stage *live = NULL;
        den_error *err = NULL;
        char l9[72], dead_name[128] = "";
        _cleanup_free_ char *l9_path = NULL;
        _cleanup_free_ char *live_name = NULL;
        int p[2];
        pid_t pid;
        int status = 0;

        make_digest("L9", l9);
        l9_path = xasprintf("layers/%s", den_digest_hex(l9));
        ok(open_store(root, false, NULL, NULL, &s, &err) == 0);
        ok(open_store(root, false, NULL, NULL, &s2, &err) == 0);
        if (!s || !s2)
                return;
        /* s2 committed a layer no image references yet: its pin keeps gc off it */
        ok(add_layer(s2, l9, "9") == 0);
        ok(store_layers_gc(s, &err) == 0);
        ok(path_exists(root, l9_path));
        store_free(s2);
        ok(store_layers_gc(s, &err) == 0);
        ok(!path_exists(root, l9_path));

        /* a stage of a process that died is removed once old; a live one never */
        ok(pipe2(p, O_CLOEXEC) == 0);
        pid = fork();
        if (pid == 0) {
                struct store *c = NULL;
                struct store_stage *st = NULL;

                if (open_store(root, false, NULL, NULL, &c, NULL) < 0 ||
                    store_layer_stage(c, &st, NULL) < 0)
                        _exit(1);
                (void) !write(p[1], st->name, strlen(st->name));
                _exit(0); /* dies without freeing its stage */
        }
        close(p[1]);
        {
                ssize_t k = read(p[0], dead_name, sizeof(dead_name) - 1);

                dead_name[k > 0 ? k : 0] = '\0';
        }
        close(p[0]);
        waitpid(pid, &status, 0);
        ok(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        ok(den_str_has_prefix(dead_name, "layers/.stage-") && path_exists(root, dead_name));
        ok(store_layer_stage(s, &live, &err) == 0);
        if (!live)
                return;
        live_name = xstrdup(live->name);
        ok(store_layers_gc(s, &err) == 0);
        ok(path_exists(root, dead_name)); /* not old yet */
        backdate(root, dead_name);
        backdate(root, live_name);
        ok(store_layers_gc(s, &err) == 0);
        ok(!path_exists(root, dead_name));
        ok(path_exists(root, live_name));
        store_stage_free(s, live);
        ok(!path_exists(root, live_name));
        store_free(s);
}

/* ---------------------------------------------------------------- corrupt files */

static void expect_corrupt(struct store *s, const char *text, const char *why)
{
        struct store_image **imgs = NULL;
        struct store_image *img = NULL;
        den_error *err = NULL;
        size_t n = 0;

        if (text)
                write_text(store_root(s), "images.json", text);
        ok(store_images_list(s, &imgs, &n, &err) < 0);
        ok(err_has(err, "images.json") && err_has(err, why));
        if (!err_has(err, why))
                printf("#   message: %s\n", err ? err->msg : "(none)");
        den_error_free(err);
        err = NULL;
        ok(store_image_find(s, "x", &img, &err) < 0 && err && err->errnum != ENOENT);
        den_error_free(err);
}

static void test_corrupt(void)
{
        _cleanup_free_ char *root = path_in("corrupt");
        _cleanup_free_ char *big = NULL;
        _cleanup_free_ char *dup = NULL;
        _cleanup_free_ char *rec = NULL;
        struct store *s = NULL;
        den_error *err = NULL;
        char id[65];
        int fd;

        make_id("eee", "corrupt", id);
        ok(open_store(root, false, NULL, NULL, &s, &err) == 0);
        if (!s)
                return;
        expect_corrupt(s, "[{", "line");
        expect_corrupt(s, "", "line");
        expect_corrupt(s, "{}", "not a JSON array");
        expect_corrupt(s, "[{\"id\":\"x\"}]", "missing \"names\"");
        expect_corrupt(s, "[1]", "not a JSON object");
        /* a record missing only "size" and "layers", completed differently each time */
        rec = xasprintf("{\"id\":\"%s\",\"names\":[],\"digests\":[],\"created\":0,"
                        "\"stored\":0",
                        id);
        big = xasprintf("[%s,\"size\":0,\"layers\":[],\"bogus\":1}]", rec);
        expect_corrupt(s, big, "unknown key \"bogus\"");
        free(big);
        big = xasprintf("[%s,\"size\":0,\"size\":1,\"layers\":[]}]", rec);
        expect_corrupt(s, big, "duplicate");
        free(big);
        big = xasprintf("[%s,\"size\":0,\"layers\":[],\"os\":5}]", rec);
        expect_corrupt(s, big, "\"os\"");
        free(big);
        big = xasprintf("[%s,\"size\":0}]", rec);
        expect_corrupt(s, big, "missing \"layers\"");
        free(big);
        big = xasprintf("[%s,\"size\":0,\"layers\":[\"sha256:nope\"]}]", rec);
        expect_corrupt(s, big, "invalid layer");
        free(big);
        big = xasprintf("[%s,\"size\":-1,\"layers\":[]}]", rec);
        expect_corrupt(s, big, "\"size\"");
        free(big);
        big = xasprintf("[{\"id\":\"%s\",\"names\":[\"a\\u0000b\"],\"digests\":[],"
                        "\"created\":0,\"stored\":0,\"size\":0,\"layers\":[]}]",
                        id);
        expect_corrupt(s, big, "line");
        free(big);
        big = xasprintf("[{\"id\":\"%s\",\"names\":[\"tab\\tname\"],\"digests\":[],"
                        "\"created\":0,\"stored\":0,\"size\":0,\"layers\":[]}]",
                        id);
        expect_corrupt(s, big, "invalid name");
        free(big);
        dup = xasprintf("[%s,\"size\":0,\"layers\":[]},%s,\"size\":0,\"layers\":[]}]", rec, rec);
        expect_corrupt(s, dup, "duplicate image id");
        /* a valid record reads back */
        big = xasprintf("[%s,\"size\":0,\"layers\":[]}]", rec);
        write_text(root, "images.json", big);
        {
                char buf[65];

                is_str(find_id(s, "eee", buf), id);
        }
        /* larger than the bound: an error, not an allocation of its size */
        fd = openat(AT_FDCWD, root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        {
                int f2 = openat(fd, "images.json", O_WRONLY | O_TRUNC | O_CLOEXEC);

                ok(f2 >= 0 && ftruncate(f2, (off_t) 65 << 20) == 0);
                close(f2);
        }
        close(fd);
        expect_corrupt(s, NULL, "larger than");
        store_free(s);
}

/* ---------------------------------------------------------------- concurrency */

#define WRITERS 6
#define PER_WRITER 5

static int writer(const char *root, int w)
{
        struct store *s = NULL;
        char shared[72], own[72], id[65];
        _cleanup_free_ char *seed = xasprintf("own-%d", w);

        if (open_store(root, false, NULL, "0:0:1/0:0:1", &s, NULL) < 0)
                return 1;
        make_digest("shared", shared);
        make_digest(seed, own);
        /* every writer extracts the shared layer: all commits must succeed */
        if (add_layer(s, shared, "shared") < 0 || add_layer(s, own, seed) < 0)
                return 2;
        for (int k = 0; k < PER_WRITER; k++) {
                _cleanup_free_ char *iseed = xasprintf("img-%d-%d", w, k);
                _cleanup_free_ char *names =
                        xasprintf("localhost/shared:latest,localhost/w%d:%d", w, k);
                _cleanup_error_ den_error *err = NULL;

                make_id("f", iseed, id);
                if (add_image(s, id, names, NULL, (char *[]){ shared, own, NULL }, 0, &err) < 0)
                        return 3;
        }
        store_free(s);
        return 0;
}

static void test_concurrent(void)
{
        _cleanup_free_ char *root = path_in("conc");
        struct store_image **imgs = NULL;
        struct store *s = NULL;
        den_error *err = NULL;
        pid_t pids[WRITERS];
        size_t n = 0, shared_count = 0;
        bool is_all_ok = true, is_names_ok = true;
        DIR *d;
        struct dirent *de;
        int stages = 0;

        for (int w = 0; w < WRITERS; w++) {
                pids[w] = fork();
                if (pids[w] == 0)
                        _exit(writer(root, w));
        }
        for (int w = 0; w < WRITERS; w++) {
                int status = 0;

                waitpid(pids[w], &status, 0);
                if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                        printf("# writer %d: status %d\n", w, status);
                        is_all_ok = false;
                }
        }
        ok(is_all_ok);
        ok(open_store(root, true, NULL, NULL, &s, &err) == 0);
        if (!s)
                return;
        ok(store_images_list(s, &imgs, &n, &err) == 0);
        is_int(n, WRITERS * PER_WRITER);
        for (size_t i = 0; i < n; i++) {
                if (den_strv_contains(imgs[i]->names, "localhost/shared:latest"))
                        shared_count++;
                is_names_ok = is_names_ok && den_strv_len(imgs[i]->layers) == 2;
        }
        is_int(shared_count, 1);
        for (int w = 0; w < WRITERS; w++) {
                for (int k = 0; k < PER_WRITER; k++) {
                        _cleanup_free_ char *nm = xasprintf("localhost/w%d:%d", w, k);
                        size_t c = 0;

                        for (size_t i = 0; i < n; i++)
                                c += den_strv_contains(imgs[i]->names, nm);
                        is_names_ok = is_names_ok && c == 1;
                }
        }
        ok(is_names_ok);
        store_images_free(imgs, n);
        {
                _cleanup_free_ char *p = xasprintf("%s/layers", root);

                d = opendir(p);
        }
        while (d && (de = readdir(d)))
                stages +=
                        de->d_name[0] == '.' && strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
        if (d)
                closedir(d);
        is_int(stages, 0);
        store_free(s);
}

int main(void)
{
        snprintf(base, sizeof(base), "/tmp/den-test-store-XXXXXX");
        if (!mkdtemp(base))
                return 1;
        test_defaults();
        test_tmp_runroot();
        test_open();
        test_store_json();
        {
                _cleanup_free_ char *root = path_in("bl");
                struct store *s = NULL;
                den_error *err = NULL;

                ok(open_store(root, false, NULL, NULL, &s, &err) == 0);
                if (s) {
                        test_blobs(s);
                        test_layers(s);
                        store_free(s);
                }
        }
        test_images();
        test_pins_and_stages();
        test_corrupt();
        test_concurrent();
        (void) den_rm_rf_at(AT_FDCWD, base);
        return tap_done();
}
