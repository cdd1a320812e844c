/* test_rt_core.c: the runtime's building blocks: arenas and partitions,
 * number formatting (Java's Double.toString), and the language built-ins
 * (split, field, json, toInt, toFloat, substr, len ...). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "rt_internal.h"
#include "st_map.h"

#define S(lit) ST_STR_LIT(lit)

static void assert_str(st_str got, const char *want)
{
    if (got.n != (int64_t)strlen(want) || memcmp(got.p, want, (size_t)got.n) != 0)
        fail_msg("got \"%.*s\" (%lld bytes), want \"%s\"", (int)got.n, got.p,
                 (long long)got.n, want);
}

/* ---- arena -------------------------------------------------------------- */
static void test_arena_alloc(void **state)
{
    (void)state;
    st_arena *a = st_arena_new();
    assert_int_equal(st_arena_used(a), 0);
    char *prev = NULL;
    for (int i = 0; i < 10000; i++) {
        size_t n = (size_t)(i % 97) + 1;
        char *p = st_arena_alloc(a, n);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 16, 0);
        memset(p, 0xab, n);   /* ASan catches an overlap or overrun */
        assert_true(p != prev);
        prev = p;
    }
    /* bigger than any chunk so far */
    char *big = st_arena_alloc(a, (size_t)10 << 20);
    memset(big, 1, (size_t)10 << 20);
    assert_true(st_arena_used(a) > ((size_t)10 << 20));
    st_arena_reset(a);
    assert_int_equal(st_arena_used(a), 0);
    char *p = st_arena_alloc(a, 0);
    char *q = st_arena_alloc(a, 0);
    assert_non_null(p);
    assert_true(p != q);
    st_str d = st_arena_strdup(a, S("hello"));
    assert_str(d, "hello");
    st_arena_free(a);
}

static void test_part_grow(void **state)
{
    (void)state;
    st_arena *a = st_arena_new();
    st_part p = { 0 };
    for (int64_t i = 0; i < 100000; i++)
        *(int64_t *)st_part_push(&p, sizeof(int64_t), a) = i * 3;
    assert_int_equal(p.n, 100000);
    assert_true(p.cap >= p.n);
    for (int64_t i = 0; i < p.n; i++)
        assert_int_equal(((int64_t *)p.data)[i], i * 3);
    st_arena_free(a);
}

static void test_tls_arena_outside_batch(void **state)
{
    (void)state;
    assert_null(st_tls_arena());
}

/* ---- formatting --------------------------------------------------------- */
static void check_float(double v, const char *want)
{
    st_buf b = { 0 };
    st_buf_float(&b, v);
    st_buf_putc(&b, '\0');
    if (strcmp(b.p, want) != 0)
        fail_msg("st_buf_float(%.17g) = \"%s\", want \"%s\"", v, b.p, want);
    st_buf_free(&b);
}

static void test_float_java(void **state)
{
    (void)state;
    check_float(0.1, "0.1");
    check_float(1.0, "1.0");
    check_float(2.5, "2.5");
    check_float(3.0, "3.0");
    check_float(100.0, "100.0");
    check_float(1e7, "1.0E7");
    check_float(1234567.0, "1234567.0");
    check_float(9999999.0, "9999999.0");
    check_float(12345678.0, "1.2345678E7");
    check_float(1e-3, "0.001");
    check_float(1e-4, "1.0E-4");
    check_float(1.234e-5, "1.234E-5");
    check_float(1e10, "1.0E10");
    check_float(NAN, "NaN");
    check_float(INFINITY, "Infinity");
    check_float(-INFINITY, "-Infinity");
    check_float(-0.0, "-0.0");
    check_float(0.0, "0.0");
    check_float(1 / 3.0, "0.3333333333333333");
    check_float(2 / 3.0, "0.6666666666666666");
    check_float(-2.5, "-2.5");
    check_float(0.30000000000000004, "0.30000000000000004");
    check_float(123.456, "123.456");
    check_float(1e21, "1.0E21");
    check_float(1.7976931348623157e308, "1.7976931348623157E308");
    check_float(4.9e-324, "4.9E-324");
    check_float(0.00123, "0.00123");
}

static void test_buf_int(void **state)
{
    (void)state;
    st_buf b = { 0 };
    st_buf_int(&b, 0);
    st_buf_putc(&b, ' ');
    st_buf_int(&b, -42);
    st_buf_putc(&b, ' ');
    st_buf_int(&b, INT64_MIN);
    st_buf_putc(&b, ' ');
    st_buf_int(&b, INT64_MAX);
    st_buf_putc(&b, ' ');
    st_buf_bool(&b, true);
    assert_str((st_str){ b.p, (int64_t)b.n },
               "0 -42 -9223372036854775808 9223372036854775807 true");
    st_buf_free(&b);
}

/* ---- split and field ---------------------------------------------------- */
static void check_split(const char *s, const char *sep, int n, ...)
{
    st_split it;
    st_split_init(&it, (st_str){ s, (int64_t)strlen(s) }, (st_str){ sep, (int64_t)strlen(sep) });
    va_list ap;
    va_start(ap, n);
    st_str piece;
    int got = 0;
    while (st_split_next(&it, &piece)) {
        if (got >= n)
            fail_msg("split(\"%s\", \"%s\"): more than %d pieces", s, sep, n);
        const char *want = va_arg(ap, const char *);
        assert_str(piece, want);
        got++;
    }
    va_end(ap);
    if (got != n)
        fail_msg("split(\"%s\", \"%s\"): %d pieces, want %d", s, sep, got, n);
}

static void test_split_java(void **state)
{
    (void)state;
    check_split("a b  c", " ", 4, "a", "b", "", "c");
    check_split("a,b,,", ",", 2, "a", "b");
    check_split("", ",", 1, "");
    check_split(",a", ",", 2, "", "a");
    check_split(",,,", ",", 0);
    check_split("abc", ",", 1, "abc");
    check_split("a::b::", "::", 2, "a", "b");
    check_split("baaa", "aa", 2, "b", "a");
    check_split("h\xc3\xa9!", "", 3, "h", "\xc3\xa9", "!");
    check_split("", "", 1, "");
}

static void test_field(void **state)
{
    (void)state;
    st_str out;
    assert_true(st_field(S("a,b,c"), S(","), 1, &out));
    assert_str(out, "b");
    assert_true(st_field(S("a,,c"), S(","), 1, &out));
    assert_str(out, "");
    assert_false(st_field(S("a,b,c"), S(","), 3, &out));
    assert_false(st_field(S("a,b,c"), S(","), -1, &out));
    assert_false(st_field(S("a,b,"), S(","), 2, &out));   /* trailing empty: gone */
    assert_true(st_field(S("x"), S(","), 0, &out));
    assert_str(out, "x");
}

/* ---- json --------------------------------------------------------------- */
static void test_json(void **state)
{
    (void)state;
    st_arena *a = st_arena_new();
    st_str out;
    const st_str rec = S("{\"user\": \"al\\\"ice\\u00e9\\ud83d\\ude00\", \"n\": -12.5e3, "
                         "\"nested\": {\"user\": \"no\", \"arr\": [1, \"]\", {\"x\": []}]}, "
                         "\"t\": true, \"z\": null, \"plain\": \"abc\"}");
    assert_true(st_json(a, rec, S("user"), &out));
    assert_str(out, "al\"ice\xc3\xa9\xf0\x9f\x98\x80");
    assert_true(st_json(a, rec, S("n"), &out));
    assert_str(out, "-12.5e3");
    assert_true(st_json(a, rec, S("nested"), &out));
    assert_str(out, "{\"user\": \"no\", \"arr\": [1, \"]\", {\"x\": []}]}");
    assert_true(st_json(a, rec, S("t"), &out));
    assert_str(out, "true");
    assert_true(st_json(a, rec, S("z"), &out));
    assert_str(out, "null");
    assert_true(st_json(a, rec, S("plain"), &out));
    assert_str(out, "abc");
    assert_true(out.p > rec.p && out.p < rec.p + rec.n);   /* a slice, no copy */
    assert_false(st_json(a, rec, S("arr"), &out));          /* not top level */
    assert_false(st_json(a, rec, S("missing"), &out));
    /* escaped key */
    assert_true(st_json(a, S("{\"a\\u0062\":1}"), S("ab"), &out));
    assert_str(out, "1");
    assert_true(st_json(a, S("  {\"a\":\"\"}  "), S("a"), &out));
    assert_str(out, "");
    /* not JSON objects */
    assert_false(st_json(a, S(""), S("a"), &out));
    assert_false(st_json(a, S("[1,2]"), S("a"), &out));
    assert_false(st_json(a, S("\"a\""), S("a"), &out));
    assert_false(st_json(a, S("hello world"), S("a"), &out));
    assert_false(st_json(a, S("{a:1}"), S("a"), &out));
    assert_false(st_json(a, S("{\"a\":1} x"), S("a"), &out));
    assert_false(st_json(a, S("{\"a\":01}"), S("a"), &out));
    assert_false(st_json(a, S("{\"a\":\"x\ny\"}"), S("a"), &out));
    /* truncated, at every prefix of a valid record */
    const char *full = "{\"a\": \"x\\u00e9\", \"b\": [1, {\"c\": 2}], \"d\": 3}";
    for (size_t n = 0; n < strlen(full); n++)
        if (st_json(a, (st_str){ full, (int64_t)n }, S("a"), &out))
            fail_msg("truncated json accepted at %zu bytes", n);
    assert_true(st_json(a, (st_str){ full, (int64_t)strlen(full) }, S("d"), &out));
    assert_str(out, "3");
    /* NUL bytes and deep nesting are rejected, not a crash */
    assert_false(st_json(a, (st_str){ "{\"a\":\0}", 7 }, S("a"), &out));
    char deep[4096];
    size_t k = 0;
    k += (size_t)snprintf(deep, sizeof deep, "{\"a\":");
    while (k < 3000)
        deep[k++] = '[';
    assert_false(st_json(a, (st_str){ deep, (int64_t)k }, S("a"), &out));
    st_arena_free(a);
}

/* Every one-byte mutation of a valid record: any answer, never a crash
   or a read outside the slice (ASan). */
/* Strings are scanned 8 bytes at a time: a quote, an escape, a control or
   a high byte at every position of a long value, and values ending at
   every distance from the end of the record. */
static void test_json_long_strings(void **state)
{
    (void)state;
    st_arena *a = st_arena_new();
    st_str out;
    char rec[128], want[64];
    for (int len = 0; len < 40; len++)
        for (int at = 0; at <= len; at++)
            for (int kind = 0; kind < 4; kind++) {
                int k = snprintf(rec, sizeof rec, "{\"a\": \""), w = 0;
                for (int i = 0; i < len; i++) {
                    if (i == at && kind == 1) {          /* an escaped quote */
                        rec[k++] = '\\';
                        rec[k++] = '"';
                        want[w++] = '"';
                    } else if (i == at && kind == 3) {   /* UTF-8 bytes */
                        rec[k++] = '\xc3';
                        rec[k++] = '\xa9';
                        want[w++] = '\xc3';
                        want[w++] = '\xa9';
                    } else {
                        rec[k++] = (char)('a' + i % 26);
                        want[w++] = (char)('a' + i % 26);
                    }
                }
                if (kind == 2 && at < len)
                    rec[k - (len - at)] = '\t';           /* a raw control byte */
                k += snprintf(rec + k, sizeof rec - (size_t)k, "\"}");
                bool ok = st_json(a, (st_str){ rec, k }, S("a"), &out);
                if (kind == 2 && at < len) {
                    if (ok)
                        fail_msg("control byte accepted: len %d at %d", len, at);
                    continue;
                }
                if (!ok || out.n != w || memcmp(out.p, want, (size_t)w) != 0)
                    fail_msg("len %d at %d kind %d: wrong value", len, at, kind);
            }
    st_arena_free(a);
}

static void test_json_mutations(void **state)
{
    (void)state;
    st_arena *a = st_arena_new();
    const char *src = "{\"a\": \"x\\u00e9\\n\", \"b\": [1, {\"c\": -2.5e3}], \"d\": true}";
    size_t n = strlen(src);
    static const char bytes[] = "{}[]\":,\\u0e.-+ \x80\xff\0tfn";
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < sizeof bytes - 1; k++) {
            char *m = malloc(n);   /* exact size: ASan sees any overrun */
            memcpy(m, src, n);
            m[i] = bytes[k];
            st_str out;
            if (st_json(a, (st_str){ m, (int64_t)n }, ST_STR_LIT("b"), &out))
                assert_true(out.n >= 0 && out.n <= (int64_t)n);
            st_json(a, (st_str){ m, (int64_t)n }, ST_STR_LIT("a"), &out);
            free(m);
        }
    st_arena_free(a);
}

/* ---- numbers ------------------------------------------------------------ */
static void test_to_int(void **state)
{
    (void)state;
    int64_t v;
    assert_true(st_to_int(S("42"), &v));
    assert_int_equal(v, 42);
    assert_true(st_to_int(S("  -17 "), &v));
    assert_int_equal(v, -17);
    assert_true(st_to_int(S("+5"), &v));
    assert_int_equal(v, 5);
    assert_true(st_to_int(S("9223372036854775807"), &v));
    assert_int_equal(v, INT64_MAX);
    assert_true(st_to_int(S("-9223372036854775808"), &v));
    assert_true(v == INT64_MIN);
    assert_false(st_to_int(S("9223372036854775808"), &v));
    assert_false(st_to_int(S("-9223372036854775809"), &v));
    assert_false(st_to_int(S("99999999999999999999999"), &v));
    assert_false(st_to_int(S(""), &v));
    assert_false(st_to_int(S("  "), &v));
    assert_false(st_to_int(S("-"), &v));
    assert_false(st_to_int(S("abc"), &v));
    assert_false(st_to_int(S("12a"), &v));
    assert_false(st_to_int(S("1 2"), &v));
    assert_false(st_to_int(S("1.0"), &v));
    assert_false(st_to_int(S("0x10"), &v));
    assert_false(st_to_int((st_str){ "1\0", 2 }, &v));
}

static void test_to_float(void **state)
{
    (void)state;
    double v;
    assert_true(st_to_float(S("2.5"), &v));
    assert_true(v == 2.5);
    assert_true(st_to_float(S(" -1e3 "), &v));
    assert_true(v == -1000);
    assert_true(st_to_float(S("1.5f"), &v));
    assert_true(v == 1.5);
    assert_true(st_to_float(S("NaN"), &v));
    assert_true(isnan(v));
    assert_true(st_to_float(S("-Infinity"), &v));
    assert_true(isinf(v) && v < 0);
    assert_true(st_to_float(S(".5"), &v));
    assert_true(v == 0.5);
    assert_false(st_to_float(S("inf"), &v));
    assert_false(st_to_float(S("nan"), &v));
    assert_false(st_to_float(S("1e"), &v));
    assert_false(st_to_float(S("abc"), &v));
    assert_false(st_to_float(S(""), &v));
    assert_false(st_to_float((st_str){ "1\0", 2 }, &v));
}

static void test_to_str(void **state)
{
    (void)state;
    st_arena *a = st_arena_new();
    assert_str(st_int_to_str(a, -123), "-123");
    assert_str(st_float_to_str(a, 3.0), "3.0");
    assert_str(st_bool_to_str(false), "false");
    assert_str(st_concat(a, S("ab"), S("cd")), "abcd");
    assert_str(st_concat(a, S(""), S("cd")), "cd");
    st_arena_free(a);
}

/* ---- strings ------------------------------------------------------------ */
static void test_len_substr_utf8(void **state)
{
    (void)state;
    const st_str s = S("h\xc3\xa9llo w\xf0\x9f\x98\x80rld");   /* hello w😀rld */
    assert_int_equal(st_len(s), 11);
    assert_int_equal(st_len(S("")), 0);
    st_str out;
    assert_true(st_substr(s, 1, 4, &out));
    assert_str(out, "\xc3\xa9llo");
    assert_true(st_substr(s, 7, 1, &out));
    assert_str(out, "\xf0\x9f\x98\x80");
    assert_true(st_substr(s, 11, 0, &out));
    assert_str(out, "");
    assert_true(st_substr(s, 0, 11, &out));
    assert_int_equal(out.n, s.n);
    assert_false(st_substr(s, 0, 12, &out));
    assert_false(st_substr(s, 12, 0, &out));
    assert_false(st_substr(s, -1, 2, &out));
    assert_false(st_substr(s, 1, -1, &out));
    /* invalid UTF-8: consistent and within bounds */
    const st_str bad = { "\x80\xff\xc3", 3 };
    int64_t n = st_len(bad);
    assert_true(st_substr(bad, 0, n, &out));
    assert_int_equal(out.n, 3);
    assert_false(st_substr(bad, 0, n + 1, &out));
}

static void test_string_misc(void **state)
{
    (void)state;
    st_arena *a = st_arena_new();
    assert_str(st_lower(a, S("HeLLo \xc3\x89!")), "hello \xc3\x89!");
    assert_str(st_upper(a, S("abc1")), "ABC1");
    st_str same = S("abc");
    assert_ptr_equal(st_lower(a, same).p, same.p);   /* nothing to change: no copy */
    assert_str(st_trim(S(" \t x y \r\n")), "x y");
    assert_str(st_trim(S("   ")), "");
    assert_true(st_contains(S("hello"), S("ll")));
    assert_true(st_contains(S("hello"), S("")));
    assert_false(st_contains(S("hello"), S("lo!")));
    assert_true(st_contains((st_str){ "a\0b", 3 }, (st_str){ "\0b", 2 }));
    assert_true(st_starts_with(S("hello"), S("he")));
    assert_false(st_starts_with(S("he"), S("hello")));
    assert_true(st_ends_with(S("hello"), S("llo")));
    assert_false(st_ends_with(S("hello"), S("hel")));
    assert_true(st_str_cmp(S("a"), S("b")) < 0);
    assert_true(st_str_cmp(S("ab"), S("a")) > 0);
    assert_int_equal(st_str_cmp(S(""), S("")), 0);
    st_arena_free(a);
}

/* ---- stamps ------------------------------------------------------------- */
/* xorshift64: the tests' deterministic random numbers */
static uint64_t xs(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static int cmp_stamped(const void *x, const void *y)
{
    int64_t a = ((const st_stamped *)x)->stamp, b = ((const st_stamped *)y)->stamp;
    return (a > b) - (a < b);
}

/* Stamps as keyed stages make them ((range << 40) + position, distinct),
   and arbitrary ones: the same order as a comparison sort, payloads kept;
   and sorted runs merged into one. */
static void test_sort_stamped(void **state)
{
    (void)state;
    enum { N = 5000 };
    static st_stamped a[N], tmp[N], want[N];
    uint64_t x = 0x243F6A8885A308D3ull;
    for (int round = 0; round < 40; round++) {
        int n = round < 4 ? round : (round * 131) % N;
        for (int i = 0; i < n; i++) {
            xs(&x);
            int64_t s = round % 2 ? (int64_t)((x % 64) << 40) + i : (int64_t)(x >> 2) / N * N + i;
            a[i] = (st_stamped){ s, &want[i] };
        }
        memcpy(want, a, sizeof *a * (size_t)n);
        qsort(want, (size_t)n, sizeof *want, cmp_stamped);
        st_sort_stamped(a, tmp, n);
        for (int i = 0; i < n; i++)
            if (a[i].stamp != want[i].stamp || a[i].p != want[i].p)
                fail_msg("round %d: element %d out of order", round, i);
        /* the sorted array dealt into three sorted runs, merged back */
        static st_stamped three[3 * N];
        st_stamped *runs[3] = { three, three + n, three + 2 * n };
        int64_t cnt[3] = { 0, 0, 0 };
        for (int i = 0; i < n; i++) {
            int r = (int)((uint64_t)a[i].stamp * 7 % 3);
            runs[r][cnt[r]++] = a[i];
        }
        /* read from the q-th element of the merge on, for q at both ends,
           in the middle and past the end (as output parts of a keyed
           stage do) */
        int64_t qs[] = { 0, 1, n / 3, n / 2, n - 1, n, n + 5 };
        for (size_t t = 0; t < sizeof qs / sizeof *qs; t++) {
            int64_t q = qs[t] < 0 ? 0 : qs[t], at[3];
            st_stamped_seek(runs, cnt, 3, q, at);
            for (int64_t i = q; i < n; i++) {
                const st_stamped *e = st_stamped_next(runs, cnt, 3, at);
                if (!e || e->stamp != want[i].stamp || e->p != want[i].p)
                    fail_msg("round %d: from %lld, element %lld merged out of order", round,
                             (long long)q, (long long)i);
            }
            assert_null(st_stamped_next(runs, cnt, 3, at));
        }
    }
}

/* A string key of up to 16 bytes comes back whole from what its map entry
   keeps inline, for every length and every byte value. */
static void test_kinl_bytes(void **state)
{
    (void)state;
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (int round = 0; round < 2000; round++) {
        char key[16], back[17];
        int n = round % 17;
        for (int i = 0; i < n; i++) {
            xs(&x);
            key[i] = (char)(round < 256 ? round + i : (int)(x & 255));
        }
        memset(back, 0x5A, sizeof back);
        st_kinl_bytes(st_kinl_make(key, n), n, back);
        if (memcmp(key, back, (size_t)n) != 0)
            fail_msg("round %d: a key of %d bytes did not come back", round, n);
        assert_int_equal(back[n], 0x5A);   /* nothing written past it */
    }
}

static void test_hash(void **state)
{
    (void)state;
    assert_true(st_hash_float(0.0, 7) == st_hash_float(-0.0, 7));
    assert_true(st_hash_float(NAN, 7) == st_hash_float(-NAN, 7));
    assert_true(st_hash_float(1.0, 7) != st_hash_float(2.0, 7));
    assert_true(st_hash_str(S("abc"), 1) == st_hash_bytes("abc", 3, 1));
    assert_true(st_hash_str(S("abc"), 1) != st_hash_str(S("abd"), 1));
    assert_true(st_hash_str(S(""), 1) == st_hash_bytes(NULL, 0, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena_alloc),
        cmocka_unit_test(test_part_grow),
        cmocka_unit_test(test_tls_arena_outside_batch),
        cmocka_unit_test(test_float_java),
        cmocka_unit_test(test_buf_int),
        cmocka_unit_test(test_split_java),
        cmocka_unit_test(test_field),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_json_long_strings),
        cmocka_unit_test(test_json_mutations),
        cmocka_unit_test(test_to_int),
        cmocka_unit_test(test_to_float),
        cmocka_unit_test(test_to_str),
        cmocka_unit_test(test_len_substr_utf8),
        cmocka_unit_test(test_string_misc),
        cmocka_unit_test(test_sort_stamped),
        cmocka_unit_test(test_kinl_bytes),
        cmocka_unit_test(test_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
