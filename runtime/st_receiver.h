/* st_receiver.h: the receiver interface. Every source kind of
 * runtime/st_kinds.def runs as an st_receiver (its file is
 * runtime/sources/KIND.c), and so does a user receiver, `source s =
 * receiver(fn [, "arg"]);` with fn written in a %{ %} block.
 *
 * Life of a receiver (one thread per source; Spark's Receiver):
 *   open(h)      optional, once: make the receiver's state (st_recv_set_state);
 *                0, or what st_recv_fatal / st_recv_restart returned (a
 *                restart opens it again after the delay)
 *   run(h)       receive until st_recv_stopped(h) or the source ends,
 *                storing records with st_recv_store*(); returns
 *                ST_RECV_DONE (ended or stopped), ST_RECV_RESTART (after
 *                st_recv_restart: the engine waits ST_RECV_RESTART_MS and
 *                calls run again; what was stored stays stored) or
 *                ST_RECV_FATAL (after st_recv_fatal: the job stops, exit 1)
 *   commit(h, pos, n)  optional, on the scheduler's thread: each position
 *                marked in a batch whose outputs have all completed (and,
 *                with a checkpoint, whose completion is logged), in order:
 *                acknowledge it to the source (a Kafka offset, a Redis
 *                stream ID). Batches recovery runs again are not committed.
 *   replay(h, pos, n)  optional: after a crash, store again the records
 *                of a block whose records were not logged (MEMORY_ONLY),
 *                from the position it carried; NULL when the source cannot
 *                replay (its lost blocks are reported lost)
 *   close(h)     optional, once at the end of the run, after the last
 *                commit: free the state
 *   lag(h, fn, arg)  optional, on the scheduler's thread after each batch
 *                (with --stats or --metrics): calls fn(arg, key, n) for
 *                each key of range positions (a Kafka partition) with n,
 *                the records the source holds past what was stored (Kafka:
 *                the high watermark minus the next offset to read). Must
 *                not block (cached figures only); may be called while
 *                run() runs, and before open() or after a failed one (the
 *                state is then NULL: report nothing). Shown by --stats
 *                and as streamc_source_lag in --metrics.
 *   covered(pos, mark)  optional, with st_recv_acked: whether every record
 *                of position pos is at or before those of position mark
 *                in the source's order (both positions of this source). A
 *                pure function of its arguments: it may be called on any
 *                thread, under the block store's lock, also before open()
 *                and after close().
 *
 * The store functions apply backpressure (they hold off while the context
 * holds its limit of bytes received and not processed, or two batches wait)
 * and the source's rate limit (maxRate, the rate estimator), and account
 * the records; they return false once the receiver is stopped (run should
 * then return). Records stored between two positions go into the same
 * block with the later position: a position is "every record up to here".
 * Positions are byte strings without NUL bytes (a file name,
 * "partition:offset", a stream ID). Thread: the store, position, sleep
 * and error functions are for the receiver's own thread; the others any
 * callback may call. */
#ifndef ST_RECEIVER_H
#define ST_RECEIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct st_recv st_recv;   /* the engine's handle of one running receiver */

enum { ST_RECV_DONE, ST_RECV_RESTART, ST_RECV_FATAL };
#define ST_RECV_RESTART_MS 100

typedef struct st_receiver {
    int (*open)(st_recv *h);      /* 0, or -1 after st_recv_fatal/st_recv_restart */
    int (*run)(st_recv *h);       /* ST_RECV_* */
    void (*close)(st_recv *h);
    void (*commit)(st_recv *h, const char *pos, size_t n);
    int (*replay)(st_recv *h, const char *pos, size_t n);   /* 0 or -1 (logged) */
    void (*lag)(st_recv *h, void (*fn)(void *arg, const char *key, int64_t n), void *arg);
    bool (*covered)(const char *pos, const char *mark);
} st_receiver;

/* A user receiver's function (receiver(fn, "arg")): fills r (run at
   least); arg is the optional second argument, or NULL. */
typedef void st_receiver_fn(st_receiver *r, const char *arg);

/* ---- options and identity ---- */
const char *st_recv_name(const st_recv *h);        /* the source's DSL name */
const char *st_recv_arg(const st_recv *h);         /* receiver(fn, "arg"): arg, or NULL */
/* A field of the source (host, path, arg; port, rate, loop, maxRate); an
   option of the kind's ST_SOURCE_OPT rows not given reads as its default */
const char *st_recv_opt_str(const st_recv *h, const char *name);   /* NULL if unset */
int64_t st_recv_opt_int(const st_recv *h, const char *name);       /* 0 if unset */
void st_recv_set_state(st_recv *h, void *state);
void *st_recv_state(const st_recv *h);
bool st_recv_recovering(const st_recv *h);         /* started from a checkpoint */
bool st_recv_logged(const st_recv *h);             /* has a checkpoint (positions are logged) */

/* ---- stopping and waiting ---- */
bool st_recv_stopped(st_recv *h);
int st_recv_stop_fd(const st_recv *h);             /* readable once stopped: poll it with yours */
bool st_recv_sleep(st_recv *h, int64_t ms);        /* false when stopped first */

/* ---- storing ---- */
bool st_recv_store(st_recv *h, const char *p, size_t n);   /* one String record */
bool st_recv_store_int(st_recv *h, int64_t v);             /* one Int record */
/* One (String, String) record, of a keyed source (ST_SOURCE_KEYED with
   its option true; otherwise a logged error, the record is skipped). A
   key with a TAB byte is a counted, logged skip (a pair is kept, logged
   and replayed as KEY<TAB>VALUE). */
bool st_recv_store_pair(st_recv *h, const char *k, size_t kn, const char *v, size_t vn);
/* Every '\n'-terminated line of [p, p+n) as a record ('\r\n' too); *used:
   the bytes consumed (the unterminated rest is left). */
bool st_recv_store_lines(st_recv *h, const char *p, size_t n, size_t *used);
/* Marks a position (opaque bytes, at most ST_RECV_POS_MAX) after the
   records stored so far: the block that holds them carries it through
   the block store, the write-ahead log and snapshots. */
#define ST_RECV_POS_MAX 4096
void st_recv_position(st_recv *h, const void *pos, size_t n);
/* Whether the checkpoint's log already holds this position (as marked by
   an earlier run): what a source must not receive again after a restart. */
bool st_recv_position_logged(st_recv *h, const void *pos, size_t n);
/* Acknowledged positions (a source whose acknowledgement takes a prefix:
   Redis's XACK through an ID, LTRIM of a list): once the source has
   acknowledged every record up to those of position mark, and knows it
   (the acknowledgement returned OK: the records can never be handed to it
   again), the receiver calls st_recv_acked(h, mark, n), from any of its
   callbacks. When a snapshot is written, the checkpoint's set of logged
   positions then drops every position rv.covered(pos, mark) says the
   newest mark covers: st_recv_position_logged answers false for them
   from then on, and the set, and every snapshot, holds only what is not
   yet acknowledged. Nothing without rv.covered or a checkpoint. */
void st_recv_acked(st_recv *h, const void *mark, size_t n);

/* Range positions (a Kafka partition's offsets): stores n records read
   from offsets [from, to) of KEY and marks the position "KEY:FROM-TO"
   after them, in one step, so that records and position land in the same
   block. A range of the same KEY that ends at FROM and is still in the
   current block is extended instead ("KEY:F-TO"): a block carries one
   position per key. Backpressure and the rate limit hold off once for
   the n records. A record of the keyed element type takes k/kn as its
   key; otherwise k is ignored. False once stopped. A source that stores
   ranges keeps, in its checkpoint's set of logged positions, only the
   newest range of each key once a snapshot is written (a block's own
   ranges stay in its log entry for replay). --stats shows, per batch,
   the ranges of each key its blocks carry, merged. */
typedef struct st_recv_rec {
    const char *k, *v;
    size_t kn, vn;
} st_recv_rec;
bool st_recv_store_range(st_recv *h, const char *key, int64_t from, int64_t to, const st_recv_rec *recs,
                         size_t n);
/* For a source of range positions (only: it is marked as one, see
   st_recv_store_range): calls fn for every position the checkpoint's log
   holds for it (marked by earlier runs), oldest first: where it resumes. */
void st_recv_positions_each(st_recv *h, void (*fn)(void *arg, const char *pos), void *arg);

/* ---- errors (each is logged with the source's name and counted as a
   receiver error in --stats and --metrics) ---- */
void st_recv_error(st_recv *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* run should return what these return */
int st_recv_restart(st_recv *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int st_recv_fatal(st_recv *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
