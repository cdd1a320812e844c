/* src_stats.c: what --stats and --metrics tell of a source's positions:
 * per batch, the range positions (st_recv_store_range, "KEY:FROM-TO") its
 * blocks carry (of a source that stores them or reports a lag), merged
 * per key, and the lag its receiver reports
 * (st_receiver.lag), as "KEY:FROM-TO,..." and "KEY:N,...", keys in order
 * (numerically when both are numbers). Computed on the scheduler's thread
 * before a batch runs, only with --stats, --stats=json or --metrics. */
#include "engine.h"
#include "rt_obs.h"

#include <stdlib.h>

typedef struct kr {
    const char *key;
    size_t kn;
    int64_t from, to;
} kr;

static int key_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    bool na = an > 0 && strspn(a, "0123456789") >= an, nb = bn > 0 && strspn(b, "0123456789") >= bn;
    if (na && nb && an != bn)
        return an < bn ? -1 : 1;
    int c = strncmp(a, b, an < bn ? an : bn);
    return c ? c : (an < bn ? -1 : an > bn);
}

static int kr_cmp(const void *x, const void *y)
{
    const kr *a = x, *b = y;
    int c = key_cmp(a->key, a->kn, b->key, b->kn);
    if (c)
        return c;
    return a->from < b->from ? -1 : a->from > b->from;
}

/* "KEY:FROM-TO" */
static bool parse(const char *pos, kr *out)
{
    const char *colon = strchr(pos, ':');
    if (!colon || colon == pos)
        return false;
    char *end;
    long long a = strtoll(colon + 1, &end, 10);
    if (end == colon + 1 || *end != '-' || a < 0)
        return false;
    const char *t = end + 1;
    long long b = strtoll(t, &end, 10);
    if (end == t || *end || b < a)
        return false;
    *out = (kr){ pos, (size_t)(colon - pos), a, b };
    return true;
}

/* The merged ranges of source i in b; "" when it read nothing. */
static char *ranges_text(const rt_batch *b, int i)
{
    int64_t n = 0;
    for (int64_t k = 0; k < b->nblocks[i]; k++)
        n += b->blocks[i][k].nfiles;
    kr *v = rt_xcalloc((size_t)n + 1, sizeof *v);
    int64_t m = 0;
    for (int64_t k = 0; k < b->nblocks[i]; k++)
        for (int64_t f = 0; f < b->blocks[i][k].nfiles; f++)
            if (parse(b->blocks[i][k].files[f], &v[m]))
                m++;
    if (m > 1)
        qsort(v, (size_t)m, sizeof *v, kr_cmp);
    st_buf t = { 0 };
    for (int64_t a = 0; a < m;) {
        kr x = v[a++];
        while (a < m && key_cmp(v[a].key, v[a].kn, x.key, x.kn) == 0 && v[a].from <= x.to) {
            if (v[a].to > x.to)
                x.to = v[a].to;
            a++;
        }
        if (x.from == x.to)
            continue;   /* a start marked, nothing read */
        char num[48];
        if (t.n)
            st_buf_putc(&t, ',');
        st_buf_put(&t, x.key, x.kn);
        snprintf(num, sizeof num, ":%lld-%lld", (long long)x.from, (long long)x.to);
        st_buf_puts(&t, num);
    }
    free(v);
    st_buf_putc(&t, '\0');
    return t.p;
}

typedef struct lag_acc {
    kr *v;
    size_t n, cap;
} lag_acc;

static void lag_one(void *arg, const char *key, int64_t n)
{
    lag_acc *a = arg;
    size_t kl = key ? strlen(key) : 0;
    if (kl == 0 || kl > 64 || strpbrk(key, ",: \t\n\"\\") || n < 0)
        return;   /* not a key a --stats line or a label can carry */
    if (a->n == a->cap) {
        a->cap = a->cap ? 2 * a->cap : 16;
        a->v = st_xrealloc(a->v, a->cap * sizeof *a->v);
    }
    a->v[a->n++] = (kr){ strdup(key), kl, n, 0 };
}

static char *lag_text(rsrc *s)
{
    lag_acc a = { 0 };
    s->rv.lag(s, lag_one, &a);
    if (a.n > 1)
        qsort(a.v, a.n, sizeof *a.v, kr_cmp);
    st_buf t = { 0 };
    for (size_t i = 0; i < a.n; i++) {
        char num[32];
        if (t.n)
            st_buf_putc(&t, ',');
        st_buf_put(&t, a.v[i].key, a.v[i].kn);
        snprintf(num, sizeof num, ":%lld", (long long)a.v[i].from);
        st_buf_puts(&t, num);
        free((char *)a.v[i].key);
    }
    free(a.v);
    st_buf_putc(&t, '\0');
    return t.p;
}

void rt_src_stats_begin(rctx *r, const rt_batch *b)
{
    rt_ctx *c = r->c;
    const rt_opts *o = c->prog ? &c->prog->opts : NULL;
    if (!o || !(o->stats || o->stats_json || o->metrics) || r->nsrc == 0)
        return;
    c->src_ranges = rt_xcalloc((size_t)r->nsrc, sizeof *c->src_ranges);
    c->src_lag = rt_xcalloc((size_t)r->nsrc, sizeof *c->src_lag);
    for (int i = 0; i < r->nsrc && i < b->nsrc; i++) {
        rsrc *s = &r->src[i];
        pthread_mutex_lock(&r->bs.mu);
        bool ranges = r->bs.src[i].ranges;   /* a recovered batch, before the receivers store */
        pthread_mutex_unlock(&r->bs.mu);
        if (ranges || atomic_load(&s->shows_ranges) || s->rv.lag)
            c->src_ranges[i] = ranges_text(b, i);
        if (s->rv.lag) {
            c->src_lag[i] = lag_text(s);
            rt_obs_lag_set(c, i, c->src_lag[i]);
        }
    }
}

void rt_src_stats_end(rctx *r)
{
    rt_ctx *c = r->c;
    if (!c->src_ranges)
        return;
    for (int i = 0; i < r->nsrc; i++) {
        free(c->src_ranges[i]);
        free(c->src_lag[i]);
    }
    free(c->src_ranges);
    free(c->src_lag);
    c->src_ranges = c->src_lag = NULL;
}
