/* test_rt_realtime.c: st_main in real time with short batch intervals:
 * stdin and file sources end the program with every record seen; rate
 * with --batches; a socket that drops and comes back; textFileStream's new
 * files only; SIGTERM finishing with a final batch; a context's
 * initialRate holding a fast source until the estimator has a rate.
 * Assertions are on records and exit status, never on timing (a bound
 * that depends on time takes the time measured, whatever it was). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rt_internal.h"

/* What the program saw, copied out by destroy(). */
typedef struct seen {
    int64_t batches, records, last_time, bad_times, int_gaps;
    int64_t next_int;
    st_buf text;   /* string records, '\n'-terminated */
} seen;

static seen g_seen;
/* When the records seen so far contain this, the program is sent SIGTERM:
   tests end on what they wait for, not on a guess of how long it takes. */
static const char *g_stop_after;

/* The records seen, as a C string. */
static const char *seen_text(void)
{
    st_buf_putc(&g_seen.text, '\0');
    g_seen.text.n--;
    return g_seen.text.p;
}

static void *col_create(void)
{
    seen *s = calloc(1, sizeof *s);
    return s;
}

static void col_destroy(void *state)
{
    st_buf_free(&g_seen.text);
    g_seen = *(seen *)state;
    free(state);
}

typedef struct count_arg {
    const st_input *in;
    atomic_llong n;
} count_arg;

static void count_block(st_job *job, void *varg, int i, int worker)
{
    (void)job;
    (void)worker;
    count_arg *a = varg;
    atomic_fetch_add(&a->n, a->in->blocks[i].n);
}

static int col_run(void *state, st_job *job)
{
    seen *s = state;
    s->batches++;
    if (job->time_ms <= s->last_time || (job->time_ms - job->zero_ms) % 100 != 0)
        s->bad_times++;
    s->last_time = job->time_ms;
    for (int i = 0; i < job->nsources; i++) {
        count_arg a = { .in = &job->inputs[i] };
        atomic_init(&a.n, 0);
        st_parallel_for(job, job->inputs[i].nblocks, count_block, &a);
        s->records += atomic_load(&a.n);
        for (int b = 0; b < job->inputs[i].nblocks; b++) {
            const st_block *bl = &job->inputs[i].blocks[b];
            for (int64_t r = 0; r < bl->n; r++) {
                if (bl->ints) {
                    if (bl->ints[r] != s->next_int)
                        s->int_gaps++;
                    s->next_int = bl->ints[r] + 1;
                } else {
                    st_buf_str(&s->text, bl->recs[r]);
                    st_buf_putc(&s->text, '\n');
                }
            }
        }
    }
    if (g_stop_after && s->text.n > 0) {
        st_buf_putc(&s->text, '\0');
        s->text.n--;
        if (strstr(s->text.p, g_stop_after)) {
            g_stop_after = NULL;
            kill(getpid(), SIGTERM);
        }
    }
    char line[64];
    int n = snprintf(line, sizeof line, "%lld\n", (long long)s->records);
    st_print(job, line, (size_t)n, false);
    return 0;
}

static st_context_desc one_ctx(const st_source_desc *src)
{
    return (st_context_desc){ .name = "rt", .batch_ms = 100, .block_ms = 50, .workers = 2,
                              .nsources = 1, .sources = src, .create = col_create,
                              .run_batch = col_run, .destroy = col_destroy };
}

static int run_quiet(const st_program_desc *prog, int argc, char **argv)
{
    fflush(stdout);
    int so = dup(1);
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    close(devnull);
    int rc = st_main(prog, argc, argv);
    fflush(stdout);
    dup2(so, 1);
    close(so);
    return rc;
}

static char *write_lines(int n, const char *fmt)
{
    char *path = strdup("/tmp/strt-rt-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    for (int i = 0; i < n; i++)
        fprintf(f, fmt, i);
    fclose(f);
    return path;
}

static void test_stdin_ends(void **state)
{
    (void)state;
    char *path = write_lines(1000, "line %d\r\n");
    /* and a final line without newline */
    FILE *f = fopen(path, "a");
    fputs("tail", f);
    fclose(f);
    int saved = dup(0);
    int fd = open(path, O_RDONLY);
    dup2(fd, 0);
    close(fd);
    static const st_source_desc src[] = { { .name = "in", .kind = ST_SRC_STDIN, .recv = &st_recv_stdin } };
    st_context_desc ctx = one_ctx(src);
    st_program_desc prog = { "rtstdin", 1, &ctx, 0, NULL, NULL, 0, NULL, 0, NULL };
    char *argv[] = { "rtstdin", NULL };
    int rc = run_quiet(&prog, 1, argv);
    dup2(saved, 0);
    close(saved);
    assert_int_equal(rc, 0);
    assert_int_equal(g_seen.records, 1001);
    assert_int_equal(g_seen.bad_times, 0);
    assert_true(g_seen.batches >= 1);
    assert_non_null(strstr(seen_text(), "line 0\nline 1\n"));
    assert_non_null(strstr(seen_text(), "line 999\ntail\n"));
    unlink(path);
    free(path);
}

static void test_file_paced_ends(void **state)
{
    (void)state;
    char *path = write_lines(30, "%d\n");
    st_source_desc src[] = { { .name = "f", .kind = ST_SRC_FILE, .recv = &st_recv_file, .path = path, .rate = 200 } };
    st_context_desc ctx = one_ctx(src);
    st_program_desc prog = { "rtfile", 1, &ctx, 0, NULL, NULL, 0, NULL, 0, NULL };
    char *argv[] = { "rtfile", NULL };
    assert_int_equal(run_quiet(&prog, 1, argv), 0);
    assert_int_equal(g_seen.records, 30);
    assert_true(g_seen.batches >= 2);   /* paced: 30 records at 200/s span batches */
    unlink(path);
    free(path);
}

static void test_rate_batches(void **state)
{
    (void)state;
    static const st_source_desc src[] = { { .name = "n", .kind = ST_SRC_RATE, .recv = &st_recv_rate, .rate = 1000 } };
    st_context_desc ctx = one_ctx(src);
    st_program_desc prog = { "rtrate", 1, &ctx, 0, NULL, NULL, 0, NULL, 0, NULL };
    char *argv[] = { "rtrate", "--batches", "3", "--workers", "3", NULL };
    assert_int_equal(run_quiet(&prog, 5, argv), 0);
    assert_int_equal(g_seen.batches, 3);
    assert_int_equal(g_seen.int_gaps, 0);
    assert_true(g_seen.records > 0);
    assert_int_equal(g_seen.bad_times, 0);
}

/* SIGTERM's final batch. The receiver stores TERM_RECORDS records, says
   so, and waits to be stopped; the signal is sent once it said so (so
   after st_main installed its handler, with every record stored). */
#define TERM_RECORDS 500
static pthread_mutex_t g_term_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_term_cv = PTHREAD_COND_INITIALIZER;
static bool g_term_stored;

static int term_run(st_recv *h)
{
    for (int i = 0; i < TERM_RECORDS; i++) {
        char t[16];
        int n = snprintf(t, sizeof t, "%d", i);
        if (!st_recv_store(h, t, (size_t)n))
            return ST_RECV_DONE;
    }
    pthread_mutex_lock(&g_term_mu);
    g_term_stored = true;
    pthread_cond_signal(&g_term_cv);
    pthread_mutex_unlock(&g_term_mu);
    while (st_recv_sleep(h, 1000))
        ;
    return ST_RECV_DONE;
}

static void term_receiver(st_receiver *r, const char *arg)
{
    (void)arg;
    r->run = term_run;
}

/* Sends SIGTERM once the receiver has stored its records (the 60 s bound
   only stops a hang: the signal then ends the run, and the records are
   missing from the batch). */
static void *send_term(void *arg)
{
    (void)arg;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 60;
    pthread_mutex_lock(&g_term_mu);
    while (!g_term_stored && pthread_cond_timedwait(&g_term_cv, &g_term_mu, &until) == 0)
        ;
    pthread_mutex_unlock(&g_term_mu);
    kill(getpid(), SIGTERM);
    return NULL;
}

static void test_sigterm_final_batch(void **state)
{
    (void)state;
    /* Batch times are multiples of the interval in epoch time (as
       Spark's): the first batch of an hour-long interval comes at the next
       full hour, which may be any time after the start. Within a minute of
       it, the test waits until it has passed, so that no batch but the
       final one can come before the signal. */
    const int64_t hour = 3600000;
    while (hour - rt_epoch_ms() % hour < 60000)
        usleep(100 * 1000);
    static const st_source_desc src[] = { { .name = "u", .kind = ST_SRC_RECEIVER, .recv = &st_recv_user,
                                            .receiver = term_receiver } };
    st_context_desc ctx = one_ctx(src);
    ctx.batch_ms = hour;
    ctx.block_ms = 100;
    st_program_desc prog = { "rtsig", 1, &ctx, 0, NULL, NULL, 0, NULL, 0, NULL };
    char *argv[] = { "rtsig", NULL };
    g_term_stored = false;
    pthread_t t;
    pthread_create(&t, NULL, send_term, NULL);
    int rc = run_quiet(&prog, 1, argv);
    pthread_join(t, NULL);
    assert_int_equal(rc, 0);
    assert_true(g_term_stored);
    /* every record stored, at once, in the batch of the first full hour */
    assert_int_equal(g_seen.batches, 1);
    assert_int_equal(g_seen.records, TERM_RECORDS);
    assert_int_equal(g_seen.last_time % hour, 0);
    st_buf want = { 0 };
    for (int i = 0; i < TERM_RECORDS; i++) {
        char t2[16];
        snprintf(t2, sizeof t2, "%d\n", i);
        st_buf_puts(&want, t2);
    }
    st_buf_putc(&want, '\0');
    assert_string_equal(seen_text(), want.p);
    st_buf_free(&want);
}

/* A server that sends two lines and a partial one, drops the connection,
   then accepts once more and sends one line. */
typedef struct server {
    int fd;
    int port;
} server;

static void *serve(void *arg)
{
    server *s = arg;
    const char *msgs[] = { "l1\nl2\r\nl3", "l4\n" };
    for (int i = 0; i < 2; i++) {
        int c = accept(s->fd, NULL, NULL);
        if (c < 0)
            break;
        ssize_t w = write(c, msgs[i], strlen(msgs[i]));
        (void)w;
        close(c);
    }
    close(s->fd);
    return NULL;
}

static void test_socket_reconnects(void **state)
{
    (void)state;
    server s;
    s.fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    assert_int_equal(bind(s.fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s.fd, 4), 0);
    socklen_t al = sizeof a;
    getsockname(s.fd, (struct sockaddr *)&a, &al);
    s.port = ntohs(a.sin_port);
    pthread_t t;
    pthread_create(&t, NULL, serve, &s);
    st_source_desc src[] = {
        { .name = "sock", .kind = ST_SRC_SOCKET, .recv = &st_recv_socket, .host = "127.0.0.1", .port = s.port },
    };
    st_context_desc ctx = one_ctx(src);
    st_program_desc prog = { "rtsock", 1, &ctx, 0, NULL, NULL, 0, NULL, 0, NULL };
    char *argv[] = { "rtsock", "--duration", "30s", NULL };   /* a safety net */
    g_stop_after = "l4\n";
    FILE *err = tmpfile();
    int se = dup(2);
    dup2(fileno(err), 2);
    int rc = run_quiet(&prog, 3, argv);
    dup2(se, 2);
    close(se);
    pthread_join(t, NULL);
    fclose(err);
    assert_int_equal(rc, 0);
    assert_string_equal(seen_text(), "l1\nl2\nl3\nl4\n");
}

static void *drop_file(void *arg)
{
    const char *dir = arg;
    usleep(200 * 1000);
    char p[256], q[256];
    /* names starting with '_' or '.' are not read, even when new */
    snprintf(p, sizeof p, "%s/_ignored", dir);
    FILE *f = fopen(p, "w");
    fputs("no\n", f);
    fclose(f);
    snprintf(p, sizeof p, "%s/.new.tmp", dir);
    f = fopen(p, "w");
    fputs("n1\nn2\n", f);
    fclose(f);
    usleep(100 * 1000);   /* a scan sees .new.tmp: it must not be read */
    snprintf(q, sizeof q, "%s/new.txt", dir);
    rename(p, q);   /* the atomic move Spark asks for */
    return NULL;
}

static void test_textfiles_new_only(void **state)
{
    (void)state;
    char dir[] = "/tmp/strt-dir-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char p[256];
    snprintf(p, sizeof p, "%s/old.txt", dir);
    FILE *f = fopen(p, "w");
    fputs("old\n", f);
    fclose(f);
    st_source_desc src[] = { { .name = "dir", .kind = ST_SRC_TEXTFILES, .recv = &st_recv_textfiles, .path = dir } };
    st_context_desc ctx = one_ctx(src);
    st_program_desc prog = { "rtdir", 1, &ctx, 0, NULL, NULL, 0, NULL, 0, NULL };
    char *argv[] = { "rtdir", "--duration", "30s", NULL };   /* a safety net */
    g_stop_after = "n2\n";
    pthread_t t;
    pthread_create(&t, NULL, drop_file, dir);
    int rc = run_quiet(&prog, 3, argv);
    pthread_join(t, NULL);
    assert_int_equal(rc, 0);
    assert_string_equal(seen_text(), "n1\nn2\n");
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static int teardown(void **state);

/* initialRate: until the estimator has a rate, a rate(10^9) source
   takes initialRate records a second with a burst of one batch's worth,
   so however long the run took, it made at most initialRate x batch +
   initialRate x its duration (the default would take 10000 at once, then
   100000 a second). Two batches: the estimator cannot have a rate before
   the second has run (and with initialRate there is no doubling), so the
   bound holds whatever the batches' processing times were. A maxRate
   below initialRate rules instead (its bucket: a fiftieth of a second,
   starting with one record). */
static int64_t run_initial_rate(int64_t initial_rate, int64_t max_rate, int64_t *elapsed_ms)
{
    st_source_desc src[] = { { .name = "n", .kind = ST_SRC_RATE, .recv = &st_recv_rate, .rate = 1000000000,
                               .max_rate = max_rate } };
    st_context_desc ctx = one_ctx(src);
    ctx.initial_rate = initial_rate;
    st_program_desc prog = { "rtinit", 1, &ctx, 0, NULL, NULL, 0, NULL, 0, NULL };
    char *argv[] = { "rtinit", "--batches", "2", NULL };
    int64_t t0 = rt_mono_ms();
    assert_int_equal(run_quiet(&prog, 3, argv), 0);
    *elapsed_ms = rt_mono_ms() - t0;
    assert_int_equal(g_seen.batches, 2);
    assert_int_equal(g_seen.int_gaps, 0);
    assert_int_equal(g_seen.bad_times, 0);
    return g_seen.records;
}

static void test_initial_rate(void **state)
{
    (void)state;
    int64_t ms;
    int64_t n = run_initial_rate(2000, 0, &ms);
    assert_true(n <= 2000 * 100 / 1000 + 2000 * ms / 1000 + 1);
    teardown(NULL);
    n = run_initial_rate(2000, 500, &ms);
    assert_true(n <= 1 + 500 * ms / 1000 + 1);
}

static int teardown(void **state)
{
    (void)state;
    st_buf_free(&g_seen.text);
    memset(&g_seen, 0, sizeof g_seen);
    g_stop_after = NULL;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_stdin_ends, teardown),
        cmocka_unit_test_teardown(test_file_paced_ends, teardown),
        cmocka_unit_test_teardown(test_rate_batches, teardown),
        cmocka_unit_test_teardown(test_sigterm_final_batch, teardown),
        cmocka_unit_test_teardown(test_socket_reconnects, teardown),
        cmocka_unit_test_teardown(test_textfiles_new_only, teardown),
        cmocka_unit_test_teardown(test_initial_rate, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
