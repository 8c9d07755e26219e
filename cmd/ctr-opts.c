/* The options of `run` and `create` and the container configuration they become. Everything
 * a user can get wrong is checked here, at create time, so that `start` only has to build the
 * spec. The defaults live in cmd_ctr_defaults (ctr-defaults in spec.c share them). */
#include "ctr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

const struct cmd_opt cmd_ctr_opts[] = {
        { "add-host", 0, CMD_OPT_STRINGS, "host:ip", "Add a custom host-to-IP mapping (host:ip)" },
        { "annotation", 0, CMD_OPT_STRINGS, "key=value",
          "Add annotations to container (key=value)" },
        { "cap-add", 0, CMD_OPT_STRINGS, "capability", "Add capabilities to the container" },
        { "cap-drop", 0, CMD_OPT_STRINGS, "capability", "Drop capabilities from the container" },
        { "cidfile", 0, CMD_OPT_STRING, "file", "Write the container ID to the file" },
        { "cpus", 0, CMD_OPT_STRING, "float",
          "Number of CPUs. The default is 0.000 which means no limit" },
        { "device", 0, CMD_OPT_STRINGS, "path", "Add a host device to the container" },
        { "dns", 0, CMD_OPT_STRINGS, "ip", "Set custom DNS servers" },
        { "dns-option", 0, CMD_OPT_STRINGS, "option", "Set custom DNS options" },
        { "dns-search", 0, CMD_OPT_STRINGS, "domain", "Set custom DNS search domains" },
        { "domainname", 0, CMD_OPT_STRING, "string", "Container NIS domain name" },
        { "entrypoint", 0, CMD_OPT_STRING, "command",
          "Overwrite the default ENTRYPOINT of the image" },
        { "env", 'e', CMD_OPT_STRINGS, "stringArray", "Set environment variables in container" },
        { "env-file", 0, CMD_OPT_STRINGS, "file", "Read in a file of environment variables" },
        { "env-host", 0, CMD_OPT_BOOL, NULL,
          "Use all current host environment variables in container" },
        { "gidmap", 0, CMD_OPT_STRINGS, "CONTAINER:HOST:SIZE",
          "GID map to use for the user namespace" },
        { "group-add", 0, CMD_OPT_STRINGS, "group",
          "Add additional groups to the primary container process" },
        { "hostname", 'h', CMD_OPT_STRING, "string", "Set container hostname" },
        { "init", 0, CMD_OPT_BOOL, NULL,
          "Run an init binary inside the container that forwards signals and reaps processes" },
        { "init-path", 0, CMD_OPT_STRING, "path", "Path to the container-init binary" },
        { "interactive", 'i', CMD_OPT_BOOL, NULL, "Keep STDIN open even if not attached" },
        { "ipc", 0, CMD_OPT_STRING, "string", "IPC namespace to use" },
        { "label", 'l', CMD_OPT_STRINGS, "key=value", "Set metadata on container" },
        { "label-file", 0, CMD_OPT_STRINGS, "file", "Read in a line delimited file of labels" },
        { "log-driver", 0, CMD_OPT_STRING, "driver", "Logging driver for the container",
          "k8s-file" },
        { "log-opt", 0, CMD_OPT_STRINGS, "option", "Logging driver options" },
        { "memory", 'm', CMD_OPT_STRING, "number",
          "Memory limit (format: <number>[<unit>], where unit = b, k, m or g)" },
        { "mount", 0, CMD_OPT_STRINGS, "type=TYPE,TYPE-SPECIFIC-OPTION[,...]",
          "Attach a filesystem mount to the container" },
        { "name", 0, CMD_OPT_STRING, "name", "Assign a name to the container" },
        { "net", 0, CMD_OPT_STRING, "mode",
          "Connect a container to a network (alias of --network)" },
        { "network", 0, CMD_OPT_STRING, "mode", "Connect a container to a network" },
        { "no-hosts", 0, CMD_OPT_BOOL, NULL,
          "Do not create /etc/hosts within the container, instead use the version from the image" },
        { "pid", 0, CMD_OPT_STRING, "string", "PID namespace to use" },
        { "pidfile", 0, CMD_OPT_STRING, "path", "Write the container process ID to the file" },
        { "pids-limit", 0, CMD_OPT_STRING, "int",
          "Tune container pids limit (set -1 for unlimited)" },
        { "privileged", 0, CMD_OPT_BOOL, NULL, "Give extended privileges to container" },
        { "publish", 'p', CMD_OPT_STRINGS, "ip:hostPort:containerPort",
          "Publish a container's port, or a range of ports, to the host" },
        { "publish-all", 'P', CMD_OPT_BOOL, NULL,
          "Publish all exposed ports to random ports on the host interface" },
        { "pull", 0, CMD_OPT_STRING, "policy", "Pull image policy (always, missing, never, newer)",
          "missing" },
        { "read-only", 0, CMD_OPT_BOOL, NULL, "Make containers root filesystem read-only" },
        { "read-only-tmpfs", 0, CMD_OPT_BOOL, NULL,
          "When running --read-only containers mount read-write tmpfs on /dev, /dev/shm, /run, "
          "/tmp and /var/tmp (default true)" },
        { "replace", 0, CMD_OPT_BOOL, NULL,
          "If a container with the same name exists, replace it" },
        { "rm", 0, CMD_OPT_BOOL, NULL, "Remove container (and pod if created) after exit" },
        { "runtime", 0, CMD_OPT_STRING, "string",
          "Path to the OCI runtime (runc, crun) or den's own when unset" },
        { "security-opt", 0, CMD_OPT_STRINGS, "security-option", "Security Options" },
        { "shm-size", 0, CMD_OPT_STRING, "size",
          "Size of /dev/shm (format: <number>[<unit>], where unit = b, k, m or g)", "65536k" },
        { "stop-signal", 0, CMD_OPT_STRING, "signal",
          "Signal to stop a container. Default is SIGTERM" },
        { "stop-timeout", 0, CMD_OPT_STRING, "uint",
          "Timeout (in seconds) that containers stopped by user command have to exit. If exceeded, "
          "the container will be forcibly stopped via SIGKILL",
          "10" },
        { "sysctl", 0, CMD_OPT_STRINGS, "name=value", "Sysctl options" },
        { "tmpfs", 0, CMD_OPT_STRINGS, "tmpfs",
          "Mount a temporary filesystem (tmpfs) into a container" },
        { "tty", 't', CMD_OPT_BOOL, NULL, "Allocate a pseudo-TTY for container" },
        { "uidmap", 0, CMD_OPT_STRINGS, "CONTAINER:HOST:SIZE",
          "UID map to use for the user namespace" },
        { "ulimit", 0, CMD_OPT_STRINGS, "ulimit", "Ulimit options" },
        { "umask", 0, CMD_OPT_STRING, "umask", "Set umask in container", "0022" },
        { "user", 'u', CMD_OPT_STRING, "user",
          "Username or UID (format: <name|uid>[:<group|gid>])" },
        { "userns", 0, CMD_OPT_STRING, "mode",
          "User namespace to use (\"\", host, keep-id[:uid=N,gid=N], nomap)" },
        { "uts", 0, CMD_OPT_STRING, "string", "UTS namespace to use" },
        { "volume", 'v', CMD_OPT_STRINGS, "SRC:DST[:OPTS]",
          "Bind mount a volume into the container" },
        { "workdir", 'w', CMD_OPT_STRING, "dir", "Working directory inside the container" },
        { 0 },
};

/* podman's defaults for rootless containers; spec.c and `den info` read them from here. */
const struct cmd_ctr_defaults cmd_ctr_defaults = {
        .path_env = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        .term_env = "TERM=xterm",
        .container_env = "container=den",
        .stop_signal = "SIGTERM",
        .stop_timeout = 10,
        .shm_size = 65536000, /* podman's "65536k", read with decimal units */
        .umask = 0022,
        .rlimit_default = 1048576, /* NOFILE and NPROC, clamped to den's own hard limits */
        .init_paths = { "/usr/libexec/podman/catatonit", "/usr/bin/catatonit",
                        "/usr/libexec/catatonit/catatonit", NULL },
        .init_dest = "/run/podman-init",
        .caps = { "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
                  "CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID",
                  "CAP_SYS_CHROOT", NULL },
        .masked_paths = { "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                          "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
                          "/proc/scsi", "/sys/firmware", "/sys/fs/selinux", "/sys/dev/block",
                          NULL },
        .readonly_paths = { "/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                            "/proc/sysrq-trigger", NULL },
};

static const char *const rlimit_names[] = {
        [RLIMIT_CPU] = "cpu",           [RLIMIT_FSIZE] = "fsize",
        [RLIMIT_DATA] = "data",         [RLIMIT_STACK] = "stack",
        [RLIMIT_CORE] = "core",         [RLIMIT_RSS] = "rss",
        [RLIMIT_NPROC] = "nproc",       [RLIMIT_NOFILE] = "nofile",
        [RLIMIT_MEMLOCK] = "memlock",   [RLIMIT_AS] = "as",
        [RLIMIT_LOCKS] = "locks",       [RLIMIT_SIGPENDING] = "sigpending",
        [RLIMIT_MSGQUEUE] = "msgqueue", [RLIMIT_NICE] = "nice",
        [RLIMIT_RTPRIO] = "rtprio",     [RLIMIT_RTTIME] = "rttime",
};

#define MAX_ENV_FILE (1u << 20)

static json_t *json_string_or_null(const char *s)
{
        return s ? json_string(s) : json_null();
}

static int bad_value(den_error **err, const char *opt, const char *val, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static int bad_value(den_error **err, const char *opt, const char *val, const char *fmt, ...)
{
        _cleanup_free_ char *why = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&why, fmt, ap) < 0)
                why = NULL;
        va_end(ap);
        return den_error_set(err, 0, "invalid value \"%s\" for --%s: %s", val, opt, why ? why : "");
}

/* ---------------------------------------------------------------- small parsers */

int cmd_ctr_rlimit_parse(const char *name, int *ret)
{
        const char *n = den_str_has_prefix(name, "RLIMIT_") ? name + 7 : name;

        for (size_t i = 0; i < ARRAY_SIZE(rlimit_names); i++)
                if (rlimit_names[i] && strcasecmp(rlimit_names[i], n) == 0) {
                        *ret = (int) i;
                        return 0;
                }
        return -EINVAL;
}

const char *cmd_ctr_rlimit_name(int r)
{
        return r >= 0 && (size_t) r < ARRAY_SIZE(rlimit_names) ? rlimit_names[r] : NULL;
}

char *cmd_ctr_cap_normalize(const char *name)
{
        _cleanup_free_ char *up =
                xasprintf("%s%s", strncasecmp(name, "CAP_", 4) == 0 ? "" : "CAP_", name);

        for (char *p = up; *p; p++)
                *p = (char) toupper((unsigned char) *p);
        for (size_t i = 0; rt_cap_names[i]; i++)
                if (streq(rt_cap_names[i], up))
                        return steal_ptr(up);
        return NULL;
}

char *cmd_ctr_signal_normalize(const char *s)
{
        const char *n = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
        int num;

        if (den_parse_int(s, 1, SIGRTMAX, &num) == 0) {
                const char *abbrev = num < SIGRTMIN ? sigabbrev_np(num) : NULL;

                if (abbrev)
                        return xasprintf("SIG%s", abbrev);
                return num >= SIGRTMIN ? xasprintf("SIGRTMIN+%d", num - SIGRTMIN) : NULL;
        }
        for (int i = 1; i < SIGRTMIN; i++) {
                const char *abbrev = sigabbrev_np(i);

                if (abbrev && strcasecmp(abbrev, n) == 0)
                        return xasprintf("SIG%s", abbrev);
        }
        if (strncasecmp(n, "RTMIN+", 6) == 0 &&
            den_parse_int(n + 6, 0, SIGRTMAX - SIGRTMIN, &num) == 0)
                return xasprintf("SIGRTMIN+%d", num);
        return NULL;
}

static bool env_name_is_valid(const char *s, size_t n)
{
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (s[i] == ' ' || s[i] == '\t' || s[i] == '\0')
                        return false;
        return true;
}

/* Env files: NAME=value lines; "NAME" alone takes the host's value; blank lines and lines
 * starting with '#' are skipped; the value is kept verbatim (no quote processing, as podman). */
int cmd_env_file_parse(const char *text, size_t len, const char *name, char ***ret, den_error **err)
{
        _cleanup_strv_ char **out = NULL;
        size_t lineno = 0;

        if (len > MAX_ENV_FILE)
                return den_error_set(err, EFBIG, "parse env file \"%s\": larger than 1 MiB", name);
        for (size_t i = 0; i < len;) {
                const char *nl = memchr(text + i, '\n', len - i);
                size_t end = nl ? (size_t) (nl - text) : len;
                _cleanup_free_ char *line = xstrndup(text + i, end - i);
                char *p = line, *eq;

                lineno++;
                if (memchr(text + i, '\0', end - i))
                        return den_error_set(err, 0, "parse env file \"%s\": line %zu: NUL byte",
                                             name, lineno);
                i = end + 1;
                while (*p == ' ' || *p == '\t')
                        p++;
                if (*p && p[strlen(p) - 1] == '\r')
                        p[strlen(p) - 1] = '\0';
                if (*p == '\0' || *p == '#')
                        continue;
                eq = strchr(p, '=');
                if (!env_name_is_valid(p, eq ? (size_t) (eq - p) : strlen(p)))
                        return den_error_set(err, 0,
                                             "parse env file \"%s\": line %zu: invalid "
                                             "variable name",
                                             name, lineno);
                if (eq) {
                        den_strv_push(&out, p);
                } else {
                        const char *v = getenv(p);

                        if (v) {
                                _cleanup_free_ char *kv = xasprintf("%s=%s", p, v);

                                den_strv_push(&out, kv);
                        }
                }
        }
        if (!out)
                out = xcalloc(1, sizeof(char *));
        *ret = steal_ptr(out);
        return 0;
}

/* ---------------------------------------------------------------- environment */

void cmd_env_set(json_t *env, const char *kv)
{
        const char *eq = strchr(kv, '=');
        size_t n = eq ? (size_t) (eq - kv) : strlen(kv);
        size_t i;
        json_t *v;

        json_array_foreach (env, i, v) {
                const char *s = json_string_value(v);

                if (s && strncmp(s, kv, n) == 0 && (s[n] == '=' || s[n] == '\0')) {
                        json_array_set_new(env, i, json_string(kv));
                        return;
                }
        }
        json_array_append_new(env, json_string(kv));
}

static bool env_has(json_t *env, const char *name)
{
        size_t n = strlen(name), i;
        json_t *v;

        json_array_foreach (env, i, v) {
                const char *s = json_string_value(v);

                if (s && strncmp(s, name, n) == 0 && s[n] == '=')
                        return true;
        }
        return false;
}

/* One -e value: NAME=V; NAME takes the host's value (skipped when unset); NAME* every host
 * variable starting with NAME. */
int cmd_env_add_arg(json_t *env, const char *arg, den_error **err)
{
        const char *eq = strchr(arg, '=');
        size_t n = eq ? (size_t) (eq - arg) : strlen(arg);

        if (!env_name_is_valid(arg, n))
                return den_error_set(err, 0, "invalid environment variable: \"%s\"", arg);
        if (eq) {
                cmd_env_set(env, arg);
        } else if (arg[n - 1] == '*') {
                for (char **e = environ; e && *e; e++)
                        if (strncmp(*e, arg, n - 1) == 0)
                                cmd_env_set(env, *e);
        } else if (getenv(arg)) {
                _cleanup_free_ char *kv = xasprintf("%s=%s", arg, getenv(arg));

                cmd_env_set(env, kv);
        }
        return 0;
}

int cmd_env_file_add(json_t *env, const char *path, den_error **err)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_strv_ char **vars = NULL;
        size_t len = 0;
        int r = den_read_file_at(AT_FDCWD, path, MAX_ENV_FILE, &text, &len);

        if (r < 0)
                return den_error_set(err, -r, "parsing env file \"%s\"", path);
        if (cmd_env_file_parse(text, len, path, &vars, err) < 0)
                return -1;
        for (char **v = vars; *v; v++)
                cmd_env_set(env, *v);
        return 0;
}

static int build_env(const struct cmd_args *a, json_t *image_cfg, json_t **ret, den_error **err)
{
        json_auto_t *env = json_array();
        json_t *ienv = json_object_get(image_cfg, "Env");
        size_t i;
        json_t *v;

        json_array_foreach (ienv, i, v)
                if (json_is_string(v))
                        cmd_env_set(env, json_string_value(v));
        if (!env_has(env, "PATH"))
                cmd_env_set(env, cmd_ctr_defaults.path_env);
        if (!env_has(env, "TERM"))
                cmd_env_set(env, cmd_ctr_defaults.term_env);
        if (!env_has(env, "container"))
                cmd_env_set(env, cmd_ctr_defaults.container_env);
        if (cmd_flag(a, "env-host"))
                for (char **e = environ; e && *e; e++)
                        cmd_env_set(env, *e);
        for (char **f = cmd_strv(a, "env-file"); f && *f; f++)
                if (cmd_env_file_add(env, *f, err) < 0)
                        return -1;
        for (char **e = cmd_strv(a, "env"); e && *e; e++)
                if (cmd_env_add_arg(env, *e, err) < 0)
                        return -1;
        *ret = steal_ptr(env);
        return 0;
}

/* ---------------------------------------------------------------- mounts */

struct mounts {
        json_t *oci;   /* Den.mounts: OCI mount objects */
        json_t *binds; /* HostConfig.Binds */
        json_t *tmpfs; /* HostConfig.Tmpfs */
        json_t *chown; /* Den.chown: destinations to chown (U) */
};

static int check_dest(const char *opt, const char *val, const char *dst, struct mounts *m,
                      den_error **err)
{
        size_t i;
        json_t *o;

        if (dst[0] != '/')
                return bad_value(err, opt, val,
                                 "invalid container path \"%s\", must be an "
                                 "absolute path",
                                 dst);
        json_array_foreach (m->oci, i, o)
                if (streq(json_string_value(json_object_get(o, "destination")), dst))
                        return bad_value(err, opt, val, "duplicate mount destination \"%s\"", dst);
        return 0;
}

static int check_source(const char *opt, const char *val, const char *src, den_error **err)
{
        struct stat st;

        if (src[0] != '/')
                return bad_value(err, opt, val,
                                 "named volumes are not supported by den; the "
                                 "source must be an absolute host path");
        if (stat(src, &st) < 0)
                return den_error_set(err, errno, "invalid value \"%s\" for --%s: statfs %s", val,
                                     opt, src);
        return 0;
}

static bool is_propagation(const char *o)
{
        static const char *const p[] = { "private", "rprivate", "shared", "rshared",
                                         "slave",   "rslave",   NULL };

        for (size_t i = 0; p[i]; i++)
                if (streq(o, p[i]))
                        return true;
        return false;
}

static void add_bind(struct mounts *m, const char *src, const char *dst, bool is_ro,
                     const char *prop, bool is_rbind, char **extra, bool is_chown)
{
        json_t *opts = json_array();
        struct den_buf b = { 0 };
        size_t i;
        json_t *v;

        json_array_append_new(opts, json_string(is_ro ? "ro" : "rw"));
        json_array_append_new(opts, json_string(prop ? prop : "rprivate"));
        for (char **e = extra; e && *e; e++)
                json_array_append_new(opts, json_string(*e));
        json_array_append_new(opts, json_string(is_rbind ? "rbind" : "bind"));
        json_array_append_new(m->oci, json_pack("{s:s, s:s, s:s, s:o}", "destination", dst, "type",
                                                "bind", "source", src, "options", opts));
        den_buf_printf(&b, "%s:%s:", src, dst);
        json_array_foreach (opts, i, v)
                den_buf_printf(&b, "%s%s", i ? "," : "", json_string_value(v));
        json_array_append_new(m->binds, json_string(b.data));
        den_buf_free(&b);
        if (is_chown)
                json_array_append_new(m->chown, json_string(dst));
}

/* -v SRC:DST[:OPTS] */
static int add_volume(struct mounts *m, const char *val, den_error **err)
{
        _cleanup_free_ char *copy = xstrdup(val);
        _cleanup_strv_ char **extra = NULL;
        char *src = copy, *dst, *opts, *save = NULL;
        bool is_ro = false, is_rbind = true, is_chown = false;
        const char *prop = NULL;

        dst = strchr(src, ':');
        if (!dst)
                return bad_value(err, "volume", val,
                                 "anonymous volumes are not supported by den; "
                                 "use SRC:DST with an absolute host path");
        *dst++ = '\0';
        opts = strchr(dst, ':');
        if (opts)
                *opts++ = '\0';
        if (check_source("volume", val, src, err) < 0 || check_dest("volume", val, dst, m, err) < 0)
                return -1;
        for (char *o = opts ? strtok_r(opts, ",", &save) : NULL; o;
             o = strtok_r(NULL, ",", &save)) {
                if (streq(o, "ro") || streq(o, "rw"))
                        is_ro = streq(o, "ro");
                else if (streq(o, "z") || streq(o, "Z"))
                        ; /* SELinux relabeling: nothing to do without SELinux */
                else if (streq(o, "U"))
                        is_chown = true;
                else if (streq(o, "O"))
                        return bad_value(err, "volume", val,
                                         "overlay volumes (O) are not supported");
                else if (streq(o, "bind") || streq(o, "rbind"))
                        is_rbind = streq(o, "rbind");
                else if (is_propagation(o))
                        prop = o;
                else if (streq(o, "nosuid") || streq(o, "suid") || streq(o, "nodev") ||
                         streq(o, "dev") || streq(o, "noexec") || streq(o, "exec"))
                        den_strv_push(&extra, o);
                else
                        return bad_value(err, "volume", val, "invalid option type \"%s\"", o);
        }
        add_bind(m, src, dst, is_ro, prop, is_rbind, extra, is_chown);
        return 0;
}

static void add_tmpfs(struct mounts *m, const char *dst, char **user_opts)
{
        static const char *const def[] = { "rw", "rprivate", "nosuid", "nodev", "tmpcopyup" };
        json_t *opts = json_array();
        struct den_buf b = { 0 };
        size_t i;
        json_t *v;

        for (char **o = user_opts; o && *o; o++)
                json_array_append_new(opts, json_string(*o));
        for (i = 0; i < ARRAY_SIZE(def); i++) {
                bool is_given = false;

                for (char **o = user_opts; o && *o; o++)
                        if (streq(*o, def[i]) || (streq(def[i], "rw") && streq(*o, "ro")) ||
                            (streq(def[i], "tmpcopyup") && streq(*o, "notmpcopyup")) ||
                            (streq(def[i], "nosuid") && streq(*o, "suid")) ||
                            (streq(def[i], "nodev") && streq(*o, "dev")))
                                is_given = true;
                if (!is_given)
                        json_array_append_new(opts, json_string(def[i]));
        }
        /* notmpcopyup is podman's spelling of "leave it out"; the runtime never sees it */
        for (i = json_array_size(opts); i-- > 0;)
                if (streq(json_string_value(json_array_get(opts, i)), "notmpcopyup"))
                        json_array_remove(opts, i);
        json_array_foreach (opts, i, v)
                den_buf_printf(&b, "%s%s", i ? "," : "", json_string_value(v));
        json_object_set_new(m->tmpfs, dst, json_string(b.data ? b.data : ""));
        den_buf_free(&b);
        json_array_append_new(m->oci, json_pack("{s:s, s:s, s:s, s:o}", "destination", dst, "type",
                                                "tmpfs", "source", "tmpfs", "options", opts));
}

static int check_tmpfs_opt(const char *opt, const char *val, const char *o, den_error **err)
{
        static const char *const ok[] = { "ro",        "rw",          "nosuid",     "suid",
                                          "nodev",     "dev",         "noexec",     "exec",
                                          "tmpcopyup", "notmpcopyup", "noatime",    "atime",
                                          "relatime",  "strictatime", "nodiratime", "private",
                                          "rprivate",  "shared",      "rshared",    "slave",
                                          "rslave",    NULL };
        uint64_t n;

        for (size_t i = 0; ok[i]; i++)
                if (streq(o, ok[i]))
                        return 0;
        if (den_str_has_prefix(o, "size=") && den_parse_size(o + 5, &n) == 0)
                return 0;
        if ((den_str_has_prefix(o, "mode=") || den_str_has_prefix(o, "uid=") ||
             den_str_has_prefix(o, "gid=") || den_str_has_prefix(o, "nr_inodes=")) &&
            den_parse_u64(strchr(o, '=') + 1, &n) == 0)
                return 0;
        return bad_value(err, opt, val, "invalid tmpfs option \"%s\"", o);
}

/* --tmpfs DST[:OPTS] */
static int add_tmpfs_arg(struct mounts *m, const char *val, den_error **err)
{
        _cleanup_free_ char *copy = xstrdup(val);
        _cleanup_strv_ char **opts = NULL;
        char *colon = strchr(copy, ':'), *save = NULL;

        if (colon)
                *colon++ = '\0';
        if (check_dest("tmpfs", val, copy, m, err) < 0)
                return -1;
        for (char *o = colon ? strtok_r(colon, ",", &save) : NULL; o;
             o = strtok_r(NULL, ",", &save)) {
                if (check_tmpfs_opt("tmpfs", val, o, err) < 0)
                        return -1;
                den_strv_push(&opts, o);
        }
        add_tmpfs(m, copy, opts);
        return 0;
}

struct mount_arg {
        const char *type, *src, *dst, *prop;
        bool is_ro, is_chown, is_rbind;
        char **tmpfs_opts;
};

static int mount_kv(struct mount_arg *ma, char *kv, const char *val, den_error **err)
{
        char *eq = strchr(kv, '=');
        const char *v = eq ? eq + 1 : "true";

        if (eq)
                *eq = '\0';
        if (streq(kv, "type"))
                ma->type = v;
        else if (streq(kv, "src") || streq(kv, "source"))
                ma->src = v;
        else if (streq(kv, "dst") || streq(kv, "destination") || streq(kv, "target"))
                ma->dst = v;
        else if (streq(kv, "ro") || streq(kv, "readonly"))
                ma->is_ro = !streq(v, "false") && !streq(v, "0");
        else if (streq(kv, "rw"))
                ma->is_ro = streq(v, "false") || streq(v, "0");
        else if (streq(kv, "bind-propagation") && is_propagation(v))
                ma->prop = v;
        else if (streq(kv, "bind-nonrecursive"))
                ma->is_rbind = streq(v, "false");
        else if (streq(kv, "U") || streq(kv, "chown"))
                ma->is_chown = !streq(v, "false");
        else if (streq(kv, "relabel") || streq(kv, "z") || streq(kv, "Z"))
                ; /* no SELinux */
        else if (streq(kv, "tmpfs-size") || streq(kv, "tmpfs-mode")) {
                _cleanup_free_ char *o =
                        xasprintf("%s=%s", streq(kv, "tmpfs-size") ? "size" : "mode", v);

                if (check_tmpfs_opt("mount", val, o, err) < 0)
                        return -1;
                den_strv_push(&ma->tmpfs_opts, o);
        } else if (streq(kv, "notmpcopyup") || streq(kv, "tmpcopyup"))
                den_strv_push(&ma->tmpfs_opts, kv);
        else
                return bad_value(err, "mount", val, "unknown mount option \"%s\"", kv);
        return 0;
}

/* --mount type=bind|tmpfs,... */
static int add_mount_arg(struct mounts *m, const char *val, den_error **err)
{
        _cleanup_free_ char *copy = xstrdup(val);
        struct mount_arg ma = { .is_rbind = true };
        char *save = NULL;
        int r = -1;

        for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save))
                if (mount_kv(&ma, kv, val, err) < 0)
                        goto out;
        if (!ma.type) {
                bad_value(err, "mount", val, "type must be set (bind or tmpfs)");
        } else if (!ma.dst) {
                bad_value(err, "mount", val, "must set the target path");
        } else if (streq(ma.type, "bind")) {
                if (!ma.src)
                        bad_value(err, "mount", val, "must set the source path");
                else if (check_source("mount", val, ma.src, err) == 0 &&
                         check_dest("mount", val, ma.dst, m, err) == 0) {
                        add_bind(m, ma.src, ma.dst, ma.is_ro, ma.prop, ma.is_rbind, NULL,
                                 ma.is_chown);
                        r = 0;
                }
        } else if (streq(ma.type, "tmpfs")) {
                if (ma.is_ro)
                        den_strv_push(&ma.tmpfs_opts, "ro");
                if (check_dest("mount", val, ma.dst, m, err) == 0) {
                        add_tmpfs(m, ma.dst, ma.tmpfs_opts);
                        r = 0;
                }
        } else {
                bad_value(err, "mount", val,
                          "mount type \"%s\" is not supported by den (bind, "
                          "tmpfs)",
                          ma.type);
        }
out:
        den_strv_free(ma.tmpfs_opts);
        return r;
}

/* --device /dev/X[:/dev/Y[:perms]]: a bind mount of the host's node, as podman does rootless. */
static int add_device(json_t *devices, const char *val, den_error **err)
{
        _cleanup_free_ char *copy = xstrdup(val);
        char *host = copy, *ctr = strchr(copy, ':'), *perms = NULL;
        struct stat st;

        if (ctr) {
                *ctr++ = '\0';
                perms = strchr(ctr, ':');
                if (perms)
                        *perms++ = '\0';
                if (!perms && strspn(ctr, "rwm") == strlen(ctr) && *ctr) {
                        perms = ctr;
                        ctr = NULL;
                }
        }
        if (host[0] != '/')
                return bad_value(err, "device", val, "the host path must be absolute");
        if (ctr && ctr[0] != '/')
                return bad_value(err, "device", val, "the container path must be absolute");
        if (perms && (!*perms || strspn(perms, "rwm") != strlen(perms)))
                return bad_value(err, "device", val, "invalid permissions \"%s\"", perms);
        if (stat(host, &st) < 0)
                return den_error_set(err, errno, "invalid value \"%s\" for --device: stat %s", val,
                                     host);
        if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
                return bad_value(err, "device", val, "%s is not a device node", host);
        json_array_append_new(devices, json_pack("{s:s, s:s, s:s}", "PathOnHost", host,
                                                 "PathInContainer", ctr ? ctr : host,
                                                 "CgroupPermissions", perms ? perms : "rwm"));
        return 0;
}

static int build_mounts(const struct cmd_args *a, json_t *den, json_t *hc, den_error **err)
{
        struct mounts m = { .oci = json_array(),
                            .binds = json_array(),
                            .tmpfs = json_object(),
                            .chown = json_array() };
        json_t *devices = json_array();
        int r = 0;

        json_object_set_new(den, "mounts", m.oci);
        json_object_set_new(den, "chown", m.chown);
        json_object_set_new(hc, "Binds", m.binds);
        json_object_set_new(hc, "Tmpfs", m.tmpfs);
        json_object_set_new(hc, "Devices", devices);
        for (char **v = cmd_strv(a, "volume"); r == 0 && v && *v; v++)
                r = add_volume(&m, *v, err);
        for (char **v = cmd_strv(a, "mount"); r == 0 && v && *v; v++)
                r = add_mount_arg(&m, *v, err);
        for (char **v = cmd_strv(a, "tmpfs"); r == 0 && v && *v; v++)
                r = add_tmpfs_arg(&m, *v, err);
        for (char **v = cmd_strv(a, "device"); r == 0 && v && *v; v++)
                r = add_device(devices, *v, err);
        return r;
}

/* ---------------------------------------------------------------- security */

static int cap_list(const struct cmd_args *a, const char *opt, json_t **ret, bool *ret_all,
                    den_error **err)
{
        json_auto_t *out = json_array();

        *ret_all = false;
        for (char **v = cmd_strv(a, opt); v && *v; v++) {
                _cleanup_free_ char *c = NULL;

                if (strcasecmp(*v, "all") == 0) {
                        *ret_all = true;
                        continue;
                }
                c = cmd_ctr_cap_normalize(*v);
                if (!c)
                        return bad_value(err, opt, *v, "unknown capability");
                json_array_append_new(out, json_string(c));
        }
        *ret = steal_ptr(out);
        return 0;
}

static int build_caps(const struct cmd_args *a, json_t *hc, den_error **err)
{
        json_t *add = NULL, *drop = NULL;
        bool is_add_all, is_drop_all;

        if (cap_list(a, "cap-add", &add, &is_add_all, err) < 0)
                return -1;
        json_object_set_new(hc, "CapAdd", add);
        if (cap_list(a, "cap-drop", &drop, &is_drop_all, err) < 0)
                return -1;
        json_object_set_new(hc, "CapDrop", drop);
        if (is_add_all)
                json_array_insert_new(add, 0, json_string("ALL"));
        if (is_drop_all)
                json_array_insert_new(drop, 0, json_string("ALL"));
        return 0;
}

static int parse_paths(const char *opt, const char *val, const char *list, json_t *out,
                       den_error **err)
{
        _cleanup_free_ char *copy = xstrdup(list);
        char *save = NULL;

        for (char *p = strtok_r(copy, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
                if (p[0] != '/' && !streq(p, "ALL"))
                        return bad_value(err, opt, val, "\"%s\" is not an absolute path", p);
                json_array_append_new(out, json_string(p));
        }
        return 0;
}

static int security_opt(json_t *den, const char *o, den_error **err)
{
        const char *v = strchr(o, '=')   ? strchr(o, '=') + 1
                        : strchr(o, ':') ? strchr(o, ':') + 1
                                         : NULL;

        if (streq(o, "no-new-privileges")) {
                json_object_set_new(den, "no_new_privs", json_true());
        } else if (den_str_has_prefix(o, "no-new-privileges") && v &&
                   (streq(v, "true") || streq(v, "false"))) {
                json_object_set_new(den, "no_new_privs", json_boolean(streq(v, "true")));
        } else if (den_str_has_prefix(o, "seccomp=") && *v) {
                if (!streq(v, "unconfined")) {
                        struct rt_seccomp *p = NULL;

                        if (rt_seccomp_parse_file(v, &p, err) < 0)
                                return den_error_wrap(err,
                                                      "invalid value \"%s\" for "
                                                      "--security-opt",
                                                      o);
                        rt_seccomp_free(p);
                }
                json_object_set_new(den, "seccomp", json_string(v));
        } else if (den_str_has_prefix(o, "label=")) {
                /* no SELinux: label=disable and friends are accepted and change nothing */
        } else if (den_str_has_prefix(o, "mask=")) {
                return parse_paths("security-opt", o, v, json_object_get(den, "mask"), err);
        } else if (den_str_has_prefix(o, "unmask=")) {
                return parse_paths("security-opt", o, v, json_object_get(den, "unmask"), err);
        } else {
                return den_error_set(err, 0, "invalid --security-opt: \"%s\"", o);
        }
        return 0;
}

/* CONTAINER:HOST:SIZE, HOST being an id of den's user namespace. */
static int parse_idmaps(const char *opt, char **vals, json_t **ret, den_error **err)
{
        json_auto_t *out = json_array();

        for (char **v = vals; v && *v; v++) {
                unsigned long long c, h, n;
                int used = 0;

                if (sscanf(*v, "%llu:%llu:%llu%n", &c, &h, &n, &used) != 3 ||
                    (size_t) used != strlen(*v) || strspn(*v, "0123456789:") != strlen(*v))
                        return bad_value(err, opt, *v, "expected CONTAINER:HOST:SIZE");
                if (n == 0 || c + n > UINT32_MAX || h + n > UINT32_MAX)
                        return bad_value(err, opt, *v, "range out of bounds");
                json_array_append_new(out,
                                      json_pack("{s:I, s:I, s:I}", "container_id", (json_int_t) c,
                                                "host_id", (json_int_t) h, "size", (json_int_t) n));
        }
        *ret = steal_ptr(out);
        return 0;
}

static int keep_id_opts(const char *mode, json_t *u, den_error **err)
{
        _cleanup_free_ char *copy = xstrdup(mode + strlen("keep-id:"));
        char *save = NULL;

        for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
                uint64_t id;
                bool is_uid = den_str_has_prefix(kv, "uid="),
                     is_gid = den_str_has_prefix(kv, "gid=");

                if ((!is_uid && !is_gid) || den_parse_u64(kv + 4, &id) < 0 || id >= UINT32_MAX)
                        return bad_value(err, "userns", mode, "unknown keep-id option \"%s\"", kv);
                json_object_set_new(u, is_uid ? "uid" : "gid", json_integer((json_int_t) id));
        }
        return 0;
}

static int build_userns(const struct cmd_args *a, json_t *den, json_t *hc, den_error **err)
{
        const char *mode = cmd_str(a, "userns");
        json_t *u = json_object(), *uidmap = NULL, *gidmap = NULL;

        json_object_set_new(den, "userns", u);
        json_object_set_new(hc, "UsernsMode", json_string(mode ? mode : ""));
        if (parse_idmaps("uidmap", cmd_strv(a, "uidmap"), &uidmap, err) < 0)
                return -1;
        json_object_set_new(u, "uidmap", uidmap);
        if (parse_idmaps("gidmap", cmd_strv(a, "gidmap"), &gidmap, err) < 0)
                return -1;
        json_object_set_new(u, "gidmap", gidmap);
        if (json_array_size(uidmap) + json_array_size(gidmap) > 0) {
                if (mode && *mode)
                        return den_error_set(err, 0,
                                             "--userns and --uidmap/--gidmap cannot be "
                                             "used together");
                /* podman: a map given for one kind only is used for both */
                if (json_array_size(gidmap) == 0)
                        json_object_set(u, "gidmap", uidmap);
                if (json_array_size(uidmap) == 0)
                        json_object_set(u, "uidmap", gidmap);
                json_object_set_new(u, "mode", json_string("map"));
                return 0;
        }
        if (!mode || !*mode || streq(mode, "host"))
                json_object_set_new(u, "mode", json_string(""));
        else if (streq(mode, "keep-id") || den_str_has_prefix(mode, "keep-id:")) {
                json_object_set_new(u, "mode", json_string("keep-id"));
                if (mode[7] == ':' && keep_id_opts(mode, u, err) < 0)
                        return -1;
        } else if (streq(mode, "nomap"))
                json_object_set_new(u, "mode", json_string("nomap"));
        else
                return bad_value(err, "userns", mode,
                                 "unrecognized namespace mode (\"\", host, "
                                 "keep-id, nomap)");
        return 0;
}

static int build_security(const struct cmd_args *a, json_t *den, json_t *hc, den_error **err)
{
        json_t *secopts = json_array();

        json_object_set_new(hc, "SecurityOpt", secopts);
        json_object_set_new(den, "seccomp", json_string("default"));
        json_object_set_new(den, "no_new_privs", json_false());
        json_object_set_new(den, "mask", json_array());
        json_object_set_new(den, "unmask", json_array());
        for (char **o = cmd_strv(a, "security-opt"); o && *o; o++) {
                if (security_opt(den, *o, err) < 0)
                        return -1;
                json_array_append_new(secopts, json_string(*o));
        }
        json_object_set_new(hc, "Privileged", json_boolean(cmd_flag(a, "privileged")));
        if (build_caps(a, hc, err) < 0)
                return -1;
        return build_userns(a, den, hc, err);
}

/* ---------------------------------------------------------------- namespaces, resources */

/* --pid/--ipc/--uts: "", private, host, ns:PATH, container:X where allowed. */
static int ns_mode(const struct cmd_args *a, const char *opt, const char *const *modes,
                   bool can_container, const char *def, json_t *hc, const char *key,
                   den_error **err)
{
        const char *v = cmd_str(a, opt);

        if (!v || !*v) {
                json_object_set_new(hc, key, json_string(def));
                return 0;
        }
        for (size_t i = 0; modes[i]; i++)
                if (streq(v, modes[i])) {
                        json_object_set_new(hc, key, json_string(v));
                        return 0;
                }
        if ((den_str_has_prefix(v, "ns:") && v[3] == '/') ||
            (can_container && den_str_has_prefix(v, "container:") && v[10])) {
                json_object_set_new(hc, key, json_string(v));
                return 0;
        }
        return bad_value(err, opt, v, "unrecognized namespace mode");
}

static int build_namespaces(const struct cmd_args *a, json_t *hc, den_error **err)
{
        static const char *const pid[] = { "private", "host", NULL };
        static const char *const ipc[] = { "private", "host", "shareable", "none", NULL };
        static const char *const uts[] = { "private", "host", NULL };

        if (ns_mode(a, "pid", pid, false, "private", hc, "PidMode", err) < 0 ||
            ns_mode(a, "ipc", ipc, true, "shareable", hc, "IpcMode", err) < 0 ||
            ns_mode(a, "uts", uts, false, "private", hc, "UTSMode", err) < 0)
                return -1;
        return 0;
}

/* "1.5" -> 1500000000 nano-CPUs; plain decimal, at most 9 fraction digits. */
static int parse_cpus(const char *s, int64_t *ret)
{
        const char *dot = strchr(s, '.');
        uint64_t whole = 0, frac = 0;
        size_t nfrac = dot ? strlen(dot + 1) : 0;
        _cleanup_free_ char *w = xstrndup(s, dot ? (size_t) (dot - s) : strlen(s));

        if ((*w && den_parse_u64(w, &whole) < 0) || (!*w && !dot) || nfrac > 9 ||
            (dot && nfrac == 0) || whole > 1000000)
                return -EINVAL;
        if (dot && den_parse_u64(dot + 1, &frac) < 0)
                return -EINVAL;
        for (size_t i = nfrac; i < 9; i++)
                frac *= 10;
        *ret = (int64_t) (whole * 1000000000ull + frac);
        return 0;
}

static int build_resources(const struct cmd_args *a, json_t *hc, den_error **err)
{
        const char *mem = cmd_str(a, "memory"), *cpus = cmd_str(a, "cpus");
        const char *pids = cmd_str(a, "pids-limit"), *shm = cmd_str(a, "shm-size");
        uint64_t bytes = 0;
        int64_t nano = 0;
        int limit = 0;

        if (mem) {
                if (den_parse_size(mem, &bytes) < 0 || bytes > INT64_MAX)
                        return bad_value(err, "memory", mem, "invalid size");
                if (bytes < 6 * 1024 * 1024)
                        return bad_value(err, "memory", mem, "minimum memory limit allowed is 6MB");
        }
        json_object_set_new(hc, "Memory", json_integer((json_int_t) bytes));
        if (cpus && (parse_cpus(cpus, &nano) < 0 || nano < 10000000))
                return bad_value(err, "cpus", cpus, "expected a number of CPUs of at least 0.01");
        json_object_set_new(hc, "NanoCpus", json_integer(nano));
        if (pids && den_parse_int(pids, -1, INT_MAX, &limit) < 0)
                return bad_value(err, "pids-limit", pids, "expected an integer (-1 for unlimited)");
        json_object_set_new(hc, "PidsLimit", json_integer(limit > 0 ? limit : 0));
        if (streq(shm, "65536k"))
                bytes = cmd_ctr_defaults.shm_size;
        else if (den_parse_size(shm, &bytes) < 0 || bytes == 0 || bytes > INT64_MAX)
                return bad_value(err, "shm-size", shm, "invalid size");
        json_object_set_new(hc, "ShmSize", json_integer((json_int_t) bytes));
        return 0;
}

static int parse_rlimit_value(const char *s, json_int_t *ret)
{
        uint64_t v;

        if (streq(s, "-1")) {
                *ret = -1;
                return 0;
        }
        if (den_parse_u64(s, &v) < 0 || v > INT64_MAX)
                return -EINVAL;
        *ret = (json_int_t) v;
        return 0;
}

static void ulimit_set(json_t *ul, int res, json_int_t soft, json_int_t hard)
{
        _cleanup_free_ char *name = xasprintf("RLIMIT_%s", cmd_ctr_rlimit_name(res));
        size_t i;
        json_t *o;

        for (char *p = name; *p; p++)
                *p = (char) toupper((unsigned char) *p);
        json_array_foreach (ul, i, o)
                if (streq(json_string_value(json_object_get(o, "Name")), name)) {
                        json_array_remove(ul, i);
                        break;
                }
        json_array_append_new(
                ul, json_pack("{s:s, s:I, s:I}", "Name", name, "Soft", soft, "Hard", hard));
}

static bool ulimit_has(json_t *ul, const char *name)
{
        size_t i;
        json_t *o;

        json_array_foreach (ul, i, o)
                if (streq(json_string_value(json_object_get(o, "Name")), name))
                        return true;
        return false;
}

/* --ulimit name=soft[:hard] or "host"; then podman's defaults for NOFILE and NPROC: 1048576,
 * or den's own hard limit when that is lower (a rootless process cannot raise it). */
static int build_ulimits(const struct cmd_args *a, json_t *den, json_t *hc, den_error **err)
{
        json_t *ul = json_array();
        static const int defaults[] = { RLIMIT_NOFILE, RLIMIT_NPROC };

        json_object_set_new(hc, "Ulimits", ul);
        json_object_set_new(den, "ulimit_host", json_false());
        for (char **v = cmd_strv(a, "ulimit"); v && *v; v++) {
                _cleanup_free_ char *copy = xstrdup(*v);
                char *eq = strchr(copy, '='), *colon;
                json_int_t soft, hard;
                int res;

                if (streq(*v, "host")) {
                        json_object_set_new(den, "ulimit_host", json_true());
                        continue;
                }
                if (!eq)
                        return bad_value(err, "ulimit", *v, "expected name=SOFT[:HARD]");
                *eq++ = '\0';
                colon = strchr(eq, ':');
                if (colon)
                        *colon++ = '\0';
                if (cmd_ctr_rlimit_parse(copy, &res) < 0)
                        return bad_value(err, "ulimit", *v, "invalid ulimit type \"%s\"", copy);
                if (parse_rlimit_value(eq, &soft) < 0 ||
                    parse_rlimit_value(colon ? colon : eq, &hard) < 0)
                        return bad_value(err, "ulimit", *v, "expected name=SOFT[:HARD]");
                if (soft != -1 && hard != -1 && soft > hard)
                        return bad_value(err, "ulimit", *v,
                                         "soft limit %lld is above the hard "
                                         "limit %lld",
                                         (long long) soft, (long long) hard);
                ulimit_set(ul, res, soft, hard);
        }
        for (size_t i = 0; i < ARRAY_SIZE(defaults); i++) {
                struct rlimit rl;
                json_int_t v = (json_int_t) cmd_ctr_defaults.rlimit_default;
                _cleanup_free_ char *name =
                        xasprintf("RLIMIT_%s", defaults[i] == RLIMIT_NOFILE ? "NOFILE" : "NPROC");

                if (ulimit_has(ul, name))
                        continue;
                if (getrlimit(defaults[i], &rl) == 0 && rl.rlim_max != RLIM_INFINITY &&
                    (json_int_t) rl.rlim_max < v)
                        v = (json_int_t) rl.rlim_max;
                ulimit_set(ul, defaults[i], v, v);
        }
        return 0;
}

/* ---------------------------------------------------------------- network */

static int build_network(const struct cmd_args *a, json_t *image_cfg, json_t *root, json_t *hc,
                         den_error **err)
{
        const char *mode = cmd_str(a, "network") ? cmd_str(a, "network") : cmd_str(a, "net");
        struct net_config nc;
        json_t *pb = json_object(), *exposed = json_object_get(image_cfg, "ExposedPorts");
        const char *key;
        json_t *v;
        int r = -1;

        net_config_init(&nc);
        if (mode && *mode && net_config_set_mode(&nc, mode, err) < 0)
                goto out;
        for (char **p = cmd_strv(a, "publish"); p && *p; p++)
                if (net_config_add_publish(&nc, *p, err) < 0)
                        goto out;
        if (cmd_flag(a, "publish-all"))
                json_object_foreach (exposed, key, v)
                        if (net_config_add_exposed(&nc, key, err) < 0)
                                goto out;
        for (char **d = cmd_strv(a, "dns"); d && *d; d++) {
                unsigned char buf[16];

                if (!streq(*d, "none") && inet_pton(AF_INET, *d, buf) != 1 &&
                    inet_pton(AF_INET6, *d, buf) != 1) {
                        bad_value(err, "dns", *d, "not an IP address");
                        goto out;
                }
                den_strv_push(&nc.dns, *d);
        }
        for (char **d = cmd_strv(a, "dns-search"); d && *d; d++)
                den_strv_push(&nc.dns_search, *d);
        for (char **d = cmd_strv(a, "dns-option"); d && *d; d++)
                den_strv_push(&nc.dns_options, *d);
        for (char **h = cmd_strv(a, "add-host"); h && *h; h++) {
                const char *colon = strchr(*h, ':');
                unsigned char buf[16];

                if (!colon || colon == *h ||
                    (inet_pton(AF_INET, colon + 1, buf) != 1 &&
                     inet_pton(AF_INET6, colon + 1, buf) != 1 &&
                     !streq(colon + 1, "host-gateway"))) {
                        bad_value(err, "add-host", *h, "expected HOST:IP");
                        goto out;
                }
                den_strv_push(&nc.add_hosts, *h);
        }
        nc.no_hosts = cmd_flag(a, "no-hosts");
        json_object_foreach (exposed, key, v)
                json_object_set_new(pb, key, json_null());
        for (size_t i = 0; i < nc.n_ports; i++) {
                const struct net_port *p = &nc.ports[i];

                for (unsigned k = 0; k < (p->range ? p->range : 1u); k++) {
                        _cleanup_free_ char *k1 = xasprintf("%u/%s", p->ctr_port + k, p->proto);
                        _cleanup_free_ char *hp =
                                p->host_port ? xasprintf("%u", p->host_port + k) : xstrdup("");
                        json_t *list = json_object_get(pb, k1);

                        if (!json_is_array(list)) {
                                list = json_array();
                                json_object_set_new(pb, k1, list);
                        }
                        json_array_append_new(list, json_pack("{s:s, s:s}", "HostIp", p->host_ip,
                                                              "HostPort", hp));
                }
        }
        json_object_set_new(hc, "NetworkMode", json_string(mode && *mode ? mode : "slirp4netns"));
        json_object_set(hc, "PortBindings", pb);
        json_object_set_new(hc, "PublishAllPorts", json_boolean(cmd_flag(a, "publish-all")));
        json_object_set_new(hc, "Dns", json_array());
        json_object_set_new(hc, "DnsSearch", json_array());
        json_object_set_new(hc, "DnsOptions", json_array());
        json_object_set_new(hc, "ExtraHosts", json_array());
        for (char **d = nc.dns; d && *d; d++)
                json_array_append_new(json_object_get(hc, "Dns"), json_string(*d));
        for (char **d = nc.dns_search; d && *d; d++)
                json_array_append_new(json_object_get(hc, "DnsSearch"), json_string(*d));
        for (char **d = nc.dns_options; d && *d; d++)
                json_array_append_new(json_object_get(hc, "DnsOptions"), json_string(*d));
        for (char **d = nc.add_hosts; d && *d; d++)
                json_array_append_new(json_object_get(hc, "ExtraHosts"), json_string(*d));
        json_object_set_new(root, "Network", net_config_to_json(&nc));
        r = 0;
out:
        json_decref(pb);
        net_config_clear(&nc);
        return r;
}

/* ---------------------------------------------------------------- Config */

static int add_kv(json_t *obj, const char *opt, const char *kv, bool is_value_required,
                  den_error **err)
{
        const char *eq = strchr(kv, '=');
        _cleanup_free_ char *k = xstrndup(kv, eq ? (size_t) (eq - kv) : strlen(kv));

        if (!*k || (is_value_required && !eq))
                return bad_value(err, opt, kv, "expected KEY=VALUE");
        json_object_set_new(obj, k, json_string(eq ? eq + 1 : ""));
        return 0;
}

static int build_labels(const struct cmd_args *a, json_t *image_cfg, json_t *cfg, den_error **err)
{
        json_t *labels = json_object(), *ann = json_object(),
               *il = json_object_get(image_cfg, "Labels");
        const char *k;
        json_t *v;

        json_object_set_new(cfg, "Labels", labels);
        json_object_set_new(cfg, "Annotations", ann);
        json_object_foreach (il, k, v)
                if (json_is_string(v))
                        json_object_set(labels, k, v);
        for (char **f = cmd_strv(a, "label-file"); f && *f; f++) {
                _cleanup_free_ char *text = NULL;
                _cleanup_strv_ char **lines = NULL;
                size_t len = 0;
                int r = den_read_file_at(AT_FDCWD, *f, MAX_ENV_FILE, &text, &len);

                if (r < 0)
                        return den_error_set(err, -r, "read label file \"%s\"", *f);
                /* same line syntax as env files, without the host lookup of bare names */
                for (char *save = NULL, *l = strtok_r(text, "\n", &save); l;
                     l = strtok_r(NULL, "\n", &save)) {
                        while (*l == ' ' || *l == '\t')
                                l++;
                        if (*l && *l != '#' && add_kv(labels, "label-file", l, false, err) < 0)
                                return -1;
                }
        }
        for (char **l = cmd_strv(a, "label"); l && *l; l++)
                if (add_kv(labels, "label", *l, false, err) < 0)
                        return -1;
        for (char **l = cmd_strv(a, "annotation"); l && *l; l++)
                if (add_kv(ann, "annotation", *l, true, err) < 0)
                        return -1;
        return 0;
}

static json_t *strv_json(char *const *v)
{
        json_t *a = json_array();

        for (; v && *v; v++)
                json_array_append_new(a, json_string(*v));
        return a;
}

/* podman's rules: --entrypoint replaces the image's ENTRYPOINT and drops its CMD; a command
 * after the image replaces CMD. --entrypoint is a string or a JSON array of strings. */
static int build_command(const struct cmd_args *a, char *const *command, json_t *image_cfg,
                         json_t *cfg, den_error **err)
{
        const char *ep = cmd_str(a, "entrypoint");
        json_t *entry, *cmd;

        if (ep && ep[0] == '[') {
                json_error_t jerr;
                size_t i;
                json_t *v;

                entry = json_loads(ep, JSON_REJECT_DUPLICATES, &jerr);
                if (!json_is_array(entry)) {
                        json_decref(entry);
                        return bad_value(err, "entrypoint", ep, "not a JSON array of strings");
                }
                json_array_foreach (entry, i, v)
                        if (!json_is_string(v)) {
                                json_decref(entry);
                                return bad_value(err, "entrypoint", ep,
                                                 "not a JSON array of strings");
                        }
        } else if (ep) {
                entry = *ep ? json_pack("[s]", ep) : json_array();
        } else {
                entry = json_deep_copy(json_object_get(image_cfg, "Entrypoint"));
                if (!json_is_array(entry)) {
                        json_decref(entry);
                        entry = json_array();
                }
        }
        if (command && *command)
                cmd = strv_json(command);
        else if (!ep && json_is_array(json_object_get(image_cfg, "Cmd")))
                cmd = json_deep_copy(json_object_get(image_cfg, "Cmd"));
        else
                cmd = json_array();
        json_object_set_new(cfg, "Entrypoint", entry);
        json_object_set_new(cfg, "Cmd", cmd);
        if (json_array_size(entry) + json_array_size(cmd) == 0)
                return den_error_set(err, 0,
                                     "no command or entrypoint provided, and no CMD or "
                                     "ENTRYPOINT from image");
        return 0;
}

static bool hostname_is_valid(const char *h)
{
        size_t n = strlen(h);

        if (n == 0 || n > 64 || h[0] == '-' || h[0] == '.')
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char) h[i]) && h[i] != '-' && h[i] != '.' && h[i] != '_')
                        return false;
        return true;
}

/* Config.CreateCommand: the command line as typed, like podman's os.Args. */
static json_t *create_command(void)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        json_t *out = json_array();

        if (den_read_file_at(AT_FDCWD, "/proc/self/cmdline", 1u << 20, &buf, &len) < 0)
                return out;
        for (size_t i = 0; i < len; i += strlen(buf + i) + 1)
                json_array_append_new(out, json_string(buf + i));
        return out;
}

static int build_config(const struct cmd_args *a, char *const *command, const char *image_name,
                        json_t *image_cfg, json_t *cfg, den_error **err)
{
        const char *h = cmd_str(a, "hostname"), *dn = cmd_str(a, "domainname");
        const char *u = cmd_str(a, "user"), *w = cmd_str(a, "workdir");
        const char *sig = cmd_str(a, "stop-signal"), *to = cmd_str(a, "stop-timeout");
        const char *um = cmd_str(a, "umask");
        _cleanup_free_ char *signame = NULL;
        bool is_run = cmd_has_opt(a, "detach"), is_attached = is_run && !cmd_flag(a, "detach");
        json_t *env = NULL;
        uint64_t timeout;
        int umask_val;

        if (h && !hostname_is_valid(h))
                return bad_value(err, "hostname", h, "not a valid hostname");
        if (dn && *dn && !hostname_is_valid(dn))
                return bad_value(err, "domainname", dn, "not a valid domain name");
        json_object_set_new(cfg, "Hostname", json_string(h ? h : ""));
        json_object_set_new(cfg, "Domainname", json_string(dn ? dn : ""));
        if (!u)
                u = json_string_value(json_object_get(image_cfg, "User"));
        json_object_set_new(cfg, "User", json_string(u ? u : ""));
        if (!w || !*w)
                w = json_string_value(json_object_get(image_cfg, "WorkingDir"));
        json_object_set_new(cfg, "WorkingDir", json_string(w && *w ? w : "/"));
        json_object_set_new(cfg, "Image", json_string(image_name));
        if (build_env(a, image_cfg, &env, err) < 0)
                return -1;
        json_object_set_new(cfg, "Env", env);
        if (build_command(a, command, image_cfg, cfg, err) < 0 ||
            build_labels(a, image_cfg, cfg, err) < 0)
                return -1;
        if (!sig)
                sig = json_string_value(json_object_get(image_cfg, "StopSignal"));
        signame = cmd_ctr_signal_normalize(sig ? sig : cmd_ctr_defaults.stop_signal);
        if (!signame)
                return bad_value(err, "stop-signal", sig, "invalid signal");
        json_object_set_new(cfg, "StopSignal", json_string(signame));
        if (den_parse_u64(to, &timeout) < 0 || timeout > UINT32_MAX)
                return bad_value(err, "stop-timeout", to, "expected a number of seconds");
        json_object_set_new(cfg, "StopTimeout", json_integer((json_int_t) timeout));
        if (strspn(um, "01234567") != strlen(um) || den_parse_int(um, 0, 7777, &umask_val) < 0 ||
            strlen(um) > 4)
                return bad_value(err, "umask", um, "expected an octal umask such as 0022");
        json_object_set_new(cfg, "Umask", json_string(um));
        json_object_set_new(cfg, "Tty", json_boolean(cmd_flag(a, "tty")));
        json_object_set_new(cfg, "OpenStdin", json_boolean(cmd_flag(a, "interactive")));
        json_object_set_new(cfg, "StdinOnce",
                            json_boolean(cmd_flag(a, "interactive") && is_attached));
        json_object_set_new(cfg, "AttachStdin",
                            json_boolean(cmd_flag(a, "interactive") && is_attached));
        json_object_set_new(cfg, "AttachStdout", json_boolean(is_attached));
        json_object_set_new(cfg, "AttachStderr", json_boolean(is_attached));
        json_object_set_new(cfg, "CreateCommand", create_command());
        return 0;
}

/* ---------------------------------------------------------------- HostConfig and Den */

static int pick_init_path(const struct cmd_args *a, json_t *den, den_error **err)
{
        const char *p = cmd_str(a, "init-path");

        if (!cmd_flag(a, "init")) {
                json_object_set_new(den, "init_path", json_null());
                return 0;
        }
        if (p) {
                if (p[0] != '/' || access(p, X_OK) < 0)
                        return bad_value(err, "init-path", p, "not an executable absolute path");
                json_object_set_new(den, "init_path", json_string(p));
                return 0;
        }
        /* TODO: a tiny init of den's own for systems without catatonit */
        for (size_t i = 0; cmd_ctr_defaults.init_paths[i]; i++)
                if (access(cmd_ctr_defaults.init_paths[i], X_OK) == 0) {
                        json_object_set_new(den, "init_path",
                                            json_string(cmd_ctr_defaults.init_paths[i]));
                        return 0;
                }
        return den_error_set(err, ENOENT,
                             "--init: no init binary found (install catatonit or "
                             "give --init-path)");
}

static bool sysctl_is_namespaced(const char *k)
{
        static const char *const ipc[] = {
                "kernel.msgmax", "kernel.msgmnb",          "kernel.msgmni",
                "kernel.sem",    "kernel.shmall",          "kernel.shmmax",
                "kernel.shmmni", "kernel.shm_rmid_forced", NULL
        };

        if (den_str_has_prefix(k, "net.") || den_str_has_prefix(k, "fs.mqueue."))
                return true;
        for (size_t i = 0; ipc[i]; i++)
                if (streq(k, ipc[i]))
                        return true;
        return false;
}

static int build_misc(const struct cmd_args *a, json_t *den, json_t *hc, den_error **err)
{
        const char *pull = cmd_str(a, "pull"), *ld = cmd_str(a, "log-driver");
        const char *rt = cmd_str(a, "runtime");
        json_t *log = json_pack("{s:s, s:s}", "Type", ld, "Path", ""), *sysctls = json_object();
        static const char *const pulls[] = { "always", "missing", "never", "newer", NULL };
        bool is_pull_ok = false;

        json_object_set_new(hc, "LogConfig", log);
        json_object_set_new(hc, "Sysctls", sysctls);
        for (size_t i = 0; pulls[i]; i++)
                is_pull_ok |= strcasecmp(pull, pulls[i]) == 0;
        if (!is_pull_ok)
                return den_error_set(err, 0, "unsupported pull policy \"%s\"", pull);
        json_object_set_new(den, "pull", json_string(pull));
        if (!streq(ld, "k8s-file") && !streq(ld, "none"))
                return bad_value(err, "log-driver", ld, "not supported by den (k8s-file, none)");
        for (char **o = cmd_strv(a, "log-opt"); o && *o; o++) {
                if (den_str_has_prefix(*o, "path=") && (*o)[5] == '/')
                        json_object_set_new(log, "Path", json_string(*o + 5));
                else if (den_str_has_prefix(*o, "tag="))
                        json_object_set_new(log, "Tag", json_string(*o + 4));
                else
                        return bad_value(err, "log-opt", *o, "supported: path=/ABS, tag=TAG");
        }
        for (char **s = cmd_strv(a, "sysctl"); s && *s; s++) {
                _cleanup_free_ char *k = xstrndup(*s, strcspn(*s, "="));

                if (!strchr(*s, '=') || !*k)
                        return bad_value(err, "sysctl", *s, "expected NAME=VALUE");
                if (!sysctl_is_namespaced(k))
                        return bad_value(err, "sysctl", *s, "sysctl \"%s\" is not namespaced", k);
                json_object_set_new(sysctls, k, json_string(strchr(*s, '=') + 1));
        }
        json_object_set_new(hc, "Runtime", json_string("oci"));
        if (rt && *rt && !streq(rt, "den") && rt_oci_runtime_check(rt, err) < 0)
                return -1;
        json_object_set_new(den, "runtime",
                            rt && *rt && !streq(rt, "den") ? json_string(rt) : json_null());
        json_object_set_new(den, "pidfile", json_string_or_null(cmd_str(a, "pidfile")));
        json_object_set_new(den, "cidfile", json_string_or_null(cmd_str(a, "cidfile")));
        json_object_set_new(den, "env_host", json_boolean(cmd_flag(a, "env-host")));
        json_object_set_new(den, "read_only_tmpfs",
                            json_boolean(cmd_tristate(a, "read-only-tmpfs") != 0));
        json_object_set_new(den, "no_hosts", json_boolean(cmd_flag(a, "no-hosts")));
        json_object_set_new(hc, "AutoRemove", json_boolean(cmd_flag(a, "rm")));
        json_object_set_new(hc, "ReadonlyRootfs", json_boolean(cmd_flag(a, "read-only")));
        json_object_set_new(hc, "Init", json_boolean(cmd_flag(a, "init")));
        json_object_set_new(hc, "GroupAdd", strv_json(cmd_strv(a, "group-add")));
        return pick_init_path(a, den, err);
}

int cmd_ctr_config_build(const struct cmd_args *a, char *const *command, const char *image_name,
                         json_t *image_config, json_t **ret, den_error **err)
{
        json_auto_t *root = json_object();
        json_t *cfg = json_object(), *hc = json_object(), *den = json_object();
        json_t *icfg = json_object_get(image_config, "config");
        const char *name = cmd_str(a, "name");

        json_object_set_new(root, "Config", cfg);
        json_object_set_new(root, "HostConfig", hc);
        json_object_set_new(root, "Den", den);
        if (name && !cmd_ctr_name_is_valid(name))
                return bad_value(err, "name", name, "names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*");
        if (!json_is_object(icfg))
                icfg = NULL;
        if (build_config(a, command, image_name, icfg, cfg, err) < 0 ||
            build_mounts(a, den, hc, err) < 0 || build_security(a, den, hc, err) < 0 ||
            build_namespaces(a, hc, err) < 0 || build_resources(a, hc, err) < 0 ||
            build_ulimits(a, den, hc, err) < 0 || build_misc(a, den, hc, err) < 0 ||
            build_network(a, icfg, root, hc, err) < 0)
                return -1;
        *ret = steal_ptr(root);
        return 0;
}

bool cmd_ctr_name_is_valid(const char *name)
{
        if (!isalnum((unsigned char) name[0]) || strlen(name) > 253)
                return false;
        for (const char *p = name; *p; p++)
                if (!isalnum((unsigned char) *p) && *p != '_' && *p != '.' && *p != '-')
                        return false;
        return true;
}
