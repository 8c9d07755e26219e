/* Container lifecycle on the command line: the record's state, starting through the monitor,
 * attaching, stopping and removing. Private to cmd/. */
#pragma once

#include "ctr.h"

/* A container as the commands see it: the record plus its state made truthful (an exit
 * record or a dead process turns "running" into "exited"). */
struct cmd_ctr {
        struct store_container *rec;
        json_t *config;     /* rec->meta["config"] (borrowed) */
        const char *status; /* "created", "running", "exited", "stopped" */
        pid_t pid;          /* the init, while running */
        int exit_code;
        int64_t started_ns, finished_ns;
        bool is_oom_killed;
        char *dir;         /* <root>/containers/<id> (the bundle) */
        char *userdata;    /* <dir>/userdata */
        char *rundir;      /* <runroot>/containers/<id> (may not exist) */
        json_t *state;     /* the last start's record: Status, Pid, PidStart, StartedAt,
                            * MonitorPid, Network (borrowed from run_state or the record) */
        json_t *run_state; /* <rundir>/state.json, owned; NULL when there is none */
};

void cmd_ctr_free(struct cmd_ctr *c);
static inline void cmd_ctr_freep(struct cmd_ctr **c)
{
        cmd_ctr_free(*c);
}
/* Finds a container by name, id or id prefix, reads its configuration and computes its
 * state. */
int cmd_ctr_load(struct store *s, const char *name_or_id, struct cmd_ctr **ret, den_error **err);
/* A container from a record it takes over (a brief one, or one whose config is set), with
 * its state computed. */
struct cmd_ctr *cmd_ctr_new(struct store *s, struct store_container *rec);
/* The same without reading the configuration: c->config is the record's brief one
 * (cmd_ctr_brief_config), enough to list, stop by signal or remove it. */
int cmd_ctr_load_brief(struct store *s, const char *name_or_id, struct cmd_ctr **ret,
                       den_error **err);
/* Reads the configuration of a container loaded brief (nothing when it is loaded). */
int cmd_ctr_load_config(struct store *s, struct cmd_ctr *c, den_error **err);
/* The containers named, in that order; the first that is not found is the error. */
int cmd_ctr_load_named(struct store *s, char *const *names, size_t n_names, struct cmd_ctr ***ret,
                       size_t *ret_n, den_error **err);
/* Every container, newest first. */
int cmd_ctr_load_all(struct store *s, struct cmd_ctr ***ret, size_t *ret_n, den_error **err);
/* The same with the brief configurations of containers.json only. */
int cmd_ctr_load_all_brief(struct store *s, struct cmd_ctr ***ret, size_t *ret_n, den_error **err);
/* What a record keeps of a configuration, all that ps shows: Config.Entrypoint, Cmd and
 * Labels, HostConfig.AutoRemove, Network mode, target and ports. */
json_t *cmd_ctr_brief_config(json_t *config);
void cmd_ctrs_free(struct cmd_ctr **v, size_t n);
/* Fills c's state from its record, exit file and process. */
void cmd_ctr_refresh(struct store *s, struct cmd_ctr *c);
bool cmd_ctr_is_running(const struct cmd_ctr *c);
/* The pid of the container's den-monitor while it lives ("den-monitor --id ID ..." in its
 * cmdline, so a reused pid is not taken for it), else 0. */
pid_t cmd_ctr_monitor_pid(const struct cmd_ctr *c);
/* Config accessors. */
json_t *cmd_ctr_cfg(const struct cmd_ctr *c, const char *section, const char *key);
const char *cmd_ctr_cfg_str(const struct cmd_ctr *c, const char *section, const char *key);
/* Whether D shares a namespace of C (--network or --ipc container:C), so that C cannot be
 * removed before D. */
bool cmd_ctr_depends_on(const struct store_container *d, const struct store_container *c);
bool cmd_ctr_cfg_bool(const struct cmd_ctr *c, const char *section, const char *key);
/* The command line the container runs, joined for display. */
char *cmd_ctr_command(const struct cmd_ctr *c);
/* podman's STATUS column: "Up 3 seconds", "Exited (0) 2 minutes ago", "Created". */
char *cmd_ctr_status_text(const struct cmd_ctr *c, int64_t now_ns);
/* The published ports as podman's PORTS column shows them ("0.0.0.0:8080->80/tcp"). */
char *cmd_ctr_ports_text(const struct cmd_ctr *c);
/* podman's `container inspect` object. */
json_t *cmd_ctr_inspect_json(struct store *s, const struct cmd_ctr *c);

/* Starting (start.c). */
struct cmd_start_opts {
        bool is_attach; /* stay attached: stdout/stderr (and stdin with is_stdin) */
        bool is_stdin;  /* forward den's stdin */
        bool is_sig_proxy;
        const char *detach_keys;
};
/* Starts a created (or exited) container: mounts its root, writes its name files and
 * config.json, forks the monitor process, which creates the container, sets up its network,
 * starts it and becomes den-monitor. With is_attach, stays attached and returns the
 * container's exit code in *ret_exit_code (after --rm's cleanup finished). Runs in den's
 * user namespace; unshares a mount namespace of its own. */
int cmd_ctr_start(struct cmd_ctx *ctx, struct store *s, struct cmd_ctr *c,
                  const struct cmd_start_opts *o, int *ret_exit_code, den_error **err);
/* Before den enters a user namespace (struct cmd's userns_owner): a container that shares
 * the namespaces of container NAME (names[i], NULL entries skipped) is created from NAME's
 * user namespace, since a sibling namespace could not join them. *ret_pid is the monitor of
 * the first such container that runs (it lives in that namespace; the init may be in a
 * nested one), 0 when none does (the start then reports it). */
int cmd_ctr_userns_owner(struct cmd_ctx *ctx, const char *const *names, size_t n, pid_t *ret_pid,
                         den_error **err);
/* The names of the containers whose namespaces c's configuration shares (network, ipc), for
 * cmd_ctr_userns_owner; *ret_n of them, pointing into c's configuration. */
size_t cmd_ctr_shared_ns_names(const struct cmd_ctr *c, const char *names[2]);
/* Sends sig to a running container's init (or through its external runtime). */
int cmd_ctr_signal(struct cmd_ctr *c, int sig, den_error **err);
/* Stops a running container: its stop signal, then SIGKILL after timeout seconds (< 0: the
 * container's StopTimeout). Returns once it has exited. */
int cmd_ctr_stop(struct store *s, struct cmd_ctr *c, int timeout, den_error **err);
/* Waits until the container is no longer running (poll of its exit record and process);
 * timeout_ms < 0: forever. 0 when exited, 1 on timeout. */
int cmd_ctr_wait_exit(struct store *s, struct cmd_ctr *c, int timeout_ms);
/* Removes a container (-f: stops it first with SIGKILL). In den's user namespace. */
int cmd_ctr_remove(struct store *s, struct cmd_ctr *c, bool is_force, den_error **err);
/* Resolves an image for run/create with a --pull policy, pulling when needed; *ret the image. */
int cmd_ctr_image(struct cmd_ctx *ctx, struct store *s, const char *name, const char *policy,
                  bool is_quiet, struct store_image **ret, den_error **err);
/* cmd/pull.c: pulls one name (short names resolved), printing podman's progress to stderr. */
int cmd_pull_name(struct store *s, const char *name, const struct img_pull_opts *po, char **ret_id,
                  den_error **err);
