/* codegen_tables.h: the generated C of tables (codegen_tables.c), called
 * by codegen.c. */
#ifndef STREAMC_CODEGEN_TABLES_H
#define STREAMC_CODEGEN_TABLES_H

#include <stddef.h>

#include "codegen_int.h"

/* The handles sc_tabN and the table sc_tables[] of the used tables
   (after the params, before the contexts' code); the statements that
   copy params into their options go to bind. */
void cgt_globals(const st_program *p, sbuf *out, sbuf *bind);
/* What follows the regexes in the st_program_desc initializer (", 0, NULL" or
   ", N, sc_tables"), in buf. */
const char *cgt_desc_tail(const st_program *p, char *buf, size_t n);
/* lookup(t, k) and contains(t, k) (BI_TABLE_LOOKUP, BI_TABLE_CONTAINS) */
char *cgt_call(ex *x, const st_expr *e);

#endif
