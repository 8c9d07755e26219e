/* Tests for image/ref.c: the reference grammar as podman reads names, Docker Hub
 * normalization, and the error messages for each kind of bad input. */
#include "image/image.h"
#include "tap.h"

#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DIGEST "sha256:" H64

static struct img_ref *parse(const char *s)
{
        struct img_ref *r = NULL;
        den_error *err = NULL;

        if (img_ref_parse(s, &r, &err) < 0) {
                printf("# unexpected error for \"%s\": %s\n", s, err->msg);
                den_error_free(err);
                return NULL;
        }
        return r;
}

static char *parse_error(const char *s)
{
        struct img_ref *r = NULL;
        den_error *err = NULL;
        char *msg;

        if (img_ref_parse(s, &r, &err) == 0) {
                img_ref_free(r);
                return NULL;
        }
        if (r) /* fails every comparison: outputs must stay untouched on failure */
                msg = xstrdup("(output written on failure)");
        else
                msg = xstrdup(err && err->msg ? err->msg : "(no message)");
        den_error_free(err);
        return msg;
}

/* Parses s and checks each part and the canonical string. */
static void check(const char *s, const char *domain, const char *path, const char *tag,
                  const char *digest, const char *string)
{
        _cleanup_(img_ref_freep) struct img_ref *r = parse(s);
        _cleanup_free_ char *str = NULL;

        ok(r != NULL);
        if (!r)
                return;
        is_str(r->domain, domain);
        is_str(r->path, path);
        is_str(r->tag, tag);
        is_str(r->digest, digest);
        str = img_ref_string(r);
        is_str(str, string);
}

static void is_error(const char *s, const char *expected)
{
        _cleanup_free_ char *msg = parse_error(s);

        is_str(msg, expected);
}

static bool error_has(const char *s, const char *part)
{
        _cleanup_free_ char *msg = parse_error(s);

        if (!msg || !strstr(msg, part)) {
                printf("# \"%s\" gave: %s\n", s, msg ? msg : "(parsed)");
                return false;
        }
        return true;
}

static void test_short_names(void)
{
        check("alpine", NULL, "alpine", NULL, NULL, "alpine:latest");
        check("alpine:3.19", NULL, "alpine", "3.19", NULL, "alpine:3.19");
        check("library/alpine", NULL, "library/alpine", NULL, NULL, "library/alpine:latest");
        check("a/b/c:V_1.0-rc", NULL, "a/b/c", "V_1.0-rc", NULL, "a/b/c:V_1.0-rc");
        check("alpine@" DIGEST, NULL, "alpine", NULL, DIGEST, "alpine@" DIGEST);
        /* without '/', "localhost" is a short name and ":5000" a tag, as in podman */
        check("localhost", NULL, "localhost", NULL, NULL, "localhost:latest");
        check("localhost:5000", NULL, "localhost", "5000", NULL, "localhost:5000");
        check("docker.io", NULL, "docker.io", NULL, NULL, "docker.io:latest");
        check("a__b.c-d---e_f", NULL, "a__b.c-d---e_f", NULL, NULL, "a__b.c-d---e_f:latest");
        /* "sha256:<hex>" alone is a name "sha256" with a tag; the caller checks IDs first */
        check("sha256:" H64, NULL, "sha256", H64, NULL, "sha256:" H64);
}

static void test_qualified(void)
{
        check("docker.io/library/alpine", "docker.io", "library/alpine", NULL, NULL,
              "docker.io/library/alpine:latest");
        check("docker.io/alpine", "docker.io", "library/alpine", NULL, NULL,
              "docker.io/library/alpine:latest");
        check("index.docker.io/alpine:edge", "docker.io", "library/alpine", "edge", NULL,
              "docker.io/library/alpine:edge");
        check("index.docker.io/foo/bar", "docker.io", "foo/bar", NULL, NULL,
              "docker.io/foo/bar:latest");
        check("quay.io/podman/stable", "quay.io", "podman/stable", NULL, NULL,
              "quay.io/podman/stable:latest");
        check("localhost/foo", "localhost", "foo", NULL, NULL, "localhost/foo:latest");
        check("localhost:5000/foo:1", "localhost:5000", "foo", "1", NULL, "localhost:5000/foo:1");
        check("example.com:443/a/b@" DIGEST, "example.com:443", "a/b", NULL, DIGEST,
              "example.com:443/a/b@" DIGEST);
        check("example.com/a:v2@" DIGEST, "example.com", "a", "v2", DIGEST,
              "example.com/a:v2@" DIGEST);
        check("192.168.1.10:5000/x", "192.168.1.10:5000", "x", NULL, NULL,
              "192.168.1.10:5000/x:latest");
        check("[::1]:5000/foo:tag", "[::1]:5000", "foo", "tag", NULL, "[::1]:5000/foo:tag");
        check("[2001:db8::1]/foo", "[2001:db8::1]", "foo", NULL, NULL, "[2001:db8::1]/foo:latest");
        check("Registry.Example.COM/foo", "Registry.Example.COM", "foo", NULL, NULL,
              "Registry.Example.COM/foo:latest");
        check("my-registry.local:65535/team/app", "my-registry.local:65535", "team/app", NULL, NULL,
              "my-registry.local:65535/team/app:latest");
}

static void test_errors(void)
{
        is_error("Alpine", "invalid reference format: \"Alpine\": repository name must be "
                           "lowercase");
        is_error("Foo/bar", "invalid reference format: \"Foo/bar\": repository name must be "
                            "lowercase");
        is_error("quay.io/Podman/stable", "invalid reference format: \"quay.io/Podman/stable\": "
                                          "repository name must be lowercase");
        is_error("", "invalid reference format: empty name");
        is_error(":tag", "invalid reference format: \":tag\": missing repository name");
        is_error("a:b:c", "invalid reference format: \"a:b:c\": invalid repository name "
                          "component \"a:b\" (allowed: a-z, 0-9 and the separators '.', '_', "
                          "'__', '-')");
        is_error("alpine:", "invalid reference format: \"alpine:\": empty tag");
        is_error("alpine:-x", "invalid reference format: \"alpine:-x\": invalid tag \"-x\"");
        is_error("alpine:a+b", "invalid reference format: \"alpine:a+b\": invalid tag \"a+b\"");
        is_error("alpine@sha256:abc", "invalid reference format: \"alpine@sha256:abc\": invalid "
                                      "digest: sha256 needs 64 lowercase hex digits");
        is_error("alpine@sha512:" H64 H64, "invalid reference format: \"alpine@sha512:" H64 H64
                                           "\": unsupported digest algorithm \"sha512\" "
                                           "(only sha256)");
        ok(error_has("alpine@md5:0123456789abcdef0123456789abcdef",
                     "unsupported digest algorithm \"md5\""));
        ok(error_has("alpine@", "invalid digest \"\""));
        ok(error_has("alpine@sha256:" H64 "@x", "invalid digest"));
        ok(error_has("alpine@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789"
                     "abcdef",
                     "64 lowercase hex"));
        ok(error_has("alpine@" H64, "invalid digest"));
        ok(error_has("foo//bar", "empty repository name component"));
        ok(error_has("foo/", "empty repository name component"));
        ok(error_has("/foo", "empty repository name component"));
        ok(error_has("example.com/", "repository name must have at least one component"));
        ok(error_has("a___b", "invalid repository name component \"a___b\""));
        ok(error_has("a.-b", "invalid repository name component"));
        ok(error_has("_a", "invalid repository name component"));
        ok(error_has("a-", "invalid repository name component"));
        ok(error_has("a b", "invalid repository name component"));
        ok(error_has("example.com:99999/foo", "invalid port in domain \"example.com:99999\""));
        ok(error_has("example.com:/foo", "invalid port"));
        ok(error_has("example.com:12ab/foo", "invalid port"));
        ok(error_has("-bad.com/foo", "invalid domain \"-bad.com\""));
        ok(error_has("bad-.com/foo", "invalid domain"));
        ok(error_has("a..com/foo", "invalid domain"));
        ok(error_has("a_b.com/foo", "invalid domain"));
        ok(error_has("[::1/foo", "invalid IPv6 address"));
        ok(error_has("[]:5000/foo", "invalid IPv6 address"));
        ok(error_has("[::g]/foo", "invalid IPv6 address"));
        ok(error_has("[::1]x/foo", "invalid domain"));
        ok(error_has("[::1]", "invalid tag \"1]\""));
        ok(error_has(H64, "is an image ID, not a repository name"));
}

static void test_lengths(void)
{
        char tag[200], name[600], msg_name[300];

        /* tags: 128 characters at most */
        memset(tag, 'a', 128);
        tag[128] = '\0';
        snprintf(name, sizeof(name), "alpine:%s", tag);
        {
                _cleanup_(img_ref_freep) struct img_ref *r = parse(name);

                ok(r && strlen(r->tag) == 128);
        }
        strcat(name, "a");
        ok(error_has(name, "tag longer than 128 characters"));

        /* the repository name ("domain/path"): 255 at most */
        memset(msg_name, 'a', 250);
        msg_name[250] = '\0';
        snprintf(name, sizeof(name), "x.io/%s", msg_name); /* 5 + 250 */
        {
                _cleanup_(img_ref_freep) struct img_ref *r = parse(name);

                ok(r != NULL);
        }
        snprintf(name, sizeof(name), "xy.io/%s", msg_name);
        ok(error_has(name, "repository name longer than 255 characters"));
        /* a Docker Hub name counts after normalization */
        msg_name[243] = '\0';
        snprintf(name, sizeof(name), "docker.io/%s", msg_name); /* docker.io/library/ + 243 */
        ok(error_has(name, "longer than 255"));
        /* the whole input is bounded, and the message quotes only its start */
        memset(name, 'a', 513);
        name[513] = '\0';
        ok(error_has(name, "longer than 512 characters"));
        ok(error_has(name, "aaa...\""));
}

static void test_helpers(void)
{
        _cleanup_(img_ref_freep) struct img_ref *r = parse("quay.io/a/b:1@" DIGEST);
        _cleanup_(img_ref_freep) struct img_ref *d = img_ref_dup(r);
        _cleanup_(img_ref_freep) struct img_ref *s = parse("alpine");
        _cleanup_free_ char *repo = img_ref_repo(r);
        _cleanup_free_ char *short_repo = img_ref_repo(s);

        ok(d && d != r);
        is_str(d->domain, "quay.io");
        is_str(d->path, "a/b");
        is_str(d->tag, "1");
        is_str(d->digest, DIGEST);
        ok(d->path != r->path);
        is_str(repo, "quay.io/a/b");
        is_str(short_repo, "alpine");
        ok(img_ref_dup(NULL) == NULL);
        img_ref_free(NULL);

        ok(img_ref_looks_like_id("abc"));
        ok(img_ref_looks_like_id("0123456789ab"));
        ok(img_ref_looks_like_id(H64));
        ok(!img_ref_looks_like_id(H64 "0"));
        ok(!img_ref_looks_like_id("ab"));
        ok(!img_ref_looks_like_id(""));
        ok(!img_ref_looks_like_id(NULL));
        ok(!img_ref_looks_like_id("ABC"));
        ok(!img_ref_looks_like_id("abg"));
        ok(!img_ref_looks_like_id("sha256:abc"));
}

/* Every canonical string parses back to itself. */
static void test_round_trip(void)
{
        static const char *const inputs[] = {
                "alpine",      "docker.io/alpine:3",  "localhost:5000/a/b@" DIGEST,
                "[::1]:1/x:y", "quay.io/a:b@" DIGEST,
        };

        for (size_t i = 0; i < ARRAY_SIZE(inputs); i++) {
                _cleanup_(img_ref_freep) struct img_ref *a = parse(inputs[i]);
                _cleanup_(img_ref_freep) struct img_ref *b = NULL;
                _cleanup_free_ char *sa = a ? img_ref_string(a) : NULL;
                _cleanup_free_ char *sb = NULL;

                b = sa ? parse(sa) : NULL;
                sb = b ? img_ref_string(b) : NULL;
                ok(sa && sb);
                is_str(sb, sa);
        }
}

int main(void)
{
        test_short_names();
        test_qualified();
        test_errors();
        test_lengths();
        test_helpers();
        test_round_trip();
        return tap_done();
}
