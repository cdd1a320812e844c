/* sema_sinks.c: the output operators (print, saveAsTextFiles, foreachRDD,
 * and those that run through an st_sink) as sema sees them, from their
 * ST_SINK rows of runtime/st_kinds.def: the number of arguments each
 * takes and the kind of literal every argument must be. sema.c's table
 * of operators takes their names and usages from the same rows; the
 * messages of a wrong argument of the three built-in outputs stay
 * sema_graph.c's own; an ST_SINK_IMPL output's arguments are checked
 * here (sema_sink_args), and the C libraries the program's kinds need
 * are listed (sema_kind_libs). */
#include <string.h>

#include "sema_int.h"
#include "sema_tables.h"

enum { SINK_ARG_POSINT, SINK_ARG_STRING, SINK_ARG_CFUNC, SINK_ARG_STRLIST_FN };

typedef struct sink_row {
    st_opkind op;
    int min, max, arg;
    const char *name;
    bool impl;
} sink_row;

static const sink_row sinks[] = {
#define ST_SINK(ID, NAME, MINARGS, MAXARGS, ARG, USAGE) { OP_##ID, MINARGS, MAXARGS, SINK_ARG_##ARG, NAME, false },
#include "st_kinds.def"
};
static const st_opkind impls[] = {
#define ST_SINK_IMPL(ID, NAME) OP_##ID,
#include "st_kinds.def"
    OP_SOURCE   /* the end */
};

static const sink_row *sink(st_opkind op)
{
    for (size_t i = 0; i < sizeof sinks / sizeof *sinks; i++)
        if (sinks[i].op == op)
            return &sinks[i];
    return NULL;
}

typedef struct lib_row {
    int id;   /* SRC_* or OP_* */
    const char *lib;
} lib_row;

static const lib_row src_libs[] = {
#define ST_SOURCE_LIB(ID, LIB) { SRC_##ID, LIB },
#include "st_kinds.def"
    { -1, NULL }
};
static const lib_row sink_libs[] = {
#define ST_SINK_LIB(ID, LIB) { OP_##ID, LIB },
#include "st_kinds.def"
    { -1, NULL }
};

static int add_lib(const lib_row *rows, int id, const char **out, int n, int max)
{
    for (const lib_row *r = rows; r->lib; r++) {
        if (r->id != id)
            continue;
        bool seen = false;
        for (int i = 0; i < n && !seen; i++)
            seen = strcmp(out[i], r->lib) == 0;
        if (!seen && n < max)
            out[n++] = r->lib;
    }
    return n;
}

int sema_kind_libs(const st_program *p, const char **out, int max)
{
    int n = 0;
    for (int i = 0; i < p->ndecls; i++)
        if (p->decls[i]->kind == DECL_SOURCE)
            n = add_lib(src_libs, (int)p->decls[i]->src_kind, out, n, max);
    for (int i = 0; i < p->nnodes; i++)
        n = add_lib(sink_libs, (int)p->nodes[i]->op, out, n, max);
    return sema_table_libs(p, out, n, max);
}

bool sema_sink_arity(st_opkind op, int *min, int *max)
{
    const sink_row *r = sink(op);
    if (r) {
        *min = r->min;
        *max = r->max;
    }
    return r != NULL;
}

bool sema_sink_arg_ok(st_opkind op, const st_expr *a)
{
    const sink_row *r = sink(op);
    if (!r)
        return false;
    switch (r->arg) {
    case SINK_ARG_POSINT: return a->kind == EX_INT && a->ival >= 1;
    case SINK_ARG_STRING: return a->kind == EX_STRING;
    case SINK_ARG_STRLIST_FN: return a->kind == EX_STRING || a->kind == EX_LAMBDA;
    default: return a->kind == EX_NAME;
    }
}

bool sema_sink_impl(st_opkind op)
{
    for (int i = 0; impls[i] != OP_SOURCE; i++)
        if (impls[i] == op)
            return true;
    return false;
}

/* An ST_SINK_IMPL output: its STRING arguments (literals or params) and,
   with an ARG STRLIST_FN row, the lambda from the element to List[String]
   that makes each row. */
bool sema_sink_args(sema *s, st_expr *e, st_node *n, int depth)
{
    const sink_row *r = sink(n->op);
    char b1[128];
    /* a STRLIST_FN row's lambda is its last argument, given when the call
       has MAXARGS of them (saveToRedis(addr, f)) */
    bool ok = true, fn = r->arg == SINK_ARG_STRLIST_FN && e->nargs == r->max && e->nargs > 0;
    int nstr = e->nargs - fn;
    n->sink_args = ast_alloc(s->p, sizeof *n->sink_args * (size_t)(e->nargs + 1));
    n->sink_params = ast_alloc(s->p, sizeof *n->sink_params * (size_t)(e->nargs + 1));
    n->nsink_args = nstr;
    for (int i = 0; i < nstr; i++) {
        st_expr *a = e->args[i];
        st_decl *pd = param_ref(s, a);
        if (pd) {
            char what[160];
            snprintf(what, sizeof what, "argument %d of %s()", i + 1, r->name);
            if (!sema_param_use(s->d, pd, a, TY_STRING, 0, 0, false, ast_strdup(s->p, what))) {
                ok = false;
                continue;
            }
            n->sink_params[i] = pd;
            a = pd->value;
        }
        a->type = type_expr(s, a, false, depth + 1);
        if (a->kind != EX_STRING) {
            if (!is_err(a->type))
                diag_error(s->d, a->loc, "argument %d of %s() must be a string literal", i + 1, r->name);
            ok = false;
        } else
            n->sink_args[i] = a->sval;
    }
    if (!fn)
        return ok;
    st_expr *f = e->args[e->nargs - 1];
    if (f->kind != EX_LAMBDA) {
        diag_error(s->d, f->loc, "the last argument of %s() must be a function from the element to a list of "
                                 "strings, as in x => [x, \"1\"]", r->name);
        return false;
    }
    const st_type *u = check_fn(s, f, e->name, 1, n->in->type, NULL, true, depth);
    n->fn = f;
    if (u && !(u->kind == TY_LIST && u->a && u->a->kind == TY_STRING)) {
        diag_error(s->d, f->a->loc, "the function of '%s' must return a list of strings, not %s", e->name,
                   tstr(u, b1, sizeof b1));
        return false;
    }
    return ok && u != NULL;
}
