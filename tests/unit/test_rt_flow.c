/* test_rt_flow.c: the receivers' flow control (flow.c): the hold-off
 * limit from --memory, and the rate estimator's arithmetic (Spark's
 * PIDRateEstimator semantics: proportional 1, integral 0.2, derivative 0,
 * at least 100 records/s); the rate a receiver starts at (the slow start,
 * or the context's initialRate) and what its limiter lets through before
 * the estimator has a rate; and the replay's bound on empty batches
 * (replay_bound.c). No assertion depends on the clock: the limiter is
 * looked at only while its bucket holds tokens, which it hands out
 * without reading the time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "flow.h"
#include "rt_internal.h"

static void test_held_limit(void **state)
{
    (void)state;
    assert_int_equal(rt_held_limit((int64_t)256 << 20), (int64_t)512 << 20);
    assert_int_equal(rt_held_limit((int64_t)2 << 20), (int64_t)4 << 20);
    assert_int_equal(rt_held_limit(1024), RT_HELD_MIN);
    assert_int_equal(rt_held_limit(0), RT_HELD_MIN);
    assert_int_equal(rt_held_limit(INT64_MAX), INT64_MAX);
}

static void test_pid_steps(void **state)
{
    (void)state;
    rt_pid p;
    rt_pid_init(&p, 1000);
    /* nothing measurable: no estimate, nothing remembered */
    assert_true(rt_pid_update(&p, 500, 0, 10, 0) < 0);
    assert_true(rt_pid_update(&p, 600, 10, 0, 0) < 0);
    /* the first measured batch only sets the rate: 1000 in 500 ms */
    assert_true(rt_pid_update(&p, 1000, 1000, 500, 0) < 0);
    /* processed at 1000/s, rate 2000: error 1000, new rate 1000 */
    assert_float_equal(rt_pid_update(&p, 2000, 1000, 1000, 0), 1000.0, 1e-9);
    /* on target, but 500 ms of scheduling delay: 1000 - 0.2 * 500 */
    assert_float_equal(rt_pid_update(&p, 3000, 1000, 1000, 500), 900.0, 1e-9);
    /* a time not after the last is ignored */
    assert_true(rt_pid_update(&p, 3000, 1000, 1000, 0) < 0);
    /* a collapse: never below 100 records/s */
    assert_float_equal(rt_pid_update(&p, 4000, 1, 1000, 10000), 100.0, 1e-9);
    /* and it climbs back as fast as the pipeline shows it can go */
    assert_float_equal(rt_pid_update(&p, 5000, 100, 10, 0), 10000.0, 1e-9);
}

static void test_pid_converges(void **state)
{
    (void)state;
    /* a pipeline that processes 50,000 records/s, 200 ms batches, fed
       at whatever rate the estimate allows, starting at 4x: the backlog
       drains (the rate drops to the minimum first) and the rate settles
       at what the pipeline processes */
    rt_pid p;
    rt_pid_init(&p, 200);
    double rate = 2e5, delay = 0;
    int64_t t = 0;
    for (int i = 0; i < 100; i++) {
        int64_t elems = (int64_t)(rate * 0.2);
        int64_t proc = elems / 50 > 0 ? elems / 50 : 1;   /* ms */
        delay = delay + (double)proc - 200 > 0 ? delay + (double)proc - 200 : 0;
        t += 200;
        double r = rt_pid_update(&p, t, elems, proc, (int64_t)delay);
        if (r > 0)
            rate = r;
    }
    assert_true(rate > 45000 && rate < 52000);
    assert_true(delay < 50);
}

static void test_start_rate(void **state)
{
    (void)state;
    /* the slow start: 10000 records per batch interval, as a rate */
    assert_int_equal(rt_start_rate(1000, 0), 10000);
    assert_int_equal(rt_start_rate(200, 0), 50000);
    assert_int_equal(rt_start_rate(30000, 0), 333);
    assert_int_equal(rt_start_rate(INT64_C(20000000), 0), 1);   /* never 0 */
    /* initialRate: its records per second, whatever the interval */
    assert_int_equal(rt_start_rate(1000, 600000), 600000);
    assert_int_equal(rt_start_rate(200, 600000), 600000);
    assert_int_equal(rt_start_rate(1000, 1), 1);
    /* as the limiter takes a configured rate: at most 10^9 */
    assert_int_equal(rt_start_rate(1000, INT64_MAX), INT64_C(1000000000));
}

/* A receiver as the engine sets it up before its first record
   (engine_run.c, rt_receiver_main): a context of batch_ms with
   initial_rate (0: none), the source's maxRate (0: none), the limiter
   following the source's rate in force. */
typedef struct recv_fixture {
    st_context_desc d;
    rt_ctx c;
    rctx r;
    rsrc s;
} recv_fixture;

static void fixture(recv_fixture *f, int64_t batch_ms, int64_t initial_rate, int64_t max_rate)
{
    memset(f, 0, sizeof *f);
    f->d.batch_ms = batch_ms;
    f->d.initial_rate = initial_rate;
    f->c.desc = &f->d;
    f->r.c = &f->c;
    f->s.r = &f->r;
    atomic_init(&f->s.est, rt_start_rate(batch_ms, initial_rate));
    rt_lim_init(&f->s.lim, max_rate, false);
    f->s.lim.s = &f->s;
    rt_lim_follow(&f->s.lim);
}

/* The records the limiter lets through at once: while its bucket holds a
   token, rt_lim_take takes it without looking at the clock (the burst a
   batch may take before the rate matters). */
static int64_t burst(recv_fixture *f)
{
    assert_true(f->s.lim.rate > 0);
    int64_t n = 0;
    while (f->s.lim.milli >= 1000) {
        assert_true(rt_lim_take(&f->s.lim, &f->r));
        n++;
    }
    return n;
}

static void test_initial_rate_burst(void **state)
{
    (void)state;
    recv_fixture f;
    /* the default: 10000 records at once, then 10000 a second */
    fixture(&f, 1000, 0, 0);
    assert_int_equal(f.s.lim.rate, 10000);
    assert_true(f.s.lim.est);
    assert_int_equal(burst(&f), 10000);
    /* initialRate = 600000, batch = 1s: the first batch takes 600000
       records at once (initialRate x batch), then 600000 a second */
    fixture(&f, 1000, 600000, 0);
    assert_int_equal(f.s.lim.rate, 600000);
    assert_true(f.s.lim.est);
    assert_int_equal(burst(&f), 600000);
    /* batch = 200ms: 120000 at once; the default would take 10000 */
    fixture(&f, 200, 600000, 0);
    assert_int_equal(f.s.lim.rate, 600000);
    assert_int_equal(burst(&f), 120000);
    fixture(&f, 200, 0, 0);
    assert_int_equal(burst(&f), 10000);
    /* a maxRate above initialRate: initialRate rules */
    fixture(&f, 1000, 600000, 1000000);
    assert_int_equal(f.s.lim.rate, 600000);
    assert_int_equal(burst(&f), 600000);
    /* a maxRate below it: maxRate rules (its own one-second bucket, which
       starts with one token), the estimate is not in force */
    fixture(&f, 1000, 600000, 5000);
    assert_int_equal(f.s.lim.rate, 5000);
    assert_false(f.s.lim.est);
    assert_int_equal(f.s.lim.cap, INT64_C(5000) * 1000);
    assert_int_equal(burst(&f), 1);
}

static void test_initial_rate_then_estimator(void **state)
{
    (void)state;
    recv_fixture f;
    fixture(&f, 1000, 600000, 0);
    rt_pid_init(&f.s.pid, 1000);
    int64_t est = atomic_load(&f.s.est);
    /* the first batch used all it could: with initialRate the rate stays
       (the estimator has no rate after one batch) */
    est = rt_rate_after_batch(&f.s.pid, &f.s.pid_on, est, 1000, 600000, 500, 0, 1000, 600000);
    assert_int_equal(est, 600000);
    assert_false(f.s.pid_on);
    /* a batch with no records changes nothing either */
    est = rt_rate_after_batch(&f.s.pid, &f.s.pid_on, est, 2000, 0, 0, 0, 1000, 600000);
    assert_int_equal(est, 600000);
    /* the second measured batch: the estimator's rate rules from now on:
       600000 in 500 ms was 1.2M/s, 600000 in 800 ms is 750000/s: error
       450000, new rate 750000 (+1, rounding up) */
    est = rt_rate_after_batch(&f.s.pid, &f.s.pid_on, est, 3000, 600000, 800, 0, 1000, 600000);
    assert_int_equal(est, 750001);
    assert_true(f.s.pid_on);
    atomic_store(&f.s.est, est);
    rt_lim_follow(&f.s.lim);
    assert_int_equal(f.s.lim.rate, 750001);
    assert_int_equal(f.s.lim.cap, INT64_C(750001) * 1000);
    /* and as today: a light batch (under half the interval, no delay)
       doubles the rate; a slow one takes the estimate (300000 records in
       1500 ms with 500 ms of delay: 200000/s, less 0.2 x 100000) */
    est = rt_rate_after_batch(&f.s.pid, &f.s.pid_on, est, 4000, 700000, 400, 0, 1000, 600000);
    assert_int_equal(est, 1500002);
    est = rt_rate_after_batch(&f.s.pid, &f.s.pid_on, est, 5000, 300000, 1500, 500, 1000, 600000);
    assert_int_equal(est, 180001);
    atomic_store(&f.s.est, est);
    rt_lim_follow(&f.s.lim);
    assert_int_equal(f.s.lim.rate, 180001);
}

static void test_slow_start_doubles(void **state)
{
    (void)state;
    /* without initialRate, until the estimator has a rate: doubled after
       a batch that used half of its batch's worth or more */
    rt_pid p;
    rt_pid_init(&p, 1000);
    bool on = false;
    int64_t est = rt_start_rate(1000, 0);
    est = rt_rate_after_batch(&p, &on, est, 1000, 4999, 0, 0, 1000, 0);
    assert_int_equal(est, 10000);
    est = rt_rate_after_batch(&p, &on, est, 2000, 5000, 0, 0, 1000, 0);
    assert_int_equal(est, 20000);
    est = rt_rate_after_batch(&p, &on, est, 3000, 20000, 100, 0, 1000, 0);
    assert_int_equal(est, 40000);   /* the estimator's first measured batch: no rate yet */
    assert_false(on);
    /* the same batches with initialRate = 10000: no doubling */
    rt_pid_init(&p, 1000);
    est = rt_start_rate(1000, 10000);
    est = rt_rate_after_batch(&p, &on, est, 1000, 10000, 0, 0, 1000, 10000);
    est = rt_rate_after_batch(&p, &on, est, 2000, 10000, 100, 0, 1000, 10000);
    assert_int_equal(est, 10000);
    assert_false(on);
}

static void load(rt_vsrc *v, const char *text)
{
    size_t n = strlen(text);
    char *t = malloc(n + 1);
    memcpy(t, text, n + 1);
    memset(v, 0, sizeof *v);
    rt_vsrc_replay(v, t, n, "g.replay", false, 1000, 1000, NULL, NULL, NULL);
}

static void test_replay_gaps(void **state)
{
    (void)state;
    rt_vsrc vs[2];
    const char *files[2] = { "g.replay", NULL };
    size_t lens[2];
    const char *text = "0\ta\n9000\tb\n1000\tc\n";   /* batches 1, 10, 2 */
    load(&vs[0], text);
    lens[0] = strlen(text);
    /* 7 empty batches (3..9) before the record at 9000 ms */
    assert_int_equal(rt_replay_check_gaps(NULL, vs, 1, files, lens, 1000, 1, INT64_MAX, 7), 0);
    assert_int_equal(rt_replay_check_gaps(NULL, vs, 1, files, lens, 1000, 1, INT64_MAX, 6), -1);
    /* not reached (--batches 9), or resumed after it */
    assert_int_equal(rt_replay_check_gaps(NULL, vs, 1, files, lens, 1000, 1, 9, 0), 0);
    assert_int_equal(rt_replay_check_gaps(NULL, vs, 1, files, lens, 1000, 10, INT64_MAX, 0), 0);
    /* before the first record: batch 1 of a file starting at 5000 ms */
    rt_vsrc_free(&vs[0]);
    load(&vs[0], "5000\tx\n");
    lens[0] = 7;
    assert_int_equal(rt_replay_check_gaps(NULL, vs, 1, files, lens, 1000, 1, INT64_MAX, 4), -1);
    assert_int_equal(rt_replay_check_gaps(NULL, vs, 1, files, lens, 1000, 1, INT64_MAX, 5), 0);
    /* a paced rate source fills the batches up to its last record */
    memset(&vs[1], 0, sizeof vs[1]);
    rt_vsrc_rate(&vs[1], 10, 1000, 1000);
    assert_int_equal(rt_replay_check_gaps(NULL, vs, 2, files, lens, 1000, 1, INT64_MAX, 0), 0);
    rt_vsrc_free(&vs[0]);
    rt_vsrc_free(&vs[1]);
    /* the line found for a batch */
    int64_t off = -1;
    assert_int_equal(rt_vsrc_line_of_batch(text, strlen(text), 1000, 10, &off), 2);
    assert_int_equal(off, 9000);
    assert_int_equal(rt_vsrc_line_of_batch(text, strlen(text), 1000, 5, &off), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_held_limit),
        cmocka_unit_test(test_pid_steps),
        cmocka_unit_test(test_pid_converges),
        cmocka_unit_test(test_start_rate),
        cmocka_unit_test(test_initial_rate_burst),
        cmocka_unit_test(test_initial_rate_then_estimator),
        cmocka_unit_test(test_slow_start_doubles),
        cmocka_unit_test(test_replay_gaps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
