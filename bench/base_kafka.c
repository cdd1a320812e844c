/* base_kafka.c: the baseline of issue 13's throughput goal: a plain
 * librdkafka consumer loop.
 *
 *   base_kafka BROKERS TOPIC [EXPECTED] [-X key=value]...
 *
 * Reads the end offsets (high watermarks) of every partition of TOPIC,
 * assigns all partitions from the beginning (no group subscription, no
 * commits), and polls (rd_kafka_consumer_poll) until every partition has
 * been read up to its end offset, counting records and bytes (key + value).
 * Fails (exit 1) on a consume error, when a partition's count differs from
 * its offset range, when the log no longer starts at offset 0 (the mock
 * cluster keeps at most 5 MiB per partition: older records are deleted),
 * or when the total differs from EXPECTED. Prints
 *   "base_kafka: N records, B bytes, P partitions in S s: R records/s, M MB/s"
 * timed from the assignment to the last record. -X passes consumer
 * settings through (defaults are librdkafka's).
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

#define set(conf, k, v) conf_set("base_kafka", conf, k, v)

int main(int argc, char **argv)
{
    const char *brokers = NULL, *topic = NULL;
    long expected = -1;
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set(conf, "group.id", "base_kafka");
    set(conf, "enable.auto.commit", "false");
    set(conf, "enable.auto.offset.store", "false");
    set(conf, "enable.partition.eof", "false");
    int pos = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-X") && i + 1 < argc) {
            char *kv = argv[++i], *eq = strchr(kv, '=');
            if (!eq) {
                fprintf(stderr, "base_kafka: -X wants key=value\n");
                return 2;
            }
            *eq = 0;
            set(conf, kv, eq + 1);
        } else if (pos == 0) {
            brokers = argv[i], pos++;
        } else if (pos == 1) {
            topic = argv[i], pos++;
        } else if (pos == 2) {
            expected = atol(argv[i]), pos++;
        } else {
            pos = 9;
        }
    }
    if (pos < 2 || pos > 3) {
        fprintf(stderr, "usage: base_kafka BROKERS TOPIC [EXPECTED] [-X key=value]...\n");
        return 2;
    }
    set(conf, "bootstrap.servers", brokers);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "base_kafka: %s\n", err);
        return 2;
    }
    rd_kafka_poll_set_consumer(rk);

    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    const rd_kafka_metadata_t *md;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
    if (e || md->topic_cnt != 1 || md->topics[0].err || md->topics[0].partition_cnt < 1) {
        fprintf(stderr, "base_kafka: topic %s: %s\n", topic,
                rd_kafka_err2str(e ? e : md->topic_cnt == 1 ? md->topics[0].err : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC));
        return 1;
    }
    int parts = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);

    int64_t *hi = calloc((size_t)parts, sizeof *hi), *seen = calloc((size_t)parts, sizeof *seen);
    if (!hi || !seen)
        return 1;
    rd_kafka_topic_partition_list_t *tp = rd_kafka_topic_partition_list_new(parts);
    long total = 0;
    int left = 0;
    for (int p = 0; p < parts; p++) {
        int64_t lo;
        e = rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi[p], 10000);
        if (e) {
            fprintf(stderr, "base_kafka: %s [%d]: watermarks: %s\n", topic, p, rd_kafka_err2str(e));
            return 1;
        }
        if (lo != 0) {
            fprintf(stderr, "base_kafka: %s [%d] starts at offset %lld, not 0: records were "
                            "deleted (the mock keeps 5 MiB per partition: use more partitions)\n",
                    topic, p, (long long)lo);
            return 1;
        }
        total += (long)hi[p];
        if (hi[p] > 0)
            left++;
        rd_kafka_topic_partition_list_add(tp, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    }
    if (expected >= 0 && total != expected) {
        fprintf(stderr, "base_kafka: %s holds %ld records, expected %ld\n", topic, total, expected);
        return 1;
    }

    double t0 = now_s(), last = t0;
    if ((e = rd_kafka_assign(rk, tp)) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, "base_kafka: assign: %s\n", rd_kafka_err2str(e));
        return 1;
    }
    rd_kafka_topic_partition_list_destroy(tp);
    long records = 0;
    long long bytes = 0;
    while (left > 0) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 1000);
        if (!m) {
            if (now_s() - last > 30) {
                fprintf(stderr, "base_kafka: nothing for 30 s, %ld of %ld records read\n", records, total);
                return 1;
            }
            continue;
        }
        if (m->err) {
            fprintf(stderr, "base_kafka: consume: %s\n", rd_kafka_message_errstr(m));
            return 1;
        }
        int p = m->partition;
        records++;
        bytes += (long long)(m->len + m->key_len);
        if (++seen[p] == hi[p])
            left--;
        if (m->offset + 1 != seen[p]) {
            fprintf(stderr, "base_kafka: %s [%d]: offset %lld as record %lld\n", topic, p,
                    (long long)m->offset, (long long)seen[p]);
            return 1;
        }
        rd_kafka_message_destroy(m);
        if ((records & 65535) == 0)
            last = now_s();
    }
    double t = now_s() - t0;
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    free(hi);
    free(seen);
    printf("base_kafka: %ld records, %lld bytes, %d partitions in %.3f s: %.0f records/s, %.1f MB/s\n",
           records, bytes, parts, t, (double)records / t, (double)bytes / t / 1e6);
    return 0;
}
