/* replay_bound.c: the bound on a replay's empty batches.
 *
 * A replay runs every batch from the first to the one of its last record
 * (docs/language.md §12.3), so one record at a far offset would make it run
 * (and print) up to 10^12 empty batches. A context's run may therefore hold
 * at most --max-empty-batches empty batches in a row before a record
 * (default RT_MAX_EMPTY_BATCHES); past it the run stops before its first
 * batch with an error naming the file and line of that record. Batches a
 * run does not reach (past --batches / --duration) are not checked.
 * Must not: cost more than a sort of the batches that hold records. */
#include "rt_internal.h"

#include <stdlib.h>

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int rt_replay_check_gaps(const rt_prog *p, const rt_vsrc *vs, int nsrc, const char *const *files,
                         const size_t *lens, int64_t batch_ms, int64_t first, int64_t last,
                         int64_t max_empty)
{
    /* the batches with records: every block of a listed source; a paced
       source covers the batches up to its last record */
    int64_t covered = 0, nk = 0, cap = 0, *ks = NULL;
    for (int s = 0; s < nsrc; s++) {
        const rt_vsrc *v = &vs[s];
        if (v->kind == RT_VS_PACED) {
            int64_t k = v->last_offset < 0 ? 0
                        : v->last_offset == INT64_MAX ? INT64_MAX : v->last_offset / batch_ms + 1;
            if (k > covered)
                covered = k;
            continue;
        }
        rt_grow((void **)&ks, &cap, nk + v->nblocks, sizeof *ks);
        for (int64_t b = 0; b < v->nblocks; b++)
            ks[nk++] = v->blocks[b].k;
    }
    if (nk > 0)
        qsort(ks, (size_t)nk, sizeof *ks, cmp_i64);
    int rc = 0;
    int64_t prev = first - 1;
    for (int64_t i = 0; i < nk && rc == 0; i++) {
        int64_t k = ks[i];
        if (k <= prev || k > last)
            continue;
        if (covered > prev)
            prev = covered < k ? covered : k;
        if (k - prev - 1 > max_empty) {
            /* the source and line of the record that ends the gap */
            for (int s = 0; s < nsrc; s++) {
                int64_t off = 0, line;
                if (!files[s] || vs[s].kind != RT_VS_LIST ||
                    (line = rt_vsrc_line_of_batch(vs[s].text, lens[s], batch_ms, k, &off)) == 0)
                    continue;
                rt_log(p, "error", "%s:%lld: offset %lld ms leaves %lld empty batches before it "
                       "(at most %lld; --max-empty-batches raises the limit)", files[s],
                       (long long)line, (long long)off, (long long)(k - prev - 1),
                       (long long)max_empty);
                rc = -1;
                break;
            }
            if (rc == 0) {   /* cannot happen: a block's batch has a line */
                rt_log(p, "error", "replay: %lld empty batches before batch %lld (at most %lld)",
                       (long long)(k - prev - 1), (long long)k, (long long)max_empty);
                rc = -1;
            }
        }
        prev = k;
    }
    free(ks);
    return rc;
}
