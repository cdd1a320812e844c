/* codegen.c: emits the C of a checked program (see codegen.h, lower.h):
 * the file, the expressions, the per-context structs and driver, and the
 * table of operator families (cg_family_of) whose translators live in
 * codegen_chain/agg/keyed/window/state/join/out.c (types: codegen_rec.c).
 *
 * The generated file is self-contained apart from streamrt.h, st_map.h,
 * st_gen.h and libstreamrt.a; it holds only what depends on the program:
 * everything type-generic is a macro of st_gen.h instantiated per type or
 * stage. Everything in it is static except main(); identifiers
 * are sc_-prefixed and derived from node ids and type ids, never from
 * user names, so a stream called int or main cannot clash. User names
 * appear only in comments (they are identifiers, so they cannot end one)
 * and in string literals, which are escaped byte by byte.
 *
 * Layout of the output, in order:
 *   banner and #include "st_gen.h" (the prelude and the type macros)
 *   one ST_GEN_* line per interned type (sc_T<id> with hash/eq/fmt/copy/
 *   ser/cmp), and per element type of window slots (ST_GEN_WSLOTS)
 *   user %{ %} blocks, as written
 *   prototypes of extern and foreachRDD functions
 *   per context: the dataset struct (sc_D<c>, one batch's datasets), the
 *   state struct (sc_S<c>, windows and keyed state across batches), one
 *   function per node (and per-partition task functions), run_batch,
 *   create, destroy
 *   the program description and main()
 *
 * Failing built-ins inside user expressions jump to the `fail` statement
 * of the loop that evaluates them (normally `continue`), after st_skip()
 * counted the record; every user expression is evaluated inside a loop.
 */
#include "codegen.h"
#include "codegen_dag.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "codegen_int.h"
#include "codegen_mapstate.h"
#include "codegen_ext.h"
#include "codegen_tables.h"
#include "codegen_json.h"
#include "lower.h"
#include "sbuf.h"

static char *cg_keep(cg *g, char *s)
{
    if (g->npool == g->cappool) {
        g->cappool = g->cappool ? g->cappool * 2 : 256;
        g->pool = realloc(g->pool, (size_t)g->cappool * sizeof *g->pool);
        if (!g->pool)
            abort();
    }
    g->pool[g->npool++] = s;
    return s;
}

__attribute__((format(printf, 2, 3))) char *cg_str(cg *g, const char *fmt, ...)
{
    sbuf b = { 0 };
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(&b, fmt, ap);
    va_end(ap);
    if (!b.p)
        sb_puts(&b, "");
    return cg_keep(g, b.p);
}

/* Appends a line of generated code at the given indentation. */
__attribute__((format(printf, 3, 4))) void emit(cg *g, int indent, const char *fmt, ...)
{
    for (int i = 0; i < indent; i++)
        sb_puts(&g->out, "    ");
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(&g->out, fmt, ap);
    va_end(ap);
    sb_puts(&g->out, "\n");
}

static int out_line(cg *g)
{
    for (; g->counted < g->out.n; g->counted++)
        if (g->out.p[g->counted] == '\n')
            g->lines++;
    return g->lines + 1;
}

/* A C string literal for n bytes: printable ASCII as is, everything else
 * (and " \ ?) as a 3-digit octal escape, so nothing can end the literal,
 * form a trigraph or merge with a following digit. */
char *c_lit(cg *g, const char *s, size_t n)
{
    sbuf b = { 0 };
    sb_c_lit(&b, s, n);
    return cg_keep(g, b.p);
}

void line_begin(cg *g, int indent, st_loc loc)
{
    if (!g->opts->line_directives)
        return;
    (void)indent;
    sb_printf(&g->out, "#line %d %s\n", loc.first_line,
              c_lit(g, g->opts->src_path, strlen(g->opts->src_path)));
}

void line_end(cg *g)
{
    if (!g->opts->line_directives)
        return;
    int l = out_line(g);
    sb_printf(&g->out, "#line %d %s\n", l + 1, c_lit(g, g->c_name, strlen(g->c_name)));
}

/* ---- types ---------------------------------------------------------------- */

const char *ct(cg *g, const st_type *t)
{
    return cg_str(g, "sc_T%d", t->id);
}

/* values of t point into an arena (strings, lists) */
bool has_strings(const st_type *t)
{
    return cr_needs_copy(t);
}


/* ---- expressions -------------------------------------------------------- */


char *tmpname(cg *g)
{
    return cg_str(g, "sc_v%d", ++g->tmp);
}

void skip_stmt(ex *x, const char *what, const char *detail)
{
    emit(x->g, x->indent, "    st_skip(job, w, %s, %s);", c_lit(x->g, what, strlen(what)), detail);
    emit(x->g, x->indent, "    %s;", x->fail);
}

char *to_str(ex *x, const st_type *t, const char *v)
{
    switch (t->kind) {
    case TY_STRING: return (char *)v;
    case TY_INT: return cg_str(x->g, "st_int_to_str(%s, %s)", x->ar, v);
    case TY_FLOAT: return cg_str(x->g, "st_float_to_str(%s, %s)", x->ar, v);
    case TY_BOOL: return cg_str(x->g, "st_bool_to_str(%s)", v);
    default: return cg_str(x->g, "sc_tostr_%d(%s, %s)", t->id, x->ar, v);
    }
}

/* Compiles e into a nested statement buffer; returns its value and
 * leaves the statements in *stmts (empty when it needs none). */
char *cx_nested(ex *x, const st_expr *e, sbuf *stmts, int indent)
{
    sbuf saved = x->g->out;
    size_t saved_counted = x->g->counted;
    int saved_lines = x->g->lines;
    x->g->out = (sbuf){ 0 };
    x->g->counted = 0;
    int saved_indent = x->indent;
    x->indent = indent;
    char *v = cx(x, e);
    x->indent = saved_indent;
    *stmts = x->g->out;
    x->g->out = saved;
    x->g->counted = saved_counted;
    x->g->lines = saved_lines;
    return v;
}

static char *cx_binary(ex *x, const st_expr *e)
{
    cg *g = x->g;
    const st_type *ta = e->a->type, *tb = e->b->type;
    if (e->op == ST_OP_AND || e->op == ST_OP_OR) {
        char *a = cx(x, e->a);
        sbuf sb;
        char *b = cx_nested(x, e->b, &sb, x->indent + 1);
        if (sb.n == 0) {
            sb_free(&sb);
            return cg_str(g, "(%s %s %s)", a, e->op == ST_OP_AND ? "&&" : "||", b);
        }
        char *t = tmpname(g);
        emit(g, x->indent, "bool %s = %s;", t, a);
        emit(g, x->indent, "if (%s%s) {", e->op == ST_OP_AND ? "" : "!", t);
        sb_put(&g->out, sb.p, sb.n);
        sb_free(&sb);
        emit(g, x->indent, "    %s = %s;", t, b);
        emit(g, x->indent, "}");
        return t;
    }
    char *a = cx(x, e->a);
    char *b = cx(x, e->b);
    bool ints = ta->kind == TY_INT && tb->kind == TY_INT;
    switch (e->op) {
    case '+':
        if (e->type->kind == TY_STRING)
            return cg_str(g, "st_concat(%s, %s, %s)", x->ar, to_str(x, ta, a), to_str(x, tb, b));
        return ints ? cg_str(g, "st_add(%s, %s)", a, b) : cg_str(g, "((double)(%s) + (double)(%s))", a, b);
    case '-':
        return ints ? cg_str(g, "st_sub(%s, %s)", a, b) : cg_str(g, "((double)(%s) - (double)(%s))", a, b);
    case '*':
        return ints ? cg_str(g, "st_mul(%s, %s)", a, b) : cg_str(g, "((double)(%s) * (double)(%s))", a, b);
    case '/':
    case '%':
        if (ints) {
            char *t = tmpname(g);
            emit(g, x->indent, "int64_t %s;", t);
            emit(g, x->indent, "if (!%s(%s, %s, &%s)) {", e->op == '/' ? "st_div" : "st_mod", a, b, t);
            /* the skip shows the operation: "100 / 0" */
            skip_stmt(x, e->op == '/' ? "/ by zero" : "% by zero",
                      cg_str(g, "st_concat(%s, st_int_to_str(%s, %s), ST_STR_LIT(\"%s\"))", x->ar, x->ar, a,
                             e->op == '/' ? " / 0" : " % 0"));
            emit(g, x->indent, "}");
            return t;
        }
        if (e->op == '/')
            return cg_str(g, "((double)(%s) / (double)(%s))", a, b);
        return cg_str(g, "fmod((double)(%s), (double)(%s))", a, b);
    default:
        break;
    }
    /* comparisons */
    const char *op = e->op == ST_OP_EQ ? "==" : e->op == ST_OP_NE ? "!=" : e->op == ST_OP_LE ? "<=" :
                     e->op == ST_OP_GE ? ">=" : e->op == '<' ? "<" : ">";
    if (ta->kind == TY_STRING && tb->kind == TY_STRING) {
        if (e->op == ST_OP_EQ)
            return cg_str(g, "st_str_eq(%s, %s)", a, b);
        if (e->op == ST_OP_NE)
            return cg_str(g, "(!st_str_eq(%s, %s))", a, b);
        return cg_str(g, "(st_str_cmp(%s, %s) %s 0)", a, b, op);
    }
    if ((ta->kind == TY_PAIR || ta->kind == TY_TUPLE || ta->kind == TY_OPTION || ta->kind == TY_LIST) && ta == tb)
        return cg_str(g, "(%ssc_eq_%d(%s, %s))", e->op == ST_OP_NE ? "!" : "", ta->id, a, b);
    if ((ta->kind == TY_FLOAT || tb->kind == TY_FLOAT) && (e->op == ST_OP_EQ || e->op == ST_OP_NE))
        return cg_str(g, "((double)(%s) %s (double)(%s))", a, op, b);
    return cg_str(g, "((%s) %s (%s))", a, op, b);
}

static char *cx_call(ex *x, const st_expr *e)
{
    cg *g = x->g;
    char *a[8] = { 0 };
    if (e->ref == REF_EXTERN) {
        sbuf b = { 0 };
        char **args = calloc((size_t)e->nargs + 1, sizeof *args);
        for (int i = 0; i < e->nargs; i++)
            args[i] = cx(x, e->args[i]);
        sb_printf(&b, "%s(", e->name);
        for (int i = 0; i < e->nargs; i++)
            sb_printf(&b, "%s%s", i ? ", " : "", args[i]);
        sb_puts(&b, ")");
        free(args);
        return cg_keep(g, b.p);
    }
    if (e->builtin == BI_TABLE_LOOKUP || e->builtin == BI_TABLE_CONTAINS)
        return cgt_call(x, e);
    assert(e->ref == REF_BUILTIN && e->nargs <= 8);
    bool iter = x->split_iter; /* only the outermost split() */
    x->split_iter = false;
    /* getOrElse's default is evaluated only when needed */
    if (e->builtin == BI_GETORELSE) {
        char *o = cx(x, e->args[0]);
        sbuf sb;
        char *d = cx_nested(x, e->args[1], &sb, x->indent + 1);
        if (sb.n == 0) {
            sb_free(&sb);
            return cg_str(g, "((%s).some ? (%s).v : (%s))", o, o, d);
        }
        char *t = tmpname(g);
        emit(g, x->indent, "%s %s;", ct(g, e->type), t);
        emit(g, x->indent, "if ((%s).some) %s = (%s).v;", o, t, o);
        emit(g, x->indent, "else {");
        sb_put(&g->out, sb.p, sb.n);
        sb_free(&sb);
        emit(g, x->indent, "    %s = %s;", t, d);
        emit(g, x->indent, "}");
        return t;
    }
    for (int i = 0; i < e->nargs; i++)
        a[i] = cx(x, e->args[i]);
    const st_type *t0 = e->nargs ? e->args[0]->type : NULL;
    char *t;
    switch (e->builtin) {
    case BI_SPLIT:
        t = tmpname(g);
        if (!iter) {
            emit(g, x->indent, "%s %s;", ct(g, e->type), t);
            emit(g, x->indent, "%s.n = st_split_list(%s, %s, %s, &%s.v);", t, x->ar, a[0], a[1], t);
            return t;
        }
        emit(g, x->indent, "st_split %s;", t);
        emit(g, x->indent, "st_split_init(&%s, %s, %s);", t, a[0], a[1]);
        return t;
    case BI_LEN: return cg_str(g, "st_len(%s)", a[0]);
    case BI_NOW: return cg_str(g, "st_wall_ms()");
    case BI_LOWER: return cg_str(g, "st_lower(%s, %s)", x->ar, a[0]);
    case BI_UPPER: return cg_str(g, "st_upper(%s, %s)", x->ar, a[0]);
    case BI_TRIM: return cg_str(g, "st_trim(%s)", a[0]);
    case BI_CONTAINS: return cg_str(g, "st_contains(%s, %s)", a[0], a[1]);
    case BI_STARTSWITH: return cg_str(g, "st_starts_with(%s, %s)", a[0], a[1]);
    case BI_ENDSWITH: return cg_str(g, "st_ends_with(%s, %s)", a[0], a[1]);
    case BI_ISDEFINED: return cg_str(g, "((%s).some)", a[0]);
    case BI_TOSTRING: return to_str(x, t0, a[0]);
    case BI_TOINT:
        if (t0->kind == TY_INT)
            return a[0];
        if (t0->kind == TY_FLOAT)
            return cg_str(g, "sc_f2i(%s)", a[0]);
        t = tmpname(g);
        emit(g, x->indent, "int64_t %s;", t);
        emit(g, x->indent, "if (!st_to_int(%s, &%s)) {", a[0], t);
        skip_stmt(x, "toInt", a[0]);
        emit(g, x->indent, "}");
        return t;
    case BI_TOFLOAT:
        if (t0->kind != TY_STRING)
            return cg_str(g, "((double)(%s))", a[0]);
        t = tmpname(g);
        emit(g, x->indent, "double %s;", t);
        emit(g, x->indent, "if (!st_to_float(%s, &%s)) {", a[0], t);
        skip_stmt(x, "toFloat", a[0]);
        emit(g, x->indent, "}");
        return t;
    case BI_SUBSTR:
        t = tmpname(g);
        emit(g, x->indent, "st_str %s;", t);
        emit(g, x->indent, "if (!st_substr(%s, %s, %s, &%s)) {", a[0], a[1], a[2], t);
        skip_stmt(x, "substr out of range", a[0]);
        emit(g, x->indent, "}");
        return t;
    case BI_FIELD:
        t = tmpname(g);
        emit(g, x->indent, "st_str %s;", t);
        emit(g, x->indent, "if (!st_field(%s, %s, %s, &%s)) {", a[0], a[1], a[2], t);
        skip_stmt(x, "field past the last field", a[0]);
        emit(g, x->indent, "}");
        return t;
    case BI_MATCHES: return cg_str(g, "st_matches(&sc_re[%d], w, %s)", e->regex, a[0]);
    case BI_REGEXSPLIT:
        t = tmpname(g);
        emit(g, x->indent, "%s %s;", ct(g, e->type), t);
        emit(g, x->indent, "%s.n = st_regex_split(%s, &sc_re[%d], w, %s, &%s.v);", t, x->ar, e->regex, a[0], t);
        return t;
    case BI_REPLACEALL:
        t = tmpname(g);
        emit(g, x->indent, "st_str %s;", t);
        emit(g, x->indent, "if (!st_replace_all(%s, &sc_re[%d], w, %s, %s, &%s)) {", x->ar, e->regex, a[0], a[2], t);
        skip_stmt(x, "replaceAll: invalid replacement", a[2]);
        emit(g, x->indent, "}");
        return t;
    case BI_JSON:
        if ((t = cj_call(x, e, a[0])))   /* parsed once for the chain */
            return t;
        t = tmpname(g);
        emit(g, x->indent, "st_str %s;", t);
        emit(g, x->indent, "if (!st_json(%s, %s, %s, &%s)) {", x->ar, a[0], a[1], t);
        skip_stmt(x, "json field missing or not JSON", a[0]);
        emit(g, x->indent, "}");
        return t;
    default:
        assert(!"unknown builtin");
        return NULL;
    }
}

char *cx(ex *x, const st_expr *e)
{
    cg *g = x->g;
    char *rec = cr_expr(x, e);
    if (rec)
        return rec;
    switch (e->kind) {
    case EX_INT:
        if (e->ival == INT64_MIN)
            return "INT64_MIN";
        return cg_str(g, "INT64_C(%lld)", (long long)e->ival);
    case EX_FLOAT:
        if (isinf(e->fval))
            return "HUGE_VAL";
        {
            char buf[64];
            snprintf(buf, sizeof buf, "%.17g", e->fval);
            if (!strpbrk(buf, ".eEn"))
                strcat(buf, ".0");
            return cg_str(g, "%s", buf);
        }
    case EX_STRING:
        return cg_str(g, "((st_str){ %s, %zu })", c_lit(g, e->sval, e->slen), e->slen);
    case EX_BOOL:
        return e->bval ? "true" : "false";
    case EX_NAME:
        if (e->ref == REF_PARAM) {
            assert(x->bind[e->param_index]);
            return (char *)x->bind[e->param_index];
        }
        if (e->ref == REF_PARAM_FIELD)
            return cg_str(g, "(%s)._%d", x->bind[0], e->param_index + 1);
        assert(!"name outside a lambda");
        return NULL;
    case EX_FIELD:
        return cg_str(g, "(%s)._%d", cx(x, e->a), e->field_index + 1);
    case EX_UNARY: {
        char *a = cx(x, e->a);
        if (e->op == '!')
            return cg_str(g, "(!%s)", a);
        if (e->type->kind == TY_INT)
            return cg_str(g, "st_neg(%s)", a);
        return cg_str(g, "(-(%s))", a);
    }
    case EX_BINARY:
        return cx_binary(x, e);
    case EX_COND: {
        char *c = cx(x, e->a);
        sbuf sa, sb2;
        char *a = cx_nested(x, e->b, &sa, x->indent + 1);
        char *b = cx_nested(x, e->c, &sb2, x->indent + 1);
        if (sa.n == 0 && sb2.n == 0 && e->type->kind != TY_PAIR && e->type->kind != TY_OPTION &&
            e->type->kind != TY_LIST && e->type->kind != TY_TUPLE) {
            sb_free(&sa);
            sb_free(&sb2);
            return cg_str(g, "(%s ? %s : %s)", c, a, b);
        }
        char *t = tmpname(g);
        emit(g, x->indent, "%s %s;", ct(g, e->type), t);
        emit(g, x->indent, "if (%s) {", c);
        sb_put(&g->out, sa.p ? sa.p : "", sa.n);
        emit(g, x->indent, "    %s = %s;", t, a);
        emit(g, x->indent, "} else {");
        sb_put(&g->out, sb2.p ? sb2.p : "", sb2.n);
        emit(g, x->indent, "    %s = %s;", t, b);
        emit(g, x->indent, "}");
        sb_free(&sa);
        sb_free(&sb2);
        return t;
    }
    case EX_CALL:
        return cx_call(x, e);
    default:
        assert(!"expression kind not valid in a lambda");
        return NULL;
    }
}

/* Binds a lambda's parameters to C values and compiles its body. */
char *cx_lambda(ex *x, const st_expr *lam, const char *a0, const char *a1)
{
    assert(lam && lam->kind == EX_LAMBDA);
    if (lam->destructure) {
        x->bind[0] = cg_str(x->g, "(%s)", a0);
        x->bind[1] = NULL;
    } else {
        x->bind[0] = a0;
        x->bind[1] = a1;
    }
    return cx(x, lam->a);
}

/* ---- chains --------------------------------------------------------------- */



/* The combining function of an aggregation: the user's (inverse when
 * inv), or + / - on counts. Returns a C expression. */
char *combine(cg *g, int indent, const st_node *n, bool inv, const char *a, const char *b, const char *fail)
{
    bool counts = n->op == OP_COUNTBYVALUE || n->op == OP_COUNTBYVALUEANDWINDOW ||
                  n->op == OP_COUNTBYWINDOW || n->op == OP_COUNT;
    if (counts)
        return cg_str(g, "%s(%s, %s)", inv ? "st_sub" : "st_add", a, b);
    const st_expr *fn = inv ? n->fn2 : n->fn;
    ex x = { .g = g, .indent = indent, .fail = fail, .ar = "ar" };
    line_begin(g, indent, fn->loc);
    char *v = cx_lambda(&x, fn, a, b);
    line_end(g);
    return v;
}

agg_kind agg_of(st_opkind op)
{
    switch (op) {
    case OP_COUNT: case OP_COUNTBYWINDOW: return AGG_COUNT;
    case OP_REDUCE: case OP_REDUCEBYWINDOW: return AGG_REDUCE;
    case OP_COUNTBYVALUE: case OP_REDUCEBYKEY: case OP_REDUCEBYKEYANDWINDOW:
    case OP_COUNTBYVALUEANDWINDOW: return AGG_KEYED;
    default: return AGG_NONE;
    }
}

bool is_window_op(st_opkind op)
{
    return op == OP_WINDOW || op == OP_COUNTBYWINDOW || op == OP_REDUCEBYWINDOW ||
           op == OP_REDUCEBYKEYANDWINDOW || op == OP_COUNTBYVALUEANDWINDOW;
}

bool windowed_inverse(const st_node *n)
{
    return n->op == OP_COUNTBYVALUEANDWINDOW || (n->op == OP_REDUCEBYKEYANDWINDOW && n->fn2);
}

/* key and value types of a keyed aggregation */
const st_type *agg_key(const st_node *n)
{
    return (n->op == OP_COUNTBYVALUE || n->op == OP_COUNTBYVALUEANDWINDOW) ? n->in->type : n->in->type->a;
}

const st_type *agg_val(const st_node *n)
{
    return n->type->b;
}

/* ---- per-node declarations (struct members and map types) ----------------- */

/* The map type NAME from key type k to value type VT: string keys get the
 * map that keeps their first bytes inline (st_map.h, st_kinl). */
void emit_map_type(cg *g, const char *name, const st_type *k, const char *vt)
{
    if (k->kind == TY_STRING)
        emit(g, 0, "ST_SMAP_DEFINE(%s, %s, sc_eq_%d)", name, vt, k->id);
    else
        emit(g, 0, "ST_MAP_DEFINE(%s, %s, %s, sc_eq_%d)", name, ct(g, k), vt, k->id);
}

static void emit_node_types(cg *g, const st_node *n)
{
    lw_node *l = &g->plan->nodes[n->id];
    if (l->kind == LW_DEAD || l->kind == LW_FUSED)
        return;
    int id = n->id;
    if (cm_owns(n)) {
        cm_emit_types(g, n);
        return;
    }
    if (agg_of(n->op) == AGG_KEYED) {
        const st_type *k = agg_key(n), *v = agg_val(n);
        emit(g, 0, "typedef struct sc_av%d { %s v; int64_t stamp; } sc_av%d;", id, ct(g, v), id);
        emit_map_type(g, cg_str(g, "sc_m%d", id), k, cg_str(g, "sc_av%d", id));
        /* a worker's map, a cache line clear of its neighbours': workers
           insert into their own maps at once, and a map's header is
           written on every insert */
        emit(g, 0, "typedef union sc_pm%d { sc_m%d m; char pad[(sizeof(sc_m%d) / 64 + 2) * 64]; } sc_pm%d;", id, id,
             id, id);
        if (windowed_inverse(n)) {
            emit_map_type(g, cg_str(g, "sc_w%d", id), k, ct(g, v));
            /* what a batch added, kept to subtract it later: the key as its
               entry in the state (entries are never removed), not a copy */
            emit(g, 0, "typedef struct sc_wi%d { int64_t idx; %s v; } sc_wi%d;", id, ct(g, v), id);
        }
    }
    if (n->op == OP_UPDATESTATEBYKEY) {
        emit(g, 0, "typedef struct sc_us%d { %s v; int64_t t, pos; } sc_us%d;", id, ct(g, n->type->b), id);
        emit_map_type(g, cg_str(g, "sc_u%d", id), n->in->type->a, cg_str(g, "sc_us%d", id));
    }
    if (n->op >= OP_JOIN && n->op <= OP_FULLOUTERJOIN) {
        const st_type *k = n->in->type->a;
        emit(g, 0, "typedef struct sc_jv%d { int64_t first, last; } sc_jv%d;", id, id);
        emit_map_type(g, cg_str(g, "sc_j%d", id), k, cg_str(g, "sc_jv%d", id));
        emit(g, 0, "typedef struct sc_jr%d { %s k; %s v; int64_t next; } sc_jr%d;", id, ct(g, k),
             ct(g, n->in2->type->b), id);
        emit_map_type(g, cg_str(g, "sc_jl%d", id), k, "char");
    }
    cgg_node_types(g, n); /* codegen_group.c */
}

static void emit_d_members(cg *g, const st_node *n)
{
    lw_node *l = &g->plan->nodes[n->id];
    int id = n->id;
    if (l->kind == LW_MATERIALIZED)
        emit(g, 1, "st_ds d%d; bool v%d; /* %s */", id, id, op_name(n->op));
    agg_kind a = agg_of(n->op);
    if (l->kind == LW_DEAD || l->kind == LW_FUSED)
        return;
    if (a != AGG_NONE && is_window_op(n->op))
        emit(g, 1, "st_ds a%d; bool av%d; /* per-batch part of %s */", id, id, op_name(n->op));
    if (a == AGG_COUNT)
        emit(g, 1, "int64_t *cnt%d;", id);
    if (a == AGG_KEYED)
        emit(g, 1, "sc_rng *rg%d; st_stamped **srt%d; int64_t *ns%d;", id, id, id);
    if (a == AGG_REDUCE)
        emit(g, 1, "bool *has%d; %s *acc%d;", id, ct(g, n->type), id);
    if (n->op >= OP_JOIN && n->op <= OP_FULLOUTERJOIN)
        emit(g, 1, "sc_j%d j%d; sc_jr%d *jr%d;", id, id, id, id);
    if (n->op == OP_SAVE)
        emit(g, 1, "st_buf *buf%d;", id);
    cgg_d_members(g, n); /* codegen_group.c */
}

static void emit_s_members(cg *g, const st_node *n)
{
    lw_node *l = &g->plan->nodes[n->id];
    int id = n->id;
    if (l->kind == LW_DEAD || l->kind == LW_FUSED)
        return;
    if (cm_owns(n)) {
        cm_emit_s_members(g, n);
        return;
    }
    if (is_window_op(n->op))
        emit(g, 1, "st_window r%d; /* %s */", id, op_name(n->op));
    if (n->op == OP_COUNTBYWINDOW)
        emit(g, 1, "int64_t sum%d; bool seen%d;", id, id);
    if (agg_of(n->op) == AGG_KEYED)
        emit(g, 1, "sc_pm%d *loc%d; int nloc%d, npart%d; /* [w * npart + p]: worker w's partition p */", id, id, id,
             id);
    if (windowed_inverse(n))
        emit(g, 1, "sc_w%d w%d; st_arena *war%d;", id, id, id);
    if (n->op == OP_UPDATESTATEBYKEY)
        emit(g, 1, "sc_u%d u%d[SC_SHARDS]; st_arena *uar%d[SC_SHARDS]; size_t ulim%d[SC_SHARDS];", id, id, id, id);
    cgg_s_members(g, n); /* codegen_group.c */
}

/* ---- per-node code --------------------------------------------------------- */

int g_ctx_index(const st_program *p, const st_decl *c)
{
    for (int i = 0; i < p->ncontexts; i++)
        if (p->contexts[i] == c)
            return i;
    assert(!"node without a context");
    return 0;
}




/* ---- windows ------------------------------------------------------------ */




/* ---- state, joins, unions, outputs --------------------------------------- */





static void emit_source(cg *g, const st_node *n)
{
    int id = n->id;
    lw_node *l = &g->plan->nodes[id];
    bool ints = n->type->kind == TY_INT;
    emit(g, 0, "static void sc_node%d(%s *D, st_job *job) /* source %s */", id, ctx_d(n->ctx), n->source->name);
    emit(g, 0, "{");
    emit(g, 1, "const st_input *in = &job->inputs[%d];", l->src_index);
    emit(g, 1, "D->d%d.nparts = in->nblocks;", id);
    emit(g, 1, "D->d%d.parts = st_arena_alloc(job->arenas[0], sizeof(st_part) * (size_t)(in->nblocks + 1));", id);
    if (n->type->kind == TY_PAIR) {   /* a keyed source: each record KEY<TAB>VALUE cut into its pair */
        const char *t = ct(g, n->type);
        emit(g, 1, "for (int b = 0; b < in->nblocks; b++) {");
        emit(g, 1, "    %s *e = st_arena_alloc(job->arenas[0], sizeof *e * (size_t)(in->blocks[b].n + 1));", t);
        emit(g, 1, "    for (int64_t r = 0; r < in->blocks[b].n; r++)");
        emit(g, 1, "        st_pair_split(in->blocks[b].recs[r], &e[r]._1, &e[r]._2);");
        emit(g, 1, "    D->d%d.parts[b] = (st_part){ e, in->blocks[b].n, in->blocks[b].n };", id);
        emit(g, 1, "}");
    } else {
        emit(g, 1, "for (int b = 0; b < in->nblocks; b++)");
        emit(g, 1, "    D->d%d.parts[b] = (st_part){ (void *)(uintptr_t)in->blocks[b].%s, in->blocks[b].n, "
                   "in->blocks[b].n };", id, ints ? "ints" : "recs");
    }
    emit(g, 1, "D->v%d = true;", id);
    emit(g, 0, "}");
    sb_puts(&g->out, "\n");
}


/* ---- checkpoints ----------------------------------------------------------- */







/* ---- the file ------------------------------------------------------------ */

/* everything that does not depend on the program is in st_gen.h */
static const char prelude[] = "#include \"st_gen.h\"\n\n";

/* ---- the operator families ------------------------------------------------ */

/* chains that end in a keyed stage keep its per-worker maps */
static void chain_destroy(cg *g, const st_node *n)
{
    if (agg_of(n->op) == AGG_KEYED)
        ck_destroy(g, n);
}

static const cg_family fam_source = { "source", emit_source, NULL, NULL };
static const cg_family fam_chain = { "chain", emit_chain_node, NULL, chain_destroy };
static const cg_family fam_window = { "window", emit_window_node, cw_create, cw_destroy };
static const cg_family fam_state = { "state", emit_update_state, cs_create, cs_destroy };
static const cg_family fam_mapstate = { "mapWithState", cm_emit_node, cm_create, cm_destroy };
static const cg_family fam_snapshots = { "stateSnapshots", cm_emit_node, NULL, NULL };
static const cg_family fam_join = { "join", emit_join, NULL, NULL };
static const cg_family fam_union = { "union", emit_union, NULL, NULL };
static const cg_family fam_repartition = { "repartition", emit_repartition, NULL, NULL };
static const cg_family fam_output = { "output", emit_output, NULL, NULL };
static const cg_family fam_sink = { "sink", emit_sink, NULL, NULL };

const cg_family *cg_family_of(st_opkind op)
{
    switch (op) {
    case OP_SOURCE: return &fam_source;
    case OP_MAP: case OP_FLATMAP: case OP_FILTER: case OP_MAPVALUES: case OP_FLATMAPVALUES:
    case OP_COUNT: case OP_COUNTBYVALUE: case OP_REDUCE: case OP_REDUCEBYKEY:
        return &fam_chain;
    case OP_WINDOW: case OP_COUNTBYWINDOW: case OP_REDUCEBYWINDOW: case OP_REDUCEBYKEYANDWINDOW:
    case OP_COUNTBYVALUEANDWINDOW:
        return &fam_window;
    case OP_UPDATESTATEBYKEY: return &fam_state;
    case OP_MAPWITHSTATE: return &fam_mapstate;
    case OP_STATESNAPSHOTS: return &fam_snapshots;
    case OP_JOIN: case OP_LEFTOUTERJOIN: case OP_RIGHTOUTERJOIN: case OP_FULLOUTERJOIN:
        return &fam_join;
    case OP_UNION: return &fam_union;
    case OP_REPARTITION: return &fam_repartition;
    case OP_GROUPBYKEY: return &cgb_family; /* codegen_gbk.c */
    case OP_COGROUP: case OP_COMBINEBYKEY: case OP_SORTBYKEY: case OP_SORTBY: case OP_TAKE: case OP_DISTINCT:
        return &cgg_family; /* codegen_group.c */
    default:
        if (op >= OP_PRINT)   /* an output: its ST_SINK row, with an ST_SINK_IMPL one an st_sink's */
            return cg_sink_impl(op) ? &fam_sink : &fam_output;
    }
    assert(!"operator without a family");
    return &fam_chain;
}

static void emit_context(cg *g, int ci)
{
    const st_program *p = g->p;
    const st_decl *c = p->contexts[ci];
    emit(g, 0, "/* ==== context %s ==== */", c->name);
    for (int i = 0; i < p->nnodes; i++)
        if (g->plan->order[i]->ctx == c)
            emit_node_types(g, g->plan->order[i]);
    emit(g, 0, "typedef struct sc_S%d sc_S%d;", ci, ci);
    emit(g, 0, "/* one batch's datasets */");
    emit(g, 0, "typedef struct sc_D%d {", ci);
    emit(g, 1, "sc_S%d *S;", ci);
    emit(g, 1, "int rc;");
    for (int i = 0; i < p->nnodes; i++)
        if (g->plan->order[i]->ctx == c)
            emit_d_members(g, g->plan->order[i]);
    emit(g, 0, "} sc_D%d;", ci);
    emit(g, 0, "/* state kept across batches */");
    emit(g, 0, "struct sc_S%d {", ci);
    emit(g, 1, "int unused;");
    for (int i = 0; i < p->nnodes; i++)
        if (g->plan->order[i]->ctx == c)
            emit_s_members(g, g->plan->order[i]);
    emit(g, 0, "};");
    sb_puts(&g->out, "\n");
    for (int i = 0; i < p->nnodes; i++) {
        const st_node *n = g->plan->order[i];
        lw_node *l = &g->plan->nodes[n->id];
        if (n->ctx != c || l->kind == LW_DEAD || l->kind == LW_FUSED)
            continue;
        cg_family_of(n->op)->node(g, n);
    }
    /* run_batch: every node in topological order */
    emit(g, 0, "static int sc_run%d(void *state, st_job *job)", ci);
    emit(g, 0, "{");
    emit(g, 1, "sc_D%d D;", ci);
    emit(g, 1, "memset(&D, 0, sizeof D);");
    emit(g, 1, "D.S = state;");
    for (int i = 0; i < p->nnodes; i++) {
        const st_node *n = g->plan->order[i];
        lw_node *l = &g->plan->nodes[n->id];
        if (n->ctx == c && l->kind != LW_DEAD && l->kind != LW_FUSED)
            emit(g, 1, "sc_node%d(&D, job);", n->id);
    }
    emit(g, 1, "return D.rc;");
    emit(g, 0, "}");
    emit(g, 0, "static void *sc_create%d(void)", ci);
    emit(g, 0, "{");
    emit(g, 1, "sc_S%d *S = calloc(1, sizeof *S);", ci);
    emit(g, 1, "if (!S)");
    emit(g, 1, "    return NULL;");
    for (int i = 0; i < p->nnodes; i++) {
        const st_node *n = g->plan->order[i];
        const cg_family *f = cg_family_of(n->op);
        if (f->create && n->ctx == c && g->plan->nodes[n->id].kind != LW_DEAD &&
            g->plan->nodes[n->id].kind != LW_FUSED)
            f->create(g, n);
    }
    emit(g, 1, "return S;");
    emit(g, 0, "}");
    emit(g, 0, "static void sc_destroy%d(void *state)", ci);
    emit(g, 0, "{");
    emit(g, 1, "sc_S%d *S = state;", ci);
    emit(g, 1, "if (!S)");
    emit(g, 1, "    return;");
    for (int i = 0; i < p->nnodes; i++) {
        const st_node *n = g->plan->order[i];
        const cg_family *f = cg_family_of(n->op);
        if (f->destroy && n->ctx == c && g->plan->nodes[n->id].kind != LW_DEAD &&
            g->plan->nodes[n->id].kind != LW_FUSED)
            f->destroy(g, n);
    }
    emit(g, 1, "free(S);");
    emit(g, 0, "}");
    sb_puts(&g->out, "\n");
    emit_save(g, ci);
    emit_load(g, ci);
    sb_puts(&g->out, "\n");

    /* sources, in the order of lw_node.src_index: their options first */
    int nsrc = 0;
    for (int i = 0; i < p->nnodes; i++) {
        const st_node *n = g->plan->order[i];
        if (n->op != OP_SOURCE || n->ctx != c || g->plan->nodes[n->id].kind == LW_DEAD || !n->source->nopts)
            continue;
        const st_decl *s = n->source;
        emit(g, 0, "static %sst_source_opt sc_opt%d[] = {", p->nparams ? "" : "const ", n->id);
        for (int o = 0; o < s->nopts; o++) {
            const st_srcopt *so = &s->opts[o];
            char v[64];
            emit(g, 1, "{ %s, %s, INT64_C(%lld) },", c_lit(g, so->name, strlen(so->name)),
                 so->str ? c_lit(g, so->str, strlen(so->str)) : "NULL", (long long)so->num);
            if (so->param)
                sb_printf(&g->bind, "    sc_opt%d[%d].%s = %s;\n", n->id, o, so->str ? "str" : "num",
                          cgx_param_var(so->param, v, sizeof v, false));
        }
        emit(g, 0, "};");
    }
    for (int i = 0; i < p->nnodes; i++) {
        const st_node *n = g->plan->order[i];
        if (n->op != OP_SOURCE || n->ctx != c || g->plan->nodes[n->id].kind == LW_DEAD)
            continue;
        if (nsrc++ == 0)
            emit(g, 0, "static %sst_source_desc sc_src%d[] = {", p->nparams ? "" : "const ", ci);
        const st_decl *s = n->source;
        static const char *const kinds[] = {
#define ST_SOURCE(ID, NAME, ELEM, REPLAY, LISTED, RECEIVER) "ST_SRC_" #ID,
#include "st_kinds.def"
        };
        static const char *const recvs[] = {
#define ST_SOURCE(ID, NAME, ELEM, REPLAY, LISTED, RECEIVER) "&st_recv_" #RECEIVER,
#include "st_kinds.def"
        };
        emit(g, 1, "{ %s, %s, %s, %lld, %s, INT64_C(%lld), %s, INT64_C(%lld), %d, %s, %s, %s, %d, %s },",
             c_lit(g, s->name, strlen(s->name)), kinds[s->src_kind], s->host ? c_lit(g, s->host, strlen(s->host)) : "NULL",
             (long long)s->port, s->path ? c_lit(g, s->path, strlen(s->path)) : "NULL", (long long)s->rate,
             s->loop ? "true" : "false", (long long)s->max_rate_v, s->storage, s->recv_fn ? s->recv_fn : "NULL",
             s->recv_arg ? c_lit(g, s->recv_arg, strlen(s->recv_arg)) : "NULL",
             s->nopts ? cg_str(g, "sc_opt%d", n->id) : "NULL", s->nopts, recvs[s->src_kind]);
        static const char *const fields[SA_COUNT_] = { "host", "port", "path", "rate", "loop", "max_rate" };
        for (int a = 0; a < SA_COUNT_; a++) {
            char v[64];
            if (s->arg_param[a])
                sb_printf(&g->bind, "    sc_src%d[%d].%s = %s;\n", ci, nsrc - 1, fields[a],
                          cgx_param_var(s->arg_param[a], v, sizeof v, a == SA_PORT));
        }
    }
    if (nsrc)
        emit(g, 0, "};");
    emit(g, 0, "#define SC_NSRC%d %d", ci, nsrc);
    emit(g, 0, "#define SC_SRC%d %s", ci, nsrc ? cg_str(g, "sc_src%d", ci) : "NULL");
    emit_sink_descs(g, ci);
    sb_puts(&g->out, "\n");
}

int codegen_emit(const st_program *p, lw_plan *plan, const codegen_opts *opts, FILE *f)
{
    cg g = { .p = p, .opts = opts, .plan = plan };
    g.c_name = cg_str(&g, "%s.c", opts->src_path);
    cg *gp = &g;

    const char *base = strrchr(opts->src_path, '/');
    base = base ? base + 1 : opts->src_path;
    char *prog = cg_str(gp, "%s", base);
    char *dot = strrchr(prog, '.');
    if (dot && dot != prog)
        *dot = '\0';

    emit(gp, 0, "/* Generated by streamc %s from %s. DO NOT EDIT. */", ST_VERSION_STRING, base);
    sb_puts(&g.out, prelude);
    /* before the user's code, which may use the types' names */
    emit_types(gp);
    cw_emit_slot_types(gp);
    cr_emit_consts(gp);
    cr_emit_rdd_types(gp);

    /* user C code, in program order */
    for (int i = 0; i < p->ndecls; i++) {
        const st_decl *d = p->decls[i];
        if (d->kind != DECL_CBLOCK)
            continue;
        emit(gp, 0, "/* ---- user code ---- */");
        if (opts->line_directives)
            sb_printf(&g.out, "#line %d %s\n", d->code_line, c_lit(gp, opts->src_path, strlen(opts->src_path)));
        sb_puts(&g.out, d->code);
        sb_puts(&g.out, "\n");
        line_end(gp);
    }
    cgx_globals(p, &g.out);
    cgt_globals(p, &g.out, &g.bind);

    for (int i = 0; i < p->ndecls; i++) {
        const st_decl *d = p->decls[i];
        if (d->kind != DECL_EXTERN || !d->ret_type)
            continue;
        bool known = true;
        for (int k = 0; k < d->nptypes; k++)
            known = known && d->param_types[k];
        if (!known)
            continue;
        sbuf b = { 0 };
        sb_printf(&b, "%s %s(", cr_cname(gp, d->ret_type), d->name);
        for (int k = 0; k < d->nptypes; k++)
            sb_printf(&b, "%s%s", k ? ", " : "", cr_cname(gp, d->param_types[k]));
        sb_puts(&b, d->nptypes ? ");" : "void);");
        emit(gp, 0, "%s /* extern */", b.p);
        sb_free(&b);
    }
    for (int i = 0; i < p->nnodes; i++)
        if (g.plan->order[i]->op == OP_FOREACHRDD && g.plan->nodes[g.plan->order[i]->id].kind != LW_DEAD)
            emit(gp, 0, "void %s(const %s *rdd); /* foreachRDD */", g.plan->order[i]->cfunc_name,
                 cr_rdd_name(gp, g.plan->order[i]->type));
    for (int i = 0; i < p->ndecls; i++)
        if (p->decls[i]->kind == DECL_SOURCE && p->decls[i]->recv_fn)
            emit(gp, 0, "void %s(st_receiver *r, const char *arg); /* receiver */", p->decls[i]->recv_fn);
    sb_puts(&gp->out, "\n");

    for (int ci = 0; ci < p->ncontexts; ci++)
        emit_context(gp, ci);

    emit(gp, 0, "static const st_context_desc sc_contexts[] = {");
    for (int ci = 0; ci < p->ncontexts; ci++) {
        const st_decl *c = p->contexts[ci];
        emit(gp, 1, "{ %s, INT64_C(%lld), INT64_C(%lld), %s, %d, SC_NSRC%d, SC_SRC%d, INT64_C(%lld), sc_create%d, "
                    "sc_run%d, sc_destroy%d, UINT64_C(0x%016llx), sc_save%d, sc_load%d, %s, INT64_C(%lld) },",
             c_lit(gp, c->name, strlen(c->name)), (long long)c->batch_ms, (long long)c->block_ms,
             c->checkpoint ? c_lit(gp, c->checkpoint, strlen(c->checkpoint)) : "NULL", c->workers, ci, ci,
             (long long)lw_context_drain(g.plan, c), ci, ci, ci, (unsigned long long)state_hash(gp, c), ci, ci, cg_sinks_of(gp, ci),
             (long long)c->initial_rate);
    }
    emit(gp, 0, "};");
    codegen_view(p, g.plan, &gp->out);
    cgx_bind(p, &g.out, &g.bind);
    char tail[160], ttail[64];
    emit(gp, 0, "static const st_program_desc sc_program = { %s, %d, sc_contexts%s%s };", c_lit(gp, prog, strlen(prog)),
         p->ncontexts, cgx_desc_tail(p, tail, sizeof tail), cgt_desc_tail(p, ttail, sizeof ttail));
    sb_puts(&gp->out, "\n");
    emit(gp, 0, "int main(int argc, char **argv)");
    emit(gp, 0, "{");
    emit(gp, 1, "return st_main_view(&sc_program, &sc_view, argc, argv);");
    emit(gp, 0, "}");

    int rc = fwrite(g.out.p, 1, g.out.n, f) == g.out.n ? 0 : -1;
    sb_free(&g.out);
    sb_free(&g.bind);
    for (int i = 0; i < g.npool; i++)
        free(g.pool[i]);
    free(g.pool);
    free(g.locals);
    return rc;
}
