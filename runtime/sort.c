/* sort.c: ordering keyed results by first appearance. Each result carries
 * the stamp of its key's first record (distinct, non-negative); the
 * partitions of a keyed stage are sorted by it once per batch (with a
 * comparison sort through a function pointer that cost more than merging
 * the workers' maps), then merged: each output part reads its own stretch
 * of the merge, so the workers fill the parts at once.
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

/* Elements of a run with a stamp below s. */
static int64_t count_below(const st_stamped *r, int64_t n, int64_t s)
{
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (r[mid].stamp < s)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void st_stamped_seek(st_stamped *const *runs, const int64_t *n, int k, int64_t q, int64_t *at)
{
    int64_t total = 0, lo = INT64_MAX, hi = INT64_MIN;
    for (int i = 0; i < k; i++) {
        total += n[i];
        if (n[i] > 0) {
            lo = runs[i][0].stamp < lo ? runs[i][0].stamp : lo;
            hi = runs[i][n[i] - 1].stamp > hi ? runs[i][n[i] - 1].stamp : hi;
        }
    }
    if (q <= 0 || q >= total) {
        for (int i = 0; i < k; i++)
            at[i] = q <= 0 ? 0 : n[i];
        return;
    }
    /* the q-th stamp: the least s with more than q stamps <= s (stamps are
       distinct, so exactly q lie below it) */
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2, c = 0;
        for (int i = 0; i < k; i++)
            c += count_below(runs[i], n[i], mid + 1);
        if (c > q)
            hi = mid;
        else
            lo = mid + 1;
    }
    for (int i = 0; i < k; i++)
        at[i] = count_below(runs[i], n[i], lo);
}
