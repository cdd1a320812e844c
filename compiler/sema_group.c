/* sema_group.c: the operators of spec section 10 (grouping and ordering
 * per batch: groupByKey, groupByKeyAndWindow, cogroup, combineByKey,
 * sortByKey, sortBy, take, distinct), the inverse form of reduceByWindow,
 * and the trailing arguments Spark users pass: numPartitions (reduceByKey,
 * reduceByKeyAndWindow, countByValue, the joins, the grouping operators,
 * sortByKey(ascending, n) and distinct(n)) and filter = f
 * (reduceByKeyAndWindow with an inverse).
 *
 * Forms that Spark itself defines from other operators are built the same
 * way here, as nodes of the existing operators:
 *  - groupByKeyAndWindow(w) is window(w) then a groupByKey whose buffers
 *    print as ArrayBuffer (Spark combines the window's values into one);
 *  - reduceByWindow(f, finv, w) is map(x => (1, x)), then
 *    reduceByKeyAndWindow(f, finv, w), then map(p => p._2), as Spark's;
 *  - numPartitions = n is a repartition(n) after the operator (it sets
 *    the number of result partitions and keeps their order).
 * See sema_int.h for sg_method's contract.
 */
#include <string.h>

#include "sema_int.h"

/* a new node of op fed by in, with in's context and slide */
static st_node *sg_node(sema *s, st_opkind op, st_loc loc, st_node *in)
{
    st_node *n = node_new(s->p, op, loc);
    n->in = in;
    n->ctx = in->ctx;
    n->type = in->type;
    n->slide_ms = in->slide_ms;
    n->slide_loc = in->slide_loc;
    n->slide_from_window = in->slide_from_window;
    return n;
}

/* n checked: its inputs count it as a consumer */
static st_node *sg_done(st_node *n)
{
    n->in->nconsumers++;
    if (n->in2)
        n->in2->nconsumers++;
    return n;
}

/* an integer literal (or a negated one) */
static bool int_lit(const st_expr *a)
{
    return a && (a->kind == EX_INT || (a->kind == EX_UNARY && a->op == '-' && a->a && a->a->kind == EX_INT));
}

static bool named(const st_expr *a, const char *name)
{
    return a && a->kind == EX_NAMED_ARG && strcmp(a->name, name) == 0;
}

/* the operators that take a trailing numPartitions */
static bool takes_partitions(st_opkind op, const char *name)
{
    switch (op) {
    case OP_REDUCEBYKEY: case OP_COUNTBYVALUE: case OP_REDUCEBYKEYANDWINDOW:
    case OP_JOIN: case OP_LEFTOUTERJOIN: case OP_RIGHTOUTERJOIN: case OP_FULLOUTERJOIN:
    case OP_GROUPBYKEY: case OP_COGROUP: case OP_COMBINEBYKEY: case OP_SORTBYKEY: case OP_DISTINCT:
        return true;
    default:
        (void)name;
        return false;
    }
}

/* the number of arguments op takes without numPartitions when the last
   one is an integer literal: then it is numPartitions */
static bool last_is_partitions(const op_info *oi, const st_expr *e)
{
    if (e->nargs == 0)
        return false;
    const st_expr *a = e->args[e->nargs - 1];
    if (named(a, "numPartitions"))
        return true;
    if (!int_lit(a))
        return false;
    switch (oi->op) {
    case OP_REDUCEBYKEY: case OP_JOIN: case OP_LEFTOUTERJOIN: case OP_RIGHTOUTERJOIN: case OP_FULLOUTERJOIN:
    case OP_COGROUP:
        return e->nargs == 2;
    case OP_COUNTBYVALUE: case OP_DISTINCT:
        return e->nargs == 1;
    case OP_SORTBYKEY: /* sortByKey(ascending, numPartitions) */
        return e->nargs == 2;
    case OP_COMBINEBYKEY:
        return e->nargs == 4;
    case OP_GROUPBYKEY:
        return true; /* groupByKey(n); groupByKeyAndWindow(w [, slide], n): a window is never an integer */
    case OP_REDUCEBYKEYANDWINDOW:
        return e->nargs >= 3;
    default:
        return false;
    }
}

/* e without its last argument: a copy checked in its place */
static st_expr *drop_last(sema *s, st_expr *e)
{
    st_expr *c = expr_new(s->p, EX_METHOD, e->loc);
    *c = *e;
    c->nargs = e->nargs - 1;
    c->node = NULL;
    return c;
}

/* x => (1, x) and p => p._2: the map on each side of reduceByWindow's
   reduceByKeyAndWindow */
static st_expr *lam_new(sema *s, st_loc loc, const char *param, st_expr *body)
{
    st_expr *f = expr_new(s->p, EX_LAMBDA, loc);
    f->params[0] = ast_strdup(s->p, param);
    f->param_locs[0] = loc;
    f->nparams = 1;
    f->a = body;
    return f;
}

static st_expr *name_new(sema *s, st_loc loc, const char *name)
{
    st_expr *x = expr_new(s->p, EX_NAME, loc);
    x->name = ast_strdup(s->p, name);
    x->name_loc = loc;
    return x;
}

static st_node *reduce_by_window_inv(sema *s, st_expr *e, st_node *in, int depth)
{
    st_loc loc = e->name_loc;
    const st_type *t = in->type;
    /* map(x => (1, x)) */
    st_expr *one = expr_new(s->p, EX_INT, loc);
    one->ival = 1;
    one->text = ast_strdup(s->p, "1");
    st_expr *tup = expr_new(s->p, EX_TUPLE, loc);
    tup->args = ast_alloc(s->p, 2 * sizeof *tup->args);
    tup->args[0] = tup->a = one;
    tup->args[1] = tup->b = name_new(s, loc, "x");
    tup->nargs = 2;
    st_expr *l1 = lam_new(s, loc, "x", tup);
    st_node *m1 = sg_node(s, OP_MAP, loc, in);
    m1->fn = l1;
    m1->type = check_fn(s, l1, e->name, 1, t, NULL, false, depth);
    if (!m1->type)
        return NULL;
    sg_done(m1);
    /* reduceByKeyAndWindow(f, finv, w [, slide]) on the values */
    st_node *r = sg_node(s, OP_REDUCEBYKEYANDWINDOW, loc, m1);
    const st_type *u = check_fn(s, e->args[0], e->name, 2, t, t, false, depth);
    bool ok = check_result(s, e->args[0], u, t, "reduce", "values are");
    u = check_fn(s, e->args[1], e->name, 2, t, t, false, depth);
    ok = check_result(s, e->args[1], u, t, "inverse reduce", "values are") && ok;
    r->fn = e->args[0];
    r->fn2 = e->args[1];
    ok = check_window(s, e, 2, m1, r) && ok;
    if (!ok)
        return NULL;
    sg_done(r);
    /* map(p => p._2) */
    st_expr *fld = expr_new(s->p, EX_FIELD, loc);
    fld->a = name_new(s, loc, "p");
    fld->name = ast_strdup(s->p, "_2");
    fld->name_loc = loc;
    st_node *m2 = sg_node(s, OP_MAP, loc, r);
    m2->fn = lam_new(s, loc, "p", fld);
    m2->type = check_fn(s, m2->fn, e->name, 1, r->type, NULL, false, depth);
    if (!m2->type)
        return NULL;
    return sg_done(m2);
}

static bool arity(sema *s, st_expr *e, const op_info *oi, int lo, int hi)
{
    if (e->nargs >= lo && e->nargs <= hi)
        return true;
    diag_error(s->d, e->name_loc, "wrong number of arguments to '%s' (usage: %s)", e->name, oi->usage);
    return false;
}

/* sortByKey/sortBy's ascending argument: true, false or ascending = ... */
static bool ascending_arg(sema *s, st_expr *a, st_node *n, int depth)
{
    st_expr *v = named(a, "ascending") ? a->a : a;
    if (a->kind == EX_NAMED_ARG && !named(a, "ascending")) {
        diag_error(s->d, a->loc, "unknown argument '%s' (expected ascending = true or false)", a->name);
        return false;
    }
    v->type = type_expr(s, v, false, depth + 1);
    if (v->kind != EX_BOOL) {
        if (!is_err(v->type))
            diag_error(s->d, v->loc, "the ascending argument must be true or false");
        return false;
    }
    n->descending = !v->bval;
    return true;
}

static st_node *group_op(sema *s, st_expr *e, const op_info *oi, st_node *in, int depth)
{
    char b1[128], b2[128];
    const st_type *t = in->type;
    bool window = strcmp(e->name, "groupByKeyAndWindow") == 0;
    if ((oi->flags & OPF_PAIR) && t->kind != TY_PAIR) {
        diag_error(s->d, e->name_loc, "'%s' needs a stream of (key, value) pairs, not of %s", e->name,
                   tstr(t, b1, sizeof b1));
        return NULL;
    }
    st_node *n;
    switch (oi->op) {
    case OP_GROUPBYKEY: {
        if (window) {
            if (e->nargs < 1 || e->nargs > 2) {
                arity(s, e, oi, 1, 2);
                return NULL;
            }
            st_node *w = sg_node(s, OP_WINDOW, e->name_loc, in);
            if (!check_window(s, e, 0, in, w))
                return NULL;
            in = sg_done(w);
        } else if (!arity(s, e, oi, 0, 0))
            return NULL;
        n = sg_node(s, OP_GROUPBYKEY, e->name_loc, in);
        n->type = type_pair(s->p, t->a, type_list_flavor(s->p, t->b, window ? ST_LIST_ARRAY : ST_LIST_COMPACT));
        return sg_done(n);
    }
    case OP_COGROUP: {
        if (!arity(s, e, oi, 1, 1))
            return NULL;
        st_node *o = stream_expr(s, e->args[0], false, depth + 1);
        if (!o || is_err(o->type))
            return NULL;
        if (o->type->kind != TY_PAIR) {
            diag_error(s->d, e->args[0]->loc, "'cogroup' needs a stream of (key, value) pairs to group with, not "
                                              "of %s", tstr(o->type, b1, sizeof b1));
            return NULL;
        }
        if (o->type->a != t->a) {
            diag_error(s->d, e->name_loc, "'cogroup' of streams with different key types %s and %s",
                       tstr(t->a, b1, sizeof b1), tstr(o->type->a, b2, sizeof b2));
            return NULL;
        }
        if (!check_combine(s, e, in, o))
            return NULL;
        n = sg_node(s, OP_COGROUP, e->name_loc, in);
        n->in2 = o;
        n->type = type_pair(s->p, t->a, type_pair(s->p, type_list_flavor(s->p, t->b, ST_LIST_COMPACT),
                                                  type_list_flavor(s->p, o->type->b, ST_LIST_COMPACT)));
        return sg_done(n);
    }
    case OP_COMBINEBYKEY: {
        if (!arity(s, e, oi, 3, 3))
            return NULL;
        const st_type *c = check_fn(s, e->args[0], e->name, 1, t->b, NULL, false, depth);
        if (!c)
            return NULL;
        const st_type *u = check_fn(s, e->args[1], e->name, 2, c, t->b, false, depth);
        bool ok = check_result(s, e->args[1], u, c, "mergeValue", "the combiners are");
        u = check_fn(s, e->args[2], e->name, 2, c, c, false, depth);
        ok = check_result(s, e->args[2], u, c, "mergeCombiners", "the combiners are") && ok;
        if (!ok)
            return NULL;
        n = sg_node(s, OP_COMBINEBYKEY, e->name_loc, in);
        n->fn = e->args[0];
        n->fn2 = e->args[1];
        n->fn3 = e->args[2];
        n->type = type_pair(s->p, t->a, c);
        return sg_done(n);
    }
    case OP_SORTBYKEY:
        if (!arity(s, e, oi, 0, 1))
            return NULL;
        n = sg_node(s, OP_SORTBYKEY, e->name_loc, in);
        if (e->nargs == 1 && !ascending_arg(s, e->args[0], n, depth))
            return NULL;
        return sg_done(n);
    case OP_SORTBY: {
        if (!arity(s, e, oi, 1, 2))
            return NULL;
        n = sg_node(s, OP_SORTBY, e->name_loc, in);
        const st_type *k = check_fn(s, e->args[0], e->name, 1, t, NULL, false, depth);
        if (!k)
            return NULL;
        if (e->nargs == 2 && !ascending_arg(s, e->args[1], n, depth))
            return NULL;
        n->fn = e->args[0];
        return sg_done(n);
    }
    case OP_TAKE: {
        if (!arity(s, e, oi, 1, 1))
            return NULL;
        st_expr *a = e->args[0];
        a->type = type_expr(s, a, false, depth + 1);
        if (a->kind != EX_INT || a->ival < 1) {
            if (!is_err(a->type))
                diag_error(s->d, a->loc, "take(n) takes a number of elements n >= 1");
            return NULL;
        }
        n = sg_node(s, OP_TAKE, e->name_loc, in);
        n->n = a->ival;
        return sg_done(n);
    }
    case OP_DISTINCT:
        if (!arity(s, e, oi, 0, 0))
            return NULL;
        return sg_done(sg_node(s, OP_DISTINCT, e->name_loc, in));
    default:
        return NULL;
    }
}

/* reduceByKeyAndWindow's filter = f: kept keys are those f is true of */
static bool filter_arg(sema *s, st_expr *e, st_expr *a, st_node *n, int depth)
{
    char b1[128];
    if (!n->fn2) {
        diag_error(s->d, a->loc, "filter = f needs the inverse form reduceByKeyAndWindow(f, finv, w, filter = ...): "
                                 "without an inverse no key stays in the window's state");
        return false;
    }
    const st_type *u = check_fn(s, a->a, e->name, 1, n->type, NULL, false, depth);
    if (!u)
        return false;
    if (u->kind != TY_BOOL) {
        diag_error(s->d, a->a->a->loc, "filter function must return bool, not %s", tstr(u, b1, sizeof b1));
        return false;
    }
    n->fn3 = a->a;
    return true;
}

st_node *sg_method(sema *s, st_expr *e, const op_info *oi, int depth, bool *handled)
{
    *handled = false;
    if (!oi)
        return NULL;
    st_expr *last = e->nargs ? e->args[e->nargs - 1] : NULL;
    /* filter = f */
    if (named(last, "filter") && oi->op == OP_REDUCEBYKEYANDWINDOW) {
        *handled = true;
        st_node *top = stream_expr(s, drop_last(s, e), false, depth);
        if (!top)
            return NULL;
        /* numPartitions before it: a repartition of the window's result */
        st_node *n = top->op == OP_REPARTITION ? top->in : top;
        return filter_arg(s, e, last, n, depth) ? top : NULL;
    }
    /* numPartitions */
    if (takes_partitions(oi->op, e->name) && last_is_partitions(oi, e)) {
        *handled = true;
        st_expr *v = last->kind == EX_NAMED_ARG ? last->a : last;
        v->type = int_lit(v) ? s->t_int : type_expr(s, v, false, depth + 1);
        bool ok = v->kind == EX_INT && v->ival >= 1 && v->ival <= 1000000;
        if (!ok && !is_err(v->type))
            diag_error(s->d, v->loc, "numPartitions must be an integer literal between 1 and 1000000");
        st_node *n = stream_expr(s, drop_last(s, e), false, depth);
        if (!n || !ok)
            return NULL;
        st_node *r = sg_node(s, OP_REPARTITION, e->name_loc, n);
        r->n = v->ival;
        return sg_done(r);
    }
    bool inv_window = oi->op == OP_REDUCEBYWINDOW && e->nargs >= 3 && e->args[1]->kind == EX_LAMBDA;
    if (!(oi->flags & OPF_GROUP) && !inv_window)
        return NULL;
    *handled = true;
    st_node *in = stream_expr(s, e->a, false, depth + 1);
    if (!in || is_err(in->type))
        return NULL;
    if (inv_window) {
        if (e->nargs > 4) {
            diag_error(s->d, e->name_loc, "wrong number of arguments to '%s' (usage: reduceByWindow((a, b) => ..., "
                                          "(a, b) => ..., w))", e->name);
            return NULL;
        }
        return reduce_by_window_inv(s, e, in, depth);
    }
    return group_op(s, e, oi, in, depth);
}
