/* Containers as the commands see them: the record, its truthful state, and the shapes podman
 * prints for them (ps columns, inspect). */
#include <inttypes.h>
#include <signal.h>
#include "ctr-run.h"

void cmd_ctr_free(struct cmd_ctr *c)
{
        if (!c)
                return;
        store_container_free(c->rec);
        free(c->dir);
        free(c->userdata);
        free(c->rundir);
        json_decref(c->run_state);
        free(c);
}

void cmd_ctrs_free(struct cmd_ctr **v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                cmd_ctr_free(v[i]);
        free(v);
}

static int64_t json_i64(json_t *o, const char *k)
{
        return json_integer_value(json_object_get(o, k));
}

/* <rundir>/state.json: written by start, without fsync, in the runroot, which is volatile
 * like the processes it describes; NULL when missing or unreadable. PATH is relative to DFD. */
static json_t *run_state_read(int dfd, const char *path)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        json_t *o;

        if (dfd == -ENOENT || den_read_file_at(dfd, path, 1 << 20, &text, &len) < 0)
                return NULL;
        o = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
        if (o && !json_is_object(o)) {
                json_decref(o);
                return NULL;
        }
        return o;
}

/* The state as podman shows it, from three records: containers.json (created; an older
 * den's running state), the last start's state.json in the runroot (running, pid, start
 * time, network), and the exit record the monitor writes in userdata (code, times). A start
 * deletes both of the latter before it begins. RUN_DFD and CTRS_DFD are the runroot's and
 * the store's containers/ (RUN_DFD -ENOENT when the runroot has none), or AT_FDCWD for
 * both. */
static void ctr_refresh_at(struct cmd_ctr *c, int run_dfd, int ctrs_dfd)
{
        json_t *st;
        const char *status;
        _cleanup_free_ char *state_path = NULL, *exit_path = NULL;
        struct rt_exit ex = { 0 };
        den_error *e = NULL;
        int r;

        if (run_dfd == AT_FDCWD) {
                state_path = den_path_join(c->rundir, "state.json");
                exit_path = den_path_join(c->userdata, "exit");
        } else {
                state_path = xasprintf("%s/state.json", c->rec->id);
                exit_path = xasprintf("%s/userdata/exit", c->rec->id);
        }
        json_decref(c->run_state);
        c->run_state = run_state_read(run_dfd, state_path);
        st = c->run_state ? c->run_state : json_object_get(c->rec->meta, "state");
        status = json_string_value(json_object_get(st, "Status"));
        c->state = st;
        /* the full configuration once loaded, else the record's brief one */
        c->config = c->rec->config ? c->rec->config : json_object_get(c->rec->meta, "config");
        c->status = status ? status : "created";
        c->pid = 0;
        c->exit_code = (int) json_i64(st, "ExitCode");
        c->started_ns = json_i64(st, "StartedAt");
        c->finished_ns = json_i64(st, "FinishedAt");
        c->is_oom_killed = json_is_true(json_object_get(st, "OOMKilled"));
        if (!streq(c->status, "running") && !streq(c->status, "created"))
                return;
        /* the exit record, when there is one, ends the last run (also one from before a
         * reboot, whose state.json is gone) */
        r = rt_exit_read_at(ctrs_dfd, exit_path, &ex, &e);
        if (r == 0) {
                c->status = "exited";
                c->exit_code = ex.exit_code;
                c->finished_ns = ex.finished_ns;
                if (ex.started_ns > 0)
                        c->started_ns = ex.started_ns;
                c->is_oom_killed = ex.is_oom_killed;
                return;
        }
        den_error_free(e);
        if (!streq(c->status, "running"))
                return;
        c->pid = (pid_t) json_i64(st, "Pid");
        if (c->pid <= 0 || rt_pid_start_time(c->pid) != (uint64_t) json_i64(st, "PidStart")) {
                c->pid = 0;
                /* the init is gone and its monitor is writing the exit record: still running
                 * until the record is there, with no pid to signal or enter (kill, exec, cp
                 * and top check for one) */
                if (cmd_ctr_monitor_pid(c) > 0)
                        return;
                /* its monitor died before the container did: no code was recorded */
                c->status = "exited";
                c->exit_code = -1;
        }
}

void cmd_ctr_refresh(struct store *s, struct cmd_ctr *c)
{
        (void) s;
        ctr_refresh_at(c, AT_FDCWD, AT_FDCWD);
}

static struct cmd_ctr *ctr_new_at(struct store *s, struct store_container *rec, int run_dfd,
                                  int ctrs_dfd)
{
        struct cmd_ctr *c = xcalloc(1, sizeof(*c));

        c->rec = rec;
        c->dir = store_container_dir(s, rec->id);
        c->userdata = den_path_join(c->dir, "userdata");
        c->rundir = xasprintf("%s/containers/%s", store_runroot(s), rec->id);
        ctr_refresh_at(c, run_dfd, ctrs_dfd);
        return c;
}

struct cmd_ctr *cmd_ctr_new(struct store *s, struct store_container *rec)
{
        return ctr_new_at(s, rec, AT_FDCWD, AT_FDCWD);
}

int cmd_ctr_load_config(struct store *s, struct cmd_ctr *c, den_error **err)
{
        if (!c->rec->config && store_container_load_config(s, c->rec, err) < 0)
                return -1;
        c->config = c->rec->config;
        return 0;
}

int cmd_ctr_load_brief(struct store *s, const char *name_or_id, struct cmd_ctr **ret,
                       den_error **err)
{
        struct store_container *rec = NULL;

        if (store_container_find(s, name_or_id, &rec, err) < 0)
                return -1;
        *ret = cmd_ctr_new(s, rec);
        return 0;
}

int cmd_ctr_load(struct store *s, const char *name_or_id, struct cmd_ctr **ret, den_error **err)
{
        struct cmd_ctr *c = NULL;

        if (cmd_ctr_load_brief(s, name_or_id, &c, err) < 0)
                return -1;
        if (cmd_ctr_load_config(s, c, err) < 0) {
                cmd_ctr_free(c);
                return -1;
        }
        *ret = c;
        return 0;
}

int cmd_ctr_load_all_brief(struct store *s, struct cmd_ctr ***ret, size_t *ret_n, den_error **err)
{
        struct store_container **v = NULL;
        struct cmd_ctr **out;
        size_t n = 0;

        _cleanup_free_ char *run_path = NULL, *ctrs_path = NULL;
        _cleanup_close_ int run_dfd = -EBADF, ctrs_dfd = -EBADF;

        if (store_containers_list(s, &v, &n, err) < 0)
                return -1;
        /* each container's records relative to the two containers/ directories: 2n lookups
         * of short names instead of long paths (ps over a hundred containers) */
        run_path = den_path_join(store_runroot(s), "containers");
        ctrs_path = den_path_join(store_root(s), "containers");
        run_dfd = open(run_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (run_dfd < 0)
                run_dfd = errno == ENOENT ? -ENOENT : AT_FDCWD;
        ctrs_dfd = open(ctrs_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (ctrs_dfd < 0) {
                closep(&run_dfd);
                run_dfd = ctrs_dfd = AT_FDCWD;
        }
        out = xcalloc(n + 1, sizeof(*out));
        for (size_t i = 0; i < n; i++)
                out[i] = ctr_new_at(s, v[i], run_dfd, ctrs_dfd);
        free(v);
        *ret = out;
        *ret_n = n;
        return 0;
}

int cmd_ctr_load_all(struct store *s, struct cmd_ctr ***ret, size_t *ret_n, den_error **err)
{
        struct cmd_ctr **v = NULL;
        size_t n = 0;

        if (cmd_ctr_load_all_brief(s, &v, &n, err) < 0)
                return -1;
        for (size_t i = 0; i < n; i++)
                if (cmd_ctr_load_config(s, v[i], err) < 0) {
                        cmd_ctrs_free(v, n);
                        return -1;
                }
        *ret = v;
        *ret_n = n;
        return 0;
}

int cmd_ctr_load_named(struct store *s, char *const *names, size_t n_names, struct cmd_ctr ***ret,
                       size_t *ret_n, den_error **err)
{
        struct cmd_ctr **v = xcalloc(n_names + 1, sizeof(*v));

        for (size_t i = 0; i < n_names; i++)
                if (cmd_ctr_load(s, names[i], &v[i], err) < 0) {
                        cmd_ctrs_free(v, i);
                        return -1;
                }
        *ret = v;
        *ret_n = n_names;
        return 0;
}

/* ---------------------------------------------------------------- the brief record */

json_t *cmd_ctr_brief_config(json_t *config)
{
        json_t *cfg = json_object_get(config, "Config");
        json_t *host = json_object_get(config, "HostConfig");
        json_t *o = json_object();
        json_t *c = json_object();

        json_object_set(c, "Entrypoint", json_object_get(cfg, "Entrypoint"));
        json_object_set(c, "Cmd", json_object_get(cfg, "Cmd"));
        json_object_set(c, "Labels", json_object_get(cfg, "Labels"));
        /* json_object_set of NULL fails: absent keys stay absent */
        json_object_set_new(o, "Config", c);
        json_object_set_new(o, "HostConfig",
                            json_pack("{s:b}", "AutoRemove",
                                      json_is_true(json_object_get(host, "AutoRemove"))));
        /* a shared IPC namespace: rm finds the containers that depend on another */
        if (den_str_has_prefix(json_string_value(json_object_get(host, "IpcMode")) ?: "",
                               "container:"))
                json_object_set(json_object_get(o, "HostConfig"), "IpcMode",
                                json_object_get(host, "IpcMode"));
        if (json_is_object(json_object_get(config, "Network"))) {
                json_t *net = json_object_get(config, "Network");
                json_t *n = json_object();

                /* the PORTS column (a running container's own come from state.json) */
                json_object_set(n, "mode", json_object_get(net, "mode"));
                json_object_set(n, "target", json_object_get(net, "target"));
                json_object_set(n, "ports", json_object_get(net, "ports"));
                json_object_set_new(o, "Network", n);
        }
        return o;
}

bool cmd_ctr_depends_on(const struct store_container *d, const struct store_container *c)
{
        /* the brief record's configuration: every record has one */
        json_t *brief = json_object_get(d->meta, "config");
        json_t *net = json_object_get(brief, "Network");
        const char *target = json_string_value(json_object_get(net, "target"));
        const char *ipc =
                json_string_value(json_object_get(json_object_get(brief, "HostConfig"), "IpcMode"));
        const char *mode = json_string_value(json_object_get(net, "mode"));
        /* by id since den recorded them so; by name in records of an older den */
        const char *refs[2] = {
                streq(mode ?: "", "container") ? target : NULL,
                ipc && den_str_has_prefix(ipc, "container:") ? ipc + 10 : NULL,
        };

        if (streq(d->id, c->id))
                return false;
        for (size_t i = 0; i < ARRAY_SIZE(refs); i++)
                if (refs[i] && (streq(refs[i], c->id) || streq(refs[i], c->name)))
                        return true;
        return false;
}

bool cmd_ctr_is_running(const struct cmd_ctr *c)
{
        return streq(c->status, "running");
}

json_t *cmd_ctr_cfg(const struct cmd_ctr *c, const char *section, const char *key)
{
        return json_object_get(json_object_get(c->config, section), key);
}

const char *cmd_ctr_cfg_str(const struct cmd_ctr *c, const char *section, const char *key)
{
        return json_string_value(cmd_ctr_cfg(c, section, key));
}

bool cmd_ctr_cfg_bool(const struct cmd_ctr *c, const char *section, const char *key)
{
        return json_is_true(cmd_ctr_cfg(c, section, key));
}

char *cmd_ctr_command(const struct cmd_ctr *c)
{
        struct den_buf b = { 0 };
        json_t *v;
        size_t i;

        json_array_foreach (cmd_ctr_cfg(c, "Config", "Entrypoint"), i, v)
                den_buf_printf(&b, "%s%s", b.len ? " " : "", json_string_value(v));
        json_array_foreach (cmd_ctr_cfg(c, "Config", "Cmd"), i, v)
                den_buf_printf(&b, "%s%s", b.len ? " " : "", json_string_value(v));
        return b.data ? b.data : xstrdup("");
}

/* Go's units.HumanDuration, which podman's STATUS column uses. */
static char *human_duration(int64_t ns)
{
        int64_t s = ns / 1000000000;

        if (s < 1)
                return xstrdup("Less than a second");
        if (s == 1)
                return xstrdup("1 second");
        if (s < 60)
                return xasprintf("%" PRId64 " seconds", s);
        if (s / 60 == 1)
                return xstrdup("About a minute");
        if (s < 3600)
                return xasprintf("%" PRId64 " minutes", s / 60);
        if ((s + 1800) / 3600 == 1)
                return xstrdup("About an hour");
        if (s < 48 * 3600)
                return xasprintf("%" PRId64 " hours", (s + 1800) / 3600);
        if (s < 7 * 24 * 3600 * 2)
                return xasprintf("%" PRId64 " days", s / 86400);
        if (s < 30 * 24 * 3600 * 3)
                return xasprintf("%" PRId64 " weeks", s / (7 * 86400));
        if (s < 365 * 24 * 3600 * 2)
                return xasprintf("%" PRId64 " months", s / (30 * 86400));
        return xasprintf("%" PRId64 " years", s / (365 * 86400));
}

char *cmd_ctr_status_text(const struct cmd_ctr *c, int64_t now_ns)
{
        if (streq(c->status, "running")) {
                _cleanup_free_ char *d = human_duration(now_ns - c->started_ns);

                return xasprintf("Up %s", d);
        }
        if (streq(c->status, "exited") || streq(c->status, "stopped")) {
                _cleanup_free_ char *d = human_duration(now_ns - c->finished_ns);

                return xasprintf("Exited (%d) %s ago", c->exit_code, d);
        }
        return xstrdup("Created");
}

/* The ports as chosen at start (random host ports filled in), else as configured. */
static json_t *ports_json(const struct cmd_ctr *c)
{
        json_t *p = json_object_get(c->state, "Network");

        return p ? p : json_object_get(c->config, "Network");
}

char *cmd_ctr_ports_text(const struct cmd_ctr *c)
{
        struct net_config nc = { 0 };
        struct den_buf b = { 0 };
        den_error *e = NULL;
        json_t *j = ports_json(c);

        if (!j || net_config_from_json(j, &nc, &e) < 0) {
                den_error_free(e);
                return xstrdup("");
        }
        for (size_t i = 0; i < nc.n_ports; i++) {
                const struct net_port *p = &nc.ports[i];
                const char *ip = p->host_ip[0] ? p->host_ip : "0.0.0.0";

                if (p->range > 1)
                        den_buf_printf(&b, "%s%s:%u-%u->%u-%u/%s", b.len ? ", " : "", ip,
                                       p->host_port, p->host_port + p->range - 1, p->ctr_port,
                                       p->ctr_port + p->range - 1, p->proto);
                else
                        den_buf_printf(&b, "%s%s:%u->%u/%s", b.len ? ", " : "", ip, p->host_port,
                                       p->ctr_port, p->proto);
        }
        net_config_clear(&nc);
        return b.data ? b.data : xstrdup("");
}

static json_t *time_json(int64_t ns)
{
        _cleanup_free_ char *t = NULL;

        if (ns <= 0)
                return json_string("0001-01-01T00:00:00Z");
        t = den_time_rfc3339(ns / 1000000000, (long) (ns % 1000000000));
        return json_string(t);
}

/* NetworkSettings.Ports: {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]} */
static json_t *ports_map_json(const struct cmd_ctr *c)
{
        struct net_config nc = { 0 };
        den_error *e = NULL;
        json_t *m = json_object();
        json_t *j = ports_json(c);

        if (!j || net_config_from_json(j, &nc, &e) < 0) {
                den_error_free(e);
                return m;
        }
        for (size_t i = 0; i < nc.n_ports; i++)
                for (unsigned k = 0; k < (nc.ports[i].range ? nc.ports[i].range : 1); k++) {
                        const struct net_port *p = &nc.ports[i];
                        _cleanup_free_ char *key = xasprintf("%u/%s", p->ctr_port + k, p->proto);
                        _cleanup_free_ char *hp = xasprintf("%u", p->host_port + k);
                        json_t *arr = json_object_get(m, key);

                        if (!arr)
                                json_object_set_new(m, key, arr = json_array());
                        json_array_append_new(
                                arr, json_pack("{s:s, s:s}", "HostIp", p->host_ip, "HostPort", hp));
                }
        net_config_clear(&nc);
        return m;
}

json_t *cmd_ctr_inspect_json(struct store *s, const struct cmd_ctr *c)
{
        json_t *cfg = json_object_get(c->config, "Config");
        json_t *host = json_object_get(c->config, "HostConfig");
        json_t *o = json_object();
        json_t *state;
        _cleanup_free_ char *created = NULL;
        _cleanup_free_ char *log = den_path_join(c->userdata, "ctr.log");
        json_t *path = cmd_ctr_cfg(c, "Config", "Entrypoint");
        json_t *args = json_array();
        json_t *v;
        size_t i;

        (void) s;
        created = den_time_rfc3339(c->rec->created / 1000000000,
                                   (long) (c->rec->created % 1000000000));
        state = json_pack("{s:s, s:b, s:b, s:b, s:b, s:b, s:b, s:I, s:i, s:o, s:o, s:s}", "Status",
                          c->status, "Running", cmd_ctr_is_running(c), "Paused", 0, "Restarting", 0,
                          "OOMKilled", c->is_oom_killed, "Dead", 0, "Removing", 0, "Pid",
                          (json_int_t) c->pid, "ExitCode", c->exit_code, "StartedAt",
                          time_json(c->started_ns), "FinishedAt", time_json(c->finished_ns),
                          "Error", "");
        /* Path and Args as podman shows them: the first word and the rest */
        json_array_foreach (path, i, v)
                json_array_append(args, v);
        json_array_foreach (cmd_ctr_cfg(c, "Config", "Cmd"), i, v)
                json_array_append(args, v);
        json_object_set_new(o, "Id", json_string(c->rec->id));
        json_object_set_new(o, "Created", json_string(created));
        json_object_set_new(o, "Path",
                            json_array_size(args) ? json_incref(json_array_get(args, 0))
                                                  : json_string(""));
        if (json_array_size(args))
                json_array_remove(args, 0);
        json_object_set_new(o, "Args", args);
        json_object_set_new(o, "State", state);
        json_object_set_new(o, "Image", json_string(c->rec->image_id));
        json_object_set_new(o, "ImageName", json_string(c->rec->image_name));
        json_object_set_new(o, "Rootfs", json_string(""));
        {
                _cleanup_free_ char *r = den_path_join(c->userdata, "resolv.conf");
                _cleanup_free_ char *h = den_path_join(c->userdata, "hostname");
                _cleanup_free_ char *hs = den_path_join(c->userdata, "hosts");

                json_object_set_new(o, "ResolvConfPath", json_string(r));
                json_object_set_new(o, "HostnamePath", json_string(h));
                json_object_set_new(o, "HostsPath", json_string(hs));
        }
        json_object_set_new(o, "Name", json_string(c->rec->name));
        json_object_set_new(o, "RestartCount", json_integer(0));
        json_object_set_new(o, "Driver", json_string(c->rec->driver ? c->rec->driver : ""));
        json_object_set_new(o, "OCIRuntime",
                            json_string(cmd_ctr_cfg_str(c, "Den", "runtime")
                                                ? cmd_ctr_cfg_str(c, "Den", "runtime")
                                                : "den"));
        json_object_set_new(o, "MountLabel", json_string(""));
        json_object_set_new(o, "ProcessLabel", json_string(""));
        json_object_set_new(o, "Mounts",
                            json_object_get(host, "Mounts")
                                    ? json_deep_copy(json_object_get(host, "Mounts"))
                                    : json_array());
        json_object_set_new(o, "NetworkSettings",
                            json_pack("{s:o, s:s, s:s}", "Ports", ports_map_json(c), "IPAddress",
                                      "", "Gateway", ""));
        json_object_set_new(o, "Config", cfg ? json_deep_copy(cfg) : json_object());
        json_object_set_new(o, "HostConfig", host ? json_deep_copy(host) : json_object());
        if (!json_object_get(json_object_get(o, "HostConfig"), "LogConfig"))
                json_object_set_new(json_object_get(o, "HostConfig"), "LogConfig", json_object());
        if (!json_object_get(json_object_get(json_object_get(o, "HostConfig"), "LogConfig"),
                             "Path"))
                json_object_set_new(json_object_get(json_object_get(o, "HostConfig"), "LogConfig"),
                                    "Path", json_string(log));
        return o;
}

pid_t cmd_ctr_monitor_pid(const struct cmd_ctr *c)
{
        json_int_t pid = json_integer_value(json_object_get(c->state, "MonitorPid"));
        _cleanup_free_ char *argv = NULL;
        size_t len = 0;
        char path[64];

        if (pid <= 0 || pid > INT_MAX)
                return 0;
        (void) snprintf(path, sizeof(path), "/proc/%d/cmdline", (int) pid);
        if (den_read_file_at(AT_FDCWD, path, 4096, &argv, &len) < 0 ||
            !strstr(argv, "den-monitor") || !memmem(argv, len, c->rec->id, strlen(c->rec->id)))
                return 0;
        return (pid_t) pid;
}
