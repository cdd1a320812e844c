/* codegen_chain.c: the translator of chains (see codegen_int.h): the
 * narrow operators (map, flatMap, filter, mapValues, flatMapValues) fused
 * into one loop per partition of their root, and the chain's sink: a
 * dataset (narrow), a count or a reduce per batch, or the first phase of a
 * keyed stage (its merge and output: codegen_keyed.c).
 */
#include <assert.h>
#include <string.h>

#include "codegen_int.h"

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
void emit_chain_node(cg *g, const st_node *n)
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

    if (a == AGG_KEYED)
        ck_emit_keyed_tasks(g, n, dst);

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
        ck_emit_keyed_driver(g, n, dst);
        break;
    }
    if (to_a)
        emit(g, 1, "D->av%d = true;", id);
    else
        emit(g, 1, "D->v%d = true;", id);
    emit(g, 0, "}");
    sb_puts(&g->out, "\n");
}
