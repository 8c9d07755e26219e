/* den exec: a new process in a running container.
 *
 * den stays in the user's own namespaces to read what it needs (the container's record, its
 * bundle's config.json, and for --user the container's /etc/passwd and /etc/group through
 * /proc/<init>/root), builds the OCI "process" object, and then rt_exec joins the
 * container's namespaces, user namespace first: the user owns it, so no namespace of den's
 * own is created. The process is den's child; den waits for it, forwards signals and, with a
 * terminal, copies between its stdio and the pty. With --detach a small waiter process takes
 * that place, so the process keeps running after den returns.
 *
 * Trust: the record and config.json are den's. The container's root is not: its passwd and
 * group files are opened only through den_open_in_root below the init's root directory. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include "ctr-run.h"

#define MAX_CONFIG (4u << 20) /* config.json, as the runtime bounds it */

struct exec_opts {
        bool is_interactive;
        bool is_tty;
        bool is_detach;
        bool is_privileged;
        const char *user;
        const char *workdir;
        char **env;
        char **env_files;
};

/* ---------------------------------------------------------------- the container */

static int find_ctr(struct cmd_ctx *ctx, const struct cmd_args *a, bool is_latest,
                    struct cmd_ctr **ret, den_error **err)
{
        struct store *s;

        if (cmd_ctx_store(ctx, false, &s, err) < 0)
                return -1;
        if (is_latest) {
                struct cmd_ctr **v = NULL;
                size_t n = 0;

                if (cmd_ctr_load_all_brief(s, &v, &n, err) < 0)
                        return -1;
                if (n == 0) {
                        cmd_ctrs_free(v, n);
                        return den_error_set_plain(err, ENOENT, "no containers to exec in");
                }
                *ret = steal_ptr(v[0]);
                cmd_ctrs_free(v, n);
                if (cmd_ctr_load_config(s, *ret, err) < 0) {
                        cmd_ctr_free(steal_ptr(*ret));
                        return -1;
                }
        } else if (cmd_ctr_load(s, a->pos[0], ret, err) < 0) {
                return -1;
        }
        if (!cmd_ctr_is_running(*ret) || (*ret)->pid <= 0) {
                cmd_ctr_free(steal_ptr(*ret));
                return den_error_set_plain(err, 0,
                                           "can only create exec sessions on running containers: "
                                           "container state improper");
        }
        return 0;
}

/* ---------------------------------------------------------------- environment */

static int env_apply(json_t *env, const struct exec_opts *o, den_error **err)
{
        for (char **f = o->env_files; f && *f; f++)
                if (cmd_env_file_add(env, *f, err) < 0)
                        return -1;
        for (char **e = o->env; e && *e; e++)
                if (cmd_env_add_arg(env, *e, err) < 0)
                        return -1;
        return 0;
}

/* ---------------------------------------------------------------- capabilities */

/* As at start: a root process gets the bounding set as effective and permitted; another user
 * only what --cap-add asked for, in every set including ambient. --privileged makes the
 * bounding set every capability. */
static json_t *caps_for(const struct cmd_ctr *c, json_t *spec_caps, bool is_root,
                        bool is_privileged)
{
        json_t *b, *added;
        size_t i;
        json_t *v;

        if (is_privileged) {
                b = json_array();
                for (size_t k = 0; rt_cap_names[k]; k++)
                        json_array_append_new(b, json_string(rt_cap_names[k]));
        } else {
                b = json_deep_copy(json_object_get(spec_caps, "bounding"));
                if (!json_is_array(b)) {
                        json_decref(b);
                        b = json_array();
                }
        }
        if (is_root)
                return json_pack("{s:o, s:O, s:O}", "bounding", b, "effective", b, "permitted", b);
        added = json_array();
        json_array_foreach (cmd_ctr_cfg(c, "HostConfig", "CapAdd"), i, v) {
                size_t k;
                json_t *x;

                json_array_foreach (b, k, x)
                        if (json_equal(x, v)) {
                                json_array_append(added, v);
                                break;
                        }
        }
        return json_pack("{s:o, s:O, s:O, s:O, s:o}", "bounding", b, "effective", added,
                         "permitted", added, "inheritable", added, "ambient", added);
}

/* ---------------------------------------------------------------- the process object */

/* The container's process (config.json) with exec's changes: the command, the terminal, the
 * environment, the user, the working directory and, with --user or --privileged, the
 * capabilities. Everything else (rlimits, no_new_privs, umask) stays the container's. */
static int build_process(const struct cmd_ctr *c, json_t *spec, char *const *argv,
                         const struct exec_opts *o, char **ret, den_error **err)
{
        json_auto_t *proc = json_deep_copy(json_object_get(spec, "process"));
        json_t *args = json_array(), *env, *user;
        bool has_user = o->user && *o->user;
        json_int_t uid;

        if (!json_is_object(proc))
                return den_error_set(err, 0, "%s/config.json: no process", c->dir);
        for (char *const *p = argv; *p; p++)
                json_array_append_new(args, json_string(*p));
        json_object_set_new(proc, "args", args);
        json_object_set_new(proc, "terminal", json_boolean(o->is_tty));
        env = json_object_get(proc, "env");
        if (!json_is_array(env)) {
                env = json_array();
                json_object_set_new(proc, "env", env);
        }
        user = json_object_get(proc, "user");
        if (!json_is_object(user)) {
                user = json_object();
                json_object_set_new(proc, "user", user);
        }
        if (has_user) {
                /* the running container's files, through its init's root */
                _cleanup_free_ char *root = xasprintf("/proc/%d/root", (int) c->pid);
                _cleanup_free_ char *home = NULL;
                _cleanup_close_ int root_dfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
                struct cmd_user u = { 0 };
                json_t *gids;

                if (root_dfd < 0)
                        return den_error_set(err, errno, "open the container's root");
                if (cmd_user_resolve(root_dfd, o->user, NULL, &u, err) < 0)
                        return -1;
                gids = json_array();
                for (size_t i = 0; i < u.n_gids; i++)
                        json_array_append_new(gids, json_integer(u.gids[i]));
                json_object_set_new(user, "uid", json_integer(u.uid));
                json_object_set_new(user, "gid", json_integer(u.gid));
                json_object_set_new(user, "additionalGids", gids);
                home = xasprintf("HOME=%s", u.home);
                cmd_env_set(env, home);
                cmd_user_clear(&u);
        }
        if (env_apply(env, o, err) < 0)
                return -1;
        if (o->workdir && *o->workdir) {
                const char *cwd = json_string_value(json_object_get(proc, "cwd"));
                _cleanup_free_ char *wd = o->workdir[0] == '/'
                                                  ? xstrdup(o->workdir)
                                                  : den_path_join(cwd ? cwd : "/", o->workdir);

                json_object_set_new(proc, "cwd", json_string(wd));
        }
        uid = json_integer_value(json_object_get(user, "uid"));
        if (has_user || o->is_privileged)
                json_object_set_new(proc, "capabilities",
                                    caps_for(c, json_object_get(proc, "capabilities"), uid == 0,
                                             o->is_privileged));
        *ret = json_dumps(proc, JSON_COMPACT);
        return 0;
}

/* ---------------------------------------------------------------- running it */

static int wait_status(pid_t pid)
{
        int st;

        while (waitpid(pid, &st, 0) < 0)
                if (errno != EINTR)
                        return 125;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Signals den forwards to the process (podman's sig-proxy set, less the ones that belong to
 * den's own terminal handling). SIGCHLD and SIGWINCH are read too, for the loop's own use. */
static const int proxied_signals[] = {
        SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM
};

static int signals_block(den_error **err)
{
        sigset_t set;
        int fd;

        sigemptyset(&set);
        for (size_t i = 0; i < ARRAY_SIZE(proxied_signals); i++)
                sigaddset(&set, proxied_signals[i]);
        sigaddset(&set, SIGCHLD);
        sigaddset(&set, SIGWINCH);
        if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
                return den_error_set(err, errno, "block signals");
        fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
        if (fd < 0)
                return den_error_set(err, errno, "signalfd");
        return fd;
}

struct session {
        struct rt_container *ctr;
        bool is_tty;
        bool is_stdin; /* -i with -t: den's stdin goes to the pty */
        int sig_fd;
        int exit_code; /* once the process has been reaped */
        bool has_exited;
};

static void copy_winsize(int master)
{
        struct winsize ws;

        if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
                (void) ioctl(master, TIOCSWINSZ, &ws);
}

static void forward(struct session *s, int sig)
{
        if (s->ctr->pidfd >= 0 && syscall(SYS_pidfd_send_signal, s->ctr->pidfd, sig, NULL, 0) == 0)
                return;
        (void) kill(s->ctr->pid, sig);
}

/* Reaps the process once it has exited; SIGCHLD says when to look. */
static void reap(struct session *s)
{
        int st;

        if (!s->has_exited && waitpid(s->ctr->pid, &st, WNOHANG) > 0) {
                s->has_exited = true;
                s->exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        }
}

static void handle_signals(struct session *s)
{
        struct signalfd_siginfo si;

        while (read(s->sig_fd, &si, sizeof(si)) == (ssize_t) sizeof(si)) {
                int sig = (int) si.ssi_signo;

                if (sig == SIGCHLD) {
                        reap(s);
                } else if (sig == SIGWINCH) {
                        if (s->is_tty)
                                copy_winsize(s->ctr->pty_master);
                } else if (!s->has_exited && (s->is_tty || si.ssi_code != SI_KERNEL)) {
                        /* without a terminal of its own the process shares den's process
                         * group: what the terminal sent (SI_KERNEL) reached it already */
                        forward(s, sig);
                }
        }
}

/* The pty's output after the process exited: what is buffered, without waiting for other
 * holders of the slave. */
static void drain(int master)
{
        char buf[8192];
        ssize_t n;

        (void) fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
        while ((n = read(master, buf, sizeof(buf))) > 0)
                if (den_write_all(STDOUT_FILENO, buf, (size_t) n) < 0)
                        break;
}

/* Waits for the process, forwarding signals; with a terminal copies between den's stdio and
 * the pty. Never blocks on one direction while the other has data. */
static void session_run(struct session *s)
{
        int master = s->is_tty ? s->ctr->pty_master : -1;
        struct pollfd p[3] = {
                { .fd = s->sig_fd, .events = POLLIN },
                { .fd = master, .events = POLLIN },
                { .fd = s->is_stdin ? STDIN_FILENO : -1, .events = POLLIN },
        };
        char buf[8192];

        reap(s); /* in case its SIGCHLD came before den blocked it */
        while (!s->has_exited) {
                ssize_t n;

                if (poll(p, 3, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                if (p[0].revents)
                        handle_signals(s);
                if (p[1].revents) {
                        n = read(master, buf, sizeof(buf));
                        if (n > 0 && den_write_all(STDOUT_FILENO, buf, (size_t) n) < 0)
                                n = -1;
                        if (n <= 0 && errno != EINTR && errno != EAGAIN)
                                p[1].fd = -1; /* closed (EIO): wait for the exit */
                }
                if (p[2].revents) {
                        n = read(STDIN_FILENO, buf, sizeof(buf));
                        if (n <= 0 || den_write_all(master, buf, (size_t) n) < 0)
                                p[2].fd = -1; /* stdin ended: keep reading the output */
                }
        }
        if (!s->has_exited) {
                s->exit_code = wait_status(s->ctr->pid);
                s->has_exited = true;
        }
        if (master >= 0 && p[1].fd >= 0)
                drain(master);
}

/* The seccomp programs the monitor compiled at start (the same rules give the same cache
 * key): a hit spares rt_exec most of its time. -1 (no cache) when missing. */
static int open_seccomp_cache(struct cmd_ctx *ctx)
{
        _cleanup_free_ char *dir = NULL;
        struct store *s;

        if (cmd_ctx_store(ctx, false, &s, NULL) < 0)
                return -1;
        dir = den_path_join(store_root(s), "cache/seccomp");
        return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* What rt_exec needs, read from the host before it joins the container's namespaces. */
struct exec_plan {
        pid_t init_pid;
        const char *spec_text;
        size_t spec_len;
        const char *process;
        int cache_dfd;
};

/* Creates the process in the container, held before execve. */
static int exec_create(const struct exec_plan *p, const int stdio[3], struct rt_container **ret,
                       den_error **err)
{
        struct rt_spec *spec = NULL;
        int r;

        if (rt_spec_parse(p->spec_text, p->spec_len, &spec, err) < 0)
                return den_error_wrap(err, "config.json");
        r = rt_exec(
                &(struct rt_exec_opts){
                        .init_pid = p->init_pid,
                        .spec = spec,
                        .process_json = p->process,
                        .stdio = { stdio[0], stdio[1], stdio[2] },
                        .seccomp_cache_dfd = p->cache_dfd,
                },
                ret, err);
        rt_spec_free(spec);
        return r;
}

static int run_foreground(const struct exec_plan *p, const struct exec_opts *o, den_error **err)
{
        const int stdio[3] = { o->is_interactive && !o->is_tty ? STDIN_FILENO : -1, STDOUT_FILENO,
                               STDERR_FILENO };
        struct session s = { .is_tty = o->is_tty, .is_stdin = o->is_tty && o->is_interactive };
        struct termios saved, raw;
        bool is_raw = false;
        int code = 0;

        if (exec_create(p, stdio, &s.ctr, err) < 0)
                return -1;
        /* after the fork in rt_exec: a blocked mask would survive into the process */
        s.sig_fd = signals_block(err);
        if (s.sig_fd < 0) {
                (void) kill(s.ctr->pid, SIGKILL);
                (void) wait_status(s.ctr->pid);
                rt_container_free(s.ctr, true);
                return -1;
        }
        if (s.is_tty) {
                copy_winsize(s.ctr->pty_master);
                if (s.is_stdin && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
                        raw = saved;
                        cfmakeraw(&raw);
                        is_raw = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
                }
        }
        if (rt_start(s.ctr, &code, err) < 0) {
                (void) wait_status(s.ctr->pid);
                code = -1;
        } else {
                session_run(&s);
                code = s.exit_code;
        }
        if (is_raw)
                (void) tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        (void) close(s.sig_fd);
        rt_container_free(s.ctr, true);
        return code;
}

/* --detach: a waiter process, in its own session, creates and starts the process and stays
 * its parent until it exits, so nothing is left unreaped; it reports the start's outcome
 * ("OK\n" or "ERR <status>\n<message>") to den over a pipe. */
static _Noreturn void detach_waiter(const struct exec_plan *p, int report_fd)
{
        const int stdio[3] = { -1, -1, -1 };
        struct rt_container *ctr = NULL;
        den_error *e = NULL;
        int code = 0, null_fd;

        (void) setsid();
        null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        for (int i = 0; i < 3 && null_fd >= 0; i++)
                (void) dup2(null_fd, i);
        if (exec_create(p, stdio, &ctr, &e) == 0 && rt_start(ctr, &code, &e) == 0) {
                (void) !write(report_fd, "OK\n", 3);
                (void) close(report_fd);
                /* nobody reads the terminal: its output is discarded so the process never
                 * blocks on a full pty */
                if (ctr->pty_master >= 0) {
                        char buf[4096];

                        while (read(ctr->pty_master, buf, sizeof(buf)) > 0 || errno == EINTR)
                                ;
                }
                (void) wait_status(ctr->pid);
                _exit(0);
        }
        {
                _cleanup_free_ char *text = den_error_text(e);
                _cleanup_free_ char *msg =
                        xasprintf("ERR %d\n%s", e && e->exit_status ? e->exit_status : 125, text);

                (void) !write(report_fd, msg, strlen(msg));
        }
        if (ctr)
                (void) wait_status(ctr->pid);
        _exit(1);
}

static int read_report(int fd, den_error **err)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r = den_read_fd(fd, 64 << 10, &text, &len);

        if (r < 0)
                return den_error_set(err, -r, "read the exec waiter's report");
        if (streq(text, "OK\n"))
                return 0;
        if (strncmp(text, "ERR ", 4) == 0) {
                char *nl = strchr(text, '\n');
                int status = atoi(text + 4);

                den_error_set_plain(err, 0, "%s", nl ? nl + 1 : "exec failed");
                if (status == 126 || status == 127)
                        (*err)->exit_status = status;
                return -1;
        }
        return den_error_set(err, 0, "the exec waiter ended without a report");
}

static int run_detached(const struct exec_plan *p, den_error **err)
{
        char id[DEN_SHA256_HEX_LEN + 1];
        int report[2];
        pid_t w;
        int r;

        if (pipe2(report, O_CLOEXEC) < 0)
                return den_error_set(err, errno, "pipe");
        fflush(NULL);
        w = fork();
        if (w < 0) {
                (void) close(report[0]);
                (void) close(report[1]);
                return den_error_set(err, errno, "fork");
        }
        if (w == 0) {
                (void) close(report[0]);
                detach_waiter(p, report[1]);
        }
        (void) close(report[1]);
        r = read_report(report[0], err);
        (void) close(report[0]);
        if (r < 0) {
                (void) waitpid(w, NULL, 0);
                return -1;
        }
        /* podman prints the exec session's id */
        den_random_hex(id, DEN_SHA256_HEX_LEN / 2);
        printf("%s\n", id);
        return 0;
}

/* ---------------------------------------------------------------- the command */

static int run(struct cmd_ctx *ctx, const struct cmd_args *a, den_error **err)
{
        _cleanup_(cmd_ctr_freep) struct cmd_ctr *c = NULL;
        _cleanup_free_ char *spec_text = NULL, *process = NULL, *path = NULL;
        _cleanup_close_ int cache_dfd = -EBADF;
        json_auto_t *spec = NULL;
        struct exec_plan plan;
        const struct exec_opts o = {
                .is_interactive = cmd_flag(a, "interactive"),
                .is_tty = cmd_flag(a, "tty"),
                .is_detach = cmd_flag(a, "detach"),
                .is_privileged = cmd_flag(a, "privileged"),
                .user = cmd_str(a, "user"),
                .workdir = cmd_str(a, "workdir"),
                .env = cmd_strv(a, "env"),
                .env_files = cmd_strv(a, "env-file"),
        };
        bool is_latest = cmd_flag(a, "latest");
        char *const *argv = a->pos + (is_latest ? 0 : 1);
        size_t spec_len = 0;
        json_error_t jerr;
        int r;

        if (!is_latest && a->n_pos == 0)
                return den_error_set(err, 0,
                                     "exec requires the name or ID of a container or the "
                                     "--latest flag");
        if (!argv[0] || !argv[0][0])
                return den_error_set_plain(err, EINVAL,
                                           "must provide a non-empty command to start an exec "
                                           "session: invalid argument");
        if (find_ctr(ctx, a, is_latest, &c, err) < 0)
                return -1;
        path = den_path_join(c->dir, "config.json");
        r = den_read_file_at(AT_FDCWD, path, MAX_CONFIG, &spec_text, &spec_len);
        if (r < 0)
                return den_error_set(err, -r, "read %s", path);
        spec = json_loadb(spec_text, spec_len, JSON_REJECT_DUPLICATES, &jerr);
        if (!spec)
                return den_error_set(err, 0, "%s: %s", path, jerr.text);
        if (build_process(c, spec, argv, &o, &process, err) < 0)
                return -1;
        plan = (struct exec_plan){ .init_pid = c->pid,
                                   .spec_text = spec_text,
                                   .spec_len = spec_len,
                                   .process = process,
                                   .cache_dfd = cache_dfd = open_seccomp_cache(ctx) };
        if (o.is_detach)
                return run_detached(&plan, err);
        return run_foreground(&plan, &o, err);
}

static const struct cmd_opt opts[] = {
        { "detach", 'd', CMD_OPT_BOOL, NULL,
          "Run the exec session in detached mode (backgrounded)" },
        { "detach-keys", 0, CMD_OPT_STRING, "keys",
          "Select the key sequence for detaching a container" },
        { "env", 'e', CMD_OPT_STRINGS, "stringArray", "Set environment variables" },
        { "env-file", 0, CMD_OPT_STRINGS, "file", "Read in a file of environment variables" },
        { "interactive", 'i', CMD_OPT_BOOL, NULL, "Make STDIN available to the contained process" },
        { "latest", 'l', CMD_OPT_BOOL, NULL, "Act on the latest container den is aware of" },
        { "privileged", 0, CMD_OPT_BOOL, NULL,
          "Give the process extended Linux capabilities inside the container" },
        { "tty", 't', CMD_OPT_BOOL, NULL, "Allocate a pseudo-TTY" },
        { "user", 'u', CMD_OPT_STRING, "user[:group]",
          "Sets the username or UID used and optionally the groupname or GID for the specified "
          "command" },
        { "workdir", 'w', CMD_OPT_STRING, "string", "Working directory inside the container" },
        { 0 },
};

/* No CMD_F_USERNS: rt_exec joins the container's own user namespace from the user's. */
const struct cmd cmd_exec = {
        .name = "exec",
        .aliases = { "container exec" },
        .usage = "[options] CONTAINER COMMAND [ARG...]",
        .summary = "Run a process in a running container",
        .opts = opts,
        .min_args = 0,
        .max_args = -1,
        .flags = CMD_F_STOP_AT_ARG,
        .run = run,
};
