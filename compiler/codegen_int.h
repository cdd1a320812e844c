/* codegen_int.h: what codegen.c shares with the translators of the
 * operator families (codegen_*.c) and of records (codegen_rec.c). */
#ifndef STREAMC_CODEGEN_INT_H
#define STREAMC_CODEGEN_INT_H

#include <stdarg.h>
#include <stdbool.h>

#include "ast.h"
#include "codegen.h"
#include "lower.h"
#include "sbuf.h"

typedef struct cg {
    const st_program *p;
    const codegen_opts *opts;
    lw_plan *plan;
    sbuf out;
    int tmp;
    /* every string handed out by cg_str, freed at the end */
    char **pool;
    int npool, cappool;
    /* #line bookkeeping: newlines in out up to counted */
    size_t counted;
    int lines;
    const char *c_name;  /* name for #line resets */
    sbuf bind;           /* sc_bind()'s statements: params into sources */
    /* the C variables of block vals, by st_expr.local_id (codegen_rec.c) */
    const char **locals;
    int caplocals;
} cg;

/* Expression context: where statements go and what the lambda's
 * parameters are bound to. */
typedef struct ex {
    cg *g;
    int indent;
    const char *bind[2];
    const char *fail;   /* statement run after a skip: "continue" */
    const char *ar;     /* arena expression */
    bool split_iter;    /* a split() here is flatMap's lazy iterator */
} ex;

__attribute__((format(printf, 2, 3))) char *cg_str(cg *g, const char *fmt, ...);
__attribute__((format(printf, 3, 4))) void emit(cg *g, int indent, const char *fmt, ...);
char *c_lit(cg *g, const char *s, size_t n);
const char *ct(cg *g, const st_type *t);
char *tmpname(cg *g);
void skip_stmt(ex *x, const char *what, const char *detail);
char *to_str(ex *x, const st_type *t, const char *v);
char *cx(ex *x, const st_expr *e);
char *cx_nested(ex *x, const st_expr *e, sbuf *stmts, int indent);

/* codegen_rec.c */
/* Emits the C of type t when it is a tuple, a list or has no C form (a
   type with ? in it); false for the types codegen.c emits. */
bool cr_emit_type(cg *g, const st_type *t);
/* sc_cmp_<id> (the order of sorted/min/max) of a tuple of three or more */
void cr_emit_cmp_alias(cg *g, const st_type *t);
/* the constants (val NAME = ...;) as static data */
void cr_emit_consts(cg *g);
/* EX_TUPLE, EX_LIST, EX_INDEX, EX_BLOCK and the names and calls of
   records; NULL when e is not one of them */
char *cr_expr(ex *x, const st_expr *e);
/* the documented C name of t ("sc_pair_string_int"), or the C type of a
   scalar */
const char *cr_cname(cg *g, const st_type *t);
bool cr_needs_copy(const st_type *t);
/* foreachRDD: the typed batch handed to the C function (sc_rdd_<name>) */
const char *cr_rdd_name(cg *g, const st_type *t);
/* t's part of those names ("pair_string_int"); sema_cnames.c uses it too */
void cr_name_put(sbuf *b, const st_type *t);
void cr_emit_rdd_types(cg *g);

/* ---- shared by the operator families (codegen.c) ---- */
#define HASH_SEED "0x5eedULL"
/* The dataset struct of a node's context. */
#define ctx_d(c) cg_str(g, "sc_D%d", g_ctx_index(g->p, (c)))
typedef enum agg_kind { AGG_NONE, AGG_COUNT, AGG_REDUCE, AGG_KEYED } agg_kind;
void line_begin(cg *g, int indent, st_loc loc);
void line_end(cg *g);
bool has_strings(const st_type *t);
char *cx_lambda(ex *x, const st_expr *lam, const char *a0, const char *a1);
char *combine(cg *g, int indent, const st_node *n, bool inv, const char *a, const char *b, const char *fail);
agg_kind agg_of(st_opkind op);
bool is_window_op(st_opkind op);
bool windowed_inverse(const st_node *n);
const st_type *agg_key(const st_node *n);
const st_type *agg_val(const st_node *n);
int g_ctx_index(const st_program *p, const st_decl *c);

/* ---- the operator families: one translator each, behind cg_families ----
 * A family's node hook emits the functions of one live, unfused node
 * (sc_node<id> and its tasks); create/destroy add the node's lines to
 * sc_create<c>/sc_destroy<c> (NULL: nothing to set up or free). */
typedef struct cg_family {
    const char *name;
    void (*node)(cg *g, const st_node *n);
    void (*create)(cg *g, const st_node *n);
    void (*destroy)(cg *g, const st_node *n);
} cg_family;
/* the family that translates op */
const cg_family *cg_family_of(st_opkind op);

/* codegen_chain.c: narrow operators fused into chains; what the chain's
   records go into is its sink: a dataset, a per-batch aggregation or a
   keyed stage. A sink's hooks emit, in the task of a partition, its
   locals (task_begin), what one record does (record, at indent) and the
   task's result (task_end); then further task functions (tasks) and, in
   the node function, the stage driver (driver). NULL: nothing. */
typedef struct cg_sink {
    void (*task_begin)(cg *g, const st_node *n, const char *dst);
    void (*record)(cg *g, const st_node *n, const char *cur, int indent);
    void (*task_end)(cg *g, const st_node *n);
    void (*tasks)(cg *g, const st_node *n, const char *dst);
    void (*driver)(cg *g, const st_node *n, const char *dst);
} cg_sink;
void emit_chain_node(cg *g, const st_node *n);
/* codegen_agg.c: count and reduce per batch */
extern const cg_sink ca_sink_count, ca_sink_reduce;
/* codegen_keyed.c: keyed stages (reduceByKey, countByValue and the
   per-batch part of their windowed forms) */
extern const cg_sink ck_sink_keyed;
void ck_destroy(cg *g, const st_node *n);
/* codegen_window.c */
int64_t pane_of(const st_node *n);
void emit_window_node(cg *g, const st_node *n);
void cw_create(cg *g, const st_node *n);
void cw_destroy(cg *g, const st_node *n);
/* the element type of n's window slots when they hold plain records (the
   slots of st_gen.h's ST_GEN_WSLOTS), else NULL */
const st_type *cw_slot_elem(const st_node *n);
/* one ST_GEN_WSLOTS line per element type of plain window slots */
void cw_emit_slot_types(cg *g);
/* codegen_state.c: updateStateByKey, and the checkpoint of a context */
void emit_update_state(cg *g, const st_node *n);
void cs_create(cg *g, const st_node *n);
void cs_destroy(cg *g, const st_node *n);
uint64_t state_hash(cg *g, const st_decl *c);
void emit_save(cg *g, int ci);
void emit_load(cg *g, int ci);
/* codegen_join.c: joins, union, repartition */
void emit_join(cg *g, const st_node *n);
void emit_union(cg *g, const st_node *n);
void emit_repartition(cg *g, const st_node *n);
/* codegen_out.c: print, saveAsTextFiles, foreachRDD */
void emit_output(cg *g, const st_node *n);
/* codegen_sink.c: outputs that run through an st_sink (ST_SINK_IMPL rows) */
void emit_sink(cg *g, const st_node *n);
/* the context's st_sink_desc array (sc_sinkN), and its fields of the
   context's descriptor: "N, sc_sinkN" or "0, NULL" */
void emit_sink_descs(cg *g, int ci);
const char *cg_sinks_of(cg *g, int ci);
/* codegen_rec.c: one macro line of st_gen.h per type */
void emit_types(cg *g);

#endif
