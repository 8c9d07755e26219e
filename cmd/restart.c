/* den restart: stops the running containers named (their stop signal, then SIGKILL after
 * the timeout) and starts them again detached, as podman does; exited and created ones are
 * just started.
 *
 * Two phases, because each needs other namespaces. Stopping signals from the user's own
 * namespaces, where the user owns every container's user namespace and may signal any of
 * its processes. Starting runs as root in den's user namespace with a private mount
 * namespace (where the root is mounted), entered only once every stop is done. */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include "ctr-run.h"

/* Containers named on the command line, or with --all those not running (podman's -a),
 * with --running those running, with --latest the newest. */
static int select_ctrs(struct store *s, const struct cmd_args *a, struct cmd_ctr ***ret,
                       size_t *ret_n, den_error **err)
{
        bool is_all = cmd_flag(a, "all"), is_running = cmd_flag(a, "running");
        bool is_latest = cmd_flag(a, "latest");
        struct cmd_ctr **v = NULL;
        size_t n = 0, k = 0;

        if ((is_all || is_latest || is_running) && a->n_pos)
                return den_error_set(err, 0,
                                     "--all, --latest and containers cannot be used together");
        if (!is_all && !is_latest && !is_running) {
                if (!a->n_pos)
                        return den_error_set(err, 0, "you must provide at least one name or id");
                return cmd_ctr_load_named(s, a->pos, a->n_pos, ret, ret_n, err);
        }
        if (cmd_ctr_load_all(s, &v, &n, err) < 0)
                return -1;
        for (size_t i = 0; i < n; i++) {
                bool is_up = cmd_ctr_is_running(v[i]);
                bool keep = is_latest ? i == 0 : (is_running && is_up) || (is_all && !is_up);

                if (keep)
                        v[k++] = v[i];
                else
                        cmd_ctr_free(v[i]);
        }
        *ret = v;
        *ret_n = k;
        return 0;
}

/* Enters den's user namespace: the one of a container whose namespaces one of them shares
 * when that one runs (a sibling namespace could not join them), else a new one. */
static int enter_userns(struct cmd_ctx *ctx, struct cmd_ctr **v, size_t n, den_error **err)
{
        _cleanup_free_ const char **names = xcalloc(2 * n + 1, sizeof(*names));
        size_t k = 0;
        pid_t owner = 0;

        for (size_t i = 0; i < n; i++)
                k += cmd_ctr_shared_ns_names(v[i], names + k);
        if (rt_userns_plan(&ctx->userns, err) < 0)
                return -1;
        if (k && cmd_ctr_userns_owner(ctx, names, k, &owner, err) < 0)
                return -1;
        return owner > 0 ? rt_userns_join(ctx->userns, owner, err)
                         : rt_userns_enter(ctx->userns, err);
}

/* den's user namespace (unless already inside it, under `den unshare`) and a private mount
 * namespace. The store is reopened inside. */
static int enter_namespaces(struct cmd_ctx *ctx, struct cmd_ctr **v, size_t n, den_error **err)
{
        store_free(steal_ptr(ctx->store));
        if (!rt_userns_is_inside() && enter_userns(ctx, v, n, err) < 0)
                return -1;
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return den_error_set(err, errno, "set up a private mount namespace");
        return 0;
}

static int run(struct cmd_ctx *ctx, const struct cmd_args *a, den_error **err)
{
        struct cmd_ctr **v = NULL;
        struct store *s;
        size_t n = 0;
        int timeout = -1, r = 0;

        if (cmd_is_set(a, "time") && den_parse_int(cmd_str(a, "time"), 0, INT32_MAX, &timeout) < 0)
                return den_error_set(err, 0, "invalid argument \"%s\" for \"-t, --time\" flag",
                                     cmd_str(a, "time"));
        if (cmd_ctx_store(ctx, false, &s, err) < 0 || select_ctrs(s, a, &v, &n, err) < 0)
                return -1;
        for (size_t i = 0; i < n && r == 0; i++)
                if (cmd_ctr_is_running(v[i]))
                        /* returns once the monitor recorded the exit, so the start that
                         * follows cannot be overwritten by it */
                        r = cmd_ctr_stop(s, v[i], timeout, err);
        if (r == 0 && n)
                r = enter_namespaces(ctx, v, n, err);
        if (r == 0 && n)
                r = cmd_ctx_store(ctx, true, &s, err);
        for (size_t i = 0; i < n && r == 0; i++) {
                _cleanup_(cmd_ctr_freep) struct cmd_ctr *c = NULL;

                /* reloaded: the stop changed its record */
                r = cmd_ctr_load(s, v[i]->rec->id, &c, err);
                if (r == 0)
                        r = cmd_ctr_start(ctx, s, c, &(struct cmd_start_opts){ 0 }, NULL, err);
                if (r == 0)
                        printf("%s\n", a->n_pos ? a->pos[i] : c->rec->id);
        }
        cmd_ctrs_free(v, n);
        return r;
}

static const struct cmd_opt opts[] = {
        { "all", 'a', CMD_OPT_BOOL, NULL, "Restart all non-running containers" },
        { "latest", 'l', CMD_OPT_BOOL, NULL, "Act on the latest container den is aware of" },
        { "running", 0, CMD_OPT_BOOL, NULL, "Restart only running containers" },
        { "time", 't', CMD_OPT_STRING, "uint",
          "Seconds to wait for stop before killing the container", "10" },
        { 0 },
};

const struct cmd cmd_restart = {
        .name = "restart",
        .aliases = { "container restart" },
        .usage = "[options] CONTAINER [CONTAINER...]",
        .summary = "Restart one or more containers",
        .opts = opts,
        .max_args = -1,
        .run = run,
};
