/* sema_sinks.c: the output operators (print, saveAsTextFiles, foreachRDD)
 * as sema sees them, from their ST_SINK rows of runtime/st_kinds.def: the
 * number of arguments each takes and the kind of literal every argument
 * must be. sema.c's table of operators takes their names and usages from
 * the same rows; the messages of a wrong argument stay sema.c's own. */
#include "sema_kinds.h"

enum { SINK_ARG_POSINT, SINK_ARG_STRING, SINK_ARG_CFUNC };

typedef struct sink_row {
    st_opkind op;
    int min, max, arg;
} sink_row;

static const sink_row sinks[] = {
#define ST_SINK(ID, NAME, MINARGS, MAXARGS, ARG, USAGE) { OP_##ID, MINARGS, MAXARGS, SINK_ARG_##ARG },
#include "st_kinds.def"
};

static const sink_row *sink(st_opkind op)
{
    for (size_t i = 0; i < sizeof sinks / sizeof *sinks; i++)
        if (sinks[i].op == op)
            return &sinks[i];
    return NULL;
}

bool sema_sink_arity(st_opkind op, int *min, int *max)
{
    const sink_row *r = sink(op);
    if (r) {
        *min = r->min;
        *max = r->max;
    }
    return r != NULL;
}

bool sema_sink_arg_ok(st_opkind op, const st_expr *a)
{
    const sink_row *r = sink(op);
    if (!r)
        return false;
    switch (r->arg) {
    case SINK_ARG_POSINT: return a->kind == EX_INT && a->ival >= 1;
    case SINK_ARG_STRING: return a->kind == EX_STRING;
    default: return a->kind == EX_NAME;
    }
}
