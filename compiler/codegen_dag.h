/* codegen_dag.h: the DAG picture embedded in the generated executable. */
#ifndef STREAMC_CODEGEN_DAG_H
#define STREAMC_CODEGEN_DAG_H

#include "ast.h"
#include "sbuf.h"

/* Appends "static const char sc_dag_svg[] = ...;": dag_svg() of p as a
   C string, one literal per line of the SVG. */
void codegen_dag(const st_program *p, sbuf *out);

#endif
