/* den tag / untag: add or remove names of an image. Unqualified names get "localhost/", as
 * podman gives them. */
#include "cmd.h"

static int normalize(const char *name, char **ret, den_error **err)
{
        _cleanup_(img_ref_freep) struct img_ref *ref = NULL;

        if (img_ref_parse(name, &ref, err) < 0)
                return -1;
        if (ref->digest)
                return den_error_set(err, 0, "tag \"%s\": a digest is not a tag", name);
        if (!ref->domain)
                ref->domain = xstrdup("localhost");
        *ret = img_ref_string(ref);
        return 0;
}

static int run_tag(struct cmd_ctx *ctx, const struct cmd_args *a, den_error **err)
{
        struct store *s = NULL;
        struct store_image *img = NULL;
        int r = 0;

        if (cmd_ctx_store(ctx, true, &s, err) < 0 || store_image_find(s, a->pos[0], &img, err) < 0)
                return -1;
        for (size_t i = 1; i < a->n_pos && r == 0; i++) {
                _cleanup_free_ char *name = NULL;

                r = normalize(a->pos[i], &name, err);
                if (r == 0)
                        r = store_image_tag(s, img->id, name, err);
        }
        store_image_free(img);
        return r;
}

static int run_untag(struct cmd_ctx *ctx, const struct cmd_args *a, den_error **err)
{
        struct store *s = NULL;
        struct store_image *img = NULL;
        int r = 0;

        if (cmd_ctx_store(ctx, true, &s, err) < 0 || store_image_find(s, a->pos[0], &img, err) < 0)
                return -1;
        if (a->n_pos == 1)
                r = img->names && img->names[0] ? store_image_untag(s, img->id, NULL, err) : 0;
        for (size_t i = 1; i < a->n_pos && r == 0; i++) {
                _cleanup_free_ char *name = NULL;

                r = normalize(a->pos[i], &name, err);
                if (r == 0)
                        r = store_image_untag(s, img->id, name, err);
        }
        store_image_free(img);
        return r;
}

static const struct cmd_opt no_opts[] = { { 0 } };

const struct cmd cmd_tag = {
        .name = "tag",
        .aliases = { "image tag" },
        .usage = "IMAGE TARGET_NAME [TARGET_NAME...]",
        .summary = "Add an additional name to a local image",
        .opts = no_opts,
        .min_args = 2,
        .max_args = -1,
        .flags = CMD_F_STORE_WRITE,
        .run = run_tag,
};

const struct cmd cmd_untag = {
        .name = "untag",
        .aliases = { "image untag" },
        .usage = "IMAGE [IMAGE...]",
        .summary = "Remove a name from a local image",
        .opts = no_opts,
        .min_args = 1,
        .max_args = -1,
        .flags = CMD_F_STORE_WRITE,
        .run = run_untag,
};
