/* sema_state2.c: state with removal and timeouts (spec section 9):
 * Spark's updateStateByKey((values, state) => Option), mapWithState
 * ((key, value, state) => (newState, mapped) [, timeout = D]) and
 * stateSnapshots(). sema_graph.c checks the receiver and the number of
 * arguments, then calls these for the node's own checks.
 *
 * The state's type S is not written anywhere: it is what the function
 * returns. The function is checked once quietly with the state an
 * Option[?] (None until known), which gives S from its result, then again
 * with the state an Option[S], reporting for real. */
#include <stdio.h>
#include <string.h>

#include "sema_int.h"
#include "sema_state2.h"

/* Checks lambda f with np parameters of the types pt; the body's type, or
   NULL after an error (reported unless s->rec.quiet hides an unknown []
   or None only). like shows the expected shape in messages. */
static const st_type *ss_fn(sema *s, st_expr *f, const char *op, int np, const st_type *const *pt, const char *like,
                            int depth)
{
    if (f->kind != EX_LAMBDA) {
        diag_error(s->d, f->loc, "'%s' expects a function, like %s", op, like);
        return NULL;
    }
    if (f->bad_params) {
        diag_error(s->d, f->param_locs[0], "lambda parameters must be names");
        return NULL;
    }
    if (f->nparams != np) {
        diag_error(s->d, f->nparams ? f->param_locs[0] : f->loc,
                   "the function of '%s' takes %d parameters, like %s, not %d", op, np, like, f->nparams);
        return NULL;
    }
    for (int i = 0; i < np; i++)
        f->param_types[i] = pt[i];
    return check_lambda_body(s, f, false, depth);
}

/* The state type the function gives when its state parameter (index si of
   pt) is an Option of what it returns; pick gets the Option of the state
   from the function's result (NULL: not of the right shape). NULL when it
   cannot be told: *u is then the function's type (NULL after an error,
   *reported when that error was reported). */
static const st_type *ss_infer(sema *s, st_expr *f, const char *op, int np, const st_type **pt, int si,
                               const char *like, const st_type *(*pick)(const st_type *), const st_type **u,
                               bool *reported, int depth)
{
    pt[si] = type_option(s->p, type_basic(s->p, TY_NOTHING));
    int before = s->d->nerrors;
    s->rec.quiet = true;
    *u = ss_fn(s, f, op, np, pt, like, depth);
    s->rec.quiet = false;
    *reported = s->d->nerrors != before;
    if (*reported)
        *u = NULL;
    const st_type *o = *u ? pick(*u) : NULL;
    if (!o || o->kind != TY_OPTION || sr_has_nothing(o->a))
        return NULL;
    return o->a;
}

static const st_type *pick_update(const st_type *u)
{
    return u;
}

static const st_type *pick_map(const st_type *u)
{
    return u->kind == TY_PAIR ? u->a : NULL;
}

static void note_forms(sema *s, st_loc loc)
{
    diag_note(s->d, loc, "updateStateByKey takes Spark's (values, state) => Option of the new state (None "
                         "removes the key), or an initial state and (state, v) => newState");
}

bool ss_update_spark(sema *s, st_expr *e, st_node *n, int depth)
{
    char b1[128];
    st_expr *f = e->args[0];
    const st_type *t = n->in->type;
    const char *like = "(values, state) => Some(...)";
    const st_type *pt[2] = { type_list(s->p, t->b), NULL };
    if (f->kind != EX_LAMBDA || f->nparams != 2) {
        if (f->kind == EX_LAMBDA && !f->bad_params)
            diag_error(s->d, f->nparams ? f->param_locs[0] : f->loc,
                       "the function of 'updateStateByKey' takes two parameters, (values, state), not %d",
                       f->nparams);
        else
            diag_error(s->d, f->loc, "'updateStateByKey' expects a function, like %s", like);
        note_forms(s, e->name_loc);
        return false;
    }
    const st_type *u;
    bool reported;
    const st_type *st = ss_infer(s, f, e->name, 2, pt, 1, like, pick_update, &u, &reported, depth);
    if (!st) {
        if (reported)
            return false;
        if (u && u->kind != TY_OPTION) {
            diag_error(s->d, f->a->loc, "the function of 'updateStateByKey' returns %s, not an Option of the "
                                        "new state (None removes the key)", tstr(u, b1, sizeof b1));
            note_forms(s, e->name_loc);
        } else
            diag_error(s->d, f->a->loc, "the type of updateStateByKey's state cannot be told from its "
                                        "function: it returns None or the state only");
        return false;
    }
    pt[1] = type_option(s->p, st);
    u = ss_fn(s, f, e->name, 2, pt, like, depth);
    if (!u)
        return false;
    sr_coerce(&s->rec, f->a, pt[1]);
    n->fn = f;
    n->spark_update = true;
    n->state_type = st;
    n->type = type_pair(s->p, t->a, st);
    return true;
}

/* timeout = D: a positive multiple of the stream's batch interval */
static bool ss_timeout(sema *s, st_expr *a, st_node *n)
{
    char b1[32], b2[32];
    if (a->kind != EX_NAMED_ARG || strcmp(a->name, "timeout") != 0) {
        if (a->kind == EX_NAMED_ARG)
            diag_error(s->d, a->name_loc, "unknown argument '%s' of 'mapWithState' (it takes timeout = D)", a->name);
        else
            diag_error(s->d, a->loc, "the second argument of 'mapWithState' is written timeout = D, like "
                                     "timeout = 60s");
        return false;
    }
    int64_t ms;
    if (!eval_duration(s, a->a, "the timeout of mapWithState", &ms))
        return false;
    if (ms <= 0) {
        diag_error(s->d, a->a->loc, "the timeout of mapWithState must be positive");
        return false;
    }
    int64_t b = n->in->slide_ms;
    if (b > 0 && ms % b != 0) {
        bool win = n->in->slide_from_window;
        diag_error(s->d, a->a->loc, "the timeout %s of mapWithState is not a multiple of %s %s",
                   dstr(ms, b1, sizeof b1), win ? "its input's slide" : "the batch interval", dstr(b, b2, sizeof b2));
        diag_note(s->d, n->in->slide_loc, win ? "slide declared here" : "batch interval declared here");
        return false;
    }
    n->timeout_ms = ms;
    return true;
}

bool ss_map_with_state(sema *s, st_expr *e, st_node *n, int depth)
{
    char b1[128];
    st_expr *f = e->args[0];
    const st_type *t = n->in->type;
    const char *like = "(key, value, state) => (newState, mapped)";
    bool ok = true;
    if (e->nargs == 2)
        ok = ss_timeout(s, e->args[1], n);
    if (f->kind != EX_LAMBDA || f->bad_params || f->nparams != 3) {
        /* ss_fn says which */
        const st_type *pt[3] = { t->a, type_option(s->p, t->b), type_option(s->p, t->b) };
        ss_fn(s, f, e->name, 3, pt, like, depth);
        return false;
    }
    const st_type *pt[3] = { t->a, type_option(s->p, t->b), NULL };
    const st_type *u;
    bool reported;
    const st_type *st = ss_infer(s, f, e->name, 3, pt, 2, like, pick_map, &u, &reported, depth);
    if (!st) {
        if (reported)
            return false;
        if (u && u->kind != TY_PAIR) {
            diag_error(s->d, f->a->loc, "the function of 'mapWithState' returns %s, not a pair (newState, "
                                        "mapped)", tstr(u, b1, sizeof b1));
            diag_note(s->d, f->a->loc, "where Spark calls state.update(s) and returns m, return (Some(s), m); "
                                       "(None, m) removes the key");
        } else if (u && u->a->kind != TY_OPTION)
            diag_error(s->d, f->a->loc, "the new state that mapWithState's function returns must be an "
                                        "Option (None removes the key), not %s", tstr(u->a, b1, sizeof b1));
        else
            diag_error(s->d, f->a->loc, "the type of mapWithState's state cannot be told from its function: "
                                        "it returns None or the state only");
        return false;
    }
    pt[2] = type_option(s->p, st);
    u = ss_fn(s, f, e->name, 3, pt, like, depth);
    if (!u)
        return false;
    if (u->kind != TY_PAIR || u->a != pt[2]) {
        diag_error(s->d, f->a->loc, "the function of 'mapWithState' returns %s, but its new state is %s",
                   tstr(u, b1, sizeof b1), tstr(pt[2], b1 + 64, 64));
        return false;
    }
    n->fn = f;
    n->state_type = st;
    n->type = u->b;
    return ok;
}

bool ss_snapshots(sema *s, st_expr *e, st_node *n)
{
    char b1[128];
    st_node *in = n->in;
    if (in->op != OP_MAPWITHSTATE) {
        diag_error(s->d, e->name_loc, "'stateSnapshots' applies to the stream of a mapWithState, not of %s%s%s",
                   in->op == OP_SOURCE ? "" : "'", in->op == OP_SOURCE ? "a source" : op_name(in->op),
                   in->op == OP_SOURCE ? "" : "'");
        (void)b1;
        return false;
    }
    n->state_type = in->state_type;
    n->timeout_ms = in->timeout_ms;
    n->type = type_pair(s->p, in->in->type->a, in->state_type);
    return true;
}
