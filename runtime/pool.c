/* pool.c: the worker pool of one context. st_parallel_for hands out the
 * indices [0, n) through one atomic counter to nworkers workers: the
 * calling (scheduler) thread is worker 0, the pool's threads are 1..n-1,
 * so a one-worker context starts no thread at all.
 * Must not: be entered twice at once (one scheduler per context calls it,
 * and tasks may not nest), or leave a task running when it returns. */
#include "rt_internal.h"

#include <stdlib.h>
#include <unistd.h>

typedef struct worker {
    struct rt_pool *pool;
    int index;
    pthread_t thread;
} worker;

struct rt_pool {
    int nworkers;
    int nthreads;         /* started: nworkers - 1 on success */
    bool spin;            /* no more threads than CPUs: wait by spinning first */
    worker *workers;
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    _Atomic uint64_t gen; /* bumped per task; workers wait for a new one */
    _Atomic bool stop;
    _Atomic int busy;     /* threads not yet finished with this gen */
    /* the current task, written under mu before gen is bumped */
    st_job *job;
    st_task_fn fn;
    void *arg;
    int n;
    atomic_int next;
};

int rt_ncpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 1024 ? 1024 : (int)n;
}

static void run_tasks(rt_pool *p, st_job *job, st_task_fn fn, void *arg, int n, int w)
{
    st_arena *saved = st_tls_arena();
    if (job->arenas && w < job->nworkers)
        rt_tls_arena_set(job->arenas[w]);
    for (int i; (i = atomic_fetch_add_explicit(&p->next, 1, memory_order_relaxed)) < n;)
        fn(job, arg, i, w);
    rt_tls_arena_set(saved);
}

/* A batch runs its steps one after another (a keyed stage alone has
   three): between two steps a worker has nothing to do for a few
   microseconds, far less than waking a thread from a condition variable
   takes (20-60 us in a VM, per step). So a worker, and the caller waiting
   for the workers, spin for up to about 50 us before they sleep: only
   when the pool has no more threads than CPUs, since otherwise a spinning
   thread would take CPU time from the threads it waits for. */
enum { SPIN = 2000 };

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Spins while *v == old, for at most SPIN rounds. */
static void spin_while_eq(const rt_pool *p, _Atomic uint64_t *v, uint64_t old)
{
    for (int s = 0; p->spin && s < SPIN && atomic_load_explicit(v, memory_order_acquire) == old; s++)
        cpu_relax();
}

static void *worker_main(void *varg)
{
    worker *w = varg;
    rt_pool *p = w->pool;
    uint64_t seen = 0;
    for (;;) {
        spin_while_eq(p, &p->gen, seen);
        pthread_mutex_lock(&p->mu);
        while (!p->stop && p->gen == seen)
            pthread_cond_wait(&p->work, &p->mu);
        if (p->stop) {
            pthread_mutex_unlock(&p->mu);
            break;
        }
        seen = p->gen;
        st_job *job = p->job;
        st_task_fn fn = p->fn;
        void *arg = p->arg;
        int n = p->n;
        pthread_mutex_unlock(&p->mu);
        run_tasks(p, job, fn, arg, n, w->index);
        if (atomic_fetch_sub(&p->busy, 1) == 1) {
            pthread_mutex_lock(&p->mu);
            pthread_cond_signal(&p->done);
            pthread_mutex_unlock(&p->mu);
        }
    }
    return NULL;
}

rt_pool *rt_pool_new(int nworkers)
{
    if (nworkers < 1)
        nworkers = 1;
    rt_pool *p = rt_xcalloc(1, sizeof *p);
    p->nworkers = nworkers;
    p->spin = nworkers <= rt_ncpus();
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->done, NULL);
    atomic_init(&p->next, 0);
    atomic_init(&p->gen, 0);
    atomic_init(&p->stop, false);
    atomic_init(&p->busy, 0);
    p->workers = rt_xcalloc((size_t)nworkers, sizeof *p->workers);
    for (int i = 1; i < nworkers; i++) {
        worker *w = &p->workers[i];
        w->pool = p;
        w->index = i;
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            rt_pool_free(p);
            return NULL;
        }
        p->nthreads++;
    }
    return p;
}

void rt_pool_free(rt_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
    for (int i = 1; i <= p->nthreads; i++)
        pthread_join(p->workers[i].thread, NULL);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->mu);
    free(p->workers);
    free(p);
}

void rt_pool_run(rt_pool *p, st_job *job, int n, st_task_fn fn, void *arg)
{
    if (n <= 0)
        return;
    if (p->nthreads == 0 || n == 1) {
        atomic_store_explicit(&p->next, 0, memory_order_relaxed);
        run_tasks(p, job, fn, arg, n, 0);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->job = job;
    p->fn = fn;
    p->arg = arg;
    p->n = n;
    atomic_store_explicit(&p->next, 0, memory_order_relaxed);
    atomic_store(&p->busy, p->nthreads);
    atomic_fetch_add_explicit(&p->gen, 1, memory_order_release);
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);

    run_tasks(p, job, fn, arg, n, 0);

    /* Every thread must be done with this gen, not only with the indices:
       a late thread still reading p->next must not see the next task. */
    for (int s = 0; p->spin && s < SPIN && atomic_load(&p->busy) > 0; s++)
        cpu_relax();
    if (atomic_load(&p->busy) > 0) {
        pthread_mutex_lock(&p->mu);
        while (atomic_load(&p->busy) > 0)
            pthread_cond_wait(&p->done, &p->mu);
        pthread_mutex_unlock(&p->mu);
    }
}

typedef struct each_task {
    void (*task)(void *arg, int i);
    void *arg;
} each_task;

static void each_one(st_job *job, void *arg, int i, int w)
{
    (void)job;
    (void)w;
    const each_task *t = arg;
    t->task(t->arg, i);
}

void rt_pool_each(rt_pool *p, int n, void (*task)(void *arg, int i), void *arg)
{
    if (!p) {
        for (int i = 0; i < n; i++)
            task(arg, i);
        return;
    }
    st_job job;   /* no arenas: run_tasks leaves the thread's arena alone */
    memset(&job, 0, sizeof job);
    each_task t = { task, arg };
    rt_pool_run(p, &job, n, each_one, &t);
}

int rt_pool_width(const rt_pool *p)
{
    return p ? p->nthreads + 1 : 1;
}

void st_parallel_for(st_job *job, int n, st_task_fn fn, void *arg)
{
    rt_ctx *c = job->rt;
    if (c && c->pool) {
        rt_pool_run(c->pool, job, n, fn, arg);
        return;
    }
    for (int i = 0; i < n; i++)   /* a job without a pool: run inline */
        fn(job, arg, i, 0);
}
