/* test_rt_lists.c: the run-time helpers of lists (runtime/lists.c):
 * split() as a list, mkString's join and sorted()'s stable sort. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "streamrt.h"

#define S(lit) ST_STR_LIT(lit)

static void assert_str(st_str got, const char *want)
{
    if (got.n != (int64_t)strlen(want) || memcmp(got.p, want, (size_t)got.n) != 0)
        fail_msg("got \"%.*s\" (%lld bytes), want \"%s\"", (int)got.n, got.p, (long long)got.n, want);
}

/* the list holds exactly what the iterator gives, for every separator kind */
static void test_split_list(void **state)
{
    (void)state;
    st_arena *a = st_arena_new();
    static const struct { const char *s, *sep; int n; const char *parts[6]; } cases[] = {
        { "a b  c", " ", 4, { "a", "b", "", "c" } },
        { "a,b,,", ",", 2, { "a", "b" } },
        { "", ",", 1, { "" } },
        { ",,", ",", 0, { "" } },
        { "x--y--", "--", 2, { "x", "y" } },
        { "h\xc3\xa9", "", 2, { "h", "\xc3\xa9" } },
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        st_str *v = NULL;
        st_str s = { cases[k].s, (int64_t)strlen(cases[k].s) };
        st_str sep = { cases[k].sep, (int64_t)strlen(cases[k].sep) };
        int64_t n = st_split_list(a, s, sep, &v);
        assert_int_equal(n, cases[k].n);
        for (int i = 0; i < cases[k].n; i++)
            assert_str(v[i], cases[k].parts[i]);
        if (n == 0)
            assert_null(v);
    }
    st_arena_free(a);
}

static void test_join(void **state)
{
    (void)state;
    st_arena *a = st_arena_new();
    st_str parts[] = { S("a"), S(""), S("bc") };
    assert_str(st_join(a, parts, 3, S(""), S(", "), S("")), "a, , bc");
    assert_str(st_join(a, parts, 3, S("<"), S("|"), S(">")), "<a||bc>");
    assert_str(st_join(a, parts, 1, S(""), S("|"), S("")), "a");
    assert_str(st_join(a, parts, 0, S("["), S("|"), S("]")), "[]");
    assert_str(st_join(a, NULL, 0, S(""), S(","), S("")), "");
    st_arena_free(a);
}

typedef struct { int64_t key, seq; } rec;

static int cmp_key(const void *x, const void *y)
{
    const rec *a = x, *b = y;
    return (a->key > b->key) - (a->key < b->key);
}

/* sorted by key, equal keys in their input order, for every length */
static void test_sort_stable(void **state)
{
    (void)state;
    st_arena *a = st_arena_new();
    uint64_t x = 88172645463325252ULL;
    for (size_t n = 0; n < 300; n += 1 + n / 8) {
        rec *v = st_arena_alloc(a, (n + 1) * sizeof *v);
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            v[i] = (rec){ (int64_t)(x % 7), (int64_t)i };
        }
        st_sort_stable(a, v, n, sizeof *v, cmp_key);
        for (size_t i = 1; i < n; i++) {
            assert_true(v[i - 1].key <= v[i].key);
            if (v[i - 1].key == v[i].key)
                assert_true(v[i - 1].seq < v[i].seq);
        }
    }
    st_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_list),
        cmocka_unit_test(test_join),
        cmocka_unit_test(test_sort_stable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
