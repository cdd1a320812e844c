/* test_rt_regex.c: matches, replaceAll and regexSplit (runtime/regex.c)
 * against Java's String.matches / replaceAll / split: every expected
 * value below is what Java 17 prints for the same input and regex (the
 * regexes mean the same in Java and in POSIX ERE, except [[:space:]],
 * a POSIX class, whose rows follow POSIX). Also: one compiled copy per
 * worker and one shared by four threads, invalid replacements, NUL bytes
 * inside the subject. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "rt_internal.h"

static st_regex make(const char *pattern, int copies)
{
    st_regex r = { .pattern = pattern };
    char err[256];
    if (st_regex_init(&r, copies, err, sizeof err) != 0)
        fail_msg("regcomp(%s): %s", pattern, err);
    return r;
}

static st_str str(const char *s)
{
    return (st_str){ s, (int64_t)strlen(s) };
}

/* the pieces joined with '|', and their number */
static void check_split(const char *s, const char *re, const char *want, int64_t n)
{
    st_regex r = make(re, 2);
    st_arena *a = st_arena_new();
    st_str *pv;
    int64_t pn = st_regex_split(a, &r, 1, str(s), &pv);
    char buf[256] = "";
    size_t len = 0;
    int64_t k = 0;
    for (; k < pn; k++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%.*s", k ? "|" : "", (int)pv[k].n, pv[k].p);
    if (strcmp(buf, want) != 0 || k != n)
        fail_msg("regexSplit(\"%s\", \"%s\"): got \"%s\" (%lld), want \"%s\" (%lld)", s, re, buf, (long long)k,
                 want, (long long)n);
    st_arena_free(a);
    st_regex_free(&r);
}

static void test_split(void **state)
{
    (void)state;
    check_split("a,b,,c,,", ",", "a|b||c", 4);
    check_split("", ",", "", 1);
    check_split(",", ",", "", 0);
    check_split(",a", ",", "|a", 2);
    check_split("a1b", "[0-9]*", "a||b", 3);
    check_split("abc", "", "a|b|c", 3);
    check_split("x", "", "x", 1);
    check_split("  hello   world  ", " +", "|hello|world", 3);
    check_split("a;b;;", ";+", "a|b", 2);
    check_split("aaa", "a", "", 0);
    check_split("baaab", "a*", "b||b", 3);
    check_split("h\xc3\xa9llo", "", "h|\xc3\xa9|l|l|o", 5);
    check_split("one  two\tthree", "[[:space:]]+", "one|two|three", 3);
    check_split("2024-01-15", "-", "2024|01|15", 3);
    check_split("abc", "x*", "a|b|c", 3);
    check_split("a:b::c", ":", "a|b||c", 4);
    check_split("xaxbx", "x", "|a|b", 3);
    check_split("key=value=x", "=", "key|value|x", 3);
    check_split("^a^b", "^", "^a^b", 1);   /* ^ anchors: only at the start */
    check_split("a^b", "\\^", "a|b", 2);
}

static void check_replace(const char *s, const char *re, const char *rep, const char *want)
{
    st_regex r = make(re, 1);
    st_arena *a = st_arena_new();
    st_str out;
    assert_true(st_replace_all(a, &r, 0, str(s), str(rep), &out));
    if (out.n != (int64_t)strlen(want) || memcmp(out.p, want, (size_t)out.n) != 0)
        fail_msg("replaceAll(\"%s\", \"%s\", \"%s\"): got \"%.*s\", want \"%s\"", s, re, rep, (int)out.n, out.p, want);
    st_arena_free(a);
    st_regex_free(&r);
}

static void test_replace(void **state)
{
    (void)state;
    check_replace("abc", "x*", "-", "-a-b-c-");
    check_replace("aaa", "a*", "X", "XX");
    check_replace("hello world", "o", "0", "hell0 w0rld");
    check_replace("john smith", "([a-z]+) ([a-z]+)", "$2, $1", "smith, john");
    check_replace("a1b22c333", "[0-9]+", "<$0>", "a<1>b<22>c<333>");
    check_replace("price 10", "([0-9]+)", "\\$$1", "price $10");
    check_replace("abab", "(a)|(b)", "[$1$2]", "[a][b][a][b]");
    check_replace("", "x*", "-", "-");
    check_replace("h\xc3\xa9llo", "l+", "L", "h\xc3\xa9Lo");
    check_replace("aXbXc", "X", "", "abc");
    check_replace("tab\there", "[[:space:]]", "_", "tab_here");
    check_replace("x", "(x)", "$1$1$1", "xxx");
    check_replace("a.b.c", "\\.", "\\\\", "a\\b\\c");
    check_replace("aaa", "a", "$0$0", "aaaaaa");
    check_replace("abc", "b*", "-", "-a--c-");
    /* $12 is group 1 then '2' when there is no group 12 (Java) */
    check_replace("ab", "(a)(b)", "$12", "a2");
    /* nothing matched: s itself, not a copy */
    st_regex r = make("z", 1);
    st_arena *a = st_arena_new();
    st_str in = str("abc"), out;
    assert_true(st_replace_all(a, &r, 0, in, str("$9"), &out));
    assert_ptr_equal(out.p, in.p);
    /* a malformed replacement fails (the record is skipped) when used */
    assert_false(st_replace_all(a, &r, 0, str("zz"), str("$9"), &out));
    assert_false(st_replace_all(a, &r, 0, str("zz"), str("a\\"), &out));
    assert_false(st_replace_all(a, &r, 0, str("zz"), str("$"), &out));
    assert_false(st_replace_all(a, &r, 0, str("zz"), str("${x}"), &out));
    st_arena_free(a);
    st_regex_free(&r);
}

static void test_matches(void **state)
{
    (void)state;
    struct { const char *s, *re; bool want; } c[] = {
        { "abc123", "[a-z]+[0-9]*", true }, { "abc123x", "[a-z]+[0-9]*", false }, { "", "a*", true },
        { "", "a+", false }, { "aaa", "a|aa|aaa", true }, { "ab", "a|ab", true },
        { "2024-01-15", "[0-9]{4}-[0-9]{2}-[0-9]{2}", true }, { "x2024-01-15", "[0-9]{4}-[0-9]{2}-[0-9]{2}", false },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        st_regex r = make(c[i].re, 3);
        for (int w = 0; w < 5; w++)   /* any worker index, also past the copies */
            if (st_matches(&r, w, str(c[i].s)) != c[i].want)
                fail_msg("matches(\"%s\", \"%s\") on worker %d", c[i].s, c[i].re, w);
        st_regex_free(&r);
    }
    /* a subject holding a NUL byte is matched whole, not cut at the NUL
       (glibc's '.' does not match NUL) */
    st_regex r = make("a", 1);
    assert_false(st_matches(&r, 0, (st_str){ "a\0b", 3 }));
    st_regex_free(&r);
    r = make("b", 1);
    st_arena *ar = st_arena_new();
    st_str out;
    assert_true(st_replace_all(ar, &r, 0, (st_str){ "a\0b", 3 }, str("c"), &out));
    assert_int_equal(out.n, 3);
    assert_memory_equal(out.p, "a\0c", 3);
    st_arena_free(ar);
    st_regex_free(&r);
    char err[256];
    st_regex bad = { .pattern = "(a" };
    assert_int_equal(st_regex_init(&bad, 2, err, sizeof err), -1);
    assert_non_null(strstr(err, "("));
}

/* Four threads, each its own worker index, on one st_regex. */
typedef struct { st_regex *r; int w; int ok; } worker_arg;

static void *worker(void *p)
{
    worker_arg *a = p;
    st_arena *ar = st_arena_new();
    char line[64];
    for (int i = 0; i < 20000; i++) {
        int n = snprintf(line, sizeof line, "k%d=v%d", i, i * 7);
        st_str out;
        bool m = st_matches(a->r, a->w, (st_str){ line, n });
        bool r = st_replace_all(ar, a->r, a->w, (st_str){ line, n }, str("$2:$1"), &out);
        char want[64];
        int wn = snprintf(want, sizeof want, "v%d:k%d", i * 7, i);
        a->ok += m && r && out.n == wn && memcmp(out.p, want, (size_t)wn) == 0;
        if (i % 1000 == 0)
            st_arena_reset(ar);
    }
    st_arena_free(ar);
    return NULL;
}

/* copies 4: each thread its own regex_t; copies 1: all four share one,
   which glibc's regexec allows (it locks the regex inside) */
static void run_workers(int copies)
{
    st_regex r = make("([a-z0-9]+)=([a-z0-9]+)", copies);
    pthread_t t[4];
    worker_arg a[4];
    for (int i = 0; i < 4; i++) {
        a[i] = (worker_arg){ &r, i, 0 };
        assert_int_equal(pthread_create(&t[i], NULL, worker, &a[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(a[i].ok, 20000);
    }
    st_regex_free(&r);
}

static void test_workers(void **state)
{
    (void)state;
    run_workers(4);
    run_workers(1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_replace),
        cmocka_unit_test(test_matches),
        cmocka_unit_test(test_workers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
