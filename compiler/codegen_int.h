/* codegen_int.h: what codegen.c shares with codegen_rec.c (records). */
#ifndef STREAMC_CODEGEN_INT_H
#define STREAMC_CODEGEN_INT_H

#include <stdarg.h>
#include <stdbool.h>

#include "ast.h"
#include "codegen.h"
#include "lower.h"
#include "sbuf.h"

typedef struct cg {
    const st_program *p;
    const codegen_opts *opts;
    lw_plan *plan;
    sbuf out;
    int tmp;
    /* every string handed out by cg_str, freed at the end */
    char **pool;
    int npool, cappool;
    /* #line bookkeeping: newlines in out up to counted */
    size_t counted;
    int lines;
    const char *c_name;  /* name for #line resets */
    sbuf bind;           /* sc_bind()'s statements: params into sources */
    /* the C variables of block vals, by st_expr.local_id (codegen_rec.c) */
    const char **locals;
    int caplocals;
} cg;

/* Expression context: where statements go and what the lambda's
 * parameters are bound to. */
typedef struct ex {
    cg *g;
    int indent;
    const char *bind[2];
    const char *fail;   /* statement run after a skip: "continue" */
    const char *ar;     /* arena expression */
    bool split_iter;    /* a split() here is flatMap's lazy iterator */
} ex;

__attribute__((format(printf, 2, 3))) char *cg_str(cg *g, const char *fmt, ...);
__attribute__((format(printf, 3, 4))) void emit(cg *g, int indent, const char *fmt, ...);
char *c_lit(cg *g, const char *s, size_t n);
const char *ct(cg *g, const st_type *t);
char *tmpname(cg *g);
void skip_stmt(ex *x, const char *what, const char *detail);
char *to_str(ex *x, const st_type *t, const char *v);
char *cx(ex *x, const st_expr *e);
char *cx_nested(ex *x, const st_expr *e, sbuf *stmts, int indent);

/* codegen_rec.c */
/* Emits the C of type t when it is a tuple, a list or has no C form (a
   type with ? in it); false for the types codegen.c emits. */
bool cr_emit_type(cg *g, const st_type *t);
/* sc_cmp_<id> (the order of sorted/min/max) of a tuple of three or more */
void cr_emit_cmp_alias(cg *g, const st_type *t);
/* the constants (val NAME = ...;) as static data */
void cr_emit_consts(cg *g);
/* EX_TUPLE, EX_LIST, EX_INDEX, EX_BLOCK and the names and calls of
   records; NULL when e is not one of them */
char *cr_expr(ex *x, const st_expr *e);
/* the documented C name of t ("sc_pair_string_int"), or the C type of a
   scalar */
const char *cr_cname(cg *g, const st_type *t);
bool cr_needs_copy(const st_type *t);
/* foreachRDD: the typed batch handed to the C function (sc_rdd_<name>) */
const char *cr_rdd_name(cg *g, const st_type *t);
/* t's part of those names ("pair_string_int"); sema_cnames.c uses it too */
void cr_name_put(sbuf *b, const st_type *t);
void cr_emit_rdd_types(cg *g);

#endif
