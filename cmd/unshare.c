/* den unshare [COMMAND [ARG...]]: runs a command in den's user namespace (root there, the
 * subordinate ids mapped), where files of the store that belong to container users can be
 * read and removed. As podman unshare, it exports CONTAINERS_GRAPHROOT and
 * CONTAINERS_RUNROOT, and runs $SHELL (else /bin/sh) without a command. The command also
 * gets a mount namespace owned by that user namespace, where `den mount` can mount roots. */
#include <signal.h>
#include "cmd.h"

static int run(struct cmd_ctx *ctx, const struct cmd_args *a, den_error **err)
{
        const char *shell = getenv("SHELL");
        char *sh_argv[] = { (char *) (shell && *shell ? shell : "/bin/sh"), NULL };
        char *const *argv = a->n_pos ? a->pos : sh_argv;

        if (setenv("CONTAINERS_GRAPHROOT", ctx->root, 1) < 0 ||
            setenv("CONTAINERS_RUNROOT", ctx->runroot, 1) < 0)
                return den_error_set(err, errno, "setenv");
        (void) signal(SIGPIPE, SIG_DFL);
        fflush(stdout);
        execvp(argv[0], argv);
        den_error_set(err, errno, "exec %s", argv[0]);
        (*err)->exit_status = errno == ENOENT ? 127 : 126;
        return -1;
}

static const struct cmd_opt opts[] = { { 0 } };

const struct cmd cmd_unshare = {
        .name = "unshare",
        .usage = "[COMMAND [ARG...]]",
        .summary = "Run a command in a modified user namespace",
        .opts = opts,
        .max_args = -1,
        .flags = CMD_F_USERNS | CMD_F_MOUNTNS | CMD_F_STOP_AT_ARG,
        .run = run,
};

/* podman stops its pause process here; den's counterpart is the holder of its user
 * namespace, which the next command that needs the namespace starts again. */
static int run_migrate(struct cmd_ctx *ctx, const struct cmd_args *a, den_error **err)
{
        (void) ctx;
        (void) a;
        return rt_userns_holder_stop(err);
}

const struct cmd cmd_system_migrate = {
        .name = "system migrate",
        .usage = "[options]",
        .summary = "Stop the process that keeps den's user namespace between commands",
        .description = "den keeps the user namespace of its first command in a holder process "
                       "(den-userns), which later commands join instead of running newuidmap "
                       "and newgidmap again. This stops it, as after an edit of /etc/subuid or "
                       "/etc/subgid; the next command starts a new one.",
        .opts = opts,
        .max_args = 0,
        .run = run_migrate,
};
