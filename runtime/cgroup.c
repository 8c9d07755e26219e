/* Resource limits (--memory, --cpus, --pids-limit) through a cgroup v2 subtree delegated to the
 * user. The container gets a cgroup of its own, den-<id>, beside den's: in the cgroup den
 * runs in when the user owns it (a unit with Delegate=yes), with the controllers the limits
 * need enabled in it. cgroup v2 enables a controller for children only in a cgroup without
 * processes of its own, so when den's cgroup has some (den itself, the shell or unit that
 * started it), they are moved first into a leaf beside the containers, den-leaf, as podman
 * moves its processes into an "init" subtree; later commands started there find the
 * controllers enabled in den-leaf's parent and put their containers beside it. Where none of
 * this can be had (cgroup v1 or hybrid, a cgroup the user does not own, a controller not
 * delegated), the limits are ignored with one warning that says why, as podman warns; the
 * container still runs. */
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include "runtime/rt-internal.h"

#define CGROUP_FILE_MAX 4096
#define CGROUP_PROCS_MAX (1 << 20)

static bool word_in(const char *list, const char *word)
{
        size_t n = strlen(word);

        for (const char *p = list; (p = strstr(p, word)); p += n)
                if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' ' || p[n] == '\n'))
                        return true;
        return false;
}

static int write_str_at(int dfd, const char *file, const char *val)
{
        _cleanup_close_ int fd = openat(dfd, file, O_WRONLY | O_CLOEXEC);

        /* cgroup files take one write each: no temporary file, no rename */
        if (fd < 0)
                return -errno;
        return den_write_all(fd, val, strlen(val));
}

/* Moves every process of the cgroup PARENT into its leaf child den-leaf, so that PARENT may
 * enable controllers for its children. Processes may be forked into PARENT meanwhile: a few
 * rounds until it is empty. */
static int move_procs_to_leaf(int parent)
{
        _cleanup_close_ int leaf = -EBADF;

        if (mkdirat(parent, RT_CGROUP_LEAF, 0755) < 0 && errno != EEXIST)
                return -errno;
        leaf = openat(parent, RT_CGROUP_LEAF, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (leaf < 0)
                return -errno;
        for (int round = 0; round < 8; round++) {
                _cleanup_free_ char *procs = NULL;
                size_t len = 0;
                char *save = NULL;
                int r = den_read_file_at(parent, "cgroup.procs", CGROUP_PROCS_MAX, &procs, &len);

                if (r < 0)
                        return r;
                if (len == 0)
                        return 0;
                for (char *pid = strtok_r(procs, "\n", &save); pid;
                     pid = strtok_r(NULL, "\n", &save)) {
                        r = write_str_at(leaf, "cgroup.procs", pid);
                        if (r < 0 && r != -ESRCH) /* ESRCH: it exited meanwhile */
                                return r;
                }
        }
        return -EBUSY;
}

/* The controller each requested limit needs, missing from the container's cgroup even after
 * den asked its parent for it; NULL when all are there. */
static const char *missing_controller(const struct rt_spec *s, int parent, int cg)
{
        const char *want[3] = { s->memory_max > 0 ? "memory" : NULL,
                                s->cpu_quota > 0 ? "cpu" : NULL, s->pids_max > 0 ? "pids" : NULL };

        for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
                _cleanup_free_ char *have = NULL;
                size_t len = 0;

                if (!want[i])
                        continue;
                if (den_read_file_at(cg, "cgroup.controllers", CGROUP_FILE_MAX, &have, &len) == 0 &&
                    word_in(have, want[i]))
                        continue;
                /* refused when the parent has processes of its own (cgroup v2's rule: EBUSY)
                 * or does not have the controller itself */
                {
                        char plus[16];

                        (void) snprintf(plus, sizeof(plus), "+%s", want[i]);
                        if (write_str_at(parent, "cgroup.subtree_control", plus) == -EBUSY &&
                            move_procs_to_leaf(parent) == 0)
                                (void) write_str_at(parent, "cgroup.subtree_control", plus);
                }
                free(steal_ptr(have));
                if (den_read_file_at(cg, "cgroup.controllers", CGROUP_FILE_MAX, &have, &len) != 0 ||
                    !word_in(have, want[i]))
                        return want[i];
        }
        return NULL;
}

/* The limits, written before the init is born in (or moved into) the cgroup CG. */
static void set_limits(const struct rt_spec *s, int cg, const char *dir, const char *name)
{
        static const char *const files[] = { "memory.max", "cpu.max", "pids.max" };
        const bool is_wanted[] = { s->memory_max > 0, s->cpu_quota > 0, s->pids_max > 0 };
        char val[3][64];

        (void) snprintf(val[0], 64, "%lld", (long long) s->memory_max);
        (void) snprintf(val[1], 64, "%lld %llu", (long long) s->cpu_quota,
                        (unsigned long long) s->cpu_period);
        (void) snprintf(val[2], 64, "%lld", (long long) s->pids_max);
        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                int r = is_wanted[i] ? write_str_at(cg, files[i], val[i]) : 0;

                if (r < 0)
                        den_warn("resource limits: write %s/%s/%s: %s, ignoring", dir, name,
                                 files[i], strerror(-r));
        }
}

int rt_cgroup_prepare(const char *id, const struct rt_spec *s)
{
        _cleanup_free_ char *self = NULL, *dir = NULL;
        _cleanup_close_ int parent = -EBADF;
        _cleanup_close_ int cg = -EBADF;
        const char *missing;
        struct statfs sf;
        char name[80];
        size_t len = 0;

        if (!s->has_limits)
                return -1;
        if (statfs("/sys/fs/cgroup", &sf) < 0 || sf.f_type != CGROUP2_SUPER_MAGIC ||
            den_read_file_at(AT_FDCWD, "/proc/self/cgroup", CGROUP_FILE_MAX, &self, &len) < 0 ||
            !den_str_has_prefix(self, "0::/")) {
                den_warn("Resource limits are not supported and ignored on cgroups V1 rootless "
                         "systems");
                return -1;
        }
        self[strcspn(self, "\n")] = '\0';
        rt_cgroup_strip_leaf(self + 3);
        dir = xasprintf("/sys/fs/cgroup%s", self + 3);
        (void) snprintf(name, sizeof(name), "den-%.64s", id ? id : "init");
        parent = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (parent < 0 || (mkdirat(parent, name, 0755) < 0 && errno != EEXIST) ||
            (cg = openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
                den_warn("Resource limits are ignored: cannot create a cgroup in %s (%s): it is "
                         "not delegated to this user",
                         dir, strerror(errno));
                return -1;
        }
        missing = missing_controller(s, parent, cg);
        if (missing) {
                den_warn("Resource limits are ignored: the cgroup %s does not delegate the %s "
                         "controller",
                         dir, missing);
                (void) unlinkat(parent, name, AT_REMOVEDIR);
                return -1;
        }
        set_limits(s, cg, dir, name);
        return steal_fd(cg);
}

void rt_cgroup_attach(int cg, pid_t pid)
{
        char val[32];
        int r;

        if (cg < 0)
                return;
        (void) snprintf(val, sizeof(val), "%d", (int) pid);
        r = write_str_at(cg, "cgroup.procs", val);
        if (r < 0)
                den_warn("resource limits: move the container into its cgroup: %s, ignoring",
                         strerror(-r));
}
