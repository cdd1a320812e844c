/* blockstore.c: a context's received blocks from the moment a receiver
 * seals them until their batch has run (see rt_internal.h).
 *
 * The log (wal.c) of a checkpoint directory holds five kinds of entry:
 *   'Z' zero_ms, batch_ms      first in a process's first segment
 *   'B' a block: source, id, flags, records, the source's records through
 *       this block, the files it holds whole, and, under a _2 storage
 *       level, the records themselves
 *   'A' a batch: time, then per source the id below which every block is
 *       in this batch or an earlier one, and the records of those blocks
 *   'D' a batch's outputs have all completed: time
 *   'L' per source, the id below which blocks whose records were not
 *       logged have been reported lost (so a restart reports them once)
 * so a restart knows what was received, which batch each block went to,
 * and which batches must run again. A snapshot (snapshot.c) of batch t
 * carries the state and, from here, each source's allocation point and
 * the files it has read; segments whose blocks are all in batches up to
 * t and that name no later batch are then removed.
 *
 * Threads: the timer adds and takes blocks, the scheduler loads, releases
 * and marks batches done; one mutex guards the queues and the accounting.
 * Must not: let a block count as received before it is logged, or lose
 * a block that was (it is in a batch, in a queue, or in a logged batch).
 */
#include "rt_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

enum { F_INTS = 1, F_DATA = 2 };

/* ---- encoding ----------------------------------------------------------- */

/* n bytes in place; NULL (and bad) when short. */
static const char *get_bytes(st_rd *r, int64_t n)
{
    if (n < 0 || r->end - r->p < n) {
        r->bad = true;
        r->p = r->end;
        return NULL;
    }
    const char *p = r->p;
    r->p += n;
    return p;
}

static int64_t block_bytes(const rt_block *b)
{
    return b->n > 0 && b->offs ? b->offs[2 * (b->n - 1)] + b->offs[2 * (b->n - 1) + 1] : 0;
}

/* The 'B' payload of block b of source i. */
static void encode(st_buf *out, int i, const rt_block *b, bool ints, bool data)
{
    st_ser_i64(out, i);
    st_ser_i64(out, b->id);
    st_ser_i64(out, (ints ? F_INTS : 0) | (data ? F_DATA : 0));
    st_ser_i64(out, b->n);
    st_ser_i64(out, b->cum);
    st_ser_i64(out, b->nfiles);
    for (int64_t f = 0; f < b->nfiles; f++) {
        int64_t n = (int64_t)strlen(b->files[f]);
        st_ser_i64(out, n);
        st_buf_put(out, b->files[f], (size_t)n);
    }
    if (!data)
        return;
    if (ints) {
        for (int64_t k = 0; k < b->n; k++)
            st_ser_i64(out, b->ints[k]);
        return;
    }
    st_buf_reserve(out, (size_t)b->n * 4 + (size_t)block_bytes(b));
    for (int64_t k = 0; k < b->n; k++) {
        uint32_t len = (uint32_t)b->offs[2 * k + 1];
        unsigned char x[4] = { (unsigned char)len, (unsigned char)(len >> 8), (unsigned char)(len >> 16),
                               (unsigned char)(len >> 24) };
        st_buf_put(out, x, 4);
    }
    if (b->n > 0)
        st_buf_put(out, b->bytes, (size_t)block_bytes(b));
}

typedef struct bhead {
    int64_t src, id, flags, n, cum, nfiles;
} bhead;

/* Reads a 'B' header, every count checked against the bytes there first
   (a file count of 2^62 is refused at once); with files, calls add(arg,
   src, name) per file. */
static bool decode_head(st_rd *r, bhead *h, void (*add)(void *, int64_t, const char *, int64_t), void *arg)
{
    h->src = st_rd_i64(r);
    h->id = st_rd_i64(r);
    h->flags = st_rd_i64(r);
    h->n = st_rd_i64(r);
    h->cum = st_rd_i64(r);
    h->nfiles = st_rd_i64(r);
    if (r->bad || h->n < 0 || h->cum < h->n || h->nfiles < 0 || h->id < 0 || (h->flags & ~(F_INTS | F_DATA)) ||
        h->nfiles > (r->end - r->p) / 8)
        return false;
    for (int64_t f = 0; f < h->nfiles; f++) {
        int64_t n = st_rd_i64(r);
        const char *p = r->bad ? NULL : get_bytes(r, n);
        if (!p || n == 0 || (n > 1 && memchr(p + 1, '/', (size_t)n - 1)) || (n == 1 && p[0] == '/') ||
            memchr(p, '\0', (size_t)n))
            return false;
        if (add)
            add(arg, h->src, p, n);
    }
    if ((h->flags & F_DATA) && !(h->flags & F_INTS) && (uint64_t)(r->end - r->p) / 4 < (uint64_t)h->n)
        return false;
    if ((h->flags & F_DATA) && (h->flags & F_INTS) && (uint64_t)(r->end - r->p) / 8 != (uint64_t)h->n)
        return false;
    if (!(h->flags & F_DATA) && r->p != r->end)
        return false;
    return true;
}

/* The records of a 'B' payload into b (malloc'd buffers). */
static bool decode_data(const char *p, size_t n, rt_block *b)
{
    st_rd r = { p, p + n, false };
    bhead h;
    if (!decode_head(&r, &h, NULL, NULL) || !(h.flags & F_DATA))
        return false;
    b->n = h.n;
    if (h.flags & F_INTS) {
        if ((uint64_t)(r.end - r.p) / 8 < (uint64_t)h.n)
            return false;
        b->ints = rt_xmalloc((size_t)h.n * sizeof *b->ints + 1);
        for (int64_t k = 0; k < h.n; k++)
            b->ints[k] = st_rd_i64(&r);
        return !r.bad && r.p == r.end;
    }
    if ((uint64_t)(r.end - r.p) / 4 < (uint64_t)h.n)
        return false;
    const unsigned char *lens = (const unsigned char *)r.p;
    r.p += 4 * h.n;
    size_t total = (size_t)(r.end - r.p), at = 0;
    b->offs = rt_xmalloc((size_t)h.n * 2 * sizeof *b->offs + 1);
    for (int64_t k = 0; k < h.n; k++) {
        const unsigned char *x = lens + 4 * k;
        size_t len = (size_t)x[0] | (size_t)x[1] << 8 | (size_t)x[2] << 16 | (size_t)x[3] << 24;
        if (len > total - at) {
            free(b->offs);
            b->offs = NULL;
            return false;
        }
        b->offs[2 * k] = (int64_t)at;
        b->offs[2 * k + 1] = (int64_t)len;
        at += len;
    }
    if (at != total) {
        free(b->offs);
        b->offs = NULL;
        return false;
    }
    b->bytes = rt_xmalloc(total + 1);
    memcpy(b->bytes, r.p, total);
    return true;
}

/* ---- the store ---------------------------------------------------------- */

static void block_free(rt_block *b)
{
    free(b->bytes);
    free(b->offs);
    free(b->ints);
    free(b->recs);
    for (int64_t f = 0; f < b->nfiles; f++)
        free(b->files[f]);
    free(b->files);
    memset(b, 0, sizeof *b);
}

static char *xstrndup(const char *p, size_t n)
{
    char *s = rt_xmalloc(n + 1);
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

static char *path_of(const char *dir, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *path_of(const char *dir, const char *fmt, ...)
{
    char name[96];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    st_buf b = { 0 };
    st_buf_puts(&b, dir);
    st_buf_putc(&b, '/');
    st_buf_puts(&b, name);
    st_buf_putc(&b, '\0');
    return b.p;
}

/* The spill file of block id of source i. */
static char *spill_path(const rt_bstore *bs, int i, int64_t id)
{
    return path_of(bs->spill_dir, "spill-%d-%d-%lld", bs->c->index, i, (long long)id);
}

/* Appends to the log, counting its bytes for --metrics. */
/* The log stays a prefix of what happened: once an append failed (a
 * full disk), no later entry is written, so that no batch names a block
 * the log lacks and the batches stay consecutive; the job fails. */
static int wal_put(rt_bstore *bs, char type, const void *p, size_t n, int64_t *seq, int64_t *off)
{
    int e = atomic_load(&bs->log_err);
    if (e) {
        errno = e;
        return -1;
    }
    int rc = rt_wal_append(&bs->wal, type, p, n, seq, off);
    if (rc == 0)
        atomic_fetch_add_explicit(&bs->c->wal_bytes, (long long)n, memory_order_relaxed);
    else {
        e = errno ? errno : EIO;
        int zero = 0;
        atomic_compare_exchange_strong(&bs->log_err, &zero, e);
        errno = e;
    }
    return rc;
}

void rt_bs_init(rt_bstore *bs, rt_ctx *c, const char *dir, int64_t budget)
{
    memset(bs, 0, sizeof *bs);
    bs->c = c;
    bs->nsrc = c->desc->nsources;
    bs->src = rt_xcalloc((size_t)bs->nsrc + 1, sizeof *bs->src);
    if (dir) {
        size_t n = strlen(dir);
        bs->dir = xstrndup(dir, n);
    }
    bs->budget = budget;
    bs->wal.fd = -1;
    bs->ident = rt_ckpt_ident(c->desc);
    bs->snap_t = INT64_MIN;
    pthread_mutex_init(&bs->mu, NULL);
}

static void remove_spill_dir(rt_bstore *bs)
{
    if (bs->spill_tmp && bs->spill_dir)
        rmdir(bs->spill_dir);   /* empty once every batch has run */
    free(bs->spill_dir);
    bs->spill_dir = NULL;
}

void rt_bs_close(rt_bstore *bs)
{
    for (int i = 0; i < bs->nsrc; i++) {
        rt_bsrc *s = &bs->src[i];
        for (int64_t k = 0; k < s->n; k++) {
            if (s->q[k].where == RT_BLK_SPILL && bs->spill_dir) {
                char *p = spill_path(bs, i, s->q[k].id);
                unlink(p);
                free(p);
            }
            block_free(&s->q[k]);
        }
        free(s->q);
        for (int64_t f = 0; f < s->nfiles; f++)
            free(s->files[f]);
        free(s->files);
        free(s->fidx);
        free(s->acked);
    }
    free(bs->src);
    free(bs->segs);
    if (bs->logging)
        rt_wal_close(&bs->wal);
    remove_spill_dir(bs);
    if (bs->lock_fd)
        close(bs->lock_fd - 1);
    free(bs->dir);
    pthread_mutex_destroy(&bs->mu);
    memset(bs, 0, sizeof *bs);
}

static rt_seg *seg_get(rt_bstore *bs, int64_t seq)
{
    for (int64_t k = 0; k < bs->nsegs; k++)
        if (bs->segs[k].seq == seq)
            return &bs->segs[k];
    rt_grow((void **)&bs->segs, &bs->segcap, bs->nsegs + 1, sizeof *bs->segs);
    rt_seg *g = &bs->segs[bs->nsegs++];
    *g = (rt_seg){ seq, 0, INT64_MIN, false };
    return g;
}

static void seg_drop(rt_bstore *bs, int64_t seq)
{
    int64_t keep = 0;
    for (int64_t k = 0; k < bs->nsegs; k++)
        if (bs->segs[k].seq != seq)
            bs->segs[keep++] = bs->segs[k];
    bs->nsegs = keep;
}

/* The files a source has logged: names in files[], found through an
   open-addressing index of (position + 1) by hash, so that a directory
   of many files is not a quadratic scan. */
static uint64_t name_hash(const char *p, size_t n)
{
    return st_hash_bytes(p, n, 0x5f11e5);
}

static bool has_file_locked(const rt_bsrc *s, const char *p, size_t n)
{
    if (!s->fslots)
        return false;
    for (uint64_t j = name_hash(p, n) & (s->fslots - 1);; j = (j + 1) & (s->fslots - 1)) {
        uint64_t v = s->fidx[j];
        if (!v)
            return false;
        const char *f = s->files[v - 1];
        if (strnlen(f, n + 1) == n && memcmp(f, p, n) == 0)
            return true;
    }
}

static void index_file(uint64_t *idx, uint64_t nslots, const char *name, int64_t pos)
{
    uint64_t j = name_hash(name, strlen(name)) & (nslots - 1);
    while (idx[j])
        j = (j + 1) & (nslots - 1);
    idx[j] = (uint64_t)pos + 1;
}

/* Adds a file name unless it is there. */
static void file_add(rt_bsrc *s, const char *p, int64_t n)
{
    if (has_file_locked(s, p, (size_t)n))
        return;
    if ((uint64_t)(s->nfiles + 1) * 2 > s->fslots) {
        uint64_t ns = s->fslots ? s->fslots * 2 : 64;
        uint64_t *ni = rt_xcalloc(ns, sizeof *ni);
        for (int64_t k = 0; k < s->nfiles; k++)
            index_file(ni, ns, s->files[k], k);
        free(s->fidx);
        s->fidx = ni;
        s->fslots = ns;
    }
    rt_grow((void **)&s->files, &s->fcap, s->nfiles + 1, sizeof *s->files);
    s->files[s->nfiles] = xstrndup(p, (size_t)n);
    index_file(s->fidx, s->fslots, s->files[s->nfiles], s->nfiles);
    s->nfiles++;
}

bool rt_bs_has_file(rt_bstore *bs, int i, const char *name)
{
    pthread_mutex_lock(&bs->mu);
    bool r = has_file_locked(&bs->src[i], name, strlen(name));
    pthread_mutex_unlock(&bs->mu);
    return r;
}

void rt_bs_each_file(rt_bstore *bs, int i, void (*fn)(void *, const char *), void *arg)
{
    pthread_mutex_lock(&bs->mu);
    for (int64_t k = 0; k < bs->src[i].nfiles; k++)
        fn(arg, bs->src[i].files[k]);
    pthread_mutex_unlock(&bs->mu);
}

void rt_bs_set_ranges(rt_bstore *bs, int i)
{
    pthread_mutex_lock(&bs->mu);
    bs->src[i].ranges = true;
    pthread_mutex_unlock(&bs->mu);
}

/* The prunes' end (blockstore_prune.c): the set rebuilt with its index. */
void rt_bs_keep_locked(rt_bsrc *s, const bool *kept)
{
    char **old = s->files;
    int64_t n = s->nfiles;
    s->files = NULL;
    s->nfiles = s->fcap = 0;
    free(s->fidx);
    s->fidx = NULL;
    s->fslots = 0;
    for (int64_t k = 0; k < n; k++) {
        if (kept[k])
            file_add(s, old[k], (int64_t)strlen(old[k]));
        free(old[k]);
    }
    free(old);
}

/* The manifest: the live segments but skip (-1: none), the newest snapshot. */
static int write_manifest(rt_bstore *bs, int64_t skip)
{
    rt_manifest m = { bs->snap_t, bs->snap_recs, NULL, 0 };
    m.segs = rt_xmalloc((size_t)bs->nsegs * sizeof *m.segs + 1);
    for (int64_t k = 0; k < bs->nsegs; k++)
        if (bs->segs[k].seq != skip && !bs->segs[k].gone)
            m.segs[m.nsegs++] = bs->segs[k].seq;
    /* ascending */
    for (int64_t a = 1; a < m.nsegs; a++)
        for (int64_t b = a; b > 0 && m.segs[b - 1] > m.segs[b]; b--) {
            int64_t x = m.segs[b];
            m.segs[b] = m.segs[b - 1];
            m.segs[b - 1] = x;
        }
    int rc = rt_manifest_write(bs->dir, bs->ident, &m);
    if (rc != 0)
        rt_log(bs->c->prog, "error", "checkpoint %s: cannot write %s/manifest: %s", bs->dir, bs->dir,
               strerror(errno));
    free(m.segs);
    return rc;
}

int rt_bs_start_log(rt_bstore *bs, int64_t zero_ms)
{
    if (!bs->dir)
        return 0;
    int64_t *segs, n = rt_wal_segments(bs->dir, &segs);
    int64_t seq = n ? segs[n - 1] + 1 : 0;
    free(segs);
    if (rt_wal_open(&bs->wal, bs->dir, seq, bs->ident) != 0) {
        rt_log(bs->c->prog, "error", "checkpoint %s: cannot start a log segment: %s", bs->dir,
               strerror(errno));
        return -1;
    }
    bs->logging = true;
    seg_get(bs, seq);
    if (write_manifest(bs, -1) != 0)
        return -1;
    st_buf z = { 0 };
    st_ser_i64(&z, zero_ms);
    st_ser_i64(&z, bs->c->desc->batch_ms);
    int rc = wal_put(bs, 'Z', z.p, z.n, NULL, NULL);
    /* the unlogged blocks recovery reported lost are not reported again */
    z.n = 0;
    st_ser_i64(&z, bs->nsrc);
    for (int i = 0; i < bs->nsrc; i++)
        st_ser_i64(&z, bs->src[i].lost_upto);
    if (rc == 0)
        rc = wal_put(bs, 'L', z.p, z.n, NULL, NULL);
    st_buf_free(&z);
    if (rc != 0 || rt_wal_sync(&bs->wal) != 0) {
        rt_log(bs->c->prog, "error", "checkpoint %s: writing the log: %s", bs->dir, strerror(errno));
        return -1;
    }
    return 0;
}

/* Writes b's records to a spill file of its own; false when it cannot. */
static bool spill_write(rt_bstore *bs, int i, rt_block *b, bool ints)
{
    if (!bs->spill_dir) {
        if (bs->dir) {
            size_t n = strlen(bs->dir);
            bs->spill_dir = xstrndup(bs->dir, n);
        } else {
            const char *tmp = getenv("TMPDIR");
            st_buf t = { 0 };
            st_buf_puts(&t, tmp && *tmp ? tmp : "/tmp");
            st_buf_puts(&t, "/streamc-spill-XXXXXX");
            st_buf_putc(&t, '\0');
            if (!mkdtemp(t.p)) {
                st_buf_free(&t);
                return false;
            }
            bs->spill_dir = t.p;
            bs->spill_tmp = true;
        }
    }
    st_buf enc = { 0 };
    encode(&enc, i, b, ints, true);
    char *p = spill_path(bs, i, b->id);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    bool ok = fd >= 0 && rt_write_all(fd, enc.p, enc.n) == 0;
    if (fd >= 0 && close(fd) != 0)
        ok = false;
    if (!ok)
        unlink(p);
    free(p);
    b->len = (int64_t)enc.n;
    st_buf_free(&enc);
    return ok;
}

static void drop_records(rt_block *b)
{
    free(b->bytes);
    free(b->offs);
    free(b->ints);
    b->bytes = NULL;
    b->offs = b->ints = NULL;
}

int rt_bs_add(rt_bstore *bs, int i, rt_block *b)
{
    const st_source_desc *d = &bs->c->desc->sources[i];
    bool ints = rt_kind_ints(d->kind), repl = (d->storage & ST_STORE_REPL) != 0;
    size_t size = ints ? (size_t)b->n * sizeof *b->ints
                       : (size_t)block_bytes(b) + (size_t)b->n * 2 * sizeof *b->offs;
    int rc = 0;
    pthread_mutex_lock(&bs->mu);
    rt_bsrc *s = &bs->src[i];
    b->id = s->next_id++;
    s->recs = b->n > INT64_MAX - s->recs ? INT64_MAX : s->recs + b->n;
    b->cum = s->recs;
    b->seg = -1;
    b->where = RT_BLK_MEM;
    if (bs->logging) {
        st_buf enc = { 0 };
        encode(&enc, i, b, ints, repl);
        int64_t seq, off;
        if (wal_put(bs, 'B', enc.p, enc.n, &seq, &off) != 0) {
            rt_log(bs->c->prog, "error", "checkpoint %s: logging a block of source '%s': %s", bs->dir,
                   d->name, strerror(errno));
            rc = -1;
        } else {
            b->seg = seq;
            if (repl) {
                b->off = off;
                b->len = (int64_t)enc.n;
            }
            seg_get(bs, seq)->unalloc++;
            for (int64_t f = 0; f < b->nfiles; f++)
                file_add(s, b->files[f], (int64_t)strlen(b->files[f]));
        }
        st_buf_free(&enc);
    }
    bool disk = (d->storage & ST_STORE_DISK) != 0;
    if (b->n > 0 && disk && ((d->storage & ST_STORE_NOMEM) || bs->mem + (int64_t)size > bs->budget)) {
        if (repl && b->seg >= 0) {
            b->where = RT_BLK_WAL;   /* the log already holds its records */
        } else if (spill_write(bs, i, b, ints)) {
            b->where = RT_BLK_SPILL;
        } else {
            rt_log(bs->c->prog, "warning", "source '%s': cannot spill a block (%s); it stays in memory",
                   d->name, strerror(errno));
        }
    }
    if (b->where == RT_BLK_MEM) {
        b->mem = size;
        bs->mem += (int64_t)size;
    } else {
        drop_records(b);
        atomic_fetch_add(&bs->c->spilled, 1);
    }
    rt_grow((void **)&s->q, &s->cap, s->n + 1, sizeof *s->q);
    s->q[s->n++] = *b;
    memset(b, 0, sizeof *b);
    pthread_mutex_unlock(&bs->mu);
    return rc;
}

static void batch_alloc(rt_batch *out, int nsrc, int64_t time_ms)
{
    memset(out, 0, sizeof *out);
    out->time_ms = time_ms;
    out->nsrc = nsrc;
    out->blocks = rt_xcalloc((size_t)nsrc + 1, sizeof *out->blocks);
    out->nblocks = rt_xcalloc((size_t)nsrc + 1, sizeof *out->nblocks);
    out->next = rt_xcalloc((size_t)nsrc + 1, sizeof *out->next);
    out->cum = rt_xcalloc((size_t)nsrc + 1, sizeof *out->cum);
}

/* A block of a batch at time t leaves its segment's unallocated count. */
static void allocated(rt_bstore *bs, int64_t seq, int64_t t)
{
    if (seq < 0)
        return;
    rt_seg *g = seg_get(bs, seq);
    g->unalloc--;
    if (t > g->max_t)
        g->max_t = t;
}

static int log_time(rt_bstore *bs, char type, int64_t t, const int64_t *next, const int64_t *cum)
{
    st_buf e = { 0 };
    st_ser_i64(&e, t);
    if (next) {
        st_ser_i64(&e, bs->nsrc);
        for (int i = 0; i < bs->nsrc; i++) {
            st_ser_i64(&e, next[i]);
            st_ser_i64(&e, cum[i]);
        }
    }
    int64_t seq;
    int rc = wal_put(bs, type, e.p, e.n, &seq, NULL);
    st_buf_free(&e);
    if (rc == 0) {
        rt_seg *g = seg_get(bs, seq);
        if (t > g->max_t)
            g->max_t = t;
    } else {
        rt_log(bs->c->prog, "error", "checkpoint %s: writing the log: %s", bs->dir, strerror(errno));
    }
    return rc;
}

int rt_bs_take(rt_bstore *bs, int64_t time_ms, rt_batch *out)
{
    batch_alloc(out, bs->nsrc, time_ms);
    pthread_mutex_lock(&bs->mu);
    for (int i = 0; i < bs->nsrc; i++) {
        rt_bsrc *s = &bs->src[i];
        out->blocks[i] = s->q;
        out->nblocks[i] = s->n;
        for (int64_t k = 0; k < s->n; k++)
            allocated(bs, s->q[k].seg, time_ms);
        s->q = NULL;
        s->n = s->cap = 0;
        s->taken = s->next_id;
        out->next[i] = s->next_id;
        out->cum[i] = s->recs;
    }
    int rc = bs->logging ? log_time(bs, 'A', time_ms, out->next, out->cum) : 0;
    pthread_mutex_unlock(&bs->mu);
    return rc;
}

int rt_bs_sync(rt_bstore *bs)
{
    if (!bs->logging || rt_wal_sync(&bs->wal) == 0)
        return 0;
    if (!bs->wal.removed)
        rt_log(bs->c->prog, "error", "checkpoint %s: syncing the log: %s", bs->dir, strerror(errno));
    else if (!atomic_exchange(&bs->removed, true))
        rt_log(bs->c->prog, "error", "checkpoint %s: log-%010lld was removed while the program ran", bs->dir,
               (long long)rt_wal_seq(&bs->wal));
    return -1;
}

static void collect_name(void *arg, int64_t src, const char *p, int64_t n)
{
    (void)src;
    st_buf *names = arg;
    st_buf_put(names, p, (size_t)n);
    st_buf_putc(names, '\0');
}

/* A recovered block without its records (no _2 level): its source's
   receiver stores them again from the positions its log entry names
   (bs->replay; a textFileStream reads its files again, as Spark re-reads
   a file stream's files for the batches it recovers). */
static int load_files(rt_bstore *bs, int i, rt_block *b)
{
    const st_source_desc *d = &bs->c->desc->sources[i];
    char *buf = rt_xmalloc((size_t)b->len + 1);
    st_buf names = { 0 }, bytes = { 0 };
    int rc = -1;
    if (rt_wal_read(bs->dir, b->seg, b->off, (size_t)b->len, buf) != 0) {
        rt_log(bs->c->prog, "error", "source '%s': reading block %lld back from the log: %s", d->name,
               (long long)b->id, strerror(errno));
        goto out;
    }
    st_rd r = { buf, buf + b->len, false };
    bhead h;
    if (!decode_head(&r, &h, collect_name, &names)) {
        rt_log(bs->c->prog, "error", "source '%s': block %lld in the log does not parse", d->name,
               (long long)b->id);
        goto out;
    }
    int64_t n = 0;
    b->offs = NULL;
    if (!bs->replay || bs->replay(bs->replay_arg, i, names.p, names.n, &bytes, &b->offs, &n) != 0)
        goto out;
    if (n != b->n)
        rt_log(bs->c->prog, "warning", "source '%s': the positions of recovered block %lld hold %lld records "
               "now, %lld when they were first received", d->name, (long long)b->id, (long long)n,
               (long long)b->n);
    b->n = n;
    b->bytes = bytes.p ? bytes.p : rt_xmalloc(1);
    rc = 0;
out:
    free(buf);
    st_buf_free(&names);
    return rc;
}

static int load_block(rt_bstore *bs, int i, rt_block *b)
{
    if (b->where == RT_BLK_FILES)
        return load_files(bs, i, b);
    const char *what = "reading";
    char *buf = NULL, *spill = NULL;
    size_t n = (size_t)b->len;
    int rc = -1;
    if (b->where == RT_BLK_WAL) {
        buf = rt_xmalloc(n + 1);
        if (rt_wal_read(bs->dir, b->seg, b->off, n, buf) != 0)
            goto out;
    } else {
        spill = spill_path(bs, i, b->id);
        int err = rt_read_file(spill, &buf, &n);
        if (err) {
            errno = err;
            goto out;
        }
    }
    what = "decoding";
    errno = EILSEQ;
    if (decode_data(buf, n, b))
        rc = 0;
out:
    if (rc != 0)
        rt_log(bs->c->prog, "error", "source '%s': %s block %lld back from %s: %s",
               bs->c->desc->sources[i].name, what, (long long)b->id,
               b->where == RT_BLK_WAL ? "the log" : "its spill file", strerror(errno));
    if (spill) {
        unlink(spill);
        free(spill);
    }
    free(buf);
    return rc;
}

int rt_bs_load(rt_bstore *bs, rt_batch *b)
{
    int rc = 0;
    b->inputs = rt_xcalloc((size_t)b->nsrc + 1, sizeof *b->inputs);
    b->bl = rt_xcalloc((size_t)b->nsrc + 1, sizeof *b->bl);
    for (int i = 0; i < b->nsrc; i++) {
        st_block *bl = rt_xcalloc((size_t)b->nblocks[i] + 1, sizeof *bl);
        int nb = 0;
        for (int64_t k = 0; k < b->nblocks[i]; k++) {
            rt_block *x = &b->blocks[i][k];
            if ((x->where == RT_BLK_WAL || x->where == RT_BLK_SPILL || x->where == RT_BLK_FILES) && x->n > 0 &&
                load_block(bs, i, x) != 0) {
                rc = -1;
                x->n = 0;
            }
            if (x->where == RT_BLK_LOST)
                x->n = 0;
            if (x->n == 0)
                continue;
            if (!x->ints) {
                /* st_str slices can only be made once a block's buffer is final */
                const char *base = x->bytes ? x->bytes : "";
                x->recs = rt_xmalloc((size_t)x->n * sizeof *x->recs);
                for (int64_t r = 0; r < x->n; r++)
                    x->recs[r] = (st_str){ base + x->offs[2 * r], x->offs[2 * r + 1] };
            }
            bl[nb++] = (st_block){ x->n, x->recs, x->ints };
        }
        b->bl[i] = bl;
        b->inputs[i] = (st_input){ nb, bl };
    }
    return rc;
}

void rt_bs_release(rt_bstore *bs, rt_batch *b)
{
    int64_t mem = 0;
    for (int i = 0; i < b->nsrc; i++) {
        for (int64_t k = 0; k < b->nblocks[i]; k++) {
            rt_block *x = &b->blocks[i][k];
            mem += (int64_t)x->mem;
            if (x->where == RT_BLK_SPILL && !b->inputs && bs->spill_dir) {
                char *p = spill_path(bs, i, x->id);
                unlink(p);
                free(p);
            }
            block_free(x);
        }
        free(b->blocks[i]);
        if (b->bl)
            free(b->bl[i]);
    }
    if (bs) {
        pthread_mutex_lock(&bs->mu);
        bs->mem -= mem;
        pthread_mutex_unlock(&bs->mu);
    }
    free(b->blocks);
    free(b->nblocks);
    free(b->next);
    free(b->cum);
    free(b->inputs);
    free(b->bl);
    memset(b, 0, sizeof *b);
}

int rt_bs_done(rt_bstore *bs, int64_t time_ms)
{
    if (!bs->logging)
        return 0;
    pthread_mutex_lock(&bs->mu);
    int rc = log_time(bs, 'D', time_ms, NULL, NULL);
    pthread_mutex_unlock(&bs->mu);
    return rc;
}

void rt_bs_blob(rt_bstore *bs, const rt_batch *b, st_buf *out)
{
    pthread_mutex_lock(&bs->mu);
    st_ser_i64(out, bs->nsrc);
    for (int i = 0; i < bs->nsrc; i++) {
        rt_bsrc *s = &bs->src[i];
        rt_bs_prune_ranges_locked(s);
        rt_bs_prune_acked_locked(s);
        st_ser_i64(out, b->next[i]);
        st_ser_i64(out, b->cum[i]);
        st_ser_i64(out, s->lost_upto);
        st_ser_i64(out, s->nfiles);
        for (int64_t f = 0; f < s->nfiles; f++) {
            int64_t n = (int64_t)strlen(s->files[f]);
            st_ser_i64(out, n);
            st_buf_put(out, s->files[f], (size_t)n);
        }
    }
    pthread_mutex_unlock(&bs->mu);
}

int rt_bs_prune(rt_bstore *bs, int64_t t, const int64_t *cum)
{
    if (!bs->logging)
        return 0;
    pthread_mutex_lock(&bs->mu);
    int64_t old;
    int rc = 0;
    if (rt_wal_roll(&bs->wal, &old) != 0) {
        rt_log(bs->c->prog, "error", "checkpoint %s: cannot start a new log segment: %s", bs->dir,
               strerror(errno));
        rc = -1;
    } else {
        int64_t cur = rt_wal_seq(&bs->wal);
        seg_get(bs, cur);
        int64_t recs = 0;
        for (int i = 0; i < bs->nsrc; i++)
            recs = cum[i] > INT64_MAX - recs ? INT64_MAX : recs + cum[i];
        bs->snap_t = t;
        bs->snap_recs = recs;
        /* the manifest first: a crash then leaves only segments it no
           longer lists, which a restart removes */
        for (int64_t k = 0; k < bs->nsegs; k++) {
            rt_seg *g = &bs->segs[k];
            g->gone = g->seq < cur && g->unalloc <= 0 && g->max_t <= t;
        }
        rc = write_manifest(bs, -1);
        int64_t keep = 0;
        for (int64_t k = 0; k < bs->nsegs; k++) {
            rt_seg g = bs->segs[k];
            if (rc == 0 && g.gone) {
                rt_wal_remove(bs->dir, g.seq);
                continue;
            }
            g.gone = false;
            bs->segs[keep++] = g;
        }
        bs->nsegs = keep;
    }
    pthread_mutex_unlock(&bs->mu);
    return rc;
}

/* ---- recovery ----------------------------------------------------------- */

typedef struct rblk {
    int64_t src, id, flags, n, cum, seq, off, len, nfiles;
} rblk;

typedef struct ralloc {
    int64_t t, *next, *cum, seq, off;
} ralloc;

typedef struct rscan {
    rt_bstore *bs;
    rblk *blk;
    int64_t nblk, bcap;
    ralloc *al;
    int64_t nal, acap;
    int64_t *done;
    int64_t ndone, dcap;
    int64_t *lastid, *lostmark;   /* per source: last block id seen, 'L' bound */
    int64_t zero_ms;
    bool have_zero, bad, foreign_batch;
    char why[300];
} rscan;

static void scan_file(void *arg, int64_t src, const char *p, int64_t n)
{
    rt_bstore *bs = arg;
    if (src >= 0 && src < bs->nsrc) {
        file_add(&bs->src[src], p, n);
    }
}

#define DAMAGE(...) \
    do { \
        snprintf(sc->why, sizeof sc->why, __VA_ARGS__); \
        sc->bad = true; \
        return 1; \
    } while (0)

static int scan_entry(void *arg, char type, const char *p, size_t n, int64_t seq, int64_t off)
{
    rscan *sc = arg;
    rt_bstore *bs = sc->bs;
    st_rd r = { p, p + n, false };
    (void)seq;
    switch (type) {
    case 'Z': {
        int64_t z = st_rd_i64(&r), batch = st_rd_i64(&r);
        if (r.bad || r.p != r.end || z < 0 || z >= RT_TIME_LIMIT)
            DAMAGE("its 'Z' entry does not parse");
        if (batch != bs->c->desc->batch_ms) {
            sc->foreign_batch = true;
            DAMAGE("it was written with a batch interval of %lld ms, not %lld ms", (long long)batch,
                   (long long)bs->c->desc->batch_ms);
        }
        if (sc->have_zero && z != sc->zero_ms)
            DAMAGE("its 'Z' entry gives the zero time %lld ms, an earlier one %lld ms", (long long)z,
                   (long long)sc->zero_ms);
        sc->zero_ms = z;
        sc->have_zero = true;
        return 0;
    }
    case 'B': {
        bhead h;
        if (!decode_head(&r, &h, NULL, NULL) || h.src < 0 || h.src >= bs->nsrc)
            DAMAGE("its block entry does not parse");
        bool ints = rt_kind_ints(bs->c->desc->sources[h.src].kind);
        if (ints != ((h.flags & F_INTS) != 0))
            DAMAGE("its block entry holds %s records for source '%s'", ints ? "string" : "int",
                   bs->c->desc->sources[h.src].name);
        if (h.id <= sc->lastid[h.src])
            DAMAGE("block %lld of source '%s' comes after block %lld", (long long)h.id,
                   bs->c->desc->sources[h.src].name, (long long)sc->lastid[h.src]);
        sc->lastid[h.src] = h.id;
        st_rd again = { p, p + n, false };
        decode_head(&again, &h, scan_file, bs);
        rt_grow((void **)&sc->blk, &sc->bcap, sc->nblk + 1, sizeof *sc->blk);
        sc->blk[sc->nblk++] = (rblk){ h.src, h.id, h.flags, h.n, h.cum, seq, off, (int64_t)n, h.nfiles };
        seg_get(bs, seq)->unalloc++;
        return 0;
    }
    case 'A': {
        int64_t t = st_rd_i64(&r), ns = st_rd_i64(&r);
        if (r.bad || ns != bs->nsrc || (uint64_t)(r.end - r.p) != (uint64_t)ns * 16 || t < 0 ||
            t >= RT_TIME_LIMIT)
            DAMAGE("its allocation entry does not parse");
        if (sc->nal > 0 && t <= sc->al[sc->nal - 1].t)
            DAMAGE("it allocates the batch at %lld ms after the one at %lld ms", (long long)t,
                   (long long)sc->al[sc->nal - 1].t);
        int64_t *next = rt_xcalloc((size_t)ns + 1, sizeof *next);
        int64_t *cum = rt_xcalloc((size_t)ns + 1, sizeof *cum);
        bool ok = true;
        for (int64_t i = 0; i < ns; i++) {
            next[i] = st_rd_i64(&r);
            cum[i] = st_rd_i64(&r);
            ok = ok && next[i] >= 0 && cum[i] >= 0;
        }
        if (!ok) {
            free(next);
            free(cum);
            DAMAGE("its allocation entry has a negative count");
        }
        rt_grow((void **)&sc->al, &sc->acap, sc->nal + 1, sizeof *sc->al);
        sc->al[sc->nal++] = (ralloc){ t, next, cum, seq, off };
        rt_seg *g = seg_get(bs, seq);
        if (t > g->max_t)
            g->max_t = t;
        return 0;
    }
    case 'D': {
        int64_t t = st_rd_i64(&r);
        if (r.bad || r.p != r.end || t < 0 || t >= RT_TIME_LIMIT)
            DAMAGE("its completion entry does not parse");
        rt_grow((void **)&sc->done, &sc->dcap, sc->ndone + 1, sizeof *sc->done);
        sc->done[sc->ndone++] = t;
        rt_seg *g = seg_get(bs, seq);
        if (t > g->max_t)
            g->max_t = t;
        return 0;
    }
    case 'L': {
        int64_t ns = st_rd_i64(&r);
        if (r.bad || ns != bs->nsrc || (uint64_t)(r.end - r.p) != (uint64_t)ns * 8)
            DAMAGE("its loss entry does not parse");
        for (int64_t i = 0; i < ns; i++) {
            int64_t v = st_rd_i64(&r);
            if (v > sc->lostmark[i])
                sc->lostmark[i] = v;
        }
        return 0;
    }
    default:
        break;
    }
    DAMAGE("its entry has the unknown type 0x%02x", (unsigned char)type);
}

static bool is_done(const rscan *sc, int64_t t)
{
    for (int64_t k = 0; k < sc->ndone; k++)
        if (sc->done[k] == t)
            return true;
    return false;
}

/* Block r as a queued or batch block (its records stay in the log, or in
   the files it names). */
static rt_block recovered(rt_bstore *bs, const rblk *r, int64_t lost_upto)
{
    rt_block b = { 0 };
    b.id = r->id;
    b.n = r->n;
    b.cum = r->cum;
    b.src = (int)r->src;
    b.seg = r->seq;
    b.off = r->off;
    b.len = r->len;
    if (r->flags & F_DATA) {
        b.where = RT_BLK_WAL;
    } else if (r->nfiles > 0 && r->n > 0 && bs->can_replay && bs->can_replay(bs->replay_arg, (int)r->src)) {
        b.where = RT_BLK_FILES;   /* its source is the durable copy */
    } else {
        b.where = RT_BLK_LOST;
        if (r->id >= lost_upto)
            bs->lost = r->n > INT64_MAX - bs->lost ? INT64_MAX : bs->lost + r->n;
    }
    return b;
}

/* Spill files a dead process left: their blocks were not logged with
   their records, so nothing can use them. */
static void remove_stale_spills(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "spill-", 6) != 0)
            continue;
        char *p = path_of(dir, "%s", e->d_name);
        unlink(p);
        free(p);
    }
    closedir(d);
}

/* What recovery finds missing: batches (ranges of times) and records. */
typedef struct rloss {
    int64_t *t, n, cap;   /* pairs: first and last batch time of a range */
    int64_t recs;
    bool unknown;   /* a segment is gone: what it held is not known */
    int events;
} rloss;

static void loss_range(rloss *l, int64_t lo, int64_t hi)
{
    if (hi < lo)
        return;
    rt_grow((void **)&l->t, &l->cap, 2 * (l->n + 1), sizeof *l->t);
    l->t[2 * l->n] = lo;
    l->t[2 * l->n + 1] = hi;
    l->n++;
}

static void loss_batch(rloss *l, int64_t t)
{
    loss_range(l, t, t);
}

static void loss_recs(rloss *l, int64_t n)
{
    l->recs = n > INT64_MAX - l->recs ? INT64_MAX : l->recs + n;
}

/* A loss found: refused (-1, logged) unless --accept-loss (0). */
static int lose(rt_bstore *bs, rloss *l, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int lose(rt_bstore *bs, rloss *l, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    l->events++;
    if (bs->c->prog && bs->c->prog->opts.accept_loss) {
        if (l->events <= 10)
            rt_log(bs->c->prog, "warning", "checkpoint %s: %s", bs->dir, msg);
        return 0;
    }
    rt_log(bs->c->prog, "error", "checkpoint %s: %s; cannot recover without loss (remove the directory, "
           "or run with --accept-loss to go on with what is left)", bs->dir, msg);
    return -1;
}

static int cmp_range(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Sorts and merges the ranges (consecutive batches join); returns the
   number of batches in them. */
static int64_t loss_merge(rloss *l, int64_t batch)
{
    qsort(l->t, (size_t)l->n, 2 * sizeof *l->t, cmp_range);
    int64_t m = 0, count = 0;
    for (int64_t k = 0; k < l->n; k++) {
        int64_t lo = l->t[2 * k], hi = l->t[2 * k + 1];
        if (m > 0 && lo <= l->t[2 * m - 1] + batch) {
            if (hi > l->t[2 * m - 1])
                l->t[2 * m - 1] = hi;
            continue;
        }
        l->t[2 * m] = lo;
        l->t[2 * m + 1] = hi;
        m++;
    }
    l->n = m;
    for (int64_t k = 0; k < m; k++) {
        int64_t c = (l->t[2 * k + 1] - l->t[2 * k]) / batch + 1;
        count = c > INT64_MAX - count ? INT64_MAX : count + c;
    }
    return count;
}

/* "T1, T2..T3": the merged ranges. */
static void loss_times(st_buf *b, const rloss *l)
{
    for (int64_t k = 0; k < l->n; k++) {
        if (k)
            st_buf_puts(b, ", ");
        st_buf_int(b, l->t[2 * k]);
        if (l->t[2 * k + 1] > l->t[2 * k]) {
            st_buf_puts(b, "..");
            st_buf_int(b, l->t[2 * k + 1]);
        }
    }
}

int rt_bs_recover(rt_bstore *bs, const rt_restore *rs, rt_batch **out, int64_t *nout, int64_t *zero_ms,
                  int64_t *last_t)
{
    *out = NULL;
    *nout = 0;
    int64_t snap_t = rs && rs->found ? rs->snap_t : INT64_MIN;
    *last_t = snap_t;
    const st_context_desc *cd = bs->c->desc;
    int64_t batch = cd->batch_ms;
    int ns = bs->nsrc;
    rscan sc = { .bs = bs };
    sc.lastid = rt_xmalloc((size_t)ns * sizeof *sc.lastid + 1);
    sc.lostmark = rt_xcalloc((size_t)ns + 1, sizeof *sc.lostmark);
    for (int i = 0; i < ns; i++)
        sc.lastid[i] = -1;
    int64_t *start = rt_xcalloc((size_t)ns + 1, sizeof *start);
    int64_t *startcum = rt_xcalloc((size_t)ns + 1, sizeof *startcum);
    rloss loss = { 0 };
    int rc = 0;
    if (rs && rs->found && rs->blob.n > 0) {
        st_rd r = { rs->blob.p, rs->blob.p + rs->blob.n, false };
        int64_t bn = st_rd_i64(&r);
        bool ok = !r.bad && bn == ns;
        for (int64_t i = 0; ok && i < bn; i++) {
            start[i] = st_rd_i64(&r);
            startcum[i] = st_rd_i64(&r);
            int64_t lu = st_rd_i64(&r), nf = st_rd_i64(&r);
            ok = !r.bad && start[i] >= 0 && startcum[i] >= 0 && nf >= 0 && nf <= (r.end - r.p) / 8;
            if (ok && lu > sc.lostmark[i])
                sc.lostmark[i] = lu;
            for (int64_t f = 0; ok && f < nf; f++) {
                int64_t n = st_rd_i64(&r);
                const char *p = r.bad ? NULL : get_bytes(&r, n);
                ok = p != NULL && n > 0 && !memchr(p, '\0', (size_t)n);   /* positions hold no NUL */
                if (ok)
                    file_add(&bs->src[i], p, n);
            }
        }
        if (!ok || r.p != r.end) {
            rt_log(bs->c->prog, "error", "checkpoint %s: the runtime part of state-%020lld does not parse",
                   bs->dir, (long long)snap_t);
            rc = -1;
            goto done;
        }
    }
    remove_stale_spills(bs->dir);
    if (rs && rs->found) {
        bs->snap_t = snap_t;
        bs->snap_recs = 0;
        for (int i = 0; i < ns; i++)
            bs->snap_recs = startcum[i] > INT64_MAX - bs->snap_recs ? INT64_MAX : bs->snap_recs + startcum[i];
    }
    if (rs && rs->missing_seg) {
        loss.unknown = true;   /* reported by rt_ckpt_restore */
        loss.events++;
    }
    int64_t nseg = rs ? rs->nsegs : 0;
    for (int64_t k = 0; k < nseg && rc == 0; k++) {
        int64_t seq = rs->segs[k];
        /* a segment the manifest lists had its header synced before */
        rt_wal_scan ws = { .ident = bs->ident, .newest = k == nseg - 1, .listed = seq <= rs->max_listed };
        seg_get(bs, seq);   /* even an empty one, so that it is pruned */
        sc.bad = false;
        int r = rt_wal_scan_segment(bs->dir, seq, &ws, scan_entry, &sc);
        if (ws.foreign || sc.foreign_batch) {
            if (ws.foreign)
                rt_log(bs->c->prog, "error", "checkpoint %s was written by a different program; remove it or "
                       "choose another directory", bs->dir);
            else
                rt_log(bs->c->prog, "error", "checkpoint %s: log-%010lld: %s; remove it or choose another "
                       "directory", bs->dir, (long long)seq, sc.why);
            rc = -1;
            break;
        }
        if (r != 0) {
            rc = lose(bs, &loss, "log-%010lld is damaged at offset %lld: %s; what follows it in the "
                      "segment is not read", (long long)seq, (long long)ws.at,
                      sc.bad ? sc.why : ws.why);
            loss.unknown = true;
            continue;
        }
        if (ws.newest && ws.torn > 0 && ws.end < RT_WAL_HEADER) {
            /* started as the process died: not even its header is whole */
            rt_wal_remove(bs->dir, seq);
            seg_drop(bs, seq);
        } else if (ws.newest && ws.torn > 0) {
            rt_log(bs->c->prog, "note", "checkpoint %s: log-%010lld ends in %lld bytes of a partial entry "
                   "(written as the process died, never synced); ignored", bs->dir, (long long)seq,
                   (long long)ws.torn);
            /* an old segment from now on: whole */
            if (rt_wal_seal(bs->dir, seq, ws.end) != 0) {
                rt_log(bs->c->prog, "error", "checkpoint %s: cannot seal log-%010lld: %s", bs->dir,
                       (long long)seq, strerror(errno));
                rc = -1;
            }
        }
    }
    if (rc != 0)
        goto done;
    if (sc.have_zero)
        *zero_ms = sc.zero_ms;
    int64_t zero = rs && rs->found ? rs->snap_zero : sc.have_zero ? sc.zero_ms : INT64_MIN;

    /* the batches after the snapshot: consecutive, from the one after it */
    int64_t first_a = 0;
    while (first_a < sc.nal && sc.al[first_a].t <= snap_t)
        first_a++;
    for (int64_t a = 0; a < sc.nal; a++)
        if (sc.al[a].t > *last_t)
            *last_t = sc.al[a].t;
    int64_t expect = snap_t != INT64_MIN ? snap_t + batch : zero != INT64_MIN ? zero + batch : INT64_MIN;
    if (expect == INT64_MIN && first_a < sc.nal)
        expect = sc.al[first_a].t;
    bool *gap = rt_xcalloc((size_t)(sc.nal - first_a) + 1, sizeof *gap);
    for (int64_t a = first_a; a < sc.nal && rc == 0; a++) {
        const ralloc *al = &sc.al[a];
        if (zero != INT64_MIN && (al->t - zero) % batch != 0) {
            rc = lose(bs, &loss, "log-%010lld at offset %lld allocates a batch at %lld ms, which is not a "
                      "batch time", (long long)al->seq, (long long)al->off, (long long)al->t);
            continue;
        }
        if (al->t > expect) {
            rc = lose(bs, &loss, "the log holds no allocation of the batch%s from %lld ms to %lld ms (log-%010lld "
                      "at offset %lld allocates the batch at %lld ms next)", al->t - expect > batch ? "es" : "",
                      (long long)expect, (long long)(al->t - batch), (long long)al->seq, (long long)al->off,
                      (long long)al->t);
            loss_range(&loss, expect, al->t - batch);
            gap[a - first_a] = true;   /* blocks missing before it were the gap's */
        }
        expect = al->t + batch;
    }
    if (rc == 0 && rs && rs->fallback && rs->lost_from != INT64_MIN && expect <= rs->lost_from) {
        /* the unusable snapshot's batches are not in the log either */
        rc = lose(bs, &loss, "the log holds no allocation of the batches from %lld ms to %lld ms, which only "
                  "the unusable snapshot state-%020lld covered", (long long)expect, (long long)rs->lost_from,
                  (long long)rs->lost_from);
        loss_range(&loss, expect, rs->lost_from);
        if (rs->committed_recs >= 0) {
            int64_t have = 0;
            for (int i = 0; i < ns; i++)
                have = startcum[i] > INT64_MAX - have ? INT64_MAX : have + startcum[i];
            int64_t logged = 0;
            for (int64_t k = 0; k < sc.nblk; k++)
                if (sc.blk[k].id >= start[sc.blk[k].src])
                    logged = sc.blk[k].n > INT64_MAX - logged ? INT64_MAX : logged + sc.blk[k].n;
            if (rs->committed_recs - have > logged)
                loss.recs = rs->committed_recs - have - logged;
        }
    }
    if (rc != 0) {
        free(gap);
        goto done;
    }

    int64_t nal = sc.nal - first_a, outcap = 0;
    rt_grow((void **)out, &outcap, nal + 1, sizeof **out);
    for (int64_t a = 0; a < nal; a++) {
        batch_alloc(&(*out)[a], ns, sc.al[first_a + a].t);
        (*out)[a].done = is_done(&sc, sc.al[first_a + a].t);
    }
    *nout = nal;
    int64_t *bcap = rt_xcalloc((size_t)nal + 1, sizeof *bcap);
    for (int i = 0; i < ns && rc == 0; i++) {
        rt_bsrc *s = &bs->src[i];
        const char *sname = cd->sources[i].name;
        int64_t k = 0, exp_id = start[i], exp_cum = startcum[i];
        memset(bcap, 0, sizeof *bcap * (size_t)(nal + 1));
        for (int64_t a = 0; a <= nal && rc == 0; a++) {
            const ralloc *al = a < nal ? &sc.al[first_a + a] : NULL;
            int64_t hi = al ? (al->next[i] > exp_id ? al->next[i] : exp_id) : INT64_MAX;
            for (; k < sc.nblk && rc == 0; k++) {
                const rblk *r = &sc.blk[k];
                if (r->src != i || r->id < start[i])
                    continue;
                if (r->id >= hi)
                    break;
                if (r->id > exp_id || r->cum - r->n != exp_cum) {
                    int64_t gone = r->cum - r->n - exp_cum;
                    if (r->id == exp_id || gone < 0) {
                        rc = lose(bs, &loss, "log-%010lld at offset %lld: block %lld of source '%s' says %lld "
                                  "records came before it, the blocks before it hold %lld", (long long)r->seq,
                                  (long long)r->off, (long long)r->id, sname, (long long)(r->cum - r->n),
                                  (long long)exp_cum);
                        loss.unknown = true;
                    } else {
                        rc = lose(bs, &loss, "blocks %lld..%lld of source '%s' (%lld records) are not in the log; "
                                  "log-%010lld at offset %lld holds block %lld next", (long long)exp_id,
                                  (long long)(r->id - 1), sname, (long long)gone, (long long)r->seq,
                                  (long long)r->off, (long long)r->id);
                        loss_recs(&loss, gone);
                        if (al && !gap[a])
                            loss_batch(&loss, al->t);
                    }
                }
                rt_block b = recovered(bs, r, sc.lostmark[i]);
                if (al) {
                    rt_batch *bt = &(*out)[a];
                    rt_grow((void **)&bt->blocks[i], &bcap[a], bt->nblocks[i] + 1, sizeof *bt->blocks[i]);
                    bt->blocks[i][bt->nblocks[i]++] = b;
                    allocated(bs, r->seq, al->t);
                } else {
                    rt_grow((void **)&s->q, &s->cap, s->n + 1, sizeof *s->q);
                    s->q[s->n++] = b;
                }
                exp_id = r->id + 1;
                exp_cum = r->cum;
            }
            if (!al || rc != 0)
                break;
            if (exp_id < hi || al->cum[i] != exp_cum) {
                int64_t gone = al->cum[i] - exp_cum;
                if (gone < 0 || (exp_id == hi && gone != 0)) {
                    rc = lose(bs, &loss, "log-%010lld at offset %lld: the batch at %lld ms says source '%s' had "
                              "%lld records through it, its blocks hold %lld", (long long)al->seq,
                              (long long)al->off, (long long)al->t, sname, (long long)al->cum[i],
                              (long long)exp_cum);
                    loss.unknown = true;
                } else {
                    rc = lose(bs, &loss, "the batch at %lld ms (log-%010lld at offset %lld) names blocks %lld..%lld "
                              "of source '%s' (%lld records), which are not in the log", (long long)al->t,
                              (long long)al->seq, (long long)al->off, (long long)exp_id, (long long)(hi - 1),
                              sname, (long long)gone);
                    loss_recs(&loss, gone);
                    if (!gap[a])
                        loss_batch(&loss, al->t);
                }
            }
            exp_id = hi;
            exp_cum = al->cum[i] > exp_cum ? al->cum[i] : exp_cum;
            (*out)[a].next[i] = hi;
            (*out)[a].cum[i] = exp_cum;
        }
        if (exp_id > s->next_id)
            s->next_id = exp_id;
        if (sc.lastid[i] + 1 > s->next_id)
            s->next_id = sc.lastid[i] + 1;
        if (start[i] > s->next_id)
            s->next_id = start[i];
        s->recs = exp_cum;
        for (int64_t q = 0; q < s->n; q++)
            if (s->q[q].cum > s->recs)
                s->recs = s->q[q].cum;
        s->taken = nal > 0 ? (*out)[nal - 1].next[i] : start[i];
        s->lost_upto = s->next_id;
    }
    free(bcap);
    free(gap);
    /* blocks before the snapshot's allocation point are in batches it covers */
    for (int64_t k = 0; k < sc.nblk; k++)
        if (sc.blk[k].id < start[sc.blk[k].src])
            allocated(bs, sc.blk[k].seq, snap_t);
    if (rc != 0)
        goto done;
    if (loss.events > 0) {
        st_buf m = { 0 };
        st_buf_puts(&m, "context '");
        st_buf_puts(&m, cd->name);
        st_buf_puts(&m, "': recovery accepted a loss (--accept-loss): ");
        int64_t nlost = loss.n > 0 ? loss_merge(&loss, batch) : 0;
        if (nlost == 0 && loss.recs == 0 && loss.unknown) {
            st_buf_puts(&m, "what the damaged or missing log held is lost (not known)");
        } else if (nlost > 0) {
            st_buf_int(&m, nlost);
            st_buf_puts(&m, nlost == 1 ? " batch lost (at " : " batches lost (at ");
            loss_times(&m, &loss);
            st_buf_puts(&m, " ms), ");
        } else {
            st_buf_puts(&m, "no batch lost, ");
        }
        if (nlost > 0 || loss.recs > 0 || !loss.unknown) {
            st_buf_int(&m, loss.recs);
            st_buf_puts(&m, loss.recs == 1 ? " record lost" : " records lost");
        }
        if ((nlost > 0 || loss.recs > 0) && loss.unknown)
            st_buf_puts(&m, ", and what the damaged or missing log held (not known)");
        st_buf_putc(&m, '\0');
        rt_log(bs->c->prog, "warning", "%s", m.p);
        st_buf_free(&m);
    }
    if (bs->lost > 0)
        rt_log(bs->c->prog, "warning", "checkpoint %s: %lld records received before the restart were "
               "not logged (their sources' storage levels have no _2) and are lost", bs->dir,
               (long long)bs->lost);
done:
    if (rc != 0) {
        for (int64_t a = 0; a < *nout; a++)
            rt_bs_release(NULL, &(*out)[a]);
        free(*out);
        *out = NULL;
        *nout = 0;
    }
    for (int64_t a = 0; a < sc.nal; a++) {
        free(sc.al[a].next);
        free(sc.al[a].cum);
    }
    free(sc.al);
    free(sc.blk);
    free(sc.done);
    free(sc.lastid);
    free(sc.lostmark);
    free(start);
    free(startcum);
    free(loss.t);
    return rc;
}
