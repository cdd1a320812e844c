/* sema_kinds.h: what the rest of the compiler (dag.c, sema_sinks.c) reads
   of the table of kinds, runtime/st_kinds.def (sema_kinds.c). */
#ifndef SEMA_KINDS_H
#define SEMA_KINDS_H

#include "ast.h"

char *sema_kind_describe(const st_decl *d);   /* as --dag shows it (malloc'd) */

#endif
