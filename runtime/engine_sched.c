/* engine_sched.c: the timer and the scheduler of a context (engine.h). */
#include "engine.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

/* ---- timer and scheduler ------------------------------------------------ */

/* A failure of the run (logged already): everything stops. */
void rt_rctx_fail(rctx *r)
{
    if (!atomic_exchange(&r->c->prog->failed, true))
        rt_run_notify(r->run, 'F');
}

/* Seals every source's current block; false when logging failed. */
static bool seal_all(rctx *r)
{
    bool ok = true;
    for (int i = 0; i < r->nsrc; i++)
        if (rt_seal(&r->src[i]) != 0)
            ok = false;
    return ok;
}

/* The batch at time_ms: every block sealed so far (logged and synced). */
static rjob *take_job(rctx *r, int64_t time_ms)
{
    rjob *j = rt_xcalloc(1, sizeof *j);
    if (rt_bs_take(&r->bs, time_ms, &j->b) != 0 || rt_bs_sync(&r->bs) != 0)
        rt_rctx_fail(r);
    j->cost = r->sealed_cost;   /* every block sealed so far is in it */
    r->sealed_cost = 0;
    return j;
}

void rt_job_free(rctx *r, rjob *j)
{
    rt_bs_release(&r->bs, &j->b);
    rt_held_add(r->c, -j->cost);
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

void rt_queue_close(rctx *r)
{
    pthread_mutex_lock(&r->qmu);
    r->qclosed = true;
    pthread_cond_signal(&r->qcv);
    pthread_mutex_unlock(&r->qmu);
}

void *rt_timer_main(void *arg)
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
        if (!rt_rctx_sleep(r, run->start_mono + (t - run->start_epoch))) {
            /* Stopped (signal, failure): what was received runs now. */
            if (!seal_all(r))
                rt_rctx_fail(r);
            enqueue(r, take_job(r, next_batch));
            break;
        }
        /* Read before sealing: if every receiver had ended by now, this
           seal holds their last records. */
        bool ended = r->nsrc > 0 ? atomic_load(&r->live) == 0 : atomic_load(&run->live) == 0;
        if (!seal_all(r))
            rt_rctx_fail(r);
        if (t == next_block)
            next_block += block;
        if (t != next_batch) {
            if (rt_bs_sync(&r->bs) != 0)   /* a block counts once it is durable */
                rt_rctx_fail(r);
            continue;
        }
        enqueue(r, take_job(r, next_batch));
        if (ended)
            break;
        k++;
        next_batch += batch;
    }
    rt_queue_close(r);
    rt_rctx_stop(r);   /* its receivers end with it */
    return NULL;
}

/* Writes a snapshot of the state after batch b and drops the log it
   makes unnecessary. -1 (logged) when either fails: the job then fails
   after the running batch, as Flink's does by default, rather than run on
   with a log that is never pruned. */
int rt_rctx_snapshot(rctx *r, const rt_batch *b)
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
int rt_rctx_run_batch(rctx *r, rt_batch *b, int64_t delay_ms)
{
    r->c->quiet = b->done;
    rt_src_stats_begin(r, b);
    int rc = rt_ctx_run(r->c, b->time_ms, r->zero_ms, b->inputs, delay_ms);
    rt_src_stats_end(r);
    r->c->quiet = false;
    if (rc != 0 || !r->ckdir)
        return rc;
    if (!b->done && rt_bs_done(&r->bs, b->time_ms) != 0)
        return -1;
    if ((b->time_ms - r->zero_ms) % r->ck_every == 0)
        return rt_rctx_snapshot(r, b);
    return 0;
}

/* Feeds each source's rate estimator with the batch just run (flow.h,
   rt_rate_after_batch). */
static void estimate(rctx *r, const rt_batch *b, int64_t processing_ms, int64_t delay_ms)
{
    int64_t now = rt_epoch_ms();
    const st_context_desc *cd = r->c->desc;
    for (int i = 0; i < r->nsrc && i < b->nsrc; i++) {
        rsrc *s = &r->src[i];
        int64_t elems = rt_inputs_records(1, &b->inputs[i]);
        int64_t e = atomic_load(&s->est);
        int64_t e2 = rt_rate_after_batch(&s->pid, &s->pid_on, e, now, elems, processing_ms, delay_ms,
                                         cd->batch_ms, cd->initial_rate);
        if (e2 != e)
            atomic_store(&s->est, e2);
    }
}

/* Tells each receiver with a commit callback the positions of a batch
   whose outputs have all completed (and, with a checkpoint, whose
   completion is logged), in order (st_receiver.commit). Batches run
   again by recovery, before the receivers start, are not committed. */
static void commit(rctx *r, const rt_batch *b)
{
    for (int i = 0; i < r->nsrc && i < b->nsrc; i++) {
        rsrc *s = &r->src[i];
        if (!s->rv.commit)
            continue;
        for (int64_t k = 0; k < b->nblocks[i]; k++)
            for (int64_t f = 0; f < b->blocks[i][k].nfiles; f++)
                s->rv.commit(s, b->blocks[i][k].files[f], strlen(b->blocks[i][k].files[f]));
    }
}

void *rt_sched_main(void *arg)
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
            bool ran = rt_bs_load(&r->bs, &j->b) == 0 &&
                       rt_rctx_run_batch(r, &j->b, delay < 0 ? 0 : delay) == 0;
            if (ran)
                commit(r, &j->b);
            if (!ran) {
                rt_rctx_fail(r);
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
        rt_job_free(r, j);
    }
    /* the state at the end, so that a restart need not run batches again */
    if (r->ckdir && last.next && last_snap != last.time_ms && !atomic_load(&p->failed) &&
        rt_rctx_snapshot(r, &last) != 0)
        rt_rctx_fail(r);
    free(last.next);
    free(last.cum);
    rt_run_notify(r->run, 'D');
    return NULL;
}
