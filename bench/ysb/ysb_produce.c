/* ysb_produce.c: the Yahoo Streaming Benchmark's event producer and ad
 * table, for examples/ysb and bench/ysb.
 *
 *   ysb_produce ads
 *       prints the ad -> campaign pairs as Redis commands, one per line
 *       (`SET <ad_id> <campaign_id>`), for `redis-cli` to read: YSB keeps
 *       its ad table in Redis the same way (1000 ads, 100 campaigns;
 *       bench/ysb_ads.h)
 *   ysb_produce BROKERS TOPIC RATE SECONDS [EXPECTED]
 *       produces RATE events a second for SECONDS seconds into TOPIC (no
 *       key, round robin over the partitions), in YSB's JSON format with
 *       event_time the wall clock in milliseconds when the event is made,
 *       as YSB's generator does; paced in 1 ms steps. Waits until every
 *       event is acknowledged; prints "produced N events in S s (R/s)";
 *       exits 1 on a delivery error. Fixed seed: the same ads, users and
 *       event types every run (only event_time differs). With EXPECTED,
 *       writes there what a correct YSB job must find: one line
 *       `CAMPAIGN WINDOW_MS VIEWS` per campaign and 10 s window (the
 *       window of event_time / 10000 * 10000) that has views, sorted.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "../kafka_common.h"
#include "../ysb_ads.h"
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t seed_state = 42;
static uint64_t next_rand(void)
{
    seed_state += 0x9E3779B97F4A7C15ull;
    return ysb_mix(seed_state);
}

static long long wall_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int print_ads(void)
{
    for (int i = 0; i < YSB_NADS; i++) {
        char ad[YSB_UUID_LEN], camp[YSB_UUID_LEN];
        ysb_ad_uuid(ad, i);
        ysb_campaign_uuid(camp, i % YSB_NCAMPAIGNS);
        printf("SET %.36s %.36s\n", ad, camp);
    }
    return fflush(stdout) == 0 ? 0 : 1;
}

#define set(conf, k, v) conf_set("ysb_produce", conf, k, v)

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "ads") == 0)
        return print_ads();
    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: ysb_produce ads | ysb_produce BROKERS TOPIC RATE SECONDS [EXPECTED]\n");
        return 2;
    }
    long rate = atol(argv[3]), secs = atol(argv[4]);
    if (rate < 1 || secs < 1) {
        fprintf(stderr, "ysb_produce: RATE and SECONDS must be >= 1\n");
        return 2;
    }
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", argv[1]);
    set(conf, "linger.ms", "2");
    set(conf, "batch.num.messages", "10000");
    set(conf, "queue.buffering.max.messages", "2000000");
    set(conf, "queue.buffering.max.kbytes", "2097152");
    rd_kafka_conf_set_dr_msg_cb(conf, kc_on_delivery);
    rd_kafka_conf_set_opaque(conf, (void *)"ysb_produce");
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "ysb_produce: %s\n", err);
        return 2;
    }
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, argv[2], NULL);
    /* round robin over the partitions, as YSB's generator spreads its
       events (librdkafka's sticky partitioner would fill one partition at
       a time, past the mock cluster's retention) */
    const rd_kafka_metadata_t *md;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
    if (e || md->topic_cnt != 1 || md->topics[0].err || md->topics[0].partition_cnt < 1) {
        fprintf(stderr, "ysb_produce: topic %s: %s\n", argv[2],
                rd_kafka_err2str(e ? e : md->topic_cnt == 1 ? md->topics[0].err : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC));
        return 1;
    }
    int parts = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);

    static const char *ad_types[] = { "banner", "modal", "sponsored-search", "mail", "mobile" };
    static const char *ev_types[] = { "view", "click", "purchase" };
    char ads[YSB_NADS][YSB_UUID_LEN];
    for (int i = 0; i < YSB_NADS; i++)
        ysb_ad_uuid(ads[i], i);

    long total = rate * secs, made = 0;
    /* views per campaign per window, windows counted from the first */
    long long w0 = wall_ms() / 10000 * 10000;
    long nwin = secs / 10 + 3;
    long *views = calloc((size_t)nwin * YSB_NCAMPAIGNS, sizeof *views);
    if (!views)
        return 1;
    double t0 = now_s();
    char buf[512];
    while (made < total) {
        /* how many events should exist by now */
        double el = now_s() - t0;
        long due = (long)(el * (double)rate) + 1;
        if (due > total)
            due = total;
        long long ts = wall_ms();
        for (; made < due; made++) {
            char user[YSB_UUID_LEN], page[YSB_UUID_LEN];
            ysb_uuid(user, next_rand(), next_rand());
            ysb_uuid(page, next_rand(), next_rand());
            uint64_t r = next_rand();
            int et = (int)((r >> 24) % 3);
            if (et == 0) {
                long w = (long)((ts / 10000 * 10000 - w0) / 10000);
                if (w >= 0 && w < nwin)
                    views[w * YSB_NCAMPAIGNS + (long)((r % YSB_NADS) % YSB_NCAMPAIGNS)]++;
            }
            int n = snprintf(buf, sizeof buf,
                             "{\"user_id\": \"%.36s\", \"page_id\": \"%.36s\", \"ad_id\": \"%.36s\", "
                             "\"ad_type\": \"%s\", \"event_type\": \"%s\", \"event_time\": \"%lld\", "
                             "\"ip_address\": \"1.2.3.4\"}",
                             user, page, ads[r % YSB_NADS], ad_types[(r >> 16) % 5], ev_types[et], ts);
            while (rd_kafka_produce(rkt, (int32_t)(made % parts), RD_KAFKA_MSG_F_COPY, buf, (size_t)n, NULL, 0,
                                    NULL) != 0) {
                if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                    fprintf(stderr, "ysb_produce: %s\n", rd_kafka_err2str(rd_kafka_last_error()));
                    return 1;
                }
                rd_kafka_poll(rk, 5);
            }
        }
        rd_kafka_poll(rk, 0);
        if (made < total) {
            struct timespec d = { 0, 1000000 };
            nanosleep(&d, NULL);
        }
    }
    while (rd_kafka_outq_len(rk) > 0 && kc_failed == 0)
        rd_kafka_poll(rk, 50);
    double s = now_s() - t0;
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    if (kc_failed) {
        fprintf(stderr, "ysb_produce: %ld of %ld events not delivered\n", kc_failed, total);
        return 1;
    }
    if (argc == 6) {
        FILE *f = fopen(argv[5], "w");
        if (!f) {
            perror(argv[5]);
            return 1;
        }
        char camp[YSB_NCAMPAIGNS][YSB_UUID_LEN];
        int order[YSB_NCAMPAIGNS];
        for (int c = 0; c < YSB_NCAMPAIGNS; c++) {
            ysb_campaign_uuid(camp[c], c);
            order[c] = c;
        }
        for (int i = 1; i < YSB_NCAMPAIGNS; i++)    /* by campaign id */
            for (int j = i; j > 0 && memcmp(camp[order[j - 1]], camp[order[j]], YSB_UUID_LEN) > 0; j--) {
                int t = order[j];
                order[j] = order[j - 1];
                order[j - 1] = t;
            }
        for (int k = 0; k < YSB_NCAMPAIGNS; k++)
            for (long w = 0; w < nwin; w++)
                if (views[w * YSB_NCAMPAIGNS + order[k]])
                    fprintf(f, "%.36s %lld %ld\n", camp[order[k]], w0 + w * 10000, views[w * YSB_NCAMPAIGNS + order[k]]);
        if (fclose(f) != 0) {
            perror(argv[5]);
            return 1;
        }
    }
    free(views);
    printf("produced %ld events in %.2f s (%.0f/s)\n", kc_delivered, s, (double)kc_delivered / s);
    return 0;
}
