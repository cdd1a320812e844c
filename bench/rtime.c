/* rtime.c: run a command, report its wall time, CPU time and peak RSS.
 *
 *   rtime [-n REPEAT] [-o FILE] [-i STDIN_FILE] -- CMD ARGS...
 *
 * Writes one line to FILE (default stderr):
 *   wall=SECONDS user=SECONDS sys=SECONDS maxrss_kb=KB [wall_min=S wall_med=S]
 * With -n, runs the command REPEAT times; wall is the median, maxrss the
 * largest. The command's stdout/stderr pass through. A portable stand-in
 * for GNU time -v (not installed on every machine): fork, exec, wait4.
 * Exit status: the command's (the last run's), 127 if it could not run. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double tv(struct timeval t) { return (double)t.tv_sec + (double)t.tv_usec * 1e-6; }

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int n = 1, i = 1;
    const char *out = NULL, *in = NULL;
    for (; i < argc; i++) {
        if (!strcmp(argv[i], "-n") && i + 1 < argc) n = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-o") && i + 1 < argc) out = argv[++i];
        else if (!strcmp(argv[i], "-i") && i + 1 < argc) in = argv[++i];
        else if (!strcmp(argv[i], "--")) { i++; break; }
        else break;
    }
    if (i >= argc || n < 1) {
        fprintf(stderr, "usage: rtime [-n REPEAT] [-o FILE] [-i STDIN] -- CMD ARGS...\n");
        return 2;
    }
    double *walls = calloc((size_t)n, sizeof *walls);
    double user = 0, sys = 0;
    long maxrss = 0;
    int status = 0;
    for (int r = 0; r < n; r++) {
        double t0 = now();
        pid_t pid = fork();
        if (pid < 0) { perror("rtime: fork"); return 127; }
        if (pid == 0) {
            if (in) {
                int fd = open(in, O_RDONLY);
                if (fd < 0 || dup2(fd, 0) < 0) { perror(in); _exit(127); }
                close(fd);
            }
            execvp(argv[i], argv + i);
            fprintf(stderr, "rtime: %s: %s\n", argv[i], strerror(errno));
            _exit(127);
        }
        struct rusage ru;
        while (wait4(pid, &status, 0, &ru) < 0) {
            if (errno != EINTR) { perror("rtime: wait4"); return 127; }
        }
        walls[r] = now() - t0;
        user += tv(ru.ru_utime);
        sys += tv(ru.ru_stime);
        if (ru.ru_maxrss > maxrss) maxrss = ru.ru_maxrss;
    }
    double sorted_min, med;
    qsort(walls, (size_t)n, sizeof *walls, cmp_d);
    sorted_min = walls[0];
    med = walls[n / 2];
    FILE *f = out ? fopen(out, "w") : stderr;
    if (!f) { perror(out); return 127; }
    fprintf(f, "wall=%.6f user=%.6f sys=%.6f maxrss_kb=%ld wall_min=%.6f wall_med=%.6f\n",
            med, user / n, sys / n, maxrss, sorted_min, med);
    if (out) fclose(f);
    free(walls);
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}
