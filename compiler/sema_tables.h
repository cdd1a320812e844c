/* sema_tables.h: tables, `table NAME = KIND(args);` (spec section 11):
 * the declaration's checks and the calls lookup(t, k) / contains(t, k)
 * (sema_tables.c), read by codegen_tables.c. Kinds, their arguments and
 * options come from the ST_TABLE rows of runtime/st_kinds.def. */
#ifndef STREAMC_SEMA_TABLES_H
#define STREAMC_SEMA_TABLES_H

#include "ast.h"

typedef enum st_table_kind_id {
#define ST_TABLE(ID, NAME, IMPL, USAGE) TBL_##ID,
#include "st_kinds.def"
    TBL_COUNT_
} st_table_kind_id;

#define ST_TABLE_MAXOPTS 8

/* what sema knows of a table (st_decl.table) */
typedef struct st_table_info {
    int kind;                            /* TBL_* */
    int index;                           /* among the used tables, in program order; -1: unused */
    int nopts;                           /* every ARG and OPT row of its kind, in row order */
    const char *names[ST_TABLE_MAXOPTS];
    const char *vals[ST_TABLE_MAXOPTS];  /* the literal, the param's default or the row's default (NULL) */
    struct st_decl *params[ST_TABLE_MAXOPTS]; /* the param it is, or NULL */
} st_table_info;

/* the kind's name, its st_table_<IMPL> and the library it needs (NULL: none) */
const char *sema_table_kind_name(int kind);
const char *sema_table_kind_impl(int kind);
const char *sema_table_kind_lib(int kind);

/* ---- for sema (sema.c, sema_types.c) ---- */
struct sema;
/* table NAME = KIND(args); : its kind, arguments and options (the first
   pass, with the params before it) */
void sema_table_decl(struct sema *s, struct st_decl *d);
/* lookup(t, k) / contains(t, k) with t a table: checks it, sets *rt and
   returns true; false when e is not a call on a table (contains of a
   list or a string), and nothing was reported. */
bool sema_table_call(struct sema *s, st_expr *e, int depth, const st_type **rt);
/* the libraries of the used tables' kinds (ST_TABLE_LIB) not yet among
   out[0..n), appended up to max; the new n (sema_kind_libs) */
int sema_table_libs(const st_program *p, const char **out, int n, int max);
/* after every declaration: numbers the used tables */
void sema_tables_finish(st_program *p);

#endif
