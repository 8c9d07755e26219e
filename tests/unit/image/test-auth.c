/* Tests for image/auth.c: key matching (namespaces, URL keys, docker.io spellings), base64
 * validation, the file search order in a temporary HOME, atomic 0600 writes that keep other
 * content, removal, and that no password reaches an error message. */
#include <jansson.h>
#include <sys/stat.h>

#include "image/image.h"
#include "tap.h"

/* base64 of "user:pw", "team:teampw", "app:apppw", "hub:hubpw", "x:a:b:c" */
#define B_USER "dXNlcjpwdw=="
#define B_TEAM "dGVhbTp0ZWFtcHc="
#define B_APP "YXBwOmFwcHB3"
#define B_HUB "aHViOmh1YnB3"
#define B_COLONS "eDphOmI6Yw=="

static int lookup_doc(const char *doc, const char *key, char **user, char **pass, char **msg)
{
        den_error *err = NULL;
        int r;

        *user = *pass = NULL;
        r = img_auth_parse(doc, strlen(doc), key, user, pass, &err);
        if (msg)
                *msg = err ? xstrdup(err->msg) : NULL;
        den_error_free(err);
        return r;
}

/* Checks that key finds user (and password pass), or nothing when user is NULL. */
static void check_doc(const char *doc, const char *key, const char *user, const char *pass)
{
        _cleanup_free_ char *u = NULL;
        _cleanup_free_ char *p = NULL;
        int r = lookup_doc(doc, key, &u, &p, NULL);

        is_int(r, user ? 1 : 0);
        is_str(u, user);
        is_str(p, pass);
}

static bool doc_error(const char *doc, const char *part, const char *secret)
{
        _cleanup_free_ char *u = NULL;
        _cleanup_free_ char *p = NULL;
        _cleanup_free_ char *msg = NULL;
        int r = lookup_doc(doc, "quay.io", &u, &p, &msg);

        if (r >= 0 || !msg || !strstr(msg, part) || (secret && strstr(msg, secret))) {
                printf("# r=%d msg=%s\n", r, msg ? msg : "(none)");
                return false;
        }
        return u == NULL && p == NULL;
}

static void test_parse(void)
{
        const char *doc = "{\"auths\": {"
                          "\"quay.io\": {\"auth\": \"" B_USER "\"},"
                          "\"quay.io/team\": {\"auth\": \"" B_TEAM "\"},"
                          "\"quay.io/team/app\": {\"auth\": \"" B_APP "\"},"
                          "\"https://index.docker.io/v1/\": {\"auth\": \"" B_HUB "\"},"
                          "\"http://old.example.com/v1/\": {\"auth\": \"" B_USER "\"},"
                          "\"fields.io\": {\"username\": \"f\", \"password\": \"fpw\"},"
                          "\"colons.io\": {\"auth\": \"" B_COLONS "\"},"
                          "\"nl.io\": {\"auth\": \"dTpwdwo=\"},"
                          "\"helper.io\": {},"
                          "\"nocolon.io\": {\"auth\": \"dXNlcg==\"},"
                          "\"localhost:5000\": {\"auth\": \"" B_USER "\", \"email\": \"x\"}"
                          "}, \"credHelpers\": {\"gcr.io\": \"gcloud\"}, \"other\": 1}";

        check_doc(doc, "quay.io", "user", "pw");
        /* the most specific key wins */
        check_doc(doc, "quay.io/team/app", "app", "apppw");
        check_doc(doc, "quay.io/team/other", "team", "teampw");
        check_doc(doc, "quay.io/team", "team", "teampw");
        check_doc(doc, "quay.io/someone/else", "user", "pw");
        /* URL keys match by host; docker.io has three spellings */
        check_doc(doc, "docker.io", "hub", "hubpw");
        check_doc(doc, "docker.io/library/alpine", "hub", "hubpw");
        check_doc(doc, "index.docker.io", "hub", "hubpw");
        check_doc(doc, "registry-1.docker.io", "hub", "hubpw");
        check_doc(doc, "old.example.com", "user", "pw");
        check_doc(doc, "localhost:5000", "user", "pw");
        check_doc(doc, "localhost", NULL, NULL);
        check_doc(doc, "quay.io.evil.com", NULL, NULL);
        check_doc(doc, "fields.io", "f", "fpw");
        check_doc(doc, "colons.io", "x", "a:b:c"); /* the user ends at the first ':' */
        check_doc(doc, "nl.io", "u", "pw");        /* podman trims newlines */
        check_doc(doc, "helper.io", NULL, NULL);   /* {}: a credential helper's marker */
        check_doc(doc, "nocolon.io", NULL, NULL);
        check_doc(doc, "gcr.io", NULL, NULL);
        check_doc(doc, "", NULL, NULL);
        check_doc("{}", "quay.io", NULL, NULL);
        check_doc("{\"auths\": {}}", "quay.io", NULL, NULL);
        /* a plain (non-URL) key with a path names a namespace, not a host */
        check_doc("{\"auths\": {\"a.io/ns\": {\"auth\": \"" B_USER "\"}}}", "a.io", NULL, NULL);
}

static void test_parse_errors(void)
{
        /* "secretpw" must never show up in a message */
        ok(doc_error("{\"auths\": {\"quay.io\": {\"auth\": \"" B_USER "\"}}, secretpw}",
                     "\"auth.json\": invalid JSON at line 1, column", "secretpw"));
        ok(doc_error("{\"auths\": {\"quay.io\": {\"auth\": \"c2VjcmV0cHc6c2VjcmV0cHc\"}}}",
                     "\"auth.json\": auths.\"quay.io\".auth: invalid base64", "secretpw"));
        ok(doc_error("{\"auths\": {\"quay.io\": {\"auth\": \"dXNlcjpwdw=\"}}}", "invalid base64",
                     NULL));
        ok(doc_error("{\"auths\": {\"quay.io\": {\"auth\": \"dXNlcjpwdx==\"}}}", "invalid base64",
                     NULL)); /* stray bits in the last character */
        ok(doc_error("{\"auths\": {\"quay.io\": {\"auth\": \"dXNl cjpw\"}}}", "invalid base64",
                     NULL));
        ok(doc_error("{\"auths\": {\"quay.io\": {\"auth\": \"dX=lcjpw\"}}}", "invalid base64",
                     NULL));
        ok(doc_error("{\"auths\": {\"quay.io\": {\"auth\": \"dXNlcjpw====\"}}}", "invalid base64",
                     NULL));
        ok(doc_error("{\"auths\": {\"quay.io\": {\"auth\": 5}}}",
                     "auths.\"quay.io\": auth, username and password must be strings", NULL));
        ok(doc_error("{\"auths\": {\"quay.io\": \"secretpw\"}}",
                     "auths.\"quay.io\": expected an object", "secretpw"));
        ok(doc_error("{\"auths\": [\"secretpw\"]}", "\"auths\" must be an object", "secretpw"));
        ok(doc_error("[\"secretpw\"]", "expected a JSON object", "secretpw"));
        ok(doc_error("{\"auths\": {\"quay.io\": {\"auth\": \"x\"}, \"quay.io\": {}}}",
                     "duplicate object key", NULL));
        ok(doc_error("", "invalid JSON", NULL));
        ok(doc_error("{\"auths\": {\"quay.io\": {\"auth\": \"dXNlcjpwdw==\"}}} {\"secretpw\": 1}",
                     "unexpected data after the document", "secretpw"));
        ok(doc_error("{\"auths\": {\"quay.io\": {\"password\": \"secretpw\"\n",
                     "invalid JSON at line 2", "secretpw"));
}

/* ---------------------------------------------------------------- files */

static char tmp[] = "/tmp/den-test-auth-XXXXXX";

static char *tmp_path(const char *rel)
{
        return den_path_join(tmp, rel);
}

static void put_file(const char *rel, const char *text)
{
        _cleanup_free_ char *path = tmp_path(rel);
        _cleanup_free_ char *dir = xstrdup(path);

        *strrchr(dir, '/') = '\0';
        ok(den_mkdir_p_at(AT_FDCWD, dir, 0700) == 0);
        ok(den_write_file_atomic_at(AT_FDCWD, path, text, strlen(text), 0600) == 0);
}

static char *get_file(const char *rel)
{
        _cleanup_free_ char *path = tmp_path(rel);
        char *text = NULL;

        if (den_read_file_at(AT_FDCWD, path, 1 << 20, &text, NULL) < 0)
                return NULL;
        return text;
}

static int lookup(const char *authfile, const char *key, char **user, char **pass)
{
        den_error *err = NULL;
        int r;

        *user = *pass = NULL;
        r = img_auth_lookup(authfile, key, user, pass, &err);
        if (err)
                printf("# lookup: %s\n", err->msg);
        den_error_free(err);
        return r;
}

static void check_lookup(const char *authfile, const char *key, const char *user)
{
        _cleanup_free_ char *u = NULL;
        _cleanup_free_ char *p = NULL;

        is_int(lookup(authfile, key, &u, &p), user ? 1 : 0);
        is_str(u, user);
}

static void setup_env(void)
{
        _cleanup_free_ char *home = tmp_path("home");
        _cleanup_free_ char *run = tmp_path("run");

        setenv("HOME", home, 1);
        setenv("XDG_RUNTIME_DIR", run, 1);
        unsetenv("REGISTRY_AUTH_FILE");
        unsetenv("XDG_CONFIG_HOME");
        unsetenv("DOCKER_CONFIG");
}

static void test_default_path(void)
{
        _cleanup_free_ char *p1 = NULL;
        _cleanup_free_ char *p2 = NULL;
        _cleanup_free_ char *p3 = NULL;
        _cleanup_free_ char *p4 = NULL;

        setenv("REGISTRY_AUTH_FILE", "/x/auth.json", 1);
        p1 = img_auth_default_path();
        is_str(p1, "/x/auth.json");
        unsetenv("REGISTRY_AUTH_FILE");
        setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
        p2 = img_auth_default_path();
        is_str(p2, "/run/user/1000/containers/auth.json");
        unsetenv("XDG_RUNTIME_DIR");
        setenv("HOME", "/home/u", 1);
        p3 = img_auth_default_path();
        is_str(p3, "/home/u/.config/containers/auth.json");
        setenv("XDG_CONFIG_HOME", "/cfg", 1);
        p4 = img_auth_default_path();
        is_str(p4, "/cfg/containers/auth.json");
        unsetenv("XDG_CONFIG_HOME");
}

static void test_store_and_lookup(void)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_free_ char *run_dir = tmp_path("run/containers");
        _cleanup_free_ char *auth = tmp_path("run/containers/auth.json");
        den_error *err = NULL;
        struct stat st;

        setup_env();
        check_lookup(NULL, "quay.io", NULL);
        /* the default file is created 0600 in a new 0700 directory */
        ok(img_auth_store(NULL, "quay.io", "user", "s3cret:pw", &err) == 0);
        ok(stat(auth, &st) == 0 && (st.st_mode & 0777) == 0600);
        ok(stat(run_dir, &st) == 0 && (st.st_mode & 0777) == 0700);
        {
                _cleanup_free_ char *u = NULL;
                _cleanup_free_ char *p = NULL;

                is_int(lookup(NULL, "quay.io", &u, &p), 1);
                is_str(u, "user");
                is_str(p, "s3cret:pw");
        }
        text = get_file("run/containers/auth.json");
        ok(text && strstr(text, "\"auth\": \"dXNlcjpzM2NyZXQ6cHc=\"")); /* user:s3cret:pw */
        free(steal_ptr(text));

        /* other keys and unknown fields survive; the same key is replaced */
        put_file("run/containers/auth.json",
                 "{\"auths\": {\"a.io\": {\"auth\": \"" B_USER "\"}}, \"credHelpers\": "
                 "{\"gcr.io\": \"gcloud\"}, \"future\": [1, 2]}");
        ok(img_auth_store(NULL, "b.io", "u2", "p2", &err) == 0);
        ok(img_auth_store(NULL, "a.io", "u3", "p3", &err) == 0);
        text = get_file("run/containers/auth.json");
        {
                json_auto_t *j = json_loads(text ? text : "", 0, NULL);

                ok(json_is_object(json_object_get(j, "credHelpers")));
                is_int(json_array_size(json_object_get(j, "future")), 2);
                is_int(json_object_size(json_object_get(j, "auths")), 2);
        }
        check_lookup(NULL, "a.io", "u3");
        check_lookup(NULL, "b.io", "u2");

        /* a malformed file is an error and is left alone */
        put_file("run/containers/auth.json", "{\"auths\": {\"a.io\": {\"auth\": \"" B_USER "\"}}");
        ok(img_auth_store(NULL, "c.io", "u", "newsecret", &err) < 0);
        ok(err && strstr(err->msg, "auth.json\": invalid JSON") && !strstr(err->msg, "newsecret"));
        den_error_free(steal_ptr(err));
        free(steal_ptr(text));
        text = get_file("run/containers/auth.json");
        is_str(text, "{\"auths\": {\"a.io\": {\"auth\": \"" B_USER "\"}}");
        {
                _cleanup_free_ char *u = NULL;
                _cleanup_free_ char *p = NULL;

                ok(lookup(NULL, "a.io", &u, &p) < 0);
        }

        /* bad input to store */
        ok(img_auth_store(NULL, "c.io", "a:b", "pw", &err) < 0);
        ok(err && strstr(err->msg, "must not contain ':'"));
        den_error_free(steal_ptr(err));
        ok(img_auth_store(NULL, "", "a", "pw", &err) < 0);
        den_error_free(steal_ptr(err));
        {
                /* a parent that is a file: the error names the path, never the password */
                _cleanup_free_ char *bad = tmp_path("run/containers/auth.json/x.json");

                ok(img_auth_store(bad, "c.io", "u", "newsecret", &err) < 0);
                ok(err && strstr(err->msg, "auth.json") && !strstr(err->msg, "newsecret"));
                den_error_free(steal_ptr(err));
        }
}

static void test_search_order(void)
{
        _cleanup_free_ char *explicit = tmp_path("explicit.json");

        setup_env();
        put_file("run/containers/auth.json", "{\"auths\": {\"a.io\": {\"auth\": \"" B_USER "\"}}}");
        put_file("home/.config/containers/auth.json",
                 "{\"auths\": {\"a.io\": {\"auth\": \"" B_TEAM "\"}, \"b.io\": {\"auth\": \"" B_TEAM
                 "\"}}}");
        put_file("home/.docker/config.json",
                 "{\"auths\": {\"https://index.docker.io/v1/\": {\"auth\": \"" B_HUB "\"}, "
                 "\"b.io\": {\"auth\": \"" B_APP "\"}, \"c.io\": {\"auth\": \"" B_APP "\"}}, "
                 "\"credsStore\": \"desktop\"}");
        put_file("home/.dockercfg", "{\"https://d.io/v1/\": {\"auth\": \"" B_USER "\"}}");
        put_file("explicit.json", "{\"auths\": {\"e.io\": {\"auth\": \"" B_USER "\"}}}");

        check_lookup(NULL, "a.io", "user"); /* $XDG_RUNTIME_DIR first */
        check_lookup(NULL, "b.io", "team"); /* then ~/.config/containers */
        check_lookup(NULL, "c.io", "app");  /* then ~/.docker/config.json */
        check_lookup(NULL, "docker.io", "hub");
        check_lookup(NULL, "d.io", "user"); /* then the legacy ~/.dockercfg */
        check_lookup(NULL, "e.io", NULL);
        /* a file the user names is the only one read */
        check_lookup(explicit, "e.io", "user");
        check_lookup(explicit, "c.io", NULL);
        setenv("REGISTRY_AUTH_FILE", explicit, 1);
        check_lookup(NULL, "e.io", "user");
        check_lookup(NULL, "a.io", NULL);
        unsetenv("REGISTRY_AUTH_FILE");
        /* DOCKER_CONFIG moves docker's file */
        {
                _cleanup_free_ char *dc = tmp_path("dockercfg-dir");

                setenv("DOCKER_CONFIG", dc, 1);
                put_file("dockercfg-dir/config.json",
                         "{\"auths\": {\"f.io\": {\"auth\": \"" B_APP "\"}}}");
                check_lookup(NULL, "f.io", "app");
                check_lookup(NULL, "c.io", NULL);
                unsetenv("DOCKER_CONFIG");
        }
        /* a malformed docker config is an error naming it */
        put_file("home/.docker/config.json", "{");
        {
                _cleanup_free_ char *u = NULL;
                _cleanup_free_ char *p = NULL;
                den_error *err = NULL;

                ok(img_auth_lookup(NULL, "z.io", &u, &p, &err) < 0);
                ok(err && strstr(err->msg, "/home/.docker/config.json\": invalid JSON"));
                ok(u == NULL && p == NULL);
                den_error_free(err);
        }
}

static void test_remove(void)
{
        _cleanup_free_ char *file = tmp_path("rm.json");
        _cleanup_free_ char *missing = tmp_path("no/such/auth.json");
        _cleanup_free_ char *text = NULL;
        den_error *err = NULL;

        setup_env();
        put_file("rm.json", "{\"auths\": {\"a.io\": {\"auth\": \"" B_USER "\"}, "
                            "\"https://index.docker.io/v1/\": {\"auth\": \"" B_HUB "\"}, "
                            "\"b.io\": {\"auth\": \"" B_USER "\"}}, \"keep\": true}");
        is_int(img_auth_remove(file, "a.io", &err), 1);
        is_int(img_auth_remove(file, "a.io", &err), 0);
        check_lookup(file, "a.io", NULL);
        check_lookup(file, "b.io", "user");
        is_int(img_auth_remove(file, "docker.io", &err), 1); /* the URL spelling goes too */
        check_lookup(file, "docker.io", NULL);
        is_int(img_auth_remove(file, NULL, &err), 1);
        is_int(img_auth_remove(file, NULL, &err), 0);
        text = get_file("rm.json");
        {
                json_auto_t *j = json_loads(text ? text : "", 0, NULL);

                ok(json_is_object(json_object_get(j, "auths")));
                is_int(json_object_size(json_object_get(j, "auths")), 0);
                ok(json_is_true(json_object_get(j, "keep")));
        }
        is_int(img_auth_remove(missing, "a.io", &err), 0);
        is_int(img_auth_remove(missing, NULL, &err), 0);
        ok(access(missing, F_OK) < 0);
        ok(err == NULL);
}

int main(void)
{
        test_parse();
        test_parse_errors();
        ok(mkdtemp(tmp) != NULL);
        test_default_path();
        test_store_and_lookup();
        test_search_order();
        test_remove();
        ok(den_rm_rf_at(AT_FDCWD, tmp) == 0);
        return tap_done();
}
