/* st_table.h: tables, static data that every function of a pipeline can
 * look keys up in (`table spam = file("spam.txt");`, spec section 11,
 * docs/runtime.md "Tables").
 *
 * A table kind is an st_table_kind (open, lookup, close), one per row
 * ST_TABLE(ID, NAME, IMPL, USAGE) of st_kinds.def, defined as
 * st_table_<IMPL> in runtime/tables/<IMPL>.c. The generated program
 * describes each table (st_table_desc) and st_main opens every table once
 * at start, after the --param values are applied and before the first
 * batch: a kind's open() failing is a start-up error (exit 1). The
 * generated functions then call st_table_get() / st_table_has() from the
 * worker threads; close() runs after the last batch.
 *
 * lookup() may be called from several worker threads at once: a kind
 * makes itself thread-safe (the file kind is read-only after open). */
#ifndef ST_TABLE_H
#define ST_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct st_table_h st_table_h;   /* the engine's handle of one table */

typedef struct st_table_kind {
    /* at start: 0, or -1 after st_table_error: a start-up error, exit 1 */
    int (*open)(st_table_h *h);
    /* 1 found (*val, *vlen valid until the next lookup on this thread),
       0 missing, -1 unavailable (logged with st_table_error; the caller
       waits and retries: records are never dropped) */
    int (*lookup)(st_table_h *h, const char *k, size_t kn, const char **val, size_t *vlen);
    void (*close)(st_table_h *h);   /* may be NULL */
} st_table_kind;

/* The table's arguments by name (the names of its kind's ST_TABLE_ARG and
   ST_TABLE_OPT rows: "path", "sep", "addr"), --param values applied; an
   option not written gives its row's default (NULL for none). */
const char *st_table_arg(const st_table_h *h, const char *name);
/* The table's name in the .stream file (for a kind's own messages). */
const char *st_table_name(const st_table_h *h);
void st_table_set_state(st_table_h *h, void *s);
void *st_table_state(const st_table_h *h);
/* "PROG: error: table 'NAME': message" on stderr */
void st_table_error(st_table_h *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* (added) "PROG: warning: table 'NAME': message": a skipped line at load */
void st_table_warn(st_table_h *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- what the generated program uses ------------------------------------- */
typedef struct st_table_opt {
    const char *name;         /* "path", "sep", "addr" */
    const char *str;          /* its value; sc_bind() stores a param's here */
} st_table_opt;

typedef struct st_table_desc {
    const char *name;         /* the table's name in the .stream file */
    const char *kind;         /* its kind's name: "file", "redis" */
    const st_table_kind *impl;   /* &st_table_<IMPL> */
    int nopts;
    st_table_opt *opts;       /* every argument and option of its kind */
    st_table_h **handle;      /* st_main stores the opened table here */
} st_table_desc;

/* The kinds built into libstreamrt (the others are in their own library). */
extern const st_table_kind st_table_file;

/* Opens the tables (in order; a failure closes those already open and
   returns -1, logged); prog is the rt_prog for messages (NULL: "streamrt").
   Closing: st_tables_close. */
int st_tables_open(const st_table_desc *t, int n, void *prog);
void st_tables_close(const st_table_desc *t, int n);
/* Their lines in --help ("tables:", then NAME  KIND(OPT = "VALUE", ...)
   with the values as bound), nothing when n is 0. */
void st_tables_usage(const st_table_desc *t, int n, FILE *f);

/* Looks k up in h from a pipeline function: true and the value copied into
   the arena ar when found. While the kind answers "unavailable" it waits
   (100 ms doubling to 5 s, logged once per outage) and asks again; when
   the job is stopped meanwhile, the process exits 1 without completing
   the batch (recovery runs it again), so no record is dropped. */
struct st_arena;
bool st_table_get(st_table_h *h, const char *k, size_t kn, struct st_arena *ar, const char **val, size_t *vlen);
/* Whether k is in h (the same waiting as st_table_get). */
bool st_table_has(st_table_h *h, const char *k, size_t kn);

#endif
