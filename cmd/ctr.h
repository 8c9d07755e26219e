/* Containers on the command line: the options of run/create, the container record they
 * become, and the OCI spec built from it at start. Private to cmd/. */
#pragma once

#include "cmd.h"
#include "net/net.h"

/* ---------------------------------------------------------------- options (ctr-opts.c) */

/* The options shared by `run` and `create` (podman's names), terminated by { 0 }. `run` adds
 * its own (-d, --sig-proxy, --detach-keys) in its table. */
extern const struct cmd_opt cmd_ctr_opts[];

/* Validates the options of run/create and builds the container's configuration, the JSON
 * object stored in the record's meta under "config". Its members mirror podman's inspect so
 * `inspect` prints them as they are:
 *   "Config":     { Hostname, Domainname, User, Env[], Cmd[], Entrypoint[], WorkingDir, Image,
 *                   Labels{}, Annotations{}, StopSignal ("SIGTERM"), StopTimeout (s), Tty,
 *                   OpenStdin, StdinOnce, AttachStdin/Stdout/Stderr, CreateCommand[] }
 *   "HostConfig": { Binds[], Mounts[], Tmpfs{}, AutoRemove, LogConfig{Type,Path}, NetworkMode,
 *                   PortBindings{}, PublishAllPorts, CapAdd[], CapDrop[], Privileged,
 *                   SecurityOpt[], ReadonlyRootfs, Ulimits[], Init, PidMode, IpcMode, UTSMode,
 *                   UsernsMode, GroupAdd[], Memory, NanoCpus, PidsLimit, Runtime, Dns[],
 *                   DnsSearch[], DnsOptions[], ExtraHosts[] }
 *   "Network":    net_config_to_json() of the network options
 *   "Den":        what only den needs: { "pidfile", "cidfile", "runtime" (NULL/"runc"/...),
 *                   "init_path", "userns": {"mode","uid","gid","uidmap":[],"gidmap":[]},
 *                   "seccomp": "default"|"unconfined"|path, "no_new_privs", "mask": [],
 *                   "unmask": [], "read_only_tmpfs", "env_host", "pull" }
 * image_config is the image's OCI config (its "config" member supplies Entrypoint, Cmd,
 * Env, WorkingDir, User, Labels, StopSignal, ExposedPorts for -P); command is what followed
 * the image on the command line (may be empty). Bad input is an error naming the option:
 * `invalid value "x" for --memory: ...`. */
int cmd_ctr_config_build(const struct cmd_args *a, char *const *command, const char *image_name,
                         json_t *image_config, json_t **ret, den_error **err);

/* The defaults a container gets (podman's rootless ones), kept in one table in ctr-opts.c so
 * spec.c, `den info` and the docs read them from one place. */
struct cmd_ctr_defaults {
        const char *path_env, *term_env, *container_env;
        const char *stop_signal;
        unsigned stop_timeout;
        uint64_t shm_size;
        unsigned umask;
        uint64_t rlimit_default;
        const char *init_paths[4];
        const char *init_dest;
        const char *caps[12];
        const char *masked_paths[12];
        const char *readonly_paths[7];
};
extern const struct cmd_ctr_defaults cmd_ctr_defaults;
/* "net_admin" / "NET_ADMIN" / "CAP_NET_ADMIN" -> "CAP_NET_ADMIN"; NULL when unknown. */
char *cmd_ctr_cap_normalize(const char *name);
/* "TERM", "SIGTERM", "15" -> "SIGTERM"; NULL when unknown. */
char *cmd_ctr_signal_normalize(const char *s);
/* "nofile" / "RLIMIT_NOFILE" -> RLIMIT_NOFILE; -EINVAL when unknown. */
int cmd_ctr_rlimit_parse(const char *name, int *ret);
const char *cmd_ctr_rlimit_name(int resource); /* "nofile" */
bool cmd_ctr_name_is_valid(const char *name);
/* --env-file text (untrusted): NAME=V lines, NAME alone takes the host's value, '#' comments.
 * Bounded to 1 MiB; name is for messages. */
int cmd_env_file_parse(const char *text, size_t len, const char *name, char ***ret,
                       den_error **err);

/* The rootfs's /etc/passwd and /etc/group (untrusted text): an entry by name, or by id when
 * name is NULL. 0 when found, -ENOENT when not, -EFBIG beyond 4 MiB. Malformed lines are
 * skipped, as glibc does. */
struct cmd_passwd_entry {
        char *name;
        uid_t uid;
        gid_t gid;
        char *home;
};
int cmd_passwd_find(const char *text, size_t len, const char *name, uid_t uid,
                    struct cmd_passwd_entry *ret);
void cmd_passwd_entry_clear(struct cmd_passwd_entry *e);
int cmd_group_find(const char *text, size_t len, const char *name, gid_t gid, gid_t *ret);
/* The gids of the groups listing user as a member (at most 64). */
int cmd_group_members(const char *text, size_t len, const char *user, gid_t **ret, size_t *ret_n);

/* ---------------------------------------------------------------- the OCI spec (spec.c) */

struct cmd_spec_env {
        const char *id;
        const char *name;
        const char *rootfs;   /* absolute path of the mounted root (spec root.path) */
        const char *userdata; /* absolute path of the dir holding hosts, resolv.conf, hostname */
        const struct rt_userns *userns; /* den's mapping (keep-id and --uidmap compute from it) */
        uid_t host_uid;                 /* the real user, outside */
        gid_t host_gid;
        pid_t netns_pid; /* --network container:X: the other container's init; 0 else */
        int netns_fd;    /* the network namespace den made for the container (the early
                          * network), named "/proc/self/fd/N": the init inherits the fd
                          * through the monitor's fork; 0 (as zero-initialised): none */
        pid_t ipcns_pid; /* --ipc container:X; 0 else */
};

/* Environment lists as JSON arrays of "NAME=value" (ctr-opts.c): sets one entry, replacing
 * one of the same name; adds one -e value (NAME=V, NAME for the host's value, NAME* for every
 * host variable with that prefix); adds an --env-file. */
void cmd_env_set(json_t *env, const char *kv);
int cmd_env_add_arg(json_t *env, const char *arg, den_error **err);
int cmd_env_file_add(json_t *env, const char *path, den_error **err);
/* Reads a file below the container's root (never outside it, never blocking on a FIFO); a
 * missing file reads as empty (spec.c). */
int cmd_read_in_root(int root_dfd, const char *path, char **ret, size_t *ret_len, den_error **err);

/* A process's user, "name|uid[:group|gid]" resolved as podman does (spec.c): names must exist
 * in the root's /etc/passwd and /etc/group, numeric ids need not; HOME from passwd ("/root"
 * for an unknown uid 0, else "/"); gids are the primary gid, the user's memberships (when no
 * group is named) and group_add's groups (names or ids; may be NULL). Used by start (the
 * container's rootfs) and exec (the running init's root). */
struct cmd_user {
        uid_t uid;
        gid_t gid;
        char *home;
        gid_t *gids;
        size_t n_gids;
};
int cmd_user_resolve(int root_dfd, const char *spec, json_t *group_add, struct cmd_user *ret,
                     den_error **err);
void cmd_user_clear(struct cmd_user *u);

/* Builds config.json (OCI runtime-spec 1.1) for a start: podman's defaults (capabilities,
 * masked and read-only paths, /dev entries, mounts, rlimits, the seccomp profile resolved
 * for the bounding set), then the container's options. User names (--user, the image's
 * User) are resolved in the rootfs's /etc/passwd and /etc/group, read only through
 * den_open_in_root. */
/* The mappings of the container's own user namespace (--userns keep-id or nomap, --uidmap,
 * --gidmap) as spec linux.uidMappings/gidMappings arrays; both NULL when it has none. */
int cmd_spec_idmaps(json_t *config, const struct cmd_spec_env *env, json_t **ret_uids,
                    json_t **ret_gids, den_error **err);
int cmd_spec_build(json_t *config, const struct cmd_spec_env *env, json_t **ret_spec,
                   den_error **err);
