/* wal.c: the write-ahead log of a context's checkpoint directory.
 *
 * The log is a run of segment files DIR/log-NNNNNNNNNN (format version 2,
 * docs/runtime.md §10). Each starts with a 48-byte header
 *     "STLOG\n" | u16 version | u64 program identity | u64 segment number |
 *     u64 check of those 24 bytes | u64 synced length | u64 its check
 * and holds entries
 *     u32 payload length | u8 type | 3 zero bytes | u64 entry number |
 *     payload | u64 check
 * where check is XXH3-64, seeded with the segment number, of the 16 header
 * bytes and the payload, and entry numbers count from 0 in each segment
 * (a previous-entry link: an entry moved, dropped or copied from another
 * segment does not check). The synced length is rewritten after every
 * fdatasync of the entries: bytes below it were on disk, so a reader takes
 * a short or failing entry for the torn tail of a crash only beyond it,
 * only at the end of the newest segment, and only as the last entry;
 * anywhere else it is damage, reported with its offset. A new process
 * never appends to an old segment: it seals the newest one (truncated to
 * its last whole entry, its synced length made exact) and starts the next.
 *
 * Must not: hand out an entry whose check fails, take damage below the
 * synced length for a torn tail, or lose an entry that rt_wal_sync() has
 * returned for.
 */
#include "rt_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#define MAGIC "STLOG\n"
#define VERSION 2
#define HDR 16
#define TAIL 8
#define SYNCED_AT 32

static char *seg_path(const char *dir, int64_t seq)
{
    st_buf b = { 0 };
    char name[32];
    snprintf(name, sizeof name, "/log-%010lld", (long long)seq);
    st_buf_puts(&b, dir);
    st_buf_puts(&b, name);
    st_buf_putc(&b, '\0');
    return b.p;
}

int rt_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint64_t check_of(int64_t seq, const unsigned char *hdr, const void *p, size_t n)
{
    XXH3_state_t st;
    XXH3_INITSTATE(&st);
    XXH3_64bits_reset_withSeed(&st, (XXH64_hash_t)seq);
    XXH3_64bits_update(&st, hdr, HDR);
    if (n)
        XXH3_64bits_update(&st, p, n);
    return XXH3_64bits_digest(&st);
}

/* The synced-length slot: the length and its check. */
static void synced_slot(unsigned char out[16], int64_t seq, int64_t len)
{
    put64(out, (uint64_t)len);
    put64(out + 8, XXH3_64bits_withSeed(out, 8, (XXH64_hash_t)seq ^ 0x5eed));
}

static int pwrite_all(int fd, const void *p, size_t n, off_t at)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = pwrite(fd, c, n, at);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        c += w;
        n -= (size_t)w;
        at += w;
    }
    return 0;
}

static int seg_create(rt_wal *w)
{
    char *path = seg_path(w->dir, w->seq);
    w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    int e = errno;
    free(path);
    if (w->fd < 0) {
        errno = e;
        return -1;
    }
    unsigned char h[RT_WAL_HEADER];
    memcpy(h, MAGIC, 6);
    h[6] = VERSION;
    h[7] = 0;
    put64(h + 8, w->ident);
    put64(h + 16, (uint64_t)w->seq);
    put64(h + 24, XXH3_64bits(h, 24));
    synced_slot(h + SYNCED_AT, w->seq, RT_WAL_HEADER);
    w->size = RT_WAL_HEADER;
    w->entries = 0;
    if (pwrite_all(w->fd, h, sizeof h, 0) != 0 || fdatasync(w->fd) != 0)
        return -1;
    return rt_fsync_dir(w->dir);
}

int rt_wal_open(rt_wal *w, const char *dir, int64_t seq, uint64_t ident)
{
    memset(w, 0, sizeof *w);
    size_t n = strlen(dir) + 1;
    w->dir = memcpy(rt_xmalloc(n), dir, n);
    w->seq = seq;
    w->ident = ident;
    pthread_mutex_init(&w->mu, NULL);
    if (seg_create(w) != 0) {
        int e = errno;
        rt_wal_close(w);
        errno = e;
        return -1;
    }
    return 0;
}

void rt_wal_close(rt_wal *w)
{
    if (!w->dir)
        return;
    if (w->fd >= 0)
        close(w->fd);
    pthread_mutex_destroy(&w->mu);
    free(w->dir);
    memset(w, 0, sizeof *w);
    w->fd = -1;
}

static int write_vec(int fd, struct iovec *v, int n, off_t at)
{
    while (n > 0) {
        ssize_t got = pwritev(fd, v, n, at);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        at += got;
        while (n > 0 && (size_t)got >= v->iov_len) {
            got -= (ssize_t)v->iov_len;
            v++;
            n--;
        }
        if (n > 0) {
            v->iov_base = (char *)v->iov_base + got;
            v->iov_len -= (size_t)got;
        }
    }
    return 0;
}

int rt_wal_append(rt_wal *w, char type, const void *p, size_t n, int64_t *seq, int64_t *off)
{
    if (n > UINT32_MAX) {
        errno = EFBIG;
        return -1;
    }
    unsigned char hdr[HDR] = { 0 };
    uint32_t len = (uint32_t)n;
    for (int i = 0; i < 4; i++)
        hdr[i] = (unsigned char)(len >> (8 * i));
    hdr[4] = (unsigned char)type;
    unsigned char tail[TAIL];
    pthread_mutex_lock(&w->mu);
    put64(hdr + 8, (uint64_t)w->entries);
    put64(tail, check_of(w->seq, hdr, p, n));
    struct iovec v[3] = { { hdr, HDR }, { (void *)p, n }, { tail, TAIL } };
    int64_t at = w->size + HDR;
    int rc = w->fd >= 0 ? write_vec(w->fd, v, 3, (off_t)w->size) : -1;
    if (rc == 0) {
        w->size += HDR + (int64_t)n + TAIL;
        w->entries++;
        if (seq)
            *seq = w->seq;
        if (off)
            *off = at;
    } else if (w->fd >= 0) {
        /* the next entry goes where this one began; a part of this one
           beyond it fails its check */
        int e = errno;
        if (ftruncate(w->fd, (off_t)w->size) != 0)
            w->broken = true;
        errno = e;
    }
    if (rc == 0 && w->broken) {
        errno = EIO;
        rc = -1;
    }
    pthread_mutex_unlock(&w->mu);
    return rc;
}

/* Under w->mu: fdatasync, then the synced length. */
static int sync_locked(rt_wal *w)
{
    if (fdatasync(w->fd) != 0)
        return -1;
    unsigned char s[16];
    synced_slot(s, w->seq, w->size);
    return pwrite_all(w->fd, s, sizeof s, SYNCED_AT);
}

int rt_wal_sync(rt_wal *w)
{
    pthread_mutex_lock(&w->mu);
    int rc = sync_locked(w);
    /* a segment that was removed takes appends and syncs, and is lost */
    struct stat st;
    if (rc == 0 && fstat(w->fd, &st) == 0 && st.st_nlink == 0) {
        w->removed = true;
        errno = ENOENT;
        rc = -1;
    }
    pthread_mutex_unlock(&w->mu);
    return rc;
}

int rt_wal_roll(rt_wal *w, int64_t *old_seq)
{
    pthread_mutex_lock(&w->mu);
    /* the closed segment's synced length is exact, and on disk */
    int rc = sync_locked(w) == 0 && fdatasync(w->fd) == 0 ? 0 : -1;
    if (old_seq)
        *old_seq = w->seq;
    if (rc == 0) {
        int fd = w->fd;
        int64_t size = w->size, entries = w->entries;
        w->seq++;
        rc = seg_create(w);
        if (rc == 0) {
            close(fd);
        } else {
            int e = errno;
            if (w->fd >= 0)
                close(w->fd);
            char *path = seg_path(w->dir, w->seq);
            unlink(path);
            free(path);
            w->fd = fd;   /* keep writing the old segment */
            w->seq--;
            w->size = size;
            w->entries = entries;
            errno = e;
        }
    }
    pthread_mutex_unlock(&w->mu);
    return rc;
}

int64_t rt_wal_seq(rt_wal *w)
{
    pthread_mutex_lock(&w->mu);
    int64_t s = w->seq;
    pthread_mutex_unlock(&w->mu);
    return s;
}

/* ---- reading ------------------------------------------------------------ */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int64_t rt_wal_segments(const char *dir, int64_t **out)
{
    *out = NULL;
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int64_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "log-", 4) != 0 || strlen(e->d_name) != 14)
            continue;
        bool digits = true;
        for (int i = 4; i < 14; i++)
            digits = digits && e->d_name[i] >= '0' && e->d_name[i] <= '9';
        if (!digits)
            continue;
        rt_grow((void **)out, &cap, n + 1, sizeof **out);
        (*out)[n++] = strtoll(e->d_name + 4, NULL, 10);
    }
    closedir(d);
    if (n)
        qsort(*out, (size_t)n, sizeof **out, cmp_i64);
    return n;
}

#define WHY(...) snprintf(s->why, sizeof s->why, __VA_ARGS__)

int rt_wal_scan_text(const char *text, size_t n, int64_t seq, rt_wal_scan *s, rt_wal_fn fn, void *arg)
{
    const unsigned char *t = (const unsigned char *)text;
    s->end = 0;
    s->torn = 0;
    s->at = 0;
    s->entries = 0;
    s->foreign = false;
    s->why[0] = '\0';
    if (n < RT_WAL_HEADER) {
        if (s->newest && !s->listed && (n == 0 || memcmp(t, MAGIC, n < 6 ? n : 6) == 0)) {
            s->torn = (int64_t)n;   /* created as the process died */
            return 0;
        }
        WHY("it is %zu bytes, shorter than its %d-byte header", n, RT_WAL_HEADER);
        return -1;
    }
    if (memcmp(t, MAGIC, 6) != 0) {
        WHY("it is not a streamc log segment (no STLOG header)");
        return -1;
    }
    if (t[6] != VERSION || t[7] != 0) {
        WHY("it has format version %u; this program reads version %d", (unsigned)t[6] | (unsigned)t[7] << 8,
            VERSION);
        return -1;
    }
    if (get64(t + 24) != XXH3_64bits(t, 24)) {
        WHY("its header is damaged (bad checksum)");
        return -1;
    }
    if (get64(t + 8) != s->ident) {
        s->foreign = true;
        WHY("it was written by a different program");
        return -1;
    }
    if ((int64_t)get64(t + 16) != seq) {
        WHY("its header names segment %lld", (long long)get64(t + 16));
        return -1;
    }
    unsigned char slot[16];
    uint64_t synced = get64(t + SYNCED_AT);
    synced_slot(slot, seq, (int64_t)synced);
    if (memcmp(slot, t + SYNCED_AT, 16) != 0) {
        s->at = SYNCED_AT;
        WHY("its synced-length field is damaged");
        return -1;
    }
    if (synced < RT_WAL_HEADER) {
        s->at = SYNCED_AT;
        WHY("its synced-length field is damaged");
        return -1;
    }
    /* cut below what was synced: the entries there are read, then refused */
    bool cut = synced > n;
    size_t pos = RT_WAL_HEADER;
    int rc = 0;
    while (pos < n) {
        const unsigned char *h = t + pos;
        size_t left = n - pos;
        bool may_tear = s->newest && pos >= synced && !cut;
        s->at = (int64_t)pos;
        uint32_t len = left >= 4 ? (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 |
                                       (uint32_t)h[3] << 24
                                 : 0;
        if (left < HDR + TAIL || (uint64_t)len > left - HDR - TAIL) {
            if (cut)
                break;
            if (may_tear) {
                s->torn = (int64_t)left;   /* a partial last entry */
                break;
            }
            if (left < HDR + TAIL)
                WHY("it ends in %zu bytes that are not a whole entry", left);
            else
                WHY("the entry claims %lu payload bytes, but only %zu bytes follow", (unsigned long)len,
                    left - HDR - TAIL);
            return -1;
        }
        bool whole_tail = pos + HDR + len + TAIL == n;
        if (h[5] || h[6] || h[7] || get64(h + 8) != (uint64_t)s->entries ||
            get64(h + HDR + len) != check_of(seq, h, h + HDR, len)) {
            if (may_tear && whole_tail) {
                s->torn = (int64_t)left;   /* the last entry, written in part */
                break;
            }
            if (h[5] || h[6] || h[7])
                WHY("the entry's header is damaged");
            else if (get64(h + 8) != (uint64_t)s->entries)
                WHY("the entry is numbered %llu, not %lld: an entry is missing or out of place",
                    (unsigned long long)get64(h + 8), (long long)s->entries);
            else
                WHY("the entry does not check (bad checksum)");
            return -1;
        }
        s->entries++;
        pos += HDR + len + TAIL;
        s->end = (int64_t)pos;
        if (fn) {
            rc = fn(arg, (char)h[4], (const char *)h + HDR, len, seq, (int64_t)(pos - len - TAIL));
            if (rc != 0)
                return rc;
        }
    }
    s->end = (int64_t)pos;
    if (cut) {
        s->at = (int64_t)n;
        WHY("its header says %llu bytes were synced, but the file has %zu: it was truncated",
            (unsigned long long)synced, n);
        return -1;
    }
    return 0;
}

int rt_wal_scan_segment(const char *dir, int64_t seq, rt_wal_scan *s, rt_wal_fn fn, void *arg)
{
    char *path = seg_path(dir, seq), *text = NULL;
    size_t n = 0, maplen = 0;
    int err = rt_load_file(path, NULL, &text, &n, &maplen);
    free(path);
    if (err) {
        snprintf(s->why, sizeof s->why, "cannot read it: %s", strerror(err));
        s->at = 0;
        errno = err;
        return -1;
    }
    int rc = rt_wal_scan_text(text, n, seq, s, fn, arg);
    rt_unload_file(text, maplen);
    return rc;
}

int rt_wal_seal(const char *dir, int64_t seq, int64_t end)
{
    char *path = seg_path(dir, seq);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    free(path);
    if (fd < 0)
        return -1;
    unsigned char s[16];
    synced_slot(s, seq, end);
    int rc = ftruncate(fd, (off_t)end) == 0 && pwrite_all(fd, s, sizeof s, SYNCED_AT) == 0 &&
                     fdatasync(fd) == 0
                 ? 0
                 : -1;
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

int rt_wal_read(const char *dir, int64_t seq, int64_t off, size_t n, char *out)
{
    char *path = seg_path(dir, seq);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    free(path);
    if (fd < 0)
        return -1;
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, out + got, n - got, (off_t)(off + (int64_t)got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (r == 0)
                errno = EIO;
            close(fd);
            return -1;
        }
        got += (size_t)r;
    }
    close(fd);
    return 0;
}

int rt_wal_remove(const char *dir, int64_t seq)
{
    char *path = seg_path(dir, seq);
    int rc = unlink(path);
    free(path);
    return rc;
}
