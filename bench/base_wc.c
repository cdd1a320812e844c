/* base_wc.c: hand-written single-threaded word count, the baseline for
 * pipelines/wordcount.stream and pipelines/wordcount_window.stream.
 *
 *   base_wc FILE BATCH_MS NBATCHES            per-batch word count
 *   base_wc FILE BATCH_MS NBATCHES WINDOW     incremental window of WINDOW
 *                                             batches sliding one batch
 *
 * mmaps the replay file, splits each record at ' ' (no empty words in
 * gen.c's data), counts words per batch in an open-addressing table keyed
 * by slices of the file, and prints per batch, as the pipelines do: the
 * number of distinct words (count > 0), then (total words, sum of
 * len(word) * count), or an empty block when the batch has no word. */
#include "base_common.h"

typedef struct kvs {
    hent *a;   /* copies of a batch table's entries (keys inline or in the file) */
    size_t n, cap;
} kvs;

static void emit(int64_t t, int64_t distinct, int64_t sum, int64_t wsum)
{
    print_header(t);
    printf("%lld\n\n", (long long)distinct);
    print_header(t);
    if (sum > 0 || distinct > 0)
        printf("(%lld,%lld)\n", (long long)sum, (long long)wsum);
    printf("\n");
}

static inline void count_words(htab *t, const char *r, size_t rn)
{
    const char *end = r + rn;
    while (r < end) {
        const char *sp = memchr(r, ' ', (size_t)(end - r));
        if (!sp)
            sp = end;
        ht_get(t, r, (size_t)(sp - r))->v++;
        r = sp + 1;
    }
}

int main(int argc, char **argv)
{
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: base_wc FILE BATCH_MS NBATCHES [WINDOW_BATCHES]\n");
        return 2;
    }
    size_t n;
    const char *p = map_file(argv[1], &n), *end = p + n;
    int64_t batch = atoll(argv[2]), nb = atoll(argv[3]);
    int64_t win = argc == 5 ? atoll(argv[4]) : 0;
    static char obuf[1 << 16];
    setvbuf(stdout, obuf, _IOFBF, sizeof obuf);

    htab bt;                 /* this batch's counts */
    ht_init(&bt, 1 << 16);
    htab wt;                 /* window: word -> count (keys kept at 0) */
    kvs *ring = NULL;        /* per-batch results still in the window */
    int64_t npos = 0, wsum_n = 0, wsum_l = 0;
    if (win > 0) {
        ht_init(&wt, 1 << 16);
        ring = calloc((size_t)win, sizeof *ring);
    }

    for (int64_t k = 1; k <= nb; k++) {
        int64_t limit = k * batch;
        ht_clear(&bt);
        while (p < end) {
            int64_t off;
            const char *rec;
            size_t rn;
            if (starts_later_batch(p, end, limit))
                break;
            p = next_line(p, end, &off, &rec, &rn);
            if (off >= 0)
                count_words(&bt, rec, rn);
        }
        if (win == 0) {
            int64_t distinct = 0, sum = 0, wsum = 0;
            for (size_t i = 0; i < bt.cap; i++) {
                const hent *e = &bt.e[i];
                if (!e->n)
                    continue;
                distinct++;
                sum += e->v;
                wsum += (int64_t)e->n * e->v;
            }
            emit(k * batch, distinct, sum, wsum);
            continue;
        }
        /* window: add this batch, subtract the batch leaving it */
        kvs *slot = &ring[k % win];
        for (size_t i = 0; i < slot->n; i++) {
            const hent *x = &slot->a[i];
            hent *e = ht_get(&wt, ht_key(x), x->n);
            e->v -= x->v;
            if (e->v == 0)
                npos--;
            wsum_n -= x->v;
            wsum_l -= (int64_t)x->n * x->v;
        }
        slot->n = 0;
        if (slot->cap < bt.used) {
            slot->cap = bt.used;
            slot->a = realloc(slot->a, slot->cap * sizeof *slot->a);
        }
        for (size_t i = 0; i < bt.cap; i++) {
            const hent *b = &bt.e[i];
            if (!b->n)
                continue;
            slot->a[slot->n++] = *b;
            hent *e = ht_get(&wt, ht_key(b), b->n);
            if (e->v == 0)
                npos++;
            e->v += b->v;
            wsum_n += b->v;
            wsum_l += (int64_t)b->n * b->v;
        }
        emit(k * batch, npos, wsum_n, wsum_l);
    }
    return 0;
}
