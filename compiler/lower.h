/* lower.h: the pipeline IR — sema's operator graph plus an execution plan.
 *
 * Lowering decides, per operator node, how it runs:
 *  - FUSED: a narrow operator (map, flatMap, filter, mapValues,
 *    flatMapValues) with a single consumer that takes a chain; it becomes
 *    statements inside its consumer's loop, never a dataset of its own.
 *  - MATERIALIZED: produces a dataset (st_ds) for the batch that other
 *    nodes read: sources (zero-copy views of the blocks), aggregations,
 *    windows, joins, unions, repartition, and narrow operators that are
 *    shared or feed a non-chain consumer.
 *  - OUTPUT: print, saveAsTextFiles, foreachRDD.
 *  - DEAD: reaches no output (sema warned); no code.
 * A node that "takes a chain" runs one loop per partition of its chain
 * root: the root's elements flow through the fused operators into the
 * node's sink (a partition, a hash map, a counter or a fold) with no
 * intermediate dataset.
 */
#ifndef STREAMC_LOWER_H
#define STREAMC_LOWER_H

#include "ast.h"

typedef enum lw_kind { LW_DEAD, LW_FUSED, LW_MATERIALIZED, LW_OUTPUT } lw_kind;

typedef struct lw_node {
    lw_kind kind;
    st_node *consumer;     /* FUSED: the one consumer */
    /* for nodes that take a chain: the materialized root and the fused
       operators from it (exclusive) to the node (exclusive), in order */
    st_node *root;
    st_node **chain;
    int nchain;
    int src_index;         /* OP_SOURCE: index among its context's sources */
    int64_t drain_ms;      /* how long after its input ends this node still emits */
} lw_node;

typedef struct lw_plan {
    const st_program *prog;
    lw_node *nodes;        /* indexed by st_node.id */
    int nnodes;
    st_node **order;       /* every node, inputs before their consumers */
} lw_plan;

/* True for operators whose input can be a fused chain. */
bool lw_takes_chain(st_opkind op);
bool lw_is_narrow(st_opkind op);
lw_plan *lower_program(const st_program *p);
void lower_free(lw_plan *plan);
/* The longest drain (see lw_node.drain_ms) of a context's nodes. */
int64_t lw_context_drain(const lw_plan *plan, const st_decl *ctx);

#endif
