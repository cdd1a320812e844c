/* rt_internal.h: what the modules of libstreamrt share and generated code
 * must not see (it is not installed). Public names are st_*, internal ones
 * rt_*; both have external linkage so the unit tests can reach the
 * internals (the virtual clock's batch assembly, the worker pool, option
 * parsing) without running a whole program.
 *
 * Modules: arena.c (memory), buf.c (text buffers, number formatting),
 * builtins.c (language built-ins), hash.c (xxHash), pool.c (worker pool),
 * vsrc.c (virtual sources: replay files, the virtual clock), output.c
 * (print, save, skip, logging), recv.c (real-time receivers), driver.c
 * (st_main: options, replay and real-time runs, signals).
 */
#ifndef RT_INTERNAL_H
#define RT_INTERNAL_H

#include "streamrt.h"
#include "st_map.h"   /* st_xrealloc */

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>

/* Longest record a receiver keeps; a longer line is skipped and counted so
   one hostile line cannot take all memory. */
#define RT_MAX_RECORD ((size_t)64 << 20)
/* How many skipped records a program logs before it only counts them. */
#define RT_SKIP_LOG_MAX 10
/* Detail of a logged skip is cut to this many bytes. */
#define RT_SKIP_DETAIL_MAX 80

/* ---- arena.c: allocation that cannot fail ------------------------------- */
_Noreturn void rt_oom(void);
void *rt_xmalloc(size_t n);
void *rt_xcalloc(size_t n, size_t size);
/* Grows *p (of *cap elements of size sz) to hold at least need elements. */
void rt_grow(void **p, int64_t *cap, int64_t need, size_t sz);
/* As rt_grow for big arrays filled once: huge pages where there are. */
void rt_grow_huge(void **p, int64_t *cap, int64_t need, size_t sz);
void rt_tls_arena_set(st_arena *a);

/* ---- buf.c -------------------------------------------------------------- */
/* Java's Double.toString of v into out (NUL-terminated); returns length. */
size_t rt_format_float(char out[40], double v);
/* Appends p[0..n) for a log line: printable ASCII as is, the rest escaped
   (\n, \t, \xHH), cut after max input bytes with "..." appended. */
void rt_buf_escaped(st_buf *b, const char *p, size_t n, size_t max);

/* ---- clock -------------------------------------------------------------- */
int64_t rt_mono_ms(void);
int64_t rt_epoch_ms(void);
int64_t rt_floor_div(int64_t a, int64_t b);

/* ---- pool.c: the worker pool of a context ------------------------------- */
typedef struct rt_pool rt_pool;
/* nworkers >= 1 workers; the calling thread is worker 0, so nworkers - 1
   threads are started. job->arenas[w] becomes the thread-local arena of
   worker w while it runs a task. NULL when a thread cannot be started. */
rt_pool *rt_pool_new(int nworkers);
void rt_pool_free(rt_pool *p);
void rt_pool_run(rt_pool *p, st_job *job, int n, st_task_fn fn, void *arg);
int rt_ncpus(void);

/* ---- options ------------------------------------------------------------ */
typedef struct rt_replay_opt {
    const char *source, *file;
} rt_replay_opt;

typedef struct rt_opts {
    int64_t batches;        /* -1: no limit */
    int64_t duration_ms;    /* -1: no limit */
    int workers;            /* -1: as each context says */
    bool stats, help;
    int nreplay;
    rt_replay_opt *replay;  /* malloc'd; strings point into argv */
} rt_opts;

/* ---- program and contexts ---------------------------------------------- */
typedef struct rt_prog rt_prog;

typedef struct rt_ctx {
    const st_context_desc *desc;
    rt_prog *prog;            /* NULL in unit tests that run a lone context */
    int index;
    int nworkers;
    rt_pool *pool;
    st_arena **arenas;        /* nworkers */
    st_arena *input;          /* replay: the batch's blocks; reset per batch */
    void *state;              /* from desc->create() */
    bool created;
    atomic_llong skipped;     /* skips not yet attributed to a batch */
    atomic_llong throttled_ms; /* receivers held back by backpressure, not yet reported */
    int64_t batches, records, skipped_total;
    st_job job;
} rt_ctx;

struct rt_prog {
    const st_program_desc *desc;
    const char *name;
    rt_opts opts;
    rt_ctx *ctxs;
    pthread_mutex_t out_mu;   /* st_print and the --stats lines */
    atomic_int skip_logged;
    atomic_bool failed;       /* a runtime failure: st_main returns 1 */
};

/* Creates the pool and arenas of a context (not its state). 0 or -1. */
int rt_ctx_open(rt_ctx *c, const st_context_desc *d, rt_prog *prog, int index,
                int workers);
void rt_ctx_close(rt_ctx *c);
/* Runs one batch of c: fills c->job, calls run_batch with the worker 0
   arena as thread-local arena, resets the arenas, prints --stats. Returns
   run_batch's result. delay_ms is the scheduling delay for --stats. */
int rt_ctx_run(rt_ctx *c, int64_t time_ms, int64_t zero_ms,
               const st_input *inputs, int64_t delay_ms);
int64_t rt_inputs_records(int n, const st_input *inputs);

/* ---- output.c: logging -------------------------------------------------- */
const char *rt_prog_name(const rt_prog *p);
/* "PROG: LEVEL: message\n" on stderr in one write. */
void rt_log(const rt_prog *p, const char *level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Counts a skipped record on c (attributed to the next batch's stats) and
   logs it while the program is under its log limit. */
void rt_skip_ctx(rt_ctx *c, const char *what, const char *detail, size_t n);

/* ---- vsrc.c: virtual sources on the virtual clock -----------------------
 * A record at offset t (ms from the start) belongs to block floor(t/block)
 * and to batch k = floor(t/batch) + 1. A batch's input for a source is its
 * non-empty blocks in time order; within a block, records keep file order.
 * RT_VS_LIST holds explicit records (a replay file, a file read once);
 * RT_VS_PACED generates record i at offset floor(i * 1000 / rate): the
 * integers i for rate(N), or line i mod nlines of a paced file. */
typedef enum rt_vs_kind { RT_VS_LIST, RT_VS_PACED } rt_vs_kind;

typedef struct rt_vblock {
    int64_t k;            /* batch */
    int64_t start, n;     /* into recs / ivals */
} rt_vblock;

typedef struct rt_vsrc {
    rt_vs_kind kind;
    bool ints;            /* an int source (rate): records are ivals */
    int64_t batch_ms, block_ms;
    char *text;           /* owned: the file the records point into */
    size_t text_map;      /* > 0: text is a read-only mapping of this length */
    /* RT_VS_LIST */
    st_str *recs;
    int64_t *ivals;
    rt_vblock *blocks;
    int64_t nblocks;
    int64_t *badk;        /* batch of each record skipped at load, sorted */
    int64_t nbad;
    /* RT_VS_PACED */
    int64_t rate;
    int64_t limit;        /* records in all; -1: infinite */
    st_str *lines;        /* NULL: the records are the integers */
    int64_t nlines;
    /* offset of the last record; -1 when there is none, INT64_MAX when
       the source never ends */
    int64_t last_offset;
    int64_t nmalformed;   /* replay lines skipped: no tab, bad offset */
} rt_vsrc;

/* Called for a skipped line: what says where ("FILE:LINE: why"). */
typedef void (*rt_vs_warn_fn)(void *arg, const char *what, const char *p,
                              size_t n);

/* From replay text (OFFSET_MS<TAB>RECORD lines); takes ownership of text
   (malloc'd). fname names the file in warnings. */
void rt_vsrc_replay(rt_vsrc *v, char *text, size_t n, const char *fname,
                    bool ints, int64_t batch_ms, int64_t block_ms,
                    rt_vs_warn_fn warn, void *warg);
/* A file source virtualised: with rate > 0 line i at floor(i*1000/rate)
   (repeating when loop), else every line at offset 0. Takes text. */
void rt_vsrc_file(rt_vsrc *v, char *text, size_t n, int64_t rate, bool loop,
                  int64_t batch_ms, int64_t block_ms);
/* rate(N) virtualised: record i = i at floor(i*1000/N). */
void rt_vsrc_rate(rt_vsrc *v, int64_t rate, int64_t batch_ms, int64_t block_ms);
void rt_vsrc_free(rt_vsrc *v);
/* Input of batch k >= 1 (memory from a); returns its records and sets
   *nskipped to the records of that batch skipped at load. */
int64_t rt_vsrc_batch(const rt_vsrc *v, int64_t k, st_arena *a, st_input *out,
                      int64_t *nskipped);
/* The last batch index a replay runs: batches (>= 0) and duration (>= 0)
   are the limits (-1: none); without them the batch of last_offset plus
   drain_ms. -1 when it would never end. */
int64_t rt_replay_last_batch(int64_t last_offset, int64_t batch_ms,
                             int64_t drain_ms, int64_t batches,
                             int64_t duration_ms);
/* Splits text into lines (strip \n, \r\n; a last line without newline
   counts). Returns the count; *lines is malloc'd. */
int64_t rt_split_lines(const char *text, size_t n, st_str **lines);
/* Reads a regular file of 2 MiB or more into memory on huge pages, maps a
   smaller non-empty one read-only (*maplen > 0), or reads it as
   rt_read_file does (*maplen == 0). Returns 0 or an errno. */
int rt_map_file(const char *path, char **out, size_t *n, size_t *maplen);
/* Whole file into a malloc'd, NUL-terminated buffer. 0 or an errno. */
int rt_read_file(const char *path, char **out, size_t *n);

/* ---- options and the two run modes (driver.c, recv.c) ------------------- */
/* Parses argv into o; 0, or 2 after printing a usage error on err. */
int rt_parse_opts(const st_program_desc *prog, int argc, char **argv,
                  rt_opts *o, FILE *err);
void rt_opts_free(rt_opts *o);
/* "10s", "500ms", "2min", "1h" or plain milliseconds; -1 when invalid. */
int64_t rt_parse_duration(const char *s);
/* Whether SIGINT/SIGTERM arrived during st_main (driver.c). */
bool rt_signalled(void);
/* Real-time run of every context (recv.c); sigfd is the signal self-pipe
   (-1: none). Returns 0 or 1. */
int rt_run_realtime(rt_prog *p, int sigfd);

#endif
