/* engine_run.c: the real-time run: receiver threads and supervision
 * (engine.h). */
#include "engine.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

/* A receiver's thread: opens and runs it, runs it again after
   ST_RECV_RESTART (Spark's restart(): after a delay; records stored
   before stay stored), until it ends or is stopped. ST_RECV_FATAL fails
   the run (exit 1). It is closed at the end of the run, once every batch
   has been committed. */
void *rt_receiver_main(void *arg)
{
    rsrc *s = arg;
    const st_source_desc *d = s->d;
    int64_t pace = d->rate;   /* rate(N), file(rate = N) */
    if (d->max_rate > 0 && (pace <= 0 || d->max_rate < pace))
        rt_lim_init(&s->lim, d->max_rate, pace > 0);
    else
        rt_lim_init(&s->lim, pace, true);
    s->lim.s = s;
    for (;;) {
        int rc;
        if (!s->rv.run)
            rc = st_recv_fatal(s, "the receiver sets no run callback");
        else if (!s->opened && s->rv.open && s->rv.open(s) != 0)
            rc = s->fatal ? ST_RECV_FATAL : ST_RECV_RESTART;
        else {
            s->opened = true;
            rc = s->rv.run(s);
        }
        if (rc == ST_RECV_FATAL || s->fatal) {
            rt_rctx_fail(s->r);
            break;
        }
        if (rc != ST_RECV_RESTART || !rt_rctx_sleep(s->r, rt_mono_ms() + ST_RECV_RESTART_MS))
            break;
    }
    atomic_fetch_sub(&s->r->live, 1);
    atomic_fetch_sub(&s->r->run->live, 1);
    return NULL;
}

/* ---- the run ------------------------------------------------------------ */

static void stop_all(rt_run *run)
{
    for (int c = 0; c < run->n; c++)
        rt_rctx_stop(&run->ctxs[c]);
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
            if (r->src[i].d->recv)
                r->src[i].rv = *r->src[i].d->recv;
            if (r->src[i].d->receiver)
                r->src[i].d->receiver(&r->src[i].rv, r->src[i].d->arg);
            pthread_mutex_init(&r->src[i].mu, NULL);
            atomic_init(&r->src[i].est, rt_start_rate(r->c->desc->batch_ms, r->c->desc->initial_rate));
            atomic_init(&r->src[i].held_back_ms, 0);
            rt_pid_init(&r->src[i].pid, r->c->desc->batch_ms);
        }
    }
    /* Checkpoints first: batches a crash left unfinished run before any
       new record is received. */
    bool ck_failed = false, ck_stopped = false;   /* logged by rt_recover() */
    for (int c = 0; c < run.n; c++) {
        int rr = rt_recover(&run.ctxs[c]);
        ck_failed |= rr < 0;
        ck_stopped |= rr > 0;
    }
    if (ck_failed || ck_stopped)
        rc = 1;
    /* Start: schedulers, then receivers, then timers. */
    int running = 0;   /* contexts whose scheduler runs */
    for (int c = 0; c < run.n && rc == 0; c++) {
        rctx *r = &run.ctxs[c];
        if (pthread_create(&r->sched, NULL, rt_sched_main, r) != 0) {
            rc = 1;
            break;
        }
        r->sched_started = true;
        running++;
        for (int i = 0; i < r->nsrc && rc == 0; i++) {
            if (pthread_create(&r->src[i].thread, NULL, rt_receiver_main, &r->src[i]) != 0)
                rc = 1;
            else
                r->src[i].started = true;
        }
        if (rc == 0) {
            if (pthread_create(&r->timer, NULL, rt_timer_main, r) != 0)
                rc = 1;
            else
                r->timer_started = true;
        }
    }
    if (rc) {
        if (!ck_failed && !ck_stopped)
            rt_log(p, "error", "cannot start the program's threads");
        if (ck_failed || !ck_stopped)
            atomic_store(&p->failed, true);   /* a stop asked for while recovering is not a failure */
        stop_all(&run);
        for (int c = 0; c < run.n; c++)
            if (run.ctxs[c].sched_started && !run.ctxs[c].timer_started)
                rt_queue_close(&run.ctxs[c]);
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
            if (s->opened && s->rv.close)
                s->rv.close(s);
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
            rt_job_free(r, j);
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