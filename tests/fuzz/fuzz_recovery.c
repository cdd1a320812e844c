/* fuzz_recovery.c: libFuzzer target for what a restart reads from a
 * checkpoint directory (issue 11): log recovery, block decoding, snapshot
 * loading and the manifest. Checksums would stop random bytes at the
 * first entry, so the input is shaped, by its first byte:
 *   0: log entries [type, u16 length, payload]... (type 0xff: a new
 *      segment), written with valid checksums after an optional snapshot
 *      runtime part [u16 length, bytes] and recovered, and the batches
 *      recovered are loaded (their blocks decoded from the log);
 *   1: a whole segment file, its header checks made valid, scanned;
 *   2: a manifest, its checksum made valid, parsed;
 *   3: a snapshot file, checksum valid, loaded.
 * Bit 2 of the first byte runs recovery with --accept-loss. Nothing may
 * crash, hang, leak or trip a sanitizer, and whatever is recovered must
 * load. Built and run by tests/fuzz/run.sh. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "rt_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const st_source_desc srcs[3] = {
    { .name = "files", .kind = ST_SRC_TEXTFILES, .path = "/nonexistent-fuzz", .storage = 0 },
    { .name = "ticks", .kind = ST_SRC_RATE, .storage = ST_STORE_DISK | ST_STORE_REPL },
    { .name = "lines", .kind = ST_SRC_STDIN, .storage = ST_STORE_SER | ST_STORE_REPL },
};
static const st_context_desc cdesc = { .name = "c", .batch_ms = 1000, .block_ms = 200, .nsources = 3,
                                       .sources = srcs };
static char dir[64];

static void clear_dir(void)
{
    int64_t *segs, n = rt_wal_segments(dir, &segs);
    for (int64_t k = 0; k < n; k++)
        rt_wal_remove(dir, segs[k]);
    free(segs);
    char p[128];
    snprintf(p, sizeof p, "%s/state-%020d", dir, 5000);
    unlink(p);
}

static void put64(unsigned char *p, uint64_t v)
{
    st_buf b = { 0 };
    st_ser_i64(&b, (int64_t)v);
    memcpy(p, b.p, 8);
    st_buf_free(&b);
}

static uint64_t get64(const unsigned char *p)
{
    st_rd r = { (const char *)p, (const char *)p + 8, false };
    return (uint64_t)st_rd_i64(&r);
}

static void recover_entries(rt_ctx *c, const uint8_t *d, size_t n)
{
    rt_restore rs;
    memset(&rs, 0, sizeof rs);
    rs.snap_t = rs.lost_from = INT64_MIN;
    rs.committed_recs = -1;
    if (n >= 2) {
        size_t bl = (size_t)d[0] | (size_t)d[1] << 8;
        d += 2;
        n -= 2;
        if (bl > 0 && bl <= n) {
            rs.found = true;
            rs.snap_t = 5000;
            rs.snap_zero = 0;
            st_buf_put(&rs.blob, d, bl);
            d += bl;
            n -= bl;
        }
    }
    uint64_t ident = rt_ckpt_ident(&cdesc);
    rt_wal w;
    int64_t seq = 0;
    if (rt_wal_open(&w, dir, seq, ident) != 0)
        abort();
    while (n >= 3) {
        unsigned type = d[0];
        size_t len = (size_t)d[1] | (size_t)d[2] << 8;
        d += 3;
        n -= 3;
        if (len > n)
            len = n;
        if (type == 0xff) {
            if (rt_wal_roll(&w, NULL) != 0)
                abort();
        } else if (rt_wal_append(&w, (char)type, d, len, NULL, NULL) != 0) {
            abort();
        }
        d += len;
        n -= len;
    }
    rt_wal_sync(&w);
    rt_wal_close(&w);
    rs.nsegs = rt_wal_segments(dir, &rs.segs);
    rt_bstore bs;
    rt_bs_init(&bs, c, dir, 1 << 20);
    rt_batch *out;
    int64_t nout, zero = 0, last;
    if (rt_bs_recover(&bs, &rs, &out, &nout, &zero, &last) == 0) {
        for (int64_t k = 0; k < nout; k++) {
            rt_bs_load(&bs, &out[k]);
            rt_bs_release(&bs, &out[k]);
        }
        free(out);
        /* the blocks queued for the next batch load too */
        rt_batch b;
        rt_bs_take(&bs, last == INT64_MIN ? 1000 : last + 1000, &b);
        rt_bs_load(&bs, &b);
        rt_bs_release(&bs, &b);
    }
    rt_bs_close(&bs);
    rt_restore_free(&rs);
}

static void scan_segment(const uint8_t *d, size_t n, bool newest)
{
    unsigned char *t = malloc(n + 1);
    memcpy(t, d, n);
    int64_t seq = 0;
    if (n >= RT_WAL_HEADER) {
        memcpy(t, "STLOG\n\2\0", 8);
        seq = (int64_t)(get64(t + 16) & 0xffff);
        put64(t + 16, (uint64_t)seq);
        put64(t + 24, XXH3_64bits(t, 24));
        put64(t + 40, XXH3_64bits_withSeed(t + 32, 8, (XXH64_hash_t)seq ^ 0x5eed));
    }
    rt_wal_scan s = { .ident = n >= 16 ? get64(t + 8) : 0, .newest = newest };
    rt_wal_scan_text((const char *)t, n, seq, &s, NULL, NULL);
    free(t);
}

static void parse_manifest(const uint8_t *d, size_t n)
{
    unsigned char *t = malloc(n + 8);
    memcpy(t, d, n);
    put64(t + n, XXH3_64bits(t, n));
    rt_manifest m;
    char why[200];
    uint64_t ident = n >= 16 ? get64(t + 8) : 0;
    if (n >= 8)
        memcpy(t, "STMAN\n\2\0", 8);
    put64(t + n, XXH3_64bits(t, n));
    if (rt_manifest_parse((const char *)t, n + 8, ident, &m, why, sizeof why) == 1)
        rt_manifest_free(&m);
    free(t);
}

static void load_snapshot(rt_ctx *c, const uint8_t *d, size_t n)
{
    st_buf b = { 0 };
    st_buf_put(&b, "STSNAP\2\0", 8);
    st_ser_i64(&b, (int64_t)rt_ckpt_ident(&cdesc));
    st_buf_put(&b, d, n);
    st_ser_i64(&b, (int64_t)XXH3_64bits(b.p, b.n));
    char p[128];
    snprintf(p, sizeof p, "%s/state-%020d", dir, 5000);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || rt_write_all(fd, b.p, b.n) != 0)
        abort();
    close(fd);
    st_buf blob = { 0 };
    int64_t zero;
    char why[200];
    rt_snap_load(c, dir, 5000, 0, &zero, &blob, why, sizeof why);
    st_buf_free(&blob);
    st_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        /* tmpfs where there is one: the log syncs every segment */
        struct stat st;
        snprintf(dir, sizeof dir, "%s/fuzz_recovery-XXXXXX",
                 stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : "/tmp");
        if (!mkdtemp(dir))
            abort();
    }
    if (size < 1)
        return 0;
    rt_prog p;
    memset(&p, 0, sizeof p);
    p.name = "fuzz";
    p.opts.accept_loss = (data[0] & 4) != 0;
    pthread_mutex_init(&p.out_mu, NULL);
    rt_ctx c;
    memset(&c, 0, sizeof c);
    c.desc = &cdesc;
    c.prog = &p;
    atomic_init(&c.spilled, 0);
    atomic_init(&c.skipped, 0);
    switch (data[0] & 3) {
    case 0: recover_entries(&c, data + 1, size - 1); break;
    case 1: scan_segment(data + 1, size - 1, (data[0] & 8) != 0); break;
    case 2: parse_manifest(data + 1, size - 1); break;
    case 3: load_snapshot(&c, data + 1, size - 1); break;
    }
    clear_dir();
    pthread_mutex_destroy(&p.out_mu);
    return 0;
}
