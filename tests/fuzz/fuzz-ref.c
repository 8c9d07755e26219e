/* Fuzz target for image/ref.c: parses the input as an image reference; a parsed reference
 * must be valid in every part, and its canonical string must parse back to itself. */
#include <stdint.h>

#include "image/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_parts(const struct img_ref *r)
{
        if (!r->path || !*r->path || (r->domain && !*r->domain))
                abort();
        for (const char *p = r->path; *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                        abort();
        if (r->digest && !den_digest_is_valid(r->digest))
                abort();
        if (r->tag && (!*r->tag || strlen(r->tag) > 128))
                abort();
        if (r->domain && streq(r->domain, "index.docker.io"))
                abort(); /* normalized to docker.io */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct img_ref *r = NULL, *back = NULL, *dup;
        den_error *err = NULL;
        char *s, *s2, *repo, *input;

        if (size > 4096)
                return 0;
        input = xstrndup((const char *) data, size);
        (void) img_ref_looks_like_id(input);
        if (img_ref_parse(input, &r, &err) < 0) {
                if (!err || !err->msg || r)
                        abort();
                den_error_free(err);
                free(input);
                return 0;
        }
        check_parts(r);
        s = img_ref_string(r);
        repo = img_ref_repo(r);
        if (strncmp(s, repo, strlen(repo)) != 0)
                abort();
        if (img_ref_parse(s, &back, &err) < 0) {
                fprintf(stderr, "canonical form does not parse: %s: %s\n", s, err->msg);
                abort();
        }
        s2 = img_ref_string(back);
        if (!streq(s, s2)) {
                fprintf(stderr, "not a fixed point: %s -> %s\n", s, s2);
                abort();
        }
        dup = img_ref_dup(r);
        free(s2);
        s2 = img_ref_string(dup);
        if (!streq(s, s2))
                abort();
        img_ref_free(dup);
        img_ref_free(back);
        img_ref_free(r);
        free(s);
        free(s2);
        free(repo);
        free(input);
        return 0;
}
