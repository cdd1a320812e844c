/* st_map.h: a hash map template for generated keyed stages.
 *
 * ST_MAP_DEFINE(NAME, KT, VT, EQ) defines NAME (a map from KT to VT) with
 * inline functions specialised for the key type, so that the hot loop of
 * a keyed stage makes no call through a pointer. The caller computes the
 * hash (the generated code has a hash function per key type) and passes
 * it in; EQ(a, b) compares two keys. ST_SMAP_DEFINE(NAME, VT, EQ) is the
 * same for string keys (KT = st_str; EQ as st_str_eq) with the key's first
 * bytes kept inline in the entry, see st_kinl.
 *
 * Entries live in one dense array in insertion order: iteration is in the
 * order keys first arrived, which makes keyed output deterministic. The
 * index is open addressing with linear probing over 64-bit slots holding
 * the upper hash bits and the entry number, so a probe rarely touches an
 * entry that does not match. No deletion: entries stay until the map is
 * cleared or freed. Memory is malloc'd and owned by the map.
 */
#ifndef ST_MAP_H
#define ST_MAP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void *st_xrealloc(void *p, size_t n);   /* aborts on OOM (runtime, arena.c) */
void *st_big_alloc(size_t n);           /* as malloc, huge pages for big n (arena.c) */

/* A string key's bytes as two words, kept in the entry next to its length:
 * string keys are slices of the input (the replay file, a receiver's
 * block), so comparing through the pointer costs a cache miss per probe
 * in a file far larger than the cache. For keys of up to 16 bytes, equal
 * lengths and equal words mean equal keys, and a probe never follows the
 * pointer; longer keys keep their first 16 bytes here and compare the rest
 * through it. Loads stay within the key's bytes (overlapping for 4..7 and
 * 9..15), so this never reads past the slice. */
typedef struct st_kinl {
    uint64_t w0, w1;
} st_kinl;

static inline st_kinl st_kinl_make(const char *p, int64_t n)
{
    st_kinl k = { 0, 0 };
    if (n >= 8) {
        memcpy(&k.w0, p, 8);
        memcpy(&k.w1, n >= 16 ? p + 8 : p + n - 8, 8);
    } else if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, p, 4);
        memcpy(&b, p + n - 4, 4);
        k.w0 = a | (uint64_t)b << 32;
    } else if (n > 0) {
        k.w0 = (uint64_t)(unsigned char)p[0] | (uint64_t)(unsigned char)p[n / 2] << 8 |
               (uint64_t)(unsigned char)p[n - 1] << 16;
    }
    return k;
}

/* The bytes of a key of n <= 16 bytes rebuilt from its st_kinl (the
 * inverse of st_kinl_make), written to dst[0, n): a keyed stage's output
 * copies its short string keys this way into one buffer instead of
 * pointing back into the input, where each key is a cache miss for
 * whatever reads it next. */
static inline void st_kinl_bytes(st_kinl k, int64_t n, char *dst)
{
    if (n >= 8) {
        memcpy(dst, &k.w0, 8);
        memcpy(dst + n - 8, &k.w1, 8);
    } else if (n >= 4) {
        uint32_t a = (uint32_t)k.w0, b = (uint32_t)(k.w0 >> 32);
        memcpy(dst, &a, 4);
        memcpy(dst + n - 4, &b, 4);
    } else if (n > 0) {
        dst[0] = (char)(unsigned char)k.w0;
        dst[n / 2] = (char)(unsigned char)(k.w0 >> 8);
        dst[n - 1] = (char)(unsigned char)(k.w0 >> 16);
    }
}

/* Per-key-kind pieces of the template: KI##_FIELD (a member of the entry),
 * KI##_T and KI##_MAKE(k) (what a probe computes once per key), KI##_SET
 * and KI##_GET (store it in, read it from an entry), and
 * KI##_MATCH(e, ki, k, h, EQ) (does entry e hold key k). */
#define ST_KI_ANY_FIELD
#define ST_KI_ANY_T int
#define ST_KI_ANY_MAKE(k) 0
#define ST_KI_ANY_SET(e, ki) (void)(ki)
#define ST_KI_ANY_GET(e) 0
#define ST_KI_ANY_MATCH(e, ki, k, h, EQ) ((void)(ki), (e)->h == (h) && EQ((e)->k, (k)))

#define ST_KI_STR_FIELD st_kinl ki;
#define ST_KI_STR_T st_kinl
#define ST_KI_STR_MAKE(k) st_kinl_make((k).p, (k).n)
#define ST_KI_STR_SET(e, kv) ((e)->ki = (kv))
#define ST_KI_STR_GET(e) ((e)->ki)
#define ST_KI_STR_MATCH(e, kv, k, h, EQ)                                         \
    ((e)->k.n == (k).n && (e)->ki.w0 == (kv).w0 && (e)->ki.w1 == (kv).w1 &&        \
     ((k).n <= 16 || memcmp((e)->k.p + 16, (k).p + 16, (size_t)(k).n - 16) == 0))

#define ST_MAP_DEFINE(NAME, KT, VT, EQ) ST_MAP_DEFINE_(NAME, KT, VT, EQ, ST_KI_ANY)
#define ST_SMAP_DEFINE(NAME, VT, EQ) ST_MAP_DEFINE_(NAME, st_str, VT, EQ, ST_KI_STR)

#define ST_MAP_DEFINE_(NAME, KT, VT, EQ, KI)                                     \
    typedef struct NAME##_ent {                                                  \
        KT k;                                                                    \
        KI##_FIELD                                                               \
        uint64_t h;                                                              \
        VT v;                                                                    \
    } NAME##_ent;                                                                \
    typedef struct NAME {                                                        \
        NAME##_ent *ents;                                                        \
        int64_t n, cap;                                                          \
        uint64_t *slots; /* 0 = empty; else (h & ~mask32) | (index + 1) */        \
        uint64_t nslots;                                                         \
    } NAME;                                                                      \
    static inline void NAME##_free(NAME *m)                                      \
    {                                                                            \
        free(m->ents);                                                           \
        free(m->slots);                                                          \
        memset(m, 0, sizeof *m);                                                 \
    }                                                                            \
    static inline void NAME##_clear(NAME *m)                                     \
    {                                                                            \
        m->n = 0;                                                                \
        if (m->slots)                                                            \
            memset(m->slots, 0, m->nslots * sizeof *m->slots);                   \
    }                                                                            \
    static inline void NAME##_rehash(NAME *m, uint64_t nslots)                   \
    {                                                                            \
        free(m->slots);                                                          \
        m->slots = (uint64_t *)st_big_alloc(nslots * sizeof *m->slots);          \
        memset(m->slots, 0, nslots * sizeof *m->slots);                          \
        m->nslots = nslots;                                                      \
        for (int64_t i = 0; i < m->n; i++) {                                     \
            uint64_t h = m->ents[i].h, j = h & (nslots - 1);                     \
            while (m->slots[j])                                                  \
                j = (j + 1) & (nslots - 1);                                      \
            m->slots[j] = (h & 0xFFFFFFFF00000000ull) | (uint64_t)(i + 1);       \
        }                                                                        \
    }                                                                            \
    static inline NAME##_ent *NAME##_find(const NAME *m, KT k, uint64_t h)       \
    {                                                                            \
        if (!m->nslots)                                                          \
            return NULL;                                                         \
        const KI##_T ki = KI##_MAKE(k);                                          \
        uint64_t j = h & (m->nslots - 1), tag = h & 0xFFFFFFFF00000000ull;       \
        for (;;) {                                                               \
            uint64_t s = m->slots[j];                                            \
            if (!s)                                                              \
                return NULL;                                                     \
            if ((s & 0xFFFFFFFF00000000ull) == tag) {                            \
                NAME##_ent *e = &m->ents[(s & 0xFFFFFFFFull) - 1];               \
                if (KI##_MATCH(e, ki, k, h, EQ))                                 \
                    return e;                                                    \
            }                                                                    \
            j = (j + 1) & (m->nslots - 1);                                       \
        }                                                                        \
    }                                                                            \
    static inline NAME##_ent *NAME##_upsert_(NAME *m, KT k, KI##_T ki,           \
                                             uint64_t h, bool *inserted)         \
    {                                                                            \
        if ((uint64_t)(m->n + 1) * 4 > m->nslots * 3)                            \
            NAME##_rehash(m, m->nslots ? m->nslots * 2 : 16);                    \
        uint64_t j = h & (m->nslots - 1), tag = h & 0xFFFFFFFF00000000ull;       \
        for (;;) {                                                               \
            uint64_t s = m->slots[j];                                            \
            if (!s)                                                              \
                break;                                                           \
            if ((s & 0xFFFFFFFF00000000ull) == tag) {                            \
                NAME##_ent *e = &m->ents[(s & 0xFFFFFFFFull) - 1];               \
                if (KI##_MATCH(e, ki, k, h, EQ)) {                               \
                    *inserted = false;                                           \
                    return e;                                                    \
                }                                                                \
            }                                                                    \
            j = (j + 1) & (m->nslots - 1);                                       \
        }                                                                        \
        if (m->n == m->cap) {                                                    \
            m->cap = m->cap ? m->cap * 2 : 16;                                   \
            NAME##_ent *ne =                                                     \
                (NAME##_ent *)st_big_alloc((size_t)m->cap * sizeof *m->ents);    \
            if (m->n)                                                            \
                memcpy(ne, m->ents, (size_t)m->n * sizeof *m->ents);             \
            free(m->ents);                                                       \
            m->ents = ne;                                                        \
        }                                                                        \
        NAME##_ent *e = &m->ents[m->n++];                                        \
        m->slots[j] = tag | (uint64_t)m->n;                                      \
        e->k = k;                                                                \
        KI##_SET(e, ki);                                                         \
        e->h = h;                                                                \
        *inserted = true;                                                        \
        return e;                                                                \
    }                                                                            \
    /* The entry for k; a new one (k and h set, v to be set) when *inserted. */  \
    static inline NAME##_ent *NAME##_upsert(NAME *m, KT k, uint64_t h,           \
                                            bool *inserted)                      \
    {                                                                            \
        return NAME##_upsert_(m, k, KI##_MAKE(k), h, inserted);                  \
    }                                                                            \
    /* As upsert with the key of an entry of another map of this type: what    \
       the entry keeps of its key is reused, not read again through it. */   \
    static inline NAME##_ent *NAME##_upsert_ent(NAME *m, const NAME##_ent *s,    \
                                                bool *inserted)                  \
    {                                                                            \
        return NAME##_upsert_(m, s->k, KI##_GET(s), s->h, inserted);             \
    }

#endif
