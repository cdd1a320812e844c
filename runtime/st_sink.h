/* st_sink.h: the sink interface. An output operator with an
 * ST_SINK_IMPL(ID, NAME) row of runtime/st_kinds.def (saveToKafka,
 * saveToRedis, ...) runs as the st_sink st_sink_NAME, defined in
 * runtime/sinks/NAME.c; a sink that needs a C library has an
 * ST_SINK_LIB row and is linked only into programs that use it.
 *
 * Life of a sink (one handle per output operator of the program):
 *   open(h)     optional, once at start, before the first batch: make the
 *               state (st_sink_set_state); 0, or -1 after st_sink_error:
 *               the program exits 1 before any batch runs
 *   write(h, batch_ms, rows, n)
 *               one call per batch (batches with no rows too), on the
 *               batch's thread, with all the batch's rows in the batch's
 *               order: 0 when every row is acknowledged / applied; -1
 *               after st_sink_error when not. The engine then counts an
 *               output retry (--stats, --metrics), waits (100 ms,
 *               doubling up to 5 s) and calls write again with the same
 *               rows, until it succeeds or the job is stopped (a signal,
 *               a failure elsewhere): then the program exits 1 without
 *               marking the batch done, and recovery from a checkpoint
 *               runs it again. Rows are never dropped; a write must
 *               therefore be idempotent or accept a repeat of a batch
 *               (at-least-once).
 *   close(h)    optional, once at the end (also after a failed open)
 *
 * The rows: for an operator whose last argument is a lambda (an ARG
 * STRLIST_FN row: saveToRedis(addr, x => List(...))), one row per element
 * holding the lambda's list; otherwise a (key, value) element is a row of
 * 2 strings (their printed forms), any other element a row of 1. The
 * strings are valid during the write call only. */
#ifndef ST_SINK_H
#define ST_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct st_sink_h st_sink_h;   /* the engine's handle of one output */

/* one record as strings */
typedef struct st_row {
    int n;
    const char *const *s;
    const size_t *len;
} st_row;

typedef struct st_sink {
    int (*open)(st_sink_h *h);
    int (*write)(st_sink_h *h, int64_t batch_ms, const st_row *rows, size_t n);
    void (*close)(st_sink_h *h);
} st_sink;

/* the call's string arguments (params applied), i from 0; NULL past the end */
const char *st_sink_arg(const st_sink_h *h, int i);
int st_sink_nargs(const st_sink_h *h);
const char *st_sink_name(const st_sink_h *h);     /* the operator, as in messages */
void st_sink_set_state(st_sink_h *h, void *s);
/* The id of the run whose batches this output may see again (32 hex
   digits): with a checkpoint, kept in its directory, the same after every
   restart from it (and different for every checkpoint directory);
   without, new for each process. A sink that makes a re-run batch
   idempotent names its state by it (never by the program: two processes
   of one program write the same batch times). st_sink_durable: whether
   it is kept (a sink may let the state of a run without one expire). */
const char *st_sink_instance(const st_sink_h *h);
bool st_sink_durable(const st_sink_h *h);
void *st_sink_state(const st_sink_h *h);
bool st_sink_stopped(const st_sink_h *h);        /* the job is stopping: give up waiting */
/* logged with the output's name and counted as an output error */
void st_sink_error(st_sink_h *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
