/* sinks/kafka.c: saveToKafka("BROKERS", "TOPIC"): each batch's rows
 * produced to TOPIC, strings as values, pairs as key and value (their
 * printed forms), by an idempotent producer. A batch is done only when
 * every record of it is acknowledged; a delivery error (or a record not
 * acknowledged within message.timeout.ms) fails the write, and the engine
 * writes the batch again (st_sink.h): records are never dropped, but a
 * batch written again after a failure or a crash may be in the topic
 * twice (at-least-once). */
#include "../st_sink.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KFLUSH_MS 100

typedef struct ksink {
    rd_kafka_t *rk;
    rd_kafka_topic_t *rkt;
    const char *topic;
    /* delivery reports of the running write (its thread alone polls) */
    size_t failed;
    rd_kafka_resp_err_t first_err;
} ksink;

static void quiet_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk, (void)level, (void)fac, (void)buf;
}

static void delivered(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    ksink *k = opaque;
    if (m->err) {
        if (k->failed++ == 0)
            k->first_err = m->err;
    }
}

static int open_(st_sink_h *h)
{
    const char *brokers = st_sink_arg(h, 0), *topic = st_sink_arg(h, 1);
    char err[512];
    ksink *k = calloc(1, sizeof *k);
    if (!k) {
        st_sink_error(h, "out of memory");
        return -1;
    }
    st_sink_set_state(h, k);
    k->topic = topic;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    struct { const char *k, *v; } set[] = {
        { "bootstrap.servers", brokers ? brokers : "" },
        { "enable.idempotence", "true" },
        { "acks", "all" },
        { "linger.ms", "5" },
        { "message.timeout.ms", "10000" },
        { "reconnect.backoff.ms", "50" },
        { "reconnect.backoff.max.ms", "1000" },
    };
    for (size_t i = 0; i < sizeof set / sizeof *set; i++)
        if (rd_kafka_conf_set(conf, set[i].k, set[i].v, err, sizeof err) != RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(conf);
            st_sink_error(h, "%s", err);
            return -1;
        }
    rd_kafka_conf_set_log_cb(conf, quiet_log);
    rd_kafka_conf_set_dr_msg_cb(conf, delivered);
    rd_kafka_conf_set_opaque(conf, k);
    k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!k->rk) {
        rd_kafka_conf_destroy(conf);
        st_sink_error(h, "%s", err);
        return -1;
    }
    k->rkt = rd_kafka_topic_new(k->rk, topic, NULL);
    return 0;
}

/* Produces one record, waiting while the producer's queue is full;
   false when stopped. */
static bool produce(st_sink_h *h, ksink *k, const st_row *r)
{
    const char *key = r->n >= 2 ? r->s[0] : NULL, *val = r->n >= 2 ? r->s[1] : r->n == 1 ? r->s[0] : "";
    size_t kn = r->n >= 2 ? r->len[0] : 0, vn = r->n >= 2 ? r->len[1] : r->n == 1 ? r->len[0] : 0;
    for (;;) {
        if (rd_kafka_produce(k->rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, (void *)val, vn, key, kn,
                             NULL) == 0)
            return true;
        rd_kafka_resp_err_t e = rd_kafka_last_error();
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            if (k->failed++ == 0)
                k->first_err = e;
            return true;
        }
        if (st_sink_stopped(h))
            return false;
        rd_kafka_poll(k->rk, 10);
    }
}

static int write_(st_sink_h *h, int64_t batch_ms, const st_row *rows, size_t n)
{
    (void)batch_ms;
    ksink *k = st_sink_state(h);
    k->failed = 0;
    k->first_err = RD_KAFKA_RESP_ERR_NO_ERROR;
    for (size_t i = 0; i < n; i++) {
        if (!produce(h, k, &rows[i])) {
            st_sink_error(h, "stopped while writing to topic '%s'", k->topic);
            return -1;
        }
        if ((i & 1023) == 1023)
            rd_kafka_poll(k->rk, 0);
    }
    /* done when every record is acknowledged (or has failed) */
    while (rd_kafka_outq_len(k->rk) > 0) {
        rd_kafka_flush(k->rk, KFLUSH_MS);
        if (rd_kafka_outq_len(k->rk) > 0 && st_sink_stopped(h)) {
            st_sink_error(h, "stopped before topic '%s' acknowledged the batch's records", k->topic);
            return -1;
        }
    }
    if (k->failed) {
        st_sink_error(h, "%zu of %zu records were not delivered to topic '%s': %s", k->failed, n, k->topic,
                      rd_kafka_err2str(k->first_err));
        return -1;
    }
    return 0;
}

static void close_(st_sink_h *h)
{
    ksink *k = st_sink_state(h);
    if (!k)
        return;
    if (k->rk) {
        rd_kafka_flush(k->rk, 1000);
        if (k->rkt)
            rd_kafka_topic_destroy(k->rkt);
        rd_kafka_destroy(k->rk);
    }
    free(k);
    st_sink_set_state(h, NULL);
}

const st_sink st_sink_kafka = { .open = open_, .write = write_, .close = close_ };
