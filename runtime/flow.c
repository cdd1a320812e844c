/* flow.c: the receivers' rate estimator and hold-off limit (see flow.h).
 *
 * The estimator follows the semantics of Spark's PIDRateEstimator: after
 * each batch, with r the rate in force, p = elems / processing the rate
 * the pipeline processed at, e = r - p the error, h = sched * p / batch
 * the records the scheduling delay left waiting, expressed per second, and
 * d the change of e per second since the last update, the new rate is
 * max(r - kp*e - ki*h - kd*d, min_rate). The first measured batch only
 * sets r = p. */
#include "flow.h"

int64_t rt_held_limit(int64_t memory_budget)
{
    int64_t h = memory_budget > INT64_MAX / 2 ? INT64_MAX : 2 * memory_budget;
    return h < RT_HELD_MIN ? RT_HELD_MIN : h;
}

void rt_pid_init(rt_pid *p, int64_t batch_ms)
{
    p->batch_ms = batch_ms > 0 ? (double)batch_ms : 1.0;
    p->kp = 1.0;
    p->ki = 0.2;
    p->kd = 0.0;
    p->min_rate = 100.0;
    p->first = true;
    p->last_time = INT64_MIN;
    p->last_rate = -1.0;
    p->last_error = 0.0;
}

double rt_pid_update(rt_pid *p, int64_t time_ms, int64_t elems, int64_t processing_ms,
                     int64_t sched_ms)
{
    if (time_ms <= p->last_time || elems <= 0 || processing_ms <= 0)
        return -1.0;
    double since = p->last_time == INT64_MIN ? 1.0 : (double)(time_ms - p->last_time) / 1000.0;
    double proc_rate = (double)elems / (double)processing_ms * 1000.0;
    p->last_time = time_ms;
    if (p->first) {
        p->first = false;
        p->last_rate = proc_rate;
        p->last_error = 0.0;
        return -1.0;
    }
    double err = p->last_rate - proc_rate;
    double hist = (double)(sched_ms > 0 ? sched_ms : 0) * proc_rate / p->batch_ms;
    double derr = (err - p->last_error) / since;
    double rate = p->last_rate - p->kp * err - p->ki * hist - p->kd * derr;
    if (rate < p->min_rate)
        rate = p->min_rate;
    p->last_rate = rate;
    p->last_error = err;
    return rate;
}

void rt_pid_rate_set(rt_pid *p, double rate)
{
    if (!p->first)
        p->last_rate = rate;
}

int64_t rt_start_rate(int64_t batch_ms, int64_t initial_rate)
{
    if (initial_rate > 0)   /* at most 10^9, as the limiter takes a configured rate */
        return initial_rate < INT64_C(1000000000) ? initial_rate : INT64_C(1000000000);
    int64_t e0 = batch_ms > 0 ? RT_INITIAL_BATCH_RECORDS * 1000 / batch_ms : RT_INITIAL_BATCH_RECORDS;
    return e0 > 0 ? e0 : 1;
}

int64_t rt_rate_after_batch(rt_pid *p, bool *pid_on, int64_t est, int64_t time_ms, int64_t elems,
                            int64_t processing_ms, int64_t delay_ms, int64_t batch_ms,
                            int64_t initial_rate)
{
    /* A batch that took under half its interval and waited for nothing
       says only that the pipeline keeps up: its processing time is mostly
       fixed costs, and the rate it implies would throttle the next burst
       for nothing. The rate in force then doubles instead (up to what the
       source's configuration allows). */
    if (*pid_on && delay_ms <= 0 && 2 * processing_ms < batch_ms) {
        if (est >= INT64_C(1000000000000000))
            return est;
        rt_pid_rate_set(p, (double)(2 * est));
        return 2 * est;
    }
    double rate = rt_pid_update(p, time_ms, elems, processing_ms, delay_ms);
    if (rate > 0) {
        *pid_on = true;
        return rate >= 1e15 ? (int64_t)1e15 : (int64_t)rate + 1;
    }
    /* slow start: double what a batch may take once it is used */
    if (!*pid_on && initial_rate <= 0 && est < INT64_C(1000000000000) && 2 * elems * 1000 >= est * batch_ms)
        return 2 * est;
    return est;
}
