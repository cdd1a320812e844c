/* vsrc.c: sources on the virtual clock (replay). It owns the parsing of
 * replay files, the virtualised file and rate sources, and the assembly of
 * one batch's blocks from record offsets, kept free of threads and I/O
 * beyond reading a file so it can be tested piece by piece.
 * Must not: sleep, look at a real clock, or let a malformed line stop the
 * run (it is skipped, counted and reported). */
#include "rt_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Offsets beyond this (about 31 years) are rejected as malformed: it keeps
   k * batch_ms and the rate arithmetic far from overflow. */
#define MAX_OFFSET INT64_C(1000000000000000)

int rt_read_file(const char *path, char **out, size_t *n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    struct stat st;
    memset(&st, 0, sizeof st);
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        return EISDIR;
    }
    st_buf b = { 0 };
    /* one allocation of the right size for a regular file: growing by
       doubling would copy a large replay file several times over */
    if (st.st_size > 0)
        st_buf_reserve(&b, (size_t)st.st_size + 1);
    for (;;) {
        if (b.cap - b.n < 2)
            st_buf_reserve(&b, 1 << 16);
        ssize_t r = read(fd, b.p + b.n, b.cap - b.n - 1);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            st_buf_free(&b);
            return e;
        }
        if (r == 0)
            break;
        b.n += (size_t)r;
    }
    close(fd);
    st_buf_reserve(&b, 1);
    b.p[b.n] = '\0';
    *out = b.p;
    *n = b.n;
    return 0;
}

/* A file is mapped read-only (the records of a replay file point into
   it), its pages populated up front: that costs no copy and no fresh
   memory to zero (a 260 MB file: 11 ms, against 0.1 s to read it into
   memory, and 0.3-0.6 s when the VM must first fault that memory in).
   A big file's pages are populated in pieces at once on the pool's
   threads. A mapping's price is SIGBUS when the file is truncated while
   the program runs: a guard turns that into a clear error and exit 1. */
enum { MAP_PIECE = 8 << 20 };

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* Faults in the whole pages of [p, p + n) at once (best effort: before
   Linux 5.14 they are faulted in as they are touched). */
static void populate(void *p, size_t n, int advice)
{
    uintptr_t a = ((uintptr_t)p + 4095) & ~(uintptr_t)4095, e = ((uintptr_t)p + n) & ~(uintptr_t)4095;
    if (e > a)
        (void)madvise((void *)a, e - a, advice);
}

/* ---- the SIGBUS guard of mapped files ---- */
enum { NGUARD = 64 };
typedef struct guard {
    _Atomic uintptr_t lo, hi;   /* lo == 0: a free slot */
    char msg[400];              /* written whole before lo is set */
} guard;
static guard guards[NGUARD];
static pthread_mutex_t guard_mu = PTHREAD_MUTEX_INITIALIZER;
static bool guard_installed;
static const char *guard_prog = "streamrt";

void rt_load_file_name(const char *prog)
{
    pthread_mutex_lock(&guard_mu);
    guard_prog = prog ? prog : "streamrt";
    pthread_mutex_unlock(&guard_mu);
}

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    uintptr_t a = (uintptr_t)si->si_addr;
    for (int i = 0; i < NGUARD; i++) {
        uintptr_t lo = atomic_load(&guards[i].lo), hi = atomic_load(&guards[i].hi);
        if (lo && a >= lo && a < hi) {
            ssize_t w = write(STDERR_FILENO, guards[i].msg, strlen(guards[i].msg));
            (void)w;
            _exit(1);
        }
    }
    /* not a mapped file's: back to the default action, which the access
       meets when it is made again. (Not SA_RESETHAND: two workers that
       fault on a truncated file at once would have the second killed by
       the default action while the first writes its message.) */
    signal(SIGBUS, SIG_DFL);
}

/* Whether [p, p + n) is guarded: false when the guard could not be
   installed or every slot is taken (the file is then read instead). */
static bool guard_add(const void *p, size_t n, const char *path)
{
    bool ok = false;
    pthread_mutex_lock(&guard_mu);
    if (!guard_installed) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_sigbus;
        sa.sa_flags = SA_SIGINFO;
        sigemptyset(&sa.sa_mask);
        guard_installed = sigaction(SIGBUS, &sa, NULL) == 0;
    }
    for (int i = 0; guard_installed && i < NGUARD; i++) {
        if (atomic_load(&guards[i].lo))
            continue;
        snprintf(guards[i].msg, sizeof guards[i].msg,
                 "%s: error: %s was truncated while the program was reading it\n",
                 guard_prog, path);
        atomic_store(&guards[i].hi, (uintptr_t)p + n);
        atomic_store(&guards[i].lo, (uintptr_t)p);
        ok = true;
        break;
    }
    pthread_mutex_unlock(&guard_mu);
    return ok;
}

static void guard_remove(const void *p)
{
    pthread_mutex_lock(&guard_mu);
    for (int i = 0; i < NGUARD; i++)
        if (atomic_load(&guards[i].lo) == (uintptr_t)p)
            atomic_store(&guards[i].lo, 0);
    pthread_mutex_unlock(&guard_mu);
}

typedef struct map_job {
    char *p;
    size_t size, piece;
} map_job;

static void populate_piece(void *arg, int i)
{
    const map_job *j = arg;
    size_t lo = (size_t)i * j->piece, hi = lo + j->piece < j->size ? lo + j->piece : j->size;
    populate(j->p + lo, hi - lo, MADV_POPULATE_READ);
}

int rt_load_file(const char *path, rt_pool *pool, char **out, size_t *n, size_t *maplen)
{
    *maplen = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        struct stat st;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
            size_t size = (size_t)st.st_size, w = (size_t)rt_pool_width(pool);
            size_t np = size / MAP_PIECE;
            np = np < 1 ? 1 : np > w * 2 ? w * 2 : np;
            void *m = mmap(NULL, size, PROT_READ, MAP_PRIVATE | (np == 1 ? MAP_POPULATE : 0), fd, 0);
            if (m != MAP_FAILED && !guard_add(m, size, path)) {
                munmap(m, size);
                m = MAP_FAILED;
            }
            if (m != MAP_FAILED) {
                close(fd);
                if (np > 1) {
                    map_job j = { m, size, (size + np - 1) / np };
                    rt_pool_each(pool, (int)np, populate_piece, &j);
                }
                *out = m;
                *n = size;
                *maplen = size;
                return 0;
            }
        }
        close(fd);
    }
    return rt_read_file(path, out, n);
}

void rt_unload_file(char *text, size_t maplen)
{
    if (!maplen) {
        free(text);
        return;
    }
    guard_remove(text);
    munmap(text, maplen);
}

int64_t rt_split_lines(const char *text, size_t n, st_str **lines)
{
    st_str *v = NULL;
    int64_t nv = 0, cap = 0;
    size_t pos = 0;
    while (pos < n) {
        const char *nl = memchr(text + pos, '\n', n - pos);
        size_t end = nl ? (size_t)(nl - text) : n;
        size_t e = end;
        if (e > pos && text[e - 1] == '\r')
            e--;
        rt_grow((void **)&v, &cap, nv + 1, sizeof *v);
        v[nv++] = (st_str){ text + pos, (int64_t)(e - pos) };
        pos = end + 1;
    }
    *lines = v;
    return nv;
}

/* a * r / 1000 rounded up, for a >= 0 and r > 0, saturating. */
static int64_t mul_div_ceil(int64_t a, int64_t r)
{
    int64_t q = a / 1000, m = a % 1000, hi;
    if (__builtin_mul_overflow(q, r, &hi))
        return INT64_MAX;
    int64_t lo = (m * r + 999) / 1000;   /* m * r: r is records/s, small */
    return hi > INT64_MAX - lo ? INT64_MAX : hi + lo;
}

static int64_t paced_offset(int64_t i, int64_t rate)
{
    return (i / rate) * 1000 + (i % rate) * 1000 / rate;
}

static void vsrc_init(rt_vsrc *v, int64_t batch_ms, int64_t block_ms)
{
    memset(v, 0, sizeof *v);
    v->batch_ms = batch_ms;
    v->block_ms = block_ms > 0 ? block_ms : batch_ms;
    v->last_offset = -1;
    v->limit = -1;
}

void rt_vsrc_free(rt_vsrc *v)
{
    rt_unload_file(v->text, v->text_map);
    free(v->recs);
    free(v->ivals);
    free(v->blocks);
    free(v->badk);
    free(v->lines);
    memset(v, 0, sizeof *v);
}

/* ---- explicit records --------------------------------------------------- */
typedef struct entry {
    int64_t k, b;     /* batch, block */
    int64_t seq;      /* file order */
    st_str rec;
    int64_t ival;
    bool bad;
} entry;

static int entry_cmp(const void *x, const void *y)
{
    const entry *a = x, *b = y;
    if (a->k != b->k)
        return a->k < b->k ? -1 : 1;
    if (a->b != b->b)
        return a->b < b->b ? -1 : 1;
    return (a->seq > b->seq) - (a->seq < b->seq);
}

/* Sorts the entries by (batch, block, file order) and cuts them into
   blocks; a block straddling two batches (block not dividing batch) is
   cut in two, so a batch never holds another's records. */
static void vsrc_build(rt_vsrc *v, entry *e, int64_t n)
{
    /* replay files are normally in time order: sort only when needed */
    bool sorted = true;
    for (int64_t i = 1; i < n && sorted; i++)
        sorted = entry_cmp(&e[i - 1], &e[i]) <= 0;
    if (!sorted)
        qsort(e, (size_t)n, sizeof *e, entry_cmp);
    int64_t nrec = 0, cap_blocks = 0;
    for (int64_t i = 0; i < n; i++)
        nrec += !e[i].bad;
    v->kind = RT_VS_LIST;
    v->recs = v->ints ? NULL : rt_xmalloc((size_t)nrec * sizeof *v->recs);
    v->ivals = v->ints ? rt_xmalloc((size_t)nrec * sizeof *v->ivals) : NULL;
    v->badk = rt_xmalloc((size_t)(n - nrec) * sizeof *v->badk);
    int64_t r = 0, last_b = 0;
    for (int64_t i = 0; i < n; i++) {
        if (e[i].bad) {
            v->badk[v->nbad++] = e[i].k;
            continue;
        }
        rt_vblock *last = v->nblocks ? &v->blocks[v->nblocks - 1] : NULL;
        if (!last || last->k != e[i].k || last_b != e[i].b) {
            rt_grow((void **)&v->blocks, &cap_blocks, v->nblocks + 1, sizeof *v->blocks);
            v->blocks[v->nblocks++] = (rt_vblock){ e[i].k, r, 0 };
            last = &v->blocks[v->nblocks - 1];
            last_b = e[i].b;
        }
        if (v->ints)
            v->ivals[r] = e[i].ival;
        else
            v->recs[r] = e[i].rec;
        r++;
        last->n++;
    }
}

static bool parse_offset(const char *p, size_t n, int64_t *out)
{
    if (n == 0 || n > 18)
        return false;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (p[i] - '0');
    }
    if (v > MAX_OFFSET)
        return false;
    *out = v;
    return true;
}

/* Splits a replay line into offset and record; false when it has no tab
   or a bad offset (*tab then says which). */
static bool split_line(st_str l, int64_t *off, st_str *rec, bool *tab)
{
    const char *t = memchr(l.p, '\t', (size_t)l.n);
    *tab = t != NULL;
    if (!t || !parse_offset(l.p, (size_t)(t - l.p), off))
        return false;
    *rec = (st_str){ t + 1, l.n - (t + 1 - l.p) };
    return true;
}

/* split_line for the usual line, a short offset and a tab after it, with
   no search for the tab; false for any other line (split_line decides). */
static inline bool quick_split(st_str l, int64_t *off, st_str *rec)
{
    int64_t v = 0, i = 0, lim = l.n < 16 ? l.n : 16;   /* 15 digits < MAX_OFFSET */
    while (i < lim && (unsigned)(l.p[i] - '0') < 10)
        v = v * 10 + (l.p[i++] - '0');
    if (i == 0 || i >= lim || l.p[i] != '\t')
        return false;
    *off = v;
    *rec = (st_str){ l.p + i + 1, l.n - i - 1 };
    return true;
}

/* A malformed line (no tab, bad offset) is counted and reported with
   file:line; returns false. */
/* a keyed source's line without its second TAB */
static const char no_value[] = "replay line of a keyed source without a TAB between key and value";

static bool replay_line(int64_t *nmal, st_str l, const char *fname, int64_t lineno,
                        rt_vs_warn_fn warn, void *warg, int64_t *off, st_str *rec)
{
    bool tab;
    if (split_line(l, off, rec, &tab))
        return true;
    ++*nmal;
    if (warn) {
        char what[512];
        snprintf(what, sizeof what, "%s:%lld: %s", fname, (long long)lineno,
                 tab ? "bad offset in replay line" : "replay line without a tab");
        warn(warg, what, l.p, (size_t)l.n);
    }
    return false;
}

/* One line of a replay file: [p, p+len) without its newline or '\r'. */
static bool next_line(const char *text, size_t n, size_t *pos, st_str *line)
{
    if (*pos >= n)
        return false;
    const char *nl = memchr(text + *pos, '\n', n - *pos);
    size_t end = nl ? (size_t)(nl - text) : n, e = end;
    if (e > *pos && text[e - 1] == '\r')
        e--;
    *line = (st_str){ text + *pos, (int64_t)(e - *pos) };
    *pos = end + 1;
    return true;
}

/* next_line over [text + pos, text + n) for one pass over a big text: the
   newlines of 64 bytes at a time found from a bitmap (SSE2), no call per
   line. The same lines as next_line. */
typedef struct line_scan {
    const char *text;
    size_t pos, n;
    size_t base;      /* mask holds the newlines of [base - 64, base) at or
                         after pos; base == n: the rest by next_line */
    uint64_t mask;
} line_scan;

static void scan_init(line_scan *s, const char *text, size_t pos, size_t n)
{
    *s = (line_scan){ text, pos, n, pos, 0 };
#if !defined(__SSE2__)
    s->base = n;
#endif
}

#if defined(__SSE2__)
static inline uint64_t nl_mask(const char *p)
{
    const __m128i nl = _mm_set1_epi8('\n');
    uint64_t m0 = (uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)p), nl));
    uint64_t m1 = (uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 16)), nl));
    uint64_t m2 = (uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 32)), nl));
    uint64_t m3 = (uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 48)), nl));
    return m0 | m1 << 16 | m2 << 32 | m3 << 48;
}
#endif

static bool scan_next(line_scan *s, st_str *line)
{
    if (s->pos >= s->n)
        return false;
#if defined(__SSE2__)
    while (s->base < s->n) {
        if (s->mask) {
            size_t end = s->base - 64 + (size_t)__builtin_ctzll(s->mask);
            s->mask &= s->mask - 1;
            size_t e = end;
            if (e > s->pos && s->text[e - 1] == '\r')
                e--;
            *line = (st_str){ s->text + s->pos, (int64_t)(e - s->pos) };
            s->pos = end + 1;
            return true;
        }
        if (s->base + 64 > s->n) {
            s->base = s->n;   /* the tail: next_line's memchr */
            break;
        }
        /* a pass over a file bigger than the caches is bound by memory:
           asking for the bytes 2 KiB ahead keeps more reads in flight
           than the hardware prefetcher does (a prefetch past the end of
           the mapping does not fault) */
        __builtin_prefetch(s->text + s->base + 2048);
        s->mask = nl_mask(s->text + s->base);
        s->base += 64;
    }
#endif
    return next_line(s->text, s->n, &s->pos, line);
}

/* The first line (from 1) of replay text [text, text+n) whose record is in
   batch k, and its offset; 0 when there is none. */
int64_t rt_vsrc_line_of_batch(const char *text, size_t n, int64_t batch_ms, int64_t k,
                              int64_t *offset)
{
    size_t pos = 0;
    st_str l, rec;
    int64_t lineno = 0, off;
    bool tab;
    while (next_line(text, n, &pos, &l)) {
        lineno++;
        if (l.n > 0 && split_line(l, &off, &rec, &tab) && off / batch_ms + 1 == k) {
            *offset = off;
            return lineno;
        }
    }
    return 0;
}

/* A run of whole lines of a replay file, laid out in time order into the
   record slots [base, base + cap) of v->recs (v->ivals). The usual replay
   file is in time order: then the records and blocks are laid out in one
   pass, in place, with no sort. */
typedef struct piece {
    size_t lo, hi;            /* text[lo, hi) */
    int64_t lines;            /* lines in it: an upper bound on its records */
    int64_t base, cap;
    bool strict;              /* a piece of replay_par: its slots are given
                                 (else v's arrays grow), and it stops at a
                                 line to skip (and warns of none) */
    int64_t nrec;
    rt_vblock *blocks;        /* start: index into recs / ivals */
    int64_t nblocks, capb;
    int64_t *badk, nbad, capbad, nmal;
    int64_t last_offset;
    int64_t k0, b0, k1, b1;   /* the first and last record's batch and block */
    bool ok;
} piece;

/* Lays out pc's lines; false at the first record out of order (and, when
   strict, at the first line to skip). *upto is then the number of lines
   read, whose warnings were given. */
static bool lay_out(rt_vsrc *v, const char *text, piece *pc, const char *fname,
                    rt_vs_warn_fn warn, void *warg, int64_t *upto)
{
    int64_t r = 0, lineno = 0;
    int64_t k = 0, b = -1, lo = 0, hi = 0;   /* batch and block of offsets [lo, hi) */
    int64_t lb = -1;                         /* block of the last rt_vblock */
    const size_t sz = v->ints ? sizeof *v->ivals : sizeof *v->recs;
    st_str l;
    char what[512];
    line_scan ls;
    scan_init(&ls, text, pc->lo, pc->hi);
    while (scan_next(&ls, &l)) {
        lineno++;
        if (l.n == 0)
            continue;   /* a blank line holds no record */
        int64_t off;
        st_str rec;
        if (quick_split(l, &off, &rec)) {
            /* the usual line: its offset parsed in place */
        } else if (pc->strict) {
            bool tab;
            if (!split_line(l, &off, &rec, &tab))
                return false;
        } else if (!replay_line(&pc->nmal, l, fname, lineno, warn, warg, &off, &rec)) {
            continue;
        }
        /* two divisions a record cost more than the rest of the line */
        if (off < lo || off >= hi) {
            int64_t nk = off / v->batch_ms + 1, nb = off / v->block_ms;
            if (nk < k || (nk == k && nb < b)) {
                *upto = lineno;
                return false;
            }
            k = nk;
            b = nb;
            lo = (k - 1) * v->batch_ms > b * v->block_ms ? (k - 1) * v->batch_ms : b * v->block_ms;
            hi = k * v->batch_ms < (b + 1) * v->block_ms ? k * v->batch_ms : (b + 1) * v->block_ms;
        }
        if (off > pc->last_offset)
            pc->last_offset = off;
        int64_t iv = 0;
        bool notint = v->ints && !st_to_int(rec, &iv);
        if (notint || (v->keyed && !memchr(rec.p, '\t', (size_t)rec.n))) {
            if (pc->strict)
                return false;
            rt_grow((void **)&pc->badk, &pc->capbad, pc->nbad + 1, sizeof *pc->badk);
            pc->badk[pc->nbad++] = k;
            if (warn) {
                snprintf(what, sizeof what, "%s:%lld: %s", fname, (long long)lineno,
                         notint ? "not an int" : no_value);
                warn(warg, what, rec.p, (size_t)rec.n);
            }
            continue;
        }
        rt_vblock *last = pc->nblocks ? &pc->blocks[pc->nblocks - 1] : NULL;
        if (!last || last->k != k || lb != b) {
            rt_grow((void **)&pc->blocks, &pc->capb, pc->nblocks + 1, sizeof *pc->blocks);
            pc->blocks[pc->nblocks++] = (rt_vblock){ k, pc->base + r, 0 };
            last = &pc->blocks[pc->nblocks - 1];
            if (pc->nblocks == 1) {
                pc->k0 = k;
                pc->b0 = b;
            }
            lb = b;
        }
        if (r >= pc->cap) {
            if (pc->strict)
                return false;   /* cannot happen: its lines bound its records */
            rt_grow_huge(v->ints ? (void **)&v->ivals : (void **)&v->recs, &pc->cap, r + 1, sz);
        }
        if (v->ints)
            v->ivals[pc->base + r] = iv;
        else
            v->recs[pc->base + r] = rec;
        r++;
        last->n++;
    }
    pc->nrec = r;
    pc->k1 = k;
    pc->b1 = b;
    *upto = lineno;
    return true;
}

/* The whole file as one piece, warning of every line skipped; false,
   with v as it was, at the first record out of order. */
static bool replay_serial(rt_vsrc *v, const char *text, size_t n, const char *fname,
                          rt_vs_warn_fn warn, void *warg, int64_t *upto)
{
    piece pc = { .lo = 0, .hi = n, .last_offset = -1 };
    /* the records' slots sized from the lines of the file's first 256 KiB
       (grown if the rest has shorter lines): no pass to count them */
    size_t head = n < (256 << 10) ? n : (256 << 10);
    int64_t c = 0;
    for (const char *q = text, *e = text + head; q < e && (q = memchr(q, '\n', (size_t)(e - q))) != NULL; q++)
        c++;
    if (n > (1 << 20) && c > 0) {
        const size_t sz = v->ints ? sizeof *v->ivals : sizeof *v->recs;
        pc.cap = (int64_t)((double)n / (double)head * (double)c * 1.05) + 1024;
        /* 4 KiB pages populated in one call, as replay_par's array */
        void *slots = rt_xmalloc((size_t)pc.cap * sz);
        populate(slots, (size_t)pc.cap * sz, MADV_POPULATE_WRITE);
        if (v->ints)
            v->ivals = slots;
        else
            v->recs = slots;
    }
    if (!lay_out(v, text, &pc, fname, warn, warg, upto)) {
        free(v->recs);
        free(v->ivals);
        v->recs = NULL;
        v->ivals = NULL;
        free(pc.blocks);
        free(pc.badk);
        return false;
    }
    v->blocks = pc.blocks;
    v->nblocks = pc.nblocks;
    v->badk = pc.badk;
    v->nbad = pc.nbad;
    v->nmalformed += pc.nmal;
    v->last_offset = pc.last_offset;
    v->kind = RT_VS_LIST;
    return true;
}

/* On a pool of two threads or more, a file of a MiB or more is laid out
   in pieces: each counts its lines (the slots its records may need: the
   records array is allocated once, not grown by copying), then lays its
   records out in them, up to 4 pieces per thread, handled at once. (On
   one thread replay_serial reads the file once instead.) */
size_t rt_replay_piece_min = 1 << 20;
int64_t rt_replay_par_layouts;

typedef struct par_layout {
    rt_vsrc *v;
    const char *text;
    piece *pcs;
} par_layout;

static void count_piece(void *arg, int i)
{
    par_layout *j = arg;
    piece *pc = &j->pcs[i];
    const char *p = j->text + pc->lo, *e = j->text + pc->hi;
    int64_t c = 0;
    while (p < e && (p = memchr(p, '\n', (size_t)(e - p))) != NULL) {
        c++;
        p++;
    }
    if (pc->hi > pc->lo && j->text[pc->hi - 1] != '\n')
        c++;   /* the file's last line, without a newline */
    pc->lines = c;
}

static void lay_piece(void *arg, int i)
{
    par_layout *j = arg;
    piece *pc = &j->pcs[i];
    const size_t sz = j->v->ints ? sizeof *j->v->ivals : sizeof *j->v->recs;
    char *slots = j->v->ints ? (char *)j->v->ivals : (char *)j->v->recs;
    populate(slots + (size_t)pc->base * sz, (size_t)pc->cap * sz, MADV_POPULATE_WRITE);
    int64_t upto;
    pc->ok = lay_out(j->v, j->text, pc, NULL, NULL, NULL, &upto);
}

static void free_pieces(piece *pcs, size_t np)
{
    for (size_t i = 0; i < np; i++) {
        free(pcs[i].blocks);
        free(pcs[i].badk);
    }
    free(pcs);
}

/* False, with v as it was, when the file needs replay_serial: a small
   file, a line to skip (whose warning must come in file order), or a
   record out of order. The result is the same as replay_serial's: records
   in file order, and a block across two pieces is one block. */
static bool replay_par(rt_vsrc *v, const char *text, size_t n, rt_pool *pool)
{
    size_t w = (size_t)rt_pool_width(pool), np = n / (rt_replay_piece_min ? rt_replay_piece_min : 1);
    if (np > (w > 1 ? w * 4 : 1))
        np = w > 1 ? w * 4 : 1;
    if (np <= 1)
        return false;   /* one piece: replay_serial reads the file once */
    piece *pcs = rt_xcalloc(np, sizeof *pcs);
    size_t lo = 0;
    for (size_t i = 0; i < np; i++) {
        size_t hi = n, t = n / np * (i + 1);
        if (i + 1 < np && t < n) {
            t = t > lo ? t : lo;
            const char *nl = memchr(text + t, '\n', n - t);
            hi = nl ? (size_t)(nl - text) + 1 : n;
        }
        pcs[i] = (piece){ .lo = lo, .hi = hi, .strict = true, .last_offset = -1 };
        lo = hi;
    }
    par_layout j = { v, text, pcs };
    rt_pool_each(pool, (int)np, count_piece, &j);
    int64_t total = 0;
    for (size_t i = 0; i < np; i++) {
        pcs[i].base = total;
        pcs[i].cap = pcs[i].lines;
        total += pcs[i].lines;
    }
    const size_t sz = v->ints ? sizeof *v->ivals : sizeof *v->recs;
    char *slots = rt_xmalloc((size_t)(total + 1) * sz);
    if (v->ints)
        v->ivals = (int64_t *)(void *)slots;
    else
        v->recs = (st_str *)(void *)slots;
    rt_pool_each(pool, (int)np, lay_piece, &j);
    bool ok = true;
    int64_t pk = 0, pb = -1;   /* batch and block of the last record so far */
    for (size_t i = 0; i < np && ok; i++) {
        const piece *pc = &pcs[i];
        ok = pc->ok && (!pc->nrec || pc->k0 > pk || (pc->k0 == pk && pc->b0 >= pb));
        if (pc->nrec) {
            pk = pc->k1;
            pb = pc->b1;
        }
    }
    if (!ok) {
        free(slots);
        v->recs = NULL;
        v->ivals = NULL;
        free_pieces(pcs, np);
        return false;
    }
    /* join: close the gaps blank lines left, one block across a boundary */
    int64_t r = 0, capb = 0;
    pk = 0;
    pb = -1;
    for (size_t i = 0; i < np; i++) {
        const piece *pc = &pcs[i];
        if (!pc->nrec)
            continue;
        if (pc->base != r)
            memmove(slots + (size_t)r * sz, slots + (size_t)pc->base * sz, (size_t)pc->nrec * sz);
        for (int64_t q = 0; q < pc->nblocks; q++) {
            rt_vblock bl = pc->blocks[q];
            bl.start += r - pc->base;
            if (q == 0 && pk == pc->k0 && pb == pc->b0) {
                v->blocks[v->nblocks - 1].n += bl.n;
                continue;
            }
            rt_grow((void **)&v->blocks, &capb, v->nblocks + 1, sizeof *v->blocks);
            v->blocks[v->nblocks++] = bl;
        }
        r += pc->nrec;
        pk = pc->k1;
        pb = pc->b1;
        if (pc->last_offset > v->last_offset)
            v->last_offset = pc->last_offset;
    }
    free_pieces(pcs, np);
    v->kind = RT_VS_LIST;
    rt_replay_par_layouts++;
    return true;
}

void rt_vsrc_replay(rt_vsrc *v, char *text, size_t n, const char *fname,
                    int elem, int64_t batch_ms, int64_t block_ms, rt_pool *pool,
                    rt_vs_warn_fn warn, void *warg)
{
    vsrc_init(v, batch_ms, block_ms);
    v->text = text;
    bool ints = elem == RT_VS_INT;
    v->ints = ints;
    v->keyed = elem == RT_VS_PAIR;
    if (replay_par(v, text, n, pool))
        return;
    int64_t warned;
    if (replay_serial(v, text, n, fname, warn, warg, &warned))
        return;
    st_str *lines;
    int64_t nlines = rt_split_lines(text, n, &lines);
    entry *e = rt_xmalloc((size_t)nlines * sizeof *e);
    int64_t ne = 0;
    char what[512];
    rt_vs_warn_fn warn_all = warn;
    for (int64_t i = 0; i < nlines; i++) {
        st_str l = lines[i];
        /* the lines before the one out of order were warned about */
        warn = i + 1 < warned ? NULL : warn_all;
        if (l.n == 0)
            continue;   /* a blank line holds no record */
        int64_t off;
        st_str rec;
        if (!replay_line(&v->nmalformed, l, fname, i + 1, warn, warg, &off, &rec))
            continue;
        entry *en = &e[ne++];
        *en = (entry){ off / batch_ms + 1, off / v->block_ms, i, rec, 0, false };
        if (ints && !st_to_int(rec, &en->ival)) {
            en->bad = true;
            if (warn) {
                snprintf(what, sizeof what, "%s:%lld: not an int", fname, (long long)(i + 1));
                warn(warg, what, rec.p, (size_t)rec.n);
            }
        } else if (v->keyed && !memchr(rec.p, '\t', (size_t)rec.n)) {
            en->bad = true;
            if (warn) {
                snprintf(what, sizeof what, "%s:%lld: %s", fname, (long long)(i + 1), no_value);
                warn(warg, what, rec.p, (size_t)rec.n);
            }
        }
        if (off > v->last_offset)
            v->last_offset = off;
    }
    free(lines);
    vsrc_build(v, e, ne);
    free(e);
}

void rt_vsrc_file(rt_vsrc *v, char *text, size_t n, int64_t rate, bool loop,
                  int64_t batch_ms, int64_t block_ms)
{
    vsrc_init(v, batch_ms, block_ms);
    v->text = text;
    v->nlines = rt_split_lines(text, n, &v->lines);
    if (rate > 0) {
        v->kind = RT_VS_PACED;
        v->rate = rate;
        v->limit = loop && v->nlines > 0 ? -1 : v->nlines;
        v->last_offset = v->limit < 0 ? INT64_MAX
                         : v->limit == 0 ? -1 : paced_offset(v->limit - 1, rate);
        return;
    }
    /* Without a rate every line is at offset 0 (a loop would put infinitely
       many records there, so a file is read once). */
    entry *e = rt_xmalloc((size_t)v->nlines * sizeof *e);
    for (int64_t i = 0; i < v->nlines; i++)
        e[i] = (entry){ 1, 0, i, v->lines[i], 0, false };
    vsrc_build(v, e, v->nlines);
    free(e);
    v->last_offset = v->nlines > 0 ? 0 : -1;
}

void rt_vsrc_rate(rt_vsrc *v, int64_t rate, int64_t batch_ms, int64_t block_ms)
{
    vsrc_init(v, batch_ms, block_ms);
    v->kind = RT_VS_PACED;
    v->ints = true;
    v->rate = rate > 0 ? rate : 1;
    v->limit = -1;
    v->last_offset = INT64_MAX;
}

static int64_t count_in(const int64_t *a, int64_t n, int64_t k)
{
    /* a is sorted: the run equal to k. */
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (a[mid] < k) lo = mid + 1; else hi = mid;
    }
    int64_t c = 0;
    while (lo + c < n && a[lo + c] == k)
        c++;
    return c;
}

int64_t rt_vsrc_batch(const rt_vsrc *v, int64_t k, st_arena *a, st_input *out,
                      int64_t *nskipped)
{
    out->nblocks = 0;
    out->blocks = NULL;
    *nskipped = 0;
    if (k < 1)
        return 0;
    int64_t total = 0;
    if (v->kind == RT_VS_LIST) {
        *nskipped = count_in(v->badk, v->nbad, k);
        int64_t lo = 0, hi = v->nblocks;
        while (lo < hi) {
            int64_t mid = lo + (hi - lo) / 2;
            if (v->blocks[mid].k < k) lo = mid + 1; else hi = mid;
        }
        int64_t nb = 0;
        while (lo + nb < v->nblocks && v->blocks[lo + nb].k == k)
            nb++;
        if (nb == 0)
            return 0;
        st_block *bl = st_arena_alloc(a, (size_t)nb * sizeof *bl);
        for (int64_t i = 0; i < nb; i++) {
            const rt_vblock *vb = &v->blocks[lo + i];
            bl[i] = (st_block){ vb->n, v->recs ? v->recs + vb->start : NULL,
                                v->ivals ? v->ivals + vb->start : NULL };
            total += vb->n;
        }
        out->nblocks = (int)nb;
        out->blocks = bl;
        return total;
    }
    /* Paced: the blocks overlapping [t0, t1), each cut to the batch. */
    int64_t t0 = (k - 1) * v->batch_ms, t1 = k * v->batch_ms;
    int64_t b0 = t0 / v->block_ms, b1 = (t1 - 1) / v->block_ms;
    st_block *bl = st_arena_alloc(a, (size_t)(b1 - b0 + 1) * sizeof *bl);
    int nb = 0;
    for (int64_t b = b0; b <= b1; b++) {
        int64_t lo = b * v->block_ms > t0 ? b * v->block_ms : t0;
        int64_t hi = (b + 1) * v->block_ms < t1 ? (b + 1) * v->block_ms : t1;
        int64_t i0 = mul_div_ceil(lo, v->rate), i1 = mul_div_ceil(hi, v->rate);
        if (v->limit >= 0) {
            if (i0 > v->limit) i0 = v->limit;
            if (i1 > v->limit) i1 = v->limit;
        }
        if (i1 <= i0)
            continue;
        int64_t n = i1 - i0;
        if ((uint64_t)n > SIZE_MAX / 64)
            rt_oom();
        if (v->lines) {
            st_str *r = st_arena_alloc(a, (size_t)n * sizeof *r);
            for (int64_t i = 0; i < n; i++)
                r[i] = v->lines[(i0 + i) % v->nlines];
            bl[nb++] = (st_block){ n, r, NULL };
        } else {
            int64_t *r = st_arena_alloc(a, (size_t)n * sizeof *r);
            for (int64_t i = 0; i < n; i++)
                r[i] = i0 + i;
            bl[nb++] = (st_block){ n, NULL, r };
        }
        total += n;
    }
    out->nblocks = nb;
    out->blocks = bl;
    return total;
}

int64_t rt_replay_last_batch(int64_t last_offset, int64_t batch_ms,
                             int64_t drain_ms, int64_t batches,
                             int64_t duration_ms)
{
    int64_t k = -1;
    if (batches >= 0)
        k = batches;
    if (duration_ms >= 0) {
        int64_t kd = duration_ms / batch_ms;
        k = k < 0 || kd < k ? kd : k;
    }
    if (k >= 0)
        return k;
    if (last_offset == INT64_MAX)
        return -1;
    if (last_offset < 0)
        return 0;   /* no record: nothing to run or drain */
    return last_offset / batch_ms + 1 + (drain_ms > 0 ? drain_ms / batch_ms : 0);
}
