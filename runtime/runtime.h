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
