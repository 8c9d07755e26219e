/* den import: a root file system tarball (file or "-") becomes an image. */
#include "cmd.h"

static int run(struct cmd_ctx *ctx, const struct cmd_args *a, den_error **err)
{
        _cleanup_(img_ref_freep) struct img_ref *ref = NULL;
        _cleanup_free_ char *name = NULL;
        _cleanup_free_ char *id = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct img_import_opts o = {
                .changes = cmd_strv(a, "change"),
                .message = cmd_str(a, "message"),
                .os = cmd_str(a, "os"),
                .arch = cmd_str(a, "arch"),
                .variant = cmd_str(a, "variant"),
        };
        struct store *s = NULL;
        const char *src = a->pos[0];

        if (den_str_has_prefix(src, "http://") || den_str_has_prefix(src, "https://"))
                return den_error_set(err, 0,
                                     "import \"%s\": importing from a URL is not "
                                     "supported; download it and import the file",
                                     src);
        if (a->n_pos > 1) {
                if (img_ref_parse(a->pos[1], &ref, err) < 0)
                        return -1;
                if (ref->digest)
                        return den_error_set(err, 0, "import: \"%s\" names a digest", a->pos[1]);
                if (!ref->domain)
                        ref->domain = xstrdup("localhost");
                name = img_ref_string(ref);
                o.name = name;
        }
        if (o.os && !streq(o.os, "linux"))
                return den_error_set(err, 0, "unsupported OS \"%s\"", o.os);
        if (streq(src, "-")) {
                fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
        } else {
                fd = open(src, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        }
        if (fd < 0)
                return den_error_set(err, errno, "open \"%s\"", src);
        if (cmd_ctx_store(ctx, true, &s, err) < 0 || img_import(s, fd, &o, &id, err) < 0)
                return den_error_wrap(err, "import \"%s\"", src);
        printf("sha256:%s\n", id);
        return 0;
}

static const struct cmd_opt opts[] = {
        { "arch", 0, CMD_OPT_STRING, "string", "Set the architecture of the imported image" },
        { "change", 'c', CMD_OPT_STRINGS, "stringArray",
          "Apply the following possible instructions to the created image (default []): CMD | "
          "ENTRYPOINT | ENV | EXPOSE | LABEL | ONBUILD | STOPSIGNAL | USER | VOLUME | WORKDIR" },
        { "message", 'm', CMD_OPT_STRING, "string", "Set commit message for imported image" },
        { "os", 0, CMD_OPT_STRING, "string", "Set the OS of the imported image" },
        { "quiet", 'q', CMD_OPT_BOOL, NULL, "Suppress output" },
        { "variant", 0, CMD_OPT_STRING, "string", "Set the variant of the imported image" },
        { 0 },
};

const struct cmd cmd_import = {
        .name = "import",
        .aliases = { "image import" },
        .usage = "[options] PATH [REFERENCE]",
        .summary = "Import a tarball to create a filesystem image",
        .opts = opts,
        .min_args = 1,
        .max_args = 2,
        .flags = CMD_F_USERNS | CMD_F_STORE_WRITE,
        .run = run,
};
