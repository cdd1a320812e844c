/* recovery.c: a context's start from its checkpoint (engine.h). */
#include "engine.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

/* The block store's replay hooks: a recovered block whose records were
   not logged is stored again by its receiver's replay callback, into a
   handle of its own (the receiver may be running: replay may be called
   on the scheduler's thread while run is), without backpressure. */
static bool can_replay(void *arg, int src)
{
    rctx *r = arg;
    return src >= 0 && src < r->nsrc && r->src[src].rv.replay != NULL;
}

static int replay(void *arg, int src, const char *pos, size_t n, st_buf *bytes, int64_t **offs,
                  int64_t *nrec)
{
    rctx *r = arg;
    rsrc *s = &r->src[src];
    rsrc *t = rt_xcalloc(1, sizeof *t);
    t->d = s->d;
    t->r = r;
    t->index = s->index;
    t->rv = s->rv;
    t->state = s->state;
    t->replaying = true;
    pthread_mutex_init(&t->mu, NULL);
    int rc = 0;
    for (size_t at = 0; at < n && rc == 0; at += strlen(pos + at) + 1)
        rc = s->rv.replay(t, pos + at, strlen(pos + at));
    rt_held_add(r->c, -t->cost);   /* accounted as the batch's, not as received */
    *bytes = t->bytes;
    *offs = t->offs;
    *nrec = t->n;
    for (int64_t f = 0; f < t->nfiles; f++)
        free(t->files[f]);
    free(t->files);
    free(t->ints);
    pthread_mutex_destroy(&t->mu);
    free(t);
    return rc;
}

/* Opens the context's checkpoint (when it has one): restores the newest
   snapshot, runs again every batch the log says was allocated after it
   (their outputs only when they had not completed), and starts the log.
   Sets where the timer begins. 0, 1 when a signal stopped it (the batches
   not run again stay in the log for the next start; logged), or -1
   (logged). */
int rt_recover(rctx *r)
{
    rt_ctx *c = r->c;
    int64_t batch = c->desc->batch_ms;
    r->first_ms = r->zero_ms + batch;
    r->ck_every = rt_ckpt_interval(batch);
    errno = 0;
    r->ckdir = rt_ckpt_dir(c, true);
    int err = errno;
    rt_bs_init(&r->bs, c, r->ckdir, c->prog->opts.memory >= 0 ? c->prog->opts.memory : RT_BLOCK_BUDGET);
    r->bs.can_replay = can_replay;
    r->bs.replay = replay;
    r->bs.replay_arg = r;
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
    int64_t outputs = 0, ran = 0;
    for (int64_t k = 0; k < nb; k++) {
        if (rc == 0 && (rt_bs_load(&r->bs, &bt[k]) != 0 || rt_rctx_run_batch(r, &bt[k], 0) != 0))
            rc = -1;
        ran += rc == 0;
        outputs += !bt[k].done;
        if (rc == 0 && k == nb - 1 && (bt[k].time_ms - r->zero_ms) % r->ck_every != 0 &&
            rt_rctx_snapshot(r, &bt[k]) != 0)
            rc = -1;
        rt_bs_release(&r->bs, &bt[k]);
    }
    free(bt);
    if (rc != 0 && rt_signalled()) {
        /* a stop asked for while a batch's records were read again (a
           broker that does not answer): what was not run again is still in
           the log, as it was */
        rt_log(c->prog, "note", "context '%s': stopped while recovering from %s: %lld of %lld batch%s run "
               "again; the next start runs the others", c->desc->name, r->ckdir, (long long)ran, (long long)nb,
               nb == 1 ? "" : "es");
        return 1;
    }
    if (r->recovering && rc == 0)
        rt_log(c->prog, "note", "context '%s' recovered from %s: %s, %lld batch%s run again "
               "(%lld with outputs)", c->desc->name, r->ckdir,
               found > 0 ? "state restored" : "no snapshot yet", (long long)nb, nb == 1 ? "" : "es",
               (long long)outputs);
    r->first_ms = r->zero_ms + batch;
    if (r->recovering && last_t != INT64_MIN && last_t + batch > r->first_ms)
        r->first_ms = last_t + batch;
    return rc;
}
