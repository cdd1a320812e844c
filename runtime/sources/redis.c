/* sources/redis.c: redis("HOST:PORT", list = "KEY") and redis("HOST:PORT",
 * stream = "KEY", group = "G" [, field = "data"] [, consumer = "NAME"]).
 *
 * Neither loses a record to a crash, and with a checkpoint neither stores
 * one twice. Both keep what they have taken from Redis but not yet seen
 * through a completed batch in a list of their own, acknowledged at commit:
 *   stream: the consumer group's pending entries of the consumer (XREADGROUP
 *           moves entries there, XACK at commit takes them out);
 *   list:   a processing list KEY:streamc:CONSUMER (a Lua script moves up
 *           to READ_COUNT records from the head of KEY to its tail in one
 *           step; commit trims its head) and a counter KEY:streamc:CONSUMER:acked
 *           (records trimmed so far), so the n-th record ever moved has
 *           the sequence number n.
 * What one read returned goes into one block together with its position
 * "FIRST LAST" (the first and last stream ID, or sequence number), under
 * the block's lock: a block in the log holds a read whole or not at all.
 * A stream read with '>' is a contiguous range of the stream, all of it
 * delivered to this consumer, so XRANGE FIRST LAST gives it back (replay).
 *
 * Every read is in ascending order, the positions are committed in that
 * order and a commit acknowledges everything up to its LAST (XPENDING up
 * to LAST, then XACK; LTRIM): what is acknowledged is always a prefix,
 * and what the log holds is a prefix of what is still held. After a
 * restart the held records are read back in order and matched, read by
 * read, against the positions the log has (st_recv_position_logged): the
 * prefix that is logged is acknowledged at once (the log holds it; the
 * batches recovery ran are complete, later ones will be), the rest is
 * stored again, each record with a position of its own. After a lost
 * connection, what was taken but never stored (a reply lost on the way)
 * is stored first. Once Redis has answered OK to an acknowledgement (and
 * at the first start, for what it no longer holds), the receiver tells
 * the engine (st_recv_acked): no record up to there can be read back, so
 * a snapshot drops the positions that covers (covered()), and the
 * checkpoint holds only the reads not yet acknowledged. */
#include "../engine.h"
#include "../redis/conn.h"

#include <stdlib.h>

enum { READ_COUNT = 1000, BLOCK_MS = 200, ID_MAX = 48, BACKOFF_MAX_MS = 2000 };

typedef struct rstate {
    bool stream;
    const char *key, *group, *field;
    char consumer[256];
    char *proc, *acked;            /* list: the processing list and its counter */
    rconn rd;                      /* the receiver's thread */
    rconn cm;                      /* commit's (the scheduler's thread) */
    char last[ID_MAX];             /* the last stored ID / sequence number ("0": none yet) */
    bool resumed;                  /* the held records were read back after the last connect */
    bool started;                  /* ... after the start */
    bool cm_down;                  /* commit's connection failed (logged once) */
} rstate;

/* ---- Lua scripts (each runs atomically in Redis) ---- */

/* list read: KEYS list, proc, acked; ARGV count -> {first seq, {records}} */
static const char LIST_READ[] =
    "local a = tonumber(redis.call('GET', KEYS[3]) or '0') "
    "local before = redis.call('LLEN', KEYS[2]) "
    "local items = redis.call('LPOP', KEYS[1], ARGV[1]) "
    "if not items then return {a + before + 1, {}} end "
    "redis.call('RPUSH', KEYS[2], unpack(items)) "
    "return {a + before + 1, items}";
/* list held records after seq ARGV[1]: KEYS proc, acked; ARGV from, count
   -> {first seq, {records}} */
static const char LIST_HELD[] =
    "local a = tonumber(redis.call('GET', KEYS[2]) or '0') "
    "local from = tonumber(ARGV[1]) - a "
    "if from < 0 then from = 0 end "
    "local items = redis.call('LRANGE', KEYS[1], from, from + tonumber(ARGV[2]) - 1) "
    "return {a + from + 1, items}";
/* list commit through seq ARGV[1]: KEYS proc, acked */
static const char LIST_ACK[] =
    "local a = tonumber(redis.call('GET', KEYS[2]) or '0') "
    "local l = tonumber(ARGV[1]) "
    "if l > a then redis.call('LTRIM', KEYS[1], l - a, -1) redis.call('SET', KEYS[2], l) end "
    "return l - a";
/* stream commit through ID ARGV[2]: KEYS stream; ARGV group, last, consumer */
static const char STREAM_ACK[] =
    "local n = 0 "
    "while true do "
    "  local p = redis.call('XPENDING', KEYS[1], ARGV[1], '-', ARGV[2], 1000, ARGV[3]) "
    "  if #p == 0 then break end "
    "  local ids = {} "
    "  for i, e in ipairs(p) do ids[i] = e[1] end "
    "  redis.call('XACK', KEYS[1], ARGV[1], unpack(ids)) "
    "  n = n + #ids "
    "  if #p < 1000 then break end "
    "end "
    "return n";

/* ---- one read: records with their IDs ---- */

typedef struct rec {
    char id[ID_MAX];
    const char *p;       /* NULL: no record (a stream entry without the field, or deleted) */
    size_t n;
} rec;

typedef struct reads {
    rec *v;
    int64_t n, cap;
    redisReply **keep;    /* the replies the records point into */
    int64_t nkeep, kcap;
} reads;

static void reads_clear(reads *r)
{
    for (int64_t i = 0; i < r->nkeep; i++)
        freeReplyObject(r->keep[i]);
    r->nkeep = 0;
    r->n = 0;
}

static void reads_free(reads *r)
{
    reads_clear(r);
    free(r->v);
    free(r->keep);
    memset(r, 0, sizeof *r);
}

static rec *reads_add(reads *r)
{
    rt_grow((void **)&r->v, &r->cap, r->n + 1, sizeof *r->v);
    rec *e = &r->v[r->n++];
    memset(e, 0, sizeof *e);
    return e;
}

static void keep(reads *r, redisReply *rep)
{
    rt_grow((void **)&r->keep, &r->kcap, r->nkeep + 1, sizeof *r->keep);
    r->keep[r->nkeep++] = rep;
}

static void set_id(rec *e, const char *s, size_t n)
{
    if (n >= ID_MAX)
        n = ID_MAX - 1;
    memcpy(e->id, s, n);
    e->id[n] = '\0';
}

/* XREADGROUP's reply [[key, [[id, [f, v, ...]], ...]]] (or nil) into r;
   false when it does not have that shape. */
static bool parse_stream_reply(rstate *st, redisReply *rep, reads *r)
{
    if (rep->type == REDIS_REPLY_NIL)
        return true;
    if (rep->type != REDIS_REPLY_ARRAY)
        return false;
    for (size_t k = 0; k < rep->elements; k++) {
        redisReply *ks = rep->element[k];
        if (ks->type != REDIS_REPLY_ARRAY || ks->elements != 2 || ks->element[1]->type != REDIS_REPLY_ARRAY)
            return false;
        redisReply *ents = ks->element[1];
        for (size_t i = 0; i < ents->elements; i++) {
            redisReply *en = ents->element[i];
            if (en->type != REDIS_REPLY_ARRAY || en->elements != 2 || en->element[0]->type != REDIS_REPLY_STRING)
                return false;
            rec *e = reads_add(r);
            set_id(e, en->element[0]->str, en->element[0]->len);
            redisReply *fv = en->element[1];
            if (fv->type != REDIS_REPLY_ARRAY)
                continue;   /* a deleted entry: nil */
            for (size_t f = 0; f + 1 < fv->elements; f += 2)
                if (fv->element[f]->type == REDIS_REPLY_STRING && fv->element[f + 1]->type == REDIS_REPLY_STRING &&
                    fv->element[f]->len == strlen(st->field) &&
                    memcmp(fv->element[f]->str, st->field, fv->element[f]->len) == 0) {
                    e->p = fv->element[f + 1]->str;
                    e->n = fv->element[f + 1]->len;
                    break;
                }
        }
    }
    return true;
}

/* The list scripts' reply {first seq, {records}} into r. */
static bool parse_list_reply(redisReply *rep, reads *r)
{
    if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 || rep->element[0]->type != REDIS_REPLY_INTEGER ||
        rep->element[1]->type != REDIS_REPLY_ARRAY)
        return false;
    long long seq = rep->element[0]->integer;
    redisReply *items = rep->element[1];
    for (size_t i = 0; i < items->elements; i++) {
        if (items->element[i]->type != REDIS_REPLY_STRING)
            return false;
        rec *e = reads_add(r);
        snprintf(e->id, sizeof e->id, "%lld", seq + (long long)i);
        e->p = items->element[i]->str;
        e->n = items->element[i]->len;
    }
    return true;
}

/* ---- storing a read with its position ---- */

static int pos_of(char *buf, size_t cap, const char *first, const char *last)
{
    return snprintf(buf, cap, "%s %s", first, last);
}

/* Stores r->v[from, to) and the position "FIRST LAST" in one step (one
   block holds them, or none); false when stopped first (the records stay
   held in Redis, read again at the next start). */
static bool store_read(st_recv *h, rstate *st, reads *r, int64_t from, int64_t to)
{
    if (to <= from)
        return true;
    rt_lim_follow(&h->lim);
    if (!rt_bp_wait(h->r, h))
        return false;
    for (int64_t i = from; i < to && h->lim.rate; i++)
        if (!rt_lim_take(&h->lim, h->r))
            return false;
    char pos[2 * ID_MAX + 2];
    int pn = pos_of(pos, sizeof pos, r->v[from].id, r->v[to - 1].id);
    pthread_mutex_lock(&h->mu);
    for (int64_t i = from; i < to; i++) {
        const rec *e = &r->v[i];
        if (!e->p) {
            char what[96];
            snprintf(what, sizeof what, "stream entry without field '%s'", st->field);
            rt_skip_ctx(h->r->c, what, e->id, strlen(e->id));
        } else if (e->n > RT_MAX_RECORD) {
            rt_skip_ctx(h->r->c, "record too long", e->p, e->n);
        } else {
            rt_push_str_locked(h, e->p, e->n);
        }
    }
    rt_push_pos_locked(h, pos, (size_t)pn);
    pthread_mutex_unlock(&h->mu);
    snprintf(st->last, sizeof st->last, "%s", r->v[to - 1].id);
    return true;
}

/* ---- acknowledging ---- */

/* Acknowledges everything held up to and including ID / seq `last`, on
   connection c. 0, or -1 with c->err (or the Redis error) in *why. */
static int ack_through(rstate *st, rconn *c, const char *last, char *why, size_t wcap)
{
    redisReply *rep;
    if (st->stream) {
        const char *argv[] = { "EVAL", STREAM_ACK, "1", st->key, st->group, last, st->consumer };
        rep = rc_cmdv_again(c, 7, argv);
    } else {
        const char *argv[] = { "EVAL", LIST_ACK, "2", st->proc, st->acked, last };
        rep = rc_cmdv_again(c, 6, argv);
    }
    if (!rep) {
        snprintf(why, wcap, "%s", c->err);
        return -1;
    }
    int rc = rep->type == REDIS_REPLY_ERROR ? -1 : 0;
    if (rc)
        snprintf(why, wcap, "%s", rep->str);
    freeReplyObject(rep);
    return rc;
}

/* A stream ID "MS-SEQ", or a list's sequence number "N" (SEQ 0), as two
   numbers; false when s is NULL or neither. */
static bool id_of(const char *s, unsigned long long *ms, unsigned long long *seq)
{
    unsigned long long v[2] = { 0, 0 };
    int part = 0;
    bool digit = false;
    for (; s && *s; s++) {
        unsigned long long d = (unsigned long long)(*s - '0');
        if (*s >= '0' && *s <= '9' && v[part] <= (~0ULL - d) / 10) {
            v[part] = v[part] * 10 + d;
            digit = true;
        } else if (*s == '-' && part == 0 && digit) {
            part = 1;
            digit = false;
        } else {
            return false;
        }
    }
    *ms = v[0];
    *seq = v[1];
    return digit;
}

/* The engine's st_receiver.covered: whether position pos's LAST is at or
   before mark's (both "FIRST LAST"; IDs and sequence numbers ascend). */
static bool covered(const char *pos, const char *mark)
{
    const char *pl = strchr(pos, ' '), *ml = strchr(mark, ' ');
    unsigned long long pm, ps, mm, ms;
    return pl && ml && id_of(pl + 1, &pm, &ps) && id_of(ml + 1, &mm, &ms) && (pm < mm || (pm == mm && ps <= ms));
}

/* commit, on the scheduler's thread: acknowledges through the position's
   LAST. A failure is logged once per outage and left: the next commit
   acknowledges through a later LAST, which covers this one, and what
   the log holds is acknowledged at the next start. Once Redis has
   answered OK, no record up to LAST can be read back (held) again: the
   checkpoint need not remember those positions (st_recv_acked). */
static void commit(st_recv *h, const char *pos, size_t n)
{
    rstate *st = st_recv_state(h);
    const char *sp = memchr(pos, ' ', n);
    if (!st || !sp || (size_t)(pos + n - sp) > ID_MAX)
        return;
    char last[ID_MAX];
    size_t ln = (size_t)(pos + n - sp - 1);
    memcpy(last, sp + 1, ln);
    last[ln] = '\0';
    char why[256];
    if (ack_through(st, &st->cm, last, why, sizeof why) != 0) {
        if (!st->cm_down)
            st_recv_error(h, "cannot acknowledge %s to Redis at %s:%d: %s; retried at the next commit",
                          st->stream ? "entries" : "records", st->cm.host, st->cm.port, why);
        st->cm_down = true;
        return;
    }
    st_recv_acked(h, pos, n);
    if (st->cm_down)
        rt_log(h->r->c->prog, "note", "source '%s': acknowledging to Redis at %s:%d again", st_recv_name(h),
               st->cm.host, st->cm.port);
    st->cm_down = false;
}

/* ---- reading ---- */

/* One read of new records into r (empty when none came within BLOCK_MS).
   -1: the connection failed (rd.err); -2: Redis refused (logged). */
static int read_new(st_recv *h, rstate *st, reads *r)
{
    char count[16], block[16];
    snprintf(count, sizeof count, "%d", READ_COUNT);
    snprintf(block, sizeof block, "%d", BLOCK_MS);
    redisReply *rep;
    if (st->stream) {
        const char *argv[] = { "XREADGROUP", "GROUP", st->group, st->consumer, "COUNT", count,
                               "BLOCK", block, "STREAMS", st->key, ">" };
        rep = rc_cmdv(&st->rd, 11, argv);
    } else {
        const char *argv[] = { "EVAL", LIST_READ, "3", st->key, st->proc, st->acked, count };
        rep = rc_cmdv(&st->rd, 7, argv);
        if (rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
            rep->element[1]->type == REDIS_REPLY_ARRAY && rep->element[1]->elements == 0) {
            /* empty: wait until the list has a record (a rotation of the
               list onto itself that changes nothing, or the timeout) */
            freeReplyObject(rep);
            char secs[16];
            snprintf(secs, sizeof secs, "%.3f", BLOCK_MS / 1000.0);
            const char *wv[] = { "BLMOVE", st->key, st->key, "RIGHT", "RIGHT", secs };
            rep = rc_cmdv(&st->rd, 6, wv);
            if (!rep)
                return -1;
            int bad = rep->type == REDIS_REPLY_ERROR;
            if (bad)
                st_recv_error(h, "Redis refused BLMOVE on list '%s': %s", st->key, rep->str);
            freeReplyObject(rep);
            return bad ? -2 : 0;
        }
    }
    if (!rep)
        return -1;
    if (rep->type == REDIS_REPLY_ERROR) {
        st_recv_error(h, "Redis refused reading %s '%s': %s", st->stream ? "stream" : "list", st->key, rep->str);
        freeReplyObject(rep);
        return -2;
    }
    if (!(st->stream ? parse_stream_reply(st, rep, r) : parse_list_reply(rep, r))) {
        st_recv_error(h, "unexpected reply from Redis reading '%s'", st->key);
        freeReplyObject(rep);
        reads_clear(r);
        return -2;
    }
    keep(r, rep);
    return 0;
}

/* One page of the records held for this consumer after `after` (stream
   ID or seq) into r. -1 / -2 as read_new. */
static int read_held(st_recv *h, rstate *st, const char *after, reads *r)
{
    char count[16];
    snprintf(count, sizeof count, "%d", READ_COUNT);
    redisReply *rep;
    if (st->stream) {
        const char *argv[] = { "XREADGROUP", "GROUP", st->group, st->consumer, "COUNT", count,
                               "STREAMS", st->key, after };
        rep = rc_cmdv(&st->rd, 9, argv);
    } else {
        const char *argv[] = { "EVAL", LIST_HELD, "2", st->proc, st->acked, after, count };
        rep = rc_cmdv(&st->rd, 7, argv);
    }
    if (!rep)
        return -1;
    if (rep->type == REDIS_REPLY_ERROR || !(st->stream ? parse_stream_reply(st, rep, r) : parse_list_reply(rep, r))) {
        st_recv_error(h, "Redis refused reading back the held records of '%s': %s", st->key,
                      rep->type == REDIS_REPLY_ERROR ? rep->str : "unexpected reply");
        freeReplyObject(rep);
        reads_clear(r);
        return -2;
    }
    keep(r, rep);
    return 0;
}

/* How many of r->v's records, from the first, the log holds: they are
   read by read "FIRST LAST" positions, each read at most READ_COUNT
   records, and the logged ones come first. */
static int64_t logged_prefix(st_recv *h, const reads *r)
{
    int64_t i = 0;
    char pos[2 * ID_MAX + 2];
    while (i < r->n) {
        int64_t j = i;
        bool hit = false;
        for (; j < r->n && j < i + READ_COUNT; j++) {
            int pn = pos_of(pos, sizeof pos, r->v[i].id, r->v[j].id);
            if (st_recv_position_logged(h, pos, (size_t)pn)) {
                hit = true;
                break;
            }
        }
        if (!hit)
            break;
        i = j + 1;
    }
    return i;
}

/* At the first start, with every held record in r: the ID before which
   Redis holds nothing of this consumer's, into mark; false when unknown.
   A list: its acknowledged counter (the held records follow it). A
   stream: the ID before the first held entry; none held, the group's
   last delivered ID (the later reads are all past it). No record up to
   it can be read back, so the positions of earlier runs it covers are
   not needed (st_recv_acked) even before this run acknowledges any. */
static bool start_mark(rstate *st, const reads *r, char *mark, size_t cap)
{
    unsigned long long ms, seq;
    if (st->stream && r->n > 0) {
        if (!id_of(r->v[0].id, &ms, &seq) || (ms == 0 && seq == 0))
            return false;
        if (seq > 0)
            snprintf(mark, cap, "%llu-%llu", ms, seq - 1);
        else
            snprintf(mark, cap, "%llu-%llu", ms - 1, ~0ULL);
        return true;
    }
    const char *gv[] = { "GET", st->acked }, *xv[] = { "XINFO", "GROUPS", st->key };
    redisReply *rep = st->stream ? rc_cmdv(&st->rd, 3, xv) : rc_cmdv(&st->rd, 2, gv);
    bool ok = false;
    if (rep && !st->stream && rep->type == REDIS_REPLY_STRING)
        ok = snprintf(mark, cap, "%s", rep->str) > 0;
    for (size_t g = 0; rep && st->stream && rep->type == REDIS_REPLY_ARRAY && g < rep->elements; g++) {
        redisReply *e = rep->element[g];
        const char *name = NULL, *last = NULL;
        for (size_t f = 0; e->type == REDIS_REPLY_ARRAY && f + 1 < e->elements; f += 2) {
            redisReply *k = e->element[f], *v = e->element[f + 1];
            if (k->type == REDIS_REPLY_STRING && v->type == REDIS_REPLY_STRING && !strcmp(k->str, "name"))
                name = v->str;
            if (k->type == REDIS_REPLY_STRING && v->type == REDIS_REPLY_STRING && !strcmp(k->str, "last-delivered-id"))
                last = v->str;
        }
        if (name && last && !strcmp(name, st->group))
            ok = snprintf(mark, cap, "%s", last) > 0;
    }
    if (rep)
        freeReplyObject(rep);
    return ok && id_of(mark, &ms, &seq);
}

/* After a (re)connect: the records held for this consumer after the last
   one stored. At the first start (with a checkpoint) the logged ones are
   not stored again, and are acknowledged (a list's only when the log
   holds their records: a _2 storage level; otherwise a block not yet in
   a batch reads them back from the processing list). Each is stored with
   a position of its own (a stream's held entries need not be contiguous
   in the stream). -1 / -2 as read_new; 1 when stopped. */
static int resume(st_recv *h, rstate *st)
{
    reads r = { 0 };
    int rc = 0;
    bool first = !st->started;
    for (;;) {
        char after[ID_MAX];
        snprintf(after, sizeof after, "%s", r.n ? r.v[r.n - 1].id : st->last);
        int64_t had = r.n;
        rc = read_held(h, st, after, &r);
        if (rc != 0 || r.n == had)
            break;
    }
    int64_t from = 0;
    char mark[ID_MAX], pos[2 * ID_MAX + 2];
    if (rc == 0 && first && st_recv_logged(h) && start_mark(st, &r, mark, sizeof mark))
        st_recv_acked(h, pos, (size_t)pos_of(pos, sizeof pos, mark, mark));
    if (rc == 0 && r.n > 0 && first && st_recv_logged(h)) {
        from = logged_prefix(h, &r);
        char why[256];
        bool ack = st->stream || (h->d->storage & ST_STORE_REPL);
        if (from > 0 && ack && ack_through(st, &st->rd, r.v[from - 1].id, why, sizeof why) != 0) {
            rc = st->rd.c ? -2 : -1;
            if (rc == -2)
                st_recv_error(h, "Redis refused acknowledging '%s': %s", st->key, why);
        } else if (from > 0 && ack) {
            st_recv_acked(h, pos, (size_t)pos_of(pos, sizeof pos, r.v[from - 1].id, r.v[from - 1].id));
        }
        if (rc == 0 && from > 0) {
            rt_log(h->r->c->prog, "note", "source '%s': %lld held record%s of '%s' already in the "
                   "checkpoint's log, not read again", st_recv_name(h), (long long)from, from == 1 ? "" : "s",
                   st->key);
            snprintf(st->last, sizeof st->last, "%s", r.v[from - 1].id);
        }
    }
    if (rc == 0 && from < r.n)
        rt_log(h->r->c->prog, "note", "source '%s': %lld record%s of '%s' taken before %s and not "
               "yet processed, read again", st_recv_name(h), (long long)(r.n - from), r.n - from == 1 ? "" : "s",
               st->key, first ? "the start" : "the connection was lost");
    for (int64_t i = from; rc == 0 && i < r.n; i++)
        if (!store_read(h, st, &r, i, i + 1))
            rc = 1;
    reads_free(&r);
    if (rc == 0) {
        st->resumed = true;
        st->started = true;
    }
    return rc;
}

/* ---- the receiver ---- */

static char *joined(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
    char *s = rt_xmalloc(n);
    snprintf(s, n, "%s%s%s", a, b, c);
    return s;
}

static void state_free(rstate *st)
{
    if (!st)
        return;
    rc_close(&st->rd);
    rc_close(&st->cm);
    free(st->proc);
    free(st->acked);
    free(st);
}

/* The source's options into a new state (not connected); NULL with the
   reason in err. */
static rstate *config(st_recv *h, char *err, size_t ecap)
{
    const char *addr = st_recv_opt_str(h, "addr");
    const char *list = st_recv_opt_str(h, "list"), *stream = st_recv_opt_str(h, "stream");
    const char *group = st_recv_opt_str(h, "group");
    if ((list && *list) == (stream && *stream)) {
        snprintf(err, ecap, "redis() needs exactly one of list = \"KEY\" or stream = \"KEY\"");
        return NULL;
    }
    bool is_stream = stream && *stream;
    if (is_stream && (!group || !*group)) {
        snprintf(err, ecap, "a Redis stream source needs group = \"NAME\" (its consumer group)");
        return NULL;
    }
    if (!is_stream && group && *group) {
        snprintf(err, ecap, "group = \"%s\" is for a stream source; a list source has none", group);
        return NULL;
    }
    rstate *st = rt_xcalloc(1, sizeof *st);
    if (rc_addr(&st->rd, addr) != 0) {
        snprintf(err, ecap, "%s", st->rd.err);
        free(st);
        return NULL;
    }
    st->cm.port = st->rd.port;
    memcpy(st->cm.host, st->rd.host, sizeof st->cm.host);
    st->stream = is_stream;
    st->key = is_stream ? stream : list;
    st->group = group;
    st->field = st_recv_opt_str(h, "field");
    if (!st->field || !*st->field)
        st->field = "data";
    const char *consumer = st_recv_opt_str(h, "consumer");
    snprintf(st->consumer, sizeof st->consumer, "%s", consumer && *consumer ? consumer : st_recv_name(h));
    snprintf(st->last, sizeof st->last, "0");
    if (!is_stream) {
        st->proc = joined(st->key, ":streamc:", st->consumer);
        st->acked = joined(st->proc, ":acked", "");
    }
    return st;
}

/* A stream's consumer group, made (at the stream's start, with the
   stream if need be) unless it exists. 0, -1 (connection failed: rd.err)
   or -2 (refused: fatal, logged). */
static int setup(st_recv *h, rstate *st)
{
    if (!st->stream)
        return 0;
    const char *argv[] = { "XGROUP", "CREATE", st->key, st->group, "0", "MKSTREAM" };
    redisReply *rep = rc_cmdv(&st->rd, 6, argv);
    if (!rep)
        return -1;
    int rc = 0;
    if (rep->type == REDIS_REPLY_ERROR && !rc_is_error(rep, "BUSYGROUP")) {
        st_recv_fatal(h, "cannot create consumer group '%s' of stream '%s' on Redis at %s:%d: %s", st->group,
                      st->key, st->rd.host, st->rd.port, rep->str);
        rc = -2;
    }
    freeReplyObject(rep);
    return rc;
}

/* Redis unreachable at the start: a start-up error (exit 1), as a
   missing file is; later outages are waited out. */
static int open_redis(st_recv *h)
{
    char err[300];
    rstate *st = config(h, err, sizeof err);
    if (!st)
        return st_recv_fatal(h, "%s", err);
    int rc = rc_connect(&st->rd) != 0 ? -1 : setup(h, st);
    if (rc == -1)
        st_recv_fatal(h, "cannot connect to Redis at %s:%d: %s", st->rd.host, st->rd.port, st->rd.err);
    if (rc != 0) {
        state_free(st);
        return -1;
    }
    st_recv_set_state(h, st);
    return 0;
}

static int run(st_recv *h)
{
    rstate *st = st_recv_state(h);
    reads r = { 0 };
    int64_t backoff = 100;
    bool down = false;
    int rc = ST_RECV_DONE;
    while (!st_recv_stopped(h)) {
        int e = 0;
        if (!st->rd.c) {
            e = rc_connect(&st->rd) != 0 ? -1 : setup(h, st);
            if (e == -2) {
                rc = ST_RECV_FATAL;
                break;
            }
            if (e == -1) {
                if (!down)
                    st_recv_error(h, "cannot reach Redis at %s:%d: %s; retrying", st->rd.host, st->rd.port,
                                  st->rd.err);
                down = true;
                if (!st_recv_sleep(h, backoff))
                    break;
                backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
                continue;
            }
            if (down)
                rt_log(h->r->c->prog, "note", "source '%s': connected to Redis at %s:%d again", st_recv_name(h),
                       st->rd.host, st->rd.port);
            down = false;
            backoff = 100;
            st->resumed = false;   /* what was taken and never stored is read back after every connect */
        }
        if (!st->resumed) {
            e = resume(h, st);
            if (e == 1)
                break;
        }
        if (e == 0) {
            reads_clear(&r);
            e = read_new(h, st, &r);
            if (e == 0 && r.n > 0 && !store_read(h, st, &r, 0, r.n))
                break;
        }
        if (e == -1) {
            st_recv_error(h, "lost the connection to Redis at %s:%d: %s; reconnecting", st->rd.host, st->rd.port,
                          st->rd.err);
            down = true;
            rc_close(&st->rd);
        } else if (e == -2 && !st_recv_sleep(h, 1000)) {   /* refused (logged): not in a tight loop */
            break;
        }
    }
    reads_free(&r);
    return rc;
}

static void store_field(st_recv *h, const rstate *st, redisReply *fv)
{
    for (size_t f = 0; f + 1 < fv->elements; f += 2)
        if (fv->element[f]->type == REDIS_REPLY_STRING && fv->element[f + 1]->type == REDIS_REPLY_STRING &&
            fv->element[f]->len == strlen(st->field) && memcmp(fv->element[f]->str, st->field, fv->element[f]->len) == 0) {
            st_recv_store(h, fv->element[f + 1]->str, fv->element[f + 1]->len);
            return;
        }
}

/* A recovered block without its records (no _2 storage level), on a
   connection of its own (recovery runs before open; later, on the
   scheduler's thread): a stream's entries are read again with XRANGE
   FIRST LAST (they stay in the stream after XACK); a list's records from
   the processing list while they are held there (acknowledged ones are
   gone from Redis: reported lost). */
static int replay(st_recv *h, const char *pos, size_t n)
{
    const char *sp = memchr(pos, ' ', n);
    if (!sp || (size_t)(sp - pos) >= ID_MAX || (size_t)(pos + n - sp) > ID_MAX)
        return 0;
    char first[ID_MAX], last[ID_MAX], err[300];
    memcpy(first, pos, (size_t)(sp - pos));
    first[sp - pos] = '\0';
    memcpy(last, sp + 1, (size_t)(pos + n - sp - 1));
    last[pos + n - sp - 1] = '\0';
    rstate *st = config(h, err, sizeof err);
    if (!st) {
        st_recv_error(h, "%s", err);
        return -1;
    }
    int rc = -1;
    redisReply *rep = NULL;
    if (rc_connect(&st->rd) != 0) {
        st_recv_error(h, "cannot reach Redis at %s:%d to read %.*s again: %s", st->rd.host, st->rd.port, (int)n,
                      pos, st->rd.err);
        goto out;
    }
    long long f = strtoll(first, NULL, 10), l = strtoll(last, NULL, 10);
    if (st->stream) {
        const char *argv[] = { "XRANGE", st->key, first, last };
        rep = rc_cmdv(&st->rd, 4, argv);
    } else {
        char from[24], count[24];
        snprintf(from, sizeof from, "%lld", f - 1);
        snprintf(count, sizeof count, "%lld", l - f + 1);
        const char *argv[] = { "EVAL", LIST_HELD, "2", st->proc, st->acked, from, count };
        rep = rc_cmdv(&st->rd, 7, argv);
    }
    if (!rep || rep->type == REDIS_REPLY_ERROR || rep->type != REDIS_REPLY_ARRAY) {
        st_recv_error(h, "cannot read %.*s of '%s' again: %s", (int)n, pos, st->key,
                      !rep ? st->rd.err : rep->type == REDIS_REPLY_ERROR ? rep->str : "unexpected reply");
        goto out;
    }
    rc = 0;
    if (st->stream) {
        for (size_t i = 0; i < rep->elements; i++) {
            redisReply *en = rep->element[i];
            if (en->type == REDIS_REPLY_ARRAY && en->elements == 2 && en->element[1]->type == REDIS_REPLY_ARRAY)
                store_field(h, st, en->element[1]);
        }
    } else {
        reads r = { 0 };
        if (parse_list_reply(rep, &r)) {
            int64_t got = 0;
            for (int64_t i = 0; i < r.n; i++)
                if (strtoll(r.v[i].id, NULL, 10) >= f && strtoll(r.v[i].id, NULL, 10) <= l) {
                    st_recv_store(h, r.v[i].p, r.v[i].n);
                    got++;
                }
            if (got < l - f + 1)
                st_recv_error(h, "%lld record%s of list '%s' (%.*s) were acknowledged before the crash and are "
                              "gone from Redis (a list source recovers them only with a _2 storage level)",
                              (long long)(l - f + 1 - got), l - f + 1 - got == 1 ? "" : "s", st->key, (int)n, pos);
        }
        r.nkeep = 0;   /* rep is freed below */
        reads_free(&r);
    }
out:
    if (rep)
        freeReplyObject(rep);
    state_free(st);
    return rc;
}

static void close_redis(st_recv *h)
{
    state_free(st_recv_state(h));
    st_recv_set_state(h, NULL);
}

const st_receiver st_recv_redis = { .open = open_redis, .run = run, .close = close_redis, .commit = commit,
                                    .replay = replay, .covered = covered };
