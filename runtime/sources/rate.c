/* sources/rate.c: rate(N): the integers 0, 1, 2, ... at N a second. */
#include "../engine.h"


/* A rate source held back falls behind its nominal rate: the time it
   waits is not made up later, its integers stay consecutive (none is
   skipped), and at the end it says how far behind it is. */
/* The integers go on where the source left off: after a restart from a
   checkpoint, after the records of every block the log holds (what a
   crash cut from the open block was never in a batch, so it is made
   again); after a receiver restart, after what it stored. */
static int64_t rate_next(rsrc *s)
{
    rt_bstore *bs = &s->r->bs;
    pthread_mutex_lock(&bs->mu);
    int64_t n = bs->src ? bs->src[s->index].recs : 0;
    pthread_mutex_unlock(&bs->mu);
    pthread_mutex_lock(&s->mu);
    n += s->n;
    pthread_mutex_unlock(&s->mu);
    return n;
}

static void recv_rate(rsrc *s, rt_limiter *lim)
{
    rt_ctx *c = s->r->c;
    int64_t next = rate_next(s), first = next, t0 = rt_mono_ms();
    while (!rt_rctx_stopped(s->r)) {
        if (!rt_bp_wait(s->r, s))
            break;
        rt_lim_follow(lim);
        rt_lim_refill(lim);
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
            rt_held_add(c, k * RT_REC_OVERHEAD);
            pthread_mutex_unlock(&s->mu);
        }
        int64_t wait = (1000 - lim->milli % 1000 + lim->rate - 1) / lim->rate;
        int64_t w0 = rt_mono_ms();
        bool go_on = rt_rctx_sleep(s->r, w0 + (wait < 1 ? 1 : wait));
        if (lim->est) {
            atomic_fetch_add(&c->throttled_ms, rt_mono_ms() - w0);
            atomic_fetch_add(&s->held_back_ms, rt_mono_ms() - w0);
        }
        if (!go_on)
            break;
    }
    int64_t back = atomic_load(&s->held_back_ms);
    double nominal = (double)lim->base * (double)(rt_mono_ms() - t0) / 1000.0;
    if (back > 0 && nominal > (double)(next - first))
        rt_log(c->prog, "note", "source '%s': held back %lld ms by backpressure; it generated "
               "%lld records, about %.0f fewer than rate(%lld) would have in that time "
               "(none skipped: they come later)", s->d->name, (long long)back, (long long)(next - first),
               nominal - (double)(next - first), (long long)lim->base);
}

static int run(st_recv *h)
{
    if (h->lim.rate == 0) {
        rt_lim_init(&h->lim, 1, true);
        h->lim.s = h;
    }
    recv_rate(h, &h->lim);
    return ST_RECV_DONE;
}

const st_receiver st_recv_rate = { .run = run };
