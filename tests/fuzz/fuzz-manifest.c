/* Fuzz target for image/manifest.c: parses the input as a manifest, index or manifest list
 * under each kind of Content-Type, picks platforms from indexes, and checks that
 * serialization is a fixed point (serialize, parse, serialize gives the same bytes). */
#include <stdint.h>

#include "image/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const content_types[] = {
        IMG_MEDIA_OCI_MANIFEST,
        IMG_MEDIA_OCI_INDEX,
        IMG_MEDIA_DOCKER_MANIFEST,
        IMG_MEDIA_DOCKER_LIST,
        "application/json; charset=utf-8",
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
};

static void check_pick(const struct img_manifest *m, const char *os, const char *arch,
                       const char *variant)
{
        den_error *err = NULL;
        int i = img_manifest_pick(m, os, arch, variant, &err);

        if (i >= 0 && (size_t) i >= m->n_manifests)
                abort();
        if (i < 0 && (!err || !err->msg))
                abort();
        if (i >= 0 && m->manifests[i].os && streq(m->manifests[i].os, "unknown"))
                abort(); /* attestation entries must never be picked */
        den_error_free(err);
}

static void check_round_trip(const struct img_manifest *m)
{
        struct img_manifest *back = NULL;
        den_error *err = NULL;
        size_t len = 0;
        char *s = img_manifest_serialize(m, &len), *s2;

        if (!s || len != strlen(s))
                abort();
        if (img_manifest_parse(s, len, m->media_type, &back, &err) < 0) {
                fprintf(stderr, "re-parse failed: %s\n%s\n", err->msg, s);
                abort();
        }
        if (back->is_index != m->is_index || back->n_layers != m->n_layers ||
            back->n_manifests != m->n_manifests || !streq(back->media_type, m->media_type))
                abort();
        s2 = img_manifest_serialize(back, NULL);
        if (!streq(s, s2)) {
                fprintf(stderr, "not a fixed point:\n%s\n%s\n", s, s2);
                abort();
        }
        free(s);
        free(s2);
        img_manifest_free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *body = (const char *) data;
        struct img_manifest *m = NULL;
        den_error *err = NULL;

        for (size_t i = 0; i < ARRAY_SIZE(content_types); i++) {
                if (img_manifest_parse(body, size, content_types[i], &m, &err) == 0)
                        img_manifest_free(steal_ptr(m));
                den_error_free(steal_ptr(err));
        }
        if (img_manifest_parse(body, size, NULL, &m, &err) < 0) {
                if (!err || !err->msg || m)
                        abort();
                den_error_free(err);
                return 0;
        }
        if (m->is_index) {
                check_pick(m, NULL, NULL, NULL);
                check_pick(m, "linux", "arm64", NULL);
                check_pick(m, "linux", "arm", "v7");
                check_pick(m, "linux", "arm", NULL);
                check_pick(m, "linux", "x86_64", "v2");
                check_pick(m, "windows", "amd64", NULL);
        }
        check_round_trip(m);
        img_manifest_free(m);
        return 0;
}
