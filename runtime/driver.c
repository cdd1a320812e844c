/* driver.c: st_main, the executable's entry point: option parsing, the
 * contexts' lifecycle (create, batches, destroy, --stats), the choice
 * between replay and real time, the replay run on the virtual clock, and
 * SIGINT/SIGTERM.
 * Must not: call exit(), or keep mutable globals other than the signal
 * flag and self-pipe below (a signal handler has nowhere else to write).
 *
 * Mode: replay when any --replay is given (then rate and file sources
 * without one are virtualised too); otherwise real time (engine_run.c). */
#include "rt_internal.h"
#include "rt_obs.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

/* ---- options ------------------------------------------------------------ */

static const char *kind_name(st_src_kind k)
{
    return rt_kind_name(k);
}

static void describe_source(FILE *f, const st_source_desc *s)
{
    char buf[8192];
    rt_kind_describe(s, buf, sizeof buf);
    fputs(buf, f);
}

static void usage(const st_program_desc *prog, const char *name, FILE *f)
{
    fprintf(f,
            "usage: %s [options]\n"
            "Runs the streamc pipeline %s until its sources end or SIGINT/SIGTERM.\n"
            "\n"
            "options:\n"
            "  --accept-loss         recover from a damaged or incomplete checkpoint with\n"
            "                        what is left, reporting the batches and records lost\n"
            "  --batches N           stop after N batches (per context) run by this process\n"
            "  --checkpoint DIR      checkpoint directory: each context's state is kept in\n"
            "                        DIR/CONTEXT and resumed from there (replay uses no\n"
            "                        other; in real time it overrides checkpoint =)\n"
            "  --duration D          stop after the batches whose time is at most D\n"
            "                        (10s, 500ms, 2min, 1h, or plain milliseconds)\n"
            "  --max-empty-batches N replay: most empty batches in a row before a record\n"
            "                        (default 100000)\n"
            "  --memory SIZE         received blocks a context keeps in memory before\n"
            "                        the DISK storage levels spill (default 256M);\n"
            "                        receivers hold off at twice it (at least 4M)\n"
            "  --metrics HOST:PORT   serve /metrics (Prometheus), /api/batches (JSON) and\n"
            "                        a live page / over HTTP while running (PORT 0: any)\n"
            "  --replay SOURCE=FILE  replay SOURCE from FILE (lines OFFSET_MS<TAB>RECORD)\n"
            "                        on a virtual clock, deterministically; repeatable\n"
            "  --stats               one line per batch on stderr\n"
            "  --stats=json          the same as one JSON object per line\n"
            "  --workers N           worker threads of every context\n"
            "  --version             the streamc version and the program's name\n",
            name, name);
    if (prog->nparams > 0)
        fprintf(f, "  --param NAME=VALUE    set a run-time parameter (params below); repeatable\n");
    fprintf(f, "  --help                this text\n");
    rt_params_usage(prog, f);
    fprintf(f, "\nsources:\n");
    for (int c = 0; c < prog->ncontexts; c++) {
        const st_context_desc *cd = &prog->contexts[c];
        for (int s = 0; s < cd->nsources; s++) {
            fprintf(f, "  %-20s ", cd->sources[s].name);
            describe_source(f, &cd->sources[s]);
            fprintf(f, "  [context %s]\n", cd->name);
        }
    }
    st_tables_usage(prog->tables, prog->ntables, f);
}

int64_t rt_parse_duration(const char *s)
{
    if (!s || *s < '0' || *s > '9')
        return -1;
    int64_t v = 0;
    const char *p = s;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (INT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (*p - '0');
    }
    int64_t mul;
    if (*p == '\0' || strcmp(p, "ms") == 0)
        mul = 1;
    else if (strcmp(p, "s") == 0)
        mul = 1000;
    else if (strcmp(p, "min") == 0)
        mul = 60000;
    else if (strcmp(p, "h") == 0)
        mul = 3600000;
    else
        return -1;
    /* Far beyond any run; keeps k * batch_ms from overflowing. */
    if (v > INT64_C(1000000000000000) / mul)
        return -1;
    return v * mul;
}

static bool parse_count(const char *s, int64_t max, int64_t *out)
{
    if (!s || !*s)
        return false;
    int64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (*p - '0');
        if (v > max)
            return false;
    }
    *out = v;
    return true;
}

static const st_source_desc *find_source(const st_program_desc *prog, const char *name,
                                         size_t n)
{
    for (int c = 0; c < prog->ncontexts; c++)
        for (int s = 0; s < prog->contexts[c].nsources; s++) {
            const st_source_desc *d = &prog->contexts[c].sources[s];
            if (d->name && strlen(d->name) == n && memcmp(d->name, name, n) == 0)
                return d;
        }
    return NULL;
}

void rt_opts_free(rt_opts *o)
{
    free(o->replay);
    o->replay = NULL;
    o->nreplay = 0;
    free(o->params);
    o->params = NULL;
}

/* Length of the NAME part of a --replay value. */
static size_t replay_name_len(const rt_replay_opt *r)
{
    return (size_t)(r->file - 1 - r->source);
}

#define USAGE_ERR(...) \
    do { \
        fprintf(err, "%s: error: ", name); \
        fprintf(err, __VA_ARGS__); \
        fputc('\n', err); \
        rt_opts_free(o); \
        return 2; \
    } while (0)

int rt_parse_opts(const st_program_desc *prog, int argc, char **argv, rt_opts *o, FILE *err)
{
    const char *name = prog->name ? prog->name : "streamrt";
    *o = (rt_opts){ .batches = -1, .duration_ms = -1, .workers = -1, .memory = -1,
                    .max_empty = -1 };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0)
            a = "--help";
        if (strncmp(a, "--", 2) != 0 || a[2] == '\0')
            USAGE_ERR("unexpected argument '%s' (try --help)", a);
        const char *opt = a + 2;
        const char *eq = strchr(opt, '=');
        size_t olen = eq ? (size_t)(eq - opt) : strlen(opt);
#define IS(s) (olen == strlen(s) && strncmp(opt, s, olen) == 0)
        bool flag = IS("stats") || IS("help") || IS("version") || IS("accept-loss");
        bool max_empty = IS("max-empty-batches");
        bool valued = IS("batches") || IS("duration") || IS("replay") || IS("workers") ||
                      IS("checkpoint") || IS("memory") || IS("metrics") || IS("param") || max_empty;
        bool is_stats = IS("stats"), is_metrics = IS("metrics");
        bool param = IS("param");
#undef IS
        if (!flag && !valued)
            USAGE_ERR("unknown option '--%.*s' (try --help)", (int)olen, opt);
        if (is_stats && eq) {
            /* --stats=json; --stats=text is --stats */
            if (strcmp(eq + 1, "json") != 0 && strcmp(eq + 1, "text") != 0)
                USAGE_ERR("--stats takes no value or =json, not '%s'", eq + 1);
            o->stats = true;
            o->stats_json = strcmp(eq + 1, "json") == 0;
            continue;
        }
        if (flag && eq)
            USAGE_ERR("option '--%.*s' takes no value", (int)olen, opt);
        const char *val = NULL;
        if (valued) {
            if (eq)
                val = eq + 1;
            else if (i + 1 < argc)
                val = argv[++i];
            else
                USAGE_ERR("option '--%s' needs a value", opt);
        }
        if (max_empty) {
            if (!parse_count(val, INT64_C(1000000000000), &o->max_empty))
                USAGE_ERR("--max-empty-batches needs an integer in 0..10^12, not '%s'", val);
            continue;
        }
        if (is_metrics) {
            const char *colon = strrchr(val, ':');
            int64_t port;
            if (!colon || !parse_count(colon + 1, 65535, &port))
                USAGE_ERR("--metrics needs HOST:PORT (PORT 0..65535; 0: any free one), not '%s'", val);
            o->metrics = val;
            continue;
        }
        if (param) {
            if (rt_param_opt(prog, o, val, err, name) != 0) {
                rt_opts_free(o);
                return 2;
            }
            continue;
        }
        switch (opt[0]) {
        case 's': o->stats = true; break;
        case 'a': o->accept_loss = true; break;
        case 'h': o->help = true; break;
        case 'v': o->version = true; break;
        case 'r': {
                const char *e2 = strchr(val, '=');
                if (!e2 || e2 == val || e2[1] == '\0')
                    USAGE_ERR("--replay needs SOURCE=FILE, not '%s'", val);
                if (!find_source(prog, val, (size_t)(e2 - val)))
                    USAGE_ERR("--replay: the program has no source '%.*s'",
                              (int)(e2 - val), val);
                for (int r = 0; r < o->nreplay; r++)
                    if (replay_name_len(&o->replay[r]) == (size_t)(e2 - val) &&
                        strncmp(o->replay[r].source, val, (size_t)(e2 - val)) == 0)
                        USAGE_ERR("--replay: source '%.*s' given twice", (int)(e2 - val), val);
                o->replay = st_xrealloc(o->replay, (size_t)(o->nreplay + 1) * sizeof *o->replay);
                /* source points at "NAME=FILE"; compared by length above */
                o->replay[o->nreplay++] = (rt_replay_opt){ val, e2 + 1 };
            break;
        }
        case 'c':
            if (!*val)
                USAGE_ERR("--checkpoint needs a directory");
            o->checkpoint = val;
            break;
        case 'b':
            if (!parse_count(val, INT64_C(1000000000000), &o->batches) || o->batches < 1)
                USAGE_ERR("--batches needs a positive integer, not '%s'", val);
            break;
        case 'd':
            if ((o->duration_ms = rt_parse_duration(val)) <= 0)
                USAGE_ERR("--duration needs a positive duration such as 10s, 500ms, "
                          "2min, 1h, not '%s'", val);
            break;
        case 'm': {
            /* bytes, or with a k, M or G suffix (powers of 1024) */
            size_t n = strlen(val);
            int shift = 0;
            if (n > 1 && strchr("kKmMgG", val[n - 1]))
                shift = strchr("kK", val[n - 1]) ? 10 : strchr("mM", val[n - 1]) ? 20 : 30;
            char digits[24];
            if (n - (shift ? 1 : 0) >= sizeof digits)
                USAGE_ERR("--memory needs a size such as 64M, 512k or 1G, not '%s'", val);
            memcpy(digits, val, n - (shift ? 1 : 0));
            digits[n - (shift ? 1 : 0)] = '\0';
            if (!parse_count(digits, INT64_C(1) << (50 - shift), &o->memory))
                USAGE_ERR("--memory needs a size such as 64M, 512k or 1G, not '%s'", val);
            o->memory <<= shift;
            break;
        }
        case 'w': {
            int64_t w;
            if (!parse_count(val, 1024, &w))
                USAGE_ERR("--workers needs an integer in 0..1024, not '%s'", val);
            o->workers = (int)w;
            break;
        }
        }
    }
    return 0;
}

/* ---- contexts ----------------------------------------------------------- */

int rt_ctx_open(rt_ctx *c, const st_context_desc *d, rt_prog *prog, int index, int workers)
{
    memset(c, 0, sizeof *c);
    c->desc = d;
    c->prog = prog;
    c->index = index;
    int n = workers >= 0 ? workers : d->workers;
    if (n <= 0)
        n = rt_ncpus();
    c->nworkers = n;
    atomic_init(&c->skipped, 0);
    atomic_init(&c->throttled_ms, 0);
    c->pool = rt_pool_new(n);
    if (!c->pool)
        return -1;
    c->arenas = rt_xmalloc((size_t)n * sizeof *c->arenas);
    for (int i = 0; i < n; i++)
        c->arenas[i] = st_arena_new();
    c->input = st_arena_new();
    rt_obs_init(c);
    return 0;
}

void rt_ctx_close(rt_ctx *c)
{
    if (c->created && c->desc->destroy)
        c->desc->destroy(c->state);
    c->created = false;
    rt_pool_free(c->pool);
    c->pool = NULL;
    if (c->arenas)
        for (int i = 0; i < c->nworkers; i++)
            st_arena_free(c->arenas[i]);
    free(c->arenas);
    c->arenas = NULL;
    st_arena_free(c->input);
    c->input = NULL;
    rt_obs_free(c);
}

int64_t rt_inputs_records(int n, const st_input *inputs)
{
    int64_t r = 0;
    for (int s = 0; s < n; s++)
        for (int b = 0; b < inputs[s].nblocks; b++)
            r += inputs[s].blocks[b].n;
    return r;
}

int rt_ctx_run(rt_ctx *c, int64_t time_ms, int64_t zero_ms, const st_input *inputs,
               int64_t delay_ms)
{
    st_job *job = &c->job;
    *job = (st_job){
        .time_ms = time_ms, .zero_ms = zero_ms, .nworkers = c->nworkers,
        .arenas = c->arenas, .nsources = c->desc->nsources, .inputs = inputs, .rt = c,
    };
    int64_t records = rt_inputs_records(c->desc->nsources, inputs);
    int64_t t0 = rt_mono_us();
    rt_tls_arena_set(c->arenas[0]);
    int rc = c->desc->run_batch ? c->desc->run_batch(c->state, job) : 0;
    rt_tls_arena_set(NULL);
    int64_t t1 = rt_mono_us();
    for (int i = 0; i < c->nworkers; i++)
        st_arena_reset(c->arenas[i]);
    int64_t sk = atomic_exchange(&c->skipped, 0);
    c->batches++;
    c->records += records;
    c->skipped_total += sk;
    int64_t retries = atomic_exchange(&c->out_retries, 0);
    c->retries_total += retries;
    int64_t *per_src = st_arena_alloc(c->arenas[0], (size_t)(c->desc->nsources + 1) * sizeof *per_src);
    for (int s = 0; s < c->desc->nsources; s++)
        per_src[s] = rt_inputs_records(1, &inputs[s]);
    rt_bstat bs = {
        .time_ms = time_ms, .records = records, .processing_us = t1 - t0, .delay_ms = delay_ms,
        .skipped = sk, .throttled_ms = atomic_exchange(&c->throttled_ms, 0),
        .spilled = atomic_exchange(&c->spilled, 0), .recv_errors = atomic_exchange(&c->recv_errors, 0),
        .out_retries = retries,
        .src_records = per_src, .state_keys = -1,
        .held = c->held_limit > 0 ? atomic_exchange(&c->held_peak, atomic_load(&c->held)) : -1,
        .src_ranges = c->src_ranges, .src_lag = c->src_lag,
    };
    const st_program_view *v = c->prog ? c->prog->view : NULL;
    if (v && v->state_keys && v->state_keys[c->index] && c->state)
        bs.state_keys = v->state_keys[c->index](c->state);
    if (c->prog)
        rt_obs_batch(c, &bs);
    st_arena_reset(c->arenas[0]);
    return rc;
}

/* ---- replay ------------------------------------------------------------- */

static void replay_warn(void *arg, const char *what, const char *p, size_t n)
{
    rt_skip_ctx(arg, what, p, n);
}

static const rt_replay_opt *replay_for(const rt_opts *o, const char *src)
{
    for (int r = 0; r < o->nreplay; r++)
        if (strlen(src) == replay_name_len(&o->replay[r]) &&
            strncmp(o->replay[r].source, src, replay_name_len(&o->replay[r])) == 0)
            return &o->replay[r];
    return NULL;
}

/* Every source either replayed or virtualisable, and finite unless a limit
   is given: else a usage error (2). */
static int replay_check(rt_prog *p)
{
    const rt_opts *o = &p->opts;
    bool limited = o->batches >= 0 || o->duration_ms >= 0;
    for (int c = 0; c < p->desc->ncontexts; c++) {
        const st_context_desc *cd = &p->desc->contexts[c];
        for (int s = 0; s < cd->nsources; s++) {
            const st_source_desc *sd = &cd->sources[s];
            if (replay_for(o, sd->name))
                continue;
            int virt = rt_kind_virtual(sd->kind);
            if (virt == RT_VIRT_NONE) {
                rt_log(p, "error", "source '%s' (%s) cannot run on the virtual clock: "
                       "give --replay %s=FILE", sd->name, kind_name(sd->kind), sd->name);
                return 2;
            }
            bool infinite = virt == RT_VIRT_RATE || (sd->loop && sd->rate > 0);
            if (infinite && !limited) {
                rt_log(p, "error", "source '%s' never ends on the virtual clock: "
                       "give --batches N or --duration D", sd->name);
                return 2;
            }
        }
    }
    return 0;
}

/* Checkpoints of a replay (only with --checkpoint): per context its
   directory, the batch the run resumes after, the last batch completed and
   the batch of the newest snapshot (indices: batch k has time k * batch). */
typedef struct replay_ckpt {
    char *dir;                /* NULL: no checkpoints */
    int64_t done, saved;
    bool broken;              /* a batch failed: its state is not a batch's end */
} replay_ckpt;

/* Spark's default checkpoint interval: max(batch, 10 s), rounded up to a
   multiple of the batch interval. */
int64_t rt_ckpt_interval(int64_t batch_ms)
{
    int64_t iv = batch_ms > 10000 ? batch_ms : 10000;
    return (iv + batch_ms - 1) / batch_ms * batch_ms;
}

/* Opens c's checkpoint directory and restores the newest snapshot; sets
   *first to the first batch to run. 0, or 1 (logged). */
static int replay_restore(rt_ctx *c, replay_ckpt *k, int64_t *first)
{
    *first = 1;
    k->dir = rt_ckpt_dir(c, false);
    if (!k->dir)
        return 1;
    int64_t zero = 0, time = 0;
    int r = rt_snap_read(c, k->dir, &zero, &time, NULL);
    if (r < 0)
        return 1;
    if (r > 0) {
        *first = (time - zero) / c->desc->batch_ms + 1;
        rt_log(c->prog, "note", "context '%s': resuming from checkpoint %s after the batch at %lld ms",
               c->desc->name, k->dir, (long long)(time - zero));
    }
    k->done = k->saved = *first - 1;
    return 0;
}

/* Snapshots c after its last completed batch unless one exists. 0 or -1. */
static int replay_snapshot(rt_ctx *c, replay_ckpt *k)
{
    if (!k->dir || k->broken || k->done <= k->saved)
        return 0;
    if (rt_snap_write(c, k->dir, 0, k->done * c->desc->batch_ms, NULL) != 0)
        return -1;
    k->saved = k->done;
    return 0;
}

static int run_replay(rt_prog *p)
{
    int rc = replay_check(p);
    if (rc)
        return rc;
    int nctx = p->desc->ncontexts;
    rt_vsrc **vs = rt_xcalloc((size_t)nctx, sizeof *vs);
    int64_t *last = rt_xcalloc((size_t)nctx, sizeof *last);
    int64_t *next = rt_xcalloc((size_t)nctx, sizeof *next);
    replay_ckpt *ck = rt_xcalloc((size_t)nctx, sizeof *ck);
    for (int c = 0; c < nctx && rc == 0; c++) {
        rt_ctx *ctx = &p->ctxs[c];
        const st_context_desc *cd = ctx->desc;
        vs[c] = rt_xcalloc((size_t)cd->nsources + 1, sizeof **vs);
        const char **files = rt_xcalloc((size_t)cd->nsources + 1, sizeof *files);
        size_t *lens = rt_xcalloc((size_t)cd->nsources + 1, sizeof *lens);
        int64_t last_off = -1;
        for (int s = 0; s < cd->nsources; s++) {
            const st_source_desc *sd = &cd->sources[s];
            const rt_replay_opt *r = replay_for(&p->opts, sd->name);
            rt_vsrc *v = &vs[c][s];
            if (rt_kind_virtual(sd->kind) == RT_VIRT_RATE && !r) {
                rt_vsrc_rate(v, sd->rate, cd->batch_ms, cd->block_ms);
            } else {
                const char *path = r ? r->file : sd->path;
                char *text;
                size_t n, maplen;
                int e = rt_load_file(path ? path : "", ctx->pool, &text, &n, &maplen);
                if (e) {
                    rt_log(p, "error", "source '%s': cannot read %s: %s", sd->name,
                           path ? path : "(no path)", strerror(e));
                    rc = 1;
                    break;
                }
                if (r) {
                    rt_vsrc_replay(v, text, n, r->file,
                                   rt_kind_ints(sd->kind) ? RT_VS_INT : rt_source_keyed(sd) ? RT_VS_PAIR : RT_VS_STR,
                                   cd->batch_ms, cd->block_ms, ctx->pool, replay_warn, ctx);
                    files[s] = r->file;
                    lens[s] = n;
                } else
                    rt_vsrc_file(v, text, n, sd->rate, sd->loop, cd->batch_ms, cd->block_ms);
                v->text_map = maplen;
            }
            if (v->last_offset > last_off)
                last_off = v->last_offset;
        }
        int64_t first = 1;
        if (rc == 0 && p->opts.checkpoint && replay_restore(ctx, &ck[c], &first) != 0)
            rc = 1;
        /* --batches counts the batches of this process */
        last[c] = rt_replay_last_batch(last_off, cd->batch_ms, cd->drain_ms,
                                       p->opts.batches >= 0 ? first - 1 + p->opts.batches : -1,
                                       p->opts.duration_ms);
        next[c] = first;
        if (rc == 0 && rt_replay_check_gaps(p, vs[c], cd->nsources, files, lens, cd->batch_ms, first,
                                            last[c] < 0 ? INT64_MAX : last[c],
                                            p->opts.max_empty >= 0 ? p->opts.max_empty
                                                                   : RT_MAX_EMPTY_BATCHES) != 0)
            rc = 1;
        free(files);
        free(lens);
    }
    /* One thread, batches in order of (time, context index): output is
       the same on every run. */
    while (rc == 0) {
        int best = -1;
        for (int c = 0; c < nctx; c++) {
            if (next[c] > last[c])
                continue;
            int64_t t = next[c] * p->ctxs[c].desc->batch_ms;
            if (best < 0 || t < next[best] * p->ctxs[best].desc->batch_ms)
                best = c;
        }
        if (best < 0 || rt_signalled())
            break;
        rt_ctx *ctx = &p->ctxs[best];
        int ns = ctx->desc->nsources;
        st_arena_reset(ctx->input);
        st_input *in = st_arena_alloc(ctx->input, (size_t)(ns + 1) * sizeof *in);
        for (int s = 0; s < ns; s++) {
            int64_t bad; /* already counted (and logged) when the file was read */
            rt_vsrc_batch(&vs[best][s], next[best], ctx->input, &in[s], &bad);
        }
        int64_t t = next[best] * ctx->desc->batch_ms;
        if (rt_ctx_run(ctx, t, 0, in, 0) != 0) {
            atomic_store(&p->failed, true);
            ck[best].broken = true;
            break;
        }
        ck[best].done = next[best]++;
        if (t % rt_ckpt_interval(ctx->desc->batch_ms) == 0 && replay_snapshot(ctx, &ck[best]) != 0)
            rc = 1;
    }
    /* the end of the run (limit, input drained, signal): every context's
       last completed batch */
    for (int c = 0; c < nctx; c++) {
        if (rc == 0 && replay_snapshot(&p->ctxs[c], &ck[c]) != 0)
            rc = 1;
        free(ck[c].dir);
    }
    free(ck);
    for (int c = 0; c < nctx; c++) {
        if (vs[c])
            for (int s = 0; s < p->ctxs[c].desc->nsources; s++)
                rt_vsrc_free(&vs[c][s]);
        free(vs[c]);
    }
    free(vs);
    free(last);
    free(next);
    return rc;
}

/* ---- signals: the one piece of global state ----------------------------- */
static volatile sig_atomic_t sig_flag;
static int sig_pipe[2] = { -1, -1 };
static struct sigaction sig_old_int, sig_old_term;

bool rt_signalled(void)
{
    return sig_flag != 0;
}

static void on_signal(int sig)
{
    (void)sig;
    int e = errno;
    sig_flag = 1;
    if (sig_pipe[1] >= 0) {
        ssize_t w = write(sig_pipe[1], "s", 1);
        (void)w;   /* a full pipe already says "signalled" */
    }
    errno = e;
}

/* Returns the read end of the self-pipe, or -1 when signals are already
   handled by another st_main in this process (then it does not touch
   them). */
static int signals_install(void)
{
    if (sig_pipe[0] >= 0)
        return -1;
    if (pipe(sig_pipe) != 0) {
        sig_pipe[0] = sig_pipe[1] = -1;
        return -1;
    }
    for (int i = 0; i < 2; i++) {
        fcntl(sig_pipe[i], F_SETFL, fcntl(sig_pipe[i], F_GETFL) | O_NONBLOCK);
        fcntl(sig_pipe[i], F_SETFD, FD_CLOEXEC);
    }
    sig_flag = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* SA_RESETHAND: a second Ctrl-C kills a program stuck finishing. */
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &sa, &sig_old_int);
    sigaction(SIGTERM, &sa, &sig_old_term);
    return sig_pipe[0];
}

static void signals_remove(int fd)
{
    if (fd < 0)
        return;
    sigaction(SIGINT, &sig_old_int, NULL);
    sigaction(SIGTERM, &sig_old_term, NULL);
    close(sig_pipe[0]);
    close(sig_pipe[1]);
    sig_pipe[0] = sig_pipe[1] = -1;
    sig_flag = 0;
}

/* ---- st_main ------------------------------------------------------------ */

static const char *base_name(const char *s)
{
    const char *b = s ? strrchr(s, '/') : NULL;
    return b ? b + 1 : s;
}

int st_main(const st_program_desc *prog, int argc, char **argv)
{
    return st_main_view(prog, NULL, argc, argv);
}

int st_main_view(const st_program_desc *prog, const st_program_view *view, int argc, char **argv)
{
    rt_prog p;
    memset(&p, 0, sizeof p);
    p.desc = prog;
    p.view = view;
    p.name = prog->name && *prog->name ? prog->name
             : argc > 0 && argv[0] ? base_name(argv[0]) : "streamrt";
    atomic_init(&p.skip_logged, 0);
    atomic_init(&p.failed, false);
    rt_load_file_name(p.name);
    st_program_desc named = *prog;
    named.name = p.name;
    if (rt_parse_opts(&named, argc, argv, &p.opts, stderr) != 0)
        return 2;
    rt_params_apply(prog, &p.opts);
    if (p.opts.help || p.opts.version) {
        if (p.opts.help)
            usage(prog, p.name, stdout);
        else
            printf("%s (streamc %s)\n", p.name, ST_VERSION);
        fflush(stdout);
        rt_opts_free(&p.opts);
        return 0;
    }
    for (int c = 0; c < prog->ncontexts; c++)
        if (prog->contexts[c].batch_ms <= 0 || prog->contexts[c].block_ms < 0) {
            rt_log(&p, "error", "context '%s': invalid batch/block interval",
                   prog->contexts[c].name);
            rt_opts_free(&p.opts);
            return 1;
        }
    bool replay = p.opts.nreplay > 0;

    int rc = 0;
    pthread_mutex_init(&p.out_mu, NULL);
    p.ctxs = rt_xcalloc((size_t)(prog->ncontexts + 1), sizeof *p.ctxs);
    int opened = 0;
    for (; opened < prog->ncontexts; opened++) {
        rt_ctx *c = &p.ctxs[opened];
        if (rt_ctx_open(c, &prog->contexts[opened], &p, opened, p.opts.workers) != 0) {
            rt_log(&p, "error", "context '%s': cannot start its worker threads",
                   prog->contexts[opened].name);
            rc = 1;
            break;
        }
    }
    /* regexes: one compiled copy per worker of the largest context */
    int maxw = 1, nre = 0;
    for (int c = 0; c < opened; c++)
        if (p.ctxs[c].nworkers > maxw)
            maxw = p.ctxs[c].nworkers;
    for (; rc == 0 && nre < prog->nregex; nre++) {
        char msg[256];
        if (st_regex_init(&prog->regex[nre], maxw, msg, sizeof msg) != 0) {
            rt_log(&p, "error", "regex \"%s\": %s", prog->regex[nre].pattern, msg);
            rc = 1;
        }
    }
    int sigfd = -1;
    bool tables = rc == 0 && prog->ntables > 0;   /* opened: closed after the run */
    if (tables && st_tables_open(prog->tables, prog->ntables, &p) != 0) {
        tables = false;
        rc = 1;
    }
    if (rc == 0) {
        for (int c = 0; c < prog->ncontexts; c++) {
            rt_ctx *ctx = &p.ctxs[c];
            ctx->state = ctx->desc->create ? ctx->desc->create() : NULL;
            ctx->created = true;
        }
        sigfd = signals_install();
        if (rt_sinks_open(&p) != 0)
            rc = 1;
        if (rc == 0 && p.opts.metrics && !(p.http = rt_http_start(&p, p.opts.metrics)))
            rc = 1;
        if (rc == 0)
            rc = replay ? run_replay(&p) : rt_run_realtime(&p, sigfd);
        rt_http_stop(p.http);
        p.http = NULL;
        rt_sinks_close(&p);
        signals_remove(sigfd);
    }
    if (fflush(stdout) != 0 && !atomic_exchange(&p.failed, true))
        rt_log(&p, "error", "writing to stdout: %s", strerror(errno));
    for (int c = 0; c < opened; c++) {
        rt_ctx *ctx = &p.ctxs[c];
        /* skips never attributed to a batch (no batch ran after them) */
        ctx->skipped_total += atomic_exchange(&ctx->skipped, 0);
        rt_obs_total(ctx);
        if (ctx->skipped_total > 0)
            rt_log(&p, "warning", "context '%s' skipped %lld record%s", ctx->desc->name,
                   (long long)ctx->skipped_total, ctx->skipped_total == 1 ? "" : "s");
        rt_ctx_close(ctx);
    }
    if (tables)
        st_tables_close(prog->tables, prog->ntables);
    free(p.ctxs);
    free(p.cleaned);
    for (int i = 0; i < nre; i++)
        st_regex_free(&prog->regex[i]);
    pthread_mutex_destroy(&p.out_mu);
    rt_opts_free(&p.opts);
    if (rc == 0 && atomic_load(&p.failed))
        rc = 1;
    return rc;
}
