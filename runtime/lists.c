/* lists.c: what lists of the language need at run time (see streamrt.h). */
#include <string.h>

#include "streamrt.h"

int64_t st_split_list(st_arena *a, st_str s, st_str sep, st_str **out)
{
    st_split it;
    st_str piece;
    int64_t n = 0;
    st_split_init(&it, s, sep);
    while (st_split_next(&it, &piece))
        n++;
    st_str *v = n ? st_arena_alloc(a, (size_t)n * sizeof *v) : NULL;
    int64_t i = 0;
    st_split_init(&it, s, sep);
    while (i < n && st_split_next(&it, &piece))
        v[i++] = piece;
    *out = v;
    return n;
}

st_str st_join(st_arena *a, const st_str *parts, int64_t n, st_str start, st_str sep, st_str end)
{
    int64_t len = start.n + end.n + (n > 1 ? (n - 1) * sep.n : 0);
    for (int64_t i = 0; i < n; i++)
        len += parts[i].n;
    char *p = st_arena_alloc(a, (size_t)len + 1);
    char *q = p;
    memcpy(q, start.p, (size_t)start.n);
    q += start.n;
    for (int64_t i = 0; i < n; i++) {
        if (i) {
            memcpy(q, sep.p, (size_t)sep.n);
            q += sep.n;
        }
        if (parts[i].n)
            memcpy(q, parts[i].p, (size_t)parts[i].n);
        q += parts[i].n;
    }
    if (end.n)
        memcpy(q, end.p, (size_t)end.n);
    q += end.n;
    *q = '\0';
    return (st_str){ p, len };
}

/* merge sort, bottom up, between base and a scratch copy */
void st_sort_stable(st_arena *a, void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    if (n < 2)
        return;
    char *src = base, *dst = st_arena_alloc(a, n * size);
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) {
                if (cmp(src + j * size, src + i * size) < 0)
                    memcpy(dst + k++ * size, src + j++ * size, size);
                else
                    memcpy(dst + k++ * size, src + i++ * size, size);
            }
            if (i < mid)
                memcpy(dst + k * size, src + i * size, (mid - i) * size), k += mid - i;
            if (j < hi)
                memcpy(dst + k * size, src + j * size, (hi - j) * size);
        }
        char *t = src;
        src = dst;
        dst = t;
    }
    if (src != base)
        memcpy(base, src, n * size);
}
