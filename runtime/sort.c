/* sort.c: ordering keyed results by first appearance. Each result carries
 * the stamp of its key's first record (distinct, non-negative); the
 * partitions of a keyed stage are sorted by it once per batch (with a
 * comparison sort through a function pointer that cost more than merging
 * the workers' maps), then merged into one run.
 * Must not: allocate (the caller gives the scratch array). */
#include "streamrt.h"

/* LSD radix sort on the stamp's bytes. Stamps are (range << 40) + record
   position, so most of their bytes are the same in every element: a pass
   whose byte never varies is skipped, which leaves three or four. */
void st_sort_stamped(st_stamped *a, st_stamped *tmp, int64_t n)
{
    if (n < 2)
        return;
    int64_t cnt[8][256];
    memset(cnt, 0, sizeof cnt);
    for (int64_t i = 0; i < n; i++) {
        uint64_t s = (uint64_t)a[i].stamp;
        for (int d = 0; d < 8; d++)
            cnt[d][(s >> (8 * d)) & 255]++;
    }
    st_stamped *src = a, *dst = tmp;
    for (int d = 0; d < 8; d++) {
        int64_t *c = cnt[d];
        if (c[((uint64_t)a[0].stamp >> (8 * d)) & 255] == n)
            continue;   /* every element has the same byte d */
        int64_t at = 0;
        for (int b = 0; b < 256; b++) {
            int64_t k = c[b];
            c[b] = at;
            at += k;
        }
        for (int64_t i = 0; i < n; i++)
            dst[c[((uint64_t)src[i].stamp >> (8 * d)) & 255]++] = src[i];
        st_stamped *t = src;
        src = dst;
        dst = t;
    }
    if (src != a)
        memcpy(a, src, sizeof *a * (size_t)n);
}

/* Few runs (one per worker): the smallest head by a linear scan. */
void st_merge_stamped(st_stamped **runs, int64_t *n, int k, st_stamped *out)
{
    for (;;) {
        int best = -1;
        for (int i = 0; i < k; i++)
            if (n[i] > 0 && (best < 0 || runs[i]->stamp < runs[best]->stamp))
                best = i;
        if (best < 0)
            return;
        *out++ = *runs[best]++;
        n[best]--;
    }
}
