/* sema_rec.c: tuples, lists, options, if/else, blocks and constants
 * (see sema_rec.h). */
#include "sema_rec.h"
#include "sema_ext.h"

#include <stdlib.h>
#include <string.h>

static const char *tstr(const st_type *t, char *buf, size_t n)
{
    type_str(t, buf, n);
    return buf;
}

static bool is_err(const st_type *t)
{
    return !t || t->kind == TY_ERROR;
}

static bool is_num(const st_type *t)
{
    return t->kind == TY_INT || t->kind == TY_FLOAT;
}

static bool is_tuple(const st_type *t)
{
    return t->kind == TY_PAIR || t->kind == TY_TUPLE;
}

/* interned on first use: programs without [] or None keep their type ids */
static const st_type *nothing(sr_ctx *c)
{
    return type_basic(c->p, TY_NOTHING);
}

void sr_init(sr_ctx *c, st_program *p, st_diag *d, void *s,
             const st_type *(*type)(void *, st_expr *, bool, int))
{
    memset(c, 0, sizeof *c);
    c->p = p;
    c->d = d;
    c->s = s;
    c->type = type;
    c->t_err = type_basic(p, TY_ERROR);
    c->t_str = type_basic(p, TY_STRING);
    c->t_int = type_basic(p, TY_INT);
    c->t_float = type_basic(p, TY_FLOAT);
    c->t_bool = type_basic(p, TY_BOOL);
}

void sr_free(sr_ctx *c)
{
    free(c->scope);
    c->scope = NULL;
}

bool sr_has_nothing(const st_type *t)
{
    return type_has(t, 1u << TY_NOTHING);
}

/* ---- unknown types of [] and None --------------------------------------- */

/* a and b with every ? filled from the other; NULL when they differ */
static const st_type *join(sr_ctx *c, const st_type *a, const st_type *b)
{
    if (a == b)
        return a;
    if (a->kind == TY_NOTHING)
        return b;
    if (b->kind == TY_NOTHING)
        return a;
    if (a->kind != b->kind || a->flavor != b->flavor)
        return NULL;
    switch (a->kind) {
    case TY_LIST:
    case TY_OPTION: {
        const st_type *x = join(c, a->a, b->a);
        if (!x)
            return NULL;
        return a->kind == TY_LIST ? type_list_flavor(c->p, x, a->flavor) : type_option(c->p, x);
    }
    case TY_PAIR:
    case TY_TUPLE: {
        if (a->n != b->n)
            return NULL;
        const st_type *el[64];
        if (a->n > 64)
            return NULL;
        for (int i = 0; i < a->n; i++)
            if (!(el[i] = join(c, a->el[i], b->el[i])))
                return NULL;
        return type_tuple(c->p, a->n, el);
    }
    default:
        return NULL;
    }
}

const st_type *sr_unify(sr_ctx *c, const st_type *a, const st_type *b)
{
    if (is_num(a) && is_num(b))
        return a == b ? a : c->t_float;
    return join(c, a, b);
}

/* a with each ? standing for the part of b there */
static bool match(const st_type *a, const st_type *b)
{
    if (a == b || a->kind == TY_NOTHING)
        return true;
    if (a->kind != b->kind || a->n != b->n || a->flavor != b->flavor)
        return false;
    if (a->kind == TY_LIST || a->kind == TY_OPTION)
        return match(a->a, b->a);
    for (int i = 0; i < a->n; i++)
        if (!match(a->el[i], b->el[i]))
            return false;
    return a->n > 0;
}

bool sr_fits(const st_type *got, const st_type *want)
{
    if (got == want || (want->kind == TY_FLOAT && got->kind == TY_INT))
        return true;
    return match(got, want);
}

void sr_coerce(sr_ctx *c, st_expr *e, const st_type *want)
{
    if (!e || is_err(want) || e->type == want || is_err(e->type))
        return;
    switch (e->kind) {
    case EX_COND:
        sr_coerce(c, e->b, want);
        sr_coerce(c, e->c, want);
        break;
    case EX_BLOCK:
        sr_coerce(c, e->c, want);
        break;
    case EX_TUPLE:
        if (!is_tuple(want) || want->n != e->nargs)
            return;
        for (int i = 0; i < e->nargs; i++)
            sr_coerce(c, e->args[i], want->el[i]);
        break;
    case EX_LIST:
        if (want->kind != TY_LIST)
            return;
        for (int i = 0; i < e->nargs; i++)
            sr_coerce(c, e->args[i], want->a);
        break;
    case EX_CALL:
        if (e->builtin != BI_SOME || want->kind != TY_OPTION)
            return;
        sr_coerce(c, e->args[0], want->a);
        break;
    case EX_NAME:
        if (e->ref != REF_NONE_VALUE || want->kind != TY_OPTION)
            return;
        break;
    default:
        return; /* a scalar int stays int: C converts it where a float goes */
    }
    e->type = want;
}

bool sr_check_known(sr_ctx *c, st_expr *e)
{
    if (!e || c->quiet)
        return true;
    bool here = e->type && sr_has_nothing(e->type);
    if (here && e->kind == EX_LIST && e->nargs == 0) {
        diag_error(c->d, e->loc, "the type of '[]' is not known here");
        diag_note(c->d, e->loc, "an empty list takes its type from where it is used, as in "
                                "if (c) [x] else []");
        return false;
    }
    if (here && e->kind == EX_NAME && e->ref == REF_NONE_VALUE) {
        diag_error(c->d, e->loc, "the type of 'None' is not known here");
        diag_note(c->d, e->loc, "None takes its type from where it is used, as in if (c) Some(x) else None");
        return false;
    }
    /* in source order: a block's vals before its result */
    bool ok = e->kind == EX_TUPLE || (sr_check_known(c, e->a) && sr_check_known(c, e->b));
    for (int i = 0; ok && i < e->nargs; i++)
        ok = sr_check_known(c, e->args[i]);
    ok = ok && sr_check_known(c, e->c);
    if (ok && here && e->kind != EX_LAMBDA) {
        char b1[128];
        diag_error(c->d, e->loc, "the type of this value is not known here (%s)", tstr(e->type, b1, sizeof b1));
        return false;
    }
    return ok;
}

/* ---- expressions ---------------------------------------------------------- */

static const st_type *field(sr_ctx *c, st_expr *e, int depth)
{
    char b1[128];
    const st_type *a = c->type(c->s, e->a, false, depth + 1);
    if (is_err(a))
        return c->t_err;
    const char *nm = e->name;
    int k = 0;
    bool digits = nm[0] == '_' && nm[1] >= '1' && nm[1] <= '9';
    for (const char *q = nm + 1; digits && *q; q++) {
        digits = *q >= '0' && *q <= '9';
        k = k < 100000 ? k * 10 + (*q - '0') : k;
    }
    if (!digits && !is_tuple(a) && hint_method_habit(c->d, e))
        return c->t_err;
    if (!digits) {
        diag_error(c->d, e->name_loc, "unknown field '%s' (tuples have _1, _2, ...)", nm);
        return c->t_err;
    }
    if (!is_tuple(a)) {
        diag_error(c->d, e->name_loc, "field '%s' needs a tuple, but the value is %s", nm, tstr(a, b1, sizeof b1));
        return c->t_err;
    }
    if (k > a->n) {
        diag_error(c->d, e->name_loc, "no field '%s' in %s: it has %d fields, _1 to _%d", nm,
                   tstr(a, b1, sizeof b1), a->n, a->n);
        return c->t_err;
    }
    e->field_index = k - 1;
    return a->el[k - 1];
}

static const st_type *tuple(sr_ctx *c, st_expr *e, int depth)
{
    const st_type *el[64];
    bool ok = true;
    for (int i = 0; i < e->nargs; i++) {
        const st_type *t = c->type(c->s, e->args[i], false, depth + 1);
        ok &= !is_err(t);
        if (i < 64)
            el[i] = t;
    }
    if (e->nargs > 64) {
        diag_error(c->d, e->loc, "a tuple has at most 64 fields, not %d", e->nargs);
        return c->t_err;
    }
    return ok ? type_tuple(c->p, e->nargs, el) : c->t_err;
}

static const st_type *cond(sr_ctx *c, st_expr *e, bool allow_list, int depth)
{
    char t1[128], t2[128];
    const char *what = e->op == 'i' ? "if" : "?:";
    if (e->no_else) {
        diag_error(c->d, e->loc, "'if' without 'else'");
        diag_note(c->d, e->loc, "an 'if' expression needs an 'else': if (c) a else b");
        return c->t_err;
    }
    const st_type *k = c->type(c->s, e->a, false, depth + 1);
    const st_type *a = c->type(c->s, e->b, allow_list, depth + 1);
    const st_type *b = c->type(c->s, e->c, allow_list, depth + 1);
    if (!is_err(k) && k->kind != TY_BOOL) {
        diag_error(c->d, e->a->loc, "condition of '%s' must be bool, not %s", what, tstr(k, t1, sizeof t1));
        return c->t_err;
    }
    if (is_err(k) || is_err(a) || is_err(b))
        return c->t_err;
    const st_type *u = sr_unify(c, a, b);
    if (!u) {
        diag_error(c->d, e->loc, "the branches of '%s' have different types %s and %s", what,
                   tstr(a, t1, sizeof t1), tstr(b, t2, sizeof t2));
        return c->t_err;
    }
    if (u->kind != TY_FLOAT) {
        sr_coerce(c, e->b, u);
        sr_coerce(c, e->c, u);
    }
    return u;
}

static const st_type *list(sr_ctx *c, st_expr *e, int depth)
{
    char t1[128], t2[128];
    const st_type *u = nothing(c);
    bool ok = true;
    for (int i = 0; i < e->nargs; i++) {
        const st_type *t = c->type(c->s, e->args[i], false, depth + 1);
        if (is_err(t)) {
            ok = false;
            continue;
        }
        if (!ok)
            continue;
        const st_type *v = sr_unify(c, u, t);
        if (!v) {
            diag_error(c->d, e->args[i]->loc, "list element %d is %s, but the elements before it are %s", i + 1,
                       tstr(t, t1, sizeof t1), tstr(u, t2, sizeof t2));
            return c->t_err;
        }
        u = v;
    }
    if (!ok)
        return c->t_err;
    for (int i = 0; i < e->nargs; i++)
        sr_coerce(c, e->args[i], u);
    return type_list(c->p, u);
}

static const st_type *indexing(sr_ctx *c, st_expr *e, int depth)
{
    char t1[128];
    const st_type *a = c->type(c->s, e->a, false, depth + 1);
    const st_type *i = c->type(c->s, e->b, false, depth + 1);
    if (is_err(a) || is_err(i))
        return c->t_err;
    if (a->kind != TY_LIST) {
        diag_error(c->d, e->name_loc, "only a list can be indexed, not %s", tstr(a, t1, sizeof t1));
        return c->t_err;
    }
    if (i->kind != TY_INT) {
        diag_error(c->d, e->b->loc, "a list index must be int, not %s", tstr(i, t1, sizeof t1));
        return c->t_err;
    }
    if (a->a->kind == TY_NOTHING) {
        sr_check_known(c, e->a);
        return c->t_err;
    }
    return a->a;
}

static const st_type *block(sr_ctx *c, st_expr *e, bool allow_list, int depth)
{
    int base = c->nscope;
    bool ok = true;
    for (int i = 0; i < e->nargs; i++) {
        st_expr *l = e->args[i];
        for (int k = base; k < c->nscope; k++)
            if (strcmp(c->scope[k]->name, l->name) == 0) {
                diag_error(c->d, l->name_loc, "redefinition of '%s'", l->name);
                diag_note(c->d, c->scope[k]->name_loc, "previous definition of '%s' is here", l->name);
                ok = false;
            }
        const st_type *t = c->type(c->s, l->a, false, depth + 1);
        l->type = t;
        ok &= !is_err(t);
        l->local_id = c->nlocals++;
        if (c->nscope == c->capscope) {
            c->capscope = c->capscope ? 2 * c->capscope : 16;
            c->scope = realloc(c->scope, (size_t)c->capscope * sizeof *c->scope);
            if (!c->scope)
                abort();
        }
        c->scope[c->nscope++] = l;
    }
    const st_type *t = c->type(c->s, e->c, allow_list, depth + 1);
    c->nscope = base;
    return ok ? t : c->t_err;
}

const st_type *sr_expr(sr_ctx *c, st_expr *e, bool allow_list, int depth)
{
    switch (e->kind) {
    case EX_FIELD: return field(c, e, depth);
    case EX_TUPLE: return tuple(c, e, depth);
    case EX_COND: return cond(c, e, allow_list, depth);
    case EX_LIST: return list(c, e, depth);
    case EX_INDEX: return indexing(c, e, depth);
    case EX_BLOCK: return block(c, e, allow_list, depth);
    default: return c->t_err;
    }
}

bool sr_name(sr_ctx *c, st_expr *e, const st_type **t)
{
    if (strcmp(e->name, "None") == 0) {
        e->ref = REF_NONE_VALUE;
        *t = type_option(c->p, nothing(c));
        return true;
    }
    for (int k = c->nscope - 1; k >= 0; k--)
        if (strcmp(c->scope[k]->name, e->name) == 0) {
            e->ref = REF_LOCAL;
            e->let = c->scope[k];
            *t = e->let->type && !is_err(e->let->type) ? e->let->type : c->t_err;
            return true;
        }
    return false;
}

const st_type *sr_const_ref(sr_ctx *c, st_expr *e, st_decl *d, const st_decl *cur)
{
    d->used = true;
    if (cur && cur->kind == DECL_VAL && d->index >= cur->index) {
        if (d == cur)
            diag_error(c->d, e->loc, "constant '%s' is used in its own declaration", e->name);
        else
            diag_error(c->d, e->loc, "constant '%s' is used before its declaration", e->name);
        diag_note(c->d, d->name_loc, "'%s' is declared here", e->name);
        return c->t_err;
    }
    e->ref = REF_CONST;
    e->decl = d;
    return d->value && d->value->type ? d->value->type : c->t_err;
}

/* ---- built-ins -------------------------------------------------------------- */

static bool nargs_ok(sr_ctx *c, st_expr *e, int lo, int hi)
{
    if (e->nargs >= lo && e->nargs <= hi)
        return true;
    if (lo == hi)
        diag_error(c->d, e->name_loc, "%s() takes %d argument%s, not %d", e->name, lo, lo == 1 ? "" : "s",
                   e->nargs);
    else
        diag_error(c->d, e->name_loc, "%s() takes %d to %d arguments, not %d", e->name, lo, hi, e->nargs);
    return false;
}

static const struct { const char *name; st_builtin id; int lo, hi; } fns[] = {
    { "Some", BI_SOME, 1, 1 }, { "sum", BI_SUM, 1, 1 }, { "min", BI_MIN, 1, 1 },
    { "max", BI_MAX, 1, 1 }, { "sorted", BI_SORTED, 1, 1 }, { "mkString", BI_MKSTRING, 1, 4 },
    { "len", BI_LIST_LEN, 1, 1 }, { "contains", BI_LIST_CONTAINS, 2, 2 },
    { "toList", BI_TOLIST, 1, 1 },
};

static int find_fn(const char *name)
{
    for (int i = 0; i < (int)(sizeof fns / sizeof fns[0]); i++)
        if (strcmp(fns[i].name, name) == 0)
            return i;
    return -1;
}

bool sr_is_builtin(const char *name)
{
    return find_fn(name) >= 0;
}

int sr_builtin_names(const char **out, int max)
{
    int n = 0;
    for (int i = 0; i < (int)(sizeof fns / sizeof fns[0]) && n < max; i++)
        if (i == 0 || strcmp(fns[i].name, fns[i - 1].name) != 0)
            out[n++] = fns[i].name;
    return n;
}

const char *sr_closest_name(sr_ctx *c, const char *name, const st_expr *lam, const st_decl *cur)
{
    int n = 0, cap = (lam ? lam->nparams : 0) + c->nscope + c->p->ndecls + 1;
    const char **cand = malloc(sizeof *cand * (size_t)cap);
    if (!cand)
        return NULL;
    for (int i = 0; lam && i < lam->nparams; i++)
        cand[n++] = lam->params[i];
    for (int i = 0; i < c->nscope; i++)
        cand[n++] = c->scope[i]->name;
    for (int i = 0; i < c->p->ndecls; i++) {
        const st_decl *d = c->p->decls[i];
        if (d->kind == DECL_VAL && d->name && (!cur || d->index < cur->index))
            cand[n++] = d->name;
    }
    cand[n++] = "None";
    const char *best = hint_closest(name, cand, n);
    free(cand);
    return best;
}

bool sr_call(sr_ctx *c, st_expr *e, int depth, const st_type **t)
{
    char b1[128], b2[128];
    int f = find_fn(e->name);
    if (f < 0 && hint_collection_call(c->d, e)) {
        *t = c->t_err;
        return true;
    }
    if (f < 0)
        return false;
    st_builtin id = fns[f].id;
    if (id == BI_LIST_LEN || id == BI_LIST_CONTAINS) {
        /* len and contains of a string are sema.c's */
        if (e->nargs != fns[f].hi)
            return false;
        const st_type *a = c->type(c->s, e->args[0], false, depth + 1);
        if (!is_err(a) && a->kind != TY_LIST)
            return false; /* sema.c checks it again, quietly */
    }
    *t = c->t_err;
    e->ref = REF_BUILTIN;
    e->builtin = id;
    bool ok = true;
    const st_type *at[4] = { 0 };
    for (int i = 0; i < e->nargs; i++) {
        const st_type *x = c->type(c->s, e->args[i], false, depth + 1);
        if (i < 4)
            at[i] = x;
        ok &= !is_err(x);
    }
    if (!nargs_ok(c, e, fns[f].lo, fns[f].hi) || !ok)
        return true;
    if (id == BI_MKSTRING && e->nargs == 3) {
        diag_error(c->d, e->name_loc, "mkString() takes a list and a separator, or a list and a start, a "
                                      "separator and an end");
        return true;
    }
    if (id == BI_SOME) {
        *t = type_option(c->p, at[0]);
        return true;
    }
    const st_type *l = at[0];
    if (l->kind != TY_LIST) {
        diag_error(c->d, e->args[0]->loc, "argument 1 of %s() must be a list, not %s", e->name,
                   tstr(l, b1, sizeof b1));
        return true;
    }
    const st_type *el = l->a;
    if (el->kind == TY_NOTHING) {
        /* [] as an argument: sum([]) is 0, contains([], x) is false */
        el = id == BI_LIST_CONTAINS ? at[1] : c->t_int;
        l = type_list(c->p, el);
        sr_coerce(c, e->args[0], l);
    }
    switch (id) {
    case BI_SUM:
        if (!is_num(el)) {
            diag_error(c->d, e->args[0]->loc, "argument 1 of sum() must be a list of numbers, not %s",
                       tstr(l, b1, sizeof b1));
            return true;
        }
        *t = el;
        return true;
    case BI_LIST_LEN: *t = c->t_int; return true;
    case BI_MIN: case BI_MAX: *t = el; return true;
    case BI_SORTED: *t = l; return true;
    case BI_TOLIST: *t = type_list(c->p, el); return true; /* a buffer's values as a List */
    case BI_LIST_CONTAINS: {
        const st_type *u = sr_unify(c, el, at[1]);
        if (!u || u != el) {
            diag_error(c->d, e->args[1]->loc, "argument 2 of contains() must be %s (an element of the list), "
                                              "not %s", tstr(el, b1, sizeof b1), tstr(at[1], b2, sizeof b2));
            return true;
        }
        sr_coerce(c, e->args[1], el);
        *t = c->t_bool;
        return true;
    }
    case BI_MKSTRING:
        for (int i = 1; i < e->nargs; i++)
            if (at[i]->kind != TY_STRING) {
                diag_error(c->d, e->args[i]->loc, "argument %d of mkString() must be string, not %s", i + 1,
                           tstr(at[i], b1, sizeof b1));
                return true;
            }
        *t = c->t_str;
        return true;
    default:
        return true;
    }
}

/* ---- constants -------------------------------------------------------------- */

static bool constant(sr_ctx *c, st_expr *e)
{
    switch (e->kind) {
    case EX_INT: case EX_FLOAT: case EX_STRING: case EX_BOOL: return true;
    case EX_UNARY:
        if (e->op == '-' && (e->a->kind == EX_INT || e->a->kind == EX_FLOAT))
            return true;
        break;
    case EX_NAME:
        if (e->ref == REF_CONST || e->ref == REF_NONE_VALUE)
            return true;
        break;
    case EX_CALL:
        if (e->ref == REF_BUILTIN && e->builtin == BI_SOME)
            return constant(c, e->args[0]);
        break;
    case EX_TUPLE: case EX_LIST:
        for (int i = 0; i < e->nargs; i++)
            if (!constant(c, e->args[i]))
                return false;
        return true;
    default: break;
    }
    diag_error(c->d, e->loc, "a constant is made of literals, lists, tuples, options and other constants");
    return false;
}

void sr_check_val(sr_ctx *c, st_decl *d)
{
    const st_type *t = c->type(c->s, d->value, false, 0);
    if (is_err(t))
        return;
    if (!constant(c, d->value) || !sr_check_known(c, d->value))
        d->value->type = c->t_err;
}
