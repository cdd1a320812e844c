/* sema_ext.h: checks that sema.c delegates to: regular expressions
 * (sema_regex.c), run-time parameters (sema_params.c) and the hints for
 * habits from Scala, Spark and Python (sema_hints.c). Each reports its
 * errors through diag, as sema does. */
#ifndef STREAMC_SEMA_EXT_H
#define STREAMC_SEMA_EXT_H

#include <stdbool.h>
#include <stddef.h>

#include "ast.h"
#include "diag.h"

/* ---- sema_regex.c ---- */
/* After the argument types of matches/replaceAll/regexSplit were checked:
   the regex (argument 2) must be a string literal (or a val holding
   one) that compiles as a
   POSIX extended regex; a literal replacement must fit its groups. Sets
   e->regex (an index into p->regexes). False after an error. */
bool sema_regex_call(st_program *p, st_diag *d, st_expr *e);

/* ---- sema_params.c ---- */
/* param NAME = LITERAL; : the literal's type, or an error. Registers the
   param in p->params. */
void sema_param_decl(st_program *p, st_diag *d, st_decl *pd);
/* pd used at `use` where `what` ("the port of socket()") of kind want is
   expected: ints within [min, max], strings non-empty when nonempty.
   Narrows the param's range so that --param values are checked against
   every use. False after an error (reported at use). */
bool sema_param_use(st_diag *d, st_decl *pd, st_expr *use, st_tykind want, int64_t min, int64_t max,
                    bool nonempty, const char *what);
/* The errors for a param used as a value (in_function: inside one) and
   as a duration. */
void sema_param_in_function(st_diag *d, st_decl *pd, st_expr *use, bool in_function);
void sema_param_as_duration(st_diag *d, st_decl *pd, st_expr *use, const char *what);
/* The arguments of source d that name params (param_of(ctx, arg) says
   which): each is checked against what the argument needs (a host, a
   port 1..65535, a path, a rate >= 1, loop) and replaced by the param's
   default, so that the source's rules check the default;
   d->arg_param records which argument is which param. */
void sema_source_params(st_program *p, st_diag *dg, st_decl *d, st_decl *(*param_of)(void *ctx, st_expr *e),
                        void *ctx);
/* A stand-in literal of kind want after a failed use (no cascades; the
   program has errors and is never compiled). */
st_expr *sema_param_dummy(st_program *p, st_expr *use, st_tykind want, int64_t min);

/* ---- sema_hints.c ---- */
/* The one candidate closest to name (Damerau-Levenshtein, at most a third
   of its length), or NULL. */
const char *hint_closest(const char *name, const char *const *cands, int n);
/* "; did you mean 'best'?" in buf, or "" when best is NULL. */
const char *hint_dym(const char *best, char *buf, size_t n);
/* For an unknown function: a built-in by its Python/Scala name (str:
   toString) or the closest of cands (the built-ins); an unknown type:
   string for String, int for Int/Long ...; a storage level. NULL: none. */
const char *hint_function(const char *name, const char *const *cands, int n);
const char *hint_type(const char *name);
const char *hint_storage(const char *name);
/* What to write instead of a Spark/PySpark operator or source kind that
   has no counterpart (NULL if name is none); *fixit: a name to write. */
const char *hint_spark_op(const char *name, const char **fixit);
const char *hint_spark_source(const char *name, const char **fixit);
/* x.length, x.toUpperCase(), x.split(","), x.strip() ... on a value (an
   EX_FIELD or an EX_METHOD in a function): reports it with the built-in
   to write; false when e->name is no such habit. */
bool hint_method_habit(st_diag *d, const st_expr *e);
/* Seq(x, y), List(x, y), Array(...) ... called: reports it with the list
   literal [x, y] to write; false when e->name is none of them. */
bool hint_collection_call(st_diag *d, const st_expr *e);
/* `s.print;`: an operator written without parentheses (EX_FIELD). */
bool hint_op_without_parens(st_diag *d, const st_expr *e);
/* After "expects a function": a note when f uses Scala's _ placeholders. */
void hint_placeholder(st_diag *d, const st_expr *f, int nparams);

/* sema_kinds.c: source kinds from runtime/st_kinds.def */
int sema_kind_find(const char *name);   /* its SRC_* or -1 */
bool sema_kind_ints(int kind);          /* its elements are Int (else String) */
const char *const *sema_kind_names(int *n);
const char *sema_kind_closest(const char *name);
bool sema_kind_args(st_program *p, st_diag *dg, st_decl *d, int kid, st_expr **pos, int npos);   /* from the rows */
/* the type and description of argument pos (or option name) of a kind
   checked from its rows, for a param standing for it; false: no such row */
bool sema_kind_param(st_diag *dg, int kid, int pos, const char *name, st_tykind *want, const char **what,
                     char *buf, size_t cap);
bool sema_kind_keyed_opt(int kid, const char *name);   /* name is the kind's ST_SOURCE_KEYED option */
const char *sema_kind_closest_(const char *name);          /* did-you-mean over every kind, or NULL */
int sema_kind_opts(int kind, const char **out, int max);   /* its named options */
bool sema_receiver_args(st_diag *dg, const st_program *p, st_decl *d);   /* receiver(fn [, "arg"]) */
const char *sema_kind_join(const char *const *v, int n, char *buf, size_t cap);   /* "a, b or c" */

#endif
