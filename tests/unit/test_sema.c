/* test_sema.c: types through chains, slides, the node graph, each rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fe_util.h"

#define CTX "context c { batch = 2s; }\n"

static void assert_type(const st_type *t, const char *want)
{
    char buf[128];
    assert_non_null(t);
    assert_string_equal(fe_type(t, buf, sizeof buf), want);
}

static void assert_errors(const char *text, int n, const char *msg)
{
    fe_run r;
    fe_parse(&r, text, true);
    if (r.diag.nerrors != n || (msg && !strstr(r.out, msg)))
        fprintf(stderr, "diagnostics were:\n%s", r.out);
    assert_int_equal(r.diag.nerrors, n);
    if (msg)
        assert_non_null(strstr(r.out, msg));
    fe_free(&r);
}

static void test_wordcount_graph(void **state)
{
    (void)state;
    fe_run r;
    fe_parse(&r, "context wc { batch = 10s; block = 200ms; }\n"
                 "source lines = socket(\"localhost\", 9999);\n"
                 "window last30 = 30s slide 10s;\n"
                 "stream words = lines.flatMap(l => split(l, \" \")).filter(w => len(w) > 0);\n"
                 "stream pairs = words.map(w => (w, 1));\n"
                 "stream counts = pairs.reduceByKeyAndWindow((a, b) => a + b, last30);\n"
                 "counts.print(10);\n"
                 "counts.saveAsTextFiles(\"out/counts\", \"txt\");\n",
             true);
    assert_true(r.ok);
    assert_string_equal(r.out, "");
    st_program *p = r.prog;
    assert_int_equal(p->ncontexts, 1);
    st_decl *wc = p->contexts[0];
    assert_int_equal(wc->batch_ms, 10000);
    assert_int_equal(wc->block_ms, 200);
    assert_true(wc->has_output);
    assert_int_equal(p->nnodes, 7);
    static const st_opkind ops[] = { OP_SOURCE, OP_FLATMAP, OP_FILTER, OP_MAP, OP_REDUCEBYKEYANDWINDOW,
                                     OP_PRINT, OP_SAVE };
    for (int i = 0; i < 7; i++) {
        assert_int_equal(p->nodes[i]->op, ops[i]);
        assert_int_equal(p->nodes[i]->id, i);
        assert_ptr_equal(p->nodes[i]->ctx, wc);
        if (i > 0)
            assert_ptr_equal(p->nodes[i]->in, p->nodes[i < 6 ? i - 1 : 4]);
    }
    st_decl *lines = fe_decl(&r, "lines");
    assert_ptr_equal(lines->node, p->nodes[0]);
    assert_ptr_equal(p->nodes[0]->source, lines);
    assert_int_equal(lines->src_kind, SRC_SOCKET);
    assert_string_equal(lines->host, "localhost");
    assert_int_equal(lines->port, 9999);
    assert_int_equal(lines->storage, STORE_MEMORY_AND_DISK_SER | STORE_REPLICATED);
    assert_type(p->nodes[1]->type, "string");
    assert_type(p->nodes[3]->type, "(string, int)");
    st_node *rk = p->nodes[4];
    assert_int_equal(rk->win_ms, 30000);
    assert_int_equal(rk->win_slide_ms, 10000);
    assert_int_equal(rk->slide_ms, 10000);
    assert_int_equal(rk->nconsumers, 2);
    assert_ptr_equal(rk->stream, fe_decl(&r, "counts"));
    assert_ptr_equal(fe_decl(&r, "words")->node, p->nodes[2]);
    assert_int_equal(p->nodes[5]->n, 10);
    assert_string_equal(p->nodes[6]->prefix, "out/counts");
    assert_string_equal(p->nodes[6]->suffix, "txt");
    /* lambdas: types and references */
    st_expr *lam = rk->fn;
    assert_type(lam->param_types[0], "int");
    assert_int_equal(lam->a->a->ref, REF_PARAM);
    assert_int_equal(lam->a->b->param_index, 1);
    st_expr *split = p->nodes[1]->fn->a;
    assert_int_equal(split->ref, REF_BUILTIN);
    assert_int_equal(split->builtin, BI_SPLIT);
    assert_type(split->type, "list of string");
    fe_free(&r);
}

static void test_types_through_chains(void **state)
{
    (void)state;
    fe_run r;
    fe_parse(&r, CTX "source n = rate(10);\n"
                     "stream kv = n.map(x => (toString(x), x * 1.5));\n"
                     "stream j = kv.leftOuterJoin(kv.mapValues(v => v > 2.0));\n"
                     "stream f = kv.fullOuterJoin(kv);\n"
                     "stream r = kv.rightOuterJoin(kv);\n"
                     "stream st = kv.updateStateByKey(0, (s, v) => s + 1);\n"
                     "stream cv = n.countByValue();\n"
                     "stream d = kv.map((k, v) => k + toString(v));\n"
                     "j.print(); f.print(); r.print(); st.print(); cv.print(); d.print();\n",
             true);
    assert_true(r.ok);
    assert_type(fe_decl(&r, "kv")->node->type, "(string, float)");
    assert_type(fe_decl(&r, "j")->node->type, "(string, (float, Option[bool]))");
    assert_type(fe_decl(&r, "f")->node->type, "(string, (Option[float], Option[float]))");
    assert_type(fe_decl(&r, "r")->node->type, "(string, (Option[float], float))");
    assert_type(fe_decl(&r, "st")->node->type, "(string, int)");
    assert_type(fe_decl(&r, "cv")->node->type, "(int, int)");
    st_node *d = fe_decl(&r, "d")->node;
    assert_true(d->fn->destructure);
    assert_int_equal(d->fn->a->a->ref, REF_PARAM_FIELD);
    assert_int_equal(d->fn->a->a->param_index, 0);
    assert_type(d->type, "string");
    st_node *j = fe_decl(&r, "j")->node;
    assert_int_equal(j->op, OP_LEFTOUTERJOIN);
    assert_non_null(j->in2);
    assert_int_equal(j->in2->op, OP_MAPVALUES);
    assert_true(j->in2->id < j->id);
    fe_free(&r);
}

static void test_slides(void **state)
{
    (void)state;
    fe_run r;
    fe_parse(&r, CTX "source n = rate(10);\n"
                     "window w = 20s;\n"
                     "stream a = n.window(w);\n"
                     "stream b = n.window(8s, 4s);\n"
                     "stream cw = b.countByWindow(16s);\n"
                     "stream d = b.map(x => x).reduceByWindow((x, y) => x + y, 12s, 8s);\n"
                     "a.print(); cw.print(); d.print();\n",
             true);
    assert_true(r.ok);
    st_node *a = fe_decl(&r, "a")->node;
    assert_int_equal(a->win_ms, 20000);
    assert_int_equal(a->win_slide_ms, 2000); /* the batch interval */
    assert_int_equal(a->slide_ms, 2000);
    st_node *c = fe_decl(&r, "cw")->node;
    assert_int_equal(c->win_slide_ms, 4000); /* the slide of b */
    st_node *d = fe_decl(&r, "d")->node;
    assert_int_equal(d->slide_ms, 8000);
    assert_int_equal(d->in->slide_ms, 4000); /* map keeps its input's slide */
    assert_int_equal(r.prog->nodes[r.prog->nnodes - 1]->slide_ms, 8000); /* output */
    fe_free(&r);
}

static void test_rule1_durations(void **state)
{
    (void)state;
    assert_errors("context c { batch = 6.5s; }\nsource s = stdin();\ns.print();", 1, "1:21: error: duration 6.5s is not a whole number of seconds");
    assert_errors("context c { batch = Seconds(6.5); }\nsource s = stdin();\ns.print();", 1, "duration Seconds(6.5) is not a whole number of seconds");
    assert_errors("context c { block = 1s; }\nsource s = stdin();\ns.print();", 1, "1:9: error: context 'c' has no batch interval");
    assert_errors("context c { batch = -1s; }\nsource s = stdin();\ns.print();", 1, "batch interval must be positive");
    assert_errors("context c { batch = 1; }\nsource s = stdin();\ns.print();", 1, "the batch interval must be a duration");
}

static void test_rule2_block(void **state)
{
    (void)state;
    assert_errors("context c { batch = 250ms; }\nsource s = stdin();\ns.print();", 1,
                  "1:21: error: batch interval 250ms is not a multiple of the block interval 200ms");
    assert_errors("context c { batch = 1s; block = 2s; }\nsource s = stdin();\ns.print();", 1,
                  "block interval 2s is longer than the batch interval 1s");
    assert_errors("context c { batch = 250ms; block = 50ms; }\nsource s = stdin();\ns.print();", 0, NULL);
}

static void test_rule3_windows(void **state)
{
    (void)state;
    assert_errors("context c { batch = 10s; }\nsource s = stdin();\nwindow w = 25s slide 10s;\n"
                  "s.window(w).print();",
                  1, "3:12: error: window duration 25s is not a multiple of the batch interval 10s");
    assert_errors(CTX "source s = stdin();\nstream a = s.window(8s, 4s);\na.window(6s).print();", 1,
                  "window duration 6s is not a multiple of the slide 4s of stream 'a'");
    assert_errors(CTX "source s = stdin();\ns.window(4s, 3s).print();", 1,
                  "window slide 3s is not a multiple of the batch interval 2s");
}

static void test_rule4_slide_warning(void **state)
{
    (void)state;
    fe_run r;
    fe_parse(&r, CTX "source s = stdin();\ns.window(2s, 4s).print();", true);
    assert_true(r.ok);
    assert_int_equal(r.diag.nwarnings, 1);
    assert_non_null(strstr(r.out, "warning: window slide 4s is longer than the window 2s"));
    fe_free(&r);
}

static void test_rule5_outputs(void **state)
{
    (void)state;
    assert_errors(CTX "source s = stdin();\nstream t = s.map(x => x);", 1,
                  "1:9: error: context 'c' has no output operation");
    fe_run r;
    fe_parse(&r, CTX "source s = stdin();\nstream t = s.map(x => x);\ns.print();", true);
    assert_true(r.ok);
    assert_int_equal(r.diag.nwarnings, 1);
    assert_non_null(strstr(r.out, "3:8: warning: stream 't' is never used"));
    fe_free(&r);
}

static void test_rule6_names(void **state)
{
    (void)state;
    assert_errors(CTX "source s = stdin();\nsource s = stdin();\ns.print();", 1, "3:8: error: redefinition of 's'");
    assert_errors(CTX "x.print();", 1, "use of undeclared stream 'x'");
    assert_errors(CTX "t.print();\nsource t = stdin();", 1, "source 't' is used before its declaration");
    assert_errors("context a { batch = 1s; }\ncontext b { batch = 1s; }\nsource x = stdin() in a;\n"
                  "source y = stdin() in b;\nx.union(y).print();\ny.print();",
                  1, "'union' combines streams of different contexts 'a' and 'b'");
    assert_errors(CTX "source x = stdin();\nx.union(x.window(4s, 4s)).print();", 1,
                  "'union' combines streams with different slides 2s and 4s");
    assert_errors("context a { batch = 1s; }\ncontext b { batch = 1s; }\nsource x = stdin();\nx.print();", 1,
                  "source 'x' needs 'in CONTEXT'");
    /* a context and a stream may share a name; C keywords are names */
    assert_errors("context int { batch = 1s; }\nsource int = stdin();\nstream main = int.map(static => static);\n"
                  "main.print();",
                  0, NULL);
}

static void test_rule7_types(void **state)
{
    (void)state;
    assert_errors(CTX "source s = stdin();\ns.reduceByKey((a, b) => a).print();", 1,
                  "'reduceByKey' needs a stream of (key, value) pairs, not of string");
    assert_errors(CTX "source s = stdin();\ns.filter(x => len(x)).print();", 1,
                  "filter function must return bool, not int");
    assert_errors(CTX "source n = rate(1);\nn.reduce((a, b) => toString(a)).print();", 1,
                  "reduce function returns string, but values are int");
    assert_errors(CTX "source n = rate(1);\nn.map(x => \"a\" - x).print();", 1,
                  "operator '-' cannot be applied to string and int");
    assert_errors(CTX "source s = stdin();\ns.print(0);", 1, "print(n) takes a number of elements n >= 1");
    assert_errors(CTX "source s = stdin();\ns.map((a + 1) => a).print();", 1, "lambda parameters must be names");
    assert_errors(CTX "source s = stdin();\nstream t = s.print();\n", 1,
                  "output operation 'print' cannot be part of a stream declaration");
    assert_errors(CTX "source s = stdin();\ns.print().print();", 1, "output operation 'print' must end the statement");
    assert_errors(CTX "source s = stdin();\ns.count();", 1, "'count' is not an output operation");
    /* int where float is expected is promoted */
    assert_errors(CTX "source n = rate(1);\nn.map(x => x * 0.5).reduce((a, b) => 1).print();", 0, NULL);
}

static void test_no_cascades(void **state)
{
    (void)state;
    /* one mistake, one message: nothing about the streams built on it */
    assert_errors(CTX "source s = stdin();\nstream a = s.map(x => y);\nstream b = a.map(x => x + 1);\n"
                  "b.reduceByKey((p, q) => p).print();",
                  1, "use of undeclared name 'y'");
}

static void test_foreach_and_extern(void **state)
{
    (void)state;
    fe_run r;
    fe_parse(&r, "%{ void f(const sc_rdd_float *); double w(st_str, int64_t); %}\nextern w(string, int) : float;\n" CTX
                 "source s = stdin();\ns.map(x => w(x, 2)).foreachRDD(f);",
             true);
    assert_true(r.ok);
    st_node *fe = r.prog->nodes[2];
    assert_int_equal(fe->op, OP_FOREACHRDD);
    assert_string_equal(fe->cfunc_name, "f");
    assert_null(fe->cfunc);
    assert_type(fe->type, "float");
    assert_int_equal(fe->in->fn->a->ref, REF_EXTERN);
    fe_free(&r);
    /* an extern's C declaration would contradict foreachRDD's */
    assert_errors("%{ double w(st_str, int64_t); %}\nextern w(string, int) : float;\n" CTX
                  "source s = stdin();\ns.foreachRDD(w);",
                  1, "foreachRDD calls void w(const sc_rdd_string *), but 'w' is an extern function of other types");
}

static void test_deep_nesting(void **state)
{
    (void)state;
    size_t n = 20000;
    char *text = malloc(n * 4 + 100);
    strcpy(text, CTX "source s = rate(1);\ns.map(x => x");
    size_t len = strlen(text);
    for (size_t i = 0; i < n; i++) {
        memcpy(text + len, " + x", 4);
        len += 4;
    }
    strcpy(text + len, ").print();");
    fe_run r;
    fe_parse(&r, text, true);
    assert_int_equal(r.diag.nerrors, 1);
    assert_non_null(strstr(r.out, "expression is nested too deeply"));
    fe_free(&r);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wordcount_graph),
        cmocka_unit_test(test_types_through_chains),
        cmocka_unit_test(test_slides),
        cmocka_unit_test(test_rule1_durations),
        cmocka_unit_test(test_rule2_block),
        cmocka_unit_test(test_rule3_windows),
        cmocka_unit_test(test_rule4_slide_warning),
        cmocka_unit_test(test_rule5_outputs),
        cmocka_unit_test(test_rule6_names),
        cmocka_unit_test(test_rule7_types),
        cmocka_unit_test(test_no_cascades),
        cmocka_unit_test(test_foreach_and_extern),
        cmocka_unit_test(test_deep_nesting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
