/* metrics.c: the figures of a run (see rt_obs.h): --stats and --stats=json
 * lines, the totals and histograms --metrics serves in Prometheus' text
 * format, the recent batches as JSON, and the live page.
 * Must not: take a lock or allocate on a batch's path beyond one
 * publication per batch (the batch thread never waits for a reader; the
 * one exception, a source's lag text, is a pointer swap under lag_mu,
 * which a reader holds only to copy the string). */
#include "rt_obs.h"

#include <sched.h>
#include <stddef.h>
#include <stdlib.h>
#include <time.h>

const int64_t rt_obs_bounds_us[RT_OBS_NBUCKETS] = {
    1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
    1000000, 2500000, 5000000, 10000000, INT64_MAX,
};

int64_t rt_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void rt_obs_init(rt_ctx *c)
{
    c->obs = rt_xcalloc(1, sizeof *c->obs);
    c->obs->src_records = rt_xcalloc((size_t)c->desc->nsources + 1, sizeof *c->obs->src_records);
    c->obs->lag = rt_xcalloc((size_t)c->desc->nsources + 1, sizeof *c->obs->lag);
    pthread_mutex_init(&c->obs->lag_mu, NULL);
}

void rt_obs_lag_set(rt_ctx *c, int i, const char *lag)
{
    if (!c->obs)
        return;
    char *copy = strdup(lag), *old;
    pthread_mutex_lock(&c->obs->lag_mu);
    old = c->obs->lag[i];
    c->obs->lag[i] = copy;
    pthread_mutex_unlock(&c->obs->lag_mu);
    free(old);
}

void rt_obs_free(rt_ctx *c)
{
    if (!c->obs)
        return;
    free(c->obs->src_records);
    for (int i = 0; i < c->desc->nsources; i++)
        free(c->obs->lag[i]);
    free(c->obs->lag);
    pthread_mutex_destroy(&c->obs->lag_mu);
    free(c->obs);
    c->obs = NULL;
}

void rt_obs_output(rt_ctx *c, const char *op, int64_t t0_us)
{
    if (!c || !c->obs)
        return;
    rt_obs *o = c->obs;
    int i = o->nout < RT_OBS_OUTPUTS ? o->nout++ : RT_OBS_OUTPUTS - 1;
    o->out_op[i] = op;
    o->out_us[i] += rt_mono_us() - t0_us;
}

/* A JSON string (names are identifiers, but a program name need not be). */
static void json_str(st_buf *b, const char *s)
{
    st_buf_putc(b, '"');
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            st_buf_putc(b, '\\');
            st_buf_putc(b, (char)ch);
        } else if (ch < 0x20) {
            char e[8];
            snprintf(e, sizeof e, "\\u%04x", ch);
            st_buf_puts(b, e);
        } else
            st_buf_putc(b, (char)ch);
    }
    st_buf_putc(b, '"');
}

static void put_fmt(st_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put_fmt(st_buf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        st_buf_put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static int bucket_of(int64_t us)
{
    int i = 0;
    while (i < RT_OBS_NBUCKETS - 1 && us > rt_obs_bounds_us[i])
        i++;
    return i;
}

/* "K:A-B,K:C" as {"K":[[A,B]],"K":C}: the items of a src_stats.c text
   (a key may have several ranges) */
static void json_items(st_buf *b, const char *t, bool ranges)
{
    st_buf_putc(b, '{');
    const char *prev = NULL;
    size_t pn = 0;
    while (*t) {
        const char *colon = strchr(t, ':'), *end = strchr(t, ',');
        if (!end)
            end = t + strlen(t);
        if (!colon || colon > end)
            break;
        if (ranges && prev && pn == (size_t)(colon - t) && strncmp(prev, t, pn) == 0)
            st_buf_putc(b, ',');   /* another range of the same key */
        else {
            if (prev)
                st_buf_puts(b, ranges ? "]," : ",");
            st_buf_putc(b, '"');
            st_buf_put(b, t, (size_t)(colon - t));
            st_buf_puts(b, ranges ? "\":[" : "\":");
        }
        const char *v = colon + 1, *dash = ranges ? memchr(v, '-', (size_t)(end - v)) : NULL;
        if (dash) {
            st_buf_putc(b, '[');
            st_buf_put(b, v, (size_t)(dash - v));
            st_buf_putc(b, ',');
            st_buf_put(b, dash + 1, (size_t)(end - dash - 1));
            st_buf_putc(b, ']');
        } else
            st_buf_put(b, v, (size_t)(end - v));
        prev = t, pn = (size_t)(colon - t);
        t = *end ? end + 1 : end;
    }
    if (ranges && prev)
        st_buf_putc(b, ']');
    st_buf_putc(b, '}');
}

/* ,"positions":{"SRC":{"ranges":{"P":[[F,T]]},"lag":{"P":N}}}: the sources
   of range positions or lag; nothing without such a source */
static void json_positions(st_buf *b, const st_context_desc *d, const rt_bstat *s)
{
    bool any = false;
    for (int i = 0; i < d->nsources; i++) {
        const char *rg = s->src_ranges ? s->src_ranges[i] : NULL, *lg = s->src_lag ? s->src_lag[i] : NULL;
        if (!rg && !lg)
            continue;
        st_buf_puts(b, any ? "," : ",\"positions\":{");
        any = true;
        json_str(b, d->sources[i].name);
        st_buf_putc(b, ':');
        st_buf_putc(b, '{');
        if (rg) {
            st_buf_puts(b, "\"ranges\":");
            json_items(b, rg, true);
        }
        if (lg) {
            st_buf_puts(b, rg ? ",\"lag\":" : "\"lag\":");
            json_items(b, lg, false);
        }
        st_buf_putc(b, '}');
    }
    if (any)
        st_buf_putc(b, '}');
}

static void stats_lines(rt_ctx *c, const rt_bstat *s)
{
    const rt_opts *op = &c->prog->opts;
    const st_context_desc *d = c->desc;
    const rt_obs *o = c->obs;
    int64_t proc_ms = s->processing_us / 1000;
    st_buf b = { 0 };
    if (op->stats_json) {
        st_buf_puts(&b, "{\"context\":");
        json_str(&b, d->name);
        put_fmt(&b, ",\"time\":%lld,\"records\":%lld,\"processing_ms\":%lld,\"delay_ms\":%lld,"
                    "\"total_delay_ms\":%lld,\"skipped\":%lld,\"throttled_ms\":%lld,\"spilled\":%lld,"
                    "\"receiver_errors\":%lld,",
                (long long)s->time_ms, (long long)s->records, (long long)proc_ms, (long long)s->delay_ms,
                (long long)(s->delay_ms + proc_ms), (long long)s->skipped, (long long)s->throttled_ms,
                (long long)s->spilled, (long long)s->recv_errors);
        if (d->nsinks > 0)   /* with st_sink outputs: their failed writes, retried */
            put_fmt(&b, "\"output_retries\":%lld,", (long long)s->out_retries);
        put_fmt(&b, "\"state_keys\":%lld,", (long long)s->state_keys);
        if (s->held >= 0)
            put_fmt(&b, "\"held\":%lld,", (long long)s->held);
        st_buf_puts(&b, "\"sources\":{");
        for (int i = 0; i < d->nsources; i++) {
            if (i)
                st_buf_putc(&b, ',');
            json_str(&b, d->sources[i].name);
            put_fmt(&b, ":%lld", (long long)s->src_records[i]);
        }
        st_buf_putc(&b, '}');
        json_positions(&b, d, s);
        st_buf_puts(&b, ",\"outputs\":[");
        for (int i = 0; i < o->nout; i++)
            put_fmt(&b, "%s{\"op\":\"%s\",\"ms\":%.3f}", i ? "," : "", o->out_op[i],
                    (double)o->out_us[i] / 1000.0);
        st_buf_puts(&b, "]}\n");
    } else {
        /* the text form stays as it was (scripts read it); the new
           figures are in --stats=json */
        put_fmt(&b, "[stats] %s time=%lld records=%lld processing=%lldms delay=%lldms "
                    "skipped=%lld throttled=%lldms spilled=%lld",
                d->name, (long long)s->time_ms, (long long)s->records, (long long)proc_ms,
                (long long)s->delay_ms, (long long)s->skipped, (long long)s->throttled_ms,
                (long long)s->spilled);
        if (s->held >= 0)   /* real time only: the peak of held bytes */
            put_fmt(&b, " held=%lld", (long long)s->held);
        if (s->out_retries > 0)   /* an st_sink output's failed writes */
            put_fmt(&b, " retries=%lld", (long long)s->out_retries);
        st_buf_putc(&b, '\n');
        /* a line per source of range positions or lag */
        for (int i = 0; i < d->nsources; i++) {
            const char *rg = s->src_ranges ? s->src_ranges[i] : NULL, *lg = s->src_lag ? s->src_lag[i] : NULL;
            if (!rg && !lg)
                continue;
            put_fmt(&b, "[stats] %s source=%s time=%lld", d->name, d->sources[i].name, (long long)s->time_ms);
            if (rg) {
                st_buf_puts(&b, " ranges=");
                st_buf_puts(&b, *rg ? rg : "-");
            }
            if (lg) {
                st_buf_puts(&b, " lag=");
                st_buf_puts(&b, *lg ? lg : "-");
            }
            st_buf_putc(&b, '\n');
        }
    }
    fwrite(b.p, 1, b.n, stderr);
    st_buf_free(&b);
}

void rt_obs_batch(rt_ctx *c, const rt_bstat *s)
{
    rt_obs *o = c->obs;
    if (c->prog && (c->prog->opts.stats || c->prog->opts.stats_json))
        stats_lines(c, s);
    if (!o)
        return;
    int64_t out_us = 0;
    for (int i = 0; i < o->nout; i++)
        out_us += o->out_us[i];
    int64_t proc_ms = s->processing_us / 1000;
    int64_t k = atomic_load_explicit(&o->batches, memory_order_relaxed);
    rt_obs_ent *e = &o->ring[k % RT_OBS_RING];
    atomic_store(&e->seq, 0);
    atomic_store_explicit(&e->time_ms, s->time_ms, memory_order_relaxed);
    atomic_store_explicit(&e->records, s->records, memory_order_relaxed);
    atomic_store_explicit(&e->processing_us, s->processing_us, memory_order_relaxed);
    atomic_store_explicit(&e->delay_ms, s->delay_ms, memory_order_relaxed);
    atomic_store(&e->seq, k + 1);

    atomic_fetch_add(&o->seq, 1);   /* odd: changing */
#define ADD(f, v) atomic_fetch_add_explicit(&o->f, (v), memory_order_relaxed)
#define SET(f, v) atomic_store_explicit(&o->f, (v), memory_order_relaxed)
    ADD(records, s->records);
    ADD(skipped, s->skipped);
    ADD(throttled_ms, s->throttled_ms);
    ADD(spilled, s->spilled);
    ADD(recv_errors, s->recv_errors);
    ADD(out_retries, s->out_retries);
    ADD(output_us, out_us);
    ADD(total_delay_ms, s->delay_ms + proc_ms);
    ADD(proc_sum_us, s->processing_us);
    ADD(delay_sum_ms, s->delay_ms);
    ADD(proc_bucket[bucket_of(s->processing_us)], 1);
    ADD(delay_bucket[bucket_of(s->delay_ms * 1000)], 1);
    for (int i = 0; i < c->desc->nsources; i++)
        ADD(src_records[i], s->src_records[i]);
    SET(last_total_delay_ms, s->delay_ms + proc_ms);
    SET(last_processing_us, s->processing_us);
    SET(last_delay_ms, s->delay_ms);
    SET(last_time_ms, s->time_ms);
    SET(state_keys, s->state_keys);
    ADD(batches, 1);
#undef ADD
#undef SET
    atomic_fetch_add(&o->seq, 1);   /* even: consistent */
    o->nout = 0;
    memset(o->out_us, 0, sizeof o->out_us);
}

void rt_obs_total(rt_ctx *c)
{
    const rt_opts *op = &c->prog->opts;
    if (op->stats_json) {
        st_buf b = { 0 };
        st_buf_puts(&b, "{\"context\":");
        json_str(&b, c->desc->name);
        put_fmt(&b, ",\"total\":{\"batches\":%lld,\"records\":%lld,\"skipped\":%lld",
                (long long)c->batches, (long long)c->records, (long long)c->skipped_total);
        if (c->held_limit > 0)
            put_fmt(&b, ",\"held_max\":%lld,\"held_limit\":%lld", (long long)atomic_load(&c->held_max),
                    (long long)c->held_limit);
        if (c->desc->nsinks > 0)
            put_fmt(&b, ",\"output_retries\":%lld", (long long)c->retries_total);
        st_buf_puts(&b, "}}\n");
        fwrite(b.p, 1, b.n, stderr);
        st_buf_free(&b);
    } else if (op->stats) {
        char held[120] = "";   /* real time only; retries with st_sink outputs */
        int hn = 0;
        if (c->held_limit > 0)
            hn = snprintf(held, sizeof held, " held_max=%lld held_limit=%lld", (long long)atomic_load(&c->held_max),
                          (long long)c->held_limit);
        if (c->desc->nsinks > 0)
            snprintf(held + hn, sizeof held - (size_t)hn, " retries=%lld", (long long)c->retries_total);
        fprintf(stderr, "[stats] %s total batches=%lld records=%lld skipped=%lld%s\n", c->desc->name,
                (long long)c->batches, (long long)c->records, (long long)c->skipped_total, held);
    }
}

/* ---- reading the figures (the responder's thread) ----------------------- */

typedef struct obs_snap {
    int64_t batches, records, skipped, throttled_ms, spilled, output_us, total_delay_ms, recv_errors;
    int64_t out_retries;
    int64_t last_total_delay_ms, last_processing_us, last_delay_ms, last_time_ms;
    int64_t proc_sum_us, delay_sum_ms, state_keys;
    int64_t proc_bucket[RT_OBS_NBUCKETS], delay_bucket[RT_OBS_NBUCKETS];
    int64_t *src;
} obs_snap;

/* A consistent copy of o's totals (the figures of one batch's end). */
static void snap_read(rt_obs *o, int nsrc, obs_snap *s)
{
    for (;;) {
        int64_t s0 = atomic_load(&o->seq);
        if (s0 & 1) {
            sched_yield();
            continue;
        }
#define GET(f) s->f = atomic_load_explicit(&o->f, memory_order_relaxed)
        GET(batches); GET(records); GET(skipped); GET(throttled_ms); GET(spilled); GET(output_us);
        GET(total_delay_ms); GET(recv_errors); GET(out_retries); GET(last_total_delay_ms); GET(last_processing_us); GET(last_delay_ms);
        GET(last_time_ms); GET(proc_sum_us); GET(delay_sum_ms); GET(state_keys);
#undef GET
        for (int i = 0; i < RT_OBS_NBUCKETS; i++) {
            s->proc_bucket[i] = atomic_load_explicit(&o->proc_bucket[i], memory_order_relaxed);
            s->delay_bucket[i] = atomic_load_explicit(&o->delay_bucket[i], memory_order_relaxed);
        }
        for (int i = 0; i < nsrc; i++)
            s->src[i] = atomic_load_explicit(&o->src_records[i], memory_order_relaxed);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load(&o->seq) == s0)
            return;
    }
}

static void prom_head(st_buf *b, const char *name, const char *type, const char *help)
{
    put_fmt(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{context="C"} value, for every context */
typedef int64_t (*snap_get)(const obs_snap *s);

static void prom_label(st_buf *b, const char *k, const char *v)
{
    put_fmt(b, "%s=\"", k);
    for (; *v; v++) {
        if (*v == '"' || *v == '\\')
            st_buf_putc(b, '\\');
        if (*v == '\n')
            st_buf_puts(b, "\\n");
        else
            st_buf_putc(b, *v);
    }
    st_buf_putc(b, '"');
}

/* a counter of every context: name{context="C"} the snapshot's field at off */
static void prom_ctx_counter(st_buf *b, const rt_prog *p, const obs_snap *s, int n, const char *name,
                             const char *help, size_t off)
{
    prom_head(b, name, "counter", help);
    for (int c = 0; c < n; c++) {
        put_fmt(b, "%s{", name);
        prom_label(b, "context", p->ctxs[c].desc->name);
        put_fmt(b, "} %lld\n", (long long)*(const int64_t *)(const void *)((const char *)&s[c] + off));
    }
}

static void prom_seconds(st_buf *b, int64_t v, int64_t per_second)
{
    put_fmt(b, " %.6f\n", (double)v / (double)per_second);
}

static void prom_hist(st_buf *b, const char *name, const char *ctx, const int64_t *bucket, int64_t sum,
                      int64_t per_second, int64_t count)
{
    int64_t cum = 0;
    for (int i = 0; i < RT_OBS_NBUCKETS; i++) {
        cum += bucket[i];
        put_fmt(b, "%s_bucket{", name);
        prom_label(b, "context", ctx);
        if (i == RT_OBS_NBUCKETS - 1)
            put_fmt(b, ",le=\"+Inf\"} %lld\n", (long long)cum);
        else
            put_fmt(b, ",le=\"%g\"} %lld\n", (double)rt_obs_bounds_us[i] / 1e6, (long long)cum);
    }
    put_fmt(b, "%s_sum{", name);
    prom_label(b, "context", ctx);
    st_buf_putc(b, '}');
    prom_seconds(b, sum, per_second);
    put_fmt(b, "%s_count{", name);
    prom_label(b, "context", ctx);
    put_fmt(b, "} %lld\n", (long long)count);
}

/* streamc_source_lag{context,source,partition}: of the sources whose
   receiver reports a lag (st_receiver.lag), as of their last batch; the
   header only when there is one */
static void prom_lag(st_buf *b, const rt_prog *p)
{
    bool head = false;
    for (int c = 0; c < p->desc->ncontexts; c++) {
        rt_obs *o = p->ctxs[c].obs;
        for (int i = 0; i < p->ctxs[c].desc->nsources; i++) {
            pthread_mutex_lock(&o->lag_mu);
            char *t = o->lag[i] ? strdup(o->lag[i]) : NULL;
            pthread_mutex_unlock(&o->lag_mu);
            if (!t)
                continue;
            if (!head)
                prom_head(b, "streamc_source_lag", "gauge",
                          "Records the source holds past what was read, per partition, after the last batch.");
            head = true;
            char *save = NULL;
            for (char *it = strtok_r(t, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
                char *colon = strchr(it, ':');
                if (!colon)
                    continue;
                *colon = '\0';
                st_buf_puts(b, "streamc_source_lag{");
                prom_label(b, "context", p->ctxs[c].desc->name);
                st_buf_putc(b, ',');
                prom_label(b, "source", p->ctxs[c].desc->sources[i].name);
                st_buf_putc(b, ',');
                prom_label(b, "partition", it);
                put_fmt(b, "} %s\n", colon + 1);
            }
            free(t);
        }
    }
}

void rt_obs_prometheus(rt_prog *p, st_buf *b)
{
    int n = p->desc->ncontexts;
    obs_snap *s = rt_xcalloc((size_t)n + 1, sizeof *s);
    for (int c = 0; c < n; c++) {
        rt_ctx *ctx = &p->ctxs[c];
        s[c].src = rt_xcalloc((size_t)ctx->desc->nsources + 1, sizeof *s[c].src);
        snap_read(ctx->obs, ctx->desc->nsources, &s[c]);
    }
    prom_head(b, "streamc_info", "gauge", "The program and the streamc version it was built with.");
    st_buf_puts(b, "streamc_info{");
    prom_label(b, "program", p->name);
    st_buf_putc(b, ',');
    prom_label(b, "version", ST_VERSION);
    st_buf_puts(b, "} 1\n");
    static const struct {
        const char *name, *help;
        int kind;   /* 0 count, 1 ms as seconds, 2 us as seconds; counter unless gauge */
        bool gauge;
        size_t off;
    } fs[] = {
        { "streamc_batches_total", "Batches completed.", 0, false, offsetof(obs_snap, batches) },
        { "streamc_skipped_records_total", "Records skipped (bad input, failed expressions).", 0, false,
          offsetof(obs_snap, skipped) },
        { "streamc_throttled_seconds_total", "Time receivers were held back by backpressure.", 1, false,
          offsetof(obs_snap, throttled_ms) },
        { "streamc_spilled_blocks_total", "Received blocks spilled to disk.", 0, false, offsetof(obs_snap, spilled) },
        { "streamc_total_delay_seconds_total", "Sum over batches of scheduling delay plus processing time.", 1,
          false, offsetof(obs_snap, total_delay_ms) },
        { "streamc_output_seconds_total", "Time spent writing outputs (print, saveAsTextFiles).", 2, false,
          offsetof(obs_snap, output_us) },
        { "streamc_last_batch_time_seconds", "Time of the last completed batch (epoch; replay: virtual).", 1,
          true, offsetof(obs_snap, last_time_ms) },
        { "streamc_last_total_delay_seconds", "Scheduling delay plus processing time of the last batch.", 1,
          true, offsetof(obs_snap, last_total_delay_ms) },
    };
    for (size_t f = 0; f < sizeof fs / sizeof fs[0]; f++) {
        prom_head(b, fs[f].name, fs[f].gauge ? "gauge" : "counter", fs[f].help);
        for (int c = 0; c < n; c++) {
            int64_t v = *(const int64_t *)((const char *)&s[c] + fs[f].off);
            put_fmt(b, "%s{", fs[f].name);
            prom_label(b, "context", p->ctxs[c].desc->name);
            st_buf_putc(b, '}');
            if (fs[f].kind == 0)
                put_fmt(b, " %lld\n", (long long)v);
            else
                prom_seconds(b, v, fs[f].kind == 1 ? 1000 : 1000000);
        }
    }
    prom_head(b, "streamc_state_keys", "gauge",
              "Keys held by updateStateByKey and inverse-reduced windows after the last batch.");
    for (int c = 0; c < n; c++) {
        if (s[c].batches == 0 || s[c].state_keys < 0)
            continue;
        st_buf_puts(b, "streamc_state_keys{");
        prom_label(b, "context", p->ctxs[c].desc->name);
        put_fmt(b, "} %lld\n", (long long)s[c].state_keys);
    }
    prom_head(b, "streamc_records_total", "counter", "Records received, per source, in completed batches.");
    for (int c = 0; c < n; c++)
        for (int i = 0; i < p->ctxs[c].desc->nsources; i++) {
            st_buf_puts(b, "streamc_records_total{");
            prom_label(b, "context", p->ctxs[c].desc->name);
            st_buf_putc(b, ',');
            prom_label(b, "source", p->ctxs[c].desc->sources[i].name);
            put_fmt(b, "} %lld\n", (long long)s[c].src[i]);
        }
    prom_lag(b, p);
    prom_ctx_counter(b, p, s, n, "streamc_receiver_errors_total",
                     "Receiver failures: connections refused or dropped, unreadable files.",
                     offsetof(obs_snap, recv_errors));
    prom_ctx_counter(b, p, s, n, "streamc_output_retries_total",
                     "Failed writes of outputs that run through a sink (st_sink.h), each retried.",
                     offsetof(obs_snap, out_retries));
    prom_head(b, "streamc_wal_bytes_total", "counter", "Bytes appended to the write-ahead log.");
    for (int c = 0; c < n; c++) {
        st_buf_puts(b, "streamc_wal_bytes_total{");
        prom_label(b, "context", p->ctxs[c].desc->name);
        put_fmt(b, "} %lld\n", (long long)atomic_load(&p->ctxs[c].wal_bytes));
    }
    prom_head(b, "streamc_http_dropped_connections_total", "counter",
              "Connections to this endpoint closed at once: all its slots were busy.");
    put_fmt(b, "streamc_http_dropped_connections_total %lld\n", (long long)rt_http_dropped(p->http));
    prom_head(b, "streamc_processing_seconds", "histogram", "Processing time of a batch.");
    for (int c = 0; c < n; c++)
        prom_hist(b, "streamc_processing_seconds", p->ctxs[c].desc->name, s[c].proc_bucket, s[c].proc_sum_us,
                  1000000, s[c].batches);
    prom_head(b, "streamc_scheduling_delay_seconds", "histogram",
              "Time a batch waited for the previous ones (Spark's scheduling delay).");
    for (int c = 0; c < n; c++)
        prom_hist(b, "streamc_scheduling_delay_seconds", p->ctxs[c].desc->name, s[c].delay_bucket,
                  s[c].delay_sum_ms, 1000, s[c].batches);
    for (int c = 0; c < n; c++)
        free(s[c].src);
    free(s);
}

/* The newest batches of a context: [time_ms, records, processing_ms, delay_ms]. */
#define RECENT_MAX 300

void rt_obs_batches_json(rt_prog *p, st_buf *b)
{
    st_buf_puts(b, "{\"program\":");
    json_str(b, p->name);
    put_fmt(b, ",\"version\":\"%s\",\"contexts\":[", ST_VERSION);
    for (int c = 0; c < p->desc->ncontexts; c++) {
        rt_ctx *ctx = &p->ctxs[c];
        rt_obs *o = ctx->obs;
        obs_snap s;
        int64_t src[1];
        s.src = src;
        snap_read(o, 0, &s);
        st_buf_puts(b, c ? ",{\"name\":" : "{\"name\":");
        json_str(b, ctx->desc->name);
        put_fmt(b, ",\"batch_ms\":%lld,\"batches\":%lld,\"records\":%lld,\"skipped\":%lld,\"recent\":[",
                (long long)ctx->desc->batch_ms, (long long)s.batches, (long long)s.records, (long long)s.skipped);
        int64_t from = s.batches > RECENT_MAX ? s.batches - RECENT_MAX : 0;
        bool first = true;
        for (int64_t k = from; k < s.batches; k++) {
            rt_obs_ent *e = &o->ring[k % RT_OBS_RING];
            int64_t q = atomic_load(&e->seq);
            int64_t t = atomic_load(&e->time_ms), r = atomic_load(&e->records);
            int64_t pu = atomic_load(&e->processing_us), d = atomic_load(&e->delay_ms);
            if (q != k + 1 || atomic_load(&e->seq) != q)
                continue;   /* being overwritten by a newer batch */
            put_fmt(b, "%s[%lld,%lld,%.3f,%lld]", first ? "" : ",", (long long)t, (long long)r,
                    (double)pu / 1000.0, (long long)d);
            first = false;
        }
        st_buf_puts(b, "]}");
    }
    st_buf_puts(b, "]}\n");
}
