/* codegen.c: emits the C of a checked program (see codegen.h, lower.h).
 *
 * The generated file is self-contained apart from streamrt.h/st_map.h and
 * libstreamrt.a. Everything in it is static except main(); identifiers
 * are sc_-prefixed and derived from node ids and type ids, never from
 * user names, so a stream called int or main cannot clash. User names
 * appear only in comments (they are identifiers, so they cannot end one)
 * and in string literals, which are escaped byte by byte.
 *
 * Layout of the output, in order:
 *   banner, includes and the prelude (helpers every program may use)
 *   user %{ %} blocks, as written
 *   one typedef per interned type (sc_T<id>) with hash/eq/fmt/copy/tostr
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
#include "codegen_ext.h"
#include "lower.h"
#include "sbuf.h"

#define HASH_SEED "0x5eedULL"

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

static void line_begin(cg *g, int indent, st_loc loc)
{
    if (!g->opts->line_directives)
        return;
    (void)indent;
    sb_printf(&g->out, "#line %d %s\n", loc.first_line,
              c_lit(g, g->opts->src_path, strlen(g->opts->src_path)));
}

static void line_end(cg *g)
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
static bool has_strings(const st_type *t)
{
    return cr_needs_copy(t);
}

/* Each type is one macro line of st_gen.h, which defines sc_T<id> and its
 * typed functions (hash, eq, fmt, copy, ser/de, cmp); tuples of more than
 * two and types without a C form: codegen_rec.c. */
static void emit_types(cg *g)
{
    emit(g, 0, "/* ---- types ---- */");
    for (int i = 0; i < g->p->ntypes; i++) {
        const st_type *t = g->p->types[i];
        if (cr_emit_type(g, t))
            continue; /* tuples and lists: codegen_rec.c */
        char buf[256];
        type_str(t, buf, sizeof buf);
        int id = t->id;
        switch (t->kind) {
        case TY_STRING: emit(g, 0, "ST_GEN_STRING(%d) /* %s */", id, buf); break;
        case TY_INT: emit(g, 0, "ST_GEN_INT(%d) /* %s */", id, buf); break;
        case TY_FLOAT: emit(g, 0, "ST_GEN_FLOAT(%d) /* %s */", id, buf); break;
        case TY_BOOL: emit(g, 0, "ST_GEN_BOOL(%d) /* %s */", id, buf); break;
        case TY_OPTION:
            emit(g, 0, "ST_GEN_OPTION(%d, %d) /* %s */", id, t->a->id, buf);
            emit(g, 0, "typedef sc_T%d %s;", id, cr_cname(g, t));
            break;
        default:
            continue;
        }
    }
    sb_puts(&g->out, "\n");
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
static char *cx_lambda(ex *x, const st_expr *lam, const char *a0, const char *a1)
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

/* Emits the fused operators ops[0..n) on the element `*cur` of type `*ty`,
 * opening a loop per flatMap; returns how many loops it opened (the
 * caller closes them after its sink). */
static int emit_ops(cg *g, st_node **ops, int n, const char **cur, const st_type **ty, int *indent)
{
    int loops = 0;
    for (int k = 0; k < n; k++) {
        st_node *op = ops[k];
        ex x = { .g = g, .indent = *indent, .fail = "continue", .ar = "ar" };
        int id = ++g->tmp;
        line_begin(g, *indent, op->fn->loc);
        switch (op->op) {
        case OP_MAP: {
            char *v = cx_lambda(&x, op->fn, *cur, NULL);
            emit(g, *indent, "%s sc_x%d = %s;", ct(g, op->type), id, v);
            break;
        }
        case OP_FILTER: {
            char *v = cx_lambda(&x, op->fn, *cur, NULL);
            emit(g, *indent, "if (!(%s))", v);
            emit(g, *indent, "    continue;");
            break;
        }
        case OP_MAPVALUES: {
            char *v = cx_lambda(&x, op->fn, cg_str(g, "(%s)._2", *cur), NULL);
            emit(g, *indent, "%s sc_x%d = { (%s)._1, %s };", ct(g, op->type), id, *cur, v);
            break;
        }
        case OP_FLATMAP:
        case OP_FLATMAPVALUES: {
            bool values = op->op == OP_FLATMAPVALUES;
            /* split() straight into the loop: no list is made */
            const st_expr *body = op->fn->a;
            x.split_iter = body->kind == EX_CALL && body->ref == REF_BUILTIN && body->builtin == BI_SPLIT;
            char *v = cx_lambda(&x, op->fn, values ? cg_str(g, "(%s)._2", *cur) : *cur, NULL);
            if (body->kind == EX_CALL && body->ref == REF_BUILTIN && body->builtin == BI_SPLIT) {
                emit(g, *indent, "st_split sc_it%d = %s;", id, v);
                emit(g, *indent, "st_str sc_p%d;", id);
                emit(g, *indent, "while (st_split_next(&sc_it%d, &sc_p%d)) {", id, id);
            } else {
                emit(g, *indent, "%s sc_it%d = %s;", ct(g, body->type), id, v);
                emit(g, *indent, "for (int64_t sc_i%d = 0; sc_i%d < sc_it%d.n; sc_i%d++) {", id, id, id, id);
                emit(g, *indent, "    %s sc_p%d = sc_it%d.v[sc_i%d];", ct(g, body->type->a), id, id, id);
            }
            (*indent)++;
            loops++;
            if (values)
                emit(g, *indent, "%s sc_x%d = { (%s)._1, sc_p%d };", ct(g, op->type), id, *cur, id);
            else
                emit(g, *indent, "%s sc_x%d = sc_p%d;", ct(g, op->type), id, id);
            break;
        }
        default:
            assert(!"not a narrow operator");
        }
        line_end(g);
        if (op->op != OP_FILTER) {
            *cur = cg_str(g, "sc_x%d", id);
            emit(g, *indent, "(void)%s;", *cur);
        }
        *ty = op->type;
    }
    return loops;
}

static void close_loops(cg *g, int loops, int *indent)
{
    while (loops-- > 0) {
        (*indent)--;
        emit(g, *indent, "}");
    }
}

/* The combining function of an aggregation: the user's (inverse when
 * inv), or + / - on counts. Returns a C expression. */
static char *combine(cg *g, int indent, const st_node *n, bool inv, const char *a, const char *b, const char *fail)
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

typedef enum agg_kind { AGG_NONE, AGG_COUNT, AGG_REDUCE, AGG_KEYED } agg_kind;

static agg_kind agg_of(st_opkind op)
{
    switch (op) {
    case OP_COUNT: case OP_COUNTBYWINDOW: return AGG_COUNT;
    case OP_REDUCE: case OP_REDUCEBYWINDOW: return AGG_REDUCE;
    case OP_COUNTBYVALUE: case OP_REDUCEBYKEY: case OP_REDUCEBYKEYANDWINDOW:
    case OP_COUNTBYVALUEANDWINDOW: return AGG_KEYED;
    default: return AGG_NONE;
    }
}

static bool is_window_op(st_opkind op)
{
    return op == OP_WINDOW || op == OP_COUNTBYWINDOW || op == OP_REDUCEBYWINDOW ||
           op == OP_REDUCEBYKEYANDWINDOW || op == OP_COUNTBYVALUEANDWINDOW;
}

static bool windowed_inverse(const st_node *n)
{
    return n->op == OP_COUNTBYVALUEANDWINDOW || (n->op == OP_REDUCEBYKEYANDWINDOW && n->fn2);
}

/* key and value types of a keyed aggregation */
static const st_type *agg_key(const st_node *n)
{
    return (n->op == OP_COUNTBYVALUE || n->op == OP_COUNTBYVALUEANDWINDOW) ? n->in->type : n->in->type->a;
}

static const st_type *agg_val(const st_node *n)
{
    return n->type->b;
}

/* ---- per-node declarations (struct members and map types) ----------------- */

/* The map type NAME from key type k to value type VT: string keys get the
 * map that keeps their first bytes inline (st_map.h, st_kinl). */
static void emit_map_type(cg *g, const char *name, const st_type *k, const char *vt)
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
}

static void emit_s_members(cg *g, const st_node *n)
{
    lw_node *l = &g->plan->nodes[n->id];
    int id = n->id;
    if (l->kind == LW_DEAD || l->kind == LW_FUSED)
        return;
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
}

/* ---- per-node code --------------------------------------------------------- */

static int g_ctx_index(const st_program *p, const st_decl *c)
{
    for (int i = 0; i < p->ncontexts; i++)
        if (p->contexts[i] == c)
            return i;
    assert(!"node without a context");
    return 0;
}

/* The dataset struct of a node's context. */
#define ctx_d(c) cg_str(g, "sc_D%d", g_ctx_index(g->p, (c)))

/* Opens the partition loop of a chain-taking node: root partition i, or
 * with ranges (keyed stages), range i of the root's partitions. */
static void open_part_loop(cg *g, const lw_node *l, int indent, const char *ranges)
{
    const st_node *r = l->root;
    if (ranges) {
        emit(g, indent, "const sc_rng *rg = &D->%s[i];", ranges);
        emit(g, indent, "const st_part *ip = &D->d%d.parts[rg->part];", r->id);
    } else {
        emit(g, indent, "const st_part *ip = &D->d%d.parts[i];", r->id);
    }
    emit(g, indent, "const %s *in = (const %s *)ip->data;", ct(g, r->type), ct(g, r->type));
    if (ranges)
        emit(g, indent, "for (int64_t r = rg->lo; r < rg->hi; r++) {");
    else
        emit(g, indent, "for (int64_t r = 0; r < ip->n; r++) {");
    emit(g, indent + 1, "%s sc_x0 = in[r];", ct(g, r->type));
    emit(g, indent + 1, "(void)sc_x0;");
}

/* The sink of a chain for node n; cur is the element. */
static void emit_sink(cg *g, const st_node *n, const char *cur, int indent)
{
    int id = n->id;
    switch (agg_of(n->op)) {
    case AGG_NONE:
        emit(g, indent, "*(%s *)st_part_push(op, sizeof(%s), ar) = %s;", ct(g, n->type), ct(g, n->type), cur);
        break;
    case AGG_COUNT:
        emit(g, indent, "cnt++;");
        break;
    case AGG_REDUCE: {
        emit(g, indent, "if (!has) {");
        emit(g, indent, "    acc = %s;", cur);
        emit(g, indent, "    has = true;");
        emit(g, indent, "} else {");
        char *v = combine(g, indent + 1, n, false, "acc", cur, "continue");
        emit(g, indent, "    acc = %s;", v);
        emit(g, indent, "}");
        break;
    }
    case AGG_KEYED: {
        bool byvalue = n->op == OP_COUNTBYVALUE || n->op == OP_COUNTBYVALUEANDWINDOW;
        const char *k = byvalue ? cur : cg_str(g, "(%s)._1", cur);
        const char *v = byvalue ? "INT64_C(1)" : cg_str(g, "(%s)._2", cur);
        const st_type *kt = agg_key(n);
        emit(g, indent, "{");
        emit(g, indent, "    bool ins;");
        emit(g, indent, "    const uint64_t h = sc_hash_%d(%s, %s);", kt->id, k, HASH_SEED);
        emit(g, indent, "    sc_m%d_ent *e = sc_m%d_upsert(&m[((h >> 32) * npart) >> 32].m, %s, h, &ins);", id, id, k);
        emit(g, indent, "    if (ins) {");
        emit(g, indent, "        e->v.v = %s;", v);
        emit(g, indent, "        e->v.stamp = base + pos;");
        emit(g, indent, "    } else {");
        emit(g, indent, "        if (base + pos < e->v.stamp)");
        emit(g, indent, "            e->v.stamp = base + pos;");
        char *c = combine(g, indent + 2, n, false, "e->v.v", v, "continue");
        emit(g, indent, "        e->v.v = %s;", c);
        emit(g, indent, "    }");
        emit(g, indent, "    pos++;");
        emit(g, indent, "}");
        break;
    }
    }
}

/* Emits the per-partition task and the node function of a chain-taking
 * node (a materialized narrow operator or an aggregation). */
static void emit_chain_node(cg *g, const st_node *n)
{
    lw_node *l = &g->plan->nodes[n->id];
    int id = n->id;
    agg_kind a = agg_of(n->op);
    bool to_a = a != AGG_NONE && is_window_op(n->op);
    const char *dst = to_a ? cg_str(g, "a%d", id) : cg_str(g, "d%d", id);

    emit(g, 0, "static void sc_task%d(st_job *job, void *arg, int i, int w)", id);
    emit(g, 0, "{");
    emit(g, 1, "%s *D = arg;", ctx_d(n->ctx));
    emit(g, 1, "st_arena *ar = job->arenas[w];");
    emit(g, 1, "(void)ar;");
    switch (a) {
    case AGG_NONE: emit(g, 1, "st_part *op = &D->%s.parts[i];", dst); break;
    case AGG_COUNT: emit(g, 1, "int64_t cnt = 0;"); break;
    case AGG_REDUCE:
        emit(g, 1, "bool has = false;");
        emit(g, 1, "%s acc;", ct(g, n->type));
        emit(g, 1, "memset(&acc, 0, sizeof acc);");
        break;
    case AGG_KEYED:
        /* this worker's partitions; a key's partition is its hash's top
           bits scaled to [0, npart) */
        emit(g, 1, "const uint64_t npart = (uint64_t)D->S->npart%d;", id);
        emit(g, 1, "sc_pm%d *m = &D->S->loc%d[(uint64_t)w * npart];", id, id);
        emit(g, 1, "const int64_t base = (int64_t)i << 40;");
        emit(g, 1, "int64_t pos = 0;");
        break;
    }
    open_part_loop(g, l, 1, a == AGG_KEYED ? cg_str(g, "rg%d", id) : NULL);
    int indent = 2;
    const char *cur = "sc_x0";
    const st_type *ty = l->root->type;
    int loops = emit_ops(g, l->chain, l->nchain, &cur, &ty, &indent);
    if (a == AGG_NONE) {
        st_node *self = (st_node *)n;
        loops += emit_ops(g, &self, 1, &cur, &ty, &indent);
    }
    emit_sink(g, n, cur, indent);
    close_loops(g, loops, &indent);
    emit(g, 1, "}");
    if (a == AGG_COUNT)
        emit(g, 1, "D->cnt%d[i] = cnt;", id);
    if (a == AGG_REDUCE) {
        emit(g, 1, "D->has%d[i] = has;", id);
        emit(g, 1, "D->acc%d[i] = acc;", id);
    }
    emit(g, 0, "}");
    sb_puts(&g->out, "\n");

    if (a == AGG_KEYED) {
        /* phase 2, partition j: every other worker's partition j merged into
           worker 0's, whose entries then go in order of first appearance
           into srt[j] */
        emit(g, 0, "static void sc_merge%d(st_job *job, void *arg, int j, int w)", id);
        emit(g, 0, "{");
        emit(g, 1, "%s *D = arg;", ctx_d(n->ctx));
        emit(g, 1, "st_arena *ar = job->arenas[w];");
        emit(g, 1, "const int nl = D->S->nloc%d, np = D->S->npart%d;", id, id);
        emit(g, 1, "sc_m%d *m = &D->S->loc%d[j].m;", id, id);
        emit(g, 1, "for (int i = 1; i < nl; i++) {");
        emit(g, 2, "const sc_m%d *src = &D->S->loc%d[(size_t)i * (size_t)np + (size_t)j].m;", id, id);
        emit(g, 2, "for (int64_t q = 0; q < src->n; q++) {");
        emit(g, 3, "const sc_m%d_ent *s = &src->ents[q];", id);
        emit(g, 3, "bool ins;");
        emit(g, 3, "sc_m%d_ent *e = sc_m%d_upsert_ent(m, s, &ins);", id, id);
        emit(g, 3, "if (ins) {");
        emit(g, 3, "    e->v = s->v;");
        emit(g, 3, "} else {");
        emit(g, 3, "    if (s->v.stamp < e->v.stamp)");
        emit(g, 3, "        e->v.stamp = s->v.stamp;");
        char *c = combine(g, 4, n, false, "e->v.v", "s->v.v", "continue");
        emit(g, 3, "    e->v.v = %s;", c);
        emit(g, 3, "}");
        emit(g, 2, "}");
        emit(g, 1, "}");
        emit(g, 1, "st_stamped *o = st_arena_alloc(ar, sizeof *o * (size_t)(m->n + 1));");
        emit(g, 1, "bool sorted = true;");
        emit(g, 1, "for (int64_t q = 0; q < m->n; q++) {");
        emit(g, 2, "o[q] = (st_stamped){ m->ents[q].v.stamp, &m->ents[q] };");
        emit(g, 2, "sorted = sorted && (q == 0 || o[q - 1].stamp < o[q].stamp);");
        emit(g, 1, "}");
        emit(g, 1, "if (!sorted)");
        emit(g, 1, "    st_sort_stamped(o, st_arena_alloc(ar, sizeof *o * (size_t)(m->n + 1)), m->n);");
        emit(g, 1, "D->srt%d[j] = o;", id);
        emit(g, 0, "}");
        emit(g, 0, "static void sc_locfree%d(sc_S%d *S)", id, g_ctx_index(g->p, n->ctx));
        emit(g, 0, "{");
        emit(g, 1, "for (int k = 0; k < S->nloc%d * S->npart%d; k++)", id, id);
        emit(g, 1, "    sc_m%d_free(&S->loc%d[k].m);", id, id);
        emit(g, 1, "free(S->loc%d);", id);
        emit(g, 1, "S->loc%d = NULL;", id);
        emit(g, 1, "S->nloc%d = S->npart%d = 0;", id, id);
        emit(g, 0, "}");
        /* phase 3, output part i: its stretch of the merge of the sorted
           partitions; short string keys are copied out of the map entries
           into one buffer, so that what reads them next does not meet a
           cache miss per key in the input */
        const st_type *kt = n->type->a;
        emit(g, 0, "static void sc_out%d(st_job *job, void *arg, int i, int w)", id);
        emit(g, 0, "{");
        emit(g, 1, "%s *D = arg;", ctx_d(n->ctx));
        emit(g, 1, "const int np = D->S->npart%d;", id);
        emit(g, 1, "const st_part *op = &D->%s.parts[i];", dst);
        emit(g, 1, "int64_t at[SC_MAX_PARTS];");
        emit(g, 1, "st_stamped_seek(D->srt%d, D->ns%d, np, (int64_t)i * D->%s.parts[0].cap, at);", id, id, dst);
        emit(g, 1, "%s *o = (%s *)op->data;", ct(g, n->type), ct(g, n->type));
        if (kt->kind == TY_STRING)
            emit(g, 1, "char *kb = st_arena_alloc(job->arenas[w], 16 * (size_t)op->n + 1);");
        else
            emit(g, 1, "(void)job, (void)w;");
        emit(g, 1, "for (int64_t q = 0; q < op->n; q++) {");
        emit(g, 2, "const sc_m%d_ent *e = st_stamped_next(D->srt%d, D->ns%d, np, at)->p;", id, id, id);
        emit(g, 2, "o[q]._1 = e->k;");
        if (kt->kind == TY_STRING) {
            emit(g, 2, "if (e->k.n <= 16) {");
            emit(g, 3, "st_kinl_bytes(e->ki, e->k.n, kb);");
            emit(g, 3, "o[q]._1.p = kb;");
            emit(g, 3, "kb += e->k.n;");
            emit(g, 2, "}");
        }
        emit(g, 2, "o[q]._2 = e->v.v;");
        emit(g, 1, "}");
        emit(g, 0, "}");
        sb_puts(&g->out, "\n");
    }

    emit(g, 0, "static void sc_%s%d(%s *D, st_job *job) /* %s */", to_a ? "agg" : "node", id, ctx_d(n->ctx),
         op_name(n->op));
    emit(g, 0, "{");
    emit(g, 1, "if (!D->v%d)", l->root->id);
    emit(g, 1, "    return;");
    emit(g, 1, "st_arena *ar0 = job->arenas[0];");
    if (a != AGG_KEYED)   /* keyed stages work on ranges (sc_ranges) */
        emit(g, 1, "const int np = D->d%d.nparts;", l->root->id);
    switch (a) {
    case AGG_NONE:
        emit(g, 1, "D->%s.nparts = np;", dst);
        emit(g, 1, "D->%s.parts = st_arena_alloc(ar0, sizeof(st_part) * (size_t)(np + 1));", dst);
        emit(g, 1, "memset(D->%s.parts, 0, sizeof(st_part) * (size_t)(np + 1));", dst);
        emit(g, 1, "st_parallel_for(job, np, sc_task%d, D);", id);
        break;
    case AGG_COUNT:
        emit(g, 1, "D->cnt%d = st_arena_alloc(ar0, sizeof(int64_t) * (size_t)(np + 1));", id);
        emit(g, 1, "st_parallel_for(job, np, sc_task%d, D);", id);
        emit(g, 1, "int64_t total = 0;");
        emit(g, 1, "for (int i = 0; i < np; i++)");
        emit(g, 1, "    total += D->cnt%d[i];", id);
        emit(g, 1, "D->%s.nparts = 1;", dst);
        emit(g, 1, "D->%s.parts = st_arena_alloc(ar0, sizeof(st_part));", dst);
        emit(g, 1, "memset(D->%s.parts, 0, sizeof(st_part));", dst);
        emit(g, 1, "*(int64_t *)st_part_push(&D->%s.parts[0], sizeof(int64_t), ar0) = total;", dst);
        break;
    case AGG_REDUCE: {
        emit(g, 1, "D->has%d = st_arena_alloc(ar0, sizeof(bool) * (size_t)(np + 1));", id);
        emit(g, 1, "D->acc%d = st_arena_alloc(ar0, sizeof(%s) * (size_t)(np + 1));", id, ct(g, n->type));
        emit(g, 1, "st_parallel_for(job, np, sc_task%d, D);", id);
        emit(g, 1, "const int w = 0;");
        emit(g, 1, "st_arena *ar = ar0;");
        emit(g, 1, "(void)w;");
        emit(g, 1, "bool has = false;");
        emit(g, 1, "%s acc;", ct(g, n->type));
        emit(g, 1, "memset(&acc, 0, sizeof acc);");
        emit(g, 1, "for (int i = 0; i < np; i++) {");
        emit(g, 2, "if (!D->has%d[i])", id);
        emit(g, 2, "    continue;");
        emit(g, 2, "if (!has) {");
        emit(g, 2, "    acc = D->acc%d[i];", id);
        emit(g, 2, "    has = true;");
        emit(g, 2, "    continue;");
        emit(g, 2, "}");
        char *c = combine(g, 2, n, false, "acc", cg_str(g, "D->acc%d[i]", id), "continue");
        emit(g, 2, "acc = %s;", c);
        emit(g, 1, "}");
        emit(g, 1, "(void)ar;");
        emit(g, 1, "D->%s.nparts = has ? 1 : 0;", dst);
        emit(g, 1, "D->%s.parts = st_arena_alloc(ar0, sizeof(st_part));", dst);
        emit(g, 1, "memset(D->%s.parts, 0, sizeof(st_part));", dst);
        emit(g, 1, "if (has)");
        emit(g, 1, "    *(%s *)st_part_push(&D->%s.parts[0], sizeof(%s), ar0) = acc;", ct(g, n->type), dst,
             ct(g, n->type));
        break;
    }
    case AGG_KEYED:
        /* nw workers each keep np partitions of the keys (np = nw, up to
           SC_MAX_PARTS: there are nw * np maps): after the parallel pass,
           partition j of every worker is merged by task j, and the sorted
           partitions are merged by stamp (first appearance), so the output
           is the same whatever the workers */
        emit(g, 1, "sc_S%d *S = D->S;", g_ctx_index(g->p, n->ctx));
        emit(g, 1, "const int nw = job->nworkers > 0 ? job->nworkers : 1;");
        emit(g, 1, "if (S->nloc%d != nw) {", id);
        emit(g, 2, "sc_locfree%d(S);", id);
        emit(g, 2, "S->npart%d = nw < SC_MAX_PARTS ? nw : SC_MAX_PARTS;", id);
        emit(g, 2, "S->loc%d = calloc((size_t)nw * (size_t)S->npart%d, sizeof *S->loc%d);", id, id, id);
        emit(g, 2, "if (!S->loc%d)", id);
        emit(g, 2, "    abort();");
        emit(g, 2, "S->nloc%d = nw;", id);
        emit(g, 1, "}");
        emit(g, 1, "const int np = S->npart%d;", id);
        emit(g, 1, "for (int k = 0; k < nw * np; k++)");
        emit(g, 1, "    sc_m%d_clear(&S->loc%d[k].m);", id, id);
        emit(g, 1, "int nt;");
        emit(g, 1, "D->rg%d = sc_ranges(&D->d%d, nw, ar0, &nt);", id, l->root->id);
        emit(g, 1, "st_parallel_for(job, nt, sc_task%d, D);", id);
        emit(g, 1, "D->srt%d = st_arena_alloc(ar0, sizeof *D->srt%d * (size_t)np);", id, id);
        emit(g, 1, "st_parallel_for(job, np, sc_merge%d, D);", id);
        emit(g, 1, "int64_t total = 0, *ns = st_arena_alloc(ar0, sizeof *ns * (size_t)np);");
        emit(g, 1, "for (int k = 0; k < np; k++)");
        emit(g, 1, "    total += ns[k] = S->loc%d[k].m.n;", id);
        emit(g, 1, "D->ns%d = ns;", id);
        emit(g, 1, "sc_split_out(&D->%s, total, job->nworkers, sizeof(%s), ar0);", dst, ct(g, n->type));
        emit(g, 1, "st_parallel_for(job, D->%s.nparts, sc_out%d, D);", dst, id);
        break;
    }
    if (to_a)
        emit(g, 1, "D->av%d = true;", id);
    else
        emit(g, 1, "D->v%d = true;", id);
    emit(g, 0, "}");
    sb_puts(&g->out, "\n");
}

/* ---- windows ------------------------------------------------------------ */

/* The pane a windowed operator keeps its input in (see st_window). */
static int64_t pane_of(const st_node *n)
{
    if (n->op == OP_WINDOW || windowed_inverse(n))
        return n->in->slide_ms;
    int64_t a = n->win_ms, b = n->slide_ms;
    while (b) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* Absorbs this batch's (per-batch aggregated) dataset `src` into the pane
 * slot for time rel: a copy for a fresh slot, a merge into an existing
 * one (reductions only: records are kept one slot per batch). */
static void emit_absorb(cg *g, int indent, const st_node *n, const char *src)
{
    int id = n->id;
    const st_type *t = n->type;
    emit(g, indent, "int64_t cnt = sc_ds_count(&%s);", src);
    emit(g, indent, "if (cnt > 0) {");
    emit(g, indent, "    bool fresh;");
    emit(g, indent, "    st_wslot *sl = st_window_slot(&S->r%d, rel, &fresh);", id);
    if (n->op == OP_COUNTBYWINDOW) {
        emit(g, indent, "    (void)fresh;");
        emit(g, indent, "    int64_t c = ((const int64_t *)%s.parts[0].data)[0];", src);
        emit(g, indent, "    sl->n += c;");
        emit(g, indent, "    S->sum%d += c;", id);
        emit(g, indent, "    S->seen%d = S->seen%d || c > 0;", id, id);
        emit(g, indent, "}");
        return;
    }
    if (n->op == OP_REDUCEBYWINDOW) {
        emit(g, indent, "    %s v = ((const %s *)%s.parts[0].data)[0];", ct(g, t), ct(g, t), src);
        emit(g, indent, "    if (fresh) {");
        emit(g, indent, "        sl->data = st_arena_alloc(sl->ar, sizeof v);");
        emit(g, indent, "        sl->n = 1;");
        emit(g, indent, "    } else {");
        emit(g, indent, "        %s v0 = v;", ct(g, t));
        emit(g, indent, "        v = *(%s *)sl->data;", ct(g, t));
        emit(g, indent, "        for (int once = 0; once < 1; once++) { /* a failed combine keeps the pane's value */");
        char *c = combine(g, indent + 3, n, false, "v", "v0", "continue");
        emit(g, indent, "            v = %s;", c);
        emit(g, indent, "        }");
        emit(g, indent, "    }");
        emit(g, indent, "    *(%s *)sl->data = sc_copy_%d(sl->ar, v);", ct(g, t), t->id);
        emit(g, indent, "}");
        return;
    }
    /* records (window) and key/value pairs (keyed reductions) */
    emit(g, indent, "    int64_t q = 0, base = 0;");
    emit(g, indent, "    %s *dst;", ct(g, t));
    emit(g, indent, "    if (fresh) {");
    emit(g, indent, "        dst = st_arena_alloc(sl->ar, sizeof *dst * (size_t)cnt);");
    emit(g, indent, "    } else {");
    emit(g, indent, "        base = sl->n;");
    emit(g, indent, "        dst = st_arena_alloc(sl->ar, sizeof *dst * (size_t)(base + cnt));");
    emit(g, indent, "        memcpy(dst, sl->data, sizeof *dst * (size_t)base);");
    emit(g, indent, "    }");
    emit(g, indent, "    for (int p = 0; p < %s.nparts; p++)", src);
    emit(g, indent, "        for (int64_t r = 0; r < %s.parts[p].n; r++)", src);
    emit(g, indent, "            dst[base + q++] = sc_copy_%d(sl->ar, ((const %s *)%s.parts[p].data)[r]);", t->id, ct(g, t),
         src);
    emit(g, indent, "    sl->data = dst;");
    emit(g, indent, "    sl->n = base + cnt;");
    if (agg_of(n->op) == AGG_KEYED) {
        /* a pane of several batches: reduce it to one value per key */
        const st_type *kt = agg_key(n);
        emit(g, indent, "    if (!fresh) {");
        emit(g, indent, "        sc_m%d m;", id);
        emit(g, indent, "        memset(&m, 0, sizeof m);");
        emit(g, indent, "        for (int64_t k = 0; k < sl->n; k++) {");
        emit(g, indent, "            bool ins;");
        emit(g, indent, "            sc_m%d_ent *e = sc_m%d_upsert(&m, dst[k]._1, sc_hash_%d(dst[k]._1, %s), &ins);", id,
             id, kt->id, HASH_SEED);
        emit(g, indent, "            if (ins) {");
        emit(g, indent, "                e->v.v = dst[k]._2;");
        emit(g, indent, "                continue;");
        emit(g, indent, "            }");
        char *c = combine(g, indent + 3, n, false, "e->v.v", "dst[k]._2", "continue");
        emit(g, indent, "            e->v.v = %s;", c);
        emit(g, indent, "        }");
        emit(g, indent, "        for (int64_t k = 0; k < m.n; k++) {");
        emit(g, indent, "            dst[k]._1 = m.ents[k].k;");
        emit(g, indent, "            dst[k]._2 = sc_copy_%d(sl->ar, m.ents[k].v.v);", agg_val(n)->id);
        emit(g, indent, "        }");
        emit(g, indent, "        sl->n = m.n;");
        emit(g, indent, "        sc_m%d_free(&m);", id);
        emit(g, indent, "    }");
    }
    emit(g, indent, "}");
}

static void emit_window_node(cg *g, const st_node *n)
{
    int id = n->id;
    agg_kind a = agg_of(n->op);
    if (a != AGG_NONE)
        emit_chain_node(g, n);
    const char *iv = a != AGG_NONE ? cg_str(g, "D->av%d", id) : cg_str(g, "D->v%d", n->in->id);
    const char *in = a != AGG_NONE ? cg_str(g, "D->a%d", id) : cg_str(g, "D->d%d", n->in->id);
    const st_type *t = n->type;
    bool inv = windowed_inverse(n);
    const st_type *kt = a == AGG_KEYED ? agg_key(n) : NULL, *vt = a == AGG_KEYED ? agg_val(n) : NULL;

    emit(g, 0, "static void sc_node%d(%s *D, st_job *job) /* %s */", id, ctx_d(n->ctx), op_name(n->op));
    emit(g, 0, "{");
    emit(g, 1, "sc_S%d *S = D->S;", g_ctx_index(g->p, n->ctx));
    emit(g, 1, "const int64_t rel = job->time_ms - job->zero_ms;");
    emit(g, 1, "st_arena *ar0 = job->arenas[0], *ar = ar0;");
    emit(g, 1, "const int w = 0;");
    emit(g, 1, "(void)w; (void)ar;");
    if (a != AGG_NONE)
        emit(g, 1, "sc_agg%d(D, job);", id);
    emit(g, 1, "if (%s) {", iv);
    /* first expire what no window from now on holds (Spark subtracts the
       old values before it adds the new ones) */
    emit(g, 2, "while (st_window_oldest_expired(&S->r%d, rel)) {", id);
    if (n->op == OP_COUNTBYWINDOW)
        emit(g, 3, "S->sum%d -= S->r%d.slots[0].n;", id, id);
    if (inv) {
        emit(g, 3, "const sc_wi%d *ev = S->r%d.slots[0].data;", id, id);
        emit(g, 3, "for (int64_t q = 0; q < S->r%d.slots[0].n; q++) {", id);
        emit(g, 4, "sc_w%d_ent *e = &S->w%d.ents[ev[q].idx];", id, id);
        char *c = combine(g, 4, n, true, "e->v", "ev[q].v", "continue");
        emit(g, 4, "e->v = sc_copy_%d(S->war%d, %s);", vt->id, id, c);
        emit(g, 3, "}");
    }
    emit(g, 3, "st_window_drop_oldest(&S->r%d);", id);
    emit(g, 2, "}");
    if (inv) {
        /* fold the new batch into the running window value, and keep
           what it added for when it expires */
        emit(g, 2, "int64_t cnt = sc_ds_count(&%s), nk = 0;", in);
        emit(g, 2, "sc_wi%d *keep = NULL;", id);
        emit(g, 2, "st_wslot *sl = NULL;");
        emit(g, 2, "if (cnt > 0) {");
        emit(g, 2, "    bool fresh;");
        emit(g, 2, "    sl = st_window_slot(&S->r%d, rel, &fresh);", id);
        emit(g, 2, "    keep = st_arena_alloc(sl->ar, sizeof *keep * (size_t)cnt);");
        emit(g, 2, "    sl->data = keep;");
        emit(g, 2, "}");
        emit(g, 2, "for (int p = 0; p < %s.nparts; p++) {", in);
        emit(g, 3, "const %s *nv = %s.parts[p].data;", ct(g, t), in);
        emit(g, 3, "for (int64_t q = 0; q < %s.parts[p].n; q++) {", in);
        emit(g, 4, "bool ins;");
        emit(g, 4, "sc_w%d_ent *e = sc_w%d_upsert(&S->w%d, nv[q]._1, sc_hash_%d(nv[q]._1, %s), &ins);", id, id, id,
             kt->id, HASH_SEED);
        emit(g, 4, "if (ins) {");
        emit(g, 4, "    e->k = sc_copy_%d(S->war%d, nv[q]._1);", kt->id, id);
        emit(g, 4, "    e->v = sc_copy_%d(S->war%d, nv[q]._2);", vt->id, id);
        emit(g, 4, "} else {");
        char *c = combine(g, 5, n, false, "e->v", "nv[q]._2", "continue");
        emit(g, 4, "    e->v = sc_copy_%d(S->war%d, %s);", vt->id, id, c);
        emit(g, 4, "}");
        /* only what was added is subtracted later */
        emit(g, 4, "keep[nk].idx = e - S->w%d.ents;", id);
        emit(g, 4, "keep[nk].v = sc_copy_%d(sl->ar, nv[q]._2);", vt->id);
        emit(g, 4, "sl->n = ++nk;");
        emit(g, 3, "}");
        emit(g, 2, "}");
    } else {
        emit(g, 2, "{");
        emit_absorb(g, 3, n, in);
        emit(g, 2, "}");
    }
    emit(g, 1, "}");
    emit(g, 1, "if (!st_window_due(&S->r%d, rel))", id);
    emit(g, 1, "    return;");
    const char *d = cg_str(g, "D->d%d", id);
    switch (n->op) {
    case OP_WINDOW:
        emit(g, 1, "%s.nparts = (int)S->r%d.n;", d, id);
        emit(g, 1, "%s.parts = st_arena_alloc(ar0, sizeof(st_part) * (size_t)(S->r%d.n + 1));", d, id);
        emit(g, 1, "for (int64_t k = 0; k < S->r%d.n; k++)", id);
        emit(g, 1, "    %s.parts[k] = (st_part){ S->r%d.slots[k].data, S->r%d.slots[k].n, S->r%d.slots[k].n };", d, id,
             id, id);
        break;
    case OP_COUNTBYWINDOW:
        emit(g, 1, "sc_split_out(&%s, S->seen%d ? 1 : 0, 1, sizeof(int64_t), ar0);", d, id);
        emit(g, 1, "if (S->seen%d)", id);
        emit(g, 1, "    *(int64_t *)%s.parts[0].data = S->sum%d;", d, id);
        break;
    case OP_REDUCEBYWINDOW: {
        emit(g, 1, "bool has = false;");
        emit(g, 1, "%s acc;", ct(g, t));
        emit(g, 1, "memset(&acc, 0, sizeof acc);");
        emit(g, 1, "for (int64_t k = 0; k < S->r%d.n; k++) {", id);
        emit(g, 2, "const %s *v = S->r%d.slots[k].data;", ct(g, t), id);
        emit(g, 2, "if (!has) {");
        emit(g, 2, "    acc = v[0];");
        emit(g, 2, "    has = true;");
        emit(g, 2, "    continue;");
        emit(g, 2, "}");
        char *c = combine(g, 2, n, false, "acc", "v[0]", "continue");
        emit(g, 2, "acc = %s;", c);
        emit(g, 1, "}");
        emit(g, 1, "sc_split_out(&%s, has ? 1 : 0, 1, sizeof acc, ar0);", d);
        emit(g, 1, "if (has)");
        emit(g, 1, "    *(%s *)%s.parts[0].data = acc;", ct(g, t), d);
        break;
    }
    default:
        if (inv) {
            emit(g, 1, "int64_t total = 0;");
            emit(g, 1, "for (int64_t q = 0; q < S->w%d.n; q++)", id);
            emit(g, 1, "    total += %s;",
                 n->op == OP_COUNTBYVALUEANDWINDOW ? cg_str(g, "S->w%d.ents[q].v != 0", id) : "1");
            emit(g, 1, "sc_split_out(&%s, total, job->nworkers, sizeof(%s), ar0);", d, ct(g, t));
            emit(g, 1, "int64_t o = 0;");
            emit(g, 1, "for (int64_t q = 0; q < S->w%d.n; q++) {", id);
            if (n->op == OP_COUNTBYVALUEANDWINDOW) {
                emit(g, 2, "if (S->w%d.ents[q].v == 0)", id);
                emit(g, 2, "    continue;");
            }
            emit(g, 2, "%s *e = (%s *)sc_out_slot(&%s, o++, sizeof *e);", ct(g, t), ct(g, t), d);
            emit(g, 2, "e->_1 = S->w%d.ents[q].k;", id);
            emit(g, 2, "e->_2 = S->w%d.ents[q].v;", id);
            emit(g, 1, "}");
        } else {
            /* combine the panes' partial results */
            emit(g, 1, "sc_m%d m;", id);
            emit(g, 1, "memset(&m, 0, sizeof m);");
            emit(g, 1, "for (int64_t k = 0; k < S->r%d.n; k++) {", id);
            emit(g, 2, "const %s *pv = S->r%d.slots[k].data;", ct(g, t), id);
            emit(g, 2, "for (int64_t q = 0; q < S->r%d.slots[k].n; q++) {", id);
            emit(g, 3, "bool ins;");
            emit(g, 3, "sc_m%d_ent *e = sc_m%d_upsert(&m, pv[q]._1, sc_hash_%d(pv[q]._1, %s), &ins);", id, id, kt->id,
                 HASH_SEED);
            emit(g, 3, "if (ins) {");
            emit(g, 3, "    e->v.v = pv[q]._2;");
            emit(g, 3, "    continue;");
            emit(g, 3, "}");
            char *c = combine(g, 3, n, false, "e->v.v", "pv[q]._2", "continue");
            emit(g, 3, "e->v.v = %s;", c);
            emit(g, 2, "}");
            emit(g, 1, "}");
            emit(g, 1, "sc_split_out(&%s, m.n, job->nworkers, sizeof(%s), ar0);", d, ct(g, t));
            emit(g, 1, "for (int64_t q = 0; q < m.n; q++) {");
            emit(g, 2, "%s *e = (%s *)sc_out_slot(&%s, q, sizeof *e);", ct(g, t), ct(g, t), d);
            emit(g, 2, "e->_1 = m.ents[q].k;");
            emit(g, 2, "e->_2 = m.ents[q].v.v;");
            emit(g, 1, "}");
            emit(g, 1, "sc_m%d_free(&m);", id);
        }
    }
    emit(g, 1, "D->v%d = true;", id);
    emit(g, 0, "}");
    sb_puts(&g->out, "\n");
}

/* ---- state, joins, unions, outputs --------------------------------------- */

/* updateStateByKey: the state is split in SC_SHARDS maps by key hash; a
 * task per shard folds, in arrival order, the batch's values of its keys
 * (so a key's values are folded in order and shards never share memory).
 * Every key of the state is emitted, in order of its first appearance. */
static void emit_update_state(cg *g, const st_node *n)
{
    int id = n->id, ci = g_ctx_index(g->p, n->ctx);
    const st_type *it = n->in->type, *kt = it->a, *st = n->type->b;
    emit(g, 0, "static void sc_task%d(st_job *job, void *arg, int j, int w)", id);
    emit(g, 0, "{");
    emit(g, 1, "%s *D = arg;", ctx_d(n->ctx));
    emit(g, 1, "sc_S%d *S = D->S;", ci);
    emit(g, 1, "st_arena *ar = job->arenas[w];");
    emit(g, 1, "(void)ar;");
    emit(g, 1, "sc_u%d *m = &S->u%d[j];", id, id);
    emit(g, 1, "st_arena *sa = S->uar%d[j];", id);
    emit(g, 1, "const st_ds *in = &D->d%d;", n->in->id);
    emit(g, 1, "const int64_t rel = job->time_ms - job->zero_ms;");
    emit(g, 1, "int64_t pos = 0;");
    emit(g, 1, "for (int p = 0; p < in->nparts; p++) {");
    emit(g, 2, "const %s *el = in->parts[p].data;", ct(g, it));
    emit(g, 2, "for (int64_t r = 0; r < in->parts[p].n; r++) {");
    emit(g, 3, "pos++;");
    emit(g, 3, "uint64_t h = sc_hash_%d(el[r]._1, %s);", kt->id, HASH_SEED);
    emit(g, 3, "if ((int)((h >> 32) %% SC_SHARDS) != j)");
    emit(g, 3, "    continue;");
    emit(g, 3, "bool ins;");
    emit(g, 3, "sc_u%d_ent *e = sc_u%d_upsert(m, el[r]._1, h, &ins);", id, id);
    emit(g, 3, "if (ins) {");
    ex x = { .g = g, .indent = 4, .fail = "continue", .ar = "ar" };
    line_begin(g, 4, n->init->loc);
    char *init = cx(&x, n->init);
    line_end(g);
    emit(g, 4, "e->k = sc_copy_%d(sa, el[r]._1);", kt->id);
    emit(g, 4, "e->v.v = sc_copy_%d(sa, %s);", st->id, init);
    emit(g, 4, "e->v.t = rel;");
    emit(g, 4, "e->v.pos = pos;");
    emit(g, 3, "}");
    ex y = { .g = g, .indent = 3, .fail = "continue", .ar = "ar" };
    line_begin(g, 3, n->fn->loc);
    char *v = cx_lambda(&y, n->fn, "e->v.v", "el[r]._2");
    line_end(g);
    emit(g, 3, "e->v.v = sc_copy_%d(sa, %s);", st->id, v);
    emit(g, 2, "}");
    emit(g, 1, "}");
    if (has_strings(st) || has_strings(kt)) {
        /* values are copied on every update: compact the shard's arena
           once it holds more dead copies than live ones */
        emit(g, 1, "if (st_arena_used(sa) > S->ulim%d[j]) {", id);
        emit(g, 2, "st_arena *na = st_arena_new();");
        emit(g, 2, "for (int64_t q = 0; q < m->n; q++) {");
        emit(g, 3, "m->ents[q].k = sc_copy_%d(na, m->ents[q].k);", kt->id);
        emit(g, 3, "m->ents[q].v.v = sc_copy_%d(na, m->ents[q].v.v);", st->id);
        emit(g, 2, "}");
        emit(g, 2, "st_arena_free(sa);");
        emit(g, 2, "S->uar%d[j] = na;", id);
        emit(g, 2, "S->ulim%d[j] = 2 * st_arena_used(na) + ((size_t)1 << 20);", id);
        emit(g, 1, "}");
    }
    emit(g, 0, "}");
    emit(g, 0, "static void sc_node%d(%s *D, st_job *job) /* updateStateByKey */", id, ctx_d(n->ctx));
    emit(g, 0, "{");
    emit(g, 1, "if (!D->v%d)", n->in->id);
    emit(g, 1, "    return;");
    emit(g, 1, "sc_S%d *S = D->S;", ci);
    emit(g, 1, "st_parallel_for(job, SC_SHARDS, sc_task%d, D);", id);
    /* merge the shards (each in first-appearance order) by (time, pos) */
    emit(g, 1, "int64_t total = 0, at[SC_SHARDS] = { 0 };");
    emit(g, 1, "for (int k = 0; k < SC_SHARDS; k++)");
    emit(g, 1, "    total += S->u%d[k].n;", id);
    emit(g, 1, "sc_split_out(&D->d%d, total, job->nworkers, sizeof(%s), job->arenas[0]);", id, ct(g, n->type));
    emit(g, 1, "for (int64_t q = 0; q < total; q++) {");
    emit(g, 2, "int best = -1;");
    emit(g, 2, "for (int k = 0; k < SC_SHARDS; k++) {");
    emit(g, 3, "if (at[k] == S->u%d[k].n)", id);
    emit(g, 3, "    continue;");
    emit(g, 3, "const sc_us%d *c = &S->u%d[k].ents[at[k]].v;", id, id);
    emit(g, 3, "if (best < 0 || c->t < S->u%d[best].ents[at[best]].v.t ||", id);
    emit(g, 3, "    (c->t == S->u%d[best].ents[at[best]].v.t && c->pos < S->u%d[best].ents[at[best]].v.pos))", id, id);
    emit(g, 3, "    best = k;");
    emit(g, 2, "}");
    emit(g, 2, "const sc_u%d_ent *e = &S->u%d[best].ents[at[best]++];", id, id);
    emit(g, 2, "%s *o = (%s *)sc_out_slot(&D->d%d, q, sizeof *o);", ct(g, n->type), ct(g, n->type), id);
    emit(g, 2, "o->_1 = e->k;");
    emit(g, 2, "o->_2 = e->v.v;");
    emit(g, 1, "}");
    emit(g, 1, "D->v%d = true;", id);
    emit(g, 0, "}");
    sb_puts(&g->out, "\n");
}

static void emit_join(cg *g, const st_node *n)
{
    int id = n->id;
    const st_type *lt = n->in->type, *rt = n->in2->type, *kt = lt->a, *ot = n->type, *it = ot->b;
    bool lopt = n->op == OP_RIGHTOUTERJOIN || n->op == OP_FULLOUTERJOIN;
    bool ropt = n->op == OP_LEFTOUTERJOIN || n->op == OP_FULLOUTERJOIN;
    const char *lv = lopt ? "{ .some = true, .v = el[r]._2 }" : "el[r]._2";
    const char *rv = ropt ? cg_str(g, "{ .some = true, .v = D->jr%d[j].v }", id) : cg_str(g, "D->jr%d[j].v", id);
    (void)it;
    /* probe: left partition i against the right side's index */
    emit(g, 0, "static void sc_task%d(st_job *job, void *arg, int i, int w)", id);
    emit(g, 0, "{");
    emit(g, 1, "%s *D = arg;", ctx_d(n->ctx));
    emit(g, 1, "st_arena *ar = job->arenas[w];");
    emit(g, 1, "const st_part *ip = &D->d%d.parts[i];", n->in->id);
    emit(g, 1, "st_part *op = &D->d%d.parts[i];", id);
    emit(g, 1, "const %s *el = ip->data;", ct(g, lt));
    emit(g, 1, "for (int64_t r = 0; r < ip->n; r++) {");
    emit(g, 2, "const sc_j%d_ent *e = sc_j%d_find(&D->j%d, el[r]._1, sc_hash_%d(el[r]._1, %s));", id, id, id, kt->id,
         HASH_SEED);
    emit(g, 2, "if (e) {");
    emit(g, 2, "    for (int64_t j = e->v.first; j >= 0; j = D->jr%d[j].next)", id);
    emit(g, 2, "        *(%s *)st_part_push(op, sizeof(%s), ar) = (%s){ el[r]._1, { %s, %s } };", ct(g, ot), ct(g, ot),
         ct(g, ot), lv, rv);
    emit(g, 2, "}");
    if (ropt) {
        emit(g, 2, "else");
        emit(g, 2, "    *(%s *)st_part_push(op, sizeof(%s), ar) = (%s){ el[r]._1, { %s, { .some = false } } };",
             ct(g, ot), ct(g, ot), ct(g, ot), lv);
    }
    emit(g, 1, "}");
    emit(g, 0, "}");
    sb_puts(&g->out, "\n");
    emit(g, 0, "static void sc_node%d(%s *D, st_job *job) /* %s */", id, ctx_d(n->ctx), op_name(n->op));
    emit(g, 0, "{");
    emit(g, 1, "if (!D->v%d || !D->v%d)", n->in->id, n->in2->id);
    emit(g, 1, "    return;");
    emit(g, 1, "st_arena *ar0 = job->arenas[0];");
    emit(g, 1, "const st_ds *R = &D->d%d, *L = &D->d%d;", n->in2->id, n->in->id);
    emit(g, 1, "int64_t nr = sc_ds_count(R), x = 0;");
    emit(g, 1, "memset(&D->j%d, 0, sizeof D->j%d);", id, id);
    emit(g, 1, "D->jr%d = st_arena_alloc(ar0, sizeof(sc_jr%d) * (size_t)(nr + 1));", id, id);
    emit(g, 1, "for (int p = 0; p < R->nparts; p++) {");
    emit(g, 2, "const %s *er = R->parts[p].data;", ct(g, rt));
    emit(g, 2, "for (int64_t r = 0; r < R->parts[p].n; r++, x++) {");
    emit(g, 3, "bool ins;");
    emit(g, 3, "sc_j%d_ent *e = sc_j%d_upsert(&D->j%d, er[r]._1, sc_hash_%d(er[r]._1, %s), &ins);", id, id, id, kt->id,
         HASH_SEED);
    emit(g, 3, "if (ins)");
    emit(g, 3, "    e->v.first = x;");
    emit(g, 3, "else");
    emit(g, 3, "    D->jr%d[e->v.last].next = x;", id);
    emit(g, 3, "e->v.last = x;");
    emit(g, 3, "D->jr%d[x] = (sc_jr%d){ er[r]._1, er[r]._2, -1 };", id, id);
    emit(g, 2, "}");
    emit(g, 1, "}");
    emit(g, 1, "const int extra = %d;", lopt ? 1 : 0);
    emit(g, 1, "D->d%d.nparts = L->nparts + extra;", id);
    emit(g, 1, "D->d%d.parts = st_arena_alloc(ar0, sizeof(st_part) * (size_t)(L->nparts + 1));", id);
    emit(g, 1, "memset(D->d%d.parts, 0, sizeof(st_part) * (size_t)(L->nparts + 1));", id);
    emit(g, 1, "st_parallel_for(job, L->nparts, sc_task%d, D);", id);
    if (lopt) {
        /* right-side elements whose key the left side does not have */
        emit(g, 1, "sc_jl%d lk;", id);
        emit(g, 1, "memset(&lk, 0, sizeof lk);");
        emit(g, 1, "for (int p = 0; p < L->nparts; p++) {");
        emit(g, 2, "const %s *el = L->parts[p].data;", ct(g, lt));
        emit(g, 2, "for (int64_t r = 0; r < L->parts[p].n; r++) {");
        emit(g, 3, "bool ins;");
        emit(g, 3, "sc_jl%d_upsert(&lk, el[r]._1, sc_hash_%d(el[r]._1, %s), &ins)->v = 1;", id, kt->id, HASH_SEED);
        emit(g, 2, "}");
        emit(g, 1, "}");
        emit(g, 1, "st_part *op = &D->d%d.parts[L->nparts];", id);
        emit(g, 1, "for (int64_t j = 0; j < nr; j++) {");
        emit(g, 2, "if (sc_jl%d_find(&lk, D->jr%d[j].k, sc_hash_%d(D->jr%d[j].k, %s)))", id, id, kt->id, id, HASH_SEED);
        emit(g, 2, "    continue;");
        emit(g, 2, "*(%s *)st_part_push(op, sizeof(%s), ar0) = (%s){ D->jr%d[j].k, { { .some = false }, %s } };",
             ct(g, ot), ct(g, ot), ct(g, ot), id, rv);
        emit(g, 1, "}");
        emit(g, 1, "sc_jl%d_free(&lk);", id);
    }
    emit(g, 1, "sc_j%d_free(&D->j%d);", id, id);
    emit(g, 1, "D->v%d = true;", id);
    emit(g, 0, "}");
    sb_puts(&g->out, "\n");
}

static void emit_union(cg *g, const st_node *n)
{
    int id = n->id, a = n->in->id, b = n->in2->id;
    emit(g, 0, "static void sc_node%d(%s *D, st_job *job) /* union */", id, ctx_d(n->ctx));
    emit(g, 0, "{");
    emit(g, 1, "if (!D->v%d || !D->v%d)", a, b);
    emit(g, 1, "    return;");
    emit(g, 1, "int np = D->d%d.nparts + D->d%d.nparts;", a, b);
    emit(g, 1, "D->d%d.nparts = np;", id);
    emit(g, 1, "D->d%d.parts = st_arena_alloc(job->arenas[0], sizeof(st_part) * (size_t)(np + 1));", id);
    emit(g, 1, "for (int p = 0; p < D->d%d.nparts; p++)", a);
    emit(g, 1, "    D->d%d.parts[p] = D->d%d.parts[p];", id, a);
    emit(g, 1, "for (int p = 0; p < D->d%d.nparts; p++)", b);
    emit(g, 1, "    D->d%d.parts[D->d%d.nparts + p] = D->d%d.parts[p];", id, a, b);
    emit(g, 1, "D->v%d = true;", id);
    emit(g, 0, "}");
    sb_puts(&g->out, "\n");
}

static void emit_repartition(cg *g, const st_node *n)
{
    int id = n->id;
    const char *t = ct(g, n->type);
    emit(g, 0, "static void sc_node%d(%s *D, st_job *job) /* repartition */", id, ctx_d(n->ctx));
    emit(g, 0, "{");
    emit(g, 1, "if (!D->v%d)", n->in->id);
    emit(g, 1, "    return;");
    emit(g, 1, "const st_ds *in = &D->d%d;", n->in->id);
    emit(g, 1, "int64_t total = sc_ds_count(in), q = 0;");
    emit(g, 1, "sc_split_n(&D->d%d, total, INT64_C(%lld), sizeof(%s), job->arenas[0]);", id, (long long)n->n, t);
    emit(g, 1, "for (int p = 0; p < in->nparts; p++)");
    emit(g, 1, "    for (int64_t r = 0; r < in->parts[p].n; r++, q++)");
    emit(g, 1, "        *(%s *)sc_out_slot(&D->d%d, q, sizeof(%s)) = ((const %s *)in->parts[p].data)[r];", t, id, t, t);
    emit(g, 1, "D->v%d = true;", id);
    emit(g, 0, "}");
    sb_puts(&g->out, "\n");
}

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
    emit(g, 1, "for (int b = 0; b < in->nblocks; b++)");
    emit(g, 1, "    D->d%d.parts[b] = (st_part){ (void *)(uintptr_t)in->blocks[b].%s, in->blocks[b].n, in->blocks[b].n };",
         id, ints ? "ints" : "recs");
    emit(g, 1, "D->v%d = true;", id);
    emit(g, 0, "}");
    sb_puts(&g->out, "\n");
}

static void emit_output(cg *g, const st_node *n)
{
    int id = n->id, in = n->in->id;
    const st_type *t = n->in->type;
    if (n->op == OP_SAVE) {
        emit(g, 0, "static void sc_task%d(st_job *job, void *arg, int i, int w)", id);
        emit(g, 0, "{");
        emit(g, 1, "%s *D = arg;", ctx_d(n->ctx));
        emit(g, 1, "(void)job; (void)w;");
        emit(g, 1, "const st_part *ip = &D->d%d.parts[i];", in);
        emit(g, 1, "for (int64_t r = 0; r < ip->n; r++) {");
        emit(g, 2, "sc_fmt_%d(&D->buf%d[i], &((const %s *)ip->data)[r]);", t->id, id, ct(g, t));
        emit(g, 2, "st_buf_putc(&D->buf%d[i], '\\n');", id);
        emit(g, 1, "}");
        emit(g, 0, "}");
    }
    emit(g, 0, "static void sc_node%d(%s *D, st_job *job) /* %s */", id, ctx_d(n->ctx), op_name(n->op));
    emit(g, 0, "{");
    emit(g, 1, "if (!D->v%d || !st_output_enabled(job))", in);
    emit(g, 1, "    return;");
    emit(g, 1, "const st_ds *in = &D->d%d;", in);
    switch (n->op) {
    case OP_PRINT:
        emit(g, 1, "st_buf b = { 0 };");
        emit(g, 1, "int64_t shown = 0;");
        emit(g, 1, "bool more = false;");
        emit(g, 1, "for (int p = 0; p < in->nparts && !more; p++)");
        emit(g, 1, "    for (int64_t r = 0; r < in->parts[p].n; r++) {");
        emit(g, 1, "        if (shown == INT64_C(%lld)) {", (long long)n->n);
        emit(g, 1, "            more = true;");
        emit(g, 1, "            break;");
        emit(g, 1, "        }");
        emit(g, 1, "        sc_fmt_%d(&b, &((const %s *)in->parts[p].data)[r]);", t->id, ct(g, t));
        emit(g, 1, "        st_buf_putc(&b, '\\n');");
        emit(g, 1, "        shown++;");
        emit(g, 1, "    }");
        emit(g, 1, "st_print(job, b.p ? b.p : \"\", b.n, more);");
        emit(g, 1, "st_buf_free(&b);");
        break;
    case OP_SAVE:
        emit(g, 1, "D->buf%d = st_arena_alloc(job->arenas[0], sizeof(st_buf) * (size_t)(in->nparts + 1));", id);
        emit(g, 1, "memset(D->buf%d, 0, sizeof(st_buf) * (size_t)(in->nparts + 1));", id);
        emit(g, 1, "st_parallel_for(job, in->nparts, sc_task%d, D);", id);
        emit(g, 1, "if (st_save(job, %s, %s, in->nparts, D->buf%d) != 0)",
             n->prefix_param ? cg_str(g, "sc_par%d", n->prefix_param->param_index) : c_lit(g, n->prefix, strlen(n->prefix)),
             n->suffix_param ? cg_str(g, "sc_par%d", n->suffix_param->param_index)
             : n->suffix ? c_lit(g, n->suffix, strlen(n->suffix)) : "NULL", id);
        emit(g, 1, "    D->rc = -1;");
        emit(g, 1, "for (int p = 0; p < in->nparts; p++)");
        emit(g, 1, "    st_buf_free(&D->buf%d[p]);", id);
        break;
    default: /* foreachRDD */
        emit(g, 1, "int64_t total = sc_ds_count(in), q = 0;");
        emit(g, 1, "%s *all = st_arena_alloc(job->arenas[0], sizeof(%s) * (size_t)(total + 1));", ct(g, t), ct(g, t));
        emit(g, 1, "for (int p = 0; p < in->nparts; p++)");
        emit(g, 1, "    for (int64_t r = 0; r < in->parts[p].n; r++)");
        emit(g, 1, "        all[q++] = ((const %s *)in->parts[p].data)[r];", ct(g, t));
        emit(g, 1, "%s rdd = { job->time_ms, total, sizeof(%s), all, sc_fmtv_%d };", cr_rdd_name(g, t), ct(g, t),
             t->id);
        emit(g, 1, "%s(&rdd);", n->cfunc_name);
        break;
    }
    emit(g, 0, "}");
    sb_puts(&g->out, "\n");
}

/* ---- checkpoints ----------------------------------------------------------- */

/* Whether a live node keeps state across batches (sc_S members other than
 * the keyed stages' per-worker maps loc/bkt, which are cleared every batch
 * and only read within it: scratch, not state). */
static bool has_state(cg *g, const st_node *n)
{
    lw_kind k = g->plan->nodes[n->id].kind;
    if (k == LW_DEAD || k == LW_FUSED)
        return false;
    return is_window_op(n->op) || n->op == OP_UPDATESTATEBYKEY;
}

/* The next node of context c with state in plan order from *i on (then
 * *i is past it); NULL after the last. */
static const st_node *next_state(cg *g, const st_decl *c, int *i)
{
    for (; *i < g->p->nnodes; (*i)++) {
        const st_node *n = g->plan->order[*i];
        if (n->ctx == c && has_state(g, n)) {
            (*i)++;
            return n;
        }
    }
    return NULL;
}

/* 64-bit FNV-1a of a description of context c's state layout: a snapshot
 * whose hash differs was written by a program with another layout. */
static uint64_t state_hash(cg *g, const st_decl *c)
{
    sbuf b = { 0 };
    /* shards: SC_SHARDS of the prelude */
    sb_printf(&b, "streamc-state-1;batch=%lld;shards=8;", (long long)c->batch_ms);
    const st_node *n;
    for (int i = 0; (n = next_state(g, c, &i)) != NULL;) {
        char ty[256];
        type_str(n->type, ty, sizeof ty);
        sb_printf(&b, "n%d:%s:%s:%s:w%lld:s%lld:p%lld;", n->id, op_name(n->op), ty, windowed_inverse(n) ? "inv" : "",
                  (long long)n->win_ms, (long long)n->slide_ms, (long long)(is_window_op(n->op) ? pane_of(n) : 0));
    }
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < b.n; i++) {
        h ^= (unsigned char)b.p[i];
        h *= 0x100000001b3ull;
    }
    sb_free(&b);
    return h;
}

/* The element type of a window slot's data (NULL: the slot holds none). */
static const st_type *slot_elem(const st_node *n)
{
    return n->op == OP_COUNTBYWINDOW || windowed_inverse(n) ? NULL : n->type;
}

/* sc_save<ci>: every node's state in plan order. A window: (inverse
 * reductions first their running map w, entries in insertion order) the
 * slot count, then per slot its time, n and data; countByWindow then its
 * sum and seen. updateStateByKey: per shard the entry count, then each
 * entry's key, value, t and pos. */
static void emit_save(cg *g, int ci)
{
    const st_decl *c = g->p->contexts[ci];
    emit(g, 0, "static void sc_save%d(void *state, st_buf *out)", ci);
    emit(g, 0, "{");
    emit(g, 1, "sc_S%d *S = state;", ci);
    emit(g, 1, "(void)S; (void)out;");
    const st_node *n;
    for (int i = 0; (n = next_state(g, c, &i)) != NULL;) {
        int id = n->id;
        emit(g, 1, "/* node %d: %s */", id, op_name(n->op));
        if (n->op == OP_UPDATESTATEBYKEY) {
            emit(g, 1, "for (int j = 0; j < SC_SHARDS; j++) {");
            emit(g, 2, "st_ser_i64(out, S->u%d[j].n);", id);
            emit(g, 2, "for (int64_t q = 0; q < S->u%d[j].n; q++) {", id);
            emit(g, 3, "const sc_u%d_ent *e = &S->u%d[j].ents[q];", id, id);
            emit(g, 3, "sc_ser_%d(out, &e->k);", n->in->type->a->id);
            emit(g, 3, "sc_ser_%d(out, &e->v.v);", n->type->b->id);
            emit(g, 3, "st_ser_i64(out, e->v.t);");
            emit(g, 3, "st_ser_i64(out, e->v.pos);");
            emit(g, 2, "}");
            emit(g, 1, "}");
            continue;
        }
        bool inv = windowed_inverse(n);
        if (inv) {
            emit(g, 1, "st_ser_i64(out, S->w%d.n);", id);
            emit(g, 1, "for (int64_t q = 0; q < S->w%d.n; q++) {", id);
            emit(g, 2, "sc_ser_%d(out, &S->w%d.ents[q].k);", agg_key(n)->id, id);
            emit(g, 2, "sc_ser_%d(out, &S->w%d.ents[q].v);", agg_val(n)->id, id);
            emit(g, 1, "}");
        }
        emit(g, 1, "st_ser_i64(out, S->r%d.n);", id);
        emit(g, 1, "for (int64_t k = 0; k < S->r%d.n; k++) {", id);
        emit(g, 2, "const st_wslot *sl = &S->r%d.slots[k];", id);
        emit(g, 2, "st_ser_i64(out, sl->time);");
        emit(g, 2, "st_ser_i64(out, sl->n);");
        const st_type *et = slot_elem(n);
        if (inv) {
            emit(g, 2, "for (int64_t q = 0; q < sl->n; q++) {");
            emit(g, 3, "st_ser_i64(out, ((const sc_wi%d *)sl->data)[q].idx);", id);
            emit(g, 3, "sc_ser_%d(out, &((const sc_wi%d *)sl->data)[q].v);", agg_val(n)->id, id);
            emit(g, 2, "}");
        } else if (et) {
            emit(g, 2, "for (int64_t q = 0; q < sl->n; q++)");
            emit(g, 2, "    sc_ser_%d(out, &((const %s *)sl->data)[q]);", et->id, ct(g, et));
        }
        emit(g, 1, "}");
        if (n->op == OP_COUNTBYWINDOW) {
            emit(g, 1, "st_ser_i64(out, S->sum%d);", id);
            emit(g, 1, "st_ser_i64(out, S->seen%d ? 1 : 0);", id);
        }
    }
    emit(g, 0, "}");
}

/* sc_load<ci>: reads what sc_save<ci> wrote into a fresh state; -1 when it
 * does not parse or holds what no run could have produced. Re-inserting
 * the inverse map's entries in their order gives them the same indices,
 * which the slots' sc_wi.idx refer to. */
static void emit_load(cg *g, int ci)
{
    const st_decl *c = g->p->contexts[ci];
    emit(g, 0, "static int sc_load%d(void *state, st_rd *in)", ci);
    emit(g, 0, "{");
    emit(g, 1, "sc_S%d *S = state;", ci);
    emit(g, 1, "(void)S;");
    const st_node *n;
    for (int i = 0; (n = next_state(g, c, &i)) != NULL;) {
        int id = n->id;
        emit(g, 1, "/* node %d: %s */", id, op_name(n->op));
        if (n->op == OP_UPDATESTATEBYKEY) {
            const st_type *kt = n->in->type->a, *st = n->type->b;
            emit(g, 1, "for (int j = 0; j < SC_SHARDS; j++) {");
            emit(g, 2, "st_arena *sa = S->uar%d[j];", id);
            emit(g, 2, "int64_t cnt = sc_rd_count(in);");
            emit(g, 2, "for (int64_t q = 0; q < cnt && !in->bad; q++) {");
            emit(g, 3, "%s k;", ct(g, kt));
            emit(g, 3, "sc_us%d v;", id);
            emit(g, 3, "sc_de_%d(in, sa, &k);", kt->id);
            emit(g, 3, "sc_de_%d(in, sa, &v.v);", st->id);
            emit(g, 3, "v.t = st_rd_i64(in);");
            emit(g, 3, "v.pos = st_rd_i64(in);");
            emit(g, 3, "uint64_t h = sc_hash_%d(k, %s);", kt->id, HASH_SEED);
            emit(g, 3, "bool ins;");
            emit(g, 3, "if (in->bad || (int)((h >> 32) %% SC_SHARDS) != j)");
            emit(g, 3, "    return -1;");
            emit(g, 3, "sc_u%d_ent *e = sc_u%d_upsert(&S->u%d[j], k, h, &ins);", id, id, id);
            emit(g, 3, "if (!ins)");
            emit(g, 3, "    return -1;");
            emit(g, 3, "e->v = v;");
            emit(g, 2, "}");
            emit(g, 2, "S->ulim%d[j] = 2 * st_arena_used(sa) + ((size_t)1 << 20);", id);
            emit(g, 1, "}");
            continue;
        }
        bool inv = windowed_inverse(n);
        emit(g, 1, "{");
        if (inv) {
            const st_type *kt = agg_key(n), *vt = agg_val(n);
            emit(g, 2, "int64_t cnt = sc_rd_count(in);");
            emit(g, 2, "for (int64_t q = 0; q < cnt && !in->bad; q++) {");
            emit(g, 3, "%s k;", ct(g, kt));
            emit(g, 3, "%s v;", ct(g, vt));
            emit(g, 3, "sc_de_%d(in, S->war%d, &k);", kt->id, id);
            emit(g, 3, "sc_de_%d(in, S->war%d, &v);", vt->id, id);
            emit(g, 3, "bool ins;");
            emit(g, 3, "sc_w%d_ent *e = sc_w%d_upsert(&S->w%d, k, sc_hash_%d(k, %s), &ins);", id, id, id, kt->id,
                 HASH_SEED);
            emit(g, 3, "if (!ins)");
            emit(g, 3, "    return -1;");
            emit(g, 3, "e->v = v;");
            emit(g, 2, "}");
        }
        emit(g, 2, "int64_t ns = sc_rd_count(in);");
        emit(g, 2, "for (int64_t k = 0; k < ns && !in->bad; k++) {");
        emit(g, 3, "int64_t time = st_rd_i64(in), n = st_rd_i64(in);");
        emit(g, 3, "if (n < 0 || (S->r%d.n > 0 && time <= S->r%d.slots[S->r%d.n - 1].time))", id, id, id);
        emit(g, 3, "    return -1;");
        emit(g, 3, "st_wslot *sl = st_window_restore_slot(&S->r%d, time);", id);
        const st_type *et = slot_elem(n);
        if (n->op == OP_COUNTBYWINDOW) {
            emit(g, 3, "sl->n = n;");
        } else {
            if (n->op == OP_REDUCEBYWINDOW) {
                emit(g, 3, "if (n > 1)");
                emit(g, 3, "    return -1;");
            }
            const char *el = inv ? cg_str(g, "sc_wi%d", id) : ct(g, et);
            emit(g, 3, "if (n > (in->end - in->p) / 8)");
            emit(g, 3, "    return -1;");
            emit(g, 3, "%s *data = st_arena_alloc(sl->ar, sizeof *data * (size_t)(n + 1));", el);
            emit(g, 3, "for (int64_t q = 0; q < n && !in->bad; q++) {");
            if (inv) {
                emit(g, 4, "data[q].idx = st_rd_i64(in);");
                emit(g, 4, "if (data[q].idx < 0 || data[q].idx >= S->w%d.n)", id);
                emit(g, 4, "    return -1;");
                emit(g, 4, "sc_de_%d(in, sl->ar, &data[q].v);", agg_val(n)->id);
            } else {
                emit(g, 4, "sc_de_%d(in, sl->ar, &data[q]);", et->id);
            }
            emit(g, 3, "}");
            emit(g, 3, "sl->data = data;");
            emit(g, 3, "sl->n = n;");
        }
        emit(g, 2, "}");
        if (n->op == OP_COUNTBYWINDOW) {
            emit(g, 2, "S->sum%d = st_rd_i64(in);", id);
            emit(g, 2, "S->seen%d = st_rd_i64(in) != 0;", id);
        }
        emit(g, 1, "}");
    }
    emit(g, 1, "return in->bad || in->p != in->end ? -1 : 0;");
    emit(g, 0, "}");
}

/* ---- the file ------------------------------------------------------------ */

/* everything that does not depend on the program is in st_gen.h */
static const char prelude[] = "#include \"st_gen.h\"\n\n";

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
        switch (n->op) {
        case OP_SOURCE: emit_source(g, n); break;
        case OP_MAP: case OP_FLATMAP: case OP_FILTER: case OP_MAPVALUES: case OP_FLATMAPVALUES:
        case OP_COUNT: case OP_COUNTBYVALUE: case OP_REDUCE: case OP_REDUCEBYKEY:
            emit_chain_node(g, n);
            break;
        case OP_WINDOW: case OP_COUNTBYWINDOW: case OP_REDUCEBYWINDOW: case OP_REDUCEBYKEYANDWINDOW:
        case OP_COUNTBYVALUEANDWINDOW:
            emit_window_node(g, n);
            break;
        case OP_UPDATESTATEBYKEY: emit_update_state(g, n); break;
        case OP_JOIN: case OP_LEFTOUTERJOIN: case OP_RIGHTOUTERJOIN: case OP_FULLOUTERJOIN:
            emit_join(g, n);
            break;
        case OP_UNION: emit_union(g, n); break;
        case OP_REPARTITION: emit_repartition(g, n); break;
        case OP_PRINT: case OP_SAVE: case OP_FOREACHRDD: emit_output(g, n); break;
        }
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
        if (n->ctx != c || g->plan->nodes[n->id].kind == LW_DEAD || g->plan->nodes[n->id].kind == LW_FUSED)
            continue;
        if (is_window_op(n->op))
            emit(g, 1, "st_window_init(&S->r%d, INT64_C(%lld), INT64_C(%lld), INT64_C(%lld));", n->id,
                 (long long)n->win_ms, (long long)n->slide_ms, (long long)pane_of(n));
        if (windowed_inverse(n))
            emit(g, 1, "S->war%d = st_arena_new();", n->id);
        if (n->op == OP_UPDATESTATEBYKEY) {
            emit(g, 1, "for (int k = 0; k < SC_SHARDS; k++) {");
            emit(g, 1, "    S->uar%d[k] = st_arena_new();", n->id);
            emit(g, 1, "    S->ulim%d[k] = (size_t)1 << 20;", n->id);
            emit(g, 1, "}");
        }
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
        if (n->ctx != c || g->plan->nodes[n->id].kind == LW_DEAD || g->plan->nodes[n->id].kind == LW_FUSED)
            continue;
        if (is_window_op(n->op))
            emit(g, 1, "st_window_free(&S->r%d);", n->id);
        if (agg_of(n->op) == AGG_KEYED) {
            emit(g, 1, "sc_locfree%d(S);", n->id);
        }
        if (windowed_inverse(n)) {
            emit(g, 1, "sc_w%d_free(&S->w%d);", n->id, n->id);
            emit(g, 1, "st_arena_free(S->war%d);", n->id);
        }
        if (n->op == OP_UPDATESTATEBYKEY) {
            emit(g, 1, "for (int k = 0; k < SC_SHARDS; k++) {");
            emit(g, 1, "    sc_u%d_free(&S->u%d[k]);", n->id, n->id);
            emit(g, 1, "    st_arena_free(S->uar%d[k]);", n->id);
            emit(g, 1, "}");
        }
    }
    emit(g, 1, "free(S);");
    emit(g, 0, "}");
    sb_puts(&g->out, "\n");
    emit_save(g, ci);
    emit_load(g, ci);
    sb_puts(&g->out, "\n");

    /* sources, in the order of lw_node.src_index */
    int nsrc = 0;
    for (int i = 0; i < p->nnodes; i++) {
        const st_node *n = g->plan->order[i];
        if (n->op != OP_SOURCE || n->ctx != c || g->plan->nodes[n->id].kind == LW_DEAD)
            continue;
        if (nsrc++ == 0)
            emit(g, 0, "static %sst_source_desc sc_src%d[] = {", p->nparams ? "" : "const ", ci);
        const st_decl *s = n->source;
        static const char *kinds[] = { "ST_SRC_SOCKET", "ST_SRC_TEXTFILES", "ST_SRC_FILE", "ST_SRC_STDIN",
                                       "ST_SRC_RATE" };
        emit(g, 1, "{ %s, %s, %s, %lld, %s, INT64_C(%lld), %s, INT64_C(%lld), %d },",
             c_lit(g, s->name, strlen(s->name)), kinds[s->src_kind], s->host ? c_lit(g, s->host, strlen(s->host)) : "NULL",
             (long long)s->port, s->path ? c_lit(g, s->path, strlen(s->path)) : "NULL", (long long)s->rate,
             s->loop ? "true" : "false", (long long)s->max_rate_v, s->storage);
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
    sb_puts(&g->out, "\n");
}

int codegen_emit(const st_program *p, const codegen_opts *opts, FILE *f)
{
    cg g = { .p = p, .opts = opts };
    g.plan = lower_program(p);
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
    sb_puts(&gp->out, "\n");

    for (int ci = 0; ci < p->ncontexts; ci++)
        emit_context(gp, ci);

    emit(gp, 0, "static const st_context_desc sc_contexts[] = {");
    for (int ci = 0; ci < p->ncontexts; ci++) {
        const st_decl *c = p->contexts[ci];
        emit(gp, 1, "{ %s, INT64_C(%lld), INT64_C(%lld), %s, %d, SC_NSRC%d, SC_SRC%d, INT64_C(%lld), sc_create%d, "
                    "sc_run%d, sc_destroy%d, UINT64_C(0x%016llx), sc_save%d, sc_load%d },",
             c_lit(gp, c->name, strlen(c->name)), (long long)c->batch_ms, (long long)c->block_ms,
             c->checkpoint ? c_lit(gp, c->checkpoint, strlen(c->checkpoint)) : "NULL", c->workers, ci, ci,
             (long long)lw_context_drain(g.plan, c), ci, ci, ci, (unsigned long long)state_hash(gp, c), ci, ci);
    }
    emit(gp, 0, "};");
    codegen_view(p, g.plan, &gp->out);
    cgx_bind(p, &g.out, &g.bind);
    char tail[160];
    emit(gp, 0, "static const st_program_desc sc_program = { %s, %d, sc_contexts%s };", c_lit(gp, prog, strlen(prog)),
         p->ncontexts, cgx_desc_tail(p, tail, sizeof tail));
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
    lower_free(g.plan);
    return rc;
}
