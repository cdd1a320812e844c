/* sources/socket.c: socket("HOST", PORT): the lines of a TCP connection,
 * reconnecting as Spark's socket receiver does. */
#include "../engine.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

/* Connects to host:port, giving up when stopped. -1 with errno set. */
static int connect_to(rsrc *s)
{
    char port[16];
    snprintf(port, sizeof port, "%d", s->d->port);
    struct addrinfo hints = { 0 }, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int gai = getaddrinfo(s->d->host ? s->d->host : "localhost", port, &hints, &res);
    if (gai != 0) {
        errno = gai == EAI_SYSTEM ? errno : EHOSTUNREACH;
        return -1;
    }
    int fd = -1, err = ECONNREFUSED;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
            break;
        if (errno == EINPROGRESS) {
            struct pollfd pf[2] = { { fd, POLLOUT, 0 }, { s->r->stop[0], POLLIN, 0 } };
            int rc;
            while ((rc = poll(pf, 2, 5000)) < 0 && errno == EINTR)
                ;
            int soerr = ETIMEDOUT;
            socklen_t sl = sizeof soerr;
            if (rc > 0 && !pf[1].revents &&
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0)
                break;
            err = pf[1].revents ? ECANCELED : soerr;
        } else {
            err = errno;
        }
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        errno = err;
    return fd;
}

/* As Spark's socket receiver: reconnect after a failure or a drop, with
   a back-off of 100 ms doubling to 2 s, logging once per outage. */
static void recv_socket(rsrc *s, rt_limiter *lim)
{
    rt_prog *p = s->r->c->prog;
    int64_t backoff = 100;
    bool outage = false;
    while (!rt_rctx_stopped(s->r)) {
        int fd = connect_to(s);
        if (fd < 0) {
            if (!outage && !rt_rctx_stopped(s->r)) {
                rt_recv_err(s);
                rt_log(p, "warning", "source '%s': cannot connect to %s:%d: %s; retrying",
                       s->d->name, s->d->host, s->d->port, strerror(errno));
            }
            outage = true;
            if (!rt_rctx_sleep(s->r, rt_mono_ms() + backoff))
                break;
            backoff = backoff * 2 > 2000 ? 2000 : backoff * 2;
            continue;
        }
        if (outage)
            rt_log(p, "note", "source '%s': connected to %s:%d", s->d->name, s->d->host,
                   s->d->port);
        outage = false;
        backoff = 100;
        pump_end e = rt_pump_fd(s, fd, lim);
        int err = errno;
        close(fd);
        if (e == PUMP_STOP)
            break;
        rt_recv_err(s);
        rt_log(p, "warning", "source '%s': connection to %s:%d %s; reconnecting", s->d->name,
               s->d->host, s->d->port, e == PUMP_EOF ? "closed" : strerror(err));
        outage = true;
        if (!rt_rctx_sleep(s->r, rt_mono_ms() + backoff))
            break;
    }
}

static int run(st_recv *h)
{
    recv_socket(h, &h->lim);
    return ST_RECV_DONE;
}

const st_receiver st_recv_socket = { .run = run };
