/* base_common.h: pieces shared by the hand-written baselines: the replay
 * file mapped into memory, a string hash, an open-addressing hash table
 * keyed by slices of the mapped file (no copies), and Spark-style print
 * blocks. Single-threaded, no dependency beyond libc.
 *
 * The baselines read a replay file whose offsets never decrease (what
 * gen.c writes); streamc itself accepts any order. */
#ifndef BASE_COMMON_H
#define BASE_COMMON_H

#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static inline const char *map_file(const char *path, size_t *n)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        perror(path);
        exit(1);
    }
    *n = (size_t)st.st_size;
    if (*n == 0) {
        close(fd);
        return "";
    }
    void *p = mmap(NULL, *n, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    madvise(p, *n, MADV_SEQUENTIAL);
    close(fd);
    return p;
}

/* A line "OFFSET\tRECORD": the offset, and the record in (*rec, *rn).
   Returns the start of the next line; -1 offset for a malformed line. */
static inline const char *next_line(const char *p, const char *end, int64_t *off,
                                    const char **rec, size_t *rn)
{
    int64_t v = 0;
    const char *q = p;
    while (q < end && *q >= '0' && *q <= '9')
        v = v * 10 + (*q++ - '0');
    const char *nl = memchr(q, '\n', (size_t)(end - q));
    if (!nl)
        nl = end;
    if (q == p || q >= end || *q != '\t') {
        *off = -1;
        *rec = q;
        *rn = 0;
        return nl < end ? nl + 1 : end;
    }
    *off = v;
    *rec = q + 1;
    *rn = (size_t)(nl - (q + 1));
    if (*rn && (*rec)[*rn - 1] == '\r')
        (*rn)--;
    return nl < end ? nl + 1 : end;
}

/* ---- hash: 8 bytes at a time, multiply-xorshift mixing ------------------ */
/* True when the line at p starts with an offset at or past limit: the
   first record of a later batch. */
static inline bool starts_later_batch(const char *p, const char *end, int64_t limit)
{
    const char *q = p;
    int64_t v = 0;
    while (q < end && *q >= '0' && *q <= '9')
        v = v * 10 + (*q++ - '0');
    return q > p && v >= limit;
}

static inline uint64_t h_mix(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t hash_bytes(const char *p, size_t n)
{
    uint64_t h = 0x243F6A8885A308D3ull ^ n, w;
    while (n >= 8) {
        memcpy(&w, p, 8);
        h = h_mix(h ^ w, 0x9E3779B97F4A7C15ull);
        p += 8;
        n -= 8;
    }
    if (n) {
        w = 0;
        memcpy(&w, p, n);
        h = h_mix(h ^ w, 0x9E3779B97F4A7C15ull);
    }
    return h_mix(h, 0xC2B2AE3D27D4EB4Full);
}

/* ---- hash table: slice -> int64 count ----------------------------------- */
/* Keys of up to 16 bytes (nearly every word) are kept inline, zero-padded,
   and compared as two 64-bit words: a probe touches one 32-byte entry and
   never the key's bytes in the file. Longer keys point into the file. */
typedef struct hent {
    union {
        uint64_t w[2];
        const char *p;
    } k;
    uint32_t n;        /* key length; 0: empty slot (keys are never empty) */
    uint32_t h;
    int64_t v;
} hent;

typedef struct htab {
    hent *e;
    size_t cap, used;  /* cap a power of two */
} htab;

static inline void ht_init(htab *t, size_t cap)
{
    t->cap = cap;
    t->used = 0;
    t->e = calloc(cap, sizeof *t->e);
    if (!t->e) {
        perror("calloc");
        exit(1);
    }
}

static inline void ht_clear(htab *t)
{
    memset(t->e, 0, t->cap * sizeof *t->e);
    t->used = 0;
}

static inline const char *ht_key(const hent *e)
{
    return e->n <= 16 ? (const char *)e->k.w : e->k.p;
}

static inline void ht_grow(htab *t)
{
    htab nt;
    ht_init(&nt, t->cap * 2);
    for (size_t i = 0; i < t->cap; i++) {
        hent *e = &t->e[i];
        if (!e->n)
            continue;
        size_t s = e->h & (nt.cap - 1);
        while (nt.e[s].n)
            s = (s + 1) & (nt.cap - 1);
        nt.e[s] = *e;
    }
    nt.used = t->used;
    free(t->e);
    *t = nt;
}

/* The entry of key (p, n), n > 0, made with value 0 if new. */
static inline hent *ht_get(htab *t, const char *p, size_t n)
{
    uint64_t h64 = hash_bytes(p, n);
    uint32_t h = (uint32_t)(h64 >> 32);
    uint64_t w[2] = { 0, 0 };
    if (n <= 16)
        memcpy(w, p, n);
    for (;;) {
        size_t m = t->cap - 1, s = h & m;
        for (;;) {
            hent *e = &t->e[s];
            if (!e->n)
                break;
            if (e->h == h && e->n == n &&
                (n <= 16 ? (e->k.w[0] == w[0] && e->k.w[1] == w[1])
                         : memcmp(e->k.p, p, n) == 0))
                return e;
            s = (s + 1) & m;
        }
        if ((t->used + 1) * 2 > t->cap) {
            ht_grow(t);
            continue;
        }
        hent *e = &t->e[s];
        if (n <= 16) {
            e->k.w[0] = w[0];
            e->k.w[1] = w[1];
        } else {
            e->k.p = p;
        }
        e->n = (uint32_t)n;
        e->h = h;
        e->v = 0;
        t->used++;
        return e;
    }
}

/* ---- output as DStream.print ------------------------------------------- */
static inline void print_header(int64_t time_ms)
{
    printf("-------------------------------------------\n"
           "Time: %lld ms\n"
           "-------------------------------------------\n",
           (long long)time_ms);
}

#endif
