/* den runtime library: the user namespace entry and (later) the OCI runtime and monitor.
 * runtime/'s one public header. */
#pragma once

#include "util/util.h"

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
int rt_userns_plan_for(const struct rt_userns_source *src, struct rt_userns **ret,
                       den_error **err);
void rt_userns_free(struct rt_userns *u);
/* Moves the calling (single-threaded) process into a new user namespace with the planned
 * mapping (newuidmap/newgidmap run in parallel from a helper outside it) and becomes root
 * there. Must run before any thread is started. */
int rt_userns_enter(const struct rt_userns *u, den_error **err);
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
int rt_seccomp_export_bpf_for(const struct rt_seccomp *p, const struct rt_seccomp_target *t,
                              int fd, den_error **err);
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
/* A digest ("sha256:...") of everything the program compiled for p and t depends on: the
 * libseccomp version, the architecture, and the rules that apply for t's capabilities and
 * kernel. Equal keys mean equal programs. */
int rt_seccomp_cache_key(const struct rt_seccomp *p, const struct rt_seccomp_target *t,
                         char ret[72], den_error **err);
/* rt_seccomp_compile through a cache directory den owns: reads "<key hex>.bpf" from
 * cache_dfd, or compiles and stores it there (atomically; a failure to store is ignored).
 * Compiling with libseccomp costs 10-30 ms for the default profile, a cache hit well under
 * 1 ms, so den's run path should use this and hand the program to the init child. */
int rt_seccomp_compile_cached(const struct rt_seccomp *p, const struct rt_seccomp_target *t,
                              int cache_dfd, void **ret_bpf, size_t *ret_len, den_error **err);
