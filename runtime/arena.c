/* arena.c: bump allocation in growing chunks, partition growth, the
 * thread-local arena of a running batch, and the allocation wrappers that
 * turn out-of-memory into an abort (the one place the library may end the
 * process: nothing sane is left to do).
 * Must not: keep any state beyond the one thread-local pointer. */
#include "rt_internal.h"

#include <stdalign.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "st_map.h"   /* st_big_alloc */

_Noreturn void rt_oom(void)
{
    static const char msg[] = "streamrt: out of memory\n";
    fwrite(msg, 1, sizeof msg - 1, stderr);
    abort();
}

/* st_xrealloc (xalloc.c, declared for st_map.h) is the one realloc
   wrapper; these are its malloc/calloc companions. */
void *rt_xmalloc(size_t n)
{
    return st_xrealloc(NULL, n);
}

void *rt_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        rt_oom();
    return p;
}

/* Big arrays (a replay file's records, arena chunks, keyed stages' maps)
   are placed on 2 MiB boundaries and advised to use huge pages: faulting
   them in 4 KiB at a time costs more than filling them (in a VM above
   all: a fault there costs microseconds). Freed with free(). */
enum { HUGE_ALIGN = 2 << 20 };

void *st_big_alloc(size_t n)
{
    if (n < HUGE_ALIGN)
        return rt_xmalloc(n);
    if (n > SIZE_MAX - HUGE_ALIGN)
        rt_oom();
    n = (n + HUGE_ALIGN - 1) / HUGE_ALIGN * HUGE_ALIGN;
    void *q = aligned_alloc(HUGE_ALIGN, n);
    if (!q)
        rt_oom();
#ifdef MADV_HUGEPAGE
    madvise(q, n, MADV_HUGEPAGE);
#endif
    return q;
}

/* Grows by copying (there is no aligned realloc). */
void rt_grow_huge(void **p, int64_t *cap, int64_t need, size_t sz)
{
    if (need <= *cap)
        return;
    int64_t c = *cap ? *cap : 8;
    while (c < need) {
        if (c > INT64_MAX / 2 || (uint64_t)c * 2 > SIZE_MAX / sz - HUGE_ALIGN)
            rt_oom();
        c *= 2;
    }
    size_t bytes = (size_t)c * sz;
    if (bytes < HUGE_ALIGN) {
        *p = st_xrealloc(*p, bytes);
        *cap = c;
        return;
    }
    void *q = st_big_alloc(bytes);
    if (*p)
        memcpy(q, *p, (size_t)*cap * sz);
    free(*p);
    *p = q;
    *cap = c;
}

void rt_grow(void **p, int64_t *cap, int64_t need, size_t sz)
{
    if (need <= *cap)
        return;
    int64_t c = *cap ? *cap : 8;
    while (c < need) {
        if (c > INT64_MAX / 2 || (uint64_t)c * 2 > SIZE_MAX / sz)
            rt_oom();
        c *= 2;
    }
    *p = st_xrealloc(*p, (size_t)c * sz);
    *cap = c;
}

/* ---- arenas ------------------------------------------------------------- */
/* The first chunk is small: windows keep an arena per pane (a 1 h window
   of 1 s panes has 3600), and a busy batch arena grows its chunks once and
   keeps them (st_arena_reset). */
enum { ARENA_ALIGN = 16, ARENA_FIRST = 4 << 10, ARENA_MAX_CHUNK = 64 << 20 };

typedef struct chunk {
    struct chunk *next;   /* older chunk */
    size_t cap, used;
    alignas(16) unsigned char data[];
} chunk;

struct st_arena {
    chunk *cur;           /* newest; the list ends at the first chunk */
    chunk *spare;         /* chunks of earlier batches, kept for reuse */
    size_t handed;        /* bytes handed out (st_arena_used) */
    size_t next_cap;
};

/* Under AddressSanitizer the bytes of a chunk not handed out are poisoned,
   and a reset poisons them all again: reading a batch's arena memory after
   the batch (a pointer kept across batches without a copy) or past what
   st_arena_alloc gave is then reported, not silently reading reused
   memory. */
#if defined(__SANITIZE_ADDRESS__)
#define ARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_ASAN 1
#endif
#endif
#ifdef ARENA_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

static chunk *chunk_new(size_t cap)
{
    chunk *c = st_big_alloc(sizeof(chunk) + cap);
    c->next = NULL;
    c->cap = cap;
    c->used = 0;
    POISON(c->data, cap);
    return c;
}

static void chunk_free(chunk *c)
{
    UNPOISON(c->data, c->cap);
    free(c);
}

st_arena *st_arena_new(void)
{
    st_arena *a = rt_xmalloc(sizeof *a);
    a->cur = chunk_new(ARENA_FIRST);
    a->spare = NULL;
    a->handed = 0;
    a->next_cap = ARENA_FIRST * 2;
    return a;
}

void st_arena_free(st_arena *a)
{
    if (!a)
        return;
    for (chunk *c = a->cur, *n; c; c = n) {
        n = c->next;
        chunk_free(c);
    }
    for (chunk *c = a->spare, *n; c; c = n) {
        n = c->next;
        chunk_free(c);
    }
    free(a);
}

void st_arena_reset(st_arena *a)
{
    /* Chunks go to the spare list, not back to malloc: a batch that needed
       them will likely need them again, and freeing large chunks unmaps
       them, so the next batch would fault every page in again. */
    chunk *c = a->cur;
    while (c->next) {
        chunk *n = c->next;
        POISON(c->data, c->cap);
        c->next = a->spare;
        a->spare = c;
        c = n;
    }
    POISON(c->data, c->cap);
    c->used = 0;
    a->cur = c;
    a->handed = 0;
    /* A batch that needed big chunks will likely need them again; keep
       next_cap so it does not climb the doubling ladder every batch. */
}

size_t st_arena_used(const st_arena *a)
{
    return a->handed;
}

void *st_arena_alloc(st_arena *a, size_t n)
{
    if (n > SIZE_MAX / 4)
        rt_oom();
    size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (need == 0)
        need = ARENA_ALIGN;   /* distinct non-NULL pointers for size 0 */
    chunk *c = a->cur;
    if (c->cap - c->used < need) {
        chunk **sp = &a->spare;
        while (*sp && (*sp)->cap < need)
            sp = &(*sp)->next;
        if (*sp) {
            c = *sp;
            *sp = c->next;
            c->used = 0;
        } else {
            size_t cap = a->next_cap;
            while (cap < need)
                cap *= 2;
            c = chunk_new(cap);
        }
        c->next = a->cur;
        a->cur = c;
        if (a->next_cap < ARENA_MAX_CHUNK)
            a->next_cap *= 2;
    }
    void *p = c->data + c->used;   /* used stays a multiple of 16 */
    c->used += need;
    a->handed += n;
    UNPOISON(p, n);
    return p;
}

st_str st_arena_strdup(st_arena *a, st_str s)
{
    if (s.n <= 0)
        return (st_str){ "", 0 };
    char *p = st_arena_alloc(a, (size_t)s.n);
    memcpy(p, s.p, (size_t)s.n);
    return (st_str){ p, s.n };
}

void st_part_grow(st_part *p, size_t elsz, st_arena *a)
{
    int64_t cap = p->cap > 0 ? p->cap * 2 : 8;
    if (p->cap > INT64_MAX / 4 || (uint64_t)cap > SIZE_MAX / 4 / (elsz ? elsz : 1))
        rt_oom();
    void *d = st_arena_alloc(a, (size_t)cap * elsz);
    if (p->n > 0)
        memcpy(d, p->data, (size_t)p->n * elsz);
    p->data = d;
    p->cap = cap;
}

/* ---- the thread-local arena of a running batch -------------------------- */
static _Thread_local st_arena *tls_arena;

st_arena *st_tls_arena(void)
{
    return tls_arena;
}

void rt_tls_arena_set(st_arena *a)
{
    tls_arena = a;
}
