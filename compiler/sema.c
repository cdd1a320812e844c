/* sema.c: names and declarations, and the pass over the program (types
 * and expressions: sema_types.c; durations and windows: sema_window.c;
 * the operator graph: sema_graph.c; all share sema_int.h).
 *
 * One pass over the declarations in program order (contexts, windows and
 * externs first, since they hold only literals): a stream expression is
 * checked receiver first, so every node's inputs exist before it and
 * p->nodes comes out in topological order. Every rule of the spec's
 * section 6 is here; the grammar checks nothing.
 *
 * Cascades: an expression whose check failed gets TY_ERROR (or a NULL
 * node), and nothing is reported about a TY_ERROR operand or a NULL node,
 * so one mistake gives one message. Expression depth is bounded so that
 * no input can exhaust the stack here or in codegen.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sema_int.h"
#include "sema_tables.h"

/* ---- helpers ----------------------------------------------------------- */

const char *tstr(const st_type *t, char *buf, size_t n)
{
    type_str(t, buf, n);
    return buf;
}

/* canonical spelling: the largest unit that divides exactly */
const char *dstr(int64_t ms, char *buf, size_t n)
{
    if (ms != 0 && ms % 3600000 == 0)
        snprintf(buf, n, "%" PRId64 "h", ms / 3600000);
    else if (ms != 0 && ms % 60000 == 0)
        snprintf(buf, n, "%" PRId64 "min", ms / 60000);
    else if (ms != 0 && ms % 1000 == 0)
        snprintf(buf, n, "%" PRId64 "s", ms / 1000);
    else
        snprintf(buf, n, "%" PRId64 "ms", ms);
    return buf;
}

bool is_num(const st_type *t)
{
    return t->kind == TY_INT || t->kind == TY_FLOAT;
}

bool is_err(const st_type *t)
{
    return !t || t->kind == TY_ERROR;
}

/* a value of type got may be used where want is expected */
bool assignable(const st_type *got, const st_type *want)
{
    return sr_fits(got, want);
}

static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

static st_decl **slot(st_decl **tab, size_t cap, const char *name)
{
    size_t i = hash_name(name) & (cap - 1);
    while (tab[i] && strcmp(tab[i]->name, name) != 0)
        i = (i + 1) & (cap - 1);
    return &tab[i];
}

st_decl *lookup(sema *s, const char *name)
{
    if (!s->tabcap || !name)
        return NULL;
    return *slot(s->tab, s->tabcap, name);
}

static st_decl *lookup_context(sema *s, const char *name)
{
    if (!s->tabcap || !name)
        return NULL;
    return *slot(s->ctab, s->tabcap, name);
}

const char *decl_what(const st_decl *d)
{
    switch (d->kind) {
    case DECL_CONTEXT: return "context";
    case DECL_SOURCE: return "source";
    case DECL_WINDOW: return "window";
    case DECL_STREAM: return "stream";
    case DECL_EXTERN: return "extern function";
    case DECL_VAL: return "constant";
    case DECL_PARAM: return "param";
    case DECL_TABLE: return "table";
    default: return "declaration";
    }
}

/* The declaration of name as seen from s->cur; NULL if undeclared. When it
 * is declared later, reports it, sets *reported and returns NULL. */
st_decl *resolve(sema *s, const char *name, st_loc loc, bool *reported)
{
    *reported = false;
    st_decl *d = lookup(s, name);
    if (d && s->cur && d->index >= s->cur->index) {
        if (d == s->cur)
            diag_error(s->d, loc, "%s '%s' is used in its own declaration", decl_what(d), name);
        else
            diag_error(s->d, loc, "%s '%s' is used before its declaration", decl_what(d), name);
        diag_note(s->d, d->name_loc, "'%s' is declared here", name);
        d->used = true;
        *reported = true;
        return NULL;
    }
    return d;
}

/* A "did you mean" candidate among the names declared before s->cur
   with a kind in mask (bits 1 << DECL_*), or NULL. */
const char *closest_decl(sema *s, const char *name, unsigned mask)
{
    st_program *p = s->p;
    const char **c = malloc(sizeof *c * (size_t)(p->ndecls + 1));
    if (!c)
        return NULL;
    int n = 0;
    for (int i = 0; i < p->ndecls; i++) {
        st_decl *d = p->decls[i];
        if (d->name && (mask >> d->kind & 1) && (!s->cur || d->index < s->cur->index))
            c[n++] = d->name;
    }
    const char *best = hint_closest(name, c, n);
    free(c);
    return best;
}

/* Reports "MSG 'name'; did you mean 'x'?" (with the fix-it line at loc)
   for a name unknown among cands. */
void unknown_name(sema *s, st_loc loc, const char *msg, const char *name, const char *best)
{
    char dym[160];
    diag_error(s->d, loc, "%s '%s'%s", msg, name, hint_dym(best, dym, sizeof dym));
    if (best)
        diag_fixit(s->d, loc, best);
}

/* The param that e names (an EX_NAME of a DECL_PARAM), or NULL. */
st_decl *param_ref(sema *s, st_expr *e)
{
    if (!e || e->kind != EX_NAME)
        return NULL;
    st_decl *d = lookup(s, e->name);
    if (!d || d->kind != DECL_PARAM)
        return NULL;
    bool reported; /* used before its declaration: reported; go on with it */
    resolve(s, e->name, e->loc, &reported);
    return d;
}

/* ---- declarations ------------------------------------------------------ */

static void check_context(sema *s, st_decl *c)
{
    char b1[32], b2[32];
    int batch_i = -1;
    for (int i = 0; i < c->nsettings; i++) {
        st_setting *st = &c->settings[i];
        bool dup = false;
        for (int j = 0; j < i && !dup; j++) {
            if (strcmp(c->settings[j].name, st->name) == 0) {
                diag_error(s->d, st->name_loc, "duplicate setting '%s' in context '%s'", st->name, c->name);
                diag_note(s->d, c->settings[j].name_loc, "previous setting of '%s' is here", st->name);
                dup = true;
            }
        }
        if (dup)
            continue;
        st_expr *v = st->value;
        int64_t ms;
        if (strcmp(st->name, "batch") == 0) {
            batch_i = i;
            if (eval_duration(s, v, "the batch interval", &ms)) {
                if (ms <= 0)
                    diag_error(s->d, v->loc, "batch interval must be positive");
                else {
                    c->batch_ms = ms;
                    c->batch_loc = v->loc;
                }
            }
        } else if (strcmp(st->name, "block") == 0) {
            c->has_block = true;
            c->block_ms = 0;
            if (eval_duration(s, v, "the block interval", &ms)) {
                if (ms <= 0)
                    diag_error(s->d, v->loc, "block interval must be positive");
                else {
                    c->block_ms = ms;
                    c->block_loc = v->loc;
                }
            }
        } else if (strcmp(st->name, "checkpoint") == 0) {
            v->type = type_expr(s, v, false, 0);
            if (v->kind != EX_STRING) {
                if (!is_err(v->type))
                    diag_error(s->d, v->loc, "checkpoint must be a directory name in a string literal");
            } else if (v->slen == 0 || memchr(v->sval, '\0', v->slen))
                diag_error(s->d, v->loc, "checkpoint must be a non-empty directory name");
            else
                c->checkpoint = v->sval;
        } else if (strcmp(st->name, "workers") == 0) {
            v->type = type_expr(s, v, false, 0);
            if (v->kind != EX_INT || v->ival < 1 || v->ival > 4096) {
                if (!is_err(v->type))
                    diag_error(s->d, v->loc, "workers must be an integer between 1 and 4096");
            } else
                c->workers = (int)v->ival;
        } else if (strcmp(st->name, "initialRate") == 0) {
            /* Spark's spark.streaming.backpressure.initialRate */
            v->type = type_expr(s, v, false, 0);
            if (v->kind != EX_INT || v->ival < 1) {
                if (!is_err(v->type))
                    diag_error(s->d, v->loc, "initialRate must be an integer >= 1 (records per second per receiver)");
            } else
                c->initial_rate = v->ival;
        } else
        {
            static const char *const names[] = { "batch", "block", "checkpoint", "initialRate", "workers" };
            char dym[160];
            const char *best = hint_closest(st->name, names, 5);
            diag_error(s->d, st->name_loc,
                       "unknown context setting '%s' (expected batch, block, checkpoint, initialRate or workers)%s", st->name,
                       hint_dym(best, dym, sizeof dym));
            if (best)
                diag_fixit(s->d, st->name_loc, best);
        }
    }
    if (batch_i < 0) {
        diag_error(s->d, c->name_loc, "context '%s' has no batch interval (add 'batch = 1s;')", c->name);
        return;
    }
    if (c->batch_ms <= 0 || (c->has_block && c->block_ms <= 0))
        return;
    if (!c->has_block) {
        c->block_ms = 200;
        c->block_loc = c->name_loc;
    }
    if (c->has_block && c->block_ms > c->batch_ms) {
        diag_error(s->d, c->block_loc, "block interval %s is longer than the batch interval %s",
                   dstr(c->block_ms, b1, sizeof b1), dstr(c->batch_ms, b2, sizeof b2));
        diag_note(s->d, c->batch_loc, "batch interval declared here");
    } else if (c->batch_ms % c->block_ms != 0) {
        diag_error(s->d, c->batch_loc, "batch interval %s is not a multiple of the block interval %s",
                   dstr(c->batch_ms, b1, sizeof b1), dstr(c->block_ms, b2, sizeof b2));
        if (c->has_block)
            diag_note(s->d, c->block_loc, "block interval declared here");
        else
            diag_note(s->d, c->name_loc, "the block interval of context '%s' defaults to 200ms", c->name);
    }
}

static const st_type *resolve_typeexpr(sema *s, st_typeexpr *t, int depth)
{
    if (!t || depth > 50)
        return s->t_err;
    if (!t->name) {
        const st_type *el[64];
        bool ok = t->n <= 64;
        if (!ok)
            diag_error(s->d, t->loc, "a tuple has at most 64 fields, not %d", t->n);
        for (int i = 0; ok && i < t->n; i++)
            ok = !is_err(el[i] = resolve_typeexpr(s, t->el[i], depth + 1));
        return ok ? type_tuple(s->p, t->n, el) : s->t_err;
    }
    if (t->a) {
        const st_type *a = resolve_typeexpr(s, t->a, depth + 1);
        if (is_err(a))
            return s->t_err;
        if (strcmp(t->name, "List") == 0)
            return type_list(s->p, a);
        if (strcmp(t->name, "Option") == 0)
            return type_option(s->p, a);
        diag_error(s->d, t->loc, "unknown type '%s[...]' (expected List[T] or Option[T])", t->name);
        return s->t_err;
    }
    if (strcmp(t->name, "string") == 0)
        return s->t_str;
    if (strcmp(t->name, "int") == 0)
        return s->t_int;
    if (strcmp(t->name, "float") == 0)
        return s->t_float;
    if (strcmp(t->name, "bool") == 0)
        return s->t_bool;
    const char *best = hint_type(t->name);
    char dym[160];
    diag_error(s->d, t->loc, "unknown type '%s' (expected string, int, float, bool, a tuple (T, T, ...), "
                             "List[T] or Option[T])%s", t->name, hint_dym(best, dym, sizeof dym));
    if (best)
        diag_fixit(s->d, t->loc, best);
    return s->t_err;
}

static void check_extern(sema *s, st_decl *d)
{
    if (find_builtin(d->name) || sr_is_builtin(d->name)) {
        diag_error(s->d, d->name_loc, "extern function '%s' has the name of a built-in function", d->name);
    }
    int errors_before = s->d->nerrors;
    d->param_types = ast_alloc(s->p, sizeof *d->param_types * (size_t)(d->nptypes + 1));
    for (int i = 0; i < d->nptypes; i++)
        d->param_types[i] = resolve_typeexpr(s, d->ptypes[i], 0);
    d->ret_type = resolve_typeexpr(s, d->rtype, 0);
    /* its C name; whether a C block declares it only when its types are right */
    if (!find_builtin(d->name) && !sr_is_builtin(d->name))
        cname_check(s->d, s->p, d->name, d->name_loc, "extern", s->d->nerrors == errors_before);
}

static const char *const storage_names[] = { "MEMORY_ONLY", "MEMORY_ONLY_SER", "MEMORY_AND_DISK",
                                             "MEMORY_AND_DISK_SER", "DISK_ONLY" };
static const int storage_bits[] = { STORE_MEMORY_ONLY, STORE_MEMORY_ONLY_SER, STORE_MEMORY_AND_DISK,
                                     STORE_MEMORY_AND_DISK_SER, STORE_DISK_ONLY };

static int parse_storage(const char *name)
{
    size_t n = strlen(name);
    int extra = 0;
    if (n > 2 && strcmp(name + n - 2, "_2") == 0) {
        n -= 2;
        extra = STORE_REPLICATED;
    }
    for (size_t i = 0; i < sizeof storage_names / sizeof storage_names[0]; i++)
        if (strlen(storage_names[i]) == n && strncmp(storage_names[i], name, n) == 0)
            return storage_bits[i] | extra;
    return -1;
}

/* a literal integer (an optional '-' allowed), for source arguments */
static bool const_int(st_expr *e, int64_t *v)
{
    if (e->kind == EX_INT && !e->bad) {
        *v = e->ival;
        return true;
    }
    if (e->kind == EX_UNARY && e->op == '-' && e->a->kind == EX_INT && !e->a->bad) {
        *v = -e->a->ival;
        return true;
    }
    return false;
}

/* sema_source_params' view of names: the param e names, or NULL */
static st_decl *param_of(void *ctx, st_expr *e)
{
    return param_ref(ctx, e);
}

static void check_source(sema *s, st_decl *d)
{
    /* context */
    st_decl *ctx = NULL;
    if (d->in_ctx) {
        st_decl *c = lookup_context(s, d->in_ctx);
        if (!c)
            unknown_name(s, d->in_loc, "use of undeclared context", d->in_ctx,
                         closest_decl(s, d->in_ctx, 1u << DECL_CONTEXT));
        else if (c->index > d->index) {
            diag_error(s->d, d->in_loc, "context '%s' is used before its declaration", d->in_ctx);
            diag_note(s->d, c->name_loc, "'%s' is declared here", d->in_ctx);
        } else
            ctx = c;
    } else if (s->p->ncontexts == 1)
        ctx = s->p->contexts[0];
    else if (s->p->ncontexts == 0)
        diag_error(s->d, d->name_loc, "source '%s' has no context to run in (declare one: context NAME { batch "
                                      "= 1s; })", d->name);
    else
        diag_error(s->d, d->name_loc, "source '%s' needs 'in CONTEXT': the file declares %d contexts", d->name,
                   s->p->ncontexts);
    d->ctx = ctx;

    /* kind and arguments */
    const char *k = d->kind_name;
    sema_source_params(s->p, s->d, d, param_of, s);
    int npos = 0;
    st_expr *pos[8];
    bool ok = true;
    for (int i = 0; i < d->nargs && !sema_kind_cfunc(sema_kind_find(k)); i++) {
        st_expr *a = d->args[i];
        st_expr *v = a->kind == EX_NAMED_ARG ? a->a : a;
        if (v->kind == EX_LAMBDA || v->kind == EX_NAMED_ARG) {
            diag_error(s->d, v->loc, "source arguments must be literals");
            ok = false;
            continue;
        }
        if (v->kind != EX_UNARY) {
            v->type = type_expr(s, v, false, 0);
            if (is_err(v->type))
                ok = false;
        } else
            v->type = v->a->kind == EX_INT ? s->t_int : s->t_err;
        if (a->kind == EX_NAMED_ARG) {
            a->type = v->type;
            const char *on[1];
            if (sema_kind_opts(sema_kind_find(k), on, 1) == 0) {
                diag_error(s->d, a->name_loc, "%s() has no option '%s'", k, a->name);
                ok = false;
            }
        } else if (npos < 8)
            pos[npos++] = a;
        else
            npos++;
    }
    int64_t v;
    st_type const *tstr_ = s->t_str;
    int kid = sema_kind_find(k);
    if (sema_kind_cfunc(kid)) {   /* a C function's name and a string: sema_kinds.c */
        d->src_kind = kid;
        ok = sema_receiver_args(s->d, s->p, d);
    } else if (!sema_kind_args(s->p, s->d, d, kid, pos, npos)) {
        const char *fix, *note = hint_spark_source(k, &fix);
        int nk;
        const char *const *kinds = sema_kind_names(&nk);
        const char *best = note ? fix : sema_kind_closest(k);
        char dym[160], list[200];
        diag_error(s->d, d->kind_loc, "unknown source kind '%s' (expected %s)%s", k,
                   sema_kind_join(kinds, nk, list, sizeof list), note ? "" : hint_dym(best, dym, sizeof dym));
        if (best)
            diag_fixit(s->d, d->kind_loc, best);
        if (note)
            diag_note(s->d, d->kind_loc, "%s", note);
        ok = false;
    }
    (void)ok;

    if (d->storage_name) {
        int st = parse_storage(d->storage_name);
        if (st < 0) {
            char dym[160];
            const char *best = hint_storage(d->storage_name);
            diag_error(s->d, d->storage_loc, "unknown storage level '%s' (expected MEMORY_ONLY, MEMORY_ONLY_SER, "
                                             "MEMORY_AND_DISK, MEMORY_AND_DISK_SER or DISK_ONLY, each "
                                             "optionally with _2)%s", d->storage_name, hint_dym(best, dym, sizeof dym));
            if (best)
                diag_fixit(s->d, d->storage_loc, best);
        } else
            d->storage = st;
    } else if (d->src_kind == SRC_KAFKA) {
        d->storage = STORE_MEMORY_ONLY;   /* Kafka keeps the records: the log keeps offset ranges */
    }
    for (int i = 0; d->src_kind == SRC_KAFKA && i < d->nargs; i++) {
        const st_expr *a = d->args[i];
        if (a->kind == EX_NAMED_ARG && strcmp(a->name, "startingOffsets") == 0 && a->a->kind == EX_STRING &&
            strcmp(a->a->sval, "latest") != 0 && strcmp(a->a->sval, "earliest") != 0)
            diag_error(s->d, a->a->loc, "startingOffsets of kafka() is \"latest\" or \"earliest\", not \"%s\"",
                       a->a->sval);
    }
    if (d->max_rate && param_ref(s, d->max_rate)) {
        st_decl *pd = param_ref(s, d->max_rate);
        if (sema_param_use(s->d, pd, d->max_rate, TY_INT, 1, INT64_MAX, false, "maxRate")) {
            d->arg_param[SA_MAXRATE] = pd;
            d->max_rate = pd->value;
        } else
            d->max_rate = sema_param_dummy(s->p, d->max_rate, TY_INT, 1);
    }
    if (d->max_rate) {
        d->max_rate->type = d->max_rate->kind == EX_UNARY ? s->t_int : type_expr(s, d->max_rate, false, 0);
        if (!const_int(d->max_rate, &v) || v < 1) {
            if (!is_err(d->max_rate->type))
                diag_error(s->d, d->max_rate->loc, "maxRate must be an integer >= 1 (records per second)");
        } else
            d->max_rate_v = v;
    }

    st_node *n = node_new(s->p, OP_SOURCE, d->kind_loc);
    n->source = d;
    n->ctx = ctx;
    n->type = sema_kind_ints(d->src_kind) ? s->t_int : d->keyed ? type_pair(s->p, tstr_, tstr_) : tstr_;
    if (ctx) {
        n->slide_ms = ctx->batch_ms;
        n->slide_loc = ctx->batch_loc;
    }
    d->node = n;
}

static void check_stream(sema *s, st_decl *d)
{
    st_node *n = stream_expr(s, d->value, false, 0);
    if (!n)
        return;
    d->node = n;
    d->ctx = n->ctx;
    if (!n->stream && n->op != OP_SOURCE)
        n->stream = d;
}

static void check_output(sema *s, st_decl *d)
{
    st_expr *e = d->value;
    if (!e)
        return;
    if (e->kind != EX_METHOD || !is_output_name(e->name)) {
        s->output_unresolved = true;
        if (e->kind == EX_FIELD && e->a && find_op(e->name)) {
            hint_op_without_parens(s->d, e);
            return;
        }
        if (e->kind == EX_METHOD && !find_op(e->name)) {
            stream_expr(s, e, false, 0); /* reports the unknown operator */
        } else if (e->kind == EX_METHOD) {
            stream_expr(s, e, false, 0);
            diag_error(s->d, e->name_loc, "'%s' is not an output operation: end the statement with print(), "
                                          "saveAsTextFiles() or foreachRDD()", e->name);
        } else if (e->kind == EX_METHOD || e->kind == EX_NAME)
            stream_expr(s, e, false, 0), diag_error(s->d, e->loc, "statement has no output operation: end it "
                                                                  "with print(), saveAsTextFiles() or "
                                                                  "foreachRDD()");
        else
            diag_error(s->d, e->loc, "expected a declaration or an output statement");
        return;
    }
    st_node *n = stream_expr(s, e, true, 0);
    if (!n || !n->ctx) {
        s->output_unresolved = true;
        return;
    }
    d->node = n;
    d->ctx = n->ctx;
    if (n->ctx)
        n->ctx->has_output = true;
}

/* ---- the whole program -------------------------------------------------- */

static void declare_all(sema *s)
{
    st_program *p = s->p;
    size_t cap = 16;
    while (cap < 2 * (size_t)p->ndecls + 2)
        cap *= 2;
    s->tab = calloc(cap, sizeof *s->tab);
    s->ctab = calloc(cap, sizeof *s->ctab);
    if (!s->tab || !s->ctab) {
        fputs("streamc: out of memory\n", stderr);
        abort();
    }
    s->tabcap = cap;
    int nctx = 0;
    for (int i = 0; i < p->ndecls; i++)
        nctx += p->decls[i]->kind == DECL_CONTEXT;
    p->contexts = ast_alloc(p, sizeof *p->contexts * (size_t)(nctx + 1));
    p->ncontexts = 0;
    for (int i = 0; i < p->ndecls; i++) {
        st_decl *d = p->decls[i];
        if (!d->name || d->kind == DECL_OUTPUT || d->kind == DECL_CBLOCK)
            continue;
        st_decl **sl = slot(d->kind == DECL_CONTEXT ? s->ctab : s->tab, cap, d->name);
        if (*sl) {
            d->used = true; /* no "unused" warning on top of this error */
            diag_error(s->d, d->name_loc, "redefinition of '%s'", d->name);
            diag_note(s->d, (*sl)->name_loc, "previous definition of '%s' is here", d->name);
        } else {
            *sl = d;
            if (d->kind == DECL_CONTEXT)
                p->contexts[p->ncontexts++] = d;
        }
    }
}

static void report_unused(sema *s, bool had_errors)
{
    st_program *p = s->p;
    for (int i = p->nnodes - 1; i >= 0; i--) {
        st_node *n = p->nodes[i];
        if (n->op >= OP_PRINT && n->in)   /* an output (the ST_SINK rows come last) */
            n->live = true;
        if (n->live && n->in)
            n->in->live = true;
        if (n->live && n->in2)
            n->in2->live = true;
    }
    for (int i = 0; i < p->ndecls; i++) {
        st_decl *d = p->decls[i];
        if (d->kind == DECL_STREAM || d->kind == DECL_SOURCE) {
            if (!d->used && (d->node || !had_errors))
                diag_warn(s->d, d->kind == DECL_SOURCE ? W_UNUSED_SOURCE : W_UNUSED_STREAM, d->name_loc,
                          "%s '%s' is never used", decl_what(d), d->name);
            else if (!had_errors && d->node && !d->node->live)
                diag_warn(s->d, W_DEAD_STREAM, d->name_loc, "%s '%s' does not feed any output operation",
                          decl_what(d), d->name);
        } else if ((d->kind == DECL_PARAM || d->kind == DECL_VAL) && !d->used) {
            diag_warn(s->d, d->kind == DECL_VAL ? W_UNUSED_VAL : W_UNUSED_PARAM, d->name_loc, "%s '%s' is never used",
                      d->kind == DECL_VAL ? "val" : "param", d->name);
        } else if (d->kind == DECL_TABLE && !d->used) {
            diag_warn(s->d, W_UNUSED_TABLE, d->name_loc, "table '%s' is never used", d->name);
        } else if (d->kind == DECL_WINDOW && !d->used) {
            diag_warn(s->d, W_UNUSED_WINDOW, d->name_loc, "window '%s' is never used", d->name);
            /* still check it against the only batch interval there is */
            if (p->ncontexts == 1 && p->contexts[0]->batch_ms > 0 && d->win_ms > 0) {
                st_decl *c = p->contexts[0];
                char b1[32], b2[32];
                if (d->win_ms % c->batch_ms != 0) {
                    diag_error(s->d, d->win_dur->loc, "window duration %s is not a multiple of the batch interval "
                                                      "%s", dstr(d->win_ms, b1, sizeof b1),
                               dstr(c->batch_ms, b2, sizeof b2));
                    diag_note(s->d, c->batch_loc, "batch interval declared here");
                }
                if (d->win_slide && d->win_slide_ms > 0 && d->win_slide_ms % c->batch_ms != 0) {
                    diag_error(s->d, d->win_slide->loc, "window slide %s is not a multiple of the batch interval "
                                                        "%s", dstr(d->win_slide_ms, b1, sizeof b1),
                               dstr(c->batch_ms, b2, sizeof b2));
                    diag_note(s->d, c->batch_loc, "batch interval declared here");
                }
            }
        }
    }
}

bool sema_check(st_program *p, st_diag *d)
{
    sema s;
    memset(&s, 0, sizeof s);
    s.p = p;
    s.d = d;
    s.t_err = type_basic(p, TY_ERROR);
    s.t_str = type_basic(p, TY_STRING);
    s.t_int = type_basic(p, TY_INT);
    s.t_float = type_basic(p, TY_FLOAT);
    s.t_bool = type_basic(p, TY_BOOL);
    s.t_dur = type_basic(p, TY_DURATION);
    sr_init(&s.rec, p, d, &s, type_expr_cb);
    /* statements lost to syntax errors make rule 5 and the unused warnings
       unreliable */
    bool parse_errors = d->nerrors > 0;

    declare_all(&s);
    /* contexts, windows and externs hold only literals: check them first so
       that sources and streams can rely on their values */
    for (int i = 0; i < p->ndecls; i++) {
        st_decl *x = p->decls[i];
        s.cur = x;
        if (x->kind == DECL_CONTEXT)
            check_context(&s, x);
        else if (x->kind == DECL_WINDOW)
            check_window_decl(&s, x);
        else if (x->kind == DECL_EXTERN)
            check_extern(&s, x);
        else if (x->kind == DECL_VAL)
            sr_check_val(&s.rec, x);
        else if (x->kind == DECL_PARAM)
            sema_param_decl(p, d, x);
        else if (x->kind == DECL_TABLE)
            sema_table_decl(&s, x);
    }
    for (int i = 0; i < p->ndecls; i++) {
        st_decl *x = p->decls[i];
        s.cur = x;
        s.lam = NULL;
        s.too_deep = false;
        if (x->kind == DECL_SOURCE)
            check_source(&s, x);
        else if (x->kind == DECL_STREAM)
            check_stream(&s, x);
        else if (x->kind == DECL_OUTPUT)
            check_output(&s, x);
    }
    s.cur = NULL;
    sema_tables_finish(p);
    if (!s.output_unresolved && !parse_errors)
        for (int i = 0; i < p->ncontexts; i++)
            if (!p->contexts[i]->has_output)
                diag_error(d, p->contexts[i]->name_loc,
                           "context '%s' has no output operation (print, saveAsTextFiles or foreachRDD)",
                           p->contexts[i]->name);
    if (!parse_errors)
        report_unused(&s, d->nerrors > 0);
    free(s.tab);
    free(s.ctab);
    sr_free(&s.rec);
    return d->nerrors == 0;
}
