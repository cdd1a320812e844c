/* redis/conn.h: one blocking hiredis connection as the Redis kinds use it
 * (sources/redis.c, sinks/redis.c, tables/redis.c; all in
 * build/libstreamrt_hiredis.a). An address is "HOST:PORT" (PORT defaults
 * to 6379; "[V6ADDR]:PORT" for IPv6). A connection is used by one thread
 * at a time. Any error that leaves the connection unusable (refused,
 * reset, timed out, a protocol error) closes it: the caller reconnects
 * with rc_connect. */
#ifndef REDIS_CONN_H
#define REDIS_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

/* a connect gives up after this long; a command's reply after RC_REPLY_MS */
#define RC_CONNECT_MS 2000
#define RC_REPLY_MS 15000

typedef struct rconn {
    redisContext *c;       /* NULL while not connected */
    char host[256];
    int port;
    char err[256];         /* why the last connect or command failed */
} rconn;

/* Parses addr into r (host, port); -1 with r->err set when malformed. */
int rc_addr(rconn *r, const char *addr);
/* Connects to r->host:r->port (closing any connection first); 0 or -1
   with r->err. */
int rc_connect(rconn *r);
void rc_close(rconn *r);
/* Sends one command and waits for its reply: NULL when the connection
   failed (r->err set, the connection closed). A Redis error is a reply
   (REDIS_REPLY_ERROR), not NULL. The caller frees it (freeReplyObject). */
redisReply *rc_cmd(rconn *r, int argc, const char *const *argv, const size_t *len);
/* rc_cmd with NUL-terminated arguments. */
redisReply *rc_cmdv(rconn *r, int argc, const char *const *argv);
/* rc_cmd for a command that may be sent twice (a read, an idempotent
   script): connects if need be, and a connection that turns out to be
   dead (the server restarted since) is replaced once, at once. */
redisReply *rc_cmd_again(rconn *r, int argc, const char *const *argv, const size_t *len);
redisReply *rc_cmdv_again(rconn *r, int argc, const char *const *argv);
/* Whether reply is the Redis error whose text starts with prefix. */
bool rc_is_error(const redisReply *reply, const char *prefix);

#endif
