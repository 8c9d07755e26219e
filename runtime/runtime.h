/* den runtime library: the user namespace entry and (later) the OCI runtime and monitor.
 * runtime/'s one public header. */
#pragma once

#include <jansson.h>
#include "util/util.h"

/* ---------------------------------------------------------------- cgroups (cgroup.c) */

/* The leaf den moves the processes of its cgroup into, so that the cgroup may enable
 * controllers for the containers' cgroups beside it (cgroup.c). */
#define RT_CGROUP_LEAF "den-leaf"

/* Cuts a trailing "/den-leaf" off the cgroup PATH of a process of den's: the cgroups of the
 * containers are beside that leaf, not in it. */
static inline void rt_cgroup_strip_leaf(char *path)
{
        size_t n = strlen(path), k = sizeof("/" RT_CGROUP_LEAF) - 1;

        if (n >= k && strcmp(path + n - k, "/" RT_CGROUP_LEAF) == 0)
                path[n - k] = '\0';
}

/* ---------------------------------------------------------------- id mappings (subid.c) */

struct rt_idmap {
        uint32_t container_id;
        uint32_t host_id;
        uint32_t size;
};

/* Ranges of /etc/subuid-style text for a user (matched by name or by numeric uid). Returns
 * the number of ranges found (0 when none) or < 0 on a read error. Malformed lines are
 * skipped, as shadow-utils does. Each range comes back as { 0, start, count }, in file order;
 * *ret is NULL when there is none. rt_subid_parse returns -E2BIG for more than 64 ranges;
 * rt_subid_read treats a missing file as one without ranges. */
int rt_subid_parse(const char *text, const char *user, uid_t uid, struct rt_idmap **ret,
                   size_t *ret_n);
int rt_subid_read(const char *path, const char *user, uid_t uid, struct rt_idmap **ret,
                  size_t *ret_n, den_error **err);

/* ---------------------------------------------------------------- user namespace (userns.c) */

struct rt_userns {
        struct rt_idmap *uidmap; /* as written to uid_map: 0 -> the user, 1.. -> subuids */
        size_t n_uidmap;
        struct rt_idmap *gidmap;
        size_t n_gidmap;
        bool is_single; /* no subid range: only the user's own id is mapped */
        char *key;      /* "0:1000:1,1:100000:65536/0:1000:1,1:100000:65536" for the store */
};

/* Computes the mapping for the calling user from /etc/subuid and /etc/subgid. With no
 * range, warns (once) and falls back to a single-id mapping, as podman does. */
int rt_userns_plan(struct rt_userns **ret, den_error **err);
/* Where rt_userns_plan reads from, spelled out so the plan can be computed for any user and
 * files (tests, `den info`). user may be NULL: ranges are then matched by uid only. */
struct rt_userns_source {
        const char *user;
        uid_t uid;
        gid_t gid;
        const char *subuid_path;
        const char *subgid_path;
};
int rt_userns_plan_for(const struct rt_userns_source *src, struct rt_userns **ret, den_error **err);
void rt_userns_free(struct rt_userns *u);
/* Moves the calling (single-threaded) process into a new user namespace with the planned
 * mapping (newuidmap/newgidmap run in parallel from a helper outside it) and becomes root
 * there. Must run before any thread is started. */
int rt_userns_enter(const struct rt_userns *u, den_error **err);
/* den's user namespace outlives each command in a holder process (den-monitor
 * --hold-userns, its pid in $XDG_RUNTIME_DIR/den-userns.pid): rt_userns_enter joins it when
 * its mappings are the plan's, and otherwise enters a new namespace as described and leaves
 * a holder in it. Stops the holder; 0 when none ran. */
int rt_userns_holder_stop(den_error **err);
/* $DEN_MONITOR, else den-monitor beside the running executable, else the libexec dir. */
char *rt_monitor_path(void);
/* Like rt_userns_enter, but joins the user namespace of pid (a container's init, made by
 * another den process with the same plan) instead of creating one: namespaces of that
 * container can only be joined from there. Refused when its mappings are not the plan's. */
int rt_userns_join(const struct rt_userns *u, pid_t pid, den_error **err);
/* True when this process is already inside a user namespace den entered. */
bool rt_userns_is_inside(void);

/* ---- seccomp (seccomp.c) */

/* A parsed seccomp profile in the containers seccomp.json format (podman's
 * --security-opt seccomp=FILE), or den's built-in default. */
struct rt_seccomp;

/* Parses a profile: defaultAction, defaultErrnoRet (or defaultErrno), architectures or
 * archMap, syscalls[] {names[] or name, action, errnoRet (or errno), args[] {index, value,
 * valueTwo, op}, includes/excludes {caps[], arches[], minKernel}}, flags. Syscall names the
 * linked libseccomp does not know are skipped, as podman does; a bad action, operator,
 * architecture, flag or type is an error naming its JSON path ("syscalls[3].args[0].op: ...").
 * Bounded: 1 MiB, 4096 entries, 16384 names, 6 comparisons per entry. A profile without
 * defaultAction and syscalls ("{}") parses as unconfined, as in podman. Argument values
 * must be below 2^63 (the JSON reader's integer range). */
int rt_seccomp_parse(const char *json, size_t len, struct rt_seccomp **ret, den_error **err);
/* Reads and parses the profile file at path (a user's --security-opt seccomp=path). */
int rt_seccomp_parse_file(const char *path, struct rt_seccomp **ret, den_error **err);
/* den's built-in default: podman's default profile in effect (same verdicts on x86_64 and
 * aarch64 and their 32-bit companions, for any bounding set): ENOSYS for syscalls it does
 * not know, EPERM for capability-gated ones without the capability. */
int rt_seccomp_default(struct rt_seccomp **ret, den_error **err);
void rt_seccomp_free(struct rt_seccomp *p);
/* True for a profile that asks for no filter at all; rt_seccomp_apply does nothing then. */
bool rt_seccomp_is_unconfined(const struct rt_seccomp *p);

/* What a filter is built for. rt_seccomp_apply builds for the running system. */
struct rt_seccomp_target {
        const char *arch;   /* libseccomp's name ("x86_64", "aarch64"); NULL: native */
        const char *kernel; /* "6.1", for minKernel conditions; NULL: the running kernel */
        char *const *caps;  /* the container's bounding set, "CAP_SYS_ADMIN"...; NULL = none */
};

/* Builds the filter for this architecture and a container whose bounding set is caps
 * (NULL-terminated names) and loads it into the calling thread with seccomp(2). Does not
 * set no_new_privs (den sets it itself): without it the caller needs CAP_SYS_ADMIN in its
 * user namespace. Meant for the container's init right before execve, when it is single
 * threaded; it allocates. */
int rt_seccomp_apply(const struct rt_seccomp *p, char *const *caps, den_error **err);
/* Writes the compiled BPF program (struct sock_filter[]) to fd. */
int rt_seccomp_export_bpf(const struct rt_seccomp *p, char *const *caps, int fd, den_error **err);
int rt_seccomp_export_bpf_for(const struct rt_seccomp *p, const struct rt_seccomp_target *t, int fd,
                              den_error **err);
/* The compiled BPF program in memory (free() it): build once, in the parent or from a cache,
 * and load it in the child with rt_seccomp_load_bpf, which then costs one syscall. */
int rt_seccomp_compile(const struct rt_seccomp *p, const struct rt_seccomp_target *t,
                       void **ret_bpf, size_t *ret_len, den_error **err);
/* The SECCOMP_FILTER_FLAG_* bits the profile asks for (SPEC_ALLOW when it names none, as
 * crun does), to pass to rt_seccomp_load_bpf. */
unsigned rt_seccomp_load_flags(const struct rt_seccomp *p);
/* Loads a compiled program into the calling thread: seccomp(SECCOMP_SET_MODE_FILTER). No
 * allocation unless it fails. */
int rt_seccomp_load_bpf(const void *bpf, size_t len, unsigned flags, den_error **err);
/* The key of the program compiled for p and t, appended to *ret: the exact bytes of
 * everything it depends on (the libseccomp version, the architecture, and the rules that
 * apply for t's capabilities and kernel). Equal keys mean equal programs. */
int rt_seccomp_cache_key(const struct rt_seccomp *p, const struct rt_seccomp_target *t,
                         struct den_buf *ret, den_error **err);
/* The cache file name of a key, "<16 hex>.bpf" (a 64-bit hash of it). */
void rt_seccomp_cache_name(const void *key, size_t len, char ret[32]);
/* rt_seccomp_compile through a cache directory den owns: reads the key's file from
 * cache_dfd and uses its program when the key stored in it is the same, or compiles and
 * stores key and program there (atomically; a failure to store is ignored).
 * Compiling with libseccomp costs 10-30 ms for the default profile, a cache hit well under
 * 1 ms, so den's run path should use this and hand the program to the init child. */
int rt_seccomp_compile_cached(const struct rt_seccomp *p, const struct rt_seccomp_target *t,
                              int cache_dfd, void **ret_bpf, size_t *ret_len, den_error **err);
/* The profile resolved for t (includes/excludes decided, syscall names for t's architecture)
 * as an OCI config.json "linux.seccomp" object, which rt_seccomp_parse reads back; NULL with
 * err on failure. Needs <jansson.h>. */
json_t *rt_seccomp_to_oci(const struct rt_seccomp *p, const struct rt_seccomp_target *t,
                          den_error **err);

/* ================================================================ containers
 *
 * How a container runs (docs/architecture.md, "Run"): `den run` is in its user namespace
 * (rt_userns_enter) and a private mount namespace where the rootfs is mounted. It forks the
 * process that becomes the monitor (M). M calls rt_create (the init is M's child, held just
 * before execve), sets up the network (net_setup), calls rt_start, reports to den over a
 * pipe, and finally rt_monitor_exec()s the small den-monitor program, which inherits the
 * init as its child together with the stdio fds. The spec (config.json) describes the rest:
 * without a "user" namespace entry the container shares den's user namespace (podman's
 * default rootless layout); with one, the init gets a nested user namespace with the spec's
 * mappings (--userns=keep-id and friends), written directly since the caller is root in den's
 * namespace. */

/* ---------------------------------------------------------------- OCI runtime (spec.c, create.c,
 * exec.c, oci.c) */

/* Every capability den knows, "CAP_CHOWN"..., indexed by capability number, NULL-ended. */
extern const char *const rt_cap_names[];

/* A parsed, validated config.json (OCI runtime-spec 1.x), the fields den's runtime honours. */
struct rt_spec;

/* Strict where it matters (types, absolute destinations, known namespace types, capability
 * names, rlimit names, mount options), tolerant of fields it does not use; bounded (4 MiB,
 * 4096 mounts, 4096 env entries). Errors name the JSON path: "mounts[3].destination: ...". */
int rt_spec_parse(const char *json, size_t len, struct rt_spec **ret, den_error **err);
/* Reads <bundle>/config.json. */
int rt_spec_load(const char *bundle, struct rt_spec **ret, den_error **err);
void rt_spec_free(struct rt_spec *s);
bool rt_spec_has_terminal(const struct rt_spec *s);

struct rt_create_opts {
        const char *bundle; /* absolute bundle directory: config.json; root.path relative to it */
        const char *id;     /* container id (external runtimes need it) */
        const struct rt_spec *spec; /* NULL: rt_spec_load(bundle) */
        /* The init's stdin, stdout, stderr when the spec has no terminal (-1: /dev/null). They
         * are dup'd into the init; the caller closes its copies after rt_create. */
        int stdio[3];
        /* With process.terminal the runtime creates the pty inside the container (a new devpts
         * instance, /dev/console and fds 0-2 on the slave) and hands the master back in
         * rt_container.pty_master. */
        int seccomp_cache_dfd; /* directory for rt_seccomp_compile_cached; -1: no cache */
        /* External OCI runtime: NULL for den's own; else "runc", "crun", "runsc" or a path. Its
         * CLI is driven with create/start/state/kill/delete and --root under runroot. */
        const char *oci_runtime;
        const char *oci_root; /* --root for the external runtime (<runroot>/containers/<id>/oci) */
        /* den's own runtime: called (in the caller) once the init's network and user
         * namespaces are known, while the init still builds its root, so that the network
         * can start in parallel. Not called for external runtimes. */
        void (*on_namespaces)(void *arg, pid_t pid, int netns_fd, int userns_fd);
        void *on_namespaces_arg;
};

struct rt_container {
        pid_t pid;      /* the init, a child of the caller (den's runtime) or, for external
                         * runtimes, of the caller as subreaper (PR_SET_CHILD_SUBREAPER set) */
        int pidfd;      /* -1 when pidfd_open is unavailable */
        int pty_master; /* -1 without a terminal */
        int netns_fd;   /* the init's network and user namespaces, opened before it changed */
        int userns_fd;  /* credentials (-1: not known, as with external runtimes) */
        int sync_fd;    /* private to the runtime */
        void (*on_namespaces)(void *arg, pid_t pid, int netns_fd, int userns_fd); /* private */
        void *on_namespaces_arg;
        int status_fd;                     /* private to the runtime */
        char *oci_runtime, *oci_root, *id; /* external runtimes */
};

/* Clones the init into the spec's namespaces and performs the whole setup (mounts,
 * pivot_root, /dev, masked and read-only paths, hostname, rlimits, user and groups, cwd, env,
 * capabilities, no_new_privs, seccomp) up to, not including, execve, where it waits. The
 * caller must be single threaded and root in its user namespace. A setup failure in the init
 * comes back as err with the init's own message ("mount /proc to /work/rootfs/proc: ...");
 * nothing is left running then. */
int rt_create(const struct rt_create_opts *o, struct rt_container **ret, den_error **err);
/* Lets the init execve the process. 0 once the exec succeeded; -1 with err when it failed,
 * and *ret_exit_code set as podman does: 127 when the command was not found, 126 when it
 * could not be invoked (permission, not executable, ...), else 125. The init has exited
 * with that code when -1 is returned (not yet reaped). */
int rt_start(struct rt_container *c, int *ret_exit_code, den_error **err);
/* Closes the caller's fds (pty_master only when close_pty); never signals the process. */
void rt_container_free(struct rt_container *c, bool close_pty);

/* `exec`: a new process in a running container. The caller is den in the user's own (initial)
 * user namespace, single threaded: rt_exec joins the container's user namespace first (the
 * user owns it), then mount, pid, ipc, uts, net, cgroup of init_pid, forks the process (so it
 * is in the pid namespace and the caller's child), applies the settings of process_json (an
 * OCI "process" object: args, env, cwd, user, terminal, capabilities, noNewPrivileges) and the
 * container's seccomp profile and masked paths from spec, closes every other fd, and holds it
 * before execve like rt_create. The caller's own namespaces change: read everything needed
 * from the host before calling. */
struct rt_exec_opts {
        pid_t init_pid;
        const struct rt_spec *spec;
        const char *process_json;
        int stdio[3];          /* when the process has no terminal (-1: /dev/null) */
        int seccomp_cache_dfd; /* directory for rt_seccomp_compile_cached; -1: no cache */
};
/* Set once rt_exec has moved this process into a container's namespaces. The process then
 * ends with _exit (see cmd/main.c): exit handlers that fork helpers expecting the original
 * namespaces (LeakSanitizer's ptrace-based check in sanitizer builds) would hang. */
extern bool rt_has_joined_container;
int rt_exec(const struct rt_exec_opts *o, struct rt_container **ret, den_error **err);

/* External runtimes: signal and delete (runc kill / runc delete --force). For den's own
 * runtime the caller signals the pid (pidfd) directly. */
int rt_oci_kill(const char *oci_runtime, const char *oci_root, const char *id, int sig,
                den_error **err);
int rt_oci_delete(const char *oci_runtime, const char *oci_root, const char *id, den_error **err);
/* The runtime exists: a name is looked up in $PATH as execvp will, a path must be executable
 * (EINVAL-coded error naming it otherwise). create and run check it before anything is made. */
int rt_oci_runtime_check(const char *oci_runtime, den_error **err);
/* "runc version 1.1.5" style first line, for `den info` (NULL when the runtime is missing). */
char *rt_oci_version(const char *oci_runtime);

/* ---------------------------------------------------------------- monitor (monitor*.c, attach.c,
 * logs.c, exit.c) */

/* What den-monitor is told when M execs it. All fds are inherited; everything else is closed
 * by rt_monitor_exec before the exec. */
struct rt_monitor_opts {
        const char *id;
        pid_t pid;               /* the container's init: a child of the calling process */
        int out_fd;              /* stdout pipe read end, or the pty master with a terminal */
        int err_fd;              /* stderr pipe read end; -1 with a terminal */
        int in_fd;               /* stdin pipe write end (-i) or the pty master; -1: no stdin */
        const char *log_path;    /* k8s-file log; NULL for --log-driver none */
        const char *exit_path;   /* the exit record (rt_exit_read) */
        const char *socket_path; /* the attach socket the monitor creates (SOCK_SEQPACKET) */
        int attach_fd;           /* a connected attach client from the start (foreground run), -1 */
        int ready_fd;            /* written "ok\n" and closed once the socket listens; -1 */
        char *const *exit_command; /* argv run after the exit record is written (den's --rm
                                    * cleanup), unless the attach_fd client takes it over
                                    * (RT_ATTACH_TAKEOVER); NULL: none */
        const char *unmount_path;  /* unmounted (lazily) after the exit: the container's root
                                    * in this mount namespace; NULL: nothing */
        int64_t started_ns;        /* the container's start, kept in the exit record; 0: none */
        bool is_exit_volatile;     /* the exit record need not survive a crash (the container
                                    * is removed after it): written without fsync */
        const int *keep_fds;       /* more fds to keep open for the container's lifetime (the
                                    * network's lifetime fds), n_keep_fds of them */
        size_t n_keep_fds;
        bool is_stdin_once; /* close the container's stdin when the first attach ends */
};
/* Execs den-monitor (found beside /proc/self/exe, or $DEN_MONITOR) in the calling process;
 * returns only on failure. */
int rt_monitor_exec(const struct rt_monitor_opts *o, den_error **err);

/* The exit record the monitor writes atomically when the init exits. */
struct rt_exit {
        int exit_code;       /* the process's code, or 128 + signal */
        int64_t finished_ns; /* unix time, ns */
        int64_t started_ns;  /* unix time, ns; 0 when not recorded */
        bool is_oom_killed;
};
/* 0 and *ret filled; 1 when there is no record (yet); -1 with err when it is unreadable. */
int rt_exit_read(const char *path, struct rt_exit *ret, den_error **err);
/* The same with PATH relative to DFD. */
int rt_exit_read_at(int dfd, const char *path, struct rt_exit *ret, den_error **err);
/* The record's text, strictly (exposed for the fuzz target). */
int rt_exit_parse(const char *text, size_t len, struct rt_exit *ret, den_error **err);
/* Writes an exit record (for a container that never reached its monitor) atomically, with
 * fsync, as name in dfd. */
int rt_exit_write(int dfd, const char *name, const struct rt_exit *ex, den_error **err);
/* The start time (field 22 of /proc/<pid>/stat, clock ticks); 0 when the process is gone. A
 * pid with a different start time is another process. */
uint64_t rt_pid_start_time(pid_t pid);

/* The client side of the attach socket: `run` in the foreground, `attach`, `start -a`. */
struct rt_attach_opts {
        int in_fd;   /* forwarded to the container's stdin; -1: none */
        int out_fd;  /* the container's stdout (and the terminal's output) */
        int err_fd;  /* the container's stderr */
        bool is_tty; /* the container has a terminal: in_fd is put in raw mode and window
                      * size changes (SIGWINCH) are sent */
        const char *detach_keys; /* "ctrl-p,ctrl-q" (default); "" disables */
        pid_t sig_proxy_pid;     /* >0: forward catchable signals den receives to this pid */
        bool is_takeover; /* on the exit, tell the monitor (RT_ATTACH_TAKEOVER) that the caller
                           * does the exit command's work itself (removes the --rm container) */
};
/* Connects to the monitor's socket; ENOENT-coded error when it is gone. */
int rt_attach_connect(const char *socket_path, int *ret_fd, den_error **err);
/* Pumps data until the container exits (returns 0, *ret_exit_code set from the monitor's exit
 * message) or the user detaches with the detach keys (returns 1). Never blocks on one
 * direction while the other has data. */
int rt_attach_run(int sock, const struct rt_attach_opts *o, int *ret_exit_code, den_error **err);

/* Logs: podman's k8s-file format, one line per chunk: "<RFC3339Nano> stdout|stderr F|P text". */
struct rt_log_opts {
        bool is_timestamps; /* prefix each line with its time as podman does */
        int64_t since_ns;   /* 0: from the start */
        int64_t until_ns;   /* 0: to the end */
        long tail;          /* < 0: all lines */
        bool is_follow;     /* keep reading until is_done() says the container has exited and
                             * the file is drained */
        bool (*is_done)(void *userdata);
        void *userdata;
        const char *prefix; /* printed before each line (several containers: "<id12> ") */
        int out_fd, err_fd; /* where stdout and stderr lines go */
};
int rt_log_print(const char *log_path, const struct rt_log_opts *o, den_error **err);

/* The attach socket's messages (SOCK_SEQPACKET; the protocol is described in attach.c): one
 * type byte, then the payload. */
enum rt_attach_msg {
        RT_ATTACH_STDOUT = 1,       /* monitor -> client: output bytes */
        RT_ATTACH_STDERR = 2,       /* monitor -> client: output bytes */
        RT_ATTACH_EXIT = 3,         /* monitor -> client: the exit code, decimal text */
        RT_ATTACH_STDIN = 16,       /* client -> monitor: input bytes */
        RT_ATTACH_STDIN_CLOSE = 17, /* client -> monitor: end of input */
        RT_ATTACH_RESIZE = 18,      /* client -> monitor: rows, cols as two native uint16 */
        RT_ATTACH_TAKEOVER = 19,    /* client -> monitor, after the exit: skip the exit command */
};

/* One record of a k8s-file log, pointing into the parsed text. */
struct rt_klog_line {
        int64_t time_ns;  /* unix time, ns */
        const char *time; /* the timestamp as written */
        size_t time_len;
        bool is_stderr;
        bool is_partial; /* "P": the line continues in the next record of the file */
        const char *msg;
        size_t msg_len;
};
/* Parses one record (without its newline). -EINVAL for a malformed one. */
int rt_klog_parse(const char *line, size_t len, struct rt_klog_line *ret);
