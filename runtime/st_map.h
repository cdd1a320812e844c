/* st_map.h: a hash map template for generated keyed stages.
 *
 * ST_MAP_DEFINE(NAME, KT, VT, EQ) defines NAME (a map from KT to VT) with
 * inline functions specialised for the key type, so that the hot loop of
 * a keyed stage makes no call through a pointer. The caller computes the
 * hash (the generated code has a hash function per key type) and passes
 * it in; EQ(a, b) compares two keys.
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

#define ST_MAP_DEFINE(NAME, KT, VT, EQ)                                          \
    typedef struct NAME##_ent {                                                  \
        KT k;                                                                    \
        VT v;                                                                    \
        uint64_t h;                                                              \
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
        m->slots = (uint64_t *)calloc(nslots, sizeof *m->slots);                 \
        if (!m->slots)                                                           \
            abort();                                                             \
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
        uint64_t j = h & (m->nslots - 1), tag = h & 0xFFFFFFFF00000000ull;       \
        for (;;) {                                                               \
            uint64_t s = m->slots[j];                                            \
            if (!s)                                                              \
                return NULL;                                                     \
            if ((s & 0xFFFFFFFF00000000ull) == tag) {                            \
                NAME##_ent *e = &m->ents[(s & 0xFFFFFFFFull) - 1];               \
                if (e->h == h && EQ(e->k, k))                                    \
                    return e;                                                    \
            }                                                                    \
            j = (j + 1) & (m->nslots - 1);                                       \
        }                                                                        \
    }                                                                            \
    /* The entry for k; a new one (k and h set, v to be set) when *inserted. */  \
    static inline NAME##_ent *NAME##_upsert(NAME *m, KT k, uint64_t h,           \
                                            bool *inserted)                      \
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
                if (e->h == h && EQ(e->k, k)) {                                  \
                    *inserted = false;                                           \
                    return e;                                                    \
                }                                                                \
            }                                                                    \
            j = (j + 1) & (m->nslots - 1);                                       \
        }                                                                        \
        if (m->n == m->cap) {                                                    \
            m->cap = m->cap ? m->cap * 2 : 16;                                   \
            m->ents = (NAME##_ent *)st_xrealloc(m->ents,                         \
                                                (size_t)m->cap * sizeof *m->ents); \
        }                                                                        \
        NAME##_ent *e = &m->ents[m->n++];                                        \
        m->slots[j] = tag | (uint64_t)m->n;                                      \
        e->k = k;                                                                \
        e->h = h;                                                                \
        *inserted = true;                                                        \
        return e;                                                                \
    }

#endif
