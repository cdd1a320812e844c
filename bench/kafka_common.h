/* kafka_common.h: pieces shared by bench/kafka_fill.c and bench/base_kafka.c:
 * a monotonic clock in seconds and a configuration setter that exits on a
 * bad setting. */
#ifndef KAFKA_COMMON_H
#define KAFKA_COMMON_H

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Sets K=V on conf; on an unknown key or a bad value prints "PROG: why"
 * and exits 2. */
static inline void conf_set(const char *prog, rd_kafka_conf_t *conf, const char *k, const char *v)
{
    char err[512];
    if (rd_kafka_conf_set(conf, k, v, err, sizeof err) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "%s: %s\n", prog, err);
        exit(2);
    }
}

/* Delivery reports of a producer (kafka_fill, ysb_produce): the records
 * acknowledged and failed; the first five failures are printed as "PROG:
 * delivery failed: why" (PROG is the configuration's opaque). Set with
 * rd_kafka_conf_set_dr_msg_cb(conf, kc_on_delivery) and
 * rd_kafka_conf_set_opaque(conf, "PROG"). */
static long kc_delivered, kc_failed;

static inline void kc_on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    if (m->err) {
        if (kc_failed++ < 5)
            fprintf(stderr, "%s: delivery failed: %s\n", (const char *)opaque, rd_kafka_err2str(m->err));
    } else {
        kc_delivered++;
    }
}

#endif
