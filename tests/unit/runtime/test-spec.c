/* Tests for the config.json parser (runtime/spec.c): what it keeps of a typical spec, and
 * the errors that name the JSON path of a bad field. */
#include <sys/mount.h>

#include "runtime/rt-internal.h"
#include "tap.h"

static const char *const good =
        "{\"ociVersion\":\"1.0.2\",\"process\":{\"terminal\":true,\"user\":{\"uid\":1000,"
        "\"gid\":100,\"umask\":18,\"additionalGids\":[5,6]},\"args\":[\"sh\",\"-c\",\"x\"],"
        "\"env\":[\"PATH=/bin:/usr/bin\",\"A=b\"],\"cwd\":\"/w\",\"capabilities\":{"
        "\"bounding\":[\"CAP_KILL\",\"CAP_CHOWN\"],\"effective\":[\"CAP_KILL\"]},"
        "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":10,\"hard\":20}],"
        "\"noNewPrivileges\":true},\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
        "\"hostname\":\"h\",\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\","
        "\"source\":\"proc\"},{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
        "\"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]},"
        "{\"destination\":\"/data\",\"type\":\"none\",\"source\":\"/srv\",\"options\":"
        "[\"rbind\",\"ro\",\"rprivate\"]}],\"linux\":{\"namespaces\":[{\"type\":\"pid\"},"
        "{\"type\":\"mount\"},{\"type\":\"network\",\"path\":\"/proc/1/ns/net\"}],"
        "\"maskedPaths\":[\"/proc/kcore\"],\"readonlyPaths\":[\"/proc/sys\"],"
        "\"sysctl\":{\"net.ipv4.ip_forward\":\"1\"},\"resources\":{\"memory\":{\"limit\":"
        "1048576}},\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":"
        "[\"SCMP_ARCH_X86_64\"],\"syscalls\":[{\"names\":[\"read\"],\"action\":"
        "\"SCMP_ACT_ALLOW\"}]}}}";

static void test_good(void)
{
        struct rt_spec *s = NULL;
        den_error *err = NULL;

        ok(rt_spec_parse(good, strlen(good), &s, &err) == 0);
        if (!s) {
                den_error_free(err);
                return;
        }
        ok(rt_spec_has_terminal(s));
        is_str(s->root_path, "rootfs");
        ok(s->is_root_readonly);
        is_str(s->hostname, "h");
        is_int((int) s->proc.uid, 1000);
        is_int((int) s->proc.gid, 100);
        is_int((int) s->proc.n_groups, 2);
        is_int((int) s->proc.umask, 18);
        is_str(s->proc.args[2], "x");
        is_str(s->proc.path_env, "/bin:/usr/bin");
        is_str(s->proc.cwd, "/w");
        ok(s->proc.caps[RT_CAP_BOUNDING] == ((1ull << 5) | (1ull << 0)));
        ok(s->proc.caps[RT_CAP_EFFECTIVE] == (1ull << 5));
        ok(s->proc.caps[RT_CAP_PERMITTED] == 0);
        is_str(s->proc.bounding_names[0], "CAP_CHOWN");
        is_int((int) s->proc.n_rlimits, 1);
        is_int((int) s->proc.rlimits[0].lim.rlim_max, 20);
        ok(s->proc.is_no_new_privs);
        is_int((int) s->n_mounts, 3);
        ok(s->mounts[1].flags == (MS_NOSUID | MS_STRICTATIME));
        is_str(s->mounts[1].data, "mode=755,size=65536k");
        ok(s->mounts[2].kind == RT_MOUNT_BIND && s->mounts[2].is_rbind);
        ok(s->mounts[2].flags == MS_RDONLY);
        ok(s->mounts[2].propagation == (MS_PRIVATE | MS_REC));
        ok(s->ns[RT_NS_PID].is_set && !s->ns[RT_NS_PID].path);
        is_str(s->ns[RT_NS_NET].path, "/proc/1/ns/net");
        ok(!s->ns[RT_NS_USER].is_set);
        is_str(s->masked[0], "/proc/kcore");
        is_str(s->sysctl[0], "net.ipv4.ip_forward");
        ok(s->has_limits && s->memory_max == 1048576);
        ok(s->seccomp != NULL);
        rt_spec_free(s);
}

static void bad(const char *json, const char *want)
{
        struct rt_spec *s = NULL;
        den_error *err = NULL;

        ok(rt_spec_parse(json, strlen(json), &s, &err) < 0 && !s);
        ok(err && err->msg && strstr(err->msg, want));
        if (err && err->msg && !strstr(err->msg, want))
                printf("# got \"%s\", want \"%s\"\n", err->msg, want);
        den_error_free(err);
}

#define P "\"process\":{\"args\":[\"sh\"]},\"root\":{\"path\":\"r\"}"

static void test_bad(void)
{
        bad("[]", "must be an object");
        bad("{\"root\":{\"path\":\"r\"}}", "process: is missing");
        bad("{\"process\":{\"args\":[]},\"root\":{\"path\":\"r\"}}", "process.args: must name");
        bad("{" P ",\"mounts\":[{\"destination\":\"proc\"}]}",
            "mounts[0].destination: \"proc\" is not an absolute path");
        bad("{" P ",\"mounts\":[{\"destination\":\"/x\",\"type\":\"bind\"}]}",
            "mounts[0].source: a bind mount needs a source");
        bad("{" P ",\"linux\":{\"namespaces\":[{\"type\":\"time2\"}]}}",
            "linux.namespaces[0].type: unknown namespace \"time2\"");
        bad("{" P ",\"linux\":{\"namespaces\":[{\"type\":\"user\"}]}}", "needs uidMappings");
        bad("{\"process\":{\"args\":[\"sh\"],\"capabilities\":{\"bounding\":[\"CAP_NOPE\"]}},"
            "\"root\":{\"path\":\"r\"}}",
            "process.capabilities.bounding[0]: unknown capability \"CAP_NOPE\"");
        bad("{\"process\":{\"args\":[\"sh\"],\"rlimits\":[{\"type\":\"RLIMIT_X\",\"soft\":1,"
            "\"hard\":1}]},\"root\":{\"path\":\"r\"}}",
            "process.rlimits[0].type: unknown rlimit \"RLIMIT_X\"");
        bad("{\"process\":{\"args\":[\"sh\"],\"user\":{\"uid\":-1}},\"root\":{\"path\":\"r\"}}",
            "process.user.uid: -1 is out of range");
        bad("{\"process\":{\"args\":[\"sh\"],\"env\":[\"NOEQUALS\"]},\"root\":{\"path\":\"r\"}}",
            "process.env[0]");
        bad("{" P ",\"linux\":{\"sysctl\":{\"../../etc\":\"1\"}}}", "invalid key");
        bad("{" P ",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_NOPE\"}}}",
            "linux.seccomp");
        bad("{" P ",\"process\":{}}", "invalid JSON");
}

static void test_load(void)
{
        char dir[] = "/tmp/test-spec-XXXXXX";
        struct rt_spec *s = NULL;
        den_error *err = NULL;
        _cleanup_free_ char *cfg = NULL;
        int fd;

        ok(mkdtemp(dir) != NULL);
        cfg = den_path_join(dir, "config.json");
        fd = open(cfg, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        ok(fd >= 0 && den_write_all(fd, good, strlen(good)) == 0);
        close(fd);
        ok(rt_spec_load(dir, &s, &err) == 0);
        if (s) {
                _cleanup_free_ char *want = den_path_join(dir, "rootfs");

                /* relative root.path is taken from the bundle */
                is_str(s->root_path, want);
                rt_spec_free(s);
        }
        den_error_free(err);
        unlink(cfg);
        rmdir(dir);
}

/* den's default profile exported as linux.seccomp and read back by the spec parser compiles
 * to the same BPF program for the same target. */
static void test_seccomp_roundtrip(void)
{
        static char *const caps[] = { "CAP_CHOWN", "CAP_KILL", "CAP_SETUID", NULL };
        const struct rt_seccomp_target t = { .caps = caps, .kernel = "6.1" };
        struct rt_seccomp *def = NULL;
        struct rt_spec *s = NULL;
        den_error *err = NULL;
        void *b1 = NULL, *b2 = NULL;
        size_t l1 = 0, l2 = 0;
        json_t *oci = NULL, *doc = NULL;
        char *text = NULL;

        ok(rt_seccomp_default(&def, &err) == 0);
        if (def)
                oci = rt_seccomp_to_oci(def, &t, &err);
        ok(oci != NULL);
        if (!oci) {
                rt_seccomp_free(def);
                den_error_free(err);
                return;
        }
        is_str(json_string_value(json_object_get(oci, "defaultAction")), "SCMP_ACT_ERRNO");
        is_int((int) json_integer_value(json_object_get(oci, "defaultErrnoRet")), ENOSYS);
        doc = json_pack("{s:{s:[s]}, s:{s:s}, s:{s:O}}", "process", "args", "sh", "root", "path",
                        "r", "linux", "seccomp", oci);
        text = json_dumps(doc, JSON_COMPACT);
        ok(rt_spec_parse(text, strlen(text), &s, &err) == 0);
        if (s && s->seccomp) {
                ok(rt_seccomp_compile(def, &t, &b1, &l1, &err) == 0);
                ok(rt_seccomp_compile(s->seccomp, &t, &b2, &l2, &err) == 0);
                ok(l1 > 0 && l1 == l2 && memcmp(b1, b2, l1) == 0);
        }
        free(b1);
        free(b2);
        free(text);
        json_decref(doc);
        json_decref(oci);
        rt_spec_free(s);
        rt_seccomp_free(def);
        den_error_free(err);
}

int main(void)
{
        test_seccomp_roundtrip();
        test_good();
        test_bad();
        test_load();
        return tap_done();
}
