/* sema_kinds.h: what the rest of the compiler (dag.c, sema_sinks.c) reads
   of the table of kinds, runtime/st_kinds.def (sema_kinds.c). */
#ifndef SEMA_KINDS_H
#define SEMA_KINDS_H

#include "ast.h"

char *sema_kind_describe(const st_decl *d);   /* as --dag shows it (malloc'd) */

/* sema_sinks.c: the output operators' rows (ST_SINK) */
bool sema_sink_arity(st_opkind op, int *min, int *max);   /* false: not a sink */
bool sema_sink_arg_ok(st_opkind op, const st_expr *a);    /* a literal of the row's ARG */

/* The C libraries the program's kinds need (ST_SOURCE_LIB and
   ST_SINK_LIB rows), each once, in the order of first use: streamc links
   libstreamrt_LIB.a and -lLIB for each. Returns how many (at most max). */
int sema_kind_libs(const st_program *p, const char **out, int max);

#endif
