/* den image exists: exit 0 when the image is in the store, 1 when not; no output. */
#include "cmd.h"

static int run(struct cmd_ctx *ctx, const struct cmd_args *a, den_error **err)
{
        struct store *s = NULL;
        struct store_image *img = NULL;
        den_error *e = NULL;

        if (cmd_ctx_store(ctx, false, &s, err) < 0)
                return -1;
        if (store_image_find(s, a->pos[0], &img, &e) < 0) {
                if (e->errnum == ENOENT) {
                        den_error_free(e);
                        return 1;
                }
                *err = e;
                return -1;
        }
        store_image_free(img);
        return 0;
}

static const struct cmd_opt no_opts[] = { { 0 } };

const struct cmd cmd_image_exists = {
        .name = "image exists",
        .usage = "IMAGE",
        .summary = "Check if an image exists in local storage",
        .opts = no_opts,
        .min_args = 1,
        .max_args = 1,
        .run = run,
};
