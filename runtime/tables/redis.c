/* tables/redis.c: table T = redis("HOST:PORT"): lookup(T, k) runs GET k
 * on a miss and keeps what it finds (the Yahoo Streaming Benchmark's
 * RedisAdCampaignCache). Found values are cached for the whole run (a
 * value changed in Redis later is not seen); a missing key is not cached,
 * so a key added to Redis later is found (each lookup of an absent key
 * costs a GET, as in YSB). Thread-safe: the cache under one mutex, the
 * connection under another (misses wait for each other, hits do not wait
 * for a miss). Redis unreachable: lookup answers "unavailable" (-1: the
 * caller waits and asks again, nothing is dropped), logged once per
 * outage; each call tries to reconnect. */
#include "../st_table.h"
#include "../redis/conn.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct centry {
    struct centry *next;
    uint64_t hash;
    char *val;
    size_t klen, vlen;
    char key[];           /* klen bytes */
} centry;

typedef struct tstate {
    pthread_mutex_t cmu;  /* the cache */
    centry **slots;
    size_t nslots, n;
    pthread_mutex_t nmu;  /* the connection */
    rconn c;
    bool down;
} tstate;

static uint64_t hash_key(const char *k, size_t n)
{
    uint64_t h = 0xcbf29ce484222325u;   /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)k[i]) * 0x100000001b3u;
    return h;
}

/* Under cmu. */
static centry *find(tstate *t, const char *k, size_t kn, uint64_t h)
{
    if (!t->nslots)
        return NULL;
    for (centry *e = t->slots[h & (t->nslots - 1)]; e; e = e->next)
        if (e->hash == h && e->klen == kn && memcmp(e->key, k, kn) == 0)
            return e;
    return NULL;
}

/* Under cmu; false when out of memory. */
static bool insert(tstate *t, centry *e)
{
    if (t->n + 1 > t->nslots) {
        size_t ns = t->nslots ? t->nslots * 2 : 256;
        centry **nv = calloc(ns, sizeof *nv);
        if (!nv)
            return false;
        for (size_t i = 0; i < t->nslots; i++)
            for (centry *x = t->slots[i], *nx; x; x = nx) {
                nx = x->next;
                x->next = nv[x->hash & (ns - 1)];
                nv[x->hash & (ns - 1)] = x;
            }
        free(t->slots);
        t->slots = nv;
        t->nslots = ns;
    }
    e->next = t->slots[e->hash & (t->nslots - 1)];
    t->slots[e->hash & (t->nslots - 1)] = e;
    t->n++;
    return true;
}

static void free_state(tstate *t)
{
    for (size_t i = 0; i < t->nslots; i++)
        for (centry *x = t->slots[i], *nx; x; x = nx) {
            nx = x->next;
            free(x->val);
            free(x);
        }
    free(t->slots);
    rc_close(&t->c);
    pthread_mutex_destroy(&t->cmu);
    pthread_mutex_destroy(&t->nmu);
    free(t);
}

static int open_table(st_table_h *h)
{
    tstate *t = calloc(1, sizeof *t);
    if (!t) {
        st_table_error(h, "out of memory");
        return -1;
    }
    pthread_mutex_init(&t->cmu, NULL);
    pthread_mutex_init(&t->nmu, NULL);
    if (rc_addr(&t->c, st_table_arg(h, "addr")) != 0) {
        st_table_error(h, "%s", t->c.err);
        free_state(t);
        return -1;
    }
    if (rc_connect(&t->c) != 0) {
        st_table_error(h, "cannot connect to Redis at %s:%d: %s", t->c.host, t->c.port, t->c.err);
        free_state(t);
        return -1;
    }
    st_table_set_state(h, t);
    return 0;
}

/* GET k on the connection (under nmu): 1 with a new entry in *out, 0
   missing, -1 unavailable (logged once per outage). */
static int fetch(st_table_h *h, tstate *t, const char *k, size_t kn, uint64_t hash, centry **out)
{
    const char *argv[] = { "GET", k };
    size_t len[] = { 3, kn };
    redisReply *r = rc_cmd_again(&t->c, 2, argv, len);
    if (!r) {
        if (!t->down)
            st_table_warn(h, "Redis at %s:%d is unreachable: %s; lookups wait for it", t->c.host, t->c.port,
                          t->c.err);
        t->down = true;
        return -1;
    }
    t->down = false;   /* (the table says it is available again) */
    int rc = 0;
    if (r->type == REDIS_REPLY_STRING) {
        centry *e = malloc(sizeof *e + kn);
        char *v = malloc(r->len + 1);
        if (e && v) {
            memcpy(e->key, k, kn);
            e->klen = kn;
            e->hash = hash;
            memcpy(v, r->str, r->len);
            v[r->len] = '\0';
            e->val = v;
            e->vlen = r->len;
            *out = e;
            rc = 1;
        } else {
            free(e);
            free(v);
            st_table_error(h, "out of memory caching a value");
            rc = -1;
        }
    } else if (r->type == REDIS_REPLY_ERROR) {
        /* WRONGTYPE: the key holds no string; it is not in the table */
        st_table_warn(h, "GET %.*s: %s; taken as missing", (int)(kn > 80 ? 80 : kn), k, r->str);
    }
    freeReplyObject(r);
    return rc;
}

static int lookup(st_table_h *h, const char *k, size_t kn, const char **val, size_t *vlen)
{
    tstate *t = st_table_state(h);
    uint64_t hash = hash_key(k, kn);
    pthread_mutex_lock(&t->cmu);
    centry *e = find(t, k, kn, hash);
    pthread_mutex_unlock(&t->cmu);
    if (!e) {
        pthread_mutex_lock(&t->nmu);
        pthread_mutex_lock(&t->cmu);
        e = find(t, k, kn, hash);   /* another thread may have fetched it meanwhile */
        pthread_mutex_unlock(&t->cmu);
        int rc = 1;
        if (!e && (rc = fetch(h, t, k, kn, hash, &e)) == 1) {   /* inserts happen only under nmu */
            pthread_mutex_lock(&t->cmu);
            bool ok = insert(t, e);
            pthread_mutex_unlock(&t->cmu);
            if (!ok) {
                st_table_error(h, "out of memory caching a value");
                free(e->val);
                free(e);
                rc = -1;
            }
        }
        pthread_mutex_unlock(&t->nmu);
        if (rc != 1)
            return rc;
    }
    /* entries are never freed before close: the value stays valid */
    *val = e->val;
    *vlen = e->vlen;
    return 1;
}

static void close_table(st_table_h *h)
{
    tstate *t = st_table_state(h);
    if (t)
        free_state(t);
    st_table_set_state(h, NULL);
}

const st_table_kind st_table_redis = { .open = open_table, .lookup = lookup, .close = close_table };
