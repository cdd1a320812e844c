/* blockstore.c: a context's received blocks from the moment a receiver
 * seals them until their batch has run (see rt_internal.h).
 *
 * The log (wal.c) of a checkpoint directory holds four kinds of entry:
 *   'Z' zero_ms, batch_ms      at the start of every segment
 *   'B' a block: source, id, flags, records, the files it holds whole,
 *       and, under a _2 storage level, the records themselves
 *   'A' a batch: time, then per source the id below which every block is
 *       in this batch or an earlier one
 *   'D' a batch's outputs have all completed: time
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
    int64_t src, id, flags, n, nfiles;
} bhead;

/* Reads a 'B' header; with files, calls add(arg, src, name) per file. */
static bool decode_head(st_rd *r, bhead *h, void (*add)(void *, int64_t, const char *, int64_t), void *arg)
{
    h->src = st_rd_i64(r);
    h->id = st_rd_i64(r);
    h->flags = st_rd_i64(r);
    h->n = st_rd_i64(r);
    h->nfiles = st_rd_i64(r);
    if (r->bad || h->n < 0 || h->nfiles < 0 || h->id < 0)
        return false;
    for (int64_t f = 0; f < h->nfiles; f++) {
        int64_t n = st_rd_i64(r);
        const char *p = get_bytes(r, n);
        if (!p)
            return false;
        if (add)
            add(arg, h->src, p, n);
    }
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
        return !r.bad;
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
        if (len > total - at)
            return false;
        b->offs[2 * k] = (int64_t)at;
        b->offs[2 * k + 1] = (int64_t)len;
        at += len;
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
static int wal_put(rt_bstore *bs, char type, const void *p, size_t n, int64_t *seq, int64_t *off)
{
    int rc = rt_wal_append(&bs->wal, type, p, n, seq, off);
    if (rc == 0)
        atomic_fetch_add_explicit(&bs->c->wal_bytes, (long long)n, memory_order_relaxed);
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
    }
    free(bs->src);
    free(bs->segs);
    if (bs->logging)
        rt_wal_close(&bs->wal);
    remove_spill_dir(bs);
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
    *g = (rt_seg){ seq, 0, INT64_MIN };
    return g;
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
        if (strncmp(f, p, n) == 0 && f[n] == '\0')
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

int rt_bs_start_log(rt_bstore *bs, int64_t zero_ms)
{
    if (!bs->dir)
        return 0;
    int64_t *segs, n = rt_wal_segments(bs->dir, &segs);
    int64_t seq = n ? segs[n - 1] + 1 : 0;
    free(segs);
    if (rt_wal_open(&bs->wal, bs->dir, seq) != 0) {
        rt_log(bs->c->prog, "error", "checkpoint %s: cannot start a log segment: %s", bs->dir,
               strerror(errno));
        return -1;
    }
    bs->logging = true;
    seg_get(bs, seq);
    st_buf z = { 0 };
    st_ser_i64(&z, zero_ms);
    st_ser_i64(&z, bs->c->desc->batch_ms);
    int rc = wal_put(bs, 'Z', z.p, z.n, NULL, NULL);
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
    bool ints = d->kind == ST_SRC_RATE, repl = (d->storage & ST_STORE_REPL) != 0;
    size_t size = ints ? (size_t)b->n * sizeof *b->ints
                       : (size_t)block_bytes(b) + (size_t)b->n * 2 * sizeof *b->offs;
    int rc = 0;
    pthread_mutex_lock(&bs->mu);
    rt_bsrc *s = &bs->src[i];
    b->id = s->next_id++;
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

static int log_time(rt_bstore *bs, char type, int64_t t, const int64_t *next)
{
    st_buf e = { 0 };
    st_ser_i64(&e, t);
    if (next) {
        st_ser_i64(&e, bs->nsrc);
        for (int i = 0; i < bs->nsrc; i++)
            st_ser_i64(&e, next[i]);
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
    }
    int rc = bs->logging ? log_time(bs, 'A', time_ms, out->next) : 0;
    pthread_mutex_unlock(&bs->mu);
    return rc;
}

int rt_bs_sync(rt_bstore *bs)
{
    if (!bs->logging || rt_wal_sync(&bs->wal) == 0)
        return 0;
    rt_log(bs->c->prog, "error", "checkpoint %s: syncing the log: %s", bs->dir, strerror(errno));
    return -1;
}

static int load_block(rt_bstore *bs, int i, rt_block *b)
{
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
            if ((x->where == RT_BLK_WAL || x->where == RT_BLK_SPILL) && x->n > 0 && load_block(bs, i, x) != 0) {
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
    free(b->inputs);
    free(b->bl);
    memset(b, 0, sizeof *b);
}

int rt_bs_done(rt_bstore *bs, int64_t time_ms)
{
    if (!bs->logging)
        return 0;
    pthread_mutex_lock(&bs->mu);
    int rc = log_time(bs, 'D', time_ms, NULL);
    pthread_mutex_unlock(&bs->mu);
    return rc;
}

void rt_bs_blob(rt_bstore *bs, const rt_batch *b, st_buf *out)
{
    pthread_mutex_lock(&bs->mu);
    st_ser_i64(out, bs->nsrc);
    for (int i = 0; i < bs->nsrc; i++) {
        const rt_bsrc *s = &bs->src[i];
        st_ser_i64(out, b->next[i]);
        st_ser_i64(out, s->nfiles);
        for (int64_t f = 0; f < s->nfiles; f++) {
            int64_t n = (int64_t)strlen(s->files[f]);
            st_ser_i64(out, n);
            st_buf_put(out, s->files[f], (size_t)n);
        }
    }
    pthread_mutex_unlock(&bs->mu);
}

void rt_bs_prune(rt_bstore *bs, int64_t t)
{
    if (!bs->logging)
        return;
    pthread_mutex_lock(&bs->mu);
    int64_t old;
    if (rt_wal_roll(&bs->wal, &old) != 0) {
        rt_log(bs->c->prog, "warning", "checkpoint %s: cannot start a new log segment: %s", bs->dir,
               strerror(errno));
    } else {
        int64_t cur = rt_wal_seq(&bs->wal);
        seg_get(bs, cur);
        int64_t keep = 0;
        for (int64_t k = 0; k < bs->nsegs; k++) {
            rt_seg g = bs->segs[k];
            if (g.seq < cur && g.unalloc <= 0 && g.max_t <= t && rt_wal_remove(bs->dir, g.seq) == 0)
                continue;
            bs->segs[keep++] = g;
        }
        bs->nsegs = keep;
    }
    pthread_mutex_unlock(&bs->mu);
}

/* ---- recovery ----------------------------------------------------------- */

typedef struct rblk {
    int64_t src, id, flags, n, seq, off, len;
} rblk;

typedef struct ralloc {
    int64_t t, *next;
} ralloc;

typedef struct rscan {
    rt_bstore *bs;
    rblk *blk;
    int64_t nblk, bcap;
    ralloc *al;
    int64_t nal, acap;
    int64_t *done;
    int64_t ndone, dcap;
    int64_t zero_ms;
    bool have_zero, bad;
} rscan;

static void scan_file(void *arg, int64_t src, const char *p, int64_t n)
{
    rt_bstore *bs = arg;
    if (src >= 0 && src < bs->nsrc)
        file_add(&bs->src[src], p, n);
}

static int scan_entry(void *arg, char type, const char *p, size_t n, int64_t seq, int64_t off)
{
    rscan *sc = arg;
    rt_bstore *bs = sc->bs;
    st_rd r = { p, p + n, false };
    switch (type) {
    case 'Z': {
        int64_t z = st_rd_i64(&r), batch = st_rd_i64(&r);
        if (r.bad)
            break;
        if (batch != bs->c->desc->batch_ms) {
            rt_log(bs->c->prog, "error", "checkpoint %s was written with a batch interval of %lld ms, "
                   "not %lld ms; remove it or choose another directory", bs->dir, (long long)batch,
                   (long long)bs->c->desc->batch_ms);
            sc->bad = true;
            return 1;
        }
        sc->zero_ms = z;
        sc->have_zero = true;
        return 0;
    }
    case 'B': {
        bhead h;
        if (!decode_head(&r, &h, scan_file, bs) || h.src < 0 || h.src >= bs->nsrc)
            break;
        rt_grow((void **)&sc->blk, &sc->bcap, sc->nblk + 1, sizeof *sc->blk);
        sc->blk[sc->nblk++] = (rblk){ h.src, h.id, h.flags, h.n, seq, off, (int64_t)n };
        seg_get(bs, seq)->unalloc++;
        return 0;
    }
    case 'A': {
        int64_t t = st_rd_i64(&r), ns = st_rd_i64(&r);
        if (r.bad || ns != bs->nsrc)
            break;
        int64_t *next = rt_xcalloc((size_t)ns + 1, sizeof *next);
        for (int64_t i = 0; i < ns; i++)
            next[i] = st_rd_i64(&r);
        if (r.bad) {
            free(next);
            break;
        }
        rt_grow((void **)&sc->al, &sc->acap, sc->nal + 1, sizeof *sc->al);
        sc->al[sc->nal++] = (ralloc){ t, next };
        rt_seg *g = seg_get(bs, seq);
        if (t > g->max_t)
            g->max_t = t;
        return 0;
    }
    case 'D': {
        int64_t t = st_rd_i64(&r);
        if (r.bad)
            break;
        rt_grow((void **)&sc->done, &sc->dcap, sc->ndone + 1, sizeof *sc->done);
        sc->done[sc->ndone++] = t;
        rt_seg *g = seg_get(bs, seq);
        if (t > g->max_t)
            g->max_t = t;
        return 0;
    }
    default:
        break;
    }
    rt_log(bs->c->prog, "warning", "checkpoint %s: log-%010lld: entry at %lld does not parse; skipped",
           bs->dir, (long long)seq, (long long)off);
    return 0;
}

static bool is_done(const rscan *sc, int64_t t)
{
    for (int64_t k = 0; k < sc->ndone; k++)
        if (sc->done[k] == t)
            return true;
    return false;
}

/* Block r as a queued or batch block (its records stay in the log). */
static rt_block recovered(rt_bstore *bs, const rblk *r)
{
    rt_block b = { 0 };
    b.id = r->id;
    b.n = r->n;
    b.seg = r->seq;
    b.off = r->off;
    b.len = r->len;
    if (r->flags & F_DATA) {
        b.where = RT_BLK_WAL;
    } else {
        b.where = RT_BLK_LOST;
        bs->lost += r->n;
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

int rt_bs_recover(rt_bstore *bs, const st_buf *blob, int64_t snap_t, rt_batch **out,
                  int64_t *nout, int64_t *zero_ms, int64_t *last_t)
{
    *out = NULL;
    *nout = 0;
    *last_t = snap_t;
    rscan sc = { .bs = bs };
    int64_t *start = rt_xcalloc((size_t)bs->nsrc + 1, sizeof *start);
    int rc = 0;
    if (blob && blob->n > 0) {
        st_rd r = { blob->p, blob->p + blob->n, false };
        int64_t ns = st_rd_i64(&r);
        for (int64_t i = 0; !r.bad && i < ns; i++) {
            int64_t next = st_rd_i64(&r), nf = st_rd_i64(&r);
            if (i < bs->nsrc)
                start[i] = next;
            for (int64_t f = 0; !r.bad && f < nf; f++) {
                int64_t n = st_rd_i64(&r);
                const char *p = get_bytes(&r, n);
                if (p && i < bs->nsrc)
                    file_add(&bs->src[i], p, n);
            }
        }
        if (r.bad || ns != bs->nsrc) {
            rt_log(bs->c->prog, "error", "checkpoint %s: the snapshot's runtime part does not parse",
                   bs->dir);
            free(start);
            return -1;
        }
    }
    remove_stale_spills(bs->dir);
    int64_t *segs, nseg = rt_wal_segments(bs->dir, &segs);
    for (int64_t k = 0; k < nseg && !sc.bad; k++) {
        int64_t bad_at;
        seg_get(bs, segs[k]);   /* even an empty one, so that it is pruned */
        if (rt_wal_scan_segment(bs->dir, segs[k], scan_entry, &sc, &bad_at) < 0 && !sc.bad) {
            rt_log(bs->c->prog, "error", "checkpoint %s: cannot read log-%010lld: %s", bs->dir,
                   (long long)segs[k], strerror(errno));
            sc.bad = true;
        }
        if (bad_at >= 0)
            rt_log(bs->c->prog, "warning", "checkpoint %s: log-%010lld is damaged at offset %lld; "
                   "its later entries are ignored", bs->dir, (long long)segs[k], (long long)bad_at);
    }
    free(segs);
    if (sc.bad) {
        rc = -1;
        goto done;
    }
    if (sc.have_zero)
        *zero_ms = sc.zero_ms;
    /* blocks by (source, id): the log has each source's in id order */
    int64_t *cur = rt_xcalloc((size_t)bs->nsrc + 1, sizeof *cur), outcap = 0;
    int64_t *bcap = rt_xcalloc((size_t)bs->nsrc + 1, sizeof *bcap);
    for (int64_t k = 0; k < sc.nblk; k++) {
        const rblk *r = &sc.blk[k];
        if (r->id + 1 > bs->src[r->src].next_id)
            bs->src[r->src].next_id = r->id + 1;
    }
    for (int i = 0; i < bs->nsrc; i++) {
        if (start[i] > bs->src[i].next_id)
            bs->src[i].next_id = start[i];
        cur[i] = start[i];
    }
    /* blocks before the snapshot's allocation point are in batches it covers */
    for (int64_t k = 0; k < sc.nblk; k++)
        if (sc.blk[k].id < start[sc.blk[k].src])
            allocated(bs, sc.blk[k].seq, snap_t);
    for (int64_t a = 0; a < sc.nal; a++) {
        const ralloc *al = &sc.al[a];
        if (al->t > *last_t)
            *last_t = al->t;
        if (al->t <= snap_t)
            continue;
        rt_grow((void **)out, &outcap, *nout + 1, sizeof **out);
        rt_batch *b = &(*out)[(*nout)++];
        batch_alloc(b, bs->nsrc, al->t);
        memset(bcap, 0, sizeof *bcap * (size_t)bs->nsrc);
        b->done = is_done(&sc, al->t);
        for (int i = 0; i < bs->nsrc; i++) {
            int64_t hi = al->next[i] > cur[i] ? al->next[i] : cur[i];
            for (int64_t k = 0; k < sc.nblk; k++) {
                const rblk *r = &sc.blk[k];
                if (r->src != i || r->id < cur[i] || r->id >= hi)
                    continue;
                rt_grow((void **)&b->blocks[i], &bcap[i], b->nblocks[i] + 1, sizeof *b->blocks[i]);
                b->blocks[i][b->nblocks[i]++] = recovered(bs, r);
                allocated(bs, r->seq, al->t);
            }
            cur[i] = hi;
            b->next[i] = hi;
        }
    }
    /* what no batch took goes into the next one */
    for (int64_t k = 0; k < sc.nblk; k++) {
        const rblk *r = &sc.blk[k];
        rt_bsrc *s = &bs->src[r->src];
        if (r->id < cur[r->src])
            continue;
        rt_grow((void **)&s->q, &s->cap, s->n + 1, sizeof *s->q);
        s->q[s->n++] = recovered(bs, r);
    }
    for (int i = 0; i < bs->nsrc; i++)
        bs->src[i].taken = cur[i];
    free(cur);
    free(bcap);
    if (bs->lost > 0)
        rt_log(bs->c->prog, "warning", "checkpoint %s: %lld records received before the restart were "
               "not logged (their sources' storage levels have no _2) and are lost", bs->dir,
               (long long)bs->lost);
done:
    for (int64_t a = 0; a < sc.nal; a++)
        free(sc.al[a].next);
    free(sc.al);
    free(sc.blk);
    free(sc.done);
    free(start);
    return rc;
}
