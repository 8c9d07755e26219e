/* The container commands: create, run, start, attach, stop, kill, rm, ps, logs, wait,
 * inspect, exists, rename, port, prune, and the monitor's cleanup. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <time.h>
#include "ctr-run.h"

/* ---------------------------------------------------------------- create / run */

static void image_freep(struct store_image **img)
{
        store_image_free(*img);
}

static json_t *read_image_config(struct store *s, const struct store_image *img, den_error **err)
{
        _cleanup_free_ char *body = NULL;
        size_t len = 0;
        json_error_t je;
        json_t *j;

        if (store_blob_read(s, img->config_digest, 32 << 20, &body, &len, err) < 0)
                return NULL;
        j = json_loadb(body, len, 0, &je);
        if (!j)
                den_error_set(err, 0, "image %s: config: %s", img->id, je.text);
        return j;
}

int cmd_ctr_image(struct cmd_ctx *ctx, struct store *s, const char *name, const char *policy,
                  bool is_quiet, struct store_image **ret, den_error **err)
{
        den_error *e = NULL;
        bool has = store_image_find(s, name, ret, &e) == 0;

        if (!policy || !*policy)
                policy = "missing";
        if (!streq(policy, "missing") && !streq(policy, "always") && !streq(policy, "never") &&
            !streq(policy, "newer"))
                return den_error_set(err, 0,
                                     "invalid pull policy \"%s\": must be always, missing, never "
                                     "or newer",
                                     policy);
        if (has && !streq(policy, "always") && !streq(policy, "newer")) {
                den_error_free(e);
                return 0;
        }
        if (!has && streq(policy, "never")) {
                den_error_free(e);
                return den_error_set_plain(err, ENOENT, "%s: image not known", name);
        }
        if (e && e->errnum != ENOENT) {
                *err = e;
                return -1;
        }
        den_error_free(e);
        if (has) {
                store_image_free(*ret);
                *ret = NULL;
        }
        {
                _cleanup_free_ char *id = NULL;
                struct img_pull_opts po = {
                        .is_quiet = is_quiet,
                        .is_progress_tty = ctx->is_stderr_tty,
                        .progress_out = stderr,
                        .client = { .tls_verify = -1 },
                };

                if (cmd_pull_name(s, name, &po, &id, err) < 0)
                        return -1;
                return store_image_find(s, id, ret, err);
        }
}

static int write_cidfile(const char *path, const char *id, den_error **err)
{
        _cleanup_free_ char *text = xasprintf("%s", id);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

        if (fd < 0)
                return den_error_set(err, errno, "create the cidfile %s", path);
        if (write(fd, text, strlen(text)) != (ssize_t) strlen(text)) {
                close(fd);
                return den_error_set(err, errno, "write %s", path);
        }
        close(fd);
        return 0;
}

static int remove_by_name(struct store *s, const char *name, den_error **err)
{
        _cleanup_(cmd_ctr_freep) struct cmd_ctr *c = NULL;
        den_error *e = NULL;

        if (cmd_ctr_load(s, name, &c, &e) < 0) {
                bool is_missing = e->errnum == ENOENT;

                if (is_missing) {
                        den_error_free(e);
                        return 0;
                }
                *err = e;
                return -1;
        }
        return cmd_ctr_remove(s, c, true, err);
}

/* --network container:X and --ipc container:X are recorded by X's full id, as podman does: the
 * container must exist at creation, a rename of X keeps the sharing, and rm finds what
 * depends on X (cmd_ctr_depends_on). */
static int resolve_shared(struct store *s, json_t *config, den_error **err)
{
        json_t *hc = json_object_get(config, "HostConfig");
        json_t *net = json_object_get(config, "Network");
        const char *ipc = json_string_value(json_object_get(hc, "IpcMode"));
        const char *target = json_string_value(json_object_get(net, "target"));
        _cleanup_(store_container_freep) struct store_container *ipc_of = NULL;
        _cleanup_(store_container_freep) struct store_container *net_of = NULL;

        if (streq(json_string_value(json_object_get(net, "mode")) ?: "", "container") && target) {
                if (store_container_find(s, target, &net_of, err) < 0)
                        return den_error_wrap(err,
                                              "looking up container to share net namespace with");
                json_object_set_new(net, "target", json_string(net_of->id));
                json_object_set_new(hc, "NetworkMode", json_sprintf("container:%s", net_of->id));
        }
        if (ipc && den_str_has_prefix(ipc, "container:")) {
                if (store_container_find(s, ipc + 10, &ipc_of, err) < 0)
                        return den_error_wrap(err,
                                              "looking up container to share ipc namespace with");
                json_object_set_new(hc, "IpcMode", json_sprintf("container:%s", ipc_of->id));
        }
        return 0;
}

static int create_ctr(struct cmd_ctx *ctx, const struct cmd_args *a, bool is_run,
                      struct store **ret_s, struct cmd_ctr **ret, den_error **err)
{
        _cleanup_(image_freep) struct store_image *img = NULL;
        json_auto_t *icfg = NULL;
        json_t *config = NULL;
        const char *image = a->pos[0];
        struct store_container rec = { 0 };
        struct store *s = NULL;
        int r;

        /* checked first, as podman does: a failure leaves no container behind */
        if (cmd_str(a, "cidfile") &&
            faccessat(AT_FDCWD, cmd_str(a, "cidfile"), F_OK, AT_SYMLINK_NOFOLLOW) == 0)
                return den_error_set_plain(err, EEXIST,
                                           "container id file exists. Ensure another container "
                                           "is not using it or delete %s",
                                           cmd_str(a, "cidfile"));
        if (cmd_ctx_store(ctx, true, &s, err) < 0)
                return -1;
        if (cmd_ctr_image(ctx, s, image, cmd_str(a, "pull"), is_run && cmd_flag(a, "quiet"), &img,
                          err) < 0)
                return -1;
        icfg = read_image_config(s, img, err);
        if (!icfg)
                return -1;
        if (cmd_ctr_config_build(a, a->pos + 1, img->names && img->names[0] ? img->names[0] : image,
                                 icfg, &config, err) < 0)
                return -1;
        if (resolve_shared(s, config, err) < 0) {
                json_decref(config);
                return -1;
        }
        if (cmd_flag(a, "replace") && cmd_str(a, "name") &&
            remove_by_name(s, cmd_str(a, "name"), err) < 0) {
                json_decref(config);
                return -1;
        }
        /* the record's strings are the store's after a create (it fills id, name, driver) */
        rec.name = cmd_str(a, "name") ? xstrdup(cmd_str(a, "name")) : NULL;
        rec.image_id = img->id;
        rec.image_name = img->names && img->names[0] ? img->names[0] : (char *) image;
        rec.config = config;
        rec.is_config_volatile =
                json_is_true(json_object_get(json_object_get(config, "HostConfig"), "AutoRemove"));
        rec.meta = json_pack("{s:o, s:{s:s}}", "config", cmd_ctr_brief_config(config), "state",
                             "Status", "created");
        r = store_container_create(s, &rec, err);
        if (r == 0 && cmd_str(a, "cidfile") &&
            write_cidfile(cmd_str(a, "cidfile"), rec.id, err) < 0) {
                (void) store_container_remove(s, rec.id, NULL);
                r = -1;
        }
        if (r == 0) {
                /* the record as created, with its configuration: nothing to read back */
                struct store_container *own = xcalloc(1, sizeof(*own));

                *own = (struct store_container){
                        .id = steal_ptr(rec.id),
                        .name = steal_ptr(rec.name),
                        .image_id = xstrdup(rec.image_id),
                        .image_name = xstrdup(rec.image_name),
                        .created = rec.created,
                        .driver = steal_ptr(rec.driver),
                        .meta = steal_ptr(rec.meta),
                        .config = steal_ptr(rec.config),
                };
                *ret = cmd_ctr_new(s, own);
                *ret_s = s;
        }
        json_decref(rec.meta);
        json_decref(rec.config);
        free(rec.id);
        free(rec.name);
        free(rec.driver);
        return r;
}

static int run_create(struct cmd_ctx *ctx, const struct cmd_args *a, den_error **err)
{
        _cleanup_(cmd_ctr_freep) struct cmd_ctr *c = NULL;
        struct store *s;

        if (create_ctr(ctx, a, false, &s, &c, err) < 0)
                return -1;
        printf("%s\n", c->rec->id);
        return 0;
}

static int run_run(struct cmd_ctx *ctx, const struct cmd_args *a, den_error **err)
{
        _cleanup_(cmd_ctr_freep) struct cmd_ctr *c = NULL;
        bool is_detach = cmd_flag(a, "detach");
        int code = 0, sp = cmd_tristate(a, "sig-proxy");
        struct store *s;
        int r;

        if (create_ctr(ctx, a, true, &s, &c, err) < 0)
                return -1;
        r = cmd_ctr_start(
                ctx, s, c,
                &(struct cmd_start_opts){
                        .is_attach = !is_detach,
                        .is_stdin = cmd_flag(a, "interactive"),
                        .is_sig_proxy = sp != 0,
                        .detach_keys = cmd_has_opt(a, "detach-keys") && cmd_is_set(a, "detach-keys")
                                               ? cmd_str(a, "detach-keys")
                                               : NULL,
                },
                &code, err);
        if (r < 0) {
                den_error *e = NULL;

                /* a container that could not start is not kept with --rm */
                if (cmd_ctr_cfg_bool(c, "HostConfig", "AutoRemove"))
                        (void) cmd_ctr_remove(s, c, true, &e);
                den_error_free(e);
                return -1;
        }
        if (is_detach) {
                printf("%s\n", c->rec->id);
                return 0;
        }
        return code;
}

static const struct cmd_opt run_only_opts[] = {
        { "detach", 'd', CMD_OPT_BOOL, NULL, "Run container in background and print container ID" },
        { "sig-proxy", 0, CMD_OPT_BOOL, NULL,
          "Proxy received signals to the process (default true)" },
        { "detach-keys", 0, CMD_OPT_STRING, "[a-Z]",
          "Override the key sequence for detaching a container" },
        { "quiet", 'q', CMD_OPT_BOOL, NULL, "Suppress output information when pulling images" },
        { 0 },
};

static struct cmd_opt run_opts[256];

__attribute__((constructor)) static void build_run_opts(void)
{
        size_t n = 0;

        for (size_t i = 0; cmd_ctr_opts[i].name && n < ARRAY_SIZE(run_opts) - 8; i++)
                run_opts[n++] = cmd_ctr_opts[i];
        for (size_t i = 0; run_only_opts[i].name; i++)
                run_opts[n++] = run_only_opts[i];
}

const struct cmd cmd_create = {
        .name = "create",
        .aliases = { "container create" },
        .usage = "[options] IMAGE [COMMAND [ARG...]]",
        .summary = "Create but do not start a container",
        .opts = cmd_ctr_opts,
        .min_args = 1,
        .max_args = -1,
        .flags = CMD_F_USERNS | CMD_F_STORE_WRITE | CMD_F_STOP_AT_ARG,
        .run = run_create,
};

/* run: --network container:X and --ipc container:X name the containers to share with. */
static int run_userns_owner(struct cmd_ctx *ctx, const struct cmd_args *a, pid_t *ret_pid,
                            den_error **err)
{
        const char *net = cmd_str(a, "network"), *ipc = cmd_str(a, "ipc");
        const char *names[2] = { NULL, NULL };

        if (!net)
                net = cmd_str(a, "net");
        if (net && den_str_has_prefix(net, "container:"))
                names[0] = net + 10;
        if (ipc && den_str_has_prefix(ipc, "container:"))
                names[1] = ipc + 10;
        *ret_pid = 0;
        if (!names[0] && !names[1])
                return 0;
        return cmd_ctr_userns_owner(ctx, names, 2, ret_pid, err);
}

const struct cmd cmd_run = {
        .name = "run",
        .aliases = { "container run" },
        .usage = "[options] IMAGE [COMMAND [ARG...]]",
        .summary = "Run a command in a new container",
        .opts = run_opts,
        .min_args = 1,
        .max_args = -1,
        .flags = CMD_F_USERNS | CMD_F_MOUNTNS | CMD_F_STORE_WRITE | CMD_F_STOP_AT_ARG,
        .run = run_run,
        .userns_owner = run_userns_owner,
};

/* ---------------------------------------------------------------- start / attach */

static int run_start(struct cmd_ctx *ctx, const struct cmd_args *a, den_error **err)
{
        bool is_attach = cmd_flag(a, "attach");
        struct store *s;
        int code = 0;

        if (is_attach && a->n_pos > 1)
                return den_error_set(err, 0,
                                     "you cannot start and attach multiple containers at once");
        if (cmd_ctx_store(ctx, true, &s, err) < 0)
                return -1;
        for (size_t i = 0; i < a->n_pos; i++) {
                _cleanup_(cmd_ctr_freep) struct cmd_ctr *c = NULL;

                if (cmd_ctr_load(s, a->pos[i], &c, err) < 0)
                        return -1;
                if (cmd_ctr_start(ctx, s, c,
                                  &(struct cmd_start_opts){
                                          .is_attach = is_attach,
                                          .is_stdin = cmd_flag(a, "interactive"),
                                          .is_sig_proxy = is_attach,
                                          .detach_keys = cmd_str(a, "detach-keys"),
                                  },
                                  &code, err) < 0)
                        return -1;
                if (!is_attach)
                        printf("%s\n", a->pos[i]);
        }
        return is_attach ? code : 0;
}

static const struct cmd_opt start_opts[] = {
        { "attach", 'a', CMD_OPT_BOOL, NULL, "Attach container's STDOUT and STDERR" },
        { "detach-keys", 0, CMD_OPT_STRING, "[a-Z]",
          "Select the key sequence for detaching a container" },
        { "interactive", 'i', CMD_OPT_BOOL, NULL, "Make STDIN available to the contained process" },
        { 0 },
};

/* start: the containers shared with by the first container named that shares any. */
static int start_userns_owner(struct cmd_ctx *ctx, const struct cmd_args *a, pid_t *ret_pid,
                              den_error **err)
{
        struct store *s;

        *ret_pid = 0;
        for (size_t i = 0; i < a->n_pos && *ret_pid == 0; i++) {
                _cleanup_(cmd_ctr_freep) struct cmd_ctr *c = NULL;
                den_error *ignored = NULL;
                const char *names[2];
                size_t n;

                if (!ctx->store && cmd_ctx_store(ctx, false, &s, err) < 0)
                        return -1;
                if (cmd_ctr_load(ctx->store, a->pos[i], &c, &ignored) < 0) {
                        den_error_free(ignored);
                        continue;
                }
                n = cmd_ctr_shared_ns_names(c, names);
                if (n > 0 && cmd_ctr_userns_owner(ctx, names, n, ret_pid, err) < 0)
                        return -1;
        }
        store_free(steal_ptr(ctx->store));
        return 0;
}

const struct cmd cmd_start = {
        .name = "start",
        .aliases = { "container start" },
        .usage = "[options] CONTAINER [CONTAINER...]",
        .summary = "Start one or more containers",
        .opts = start_opts,
        .min_args = 1,
        .max_args = -1,
        .flags = CMD_F_USERNS | CMD_F_MOUNTNS | CMD_F_STORE_WRITE,
        .run = run_start,
        .userns_owner = start_userns_owner,
};

static int run_attach(struct cmd_ctx *ctx, const struct cmd_args *a, den_error **err)
{
        _cleanup_(cmd_ctr_freep) struct cmd_ctr *c = NULL;
        _cleanup_free_ char *rundir = NULL;
        _cleanup_free_ char *sock = NULL;
        struct store *s;
        int fd = -1, code = 0, r;

        if (cmd_ctx_store(ctx, false, &s, err) < 0 || cmd_ctr_load(s, a->pos[0], &c, err) < 0)
                return -1;
        if (!cmd_ctr_is_running(c))
                return den_error_set(err, 0,
                                     "you can only attach to running containers: container "
                                     "state improper");
        if (store_container_rundir(s, c->rec->id, &rundir, err) < 0)
                return -1;
        sock = den_path_join(rundir, "attach");
        {
                int dfd = open(rundir, O_PATH | O_DIRECTORY | O_CLOEXEC);
                _cleanup_free_ char *p = NULL;

                if (dfd < 0)
                        return den_error_set(err, errno, "open %s", rundir);
                p = xasprintf("/proc/self/fd/%d/attach", dfd);
                r = rt_attach_connect(p, &fd, err);
                close(dfd);
                if (r < 0)
                        return -1;
        }
        r = rt_attach_run(fd,
                          &(struct rt_attach_opts){
                                  .in_fd = cmd_tristate(a, "no-stdin") == 1 ? -1 : STDIN_FILENO,
                                  .out_fd = STDOUT_FILENO,
                                  .err_fd = STDERR_FILENO,
                                  .is_tty = cmd_ctr_cfg_bool(c, "Config", "Tty"),
                                  .detach_keys = cmd_str(a, "detach-keys"),
                                  .sig_proxy_pid = cmd_tristate(a, "sig-proxy") == 0 ? 0 : c->pid,
                          },
                          &code, err);
        close(fd);
        if (r < 0)
                return -1;
        return r == 1 ? 0 : code;
}

static const struct cmd_opt attach_opts[] = {
        { "detach-keys", 0, CMD_OPT_STRING, "[a-Z]",
          "Select the key sequence for detaching a container" },
        { "no-stdin", 0, CMD_OPT_BOOL, NULL, "Do not attach STDIN" },
        { "sig-proxy", 0, CMD_OPT_BOOL, NULL,
          "Proxy received signals to the process (default true)" },
        { 0 },
};

const struct cmd cmd_attach = {
        .name = "attach",
        .aliases = { "container attach" },
        .usage = "[options] CONTAINER",
        .summary = "Attach to a running container",
        .opts = attach_opts,
        .min_args = 1,
        .max_args = 1,
        .run = run_attach,
};
