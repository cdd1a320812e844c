/* codegen_dag.h: what the generated executable hands st_main_view() for
 * --metrics: the DAG picture and a count of each context's state keys. */
#ifndef STREAMC_CODEGEN_DAG_H
#define STREAMC_CODEGEN_DAG_H

#include "ast.h"
#include "lower.h"
#include "sbuf.h"

/* Appends "static const char sc_dag_svg[] = ...;": dag_svg() of p as a
   C string, one literal per line of the SVG. */
void codegen_dag(const st_program *p, sbuf *out);
/* Appends sc_keys<ci>() per context (the keys of its updateStateByKey
   maps and inverse-reduced windows; after the contexts' state structs),
   sc_dag_svg and "static const st_program_view sc_view". */
void codegen_view(const st_program *p, const lw_plan *plan, sbuf *out);

#endif
