/* flow.h: flow control of the real-time receivers (flow.c).
 *
 * Two mechanisms, as docs/language.md §12.2 describes:
 * - a rate estimator per source, a PID controller on the batches'
 *   processing time and scheduling delay with the semantics of Spark's
 *   backpressure (spark.streaming.backpressure.enabled): it sets the
 *   records per second a receiver takes so that a batch holds what the
 *   pipeline processes in one batch interval;
 * - a hard limit on the bytes a context holds of records received and not
 *   yet processed (rt_held_limit), which the receivers never pass by more
 *   than one record, whatever the estimate says. */
#ifndef RT_FLOW_H
#define RT_FLOW_H

#include <stdbool.h>
#include <stdint.h>

/* Accounted size of a received record: its bytes plus RT_REC_OVERHEAD (its
   offset and length in the block, its slice when its batch is loaded). An
   int record (rate) counts RT_REC_OVERHEAD alone. */
#define RT_REC_OVERHEAD 32
/* The smallest hold-off limit, whatever --memory says. */
#define RT_HELD_MIN ((int64_t)4 << 20)

/* The hold-off limit of a context given the --memory budget (bytes of
   blocks kept in memory before the DISK levels spill): twice the budget,
   at least RT_HELD_MIN. Half for the batch that runs, half for what is
   received meanwhile. */
int64_t rt_held_limit(int64_t memory_budget);

/* Until its estimator has a rate, a receiver takes at most this many
   records per batch interval, doubled after each batch that used half of
   it or more (a slow start, as TCP's: Spark would take the first batch
   unbounded, or at spark.streaming.backpressure.initialRate). */
#define RT_INITIAL_BATCH_RECORDS 10000

/* The rate (records/s) a receiver starts at, before its estimator has
   one: the context's initialRate when it has one (> 0; at most 10^9), as
   Spark's spark.streaming.backpressure.initialRate; otherwise the slow start's
   RT_INITIAL_BATCH_RECORDS per batch interval (at least 1). */
int64_t rt_start_rate(int64_t batch_ms, int64_t initial_rate);

/* Spark's PIDRateEstimator, in records per second. */
typedef struct rt_pid {
    double batch_ms;
    double kp, ki, kd, min_rate;
    bool first;
    int64_t last_time;       /* batch completion time of the last update (ms) */
    double last_rate, last_error;
} rt_pid;

/* Spark's defaults: proportional 1.0, integral 0.2, derivative 0.0,
   minimum 100 records/s. */
void rt_pid_init(rt_pid *p, int64_t batch_ms);
/* One batch completed at time_ms (epoch ms, increasing) with elems records
   of the source, processing_ms of processing and sched_ms of scheduling
   delay. Returns the new rate (>= min_rate), or -1 when there is none yet
   (the first batch, or a batch with no records or no measurable
   processing time, or a time not after the last). */
double rt_pid_update(rt_pid *p, int64_t time_ms, int64_t elems, int64_t processing_ms,
                     int64_t sched_ms);
/* The rate in force was changed from outside (an unloaded batch raised
   it): the next update starts from it. */
void rt_pid_rate_set(rt_pid *p, double rate);

/* A source's rate after a batch (the scheduler's step, docs/language.md
   §12.2): est is the rate in force (records/s), *pid_on whether the
   estimator p has given a rate; the batch completed at time_ms with elems
   records of the source, processing_ms of processing and delay_ms of
   scheduling delay. Returns the new rate in force:
   - once the estimator has a rate, a batch that took under half its
     interval and waited for nothing doubles it; any other, the estimate;
   - before, the estimate as soon as there is one (*pid_on becomes true);
     until then, without an initialRate (initial_rate 0) the slow start
     doubles the rate after a batch that used half of its batch's worth or
     more, and with one the rate stays est. */
int64_t rt_rate_after_batch(rt_pid *p, bool *pid_on, int64_t est, int64_t time_ms, int64_t elems,
                            int64_t processing_ms, int64_t delay_ms, int64_t batch_ms,
                            int64_t initial_rate);

#endif
