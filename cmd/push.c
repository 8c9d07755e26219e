/* den push: send a stored image to a registry. */
#include "cmd.h"

int cmd_client_opts(const struct cmd_args *a, struct img_client_opts *o, char **ret_user,
                    char **ret_pass, den_error **err);

static int run(struct cmd_ctx *ctx, const struct cmd_args *a, den_error **err)
{
        _cleanup_free_ char *user = NULL;
        _cleanup_free_ char *pass = NULL;
        _cleanup_(img_ref_freep) struct img_ref *dest = NULL;
        struct img_push_opts po = { .is_quiet = cmd_flag(a, "quiet"), .progress_out = stderr };
        const char *format = cmd_str(a, "format");
        const char *comp = cmd_str(a, "compression-format");
        const char *target = a->n_pos > 1 ? a->pos[1] : a->pos[0];
        const char *digestfile = cmd_str(a, "digestfile");
        struct store_image *img = NULL;
        struct store *s = NULL;
        char digest[72];
        int r;

        if (format && !streq(format, "oci") && !streq(format, "v2s2") && !streq(format, "docker"))
                return den_error_set(err, 0, "unsupported manifest format \"%s\": oci or v2s2",
                                     format);
        if (format)
                po.format = streq(format, "oci") ? "oci" : "v2s2";
        if (comp && !streq(comp, "gzip"))
                return den_error_set(err, 0, "unsupported compression format \"%s\": gzip", comp);
        if (den_str_has_prefix(target, "docker://")) {
                target += 9;
        } else {
                static const char *const transports[] = {
                        "oci:", "oci-archive:",        "docker-archive:",
                        "dir:", "containers-storage:", "docker-daemon:"
                };

                for (size_t i = 0; i < ARRAY_SIZE(transports); i++)
                        if (den_str_has_prefix(target, transports[i]))
                                return den_error_set(err, 0,
                                                     "unsupported destination \"%s\": push "
                                                     "sends to registries; use den save for "
                                                     "archives",
                                                     target);
        }
        if (cmd_client_opts(a, &po.client, &user, &pass, err) < 0)
                return -1;
        if (img_ref_parse(target, &dest, err) < 0)
                return -1;
        if (!dest->domain)
                return den_error_set(err, 0,
                                     "push \"%s\": the destination must name a registry "
                                     "(REGISTRY/REPOSITORY[:TAG])",
                                     target);
        if (cmd_ctx_store(ctx, true, &s, err) < 0 || store_image_find(s, a->pos[0], &img, err) < 0)
                return -1;
        r = img_push(s, img, dest, &po, digest, err);
        store_image_free(img);
        if (r < 0)
                return den_error_wrap(err, "push \"%s\"", target);
        if (digestfile) {
                r = den_write_file_atomic_at(AT_FDCWD, digestfile, digest, strlen(digest), 0644);
                if (r < 0)
                        return den_error_set(err, -r, "write digest file \"%s\"", digestfile);
        }
        return 0;
}

static const struct cmd_opt opts[] = {
        { "authfile", 0, CMD_OPT_STRING, "string", "Path of the authentication file" },
        { "cert-dir", 0, CMD_OPT_STRING, "Pathname",
          "Path to a directory containing TLS certificates and keys" },
        { "compression-format", 0, CMD_OPT_STRING, "string", "compression format to use (gzip)" },
        { "creds", 0, CMD_OPT_STRING, "[username[:password]]",
          "Credentials (USERNAME:PASSWORD) to use for authenticating to a registry" },
        { "digestfile", 0, CMD_OPT_STRING, "string",
          "Write the digest of the pushed image to the specified file" },
        { "format", 'f', CMD_OPT_STRING, "string",
          "Manifest type (oci, v2s2, or docker) to use in the destination" },
        { "quiet", 'q', CMD_OPT_BOOL, NULL, "Suppress output information when pushing images" },
        { "remove-signatures", 0, CMD_OPT_BOOL, NULL,
          "Discard any pre-existing signatures in the image" },
        { "tls-verify", 0, CMD_OPT_BOOL, NULL,
          "Require HTTPS and verify certificates when contacting registries" },
        { 0 },
};

const struct cmd cmd_push = {
        .name = "push",
        .aliases = { "image push" },
        .usage = "[options] IMAGE [DESTINATION]",
        .summary = "Push an image to a specified destination",
        .opts = opts,
        .min_args = 1,
        .max_args = 2,
        .flags = CMD_F_USERNS | CMD_F_STORE_WRITE,
        .run = run,
};
