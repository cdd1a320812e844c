/* test_rt_wal.c: the write-ahead log (wal.c) and the block store
 * (blockstore.c): entries read back in order, a torn tail ignored, a
 * damaged entry reported; blocks logged, allocated, spilled and brought
 * back; and what a restart recovers from the log: batches allocated after
 * the snapshot (done or not), blocks never allocated, file names. */
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
    assert_int_equal(rt_wal_open(&w, dir, 3), 0);
    int64_t seq, off;
    assert_int_equal(rt_wal_append(&w, 'Z', "zero", 4, &seq, &off), 0);
    assert_int_equal(seq, 3);
    assert_int_equal(off, 8);
    assert_int_equal(rt_wal_append(&w, 'B', "", 0, NULL, NULL), 0);
    assert_int_equal(rt_wal_append(&w, 'A', "alloc", 5, &seq, &off), 0);
    assert_int_equal(off, 8 + 4 + 8 + 8 + 0 + 8 + 8);
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
    int64_t bad;
    assert_int_equal(rt_wal_scan_segment(dir, 3, collect, &s, &bad), 0);
    assert_int_equal(bad, -1);
    assert_int_equal(s.n, 3);
    assert_memory_equal(s.types, "ZBA", 3);
    assert_string_equal(s.payload[0], "zero");
    assert_string_equal(s.payload[2], "alloc");
    assert_int_equal(rt_wal_remove(dir, 3), 0);
    assert_int_equal(rt_wal_remove(dir, 4), 0);
}

static char *seg_file(int64_t seq)
{
    static char p[128];
    snprintf(p, sizeof p, "%s/log-%010lld", dir, (long long)seq);
    return p;
}

static void test_wal_torn_and_damaged(void **state)
{
    (void)state;
    rt_wal w;
    assert_int_equal(rt_wal_open(&w, dir, 0), 0);
    assert_int_equal(rt_wal_append(&w, 'B', "one", 3, NULL, NULL), 0);
    assert_int_equal(rt_wal_append(&w, 'B', "two", 3, NULL, NULL), 0);
    rt_wal_close(&w);
    /* a crash in the middle of a third entry: cut short, silently ignored */
    struct stat st;
    assert_int_equal(stat(seg_file(0), &st), 0);
    int fd = open(seg_file(0), O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    unsigned char torn[10] = { 5, 0, 0, 0, 'B', 0, 0, 0, 't', 'h' };
    assert_int_equal(write(fd, torn, sizeof torn), (ssize_t)sizeof torn);
    close(fd);
    seen s = { 0 };
    int64_t bad;
    assert_int_equal(rt_wal_scan_segment(dir, 0, collect, &s, &bad), 0);
    assert_int_equal(s.n, 2);
    assert_int_equal(bad, -1);
    /* a flipped byte in the second entry's payload: reported, and the
       scan stops there */
    fd = open(seg_file(0), O_WRONLY);
    assert_int_equal(pwrite(fd, "X", 1, 8 + 3 + 8 + 8 + 1), 1);
    close(fd);
    memset(&s, 0, sizeof s);
    assert_int_equal(rt_wal_scan_segment(dir, 0, collect, &s, &bad), 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(bad, 8 + 3 + 8);
    assert_int_equal(rt_wal_remove(dir, 0), 0);
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
    assert_int_equal(rt_bs_recover(&bs, NULL, INT64_MIN, &out, &nout, &zero, &last), 0);
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
    for (int k = 0; k < nout; k++)
        rt_bs_release(&bs, &out[k]);
    free(out);
    /* the late block goes into the next batch, with a new number after it */
    b = str_block(r2, 1, NULL);
    assert_int_equal(rt_bs_add(&bs, 0, &b), 0);
    rt_batch b3;
    assert_int_equal(rt_bs_take(&bs, 9000, &b3), 0);
    assert_int_equal(rt_bs_load(&bs, &b3), 0);
    assert_int_equal(b3.inputs[0].nblocks, 2);
    check_str(&b3.inputs[0], 0, 0, "late");
    check_str(&b3.inputs[0], 1, 0, "d");
    assert_int_equal(b3.next[0], 4);
    rt_bs_release(&bs, &b3);
    /* pruning after a snapshot of 7000 keeps the segments 9000 needs */
    rt_bs_prune(&bs, 7000);
    rt_bs_close(&bs);

    /* restart from that snapshot: only 9000 runs again */
    rt_bs_init(&bs, &c, dir, 1 << 20);
    assert_int_equal(rt_bs_recover(&bs, &blob, 7000, &out, &nout, &zero, &last), 0);
    assert_int_equal(nout, 1);
    assert_int_equal(out[0].time_ms, 9000);
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
    assert_int_equal(rt_bs_recover(&bs, NULL, INT64_MIN, &out, &nout, &zero, &last), -1);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wal_round_trip),
        cmocka_unit_test(test_wal_torn_and_damaged),
        cmocka_unit_test(test_blockstore_log_and_recover),
        cmocka_unit_test(test_blockstore_memory_budget),
        cmocka_unit_test(test_blockstore_many_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
