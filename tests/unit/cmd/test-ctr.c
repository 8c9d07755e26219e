/* run/create options -> container configuration -> OCI spec. */
#include "tap.h"

#include "cmd/ctr.h"

#include <stdarg.h>
#include <sys/stat.h>

/* The OCI form of a seccomp profile comes from runtime/seccomp.c; a build of the runtime that
 * does not have it yet links this stand-in, which marks the spec as filtered. */
json_t *rt_seccomp_to_oci(const struct rt_seccomp *p, const struct rt_seccomp_target *t,
                          den_error **err);
__attribute__((weak)) json_t *rt_seccomp_to_oci(const struct rt_seccomp *p,
                                                const struct rt_seccomp_target *t, den_error **err)
{
        return json_pack("{s:s}", "defaultAction", "SCMP_ACT_ERRNO");
}

static const struct cmd fake_create = {
        .name = "create",
        .usage = "[options] IMAGE [COMMAND [ARG...]]",
        .summary = "test",
        .opts = cmd_ctr_opts,
        .min_args = 1,
        .max_args = -1,
        .flags = CMD_F_STOP_AT_ARG,
};

static char tmpdir[] = "/tmp/test-ctr-XXXXXX";
static char *last_error;
static json_t *image_config;

/* Builds the configuration of `create ARGS... IMAGE [CMD...]`; NULL with last_error set on
 * failure. */
static json_t *build_argv(char **argv, int argc)
{
        struct cmd_value globals[8] = { 0 };
        struct cmd_args a = { 0 };
        den_error *err = NULL;
        json_t *ret = NULL;

        free(last_error);
        last_error = NULL;
        if (cmd_args_parse(&fake_create, argc, argv, &a, globals, &err) == 0) {
                if (cmd_ctr_config_build(&a, a.pos + 1, a.pos[0], image_config, &ret, &err) < 0)
                        ret = NULL;
                cmd_args_clear(&a);
        }
        if (err) {
                last_error = den_error_text(err);
                den_error_free(err);
        }
        return ret;
}

#define BUILD(...)                                              \
        ({                                                      \
                char *_argv[] = { __VA_ARGS__, "img", NULL };   \
                build_argv(_argv, (int) ARRAY_SIZE(_argv) - 1); \
        })
#define BUILD_CMD(...)                                          \
        ({                                                      \
                char *_argv[] = { __VA_ARGS__, NULL };          \
                build_argv(_argv, (int) ARRAY_SIZE(_argv) - 1); \
        })

/* "a.b[2].c" */
static json_t *jget(json_t *j, const char *path)
{
        _cleanup_free_ char *copy = xstrdup(path);
        char *save = NULL;

        for (char *p = strtok_r(copy, ".", &save); p && j; p = strtok_r(NULL, ".", &save)) {
                char *br = strchr(p, '[');

                if (br)
                        *br = '\0';
                if (*p)
                        j = json_object_get(j, p);
                while (br && j) {
                        j = json_array_get(j, strtoul(br + 1, NULL, 10));
                        br = strchr(br + 1, '[');
                }
        }
        return j;
}

static const char *jstr_at(json_t *j, const char *path)
{
        return json_string_value(jget(j, path));
}

static long long jint_at(json_t *j, const char *path)
{
        return json_integer_value(jget(j, path));
}

static bool arr_has(json_t *arr, const char *s)
{
        size_t i;
        json_t *v;

        json_array_foreach (arr, i, v)
                if (json_is_string(v) && streq(json_string_value(v), s))
                        return true;
        return false;
}

static json_t *find_mount(json_t *spec, const char *dst)
{
        size_t i;
        json_t *m;

        json_array_foreach (json_object_get(spec, "mounts"), i, m)
                if (streq(json_string_value(json_object_get(m, "destination")), dst))
                        return m;
        return NULL;
}

static bool has_ns(json_t *spec, const char *type)
{
        size_t i;
        json_t *n;

        json_array_foreach (jget(spec, "linux.namespaces"), i, n)
                if (streq(json_string_value(json_object_get(n, "type")), type))
                        return true;
        return false;
}

static void expect_error(json_t *j, const char *needle, const char *what)
{
        bool is_ok = !j && last_error && strstr(last_error, needle);

        TAP_REPORT(is_ok, "error for %s contains \"%s\"", what, needle);
        if (!is_ok)
                printf("#   got: %s\n", last_error ? last_error : "(success)");
        json_decref(j);
}

#define ERR(needle, ...) expect_error(BUILD(__VA_ARGS__), needle, #__VA_ARGS__)

static void write_file(const char *dir, const char *name, const char *text)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, name);
        FILE *f = fopen(p, "we");

        if (!f)
                abort();
        fputs(text, f);
        fclose(f);
}

/* ---------------------------------------------------------------- configuration */

static void test_config_defaults(void)
{
        json_auto_t *c = BUILD("--name", "web");

        ok(c != NULL);
        if (!c)
                return;
        is_str(jstr_at(c, "Config.Cmd[0]"), "sh");
        is_int(json_array_size(jget(c, "Config.Entrypoint")), 0);
        is_str(jstr_at(c, "Config.WorkingDir"), "/srv");
        is_str(jstr_at(c, "Config.Image"), "img");
        ok(arr_has(jget(c, "Config.Env"), "PATH=/bin:/usr/bin"));
        ok(arr_has(jget(c, "Config.Env"), "TERM=xterm"));
        ok(arr_has(jget(c, "Config.Env"), "container=den"));
        ok(arr_has(jget(c, "Config.Env"), "FOO=img"));
        is_str(jstr_at(c, "Config.StopSignal"), "SIGTERM");
        is_int(jint_at(c, "Config.StopTimeout"), 10);
        is_str(jstr_at(c, "Config.Labels.a"), "b");
        is_str(jstr_at(c, "Config.Umask"), "0022");
        ok(json_array_size(jget(c, "Config.CreateCommand")) > 0);
        is_str(jstr_at(c, "HostConfig.NetworkMode"), "slirp4netns");
        ok(json_is_null(jget(c, "HostConfig.PortBindings.80/tcp")));
        is_int(jint_at(c, "HostConfig.ShmSize"), 65536000);
        is_str(jstr_at(c, "HostConfig.LogConfig.Type"), "k8s-file");
        is_str(jstr_at(c, "HostConfig.Ulimits[0].Name"), "RLIMIT_NOFILE");
        is_str(jstr_at(c, "HostConfig.Ulimits[1].Name"), "RLIMIT_NPROC");
        is_str(jstr_at(c, "HostConfig.IpcMode"), "shareable");
        is_str(jstr_at(c, "HostConfig.PidMode"), "private");
        is_str(jstr_at(c, "Den.seccomp"), "default");
        is_str(jstr_at(c, "Den.userns.mode"), "");
        is_str(jstr_at(c, "Den.pull"), "missing");
        ok(json_is_true(jget(c, "Den.read_only_tmpfs")));
        ok(json_is_null(jget(c, "Den.init_path")));
        ok(json_is_object(jget(c, "Network")));
}

static void test_config_env(void)
{
        json_t *c;

        setenv("DENTEST_HOSTVAR", "fromhost", 1);
        setenv("DENTEST_PFX_A", "1", 1);
        write_file(tmpdir, "envfile",
                   "# comment\n\nFILE1=one\n  FILE2=two words \nDENTEST_HOSTVAR\r\n"
                   "FOO=file\n");
        {
                _cleanup_free_ char *ef = xasprintf("%s/envfile", tmpdir);

                c = BUILD("--env-file", ef, "-e", "FOO=cli", "-e", "DENTEST_PFX_*", "-e",
                          "DENTEST_UNSET_VAR");
        }
        ok(c != NULL);
        ok(arr_has(jget(c, "Config.Env"), "FILE1=one"));
        ok(arr_has(jget(c, "Config.Env"), "FILE2=two words "));
        ok(arr_has(jget(c, "Config.Env"), "DENTEST_HOSTVAR=fromhost"));
        ok(arr_has(jget(c, "Config.Env"), "FOO=cli"));
        ok(!arr_has(jget(c, "Config.Env"), "FOO=img"));
        ok(arr_has(jget(c, "Config.Env"), "DENTEST_PFX_A=1"));
        ok(!arr_has(jget(c, "Config.Env"), "DENTEST_UNSET_VAR"));
        json_decref(c);
        ERR("invalid environment variable: \"=x\"", "-e", "=x");
        ERR("parsing env file \"/nonexistent/env\"", "--env-file", "/nonexistent/env");
}

static void test_config_command(void)
{
        json_t *c = BUILD_CMD("--entrypoint", "[\"/bin/echo\",\"a\"]", "img", "b", "c");

        is_str(jstr_at(c, "Config.Entrypoint[0]"), "/bin/echo");
        is_str(jstr_at(c, "Config.Entrypoint[1]"), "a");
        is_str(jstr_at(c, "Config.Cmd[0]"), "b");
        is_int(json_array_size(jget(c, "Config.Cmd")), 2);
        json_decref(c);
        c = BUILD("--entrypoint", "/bin/true");
        is_str(jstr_at(c, "Config.Entrypoint[0]"), "/bin/true");
        is_int(json_array_size(jget(c, "Config.Cmd")), 0); /* the image's CMD is dropped */
        json_decref(c);
        ERR("no command or entrypoint provided", "--entrypoint", "");
        ERR("invalid value \"[1]\" for --entrypoint", "--entrypoint", "[1]");
        ERR("invalid value \"[bad\" for --entrypoint", "--entrypoint", "[bad");
}

static void test_config_mounts(void)
{
        _cleanup_free_ char *v1 = xasprintf("%s:/data:ro,U,z", tmpdir);
        _cleanup_free_ char *m1 = xasprintf("type=bind,src=%s,dst=/m,ro=true", tmpdir);
        _cleanup_free_ char *bind = NULL;
        json_auto_t *c =
                BUILD("-v", v1, "--mount", m1, "--tmpfs", "/scratch:size=10m,noexec", "--mount",
                      "type=tmpfs,dst=/t,tmpfs-size=1m", "--device", "/dev/null");

        ok(c != NULL);
        bind = xasprintf("%s:/data:ro,rprivate,rbind", tmpdir);
        is_str(jstr_at(c, "HostConfig.Binds[0]"), bind);
        is_str(jstr_at(c, "Den.mounts[0].destination"), "/data");
        is_str(jstr_at(c, "Den.mounts[0].type"), "bind");
        is_str(jstr_at(c, "Den.chown[0]"), "/data");
        is_str(jstr_at(c, "Den.mounts[1].options[0]"), "ro");
        is_str(jstr_at(c, "HostConfig.Tmpfs./scratch"),
               "size=10m,noexec,rw,rprivate,nosuid,nodev,tmpcopyup");
        is_str(jstr_at(c, "HostConfig.Tmpfs./t"), "size=1m,rw,rprivate,nosuid,nodev,tmpcopyup");
        is_str(jstr_at(c, "HostConfig.Devices[0].PathInContainer"), "/dev/null");
}

static void test_config_values(void)
{
        json_auto_t *c =
                BUILD("--cap-add", "net_admin", "--cap-drop", "all", "--stop-signal", "9",
                      "--ulimit", "nofile=1024:2048", "--cpus", "1.5", "-m", "64m", "--pids-limit",
                      "100", "-p", "8080:80", "--security-opt", "no-new-privileges",
                      "--security-opt", "mask=/etc/foo:/tmp/bar", "--security-opt", "unmask=ALL",
                      "--security-opt", "label=disable", "--security-opt", "seccomp=unconfined",
                      "--userns", "keep-id:uid=200,gid=300", "--shm-size", "128m", "--init", "--rm",
                      "--pull", "never", "--log-driver", "none", "--sysctl",
                      "net.ipv4.ip_forward=1", "--annotation", "k=v", "-l", "x=y", "-h", "myhost",
                      "--umask", "0077", "--read-only-tmpfs=false");

        ok(c != NULL);
        is_str(jstr_at(c, "HostConfig.CapAdd[0]"), "CAP_NET_ADMIN");
        is_str(jstr_at(c, "HostConfig.CapDrop[0]"), "ALL");
        is_str(jstr_at(c, "Config.StopSignal"), "SIGKILL");
        is_str(jstr_at(c, "HostConfig.Ulimits[0].Name"), "RLIMIT_NOFILE");
        is_int(jint_at(c, "HostConfig.Ulimits[0].Soft"), 1024);
        is_int(jint_at(c, "HostConfig.Ulimits[0].Hard"), 2048);
        is_int(jint_at(c, "HostConfig.NanoCpus"), 1500000000);
        is_int(jint_at(c, "HostConfig.Memory"), 64 << 20);
        is_int(jint_at(c, "HostConfig.PidsLimit"), 100);
        is_str(jstr_at(c, "HostConfig.PortBindings.80/tcp[0].HostPort"), "8080");
        ok(json_is_true(jget(c, "Den.no_new_privs")));
        is_str(jstr_at(c, "Den.mask[1]"), "/tmp/bar");
        is_str(jstr_at(c, "Den.unmask[0]"), "ALL");
        is_str(jstr_at(c, "Den.seccomp"), "unconfined");
        is_str(jstr_at(c, "Den.userns.mode"), "keep-id");
        is_int(jint_at(c, "Den.userns.uid"), 200);
        is_int(jint_at(c, "Den.userns.gid"), 300);
        is_int(jint_at(c, "HostConfig.ShmSize"), 128 << 20);
        ok(jstr_at(c, "Den.init_path") != NULL);
        ok(json_is_true(jget(c, "HostConfig.AutoRemove")));
        is_str(jstr_at(c, "Den.pull"), "never");
        is_str(jstr_at(c, "HostConfig.LogConfig.Type"), "none");
        is_str(jstr_at(c, "HostConfig.Sysctls.net.ipv4.ip_forward"), NULL); /* dotted key */
        ok(json_object_get(jget(c, "HostConfig.Sysctls"), "net.ipv4.ip_forward") != NULL);
        is_str(jstr_at(c, "Config.Annotations.k"), "v");
        is_str(jstr_at(c, "Config.Labels.x"), "y");
        is_str(jstr_at(c, "Config.Hostname"), "myhost");
        is_str(jstr_at(c, "Config.Umask"), "0077");
        ok(json_is_false(jget(c, "Den.read_only_tmpfs")));

        json_auto_t *m = BUILD("--uidmap", "0:1:100");
        is_int(jint_at(m, "Den.userns.gidmap[0].size"), 100);
        is_str(jstr_at(m, "Den.userns.mode"), "map");
        json_auto_t *s = BUILD("--stop-signal", "hup", "--ulimit", "host");
        is_str(jstr_at(s, "Config.StopSignal"), "SIGHUP");
        ok(json_is_true(jget(s, "Den.ulimit_host")));
}

static void test_config_errors(void)
{
        ERR("invalid value \"abc\" for --memory", "--memory", "abc");
        ERR("minimum memory limit", "--memory", "1k");
        ERR("invalid value \"abc\" for --cpus", "--cpus", "abc");
        ERR("invalid value \"0.001\" for --cpus", "--cpus", "0.001");
        ERR("invalid value \"x\" for --pids-limit", "--pids-limit", "x");
        ERR("statfs /nonexistent/src", "-v", "/nonexistent/src:/x");
        ERR("named volumes are not supported", "-v", "named:/x");
        ERR("anonymous volumes are not supported", "-v", "/tmp");
        ERR("must be an absolute path", "-v", "/tmp:rel");
        ERR("overlay volumes (O) are not supported", "-v", "/tmp:/x:O");
        ERR("invalid option type \"bogus\"", "-v", "/tmp:/x:bogus");
        ERR("duplicate mount destination \"/x\"", "-v", "/tmp:/x", "--tmpfs", "/x");
        ERR("mount type \"volume\" is not supported", "--mount", "type=volume,src=x,dst=/x");
        ERR("must set the source path", "--mount", "type=bind,dst=/x");
        ERR("must set the target path", "--mount", "type=bind,src=/tmp");
        ERR("type must be set", "--mount", "src=/tmp,dst=/x");
        ERR("unknown mount option \"foo\"", "--mount", "type=bind,src=/tmp,dst=/x,foo=1");
        ERR("must be an absolute path", "--tmpfs", "rel");
        ERR("invalid tmpfs option \"size=abc\"", "--tmpfs", "/t:size=abc");
        ERR("invalid value \"FOO\" for --cap-add: unknown capability", "--cap-add", "FOO");
        ERR("invalid --security-opt: \"foo=bar\"", "--security-opt", "foo=bar");
        ERR("seccomp=/nonexistent", "--security-opt", "seccomp=/nonexistent/profile.json");
        ERR("invalid value \"mask=rel\" for --security-opt", "--security-opt", "mask=rel");
        ERR("invalid value \"bogus\" for --userns", "--userns", "bogus");
        ERR("unknown keep-id option \"foo=1\"", "--userns", "keep-id:foo=1");
        ERR("cannot be used together", "--userns", "keep-id", "--uidmap", "0:1:1");
        ERR("invalid value \"0:1\" for --uidmap", "--uidmap", "0:1");
        ERR("invalid value \"0:1:0\" for --gidmap", "--gidmap", "0:1:0");
        ERR("invalid value \"nofile=abc\" for --ulimit", "--ulimit", "nofile=abc");
        ERR("invalid ulimit type \"bogus\"", "--ulimit", "bogus=1");
        ERR("soft limit 10 is above the hard limit 5", "--ulimit", "nofile=10:5");
        ERR("invalid value \"FOO\" for --stop-signal", "--stop-signal", "FOO");
        ERR("invalid value \"x\" for --stop-timeout", "--stop-timeout", "x");
        ERR("unsupported pull policy \"bogus\"", "--pull", "bogus");
        ERR("invalid value \"journald\" for --log-driver", "--log-driver", "journald");
        ERR("invalid value \"max-size=1\" for --log-opt", "--log-opt", "max-size=1");
        ERR("invalid value \"bogus\" for --ipc", "--ipc", "bogus");
        ERR("invalid value \"bogus\" for --pid", "--pid", "bogus");
        ERR("invalid value \"container:x\" for --pid", "--pid", "container:x");
        ERR("invalid value \"bogus\" for --uts", "--uts", "bogus");
        ERR("invalid value \"notip\" for --dns", "--dns", "notip");
        ERR("invalid value \"foo\" for --add-host", "--add-host", "foo");
        ERR("invalid value \"bad host\" for --hostname", "--hostname", "bad host");
        ERR("invalid value \"x\" for --shm-size", "--shm-size", "x");
        ERR("invalid value \"999\" for --umask", "--umask", "999");
        ERR("invalid value \"-bad\" for --name", "--name", "-bad");
        ERR("invalid value \"noeq\" for --annotation", "--annotation", "noeq");
        ERR("is not namespaced", "--sysctl", "vm.swappiness=1");
        ERR("invalid value \"/nonexistent/dev\" for --device", "--device", "/nonexistent/dev");
        ERR("is not a device node", "--device", "/tmp");
        ERR("invalid value \"rel\" for --init-path", "--init", "--init-path", "rel");
        ERR("bogus-mode", "--network", "bogus-mode");
        ERR("invalid", "-p", "abc");
}

/* ---------------------------------------------------------------- spec */

static char rootfs[PATH_MAX], evil_rootfs[PATH_MAX];

static struct rt_idmap den_uidmap[] = { { 0, 1002, 1 }, { 1, 100000, 65536 } };
static struct rt_userns den_userns = {
        .uidmap = den_uidmap, .n_uidmap = 2, .gidmap = den_uidmap, .n_gidmap = 2
};

static json_t *spec_of(json_t *config, const char *root)
{
        struct cmd_spec_env env = { .id = "0123456789abcdef0123",
                                    .name = "web",
                                    .rootfs = root,
                                    .userdata = "/run/den/ud",
                                    .userns = &den_userns,
                                    .host_uid = 1002,
                                    .host_gid = 1002 };
        den_error *err = NULL;
        json_t *spec = NULL;

        free(last_error);
        last_error = NULL;
        if (!config) {
                last_error = xstrdup("(no config)");
                return NULL;
        }
        if (cmd_spec_build(config, &env, &spec, &err) < 0) {
                last_error = den_error_text(err);
                den_error_free(err);
                spec = NULL;
        }
        json_decref(config);
        return spec;
}

#define SPEC(...) spec_of(BUILD(__VA_ARGS__), rootfs)
#define SPEC_CMD_INIT() spec_of(BUILD_CMD("--init", "-t", "img", "echo", "hi"), rootfs)

static void make_rootfs(void)
{
        _cleanup_free_ char *etc = NULL, *outside = NULL, *link = NULL;

        snprintf(rootfs, sizeof(rootfs), "%s/rootfs", tmpdir);
        snprintf(evil_rootfs, sizeof(evil_rootfs), "%s/evil", tmpdir);
        etc = xasprintf("%s/etc", rootfs);
        (void) den_mkdir_p_at(AT_FDCWD, etc, 0755);
        write_file(etc, "passwd",
                   "root:x:0:0:root:/root:/bin/sh\nbroken line\n"
                   "alice:x:1000:1000:Alice:/home/alice:/bin/sh\n"
                   "nobody:x:65534:65534::/nonexistent:/bin/false");
        write_file(etc, "group", "root:x:0:\nwheel:x:10:bob,alice\nalice:x:1000:\nstaff:x:50:\n");
        free(etc);
        etc = xasprintf("%s/etc", evil_rootfs);
        (void) den_mkdir_p_at(AT_FDCWD, etc, 0755);
        write_file(tmpdir, "outside-passwd", "mallory:x:666:666::/home/mallory:/bin/sh\n");
        outside = xasprintf("%s/outside-passwd", tmpdir);
        link = xasprintf("%s/passwd", etc);
        if (symlink(outside, link) < 0)
                abort();
}

static void test_spec_defaults(void)
{
        json_auto_t *s = SPEC("-e", "X=1");
        json_t *m;

        ok(s != NULL);
        if (!s) {
                printf("# %s\n", last_error);
                return;
        }
        is_str(jstr_at(s, "ociVersion"), "1.1.0");
        is_int(json_array_size(jget(s, "process.capabilities.bounding")), 11);
        ok(arr_has(jget(s, "process.capabilities.bounding"), "CAP_CHOWN"));
        ok(arr_has(jget(s, "process.capabilities.effective"), "CAP_SYS_CHROOT"));
        ok(!arr_has(jget(s, "process.capabilities.bounding"), "CAP_NET_RAW"));
        is_int(json_array_size(jget(s, "process.capabilities.inheritable")), 0);
        is_int(json_array_size(jget(s, "linux.maskedPaths")), 11);
        ok(arr_has(jget(s, "linux.maskedPaths"), "/proc/kcore"));
        is_int(json_array_size(jget(s, "linux.readonlyPaths")), 6);
        is_str(jstr_at(find_mount(s, "/proc"), "type"), "proc");
        is_str(jstr_at(find_mount(s, "/dev"), "type"), "tmpfs");
        is_str(jstr_at(find_mount(s, "/dev/pts"), "type"), "devpts");
        is_str(jstr_at(find_mount(s, "/dev/mqueue"), "type"), "mqueue");
        is_str(jstr_at(find_mount(s, "/dev/shm"), "type"), "tmpfs");
        m = find_mount(s, "/sys");
        ok(arr_has(jget(m, "options"), "ro"));
        is_str(jstr_at(find_mount(s, "/etc/hosts"), "source"), "/run/den/ud/hosts");
        is_str(jstr_at(find_mount(s, "/etc/resolv.conf"), "source"), "/run/den/ud/resolv.conf");
        is_str(jstr_at(find_mount(s, "/etc/hostname"), "source"), "/run/den/ud/hostname");
        ok(has_ns(s, "pid") && has_ns(s, "network") && has_ns(s, "ipc") && has_ns(s, "uts") &&
           has_ns(s, "mount") && has_ns(s, "cgroup"));
        ok(!has_ns(s, "user"));
        is_str(jstr_at(s, "process.args[0]"), "sh");
        ok(arr_has(jget(s, "process.env"), "X=1"));
        ok(arr_has(jget(s, "process.env"), "HOSTNAME=0123456789ab"));
        ok(arr_has(jget(s, "process.env"), "HOME=/root"));
        is_str(jstr_at(s, "process.cwd"), "/srv");
        is_int(jint_at(s, "process.user.uid"), 0);
        is_int(jint_at(s, "process.user.umask"), 022);
        is_str(jstr_at(s, "hostname"), "0123456789ab");
        is_str(jstr_at(s, "root.path"), rootfs);
        ok(json_is_false(jget(s, "root.readonly")));
        ok(json_is_false(jget(s, "process.terminal")));
        ok(json_is_false(jget(s, "process.noNewPrivileges")));
        ok(json_is_object(jget(s, "linux.seccomp")));
        is_str(jstr_at(s, "process.rlimits[0].type"), "RLIMIT_NOFILE");
        is_str(jstr_at(s, "linux.sysctl.net.ipv4.ping_group_range"), NULL);
        ok(json_object_get(jget(s, "linux.sysctl"), "net.ipv4.ping_group_range") != NULL);
}

static void test_spec_users(void)
{
        json_auto_t *a = SPEC("-u", "alice", "--cap-add", "NET_ADMIN", "--group-add", "staff");

        is_int(jint_at(a, "process.user.uid"), 1000);
        is_int(jint_at(a, "process.user.gid"), 1000);
        is_int(jint_at(a, "process.user.additionalGids[0]"), 1000);
        is_int(jint_at(a, "process.user.additionalGids[1]"), 10);
        is_int(jint_at(a, "process.user.additionalGids[2]"), 50);
        ok(arr_has(jget(a, "process.env"), "HOME=/home/alice"));
        is_int(json_array_size(jget(a, "process.capabilities.effective")), 1);
        is_str(jstr_at(a, "process.capabilities.ambient[0]"), "CAP_NET_ADMIN");
        ok(arr_has(jget(a, "process.capabilities.bounding"), "CAP_NET_ADMIN"));

        json_auto_t *b = SPEC("-u", "1234:staff");
        is_int(jint_at(b, "process.user.uid"), 1234);
        is_int(jint_at(b, "process.user.gid"), 50);
        ok(arr_has(jget(b, "process.env"), "HOME=/"));

        json_auto_t *c = SPEC("-u", "alice:wheel");
        is_int(jint_at(c, "process.user.gid"), 10);

        expect_error(SPEC("-u", "mallory"), "unable to find user mallory", "-u mallory");
        expect_error(SPEC("-u", "alice:nogroup"), "unable to find group nogroup",
                     "-u alice:nogroup");
        expect_error(SPEC("--group-add", "nogroup"), "unable to find group nogroup", "--group-add");

        /* the evil rootfs's /etc/passwd is a symlink to a file outside it: never read */
        expect_error(spec_of(BUILD("-u", "mallory"), evil_rootfs), "unable to find user mallory",
                     "-u mallory in a rootfs whose passwd points outside");
        json_auto_t *e = spec_of(BUILD("-u", "0"), evil_rootfs);
        is_int(jint_at(e, "process.user.uid"), 0);
}

static void test_spec_userns(void)
{
        json_auto_t *k = SPEC("--userns", "keep-id");

        ok(has_ns(k, "user"));
        is_int(jint_at(k, "linux.uidMappings[0].containerID"), 0);
        is_int(jint_at(k, "linux.uidMappings[0].hostID"), 1);
        is_int(jint_at(k, "linux.uidMappings[0].size"), 1002);
        is_int(jint_at(k, "linux.uidMappings[1].containerID"), 1002);
        is_int(jint_at(k, "linux.uidMappings[1].hostID"), 0);
        is_int(jint_at(k, "linux.uidMappings[1].size"), 1);
        is_int(jint_at(k, "linux.uidMappings[2].containerID"), 1003);
        is_int(jint_at(k, "linux.uidMappings[2].hostID"), 1003);
        is_int(jint_at(k, "linux.uidMappings[2].size"), 64534);
        is_int(jint_at(k, "linux.gidMappings[1].containerID"), 1002);
        is_int(jint_at(k, "process.user.uid"), 1002);
        is_int(jint_at(k, "process.user.gid"), 1002);

        json_auto_t *k2 = SPEC("--userns", "keep-id:uid=200,gid=300");
        is_int(jint_at(k2, "linux.uidMappings[0].size"), 200);
        is_int(jint_at(k2, "linux.uidMappings[2].size"), 65336);
        is_int(jint_at(k2, "linux.gidMappings[1].containerID"), 300);
        is_int(jint_at(k2, "process.user.uid"), 200);

        json_auto_t *m = SPEC("--uidmap", "0:1:100");
        is_int(json_array_size(jget(m, "linux.uidMappings")), 1);
        is_int(jint_at(m, "linux.gidMappings[0].hostID"), 1);
        json_auto_t *n = SPEC("--userns", "nomap");
        is_int(jint_at(n, "linux.uidMappings[0].size"), 65536);
        expect_error(SPEC("--uidmap", "0:1:70000"), "outside den's user namespace", "--uidmap");
}

static void test_spec_options(void)
{
        json_auto_t *r = SPEC("--read-only");
        ok(json_is_true(jget(r, "root.readonly")));
        ok(find_mount(r, "/tmp") && find_mount(r, "/var/tmp") && find_mount(r, "/run"));
        json_auto_t *r2 = SPEC("--read-only", "--read-only-tmpfs=false");
        ok(!find_mount(r2, "/tmp") && !find_mount(r2, "/run"));

        json_auto_t *p = SPEC("--privileged");
        ok(arr_has(jget(p, "process.capabilities.bounding"), "CAP_SYS_ADMIN"));
        ok(json_array_size(jget(p, "process.capabilities.bounding")) > 30);
        is_int(json_array_size(jget(p, "linux.maskedPaths")), 0);
        is_int(json_array_size(jget(p, "linux.readonlyPaths")), 0);
        ok(arr_has(jget(find_mount(p, "/sys"), "options"), "rw"));
        ok(jget(p, "linux.seccomp") == NULL);

        json_auto_t *t = SPEC_CMD_INIT();
        is_str(jstr_at(t, "process.args[0]"), "/run/podman-init");
        is_str(jstr_at(t, "process.args[1]"), "--");
        is_str(jstr_at(t, "process.args[2]"), "echo");
        ok(json_is_true(jget(t, "process.terminal")));
        is_str(jstr_at(find_mount(t, "/run/podman-init"), "type"), "bind");

        json_auto_t *s =
                SPEC("--security-opt", "seccomp=unconfined", "--security-opt", "no-new-privileges",
                     "--security-opt", "mask=/etc/foo", "--security-opt", "unmask=/proc/kcore",
                     "--memory", "64m", "--cpus", "1.5", "--pids-limit", "100", "--ulimit",
                     "nofile=1024:2048", "--cap-drop", "CHOWN", "--hostname", "box", "-w", "/tmp");
        ok(jget(s, "linux.seccomp") == NULL);
        ok(json_is_true(jget(s, "process.noNewPrivileges")));
        ok(arr_has(jget(s, "linux.maskedPaths"), "/etc/foo"));
        ok(!arr_has(jget(s, "linux.maskedPaths"), "/proc/kcore"));
        is_int(jint_at(s, "linux.resources.memory.limit"), 64 << 20);
        is_int(jint_at(s, "linux.resources.cpu.quota"), 150000);
        is_int(jint_at(s, "linux.resources.cpu.period"), 100000);
        is_int(jint_at(s, "linux.resources.pids.limit"), 100);
        is_int(jint_at(s, "process.rlimits[0].soft"), 1024);
        is_int(jint_at(s, "process.rlimits[0].hard"), 2048);
        ok(!arr_has(jget(s, "process.capabilities.bounding"), "CAP_CHOWN"));
        is_str(jstr_at(s, "hostname"), "box");
        ok(arr_has(jget(s, "process.env"), "HOSTNAME=box"));
        is_str(jstr_at(s, "process.cwd"), "/tmp");

        json_auto_t *h = SPEC("--network", "host", "--pid", "host", "--uts", "host", "--no-hosts");
        ok(!has_ns(h, "network") && !has_ns(h, "pid") && !has_ns(h, "uts"));
        is_str(jstr_at(find_mount(h, "/proc"), "type"), "bind");
        is_str(jstr_at(find_mount(h, "/sys"), "type"), "bind");
        ok(jget(h, "hostname") == NULL);
        ok(find_mount(h, "/etc/hosts") == NULL);

        /* --network none: no name servers, so no resolv.conf over the image's */
        json_auto_t *nn = SPEC("--network", "none");
        ok(find_mount(nn, "/etc/resolv.conf") == NULL);
        is_str(jstr_at(find_mount(nn, "/etc/hosts"), "source"), "/run/den/ud/hosts");

        _cleanup_free_ char *v = xasprintf("%s:/data:ro", tmpdir);
        json_auto_t *b = SPEC("-v", v, "--tmpfs", "/dev/shm:size=1m");
        is_str(jstr_at(find_mount(b, "/data"), "source"), tmpdir);
        ok(arr_has(jget(find_mount(b, "/data"), "options"), "rbind"));
        ok(arr_has(jget(find_mount(b, "/dev/shm"), "options"), "size=1m"));
}

int main(void)
{
        const char *icfg =
                "{\"config\": {\"Env\": [\"PATH=/bin:/usr/bin\", \"FOO=img\"], "
                "\"Cmd\": [\"sh\"], \"WorkingDir\": \"/srv\", \"Labels\": {\"a\": \"b\"}, "
                "\"ExposedPorts\": {\"80/tcp\": {}}}}";

        if (!mkdtemp(tmpdir))
                return 1;
        image_config = json_loads(icfg, 0, NULL);
        test_config_defaults();
        test_config_env();
        test_config_command();
        test_config_mounts();
        test_config_values();
        test_config_errors();
        make_rootfs();
        test_spec_defaults();
        test_spec_users();
        test_spec_userns();
        test_spec_options();
        (void) den_rm_rf_at(AT_FDCWD, tmpdir);
        json_decref(image_config);
        free(last_error);
        return tap_done();
}
