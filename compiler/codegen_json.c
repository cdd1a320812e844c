/* codegen_json.c: json() on the same record parsed once per fused chain.
 *
 * In a chain such as
 *     events.filter(e => json(e, "event_type") == "view")
 *           .map(e => (json(e, "ad_id"), 1))
 * every stage sees the same element, and each json() call would scan the
 * whole object again. Here the calls of a chain are grouped by the record
 * they read: an element of the chain (the root's, or the one a map or
 * flatMap made) or a tuple field of it; a record that a map carries on in
 * a tuple (map(e => (e, json(e, "a")))) is the same record in the later
 * stages (an alias: field 1 of the map's element is e). Each group gets,
 * where its element is bound, a cache:
 *     static const st_str sc_jnK[2] = { { "event_type", 10 }, { "ad_id", 5 } };
 *     st_str sc_jvK[2];
 *     uint64_t sc_jmK = 0;
 * and each call becomes: scan once if not scanned yet (st_json_fields,
 * every name of the group in one pass), then the call's bit of the mask
 * says whether json() succeeded, its slot is the value. A failed call
 * skips the record at the same place, with the same message, as st_json
 * would: the scan happens at the first call the record reaches, the
 * results are st_json's for every input (runtime/json.c). A group of one
 * call gets it too: st_json_fields is the faster scan.
 *
 * Calls are matched to groups by the C text of their record argument
 * without parentheses ("sc_x0._2"; an aliased record has one text per
 * element holding it): the element variables are assigned once, the
 * later ones after the cache's declaration and in its block or a nested
 * one, so equal text is the same value, in scope. A call that matches no
 * group keeps st_json. */
#include "codegen_json.h"

#include <stdlib.h>
#include <string.h>

#include "streamrt.h"   /* ST_JSON_MAX_FIELDS */

enum { CJ_MAX_PATH = 8 };

/* A record: an element of the chain, or a tuple field of one */
typedef struct cj_ref {
    const st_node *elem;          /* the operator that made the element; NULL: the root's */
    int path[CJ_MAX_PATH], npath; /* tuple fields (1-based) from the element */
} cj_ref;

/* map(e => (e, ...)): field 1 of the map's element is the element e */
typedef struct cj_alias {
    cj_ref from, to;
} cj_alias;

typedef struct cj_group {
    cj_ref at;                    /* the earliest element holding the record */
    cj_ref alts[4];               /* later spellings of it (through aliases) */
    int nalts;
    const st_expr *names[ST_JSON_MAX_FIELDS]; /* the EX_STRING names, distinct */
    int nnames;
    int id;                       /* sc_jm<id>; 0 until bound */
    char *keys[5];                /* the record's C texts, without parentheses */
    int nkeys;
} cj_group;

struct cj_chain {
    cj_group *gr;
    int n, cap;
    cj_alias al[16];
    int nal;
};

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p)
        abort();
    return p;
}

/* The path of fields from the lambda's parameter to e; false when e is
   not the parameter or a tuple field of it. */
static bool path_of(const st_expr *e, int *path, int *np)
{
    if (e->kind == EX_NAME && e->ref == REF_PARAM)
        return e->param_index == 0;
    if (e->kind == EX_NAME && e->ref == REF_PARAM_FIELD) {
        if (*np == CJ_MAX_PATH)
            return false;
        path[(*np)++] = e->param_index + 1;
        return true;
    }
    if (e->kind == EX_FIELD && e->a && e->a->type &&
        (e->a->type->kind == TY_PAIR || e->a->type->kind == TY_TUPLE)) {
        if (!path_of(e->a, path, np) || *np == CJ_MAX_PATH)
            return false;
        path[(*np)++] = e->field_index + 1;
        return true;
    }
    return false;
}

static bool is_json_call(const st_expr *e)
{
    return e->kind == EX_CALL && e->ref == REF_BUILTIN && e->builtin == BI_JSON && e->nargs == 2 &&
           e->args[1]->kind == EX_STRING;
}

static int name_index(const cj_group *gr, const st_expr *name)
{
    for (int i = 0; i < gr->nnames; i++)
        if (gr->names[i]->slen == name->slen && memcmp(gr->names[i]->sval, name->sval, name->slen) == 0)
            return i;
    return -1;
}

static bool ref_eq(const cj_ref *a, const cj_ref *b)
{
    return a->elem == b->elem && a->npath == b->npath && memcmp(a->path, b->path, sizeof *a->path * (size_t)a->npath) == 0;
}

/* r spelled on the earliest element that holds it (aliases point to
   earlier elements, so this ends) */
static cj_ref resolve(const struct cj_chain *c, cj_ref r)
{
    for (bool moved = true; moved;) {
        moved = false;
        for (int i = 0; i < c->nal && !moved; i++) {
            const cj_alias *a = &c->al[i];
            int rest = r.npath - a->from.npath;
            if (a->from.elem != r.elem || rest < 0 || a->to.npath + rest > CJ_MAX_PATH ||
                memcmp(a->from.path, r.path, sizeof *r.path * (size_t)a->from.npath) != 0)
                continue;
            cj_ref t = a->to;
            memcpy(t.path + t.npath, r.path + a->from.npath, sizeof *r.path * (size_t)rest);
            t.npath += rest;
            r = t;
            moved = true;
        }
    }
    return r;
}

static void add_call(struct cj_chain *c, const st_node *elem, const int *path, int np, const st_expr *name)
{
    cj_ref r = { elem, { 0 }, np };
    memcpy(r.path, path, sizeof *path * (size_t)np);
    cj_ref at = resolve(c, r);
    cj_group *gr = NULL;
    for (int i = 0; i < c->n && !gr; i++)
        if (ref_eq(&c->gr[i].at, &at))
            gr = &c->gr[i];
    if (!gr) {
        if (c->n == c->cap) {
            c->cap = c->cap ? 2 * c->cap : 4;
            c->gr = xrealloc(c->gr, sizeof *c->gr * (size_t)c->cap);
        }
        gr = &c->gr[c->n++];
        memset(gr, 0, sizeof *gr);
        gr->at = at;
    }
    if (!ref_eq(&r, &at)) {
        bool known = false;
        for (int i = 0; i < gr->nalts && !known; i++)
            known = ref_eq(&gr->alts[i], &r);
        if (!known && gr->nalts == (int)(sizeof gr->alts / sizeof *gr->alts))
            return;   /* too many spellings: this call keeps st_json */
        if (!known)
            gr->alts[gr->nalts++] = r;
    }
    if (name_index(gr, name) < 0) {
        if (gr->nnames == ST_JSON_MAX_FIELDS)
            return;   /* past the mask's width: this name keeps st_json */
        gr->names[gr->nnames++] = name;
    }
}

/* The json() calls in e (the body of an operator's lambda on element
   elem; base: the fields from the element to the lambda's parameter). */
static void collect(struct cj_chain *c, const st_expr *e, const st_node *elem, const int *base, int nbase)
{
    if (!e || e->kind == EX_LAMBDA)
        return;
    if (is_json_call(e)) {
        int path[CJ_MAX_PATH], np = nbase;
        memcpy(path, base, sizeof *base * (size_t)nbase);
        if (path_of(e->args[0], path, &np))
            add_call(c, elem, path, np, e->args[1]);
    }
    const st_expr *kids[3] = { e->a, e->b, e->c };
    for (int k = 0; k < 3; k++) {
        bool in_args = false;   /* a tuple's a and b are args[0] and args[1] too */
        for (int i = 0; i < e->nargs && !in_args; i++)
            in_args = e->args[i] == kids[k];
        if (!in_args)
            collect(c, kids[k], elem, base, nbase);
    }
    for (int i = 0; i < e->nargs; i++)
        collect(c, e->args[i], elem, base, nbase);
}

static void collect_op(struct cj_chain *c, const st_node *op, const st_node **elem)
{
    static const int two[1] = { 2 };
    bool values = op->op == OP_MAPVALUES || op->op == OP_FLATMAPVALUES;
    if (op->fn && op->fn->kind == EX_LAMBDA)
        collect(c, op->fn->a, *elem, two, values ? 1 : 0);
    /* map(e => (e, ...)): the new element's fields that are the record */
    const st_expr *body = op->fn && op->fn->kind == EX_LAMBDA ? op->fn->a : NULL;
    if (op->op == OP_MAP && body && body->kind == EX_TUPLE)
        for (int i = 0; i < body->nargs && c->nal < (int)(sizeof c->al / sizeof *c->al); i++) {
            cj_alias a = { { op, { i + 1 }, 1 }, { *elem, { 0 }, 0 } };
            if (path_of(body->args[i], a.to.path, &a.to.npath))
                c->al[c->nal++] = a;
        }
    if (op->op != OP_FILTER)
        *elem = op;
}

void cj_chain_begin(cg *g, st_node *const *ops, int n, const st_node *self)
{
    struct cj_chain *c = calloc(1, sizeof *c);
    if (!c)
        abort();
    const st_node *elem = NULL;
    for (int i = 0; i < n; i++)
        collect_op(c, ops[i], &elem);
    if (self)
        collect_op(c, self, &elem);
    g->json = c;
}

/* s without its parentheses */
static char *strip_parens(const char *s)
{
    char *o = xrealloc(NULL, strlen(s) + 1), *q = o;
    for (; *s; s++)
        if (*s != '(' && *s != ')')
            *q++ = *s;
    *q = 0;
    return o;
}

/* The C text of r, the element at r->elem being the variable cur */
static void add_key(cj_group *gr, const char *cur, const cj_ref *r)
{
    sbuf k = { 0 };
    char *base = strip_parens(cur);
    sb_puts(&k, base);
    free(base);
    for (int j = 0; j < r->npath; j++)
        sb_printf(&k, "._%d", r->path[j]);
    gr->keys[gr->nkeys++] = k.p;
}

void cj_bind(cg *g, const st_node *op, const char *cur, int indent)
{
    struct cj_chain *c = g->json;
    if (!c)
        return;
    for (int i = 0; i < c->n; i++) {
        cj_group *gr = &c->gr[i];
        if (gr->nnames == 0)   /* only calls left to st_json */
            continue;
        for (int j = 0; gr->id && j < gr->nalts; j++)
            if (gr->alts[j].elem == op)
                add_key(gr, cur, &gr->alts[j]);
        if (gr->at.elem != op || gr->id)
            continue;
        gr->id = ++g->tmp;
        add_key(gr, cur, &gr->at);
        sbuf init = { 0 };
        for (int j = 0; j < gr->nnames; j++)
            sb_printf(&init, "%s{ %s, %zu }", j ? ", " : "", c_lit(g, gr->names[j]->sval, gr->names[j]->slen),
                      gr->names[j]->slen);
        emit(g, indent, "/* json() of %s: one scan for the chain */", gr->keys[0]);
        emit(g, indent, "static const st_str sc_jn%d[%d] = { %s };", gr->id, gr->nnames, init.p);
        emit(g, indent, "st_str sc_jv%d[%d];", gr->id, gr->nnames);
        emit(g, indent, "uint64_t sc_jm%d = 0;", gr->id);
        emit(g, indent, "(void)sc_jn%d; (void)sc_jv%d; (void)sc_jm%d;", gr->id, gr->id, gr->id);
        sb_free(&init);
    }
}

char *cj_call(ex *x, const st_expr *e, const char *a0)
{
    cg *g = x->g;
    struct cj_chain *c = g->json;
    if (!c || !is_json_call(e))
        return NULL;
    char *key = strip_parens(a0);
    cj_group *gr = NULL;
    for (int i = 0; i < c->n && !gr; i++)
        for (int j = 0; j < c->gr[i].nkeys && !gr; j++)
            if (strcmp(c->gr[i].keys[j], key) == 0)
                gr = &c->gr[i];
    free(key);
    int k = gr ? name_index(gr, e->args[1]) : -1;
    if (k < 0)
        return NULL;
    char *t = tmpname(g);
    emit(g, x->indent, "st_str %s;", t);
    emit(g, x->indent, "if (!sc_jm%d)", gr->id);
    emit(g, x->indent, "    sc_jm%d = st_json_fields(%s, %s, sc_jn%d, %d, sc_jv%d);", gr->id, x->ar, a0, gr->id,
         gr->nnames, gr->id);
    emit(g, x->indent, "if (!(sc_jm%d & (UINT64_C(1) << %d))) {", gr->id, k);
    skip_stmt(x, "json field missing or not JSON", a0);
    emit(g, x->indent, "}");
    emit(g, x->indent, "%s = sc_jv%d[%d];", t, gr->id, k);
    return t;
}

void cj_chain_end(cg *g)
{
    struct cj_chain *c = g->json;
    if (!c)
        return;
    for (int i = 0; i < c->n; i++)
        for (int j = 0; j < c->gr[i].nkeys; j++)
            free(c->gr[i].keys[j]);
    free(c->gr);
    free(c);
    g->json = NULL;
}
