/* redis/conn.c: a blocking hiredis connection (conn.h). */
#include "conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

int rc_addr(rconn *r, const char *addr)
{
    const char *a = addr ? addr : "";
    const char *colon = NULL, *end;
    if (a[0] == '[') {
        const char *rb = strchr(a, ']');
        if (!rb || (rb[1] != '\0' && rb[1] != ':')) {
            snprintf(r->err, sizeof r->err, "malformed Redis address '%s' (expected HOST:PORT)", a);
            return -1;
        }
        end = rb;
        a++;
        colon = rb[1] == ':' ? rb + 1 : NULL;
    } else {
        colon = strrchr(a, ':');
        end = colon ? colon : a + strlen(a);
    }
    size_t hn = (size_t)(end - a);
    long port = 6379;
    if (colon) {
        char *e;
        port = strtol(colon + 1, &e, 10);
        if (e == colon + 1 || *e != '\0' || port < 1 || port > 65535)
            port = -1;
    }
    if (hn == 0 || hn >= sizeof r->host || port < 0) {
        snprintf(r->err, sizeof r->err, "malformed Redis address '%s' (expected HOST:PORT)", addr ? addr : "");
        return -1;
    }
    memcpy(r->host, a, hn);
    r->host[hn] = '\0';
    r->port = (int)port;
    return 0;
}

void rc_close(rconn *r)
{
    if (r->c)
        redisFree(r->c);
    r->c = NULL;
}

int rc_connect(rconn *r)
{
    rc_close(r);
    struct timeval tv = { RC_CONNECT_MS / 1000, (RC_CONNECT_MS % 1000) * 1000 };
    redisContext *c = redisConnectWithTimeout(r->host, r->port, tv);
    if (!c) {
        snprintf(r->err, sizeof r->err, "out of memory");
        return -1;
    }
    if (c->err) {
        snprintf(r->err, sizeof r->err, "%s", c->errstr);
        redisFree(c);
        return -1;
    }
    struct timeval rt = { RC_REPLY_MS / 1000, (RC_REPLY_MS % 1000) * 1000 };
    if (redisSetTimeout(c, rt) != REDIS_OK || redisEnableKeepAlive(c) != REDIS_OK) {
        snprintf(r->err, sizeof r->err, "%s", c->errstr[0] ? c->errstr : "cannot set socket options");
        redisFree(c);
        return -1;
    }
    r->c = c;
    return 0;
}

redisReply *rc_cmd(rconn *r, int argc, const char *const *argv, const size_t *len)
{
    if (!r->c) {
        snprintf(r->err, sizeof r->err, "not connected");
        return NULL;
    }
    redisReply *rep = redisCommandArgv(r->c, argc, (const char **)argv, len);
    if (!rep) {
        snprintf(r->err, sizeof r->err, "%s", r->c->errstr[0] ? r->c->errstr : "connection lost");
        rc_close(r);
    }
    return rep;
}

static int lens(int argc, const char *const *argv, size_t *len)
{
    if (argc > 16)
        return -1;
    for (int i = 0; i < argc; i++)
        len[i] = strlen(argv[i]);
    return 0;
}

redisReply *rc_cmdv(rconn *r, int argc, const char *const *argv)
{
    size_t len[16];
    return lens(argc, argv, len) ? NULL : rc_cmd(r, argc, argv, len);
}

redisReply *rc_cmd_again(rconn *r, int argc, const char *const *argv, const size_t *len)
{
    bool had = r->c != NULL;
    if (!had && rc_connect(r) != 0)
        return NULL;
    redisReply *rep = rc_cmd(r, argc, argv, len);
    if (!rep && had && rc_connect(r) == 0)
        rep = rc_cmd(r, argc, argv, len);
    return rep;
}

redisReply *rc_cmdv_again(rconn *r, int argc, const char *const *argv)
{
    size_t len[16];
    return lens(argc, argv, len) ? NULL : rc_cmd_again(r, argc, argv, len);
}

bool rc_is_error(const redisReply *reply, const char *prefix)
{
    return reply && reply->type == REDIS_REPLY_ERROR && reply->str &&
           strncmp(reply->str, prefix, strlen(prefix)) == 0;
}
