/* codegen_state.c: the translator of updateStateByKey (see
 * codegen_int.h) and the checkpoint of a context's state (sc_save<c>,
 * sc_load<c>, the state hash that refuses a checkpoint of another
 * program).
 */
#include <assert.h>
#include <string.h>

#include "codegen_int.h"
#include "codegen_mapstate.h"

/* updateStateByKey: the state is split in SC_SHARDS maps by key hash; a
 * task per shard folds, in arrival order, the batch's values of its keys
 * (so a key's values are folded in order and shards never share memory).
 * Every key of the state is emitted, in order of its first appearance. */
void emit_update_state(cg *g, const st_node *n)
{
    if (n->spark_update) {
        cm_emit_node(g, n);
        return;
    }
    int id = n->id, ci = g_ctx_index(g->p, n->ctx);
    const st_type *it = n->in->type, *kt = it->a, *st = n->type->b;
    cm_emit_task_head(g, n, ci, false);
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
    cm_merge m = {
        .total = cg_str(g, "S->u%d[k].n", id), .len = cg_str(g, "S->u%d[%%s].n", id), .ktype = cg_str(g, "sc_us%d", id),
        .kel = cg_str(g, "S->u%d[%%s].ents[%%s].v", id), .f1 = "t", .f2 = "pos", .etype = cg_str(g, "sc_u%d_ent", id),
        .eel = cg_str(g, "S->u%d[%%s].ents[%%s]", id), .out = { "o->_1 = e->k;", "o->_2 = e->v.v;" },
    };
    cm_emit_merge(g, n, &m);
    emit(g, 1, "D->v%d = true;", id);
    emit(g, 0, "}");
    sb_puts(&g->out, "\n");
}

/* Whether a live node keeps state across batches (sc_S members other than
 * the keyed stages' per-worker maps loc/bkt, which are cleared every batch
 * and only read within it: scratch, not state). */
static bool has_state(cg *g, const st_node *n)
{
    lw_kind k = g->plan->nodes[n->id].kind;
    if (k == LW_DEAD || k == LW_FUSED)
        return false;
    return is_window_op(n->op) || n->op == OP_UPDATESTATEBYKEY || cm_has_state(n);
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
uint64_t state_hash(cg *g, const st_decl *c)
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
        if (cm_has_state(n))
            cm_hash(n, &b);
    }
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < b.n; i++) {
        h ^= (unsigned char)b.p[i];
        h *= 0x100000001b3ull;
    }
    sb_free(&b);
    return h;
}

/* sc_save<ci>: every node's state in plan order. A window: (inverse
 * reductions first their running map w, entries in insertion order) the
 * slot count, then per slot its time, n and data; countByWindow then its
 * sum and seen. updateStateByKey: per shard the entry count, then each
 * entry's key, value, t and pos. */
void emit_save(cg *g, int ci)
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
        if (cm_has_state(n)) {
            cm_emit_save(g, n);
            continue;
        }
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
        const st_type *et = cw_slot_elem(n);
        if (et) {
            emit(g, 1, "sc_wsave_%d(out, &S->r%d);", et->id, id);
            continue;
        }
        emit(g, 1, "st_ser_i64(out, S->r%d.n);", id);
        emit(g, 1, "for (int64_t k = 0; k < S->r%d.n; k++) {", id);
        emit(g, 2, "const st_wslot *sl = &S->r%d.slots[k];", id);
        emit(g, 2, "st_ser_i64(out, sl->time);");
        emit(g, 2, "st_ser_i64(out, sl->n);");
        if (inv) {
            emit(g, 2, "for (int64_t q = 0; q < sl->n; q++) {");
            emit(g, 3, "st_ser_i64(out, ((const sc_wi%d *)sl->data)[q].idx);", id);
            emit(g, 3, "sc_ser_%d(out, &((const sc_wi%d *)sl->data)[q].v);", agg_val(n)->id, id);
            emit(g, 2, "}");
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
void emit_load(cg *g, int ci)
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
        if (cm_has_state(n)) {
            cm_emit_load(g, n);
            continue;
        }
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
        const st_type *et = cw_slot_elem(n);
        if (et) {
            emit(g, 1, "if (sc_wload_%d(in, &S->r%d, %s) != 0)", et->id, id,
                 n->op == OP_REDUCEBYWINDOW ? "1" : "INT64_MAX");
            emit(g, 1, "    return -1;");
            continue;
        }
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
        if (n->op == OP_COUNTBYWINDOW) {
            emit(g, 3, "sl->n = n;");
        } else {
            /* an inverse window: (entry index, value) per key added */
            emit(g, 3, "if (n > (in->end - in->p) / 8)");
            emit(g, 3, "    return -1;");
            emit(g, 3, "sc_wi%d *data = st_arena_alloc(sl->ar, sizeof *data * (size_t)(n + 1));", id);
            emit(g, 3, "for (int64_t q = 0; q < n && !in->bad; q++) {");
            emit(g, 4, "data[q].idx = st_rd_i64(in);");
            emit(g, 4, "if (data[q].idx < 0 || data[q].idx >= S->w%d.n)", id);
            emit(g, 4, "    return -1;");
            emit(g, 4, "sc_de_%d(in, sl->ar, &data[q].v);", agg_val(n)->id);
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

/* the state's shards, each with its own arena (grown by ulim) */
void cs_create(cg *g, const st_node *n)
{
    emit(g, 1, "for (int k = 0; k < SC_SHARDS; k++) {");
    emit(g, 1, "    S->uar%d[k] = st_arena_new();", n->id);
    emit(g, 1, "    S->ulim%d[k] = (size_t)1 << 20;", n->id);
    emit(g, 1, "}");
    if (n->spark_update)
        emit(g, 1, "st_state_memory();");
}

void cs_destroy(cg *g, const st_node *n)
{
    emit(g, 1, "for (int k = 0; k < SC_SHARDS; k++) {");
    emit(g, 1, "    sc_u%d_free(&S->u%d[k]);", n->id, n->id);
    emit(g, 1, "    st_arena_free(S->uar%d[k]);", n->id);
    emit(g, 1, "}");
}
