/* sema.h: the checks of a parsed program (spec section 6) and what they add.
 *
 * sema_check() resolves names, infers types, checks durations, windows and
 * contexts, and fills the sema fields of ast.h, including the operator
 * graph (p->nodes, topological) that codegen consumes. It reports every
 * error of the program through diag and never stops at the first one;
 * it returns true when it found no error. Safe on partial trees.
 */
#ifndef STREAMC_SEMA_H
#define STREAMC_SEMA_H

#include <stdbool.h>

#include "ast.h"
#include "diag.h"

bool sema_check(st_program *p, st_diag *d);

#endif
