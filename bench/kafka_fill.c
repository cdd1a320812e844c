/* kafka_fill.c: fills a Kafka topic fast, for bench/kafka_baseline.sh.
 *
 *   kafka_fill BROKERS TOPIC N [SIZE]
 *
 * Produces N records without key, record i (from 0) being its number in
 * ten digits padded with '.' to SIZE bytes (default 100, the record size of
 * the Spark Streaming paper), round robin over the topic's partitions.
 * Waits until every record is acknowledged; exits 1 on any delivery error.
 * Prints "filled N records, B bytes, P partitions in S s (R records/s)".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "kafka_common.h"
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define set(conf, k, v) conf_set("kafka_fill", conf, k, v)

int main(int argc, char **argv)
{
    if (argc < 4 || argc > 5) {
        fprintf(stderr, "usage: kafka_fill BROKERS TOPIC N [SIZE]\n");
        return 2;
    }
    long n = atol(argv[3]);
    int size = argc > 4 ? atoi(argv[4]) : 100;
    if (n < 0 || size < 10 || size > 1000000) {
        fprintf(stderr, "kafka_fill: N >= 0, 10 <= SIZE <= 1000000\n");
        return 2;
    }
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", argv[1]);
    set(conf, "linger.ms", "5");
    set(conf, "batch.num.messages", "10000");
    set(conf, "queue.buffering.max.messages", "1000000");
    set(conf, "queue.buffering.max.kbytes", "1048576");
    rd_kafka_conf_set_dr_msg_cb(conf, kc_on_delivery);
    rd_kafka_conf_set_opaque(conf, (void *)"kafka_fill");
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "kafka_fill: %s\n", err);
        return 2;
    }
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, argv[2], NULL);
    const rd_kafka_metadata_t *md;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
    if (e || md->topic_cnt != 1 || md->topics[0].err || md->topics[0].partition_cnt < 1) {
        fprintf(stderr, "kafka_fill: topic %s: %s\n", argv[2],
                rd_kafka_err2str(e ? e : md->topic_cnt == 1 ? md->topics[0].err : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC));
        return 1;
    }
    int parts = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);

    char *buf = malloc((size_t)size + 1);
    if (!buf)
        return 1;
    memset(buf, '.', (size_t)size);
    double t0 = now_s();
    for (long i = 0; i < n; i++) {
        char num[24];
        snprintf(num, sizeof num, "%010ld", i);
        memcpy(buf, num, 10);
        while (rd_kafka_produce(rkt, (int32_t)(i % parts), RD_KAFKA_MSG_F_COPY, buf, (size_t)size,
                                NULL, 0, NULL) != 0) {
            if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                fprintf(stderr, "kafka_fill: produce: %s\n", rd_kafka_err2str(rd_kafka_last_error()));
                return 1;
            }
            rd_kafka_poll(rk, 10);
        }
        if ((i & 1023) == 0)
            rd_kafka_poll(rk, 0);
    }
    if (rd_kafka_flush(rk, 120000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, "kafka_fill: not every record acknowledged within 120 s\n");
        return 1;
    }
    double t = now_s() - t0;
    free(buf);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    if (kc_failed || kc_delivered != n) {
        fprintf(stderr, "kafka_fill: %ld delivered, %ld failed, of %ld\n", kc_delivered, kc_failed, n);
        return 1;
    }
    printf("filled %ld records, %ld bytes, %d partitions in %.2f s (%.0f records/s)\n", n,
           n * (long)size, parts, t, t > 0 ? (double)n / t : 0.0);
    return 0;
}
