/* den oci-run (hidden): runs an OCI bundle in the foreground with den's runtime or an
 * external one, the way `runc run` does. It exercises the runtime on its own, without the
 * store, the network or the monitor. */
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <termios.h>
#include "cmd.h"

/* Copies between den's stdio and the container's terminal until the terminal closes. */
static void pty_proxy(int master)
{
        struct termios saved, raw;
        struct winsize ws;
        bool is_raw = false;
        struct pollfd p[2] = { { .fd = STDIN_FILENO, .events = POLLIN },
                               { .fd = master, .events = POLLIN } };
        char buf[8192];

        if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
                (void) ioctl(master, TIOCSWINSZ, &ws);
        if (tcgetattr(STDIN_FILENO, &saved) == 0) {
                raw = saved;
                cfmakeraw(&raw);
                is_raw = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
        }
        for (;;) {
                ssize_t n;

                if (poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                if (p[1].revents) {
                        n = read(master, buf, sizeof(buf));
                        if (n <= 0 || den_write_all(STDOUT_FILENO, buf, (size_t) n) < 0)
                                break;
                }
                if (p[0].revents) {
                        n = read(STDIN_FILENO, buf, sizeof(buf));
                        if (n <= 0)
                                p[0].fd = -1; /* stdin ended: keep reading the output */
                        else if (den_write_all(master, buf, (size_t) n) < 0)
                                break;
                }
        }
        if (is_raw)
                (void) tcsetattr(STDIN_FILENO, TCSANOW, &saved);
}

static int wait_exit(pid_t pid)
{
        int st;

        while (waitpid(pid, &st, 0) < 0)
                if (errno != EINTR)
                        return 125;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int open_cache(const char *runroot)
{
        _cleanup_free_ char *dir = den_path_join(runroot, "seccomp");

        if (den_mkdir_p_at(AT_FDCWD, dir, 0700) < 0)
                return -1;
        return open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

static int run(struct cmd_ctx *ctx, const struct cmd_args *a, den_error **err)
{
        _cleanup_free_ char *bundle = realpath(a->pos[0], NULL);
        _cleanup_free_ char *id = xasprintf("den-oci-run-%d", (int) getpid());
        _cleanup_free_ char *oci_root = NULL;
        _cleanup_close_ int cache = -EBADF;
        const char *runtime = cmd_str(a, "runtime");
        struct rt_spec *spec = NULL;
        struct rt_container *c = NULL;
        int code = 0;

        if (!bundle)
                return den_error_set(err, errno, "bundle \"%s\"", a->pos[0]);
        if (runtime && !*runtime)
                runtime = NULL;
        if (rt_spec_load(bundle, &spec, err) < 0)
                return -1;
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                rt_spec_free(spec);
                return den_error_set(err, errno, "private mount namespace");
        }
        if (runtime)
                oci_root = xasprintf("%s/oci-%s", ctx->runroot,
                                     strrchr(runtime, '/') ? strrchr(runtime, '/') + 1 : runtime);
        else
                cache = open_cache(ctx->runroot);
        const struct rt_create_opts o = { .bundle = bundle,
                                          .id = id,
                                          .spec = spec,
                                          .stdio = { 0, 1, 2 },
                                          .seccomp_cache_dfd = cache,
                                          .oci_runtime = runtime,
                                          .oci_root = oci_root };
        if (rt_create(&o, &c, err) < 0) {
                rt_spec_free(spec);
                return den_error_wrap(err, "create container");
        }
        rt_spec_free(spec);
        if (rt_start(c, &code, err) < 0) {
                if (c->oci_runtime)
                        (void) rt_oci_delete(runtime, oci_root, id, NULL);
                (void) wait_exit(c->pid);
                rt_container_free(c, true);
                return -1;
        }
        if (c->pty_master >= 0)
                pty_proxy(c->pty_master);
        code = wait_exit(c->pid);
        if (c->oci_runtime)
                (void) rt_oci_delete(runtime, oci_root, id, NULL);
        rt_container_free(c, true);
        return code;
}

static const struct cmd_opt opts[] = {
        { "runtime", 0, CMD_OPT_STRING, "string",
          "External OCI runtime (runc, crun, runsc); den's own by default" },
        { 0 },
};

const struct cmd cmd_oci_run = {
        .name = "oci-run",
        .usage = "[options] BUNDLE",
        .summary = "Run an OCI bundle in the foreground",
        .opts = opts,
        .min_args = 1,
        .max_args = 1,
        .flags = CMD_F_USERNS | CMD_F_HIDDEN,
        .run = run,
};
