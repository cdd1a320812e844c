/* test_hints.c: the "did you mean" choice (sema_hints.c): Damerau-
 * Levenshtein distance with case differences at half cost, the clang
 * threshold (length + 2) / 3, no suggestion for a name with nothing in
 * common, none on a tie. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "sema_ext.h"

static const char *const ops[] = { "map", "flatMap", "filter", "reduceByKey", "reduceByKeyAndWindow", "print",
                                   "window", "countByWindow", "count", "union", "join" };
#define NOPS ((int)(sizeof ops / sizeof ops[0]))

static void want(const char *name, const char *expect)
{
    const char *got = hint_closest(name, ops, NOPS);
    if (expect == NULL && got != NULL)
        fail_msg("%s: got %s, want no suggestion", name, got);
    if (expect && (!got || strcmp(got, expect) != 0))
        fail_msg("%s: got %s, want %s", name, got ? got : "(none)", expect);
}

static void test_closest(void **state)
{
    (void)state;
    want("prnt", "print");              /* a deletion */
    want("pirnt", "print");             /* a swap of neighbours is one edit */
    want("flatmap", "flatMap");         /* case costs half */
    want("reducebykey", "reduceByKey");
    want("reduceByKeyAndWindw", "reduceByKeyAndWindow");
    want("fitler", "filter");
    want("mapp", "map");
    want("xyz", NULL);                  /* three edits from map: more than (3 + 2) / 3 */
    want("m", NULL);                    /* nothing in common with anything */
    want("print", NULL);                /* the name itself is no suggestion */
    want("", NULL);
    /* a tie between two equally close names suggests neither */
    static const char *const two[] = { "abcd", "abce" };
    assert_null(hint_closest("abcf", two, 2));
    /* very long names are compared without overflowing anything */
    char longname[200];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_null(hint_closest(longname, ops, NOPS));
}

static void test_dym(void **state)
{
    (void)state;
    char buf[64];
    assert_string_equal(hint_dym("print", buf, sizeof buf), "; did you mean 'print'?");
    assert_string_equal(hint_dym(NULL, buf, sizeof buf), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_closest),
        cmocka_unit_test(test_dym),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
