/* den's entry point: global options, dispatch, the user namespace entry for commands that
 * touch container files, and the one place that prints an error and picks the exit code. */
#include <signal.h>
#include <sched.h>
#include <sys/mount.h>
#include "cmd.h"

static const struct cmd_opt root_opts[] = {
        { "version", 'v', CMD_OPT_BOOL, NULL, "Version of den" },
        { 0 },
};
static const struct cmd root_cmd = {
        .name = "",
        .opts = root_opts,
        .flags = CMD_F_STOP_AT_ARG,
};

static int fail(den_error *err)
{
        _cleanup_free_ char *text = den_error_text(err);
        int status = err && err->exit_status ? err->exit_status : 125;

        fflush(stdout);
        fprintf(stderr, "Error: %s\n", text);
        den_error_free(err);
        return status;
}

static int setup_ctx(struct cmd_ctx *ctx, struct cmd_value *g, den_error **err)
{
        int level;

        if (g[3].is_set) {
                level = den_log_level_parse(g[3].s);
                if (level < 0)
                        return den_error_set(err, 0, "invalid log level \"%s\"", g[3].s);
                den_log_level_current = level;
        }
        ctx->root = g[0].is_set ? xstrdup(g[0].s) : store_default_root();
        ctx->runroot = g[1].is_set ? xstrdup(g[1].s) : store_default_runroot();
        ctx->storage_driver = g[2].is_set ? xstrdup(g[2].s) : NULL;
        if (!*ctx->root || !*ctx->runroot)
                return den_error_set(err, 0, "--root and --runroot must not be empty");
        ctx->is_stdout_tty = isatty(STDOUT_FILENO);
        ctx->is_stderr_tty = isatty(STDERR_FILENO);
        return 0;
}

static int check_arg_count(const struct cmd *c, const struct cmd_args *a, den_error **err)
{
        if (c->min_args == c->max_args && (int) a->n_pos != c->min_args) {
                if (c->min_args == 0)
                        return den_error_set(err, 0, "\"den %s\" accepts no arguments", c->name);
                return den_error_set(err, 0, "\"den %s\" requires exactly %d argument%s", c->name,
                                     c->min_args, c->min_args == 1 ? "" : "s");
        }
        if ((int) a->n_pos < c->min_args)
                return den_error_set(err, 0, "\"den %s\" requires at least %d argument%s", c->name,
                                     c->min_args, c->min_args == 1 ? "" : "s");
        if (c->max_args >= 0 && (int) a->n_pos > c->max_args)
                return den_error_set(err, 0, "\"den %s\" accepts at most %d argument%s", c->name,
                                     c->max_args, c->max_args == 1 ? "" : "s");
        return 0;
}

static int run_cmd(const struct cmd *c, int argc, char **argv, struct cmd_value *g, den_error **err)
{
        _cleanup_(cmd_ctx_clear) struct cmd_ctx ctx = { 0 };
        struct cmd_args a = { 0 };
        int r;

        if (cmd_args_parse(c, argc, argv, &a, g, err) < 0)
                return den_error_wrap(err, "den %s", c->name);
        if (g[4].is_set && g[4].b) {
                cmd_print_help(stdout, c);
                cmd_args_clear(&a);
                return 0;
        }
        r = check_arg_count(c, &a, err);
        if (r == 0)
                r = setup_ctx(&ctx, g, err);
        if (r == 0 && (c->flags & CMD_F_USERNS) && !rt_userns_is_inside()) {
                pid_t owner = 0;

                /* before any thread exists: unshare(CLONE_NEWUSER) needs a single thread */
                r = rt_userns_plan(&ctx.userns, err);
                if (r == 0 && c->userns_owner)
                        r = c->userns_owner(&ctx, &a, &owner, err);
                if (r == 0)
                        r = owner > 0 ? rt_userns_join(ctx.userns, owner, err)
                                      : rt_userns_enter(ctx.userns, err);
        }
        /* before the store is opened: a mount through a directory fd of another mount
         * namespace is refused (EINVAL) */
        if (r == 0 && (c->flags & CMD_F_MOUNTNS) &&
            (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0))
                r = den_error_set(err, errno, "set up a private mount namespace");
        if (r == 0)
                r = c->run(&ctx, &a, err);
        cmd_args_clear(&a);
        return r;
}

static int den_main(int argc, char **argv, struct cmd_value *globals, struct cmd_args *ra_)
{
        struct cmd_args ra = { 0 };
        den_error *err = NULL;
        const struct cmd *c;
        int consumed = 0;
        int r;

        (void) signal(SIGPIPE, SIG_IGN);
        if (cmd_args_parse(&root_cmd, argc - 1, argv + 1, &ra, globals, &err) < 0)
                return fail(err);
        *ra_ = ra; /* the caller frees it, whatever path returns */
        if (cmd_flag(&ra, "version")) {
                printf("den version %s\n", DEN_VERSION);
                return 0;
        }
        if (ra.n_pos == 0) {
                if (globals[4].is_set) {
                        cmd_print_root_help(stdout);
                        return 0;
                }
                cmd_print_root_help(stderr);
                den_error_set(&err, 0, "missing command 'den COMMAND'");
                return fail(err);
        }
        c = cmd_find((int) ra.n_pos, ra.pos, &consumed);
        if (!c) {
                den_error_set(&err, 0, "unrecognized command `den %s`", ra.pos[0]);
                return fail(err);
        }
        r = run_cmd(c, (int) ra.n_pos - consumed, ra.pos + consumed, globals, &err);
        if (r < 0)
                return fail(err);
        fflush(stdout);
        if (ferror(stdout)) {
                den_error_set(&err, EIO, "write to standard output");
                return fail(err);
        }
        return r;
}

int main(int argc, char **argv)
{
        struct cmd_value globals[8] = { 0 };
        struct cmd_args ra = { 0 };
        int r = den_main(argc, argv, globals, &ra);

        cmd_args_clear(&ra);
        for (size_t i = 0; i < ARRAY_SIZE(globals); i++) {
                free(globals[i].s);
                den_strv_free(globals[i].v);
        }
        if (rt_has_joined_container) {
                /* in a container's pid namespace for children and its mount namespace, exit
                 * handlers that fork a helper to inspect this process cannot find it */
                (void) fflush(NULL);
                _exit(r);
        }
        return r;
}
