/* rt_obs.h: what a run tells about itself (metrics.c, http.c): the
 * per-batch figures behind --stats and --stats=json, the counters and
 * histograms of --metrics' /metrics, the recent batches of its live page.
 *
 * Cost: nothing per record. The batch thread of a context is the only
 * writer of its rt_obs and publishes once per batch under a sequence
 * counter (a seqlock: the writer never waits; a reader that saw a write in
 * progress reads again). Receivers' errors and the write-ahead log's bytes
 * are relaxed atomic adds per event / per logged block.
 */
#ifndef RT_OBS_H
#define RT_OBS_H

#include "rt_internal.h"

/* Outputs of a batch timed one by one (print, saveAsTextFiles), in the
   order they ran; more are added to the last. */
#define RT_OBS_OUTPUTS 16
/* Batches of each context the live page can show (about 8 minutes of 1 s
   batches). */
#define RT_OBS_RING 512
/* Histogram bucket bounds (seconds) of processing time and scheduling delay. */
#define RT_OBS_NBUCKETS 14

/* One batch, as --stats reports it. */
typedef struct rt_bstat {
    int64_t time_ms, records, processing_us, delay_ms, skipped, throttled_ms, spilled, recv_errors;
    int64_t out_retries;              /* failed st_sink writes retried during it */
    const int64_t *src_records;       /* per source of the context */
    int64_t state_keys;               /* keys in the context's state after it; -1: unknown */
    int64_t held;                     /* real time: peak held bytes since the last batch (flow.h); -1: replay */
    char *const *src_ranges;          /* per source: merged ranges ("K:F-T,..."), or NULL (src_stats.c) */
    char *const *src_lag;             /* per source: lag ("K:N,..."), or NULL */
} rt_bstat;

typedef struct rt_obs_ent {           /* a batch on the live page */
    atomic_llong seq;                 /* batch number + 1 once written */
    atomic_llong time_ms, records, processing_us, delay_ms;
} rt_obs_ent;

typedef struct rt_obs {
    atomic_llong seq;                 /* seqlock: odd while the totals change */
    atomic_llong batches, records, skipped, throttled_ms, spilled, output_us, recv_errors;
    atomic_llong out_retries;
    atomic_llong total_delay_ms;      /* sum over batches of delay + processing */
    atomic_llong last_total_delay_ms, last_processing_us, last_delay_ms, last_time_ms;
    atomic_llong proc_sum_us, delay_sum_ms, state_keys;
    atomic_llong proc_bucket[RT_OBS_NBUCKETS], delay_bucket[RT_OBS_NBUCKETS];
    atomic_llong *src_records;        /* per source */
    pthread_mutex_t lag_mu;           /* lag: the one lock, held to copy a string */
    char **lag;                       /* per source: its last lag ("K:N,..."), or NULL */
    rt_obs_ent ring[RT_OBS_RING];
    /* the running batch's outputs (batch thread only) */
    int nout;
    const char *out_op[RT_OBS_OUTPUTS];
    int64_t out_us[RT_OBS_OUTPUTS];
} rt_obs;

/* Bucket upper bounds in microseconds (the last is +Inf). */
extern const int64_t rt_obs_bounds_us[RT_OBS_NBUCKETS];

int64_t rt_mono_us(void);
void rt_obs_init(rt_ctx *c);
void rt_obs_free(rt_ctx *c);
/* After each batch (batch thread): --stats / --stats=json lines, then the
   figures published for --metrics. */
void rt_obs_batch(rt_ctx *c, const rt_bstat *s);
/* At the end of the run: --stats' total line of c. */
void rt_obs_total(rt_ctx *c);
/* Publishes source i's lag ("K:N,...") for --metrics' streamc_source_lag. */
void rt_obs_lag_set(rt_ctx *c, int i, const char *lag);
/* An output of the running batch took the time since t0_us (rt_mono_us). */
void rt_obs_output(rt_ctx *c, const char *op, int64_t t0_us);

/* The bodies the HTTP responder serves (metrics.c); appended to out. */
void rt_obs_prometheus(rt_prog *p, st_buf *out);
void rt_obs_batches_json(rt_prog *p, st_buf *out);
void rt_obs_page(rt_prog *p, st_buf *out);

/* ---- http.c: the --metrics responder ------------------------------------ */
/* Limits: a request (line and headers) of at most RT_HTTP_MAX_REQUEST
   bytes, finished within RT_HTTP_TIMEOUT_MS of its accept (also the bound
   to send the reply), at most RT_HTTP_MAX_CONN connections at once (more
   are accepted and closed at once). */
#define RT_HTTP_MAX_REQUEST 8192
#define RT_HTTP_TIMEOUT_MS 3000
#define RT_HTTP_MAX_CONN 32

typedef struct rt_http rt_http;
/* Binds HOST:PORT (PORT 0: any free port) and starts the responder's
   thread; prints "PROG: note: metrics on http://HOST:PORT/" on stderr.
   NULL after logging why not. */
rt_http *rt_http_start(rt_prog *p, const char *hostport);
void rt_http_stop(rt_http *h);
/* Connections closed for want of a slot (the responder's thread only). */
int64_t rt_http_dropped(const rt_http *h);

#endif
