/* ckpt.c: what ties a real-time checkpoint directory together
 * (docs/runtime.md §10): the program identity every durable file carries,
 * the manifest, and the choice of the snapshot a restart restores.
 *
 * The manifest DIR/CONTEXT/manifest, rewritten atomically (temp file,
 * fsync, rename, fsync of the directory) whenever a log segment is
 * started or removed, lists the live segments and the newest snapshot,
 * so that a deleted segment or a deleted newest snapshot is seen instead
 * of silently skipped:
 *   "STMAN\n" u16 version, u64 program identity, i64 newest snapshot time
 *   (INT64_MIN: none), i64 records received through it, i64 segment count,
 *   i64 per segment, u64 XXH3 of everything before it.
 * Must not: let recovery start from a snapshot it cannot prove is the
 * newest, or from an older one without the log that bridges to now.
 */
#include "rt_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAN_MAGIC "STMAN\n"
#define MAN_VERSION 2

uint64_t rt_ckpt_ident(const st_context_desc *d)
{
    st_buf b = { 0 };
    st_buf_puts(&b, "streamc-checkpoint-2;");
    st_buf_puts(&b, d->name ? d->name : "");
    st_ser_i64(&b, d->batch_ms);
    st_ser_i64(&b, d->block_ms);
    st_ser_i64(&b, (int64_t)d->state_hash);
    st_ser_i64(&b, d->nsources);
    for (int i = 0; i < d->nsources; i++) {
        const st_source_desc *s = &d->sources[i];
        st_buf_puts(&b, s->name ? s->name : "");
        st_buf_putc(&b, ';');
        st_ser_i64(&b, s->kind);
        st_ser_i64(&b, s->storage & ST_STORE_REPL);
    }
    uint64_t h = st_hash_bytes(b.p, b.n, 0);
    st_buf_free(&b);
    return h;
}

void rt_manifest_free(rt_manifest *m)
{
    free(m->segs);
    m->segs = NULL;
    m->nsegs = 0;
}

int rt_manifest_parse(const char *t, size_t n, uint64_t ident, rt_manifest *m, char *why, size_t nwhy)
{
    memset(m, 0, sizeof *m);
    m->snap_t = INT64_MIN;
    if (n < 8 + 8 * 4 + 8 || memcmp(t, MAN_MAGIC, 6) != 0) {
        snprintf(why, nwhy, "not a manifest, or truncated");
        return -1;
    }
    st_rd ck = { t + n - 8, t + n, false };
    if ((uint64_t)st_rd_i64(&ck) != st_hash_bytes(t, n - 8, 0)) {
        snprintf(why, nwhy, "bad checksum");
        return -1;
    }
    if ((unsigned char)t[6] != MAN_VERSION || t[7] != 0) {
        snprintf(why, nwhy, "format version %u; this program reads version %d",
                 (unsigned char)t[6] | (unsigned)(unsigned char)t[7] << 8, MAN_VERSION);
        return -1;
    }
    st_rd r = { t + 8, t + n - 8, false };
    if ((uint64_t)st_rd_i64(&r) != ident)
        return -2;
    m->snap_t = st_rd_i64(&r);
    m->snap_recs = st_rd_i64(&r);
    int64_t ns = st_rd_i64(&r);
    if ((m->snap_t != INT64_MIN && (m->snap_t < 0 || m->snap_t >= RT_TIME_LIMIT)) || m->snap_recs < 0) {
        snprintf(why, nwhy, "its snapshot entry does not parse");
        m->snap_t = INT64_MIN;
        return -1;
    }
    if (r.bad || ns < 0 || ns != (r.end - r.p) / 8 || (r.end - r.p) % 8 != 0) {
        snprintf(why, nwhy, "its segment list does not parse");
        return -1;
    }
    m->segs = rt_xmalloc((size_t)ns * sizeof *m->segs + 1);
    for (int64_t k = 0; k < ns; k++) {
        m->segs[k] = st_rd_i64(&r);
        if (m->segs[k] < 0 || (k > 0 && m->segs[k] <= m->segs[k - 1])) {
            snprintf(why, nwhy, "its segment list is not in order");
            rt_manifest_free(m);
            return -1;
        }
    }
    m->nsegs = ns;
    return 1;
}

int rt_manifest_read(const char *dir, uint64_t ident, rt_manifest *m, char *why, size_t nwhy)
{
    memset(m, 0, sizeof *m);
    m->snap_t = INT64_MIN;
    char *path = rt_path_join(dir, "manifest"), *t;
    size_t n;
    int e = rt_read_file(path, &t, &n);
    free(path);
    if (e == ENOENT)
        return 0;
    if (e) {
        snprintf(why, nwhy, "cannot read it: %s", strerror(e));
        return -1;
    }
    int rc = rt_manifest_parse(t, n, ident, m, why, nwhy);
    free(t);
    return rc;
}

int rt_manifest_write(const char *dir, uint64_t ident, const rt_manifest *m)
{
    st_buf b = { 0 };
    st_buf_put(&b, MAN_MAGIC, 6);
    st_buf_putc(&b, (char)MAN_VERSION);
    st_buf_putc(&b, '\0');
    st_ser_i64(&b, (int64_t)ident);
    st_ser_i64(&b, m->snap_t);
    st_ser_i64(&b, m->snap_recs);
    st_ser_i64(&b, m->nsegs);
    for (int64_t k = 0; k < m->nsegs; k++)
        st_ser_i64(&b, m->segs[k]);
    st_ser_i64(&b, (int64_t)st_hash_bytes(b.p, b.n, 0));
    char *tmp = rt_path_join(dir, ".tmp-manifest"), *final = rt_path_join(dir, "manifest");
    int rc = -1;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd >= 0) {
        bool ok = rt_write_all(fd, b.p, b.n) == 0 && fsync(fd) == 0;
        int e = errno;
        if (close(fd) != 0 && ok) {
            ok = false;
            e = errno;
        }
        if (ok && rename(tmp, final) == 0 && rt_fsync_dir(dir) == 0)
            rc = 0;
        else
            e = errno;
        if (rc != 0)
            unlink(tmp);
        errno = e;
    }
    free(tmp);
    free(final);
    st_buf_free(&b);
    return rc;
}

/* ---- restoring ----------------------------------------------------------- */

static bool listed(const rt_manifest *m, int64_t seq)
{
    for (int64_t k = 0; k < m->nsegs; k++)
        if (m->segs[k] == seq)
            return true;
    return false;
}

/* Refuses (-1), or with --accept-loss warns and goes on (0). */
static int refuse(rt_ctx *c, bool accept, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int refuse(rt_ctx *c, bool accept, const char *fmt, ...)
{
    char msg[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (accept) {
        rt_log(c->prog, "warning", "%s; going on (--accept-loss)", msg);
        return 0;
    }
    rt_log(c->prog, "error", "%s; cannot recover without loss (remove the directory, or run "
           "with --accept-loss to go on with what is left)", msg);
    return -1;
}

/* DIR/lock, locked (fcntl, so per process) as long as the process runs:
 * a second process on the same directory would prune the first one's log
 * and interleave its manifests. A file system without locks is used as
 * it is. 0, or -1 (logged) when another process holds it. */
static int lock_dir(rt_ctx *c, rt_bstore *bs, const char *dir)
{
    if (bs->lock_fd)
        return 0;
    char *path = rt_path_join(dir, "lock");
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    free(path);
    if (fd < 0)
        return 0;   /* a read-only directory: what follows fails, logged */
    struct flock l = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
    if (fcntl(fd, F_SETLK, &l) != 0) {
        if (errno == EACCES || errno == EAGAIN) {
            struct flock q = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
            long pid = fcntl(fd, F_GETLK, &q) == 0 && q.l_type != F_UNLCK ? (long)q.l_pid : 0;
            if (pid > 0)
                rt_log(c->prog, "error", "checkpoint %s is in use by another process (pid %ld); stop it, "
                       "or choose another directory", dir, pid);
            else
                rt_log(c->prog, "error", "checkpoint %s is in use by another process; stop it, or choose "
                       "another directory", dir);
            close(fd);
            return -1;
        }
        close(fd);   /* no locks here (ENOLCK ...) */
        return 0;
    }
    bs->lock_fd = fd + 1;
    return 0;
}

int rt_ckpt_restore(rt_ctx *c, rt_bstore *bs, const char *dir, rt_restore *out)
{
    bool accept = c->prog && c->prog->opts.accept_loss;
    uint64_t ident = rt_ckpt_ident(c->desc);
    memset(out, 0, sizeof *out);
    out->snap_t = INT64_MIN;
    bs->ident = ident;
    if (lock_dir(c, bs, dir) != 0)
        return -1;
    char why[200];
    rt_manifest m;
    int mr = rt_manifest_read(dir, ident, &m, why, sizeof why);
    if (mr == -2) {
        rt_log(c->prog, "error", "checkpoint %s was written by a different program; remove it or "
               "choose another directory", dir);
        return -1;
    }
    int64_t *segs, nseg = rt_wal_segments(dir, &segs);
    int64_t *times = NULL;
    int ntimes = 0;
    if (rt_snap_times(dir, &times, &ntimes) != 0 && errno != ENOENT) {
        rt_log(c->prog, "error", "context '%s': cannot read checkpoint directory %s: %s", c->desc->name,
               dir, strerror(errno));
        free(segs);
        return -1;
    }
    int rc = 0;
    bool trust_disk = false;   /* no manifest to go by (accepted loss) */
    if (mr <= 0) {
        bool data = ntimes > 0;
        for (int64_t k = 0; k < nseg && !data; k++) {
            char *p = st_xrealloc(NULL, strlen(dir) + 32);
            sprintf(p, "%s/log-%010lld", dir, (long long)segs[k]);
            struct stat st;
            data = stat(p, &st) == 0 && st.st_size > RT_WAL_HEADER;
            free(p);
        }
        if (mr < 0)
            rc = refuse(c, accept, "checkpoint %s: %s/manifest is damaged (%s)", dir, dir, why);
        else if (data)
            rc = refuse(c, accept, "checkpoint %s: %s/manifest is missing, but the directory holds "
                        "snapshots or log entries", dir, dir);
        if (rc != 0)
            goto out;
        if (!data) {
            /* a first start killed before it wrote its manifest */
            for (int64_t k = 0; k < nseg; k++)
                rt_wal_remove(dir, segs[k]);
            nseg = 0;
        }
        trust_disk = true;
    }
    /* the segments to read: the manifest's (each must be there), and
       newer ones started after it was written; older ones not in it were
       being removed */
    out->segs = rt_xmalloc((size_t)(nseg + m.nsegs) * sizeof *out->segs + 1);
    for (int64_t k = 0; k < m.nsegs && rc == 0; k++) {
        bool there = false;
        for (int64_t j = 0; j < nseg; j++)
            there = there || segs[j] == m.segs[k];
        if (!there) {
            rc = refuse(c, accept, "checkpoint %s: log-%010lld is missing (%s/manifest lists it): the "
                        "batches and records it held are unknown", dir, (long long)m.segs[k], dir);
            out->missing_seg = true;
        }
    }
    int64_t max_listed = m.nsegs ? m.segs[m.nsegs - 1] : -1;
    out->max_listed = trust_disk ? -1 : max_listed;
    for (int64_t j = 0; j < nseg && rc == 0; j++) {
        if (trust_disk || listed(&m, segs[j]) || segs[j] > max_listed)
            out->segs[out->nsegs++] = segs[j];
        else
            rt_wal_remove(dir, segs[j]);   /* pruned before a crash */
    }
    if (rc != 0)
        goto out;

    /* the snapshot: the newest on disk, unless the manifest names a newer
       one; a committed snapshot that is damaged or gone may be replaced by
       an older one only if the log bridges the gap (rt_bs_recover checks) */
    int64_t committed = trust_disk ? INT64_MIN : m.snap_t;
    out->committed_recs = trust_disk ? -1 : m.snap_recs;
    if (committed != INT64_MIN) {
        bool there = false;
        for (int i = 0; i < ntimes; i++)
            there = there || times[i] == committed;
        if (!there) {
            rc = refuse(c, accept, "checkpoint %s: the newest snapshot %s/state-%020lld (named by "
                        "%s/manifest) is missing", dir, dir, (long long)committed, dir);
            out->fallback = true;
            if (rc != 0)
                goto out;
        }
    }
    for (int i = ntimes - 1; i >= 0; i--) {
        int r = rt_snap_load(c, dir, times[i], ident, &out->snap_zero, &out->blob, why, sizeof why);
        if (r == -2) {
            rt_log(c->prog, "error", "checkpoint %s was written by a different program; remove it or "
                   "choose another directory", dir);
            rc = -1;
            goto out;
        }
        if (r == 1) {
            out->snap_t = times[i];
            break;
        }
        if (times[i] > committed) {
            /* written as the process died, never committed: the log since
               the committed one is all there */
            rt_log(c->prog, "warning", "context '%s': checkpoint %s/state-%020lld is damaged (%s); it "
                   "was not yet committed, the one before is used", c->desc->name, dir,
                   (long long)times[i], why);
            continue;
        }
        if (times[i] == committed) {
            rc = refuse(c, accept, "checkpoint %s: the newest snapshot %s/state-%020lld is damaged (%s)",
                        dir, dir, (long long)times[i], why);
            out->fallback = true;
            if (rc != 0)
                goto out;
            continue;
        }
        rt_log(c->prog, "warning", "context '%s': checkpoint %s/state-%020lld is damaged (%s); skipped",
               c->desc->name, dir, (long long)times[i], why);
    }
    if (out->fallback)
        out->lost_from = committed;
    out->found = out->snap_t != INT64_MIN;
    out->had_log = out->nsegs > 0;
out:
    free(segs);
    free(times);
    rt_manifest_free(&m);
    return rc;
}

void rt_restore_free(rt_restore *r)
{
    free(r->segs);
    st_buf_free(&r->blob);
    memset(r, 0, sizeof *r);
}
