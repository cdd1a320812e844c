/* sema_types.c: the types of value expressions (literals, names,
 * operators, built-in calls, records through sema_rec.c) and of the
 * functions (lambdas) that operators take. See sema_int.h. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sema_int.h"
#include "sema_tables.h"

/* ---- value expressions ------------------------------------------------- */



static const builtin_sig builtins[] = {
    { "split", BI_SPLIT, 2, "SS", 'L' },
    { "len", BI_LEN, 1, "S", 'I' },
    { "lower", BI_LOWER, 1, "S", 'S' },
    { "upper", BI_UPPER, 1, "S", 'S' },
    { "trim", BI_TRIM, 1, "S", 'S' },
    { "substr", BI_SUBSTR, 3, "SII", 'S' },
    { "contains", BI_CONTAINS, 2, "SS", 'B' },
    { "startsWith", BI_STARTSWITH, 2, "SS", 'B' },
    { "endsWith", BI_ENDSWITH, 2, "SS", 'B' },
    { "toInt", BI_TOINT, 1, "N", 'I' },
    { "toFloat", BI_TOFLOAT, 1, "N", 'F' },
    { "toString", BI_TOSTRING, 1, "A", 'S' },
    { "field", BI_FIELD, 3, "SSI", 'S' },
    { "json", BI_JSON, 2, "SS", 'S' },
    { "isDefined", BI_ISDEFINED, 1, "O", 'B' },
    { "getOrElse", BI_GETORELSE, 2, "OT", 'T' },
    { "matches", BI_MATCHES, 2, "SS", 'B' },
    { "replaceAll", BI_REPLACEALL, 3, "SSS", 'S' },
    { "regexSplit", BI_REGEXSPLIT, 2, "SS", 'L' },
};

const builtin_sig *find_builtin(const char *name)
{
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        if (strcmp(builtins[i].name, name) == 0)
            return &builtins[i];
    return NULL;
}

static const st_type *type_of_code(sema *s, char c, const st_type *opt_content)
{
    switch (c) {
    case 'S': return s->t_str;
    case 'I': return s->t_int;
    case 'F': return s->t_float;
    case 'B': return s->t_bool;
    case 'L': return type_list(s->p, s->t_str);
    case 'T': return opt_content ? opt_content : s->t_err;
    default: return s->t_err;
    }
}

static const char *code_desc(char c)
{
    switch (c) {
    case 'S': return "string";
    case 'I': return "int";
    case 'F': return "float";
    case 'B': return "bool";
    case 'N': return "a string or a number";
    case 'O': return "an Option (a value of an outer join)";
    default: return "a value";
    }
}

static const st_type *type_builtin(sema *s, st_expr *e, const builtin_sig *b, bool allow_list, int depth)
{
    char t1[128], t2[128];
    e->ref = REF_BUILTIN;
    e->builtin = b->id;
    bool ok = true;
    const st_type *content = NULL;
    const st_type *at[3] = { NULL, NULL, NULL };
    for (int i = 0; i < e->nargs; i++) {
        const st_type *t = type_expr(s, e->args[i], false, depth + 1);
        if (i < 3)
            at[i] = t;
        ok &= !is_err(t);
    }
    if (e->nargs != b->nargs) {
        diag_error(s->d, e->name_loc, "%s() takes %d argument%s, not %d", b->name, b->nargs,
                   b->nargs == 1 ? "" : "s", e->nargs);
        return s->t_err;
    }
    if (!ok)
        return s->t_err;
    for (int i = 0; i < b->nargs; i++) {
        const st_type *t = at[i];
        char c = b->params[i];
        bool good;
        switch (c) {
        case 'N': good = t->kind == TY_STRING || is_num(t); break;
        case 'A': good = t->kind != TY_DURATION; break;
        case 'O':
            good = t->kind == TY_OPTION;
            if (good)
                content = t->a;
            break;
        case 'T':
            good = content && assignable(t, content);
            if (good)
                sr_coerce(&s->rec, e->args[i], content);
            break;
        default: good = assignable(t, type_of_code(s, c, NULL)); break;
        }
        if (!good) {
            if (c == 'T')
                diag_error(s->d, e->args[i]->loc, "default of getOrElse() must be %s, not %s",
                           tstr(content, t1, sizeof t1), tstr(t, t2, sizeof t2));
            else
                diag_error(s->d, e->args[i]->loc, "argument %d of %s() must be %s, not %s", i + 1, b->name,
                           code_desc(c), tstr(t, t1, sizeof t1));
            return s->t_err;
        }
    }
    (void)allow_list;
    if ((b->id == BI_MATCHES || b->id == BI_REPLACEALL || b->id == BI_REGEXSPLIT) &&
        !sema_regex_call(s->p, s->d, e))
        return s->t_err;
    return type_of_code(s, b->ret, content);
}

static const st_type *type_call(sema *s, st_expr *e, bool allow_list, int depth)
{
    char t1[128], t2[128];
    bool reported;
    st_decl *d = resolve(s, e->name, e->name_loc, &reported);
    if (reported)
        return s->t_err;
    if (!d || d->kind != DECL_EXTERN) {
        const st_type *rt;
        if (sema_table_call(s, e, depth, &rt))
            return rt;
        if (sr_call(&s->rec, e, depth, &rt))
            return rt;
        const builtin_sig *b = find_builtin(e->name);
        if (b)
            return type_builtin(s, e, b, allow_list, depth);
    }
    if (!d) {
        if (duration_unit(e->name))
            diag_error(s->d, e->loc, "a duration cannot be used as a value");
        else {
            const char *c[sizeof builtins / sizeof builtins[0] + 17];
            int nc = sr_builtin_names(c, 16);
            c[nc++] = "lookup"; /* of tables (sema_tables.c) */
            for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
                c[nc++] = builtins[i].name;
            const char *best = hint_function(e->name, c, nc);
            if (!best)
                best = closest_decl(s, e->name, 1u << DECL_EXTERN);
            unknown_name(s, e->name_loc, "call to undeclared function", e->name, best);
        }
        return s->t_err;
    }
    if (d->kind != DECL_EXTERN) {
        diag_error(s->d, e->name_loc, "'%s' is a %s, not a function", e->name, decl_what(d));
        diag_note(s->d, d->name_loc, "'%s' is declared here", e->name);
        return s->t_err;
    }
    e->ref = REF_EXTERN;
    e->decl = d;
    d->used = true;
    bool ok = true;
    for (int i = 0; i < e->nargs; i++)
        ok &= !is_err(type_expr(s, e->args[i], false, depth + 1));
    if (!d->ret_type || is_err(d->ret_type))
        return s->t_err;
    if (e->nargs != d->nptypes) {
        diag_error(s->d, e->name_loc, "%s() takes %d argument%s, not %d", e->name, d->nptypes,
                   d->nptypes == 1 ? "" : "s", e->nargs);
        diag_note(s->d, d->name_loc, "'%s' is declared here", e->name);
        return s->t_err;
    }
    if (!ok)
        return s->t_err;
    for (int i = 0; i < e->nargs; i++) {
        const st_type *want = d->param_types[i];
        if (is_err(want))
            return s->t_err;
        if (!assignable(e->args[i]->type, want)) {
            diag_error(s->d, e->args[i]->loc, "argument %d of %s() must be %s, not %s", i + 1, e->name,
                       tstr(want, t1, sizeof t1), tstr(e->args[i]->type, t2, sizeof t2));
            return s->t_err;
        }
        sr_coerce(&s->rec, e->args[i], want);
    }
    return d->ret_type;
}

static const st_type *type_binary(sema *s, st_expr *e, int depth)
{
    char t1[128], t2[128];
    const st_type *a = type_expr(s, e->a, false, depth + 1);
    const st_type *b = type_expr(s, e->b, false, depth + 1);
    if (is_err(a) || is_err(b))
        return s->t_err;
    const st_type *num = a->kind == TY_FLOAT || b->kind == TY_FLOAT ? s->t_float : s->t_int;
    switch (e->op) {
    case '+':
        if (a->kind == TY_STRING || b->kind == TY_STRING)
            return s->t_str;
        if (is_num(a) && is_num(b))
            return num;
        break;
    case '-': case '*': case '/':
        if (is_num(a) && is_num(b))
            return num;
        break;
    case '%':
        if (a->kind == TY_INT && b->kind == TY_INT)
            return s->t_int;
        break;
    case '<': case '>': case ST_OP_LE: case ST_OP_GE:
        if ((is_num(a) && is_num(b)) || (a->kind == TY_STRING && b->kind == TY_STRING))
            return s->t_bool;
        break;
    case ST_OP_EQ: case ST_OP_NE: {
        if (a == b || (is_num(a) && is_num(b)))
            return s->t_bool;
        const st_type *u = sr_unify(&s->rec, a, b);
        if (u) {
            sr_coerce(&s->rec, e->a, u);
            sr_coerce(&s->rec, e->b, u);
            return s->t_bool;
        }
        break;
    }
    case ST_OP_AND: case ST_OP_OR:
        if (a->kind == TY_BOOL && b->kind == TY_BOOL)
            return s->t_bool;
        break;
    default:
        break;
    }
    diag_error(s->d, e->loc, "operator '%s' cannot be applied to %s and %s", op_spelling(e->op),
               tstr(a, t1, sizeof t1), tstr(b, t2, sizeof t2));
    return s->t_err;
}

static const st_type *type_name(sema *s, st_expr *e)
{
    st_expr *lam = s->lam;
    const st_type *rt;
    if (sr_name(&s->rec, e, &rt))
        return rt;
    for (int i = 0; lam && i < lam->nparams; i++) {
        if (strcmp(lam->params[i], e->name) == 0) {
            e->ref = lam->destructure ? REF_PARAM_FIELD : REF_PARAM;
            e->param_index = i;
            return lam->param_types[i] ? lam->param_types[i] : s->t_err;
        }
    }
    st_decl *d = lookup(s, e->name);
    if (d && d->kind == DECL_VAL)
        return sr_const_ref(&s->rec, e, d, s->cur);
    if (d && d->kind == DECL_PARAM) {
        sema_param_in_function(s->d, d, e, lam != NULL);
        return s->t_err;
    }
    if (d && d->kind != DECL_OUTPUT && d->kind != DECL_CBLOCK) {
        if (d->kind == DECL_STREAM || d->kind == DECL_SOURCE)
            diag_error(s->d, e->loc, "%s '%s' cannot be used as a value inside a function", decl_what(d),
                       e->name);
        else
            diag_error(s->d, e->loc, "%s '%s' cannot be used as a value", decl_what(d), e->name);
        diag_note(s->d, d->name_loc, "'%s' is declared here", e->name);
    } else
        unknown_name(s, e->loc, "use of undeclared name", e->name, sr_closest_name(&s->rec, e->name, lam, s->cur));
    return s->t_err;
}

static const st_type *type_expr_(sema *s, st_expr *e, bool allow_list, int depth)
{
    char t1[128];
    switch (e->kind) {
    case EX_INT: return e->bad ? s->t_err : s->t_int;
    case EX_FLOAT: return e->bad ? s->t_err : s->t_float;
    case EX_STRING: return s->t_str;
    case EX_BOOL: return s->t_bool;
    case EX_DURATION:
        if (!e->bad)
            diag_error(s->d, e->loc, "a duration cannot be used as a value");
        return s->t_err;
    case EX_NAME: return type_name(s, e);
    case EX_FIELD: case EX_TUPLE: case EX_COND: case EX_LIST: case EX_INDEX: case EX_BLOCK:
        return sr_expr(&s->rec, e, allow_list, depth);
    case EX_CALL: return type_call(s, e, allow_list, depth);
    case EX_METHOD:
        if (hint_method_habit(s->d, e))
            return s->t_err;
        if (find_builtin(e->name))
            diag_error(s->d, e->name_loc, "'%s' is not a method: write %s(x)", e->name, e->name);
        else
            diag_error(s->d, e->name_loc, "stream operator '%s' cannot be used inside a function", e->name);
        return s->t_err;
    case EX_UNARY: {
        const st_type *a = type_expr(s, e->a, false, depth + 1);
        if (is_err(a))
            return s->t_err;
        if (e->op == '-' && is_num(a))
            return a;
        if (e->op == '!' && a->kind == TY_BOOL)
            return a;
        diag_error(s->d, e->loc, "operator '%c' cannot be applied to %s", e->op, tstr(a, t1, sizeof t1));
        return s->t_err;
    }
    case EX_BINARY: return type_binary(s, e, depth);
    case EX_LAMBDA:
        diag_error(s->d, e->loc, "a function is not allowed here");
        return s->t_err;
    case EX_NAMED_ARG:
        diag_error(s->d, e->name_loc, "named argument '%s' is not allowed here", e->name);
        return s->t_err;
    case EX_LET:
        return s->t_err;
    }
    return s->t_err;
}

const st_type *type_expr(sema *s, st_expr *e, bool allow_list, int depth)
{
    if (!e)
        return s->t_err;
    if (depth > MAX_DEPTH) {
        if (!s->too_deep)
            diag_error(s->d, e->loc, "expression is nested too deeply");
        s->too_deep = true;
        e->type = s->t_err;
        return s->t_err;
    }
    const st_type *t = type_expr_(s, e, allow_list, depth);
    e->type = t;
    return t;
}

const st_type *type_expr_cb(void *s, st_expr *e, bool allow_list, int depth)
{
    return type_expr(s, e, allow_list, depth);
}

/* ---- functions (lambdas) ------------------------------------------------ */

/* Checks the function argument f of operator op. nparams 1: x => e binds an
 * element of type t1 (or (a, b) => e destructures a pair t1); nparams 2:
 * (a, b) => e with a: t1, b: t2. Returns the type of the body, or NULL
 * after an error. */
const st_type *check_fn(sema *s, st_expr *f, const char *op, int nparams, const st_type *t1,
                               const st_type *t2, bool allow_list, int depth)
{
    char b1[128];
    if (f->kind != EX_LAMBDA) {
        if (nparams == 1)
            diag_error(s->d, f->loc, "'%s' expects a function, like x => ...", op);
        else
            diag_error(s->d, f->loc, "'%s' expects a function of two parameters, like (a, b) => ...", op);
        hint_placeholder(s->d, f, nparams);
        if (f->kind == EX_NAME || f->kind == EX_BINARY || f->kind == EX_FIELD || f->kind == EX_METHOD)
            return NULL; /* a name or a placeholder expression: nothing more to say */
        type_expr(s, f, false, depth + 1);
        return NULL;
    }
    if (f->bad_params) {
        diag_error(s->d, f->param_locs[0], "lambda parameters must be names");
        return NULL;
    }
    if (nparams == 1) {
        if (f->nparams == 1)
            f->param_types[0] = t1;
        else if ((t1->kind == TY_PAIR || t1->kind == TY_TUPLE) && f->nparams == t1->n) {
            f->destructure = true; /* (a, b, c) => the fields of a tuple */
            for (int i = 0; i < t1->n; i++)
                f->param_types[i] = t1->el[i];
        } else if (t1->kind == TY_PAIR || t1->kind == TY_TUPLE) {
            diag_error(s->d, f->param_locs[0], "the function of '%s' takes one parameter or %d for the fields of %s, "
                                               "not %d", op, t1->n, tstr(t1, b1, sizeof b1), f->nparams);
            return NULL;
        } else {
            diag_error(s->d, f->param_locs[1], "the function of '%s' takes one parameter: its argument is %s, "
                                               "not a pair", op, tstr(t1, b1, sizeof b1));
            return NULL;
        }
    } else {
        if (f->nparams != 2) {
            diag_error(s->d, f->param_locs[0], "the function of '%s' takes two parameters, like (a, b) => ...",
                       op);
            return NULL;
        }
        f->param_types[0] = t1;
        f->param_types[1] = t2;
    }
    for (int i = 1; i < f->nparams; i++)
        for (int k = 0; k < i; k++)
            if (strcmp(f->params[k], f->params[i]) == 0) {
                diag_error(s->d, f->param_locs[i], "duplicate parameter '%s'", f->params[i]);
                return NULL;
            }
    st_expr *saved = s->lam;
    s->lam = f;
    const st_type *t = type_expr(s, f->a, allow_list, depth + 1);
    s->lam = saved;
    f->type = t;
    if (!is_err(t) && !sr_check_known(&s->rec, f->a))
        t = s->t_err;
    return is_err(t) ? NULL : t;
}

