/* util: errors, parsers, human sizes and times, atomic files, and the in-root resolver. */
#include <sys/stat.h>
#include "util/util.h"
#include "tap.h"

static void test_errors(void)
{
        den_error *err = NULL;
        char *text;

        is_int(den_error_set(&err, ENOENT, "open \"%s\"", "x"), -1);
        den_error_set(&err, EPERM, "second error is ignored");
        den_error_wrap(&err, "pull %s", "img");
        is_str(err->msg, "pull img: open \"x\"");
        is_int(err->errnum, ENOENT);
        text = den_error_text(err);
        is_str(text, "pull img: open \"x\": No such file or directory");
        free(text);
        den_error_free(err);
        is_int(den_error_set(NULL, 0, "no sink"), -1);
}

static void test_parse(void)
{
        uint64_t u = 0;
        int i = 0;

        is_int(den_parse_u64("123", &u), 0);
        is_int(u, 123);
        is_int(den_parse_u64("-1", &u), -EINVAL);
        is_int(den_parse_u64("12a", &u), -EINVAL);
        is_int(den_parse_u64("99999999999999999999999", &u), -ERANGE);
        is_int(den_parse_int("42", 0, 100, &i), 0);
        is_int(i, 42);
        is_int(den_parse_int("101", 0, 100, &i), -ERANGE);
        is_int(den_parse_int("", 0, 100, &i), -EINVAL);
        is_int(den_parse_size("512m", &u), 0);
        is_int(u, 512ull << 20);
        is_int(den_parse_size("1.5g", &u), 0);
        is_int(u, 3ull << 29);
        is_int(den_parse_size("10KiB", &u), 0);
        is_int(u, 10240);
        is_int(den_parse_size("10x", &u), -EINVAL);
        is_int(den_parse_size("", &u), -EINVAL);
}

static void test_human(void)
{
        char *s;

        s = den_size_human(7340032);
        is_str(s, "7.34 MB");
        free(s);
        s = den_size_human(999);
        is_str(s, "999 B");
        free(s);
        s = den_size_human(1000);
        is_str(s, "1 kB");
        free(s);
        s = den_time_ago(1000, 1000 + 120);
        is_str(s, "2 minutes ago");
        free(s);
        s = den_time_ago(1000, 1000 + 3 * 86400);
        is_str(s, "3 days ago");
        free(s);
        s = den_time_rfc3339(0, 0);
        is_str(s, "1970-01-01T00:00:00Z");
        free(s);
}

static void test_time_parse(void)
{
        int64_t sec = 0;
        long ns = 0;

        is_int(den_time_parse_rfc3339("2024-01-02T03:04:05Z", &sec, &ns), 0);
        is_int(sec, 1704164645);
        is_int(den_time_parse_rfc3339("2024-01-02T03:04:05.5+01:00", &sec, &ns), 0);
        is_int(sec, 1704164645 - 3600);
        is_int(ns, 500000000);
        /* short or malformed zones never read past the string */
        is_int(den_time_parse_rfc3339("2024-01-02T03:04:05+1:2", &sec, &ns), -EINVAL);
        is_int(den_time_parse_rfc3339("2024-01-02T03:04:05+", &sec, &ns), -EINVAL);
        is_int(den_time_parse_rfc3339("2024-01-02T03:04:05", &sec, &ns), -EINVAL);
        is_int(den_time_parse_rfc3339("yesterday", &sec, &ns), -EINVAL);
}

static void test_digest(void)
{
        char d[72];

        den_sha256_buf("", 0, d);
        is_str(d, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        ok(den_digest_is_valid(d));
        ok(!den_digest_is_valid("sha256:E3B0"));
        ok(!den_digest_is_valid("md5:abc"));
        is_str(den_digest_hex(d), d + 7);
}

static void test_files(int root)
{
        char *data = NULL;
        size_t len = 0;
        struct stat st;

        is_int(den_write_file_atomic_at(root, "f.json", "{}", 2, 0600), 0);
        is_int(den_read_file_at(root, "f.json", 100, &data, &len), 0);
        is_str(data, "{}");
        free(data);
        is_int(fstatat(root, "f.json", &st, 0), 0);
        is_int(st.st_mode & 0777, 0600);
        is_int(den_read_file_at(root, "f.json", 1, &data, &len), -EFBIG);
        is_int(den_mkdir_p_at(root, "a/b/c", 0755), 0);
        is_int(den_write_file_atomic_at(root, "a/b/c/g", "x", 1, 0644), 0);
        is_int(den_rm_rf_at(root, "a"), 0);
        is_int(fstatat(root, "a", &st, 0), -1);
}

typedef int (*resolver)(int, const char *, int, mode_t);

/* Builds root/{etc/passwd, abs -> /etc, rel -> ../../etc, loop -> loop, d/up -> ..} and checks
 * that every path stays inside root. */
static void test_in_root(int root, resolver open_fn, const char *label)
{
        int fd;
        struct stat a, b;

        den_mkdir_p_at(root, "etc", 0755);
        den_mkdir_p_at(root, "d", 0755);
        den_write_file_atomic_at(root, "etc/passwd", "inside\n", 7, 0644);
        (void) !symlinkat("/etc", root, "abs");
        (void) !symlinkat("../../etc", root, "rel");
        (void) !symlinkat("loop", root, "loop");
        (void) !symlinkat("..", root, "d/up");
        fstatat(root, "etc/passwd", &b, 0);

        fd = open_fn(root, "abs/passwd", O_RDONLY, 0);
        ok(fd >= 0 && fstat(fd, &a) == 0 && a.st_ino == b.st_ino);
        TAP_REPORT(fd >= 0, "%s: absolute symlink resolves inside root", label);
        if (fd >= 0)
                close(fd);
        fd = open_fn(root, "rel/passwd", O_RDONLY, 0);
        TAP_REPORT(fd >= 0 && fstat(fd, &a) == 0 && a.st_ino == b.st_ino,
                   "%s: relative symlink with .. clamps at root", label);
        if (fd >= 0)
                close(fd);
        fd = open_fn(root, "../../../../etc/passwd", O_RDONLY, 0);
        TAP_REPORT(fd >= 0 && fstat(fd, &a) == 0 && a.st_ino == b.st_ino,
                   "%s: leading .. clamps at root", label);
        if (fd >= 0)
                close(fd);
        fd = open_fn(root, "d/up/d/up/etc/passwd", O_RDONLY, 0);
        TAP_REPORT(fd >= 0 && fstat(fd, &a) == 0 && a.st_ino == b.st_ino,
                   "%s: symlink to .. clamps at root", label);
        if (fd >= 0)
                close(fd);
        fd = open_fn(root, "loop/x", O_RDONLY, 0);
        TAP_REPORT(fd == -ELOOP, "%s: symlink loop is ELOOP (%d)", label, fd);
        fd = open_fn(root, "abs", O_RDONLY | O_NOFOLLOW | O_PATH, 0);
        TAP_REPORT(fd >= 0, "%s: O_NOFOLLOW|O_PATH opens the link itself", label);
        if (fd >= 0)
                close(fd);
        fd = open_fn(root, "etc/new", O_WRONLY | O_CREAT | O_EXCL, 0644);
        TAP_REPORT(fd >= 0, "%s: O_CREAT in a subdirectory", label);
        if (fd >= 0)
                close(fd);
        unlinkat(root, "etc/new", 0);
}

int main(void)
{
        char tmpl[] = "/tmp/den-test-util-XXXXXX";
        int root;

        test_errors();
        test_parse();
        test_human();
        test_time_parse();
        test_digest();
        root = open(mkdtemp(tmpl), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        test_files(root);
        test_in_root(root, den_open_in_root, "openat2");
        test_in_root(root, den_open_in_root_walk, "walk");
        close(root);
        den_rm_rf_at(AT_FDCWD, tmpl);
        return tap_done();
}
