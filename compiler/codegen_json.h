/* codegen_json.h: json() on the same record parsed once per fused chain
 * (codegen_json.c), called by codegen_chain.c and codegen.c. */
#ifndef STREAMC_CODEGEN_JSON_H
#define STREAMC_CODEGEN_JSON_H

#include "codegen_int.h"

/* Before a chain's loop is emitted: finds the json(r, "name") calls of
   its operators ops[0..n) (then self, when not NULL) whose record r is
   an element of the chain (or a field of one), grouped by element. */
void cj_chain_begin(cg *g, st_node *const *ops, int n, const st_node *self);
/* The element defined by op (NULL: the chain root's) is now the C
   variable cur, at indent: declares the one-scan cache of its group. */
void cj_bind(cg *g, const st_node *op, const char *cur, int indent);
/* A json() call on a0: the C value read from its group's one scan (the
   scan runs at the first such call a record reaches; a failure skips the
   record as st_json's does), or NULL when the call is not in a group. */
char *cj_call(ex *x, const st_expr *e, const char *a0);
/* After the chain's loop. */
void cj_chain_end(cg *g);

#endif
