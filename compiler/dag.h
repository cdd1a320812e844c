/* dag.h: the job's operator graph as a picture.
 *
 * Both forms walk sema's node graph (p->nodes) with the lowered plan's
 * verdict per node: one cluster per context (its batch and block
 * intervals, its checkpoint), sources with their kind and storage level,
 * operators (fused ones marked), windows with duration and slide, outputs.
 * Nodes that reach no output are drawn dashed.
 *  - dag_dot(): Graphviz dot, for `streamc --emit-dot`;
 *  - dag_svg(): a self-laid-out SVG (columns by depth, one band per
 *    context) that codegen embeds in the executable for its live page
 *    (--metrics): no Graphviz at run time.
 * p must have passed sema_check().
 */
#ifndef STREAMC_DAG_H
#define STREAMC_DAG_H

#include "ast.h"
#include "sbuf.h"

void dag_dot(const st_program *p, sbuf *out);
void dag_svg(const st_program *p, sbuf *out);
/* --emit-dot PATH ('-': stdout): 0, 1 (write error) or 2 (cannot open),
   messages on stderr. */
int dag_write_dot(const st_program *p, const char *path);

#endif
