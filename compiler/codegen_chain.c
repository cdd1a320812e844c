/* codegen_chain.c: the translator of chains (see codegen_int.h): the
 * narrow operators (map, flatMap, filter, mapValues, flatMapValues) fused
 * into one loop per partition of their root, and the chain's sink behind
 * a table of hooks (cg_sink): a dataset (narrow, here), a count or a
 * reduce per batch (codegen_agg.c), or a keyed stage (codegen_keyed.c).
 */
#include <assert.h>
#include <string.h>

#include "codegen_int.h"
#include "codegen_json.h"

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
            cj_bind(g, op, *cur, *indent);
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

/* ---- narrow: the chain's records into a dataset ---- */

static void narrow_begin(cg *g, const st_node *n, const char *dst)
{
    (void)n;
    emit(g, 1, "st_part *op = &D->%s.parts[i];", dst);
}

static void narrow_record(cg *g, const st_node *n, const char *cur, int indent)
{
    emit(g, indent, "*(%s *)st_part_push(op, sizeof(%s), ar) = %s;", ct(g, n->type), ct(g, n->type), cur);
}

static void narrow_driver(cg *g, const st_node *n, const char *dst)
{
    emit(g, 1, "D->%s.nparts = np;", dst);
    emit(g, 1, "D->%s.parts = st_arena_alloc(ar0, sizeof(st_part) * (size_t)(np + 1));", dst);
    emit(g, 1, "memset(D->%s.parts, 0, sizeof(st_part) * (size_t)(np + 1));", dst);
    emit(g, 1, "st_parallel_for(job, np, sc_task%d, D);", n->id);
}

static const cg_sink sink_narrow = { narrow_begin, narrow_record, NULL, NULL, narrow_driver };

static const cg_sink *sink_of(agg_kind a)
{
    switch (a) {
    case AGG_NONE: return &sink_narrow;
    case AGG_COUNT: return &ca_sink_count;
    case AGG_REDUCE: return &ca_sink_reduce;
    case AGG_KEYED: return &ck_sink_keyed;
    }
    assert(!"no sink");
    return &sink_narrow;
}

/* Emits the per-partition task and the node function of a chain-taking
 * node (a materialized narrow operator or an aggregation): the chain's
 * loop is here, what its records go into is the node's sink (narrow
 * here; per-batch aggregations: codegen_agg.c; keyed stages:
 * codegen_keyed.c). */
void emit_chain_node(cg *g, const st_node *n)
{
    lw_node *l = &g->plan->nodes[n->id];
    int id = n->id;
    agg_kind a = agg_of(n->op);
    const cg_sink *sk = cgb_sink_of(n) ? cgb_sink_of(n) : sink_of(a); /* groupByKey: codegen_gbk.c */
    bool to_a = a != AGG_NONE && is_window_op(n->op);
    const char *dst = to_a ? cg_str(g, "a%d", id) : cg_str(g, "d%d", id);

    emit(g, 0, "static void sc_task%d(st_job *job, void *arg, int i, int w)", id);
    emit(g, 0, "{");
    emit(g, 1, "%s *D = arg;", ctx_d(n->ctx));
    emit(g, 1, "st_arena *ar = job->arenas[w];");
    emit(g, 1, "(void)ar;");
    sk->task_begin(g, n, dst);
    cj_chain_begin(g, l->chain, l->nchain, a == AGG_NONE ? n : NULL);
    open_part_loop(g, l, 1, a == AGG_KEYED ? cg_str(g, "rg%d", id) : NULL);
    cj_bind(g, NULL, "sc_x0", 2);
    int indent = 2;
    const char *cur = "sc_x0";
    const st_type *ty = l->root->type;
    int loops = emit_ops(g, l->chain, l->nchain, &cur, &ty, &indent);
    if (a == AGG_NONE && lw_is_narrow(n->op)) {
        st_node *self = (st_node *)n;
        loops += emit_ops(g, &self, 1, &cur, &ty, &indent);
    }
    sk->record(g, n, cur, indent);
    close_loops(g, loops, &indent);
    cj_chain_end(g);
    emit(g, 1, "}");
    if (sk->task_end)
        sk->task_end(g, n);
    emit(g, 0, "}");
    sb_puts(&g->out, "\n");

    if (sk->tasks)
        sk->tasks(g, n, dst);

    emit(g, 0, "static void sc_%s%d(%s *D, st_job *job) /* %s */", to_a ? "agg" : "node", id, ctx_d(n->ctx),
         op_name(n->op));
    emit(g, 0, "{");
    emit(g, 1, "if (!D->v%d)", l->root->id);
    emit(g, 1, "    return;");
    emit(g, 1, "st_arena *ar0 = job->arenas[0];");
    if (a != AGG_KEYED)   /* keyed stages work on ranges (sc_ranges) */
        emit(g, 1, "const int np = D->d%d.nparts;", l->root->id);
    sk->driver(g, n, dst);
    if (to_a)
        emit(g, 1, "D->av%d = true;", id);
    else
        emit(g, 1, "D->v%d = true;", id);
    emit(g, 0, "}");
    sb_puts(&g->out, "\n");
}
