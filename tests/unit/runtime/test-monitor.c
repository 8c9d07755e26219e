/* den-monitor, the attach client and the log reader, end to end: a fake container (/bin/sh)
 * is forked by a process that then execs den-monitor through rt_monitor_exec, exactly as the
 * runtime does, and the test talks to it over the attach socket. */
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "runtime/runtime.h"
#include "tap.h"

struct ctr {
        char dir[256];
        char log[320], exit[320], sock[320], mark[320];
        pid_t monitor;
        int attach; /* the test's end of the attach socketpair, or -1 */
};

struct start_opts {
        const char *script;
        bool has_attach;
        bool is_stdin_once;
        bool is_tty;
        bool has_exit_command;
};

static char *slurp(const char *path)
{
        char *text = NULL;
        size_t len = 0;

        if (den_read_file_at(AT_FDCWD, path, 64u << 20, &text, &len) < 0)
                return xstrdup("");
        return text;
}

static int64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The container: /bin/sh -c script with pipes (or a pty) as its stdio. */
static pid_t fork_container(const char *script, int in, int out, int err, const char *pts)
{
        pid_t p = fork();

        if (p != 0)
                return p;
        if (pts) {
                int fd;

                setsid();
                fd = open(pts, O_RDWR);
                if (fd < 0)
                        _exit(120);
                in = out = err = fd;
        }
        if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
                _exit(121);
        execl("/bin/sh", "sh", "-c", script, (char *) NULL);
        _exit(122);
}

/* The process the runtime forks (M): creates the container, then becomes den-monitor. */
static void run_m(struct ctr *c, const struct start_opts *so, int attach_end, int ready)
{
        int in[2], out[2], err[2], master = -1;
        char *exit_cmd[] = { "/bin/sh", "-c", NULL, NULL };
        _cleanup_free_ char *cmd = xasprintf("echo ran > %s", c->mark);
        struct rt_monitor_opts o = {
                .id = "test",
                .log_path = c->log,
                .exit_path = c->exit,
                .socket_path = c->sock,
                .attach_fd = attach_end,
                .ready_fd = ready,
                .is_stdin_once = so->is_stdin_once,
        };
        den_error *e = NULL;

        exit_cmd[2] = cmd;
        if (so->has_exit_command)
                o.exit_command = exit_cmd;
        if (so->is_tty) {
                master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
                if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0)
                        _exit(98);
                o.pid = fork_container(so->script, -1, -1, -1, ptsname(master));
                o.out_fd = o.in_fd = master;
                o.err_fd = -1;
        } else {
                if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 ||
                    pipe2(err, O_CLOEXEC) < 0)
                        _exit(98);
                o.pid = fork_container(so->script, in[0], out[1], err[1], NULL);
                close(in[0]);
                close(out[1]);
                close(err[1]);
                o.out_fd = out[0];
                o.err_fd = err[0];
                o.in_fd = in[1];
        }
        rt_monitor_exec(&o, &e);
        fprintf(stderr, "# rt_monitor_exec: %s\n", e ? e->msg : "?");
        _exit(99);
}

static bool start(struct ctr *c, const struct start_opts *so)
{
        int sp[2] = { -1, -1 }, ready[2];
        char buf[8] = { 0 };
        struct pollfd pfd;

        /* longer than a unix socket address can hold, as deep runroots are */
        snprintf(c->dir, sizeof(c->dir), "/tmp/den-test-monitor-%0120d-XXXXXX", 0);
        if (!mkdtemp(c->dir))
                return false;
        snprintf(c->log, sizeof(c->log), "%s/ctr.log", c->dir);
        snprintf(c->exit, sizeof(c->exit), "%s/exit", c->dir);
        snprintf(c->sock, sizeof(c->sock), "%s/attach", c->dir);
        snprintf(c->mark, sizeof(c->mark), "%s/exit-command-ran", c->dir);
        c->attach = -1;
        if (so->has_attach && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
                return false;
        if (pipe2(ready, O_CLOEXEC) < 0)
                return false;
        fflush(stdout);
        c->monitor = fork();
        if (c->monitor == 0) {
                if (sp[0] >= 0)
                        close(sp[0]);
                close(ready[0]);
                run_m(c, so, sp[1], ready[1]);
        }
        close(ready[1]);
        if (sp[1] >= 0)
                close(sp[1]);
        c->attach = sp[0];
        pfd = (struct pollfd){ ready[0], POLLIN, 0 };
        if (poll(&pfd, 1, 10000) != 1 || read(ready[0], buf, sizeof(buf) - 1) != 3) {
                close(ready[0]);
                return false;
        }
        close(ready[0]);
        return streq(buf, "ok\n");
}

static int wait_monitor(struct ctr *c)
{
        int status = 0;

        if (waitpid(c->monitor, &status, 0) != c->monitor)
                return -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void cleanup(struct ctr *c)
{
        int dfd = open("/tmp", O_DIRECTORY | O_CLOEXEC);

        if (c->attach >= 0)
                close(c->attach);
        (void) den_rm_rf_at(dfd, c->dir + strlen("/tmp/"));
        close(dfd);
}

static int tmpfile_fd(void)
{
        char path[] = "/tmp/den-test-monitor-out-XXXXXX";
        int fd = mkostemp(path, O_CLOEXEC);

        unlink(path);
        return fd;
}

static char *fd_text(int fd)
{
        char *text = NULL;
        size_t len = 0;

        lseek(fd, 0, SEEK_SET);
        if (den_read_fd(fd, 64u << 20, &text, &len) < 0)
                return xstrdup("");
        return text;
}

static int send_packet(int sock, uint8_t type, const char *p)
{
        char buf[256];
        size_t n = strlen(p);

        buf[0] = (char) type;
        memcpy(buf + 1, p, n);
        return (int) send(sock, buf, n + 1, MSG_NOSIGNAL);
}

/* Every record of a log, checked against the exact format, as "stream flag text\n" lines. */
static char *log_summary(const char *path, bool *ret_well_formed)
{
        _cleanup_free_ char *text = slurp(path);
        struct den_buf b = { 0 };
        char *save = NULL;

        *ret_well_formed = true;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                struct rt_klog_line l;
                bool good = rt_klog_parse(line, strlen(line), &l) == 0;
                const char *t = line;

                /* 2024-01-02T15:04:05.123456789+00:00: nine fraction digits, numeric zone */
                good = good && l.time_len == 35 && t[19] == '.' && (t[29] == '+' || t[29] == '-');
                if (!good) {
                        *ret_well_formed = false;
                        continue;
                }
                den_buf_printf(&b, "%s %c %.*s\n", l.is_stderr ? "stderr" : "stdout",
                               l.is_partial ? 'P' : 'F', (int) l.msg_len, l.msg);
        }
        den_buf_puts(&b, "");
        return den_buf_steal(&b);
}

static void test_run_attached(void)
{
        struct ctr c;
        struct start_opts so = {
                .script = "echo out; echo err >&2; read x; echo got $x; printf tail; exit 3",
                .has_attach = true,
                .has_exit_command = true,
        };
        int in[2], out = tmpfile_fd(), err = tmpfile_fd(), code = -1, r;
        int64_t before = now_ns();
        struct rt_exit ex = { 0 };
        den_error *e = NULL;
        bool is_good = false;
        _cleanup_free_ char *o = NULL, *er = NULL, *summary = NULL, *mark = NULL;

        ok(start(&c, &so));
        ok(pipe2(in, O_CLOEXEC) == 0);
        ok(write(in[1], "hello\n", 6) == 6);
        close(in[1]);
        struct rt_attach_opts ao = {
                .in_fd = in[0], .out_fd = out, .err_fd = err, .detach_keys = ""
        };
        r = rt_attach_run(c.attach, &ao, &code, &e);
        is_int(r, 0);
        is_int(code, 3);
        close(in[0]);
        is_int(wait_monitor(&c), 0);
        o = fd_text(out);
        er = fd_text(err);
        is_str(o, "out\ngot hello\ntail");
        is_str(er, "err\n");

        is_int(rt_exit_read(c.exit, &ex, &e), 0);
        is_int(ex.exit_code, 3);
        ok(ex.finished_ns >= before && ex.finished_ns <= now_ns());
        ok(access(c.sock, F_OK) < 0 && errno == ENOENT);
        mark = slurp(c.mark);
        is_str(mark, "ran\n");

        summary = log_summary(c.log, &is_good);
        ok(is_good);
        ok(strstr(summary, "stdout F out\n") != NULL);
        ok(strstr(summary, "stderr F err\n") != NULL);
        ok(strstr(summary, "stdout F got hello\n") != NULL);
        ok(strstr(summary, "stdout P tail\n") != NULL);
        close(out);
        close(err);
        cleanup(&c);
}

/* A client killed mid-way and one that never reads do not hold the container back. */
static void test_killed_and_slow_clients(void)
{
        struct ctr c;
        struct start_opts so = {
                .script = "read x; head -c 10485760 /dev/zero | tr '\\0' a; echo; echo end $x; "
                          "exit 0",
        };
        int victim_sync[2], slow = -1, fast = -1, code = -1, out = tmpfile_fd();
        struct rt_exit ex = { 0 };
        den_error *e = NULL;
        pid_t victim;
        char b;
        struct stat st;

        ok(start(&c, &so));
        ok(pipe2(victim_sync, O_CLOEXEC) == 0);
        victim = fork();
        if (victim == 0) {
                int fd;

                if (rt_attach_connect(c.sock, &fd, NULL) < 0)
                        _exit(1);
                (void) !write(victim_sync[1], "c", 1);
                pause();
                _exit(0);
        }
        close(victim_sync[1]);
        ok(read(victim_sync[0], &b, 1) == 1);
        close(victim_sync[0]);
        kill(victim, SIGKILL);
        waitpid(victim, NULL, 0);

        is_int(rt_attach_connect(c.sock, &slow, &e), 0);
        is_int(rt_attach_connect(c.sock, &fast, &e), 0);
        /* the slow client writes the input and never reads */
        ok(send_packet(slow, RT_ATTACH_STDIN, "go\n") > 0);
        struct rt_attach_opts ao = { .in_fd = -1, .out_fd = out, .err_fd = -1, .detach_keys = "" };
        is_int(rt_attach_run(fast, &ao, &code, &e), 0);
        is_int(code, 0);
        is_int(wait_monitor(&c), 0);
        is_int(rt_exit_read(c.exit, &ex, &e), 0);
        is_int(ex.exit_code, 0);
        ok(stat(c.log, &st) == 0 && st.st_size > 10485760);
        /* everything reached the log and the client that kept reading: the one that stalled
         * held the container back for a while only, then lost output instead */
        _cleanup_free_ char *text = slurp(c.log);
        ok(strstr(text, " stdout F end go\n") != NULL);
        ok(fstat(out, &st) == 0 && st.st_size == 10485760 + 8);
        {
                char tail[8] = { 0 };

                ok(pread(out, tail, 7, 10485760 + 1) == 7 && streq(tail, "end go\n"));
        }
        close(slow);
        close(fast);
        close(out);
        cleanup(&c);
}

/* --stdin-once: the container's stdin closes when the client that wrote to it leaves; a
 * killed container reports 128 + signal. */
static void test_stdin_once(void)
{
        struct ctr c;
        struct start_opts so = { .script = "cat; echo end", .is_stdin_once = true };
        struct ctr k;
        struct start_opts sk = { .script = "kill -KILL $$" };
        struct rt_exit ex = { 0 };
        den_error *e = NULL;
        int fd = -1;
        bool is_good = false;
        _cleanup_free_ char *summary = NULL;

        ok(start(&c, &so));
        is_int(rt_attach_connect(c.sock, &fd, &e), 0);
        ok(send_packet(fd, RT_ATTACH_STDIN, "x\n") > 0);
        close(fd);
        is_int(wait_monitor(&c), 0);
        summary = log_summary(c.log, &is_good);
        is_str(summary, "stdout F x\nstdout F end\n");
        cleanup(&c);

        ok(start(&k, &sk));
        is_int(wait_monitor(&k), 0);
        is_int(rt_exit_read(k.exit, &ex, &e), 0);
        is_int(ex.exit_code, 128 + SIGKILL);
        cleanup(&k);
}

/* Detach keys end the attach without touching the container; a terminal gets resized. */
/* Whether process pid has an fd open on path. */
static bool has_fd_to(pid_t pid, const char *path)
{
        _cleanup_free_ char *dir = xasprintf("/proc/%d/fd", (int) pid);
        _cleanup_closedir_ DIR *d = opendir(dir);
        struct dirent *de;
        bool found = false;

        while (d && (de = readdir(d))) {
                char target[PATH_MAX];
                _cleanup_free_ char *link = xasprintf("%s/%s", dir, de->d_name);
                ssize_t n = readlink(link, target, sizeof(target) - 1);

                if (n > 0) {
                        target[n] = '\0';
                        found = found || streq(target, path);
                }
        }
        return found;
}

static void test_detach_and_tty(void)
{
        struct ctr c;
        struct start_opts so = { .script = "read x; stty size; echo got $x", .is_tty = true };
        int in[2], out = tmpfile_fd(), code = -1, fd = -1;
        struct rt_exit ex = { 0 };
        den_error *e = NULL;
        uint16_t rc[2] = { 40, 100 };
        char pkt[5] = { RT_ATTACH_RESIZE };
        _cleanup_free_ char *text = NULL;
        int leaked = open("/dev/zero", O_RDONLY); /* without O_CLOEXEC on purpose */

        ok(start(&c, &so));
        /* the monitor keeps only the fds it is given */
        ok(!has_fd_to(c.monitor, "/dev/zero"));
        ok(has_fd_to(c.monitor, "/dev/null"));
        close(leaked);
        is_int(rt_attach_connect(c.sock, &fd, &e), 0);
        ok(pipe2(in, O_CLOEXEC) == 0);
        ok(write(in[1], "ab\x10\x11zz", 6) == 6);
        struct rt_attach_opts ao = {
                .in_fd = in[0], .out_fd = out, .err_fd = -1, .detach_keys = "ctrl-p,ctrl-q"
        };
        is_int(rt_attach_run(fd, &ao, &code, &e), 1);
        close(fd);
        close(in[0]);
        close(in[1]);

        /* a second client resizes and finishes the line */
        is_int(rt_attach_connect(c.sock, &fd, &e), 0);
        memcpy(pkt + 1, rc, sizeof(rc));
        ok(send(fd, pkt, sizeof(pkt), 0) == (ssize_t) sizeof(pkt));
        ok(send_packet(fd, RT_ATTACH_STDIN, "c\r") > 0);
        struct rt_attach_opts ao2 = { .in_fd = -1, .out_fd = out, .err_fd = -1, .detach_keys = "" };
        is_int(rt_attach_run(fd, &ao2, &code, &e), 0);
        is_int(code, 0);
        close(fd);
        is_int(wait_monitor(&c), 0);
        is_int(rt_exit_read(c.exit, &ex, &e), 0);
        text = fd_text(out);
        ok(strstr(text, "40 100\r\n") != NULL);
        ok(strstr(text, "got abc\r\n") != NULL);
        ok(strstr(text, "zz") == NULL);
        close(out);
        cleanup(&c);

        ok(rt_attach_run(-1, &(struct rt_attach_opts){ .detach_keys = "ctrl-pp" }, &code, &e) < 0);
        is_str(e ? e->msg : NULL, "invalid detach keys: Unknown character: 'ctrl-pp'");
        den_error_free(e);
        e = NULL;
        ok(rt_attach_run(-1, &(struct rt_attach_opts){ .detach_keys = "a,,b" }, &code, &e) < 0);
        is_str(e ? e->msg : NULL, "invalid detach keys: Unknown character: ''");
        den_error_free(e);
}

/* Input bigger than every buffer on the way arrives whole and in order. */
static void test_big_input(void)
{
        struct ctr c;
        struct start_opts so = { .script = "cksum", .has_attach = true };
        int in[2], out = tmpfile_fd(), code = -1;
        den_error *e = NULL;
        pid_t writer;
        char *data = xmalloc(300000);
        _cleanup_free_ char *text = NULL;
        FILE *f;
        char expected[64] = "";

        for (size_t i = 0; i < 300000; i++)
                data[i] = (char) ('a' + i % 23);
        ok(start(&c, &so));
        ok(pipe2(in, O_CLOEXEC) == 0);
        writer = fork();
        if (writer == 0) {
                close(in[0]);
                _exit(den_write_all(in[1], data, 300000) == 0 ? 0 : 1);
        }
        close(in[1]);
        struct rt_attach_opts ao = {
                .in_fd = in[0], .out_fd = out, .err_fd = -1, .detach_keys = ""
        };
        is_int(rt_attach_run(c.attach, &ao, &code, &e), 0);
        is_int(code, 0);
        close(in[0]);
        waitpid(writer, NULL, 0);
        is_int(wait_monitor(&c), 0);
        text = fd_text(out);
        /* the same bytes through cksum directly */
        _cleanup_free_ char *input = xasprintf("%s/input", c.dir);
        _cleanup_free_ char *cmd = xasprintf("cksum < %s", input);
        int fd = open(input, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        ok(fd >= 0 && den_write_all(fd, data, 300000) == 0);
        close(fd);
        fflush(stdout);
        f = popen(cmd, "re");
        ok(f && fgets(expected, sizeof(expected), f) != NULL);
        if (f)
                pclose(f);
        is_str(text, expected);
        free(data);
        close(out);
        cleanup(&c);
}

/* Whether pid blocks sig, from /proc/<pid>/status. */
static bool blocks_signal(pid_t pid, int sig)
{
        _cleanup_free_ char *path = xasprintf("/proc/%d/status", (int) pid);
        _cleanup_free_ char *text = slurp(path);
        const char *p = strstr(text, "SigBlk:");

        return p && (strtoull(p + 7, NULL, 16) & (1ULL << (sig - 1)));
}

/* --sig-proxy: a signal den receives while attached goes to the container's process. */
static void test_sig_proxy(void)
{
        struct ctr c;
        struct start_opts so = { .script = "read x; echo $x", .has_attach = true };
        int code = -1, status = 0;
        den_error *e = NULL;
        pid_t target, driver, self = getpid();

        ok(start(&c, &so));
        target = fork();
        if (target == 0) {
                pause();
                _exit(0);
        }
        driver = fork();
        if (driver == 0) {
                int fd = -1;

                /* once the attach handles SIGTERM, send one, then let the container finish */
                while (!blocks_signal(self, SIGTERM))
                        usleep(10000);
                kill(self, SIGTERM); /* pending at once: handled before the exit arrives */
                if (rt_attach_connect(c.sock, &fd, NULL) < 0)
                        _exit(1);
                (void) send_packet(fd, RT_ATTACH_STDIN, "done\n");
                _exit(0);
        }
        struct rt_attach_opts ao = {
                .in_fd = -1, .out_fd = -1, .err_fd = -1, .detach_keys = "", .sig_proxy_pid = target
        };
        is_int(rt_attach_run(c.attach, &ao, &code, &e), 0);
        is_int(code, 0);
        ok(!blocks_signal(self, SIGTERM));
        ok(waitpid(target, &status, 0) == target && WIFSIGNALED(status) &&
           WTERMSIG(status) == SIGTERM);
        waitpid(driver, NULL, 0);
        is_int(wait_monitor(&c), 0);
        cleanup(&c);
}

static void test_klog_parse(void)
{
        struct rt_klog_line l;
        const char *good = "2024-01-02T15:04:05.123456789+01:00 stderr P a b ";

        is_int(rt_klog_parse(good, strlen(good), &l), 0);
        is_int(l.time_ns, 1704204245123456789LL);
        ok(l.is_stderr && l.is_partial);
        is_int(l.msg_len, 4);
        ok(memcmp(l.msg, "a b ", 4) == 0);
        is_int(rt_klog_parse("2024-01-02T15:04:05Z stdout F", 29, &l), 0);
        is_int(l.msg_len, 0);
        is_int(rt_klog_parse("2024-01-02T15:04:05Z stdin F x", 30, &l), -EINVAL);
        is_int(rt_klog_parse("2024-01-02T15:04:05Z stdout X x", 31, &l), -EINVAL);
        is_int(rt_klog_parse("2024-01-02T15:04:05Z stdout Fx", 30, &l), -EINVAL);
        is_int(rt_klog_parse("garbage", 7, &l), -EINVAL);
        is_int(rt_klog_parse("", 0, &l), -EINVAL);
}

struct follow_state {
        int calls;
        const char *path;
};

static bool follow_done(void *userdata)
{
        struct follow_state *fs = userdata;

        /* on the third check, the container "exits" after writing one more line */
        if (++fs->calls == 3) {
                const char *more = "\n2024-01-01T00:00:09.000000000+00:00 stdout F late\n";
                int fd = open(fs->path, O_WRONLY | O_APPEND | O_CLOEXEC);

                (void) !write(fd, more, strlen(more));
                close(fd);
        }
        return fs->calls >= 3;
}

static char *logs(const char *path, struct rt_log_opts o)
{
        int out = tmpfile_fd();
        den_error *e = NULL;
        char *text;

        o.out_fd = out;
        o.err_fd = out;
        if (rt_log_print(path, &o, &e) < 0) {
                printf("# %s\n", e->msg);
                den_error_free(e);
        }
        text = fd_text(out);
        close(out);
        return text;
}

static void test_log_print(void)
{
        char path[] = "/tmp/den-test-klog-XXXXXX";
        int fd = mkostemp(path, O_CLOEXEC);
        const char *text = "2024-01-01T00:00:01.000000000+00:00 stdout F one\n"
                           "not a record\n"
                           "2024-01-01T00:00:02.500000000+00:00 stderr F two\n"
                           "2024-01-01T00:00:03.000000000+00:00 stdout P thr\n"
                           "2024-01-01T00:00:04.120000000+00:00 stdout F ee\n"
                           "2024-01-01T00:00:05.000000000+02:00 stdout F four\n"
                           "2024-01-01T00:00:06.000000000+00:00 stdout P unfinished";
        int64_t s3 = 1704067203LL * 1000000000;
        struct follow_state fs = { .path = path };

        ok(fd >= 0 && den_write_all(fd, text, strlen(text)) == 0);
        close(fd);
        char *all = logs(path, (struct rt_log_opts){ .tail = -1 });
        is_str(all, "one\ntwo\nthree\nfour\n");
        char *t2 = logs(path, (struct rt_log_opts){ .tail = 2 });
        is_str(t2, "three\nfour\n");
        char *t0 = logs(path, (struct rt_log_opts){ .tail = 0 });
        is_str(t0, "");
        char *t9 = logs(path, (struct rt_log_opts){ .tail = 9 });
        is_str(t9, "one\ntwo\nthree\nfour\n");
        char *since = logs(path, (struct rt_log_opts){ .tail = -1, .since_ns = s3 });
        /* "four" was written at 22:00:05 the day before, in UTC */
        is_str(since, "three\n");
        char *until = logs(path, (struct rt_log_opts){ .tail = -1, .until_ns = s3 });
        is_str(until, "one\ntwo\nfour\n");
        char *until2 = logs(path, (struct rt_log_opts){ .tail = -1, .until_ns = s3 - 500000000 });
        is_str(until2, "one\nfour\n");
        free(until2);
        char *ts = logs(path,
                        (struct rt_log_opts){ .tail = 2, .is_timestamps = true, .prefix = "abc " });
        is_str(ts, "abc 2024-01-01T00:00:04.12Z three\nabc 2024-01-01T00:00:05+02:00 four\n");
        char *fol = logs(path, (struct rt_log_opts){ .tail = 1,
                                                     .is_follow = true,
                                                     .is_done = follow_done,
                                                     .userdata = &fs });
        is_str(fol, "four\nunfinishedlate\n");
        is_int(fs.calls, 3);
        free(all);
        free(t2);
        free(t0);
        free(t9);
        free(since);
        free(until);
        free(ts);
        free(fol);

        /* a line left partial by a container that exited is printed as written */
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        text = "2024-01-01T00:00:01.000000000+00:00 stdout F x\n"
               "2024-01-01T00:00:02.000000000+00:00 stdout P ab\n"
               "2024-01-01T00:00:03.000000000+00:00 stdout P cd\n";
        ok(den_write_all(fd, text, strlen(text)) == 0);
        close(fd);
        char *part = logs(path, (struct rt_log_opts){ .tail = -1, .is_timestamps = true });
        is_str(part, "2024-01-01T00:00:01Z x\n2024-01-01T00:00:03Z abcd");
        free(part);
        unlink(path);

        den_error *e = NULL;
        struct rt_log_opts o = { .tail = -1, .out_fd = 1, .err_fd = 2 };
        ok(rt_log_print("/nonexistent/log", &o, &e) < 0 && e->errnum == ENOENT);
        den_error_free(e);
}

/* A big log: --tail reads from the end. */
static void test_log_tail_big(void)
{
        char path[] = "/tmp/den-test-klog-XXXXXX";
        int fd = mkostemp(path, O_CLOEXEC);
        struct den_buf b = { 0 };

        for (int i = 0; i < 20000; i++)
                den_buf_printf(&b, "2024-01-01T00:00:01.000000000+00:00 stdout F line %d\n", i);
        ok(den_write_all(fd, b.data, b.len) == 0);
        close(fd);
        char *t = logs(path, (struct rt_log_opts){ .tail = 3 });
        is_str(t, "line 19997\nline 19998\nline 19999\n");
        free(t);
        den_buf_free(&b);
        unlink(path);
}

static void test_exit_and_pid(void)
{
        char dir[] = "/tmp/den-test-exit-XXXXXX";
        struct rt_exit ex = { 0 };
        den_error *e = NULL;
        pid_t p;

        ok(mkdtemp(dir) != NULL);
        _cleanup_free_ char *path = xasprintf("%s/exit", dir);
        is_int(rt_exit_read(path, &ex, &e), 1);
        int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        ok(write(fd, "{\"exit_code\":300}", 17) == 17);
        close(fd);
        ok(rt_exit_read(path, &ex, &e) < 0);
        den_error_free(e);
        unlink(path);
        rmdir(dir);

        ok(rt_pid_start_time(getpid()) > 0);
        is_int(rt_pid_start_time(getpid()), rt_pid_start_time(getpid()));
        p = fork();
        if (p == 0)
                _exit(0);
        waitpid(p, NULL, 0);
        is_int(rt_pid_start_time(p), 0);
}

int main(void)
{
        alarm(120); /* a hang is a failure, not a stuck suite */
        if (!getenv("DEN_MONITOR")) {
                char self[PATH_MAX];
                ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

                if (n > 0) {
                        self[n] = '\0';
                        *strrchr(self, '/') = '\0';
                        _cleanup_free_ char *m = xasprintf("%s/../../cmd/den-monitor", self);
                        setenv("DEN_MONITOR", m, 1);
                }
        }
        test_klog_parse();
        test_log_print();
        test_log_tail_big();
        test_exit_and_pid();
        test_run_attached();
        test_killed_and_slow_clients();
        test_stdin_once();
        test_detach_and_tty();
        test_sig_proxy();
        test_big_input();
        return tap_done();
}
