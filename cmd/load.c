/* den load: images from a docker-archive or oci-archive file or standard input. */
#include "cmd.h"

static int run(struct cmd_ctx *ctx, const struct cmd_args *a, den_error **err)
{
        const char *input = cmd_str(a, "input");
        _cleanup_close_ int fd = -EBADF;
        _cleanup_strv_ char **loaded = NULL;
        struct store *s = NULL;

        if (!input || streq(input, "-") || streq(input, "/dev/stdin")) {
                if (isatty(STDIN_FILENO))
                        return den_error_set(err, 0,
                                             "cannot read from terminal, use "
                                             "command-line redirection or the --input "
                                             "flag");
                fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
        } else {
                fd = open(input, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        }
        if (fd < 0)
                return den_error_set(err, errno, "open \"%s\"", input ? input : "stdin");
        if (cmd_ctx_store(ctx, true, &s, err) < 0 || img_load(s, fd, &loaded, err) < 0)
                return -1;
        for (size_t i = 0; loaded[i]; i++)
                printf("Loaded image: %s\n", loaded[i]);
        return 0;
}

static const struct cmd_opt opts[] = {
        { "input", 'i', CMD_OPT_STRING, "string",
          "Read from specified archive file (default: stdin)" },
        { "quiet", 'q', CMD_OPT_BOOL, NULL, "Suppress the output" },
        { 0 },
};

const struct cmd cmd_load = {
        .name = "load",
        .aliases = { "image load" },
        .usage = "[options]",
        .summary = "Load image(s) from a tar archive",
        .opts = opts,
        .max_args = 0,
        .flags = CMD_F_USERNS | CMD_F_STORE_WRITE,
        .run = run,
};
