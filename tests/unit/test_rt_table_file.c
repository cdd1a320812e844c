/* test_rt_table_file.c: the file table kind (runtime/tables/file.c) through
 * st_table.h: line ends (LF, CRLF, none at the end), empty lines, very
 * long lines, NUL bytes and lines without the separator (counted, logged
 * skips), duplicate keys (the last wins), a missing file, lookups from
 * several threads at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "rt_internal.h"
#include "st_table.h"
#include "tables/file.h"

static char dir[] = "/tmp/st_tfileXXXXXX";

static const char *write_file(const char *name, const char *text, size_t n)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, n, f), n);
    fclose(f);
    return path;
}

typedef struct tab {
    st_table_h *h;
    st_table_opt opts[2];
    st_table_desc desc;
    char err[4096];   /* what the load logged */
} tab;

/* opens path (sep may be NULL) with stderr caught in t->err; the result of st_tables_open */
static int open_tab(tab *t, const char *path, const char *sep)
{
    memset(t, 0, sizeof *t);
    t->opts[0] = (st_table_opt){ "path", path };
    t->opts[1] = (st_table_opt){ "sep", sep };
    t->desc = (st_table_desc){ "t", "file", &st_table_file, 2, t->opts, &t->h };
    char ep[256];
    snprintf(ep, sizeof ep, "%s/stderr", dir);
    fflush(stderr);
    int saved = dup(2);
    int fd = open(ep, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    close(fd);
    int rc = st_tables_open(&t->desc, 1, NULL);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    FILE *f = fopen(ep, "rb");
    size_t n = fread(t->err, 1, sizeof t->err - 1, f);
    t->err[n] = '\0';
    fclose(f);
    return rc;
}

static st_table_file_stats stats(const tab *t)
{
    st_table_file_stats s;
    st_table_file_stats_of(t->h, &s);
    return s;
}

/* lookup of k: the value, or NULL when missing (copied into a) */
static const char *get(tab *t, st_arena *a, const char *k, size_t kn)
{
    const char *v;
    size_t n;
    if (!st_table_get(t->h, k, kn, a, &v, &n))
        return NULL;
    assert_int_equal(v[n], '\0');
    return v;
}
#define GET(t, a, k) get(t, a, k, strlen(k))

static void test_set_line_ends(void **state)
{
    (void)state;
    static const char text[] = "buy\nfree\r\n\n\r\nwin\nwin\nlast";
    tab t;
    assert_int_equal(open_tab(&t, write_file("set.txt", text, sizeof text - 1), NULL), 0);
    assert_string_equal(t.err, "");   /* a line repeated in a set is not worth a warning */
    st_table_file_stats s = stats(&t);
    assert_int_equal(s.lines, 7);
    assert_int_equal(s.entries, 4);
    assert_int_equal(s.skipped, 0);
    assert_int_equal(s.duplicates, 1);
    st_arena *a = st_arena_new();
    assert_true(st_table_has(t.h, "buy", 3));
    assert_true(st_table_has(t.h, "free", 4));   /* CR stripped */
    assert_false(st_table_has(t.h, "free\r", 5));
    assert_true(st_table_has(t.h, "last", 4));   /* no newline at the end */
    assert_false(st_table_has(t.h, "", 0));      /* empty lines are no entries */
    assert_false(st_table_has(t.h, "bu", 2));
    assert_string_equal(GET(&t, a, "win"), "win"); /* lookup of a set gives the line */
    assert_null(GET(&t, a, "lose"));
    st_arena_free(a);
    st_tables_close(&t.desc, 1);
    assert_null(t.h);
}

static void test_key_value(void **state)
{
    (void)state;
    static const char text[] = "de\tGermany\nxx\tfirst\nno tab\nuk\tUnited\tKingdom\n\tempty key\nxx\tlast\r\nv\t\n";
    tab t;
    assert_int_equal(open_tab(&t, write_file("kv.tsv", text, sizeof text - 1), "\t"), 0);
    char want[1024];
    snprintf(want, sizeof want,
             "streamrt: warning: table 't': %s/kv.tsv:3: no separator, line skipped\n"
             "streamrt: warning: table 't': %s/kv.tsv: 1 line skipped\n"
             "streamrt: warning: table 't': %s/kv.tsv: 1 duplicate key (the last line wins)\n", dir, dir, dir);
    assert_string_equal(t.err, want);
    st_table_file_stats s = stats(&t);
    assert_int_equal(s.lines, 7);
    assert_int_equal(s.entries, 5);
    assert_int_equal(s.skipped, 1);
    assert_int_equal(s.duplicates, 1);
    st_arena *a = st_arena_new();
    assert_string_equal(GET(&t, a, "de"), "Germany");
    assert_string_equal(GET(&t, a, "xx"), "last");
    assert_string_equal(GET(&t, a, "uk"), "United\tKingdom");
    assert_string_equal(GET(&t, a, ""), "empty key");
    assert_string_equal(GET(&t, a, "v"), "");
    assert_null(GET(&t, a, "no tab"));
    assert_null(GET(&t, a, "de\tGermany"));
    st_arena_free(a);
    st_tables_close(&t.desc, 1);
}

static void test_multichar_sep(void **state)
{
    (void)state;
    static const char text[] = "a::x\nb::y::z\nc:d::w\nb: :no\n:::colon";
    tab t;
    assert_int_equal(open_tab(&t, write_file("m.txt", text, sizeof text - 1), "::"), 0);
    st_table_file_stats s = stats(&t);
    assert_int_equal(s.entries, 4);
    assert_int_equal(s.skipped, 1);
    st_arena *a = st_arena_new();
    assert_string_equal(GET(&t, a, "b"), "y::z");
    assert_string_equal(GET(&t, a, "c:d"), "w");
    assert_string_equal(GET(&t, a, ""), ":colon");
    st_arena_free(a);
    st_tables_close(&t.desc, 1);
}

static void test_nul_bytes(void **state)
{
    (void)state;
    static const char text[] = "ok\tyes\nn\0l\tnul\nk\tv\0v\n\0\nend\tz";
    tab t;
    assert_int_equal(open_tab(&t, write_file("nul.tsv", text, sizeof text - 1), "\t"), 0);
    st_table_file_stats s = stats(&t);
    assert_int_equal(s.lines, 5);
    assert_int_equal(s.entries, 2);
    assert_int_equal(s.skipped, 3);
    assert_non_null(strstr(t.err, "nul.tsv:2: a NUL byte, line skipped\n"));
    assert_non_null(strstr(t.err, "nul.tsv:3: a NUL byte, line skipped\n"));
    assert_non_null(strstr(t.err, "nul.tsv:4: a NUL byte, line skipped\n"));
    assert_non_null(strstr(t.err, "nul.tsv: 3 lines skipped\n"));
    assert_true(st_table_has(t.h, "end", 3));
    assert_false(st_table_has(t.h, "n", 1));
    st_tables_close(&t.desc, 1);
}

/* more than 10 skips: the first 10 logged, all counted */
static void test_skip_log_bounded(void **state)
{
    (void)state;
    char text[400] = "";
    for (int i = 0; i < 25; i++)
        strcat(text, "nosep\n");
    tab t;
    assert_int_equal(open_tab(&t, write_file("many.tsv", text, strlen(text)), "\t"), 0);
    assert_int_equal(stats(&t).skipped, 25);
    int lines = 0;
    for (const char *p = t.err; (p = strchr(p, '\n')); p++)
        lines++;
    assert_int_equal(lines, 11);
    assert_non_null(strstr(t.err, "many.tsv:10: no separator"));
    assert_null(strstr(t.err, "many.tsv:11:"));
    assert_non_null(strstr(t.err, "many.tsv: 25 lines skipped\n"));
    st_tables_close(&t.desc, 1);
}

static void test_long_lines(void **state)
{
    (void)state;
    size_t kn = (size_t)3 << 20, vn = (size_t)2 << 20;
    char *text = malloc(kn + vn + 16);
    memset(text, 'k', kn);
    text[kn] = '=';
    memset(text + kn + 1, 'v', vn);
    memcpy(text + kn + 1 + vn, "\nk=1\n", 5);
    tab t;
    assert_int_equal(open_tab(&t, write_file("long.txt", text, kn + vn + 6), "="), 0);
    assert_int_equal(stats(&t).entries, 2);
    st_arena *a = st_arena_new();
    const char *v;
    size_t n;
    assert_true(st_table_get(t.h, text, kn, a, &v, &n));
    assert_int_equal(n, vn);
    assert_int_equal(v[0], 'v');
    assert_int_equal(v[vn - 1], 'v');
    assert_false(st_table_has(t.h, text, kn - 1));
    assert_string_equal(GET(&t, a, "k"), "1");
    st_arena_free(a);
    st_tables_close(&t.desc, 1);
    free(text);
}

static void test_missing_and_empty(void **state)
{
    (void)state;
    tab t;
    char path[256];
    snprintf(path, sizeof path, "%s/none.txt", dir);
    assert_int_equal(open_tab(&t, path, NULL), -1);
    assert_null(t.h);
    char want[512];
    snprintf(want, sizeof want, "streamrt: error: table 't': cannot read %s: No such file or directory\n", path);
    assert_string_equal(t.err, want);
    assert_int_equal(open_tab(&t, dir, NULL), -1);
    snprintf(want, sizeof want, "streamrt: error: table 't': cannot read %s: Is a directory\n", dir);
    assert_string_equal(t.err, want);
    assert_int_equal(open_tab(&t, write_file("empty.txt", "", 0), NULL), 0);
    assert_int_equal(stats(&t).entries, 0);
    assert_false(st_table_has(t.h, "", 0));
    st_tables_close(&t.desc, 1);
}

static void *reader(void *arg)
{
    tab *t = arg;
    st_arena *a = st_arena_new();
    long found = 0;
    char k[32];
    for (int i = 0; i < 20000; i++) {
        snprintf(k, sizeof k, "key%d", i % 1500);
        const char *v = GET(t, a, k);
        if (v) {
            char want[32];
            snprintf(want, sizeof want, "val%d", i % 1500);
            if (strcmp(v, want) != 0)
                return NULL;
            found++;
        }
        if (i % 1000 == 0)
            st_arena_reset(a);
    }
    st_arena_free(a);
    return (void *)found;
}

static void test_threads(void **state)
{
    (void)state;
    size_t cap = 1000 * 24, n = 0;
    char *text = malloc(cap);
    for (int i = 0; i < 1000; i++)
        n += (size_t)snprintf(text + n, cap - n, "key%d,val%d\n", i, i);
    tab t;
    assert_int_equal(open_tab(&t, write_file("big.csv", text, n), ","), 0);
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, reader, &t);
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(th[i], &r);
        /* 20000 lookups over 1500 keys, 1000 of them in the table */
        assert_int_equal((long)r, 13 * 1000 + 500);
    }
    st_tables_close(&t.desc, 1);
    free(text);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_line_ends),   cmocka_unit_test(test_key_value),
        cmocka_unit_test(test_multichar_sep),   cmocka_unit_test(test_nul_bytes),
        cmocka_unit_test(test_skip_log_bounded), cmocka_unit_test(test_long_lines),
        cmocka_unit_test(test_missing_and_empty), cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
