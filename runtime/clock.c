/* clock.c: the two clocks of the runtime. Sleeping and measuring use the
 * monotonic clock; only batch times (which Spark prints as epoch ms) come
 * from the wall clock.
 * Must not: be used by replay, which runs on the virtual clock alone. */
#include "rt_internal.h"

#include <time.h>

int64_t rt_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t rt_epoch_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* currentTimeMillis(): the wall clock in epoch ms, as Java's */
int64_t st_wall_ms(void) { return rt_epoch_ms(); }

int64_t rt_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}
