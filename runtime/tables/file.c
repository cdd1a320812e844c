/* tables/file.c: the `file` table kind, `table t = file(path [, sep = S]);`
 * (docs/language.md "Tables").
 *
 * The file is read once, at open, into one buffer and indexed by a hash
 * map of slices into it; after open nothing changes, so lookups from any
 * number of worker threads need no lock.
 *   - without sep: a set of lines. contains(t, line); lookup(t, line)
 *     gives Some(line) (the line itself, as a join with an RDD of the
 *     lines would pair it with itself).
 *   - with sep: KEY SEP VALUE per line, split at the first SEP (the value
 *     may hold more). A key given twice: the last line wins (as Spark's
 *     collectAsMap), and the number of such lines is logged (a line
 *     repeated in a set is harmless and not logged).
 * Lines end with \n or \r\n; a last line without a newline counts; empty
 * lines are ignored. A line holding a NUL byte, and with sep a line
 * without it, is skipped: logged with FILE:LINE (the first 10, then only
 * counted) and counted in a warning at the end of the load. A missing or
 * unreadable file makes open fail with its path and the reason. */
#include "../rt_internal.h"
#include "../st_table.h"
#include "file.h"

#include <errno.h>

#define TF_LOG_MAX 10

typedef struct tf_val {
    st_str v;
    int64_t line;   /* where the entry came from */
} tf_val;

ST_SMAP_DEFINE(tf_map, tf_val, st_str_eq)

typedef struct tf_table {
    char *text;
    size_t n;
    tf_map map;
    st_table_file_stats stats;
} tf_table;

static void skip(st_table_h *h, tf_table *t, const char *path, int64_t line, const char *why)
{
    if (t->stats.skipped++ < TF_LOG_MAX)
        st_table_warn(h, "%s:%lld: %s, line skipped", path, (long long)line, why);
}

static void add(tf_table *t, st_str k, st_str v, int64_t line)
{
    bool ins;
    tf_map_ent *e = tf_map_upsert(&t->map, k, st_hash_str(k, 0x7ab1eULL), &ins);
    if (!ins)
        t->stats.duplicates++;
    else
        t->stats.entries++;
    e->v = (tf_val){ v, line };
}

static void parse(st_table_h *h, tf_table *t, const char *path, const char *sep)
{
    size_t sn = sep ? strlen(sep) : 0;
    const char *p = t->text, *end = t->text + t->n;
    int64_t line = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        line++;
        const char *next = nl ? nl + 1 : end;
        if (e > p && e[-1] == '\r')
            e--;
        size_t len = (size_t)(e - p);
        if (len == 0) {
            p = next;
            continue;
        }
        if (memchr(p, '\0', len)) {
            skip(h, t, path, line, "a NUL byte");
        } else if (sn) {
            const char *s = NULL;
            for (const char *q = p; q + sn <= e && !s; q++)
                if (*q == sep[0] && memcmp(q, sep, sn) == 0)
                    s = q;
            if (!s)
                skip(h, t, path, line, "no separator");
            else
                add(t, (st_str){ p, (int64_t)(s - p) }, (st_str){ s + sn, (int64_t)(e - s - sn) }, line);
        } else {
            st_str k = { p, (int64_t)len };
            add(t, k, k, line);
        }
        p = next;
    }
    t->stats.lines = line;
}

static int tf_open(st_table_h *h)
{
    const char *path = st_table_arg(h, "path");
    const char *sep = st_table_arg(h, "sep");
    if (!path || !*path) {
        st_table_error(h, "file(): the path is empty");
        return -1;
    }
    if (sep && !*sep) {
        st_table_error(h, "file(): the separator is empty");
        return -1;
    }
    tf_table *t = rt_xcalloc(1, sizeof *t);
    int err = rt_read_file(path, &t->text, &t->n);
    if (err) {
        st_table_error(h, "cannot read %s: %s", path, strerror(err));
        free(t);
        return -1;
    }
    parse(h, t, path, sep);
    if (t->stats.skipped > 0)
        st_table_warn(h, "%s: %lld line%s skipped", path, (long long)t->stats.skipped,
                      t->stats.skipped == 1 ? "" : "s");
    if (t->stats.duplicates > 0 && sep)
        st_table_warn(h, "%s: %lld duplicate key%s (the last line wins)", path, (long long)t->stats.duplicates,
                      t->stats.duplicates == 1 ? "" : "s");
    st_table_set_state(h, t);
    return 0;
}

static int tf_lookup(st_table_h *h, const char *k, size_t kn, const char **val, size_t *vlen)
{
    const tf_table *t = st_table_state(h);
    st_str key = { k, (int64_t)kn };
    const tf_map_ent *e = tf_map_find(&t->map, key, st_hash_str(key, 0x7ab1eULL));
    if (!e)
        return 0;
    *val = e->v.v.p;
    *vlen = (size_t)e->v.v.n;
    return 1;
}

static void tf_close(st_table_h *h)
{
    tf_table *t = st_table_state(h);
    if (!t)
        return;
    tf_map_free(&t->map);
    free(t->text);
    free(t);
    st_table_set_state(h, NULL);
}

void st_table_file_stats_of(const st_table_h *h, st_table_file_stats *out)
{
    const tf_table *t = st_table_state(h);
    memset(out, 0, sizeof *out);
    if (t)
        *out = t->stats;
}

const st_table_kind st_table_file = { tf_open, tf_lookup, tf_close };
