/* den rmi: remove images (or untag the name given when the image has other names). Exit
 * status as podman's: 1 when an image did not exist and nothing else failed, 2 when one is
 * in use, 125 otherwise. */
#include "cmd.h"

static void print_removal(const struct store_image *img)
{
        for (size_t i = 0; img->names && img->names[i]; i++)
                printf("Untagged: %s\n", img->names[i]);
        printf("Deleted: %s\n", img->id);
}

static int remove_one(struct store *s, const char *name, bool is_force, den_error **err)
{
        struct store_image *img = NULL;
        int r;

        if (store_image_find(s, name, &img, err) < 0)
                return -1;
        /* a name that is one of several tags only loses that tag, as podman does */
        if (den_strv_len(img->names) > 1 && !img_ref_looks_like_id(name) &&
            !den_str_has_prefix(name, "sha256:")) {
                const char *match = NULL;
                _cleanup_free_ char *with_tag = xasprintf("%s:latest", name);

                for (size_t i = 0; img->names[i]; i++) {
                        size_t nl = strlen(img->names[i]), ql = strlen(name);

                        if (streq(img->names[i], name) || streq(img->names[i], with_tag) ||
                            (nl > ql && img->names[i][nl - ql - 1] == '/' &&
                             streq(img->names[i] + nl - ql, name)))
                                match = img->names[i];
                        else if (!match && strchr(name, ':') == NULL) {
                                size_t tl = strlen(with_tag);

                                if (nl > tl && img->names[i][nl - tl - 1] == '/' &&
                                    streq(img->names[i] + nl - tl, with_tag))
                                        match = img->names[i];
                        }
                }
                if (match) {
                        r = store_image_untag(s, img->id, match, err);
                        if (r == 0)
                                printf("Untagged: %s\n", match);
                        store_image_free(img);
                        return r;
                }
        }
        if (den_strv_len(img->names) > 1 && !is_force) {
                r = den_error_set(err, 0,
                                  "unable to delete image \"%s\" by ID with more than one tag "
                                  "(%s, ...): please force removal",
                                  img->id, img->names[0]);
                store_image_free(img);
                return r;
        }
        r = store_image_remove(s, img->id, err);
        if (r == 0)
                print_removal(img);
        store_image_free(img);
        return r;
}

static int run(struct cmd_ctx *ctx, const struct cmd_args *a, den_error **err)
{
        bool is_all = cmd_flag(a, "all"), is_force = cmd_flag(a, "force");
        bool is_ignore = cmd_flag(a, "ignore");
        struct store *s = NULL;
        int status = 0;

        if (is_all && a->n_pos > 0)
                return den_error_set(err, 0,
                                     "when using the --all switch, you may not pass any "
                                     "images names or IDs");
        if (!is_all && a->n_pos == 0)
                return den_error_set(err, 0, "image name or ID must be specified");
        if (cmd_ctx_store(ctx, true, &s, err) < 0)
                return -1;
        if (is_all) {
                struct store_image **imgs = NULL;
                size_t n = 0;

                if (store_images_list(s, &imgs, &n, err) < 0)
                        return -1;
                for (size_t i = 0; i < n && status == 0; i++) {
                        if (store_image_remove(s, imgs[i]->id, err) < 0)
                                status = -1;
                        else
                                print_removal(imgs[i]);
                }
                store_images_free(imgs, n);
                return status;
        }
        for (size_t i = 0; i < a->n_pos; i++) {
                den_error *e = NULL;

                if (remove_one(s, a->pos[i], is_force, &e) == 0)
                        continue;
                if (e->errnum == ENOENT && is_ignore) {
                        den_error_free(e);
                        continue;
                }
                if (e->errnum == ENOENT && status == 0) {
                        /* podman reports a missing image and goes on; exit 1 at the end */
                        _cleanup_free_ char *text = den_error_text(e);

                        fprintf(stderr, "Error: %s\n", text);
                        den_error_free(e);
                        status = 1;
                        continue;
                }
                if (err && !*err)
                        *err = e;
                else
                        den_error_free(e);
                return -1;
        }
        return status;
}

static const struct cmd_opt opts[] = {
        { "all", 'a', CMD_OPT_BOOL, NULL, "Remove all images" },
        { "force", 'f', CMD_OPT_BOOL, NULL, "Force Removal of the image" },
        { "ignore", 'i', CMD_OPT_BOOL, NULL, "Ignore errors if a specified image does not exist" },
        { 0 },
};

const struct cmd cmd_rmi = {
        .name = "rmi",
        .aliases = { "image rm" },
        .usage = "[options] IMAGE [IMAGE...]",
        .summary = "Remove one or more images from local storage",
        .opts = opts,
        .max_args = -1,
        .flags = CMD_F_USERNS | CMD_F_STORE_WRITE,
        .run = run,
};
