/* codegen_group.c: the translator of the grouping and ordering operators
 * (spec section 10; sema_group.c): cogroup, combineByKey, sortByKey,
 * sortBy, take and distinct (groupByKey: codegen_gbk.c). Each runs on its input's whole
 * batch (a materialized dataset, partitions in order) and makes a new one:
 *  - groupByKey: a chain-taking stage of its own (codegen_gbk.c);
 *  - cogroup: one hash pass numbers the keys in order of first
 *    appearance and counts their values, a second places every value at
 *    its key's next slot of one array, so each buffer is a slice of it
 *    in arrival order (a window's batches oldest first);
 *  - combineByKey: per input partition, create then mergeValue for each
 *    key's values in order; partitions merged in order by mergeCombiners
 *    (Spark's map-side combine);
 *  - sortByKey/sortBy: a stable sort by the key, ties broken by the whole
 *    element in the same direction (a total, deterministic order);
 *  - take(n): the first n elements, sharing the input's memory;
 *  - distinct: the first occurrence of each element, in order.
 */
#include <string.h>

#include "codegen_int.h"

/* the per-node types: maps from the key (element) to what is kept */
void cgg_node_types(cg *g, const st_node *n)
{
    int id = n->id;
    switch (n->op) {
    case OP_GROUPBYKEY:
        cgb_node_types(g, n); /* codegen_gbk.c */
        break;
    case OP_COGROUP:
        emit(g, 0, "typedef struct sc_gv%d { int64_t nl, nr; } sc_gv%d;", id, id);
        emit_map_type(g, cg_str(g, "sc_g%d", id), n->in->type->a, cg_str(g, "sc_gv%d", id));
        break;
    case OP_COMBINEBYKEY: {
        const char *c = ct(g, n->type->b);
        emit(g, 0, "typedef struct sc_gv%d { %s acc, part; int64_t pp; bool has; } sc_gv%d;", id, c, id);
        emit_map_type(g, cg_str(g, "sc_g%d", id), n->in->type->a, cg_str(g, "sc_gv%d", id));
        break;
    }
    case OP_DISTINCT:
        emit_map_type(g, cg_str(g, "sc_g%d", id), n->type, "char");
        break;
    case OP_SORTBY:
        emit(g, 0, "typedef struct sc_gk%d { %s k; %s e; } sc_gk%d;", id, ct(g, n->fn->type), ct(g, n->type), id);
        break;
    default:
        break;
    }
}

static void head(cg *g, const st_node *n)
{
    emit(g, 0, "static void sc_node%d(%s *D, st_job *job) /* %s */", n->id, ctx_d(n->ctx), op_name(n->op));
    emit(g, 0, "{");
    if (n->in2) {
        emit(g, 1, "if (!D->v%d || !D->v%d)", n->in->id, n->in2->id);
    } else
        emit(g, 1, "if (!D->v%d)", n->in->id);
    emit(g, 1, "    return;");
    emit(g, 1, "st_arena *ar = job->arenas[0];");
    emit(g, 1, "(void)ar;");
}

static void tail(cg *g, const st_node *n)
{
    emit(g, 1, "D->v%d = true;", n->id);
    emit(g, 0, "}");
    sb_puts(&g->out, "\n");
}

/* for (every element el[r] of dataset ds, partition p) { */
static void loop_begin(cg *g, int indent, const char *ds, const st_type *t)
{
    emit(g, indent, "for (int p = 0; p < (%s)->nparts; p++) {", ds);
    emit(g, indent + 1, "const %s *el = (%s)->parts[p].data;", ct(g, t), ds);
    emit(g, indent + 1, "for (int64_t r = 0; r < (%s)->parts[p].n; r++) {", ds);
}

static void loop_end(cg *g, int indent)
{
    emit(g, indent + 1, "}");
    emit(g, indent, "}");
}

/* a user function applied to a0 (and a1): a C expression; its statements
   are emitted first, a failing built-in runs fail */
static char *apply(cg *g, int indent, const st_expr *fn, const char *a0, const char *a1, const char *fail)
{
    ex x = { .g = g, .indent = indent, .fail = fail, .ar = "ar" };
    line_begin(g, indent, fn->loc);
    char *v = cx_lambda(&x, fn, a0, a1);
    line_end(g);
    return v;
}

/* cogroup: side `in` numbered into the map, counted in cnt */
static void group_pass1(cg *g, const st_node *n, const st_node *in, const char *cnt, const char *gid)
{
    int id = n->id;
    const st_type *kt = n->in->type->a;
    loop_begin(g, 1, cg_str(g, "&D->d%d", in->id), in->type);
    emit(g, 3, "bool ins;");
    emit(g, 3, "sc_g%d_ent *e = sc_g%d_upsert(&m, el[r]._1, sc_hash_%d(el[r]._1, %s), &ins);", id, id, kt->id,
         HASH_SEED);
    emit(g, 3, "if (ins)");
    emit(g, 3, "    memset(&e->v, 0, sizeof e->v);");
    emit(g, 3, "%s++;", cnt);
    emit(g, 3, "%s[q++] = (uint32_t)(e - m.ents);", gid);
    loop_end(g, 1);
}

static void group_pass2(cg *g, const st_node *in, const char *vals, const char *pos, const char *gid)
{
    emit(g, 1, "q = 0;");
    loop_begin(g, 1, cg_str(g, "&D->d%d", in->id), in->type);
    emit(g, 3, "%s[%s[%s[q++]]++] = el[r]._2;", vals, pos, gid);
    loop_end(g, 1);
}

static void emit_cogroup(cg *g, const st_node *n)
{
    int id = n->id;
    const char *ot = ct(g, n->type);
    head(g, n);
    /* a record's key number: 32 bits (a batch holds fewer keys), less memory to touch */
    emit(g, 1, "int64_t nl = sc_ds_count(&D->d%d), nr = sc_ds_count(&D->d%d), q = 0;", n->in->id, n->in2->id);
    emit(g, 1, "uint32_t *gl = st_arena_alloc(ar, sizeof *gl * (size_t)(nl + 1));");
    emit(g, 1, "uint32_t *gr = st_arena_alloc(ar, sizeof *gr * (size_t)(nr + 1));");
    emit(g, 1, "sc_g%d m;", id);
    emit(g, 1, "memset(&m, 0, sizeof m);");
    group_pass1(g, n, n->in, "e->v.nl", "gl");
    emit(g, 1, "q = 0;");
    group_pass1(g, n, n->in2, "e->v.nr", "gr");
    emit(g, 1, "const int64_t ng = m.n;");
    emit(g, 1, "%s *vl = st_arena_alloc(ar, sizeof *vl * (size_t)(nl + 1));", ct(g, n->in->type->b));
    emit(g, 1, "%s *vr = st_arena_alloc(ar, sizeof *vr * (size_t)(nr + 1));", ct(g, n->in2->type->b));
    emit(g, 1, "int64_t *pl = st_arena_alloc(ar, sizeof *pl * (size_t)(ng + 1));");
    emit(g, 1, "int64_t *pr = st_arena_alloc(ar, sizeof *pr * (size_t)(ng + 1));");
    emit(g, 1, "sc_split_out(&D->d%d, ng, job->nworkers, sizeof(%s), ar);", id, ot);
    emit(g, 1, "for (int64_t k = 0, ol = 0, or = 0; k < ng; k++) {");
    emit(g, 2, "%s *x = sc_out_slot(&D->d%d, k, sizeof *x);", ot, id);
    emit(g, 2, "x->_1 = m.ents[k].k;");
    emit(g, 2, "x->_2._1 = (%s){ m.ents[k].v.nl, vl + ol };", ct(g, n->type->b->a));
    emit(g, 2, "x->_2._2 = (%s){ m.ents[k].v.nr, vr + or };", ct(g, n->type->b->b));
    emit(g, 2, "pl[k] = ol;");
    emit(g, 2, "pr[k] = or;");
    emit(g, 2, "ol += m.ents[k].v.nl;");
    emit(g, 2, "or += m.ents[k].v.nr;");
    emit(g, 1, "}");
    group_pass2(g, n->in, "vl", "pl", "gl");
    group_pass2(g, n->in2, "vr", "pr", "gr");
    emit(g, 1, "sc_g%d_free(&m);", id);
    tail(g, n);
}

static void emit_combine(cg *g, const st_node *n)
{
    int id = n->id;
    const st_type *kt = n->in->type->a, *c = n->type->b;
    const char *ot = ct(g, n->type);
    head(g, n);
    emit(g, 1, "sc_g%d m;", id);
    emit(g, 1, "memset(&m, 0, sizeof m);");
    loop_begin(g, 1, cg_str(g, "&D->d%d", n->in->id), n->in->type);
    emit(g, 3, "bool ins;");
    emit(g, 3, "sc_g%d_ent *e = sc_g%d_upsert(&m, el[r]._1, sc_hash_%d(el[r]._1, %s), &ins);", id, id, kt->id,
         HASH_SEED);
    emit(g, 3, "if (ins) {");
    emit(g, 3, "    memset(&e->v, 0, sizeof e->v);");
    emit(g, 3, "    e->v.pp = -1;");
    emit(g, 3, "}");
    emit(g, 3, "if (e->v.pp == p) {");
    char *mv = apply(g, 4, n->fn2, "e->v.part", "el[r]._2", "continue");
    emit(g, 4, "e->v.part = %s;", mv);
    emit(g, 4, "continue;");
    emit(g, 3, "}");
    emit(g, 3, "if (e->v.pp >= 0) { /* the key's combiner of an earlier partition */");
    char *mc = apply(g, 4, n->fn3, "e->v.acc", "e->v.part", "continue");
    emit(g, 4, "e->v.acc = e->v.has ? %s : e->v.part;", mc);
    emit(g, 4, "e->v.has = true;");
    emit(g, 4, "e->v.pp = -1;");
    emit(g, 3, "}");
    char *cv = apply(g, 3, n->fn, "el[r]._2", NULL, "continue");
    emit(g, 3, "e->v.part = %s;", cv);
    emit(g, 3, "e->v.pp = p;");
    loop_end(g, 1);
    /* the last partition's combiners; then the keys that have one */
    emit(g, 1, "int64_t no = 0;");
    emit(g, 1, "for (int64_t k = 0; k < m.n; k++) {");
    emit(g, 2, "sc_g%d_ent *e = &m.ents[k];", id);
    emit(g, 2, "if (e->v.pp >= 0) {");
    mc = apply(g, 3, n->fn3, "e->v.acc", "e->v.part", "continue");
    emit(g, 3, "e->v.acc = e->v.has ? %s : e->v.part;", mc);
    emit(g, 3, "e->v.has = true;");
    emit(g, 2, "}");
    emit(g, 2, "no += e->v.has;");
    emit(g, 1, "}");
    emit(g, 1, "sc_split_out(&D->d%d, no, job->nworkers, sizeof(%s), ar);", id, ot);
    emit(g, 1, "for (int64_t k = 0, o = 0; k < m.n; k++) {");
    emit(g, 2, "if (!m.ents[k].v.has)");
    emit(g, 2, "    continue;");
    emit(g, 2, "%s *x = sc_out_slot(&D->d%d, o++, sizeof *x);", ot, id);
    emit(g, 2, "x->_1 = m.ents[k].k;");
    emit(g, 2, "x->_2 = m.ents[k].v.acc;");
    emit(g, 1, "}");
    (void)c;
    emit(g, 1, "sc_g%d_free(&m);", id);
    tail(g, n);
}

/* sortByKey/sortBy: the comparator, then the node */
static void emit_sort(cg *g, const st_node *n)
{
    int id = n->id;
    const st_type *t = n->type;
    const char *et = ct(g, t);
    bool by = n->op == OP_SORTBY;
    const char *st = by ? cg_str(g, "sc_gk%d", id) : et;
    emit(g, 0, "static int sc_gcmp%d(const void *a, const void *b)", id);
    emit(g, 0, "{");
    emit(g, 1, "const %s *x = a, *y = b;", st);
    if (by) {
        emit(g, 1, "int c = sc_cmp_%d(x->k, y->k);", n->fn->type->id);
        emit(g, 1, "if (!c)");
        emit(g, 1, "    c = sc_cmp_%d(x->e, y->e);", t->id);
    } else {
        emit(g, 1, "int c = sc_cmp_%d(x->_1, y->_1);", t->a->id);
        emit(g, 1, "if (!c)");
        emit(g, 1, "    c = sc_cmp_%d(*x, *y);", t->id);
    }
    emit(g, 1, "return %s;", n->descending ? "-c" : "c");
    emit(g, 0, "}");
    head(g, n);
    emit(g, 1, "int64_t total = sc_ds_count(&D->d%d), q = 0;", n->in->id);
    emit(g, 1, "%s *s = st_arena_alloc(ar, sizeof *s * (size_t)(total + 1));", st);
    loop_begin(g, 1, cg_str(g, "&D->d%d", n->in->id), n->in->type);
    if (by) {
        char *k = apply(g, 3, n->fn, "el[r]", NULL, "continue");
        emit(g, 3, "s[q].k = %s;", k);
        emit(g, 3, "s[q++].e = el[r];");
    } else
        emit(g, 3, "s[q++] = el[r];");
    loop_end(g, 1);
    emit(g, 1, "st_sort_stable(ar, s, (size_t)q, sizeof *s, sc_gcmp%d);", id);
    emit(g, 1, "sc_split_out(&D->d%d, q, job->nworkers, sizeof(%s), ar);", id, et);
    emit(g, 1, "for (int64_t k = 0; k < q; k++)");
    emit(g, 1, "    *(%s *)sc_out_slot(&D->d%d, k, sizeof(%s)) = s[k]%s;", et, id, et, by ? ".e" : "");
    tail(g, n);
}

static void emit_take(cg *g, const st_node *n)
{
    int id = n->id;
    head(g, n);
    emit(g, 1, "const st_ds *I = &D->d%d;", n->in->id);
    emit(g, 1, "int64_t left = INT64_C(%lld);", (long long)n->n);
    emit(g, 1, "D->d%d.parts = st_arena_alloc(ar, sizeof(st_part) * (size_t)(I->nparts + 1));", id);
    emit(g, 1, "D->d%d.nparts = 0;", id);
    emit(g, 1, "for (int p = 0; p < I->nparts && left > 0; p++) {");
    emit(g, 2, "st_part x = I->parts[p];");
    emit(g, 2, "if (x.n > left)");
    emit(g, 2, "    x.n = left;");
    emit(g, 2, "left -= x.n;");
    emit(g, 2, "D->d%d.parts[D->d%d.nparts++] = x;", id, id);
    emit(g, 1, "}");
    tail(g, n);
}

static void emit_distinct(cg *g, const st_node *n)
{
    int id = n->id;
    const st_type *t = n->type;
    const char *et = ct(g, t);
    head(g, n);
    emit(g, 1, "int64_t total = sc_ds_count(&D->d%d), q = 0;", n->in->id);
    emit(g, 1, "%s *s = st_arena_alloc(ar, sizeof *s * (size_t)(total + 1));", et);
    emit(g, 1, "sc_g%d m;", id);
    emit(g, 1, "memset(&m, 0, sizeof m);");
    loop_begin(g, 1, cg_str(g, "&D->d%d", n->in->id), n->in->type);
    emit(g, 3, "bool ins;");
    emit(g, 3, "sc_g%d_upsert(&m, el[r], sc_hash_%d(el[r], %s), &ins);", id, t->id, HASH_SEED);
    emit(g, 3, "if (ins)");
    emit(g, 3, "    s[q++] = el[r];");
    loop_end(g, 1);
    emit(g, 1, "sc_g%d_free(&m);", id);
    emit(g, 1, "sc_split_out(&D->d%d, q, job->nworkers, sizeof(%s), ar);", id, et);
    emit(g, 1, "for (int64_t k = 0; k < q; k++)");
    emit(g, 1, "    *(%s *)sc_out_slot(&D->d%d, k, sizeof(%s)) = s[k];", et, id, et);
    tail(g, n);
}

const cg_family cgg_family = { "group", emit_group_node, NULL, NULL };

void emit_group_node(cg *g, const st_node *n)
{
    switch (n->op) {
    case OP_COGROUP: emit_cogroup(g, n); break;
    case OP_COMBINEBYKEY: emit_combine(g, n); break;
    case OP_SORTBYKEY: case OP_SORTBY: emit_sort(g, n); break;
    case OP_TAKE: emit_take(g, n); break;
    default: emit_distinct(g, n); break;
    }
}

/* At each output of an inverse reduceByKeyAndWindow with filter = p: the
 * running map rebuilt with the keys p is true of, in their order, in a
 * fresh arena (memory stays O(kept keys)); each slot's record of what it
 * added keeps only those keys, renumbered. As Spark's filterFunc, a key
 * that left the state starts again from its new values only. */
void cgg_window_filter(cg *g, const st_node *n)
{
    int id = n->id;
    const st_type *t = n->type, *kt = t->a, *vt = t->b;
    emit(g, 1, "{");
    emit(g, 2, "int64_t *remap = st_arena_alloc(ar0, sizeof *remap * (size_t)(S->w%d.n + 1));", id);
    emit(g, 2, "sc_w%d nw;", id);
    emit(g, 2, "memset(&nw, 0, sizeof nw);");
    emit(g, 2, "st_arena *na = st_arena_new();");
    emit(g, 2, "for (int64_t q = 0; q < S->w%d.n; q++) {", id);
    emit(g, 3, "remap[q] = -1;");
    emit(g, 3, "const %s pr = { S->w%d.ents[q].k, S->w%d.ents[q].v };", ct(g, t), id, id);
    char *keep = apply(g, 3, n->fn3, "pr", NULL, "continue");
    emit(g, 3, "if (!(%s))", keep);
    emit(g, 3, "    continue;");
    emit(g, 3, "bool ins;");
    emit(g, 3, "sc_w%d_ent *e = sc_w%d_upsert(&nw, pr._1, S->w%d.ents[q].h, &ins);", id, id, id);
    emit(g, 3, "e->k = sc_copy_%d(na, pr._1);", kt->id);
    emit(g, 3, "e->v = sc_copy_%d(na, pr._2);", vt->id);
    emit(g, 3, "remap[q] = e - nw.ents;");
    emit(g, 2, "}");
    emit(g, 2, "for (int64_t k = 0; k < S->r%d.n; k++) {", id);
    emit(g, 3, "st_wslot *ws = &S->r%d.slots[k];", id);
    emit(g, 3, "sc_wi%d *ev = ws->data;", id);
    emit(g, 3, "int64_t o = 0;");
    emit(g, 3, "for (int64_t q = 0; q < ws->n; q++)");
    emit(g, 3, "    if (remap[ev[q].idx] >= 0) {");
    emit(g, 3, "        ev[o] = ev[q];");
    emit(g, 3, "        ev[o++].idx = remap[ev[q].idx];");
    emit(g, 3, "    }");
    emit(g, 3, "ws->n = o;");
    emit(g, 2, "}");
    emit(g, 2, "sc_w%d_free(&S->w%d);", id, id);
    emit(g, 2, "st_arena_free(S->war%d);", id);
    emit(g, 2, "S->w%d = nw;", id);
    emit(g, 2, "S->war%d = na;", id);
    emit(g, 1, "}");
}
