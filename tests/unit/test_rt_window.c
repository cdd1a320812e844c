/* test_rt_window.c: the window bookkeeping of streamrt.h (st_window) on a
 * virtual clock: which pane a batch lands in, when a pane expires, when a
 * window is due, and windows applied to windowed streams. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "streamrt.h"

/* Feeds one input batch at time t the way generated code does: expire,
 * then add to the pane's slot (counting records in slot->n). */
static void feed(st_window *w, int64_t t, int64_t records)
{
    while (st_window_oldest_expired(w, t))
        st_window_drop_oldest(w);
    bool fresh;
    st_wslot *s = st_window_slot(w, t, &fresh);
    s->n += records;
}

static int64_t held(const st_window *w)
{
    int64_t n = 0;
    for (int64_t i = 0; i < w->n; i++)
        n += w->slots[i].n;
    return n;
}

static void test_gcd_and_pane_end(void **state)
{
    (void)state;
    assert_int_equal(st_gcd(30000, 10000), 10000);
    assert_int_equal(st_gcd(3600000, 1000), 1000);
    assert_int_equal(st_gcd(4000, 6000), 2000);
    st_window w;
    st_window_init(&w, 30000, 10000, st_gcd(30000, 10000));
    assert_int_equal(st_window_pane_end(&w, 1000), 10000);
    assert_int_equal(st_window_pane_end(&w, 10000), 10000);
    assert_int_equal(st_window_pane_end(&w, 10001), 20000);
    st_window_free(&w);
}

/* 30s window sliding 10s over 1s batches: panes of 10 batches; the first
 * windows are partial (10s, 20s, then 30s of input). */
static void test_panes_and_partial_windows(void **state)
{
    (void)state;
    st_window w;
    st_window_init(&w, 30000, 10000, 10000);
    int64_t seen_at_due[8] = { 0 };
    int due = 0;
    for (int64_t t = 1000; t <= 60000; t += 1000) {
        feed(&w, t, 1);
        if (st_window_due(&w, t))
            seen_at_due[due++] = held(&w);
    }
    assert_int_equal(due, 6);
    assert_int_equal(seen_at_due[0], 10); /* t=10s: (−20s, 10s] */
    assert_int_equal(seen_at_due[1], 20);
    assert_int_equal(seen_at_due[2], 30);
    assert_int_equal(seen_at_due[3], 30);
    assert_int_equal(seen_at_due[5], 30);
    assert_int_equal(w.n, 3); /* three panes, not thirty batches */
    st_window_free(&w);
}

/* Expiry: a pane ending at e leaves every window once now - win >= e. */
static void test_expiry(void **state)
{
    (void)state;
    st_window w;
    st_window_init(&w, 2000, 1000, 1000);
    feed(&w, 1000, 5);
    assert_false(st_window_oldest_expired(&w, 2000)); /* (0,2000] holds 1000 */
    assert_true(st_window_oldest_expired(&w, 3000));  /* (1000,3000] does not */
    feed(&w, 3000, 1);
    assert_int_equal(w.n, 1);
    assert_int_equal(w.slots[0].time, 3000);
    assert_int_equal(held(&w), 1);
    st_window_free(&w);
}

/* Slide longer than the window: input between windows is dropped before
 * any window sees it. */
static void test_non_overlapping(void **state)
{
    (void)state;
    st_window w;
    st_window_init(&w, 2000, 3000, 1000);
    int64_t out[4] = { 0 };
    int k = 0;
    for (int64_t t = 1000; t <= 6000; t += 1000) {
        feed(&w, t, t / 1000); /* batch t holds t/1000 records */
        if (st_window_due(&w, t))
            out[k++] = held(&w);
    }
    assert_int_equal(k, 2);
    assert_int_equal(out[0], 2 + 3); /* (1s, 3s] */
    assert_int_equal(out[1], 5 + 6); /* (4s, 6s] */
    st_window_free(&w);
}

/* A window of a windowed stream: the inner one emits every 2s, so the
 * outer sees input only at even times, one slot per inner output. */
static void test_window_of_window(void **state)
{
    (void)state;
    st_window inner, outer;
    st_window_init(&inner, 4000, 2000, 1000);
    st_window_init(&outer, 6000, 2000, 2000);
    int64_t outs[8];
    int k = 0;
    for (int64_t t = 1000; t <= 8000; t += 1000) {
        feed(&inner, t, 1);
        if (!st_window_due(&inner, t))
            continue;
        feed(&outer, t, held(&inner)); /* the inner window's output */
        if (st_window_due(&outer, t))
            outs[k++] = held(&outer);
    }
    assert_int_equal(k, 4);
    assert_int_equal(outs[0], 2);         /* t=2: inner 2 */
    assert_int_equal(outs[1], 2 + 4);     /* t=4: inner 2, 4 */
    assert_int_equal(outs[2], 2 + 4 + 4); /* t=6 */
    assert_int_equal(outs[3], 4 + 4 + 4); /* t=8: inner at 4, 6, 8 */
    st_window_free(&inner);
    st_window_free(&outer);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gcd_and_pane_end),
        cmocka_unit_test(test_panes_and_partial_windows),
        cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_non_overlapping),
        cmocka_unit_test(test_window_of_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
