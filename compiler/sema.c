/* sema.c: names, types, durations, windows and the operator graph.
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

#include "sema.h"
#include "sema_rec.h"
#include "sema_ext.h"
#include "sema_cnames.h"
#include "sema_kinds.h"

#define MAX_DEPTH 500
#define MAX_DURATION_MS 9000000000000000LL /* keeps ms arithmetic far from overflow */

typedef struct sema {
    st_program *p;
    st_diag *d;
    st_decl **tab;          /* name -> first declaration, open addressing; */
    st_decl **ctab;         /* contexts have their own namespace (a context */
    size_t tabcap;          /* and a source may share a name) */
    st_decl *cur;           /* the declaration being checked */
    st_expr *lam;           /* the function whose body is being checked */
    bool output_unresolved; /* an output statement failed: its context is unknown */
    bool too_deep;          /* "nested too deeply" reported for s->cur */
    const st_type *t_err, *t_str, *t_int, *t_float, *t_bool, *t_dur;
    sr_ctx rec;             /* records: sema_rec.c */
} sema;

/* ---- helpers ----------------------------------------------------------- */

static const char *tstr(const st_type *t, char *buf, size_t n)
{
    type_str(t, buf, n);
    return buf;
}

/* canonical spelling: the largest unit that divides exactly */
static const char *dstr(int64_t ms, char *buf, size_t n)
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

static bool is_num(const st_type *t)
{
    return t->kind == TY_INT || t->kind == TY_FLOAT;
}

static bool is_err(const st_type *t)
{
    return !t || t->kind == TY_ERROR;
}

/* a value of type got may be used where want is expected */
static bool assignable(const st_type *got, const st_type *want)
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

static st_decl *lookup(sema *s, const char *name)
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

static const char *decl_what(const st_decl *d)
{
    switch (d->kind) {
    case DECL_CONTEXT: return "context";
    case DECL_SOURCE: return "source";
    case DECL_WINDOW: return "window";
    case DECL_STREAM: return "stream";
    case DECL_EXTERN: return "extern function";
    case DECL_VAL: return "constant";
    case DECL_PARAM: return "param";
    default: return "declaration";
    }
}

/* The declaration of name as seen from s->cur; NULL if undeclared. When it
 * is declared later, reports it, sets *reported and returns NULL. */
static st_decl *resolve(sema *s, const char *name, st_loc loc, bool *reported)
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
static const char *closest_decl(sema *s, const char *name, unsigned mask)
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
static void unknown_name(sema *s, st_loc loc, const char *msg, const char *name, const char *best)
{
    char dym[160];
    diag_error(s->d, loc, "%s '%s'%s", msg, name, hint_dym(best, dym, sizeof dym));
    if (best)
        diag_fixit(s->d, loc, best);
}

/* The param that e names (an EX_NAME of a DECL_PARAM), or NULL. */
static st_decl *param_ref(sema *s, st_expr *e)
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

/* ---- durations --------------------------------------------------------- */

static const char *unit_word(const char *text)
{
    size_t n = strlen(text);
    if (n >= 3 && strcmp(text + n - 3, "min") == 0)
        return "minutes";
    if (n >= 2 && strcmp(text + n - 2, "ms") == 0)
        return "milliseconds";
    if (n >= 1 && text[n - 1] == 'h')
        return "hours";
    return "seconds";
}

static int64_t duration_unit(const char *name)
{
    if (!name)
        return 0;
    if (strcmp(name, "Milliseconds") == 0)
        return 1;
    if (strcmp(name, "Seconds") == 0)
        return 1000;
    if (strcmp(name, "Minutes") == 0)
        return 60000;
    return 0;
}

/* Evaluates a duration (10s, Seconds(10), -10s); false after an error. */
static bool eval_duration(sema *s, st_expr *e, const char *what, int64_t *ms)
{
    if (!e)
        return false;
    e->type = s->t_dur;
    if (e->bad) {
        e->type = s->t_err;
        return false;
    }
    if (e->kind == EX_DURATION) {
        if (e->dur_fraction) {
            diag_error(s->d, e->loc, "duration %s is not a whole number of %s", e->text, unit_word(e->text));
            return false;
        }
        *ms = e->dur_ms;
        return true;
    }
    if (e->kind == EX_UNARY && e->op == '-' && e->a && e->a->kind != EX_UNARY) {
        if (!eval_duration(s, e->a, what, ms))
            return false;
        *ms = -*ms;
        return true;
    }
    int64_t unit = e->kind == EX_CALL ? duration_unit(e->name) : 0;
    if (unit && e->nargs == 1 && (e->args[0]->kind == EX_INT || e->args[0]->kind == EX_FLOAT)) {
        st_expr *a = e->args[0];
        const char *word = unit == 1 ? "milliseconds" : unit == 1000 ? "seconds" : "minutes";
        e->ref = REF_NONE;
        if (a->bad) {
            a->type = s->t_err;
            return false;
        }
        a->type = a->kind == EX_INT ? s->t_int : s->t_float;
        double v = a->kind == EX_INT ? (double)a->ival : a->fval;
        if (!(v * (double)unit < (double)MAX_DURATION_MS)) {
            diag_error(s->d, e->loc, "duration %s(%s) is too large", e->name, a->text ? a->text : "?");
            return false;
        }
        if (a->kind == EX_FLOAT) {
            int64_t whole = (int64_t)v;
            if ((double)whole != v) {
                diag_error(s->d, e->loc, "duration %s(%s) is not a whole number of %s", e->name, a->text,
                           word);
                return false;
            }
            *ms = whole * unit;
        } else
            *ms = a->ival * unit;
        return true;
    }
    if (unit) {
        diag_error(s->d, e->loc, "%s() takes one whole number, as in %s(10)", e->name, e->name);
        return false;
    }
    st_decl *pd = e->kind == EX_NAME ? lookup(s, e->name) : NULL;
    if (pd && pd->kind == DECL_PARAM) {
        sema_param_as_duration(s->d, pd, e, what);
        e->type = s->t_err;
        return false;
    }
    diag_error(s->d, e->loc, "%s must be a duration, like 10s or 200ms", what);
    e->type = s->t_err;
    return false;
}

/* ---- value expressions ------------------------------------------------- */

static const st_type *type_expr(sema *s, st_expr *e, bool allow_list, int depth);

typedef struct builtin_sig {
    const char *name;
    st_builtin id;
    int nargs;
    const char *params; /* S string, I int, F float, B bool, N string|int|float,
                           A any value, O an Option, T the Option's content */
    char ret;           /* S I F B, L list of string, T content of the Option */
} builtin_sig;

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

static const builtin_sig *find_builtin(const char *name)
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
            const char *c[sizeof builtins / sizeof builtins[0] + 16];
            int nc = sr_builtin_names(c, 16);
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

static const st_type *type_expr(sema *s, st_expr *e, bool allow_list, int depth)
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

static const st_type *type_expr_cb(void *s, st_expr *e, bool allow_list, int depth)
{
    return type_expr(s, e, allow_list, depth);
}

/* ---- functions (lambdas) ------------------------------------------------ */

/* Checks the function argument f of operator op. nparams 1: x => e binds an
 * element of type t1 (or (a, b) => e destructures a pair t1); nparams 2:
 * (a, b) => e with a: t1, b: t2. Returns the type of the body, or NULL
 * after an error. */
static const st_type *check_fn(sema *s, st_expr *f, const char *op, int nparams, const st_type *t1,
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

/* ---- stream operators --------------------------------------------------- */

enum {
    OPF_PAIR = 1,    /* applies to pair streams only */
    OPF_OUTPUT = 2,  /* an output operation */
    OPF_WINDOW = 4,  /* ends with a window: name, or duration [, slide] */
    OPF_STREAM = 8   /* takes another stream (union, joins) */
};

typedef struct op_info {
    const char *name;
    st_opkind op;
    int flags;
    int nfns;        /* leading function arguments (reduceByKeyAndWindow: 1 or 2) */
    const char *usage;
} op_info;

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
    { "updateStateByKey", OP_UPDATESTATEBYKEY, OPF_PAIR, 1, "updateStateByKey(init, (state, v) => ...)" },
    { "window", OP_WINDOW, OPF_WINDOW, 0, "window(w) or window(30s, 10s)" },
    { "countByWindow", OP_COUNTBYWINDOW, OPF_WINDOW, 0, "countByWindow(w)" },
    { "reduceByWindow", OP_REDUCEBYWINDOW, OPF_WINDOW, 1, "reduceByWindow((a, b) => ..., w)" },
    { "reduceByKeyAndWindow", OP_REDUCEBYKEYANDWINDOW, OPF_PAIR | OPF_WINDOW, 1,
      "reduceByKeyAndWindow((a, b) => ..., [(a, b) => ...,] w)" },
    { "countByValueAndWindow", OP_COUNTBYVALUEANDWINDOW, OPF_WINDOW, 0, "countByValueAndWindow(w)" },
#define ST_SINK(ID, NAME, MINARGS, MAXARGS, ARG, USAGE) { NAME, OP_##ID, OPF_OUTPUT, 0, USAGE },
#include "st_kinds.def"
};

static const op_info *find_op(const char *name)
{
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (strcmp(ops[i].name, name) == 0)
            return &ops[i];
    return NULL;
}

static bool is_output_name(const char *name)
{
    const op_info *o = find_op(name);
    return o && (o->flags & OPF_OUTPUT);
}

static st_node *stream_expr(sema *s, st_expr *e, bool outer, int depth);

/* "the batch interval 10s" / "the slide 20s of stream 'x'", plus its note */
static void slide_desc(const st_node *in, char *buf, size_t n)
{
    char b[32];
    if (!in->slide_from_window)
        snprintf(buf, n, "the batch interval %s", dstr(in->slide_ms, b, sizeof b));
    else if (in->stream)
        snprintf(buf, n, "the slide %s of stream '%s'", dstr(in->slide_ms, b, sizeof b), in->stream->name);
    else
        snprintf(buf, n, "the slide %s of the windowed stream it is applied to",
                 dstr(in->slide_ms, b, sizeof b));
}

static void slide_note(sema *s, const st_node *in)
{
    if (!in->slide_from_window)
        diag_note(s->d, in->slide_loc, "batch interval declared here");
    else
        diag_note(s->d, in->slide_loc, "slide declared here");
}

/* The window arguments args[first..] of e, applied to in: fills n's window
 * fields. False after an error. */
static bool check_window(sema *s, st_expr *e, int first, st_node *in, st_node *n)
{
    char b1[32], b2[32], desc[160];
    int cnt = e->nargs - first;
    int64_t win = 0, slide = 0;
    st_expr *wexpr = NULL, *sexpr = NULL;
    st_decl *wdecl = NULL;
    if (cnt < 1 || cnt > 2) {
        diag_error(s->d, e->name_loc, "'%s' needs a window: a window name, or a duration and a slide (30s, 10s)",
                   e->name);
        return false;
    }
    st_expr *a = e->args[first];
    if (cnt == 1 && a->kind == EX_NAME) {
        bool reported;
        st_decl *d = resolve(s, a->name, a->loc, &reported);
        if (reported)
            return false;
        if (!d) {
            unknown_name(s, a->loc, "use of undeclared window", a->name, closest_decl(s, a->name, 1u << DECL_WINDOW));
            return false;
        }
        if (d->kind == DECL_PARAM) {
            sema_param_as_duration(s->d, d, a, "a window");
            return false;
        }
        if (d->kind != DECL_WINDOW) {
            diag_error(s->d, a->loc, "%s '%s' is not a window", decl_what(d), a->name);
            diag_note(s->d, d->name_loc, "'%s' is declared here", a->name);
            return false;
        }
        d->used = true;
        a->ref = REF_WINDOW;
        a->decl = d;
        a->type = s->t_dur;
        if (d->win_ms <= 0 || (d->win_slide && d->win_slide_ms <= 0))
            return false; /* reported at the declaration */
        wdecl = d;
        win = d->win_ms;
        slide = d->win_slide ? d->win_slide_ms : 0;
        wexpr = d->win_dur;
        sexpr = d->win_slide;
    } else {
        bool ok = eval_duration(s, a, "a window", &win);
        wexpr = a;
        if (cnt == 2) {
            sexpr = e->args[first + 1];
            ok &= eval_duration(s, sexpr, "a window slide", &slide);
        }
        if (!ok)
            return false;
        if (win <= 0) {
            diag_error(s->d, wexpr->loc, "window duration must be positive");
            return false;
        }
        if (sexpr && slide <= 0) {
            diag_error(s->d, sexpr->loc, "window slide must be positive");
            return false;
        }
        if (sexpr && slide > win)
            diag_warn(s->d, W_WINDOW_GAP, sexpr->loc,
                      "window slide %s is longer than the window %s: records between windows are left out",
                      dstr(slide, b1, sizeof b1), dstr(win, b2, sizeof b2));
    }
    bool ok = true;
    int64_t p = in->slide_ms;
    if (p > 0) {
        slide_desc(in, desc, sizeof desc);
        if (win % p != 0) {
            diag_error(s->d, wexpr->loc, "window duration %s is not a multiple of %s", dstr(win, b1, sizeof b1),
                       desc);
            slide_note(s, in);
            if (wdecl)
                diag_note(s->d, a->loc, "window '%s' is applied here", wdecl->name);
            ok = false;
        }
        if (sexpr && slide % p != 0) {
            diag_error(s->d, sexpr->loc, "window slide %s is not a multiple of %s", dstr(slide, b1, sizeof b1),
                       desc);
            slide_note(s, in);
            if (wdecl)
                diag_note(s->d, a->loc, "window '%s' is applied here", wdecl->name);
            ok = false;
        }
    }
    n->win_ms = win;
    n->win_slide_ms = sexpr ? slide : p;
    n->slide_ms = n->win_slide_ms;
    if (sexpr) {
        n->slide_loc = sexpr->loc;
        n->slide_from_window = true;
    }
    return ok;
}

/* union and joins: the other stream must share context and slide */
static bool check_combine(sema *s, st_expr *e, st_node *in, st_node *other)
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
static bool check_result(sema *s, st_expr *f, const st_type *got, const st_type *want, const char *what,
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
    case OP_UPDATESTATEBYKEY: minargs = maxargs = 2; break;
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
        if (oi->op == OP_UPDATESTATEBYKEY && e->nargs == 1)
            diag_note(s->d, e->name_loc, "Spark's updateStateByKey((values, state) => ...) is written as a fold "
                                         "here: an initial state, then (state, v) => newState for each value");
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
    case OP_UPDATESTATEBYKEY: {
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
                if (i == 0)
                    n->prefix_param = pd;
                else
                    n->suffix_param = pd;
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

static st_node *stream_expr(sema *s, st_expr *e, bool outer, int depth)
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
        } else
        {
            static const char *const names[] = { "batch", "block", "checkpoint", "workers" };
            char dym[160];
            const char *best = hint_closest(st->name, names, 4);
            diag_error(s->d, st->name_loc,
                       "unknown context setting '%s' (expected batch, block, checkpoint or workers)%s", st->name,
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

static void check_window_decl(sema *s, st_decl *w)
{
    char b1[32], b2[32];
    int64_t ms;
    if (eval_duration(s, w->win_dur, "a window", &ms)) {
        if (ms <= 0)
            diag_error(s->d, w->win_dur->loc, "window duration must be positive");
        else
            w->win_ms = ms;
    }
    if (w->win_slide && eval_duration(s, w->win_slide, "a window slide", &ms)) {
        if (ms <= 0)
            diag_error(s->d, w->win_slide->loc, "window slide must be positive");
        else
            w->win_slide_ms = ms;
    }
    if (w->win_ms > 0 && w->win_slide_ms > w->win_ms)
        diag_warn(s->d, W_WINDOW_GAP, w->win_slide->loc,
                  "window slide %s is longer than the window %s: records between windows are left out",
                  dstr(w->win_slide_ms, b1, sizeof b1), dstr(w->win_ms, b2, sizeof b2));
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
    for (int i = 0; i < d->nargs && sema_kind_find(k) != SRC_RECEIVER; i++) {
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
    if (kid == SRC_SOCKET) {
        d->src_kind = SRC_SOCKET;
        if (npos != 2)
            diag_error(s->d, d->kind_loc, "socket() takes a host and a port, as in socket(\"localhost\", 9999)");
        else {
            if (pos[0]->kind != EX_STRING)
                diag_error(s->d, pos[0]->loc, "the host of socket() must be a string");
            else
                d->host = pos[0]->sval;
            if (!const_int(pos[1], &v) || v < 1 || v > 65535)
                diag_error(s->d, pos[1]->loc, "the port of socket() must be an integer between 1 and 65535");
            else
                d->port = v;
        }
    } else if (kid == SRC_TEXTFILES || kid == SRC_FILE) {
        bool file = kid == SRC_FILE;
        d->src_kind = kid;
        if (npos != 1 || pos[0]->kind != EX_STRING)
            diag_error(s->d, npos == 1 ? pos[0]->loc : d->kind_loc, "%s() takes a %s name, as in %s(\"%s\")", k,
                       file ? "file" : "directory", k, file ? "data.txt" : "incoming");
        else
            d->path = pos[0]->sval;
        bool seen_rate = false, seen_loop = false;
        for (int i = 0; file && i < d->nargs; i++) {
            st_expr *a = d->args[i];
            if (a->kind != EX_NAMED_ARG)
                continue;
            bool is_rate = strcmp(a->name, "rate") == 0, is_loop = strcmp(a->name, "loop") == 0;
            if ((is_rate && seen_rate) || (is_loop && seen_loop))
                diag_error(s->d, a->name_loc, "option '%s' is given twice", a->name);
            else if (is_rate) {
                seen_rate = true;
                if (!const_int(a->a, &v) || v < 1)
                    diag_error(s->d, a->a->loc, "rate must be an integer >= 1 (records per second)");
                else
                    d->rate = v;
            } else if (is_loop) {
                seen_loop = true;
                if (a->a->kind != EX_BOOL)
                    diag_error(s->d, a->a->loc, "loop must be true or false");
                else
                    d->loop = a->a->bval;
            } else
            {
                const char *names[8];
                int nn = sema_kind_opts(kid, names, 8);
                char dym[160], list[160];
                const char *best = hint_closest(a->name, names, nn);
                diag_error(s->d, a->name_loc, "%s() has no option '%s' (expected %s)%s", k, a->name,
                           sema_kind_join(names, nn, list, sizeof list), hint_dym(best, dym, sizeof dym));
                if (best)
                    diag_fixit(s->d, a->name_loc, best);
            }
        }
    } else if (kid == SRC_STDIN) {
        d->src_kind = SRC_STDIN;
        if (npos != 0)
            diag_error(s->d, d->kind_loc, "stdin() takes no arguments");
    } else if (kid == SRC_RECEIVER) {
        d->src_kind = SRC_RECEIVER;
        ok = sema_receiver_args(s->d, s->p, d);
    } else if (kid == SRC_RATE) {
        d->src_kind = SRC_RATE;
        if (npos != 1 || !const_int(pos[0], &v) || v < 1)
            diag_error(s->d, npos == 1 ? pos[0]->loc : d->kind_loc,
                       "rate() takes a number of records per second, an integer >= 1");
        else
            d->rate = v;
    } else if (!sema_kind_args(s->d, d, kid, pos, npos)) {
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
    n->type = sema_kind_ints(d->src_kind) ? s->t_int : tstr_;
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
        if ((n->op == OP_PRINT || n->op == OP_SAVE || n->op == OP_FOREACHRDD) && n->in)
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
