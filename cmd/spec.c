/* The OCI runtime spec (config.json) of a container, built at start from the configuration
 * cmd_ctr_config_build recorded at create: podman's rootless defaults (cmd_ctr_defaults), then
 * the container's options.
 *
 * Trust: the configuration is den's own (validated at create). The rootfs is not: /etc/passwd
 * and /etc/group come from the image, so they are opened only through den_open_in_root (a
 * symlink cannot lead out of the rootfs), read with a size bound, and parsed as untrusted
 * text. */
#include "ctr.h"

#include <ctype.h>
#include <sys/resource.h>
#include <sys/stat.h>

/* Resolves a seccomp profile for the container's bounding set into an OCI linux.seccomp
 * object (runtime/seccomp.c). */
json_t *rt_seccomp_to_oci(const struct rt_seccomp *p, const struct rt_seccomp_target *t,
                          den_error **err);

#define MAX_PASSWD (4u << 20)
#define MAX_GROUPS 64

/* ---------------------------------------------------------------- /etc/passwd, /etc/group */

/* Splits one line into at most n ':'-separated fields (in place); returns the count. */
static size_t split_fields(char *line, char **f, size_t n)
{
        size_t k = 0;

        f[k++] = line;
        for (char *p = line; *p && k < n; p++)
                if (*p == ':') {
                        *p = '\0';
                        f[k++] = p + 1;
                }
        return k;
}

/* Calls fn on each line of text (a NUL-terminated copy, without the newline); stops when fn
 * returns non-zero and returns that. Lines with a NUL byte are skipped. */
static int foreach_line(const char *text, size_t len, int (*fn)(char *line, void *ud), void *ud)
{
        for (size_t i = 0; i < len;) {
                const char *nl = memchr(text + i, '\n', len - i);
                size_t end = nl ? (size_t) (nl - text) : len;
                _cleanup_free_ char *line = NULL;
                int r;

                if (!memchr(text + i, '\0', end - i)) {
                        line = xstrndup(text + i, end - i);
                        r = fn(line, ud);
                        if (r != 0)
                                return r;
                }
                i = end + 1;
        }
        return 0;
}

static int parse_id(const char *s, uint32_t *ret)
{
        uint64_t v;

        if (den_parse_u64(s, &v) < 0 || v >= UINT32_MAX)
                return -EINVAL;
        *ret = (uint32_t) v;
        return 0;
}

struct pw_find {
        const char *name;
        uid_t uid;
        struct cmd_passwd_entry *ret;
};

static int pw_line(char *line, void *ud)
{
        struct pw_find *q = ud;
        char *f[7];
        uint32_t uid, gid;

        if (split_fields(line, f, 7) < 7 || !*f[0] || parse_id(f[2], &uid) < 0 ||
            parse_id(f[3], &gid) < 0)
                return 0;
        if (q->name ? !streq(q->name, f[0]) : uid != q->uid)
                return 0;
        *q->ret = (struct cmd_passwd_entry){
                .name = xstrdup(f[0]), .uid = uid, .gid = gid, .home = xstrdup(f[5])
        };
        return 1;
}

int cmd_passwd_find(const char *text, size_t len, const char *name, uid_t uid,
                    struct cmd_passwd_entry *ret)
{
        struct pw_find q = { .name = name, .uid = uid, .ret = ret };

        if (len > MAX_PASSWD)
                return -EFBIG;
        return foreach_line(text, len, pw_line, &q) == 1 ? 0 : -ENOENT;
}

void cmd_passwd_entry_clear(struct cmd_passwd_entry *e)
{
        free(e->name);
        free(e->home);
        *e = (struct cmd_passwd_entry){ 0 };
}

struct gr_find {
        const char *name;
        gid_t gid;
        gid_t *ret;
        const char *member;
        gid_t *gids;
        size_t n;
};

static int gr_line(char *line, void *ud)
{
        struct gr_find *q = ud;
        char *f[4], *save = NULL;
        uint32_t gid;

        if (split_fields(line, f, 4) < 4 || !*f[0] || parse_id(f[2], &gid) < 0)
                return 0;
        if (!q->member) {
                if (q->name ? !streq(q->name, f[0]) : gid != q->gid)
                        return 0;
                *q->ret = gid;
                return 1;
        }
        for (char *m = strtok_r(f[3], ",", &save); m; m = strtok_r(NULL, ",", &save))
                if (streq(m, q->member)) {
                        if (q->n >= MAX_GROUPS)
                                return -E2BIG;
                        q->gids = xrealloc(q->gids, (q->n + 1) * sizeof(gid_t));
                        q->gids[q->n++] = gid;
                        break;
                }
        return 0;
}

int cmd_group_find(const char *text, size_t len, const char *name, gid_t gid, gid_t *ret)
{
        struct gr_find q = { .name = name, .gid = gid, .ret = ret };

        if (len > MAX_PASSWD)
                return -EFBIG;
        return foreach_line(text, len, gr_line, &q) == 1 ? 0 : -ENOENT;
}

int cmd_group_members(const char *text, size_t len, const char *user, gid_t **ret, size_t *ret_n)
{
        struct gr_find q = { .member = user };
        int r;

        if (len > MAX_PASSWD)
                return -EFBIG;
        r = foreach_line(text, len, gr_line, &q);
        if (r < 0) {
                free(q.gids);
                return r;
        }
        *ret = q.gids;
        *ret_n = q.n;
        return 0;
}

int cmd_read_in_root(int root_dfd, const char *path, char **ret, size_t *ret_len, den_error **err)
{
        /* O_NONBLOCK: a FIFO planted by the image must not block den */
        _cleanup_close_ int fd =
                den_open_in_root(root_dfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0);
        struct stat st;
        int r;

        if (fd == -ENOENT || fd == -ENOTDIR) {
                *ret = xstrdup("");
                *ret_len = 0;
                return 0;
        }
        if (fd < 0)
                return den_error_set(err, -fd, "open %s in the container", path);
        if (fstat(fd, &st) < 0)
                return den_error_set(err, errno, "stat %s in the container", path);
        if (!S_ISREG(st.st_mode))
                return den_error_set(err, 0, "%s in the container is not a regular file", path);
        r = den_read_fd(fd, MAX_PASSWD, ret, ret_len);
        if (r < 0)
                return den_error_set(err, -r, "read %s in the container", path);
        return 0;
}

/* ---------------------------------------------------------------- the process's user */

void cmd_user_clear(struct cmd_user *u)
{
        free(u->home);
        free(u->gids);
}

static void add_gid(struct cmd_user *u, gid_t g)
{
        for (size_t i = 0; i < u->n_gids; i++)
                if (u->gids[i] == g)
                        return;
        u->gids = xrealloc(u->gids, (u->n_gids + 1) * sizeof(gid_t));
        u->gids[u->n_gids++] = g;
}

static int lookup_group(const char *grp_text, size_t grp_len, const char *g, gid_t *ret,
                        den_error **err)
{
        uint32_t id;

        if (parse_id(g, &id) == 0) {
                *ret = id;
                return 0;
        }
        if (cmd_group_find(grp_text, grp_len, g, 0, ret) < 0)
                return den_error_set(err, 0,
                                     "unable to find group %s: no matching entries in "
                                     "group file",
                                     g);
        return 0;
}

int cmd_user_resolve(int root_dfd, const char *spec, json_t *group_add, struct cmd_user *ret,
                     den_error **err)
{
        _cleanup_free_ char *pw = NULL, *gr = NULL, *user = xstrdup(spec), *name = NULL;
        struct cmd_passwd_entry e = { 0 };
        struct cmd_user u = { 0 };
        size_t pw_len = 0, gr_len = 0, i;
        char *grp = strchr(user, ':');
        uint32_t id;
        json_t *v;

        if (grp)
                *grp++ = '\0';
        if (cmd_read_in_root(root_dfd, "/etc/passwd", &pw, &pw_len, err) < 0 ||
            cmd_read_in_root(root_dfd, "/etc/group", &gr, &gr_len, err) < 0)
                return -1;
        if (parse_id(*user ? user : "0", &id) == 0) {
                u.uid = id;
                if (cmd_passwd_find(pw, pw_len, NULL, id, &e) == 0)
                        u.gid = e.gid;
        } else if (cmd_passwd_find(pw, pw_len, user, 0, &e) == 0) {
                u.uid = e.uid;
                u.gid = e.gid;
        } else {
                return den_error_set(err, 0,
                                     "unable to find user %s: no matching entries in "
                                     "passwd file",
                                     user);
        }
        if (e.name) {
                name = xstrdup(e.name);
                u.home = xstrdup(e.home && *e.home ? e.home : "/");
        } else {
                u.home = xstrdup(u.uid == 0 ? "/root" : "/");
        }
        cmd_passwd_entry_clear(&e);
        if (grp && *grp && lookup_group(gr, gr_len, grp, &u.gid, err) < 0)
                goto fail;
        add_gid(&u, u.gid);
        if (name && !grp) {
                _cleanup_free_ gid_t *gids = NULL;
                size_t n = 0;

                if (cmd_group_members(gr, gr_len, name, &gids, &n) == 0)
                        for (size_t k = 0; k < n; k++)
                                add_gid(&u, gids[k]);
        }
        json_array_foreach (group_add, i, v) {
                gid_t g;

                if (lookup_group(gr, gr_len, json_string_value(v), &g, err) < 0)
                        goto fail;
                add_gid(&u, g);
        }
        *ret = u;
        return 0;
fail:
        cmd_user_clear(&u);
        return -1;
}

/* ---------------------------------------------------------------- small JSON helpers */

static const char *jstr(json_t *o, const char *k)
{
        return json_string_value(json_object_get(o, k));
}

static bool jbool(json_t *o, const char *k)
{
        return json_is_true(json_object_get(o, k));
}

static void push(json_t *arr, const char *s)
{
        json_array_append_new(arr, json_string(s));
}

static json_t *mount_new(const char *dst, const char *type, const char *src, const char *opts)
{
        json_t *o = json_array();
        _cleanup_free_ char *copy = xstrdup(opts);
        char *save = NULL;

        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
                push(o, t);
        return json_pack("{s:s, s:s, s:s, s:o}", "destination", dst, "type", type, "source", src,
                         "options", o);
}

static bool has_dest(json_t *mounts, const char *dst)
{
        size_t i;
        json_t *m;

        json_array_foreach (mounts, i, m)
                if (streq(jstr(m, "destination"), dst))
                        return true;
        return false;
}

/* ---------------------------------------------------------------- capabilities */

/* The highest capability number the kernel knows; rt_cap_names is in kernel order. */
static int cap_last(void)
{
        _cleanup_free_ char *text = NULL;
        size_t len;
        int last;

        if (den_read_file_at(AT_FDCWD, "/proc/sys/kernel/cap_last_cap", 64, &text, &len) < 0)
                return 40;
        text[strcspn(text, "\n")] = '\0';
        return den_parse_int(text, 0, 63, &last) == 0 ? last : 40;
}

static int cap_index(const char *name)
{
        for (int i = 0; rt_cap_names[i]; i++)
                if (streq(rt_cap_names[i], name))
                        return i;
        return -1;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The bounding set, sorted by name as podman lists it: the defaults (all with --privileged),
 * minus --cap-drop, plus --cap-add. */
static char **caps_bounding(json_t *hc)
{
        bool set[64] = { false };
        int last = cap_last();
        char **out = NULL;
        size_t i;
        json_t *v;

        for (i = 0; cmd_ctr_defaults.caps[i]; i++)
                set[cap_index(cmd_ctr_defaults.caps[i])] = true;
        json_array_foreach (json_object_get(hc, "CapDrop"), i, v) {
                int k = cap_index(json_string_value(v));

                if (streq(json_string_value(v), "ALL"))
                        memset(set, 0, sizeof(set));
                else if (k >= 0)
                        set[k] = false;
        }
        json_array_foreach (json_object_get(hc, "CapAdd"), i, v) {
                int k = cap_index(json_string_value(v));

                if (streq(json_string_value(v), "ALL"))
                        memset(set, 1, sizeof(set));
                else if (k >= 0)
                        set[k] = true;
        }
        if (jbool(hc, "Privileged"))
                memset(set, 1, sizeof(set));
        for (int k = 0; rt_cap_names[k] && k <= last; k++)
                if (set[k])
                        den_strv_push(&out, rt_cap_names[k]);
        if (!out)
                out = xcalloc(1, sizeof(char *));
        qsort(out, den_strv_len(out), sizeof(char *), cmp_str);
        return out;
}

/* podman: a root process gets the bounding set as effective and permitted; another user gets
 * only what --cap-add asked for, in every set including ambient (so it survives execve). */
static json_t *caps_json(char **bounding, json_t *hc, bool is_root)
{
        json_t *b = json_array(), *added;
        size_t i;
        json_t *v;

        for (char **c = bounding; *c; c++)
                push(b, *c);
        if (is_root)
                return json_pack("{s:o, s:O, s:O}", "bounding", b, "effective", b, "permitted", b);
        added = json_array();
        json_array_foreach (json_object_get(hc, "CapAdd"), i, v)
                if (den_strv_contains(bounding, json_string_value(v)))
                        json_array_append(added, v);
        return json_pack("{s:o, s:O, s:O, s:O, s:o}", "bounding", b, "effective", added,
                         "permitted", added, "inheritable", added, "ambient", added);
}

/* ---------------------------------------------------------------- mounts */

static void default_mounts(json_t *mounts, json_t *hc, const struct cmd_spec_env *env)
{
        bool is_priv = jbool(hc, "Privileged");
        bool is_pid_host = streq(jstr(hc, "PidMode"), "host");
        bool is_net_host = streq(jstr(hc, "NetworkMode"), "host");
        bool is_ipc_host = streq(jstr(hc, "IpcMode"), "host");
        _cleanup_free_ char *shm = NULL;
        json_int_t shm_size = json_integer_value(json_object_get(hc, "ShmSize"));

        if (is_pid_host)
                json_array_append_new(mounts, mount_new("/proc", "bind", "/proc",
                                                        "rbind,nosuid,noexec,nodev,rw,rprivate"));
        else
                json_array_append_new(mounts,
                                      mount_new("/proc", "proc", "proc", "nosuid,noexec,nodev"));
        json_array_append_new(mounts, mount_new("/dev", "tmpfs", "tmpfs",
                                                "nosuid,noexec,strictatime,mode=755,size=65536k"));
        /* without a network namespace of its own, a rootless container cannot mount sysfs */
        if (is_net_host)
                json_array_append_new(mounts, mount_new("/sys", "bind", "/sys",
                                                        "rprivate,nosuid,noexec,nodev,ro,rbind"));
        else
                json_array_append_new(mounts, mount_new("/sys", "sysfs", "sysfs",
                                                        is_priv ? "rprivate,nosuid,noexec,nodev,rw"
                                                                : "nosuid,noexec,nodev,ro"));
        json_array_append_new(mounts, mount_new("/dev/pts", "devpts", "devpts",
                                                "nosuid,noexec,newinstance,ptmxmode=0666,"
                                                "mode=0620,gid=5"));
        if (!is_ipc_host)
                json_array_append_new(mounts, mount_new("/dev/mqueue", "mqueue", "mqueue",
                                                        "nosuid,noexec,nodev"));
        if (is_ipc_host)
                json_array_append_new(mounts, mount_new("/dev/shm", "bind", "/dev/shm",
                                                        "rbind,nosuid,noexec,nodev,rprivate"));
        else if (!streq(jstr(hc, "IpcMode"), "none")) {
                shm = shm_size == (json_int_t) cmd_ctr_defaults.shm_size
                              ? xstrdup("nosuid,noexec,nodev,mode=1777,size=65536k")
                              : xasprintf("nosuid,noexec,nodev,mode=1777,size=%lld",
                                          (long long) shm_size);
                json_array_append_new(mounts, mount_new("/dev/shm", "tmpfs", "shm", shm));
        }
        if (!is_net_host)
                json_array_append_new(mounts, mount_new("/sys/fs/cgroup", "cgroup", "cgroup",
                                                        is_priv ? "rprivate,nosuid,noexec,nodev,"
                                                                  "relatime,rw"
                                                                : "rprivate,nosuid,noexec,nodev,"
                                                                  "relatime,ro"));
}

/* userdata's hosts, resolv.conf and hostname bound over the image's, as podman does. */
static void etc_mounts(json_t *mounts, json_t *den, json_t *net, const struct cmd_spec_env *env)
{
        /* --network none has no name servers: no resolv.conf is written (podman 4) */
        bool has_resolv = !streq(jstr(net, "mode") ? jstr(net, "mode") : "", "none");

        static const char *const files[] = { "hosts", "resolv.conf", "hostname" };

        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                _cleanup_free_ char *src = NULL, *dst = xasprintf("/etc/%s", files[i]);

                if ((i == 0 && jbool(den, "no_hosts")) || (i == 1 && !has_resolv))
                        continue;
                if (has_dest(mounts, dst) || !env->userdata)
                        continue;
                src = xasprintf("%s/%s", env->userdata, files[i]);
                json_array_append_new(mounts, mount_new(dst, "bind", src, "bind,rprivate"));
        }
}

static void device_mounts(json_t *mounts, json_t *hc)
{
        size_t i;
        json_t *d;

        json_array_foreach (json_object_get(hc, "Devices"), i, d) {
                const char *perms = jstr(d, "CgroupPermissions");

                json_array_append_new(mounts, mount_new(jstr(d, "PathInContainer"), "bind",
                                                        jstr(d, "PathOnHost"),
                                                        perms && strchr(perms, 'w')
                                                                ? "slave,nosuid,noexec,rw,rbind"
                                                                : "slave,nosuid,noexec,ro,rbind"));
        }
}

/* Order: den's defaults, replaced by any user mount of the same destination; the user's
 * mounts; the init; the tmpfs of --read-only. */
static json_t *build_mounts(json_t *cfg, json_t *hc, json_t *den, json_t *net,
                            const struct cmd_spec_env *env)
{
        json_t *defaults = json_array(), *mounts = json_array(),
               *user = json_object_get(den, "mounts");
        size_t i;
        json_t *m;

        default_mounts(defaults, hc, env);
        json_array_foreach (defaults, i, m)
                if (!has_dest(user, jstr(m, "destination")))
                        json_array_append(mounts, m);
        json_decref(defaults);
        etc_mounts(mounts, den, net, env);
        json_array_foreach (user, i, m)
                json_array_append(mounts, m);
        device_mounts(mounts, hc);
        if (jstr(den, "init_path"))
                json_array_append_new(mounts,
                                      mount_new(cmd_ctr_defaults.init_dest, "bind",
                                                jstr(den, "init_path"), "bind,ro,rprivate"));
        if (jbool(hc, "ReadonlyRootfs") && jbool(den, "read_only_tmpfs")) {
                static const char *const dirs[] = { "/tmp", "/var/tmp", "/run" };

                for (size_t k = 0; k < ARRAY_SIZE(dirs); k++)
                        if (!has_dest(mounts, dirs[k]))
                                json_array_append_new(mounts, mount_new(dirs[k], "tmpfs", "tmpfs",
                                                                        "rw,rprivate,nosuid,nodev,"
                                                                        "tmpcopyup"));
        }
        (void) cfg;
        return mounts;
}

/* maskedPaths and readonlyPaths: podman's lists, none with --privileged; --security-opt mask=
 * adds, unmask= removes (ALL: every default). */
static void masked_paths(json_t *lx, json_t *hc, json_t *den)
{
        json_t *masked = json_array(), *ro = json_array(), *unmask = json_object_get(den, "unmask");
        bool is_unmask_all = false;
        size_t i;
        json_t *v;

        json_array_foreach (unmask, i, v)
                is_unmask_all |= streq(json_string_value(v), "ALL");
        if (!jbool(hc, "Privileged") && !is_unmask_all) {
                for (i = 0; cmd_ctr_defaults.masked_paths[i]; i++) {
                        const char *p = cmd_ctr_defaults.masked_paths[i];
                        bool is_unmasked = false;
                        size_t k;

                        json_array_foreach (unmask, k, v)
                                is_unmasked |= streq(json_string_value(v), p);
                        if (!is_unmasked)
                                push(masked, p);
                }
                for (i = 0; cmd_ctr_defaults.readonly_paths[i]; i++) {
                        const char *p = cmd_ctr_defaults.readonly_paths[i];
                        bool is_unmasked = false;
                        size_t k;

                        json_array_foreach (unmask, k, v)
                                is_unmasked |= streq(json_string_value(v), p);
                        if (!is_unmasked)
                                push(ro, p);
                }
        }
        json_array_foreach (json_object_get(den, "mask"), i, v)
                json_array_append(masked, v);
        json_object_set_new(lx, "maskedPaths", masked);
        json_object_set_new(lx, "readonlyPaths", ro);
}

/* ---------------------------------------------------------------- namespaces and mappings */

static int ns_add(json_t *nss, const char *type, const char *mode, pid_t pid, const char *nsname,
                  den_error **err)
{
        _cleanup_free_ char *path = NULL;

        if (mode && streq(mode, "host"))
                return 0;
        if (mode && den_str_has_prefix(mode, "ns:"))
                path = xstrdup(mode + 3);
        else if (mode && den_str_has_prefix(mode, "container:")) {
                if (pid <= 0)
                        return den_error_set(err, 0,
                                             "%s namespace of %s: the container is not "
                                             "running",
                                             type, mode + 10);
                path = xasprintf("/proc/%d/ns/%s", (int) pid, nsname);
        }
        json_array_append_new(nss, path ? json_pack("{s:s, s:s}", "type", type, "path", path)
                                        : json_pack("{s:s}", "type", type));
        return 0;
}

static uint32_t ns_size(const struct rt_idmap *m, size_t n)
{
        uint64_t max = 0;

        for (size_t i = 0; i < n; i++)
                if ((uint64_t) m[i].container_id + m[i].size > max)
                        max = (uint64_t) m[i].container_id + m[i].size;
        return max > UINT32_MAX ? UINT32_MAX : (uint32_t) max;
}

static void map_add(json_t *maps, uint64_t c, uint64_t h, uint64_t n)
{
        if (n > 0)
                json_array_append_new(maps,
                                      json_pack("{s:I, s:I, s:I}", "containerID", (json_int_t) c,
                                                "hostID", (json_int_t) h, "size", (json_int_t) n));
}

/* Mappings of the container's nested user namespace, in ids of den's namespace (0 is the
 * user, 1.. the subordinate ids). keep-id: the container's id U is the user (den's 0), the
 * ids below U are den's 1..U, and the ids above stay where they are. */
static int id_mappings(json_t *u, const char *kind, uint32_t n, uint32_t keep, json_t **ret,
                       den_error **err)
{
        const char *mode = jstr(u, "mode");
        json_t *maps = json_array();
        size_t i;
        json_t *m;

        if (streq(mode, "keep-id")) {
                if ((uint64_t) keep + 1 <= n) {
                        map_add(maps, 0, 1, keep);
                        map_add(maps, keep, 0, 1);
                        map_add(maps, (uint64_t) keep + 1, (uint64_t) keep + 1, n - keep - 1);
                } else {
                        map_add(maps, 0, 1, n - 1);
                        map_add(maps, keep, 0, 1);
                }
        } else if (streq(mode, "nomap")) {
                if (n <= 1) {
                        json_decref(maps);
                        return den_error_set(err, 0, "--userns=nomap needs subordinate %ss", kind);
                }
                map_add(maps, 0, 1, n - 1);
        } else {
                json_array_foreach (json_object_get(u, streq(kind, "uid") ? "uidmap" : "gidmap"), i,
                                    m) {
                        json_int_t c = json_integer_value(json_object_get(m, "container_id"));
                        json_int_t h = json_integer_value(json_object_get(m, "host_id"));
                        json_int_t s = json_integer_value(json_object_get(m, "size"));

                        if (h + s > (json_int_t) n) {
                                json_decref(maps);
                                return den_error_set(err, 0,
                                                     "--%smap %lld:%lld:%lld: the host "
                                                     "range is outside den's user namespace "
                                                     "(0-%u)",
                                                     kind, (long long) c, (long long) h,
                                                     (long long) s, n - 1);
                        }
                        map_add(maps, (uint64_t) c, (uint64_t) h, (uint64_t) s);
                }
        }
        *ret = maps;
        return 0;
}

int cmd_spec_idmaps(json_t *config, const struct cmd_spec_env *env, json_t **ret_uids,
                    json_t **ret_gids, den_error **err)
{
        json_t *u = json_object_get(json_object_get(config, "Den"), "userns");
        const char *mode = jstr(u, "mode");
        uint32_t nu = 1, ng = 1, ku = env->host_uid, kg = env->host_gid;

        *ret_uids = *ret_gids = NULL;
        if (!mode || !*mode)
                return 0;
        if (env->userns) {
                nu = ns_size(env->userns->uidmap, env->userns->n_uidmap);
                ng = ns_size(env->userns->gidmap, env->userns->n_gidmap);
        }
        if (json_is_integer(json_object_get(u, "uid")))
                ku = (uint32_t) json_integer_value(json_object_get(u, "uid"));
        if (json_is_integer(json_object_get(u, "gid")))
                kg = (uint32_t) json_integer_value(json_object_get(u, "gid"));
        if (id_mappings(u, "uid", nu, ku, ret_uids, err) < 0)
                return -1;
        if (id_mappings(u, "gid", ng, kg, ret_gids, err) < 0) {
                json_decref(steal_ptr(*ret_uids));
                return -1;
        }
        return 0;
}

static int build_userns(json_t *lx, json_t *nss, json_t *config, const struct cmd_spec_env *env,
                        den_error **err)
{
        json_t *uids = NULL, *gids = NULL;

        if (cmd_spec_idmaps(config, env, &uids, &gids, err) < 0)
                return -1;
        if (!uids)
                return 0;
        json_object_set_new(lx, "uidMappings", uids);
        json_object_set_new(lx, "gidMappings", gids);
        json_array_append_new(nss, json_pack("{s:s}", "type", "user"));
        return 0;
}

static int build_namespaces(json_t *lx, json_t *hc, json_t *config, const struct cmd_spec_env *env,
                            den_error **err)
{
        json_t *nss = json_array();
        const char *net = jstr(hc, "NetworkMode");

        json_object_set_new(lx, "namespaces", nss);
        if (env->netns_fd > 0) {
                _cleanup_free_ char *path = xasprintf("/proc/self/fd/%d", env->netns_fd);

                json_array_append_new(nss,
                                      json_pack("{s:s, s:s}", "type", "network", "path", path));
        }
        if (ns_add(nss, "pid", jstr(hc, "PidMode"), 0, "pid", err) < 0 ||
            (env->netns_fd <= 0 && ns_add(nss, "network", net, env->netns_pid, "net", err) < 0) ||
            ns_add(nss, "ipc", jstr(hc, "IpcMode"), env->ipcns_pid, "ipc", err) < 0 ||
            ns_add(nss, "uts", jstr(hc, "UTSMode"), 0, "uts", err) < 0 ||
            ns_add(nss, "mount", NULL, 0, "mnt", err) < 0 ||
            ns_add(nss, "cgroup", NULL, 0, "cgroup", err) < 0)
                return -1;
        return build_userns(lx, nss, config, env, err);
}

/* ---------------------------------------------------------------- process */

static json_t *build_rlimits(json_t *hc, json_t *den)
{
        json_t *out = json_array();
        size_t i;
        json_t *u;

        if (jbool(den, "ulimit_host")) {
                for (int r = 0; r < RLIM_NLIMITS; r++) {
                        struct rlimit rl;
                        _cleanup_free_ char *name = NULL;

                        if (!cmd_ctr_rlimit_name(r) || getrlimit(r, &rl) < 0)
                                continue;
                        name = xasprintf("RLIMIT_%s", cmd_ctr_rlimit_name(r));
                        for (char *p = name; *p; p++)
                                *p = (char) toupper((unsigned char) *p);
                        json_array_append_new(out, json_pack("{s:s, s:I, s:I}", "type", name,
                                                             "hard", (json_int_t) rl.rlim_max,
                                                             "soft", (json_int_t) rl.rlim_cur));
                }
                return out;
        }
        json_array_foreach (json_object_get(hc, "Ulimits"), i, u) {
                json_int_t soft = json_integer_value(json_object_get(u, "Soft"));
                json_int_t hard = json_integer_value(json_object_get(u, "Hard"));
                struct rlimit rl;
                int res;

                /* -1: den's own limit, as podman does ("the maximum of the current process") */
                if (cmd_ctr_rlimit_parse(jstr(u, "Name"), &res) == 0 && getrlimit(res, &rl) == 0) {
                        if (soft == -1)
                                soft = (json_int_t) rl.rlim_max;
                        if (hard == -1)
                                hard = (json_int_t) rl.rlim_max;
                }
                json_array_append_new(out, json_pack("{s:s, s:I, s:I}", "type", jstr(u, "Name"),
                                                     "hard", hard, "soft", soft));
        }
        return out;
}

static bool env_has_name(json_t *env, const char *name)
{
        size_t n = strlen(name), i;
        json_t *v;

        json_array_foreach (env, i, v)
                if (strncmp(json_string_value(v), name, n) == 0 && json_string_value(v)[n] == '=')
                        return true;
        return false;
}

static json_t *build_args(json_t *cfg, json_t *den)
{
        json_t *args = json_array();

        if (jstr(den, "init_path")) {
                push(args, cmd_ctr_defaults.init_dest);
                push(args, "--");
        }
        json_array_extend(args, json_object_get(cfg, "Entrypoint"));
        json_array_extend(args, json_object_get(cfg, "Cmd"));
        return args;
}

static int build_process(json_t *spec, json_t *cfg, json_t *hc, json_t *den, int root_dfd,
                         const struct cmd_spec_env *env_in, const char *hostname, char **bounding,
                         den_error **err)
{
        json_t *proc = json_object(), *env = json_deep_copy(json_object_get(cfg, "Env"));
        json_t *ju = json_object(), *gids = json_array(), *u = json_object_get(den, "userns");
        const char *user = jstr(cfg, "User"), *wd = jstr(cfg, "WorkingDir");
        _cleanup_free_ char *keep = NULL, *home = NULL, *hn = NULL;
        struct cmd_user pu = { 0 };
        int umask_val = (int) cmd_ctr_defaults.umask;

        if (!json_is_array(env)) {
                json_decref(env);
                env = json_array();
        }
        json_object_set_new(spec, "process", proc);
        json_object_set_new(proc, "env", env);
        json_object_set_new(proc, "user", ju);
        json_object_set_new(ju, "additionalGids", gids);
        if ((!user || !*user) && streq(jstr(u, "mode"), "keep-id")) {
                json_t *ku = json_object_get(u, "uid"), *kg = json_object_get(u, "gid");

                keep = xasprintf(
                        "%lld:%lld",
                        ku ? (long long) json_integer_value(ku) : (long long) env_in->host_uid,
                        kg ? (long long) json_integer_value(kg) : (long long) env_in->host_gid);
                user = keep;
        }
        if (cmd_user_resolve(root_dfd, user ? user : "", json_object_get(hc, "GroupAdd"), &pu,
                             err) < 0)
                return -1;
        json_object_set_new(proc, "terminal", json_boolean(jbool(cfg, "Tty")));
        json_object_set_new(ju, "uid", json_integer(pu.uid));
        json_object_set_new(ju, "gid", json_integer(pu.gid));
        if (jstr(cfg, "Umask"))
                (void) sscanf(jstr(cfg, "Umask"), "%o", &umask_val);
        json_object_set_new(ju, "umask", json_integer(umask_val));
        for (size_t i = 0; i < pu.n_gids; i++)
                json_array_append_new(gids, json_integer(pu.gids[i]));
        json_object_set_new(proc, "args", build_args(cfg, den));
        if (json_array_size(json_object_get(proc, "args")) == 0) {
                cmd_user_clear(&pu);
                return den_error_set(err, 0,
                                     "no command or entrypoint provided, and no CMD or "
                                     "ENTRYPOINT from image");
        }
        hn = hostname ? xasprintf("HOSTNAME=%s", hostname) : NULL;
        home = xasprintf("HOME=%s", pu.home);
        cmd_user_clear(&pu);
        if (hn && !env_has_name(env, "HOSTNAME"))
                push(env, hn);
        if (!env_has_name(env, "HOME"))
                push(env, home);
        json_object_set_new(proc, "cwd",
                            wd && wd[0] == '/' ? json_string(wd)
                                               : json_sprintf("/%s", wd ? wd : ""));
        json_object_set_new(proc, "capabilities", caps_json(bounding, hc, pu.uid == 0));
        json_object_set_new(proc, "rlimits", build_rlimits(hc, den));
        json_object_set_new(proc, "noNewPrivileges", json_boolean(jbool(den, "no_new_privs")));
        return 0;
}

/* ---------------------------------------------------------------- linux */

static void build_resources(json_t *lx, json_t *hc)
{
        json_t *res = json_object();
        json_int_t mem = json_integer_value(json_object_get(hc, "Memory"));
        json_int_t nano = json_integer_value(json_object_get(hc, "NanoCpus"));
        json_int_t pids = json_integer_value(json_object_get(hc, "PidsLimit"));

        if (mem > 0)
                json_object_set_new(res, "memory", json_pack("{s:I}", "limit", mem));
        if (nano > 0)
                json_object_set_new(res, "cpu",
                                    json_pack("{s:I, s:I}", "quota", nano / 10000, "period",
                                              (json_int_t) 100000));
        if (pids > 0)
                json_object_set_new(res, "pids", json_pack("{s:I}", "limit", pids));
        json_object_set_new(lx, "resources", res);
}

static int build_seccomp(json_t *lx, json_t *hc, json_t *den, char **bounding, den_error **err)
{
        const char *which = jstr(den, "seccomp");
        struct rt_seccomp *p = NULL;
        struct rt_seccomp_target t = { .caps = bounding };
        json_t *oci;
        int r;

        if (jbool(hc, "Privileged") || (which && streq(which, "unconfined")))
                return 0;
        if (!which || streq(which, "default"))
                r = rt_seccomp_default(&p, err);
        else
                r = rt_seccomp_parse_file(which, &p, err);
        if (r < 0)
                return den_error_wrap(err, "seccomp profile");
        if (rt_seccomp_is_unconfined(p)) {
                rt_seccomp_free(p);
                return 0;
        }
        oci = rt_seccomp_to_oci(p, &t, err);
        rt_seccomp_free(p);
        if (!oci)
                return den_error_wrap(err, "seccomp profile");
        json_object_set_new(lx, "seccomp", oci);
        return 0;
}

static json_t *build_sysctl(json_t *hc)
{
        json_t *s = json_deep_copy(json_object_get(hc, "Sysctls"));

        if (!json_is_object(s)) {
                json_decref(s);
                s = json_object();
        }
        /* podman lets root of the container use ICMP sockets (ping) in its own network */
        if (!streq(jstr(hc, "NetworkMode"), "host") &&
            !json_object_get(s, "net.ipv4.ping_group_range"))
                json_object_set_new(s, "net.ipv4.ping_group_range", json_string("0 0"));
        return s;
}

int cmd_spec_build(json_t *config, const struct cmd_spec_env *env, json_t **ret_spec,
                   den_error **err)
{
        json_t *cfg = json_object_get(config, "Config"),
               *hc = json_object_get(config, "HostConfig");
        json_t *den = json_object_get(config, "Den"), *lx;
        json_auto_t *spec = json_pack("{s:s}", "ociVersion", "1.1.0");
        _cleanup_strv_ char **bounding = NULL;
        _cleanup_free_ char *hostname = NULL;
        _cleanup_close_ int root_dfd = -EBADF;
        const char *h = jstr(cfg, "Hostname");

        if (!json_is_object(cfg) || !json_is_object(hc) || !json_is_object(den))
                return den_error_set(err, EINVAL, "container configuration is incomplete");
        lx = json_object(); /* the spec owns it from here */
        json_object_set_new(spec, "linux", lx);
        root_dfd = open(env->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_dfd < 0)
                return den_error_set(err, errno, "open rootfs \"%s\"", env->rootfs);
        if (!streq(jstr(hc, "UTSMode") ?: "", "host"))
                hostname = h && *h ? xstrdup(h) : xstrndup(env->id ? env->id : "", 12);
        bounding = caps_bounding(hc);
        if (build_process(spec, cfg, hc, den, root_dfd, env, hostname, bounding, err) < 0)
                return -1;
        json_object_set_new(spec, "root",
                            json_pack("{s:s, s:b}", "path", env->rootfs, "readonly",
                                      jbool(hc, "ReadonlyRootfs")));
        if (hostname)
                json_object_set_new(spec, "hostname", json_string(hostname));
        if (hostname && jstr(cfg, "Domainname") && *jstr(cfg, "Domainname"))
                json_object_set_new(spec, "domainname", json_string(jstr(cfg, "Domainname")));
        json_object_set_new(spec, "mounts",
                            build_mounts(cfg, hc, den, json_object_get(config, "Network"), env));
        json_object_set_new(spec, "annotations",
                            json_is_object(json_object_get(cfg, "Annotations"))
                                    ? json_deep_copy(json_object_get(cfg, "Annotations"))
                                    : json_object());
        if (build_namespaces(lx, hc, config, env, err) < 0)
                return -1;
        masked_paths(lx, hc, den);
        build_resources(lx, hc);
        json_object_set_new(lx, "sysctl", build_sysctl(hc));
        if (build_seccomp(lx, hc, den, bounding, err) < 0)
                return -1;
        *ret_spec = steal_ptr(spec);
        return 0;
}
