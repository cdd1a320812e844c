/* test_records.c: the front end of records (spec section 8): literals,
 * the types sema gives tuples, lists, options, if/else, blocks and
 * constants, and how [] and None take their type from the context. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fe_util.h"

#define HEAD "context c { batch = 1s; }\nsource s = stdin();\n"

/* the element type of stream `t` in program HEAD + body */
static void expect_type(const char *body, const char *want)
{
    char text[2048], buf[256];
    snprintf(text, sizeof text, HEAD "%s\nt.print();\n", body);
    fe_run r;
    fe_parse(&r, text, true);
    if (!r.ok)
        fail_msg("%s: %.*s", body, (int)r.outlen, r.out);
    st_decl *d = fe_decl(&r, "t");
    assert_non_null(d);
    assert_non_null(d->node);
    assert_string_equal(fe_type(d->node->type, buf, sizeof buf), want);
    fe_free(&r);
}

static void test_literals(void **state)
{
    (void)state;
    fe_run r;
    fe_parse(&r, HEAD "val a = (1L, 1.5e3, 2E-3, 1e5, 1.0E10, 7);\ns.print();\n", true);
    assert_true(r.ok);
    st_expr *t = fe_decl(&r, "a")->value;
    assert_int_equal(t->nargs, 6);
    assert_int_equal(t->args[0]->kind, EX_INT);
    assert_int_equal(t->args[0]->ival, 1);
    assert_true(t->args[1]->kind == EX_FLOAT && t->args[1]->fval == 1500.0);
    assert_true(t->args[2]->kind == EX_FLOAT && t->args[2]->fval == 0.002);
    assert_true(t->args[3]->kind == EX_FLOAT && t->args[3]->fval == 1e5);
    assert_true(t->args[4]->kind == EX_FLOAT && t->args[4]->fval == 1e10);
    char buf[128];
    assert_string_equal(fe_type(t->type, buf, sizeof buf), "(int, float, float, float, float, int)");
    fe_free(&r);
}

static void test_types(void **state)
{
    (void)state;
    expect_type("stream t = s.map(x => (x, len(x), 1.5, true));", "(string, int, float, bool)");
    expect_type("stream t = s.map(x => (x, (1, 2, 3))).map(p => p._2._3);", "int");
    expect_type("stream t = s.map(x => [1, 2.5]);", "list of float");
    expect_type("stream t = s.map(x => split(x, \" \"));", "list of string");
    expect_type("stream t = s.flatMap(x => [(x, 1), (x, 2)]);", "(string, int)");
    expect_type("stream t = s.map(x => (x, 1)).flatMapValues(v => [v, v * 2]);", "(string, int)");
    expect_type("stream t = s.map(x => if (len(x) > 1) Some(x) else None);", "Option[string]");
    expect_type("stream t = s.map(x => if (len(x) > 1) [] else [x]);", "list of string");
    expect_type("stream t = s.map(x => [None, Some(1)]);", "list of Option[int]");
    expect_type("stream t = s.map(x => if (true) 1 else 2.5);", "float");
    expect_type("stream t = s.map(x => { val a = len(x); val b = a * 2; (a, b) });", "(int, int)");
    expect_type("stream t = s.map(x => { val x = 1; x });", "int");
    expect_type("val k = [(\"a\", 1)];\nstream t = s.map(x => k[0]._2 + len(k));", "int");
    expect_type("stream t = s.map(x => (sum([]), sum([1.5]), min([\"b\"]), sorted([(2, 1)]), mkString([1], \",\")));",
                "(int, float, string, list of (int, int), string)");
    expect_type("stream t = s.map(x => (x, 1)).updateStateByKey((0, None), (st, v) => (st._1 + v, Some(v)));",
                "(string, (int, Option[int]))");
}

/* an error message of HEAD + body contains want */
static void expect_error(const char *body, const char *want)
{
    char text[2048];
    snprintf(text, sizeof text, HEAD "%s\n", body);
    fe_run r;
    fe_parse(&r, text, true);
    assert_false(r.ok);
    if (!strstr(r.out, want))
        fail_msg("%s: want \"%s\" in:\n%.*s", body, want, (int)r.outlen, r.out);
    fe_free(&r);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("s.map(x => (x, 1, 2)._4).print();", "no field '_4' in (string, int, int)");
    expect_error("s.map(x => []).print();", "the type of '[]' is not known here");
    expect_error("s.map(x => { val e = []; len(e) }).print();", "the type of '[]' is not known here");
    expect_error("s.map(x => None == None).print();", "the type of 'None' is not known here");
    expect_error("s.map(x => if (true) x).print();", "'if' without 'else'");
    expect_error("s.map(x => [x, 1]).print();", "list element 2 is int");
    expect_error("s.map(x => [(1, 2), (1.5, 2)]).print();", "list element 2 is (float, int)");
    expect_error("val v = [len(\"a\")];\ns.print();", "a constant is made of literals");
    expect_error("val v = v;\ns.print();", "constant 'v' is used in its own declaration");
    expect_error("s.map(x => (1, 2) < (1, 3)).print();", "operator '<' cannot be applied");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literals),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
