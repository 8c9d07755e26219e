/* Signals, stop, wait and removal of containers, and the commands built on them: stop, kill,
 * rm, wait, container cleanup (run by the monitor when a container exits), prune. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include "ctr-run.h"

/* Enters den's user namespace for a command that first had to act from outside it (a
 * container process of another id can be signalled only from the user's own namespace). */
static int enter_userns(struct cmd_ctx *ctx, den_error **err)
{
        if (rt_userns_is_inside())
                return 0;
        store_free(steal_ptr(ctx->store));
        if (!ctx->userns && rt_userns_plan(&ctx->userns, err) < 0)
                return -1;
        return rt_userns_enter(ctx->userns, err);
}

/* "SIGTERM", "TERM", "15" -> 15; -1 when unknown. */
static int signal_number(const char *name)
{
        _cleanup_free_ char *n = cmd_ctr_signal_normalize(name);

        if (!n)
                return -1;
        if (strncmp(n, "SIGRTMIN+", 9) == 0)
                return SIGRTMIN + atoi(n + 9);
        for (int i = 1; i < SIGRTMIN; i++) {
                const char *a = sigabbrev_np(i);

                if (a && streq(a, n + 3))
                        return i;
        }
        return -1;
}

int cmd_ctr_signal(struct cmd_ctr *c, int sig, den_error **err)
{
        if (!cmd_ctr_is_running(c))
                return den_error_set(err, 0,
                                     "can only kill running containers. %s is in state %s: "
                                     "container state improper",
                                     c->rec->id, c->status);
        /* the init is the monitor's child for every runtime (den is the external runtimes'
         * subreaper), and the user owns the container's user namespace: signal it directly */
        if (c->pid > 0 && kill(c->pid, sig) < 0 && errno != ESRCH) /* 0: it is exiting */
                return den_error_set(err, errno, "send signal %d to container %s", sig, c->rec->id);
        return 0;
}

int cmd_ctr_wait_exit(struct store *s, struct cmd_ctr *c, int timeout_ms)
{
        struct timespec ts = { 0, 20 * 1000 * 1000 };
        int waited = 0;

        for (;;) {
                /* the state is in state.json and the exit record, not in the record */
                cmd_ctr_refresh(s, c);
                if (!cmd_ctr_is_running(c))
                        return 0;
                if (timeout_ms >= 0 && waited >= timeout_ms)
                        return 1;
                nanosleep(&ts, NULL);
                waited += 20;
        }
}

/* A pidfd for the container's den-monitor while it lives, else -1. Opened before the stop, so
 * a reused pid is never waited for. */
static int monitor_pidfd(const struct cmd_ctr *c)
{
        pid_t pid = cmd_ctr_monitor_pid(c);

        return pid > 0 ? (int) syscall(SYS_pidfd_open, pid, 0) : -1;
}

/* The monitor records the exit (and removes a --rm container) after the container is gone;
 * a stop returns after that, so a start that follows cannot have its state overwritten.
 * Bounded by the monitor's own limit for its exit command. */
static void monitor_wait(int pidfd)
{
        struct pollfd p = { .fd = pidfd, .events = POLLIN };

        if (pidfd < 0)
                return;
        while (poll(&p, 1, 130 * 1000) < 0 && errno == EINTR)
                ;
}

static int stop_signal(struct store *s, struct cmd_ctr *c, int timeout, den_error **err);

int cmd_ctr_stop(struct store *s, struct cmd_ctr *c, int timeout, den_error **err)
{
        _cleanup_close_ int mon = monitor_pidfd(c);
        int r = stop_signal(s, c, timeout, err);

        if (r == 0)
                monitor_wait(mon);
        return r;
}

static int stop_signal(struct store *s, struct cmd_ctr *c, int timeout, den_error **err)
{
        const char *sig_name = cmd_ctr_cfg_str(c, "Config", "StopSignal");
        int sig = sig_name ? signal_number(sig_name) : SIGTERM;

        if (!cmd_ctr_is_running(c))
                return 0;
        if (timeout < 0) {
                json_t *t = cmd_ctr_cfg(c, "Config", "StopTimeout");

                timeout = json_is_integer(t) ? (int) json_integer_value(t) : 10;
        }
        if (sig <= 0)
                sig = SIGTERM;
        if (timeout > 0) {
                if (cmd_ctr_signal(c, sig, err) < 0)
                        return -1;
                if (cmd_ctr_wait_exit(s, c, timeout * 1000) == 0)
                        return 0;
                fprintf(stderr,
                        "WARN[%04d] StopSignal %s failed to stop container %s in %d seconds, "
                        "resorting to SIGKILL\n",
                        timeout, sig_name ? sig_name : "SIGTERM", c->rec->name, timeout);
        }
        if (cmd_ctr_is_running(c) && cmd_ctr_signal(c, SIGKILL, err) < 0)
                return -1;
        (void) cmd_ctr_wait_exit(s, c, -1);
        return 0;
}

static bool is_removed_meanwhile(struct store *s, const struct cmd_ctr *c)
{
        _cleanup_(cmd_ctr_freep) struct cmd_ctr *again = NULL;
        den_error *e = NULL;

        if (cmd_ctr_load_brief(s, c->rec->id, &again, &e) == 0)
                return false;
        den_error_free(e);
        return true;
}

int cmd_ctr_remove(struct store *s, struct cmd_ctr *c, bool is_force, den_error **err)
{
        if (cmd_ctr_is_running(c)) {
                if (!is_force)
                        return den_error_set(err, 0,
                                             "cannot remove container %s as it is running - "
                                             "running or paused containers cannot be removed "
                                             "without force: container state improper",
                                             c->rec->id);
                if (cmd_ctr_signal(c, SIGKILL, err) < 0)
                        return -1;
                (void) cmd_ctr_wait_exit(s, c, -1);
        }
        if (store_container_remove(s, c->rec->id, err) == 0)
                return 0;
        /* a --rm container's own cleanup may have removed it meanwhile */
        if (is_removed_meanwhile(s, c)) {
                if (err) {
                        den_error_free(*err);
                        *err = NULL;
                }
                return 0;
        }
        return -1;
}

/* ---------------------------------------------------------------- selection helpers */

/* Containers named on the command line, or all of them with --all (-a), or the newest with
 * --latest (-l); with their configurations unless is_brief. */
static int select_ctrs(struct store *s, const struct cmd_args *a, bool is_brief,
                       struct cmd_ctr ***ret, size_t *ret_n, den_error **err)
{
        bool is_all = cmd_has_opt(a, "all") && cmd_flag(a, "all");
        bool is_latest = cmd_has_opt(a, "latest") && cmd_flag(a, "latest");

        if ((is_all || is_latest) && a->n_pos)
                return den_error_set(err, 0,
                                     "--all, --latest and containers cannot be used together");
        if (!is_all && !is_latest && !a->n_pos)
                return den_error_set(err, 0, "you must provide at least one container name or ID");
        if (is_all || is_latest) {
                if (cmd_ctr_load_all_brief(s, ret, ret_n, err) < 0)
                        return -1;
                if (is_latest && *ret_n > 1) {
                        for (size_t i = 1; i < *ret_n; i++)
                                cmd_ctr_free((*ret)[i]);
                        *ret_n = 1;
                }
        } else {
                *ret = xcalloc(a->n_pos + 1, sizeof(**ret));
                for (*ret_n = 0; *ret_n < a->n_pos; (*ret_n)++)
                        if (cmd_ctr_load_brief(s, a->pos[*ret_n], &(*ret)[*ret_n], err) < 0)
                                goto fail;
        }
        for (size_t i = 0; i < *ret_n && !is_brief; i++)
                if (cmd_ctr_load_config(s, (*ret)[i], err) < 0)
                        goto fail;
        return 0;
fail:
        cmd_ctrs_free(*ret, *ret_n);
        *ret = NULL;
        *ret_n = 0;
        return -1;
}

/* ---------------------------------------------------------------- stop / kill */

static int run_stop(struct cmd_ctx *ctx, const struct cmd_args *a, den_error **err)
{
        struct cmd_ctr **v = NULL;
        struct store *s;
        size_t n = 0;
        int timeout = -1, r = 0;

        if (cmd_is_set(a, "time") && den_parse_int(cmd_str(a, "time"), 0, INT32_MAX, &timeout) < 0)
                return den_error_set(err, 0, "invalid argument \"%s\" for \"-t, --time\"",
                                     cmd_str(a, "time"));
        if (cmd_ctx_store(ctx, false, &s, err) < 0 || select_ctrs(s, a, false, &v, &n, err) < 0)
                return -1;
        for (size_t i = 0; i < n && r == 0; i++) {
                r = cmd_ctr_stop(s, v[i], timeout, err);
                if (r == 0)
                        printf("%s\n", a->n_pos ? a->pos[i] : v[i]->rec->id);
        }
        cmd_ctrs_free(v, n);
        return r;
}

static const struct cmd_opt stop_opts[] = {
        { "all", 'a', CMD_OPT_BOOL, NULL, "Stop all running containers" },
        { "latest", 'l', CMD_OPT_BOOL, NULL, "Act on the latest container den is aware of" },
        { "time", 't', CMD_OPT_STRING, "int",
          "Seconds to wait for stop before killing the container" },
        { 0 },
};

const struct cmd cmd_stop = {
        .name = "stop",
        .aliases = { "container stop" },
        .usage = "[options] CONTAINER [CONTAINER...]",
        .summary = "Stop one or more containers",
        .opts = stop_opts,
        .max_args = -1,
        .run = run_stop,
};

static int run_kill(struct cmd_ctx *ctx, const struct cmd_args *a, den_error **err)
{
        const char *name = cmd_str(a, "signal");
        int sig = name ? signal_number(name) : SIGKILL;
        struct cmd_ctr **v = NULL;
        struct store *s;
        size_t n = 0;
        int r = 0;

        if (sig <= 0)
                return den_error_set(err, 0, "invalid signal: %s", name);
        if (cmd_ctx_store(ctx, false, &s, err) < 0 || select_ctrs(s, a, true, &v, &n, err) < 0)
                return -1;
        for (size_t i = 0; i < n && r == 0; i++) {
                r = cmd_ctr_signal(v[i], sig, err);
                if (r == 0)
                        printf("%s\n", a->n_pos ? a->pos[i] : v[i]->rec->id);
        }
        cmd_ctrs_free(v, n);
        return r;
}

static const struct cmd_opt kill_opts[] = {
        { "all", 'a', CMD_OPT_BOOL, NULL, "Signal all running containers" },
        { "latest", 'l', CMD_OPT_BOOL, NULL, "Act on the latest container den is aware of" },
        { "signal", 's', CMD_OPT_STRING, "string", "Signal to send to the container", "KILL" },
        { 0 },
};

const struct cmd cmd_kill = {
        .name = "kill",
        .aliases = { "container kill" },
        .usage = "[options] CONTAINER [CONTAINER...]",
        .summary = "Kill one or more running containers with a specific signal",
        .opts = kill_opts,
        .max_args = -1,
        .run = run_kill,
};

/* ---------------------------------------------------------------- rm */

static bool ctr_in(struct cmd_ctr *const *v, size_t n, const char *id)
{
        for (size_t i = 0; i < n; i++)
                if (v[i] && streq(v[i]->rec->id, id))
                        return true;
        return false;
}

static void emit(struct cmd_ctr **v, const char **raw, size_t i, struct cmd_ctr **out,
                 const char **raw_out, size_t *n_out, bool *is_done)
{
        if (raw)
                raw_out[*n_out] = raw[i];
        out[(*n_out)++] = v[i];
        is_done[i] = true;
}

/* rm's containers in the order of their removal, those that share another's namespaces
 * (--network/--ipc container:) before it. With --depend the set grows by every container that
 * depends on one in it; without, such a container left out is podman's error. RAW (names as
 * given, parallel to V, or NULL) follows the order. */
static int rm_order(struct store *s, bool is_depend, struct cmd_ctr ***pv, size_t *pn,
                    const char ***praw, den_error **err)
{
        struct store_container **all = NULL;
        struct cmd_ctr **v = *pv, **out;
        const char **raw = *praw, **raw_out = NULL;
        size_t n_all = 0, n = *pn, n_out = 0;
        _cleanup_free_ bool *is_done = NULL;
        int r = 0;

        /* the records alone: only a dependent that joins the set needs its state */
        if (store_containers_list(s, &all, &n_all, err) < 0)
                return -1;
        for (size_t i = 0; i < n && r == 0; i++) {
                _cleanup_free_ char *deps = NULL;

                for (size_t k = 0; k < n_all; k++) {
                        if (!all[k] || !cmd_ctr_depends_on(all[k], v[i]->rec) ||
                            ctr_in(v, n, all[k]->id))
                                continue;
                        if (!is_depend) {
                                char *more = xasprintf("%s%s%s", deps ? deps : "", deps ? "," : "",
                                                       all[k]->id);

                                free(deps);
                                deps = more;
                                continue;
                        }
                        v = xrealloc(v, (n + 2) * sizeof(*v));
                        v[n++] = cmd_ctr_new(s, steal_ptr(all[k]));
                        v[n] = NULL;
                        if (raw) {
                                raw = xrealloc(raw, (n + 1) * sizeof(*raw));
                                raw[n - 1] = NULL;
                        }
                }
                if (deps)
                        r = den_error_set(err, 0,
                                          "container %s has dependent containers which must be "
                                          "removed before it: %s: container already exists",
                                          v[i]->rec->id, deps);
        }
        store_containers_free(all, n_all);
        *pv = v;
        *pn = n;
        *praw = raw;
        if (r < 0)
                return -1;
        /* dependents first: a container goes once nothing left depends on it (the records
         * cannot form a cycle, as a container shares only with one that exists; a damaged
         * store's cycle is broken in the given order) */
        out = xcalloc(n + 1, sizeof(*out));
        if (raw)
                raw_out = xcalloc(n + 1, sizeof(*raw_out));
        is_done = xcalloc(n + 1, sizeof(*is_done));
        while (n_out < n) {
                size_t before = n_out;

                for (size_t i = 0; i < n; i++) {
                        bool is_needed = false;

                        for (size_t j = 0; j < n && !is_done[i] && !is_needed; j++)
                                is_needed = !is_done[j] && j != i &&
                                            cmd_ctr_depends_on(v[j]->rec, v[i]->rec);
                        if (is_done[i] || is_needed)
                                continue;
                        emit(v, raw, i, out, raw_out, &n_out, is_done);
                }
                for (size_t i = 0; n_out == before && i < n; i++)
                        if (!is_done[i])
                                emit(v, raw, i, out, raw_out, &n_out, is_done);
        }
        free(v);
        free(raw);
        *pv = out;
        /* with --depend podman prints every container by id */
        if (is_depend) {
                free(raw_out);
                raw_out = NULL;
        }
        *praw = raw_out;
        return 0;
}

static int run_rm(struct cmd_ctx *ctx, const struct cmd_args *a, den_error **err)
{
        bool is_force = cmd_flag(a, "force"), is_ignore = cmd_flag(a, "ignore");
        struct cmd_ctr **v = NULL;
        _cleanup_free_ const char **raw = NULL; /* as named, printed as podman does */
        struct store *s;
        size_t n = 0;
        int r = 0;

        if (cmd_ctx_store(ctx, false, &s, err) < 0)
                return -1;
        if (cmd_flag(a, "all")) {
                if (select_ctrs(s, a, true, &v, &n, err) < 0)
                        return -1;
        } else {
                if (!a->n_pos)
                        return den_error_set(err, 0,
                                             "you must provide at least one container name or ID");
                v = xcalloc(a->n_pos + 1, sizeof(*v));
                raw = xcalloc(a->n_pos + 1, sizeof(*raw));
                for (size_t i = 0; i < a->n_pos; i++) {
                        den_error *e = NULL;

                        if (cmd_ctr_load_brief(s, a->pos[i], &v[n], &e) == 0) {
                                raw[n++] = a->pos[i];
                                continue;
                        }
                        if (e->errnum == ENOENT && (is_ignore || is_force)) {
                                den_error_free(e);
                                continue;
                        }
                        *err = e;
                        cmd_ctrs_free(v, n);
                        return -1;
                }
        }
        if (n && rm_order(s, cmd_flag(a, "depend"), &v, &n, &raw, err) < 0) {
                r = -1;
                goto out;
        }
        /* running ones are killed from the user's own namespace (processes of any container
         * id can be signalled from there), then den's namespace removes the files */
        for (size_t i = 0; i < n; i++)
                if (cmd_ctr_is_running(v[i])) {
                        if (!is_force) {
                                r = den_error_set(err, 0,
                                                  "cannot remove container %s as it is running - "
                                                  "running or paused containers cannot be "
                                                  "removed without force: container state "
                                                  "improper",
                                                  v[i]->rec->id);
                                goto out;
                        }
                        if ((r = cmd_ctr_signal(v[i], SIGKILL, err)) < 0)
                                goto out;
                        (void) cmd_ctr_wait_exit(s, v[i], -1);
                }
        if (n && (r = enter_userns(ctx, err)) == 0 && (r = cmd_ctx_store(ctx, true, &s, err)) == 0)
                for (size_t i = 0; i < n && r == 0; i++) {
                        r = store_container_remove(s, v[i]->rec->id, err);
                        if (r == 0)
                                printf("%s\n", raw && raw[i] ? raw[i] : v[i]->rec->id);
                }
out:
        cmd_ctrs_free(v, n);
        return r;
}

static const struct cmd_opt rm_opts[] = {
        { "all", 'a', CMD_OPT_BOOL, NULL, "Remove all containers" },
        { "depend", 0, CMD_OPT_BOOL, NULL,
          "Remove container and all containers that depend on it" },
        { "force", 'f', CMD_OPT_BOOL, NULL, "Force removal of a running or unusable container" },
        { "ignore", 'i', CMD_OPT_BOOL, NULL,
          "Ignore errors when a specified container is missing" },
        { "volumes", 'v', CMD_OPT_BOOL, NULL,
          "Remove anonymous volumes associated with the container" },
        { "time", 't', CMD_OPT_STRING, "int",
          "Seconds to wait for stop before killing the container" },
        { 0 },
};

const struct cmd cmd_rm = {
        .name = "rm",
        .aliases = { "container rm" },
        .usage = "[options] CONTAINER [CONTAINER...]",
        .summary = "Remove one or more containers",
        .opts = rm_opts,
        .max_args = -1,
        .run = run_rm,
};

/* ---------------------------------------------------------------- wait */

/* The exit code of a running container from its monitor, which sends it to every attached
 * client: exact also for a --rm container, whose exit record goes with it. 0 and *ret_code;
 * -1 when the monitor cannot say (gone, or gone without the exit message). */
static int wait_monitor(const struct cmd_ctr *c, int *ret_code)
{
        _cleanup_free_ char *sock = den_path_join(c->rundir, "attach");
        _cleanup_close_ int fd = -EBADF;
        den_error *e = NULL;
        int r;

        if (rt_attach_connect(sock, &fd, &e) < 0) {
                den_error_free(e);
                return -1;
        }
        r = rt_attach_run(fd,
                          &(struct rt_attach_opts){
                                  .in_fd = -1, .out_fd = -1, .err_fd = -1, .detach_keys = "" },
                          ret_code, &e);
        den_error_free(e);
        return r == 0 ? 0 : -1;
}

static int run_wait(struct cmd_ctx *ctx, const struct cmd_args *a, den_error **err)
{
        char **conds = cmd_strv(a, "condition");
        struct store *s;

        for (size_t i = 0; conds && conds[i]; i++)
                if (!streq(conds[i], "stopped") && !streq(conds[i], "exited") &&
                    !streq(conds[i], "running"))
                        return den_error_set(err, 0, "invalid condition \"%s\"", conds[i]);
        if (cmd_ctx_store(ctx, false, &s, err) < 0)
                return -1;
        for (size_t i = 0; i < a->n_pos; i++) {
                _cleanup_(cmd_ctr_freep) struct cmd_ctr *c = NULL;
                bool want_running = conds && conds[0] && streq(conds[0], "running");

                if (cmd_ctr_load(s, a->pos[i], &c, err) < 0)
                        return -1;
                if (want_running) {
                        while (!cmd_ctr_is_running(c)) {
                                struct timespec ts = { 0, 20 * 1000 * 1000 };
                                struct store_container *rec = NULL;

                                nanosleep(&ts, NULL);
                                if (store_container_find(s, c->rec->id, &rec, err) < 0)
                                        return -1;
                                rec->config = json_incref(c->rec->config);
                                store_container_free(c->rec);
                                c->rec = rec;
                                cmd_ctr_refresh(s, c);
                        }
                        printf("-1\n");
                        continue;
                }
                if (cmd_ctr_is_running(c)) {
                        int code;

                        if (wait_monitor(c, &code) == 0) {
                                printf("%d\n", code);
                                continue;
                        }
                }
                (void) cmd_ctr_wait_exit(s, c, -1);
                printf("%d\n", c->exit_code);
        }
        return 0;
}

static const struct cmd_opt wait_opts[] = {
        { "condition", 0, CMD_OPT_STRINGS, "strings",
          "Condition to wait on (stopped, exited, running)" },
        { "interval", 'i', CMD_OPT_STRING, "string",
          "Time interval to wait before polling for completion", "250ms" },
        { 0 },
};

const struct cmd cmd_wait = {
        .name = "wait",
        .aliases = { "container wait" },
        .usage = "[options] CONTAINER [CONTAINER...]",
        .summary = "Block on one or more containers",
        .opts = wait_opts,
        .min_args = 1,
        .max_args = -1,
        .run = run_wait,
};

/* ---------------------------------------------------------------- container cleanup */

/* The monitor's exit command for --rm containers (a foreground run removes its container
 * itself); for others it only unmounts the root in the calling mount namespace, since the
 * state after an exit comes from the monitor's exit record (cmd_ctr_refresh). */
static int run_cleanup(struct cmd_ctx *ctx, const struct cmd_args *a, den_error **err)
{
        _cleanup_(cmd_ctr_freep) struct cmd_ctr *c = NULL;
        struct store *s;

        if (cmd_ctx_store(ctx, true, &s, err) < 0 || cmd_ctr_load(s, a->pos[0], &c, err) < 0)
                return -1;
        if (cmd_ctr_cfg_bool(c, "HostConfig", "AutoRemove"))
                return cmd_ctr_remove(s, c, false, err);
        /* in the monitor's mount namespace the root is mounted: unmount it, or a
         * fuse-overlayfs daemon would live on there until the container is removed */
        return store_container_unmount(s, c->rec, err);
}

static const struct cmd_opt no_opts[] = { { 0 } };

const struct cmd cmd_container_cleanup = {
        .name = "container cleanup",
        .usage = "CONTAINER",
        .summary = "Clean up network and mountpoints of a container",
        .opts = no_opts,
        .min_args = 1,
        .max_args = 1,
        .flags = CMD_F_USERNS | CMD_F_STORE_WRITE | CMD_F_HIDDEN,
        .run = run_cleanup,
};

/* ---------------------------------------------------------------- prune */

static int run_prune(struct cmd_ctx *ctx, const struct cmd_args *a, den_error **err)
{
        struct cmd_ctr **v = NULL;
        struct store *s;
        size_t n = 0;
        int r = 0;

        if (!cmd_flag(a, "force")) {
                char line[16] = "";

                fprintf(stderr, "WARNING! This will remove all non running containers.\n"
                                "Are you sure you want to continue? [y/N] ");
                if (!fgets(line, sizeof(line), stdin) || (line[0] != 'y' && line[0] != 'Y'))
                        return 0;
        }
        if (cmd_ctx_store(ctx, true, &s, err) < 0 || cmd_ctr_load_all_brief(s, &v, &n, err) < 0)
                return -1;
        for (size_t i = 0; i < n && r == 0; i++)
                if (!cmd_ctr_is_running(v[i])) {
                        r = store_container_remove(s, v[i]->rec->id, err);
                        if (r == 0)
                                printf("%s\n", v[i]->rec->id);
                }
        cmd_ctrs_free(v, n);
        return r;
}

static const struct cmd_opt prune_opts[] = {
        { "force", 'f', CMD_OPT_BOOL, NULL, "Do not prompt for confirmation" },
        { 0 },
};

const struct cmd cmd_container_prune = {
        .name = "container prune",
        .usage = "[options]",
        .summary = "Remove all non running containers",
        .opts = prune_opts,
        .max_args = 0,
        .flags = CMD_F_USERNS | CMD_F_STORE_WRITE,
        .run = run_prune,
};
