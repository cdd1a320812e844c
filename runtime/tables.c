/* tables.c: the engine's side of tables (st_table.h): opening the
 * program's tables at start, their handles, and the lookups of the
 * generated functions with the wait-and-retry of an unavailable table.
 * The kinds themselves are in runtime/tables/ (file.c here; library kinds
 * such as redis in their own archive): this file names none of them. */
#include "rt_internal.h"
#include "st_table.h"

#include <stdarg.h>
#include <time.h>
#include <unistd.h>

struct st_table_h {
    const st_table_desc *desc;
    const rt_prog *prog;
    void *state;
    atomic_int outage;        /* a thread is waiting for it: logged once */
};

const char *st_table_arg(const st_table_h *h, const char *name)
{
    for (int i = 0; i < h->desc->nopts; i++)
        if (strcmp(h->desc->opts[i].name, name) == 0)
            return h->desc->opts[i].str;
    return NULL;
}

const char *st_table_name(const st_table_h *h)
{
    return h->desc->name;
}

void st_table_set_state(st_table_h *h, void *s)
{
    h->state = s;
}

void *st_table_state(const st_table_h *h)
{
    return h->state;
}

static void vlog(st_table_h *h, const char *level, const char *fmt, va_list ap)
{
    char msg[900];
    vsnprintf(msg, sizeof msg, fmt, ap);
    rt_log(h->prog, level, "table '%s': %s", h->desc->name, msg);
}

void st_table_error(st_table_h *h, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(h, "error", fmt, ap);
    va_end(ap);
}

void st_table_warn(st_table_h *h, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(h, "warning", fmt, ap);
    va_end(ap);
}

int st_tables_open(const st_table_desc *t, int n, void *prog)
{
    for (int i = 0; i < n; i++) {
        st_table_h *h = rt_xcalloc(1, sizeof *h);
        h->desc = &t[i];
        h->prog = prog;
        atomic_init(&h->outage, 0);
        if (t[i].impl->open(h) != 0) {
            free(h);
            st_tables_close(t, i);
            return -1;
        }
        *t[i].handle = h;
    }
    return 0;
}

void st_tables_close(const st_table_desc *t, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        st_table_h *h = *t[i].handle;
        if (!h)
            continue;
        if (t[i].impl->close)
            t[i].impl->close(h);
        free(h);
        *t[i].handle = NULL;
    }
}

void st_tables_usage(const st_table_desc *t, int n, FILE *f)
{
    if (n > 0)
        fprintf(f, "\ntables:\n");
    for (int i = 0; i < n; i++) {
        fprintf(f, "  %-20s %s(", t[i].name, t[i].kind);
        bool first = true;
        for (int k = 0; k < t[i].nopts; k++) {
            const char *v = t[i].opts[k].str;
            if (!v)
                continue;
            fprintf(f, "%s%s = \"", first ? "" : ", ", t[i].opts[k].name);
            for (; *v; v++) {
                unsigned char c = (unsigned char)*v;
                if (c == '"' || c == '\\')
                    fprintf(f, "\\%c", c);
                else if (c == '\t')
                    fputs("\\t", f);
                else if (c < 0x20 || c == 0x7f)
                    fprintf(f, "\\x%02x", c);
                else
                    fputc(c, f);
            }
            fputc('"', f);
            first = false;
        }
        fprintf(f, ")\n");
    }
}

/* k in h, waiting while h is unavailable: 1 found, 0 missing */
static int ask(st_table_h *h, const char *k, size_t kn, const char **val, size_t *vlen)
{
    int64_t wait_ms = 100;
    bool waited = false;
    for (;;) {
        int r = h->desc->impl->lookup(h, k, kn, val, vlen);
        if (r >= 0) {
            if (waited && atomic_exchange(&h->outage, 0))
                rt_log(h->prog, "note", "table '%s' is available again", h->desc->name);
            return r;
        }
        if (!atomic_exchange(&h->outage, 1))
            rt_log(h->prog, "warning", "table '%s' is unavailable: the records waiting for it are held, and the "
                                       "lookup is retried", h->desc->name);
        waited = true;
        if (rt_signalled()) {
            rt_log(h->prog, "error", "table '%s' is unavailable and the job is stopping: exiting without "
                                     "completing the batch (a restart from the checkpoint runs it again)",
                   h->desc->name);
            fflush(stdout);
            _exit(1);
        }
        struct timespec ts = { (time_t)(wait_ms / 1000), (long)(wait_ms % 1000) * 1000000L };
        nanosleep(&ts, NULL);
        wait_ms = wait_ms * 2 > 5000 ? 5000 : wait_ms * 2;
    }
}

bool st_table_get(st_table_h *h, const char *k, size_t kn, struct st_arena *ar, const char **val, size_t *vlen)
{
    const char *v;
    size_t n;
    if (ask(h, k, kn, &v, &n) != 1)
        return false;
    char *c = st_arena_alloc(ar, n + 1);
    if (n)
        memcpy(c, v, n);
    c[n] = '\0';
    *val = c;
    *vlen = n;
    return true;
}

bool st_table_has(st_table_h *h, const char *k, size_t kn)
{
    const char *v;
    size_t n;
    return ask(h, k, kn, &v, &n) == 1;
}
