/* http.c: the --metrics responder, a small HTTP/1.1 server of our own on
 * one thread (see rt_obs.h for its limits).
 *
 * One poll() loop serves every connection, so a slow client delays no
 * other: each connection reads its request into a bounded buffer and must
 * finish it within RT_HTTP_TIMEOUT_MS of its accept (else 408); a request
 * longer than RT_HTTP_MAX_REQUEST gets 431, anything that is not a request
 * line gets 400, a method other than GET gets 405. Every reply has a
 * Content-Length and Connection: close; after it the connection is shut
 * for writing and drained until the client closes (or the deadline), so
 * the reply is not lost to a reset. Past RT_HTTP_MAX_CONN connections, new
 * ones are accepted and closed at once. The thread reads the figures the
 * batches publish (metrics.c) and never takes a lock a batch holds.
 * Must not: block (every socket is non-blocking; writes use MSG_NOSIGNAL). */
#include "rt_obs.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

enum { C_FREE, C_READ, C_WRITE, C_DRAIN };

typedef struct hconn {
    int state;
    int fd;
    int64_t deadline;            /* rt_mono_ms */
    char in[RT_HTTP_MAX_REQUEST];
    size_t nin;
    st_buf out;
    size_t off;
} hconn;

struct rt_http {
    rt_prog *p;
    int lfd;
    int stop[2];
    pthread_t thread;
    hconn conns[RT_HTTP_MAX_CONN];
    int64_t dropped;             /* connections closed for want of a slot */
    int64_t accept_pause;        /* rt_mono_ms before which accept waits (out of fds) */
};

static void conn_close(hconn *c)
{
    if (c->state == C_FREE)
        return;
    close(c->fd);
    st_buf_free(&c->out);
    c->state = C_FREE;
    c->nin = c->off = 0;
}

static void reply(hconn *c, int code, const char *reason, const char *ctype, const char *extra,
                  const st_buf *body)
{
    char head[512];
    size_t n = body ? body->n : 0;
    int k = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                     "Cache-Control: no-store\r\nConnection: close\r\n%s\r\n",
                     code, reason, ctype, n, extra ? extra : "");
    st_buf_free(&c->out);
    st_buf_put(&c->out, head, (size_t)k);
    if (n)
        st_buf_put(&c->out, body->p, n);
    c->off = 0;
    c->state = C_WRITE;
}

static void reply_text(hconn *c, int code, const char *reason, const char *extra)
{
    st_buf b = { 0 };
    char line[128];
    snprintf(line, sizeof line, "%d %s\n", code, reason);
    st_buf_puts(&b, line);
    reply(c, code, reason, "text/plain; charset=utf-8", extra, &b);
    st_buf_free(&b);
}

/* The request's header is complete in c->in: answer it. */
static void handle(rt_http *h, hconn *c)
{
    /* request line: METHOD SP TARGET SP HTTP/1.x CRLF */
    char *eol = memchr(c->in, '\n', c->nin);
    size_t len = (size_t)(eol - c->in);
    if (len > 0 && c->in[len - 1] == '\r')
        len--;
    char *sp1 = memchr(c->in, ' ', len);
    char *sp2 = sp1 ? memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - c->in)) : NULL;
    if (!sp1 || !sp2 || sp1 == c->in || sp2 == sp1 + 1 || sp1[1] != '/' ||
        len - (size_t)(sp2 + 1 - c->in) != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0 ||
        (sp2[8] != '0' && sp2[8] != '1')) {
        reply_text(c, 400, "Bad Request", NULL);
        return;
    }
    for (char *q = c->in; q < sp1; q++)
        if (*q < 'A' || *q > 'Z') {
            reply_text(c, 400, "Bad Request", NULL);
            return;
        }
    if (sp1 - c->in != 3 || memcmp(c->in, "GET", 3) != 0) {
        reply_text(c, 405, "Method Not Allowed", "Allow: GET\r\n");
        return;
    }
    size_t plen = (size_t)(sp2 - sp1 - 1);
    const char *path = sp1 + 1;
    const char *qm = memchr(path, '?', plen);
    if (qm)
        plen = (size_t)(qm - path);
#define PATH_IS(s) (plen == strlen(s) && memcmp(path, s, plen) == 0)
    st_buf body = { 0 };
    if (PATH_IS("/metrics")) {
        rt_obs_prometheus(h->p, &body);
        reply(c, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", NULL, &body);
    } else if (PATH_IS("/api/batches")) {
        rt_obs_batches_json(h->p, &body);
        reply(c, 200, "OK", "application/json", NULL, &body);
    } else if (PATH_IS("/") || PATH_IS("/index.html")) {
        rt_obs_page(h->p, &body);
        reply(c, 200, "OK", "text/html; charset=utf-8", NULL, &body);
    } else
        reply_text(c, 404, "Not Found", NULL);
#undef PATH_IS
    st_buf_free(&body);
}

static void on_readable(rt_http *h, hconn *c)
{
    if (c->state == C_DRAIN) {
        char junk[1024];
        ssize_t r = recv(c->fd, junk, sizeof junk, 0);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
            conn_close(c);
        return;
    }
    ssize_t r = recv(c->fd, c->in + c->nin, sizeof c->in - c->nin, 0);
    if (r < 0) {
        if (errno != EAGAIN && errno != EINTR)
            conn_close(c);
        return;
    }
    if (r == 0) {   /* closed before the request ended */
        conn_close(c);
        return;
    }
    size_t from = c->nin > 3 ? c->nin - 3 : 0;
    c->nin += (size_t)r;
    for (size_t i = from; i + 1 < c->nin; i++) {
        if (c->in[i] == '\n' && (c->in[i + 1] == '\n' ||
                                 (i + 2 < c->nin && c->in[i + 1] == '\r' && c->in[i + 2] == '\n'))) {
            handle(h, c);
            return;
        }
    }
    if (c->nin == sizeof c->in)
        reply_text(c, 431, "Request Header Fields Too Large", NULL);
}

static void on_writable(hconn *c)
{
    while (c->off < c->out.n) {
        ssize_t w = send(c->fd, c->out.p + c->off, c->out.n - c->off, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EAGAIN || errno == EINTR)
                return;
            conn_close(c);
            return;
        }
        c->off += (size_t)w;
    }
    shutdown(c->fd, SHUT_WR);
    c->state = C_DRAIN;
}

static void accept_all(rt_http *h)
{
    for (;;) {
        int fd = accept(h->lfd, NULL, NULL);
        if (fd < 0) {
            /* out of descriptors: the backlog waits a little rather than
               the loop spinning on a listening socket it cannot drain */
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                h->accept_pause = rt_mono_ms() + 100;
            return;   /* else EAGAIN, or a connection gone before its accept */
        }
        hconn *c = NULL;
        for (int pass = 0; pass < 2 && !c; pass++) {
            for (int i = 0; i < RT_HTTP_MAX_CONN && !c; i++)
                if (h->conns[i].state == C_FREE)
                    c = &h->conns[i];
            /* full: first reap answered connections whose client has gone */
            for (int i = 0; i < RT_HTTP_MAX_CONN && !c && pass == 0; i++)
                if (h->conns[i].state == C_DRAIN)
                    on_readable(h, &h->conns[i]);
        }
        if (!c) {
            close(fd);
            h->dropped++;
            continue;
        }
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        fcntl(fd, F_SETFD, FD_CLOEXEC);
        c->fd = fd;
        c->state = C_READ;
        c->nin = c->off = 0;
        c->deadline = rt_mono_ms() + RT_HTTP_TIMEOUT_MS;
    }
}

static void *http_main(void *arg)
{
    rt_http *h = arg;
    struct pollfd pf[RT_HTTP_MAX_CONN + 2];
    hconn *of[RT_HTTP_MAX_CONN + 2];
    for (;;) {
        int n = 0;
        int64_t now = rt_mono_ms(), next = now + 60000;
        pf[n++] = (struct pollfd){ h->stop[0], POLLIN, 0 };
        bool paused = now < h->accept_pause;
        pf[n++] = (struct pollfd){ paused ? -1 : h->lfd, POLLIN, 0 };
        if (paused && h->accept_pause < next)
            next = h->accept_pause;
        for (int i = 0; i < RT_HTTP_MAX_CONN; i++) {
            hconn *c = &h->conns[i];
            if (c->state == C_FREE)
                continue;
            if (now >= c->deadline) {
                if (c->state == C_READ) {
                    /* the slow client gets its 408 if its window allows */
                    reply_text(c, 408, "Request Timeout", NULL);
                    on_writable(c);
                }
                conn_close(c);
                continue;
            }
            if (c->deadline < next)
                next = c->deadline;
            of[n] = c;
            pf[n++] = (struct pollfd){ c->fd, c->state == C_WRITE ? POLLOUT : POLLIN, 0 };
        }
        int r = poll(pf, (nfds_t)n, (int)(next - now) + 1);
        if (r < 0 && errno != EINTR)
            break;
        if (r <= 0)
            continue;
        if (pf[0].revents)
            break;
        for (int i = 2; i < n; i++) {
            hconn *c = of[i];
            if (!pf[i].revents)
                continue;
            if (c->state == C_WRITE)
                on_writable(c);
            else
                on_readable(h, c);
            if (c->state == C_WRITE)   /* just answered: try at once */
                on_writable(c);
        }
        if (pf[1].revents)
            accept_all(h);
    }
    return NULL;
}

rt_http *rt_http_start(rt_prog *p, const char *hostport)
{
    const char *colon = strrchr(hostport, ':');
    char host[256];
    size_t hl = colon ? (size_t)(colon - hostport) : 0;
    if (hl >= 2 && hostport[0] == '[' && hostport[hl - 1] == ']') {   /* [::1]:8080 */
        hostport++;
        hl -= 2;
    }
    if (!colon || hl >= sizeof host) {
        rt_log(p, "error", "--metrics needs HOST:PORT, not '%s'", hostport);
        return NULL;
    }
    memcpy(host, hostport, hl);
    host[hl] = '\0';
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
    struct addrinfo *ai = NULL;
    int e = getaddrinfo(hl ? host : NULL, colon + 1, &hints, &ai);
    if (e != 0) {
        rt_log(p, "error", "--metrics %s: %s", hostport, gai_strerror(e));
        return NULL;
    }
    int fd = -1, err = 0;
    for (struct addrinfo *a = ai; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, a->ai_addr, a->ai_addrlen) != 0 || listen(fd, 64) != 0) {
            err = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(ai);
    if (fd < 0) {
        rt_log(p, "error", "--metrics %s: cannot listen: %s", hostport, strerror(err));
        return NULL;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char nhost[128] = "?", nport[16] = "?";
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        getnameinfo((struct sockaddr *)&ss, sl, nhost, sizeof nhost, nport, sizeof nport,
                    NI_NUMERICHOST | NI_NUMERICSERV);
    rt_http *h = rt_xcalloc(1, sizeof *h);
    h->p = p;
    h->lfd = fd;
    if (pipe(h->stop) != 0) {
        rt_log(p, "error", "--metrics: pipe: %s", strerror(errno));
        close(fd);
        free(h);
        return NULL;
    }
    if (pthread_create(&h->thread, NULL, http_main, h) != 0) {
        rt_log(p, "error", "--metrics: cannot start its thread");
        close(fd);
        close(h->stop[0]);
        close(h->stop[1]);
        free(h);
        return NULL;
    }
    bool v6 = strchr(nhost, ':') != NULL;
    rt_log(p, "note", "metrics on http://%s%s%s:%s/ (/metrics, /api/batches)", v6 ? "[" : "", nhost,
           v6 ? "]" : "", nport);
    return h;
}

int64_t rt_http_dropped(const rt_http *h)
{
    return h ? h->dropped : 0;
}

void rt_http_stop(rt_http *h)
{
    if (!h)
        return;
    close(h->stop[1]);
    pthread_join(h->thread, NULL);
    for (int i = 0; i < RT_HTTP_MAX_CONN; i++)
        conn_close(&h->conns[i]);
    close(h->stop[0]);
    close(h->lfd);
    free(h);
}
