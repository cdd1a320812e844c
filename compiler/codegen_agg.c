/* codegen_agg.c: the translator of per-batch aggregations (see
 * codegen_int.h): count and reduce (and the per-batch part of
 * countByWindow and reduceByWindow) as the sink of a chain: each task
 * folds its partition's records into one value, the driver folds the
 * tasks' values in partition order into the batch's single record.
 */
#include <string.h>

#include "codegen_int.h"

static void count_begin(cg *g, const st_node *n, const char *dst)
{
    (void)n, (void)dst;
    emit(g, 1, "int64_t cnt = 0;");
}

static void count_record(cg *g, const st_node *n, const char *cur, int indent)
{
    (void)n, (void)cur;
    emit(g, indent, "cnt++;");
}

static void count_end(cg *g, const st_node *n)
{
    emit(g, 1, "D->cnt%d[i] = cnt;", n->id);
}

static void count_driver(cg *g, const st_node *n, const char *dst)
{
    int id = n->id;
    emit(g, 1, "D->cnt%d = st_arena_alloc(ar0, sizeof(int64_t) * (size_t)(np + 1));", id);
    emit(g, 1, "st_parallel_for(job, np, sc_task%d, D);", id);
    emit(g, 1, "int64_t total = 0;");
    emit(g, 1, "for (int i = 0; i < np; i++)");
    emit(g, 1, "    total += D->cnt%d[i];", id);
    emit(g, 1, "D->%s.nparts = 1;", dst);
    emit(g, 1, "D->%s.parts = st_arena_alloc(ar0, sizeof(st_part));", dst);
    emit(g, 1, "memset(D->%s.parts, 0, sizeof(st_part));", dst);
    emit(g, 1, "*(int64_t *)st_part_push(&D->%s.parts[0], sizeof(int64_t), ar0) = total;", dst);
}

static void reduce_begin(cg *g, const st_node *n, const char *dst)
{
    (void)dst;
    emit(g, 1, "bool has = false;");
    emit(g, 1, "%s acc;", ct(g, n->type));
    emit(g, 1, "memset(&acc, 0, sizeof acc);");
}

static void reduce_record(cg *g, const st_node *n, const char *cur, int indent)
{
    emit(g, indent, "if (!has) {");
    emit(g, indent, "    acc = %s;", cur);
    emit(g, indent, "    has = true;");
    emit(g, indent, "} else {");
    char *v = combine(g, indent + 1, n, false, "acc", cur, "continue");
    emit(g, indent, "    acc = %s;", v);
    emit(g, indent, "}");
}

static void reduce_end(cg *g, const st_node *n)
{
    emit(g, 1, "D->has%d[i] = has;", n->id);
    emit(g, 1, "D->acc%d[i] = acc;", n->id);
}

static void reduce_driver(cg *g, const st_node *n, const char *dst)
{
    int id = n->id;
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
}

const cg_sink ca_sink_count = { count_begin, count_record, count_end, NULL, count_driver };
const cg_sink ca_sink_reduce = { reduce_begin, reduce_record, reduce_end, NULL, reduce_driver };
