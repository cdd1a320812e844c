/* blockstore_prune.c: what keeps a source's set of logged positions (the
 * block store's files[], rt_internal.h) from growing with the run. The set
 * answers st_recv_position_logged and st_recv_positions_each, and every
 * snapshot carries it whole, so a source that marks a position per read
 * would make each snapshot bigger and slower without end. When a snapshot
 * is written (rt_bs_blob) the set drops
 *   - a range source's older ranges of a key (rt_bs_prune_ranges_locked):
 *     it resumes after the newest, and a re-run block replays from the
 *     ranges of its own log entry;
 *   - the positions a source has acknowledged to where it reads from
 *     (rt_bs_prune_acked_locked, st_recv_acked): the records of such a
 *     position can never be handed to it again, so nothing is matched
 *     against it after a restart (a re-run block's positions, for
 *     replay, are in its own log entry, not in the set).
 * What a restart reads is the snapshot's set plus the positions of the
 * log entries after it, so a position dropped here was not needed there
 * either. Threads: under bs->mu, as every access to the set; the mark is
 * set from the receiver's callbacks (any thread), copied in. */
#include "rt_internal.h"

#include <stdlib.h>

/* The end of range position "KEY:FROM-TO" and its key's length; false
   when p is not one. */
static bool range_of(const char *p, size_t *kl, int64_t *to)
{
    const char *colon = strrchr(p, ':'), *dash = colon ? strrchr(colon, '-') : NULL;
    if (!dash)
        return false;
    char *end;
    long long t = strtoll(dash + 1, &end, 10);
    if (*end || end == dash + 1)
        return false;
    *kl = (size_t)(colon - p);
    *to = t;
    return true;
}

/* A source of range positions resumes after the newest range of each key
   and replays a block from the ranges of its own log entry: the older
   ranges of the set are dropped (when a snapshot is written), so that the
   set, and every snapshot, does not grow with the run. Under bs->mu. */
void rt_bs_prune_ranges_locked(rt_bsrc *s)
{
    if (!s->ranges || s->nfiles < 2)
        return;
    char **old = s->files;
    int64_t n = s->nfiles, nk = 0;
    int64_t *best = rt_xmalloc((size_t)n * sizeof *best);   /* per key: the index of its newest */
    for (int64_t k = 0; k < n; k++) {
        size_t kl, ol;
        int64_t to, oto;
        if (!range_of(old[k], &kl, &to)) {
            best[nk++] = k;   /* not a range: kept */
            continue;
        }
        int64_t j = 0;
        for (; j < nk; j++)
            if (range_of(old[best[j]], &ol, &oto) && ol == kl && strncmp(old[best[j]], old[k], kl) == 0)
                break;
        if (j == nk)
            best[nk++] = k;
        else if (to >= oto)
            best[j] = k;
    }
    if (nk == n) {
        free(best);
        return;
    }
    bool *kept = rt_xcalloc((size_t)n, sizeof *kept);
    for (int64_t j = 0; j < nk; j++)
        kept[best[j]] = true;
    rt_bs_keep_locked(s, kept);
    free(kept);
    free(best);
}

void rt_bs_set_acked(rt_bstore *bs, int i, const char *mark, bool (*covered)(const char *pos, const char *mark))
{
    size_t n = strlen(mark);
    char *copy = rt_xmalloc(n + 1);
    memcpy(copy, mark, n + 1);
    pthread_mutex_lock(&bs->mu);
    rt_bsrc *s = &bs->src[i];
    if (!s->acked || !covered(copy, s->acked)) {
        free(s->acked);
        s->acked = copy;
        s->covered = covered;
        copy = NULL;
    }
    pthread_mutex_unlock(&bs->mu);
    free(copy);
}

void rt_bs_prune_acked_locked(rt_bsrc *s)
{
    if (!s->acked || !s->covered || s->nfiles == 0)
        return;
    bool *kept = rt_xmalloc((size_t)s->nfiles * sizeof *kept);
    int64_t nk = 0;
    for (int64_t k = 0; k < s->nfiles; k++) {
        kept[k] = !s->covered(s->files[k], s->acked);
        nk += kept[k];
    }
    if (nk < s->nfiles)
        rt_bs_keep_locked(s, kept);
    free(kept);
}
