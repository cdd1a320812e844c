/* hash.c: the hash functions of keys (xxHash XXH3, compiled in header-only
 * so executables need no libxxhash at run time).
 * Must not: include xxhash.h anywhere else (one inlined copy is enough). */
#include "rt_internal.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <math.h>

uint64_t st_hash_bytes(const void *p, size_t n, uint64_t seed)
{
    return XXH3_64bits_withSeed(n ? p : "", n, seed);
}

/* Equal floats hash alike: -0.0 as 0.0, every NaN as one NaN. */
uint64_t st_hash_float(double v, uint64_t seed)
{
    if (v == 0)
        v = 0;
    else if (v != v)
        v = NAN;
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    return st_hash_int((int64_t)bits, seed);
}
