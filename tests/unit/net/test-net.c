/* net_setup end to end: a forked child in a new network namespace stands for the container's
 * init (created, not started), as the monitor sees it. Needs root (for unshare(CLONE_NEWNET)
 * in the test's user namespace) and slirp4netns; skipped otherwise. The test is a child
 * subreaper, so the detached slirp4netns and forwarder become its children and it can check
 * that they are gone once their fds are closed. */
#include "net/net.h"
#include "tap.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define BIG (10u << 20)
#define WAIT_MS 20000

struct ctr {
        pid_t pid;
        int hold; /* closing it lets the "container" exit */
};

static struct ctr ctr_new(void)
{
        int ready[2], hold[2];
        struct ctr c;
        char x;

        if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(hold, O_CLOEXEC) < 0)
                abort();
        c.pid = fork();
        if (c.pid == 0) {
                close(hold[1]);
                if (unshare(CLONE_NEWNET) < 0)
                        _exit(1);
                (void) !write(ready[1], "r", 1);
                (void) !read(hold[0], &x, 1);
                _exit(0);
        }
        close(ready[1]);
        close(hold[0]);
        if (read(ready[0], &x, 1) != 1)
                abort();
        close(ready[0]);
        c.hold = hold[1];
        return c;
}

/* Waits for pid (a child) to exit, at most WAIT_MS; true when it did. */
static bool wait_gone(pid_t pid)
{
        int pidfd = (int) syscall(SYS_pidfd_open, pid, 0), status;
        struct pollfd p = { .fd = pidfd, .events = POLLIN };

        if (pidfd < 0)
                return waitpid(pid, &status, WNOHANG) == pid || errno == ECHILD;
        if (poll(&p, 1, WAIT_MS) != 1) {
                close(pidfd);
                return false;
        }
        close(pidfd);
        return waitpid(pid, &status, 0) == pid;
}

/* The children of this process (the subreaper) other than except. */
static size_t children(pid_t except, pid_t *out, size_t max)
{
        DIR *d = opendir("/proc");
        struct dirent *e;
        size_t n = 0;

        while (d && (e = readdir(d))) {
                char path[300], *text = NULL, *p;
                int pid = atoi(e->d_name), ppid;

                if (pid <= 0 || pid == except)
                        continue;
                snprintf(path, sizeof(path), "/proc/%d/stat", pid);
                if (den_read_file_at(AT_FDCWD, path, 4096, &text, NULL) < 0)
                        continue;
                p = strrchr(text, ')');
                if (p && sscanf(p + 2, "%*c %d", &ppid) == 1 && ppid == getpid() && n < max)
                        out[n++] = pid;
                free(text);
        }
        if (d)
                closedir(d);
        return n;
}

/* Closes the handle's fds, lets the container go, and checks that nothing else remains. */
static void finish(struct net_handle *h, struct ctr *c, const char *what)
{
        pid_t left[64];
        size_t n, i;
        bool all = true;

        if (h) {
                size_t nfd;
                const int *fds = net_handle_fds(h, &nfd);

                for (i = 0; i < nfd; i++)
                        close(fds[i]);
                net_handle_free(h);
        }
        close(c->hold);
        ok(wait_gone(c->pid));
        n = children(0, left, ARRAY_SIZE(left));
        for (i = 0; i < n; i++)
                all = wait_gone(left[i]) && all;
        printf("# %s: %zu helper processes exited\n", what, n);
        ok(all);
        ok(children(0, left, ARRAY_SIZE(left)) == 0);
}

/* Runs fn in a forked child inside pid's network namespace; its return is the exit code. */
static int in_ns(pid_t pid, int (*fn)(void *), void *arg)
{
        char path[64];
        pid_t child;
        int status, fd;

        snprintf(path, sizeof(path), "/proc/%d/ns/net", (int) pid);
        child = fork();
        if (child == 0) {
                fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
                        _exit(100);
                _exit(fn(arg));
        }
        if (waitpid(child, &status, 0) != child || !WIFEXITED(status))
                return -1;
        return WEXITSTATUS(status);
}

/* ---------------------------------------------------------------- checks inside the netns */

static int check_tap(void *arg)
{
        struct ifreq ifr = { 0 };
        int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        char addr[INET_ADDRSTRLEN], *route = NULL;
        const char *want = arg;

        strcpy(ifr.ifr_name, "tap0");
        if (ioctl(s, SIOCGIFADDR, &ifr) < 0)
                return 1;
        inet_ntop(AF_INET, &((struct sockaddr_in *) &ifr.ifr_addr)->sin_addr, addr, sizeof(addr));
        if (!streq(addr, want))
                return 2;
        if (ioctl(s, SIOCGIFNETMASK, &ifr) < 0 ||
            ((struct sockaddr_in *) &ifr.ifr_netmask)->sin_addr.s_addr != htonl(0xffffff00))
                return 3;
        if (ioctl(s, SIOCGIFMTU, &ifr) < 0 || ifr.ifr_mtu != 65520)
                return 4;
        if (den_read_file_at(AT_FDCWD, "/proc/self/net/route", 65536, &route, NULL) < 0 ||
            !strstr(route, "tap0\t00000000\t"))
                return 5;
        free(route);
        strcpy(ifr.ifr_name, "lo");
        if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0 || !(ifr.ifr_flags & IFF_UP))
                return 6;
        return 0;
}

static int check_lo_only(void *arg)
{
        struct ifreq ifr = { 0 };
        int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        (void) arg;
        strcpy(ifr.ifr_name, "lo");
        if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0 || !(ifr.ifr_flags & IFF_UP))
                return 1;
        strcpy(ifr.ifr_name, "tap0");
        return ioctl(s, SIOCGIFFLAGS, &ifr) < 0 ? 0 : 2;
}

/* Connects to ip:port with a timeout: 0 connected, 1 refused or timed out. */
static int try_connect(const char *ip, int port)
{
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port) };
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), soerr = 1;
        socklen_t len = sizeof(soerr);
        struct pollfd p = { .fd = fd, .events = POLLOUT };

        inet_pton(AF_INET, ip, &sa.sin_addr);
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0)
                return 0;
        if (errno != EINPROGRESS || poll(&p, 1, 5000) != 1)
                return 1;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
        close(fd);
        return soerr == 0 ? 0 : 1;
}

struct target {
        const char *ip;
        int port;
};

static int connect_in_ns(void *arg)
{
        struct target *t = arg;

        return try_connect(t->ip, t->port);
}

/* ---------------------------------------------------------------- servers inside the netns */

static int listen_on(const char *ip, int port, int type)
{
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port) };
        int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0), one = 1;

        inet_pton(AF_INET, ip, &sa.sin_addr);
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -1;
        if (type == SOCK_STREAM && listen(fd, 16) < 0)
                return -1;
        return fd;
}

/* Reads everything until EOF, then sends it all back and closes: the bytes come back only if
 * the forwarder passed the client's half-close on. */
static int tcp_echo_server(int fd, int ready)
{
        for (int k = 0; k < 2; k++) {
                int c;
                char *data = NULL;
                size_t len = 0;

                if (k == 0)
                        (void) !write(ready, "r", 1);
                c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
                if (c < 0 || den_read_fd(c, 64u << 20, &data, &len) < 0)
                        return 1;
                if (den_write_all(c, data, len) < 0)
                        return 2;
                close(c);
                free(data);
        }
        return 0;
}

static int udp_echo_server(int fd, int ready)
{
        char buf[2048], out[2100];

        (void) !write(ready, "r", 1);
        for (int k = 0; k < 3; k++) {
                struct sockaddr_storage peer;
                socklen_t plen = sizeof(peer);
                ssize_t n = recvfrom(fd, buf, sizeof(buf) - 1, 0, (struct sockaddr *) &peer, &plen);

                if (n < 0)
                        return 1;
                buf[n] = '\0';
                snprintf(out, sizeof(out), "echo:%s", buf);
                sendto(fd, out, strlen(out), 0, (struct sockaddr *) &peer, plen);
        }
        return 0;
}

/* Starts a server in pid's namespace listening on ip:port; returns its pid. */
static pid_t server_start(pid_t pid, const char *ip, int port, bool udp)
{
        int ready[2], fd, nsfd;
        char path[64], x;
        pid_t child;

        if (pipe2(ready, O_CLOEXEC) < 0)
                abort();
        snprintf(path, sizeof(path), "/proc/%d/ns/net", (int) pid);
        child = fork();
        if (child == 0) {
                alarm(60);
                nsfd = open(path, O_RDONLY | O_CLOEXEC);
                if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) < 0)
                        _exit(100);
                fd = listen_on(ip, port, udp ? SOCK_DGRAM : SOCK_STREAM);
                if (fd < 0)
                        _exit(101);
                _exit(udp ? udp_echo_server(fd, ready[1]) : tcp_echo_server(fd, ready[1]));
        }
        close(ready[1]);
        if (read(ready[0], &x, 1) != 1)
                printf("# server did not start\n");
        close(ready[0]);
        return child;
}

/* ---------------------------------------------------------------- host-side clients */

static void fill(unsigned char *buf, size_t n, uint64_t seed)
{
        uint64_t x = seed | 1;

        for (size_t i = 0; i < n; i++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                buf[i] = (unsigned char) x;
        }
}

/* Sends n bytes to 127.0.0.1:port, half-closes, reads the echo; true when it matches. */
static bool tcp_roundtrip(int port, size_t n)
{
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port) };
        unsigned char *buf = xmalloc(n);
        char *back = NULL, sent[72], got[72];
        size_t len = 0;
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct timeval tv = { .tv_sec = 20 };
        bool same;

        fill(buf, n, (uint64_t) port * 7919);
        den_sha256_buf(buf, n, sent);
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || den_write_all(fd, buf, n) < 0 ||
            shutdown(fd, SHUT_WR) < 0 || den_read_fd(fd, 64u << 20, &back, &len) < 0) {
                printf("# tcp round trip: %s\n", strerror(errno));
                free(buf);
                close(fd);
                return false;
        }
        den_sha256_buf(back, len, got);
        same = len == n && streq(sent, got);
        if (!same)
                printf("# sent %zu bytes %s, got %zu bytes %s\n", n, sent, len, got);
        free(buf);
        free(back);
        close(fd);
        return same;
}

static bool udp_roundtrip(int port)
{
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port) };
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct timeval tv = { .tv_sec = 5 };
        char buf[256];
        bool good = true;

        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        connect(fd, (struct sockaddr *) &sa, sizeof(sa));
        for (int k = 0; k < 3; k++) {
                char msg[32], want[40];
                ssize_t n;

                snprintf(msg, sizeof(msg), "ping-%d", k);
                snprintf(want, sizeof(want), "echo:%s", msg);
                send(fd, msg, strlen(msg), 0);
                n = recv(fd, buf, sizeof(buf) - 1, 0);
                buf[n > 0 ? n : 0] = '\0';
                good = good && n > 0 && streq(buf, want);
        }
        close(fd);
        return good;
}

/* A port nothing listens on now (the kernel's choice). */
static int free_port(int type)
{
        int fd = listen_on("127.0.0.1", 0, type);
        struct sockaddr_in sa;
        socklen_t len = sizeof(sa);

        getsockname(fd, (struct sockaddr *) &sa, &len);
        close(fd);
        return ntohs(sa.sin_port);
}

/* ---------------------------------------------------------------- tests */

static struct net_handle *setup(struct net_config *c, struct ctr *k)
{
        struct net_handle *h = NULL;
        den_error *err = NULL;

        if (net_setup(c, k->pid, -1, -1, &h, &err) < 0) {
                printf("# net_setup: %s\n", err->msg);
                den_error_free(err);
                return NULL;
        }
        return h;
}

static void test_slirp_and_ports(void)
{
        struct net_config c;
        struct ctr k = ctr_new();
        den_error *err = NULL;
        int tport = free_port(SOCK_STREAM), uport = free_port(SOCK_DGRAM);
        char spec[64];
        struct net_handle *h;
        pid_t tsrv, usrv;
        size_t nfd;

        net_config_init(&c);
        snprintf(spec, sizeof(spec), "127.0.0.1:%d:80", tport);
        ok(net_config_add_publish(&c, spec, &err) == 0);
        snprintf(spec, sizeof(spec), "127.0.0.1:%d:53/udp", uport);
        ok(net_config_add_publish(&c, spec, &err) == 0);
        h = setup(&c, &k);
        ok(h != NULL);
        if (!h) {
                finish(NULL, &k, "slirp");
                return;
        }
        net_handle_fds(h, &nfd);
        is_int(nfd, 2);
        is_int(in_ns(k.pid, check_tap, "10.0.2.100"), 0);
        tsrv = server_start(k.pid, "0.0.0.0", 80, false);
        ok(tcp_roundtrip(tport, BIG));
        /* A service bound to the container's loopback only is reachable too. */
        ok(tcp_roundtrip(tport, 1));
        ok(wait_gone(tsrv));
        tsrv = server_start(k.pid, "127.0.0.1", 80, false);
        ok(tcp_roundtrip(tport, 100000));
        ok(tcp_roundtrip(tport, 0));
        ok(wait_gone(tsrv));
        usrv = server_start(k.pid, "0.0.0.0", 53, true);
        ok(udp_roundtrip(uport));
        ok(wait_gone(usrv));
        /* Nothing listens in the container any more: the client sees the connection end. */
        ok(!tcp_roundtrip(tport, 10));
        net_config_clear(&c);
        finish(h, &k, "slirp and forwarder");
}

static void test_random_port(void)
{
        struct net_config c;
        struct ctr k = ctr_new();
        den_error *err = NULL;
        struct net_handle *h;
        pid_t srv;

        net_config_init(&c);
        ok(net_config_add_publish(&c, "127.0.0.1::8080", &err) == 0);
        h = setup(&c, &k);
        ok(h != NULL);
        ok(c.ports[0].host_port != 0);
        if (h) {
                srv = server_start(k.pid, "0.0.0.0", 8080, false);
                ok(tcp_roundtrip(c.ports[0].host_port, 4096));
                ok(tcp_roundtrip(c.ports[0].host_port, 4096));
                ok(wait_gone(srv));
        }
        net_config_clear(&c);
        finish(h, &k, "random port");
}

static void test_slirp_port_handler(void)
{
        struct net_config c;
        struct ctr k = ctr_new();
        den_error *err = NULL;
        int port = free_port(SOCK_STREAM);
        char spec[64];
        struct net_handle *h;
        pid_t srv;
        size_t nfd;

        net_config_init(&c);
        ok(net_config_set_mode(&c, "slirp4netns:port_handler=slirp4netns", &err) == 0);
        snprintf(spec, sizeof(spec), "127.0.0.1:%d:80", port);
        ok(net_config_add_publish(&c, spec, &err) == 0);
        h = setup(&c, &k);
        ok(h != NULL);
        if (h) {
                net_handle_fds(h, &nfd);
                is_int(nfd, 1);
                srv = server_start(k.pid, "0.0.0.0", 80, false);
                ok(tcp_roundtrip(port, 1u << 20));
                ok(tcp_roundtrip(port, 10));
                ok(wait_gone(srv));
        }
        net_config_clear(&c);
        finish(h, &k, "slirp4netns port handler");
}

static void test_port_in_use(void)
{
        struct net_config c;
        struct ctr k = ctr_new();
        den_error *err = NULL;
        struct net_handle *h = NULL;
        int busy = listen_on("127.0.0.1", 0, SOCK_STREAM), port;
        struct sockaddr_in sa;
        socklen_t len = sizeof(sa);
        char spec[64], want[128];

        getsockname(busy, (struct sockaddr *) &sa, &len);
        port = ntohs(sa.sin_port);
        net_config_init(&c);
        snprintf(spec, sizeof(spec), "127.0.0.1:%d:80", port);
        ok(net_config_add_publish(&c, spec, &err) == 0);
        ok(net_setup(&c, k.pid, -1, -1, &h, &err) < 0);
        ok(err != NULL);
        if (err) {
                snprintf(want, sizeof(want), "rootlessport listen tcp 127.0.0.1:%d: bind", port);
                ok(strstr(err->msg, want) != NULL);
                is_int(err->errnum, EADDRINUSE);
                printf("# %s\n", err->msg);
                den_error_free(steal_ptr(err));
        }
        close(busy);
        net_config_clear(&c);
        /* Nothing was started: no helper is left behind. */
        finish(NULL, &k, "port in use");
}

static void test_host_loopback(bool allow)
{
        struct net_config c;
        struct ctr k = ctr_new();
        den_error *err = NULL;
        int srv = listen_on("127.0.0.1", 0, SOCK_STREAM);
        struct sockaddr_in sa;
        socklen_t len = sizeof(sa);
        struct target t = { .ip = "10.0.2.2" };
        struct net_handle *h;

        getsockname(srv, (struct sockaddr *) &sa, &len);
        t.port = ntohs(sa.sin_port);
        net_config_init(&c);
        if (allow)
                ok(net_config_set_mode(&c, "slirp4netns:allow_host_loopback=true", &err) == 0);
        h = setup(&c, &k);
        ok(h != NULL);
        if (h)
                is_int(in_ns(k.pid, connect_in_ns, &t), allow ? 0 : 1);
        close(srv);
        net_config_clear(&c);
        finish(h, &k, allow ? "allow_host_loopback" : "no host loopback");
}

static void test_cidr(void)
{
        struct net_config c;
        struct ctr k = ctr_new();
        den_error *err = NULL;
        struct net_handle *h;

        net_config_init(&c);
        ok(net_config_set_mode(&c, "slirp4netns:cidr=10.42.0.0/24", &err) == 0);
        h = setup(&c, &k);
        ok(h != NULL);
        if (h)
                is_int(in_ns(k.pid, check_tap, "10.42.0.100"), 0);
        net_config_clear(&c);
        finish(h, &k, "cidr");
}

static void test_none(void)
{
        struct net_config c;
        struct ctr k = ctr_new();
        den_error *err = NULL;
        struct net_handle *h;
        size_t nfd = 9;

        net_config_init(&c);
        ok(net_config_set_mode(&c, "none", &err) == 0);
        h = setup(&c, &k);
        ok(h != NULL);
        if (h) {
                net_handle_fds(h, &nfd);
                is_int(nfd, 0);
                is_int(in_ns(k.pid, check_lo_only, NULL), 0);
        }
        net_config_clear(&c);
        finish(h, &k, "none");
}

static bool have_slirp4netns(void)
{
        int status = system("slirp4netns --version >/dev/null 2>&1");

        return status == 0;
}

/* Runs sh -c cmd, inside pid's network namespace when pid > 0, with HOST_PORT set. */
static pid_t sh_start(pid_t pid, const char *cmd, int host_port)
{
        char path[64], port[16];
        pid_t child = fork();
        int fd;

        if (child != 0)
                return child;
        snprintf(path, sizeof(path), "/proc/%d/ns/net", (int) pid);
        snprintf(port, sizeof(port), "%d", host_port);
        setenv("HOST_PORT", port, 1);
        if (pid > 0) {
                fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
                        _exit(100);
        }
        execl("/bin/sh", "sh", "-c", cmd, (char *) NULL);
        _exit(127);
}

/* With the network up: --serve runs in the container's namespace, --run on the host; the
 * server is stopped once the client is done. */
static int drive(struct ctr *k, const struct net_config *c, const char *serve, const char *run)
{
        int port = c->n_ports ? c->ports[0].host_port : 0, status = 0;
        pid_t srv = serve ? sh_start(k->pid, serve, port) : -1, cli;

        for (size_t i = 0; i < c->n_ports; i++)
                printf("%s:%u->%u/%s\n", *c->ports[i].host_ip ? c->ports[i].host_ip : "0.0.0.0",
                       c->ports[i].host_port, c->ports[i].ctr_port, c->ports[i].proto);
        if (c->mode == NET_SLIRP4NETNS)
                printf("tap0: %s\n", in_ns(k->pid, check_tap, "10.0.2.100") == 0 ? "ok" : "bad");
        fflush(stdout);
        if (run) {
                alarm(0);
                cli = sh_start(0, run, port);
                waitpid(cli, &status, 0);
        }
        if (srv > 0) {
                kill(srv, SIGTERM);
                waitpid(srv, NULL, 0);
        }
        return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

/* A small driver for trying setups by hand, from bats and from bench/port-throughput.sh:
 *   test-net setup [--network VALUE] [-p SPEC]... [--serve CMD] [--run CMD]
 * creates a stand-in container, calls net_setup, prints "Error: ..." as den would or the
 * published ports, runs the commands, then closes everything and prints how many helper
 * processes were left. */
static int driver(int argc, char **argv)
{
        struct net_config c;
        struct ctr k;
        den_error *err = NULL;
        struct net_handle *h = NULL;
        pid_t left[64];
        size_t n;
        int status = 0;
        const char *serve = NULL, *run = NULL;

        (void) prctl(PR_SET_CHILD_SUBREAPER, 1);
        alarm(120);
        net_config_init(&c);
        for (int i = 2; i + 1 < argc && !err; i += 2) {
                if (streq(argv[i], "--network"))
                        (void) net_config_set_mode(&c, argv[i + 1], &err);
                else if (streq(argv[i], "-p"))
                        (void) net_config_add_publish(&c, argv[i + 1], &err);
                else if (streq(argv[i], "--serve"))
                        serve = argv[i + 1];
                else if (streq(argv[i], "--run"))
                        run = argv[i + 1];
        }
        k = ctr_new();
        if (!err && net_setup(&c, k.pid, -1, -1, &h, &err) == 0)
                status = drive(&k, &c, serve, run);
        if (err) {
                printf("Error: %s%s%s\n", err->msg, err->errnum ? ": " : "",
                       err->errnum ? strerror(err->errnum) : "");
                den_error_free(err);
                status = 125;
        }
        if (h) {
                const int *fds = net_handle_fds(h, &n);

                for (size_t i = 0; i < n; i++)
                        close(fds[i]);
                net_handle_free(h);
        }
        close(k.hold);
        wait_gone(k.pid);
        n = children(0, left, ARRAY_SIZE(left));
        for (size_t i = 0; i < n; i++)
                wait_gone(left[i]);
        printf("left: %zu\n", children(0, left, ARRAY_SIZE(left)));
        net_config_clear(&c);
        return status;
}

int main(int argc, char **argv)
{
        struct ctr probe;

        if (argc > 1 && streq(argv[1], "setup"))
                return driver(argc, argv);

        if (geteuid() != 0 || !have_slirp4netns() || unshare(0) < 0) {
                printf("1..0 # SKIP needs root and slirp4netns\n");
                return 0;
        }
        probe = ctr_new();
        close(probe.hold);
        if (!wait_gone(probe.pid)) {
                printf("1..0 # SKIP cannot create a network namespace\n");
                return 0;
        }
        alarm(300);
        (void) signal(SIGPIPE, SIG_IGN);
        (void) prctl(PR_SET_CHILD_SUBREAPER, 1);
        test_none();
        test_slirp_and_ports();
        test_random_port();
        test_slirp_port_handler();
        test_port_in_use();
        test_host_loopback(true);
        test_host_loopback(false);
        test_cidr();
        return tap_done();
}
