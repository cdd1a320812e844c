/* test_lexer.c: tokens, their exact locations, literals and lexical errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parse.h"
#include "parser.tab.h"
#include "lexer.h"

typedef struct lexrun {
    st_source *src;
    st_program *prog;
    st_diag diag;
    char *out;
    size_t outlen;
    FILE *f;
    st_lexstate st;
    yyscan_t scanner;
    YY_BUFFER_STATE buf;
} lexrun;

static void lex_open(lexrun *r, const char *text)
{
    memset(r, 0, sizeof *r);
    r->src = source_from_string("t.stream", text, strlen(text));
    r->prog = program_new("t.stream");
    r->f = open_memstream(&r->out, &r->outlen);
    diag_init(&r->diag, r->src, r->f, false);
    r->st.prog = r->prog;
    r->st.diag = &r->diag;
    r->st.line = r->st.col = 1;
    assert_int_equal(yylex_init_extra(&r->st, &r->scanner), 0);
    r->buf = yy_scan_bytes(r->src->text, (int)r->src->len, r->scanner);
}

static int next(lexrun *r, YYSTYPE *v, st_loc *l)
{
    return yylex(v, l, r->scanner);
}

static void lex_close(lexrun *r)
{
    yy_delete_buffer(r->buf, r->scanner);
    yylex_destroy(r->scanner);
    free(r->st.buf);
    diag_finish(&r->diag);
    fclose(r->f);
    free(r->out);
    program_free(r->prog);
    source_free(r->src);
}

#define EXPECT_TOK(r, kind, l1, c1, l2, c2)                                   \
    do {                                                                      \
        int t_ = next(r, &v, &l);                                             \
        assert_int_equal(t_, kind);                                           \
        assert_int_equal(l.first_line, l1);                                   \
        assert_int_equal(l.first_column, c1);                                 \
        assert_int_equal(l.last_line, l2);                                    \
        assert_int_equal(l.last_column, c2);                                  \
    } while (0)

static void test_tokens_and_locations(void **state)
{
    (void)state;
    lexrun r;
    YYSTYPE v;
    st_loc l;
    lex_open(&r, "context wc {\n\tbatch = 10s; # c\n}\n// x\nstream w = a.b(x => x >= 1 && y != 2);");
    EXPECT_TOK(&r, TK_KW_CONTEXT, 1, 1, 1, 7);
    assert_string_equal(v.id, "context");
    EXPECT_TOK(&r, TK_IDENT, 1, 9, 1, 10);
    assert_string_equal(v.id, "wc");
    EXPECT_TOK(&r, '{', 1, 12, 1, 12);
    EXPECT_TOK(&r, TK_IDENT, 2, 2, 2, 6); /* a TAB is one column */
    EXPECT_TOK(&r, '=', 2, 8, 2, 8);
    EXPECT_TOK(&r, TK_DURATION, 2, 10, 2, 12);
    assert_int_equal(v.expr->dur_ms, 10000);
    EXPECT_TOK(&r, ';', 2, 13, 2, 13);
    EXPECT_TOK(&r, '}', 3, 1, 3, 1);
    EXPECT_TOK(&r, TK_KW_STREAM, 5, 1, 5, 6);
    EXPECT_TOK(&r, TK_IDENT, 5, 8, 5, 8);
    EXPECT_TOK(&r, '=', 5, 10, 5, 10);
    EXPECT_TOK(&r, TK_IDENT, 5, 12, 5, 12);
    EXPECT_TOK(&r, '.', 5, 13, 5, 13);
    EXPECT_TOK(&r, TK_IDENT, 5, 14, 5, 14);
    EXPECT_TOK(&r, '(', 5, 15, 5, 15);
    EXPECT_TOK(&r, TK_IDENT, 5, 16, 5, 16);
    EXPECT_TOK(&r, TK_ARROW, 5, 18, 5, 19);
    EXPECT_TOK(&r, TK_IDENT, 5, 21, 5, 21);
    EXPECT_TOK(&r, TK_GE, 5, 23, 5, 24);
    EXPECT_TOK(&r, TK_INT, 5, 26, 5, 26);
    assert_int_equal(v.expr->ival, 1);
    EXPECT_TOK(&r, TK_AND, 5, 28, 5, 29);
    EXPECT_TOK(&r, TK_IDENT, 5, 31, 5, 31);
    EXPECT_TOK(&r, TK_NE, 5, 33, 5, 34);
    EXPECT_TOK(&r, TK_INT, 5, 36, 5, 36);
    EXPECT_TOK(&r, ')', 5, 37, 5, 37);
    EXPECT_TOK(&r, ';', 5, 38, 5, 38);
    assert_int_equal(next(&r, &v, &l), 0);
    assert_int_equal(r.diag.nerrors, 0);
    lex_close(&r);
}

static void test_durations(void **state)
{
    (void)state;
    lexrun r;
    YYSTYPE v;
    st_loc l;
    lex_open(&r, "200ms 10s 5min 1h 6.5s 6.0s 1.5 42");
    static const int64_t ms[] = { 200, 10000, 300000, 3600000 };
    for (int i = 0; i < 4; i++) {
        assert_int_equal(next(&r, &v, &l), TK_DURATION);
        assert_int_equal(v.expr->dur_ms, ms[i]);
        assert_false(v.expr->dur_fraction);
    }
    assert_int_equal(next(&r, &v, &l), TK_DURATION);
    assert_true(v.expr->dur_fraction);
    assert_string_equal(v.expr->text, "6.5s");
    assert_int_equal(next(&r, &v, &l), TK_DURATION);
    assert_false(v.expr->dur_fraction);
    assert_int_equal(v.expr->dur_ms, 6000);
    assert_int_equal(next(&r, &v, &l), TK_FLOAT);
    assert_true(v.expr->fval == 1.5);
    assert_int_equal(next(&r, &v, &l), TK_INT);
    assert_int_equal(v.expr->ival, 42);
    assert_int_equal(r.diag.nerrors, 0);
    lex_close(&r);
}

static void test_bad_duration_unit(void **state)
{
    (void)state;
    lexrun r;
    YYSTYPE v;
    st_loc l;
    lex_open(&r, "x = 10sec;");
    assert_int_equal(next(&r, &v, &l), TK_IDENT);
    assert_int_equal(next(&r, &v, &l), '=');
    assert_int_equal(next(&r, &v, &l), TK_DURATION);
    assert_true(v.expr->bad);
    assert_int_equal(l.first_column, 5);
    assert_int_equal(l.last_column, 9);
    assert_int_equal(next(&r, &v, &l), ';');
    assert_int_equal(r.diag.nerrors, 1);
    fflush(r.f);
    assert_non_null(strstr(r.out, "t.stream:1:5: error: invalid duration unit 'sec'"));
    lex_close(&r);
}

static void test_string_escapes(void **state)
{
    (void)state;
    lexrun r;
    YYSTYPE v;
    st_loc l;
    lex_open(&r, "\"a\\tb\\\"c\\\\\\n\\0\\x41\\r\"");
    assert_int_equal(next(&r, &v, &l), TK_STRING);
    assert_int_equal(v.expr->slen, 10);
    assert_memory_equal(v.expr->sval, "a\tb\"c\\\n\0A\r", 10);
    assert_int_equal(l.first_column, 1);
    assert_int_equal(l.last_column, 21);
    assert_int_equal(r.diag.nerrors, 0);
    lex_close(&r);
}

static void test_string_errors(void **state)
{
    (void)state;
    lexrun r;
    YYSTYPE v;
    st_loc l;
    lex_open(&r, "\"\\q\\x4z\" @ \"open\nnext");
    assert_int_equal(next(&r, &v, &l), TK_STRING); /* reported, still a string */
    assert_int_equal(next(&r, &v, &l), TK_INVALID);
    assert_int_equal(l.first_column, 10);
    assert_int_equal(next(&r, &v, &l), TK_INVALID); /* unterminated */
    assert_int_equal(next(&r, &v, &l), TK_IDENT);
    assert_int_equal(l.first_line, 2);
    assert_int_equal(next(&r, &v, &l), 0);
    assert_int_equal(r.diag.nerrors, 4);
    fflush(r.f);
    assert_non_null(strstr(r.out, "1:2: error: unknown escape sequence '\\q'"));
    assert_non_null(strstr(r.out, "1:4: error: \\x needs two hexadecimal digits"));
    assert_non_null(strstr(r.out, "1:10: error: invalid character '@'"));
    assert_non_null(strstr(r.out, "1:12: error: missing terminating '\"' character"));
    lex_close(&r);
}

static void test_cblock_and_keywords(void **state)
{
    (void)state;
    lexrun r;
    YYSTYPE v;
    st_loc l;
    lex_open(&r, "\n%{ int x = 5 % 2; # not a comment\n%}\nin slide storage maxRate extern window source true false");
    assert_int_equal(next(&r, &v, &l), TK_CBLOCK);
    assert_string_equal(v.cblock.code, " int x = 5 % 2; # not a comment\n");
    assert_int_equal(v.cblock.line, 2);
    static const int kw[] = { TK_KW_IN, TK_KW_SLIDE, TK_KW_STORAGE, TK_KW_MAXRATE, TK_KW_EXTERN,
                              TK_KW_WINDOW, TK_KW_SOURCE };
    for (int i = 0; i < 7; i++)
        assert_int_equal(next(&r, &v, &l), kw[i]);
    assert_int_equal(next(&r, &v, &l), TK_BOOL);
    assert_true(v.expr->bval);
    assert_int_equal(next(&r, &v, &l), TK_BOOL);
    assert_false(v.expr->bval);
    lex_close(&r);
}

static void test_unterminated_cblock(void **state)
{
    (void)state;
    lexrun r;
    YYSTYPE v;
    st_loc l;
    lex_open(&r, "x %{ never closed");
    assert_int_equal(next(&r, &v, &l), TK_IDENT);
    assert_int_equal(next(&r, &v, &l), TK_CBLOCK);
    assert_int_equal(next(&r, &v, &l), 0);
    assert_int_equal(r.diag.nerrors, 1);
    lex_close(&r);
}

static void test_huge_numbers(void **state)
{
    (void)state;
    lexrun r;
    YYSTYPE v;
    st_loc l;
    lex_open(&r, "99999999999999999999 99999999999999999999h");
    assert_int_equal(next(&r, &v, &l), TK_INT);
    assert_true(v.expr->bad);
    assert_int_equal(next(&r, &v, &l), TK_DURATION);
    assert_true(v.expr->bad);
    assert_int_equal(r.diag.nerrors, 2);
    lex_close(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokens_and_locations),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_bad_duration_unit),
        cmocka_unit_test(test_string_escapes),
        cmocka_unit_test(test_string_errors),
        cmocka_unit_test(test_cblock_and_keywords),
        cmocka_unit_test(test_unterminated_cblock),
        cmocka_unit_test(test_huge_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
