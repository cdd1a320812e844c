/* test_rt_flow.c: the receivers' flow control (flow.c): the hold-off
 * limit from --memory, and the rate estimator's arithmetic (Spark's
 * PIDRateEstimator semantics: proportional 1, integral 0.2, derivative 0,
 * at least 100 records/s); and the replay's bound on empty batches
 * (replay_bound.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

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
        cmocka_unit_test(test_replay_gaps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
