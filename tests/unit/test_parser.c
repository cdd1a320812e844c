/* test_parser.c: the trees built for each statement kind, and recovery. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fe_util.h"

static void test_context_and_source(void **state)
{
    (void)state;
    fe_run r;
    fe_parse(&r, "context wc { batch = 10s; block = Milliseconds(200); }\n"
                 "source lines = socket(\"localhost\", 9999) in wc storage MEMORY_ONLY maxRate 100;\n"
                 "source f = file(\"x\", rate = 10, loop = true);\n",
             false);
    assert_true(r.ok);
    assert_int_equal(r.prog->ndecls, 3);
    st_decl *c = r.prog->decls[0];
    assert_int_equal(c->kind, DECL_CONTEXT);
    assert_string_equal(c->name, "wc");
    assert_int_equal(c->name_loc.first_column, 9);
    assert_int_equal(c->nsettings, 2);
    assert_string_equal(c->settings[0].name, "batch");
    assert_int_equal(c->settings[0].value->kind, EX_DURATION);
    assert_int_equal(c->settings[1].value->kind, EX_CALL);
    st_decl *s = r.prog->decls[1];
    assert_int_equal(s->kind, DECL_SOURCE);
    assert_string_equal(s->kind_name, "socket");
    assert_int_equal(s->nargs, 2);
    assert_string_equal(s->in_ctx, "wc");
    assert_string_equal(s->storage_name, "MEMORY_ONLY");
    assert_int_equal(s->storage_loc.first_column, 56);
    assert_int_equal(s->max_rate->ival, 100);
    st_decl *f = r.prog->decls[2];
    assert_int_equal(f->nargs, 3);
    assert_int_equal(f->args[1]->kind, EX_NAMED_ARG);
    assert_string_equal(f->args[1]->name, "rate");
    assert_int_equal(f->args[2]->a->kind, EX_BOOL);
    fe_free(&r);
}

static void test_window_stream_output(void **state)
{
    (void)state;
    fe_run r;
    fe_parse(&r, "window w = 30s slide 10s;\n"
                 "stream p = l.flatMap(x => split(x, \" \")).map((a, b) => (a, -b + 1 * 2));\n"
                 "p.window(w).print(10);\n",
             false);
    assert_true(r.ok);
    st_decl *w = r.prog->decls[0];
    assert_int_equal(w->kind, DECL_WINDOW);
    assert_int_equal(w->win_dur->dur_ms, 30000);
    assert_int_equal(w->win_slide->dur_ms, 10000);
    st_decl *p = r.prog->decls[1];
    st_expr *map = p->value;
    assert_int_equal(map->kind, EX_METHOD);
    assert_string_equal(map->name, "map");
    assert_int_equal(map->a->kind, EX_METHOD);
    assert_string_equal(map->a->name, "flatMap");
    assert_int_equal(map->a->a->kind, EX_NAME);
    st_expr *lam = map->args[0];
    assert_int_equal(lam->kind, EX_LAMBDA);
    assert_int_equal(lam->nparams, 2);
    assert_string_equal(lam->params[1], "b");
    st_expr *tup = lam->a;
    assert_int_equal(tup->kind, EX_TUPLE);
    st_expr *sum = tup->b; /* -b + (1 * 2) */
    assert_int_equal(sum->kind, EX_BINARY);
    assert_int_equal(sum->op, '+');
    assert_int_equal(sum->a->kind, EX_UNARY);
    assert_int_equal(sum->b->op, '*');
    st_decl *o = r.prog->decls[2];
    assert_int_equal(o->kind, DECL_OUTPUT);
    assert_string_equal(o->value->name, "print");
    assert_string_equal(o->value->a->name, "window"); /* a keyword as a method */
    fe_free(&r);
}

static void test_precedence(void **state)
{
    (void)state;
    fe_run r;
    fe_parse(&r, "x.map(a => a || b && c == d < e + f * g ? h : i ? j : k).print();", false);
    assert_true(r.ok);
    st_expr *e = r.prog->decls[0]->value->a->args[0]->a;
    assert_int_equal(e->kind, EX_COND);
    assert_int_equal(e->a->op, ST_OP_OR);
    assert_int_equal(e->a->b->op, ST_OP_AND);
    assert_int_equal(e->a->b->b->op, ST_OP_EQ);
    assert_int_equal(e->a->b->b->b->op, '<');
    assert_int_equal(e->a->b->b->b->b->op, '+');
    assert_int_equal(e->a->b->b->b->b->b->op, '*');
    assert_int_equal(e->c->kind, EX_COND); /* right associative */
    fe_free(&r);
}

static void test_keywords_as_names(void **state)
{
    (void)state;
    fe_run r;
    fe_parse(&r, "stream window = in.slide(storage => maxRate);\n"
                 "stream in = context.extern(source);\n"
                 "window.print();\n",
             false);
    assert_true(r.ok);
    assert_string_equal(r.prog->decls[0]->name, "window");
    assert_string_equal(r.prog->decls[1]->name, "in");
    assert_int_equal(r.prog->decls[2]->kind, DECL_OUTPUT);
    fe_free(&r);
}

static void test_extern_and_cblock(void **state)
{
    (void)state;
    fe_run r;
    fe_parse(&r, "%{\nint f(void);\n%}\nextern f(string, (int, float)) : bool;\n", false);
    assert_true(r.ok);
    st_decl *c = r.prog->decls[0];
    assert_int_equal(c->kind, DECL_CBLOCK);
    assert_int_equal(c->code_line, 1);
    assert_string_equal(c->code, "\nint f(void);\n");
    st_decl *x = r.prog->decls[1];
    assert_int_equal(x->kind, DECL_EXTERN);
    assert_int_equal(x->nptypes, 2);
    assert_string_equal(x->ptypes[0]->name, "string");
    assert_null(x->ptypes[1]->name);
    assert_string_equal(x->ptypes[1]->b->name, "float");
    assert_string_equal(x->rtype->name, "bool");
    fe_free(&r);
}

static void test_bad_lambda_params(void **state)
{
    (void)state;
    fe_run r;
    fe_parse(&r, "x.map((a + 1) => a).print();", false);
    assert_true(r.ok); /* sema reports it */
    assert_true(r.prog->decls[0]->value->a->args[0]->bad_params);
    fe_free(&r);
}

static void test_recovery_reports_every_error(void **state)
{
    (void)state;
    fe_run r;
    fe_parse(&r, "context c {\n  batch = 1s\n  block = ;\n}\n"
                 "source s = stdin()\n"
                 "stream a = s.map(x => x +);\n"
                 "stream b = s.map(x => x);\n"
                 "b.print(;\n"
                 "b.print();\n",
             false);
    assert_false(r.ok);
    assert_int_equal(r.diag.nerrors, 5);
    assert_non_null(strstr(r.out, "t.stream:2:13: error: expected ';' before 'block'"));
    assert_non_null(strstr(r.out, "t.stream:3:11: error: unexpected ';', expected expression"));
    assert_non_null(strstr(r.out, "t.stream:5:19: error: expected ';' before 'stream'"));
    assert_non_null(strstr(r.out, "t.stream:6:26: error: unexpected ')', expected expression"));
    assert_non_null(strstr(r.out, "t.stream:8:9: error: unexpected ';'"));
    /* the statements around the errors survive */
    assert_non_null(fe_decl(&r, "c"));
    assert_non_null(fe_decl(&r, "s")); /* its missing ';' did not lose it */
    assert_non_null(fe_decl(&r, "b"));
    assert_int_equal(r.prog->decls[r.prog->ndecls - 1]->kind, DECL_OUTPUT);
    fe_free(&r);
}

static void test_end_of_file(void **state)
{
    (void)state;
    fe_run r;
    fe_parse(&r, "stream a = b.map(", false);
    assert_int_equal(r.diag.nerrors, 1);
    assert_non_null(strstr(r.out, "unexpected end of file"));
    fe_free(&r);
    fe_parse(&r, "b.print()", false);
    assert_int_equal(r.diag.nerrors, 1);
    assert_non_null(strstr(r.out, "t.stream:1:10: error: expected ';' at end of input"));
    fe_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_context_and_source),
        cmocka_unit_test(test_window_stream_output),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_keywords_as_names),
        cmocka_unit_test(test_extern_and_cblock),
        cmocka_unit_test(test_bad_lambda_params),
        cmocka_unit_test(test_recovery_reports_every_error),
        cmocka_unit_test(test_end_of_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
