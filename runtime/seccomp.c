/* Seccomp profiles for containers: the containers seccomp.json format (what podman reads for
 * --security-opt seccomp=FILE), den's built-in default profile, and the BPF filter built from
 * either with libseccomp.
 *
 * Trust: a profile comes from the user (a file they name) or from den itself; either way it
 * only narrows what the container may do, so it is validated for shape and bounds, not for
 * policy. Its rules are evaluated the way podman and crun evaluate them, in profile order:
 *   - a rule applies when none of its excludes match (any listed capability in the bounding
 *     set, the native architecture listed, the kernel at least minKernel) and all of its
 *     includes match (every listed capability held, the native architecture listed, the
 *     kernel at least minKernel);
 *   - architectures are matched by Go's names ("amd64", "arm64"), as podman does;
 *   - names libseccomp does not know are skipped; a rule whose action equals the default
 *     action is skipped (libseccomp refuses it);
 *   - for a syscall that already has an unconditional rule, libseccomp keeps the first one:
 *     later rules for it do nothing. Conditional rules for one syscall are merged by
 *     libseccomp;
 *   - when one rule compares the same argument twice, libseccomp cannot express it as one
 *     rule, and each comparison becomes a rule of its own, as crun does.
 *
 * Speed: names are resolved to numbers once, at parse time. Building the filter (rule adds
 * and BPF generation inside libseccomp) is the costly part; rt_seccomp_compile() lets a
 * caller build once and hand the program to rt_seccomp_load_bpf() in the container's init,
 * which is a single seccomp(2) call. */
#include <jansson.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include "runtime/runtime.h"

/* podman's profile is 16 KiB; a profile a hundred times larger is no longer a profile. */
#define SC_MAX_DOC (1u << 20)
#define SC_MAX_RULES 4096
#define SC_MAX_NAMES 16384 /* over all rules */
#define SC_MAX_LIST 64     /* caps, arches, archMap entries and their sub-architectures, flags */
#define SC_MAX_ARGS 6      /* a syscall has six arguments */
#define SC_MAX_STR 64      /* a syscall, capability or architecture name */
#define SC_MAX_ERRNO 4095  /* the kernel's MAX_ERRNO */

/* libseccomp's binary tree optimization level (see build()) */
#define SC_OPTIMIZE 2

#define KVER(major, minor) (((unsigned) (major) << 16) | (unsigned) (minor))

struct sc_arg {
        unsigned index;
        enum scmp_compare op;
        uint64_t value;
        uint64_t value_two;
};

/* The includes or excludes of a rule. Empty lists and min_kernel 0 mean "no condition". */
struct sc_cond {
        char **caps;
        char **arches;
        unsigned min_kernel;
};

struct sc_rule {
        int *nrs; /* host-native syscall numbers, or libseccomp's pseudo numbers */
        size_t n_nrs;
        uint32_t action;
        struct sc_arg args[SC_MAX_ARGS];
        size_t n_args;
        struct sc_cond inc;
        struct sc_cond exc;
};

struct sc_archmap {
        uint32_t arch;
        uint32_t *subs;
        size_t n_subs;
};

struct rt_seccomp {
        bool is_unconfined; /* "{}": podman runs such a container without a filter */
        uint32_t default_action;
        uint32_t *arches; /* "architectures" */
        size_t n_arches;
        struct sc_archmap *archmap;
        size_t n_archmap;
        struct sc_rule *rules;
        size_t n_rules;
        size_t n_names;
        unsigned flags; /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
};

static inline void seccomp_releasep(scmp_filter_ctx *ctx)
{
        if (*ctx)
                seccomp_release(*ctx);
}
#define _cleanup_scmp_ _cleanup_(seccomp_releasep)

/* ---------------------------------------------------------------- names of things */

static const struct sc_arch {
        const char *json; /* as profiles spell it */
        const char *go;   /* as includes.arches spells it (Go's GOARCH names) */
        uint32_t token;
} sc_arches[] = {
        { "SCMP_ARCH_X86", "x86", SCMP_ARCH_X86 },
        { "SCMP_ARCH_X86_64", "amd64", SCMP_ARCH_X86_64 },
        { "SCMP_ARCH_X32", "x32", SCMP_ARCH_X32 },
        { "SCMP_ARCH_ARM", "arm", SCMP_ARCH_ARM },
        { "SCMP_ARCH_AARCH64", "arm64", SCMP_ARCH_AARCH64 },
        { "SCMP_ARCH_MIPS", "mips", SCMP_ARCH_MIPS },
        { "SCMP_ARCH_MIPS64", "mips64", SCMP_ARCH_MIPS64 },
        { "SCMP_ARCH_MIPS64N32", "mips64n32", SCMP_ARCH_MIPS64N32 },
        { "SCMP_ARCH_MIPSEL", "mipsel", SCMP_ARCH_MIPSEL },
        { "SCMP_ARCH_MIPSEL64", "mipsel64", SCMP_ARCH_MIPSEL64 },
        { "SCMP_ARCH_MIPSEL64N32", "mipsel64n32", SCMP_ARCH_MIPSEL64N32 },
        { "SCMP_ARCH_PPC", "ppc", SCMP_ARCH_PPC },
        { "SCMP_ARCH_PPC64", "ppc64", SCMP_ARCH_PPC64 },
        { "SCMP_ARCH_PPC64LE", "ppc64le", SCMP_ARCH_PPC64LE },
        { "SCMP_ARCH_S390", "s390", SCMP_ARCH_S390 },
        { "SCMP_ARCH_S390X", "s390x", SCMP_ARCH_S390X },
        { "SCMP_ARCH_PARISC", "parisc", SCMP_ARCH_PARISC },
        { "SCMP_ARCH_PARISC64", "parisc64", SCMP_ARCH_PARISC64 },
#ifdef SCMP_ARCH_RISCV64
        { "SCMP_ARCH_RISCV64", "riscv64", SCMP_ARCH_RISCV64 },
#endif
};

static const struct sc_arch *arch_by_json(const char *s)
{
        for (size_t i = 0; i < ARRAY_SIZE(sc_arches); i++)
                if (streq(sc_arches[i].json, s))
                        return &sc_arches[i];
        return NULL;
}

static const struct sc_arch *arch_by_token(uint32_t token)
{
        for (size_t i = 0; i < ARRAY_SIZE(sc_arches); i++)
                if (sc_arches[i].token == token)
                        return &sc_arches[i];
        return NULL;
}

enum sc_value { SC_VALUE_NONE, SC_VALUE_ERRNO, SC_VALUE_TRACE };

static const struct {
        const char *name;
        uint32_t action;
        enum sc_value value;
} sc_actions[] = {
        { "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, SC_VALUE_NONE },
        { "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), SC_VALUE_ERRNO },
        { "SCMP_ACT_KILL", SCMP_ACT_KILL, SC_VALUE_NONE },
        { "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, SC_VALUE_NONE },
        { "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, SC_VALUE_NONE },
        { "SCMP_ACT_TRAP", SCMP_ACT_TRAP, SC_VALUE_NONE },
        { "SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), SC_VALUE_TRACE },
        { "SCMP_ACT_LOG", SCMP_ACT_LOG, SC_VALUE_NONE },
};

static const struct {
        const char *name;
        enum scmp_compare op;
} sc_ops[] = {
        { "SCMP_CMP_NE", SCMP_CMP_NE },
        { "SCMP_CMP_LT", SCMP_CMP_LT },
        { "SCMP_CMP_LE", SCMP_CMP_LE },
        { "SCMP_CMP_EQ", SCMP_CMP_EQ },
        { "SCMP_CMP_GE", SCMP_CMP_GE },
        { "SCMP_CMP_GT", SCMP_CMP_GT },
        { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

static const struct {
        const char *name;
        unsigned flag;
} sc_flags[] = {
        { "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
        { "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
        { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
};

/* "EPERM" -> 1; 0 when unknown. */
static int errno_by_name(const char *s)
{
        for (int e = 1; e <= 200; e++) {
                const char *n = strerrorname_np(e);

                if (n && streq(n, s))
                        return e;
        }
        return 0;
}

/* "5.10" -> KVER(5, 10); 0 when malformed. With whole, nothing may follow the minor number
 * (minKernel is "major.minor"); without, anything may ("6.1.0-18-amd64" from uname). */
static unsigned kver_parse(const char *s, bool whole)
{
        unsigned v[2] = { 0, 0 };

        for (int i = 0; i < 2; i++) {
                size_t n = 0;

                for (; s[n] >= '0' && s[n] <= '9'; n++) {
                        if (n == 4)
                                return 0;
                        v[i] = v[i] * 10 + (unsigned) (s[n] - '0');
                }
                if (n == 0 || (i == 0 && s[n] != '.'))
                        return 0;
                s += n + (i == 0);
        }
        if ((whole && *s != '\0') || (v[0] == 0 && v[1] == 0))
                return 0;
        return KVER(v[0], v[1]);
}

/* ---------------------------------------------------------------- freeing */

static void cond_free(struct sc_cond *c)
{
        den_strv_free(c->caps);
        den_strv_free(c->arches);
}

void rt_seccomp_free(struct rt_seccomp *p)
{
        if (!p)
                return;
        for (size_t i = 0; i < p->n_rules; i++) {
                free(p->rules[i].nrs);
                cond_free(&p->rules[i].inc);
                cond_free(&p->rules[i].exc);
        }
        free(p->rules);
        for (size_t i = 0; i < p->n_archmap; i++)
                free(p->archmap[i].subs);
        free(p->archmap);
        free(p->arches);
        free(p);
}

static inline void rt_seccomp_freep(struct rt_seccomp **p)
{
        rt_seccomp_free(*p);
}

/* Adds one syscall by name to r; names libseccomp does not know are skipped, as podman
 * skips them. Counted against the profile's bound either way. */
static int rule_add_name(struct rt_seccomp *p, struct sc_rule *r, const char *name,
                         const char *path, den_error **err)
{
        int nr;

        if (++p->n_names > SC_MAX_NAMES)
                return den_error_set(err, 0, "%s: more than %d syscall names in the profile", path,
                                     SC_MAX_NAMES);
        nr = seccomp_syscall_resolve_name(name);
        if (nr == __NR_SCMP_ERROR) {
                den_debug("seccomp: unknown syscall \"%.*s\", skipping", SC_MAX_STR, name);
                return 0;
        }
        r->nrs = xrealloc(r->nrs, (r->n_nrs + 1) * sizeof(*r->nrs));
        r->nrs[r->n_nrs++] = nr;
        return 0;
}

static struct sc_rule *rule_new(struct rt_seccomp *p)
{
        p->rules = xrealloc(p->rules, (p->n_rules + 1) * sizeof(*p->rules));
        p->rules[p->n_rules] = (struct sc_rule){ 0 };
        return &p->rules[p->n_rules++];
}

/* ---------------------------------------------------------------- JSON parsing */

__attribute__((format(printf, 3, 4))) static int path_err(den_error **err, const char *path,
                                                          const char *fmt, ...)
{
        char msg[256];
        va_list ap;

        va_start(ap, fmt);
        (void) vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return den_error_set(err, 0, "%s: %s", path, msg);
}

static const char *type_name(const json_t *v)
{
        switch (json_typeof(v)) {
        case JSON_OBJECT:
                return "an object";
        case JSON_ARRAY:
                return "an array";
        case JSON_STRING:
                return "a string";
        case JSON_INTEGER:
                return "an integer";
        case JSON_REAL:
                return "a number with a fraction";
        case JSON_TRUE:
        case JSON_FALSE:
                return "a boolean";
        case JSON_NULL:
                return "null";
        default:
                return "unknown";
        }
}

static int get_string(const json_t *v, const char *path, const char **ret, den_error **err)
{
        if (!json_is_string(v))
                return path_err(err, path, "must be a string, not %s", type_name(v));
        *ret = json_string_value(v);
        return 0;
}

static int get_uint(const json_t *v, const char *path, uint64_t max, uint64_t *ret, den_error **err)
{
        json_int_t i;

        if (!json_is_integer(v))
                return path_err(err, path, "must be an integer, not %s", type_name(v));
        i = json_integer_value(v);
        if (i < 0 || (uint64_t) i > max)
                return path_err(err, path, "%lld is out of range (0 to %llu)", (long long) i,
                                (unsigned long long) max);
        *ret = (uint64_t) i;
        return 0;
}

/* An array of short strings, or null; *ret stays NULL for null or an empty array. */
static int get_strv(const json_t *v, const char *path, char ***ret, den_error **err)
{
        _cleanup_strv_ char **l = NULL;
        size_t i;
        json_t *e;

        if (!v || json_is_null(v))
                return 0;
        if (!json_is_array(v))
                return path_err(err, path, "must be an array of strings, not %s", type_name(v));
        if (json_array_size(v) > SC_MAX_LIST)
                return path_err(err, path, "more than %d entries", SC_MAX_LIST);
        json_array_foreach (v, i, e) {
                if (!json_is_string(e))
                        return path_err(err, path, "entry %zu must be a string, not %s", i,
                                        type_name(e));
                if (json_string_length(e) > SC_MAX_STR)
                        return path_err(err, path, "entry %zu is longer than %d bytes", i,
                                        SC_MAX_STR);
                den_strv_push(&l, json_string_value(e));
        }
        *ret = steal_ptr(l);
        return 0;
}

/* An action with its value: key is "action" or "defaultAction"; the value comes from
 * errnoRet (or the newer errno name) and defaults to EPERM, as in crun. */
static int parse_action(const json_t *obj, const char *path, bool is_default, uint32_t *ret,
                        den_error **err)
{
        const char *k_act = is_default ? "defaultAction" : "action";
        const char *k_ret = is_default ? "defaultErrnoRet" : "errnoRet";
        const char *k_name = is_default ? "defaultErrno" : "errno";
        const json_t *jret = json_object_get(obj, k_ret), *jname = json_object_get(obj, k_name);
        const char *name = NULL, *ename = NULL;
        uint64_t value = EPERM;
        char sub[96];
        size_t i;

        (void) snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", k_act);
        if (!json_object_get(obj, k_act))
                return path_err(err, sub, "is missing");
        if (get_string(json_object_get(obj, k_act), sub, &name, err) < 0)
                return -1;
        if (streq(name, "SCMP_ACT_NOTIFY"))
                return path_err(err, sub,
                                "SCMP_ACT_NOTIFY is not supported: den runs no "
                                "seccomp agent");
        for (i = 0; i < ARRAY_SIZE(sc_actions); i++)
                if (streq(sc_actions[i].name, name))
                        break;
        if (i == ARRAY_SIZE(sc_actions))
                return path_err(err, sub, "unknown action \"%.*s\"", SC_MAX_STR, name);

        (void) snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", k_name);
        if (jname && !json_is_null(jname)) {
                if (get_string(jname, sub, &ename, err) < 0)
                        return -1;
                value = (uint64_t) errno_by_name(ename);
                if (value == 0)
                        return path_err(err, sub, "unknown errno \"%.*s\"", SC_MAX_STR, ename);
        }
        (void) snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", k_ret);
        if (jret && !json_is_null(jret)) {
                uint64_t v;

                if (get_uint(jret, sub, UINT16_MAX, &v, err) < 0)
                        return -1;
                if (ename && v != value)
                        return path_err(err, sub, "%llu disagrees with %s \"%s\"",
                                        (unsigned long long) v, k_name, ename);
                value = v;
        }
        if ((jret || ename) && sc_actions[i].value == SC_VALUE_NONE) {
                if (!jret)
                        (void) snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", k_name);
                return path_err(err, sub, "is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE");
        }
        if (sc_actions[i].value == SC_VALUE_ERRNO && value > SC_MAX_ERRNO)
                return path_err(err, sub, "%llu is not an errno (at most %d)",
                                (unsigned long long) value, SC_MAX_ERRNO);

        *ret = sc_actions[i].value == SC_VALUE_NONE ? sc_actions[i].action
                                                    : (sc_actions[i].action | (uint32_t) value);
        return 0;
}

static int parse_arg(const json_t *a, const char *path, struct sc_arg *ret, den_error **err)
{
        const char *op = NULL;
        const json_t *v;
        char sub[128];
        uint64_t index = 0;
        size_t i;

        if (!json_is_object(a))
                return path_err(err, path, "must be an object, not %s", type_name(a));
        (void) snprintf(sub, sizeof(sub), "%s.index", path);
        if ((v = json_object_get(a, "index")) && get_uint(v, sub, SC_MAX_ARGS - 1, &index, err) < 0)
                return -1;
        ret->index = (unsigned) index;
        (void) snprintf(sub, sizeof(sub), "%s.value", path);
        if ((v = json_object_get(a, "value")) && get_uint(v, sub, INT64_MAX, &ret->value, err) < 0)
                return -1;
        (void) snprintf(sub, sizeof(sub), "%s.valueTwo", path);
        if ((v = json_object_get(a, "valueTwo")) &&
            get_uint(v, sub, INT64_MAX, &ret->value_two, err) < 0)
                return -1;
        (void) snprintf(sub, sizeof(sub), "%s.op", path);
        if (!(v = json_object_get(a, "op")))
                return path_err(err, sub, "is missing");
        if (get_string(v, sub, &op, err) < 0)
                return -1;
        for (i = 0; i < ARRAY_SIZE(sc_ops); i++)
                if (streq(sc_ops[i].name, op)) {
                        ret->op = sc_ops[i].op;
                        return 0;
                }
        return path_err(err, sub, "unknown operator \"%.*s\"", SC_MAX_STR, op);
}

static int parse_cond(const json_t *c, const char *path, struct sc_cond *ret, den_error **err)
{
        const char *mk = NULL;
        const json_t *v;
        char sub[128];

        if (!c || json_is_null(c))
                return 0;
        if (!json_is_object(c))
                return path_err(err, path, "must be an object, not %s", type_name(c));
        (void) snprintf(sub, sizeof(sub), "%s.caps", path);
        if (get_strv(json_object_get(c, "caps"), sub, &ret->caps, err) < 0)
                return -1;
        (void) snprintf(sub, sizeof(sub), "%s.arches", path);
        if (get_strv(json_object_get(c, "arches"), sub, &ret->arches, err) < 0)
                return -1;
        (void) snprintf(sub, sizeof(sub), "%s.minKernel", path);
        if ((v = json_object_get(c, "minKernel")) && !json_is_null(v)) {
                if (get_string(v, sub, &mk, err) < 0)
                        return -1;
                ret->min_kernel = kver_parse(mk, true);
                if (ret->min_kernel == 0)
                        return path_err(err, sub, "\"%.*s\" is not a kernel version like \"5.10\"",
                                        SC_MAX_STR, mk);
        }
        return 0;
}

static int parse_names(struct rt_seccomp *p, struct sc_rule *r, const json_t *s, const char *path,
                       den_error **err)
{
        const json_t *names = json_object_get(s, "names"), *name = json_object_get(s, "name");
        const char *one = NULL;
        char sub[96];
        size_t i;
        json_t *e;

        if (name && !json_is_null(name)) {
                (void) snprintf(sub, sizeof(sub), "%s.name", path);
                if (names && !json_is_null(names) && json_array_size(names) > 0)
                        return path_err(err, path, "has both name and names");
                if (get_string(name, sub, &one, err) < 0)
                        return -1;
                return rule_add_name(p, r, one, sub, err);
        }
        if (!names || json_is_null(names))
                return 0; /* podman adds nothing for such an entry */
        (void) snprintf(sub, sizeof(sub), "%s.names", path);
        if (!json_is_array(names))
                return path_err(err, sub, "must be an array of strings, not %s", type_name(names));
        json_array_foreach (names, i, e) {
                if (!json_is_string(e))
                        return path_err(err, sub, "entry %zu must be a string, not %s", i,
                                        type_name(e));
                if (json_string_length(e) > SC_MAX_STR)
                        return path_err(err, sub, "entry %zu is longer than %d bytes", i,
                                        SC_MAX_STR);
                if (rule_add_name(p, r, json_string_value(e), sub, err) < 0)
                        return -1;
        }
        return 0;
}

static int parse_syscall(struct rt_seccomp *p, const json_t *s, size_t idx, den_error **err)
{
        const json_t *args;
        struct sc_rule *r;
        char path[64], sub[96];
        size_t i;
        json_t *a;

        (void) snprintf(path, sizeof(path), "syscalls[%zu]", idx);
        if (!json_is_object(s))
                return path_err(err, path, "must be an object, not %s", type_name(s));
        r = rule_new(p);
        if (parse_names(p, r, s, path, err) < 0 ||
            parse_action(s, path, false, &r->action, err) < 0)
                return -1;
        args = json_object_get(s, "args");
        if (args && !json_is_null(args)) {
                (void) snprintf(sub, sizeof(sub), "%s.args", path);
                if (!json_is_array(args))
                        return path_err(err, sub, "must be an array, not %s", type_name(args));
                if (json_array_size(args) > SC_MAX_ARGS)
                        return path_err(err, sub, "more than %d comparisons", SC_MAX_ARGS);
                json_array_foreach (args, i, a) {
                        (void) snprintf(sub, sizeof(sub), "%s.args[%zu]", path, i);
                        if (parse_arg(a, sub, &r->args[i], err) < 0)
                                return -1;
                }
                r->n_args = json_array_size(args);
        }
        (void) snprintf(sub, sizeof(sub), "%s.includes", path);
        if (parse_cond(json_object_get(s, "includes"), sub, &r->inc, err) < 0)
                return -1;
        (void) snprintf(sub, sizeof(sub), "%s.excludes", path);
        return parse_cond(json_object_get(s, "excludes"), sub, &r->exc, err);
}

/* "SCMP_ARCH_X86_64" -> its libseccomp token; 0 when unknown. */
static uint32_t arch_token(const char *s)
{
        const struct sc_arch *a = arch_by_json(s);

        if (streq(s, "SCMP_ARCH_NATIVE"))
                return seccomp_arch_native();
        return a ? a->token : 0;
}

static int parse_arch_list(const json_t *v, const char *path, uint32_t **ret, size_t *ret_n,
                           den_error **err)
{
        _cleanup_strv_ char **l = NULL;
        _cleanup_free_ uint32_t *a = NULL;
        size_t n;

        if (get_strv(v, path, &l, err) < 0)
                return -1;
        n = den_strv_len(l);
        a = xcalloc(n ? n : 1, sizeof(*a));
        for (size_t i = 0; i < n; i++) {
                a[i] = arch_token(l[i]);
                if (a[i] == 0)
                        return path_err(err, path, "unknown architecture \"%s\"", l[i]);
        }
        *ret = steal_ptr(a);
        *ret_n = n;
        return 0;
}

static int parse_archmap_entry(struct sc_archmap *am, const json_t *e, size_t i, den_error **err)
{
        const char *name = NULL;
        char path[64];

        (void) snprintf(path, sizeof(path), "archMap[%zu]", i);
        if (!json_is_object(e))
                return path_err(err, path, "must be an object, not %s", type_name(e));
        (void) snprintf(path, sizeof(path), "archMap[%zu].architecture", i);
        if (!json_object_get(e, "architecture"))
                return path_err(err, path, "is missing");
        if (get_string(json_object_get(e, "architecture"), path, &name, err) < 0)
                return -1;
        am->arch = arch_token(name);
        if (am->arch == 0)
                return path_err(err, path, "unknown architecture \"%.*s\"", SC_MAX_STR, name);
        (void) snprintf(path, sizeof(path), "archMap[%zu].subArchitectures", i);
        return parse_arch_list(json_object_get(e, "subArchitectures"), path, &am->subs, &am->n_subs,
                               err);
}

static int parse_archmap(struct rt_seccomp *p, const json_t *m, den_error **err)
{
        size_t i;
        json_t *e;

        if (!m || json_is_null(m))
                return 0;
        if (!json_is_array(m))
                return path_err(err, "archMap", "must be an array, not %s", type_name(m));
        if (json_array_size(m) > SC_MAX_LIST)
                return path_err(err, "archMap", "more than %d entries", SC_MAX_LIST);
        p->archmap = xcalloc(json_array_size(m) + 1, sizeof(*p->archmap));
        json_array_foreach (m, i, e)
                if (parse_archmap_entry(&p->archmap[p->n_archmap++], e, i, err) < 0)
                        return -1;
        return 0;
}

static int parse_flags(struct rt_seccomp *p, const json_t *v, den_error **err)
{
        _cleanup_strv_ char **l = NULL;

        /* No flags: crun's choice, which podman gets. SPEC_ALLOW keeps the kernel from forcing
         * the speculative store bypass mitigation (and its cost) on every containerized task. */
        p->flags = SECCOMP_FILTER_FLAG_SPEC_ALLOW;
        if (!v || json_is_null(v))
                return 0;
        if (get_strv(v, "flags", &l, err) < 0)
                return -1;
        p->flags = 0;
        for (char **f = l; f && *f; f++) {
                size_t i;

                for (i = 0; i < ARRAY_SIZE(sc_flags); i++)
                        if (streq(sc_flags[i].name, *f))
                                break;
                if (i == ARRAY_SIZE(sc_flags))
                        return path_err(err, "flags", "unknown flag \"%s\"", *f);
                p->flags |= sc_flags[i].flag;
        }
        return 0;
}

static int parse_doc(struct rt_seccomp *p, const json_t *doc, den_error **err)
{
        const json_t *syscalls = json_object_get(doc, "syscalls");
        const json_t *arches = json_object_get(doc, "architectures");
        const json_t *archmap = json_object_get(doc, "archMap");
        size_t i;
        json_t *s;

        if (!json_object_get(doc, "defaultAction") &&
            (!syscalls || json_is_null(syscalls) || json_array_size(syscalls) == 0)) {
                /* podman's reading of a profile that says nothing */
                p->is_unconfined = true;
                return 0;
        }
        if (parse_action(doc, "", true, &p->default_action, err) < 0)
                return -1;
        if (arches && !json_is_null(arches) && json_array_size(arches) > 0 && archmap &&
            !json_is_null(archmap) && json_array_size(archmap) > 0)
                return den_error_set(err, 0, "architectures and archMap are both given, use one");
        if (parse_arch_list(arches, "architectures", &p->arches, &p->n_arches, err) < 0 ||
            parse_archmap(p, archmap, err) < 0 ||
            parse_flags(p, json_object_get(doc, "flags"), err) < 0)
                return -1;
        if (!syscalls || json_is_null(syscalls))
                return 0;
        if (!json_is_array(syscalls))
                return path_err(err, "syscalls", "must be an array, not %s", type_name(syscalls));
        if (json_array_size(syscalls) > SC_MAX_RULES)
                return path_err(err, "syscalls", "more than %d entries", SC_MAX_RULES);
        json_array_foreach (syscalls, i, s)
                if (parse_syscall(p, s, i, err) < 0)
                        return -1;
        return 0;
}

int rt_seccomp_parse(const char *json, size_t len, struct rt_seccomp **ret, den_error **err)
{
        _cleanup_(rt_seccomp_freep) struct rt_seccomp *p = NULL;
        json_auto_t *doc = NULL;
        json_error_t jerr;

        if (len > SC_MAX_DOC)
                return den_error_set(err, EFBIG, "seccomp profile is larger than %u bytes",
                                     SC_MAX_DOC);
        doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!doc)
                return den_error_set(err, 0,
                                     "seccomp profile: invalid JSON at line %d column %d: %s",
                                     jerr.line, jerr.column, jerr.text);
        if (!json_is_object(doc))
                return den_error_set(err, 0, "seccomp profile: must be a JSON object, not %s",
                                     type_name(doc));
        p = xcalloc(1, sizeof(*p));
        if (parse_doc(p, doc, err) < 0)
                return den_error_wrap(err, "seccomp profile");
        *ret = steal_ptr(p);
        return 0;
}

int rt_seccomp_parse_file(const char *path, struct rt_seccomp **ret, den_error **err)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r;

        r = den_read_file_at(AT_FDCWD, path, SC_MAX_DOC, &data, &len);
        if (r == -EFBIG)
                return den_error_set(err, EFBIG,
                                     "read seccomp profile \"%s\": larger than %u bytes", path,
                                     SC_MAX_DOC);
        if (r < 0)
                return den_error_set(err, -r, "read seccomp profile \"%s\"", path);
        if (rt_seccomp_parse(data, len, ret, err) < 0)
                return den_error_wrap(err, "\"%s\"", path);
        return 0;
}

bool rt_seccomp_is_unconfined(const struct rt_seccomp *p)
{
        return p->is_unconfined;
}

unsigned rt_seccomp_load_flags(const struct rt_seccomp *p)
{
        return p->flags;
}

/* ---------------------------------------------------------------- the default profile */

/* den's default is podman's default (containers/common's seccomp.json) in effect: the same
 * verdict for every syscall and argument on x86_64 and aarch64 and their 32-bit companions,
 * for every bounding set. tests/unit/runtime/test-seccomp.c checks that against the installed
 * file. Anything not listed fails with ENOSYS, which programs read as "this kernel is too
 * old" and handle, where EPERM would be a hard failure. */
#define SC_ALLOW SCMP_ACT_ALLOW
#define SC_EPERM SCMP_ACT_ERRNO(EPERM)

/* Denied outright with EPERM: obsolete interfaces, and ones that reach past the container
 * (kexec, swap, NUMA page moves, PCI config space, userfaultfd, vmsplice). */
static const char sc_denied[] =
        "bdflush io_pgetevents kexec_file_load kexec_load migrate_pages move_pages nfsservctl "
        "nice oldfstat oldlstat oldolduname oldstat olduname pciconfig_iobase pciconfig_read "
        "pciconfig_write sgetmask ssetmask swapcontext swapoff swapon sysfs uselib userfaultfd "
        "ustat vm86 vm86old vmsplice";

static const char sc_process[] =
        "clone clone3 fork vfork execve execveat exit exit_group wait4 waitid waitpid "
        "getpid getppid gettid getpgid getpgrp getsid setsid setpgid kill tkill tgkill "
        "pidfd_open pidfd_send_signal pidfd_getfd process_mrelease set_tid_address "
        "set_robust_list get_robust_list futex futex_time64 restart_syscall rseq membarrier "
        "prctl seccomp capget capset ptrace process_vm_readv process_vm_writev "
        "set_thread_area get_thread_area syscall";

/* Namespace and mount calls: the kernel checks them against the container's own user
 * namespace, so they grant nothing outside it. podman also lists setns as needing
 * CAP_SYS_ADMIN, but its unconditional entry comes first and wins, so it is allowed. */
static const char sc_namespaces[] =
        "unshare setns mount umount umount2 pivot_root mount_setattr move_mount open_tree "
        "fsopen fsconfig fsmount fspick";

static const char sc_credentials[] =
        "getuid getuid32 geteuid geteuid32 getgid getgid32 getegid getegid32 getresuid "
        "getresuid32 getresgid getresgid32 getgroups getgroups32 setuid setuid32 setgid "
        "setgid32 setreuid setreuid32 setregid setregid32 setresuid setresuid32 setresgid "
        "setresgid32 setfsuid setfsuid32 setfsgid setfsgid32 setgroups setgroups32";

static const char sc_signals[] =
        "rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend "
        "rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo sigaction sigaltstack signal "
        "sigpending sigprocmask sigreturn sigsuspend pause alarm";

static const char sc_memory[] =
        "brk mmap mmap2 munmap mremap mprotect madvise mincore mlock mlock2 mlockall munlock "
        "munlockall msync remap_file_pages mbind get_mempolicy set_mempolicy memfd_create "
        "memfd_secret pkey_alloc pkey_free pkey_mprotect";

static const char sc_file_io[] =
        "open openat openat2 creat close close_range read write readv writev pread64 pwrite64 "
        "preadv preadv2 pwritev pwritev2 lseek _llseek dup dup2 dup3 fcntl fcntl64 ioctl flock "
        "fsync fdatasync sync syncfs sync_file_range fallocate fadvise64 fadvise64_64 readahead "
        "sendfile sendfile64 splice tee copy_file_range ftruncate ftruncate64 truncate "
        "truncate64 pipe pipe2 name_to_handle_at";

static const char sc_file_meta[] =
        "stat stat64 lstat lstat64 fstat fstat64 fstatat64 newfstatat statx statfs statfs64 "
        "fstatfs fstatfs64 access faccessat faccessat2 chmod fchmod fchmodat chown chown32 "
        "fchown fchown32 fchownat lchown lchown32 utime utimes utimensat utimensat_time64 "
        "futimesat umask getxattr lgetxattr fgetxattr setxattr lsetxattr fsetxattr listxattr "
        "llistxattr flistxattr removexattr lremovexattr fremovexattr";

static const char sc_directories[] =
        "chdir fchdir getcwd mkdir mkdirat mknod mknodat rmdir rename renameat renameat2 link "
        "linkat symlink symlinkat unlink unlinkat readlink readlinkat getdents getdents64 "
        "readdir";

static const char sc_events[] =
        "select _newselect pselect6 pselect6_time64 poll ppoll ppoll_time64 epoll_create "
        "epoll_create1 epoll_ctl epoll_ctl_old epoll_wait epoll_wait_old epoll_pwait "
        "epoll_pwait2 eventfd eventfd2 signalfd signalfd4 inotify_init inotify_init1 "
        "inotify_add_watch inotify_rm_watch fanotify_mark io_setup io_destroy io_submit "
        "io_cancel io_getevents";

static const char sc_time[] =
        "time gettimeofday clock_gettime clock_gettime64 clock_getres clock_getres_time64 "
        "clock_nanosleep clock_nanosleep_time64 nanosleep clock_adjtime clock_adjtime64 "
        "adjtimex getitimer setitimer times timer_create timer_delete timer_getoverrun "
        "timer_gettime timer_gettime64 timer_settime timer_settime64 timerfd timerfd_create "
        "timerfd_gettime timerfd_gettime64 timerfd_settime timerfd_settime64";

static const char sc_sched[] =
        "sched_yield sched_getaffinity sched_setaffinity sched_getattr sched_setattr "
        "sched_getparam sched_setparam sched_getscheduler sched_setscheduler "
        "sched_get_priority_max sched_get_priority_min sched_rr_get_interval "
        "sched_rr_get_interval_time64 getpriority setpriority ioprio_get ioprio_set getrlimit "
        "setrlimit ugetrlimit prlimit64 getrusage getcpu sysinfo uname syslog reboot getrandom "
        "landlock_create_ruleset landlock_add_rule landlock_restrict_self keyctl";

static const char sc_ipc[] =
        "ipc msgget msgsnd msgrcv msgctl semget semop semtimedop semtimedop_time64 semctl "
        "shmget shmat shmdt shmctl mq_open mq_unlink mq_timedsend mq_timedsend_time64 "
        "mq_timedreceive mq_timedreceive_time64 mq_notify mq_getsetattr";

/* socket itself is below: it depends on CAP_AUDIT_WRITE. */
static const char sc_network[] =
        "socketcall socketpair bind connect listen accept accept4 getsockname getpeername "
        "getsockopt setsockopt send sendto sendmsg sendmmsg recv recvfrom recvmsg recvmmsg "
        "recvmmsg_time64 shutdown";

/* Allowed with the capability in the bounding set, EPERM without. */
static const struct {
        const char *cap;
        const char *names;
} sc_cap_gated[] = {
        { "CAP_DAC_READ_SEARCH", "open_by_handle_at" },
        { "CAP_SYS_ADMIN", "bpf fanotify_init lookup_dcookie perf_event_open quotactl "
                           "setdomainname sethostname" },
        { "CAP_SYS_CHROOT", "chroot" },
        { "CAP_SYS_MODULE", "delete_module finit_module init_module query_module" },
        { "CAP_SYS_PACCT", "acct" },
        { "CAP_SYS_PTRACE", "kcmp process_madvise" },
        { "CAP_SYS_RAWIO", "ioperm iopl" },
        { "CAP_SYS_TIME", "clock_settime clock_settime64 settimeofday stime" },
        { "CAP_SYS_TTY_CONFIG", "vhangup" },
};

/* Allowed when the native architecture (Go's name) is one of those listed. */
static const struct {
        const char *arches;
        const char *names;
} sc_arch_only[] = {
        { "ppc64le", "sync_file_range2" },
        { "arm arm64", "arm_fadvise64_64 arm_sync_file_range breakpoint cacheflush set_tls "
                       "sync_file_range2" },
        { "amd64 x32", "arch_prctl" },
        { "amd64 x32 x86", "modify_ldt" },
        { "s390 s390x", "s390_pci_mmio_read s390_pci_mmio_write s390_runtime_instr" },
};

/* personality(2) with the execution domains programs really ask for: plain Linux, 32-bit
 * (PER_LINUX32), UNAME26, both, and the query (0xffffffff). */
static const uint64_t sc_personalities[] = { 0x0, 0x8, 0x20000, 0x20008, 0xffffffff };

#define AF_NETLINK_ 16
#define NETLINK_AUDIT_ 9

static void default_add(struct rt_seccomp *p, const char *names, uint32_t action,
                        struct sc_rule **ret)
{
        _cleanup_free_ char *copy = xstrdup(names);
        struct sc_rule *r = rule_new(p);
        char *save = NULL;

        r->action = action;
        for (char *n = strtok_r(copy, " ", &save); n; n = strtok_r(NULL, " ", &save))
                (void) rule_add_name(p, r, n, "default", NULL);
        if (ret)
                *ret = r;
}

static void default_socket(struct rt_seccomp *p)
{
        struct sc_rule *r;

        /* Without CAP_AUDIT_WRITE, sockets to the audit subsystem fail with EINVAL (as if
         * audit were missing) and every other socket is allowed. */
        default_add(p, "socket", SCMP_ACT_ERRNO(EINVAL), &r);
        r->args[0] = (struct sc_arg){ 0, SCMP_CMP_EQ, AF_NETLINK_, 0 };
        r->args[1] = (struct sc_arg){ 2, SCMP_CMP_EQ, NETLINK_AUDIT_, 0 };
        r->n_args = 2;
        den_strv_push(&r->exc.caps, "CAP_AUDIT_WRITE");
        default_add(p, "socket", SC_ALLOW, &r);
        r->args[0] = (struct sc_arg){ 2, SCMP_CMP_NE, NETLINK_AUDIT_, 0 };
        r->n_args = 1;
        den_strv_push(&r->exc.caps, "CAP_AUDIT_WRITE");
        default_add(p, "socket", SC_ALLOW, &r);
        r->args[0] = (struct sc_arg){ 0, SCMP_CMP_NE, AF_NETLINK_, 0 };
        r->n_args = 1;
        den_strv_push(&r->exc.caps, "CAP_AUDIT_WRITE");
        default_add(p, "socket", SC_ALLOW, &r);
        den_strv_push(&r->inc.caps, "CAP_AUDIT_WRITE");
}

int rt_seccomp_default(struct rt_seccomp **ret, den_error **err)
{
        static const char *const allowed[] = {
                sc_process, sc_namespaces, sc_credentials, sc_signals, sc_memory,
                sc_file_io, sc_file_meta,  sc_directories, sc_events,  sc_time,
                sc_sched,   sc_ipc,        sc_network,
        };
        struct rt_seccomp *p = xcalloc(1, sizeof(*p));
        struct sc_rule *r;

        p->default_action = SCMP_ACT_ERRNO(ENOSYS);
        p->flags = SECCOMP_FILTER_FLAG_SPEC_ALLOW;
        p->archmap = xcalloc(2, sizeof(*p->archmap));
        p->archmap[0].arch = SCMP_ARCH_X86_64;
        p->archmap[0].subs = xcalloc(2, sizeof(uint32_t));
        p->archmap[0].subs[0] = SCMP_ARCH_X86;
        p->archmap[0].subs[1] = SCMP_ARCH_X32;
        p->archmap[0].n_subs = 2;
        p->archmap[1].arch = SCMP_ARCH_AARCH64;
        p->archmap[1].subs = xcalloc(1, sizeof(uint32_t));
        p->archmap[1].subs[0] = SCMP_ARCH_ARM;
        p->archmap[1].n_subs = 1;
        p->n_archmap = 2;

        default_add(p, sc_denied, SC_EPERM, NULL);
        for (size_t i = 0; i < ARRAY_SIZE(allowed); i++)
                default_add(p, allowed[i], SC_ALLOW, NULL);
        for (size_t i = 0; i < ARRAY_SIZE(sc_personalities); i++) {
                default_add(p, "personality", SC_ALLOW, &r);
                r->args[0] = (struct sc_arg){ 0, SCMP_CMP_EQ, sc_personalities[i], 0 };
                r->n_args = 1;
        }
        for (size_t i = 0; i < ARRAY_SIZE(sc_arch_only); i++) {
                _cleanup_free_ char *copy = xstrdup(sc_arch_only[i].arches);
                char *save = NULL;

                default_add(p, sc_arch_only[i].names, SC_ALLOW, &r);
                for (char *a = strtok_r(copy, " ", &save); a; a = strtok_r(NULL, " ", &save))
                        den_strv_push(&r->inc.arches, a);
        }
        for (size_t i = 0; i < ARRAY_SIZE(sc_cap_gated); i++) {
                default_add(p, sc_cap_gated[i].names, SC_ALLOW, &r);
                den_strv_push(&r->inc.caps, sc_cap_gated[i].cap);
                default_add(p, sc_cap_gated[i].names, SC_EPERM, &r);
                den_strv_push(&r->exc.caps, sc_cap_gated[i].cap);
        }
        default_socket(p);
        (void) err;
        *ret = p;
        return 0;
}

/* ---------------------------------------------------------------- building the filter */

/* What a rule's conditions are checked against. */
struct sc_facts {
        uint32_t arch;
        const char *goarch; /* NULL for an architecture podman has no name for */
        unsigned kernel;
        char *const *caps;
};

static bool strv_any_in(char *const *l, char *const *set)
{
        for (; l && *l; l++)
                if (den_strv_contains(set, *l))
                        return true;
        return false;
}

static bool strv_all_in(char *const *l, char *const *set)
{
        for (; l && *l; l++)
                if (!den_strv_contains(set, *l))
                        return false;
        return true;
}

static bool arch_listed(char *const *l, const char *goarch)
{
        return goarch && den_strv_contains(l, goarch);
}

static bool rule_applies(const struct sc_rule *r, const struct sc_facts *f)
{
        static char *const none[] = { NULL };
        char *const *caps = f->caps ? f->caps : none;

        if (arch_listed(r->exc.arches, f->goarch) || strv_any_in(r->exc.caps, caps) ||
            (r->exc.min_kernel && f->kernel >= r->exc.min_kernel))
                return false;
        if (r->inc.arches && r->inc.arches[0] && !arch_listed(r->inc.arches, f->goarch))
                return false;
        if (!strv_all_in(r->inc.caps, caps))
                return false;
        return !(r->inc.min_kernel && f->kernel < r->inc.min_kernel);
}

static int rule_error(den_error **err, int r, int nr)
{
        _cleanup_free_ char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);

        return den_error_set(err, -r, "add seccomp rule for \"%s\"", name ? name : "?");
}

static int rule_build(scmp_filter_ctx ctx, const struct sc_rule *r, den_error **err)
{
        bool split = false;
        struct scmp_arg_cmp cmp[SC_MAX_ARGS];
        unsigned seen = 0;
        int rc;

        for (size_t k = 0; k < r->n_args; k++) {
                if (seen & (1u << r->args[k].index))
                        split = true;
                seen |= 1u << r->args[k].index;
                cmp[k] = (struct scmp_arg_cmp){ .arg = r->args[k].index,
                                                .op = r->args[k].op,
                                                .datum_a = r->args[k].value,
                                                .datum_b = r->args[k].value_two };
        }
        for (size_t j = 0; j < r->n_nrs; j++) {
                if (!split) {
                        rc = seccomp_rule_add_array(ctx, r->action, r->nrs[j], (unsigned) r->n_args,
                                                    cmp);
                        if (rc < 0)
                                return rule_error(err, rc, r->nrs[j]);
                        continue;
                }
                for (size_t k = 0; k < r->n_args; k++) {
                        rc = seccomp_rule_add_array(ctx, r->action, r->nrs[j], 1, &cmp[k]);
                        if (rc < 0)
                                return rule_error(err, rc, r->nrs[j]);
                }
        }
        return 0;
}

static int add_arch(scmp_filter_ctx ctx, uint32_t arch, den_error **err)
{
        int r = seccomp_arch_add(ctx, arch);

        if (r < 0 && r != -EEXIST) {
                const struct sc_arch *a = arch_by_token(arch);

                return den_error_set(err, -r, "add seccomp architecture %s", a ? a->json : "?");
        }
        return 0;
}

/* The architectures go in before any rule: libseccomp does not copy existing rules into an
 * architecture added later. */
static int build_arches(const struct rt_seccomp *p, scmp_filter_ctx ctx, const struct sc_facts *f,
                        den_error **err)
{
        int r;

        if (f->arch != seccomp_arch_native()) {
                if (add_arch(ctx, f->arch, err) < 0)
                        return -1;
                r = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE);
                if (r < 0)
                        return den_error_set(err, -r, "remove native seccomp architecture");
        }
        for (size_t i = 0; i < p->n_arches; i++)
                if (add_arch(ctx, p->arches[i], err) < 0)
                        return -1;
        for (size_t i = 0; i < p->n_archmap; i++) {
                if (p->archmap[i].arch != f->arch)
                        continue;
                for (size_t j = 0; j < p->archmap[i].n_subs; j++)
                        if (add_arch(ctx, p->archmap[i].subs[j], err) < 0)
                                return -1;
                break;
        }
        return 0;
}

static int build(const struct rt_seccomp *p, const struct sc_facts *f, scmp_filter_ctx *ret,
                 den_error **err)
{
        _cleanup_scmp_ scmp_filter_ctx ctx = NULL;
        int r;

        ctx = seccomp_init(p->default_action);
        if (!ctx)
                return den_error_set(err, EINVAL, "create seccomp filter");
        /* den sets no_new_privs itself, at the point the container's spec asks for it */
        r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
        if (r < 0)
                return den_error_set(err, -r, "set seccomp filter attribute");
        /* A binary search over syscall numbers instead of a linear scan: the kernel runs the
         * program for every syscall number when it loads it (to cache constant verdicts), so
         * this halves the load time in the container's init, and it shortens the path of
         * every filtered syscall. It changes no verdict. */
        (void) seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, SC_OPTIMIZE);
        if (build_arches(p, ctx, f, err) < 0)
                return -1;
        for (size_t i = 0; i < p->n_rules; i++) {
                const struct sc_rule *rule = &p->rules[i];

                if (rule->action == p->default_action || !rule_applies(rule, f))
                        continue;
                if (rule_build(ctx, rule, err) < 0)
                        return -1;
        }
        *ret = steal_ptr(ctx);
        return 0;
}

static unsigned running_kernel(void)
{
        struct utsname u;

        if (uname(&u) < 0)
                return 0;
        return kver_parse(u.release, false);
}

static int facts_get(const struct rt_seccomp_target *t, struct sc_facts *ret, den_error **err)
{
        const struct sc_arch *a;

        *ret = (struct sc_facts){ .arch = seccomp_arch_native(), .caps = t ? t->caps : NULL };
        if (t && t->arch) {
                ret->arch = seccomp_arch_resolve_name(t->arch);
                if (ret->arch == 0)
                        return den_error_set(err, EINVAL, "unknown architecture \"%s\"", t->arch);
        }
        a = arch_by_token(ret->arch);
        ret->goarch = a ? a->go : NULL;
        if (t && t->kernel) {
                ret->kernel = kver_parse(t->kernel, true);
                if (ret->kernel == 0)
                        return den_error_set(err, EINVAL, "invalid kernel version \"%s\"",
                                             t->kernel);
        } else {
                ret->kernel = running_kernel();
        }
        return 0;
}

int rt_seccomp_export_bpf_for(const struct rt_seccomp *p, const struct rt_seccomp_target *t, int fd,
                              den_error **err)
{
        _cleanup_scmp_ scmp_filter_ctx ctx = NULL;
        struct sc_facts f;
        int r;

        if (p->is_unconfined)
                return den_error_set(err, EINVAL, "seccomp profile is unconfined: no filter");
        if (facts_get(t, &f, err) < 0 || build(p, &f, &ctx, err) < 0)
                return -1;
        r = seccomp_export_bpf(ctx, fd);
        if (r < 0)
                return den_error_set(err, -r, "export seccomp filter");
        return 0;
}

int rt_seccomp_export_bpf(const struct rt_seccomp *p, char *const *caps, int fd, den_error **err)
{
        const struct rt_seccomp_target t = { .caps = caps };

        return rt_seccomp_export_bpf_for(p, &t, fd, err);
}

int rt_seccomp_compile(const struct rt_seccomp *p, const struct rt_seccomp_target *t,
                       void **ret_bpf, size_t *ret_len, den_error **err)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r;

        /* libseccomp 2.5 exports only to an fd; a memfd keeps it off any file system */
        fd = memfd_create("den-seccomp", MFD_CLOEXEC);
        if (fd < 0)
                return den_error_set(err, errno, "create memfd for the seccomp filter");
        if (rt_seccomp_export_bpf_for(p, t, fd, err) < 0)
                return -1;
        if (lseek(fd, 0, SEEK_SET) < 0)
                return den_error_set(err, errno, "rewind seccomp filter");
        r = den_read_fd(fd, BPF_MAXINSNS * sizeof(struct sock_filter), &data, &len);
        if (r == -EFBIG)
                return den_error_set(err, E2BIG, "seccomp filter exceeds %d instructions",
                                     BPF_MAXINSNS);
        if (r < 0)
                return den_error_set(err, -r, "read seccomp filter");
        *ret_bpf = steal_ptr(data);
        *ret_len = len;
        return 0;
}

/* The key of a compiled program: everything it depends on, in the order libseccomp sees it.
 * Capabilities and kernel version enter only through which rules apply, so bounding sets
 * that select the same rules share a key. */
int rt_seccomp_cache_key(const struct rt_seccomp *p, const struct rt_seccomp_target *t,
                         struct den_buf *ret, den_error **err)
{
        const struct scmp_version *v = seccomp_version();
        struct sc_facts f;
        uint32_t hdr[6];

        if (p->is_unconfined)
                return den_error_set(err, EINVAL, "seccomp profile is unconfined: no filter");
        if (facts_get(t, &f, err) < 0)
                return -1;
        hdr[0] = v ? v->major : 0;
        hdr[1] = v ? v->minor : 0;
        hdr[2] = v ? v->micro : 0;
        hdr[3] = SC_OPTIMIZE;
        hdr[4] = f.arch;
        hdr[5] = p->default_action;
        den_buf_append(ret, hdr, sizeof(hdr));
        den_buf_append(ret, p->arches, p->n_arches * sizeof(*p->arches));
        for (size_t i = 0; i < p->n_archmap; i++)
                if (p->archmap[i].arch == f.arch)
                        den_buf_append(ret, p->archmap[i].subs,
                                       p->archmap[i].n_subs * sizeof(uint32_t));
        for (size_t i = 0; i < p->n_rules; i++) {
                const struct sc_rule *r = &p->rules[i];
                uint64_t rh[2] = { r->action, ((uint64_t) r->n_nrs << 8) | r->n_args };

                if (r->action == p->default_action || !rule_applies(r, &f))
                        continue;
                den_buf_append(ret, rh, sizeof(rh));
                den_buf_append(ret, r->nrs, r->n_nrs * sizeof(*r->nrs));
                for (size_t k = 0; k < r->n_args; k++) {
                        uint64_t a[4] = { r->args[k].index, (uint64_t) r->args[k].op,
                                          r->args[k].value, r->args[k].value_two };

                        den_buf_append(ret, a, sizeof(a));
                }
        }
        return 0;
}

/* FNV-1a, 64 bits: only names the file; the key inside is compared in full */
void rt_seccomp_cache_name(const void *key, size_t len, char ret[32])
{
        const unsigned char *k = key;
        uint64_t h = 0xcbf29ce484222325ull;

        for (size_t i = 0; i < len; i++)
                h = (h ^ k[i]) * 0x100000001b3ull;
        (void) snprintf(ret, 32, "%016" PRIx64 ".bpf", h);
}

static bool bpf_len_is_valid(size_t len)
{
        return len > 0 && len % sizeof(struct sock_filter) == 0 &&
               len / sizeof(struct sock_filter) <= BPF_MAXINSNS;
}

/* A cache file: this magic, the key's length (uint64_t, native), the key, the program. */
static const char cache_magic[16] = "den-seccomp-v2\n";

/* The program in a cache file whose key is exactly key; NULL otherwise. */
static void *cache_entry_bpf(const char *data, size_t len, const struct den_buf *key,
                             size_t *ret_len)
{
        uint64_t klen;
        size_t off = sizeof(cache_magic) + sizeof(klen);
        void *bpf;

        if (len < off || memcmp(data, cache_magic, sizeof(cache_magic)) != 0)
                return NULL;
        memcpy(&klen, data + sizeof(cache_magic), sizeof(klen));
        if (klen != key->len || len - off < klen || memcmp(data + off, key->data, klen) != 0 ||
            !bpf_len_is_valid(len - off - klen))
                return NULL;
        *ret_len = len - off - klen;
        bpf = xmalloc(*ret_len);
        memcpy(bpf, data + off + klen, *ret_len);
        return bpf;
}

/* Trust: cache_dfd is a directory den created for the user who runs it, so its files are
 * as trusted as den's own state; they are written atomically, and one is used only when
 * the key it holds equals the key of the program wanted, byte for byte (the file name is a
 * short hash of the key: a collision costs a rebuild, never a wrong program). A file that
 * is missing, malformed or for another key is rebuilt. */
int rt_seccomp_compile_cached(const struct rt_seccomp *p, const struct rt_seccomp_target *t,
                              int cache_dfd, void **ret_bpf, size_t *ret_len, den_error **err)
{
        _cleanup_free_ char *cached = NULL;
        _cleanup_free_ void *bpf = NULL;
        struct den_buf key = { 0 }, file = { 0 };
        char name[32];
        size_t len = 0;
        uint64_t klen;
        int r;

        if (rt_seccomp_cache_key(p, t, &key, err) < 0) {
                den_buf_free(&key);
                return -1;
        }
        rt_seccomp_cache_name(key.data, key.len, name);
        r = den_read_file_at(cache_dfd, name,
                             sizeof(cache_magic) + sizeof(klen) + key.len +
                                     BPF_MAXINSNS * sizeof(struct sock_filter),
                             &cached, &len);
        if (r == 0 && (*ret_bpf = cache_entry_bpf(cached, len, &key, ret_len))) {
                den_buf_free(&key);
                return 0;
        }
        if (r < 0 && r != -ENOENT)
                den_debug("seccomp: read cached filter %s: %s, rebuilding", name, strerror(-r));
        if (rt_seccomp_compile(p, t, &bpf, &len, err) < 0) {
                den_buf_free(&key);
                return -1;
        }
        klen = key.len;
        den_buf_append(&file, cache_magic, sizeof(cache_magic));
        den_buf_append(&file, &klen, sizeof(klen));
        den_buf_append(&file, key.data, key.len);
        den_buf_append(&file, bpf, len);
        den_buf_free(&key);
        r = den_write_file_atomic_at(cache_dfd, name, file.data, file.len, 0600);
        den_buf_free(&file);
        if (r < 0)
                den_debug("seccomp: store filter %s: %s, continuing", name, strerror(-r));
        *ret_bpf = steal_ptr(bpf);
        *ret_len = len;
        return 0;
}

int rt_seccomp_load_bpf(const void *bpf, size_t len, unsigned flags, den_error **err)
{
        struct sock_fprog prog;
        long r;

        if (!bpf_len_is_valid(len))
                return den_error_set(err, EINVAL, "seccomp filter of %zu bytes is not a program",
                                     len);
        prog = (struct sock_fprog){ .len = (unsigned short) (len / sizeof(struct sock_filter)),
                                    .filter = (struct sock_filter *) (uintptr_t) bpf };
        r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
        /* COMPAT(kernel < 4.17): no SECCOMP_FILTER_FLAG_SPEC_ALLOW; load without flags */
        if (r < 0 && errno == EINVAL && flags != 0)
                r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
        if (r < 0)
                return den_error_set(err, errno, "load seccomp filter");
        return 0;
}

int rt_seccomp_apply(const struct rt_seccomp *p, char *const *caps, den_error **err)
{
        const struct rt_seccomp_target t = { .caps = caps };
        _cleanup_free_ void *bpf = NULL;
        size_t len = 0;

        if (p->is_unconfined)
                return 0;
        if (rt_seccomp_compile(p, &t, &bpf, &len, err) < 0)
                return -1;
        return rt_seccomp_load_bpf(bpf, len, p->flags, err);
}

/* ---------------------------------------------------------------- OCI export */

static json_t *action_json(uint32_t action, json_t *rule)
{
        uint32_t base = action & 0xffff0000u; /* SECCOMP_RET_ACTION_FULL */
        uint32_t data = action & 0xffffu;

        for (size_t i = 0; i < ARRAY_SIZE(sc_actions); i++) {
                if ((sc_actions[i].value == SC_VALUE_NONE ? sc_actions[i].action
                                                          : sc_actions[i].action & ~0xffffu) !=
                    (sc_actions[i].value == SC_VALUE_NONE ? action : base))
                        continue;
                if (sc_actions[i].value == SC_VALUE_ERRNO)
                        json_object_set_new(rule, "errnoRet", json_integer(data));
                return json_string(sc_actions[i].name);
        }
        return NULL;
}

static json_t *rule_json(const struct sc_rule *r, uint32_t arch)
{
        json_t *o = json_object(), *names = json_array(), *args = json_array(), *act;

        for (size_t i = 0; i < r->n_nrs; i++) {
                char *n = seccomp_syscall_resolve_num_arch(arch, r->nrs[i]);

                if (n)
                        json_array_append_new(names, json_string(n));
                free(n);
        }
        for (size_t k = 0; k < r->n_args; k++) {
                const char *op = "SCMP_CMP_EQ";

                for (size_t i = 0; i < ARRAY_SIZE(sc_ops); i++)
                        if (sc_ops[i].op == r->args[k].op)
                                op = sc_ops[i].name;
                json_array_append_new(args, json_pack("{s:I, s:I, s:I, s:s}", "index",
                                                      (json_int_t) r->args[k].index, "value",
                                                      (json_int_t) r->args[k].value, "valueTwo",
                                                      (json_int_t) r->args[k].value_two, "op", op));
        }
        json_object_set_new(o, "names", names);
        act = action_json(r->action, o);
        json_object_set_new(o, "action", act ? act : json_string("SCMP_ACT_ERRNO"));
        if (json_array_size(args))
                json_object_set_new(o, "args", args);
        else
                json_decref(args);
        return o;
}

static json_t *arches_json(const struct rt_seccomp *p, uint32_t native)
{
        json_t *a = json_array();

        for (size_t i = 0; i < p->n_arches; i++) {
                const struct sc_arch *x = arch_by_token(p->arches[i]);

                if (x)
                        json_array_append_new(a, json_string(x->json));
        }
        for (size_t i = 0; i < p->n_archmap; i++) {
                const struct sc_arch *x = arch_by_token(p->archmap[i].arch);

                if (p->archmap[i].arch != native || !x)
                        continue;
                json_array_append_new(a, json_string(x->json));
                for (size_t k = 0; k < p->archmap[i].n_subs; k++) {
                        const struct sc_arch *s = arch_by_token(p->archmap[i].subs[k]);

                        if (s)
                                json_array_append_new(a, json_string(s->json));
                }
        }
        return a;
}

/* The profile resolved for t (includes and excludes decided, names for t's architecture) as
 * the OCI config.json "linux.seccomp" object, which rt_seccomp_parse reads back. */
json_t *rt_seccomp_to_oci(const struct rt_seccomp *p, const struct rt_seccomp_target *t,
                          den_error **err)
{
        json_t *o, *rules, *act;
        struct sc_facts f;

        if (p->is_unconfined) {
                den_error_set(err, EINVAL, "seccomp profile is unconfined: no filter");
                return NULL;
        }
        if (facts_get(t, &f, err) < 0)
                return NULL;
        o = json_object();
        act = action_json(p->default_action, o);
        json_object_set_new(o, "defaultAction", act ? act : json_string("SCMP_ACT_ERRNO"));
        if (json_object_get(o, "errnoRet"))
                json_object_set(o, "defaultErrnoRet", json_object_get(o, "errnoRet"));
        json_object_del(o, "errnoRet");
        json_object_set_new(o, "architectures", arches_json(p, f.arch));
        if (p->flags != SECCOMP_FILTER_FLAG_SPEC_ALLOW) {
                json_t *fl = json_array();

                for (size_t i = 0; i < ARRAY_SIZE(sc_flags); i++)
                        if (p->flags & sc_flags[i].flag)
                                json_array_append_new(fl, json_string(sc_flags[i].name));
                json_object_set_new(o, "flags", fl);
        }
        rules = json_array();
        for (size_t i = 0; i < p->n_rules; i++) {
                const struct sc_rule *r = &p->rules[i];

                if (r->action == p->default_action || r->n_nrs == 0 || !rule_applies(r, &f))
                        continue;
                json_array_append_new(rules, rule_json(r, f.arch));
        }
        json_object_set_new(o, "syscalls", rules);
        return o;
}
