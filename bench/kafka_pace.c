/* kafka_pace.c: a paced producer for the latency bench (bench/kafka_bench.sh).
 *
 *   kafka_pace BROKERS TOPIC RATE SECONDS
 *
 * Produces RATE records a second for SECONDS seconds, in steps of 1 ms
 * (RATE/1000 records each), round robin over the topic's partitions; each
 * record's value is the wall-clock time it was handed to librdkafka, in
 * epoch milliseconds. Waits for every acknowledgement; exits 1 on a
 * delivery error. Prints "paced N records in S s (R records/s)". */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "kafka_common.h"
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long failed;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk, (void)opaque;
    if (m->err && failed++ < 5)
        fprintf(stderr, "kafka_pace: delivery failed: %s\n", rd_kafka_err2str(m->err));
}

static long long epoch_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: kafka_pace BROKERS TOPIC RATE SECONDS\n");
        return 2;
    }
    long rate = atol(argv[3]), secs = atol(argv[4]);
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    conf_set("kafka_pace", conf, "bootstrap.servers", argv[1]);
    conf_set("kafka_pace", conf, "linger.ms", "1");
    conf_set("kafka_pace", conf, "queue.buffering.max.messages", "1000000");
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "kafka_pace: %s\n", err);
        return 2;
    }
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, argv[2], NULL);
    const rd_kafka_metadata_t *md;
    if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) || md->topic_cnt != 1 || md->topics[0].partition_cnt < 1) {
        fprintf(stderr, "kafka_pace: no topic %s\n", argv[2]);
        return 1;
    }
    int parts = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    long total = rate * secs, sent = 0;
    double t0 = now_s();
    while (sent < total) {
        long due = (long)((now_s() - t0) * (double)rate);
        if (due > total)
            due = total;
        long long ms = epoch_ms();
        char v[24];
        int n = snprintf(v, sizeof v, "%lld", ms);
        for (; sent < due; sent++)
            while (rd_kafka_produce(rkt, (int32_t)(sent % parts), RD_KAFKA_MSG_F_COPY, v, (size_t)n, NULL, 0,
                                    NULL) != 0)
                rd_kafka_poll(rk, 1);
        rd_kafka_poll(rk, 0);
        struct timespec ts = { 0, 500000 };
        nanosleep(&ts, NULL);
    }
    rd_kafka_flush(rk, 30000);
    double dt = now_s() - t0;
    printf("kafka_pace: paced %ld records in %.2f s (%.0f records/s)\n", sent, dt, (double)sent / dt);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    return failed ? 1 : 0;
}
