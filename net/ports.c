/* den's port forwarder, in the style of RootlessKit's builtin driver.
 *
 * The host side listeners are bound by the caller before the container starts, so a port in
 * use fails `den run` before anything runs. A forked, detached process then takes them over:
 * it joins the container's network namespace once (setns on /proc/PID/ns/net) and stays
 * there. Sockets keep the namespace they were created in, so the listeners go on accepting
 * on the host while every socket the forwarder creates afterwards lives in the container,
 * where it connects to 127.0.0.1:CTRPORT (which reaches services bound to 0.0.0.0 and to
 * 127.0.0.1 alike). Switching back to the host's namespace after each socket() is not
 * possible: the host namespace belongs to the initial user namespace, where den has no
 * CAP_SYS_ADMIN.
 *
 * TCP bytes move with splice(2) through a pipe per direction, so they never cross into user
 * space; everything is non-blocking under one epoll loop, and a FIN from either side is
 * passed on as shutdown(SHUT_WR) once the bytes before it are delivered. UDP keeps one
 * connected socket per host peer, dropped after a minute without traffic. The forwarder
 * exits when its lifetime pipe, whose write end the monitor holds, closes. */
#include "net.h"
#include "net-internal.h"

#include <arpa/inet.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>

#define PIPE_SIZE (1 << 18)
#define UDP_TIMEOUT_S 60
#define MAX_CONNS 4096
#define MAX_FLOWS 4096
#define BIND_TRIES 64

/* ---------------------------------------------------------------- binding (in the caller) */

static int sockaddr_for(const char *ip, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
        struct sockaddr_in *in = (struct sockaddr_in *) ss;
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) ss;

        memset(ss, 0, sizeof(*ss));
        if (strchr(ip, ':')) {
                in6->sin6_family = AF_INET6;
                in6->sin6_port = htons(port);
                *len = sizeof(*in6);
                return inet_pton(AF_INET6, ip, &in6->sin6_addr) == 1 ? AF_INET6 : -1;
        }
        in->sin_family = AF_INET;
        in->sin_port = htons(port);
        *len = sizeof(*in);
        return inet_pton(AF_INET, *ip ? ip : "0.0.0.0", &in->sin_addr) == 1 ? AF_INET : -1;
}

static int bind_error(const struct net_port *p, uint16_t port, int e, den_error **err)
{
        const char *ip = *p->host_ip ? p->host_ip : "0.0.0.0";
        bool v6 = strchr(ip, ':') != NULL;
        _cleanup_free_ char *addr = xasprintf(v6 ? "[%s]:%u" : "%s:%u", ip, port);
        _cleanup_free_ char *start = NULL;
        int unpriv = 1024;

        if (e == EACCES) {
                if (den_read_file_at(AT_FDCWD, "/proc/sys/net/ipv4/ip_unprivileged_port_start", 64,
                                     &start, NULL) == 0)
                        (void) den_parse_int(strtok(start, "\n"), 0, 65536, &unpriv);
                return den_error_set(err, e,
                                     "rootlessport cannot expose privileged port %u, you can add "
                                     "'net.ipv4.ip_unprivileged_port_start=%u' to "
                                     "/etc/sysctl.conf (currently %d), or choose a larger port "
                                     "number (>= %d): listen %s %s: bind",
                                     port, port, unpriv, unpriv, p->proto, addr);
        }
        return den_error_set(err, e, "rootlessport listen %s %s: bind", p->proto, addr);
}

/* One host socket, bound (and listening for TCP); port 0 picks one. */
static int bind_one(const struct net_port *p, uint16_t port, int *ret_fd, uint16_t *ret_port)
{
        struct sockaddr_storage ss;
        socklen_t len;
        _cleanup_close_ int fd = -EBADF;
        bool udp = streq(p->proto, "udp");
        int family = sockaddr_for(p->host_ip, port, &ss, &len), one = 1;

        if (family < 0)
                return -EINVAL;
        fd = socket(family, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        if (family == AF_INET6)
                (void) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
        if (!udp)
                (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, (struct sockaddr *) &ss, len) < 0 || (!udp && listen(fd, SOMAXCONN) < 0))
                return -errno;
        len = sizeof(ss);
        if (getsockname(fd, (struct sockaddr *) &ss, &len) < 0)
                return -errno;
        *ret_port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *) &ss)->sin6_port
                                             : ((struct sockaddr_in *) &ss)->sin_port);
        *ret_fd = steal_fd(fd);
        return 0;
}

static void close_fds(struct net_listener *l, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (l[i].fd >= 0)
                        (void) close(steal_fd(l[i].fd));
}

struct bound {
        struct net_listener *l;
        size_t n;
};

static void push_listener(struct bound *b, int fd, int ctr_port, bool udp)
{
        b->l = xrealloc(b->l, (b->n + 1) * sizeof(*b->l));
        b->l[b->n++] = (struct net_listener){ .fd = fd, .ctr_port = ctr_port, .is_udp = udp };
}

/* Binds p->range consecutive ports from start (0: the kernel picks the first). Returns the
 * first port, or -errno with nothing left bound. */
static int bind_range(const struct net_port *p, uint16_t start, struct bound *b, int *ret_port)
{
        size_t mark = b->n;
        uint16_t first = 0, got = 0;
        int fd = -EBADF, r;

        for (unsigned k = 0; k < p->range; k++) {
                uint16_t want = k == 0 ? start : (uint16_t) (first + k);

                if (k > 0 && (unsigned) first + k > 65535)
                        r = -EADDRINUSE;
                else
                        r = bind_one(p, want, &fd, &got);
                if (r < 0) {
                        *ret_port = want;
                        close_fds(b->l + mark, b->n - mark);
                        b->n = mark;
                        return r;
                }
                if (k == 0)
                        first = got;
                push_listener(b, fd, p->ctr_port + (int) k, streq(p->proto, "udp"));
        }
        *ret_port = first;
        return 0;
}

int net_ports_bind(struct net_config *c, struct net_listener **ret, size_t *ret_n, den_error **err)
{
        struct bound b = { 0 };

        for (size_t i = 0; i < c->n_ports; i++) {
                struct net_port *p = &c->ports[i];
                int port = 0, r = -EADDRINUSE;

                /* A random range: the kernel picks the first port; retry when a later one of
                 * the range is taken. */
                for (int t = 0; t < (p->host_port ? 1 : BIND_TRIES) && r == -EADDRINUSE; t++)
                        r = bind_range(p, p->host_port, &b, &port);
                if (r < 0) {
                        net_listeners_close(b.l, b.n);
                        return bind_error(p, (uint16_t) port, -r, err);
                }
                p->host_port = (uint16_t) port;
        }
        *ret = b.l;
        *ret_n = b.n;
        return 0;
}

void net_listeners_close(struct net_listener *l, size_t n)
{
        close_fds(l, n);
        free(l);
}

/* ---------------------------------------------------------------- the forwarder's loop */

enum ep_kind { EP_LIFETIME, EP_TCP_LISTEN, EP_UDP_LISTEN, EP_CONN, EP_FLOW };

struct ep {
        enum ep_kind kind;
        void *ptr;
        int side;
};

struct listener {
        struct ep ep;
        int fd, ctr_port;
};

struct half {
        int pipe[2];
        size_t in_pipe;
        bool eof, shut;
};

struct conn {
        struct conn *prev, *next;
        int fd[2]; /* 0: the host's client, 1: the container's service */
        struct ep ep[2];
        struct half h[2]; /* h[i] carries fd[i] to fd[1 - i] */
        uint32_t events[2];
        bool connecting;
        bool is_dead; /* closed during this batch of events, freed after it */
};

struct flow {
        struct flow *next;
        struct listener *l;
        struct sockaddr_storage peer;
        socklen_t peer_len;
        int fd;
        struct ep ep;
        time_t last;
};

struct fwd {
        int epfd;
        struct conn *conns;
        struct conn *dead;
        size_t n_conns;
        struct flow *flows;
        size_t n_flows;
        bool quit;
};

static time_t now_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec;
}

/* A socket in the container's namespace (the one this process is in) connected to
 * 127.0.0.1:port; TCP connects are non-blocking and may still be in progress. */
static int ctr_socket(int type, int port)
{
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port) };
        int fd = socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

        if (fd < 0)
                return -1;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
                (void) close(fd);
                return -1;
        }
        return fd;
}

static void conn_close(struct fwd *f, struct conn *c, bool reset)
{
        struct linger lg = { .l_onoff = 1, .l_linger = 0 };

        if (reset) /* the client sees a reset, as if nothing listened */
                (void) setsockopt(c->fd[0], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        for (int i = 0; i < 2; i++) {
                (void) close(c->fd[i]);
                (void) close(c->h[i].pipe[0]);
                (void) close(c->h[i].pipe[1]);
        }
        if (c->prev)
                c->prev->next = c->next;
        else
                f->conns = c->next;
        if (c->next)
                c->next->prev = c->prev;
        f->n_conns--;
        c->is_dead = true;
        c->next = f->dead;
        f->dead = c;
}

/* Moves what can move from fd[i] to fd[1 - i]; -1 when the connection broke. */
static int pump(struct conn *c, int i)
{
        struct half *h = &c->h[i];
        int from = c->fd[i], to = c->fd[1 - i];
        bool progress = true;
        ssize_t n;

        while (progress) {
                progress = false;
                if (!h->eof && h->in_pipe == 0) {
                        n = splice(from, NULL, h->pipe[1], NULL, PIPE_SIZE,
                                   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
                        if (n > 0)
                                h->in_pipe += (size_t) n;
                        else if (n == 0)
                                h->eof = true;
                        else if (errno != EAGAIN && errno != EINTR)
                                return -1;
                        progress = n >= 0;
                }
                if (h->in_pipe > 0) {
                        n = splice(h->pipe[0], NULL, to, NULL, h->in_pipe,
                                   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
                        if (n > 0)
                                h->in_pipe -= (size_t) n;
                        else if (n < 0 && errno != EAGAIN && errno != EINTR)
                                return -1;
                        progress = progress || n > 0;
                }
        }
        if (h->eof && h->in_pipe == 0 && !h->shut) {
                (void) shutdown(to, SHUT_WR);
                h->shut = true;
        }
        return 0;
}

/* What each side waits for: reading when its outgoing pipe is empty (a pipe that cannot drain
 * would otherwise leave a readable socket waking the loop for nothing), writing while the
 * pipe toward it holds bytes. */
static int conn_rearm(struct fwd *f, struct conn *c)
{
        for (int s = 0; s < 2; s++) {
                uint32_t ev = 0;
                struct epoll_event e = { .data.ptr = &c->ep[s] };

                if (c->connecting) {
                        ev = s == 1 ? EPOLLOUT : 0;
                } else {
                        if (!c->h[s].eof && c->h[s].in_pipe == 0)
                                ev |= EPOLLIN;
                        if (c->h[1 - s].in_pipe > 0)
                                ev |= EPOLLOUT;
                }
                if (ev == c->events[s])
                        continue;
                e.events = ev;
                if (epoll_ctl(f->epfd,
                              ev == 0             ? EPOLL_CTL_DEL
                              : c->events[s] == 0 ? EPOLL_CTL_ADD
                                                  : EPOLL_CTL_MOD,
                              c->fd[s], &e) < 0)
                        return -1;
                c->events[s] = ev;
        }
        return 0;
}

static void conn_event(struct fwd *f, struct conn *c, int side, uint32_t ev)
{
        int soerr = 0;
        socklen_t len = sizeof(soerr);

        if (c->connecting) {
                if (side == 0 && (ev & (EPOLLERR | EPOLLHUP)))
                        return conn_close(f, c, false);
                if (side == 1 &&
                    (getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &soerr, &len) < 0 || soerr != 0))
                        return conn_close(f, c, true);
                if (side == 1)
                        c->connecting = false;
        }
        /* EPOLLHUP alone is not the end: bytes may still wait in the socket or the pipe
         * (a server that answers and closes). A side with nothing to wait for is taken out
         * of the epoll set, so its pending HUP does not spin the loop. */
        if (!c->connecting) {
                if (pump(c, 0) < 0 || pump(c, 1) < 0 || (ev & EPOLLERR))
                        return conn_close(f, c, true);
                if (c->h[0].shut && c->h[1].shut)
                        return conn_close(f, c, false);
        }
        if (conn_rearm(f, c) < 0)
                conn_close(f, c, true);
}

static int make_pipe(struct half *h)
{
        if (pipe2(h->pipe, O_CLOEXEC | O_NONBLOCK) < 0)
                return -1;
        (void) fcntl(h->pipe[0], F_SETPIPE_SZ, PIPE_SIZE);
        return 0;
}

static void tcp_accept(struct fwd *f, struct listener *l)
{
        for (;;) {
                int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
                struct conn *c;

                if (fd < 0)
                        return; /* EAGAIN, or a connection that died before accept */
                if (f->n_conns >= MAX_CONNS) {
                        (void) close(fd);
                        continue;
                }
                c = xcalloc(1, sizeof(*c));
                c->fd[0] = fd;
                c->fd[1] = ctr_socket(SOCK_STREAM, l->ctr_port);
                c->h[0].pipe[0] = c->h[0].pipe[1] = c->h[1].pipe[0] = c->h[1].pipe[1] = -1;
                c->next = f->conns;
                if (f->conns)
                        f->conns->prev = c;
                f->conns = c;
                f->n_conns++;
                c->connecting = true;
                for (int s = 0; s < 2; s++)
                        c->ep[s] = (struct ep){ .kind = EP_CONN, .ptr = c, .side = s };
                if (c->fd[1] < 0 || make_pipe(&c->h[0]) < 0 || make_pipe(&c->h[1]) < 0 ||
                    conn_rearm(f, c) < 0) {
                        conn_close(f, c, true);
                        continue;
                }
        }
}

static void flow_free(struct fwd *f, struct flow **link)
{
        struct flow *fl = *link;

        *link = fl->next;
        (void) close(fl->fd);
        free(fl);
        f->n_flows--;
}

static struct flow *flow_get(struct fwd *f, struct listener *l, struct sockaddr_storage *peer,
                             socklen_t peer_len)
{
        struct flow *fl;

        for (fl = f->flows; fl; fl = fl->next)
                if (fl->l == l && fl->peer_len == peer_len && !memcmp(&fl->peer, peer, peer_len))
                        return fl;
        if (f->n_flows >= MAX_FLOWS)
                return NULL;
        fl = xcalloc(1, sizeof(*fl));
        fl->fd = ctr_socket(SOCK_DGRAM, l->ctr_port);
        fl->l = l;
        fl->peer = *peer;
        fl->peer_len = peer_len;
        fl->ep = (struct ep){ .kind = EP_FLOW, .ptr = fl };
        if (fl->fd < 0 ||
            epoll_ctl(f->epfd, EPOLL_CTL_ADD, fl->fd,
                      &(struct epoll_event){ .events = EPOLLIN, .data.ptr = &fl->ep }) < 0) {
                if (fl->fd >= 0)
                        (void) close(fl->fd);
                free(fl);
                return NULL;
        }
        fl->next = f->flows;
        f->flows = fl;
        f->n_flows++;
        return fl;
}

static void udp_from_host(struct fwd *f, struct listener *l, char *buf, size_t size)
{
        for (;;) {
                struct sockaddr_storage peer;
                socklen_t plen = sizeof(peer);
                ssize_t n =
                        recvfrom(l->fd, buf, size, MSG_DONTWAIT, (struct sockaddr *) &peer, &plen);
                struct flow *fl;

                if (n < 0)
                        return;
                fl = flow_get(f, l, &peer, plen);
                if (!fl)
                        continue; /* dropped, as a full network would */
                fl->last = now_s();
                (void) send(fl->fd, buf, (size_t) n, MSG_DONTWAIT);
        }
}

static void udp_from_ctr(struct flow *fl, char *buf, size_t size)
{
        for (;;) {
                ssize_t n = recv(fl->fd, buf, size, MSG_DONTWAIT);

                if (n < 0 && errno == ECONNREFUSED)
                        continue; /* an ICMP error from an earlier datagram */
                if (n < 0)
                        return;
                fl->last = now_s();
                (void) sendto(fl->l->fd, buf, (size_t) n, MSG_DONTWAIT,
                              (struct sockaddr *) &fl->peer, fl->peer_len);
        }
}

static void flows_expire(struct fwd *f)
{
        time_t now = now_s();

        for (struct flow **link = &f->flows; *link;)
                if (now - (*link)->last >= UDP_TIMEOUT_S)
                        flow_free(f, link);
                else
                        link = &(*link)->next;
}

static void free_dead(struct fwd *f)
{
        while (f->dead) {
                struct conn *c = f->dead;

                f->dead = c->next;
                free(c);
        }
}

static void dispatch(struct fwd *f, struct ep *ep, uint32_t ev, char *buf, size_t size)
{
        switch (ep->kind) {
        case EP_LIFETIME:
                f->quit = true;
                break;
        case EP_TCP_LISTEN:
                tcp_accept(f, ep->ptr);
                break;
        case EP_UDP_LISTEN:
                udp_from_host(f, ep->ptr, buf, size);
                break;
        case EP_CONN:
                if (!((struct conn *) ep->ptr)->is_dead)
                        conn_event(f, ep->ptr, ep->side, ev);
                break;
        case EP_FLOW:
                udp_from_ctr(ep->ptr, buf, size);
                break;
        default:
                break;
        }
}

static int run_loop(struct net_listener *nl, size_t n, int lifetime_fd)
{
        struct fwd f = { .epfd = epoll_create1(EPOLL_CLOEXEC) };
        struct listener *ls = xcalloc(n, sizeof(*ls));
        struct ep life = { .kind = EP_LIFETIME };
        static char buf[65536];
        struct epoll_event evs[64];

        if (f.epfd < 0 ||
            epoll_ctl(f.epfd, EPOLL_CTL_ADD, lifetime_fd,
                      &(struct epoll_event){ .events = EPOLLIN, .data.ptr = &life }) < 0)
                return 1;
        for (size_t i = 0; i < n; i++) {
                ls[i] = (struct listener){ .fd = nl[i].fd, .ctr_port = nl[i].ctr_port };
                ls[i].ep = (struct ep){ .kind = nl[i].is_udp ? EP_UDP_LISTEN : EP_TCP_LISTEN,
                                        .ptr = &ls[i] };
                if (epoll_ctl(f.epfd, EPOLL_CTL_ADD, ls[i].fd,
                              &(struct epoll_event){ .events = EPOLLIN, .data.ptr = &ls[i].ep }) <
                    0)
                        return 1;
        }
        while (!f.quit) {
                int k = epoll_wait(f.epfd, evs, ARRAY_SIZE(evs), f.flows ? 1000 : -1);

                if (k < 0 && errno != EINTR)
                        return 1;
                for (int i = 0; i < k; i++)
                        dispatch(&f, evs[i].data.ptr, evs[i].events, buf, sizeof(buf));
                /* A connection has two fds, so a batch may hold an event for one that an
                 * earlier event closed: it is freed only now. */
                free_dead(&f);
                if (f.flows)
                        flows_expire(&f);
        }
        return 0;
}

/* ---------------------------------------------------------------- start */

static _Noreturn void forwarder_main(struct net_listener *l, size_t n, int netns_fd,
                                     int lifetime_fd, int status_fd)
{
        int e = 0;

        (void) signal(SIGPIPE, SIG_IGN);
        if (setns(netns_fd, CLONE_NEWNET) < 0)
                e = errno;
        (void) den_write_all(status_fd, &e, sizeof(e));
        (void) close(status_fd);
        (void) close(netns_fd);
        if (e != 0)
                _exit(1);
        _exit(run_loop(l, n, lifetime_fd));
}

int net_ports_start(struct net_listener *l, size_t n, int netns_fd, pid_t *ret_pid, int *ret_pidfd,
                    int *ret_lifetime_fd, den_error **err)
{
        _cleanup_close_ int life_r = -EBADF, life_w = -EBADF;
        _cleanup_close_ int status_r = -EBADF, status_w = -EBADF;
        _cleanup_free_ int *keep = xcalloc(n + 3, sizeof(int));
        int p[2], e = 0, r;
        pid_t child;

        if (pipe2(p, O_CLOEXEC) < 0) {
                r = den_error_set(err, errno, "create pipe");
                goto out;
        }
        life_r = p[0], life_w = p[1];
        if (pipe2(p, O_CLOEXEC) < 0) {
                r = den_error_set(err, errno, "create pipe");
                goto out;
        }
        status_r = p[0], status_w = p[1];
        for (size_t i = 0; i < n; i++)
                keep[i] = l[i].fd;
        keep[n] = netns_fd, keep[n + 1] = life_r, keep[n + 2] = status_w;
        r = net_spawn_detached(keep, n + 3, -1, &child, err);
        if (r == 0)
                forwarder_main(l, n, netns_fd, life_r, status_w);
        if (r < 0)
                goto out;
        (void) close(steal_fd(status_w));
        if (read(status_r, &e, sizeof(e)) != sizeof(e) || e != 0) {
                r = den_error_set(err, e,
                                  "start port forwarder: join the container's network "
                                  "namespace");
                (void) kill(child, SIGKILL);
                goto out;
        }
        *ret_pid = child;
        *ret_pidfd = (int) syscall(SYS_pidfd_open, child, 0);
        *ret_lifetime_fd = steal_fd(life_w);
        r = 0;
out:
        net_listeners_close(l, n);
        return r;
}
