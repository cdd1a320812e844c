/* sinks/redis.c: DSTREAM.saveToRedis("HOST:PORT", f): f maps each element
 * to one Redis command (a list of strings); a batch's commands run in one
 * MULTI/EXEC, pipelined (one round trip for the transaction).
 *
 * Applied once per batch, however often it is re-run after a crash: the
 * transaction also sets a marker key, streamc:saveToRedis:ID (ID names
 * the run, st_sink_instance, and the program's output), to the batch's
 * time, and runs only if the marker holds an earlier time, checked under WATCH: WATCH marker, GET
 * marker (one round trip), then MULTI, the commands, SET marker TIME,
 * EXEC. EXEC applies all of them or none of them, and fails (nil) if the
 * marker changed since WATCH. Batches of an output are written in order,
 * so "the marker holds this batch's time or a later one" means "applied".
 *
 * A command Redis rejects when it is queued (an unknown command, a wrong
 * number of arguments) aborts the transaction (EXECABORT): it is logged
 * with its number in the batch, counted, and the transaction runs again
 * without it. A command that fails when it runs (WRONGTYPE) is logged and
 * counted; the others of the transaction stay applied (Redis has no
 * rollback). A lost connection fails the write: the engine retries it. */
#define _GNU_SOURCE 1   /* program_invocation_short_name */
#include "../st_sink.h"
#include "../redis/conn.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Without a checkpoint only this process re-runs its batches (a write
   retried), so its marker needs to last only as long as it writes: it
   expires a day after the last batch applied, and a job started again
   and again leaves no key behind. With a checkpoint it is kept: a restart
   from it, however late, must find it. */
#define MARKER_TTL_S "86400"

typedef struct sstate {
    rconn c;
    char *marker;
    bool expire;          /* no checkpoint: the marker outlives the process by a day only */
    bool down;            /* the last write failed on the connection (logged once) */
} sstate;

/* The outputs are opened one after another at start, in program order:
   their ordinal tells two saveToRedis of one program apart, the same way
   in every run of it. */
static int outputs_opened;

static int open_sink(st_sink_h *h)
{
    int ordinal = outputs_opened++;
    sstate *st = calloc(1, sizeof *st);
    if (!st) {
        st_sink_error(h, "out of memory");
        return -1;
    }
    if (rc_addr(&st->c, st_sink_arg(h, 0)) != 0) {
        st_sink_error(h, "%s", st->c.err);
        free(st);
        return -1;
    }
    if (rc_connect(&st->c) != 0) {
        st_sink_error(h, "cannot connect to Redis at %s:%d: %s", st->c.host, st->c.port, st->c.err);
        free(st);
        return -1;
    }
    /* the marker names the run whose batches this output may see again
       (st_sink_instance: kept with the checkpoint, or this process's),
       then, for the reader, the program (its executable's name) and the
       output */
    const char *prog = program_invocation_short_name, *out = st_sink_name(h), *inst = st_sink_instance(h);
    size_t n = strlen(prog) + strlen(inst) + strlen(out) + 48;
    st->marker = malloc(n);
    if (!st->marker) {
        rc_close(&st->c);
        free(st);
        st_sink_error(h, "out of memory");
        return -1;
    }
    snprintf(st->marker, n, "streamc:saveToRedis:%s:%s:%s:%d", prog, inst, out, ordinal);
    st->expire = !st_sink_durable(h);
    st_sink_set_state(h, st);
    return 0;
}

static void close_sink(st_sink_h *h)
{
    sstate *st = st_sink_state(h);
    if (!st)
        return;
    rc_close(&st->c);
    free(st->marker);
    free(st);
    st_sink_set_state(h, NULL);
}

/* A command's text for messages: its words, at most about 120 bytes. */
static void command_text(const st_row *r, char *buf, size_t cap)
{
    size_t at = 0;
    buf[0] = '\0';
    for (int i = 0; i < r->n && at + 1 < cap; i++) {
        int w = snprintf(buf + at, cap - at, "%s%.*s", i ? " " : "", (int)(r->len[i] > 60 ? 60 : r->len[i]),
                         r->s[i]);
        if (w < 0)
            break;
        at += (size_t)w;
    }
    if (at >= cap - 1 && cap > 4)
        memcpy(buf + cap - 4, "...", 4);
}

/* A connection failure on the way: logged once per outage; -1. */
static int lost(st_sink_h *h, sstate *st)
{
    if (!st->down)
        st_sink_error(h, "Redis at %s:%d: %s; the batch is retried", st->c.host, st->c.port, st->c.err);
    st->down = true;
    rc_close(&st->c);
    return -1;
}

static redisReply *get_reply(sstate *st)
{
    void *rep = NULL;
    if (!st->c.c)
        return NULL;
    if (redisGetReply(st->c.c, &rep) != REDIS_OK || !rep) {
        snprintf(st->c.err, sizeof st->c.err, "%s", st->c.c->errstr[0] ? st->c.c->errstr : "connection lost");
        rc_close(&st->c);
        return NULL;
    }
    return rep;
}

/* Reads and drops n replies; false when the connection failed. */
static bool drain(sstate *st, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        redisReply *r = get_reply(st);
        if (!r)
            return false;
        freeReplyObject(r);
    }
    return true;
}

/* One try of the transaction with the commands not in skip[]: 0 applied
   (or applied before), 1 aborted by queued-command errors (marked in
   skip[], logged), 2 the marker changed under WATCH, -1 connection lost. */
static int attempt(st_sink_h *h, sstate *st, int64_t batch_ms, const st_row *rows, size_t n, bool *skip)
{
    char tbuf[24];
    snprintf(tbuf, sizeof tbuf, "%" PRId64, batch_ms);
    redisContext *c = st->c.c;
    const char *w[] = { "WATCH", st->marker };
    const char *g[] = { "GET", st->marker };
    redisAppendCommandArgv(c, 2, w, NULL);
    redisAppendCommandArgv(c, 2, g, NULL);
    redisReply *rw = get_reply(st);
    if (!rw)
        return -1;
    freeReplyObject(rw);
    redisReply *rg = get_reply(st);
    if (!rg)
        return -1;
    bool done = rg->type == REDIS_REPLY_STRING && strtoll(rg->str, NULL, 10) >= batch_ms;
    freeReplyObject(rg);
    if (done) {
        const char *u[] = { "UNWATCH" };
        redisAppendCommandArgv(c, 1, u, NULL);
        return drain(st, 1) ? 0 : -1;
    }
    const char *m[] = { "MULTI" };
    const char *s[] = { "SET", st->marker, tbuf, "EX", MARKER_TTL_S };
    const char *e[] = { "EXEC" };
    redisAppendCommandArgv(c, 1, m, NULL);
    size_t sent = 0;
    for (size_t i = 0; i < n; i++) {
        if (skip[i])
            continue;
        redisAppendCommandArgv(c, rows[i].n, (const char **)rows[i].s, rows[i].len);
        sent++;
    }
    redisAppendCommandArgv(c, st->expire ? 5 : 3, s, NULL);
    redisAppendCommandArgv(c, 1, e, NULL);
    redisReply *r = get_reply(st);   /* MULTI */
    if (!r)
        return -1;
    freeReplyObject(r);
    bool rejected = false;
    for (size_t i = 0, k = 0; k < sent; i++) {
        if (skip[i])
            continue;
        k++;
        if (!(r = get_reply(st)))
            return -1;
        if (r->type == REDIS_REPLY_ERROR) {
            char text[128];
            command_text(&rows[i], text, sizeof text);
            st_sink_error(h, "command %zu of batch %" PRId64 " (%s) rejected by Redis: %s; skipped", i + 1, batch_ms,
                          text, r->str);
            skip[i] = rejected = true;
        }
        freeReplyObject(r);
    }
    if (!drain(st, 1))   /* SET: QUEUED */
        return -1;
    if (!(r = get_reply(st)))   /* EXEC */
        return -1;
    int rc = 0;
    if (r->type == REDIS_REPLY_NIL) {
        rc = 2;
    } else if (r->type == REDIS_REPLY_ERROR) {
        rc = rejected ? 1 : -1;
        if (!rejected) {
            snprintf(st->c.err, sizeof st->c.err, "EXEC failed: %s", r->str);
            rc_close(&st->c);
        }
    } else if (r->type == REDIS_REPLY_ARRAY) {
        for (size_t i = 0, k = 0; k < r->elements && i < n; i++) {
            if (skip[i])
                continue;
            if (r->element[k]->type == REDIS_REPLY_ERROR) {
                char text[128];
                command_text(&rows[i], text, sizeof text);
                st_sink_error(h, "command %zu of batch %" PRId64 " (%s) failed in Redis: %s", i + 1, batch_ms, text,
                              r->element[k]->str);
            }
            k++;
        }
    }
    freeReplyObject(r);
    return rc;
}

static int write_sink(st_sink_h *h, int64_t batch_ms, const st_row *rows, size_t n)
{
    sstate *st = st_sink_state(h);
    if (n == 0)
        return 0;   /* nothing to apply: Redis is not asked */
    bool fresh = !st->c.c;
    if (fresh && rc_connect(&st->c) != 0)
        return lost(h, st);
    bool *skip = calloc(n + 1, sizeof *skip);
    if (!skip) {
        st_sink_error(h, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (rows[i].n < 1) {
            st_sink_error(h, "element %zu of batch %" PRId64 " gave an empty command; skipped", i + 1, batch_ms);
            skip[i] = true;
        }
    int rc;
    for (int tries = 0;; tries++) {
        rc = attempt(h, st, batch_ms, rows, n, skip);
        if (rc == -1 && !fresh && rc_connect(&st->c) == 0) {
            fresh = true;   /* a dead connection (Redis restarted since): replaced once, at once */
            continue;
        }
        if (rc == 0 || rc == -1 || tries >= 8)
            break;
    }
    free(skip);
    if (rc == -1)
        return lost(h, st);
    if (rc != 0) {
        st_sink_error(h, "the transaction of batch %" PRId64 " kept failing; retried", batch_ms);
        return -1;
    }
    st->down = false;
    return 0;
}

const st_sink st_sink_redis = { .open = open_sink, .write = write_sink, .close = close_sink };
