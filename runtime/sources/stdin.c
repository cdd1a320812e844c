/* sources/stdin.c: stdin(): the program's standard input, a line a record. */
#include "../engine.h"

#include <errno.h>

static void recv_stdin(rsrc *s, rt_limiter *lim)
{
    if (rt_pump_fd(s, 0, lim) == PUMP_ERROR) {
        rt_recv_err(s);
        rt_log(s->r->c->prog, "error", "source '%s': reading stdin: %s", s->d->name,
               strerror(errno));
    }
}

static int run(st_recv *h)
{
    recv_stdin(h, &h->lim);
    return ST_RECV_DONE;
}

const st_receiver st_recv_stdin = { .run = run };
