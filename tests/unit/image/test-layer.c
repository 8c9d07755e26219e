/* Tests for layer extraction and packing (image/layer.c, image/pack.c). Runs as root: owners
 * are checked as such, and the user-namespace behaviour (whiteout devices allowed, other
 * devices refused, unmapped owners) is checked in a child that enters a user namespace.
 * Every test ends by checking that nothing appeared outside the destination directories. */
#include "image/image.h"
#include "tap.h"

#include <archive.h>
#include <archive_entry.h>
#include "image/lazy.h"
#include <openssl/sha.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>

static char base[256]; /* the test's temp dir: d<N>/ destinations and sentinel/ */
static int base_fd = -EBADF;
static int n_dest;
static bool tmp_x_existed;

/* ---------------------------------------------------------------- helpers */

static void sha256_hex(const void *p, size_t n, char out[72])
{
        unsigned char md[SHA256_DIGEST_LENGTH];

        SHA256(p, n, md);
        strcpy(out, "sha256:");
        for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
                sprintf(out + 7 + 2 * i, "%02x", md[i]);
}

static la_ssize_t buf_write_cb(struct archive *a, void *ud, const void *p, size_t n)
{
        den_buf_append(ud, p, n);
        return (la_ssize_t) n;
}

struct ent {
        const char *name;
        mode_t type; /* AE_IF*; 0 with hardlink set */
        mode_t perm;
        const char *data;
        const char *link;     /* symlink target */
        const char *hardlink; /* hardlink target */
        int64_t uid, gid;
        time_t mtime;
        unsigned rmaj, rmin;
        const char *xname[3];
        const char *xval[3];
};

struct tarw {
        struct archive *a;
        struct den_buf out;
};

static void tw_begin(struct tarw *t, bool pad)
{
        *t = (struct tarw){ .a = archive_write_new() };
        archive_write_set_format_pax_restricted(t->a);
        if (!pad)
                archive_write_set_bytes_in_last_block(t->a, 1);
        archive_write_open(t->a, &t->out, NULL, buf_write_cb, NULL);
}

static void tw_add(struct tarw *t, struct ent en)
{
        struct archive_entry *e = archive_entry_new();
        size_t len = en.data ? strlen(en.data) : 0;

        archive_entry_set_pathname(e, en.name);
        archive_entry_set_filetype(e, en.type ? en.type : AE_IFREG);
        archive_entry_set_perm(e, en.perm ? en.perm : 0644);
        archive_entry_set_uid(e, en.uid);
        archive_entry_set_gid(e, en.gid);
        archive_entry_set_mtime(e, en.mtime ? en.mtime : 1600000000, 0);
        archive_entry_set_size(e, (en.type == 0 || en.type == AE_IFREG) && !en.hardlink ? len : 0);
        if (en.link)
                archive_entry_set_symlink(e, en.link);
        if (en.hardlink)
                archive_entry_set_hardlink(e, en.hardlink);
        archive_entry_set_rdevmajor(e, en.rmaj);
        archive_entry_set_rdevminor(e, en.rmin);
        for (int i = 0; i < 3 && en.xname[i]; i++)
                archive_entry_xattr_add_entry(e, en.xname[i], en.xval[i], strlen(en.xval[i]));
        if (archive_write_header(t->a, e) < ARCHIVE_WARN)
                printf("# write header %s: %s\n", en.name, archive_error_string(t->a));
        if (len && !en.hardlink)
                archive_write_data(t->a, en.data, len);
        archive_entry_free(e);
}

static struct den_buf tw_end(struct tarw *t)
{
        archive_write_close(t->a);
        archive_write_free(t->a);
        return t->out;
}

/* A hand-written ustar header, for names and links libarchive would not write. */
static void raw_entry(struct den_buf *b, const char *name, char type, const char *link,
                      const char *data)
{
        unsigned char h[512] = { 0 };
        size_t len = data ? strlen(data) : 0;
        unsigned sum = 0;

        snprintf((char *) h, 100, "%s", name);
        snprintf((char *) h + 100, 8, "%07o", 0644);
        snprintf((char *) h + 108, 8, "%07o", 0);
        snprintf((char *) h + 116, 8, "%07o", 0);
        snprintf((char *) h + 124, 12, "%011o", (unsigned) (len & 077777777777));
        snprintf((char *) h + 136, 12, "%011o", 1600000000);
        h[156] = (unsigned char) type;
        if (link)
                snprintf((char *) h + 157, 100, "%s", link);
        memcpy(h + 257, "ustar", 6);
        memcpy(h + 263, "00", 2);
        memset(h + 148, ' ', 8);
        for (int i = 0; i < 512; i++)
                sum += h[i];
        snprintf((char *) h + 148, 8, "%06o", sum);
        den_buf_append(b, h, 512);
        if (len) {
                char pad[512] = { 0 };

                den_buf_append(b, data, len);
                den_buf_append(b, pad, (512 - len % 512) % 512);
        }
}

static void raw_end(struct den_buf *b)
{
        char z[1024] = { 0 };

        den_buf_append(b, z, sizeof(z));
}

static struct den_buf compress(const struct den_buf *in, enum img_compression c)
{
        struct den_buf out = { 0 };
        struct archive *a = archive_write_new();
        struct archive_entry *e = archive_entry_new();

        archive_write_set_format_raw(a);
        if (c == IMG_COMPRESSION_GZIP)
                archive_write_add_filter_gzip(a);
        else
                archive_write_add_filter_zstd(a);
        archive_write_set_bytes_in_last_block(a, 1);
        archive_write_open(a, &out, NULL, buf_write_cb, NULL);
        archive_entry_set_pathname(e, "x");
        archive_entry_set_filetype(e, AE_IFREG);
        archive_write_header(a, e);
        archive_write_data(a, in->data, in->len);
        archive_write_close(a);
        archive_write_free(a);
        archive_entry_free(e);
        return out;
}

static int new_dest(char *ret_path)
{
        char name[32];

        snprintf(name, sizeof(name), "d%d", n_dest++);
        if (mkdirat(base_fd, name, 0755) < 0)
                abort();
        snprintf(ret_path, PATH_MAX, "%s/%s", base, name);
        return openat(base_fd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

static int extract_buf(const void *p, size_t n, int dest, const struct img_layer_opts *o,
                       struct img_layer_result *res, den_error **err)
{
        int fd = memfd_create("layer", MFD_CLOEXEC);
        int r;

        if (fd < 0 || den_write_all(fd, p, n) < 0 || lseek(fd, 0, SEEK_SET) < 0)
                abort();
        r = img_layer_extract(fd, dest, o, res, err);
        close(fd);
        return r;
}

/* Extracts and returns the error text ("" on success). */
static char *try_extract(const struct den_buf *b, int dest, enum img_whiteout_format wf)
{
        struct img_layer_opts o = { .whiteouts = wf };
        den_error *err = NULL;
        char *msg;

        if (extract_buf(b->data, b->len, dest, &o, NULL, &err) == 0)
                return xstrdup("");
        msg = den_error_text(err);
        den_error_free(err);
        return msg;
}

static mode_t type_at(int dfd, const char *path)
{
        struct stat st;

        return fstatat(dfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0 ? 0 : st.st_mode & S_IFMT;
}

static char *read_at(int dfd, const char *path)
{
        char *s = NULL;

        if (den_read_file_at(dfd, path, 1 << 20, &s, NULL) < 0)
                return xstrdup("(missing)");
        return s;
}

static char *xattr_of(const char *dir, const char *path, const char *name)
{
        char full[PATH_MAX * 2], v[256];
        ssize_t n;

        snprintf(full, sizeof(full), "%s/%s", dir, path);
        n = lgetxattr(full, name, v, sizeof(v) - 1);
        if (n < 0)
                return xstrdup("(none)");
        v[n] = '\0';
        return xstrdup(v);
}

static size_t count_children(int dfd, const char *path)
{
        int fd = openat(dfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd < 0 ? NULL : fdopendir(fd);
        struct dirent *de;
        size_t n = 0;

        if (!d)
                return (size_t) -1;
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        n++;
        closedir(d);
        return n;
}

/* Nothing was written outside the destination directories. */
static void check_contained(const char *what)
{
        size_t expected = (size_t) n_dest + 1;

        TAP_REPORT(count_children(base_fd, "sentinel") == 0, "%s: sentinel untouched", what);
        TAP_REPORT(count_children(base_fd, ".") == expected, "%s: nothing new beside dests", what);
        TAP_REPORT(tmp_x_existed || access("/tmp/x", F_OK) != 0, "%s: /tmp/x not created", what);
}

/* ---------------------------------------------------------------- tests */

static void test_classify(void)
{
        const char *n = NULL;

        is_int(img_whiteout_classify("file", &n), IMG_WH_NONE);
        is_int(img_whiteout_classify(".whx", &n), IMG_WH_NONE);
        is_int(img_whiteout_classify(".wh.foo", &n), IMG_WH_FILE);
        is_str(n, "foo");
        is_int(img_whiteout_classify(".wh..hidden", &n), IMG_WH_FILE);
        is_str(n, ".hidden");
        is_int(img_whiteout_classify(".wh..wh..opq", &n), IMG_WH_OPAQUE);
        is_int(img_whiteout_classify(".wh..wh.plnk", &n), IMG_WH_RESERVED);
        is_int(img_whiteout_classify(".wh.", &n), IMG_WH_INVALID);
        is_int(img_whiteout_classify(".wh..", &n), IMG_WH_INVALID);
        is_int(img_whiteout_classify(".wh...", &n), IMG_WH_INVALID);
}

static struct den_buf sample_tar(bool pad)
{
        struct tarw t;

        tw_begin(&t, pad);
        tw_add(&t,
               (struct ent){ .name = "etc/", .type = AE_IFDIR, .perm = 0755, .mtime = 1500000000 });
        tw_add(&t, (struct ent){ .name = "etc/passwd",
                                 .data = "root:x:0:0\n",
                                 .perm = 0644,
                                 .mtime = 1500000001 });
        tw_add(&t, (struct ent){ .name = "home/user/",
                                 .type = AE_IFDIR,
                                 .perm = 0700,
                                 .uid = 1000,
                                 .gid = 1000,
                                 .mtime = 1500000002 });
        tw_add(&t, (struct ent){ .name = "home/user/notes",
                                 .data = "mine",
                                 .perm = 0600,
                                 .uid = 1000,
                                 .gid = 1001,
                                 .mtime = 1500000003 });
        tw_add(&t, (struct ent){
                           .name = "./bin/su", .data = "ELF", .perm = 04755, .uid = 0, .gid = 0 });
        tw_add(&t, (struct ent){ .name = "bin/wall", .data = "ELF", .perm = 02755, .gid = 5 });
        tw_add(&t, (struct ent){ .name = "tmp/", .type = AE_IFDIR, .perm = 01777 });
        tw_add(&t, (struct ent){ .name = "bin/sh",
                                 .type = AE_IFLNK,
                                 .link = "/bin/busybox",
                                 .uid = 7,
                                 .gid = 8,
                                 .mtime = 1500000004 });
        tw_add(&t, (struct ent){ .name = "bin/busybox", .data = "BB", .perm = 0755 });
        tw_add(&t, (struct ent){ .name = "bin/ash", .hardlink = "bin/busybox" });
        tw_add(&t, (struct ent){ .name = "run/fifo", .type = AE_IFIFO, .perm = 0620 });
        tw_add(&t, (struct ent){ .name = "x/attrs",
                                 .data = "a",
                                 .xname = { "user.keep", "trusted.drop", "user.overlay.origin" },
                                 .xval = { "1", "2", "3" } });
        tw_add(&t, (struct ent){ .name = "empty", .data = "" });
        return tw_end(&t);
}

static void check_sample(int d, const char *dpath)
{
        struct stat st, st2;
        _cleanup_free_ char *pw = read_at(d, "etc/passwd");
        _cleanup_free_ char *notes = read_at(d, "home/user/notes");
        _cleanup_free_ char *keep = xattr_of(dpath, "x/attrs", "user.keep");
        _cleanup_free_ char *drop = xattr_of(dpath, "x/attrs", "trusted.drop");
        _cleanup_free_ char *origin = xattr_of(dpath, "x/attrs", "user.overlay.origin");
        char link[64] = "";

        is_str(pw, "root:x:0:0\n");
        is_str(notes, "mine");
        ok(fstatat(d, "home/user/notes", &st, AT_SYMLINK_NOFOLLOW) == 0);
        is_int(st.st_uid, 1000);
        is_int(st.st_gid, 1001);
        is_int(st.st_mode & 07777, 0600);
        is_int(st.st_mtime, 1500000003);
        ok(fstatat(d, "home/user", &st, AT_SYMLINK_NOFOLLOW) == 0);
        is_int(st.st_uid, 1000);
        is_int(st.st_mode & 07777, 0700);
        is_int(st.st_mtime, 1500000002); /* set after its contents were written */
        ok(fstatat(d, "etc", &st, 0) == 0);
        is_int(st.st_mtime, 1500000000);
        ok(fstatat(d, "home", &st, 0) == 0 && S_ISDIR(st.st_mode)); /* made implicitly */
        is_int(st.st_mode & 07777, 0755);
        ok(fstatat(d, "bin/su", &st, 0) == 0);
        is_int(st.st_mode & 07777, 04755);
        ok(fstatat(d, "bin/wall", &st, 0) == 0);
        is_int(st.st_mode & 07777, 02755);
        is_int(st.st_gid, 5);
        ok(fstatat(d, "tmp", &st, 0) == 0);
        is_int(st.st_mode & 07777, 01777);
        ok(readlinkat(d, "bin/sh", link, sizeof(link) - 1) > 0);
        is_str(link, "/bin/busybox");
        ok(fstatat(d, "bin/sh", &st, AT_SYMLINK_NOFOLLOW) == 0);
        is_int(st.st_uid, 7);
        is_int(st.st_gid, 8);
        is_int(st.st_mtime, 1500000004);
        ok(fstatat(d, "bin/busybox", &st, 0) == 0 && fstatat(d, "bin/ash", &st2, 0) == 0);
        is_int(st.st_ino, st2.st_ino);
        is_int(st.st_nlink, 2);
        is_int(type_at(d, "run/fifo"), S_IFIFO);
        ok(fstatat(d, "run/fifo", &st, AT_SYMLINK_NOFOLLOW) == 0);
        is_int(st.st_mode & 07777, 0620);
        is_str(keep, "1");
        is_str(drop, "(none)");
        is_str(origin, "(none)");
        is_int(type_at(d, "empty"), S_IFREG);
}

static void test_formats_and_digests(void)
{
        struct den_buf tar = sample_tar(true);
        enum img_compression kinds[] = { IMG_COMPRESSION_NONE, IMG_COMPRESSION_GZIP,
                                         IMG_COMPRESSION_ZSTD };
        const char *names[] = { "none", "gzip", "zstd" };
        char tar_digest[72];

        sha256_hex(tar.data, tar.len, tar_digest);
        ok(tar.len % 10240 == 0); /* padded past the end-of-archive blocks */
        for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
                struct den_buf blob =
                        kinds[i] == IMG_COMPRESSION_NONE ? tar : compress(&tar, kinds[i]);
                struct img_layer_result res = { 0 };
                struct img_layer_opts o = { .whiteouts = IMG_WHITEOUT_OVERLAY };
                char dpath[PATH_MAX], blob_digest[72], bad[72];
                den_error *err = NULL;
                _cleanup_free_ char *msg = NULL;
                _cleanup_free_ char *want = NULL;
                int d = new_dest(dpath);

                sha256_hex(blob.data, blob.len, blob_digest);
                o.expected_digest = blob_digest;
                o.expected_diff_id = tar_digest;
                is_int(extract_buf(blob.data, blob.len, d, &o, &res, &err), 0);
                if (err)
                        printf("# %s\n", err->msg);
                is_str(res.digest, blob_digest);
                is_str(res.diff_id, tar_digest);
                is_int(res.compressed_size, blob.len);
                is_int(res.size, tar.len);
                is_str(res.compression, names[i]);
                check_sample(d, dpath);
                img_layer_result_clear(&res);
                close(d);

                /* a wrong compressed digest */
                strcpy(bad, blob_digest);
                bad[10] = bad[10] == '0' ? '1' : '0';
                o.expected_digest = bad;
                d = new_dest(dpath);
                ok(extract_buf(blob.data, blob.len, d, &o, &res, &err) < 0);
                want = xasprintf("verify layer: digest mismatch: expected %s, got %s", bad,
                                 blob_digest);
                is_str(err ? err->msg : NULL, want);
                den_error_free(err);
                err = NULL;
                free(want);
                close(d);

                /* a wrong diff_id */
                o.expected_digest = blob_digest;
                strcpy(bad, tar_digest);
                bad[70] = bad[70] == 'a' ? 'b' : 'a';
                o.expected_diff_id = bad;
                d = new_dest(dpath);
                ok(extract_buf(blob.data, blob.len, d, &o, &res, &err) < 0);
                want = xasprintf("verify layer: diff_id mismatch: expected %s, got %s", bad,
                                 tar_digest);
                is_str(err ? err->msg : NULL, want);
                den_error_free(err);
                close(d);
                if (kinds[i] != IMG_COMPRESSION_NONE)
                        den_buf_free(&blob);
        }
        den_buf_free(&tar);
        check_contained("formats");
}

static void progress_cb(void *ud, uint64_t done)
{
        *(uint64_t *) ud = done;
}

/* Input from a pipe arrives in small pieces; the result must not change. */
static void test_pipe_and_progress(void)
{
        struct den_buf tar = sample_tar(false);
        struct den_buf gz = compress(&tar, IMG_COMPRESSION_GZIP);
        uint64_t last = 0;
        struct img_layer_opts o = { .progress = progress_cb, .progress_ud = &last };
        struct img_layer_result res = { 0 };
        char dpath[PATH_MAX], want[72];
        den_error *err = NULL;
        int d = new_dest(dpath), p[2];
        pid_t pid;

        sha256_hex(gz.data, gz.len, want);
        if (pipe2(p, O_CLOEXEC) < 0)
                abort();
        fflush(stdout);
        pid = fork();
        if (pid == 0) {
                close(p[0]);
                for (size_t off = 0; off < gz.len; off += 7)
                        (void) !write(p[1], gz.data + off, gz.len - off < 7 ? gz.len - off : 7);
                _exit(0);
        }
        close(p[1]);
        is_int(img_layer_extract(p[0], d, &o, &res, &err), 0);
        close(p[0]);
        waitpid(pid, NULL, 0);
        is_str(res.digest, want);
        is_int(last, gz.len);
        check_sample(d, dpath);
        img_layer_result_clear(&res);
        den_error_free(err);
        den_buf_free(&tar);
        den_buf_free(&gz);
        close(d);
}

/* The empty layer (two zero blocks, as other engines write it), an empty file and an empty
 * gzip stream are all valid, empty layers. */
static void test_empty(void)
{
        char zeros[1024] = { 0 };
        struct den_buf inputs[3] = { { 0 } };
        struct den_buf empty_gz;

        den_buf_append(&inputs[0], zeros, sizeof(zeros));
        den_buf_append(&inputs[1], "", 0);
        empty_gz = compress(&inputs[1], IMG_COMPRESSION_GZIP);
        inputs[2] = empty_gz;
        for (size_t i = 0; i < ARRAY_SIZE(inputs); i++) {
                struct img_layer_result res = { 0 };
                den_error *err = NULL;
                char dpath[PATH_MAX], want[72];
                int d = new_dest(dpath);

                sha256_hex(inputs[i].data, inputs[i].len, want);
                is_int(extract_buf(inputs[i].data, inputs[i].len, d, NULL, &res, &err), 0);
                if (err)
                        printf("# %s\n", err->msg);
                is_str(res.digest, want);
                is_int(count_children(d, "."), 0);
                img_layer_result_clear(&res);
                den_error_free(err);
                den_buf_free(&inputs[i]);
                close(d);
        }
}

static void expect_fail(const struct den_buf *b, const char *needle, const char *what)
{
        char dpath[PATH_MAX];
        int d = new_dest(dpath);
        _cleanup_free_ char *msg = try_extract(b, d, IMG_WHITEOUT_OVERLAY);

        TAP_REPORT(*msg && strstr(msg, needle), "%s fails (%s)", what, msg);
        close(d);
}

static void test_bad_names(void)
{
        const char *names[] = { "../escape", "/abs", "a/../../b", "./../x", "a/..", ".." };
        struct den_buf b = { 0 };
        char longname[PATH_MAX + 16];
        struct tarw t;

        for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
                b = (struct den_buf){ 0 };
                raw_entry(&b, names[i], '0', NULL, "evil");
                raw_end(&b);
                expect_fail(&b, names[i][0] == '/' ? "absolute" : "\"..\"", names[i]);
                den_buf_free(&b);
        }
        /* the same names as symlink, hardlink and directory entries */
        b = (struct den_buf){ 0 };
        raw_entry(&b, "../l", '2', "x", NULL);
        raw_end(&b);
        expect_fail(&b, "\"..\"", "../l symlink");
        den_buf_free(&b);
        b = (struct den_buf){ 0 };
        raw_entry(&b, "/etc/", '5', NULL, NULL);
        raw_end(&b);
        expect_fail(&b, "absolute", "/etc/ directory");
        den_buf_free(&b);

        /* too long, too deep, long component, long symlink target */
        memset(longname, 'a', sizeof(longname) - 1);
        longname[sizeof(longname) - 1] = '\0';
        tw_begin(&t, false);
        tw_add(&t, (struct ent){ .name = longname, .data = "x" });
        b = tw_end(&t);
        expect_fail(&b, "too long", "name over PATH_MAX");
        den_buf_free(&b);
        longname[300] = '\0';
        tw_begin(&t, false);
        tw_add(&t, (struct ent){ .name = longname, .data = "x" });
        b = tw_end(&t);
        expect_fail(&b, "component too long", "component over NAME_MAX");
        den_buf_free(&b);
        for (int i = 0; i < 600; i++)
                longname[i] = i % 2 ? '/' : 'd';
        longname[600] = '\0';
        tw_begin(&t, false);
        tw_add(&t, (struct ent){ .name = longname, .data = "x" });
        b = tw_end(&t);
        expect_fail(&b, "too deep", "300 levels deep");
        den_buf_free(&b);
        memset(longname, 'a', sizeof(longname) - 1);
        tw_begin(&t, false);
        tw_add(&t, (struct ent){ .name = "l", .type = AE_IFLNK, .link = longname });
        b = tw_end(&t);
        expect_fail(&b, "invalid symlink target", "symlink target over PATH_MAX");
        den_buf_free(&b);
        check_contained("bad names");
}

static void test_symlink_escapes(void)
{
        _cleanup_free_ char *abs_sentinel = xasprintf("%s/sentinel", base);
        _cleanup_free_ char *inner = xasprintf("%s/", abs_sentinel + 1);
        char dpath[PATH_MAX];
        struct den_buf b = { 0 };
        _cleanup_free_ char *msg = NULL;
        int d = new_dest(dpath);

        /* symlinks to paths that exist both outside and (made first) inside dest, then
         * entries through them, all in one layer: they must land inside */
        raw_entry(&b, inner, '5', NULL, NULL);
        raw_entry(&b, "abs", '2', abs_sentinel, NULL);
        raw_entry(&b, "abs/f", '0', NULL, "through abs");
        raw_entry(&b, "tmpdir", '2', "/tmp", NULL);
        raw_entry(&b, "tmpdir/x", '0', NULL, "through /tmp");
        raw_entry(&b, "up", '2', "../../../../../..", NULL);
        raw_entry(&b, "up/sentinel/f", '0', NULL, "through up");
        raw_entry(&b, "up/newdir/", '5', NULL, NULL);
        raw_entry(&b, "rel", '2', "../sentinel", NULL);
        raw_entry(&b, "rel/g", '0', NULL, "through rel");
        raw_entry(&b, "loop", '2', "loop", NULL);
        raw_end(&b);
        msg = try_extract(&b, d, IMG_WHITEOUT_OVERLAY);
        is_str(msg, "");
        {
                _cleanup_free_ char *abs_in = xasprintf("%sf", inner);
                _cleanup_free_ char *c1 = read_at(d, abs_in);
                _cleanup_free_ char *c2 = read_at(d, "tmp/x");
                _cleanup_free_ char *c3 = read_at(d, "sentinel/f");
                _cleanup_free_ char *c4 = read_at(d, "sentinel/g");

                is_str(c1, "through abs"); /* landed inside dest, as if dest were "/" */
                is_str(c2, "through /tmp");
                is_str(c3, "through up");
                is_str(c4, "through rel");
                is_int(type_at(d, "newdir"), S_IFDIR);
                is_int(type_at(d, "up"), S_IFLNK);
        }
        den_buf_free(&b);
        close(d);
        check_contained("symlinks, one layer");

        /* a symlink to nothing is not followed out and not made into a directory */
        b = (struct den_buf){ 0 };
        raw_entry(&b, "dangling", '2', "/tmp/x", NULL);
        raw_entry(&b, "dangling/f", '0', NULL, "x");
        raw_end(&b);
        expect_fail(&b, "Not a directory", "file through a dangling symlink");
        den_buf_free(&b);
        b = (struct den_buf){ 0 };
        raw_entry(&b, "loop", '2', "loop", NULL);
        raw_entry(&b, "loop/f", '0', NULL, "x");
        raw_end(&b);
        expect_fail(&b, "loop", "file through a symlink loop");
        den_buf_free(&b);
        check_contained("dangling symlinks");

        /* across layers into the same dest: the first plants, the second uses */
        for (int wf = 0; wf < 2; wf++) {
                struct den_buf l1 = { 0 }, l2 = { 0 };
                _cleanup_free_ char *m1 = NULL;
                _cleanup_free_ char *m2 = NULL;
                _cleanup_free_ char *c = NULL;
                _cleanup_free_ char *shadow = xasprintf("%sshadow", inner);

                d = new_dest(dpath);
                raw_entry(&l1, inner, '5', NULL, NULL);
                raw_entry(&l1, "etc", '2', abs_sentinel, NULL);
                raw_entry(&l1, "var", '2', "../../../../..", NULL);
                raw_end(&l1);
                raw_entry(&l2, "etc/.wh..wh..opq", '0', NULL, NULL);
                raw_entry(&l2, "etc/.wh.gone", '0', NULL, NULL);
                raw_entry(&l2, "etc/shadow", '0', NULL, "layer2");
                raw_entry(&l2, "var/lib/", '5', NULL, NULL);
                raw_entry(&l2, "var/lib/f", '0', NULL, "deep");
                raw_entry(&l2, "var/h", '1', "etc/shadow", NULL);
                raw_end(&l2);
                m1 = try_extract(&l1, d, (enum img_whiteout_format) wf);
                m2 = try_extract(&l2, d, (enum img_whiteout_format) wf);
                is_str(m1, "");
                is_str(m2, "");
                c = read_at(d, "lib/f"); /* var -> the root of dest */
                is_str(c, "deep");
                free(c);
                c = read_at(d, shadow);
                is_str(c, "layer2");
                free(c);
                c = read_at(d, "h");
                is_str(c, "layer2");
                den_buf_free(&l1);
                den_buf_free(&l2);
                close(d);
                check_contained("symlinks, two layers");
        }
}

static void test_hardlink_escapes(void)
{
        struct stat before, after;
        struct den_buf b = { 0 };
        char dpath[PATH_MAX];
        int d;

        ok(stat("/etc/passwd", &before) == 0);
        raw_entry(&b, "h", '1', "../../etc/passwd", NULL);
        raw_end(&b);
        expect_fail(&b, "\"..\"", "hardlink to ../../etc/passwd");
        den_buf_free(&b);
        b = (struct den_buf){ 0 };
        raw_entry(&b, "h", '1', "/etc/passwd", NULL);
        raw_end(&b);
        expect_fail(&b, "absolute", "hardlink to /etc/passwd");
        den_buf_free(&b);
        b = (struct den_buf){ 0 };
        raw_entry(&b, "etc", '2', "/etc", NULL);
        raw_entry(&b, "h", '1', "etc/passwd", NULL);
        raw_end(&b);
        expect_fail(&b, "hardlink target", "hardlink through a symlink to /etc");
        den_buf_free(&b);
        b = (struct den_buf){ 0 };
        raw_entry(&b, "d/", '5', NULL, NULL);
        raw_entry(&b, "h", '1', "d", NULL);
        raw_end(&b);
        expect_fail(&b, "not a file", "hardlink to a directory");
        den_buf_free(&b);

        /* a hardlink to a symlink that points outside links the symlink itself */
        b = (struct den_buf){ 0 };
        raw_entry(&b, "s", '2', "/etc/passwd", NULL);
        raw_entry(&b, "h", '1', "s", NULL);
        raw_end(&b);
        d = new_dest(dpath);
        {
                _cleanup_free_ char *msg = try_extract(&b, d, IMG_WHITEOUT_OVERLAY);
                struct stat s1, s2;

                is_str(msg, "");
                is_int(type_at(d, "h"), S_IFLNK);
                ok(fstatat(d, "h", &s1, AT_SYMLINK_NOFOLLOW) == 0 &&
                   fstatat(d, "s", &s2, AT_SYMLINK_NOFOLLOW) == 0 && s1.st_ino == s2.st_ino);
        }
        den_buf_free(&b);
        close(d);
        ok(stat("/etc/passwd", &after) == 0);
        is_int(after.st_nlink, before.st_nlink);
        is_int(after.st_ctime, before.st_ctime);
        check_contained("hardlinks");
}

static void test_replace(void)
{
        char dpath[PATH_MAX];
        struct tarw t;
        struct den_buf l1, l2;
        int d = new_dest(dpath);
        _cleanup_free_ char *m1 = NULL;
        _cleanup_free_ char *m2 = NULL;
        _cleanup_free_ char *c1 = NULL;
        _cleanup_free_ char *c2 = NULL;
        struct stat st;

        tw_begin(&t, false);
        tw_add(&t, (struct ent){ .name = "x/", .type = AE_IFDIR });
        tw_add(&t, (struct ent){ .name = "x/inner", .data = "in" });
        tw_add(&t, (struct ent){ .name = "y", .data = "file y" });
        tw_add(&t, (struct ent){ .name = "p/", .type = AE_IFDIR });
        tw_add(&t, (struct ent){ .name = "p/q", .data = "q" });
        tw_add(&t, (struct ent){ .name = "p", .data = "p is a file now" }); /* same layer */
        tw_add(&t, (struct ent){ .name = "k/", .type = AE_IFDIR, .perm = 0755 });
        tw_add(&t, (struct ent){ .name = "k/f", .data = "kept" });
        tw_add(&t, (struct ent){ .name = "k/", .type = AE_IFDIR, .perm = 0711 });
        tw_add(&t, (struct ent){ .name = "twice", .data = "first" });
        tw_add(&t, (struct ent){ .name = "twice", .data = "second" });
        tw_add(&t, (struct ent){ .name = "s", .type = AE_IFLNK, .link = "x" });
        /* a directory removed while its subdirectory was the last parent used */
        tw_add(&t, (struct ent){ .name = "r/s/f1", .data = "1" });
        tw_add(&t, (struct ent){ .name = "r", .data = "r is a file" });
        tw_add(&t, (struct ent){ .name = "r/", .type = AE_IFDIR });
        tw_add(&t, (struct ent){ .name = "r/s/f2", .data = "2" });
        l1 = tw_end(&t);
        tw_begin(&t, false);
        tw_add(&t, (struct ent){ .name = "x", .data = "x is a file" });
        tw_add(&t, (struct ent){ .name = "y/", .type = AE_IFDIR });
        tw_add(&t, (struct ent){ .name = "y/z", .data = "z" });
        tw_add(&t, (struct ent){ .name = "s/", .type = AE_IFDIR }); /* symlink -> dir */
        l2 = tw_end(&t);
        m1 = try_extract(&l1, d, IMG_WHITEOUT_APPLY);
        is_str(m1, "");
        c1 = read_at(d, "p");
        is_str(c1, "p is a file now");
        free(c1);
        c1 = read_at(d, "k/f");
        is_str(c1, "kept");
        ok(fstatat(d, "k", &st, 0) == 0);
        is_int(st.st_mode & 07777, 0711);
        free(c1);
        c1 = read_at(d, "twice");
        is_str(c1, "second");
        is_int(type_at(d, "r/s/f1"), 0);
        is_int(type_at(d, "r/s/f2"), S_IFREG);
        m2 = try_extract(&l2, d, IMG_WHITEOUT_APPLY);
        is_str(m2, "");
        c2 = read_at(d, "x");
        is_str(c2, "x is a file");
        is_int(type_at(d, "y"), S_IFDIR);
        is_int(type_at(d, "y/z"), S_IFREG);
        is_int(type_at(d, "s"), S_IFDIR);
        den_buf_free(&l1);
        den_buf_free(&l2);
        close(d);
        check_contained("replace");
}

static void test_whiteouts_overlay(void)
{
        char dpath[PATH_MAX];
        struct tarw t;
        struct den_buf b;
        struct stat st;
        int d = new_dest(dpath);
        _cleanup_free_ char *msg = NULL;
        _cleanup_free_ char *o1 = NULL;
        _cleanup_free_ char *o2 = NULL;
        _cleanup_free_ char *o3 = NULL;
        _cleanup_free_ char *o4 = NULL;

        tw_begin(&t, false);
        tw_add(&t, (struct ent){ .name = "a/", .type = AE_IFDIR });
        tw_add(&t, (struct ent){ .name = "a/f", .data = "f" });
        tw_add(&t, (struct ent){ .name = ".wh.b" });
        tw_add(&t, (struct ent){ .name = "a/.wh.c" });
        tw_add(&t, (struct ent){ .name = "d/.wh..wh..opq" }); /* before its directory */
        tw_add(&t, (struct ent){ .name = "d/", .type = AE_IFDIR, .perm = 0700 });
        tw_add(&t, (struct ent){ .name = "d/x", .data = "x" });
        tw_add(&t, (struct ent){ .name = "e", .data = "made, then whited out" });
        tw_add(&t, (struct ent){ .name = ".wh.e" });
        tw_add(&t, (struct ent){ .name = "g/", .type = AE_IFDIR });
        tw_add(&t, (struct ent){ .name = "g/.wh..wh..opq" }); /* after its directory */
        tw_add(&t, (struct ent){ .name = ".wh..wh.plnk" });
        tw_add(&t, (struct ent){ .name = ".wh..wh..opq" }); /* the root itself */
        b = tw_end(&t);
        msg = try_extract(&b, d, IMG_WHITEOUT_OVERLAY);
        is_str(msg, "");
        ok(fstatat(d, "b", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISCHR(st.st_mode) &&
           st.st_rdev == makedev(0, 0));
        ok(fstatat(d, "a/c", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISCHR(st.st_mode) &&
           st.st_rdev == makedev(0, 0));
        ok(fstatat(d, "e", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISCHR(st.st_mode));
        is_int(type_at(d, ".wh.b"), 0);
        is_int(type_at(d, "a/.wh.c"), 0);
        is_int(type_at(d, "d/.wh..wh..opq"), 0);
        is_int(type_at(d, ".wh..wh.plnk"), 0);
        is_int(type_at(d, "a/f"), S_IFREG);
        is_int(type_at(d, "d/x"), S_IFREG);
        o1 = xattr_of(dpath, "d", "user.overlay.opaque");
        o2 = xattr_of(dpath, "g", "user.overlay.opaque");
        o3 = xattr_of(dpath, "a", "user.overlay.opaque");
        o4 = xattr_of(dpath, ".", "user.overlay.opaque");
        is_str(o1, "y");
        is_str(o2, "y");
        is_str(o3, "(none)");
        is_str(o4, "y");
        ok(fstatat(d, "d", &st, 0) == 0);
        is_int(st.st_mode & 07777, 0700);
        den_buf_free(&b);
        close(d);

        b = (struct den_buf){ 0 };
        raw_entry(&b, "a/.wh..", '0', NULL, NULL);
        raw_end(&b);
        expect_fail(&b, "invalid whiteout", "whiteout of ..");
        den_buf_free(&b);
        check_contained("overlay whiteouts");
}

static void test_whiteouts_apply(void)
{
        char dpath[PATH_MAX];
        struct tarw t;
        struct den_buf l1, l2;
        int d = new_dest(dpath);
        _cleanup_free_ char *m1 = NULL;
        _cleanup_free_ char *m2 = NULL;

        tw_begin(&t, false);
        tw_add(&t, (struct ent){ .name = "a/f1", .data = "1" });
        tw_add(&t, (struct ent){ .name = "a/f2", .data = "2" });
        tw_add(&t, (struct ent){ .name = "b/deep/file", .data = "b" });
        tw_add(&t, (struct ent){ .name = "d/x", .data = "x" });
        tw_add(&t, (struct ent){ .name = "d/y/z", .data = "z" });
        tw_add(&t, (struct ent){ .name = "d/y/w", .data = "w" });
        tw_add(&t, (struct ent){ .name = "o/old", .data = "old" });
        tw_add(&t, (struct ent){ .name = "keep", .data = "k" });
        l1 = tw_end(&t);
        tw_begin(&t, false);
        tw_add(&t, (struct ent){ .name = ".wh.b" });
        tw_add(&t, (struct ent){ .name = "a/.wh.f1" });
        tw_add(&t, (struct ent){ .name = "d/.wh..wh..opq" });
        tw_add(&t, (struct ent){ .name = "d/new", .data = "new" });
        tw_add(&t, (struct ent){ .name = "d/y/w", .data = "w2" });
        tw_add(&t, (struct ent){ .name = "o/mine", .data = "mine" });
        tw_add(&t, (struct ent){ .name = "o/.wh..wh..opq" }); /* after this layer's entry */
        tw_add(&t, (struct ent){ .name = "n", .data = "same layer" });
        tw_add(&t, (struct ent){ .name = ".wh.n" }); /* only hides earlier layers */
        tw_add(&t, (struct ent){ .name = ".wh.never-existed" });
        l2 = tw_end(&t);
        m1 = try_extract(&l1, d, IMG_WHITEOUT_APPLY);
        m2 = try_extract(&l2, d, IMG_WHITEOUT_APPLY);
        is_str(m1, "");
        is_str(m2, "");
        is_int(type_at(d, "b"), 0);
        is_int(type_at(d, "a/f1"), 0);
        is_int(type_at(d, "a/f2"), S_IFREG);
        is_int(type_at(d, "d/x"), 0);
        is_int(type_at(d, "d/new"), S_IFREG);
        is_int(type_at(d, "d/y/z"), 0);
        is_int(type_at(d, "d/y/w"), S_IFREG);
        is_int(type_at(d, "o/old"), 0);
        is_int(type_at(d, "o/mine"), S_IFREG);
        is_int(type_at(d, "n"), S_IFREG);
        is_int(type_at(d, "keep"), S_IFREG);
        is_int(type_at(d, ".wh.b"), 0);
        is_int(type_at(d, "d/.wh..wh..opq"), 0);
        den_buf_free(&l1);
        den_buf_free(&l2);
        close(d);
        check_contained("applied whiteouts");
}

static void test_broken_input(void)
{
        struct den_buf tar = sample_tar(false);
        struct den_buf gz = compress(&tar, IMG_COMPRESSION_GZIP);
        struct den_buf zs = compress(&tar, IMG_COMPRESSION_ZSTD);
        struct den_buf cut = { 0 };
        struct den_buf junk = { 0 };
        unsigned char rnd[4096];

        den_buf_append(&cut, tar.data, 1536 + 100); /* inside the second entry's data */
        expect_fail(&cut, "read layer", "truncated tar");
        den_buf_free(&cut);
        cut = (struct den_buf){ 0 };
        den_buf_append(&cut, gz.data, gz.len / 2);
        expect_fail(&cut, "layer", "truncated gzip");
        den_buf_free(&cut);
        cut = (struct den_buf){ 0 };
        den_buf_append(&cut, zs.data, zs.len / 2);
        expect_fail(&cut, "layer", "truncated zstd");
        den_buf_free(&cut);
        for (size_t i = 0; i < sizeof(rnd); i++)
                rnd[i] = (unsigned char) (i * 7919 + 13);
        den_buf_append(&junk, rnd, sizeof(rnd));
        expect_fail(&junk, "read layer", "garbage");
        memcpy(junk.data, "\x1f\x8b", 2);
        expect_fail(&junk, "layer", "garbage with a gzip magic");
        memcpy(junk.data, "\x28\xb5\x2f\xfd", 4);
        expect_fail(&junk, "layer", "garbage with a zstd magic");
        den_buf_free(&junk);
        den_buf_free(&tar);
        den_buf_free(&gz);
        den_buf_free(&zs);
        check_contained("broken input");
}

static struct den_buf zeros_tar(int n_files, int mib_each)
{
        struct den_buf out = { 0 };
        struct archive *a = archive_write_new();
        struct archive_entry *e = archive_entry_new();
        char *zeros = xcalloc(1, 1 << 20);

        archive_write_set_format_pax_restricted(a);
        archive_write_add_filter_gzip(a);
        archive_write_open(a, &out, NULL, buf_write_cb, NULL);
        for (int f = 0; f < n_files; f++) {
                char name[32];

                snprintf(name, sizeof(name), "bomb%d", f);
                archive_entry_clear(e);
                archive_entry_set_pathname(e, name);
                archive_entry_set_filetype(e, AE_IFREG);
                archive_entry_set_size(e, (int64_t) mib_each << 20);
                archive_write_header(a, e);
                for (int i = 0; i < mib_each; i++)
                        archive_write_data(a, zeros, 1 << 20);
        }
        archive_write_close(a);
        archive_write_free(a);
        archive_entry_free(e);
        free(zeros);
        return out;
}

static void test_bomb(void)
{
        struct den_buf one = zeros_tar(1, 256), many = zeros_tar(64, 1);
        struct img_layer_opts o = { .max_size = 16 << 20 };
        char dpath[PATH_MAX];
        den_error *err = NULL;
        int d = new_dest(dpath);

        ok(one.len < (2 << 20));
        ok(extract_buf(one.data, one.len, d, &o, NULL, &err) < 0);
        TAP_REPORT(err && strstr(err->msg, "maximum uncompressed size"), "one big entry (%s)",
                   err ? err->msg : "");
        is_int(type_at(d, "bomb0"), 0);
        den_error_free(err);
        err = NULL;
        close(d);
        d = new_dest(dpath);
        ok(extract_buf(many.data, many.len, d, &o, NULL, &err) < 0);
        TAP_REPORT(err && strstr(err->msg, "maximum uncompressed size"), "many entries (%s)",
                   err ? err->msg : "");
        is_int(type_at(d, "bomb15"), S_IFREG);
        is_int(type_at(d, "bomb17"), 0);
        den_error_free(err);
        den_buf_free(&one);
        den_buf_free(&many);
        close(d);
}

static void test_sparse_and_root(void)
{
        struct den_buf tar = { 0 };
        struct archive *a = archive_write_new();
        struct archive_entry *e = archive_entry_new();
        char dpath[PATH_MAX], data[4096], got[4096];
        _cleanup_free_ char *msg = NULL;
        int d = new_dest(dpath), fd;
        struct stat st;

        archive_write_set_format_pax_restricted(a);
        archive_write_open(a, &tar, NULL, buf_write_cb, NULL);
        archive_entry_set_pathname(e, "./");
        archive_entry_set_filetype(e, AE_IFDIR);
        archive_entry_set_perm(e, 0750);
        archive_entry_set_mtime(e, 1234567890, 0);
        archive_write_header(a, e);
        archive_entry_clear(e);
        archive_entry_set_pathname(e, "sparse");
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, 10 << 20);
        archive_entry_sparse_add_entry(e, 5 << 20, sizeof(data));
        archive_write_header(a, e);
        /* a sparse entry takes the whole file; the writer keeps only the mapped part */
        memset(data, 0, sizeof(data));
        for (int i = 0; i < (5 << 20) / (int) sizeof(data); i++)
                archive_write_data(a, data, sizeof(data));
        memset(data, 'x', sizeof(data));
        archive_write_data(a, data, sizeof(data));
        archive_write_close(a);
        archive_write_free(a);
        archive_entry_free(e);
        msg = try_extract(&tar, d, IMG_WHITEOUT_OVERLAY);
        is_str(msg, "");
        ok(fstatat(d, "sparse", &st, 0) == 0);
        is_int(st.st_size, 10 << 20);
        ok(st.st_blocks * 512 < (1 << 20));
        fd = openat(d, "sparse", O_RDONLY | O_CLOEXEC);
        ok(pread(fd, got, sizeof(got), 5 << 20) == (ssize_t) sizeof(got) &&
           memcmp(got, data, sizeof(got)) == 0);
        ok(pread(fd, got, 1, 0) == 1 && got[0] == 0);
        close(fd);
        ok(fstatat(d, ".", &st, 0) == 0);
        is_int(st.st_mode & 07777, 0750);
        is_int(st.st_mtime, 1234567890);
        den_buf_free(&tar);
        close(d);
}

/* ---------------------------------------------------------------- user namespace */

struct userns_result {
        int rc;
        char msg[512];
        int whiteout_ok;
        int device_absent;
        int owner_ok;
        int unmapped_rc;
        char unmapped_msg[512];
};

static void userns_child(int dest, struct userns_result *res)
{
        struct tarw t;
        struct den_buf b;
        den_error *err = NULL;
        struct img_layer_opts o = { .whiteouts = IMG_WHITEOUT_OVERLAY };
        struct stat st;

        tw_begin(&t, false);
        tw_add(&t, (struct ent){ .name = "dev/null", .type = AE_IFCHR, .rmaj = 1, .rmin = 3 });
        tw_add(&t, (struct ent){ .name = "dev/sda", .type = AE_IFBLK, .rmaj = 8 });
        tw_add(&t, (struct ent){ .name = ".wh.gone" });
        tw_add(&t, (struct ent){ .name = "home/u", .data = "u", .uid = 1000, .gid = 1000 });
        tw_add(&t, (struct ent){ .name = "o/.wh..wh..opq" });
        b = tw_end(&t);
        res->rc = extract_buf(b.data, b.len, dest, &o, NULL, &err);
        if (err)
                snprintf(res->msg, sizeof(res->msg), "%s", err->msg);
        den_error_free(err);
        err = NULL;
        den_buf_free(&b);
        res->whiteout_ok = fstatat(dest, "gone", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                           S_ISCHR(st.st_mode) && st.st_rdev == 0;
        res->device_absent = type_at(dest, "dev/null") == 0 && type_at(dest, "dev/sda") == 0;
        res->owner_ok = fstatat(dest, "home/u", &st, 0) == 0 && st.st_uid == 1000;

        tw_begin(&t, false);
        tw_add(&t, (struct ent){ .name = "far", .data = "x", .uid = 70000, .gid = 0 });
        b = tw_end(&t);
        res->unmapped_rc = extract_buf(b.data, b.len, dest, &o, NULL, &err);
        if (err)
                snprintf(res->unmapped_msg, sizeof(res->unmapped_msg), "%s", err->msg);
        den_error_free(err);
        den_buf_free(&b);
}

static void test_userns(void)
{
        struct userns_result *res =
                mmap(NULL, sizeof(*res), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        char dpath[PATH_MAX], path[64], c;
        int d = new_dest(dpath), go[2], ready[2], status = 0;
        pid_t pid;

        if (res == MAP_FAILED || pipe2(go, O_CLOEXEC) < 0 || pipe2(ready, O_CLOEXEC) < 0)
                abort();
        fflush(stdout);
        pid = fork();
        if (pid == 0) {
                if (unshare(CLONE_NEWUSER) < 0)
                        _exit(2);
                (void) !write(ready[1], "r", 1);
                if (read(go[0], &c, 1) != 1 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
                        _exit(3);
                userns_child(d, res);
                _exit(0);
        }
        if (read(ready[0], &c, 1) == 1) {
                int fd;

                snprintf(path, sizeof(path), "/proc/%d/uid_map", pid);
                fd = open(path, O_WRONLY | O_CLOEXEC);
                (void) !write(fd, "0 0 2000\n", 9);
                close(fd);
                snprintf(path, sizeof(path), "/proc/%d/gid_map", pid);
                fd = open(path, O_WRONLY | O_CLOEXEC);
                (void) !write(fd, "0 0 2000\n", 9);
                close(fd);
        }
        (void) !write(go[1], "g", 1);
        waitpid(pid, &status, 0);
        is_int(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
        is_int(res->rc, 0);
        if (res->rc)
                printf("# %s\n", res->msg);
        ok(res->whiteout_ok);
        ok(res->device_absent);
        ok(res->owner_ok);
        ok(res->unmapped_rc < 0);
        TAP_REPORT(strstr(res->unmapped_msg, "\"far\"") && strstr(res->unmapped_msg, "70000") &&
                           strstr(res->unmapped_msg, "not mapped"),
                   "unmapped owner error names file and id (%s)", res->unmapped_msg);
        munmap(res, sizeof(*res));
        close(d);
        check_contained("user namespace");
}

/* ---------------------------------------------------------------- pack */

static void make_tree(int d, const char *dpath)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct timespec ts[2] = { { .tv_sec = 1400000000 }, { .tv_sec = 1400000000 } };
        int fd, s;

        mkdirat(d, "usr", 0755);
        mkdirat(d, "usr/bin", 0751);
        fd = openat(d, "usr/bin/tool", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
        (void) !write(fd, "tool body", 9);
        ok(fchown(fd, 1000, 1001) == 0);
        fchmod(fd, 04755);
        fsetxattr(fd, "user.note", "hello", 5, 0);
        fsetxattr(fd, "user.overlay.origin", "x", 1, 0);
        futimens(fd, ts);
        close(fd);
        ok(linkat(d, "usr/bin/tool", d, "usr/bin/tool-link", 0) == 0);
        ok(symlinkat("tool", d, "usr/bin/alias") == 0);
        mkdirat(d, "opaque", 0700);
        fd = openat(d, "opaque", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        fsetxattr(fd, "user.overlay.opaque", "y", 1, 0);
        close(fd);
        fd = openat(d, "opaque/inside", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
        close(fd);
        mknodat(d, "deleted", S_IFCHR | 0, makedev(0, 0));
        mknodat(d, "usr/pipe", S_IFIFO | 0600, 0);
        ok(strlen(dpath) + 10 < sizeof(sa.sun_path));
        memcpy(sa.sun_path, dpath, strlen(dpath));
        memcpy(sa.sun_path + strlen(dpath), "/usr/sock", 10);
        s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ok(bind(s, (struct sockaddr *) &sa, sizeof(sa)) == 0);
        close(s);
        utimensat(d, "usr/bin", ts, 0);
}

static void test_pack(void)
{
        enum img_compression kinds[] = { IMG_COMPRESSION_NONE, IMG_COMPRESSION_GZIP,
                                         IMG_COMPRESSION_ZSTD };
        char src_path[PATH_MAX], plain_digest[72] = "";
        int src = new_dest(src_path);

        make_tree(src, src_path);
        for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
                struct img_layer_result r1 = { 0 }, r2 = { 0 }, rx = { 0 };
                struct img_layer_opts o = { .whiteouts = IMG_WHITEOUT_OVERLAY };
                int out = memfd_create("pack", MFD_CLOEXEC);
                int out2 = memfd_create("pack2", MFD_CLOEXEC);
                char dpath[PATH_MAX], file_digest[72];
                _cleanup_free_ char *bytes = NULL;
                _cleanup_free_ char *note = NULL;
                _cleanup_free_ char *origin = NULL;
                _cleanup_free_ char *opq = NULL;
                _cleanup_free_ char *body = NULL;
                den_error *err = NULL;
                size_t len = 0;
                struct stat st, st2;
                int d;

                is_int(img_layer_pack(src, out, kinds[i], &r1, &err), 0);
                if (err)
                        printf("# %s\n", err->msg);
                is_int(img_layer_pack(src, out2, kinds[i], &r2, &err), 0);
                is_str(r1.digest, r2.digest); /* deterministic */
                lseek(out, 0, SEEK_SET);
                den_read_fd(out, 64 << 20, &bytes, &len);
                sha256_hex(bytes, len, file_digest);
                is_str(r1.digest, file_digest);
                is_int(r1.compressed_size, len);
                if (kinds[i] == IMG_COMPRESSION_NONE) {
                        snprintf(plain_digest, sizeof(plain_digest), "%s", file_digest);
                        is_str(r1.diff_id, r1.digest);
                        is_int(r1.size, len);
                } else {
                        is_str(r1.diff_id, plain_digest);
                }

                lseek(out, 0, SEEK_SET);
                o.expected_digest = r1.digest;
                o.expected_diff_id = r1.diff_id;
                d = new_dest(dpath);
                is_int(img_layer_extract(out, d, &o, &rx, &err), 0);
                if (err)
                        printf("# %s\n", err->msg);
                body = read_at(d, "usr/bin/tool");
                is_str(body, "tool body");
                ok(fstatat(d, "usr/bin/tool", &st, 0) == 0);
                is_int(st.st_mode & 07777, 04755);
                is_int(st.st_uid, 1000);
                is_int(st.st_gid, 1001);
                is_int(st.st_mtime, 1400000000);
                ok(fstatat(d, "usr/bin/tool-link", &st2, 0) == 0 && st2.st_ino == st.st_ino);
                is_int(type_at(d, "usr/bin/alias"), S_IFLNK);
                ok(fstatat(d, "usr/bin", &st, 0) == 0);
                is_int(st.st_mode & 07777, 0751);
                is_int(st.st_mtime, 1400000000);
                note = xattr_of(dpath, "usr/bin/tool", "user.note");
                origin = xattr_of(dpath, "usr/bin/tool", "user.overlay.origin");
                opq = xattr_of(dpath, "opaque", "user.overlay.opaque");
                is_str(note, "hello");
                is_str(origin, "(none)");
                is_str(opq, "y");
                is_int(type_at(d, "opaque/inside"), S_IFREG);
                ok(fstatat(d, "deleted", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISCHR(st.st_mode) &&
                   st.st_rdev == 0);
                is_int(type_at(d, "usr/pipe"), S_IFIFO);
                is_int(type_at(d, "usr/sock"), 0);
                close(d);

                /* applied to a tree with the deleted file, the whiteout removes it */
                d = new_dest(dpath);
                mknodat(d, "deleted", S_IFREG | 0644, 0);
                mkdirat(d, "opaque", 0755);
                mknodat(d, "opaque/lower", S_IFREG | 0644, 0);
                lseek(out, 0, SEEK_SET);
                o.whiteouts = IMG_WHITEOUT_APPLY;
                is_int(img_layer_extract(out, d, &o, NULL, &err), 0);
                is_int(type_at(d, "deleted"), 0);
                is_int(type_at(d, "opaque/lower"), 0);
                is_int(type_at(d, "opaque/inside"), S_IFREG);
                close(d);

                den_error_free(err);
                img_layer_result_clear(&r1);
                img_layer_result_clear(&r2);
                img_layer_result_clear(&rx);
                close(out);
                close(out2);
        }
        close(src);
        check_contained("pack");
}

static int rm_base(void)
{
        int parent = open("/tmp", O_PATH | O_DIRECTORY | O_CLOEXEC);
        int r = den_rm_rf_at(parent, strrchr(base, '/') + 1);

        close(parent);
        return r;
}

int main(void)
{
        snprintf(base, sizeof(base), "/tmp/den-test-layer.XXXXXX");
        if (!mkdtemp(base))
                return 1;
        base_fd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
        mkdirat(base_fd, "sentinel", 0755);
        tmp_x_existed = access("/tmp/x", F_OK) == 0;

        test_classify();
        test_formats_and_digests();
        test_pipe_and_progress();
        test_empty();
        test_bad_names();
        test_symlink_escapes();
        test_hardlink_escapes();
        test_replace();
        test_whiteouts_overlay();
        test_whiteouts_apply();
        test_broken_input();
        test_bomb();
        test_sparse_and_root();
        if (geteuid() == 0)
                test_userns();
        test_pack();
        check_contained("end");

        close(base_fd);
        ok(rm_base() == 0);
        return tap_done();
}
