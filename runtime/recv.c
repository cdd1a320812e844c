/* recv.c: the real-time run. Per context: one receiver thread per source
 * writing records into the source's current block, a timer thread (Spark's
 * block generator and job generator in one) that seals blocks every block
 * interval and queues a job every batch interval, and a scheduler thread
 * that runs the queued jobs one after another (concurrentJobs = 1: a slow
 * batch delays the next, none is dropped). The calling thread supervises:
 * it waits for signals, failures and the contexts' ends.
 * Must not: block anywhere a stop cannot reach (every wait polls the
 * context's stop pipe, whose write end is closed to stop), or drop a
 * received record silently.
 *
 * Times: batch k of a context is at zero_ms + k * batch_ms in epoch ms
 * (zero_ms = start rounded down to the batch interval); sleeping uses the
 * monotonic clock, offset from the epoch once at start. */
#include "rt_internal.h"
#include "flow.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct rctx rctx;

typedef struct rsrc {
    const st_source_desc *d;
    rctx *r;
    int index;
    pthread_t thread;
    bool started;
    pthread_mutex_t mu;      /* the current block */
    st_buf bytes;
    int64_t *offs, ncap;     /* 2 per record */
    int64_t *ints, icap;
    int64_t n;
    char **files;            /* textFileStream: files whose lines are all in it */
    int64_t nfiles, fcap;
    int64_t cost;            /* accounted bytes of the current block (flow.h) */
    atomic_llong est;        /* records/s from the estimator, or the slow start's */
    rt_pid pid;              /* the estimator (scheduler thread) */
    bool pid_on;             /* it has given a rate (est is no longer the slow start's) */
    atomic_llong held_back_ms;   /* time this receiver was held back */
} rsrc;

typedef struct rjob {
    struct rjob *next;
    rt_batch b;
    int64_t cost;            /* accounted bytes of its records (flow.h) */
} rjob;

typedef struct rt_run rt_run;

struct rctx {
    rt_ctx *c;
    rt_run *run;
    rsrc *src;
    int nsrc;
    int stop[2];             /* closing stop[1] stops the context */
    pthread_mutex_t stop_mu;
    pthread_t timer, sched;
    bool timer_started, sched_started;
    pthread_mutex_t qmu;
    pthread_cond_t qcv;
    rjob *qhead, *qtail;
    bool qclosed;
    atomic_int qlen;         /* jobs queued and not started (backpressure) */
    int64_t zero_ms;
    int64_t first_ms;        /* time of the first batch the timer makes */
    int64_t sealed_cost;     /* accounted bytes sealed, not yet in a job (timer) */
    rt_bstore bs;
    char *ckdir;             /* the checkpoint directory, or NULL */
    int64_t ck_every;        /* snapshot interval (ms) */
    bool recovering;         /* started from a checkpoint */
    atomic_int live;         /* its receivers not yet ended */
};

struct rt_run {
    rt_prog *p;
    rctx *ctxs;
    int n;
    atomic_int live;         /* receivers of the whole program not yet ended */
    int notify[2];           /* 'D' a context is done, 'F' a batch failed */
    int64_t start_epoch, start_mono;
};

/* ---- stopping and sleeping ---------------------------------------------- */

static void ctx_stop(rctx *r)
{
    pthread_mutex_lock(&r->stop_mu);
    if (r->stop[1] >= 0) {
        close(r->stop[1]);
        r->stop[1] = -1;
    }
    pthread_mutex_unlock(&r->stop_mu);
}

/* A receiver's failure (logged by the caller), for --stats and --metrics. */
static void recv_error(rsrc *s)
{
    atomic_fetch_add(&s->r->c->recv_errors, 1);
}

static bool stopped(rctx *r)
{
    struct pollfd pf = { r->stop[0], POLLIN, 0 };
    return poll(&pf, 1, 0) > 0;
}

/* Sleeps until the monotonic deadline; false when stopped first. */
static bool sleep_until(rctx *r, int64_t mono_dl)
{
    for (;;) {
        int64_t now = rt_mono_ms();
        if (now >= mono_dl)
            return !stopped(r);
        int64_t w = mono_dl - now;
        struct pollfd pf = { r->stop[0], POLLIN, 0 };
        int rc = poll(&pf, 1, w > 60000 ? 60000 : (int)w);
        if (rc > 0)
            return false;
    }
}

/* Backpressure: while RT_MAX_QUEUED batches wait behind the running one,
   or while the context holds its limit of bytes of records received and
   not yet processed (flow.h), receivers hold off instead of growing memory
   without bound: a socket's or stdin's writer then blocks on the full pipe
   or TCP window, a file is not read on, and paced sources (rate, file with
   rate) fall behind their pace. The check comes before every record, so
   the limit is passed by one record at most. False when stopped. */
#define RT_MAX_QUEUED 2
/* Bytes of received blocks a context keeps in memory before the DISK
   storage levels spill. */
#define RT_BLOCK_BUDGET ((int64_t)256 << 20)

/* Counts n accounted bytes received (negative: released). */
static void held_add(rt_ctx *c, int64_t n)
{
    int64_t v = atomic_fetch_add(&c->held, n) + n;
    if (n <= 0)
        return;
    int64_t pk = atomic_load(&c->held_peak);
    while (v > pk && !atomic_compare_exchange_weak(&c->held_peak, &pk, v))
        ;
    int64_t mx = atomic_load(&c->held_max);
    while (v > mx && !atomic_compare_exchange_weak(&c->held_max, &mx, v))
        ;
}

static bool bp_blocked(rctx *r)
{
    return atomic_load(&r->qlen) >= RT_MAX_QUEUED ||
           atomic_load(&r->c->held) >= r->c->held_limit;
}

static bool bp_wait_src(rctx *r, rsrc *s)
{
    while (bp_blocked(r)) {
        int64_t t0 = rt_mono_ms();
        bool go_on = sleep_until(r, t0 + 5);
        int64_t dt = rt_mono_ms() - t0;
        atomic_fetch_add(&r->c->throttled_ms, dt);
        atomic_fetch_add(&s->held_back_ms, dt);
        if (!go_on)
            return false;
    }
    return true;
}


static void notify(rt_run *run, char what)
{
    for (;;) {
        ssize_t w = write(run->notify[1], &what, 1);
        if (w == 1 || (w < 0 && errno != EINTR))
            return;
    }
}

/* ---- the current block -------------------------------------------------- */

/* Under s->mu. */
static void push_str_locked(rsrc *s, const char *p, size_t n)
{
    rt_grow((void **)&s->offs, &s->ncap, 2 * (s->n + 1), sizeof *s->offs);
    s->offs[2 * s->n] = (int64_t)s->bytes.n;
    s->offs[2 * s->n + 1] = (int64_t)n;
    st_buf_put(&s->bytes, p, n);
    s->n++;
    s->cost += (int64_t)n + RT_REC_OVERHEAD;
    held_add(s->r->c, (int64_t)n + RT_REC_OVERHEAD);
}

/* Hands the current block to the block store (which logs it); -1 when
   logging failed. */
static int seal(rsrc *s)
{
    pthread_mutex_lock(&s->mu);
    if (s->n == 0 && s->nfiles == 0) {
        pthread_mutex_unlock(&s->mu);
        return 0;
    }
    rt_block b = { 0 };
    b.n = s->n;
    b.bytes = s->bytes.p;
    b.offs = s->offs;
    b.ints = s->ints;
    b.files = s->files;
    b.nfiles = s->nfiles;
    s->bytes = (st_buf){ 0 };
    s->offs = s->ints = NULL;
    s->files = NULL;
    s->ncap = s->icap = s->n = s->nfiles = s->fcap = 0;
    s->r->sealed_cost += s->cost;   /* seal runs on the timer thread alone */
    s->cost = 0;
    pthread_mutex_unlock(&s->mu);
    return rt_bs_add(&s->r->bs, s->index, &b);
}

/* ---- rate limiting: a token bucket -------------------------------------- */
typedef struct limiter {
    int64_t rate;            /* tokens/s; 0: no limit */
    int64_t milli;           /* tokens * 1000 */
    int64_t cap;             /* in milli-tokens */
    int64_t last;            /* mono ms of the last refill */
    int64_t base, base_cap;  /* the configured rate (pace, maxRate) and its bucket */
    bool est;                /* the rate estimator's rate is in force (below base) */
    rsrc *s;                 /* whose estimate it follows; NULL: none */
} limiter;

/* Paced sources get a small bucket (smooth); maxRate a one-second one, as
   Guava's RateLimiter that Spark's receivers use. */
static void lim_init(limiter *l, int64_t rate, bool smooth)
{
    l->rate = rate > 0 ? (rate > INT64_C(1000000000) ? INT64_C(1000000000) : rate) : 0;
    int64_t tokens = smooth ? l->rate / 50 : l->rate;
    l->cap = (tokens < 1 ? 1 : tokens) * 1000;
    l->milli = 1000;
    l->last = rt_mono_ms();
    l->base = l->rate;
    l->base_cap = l->cap;
    l->est = false;
    l->s = NULL;
}

/* Takes the source's latest estimate: the rate in force is the smaller of
   the configured one and the estimate. While the estimate rules, the
   bucket holds one batch interval of tokens (the estimate bounds what a
   batch takes, as Guava's bursty RateLimiter in Spark's receivers bounds a
   second), and it starts full: a burst of up to a batch's worth passes at
   once. */
static void lim_follow(limiter *l)
{
    if (!l->s)
        return;
    int64_t e = atomic_load(&l->s->est);
    bool use = e > 0 && (l->base == 0 || e < l->base);
    int64_t want = use ? e : l->base;
    if (want == l->rate && use == l->est)
        return;
    if (l->rate == 0)
        l->last = rt_mono_ms();   /* a bucket starts when a rate does */
    bool entering = use && !l->est;
    l->rate = want;
    l->est = use;
    int64_t batch_ms = l->s->r->c->desc->batch_ms;
    int64_t tokens = want > INT64_MAX / batch_ms ? INT64_MAX / 1000 : want * batch_ms / 1000;
    if (tokens > INT64_MAX / 1000)
        tokens = INT64_MAX / 1000;
    l->cap = use ? (tokens < 1 ? 1 : tokens) * 1000 : l->base_cap;
    if (entering || l->milli > l->cap)
        l->milli = l->cap;
}

static void lim_refill(limiter *l)
{
    int64_t now = rt_mono_ms();
    if (now > l->last) {
        int64_t dt = now - l->last;
        l->milli = dt > l->cap / l->rate + 1 ? l->cap : l->milli + dt * l->rate;
        if (l->milli > l->cap)
            l->milli = l->cap;
        l->last = now;
    }
}

/* Takes one token, sleeping for it; false when stopped. */
static bool lim_take(limiter *l, rctx *r)
{
    if (l->rate == 0)
        return true;
    while (l->milli < 1000) {
        lim_refill(l);
        if (l->milli >= 1000)
            break;
        int64_t wait = (1000 - l->milli + l->rate - 1) / l->rate;
        int64_t t0 = rt_mono_ms();
        bool go_on = sleep_until(r, t0 + (wait < 1 ? 1 : wait));
        if (l->est) {   /* held back by the estimate, not by the source's pace */
            atomic_fetch_add(&r->c->throttled_ms, rt_mono_ms() - t0);
            atomic_fetch_add(&l->s->held_back_ms, rt_mono_ms() - t0);
        }
        if (!go_on)
            return false;
    }
    l->milli -= 1000;
    return true;
}

/* Pushes lines [p, p+n) split at '\n' (the last without newline not
   included: it is returned as the remainder's start). */
static size_t push_lines(rsrc *s, const char *p, size_t n, limiter *lim, bool *stop)
{
    size_t pos = 0;
    bool locked = false;
    lim_follow(lim);
    while (pos < n) {
        const char *nl = memchr(p + pos, '\n', n - pos);
        if (!nl)
            break;
        size_t e = (size_t)(nl - p), len = e - pos;
        if (len > 0 && p[e - 1] == '\r')
            len--;
        if (bp_blocked(s->r)) {
            if (locked) {
                pthread_mutex_unlock(&s->mu);
                locked = false;
            }
            if (!bp_wait_src(s->r, s)) {
                *stop = true;
                break;
            }
        }
        if (lim->rate && lim->milli < 1000) {
            if (locked) {
                pthread_mutex_unlock(&s->mu);
                locked = false;
            }
            if (!lim_take(lim, s->r)) {
                *stop = true;
                break;
            }
        } else if (lim->rate) {
            lim->milli -= 1000;
        }
        if (!locked) {
            pthread_mutex_lock(&s->mu);
            locked = true;
        }
        push_str_locked(s, p + pos, len);
        pos = e + 1;
    }
    if (locked)
        pthread_mutex_unlock(&s->mu);
    return pos;
}

static bool push_one(rsrc *s, const char *p, size_t n, limiter *lim)
{
    if (n > 0 && p[n - 1] == '\r')
        n--;
    lim_follow(lim);
    if (!bp_wait_src(s->r, s) || !lim_take(lim, s->r))
        return false;
    pthread_mutex_lock(&s->mu);
    push_str_locked(s, p, n);
    pthread_mutex_unlock(&s->mu);
    return true;
}

/* ---- reading lines from a descriptor ------------------------------------ */
typedef enum pump_end { PUMP_EOF, PUMP_ERROR, PUMP_STOP } pump_end;

/* Reads fd to its end, pushing each line (a last line without newline
   counts). A line longer than RT_MAX_RECORD is skipped and counted. */
static pump_end pump_fd(rsrc *s, int fd, limiter *lim)
{
    size_t cap = 1 << 16, start = 0, end = 0;
    char *buf = rt_xmalloc(cap);
    bool skipping = false;
    pump_end result;
    for (;;) {
        /* held off: nothing more is read (the writer blocks) */
        if (!bp_wait_src(s->r, s)) {
            result = PUMP_STOP;
            break;
        }
        struct pollfd pf[2] = { { fd, POLLIN, 0 }, { s->r->stop[0], POLLIN, 0 } };
        if (poll(pf, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            result = PUMP_ERROR;
            break;
        }
        if (pf[1].revents) {
            result = PUMP_STOP;
            break;
        }
        ssize_t got = read(fd, buf + end, cap - end);
        if (got < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
                continue;
            result = PUMP_ERROR;
            break;
        }
        if (got == 0) {
            result = PUMP_EOF;
            if (end > start && !skipping && !push_one(s, buf + start, end - start, lim))
                result = PUMP_STOP;
            break;
        }
        size_t from = end;
        end += (size_t)got;
        if (skipping) {
            const char *nl = memchr(buf + from, '\n', end - from);
            if (!nl) {
                start = end = 0;
                continue;
            }
            start = (size_t)(nl - buf) + 1;
            skipping = false;
        }
        bool stop = false;
        start += push_lines(s, buf + start, end - start, lim, &stop);
        if (stop) {
            result = PUMP_STOP;
            break;
        }
        if (start > 0) {
            memmove(buf, buf + start, end - start);
            end -= start;
            start = 0;
        }
        if (end == cap) {
            if (cap >= RT_MAX_RECORD) {
                rt_skip_ctx(s->r->c, "line too long", buf, end);
                skipping = true;
                start = end = 0;
            } else {
                cap *= 2;
                buf = st_xrealloc(buf, cap);
            }
        }
    }
    free(buf);
    return result;
}

/* ---- receivers ---------------------------------------------------------- */

static void recv_stdin(rsrc *s, limiter *lim)
{
    if (pump_fd(s, 0, lim) == PUMP_ERROR) {
        recv_error(s);
        rt_log(s->r->c->prog, "error", "source '%s': reading stdin: %s", s->d->name,
               strerror(errno));
    }
}

static void recv_file(rsrc *s, limiter *lim)
{
    int fd = open(s->d->path ? s->d->path : "", O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        recv_error(s);
        rt_log(s->r->c->prog, "error", "source '%s': cannot open %s: %s", s->d->name,
               s->d->path ? s->d->path : "", strerror(errno));
        atomic_store(&s->r->c->prog->failed, true);
        return;
    }
    for (;;) {
        pump_end e = pump_fd(s, fd, lim);
        if (e == PUMP_ERROR) {
            recv_error(s);
            rt_log(s->r->c->prog, "error", "source '%s': reading %s: %s", s->d->name,
                   s->d->path, strerror(errno));
        }
        if (e != PUMP_EOF || !s->d->loop)
            break;
        struct stat st;
        if (fstat(fd, &st) != 0 || st.st_size == 0 || lseek(fd, 0, SEEK_SET) != 0)
            break;   /* nothing to loop over */
    }
    close(fd);
}

/* A rate source held back falls behind its nominal rate: the time it
   waits is not made up later, its integers stay consecutive (none is
   skipped), and at the end it says how far behind it is. */
static void recv_rate(rsrc *s, limiter *lim)
{
    rt_ctx *c = s->r->c;
    int64_t next = 0, t0 = rt_mono_ms();
    while (!stopped(s->r)) {
        if (!bp_wait_src(s->r, s))
            break;
        lim_follow(lim);
        lim_refill(lim);
        int64_t k = lim->milli / 1000;
        if (k > (1 << 20))
            k = 1 << 20;
        /* not past the hold-off limit */
        int64_t room = (c->held_limit - atomic_load(&c->held)) / RT_REC_OVERHEAD;
        if (k > room)
            k = room > 0 ? room : 0;
        if (k > 0) {
            lim->milli -= k * 1000;
            pthread_mutex_lock(&s->mu);
            rt_grow((void **)&s->ints, &s->icap, s->n + k, sizeof *s->ints);
            for (int64_t i = 0; i < k; i++)
                s->ints[s->n++] = next++;
            s->cost += k * RT_REC_OVERHEAD;
            held_add(c, k * RT_REC_OVERHEAD);
            pthread_mutex_unlock(&s->mu);
        }
        int64_t wait = (1000 - lim->milli % 1000 + lim->rate - 1) / lim->rate;
        int64_t w0 = rt_mono_ms();
        bool go_on = sleep_until(s->r, w0 + (wait < 1 ? 1 : wait));
        if (lim->est) {
            atomic_fetch_add(&c->throttled_ms, rt_mono_ms() - w0);
            atomic_fetch_add(&s->held_back_ms, rt_mono_ms() - w0);
        }
        if (!go_on)
            break;
    }
    int64_t back = atomic_load(&s->held_back_ms);
    double nominal = (double)lim->base * (double)(rt_mono_ms() - t0) / 1000.0;
    if (back > 0 && nominal > (double)next)
        rt_log(c->prog, "note", "source '%s': held back %lld ms by backpressure; it generated "
               "%lld records, about %.0f fewer than rate(%lld) would have in that time "
               "(none skipped: they come later)", s->d->name, (long long)back, (long long)next,
               nominal - (double)next, (long long)lim->base);
}

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
static void recv_socket(rsrc *s, limiter *lim)
{
    rt_prog *p = s->r->c->prog;
    int64_t backoff = 100;
    bool outage = false;
    while (!stopped(s->r)) {
        int fd = connect_to(s);
        if (fd < 0) {
            if (!outage && !stopped(s->r)) {
                recv_error(s);
                rt_log(p, "warning", "source '%s': cannot connect to %s:%d: %s; retrying",
                       s->d->name, s->d->host, s->d->port, strerror(errno));
            }
            outage = true;
            if (!sleep_until(s->r, rt_mono_ms() + backoff))
                break;
            backoff = backoff * 2 > 2000 ? 2000 : backoff * 2;
            continue;
        }
        if (outage)
            rt_log(p, "note", "source '%s': connected to %s:%d", s->d->name, s->d->host,
                   s->d->port);
        outage = false;
        backoff = 100;
        pump_end e = pump_fd(s, fd, lim);
        int err = errno;
        close(fd);
        if (e == PUMP_STOP)
            break;
        recv_error(s);
        rt_log(p, "warning", "source '%s': connection to %s:%d %s; reconnecting", s->d->name,
               s->d->host, s->d->port, e == PUMP_EOF ? "closed" : strerror(err));
        outage = true;
        if (!sleep_until(s->r, rt_mono_ms() + backoff))
            break;
    }
}

/* textFileStream: the names seen so far. A new file is read once it has
   kept its size and mtime over one poll, so a file still being written is
   not read half-way (Spark asks for atomic moves; this forgives a copy).
   A file's lines go into one block together with its name, so the log
   holds a file whole or not at all: after a crash a file is either in
   the log (never read again) or read again from the start. */
typedef struct seen {
    char *name;
    int64_t size, mtime_ns;
    bool done;
} seen;

static seen *seen_find(seen *v, int64_t n, const char *name)
{
    for (int64_t i = 0; i < n; i++)
        if (strcmp(v[i].name, name) == 0)
            return &v[i];
    return NULL;
}

/* Under s->mu: the file's name goes with the current block. */
static void push_file_name_locked(rsrc *s, const char *name)
{
    rt_grow((void **)&s->files, &s->fcap, s->nfiles + 1, sizeof *s->files);
    size_t n = strlen(name) + 1;
    s->files[s->nfiles++] = memcpy(rt_xmalloc(n), name, n);
}

/* Reads a file into the current block, whole; false when stopped. */
static bool read_whole_file(rsrc *s, const char *path, const char *name, limiter *lim)
{
    char *text;
    size_t n;
    lim_follow(lim);
    if (!bp_wait_src(s->r, s))   /* not read while the context holds its limit */
        return false;
    int err = rt_read_file(path, &text, &n);
    if (err) {
        recv_error(s);
        rt_log(s->r->c->prog, "warning", "source '%s': cannot read %s: %s", s->d->name, path,
               strerror(err));
        return true;
    }
    st_str *lines;
    int64_t nl = rt_split_lines(text, n, &lines);
    bool go = true;
    for (int64_t i = 0; i < nl && go && lim->rate; i++)
        go = lim_take(lim, s->r);
    if (go) {
        pthread_mutex_lock(&s->mu);
        for (int64_t i = 0; i < nl; i++) {
            if ((size_t)lines[i].n > RT_MAX_RECORD)
                rt_skip_ctx(s->r->c, "line too long", lines[i].p, (size_t)lines[i].n);
            else
                push_str_locked(s, lines[i].p, (size_t)lines[i].n);
        }
        push_file_name_locked(s, name);
        pthread_mutex_unlock(&s->mu);
    }
    free(lines);
    free(text);
    return go;
}

static void recv_dir(rsrc *s, limiter *lim)
{
    rt_prog *p = s->r->c->prog;
    const char *dir = s->d->path ? s->d->path : ".";
    int64_t block = s->r->c->desc->block_ms > 0 ? s->r->c->desc->block_ms
                                                 : s->r->c->desc->batch_ms;
    bool logged = s->r->ckdir != NULL;
    seen *v = NULL;
    int64_t nv = 0, cap = 0;
    bool first = true, outage = false, go = true;
    while (go) {
        DIR *d = opendir(dir);
        if (!d) {
            if (!outage) {
                recv_error(s);
                rt_log(p, "warning", "source '%s': cannot read directory %s: %s; retrying",
                       s->d->name, dir, strerror(errno));
            }
            outage = true;
        } else {
            outage = false;
            struct dirent *e;
            while (go && (e = readdir(d)) != NULL) {
                if (e->d_name[0] == '.' || e->d_name[0] == '_')
                    continue;
                st_buf path = { 0 };
                st_buf_puts(&path, dir);
                st_buf_putc(&path, '/');
                st_buf_puts(&path, e->d_name);
                st_buf_putc(&path, '\0');
                struct stat st;
                if (stat(path.p, &st) != 0 || !S_ISREG(st.st_mode)) {
                    st_buf_free(&path);
                    continue;
                }
                int64_t mt = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
                seen *f = seen_find(v, nv, e->d_name);
                if (!f) {
                    rt_grow((void **)&v, &cap, nv + 1, sizeof *v);
                    f = &v[nv++];
                    size_t ln = strlen(e->d_name) + 1;
                    f->name = memcpy(rt_xmalloc(ln), e->d_name, ln);
                    f->size = st.st_size;
                    f->mtime_ns = mt;
                    /* newFilesOnly: what is there at the first start stays
                       unread (and is logged as read, so that a restart
                       knows); after a restart, what the log has is read */
                    f->done = logged ? rt_bs_has_file(&s->r->bs, s->index, e->d_name)
                                     : first;
                    if (first && !f->done && !s->r->recovering) {
                        f->done = true;
                        if (logged) {
                            /* "/NAME": logged as read without being read */
                            char unread[NAME_MAX + 2];
                            snprintf(unread, sizeof unread, "/%s", e->d_name);
                            pthread_mutex_lock(&s->mu);
                            push_file_name_locked(s, unread);
                            pthread_mutex_unlock(&s->mu);
                        }
                    }
                } else if (!f->done) {
                    if (f->size == st.st_size && f->mtime_ns == mt) {
                        f->done = true;
                        go = read_whole_file(s, path.p, e->d_name, lim);
                    } else {
                        f->size = st.st_size;
                        f->mtime_ns = mt;
                    }
                }
                st_buf_free(&path);
            }
            closedir(d);
            first = false;
        }
        if (go)
            go = sleep_until(s->r, rt_mono_ms() + block);
    }
    for (int64_t i = 0; i < nv; i++)
        free(v[i].name);
    free(v);
}

static void *receiver_main(void *arg)
{
    rsrc *s = arg;
    limiter lim;
    const st_source_desc *d = s->d;
    int64_t pace = d->kind == ST_SRC_RATE || d->kind == ST_SRC_FILE ? d->rate : 0;
    if (d->max_rate > 0 && (pace <= 0 || d->max_rate < pace))
        lim_init(&lim, d->max_rate, pace > 0);
    else
        lim_init(&lim, pace, true);
    lim.s = s;
    switch (d->kind) {
    case ST_SRC_STDIN: recv_stdin(s, &lim); break;
    case ST_SRC_FILE: recv_file(s, &lim); break;
    case ST_SRC_RATE:
        if (lim.rate == 0) {
            lim_init(&lim, 1, true);
            lim.s = s;
        }
        recv_rate(s, &lim);
        break;
    case ST_SRC_SOCKET: recv_socket(s, &lim); break;
    case ST_SRC_TEXTFILES: recv_dir(s, &lim); break;
    }
    atomic_fetch_sub(&s->r->live, 1);
    atomic_fetch_sub(&s->r->run->live, 1);
    return NULL;
}

/* ---- timer and scheduler ------------------------------------------------ */

/* A failure of the run (logged already): everything stops. */
static void fail(rctx *r)
{
    if (!atomic_exchange(&r->c->prog->failed, true))
        notify(r->run, 'F');
}

/* Seals every source's current block; false when logging failed. */
static bool seal_all(rctx *r)
{
    bool ok = true;
    for (int i = 0; i < r->nsrc; i++)
        if (seal(&r->src[i]) != 0)
            ok = false;
    return ok;
}

/* The batch at time_ms: every block sealed so far (logged and synced). */
static rjob *take_job(rctx *r, int64_t time_ms)
{
    rjob *j = rt_xcalloc(1, sizeof *j);
    if (rt_bs_take(&r->bs, time_ms, &j->b) != 0 || rt_bs_sync(&r->bs) != 0)
        fail(r);
    j->cost = r->sealed_cost;   /* every block sealed so far is in it */
    r->sealed_cost = 0;
    return j;
}

static void job_free(rctx *r, rjob *j)
{
    rt_bs_release(&r->bs, &j->b);
    held_add(r->c, -j->cost);
    free(j);
}

static void enqueue(rctx *r, rjob *j)
{
    pthread_mutex_lock(&r->qmu);
    if (r->qtail)
        r->qtail->next = j;
    else
        r->qhead = j;
    r->qtail = j;
    atomic_fetch_add(&r->qlen, 1);
    pthread_cond_signal(&r->qcv);
    pthread_mutex_unlock(&r->qmu);
}

static void queue_close(rctx *r)
{
    pthread_mutex_lock(&r->qmu);
    r->qclosed = true;
    pthread_cond_signal(&r->qcv);
    pthread_mutex_unlock(&r->qmu);
}

static void *timer_main(void *arg)
{
    rctx *r = arg;
    rt_run *run = r->run;
    const rt_opts *o = &r->c->prog->opts;
    int64_t batch = r->c->desc->batch_ms;
    int64_t block = r->c->desc->block_ms > 0 ? r->c->desc->block_ms : batch;
    int64_t last = rt_replay_last_batch(INT64_MAX, batch, 0, o->batches, o->duration_ms);
    int64_t k = 1, next_batch = r->first_ms;
    int64_t next_block = r->zero_ms +
                         (rt_floor_div(run->start_epoch - r->zero_ms, block) + 1) * block;
    while (last < 0 || k <= last) {
        int64_t t = next_block < next_batch ? next_block : next_batch;
        if (!sleep_until(r, run->start_mono + (t - run->start_epoch))) {
            /* Stopped (signal, failure): what was received runs now. */
            if (!seal_all(r))
                fail(r);
            enqueue(r, take_job(r, next_batch));
            break;
        }
        /* Read before sealing: if every receiver had ended by now, this
           seal holds their last records. */
        bool ended = r->nsrc > 0 ? atomic_load(&r->live) == 0 : atomic_load(&run->live) == 0;
        if (!seal_all(r))
            fail(r);
        if (t == next_block)
            next_block += block;
        if (t != next_batch) {
            if (rt_bs_sync(&r->bs) != 0)   /* a block counts once it is durable */
                fail(r);
            continue;
        }
        enqueue(r, take_job(r, next_batch));
        if (ended)
            break;
        k++;
        next_batch += batch;
    }
    queue_close(r);
    ctx_stop(r);   /* its receivers end with it */
    return NULL;
}

/* Writes a snapshot of the state after batch b and drops the log it
   makes unnecessary. -1 (logged) when either fails: the job then fails
   after the running batch, as Flink's does by default, rather than run on
   with a log that is never pruned. */
static int snapshot(rctx *r, const rt_batch *b)
{
    st_buf blob = { 0 };
    rt_bs_blob(&r->bs, b, &blob);
    int rc = rt_snap_write(r->c, r->ckdir, r->zero_ms, b->time_ms, &blob);
    if (rc == 0)
        rc = rt_bs_prune(&r->bs, b->time_ms, b->cum);
    st_buf_free(&blob);
    return rc;
}

/* Runs a loaded batch; with a checkpoint, logs its completion and takes
   a snapshot every interval. 0 or -1. */
static int run_batch(rctx *r, rt_batch *b, int64_t delay_ms)
{
    r->c->quiet = b->done;
    int rc = rt_ctx_run(r->c, b->time_ms, r->zero_ms, b->inputs, delay_ms);
    r->c->quiet = false;
    if (rc != 0 || !r->ckdir)
        return rc;
    if (!b->done && rt_bs_done(&r->bs, b->time_ms) != 0)
        return -1;
    if ((b->time_ms - r->zero_ms) % r->ck_every == 0)
        return snapshot(r, b);
    return 0;
}

/* Feeds each source's rate estimator with the batch just run. */
static void estimate(rctx *r, const rt_batch *b, int64_t processing_ms, int64_t delay_ms)
{
    int64_t now = rt_epoch_ms();
    for (int i = 0; i < r->nsrc && i < b->nsrc; i++) {
        rsrc *s = &r->src[i];
        int64_t elems = rt_inputs_records(1, &b->inputs[i]);
        /* A batch that took under half its interval and waited for nothing
           says only that the pipeline keeps up: its processing time is
           mostly fixed costs, and the rate it implies would throttle the
           next burst for nothing. The rate in force then doubles instead
           (up to what the source's configuration allows). */
        if (s->pid_on && delay_ms <= 0 && 2 * processing_ms < r->c->desc->batch_ms) {
            int64_t e = atomic_load(&s->est);
            if (e < INT64_C(1000000000000000)) {
                atomic_store(&s->est, 2 * e);
                rt_pid_rate_set(&s->pid, (double)(2 * e));
            }
            continue;
        }
        double rate = rt_pid_update(&s->pid, now, elems, processing_ms, delay_ms);
        if (rate > 0) {
            atomic_store(&s->est, rate >= 1e15 ? (long long)1e15 : (long long)rate + 1);
            s->pid_on = true;
        } else if (!s->pid_on) {
            /* slow start: double what a batch may take once it is used */
            int64_t e = atomic_load(&s->est);
            if (e < INT64_C(1000000000000) && 2 * elems * 1000 >= e * r->c->desc->batch_ms)
                atomic_store(&s->est, 2 * e);
        }
    }
}

static void *sched_main(void *arg)
{
    rctx *r = arg;
    rt_prog *p = r->c->prog;
    rt_batch last = { 0 };   /* time and allocation of the last batch run */
    int64_t last_snap = INT64_MIN;
    for (;;) {
        pthread_mutex_lock(&r->qmu);
        while (!r->qhead && !r->qclosed)
            pthread_cond_wait(&r->qcv, &r->qmu);
        rjob *j = r->qhead;
        if (j) {
            r->qhead = j->next;
            if (!r->qhead)
                r->qtail = NULL;
            atomic_fetch_sub(&r->qlen, 1);
        }
        pthread_mutex_unlock(&r->qmu);
        if (!j)
            break;
        if (!atomic_load(&p->failed)) {
            int64_t delay = rt_epoch_ms() - j->b.time_ms;
            int64_t t0 = rt_mono_ms();
            if (rt_bs_load(&r->bs, &j->b) != 0 || run_batch(r, &j->b, delay < 0 ? 0 : delay) != 0) {
                fail(r);
            } else if (r->ckdir) {
                last.time_ms = j->b.time_ms;
                last.nsrc = j->b.nsrc;
                free(last.next);
                free(last.cum);
                last.next = j->b.next;
                last.cum = j->b.cum;
                j->b.next = NULL;
                j->b.cum = NULL;
                if ((last.time_ms - r->zero_ms) % r->ck_every == 0)
                    last_snap = last.time_ms;
            }
            if (!atomic_load(&p->failed))
                estimate(r, &j->b, rt_mono_ms() - t0, delay < 0 ? 0 : delay);
        }
        job_free(r, j);
    }
    /* the state at the end, so that a restart need not run batches again */
    if (r->ckdir && last.next && last_snap != last.time_ms && !atomic_load(&p->failed) &&
        snapshot(r, &last) != 0)
        fail(r);
    free(last.next);
    free(last.cum);
    notify(r->run, 'D');
    return NULL;
}

/* Opens the context's checkpoint (when it has one): restores the newest
   snapshot, runs again every batch the log says was allocated after it
   (their outputs only when they had not completed), and starts the log.
   Sets where the timer begins. 0 or -1 (logged). */
static int recover(rctx *r)
{
    rt_ctx *c = r->c;
    int64_t batch = c->desc->batch_ms;
    r->first_ms = r->zero_ms + batch;
    r->ck_every = rt_ckpt_interval(batch);
    errno = 0;
    r->ckdir = rt_ckpt_dir(c, true);
    int err = errno;
    rt_bs_init(&r->bs, c, r->ckdir, c->prog->opts.memory >= 0 ? c->prog->opts.memory : RT_BLOCK_BUDGET);
    if (!r->ckdir)
        return err ? -1 : 0;   /* a directory that cannot be made is logged */
    rt_restore rs;
    int64_t log_zero = INT64_MIN, last_t;
    rt_batch *bt = NULL;
    int64_t nb = 0;
    if (rt_ckpt_restore(c, &r->bs, r->ckdir, &rs) != 0 ||
        rt_bs_recover(&r->bs, &rs, &bt, &nb, &log_zero, &last_t) != 0) {
        rt_restore_free(&rs);
        return -1;
    }
    int found = rs.found;
    r->recovering = rs.found || rs.had_log;
    if (found > 0)
        r->zero_ms = rs.snap_zero;
    else if (log_zero != INT64_MIN) {
        r->zero_ms = log_zero;
    }
    rt_restore_free(&rs);
    int rc = rt_bs_start_log(&r->bs, r->zero_ms);
    int64_t outputs = 0;
    for (int64_t k = 0; k < nb; k++) {
        if (rc == 0 && (rt_bs_load(&r->bs, &bt[k]) != 0 || run_batch(r, &bt[k], 0) != 0))
            rc = -1;
        outputs += !bt[k].done;
        if (rc == 0 && k == nb - 1 && (bt[k].time_ms - r->zero_ms) % r->ck_every != 0 &&
            snapshot(r, &bt[k]) != 0)
            rc = -1;
        rt_bs_release(&r->bs, &bt[k]);
    }
    free(bt);
    if (r->recovering)
        rt_log(c->prog, "note", "context '%s' recovered from %s: %s, %lld batch%s run again "
               "(%lld with outputs)", c->desc->name, r->ckdir,
               found > 0 ? "state restored" : "no snapshot yet", (long long)nb, nb == 1 ? "" : "es",
               (long long)outputs);
    r->first_ms = r->zero_ms + batch;
    if (r->recovering && last_t != INT64_MIN && last_t + batch > r->first_ms)
        r->first_ms = last_t + batch;
    return rc;
}

/* ---- the run ------------------------------------------------------------ */

static void stop_all(rt_run *run)
{
    for (int c = 0; c < run->n; c++)
        ctx_stop(&run->ctxs[c]);
}

int rt_run_realtime(rt_prog *p, int sigfd)
{
    rt_run run;
    memset(&run, 0, sizeof run);
    run.p = p;
    run.n = p->desc->ncontexts;
    run.ctxs = rt_xcalloc((size_t)run.n + 1, sizeof *run.ctxs);
    int total = 0;
    for (int c = 0; c < run.n; c++)
        total += p->desc->contexts[c].nsources;
    atomic_init(&run.live, total);
    if (pipe(run.notify) != 0) {
        rt_log(p, "error", "pipe: %s", strerror(errno));
        free(run.ctxs);
        return 1;
    }
    run.start_epoch = rt_epoch_ms();
    run.start_mono = rt_mono_ms();
    int rc = 0;
    for (int c = 0; c < run.n; c++) {
        rctx *r = &run.ctxs[c];
        r->c = &p->ctxs[c];
        r->run = &run;
        r->nsrc = r->c->desc->nsources;
        r->src = rt_xcalloc((size_t)r->nsrc + 1, sizeof *r->src);
        r->zero_ms = rt_floor_div(run.start_epoch, r->c->desc->batch_ms) * r->c->desc->batch_ms;
        pthread_mutex_init(&r->stop_mu, NULL);
        pthread_mutex_init(&r->qmu, NULL);
        pthread_cond_init(&r->qcv, NULL);
        atomic_init(&r->qlen, 0);
        atomic_init(&r->live, r->nsrc);
        r->c->held_limit = rt_held_limit(p->opts.memory >= 0 ? p->opts.memory : RT_BLOCK_BUDGET);
        if (pipe(r->stop) != 0) {
            r->stop[0] = r->stop[1] = -1;
            rc = 1;
        }
        for (int i = 0; i < r->nsrc; i++) {
            r->src[i].d = &r->c->desc->sources[i];
            r->src[i].r = r;
            r->src[i].index = i;
            pthread_mutex_init(&r->src[i].mu, NULL);
            int64_t e0 = RT_INITIAL_BATCH_RECORDS * 1000 / r->c->desc->batch_ms;
            atomic_init(&r->src[i].est, e0 > 0 ? e0 : 1);
            atomic_init(&r->src[i].held_back_ms, 0);
            rt_pid_init(&r->src[i].pid, r->c->desc->batch_ms);
        }
    }
    /* Checkpoints first: batches a crash left unfinished run before any
       new record is received. */
    bool ck_failed = false;   /* logged by recover() */
    for (int c = 0; c < run.n; c++)
        if (recover(&run.ctxs[c]) != 0)
            ck_failed = true;
    if (ck_failed)
        rc = 1;
    /* Start: schedulers, then receivers, then timers. */
    int running = 0;   /* contexts whose scheduler runs */
    for (int c = 0; c < run.n && rc == 0; c++) {
        rctx *r = &run.ctxs[c];
        if (pthread_create(&r->sched, NULL, sched_main, r) != 0) {
            rc = 1;
            break;
        }
        r->sched_started = true;
        running++;
        for (int i = 0; i < r->nsrc && rc == 0; i++) {
            if (pthread_create(&r->src[i].thread, NULL, receiver_main, &r->src[i]) != 0)
                rc = 1;
            else
                r->src[i].started = true;
        }
        if (rc == 0) {
            if (pthread_create(&r->timer, NULL, timer_main, r) != 0)
                rc = 1;
            else
                r->timer_started = true;
        }
    }
    if (rc) {
        if (!ck_failed)
            rt_log(p, "error", "cannot start the program's threads");
        atomic_store(&p->failed, true);
        stop_all(&run);
        for (int c = 0; c < run.n; c++)
            if (run.ctxs[c].sched_started && !run.ctxs[c].timer_started)
                queue_close(&run.ctxs[c]);
    }

    /* Supervise until every scheduler has finished. */
    int done = 0;
    while (done < running) {
        struct pollfd pf[2] = { { run.notify[0], POLLIN, 0 }, { sigfd, POLLIN, 0 } };
        int n = poll(pf, sigfd >= 0 ? 2 : 1, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (sigfd >= 0 && pf[1].revents) {
            char b[16];
            while (read(sigfd, b, sizeof b) > 0)
                ;
            stop_all(&run);
        }
        if (pf[0].revents) {
            char b[64];
            ssize_t got = read(run.notify[0], b, sizeof b);
            for (ssize_t i = 0; i < got; i++) {
                if (b[i] == 'D')
                    done++;
                else
                    stop_all(&run);
            }
        }
    }
    stop_all(&run);
    for (int c = 0; c < run.n; c++) {
        rctx *r = &run.ctxs[c];
        if (r->timer_started)
            pthread_join(r->timer, NULL);
        if (r->sched_started)
            pthread_join(r->sched, NULL);
        for (int i = 0; i < r->nsrc; i++) {
            rsrc *s = &r->src[i];
            if (s->started)
                pthread_join(s->thread, NULL);
            for (int64_t f = 0; f < s->nfiles; f++)
                free(s->files[f]);
            free(s->files);
            st_buf_free(&s->bytes);
            free(s->offs);
            free(s->ints);
            pthread_mutex_destroy(&s->mu);
        }
        for (rjob *j = r->qhead, *nx; j; j = nx) {
            nx = j->next;
            job_free(r, j);
        }
        rt_bs_close(&r->bs);
        free(r->ckdir);
        if (r->stop[0] >= 0)
            close(r->stop[0]);
        pthread_mutex_destroy(&r->stop_mu);
        pthread_mutex_destroy(&r->qmu);
        pthread_cond_destroy(&r->qcv);
        free(r->src);
    }
    close(run.notify[0]);
    close(run.notify[1]);
    free(run.ctxs);
    return atomic_load(&p->failed) ? 1 : 0;
}
