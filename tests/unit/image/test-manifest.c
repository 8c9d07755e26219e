/* Tests for image/manifest.c and image/config.c: real-world-shaped OCI and Docker documents,
 * platform selection, error messages, and serialize -> parse round trips. */
#include <jansson.h>
#include <sys/utsname.h>

#include "image/image.h"
#include "tap.h"

#define H64(c) c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c
#define D(c) "sha256:" H64(c) H64(c)
#define DA D("a")
#define DB D("b")
#define DC D("c")
#define DD D("d")
#define DE D("e")
#define DF D("f")
#define D0 D("0")
#define D1 D("1")

/* Parses and returns the error message, or NULL on success. */
static char *manifest_error(const char *doc, const char *ct)
{
        _cleanup_(img_manifest_freep) struct img_manifest *m = NULL;
        den_error *err = NULL;
        char *msg;

        if (img_manifest_parse(doc, strlen(doc), ct, &m, &err) == 0)
                return NULL;
        msg = xstrdup(err && err->msg ? err->msg : "(no message)");
        den_error_free(err);
        return msg;
}

static char *config_error(const char *doc)
{
        _cleanup_(img_config_freep) struct img_config *c = NULL;
        den_error *err = NULL;
        char *msg;

        if (img_config_parse(doc, strlen(doc), &c, &err) == 0)
                return NULL;
        msg = xstrdup(err && err->msg ? err->msg : "(no message)");
        den_error_free(err);
        return msg;
}

static struct img_manifest *parse_ok(const char *doc, const char *ct)
{
        struct img_manifest *m = NULL;
        den_error *err = NULL;

        if (img_manifest_parse(doc, strlen(doc), ct, &m, &err) < 0) {
                printf("# unexpected error: %s\n", err->msg);
                den_error_free(err);
                return NULL;
        }
        return m;
}

static const char oci_manifest[] =
        "{\n"
        "  \"schemaVersion\": 2,\n"
        "  \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\",\n"
        "  \"config\": {\n"
        "    \"mediaType\": \"application/vnd.oci.image.config.v1+json\",\n"
        "    \"digest\": \"" DA "\",\n"
        "    \"size\": 1469\n"
        "  },\n"
        "  \"layers\": [\n"
        "    { \"mediaType\": \"application/vnd.oci.image.layer.v1.tar+gzip\",\n"
        "      \"digest\": \"" DB "\", \"size\": 3623807 },\n"
        "    { \"mediaType\": \"application/vnd.oci.image.layer.v1.tar+zstd\",\n"
        "      \"digest\": \"" DC "\", \"size\": 0,\n"
        "      \"annotations\": { \"org.opencontainers.image.title\": \"x\" } },\n"
        "    { \"mediaType\": \"application/vnd.oci.image.layer.nondistributable.v1.tar\",\n"
        "      \"digest\": \"" DD "\", \"size\": 10240, \"urls\": [\"https://example.com/l\"] }\n"
        "  ],\n"
        "  \"subject\": { \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\",\n"
        "    \"digest\": \"" DE "\", \"size\": 7 },\n"
        "  \"artifactType\": \"application/vnd.example+type\",\n"
        "  \"annotations\": {\n"
        "    \"org.opencontainers.image.source\": \"https://github.com/example/app\",\n"
        "    \"org.opencontainers.image.created\": \"2024-01-02T03:04:05Z\"\n"
        "  },\n"
        "  \"x-unknown\": [ { \"deep\": [ 1, 2, { \"x\": null } ] } ]\n"
        "}\n";

static const char docker_manifest[] =
        "{\"schemaVersion\":2,"
        "\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","
        "\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\","
        "\"size\":7023,\"digest\":\"" DA "\"},"
        "\"layers\":["
        "{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"size\":32654,"
        "\"digest\":\"" DB "\"},"
        "{\"mediaType\":\"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip\","
        "\"size\":16724,\"digest\":\"" DC "\","
        "\"urls\":[\"https://mcr.microsoft.com/v2/windows/blobs/x\"]}]}";

/* An index as BuildKit pushes it: three platforms and an attestation manifest. */
static const char oci_index[] =
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
        "\"manifests\":["
        "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" DA "\","
        "\"size\":1000,\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}},"
        "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" DB "\","
        "\"size\":1001,\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\","
        "\"variant\":\"v8\"}},"
        "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" DC "\","
        "\"size\":1002,\"platform\":{\"architecture\":\"arm\",\"os\":\"linux\","
        "\"variant\":\"v7\"}},"
        "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" DD "\","
        "\"size\":566,\"annotations\":{\"vnd.docker.reference.digest\":\"" DA "\","
        "\"vnd.docker.reference.type\":\"attestation-manifest\"},"
        "\"platform\":{\"architecture\":\"unknown\",\"os\":\"unknown\"}}],"
        "\"annotations\":{\"org.opencontainers.image.ref.name\":\"1.0\"}}";

/* A Docker manifest list: arm variants in the order a registry might list them. */
static const char docker_list[] =
        "{\"schemaVersion\":2,"
        "\"mediaType\":\"application/vnd.docker.distribution.manifest.list.v2+json\","
        "\"manifests\":["
        "{\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\",\"size\":528,"
        "\"digest\":\"" DA "\",\"platform\":{\"architecture\":\"arm\",\"os\":\"linux\","
        "\"variant\":\"v6\"}},"
        "{\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\",\"size\":528,"
        "\"digest\":\"" DB "\",\"platform\":{\"architecture\":\"arm\",\"os\":\"linux\","
        "\"variant\":\"v7\"}},"
        "{\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\",\"size\":528,"
        "\"digest\":\"" DC "\",\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\"}},"
        "{\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\",\"size\":528,"
        "\"digest\":\"" DD "\",\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}},"
        "{\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\",\"size\":1125,"
        "\"digest\":\"" DE "\",\"platform\":{\"architecture\":\"amd64\",\"os\":\"windows\","
        "\"os.version\":\"10.0.17763.1\"}}]}";

static void test_oci_manifest(void)
{
        _cleanup_(img_manifest_freep) struct img_manifest *m = parse_ok(oci_manifest, NULL);

        ok(m != NULL);
        if (!m)
                return;
        is_int(m->schema_version, 2);
        is_str(m->media_type, IMG_MEDIA_OCI_MANIFEST);
        ok(!m->is_index);
        is_str(m->config.media_type, IMG_MEDIA_OCI_CONFIG);
        is_str(m->config.digest, DA);
        is_int(m->config.size, 1469);
        is_int(m->n_layers, 3);
        is_str(m->layers[0].media_type, IMG_MEDIA_OCI_LAYER_GZIP);
        is_str(m->layers[0].digest, DB);
        is_int(m->layers[0].size, 3623807);
        is_str(m->layers[1].media_type, IMG_MEDIA_OCI_LAYER_ZSTD);
        is_int(m->layers[1].size, 0);
        is_str(m->layers[2].media_type, "application/vnd.oci.image.layer.nondistributable.v1.tar");
        ok(m->layers[0].os == NULL);
        is_int(m->n_manifests, 0);
        is_int(den_strv_len(m->annotation_keys), 2);
        is_str(m->annotation_keys[0], "org.opencontainers.image.source");
        is_str(m->annotation_values[0], "https://github.com/example/app");
        is_str(m->annotation_keys[1], "org.opencontainers.image.created");
        is_str(m->annotation_values[1], "2024-01-02T03:04:05Z");
}

static void test_docker_manifest(void)
{
        _cleanup_(img_manifest_freep) struct img_manifest *m =
                parse_ok(docker_manifest, IMG_MEDIA_DOCKER_MANIFEST);

        ok(m != NULL);
        if (!m)
                return;
        is_str(m->media_type, IMG_MEDIA_DOCKER_MANIFEST);
        ok(!m->is_index);
        is_str(m->config.media_type, IMG_MEDIA_DOCKER_CONFIG);
        is_int(m->config.size, 7023);
        is_int(m->n_layers, 2);
        is_str(m->layers[0].media_type, IMG_MEDIA_DOCKER_LAYER_GZIP);
        is_str(m->layers[1].media_type,
               "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip");
        is_str(m->layers[1].digest, DC);
        ok(m->annotation_keys == NULL);
}

static void test_index(void)
{
        _cleanup_(img_manifest_freep) struct img_manifest *m =
                parse_ok(oci_index, "application/vnd.oci.image.index.v1+json; charset=utf-8");
        den_error *err = NULL;

        ok(m != NULL);
        if (!m)
                return;
        ok(m->is_index);
        is_str(m->media_type, IMG_MEDIA_OCI_INDEX);
        is_int(m->n_manifests, 4);
        is_int(m->n_layers, 0);
        ok(m->config.digest == NULL);
        is_str(m->manifests[1].architecture, "arm64");
        is_str(m->manifests[1].variant, "v8");
        is_str(m->manifests[2].os, "linux");
        is_int(m->manifests[2].size, 1002);
        ok(m->manifests[0].variant == NULL);
        is_str(m->manifests[3].os, "unknown");
        is_str(m->annotation_keys[0], "org.opencontainers.image.ref.name");

        is_int(img_manifest_pick(m, "linux", "amd64", NULL, NULL), 0);
        is_int(img_manifest_pick(m, NULL, "x86_64", NULL, NULL), 0);
        is_int(img_manifest_pick(m, "linux", "arm64", NULL, NULL), 1);
        is_int(img_manifest_pick(m, "linux", "aarch64", NULL, NULL), 1);
        is_int(img_manifest_pick(m, "linux", "arm64", "v8", NULL), 1);
        is_int(img_manifest_pick(m, "linux", "arm64", "8", NULL), 1);
        is_int(img_manifest_pick(m, "linux", "arm", NULL, NULL), 2);
        is_int(img_manifest_pick(m, "linux", "arm", "v7", NULL), 2);
        is_int(img_manifest_pick(m, "linux", "arm", "7", NULL), 2);
        /* a v8 CPU in 32-bit mode runs v7 code */
        is_int(img_manifest_pick(m, "linux", "arm", "v8", NULL), 2);
        /* a v6 CPU does not */
        is_int(img_manifest_pick(m, "linux", "arm", "v6", &err), -1);
        ok(err && strstr(err->msg, "variant \"v6\""));
        den_error_free(steal_ptr(err));
        /* the attestation manifest is never a candidate */
        is_int(img_manifest_pick(m, "unknown", "unknown", NULL, &err), -1);
        den_error_free(steal_ptr(err));
        is_int(img_manifest_pick(m, "linux", "s390x", NULL, &err), -1);
        is_str(err ? err->msg : NULL,
               "no image found in manifest list for architecture \"s390x\", variant \"\", OS "
               "\"linux\" (available: linux/amd64, linux/arm64/v8, linux/arm/v7)");
        den_error_free(steal_ptr(err));
        is_int(img_manifest_pick(m, "windows", "amd64", NULL, &err), -1);
        ok(err && strstr(err->msg, "OS \"windows\""));
        den_error_free(steal_ptr(err));
        /* the host's platform */
        {
                const char *host = img_host_arch();
                int want = streq(host, "amd64") ? 0 : streq(host, "arm64") ? 1 : -1;

                if (want >= 0)
                        is_int(img_manifest_pick(m, NULL, NULL, NULL, NULL), want);
        }
}

static void test_docker_list(void)
{
        _cleanup_(img_manifest_freep) struct img_manifest *m =
                parse_ok(docker_list, IMG_MEDIA_DOCKER_LIST);
        den_error *err = NULL;

        ok(m != NULL);
        if (!m)
                return;
        ok(m->is_index);
        is_str(m->media_type, IMG_MEDIA_DOCKER_LIST);
        is_int(m->n_manifests, 5);
        is_str(m->manifests[4].os, "windows");
        /* best variant first, whatever the order of the list */
        is_int(img_manifest_pick(m, "linux", "arm", NULL, NULL), 1);
        is_int(img_manifest_pick(m, "linux", "arm", "v6", NULL), 0);
        is_int(img_manifest_pick(m, "linux", "arm", "v5", &err), -1);
        den_error_free(steal_ptr(err));
        /* arm64 with no variant in the list matches both "v8" and no variant requested */
        is_int(img_manifest_pick(m, "linux", "arm64", NULL, NULL), 2);
        is_int(img_manifest_pick(m, "linux", "arm64", "v8", NULL), 2);
        is_int(img_manifest_pick(m, "linux", "amd64", NULL, NULL), 3);
        is_int(img_manifest_pick(m, "windows", "amd64", NULL, NULL), 4);
        is_int(img_manifest_pick(m, "linux", "ppc64le", NULL, &err), -1);
        ok(err && strstr(err->msg, "linux/arm/v6, linux/arm/v7, linux/arm64, linux/amd64, "
                                   "windows/amd64"));
        den_error_free(steal_ptr(err));
}

static void test_pick_preferences(void)
{
        /* both an arm64 entry without a variant and a v8 one: v8 preferred */
        static const char both[] =
                "{\"schemaVersion\":2,\"manifests\":["
                "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" DA
                "\",\"size\":1,\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\"}},"
                "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" DB
                "\",\"size\":1,\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\","
                "\"variant\":\"v8\"}},"
                "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" DC
                "\",\"size\":1,\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\","
                "\"variant\":\"v3\"}}]}";
        /* no platform at all: the one image is the fallback; an artifact entry is skipped */
        static const char bare[] =
                "{\"schemaVersion\":2,\"manifests\":["
                "{\"mediaType\":\"application/vnd.example.sbom+json\",\"digest\":\"" DA
                "\",\"size\":1},"
                "{\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"digest\":\"" DB
                "\",\"size\":1},"
                "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" DC
                "\",\"size\":1}]}";
        /* beside entries that name platforms, one without is not a wildcard */
        static const char mixed[] =
                "{\"schemaVersion\":2,\"manifests\":["
                "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" DA
                "\",\"size\":1,\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}},"
                "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" DB
                "\",\"size\":1}]}";
        static const char only_attestation[] =
                "{\"schemaVersion\":2,\"manifests\":["
                "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" DA
                "\",\"size\":1,\"platform\":{\"architecture\":\"unknown\",\"os\":\"unknown\"}}"
                "]}";
        _cleanup_(img_manifest_freep) struct img_manifest *m = parse_ok(both, NULL);
        _cleanup_(img_manifest_freep) struct img_manifest *b = parse_ok(bare, "application/json");
        _cleanup_(img_manifest_freep) struct img_manifest *a = parse_ok(only_attestation, NULL);
        _cleanup_(img_manifest_freep) struct img_manifest *x = parse_ok(mixed, NULL);
        _cleanup_(img_manifest_freep) struct img_manifest *single = parse_ok(oci_manifest, NULL);
        den_error *err = NULL;

        ok(m && b && a && single);
        if (!m || !b || !a || !single)
                return;
        is_str(m->media_type, IMG_MEDIA_OCI_INDEX); /* detected by shape */
        is_int(img_manifest_pick(m, "linux", "arm64", NULL, NULL), 1);
        is_int(img_manifest_pick(m, "linux", "arm64", "v8", NULL), 1);
        /* an amd64 entry with a variant still matches when none is asked for */
        is_int(img_manifest_pick(m, "linux", "amd64", NULL, NULL), 2);
        is_int(img_manifest_pick(m, "linux", "amd64", "v3", NULL), 2);
        ok(b->is_index);
        is_int(img_manifest_pick(b, "linux", "amd64", NULL, NULL), 2);
        is_int(img_manifest_pick(b, "linux", "arm64", "v8", NULL), 2);
        ok(x != NULL);
        if (x) {
                is_int(img_manifest_pick(x, "linux", "amd64", NULL, NULL), 0);
                is_int(img_manifest_pick(x, "linux", "arm64", NULL, &err), -1);
                ok(err && strstr(err->msg, "(available: linux/amd64)"));
                den_error_free(steal_ptr(err));
        }
        is_int(img_manifest_pick(a, "linux", "amd64", NULL, &err), -1);
        ok(err && strstr(err->msg, "(available: none)"));
        den_error_free(steal_ptr(err));
        is_int(img_manifest_pick(single, "linux", "amd64", NULL, &err), -1);
        den_error_free(steal_ptr(err));
}

static void test_host_arch(void)
{
        static const char *const known[] = { "amd64",   "arm64", "arm",    "386",
                                             "ppc64le", "s390x", "riscv64" };
        const char *a = img_host_arch();
        struct utsname u;
        bool found = false;

        for (size_t i = 0; i < ARRAY_SIZE(known); i++)
                found |= streq(a, known[i]);
        ok(found);
        if (uname(&u) == 0 && streq(u.machine, "x86_64"))
                is_str(a, "amd64");
        if (uname(&u) == 0 && streq(u.machine, "aarch64"))
                is_str(a, "arm64");
}

static void expect_manifest_error(const char *doc, const char *ct, const char *want)
{
        _cleanup_free_ char *msg = manifest_error(doc, ct);

        is_str(msg, want);
}

#define LAYER(mt, dg, sz) "{\"mediaType\":\"" mt "\",\"digest\":\"" dg "\",\"size\":" sz "}"
#define GZ "application/vnd.oci.image.layer.v1.tar+gzip"
#define CFG "\"config\":" LAYER("application/vnd.oci.image.config.v1+json", DA, "2")
#define OCI_HEAD "{\"schemaVersion\":2,\"mediaType\":\"" IMG_MEDIA_OCI_MANIFEST "\","

static void test_manifest_errors(void)
{
        den_error *err = NULL;
        struct img_manifest *m = NULL;

        expect_manifest_error(OCI_HEAD CFG ",\"layers\":[" LAYER(GZ, DB, "1") "," LAYER(
                                      GZ, DC, "1") "," LAYER(GZ, "sha256:abc", "1") "]}",
                              NULL, "parse manifest: layers[2].digest: not a valid digest");
        expect_manifest_error(OCI_HEAD CFG ",\"layers\":[" LAYER(GZ, DB, "-1") "]}", NULL,
                              "parse manifest: layers[0].size: negative");
        expect_manifest_error(OCI_HEAD CFG ",\"layers\":[" LAYER(GZ, DB, "\"12\"") "]}", NULL,
                              "parse manifest: layers[0].size: not an integer");
        expect_manifest_error(OCI_HEAD CFG ",\"layers\":[" LAYER(GZ, DB, "1.5") "]}", NULL,
                              "parse manifest: layers[0].size: not an integer");
        expect_manifest_error(OCI_HEAD CFG ",\"layers\":[" LAYER(GZ, DB, "99999999999999999") "]}",
                              NULL,
                              "parse manifest: layers[0].size: 99999999999999999 is too large");
        expect_manifest_error(OCI_HEAD CFG ",\"layers\":{}}", NULL,
                              "parse manifest: layers: not an array");
        expect_manifest_error(OCI_HEAD CFG ",\"layers\":[7]}", NULL,
                              "parse manifest: layers[0]: not an object");
        expect_manifest_error(OCI_HEAD CFG "}", NULL, "parse manifest: layers: missing");
        expect_manifest_error(OCI_HEAD "\"layers\":[]}", NULL, "parse manifest: config: missing");
        expect_manifest_error(OCI_HEAD "\"config\":{\"digest\":\"" DA "\",\"size\":1},"
                                       "\"layers\":[]}",
                              NULL, "parse manifest: config.mediaType: missing");
        expect_manifest_error(OCI_HEAD CFG ",\"layers\":[{\"mediaType\":\"" GZ "\",\"size\":1}]}",
                              NULL, "parse manifest: layers[0].digest: missing");
        expect_manifest_error(OCI_HEAD CFG ",\"layers\":[" LAYER(
                                      "application/vnd.example.weird+tar", DB, "1") "]}",
                              NULL,
                              "parse manifest: layers[0].mediaType: unknown layer media type "
                              "\"application/vnd.example.weird+tar\"");
        expect_manifest_error(OCI_HEAD CFG ",\"layers\":[" LAYER("not a media type", DB, "1") "]}",
                              NULL, "parse manifest: layers[0].mediaType: not a valid media type");
        expect_manifest_error(OCI_HEAD CFG ",\"layers\":[],\"annotations\":{\"a\":1}}", NULL,
                              "parse manifest: annotations.a: not a string");
        expect_manifest_error(OCI_HEAD CFG ",\"layers\":[],\"annotations\":[]}", NULL,
                              "parse manifest: annotations: not an object");
        /* duplicate keys: two readers could each believe a different one */
        {
                _cleanup_free_ char *msg =
                        manifest_error(OCI_HEAD CFG ",\"layers\":[]," CFG "}", NULL);

                ok(msg && strstr(msg, "parse manifest: invalid JSON") && strstr(msg, "duplicate"));
        }
        /* schema 1, by version, by mediaType and by Content-Type */
        expect_manifest_error("{\"schemaVersion\":1,\"name\":\"library/x\",\"tag\":\"latest\","
                              "\"architecture\":\"amd64\",\"fsLayers\":[],\"history\":[]}",
                              NULL, "parse manifest: unsupported manifest schema 1");
        expect_manifest_error("{\"schemaVersion\":1,\"fsLayers\":[],\"signatures\":[]}",
                              "application/vnd.docker.distribution.manifest.v1+prettyjws",
                              "parse manifest: unsupported manifest schema 1");
        expect_manifest_error("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker."
                              "distribution.manifest.v1+json\"}",
                              NULL, "parse manifest: unsupported manifest schema 1");
        expect_manifest_error("{\"schemaVersion\":3," CFG ",\"layers\":[]}", NULL,
                              "parse manifest: schemaVersion: unsupported version 3");
        expect_manifest_error("{" CFG ",\"layers\":[]}", NULL,
                              "parse manifest: schemaVersion: missing");
        expect_manifest_error("{\"schemaVersion\":\"2\"," CFG ",\"layers\":[]}", NULL,
                              "parse manifest: schemaVersion: not an integer");
        /* the registry confusion guards */
        expect_manifest_error(OCI_HEAD CFG ",\"layers\":[]}", IMG_MEDIA_DOCKER_MANIFEST,
                              "parse manifest: mediaType: \"" IMG_MEDIA_OCI_MANIFEST
                              "\" contradicts the Content-Type \"" IMG_MEDIA_DOCKER_MANIFEST "\"");
        expect_manifest_error(OCI_HEAD CFG ",\"layers\":[]}", IMG_MEDIA_OCI_INDEX,
                              "parse manifest: mediaType: \"" IMG_MEDIA_OCI_MANIFEST
                              "\" contradicts the Content-Type \"" IMG_MEDIA_OCI_INDEX "\"");
        expect_manifest_error("{\"schemaVersion\":2," CFG ",\"layers\":[]}", IMG_MEDIA_OCI_INDEX,
                              "parse manifest: index has \"config\" or \"layers\": ambiguous");
        expect_manifest_error("{\"schemaVersion\":2," CFG ",\"layers\":[],\"manifests\":[]}", NULL,
                              "parse manifest: index has \"config\" or \"layers\": ambiguous");
        expect_manifest_error(OCI_HEAD CFG ",\"layers\":[],\"manifests\":[]}", NULL,
                              "parse manifest: manifest has \"manifests\": ambiguous");
        expect_manifest_error("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci."
                              "artifact.manifest.v1+json\",\"blobs\":[]}",
                              NULL,
                              "parse manifest: mediaType: unsupported manifest media type "
                              "\"application/vnd.oci.artifact.manifest.v1+json\"");
        expect_manifest_error("{\"schemaVersion\":2,\"config\":{}}", NULL,
                              "parse manifest: no mediaType, and neither \"manifests\" nor "
                              "\"config\" and \"layers\": not a manifest");
        expect_manifest_error("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" GZ
                              "\",\"digest\":\"" DA "\",\"size\":1,\"platform\":\"linux\"}]}",
                              NULL, "parse manifest: manifests[0].platform: not an object");
        expect_manifest_error("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" GZ
                              "\",\"digest\":\"" DA "\",\"size\":1,\"platform\":{\"os\":7}}]}",
                              NULL, "parse manifest: manifests[0].platform.os: not a string");
        expect_manifest_error("[1,2]", NULL, "parse manifest: not a JSON object");
        expect_manifest_error("", NULL, "parse manifest: empty document");
        expect_manifest_error("{\"schemaVersion\":2,\"mediaType\":\"\\u001b[31mred\"}", NULL,
                              "parse manifest: mediaType: unsupported manifest media type "
                              "\"\\x1b[31mred\"");
        /* null is absent */
        expect_manifest_error(OCI_HEAD "\"config\":null,\"layers\":[]}", NULL,
                              "parse manifest: config: missing");
        /* outputs untouched on failure */
        ok(img_manifest_parse("{}", 2, NULL, &m, &err) < 0 && m == NULL);
        den_error_free(err);
}

static void test_manifest_bounds(void)
{
        struct den_buf b = { 0 };
        _cleanup_free_ char *doc = NULL, *msg = NULL, *deep = NULL, *huge = NULL;
        _cleanup_(img_manifest_freep) struct img_manifest *m = NULL;
        den_error *err = NULL;

        den_buf_puts(&b, OCI_HEAD CFG ",\"layers\":[");
        for (int i = 0; i < 1000; i++)
                den_buf_printf(&b, "%s" LAYER(GZ, DB, "1"), i ? "," : "");
        den_buf_puts(&b, "]}");
        doc = den_buf_steal(&b);
        m = parse_ok(doc, NULL);
        ok(m && m->n_layers == 1000);
        /* one more is too many */
        doc[strlen(doc) - 2] = '\0';
        den_buf_puts(&b, doc);
        den_buf_puts(&b, "," LAYER(GZ, DB, "1") "]}");
        free(doc);
        doc = den_buf_steal(&b);
        msg = manifest_error(doc, NULL);
        is_str(msg, "parse manifest: layers: more than 1000 layers");

        for (int i = 0; i < 100; i++)
                den_buf_puts(&b, "[");
        for (int i = 0; i < 100; i++)
                den_buf_puts(&b, "]");
        deep = den_buf_steal(&b);
        free(msg);
        msg = manifest_error(deep, NULL);
        is_str(msg, "parse manifest: JSON nested deeper than 64 levels");
        /* brackets inside strings do not count */
        den_buf_puts(&b, OCI_HEAD CFG ",\"layers\":[],\"x\":\"");
        for (int i = 0; i < 100; i++)
                den_buf_puts(&b, "[{\\\"");
        den_buf_puts(&b, "\"}");
        free(deep);
        deep = den_buf_steal(&b);
        free(msg);
        msg = manifest_error(deep, NULL);
        is_str(msg, NULL);

        huge = xcalloc(1, IMG_MAX_MANIFEST_SIZE + 2);
        memset(huge, ' ', IMG_MAX_MANIFEST_SIZE + 1);
        huge[0] = '{';
        ok(img_manifest_parse(huge, IMG_MAX_MANIFEST_SIZE + 1, NULL, &m, &err) < 0);
        ok(err && strstr(err->msg, "over the 4194304 byte limit"));
        den_error_free(err);
}

static void test_media_type_sources(void)
{
        static const char no_mt[] = "{\"schemaVersion\":2," CFG ",\"layers\":[]}";
        struct img_manifest *m;

        /* from the Content-Type when the document has none */
        m = parse_ok(no_mt, IMG_MEDIA_DOCKER_MANIFEST);
        ok(m && streq(m->media_type, IMG_MEDIA_DOCKER_MANIFEST));
        img_manifest_free(m);
        /* a generic Content-Type is no statement: detect by shape */
        m = parse_ok(no_mt, "application/json");
        ok(m && streq(m->media_type, IMG_MEDIA_OCI_MANIFEST));
        img_manifest_free(m);
        m = parse_ok(no_mt, NULL);
        ok(m && streq(m->media_type, IMG_MEDIA_OCI_MANIFEST) && !m->is_index);
        img_manifest_free(m);
        /* header media types are case-insensitive and may carry parameters */
        m = parse_ok(docker_manifest, " Application/Vnd.Docker.Distribution.Manifest.V2+json ;q=1");
        ok(m && streq(m->media_type, IMG_MEDIA_DOCKER_MANIFEST));
        img_manifest_free(m);
}

static void test_manifest_serialize(void)
{
        _cleanup_(img_manifest_freep) struct img_manifest *m = parse_ok(oci_manifest, NULL);
        _cleanup_(img_manifest_freep) struct img_manifest *d = parse_ok(docker_manifest, NULL);
        _cleanup_(img_manifest_freep) struct img_manifest *i = parse_ok(oci_index, NULL);
        _cleanup_(img_manifest_freep) struct img_manifest *l = parse_ok(docker_list, NULL);
        _cleanup_(img_manifest_freep) struct img_manifest *back = NULL;
        _cleanup_free_ char *s = NULL, *s2 = NULL, *sd = NULL, *si = NULL, *sl = NULL;
        size_t len = 0;
        den_error *err = NULL;

        if (!m || !d || !i || !l) {
                ok(false);
                return;
        }
        s = img_manifest_serialize(m, &len);
        is_int(len, strlen(s));
        is_str(s,
               "{\"schemaVersion\":2,\"mediaType\":\"" IMG_MEDIA_OCI_MANIFEST "\","
               "\"config\":{\"mediaType\":\"" IMG_MEDIA_OCI_CONFIG "\",\"digest\":\"" DA
               "\",\"size\":1469},\"layers\":["
               "{\"mediaType\":\"" GZ "\",\"digest\":\"" DB "\",\"size\":3623807},"
               "{\"mediaType\":\"" IMG_MEDIA_OCI_LAYER_ZSTD "\",\"digest\":\"" DC "\",\"size\":0},"
               "{\"mediaType\":\"application/vnd.oci.image.layer.nondistributable.v1.tar\","
               "\"digest\":\"" DD "\",\"size\":10240}],"
               "\"annotations\":{\"org.opencontainers.image.created\":\"2024-01-02T03:04:05Z\","
               "\"org.opencontainers.image.source\":\"https://github.com/example/app\"}}");
        ok(img_manifest_parse(s, len, IMG_MEDIA_OCI_MANIFEST, &back, &err) == 0);
        if (back) {
                s2 = img_manifest_serialize(back, NULL);
                is_str(s2, s);
                is_int(back->n_layers, 3);
                is_str(back->layers[2].digest, DD);
        }
        sd = img_manifest_serialize(d, NULL);
        is_str(sd, "{\"schemaVersion\":2,\"mediaType\":\"" IMG_MEDIA_DOCKER_MANIFEST "\","
                   "\"config\":{\"mediaType\":\"" IMG_MEDIA_DOCKER_CONFIG
                   "\",\"size\":7023,\"digest\":\"" DA "\"},\"layers\":["
                   "{\"mediaType\":\"" IMG_MEDIA_DOCKER_LAYER_GZIP "\",\"size\":32654,"
                   "\"digest\":\"" DB "\"},"
                   "{\"mediaType\":\"application/vnd.docker.image.rootfs.foreign.diff.tar."
                   "gzip\",\"size\":16724,\"digest\":\"" DC "\"}]}");
        ok(sd[strlen(sd) - 1] == '}'); /* no trailing newline */
        si = img_manifest_serialize(i, NULL);
        img_manifest_free(steal_ptr(back));
        ok(img_manifest_parse(si, strlen(si), IMG_MEDIA_OCI_INDEX, &back, &err) == 0);
        if (back) {
                is_int(back->n_manifests, 4);
                is_str(back->manifests[2].variant, "v7");
                is_str(back->manifests[3].architecture, "unknown");
                is_int(img_manifest_pick(back, "linux", "arm", NULL, NULL), 2);
                is_str(back->annotation_values[0], "1.0");
        }
        ok(strstr(si, "{\"mediaType\":\"" IMG_MEDIA_OCI_MANIFEST "\",\"digest\":\"" DB
                      "\",\"size\":1001,\"platform\":{\"architecture\":\"arm64\",\"os\":"
                      "\"linux\",\"variant\":\"v8\"}}") != NULL);
        sl = img_manifest_serialize(l, NULL);
        img_manifest_free(steal_ptr(back));
        ok(img_manifest_parse(sl, strlen(sl), IMG_MEDIA_DOCKER_LIST, &back, &err) == 0);
        if (back) {
                is_str(back->media_type, IMG_MEDIA_DOCKER_LIST);
                is_int(back->n_manifests, 5);
                is_str(back->manifests[1].variant, "v7");
        }
        ok(strstr(sl, "\"size\":528,\"digest\":\"" DA "\",\"platform\"") != NULL);
        den_error_free(err);
}

/* A config as docker build and buildah write them, with every field den reads. */
static const char full_config[] =
        "{\"architecture\":\"arm64\",\"variant\":\"v8\",\"os\":\"linux\","
        "\"created\":\"2024-03-04T05:06:07.123456789+02:00\",\"author\":\"Jane <j@x.org>\","
        "\"config\":{\"User\":\"1000:1000\",\"ExposedPorts\":{\"80/tcp\":{},\"53/udp\":{}},"
        "\"Env\":[\"PATH=/usr/local/bin:/usr/bin\",\"LANG=C.UTF-8\"],"
        "\"Entrypoint\":[\"/docker-entrypoint.sh\"],\"Cmd\":[\"nginx\",\"-g\",\"daemon off;\"],"
        "\"WorkingDir\":\"/srv\",\"Volumes\":{\"/data\":{},\"/cache\":{}},"
        "\"StopSignal\":\"SIGQUIT\",\"Labels\":{\"maintainer\":\"NGINX\",\"a.b\":\"\"},"
        "\"ArgsEscaped\":true,\"Healthcheck\":{\"Test\":[\"CMD\",\"true\"]},\"OnBuild\":null},"
        "\"container_config\":{\"Cmd\":[\"/bin/sh\",\"-c\",\"#(nop) \"]},"
        "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" DA "\",\"" DB "\"]},"
        "\"history\":["
        "{\"created\":\"2024-03-04T05:00:00Z\",\"created_by\":\"/bin/sh -c #(nop) ADD file:x in / "
        "\"},"
        "{\"created\":\"2024-03-04T05:00:01Z\",\"created_by\":\"/bin/sh -c #(nop)  CMD "
        "[\\\"bash\\\"]\",\"empty_layer\":true},"
        "{\"created\":\"2024-03-04T05:06:07Z\",\"created_by\":\"RUN apt-get update\","
        "\"author\":\"Jane\",\"comment\":\"buildkit.dockerfile.v0\",\"empty_layer\":false}]}";

static void test_config(void)
{
        _cleanup_(img_config_freep) struct img_config *c = NULL;
        den_error *err = NULL;

        ok(img_config_parse(full_config, strlen(full_config), &c, &err) == 0);
        if (!c) {
                printf("# %s\n", err->msg);
                den_error_free(err);
                return;
        }
        is_str(c->architecture, "arm64");
        is_str(c->variant, "v8");
        is_str(c->os, "linux");
        is_str(c->created, "2024-03-04T05:06:07.123456789+02:00");
        is_int(c->created_unix, 1709528767 - 7200);
        is_str(c->author, "Jane <j@x.org>");
        is_str(c->user, "1000:1000");
        is_int(den_strv_len(c->env), 2);
        is_str(c->env[1], "LANG=C.UTF-8");
        ok(c->has_entrypoint);
        is_int(den_strv_len(c->entrypoint), 1);
        is_str(c->entrypoint[0], "/docker-entrypoint.sh");
        ok(c->has_cmd);
        is_int(den_strv_len(c->cmd), 3);
        is_str(c->cmd[2], "daemon off;");
        is_str(c->working_dir, "/srv");
        is_int(den_strv_len(c->exposed_ports), 2);
        is_str(c->exposed_ports[0], "80/tcp");
        is_str(c->exposed_ports[1], "53/udp");
        is_int(den_strv_len(c->volumes), 2);
        is_str(c->volumes[1], "/cache");
        is_str(c->stop_signal, "SIGQUIT");
        is_int(den_strv_len(c->label_keys), 2);
        is_int(den_strv_len(c->label_values), 2);
        is_str(c->label_keys[0], "maintainer");
        is_str(c->label_values[0], "NGINX");
        is_str(c->label_values[1], "");
        is_int(den_strv_len(c->diff_ids), 2);
        is_str(c->diff_ids[1], DB);
        is_int(c->n_history, 3);
        ok(!c->history[0].is_empty_layer);
        ok(c->history[1].is_empty_layer);
        is_str(c->history[1].created_by, "/bin/sh -c #(nop)  CMD [\"bash\"]");
        is_str(c->history[2].author, "Jane");
        is_str(c->history[2].comment, "buildkit.dockerfile.v0");
        ok(c->history[0].comment == NULL);
}

#define ROOTFS "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}"

static void test_config_presence(void)
{
        static const char absent[] = "{\"config\":{}," ROOTFS "}";
        static const char nulls[] = "{\"created\":null,\"config\":{\"Entrypoint\":null,"
                                    "\"Cmd\":null,\"Env\":null,\"Labels\":null,\"Volumes\":"
                                    "null}," ROOTFS ",\"history\":null}";
        static const char empty[] = "{\"config\":{\"Entrypoint\":[],\"Cmd\":[],\"Env\":[]},"
                                    "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":null}}";
        static const char bad_created[] = "{\"created\":\"yesterday\"," ROOTFS "}";
        static const char bad_zone[] = "{\"created\":\"2020-01-01T00:00:00+1:2\"," ROOTFS "}";
        static const char no_config[] = "{" ROOTFS "}";
        struct img_config *c = NULL;

        ok(img_config_parse(absent, strlen(absent), &c, NULL) == 0);
        ok(c && !c->has_entrypoint && !c->has_cmd && !c->entrypoint && !c->cmd && !c->env);
        ok(c && c->diff_ids && !c->diff_ids[0]);
        img_config_free(steal_ptr(c));
        ok(img_config_parse(nulls, strlen(nulls), &c, NULL) == 0);
        ok(c && !c->has_entrypoint && !c->has_cmd && !c->env && !c->label_keys && !c->volumes);
        ok(c && !c->created && c->n_history == 0);
        img_config_free(steal_ptr(c));
        ok(img_config_parse(empty, strlen(empty), &c, NULL) == 0);
        ok(c && c->has_entrypoint && c->entrypoint && !c->entrypoint[0]);
        ok(c && c->has_cmd && c->cmd && !c->cmd[0]);
        ok(c && c->env && !c->env[0]);
        ok(c && c->diff_ids && !c->diff_ids[0]);
        img_config_free(steal_ptr(c));
        ok(img_config_parse(bad_created, strlen(bad_created), &c, NULL) == 0);
        ok(c && c->created == NULL && c->created_unix == 0);
        img_config_free(steal_ptr(c));
        ok(img_config_parse(bad_zone, strlen(bad_zone), &c, NULL) == 0);
        ok(c && c->created == NULL && c->created_unix == 0);
        img_config_free(steal_ptr(c));
        ok(img_config_parse(no_config, strlen(no_config), &c, NULL) == 0);
        ok(c && !c->user && !c->architecture);
        img_config_free(steal_ptr(c));
}

static void expect_config_error(const char *doc, const char *want)
{
        _cleanup_free_ char *msg = config_error(doc);

        is_str(msg, want);
}

static void test_config_errors(void)
{
        expect_config_error("{}", "parse config: rootfs: missing");
        expect_config_error("{\"rootfs\":{\"type\":\"layers\"}}",
                            "parse config: rootfs.diff_ids: missing");
        expect_config_error("{\"rootfs\":{\"type\":\"tar\",\"diff_ids\":[]}}",
                            "parse config: rootfs.type: not \"layers\"");
        expect_config_error("{\"rootfs\":{\"diff_ids\":[]}}", "parse config: rootfs.type: missing");
        expect_config_error("{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" DA
                            "\",\"sha256:nothex\"]}}",
                            "parse config: rootfs.diff_ids[1]: not a valid digest");
        expect_config_error("{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" DA "\",7]}}",
                            "parse config: rootfs.diff_ids: element 1 is not a string");
        expect_config_error("{\"rootfs\":[]}", "parse config: rootfs: not an object");
        expect_config_error("{\"os\":1," ROOTFS "}", "parse config: os: not a string");
        expect_config_error("{\"config\":[]," ROOTFS "}", "parse config: config: not an object");
        expect_config_error("{\"config\":{\"Cmd\":\"sh\"}," ROOTFS "}",
                            "parse config: config.Cmd: not an array");
        expect_config_error("{\"config\":{\"Env\":[\"A=1\",null]}," ROOTFS "}",
                            "parse config: config.Env: element 1 is not a string");
        expect_config_error("{\"config\":{\"Labels\":{\"x\":1}}," ROOTFS "}",
                            "parse config: config.Labels: value of \"x\" is not a string");
        expect_config_error("{\"config\":{\"ExposedPorts\":[\"80/tcp\"]}," ROOTFS "}",
                            "parse config: config.ExposedPorts: not an object");
        expect_config_error("{" ROOTFS ",\"history\":[{\"empty_layer\":\"yes\"}]}",
                            "parse config: history[0].empty_layer: not a boolean");
        expect_config_error("{" ROOTFS ",\"history\":[{},3]}",
                            "parse config: history[1]: not an object");
        expect_config_error("{" ROOTFS ",\"history\":{}}", "parse config: history: not an array");
        {
                _cleanup_free_ char *msg =
                        config_error("{\"os\":\"linux\",\"os\":\"windows\"," ROOTFS "}");

                ok(msg && strstr(msg, "duplicate"));
        }
        {
                struct den_buf b = { 0 };
                _cleanup_free_ char *doc = NULL;

                den_buf_puts(&b, "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[");
                for (int i = 0; i < 1001; i++)
                        den_buf_printf(&b, "%s\"%s\"", i ? "," : "", DA);
                den_buf_puts(&b, "]}}");
                doc = den_buf_steal(&b);
                expect_config_error(doc, "parse config: rootfs.diff_ids: more than 1000 layers");
        }
}

static void test_config_serialize(void)
{
        _cleanup_(img_config_freep) struct img_config *c = NULL;
        _cleanup_(img_config_freep) struct img_config *back = NULL;
        _cleanup_free_ char *s = NULL, *s2 = NULL, *s3 = NULL;
        size_t len = 0;
        struct img_config made = { 0 };
        char *env[] = { "PATH=/bin", NULL };
        char *ids[] = { DF, NULL };
        char *empty[] = { NULL };
        struct img_history hist[] = { { .created_by = "import", .comment = "imported" } };

        ok(img_config_parse(full_config, strlen(full_config), &c, NULL) == 0);
        if (!c)
                return;
        s = img_config_serialize(c, &len);
        is_int(len, strlen(s));
        is_str(s, "{\"created\":\"2024-03-04T05:06:07.123456789+02:00\",\"author\":\"Jane "
                  "<j@x.org>\",\"architecture\":\"arm64\",\"os\":\"linux\",\"variant\":\"v8\","
                  "\"config\":{\"User\":\"1000:1000\",\"ExposedPorts\":{\"53/udp\":{},"
                  "\"80/tcp\":{}},\"Env\":[\"PATH=/usr/local/bin:/usr/bin\",\"LANG=C.UTF-8\"],"
                  "\"Entrypoint\":[\"/docker-entrypoint.sh\"],\"Cmd\":[\"nginx\",\"-g\","
                  "\"daemon off;\"],\"Volumes\":{\"/cache\":{},\"/data\":{}},\"WorkingDir\":"
                  "\"/srv\",\"Labels\":{\"a.b\":\"\",\"maintainer\":\"NGINX\"},\"StopSignal\":"
                  "\"SIGQUIT\"},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" DA "\",\"" DB
                  "\"]},\"history\":[{\"created\":\"2024-03-04T05:00:00Z\",\"created_by\":"
                  "\"/bin/sh -c #(nop) ADD file:x in / \"},{\"created\":\"2024-03-04T05:00:01Z\","
                  "\"created_by\":\"/bin/sh -c #(nop)  CMD [\\\"bash\\\"]\",\"empty_layer\":"
                  "true},{\"created\":\"2024-03-04T05:06:07Z\",\"author\":\"Jane\","
                  "\"created_by\":\"RUN apt-get update\",\"comment\":\"buildkit.dockerfile.v0\"}"
                  "]}");
        ok(img_config_parse(s, len, &back, NULL) == 0);
        if (back) {
                s2 = img_config_serialize(back, NULL);
                is_str(s2, s);
                is_int(back->created_unix, c->created_unix);
                ok(back->history[1].is_empty_layer);
        }
        /* built by hand, as commit and import do: [] kept apart from absent, time from unix */
        made.os = "linux";
        made.architecture = "amd64";
        made.created_unix = 1700000000;
        made.env = env;
        made.cmd = empty;
        made.has_cmd = true;
        made.diff_ids = ids;
        made.history = hist;
        made.n_history = 1;
        s3 = img_config_serialize(&made, NULL);
        is_str(s3, "{\"created\":\"2023-11-14T22:13:20Z\",\"architecture\":\"amd64\",\"os\":"
                   "\"linux\",\"config\":{\"Env\":[\"PATH=/bin\"],\"Cmd\":[]},\"rootfs\":{"
                   "\"type\":\"layers\",\"diff_ids\":[\"" DF "\"]},\"history\":[{\"created_by\":"
                   "\"import\",\"comment\":\"imported\"}]}");
        img_config_free(steal_ptr(back));
        ok(img_config_parse(s3, strlen(s3), &back, NULL) == 0);
        ok(back && back->has_cmd && !back->has_entrypoint && back->cmd && !back->cmd[0]);
        ok(back && back->created_unix == 1700000000);
}

int main(void)
{
        test_oci_manifest();
        test_docker_manifest();
        test_index();
        test_docker_list();
        test_pick_preferences();
        test_host_arch();
        test_manifest_errors();
        test_manifest_bounds();
        test_media_type_sources();
        test_manifest_serialize();
        test_config();
        test_config_presence();
        test_config_errors();
        test_config_serialize();
        return tap_done();
}
