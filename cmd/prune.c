/* den image prune: remove dangling images (all unused ones with -a). */
#include "cmd.h"

static bool confirm(bool is_all)
{
        char line[16];

        fprintf(stdout,
                "WARNING! This command removes all %s images.\n"
                "Are you sure you want to continue? [y/N] ",
                is_all ? "images not used by at least one container" : "dangling");
        fflush(stdout);
        if (!fgets(line, sizeof(line), stdin))
                return false;
        return line[0] == 'y' || line[0] == 'Y';
}

static int run(struct cmd_ctx *ctx, const struct cmd_args *a, den_error **err)
{
        bool is_all = cmd_flag(a, "all");
        struct store_image **imgs = NULL;
        struct store *s = NULL;
        size_t n = 0;
        int r = 0;

        if (!cmd_flag(a, "force") && !confirm(is_all))
                return 0;
        if (cmd_ctx_store(ctx, true, &s, err) < 0 || store_images_list(s, &imgs, &n, err) < 0)
                return -1;
        for (size_t i = 0; i < n && r == 0; i++) {
                if (!is_all && imgs[i]->names && imgs[i]->names[0])
                        continue;
                r = store_image_remove(s, imgs[i]->id, err);
                if (r == 0)
                        printf("%s\n", imgs[i]->id);
        }
        store_images_free(imgs, n);
        return r;
}

static const struct cmd_opt opts[] = {
        { "all", 'a', CMD_OPT_BOOL, NULL,
          "Remove all images not in use by containers, not just dangling ones" },
        { "force", 'f', CMD_OPT_BOOL, NULL, "Do not prompt for confirmation" },
        { 0 },
};

const struct cmd cmd_image_prune = {
        .name = "image prune",
        .usage = "[options]",
        .summary = "Remove unused images",
        .opts = opts,
        .max_args = 0,
        .flags = CMD_F_USERNS | CMD_F_STORE_WRITE,
        .run = run,
};
