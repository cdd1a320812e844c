/* sink.c: the engine's side of the sink interface (st_sink.h): the
 * handles of the st_sink outputs, opened before the first batch and
 * closed at the end, the rows of a batch as the generated code builds
 * them, and the write of a batch, retried with backoff until it succeeds
 * or the job is stopped.
 * Must not: drop a batch's rows, or mark a batch done whose write did not
 * succeed (st_sink_write_rows returns -1, run_batch fails, the batch is
 * not logged done: recovery runs it again). */
#include "rt_internal.h"

#include <stdarg.h>
#include <time.h>

struct st_sink_h {
    const st_sink_desc *d;
    rt_ctx *c;
    void *state;
    bool opened;
};

#define RETRY_FIRST_MS 100
#define RETRY_MAX_MS 5000

const char *st_sink_arg(const st_sink_h *h, int i)
{
    return i >= 0 && i < h->d->nargs ? h->d->args[i] : NULL;
}
int st_sink_nargs(const st_sink_h *h) { return h->d->nargs; }
const char *st_sink_name(const st_sink_h *h) { return h->d->name; }
void st_sink_set_state(st_sink_h *h, void *s) { h->state = s; }
void *st_sink_state(const st_sink_h *h) { return h->state; }
const char *st_sink_instance(const st_sink_h *h) { return h->c->sink_instance; }
bool st_sink_durable(const st_sink_h *h) { return h->c->sink_durable; }

bool st_sink_stopped(const st_sink_h *h)
{
    return rt_signalled() || (h->c->prog && atomic_load(&h->c->prog->failed));
}

void st_sink_error(st_sink_h *h, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    rt_log(h->c->prog, "warning", "output %s: %s", h->d->name, msg);
}

int rt_sinks_open(rt_prog *p)
{
    for (int c = 0; c < p->desc->ncontexts; c++) {
        rt_ctx *ctx = &p->ctxs[c];
        int n = ctx->desc->nsinks;
        ctx->sinks = rt_xcalloc((size_t)n + 1, sizeof *ctx->sinks);
        if (n > 0) {
            int rc = rt_instance_id(ctx, p->opts.nreplay == 0, ctx->sink_instance);
            if (rc < 0)
                return -1;
            ctx->sink_durable = rc == 0;
        }
        for (int i = 0; i < n; i++) {
            st_sink_h *h = &ctx->sinks[i];
            h->d = &ctx->desc->sinks[i];
            h->c = ctx;
            if (h->d->impl->open && h->d->impl->open(h) != 0) {
                rt_log(p, "error", "output %s: cannot start", h->d->name);
                return -1;
            }
            h->opened = true;
        }
    }
    return 0;
}

void rt_sinks_close(rt_prog *p)
{
    for (int c = 0; c < p->desc->ncontexts; c++) {
        rt_ctx *ctx = &p->ctxs[c];
        for (int i = 0; ctx->sinks && i < ctx->desc->nsinks; i++)
            if (ctx->sinks[i].opened && ctx->sinks[i].d->impl->close)
                ctx->sinks[i].d->impl->close(&ctx->sinks[i]);
        free(ctx->sinks);
        ctx->sinks = NULL;
    }
}

void st_sink_row(st_sink_rows *r)
{
    rt_grow((void **)&r->first, &r->caprows, r->nrows + 1, sizeof *r->first);
    r->first[r->nrows++] = r->ncells;
}

void st_sink_cell(st_sink_rows *r)
{
    rt_grow((void **)&r->ends, &r->capcells, r->ncells + 1, sizeof *r->ends);
    r->ends[r->ncells++] = (int64_t)r->b.n;
}

void st_sink_rows_free(st_sink_rows *r)
{
    st_buf_free(&r->b);
    free(r->ends);
    free(r->first);
    *r = (st_sink_rows){ 0 };
}

/* waits ms, in slices, unless the job stops first; false then */
static bool backoff(const st_sink_h *h, int64_t ms)
{
    for (int64_t end = rt_mono_ms() + ms; !st_sink_stopped(h);) {
        int64_t left = end - rt_mono_ms();
        if (left <= 0)
            return true;
        struct timespec ts = { 0, (left < 20 ? left : 20) * 1000000L };
        nanosleep(&ts, NULL);
    }
    return false;
}

int st_sink_write_rows(st_job *job, int sink, const st_sink_rows *r)
{
    rt_ctx *c = job->rt;
    st_sink_h *h = &c->sinks[sink];
    /* the rows as the interface hands them: pointers into r->b */
    size_t n = (size_t)r->nrows;
    st_row *rows = rt_xcalloc(n + 1, sizeof *rows);
    const char **s = rt_xcalloc((size_t)r->ncells + 1, sizeof *s);
    size_t *len = rt_xcalloc((size_t)r->ncells + 1, sizeof *len);
    for (int64_t i = 0; i < r->ncells; i++) {
        int64_t start = i == 0 ? 0 : r->ends[i - 1];
        s[i] = r->b.p ? r->b.p + start : "";
        len[i] = (size_t)(r->ends[i] - start);
    }
    for (size_t i = 0; i < n; i++) {
        int64_t end = i + 1 < n ? r->first[i + 1] : r->ncells;
        rows[i] = (st_row){ (int)(end - r->first[i]), s + r->first[i], len + r->first[i] };
    }
    int rc = 0;
    for (int64_t wait = RETRY_FIRST_MS;; wait = wait * 2 < RETRY_MAX_MS ? wait * 2 : RETRY_MAX_MS) {
        if (h->d->impl->write(h, job->time_ms, rows, n) == 0)
            break;
        atomic_fetch_add(&c->out_retries, 1);
        if (!st_sink_stopped(h))
            rt_log(c->prog, "note", "output %s: batch %lld not written; retrying in %lld ms", h->d->name,
                   (long long)job->time_ms, (long long)wait);
        if (!backoff(h, wait)) {
            rt_log(c->prog, "error", "output %s: stopped before batch %lld was written; it is not done "
                                     "(a restart from the checkpoint writes it again)",
                   h->d->name, (long long)job->time_ms);
            rc = -1;
            break;
        }
    }
    free(rows);
    free(s);
    free(len);
    return rc;
}
