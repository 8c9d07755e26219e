/* Resource limits (--memory, --cpus, --pids-limit) through a cgroup v2 subtree delegated to the
 * user. The container gets a cgroup of its own, den-<id>, beside den's: in the cgroup den
 * runs in when the user owns it (a unit with Delegate=yes), with the controllers the limits
 * need enabled in it. Where that cannot be had (cgroup v1 or hybrid, a cgroup the user does not
 * own, a controller not delegated), the limits are ignored with one warning that says why, as
 * podman warns; the container still runs. */
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include "runtime/rt-internal.h"

#define CGROUP_FILE_MAX 4096

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
                /* refused when the parent has processes of its own (cgroup v2's rule) or does
                 * not have the controller itself */
                {
                        char plus[16];

                        (void) snprintf(plus, sizeof(plus), "+%s", want[i]);
                        (void) write_str_at(parent, "cgroup.subtree_control", plus);
                }
                free(steal_ptr(have));
                if (den_read_file_at(cg, "cgroup.controllers", CGROUP_FILE_MAX, &have, &len) != 0 ||
                    !word_in(have, want[i]))
                        return want[i];
        }
        return NULL;
}

int rt_cgroup_prepare(const char *id, const struct rt_spec *s)
{
        _cleanup_free_ char *self = NULL, *dir = NULL;
        _cleanup_close_ int parent = -EBADF;
        _cleanup_close_ int cg = -EBADF;
        const char *missing;
        struct statfs sf;
        char name[80], val[64];
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
        if (s->memory_max > 0) {
                (void) snprintf(val, sizeof(val), "%lld", (long long) s->memory_max);
                int r = write_str_at(cg, "memory.max", val);

                if (r < 0)
                        den_warn("memory limit: write %s/%s/memory.max: %s, ignoring", dir, name,
                                 strerror(-r));
        }
        return steal_fd(cg);
}

void rt_cgroup_attach(const struct rt_spec *s, int cg, pid_t pid)
{
        static const char *const files[] = { "cpu.max", "pids.max", "cgroup.procs" };
        const bool is_wanted[] = { s->cpu_quota > 0, s->pids_max > 0, true };
        char val[3][64];

        if (cg < 0)
                return;
        (void) snprintf(val[0], 64, "%lld %llu", (long long) s->cpu_quota,
                        (unsigned long long) s->cpu_period);
        (void) snprintf(val[1], 64, "%lld", (long long) s->pids_max);
        (void) snprintf(val[2], 64, "%d", (int) pid);
        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                int r = is_wanted[i] ? write_str_at(cg, files[i], val[i]) : 0;

                if (r < 0)
                        den_warn("resource limits: write %s: %s, ignoring", files[i], strerror(-r));
        }
}
