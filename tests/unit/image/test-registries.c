/* Tests for image/registries.c: the v2 and v1 formats, type errors naming file and key,
 * drop-in merging and load order (in a temporary HOME), prefix matching, and short-name
 * resolution. */
#include <sys/stat.h>

#include "image/image.h"
#include "tap.h"

static struct img_registries *parse(const char *text)
{
        struct img_registries *r = xcalloc(1, sizeof(*r));
        den_error *err = NULL;

        if (img_registries_parse(r, text, "test.conf", &err) < 0) {
                printf("# unexpected error: %s\n", err->msg);
                den_error_free(err);
        }
        return r;
}

static char *parse_error(const char *text)
{
        struct img_registries *r = xcalloc(1, sizeof(*r));
        den_error *err = NULL;
        char *msg = NULL;

        if (img_registries_parse(r, text, "registries.conf", &err) < 0)
                msg = xstrdup(err && err->msg ? err->msg : "(no message)");
        den_error_free(err);
        img_registries_free(r);
        return msg;
}

static void is_error(const char *text, const char *expected)
{
        _cleanup_free_ char *msg = parse_error(text);

        is_str(msg, expected);
}

static bool error_has(const char *text, const char *part)
{
        _cleanup_free_ char *msg = parse_error(text);

        if (!msg || !strstr(msg, part)) {
                printf("# got: %s\n", msg ? msg : "(parsed)");
                return false;
        }
        return true;
}

static const char *const v2_conf =
        "unqualified-search-registries = [\"registry.fedoraproject.org\", \"quay.io/\", "
        "\"docker.io\"]\n"
        "short-name-mode = \"enforcing\"\n"
        "credential-helpers = [\"containers-auth.json\"]\n"
        "some-future-key = { nested = 1.5 }\n"
        "\n"
        "[[registry]]\n"
        "prefix = \"example.com/foo\"\n"
        "location = \"internal.example.com/bar/\"\n"
        "insecure = true\n"
        "unknown = \"ignored\"\n"
        "\n"
        "[[registry.mirror]]\n"
        "location = \"mirror-1.example.com\"\n"
        "\n"
        "[[registry.mirror]]\n"
        "location = \"mirror-2.example.com:5000/ns\"\n"
        "insecure = true\n"
        "pull-from-mirror = \"digest-only\"\n"
        "\n"
        "[[registry]]\n"
        "location = \"example.com\"\n"
        "\n"
        "[[registry]]\n"
        "prefix = \"*.blocked.io\"\n"
        "blocked = true\n"
        "\n"
        "[[registry]]\n"
        "location = \"localhost:5000\"\n"
        "insecure = true\n"
        "\n"
        "[aliases]\n"
        "\"fedora\" = \"registry.fedoraproject.org/fedora\"\n"
        "\"opensuse/leap\" = \"registry.opensuse.org/opensuse/leap\"\n";

static void test_v2(void)
{
        struct img_registries *r = parse(v2_conf);
        const struct img_registry_conf *e;

        is_int(den_strv_len(r->search), 3);
        is_str(r->search[0], "registry.fedoraproject.org");
        is_str(r->search[1], "quay.io"); /* trailing slash dropped */
        is_str(r->short_name_mode, "enforcing");
        is_int(r->n_entries, 4);
        e = &r->entries[0];
        is_str(e->prefix, "example.com/foo");
        is_str(e->location, "internal.example.com/bar");
        ok(e->is_insecure && !e->is_blocked);
        is_int(den_strv_len(e->mirrors), 2);
        is_str(e->mirrors[0], "mirror-1.example.com");
        is_str(e->mirrors[1], "mirror-2.example.com:5000/ns");
        ok(!e->mirror_is_insecure[0] && e->mirror_is_insecure[1]);
        /* a location alone is the prefix too */
        is_str(r->entries[1].prefix, "example.com");
        is_str(r->entries[1].location, "example.com");
        is_int(den_strv_len(r->entries[1].mirrors), 0);
        /* a wildcard prefix without location has location "" */
        is_str(r->entries[2].prefix, "*.blocked.io");
        is_str(r->entries[2].location, "");
        ok(r->entries[2].is_blocked);
        is_str(img_registries_alias(r, "fedora"), "registry.fedoraproject.org/fedora");
        is_str(img_registries_alias(r, "opensuse/leap"), "registry.opensuse.org/opensuse/leap");
        ok(img_registries_alias(r, "fedora:39") == NULL);
        ok(img_registries_alias(r, "leap") == NULL);
        ok(img_registries_alias(r, NULL) == NULL);
        img_registries_free(r);
}

static void test_find(void)
{
        struct img_registries *r = parse(v2_conf);
        const struct img_registry_conf *e;

        e = img_registries_find(r, "example.com/foo/app");
        ok(e == &r->entries[0]); /* the longest prefix wins */
        ok(img_registries_find(r, "example.com/foo") == &r->entries[0]);
        ok(img_registries_find(r, "example.com/foo:tag") == &r->entries[0]);
        ok(img_registries_find(r, "example.com/foobar") == &r->entries[1]);
        ok(img_registries_find(r, "example.com") == &r->entries[1]);
        ok(img_registries_find(r, "example.com:5000/x") == NULL);
        ok(img_registries_find(r, "example.community/x") == NULL);
        ok(img_registries_find(r, "a.blocked.io/x") == &r->entries[2]);
        ok(img_registries_find(r, "a.b.blocked.io:443/x") == &r->entries[2]);
        ok(img_registries_find(r, "blocked.io/x") == NULL);
        ok(img_registries_find(r, "x.io/a.blocked.io") == NULL);
        ok(img_registries_find(r, "quay.io/x") == NULL);
        ok(img_registries_find(NULL, "quay.io") == NULL);

        ok(img_registries_is_insecure(r, "localhost:5000"));
        ok(!img_registries_is_insecure(r, "localhost"));
        ok(!img_registries_is_insecure(r, "example.com")); /* only example.com/foo is */
        ok(img_registries_is_insecure(r, "mirror-2.example.com:5000"));
        ok(!img_registries_is_insecure(r, "mirror-1.example.com"));
        ok(!img_registries_is_insecure(r, "quay.io"));
        img_registries_free(r);
}

static void resolve_check(struct img_registries *r, const char *name, size_t n_expected,
                          const char *const *expected)
{
        _cleanup_(img_ref_freep) struct img_ref *ref = NULL;
        struct img_ref **c = NULL;
        den_error *err = NULL;
        size_t n = 99;

        ok(img_ref_parse(name, &ref, &err) == 0);
        ok(img_registries_resolve(r, ref, &c, &n, &err) == 0);
        is_int(n, n_expected);
        for (size_t i = 0; i < n && i < n_expected; i++) {
                _cleanup_free_ char *s = img_ref_string(c[i]);

                is_str(s, expected[i]);
        }
        ok(c && c[n] == NULL);
        for (size_t i = 0; i < n; i++)
                img_ref_free(c[i]);
        free(c);
        den_error_free(err);
}

static void test_resolve(void)
{
        struct img_registries *r = parse(v2_conf);
        struct img_registries *empty = parse("unqualified-search-registries = []\n");
        struct img_registries *bad = parse("unqualified-search-registries = [\"Bad_Host\"]\n");
        _cleanup_(img_ref_freep) struct img_ref *ref = NULL;
        struct img_ref **c = NULL;
        den_error *err = NULL;
        size_t n = 0;

        resolve_check(r, "alpine", 3,
                      (const char *const[]){ "registry.fedoraproject.org/alpine:latest",
                                             "quay.io/alpine:latest",
                                             "docker.io/library/alpine:latest" });
        resolve_check(r, "library/alpine:3", 3,
                      (const char *const[]){ "registry.fedoraproject.org/library/alpine:3",
                                             "quay.io/library/alpine:3",
                                             "docker.io/library/alpine:3" });
        resolve_check(
                r,
                "team/app@sha256:"
                "0123456789abcdef0123456789abcdef"
                "0123456789abcdef0123456789abcdef",
                3,
                (const char *const[]){ "registry.fedoraproject.org/team/app@sha256:0123456789abcdef"
                                       "0123456789abcdef0123456789abcdef0123456789abcdef",
                                       "quay.io/team/app@sha256:0123456789abcdef0123456789abcdef"
                                       "0123456789abcdef0123456789abcdef",
                                       "docker.io/team/app@sha256:0123456789abcdef0123456789abcdef"
                                       "0123456789abcdef0123456789abcdef" });
        /* an alias wins over the search list and keeps the tag */
        resolve_check(r, "fedora:39", 1,
                      (const char *const[]){ "registry.fedoraproject.org/fedora:39" });
        resolve_check(r, "opensuse/leap", 1,
                      (const char *const[]){ "registry.opensuse.org/opensuse/leap:latest" });
        /* a qualified name is its own candidate */
        resolve_check(r, "quay.io/x/y:1", 1, (const char *const[]){ "quay.io/x/y:1" });
        /* no alias and no search registries: no candidates, the caller reports it */
        resolve_check(empty, "alpine", 0, NULL);
        ok(empty->search && !empty->search[0]);

        /* a search registry that makes an invalid reference is an error naming it */
        ok(img_ref_parse("alpine", &ref, &err) == 0);
        ok(img_registries_resolve(bad, ref, &c, &n, &err) < 0);
        ok(err && strstr(err->msg, "unqualified-search registry \"Bad_Host\""));
        den_error_free(steal_ptr(err));
        img_registries_free(bad);
        bad = parse("unqualified-search-registries = [\"quay.io\", \"myregistry\"]\n");
        ok(img_registries_resolve(bad, ref, &c, &n, &err) < 0);
        is_str(err ? err->msg : NULL, "unqualified-search registry \"myregistry\": not a "
                                      "registry host (no '.' or ':' and not \"localhost\")");
        den_error_free(steal_ptr(err));

        img_registries_free(r);
        img_registries_free(empty);
        img_registries_free(bad);
}

static void test_v1(void)
{
        struct img_registries *r = parse("[registries.search]\n"
                                         "registries = ['docker.io', \"quay.io\"]\n"
                                         "[registries.insecure]\n"
                                         "registries = [\"localhost:5000\", \"both.io\"]\n"
                                         "[registries.block]\n"
                                         "registries = [\"evil.io\", \"both.io\"]\n");
        const struct img_registry_conf *e;

        is_int(den_strv_len(r->search), 2);
        is_str(r->search[1], "quay.io");
        is_int(r->n_entries, 3);
        e = img_registries_find(r, "evil.io/x");
        ok(e && e->is_blocked && !e->is_insecure);
        e = img_registries_find(r, "both.io");
        ok(e && e->is_blocked && e->is_insecure);
        ok(img_registries_is_insecure(r, "localhost:5000"));
        img_registries_free(r);

        /* an empty v1 file is not v1 */
        r = parse("[registries.search]\nregistries = []\n[aliases]\n\"a\" = \"quay.io/a\"\n");
        is_str(img_registries_alias(r, "a"), "quay.io/a");
        img_registries_free(r);

        is_error("[registries.search]\nregistries = [\"a.io\"]\n[[registry]]\nlocation = "
                 "\"b.io\"\n",
                 "registries.conf: mixing the v1 format ([registries.*]) and the v2 format is "
                 "not supported");
        is_error("[registries.search]\nregistries = \"docker.io\"\n",
                 "registries.conf:2:14: registries.search.registries: expected an array of "
                 "strings, got string");
        is_error("registries = 1\n", "registries.conf:1:14: registries: expected a table, got "
                                     "integer");
}

static void test_type_errors(void)
{
        is_error("unqualified-search-registries = 1\n",
                 "registries.conf:1:33: unqualified-search-registries: expected an array of "
                 "strings, got integer");
        is_error("unqualified-search-registries = [\"a\", 2]\n",
                 "registries.conf:1:39: unqualified-search-registries: expected an array of "
                 "strings, got integer");
        is_error("unqualified-search-registries = [\"\"]\n",
                 "registries.conf:1:34: unqualified-search-registries: empty registry");
        is_error("short-name-mode = true\n",
                 "registries.conf:1:19: short-name-mode: expected a string, got boolean");
        is_error("short-name-mode = \"strict\"\n",
                 "registries.conf:1:19: short-name-mode: invalid value \"strict\" (expected "
                 "\"enforcing\", \"permissive\" or \"disabled\")");
        is_error("[[registry]]\nlocation = \"a.io\"\ninsecure = \"yes\"\n",
                 "registries.conf:3:12: registry.insecure: expected a boolean, got string");
        is_error("[[registry]]\nlocation = \"a.io\"\nblocked = 1\n",
                 "registries.conf:3:11: registry.blocked: expected a boolean, got integer");
        is_error("[[registry]]\nprefix = 5\n",
                 "registries.conf:2:10: registry.prefix: expected a string, got integer");
        is_error("registry = { location = \"a.io\" }\n",
                 "registries.conf:1:12: registry: expected an array of tables, got table");
        is_error("registry = [\"a.io\"]\n",
                 "registries.conf:1:13: registry: expected a table, got string");
        is_error("[[registry]]\ninsecure = true\n",
                 "registries.conf:1:3: registry: both location and prefix are unset");
        is_error("[[registry]]\nlocation = \"https://a.io\"\n",
                 "registries.conf:2:12: registry.location: invalid location \"https://a.io\": "
                 "URI schemes are not supported");
        is_error("[[registry]]\nprefix = \"*.a.io/ns\"\n",
                 "registries.conf:2:10: registry.prefix: wildcarded prefix \"*.a.io/ns\" must be "
                 "like *.example.com");
        is_error("[[registry]]\nlocation = \"a.io\"\n[[registry.mirror]]\ninsecure = true\n",
                 "registries.conf:3:3: registry.mirror: location is not set");
        is_error("[[registry]]\nlocation = \"a.io\"\n[[registry.mirror]]\nlocation = 1\n",
                 "registries.conf:4:12: registry.mirror.location: expected a string, got "
                 "integer");
        is_error("[[registry]]\nlocation = \"a.io\"\nmirror = 1\n",
                 "registries.conf:3:10: registry.mirror: expected an array of tables, got "
                 "integer");
        is_error("[[registry]]\nlocation = \"a.io\"\ninsecure = true\n"
                 "[[registry]]\nprefix = \"a.io/x\"\nlocation = \"a.io\"\n",
                 "registries.conf: registry \"a.io\" is defined multiple times with conflicting "
                 "'insecure' setting");
        is_error("aliases = [\"x\"]\n",
                 "registries.conf:1:11: aliases: expected a table, got array");
        is_error("[aliases]\n\"a\" = 1\n",
                 "registries.conf:2:7: aliases: expected a string, got integer");
        is_error("[aliases]\n\"quay.io/a\" = \"quay.io/a\"\n",
                 "registries.conf:2:15: aliases: invalid short name \"quay.io/a\": must not "
                 "contain a registry");
        is_error("[aliases]\n\"a:1\" = \"quay.io/a\"\n",
                 "registries.conf:2:9: aliases: invalid short name \"a:1\": must not contain a "
                 "tag or digest");
        is_error("[aliases]\n\"a\" = \"quay.io/a:1\"\n",
                 "registries.conf:2:7: aliases: invalid alias \"quay.io/a:1\": must not contain "
                 "a tag or digest");
        is_error("[aliases]\n\"a\" = \"library/a\"\n",
                 "registries.conf:2:7: aliases: invalid alias \"library/a\": must contain "
                 "registry and repository");
        ok(error_has("[aliases]\n\"A\" = \"quay.io/a\"\n",
                     "registries.conf:2:7: aliases: invalid reference format: \"A\": repository "
                     "name must be lowercase"));
        /* TOML syntax errors name file, line and column */
        is_error("unqualified-search-registries = [\"a.io\"]\n[aliases]\n\"x\" \"y\"\n",
                 "registries.conf:3:5: expected '='");
}

static void test_merge(void)
{
        struct img_registries *r = parse(v2_conf);
        den_error *err = NULL;

        /* a later file replaces the search list only when it sets one */
        ok(img_registries_parse(r, "[aliases]\n\"x\" = \"quay.io/x\"\n", "b.conf", &err) == 0);
        is_int(den_strv_len(r->search), 3);
        is_str(r->short_name_mode, "enforcing");
        ok(img_registries_parse(r,
                                "unqualified-search-registries = [\"quay.io\"]\n"
                                "short-name-mode = \"permissive\"\n"
                                "[[registry]]\nprefix = \"example.com/foo\"\nlocation = "
                                "\"other.example.com\"\n"
                                "[aliases]\n\"fedora\" = \"\"\n\"x\" = \"quay.io/y\"\n",
                                "c.conf", &err) == 0);
        is_int(den_strv_len(r->search), 1);
        is_str(r->short_name_mode, "permissive");
        /* same prefix: replaced, mirrors and flags included */
        is_int(r->n_entries, 4);
        ok(img_registries_find(r, "example.com/foo/x") == &r->entries[0]);
        is_str(r->entries[0].location, "other.example.com");
        ok(!r->entries[0].is_insecure);
        is_int(den_strv_len(r->entries[0].mirrors), 0);
        /* "" removes an alias; a new value replaces one */
        ok(img_registries_alias(r, "fedora") == NULL);
        is_str(img_registries_alias(r, "x"), "quay.io/y");
        is_str(img_registries_alias(r, "opensuse/leap"), "registry.opensuse.org/opensuse/leap");
        /* an invalid file changes nothing */
        ok(img_registries_parse(r,
                                "unqualified-search-registries = [\"a.io\"]\n"
                                "[aliases]\n\"z\" = \"quay.io/z\"\n[[registry]]\nblocked = 1\n",
                                "d.conf", &err) < 0);
        ok(err && strstr(err->msg, "d.conf:5:11: registry.blocked"));
        den_error_free(steal_ptr(err));
        is_str(r->search[0], "quay.io");
        ok(img_registries_alias(r, "z") == NULL);
        img_registries_free(r);
}

/* ---------------------------------------------------------------- loading from files */

static void write_file(const char *dir, const char *name, const char *text)
{
        _cleanup_free_ char *path = den_path_join(dir, name);

        ok(den_mkdir_p_at(AT_FDCWD, dir, 0700) == 0);
        ok(den_write_file_atomic_at(AT_FDCWD, path, text, strlen(text), 0644) == 0);
}

static struct img_registries *load(void)
{
        struct img_registries *r = NULL;
        den_error *err = NULL;

        if (img_registries_load(&r, &err) < 0) {
                printf("# load: %s\n", err->msg);
                den_error_free(err);
                return NULL;
        }
        return r;
}

static char *load_error(void)
{
        struct img_registries *r = NULL;
        den_error *err = NULL;
        char *msg = NULL;

        if (img_registries_load(&r, &err) < 0)
                msg = xstrdup(err->msg);
        img_registries_free(r);
        den_error_free(err);
        return msg;
}

static void test_load(void)
{
        char tmp[] = "/tmp/den-test-registries-XXXXXX";
        _cleanup_free_ char *main_conf = NULL;
        _cleanup_free_ char *user_dir = NULL;
        _cleanup_free_ char *user_cfg = NULL;
        _cleanup_free_ char *msg = NULL;
        struct img_registries *r;
        bool has_shortnames =
                access("/etc/containers/registries.conf.d/shortnames.conf", R_OK) == 0;

        ok(mkdtemp(tmp) != NULL);
        main_conf = den_path_join(tmp, "main.conf");
        user_dir = den_path_join(tmp, "home/.config/containers/registries.conf.d");
        user_cfg = den_path_join(tmp, "home/.config/containers");
        {
                _cleanup_free_ char *home = den_path_join(tmp, "home");

                setenv("HOME", home, 1);
        }

        /* CONTAINERS_REGISTRIES_CONF names a missing file: an empty configuration */
        setenv("CONTAINERS_REGISTRIES_CONF", main_conf, 1);
        r = load();
        ok(r && r->search && r->search[0] == NULL);
        if (has_shortnames) /* the system drop-ins are read too */
                is_str(img_registries_alias(r, "centos"), "quay.io/centos/centos");
        img_registries_free(r);

        /* the main file, then the drop-ins in lexical order */
        write_file(tmp, "main.conf",
                   "unqualified-search-registries = [\"main.io\"]\n"
                   "[[registry]]\nlocation = \"a.io\"\ninsecure = true\n"
                   "[aliases]\n\"centos\" = \"main.io/centos\"\n\"keep\" = \"main.io/keep\"\n");
        write_file(user_dir, "20-second.conf",
                   "unqualified-search-registries = [\"second.io\"]\n"
                   "[aliases]\n\"keep\" = \"second.io/keep\"\n");
        write_file(user_dir, "10-first.conf",
                   "unqualified-search-registries = [\"first.io\", \"other.io\"]\n"
                   "[[registry]]\nlocation = \"a.io\"\n"
                   "[aliases]\n\"keep\" = \"first.io/keep\"\n\"first\" = \"first.io/x\"\n");
        write_file(user_dir, "30-not-a-drop-in.txt", "this is not TOML\n");
        write_file(user_dir, ".40-hidden.conf", "this is not TOML either\n");
        r = load();
        ok(r != NULL);
        if (r) {
                is_int(den_strv_len(r->search), 1);
                is_str(r->search[0], "second.io");
                is_str(img_registries_alias(r, "keep"), "second.io/keep");
                is_str(img_registries_alias(r, "first"), "first.io/x");
                ok(!img_registries_is_insecure(r, "a.io")); /* 10-first replaced the entry */
                /* the system shortnames.conf comes after the main file */
                if (has_shortnames)
                        is_str(img_registries_alias(r, "centos"), "quay.io/centos/centos");
        }
        img_registries_free(r);

        /* drop-ins: v2 only, and errors name the drop-in */
        write_file(user_dir, "50-v1.conf", "[registries.search]\nregistries = [\"x.io\"]\n");
        msg = load_error();
        ok(msg && strstr(msg, "50-v1.conf: drop-in files must use the v2 format"));
        free(steal_ptr(msg));
        write_file(user_dir, "50-v1.conf", "short-name-mode = 1\n");
        msg = load_error();
        ok(msg && strstr(msg, "/home/.config/containers/registries.conf.d/50-v1.conf:1:19: "
                              "short-name-mode: expected a string, got integer"));
        free(steal_ptr(msg));
        write_file(user_dir, "50-v1.conf", "a = [\n");
        msg = load_error();
        ok(msg && strstr(msg, "50-v1.conf:2:1: unterminated array") == NULL &&
           strstr(msg, "50-v1.conf:1:5: unterminated array"));
        free(steal_ptr(msg));
        {
                _cleanup_free_ char *p = den_path_join(user_dir, "50-v1.conf");

                ok(unlink(p) == 0);
        }

        /* without CONTAINERS_REGISTRIES_CONF, the per-user file replaces the system one and
         * the system drop-ins are not read */
        unsetenv("CONTAINERS_REGISTRIES_CONF");
        write_file(user_cfg, "registries.conf", "unqualified-search-registries = [\"user.io\"]\n");
        ok(unlink(main_conf) == 0);
        {
                _cleanup_free_ char *p = den_path_join(user_dir, "20-second.conf");

                ok(unlink(p) == 0);
        }
        r = load();
        ok(r != NULL);
        if (r) {
                is_str(r->search[0], "first.io"); /* the user drop-in still overrides */
                is_str(img_registries_alias(r, "first"), "first.io/x");
                ok(img_registries_alias(r, "centos") == NULL);
        }
        img_registries_free(r);

        /* an unreadable or oversized file is an error naming it */
        {
                _cleanup_free_ char *big = xmalloc(DEN_TOML_MAX_SIZE + 2);

                memset(big, '#', DEN_TOML_MAX_SIZE + 1);
                big[DEN_TOML_MAX_SIZE + 1] = '\0';
                write_file(user_cfg, "registries.conf", big);
                msg = load_error();
                ok(msg && strstr(msg, "registries.conf\": larger than"));
                free(steal_ptr(msg));
        }
        ok(den_rm_rf_at(AT_FDCWD, tmp) == 0);
}

int main(void)
{
        test_v2();
        test_find();
        test_resolve();
        test_v1();
        test_type_errors();
        test_merge();
        test_load();
        return tap_done();
}
