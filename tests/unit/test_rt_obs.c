/* test_rt_obs.c: the run's figures (metrics.c): the options that ask for
 * them, what a batch publishes, the exact Prometheus text and JSON they
 * give (bucket edges included), the ring of recent batches wrapping, and
 * the live page holding the DAG it was given. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "rt_obs.h"

static const st_source_desc srcs[] = {
    { .name = "lines", .kind = ST_SRC_STDIN },
    { .name = "nums", .kind = ST_SRC_RATE, .rate = 10 },
};
static const st_context_desc ctxd[] = {
    { .name = "c", .batch_ms = 1000, .block_ms = 200, .nsources = 2, .sources = srcs },
};
static const st_program_desc progd = { .name = "obsprog", .ncontexts = 1, .contexts = ctxd };

static int parse(rt_opts *o, const char *a1, const char *a2)
{
    char *argv[] = { "prog", (char *)a1, (char *)a2, NULL };
    int argc = 1 + (a1 != NULL) + (a2 != NULL);
    FILE *err = fopen("/dev/null", "w");
    int rc = rt_parse_opts(&progd, argc, argv, o, err);
    fclose(err);
    return rc;
}

static void test_options(void **state)
{
    (void)state;
    rt_opts o;
    assert_int_equal(parse(&o, "--stats=json", NULL), 0);
    assert_true(o.stats && o.stats_json);
    rt_opts_free(&o);
    assert_int_equal(parse(&o, "--stats=text", NULL), 0);
    assert_true(o.stats && !o.stats_json);
    rt_opts_free(&o);
    assert_int_equal(parse(&o, "--version", NULL), 0);
    assert_true(o.version);
    rt_opts_free(&o);
    assert_int_equal(parse(&o, "--metrics", "127.0.0.1:0"), 0);
    assert_string_equal(o.metrics, "127.0.0.1:0");
    rt_opts_free(&o);
    assert_int_equal(parse(&o, "--metrics=[::1]:9090", NULL), 0);
    rt_opts_free(&o);
    assert_int_equal(parse(&o, "--stats=yaml", NULL), 2);
    assert_int_equal(parse(&o, "--version=1", NULL), 2);
    assert_int_equal(parse(&o, "--metrics", "9090"), 2);
    assert_int_equal(parse(&o, "--metrics", "host:65536"), 2);
    assert_int_equal(parse(&o, "--metrics", "host:"), 2);
    assert_int_equal(parse(&o, "--metrics", NULL), 2);
}

typedef struct fixture {
    rt_prog p;
    rt_ctx ctx;
} fixture;

static void open_prog(fixture *f)
{
    memset(f, 0, sizeof *f);
    f->p.desc = &progd;
    f->p.name = "obsprog";
    f->p.ctxs = &f->ctx;
    assert_int_equal(rt_ctx_open(&f->ctx, &ctxd[0], &f->p, 0, 1), 0);
}

static void batch(fixture *f, int64_t t, int64_t lines, int64_t nums, int64_t proc_us, int64_t delay)
{
    int64_t per[2] = { lines, nums };
    rt_bstat s = { .time_ms = t, .records = lines + nums, .processing_us = proc_us, .delay_ms = delay,
                   .skipped = 1, .throttled_ms = 250, .spilled = 2, .recv_errors = 1, .src_records = per,
                   .state_keys = 40 + t / 1000, .held = -1 };
    rt_obs_batch(&f->ctx, &s);
}

static char *render(fixture *f, void (*fn)(rt_prog *, st_buf *))
{
    st_buf b = { 0 };
    fn(&f->p, &b);
    st_buf_putc(&b, '\0');
    return b.p;
}

static void has(const char *text, const char *line)
{
    if (!strstr(text, line))
        fail_msg("missing: %s\nin:\n%s", line, text);
}

static void test_prometheus_exact(void **state)
{
    (void)state;
    fixture f;
    open_prog(&f);
    /* processing exactly on a bound (1 ms) counts in that bucket (le = <=) */
    batch(&f, 1000, 3, 10, 1000, 0);
    batch(&f, 2000, 0, 10, 1001, 3000);
    batch(&f, 3000, 7, 10, 20000000, 12000);
    atomic_fetch_add(&f.ctx.wal_bytes, 4096);
    char *t = render(&f, rt_obs_prometheus);
    has(t, "# TYPE streamc_batches_total counter\nstreamc_batches_total{context=\"c\"} 3\n");
    has(t, "streamc_info{program=\"obsprog\",version=\"" ST_VERSION "\"} 1\n");
    has(t, "streamc_records_total{context=\"c\",source=\"lines\"} 10\n");
    has(t, "streamc_records_total{context=\"c\",source=\"nums\"} 30\n");
    has(t, "streamc_skipped_records_total{context=\"c\"} 3\n");
    has(t, "streamc_throttled_seconds_total{context=\"c\"} 0.750000\n");
    has(t, "streamc_spilled_blocks_total{context=\"c\"} 6\n");
    has(t, "streamc_receiver_errors_total{context=\"c\"} 3\n");
    has(t, "streamc_wal_bytes_total{context=\"c\"} 4096\n");
    has(t, "# TYPE streamc_state_keys gauge\nstreamc_state_keys{context=\"c\"} 43\n");
    has(t, "streamc_last_batch_time_seconds{context=\"c\"} 3.000000\n");
    /* total delay: delay + processing in whole ms, as --stats */
    has(t, "streamc_total_delay_seconds_total{context=\"c\"} 35.002000\n");
    has(t, "streamc_last_total_delay_seconds{context=\"c\"} 32.000000\n");
    has(t, "streamc_http_dropped_connections_total 0\n");
    has(t, "streamc_processing_seconds_bucket{context=\"c\",le=\"0.001\"} 1\n"
           "streamc_processing_seconds_bucket{context=\"c\",le=\"0.0025\"} 2\n");
    has(t, "streamc_processing_seconds_bucket{context=\"c\",le=\"10\"} 2\n"
           "streamc_processing_seconds_bucket{context=\"c\",le=\"+Inf\"} 3\n"
           "streamc_processing_seconds_sum{context=\"c\"} 20.002001\n"
           "streamc_processing_seconds_count{context=\"c\"} 3\n");
    has(t, "streamc_scheduling_delay_seconds_bucket{context=\"c\",le=\"0.001\"} 1\n");
    has(t, "streamc_scheduling_delay_seconds_bucket{context=\"c\",le=\"2.5\"} 1\n"
           "streamc_scheduling_delay_seconds_bucket{context=\"c\",le=\"5\"} 2\n"
           "streamc_scheduling_delay_seconds_bucket{context=\"c\",le=\"10\"} 2\n"
           "streamc_scheduling_delay_seconds_bucket{context=\"c\",le=\"+Inf\"} 3\n"
           "streamc_scheduling_delay_seconds_sum{context=\"c\"} 15.000000\n");
    free(t);
    t = render(&f, rt_obs_batches_json);
    assert_string_equal(t, "{\"program\":\"obsprog\",\"version\":\"" ST_VERSION "\",\"contexts\":[{\"name\":\"c\","
                           "\"batch_ms\":1000,\"batches\":3,\"records\":40,\"skipped\":3,\"recent\":["
                           "[1000,13,1.000,0],[2000,10,1.001,3000],[3000,17,20000.000,12000]]}]}\n");
    free(t);
    rt_ctx_close(&f.ctx);
}

/* Before any batch: no state-keys sample (nothing known yet), zeros. */
static void test_prometheus_empty(void **state)
{
    (void)state;
    fixture f;
    open_prog(&f);
    char *t = render(&f, rt_obs_prometheus);
    has(t, "streamc_batches_total{context=\"c\"} 0\n");
    has(t, "streamc_processing_seconds_count{context=\"c\"} 0\n");
    assert_null(strstr(t, "streamc_state_keys{"));
    free(t);
    rt_ctx_close(&f.ctx);
}

/* The ring keeps the newest batches; /api/batches lists the last 300. */
static void test_ring_wraps(void **state)
{
    (void)state;
    fixture f;
    open_prog(&f);
    for (int64_t k = 1; k <= RT_OBS_RING + 100; k++)
        batch(&f, k * 1000, k, 0, 0, 0);
    char *t = render(&f, rt_obs_batches_json);
    char first[64], last[64];
    snprintf(first, sizeof first, "\"recent\":[[%d000,%d,", RT_OBS_RING + 100 - 299, RT_OBS_RING + 100 - 299);
    snprintf(last, sizeof last, ",[%d000,%d,0.000,0]]}]}\n", RT_OBS_RING + 100, RT_OBS_RING + 100);
    has(t, first);
    has(t, last);
    int n = 0;
    for (const char *q = strstr(t, "\"recent\":[") + 9; (q = strstr(q + 1, "[")) != NULL;)
        n++;
    assert_int_equal(n, 300);
    free(t);
    rt_ctx_close(&f.ctx);
}

static void test_page_has_dag(void **state)
{
    (void)state;
    fixture f;
    open_prog(&f);
    st_program_view v = { "<svg class=\"dag\"><text>source lines</text></svg>\n", NULL };
    char *t = render(&f, rt_obs_page);
    has(t, "(no DAG in this executable)");
    free(t);
    f.p.view = &v;
    t = render(&f, rt_obs_page);
    has(t, "<title>obsprog - streamc</title>");
    has(t, "<div class=\"dag\" id=\"dag\">\n<svg class=\"dag\"><text>source lines</text></svg>\n</div>");
    has(t, "fetch('/api/batches'");
    /* nothing from elsewhere */
    assert_null(strstr(t, "src=\"http"));
    assert_null(strstr(t, "href=\"http"));
    free(t);
    rt_ctx_close(&f.ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_prometheus_exact),
        cmocka_unit_test(test_prometheus_empty),
        cmocka_unit_test(test_ring_wraps),
        cmocka_unit_test(test_page_has_dag),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
