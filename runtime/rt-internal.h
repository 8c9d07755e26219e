/* The OCI runtime's private types: the parsed spec (spec.c), and what the init child needs
 * from it (create.c, exec.c). Private to runtime/. */
#pragma once

#include <jansson.h>
#include <sys/resource.h>

#include "runtime/runtime.h"

#define RT_SPEC_MAX_DOC (4u << 20)
#define RT_SPEC_MAX_MOUNTS 4096
#define RT_SPEC_MAX_ENV 4096
#define RT_SPEC_MAX_ARGS 4096
#define RT_SPEC_MAX_LIST 1024 /* masked and read-only paths, groups, rlimits, sysctls */
#define RT_SPEC_MAX_IDMAP 340 /* the kernel's limit for uid_map lines */
#define RT_SPEC_MAX_PATH 4096

enum rt_cap_set {
        RT_CAP_BOUNDING,
        RT_CAP_EFFECTIVE,
        RT_CAP_INHERITABLE,
        RT_CAP_PERMITTED,
        RT_CAP_AMBIENT,
        RT_CAP_N_SETS,
};

struct rt_rlimit {
        int resource;
        struct rlimit lim;
};

/* An OCI "process" object, as the init applies it. */
struct rt_process {
        char **args;
        char **env;
        char *cwd;
        const char *path_env; /* the value of PATH= in env, or NULL */
        uid_t uid;
        gid_t gid;
        gid_t *groups;
        size_t n_groups;
        bool has_umask;
        mode_t umask;
        bool is_terminal;
        bool has_caps;                /* capabilities given: sets not listed are empty */
        uint64_t caps[RT_CAP_N_SETS]; /* bit n = capability n */
        char **bounding_names;        /* "CAP_...", for the seccomp target */
        bool is_no_new_privs;
        struct rt_rlimit *rlimits;
        size_t n_rlimits;
};

enum rt_mount_kind {
        RT_MOUNT_FS,   /* a file system of its own: proc, tmpfs, devpts, mqueue... */
        RT_MOUNT_BIND, /* "bind" type or a bind/rbind option */
        RT_MOUNT_SYSFS,
        RT_MOUNT_CGROUP,
};

struct rt_mount {
        enum rt_mount_kind kind;
        char *destination; /* absolute, inside the container */
        char *source;      /* absolute host path for binds (made absolute from the bundle) */
        char *type;
        unsigned long flags;       /* MS_* set by options */
        unsigned long propagation; /* MS_PRIVATE/MS_SLAVE/MS_SHARED/MS_UNBINDABLE (| MS_REC) */
        char *data;                /* the options mount(2) takes as text; NULL when none */
        bool is_rbind;
};

enum rt_ns_kind {
        RT_NS_PID,
        RT_NS_NET,
        RT_NS_MOUNT,
        RT_NS_IPC,
        RT_NS_UTS,
        RT_NS_USER,
        RT_NS_CGROUP,
        RT_NS_N,
};

struct rt_ns {
        bool is_set;
        char *path; /* join this one instead of creating a new one */
};

struct rt_spec {
        char *root_path;
        bool is_root_readonly;
        char *hostname;
        char *domainname;
        struct rt_process proc;
        struct rt_mount *mounts;
        size_t n_mounts;
        struct rt_ns ns[RT_NS_N];
        struct rt_idmap *uidmap, *gidmap;
        size_t n_uidmap, n_gidmap;
        char **masked;
        char **readonly;
        char **sysctl;                    /* key, value, key, value... */
        unsigned long rootfs_propagation; /* 0: rslave */
        struct rt_seccomp *seccomp;       /* NULL: no filter */
        bool has_limits;                  /* linux.resources has memory/cpu/pids limits */
        int64_t memory_max;               /* -1: none */
        int64_t cpu_quota;                /* -1: none */
        uint64_t cpu_period;
        int64_t pids_max; /* -1: none */
};

/* The capability named "CAP_SYS_ADMIN" (or "SYS_ADMIN"), -1 when unknown. */
int rt_cap_from_name(const char *name);
/* Parses an OCI "process" object; path prefixes error messages ("process"). */
int rt_process_parse(const json_t *obj, const char *path, struct rt_process *ret, den_error **err);
void rt_process_clear(struct rt_process *p);

/* ---- the init child (exec.c), shared by rt_create and rt_exec */

/* Messages on the sync socket. The child sends RT_MSG_READY when it waits before execve,
 * RT_MSG_ERROR followed by the error record when it fails, RT_MSG_PTY with the terminal's
 * master as SCM_RIGHTS, and RT_MSG_NETNS / RT_MSG_USERNS with its network and user
 * namespaces (rt_create's init only, before it changes credentials: once it switches to the
 * container's user it is no longer dumpable, and /proc/PID/ns is closed to everyone but
 * itself). The parent sends RT_MSG_GO (and RT_MSG_MAPPED once the id maps of a new user
 * namespace are written). */
enum {
        RT_MSG_READY = 1,
        RT_MSG_ERROR = 2,
        RT_MSG_PTY = 3,
        RT_MSG_GO = 4,
        RT_MSG_MAPPED = 5,
        RT_MSG_NETNS = 6,
        RT_MSG_USERNS = 7,
};

struct rt_msg {
        int32_t type;
        int32_t errnum;
        int32_t exit_status;
        char text[1024];
};

/* What the child needs, prepared by the parent before it clones. */
struct rt_child {
        const struct rt_spec *spec;
        const struct rt_process *proc;
        int sync_fd;
        int stdio[3];
        const void *bpf; /* compiled seccomp program, NULL: none */
        size_t bpf_len;
        unsigned bpf_flags;
        int root_tree; /* create, own user namespace: the rootfs as a detached mount; else -1 */
};

/* In the child: sends err to the parent and exits with its exit_status (or 1). */
_Noreturn void rt_child_fail(int sync_fd, den_error *err);
/* Default dispositions and an empty mask: the caller's (den ignores SIGPIPE) would survive
 * execve. First thing in a child that becomes a container process. */
void rt_child_reset_signals(void);
int rt_child_send(int sync_fd, int type, int fd, den_error **err);
/* In the child: waits for a message of the given type from the parent. */
int rt_child_wait(int sync_fd, int type, den_error **err);
/* Puts the stdio fds on 0-2 (the caller's copies stay). */
int rt_child_stdio(const int stdio[3], den_error **err);
/* The terminal: a new pty from /dev/ptmx of the container, the slave on 0-2 as the
 * controlling terminal, the master sent to the parent. */
int rt_child_terminal(int sync_fd, den_error **err);
/* rlimits, user and groups, umask, cwd, capabilities, no_new_privs, seccomp; then reports
 * ready, waits for the go and execs. Never returns. */
_Noreturn void rt_child_finish(const struct rt_child *c);

/* In the parent: receives the child's next message; a pty fd goes to *ret_fd. */
int rt_parent_recv(int sync_fd, struct rt_msg *ret, int *ret_fd, den_error **err);
/* In the parent: compiles the spec's seccomp filter for proc (through the cache). */
int rt_parent_seccomp(const struct rt_spec *s, const struct rt_process *proc, int cache_dfd,
                      void **ret_bpf, size_t *ret_len, den_error **err);
/* Waits for READY (receiving the pty first when there is a terminal). */
int rt_parent_wait_ready(struct rt_container *c, bool has_terminal, den_error **err);

/* oci.c: rt_create and rt_start through an external runtime. */
int rt_oci_create(const struct rt_create_opts *o, const struct rt_spec *s,
                  struct rt_container **ret, den_error **err);
int rt_oci_start(struct rt_container *c, int *ret_exit_code, den_error **err);

/* cgroup.c: the container's cgroup with its resource limits set (cgroup v2, delegated), or -1
 * with a warning saying why the limits are ignored. The init is born in it (CLONE_INTO_CGROUP);
 * where the kernel cannot do that, rt_cgroup_attach moves PID in. */
int rt_cgroup_prepare(const char *id, const struct rt_spec *s);
/* create.c: a child (clone3 with FLAGS and CLONE_PIDFD), born in the cgroup CG when there is
 * one (CLONE_INTO_CGROUP: a cgroup namespace it makes is rooted there, and the cgroup's limits
 * count it from its first instant); *ret_in_cgroup says whether it was. */
pid_t rt_clone_into(unsigned long flags, int cg, int *ret_pidfd, bool *ret_in_cgroup);
/* exec.c: the cgroup v2 directory of process PID (its container's), or -1. */
int rt_cgroup_of(pid_t pid);
void rt_cgroup_attach(int cg, pid_t pid);
