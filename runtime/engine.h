/* engine.h: the real-time engine's internals, shared by its files:
 *   engine_store.c  stopping and sleeping, backpressure, the rate limiter,
 *                   the current block of each source and the st_recv_*
 *                   functions receivers store through (st_receiver.h)
 *   engine_sched.c  the timer (seals blocks every block interval, queues
 *                   a job every batch interval; Spark's block and job
 *                   generators) and the scheduler (runs the queued jobs one
 *                   after another, commits, feeds the rate estimator)
 *   recovery.c      opening a checkpoint: restore, run logged batches again
 *   engine_run.c    the run: one receiver thread per source (restarted on
 *                   ST_RECV_RESTART), the supervision of signals, failures
 *                   and the contexts' ends
 *   sources/KIND.c  the receivers, one per row of st_kinds.def
 * Per context: one receiver thread per source writing records into the
 * source's current block, a timer thread and a scheduler thread
 * (concurrentJobs = 1: a slow batch delays the next, none is dropped).
 * Must not: block anywhere a stop cannot reach (every wait polls the
 * context's stop pipe, whose write end is closed to stop), or drop a
 * received record silently.
 *
 * Times: batch k of a context is at zero_ms + k * batch_ms in epoch ms
 * (zero_ms = start rounded down to the batch interval); sleeping uses the
 * monotonic clock, offset from the epoch once at start. */
#ifndef ENGINE_H
#define ENGINE_H

#include "rt_internal.h"
#include "flow.h"
#include "st_receiver.h"

/* Backpressure: while RT_MAX_QUEUED batches wait behind the running one,
   or while the context holds its limit of bytes of records received and
   not yet processed (flow.h), receivers hold off instead of growing memory
   without bound: a socket's or stdin's writer then blocks on the full pipe
   or TCP window, a file is not read on, and paced sources (rate, file with
   rate) fall behind their pace. The check comes before every record, so
   the limit is passed by one record at most. */
#define RT_MAX_QUEUED 2
/* Bytes of received blocks a context keeps in memory before the DISK
   storage levels spill. */
#define RT_BLOCK_BUDGET ((int64_t)256 << 20)

typedef struct st_recv rsrc;

/* rate limiting: a token bucket */
typedef struct rt_limiter {
    int64_t rate;            /* tokens/s; 0: no limit */
    int64_t milli;           /* tokens * 1000 */
    int64_t cap;             /* in milli-tokens */
    int64_t last;            /* mono ms of the last refill */
    int64_t base, base_cap;  /* the configured rate (pace, maxRate) and its bucket */
    bool est;                /* the rate estimator's rate is in force (below base) */
    rsrc *s;                 /* whose estimate it follows; NULL: none */
} rt_limiter;

typedef struct rctx rctx;

struct st_recv {
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
    char **files;            /* positions marked in it (st_recv_position) */
    int64_t nfiles, fcap;
    int64_t cost;            /* accounted bytes of the current block (flow.h) */
    atomic_llong est;        /* records/s from the estimator, or the slow start's */
    rt_pid pid;              /* the estimator (scheduler thread) */
    bool pid_on;             /* it has given a rate (est is no longer the slow start's) */
    atomic_llong held_back_ms;   /* time this receiver was held back */
    rt_limiter lim;          /* its pace, maxRate and the estimate */
    st_receiver rv;          /* its callbacks */
    void *state;             /* st_recv_set_state */
    bool fatal;              /* st_recv_fatal was called */
    bool opened;             /* rv.open succeeded (rv.close is due) */
    bool replaying;          /* a handle for rv.replay (recovery.c): no backpressure */
    bool ranges;             /* it stores range positions (st_recv_store_range) */
    atomic_bool shows_ranges; /* it has stored a range: --stats shows its batches' ranges */
};

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

/* ---- engine_store.c ---- */
void rt_rctx_stop(rctx *r);
void rt_recv_err(rsrc *s);              /* counts a receiver error (logged by the caller) */
bool rt_rctx_stopped(rctx *r);
bool rt_rctx_sleep(rctx *r, int64_t mono_dl);   /* false when stopped first */
void rt_held_add(rt_ctx *c, int64_t n);
bool rt_bp_blocked(rctx *r);
bool rt_bp_wait(rctx *r, rsrc *s);      /* holds off while blocked; false when stopped */
void rt_run_notify(rt_run *run, char what);
void rt_push_str_locked(rsrc *s, const char *p, size_t n);   /* under s->mu */
void rt_push_pos_locked(rsrc *s, const char *pos, size_t n); /* under s->mu */
int rt_seal(rsrc *s);
void rt_lim_init(rt_limiter *l, int64_t rate, bool smooth);
void rt_lim_follow(rt_limiter *l);
void rt_lim_refill(rt_limiter *l);
bool rt_lim_take(rt_limiter *l, rctx *r);
size_t rt_push_lines(rsrc *s, const char *p, size_t n, rt_limiter *lim, bool *stop);
bool rt_push_one(rsrc *s, const char *p, size_t n, rt_limiter *lim);
typedef enum pump_end { PUMP_EOF, PUMP_ERROR, PUMP_STOP } pump_end;
pump_end rt_pump_fd(rsrc *s, int fd, rt_limiter *lim);

/* ---- engine_sched.c ---- */
void rt_rctx_fail(rctx *r);
void rt_job_free(rctx *r, rjob *j);
void rt_queue_close(rctx *r);
void *rt_timer_main(void *arg);
void *rt_sched_main(void *arg);
int rt_rctx_snapshot(rctx *r, const rt_batch *b);
int rt_rctx_run_batch(rctx *r, rt_batch *b, int64_t delay_ms);

/* ---- src_stats.c: a source's ranges and lag for --stats / --metrics ---- */
/* Before batch b runs (scheduler thread): with --stats or --metrics, each
   range source's merged ranges and each lag() source's lag, for its
   --stats line (r->c->src_ranges / src_lag) and --metrics. */
void rt_src_stats_begin(rctx *r, const rt_batch *b);
void rt_src_stats_end(rctx *r);

/* ---- engine_run.c ---- */
void *rt_receiver_main(void *arg);

/* ---- recovery.c ---- */
int rt_recover(rctx *r);

/* ---- the receivers of the kinds (kinds.c) ---- */

#endif
