/* test_rt_snapshot.c: checkpoints (snapshot.c): the st_ser / st_rd
 * serialization helpers, and snapshot files written and read back with a
 * hand-made context whose state is a list of strings and a counter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rt_internal.h"

/* ---- st_ser / st_rd ---- */

static void test_round_trip(void **state)
{
    (void)state;
    st_buf b = { 0 };
    st_ser_i64(&b, 0);
    st_ser_i64(&b, -1);
    st_ser_i64(&b, INT64_MIN);
    st_ser_i64(&b, INT64_C(0x0102030405060708));
    st_ser_f64(&b, 2.5);
    st_ser_f64(&b, -0.0);
    st_ser_str(&b, ST_STR_LIT("h\0llo"));
    st_ser_str(&b, ST_STR_LIT(""));
    assert_int_equal(b.n, 8 * 6 + 8 + 5 + 8);
    /* little endian */
    assert_int_equal((unsigned char)b.p[24], 0x08);
    assert_int_equal((unsigned char)b.p[31], 0x01);

    st_arena *a = st_arena_new();
    st_rd r = { b.p, b.p + b.n, false };
    assert_int_equal(st_rd_i64(&r), 0);
    assert_int_equal(st_rd_i64(&r), -1);
    assert_true(st_rd_i64(&r) == INT64_MIN);
    assert_true(st_rd_i64(&r) == INT64_C(0x0102030405060708));
    assert_true(st_rd_f64(&r) == 2.5);
    double z = st_rd_f64(&r);
    assert_true(z == 0 && signbit(z));
    st_str s = st_rd_str(&r, a);
    assert_int_equal(s.n, 5);
    assert_memory_equal(s.p, "h\0llo", 5);
    assert_true(s.p < b.p || s.p >= b.p + b.n);   /* a copy, not a slice */
    s = st_rd_str(&r, a);
    assert_int_equal(s.n, 0);
    assert_false(r.bad);
    assert_true(r.p == r.end);
    /* past the end: 0 and bad, and bad stays */
    assert_int_equal(st_rd_i64(&r), 0);
    assert_true(r.bad);
    st_arena_free(a);
    st_buf_free(&b);
}

static void test_short_input(void **state)
{
    (void)state;
    st_buf b = { 0 };
    st_ser_i64(&b, 42);
    st_arena *a = st_arena_new();
    /* 7 of 8 bytes */
    st_rd r = { b.p, b.p + 7, false };
    assert_int_equal(st_rd_i64(&r), 0);
    assert_true(r.bad);
    assert_true(r.p == b.p);
    /* once bad, a read that would fit still fails */
    r = (st_rd){ b.p, b.p + 8, true };
    assert_int_equal(st_rd_i64(&r), 0);
    /* a string longer than what is left */
    b.n = 0;
    st_ser_str(&b, ST_STR_LIT("abcdef"));
    r = (st_rd){ b.p, b.p + b.n - 1, false };
    st_str s = st_rd_str(&r, a);
    assert_true(r.bad);
    assert_int_equal(s.n, 0);
    st_arena_free(a);
    st_buf_free(&b);
}

static void test_negative_length(void **state)
{
    (void)state;
    st_buf b = { 0 };
    st_ser_i64(&b, -3);
    st_buf_put(&b, "abcdefgh", 8);
    st_arena *a = st_arena_new();
    st_rd r = { b.p, b.p + b.n, false };
    st_str s = st_rd_str(&r, a);
    assert_true(r.bad);
    assert_int_equal(s.n, 0);
    st_arena_free(a);
    st_buf_free(&b);
}

/* ---- snapshots with a hand-made context ---- */

typedef struct tstate {
    st_arena *ar;
    int64_t count;
    int64_t n;
    st_str words[8];
} tstate;

static int loads;   /* calls of tload */

static void *tcreate(void)
{
    tstate *s = calloc(1, sizeof *s);
    s->ar = st_arena_new();
    return s;
}

static void tdestroy(void *p)
{
    tstate *s = p;
    st_arena_free(s->ar);
    free(s);
}

static void tsave(void *p, st_buf *out)
{
    tstate *s = p;
    st_ser_i64(out, s->count);
    st_ser_i64(out, s->n);
    for (int64_t i = 0; i < s->n; i++)
        st_ser_str(out, s->words[i]);
}

static int tload(void *p, st_rd *in)
{
    tstate *s = p;
    loads++;
    assert_int_equal(s->n, 0);   /* a fresh state */
    s->count = st_rd_i64(in);
    s->n = st_rd_i64(in);
    if (s->n < 0 || s->n > 8)
        return -1;
    for (int64_t i = 0; i < s->n; i++)
        s->words[i] = st_rd_str(in, s->ar);
    return in->bad || in->p != in->end ? -1 : 0;
}

static const st_context_desc tdesc = {
    .name = "ctx", .batch_ms = 1000, .block_ms = 200,
    .create = tcreate, .destroy = tdestroy,
    .state_hash = UINT64_C(0x1234), .save = tsave, .load = tload,
};

typedef struct fixture {
    char dir[64];
    rt_ctx c;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    strcpy(f->dir, "/tmp/test_rt_snapshot.XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    f->c.desc = &tdesc;
    f->c.state = tcreate();
    f->c.created = true;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    tdestroy(f->c.state);
    DIR *d = opendir(f->dir);
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char p[512];
        snprintf(p, sizeof p, "%s/%s", f->dir, de->d_name);
        unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(f->dir);
    free(f);
    return 0;
}

static void set_words(rt_ctx *c, int64_t count, int n, ...)
{
    tdestroy(c->state);
    c->state = tcreate();
    tstate *s = c->state;
    s->count = count;
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) {
        const char *w = va_arg(ap, const char *);
        s->words[s->n++] = st_arena_strdup(s->ar, (st_str){ w, (int64_t)strlen(w) });
    }
    va_end(ap);
}

static int nfiles(const char *dir)
{
    int n = 0;
    DIR *d = opendir(dir);
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        n += de->d_name[0] != '.';
    closedir(d);
    return n;
}

static void test_snapshot_round_trip(void **state)
{
    fixture *f = *state;
    set_words(&f->c, 7, 2, "alpha", "");
    st_buf blob = { 0 };
    st_buf_puts(&blob, "runtime data");
    assert_int_equal(rt_snap_write(&f->c, f->dir, 500, 3000, &blob), 0);
    char path[128];
    snprintf(path, sizeof path, "%s/state-00000000000000003000", f->dir);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);

    set_words(&f->c, 0, 0);
    int64_t zero = -1, time = -1;
    st_buf got = { 0 };
    loads = 0;
    assert_int_equal(rt_snap_read(&f->c, f->dir, &zero, &time, &got), 1);
    assert_int_equal(loads, 1);
    assert_int_equal(zero, 500);
    assert_int_equal(time, 3000);
    assert_int_equal(got.n, blob.n);
    assert_memory_equal(got.p, blob.p, blob.n);
    tstate *s = f->c.state;
    assert_int_equal(s->count, 7);
    assert_int_equal(s->n, 2);
    assert_true(st_str_eq(s->words[0], ST_STR_LIT("alpha")));
    assert_int_equal(s->words[1].n, 0);
    st_buf_free(&got);
    st_buf_free(&blob);

    /* the newest two are kept */
    assert_int_equal(rt_snap_write(&f->c, f->dir, 0, 4000, NULL), 0);
    assert_int_equal(rt_snap_write(&f->c, f->dir, 0, 5000, NULL), 0);
    assert_int_equal(nfiles(f->dir), 2);
    assert_int_not_equal(stat(path, &st), 0);
}

static void test_empty_dir(void **state)
{
    fixture *f = *state;
    int64_t zero, time;
    assert_int_equal(rt_snap_read(&f->c, f->dir, &zero, &time, NULL), 0);
    char missing[128];
    snprintf(missing, sizeof missing, "%s/none", f->dir);
    assert_int_equal(rt_snap_read(&f->c, missing, &zero, &time, NULL), 0);
}

static void flip_byte(const char *path, long at)
{
    FILE *fp = fopen(path, "r+b");
    assert_non_null(fp);
    fseek(fp, at, SEEK_SET);
    int ch = fgetc(fp);
    fseek(fp, at, SEEK_SET);
    fputc(ch ^ 0x40, fp);
    fclose(fp);
}

static void test_bad_checksum_falls_back(void **state)
{
    fixture *f = *state;
    set_words(&f->c, 1, 1, "older");
    assert_int_equal(rt_snap_write(&f->c, f->dir, 0, 1000, NULL), 0);
    set_words(&f->c, 2, 1, "newer");
    assert_int_equal(rt_snap_write(&f->c, f->dir, 0, 2000, NULL), 0);
    char path[128];
    snprintf(path, sizeof path, "%s/state-00000000000000002000", f->dir);
    flip_byte(path, 60);   /* inside the state */

    set_words(&f->c, 0, 0);
    int64_t zero, time;
    assert_int_equal(rt_snap_read(&f->c, f->dir, &zero, &time, NULL), 1);
    assert_int_equal(time, 1000);
    tstate *s = f->c.state;
    assert_int_equal(s->count, 1);
    assert_true(st_str_eq(s->words[0], ST_STR_LIT("older")));

    /* both damaged: an error, not a fresh start */
    snprintf(path, sizeof path, "%s/state-00000000000000001000", f->dir);
    flip_byte(path, 60);
    set_words(&f->c, 0, 0);
    assert_int_equal(rt_snap_read(&f->c, f->dir, &zero, &time, NULL), -1);
}

/* a checksummed file whose state does not parse: the state is re-created
   and the older file used */
static void test_load_failure_falls_back(void **state)
{
    fixture *f = *state;
    set_words(&f->c, 1, 1, "good");
    assert_int_equal(rt_snap_write(&f->c, f->dir, 0, 1000, NULL), 0);
    /* the same layout, but save() writes nothing, which tload cannot parse */
    st_context_desc bad = tdesc;
    bad.save = NULL;
    rt_ctx c2 = f->c;
    c2.desc = &bad;
    assert_int_equal(rt_snap_write(&c2, f->dir, 0, 2000, NULL), 0);

    set_words(&f->c, 0, 0);
    int64_t zero, time;
    loads = 0;
    assert_int_equal(rt_snap_read(&f->c, f->dir, &zero, &time, NULL), 1);
    assert_int_equal(loads, 2);
    assert_int_equal(time, 1000);
    assert_true(st_str_eq(((tstate *)f->c.state)->words[0], ST_STR_LIT("good")));
}

static void test_other_program_refused(void **state)
{
    fixture *f = *state;
    set_words(&f->c, 3, 0);
    assert_int_equal(rt_snap_write(&f->c, f->dir, 0, 1000, NULL), 0);
    st_context_desc other = tdesc;
    other.state_hash = UINT64_C(0x4321);
    rt_ctx c2 = f->c;
    c2.desc = &other;
    int64_t zero, time;
    loads = 0;
    assert_int_equal(rt_snap_read(&c2, f->dir, &zero, &time, NULL), -1);
    assert_int_equal(loads, 0);
}

static void test_ckpt_dir(void **state)
{
    fixture *f = *state;
    rt_prog p;
    memset(&p, 0, sizeof p);
    f->c.prog = &p;
    assert_null(rt_ckpt_dir(&f->c, false));
    assert_null(rt_ckpt_dir(&f->c, true));        /* the context has none */
    st_context_desc d = tdesc;
    char own[128];
    snprintf(own, sizeof own, "%s/own", f->dir);
    d.checkpoint = own;
    f->c.desc = &d;
    assert_null(rt_ckpt_dir(&f->c, false));       /* replay ignores it */
    char *got = rt_ckpt_dir(&f->c, true);
    char want[160];
    snprintf(want, sizeof want, "%s/own/ctx", f->dir);
    assert_string_equal(got, want);
    struct stat st;
    assert_int_equal(stat(want, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    free(got);
    char opt[128];
    snprintf(opt, sizeof opt, "%s/a/b", f->dir);
    p.opts.checkpoint = opt;                      /* --checkpoint wins */
    got = rt_ckpt_dir(&f->c, false);
    snprintf(want, sizeof want, "%s/a/b/ctx", f->dir);
    assert_string_equal(got, want);
    free(got);
    f->c.desc = &tdesc;
    f->c.prog = NULL;
    /* clean up the extra directories */
    snprintf(want, sizeof want, "%s/own/ctx", f->dir); rmdir(want);
    snprintf(want, sizeof want, "%s/own", f->dir); rmdir(want);
    snprintf(want, sizeof want, "%s/a/b/ctx", f->dir); rmdir(want);
    snprintf(want, sizeof want, "%s/a/b", f->dir); rmdir(want);
    snprintf(want, sizeof want, "%s/a", f->dir); rmdir(want);
}

/* The manifest (ckpt.c): written and read back; a flipped byte, another
   program's identity and a missing file each say so. */
static void test_manifest(void **state)
{
    fixture *f = *state;
    char why[200];
    rt_manifest m, back;
    assert_int_equal(rt_manifest_read(f->dir, 7, &back, why, sizeof why), 0);
    int64_t segs[3] = { 2, 5, 9 };
    m = (rt_manifest){ 4000, 123, segs, 3 };
    assert_int_equal(rt_manifest_write(f->dir, 7, &m), 0);
    assert_int_equal(rt_manifest_read(f->dir, 7, &back, why, sizeof why), 1);
    assert_int_equal(back.snap_t, 4000);
    assert_int_equal(back.snap_recs, 123);
    assert_int_equal(back.nsegs, 3);
    assert_int_equal(back.segs[2], 9);
    rt_manifest_free(&back);
    assert_int_equal(rt_manifest_read(f->dir, 8, &back, why, sizeof why), -2);
    char p[128];
    snprintf(p, sizeof p, "%s/manifest", f->dir);
    int fd = open(p, O_WRONLY);
    assert_int_equal(pwrite(fd, "\x7f", 1, 20), 1);
    close(fd);
    assert_int_equal(rt_manifest_read(f->dir, 7, &back, why, sizeof why), -1);
    assert_string_equal(why, "bad checksum");
    /* a snapshot's identity is the program's: another context layout is
       another program */
    st_context_desc other = tdesc;
    assert_true(rt_ckpt_ident(&other) == rt_ckpt_ident(&tdesc));
    other.block_ms = tdesc.block_ms + 100;
    assert_true(rt_ckpt_ident(&other) != rt_ckpt_ident(&tdesc));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_short_input),
        cmocka_unit_test(test_negative_length),
        cmocka_unit_test_setup_teardown(test_snapshot_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_checksum_falls_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_failure_falls_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_program_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ckpt_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_manifest, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
