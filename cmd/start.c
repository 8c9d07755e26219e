/* Starting a container: den (in its user namespace) mounts the root in a mount namespace of
 * its own, writes the name files and config.json, and forks the process that becomes the
 * monitor. That process creates the container (rt_create), sets up its network (net_setup),
 * starts it (rt_start), records it as running, reports to den over a pipe and execs
 * den-monitor, which holds the container's stdio from then on. */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include "ctr-run.h"

static int64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void close_fd(int *fd)
{
        if (*fd >= 0)
                close(*fd);
        *fd = -1;
}

/* Writes the monitor process's verdict: "OK\n", or "ERR <exit code>\n<message>". */
static void report(int fd, int code, den_error *e)
{
        _cleanup_free_ char *msg = NULL;

        if (!e)
                msg = xstrdup("OK\n");
        else {
                _cleanup_free_ char *t = den_error_text(e);

                msg = xasprintf("ERR %d\n%s", code ? code : 125, t);
        }
        (void) !write(fd, msg, strlen(msg));
}

struct start_fds {
        int out[2], err[2], in[2]; /* the container's stdio pipes */
        int attach[2];             /* den <-> monitor, for a foreground start */
        int report[2];
};

/* The monitor process: never returns. */
/* The network's first half, started from inside rt_create as soon as the init's namespaces
 * are known (see rt_create_opts.on_namespaces). */
struct net_early {
        struct net_config *nc;
        struct net_handle *nh;
        den_error *err;
        bool has_run;
};

static void net_early_begin(void *arg, pid_t pid, int netns_fd, int userns_fd)
{
        struct net_early *n = arg;

        n->has_run = true;
        (void) net_setup_begin(n->nc, pid, netns_fd, userns_fd, &n->nh, &n->err);
}

static _Noreturn void monitor_process(struct store *s, struct cmd_ctr *c, struct start_fds *f,
                                      struct net_config *nc, struct net_handle *pre,
                                      const char *den_exe, const char *root, const char *runroot)
{
        _cleanup_free_ char *rundir = NULL;
        _cleanup_free_ char *exit_path = den_path_join(c->userdata, "exit");
        _cleanup_free_ char *log_path = den_path_join(c->userdata, "ctr.log");
        const char *runtime = cmd_ctr_cfg_str(c, "Den", "runtime");
        const char *log_driver = json_string_value(
                json_object_get(cmd_ctr_cfg(c, "HostConfig", "LogConfig"), "Type"));
        struct rt_container *ctr = NULL;
        struct net_handle *nh = NULL;
        /* a network begun by den before this process (early_net_applies) */
        struct net_early early = { .nc = nc, .nh = pre, .has_run = pre != NULL };
        den_error *e = NULL;
        int code = 0, rundir_fd = -1, cache_fd = -1;
        int keep[16];
        size_t n_keep = 0;
        _cleanup_free_ char *oci_root = NULL;
        _cleanup_free_ char *sock = NULL;
        bool is_auto_remove = cmd_ctr_cfg_bool(c, "HostConfig", "AutoRemove");
        int64_t started_ns;
        json_t *state;

        (void) setsid();
        close_fd(&f->report[0]);
        close_fd(&f->attach[0]);
        if (store_container_rundir(s, c->rec->id, &rundir, &e) < 0)
                goto fail;
        rundir_fd = open(rundir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rundir_fd < 0) {
                den_error_set(&e, errno, "open %s", rundir);
                goto fail;
        }
        {
                _cleanup_free_ char *cache = den_path_join(store_root(s), "cache/seccomp");

                (void) den_mkdir_p_at(AT_FDCWD, cache, 0700);
                cache_fd = open(cache, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        }
        if (runtime && *runtime)
                oci_root = den_path_join(rundir, "oci"); /* removed with the container */
        if (rt_create(
                    &(struct rt_create_opts){
                            .bundle = c->dir,
                            .id = c->rec->id,
                            .stdio = { f->in[0], f->out[1], f->err[1] },
                            .seccomp_cache_dfd = cache_fd,
                            .oci_runtime = runtime && *runtime ? runtime : NULL,
                            .oci_root = oci_root,
                            .on_namespaces = nc && !pre ? net_early_begin : NULL,
                            .on_namespaces_arg = &early,
                    },
                    &ctr, &e) < 0) {
                net_teardown(steal_ptr(early.nh));
                den_error_free(steal_ptr(early.err));
                goto fail;
        }
        nh = steal_ptr(early.nh);
        close_fd(&f->in[0]);
        close_fd(&f->out[1]);
        close_fd(&f->err[1]);
        if (early.err) {
                e = steal_ptr(early.err);
                goto fail_kill;
        }
        /* external runtimes: the whole network setup now */
        if (nc && !early.has_run &&
            net_setup_begin(nc, ctr->pid, ctr->netns_fd, ctr->userns_fd, &nh, &e) < 0)
                goto fail_kill;
        if (nh && net_setup_end(nh, nc, &e) < 0)
                goto fail_kill;
        if (rt_start(ctr, &code, &e) < 0) {
                (void) waitpid(ctr->pid, NULL, 0);
                goto fail;
        }
        started_ns = now_ns();
        state = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:b}", "Status", "running", "Pid",
                          (json_int_t) ctr->pid, "PidStart",
                          (json_int_t) rt_pid_start_time(ctr->pid), "StartedAt",
                          (json_int_t) started_ns, "FinishedAt", (json_int_t) 0, "MonitorPid",
                          (json_int_t) getpid(), "OOMKilled", 0);
        if (nc)
                json_object_set_new(state, "Network", net_config_to_json(nc));
        {
                _cleanup_free_ char *text = json_dumps(state, JSON_COMPACT);
                int r;

                json_decref(state);
                /* volatile, like the process it describes: no fsync (cmd_ctr_refresh) */
                r = den_write_file_replace_at(rundir_fd, "state.json", text, strlen(text), 0600);
                if (r < 0) {
                        den_error_set(&e, -r, "write %s/state.json", rundir);
                        goto fail_kill;
                }
        }
        report(f->report[1], 0, NULL);
        if (nh) {
                size_t n = 0;
                const int *fds = net_handle_fds(nh, &n);

                for (size_t i = 0; i < n && n_keep < ARRAY_SIZE(keep) - 1; i++)
                        keep[n_keep++] = fds[i];
        }
        keep[n_keep++] = rundir_fd;
        sock = xasprintf("/proc/self/fd/%d/attach", rundir_fd);
        {
                char *exit_cmd[] = { (char *) den_exe, "--root",         (char *) root,
                                     "--runroot",      (char *) runroot, "container",
                                     "cleanup",        c->rec->id,       NULL };
                bool is_tty = ctr->pty_master >= 0;
                _cleanup_free_ char *root_path =
                        streq(c->rec->driver, "vfs")
                                ? NULL
                                : xasprintf("%s/containers/%s/rootfs", store_root(s), c->rec->id);

                rt_monitor_exec(
                        &(struct rt_monitor_opts){
                                .id = c->rec->id,
                                .pid = ctr->pid,
                                .out_fd = is_tty ? ctr->pty_master : f->out[0],
                                .err_fd = is_tty ? -1 : f->err[0],
                                .in_fd = is_tty ? ctr->pty_master : f->in[1],
                                .log_path =
                                        log_driver && streq(log_driver, "none") ? NULL : log_path,
                                .exit_path = exit_path,
                                .socket_path = sock,
                                .attach_fd = f->attach[1],
                                .ready_fd = f->report[1],
                                /* --rm: removal (by the foreground client when it takes it
                                 * over); otherwise the monitor only unmounts the root */
                                .exit_command = is_auto_remove ? exit_cmd : NULL,
                                .unmount_path = is_auto_remove ? NULL : root_path,
                                .started_ns = started_ns,
                                .is_exit_volatile = is_auto_remove,
                                .keep_fds = keep,
                                .n_keep_fds = n_keep,
                                .is_stdin_once = cmd_ctr_cfg_bool(c, "Config", "StdinOnce"),
                        },
                        &e);
        }
        /* den-monitor could not run: nothing may keep running without it */
        (void) kill(ctr->pid, SIGKILL);
        (void) waitpid(ctr->pid, NULL, 0);
        _exit(1);
fail_kill:
        (void) kill(ctr->pid, SIGKILL);
        (void) waitpid(ctr->pid, NULL, 0);
fail:
        if (nh)
                net_teardown(nh);
        /* an external runtime refuses a missing command at create: 127/126 from its message */
        report(f->report[1], code ? code : e ? e->exit_status : 0, e);
        _exit(0);
}

/* Reads the monitor process's report to its end (EOF comes once den-monitor listens). */
static int read_report(int fd, int *ret_code, den_error **err)
{
        char buf[4096];
        size_t n = 0;
        ssize_t r;

        while (n < sizeof(buf) - 1 && (r = read(fd, buf + n, sizeof(buf) - 1 - n)) != 0) {
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return den_error_set(err, errno, "read the monitor's report");
                n += (size_t) r;
        }
        buf[n] = 0;
        if (strncmp(buf, "OK\n", 3) == 0)
                return 0;
        if (strncmp(buf, "ERR ", 4) == 0) {
                char *nl = strchr(buf, '\n');

                *ret_code = atoi(buf + 4);
                den_error_set(err, 0, "%s", nl ? nl + 1 : "starting the container failed");
                if (*ret_code == 126 || *ret_code == 127)
                        (*err)->exit_status = *ret_code;
                return -1;
        }
        return den_error_set(err, 0, "the container's monitor ended without a report");
}

static int pipe2_or(int fds[2], den_error **err)
{
        if (pipe2(fds, O_CLOEXEC) < 0)
                return den_error_set(err, errno, "pipe");
        return 0;
}

static struct store_idmap *idmaps_from_json(json_t *a, size_t *ret_n)
{
        struct store_idmap *v = xcalloc(json_array_size(a) + 1, sizeof(*v));
        size_t i;
        json_t *m;

        json_array_foreach (a, i, m)
                v[i] = (struct store_idmap){
                        .container_id =
                                (uint32_t) json_integer_value(json_object_get(m, "containerID")),
                        .host_id = (uint32_t) json_integer_value(json_object_get(m, "hostID")),
                        .size = (uint32_t) json_integer_value(json_object_get(m, "size")),
                };
        *ret_n = json_array_size(a);
        return v;
}

/* den's id for the container's 0 in a map of its own; 0 (den's root) when it has none */
static uint32_t idmap_root(const struct store_idmap *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (v[i].container_id == 0)
                        return v[i].host_id;
        return 0;
}

/* The root, shown to a user namespace of the container's own (--userns keep-id or nomap,
 * --uidmap) with the ids it has in the image; *ret_uid and *ret_gid get den's ids for the
 * container's root. */
static int prepare_mounts(struct cmd_ctx *ctx, struct store *s, struct cmd_ctr *c,
                          char **ret_rootfs, uid_t *ret_uid, gid_t *ret_gid, den_error **err)
{
        struct cmd_spec_env env = {
                .userns = ctx->userns,
                .host_uid = ctx->userns ? ctx->userns->uidmap[0].host_id : getuid(),
                .host_gid = ctx->userns ? ctx->userns->gidmap[0].host_id : getgid(),
        };
        json_auto_t *uids = NULL;
        json_auto_t *gids = NULL;
        _cleanup_free_ struct store_idmap *u = NULL;
        _cleanup_free_ struct store_idmap *g = NULL;
        size_t nu = 0, ng = 0;

        if (cmd_spec_idmaps(c->config, &env, &uids, &gids, err) < 0)
                return -1;
        u = idmaps_from_json(uids, &nu);
        g = idmaps_from_json(gids, &ng);
        *ret_uid = idmap_root(u, nu);
        *ret_gid = idmap_root(g, ng);
        /* the command runs in a mount namespace of its own (CMD_F_MOUNTNS) */
        return store_container_mount_mapped(s, c->rec, u, nu, g, ng, ret_rootfs, err);
}

static pid_t other_init(struct store *s, const char *name, den_error **err)
{
        _cleanup_(cmd_ctr_freep) struct cmd_ctr *o = NULL;

        if (cmd_ctr_load(s, name, &o, err) < 0)
                return -1;
        if (!cmd_ctr_is_running(o))
                return den_error_set(err, 0, "container %s is not running", name);
        return o->pid;
}

int cmd_ctr_userns_owner(struct cmd_ctx *ctx, const char *const *names, size_t n, pid_t *ret_pid,
                         den_error **err)
{
        struct store *s;

        *ret_pid = 0;
        for (size_t i = 0; i < n && *ret_pid == 0; i++) {
                _cleanup_(cmd_ctr_freep) struct cmd_ctr *o = NULL;
                den_error *ignored = NULL;

                if (!names[i] || !*names[i])
                        continue;
                if (!ctx->store && cmd_ctx_store(ctx, false, &s, err) < 0)
                        return -1;
                /* a missing container is reported by the start itself */
                if (cmd_ctr_load(ctx->store, names[i], &o, &ignored) < 0) {
                        den_error_free(ignored);
                        continue;
                }
                *ret_pid = cmd_ctr_is_running(o) ? cmd_ctr_monitor_pid(o) : 0;
        }
        /* opened outside the user namespace: the command reopens it inside */
        store_free(steal_ptr(ctx->store));
        return 0;
}

size_t cmd_ctr_shared_ns_names(const struct cmd_ctr *c, const char *names[2])
{
        json_t *nj = json_object_get(c->config, "Network");
        const char *net = json_string_value(json_object_get(nj, "target"));
        const char *mode = json_string_value(json_object_get(nj, "mode"));
        const char *ipc = cmd_ctr_cfg_str(c, "HostConfig", "IpcMode");
        size_t n = 0;

        if (mode && streq(mode, "container") && net)
                names[n++] = net;
        if (ipc && den_str_has_prefix(ipc, "container:"))
                names[n++] = ipc + 10;
        return n;
}

/* ---------------------------------------------------------------- the early network
 *
 * slirp4netns takes some 10 ms to come up (its fork into the namespace for the tap, its
 * sandbox and seccomp filter). For a container in den's own user namespace and den's own
 * runtime, den makes the network namespace before anything else (a child that unshares it and
 * waits) and starts slirp4netns right away, so that its start overlaps the mount, the name
 * files, the spec and the monitor's fork; the init joins that namespace by path. A container
 * with a user namespace of its own keeps a network namespace created in it (its root needs
 * the capabilities over it), and external runtimes make their own. */

/* A new network namespace, held by an fd of den's: a vfork-like child (CLONE_VM | CLONE_VFORK,
 * as posix_spawn makes one) is cloned into it and opens it into the fd table it shares with den
 * (CLONE_FILES), then exits. No process of its own holds the namespace, and no copy of den's
 * page tables is made. The child touches nothing of den's but *n. */
struct netns_new {
        int fd;
        int err;
};

static int netns_new_child(void *arg)
{
        struct netns_new *n = arg;

        n->fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        n->err = n->fd < 0 ? errno : 0;
        return 0;
}

static int netns_create(int *ret_fd, den_error **err)
{
        /* the child's stack; den is single threaded and den waits for the child */
        static char stack[64 * 1024] __attribute__((aligned(64)));
        struct netns_new n = { -EBADF, 0 };
        pid_t pid = clone(netns_new_child, stack + sizeof(stack),
                          CLONE_VM | CLONE_VFORK | CLONE_FILES | CLONE_NEWNET | SIGCHLD, &n);

        if (pid < 0)
                return den_error_set(err, errno, "create the container's network namespace");
        (void) waitpid(pid, NULL, 0);
        if (n.fd < 0)
                return den_error_set(err, n.err, "open the container's network namespace");
        *ret_fd = n.fd;
        return 0;
}

static bool is_own_runtime(const struct cmd_ctr *c)
{
        const char *runtime = cmd_ctr_cfg_str(c, "Den", "runtime");

        return !(runtime && *runtime);
}

static bool early_net_applies(const struct cmd_ctr *c, const struct net_config *nc)
{
        const char *userns =
                json_string_value(json_object_get(cmd_ctr_cfg(c, "Den", "userns"), "mode"));

        return nc->mode == NET_SLIRP4NETNS && is_own_runtime(c) && !(userns && *userns);
}

int cmd_ctr_start(struct cmd_ctx *ctx, struct store *s, struct cmd_ctr *c,
                  const struct cmd_start_opts *o, int *ret_exit_code, den_error **err)
{
        static const char *const name_files[] = { "hosts", "hostname", "resolv.conf" };
        struct start_fds f = { { -1, -1 }, { -1, -1 }, { -1, -1 }, { -1, -1 }, { -1, -1 } };
        _cleanup_free_ char *rootfs = NULL;
        uid_t root_uid = 0;
        gid_t root_gid = 0;
        _cleanup_close_ int early_netns = -EBADF;
        struct net_handle *pre = NULL;
        _cleanup_free_ char *den_exe = NULL;
        _cleanup_free_ char *hostname = NULL;
        json_auto_t *spec = NULL;
        struct net_config nc = { 0 };
        bool has_net = false, is_tty = cmd_ctr_cfg_bool(c, "Config", "Tty");
        bool is_open_stdin = cmd_ctr_cfg_bool(c, "Config", "OpenStdin");
        int udfd = -1, code = 0, r = -1;
        pid_t m;

        if (cmd_ctr_is_running(c))
                return 0;
        {
                char buf[PATH_MAX];
                ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);

                if (n < 0)
                        return den_error_set(err, errno, "readlink /proc/self/exe");
                den_exe = xstrndup(buf, (size_t) n);
        }
        if (net_config_from_json(json_object_get(c->config, "Network"), &nc, err) < 0)
                return -1;
        if (early_net_applies(c, &nc)) {
                _cleanup_close_ int userns = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);

                if (userns < 0) {
                        den_error_set(err, errno, "open /proc/self/ns/user");
                        goto out;
                }
                if (netns_create(&early_netns, err) < 0 ||
                    net_setup_begin(&nc, 0, early_netns, userns, &pre, err) < 0)
                        goto out;
        }
        if (prepare_mounts(ctx, s, c, &rootfs, &root_uid, &root_gid, err) < 0) {
                den_error_wrap(err, "mount the root of %s", c->rec->name);
                goto out;
        }
        /* the name files and config.json, written afresh at every start */
        udfd = open(c->userdata, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (udfd < 0) {
                den_error_set(err, errno, "open %s", c->userdata);
                goto out;
        }
        (void) unlinkat(udfd, "exit", 0);
        {
                _cleanup_free_ char *state = den_path_join(c->rundir, "state.json");

                (void) unlink(state);
        }
        {
                const char *h = cmd_ctr_cfg_str(c, "Config", "Hostname");

                hostname = h && *h ? xstrdup(h) : xstrndup(c->rec->id, 12);
        }
        if (net_files_write(udfd, &nc,
                            &(struct net_files_opts){
                                    .hostname = hostname,
                                    .ctr_name = c->rec->name,
                                    .rootfs = rootfs,
                            },
                            err) < 0)
                goto out;
        /* bound into the container: its root's own, as podman makes them */
        if (root_uid || root_gid)
                for (size_t i = 0; i < ARRAY_SIZE(name_files); i++)
                        if (fchownat(udfd, name_files[i], root_uid, root_gid, AT_SYMLINK_NOFOLLOW) <
                                    0 &&
                            errno != ENOENT) {
                                den_error_set(err, errno, "chown %s/%s", c->userdata,
                                              name_files[i]);
                                goto out;
                        }
        {
                struct cmd_spec_env env = {
                        .id = c->rec->id,
                        .name = c->rec->name,
                        .rootfs = rootfs,
                        .userdata = c->userdata,
                        .userns = ctx->userns,
                        .host_uid = ctx->userns ? ctx->userns->uidmap[0].host_id : getuid(),
                        .host_gid = ctx->userns ? ctx->userns->gidmap[0].host_id : getgid(),
                        .netns_fd = early_netns,
                };
                _cleanup_free_ char *text = NULL;
                int bdfd;

                const char *ipc = cmd_ctr_cfg_str(c, "HostConfig", "IpcMode");

                if (nc.mode == NET_CONTAINER && (env.netns_pid = other_init(s, nc.target, err)) < 0)
                        goto out;
                if (ipc && den_str_has_prefix(ipc, "container:") &&
                    (env.ipcns_pid = other_init(s, ipc + 10, err)) < 0)
                        goto out;
                if (cmd_spec_build(c->config, &env, &spec, err) < 0)
                        goto out;
                text = json_dumps(spec, JSON_COMPACT);
                bdfd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (bdfd < 0) {
                        den_error_set(err, errno, "open %s", c->dir);
                        goto out;
                }
                /* rewritten at every start: no fsync */
                r = den_write_file_replace_at(bdfd, "config.json", text, strlen(text), 0600);
                close(bdfd);
                if (r < 0) {
                        den_error_set(err, -r, "write %s/config.json", c->dir);
                        goto out;
                }
                r = -1;
        }
        /* --network none: den's runtime brings lo up in the init; external runtimes leave it
         * down, so the network setup does it */
        has_net = nc.mode == NET_SLIRP4NETNS || nc.mode == NET_PASTA ||
                  (nc.mode == NET_NONE && !is_own_runtime(c));
        if (!is_tty && (pipe2_or(f.out, err) < 0 || pipe2_or(f.err, err) < 0))
                goto out;
        if (!is_tty && is_open_stdin && pipe2_or(f.in, err) < 0)
                goto out;
        if (pipe2_or(f.report, err) < 0)
                goto out;
        if (o->is_attach && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, f.attach) < 0) {
                den_error_set(err, errno, "socketpair");
                goto out;
        }
        fflush(NULL);
        m = fork();
        if (m < 0) {
                den_error_set(err, errno, "fork");
                goto out;
        }
        if (m == 0)
                monitor_process(s, c, &f, has_net ? &nc : NULL, pre, den_exe, ctx->root,
                                ctx->runroot);
        /* the monitor process has its own copies */
        net_handle_release(steal_ptr(pre));
        close_fd(&f.report[1]);
        close_fd(&f.attach[1]);
        for (int i = 0; i < 2; i++) {
                close_fd(&f.out[i]);
                close_fd(&f.err[i]);
                close_fd(&f.in[i]);
        }
        r = read_report(f.report[0], &code, err);
        close_fd(&f.report[0]);
        /* the init is in the namespace by now, or gone */
        close_fd(&early_netns);
        if (r < 0) {
                /* it never ran: exited with the code podman gives (126, 127, 125) */
                const struct rt_exit ex = { .exit_code = code, .finished_ns = now_ns() };

                (void) waitpid(m, NULL, 0);
                (void) rt_exit_write(udfd, "exit", &ex, NULL);
                if (ret_exit_code)
                        *ret_exit_code = code;
                goto out;
        }
        cmd_ctr_refresh(s, c);
        if (o->is_attach) {
                bool is_auto_remove = cmd_ctr_cfg_bool(c, "HostConfig", "AutoRemove");
                int ec = 0;

                r = rt_attach_run(f.attach[0],
                                  &(struct rt_attach_opts){
                                          .in_fd = o->is_stdin ? STDIN_FILENO : -1,
                                          .out_fd = STDOUT_FILENO,
                                          .err_fd = STDERR_FILENO,
                                          .is_tty = is_tty,
                                          .detach_keys = o->detach_keys,
                                          .sig_proxy_pid = o->is_sig_proxy ? c->pid : 0,
                                          .is_takeover = is_auto_remove,
                                  },
                                  &ec, err);
                close_fd(&f.attach[0]);
                if (r == 0) {
                        /* --rm: this process removes the container (the monitor was told
                         * so), which spares the exit command's den process; the monitor
                         * ends right after */
                        if (is_auto_remove) {
                                den_error *e = NULL;

                                cmd_ctr_refresh(s, c);
                                if (cmd_ctr_remove(s, c, false, &e) < 0)
                                        den_warn_error(&e, "remove container %.12s", c->rec->id);
                        }
                        (void) waitpid(m, NULL, 0);
                        if (ret_exit_code)
                                *ret_exit_code = ec;
                } else if (r == 1) {
                        r = 0; /* detached */
                        if (ret_exit_code)
                                *ret_exit_code = 0;
                }
        } else {
                r = 0;
        }
out:
        net_teardown(pre);
        if (udfd >= 0)
                close(udfd);
        for (int i = 0; i < 2; i++) {
                close_fd(&f.out[i]);
                close_fd(&f.err[i]);
                close_fd(&f.in[i]);
                close_fd(&f.attach[i]);
                close_fd(&f.report[i]);
        }
        net_config_clear(&nc);
        return r;
}
