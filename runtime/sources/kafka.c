/* sources/kafka.c: kafka("BROKERS", "TOPIC" [, group = "G"]
 * [, startingOffsets = "latest"|"earliest"] [, maxRatePerPartition = N]
 * [, keyed = true] [, properties = "k=v;k=v"]): Spark's direct stream.
 *
 * Positions are offset ranges, "P:FROM-TO" (partition P, offsets FROM up
 * to TO excluded), stored with their records in one step
 * (st_recv_store_range), so a block carries per partition the range it
 * holds and the log keeps ranges, never the records (MEMORY_ONLY by
 * default). After a crash the engine asks replay() for the ranges of the
 * blocks it runs again: they are read back from Kafka by a consumer of
 * their own. The receiver resumes each partition at the end of the newest
 * range the log holds; a partition the log does not know starts at the
 * group's committed offset (with a group) or at startingOffsets, and that
 * start is marked at once as an empty range "P:S-S", so that a restart
 * resumes there even if nothing was read from it. With a group, the ends
 * of the ranges of completed batches are committed (commit()), by the
 * receiver's thread and, at the end, by close().
 *
 * Threads: run() and the rebalance callback on the receiver's thread;
 * commit() on the scheduler's; replay() on the scheduler's during
 * recovery, before open() (its consumer is kept in a list of its own). */
#include "../engine.h"

#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <stdlib.h>

#define KBATCH 1000          /* messages per consume call */
#define KPOLL_MS 100
#define KMETA_MS 5000
#define KREVOKE_WAIT_MS 30000

typedef struct kpart {
    int32_t id;
    bool active;             /* assigned to this consumer */
    int64_t next;            /* the offset after the last one stored; -1: unknown */
    int64_t done;            /* committed up to here (end of a completed batch's range) */
    int64_t sent;            /* what was last committed to the group */
    int64_t tokens_ms;       /* maxRatePerPartition: bucket (in records * 1000) */
    int64_t last_ms;
    int64_t logged;          /* end of the newest range in the log, or -1 */
    atomic_llong reading;    /* next while active, else -1: what lag() reads */
} kpart;

typedef struct kstate {
    st_recv *h;
    rd_kafka_t *rk;
    rd_kafka_queue_t *q;
    const char *brokers, *topic, *group;
    bool earliest, keyed;
    int64_t rate_pp;
    pthread_mutex_t mu;      /* parts (the list), parts[]->done, ->sent */
    kpart **parts;
    int nparts;
    bool outage;             /* brokers unreachable: logged once */
    bool fatal;              /* out of range: run stops */
    int64_t last_meta_ms;
} kstate;


/* ---- configuration ------------------------------------------------------ */

static void quiet_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk, (void)level, (void)fac, (void)buf;
}

/* A consumer's configuration: ours, then properties = "k=v;k=v" (which
   may override ours). NULL after a message in err. */
static rd_kafka_conf_t *make_conf(st_recv *h, const char *group, char *err, size_t cap)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const char *brokers = st_recv_opt_str(h, "brokers");
    struct { const char *k, *v; } ours[] = {
        { "bootstrap.servers", brokers ? brokers : "" },
        { "enable.auto.commit", "false" },
        { "enable.auto.offset.store", "false" },
        { "auto.offset.reset", "error" },
        { "partition.assignment.strategy", "range" },
        { "enable.partition.eof", "false" },
        { "allow.auto.create.topics", "false" },
        { "session.timeout.ms", "6000" },
        { "heartbeat.interval.ms", "1000" },
        { "reconnect.backoff.ms", "50" },
        { "reconnect.backoff.max.ms", "1000" },
        { "fetch.wait.max.ms", "10" },   /* a record is in the next block, not 500 ms later */
        /* a prefetch queue that fills while the rate estimator's slow start
           holds the source back stops the fetcher, and librdkafka 2.0 then
           backs off for 500 ms once it is drained: batches with nothing */
        { "queued.max.messages.kbytes", "262144" },
        { "queued.min.messages", "1000000" },
    };
    for (size_t i = 0; i < sizeof ours / sizeof *ours; i++)
        if (rd_kafka_conf_set(conf, ours[i].k, ours[i].v, err, cap) != RD_KAFKA_CONF_OK)
            goto bad;
    /* assign() wants a group id even when nothing is committed to it */
    char own[128];
    snprintf(own, sizeof own, "streamc-%s", st_recv_name(h));
    if (rd_kafka_conf_set(conf, "group.id", group ? group : own, err, cap) != RD_KAFKA_CONF_OK)
        goto bad;
    const char *props = st_recv_opt_str(h, "properties");
    bool debug = false;
    if (props && *props) {
        char *copy = strdup(props), *save = NULL;
        for (char *kv = strtok_r(copy, ";", &save); kv; kv = strtok_r(NULL, ";", &save)) {
            while (*kv == ' ')
                kv++;
            if (!*kv)
                continue;
            char *eq = strchr(kv, '=');
            if (!eq) {
                snprintf(err, cap, "properties: '%s' is not key=value", kv);
                free(copy);
                goto bad;
            }
            *eq = '\0';
            char e2[256];
            if (rd_kafka_conf_set(conf, kv, eq + 1, e2, sizeof e2) != RD_KAFKA_CONF_OK) {
                snprintf(err, cap, "properties: %s", e2);
                free(copy);
                goto bad;
            }
            debug = debug || strcmp(kv, "debug") == 0;
        }
        free(copy);
    }
    if (!debug)
        rd_kafka_conf_set_log_cb(conf, quiet_log);   /* errors come through error_cb, once per outage */
    return conf;
bad:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

/* ---- positions ---------------------------------------------------------- */

/* "P:FROM-TO" */
static bool parse_range(const char *pos, size_t n, int32_t *p, int64_t *from, int64_t *to)
{
    char buf[64];
    if (n == 0 || n >= sizeof buf)
        return false;
    memcpy(buf, pos, n);
    buf[n] = '\0';
    long long a, b;
    int c, used = 0;
    if (sscanf(buf, "%d:%lld-%lld%n", &c, &a, &b, &used) != 3 || (size_t)used != n || c < 0 || a < 0 || b < a)
        return false;
    *p = c, *from = a, *to = b;
    return true;
}

static kpart *part_find(kstate *k, int32_t id)
{
    for (int i = 0; i < k->nparts; i++)
        if (k->parts[i]->id == id)
            return k->parts[i];
    return NULL;
}

/* The receiver's thread alone adds partitions, under mu (commit() reads
   the list under mu); a kpart never moves. */
static kpart *part_get(kstate *k, int32_t id)
{
    kpart *p = part_find(k, id);
    if (p)
        return p;
    p = rt_xmalloc(sizeof *p);
    *p = (kpart){ .id = id, .next = -1, .done = -1, .sent = -1, .logged = -1 };
    atomic_init(&p->reading, -1);
    pthread_mutex_lock(&k->mu);
    k->parts = st_xrealloc(k->parts, (size_t)(k->nparts + 1) * sizeof *k->parts);
    k->parts[k->nparts++] = p;
    pthread_mutex_unlock(&k->mu);
    return p;
}

static void logged_pos(void *arg, const char *pos)
{
    kstate *k = arg;
    int32_t p;
    int64_t from, to;
    if (parse_range(pos, strlen(pos), &p, &from, &to)) {
        kpart *x = part_get(k, p);
        if (to > x->logged)
            x->logged = to;
    }
}

/* ---- the consumer ------------------------------------------------------- */

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    (void)rk;
    kstate *k = opaque;
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || err == RD_KAFKA_RESP_ERR__TRANSPORT ||
        err == RD_KAFKA_RESP_ERR__RESOLVE) {
        if (!k->outage)
            st_recv_error(k->h, "cannot reach the Kafka brokers %s: %s; retrying", k->brokers, reason);
        k->outage = true;
        return;
    }
    st_recv_error(k->h, "Kafka: %s", reason);
}

/* The partitions of the topic; -1 (logged once per outage) when the
   brokers cannot be asked, -2 (fatal, logged) when the topic is missing. */
static int topic_partitions(kstate *k, int32_t **ids)
{
    rd_kafka_topic_t *t = rd_kafka_topic_new(k->rk, k->topic, NULL);
    const rd_kafka_metadata_t *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(k->rk, 0, t, &md, KMETA_MS);
    rd_kafka_topic_destroy(t);
    int n = -1;
    if (e) {
        if (!k->outage)
            st_recv_error(k->h, "cannot reach the Kafka brokers %s to read topic '%s': %s; retrying", k->brokers,
                          k->topic, rd_kafka_err2str(e));
        k->outage = true;
    } else if (md->topic_cnt != 1 || md->topics[0].err || md->topics[0].partition_cnt == 0) {
        rd_kafka_resp_err_t te = md->topic_cnt == 1 ? md->topics[0].err : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC;
        if (te == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || te == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
            te == RD_KAFKA_RESP_ERR_NO_ERROR) {
            n = -2;
        } else {
            if (!k->outage)
                st_recv_error(k->h, "topic '%s' on %s: %s; retrying", k->topic, k->brokers, rd_kafka_err2str(te));
            k->outage = true;
        }
    } else {
        n = md->topics[0].partition_cnt;
        *ids = rt_xmalloc((size_t)n * sizeof **ids);
        for (int i = 0; i < n; i++)
            (*ids)[i] = md->topics[0].partitions[i].id;
    }
    if (md)
        rd_kafka_metadata_destroy(md);
    return n;
}

/* Where a partition starts: after the log's newest range, or the group's
   committed offset (the later of the two), else startingOffsets resolved
   to a number (so that it can be marked). -1 when the brokers cannot tell
   (logged). */
static int64_t start_offset(kstate *k, kpart *x, int64_t committed)
{
    int64_t s = x->logged > committed ? x->logged : committed;
    if (s >= 0)
        return s;
    int64_t lo = 0, hi = 0;
    rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(k->rk, k->topic, x->id, &lo, &hi, KMETA_MS);
    if (e) {
        if (!k->outage)
            st_recv_error(k->h, "cannot read the offsets of partition %s[%d] from %s: %s; retrying", k->topic,
                          (int)x->id, k->brokers, rd_kafka_err2str(e));
        k->outage = true;
        return -1;
    }
    return k->earliest ? lo : hi;
}

/* The group's committed offsets of list's partitions into their .offset
   (RD_KAFKA_OFFSET_INVALID when none). */
static void committed_offsets(kstate *k, rd_kafka_topic_partition_list_t *list)
{
    for (int i = 0; i < list->cnt; i++)
        list->elems[i].offset = RD_KAFKA_OFFSET_INVALID;
    if (!k->group)
        return;
    rd_kafka_resp_err_t e = rd_kafka_committed(k->rk, list, KMETA_MS);
    if (e)
        st_recv_error(k->h, "cannot read group '%s''s committed offsets: %s", k->group, rd_kafka_err2str(e));
}

/* Starts the partitions of list (their offsets set here), marking each
   start not already in the log. -1 when an offset could not be resolved. */
static int start_parts(kstate *k, rd_kafka_topic_partition_list_t *list)
{
    committed_offsets(k, list);
    for (int i = 0; i < list->cnt; i++) {
        kpart *x = part_get(k, list->elems[i].partition);
        int64_t c = list->elems[i].offset >= 0 ? list->elems[i].offset : -1;
        int64_t s = start_offset(k, x, c);
        if (s < 0)
            return -1;
        list->elems[i].offset = s;
        x->next = s;
        x->active = true;
        atomic_store(&x->reading, s);
        pthread_mutex_lock(&k->mu);
        if (x->done < 0)
            x->done = x->sent = c >= 0 ? c : -1;
        pthread_mutex_unlock(&k->mu);
        if (st_recv_logged(k->h) && x->logged != s) {
            char pos[48];
            int n = snprintf(pos, sizeof pos, "%d:%lld-%lld", (int)x->id, (long long)s, (long long)s);
            st_recv_position(k->h, pos, (size_t)n);
            x->logged = s;
        }
    }
    return 0;
}

/* "source 'S': WHAT 0@12, 1@40 of 'TOPIC'" */
static void note_parts(kstate *k, const char *what, const rd_kafka_topic_partition_list_t *l)
{
    st_buf b = { 0 };
    for (int i = 0; i < l->cnt; i++) {
        char t[48];
        snprintf(t, sizeof t, "%s%d@%lld", i ? ", " : "", (int)l->elems[i].partition, (long long)l->elems[i].offset);
        st_buf_puts(&b, t);
    }
    st_buf_putc(&b, '\0');
    rt_log(k->h->r->c->prog, "note", "source '%s': %s %s of '%s'", st_recv_name(k->h), what, l->cnt ? b.p : "(none)",
           k->topic);
    st_buf_free(&b);
}

/* Commits the done offsets not yet committed; sync waits for the answer. */
static void commit_done(kstate *k, bool sync)
{
    if (!k->group || !k->rk)
        return;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(4);
    pthread_mutex_lock(&k->mu);
    for (int i = 0; i < k->nparts; i++) {
        kpart *x = k->parts[i];
        if (x->done >= 0 && x->done != x->sent) {
            rd_kafka_topic_partition_list_add(l, k->topic, x->id)->offset = x->done;
            x->sent = x->done;
        }
    }
    pthread_mutex_unlock(&k->mu);
    if (l->cnt > 0) {
        rd_kafka_resp_err_t e = rd_kafka_commit(k->rk, l, sync ? 0 : 1);
        if (e && e != RD_KAFKA_RESP_ERR__NO_OFFSET)
            st_recv_error(k->h, "committing offsets to group '%s': %s", k->group, rd_kafka_err2str(e));
    }
    rd_kafka_topic_partition_list_destroy(l);
}

/* A revoke: every record stored from the partitions is in a batch that
   completes (and is committed) before they go to another member. */
static void finish_revoked(kstate *k, const rd_kafka_topic_partition_list_t *list)
{
    int64_t dl = rt_mono_ms() + KREVOKE_WAIT_MS;
    for (;;) {
        bool all = true;
        pthread_mutex_lock(&k->mu);
        for (int i = 0; i < list->cnt; i++) {
            kpart *x = part_find(k, list->elems[i].partition);
            if (x && x->next >= 0 && x->done < x->next)
                all = false;
        }
        pthread_mutex_unlock(&k->mu);
        if (all || st_recv_stopped(k->h) || rt_mono_ms() >= dl)
            break;
        st_recv_sleep(k->h, 10);
    }
    commit_done(k, true);
    for (int i = 0; i < list->cnt; i++) {
        kpart *x = part_get(k, list->elems[i].partition);
        x->active = false;
        x->next = -1;
        atomic_store(&x->reading, -1);
    }
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
                         void *opaque)
{
    kstate *k = opaque;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_copy(parts);
        while (start_parts(k, l) != 0 && !st_recv_stopped(k->h))
            st_recv_sleep(k->h, 500);
        char what[200];
        snprintf(what, sizeof what, "group '%s' assigned partitions", k->group);
        note_parts(k, what, l);
        rd_kafka_assign(rk, l);
        rd_kafka_topic_partition_list_destroy(l);
    } else {
        if (parts->cnt)
            rt_log(k->h->r->c->prog, "note", "source '%s': group '%s' revoked %d partition%s of '%s'",
                   st_recv_name(k->h), k->group, parts->cnt, parts->cnt == 1 ? "" : "s", k->topic);
        finish_revoked(k, parts);
        rd_kafka_assign(rk, NULL);
    }
}

static rd_kafka_t *new_consumer(st_recv *h, const char *group, void *opaque, bool rebalance, char *err,
                                size_t cap)
{
    rd_kafka_conf_t *conf = make_conf(h, group, err, cap);
    if (!conf)
        return NULL;
    rd_kafka_conf_set_opaque(conf, opaque);
    if (opaque)
        rd_kafka_conf_set_error_cb(conf, error_cb);
    if (rebalance)
        rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, cap);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_poll_set_consumer(rk);
    return rk;
}

static void replay_done(const char *name);
static void close_(st_recv *h);

/* open() failed: the state goes (close is not called then) */
static int open_failed(st_recv *h, int rc)
{
    close_(h);
    return rc;
}

static int open_(st_recv *h)
{
    replay_done(st_recv_name(h));   /* recovery is over */
    kstate *k = rt_xcalloc(1, sizeof *k);
    k->h = h;
    k->brokers = st_recv_opt_str(h, "brokers");
    k->topic = st_recv_opt_str(h, "topic");
    k->group = st_recv_opt_str(h, "group");
    if (k->group && !*k->group)
        k->group = NULL;
    const char *so = st_recv_opt_str(h, "startingOffsets");
    k->earliest = so && strcmp(so, "earliest") == 0;
    k->keyed = st_recv_opt_int(h, "keyed") != 0;
    k->rate_pp = st_recv_opt_int(h, "maxRatePerPartition");
    pthread_mutex_init(&k->mu, NULL);
    st_recv_set_state(h, k);
    if (so && strcmp(so, "latest") != 0 && strcmp(so, "earliest") != 0)
        return open_failed(h, st_recv_fatal(h, "startingOffsets is \"%s\": \"latest\" or \"earliest\"", so));
    if (!k->brokers || !*k->brokers || !k->topic || !*k->topic)
        return open_failed(h, st_recv_fatal(h, "kafka() needs brokers and a topic"));
    st_recv_positions_each(h, logged_pos, k);
    char err[512];
    k->rk = new_consumer(h, k->group, k, k->group != NULL, err, sizeof err);
    if (!k->rk)
        return open_failed(h, st_recv_fatal(h, "%s", err));
    k->q = rd_kafka_queue_get_consumer(k->rk);
    return 0;
}

/* assign(): every partition of the topic, and those added later. */
static int assign_all(kstate *k)
{
    int32_t *ids = NULL;
    int n;
    while ((n = topic_partitions(k, &ids)) == -1)
        if (!st_recv_sleep(k->h, 500))
            return ST_RECV_DONE;
    if (n == -2)
        return st_recv_fatal(k->h, "topic '%s' does not exist on %s", k->topic, k->brokers);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(n);
    for (int i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(l, k->topic, ids[i]);
    free(ids);
    while (start_parts(k, l) != 0)
        if (!st_recv_sleep(k->h, 500)) {
            rd_kafka_topic_partition_list_destroy(l);
            return ST_RECV_DONE;
        }
    if (k->outage)
        rt_log(k->h->r->c->prog, "note", "source '%s': connected to %s", st_recv_name(k->h), k->brokers);
    k->outage = false;
    rd_kafka_resp_err_t e = rd_kafka_assign(k->rk, l);
    note_parts(k, "reading partitions", l);
    rd_kafka_topic_partition_list_destroy(l);
    if (e)
        return st_recv_fatal(k->h, "assigning the partitions of '%s': %s", k->topic, rd_kafka_err2str(e));
    k->last_meta_ms = rt_mono_ms();
    return -1;
}

/* Partitions added to the topic since: assigned too, from their start. */
static void discover(kstate *k)
{
    k->last_meta_ms = rt_mono_ms();
    int32_t *ids = NULL;
    bool was = k->outage;
    int n = topic_partitions(k, &ids);
    k->outage = was;
    if (n <= 0)
        return;
    int added = 0;
    for (int i = 0; i < n; i++)
        added += !part_get(k, ids[i])->active;
    if (added == 0) {
        free(ids);
        return;
    }
    rd_kafka_topic_partition_list_t *all = rd_kafka_topic_partition_list_new(n), *nl =
        rd_kafka_topic_partition_list_new(added);
    bool was_earliest = k->earliest;
    k->earliest = true;   /* what a new partition holds was written after the start */
    for (int i = 0; i < n; i++)
        if (!part_get(k, ids[i])->active)
            rd_kafka_topic_partition_list_add(nl, k->topic, ids[i]);
    if (start_parts(k, nl) == 0) {
        for (int i = 0; i < k->nparts; i++)
            if (k->parts[i]->active)
                rd_kafka_topic_partition_list_add(all, k->topic, k->parts[i]->id)->offset =
                    k->parts[i]->next;
        rt_log(k->h->r->c->prog, "note", "source '%s': topic '%s' has %d new partition%s", st_recv_name(k->h),
               k->topic, added, added == 1 ? "" : "s");
        rd_kafka_assign(k->rk, all);
    } else {
        for (int i = 0; i < nl->cnt; i++) {
            kpart *x = part_get(k, nl->elems[i].partition);
            x->active = false;
            atomic_store(&x->reading, -1);
        }
    }
    k->earliest = was_earliest;
    rd_kafka_topic_partition_list_destroy(all);
    rd_kafka_topic_partition_list_destroy(nl);
    free(ids);
}

/* maxRatePerPartition: waits until partition x may take n more records
   (a bucket of one second); false when stopped. */
static bool rate_take(kstate *k, kpart *x, size_t n)
{
    if (k->rate_pp <= 0)
        return true;
    int64_t need = (int64_t)n * 1000, cap = k->rate_pp * 1000;
    if (need > cap)
        cap = need;
    for (;;) {
        int64_t now = rt_mono_ms();
        if (x->last_ms == 0)
            x->last_ms = now, x->tokens_ms = cap;
        x->tokens_ms += (now - x->last_ms) * k->rate_pp;
        if (x->tokens_ms > cap)
            x->tokens_ms = cap;
        x->last_ms = now;
        if (x->tokens_ms >= need) {
            x->tokens_ms -= need;
            return true;
        }
        int64_t wait = (need - x->tokens_ms + k->rate_pp - 1) / k->rate_pp;
        if (!st_recv_sleep(k->h, wait < 1 ? 1 : wait))
            return false;
    }
}

/* Stores msgs[lo, hi) (one partition, ascending offsets) as ranges: one,
   or with maxRatePerPartition pieces of at most a tenth of its rate, each
   taken from the bucket before it is stored (so that no run, however
   long, passes the bucket's second of records at once). */
static bool store_run(kstate *k, rd_kafka_message_t **msgs, int lo, int hi, st_recv_rec *recs)
{
    kpart *x = part_get(k, msgs[lo]->partition);
    int n = 0;
    int64_t from = x->next >= 0 ? x->next : msgs[lo]->offset, to = from;
    int64_t ends[KBATCH];   /* the offset after each record kept */
    for (int i = lo; i < hi; i++) {
        rd_kafka_message_t *m = msgs[i];
        if (m->offset < to)
            continue;   /* read already (a fetch after a seek) */
        recs[n].v = m->payload ? m->payload : "";
        recs[n].vn = m->payload ? m->len : 0;
        recs[n].k = m->key ? m->key : "";
        recs[n].kn = m->key ? m->key_len : 0;
        to = m->offset + 1;
        ends[n++] = to;
    }
    if (n == 0)
        return true;
    int step = k->rate_pp <= 0 ? n : k->rate_pp / 10 > 0 ? (int)(k->rate_pp / 10 < n ? k->rate_pp / 10 : n) : 1;
    char key[16];
    snprintf(key, sizeof key, "%d", (int)x->id);
    for (int a = 0; a < n; a += step) {
        int b = n - a > step ? a + step : n;
        if (!rate_take(k, x, (size_t)(b - a)))
            return false;
        if (!st_recv_store_range(k->h, key, from, ends[b - 1], recs + a, (size_t)(b - a)))
            return false;
        from = ends[b - 1];
        x->next = from;
        atomic_store_explicit(&x->reading, from, memory_order_relaxed);
    }
    return true;
}

/* An error delivered as a message. */
static int message_error(kstate *k, rd_kafka_message_t *m)
{
    if (m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET || m->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE) {
        int32_t p = m->partition;
        kpart *x = part_get(k, p);
        int64_t lo = -1, hi = -1;
        rd_kafka_query_watermark_offsets(k->rk, k->topic, p, &lo, &hi, KMETA_MS);
        k->fatal = true;
        if (hi >= 0 && x->next >= hi)   /* past the end: not retention, the partition is not the one logged */
            return st_recv_fatal(k->h, "partition %s[%d]: offset %lld is past the end of the partition (it holds "
                                 "offsets %lld to %lld): the topic was deleted and made again, or this checkpoint "
                                 "belongs to another cluster",
                                 k->topic, (int)p, (long long)x->next, (long long)lo, (long long)hi - 1);
        return st_recv_fatal(k->h, "partition %s[%d]: offset %lld is no longer in Kafka (it holds offsets "
                             "%lld to %lld): the records from %lld to %lld are lost",
                             k->topic, (int)p, (long long)x->next, (long long)lo, (long long)hi - 1,
                             (long long)x->next, (long long)lo - 1);
    }
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
        return -1;
    if (m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC) {
        if (!k->outage)
            st_recv_error(k->h, "topic '%s': %s; retrying", k->topic, rd_kafka_message_errstr(m));
        k->outage = true;
        return -1;
    }
    st_recv_error(k->h, "topic '%s': %s", k->topic, rd_kafka_message_errstr(m));
    return -1;
}

static int run(st_recv *h)
{
    kstate *k = st_recv_state(h);
    if (k->group) {
        /* the topic must exist before we join */
        int32_t *ids = NULL;
        int n;
        while ((n = topic_partitions(k, &ids)) == -1)
            if (!st_recv_sleep(h, 500))
                return ST_RECV_DONE;
        free(ids);
        if (n == -2)
            return st_recv_fatal(h, "topic '%s' does not exist on %s", k->topic, k->brokers);
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(l, k->topic, RD_KAFKA_PARTITION_UA);
        rd_kafka_resp_err_t e = rd_kafka_subscribe(k->rk, l);
        rd_kafka_topic_partition_list_destroy(l);
        if (e)
            return st_recv_fatal(h, "subscribing to '%s' in group '%s': %s", k->topic, k->group,
                                 rd_kafka_err2str(e));
    } else {
        int rc = assign_all(k);
        if (rc >= 0)
            return rc;
    }
    rd_kafka_message_t *msgs[KBATCH];
    st_recv_rec *recs = rt_xmalloc(KBATCH * sizeof *recs);
    int rc = ST_RECV_DONE;
    while (!st_recv_stopped(h) && !k->fatal) {
        ssize_t n = rd_kafka_consume_batch_queue(k->q, KPOLL_MS, msgs, KBATCH);
        if (k->fatal) {
            rc = ST_RECV_FATAL;
            for (ssize_t i = 0; i < n; i++)
                rd_kafka_message_destroy(msgs[i]);
            break;
        }
        if (n < 0) {
            st_recv_error(h, "consuming: %s", rd_kafka_err2str(rd_kafka_last_error()));
            st_recv_sleep(h, KPOLL_MS);
            n = 0;
        }
        int lo = 0;
        bool go = true;
        for (int i = 0; i <= (int)n && go; i++) {
            bool end = i == (int)n || msgs[i]->err || (i > lo && msgs[i]->partition != msgs[lo]->partition);
            if (end && i > lo)
                go = store_run(k, msgs, lo, i, recs);
            if (i < (int)n && msgs[i]->err) {
                if (message_error(k, msgs[i]) == ST_RECV_FATAL) {
                    rc = ST_RECV_FATAL;
                    go = false;
                }
                lo = i + 1;
            } else if (end) {
                lo = i;
            }
        }
        if (n > 0 && k->outage && go) {
            rt_log(h->r->c->prog, "note", "source '%s': reading from %s again", st_recv_name(h), k->brokers);
            k->outage = false;
        }
        for (ssize_t i = 0; i < n; i++)
            rd_kafka_message_destroy(msgs[i]);
        if (!go)
            break;
        commit_done(k, false);   /* what commit() marked done (nothing when unchanged) */
        if (!k->group && rt_mono_ms() - k->last_meta_ms > 10000)
            discover(k);
    }
    free(recs);
    return rc;
}

/* A completed batch's range: committed to the group (by the receiver's
   thread, or close()). */
static void commit(st_recv *h, const char *pos, size_t n)
{
    kstate *k = st_recv_state(h);
    int32_t p;
    int64_t from, to;
    if (!k || !parse_range(pos, n, &p, &from, &to))
        return;
    pthread_mutex_lock(&k->mu);
    kpart *x = part_find(k, p);
    if (x && to > x->done) {
        x->done = to;
    }
    pthread_mutex_unlock(&k->mu);
}

/* The lag of each partition read: librdkafka's last known high watermark
   (updated by every fetch response; no request is made) minus the next
   offset to read. A partition no fetch has answered yet is left out. */
static void lag(st_recv *h, void (*fn)(void *arg, const char *key, int64_t n), void *arg)
{
    kstate *k = st_recv_state(h);
    if (!k || !k->rk)
        return;
    pthread_mutex_lock(&k->mu);
    for (int i = 0; i < k->nparts; i++) {
        kpart *x = k->parts[i];
        int64_t next = atomic_load_explicit(&x->reading, memory_order_relaxed), lo, hi;
        if (next < 0 || rd_kafka_get_watermark_offsets(k->rk, k->topic, x->id, &lo, &hi) != 0 || hi < 0)
            continue;
        char key[16];
        snprintf(key, sizeof key, "%d", (int)x->id);
        fn(arg, key, hi > next ? hi - next : 0);
    }
    pthread_mutex_unlock(&k->mu);
}

static void close_(st_recv *h)
{
    kstate *k = st_recv_state(h);
    if (!k)
        return;
    if (k->rk) {
        commit_done(k, true);
        if (k->group)
            rd_kafka_consumer_close(k->rk);
        if (k->q)
            rd_kafka_queue_destroy(k->q);
        rd_kafka_destroy(k->rk);
    }
    for (int i = 0; i < k->nparts; i++)
        free(k->parts[i]);
    free(k->parts);
    pthread_mutex_destroy(&k->mu);
    free(k);
    st_recv_set_state(h, NULL);
}

/* ---- replay: a recovered block's ranges read again ---------------------- */

/* One consumer per source for the ranges recovery reads again (replay
   runs before open, on the scheduler's thread): kept until the end. */
typedef struct kreplay {
    struct kreplay *next;
    char *name;
    rd_kafka_t *rk;
} kreplay;
static kreplay *replays;
static pthread_mutex_t replays_mu = PTHREAD_MUTEX_INITIALIZER;

static void replays_free(void)
{
    pthread_mutex_lock(&replays_mu);
    while (replays) {
        kreplay *r = replays;
        replays = r->next;
        rd_kafka_destroy(r->rk);
        free(r->name);
        free(r);
    }
    pthread_mutex_unlock(&replays_mu);
}

static void replay_done(const char *name)
{
    pthread_mutex_lock(&replays_mu);
    for (kreplay **rp = &replays; *rp; rp = &(*rp)->next)
        if (strcmp((*rp)->name, name) == 0) {
            kreplay *r = *rp;
            *rp = r->next;
            rd_kafka_destroy(r->rk);
            free(r->name);
            free(r);
            break;
        }
    pthread_mutex_unlock(&replays_mu);
}

static rd_kafka_t *replay_consumer(st_recv *h, char *err, size_t cap)
{
    pthread_mutex_lock(&replays_mu);
    kreplay *r = replays;
    while (r && strcmp(r->name, st_recv_name(h)) != 0)
        r = r->next;
    if (!r) {
        rd_kafka_t *rk = new_consumer(h, NULL, NULL, false, err, cap);
        if (rk) {
            if (!replays)
                atexit(replays_free);
            r = rt_xcalloc(1, sizeof *r);
            r->name = strdup(st_recv_name(h));
            r->rk = rk;
            r->next = replays;
            replays = r;
        }
    }
    pthread_mutex_unlock(&replays_mu);
    return r ? r->rk : NULL;
}

static int replay(st_recv *h, const char *pos, size_t n)
{
    int32_t p;
    int64_t from, to;
    if (!parse_range(pos, n, &p, &from, &to)) {
        st_recv_error(h, "a recovered block's position '%.*s' is not a Kafka offset range", (int)(n > 80 ? 80 : n),
                      pos);
        return -1;
    }
    if (from == to)
        return 0;
    const char *topic = st_recv_opt_str(h, "topic");
    const char *brokers = st_recv_opt_str(h, "brokers");
    char err[512];
    rd_kafka_t *rk = replay_consumer(h, err, sizeof err);
    if (!rk) {
        st_recv_error(h, "reading a recovered batch's records again: %s", err);
        return -1;
    }
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, p)->offset = from;
    rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    int64_t next = from, quiet_since = rt_mono_ms(), checked_ms = quiet_since;
    bool warned = false;
    int rc = 0;
    while (next < to) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, KPOLL_MS);
        if (st_recv_stopped(h)) {
            if (m)
                rd_kafka_message_destroy(m);
            rc = -1;
            break;
        }
        if (!m) {
            /* A partition's offsets never come back below its end: a
               recovered range that ends past it was another cluster's, or
               the topic's before it was made again, and will never come.
               (Asked once a second while nothing comes; a broker that does
               not answer is an outage: waited for.) */
            if (rt_mono_ms() - checked_ms >= 1000) {
                int64_t lo = -1, hi = -1;
                checked_ms = rt_mono_ms();
                if (rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, KMETA_MS) == RD_KAFKA_RESP_ERR_NO_ERROR &&
                    hi >= 0 && hi < to) {
                    rt_log(h->r->c->prog, "error", "source '%s': partition %s[%d]: offsets %lld to %lld of a "
                           "recovered batch are past the end of the partition (it holds offsets %lld to %lld): "
                           "the topic was deleted and made again, or this checkpoint belongs to another cluster",
                           st_recv_name(h), topic, (int)p, (long long)from, (long long)to - 1, (long long)lo,
                           (long long)hi - 1);
                    rc = -1;
                    break;
                }
            }
            if (!warned && rt_mono_ms() - quiet_since > 10000) {
                st_recv_error(h, "partition %s[%d]: waiting for offsets %lld to %lld of a recovered batch from %s",
                              topic, (int)p, (long long)next, (long long)to - 1, brokers);
                warned = true;
            }
            continue;
        }
        quiet_since = rt_mono_ms();
        if (m->err) {
            if (m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET || m->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE) {
                int64_t lo = -1, hi = -1;
                rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, KMETA_MS);
                rt_log(h->r->c->prog, "error", "source '%s': partition %s[%d]: offsets %lld to %lld of a "
                       "recovered batch are no longer in Kafka (it holds offsets %lld to %lld)", st_recv_name(h),
                       topic, (int)p, (long long)from, (long long)to - 1, (long long)lo, (long long)hi - 1);
                rd_kafka_message_destroy(m);
                rc = -1;
                break;
            }
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                st_recv_error(h, "partition %s[%d]: %s", topic, (int)p, rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            continue;
        }
        if (m->partition == p && m->offset >= next && m->offset < to) {
            st_recv_rec r = { m->key ? m->key : "", m->payload ? m->payload : "", m->key ? m->key_len : 0,
                              m->payload ? m->len : 0 };
            char key[16];
            snprintf(key, sizeof key, "%d", (int)p);
            st_recv_store_range(h, key, m->offset, m->offset + 1, &r, 1);
            next = m->offset + 1;
        } else if (m->partition == p && m->offset >= to) {
            next = to;
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_assign(rk, NULL);
    return rc;
}

const st_receiver st_recv_kafka = { .open = open_, .run = run, .close = close_, .commit = commit,
                                    .replay = replay, .lag = lag };
