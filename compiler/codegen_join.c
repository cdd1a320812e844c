/* codegen_join.c: the translator of joins (join and the outer joins),
 * union and repartition (see codegen_int.h).
 */
#include <assert.h>
#include <string.h>

#include "codegen_int.h"

void emit_join(cg *g, const st_node *n)
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

void emit_union(cg *g, const st_node *n)
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

void emit_repartition(cg *g, const st_node *n)
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
