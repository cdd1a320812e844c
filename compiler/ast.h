/* ast.h: the syntax tree of a .stream program and what sema adds to it.
 *
 * The parser only builds this tree (no checks in grammar actions). Sema
 * (sema.c) resolves names, infers types, checks intervals and builds the
 * operator graph (st_node) that lowering/codegen consume. Every object is
 * owned by the st_program that made it and freed by program_free().
 */
#ifndef STREAMC_AST_H
#define STREAMC_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A source range. Lines and columns are 1-based; last_column is the column
 * of the last character (inclusive), as bison's default YYLTYPE. */
typedef struct st_loc {
    int first_line, first_column;
    int last_line, last_column;
} st_loc;

/* ---- types (interned: compare with ==) --------------------------------- */
typedef enum st_tykind {
    TY_ERROR,   /* already reported; suppresses follow-on errors */
    TY_STRING,
    TY_INT,
    TY_FLOAT,
    TY_BOOL,
    TY_PAIR,    /* (a, b) */
    TY_OPTION,  /* Option[a]: values of outer joins */
    TY_LIST,    /* list of a: literals, split(); arena arrays (sema_rec.c) */
    TY_DURATION, /* a duration literal used where a value is expected */
    TY_TUPLE,   /* (a, b, c, ...): 3 fields or more (el[0..n)) */
    TY_NOTHING  /* the content of [] and None before their type is known */
} st_tykind;

typedef struct st_type {
    st_tykind kind;
    const struct st_type *a, *b; /* PAIR: a, b; OPTION/LIST: a */
    int id;                      /* dense, unique per interned type */
    int n;                       /* PAIR: 2, TUPLE: fields; else 0 */
    const struct st_type **el;   /* PAIR/TUPLE: the n field types */
    int flavor;                  /* LIST: how it prints (ST_LIST_*) */
} st_type;

/* what a list type prints as: Scala's List, or the buffers of Spark's
   groupByKey/cogroup (CompactBuffer) and groupByKeyAndWindow (ArrayBuffer);
   the same C layout, distinct types (sema_group.c) */
enum { ST_LIST_PLAIN, ST_LIST_COMPACT, ST_LIST_ARRAY };

/* ---- expressions ------------------------------------------------------- */
typedef enum st_exkind {
    EX_INT,       /* ival */
    EX_FLOAT,     /* fval, text */
    EX_STRING,    /* sval/slen (may hold NUL bytes), escapes already decoded */
    EX_BOOL,      /* bval */
    EX_DURATION,  /* 200ms, 10s: dur_ms; text is the spelling; dur_fraction
                     when written with a fraction (6.5s): an error in sema */
    EX_NAME,      /* name: a lambda parameter, or a stream/source/window name */
    EX_FIELD,     /* a._1 / a._2: a, name ("_1"), name_loc */
    EX_CALL,      /* name(args): builtin, extern, or Seconds(n) & co. */
    EX_METHOD,    /* a.name(args): a stream operator */
    EX_UNARY,     /* op a: op is '-' or '!' */
    EX_BINARY,    /* a op b: op is a char or one of the ST_OP_* below */
    EX_COND,      /* a ? b : c, if (a) b else c (no_else: c missing) */
    EX_TUPLE,     /* (a, b, ...): args; a, b are args[0], args[1] too */
    EX_LAMBDA,    /* params => body (a) */
    EX_NAMED_ARG, /* name = a (source options: rate = 10, loop = true) */
    EX_LIST,      /* [args] */
    EX_INDEX,     /* a[b] */
    EX_BLOCK,     /* { val x = e; ...; c }: args are the EX_LETs, c the result */
    EX_LET        /* val name = a (in a block) */
} st_exkind;

#define ST_MAX_PARAMS 16 /* names on the left of => */

enum { ST_OP_EQ = 256, ST_OP_NE, ST_OP_LE, ST_OP_GE, ST_OP_AND, ST_OP_OR };

/* What an EX_NAME / EX_CALL resolved to (sema). */
typedef enum st_refkind {
    REF_NONE,
    REF_PARAM,    /* lambda parameter param_index */
    REF_PARAM_FIELD, /* a 2-param lambda destructuring one pair argument:
                        parameter param_index is field param_index of it */
    REF_STREAM,   /* decl is a DECL_STREAM or DECL_SOURCE */
    REF_WINDOW,   /* decl is a DECL_WINDOW */
    REF_BUILTIN,  /* builtin is a st_builtin */
    REF_EXTERN,   /* decl is a DECL_EXTERN */
    REF_LOCAL,    /* a val of a block: let is its EX_LET */
    REF_CONST,    /* decl is a DECL_VAL */
    REF_NONE_VALUE, /* the name None */
    REF_RUNPARAM  /* decl is a DECL_PARAM (a run-time parameter) */
} st_refkind;

typedef enum st_builtin {
    BI_NONE,
    BI_SPLIT, BI_LEN, BI_LOWER, BI_UPPER, BI_TRIM, BI_SUBSTR, BI_CONTAINS,
    BI_STARTSWITH, BI_ENDSWITH, BI_TOINT, BI_TOFLOAT, BI_TOSTRING, BI_FIELD,
    BI_JSON, BI_ISDEFINED, BI_GETORELSE,
    /* sema_rec.c */
    BI_SOME, BI_LIST_LEN, BI_SUM, BI_MIN, BI_MAX, BI_LIST_CONTAINS, BI_SORTED, BI_MKSTRING,
    BI_MATCHES, BI_REPLACEALL, BI_REGEXSPLIT, /* sema_regex.c */
    BI_TABLE_LOOKUP, BI_TABLE_CONTAINS, /* sema_tables.c: lookup(t, k), contains(t, k); decl is the table */
    BI_TOLIST, /* a buffer of groupByKey & co as a List (sema_rec.c) */
    BI_NOW,
    BI_COUNT_
} st_builtin;

struct st_decl;
struct st_node;

typedef struct st_expr {
    st_exkind kind;
    st_loc loc;               /* the whole expression */
    const st_type *type;      /* sema: NULL until checked */

    int64_t ival;
    double fval;
    bool bval;
    char *sval;               /* EX_STRING (NUL-terminated too), EX_FLOAT text */
    size_t slen;
    int64_t dur_ms;
    bool dur_fraction;
    bool bad;                 /* a literal the lexer already reported as
                                 invalid: sema types it TY_ERROR silently */
    char *text;               /* EX_DURATION/EX_FLOAT/EX_INT: source spelling */

    char *name;               /* EX_NAME, EX_FIELD, EX_CALL, EX_METHOD, EX_NAMED_ARG */
    st_loc name_loc;
    int op;                   /* EX_UNARY, EX_BINARY */
    struct st_expr *a, *b, *c;
    struct st_expr **args;    /* EX_CALL, EX_METHOD */
    int nargs;

    /* EX_LAMBDA: parameters; bad_params when the left of => is not one
       name or a (name, name) pair (reported by sema) */
    char *params[ST_MAX_PARAMS];  /* (a, b, c) => destructures a tuple */
    st_loc param_locs[ST_MAX_PARAMS];
    int nparams;
    bool bad_params;
    const st_type *param_types[ST_MAX_PARAMS]; /* sema */
    bool destructure;         /* sema: 2 params bound to one pair argument */

    /* sema resolution */
    st_refkind ref;
    int param_index;
    struct st_decl *decl;
    st_builtin builtin;
    int field_index;          /* EX_FIELD: 0 for _1, 1 for _2 ... */
    bool no_else;             /* EX_COND: an if without else (sema reports) */
    struct st_expr *let;      /* REF_LOCAL: the EX_LET */
    int local_id;             /* EX_LET: program-wide number (sema) */
    struct st_node *node;     /* EX_METHOD / stream EX_NAME: its operator node */
    int regex;                /* matches/replaceAll/regexSplit: index in p->regexes */
} st_expr;

/* ---- declarations ------------------------------------------------------ */
typedef enum st_declkind {
    DECL_CONTEXT,
    DECL_SOURCE,
    DECL_WINDOW,
    DECL_STREAM,   /* stream NAME = expr; */
    DECL_OUTPUT,   /* expr;  (a chain ending in an output operation) */
    DECL_EXTERN,   /* extern NAME(TYPE, ...) : TYPE; */
    DECL_CBLOCK,   /* %{ ... %} */
    DECL_VAL,      /* val NAME = expr; (a constant: value) */
    DECL_PARAM,    /* param NAME = LITERAL; (sema_params.c) */
    DECL_TABLE     /* table NAME = KIND(args); (sema_tables.c) */
} st_declkind;

/* context settings as written: NAME = expr; */
typedef struct st_setting {
    char *name;
    st_loc name_loc;
    st_expr *value;
} st_setting;

/* type syntax in extern declarations: IDENT, (T, T, ...), List[T], Option[T] */
typedef struct st_typeexpr {
    char *name;                 /* NULL for a tuple; List/Option with a */
    struct st_typeexpr *a, *b;  /* pair members; List/Option: a */
    struct st_typeexpr **el;    /* tuple members (a, b are the first two) */
    int n;
    st_loc loc;
} st_typeexpr;

typedef enum st_source_kind {   /* one per row of runtime/st_kinds.def */
#define ST_SOURCE(ID, NAME, ELEM, REPLAY, LISTED, RECEIVER) SRC_##ID,
#include "st_kinds.def"
} st_source_kind;
enum { SRC_COUNT_ = 0
#define ST_SOURCE(ID, NAME, ELEM, REPLAY, LISTED, RECEIVER) + 1
#include "st_kinds.def"
};

/* the source arguments a param may stand for (st_decl.arg_param) */
typedef enum st_srcarg { SA_HOST, SA_PORT, SA_PATH, SA_RATE, SA_LOOP, SA_MAXRATE, SA_COUNT_ } st_srcarg;

typedef enum st_storage {
    /* bit 0: _SER, bit 1: spills to disk, bit 2: memory not used,
       bit 3: _2 (write-ahead log) */
    STORE_MEMORY_ONLY = 0,
    STORE_MEMORY_ONLY_SER = 1,
    STORE_MEMORY_AND_DISK = 2,
    STORE_MEMORY_AND_DISK_SER = 3,
    STORE_DISK_ONLY = 6,
    STORE_REPLICATED = 8
} st_storage;

/* an option of a source (st_decl.opts): a STRING in str, else num */
typedef struct st_srcopt {
    const char *name;
    const char *str;
    int64_t num;
    struct st_decl *param;   /* the param it is, or NULL */
} st_srcopt;

typedef struct st_decl {
    st_declkind kind;
    st_loc loc;           /* the whole statement */
    char *name;           /* CONTEXT, SOURCE, WINDOW, STREAM, EXTERN */
    st_loc name_loc;
    int index;            /* position in program order */

    /* DECL_CONTEXT */
    st_setting *settings;
    int nsettings;
    int64_t batch_ms, block_ms;   /* sema; block defaults to 200 */
    st_loc batch_loc, block_loc;  /* sema: where the values were written */
    bool has_block;
    char *checkpoint;             /* sema; NULL if none */
    int workers;                  /* sema; 0 = number of cores */
    int64_t initial_rate;         /* sema: initialRate, records/s per receiver; 0 = the slow start */
    bool has_output;              /* sema */

    /* DECL_SOURCE: kind_name(args) [in ctx] [storage level] [maxRate n] */
    char *kind_name;
    st_loc kind_loc;
    st_expr **args;
    int nargs;
    char *in_ctx;                 /* NULL if no "in" clause */
    st_loc in_loc;
    char *storage_name;           /* NULL if no "storage" clause */
    st_loc storage_loc;
    st_expr *max_rate;            /* NULL if no "maxRate" clause */
    /* sema results for sources */
    st_source_kind src_kind;
    int storage;                  /* st_storage bits; default MEMORY_AND_DISK_SER_2 */
    char *host, *path;            /* socket host; file/textFileStream path */
    int64_t port, rate, max_rate_v;  /* rate: rate(N) or file(rate = N); 0 = none */
    bool loop;
    char *recv_fn, *recv_arg;     /* receiver(fn [, "arg"]): the C function and its argument */
    struct st_decl *arg_param[SA_COUNT_]; /* sema: the param each argument is, or NULL */
    /* sema: the options and positional arguments of a kind checked from
       its rows (sema_kinds.c) that are not the fields above, by name */
    struct st_srcopt *opts;
    int nopts;
    struct st_decl **argp;        /* sema: per argument of a table kind, the param it is, or NULL */
    bool keyed;                   /* sema: its ST_SOURCE_KEYED option is true: (String, String) */

    /* DECL_PARAM: value is the literal default (sema_params.c) */
    const struct st_type *param_type; /* sema: NULL after an error */
    int param_index;              /* sema: position among the used params */
    int64_t param_min, param_max; /* sema: ints: the range every use allows */
    bool param_nonempty;          /* sema: strings: a use needs a non-empty one */
    bool param_noslash;           /* sema: strings: a use cannot hold '/' (a saveAsTextFiles suffix) */
    const char *param_use;        /* sema: what its first use is ("the port of socket()") */

    /* DECL_TABLE: kind_name, kind_loc, args as a source's; sema_tables.c
       fills table (its kind, options and the params they are) */
    struct st_table_info *table;

    /* DECL_WINDOW: window NAME = dur [slide dur]; */
    st_expr *win_dur, *win_slide; /* win_slide may be NULL */
    int64_t win_ms, win_slide_ms; /* sema; win_slide_ms 0 = slide of the stream */

    /* DECL_STREAM / DECL_OUTPUT */
    st_expr *value;

    /* DECL_EXTERN */
    st_typeexpr **ptypes;
    int nptypes;
    st_typeexpr *rtype;
    const st_type **param_types;  /* sema */
    const st_type *ret_type;      /* sema */

    /* DECL_CBLOCK */
    char *code;
    int code_line;                /* line of the first character of code */

    /* sema: the context a source/stream/output belongs to */
    struct st_decl *ctx;
    struct st_node *node;         /* SOURCE/STREAM: the node that produces it */
    bool used;                    /* SOURCE/STREAM/WINDOW: referenced */
} st_decl;

/* ---- the operator graph (sema output, codegen input) -------------------- */
typedef enum st_opkind {
    OP_SOURCE,
    /* narrow */
    OP_MAP, OP_FLATMAP, OP_FILTER, OP_MAPVALUES, OP_FLATMAPVALUES,
    OP_UNION, OP_REPARTITION,
    /* per batch aggregation */
    OP_COUNT, OP_COUNTBYVALUE, OP_REDUCE, OP_REDUCEBYKEY,
    OP_JOIN, OP_LEFTOUTERJOIN, OP_RIGHTOUTERJOIN, OP_FULLOUTERJOIN,
    OP_UPDATESTATEBYKEY,
    OP_MAPWITHSTATE, OP_STATESNAPSHOTS, /* spec section 9: sema_state2.c */
    /* windows */
    OP_WINDOW, OP_COUNTBYWINDOW, OP_REDUCEBYWINDOW, OP_REDUCEBYKEYANDWINDOW,
    OP_COUNTBYVALUEANDWINDOW,
    /* grouping and ordering per batch (sema_group.c, codegen_group.c) */
    OP_GROUPBYKEY, OP_COGROUP, OP_COMBINEBYKEY, OP_SORTBYKEY, OP_SORTBY, OP_TAKE, OP_DISTINCT,
    /* outputs: one per ST_SINK row of runtime/st_kinds.def */
#define ST_SINK(ID, NAME, MINARGS, MAXARGS, ARG, USAGE) OP_##ID,
#include "st_kinds.def"
} st_opkind;

typedef struct st_node {
    st_opkind op;
    int id;                   /* dense, in creation (topological) order */
    st_loc loc;               /* the operator's name in the source */
    struct st_node *in, *in2; /* inputs; in2 for union and joins */
    const st_type *type;      /* element type produced (outputs: of in) */
    st_decl *ctx;
    st_decl *source;          /* OP_SOURCE */
    st_decl *stream;          /* the DECL_STREAM this node is the value of */
    int64_t slide_ms;         /* slide of the stream this node produces */
    int64_t win_ms, win_slide_ms; /* window operators: window and slide */
    st_expr *fn, *fn2;        /* lambdas; fn2 = inverse of reduceByKeyAndWindow */
    st_expr *init;            /* updateStateByKey */
    /* spec section 9 (sema_state2.c): updateStateByKey((values, state) =>
       Option) when spark_update; mapWithState's state type and timeout
       (0 = none); stateSnapshots' in is its mapWithState */
    bool spark_update;
    const st_type *state_type;
    int64_t timeout_ms;
    int64_t n;                /* print(n), repartition(n) */
    char *prefix, *suffix;    /* saveAsTextFiles; suffix may be NULL */
    struct st_decl *prefix_param, *suffix_param; /* saveAsTextFiles: params, or NULL */
    st_decl *cfunc;           /* foreachRDD: the DECL_EXTERN, or NULL ... */
    char *cfunc_name;         /* ... with its name (need not be declared) */
    /* an ST_SINK_IMPL output (sema_sinks.c): its STRING arguments (the
       params' defaults), the param each is or NULL, its index among the
       context's st_sink outputs; a STRLIST_FN row's lambda is fn */
    char **sink_args;
    struct st_decl **sink_params;
    int nsink_args, sink_index;
    int nconsumers;           /* nodes that take this one as in/in2 */
    /* sema: where the slide of this node was written (the batch value for an
       unwindowed stream, else a window's slide), for diagnostics */
    st_loc slide_loc;
    bool slide_from_window;
    bool live;                /* sema: reaches an output operation */
    st_expr *fn3;             /* combineByKey: mergeCombiners; reduceByKeyAndWindow: filter = f */
    bool descending;          /* sortByKey/sortBy(..., false) */
} st_node;

typedef struct st_program {
    const char *filename;
    st_decl **decls;          /* program order */
    int ndecls, capdecls;
    st_node **nodes;          /* sema: topological order */
    int nnodes, capnodes;
    st_decl **contexts;       /* sema: DECL_CONTEXTs in order */
    int ncontexts;
    /* type interning */
    st_type **types;
    int ntypes, captypes;
    struct st_arena *arena;   /* every tree object; freed by program_free */
    st_expr **regexes;        /* sema: the distinct regex literals, in order */
    int nregexes, capregexes;
    struct st_decl **params;  /* sema: the params that are used, in order */
    int nparams, capparams;
} st_program;

st_program *program_new(const char *filename);
void program_free(st_program *p);
void program_add_decl(st_program *p, st_decl *d);
st_decl *decl_new(st_program *p, st_declkind kind, st_loc loc);
st_expr *expr_new(st_program *p, st_exkind kind, st_loc loc);
st_node *node_new(st_program *p, st_opkind op, st_loc loc);
/* Memory for the tree: everything allocated here lives until program_free. */
void *ast_alloc(st_program *p, size_t n);
char *ast_strdup(st_program *p, const char *s);
char *ast_strndup(st_program *p, const char *s, size_t n);
/* An arena array of n elements of size elem, with room for one more
   (*cap grows by doubling; the old array stays in the arena). */
void *ast_grow(st_program *p, void *old, int n, int *cap, size_t elem);

const st_type *type_basic(st_program *p, st_tykind k);
const st_type *type_pair(st_program *p, const st_type *a, const st_type *b);
const st_type *type_option(st_program *p, const st_type *a);
const st_type *type_list(st_program *p, const st_type *a);
/* a list type of flavor ST_LIST_* (type_list is ST_LIST_PLAIN) */
const st_type *type_list_flavor(st_program *p, const st_type *a, int flavor);
/* n >= 2 fields; n == 2 is type_pair */
const st_type *type_tuple(st_program *p, int n, const st_type *const *el);
/* t or a type inside it (fields, elements, content) is of one of the kinds
   in the mask, a set of 1u << TY_... */
bool type_has(const st_type *t, unsigned kinds);
/* "string", "(string, int)", "Option[int]", "list of string" */
void type_str(const st_type *t, char *buf, size_t size);

const char *op_name(st_opkind op);
/* How an EX_UNARY/EX_BINARY operator is written: "+", "==", "&&" ... */
const char *op_spelling(int op);
/* The AST as indented text, for --dump-ast and tests. */
void ast_dump(const st_program *p, FILE *out);

#endif
