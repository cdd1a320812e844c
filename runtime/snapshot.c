/* snapshot.c: checkpoints of a context's state (docs/runtime.md §
 * "Checkpoints"): the serialization helpers generated save()/load() use
 * (st_ser_*, st_rd_*), and snapshot files, written atomically and read back
 * newest first.
 *
 * A snapshot file DIR/<context>/state-<time_ms, 20 digits> holds
 *   "STSNAP" u16 version (2), u64 program identity (rt_ckpt_ident: the
 *   state's layout, the context and its sources), i64 zero_ms, i64 time_ms,
 *   i64 len + runtime blob, i64 len + desc->save() output,
 *   u64 XXH3_64bits of everything before it;
 * integers little endian. The newest two are kept. Every length is checked
 * against the bytes there before it is used.
 * Must not: include xxhash.h (hash.c's st_hash_bytes with seed 0 is
 * XXH3_64bits). */
#include "rt_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define SNAP_MAGIC "STSNAP"
#define SNAP_MAGIC_LEN 8
#define SNAP_VERSION 2
#define SNAP_PREFIX "state-"
#define SNAP_DIGITS 20
#define SNAP_KEEP 2

/* ---- serialization ------------------------------------------------------- */

void st_ser_i64(st_buf *b, int64_t v)
{
    uint64_t u = (uint64_t)v;
    char x[8];
    for (int i = 0; i < 8; i++)
        x[i] = (char)(unsigned char)(u >> (8 * i));
    st_buf_put(b, x, sizeof x);
}

void st_ser_f64(st_buf *b, double v)
{
    int64_t bits;
    memcpy(&bits, &v, sizeof bits);
    st_ser_i64(b, bits);
}

void st_ser_str(st_buf *b, st_str s)
{
    st_ser_i64(b, s.n);
    if (s.n > 0)
        st_buf_put(b, s.p, (size_t)s.n);
}

int64_t st_rd_i64(st_rd *r)
{
    if (r->bad || r->end - r->p < 8) {
        r->bad = true;
        return 0;
    }
    uint64_t u = 0;
    for (int i = 0; i < 8; i++)
        u |= (uint64_t)(unsigned char)r->p[i] << (8 * i);
    r->p += 8;
    return (int64_t)u;
}

double st_rd_f64(st_rd *r)
{
    int64_t bits = st_rd_i64(r);
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

st_str st_rd_str(st_rd *r, st_arena *a)
{
    int64_t n = st_rd_i64(r);
    if (r->bad || n < 0 || n > r->end - r->p) {
        r->bad = true;
        return (st_str){ "", 0 };
    }
    st_str s = { r->p, n };
    r->p += n;
    return n ? st_arena_strdup(a, s) : (st_str){ "", 0 };
}

/* ---- the checkpoint directory -------------------------------------------- */

int rt_mkdirs(const char *path)
{
    char *p = strdup(path);
    if (!p)
        rt_oom();
    int e = 0;
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            e = errno;
            break;
        }
        *s = c;
        if (c == '\0')
            break;
    }
    struct stat st;
    if (e == 0 && (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)))
        e = ENOTDIR;
    free(p);
    return e;
}

static char *path_join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *s = rt_xmalloc(a + b + 2);
    memcpy(s, dir, a);
    s[a] = '/';
    memcpy(s + a + 1, name, b + 1);
    return s;
}

char *rt_path_join(const char *dir, const char *name)
{
    return path_join(dir, name);
}

char *rt_ckpt_dir(rt_ctx *c, bool real_time)
{
    errno = 0;
    const char *dir = c->prog ? c->prog->opts.checkpoint : NULL;
    if (!dir && real_time)
        dir = c->desc->checkpoint;
    if (!dir || !*dir)
        return NULL;
    char *path = path_join(dir, c->desc->name);
    int e = rt_mkdirs(path);
    if (e) {
        rt_log(c->prog, "error", "context '%s': cannot create checkpoint directory %s: %s",
               c->desc->name, path, strerror(e));
        free(path);
        errno = e;
        return NULL;
    }
    return path;
}

/* Whether name is "state-" and 20 digits. */
static bool is_state_name(const char *name)
{
    if (strncmp(name, SNAP_PREFIX, strlen(SNAP_PREFIX)) != 0)
        return false;
    const char *d = name + strlen(SNAP_PREFIX);
    for (int i = 0; i < SNAP_DIGITS; i++)
        if (d[i] < '0' || d[i] > '9')
            return false;
    return d[SNAP_DIGITS] == '\0';
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The state files of dir, oldest first (the names sort by time); *n of
   them, malloc'd. -1 (errno set) when dir cannot be read. */
static int list_states(const char *dir, char ***out, int *n)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int64_t cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!is_state_name(de->d_name))
            continue;
        rt_grow((void **)out, &cap, *n + 1, sizeof **out);
        (*out)[(*n)++] = strdup(de->d_name);
        if (!(*out)[*n - 1])
            rt_oom();
    }
    closedir(d);
    if (*n > 1)
        qsort(*out, (size_t)*n, sizeof **out, cmp_names);
    return 0;
}

static void free_names(char **names, int n)
{
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* ---- writing ------------------------------------------------------------- */

static void put_u64(st_buf *b, uint64_t v)
{
    st_ser_i64(b, (int64_t)v);
}

int rt_write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Removes all but the newest SNAP_KEEP state files, and temporary files a
   crash left behind. */
static void prune(const char *dir)
{
    char **names;
    int n;
    if (list_states(dir, &names, &n) != 0)
        return;
    for (int i = 0; i + SNAP_KEEP < n; i++) {
        char *path = path_join(dir, names[i]);
        unlink(path);
        free(path);
    }
    free_names(names, n);
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (strncmp(de->d_name, ".tmp-" SNAP_PREFIX, strlen(".tmp-" SNAP_PREFIX)) == 0) {
            char *path = path_join(dir, de->d_name);
            unlink(path);
            free(path);
        }
    closedir(d);
}

int rt_snap_write(rt_ctx *c, const char *dir, int64_t zero_ms, int64_t time_ms,
                  const st_buf *rtblob)
{
    const st_context_desc *d = c->desc;
    if (time_ms < 0) {
        rt_log(c->prog, "error", "context '%s': cannot checkpoint the negative time %lld",
               d->name, (long long)time_ms);
        return -1;
    }
    st_buf b = { 0 };
    st_buf_put(&b, SNAP_MAGIC, 6);
    st_buf_putc(&b, (char)SNAP_VERSION);
    st_buf_putc(&b, '\0');
    put_u64(&b, rt_ckpt_ident(d));
    st_ser_i64(&b, zero_ms);
    st_ser_i64(&b, time_ms);
    size_t rtn = rtblob ? rtblob->n : 0;
    st_ser_i64(&b, (int64_t)rtn);
    if (rtn)
        st_buf_put(&b, rtblob->p, rtn);
    size_t at = b.n;
    st_ser_i64(&b, 0);                    /* the state's length, set below */
    if (d->save)
        d->save(c->state, &b);
    st_buf patch = { 0 };
    st_ser_i64(&patch, (int64_t)(b.n - at - 8));
    memcpy(b.p + at, patch.p, 8);
    st_buf_free(&patch);
    put_u64(&b, st_hash_bytes(b.p, b.n, 0));

    char name[64];
    snprintf(name, sizeof name, SNAP_PREFIX "%0*lld", SNAP_DIGITS, (long long)time_ms);
    char *final = path_join(dir, name);
    char *tmp = path_join(dir, ".tmp-" SNAP_PREFIX "XXXXXX");
    const char *what = "create";
    int rc = -1;
    int fd = mkstemp(tmp);
    if (fd >= 0) {
        what = "write";
        if (rt_write_all(fd, b.p, b.n) == 0) {
            what = "sync";
            if (fsync(fd) == 0)
                what = NULL;
        }
        if (close(fd) != 0 && !what)
            what = "close";
        if (!what) {
            what = "rename";
            if (rename(tmp, final) == 0) {
                what = NULL;
                rc = 0;
            }
        }
        if (rc != 0)
            unlink(tmp);
    }
    if (rc != 0) {
        rt_log(c->prog, "error", "context '%s': cannot %s checkpoint %s: %s", d->name, what,
               final, strerror(errno));
    } else {
        /* the rename itself must survive a crash */
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
        prune(dir);
    }
    free(tmp);
    free(final);
    st_buf_free(&b);
    return rc;
}

/* ---- reading ------------------------------------------------------------- */

/* The fixed part before the two blobs, and the checksum after them. */
#define SNAP_MIN_LEN (SNAP_MAGIC_LEN + 8 * 4 + 8 + 8)

/* Checks file text t[0..n): magic and checksum. NULL when good, else why. */
static const char *snap_damage(const char *t, size_t n)
{
    if (n < SNAP_MIN_LEN || memcmp(t, SNAP_MAGIC, 6) != 0)
        return "not a snapshot or truncated";
    st_rd r = { t + n - 8, t + n, false };
    if ((uint64_t)st_rd_i64(&r) != st_hash_bytes(t, n - 8, 0))
        return "bad checksum";
    if (t[6] != SNAP_VERSION || t[7] != 0)
        return "another format version; this program reads version 2";
    return NULL;
}

/* Replaces c->state by a fresh one. */
static void fresh_state(rt_ctx *c)
{
    if (c->desc->destroy)
        c->desc->destroy(c->state);
    c->state = c->desc->create ? c->desc->create() : NULL;
}

/* Parses a checksummed snapshot t[0..n) into c->state. 1 loaded, 0 does
   not parse (state to be re-created), -1 another program's. */
static int snap_parse(rt_ctx *c, const char *t, size_t n, int64_t *zero_ms, int64_t *time_ms,
                      st_buf *rtblob)
{
    st_rd r = { t + SNAP_MAGIC_LEN, t + n - 8, false };
    uint64_t hash = (uint64_t)st_rd_i64(&r);
    if (hash != rt_ckpt_ident(c->desc))
        return -1;
    int64_t zero = st_rd_i64(&r), time = st_rd_i64(&r);
    int64_t rtn = st_rd_i64(&r);
    if (r.bad || rtn < 0 || rtn > r.end - r.p || zero < 0 || zero >= RT_TIME_LIMIT || time < 0 ||
        time >= RT_TIME_LIMIT)
        return 0;
    const char *rtp = r.p;
    r.p += rtn;
    int64_t sn = st_rd_i64(&r);
    if (r.bad || sn != r.end - r.p)
        return 0;
    st_rd in = { r.p, r.end, false };
    if (c->desc->load ? c->desc->load(c->state, &in) != 0 : sn != 0)
        return 0;
    *zero_ms = zero;
    *time_ms = time;
    if (rtblob && rtn)
        st_buf_put(rtblob, rtp, (size_t)rtn);
    return 1;
}

int rt_snap_times(const char *dir, int64_t **out, int *n)
{
    char **names;
    *out = NULL;
    *n = 0;
    if (list_states(dir, &names, n) != 0)
        return -1;
    *out = rt_xmalloc((size_t)*n * sizeof **out + 1);
    int k = 0;
    for (int i = 0; i < *n; i++) {
        long long t = strtoll(names[i] + strlen(SNAP_PREFIX), NULL, 10);
        if (t < RT_TIME_LIMIT)   /* else not a time this runtime writes */
            (*out)[k++] = t;
    }
    *n = k;
    free_names(names, *n);
    return 0;
}

int rt_snap_load(rt_ctx *c, const char *dir, int64_t time_ms, uint64_t ident, int64_t *zero_ms,
                 st_buf *rtblob, char *why, size_t nwhy)
{
    (void)ident;
    char name[64];
    snprintf(name, sizeof name, SNAP_PREFIX "%0*lld", SNAP_DIGITS, (long long)time_ms);
    char *path = path_join(dir, name), *t;
    size_t len;
    int e = rt_read_file(path, &t, &len);
    free(path);
    if (e) {
        snprintf(why, nwhy, "cannot read it: %s", strerror(e));
        return e == ENOENT ? 0 : -1;
    }
    const char *bad = snap_damage(t, len);
    int rc = -1;
    if (bad) {
        snprintf(why, nwhy, "%s", bad);
    } else {
        int64_t time = 0;
        rtblob->n = 0;
        int p = snap_parse(c, t, len, zero_ms, &time, rtblob);
        if (p < 0) {
            rc = -2;
        } else if (p == 0 || time != time_ms) {
            snprintf(why, nwhy, "it does not match the program's state");
            fresh_state(c);
            rtblob->n = 0;
        } else {
            rc = 1;
        }
    }
    free(t);
    return rc;
}

int rt_snap_read(rt_ctx *c, const char *dir, int64_t *zero_ms, int64_t *time_ms, st_buf *rtblob)
{
    const char *cname = c->desc->name;
    char **names;
    int n;
    if (list_states(dir, &names, &n) != 0) {
        if (errno == ENOENT) {
            return 0;
        }
        rt_log(c->prog, "error", "context '%s': cannot read checkpoint directory %s: %s", cname,
               dir, strerror(errno));
        return -1;
    }
    int rc = 0;
    int unusable = 0;
    for (int i = n - 1; i >= 0 && rc == 0; i--) {
        char *path = path_join(dir, names[i]);
        char *t;
        size_t len;
        int e = rt_read_file(path, &t, &len);
        if (e) {
            rt_log(c->prog, "warning", "context '%s': cannot read checkpoint %s: %s; skipped",
                   cname, path, strerror(e));
            unusable++;
            free(path);
            continue;
        }
        const char *why = snap_damage(t, len);
        if (why) {
            rt_log(c->prog, "warning", "context '%s': checkpoint %s is damaged (%s); skipped",
                   cname, path, why);
            unusable++;
        } else {
            int p = snap_parse(c, t, len, zero_ms, time_ms, rtblob);
            if (p < 0) {
                rt_log(c->prog, "error", "checkpoint %s was written by a different program; "
                       "remove it or choose another directory", dir);
                rc = -1;
            } else if (p == 0) {
                rt_log(c->prog, "warning", "context '%s': checkpoint %s does not match the "
                       "program's state; skipped", cname, path);
                fresh_state(c);
                unusable++;
            } else {
                rc = 1;
            }
        }
        free(t);
        free(path);
    }
    free_names(names, n);
    if (rc == 0 && unusable > 0) {
        /* starting over would repeat what the checkpoints had recorded */
        rt_log(c->prog, "error", "checkpoint %s holds no usable snapshot; remove it or choose "
               "another directory", dir);
        rc = -1;
    }
    return rc;
}
