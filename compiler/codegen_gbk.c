/* codegen_gbk.c: the translator of groupByKey (and so of
 * groupByKeyAndWindow, a groupByKey of a window): a chain-taking stage,
 * the sink of a chain (codegen_chain.c) like reduceByKey's, so the
 * records of flatMap/map never become a dataset of their own.
 *
 *  - the chain's task for root partition i numbers the keys of its records
 *    in a map of its own (in order of first appearance, with their counts)
 *    and appends each record's (key number, value) to its log;
 *  - the node merges the tasks' maps in partition order into one map
 *    (the batch's keys in order of first appearance, whatever the workers)
 *    and gives each key its slice of one value array, and each task's key
 *    its offset in that slice (the values of earlier partitions first);
 *  - a task per partition then copies its log into the slices: every
 *    buffer holds its key's values in arrival order (a window's records
 *    come oldest batch first).
 * The maps, logs and the value array are kept in the context's state and
 * cleared each batch (grown, never shrunk): a batch's arena would fault
 * fresh pages in for them every batch. The buffers point into the value
 * array for the batch only: what outlives it (windows, state) copies.
 */
#include "codegen_int.h"

void cgb_node_types(cg *g, const st_node *n)
{
    int id = n->id;
    const char *v = ct(g, n->in->type->b);
    emit_map_type(g, cg_str(g, "sc_g%d", id), n->in->type->a, "int64_t");
    emit(g, 0, "/* a task's keys, its log, its keys' offsets and numbers in the batch */");
    emit(g, 0, "typedef struct sc_gl%d { sc_g%d m; uint32_t *lg; %s *v; int64_t n, cap; int64_t *off; uint32_t *gid; "
               "int64_t ocap; } sc_gl%d;", id, id, v, id);
    emit(g, 0, "static void sc_glgrow%d(sc_gl%d *L)", id, id);
    emit(g, 0, "{");
    emit(g, 1, "L->cap = L->cap ? 2 * L->cap : 4096;");
    emit(g, 1, "L->lg = st_xrealloc(L->lg, sizeof *L->lg * (size_t)L->cap);");
    emit(g, 1, "L->v = st_xrealloc(L->v, sizeof *L->v * (size_t)L->cap);");
    emit(g, 0, "}");
}

void cgg_d_members(cg *g, const st_node *n)
{
    if (n->op == OP_GROUPBYKEY && g->plan->nodes[n->id].kind != LW_DEAD)
        emit(g, 1, "int64_t *gbase%d;", n->id);
}

void cgg_s_members(cg *g, const st_node *n)
{
    int id = n->id;
    if (n->op != OP_GROUPBYKEY || g->plan->nodes[id].kind == LW_DEAD)
        return;
    emit(g, 1, "sc_gl%d *gl%d; int ngl%d; sc_g%d gm%d; %s *gv%d; int64_t gvcap%d;", id, id, id, id, id,
         ct(g, n->in->type->b), id, id);
}

static void gbk_begin(cg *g, const st_node *n, const char *dst)
{
    (void)dst;
    emit(g, 1, "sc_gl%d *L = &D->S->gl%d[i];", n->id, n->id);
    emit(g, 1, "sc_g%d *m = &L->m;", n->id);
}

static void gbk_record(cg *g, const st_node *n, const char *cur, int indent)
{
    int id = n->id;
    emit(g, indent, "{");
    emit(g, indent, "    bool ins;");
    emit(g, indent, "    sc_g%d_ent *e = sc_g%d_upsert(m, (%s)._1, sc_hash_%d((%s)._1, %s), &ins);", id, id, cur,
         n->in->type->a->id, cur, HASH_SEED);
    emit(g, indent, "    if (ins)");
    emit(g, indent, "        e->v = 0;");
    emit(g, indent, "    e->v++;");
    emit(g, indent, "    if (L->n == L->cap)");
    emit(g, indent, "        sc_glgrow%d(L);", id);
    emit(g, indent, "    L->lg[L->n] = (uint32_t)(e - m->ents);");
    emit(g, indent, "    L->v[L->n++] = (%s)._2;", cur);
    emit(g, indent, "}");
}

/* the copy of partition i's log into the slices */
static void gbk_tasks(cg *g, const st_node *n, const char *dst)
{
    int id = n->id;
    (void)dst;
    emit(g, 0, "static void sc_gp%d(st_job *job, void *arg, int i, int w)", id);
    emit(g, 0, "{");
    emit(g, 1, "%s *D = arg;", ctx_d(n->ctx));
    emit(g, 1, "(void)job; (void)w;");
    emit(g, 1, "sc_gl%d *L = &D->S->gl%d[i];", id, id);
    emit(g, 1, "for (int64_t k = 0; k < L->m.n; k++)");
    emit(g, 1, "    L->off[k] += D->gbase%d[L->gid[k]];", id);
    emit(g, 1, "%s *vals = D->S->gv%d;", ct(g, n->in->type->b), id);
    emit(g, 1, "for (int64_t q = 0; q < L->n; q++)");
    emit(g, 1, "    vals[L->off[L->lg[q]]++] = L->v[q];");
    emit(g, 0, "}");
    sb_puts(&g->out, "\n");
}

static void gbk_driver(cg *g, const st_node *n, const char *dst)
{
    int id = n->id;
    const char *ot = ct(g, n->type);
    emit(g, 1, "sc_S%d *S = D->S;", g_ctx_index(g->p, n->ctx));
    emit(g, 1, "if (S->ngl%d < np) {", id);
    emit(g, 1, "    S->gl%d = st_xrealloc(S->gl%d, sizeof *S->gl%d * (size_t)np);", id, id, id);
    emit(g, 1, "    memset(S->gl%d + S->ngl%d, 0, sizeof *S->gl%d * (size_t)(np - S->ngl%d));", id, id, id, id);
    emit(g, 1, "    S->ngl%d = np;", id);
    emit(g, 1, "}");
    emit(g, 1, "for (int i = 0; i < np; i++) {");
    emit(g, 1, "    sc_g%d_clear(&S->gl%d[i].m);", id, id);
    emit(g, 1, "    S->gl%d[i].n = 0;", id);
    emit(g, 1, "}");
    emit(g, 1, "st_parallel_for(job, np, sc_task%d, D);", id);
    /* the tasks' keys merged in partition order */
    emit(g, 1, "sc_g%d_clear(&S->gm%d);", id, id);
    emit(g, 1, "int64_t total = 0;");
    emit(g, 1, "for (int i = 0; i < np; i++) {");
    emit(g, 2, "sc_gl%d *L = &S->gl%d[i];", id, id);
    emit(g, 2, "if (L->ocap < L->m.n) {");
    emit(g, 2, "    L->ocap = 2 * L->m.n;");
    emit(g, 2, "    L->off = st_xrealloc(L->off, sizeof *L->off * (size_t)L->ocap);");
    emit(g, 2, "    L->gid = st_xrealloc(L->gid, sizeof *L->gid * (size_t)L->ocap);");
    emit(g, 2, "}");
    emit(g, 2, "for (int64_t k = 0; k < L->m.n; k++) {");
    emit(g, 3, "bool ins;");
    emit(g, 3, "sc_g%d_ent *e = sc_g%d_upsert_ent(&S->gm%d, &L->m.ents[k], &ins);", id, id, id);
    emit(g, 3, "if (ins)");
    emit(g, 3, "    e->v = 0;");
    emit(g, 3, "L->off[k] = e->v;");
    emit(g, 3, "L->gid[k] = (uint32_t)(e - S->gm%d.ents);", id);
    emit(g, 3, "e->v += L->m.ents[k].v;");
    emit(g, 2, "}");
    emit(g, 2, "total += L->n;");
    emit(g, 1, "}");
    emit(g, 1, "if (S->gvcap%d < total + 1) {", id);
    emit(g, 1, "    S->gvcap%d = total + 1 > 2 * S->gvcap%d ? total + 1 : 2 * S->gvcap%d;", id, id, id);
    emit(g, 1, "    S->gv%d = st_xrealloc(S->gv%d, sizeof *S->gv%d * (size_t)S->gvcap%d);", id, id, id, id);
    emit(g, 1, "}");
    emit(g, 1, "const int64_t ng = S->gm%d.n;", id);
    emit(g, 1, "D->gbase%d = st_arena_alloc(ar0, sizeof *D->gbase%d * (size_t)(ng + 1));", id, id);
    emit(g, 1, "sc_split_out(&D->%s, ng, job->nworkers, sizeof(%s), ar0);", dst, ot);
    emit(g, 1, "for (int64_t k = 0, o = 0; k < ng; k++) {");
    emit(g, 2, "const sc_g%d_ent *e = &S->gm%d.ents[k];", id, id);
    emit(g, 2, "%s *x = sc_out_slot(&D->%s, k, sizeof *x);", ot, dst);
    emit(g, 2, "D->gbase%d[k] = o;", id);
    emit(g, 2, "x->_1 = e->k;");
    emit(g, 2, "x->_2 = (%s){ e->v, S->gv%d + o };", ct(g, n->type->b), id);
    emit(g, 2, "o += e->v;");
    emit(g, 1, "}");
    emit(g, 1, "st_parallel_for(job, np, sc_gp%d, D);", id);
}

static const cg_sink gbk_sink = { gbk_begin, gbk_record, NULL, gbk_tasks, gbk_driver };

const cg_sink *cgb_sink_of(const st_node *n)
{
    return n->op == OP_GROUPBYKEY ? &gbk_sink : NULL;
}

static void gbk_destroy(cg *g, const st_node *n)
{
    int id = n->id;
    emit(g, 1, "for (int i = 0; i < S->ngl%d; i++) {", id);
    emit(g, 1, "    sc_g%d_free(&S->gl%d[i].m);", id, id);
    emit(g, 1, "    free(S->gl%d[i].lg);", id);
    emit(g, 1, "    free(S->gl%d[i].v);", id);
    emit(g, 1, "    free(S->gl%d[i].off);", id);
    emit(g, 1, "    free(S->gl%d[i].gid);", id);
    emit(g, 1, "}");
    emit(g, 1, "free(S->gl%d);", id);
    emit(g, 1, "sc_g%d_free(&S->gm%d);", id, id);
    emit(g, 1, "free(S->gv%d);", id);
}

const cg_family cgb_family = { "groupByKey", emit_chain_node, NULL, gbk_destroy };
