/* codegen_rec.c: the C of records (see codegen_int.h): tuples and lists as
 * C structs, their hash/eq/fmt/copy/serialisation, the order of sorted,
 * min and max, constants as static data, and the expressions of spec
 * section 8.
 *
 * A tuple is struct { T1 _1; ...; Tn _n; }, a list struct { int64_t n;
 * T *v; } whose elements live in the batch arena (or in static data for a
 * constant): a list is never written after it is made, so sharing is safe
 * and sc_copy_<id> copies it where a value outlives its batch.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "codegen_int.h"

static bool is_tuple(const st_type *t)
{
    return t->kind == TY_PAIR || t->kind == TY_TUPLE;
}

/* no C form: [] or None whose type stayed unknown, errors, durations */
static bool has_nothing(const st_type *t)
{
    return type_has(t, 1u << TY_NOTHING | 1u << TY_ERROR | 1u << TY_DURATION);
}

bool cr_needs_copy(const st_type *t)
{
    return type_has(t, 1u << TY_STRING | 1u << TY_LIST);
}

/* ---- names -------------------------------------------------------------- */

void cr_name_put(sbuf *b, const st_type *t)
{
    switch (t->kind) {
    case TY_STRING: sb_puts(b, "string"); break;
    case TY_INT: sb_puts(b, "int"); break;
    case TY_FLOAT: sb_puts(b, "float"); break;
    case TY_BOOL: sb_puts(b, "bool"); break;
    case TY_LIST:
        sb_puts(b, t->flavor == ST_LIST_COMPACT ? "compactbuffer_" : t->flavor == ST_LIST_ARRAY ? "arraybuffer_" : "list_");
        cr_name_put(b, t->a);
        break;
    case TY_OPTION: sb_puts(b, "option_"); cr_name_put(b, t->a); break;
    case TY_PAIR: case TY_TUPLE:
        if (t->n == 2)
            sb_puts(b, "pair");
        else
            sb_printf(b, "tuple%d", t->n);
        for (int i = 0; i < t->n; i++) {
            sb_puts(b, "_");
            cr_name_put(b, t->el[i]);
        }
        break;
    default: sb_puts(b, "x"); break;
    }
}

const char *cr_cname(cg *g, const st_type *t)
{
    switch (t->kind) {
    case TY_STRING: return "st_str";
    case TY_INT: return "int64_t";
    case TY_FLOAT: return "double";
    case TY_BOOL: return "bool";
    default: break;
    }
    sbuf b = { 0 };
    sb_puts(&b, "sc_");
    cr_name_put(&b, t);
    char *r = cg_str(g, "%s", b.p);
    sb_free(&b);
    return r;
}

/* ---- types ---------------------------------------------------------------- */

static void emit_tuple(cg *g, const st_type *t, const char *desc)
{
    int id = t->id, n = t->n;
    sbuf b = { 0 };
    sb_printf(&b, "typedef struct sc_T%d {", id);
    for (int i = 0; i < n; i++)
        sb_printf(&b, " %s _%d;", ct(g, t->el[i]), i + 1);
    sb_printf(&b, " } sc_T%d; /* %s */", id, desc);
    emit(g, 0, "%s", b.p);
    sb_free(&b);

    emit(g, 0, "static inline uint64_t sc_hash_%d(sc_T%d v, uint64_t seed)", id, id);
    emit(g, 0, "{");
    for (int i = 0; i < n; i++)
        emit(g, 1, "seed = sc_hash_%d(v._%d, seed);", t->el[i]->id, i + 1);
    emit(g, 1, "return seed;");
    emit(g, 0, "}");

    emit(g, 0, "static inline bool sc_eq_%d(sc_T%d a, sc_T%d b)", id, id, id);
    b = (sbuf){ 0 };
    for (int i = 0; i < n; i++)
        sb_printf(&b, "%ssc_eq_%d(a._%d, b._%d)", i ? " && " : "", t->el[i]->id, i + 1, i + 1);
    emit(g, 0, "{ return %s; }", b.p ? b.p : "true");
    sb_free(&b);

    /* as Scala: (a,b,c) */
    emit(g, 0, "static __attribute__((unused)) void sc_fmt_%d(st_buf *b, const sc_T%d *v)", id, id);
    emit(g, 0, "{");
    for (int i = 0; i < n; i++) {
        emit(g, 1, "st_buf_putc(b, '%c');", i ? ',' : '(');
        emit(g, 1, "sc_fmt_%d(b, &v->_%d);", t->el[i]->id, i + 1);
    }
    emit(g, 1, "st_buf_putc(b, ')');");
    emit(g, 0, "}");

    emit(g, 0, "static inline sc_T%d sc_copy_%d(st_arena *a, sc_T%d v)", id, id, id);
    emit(g, 0, "{");
    if (!cr_needs_copy(t))
        emit(g, 1, "(void)a;");
    for (int i = 0; i < n; i++)
        if (cr_needs_copy(t->el[i]))
            emit(g, 1, "v._%d = sc_copy_%d(a, v._%d);", i + 1, t->el[i]->id, i + 1);
    emit(g, 1, "return v;");
    emit(g, 0, "}");

    emit(g, 0, "static __attribute__((unused)) void sc_ser_%d(st_buf *b, const sc_T%d *v)", id, id);
    emit(g, 0, "{");
    for (int i = 0; i < n; i++)
        emit(g, 1, "sc_ser_%d(b, &v->_%d);", t->el[i]->id, i + 1);
    emit(g, 0, "}");
    emit(g, 0, "static __attribute__((unused)) void sc_de_%d(st_rd *r, st_arena *a, sc_T%d *v)", id, id);
    emit(g, 0, "{");
    for (int i = 0; i < n; i++)
        emit(g, 1, "sc_de_%d(r, a, &v->_%d);", t->el[i]->id, i + 1);
    emit(g, 0, "}");
}

/* The name a list prints under. Lists are one type today; the buffers of
   groupByKey (CompactBuffer) and groupByKeyAndWindow (ArrayBuffer) can be
   list types of their own (another st_type, same C layout) named here. */
static const char *list_print_name(const st_type *t)
{
    return t->flavor == ST_LIST_COMPACT ? "CompactBuffer" : t->flavor == ST_LIST_ARRAY ? "ArrayBuffer" : "List";
}

bool cr_emit_type(cg *g, const st_type *t)
{
    if (has_nothing(t))
        return true;
    if (!is_tuple(t) && t->kind != TY_LIST)
        return false;
    char desc[256];
    type_str(t, desc, sizeof desc);
    int id = t->id;
    if (t->kind == TY_LIST) {
        emit(g, 0, "ST_GEN_LIST(%d, %d, \"%s\") /* %s */", id, t->a->id, list_print_name(t), desc);
    } else if (t->n == 2) {
        emit(g, 0, "ST_GEN_PAIR(%d, %d, %d) /* %s */", id, t->el[0]->id, t->el[1]->id, desc);
    } else {
        emit_tuple(g, t, desc);
        cr_emit_cmp_alias(g, t);
        emit(g, 0, "ST_GEN_COMMON(%d)", id);
    }
    emit(g, 0, "typedef sc_T%d %s;", id, cr_cname(g, t));
    return true;
}

void cr_emit_cmp_alias(cg *g, const st_type *t)
{
    int id = t->id;
    emit(g, 0, "static __attribute__((unused)) int sc_cmp_%d(sc_T%d a, sc_T%d b)", id, id, id);
    emit(g, 0, "{");
    emit(g, 1, "int c;");
    for (int i = 0; i < t->n; i++) {
        emit(g, 1, "if ((c = sc_cmp_%d(a._%d, b._%d)))", t->el[i]->id, i + 1, i + 1);
        emit(g, 2, "return c;");
    }
    emit(g, 1, "return 0;");
    emit(g, 0, "}");
}

/* Each type is one macro line of st_gen.h, which defines sc_T<id> and its
 * typed functions (hash, eq, fmt, copy, ser/de, cmp); tuples of more than
 * two and types without a C form: codegen_rec.c. */
void emit_types(cg *g)
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

/* ---- constants -------------------------------------------------------------- */

/* A C initializer for the constant expression e; lists become static
   arrays emitted first. */
static char *cinit(cg *g, const st_expr *e, const st_type *t)
{
    switch (e->kind) {
    case EX_INT: case EX_FLOAT: case EX_STRING: case EX_BOOL: case EX_UNARY: {
        if (e->kind == EX_STRING)
            return cg_str(g, "{ %s, %zu }", c_lit(g, e->sval, e->slen), e->slen);
        const st_expr *lit = e->kind == EX_UNARY ? e->a : e;
        ex x = { .g = g, .ar = "NULL", .fail = "abort()" };
        char *v = cx(&x, lit); /* a literal: a C constant */
        const char *neg = e->kind == EX_UNARY ? "-" : "";
        if (t->kind == TY_FLOAT && lit->kind == EX_INT)
            return cg_str(g, "%s(double)%s", neg, v);
        return cg_str(g, "%s%s", neg, v);
    }
    case EX_NAME:
        if (e->ref == REF_NONE_VALUE)
            return "{ .some = false }";
        assert(e->ref == REF_CONST);
        return cinit(g, e->decl->value, t);
    case EX_CALL:
        assert(e->builtin == BI_SOME);
        return cg_str(g, "{ true, %s }", cinit(g, e->args[0], t->a));
    case EX_TUPLE: {
        sbuf b = { 0 };
        sb_puts(&b, "{ ");
        for (int i = 0; i < e->nargs; i++)
            sb_printf(&b, "%s%s", i ? ", " : "", cinit(g, e->args[i], t->el[i]));
        sb_puts(&b, " }");
        char *r = cg_str(g, "%s", b.p);
        sb_free(&b);
        return r;
    }
    case EX_LIST: {
        if (e->nargs == 0)
            return "{ 0, NULL }";
        sbuf b = { 0 };
        for (int i = 0; i < e->nargs; i++)
            sb_printf(&b, "%s%s", i ? ", " : "", cinit(g, e->args[i], t->a));
        char *arr = tmpname(g);
        emit(g, 0, "static sc_T%d %s[%d] = { %s };", t->a->id, arr, e->nargs, b.p);
        sb_free(&b);
        return cg_str(g, "{ %d, %s }", e->nargs, arr);
    }
    default:
        assert(!"not a constant");
        return NULL;
    }
}

void cr_emit_consts(cg *g)
{
    const st_program *p = g->p;
    for (int i = 0; i < p->ndecls; i++) {
        const st_decl *d = p->decls[i];
        if (d->kind != DECL_VAL || !d->used)
            continue;
        emit(g, 0, "/* val %s */", d->name);
        char *v = cinit(g, d->value, d->value->type);
        emit(g, 0, "static const sc_T%d sc_c%d = %s;", d->value->type->id, d->index, v);
    }
}

/* ---- expressions -------------------------------------------------------------- */

static const char *local_name(cg *g, int id, const char *set)
{
    if (set) {
        if (id >= g->caplocals) {
            int n = g->caplocals ? g->caplocals : 16;
            while (n <= id)
                n *= 2;
            g->locals = realloc(g->locals, (size_t)n * sizeof *g->locals);
            if (!g->locals)
                abort();
            memset(g->locals + g->caplocals, 0, (size_t)(n - g->caplocals) * sizeof *g->locals);
            g->caplocals = n;
        }
        g->locals[id] = set;
    }
    assert(id < g->caplocals && g->locals[id]);
    return g->locals[id];
}

/* the elements of list l as sc_v<k>.v[...] in a loop: returns the loop's
   variables in *n and *v */
static char *fresh_list(ex *x, const st_type *lt, const char *len)
{
    cg *g = x->g;
    char *t = tmpname(g);
    emit(g, x->indent, "%s %s = { %s, NULL };", ct(g, lt), t, len);
    emit(g, x->indent, "%s.v = %s.n ? st_arena_alloc(%s, (size_t)%s.n * sizeof *%s.v) : NULL;", t, t, x->ar, t, t);
    return t;
}

static char *list_call(ex *x, const st_expr *e)
{
    cg *g = x->g;
    const st_type *lt = e->args[0]->type, *el = lt->a;
    char *l = cx(x, e->args[0]);
    char *t;
    char *i = tmpname(g); /* loop index */
    switch (e->builtin) {
    case BI_LIST_LEN: return cg_str(g, "(%s).n", l);
    case BI_TOLIST: { /* the same layout: the buffer's values, shared */
        char *b = tmpname(g);
        t = tmpname(g);
        emit(g, x->indent, "%s %s = %s;", ct(g, lt), b, l);
        emit(g, x->indent, "%s %s = { %s.n, %s.v };", ct(g, e->type), t, b, b);
        (void)i;
        return t;
    }
    case BI_SUM:
        t = tmpname(g);
        emit(g, x->indent, "%s %s = 0;", ct(g, el), t);
        emit(g, x->indent, "for (int64_t %s = 0; %s < (%s).n; %s++)", i, i, l, i);
        if (el->kind == TY_INT)
            emit(g, x->indent, "    %s = st_add(%s, (%s).v[%s]);", t, t, l, i);
        else
            emit(g, x->indent, "    %s += (%s).v[%s];", t, l, i);
        return t;
    case BI_MIN:
    case BI_MAX: {
        bool mn = e->builtin == BI_MIN;
        t = tmpname(g);
        char *lv = tmpname(g);
        emit(g, x->indent, "%s %s = %s;", ct(g, lt), lv, l);
        emit(g, x->indent, "if (%s.n == 0) {", lv);
        skip_stmt(x, mn ? "min of an empty list" : "max of an empty list", "ST_STR_LIT(\"List()\")");
        emit(g, x->indent, "}");
        emit(g, x->indent, "%s %s = %s.v[0];", ct(g, el), t, lv);
        emit(g, x->indent, "for (int64_t %s = 1; %s < %s.n; %s++)", i, i, lv, i);
        emit(g, x->indent, "    if (sc_cmp_%d(%s.v[%s], %s) %s 0)", el->id, lv, i, t, mn ? "<" : ">");
        emit(g, x->indent, "        %s = %s.v[%s];", t, lv, i);
        return t;
    }
    case BI_LIST_CONTAINS: {
        char *v = cx(x, e->args[1]);
        t = tmpname(g);
        emit(g, x->indent, "bool %s = false;", t);
        emit(g, x->indent, "for (int64_t %s = 0; !%s && %s < (%s).n; %s++)", i, t, i, l, i);
        emit(g, x->indent, "    %s = sc_eq_%d((%s).v[%s], %s);", t, el->id, l, i, v);
        return t;
    }
    case BI_SORTED: {
        char *lv = tmpname(g);
        emit(g, x->indent, "%s %s = %s;", ct(g, lt), lv, l);
        t = fresh_list(x, lt, cg_str(g, "%s.n", lv));
        emit(g, x->indent, "if (%s.n) {", t);
        emit(g, x->indent, "    memcpy(%s.v, %s.v, (size_t)%s.n * sizeof *%s.v);", t, lv, t, t);
        emit(g, x->indent, "    st_sort_stable(%s, %s.v, (size_t)%s.n, sizeof *%s.v, sc_cmpv_%d);", x->ar, t, t,
             t, el->id);
        emit(g, x->indent, "}");
        return t;
    }
    case BI_MKSTRING: {
        const char *start = "ST_STR_LIT(\"\")", *sep = start, *end = start;
        if (e->nargs == 2)
            sep = cx(x, e->args[1]);
        else if (e->nargs == 4) {
            start = cx(x, e->args[1]);
            sep = cx(x, e->args[2]);
            end = cx(x, e->args[3]);
        }
        char *lv = tmpname(g);
        char *parts = tmpname(g);
        emit(g, x->indent, "%s %s = %s;", ct(g, lt), lv, l);
        emit(g, x->indent, "st_str *%s = st_arena_alloc(%s, (size_t)(%s.n + 1) * sizeof *%s);", parts, x->ar,
             lv, parts);
        emit(g, x->indent, "for (int64_t %s = 0; %s < %s.n; %s++)", i, i, lv, i);
        emit(g, x->indent, "    %s[%s] = %s;", parts, i, to_str(x, el, cg_str(g, "%s.v[%s]", lv, i)));
        t = tmpname(g);
        emit(g, x->indent, "st_str %s = st_join(%s, %s, %s.n, %s, %s, %s);", t, x->ar, parts, lv, start, sep, end);
        return t;
    }
    default:
        assert(!"not a list built-in");
        return NULL;
    }
}

char *cr_expr(ex *x, const st_expr *e)
{
    cg *g = x->g;
    switch (e->kind) {
    case EX_NAME:
        if (e->ref == REF_LOCAL)
            return (char *)local_name(g, e->let->local_id, NULL);
        if (e->ref == REF_CONST)
            return cg_str(g, "sc_c%d", e->decl->index);
        if (e->ref == REF_NONE_VALUE)
            return cg_str(g, "((%s){ .some = false })", ct(g, e->type));
        return NULL;
    case EX_CALL:
        if (e->ref != REF_BUILTIN)
            return NULL;
        switch (e->builtin) {
        case BI_SOME: {
            char *v = cx(x, e->args[0]);
            return cg_str(g, "((%s){ true, %s })", ct(g, e->type), v);
        }
        case BI_LIST_LEN: case BI_SUM: case BI_MIN: case BI_MAX: case BI_LIST_CONTAINS: case BI_SORTED:
        case BI_MKSTRING: case BI_TOLIST:
            return list_call(x, e);
        default:
            return NULL;
        }
    case EX_TUPLE: {
        sbuf b = { 0 };
        for (int i = 0; i < e->nargs; i++) {
            char *v = cx(x, e->args[i]);
            sb_printf(&b, "%s%s", i ? ", " : "", v);
        }
        char *r = cg_str(g, "((%s){ %s })", ct(g, e->type), b.p);
        sb_free(&b);
        return r;
    }
    case EX_LIST: {
        if (e->nargs == 0)
            return cg_str(g, "((%s){ 0, NULL })", ct(g, e->type));
        char **v = calloc((size_t)e->nargs, sizeof *v);
        if (!v)
            abort();
        for (int i = 0; i < e->nargs; i++)
            v[i] = cx(x, e->args[i]);
        char *t = fresh_list(x, e->type, cg_str(g, "%d", e->nargs));
        for (int i = 0; i < e->nargs; i++)
            emit(g, x->indent, "%s.v[%d] = %s;", t, i, v[i]);
        free(v);
        return t;
    }
    case EX_INDEX: {
        char *l = cx(x, e->a);
        char *i = cx(x, e->b);
        char *lv = tmpname(g), *iv = tmpname(g);
        emit(g, x->indent, "%s %s = %s;", ct(g, e->a->type), lv, l);
        emit(g, x->indent, "int64_t %s = %s;", iv, i);
        emit(g, x->indent, "if (%s < 0 || %s >= %s.n) {", iv, iv, lv);
        skip_stmt(x, "list index out of range", cg_str(g, "st_int_to_str(%s, %s)", x->ar, iv));
        emit(g, x->indent, "}");
        return cg_str(g, "%s.v[%s]", lv, iv);
    }
    case EX_BLOCK:
        for (int i = 0; i < e->nargs; i++) {
            const st_expr *l = e->args[i];
            char *v = cx(x, l->a);
            char *t = tmpname(g);
            emit(g, x->indent, "%s %s = %s; /* val %s */", ct(g, l->type), t, v, l->name);
            emit(g, x->indent, "(void)%s;", t);
            local_name(g, l->local_id, t);
        }
        return cx(x, e->c);
    default:
        return NULL;
    }
}

/* ---- foreachRDD ----------------------------------------------------------------- */

const char *cr_rdd_name(cg *g, const st_type *t)
{
    sbuf b = { 0 };
    sb_puts(&b, "sc_rdd_");
    cr_name_put(&b, t);
    char *r = cg_str(g, "%s", b.p);
    sb_free(&b);
    return r;
}

void cr_emit_rdd_types(cg *g)
{
    const st_program *p = g->p;
    bool *done = calloc((size_t)p->ntypes + 1, sizeof *done);
    if (!done)
        abort();
    for (int i = 0; i < p->nnodes; i++) {
        const st_node *n = g->plan->order[i];
        if (n->op != OP_FOREACHRDD || g->plan->nodes[n->id].kind == LW_DEAD || done[n->type->id])
            continue;
        done[n->type->id] = true;
        /* st_rdd with data typed: a function of another element type does
           not match the prototype */
        emit(g, 0, "typedef struct %s {", cr_rdd_name(g, n->type));
        emit(g, 1, "int64_t time_ms;");
        emit(g, 1, "int64_t count;");
        emit(g, 1, "size_t elem_size;");
        emit(g, 1, "const %s *data;", cr_cname(g, n->type));
        emit(g, 1, "void (*format)(st_buf *out, const void *elem);");
        emit(g, 0, "} %s;", cr_rdd_name(g, n->type));
    }
    free(done);
}
