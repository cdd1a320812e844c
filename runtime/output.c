/* output.c: what a batch writes (print, saveAsTextFiles), the skipped-record
 * accounting, and the program's log lines on stderr.
 * Must not: write to stdout outside the program's output mutex (contexts
 * print concurrently), or leave a half-written output directory under its
 * final name. */
#include "rt_internal.h"
#include "rt_obs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

const char *rt_prog_name(const rt_prog *p)
{
    return p && p->name ? p->name : "streamrt";
}

void rt_log(const rt_prog *p, const char *level, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* One fprintf: stdio locks the stream, so lines of threads do not mix. */
    fprintf(stderr, "%s: %s: %s\n", rt_prog_name(p), level, msg);
}

static void skip_log(rt_prog *p, const char *what, const char *detail, size_t n)
{
    if (p) {
        if (atomic_fetch_add(&p->skip_logged, 1) >= RT_SKIP_LOG_MAX)
            return;
    }
    st_buf b = { 0 };
    rt_buf_escaped(&b, detail, n, RT_SKIP_DETAIL_MAX);
    st_buf_putc(&b, '\0');
    rt_log(p, "warning", "skipped a record: %s: \"%s\"", what, b.p);
    st_buf_free(&b);
}

void rt_skip_ctx(rt_ctx *c, const char *what, const char *detail, size_t n)
{
    atomic_fetch_add(&c->skipped, 1);
    skip_log(c->prog, what, detail, n);
}

void st_skip(st_job *job, int worker, const char *what, st_str detail)
{
    (void)worker;
    rt_ctx *c = job->rt;
    const char *p = detail.n > 0 ? detail.p : "";
    size_t n = detail.n > 0 ? (size_t)detail.n : 0;
    if (c)
        rt_skip_ctx(c, what ? what : "?", p, n);
    else
        skip_log(NULL, what ? what : "?", p, n);
}

bool st_output_enabled(const st_job *job)
{
    const rt_ctx *c = job->rt;
    return !c || !c->quiet;
}

void st_print(st_job *job, const char *body, size_t len, bool more)
{
    static const char dashes[] = "-------------------------------------------\n";
    rt_ctx *c = job->rt;
    rt_prog *p = c ? c->prog : NULL;
    if (!st_output_enabled(job))
        return;
    int64_t t0 = rt_mono_us();
    st_buf b = { 0 };
    st_buf_puts(&b, dashes);
    st_buf_puts(&b, "Time: ");
    st_buf_int(&b, job->time_ms);
    st_buf_puts(&b, " ms\n");
    st_buf_puts(&b, dashes);
    st_buf_put(&b, body, len);
    if (more)
        st_buf_puts(&b, "...\n");
    st_buf_putc(&b, '\n');
    if (p)
        pthread_mutex_lock(&p->out_mu);
    size_t w = fwrite(b.p, 1, b.n, stdout);
    int fl = fflush(stdout);
    if (p)
        pthread_mutex_unlock(&p->out_mu);
    if ((w != b.n || fl != 0) && p && !atomic_exchange(&p->failed, true))
        rt_log(p, "error", "writing to stdout: %s", strerror(errno));
    st_buf_free(&b);
    rt_obs_output(c, "print", t0);
}

/* ---- saveAsTextFiles ---------------------------------------------------- */

/* mkdir -p of the directory part of path (everything before the last /);
   0, or -1 with errno set. */
static int mkdirs_for(char *path)
{
    char *slash = strrchr(path, '/');
    if (!slash || slash == path)
        return 0;
    *slash = '\0';
    int e = rt_mkdirs(path);
    *slash = '/';
    errno = e;
    return e ? -1 : 0;
}

static int write_file(const char *dir, const char *name, const char *p, size_t n)
{
    st_buf path = { 0 };
    st_buf_puts(&path, dir);
    st_buf_putc(&path, '/');
    st_buf_puts(&path, name);
    st_buf_putc(&path, '\0');
    int fd = open(path.p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    st_buf_free(&path);
    if (fd < 0)
        return -1;
    int rc = rt_write_all(fd, p, n);
    int e = errno;
    if (close(fd) != 0 && rc == 0)
        rc = -1;
    else
        errno = e;
    return rc;
}

/* Removes a directory of plain files (an earlier output of ours). */
static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            st_buf f = { 0 };
            st_buf_puts(&f, dir);
            st_buf_putc(&f, '/');
            st_buf_puts(&f, e->d_name);
            st_buf_putc(&f, '\0');
            unlink(f.p);
            st_buf_free(&f);
        }
        closedir(d);
    }
    rmdir(dir);
}

/* Whether name is ".BASE-<digits>[.SUFFIX].tmp-<pid>-..." (or its
   ".old") of another process: a temporary output directory a kill left. */
static bool stale_tmp(const char *name, const char *base, const char *suffix)
{
    size_t bn = strlen(base);
    if (name[0] != '.' || strncmp(name + 1, base, bn) != 0 || name[1 + bn] != '-')
        return false;
    const char *q = name + 2 + bn;
    if (*q < '0' || *q > '9')
        return false;
    while (*q >= '0' && *q <= '9')
        q++;
    if (suffix && *suffix) {
        size_t sn = strlen(suffix);
        if (*q != '.' || strncmp(q + 1, suffix, sn) != 0)
            return false;
        q += 1 + sn;
    }
    if (strncmp(q, ".tmp-", 5) != 0)
        return false;
    return strtoll(q + 5, NULL, 10) != (long long)getpid();
}

/* At a process's first batch: removes what earlier processes killed
   while writing this output left behind. */
static void remove_stale_tmps(const char *prefix, const char *suffix)
{
    const char *slash = strrchr(prefix, '/');
    st_buf dir = { 0 };
    if (slash)
        st_buf_put(&dir, prefix, (size_t)(slash - prefix) + (slash == prefix));
    else
        st_buf_putc(&dir, '.');
    st_buf_putc(&dir, '\0');
    const char *base = slash ? slash + 1 : prefix;
    DIR *d = opendir(dir.p);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (!stale_tmp(e->d_name, base, suffix))
                continue;
            st_buf f = { 0 };
            st_buf_puts(&f, dir.p);
            st_buf_putc(&f, '/');
            st_buf_puts(&f, e->d_name);
            st_buf_putc(&f, '\0');
            remove_dir(f.p);
            st_buf_free(&f);
        }
        closedir(d);
    }
    st_buf_free(&dir);
}

/* remove_stale_tmps once per output of the process. */
static void clean_once(rt_prog *p, const char *prefix, const char *suffix)
{
    pthread_mutex_lock(&p->out_mu);
    bool seen = false;
    for (int i = 0; i < p->ncleaned && !seen; i++)
        seen = p->cleaned[i] == prefix;
    if (!seen) {
        p->cleaned = st_xrealloc(p->cleaned, (size_t)(p->ncleaned + 1) * sizeof *p->cleaned);
        p->cleaned[p->ncleaned++] = prefix;   /* a string literal of the generated code */
        remove_stale_tmps(prefix, suffix);
    }
    pthread_mutex_unlock(&p->out_mu);
}

int st_save(st_job *job, const char *prefix, const char *suffix, int nparts,
            const st_buf *parts)
{
    rt_ctx *c = job->rt;
    rt_prog *p = c ? c->prog : NULL;
    if (p)
        clean_once(p, prefix, suffix);
    if (!st_output_enabled(job))
        return 0;
    int64_t t0 = rt_mono_us();
    st_buf target = { 0 }, tmp = { 0 };
    st_buf_puts(&target, prefix);
    st_buf_putc(&target, '-');
    st_buf_int(&target, job->time_ms);
    if (suffix && *suffix) {
        st_buf_putc(&target, '.');
        st_buf_puts(&target, suffix);
    }
    st_buf_putc(&target, '\0');
    /* The temporary directory is a hidden sibling of the target, so the
       final rename stays within one file system. */
    const char *slash = strrchr(target.p, '/');
    size_t dirlen = slash ? (size_t)(slash - target.p) + 1 : 0;
    st_buf_put(&tmp, target.p, dirlen);
    st_buf_puts(&tmp, ".");
    st_buf_puts(&tmp, target.p + dirlen);
    st_buf_puts(&tmp, ".tmp-");
    st_buf_int(&tmp, (int64_t)getpid());
    st_buf_putc(&tmp, '-');
    size_t serial_at = tmp.n;

    const char *step = "creating its directory";
    if (mkdirs_for(target.p) != 0)
        goto fail;
    step = "creating a temporary directory";
    /* mkdir, not mkdtemp: the output keeps the umask's permissions. */
    for (int serial = 0;; serial++) {
        tmp.n = serial_at;
        st_buf_int(&tmp, serial);
        st_buf_putc(&tmp, '\0');
        if (mkdir(tmp.p, 0777) == 0)
            break;
        if (errno != EEXIST || serial >= 1000)
            goto fail;
    }
    step = "writing a part file";
    for (int i = 0; i < nparts; i++) {
        char name[32];
        snprintf(name, sizeof name, "part-%05d", i);
        if (write_file(tmp.p, name, parts[i].p ? parts[i].p : "", parts[i].n) != 0)
            goto fail_rm;
    }
    step = "writing _SUCCESS";
    if (write_file(tmp.p, "_SUCCESS", "", 0) != 0)
        goto fail_rm;
    step = "renaming it into place";
    if (rename(tmp.p, target.p) != 0) {
        /* A rerun over old output replaces it, as Spark Streaming does
           (it turns output-spec validation off for streaming jobs). */
        if (errno != EEXIST && errno != ENOTEMPTY)
            goto fail_rm;
        st_buf old = { 0 };
        st_buf_put(&old, tmp.p, tmp.n - 1);
        st_buf_puts(&old, ".old");
        st_buf_putc(&old, '\0');
        int rc = rename(target.p, old.p);
        if (rc == 0) {
            rc = rename(tmp.p, target.p);
            if (rc == 0)
                remove_dir(old.p);
        }
        st_buf_free(&old);
        if (rc != 0)
            goto fail_rm;
    }
    st_buf_free(&target);
    st_buf_free(&tmp);
    rt_obs_output(c, "saveAsTextFiles", t0);
    return 0;

fail_rm: {
        int e = errno;
        remove_dir(tmp.p);
        errno = e;
    }
fail:
    rt_log(p, "error", "saveAsTextFiles %s: %s: %s", target.p, step, strerror(errno));
    st_buf_free(&target);
    st_buf_free(&tmp);
    rt_obs_output(c, "saveAsTextFiles", t0);
    return -1;
}
