/* codegen_keyed.c: the translator of keyed stages (see codegen_int.h):
 * reduceByKey, countByValue and the per-batch part of their windowed
 * forms, as the sink of a chain (codegen_chain.c): phase 1, the fold of
 * each record into its worker's partition of the keys; phase 2
 * (partition j of every worker merged, then ordered by first appearance),
 * phase 3 (the output, split in parts) and the stage's driver. What does
 * not depend on the program is in st_gen.h (ST_GEN_KEYED,
 * ST_GEN_KEYED_OUT): the program prints the merge of two values only.
 */
#include <string.h>

#include "codegen_int.h"

/* phase 1, a record of the chain: folded into this worker's partition of
   its key (a key's partition is its hash's top bits scaled to
   [0, npart)), stamped with its position for the order of first
   appearance */
static void keyed_begin(cg *g, const st_node *n, const char *dst)
{
    int id = n->id;
    (void)dst;
    emit(g, 1, "const uint64_t npart = (uint64_t)D->S->npart%d;", id);
    emit(g, 1, "sc_pm%d *m = &D->S->loc%d[(uint64_t)w * npart];", id, id);
    emit(g, 1, "const int64_t base = (int64_t)i << 40;");
    emit(g, 1, "int64_t pos = 0;");
}

static void keyed_record(cg *g, const st_node *n, const char *cur, int indent)
{
    int id = n->id;
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
}

static void keyed_tasks(cg *g, const st_node *n, const char *dst)
{
    int id = n->id;
    emit(g, 0, "ST_GEN_KEYED(%d, sc_S%d)", id, g_ctx_index(g->p, n->ctx));
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
    emit(g, 1, "D->srt%d[j] = sc_order%d(m, ar);", id, id);
    emit(g, 0, "}");
    /* phase 3 */
    emit(g, 0, "ST_GEN_KEYED_OUT%s(%d, %s, %s, %s)", n->type->a->kind == TY_STRING ? "_STR" : "", id,
         ctx_d(n->ctx), dst, ct(g, n->type));
    sb_puts(&g->out, "\n");
}

/* nw workers each keep np partitions of the keys (np = nw, up to
   SC_MAX_PARTS: there are nw * np maps): after the parallel pass,
   partition j of every worker is merged by task j, and the sorted
   partitions are merged by stamp (first appearance), so the output is the
   same whatever the workers */
static void keyed_driver(cg *g, const st_node *n, const char *dst)
{
    int id = n->id;
    const lw_node *l = &g->plan->nodes[id];
    emit(g, 1, "sc_S%d *S = D->S;", g_ctx_index(g->p, n->ctx));
    emit(g, 1, "const int nw = job->nworkers > 0 ? job->nworkers : 1;");
    emit(g, 1, "const int np = sc_locinit%d(S, nw);", id);
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
}

const cg_sink ck_sink_keyed = { keyed_begin, keyed_record, NULL, keyed_tasks, keyed_driver };

void ck_destroy(cg *g, const st_node *n)
{
    emit(g, 1, "sc_locfree%d(S);", n->id);
}
