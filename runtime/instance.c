/* instance.c: the instance id of a context's outputs (st_sink_instance).
 *
 * A sink that makes a re-run batch idempotent (saveToRedis' marker) must
 * name its state by the run whose batches can be re-run, not by the
 * program: two processes of one program (a Kafka consumer group spread
 * over hosts, or the same job on two inputs) write the same outputs at
 * the same batch times, and with one marker each would skip the other's
 * batches. Batches are re-run within a process (a write retried after a
 * lost reply) and after a restart from a checkpoint, so:
 *   - with a checkpoint directory, the id is kept in DIR/CONTEXT/instance
 *     (made at the first start: a temporary file, fsync, link(2), so that
 *     a file there is always whole; the same after every restart from
 *     that directory); a damaged one is refused (exit 1): with another id
 *     the batches recovery re-runs would be applied twice (--accept-loss
 *     replaces it, with a warning);
 *   - without one, a fresh random id for each process.
 * 32 hex digits (128 random bits from getrandom(2)). */
#include "rt_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#define INSTANCE_HEAD "streamc instance 1\n"
enum { ID_HEX = 32 };

static int random_id(char out[ID_HEX + 1])
{
    unsigned char b[ID_HEX / 2];
    size_t got = 0;
    while (got < sizeof b) {
        ssize_t r = getrandom(b + got, sizeof b - got, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    for (size_t i = 0; i < sizeof b; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
    return 0;
}

/* The id in the text of an instance file, or -1 when it is not one. */
static int parse_id(const char *t, size_t n, char out[ID_HEX + 1])
{
    size_t h = strlen(INSTANCE_HEAD);
    if (n != h + ID_HEX + 1 || memcmp(t, INSTANCE_HEAD, h) != 0 || t[n - 1] != '\n')
        return -1;
    for (size_t i = 0; i < ID_HEX; i++) {
        char c = t[h + i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return -1;
    }
    memcpy(out, t + h, ID_HEX);
    out[ID_HEX] = '\0';
    return 0;
}

/* Reads path's id; 0, 1 when there is no such file, -1 logged. */
static int read_id(rt_ctx *c, const char *path, char out[ID_HEX + 1])
{
    char *t;
    size_t n;
    int e = rt_read_file(path, &t, &n);
    if (e == ENOENT)
        return 1;
    if (e) {
        rt_log(c->prog, "error", "context '%s': cannot read %s: %s", c->desc->name, path, strerror(e));
        return -1;
    }
    int rc = parse_id(t, n, out);
    free(t);
    if (rc != 0) {
        bool accept = c->prog && c->prog->opts.accept_loss;
        rt_log(c->prog, accept ? "warning" : "error",
               "context '%s': %s is damaged (not \"streamc instance 1\" and 32 hex digits): the outputs that "
               "apply a batch once (saveToRedis) name their state by it, and with another id the batches "
               "recovery runs again would be applied twice; %s",
               c->desc->name, path,
               accept ? "going on with a new id (--accept-loss)"
                      : "cannot recover without loss (restore the file, remove the directory, or run with "
                        "--accept-loss to go on with a new id)");
        if (!accept || unlink(path) != 0)
            return -1;
        return 1;
    }
    return 0;
}

/* A new id into dir/instance, unless another start made one first. */
static int make_id(rt_ctx *c, const char *dir, const char *path, char out[ID_HEX + 1])
{
    char id[ID_HEX + 1], tmpname[64];
    if (random_id(id) != 0) {
        rt_log(c->prog, "error", "context '%s': getrandom: %s", c->desc->name, strerror(errno));
        return -1;
    }
    snprintf(tmpname, sizeof tmpname, ".tmp-instance-%ld", (long)getpid());
    char *tmp = rt_path_join(dir, tmpname);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    char text[sizeof INSTANCE_HEAD + ID_HEX + 1];
    int n = snprintf(text, sizeof text, "%s%s\n", INSTANCE_HEAD, id);
    int rc = 0;
    if (fd < 0 || rt_write_all(fd, text, (size_t)n) != 0 || fsync(fd) != 0) {
        rt_log(c->prog, "error", "context '%s': cannot write %s: %s", c->desc->name, tmp, strerror(errno));
        rc = -1;
    }
    if (fd >= 0)
        close(fd);
    if (rc == 0 && link(tmp, path) != 0) {
        if (errno == EEXIST) {
            rc = 1;   /* another start was first: its id counts */
        } else {
            rt_log(c->prog, "error", "context '%s': cannot make %s: %s", c->desc->name, path, strerror(errno));
            rc = -1;
        }
    }
    unlink(tmp);
    free(tmp);
    if (rc == 0 && rt_fsync_dir(dir) != 0) {
        rt_log(c->prog, "error", "context '%s': cannot sync %s: %s", c->desc->name, dir, strerror(errno));
        rc = -1;
    }
    if (rc == 0)
        memcpy(out, id, sizeof id);
    return rc == 1 ? read_id(c, path, out) : rc;
}

int rt_instance_id(rt_ctx *c, bool real_time, char out[ID_HEX + 1])
{
    char *dir = rt_ckpt_dir(c, real_time);
    if (!dir) {
        if (errno)
            return -1;   /* logged */
        if (random_id(out) != 0) {
            rt_log(c->prog, "error", "context '%s': getrandom: %s", c->desc->name, strerror(errno));
            return -1;
        }
        return 1;
    }
    char *path = rt_path_join(dir, "instance");
    int rc = read_id(c, path, out);
    if (rc == 1)
        rc = make_id(c, dir, path, out);
    free(path);
    free(dir);
    return rc;
}
