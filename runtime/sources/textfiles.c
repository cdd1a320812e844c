/* sources/textfiles.c: textFileStream("DIR"): the lines of each new file of
 * a directory; a file's name is the position of the block that holds it. */
#include "../engine.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

/* textFileStream: the names seen so far. A new file is read once it has
   kept its size and mtime over one poll, so a file still being written is
   not read half-way (Spark asks for atomic moves; this forgives a copy).
   A file's lines go into one block together with its name, so the log
   holds a file whole or not at all: after a crash a file is either in
   the log (never read again) or read again from the start. */
typedef struct seen {
    char *name;
    int64_t size, mtime_ns;
    bool done;
} seen;

static seen *seen_find(seen *v, int64_t n, const char *name)
{
    for (int64_t i = 0; i < n; i++)
        if (strcmp(v[i].name, name) == 0)
            return &v[i];
    return NULL;
}

/* Reads a file into the current block, whole; false when stopped. */
static bool read_whole_file(rsrc *s, const char *path, const char *name, rt_limiter *lim)
{
    char *text;
    size_t n;
    rt_lim_follow(lim);
    if (!rt_bp_wait(s->r, s))   /* not read while the context holds its limit */
        return false;
    int err = rt_read_file(path, &text, &n);
    if (err) {
        rt_recv_err(s);
        rt_log(s->r->c->prog, "warning", "source '%s': cannot read %s: %s", s->d->name, path,
               strerror(err));
        return true;
    }
    st_str *lines;
    int64_t nl = rt_split_lines(text, n, &lines);
    bool go = true;
    for (int64_t i = 0; i < nl && go && lim->rate; i++)
        go = rt_lim_take(lim, s->r);
    if (go) {
        pthread_mutex_lock(&s->mu);
        for (int64_t i = 0; i < nl; i++) {
            if ((size_t)lines[i].n > RT_MAX_RECORD)
                rt_skip_ctx(s->r->c, "line too long", lines[i].p, (size_t)lines[i].n);
            else
                rt_push_str_locked(s, lines[i].p, (size_t)lines[i].n);
        }
        rt_push_pos_locked(s, name, strlen(name));
        pthread_mutex_unlock(&s->mu);
    }
    free(lines);
    free(text);
    return go;
}

/* The log has the file: read ("NAME") or there at the first start and
   logged unread ("/NAME"). */
static bool logged_before(st_recv *h, const char *name)
{
    char unread[NAME_MAX + 2];
    snprintf(unread, sizeof unread, "/%s", name);
    return st_recv_position_logged(h, name, strlen(name)) ||
           st_recv_position_logged(h, unread, strlen(unread));
}

static void recv_dir(rsrc *s, rt_limiter *lim)
{
    rt_prog *p = s->r->c->prog;
    const char *dir = s->d->path ? s->d->path : ".";
    int64_t block = s->r->c->desc->block_ms > 0 ? s->r->c->desc->block_ms
                                                 : s->r->c->desc->batch_ms;
    bool logged = s->r->ckdir != NULL;
    seen *v = NULL;
    int64_t nv = 0, cap = 0;
    bool first = true, outage = false, go = true;
    while (go) {
        DIR *d = opendir(dir);
        if (!d) {
            if (!outage) {
                rt_recv_err(s);
                rt_log(p, "warning", "source '%s': cannot read directory %s: %s; retrying",
                       s->d->name, dir, strerror(errno));
            }
            outage = true;
        } else {
            outage = false;
            struct dirent *e;
            while (go && (e = readdir(d)) != NULL) {
                if (e->d_name[0] == '.' || e->d_name[0] == '_')
                    continue;
                st_buf path = { 0 };
                st_buf_puts(&path, dir);
                st_buf_putc(&path, '/');
                st_buf_puts(&path, e->d_name);
                st_buf_putc(&path, '\0');
                struct stat st;
                if (stat(path.p, &st) != 0 || !S_ISREG(st.st_mode)) {
                    st_buf_free(&path);
                    continue;
                }
                int64_t mt = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
                seen *f = seen_find(v, nv, e->d_name);
                if (!f) {
                    rt_grow((void **)&v, &cap, nv + 1, sizeof *v);
                    f = &v[nv++];
                    size_t ln = strlen(e->d_name) + 1;
                    f->name = memcpy(rt_xmalloc(ln), e->d_name, ln);
                    f->size = st.st_size;
                    f->mtime_ns = mt;
                    /* newFilesOnly: what is there at the first start stays
                       unread (and is logged as read, so that a restart
                       knows); after a restart, what the log has is read */
                    f->done = logged ? logged_before(s, e->d_name) : first;
                    if (first && !f->done && !s->r->recovering) {
                        f->done = true;
                        if (logged) {
                            /* "/NAME": logged as read without being read */
                            char unread[NAME_MAX + 2];
                            snprintf(unread, sizeof unread, "/%s", e->d_name);
                            pthread_mutex_lock(&s->mu);
                            rt_push_pos_locked(s, unread, strlen(unread));
                            pthread_mutex_unlock(&s->mu);
                        }
                    }
                } else if (!f->done) {
                    if (f->size == st.st_size && f->mtime_ns == mt) {
                        f->done = true;
                        go = read_whole_file(s, path.p, e->d_name, lim);
                    } else {
                        f->size = st.st_size;
                        f->mtime_ns = mt;
                    }
                }
                st_buf_free(&path);
            }
            closedir(d);
            first = false;
        }
        if (go)
            go = rt_rctx_sleep(s->r, rt_mono_ms() + block);
    }
    for (int64_t i = 0; i < nv; i++)
        free(v[i].name);
    free(v);
}

static int run(st_recv *h)
{
    recv_dir(h, &h->lim);
    return ST_RECV_DONE;
}

/* A recovered block's file, read again (its position is the file's name;
   "/NAME" was logged unread, and holds nothing). */
static int replay(st_recv *h, const char *pos, size_t n)
{
    if (n == 0 || pos[0] == '/')
        return 0;
    const char *dir = st_recv_opt_str(h, "path");
    st_buf path = { 0 };
    st_buf_puts(&path, dir ? dir : ".");
    st_buf_putc(&path, '/');
    st_buf_put(&path, pos, n);
    st_buf_putc(&path, '\0');
    char *text;
    size_t len;
    int e = rt_read_file(path.p, &text, &len);
    if (e) {
        rt_log(h->r->c->prog, "warning", "source '%s': cannot read %s again for a recovered batch: %s; "
               "its lines are lost", st_recv_name(h), path.p, strerror(e));
    } else {
        st_str *lines;
        int64_t nl = rt_split_lines(text, len, &lines);
        for (int64_t k = 0; k < nl; k++)
            if ((size_t)lines[k].n <= RT_MAX_RECORD)   /* skipped (and counted) when first read */
                st_recv_store(h, lines[k].p, (size_t)lines[k].n);
        free(lines);
        free(text);
    }
    st_buf_free(&path);
    return 0;
}

const st_receiver st_recv_textfiles = { .run = run, .replay = replay };
