/* test_rt_replay.c: the virtual clock (which block and batch a record lands
 * in, termination), option parsing, the worker pool, st_save, and st_main
 * end to end in replay mode with a hand-written program description. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rt_internal.h"

static char *dup_text(const char *s)
{
    size_t n = strlen(s);
    char *p = malloc(n + 1);
    memcpy(p, s, n + 1);
    return p;
}

/* "a b | c" for the blocks of one input: records by space, blocks by '|'. */
static void input_text(const st_input *in, char *out, size_t cap)
{
    size_t k = 0;
    out[0] = '\0';
    for (int b = 0; b < in->nblocks; b++) {
        if (b)
            k += (size_t)snprintf(out + k, cap - k, " |");
        for (int64_t i = 0; i < in->blocks[b].n; i++) {
            if (in->blocks[b].ints)
                k += (size_t)snprintf(out + k, cap - k, "%s%lld", k ? " " : "",
                                      (long long)in->blocks[b].ints[i]);
            else
                k += (size_t)snprintf(out + k, cap - k, "%s%.*s", k ? " " : "",
                                      (int)in->blocks[b].recs[i].n, in->blocks[b].recs[i].p);
        }
    }
}

static void check_batch(const rt_vsrc *v, int64_t k, const char *want, int64_t want_skipped)
{
    st_arena *a = st_arena_new();
    st_input in;
    int64_t skipped;
    rt_vsrc_batch(v, k, a, &in, &skipped);
    char got[1024];
    input_text(&in, got, sizeof got);
    if (strcmp(got, want) != 0)
        fail_msg("batch %lld: got \"%s\", want \"%s\"", (long long)k, got, want);
    assert_int_equal(skipped, want_skipped);
    st_arena_free(a);
}

typedef struct warns {
    int n;
    char last[256];
} warns;

static void count_warn(void *arg, const char *what, const char *p, size_t n)
{
    warns *w = arg;
    w->n++;
    snprintf(w->last, sizeof w->last, "%s [%.*s]", what, (int)n, p);
}

/* ---- the virtual clock -------------------------------------------------- */
static void test_replay_blocks_and_batches(void **state)
{
    (void)state;
    rt_vsrc v;
    const char *text = "0\ta\n199\tb\n200\tc\n999\td\n1000\te\n1999\tf\n2000\tg\n";
    rt_vsrc_replay(&v, dup_text(text), strlen(text), "r.txt", false, 1000, 200, NULL, NULL, NULL);
    check_batch(&v, 1, "a b | c | d", 0);   /* blocks [0,200) [200,400) [800,1000) */
    check_batch(&v, 2, "e | f", 0);         /* offset == batch_ms opens batch 2 */
    check_batch(&v, 3, "g", 0);
    check_batch(&v, 4, "", 0);
    check_batch(&v, 0, "", 0);
    assert_int_equal(v.last_offset, 2000);
    assert_int_equal(rt_replay_last_batch(v.last_offset, 1000, 0, -1, -1), 3);
    rt_vsrc_free(&v);
}

static void test_replay_order_and_garbage(void **state)
{
    (void)state;
    rt_vsrc v;
    warns w = { 0 };
    /* out of order offsets; file order kept inside a block; junk lines */
    const char text[] = "1500\tx\n100\ty\r\nno tab here\n-5\tneg\n12a\tjunk\n\n150\tz\n"
                        "99999999999999999999\thuge\n160\t\n170\tnul\0byte\n5500\tlast";
    rt_vsrc_replay(&v, dup_text("x"), 1, "r.txt", false, 1000, 200, NULL, NULL, NULL);
    rt_vsrc_free(&v);
    char *t = malloc(sizeof text);
    memcpy(t, text, sizeof text);
    rt_vsrc_replay(&v, t, sizeof text - 1, "r.txt", false, 1000, 200, NULL, count_warn, &w);
    assert_int_equal(w.n, 4);
    assert_int_equal(v.nmalformed, 4);
    assert_true(strstr(w.last, "r.txt:8:") != NULL);
    st_arena *a = st_arena_new();
    st_input in;
    int64_t sk;
    assert_int_equal(rt_vsrc_batch(&v, 1, a, &in, &sk), 4);
    assert_int_equal(in.nblocks, 1);
    assert_int_equal(in.blocks[0].recs[2].n, 0);   /* "160\t": an empty record */
    assert_int_equal(in.blocks[0].recs[3].n, 8);   /* the NUL byte stays in */
    check_batch(&v, 1, "y z  nul", 0);
    check_batch(&v, 2, "x", 0);
    check_batch(&v, 6, "last", 0);   /* a last line without newline counts */
    st_arena_free(a);
    rt_vsrc_free(&v);
}

/* The in-order pass stops at the first record out of order and the file
   is read again: lines skipped before that point are reported once. */
static void test_replay_disorder_after_garbage(void **state)
{
    (void)state;
    rt_vsrc v;
    warns w = { 0 };
    const char *text = "no tab\n0\t1\n50\tx\n1500\t2\n100\t3\n";
    rt_vsrc_replay(&v, dup_text(text), strlen(text), "r.txt", true, 1000, 200, NULL, count_warn, &w);
    assert_int_equal(w.n, 2);   /* "no tab", and "x" is not an int */
    assert_int_equal(v.nmalformed, 1);
    check_batch(&v, 1, "1 3", 1);
    check_batch(&v, 2, "2", 0);
    rt_vsrc_free(&v);
}

static void test_replay_rate_ints(void **state)
{
    (void)state;
    rt_vsrc v;
    warns w = { 0 };
    const char *text = "0\t5\n10\tx\n20\t 7 \n1200\t-3\n1300\t1e3\n";
    rt_vsrc_replay(&v, dup_text(text), strlen(text), "r.txt", true, 1000, 200, NULL, count_warn, &w);
    assert_int_equal(w.n, 2);
    check_batch(&v, 1, "5 7", 1);
    check_batch(&v, 2, "-3", 1);
    rt_vsrc_free(&v);
}

/* xorshift64: the tests' deterministic random numbers */
static uint64_t xs(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* Random bytes, and random lines that look almost right: every record is
   kept or skipped, nothing crashes (ASan/UBSan watch this one). */
static void test_replay_garbage_fuzz(void **state)
{
    (void)state;
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (int round = 0; round < 200; round++) {
        size_t n = (size_t)(round * 37 % 4096);
        char *t = malloc(n + 1);
        for (size_t i = 0; i < n; i++) {
            xs(&x);
            /* bias towards the bytes the parser cares about */
            static const char pick[] = "0123456789\t\n\r-x\0";
            t[i] = round % 2 ? (char)x : pick[x % (sizeof pick - 1)];
        }
        rt_vsrc v;
        warns w = { 0 };
        rt_vsrc_replay(&v, t, n, "fuzz", round % 3 == 0, 7 + round % 50, 1 + round % 7, NULL,
                       count_warn, &w);
        st_arena *a = st_arena_new();
        int64_t total = 0, skipped = 0;
        int64_t last = rt_replay_last_batch(v.last_offset, v.batch_ms, 0, -1, -1);
        for (int64_t k = 1; k <= last && k < 100000; k++) {
            st_input in;
            int64_t sk;
            total += rt_vsrc_batch(&v, k, a, &in, &sk);
            skipped += sk;
            st_arena_reset(a);
        }
        if (last < 100000)
            assert_true(total + skipped + v.nmalformed <= (int64_t)n + 1);
        st_arena_free(a);
        rt_vsrc_free(&v);
    }
}

/* A file laid out in pieces on a pool is laid out exactly as in one pass:
   the same records (the same bytes of the text), blocks, skips and
   warnings, for clean files (done in pieces) and for files with blank
   lines, '\r', lines to skip, disorder, or no last newline (some of which
   go back to the one pass). */
typedef struct layout {
    int64_t nrec, nblocks, nbad, nmal, last_offset;
    int nwarn;
    char warn[256];
} layout;

static char *random_replay(uint64_t *x, int round, size_t *len)
{
    st_buf b = { 0 };
    int64_t off = (int64_t)(xs(x) % 50);
    int lines = 1 + (int)(xs(x) % 400);
    int flavour = round % 6;   /* 0-2 clean, 3 skips, 4 disorder, 5 blank and \r */
    for (int i = 0; i < lines; i++) {
        uint64_t r = xs(x);
        off += (int64_t)(r % 40);
        if (flavour == 5 && r % 13 == 0)
            st_buf_puts(&b, r % 2 ? "\n" : "\r\n");
        if (flavour == 3 && r % 61 == 0) {
            st_buf_puts(&b, r % 3 == 0 ? "no tab\n" : r % 3 == 1 ? "1x\tbad offset\n" : "5\tnot int\n");
            continue;
        }
        int64_t o = flavour == 4 && r % 97 == 0 ? off / 2 : off;
        st_buf_int(&b, o);
        st_buf_puts(&b, round % 4 == 1 ? "\t" : "\tw");   /* ints, or words */
        st_buf_int(&b, (int64_t)(r % 977));
        if (round % 4 != 1) {
            st_buf_puts(&b, " ");
            st_buf_int(&b, i);
        }
        if (flavour == 5 && r % 7 == 0)
            st_buf_puts(&b, "\r");
        if (i + 1 < lines || round % 3)
            st_buf_puts(&b, "\n");
    }
    st_buf_reserve(&b, 1);
    b.p[b.n] = '\0';
    *len = b.n;
    return b.p;
}

static void lay(rt_vsrc *v, const char *text, size_t n, int round, rt_pool *pool, layout *out)
{
    char *t = malloc(n + 1);
    memcpy(t, text, n + 1);
    warns w = { 0 };
    rt_vsrc_replay(v, t, n, "p.txt", round % 4 == 1, 100 + round % 3 * 150, 50 + round % 2 * 25,
                   pool, count_warn, &w);
    *out = (layout){ 0, v->nblocks, v->nbad, v->nmalformed, v->last_offset, w.n, "" };
    memcpy(out->warn, w.last, sizeof out->warn);
    for (int64_t i = 0; i < v->nblocks; i++)
        out->nrec += v->blocks[i].n;
}

static void test_replay_in_pieces(void **state)
{
    (void)state;
    rt_pool *pool = rt_pool_new(3);
    assert_non_null(pool);
    size_t saved = rt_replay_piece_min;
    rt_replay_piece_min = 64;
    uint64_t x = 0x2545F4914F6CDD1Dull;
    int64_t par_before = rt_replay_par_layouts;
    for (int round = 0; round < 300; round++) {
        size_t n;
        char *text = random_replay(&x, round, &n);
        rt_vsrc a, b;
        layout la, lb;
        lay(&a, text, n, round, NULL, &la);
        lay(&b, text, n, round, pool, &lb);
        if (la.nrec != lb.nrec || la.nblocks != lb.nblocks || la.nbad != lb.nbad ||
            la.nmal != lb.nmal || la.last_offset != lb.last_offset || la.nwarn != lb.nwarn ||
            strcmp(la.warn, lb.warn) != 0)
            fail_msg("round %d: one pass %lld records %lld blocks %lld bad %d warnings, "
                     "pieces %lld records %lld blocks %lld bad %d warnings", round,
                     (long long)la.nrec, (long long)la.nblocks, (long long)la.nbad, la.nwarn,
                     (long long)lb.nrec, (long long)lb.nblocks, (long long)lb.nbad, lb.nwarn);
        for (int64_t i = 0; i < a.nblocks; i++) {
            rt_vblock x1 = a.blocks[i], x2 = b.blocks[i];
            if (x1.k != x2.k || x1.start != x2.start || x1.n != x2.n)
                fail_msg("round %d block %lld differs", round, (long long)i);
        }
        for (int64_t i = 0; i < la.nrec; i++) {
            bool same = a.ints ? a.ivals[i] == b.ivals[i]
                               : a.recs[i].n == b.recs[i].n && a.recs[i].p - a.text == b.recs[i].p - b.text;
            if (!same)
                fail_msg("round %d record %lld differs", round, (long long)i);
        }
        for (int64_t i = 0; i < la.nbad; i++)
            assert_int_equal(a.badk[i], b.badk[i]);
        rt_vsrc_free(&a);
        rt_vsrc_free(&b);
        free(text);
    }
    /* the clean files (half of them) were laid out in pieces */
    assert_true(rt_replay_par_layouts - par_before >= 120);
    rt_replay_piece_min = saved;
    rt_pool_free(pool);
}

/* The one-pass layout finds the lines 64 bytes at a time: lines of every
   length across those boundaries, '\r', blank lines, a last line with no
   newline and offsets of 16 digits (parsed the slow way) give the records
   a plain split gives. */
static void test_replay_one_pass_lines(void **state)
{
    (void)state;
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (int round = 0; round < 200; round++) {
        st_buf b = { 0 };
        st_buf_puts(&b, "0000000000000005\tsixteen digits\n");
        /* round 0: over a MiB, long lines first, so the slots sized from
           the first 256 KiB must grow */
        int lines = round == 0 ? 120000 : 1 + (int)(xs(&x) % 300);
        for (int i = 0; i < lines; i++) {
            uint64_t r = xs(&x);
            if (r % 11 == 0)
                st_buf_puts(&b, r % 2 ? "\n" : "\r\n");
            st_buf_int(&b, 5 + i);
            st_buf_puts(&b, "\t");
            int len = round == 0 ? (i < 1000 ? 290 : 2) : (int)(r >> 8) % (r % 5 == 0 ? 300 : 70);
            for (int k = 0; k < len; k++)
                st_buf_putc(&b, (char)('a' + (k + i) % 26));
            if (r % 7 == 0)
                st_buf_puts(&b, "\r");
            if (i + 1 < lines || round % 2)
                st_buf_puts(&b, "\n");
        }
        if (round % 3 == 0)
            st_buf_puts(&b, "\n1000000000000000\tlast\n");
        st_buf_reserve(&b, 1);
        b.p[b.n] = '\0';
        /* the reference: split on '\n', drop one '\r', skip blank lines */
        char *ref = malloc(b.n + 1);
        memcpy(ref, b.p, b.n + 1);
        int64_t nref = 0;
        rt_vsrc v;
        warns w = { 0 };
        rt_vsrc_replay(&v, b.p, b.n, "p.txt", false, 1000, 1000, NULL, count_warn, &w);
        assert_int_equal(w.n, 0);
        assert_int_equal(v.nmalformed, 0);
        int64_t got = 0;
        for (int64_t i = 0; i < v.nblocks; i++)
            got += v.blocks[i].n;
        for (char *q = ref, *e = ref + b.n; q < e;) {
            char *nl = memchr(q, '\n', (size_t)(e - q));
            char *end = nl ? nl : e, *le = end;
            if (le > q && le[-1] == '\r')
                le--;
            if (le > q) {
                char *t = memchr(q, '\t', (size_t)(le - q));
                assert_non_null(t);
                assert_true(nref < got);
                st_str rec = v.recs[nref++];
                if (rec.n != le - t - 1 || memcmp(rec.p, t + 1, (size_t)rec.n) != 0)
                    fail_msg("round %d record %lld: '%.*s', want '%.*s'", round, (long long)nref,
                             (int)rec.n, rec.p, (int)(le - t - 1), t + 1);
            }
            q = end + 1;
        }
        assert_int_equal(got, nref);
        assert_int_equal(v.last_offset, round % 3 == 0 ? INT64_C(1000000000000000) : 5 + lines - 1);
        rt_vsrc_free(&v);
        free(ref);
    }
}

/* rt_load_file maps a file while it can guard the mapping against SIGBUS
   (64 at once), then reads files into memory; unloading frees the slot. */
static void test_load_file_guard_slots(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_rt_load-XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/f", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("0\thello\n", f);
    fclose(f);
    enum { N = 70 };
    char *text[N];
    size_t n[N], maplen[N];
    int mapped = 0;
    for (int i = 0; i < N; i++) {
        assert_int_equal(rt_load_file(path, NULL, &text[i], &n[i], &maplen[i]), 0);
        assert_int_equal(n[i], 8);
        assert_memory_equal(text[i], "0\thello\n", 8);
        mapped += maplen[i] > 0;
    }
    assert_int_equal(mapped, 64);
    for (int i = 0; i < N; i++)
        rt_unload_file(text[i], maplen[i]);
    assert_int_equal(rt_load_file(path, NULL, &text[0], &n[0], &maplen[0]), 0);
    assert_true(maplen[0] > 0);   /* the slots are free again */
    rt_unload_file(text[0], maplen[0]);
    unlink(path);
    rmdir(dir);
}

static void test_virtual_rate(void **state)
{
    (void)state;
    rt_vsrc v;
    rt_vsrc_rate(&v, 10, 1000, 200);
    check_batch(&v, 1, "0 1 | 2 3 | 4 5 | 6 7 | 8 9", 0);
    check_batch(&v, 2, "10 11 | 12 13 | 14 15 | 16 17 | 18 19", 0);
    assert_true(v.last_offset == INT64_MAX);
    assert_int_equal(rt_replay_last_batch(v.last_offset, 1000, 0, -1, -1), -1);
    rt_vsrc_free(&v);
    rt_vsrc_rate(&v, 3, 1000, 200);   /* offsets 0, 333, 666 */
    check_batch(&v, 1, "0 | 1 | 2", 0);
    check_batch(&v, 2, "3 | 4 | 5", 0);
    rt_vsrc_free(&v);
    rt_vsrc_rate(&v, 1, 500, 100);    /* one record every other batch */
    check_batch(&v, 1, "0", 0);
    check_batch(&v, 2, "", 0);
    check_batch(&v, 3, "1", 0);
    rt_vsrc_free(&v);
}

static void test_virtual_file(void **state)
{
    (void)state;
    rt_vsrc v;
    rt_vsrc_file(&v, dup_text("x\ny\r\nz\n"), 7, 2, true, 1000, 500);
    check_batch(&v, 1, "x | y", 0);
    check_batch(&v, 2, "z | x", 0);
    check_batch(&v, 3, "y | z", 0);
    rt_vsrc_free(&v);
    rt_vsrc_file(&v, dup_text("x\ny\nz"), 5, 2, false, 1000, 500);
    assert_int_equal(v.last_offset, 1000);
    check_batch(&v, 2, "z", 0);
    check_batch(&v, 3, "", 0);
    rt_vsrc_free(&v);
    rt_vsrc_file(&v, dup_text("x\n\ny\n"), 5, 0, false, 1000, 200);
    check_batch(&v, 1, "x  y", 0);   /* every line at 0; the empty line is a record */
    check_batch(&v, 2, "", 0);
    assert_int_equal(v.last_offset, 0);
    rt_vsrc_free(&v);
    rt_vsrc_file(&v, dup_text(""), 0, 0, false, 1000, 200);
    assert_int_equal(v.last_offset, -1);
    rt_vsrc_free(&v);
}

static void test_block_not_dividing_batch(void **state)
{
    (void)state;
    rt_vsrc v;
    const char *text = "250\ta\n350\tb\n";
    rt_vsrc_replay(&v, dup_text(text), strlen(text), "r", false, 300, 200, NULL, NULL, NULL);
    check_batch(&v, 1, "a", 0);
    check_batch(&v, 2, "b", 0);
    rt_vsrc_free(&v);
}

static void test_last_batch(void **state)
{
    (void)state;
    assert_int_equal(rt_replay_last_batch(999, 1000, 0, -1, -1), 1);
    assert_int_equal(rt_replay_last_batch(1000, 1000, 0, -1, -1), 2);
    assert_int_equal(rt_replay_last_batch(0, 1000, 0, -1, -1), 1);
    assert_int_equal(rt_replay_last_batch(-1, 1000, 5000, -1, -1), 0);
    assert_int_equal(rt_replay_last_batch(1500, 1000, 3000, -1, -1), 5);
    assert_int_equal(rt_replay_last_batch(1500, 1000, 2500, -1, -1), 4);
    assert_int_equal(rt_replay_last_batch(1500, 1000, 0, 7, -1), 7);
    assert_int_equal(rt_replay_last_batch(INT64_MAX, 1000, 0, -1, 2500), 2);
    assert_int_equal(rt_replay_last_batch(INT64_MAX, 1000, 0, 5, 2000), 2);
    assert_int_equal(rt_replay_last_batch(INT64_MAX, 1000, 0, -1, -1), -1);
}

/* ---- options ------------------------------------------------------------ */
static const st_source_desc opt_sources[] = {
    { .name = "lines", .kind = ST_SRC_SOCKET, .host = "localhost", .port = 9999 },
    { .name = "nums", .kind = ST_SRC_RATE, .rate = 10 },
};
static const st_context_desc opt_ctx[] = {
    { .name = "c", .batch_ms = 1000, .block_ms = 200, .nsources = 2, .sources = opt_sources },
};
static const st_program_desc opt_prog = { "optprog", 1, opt_ctx, 0, NULL, NULL, 0, NULL, 0, NULL };

static int parse(rt_opts *o, const char *a1, const char *a2, const char *a3)
{
    char *argv[] = { "prog", (char *)a1, (char *)a2, (char *)a3, NULL };
    int argc = 1 + (a1 != NULL) + (a2 != NULL) + (a3 != NULL);
    FILE *err = fopen("/dev/null", "w");
    int rc = rt_parse_opts(&opt_prog, argc, argv, o, err);
    fclose(err);
    return rc;
}

static void test_options(void **state)
{
    (void)state;
    rt_opts o;
    assert_int_equal(parse(&o, "--batches", "3", "--stats"), 0);
    assert_int_equal(o.batches, 3);
    assert_true(o.stats);
    rt_opts_free(&o);
    assert_int_equal(parse(&o, "--duration=2min", "--workers", "4"), 0);
    assert_int_equal(o.duration_ms, 120000);
    assert_int_equal(o.workers, 4);
    rt_opts_free(&o);
    assert_int_equal(parse(&o, "--replay", "lines=a.txt", "--replay=nums=b.txt"), 0);
    assert_int_equal(o.nreplay, 2);
    assert_string_equal(o.replay[1].file, "b.txt");
    rt_opts_free(&o);
    assert_int_equal(parse(&o, "--replay", "nope=a.txt", NULL), 2);
    assert_int_equal(parse(&o, "--replay", "lines", NULL), 2);
    assert_int_equal(parse(&o, "--replay", "lines=a", "--replay=lines=b"), 2);
    assert_int_equal(parse(&o, "--batches", "0", NULL), 2);
    assert_int_equal(parse(&o, "--batches", "x", NULL), 2);
    assert_int_equal(parse(&o, "--batches", NULL, NULL), 2);
    assert_int_equal(parse(&o, "--frobnicate", NULL, NULL), 2);
    assert_int_equal(parse(&o, "extra", NULL, NULL), 2);
    assert_int_equal(parse(&o, "--stats=1", NULL, NULL), 2);
    assert_int_equal(parse(&o, "--duration", "10x", NULL), 2);
    assert_int_equal(parse(&o, "--realtime", NULL, NULL), 2);

    assert_int_equal(rt_parse_duration("10s"), 10000);
    assert_int_equal(rt_parse_duration("500ms"), 500);
    assert_int_equal(rt_parse_duration("2min"), 120000);
    assert_int_equal(rt_parse_duration("1h"), 3600000);
    assert_int_equal(rt_parse_duration("250"), 250);
    assert_int_equal(rt_parse_duration(""), -1);
    assert_int_equal(rt_parse_duration("s"), -1);
    assert_int_equal(rt_parse_duration("-5s"), -1);
    assert_int_equal(rt_parse_duration("99999999999999999999999"), -1);
}

/* ---- worker pool -------------------------------------------------------- */
typedef struct pf_arg {
    atomic_int hits[1000];
    atomic_int bad_worker, bad_arena;
} pf_arg;

static void pf_task(st_job *job, void *varg, int i, int worker)
{
    pf_arg *a = varg;
    atomic_fetch_add(&a->hits[i], 1);
    if (worker < 0 || worker >= job->nworkers)
        atomic_fetch_add(&a->bad_worker, 1);
    else if (st_tls_arena() != job->arenas[worker])
        atomic_fetch_add(&a->bad_arena, 1);
    /* per-worker arenas need no lock */
    memset(st_arena_alloc(job->arenas[worker], 64), i & 0xff, 64);
}

static void test_parallel_for(void **state)
{
    (void)state;
    static const st_context_desc d = { .name = "p", .batch_ms = 1000, .workers = 4 };
    for (int workers = 1; workers <= 4; workers += 3) {
        rt_ctx c;
        assert_int_equal(rt_ctx_open(&c, &d, NULL, 0, workers), 0);
        st_job job = { .nworkers = c.nworkers, .arenas = c.arenas, .rt = &c };
        pf_arg *a = calloc(1, sizeof *a);
        for (int round = 0; round < 50; round++) {
            int n = round % 2 ? 1000 : round % 7;
            for (int i = 0; i < 1000; i++)
                atomic_store(&a->hits[i], 0);
            st_parallel_for(&job, n, pf_task, a);
            for (int i = 0; i < 1000; i++)
                if (atomic_load(&a->hits[i]) != (i < n ? 1 : 0))
                    fail_msg("workers %d round %d: index %d ran %d times", workers, round, i,
                             atomic_load(&a->hits[i]));
        }
        assert_int_equal(atomic_load(&a->bad_worker), 0);
        assert_int_equal(atomic_load(&a->bad_arena), 0);
        free(a);
        rt_ctx_close(&c);
    }
}

/* ---- helpers to run st_main with captured output ------------------------ */
typedef struct captured {
    int rc;
    char *out, *err;
} captured;

static char *slurp_fd(int fd)
{
    lseek(fd, 0, SEEK_SET);
    st_buf b = { 0 };
    char tmp[4096];
    ssize_t r;
    while ((r = read(fd, tmp, sizeof tmp)) > 0)
        st_buf_put(&b, tmp, (size_t)r);
    st_buf_putc(&b, '\0');
    return b.p;
}

static captured run_main(const st_program_desc *prog, int argc, char **argv)
{
    fflush(stdout);
    fflush(stderr);
    FILE *fo = tmpfile(), *fe = tmpfile();
    int so = dup(1), se = dup(2);
    dup2(fileno(fo), 1);
    dup2(fileno(fe), 2);
    captured c;
    c.rc = st_main(prog, argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(so, 1);
    dup2(se, 2);
    close(so);
    close(se);
    c.out = slurp_fd(fileno(fo));
    c.err = slurp_fd(fileno(fe));
    fclose(fo);
    fclose(fe);
    return c;
}

static void captured_free(captured *c)
{
    free(c->out);
    free(c->err);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* ---- a tiny hand-written program: prints each batch's records ------------ */
typedef struct echo_state {
    const char *tag;
    int64_t batches;
} echo_state;

static int64_t g_destroyed;

static void *echo_create_a(void)
{
    echo_state *s = calloc(1, sizeof *s);
    s->tag = "A";
    return s;
}

static void *echo_create_b(void)
{
    echo_state *s = calloc(1, sizeof *s);
    s->tag = "B";
    return s;
}

static void echo_destroy(void *state)
{
    g_destroyed++;
    free(state);
}

static int echo_run(void *state, st_job *job)
{
    echo_state *s = state;
    s->batches++;
    st_buf b = { 0 };
    int64_t n = 0;
    int nb = 0;
    for (int i = 0; i < job->nsources; i++)
        for (int k = 0; k < job->inputs[i].nblocks; k++) {
            nb++;
            n += job->inputs[i].blocks[k].n;
        }
    st_buf_puts(&b, s->tag);
    st_buf_puts(&b, " records=");
    st_buf_int(&b, n);
    st_buf_puts(&b, " blocks=");
    st_buf_int(&b, nb);
    st_buf_putc(&b, '\n');
    int64_t shown = 0;
    for (int i = 0; i < job->nsources; i++)
        for (int k = 0; k < job->inputs[i].nblocks; k++) {
            const st_block *bl = &job->inputs[i].blocks[k];
            for (int64_t r = 0; r < bl->n && shown < 3; r++) {
                if (bl->ints) {
                    st_buf_int(&b, bl->ints[r]);
                } else {
                    int64_t v;
                    if (bl->recs[r].n > 0 && bl->recs[r].p[0] == '#' &&
                        !st_to_int((st_str){ bl->recs[r].p + 1, bl->recs[r].n - 1 }, &v)) {
                        st_skip(job, 0, "toInt", bl->recs[r]);
                        continue;
                    }
                    st_buf_str(&b, bl->recs[r]);
                }
                st_buf_putc(&b, '\n');
                shown++;
            }
        }
    st_print(job, b.p, b.n, n > 3);
    st_buf_free(&b);
    return 0;
}

static const st_source_desc echo_sources[] = {
    { .name = "lines", .kind = ST_SRC_SOCKET, .host = "localhost", .port = 9 },
};
static const st_context_desc echo_ctx[] = {
    { .name = "main", .batch_ms = 1000, .block_ms = 200, .workers = 2, .nsources = 1,
      .sources = echo_sources, .drain_ms = 0, .create = echo_create_a,
      .run_batch = echo_run, .destroy = echo_destroy },
};
static const st_program_desc echo_prog = { "echo", 1, echo_ctx, 0, NULL, NULL, 0, NULL, 0, NULL };

static const char *const hdr = "-------------------------------------------\n";

static void test_main_replay_end_to_end(void **state)
{
    (void)state;
    char dir[] = "/tmp/strt-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/lines.txt", dir);
    write_file(path, "0\ta\n999\tb\n1000\tc\n1001\td\n1002\t#x\n1003\te\n1004\tf\n"
                     "garbage\n2500\tg\n");
    char arg[300];
    snprintf(arg, sizeof arg, "lines=%s", path);
    char *argv[] = { "echo", "--replay", arg, "--stats", NULL };
    g_destroyed = 0;
    captured c = run_main(&echo_prog, 4, argv);
    assert_int_equal(c.rc, 0);
    assert_int_equal(g_destroyed, 1);
    st_buf want = { 0 };
    st_buf_puts(&want, hdr);
    st_buf_puts(&want, "Time: 1000 ms\n");
    st_buf_puts(&want, hdr);
    st_buf_puts(&want, "A records=2 blocks=2\na\nb\n\n");
    st_buf_puts(&want, hdr);
    st_buf_puts(&want, "Time: 2000 ms\n");
    st_buf_puts(&want, hdr);
    st_buf_puts(&want, "A records=5 blocks=1\nc\nd\ne\n...\n\n");
    st_buf_puts(&want, hdr);
    st_buf_puts(&want, "Time: 3000 ms\n");
    st_buf_puts(&want, hdr);
    st_buf_puts(&want, "A records=1 blocks=1\ng\n\n");
    st_buf_putc(&want, '\0');
    assert_string_equal(c.out, want.p);
    st_buf_free(&want);
    /* stats, the malformed line (file:line) and the skipped record */
    assert_non_null(strstr(c.err, "[stats] main time=1000 records=2 processing="));
    assert_non_null(strstr(c.err, "delay=0ms skipped=1 throttled=0ms spilled=0\n")); /* the garbage line */
    assert_non_null(strstr(c.err, "lines.txt:8: replay line without a tab"));
    assert_non_null(strstr(c.err, "echo: warning: skipped a record: toInt: \"#x\"\n"));
    assert_non_null(strstr(c.err, "[stats] main total batches=3 records=8 skipped=2\n"));
    captured_free(&c);

    /* --batches cuts, drain is respected, --duration counts virtual time */
    char *argv2[] = { "echo", "--replay", arg, "--batches", "2", NULL };
    c = run_main(&echo_prog, 5, argv2);
    assert_int_equal(c.rc, 0);
    assert_null(strstr(c.out, "Time: 3000 ms"));
    assert_non_null(strstr(c.out, "Time: 2000 ms"));
    /* skips are never silent, even without --stats */
    assert_non_null(strstr(c.err, "echo: warning: context 'main' skipped 2 records"));
    captured_free(&c);
    char *argv3[] = { "echo", "--replay", arg, "--duration", "2999ms", NULL };
    c = run_main(&echo_prog, 5, argv3);
    assert_null(strstr(c.out, "Time: 3000 ms"));
    assert_non_null(strstr(c.out, "Time: 2000 ms"));
    captured_free(&c);
    st_context_desc drained = echo_ctx[0];
    drained.drain_ms = 2000;
    st_program_desc dprog = { "echo", 1, &drained, 0, NULL, NULL, 0, NULL, 0, NULL };
    c = run_main(&dprog, 3, argv);
    assert_non_null(strstr(c.out, "Time: 5000 ms\n-------------------------------------------\n"
                                  "A records=0 blocks=0\n\n"));
    assert_null(strstr(c.out, "Time: 6000 ms"));
    captured_free(&c);

    /* a replay file that cannot be read is a runtime failure */
    char *argv4[] = { "echo", "--replay", "lines=/nonexistent/file", NULL };
    c = run_main(&echo_prog, 3, argv4);
    assert_int_equal(c.rc, 1);
    assert_non_null(strstr(c.err, "echo: error: source 'lines': cannot read /nonexistent/file"));
    captured_free(&c);
    unlink(path);
    rmdir(dir);
}

static const st_source_desc multi_a[] = { { .name = "na", .kind = ST_SRC_RATE, .rate = 2 } };
static const st_source_desc multi_b[] = {
    { .name = "nb", .kind = ST_SRC_RATE, .rate = 1 },
    { .name = "sock", .kind = ST_SRC_SOCKET, .host = "localhost", .port = 9 },
};
static const st_context_desc multi_ctx[] = {
    { .name = "a", .batch_ms = 1000, .block_ms = 500, .workers = 1, .nsources = 1,
      .sources = multi_a, .create = echo_create_a, .run_batch = echo_run,
      .destroy = echo_destroy },
    { .name = "b", .batch_ms = 1500, .block_ms = 500, .workers = 3, .nsources = 2,
      .sources = multi_b, .create = echo_create_b, .run_batch = echo_run,
      .destroy = echo_destroy },
};
static const st_program_desc multi_prog = { "multi", 2, multi_ctx, 0, NULL, NULL, 0, NULL, 0, NULL };

static void test_main_replay_contexts_interleave(void **state)
{
    (void)state;
    char path[] = "/tmp/strt-sock-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    write_file(path, "100\thello\n1600\tworld\n");
    char arg[300];
    snprintf(arg, sizeof arg, "sock=%s", path);
    char *argv[] = { "multi", "--replay", arg, "--batches", "2", NULL };
    g_destroyed = 0;
    captured c = run_main(&multi_prog, 5, argv);
    assert_int_equal(c.rc, 0);
    assert_int_equal(g_destroyed, 2);
    st_buf want = { 0 };
    const char *bodies[][2] = {
        { "1000", "A records=2 blocks=2\n0\n1\n" },
        { "1500", "B records=3 blocks=3\n0\n1\nhello\n" },
        { "2000", "A records=2 blocks=2\n2\n3\n" },
        { "3000", "B records=2 blocks=2\n2\nworld\n" },
    };
    for (int i = 0; i < 4; i++) {
        st_buf_puts(&want, hdr);
        st_buf_puts(&want, "Time: ");
        st_buf_puts(&want, bodies[i][0]);
        st_buf_puts(&want, " ms\n");
        st_buf_puts(&want, hdr);
        st_buf_puts(&want, bodies[i][1]);
        st_buf_putc(&want, '\n');
    }
    st_buf_putc(&want, '\0');
    assert_string_equal(c.out, want.p);
    st_buf_free(&want);
    captured_free(&c);

    /* infinite virtual sources need a limit */
    char *argv2[] = { "multi", "--replay", arg, NULL };
    c = run_main(&multi_prog, 3, argv2);
    assert_int_equal(c.rc, 2);
    assert_non_null(strstr(c.err, "multi: error: source 'na' never ends"));
    captured_free(&c);
    /* a socket in replay mode needs its file */
    char *argv3[] = { "multi", "--replay", "na=/dev/null", "--batches", "1", NULL };
    c = run_main(&multi_prog, 5, argv3);
    assert_int_equal(c.rc, 2);
    assert_non_null(strstr(c.err, "multi: error: source 'sock' (socket) cannot run"));
    captured_free(&c);
    /* usage errors and --help */
    char *argv4[] = { "multi", "--replay", "zzz=x", NULL };
    c = run_main(&multi_prog, 3, argv4);
    assert_int_equal(c.rc, 2);
    assert_non_null(strstr(c.err, "multi: error: "));
    captured_free(&c);
    char *argv5[] = { "multi", "--help", NULL };
    c = run_main(&multi_prog, 2, argv5);
    assert_int_equal(c.rc, 0);
    assert_non_null(strstr(c.out, "sock"));
    assert_non_null(strstr(c.out, "rate(2)"));
    captured_free(&c);
    unlink(path);
}

/* ---- st_save ------------------------------------------------------------ */
static void test_save(void **state)
{
    (void)state;
    char dir[] = "/tmp/strt-save-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char prefix[256];
    snprintf(prefix, sizeof prefix, "%s/out/sub/counts", dir);
    st_job job = { .time_ms = 5000 };
    st_buf parts[3] = { { 0 }, { 0 }, { 0 } };
    st_buf_puts(&parts[0], "(a,1)\n");
    st_buf_puts(&parts[2], "(b,2)\n(c,3)\n");
    assert_int_equal(st_save(&job, prefix, "txt", 3, parts), 0);
    char p[512];
    struct stat st;
    snprintf(p, sizeof p, "%s-5000.txt/part-00001", prefix);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_size, 0);
    snprintf(p, sizeof p, "%s-5000.txt/part-00002", prefix);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_size, 12);
    snprintf(p, sizeof p, "%s-5000.txt/_SUCCESS", prefix);
    assert_int_equal(stat(p, &st), 0);
    /* again over the old output: replaced */
    assert_int_equal(st_save(&job, prefix, "txt", 1, parts), 0);
    snprintf(p, sizeof p, "%s-5000.txt/part-00002", prefix);
    assert_int_not_equal(stat(p, &st), 0);
    /* no suffix */
    assert_int_equal(st_save(&job, prefix, NULL, 0, NULL), 0);
    snprintf(p, sizeof p, "%s-5000/_SUCCESS", prefix);
    assert_int_equal(stat(p, &st), 0);
    /* only the outputs are left, no temporary directory */
    snprintf(p, sizeof p, "%s/out/sub", dir);
    DIR *d = opendir(p);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.')
            n++;
        else
            assert_true(strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0);
    closedir(d);
    assert_int_equal(n, 2);
    /* failure: a parent that is a file */
    snprintf(p, sizeof p, "%s/file", dir);
    write_file(p, "x");
    snprintf(prefix, sizeof prefix, "%s/file/x", dir);
    fflush(stderr);
    int se = dup(2), devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 2);
    int rc = st_save(&job, prefix, NULL, 1, parts);
    dup2(se, 2);
    close(se);
    close(devnull);
    assert_int_equal(rc, -1);
    for (int i = 0; i < 3; i++)
        st_buf_free(&parts[i]);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_blocks_and_batches),
        cmocka_unit_test(test_replay_order_and_garbage),
        cmocka_unit_test(test_replay_disorder_after_garbage),
        cmocka_unit_test(test_replay_rate_ints),
        cmocka_unit_test(test_replay_garbage_fuzz),
        cmocka_unit_test(test_replay_in_pieces),
        cmocka_unit_test(test_load_file_guard_slots),
        cmocka_unit_test(test_virtual_rate),
        cmocka_unit_test(test_virtual_file),
        cmocka_unit_test(test_block_not_dividing_batch),
        cmocka_unit_test(test_last_batch),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_parallel_for),
        cmocka_unit_test(test_main_replay_end_to_end),
        cmocka_unit_test(test_main_replay_contexts_interleave),
        cmocka_unit_test(test_save),
        cmocka_unit_test(test_replay_one_pass_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
