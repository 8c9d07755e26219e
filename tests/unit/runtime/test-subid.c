/* Tests for /etc/subuid parsing (runtime/subid.c) and the user namespace plan built from it
 * (runtime/userns.c): matching, order, malformed lines, bounds, the key and the fallback. */
#include "runtime/runtime.h"
#include "tap.h"

#include <sys/stat.h>

static char tmpdir[] = "/tmp/den-test-subid-XXXXXX";

static int parse(const char *text, const char *user, uid_t uid, struct rt_idmap **ret,
                 size_t *ret_n)
{
        *ret = NULL;
        *ret_n = 0;
        return rt_subid_parse(text, user, uid, ret, ret_n);
}

static void test_match(void)
{
        struct rt_idmap *r = NULL;
        size_t n = 0;

        is_int(parse("alice:100000:65536\n", "alice", 1000, &r, &n), 1);
        is_int(n, 1);
        is_int(r[0].container_id, 0);
        is_int(r[0].host_id, 100000);
        is_int(r[0].size, 65536);
        free(r);

        /* by numeric uid, and without a final newline */
        is_int(parse("1000:200000:10", "alice", 1000, &r, &n), 1);
        is_int(r[0].host_id, 200000);
        is_int(r[0].size, 10);
        free(r);

        /* other users, a name that is only a prefix, another uid */
        is_int(parse("bob:1:2\nalic:3:4\nalice2:5:6\n1001:7:8\n", "alice", 1000, &r, &n), 0);
        is_int(n, 0);
        ok(r == NULL);

        /* no name known: the uid alone matches */
        is_int(parse("alice:1:2\n1000:3:4\n", NULL, 1000, &r, &n), 1);
        is_int(r[0].host_id, 3);
        free(r);
}

static void test_order(void)
{
        struct rt_idmap *r = NULL;
        size_t n = 0;

        is_int(parse("alice:100000:65536\nbob:165536:65536\n1000:300000:100\n\n"
                     "alice:500000:5\n",
                     "alice", 1000, &r, &n),
               3);
        is_int(n, 3);
        is_int(r[0].host_id, 100000);
        is_int(r[1].host_id, 300000);
        is_int(r[1].size, 100);
        is_int(r[2].host_id, 500000);
        is_int(r[2].size, 5);
        free(r);
}

static void test_malformed(void)
{
        static const char *const bad[] = {
                "alice:abc:10",
                "alice:100:",
                "alice::10",
                "alice:100:0",
                "alice:4294967295:1",
                "alice:4294967290:6",
                "alice:99999999999:1",
                "alice:100:4294967296",
                "alice:-1:5",
                "alice:+1:5",
                "alice: 1:5",
                "alice:1:5 ",
                "alice:1:5:7",
                "alice:1:5\r",
                "alice:0100:5",
                "alice:1:05",
                ":1:5",
                "alice",
                "alice:1",
                " alice:1:5",
                "alice:0x10:5",
                "#alice:1:5",
        };
        struct rt_idmap *r = NULL;
        size_t n = 0;

        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                int got = parse(bad[i], "alice", 1000, &r, &n);

                if (got != 0)
                        printf("# accepted: \"%s\"\n", bad[i]);
                is_int(got, 0);
                free(r);
        }
        /* the largest valid range ends at 4294967294, since (uid_t) -1 is no id */
        is_int(parse("alice:4294967290:5\nalice:0:1\n", "alice", 1000, &r, &n), 2);
        is_int(r[0].size, 5);
        is_int(r[1].host_id, 0);
        free(r);
        /* a bad line between good ones is skipped, the good ones stay */
        is_int(parse("alice:1:1\nalice:x:1\nalice:3:1\n", "alice", 1000, &r, &n), 2);
        is_int(r[1].host_id, 3);
        free(r);
}

static void test_bound(void)
{
        struct den_buf b = { 0 };
        _cleanup_free_ char *text = NULL;
        struct rt_idmap *r = NULL;
        size_t n = 0;

        for (int i = 0; i < 64; i++)
                den_buf_printf(&b, "alice:%d:10\n", 100000 + i * 10);
        text = den_buf_steal(&b);
        is_int(parse(text, "alice", 1000, &r, &n), 64);
        is_int(r[63].host_id, 100630);
        free(r);
        den_buf_puts(&b, text);
        den_buf_puts(&b, "alice:200000:1\n");
        free(text);
        text = den_buf_steal(&b);
        r = NULL;
        n = 7;
        is_int(rt_subid_parse(text, "alice", 1000, &r, &n), -E2BIG);
        is_int(n, 7); /* outputs untouched on failure */
        ok(r == NULL);
}

static char *write_tmp(const char *name, const char *text, size_t len)
{
        char *path = den_path_join(tmpdir, name);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        ok(fd >= 0);
        ok(den_write_all(fd, text, len) == 0);
        close(fd);
        return path;
}

static void test_read(void)
{
        _cleanup_free_ char *good = write_tmp("good", "alice:5:6\n", 10);
        _cleanup_free_ char *nul = write_tmp("nul", "alice:5:6\n\0bob:1:2\n", 19);
        _cleanup_free_ char *missing = den_path_join(tmpdir, "missing");
        _cleanup_error_ den_error *err = NULL;
        struct rt_idmap *r = NULL;
        size_t n = 9;

        is_int(rt_subid_read(good, "alice", 1000, &r, &n, &err), 1);
        is_int(r[0].host_id, 5);
        free(r);
        r = NULL;
        is_int(rt_subid_read(missing, "alice", 1000, &r, &n, &err), 0);
        is_int(n, 0);
        ok(err == NULL);
        is_int(rt_subid_read(nul, "alice", 1000, &r, &n, &err), -1);
        ok(err && strstr(err->msg, "NUL"));
}

struct plan_case {
        const char *subuid, *subgid;
        const char *key;
        bool is_single;
};

static int plan(const char *user, const char *subuid, const char *subgid, struct rt_userns **ret,
                den_error **err)
{
        _cleanup_free_ char *up = write_tmp("subuid", subuid, strlen(subuid));
        _cleanup_free_ char *gp = write_tmp("subgid", subgid, strlen(subgid));
        struct rt_userns_source src = {
                .user = user,
                .uid = 1000,
                .gid = 1001,
                .subuid_path = up,
                .subgid_path = gp,
        };

        return rt_userns_plan_for(&src, ret, err);
}

static void test_plan(void)
{
        static const struct plan_case cases[] = {
                { "alice:100000:65536\n", "alice:100000:65536\n",
                  "0:1000:1,1:100000:65536/0:1001:1,1:100000:65536", false },
                { "alice:100000:65536\n1000:300000:10\n", "1000:200000:65536\n",
                  "0:1000:1,1:100000:65536,65537:300000:10/0:1001:1,1:200000:65536", false },
                /* listed by name and by uid: used once */
                { "alice:100000:65536\n1000:100000:65536\n", "alice:100000:65536\n",
                  "0:1000:1,1:100000:65536/0:1001:1,1:100000:65536", false },
                /* no range on either side: only the user's own ids, on both sides */
                { "bob:100000:65536\n", "alice:100000:65536\n", "0:1000:1/0:1001:1", true },
                { "alice:100000:65536\n", "", "0:1000:1/0:1001:1", true },
                { "", "", "0:1000:1/0:1001:1", true },
        };

        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                _cleanup_error_ den_error *err = NULL;
                struct rt_userns *u = NULL;

                is_int(plan("alice", cases[i].subuid, cases[i].subgid, &u, &err), 0);
                if (!u)
                        continue;
                is_str(u->key, cases[i].key);
                is_int(u->is_single, cases[i].is_single);
                is_int(u->uidmap[0].host_id, 1000);
                is_int(u->gidmap[0].host_id, 1001);
                rt_userns_free(u);
        }
}

static void test_plan_errors(void)
{
        static const char *const bad[][2] = {
                { "alice:100000:65536\nalice:165535:10\n", "ranges 100000:65536 and 165535:10" },
                { "alice:990:20\n", "contains the user's own id 1000" },
        };

        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                _cleanup_error_ den_error *err = NULL;
                struct rt_userns *u = NULL;

                is_int(plan("alice", bad[i][0], "alice:100000:65536\n", &u, &err), -1);
                ok(u == NULL);
                ok(err && strstr(err->msg, bad[i][1]) && strstr(err->msg, "/subuid: "));
                if (err)
                        printf("# %s\n", err->msg);
        }
}

static void test_inside_marker(void)
{
        struct stat st;
        char ino[32];

        unsetenv("_DEN_USERNS");
        ok(!rt_userns_is_inside());
        setenv("_DEN_USERNS", "1", 1);
        ok(!rt_userns_is_inside());
        ok(stat("/proc/self/ns/user", &st) == 0);
        snprintf(ino, sizeof(ino), "%llu", (unsigned long long) st.st_ino);
        setenv("_DEN_USERNS", ino, 1);
        ok(rt_userns_is_inside());
        unsetenv("_DEN_USERNS");
}

int main(void)
{
        ok(mkdtemp(tmpdir) != NULL);
        test_match();
        test_order();
        test_malformed();
        test_bound();
        test_read();
        test_plan();
        test_plan_errors();
        test_inside_marker();
        (void) den_rm_rf_at(AT_FDCWD, tmpdir);
        return tap_done();
}
