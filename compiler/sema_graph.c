/* sema_graph.c: the operator graph: a stream expression checked receiver
 * first (each operator's receiver, arguments and functions, and the
 * streams that union and the joins combine), making p->nodes in
 * topological order. See sema_int.h. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sema_int.h"
#include "sema_state2.h"

/* ---- stream operators --------------------------------------------------- */



static const op_info ops[] = {
    { "map", OP_MAP, 0, 1, "map(x => ...)" },
    { "flatMap", OP_FLATMAP, 0, 1, "flatMap(x => split(...))" },
    { "filter", OP_FILTER, 0, 1, "filter(x => ...)" },
    { "mapValues", OP_MAPVALUES, OPF_PAIR, 1, "mapValues(v => ...)" },
    { "flatMapValues", OP_FLATMAPVALUES, OPF_PAIR, 1, "flatMapValues(v => split(...))" },
    { "union", OP_UNION, OPF_STREAM, 0, "union(other)" },
    { "repartition", OP_REPARTITION, 0, 0, "repartition(n)" },
    { "count", OP_COUNT, 0, 0, "count()" },
    { "countByValue", OP_COUNTBYVALUE, 0, 0, "countByValue()" },
    { "reduce", OP_REDUCE, 0, 1, "reduce((a, b) => ...)" },
    { "reduceByKey", OP_REDUCEBYKEY, OPF_PAIR, 1, "reduceByKey((a, b) => ...)" },
    { "join", OP_JOIN, OPF_PAIR | OPF_STREAM, 0, "join(other)" },
    { "leftOuterJoin", OP_LEFTOUTERJOIN, OPF_PAIR | OPF_STREAM, 0, "leftOuterJoin(other)" },
    { "rightOuterJoin", OP_RIGHTOUTERJOIN, OPF_PAIR | OPF_STREAM, 0, "rightOuterJoin(other)" },
    { "fullOuterJoin", OP_FULLOUTERJOIN, OPF_PAIR | OPF_STREAM, 0, "fullOuterJoin(other)" },
    { "updateStateByKey", OP_UPDATESTATEBYKEY, OPF_PAIR, 1,
      "updateStateByKey((values, state) => ...) or updateStateByKey(init, (state, v) => ...)" },
    { "mapWithState", OP_MAPWITHSTATE, OPF_PAIR, 1, "mapWithState((key, value, state) => (newState, mapped) [, timeout = D])" },
    { "stateSnapshots", OP_STATESNAPSHOTS, 0, 0, "stateSnapshots()" },
    { "window", OP_WINDOW, OPF_WINDOW, 0, "window(w) or window(30s, 10s)" },
    { "countByWindow", OP_COUNTBYWINDOW, OPF_WINDOW, 0, "countByWindow(w)" },
    { "reduceByWindow", OP_REDUCEBYWINDOW, OPF_WINDOW, 1, "reduceByWindow((a, b) => ..., w)" },
    { "reduceByKeyAndWindow", OP_REDUCEBYKEYANDWINDOW, OPF_PAIR | OPF_WINDOW, 1,
      "reduceByKeyAndWindow((a, b) => ..., [(a, b) => ...,] w)" },
    { "countByValueAndWindow", OP_COUNTBYVALUEANDWINDOW, OPF_WINDOW, 0, "countByValueAndWindow(w)" },
    /* grouping and ordering: sema_group.c */
    { "groupByKey", OP_GROUPBYKEY, OPF_PAIR | OPF_GROUP, 0, "groupByKey([numPartitions])" },
    { "groupByKeyAndWindow", OP_GROUPBYKEY, OPF_PAIR | OPF_GROUP, 0,
      "groupByKeyAndWindow(w [, numPartitions]) or groupByKeyAndWindow(30s, 10s [, numPartitions])" },
    { "cogroup", OP_COGROUP, OPF_PAIR | OPF_GROUP, 0, "cogroup(other [, numPartitions])" },
    { "combineByKey", OP_COMBINEBYKEY, OPF_PAIR | OPF_GROUP, 3,
      "combineByKey(v => c, (c, v) => c, (c1, c2) => c [, numPartitions])" },
    { "sortByKey", OP_SORTBYKEY, OPF_PAIR | OPF_GROUP, 0, "sortByKey([ascending [, numPartitions]])" },
    { "sortBy", OP_SORTBY, OPF_GROUP, 1, "sortBy(x => key [, ascending])" },
    { "take", OP_TAKE, OPF_GROUP, 0, "take(n)" },
    { "distinct", OP_DISTINCT, OPF_GROUP, 0, "distinct([numPartitions])" },
#define ST_SINK(ID, NAME, MINARGS, MAXARGS, ARG, USAGE) { NAME, OP_##ID, OPF_OUTPUT, 0, USAGE },
#include "st_kinds.def"
};

const op_info *find_op(const char *name)
{
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (strcmp(ops[i].name, name) == 0)
            return &ops[i];
    return NULL;
}

bool is_output_name(const char *name)
{
    const op_info *o = find_op(name);
    return o && (o->flags & OPF_OUTPUT);
}


/* union and joins: the other stream must share context and slide */
bool check_combine(sema *s, st_expr *e, st_node *in, st_node *other)
{
    char b1[32], b2[32];
    if (in->ctx && other->ctx && in->ctx != other->ctx) {
        diag_error(s->d, e->name_loc, "'%s' combines streams of different contexts '%s' and '%s'", e->name,
                   in->ctx->name, other->ctx->name);
        return false;
    }
    if (in->slide_ms > 0 && other->slide_ms > 0 && in->slide_ms != other->slide_ms) {
        diag_error(s->d, e->name_loc, "'%s' combines streams with different slides %s and %s", e->name,
                   dstr(in->slide_ms, b1, sizeof b1), dstr(other->slide_ms, b2, sizeof b2));
        return false;
    }
    return true;
}

/* checks a reduce-style function's result against the values' type */
bool check_result(sema *s, st_expr *f, const st_type *got, const st_type *want, const char *what,
                  const char *values)
{
    char b1[128], b2[128];
    if (!got)
        return false;
    if (assignable(got, want)) {
        sr_coerce(&s->rec, f->a, want);
        return true;
    }
    diag_error(s->d, f->a ? f->a->loc : f->loc, "%s function returns %s, but %s %s", what,
               tstr(got, b1, sizeof b1), values, tstr(want, b2, sizeof b2));
    return false;
}

static st_node *method_expr(sema *s, st_expr *e, bool outer, int depth)
{
    char b1[128], b2[128];
    const op_info *oi = find_op(e->name);
    bool handled = false;
    st_node *gn = sg_method(s, e, oi, depth, &handled); /* sema_group.c */
    if (handled)
        return gn;
    st_node *in = stream_expr(s, e->a, false, depth + 1);
    if (!in) {
        /* no checks without an input, but its windows count as used */
        for (int i = 0; i < e->nargs; i++) {
            st_decl *w = e->args[i]->kind == EX_NAME ? lookup(s, e->args[i]->name) : NULL;
            if (w && w->kind == DECL_WINDOW)
                w->used = true;
        }
    }
    if (!oi) {
        if (in) {
            const char *fix, *note = hint_spark_op(e->name, &fix);
            if (note) {
                diag_error(s->d, e->name_loc, "unknown stream operator '%s'", e->name);
                if (fix)
                    diag_fixit(s->d, e->name_loc, fix);
                diag_note(s->d, e->name_loc, "%s", note);
            } else {
                const char *c[sizeof ops / sizeof ops[0]];
                for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
                    c[i] = ops[i].name;
                unknown_name(s, e->name_loc, "unknown stream operator", e->name,
                             hint_closest(e->name, c, (int)(sizeof c / sizeof c[0])));
            }
        }
        return NULL;
    }
    if ((oi->flags & OPF_OUTPUT) && !outer) {
        s->output_unresolved = true; /* meant as this context's output */
        if (s->cur && s->cur->kind == DECL_STREAM)
            diag_error(s->d, e->name_loc, "output operation '%s' cannot be part of a stream declaration",
                       e->name);
        else
            diag_error(s->d, e->name_loc, "output operation '%s' must end the statement", e->name);
        return NULL;
    }
    if (!in || is_err(in->type))
        return NULL;
    const st_type *t = in->type;
    if ((oi->flags & OPF_PAIR) && t->kind != TY_PAIR) {
        diag_error(s->d, e->name_loc, "'%s' needs a stream of (key, value) pairs, not of %s", e->name,
                   tstr(t, b1, sizeof b1));
        return NULL;
    }

    /* argument count */
    int nfns = oi->nfns;
    if (oi->op == OP_REDUCEBYKEYANDWINDOW && e->nargs >= 2 && e->args[1]->kind == EX_LAMBDA)
        nfns = 2;
    int minargs, maxargs;
    switch (oi->op) {
    case OP_COUNT: case OP_COUNTBYVALUE: minargs = maxargs = 0; break;
    case OP_UPDATESTATEBYKEY: case OP_MAPWITHSTATE: minargs = 1; maxargs = 2; break;
    case OP_STATESNAPSHOTS: minargs = maxargs = 0; break;
    default:
        if (sema_sink_arity(oi->op, &minargs, &maxargs))
            break;
        if (oi->flags & OPF_WINDOW) {
            minargs = nfns + 1;
            maxargs = nfns + 2;
        } else
            minargs = maxargs = 1;
        break;
    }
    if (e->nargs < minargs || e->nargs > maxargs) {
        diag_error(s->d, e->name_loc, "wrong number of arguments to '%s' (usage: %s)", e->name, oi->usage);
        return NULL;
    }

    /* the other stream of union/joins first: nodes stay in topological order */
    st_node *other = NULL;
    if (oi->flags & OPF_STREAM) {
        other = stream_expr(s, e->args[0], false, depth + 1);
        if (!other || is_err(other->type))
            return NULL;
    }

    st_node *n = node_new(s->p, oi->op, e->name_loc);
    n->in = in;
    n->ctx = in->ctx;
    n->type = t;
    n->slide_ms = in->slide_ms;
    n->slide_loc = in->slide_loc;
    n->slide_from_window = in->slide_from_window;
    bool ok = true;
    const st_type *u;
    st_expr *f = e->nargs > 0 ? e->args[0] : NULL;

    switch (oi->op) {
    case OP_MAP:
        u = check_fn(s, f, e->name, 1, t, NULL, false, depth);
        ok = u != NULL;
        n->fn = f;
        n->type = u;
        break;
    case OP_FLATMAP: case OP_FLATMAPVALUES: {
        const st_type *arg = oi->op == OP_FLATMAP ? t : t->b;
        u = check_fn(s, f, e->name, 1, arg, NULL, true, depth);
        n->fn = f;
        if (u && u->kind != TY_LIST) {
            diag_error(s->d, f->a->loc, "the function of '%s' must return a list, like split(...), not %s",
                       e->name, tstr(u, b1, sizeof b1));
            u = NULL;
        }
        ok = u != NULL;
        if (ok)
            n->type = oi->op == OP_FLATMAP ? u->a : type_pair(s->p, t->a, u->a);
        break;
    }
    case OP_FILTER:
        u = check_fn(s, f, e->name, 1, t, NULL, false, depth);
        n->fn = f;
        if (u && u->kind != TY_BOOL) {
            diag_error(s->d, f->a->loc, "filter function must return bool, not %s", tstr(u, b1, sizeof b1));
            u = NULL;
        }
        ok = u != NULL;
        break;
    case OP_MAPVALUES:
        u = check_fn(s, f, e->name, 1, t->b, NULL, false, depth);
        n->fn = f;
        ok = u != NULL;
        if (ok)
            n->type = type_pair(s->p, t->a, u);
        break;
    case OP_UNION: case OP_JOIN: case OP_LEFTOUTERJOIN: case OP_RIGHTOUTERJOIN: case OP_FULLOUTERJOIN: {
        st_node *o = other;
        n->in2 = o;
        if (oi->op == OP_UNION) {
            if (o->type != t) {
                diag_error(s->d, e->name_loc, "'union' of streams with different element types %s and %s",
                           tstr(t, b1, sizeof b1), tstr(o->type, b2, sizeof b2));
                ok = false;
            }
        } else if (o->type->kind != TY_PAIR) {
            diag_error(s->d, f->loc, "'%s' needs a stream of (key, value) pairs to join with, not of %s",
                       e->name, tstr(o->type, b1, sizeof b1));
            ok = false;
        } else if (o->type->a != t->a) {
            diag_error(s->d, e->name_loc, "'%s' of streams with different key types %s and %s", e->name,
                       tstr(t->a, b1, sizeof b1), tstr(o->type->a, b2, sizeof b2));
            ok = false;
        } else {
            const st_type *v = t->b, *w = o->type->b;
            if (oi->op == OP_LEFTOUTERJOIN || oi->op == OP_FULLOUTERJOIN)
                w = type_option(s->p, w);
            if (oi->op == OP_RIGHTOUTERJOIN || oi->op == OP_FULLOUTERJOIN)
                v = type_option(s->p, v);
            n->type = type_pair(s->p, t->a, type_pair(s->p, v, w));
        }
        ok = ok && check_combine(s, e, in, o);
        break;
    }
    case OP_REPARTITION:
        f->type = type_expr(s, f, false, depth + 1);
        if (f->kind != EX_INT || f->ival < 1 || f->ival > 1000000) {
            if (!is_err(f->type))
                diag_error(s->d, f->loc, "repartition needs a number of partitions, an integer >= 1");
            ok = false;
        } else
            n->n = f->ival;
        break;
    case OP_COUNT:
        n->type = s->t_int;
        break;
    case OP_COUNTBYVALUE:
        n->type = type_pair(s->p, t, s->t_int);
        break;
    case OP_REDUCE: case OP_REDUCEBYKEY: case OP_REDUCEBYWINDOW: case OP_REDUCEBYKEYANDWINDOW: {
        bool keyed = oi->op == OP_REDUCEBYKEY || oi->op == OP_REDUCEBYKEYANDWINDOW;
        const st_type *v = keyed ? t->b : t;
        u = check_fn(s, f, e->name, 2, v, v, false, depth);
        ok = check_result(s, f, u, v, "reduce", "values are");
        n->fn = f;
        if (nfns == 2) {
            st_expr *g = e->args[1];
            u = check_fn(s, g, e->name, 2, v, v, false, depth);
            ok = check_result(s, g, u, v, "inverse reduce", "values are") && ok;
            n->fn2 = g;
        }
        if (oi->flags & OPF_WINDOW)
            ok = check_window(s, e, nfns, in, n) && ok;
        break;
    }
    case OP_MAPWITHSTATE:
        ok = ss_map_with_state(s, e, n, depth);
        break;
    case OP_STATESNAPSHOTS:
        ok = ss_snapshots(s, e, n);
        break;
    case OP_UPDATESTATEBYKEY: {
        if (e->nargs == 1) {
            ok = ss_update_spark(s, e, n, depth);
            break;
        }
        st_expr *init = e->args[0];
        const st_type *st = type_expr(s, init, false, depth + 1);
        n->init = init;
        if (is_err(st))
            return NULL;
        st_expr *g = e->args[1];
        if (sr_has_nothing(st)) {
            /* (0, None): the function's result says what None holds */
            s->rec.quiet = true;
            u = check_fn(s, g, e->name, 2, st, t->b, false, depth);
            s->rec.quiet = false;
            const st_type *j = u ? sr_unify(&s->rec, st, u) : NULL;
            if (!j || sr_has_nothing(j)) {
                sr_check_known(&s->rec, init);
                return NULL;
            }
            sr_coerce(&s->rec, init, j);
            st = j;
        }
        u = check_fn(s, g, e->name, 2, st, t->b, false, depth);
        ok = check_result(s, g, u, st, "updateStateByKey", "the state is");
        n->fn = g;
        n->type = type_pair(s->p, t->a, st);
        break;
    }
    case OP_WINDOW:
        ok = check_window(s, e, 0, in, n);
        break;
    case OP_COUNTBYWINDOW:
        n->type = s->t_int;
        ok = check_window(s, e, 0, in, n);
        break;
    case OP_COUNTBYVALUEANDWINDOW:
        n->type = type_pair(s->p, t, s->t_int);
        ok = check_window(s, e, 0, in, n);
        break;
    case OP_PRINT:
        n->n = 10;
        if (f) {
            f->type = type_expr(s, f, false, depth + 1);
            if (!sema_sink_arg_ok(oi->op, f)) {
                if (!is_err(f->type))
                    diag_error(s->d, f->loc, "print(n) takes a number of elements n >= 1");
                ok = false;
            } else
                n->n = f->ival;
        }
        break;
    case OP_SAVE: {
        st_expr *lit[2] = { NULL, NULL };   /* the literals: as written, or the params' defaults */
        for (int i = 0; i < e->nargs; i++) {
            st_expr *a = e->args[i];
            st_decl *pd = param_ref(s, a);
            if (pd) {
                const char *what = i == 0 ? "the prefix of saveAsTextFiles()" : "the suffix of saveAsTextFiles()";
                if (!sema_param_use(s->d, pd, a, TY_STRING, 0, 0, i == 0, what)) {
                    ok = false;
                    continue;
                }
                if (i == 0) {
                    n->prefix_param = pd;
                } else {
                    n->suffix_param = pd;
                    pd->param_noslash = true;   /* its default is checked below */
                }
                a = pd->value;
            }
            a->type = type_expr(s, a, false, depth + 1);
            if (!sema_sink_arg_ok(oi->op, a)) {
                if (!is_err(a->type))
                    diag_error(s->d, a->loc, "the %s of saveAsTextFiles must be a string literal",
                               i == 0 ? "prefix" : "suffix");
                ok = false;
            } else if (i == 0)
                n->prefix = a->sval;
            else
                n->suffix = a->sval;
            if (i < 2)
                lit[i] = a;
        }
        if (ok && n->prefix[0] == '\0') {
            diag_error(s->d, f->loc, "the prefix of saveAsTextFiles must not be empty");
            ok = false;
        }
        if (ok && !save_names_check(s->d, lit[0], lit[1]))
            ok = false;
        break;
    }
    case OP_FOREACHRDD:
        if (!sema_sink_arg_ok(oi->op, f)) {
            diag_error(s->d, f->loc, "foreachRDD takes the name of a C function (from a %%{ ... %%} block)");
            ok = false;
        } else {
            n->cfunc_name = f->name;
            st_decl *d = lookup(s, f->name);
            if (d && d->kind == DECL_EXTERN) {
                /* its C declaration would contradict foreachRDD's */
                char rb[256];
                diag_error(s->d, f->loc, "foreachRDD calls void %s(const %s *), but '%s' is an extern "
                                         "function of other types",
                           f->name, cname_rdd(in->type, rb, sizeof rb), f->name);
                diag_note(s->d, d->name_loc, "'%s' is declared here", d->name);
                d->used = true;
                ok = false;
            } else if (!cname_check(s->d, s->p, f->name, f->loc, "foreachRDD", true))
                ok = false;
        }
        break;
    default:
        if (sema_sink_impl(oi->op))
            ok = sema_sink_args(s, e, n, depth);
        break;
    }
    if (!ok || is_err(n->type))
        return NULL; /* the node stays in p->nodes, unused; only valid programs reach codegen */
    in->nconsumers++;
    if (n->in2)
        n->in2->nconsumers++;
    e->node = n;
    return n;
}

st_node *stream_expr(sema *s, st_expr *e, bool outer, int depth)
{
    if (!e)
        return NULL;
    if (depth > MAX_DEPTH) {
        if (!s->too_deep)
            diag_error(s->d, e->loc, "expression is nested too deeply");
        s->too_deep = true;
        return NULL;
    }
    st_node *n = NULL;
    if (e->kind == EX_NAME) {
        bool reported;
        st_decl *d = resolve(s, e->name, e->loc, &reported);
        if (reported)
            return NULL;
        if (!d) {
            unknown_name(s, e->loc, "use of undeclared stream", e->name,
                         closest_decl(s, e->name, 1u << DECL_STREAM | 1u << DECL_SOURCE));
            return NULL;
        }
        if (d->kind != DECL_STREAM && d->kind != DECL_SOURCE) {
            diag_error(s->d, e->loc, "%s '%s' is not a stream", decl_what(d), e->name);
            diag_note(s->d, d->name_loc, "'%s' is declared here", e->name);
            return NULL;
        }
        d->used = true;
        e->ref = REF_STREAM;
        e->decl = d;
        n = d->node;
    } else if (e->kind == EX_METHOD)
        n = method_expr(s, e, outer, depth);
    else if (e->kind == EX_FIELD && e->a && find_op(e->name)) {
        hint_op_without_parens(s->d, e);
        return NULL;
    } else {
        diag_error(s->d, e->loc, "expected a stream");
        return NULL;
    }
    if (n) {
        e->node = n;
        e->type = n->type;
    }
    return n;
}

