/* rt_internal.h: what the modules of libstreamrt share and generated code
 * must not see (it is not installed). Public names are st_*, internal ones
 * rt_*; both have external linkage so the unit tests can reach the
 * internals (the virtual clock's batch assembly, the worker pool, option
 * parsing) without running a whole program.
 *
 * Modules: arena.c (memory), buf.c (text buffers, number formatting),
 * builtins.c (language built-ins), hash.c (xxHash), pool.c (worker pool),
 * vsrc.c (virtual sources: replay files, the virtual clock), output.c
 * (print, save, skip, logging), engine_store.c, engine_sched.c,
 * engine_run.c, recovery.c and sources/ (the real-time run, receivers),
 * driver.c (st_main: options, replay and real-time runs, signals).
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
/* task(arg, i) for every i in [0, n), on the pool's threads and the caller
   (on the caller alone, in order, when p is NULL); returns when all are
   done. For work outside a batch (loading a replay file). */
void rt_pool_each(rt_pool *p, int n, void (*task)(void *arg, int i), void *arg);
/* Threads a task run by p may use at once: 1 when p is NULL. */
int rt_pool_width(const rt_pool *p);
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
    bool stats_json, version; /* --stats=json, --version */
    const char *metrics;    /* --metrics HOST:PORT; NULL: none (points into argv) */
    const char *checkpoint; /* --checkpoint DIR; NULL: none (points into argv) */
    bool accept_loss;       /* --accept-loss: recover what can be, report the rest */
    int64_t memory;         /* --memory: bytes of blocks before spilling; -1: default */
    int64_t max_empty;      /* --max-empty-batches; -1: default */
    int nreplay;
    rt_replay_opt *replay;  /* malloc'd; strings point into argv */
    const char **params;    /* per program param: its --param value (into argv),
                               NULL = the default; malloc'd, NULL when none given */
} rt_opts;

/* ---- params.c: run-time parameters -------------------------------------- */
/* --param NAME=VALUE: checks and records it; 0, or -1 after the message. */
int rt_param_opt(const st_program_desc *prog, rt_opts *o, const char *val, FILE *err,
                 const char *name);
/* Stores the values given into the program's params and calls its bind(). */
void rt_params_apply(const st_program_desc *prog, const rt_opts *o);
/* The params section of --help (nothing without params). */
void rt_params_usage(const st_program_desc *prog, FILE *f);

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
    atomic_llong spilled;     /* blocks spilled to disk, not yet reported */
    /* real time (engine_store.c, flow.h): accounted bytes of records received and
       not yet processed, their peak since the last --stats line and over
       the run, and the hold-off limit (0 in replay) */
    atomic_llong held, held_peak, held_max;
    int64_t held_limit;
    atomic_llong recv_errors; /* receiver failures (connect, read), not yet reported */
    atomic_llong out_retries; /* failed writes of st_sink outputs, retried; not yet reported */
    struct st_sink_h *sinks;  /* desc->nsinks handles (sink.c) */
    char sink_instance[33];   /* st_sink_instance: 32 hex digits (instance.c) */
    bool sink_durable;        /* the instance id is kept in a checkpoint directory */
    atomic_llong wal_bytes;   /* bytes appended to its write-ahead log */
    struct rt_obs *obs;       /* --stats / --metrics figures (rt_obs.h) */
    bool quiet;               /* recovery: the batch's outputs had completed; skip them */
    /* the running batch, per source (src_stats.c): its merged range
       positions and its lag ("K:N,K:N"), or NULL: not such a source */
    char **src_ranges, **src_lag;
    int64_t batches, records, skipped_total, retries_total;
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
    const char **cleaned;     /* saveAsTextFiles prefixes whose stale temporaries are removed */
    int ncleaned;
    struct rt_http *http;     /* --metrics responder, or NULL */
    const st_program_view *view; /* from streamc for --metrics, or NULL */
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

/* ---- sink.c: the st_sink outputs (st_sink.h) ------------------------------ */
/* Opens every sink of every context, before the first batch; 0, or -1
   after a sink's open failed (logged). */
int rt_sinks_open(rt_prog *p);
void rt_sinks_close(rt_prog *p);   /* those opened */

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
    bool keyed;           /* a keyed source: a record is KEY<TAB>VALUE */
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
   (malloc'd). fname names the file in warnings. A big file is laid out
   on pool's threads (NULL: on the caller), with the same result. elem:
   RT_VS_STR, RT_VS_INT (a record that is not an int is a counted skip)
   or RT_VS_PAIR (OFFSET_MS<TAB>KEY<TAB>VALUE: a record without a TAB is
   a counted skip). */
enum { RT_VS_STR, RT_VS_INT, RT_VS_PAIR };
void rt_vsrc_replay(rt_vsrc *v, char *text, size_t n, const char *fname,
                    int elem, int64_t batch_ms, int64_t block_ms, rt_pool *pool,
                    rt_vs_warn_fn warn, void *warg);
/* Replay text is laid out on pool's threads (when not NULL) in pieces of
   at least this many bytes (1 MiB; tests make it smaller). */
extern size_t rt_replay_piece_min;
/* Layouts done in pieces so far (tests check the path was taken). */
extern int64_t rt_replay_par_layouts;
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
/* The first line (from 1) of replay text [text, text+n) whose record is in
   batch k, and its offset; 0 when there is none. */
int64_t rt_vsrc_line_of_batch(const char *text, size_t n, int64_t batch_ms, int64_t k,
                              int64_t *offset);
/* Default of --max-empty-batches: a replay runs at most this many empty
   batches in a row before a record (replay_bound.c). */
#define RT_MAX_EMPTY_BATCHES INT64_C(100000)
/* Checks that the batches first..last of a context, whose sources are
   vs[0..nsrc) (files[s], lens[s]: the replay file of source s, or NULL),
   hold no run of more than max_empty empty batches before a record. 0, or
   -1 after logging an error that names the file and line of the record. */
int rt_replay_check_gaps(const rt_prog *p, const rt_vsrc *vs, int nsrc, const char *const *files,
                         const size_t *lens, int64_t batch_ms, int64_t first, int64_t last,
                         int64_t max_empty);
/* Splits text into lines (strip \n, \r\n; a last line without newline
   counts). Returns the count; *lines is malloc'd. */
int64_t rt_split_lines(const char *text, size_t n, st_str **lines);
/* Maps a regular non-empty file read-only with its pages populated (a big
   one's in pieces on pool's threads; pool may be NULL), *maplen > 0, or
   reads it as rt_read_file does (*maplen == 0). A mapped file truncated
   while the program runs makes it exit 1 with a message naming it, not
   die of SIGBUS. Returns 0 or an errno. Free with rt_unload_file. */
int rt_load_file(const char *path, rt_pool *pool, char **out, size_t *n, size_t *maplen);
void rt_unload_file(char *text, size_t maplen);
/* The program name that message starts with (default "streamrt"); prog
   must outlive the loaded files. */
void rt_load_file_name(const char *prog);
/* Whole file into a malloc'd, NUL-terminated buffer. 0 or an errno. */
int rt_read_file(const char *path, char **out, size_t *n);

/* ---- the table of source kinds, st_kinds.def (kinds.c) ---- */
const char *rt_kind_name(st_src_kind k);
int rt_source_field(const st_source_desc *d, const char *name, const char **str, int64_t *num);
void rt_kind_describe(const st_source_desc *d, char *buf, size_t cap);
bool rt_kind_ints(st_src_kind k);      /* Int records (else String) */
bool rt_kind_replays(st_src_kind k);   /* its receiver can replay a position */
/* how it runs on the virtual clock without a replay file (ST_SOURCE_VIRTUAL):
   RT_VIRT_RATE (paced Ints), RT_VIRT_FILE (the lines of its path) or none */
enum { RT_VIRT_NONE, RT_VIRT_RATE, RT_VIRT_FILE };
int rt_kind_virtual(st_src_kind k);
/* (String, String) records (its ST_SOURCE_KEYED option is true): each
   stored as KEY<TAB>VALUE (st_pair_split) */
bool rt_source_keyed(const st_source_desc *d);

/* ---- options and the two run modes (driver.c, engine_*.c) ------------------- */
/* Parses argv into o; 0, or 2 after printing a usage error on err. */
int rt_parse_opts(const st_program_desc *prog, int argc, char **argv,
                  rt_opts *o, FILE *err);
void rt_opts_free(rt_opts *o);
/* "10s", "500ms", "2min", "1h" or plain milliseconds; -1 when invalid. */
int64_t rt_parse_duration(const char *s);
/* Whether SIGINT/SIGTERM arrived during st_main (driver.c). */
bool rt_signalled(void);
/* Real-time run of every context (engine_run.c); sigfd is the signal self-pipe
   (-1: none). Returns 0 or 1. */
int rt_run_realtime(rt_prog *p, int sigfd);

/* Batch and zero times in durable files are below this (2^62 ms): a value
   beyond is damage, and sums of times cannot overflow. */
#define RT_TIME_LIMIT (INT64_C(1) << 62)

/* ---- wal.c: the write-ahead log of a checkpoint directory --------------- */
#define RT_WAL_HEADER 48      /* a segment's header; entries follow */
typedef struct rt_wal {
    char *dir;
    int fd;                   /* the segment being written */
    int64_t seq, size;        /* its number and length */
    int64_t entries;          /* entries in it: the next one's number */
    uint64_t ident;           /* the program identity in its header */
    bool broken;              /* a failed append could not be undone */
    bool removed;             /* rt_wal_sync found the segment removed */
    pthread_mutex_t mu;
} rt_wal;

/* Starts segment dir/log-<seq> (never an existing one's tail), its header
   naming the program identity, synced. 0 or -1. */
int rt_wal_open(rt_wal *w, const char *dir, int64_t seq, uint64_t ident);
void rt_wal_close(rt_wal *w);
/* Appends one entry; *seq and *off (may be NULL) say where its payload
   is. Thread-safe. 0 or -1 (errno). */
int rt_wal_append(rt_wal *w, char type, const void *p, size_t n, int64_t *seq, int64_t *off);
/* fdatasync, then records the synced length in the header. 0 or -1; -1
   with removed set when the segment was removed (unlinked). */
int rt_wal_sync(rt_wal *w);
/* Syncs the segment and starts the next; *old_seq is the one closed. */
int rt_wal_roll(rt_wal *w, int64_t *old_seq);
int64_t rt_wal_seq(rt_wal *w);
/* The segment numbers in dir, ascending (*out malloc'd). */
int64_t rt_wal_segments(const char *dir, int64_t **out);
typedef int (*rt_wal_fn)(void *arg, char type, const char *p, size_t n, int64_t seq, int64_t off);
/* What a scan of a segment expects and found. */
typedef struct rt_wal_scan {
    uint64_t ident;           /* in: the program identity expected */
    bool newest;              /* in: the newest segment: it may end in a torn tail */
    bool listed;              /* in: the manifest lists it, so its header was synced first */
    int64_t end;              /* out: offset after the last whole entry */
    int64_t torn;             /* out: bytes after end taken for a torn tail */
    int64_t entries;          /* out: whole entries */
    int64_t at;               /* out: on damage, its offset */
    bool foreign;             /* out: another program's segment */
    char why[200];            /* out: on damage, what is wrong */
} rt_wal_scan;
/* Calls fn for each entry of segment text t[0..n) in order, until fn
   returns non-zero (returned). Every length is checked against the bytes
   there; a short or failing entry is a torn tail (s->torn) only in the
   newest segment, beyond the synced length, as its last entry. -1 with
   s->why and s->at on damage. */
int rt_wal_scan_text(const char *t, size_t n, int64_t seq, rt_wal_scan *s, rt_wal_fn fn, void *arg);
/* The same for dir/log-<seq>; -1 also when it cannot be read (s->why). */
int rt_wal_scan_segment(const char *dir, int64_t seq, rt_wal_scan *s, rt_wal_fn fn, void *arg);
/* Cuts a segment to end (its last whole entry) and makes its synced length
   end, synced: an old segment then reads whole. 0 or -1. */
int rt_wal_seal(const char *dir, int64_t seq, int64_t end);
/* Reads n payload bytes at (seq, off). 0 or -1. */
int rt_wal_read(const char *dir, int64_t seq, int64_t off, size_t n, char *out);
int rt_wal_remove(const char *dir, int64_t seq);
int rt_fsync_dir(const char *dir);

/* ---- blockstore.c: received blocks until their batch has run ------------
 * Sealed blocks of a context's sources wait here for their batch. With a
 * checkpoint directory every block is logged before it counts as
 * received (its records too under a _2 storage level), and so is every
 * batch's allocation of blocks and every batch's completion; the DISK
 * levels spill blocks (DISK_ONLY always, MEMORY_AND_DISK once the blocks
 * in memory pass the budget) and read them back when their batch runs. */
/* RT_BLK_FILES: recovered, its records not logged; stored again by its
   receiver from the positions its log entry names (st_receiver.replay). */
enum { RT_BLK_MEM, RT_BLK_WAL, RT_BLK_SPILL, RT_BLK_LOST, RT_BLK_FILES };

typedef struct rt_block {
    int64_t id;               /* per source, consecutive from 0 */
    int64_t n;                /* records */
    char *bytes;              /* string sources: the records' bytes */
    int64_t *offs;            /* (start, length) per record, into bytes */
    int64_t *ints;            /* int sources (rate) */
    st_str *recs;             /* made when the batch is loaded */
    int where;                /* RT_BLK_* */
    int64_t seg, off, len;    /* WAL: segment and payload; SPILL: len */
    size_t mem;               /* bytes it holds in memory */
    char **files;             /* the positions marked in it (st_recv_position) */
    int64_t nfiles;
    int64_t cum;              /* the source's records through this block */
    int src;                  /* RT_BLK_FILES: its source */
} rt_block;

typedef struct rt_batch {
    int64_t time_ms;
    bool done;                /* recovered: its outputs had completed */
    int nsrc;
    rt_block **blocks;        /* per source */
    int64_t *nblocks;
    int64_t *next;            /* per source: blocks with id < next are in this or an earlier batch */
    int64_t *cum;             /* per source: the records of those blocks */
    st_input *inputs;         /* made by rt_bs_load */
    st_block **bl;
} rt_batch;

typedef struct rt_bsrc {
    rt_block *q;              /* sealed, not yet in a batch, in id order */
    int64_t n, cap;
    int64_t next_id, taken;
    int64_t recs;             /* records of all blocks added (ids < next_id) */
    int64_t lost_upto;        /* unlogged blocks below this id were reported lost */
    char **files;             /* positions logged (a textFileStream's files: never read again) */
    int64_t nfiles, fcap;
    uint64_t *fidx, fslots;   /* their index by name hash (blockstore.c) */
    bool ranges;              /* range positions (KEY:FROM-TO): only the newest of a key is kept */
    char *acked;              /* st_recv_acked: the newest position acknowledged (NULL: none) */
    bool (*covered)(const char *pos, const char *mark);   /* its receiver's (st_receiver.covered) */
} rt_bsrc;

typedef struct rt_seg {
    int64_t seq, unalloc, max_t;   /* blocks not in a batch yet; newest batch it names */
    bool gone;                     /* being removed */
} rt_seg;

struct rt_restore;

typedef struct rt_bstore {
    rt_ctx *c;
    int nsrc;
    char *dir;                /* checkpoint directory, or NULL */
    char *spill_dir;          /* dir, or a private temporary one */
    bool spill_tmp;
    bool logging;             /* wal is open */
    rt_wal wal;
    pthread_mutex_t mu;       /* all below */
    rt_bsrc *src;
    rt_seg *segs;
    int64_t nsegs, segcap;
    int64_t mem, budget;
    int64_t lost;             /* recovered blocks whose records were not logged */
    uint64_t ident;           /* the program identity in the log and manifest */
    int64_t snap_t, snap_recs;  /* the newest snapshot, for the manifest */
    atomic_bool removed;      /* the log was found removed (logged once) */
    /* Replay of a recovered block from its positions (the engine's, set
       before rt_bs_recover): can_replay says whether source src's receiver
       can; replay stores the records at the positions pos (n bytes of
       NUL-terminated positions) into bytes and offs (2 per record, *nrec
       of them). 0 or -1 (logged). */
    bool (*can_replay)(void *arg, int src);
    int (*replay)(void *arg, int src, const char *pos, size_t n, st_buf *bytes, int64_t **offs,
                  int64_t *nrec);
    void *replay_arg;
    atomic_int log_err;       /* errno of the first failed append (0: none): no entry follows it */
    int lock_fd;              /* 1 + the descriptor of DIR/lock, locked while the process runs (0: none) */
} rt_bstore;

void rt_bs_init(rt_bstore *bs, rt_ctx *c, const char *dir, int64_t budget);
/* Starts the log (a new segment after the recovered ones). 0 or -1. */
int rt_bs_start_log(rt_bstore *bs, int64_t zero_ms);
void rt_bs_close(rt_bstore *bs);
/* Adds a sealed block of source i, taking its buffers and file names.
   Logs and spills it as its level says. 0 or -1 (logged). */
int rt_bs_add(rt_bstore *bs, int i, rt_block *b);
/* Whether textFileStream source i has logged the file name. */
bool rt_bs_has_file(rt_bstore *bs, int i, const char *name);
/* fn(arg, name) for each file (position) source i has logged, oldest first */
void rt_bs_each_file(rt_bstore *bs, int i, void (*fn)(void *, const char *), void *arg);
/* source i marks range positions (st_recv_store_range): a snapshot keeps
   the newest range of each key only */
void rt_bs_set_ranges(rt_bstore *bs, int i);
/* ---- blockstore_prune.c: what keeps a source's set of logged positions
   bounded; both prunes run when a snapshot is written (rt_bs_blob) ---- */
/* source i has acknowledged everything up to position mark to its source
   (st_recv_acked): covered(pos, mark) says which positions that covers. A
   mark covered by the one there (an older one) changes nothing. */
void rt_bs_set_acked(rt_bstore *bs, int i, const char *mark, bool (*covered)(const char *pos, const char *mark));
/* drops the positions of s its newest mark covers. Under bs->mu. */
void rt_bs_prune_acked_locked(rt_bsrc *s);
/* a range source's: keeps the newest range of each key. Under bs->mu. */
void rt_bs_prune_ranges_locked(rt_bsrc *s);
/* keeps only the positions of s whose kept[] is true, in order
   (blockstore.c). Under bs->mu. */
void rt_bs_keep_locked(rt_bsrc *s, const bool *kept);
/* Moves every added block into batch *out at time_ms (logged). 0 or -1. */
int rt_bs_take(rt_bstore *bs, int64_t time_ms, rt_batch *out);
int rt_bs_sync(rt_bstore *bs);
/* Reads spilled blocks back and makes b->inputs. 0 or -1 (logged). */
int rt_bs_load(rt_bstore *bs, rt_batch *b);
void rt_bs_release(rt_bstore *bs, rt_batch *b);
/* Logs that batch t's outputs have completed. */
int rt_bs_done(rt_bstore *bs, int64_t time_ms);
/* The runtime part of a snapshot taken after batch b. */
void rt_bs_blob(rt_bstore *bs, const rt_batch *b, st_buf *out);
/* After a snapshot of batch time t (cum: per source the records through
   it): starts a new segment, records both in the manifest and removes the
   segments no recovery can need. 0, or -1 (logged): the log cannot go on. */
int rt_bs_prune(rt_bstore *bs, int64_t t, const int64_t *cum);
/* Reads the log of a checkpoint directory after a restart: the segments
   rs names (rt_ckpt_restore), from its snapshot (rs->found: its time and
   runtime part). Proves that the log covers everything after the
   snapshot: the batches allocated after it are consecutive and every
   block a batch names, and every block since, is there; what cannot be
   proven is refused (-1, logged: the file, the offset, what is missing),
   or with --accept-loss reported (which batches, how many records).
   Fills *out with the batches allocated after the snapshot (in order;
   done when they had completed), puts blocks never allocated back in the
   queues, and sets *zero_ms (when the log knows it) and *last_t (the
   newest batch time known, or the snapshot's). 0, or -1 (logged). */
int rt_bs_recover(rt_bstore *bs, const struct rt_restore *rs, rt_batch **out, int64_t *nout,
                  int64_t *zero_ms, int64_t *last_t);

/* Spark's default checkpoint interval: max(batch, 10 s), rounded up to a
   multiple of the batch interval (driver.c). */
int64_t rt_ckpt_interval(int64_t batch_ms);

/* ---- snapshot.c: checkpoints of a context's state -----------------------
 * A snapshot is one file DIR/<context>/state-<time_ms, 20 digits>, written
 * atomically; the newest two are kept. See docs/runtime.md. */
/* mkdir -p path; 0 or an errno. */
int rt_mkdirs(const char *path);
/* dir + "/" + name, malloc'd. */
char *rt_path_join(const char *dir, const char *name);
/* write(2) until all of p is written (EINTR retried); 0, or -1 (errno). */
int rt_write_all(int fd, const char *p, size_t n);
/* The checkpoint directory of context c: DIR/<context name>, created (mkdir -p); DIR is
   c->prog->opts.checkpoint when given, else (real_time only) c->desc->checkpoint. NULL when none
   (errno 0), or when it cannot be created (logged; errno set). malloc'd. */
char *rt_ckpt_dir(rt_ctx *c, bool real_time);
/* The instance id of c's outputs (instance.c): kept in c's checkpoint
   directory (made at the first start) when it has one, else random for
   this process. 0, 1 (no checkpoint: a random one), or -1 logged. */
int rt_instance_id(rt_ctx *c, bool real_time, char out[33]);
/* Writes dir/state-<time_ms, 20 digits zero-padded> atomically: a temp file in dir, write, fsync, rename, fsync dir;
   then removes all but the newest 2 state files. Content: "STSNAP1\n", u64 state_hash, i64 zero_ms, i64 time_ms,
   i64 len + rtblob (opaque runtime data; may be NULL = empty), i64 len + desc->save() output, then u64 XXH3_64bits
   checksum of everything before it. 0, or -1 (logged with rt_log). */
int rt_snap_write(rt_ctx *c, const char *dir, int64_t zero_ms, int64_t time_ms, const st_buf *rtblob);
/* Loads the newest valid snapshot into c->state (calling desc->load; on a load failure destroy and re-create the
   state and try the next older); a file with a bad checksum is skipped with a warning. Returns 1 (found: sets
   *zero_ms, *time_ms, appends the runtime blob to rtblob unless NULL), 0 (none: no state file), -1 (error logged:
   the state_hash differs: "checkpoint DIR was written by a different program; remove it or choose another
   directory"; the directory cannot be read; or state files exist but none is usable). */
int rt_snap_read(rt_ctx *c, const char *dir, int64_t *zero_ms, int64_t *time_ms, st_buf *rtblob);
/* The batch times of dir's state files, ascending (*out malloc'd). 0, or
   -1 (errno) when dir cannot be read. */
int rt_snap_times(const char *dir, int64_t **out, int *n);
/* Loads dir/state-<time_ms> into c->state (on failure the state is made
   fresh): 1 loaded (*zero_ms, rtblob set), 0 no such file, -1 damaged or
   unreadable (why), -2 another program's. */
int rt_snap_load(rt_ctx *c, const char *dir, int64_t time_ms, uint64_t ident, int64_t *zero_ms,
                 st_buf *rtblob, char *why, size_t nwhy);

/* ---- ckpt.c: program identity, manifest, choosing what to restore ------- */
/* A hash of what durable files depend on: the context's name, intervals
   and state layout, and its sources' names, kinds and whether they log
   records. Files with another identity are another program's. */
uint64_t rt_ckpt_ident(const st_context_desc *d);
typedef struct rt_manifest {
    int64_t snap_t;           /* newest snapshot's batch time; INT64_MIN: none */
    int64_t snap_recs;        /* records received through that batch */
    int64_t *segs, nsegs;     /* live log segments, ascending */
} rt_manifest;
/* 1 read, 0 none, -1 damaged (why), -2 another program's. */
int rt_manifest_read(const char *dir, uint64_t ident, rt_manifest *m, char *why, size_t nwhy);
int rt_manifest_parse(const char *t, size_t n, uint64_t ident, rt_manifest *m, char *why, size_t nwhy);
/* Atomically (temp, fsync, rename, fsync dir). 0 or -1 (errno). */
int rt_manifest_write(const char *dir, uint64_t ident, const rt_manifest *m);
void rt_manifest_free(rt_manifest *m);
/* What a real-time restart restores (rt_ckpt_restore). */
typedef struct rt_restore {
    bool found;               /* a snapshot was loaded into c->state */
    bool had_log;
    int64_t snap_t, snap_zero;  /* its batch time (INT64_MIN: none) and zero time */
    st_buf blob;              /* its runtime part */
    int64_t *segs, nsegs;     /* the log segments to read, ascending */
    bool fallback;            /* the newest snapshot was unusable: an older one (or none) stands in */
    bool missing_seg;         /* a listed segment is gone (accepted loss) */
    int64_t lost_from;        /* with fallback: the unusable snapshot's time */
    int64_t committed_recs;   /* records through the manifest's snapshot; -1: unknown */
    int64_t max_listed;       /* the manifest's newest segment (-1: none, or no manifest) */
} rt_restore;
/* Reads the manifest, checks the listed segments are there and chooses
   the snapshot (loaded into c->state); refuses (-1, logged) what cannot
   be proven, unless --accept-loss (then warns). Sets bs->ident. */
int rt_ckpt_restore(rt_ctx *c, rt_bstore *bs, const char *dir, rt_restore *out);
void rt_restore_free(rt_restore *r);

/* ---- builtins.c, for json.c's st_json_fields ----------------------------- */
/* One JSON value at p (leading whitespace skipped) at nesting depth
   `depth`, validated as st_json does; its end, or NULL. */
const unsigned char *rt_json_skip_value(const unsigned char *p, const unsigned char *e, int depth);
/* Validated string content unescaped into o (raw.n bytes of room); the end. */
char *rt_json_unescape(char *o, st_str raw);

#endif
