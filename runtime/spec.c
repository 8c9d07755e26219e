/* config.json (OCI runtime-spec 1.x) into struct rt_spec.
 *
 * Trust: den writes the config.json it runs, but a user can hand one to `den oci-run`, and
 * every value in it ends up in a syscall of the container's init. So the parser is strict
 * about what it uses (types, ranges, absolute destinations, known names) and bounded in
 * size; it ignores fields den does not use, as runtimes do. Paths in it are not checked
 * against the rootfs here: the init resolves every destination inside the rootfs itself. */
#include <linux/capability.h>
#include <sys/mount.h>

#include "runtime/rt-internal.h"

const char *const rt_cap_names[] = {
        "CAP_CHOWN",
        "CAP_DAC_OVERRIDE",
        "CAP_DAC_READ_SEARCH",
        "CAP_FOWNER",
        "CAP_FSETID",
        "CAP_KILL",
        "CAP_SETGID",
        "CAP_SETUID",
        "CAP_SETPCAP",
        "CAP_LINUX_IMMUTABLE",
        "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST",
        "CAP_NET_ADMIN",
        "CAP_NET_RAW",
        "CAP_IPC_LOCK",
        "CAP_IPC_OWNER",
        "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO",
        "CAP_SYS_CHROOT",
        "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT",
        "CAP_SYS_ADMIN",
        "CAP_SYS_BOOT",
        "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE",
        "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG",
        "CAP_MKNOD",
        "CAP_LEASE",
        "CAP_AUDIT_WRITE",
        "CAP_AUDIT_CONTROL",
        "CAP_SETFCAP",
        "CAP_MAC_OVERRIDE",
        "CAP_MAC_ADMIN",
        "CAP_SYSLOG",
        "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND",
        "CAP_AUDIT_READ",
        "CAP_PERFMON",
        "CAP_BPF",
        "CAP_CHECKPOINT_RESTORE",
        NULL,
};

int rt_cap_from_name(const char *name)
{
        for (size_t i = 0; rt_cap_names[i]; i++)
                if (strcasecmp(rt_cap_names[i], name) == 0 ||
                    strcasecmp(rt_cap_names[i] + 4, name) == 0)
                        return (int) i;
        return -1;
}

static const struct {
        const char *name;
        int resource;
} rlimit_names[] = {
        { "RLIMIT_AS", RLIMIT_AS },
        { "RLIMIT_CORE", RLIMIT_CORE },
        { "RLIMIT_CPU", RLIMIT_CPU },
        { "RLIMIT_DATA", RLIMIT_DATA },
        { "RLIMIT_FSIZE", RLIMIT_FSIZE },
        { "RLIMIT_LOCKS", RLIMIT_LOCKS },
        { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
        { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
        { "RLIMIT_NICE", RLIMIT_NICE },
        { "RLIMIT_NOFILE", RLIMIT_NOFILE },
        { "RLIMIT_NPROC", RLIMIT_NPROC },
        { "RLIMIT_RSS", RLIMIT_RSS },
        { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
        { "RLIMIT_RTTIME", RLIMIT_RTTIME },
        { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
        { "RLIMIT_STACK", RLIMIT_STACK },
};

/* Mount options that are flags; clear means the option removes the flag. */
static const struct {
        const char *name;
        bool is_clear;
        unsigned long flag;
} mount_flags[] = {
        { "ro", false, MS_RDONLY },
        { "rw", true, MS_RDONLY },
        { "nosuid", false, MS_NOSUID },
        { "suid", true, MS_NOSUID },
        { "nodev", false, MS_NODEV },
        { "dev", true, MS_NODEV },
        { "noexec", false, MS_NOEXEC },
        { "exec", true, MS_NOEXEC },
        { "sync", false, MS_SYNCHRONOUS },
        { "async", true, MS_SYNCHRONOUS },
        { "dirsync", false, MS_DIRSYNC },
        { "remount", false, MS_REMOUNT },
        { "mand", false, MS_MANDLOCK },
        { "nomand", true, MS_MANDLOCK },
        { "atime", true, MS_NOATIME },
        { "noatime", false, MS_NOATIME },
        { "diratime", true, MS_NODIRATIME },
        { "nodiratime", false, MS_NODIRATIME },
        { "relatime", false, MS_RELATIME },
        { "norelatime", true, MS_RELATIME },
        { "strictatime", false, MS_STRICTATIME },
        { "nostrictatime", true, MS_STRICTATIME },
        { "silent", false, MS_SILENT },
        { "loud", true, MS_SILENT },
};

static const struct {
        const char *name;
        unsigned long flag;
} propagation_flags[] = {
        { "private", MS_PRIVATE },       { "rprivate", MS_PRIVATE | MS_REC },
        { "slave", MS_SLAVE },           { "rslave", MS_SLAVE | MS_REC },
        { "shared", MS_SHARED },         { "rshared", MS_SHARED | MS_REC },
        { "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
};

static const char *const ns_names[RT_NS_N] = {
        [RT_NS_PID] = "pid",       [RT_NS_NET] = "network", [RT_NS_MOUNT] = "mount",
        [RT_NS_IPC] = "ipc",       [RT_NS_UTS] = "uts",     [RT_NS_USER] = "user",
        [RT_NS_CGROUP] = "cgroup",
};

/* ---------------------------------------------------------------- typed getters */

static const char *type_name(const json_t *v)
{
        switch (json_typeof(v)) {
        case JSON_OBJECT:
                return "object";
        case JSON_ARRAY:
                return "array";
        case JSON_STRING:
                return "string";
        case JSON_INTEGER:
                return "integer";
        case JSON_REAL:
                return "number";
        case JSON_TRUE:
        case JSON_FALSE:
                return "boolean";
        case JSON_NULL:
                return "null";
        default:
                return "value";
        }
}

static bool is_absent(const json_t *v)
{
        return !v || json_is_null(v);
}

static int want_type(const json_t *v, const char *path, json_type t, const char *tname,
                     den_error **err)
{
        if (json_typeof(v) != t)
                return den_error_set(err, EINVAL, "%s: must be %s, not %s", path, tname,
                                     type_name(v));
        return 0;
}

/* A string without NUL (jansson refuses NUL without JSON_ALLOW_NUL) of at most max bytes. */
static int get_str(const json_t *v, const char *path, size_t max, char **ret, den_error **err)
{
        if (want_type(v, path, JSON_STRING, "a string", err) < 0)
                return -1;
        if (json_string_length(v) > max)
                return den_error_set(err, EINVAL, "%s: longer than %zu bytes", path, max);
        *ret = xstrdup(json_string_value(v));
        return 0;
}

static int get_bool(const json_t *v, const char *path, bool *ret, den_error **err)
{
        if (is_absent(v))
                return 0;
        if (!json_is_boolean(v))
                return den_error_set(err, EINVAL, "%s: must be a boolean, not %s", path,
                                     type_name(v));
        *ret = json_is_true(v);
        return 0;
}

static int get_int(const json_t *v, const char *path, long long min, long long max, long long *ret,
                   den_error **err)
{
        long long x;

        if (want_type(v, path, JSON_INTEGER, "an integer", err) < 0)
                return -1;
        x = json_integer_value(v);
        if (x < min || x > max)
                return den_error_set(err, ERANGE, "%s: %lld is out of range", path, x);
        *ret = x;
        return 0;
}

static int get_strv(const json_t *v, const char *path, size_t max_n, char ***ret, den_error **err)
{
        _cleanup_strv_ char **l = NULL;
        char sub[128];
        size_t i;
        json_t *e;

        if (is_absent(v))
                return 0;
        if (want_type(v, path, JSON_ARRAY, "an array", err) < 0)
                return -1;
        if (json_array_size(v) > max_n)
                return den_error_set(err, E2BIG, "%s: more than %zu entries", path, max_n);
        l = xcalloc(json_array_size(v) + 1, sizeof(char *));
        json_array_foreach (v, i, e) {
                (void) snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
                if (get_str(e, sub, RT_SPEC_MAX_PATH * 8, &l[i], err) < 0)
                        return -1;
        }
        *ret = steal_ptr(l);
        return 0;
}

static int get_abs_path(const json_t *v, const char *path, char **ret, den_error **err)
{
        _cleanup_free_ char *s = NULL;

        if (get_str(v, path, RT_SPEC_MAX_PATH, &s, err) < 0)
                return -1;
        if (s[0] != '/')
                return den_error_set(err, EINVAL, "%s: \"%s\" is not an absolute path", path, s);
        *ret = steal_ptr(s);
        return 0;
}

/* ---------------------------------------------------------------- process */

static int parse_caps(const json_t *v, struct rt_process *p, den_error **err)
{
        static const char *const sets[RT_CAP_N_SETS] = { "bounding", "effective", "inheritable",
                                                         "permitted", "ambient" };
        char path[128];

        if (is_absent(v))
                return 0;
        if (want_type(v, "process.capabilities", JSON_OBJECT, "an object", err) < 0)
                return -1;
        p->has_caps = true;
        for (int s = 0; s < RT_CAP_N_SETS; s++) {
                _cleanup_strv_ char **l = NULL;

                (void) snprintf(path, sizeof(path), "process.capabilities.%s", sets[s]);
                if (get_strv(json_object_get(v, sets[s]), path, 64, &l, err) < 0)
                        return -1;
                for (size_t i = 0; l && l[i]; i++) {
                        int c = rt_cap_from_name(l[i]);

                        if (c < 0)
                                return den_error_set(err, EINVAL,
                                                     "%s[%zu]: unknown capability "
                                                     "\"%s\"",
                                                     path, i, l[i]);
                        p->caps[s] |= 1ull << c;
                }
        }
        for (int c = 0; rt_cap_names[c]; c++)
                if (p->caps[RT_CAP_BOUNDING] & (1ull << c))
                        den_strv_push(&p->bounding_names, rt_cap_names[c]);
        return 0;
}

static int parse_rlimit(const json_t *e, const char *path, struct rt_rlimit *r, den_error **err)
{
        _cleanup_free_ char *type = NULL;
        char sub[128];
        long long soft, hard;
        size_t i;

        if (want_type(e, path, JSON_OBJECT, "an object", err) < 0)
                return -1;
        (void) snprintf(sub, sizeof(sub), "%.64s.type", path);
        if (get_str(json_object_get(e, "type"), sub, 64, &type, err) < 0)
                return -1;
        for (i = 0; i < ARRAY_SIZE(rlimit_names); i++)
                if (streq(rlimit_names[i].name, type))
                        break;
        if (i == ARRAY_SIZE(rlimit_names))
                return den_error_set(err, EINVAL, "%s: unknown rlimit \"%s\"", sub, type);
        r->resource = rlimit_names[i].resource;
        (void) snprintf(sub, sizeof(sub), "%.64s.soft", path);
        if (get_int(json_object_get(e, "soft"), sub, 0, INT64_MAX, &soft, err) < 0)
                return -1;
        (void) snprintf(sub, sizeof(sub), "%.64s.hard", path);
        if (get_int(json_object_get(e, "hard"), sub, 0, INT64_MAX, &hard, err) < 0)
                return -1;
        r->lim.rlim_cur = (rlim_t) soft;
        r->lim.rlim_max = (rlim_t) hard;
        return 0;
}

static int parse_user(const json_t *u, const char *path, struct rt_process *p, den_error **err)
{
        const json_t *groups;
        char sub[160];
        long long x;
        size_t i;
        json_t *e;

        if (is_absent(u))
                return 0;
        if (want_type(u, path, JSON_OBJECT, "an object", err) < 0)
                return -1;
        (void) snprintf(sub, sizeof(sub), "%.64s.uid", path);
        if (json_object_get(u, "uid")) {
                if (get_int(json_object_get(u, "uid"), sub, 0, UINT32_MAX - 1, &x, err) < 0)
                        return -1;
                p->uid = (uid_t) x;
        }
        (void) snprintf(sub, sizeof(sub), "%.64s.gid", path);
        if (json_object_get(u, "gid")) {
                if (get_int(json_object_get(u, "gid"), sub, 0, UINT32_MAX - 1, &x, err) < 0)
                        return -1;
                p->gid = (gid_t) x;
        }
        (void) snprintf(sub, sizeof(sub), "%.64s.umask", path);
        if (!is_absent(json_object_get(u, "umask"))) {
                if (get_int(json_object_get(u, "umask"), sub, 0, 07777, &x, err) < 0)
                        return -1;
                p->has_umask = true;
                p->umask = (mode_t) x;
        }
        groups = json_object_get(u, "additionalGids");
        if (is_absent(groups))
                return 0;
        (void) snprintf(sub, sizeof(sub), "%.64s.additionalGids", path);
        if (want_type(groups, sub, JSON_ARRAY, "an array", err) < 0)
                return -1;
        if (json_array_size(groups) > RT_SPEC_MAX_LIST)
                return den_error_set(err, E2BIG, "%s: more than %d entries", sub, RT_SPEC_MAX_LIST);
        p->groups = xcalloc(json_array_size(groups) + 1, sizeof(gid_t));
        json_array_foreach (groups, i, e) {
                (void) snprintf(sub, sizeof(sub), "%.64s.additionalGids[%zu]", path, i);
                if (get_int(e, sub, 0, UINT32_MAX - 1, &x, err) < 0)
                        return -1;
                p->groups[p->n_groups++] = (gid_t) x;
        }
        return 0;
}

static int parse_env(const json_t *v, struct rt_process *p, den_error **err)
{
        if (get_strv(v, "process.env", RT_SPEC_MAX_ENV, &p->env, err) < 0)
                return -1;
        for (size_t i = 0; p->env && p->env[i]; i++) {
                if (!strchr(p->env[i], '=') || p->env[i][0] == '=')
                        return den_error_set(err, EINVAL,
                                             "process.env[%zu]: \"%s\" is not "
                                             "NAME=VALUE",
                                             i, p->env[i]);
                if (den_str_has_prefix(p->env[i], "PATH="))
                        p->path_env = p->env[i] + 5;
        }
        if (!p->env)
                p->env = xcalloc(1, sizeof(char *));
        return 0;
}

int rt_process_parse(const json_t *obj, const char *path, struct rt_process *ret, den_error **err)
{
        _cleanup_(rt_process_clear) struct rt_process p = { 0 };
        const json_t *rl;
        char sub[160];
        size_t i;
        json_t *e;

        if (want_type(obj, path, JSON_OBJECT, "an object", err) < 0)
                return -1;
        (void) snprintf(sub, sizeof(sub), "%.64s.args", path);
        if (get_strv(json_object_get(obj, "args"), sub, RT_SPEC_MAX_ARGS, &p.args, err) < 0)
                return -1;
        if (!p.args || !p.args[0] || !p.args[0][0])
                return den_error_set(err, EINVAL, "%s: must name the command", sub);
        if (parse_env(json_object_get(obj, "env"), &p, err) < 0)
                return -1;
        (void) snprintf(sub, sizeof(sub), "%.64s.cwd", path);
        if (is_absent(json_object_get(obj, "cwd")))
                p.cwd = xstrdup("/");
        else if (get_abs_path(json_object_get(obj, "cwd"), sub, &p.cwd, err) < 0)
                return -1;
        (void) snprintf(sub, sizeof(sub), "%.64s.user", path);
        if (parse_user(json_object_get(obj, "user"), sub, &p, err) < 0)
                return -1;
        (void) snprintf(sub, sizeof(sub), "%.64s.terminal", path);
        if (get_bool(json_object_get(obj, "terminal"), sub, &p.is_terminal, err) < 0)
                return -1;
        (void) snprintf(sub, sizeof(sub), "%.64s.noNewPrivileges", path);
        if (get_bool(json_object_get(obj, "noNewPrivileges"), sub, &p.is_no_new_privs, err) < 0)
                return -1;
        if (parse_caps(json_object_get(obj, "capabilities"), &p, err) < 0)
                return -1;
        rl = json_object_get(obj, "rlimits");
        if (!is_absent(rl)) {
                (void) snprintf(sub, sizeof(sub), "%.64s.rlimits", path);
                if (want_type(rl, sub, JSON_ARRAY, "an array", err) < 0)
                        return -1;
                if (json_array_size(rl) > RT_SPEC_MAX_LIST)
                        return den_error_set(err, E2BIG, "%s: too many entries", sub);
                p.rlimits = xcalloc(json_array_size(rl) + 1, sizeof(*p.rlimits));
                json_array_foreach (rl, i, e) {
                        (void) snprintf(sub, sizeof(sub), "%.64s.rlimits[%zu]", path, i);
                        if (parse_rlimit(e, sub, &p.rlimits[p.n_rlimits++], err) < 0)
                                return -1;
                }
        }
        *ret = p;
        p = (struct rt_process){ 0 };
        return 0;
}

void rt_process_clear(struct rt_process *p)
{
        den_strv_free(p->args);
        den_strv_free(p->env);
        free(p->cwd);
        free(p->groups);
        den_strv_free(p->bounding_names);
        free(p->rlimits);
        *p = (struct rt_process){ 0 };
}

/* ---------------------------------------------------------------- mounts */

static int mount_option(struct rt_mount *m, const char *opt, struct den_buf *data)
{
        for (size_t i = 0; i < ARRAY_SIZE(mount_flags); i++) {
                if (!streq(mount_flags[i].name, opt))
                        continue;
                if (mount_flags[i].is_clear)
                        m->flags &= ~mount_flags[i].flag;
                else
                        m->flags |= mount_flags[i].flag;
                return 0;
        }
        for (size_t i = 0; i < ARRAY_SIZE(propagation_flags); i++) {
                if (streq(propagation_flags[i].name, opt)) {
                        m->propagation = propagation_flags[i].flag;
                        return 0;
                }
        }
        if (streq(opt, "bind") || streq(opt, "rbind")) {
                m->kind = RT_MOUNT_BIND;
                m->is_rbind = m->is_rbind || streq(opt, "rbind");
                return 0;
        }
        /* options runtimes act on themselves, or that are no mount(2) option */
        if (streq(opt, "tmpcopyup") || streq(opt, "notmpcopyup") || streq(opt, "copy-symlink") ||
            streq(opt, "idmap") || streq(opt, "ridmap") || streq(opt, "defaults") ||
            den_str_has_prefix(opt, "x-"))
                return 0;
        if (!*opt || strchr(opt, '\n'))
                return -1;
        if (data->len)
                den_buf_puts(data, ",");
        den_buf_puts(data, opt);
        return 0;
}

static int parse_mount(const json_t *e, size_t idx, const char *bundle, struct rt_mount *m,
                       den_error **err)
{
        _cleanup_strv_ char **opts = NULL;
        _cleanup_(den_buf_free) struct den_buf data = { 0 };
        _cleanup_free_ char *src = NULL;
        char path[128];

        (void) snprintf(path, sizeof(path), "mounts[%zu]", idx);
        if (want_type(e, path, JSON_OBJECT, "an object", err) < 0)
                return -1;
        (void) snprintf(path, sizeof(path), "mounts[%zu].destination", idx);
        if (get_abs_path(json_object_get(e, "destination"), path, &m->destination, err) < 0)
                return -1;
        (void) snprintf(path, sizeof(path), "mounts[%zu].type", idx);
        if (is_absent(json_object_get(e, "type")))
                m->type = xstrdup("none");
        else if (get_str(json_object_get(e, "type"), path, 64, &m->type, err) < 0)
                return -1;
        (void) snprintf(path, sizeof(path), "mounts[%zu].source", idx);
        if (!is_absent(json_object_get(e, "source")) &&
            get_str(json_object_get(e, "source"), path, RT_SPEC_MAX_PATH, &src, err) < 0)
                return -1;
        (void) snprintf(path, sizeof(path), "mounts[%zu].options", idx);
        if (get_strv(json_object_get(e, "options"), path, 64, &opts, err) < 0)
                return -1;
        m->kind = streq(m->type, "bind")                                  ? RT_MOUNT_BIND
                  : streq(m->type, "sysfs")                               ? RT_MOUNT_SYSFS
                  : streq(m->type, "cgroup") || streq(m->type, "cgroup2") ? RT_MOUNT_CGROUP
                                                                          : RT_MOUNT_FS;
        for (size_t i = 0; opts && opts[i]; i++)
                if (mount_option(m, opts[i], &data) < 0)
                        return den_error_set(err, EINVAL, "%s[%zu]: invalid option \"%s\"", path, i,
                                             opts[i]);
        if (m->kind == RT_MOUNT_BIND) {
                if (!src || !*src)
                        return den_error_set(err, EINVAL,
                                             "mounts[%zu].source: a bind mount "
                                             "needs a source",
                                             idx);
                m->source = src[0] == '/' || !bundle ? steal_ptr(src) : den_path_join(bundle, src);
        } else {
                m->source = src ? steal_ptr(src) : xstrdup(m->type);
        }
        if (data.len)
                m->data = den_buf_steal(&data);
        return 0;
}

static int parse_mounts(const json_t *v, const char *bundle, struct rt_spec *s, den_error **err)
{
        size_t i;
        json_t *e;

        if (is_absent(v))
                return 0;
        if (want_type(v, "mounts", JSON_ARRAY, "an array", err) < 0)
                return -1;
        if (json_array_size(v) > RT_SPEC_MAX_MOUNTS)
                return den_error_set(err, E2BIG, "mounts: more than %d entries",
                                     RT_SPEC_MAX_MOUNTS);
        s->mounts = xcalloc(json_array_size(v) + 1, sizeof(*s->mounts));
        json_array_foreach (v, i, e)
                if (parse_mount(e, i, bundle, &s->mounts[s->n_mounts++], err) < 0)
                        return -1;
        return 0;
}

/* ---------------------------------------------------------------- linux */

static int parse_namespaces(const json_t *v, struct rt_spec *s, den_error **err)
{
        char path[128];
        size_t i;
        json_t *e;

        if (is_absent(v))
                return 0;
        if (want_type(v, "linux.namespaces", JSON_ARRAY, "an array", err) < 0)
                return -1;
        json_array_foreach (v, i, e) {
                _cleanup_free_ char *type = NULL;
                int k;

                (void) snprintf(path, sizeof(path), "linux.namespaces[%zu]", i);
                if (want_type(e, path, JSON_OBJECT, "an object", err) < 0)
                        return -1;
                (void) snprintf(path, sizeof(path), "linux.namespaces[%zu].type", i);
                if (get_str(json_object_get(e, "type"), path, 32, &type, err) < 0)
                        return -1;
                for (k = 0; k < RT_NS_N; k++)
                        if (streq(ns_names[k], type))
                                break;
                if (k == RT_NS_N)
                        return den_error_set(err, EINVAL, "%s: unknown namespace \"%s\"", path,
                                             type);
                if (s->ns[k].is_set)
                        return den_error_set(err, EINVAL, "%s: \"%s\" is listed twice", path, type);
                s->ns[k].is_set = true;
                (void) snprintf(path, sizeof(path), "linux.namespaces[%zu].path", i);
                if (!is_absent(json_object_get(e, "path")) &&
                    get_abs_path(json_object_get(e, "path"), path, &s->ns[k].path, err) < 0)
                        return -1;
        }
        return 0;
}

static int parse_idmap(const json_t *v, const char *path, struct rt_idmap **ret, size_t *ret_n,
                       den_error **err)
{
        static const char *const keys[3] = { "containerID", "hostID", "size" };
        char sub[128];
        size_t i;
        json_t *e;

        if (is_absent(v))
                return 0;
        if (want_type(v, path, JSON_ARRAY, "an array", err) < 0)
                return -1;
        if (json_array_size(v) > RT_SPEC_MAX_IDMAP)
                return den_error_set(err, E2BIG, "%s: more than %d entries", path,
                                     RT_SPEC_MAX_IDMAP);
        *ret = xcalloc(json_array_size(v) + 1, sizeof(**ret));
        json_array_foreach (v, i, e) {
                long long x[3];

                (void) snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
                if (want_type(e, sub, JSON_OBJECT, "an object", err) < 0)
                        return -1;
                for (int k = 0; k < 3; k++) {
                        (void) snprintf(sub, sizeof(sub), "%s[%zu].%s", path, i, keys[k]);
                        if (get_int(json_object_get(e, keys[k]), sub, k == 2 ? 1 : 0, UINT32_MAX,
                                    &x[k], err) < 0)
                                return -1;
                }
                (*ret)[i] = (struct rt_idmap){ (uint32_t) x[0], (uint32_t) x[1], (uint32_t) x[2] };
                (*ret_n)++;
        }
        return 0;
}

static int parse_sysctl(const json_t *v, struct rt_spec *s, den_error **err)
{
        const char *k;
        json_t *e;

        if (is_absent(v))
                return 0;
        if (want_type(v, "linux.sysctl", JSON_OBJECT, "an object", err) < 0)
                return -1;
        if (json_object_size(v) > RT_SPEC_MAX_LIST)
                return den_error_set(err, E2BIG, "linux.sysctl: too many entries");
        json_object_foreach ((json_t *) v, k, e) {
                if (!json_is_string(e))
                        return den_error_set(err, EINVAL,
                                             "linux.sysctl.%s: must be a string, "
                                             "not %s",
                                             k, type_name(e));
                /* a key names a file under /proc/sys: no way up, no way out */
                if (!*k || strstr(k, "..") || k[0] == '.' || k[0] == '/' || strlen(k) > 256)
                        return den_error_set(err, EINVAL, "linux.sysctl: invalid key \"%s\"", k);
                den_strv_push(&s->sysctl, k);
                den_strv_push(&s->sysctl, json_string_value(e));
        }
        return 0;
}

static int parse_seccomp(const json_t *v, struct rt_spec *s, den_error **err)
{
        _cleanup_free_ char *text = NULL;

        if (is_absent(v))
                return 0;
        if (want_type(v, "linux.seccomp", JSON_OBJECT, "an object", err) < 0)
                return -1;
        text = json_dumps(v, JSON_COMPACT);
        if (!text)
                return den_error_set(err, ENOMEM, "linux.seccomp: serialize");
        if (rt_seccomp_parse(text, strlen(text), &s->seccomp, err) < 0)
                return den_error_wrap(err, "linux.seccomp");
        if (rt_seccomp_is_unconfined(s->seccomp)) {
                rt_seccomp_free(s->seccomp);
                s->seccomp = NULL;
        }
        return 0;
}

static int get_limit(const json_t *obj, const char *key, const char *path, int64_t *ret,
                     den_error **err)
{
        const json_t *v = json_object_get(obj, key);
        long long x = 0;

        if (is_absent(v))
                return 0;
        if (get_int(v, path, -1, INT64_MAX, &x, err) < 0)
                return -1;
        *ret = x;
        return 0;
}

static int parse_resources(const json_t *v, struct rt_spec *s, den_error **err)
{
        const json_t *mem, *cpu, *pids;
        int64_t period = 0;

        s->memory_max = s->cpu_quota = s->pids_max = -1;
        if (is_absent(v))
                return 0;
        if (want_type(v, "linux.resources", JSON_OBJECT, "an object", err) < 0)
                return -1;
        mem = json_object_get(v, "memory");
        cpu = json_object_get(v, "cpu");
        pids = json_object_get(v, "pids");
        if (json_is_object(mem) &&
            get_limit(mem, "limit", "linux.resources.memory.limit", &s->memory_max, err) < 0)
                return -1;
        if (json_is_object(cpu) &&
            (get_limit(cpu, "quota", "linux.resources.cpu.quota", &s->cpu_quota, err) < 0 ||
             get_limit(cpu, "period", "linux.resources.cpu.period", &period, err) < 0))
                return -1;
        if (json_is_object(pids) &&
            get_limit(pids, "limit", "linux.resources.pids.limit", &s->pids_max, err) < 0)
                return -1;
        s->cpu_period = period > 0 ? (uint64_t) period : 100000;
        s->has_limits = s->memory_max > 0 || s->cpu_quota > 0 || s->pids_max > 0;
        return 0;
}

static int parse_propagation(const json_t *v, struct rt_spec *s, den_error **err)
{
        _cleanup_free_ char *p = NULL;

        if (is_absent(v))
                return 0;
        if (get_str(v, "linux.rootfsPropagation", 32, &p, err) < 0)
                return -1;
        for (size_t i = 0; i < ARRAY_SIZE(propagation_flags); i++) {
                if (streq(propagation_flags[i].name, p)) {
                        s->rootfs_propagation = propagation_flags[i].flag;
                        return 0;
                }
        }
        return den_error_set(err, EINVAL, "linux.rootfsPropagation: unknown value \"%s\"", p);
}

static int parse_linux(const json_t *v, struct rt_spec *s, den_error **err)
{
        if (is_absent(v)) {
                s->memory_max = s->cpu_quota = s->pids_max = -1;
                return 0;
        }
        if (want_type(v, "linux", JSON_OBJECT, "an object", err) < 0)
                return -1;
        if (parse_namespaces(json_object_get(v, "namespaces"), s, err) < 0 ||
            parse_idmap(json_object_get(v, "uidMappings"), "linux.uidMappings", &s->uidmap,
                        &s->n_uidmap, err) < 0 ||
            parse_idmap(json_object_get(v, "gidMappings"), "linux.gidMappings", &s->gidmap,
                        &s->n_gidmap, err) < 0 ||
            get_strv(json_object_get(v, "maskedPaths"), "linux.maskedPaths", RT_SPEC_MAX_LIST,
                     &s->masked, err) < 0 ||
            get_strv(json_object_get(v, "readonlyPaths"), "linux.readonlyPaths", RT_SPEC_MAX_LIST,
                     &s->readonly, err) < 0 ||
            parse_sysctl(json_object_get(v, "sysctl"), s, err) < 0 ||
            parse_propagation(json_object_get(v, "rootfsPropagation"), s, err) < 0 ||
            parse_resources(json_object_get(v, "resources"), s, err) < 0 ||
            parse_seccomp(json_object_get(v, "seccomp"), s, err) < 0)
                return -1;
        if (s->ns[RT_NS_USER].is_set && !s->ns[RT_NS_USER].path &&
            (s->n_uidmap == 0 || s->n_gidmap == 0))
                return den_error_set(err, EINVAL,
                                     "linux: a new user namespace needs "
                                     "uidMappings and gidMappings");
        return 0;
}

/* ---------------------------------------------------------------- the document */

static int parse_root(const json_t *v, const char *bundle, struct rt_spec *s, den_error **err)
{
        _cleanup_free_ char *p = NULL;

        if (is_absent(v))
                return den_error_set(err, EINVAL, "root: is missing");
        if (want_type(v, "root", JSON_OBJECT, "an object", err) < 0)
                return -1;
        if (get_str(json_object_get(v, "path"), "root.path", RT_SPEC_MAX_PATH, &p, err) < 0)
                return -1;
        if (!*p)
                return den_error_set(err, EINVAL, "root.path: is empty");
        s->root_path = p[0] == '/' || !bundle ? steal_ptr(p) : den_path_join(bundle, p);
        return get_bool(json_object_get(v, "readonly"), "root.readonly", &s->is_root_readonly, err);
}

static int parse_doc(const json_t *doc, const char *bundle, struct rt_spec *s, den_error **err)
{
        const json_t *v;

        if (want_type(doc, "config.json", JSON_OBJECT, "an object", err) < 0)
                return -1;
        v = json_object_get(doc, "ociVersion");
        if (!is_absent(v) && !json_is_string(v))
                return den_error_set(err, EINVAL, "ociVersion: must be a string");
        if (is_absent(json_object_get(doc, "process")))
                return den_error_set(err, EINVAL, "process: is missing");
        if (rt_process_parse(json_object_get(doc, "process"), "process", &s->proc, err) < 0 ||
            parse_root(json_object_get(doc, "root"), bundle, s, err) < 0)
                return -1;
        v = json_object_get(doc, "hostname");
        if (!is_absent(v) && get_str(v, "hostname", 64, &s->hostname, err) < 0)
                return -1;
        v = json_object_get(doc, "domainname");
        if (!is_absent(v) && get_str(v, "domainname", 64, &s->domainname, err) < 0)
                return -1;
        if (parse_mounts(json_object_get(doc, "mounts"), bundle, s, err) < 0)
                return -1;
        return parse_linux(json_object_get(doc, "linux"), s, err);
}

static int spec_parse(const char *json, size_t len, const char *bundle, struct rt_spec **ret,
                      den_error **err)
{
        json_auto_t *doc = NULL;
        struct rt_spec *s;
        json_error_t jerr;

        if (len > RT_SPEC_MAX_DOC)
                return den_error_set(err, EFBIG, "config.json is larger than %u bytes",
                                     RT_SPEC_MAX_DOC);
        doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!doc)
                return den_error_set(err, EINVAL,
                                     "config.json: invalid JSON at line %d column "
                                     "%d: %s",
                                     jerr.line, jerr.column, jerr.text);
        s = xcalloc(1, sizeof(*s));
        if (parse_doc(doc, bundle, s, err) < 0) {
                rt_spec_free(s);
                return -1;
        }
        *ret = s;
        return 0;
}

int rt_spec_parse(const char *json, size_t len, struct rt_spec **ret, den_error **err)
{
        return spec_parse(json, len, NULL, ret, err);
}

int rt_spec_load(const char *bundle, struct rt_spec **ret, den_error **err)
{
        _cleanup_free_ char *path = den_path_join(bundle, "config.json");
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r;

        r = den_read_file_at(AT_FDCWD, path, RT_SPEC_MAX_DOC, &data, &len);
        if (r == -EFBIG)
                return den_error_set(err, EFBIG, "read \"%s\": larger than %u bytes", path,
                                     RT_SPEC_MAX_DOC);
        if (r < 0)
                return den_error_set(err, -r, "read \"%s\"", path);
        if (spec_parse(data, len, bundle, ret, err) < 0)
                return den_error_wrap(err, "\"%s\"", path);
        return 0;
}

void rt_spec_free(struct rt_spec *s)
{
        if (!s)
                return;
        free(s->root_path);
        free(s->hostname);
        free(s->domainname);
        rt_process_clear(&s->proc);
        for (size_t i = 0; i < s->n_mounts; i++) {
                free(s->mounts[i].destination);
                free(s->mounts[i].source);
                free(s->mounts[i].type);
                free(s->mounts[i].data);
        }
        free(s->mounts);
        for (int k = 0; k < RT_NS_N; k++)
                free(s->ns[k].path);
        free(s->uidmap);
        free(s->gidmap);
        den_strv_free(s->masked);
        den_strv_free(s->readonly);
        den_strv_free(s->sysctl);
        rt_seccomp_free(s->seccomp);
        free(s);
}

bool rt_spec_has_terminal(const struct rt_spec *s)
{
        return s->proc.is_terminal;
}
