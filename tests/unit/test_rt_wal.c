/* test_rt_wal.c: the write-ahead log (wal.c) and the block store
 * (blockstore.c): entries read back in order, a torn tail ignored, a
 * damaged entry reported; blocks logged, allocated, spilled and brought
 * back; and what a restart recovers from the log: batches allocated after
 * the snapshot (done or not), blocks never allocated, file names; the
 * positions a snapshot drops once their source has acknowledged them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rt_internal.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/test_rt_wal-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- wal.c ---- */

typedef struct seen {
    char types[16];
    char payload[16][16];
    int n;
} seen;

static int collect(void *arg, char type, const char *p, size_t n, int64_t seq, int64_t off)
{
    (void)seq;
    (void)off;
    seen *s = arg;
    s->types[s->n] = type;
    memcpy(s->payload[s->n], p, n < 15 ? n : 15);
    s->n++;
    return 0;
}

static void test_wal_round_trip(void **state)
{
    (void)state;
    rt_wal w;
    assert_int_equal(rt_wal_open(&w, dir, 3, 77), 0);
    int64_t seq, off;
    assert_int_equal(rt_wal_append(&w, 'Z', "zero", 4, &seq, &off), 0);
    assert_int_equal(seq, 3);
    assert_int_equal(off, RT_WAL_HEADER + 16);
    assert_int_equal(rt_wal_append(&w, 'B', "", 0, NULL, NULL), 0);
    assert_int_equal(rt_wal_append(&w, 'A', "alloc", 5, &seq, &off), 0);
    assert_int_equal(off, RT_WAL_HEADER + 16 + 4 + 8 + 16 + 0 + 8 + 16);
    assert_int_equal(rt_wal_sync(&w), 0);
    char back[5];
    assert_int_equal(rt_wal_read(dir, 3, off, 5, back), 0);
    assert_memory_equal(back, "alloc", 5);
    int64_t old;
    assert_int_equal(rt_wal_roll(&w, &old), 0);
    assert_int_equal(old, 3);
    assert_int_equal(rt_wal_append(&w, 'D', "d", 1, &seq, NULL), 0);
    assert_int_equal(seq, 4);
    rt_wal_close(&w);

    int64_t *segs, n = rt_wal_segments(dir, &segs);
    assert_int_equal(n, 2);
    assert_int_equal(segs[0], 3);
    assert_int_equal(segs[1], 4);
    free(segs);
    seen s = { 0 };
    rt_wal_scan ws = { .ident = 77 };
    assert_int_equal(rt_wal_scan_segment(dir, 3, &ws, collect, &s), 0);
    assert_int_equal(s.n, 3);
    assert_int_equal(ws.entries, 3);
    assert_memory_equal(s.types, "ZBA", 3);
    assert_string_equal(s.payload[0], "zero");
    assert_string_equal(s.payload[2], "alloc");
    /* another program's identity */
    rt_wal_scan other = { .ident = 78 };
    assert_int_equal(rt_wal_scan_segment(dir, 3, &other, NULL, NULL), -1);
    assert_true(other.foreign);
    assert_int_equal(rt_wal_remove(dir, 3), 0);
    assert_int_equal(rt_wal_remove(dir, 4), 0);
}

static char *seg_file(int64_t seq)
{
    static char p[128];
    snprintf(p, sizeof p, "%s/log-%010lld", dir, (long long)seq);
    return p;
}

/* An entry as wal.c writes it, with a wrong checksum unless ck. */
static void put_le(unsigned char *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void test_wal_torn_and_damaged(void **state)
{
    (void)state;
    rt_wal w;
    assert_int_equal(rt_wal_open(&w, dir, 0, 1), 0);
    assert_int_equal(rt_wal_append(&w, 'B', "one", 3, NULL, NULL), 0);
    assert_int_equal(rt_wal_append(&w, 'B', "two", 3, NULL, NULL), 0);
    assert_int_equal(rt_wal_sync(&w), 0);
    rt_wal_close(&w);
    /* a crash in the middle of a third, unsynced entry: a torn tail of the
       newest segment, ignored; in an older segment it is damage */
    int fd = open(seg_file(0), O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    unsigned char torn[20] = { 5, 0, 0, 0, 'B', 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 't', 'h' };
    assert_int_equal(write(fd, torn, 18), 18);
    close(fd);
    seen s = { 0 };
    rt_wal_scan ws = { .ident = 1, .newest = true };
    assert_int_equal(rt_wal_scan_segment(dir, 0, &ws, collect, &s), 0);
    assert_int_equal(s.n, 2);
    assert_int_equal(ws.torn, 18);
    assert_int_equal(ws.end, RT_WAL_HEADER + 2 * (16 + 3 + 8));
    rt_wal_scan old = { .ident = 1 };
    assert_int_equal(rt_wal_scan_segment(dir, 0, &old, NULL, NULL), -1);
    assert_int_equal(old.at, RT_WAL_HEADER + 2 * (16 + 3 + 8));
    assert_string_equal(old.why, "it ends in 18 bytes that are not a whole entry");
    /* sealed, the segment reads whole */
    assert_int_equal(rt_wal_seal(dir, 0, ws.end), 0);
    memset(&old, 0, sizeof old);
    old.ident = 1;
    assert_int_equal(rt_wal_scan_segment(dir, 0, &old, NULL, NULL), 0);
    assert_int_equal(old.entries, 2);
    /* a flipped byte in the second (synced) entry's payload is damage even
       in the newest segment, and so is a flipped bit of a length field */
    fd = open(seg_file(0), O_WRONLY);
    assert_int_equal(pwrite(fd, "X", 1, RT_WAL_HEADER + 27 + 16 + 1), 1);
    close(fd);
    memset(&s, 0, sizeof s);
    rt_wal_scan d = { .ident = 1, .newest = true };
    assert_int_equal(rt_wal_scan_segment(dir, 0, &d, collect, &s), -1);
    assert_int_equal(s.n, 1);
    assert_int_equal(d.at, RT_WAL_HEADER + 27);
    assert_string_equal(d.why, "the entry does not check (bad checksum)");
    fd = open(seg_file(0), O_WRONLY);
    unsigned char len[1] = { 3 | 0x40 };
    assert_int_equal(pwrite(fd, len, 1, RT_WAL_HEADER), 1);
    close(fd);
    memset(&d, 0, sizeof d);
    d.ident = 1;
    d.newest = true;
    assert_int_equal(rt_wal_scan_segment(dir, 0, &d, NULL, NULL), -1);
    assert_int_equal(d.at, RT_WAL_HEADER);
    assert_string_equal(d.why, "the entry claims 67 payload bytes, but only 30 bytes follow");
    assert_int_equal(rt_wal_remove(dir, 0), 0);
}

/* The segment cut below its synced length: refused, not a torn tail. */
static void test_wal_truncated(void **state)
{
    (void)state;
    rt_wal w;
    assert_int_equal(rt_wal_open(&w, dir, 5, 9), 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(rt_wal_append(&w, 'D', "12345678", 8, NULL, NULL), 0);
    assert_int_equal(rt_wal_sync(&w), 0);
    rt_wal_close(&w);
    assert_int_equal(truncate(seg_file(5), RT_WAL_HEADER + 2 * 32 + 10), 0);
    seen s = { 0 };
    rt_wal_scan ws = { .ident = 9, .newest = true };
    assert_int_equal(rt_wal_scan_segment(dir, 5, &ws, collect, &s), -1);
    assert_int_equal(s.n, 2);   /* what is there is read, then refused */
    assert_string_equal(ws.why, "its header says 176 bytes were synced, but the file has 122: it was truncated");
    /* an entry renumbered (moved from elsewhere) does not check */
    (void)put_le;
    assert_int_equal(rt_wal_remove(dir, 5), 0);
}

/* ---- blockstore.c ---- */

static const st_source_desc srcs[2] = {
    { .name = "files", .kind = ST_SRC_TEXTFILES, .storage = ST_STORE_SER | ST_STORE_DISK | ST_STORE_REPL },
    { .name = "ticks", .kind = ST_SRC_RATE, .storage = ST_STORE_DISK | ST_STORE_NOMEM },
};
static const st_context_desc cdesc = { .name = "c", .batch_ms = 1000, .block_ms = 200, .nsources = 2,
                                       .sources = srcs };

static void ctx_init(rt_ctx *c, rt_prog *p)
{
    memset(p, 0, sizeof *p);
    memset(c, 0, sizeof *c);
    p->name = "test";
    c->desc = &cdesc;
    c->prog = p;
    atomic_init(&c->spilled, 0);
}

/* A string block of the given records, with file names. */
static rt_block str_block(const char **recs, int n, const char *file)
{
    rt_block b = { 0 };
    st_buf bytes = { 0 };
    b.offs = malloc(sizeof *b.offs * 2 * (size_t)(n + 1));
    for (int i = 0; i < n; i++) {
        b.offs[2 * i] = (int64_t)bytes.n;
        b.offs[2 * i + 1] = (int64_t)strlen(recs[i]);
        st_buf_puts(&bytes, recs[i]);
    }
    b.n = n;
    b.bytes = bytes.p;
    if (file) {
        b.files = malloc(sizeof *b.files);
        b.files[0] = strdup(file);
        b.nfiles = 1;
    }
    return b;
}

static rt_block int_block(int64_t from, int n)
{
    rt_block b = { 0 };
    b.ints = malloc(sizeof *b.ints * (size_t)n);
    for (int i = 0; i < n; i++)
        b.ints[i] = from + i;
    b.n = n;
    return b;
}

/* What rt_ckpt_restore would hand over: every segment of dir, and the
   snapshot (blob NULL: none). */
static void restore_of(rt_restore *rs, const st_buf *blob, int64_t snap_t, int64_t zero)
{
    memset(rs, 0, sizeof *rs);
    rs->nsegs = rt_wal_segments(dir, &rs->segs);
    rs->snap_t = snap_t;
    rs->snap_zero = zero;
    rs->found = blob != NULL;
    rs->lost_from = INT64_MIN;
    rs->committed_recs = -1;
    if (blob)
        st_buf_put(&rs->blob, blob->p, blob->n);
}

static void check_str(const st_input *in, int blk, int rec, const char *want)
{
    assert_true(blk < in->nblocks);
    st_str s = in->blocks[blk].recs[rec];
    assert_int_equal(s.n, (int64_t)strlen(want));
    assert_memory_equal(s.p, want, (size_t)s.n);
}

static void test_blockstore_log_and_recover(void **state)
{
    (void)state;
    rt_prog p;
    rt_ctx c;
    ctx_init(&c, &p);
    rt_bstore bs;
    rt_bs_init(&bs, &c, dir, 1 << 20);
    assert_int_equal(rt_bs_start_log(&bs, 5000), 0);

    const char *r1[] = { "a", "", "ccc" }, *r2[] = { "d" };
    rt_block b = str_block(r1, 3, "f1.txt");
    assert_int_equal(rt_bs_add(&bs, 0, &b), 0);
    b = int_block(0, 4);   /* DISK_ONLY without _2: spilled to a file */
    assert_int_equal(rt_bs_add(&bs, 1, &b), 0);
    assert_int_equal(atomic_load(&c.spilled), 1);
    assert_true(rt_bs_has_file(&bs, 0, "f1.txt"));
    assert_false(rt_bs_has_file(&bs, 0, "f2.txt"));

    /* batch 6000 takes both; it runs and completes */
    rt_batch b1;
    assert_int_equal(rt_bs_take(&bs, 6000, &b1), 0);
    assert_int_equal(rt_bs_sync(&bs), 0);
    assert_int_equal(rt_bs_load(&bs, &b1), 0);
    assert_int_equal(b1.inputs[0].nblocks, 1);
    check_str(&b1.inputs[0], 0, 2, "ccc");
    assert_int_equal(b1.inputs[1].nblocks, 1);
    assert_int_equal(b1.inputs[1].blocks[0].ints[3], 3);   /* back from its spill file */
    assert_int_equal(rt_bs_done(&bs, 6000), 0);
    rt_bs_release(&bs, &b1);

    /* batch 7000 takes one block, is logged, and the process "dies" */
    b = str_block(r2, 1, "f2.txt");
    assert_int_equal(rt_bs_add(&bs, 0, &b), 0);
    rt_batch b2;
    assert_int_equal(rt_bs_take(&bs, 7000, &b2), 0);
    rt_bs_release(&bs, &b2);
    /* a block received after it, never allocated */
    const char *r3[] = { "late" };
    b = str_block(r3, 1, NULL);
    assert_int_equal(rt_bs_add(&bs, 0, &b), 0);
    assert_int_equal(rt_bs_sync(&bs), 0);
    rt_bs_close(&bs);

    /* restart without a snapshot: both batches come back, 6000 done */
    rt_bs_init(&bs, &c, dir, 1 << 20);
    rt_batch *out;
    int64_t nout, zero = -1, last;
    rt_restore rs;
    restore_of(&rs, NULL, INT64_MIN, 0);
    assert_int_equal(rt_bs_recover(&bs, &rs, &out, &nout, &zero, &last), 0);
    rt_restore_free(&rs);
    assert_int_equal(zero, 5000);
    assert_int_equal(last, 7000);
    assert_int_equal(nout, 2);
    assert_true(out[0].done);
    assert_false(out[1].done);
    assert_int_equal(out[1].time_ms, 7000);
    assert_true(rt_bs_has_file(&bs, 0, "f1.txt"));
    assert_true(rt_bs_has_file(&bs, 0, "f2.txt"));
    assert_int_equal(rt_bs_start_log(&bs, zero), 0);
    /* the _2 source's blocks come back from the log; the other source
       logged no records: lost, and counted */
    assert_int_equal(rt_bs_load(&bs, &out[0]), 0);
    check_str(&out[0].inputs[0], 0, 0, "a");
    check_str(&out[0].inputs[0], 0, 1, "");
    assert_int_equal(out[0].inputs[1].nblocks, 0);
    assert_int_equal(bs.lost, 4);
    assert_int_equal(rt_bs_load(&bs, &out[1]), 0);
    check_str(&out[1].inputs[0], 0, 0, "d");
    /* a snapshot after 7000 carries the allocation point */
    st_buf blob = { 0 };
    rt_bs_blob(&bs, &out[1], &blob);
    int64_t cum7[2] = { out[1].cum[0], out[1].cum[1] };
    assert_int_equal(cum7[0], 4);
    for (int k = 0; k < nout; k++)
        rt_bs_release(&bs, &out[k]);
    free(out);
    /* the late block goes into the next batch, with a new number after it */
    b = str_block(r2, 1, NULL);
    assert_int_equal(rt_bs_add(&bs, 0, &b), 0);
    rt_batch b3;
    assert_int_equal(rt_bs_take(&bs, 8000, &b3), 0);
    assert_int_equal(rt_bs_load(&bs, &b3), 0);
    assert_int_equal(b3.inputs[0].nblocks, 2);
    check_str(&b3.inputs[0], 0, 0, "late");
    check_str(&b3.inputs[0], 1, 0, "d");
    assert_int_equal(b3.next[0], 4);
    rt_bs_release(&bs, &b3);
    /* pruning after a snapshot of 7000 keeps the segments 8000 needs */
    assert_int_equal(rt_bs_prune(&bs, 7000, cum7), 0);
    rt_bs_close(&bs);

    /* restart from that snapshot: only 8000 runs again */
    rt_bs_init(&bs, &c, dir, 1 << 20);
    restore_of(&rs, &blob, 7000, 5000);
    assert_int_equal(rt_bs_recover(&bs, &rs, &out, &nout, &zero, &last), 0);
    rt_restore_free(&rs);
    assert_int_equal(nout, 1);
    assert_int_equal(out[0].time_ms, 8000);
    assert_false(out[0].done);
    assert_int_equal(rt_bs_load(&bs, &out[0]), 0);
    check_str(&out[0].inputs[0], 0, 0, "late");
    check_str(&out[0].inputs[0], 1, 0, "d");
    rt_bs_release(&bs, &out[0]);
    free(out);
    assert_true(rt_bs_has_file(&bs, 0, "f1.txt"));
    rt_bs_close(&bs);
    st_buf_free(&blob);

    /* another batch interval is refused */
    const st_context_desc other = { .name = "c", .batch_ms = 500, .nsources = 2, .sources = srcs };
    c.desc = &other;
    rt_bs_init(&bs, &c, dir, 1 << 20);
    restore_of(&rs, NULL, INT64_MIN, 0);
    assert_int_equal(rt_bs_recover(&bs, &rs, &out, &nout, &zero, &last), -1);
    rt_restore_free(&rs);
    rt_bs_close(&bs);
    c.desc = &cdesc;
}

static void test_blockstore_memory_budget(void **state)
{
    (void)state;
    rt_prog p;
    rt_ctx c;
    ctx_init(&c, &p);
    rt_bstore bs;
    /* no checkpoint: MEMORY_AND_DISK spills to a private directory once
       the blocks in memory pass the budget: a record costs its bytes and
       16 (its offset and length), so 17 + 28 > 40 */
    static const st_source_desc one[1] = { { .name = "s", .kind = ST_SRC_STDIN, .storage = ST_STORE_DISK } };
    const st_context_desc d = { .name = "m", .batch_ms = 1000, .nsources = 1, .sources = one };
    c.desc = &d;
    rt_bs_init(&bs, &c, NULL, 40);
    const char *r1[] = { "x" }, *r2[] = { "yyyyyyyyyyyy" };
    rt_block b = str_block(r1, 1, NULL);
    assert_int_equal(rt_bs_add(&bs, 0, &b), 0);
    assert_int_equal(atomic_load(&c.spilled), 0);
    b = str_block(r2, 1, NULL);
    assert_int_equal(rt_bs_add(&bs, 0, &b), 0);
    assert_int_equal(atomic_load(&c.spilled), 1);
    assert_non_null(bs.spill_dir);
    char *sd = strdup(bs.spill_dir);
    rt_batch bt;
    assert_int_equal(rt_bs_take(&bs, 1000, &bt), 0);
    assert_int_equal(rt_bs_load(&bs, &bt), 0);
    check_str(&bt.inputs[0], 0, 0, "x");
    check_str(&bt.inputs[0], 1, 0, "yyyyyyyyyyyy");
    rt_bs_release(&bs, &bt);
    assert_int_equal(bs.mem, 0);
    rt_bs_close(&bs);
    struct stat st;
    assert_int_not_equal(stat(sd, &st), 0);   /* removed with the store */
    free(sd);
}


static void test_blockstore_many_files(void **state)
{
    (void)state;
    rt_prog p;
    rt_ctx c;
    ctx_init(&c, &p);
    rt_bstore bs;
    char sub[96];
    snprintf(sub, sizeof sub, "%s/many", dir);
    assert_int_equal(mkdir(sub, 0777), 0);
    rt_bs_init(&bs, &c, sub, 1 << 20);
    assert_int_equal(rt_bs_start_log(&bs, 0), 0);
    const char *r[] = { "x" };
    char name[32];
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof name, "file-%d.txt", i % 200);   /* 100 names twice */
        rt_block b = str_block(r, 1, name);
        assert_int_equal(rt_bs_add(&bs, 0, &b), 0);
    }
    assert_int_equal(bs.src[0].nfiles, 200);
    for (int i = 0; i < 200; i++) {
        snprintf(name, sizeof name, "file-%d.txt", i);
        assert_true(rt_bs_has_file(&bs, 0, name));
    }
    assert_false(rt_bs_has_file(&bs, 0, "file-200.txt"));
    assert_false(rt_bs_has_file(&bs, 0, "file-1.tx"));
    assert_false(rt_bs_has_file(&bs, 1, "file-1.txt"));
    rt_bs_close(&bs);
}

/* "FIRST LAST" sequence numbers: LAST of pos at or before LAST of mark. */
static bool seq_covered(const char *pos, const char *mark)
{
    return atoll(strchr(pos, ' ') + 1) <= atoll(strchr(mark, ' ') + 1);
}

/* st_recv_acked's prune (blockstore_prune.c): when a snapshot's blob is
   written, a source's positions its newest mark covers are dropped, the
   others kept (the blob carries only those); an older mark changes
   nothing; a source without a mark keeps all. */
static void test_blockstore_acked(void **state)
{
    (void)state;
    rt_prog p;
    rt_ctx c;
    ctx_init(&c, &p);
    rt_bstore bs;
    char sub[96], pos[32];
    snprintf(sub, sizeof sub, "%s/acked", dir);
    assert_int_equal(mkdir(sub, 0777), 0);
    rt_bs_init(&bs, &c, sub, 1 << 20);
    assert_int_equal(rt_bs_start_log(&bs, 0), 0);
    const char *r[] = { "x" };
    for (int i = 1; i <= 10; i++) {
        snprintf(pos, sizeof pos, "%d %d", 2 * i - 1, 2 * i);
        rt_block b = str_block(r, 1, pos);
        assert_int_equal(rt_bs_add(&bs, 0, &b), 0);
        rt_block ib = int_block(i, 1);
        ib.files = malloc(sizeof *ib.files);
        ib.files[0] = strdup(pos);
        ib.nfiles = 1;
        assert_int_equal(rt_bs_add(&bs, 1, &ib), 0);
    }
    rt_bs_set_acked(&bs, 0, "11 12", seq_covered);   /* through the 6th */
    rt_bs_set_acked(&bs, 0, "1 4", seq_covered);     /* older: ignored */
    rt_batch bt;
    assert_int_equal(rt_bs_take(&bs, 1000, &bt), 0);
    st_buf blob = { 0 };
    rt_bs_blob(&bs, &bt, &blob);
    assert_int_equal(bs.src[0].nfiles, 4);
    assert_int_equal(bs.src[1].nfiles, 10);
    assert_false(rt_bs_has_file(&bs, 0, "11 12"));
    assert_false(rt_bs_has_file(&bs, 0, "1 2"));
    assert_true(rt_bs_has_file(&bs, 0, "13 14"));
    assert_true(rt_bs_has_file(&bs, 0, "19 20"));
    assert_true(rt_bs_has_file(&bs, 1, "1 2"));
    /* the blob: per source next, cum, lost bound, count, positions */
    st_rd rd = { blob.p, blob.p + blob.n, false };
    assert_int_equal(st_rd_i64(&rd), 2);
    for (int k = 0; k < 3; k++)
        st_rd_i64(&rd);
    assert_int_equal(st_rd_i64(&rd), 4);
    int64_t n = st_rd_i64(&rd);
    assert_int_equal(n, 5);
    assert_memory_equal(rd.p, "13 14", 5);
    rt_bs_set_acked(&bs, 0, "19 20", seq_covered);
    blob.n = 0;
    rt_bs_blob(&bs, &bt, &blob);
    assert_int_equal(bs.src[0].nfiles, 0);
    rt_bs_release(&bs, &bt);
    st_buf_free(&blob);
    rt_bs_close(&bs);
}

/* Entries with valid checksums that claim what is not there: refused at
   once (no hang on 2^62 file names, no signed overflow of counts). */
static void crafted(const char *sub, const st_buf *e1, const st_buf *e2, const char *want)
{
    rt_prog p;
    rt_ctx c;
    ctx_init(&c, &p);
    char d[96];
    snprintf(d, sizeof d, "%s/%s", dir, sub);
    assert_int_equal(mkdir(d, 0777), 0);
    rt_wal w;
    assert_int_equal(rt_wal_open(&w, d, 0, rt_ckpt_ident(&cdesc)), 0);
    assert_int_equal(rt_wal_append(&w, 'B', e1->p, e1->n, NULL, NULL), 0);
    if (e2)
        assert_int_equal(rt_wal_append(&w, 'B', e2->p, e2->n, NULL, NULL), 0);
    assert_int_equal(rt_wal_sync(&w), 0);
    rt_wal_close(&w);
    rt_bstore bs;
    rt_bs_init(&bs, &c, d, 1 << 20);
    rt_restore rs;
    memset(&rs, 0, sizeof rs);
    rs.nsegs = rt_wal_segments(d, &rs.segs);
    rs.snap_t = rs.lost_from = INT64_MIN;
    rt_batch *out;
    int64_t nout, zero, last;
    /* a refusal, and the message says what is wrong */
    char errf[128];
    snprintf(errf, sizeof errf, "%s/stderr", d);
    fflush(stderr);
    int saved = dup(2), fd = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    close(fd);
    int rc = rt_bs_recover(&bs, &rs, &out, &nout, &zero, &last);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    assert_int_equal(rc, -1);
    char *msg;
    size_t mn;
    assert_int_equal(rt_read_file(errf, &msg, &mn), 0);
    if (!strstr(msg, want))
        fail_msg("no '%s' in: %s", want, msg);
    free(msg);
    rt_restore_free(&rs);
    rt_bs_close(&bs);
}

static void test_blockstore_crafted(void **state)
{
    (void)state;
    st_buf e = { 0 }, f = { 0 };
    /* source 0, block 0, no records logged, 1 record, 2^62 file names */
    int64_t head[] = { 0, 0, 0, 1, 1, INT64_C(1) << 62 };
    for (int i = 0; i < 6; i++)
        st_ser_i64(&e, head[i]);
    st_ser_str(&e, (st_str){ "f", 1 });
    crafted("files", &e, NULL, "does not parse");
    /* two blocks of INT64_MAX records each: the second cannot follow */
    e.n = 0;
    int64_t b1[] = { 1, 0, 1, INT64_MAX, INT64_MAX, 0 };
    for (int i = 0; i < 6; i++)
        st_ser_i64(&e, b1[i]);
    int64_t b2[] = { 1, 1, 1, INT64_MAX, INT64_MAX, 0 };
    for (int i = 0; i < 6; i++)
        st_ser_i64(&f, b2[i]);
    crafted("counts", &e, &f, "records came before it");
    /* a string source's block holding int records */
    e.n = 0;
    int64_t b3[] = { 0, 0, 3, 1, 1, 0, 42 };
    for (int i = 0; i < 7; i++)
        st_ser_i64(&e, b3[i]);
    crafted("kinds", &e, NULL, "holds int records");
    st_buf_free(&e);
    st_buf_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wal_round_trip),
        cmocka_unit_test(test_wal_torn_and_damaged),
        cmocka_unit_test(test_wal_truncated),
        cmocka_unit_test(test_blockstore_log_and_recover),
        cmocka_unit_test(test_blockstore_memory_budget),
        cmocka_unit_test(test_blockstore_many_files),
        cmocka_unit_test(test_blockstore_acked),
        cmocka_unit_test(test_blockstore_crafted),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
