/* wal.c: the write-ahead log of a context's checkpoint directory.
 *
 * The log is a run of segment files DIR/log-NNNNNNNNNN, each a sequence of
 * entries
 *     u32 payload length | u8 type | 3 zero bytes | payload | u64 check
 * where check is XXH3-64 of the 8 header bytes and the payload. Entries
 * are only appended; a reader stops at the first entry that is short or
 * does not check (the torn tail a crash leaves), so whatever was appended
 * and synced before the crash is read back, and nothing half-written is.
 * A new process never appends to an old segment: it starts the next one.
 *
 * Must not: hand out an entry whose check fails, or lose an entry that
 * rt_wal_sync() has returned for.
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

#define HDR 8
#define TAIL 8

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

static uint64_t check_of(const unsigned char *hdr, const void *p, size_t n)
{
    XXH3_state_t st;
    XXH3_64bits_reset(&st);
    XXH3_64bits_update(&st, hdr, HDR);
    if (n)
        XXH3_64bits_update(&st, p, n);
    return XXH3_64bits_digest(&st);
}

static int seg_create(rt_wal *w)
{
    char *path = seg_path(w->dir, w->seq);
    w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0666);
    int e = errno;
    free(path);
    if (w->fd < 0) {
        errno = e;
        return -1;
    }
    w->size = 0;
    return rt_fsync_dir(w->dir);
}

int rt_wal_open(rt_wal *w, const char *dir, int64_t seq)
{
    memset(w, 0, sizeof *w);
    size_t n = strlen(dir) + 1;
    w->dir = memcpy(rt_xmalloc(n), dir, n);
    w->seq = seq;
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

static int write_vec(int fd, struct iovec *v, int n)
{
    while (n > 0) {
        ssize_t got = writev(fd, v, n);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
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
    uint64_t ck = check_of(hdr, p, n);
    unsigned char tail[TAIL];
    for (int i = 0; i < 8; i++)
        tail[i] = (unsigned char)(ck >> (8 * i));
    struct iovec v[3] = { { hdr, HDR }, { (void *)p, n }, { tail, TAIL } };
    pthread_mutex_lock(&w->mu);
    int64_t at = w->size + HDR;
    int rc = write_vec(w->fd, v, 3);
    if (rc == 0) {
        w->size += HDR + (int64_t)n + TAIL;
        if (seq)
            *seq = w->seq;
        if (off)
            *off = at;
    } else {
        /* a partial entry fails its check when read; put the next one
           where a reader will look for it no more */
        int e = errno;
        off_t end = lseek(w->fd, 0, SEEK_END);
        if (end >= 0 && ftruncate(w->fd, (off_t)w->size) != 0)
            w->size = (int64_t)end;
        errno = e;
    }
    pthread_mutex_unlock(&w->mu);
    return rc;
}

int rt_wal_sync(rt_wal *w)
{
    pthread_mutex_lock(&w->mu);
    int rc = fdatasync(w->fd);
    pthread_mutex_unlock(&w->mu);
    return rc;
}

int rt_wal_roll(rt_wal *w, int64_t *old_seq)
{
    pthread_mutex_lock(&w->mu);
    int rc = fdatasync(w->fd);
    if (old_seq)
        *old_seq = w->seq;
    if (rc == 0) {
        int fd = w->fd;
        w->seq++;
        rc = seg_create(w);
        if (w->fd >= 0) {
            close(fd);
        } else {
            w->fd = fd;   /* keep writing the old segment */
            w->seq--;
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
        char *end;
        long long s = strtoll(e->d_name + 4, &end, 10);
        if (*end || s < 0)
            continue;
        rt_grow((void **)out, &cap, n + 1, sizeof **out);
        (*out)[n++] = s;
    }
    closedir(d);
    if (n)
        qsort(*out, (size_t)n, sizeof **out, cmp_i64);
    return n;
}

int rt_wal_scan_segment(const char *dir, int64_t seq, rt_wal_fn fn, void *arg, int64_t *bad_at)
{
    char *path = seg_path(dir, seq), *text = NULL;
    size_t n = 0, maplen = 0;
    *bad_at = -1;
    int err = rt_load_file(path, NULL, &text, &n, &maplen);
    free(path);
    if (err == 0 && maplen == 0 && n == 0) {
        free(text);
        return 0;   /* an empty segment */
    }
    if (err) {
        errno = err;
        return -1;
    }
    size_t pos = 0;
    int rc = 0;
    while (pos < n) {
        const unsigned char *h = (const unsigned char *)text + pos;
        /* an entry cut short is the torn tail of a crash: no warning */
        if (n - pos < HDR + TAIL)
            break;
        uint32_t len = (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 24;
        if (h[5] || h[6] || h[7]) {
            *bad_at = (int64_t)pos;
            break;
        }
        if ((uint64_t)len > n - pos - HDR - TAIL)
            break;
        uint64_t ck = 0;
        for (int i = 7; i >= 0; i--)
            ck = ck << 8 | h[HDR + len + (size_t)i];
        if (ck != check_of(h, h + HDR, len)) {
            *bad_at = (int64_t)pos;
            break;
        }
        rc = fn(arg, (char)h[4], (const char *)h + HDR, len, seq, (int64_t)(pos + HDR));
        if (rc != 0)
            break;
        pos += HDR + len + TAIL;
    }
    rt_unload_file(text, maplen);
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
