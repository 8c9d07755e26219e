/* Tests for seccomp profiles (runtime/seccomp.c): parse errors, the verdicts of compiled
 * filters (run through a small BPF interpreter, so every syscall number and a set of argument
 * values can be checked without loading anything), den's default against podman's installed
 * profile, and filters really loaded into forked children: the test process itself stays
 * unfiltered. */
#include "runtime/runtime.h"
#include "tap.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#define PODMAN_PROFILE "/usr/share/containers/seccomp.json"
#define X32_BIT 0x40000000u
#define V_ALLOW SECCOMP_RET_ALLOW
#define V_KILL SECCOMP_RET_KILL_THREAD
#define V_ERRNO(e) (SECCOMP_RET_ERRNO | (uint32_t) (e))
#define V_BAD 0xdeadbeefu /* the interpreter met something it does not know */

static char *const no_caps[] = { NULL };
/* podman's default bounding set (containers.conf) */
static char *const podman_caps[] = { "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FOWNER",
                                     "CAP_FSETID",  "CAP_KILL",         "CAP_NET_BIND_SERVICE",
                                     "CAP_SETFCAP", "CAP_SETGID",       "CAP_SETPCAP",
                                     "CAP_SETUID",  "CAP_SYS_CHROOT",   NULL };
static char *const all_caps[] = { "CAP_CHOWN",
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
                                  NULL };
static char *const sys_admin[] = { "CAP_SYS_ADMIN", NULL };
static char *const audit_write[] = { "CAP_AUDIT_WRITE", NULL };
static char *const misc_caps[] = { "CAP_DAC_READ_SEARCH", "CAP_SYS_PTRACE", "CAP_SYS_TIME",
                                   "CAP_SYS_MODULE", NULL };

static double now_us(void)
{
        struct timespec t;

        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double) t.tv_sec * 1e6 + (double) t.tv_nsec / 1e3;
}

/* ---------------------------------------------------------------- profiles and programs */

struct prog {
        struct sock_filter *insns;
        size_t n;
};

static struct rt_seccomp *parse(const char *json)
{
        struct rt_seccomp *p = NULL;
        den_error *err = NULL;

        if (rt_seccomp_parse(json, strlen(json), &p, &err) < 0) {
                printf("# unexpected parse error: %s\n", err->msg);
                den_error_free(err);
                return NULL;
        }
        return p;
}

/* The message of the parse error for json, or NULL when it parses. */
static char *parse_error(const char *json)
{
        struct rt_seccomp *p = NULL;
        den_error *err = NULL;
        char *msg;

        if (rt_seccomp_parse(json, strlen(json), &p, &err) == 0) {
                rt_seccomp_free(p);
                return NULL;
        }
        msg = xstrdup(err->msg);
        den_error_free(err);
        return msg;
}

static bool compile(const struct rt_seccomp *p, const char *arch, char *const *caps,
                    struct prog *ret)
{
        const struct rt_seccomp_target t = { .arch = arch, .caps = caps };
        den_error *err = NULL;
        void *bpf = NULL;
        size_t len = 0;

        if (rt_seccomp_compile(p, &t, &bpf, &len, &err) < 0) {
                printf("# compile: %s\n", err->msg);
                den_error_free(err);
                return false;
        }
        ret->insns = bpf;
        ret->n = len / sizeof(struct sock_filter);
        return true;
}

/* ---------------------------------------------------------------- a classic BPF interpreter */

static uint32_t data_word(const struct seccomp_data *d, uint32_t off, bool *bad)
{
        uint32_t w;

        if (off % 4 != 0 || off + 4 > sizeof(*d)) {
                *bad = true;
                return 0;
        }
        memcpy(&w, (const char *) d + off, 4);
        return w;
}

/* The verdict of prog for d, as the kernel computes it (seccomp programs use only these
 * instructions; anything else is reported as V_BAD). */
static uint32_t bpf_run(const struct prog *p, const struct seccomp_data *d)
{
        uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };
        bool bad = false;

        for (size_t pc = 0; pc < p->n && !bad; pc++) {
                const struct sock_filter *i = &p->insns[pc];
                uint32_t src = BPF_SRC(i->code) == BPF_X ? x : i->k;
                bool jump;

                switch (BPF_CLASS(i->code)) {
                case BPF_LD:
                        if (i->code == (BPF_LD | BPF_W | BPF_ABS))
                                a = data_word(d, i->k, &bad);
                        else if (i->code == (BPF_LD | BPF_IMM))
                                a = i->k;
                        else if (i->code == (BPF_LD | BPF_MEM) && i->k < BPF_MEMWORDS)
                                a = mem[i->k];
                        else
                                bad = true;
                        break;
                case BPF_LDX:
                        if (i->code == (BPF_LDX | BPF_IMM))
                                x = i->k;
                        else if (i->code == (BPF_LDX | BPF_MEM) && i->k < BPF_MEMWORDS)
                                x = mem[i->k];
                        else
                                bad = true;
                        break;
                case BPF_ST:
                case BPF_STX:
                        if (i->k >= BPF_MEMWORDS)
                                bad = true;
                        else
                                mem[i->k] = BPF_CLASS(i->code) == BPF_ST ? a : x;
                        break;
                case BPF_ALU:
                        switch (BPF_OP(i->code)) {
                        case BPF_AND:
                                a &= src;
                                break;
                        case BPF_OR:
                                a |= src;
                                break;
                        case BPF_ADD:
                                a += src;
                                break;
                        case BPF_SUB:
                                a -= src;
                                break;
                        case BPF_RSH:
                                a = src < 32 ? a >> src : 0;
                                break;
                        case BPF_LSH:
                                a = src < 32 ? a << src : 0;
                                break;
                        case BPF_NEG:
                                a = -a;
                                break;
                        default:
                                bad = true;
                        }
                        break;
                case BPF_JMP:
                        if (BPF_OP(i->code) == BPF_JA) {
                                pc += i->k;
                                break;
                        }
                        switch (BPF_OP(i->code)) {
                        case BPF_JEQ:
                                jump = a == src;
                                break;
                        case BPF_JGT:
                                jump = a > src;
                                break;
                        case BPF_JGE:
                                jump = a >= src;
                                break;
                        case BPF_JSET:
                                jump = (a & src) != 0;
                                break;
                        default:
                                bad = true;
                                jump = false;
                        }
                        pc += jump ? i->jt : i->jf;
                        break;
                case BPF_RET:
                        return BPF_RVAL(i->code) == BPF_A ? a : i->k;
                case BPF_MISC:
                        if (BPF_MISCOP(i->code) == BPF_TAX)
                                x = a;
                        else
                                a = x;
                        break;
                default:
                        bad = true;
                }
        }
        return V_BAD; /* fell off the end, or an unknown instruction */
}

static uint32_t verdict(const struct prog *p, uint32_t arch, int nr, uint64_t a0, uint64_t a1,
                        uint64_t a2)
{
        struct seccomp_data d = { .nr = nr, .arch = arch, .args = { a0, a1, a2 } };

        return bpf_run(p, &d);
}

static int nr_of(uint32_t arch_token, const char *name)
{
        return seccomp_syscall_resolve_name_arch(arch_token, name);
}

/* ---------------------------------------------------------------- parse errors */

static void expect_error(const char *json, const char *want)
{
        _cleanup_free_ char *got = parse_error(json);

        is_str(got, want);
}

static void test_parse_errors(void)
{
        _cleanup_free_ char *big = NULL;
        _cleanup_free_ char *trunc = NULL;

        expect_error("[]", "seccomp profile: must be a JSON object, not an array");
        expect_error("{\"defaultAction\": \"SCMP_ACT_FOO\"}",
                     "seccomp profile: defaultAction: unknown action \"SCMP_ACT_FOO\"");
        expect_error("{\"defaultAction\": 1}",
                     "seccomp profile: defaultAction: must be a string, not an integer");
        expect_error("{\"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\"}]}",
                     "seccomp profile: defaultAction: is missing");
        expect_error(
                "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": ["
                "{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\"},"
                "{\"names\": [\"write\"], \"action\": \"SCMP_ACT_ALLOW\","
                " \"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_ABOUT\"}]}]}",
                "seccomp profile: syscalls[1].args[0].op: unknown operator \"SCMP_CMP_ABOUT\"");
        expect_error(
                "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"],"
                " \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 6, \"op\": "
                "\"SCMP_CMP_EQ\"}]}]}",
                "seccomp profile: syscalls[0].args[0].index: 6 is out of range (0 to 5)");
        expect_error(
                "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"],"
                " \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"value\": -1, "
                "\"op\": \"SCMP_CMP_EQ\"}]}]}",
                "seccomp profile: syscalls[0].args[0].value: -1 is out of range (0 to "
                "9223372036854775807)");
        expect_error(
                "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"],"
                " \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0}]}]}",
                "seccomp profile: syscalls[0].args[0].op: is missing");
        expect_error(
                "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"a\"],"
                " \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"op\": \"SCMP_CMP_EQ\"},"
                "{\"op\": \"SCMP_CMP_EQ\"},{\"op\": \"SCMP_CMP_EQ\"},{\"op\": \"SCMP_CMP_EQ\"},"
                "{\"op\": \"SCMP_CMP_EQ\"},{\"op\": \"SCMP_CMP_EQ\"},{\"op\": \"SCMP_CMP_EQ\"}"
                "]}]}",
                "seccomp profile: syscalls[0].args: more than 6 comparisons");
        expect_error("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": \"read\","
                     " \"action\": \"SCMP_ACT_ALLOW\"}]}",
                     "seccomp profile: syscalls[0].names: must be an array of strings, not a "
                     "string");
        expect_error("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\","
                     " 7], \"action\": \"SCMP_ACT_ALLOW\"}]}",
                     "seccomp profile: syscalls[0].names: entry 1 must be a string, not an "
                     "integer");
        expect_error("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"name\": \"read\","
                     " \"names\": [\"write\"], \"action\": \"SCMP_ACT_ALLOW\"}]}",
                     "seccomp profile: syscalls[0]: has both name and names");
        expect_error(
                "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"],"
                " \"action\": \"SCMP_ACT_ALLOW\", \"errnoRet\": 1}]}",
                "seccomp profile: syscalls[0].errnoRet: is only valid with SCMP_ACT_ERRNO or "
                "SCMP_ACT_TRACE");
        expect_error(
                "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"],"
                " \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 5000}]}",
                "seccomp profile: syscalls[0].errnoRet: 5000 is not an errno (at most 4095)");
        expect_error(
                "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"],"
                " \"action\": \"SCMP_ACT_ERRNO\", \"errno\": \"EWHATEVER\"}]}",
                "seccomp profile: syscalls[0].errno: unknown errno \"EWHATEVER\"");
        expect_error(
                "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"],"
                " \"action\": \"SCMP_ACT_ERRNO\", \"errno\": \"EPERM\", \"errnoRet\": 13}]}",
                "seccomp profile: syscalls[0].errnoRet: 13 disagrees with errno \"EPERM\"");
        expect_error(
                "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"],"
                " \"action\": \"SCMP_ACT_NOTIFY\"}]}",
                "seccomp profile: syscalls[0].action: SCMP_ACT_NOTIFY is not supported: den "
                "runs no seccomp agent");
        expect_error(
                "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"]}]}",
                "seccomp profile: syscalls[0].action: is missing");
        expect_error("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [17]}",
                     "seccomp profile: syscalls[0]: must be an object, not an integer");
        expect_error("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": "
                     "[\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_Z80\"]}",
                     "seccomp profile: architectures: unknown architecture \"SCMP_ARCH_Z80\"");
        expect_error("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": "
                     "[\"SCMP_ARCH_X86_64\"], \"archMap\": [{\"architecture\": "
                     "\"SCMP_ARCH_X86_64\"}]}",
                     "seccomp profile: architectures and archMap are both given, use one");
        expect_error("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"archMap\": [{\"architecture\": "
                     "\"SCMP_ARCH_X86_64\", \"subArchitectures\": [\"SCMP_ARCH_Q\"]}]}",
                     "seccomp profile: archMap[0].subArchitectures: unknown architecture "
                     "\"SCMP_ARCH_Q\"");
        expect_error("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"flags\": "
                     "[\"SECCOMP_FILTER_FLAG_FAST\"]}",
                     "seccomp profile: flags: unknown flag \"SECCOMP_FILTER_FLAG_FAST\"");
        expect_error(
                "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"],"
                " \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"minKernel\": \"five\"}}]}",
                "seccomp profile: syscalls[0].includes.minKernel: \"five\" is not a kernel "
                "version like \"5.10\"");
        expect_error(
                "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"],"
                " \"action\": \"SCMP_ACT_ALLOW\", \"excludes\": {\"caps\": [1]}}]}",
                "seccomp profile: syscalls[0].excludes.caps: entry 0 must be a string, not an "
                "integer");
        expect_error(
                "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultAction\": \"SCMP_ACT_ALLOW\"}",
                "seccomp profile: invalid JSON at line 1 column 51: duplicate object key "
                "near '\"defaultAction\"'");
        expect_error("{\"defaultAction\": ", "seccomp profile: invalid JSON at line 1 column 18: "
                                             "unexpected token near end of file");

        /* the document bound */
        big = xmalloc((1u << 20) + 2);
        memset(big, ' ', (1u << 20) + 1);
        big[(1u << 20) + 1] = '\0';
        big[0] = '{';
        big[1u << 20] = '}';
        expect_error(big, "seccomp profile is larger than 1048576 bytes");
        /* an over-long name */
        trunc = xasprintf("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": "
                          "[\"%0100d\"], \"action\": \"SCMP_ACT_ALLOW\"}]}",
                          0);
        expect_error(trunc, "seccomp profile: syscalls[0].names: entry 0 is longer than 64 bytes");
}

/* ---------------------------------------------------------------- what compiled filters say */

static void test_semantics(void)
{
        const uint32_t X64 = AUDIT_ARCH_X86_64;
        const int getpid_nr = nr_of(SCMP_ARCH_X86_64, "getpid");
        const int pers = nr_of(SCMP_ARCH_X86_64, "personality");
        const int umask_nr = nr_of(SCMP_ARCH_X86_64, "umask");
        struct rt_seccomp *p;
        struct prog g = { 0 };

        /* errno names and numbers; unknown syscall names are skipped, known ones kept; "name" */
        p = parse("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
                  "{\"names\": [\"no_such_syscall\", \"getpid\"], \"action\": \"SCMP_ACT_ERRNO\","
                  " \"errno\": \"EACCES\", \"comment\": \"ignored\", \"args\": null},"
                  "{\"name\": \"getppid\", \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 42},"
                  "{\"names\": [\"gettid\"], \"action\": \"SCMP_ACT_ERRNO\"},"
                  "{\"names\": [\"getuid\"], \"action\": \"SCMP_ACT_KILL_PROCESS\"},"
                  "{\"names\": [\"getgid\"], \"action\": \"SCMP_ACT_TRACE\", \"errnoRet\": 7}"
                  "]}");
        ok(p != NULL);
        ok(p && compile(p, "x86_64", NULL, &g));
        is_int(verdict(&g, X64, getpid_nr, 0, 0, 0), V_ERRNO(EACCES));
        is_int(verdict(&g, X64, nr_of(SCMP_ARCH_X86_64, "getppid"), 0, 0, 0), V_ERRNO(42));
        is_int(verdict(&g, X64, nr_of(SCMP_ARCH_X86_64, "gettid"), 0, 0, 0), V_ERRNO(EPERM));
        is_int(verdict(&g, X64, nr_of(SCMP_ARCH_X86_64, "getuid"), 0, 0, 0),
               SECCOMP_RET_KILL_PROCESS);
        is_int(verdict(&g, X64, nr_of(SCMP_ARCH_X86_64, "getgid"), 0, 0, 0), SECCOMP_RET_TRACE | 7);
        is_int(verdict(&g, X64, nr_of(SCMP_ARCH_X86_64, "read"), 0, 0, 0), V_ALLOW);
        ok(rt_seccomp_load_flags(p) == SECCOMP_FILTER_FLAG_SPEC_ALLOW);
        free(g.insns);
        rt_seccomp_free(p);

        /* argument filters: equality, masked equality, and one argument compared twice (each
         * comparison is a rule of its own, as in crun) */
        p = parse("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
                  "{\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": ["
                  "{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"},"
                  "{\"index\": 0, \"value\": 2, \"op\": \"SCMP_CMP_EQ\"}]},"
                  "{\"names\": [\"umask\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 13,"
                  " \"args\": [{\"index\": 0, \"value\": 63, \"valueTwo\": 63, "
                  "\"op\": \"SCMP_CMP_MASKED_EQ\"}]},"
                  "{\"names\": [\"getpid\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": ["
                  "{\"index\": 0, \"value\": 5, \"op\": \"SCMP_CMP_GT\"},"
                  "{\"index\": 1, \"value\": 3, \"op\": \"SCMP_CMP_LE\"}]}]}");
        ok(p && compile(p, "x86_64", NULL, &g));
        is_int(verdict(&g, X64, pers, 1, 0, 0), V_ERRNO(EPERM));
        is_int(verdict(&g, X64, pers, 2, 0, 0), V_ERRNO(EPERM));
        is_int(verdict(&g, X64, pers, 3, 0, 0), V_ALLOW);
        is_int(verdict(&g, X64, umask_nr, 0777, 0, 0), V_ERRNO(EACCES));
        is_int(verdict(&g, X64, umask_nr, 0022, 0, 0), V_ALLOW);
        is_int(verdict(&g, X64, getpid_nr, 6, 3, 0), V_ERRNO(EPERM));
        is_int(verdict(&g, X64, getpid_nr, 6, 4, 0), V_ALLOW);
        is_int(verdict(&g, X64, getpid_nr, 5, 3, 0), V_ALLOW);
        free(g.insns);
        rt_seccomp_free(p);

        /* a profile that says nothing is unconfined, as in podman */
        p = parse("{}");
        ok(p && rt_seccomp_is_unconfined(p));
        rt_seccomp_free(p);
        p = parse("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"flags\": "
                  "[\"SECCOMP_FILTER_FLAG_LOG\"]}");
        ok(p && !rt_seccomp_is_unconfined(p));
        ok(p && rt_seccomp_load_flags(p) == SECCOMP_FILTER_FLAG_LOG);
        ok(p && compile(p, "x86_64", NULL, &g));
        is_int(verdict(&g, X64, getpid_nr, 0, 0, 0), V_ERRNO(EPERM));
        free(g.insns);
        rt_seccomp_free(p);
}

static void test_caps_and_kernel(void)
{
        static char *const cap_a[] = { "CAP_A", NULL };
        static char *const cap_ab[] = { "CAP_B", "CAP_A", NULL };
        const uint32_t X64 = AUDIT_ARCH_X86_64;
        const int ppid = nr_of(SCMP_ARCH_X86_64, "getppid");
        const int pid = nr_of(SCMP_ARCH_X86_64, "getpid");
        const int tid = nr_of(SCMP_ARCH_X86_64, "gettid");
        const int uid = nr_of(SCMP_ARCH_X86_64, "getuid");
        const struct rt_seccomp_target old = { .arch = "x86_64", .kernel = "4.19" };
        const struct rt_seccomp_target future = { .arch = "x86_64", .kernel = "99.1" };
        struct rt_seccomp *p;
        struct prog g = { 0 };
        den_error *err = NULL;
        void *bpf = NULL;
        size_t len = 0;

        p = parse("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
                  "{\"names\": [\"getppid\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 13,"
                  " \"includes\": {\"caps\": [\"CAP_A\", \"CAP_B\"]}},"
                  "{\"names\": [\"getpid\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 14,"
                  " \"excludes\": {\"caps\": [\"CAP_A\", \"CAP_Z\"]}},"
                  "{\"names\": [\"gettid\"], \"action\": \"SCMP_ACT_ERRNO\","
                  " \"includes\": {\"minKernel\": \"5.10\"}},"
                  "{\"names\": [\"getuid\"], \"action\": \"SCMP_ACT_ERRNO\","
                  " \"excludes\": {\"minKernel\": \"5.10\"}}]}");
        ok(p != NULL);
        if (!p)
                return;
        ok(compile(p, "x86_64", no_caps, &g));
        is_int(verdict(&g, X64, ppid, 0, 0, 0), V_ALLOW);
        is_int(verdict(&g, X64, pid, 0, 0, 0), V_ERRNO(14));
        free(g.insns);
        ok(compile(p, "x86_64", cap_a, &g));
        is_int(verdict(&g, X64, ppid, 0, 0, 0), V_ALLOW);
        is_int(verdict(&g, X64, pid, 0, 0, 0), V_ALLOW);
        free(g.insns);
        ok(compile(p, "x86_64", cap_ab, &g));
        is_int(verdict(&g, X64, ppid, 0, 0, 0), V_ERRNO(13));
        is_int(verdict(&g, X64, pid, 0, 0, 0), V_ALLOW);
        free(g.insns);

        ok(rt_seccomp_compile(p, &old, &bpf, &len, &err) == 0);
        g = (struct prog){ bpf, len / sizeof(struct sock_filter) };
        is_int(verdict(&g, X64, tid, 0, 0, 0), V_ALLOW);
        is_int(verdict(&g, X64, uid, 0, 0, 0), V_ERRNO(EPERM));
        free(bpf);
        ok(rt_seccomp_compile(p, &future, &bpf, &len, &err) == 0);
        g = (struct prog){ bpf, len / sizeof(struct sock_filter) };
        is_int(verdict(&g, X64, tid, 0, 0, 0), V_ERRNO(EPERM));
        is_int(verdict(&g, X64, uid, 0, 0, 0), V_ALLOW);
        free(bpf);
        rt_seccomp_free(p);
}

static void test_arches(void)
{
        const int pid64 = nr_of(SCMP_ARCH_X86_64, "getpid");
        const int pid32 = nr_of(SCMP_ARCH_X86, "getpid");
        const int pid_a64 = nr_of(SCMP_ARCH_AARCH64, "getpid");
        const int pid_arm = nr_of(SCMP_ARCH_ARM, "getpid");
        const int uid64 = nr_of(SCMP_ARCH_X86_64, "getuid");
        const int uid_a64 = nr_of(SCMP_ARCH_AARCH64, "getuid");
        const char *map = "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"archMap\": ["
                          "{\"architecture\": \"SCMP_ARCH_X86_64\", \"subArchitectures\": "
                          "[\"SCMP_ARCH_X86\"]},"
                          "{\"architecture\": \"SCMP_ARCH_AARCH64\", \"subArchitectures\": "
                          "[\"SCMP_ARCH_ARM\"]}], \"syscalls\": ["
                          "{\"names\": [\"getpid\"], \"action\": \"SCMP_ACT_ALLOW\"},"
                          "{\"names\": [\"getuid\"], \"action\": \"SCMP_ACT_ALLOW\","
                          " \"includes\": {\"arches\": [\"arm64\"]}},"
                          "{\"names\": [\"getpid\"], \"action\": \"SCMP_ACT_KILL\","
                          " \"excludes\": {\"arches\": [\"amd64\", \"arm64\"]}}]}";
        struct rt_seccomp *p;
        struct prog g = { 0 };

        /* no architectures: the native one only, anything else is killed */
        p = parse("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": "
                  "[\"getpid\"], \"action\": \"SCMP_ACT_ALLOW\"}]}");
        ok(p && compile(p, "x86_64", NULL, &g));
        is_int(verdict(&g, AUDIT_ARCH_X86_64, pid64, 0, 0, 0), V_ALLOW);
        is_int(verdict(&g, AUDIT_ARCH_I386, pid32, 0, 0, 0), V_KILL);
        is_int(verdict(&g, AUDIT_ARCH_AARCH64, pid_a64, 0, 0, 0), V_KILL);
        free(g.insns);
        rt_seccomp_free(p);

        /* architectures: added to the native one */
        p = parse("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": [\"SCMP_ARCH_X86\"],"
                  " \"syscalls\": [{\"names\": [\"getpid\"], \"action\": \"SCMP_ACT_ALLOW\"}]}");
        ok(p && compile(p, "x86_64", NULL, &g));
        is_int(verdict(&g, AUDIT_ARCH_X86_64, pid64, 0, 0, 0), V_ALLOW);
        is_int(verdict(&g, AUDIT_ARCH_I386, pid32, 0, 0, 0), V_ALLOW);
        is_int(verdict(&g, AUDIT_ARCH_I386, pid32 + 1, 0, 0, 0), V_ERRNO(EPERM));
        free(g.insns);
        rt_seccomp_free(p);

        /* archMap: the entry for the native architecture, with includes/excludes.arches
         * matched against the native one's Go name */
        p = parse(map);
        ok(p && compile(p, "x86_64", NULL, &g));
        is_int(verdict(&g, AUDIT_ARCH_X86_64, pid64, 0, 0, 0), V_ALLOW);
        is_int(verdict(&g, AUDIT_ARCH_I386, pid32, 0, 0, 0), V_ALLOW);
        is_int(verdict(&g, AUDIT_ARCH_X86_64, uid64, 0, 0, 0), V_ERRNO(EPERM));
        is_int(verdict(&g, AUDIT_ARCH_ARM, pid_arm, 0, 0, 0), V_KILL);
        free(g.insns);
        ok(p && compile(p, "aarch64", NULL, &g));
        is_int(verdict(&g, AUDIT_ARCH_AARCH64, pid_a64, 0, 0, 0), V_ALLOW);
        is_int(verdict(&g, AUDIT_ARCH_ARM, pid_arm, 0, 0, 0), V_ALLOW);
        is_int(verdict(&g, AUDIT_ARCH_AARCH64, uid_a64, 0, 0, 0), V_ALLOW);
        is_int(verdict(&g, AUDIT_ARCH_X86_64, pid64, 0, 0, 0), V_KILL);
        free(g.insns);
        rt_seccomp_free(p);

        /* an unknown target */
        {
                const struct rt_seccomp_target t = { .arch = "pdp11" };
                den_error *err = NULL;
                void *bpf = NULL;
                size_t len = 0;

                p = parse("{\"defaultAction\": \"SCMP_ACT_ALLOW\"}");
                ok(p && rt_seccomp_compile(p, &t, &bpf, &len, &err) < 0);
                is_str(err ? err->msg : NULL, "unknown architecture \"pdp11\"");
                den_error_free(err);
                rt_seccomp_free(p);
        }
}

/* ---------------------------------------------------------------- den's default vs podman's */

/* Argument vectors that tell apart every argument rule of both profiles: personality's
 * domains, netlink audit sockets, and values with high bits set. */
static const uint64_t sweep_args[][3] = {
        { 0, 0, 0 },
        { 8, 0, 0 },
        { 0x20000, 0, 0 },
        { 0x20008, 0, 0 },
        { 0xffffffff, 0, 0 },
        { 0x40000, 0, 0 },
        { 16, 3, 9 },
        { 16, 3, 0 },
        { 2, 1, 9 },
        { 0x100000008, 0, 0 },
        { UINT64_MAX, UINT64_MAX, UINT64_MAX },
};

struct sweep_arch {
        uint32_t audit;
        uint32_t token; /* to name syscalls in messages */
        uint32_t nr_base;
};

/* Compares the verdicts of two programs for every syscall number below 1024 (and ARM's
 * private ones) and every argument vector; returns the number of differences. */
static int sweep(const struct prog *a, const struct prog *b, const struct sweep_arch *arches,
                 size_t n_arches, const char *what)
{
        int diffs = 0;

        for (size_t ai = 0; ai < n_arches; ai++) {
                for (uint32_t i = 0; i < 1024 + 16; i++) {
                        uint32_t nr = i < 1024 ? i : 0x0f0000 + (i - 1024);

                        nr += arches[ai].nr_base;
                        for (size_t v = 0; v < ARRAY_SIZE(sweep_args); v++) {
                                uint32_t va =
                                        verdict(a, arches[ai].audit, (int) nr, sweep_args[v][0],
                                                sweep_args[v][1], sweep_args[v][2]);
                                uint32_t vb =
                                        verdict(b, arches[ai].audit, (int) nr, sweep_args[v][0],
                                                sweep_args[v][1], sweep_args[v][2]);
                                _cleanup_free_ char *name = NULL;

                                if (va == vb && va != V_BAD)
                                        continue;
                                if (diffs++ >= 8)
                                        continue;
                                name = seccomp_syscall_resolve_num_arch(arches[ai].token,
                                                                        (int) (nr & ~X32_BIT));
                                printf("# %s: arch %#x nr %#x (%s) args %#llx,%#llx,%#llx: den "
                                       "%#x, podman %#x\n",
                                       what, arches[ai].audit, nr, name ? name : "?",
                                       (unsigned long long) sweep_args[v][0],
                                       (unsigned long long) sweep_args[v][1],
                                       (unsigned long long) sweep_args[v][2], va, vb);
                        }
                }
        }
        return diffs;
}

static void test_default_vs_podman(void)
{
        static const struct sweep_arch x86[] = {
                { AUDIT_ARCH_X86_64, SCMP_ARCH_X86_64, 0 },
                { AUDIT_ARCH_X86_64, SCMP_ARCH_X32, X32_BIT },
                { AUDIT_ARCH_I386, SCMP_ARCH_X86, 0 },
                { AUDIT_ARCH_AARCH64, SCMP_ARCH_AARCH64, 0 },
        };
        static const struct sweep_arch arm[] = {
                { AUDIT_ARCH_AARCH64, SCMP_ARCH_AARCH64, 0 },
                { AUDIT_ARCH_ARM, SCMP_ARCH_ARM, 0 },
                { AUDIT_ARCH_X86_64, SCMP_ARCH_X86_64, 0 },
        };
        static const struct {
                const char *name;
                char *const *caps;
        } sets[] = {
                { "no caps", no_caps },
                { "podman's caps", podman_caps },
                { "all caps", all_caps },
                { "CAP_SYS_ADMIN", sys_admin },
                { "CAP_AUDIT_WRITE", audit_write },
                { "misc caps", misc_caps },
        };
        static const char *const targets[] = { "x86_64", "aarch64" };
        _cleanup_free_ char *data = NULL;
        struct rt_seccomp *def = NULL, *pod = NULL;
        den_error *err = NULL;
        size_t len = 0;
        int r;

        r = den_read_file_at(AT_FDCWD, PODMAN_PROFILE, 1 << 20, &data, &len);
        if (r < 0) {
                printf("# %s not installed: checking den's default against the expected list "
                       "only\n",
                       PODMAN_PROFILE);
                return;
        }
        ok(rt_seccomp_parse(data, len, &pod, &err) == 0);
        ok(rt_seccomp_default(&def, &err) == 0);
        if (!pod || !def)
                return;
        for (size_t t = 0; t < ARRAY_SIZE(targets); t++) {
                for (size_t s = 0; s < ARRAY_SIZE(sets); s++) {
                        struct prog a = { 0 }, b = { 0 };
                        char what[64];
                        int diffs;

                        (void) snprintf(what, sizeof(what), "%s, %s", targets[t], sets[s].name);
                        if (!compile(def, targets[t], sets[s].caps, &a) ||
                            !compile(pod, targets[t], sets[s].caps, &b)) {
                                ok(!"compile");
                                continue;
                        }
                        diffs = t == 0 ? sweep(&a, &b, x86, ARRAY_SIZE(x86), what)
                                       : sweep(&a, &b, arm, ARRAY_SIZE(arm), what);
                        TAP_REPORT(diffs == 0,
                                   "den's default = podman's profile (%s): %d "
                                   "differences",
                                   what, diffs);
                        free(a.insns);
                        free(b.insns);
                }
        }
        rt_seccomp_free(def);
        rt_seccomp_free(pod);
}

/* A few verdicts of den's default, checked whether or not podman's file is installed. */
static void test_default_expected(void)
{
        const uint32_t X64 = AUDIT_ARCH_X86_64;
        struct rt_seccomp *def = NULL;
        struct prog g = { 0 }, s = { 0 };
        den_error *err = NULL;

#define NR(name) nr_of(SCMP_ARCH_X86_64, name)
        ok(rt_seccomp_default(&def, &err) == 0);
        ok(compile(def, "x86_64", podman_caps, &g));
        ok(compile(def, "x86_64", all_caps, &s));
        is_int(verdict(&g, X64, NR("getpid"), 0, 0, 0), V_ALLOW);
        is_int(verdict(&g, X64, NR("openat"), 0, 0, 0), V_ALLOW);
        is_int(verdict(&g, X64, NR("read"), 0, 0, 0), V_ALLOW);
        is_int(verdict(&g, X64, NR("clone3"), 0, 0, 0), V_ALLOW);
        is_int(verdict(&g, X64, NR("kexec_load"), 0, 0, 0), V_ERRNO(EPERM));
        is_int(verdict(&s, X64, NR("kexec_load"), 0, 0, 0), V_ERRNO(EPERM));
        is_int(verdict(&g, X64, NR("userfaultfd"), 0, 0, 0), V_ERRNO(EPERM));
        is_int(verdict(&g, X64, NR("bpf"), 0, 0, 0), V_ERRNO(EPERM));
        is_int(verdict(&s, X64, NR("bpf"), 0, 0, 0), V_ALLOW);
        is_int(verdict(&g, X64, NR("init_module"), 0, 0, 0), V_ERRNO(EPERM));
        is_int(verdict(&g, X64, NR("chroot"), 0, 0, 0), V_ALLOW); /* CAP_SYS_CHROOT */
        is_int(verdict(&g, X64, NR("sethostname"), 0, 0, 0), V_ERRNO(EPERM));
        is_int(verdict(&g, X64, NR("add_key"), 0, 0, 0), V_ERRNO(ENOSYS));
        is_int(verdict(&g, X64, 1000, 0, 0, 0), V_ERRNO(ENOSYS));
        is_int(verdict(&g, X64, NR("personality"), 8, 0, 0), V_ALLOW);
        is_int(verdict(&g, X64, NR("personality"), 0xffffffff, 0, 0), V_ALLOW);
        is_int(verdict(&g, X64, NR("personality"), 0x40000, 0, 0), V_ERRNO(ENOSYS));
        is_int(verdict(&g, X64, NR("socket"), AF_NETLINK, SOCK_RAW, 9), V_ERRNO(EINVAL));
        is_int(verdict(&g, X64, NR("socket"), AF_UNIX, SOCK_STREAM, 0), V_ALLOW);
        is_int(verdict(&s, X64, NR("socket"), AF_NETLINK, SOCK_RAW, 9), V_ALLOW);
        is_int(verdict(&g, X64, NR("arch_prctl"), 0, 0, 0), V_ALLOW);
        is_int(verdict(&g, AUDIT_ARCH_I386, nr_of(SCMP_ARCH_X86, "mmap2"), 0, 0, 0), V_ALLOW);
        is_int(verdict(&g, X64, X32_BIT | ((uint32_t) nr_of(SCMP_ARCH_X32, "getpid") & ~X32_BIT), 0,
                       0, 0),
               V_ALLOW);
        is_int(verdict(&g, AUDIT_ARCH_ARM, 20, 0, 0, 0), V_KILL);
        free(g.insns);
        free(s.insns);
        ok(compile(def, "aarch64", podman_caps, &g));
        is_int(verdict(&g, AUDIT_ARCH_AARCH64, nr_of(SCMP_ARCH_AARCH64, "getpid"), 0, 0, 0),
               V_ALLOW);
        is_int(verdict(&g, AUDIT_ARCH_ARM, nr_of(SCMP_ARCH_ARM, "set_tls"), 0, 0, 0), V_ALLOW);
        is_int(verdict(&g, AUDIT_ARCH_AARCH64, nr_of(SCMP_ARCH_AARCH64, "kexec_load"), 0, 0, 0),
               V_ERRNO(EPERM));
        free(g.insns);
        rt_seccomp_free(def);
#undef NR
}

/* ---------------------------------------------------------------- filters really loaded */

struct check {
        const char *name;
        long (*call)(void);
        int want; /* errno, or 0 for success */
};

static long c_getpid(void)
{
        return syscall(SYS_getpid);
}
static long c_read(void)
{
        char buf[64];
        int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
        long r;

        if (fd < 0)
                return -1;
        r = read(fd, buf, sizeof(buf));
        close(fd);
        return r;
}
static long c_kexec(void)
{
        return syscall(SYS_kexec_load, 0, 0, NULL, 0xdeadbeefUL); /* bad flags if it gets by */
}
static long c_bpf(void)
{
        return syscall(SYS_bpf, -1, NULL, 0);
}
static long c_init_module(void)
{
        return syscall(SYS_init_module, NULL, 0, "");
}
static long c_sethostname(void)
{
        return sethostname("den-seccomp-test", 16); /* in a UTS namespace of its own */
}
static long c_unknown(void)
{
        return syscall(1000);
}
static long c_pers_query(void)
{
        return syscall(SYS_personality, 0xffffffffUL);
}
static long c_pers_other(void)
{
        return syscall(SYS_personality, 0x0040000UL);
}
static long c_audit_socket(void)
{
        return socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 9);
}
static long c_unix_socket(void)
{
        return socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
}
static long c_seccomp_mode(void)
{
        return prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 2 ? 0 : (errno = EBADE, -1);
}
static int parent_nnp;
static long c_nnp_unchanged(void)
{
        return prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == parent_nnp ? 0 : (errno = EBADE, -1);
}
static long c_mkdir(void)
{
        return syscall(SYS_mkdir, "/nonexistent-den-test/x", 0700);
}
static long c_mkdirat(void)
{
        return syscall(SYS_mkdirat, AT_FDCWD, "/nonexistent-den-test/x", 0700);
}
static long c_pers_8(void)
{
        return syscall(SYS_personality, 8UL);
}

enum how { HOW_APPLY, HOW_BPF };

/* Runs checks in a forked child after loading p's filter there; reports one TAP line each. */
static void run_checks(const struct rt_seccomp *p, char *const *caps, enum how how,
                       const struct check *checks, size_t n, const char *what)
{
        int fds[2], got[32] = { 0 }, status = 0;
        _cleanup_free_ void *bpf = NULL;
        size_t len = 0;
        pid_t pid;

        if (how == HOW_BPF) {
                const struct rt_seccomp_target t = { .caps = caps };
                den_error *err = NULL;

                if (rt_seccomp_compile(p, &t, &bpf, &len, &err) < 0) {
                        TAP_REPORT(false, "%s: compile: %s", what, err->msg);
                        den_error_free(err);
                        return;
                }
        }
        if (n > ARRAY_SIZE(got) - 1 || pipe2(fds, O_CLOEXEC) < 0)
                abort();
        fflush(stdout);
        pid = fork();
        if (pid == 0) {
                den_error *err = NULL;
                int r;

                close(fds[0]);
                /* a failed filter must not let sethostname reach the host */
                (void) unshare(CLONE_NEWUTS);
                r = how == HOW_APPLY
                            ? rt_seccomp_apply(p, caps, &err)
                            : rt_seccomp_load_bpf(bpf, len, rt_seccomp_load_flags(p), &err);
                got[0] = r < 0 ? (err && err->errnum ? err->errnum : EINVAL) : 0;
                for (size_t i = 0; i < n && r == 0; i++) {
                        errno = 0;
                        got[i + 1] = checks[i].call() < 0 ? errno : 0;
                }
                (void) !write(fds[1], got, sizeof(got));
                _exit(0);
        }
        close(fds[1]);
        if (read(fds[0], got, sizeof(got)) != (ssize_t) sizeof(got))
                got[0] = -1;
        close(fds[0]);
        (void) waitpid(pid, &status, 0);
        TAP_REPORT(got[0] == 0 && WIFEXITED(status), "%s: filter loaded (%d)", what, got[0]);
        if (got[0] != 0)
                return;
        for (size_t i = 0; i < n; i++)
                TAP_REPORT(got[i + 1] == checks[i].want, "%s: %s -> %s (want %s)", what,
                           checks[i].name, got[i + 1] ? strerrorname_np(got[i + 1]) : "ok",
                           checks[i].want ? strerrorname_np(checks[i].want) : "ok");
}

static void test_loaded(void)
{
        static const struct check default_checks[] = {
                { "getpid", c_getpid, 0 },
                { "open+read", c_read, 0 },
                { "seccomp mode is filter", c_seccomp_mode, 0 },
                { "kexec_load", c_kexec, EPERM },
                { "bpf", c_bpf, EPERM },
                { "init_module", c_init_module, EPERM },
                { "sethostname", c_sethostname, EPERM },
                { "syscall 1000", c_unknown, ENOSYS },
                { "personality(query)", c_pers_query, 0 },
                { "personality(ADDR_NO_RANDOMIZE)", c_pers_other, ENOSYS },
                { "netlink audit socket", c_audit_socket, EINVAL },
                { "unix socket", c_unix_socket, 0 },
        };
        static const struct check root_checks[] = {
                { "no_new_privs left alone", c_nnp_unchanged, 0 },
        };
        static const struct check mkdir_checks[] = {
                { "mkdir", c_mkdir, EPERM },
                { "mkdirat", c_mkdirat, EPERM },
                { "getpid", c_getpid, 0 },
        };
        static const struct check mkdir13_checks[] = {
                { "mkdir", c_mkdir, EACCES },
                { "mkdirat", c_mkdirat, ENOENT }, /* not in this profile */
        };
        static const struct check pers_checks[] = {
                { "personality(query)", c_pers_query, 0 },
                { "personality(PER_LINUX32)", c_pers_8, EPERM },
        };
        struct rt_seccomp *def = NULL, *p;
        den_error *err = NULL;

        ok(rt_seccomp_default(&def, &err) == 0);
        parent_nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
        if (geteuid() == 0)
                run_checks(def, podman_caps, HOW_APPLY, root_checks, ARRAY_SIZE(root_checks),
                           "default");
        else
                (void) prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); /* children inherit it */
        run_checks(def, podman_caps, HOW_APPLY, default_checks, ARRAY_SIZE(default_checks),
                   "default (apply)");
        run_checks(def, podman_caps, HOW_BPF, default_checks, ARRAY_SIZE(default_checks),
                   "default (bpf)");
        rt_seccomp_free(def);

        p = parse("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\","
                  " \"mkdirat\"], \"action\": \"SCMP_ACT_ERRNO\"}]}");
        if (p)
                run_checks(p, NULL, HOW_APPLY, mkdir_checks, ARRAY_SIZE(mkdir_checks), "no mkdir");
        rt_seccomp_free(p);
        p = parse("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\"],"
                  " \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 13}]}");
        if (p)
                run_checks(p, NULL, HOW_BPF, mkdir13_checks, ARRAY_SIZE(mkdir13_checks),
                           "mkdir EACCES");
        rt_seccomp_free(p);
        p = parse("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
                  "[\"personality\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, "
                  "\"value\": 4294967295, \"op\": \"SCMP_CMP_NE\"}]}]}");
        if (p)
                run_checks(p, NULL, HOW_APPLY, pers_checks, ARRAY_SIZE(pers_checks), "personality");
        rt_seccomp_free(p);

        /* unconfined: nothing is loaded */
        p = parse("{}");
        ok(p && rt_seccomp_apply(p, NULL, &err) == 0);
        ok(prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 0);
        rt_seccomp_free(p);
}

static void test_export(void)
{
        _cleanup_close_ int fd = memfd_create("test", MFD_CLOEXEC);
        _cleanup_free_ char *exported = NULL;
        struct rt_seccomp *def = NULL;
        const struct rt_seccomp_target t = { .caps = podman_caps };
        den_error *err = NULL;
        void *bpf = NULL;
        size_t len = 0, elen = 0;
        char zero[8] = { 0 };

        ok(rt_seccomp_default(&def, &err) == 0);
        ok(rt_seccomp_export_bpf(def, podman_caps, fd, &err) == 0);
        ok(lseek(fd, 0, SEEK_SET) == 0 && den_read_fd(fd, 1 << 20, &exported, &elen) == 0);
        ok(rt_seccomp_compile(def, &t, &bpf, &len, &err) == 0);
        ok(len > 0 && len == elen && memcmp(bpf, exported, len) == 0);
        ok(len % sizeof(struct sock_filter) == 0 &&
           len / sizeof(struct sock_filter) <= BPF_MAXINSNS);
        printf("# default filter: %zu instructions\n", len / sizeof(struct sock_filter));
        free(bpf);
        rt_seccomp_free(def);

        ok(rt_seccomp_load_bpf(zero, 0, 0, &err) < 0);
        is_str(err ? err->msg : NULL, "seccomp filter of 0 bytes is not a program");
        den_error_free(err);
        err = NULL;
        ok(rt_seccomp_load_bpf(zero, 7, 0, &err) < 0 && err->errnum == EINVAL);
        den_error_free(err);
        err = NULL;
        ok(rt_seccomp_load_bpf(zero, (BPF_MAXINSNS + 1) * 8, 0, &err) < 0);
        den_error_free(err);
}

static void test_cache(void)
{
        static char *const more_caps[] = {
                "CAP_CHOWN",   "CAP_DAC_OVERRIDE",     "CAP_FOWNER",     "CAP_FSETID",
                "CAP_KILL",    "CAP_NET_BIND_SERVICE", "CAP_SETFCAP",    "CAP_SETGID",
                "CAP_SETPCAP", "CAP_SETUID",           "CAP_SYS_CHROOT", "CAP_NET_RAW",
                NULL
        };
        char dir[] = "/tmp/den-test-seccomp-XXXXXX";
        const struct rt_seccomp_target t = { .caps = podman_caps };
        const struct rt_seccomp_target t_more = { .caps = more_caps };
        const struct rt_seccomp_target t_admin = { .caps = sys_admin };
        struct den_buf k1 = { 0 }, k2 = { 0 }, k3 = { 0 };
        char name[32];
        _cleanup_free_ char *entry = NULL;
        size_t elen = 0;
        _cleanup_close_ int dfd = -EBADF;
        struct rt_seccomp *def = NULL;
        den_error *err = NULL;
        void *a = NULL, *b = NULL, *c = NULL;
        size_t alen = 0, blen = 0, clen = 0;
        struct stat st;
        double t0, hit_us;

        ok(mkdtemp(dir) != NULL);
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ok(dfd >= 0);
        ok(rt_seccomp_default(&def, &err) == 0);

        /* capabilities no rule mentions do not change the key; one that a rule mentions does */
        ok(rt_seccomp_cache_key(def, &t, &k1, &err) == 0);
        ok(rt_seccomp_cache_key(def, &t_more, &k2, &err) == 0);
        ok(rt_seccomp_cache_key(def, &t_admin, &k3, &err) == 0);
        ok(k1.len > 0);
        ok(k1.len == k2.len && memcmp(k1.data, k2.data, k1.len) == 0);
        ok(k1.len != k3.len || memcmp(k1.data, k3.data, k1.len) != 0);

        ok(rt_seccomp_compile(def, &t, &a, &alen, &err) == 0);
        ok(rt_seccomp_compile_cached(def, &t, dfd, &b, &blen, &err) == 0); /* miss: stores */
        ok(blen == alen && memcmp(a, b, alen) == 0);
        rt_seccomp_cache_name(k1.data, k1.len, name);
        /* the entry holds the whole key and the program */
        ok(den_read_file_at(dfd, name, 1 << 20, &entry, &elen) == 0);
        ok(elen > k1.len + alen && memmem(entry, elen, k1.data, k1.len) != NULL &&
           memcmp(entry + elen - alen, a, alen) == 0);
        free(b);
        t0 = now_us();
        ok(rt_seccomp_compile_cached(def, &t_more, dfd, &b, &blen, &err) == 0); /* hit */
        hit_us = now_us() - t0;
        ok(blen == alen && memcmp(a, b, alen) == 0);
        printf("# cache hit: %.0f us\n", hit_us);
        free(b);

        /* a damaged entry is rebuilt, not loaded */
        ok(den_write_file_atomic_at(dfd, name, "garbage", 7, 0600) == 0);
        ok(rt_seccomp_compile_cached(def, &t, dfd, &c, &clen, &err) == 0);
        ok(clen == alen && memcmp(a, c, alen) == 0);
        ok(fstatat(dfd, name, &st, 0) == 0 && (size_t) st.st_size == elen);
        free(c);
        /* an entry under the same name for another key (a hash collision) is not used: the
         * other key's program is what the file holds, and this key's program comes back */
        {
                _cleanup_free_ void *x = NULL;
                size_t xlen = 0;
                struct den_buf f = { 0 };

                ok(rt_seccomp_compile(def, &t_admin, &x, &xlen, &err) == 0);
                ok(xlen != alen || memcmp(x, a, alen) != 0);
                den_buf_append(&f, entry, 16); /* the magic */
                {
                        uint64_t l3 = k3.len;

                        den_buf_append(&f, &l3, sizeof(l3));
                }
                den_buf_append(&f, k3.data, k3.len);
                den_buf_append(&f, x, xlen);
                ok(den_write_file_atomic_at(dfd, name, f.data, f.len, 0600) == 0);
                den_buf_free(&f);
                ok(rt_seccomp_compile_cached(def, &t, dfd, &c, &clen, &err) == 0);
                ok(clen == alen && memcmp(a, c, alen) == 0);
                free(c);
        }
        free(a);
        den_buf_free(&k1);
        den_buf_free(&k2);
        den_buf_free(&k3);
        rt_seccomp_free(def);
        ok(den_rm_rf_at(AT_FDCWD, dir) == 0);
}

/* Costs of the steps, as TAP comments: parse podman's profile, build den's default, compile,
 * and load (compile + load, and load of a compiled program) in a forked child. */
static void test_timing(void)
{
        _cleanup_free_ char *data = NULL;
        struct rt_seccomp *def = NULL, *p = NULL;
        den_error *err = NULL;
        const struct rt_seccomp_target t = { .caps = podman_caps };
        double t0, parse_us = 0, def_us, comp_us, load_us[2] = { 0 };
        void *bpf = NULL;
        size_t len = 0, dlen = 0;
        const int rounds = 5;

        if (den_read_file_at(AT_FDCWD, PODMAN_PROFILE, 1 << 20, &data, &dlen) == 0) {
                t0 = now_us();
                for (int i = 0; i < rounds; i++) {
                        ok(rt_seccomp_parse(data, dlen, &p, &err) == 0);
                        rt_seccomp_free(p);
                }
                parse_us = (now_us() - t0) / rounds;
        }
        t0 = now_us();
        for (int i = 0; i < rounds; i++) {
                rt_seccomp_free(def);
                ok(rt_seccomp_default(&def, &err) == 0);
        }
        def_us = (now_us() - t0) / rounds;
        t0 = now_us();
        for (int i = 0; i < rounds; i++) {
                free(bpf);
                ok(rt_seccomp_compile(def, &t, &bpf, &len, &err) == 0);
        }
        comp_us = (now_us() - t0) / rounds;
        for (int how = 0; how < 2; how++) {
                for (int i = 0; i < rounds; i++) {
                        int fds[2];
                        double d = 0;
                        pid_t pid;

                        if (pipe2(fds, O_CLOEXEC) < 0)
                                abort();
                        fflush(stdout);
                        pid = fork();
                        if (pid == 0) {
                                double s = now_us();
                                int r = how == 0 ? rt_seccomp_apply(def, podman_caps, &err)
                                                 : rt_seccomp_load_bpf(bpf, len,
                                                                       rt_seccomp_load_flags(def),
                                                                       &err);

                                d = r == 0 ? now_us() - s : -1;
                                (void) !write(fds[1], &d, sizeof(d));
                                _exit(0);
                        }
                        close(fds[1]);
                        if (read(fds[0], &d, sizeof(d)) != sizeof(d))
                                d = -1;
                        close(fds[0]);
                        (void) waitpid(pid, NULL, 0);
                        ok(d >= 0);
                        load_us[how] += d / rounds;
                }
        }
        printf("# cost: parse podman's profile %.0f us, build den's default %.0f us, compile "
               "%.0f us, apply (compile + load) in a child %.0f us, load a compiled program "
               "%.0f us\n",
               parse_us, def_us, comp_us, load_us[0], load_us[1]);
        free(bpf);
        rt_seccomp_free(def);
}

int main(void)
{
        test_parse_errors();
        test_semantics();
        test_caps_and_kernel();
        test_arches();
        test_default_expected();
        test_default_vs_podman();
        test_export();
        test_cache();
        test_loaded();
        test_timing();
        return tap_done();
}
