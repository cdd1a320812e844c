/* sema_params.c: run-time parameters, `param NAME = LITERAL;` (spec §13).
 *
 * A param is a literal that the executable's --param NAME=VALUE may
 * replace at start. It may stand for a source or sink argument (host,
 * port, path, rate, loop, maxRate, saveAsTextFiles prefix and suffix);
 * sema.c substitutes the default where it is used, so every rule on those
 * arguments still runs, and records which argument is which param for
 * codegen. A param is never a duration (intervals and windows are what
 * --check proves) and is not a value inside a function. Each use narrows
 * the range its --param values must be in (a port 1..65535, a rate >= 1);
 * the runtime checks them (runtime/params.c). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sema_ext.h"

static const char *kind_word(st_tykind k)
{
    switch (k) {
    case TY_STRING: return "a string";
    case TY_INT: return "an integer";
    case TY_FLOAT: return "a float";
    case TY_BOOL: return "a boolean";
    default: return "a value";
    }
}

void sema_param_decl(st_program *p, st_diag *d, st_decl *pd)
{
    st_expr *v = pd->value;
    pd->param_type = NULL;
    pd->param_min = INT64_MIN;
    pd->param_max = INT64_MAX;
    if (!v)
        return;
    st_expr *lit = v->kind == EX_UNARY && v->op == '-' && v->a ? v->a : v;
    bool neg = lit != v;
    if (lit->bad) {
        v->type = type_basic(p, TY_ERROR);
        pd->used = true;
        return;
    }
    st_tykind k = TY_ERROR;
    switch (lit->kind) {
    case EX_STRING: k = neg ? TY_ERROR : TY_STRING; break;
    case EX_INT: k = TY_INT; break;
    case EX_FLOAT: k = TY_FLOAT; break;
    case EX_BOOL: k = neg ? TY_ERROR : TY_BOOL; break;
    case EX_DURATION:
        diag_error(d, v->loc, "a param cannot be a duration: batch intervals and windows are fixed when the "
                              "program is compiled");
        diag_note(d, v->loc, "streamc --check proves the intervals; only source and sink arguments can be "
                             "set at run time");
        v->type = type_basic(p, TY_ERROR);
        pd->used = true;
        return;
    default:
        break;
    }
    if (k == TY_ERROR) {
        diag_error(d, v->loc, "the value of param '%s' must be a literal: a string, an integer, a float or "
                              "true/false", pd->name);
        v->type = type_basic(p, TY_ERROR);
        pd->used = true;
        return;
    }
    if (memchr(lit->sval ? lit->sval : "", '\0', k == TY_STRING ? lit->slen : 0)) {
        diag_error(d, v->loc, "the value of param '%s' cannot hold a NUL byte", pd->name);
        pd->used = true;
        return;
    }
    v->type = lit->type = type_basic(p, k);
    pd->param_type = v->type;
    p->params = ast_grow(p, p->params, p->nparams, &p->capparams, sizeof *p->params);
    pd->param_index = p->nparams;
    p->params[p->nparams++] = pd;
}

static bool default_int(const st_decl *pd, int64_t *v)
{
    const st_expr *e = pd->value;
    if (e->kind == EX_INT) {
        *v = e->ival;
        return true;
    }
    if (e->kind == EX_UNARY && e->a && e->a->kind == EX_INT) {
        *v = (int64_t)(0 - (uint64_t)e->a->ival);
        return true;
    }
    return false;
}

bool sema_param_use(st_diag *d, st_decl *pd, st_expr *use, st_tykind want, int64_t min, int64_t max,
                    bool nonempty, const char *what)
{
    pd->used = true;
    use->ref = REF_RUNPARAM;
    use->decl = pd;
    if (!pd->param_type)
        return false; /* reported at the declaration */
    if (pd->param_type->kind != want) {
        diag_error(d, use->loc, "param '%s' is %s, but %s must be %s", pd->name, kind_word(pd->param_type->kind),
                   what, kind_word(want));
        diag_note(d, pd->name_loc, "'%s' is declared here", pd->name);
        return false;
    }
    int64_t v;
    if (want == TY_INT && default_int(pd, &v) && (v < min || v > max)) {
        if (max == INT64_MAX)
            diag_error(d, use->loc, "the default %" PRId64 " of param '%s' is out of range: %s must be >= %" PRId64,
                       v, pd->name, what, min);
        else
            diag_error(d, use->loc, "the default %" PRId64 " of param '%s' is out of range: %s must be between "
                                    "%" PRId64 " and %" PRId64, v, pd->name, what, min, max);
        diag_note(d, pd->value->loc, "'%s' is declared here", pd->name);
        return false;
    }
    if (want == TY_STRING && nonempty && pd->value->slen == 0) {
        diag_error(d, use->loc, "the default of param '%s' is empty, but %s must not be", pd->name, what);
        diag_note(d, pd->value->loc, "'%s' is declared here", pd->name);
        return false;
    }
    if (!pd->param_use)
        pd->param_use = what;
    if (min > pd->param_min) {
        pd->param_min = min;
        pd->param_use = what;
    }
    if (max < pd->param_max) {
        pd->param_max = max;
        pd->param_use = what;
    }
    if (nonempty && !pd->param_nonempty) {
        pd->param_nonempty = true;
        pd->param_use = what;
    }
    return true;
}

void sema_param_in_function(st_diag *d, st_decl *pd, st_expr *use, bool in_function)
{
    pd->used = true;
    diag_error(d, use->loc, "param '%s' cannot be used %s", pd->name, in_function ? "inside a function" : "here");
    diag_note(d, pd->name_loc, "params are for source and sink arguments (hosts, ports, paths, prefixes, "
                               "rates); '%s' is declared here", pd->name);
}

void sema_param_as_duration(st_diag *d, st_decl *pd, st_expr *use, const char *what)
{
    pd->used = true;
    diag_error(d, use->loc, "param '%s' cannot be used as %s: intervals and windows are fixed when the program "
                            "is compiled (streamc --check proves them)", pd->name, what);
    diag_note(d, pd->name_loc, "'%s' is declared here; write a duration such as 10s instead", pd->name);
}

st_expr *sema_param_dummy(st_program *p, st_expr *use, st_tykind want, int64_t min)
{
    st_expr *e = expr_new(p, EX_INT, use->loc);
    switch (want) {
    case TY_STRING:
        e->kind = EX_STRING;
        e->sval = ast_strdup(p, "x");
        e->slen = 1;
        break;
    case TY_BOOL: e->kind = EX_BOOL; break;
    case TY_FLOAT: e->kind = EX_FLOAT; e->text = e->sval = ast_strdup(p, "1.0"); e->fval = 1; break;
    default: e->ival = min > 0 ? min : 1; break;
    }
    return e;
}

/* Source arguments that name params (sema_ext.h). */
void sema_source_params(st_program *p, st_diag *dg, st_decl *d, st_decl *(*param_of)(void *ctx, st_expr *e), void *ctx)
{
    int kid = sema_kind_find(d->kind_name);
    bool sock = kid == SRC_SOCKET, file = kid == SRC_FILE;
    bool files = file || kid == SRC_TEXTFILES, rate = kid == SRC_RATE;
    int npos = 0;
    for (int i = 0; i < d->nargs; i++) {
        st_expr *a = d->args[i];
        bool named = a->kind == EX_NAMED_ARG;
        st_expr *v = named ? a->a : a;
        int pos = named ? -1 : npos++;
        st_decl *pd = param_of(ctx, v);
        if (!pd)
            continue;
        int slot = -1;
        st_tykind want = TY_INT;
        int64_t min = 1, max = INT64_MAX;
        const char *what = NULL;
        char wbuf[160];
        if (!sock && !files && !rate && kid != SRC_STDIN && kid != SRC_RECEIVER &&
            sema_kind_param(dg, kid, pos, named ? a->name : NULL, &want, &what, wbuf, sizeof wbuf)) {
            /* a kind checked from its rows: any STRING, INT, BOOL or FLOAT argument */
            what = ast_strdup(p, what);
            if (named && sema_kind_keyed_opt(kid, a->name)) {
                diag_error(dg, v->loc, "param '%s' cannot be %s: it decides the element type when the program "
                                       "is compiled", pd->name, what);
                diag_note(dg, pd->name_loc, "'%s' is declared here", pd->name);
                pd->used = true;
                a->a = sema_param_dummy(p, v, TY_BOOL, 1);
                continue;
            }
            min = want == TY_INT ? INT64_MIN : 1;
            st_expr *lit = sema_param_use(dg, pd, v, want, min, max, false, what) ? pd->value
                                                                                   : sema_param_dummy(p, v, want, 1);
            if (lit == pd->value) {
                if (!d->argp)
                    d->argp = ast_alloc(p, sizeof *d->argp * (size_t)d->nargs);
                d->argp[i] = pd;
            }
            if (named)
                a->a = lit;
            else
                d->args[i] = lit;
            continue;
        }
        if (sock && pos == 0)
            slot = SA_HOST, want = TY_STRING, what = "the host of socket()";
        else if (sock && pos == 1)
            slot = SA_PORT, max = 65535, what = "the port of socket()";
        else if (files && pos == 0)
            slot = SA_PATH, want = TY_STRING, what = file ? "the path of file()" : "the directory of textFileStream()";
        else if (rate && pos == 0)
            slot = SA_RATE, what = "the rate of rate()";
        else if (file && named && strcmp(a->name, "rate") == 0)
            slot = SA_RATE, what = "the rate of file()";
        else if (file && named && strcmp(a->name, "loop") == 0)
            slot = SA_LOOP, want = TY_BOOL, what = "loop";
        if (slot < 0)
            continue; /* the rules below report it */
        st_expr *lit = sema_param_use(dg, pd, v, want, min, max, false, what) ? pd->value
                                                                                 : sema_param_dummy(p, v, want, min);
        if (lit == pd->value)
            d->arg_param[slot] = pd;
        if (named)
            a->a = lit;
        else
            d->args[i] = lit;
    }
}
