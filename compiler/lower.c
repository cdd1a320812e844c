/* lower.c: builds the execution plan of lower.h from sema's node graph.
 * It decides fusion, liveness and drain times; it emits nothing and
 * reports nothing (the graph is already checked). */
#include "lower.h"

#include <assert.h>
#include <stdlib.h>

bool lw_is_narrow(st_opkind op)
{
    return op == OP_MAP || op == OP_FLATMAP || op == OP_FILTER || op == OP_MAPVALUES ||
           op == OP_FLATMAPVALUES;
}

bool lw_takes_chain(st_opkind op)
{
    switch (op) {
    case OP_MAP: case OP_FLATMAP: case OP_FILTER: case OP_MAPVALUES: case OP_FLATMAPVALUES:
    case OP_COUNT: case OP_COUNTBYVALUE: case OP_REDUCE: case OP_REDUCEBYKEY:
    case OP_COUNTBYWINDOW: case OP_REDUCEBYWINDOW: case OP_REDUCEBYKEYANDWINDOW:
    case OP_COUNTBYVALUEANDWINDOW:
        return true;
    default:
        return false;
    }
}

static bool is_output(st_opkind op)
{
    return op >= OP_PRINT;   /* the ST_SINK rows are the last operators */
}

static bool is_window(st_opkind op)
{
    return op == OP_WINDOW || op == OP_COUNTBYWINDOW || op == OP_REDUCEBYWINDOW ||
           op == OP_REDUCEBYKEYANDWINDOW || op == OP_COUNTBYVALUEANDWINDOW;
}

static void topo_visit(st_node *n, bool *seen, st_node **order, int *k)
{
    if (seen[n->id])
        return;
    seen[n->id] = true;
    if (n->in)
        topo_visit(n->in, seen, order, k);
    if (n->in2)
        topo_visit(n->in2, seen, order, k);
    order[(*k)++] = n;
}

lw_plan *lower_program(const st_program *p)
{
    lw_plan *plan = calloc(1, sizeof *plan);
    if (!plan)
        abort();
    plan->prog = p;
    plan->nnodes = p->nnodes;
    plan->nodes = calloc((size_t)(p->nnodes ? p->nnodes : 1), sizeof *plan->nodes);
    if (!plan->nodes)
        abort();

    /* a topological order that keeps program order where it can */
    plan->order = calloc((size_t)(p->nnodes ? p->nnodes : 1), sizeof *plan->order);
    bool *seen = calloc((size_t)(p->nnodes ? p->nnodes : 1), sizeof *seen);
    if (!plan->order || !seen)
        abort();
    int norder = 0;
    for (int i = 0; i < p->nnodes; i++)
        topo_visit(p->nodes[i], seen, plan->order, &norder);
    assert(norder == p->nnodes);
    free(seen);
    st_node **nodes = plan->order;

    /* liveness: walk back from every output (nodes are in topological
       order, so one reverse pass sees every consumer before its inputs) */
    bool *live = calloc((size_t)(p->nnodes ? p->nnodes : 1), sizeof *live);
    if (!live)
        abort();
    for (int i = p->nnodes - 1; i >= 0; i--) {
        st_node *n = nodes[i];
        if (is_output(n->op))
            live[n->id] = true;
        if (!live[n->id])
            continue;
        if (n->in)
            live[n->in->id] = true;
        if (n->in2)
            live[n->in2->id] = true;
    }

    /* the single live consumer of every node */
    int *nlive_cons = calloc((size_t)(p->nnodes ? p->nnodes : 1), sizeof *nlive_cons);
    if (!nlive_cons)
        abort();
    for (int i = 0; i < p->nnodes; i++) {
        st_node *n = nodes[i];
        if (!live[n->id])
            continue;
        if (n->in) {
            nlive_cons[n->in->id]++;
            plan->nodes[n->in->id].consumer = n;
        }
        if (n->in2) {
            nlive_cons[n->in2->id]++;
            plan->nodes[n->in2->id].consumer = n;
        }
    }

    for (int i = 0; i < p->nnodes; i++) {
        st_node *n = nodes[i];
        lw_node *l = &plan->nodes[n->id];
        if (!live[n->id]) {
            l->kind = LW_DEAD;
            l->consumer = NULL;
            continue;
        }
        if (is_output(n->op))
            l->kind = LW_OUTPUT;
        else if (lw_is_narrow(n->op) && nlive_cons[n->id] == 1 &&
                 lw_takes_chain(l->consumer->op) && l->consumer->in == n && l->consumer->in2 != n)
            l->kind = LW_FUSED;
        else
            l->kind = LW_MATERIALIZED;
        if (n->op == OP_SOURCE) {
            int k = 0;
            for (int j = 0; j < i; j++)
                if (nodes[j]->op == OP_SOURCE && nodes[j]->ctx == n->ctx && live[nodes[j]->id])
                    k++;
            l->src_index = k;
        }
    }

    /* chains: from each chain-taking, non-fused node back to its root */
    for (int i = 0; i < p->nnodes; i++) {
        st_node *n = nodes[i];
        lw_node *l = &plan->nodes[n->id];
        if (l->kind == LW_DEAD || l->kind == LW_FUSED || !lw_takes_chain(n->op))
            continue;
        int len = 0;
        st_node *r = n->in;
        while (plan->nodes[r->id].kind == LW_FUSED) {
            len++;
            r = r->in;
        }
        l->root = r;
        l->nchain = len;
        l->chain = calloc((size_t)(len ? len : 1), sizeof *l->chain);
        if (!l->chain)
            abort();
        st_node *c = n->in;
        for (int k = len - 1; k >= 0; k--) {
            l->chain[k] = c;
            c = c->in;
        }
        assert(c == r);
    }

    /* drain: a window keeps emitting until its last input batch leaves it */
    for (int i = 0; i < p->nnodes; i++) {
        st_node *n = nodes[i];
        int64_t d = 0;
        if (n->in && plan->nodes[n->in->id].drain_ms > d)
            d = plan->nodes[n->in->id].drain_ms;
        if (n->in2 && plan->nodes[n->in2->id].drain_ms > d)
            d = plan->nodes[n->in2->id].drain_ms;
        if (is_window(n->op) && n->in)
            d += n->win_ms - n->in->slide_ms;
        plan->nodes[n->id].drain_ms = d;
    }
    free(live);
    free(nlive_cons);
    return plan;
}

int64_t lw_context_drain(const lw_plan *plan, const st_decl *ctx)
{
    int64_t d = 0;
    for (int i = 0; i < plan->prog->nnodes; i++) {
        const st_node *n = plan->prog->nodes[i];
        if (n->ctx == ctx && plan->nodes[n->id].kind != LW_DEAD && plan->nodes[n->id].drain_ms > d)
            d = plan->nodes[n->id].drain_ms;
    }
    return d;
}

void lower_free(lw_plan *plan)
{
    if (!plan)
        return;
    for (int i = 0; i < plan->nnodes; i++)
        free(plan->nodes[i].chain);
    free(plan->nodes);
    free(plan->order);
    free(plan);
}
