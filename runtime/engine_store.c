/* engine_store.c: what receivers store through: stopping and sleeping,
 * backpressure, the rate limiter, the current block (see engine.h). */
#include "engine.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

/* ---- stopping and sleeping ---------------------------------------------- */

void rt_rctx_stop(rctx *r)
{
    pthread_mutex_lock(&r->stop_mu);
    if (r->stop[1] >= 0) {
        close(r->stop[1]);
        r->stop[1] = -1;
    }
    pthread_mutex_unlock(&r->stop_mu);
}

/* A receiver's failure (logged by the caller), for --stats and --metrics. */
void rt_recv_err(rsrc *s)
{
    atomic_fetch_add(&s->r->c->recv_errors, 1);
}

bool rt_rctx_stopped(rctx *r)
{
    /* a signal stops the receivers through r->stop once the program runs;
       before (recovery re-reading a batch's records), only the flag says so */
    if (rt_signalled())
        return true;
    struct pollfd pf = { r->stop[0], POLLIN, 0 };
    return poll(&pf, 1, 0) > 0;
}

/* Sleeps until the monotonic deadline; false when stopped first. */
bool rt_rctx_sleep(rctx *r, int64_t mono_dl)
{
    for (;;) {
        int64_t now = rt_mono_ms();
        if (now >= mono_dl)
            return !rt_rctx_stopped(r);
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

/* Counts n accounted bytes received (negative: released). */
void rt_held_add(rt_ctx *c, int64_t n)
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

bool rt_bp_blocked(rctx *r)
{
    return atomic_load(&r->qlen) >= RT_MAX_QUEUED ||
           atomic_load(&r->c->held) >= r->c->held_limit;
}

bool rt_bp_wait(rctx *r, rsrc *s)
{
    while (rt_bp_blocked(r)) {
        int64_t t0 = rt_mono_ms();
        bool go_on = rt_rctx_sleep(r, t0 + 5);
        int64_t dt = rt_mono_ms() - t0;
        atomic_fetch_add(&r->c->throttled_ms, dt);
        atomic_fetch_add(&s->held_back_ms, dt);
        if (!go_on)
            return false;
    }
    return true;
}


void rt_run_notify(rt_run *run, char what)
{
    for (;;) {
        ssize_t w = write(run->notify[1], &what, 1);
        if (w == 1 || (w < 0 && errno != EINTR))
            return;
    }
}

/* ---- the current block -------------------------------------------------- */

/* Under s->mu. */
void rt_push_str_locked(rsrc *s, const char *p, size_t n)
{
    rt_grow((void **)&s->offs, &s->ncap, 2 * (s->n + 1), sizeof *s->offs);
    s->offs[2 * s->n] = (int64_t)s->bytes.n;
    s->offs[2 * s->n + 1] = (int64_t)n;
    st_buf_put(&s->bytes, p, n);
    s->n++;
    s->cost += (int64_t)n + RT_REC_OVERHEAD;
    rt_held_add(s->r->c, (int64_t)n + RT_REC_OVERHEAD);
}

/* Hands the current block to the block store (which logs it); -1 when
   logging failed. */
int rt_seal(rsrc *s)
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

/* Paced sources get a small bucket (smooth); maxRate a one-second one, as
   Guava's RateLimiter that Spark's receivers use. */
void rt_lim_init(rt_limiter *l, int64_t rate, bool smooth)
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
void rt_lim_follow(rt_limiter *l)
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

void rt_lim_refill(rt_limiter *l)
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
bool rt_lim_take(rt_limiter *l, rctx *r)
{
    if (l->rate == 0)
        return true;
    while (l->milli < 1000) {
        rt_lim_refill(l);
        if (l->milli >= 1000)
            break;
        int64_t wait = (1000 - l->milli + l->rate - 1) / l->rate;
        int64_t t0 = rt_mono_ms();
        bool go_on = rt_rctx_sleep(r, t0 + (wait < 1 ? 1 : wait));
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
size_t rt_push_lines(rsrc *s, const char *p, size_t n, rt_limiter *lim, bool *stop)
{
    size_t pos = 0;
    bool locked = false;
    rt_lim_follow(lim);
    while (pos < n) {
        const char *nl = memchr(p + pos, '\n', n - pos);
        if (!nl)
            break;
        size_t e = (size_t)(nl - p), len = e - pos;
        if (len > 0 && p[e - 1] == '\r')
            len--;
        if (rt_bp_blocked(s->r)) {
            if (locked) {
                pthread_mutex_unlock(&s->mu);
                locked = false;
            }
            if (!rt_bp_wait(s->r, s)) {
                *stop = true;
                break;
            }
        }
        if (lim->rate && lim->milli < 1000) {
            if (locked) {
                pthread_mutex_unlock(&s->mu);
                locked = false;
            }
            if (!rt_lim_take(lim, s->r)) {
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
        rt_push_str_locked(s, p + pos, len);
        pos = e + 1;
    }
    if (locked)
        pthread_mutex_unlock(&s->mu);
    return pos;
}

bool rt_push_one(rsrc *s, const char *p, size_t n, rt_limiter *lim)
{
    if (n > 0 && p[n - 1] == '\r')
        n--;
    rt_lim_follow(lim);
    if (!rt_bp_wait(s->r, s) || !rt_lim_take(lim, s->r))
        return false;
    pthread_mutex_lock(&s->mu);
    rt_push_str_locked(s, p, n);
    pthread_mutex_unlock(&s->mu);
    return true;
}

/* ---- reading lines from a descriptor ------------------------------------ */

/* Reads fd to its end, pushing each line (a last line without newline
   counts). A line longer than RT_MAX_RECORD is skipped and counted. */
pump_end rt_pump_fd(rsrc *s, int fd, rt_limiter *lim)
{
    size_t cap = 1 << 16, start = 0, end = 0;
    char *buf = rt_xmalloc(cap);
    bool skipping = false;
    pump_end result;
    for (;;) {
        /* held off: nothing more is read (the writer blocks) */
        if (!rt_bp_wait(s->r, s)) {
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
            if (end > start && !skipping && !rt_push_one(s, buf + start, end - start, lim))
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
        start += rt_push_lines(s, buf + start, end - start, lim, &stop);
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

/* Under s->mu: a position goes with the current block. */
void rt_push_pos_locked(rsrc *s, const char *pos, size_t n)
{
    rt_grow((void **)&s->files, &s->fcap, s->nfiles + 1, sizeof *s->files);
    char *c = rt_xmalloc(n + 1);
    memcpy(c, pos, n);
    c[n] = '\0';
    s->files[s->nfiles++] = c;
}

/* ---- st_receiver.h ------------------------------------------------------ */

const char *st_recv_name(const st_recv *h) { return h->d->name; }
const char *st_recv_arg(const st_recv *h) { return h->d->arg; }
void st_recv_set_state(st_recv *h, void *state) { h->state = state; }
void *st_recv_state(const st_recv *h) { return h->state; }
bool st_recv_recovering(const st_recv *h) { return h->r->recovering; }
bool st_recv_logged(const st_recv *h) { return h->r->ckdir != NULL; }
bool st_recv_stopped(st_recv *h) { return rt_rctx_stopped(h->r); }
int st_recv_stop_fd(const st_recv *h) { return h->r->stop[0]; }

/* A source's options by name: strings in *str, the others in *num (the
   fields and the table's defaults: rt_source_field, kinds.c). */
static void opt(const st_source_desc *d, const char *name, const char **str, int64_t *num)
{
    rt_source_field(d, name, str, num);
}

const char *st_recv_opt_str(const st_recv *h, const char *name)
{
    const char *str = NULL;
    int64_t num = 0;
    opt(h->d, name, &str, &num);
    return str;
}

int64_t st_recv_opt_int(const st_recv *h, const char *name)
{
    const char *str = NULL;
    int64_t num = 0;
    opt(h->d, name, &str, &num);
    return num;
}

bool st_recv_sleep(st_recv *h, int64_t ms)
{
    return rt_rctx_sleep(h->r, rt_mono_ms() + (ms > 0 ? ms : 0));
}

/* Holds off (backpressure, then the rate limit) before one record; false
   when stopped. A replay handle (recovery.c) stores at once. */
static bool may_store(st_recv *h)
{
    if (h->replaying)
        return true;
    rt_lim_follow(&h->lim);
    return rt_bp_wait(h->r, h) && rt_lim_take(&h->lim, h->r);
}

bool st_recv_store(st_recv *h, const char *p, size_t n)
{
    if (n > RT_MAX_RECORD) {
        rt_skip_ctx(h->r->c, "record too long", p, n);
        return true;
    }
    if (rt_kind_ints(h->d->kind)) {
        st_recv_error(h, "a String record stored into an Int source is skipped");
        return true;
    }
    if (!may_store(h))
        return false;
    pthread_mutex_lock(&h->mu);
    rt_push_str_locked(h, p, n);
    pthread_mutex_unlock(&h->mu);
    return true;
}

/* A pair is one String record KEY<TAB>VALUE (st_pair_split cuts it at
   the first TAB): the block store, the log, snapshots and replay files
   carry it as any record. A key holding a TAB cannot be cut back: it is
   a counted, logged skip. */
bool st_recv_store_pair(st_recv *h, const char *k, size_t kn, const char *v, size_t vn)
{
    if (!rt_source_keyed(h->d)) {
        st_recv_error(h, "a (key, value) record stored into a source of single records is skipped");
        return true;
    }
    if (kn > RT_MAX_RECORD || vn > RT_MAX_RECORD - kn - 1) {
        rt_skip_ctx(h->r->c, "record too long", k, kn);
        return true;
    }
    if (memchr(k, '\t', kn)) {
        rt_skip_ctx(h->r->c, "a key with a TAB", k, kn);
        return true;
    }
    if (!may_store(h))
        return false;
    pthread_mutex_lock(&h->mu);
    rt_push_str_locked(h, k, kn);
    /* the record grows by the TAB and the value */
    h->offs[2 * (h->n - 1) + 1] += (int64_t)(1 + vn);
    st_buf_putc(&h->bytes, '\t');
    st_buf_put(&h->bytes, v, vn);
    h->cost += (int64_t)(1 + vn);
    rt_held_add(h->r->c, (int64_t)(1 + vn));
    pthread_mutex_unlock(&h->mu);
    return true;
}

bool st_recv_store_int(st_recv *h, int64_t v)
{
    if (!rt_kind_ints(h->d->kind)) {
        char t[24];
        int n = snprintf(t, sizeof t, "%lld", (long long)v);
        return st_recv_store(h, t, (size_t)n);
    }
    if (!may_store(h))
        return false;
    pthread_mutex_lock(&h->mu);
    rt_grow((void **)&h->ints, &h->icap, h->n + 1, sizeof *h->ints);
    h->ints[h->n++] = v;
    h->cost += RT_REC_OVERHEAD;
    rt_held_add(h->r->c, RT_REC_OVERHEAD);
    pthread_mutex_unlock(&h->mu);
    return true;
}

bool st_recv_store_lines(st_recv *h, const char *p, size_t n, size_t *used)
{
    bool stop = false;
    *used = rt_push_lines(h, p, n, &h->lim, &stop);
    return !stop;
}

void st_recv_position(st_recv *h, const void *pos, size_t n)
{
    if (n > ST_RECV_POS_MAX || memchr(pos, '\0', n)) {
        st_recv_error(h, "a position of %zu bytes%s is not kept", n,
                      n > ST_RECV_POS_MAX ? "" : " with a NUL byte");
        return;
    }
    pthread_mutex_lock(&h->mu);
    rt_push_pos_locked(h, pos, n);
    pthread_mutex_unlock(&h->mu);
}

bool st_recv_position_logged(st_recv *h, const void *pos, size_t n)
{
    char buf[ST_RECV_POS_MAX + 1];
    if (n > ST_RECV_POS_MAX)
        return false;
    memcpy(buf, pos, n);
    buf[n] = '\0';
    return rt_bs_has_file(&h->r->bs, h->index, buf);
}

void st_recv_acked(st_recv *h, const void *mark, size_t n)
{
    if (!h->rv.covered || h->replaying || !h->r->ckdir || n > ST_RECV_POS_MAX || memchr(mark, '\0', n))
        return;
    char buf[ST_RECV_POS_MAX + 1];
    memcpy(buf, mark, n);
    buf[n] = '\0';
    rt_bs_set_acked(&h->r->bs, h->index, buf, h->rv.covered);
}

static void vlog(st_recv *h, const char *level, const char *fmt, va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    rt_recv_err(h);
    rt_log(h->r->c->prog, level, "source '%s': %s", h->d->name, msg);
}

void st_recv_error(st_recv *h, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(h, "warning", fmt, ap);
    va_end(ap);
}

int st_recv_restart(st_recv *h, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(h, "warning", fmt, ap);
    va_end(ap);
    if (!rt_rctx_stopped(h->r))
        rt_log(h->r->c->prog, "note", "source '%s': restarting the receiver in %d ms", h->d->name,
               ST_RECV_RESTART_MS);
    return ST_RECV_RESTART;
}

int st_recv_fatal(st_recv *h, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(h, "error", fmt, ap);
    va_end(ap);
    h->fatal = true;
    return ST_RECV_FATAL;
}

/* ---- range positions (st_recv_store_range) ------------------------------ */

/* Under s->mu: extends the current block's range of key that ends at from
   to end at to; false when it has none. */
static bool extend_range_locked(rsrc *s, const char *key, size_t kl, int64_t from, int64_t to)
{
    for (int64_t f = s->nfiles - 1; f >= 0; f--) {
        const char *p = s->files[f];
        if (strncmp(p, key, kl) != 0 || p[kl] != ':')
            continue;
        const char *dash = strrchr(p + kl + 1, '-');
        char *end;
        long long lo = strtoll(p + kl + 1, &end, 10);
        if (!dash || end != dash)
            return false;
        long long hi = strtoll(dash + 1, &end, 10);
        if (*end || hi != from)
            return false;
        char buf[ST_RECV_POS_MAX + 1];
        int n = snprintf(buf, sizeof buf, "%.*s:%lld-%lld", (int)kl, key, lo, (long long)to);
        if (n < 0 || n > ST_RECV_POS_MAX)
            return false;
        free(s->files[f]);
        s->files[f] = rt_xmalloc((size_t)n + 1);
        memcpy(s->files[f], buf, (size_t)n + 1);
        return true;
    }
    return false;
}

bool st_recv_store_range(st_recv *h, const char *key, int64_t from, int64_t to, const st_recv_rec *recs,
                         size_t n)
{
    size_t kl = strlen(key);
    if (kl + 44 > ST_RECV_POS_MAX || strchr(key, ':') || from < 0 || to < from) {
        st_recv_error(h, "a range position of key '%.40s' [%lld, %lld) is not kept", key, (long long)from,
                      (long long)to);
        return true;
    }
    if (!h->replaying) {
        rt_lim_follow(&h->lim);
        if (!rt_bp_wait(h->r, h))
            return false;
        for (size_t i = 0; i < n && h->lim.rate; i++)
            if (!rt_lim_take(&h->lim, h->r))
                return false;
    }
    if (!h->replaying && !atomic_load_explicit(&h->shows_ranges, memory_order_relaxed))
        atomic_store(&h->shows_ranges, true);
    if (!h->ranges && !h->replaying && h->r->ckdir) {
        rt_bs_set_ranges(&h->r->bs, h->index);
        h->ranges = true;
    }
    bool keyed = rt_source_keyed(h->d);
    pthread_mutex_lock(&h->mu);
    for (size_t i = 0; i < n; i++) {
        const st_recv_rec *x = &recs[i];
        if (!keyed) {
            if (x->vn > RT_MAX_RECORD)
                rt_skip_ctx(h->r->c, "record too long", x->v, x->vn);
            else
                rt_push_str_locked(h, x->v, x->vn);
            continue;
        }
        /* a pair: one record KEY<TAB>VALUE, as st_recv_store_pair */
        if (x->kn > RT_MAX_RECORD || x->vn > RT_MAX_RECORD - x->kn - 1) {
            rt_skip_ctx(h->r->c, "record too long", x->k, x->kn);
        } else if (memchr(x->k, '\t', x->kn)) {
            rt_skip_ctx(h->r->c, "a key with a TAB", x->k, x->kn);
        } else {
            rt_push_str_locked(h, x->k, x->kn);
            h->offs[2 * (h->n - 1) + 1] += (int64_t)(1 + x->vn);
            st_buf_putc(&h->bytes, '\t');
            st_buf_put(&h->bytes, x->v, x->vn);
            h->cost += (int64_t)(1 + x->vn);
            rt_held_add(h->r->c, (int64_t)(1 + x->vn));
        }
    }
    if (!extend_range_locked(h, key, kl, from, to)) {
        char buf[ST_RECV_POS_MAX + 1];
        int pn = snprintf(buf, sizeof buf, "%s:%lld-%lld", key, (long long)from, (long long)to);
        rt_push_pos_locked(h, buf, (size_t)pn);
    }
    pthread_mutex_unlock(&h->mu);
    return true;
}

void st_recv_positions_each(st_recv *h, void (*fn)(void *arg, const char *pos), void *arg)
{
    if (h->r->ckdir) {
        rt_bs_set_ranges(&h->r->bs, h->index);   /* a range source asks (st_receiver.h) */
        h->ranges = true;
        rt_bs_each_file(&h->r->bs, h->index, fn, arg);
    }
}
