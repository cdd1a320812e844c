/* sema_int.h: what the parts of sema share: the checker's state, the
 * tables of built-ins and operators, and the checks one part asks of
 * another (sema.c: names and declarations; sema_types.c: types and
 * expressions; sema_window.c: durations and windows; sema_graph.c: the
 * operator graph). */
#ifndef STREAMC_SEMA_INT_H
#define STREAMC_SEMA_INT_H

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sema.h"
#include "sema_rec.h"
#include "sema_kinds.h"
#include "sema_ext.h"
#include "sema_cnames.h"

#define MAX_DEPTH 500
#define MAX_DURATION_MS 9000000000000000LL /* keeps ms arithmetic far from overflow */

typedef struct sema {
    st_program *p;
    st_diag *d;
    st_decl **tab;          /* name -> first declaration, open addressing; */
    st_decl **ctab;         /* contexts have their own namespace (a context */
    size_t tabcap;          /* and a source may share a name) */
    st_decl *cur;           /* the declaration being checked */
    st_expr *lam;           /* the function whose body is being checked */
    bool output_unresolved; /* an output statement failed: its context is unknown */
    bool too_deep;          /* "nested too deeply" reported for s->cur */
    const st_type *t_err, *t_str, *t_int, *t_float, *t_bool, *t_dur;
    sr_ctx rec;             /* records: sema_rec.c */
} sema;

typedef struct builtin_sig {
    const char *name;
    st_builtin id;
    int nargs;
    const char *params; /* S string, I int, F float, B bool, N string|int|float,
                           A any value, O an Option, T the Option's content */
    char ret;           /* S I F B, L list of string, T content of the Option */
} builtin_sig;

enum {
    OPF_PAIR = 1,    /* applies to pair streams only */
    OPF_OUTPUT = 2,  /* an output operation */
    OPF_WINDOW = 4,  /* ends with a window: name, or duration [, slide] */
    OPF_STREAM = 8   /* takes another stream (union, joins) */
};

typedef struct op_info {
    const char *name;
    st_opkind op;
    int flags;
    int nfns;        /* leading function arguments (reduceByKeyAndWindow: 1 or 2) */
    const char *usage;
} op_info;

/* sema.c: helpers and names */
const char *tstr(const st_type *t, char *buf, size_t n);
const char *dstr(int64_t ms, char *buf, size_t n);
bool is_num(const st_type *t);
bool is_err(const st_type *t);
bool assignable(const st_type *got, const st_type *want);
st_decl *lookup(sema *s, const char *name);
const char *decl_what(const st_decl *d);
st_decl *resolve(sema *s, const char *name, st_loc loc, bool *reported);
const char *closest_decl(sema *s, const char *name, unsigned mask);
void unknown_name(sema *s, st_loc loc, const char *msg, const char *name, const char *best);
st_decl *param_ref(sema *s, st_expr *e);
int64_t duration_unit(const char *name);
bool eval_duration(sema *s, st_expr *e, const char *what, int64_t *ms);
const builtin_sig *find_builtin(const char *name);
const st_type *type_expr(sema *s, st_expr *e, bool allow_list, int depth);
const st_type *type_expr_cb(void *s, st_expr *e, bool allow_list, int depth);
const st_type *check_fn(sema *s, st_expr *f, const char *op, int nparams, const st_type *t1,
                const st_type *t2, bool allow_list, int depth);
const op_info *find_op(const char *name);
bool is_output_name(const char *name);
/* sema_sinks.c: an output with an ST_SINK_IMPL row, and the check of its
   arguments (STRING literals or params; a STRLIST_FN lambda) */
bool sema_sink_impl(st_opkind op);
bool sema_sink_args(sema *s, st_expr *e, st_node *n, int depth);
bool check_window(sema *s, st_expr *e, int first, st_node *in, st_node *n);
st_node *stream_expr(sema *s, st_expr *e, bool outer, int depth);
void check_window_decl(sema *s, st_decl *w);

#endif
