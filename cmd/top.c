/* den top CONTAINER [DESCRIPTORS...]: the processes of a running container as a ps-like
 * table, with podman's (psgo's) descriptors, headers and value formats.
 *
 * The container's processes are the host's processes in the init's pid namespace (the
 * inode of /proc/PID/ns/pid). Values are shown as the container sees them: pids from the
 * last NSpid field, user and group ids through the init's uid_map and gid_map, names from
 * the container's /etc/passwd and /etc/group. Everything read from /proc of a container
 * process and from its root is untrusted text: read with bounds, parsed defensively, the
 * root's files opened only with den_open_in_root. Runs in the user's own namespaces, where
 * the user owns the container's user namespace and may read its processes' /proc. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include "ctr-run.h"

#define PROC_TEXT_MAX (64u << 10)
#define ID_FILE_MAX (4u << 20)

struct proc {
        pid_t hpid, pid, ppid, pgid; /* host pid; the others as the container sees them */
        pid_t hppid, hpgid;
        char state;
        unsigned long long ticks, start_ticks, vsize;
        long long rss_pages, nice, tty;
        uint32_t hruid, heuid, hrgid, hegid; /* in the user's namespace */
        char *comm, *args;
};

struct top_ctx {
        struct proc *v;
        size_t n;
        struct rt_idmap *uidmap, *gidmap;
        size_t n_uidmap, n_gidmap;
        char *passwd, *group; /* the container's files, NULL when unreadable */
        int64_t now_ns;
        uint64_t btime;
        long ticks_per_s;
};

enum desc_kind {
        D_PCPU,
        D_GROUP,
        D_NICE,
        D_PID,
        D_PGID,
        D_PPID,
        D_USER,
        D_ARGS,
        D_COMM,
        D_RGROUP,
        D_RUSER,
        D_TIME,
        D_TTY,
        D_VSZ,
        D_ETIME,
        D_RSS,
        D_STATE,
        D_HPID,
        D_HUSER,
        D_HGROUP,
};

struct desc {
        const char *name, *aix, *header;
        enum desc_kind kind;
};

static const struct desc descs[] = {
        { "pcpu", "%C", "%CPU", D_PCPU },      { "group", "%G", "GROUP", D_GROUP },
        { "nice", "%n", "NI", D_NICE },        { "pid", "%p", "PID", D_PID },
        { "pgid", "%r", "PGID", D_PGID },      { "ppid", "%P", "PPID", D_PPID },
        { "user", "%U", "USER", D_USER },      { "args", "%a", "COMMAND", D_ARGS },
        { "comm", "%c", "COMMAND", D_COMM },   { "rgroup", "%g", "RGROUP", D_RGROUP },
        { "ruser", "%u", "RUSER", D_RUSER },   { "time", "%x", "TIME", D_TIME },
        { "tty", "%y", "TTY", D_TTY },         { "vsz", "%z", "VSZ", D_VSZ },
        { "etime", "%t", "ELAPSED", D_ETIME }, { "rss", NULL, "RSS", D_RSS },
        { "state", NULL, "STATE", D_STATE },   { "hpid", NULL, "HPID", D_HPID },
        { "huser", NULL, "HUSER", D_HUSER },   { "hgroup", NULL, "HGROUP", D_HGROUP },
};

static const char *const default_descs[] = { "user",  "pid", "ppid", "pcpu",
                                             "etime", "tty", "time", "args" };

static const struct desc *desc_find(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(descs); i++)
                if (streq(descs[i].name, name) || (descs[i].aix && streq(descs[i].aix, name)))
                        return &descs[i];
        return NULL;
}

/* The descriptors from the arguments after the container: words, each possibly a
 * comma-separated list, as podman accepts them. */
static int descs_parse(char *const *args, size_t n, const struct desc ***ret, size_t *ret_n,
                       den_error **err)
{
        const struct desc **v = NULL;
        size_t k = 0;

        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *copy = xstrdup(args[i]);
                char *save = NULL;

                for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
                        const struct desc *d = desc_find(t);

                        if (!d) {
                                free(v);
                                return den_error_set(err, 0, "'%s': unknown descriptor", t);
                        }
                        v = xrealloc(v, (k + 1) * sizeof(*v));
                        v[k++] = d;
                }
        }
        if (k == 0)
                for (size_t i = 0; i < ARRAY_SIZE(default_descs); i++) {
                        v = xrealloc(v, (k + 1) * sizeof(*v));
                        v[k++] = desc_find(default_descs[i]);
                }
        *ret = v;
        *ret_n = k;
        return 0;
}

/* ---------------------------------------------------------------- Go's Duration.String */

static void trimmed_frac(struct den_buf *b, uint64_t whole, uint64_t frac, int digits,
                         const char *unit)
{
        char f[24];

        den_buf_printf(b, "%llu", (unsigned long long) whole);
        if (frac) {
                (void) snprintf(f, sizeof(f), "%0*llu", digits, (unsigned long long) frac);
                for (size_t l = strlen(f); l > 0 && f[l - 1] == '0'; l--)
                        f[l - 1] = '\0';
                den_buf_printf(b, ".%s", f);
        }
        den_buf_puts(b, unit);
}

static void go_duration(struct den_buf *b, uint64_t ns)
{
        const uint64_t s = 1000000000ull;

        if (ns == 0)
                den_buf_puts(b, "0s");
        else if (ns < 1000)
                den_buf_printf(b, "%lluns", (unsigned long long) ns);
        else if (ns < 1000000)
                trimmed_frac(b, ns / 1000, ns % 1000, 3, "\u00b5s");
        else if (ns < s)
                trimmed_frac(b, ns / 1000000, ns % 1000000, 6, "ms");
        else {
                uint64_t h = ns / (3600 * s), m = ns / (60 * s) % 60;

                if (h)
                        den_buf_printf(b, "%lluh", (unsigned long long) h);
                if (h || m)
                        den_buf_printf(b, "%llum", (unsigned long long) m);
                trimmed_frac(b, ns / s % 60, ns % s, 9, "s");
        }
}

/* ---------------------------------------------------------------- ids and names */

/* An id in the user's namespace as the container sees it (65534 when it has none there). */
static uint32_t id_inside(const struct rt_idmap *m, size_t n, uint32_t host)
{
        for (size_t i = 0; i < n; i++)
                if (host >= m[i].host_id && host - m[i].host_id < m[i].size)
                        return m[i].container_id + (host - m[i].host_id);
        return 65534;
}

/* The name of id in passwd or group text ("name:x:id:..."), else the number. */
static char *id_name(const char *text, uint32_t id)
{
        for (const char *l = text; l && *l;) {
                const char *nl = strchr(l, '\n');
                size_t len = nl ? (size_t) (nl - l) : strlen(l);
                const char *c1 = memchr(l, ':', len);
                const char *c2 = c1 ? memchr(c1 + 1, ':', len - (size_t) (c1 + 1 - l)) : NULL;
                uint64_t v;

                if (c1 && c2 && c1 > l) {
                        const char *end = memchr(c2 + 1, ':', len - (size_t) (c2 + 1 - l));
                        _cleanup_free_ char *num =
                                xstrndup(c2 + 1, end ? (size_t) (end - c2 - 1)
                                                     : len - (size_t) (c2 + 1 - l));

                        if (den_parse_u64(num, &v) == 0 && v == id)
                                return xstrndup(l, (size_t) (c1 - l));
                }
                l = nl ? nl + 1 : NULL;
        }
        return xasprintf("%u", id);
}

static char *host_user_name(uint32_t uid, bool is_group)
{
        _cleanup_free_ char *text = NULL;

        (void) den_read_file_at(AT_FDCWD, is_group ? "/etc/group" : "/etc/passwd", ID_FILE_MAX,
                                &text, NULL);
        return id_name(text, uid);
}

/* uid_map / gid_map of the init as "inside outside count" lines (outside = our ids). */
static void idmap_read(pid_t pid, const char *file, struct rt_idmap **ret, size_t *ret_n)
{
        _cleanup_free_ char *text = NULL;
        char path[64];
        size_t n = 0;
        const char *p;

        *ret = NULL;
        *ret_n = 0;
        (void) snprintf(path, sizeof(path), "/proc/%d/%s", (int) pid, file);
        if (den_read_file_at(AT_FDCWD, path, PROC_TEXT_MAX, &text, NULL) < 0)
                return;
        for (p = text; *p && n < 340;) {
                unsigned a, b, c;
                int used = 0;

                if (sscanf(p, "%u %u %u%n", &a, &b, &c, &used) != 3 || used <= 0)
                        break;
                *ret = xrealloc(*ret, (n + 1) * sizeof(**ret));
                (*ret)[n++] = (struct rt_idmap){ .container_id = a, .host_id = b, .size = c };
                p += used;
                while (*p == '\n' || *p == ' ')
                        p++;
        }
        *ret_n = n;
}

/* ---------------------------------------------------------------- /proc */

static void proc_clear(struct proc *p)
{
        free(p->comm);
        free(p->args);
}

/* Fields of /proc/PID/stat after the command (which may hold spaces and parentheses). */
static bool stat_parse(const char *text, struct proc *p)
{
        const char *r = strrchr(text, ')');
        unsigned long long f[23] = { 0 };
        char st = '?';
        int n;

        if (!r)
                return false;
        n = sscanf(r + 2,
                   "%c %llu %llu %*u %llu %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %lld "
                   "%*d %*d %llu %llu %lld",
                   &st, &f[0], &f[1], &f[2], &f[3], &f[4], (long long *) &f[5], &f[6], &f[7],
                   (long long *) &f[8]);
        if (n != 10)
                return false;
        p->state = st;
        p->hppid = (pid_t) f[0];
        p->hpgid = (pid_t) f[1];
        p->tty = (long long) f[2];
        p->ticks = f[3] + f[4];
        p->nice = (long long) f[5];
        p->start_ticks = f[6];
        p->vsize = f[7];
        p->rss_pages = (long long) f[8];
        return true;
}

/* The last NSpid field and the Uid/Gid lines of /proc/PID/status. */
static bool status_parse(const char *text, struct proc *p)
{
        bool has_pid = false, has_uid = false, has_gid = false;

        for (const char *l = text; l && *l;) {
                const char *nl = strchr(l, '\n');

                if (den_str_has_prefix(l, "NSpid:")) {
                        const char *e = nl ? nl : l + strlen(l);
                        const char *q = e;

                        while (q > l && (q[-1] == ' ' || q[-1] == '\t'))
                                q--;
                        while (q > l && q[-1] >= '0' && q[-1] <= '9')
                                q--;
                        p->pid = (pid_t) strtol(q, NULL, 10);
                        has_pid = true;
                } else if (den_str_has_prefix(l, "Uid:")) {
                        has_uid = sscanf(l + 4, "%u %u", &p->hruid, &p->heuid) == 2;
                } else if (den_str_has_prefix(l, "Gid:")) {
                        has_gid = sscanf(l + 4, "%u %u", &p->hrgid, &p->hegid) == 2;
                }
                l = nl ? nl + 1 : NULL;
        }
        return has_pid && has_uid && has_gid;
}

static char *cmdline_text(int pdfd, const char *comm)
{
        _cleanup_free_ char *raw = NULL;
        size_t n = 0;

        if (den_read_file_at(pdfd, "cmdline", PROC_TEXT_MAX, &raw, &n) < 0 || n == 0)
                return xasprintf("[%s]", comm);
        /* psgo joins the arguments with a space after each, the last one included */
        for (size_t i = 0; i < n; i++)
                if (raw[i] == '\0')
                        raw[i] = ' ';
        return steal_ptr(raw);
}

/* Reads one process; false when it is not the container's (or is gone). */
static bool proc_read(int proc_dfd, const char *name, ino_t pidns, struct proc *p)
{
        _cleanup_close_ int pdfd = openat(proc_dfd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_free_ char *stat_text = NULL;
        _cleanup_free_ char *status = NULL;
        _cleanup_free_ char *comm = NULL;
        struct stat st;

        if (pdfd < 0 || fstatat(pdfd, "ns/pid", &st, 0) < 0 || st.st_ino != pidns)
                return false;
        if (den_read_file_at(pdfd, "stat", PROC_TEXT_MAX, &stat_text, NULL) < 0 ||
            den_read_file_at(pdfd, "status", PROC_TEXT_MAX, &status, NULL) < 0 ||
            den_read_file_at(pdfd, "comm", 256, &comm, NULL) < 0)
                return false;
        *p = (struct proc){ .hpid = (pid_t) strtol(name, NULL, 10) };
        if (!stat_parse(stat_text, p) || !status_parse(status, p))
                return false;
        comm[strcspn(comm, "\n")] = '\0';
        p->args = cmdline_text(pdfd, comm);
        p->comm = steal_ptr(comm);
        return true;
}

static int by_pid(const void *a, const void *b)
{
        const struct proc *x = a, *y = b;

        return (x->pid > y->pid) - (x->pid < y->pid);
}

/* A host pid as the container sees it: one of its processes, else 0 (outside). */
static pid_t pid_inside(const struct top_ctx *t, pid_t host)
{
        for (size_t i = 0; i < t->n; i++)
                if (t->v[i].hpid == host)
                        return t->v[i].pid;
        return 0;
}

static int procs_read(struct top_ctx *t, pid_t init, den_error **err)
{
        _cleanup_closedir_ DIR *d = opendir("/proc");
        struct dirent *de;
        struct stat st;
        char path[64];

        (void) snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int) init);
        if (stat(path, &st) < 0)
                return den_error_set(err, errno, "stat %s", path);
        if (!d)
                return den_error_set(err, errno, "open /proc");
        while ((de = readdir(d))) {
                struct proc p;

                if (de->d_name[0] < '1' || de->d_name[0] > '9')
                        continue;
                if (!proc_read(dirfd(d), de->d_name, st.st_ino, &p))
                        continue;
                t->v = xrealloc(t->v, (t->n + 1) * sizeof(*t->v));
                t->v[t->n++] = p;
        }
        for (size_t i = 0; i < t->n; i++) {
                t->v[i].ppid = pid_inside(t, t->v[i].hppid);
                t->v[i].pgid = pid_inside(t, t->v[i].hpgid);
        }
        qsort(t->v, t->n, sizeof(*t->v), by_pid);
        return 0;
}

/* The container's /etc/passwd and /etc/group through the init's root; NULL when absent. */
static void id_files_read(struct top_ctx *t, pid_t init)
{
        _cleanup_close_ int root = -EBADF;
        char path[64];

        (void) snprintf(path, sizeof(path), "/proc/%d/root", (int) init);
        root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root < 0)
                return;
        for (int i = 0; i < 2; i++) {
                _cleanup_close_ int fd =
                        den_open_in_root(root, i ? "/etc/group" : "/etc/passwd", O_RDONLY, 0);
                struct stat st;

                if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                        continue;
                (void) den_read_fd(fd, ID_FILE_MAX, i ? &t->group : &t->passwd, NULL);
        }
}

static uint64_t btime_read(void)
{
        _cleanup_free_ char *text = NULL;
        const char *p;
        unsigned long long v = 0;

        if (den_read_file_at(AT_FDCWD, "/proc/stat", 1u << 20, &text, NULL) < 0)
                return 0;
        p = strstr(text, "\nbtime ");
        if (p)
                (void) sscanf(p + 7, "%llu", &v);
        return v;
}

/* ---------------------------------------------------------------- the table */

static void tty_name(struct den_buf *b, long long tty)
{
        unsigned major = (unsigned) ((tty >> 8) & 0xfff);
        unsigned minor = (unsigned) ((tty & 0xff) | ((tty >> 12) & 0xfff00));

        if (tty == 0)
                den_buf_puts(b, "?");
        else if (major >= 136 && major <= 143)
                den_buf_printf(b, "pts/%u", minor + (major - 136) * 256);
        else if (major == 4 && minor < 64)
                den_buf_printf(b, "tty%u", minor);
        else
                den_buf_puts(b, "?");
}

static void cell(struct den_buf *b, const struct top_ctx *t, const struct proc *p, enum desc_kind k)
{
        /* psgo: start = boot time + start ticks, both in whole seconds */
        int64_t start_ns =
                (int64_t) (t->btime + p->start_ticks / (uint64_t) t->ticks_per_s) * 1000000000;
        int64_t elapsed = t->now_ns > start_ns ? t->now_ns - start_ns : 0;
        uint64_t cpu_s = p->ticks / (uint64_t) t->ticks_per_s;
        _cleanup_free_ char *name = NULL;

        switch (k) {
        case D_PCPU:
                den_buf_printf(b, "%.3f",
                               elapsed > 0 ? 100.0 * (double) cpu_s / ((double) elapsed / 1e9)
                                           : 0.0);
                return;
        case D_USER:
        case D_RUSER:
                name = id_name(t->passwd, id_inside(t->uidmap, t->n_uidmap,
                                                    k == D_USER ? p->heuid : p->hruid));
                break;
        case D_GROUP:
        case D_RGROUP:
                name = id_name(t->group, id_inside(t->gidmap, t->n_gidmap,
                                                   k == D_GROUP ? p->hegid : p->hrgid));
                break;
        case D_HUSER:
                name = host_user_name(p->heuid, false);
                break;
        case D_HGROUP:
                name = host_user_name(p->hegid, true);
                break;
        case D_NICE:
                den_buf_printf(b, "%lld", p->nice);
                return;
        case D_PID:
                den_buf_printf(b, "%d", (int) p->pid);
                return;
        case D_PGID:
                den_buf_printf(b, "%d", (int) p->pgid);
                return;
        case D_PPID:
                den_buf_printf(b, "%d", (int) p->ppid);
                return;
        case D_HPID:
                den_buf_printf(b, "%d", (int) p->hpid);
                return;
        case D_ARGS:
                den_buf_puts(b, p->args);
                return;
        case D_COMM:
                den_buf_puts(b, p->comm);
                return;
        case D_TIME:
                go_duration(b, cpu_s * 1000000000ull);
                return;
        case D_ETIME:
                go_duration(b, (uint64_t) elapsed);
                return;
        case D_TTY:
                tty_name(b, p->tty);
                return;
        case D_VSZ:
                den_buf_printf(b, "%llu", p->vsize / 1024);
                return;
        case D_RSS:
                den_buf_printf(b, "%lld", p->rss_pages * (sysconf(_SC_PAGESIZE) / 1024));
                return;
        case D_STATE:
                den_buf_printf(b, "%c", p->state);
                return;
        default:
                return;
        }
        den_buf_puts(b, name);
}

static void top_clear(struct top_ctx *t)
{
        for (size_t i = 0; i < t->n; i++)
                proc_clear(&t->v[i]);
        free(t->v);
        free(t->uidmap);
        free(t->gidmap);
        free(t->passwd);
        free(t->group);
}

static int print_table(const struct top_ctx *t, const struct desc **d, size_t nd, den_error **err)
{
        _cleanup_(den_buf_free) struct den_buf in = { 0 };
        _cleanup_(den_buf_free) struct den_buf out = { 0 };

        for (size_t j = 0; j < nd; j++)
                den_buf_printf(&in, "%s%s", d[j]->header, j + 1 < nd ? "\t" : "\n");
        for (size_t i = 0; i < t->n; i++)
                for (size_t j = 0; j < nd; j++) {
                        cell(&in, t, &t->v[i], d[j]->kind);
                        den_buf_puts(&in, j + 1 < nd ? "\t" : "\n");
                }
        if (cmd_tabwrite(in.data, in.len, &out, err) < 0)
                return -1;
        fwrite(out.data, 1, out.len, stdout);
        return 0;
}

static int run(struct cmd_ctx *ctx, const struct cmd_args *a, den_error **err)
{
        _cleanup_(cmd_ctr_freep) struct cmd_ctr *c = NULL;
        _cleanup_free_ const struct desc **d = NULL;
        struct top_ctx t = { .ticks_per_s = sysconf(_SC_CLK_TCK) };
        struct timespec now;
        struct store *s;
        size_t nd = 0;
        int r;

        if (descs_parse(a->pos + 1, a->n_pos - 1, &d, &nd, err) < 0)
                return -1;
        if (cmd_ctx_store(ctx, false, &s, err) < 0 || cmd_ctr_load(s, a->pos[0], &c, err) < 0)
                return -1;
        if (!cmd_ctr_is_running(c) || c->pid <= 0)
                return den_error_set(err, 0, "top can only be used on running containers");
        if (t.ticks_per_s <= 0)
                t.ticks_per_s = 100;
        clock_gettime(CLOCK_REALTIME, &now);
        t.now_ns = (int64_t) now.tv_sec * 1000000000 + now.tv_nsec;
        t.btime = btime_read();
        idmap_read(c->pid, "uid_map", &t.uidmap, &t.n_uidmap);
        idmap_read(c->pid, "gid_map", &t.gidmap, &t.n_gidmap);
        id_files_read(&t, c->pid);
        r = procs_read(&t, c->pid, err);
        if (r == 0)
                r = print_table(&t, d, nd, err);
        top_clear(&t);
        return r;
}

static const struct cmd_opt opts[] = { { 0 } };

const struct cmd cmd_top = {
        .name = "top",
        .aliases = { "container top" },
        .usage = "CONTAINER [FORMAT-DESCRIPTORS...]",
        .summary = "Display the running processes of a container",
        .description = "Format descriptors: args comm etime group hgroup hpid huser nice pcpu pgid "
                       "pid ppid rgroup rss ruser state time tty user vsz (and AIX codes such as "
                       "%C %p %U).",
        .opts = opts,
        .min_args = 1,
        .max_args = -1,
        .flags = CMD_F_STOP_AT_ARG,
        .run = run,
};
