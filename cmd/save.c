/* den save: images to a docker-archive or oci-archive, on a file or standard output. A file is
 * written under a temporary name and renamed into place only when complete. */
#include <sys/stat.h>
#include "cmd.h"

/* The name to record: the one the user gave when it is one of the image's names, else the
 * image's first name; none when the image was named by ID. */
static const char *pick_name(const struct store_image *img, const char *given)
{
        _cleanup_(img_ref_freep) struct img_ref *ref = NULL;
        _cleanup_error_ den_error *e = NULL;
        _cleanup_free_ char *full = NULL;

        if (img_ref_looks_like_id(given) || den_str_has_prefix(given, "sha256:"))
                return NULL;
        if (img_ref_parse(given, &ref, &e) < 0)
                return NULL;
        full = img_ref_string(ref);
        for (size_t i = 0; img->names && img->names[i]; i++) {
                size_t nl = strlen(img->names[i]), fl = strlen(full);

                if (streq(img->names[i], full) || (nl > fl && img->names[i][nl - fl - 1] == '/' &&
                                                   streq(img->names[i] + nl - fl, full)))
                        return img->names[i];
        }
        return img->names ? img->names[0] : NULL;
}

static int run(struct cmd_ctx *ctx, const struct cmd_args *a, den_error **err)
{
        const char *format = cmd_str(a, "format");
        const char *output = cmd_str(a, "output");
        enum img_archive_format f;
        struct store *s = NULL;
        struct store_image **imgs = xcalloc(a->n_pos + 1, sizeof(*imgs));
        struct img_save_item *items = xcalloc(a->n_pos + 1, sizeof(*items));
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r = -1;

        if (streq(format, "docker-archive")) {
                f = IMG_ARCHIVE_DOCKER;
        } else if (streq(format, "oci-archive")) {
                f = IMG_ARCHIVE_OCI;
        } else {
                den_error_set(err, 0, "unsupported format \"%s\": docker-archive or oci-archive",
                              format);
                goto out;
        }
        if (cmd_ctx_store(ctx, true, &s, err) < 0)
                goto out;
        for (size_t i = 0; i < a->n_pos; i++) {
                if (store_image_find(s, a->pos[i], &imgs[i], err) < 0)
                        goto out;
                items[i] = (struct img_save_item){ .img = imgs[i],
                                                   .name = pick_name(imgs[i], a->pos[i]) };
        }
        if (!output || streq(output, "-") || streq(output, "/dev/stdout")) {
                if (isatty(STDOUT_FILENO)) {
                        den_error_set(err, 0,
                                      "refusing to save to terminal. Use -o flag or "
                                      "redirect");
                        goto out;
                }
                r = img_save(s, items, a->n_pos, f, STDOUT_FILENO, err);
                goto out;
        }
        {
                char rnd[17];

                den_random_hex(rnd, 8);
                tmp = xasprintf("%s.tmp-%s", output, rnd);
        }
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0) {
                den_error_set(err, errno, "create \"%s\"", output);
                goto out;
        }
        r = img_save(s, items, a->n_pos, f, fd, err);
        if (r == 0 && fsync(fd) < 0)
                r = den_error_set(err, errno, "write \"%s\"", output);
        if (r == 0 && rename(tmp, output) < 0)
                r = den_error_set(err, errno, "rename to \"%s\"", output);
        if (r < 0)
                (void) unlink(tmp);
out:
        for (size_t i = 0; i < a->n_pos; i++)
                store_image_free(imgs[i]);
        free(imgs);
        free(items);
        return r;
}

static const struct cmd_opt opts[] = {
        { "compress", 0, CMD_OPT_BOOL, NULL,
          "Compress tarball image layers when saving to a directory (not used for archives)" },
        { "format", 0, CMD_OPT_STRING, "string", "Save image to docker-archive or oci-archive",
          "docker-archive" },
        { "multi-image-archive", 'm', CMD_OPT_BOOL, NULL,
          "Interpret additional arguments as images not tags and create a multi-image-archive" },
        { "output", 'o', CMD_OPT_STRING, "string",
          "Write to a specified file (default: stdout, which must be redirected)" },
        { "quiet", 'q', CMD_OPT_BOOL, NULL, "Suppress the output" },
        { 0 },
};

const struct cmd cmd_save = {
        .name = "save",
        .aliases = { "image save" },
        .usage = "[options] IMAGE [IMAGE...]",
        .summary = "Save image(s) to an archive",
        .opts = opts,
        .min_args = 1,
        .max_args = -1,
        .flags = CMD_F_USERNS | CMD_F_STORE_WRITE,
        .run = run,
};
