/* den info: host, store, registries and version under podman's field names, so scripts
 * written for podman (.Host.OCIRuntime.Name, .Store.GraphRoot, ...) work unchanged. */
#include <sys/statvfs.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include "cmd.h"

json_t *cmd_version_json(void);

static json_t *idmap_json(const struct rt_idmap *m, size_t n)
{
        json_t *arr = json_array();

        for (size_t i = 0; i < n; i++)
                json_array_append_new(arr, json_pack("{s:I, s:I, s:I}", "container_id",
                                                     (json_int_t) m[i].container_id, "host_id",
                                                     (json_int_t) m[i].host_id, "size",
                                                     (json_int_t) m[i].size));
        return arr;
}

static char *os_release_field(const char *key)
{
        _cleanup_free_ char *text = NULL;
        size_t kl = strlen(key);

        if (den_read_file_at(AT_FDCWD, "/etc/os-release", 65536, &text, NULL) < 0)
                return xstrdup("");
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
                if (strncmp(line, key, kl) == 0 && line[kl] == '=') {
                        char *v = line + kl + 1;
                        size_t l = strlen(v);

                        if (l >= 2 && (v[0] == '"' || v[0] == '\'') && v[l - 1] == v[0])
                                return xstrndup(v + 1, l - 2);
                        return xstrdup(v);
                }
        }
        return xstrdup("");
}

static char *program_version(const char *argv0)
{
        _cleanup_free_ char *cmdline = xasprintf("%s --version 2>/dev/null", argv0);
        FILE *p = popen(cmdline, "re");
        struct den_buf b = { 0 };
        char line[512];

        if (!p)
                return xstrdup("");
        while (fgets(line, sizeof(line), p))
                den_buf_puts(&b, line);
        pclose(p);
        while (b.len && b.data[b.len - 1] == '\n')
                b.data[--b.len] = '\0';
        return den_buf_steal(&b);
}

static const char *find_program(const char *name, char *buf, size_t len)
{
        const char *path = getenv("PATH");
        _cleanup_free_ char *copy = xstrdup(path ? path : "/usr/local/bin:/usr/bin:/bin");
        char *save = NULL;

        for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
                snprintf(buf, len, "%s/%s", d, name);
                if (access(buf, X_OK) == 0)
                        return buf;
        }
        return "";
}

static void userns_freep(struct rt_userns **u)
{
        rt_userns_free(*u);
}

/* The controllers a container's cgroup could have: on cgroup v2 those of den's own cgroup
 * (beside which the containers' cgroups are made); on v1 none for a user, who can use none,
 * and those mounted for root, as podman lists them. */
static json_t *cgroup_controllers(bool is_v2)
{
        _cleanup_free_ char *text = NULL;
        json_t *list = json_array();
        char *save = NULL;
        size_t len = 0;

        if (is_v2) {
                _cleanup_free_ char *self = NULL, *path = NULL;

                if (den_read_file_at(AT_FDCWD, "/proc/self/cgroup", 4096, &self, &len) < 0 ||
                    !den_str_has_prefix(self, "0::/"))
                        return list;
                self[strcspn(self, "\n")] = '\0';
                rt_cgroup_strip_leaf(self + 3);
                path = xasprintf("/sys/fs/cgroup%s/cgroup.controllers", self + 3);
                if (den_read_file_at(AT_FDCWD, path, 4096, &text, &len) < 0)
                        return list;
                for (char *w = strtok_r(text, " \n", &save); w; w = strtok_r(NULL, " \n", &save))
                        json_array_append_new(list, json_string(w));
                return list;
        }
        if (geteuid() != 0 || den_read_file_at(AT_FDCWD, "/proc/cgroups", 16384, &text, &len) < 0)
                return list;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char name[64];
                int hierarchy, enabled;

                if (line[0] != '#' &&
                    sscanf(line, "%63s %d %*d %d", name, &hierarchy, &enabled) == 3 &&
                    hierarchy > 0 && enabled)
                        json_array_append_new(list, json_string(name));
        }
        return list;
}

static json_t *host_json(void)
{
        _cleanup_(userns_freep) struct rt_userns *u = NULL;
        _cleanup_error_ den_error *err = NULL;
        _cleanup_free_ char *distro = os_release_field("ID");
        _cleanup_free_ char *dver = os_release_field("VERSION_ID");
        _cleanup_free_ char *codename = os_release_field("VERSION_CODENAME");
        _cleanup_free_ char *slirp_ver = NULL;
        char slirp[PATH_MAX];
        struct utsname un;
        struct sysinfo si;
        json_t *uid = NULL, *gid = NULL;
        bool is_v2 = access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0;

        uname(&un);
        sysinfo(&si);
        if (rt_userns_plan(&u, &err) == 0) {
                uid = idmap_json(u->uidmap, u->n_uidmap);
                gid = idmap_json(u->gidmap, u->n_gidmap);
        } else {
                uid = json_null();
                gid = json_null();
        }
        find_program("slirp4netns", slirp, sizeof(slirp));
        slirp_ver = *slirp ? program_version(slirp) : xstrdup("");
        return json_pack(
                "{s:s, s:o, s:s, s:s, s:i, s:{s:s, s:s, s:s}, s:s, s:s, s:{s:o, s:o}, s:s, s:s, "
                "s:I, s:I, s:s, s:{s:s, s:s, s:s}, s:s, s:{s:b, s:b, s:s}, "
                "s:{s:s, s:s}, s:I, s:I}",
                "arch", img_host_arch(), "cgroupControllers", cgroup_controllers(is_v2),
                "cgroupManager", "cgroupfs", "cgroupVersion", is_v2 ? "v2" : "v1", "cpus",
                get_nprocs(), "distribution", "distribution", distro, "version", dver, "codename",
                codename, "hostname", un.nodename, "kernel", un.release, "idMappings", "uidmap",
                uid, "gidmap", gid, "logDriver", "k8s-file", "networkBackend", "slirp4netns",
                "memFree", (json_int_t) si.freeram * si.mem_unit, "memTotal",
                (json_int_t) si.totalram * si.mem_unit, "os", "linux", "ociRuntime", "name", "den",
                "path", "/proc/self/exe", "version", "den version " DEN_VERSION, "eventLogger",
                "none", "security", "rootless", getuid() != 0, "seccompEnabled", true,
                "capabilities",
                "CAP_CHOWN,CAP_DAC_OVERRIDE,CAP_FOWNER,CAP_FSETID,CAP_KILL,"
                "CAP_NET_BIND_SERVICE,CAP_SETFCAP,CAP_SETGID,CAP_SETPCAP,CAP_SETUID,"
                "CAP_SYS_CHROOT",
                "slirp4netns", "executable", slirp, "version", slirp_ver, "swapFree",
                (json_int_t) si.freeswap * si.mem_unit, "swapTotal",
                (json_int_t) si.totalswap * si.mem_unit);
}

static json_t *store_json(struct cmd_ctx *ctx)
{
        _cleanup_error_ den_error *err = NULL;
        struct store_image **imgs = NULL;
        struct store *s = NULL;
        size_t n = 0;
        const char *driver = ctx->storage_driver ? ctx->storage_driver : "overlay";
        struct statvfs sv = { 0 };
        _cleanup_free_ char *volumes = den_path_join(ctx->root, "volumes");

        if (cmd_ctx_store(ctx, false, &s, &err) == 0) {
                driver = store_driver(s);
                if (store_images_list(s, &imgs, &n, &err) < 0)
                        den_warn_error(&err, "list images, continuing");
        } else {
                den_warn_error(&err, "open store, continuing");
        }
        store_images_free(imgs, n);
        (void) statvfs(ctx->root, &sv);
        return json_pack(
                "{s:s, s:{s:i, s:i, s:i, s:i}, s:s, s:{}, s:s, s:I, s:I, s:{s:i}, "
                "s:s, s:s}",
                "configFile", "", "containerStore", "number", 0, "paused", 0, "running", 0,
                "stopped", 0, "graphDriverName", driver, "graphOptions", "graphRoot", ctx->root,
                "graphRootAllocated", (json_int_t) sv.f_blocks * (json_int_t) sv.f_frsize,
                "graphRootUsed", (json_int_t) (sv.f_blocks - sv.f_bfree) * (json_int_t) sv.f_frsize,
                "imageStore", "number", (int) n, "runRoot", ctx->runroot, "volumePath", volumes);
}

static json_t *registries_json(void)
{
        _cleanup_error_ den_error *err = NULL;
        struct img_registries *r = NULL;
        json_t *search = json_array();

        if (img_registries_load(&r, &err) < 0) {
                den_warn_error(&err, "read registries.conf, continuing");
                return json_pack("{s:o}", "search", search);
        }
        for (size_t i = 0; r->search && r->search[i]; i++)
                json_array_append_new(search, json_string(r->search[i]));
        img_registries_free(r);
        return json_pack("{s:o}", "search", search);
}

/* A small YAML printer for the default (human) output, in podman's layout. */
static void yaml_print(FILE *out, json_t *v, int indent, bool is_in_array);

static void yaml_scalar(FILE *out, json_t *v)
{
        switch (json_typeof(v)) {
        case JSON_STRING: {
                const char *s = json_string_value(v);

                if (strchr(s, '\n') || strchr(s, ':') || !*s)
                        fprintf(out, "'%s'", s);
                else
                        fputs(s, out);
                break;
        }
        case JSON_INTEGER:
                fprintf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
                break;
        case JSON_REAL:
                fprintf(out, "%g", json_real_value(v));
                break;
        case JSON_TRUE:
                fputs("true", out);
                break;
        case JSON_FALSE:
                fputs("false", out);
                break;
        case JSON_NULL:
                fputs("null", out);
                break;
        case JSON_OBJECT:
        case JSON_ARRAY:
        default:
                break;
        }
}

static void yaml_print(FILE *out, json_t *v, int indent, bool is_in_array)
{
        const char *key;
        json_t *child;
        size_t i;
        bool is_first = true;

        if (json_is_object(v)) {
                json_object_foreach (v, key, child) {
                        if (!(is_in_array && is_first))
                                fprintf(out, "%*s", indent, "");
                        is_first = false;
                        fprintf(out, "%s:", key);
                        if ((json_is_object(child) && json_object_size(child)) ||
                            (json_is_array(child) && json_array_size(child))) {
                                fputc('\n', out);
                                yaml_print(out, child, indent + 2, false);
                        } else if (json_is_object(child)) {
                                fputs(" {}\n", out);
                        } else if (json_is_array(child)) {
                                fputs(" []\n", out);
                        } else {
                                fputc(' ', out);
                                yaml_scalar(out, child);
                                fputc('\n', out);
                        }
                }
        } else if (json_is_array(v)) {
                json_array_foreach (v, i, child) {
                        fprintf(out, "%*s- ", indent, "");
                        if (json_is_object(child)) {
                                yaml_print(out, child, indent + 2, true);
                        } else {
                                yaml_scalar(out, child);
                                fputc('\n', out);
                        }
                }
        }
}

static int run(struct cmd_ctx *ctx, const struct cmd_args *a, den_error **err)
{
        json_auto_t *info =
                json_pack("{s:o, s:o, s:o, s:o}", "host", host_json(), "store", store_json(ctx),
                          "registries", registries_json(), "version", cmd_version_json());
        const char *format = cmd_str(a, "format");

        if (!format || !*format) {
                yaml_print(stdout, info, 0, false);
                return 0;
        }
        return cmd_output_one(stdout, info, format, err) < 0 ? -1 : 0;
}

static const struct cmd_opt opts[] = {
        { "format", 'f', CMD_OPT_STRING, "string",
          "Change the output format to JSON or a Go template" },
        { 0 },
};

const struct cmd cmd_info = {
        .name = "info",
        .aliases = { "system info" },
        .usage = "[options]",
        .summary = "Display den related system information",
        .opts = opts,
        .max_args = 0,
        .run = run,
};
