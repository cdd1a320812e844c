/* sema_rec.h: checks of records (spec section 8) for sema.c.
 *
 * Tuples of any arity, lists, options in user code, if/else, blocks with
 * local vals and top-level `val` constants. sema.c calls these from its
 * expression checker; they call back into it (sr_ctx.type) for operands.
 *
 * `[]` and `None` get a type with TY_NOTHING inside (list of ?, Option[?])
 * until the context gives them one: sr_unify() finds the common type of
 * two values (if branches, list elements, ==) and sr_coerce() stamps it
 * into a literal; sr_check_known() reports what stays unknown.
 */
#ifndef STREAMC_SEMA_REC_H
#define STREAMC_SEMA_REC_H

#include <stdbool.h>

#include "ast.h"
#include "diag.h"

typedef struct sr_ctx {
    st_program *p;
    st_diag *d;
    void *s; /* the sema, for type() */
    const st_type *(*type)(void *s, st_expr *e, bool allow_list, int depth);
    const st_type *t_err, *t_str, *t_int, *t_float, *t_bool;
    st_expr **scope; /* the EX_LETs in scope, innermost last */
    int nscope, capscope;
    int nlocals;     /* EX_LETs numbered so far */
    bool quiet;      /* sr_check_known() reports nothing (a first try) */
} sr_ctx;

void sr_init(sr_ctx *c, st_program *p, st_diag *d, void *s,
             const st_type *(*type)(void *, st_expr *, bool, int));
void sr_free(sr_ctx *c);

/* EX_FIELD, EX_TUPLE, EX_COND, EX_LIST, EX_INDEX, EX_BLOCK */
const st_type *sr_expr(sr_ctx *c, st_expr *e, bool allow_list, int depth);
/* None, or a name bound by a block's val: sets *t and returns true. */
bool sr_name(sr_ctx *c, st_expr *e, const st_type **t);
/* A reference to the constant d (a DECL_VAL) from decl cur. */
const st_type *sr_const_ref(sr_ctx *c, st_expr *e, st_decl *d, const st_decl *cur);
/* Some(x) and the built-ins on lists (len and contains of a list): sets
   *t and returns true when it handled the call. */
bool sr_call(sr_ctx *c, st_expr *e, int depth, const st_type **t);
/* name is one of the built-ins above (Some, sum, min, ...) */
bool sr_is_builtin(const char *name);
/* The names of those built-ins, at most max of them, in out; their count. */
int sr_builtin_names(const char **out, int max);
/* "Did you mean" for an unknown name in lam (NULL outside a function):
   its parameters, the block vals in scope, the constants declared before
   cur and None; NULL when none is close. */
const char *sr_closest_name(sr_ctx *c, const char *name, const st_expr *lam, const st_decl *cur);
/* Checks the constant d. */
void sr_check_val(sr_ctx *c, st_decl *d);

/* got may be used where want is expected, counting [] and None. */
bool sr_fits(const st_type *got, const st_type *want);
/* The common type of a and b, or NULL. */
const st_type *sr_unify(sr_ctx *c, const st_type *a, const st_type *b);
/* Gives the literal e (and its [] / None parts) the type want. */
void sr_coerce(sr_ctx *c, st_expr *e, const st_type *want);
/* Reports a [] or None in e whose type is still unknown; false if any. */
bool sr_check_known(sr_ctx *c, st_expr *e);
bool sr_has_nothing(const st_type *t);

#endif
