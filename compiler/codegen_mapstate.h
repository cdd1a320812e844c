/* codegen_mapstate.h: spec section 9's state operators (see
 * codegen_mapstate.c): Spark's updateStateByKey, mapWithState and
 * stateSnapshots, called from codegen.c and codegen_state.c. */
#ifndef STREAMC_CODEGEN_MAPSTATE_H
#define STREAMC_CODEGEN_MAPSTATE_H

#include "codegen_int.h"

/* n is translated here (its types, state members and node function) */
bool cm_owns(const st_node *n);
/* n keeps state in the checkpoint (cm_emit_save/cm_emit_load) */
bool cm_has_state(const st_node *n);
void cm_emit_types(cg *g, const st_node *n);
void cm_emit_s_members(cg *g, const st_node *n);
void cm_emit_node(cg *g, const st_node *n);
void cm_emit_task_head(cg *g, const st_node *n, int ci, bool with_now);
void cm_create(cg *g, const st_node *n);
void cm_destroy(cg *g, const st_node *n);
/* A node's dataset from SC_SHARDS ordered sequences (shard k's elements
   in order of (f1, f2)) merged by (f1, f2). Formats take the shard (and
   the index) as %s: len its count, kel the element ordered by (type
   ktype), skip a condition that skips an element (or NULL), eel the
   element named e (type etype) in the statements out (which set o, the
   output element); total is shard k's number of elements taken. */
typedef struct cm_merge {
    const char *total, *len, *ktype, *kel, *f1, *f2, *skip, *etype, *eel;
    const char *out[2];
} cm_merge;
void cm_emit_merge(cg *g, const st_node *n, const cm_merge *m);
/* what state_hash adds for n */
void cm_hash(const st_node *n, sbuf *b);
void cm_emit_save(cg *g, const st_node *n);
void cm_emit_load(cg *g, const st_node *n);

#endif
