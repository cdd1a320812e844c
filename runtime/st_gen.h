/* st_gen.h: the type-generic part of the generated C, instantiated by
 * macros (as st_map.h is for keyed-stage maps).
 *
 * The generated program includes this header after streamrt.h and
 * st_map.h and prints only what depends on the program: each of its
 * types is one macro line here (ST_GEN_STRING(1), ST_GEN_PAIR(7, 1, 2),
 * ...) that defines sc_T<id> and its typed static inline functions
 * sc_hash_<id>, sc_eq_<id>, sc_fmt_<id>, sc_copy_<id>, sc_ser_<id>,
 * sc_de_<id>, sc_cmp_<id> (and the untyped sc_fmtv_<id>, sc_cmpv_<id>,
 * sc_tostr_<id>). Everything is a static inline function specialised for
 * its type, so a per-record loop makes no call through a pointer.
 *
 * The helpers of the stage driver (splitting a batch's output, the tasks
 * of a keyed stage, reading checkpoints) live here too.
 */
#ifndef ST_GEN_H
#define ST_GEN_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "streamrt.h"
#include "st_map.h"

#define SC_UNUSED __attribute__((unused))
/* keyed state is split in this many shards, updated in parallel */
#define SC_SHARDS 8
/* at most this many key partitions per worker in keyed stages */
#define SC_MAX_PARTS 64

/* ---- stage driver helpers ---------------------------------------------- */

/* float -> int as Java's (long) cast: saturating, NaN -> 0 */
static inline int64_t sc_f2i(double v)
{
    if (v != v)
        return 0;
    if (v >= 9223372036854775807.0)
        return INT64_MAX;
    if (v <= -9223372036854775808.0)
        return INT64_MIN;
    return (int64_t)v;
}

static inline int64_t sc_ds_count(const st_ds *d)
{
    int64_t n = 0;
    for (int p = 0; p < d->nparts; p++)
        n += d->parts[p].n;
    return n;
}

/* Makes d hold total elements in nout equal chunks (slots to fill). */
static inline void sc_split_n(st_ds *d, int64_t total, int64_t nout, size_t elsz, st_arena *ar)
{
    if (nout < 1)
        nout = 1;
    int64_t chunk = (total + nout - 1) / nout;
    d->nparts = (int)nout;
    d->parts = st_arena_alloc(ar, sizeof(st_part) * (size_t)nout);
    for (int64_t k = 0; k < nout; k++) {
        int64_t lo = k * chunk, hi = lo + chunk < total ? lo + chunk : total;
        d->parts[k].n = hi > lo ? hi - lo : 0;
        d->parts[k].cap = chunk;
        d->parts[k].data = chunk ? st_arena_alloc(ar, elsz * (size_t)chunk) : NULL;
    }
}

/* As sc_split_n with the partition count chosen from the size. */
static inline void sc_split_out(st_ds *d, int64_t total, int64_t workers, size_t elsz, st_arena *ar)
{
    if (total == 0) {
        d->nparts = 0;
        d->parts = NULL;
        return;
    }
    sc_split_n(d, total, total >= 4096 && workers > 1 ? workers : 1, elsz, ar);
}

/* The tasks of a keyed stage: ranges of d's partitions, one per
 * partition for one worker; for more, small enough that the workers
 * stay busy to the end (blocks are few and uneven). In order, so a
 * range's index orders its records' stamps. */
typedef struct sc_rng {
    int part;
    int64_t lo, hi;
} sc_rng;

static inline sc_rng *sc_ranges(const st_ds *d, int nw, st_arena *ar, int *nt)
{
    int64_t chunk = INT64_MAX, n = 0;
    if (nw > 1) {
        chunk = sc_ds_count(d) / ((int64_t)nw * 8);
        if (chunk < 256)
            chunk = 256;
    }
    for (int p = 0; p < d->nparts; p++)
        n += d->parts[p].n > chunk ? (d->parts[p].n + chunk - 1) / chunk : 1;
    sc_rng *r = st_arena_alloc(ar, sizeof *r * (size_t)(n + 1));
    int k = 0;
    for (int p = 0; p < d->nparts; p++) {
        int64_t lo = 0, pn = d->parts[p].n;
        do {
            int64_t hi = pn - lo > chunk ? lo + chunk : pn;
            r[k++] = (sc_rng){ p, lo, hi };
            lo = hi;
        } while (lo < pn);
    }
    *nt = k;
    return r;
}

static inline void *sc_out_slot(st_ds *d, int64_t q, size_t elsz)
{
    int64_t chunk = d->parts[0].cap;
    return (char *)d->parts[q / chunk].data + (size_t)(q % chunk) * elsz;
}

/* checkpoints: a count of elements that each take at least 8 bytes */
static inline int64_t sc_rd_count(st_rd *r)
{
    int64_t n = st_rd_i64(r);
    if (n < 0 || n > (r->end - r->p) / 8) {
        r->bad = true;
        return 0;
    }
    return n;
}

/* floats are equal as Spark's boxed Double: bit for bit, NaN equal */
static inline bool sc_feq(double a, double b)
{
    return (a == b && signbit(a) == signbit(b)) || (a != a && b != b);
}

/* ---- types ---------------------------------------------------------------
 * The type-generic functions of every type: the untyped forms (for the
 * runtime's tables) and toString through sc_fmt_<id>. */
#define ST_GEN_COMMON(ID)                                                                          \
    static SC_UNUSED void sc_fmtv_##ID(st_buf *b, const void *v) { sc_fmt_##ID(b, (const sc_T##ID *)v); } \
    static SC_UNUSED st_str sc_tostr_##ID(st_arena *a, sc_T##ID v)                                 \
    {                                                                                              \
        st_buf b = { 0 };                                                                          \
        sc_fmt_##ID(&b, &v);                                                                       \
        st_str s = st_arena_strdup(a, (st_str){ b.p, (int64_t)b.n });                              \
        st_buf_free(&b);                                                                           \
        return s;                                                                                  \
    }                                                                                              \
    static SC_UNUSED int sc_cmpv_##ID(const void *a, const void *b)                                \
    {                                                                                              \
        return sc_cmp_##ID(*(const sc_T##ID *)a, *(const sc_T##ID *)b);                            \
    }

/* a scalar: C type CT, and the runtime's function for each operation */
#define ST_GEN_SCALAR_(ID, CT, HASH, EQ, FMT, SER, DE, CMP)                                        \
    typedef CT sc_T##ID;                                                                           \
    static inline uint64_t sc_hash_##ID(sc_T##ID v, uint64_t seed) { return HASH; }                \
    static inline bool sc_eq_##ID(sc_T##ID a, sc_T##ID b) { return EQ; }                           \
    static SC_UNUSED void sc_fmt_##ID(st_buf *b, const sc_T##ID *v) { FMT; }                       \
    static SC_UNUSED void sc_ser_##ID(st_buf *b, const sc_T##ID *v) { SER; }                       \
    static SC_UNUSED void sc_de_##ID(st_rd *r, st_arena *a, sc_T##ID *v) { (void)a; DE; }          \
    static SC_UNUSED int sc_cmp_##ID(sc_T##ID a, sc_T##ID b) { CMP; }

#define ST_GEN_NOCOPY_(ID)                                                                         \
    static inline sc_T##ID sc_copy_##ID(st_arena *a, sc_T##ID v) { (void)a; return v; }

#define ST_GEN_STRING(ID)                                                                          \
    ST_GEN_SCALAR_(ID, st_str, st_hash_str(v, seed), st_str_eq(a, b), st_buf_str(b, *v),         \
                   st_ser_str(b, *v), *v = st_rd_str(r, a),                                        \
                   int c = st_str_cmp(a, b); return (c > 0) - (c < 0))                             \
    static inline sc_T##ID sc_copy_##ID(st_arena *a, sc_T##ID v) { return st_arena_strdup(a, v); } \
    ST_GEN_COMMON(ID)

#define ST_GEN_INT(ID)                                                                             \
    ST_GEN_SCALAR_(ID, int64_t, st_hash_int(v, seed), a == b, st_buf_int(b, *v),                  \
                   st_ser_i64(b, *v), *v = st_rd_i64(r), return (a > b) - (a < b))                 \
    ST_GEN_NOCOPY_(ID)                                                                             \
    ST_GEN_COMMON(ID)

#define ST_GEN_FLOAT(ID)                                                                           \
    ST_GEN_SCALAR_(ID, double, st_hash_float(v, seed), sc_feq(a, b), st_buf_float(b, *v),         \
                   st_ser_f64(b, *v), *v = st_rd_f64(r), return (a > b) - (a < b))                 \
    ST_GEN_NOCOPY_(ID)                                                                             \
    ST_GEN_COMMON(ID)

#define ST_GEN_BOOL(ID)                                                                            \
    ST_GEN_SCALAR_(ID, bool, st_hash_int(v ? 1 : 0, seed), a == b, st_buf_bool(b, *v),            \
                   st_ser_i64(b, *v ? 1 : 0), *v = st_rd_i64(r) != 0, return (a > b) - (a < b))    \
    ST_GEN_NOCOPY_(ID)                                                                             \
    ST_GEN_COMMON(ID)

/* Option[A]: None or Some(v), printed as Scala does */
#define ST_GEN_OPTION(ID, A)                                                                       \
    typedef struct sc_T##ID {                                                                      \
        bool some;                                                                                 \
        sc_T##A v;                                                                                 \
    } sc_T##ID;                                                                                    \
    static inline uint64_t sc_hash_##ID(sc_T##ID v, uint64_t seed)                                \
    {                                                                                              \
        return v.some ? sc_hash_##A(v.v, seed + 1) : st_hash_int(0, seed);                         \
    }                                                                                              \
    static inline bool sc_eq_##ID(sc_T##ID a, sc_T##ID b)                                          \
    {                                                                                              \
        return a.some == b.some && (!a.some || sc_eq_##A(a.v, b.v));                               \
    }                                                                                              \
    static SC_UNUSED void sc_fmt_##ID(st_buf *b, const sc_T##ID *v)                                \
    {                                                                                              \
        if (v->some) {                                                                             \
            st_buf_puts(b, "Some(");                                                               \
            sc_fmt_##A(b, &v->v);                                                                  \
            st_buf_putc(b, ')');                                                                   \
        } else                                                                                     \
            st_buf_puts(b, "None");                                                                \
    }                                                                                              \
    static inline sc_T##ID sc_copy_##ID(st_arena *a, sc_T##ID v)                                   \
    {                                                                                              \
        if (v.some)                                                                                \
            v.v = sc_copy_##A(a, v.v);                                                             \
        return v;                                                                                  \
    }                                                                                              \
    static SC_UNUSED void sc_ser_##ID(st_buf *b, const sc_T##ID *v)                                \
    {                                                                                              \
        st_ser_i64(b, v->some ? 1 : 0);                                                            \
        if (v->some)                                                                               \
            sc_ser_##A(b, &v->v);                                                                  \
    }                                                                                              \
    static SC_UNUSED void sc_de_##ID(st_rd *r, st_arena *a, sc_T##ID *v)                           \
    {                                                                                              \
        memset(v, 0, sizeof *v);                                                                   \
        v->some = st_rd_i64(r) != 0;                                                               \
        if (v->some)                                                                               \
            sc_de_##A(r, a, &v->v);                                                                \
    }                                                                                              \
    static SC_UNUSED int sc_cmp_##ID(sc_T##ID a, sc_T##ID b)                                       \
    {                                                                                              \
        return a.some != b.some ? (a.some ? 1 : -1) : a.some ? sc_cmp_##A(a.v, b.v) : 0;           \
    }                                                                                              \
    ST_GEN_COMMON(ID)

/* a pair (A, B), printed as Scala's (a,b) */
#define ST_GEN_PAIR(ID, A, B)                                                                      \
    typedef struct sc_T##ID {                                                                      \
        sc_T##A _1;                                                                                \
        sc_T##B _2;                                                                                \
    } sc_T##ID;                                                                                    \
    static inline uint64_t sc_hash_##ID(sc_T##ID v, uint64_t seed)                                 \
    {                                                                                              \
        return sc_hash_##B(v._2, sc_hash_##A(v._1, seed));                                         \
    }                                                                                              \
    static inline bool sc_eq_##ID(sc_T##ID a, sc_T##ID b)                                          \
    {                                                                                              \
        return sc_eq_##A(a._1, b._1) && sc_eq_##B(a._2, b._2);                                     \
    }                                                                                              \
    static SC_UNUSED void sc_fmt_##ID(st_buf *b, const sc_T##ID *v)                                \
    {                                                                                              \
        st_buf_putc(b, '(');                                                                       \
        sc_fmt_##A(b, &v->_1);                                                                     \
        st_buf_putc(b, ',');                                                                       \
        sc_fmt_##B(b, &v->_2);                                                                     \
        st_buf_putc(b, ')');                                                                       \
    }                                                                                              \
    static inline sc_T##ID sc_copy_##ID(st_arena *a, sc_T##ID v)                                   \
    {                                                                                              \
        v._1 = sc_copy_##A(a, v._1);                                                               \
        v._2 = sc_copy_##B(a, v._2);                                                               \
        return v;                                                                                  \
    }                                                                                              \
    static SC_UNUSED void sc_ser_##ID(st_buf *b, const sc_T##ID *v)                                \
    {                                                                                              \
        sc_ser_##A(b, &v->_1);                                                                     \
        sc_ser_##B(b, &v->_2);                                                                     \
    }                                                                                              \
    static SC_UNUSED void sc_de_##ID(st_rd *r, st_arena *a, sc_T##ID *v)                           \
    {                                                                                              \
        sc_de_##A(r, a, &v->_1);                                                                   \
        sc_de_##B(r, a, &v->_2);                                                                   \
    }                                                                                              \
    static SC_UNUSED int sc_cmp_##ID(sc_T##ID a, sc_T##ID b)                                       \
    {                                                                                              \
        int c = sc_cmp_##A(a._1, b._1);                                                            \
        return c ? c : sc_cmp_##B(a._2, b._2);                                                     \
    }                                                                                              \
    ST_GEN_COMMON(ID)

/* a list of E, printed as NAME(e1, e2) (Scala's List(1, 2)); its elements
 * live in an arena and are never written after the list is made */
#define ST_GEN_LIST(ID, E, NAME)                                                                   \
    typedef struct sc_T##ID {                                                                      \
        int64_t n;                                                                                 \
        sc_T##E *v;                                                                                \
    } sc_T##ID;                                                                                    \
    static inline uint64_t sc_hash_##ID(sc_T##ID v, uint64_t seed)                                 \
    {                                                                                              \
        seed = st_hash_int(v.n, seed);                                                             \
        for (int64_t i = 0; i < v.n; i++)                                                          \
            seed = sc_hash_##E(v.v[i], seed);                                                      \
        return seed;                                                                               \
    }                                                                                              \
    static inline bool sc_eq_##ID(sc_T##ID a, sc_T##ID b)                                          \
    {                                                                                              \
        if (a.n != b.n)                                                                            \
            return false;                                                                          \
        for (int64_t i = 0; i < a.n; i++)                                                          \
            if (!sc_eq_##E(a.v[i], b.v[i]))                                                        \
                return false;                                                                      \
        return true;                                                                               \
    }                                                                                              \
    static SC_UNUSED void sc_fmt_##ID(st_buf *b, const sc_T##ID *v)                                \
    {                                                                                              \
        st_buf_puts(b, NAME "(");                                                                  \
        for (int64_t i = 0; i < v->n; i++) {                                                       \
            if (i)                                                                                 \
                st_buf_puts(b, ", ");                                                              \
            sc_fmt_##E(b, &v->v[i]);                                                               \
        }                                                                                          \
        st_buf_putc(b, ')');                                                                       \
    }                                                                                              \
    static inline sc_T##ID sc_copy_##ID(st_arena *a, sc_T##ID v)                                   \
    {                                                                                              \
        if (v.n == 0)                                                                              \
            return v;                                                                              \
        sc_T##E *p = st_arena_alloc(a, (size_t)v.n * sizeof *p);                                   \
        for (int64_t i = 0; i < v.n; i++)                                                          \
            p[i] = sc_copy_##E(a, v.v[i]);                                                         \
        v.v = p;                                                                                   \
        return v;                                                                                  \
    }                                                                                              \
    static SC_UNUSED void sc_ser_##ID(st_buf *b, const sc_T##ID *v)                                \
    {                                                                                              \
        st_ser_i64(b, v->n);                                                                       \
        for (int64_t i = 0; i < v->n; i++)                                                         \
            sc_ser_##E(b, &v->v[i]);                                                               \
    }                                                                                              \
    static SC_UNUSED void sc_de_##ID(st_rd *r, st_arena *a, sc_T##ID *v)                           \
    {                                                                                              \
        v->n = sc_rd_count(r);                                                                     \
        v->v = v->n ? st_arena_alloc(a, (size_t)v->n * sizeof *v->v) : NULL;                       \
        for (int64_t i = 0; i < v->n; i++)                                                         \
            sc_de_##E(r, a, &v->v[i]);                                                             \
    }                                                                                              \
    static SC_UNUSED int sc_cmp_##ID(sc_T##ID a, sc_T##ID b)                                       \
    {                                                                                              \
        for (int64_t i = 0; i < a.n && i < b.n; i++) {                                             \
            int c = sc_cmp_##E(a.v[i], b.v[i]);                                                    \
            if (c)                                                                                 \
                return c;                                                                          \
        }                                                                                          \
        return (a.n > b.n) - (a.n < b.n);                                                          \
    }                                                                                              \
    ST_GEN_COMMON(ID)

/* ---- keyed stages --------------------------------------------------------
 * A keyed stage (reduceByKey, countByValue and their windowed per-batch
 * part) is ID; its context's state STYPE holds loc<ID>: nloc<ID> workers'
 * npart<ID> partitions of the keys (sc_pm<ID>, a padded map sc_m<ID> whose
 * values carry the stamp of the key's first record). The program prints
 * the parts that hold user code (the fold of a record, the merge of two
 * values); this is the rest, specialised by type:
 *   sc_locfree<ID>(S)      frees the maps
 *   sc_locinit<ID>(S, nw)  makes nw workers' maps, all empty; returns np
 *   sc_order<ID>(m, ar)    m's entries in order of first appearance */
#define ST_GEN_KEYED(ID, STYPE)                                                                    \
    static void sc_locfree##ID(STYPE *s)                                                           \
    {                                                                                              \
        for (int k = 0; k < s->nloc##ID * s->npart##ID; k++)                                       \
            sc_m##ID##_free(&s->loc##ID[k].m);                                                     \
        free(s->loc##ID);                                                                          \
        s->loc##ID = NULL;                                                                         \
        s->nloc##ID = s->npart##ID = 0;                                                            \
    }                                                                                              \
    static int sc_locinit##ID(STYPE *s, int nw)                                                    \
    {                                                                                              \
        if (s->nloc##ID != nw) {                                                                   \
            sc_locfree##ID(s);                                                                     \
            s->npart##ID = nw < SC_MAX_PARTS ? nw : SC_MAX_PARTS;                                  \
            s->loc##ID = calloc((size_t)nw * (size_t)s->npart##ID, sizeof *s->loc##ID);            \
            if (!s->loc##ID)                                                                       \
                abort();                                                                           \
            s->nloc##ID = nw;                                                                      \
        }                                                                                          \
        for (int k = 0; k < nw * s->npart##ID; k++)                                                \
            sc_m##ID##_clear(&s->loc##ID[k].m);                                                    \
        return s->npart##ID;                                                                       \
    }                                                                                              \
    static st_stamped *sc_order##ID(sc_m##ID *m, st_arena *ar)                                     \
    {                                                                                              \
        st_stamped *o = st_arena_alloc(ar, sizeof *o * (size_t)(m->n + 1));                        \
        bool sorted = true;                                                                        \
        for (int64_t q = 0; q < m->n; q++) {                                                       \
            o[q] = (st_stamped){ m->ents[q].v.stamp, &m->ents[q] };                                \
            sorted = sorted && (q == 0 || o[q - 1].stamp < o[q].stamp);                            \
        }                                                                                          \
        if (!sorted)                                                                               \
            st_sort_stamped(o, st_arena_alloc(ar, sizeof *o * (size_t)(m->n + 1)), m->n);          \
        return o;                                                                                  \
    }

/* Phase 3 of keyed stage ID, the task of output part i of D->DST (of pair
 * type T): its stretch of the merge by stamp of the sorted partitions
 * D->srt<ID> (D->ns<ID> entries each). _STR for string keys: keys of up to
 * 16 bytes are copied out of the map entries into one buffer, so that
 * what reads them next does not meet a cache miss per key in the input. */
#define ST_GEN_KEYED_OUT_(ID, DTYPE, DST, T, PREP, KEY)                                            \
    static void sc_out##ID(st_job *job, void *arg, int i, int w)                                   \
    {                                                                                              \
        DTYPE *D = arg;                                                                            \
        const int np = D->S->npart##ID;                                                            \
        const st_part *op = &D->DST.parts[i];                                                      \
        int64_t at[SC_MAX_PARTS];                                                                  \
        st_stamped_seek(D->srt##ID, D->ns##ID, np, (int64_t)i * D->DST.parts[0].cap, at);          \
        T *o = (T *)op->data;                                                                      \
        PREP;                                                                                      \
        for (int64_t q = 0; q < op->n; q++) {                                                      \
            const sc_m##ID##_ent *e = st_stamped_next(D->srt##ID, D->ns##ID, np, at)->p;           \
            o[q]._1 = e->k;                                                                        \
            KEY;                                                                                   \
            o[q]._2 = e->v.v;                                                                      \
        }                                                                                          \
    }
#define ST_GEN_KEYED_OUT(ID, DTYPE, DST, T) ST_GEN_KEYED_OUT_(ID, DTYPE, DST, T, (void)job; (void)w, (void)0)
#define ST_GEN_KEYED_OUT_STR(ID, DTYPE, DST, T)                                                    \
    ST_GEN_KEYED_OUT_(ID, DTYPE, DST, T, char *kb = st_arena_alloc(job->arenas[w], 16 * (size_t)op->n + 1), \
                      if (e->k.n <= 16) {                                                          \
                          st_kinl_bytes(e->ki, e->k.n, kb);                                        \
                          o[q]._1.p = kb;                                                          \
                          kb += e->k.n;                                                            \
                      })

/* ---- window slots --------------------------------------------------------
 * The slots of a window (st_window) whose data are records of type
 * sc_T<ET> (a window's records, the pairs of reduceByKeyAndWindow, the
 * value of reduceByWindow):
 *   sc_wappend_<ET>(sl, fresh, src, cnt)  appends src's cnt records to sl,
 *       copied into the slot's arena; returns the slot's data
 *   sc_wsave_<ET>(out, r)      the slot count, then per slot time, n, records
 *   sc_wload_<ET>(in, r, max)  reads what sc_wsave wrote into the empty r;
 *       -1 when a count is impossible, times are out of order or a slot
 *       holds more than max records (a short or bad input sets in->bad) */
#define ST_GEN_WSLOTS(ET)                                                                          \
    static SC_UNUSED sc_T##ET *sc_wappend_##ET(st_wslot *sl, bool fresh, const st_ds *src, int64_t cnt) \
    {                                                                                              \
        int64_t q = 0, base = 0;                                                                   \
        sc_T##ET *dst;                                                                             \
        if (fresh) {                                                                               \
            dst = st_arena_alloc(sl->ar, sizeof *dst * (size_t)cnt);                               \
        } else {                                                                                   \
            base = sl->n;                                                                          \
            dst = st_arena_alloc(sl->ar, sizeof *dst * (size_t)(base + cnt));                      \
            memcpy(dst, sl->data, sizeof *dst * (size_t)base);                                     \
        }                                                                                          \
        for (int p = 0; p < src->nparts; p++)                                                      \
            for (int64_t r = 0; r < src->parts[p].n; r++)                                          \
                dst[base + q++] = sc_copy_##ET(sl->ar, ((const sc_T##ET *)src->parts[p].data)[r]); \
        sl->data = dst;                                                                            \
        sl->n = base + cnt;                                                                        \
        return dst;                                                                                \
    }                                                                                              \
    static SC_UNUSED void sc_wsave_##ET(st_buf *out, const st_window *w)                           \
    {                                                                                              \
        st_ser_i64(out, w->n);                                                                     \
        for (int64_t k = 0; k < w->n; k++) {                                                       \
            const st_wslot *sl = &w->slots[k];                                                     \
            st_ser_i64(out, sl->time);                                                             \
            st_ser_i64(out, sl->n);                                                                \
            for (int64_t q = 0; q < sl->n; q++)                                                    \
                sc_ser_##ET(out, &((const sc_T##ET *)sl->data)[q]);                                \
        }                                                                                          \
    }                                                                                              \
    static SC_UNUSED int sc_wload_##ET(st_rd *in, st_window *w, int64_t max)                       \
    {                                                                                              \
        int64_t ns = sc_rd_count(in);                                                              \
        for (int64_t k = 0; k < ns && !in->bad; k++) {                                             \
            int64_t time = st_rd_i64(in), n = st_rd_i64(in);                                       \
            if (n < 0 || (w->n > 0 && time <= w->slots[w->n - 1].time))                            \
                return -1;                                                                         \
            st_wslot *sl = st_window_restore_slot(w, time);                                        \
            if (n > max || n > (in->end - in->p) / 8)                                              \
                return -1;                                                                         \
            sc_T##ET *data = st_arena_alloc(sl->ar, sizeof *data * (size_t)(n + 1));               \
            for (int64_t q = 0; q < n && !in->bad; q++)                                            \
                sc_de_##ET(in, sl->ar, &data[q]);                                                  \
            sl->data = data;                                                                       \
            sl->n = n;                                                                             \
        }                                                                                          \
        return 0;                                                                                  \
    }

#endif
