/* test_truncate.c: robustness of the front end on every prefix of every
 * program in the tree (examples, the spec's programs, golden-diagnostic
 * and end-to-end programs): lex + parse + sema on each truncation, in
 * process, so that ASan/UBSan/LSan see every run and the whole sweep
 * takes seconds, not a process per prefix. A prefix must either check
 * clean or produce at least one error; nothing may crash or leak.
 * Run from the repository root (tests/run_all.sh does).
 */
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ast.h"
#include "diag.h"
#include "parse.h"
#include "sema.h"
#include "source.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        fclose(f);
        return NULL;
    }
    s[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return s;
}

/* Returns the number of errors reported for text[0..n). */
static int check_prefix(const char *name, const char *text, size_t n, FILE *sink)
{
    st_source *src = source_from_string(name, text, n);
    st_diag d;
    diag_init(&d, src, sink, false);
    st_program *p = parse_program(src, &d);
    bool ok = d.nerrors == 0;
    ok = sema_check(p, &d) && ok;
    int errors = d.nerrors;
    /* sema's verdict and the error count agree */
    assert_true(ok == (errors == 0));
    diag_finish(&d);
    program_free(p);
    source_free(src);
    return errors;
}

static void test_every_prefix(void **state)
{
    (void)state;
    const char *patterns[] = { "examples/*.stream", "tests/spec/*.stream", "tests/diag/*.stream",
                               "tests/e2e/*/prog.stream" };
    FILE *sink = fopen("/dev/null", "w");
    assert_non_null(sink);
    long files = 0, runs = 0, clean = 0;
    for (size_t k = 0; k < sizeof patterns / sizeof *patterns; k++) {
        glob_t g;
        if (glob(patterns[k], 0, NULL, &g) != 0)
            continue;
        for (size_t i = 0; i < g.gl_pathc; i++) {
            size_t len = 0;
            char *text = slurp(g.gl_pathv[i], &len);
            assert_non_null(text);
            files++;
            for (size_t n = 0; n <= len; n++) {
                runs++;
                if (check_prefix(g.gl_pathv[i], text, n, sink) == 0)
                    clean++;
            }
            free(text);
        }
        globfree(&g);
    }
    fclose(sink);
    printf("truncate: %ld files, %ld prefixes, %ld of them clean\n", files, runs, clean);
    assert_true(files >= 10);
    assert_true(runs > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
