/* sema_state2.h: the checks of spec section 9's state operators (see
 * sema_state2.c); n is the node sema_graph.c made, its in checked. */
#ifndef STREAMC_SEMA_STATE2_H
#define STREAMC_SEMA_STATE2_H

#include <stdbool.h>

struct sema;
/* updateStateByKey((values, state) => Option[S]) */
bool ss_update_spark(struct sema *s, st_expr *e, st_node *n, int depth);
/* mapWithState((key, value, state) => (Option[S], M) [, timeout = D]) */
bool ss_map_with_state(struct sema *s, st_expr *e, st_node *n, int depth);
/* stateSnapshots() of a mapWithState */
bool ss_snapshots(struct sema *s, st_expr *e, st_node *n);

#endif
