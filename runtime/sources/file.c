/* sources/file.c: file("PATH" [, rate = N] [, loop = true]): a file's
 * lines, paced by rate, again from the start with loop. */
#include "../engine.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static void recv_file(rsrc *s, rt_limiter *lim)
{
    int fd = open(s->d->path ? s->d->path : "", O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        rt_recv_err(s);
        rt_log(s->r->c->prog, "error", "source '%s': cannot open %s: %s", s->d->name,
               s->d->path ? s->d->path : "", strerror(errno));
        atomic_store(&s->r->c->prog->failed, true);
        return;
    }
    for (;;) {
        pump_end e = rt_pump_fd(s, fd, lim);
        if (e == PUMP_ERROR) {
            rt_recv_err(s);
            rt_log(s->r->c->prog, "error", "source '%s': reading %s: %s", s->d->name,
                   s->d->path, strerror(errno));
        }
        if (e != PUMP_EOF || !s->d->loop)
            break;
        struct stat st;
        if (fstat(fd, &st) != 0 || st.st_size == 0 || lseek(fd, 0, SEEK_SET) != 0)
            break;   /* nothing to loop over */
    }
    close(fd);
}

static int run(st_recv *h)
{
    recv_file(h, &h->lim);
    return ST_RECV_DONE;
}

const st_receiver st_recv_file = { .run = run };
