/* codegen_window.c: the translator of windows (see codegen_int.h):
 * window, countByWindow, reduceByWindow, reduceByKeyAndWindow and
 * countByValueAndWindow over st_window's slots, with the inverse-function
 * forms keeping a running map.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "codegen_int.h"

/* The pane a windowed operator keeps its input in (see st_window). */
int64_t pane_of(const st_node *n)
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
    emit(g, indent, "    %s *dst = sc_wappend_%d(sl, fresh, &%s, cnt);", ct(g, t), t->id, src);
    if (agg_of(n->op) != AGG_KEYED)
        emit(g, indent, "    (void)dst;");
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

void emit_window_node(cg *g, const st_node *n)
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
        if (inv && n->fn3)
            cgg_window_filter(g, n); /* filter = f: codegen_group.c */
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

void cw_create(cg *g, const st_node *n)
{
    emit(g, 1, "st_window_init(&S->r%d, INT64_C(%lld), INT64_C(%lld), INT64_C(%lld));", n->id,
         (long long)n->win_ms, (long long)n->slide_ms, (long long)pane_of(n));
    if (windowed_inverse(n))
        emit(g, 1, "S->war%d = st_arena_new();", n->id);
}

void cw_destroy(cg *g, const st_node *n)
{
    emit(g, 1, "st_window_free(&S->r%d);", n->id);
    if (agg_of(n->op) == AGG_KEYED)
        ck_destroy(g, n);
    if (windowed_inverse(n)) {
        emit(g, 1, "sc_w%d_free(&S->w%d);", n->id, n->id);
        emit(g, 1, "st_arena_free(S->war%d);", n->id);
    }
}

/* The element types of plain window slots (not countByWindow's counts,
 * not an inverse window's (entry, value) pairs), one ST_GEN_WSLOTS line
 * each; NULL: the slot holds none. */
const st_type *cw_slot_elem(const st_node *n)
{
    return n->op == OP_COUNTBYWINDOW || windowed_inverse(n) ? NULL : n->type;
}

void cw_emit_slot_types(cg *g)
{
    bool *done = calloc((size_t)g->p->ntypes + 2, sizeof *done);
    assert(done);
    for (int i = 0; i < g->p->nnodes; i++) {
        const st_node *n = g->plan->order[i];
        lw_kind k = g->plan->nodes[n->id].kind;
        const st_type *et = is_window_op(n->op) && k != LW_DEAD && k != LW_FUSED ? cw_slot_elem(n) : NULL;
        if (!et || (et->id <= g->p->ntypes && done[et->id]))
            continue;
        if (et->id <= g->p->ntypes)
            done[et->id] = true;
        emit(g, 0, "ST_GEN_WSLOTS(%d)", et->id);
    }
    free(done);
}
