/* cli.c: output path checks and the temporary C file (see cli.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

int output_path_check(const char *out, const char *input, const char *what)
{
    struct stat st, in;
    if (*out == '\0') {
        fprintf(stderr, "streamc: error: %s needs a file name, not ''\n",
                strcmp(what, "the executable") == 0 ? "-o"
                : strcmp(what, "the DAG") == 0    ? "--emit-dot"
                                                  : "--emit-c");
        return -1;
    }
    size_t n = strlen(out);
    if (out[n - 1] == '/' || (stat(out, &st) == 0 && S_ISDIR(st.st_mode))) {
        fprintf(stderr, "streamc: error: cannot write %s '%s': it is a directory\n", what, out);
        return -1;
    }
    if (stat(out, &st) == 0 && stat(input, &in) == 0 && st.st_dev == in.st_dev && st.st_ino == in.st_ino) {
        fprintf(stderr, "streamc: error: cannot write %s '%s': it is the input file\n", what, out);
        return -1;
    }
    char dir[PATH_MAX];
    const char *slash = strrchr(out, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == out)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - out), out);
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "streamc: error: cannot write %s '%s': directory '%s': %s\n", what, out, dir,
                stat(dir, &st) != 0 ? strerror(errno) : strerror(ENOTDIR));
        return -1;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        fprintf(stderr, "streamc: error: cannot write %s '%s': directory '%s': %s\n", what, out, dir,
                strerror(errno));
        return -1;
    }
    return 0;
}

/* for the signal handler: set before the handlers, read only there */
static char tmp_path[PATH_MAX];
static volatile sig_atomic_t tmp_live, child_pid;
static const int caught[] = { SIGINT, SIGTERM, SIGHUP };
static struct sigaction old_act[3];

static void on_signal(int sig)
{
    if (child_pid > 0)
        kill((pid_t)child_pid, sig);
    if (tmp_live)
        unlink(tmp_path);
    signal(sig, SIG_DFL);
    raise(sig);
}

int tmp_c_create(char *path, size_t size)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    if ((size_t)snprintf(tmp_path, sizeof tmp_path, "%s/streamc-XXXXXX.c", dir) >= sizeof tmp_path) {
        fprintf(stderr, "streamc: error: cannot create a temporary file in '%s': %s\n", dir, strerror(ENAMETOOLONG));
        return -1;
    }
    /* blocked while the file exists but is not yet known to the handler */
    sigset_t set, old;
    sigemptyset(&set);
    for (int i = 0; i < 3; i++)
        sigaddset(&set, caught[i]);
    sigprocmask(SIG_BLOCK, &set, &old);
    int fd = mkstemps(tmp_path, 2);
    int e = errno;
    if (fd >= 0) {
        tmp_live = 1;
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        for (int i = 0; i < 3; i++) {
            sigaction(caught[i], NULL, &old_act[i]);
            /* a signal ignored by whoever started us stays ignored */
            if (old_act[i].sa_handler != SIG_IGN)
                sigaction(caught[i], &sa, NULL);
        }
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (fd < 0) {
        fprintf(stderr, "streamc: error: cannot create a temporary file in '%s': %s\n", dir, strerror(e));
        return -1;
    }
    snprintf(path, size, "%s", tmp_path);
    return fd;
}

void tmp_c_child(pid_t pid)
{
    child_pid = pid;
}

void tmp_c_remove(void)
{
    sigset_t set, old;
    sigemptyset(&set);
    for (int i = 0; i < 3; i++)
        sigaddset(&set, caught[i]);
    sigprocmask(SIG_BLOCK, &set, &old);
    if (tmp_live) {
        unlink(tmp_path);
        tmp_live = 0;
        for (int i = 0; i < 3; i++)
            if (old_act[i].sa_handler != SIG_IGN)
                sigaction(caught[i], &old_act[i], NULL);
    }
    child_pid = 0;
    sigprocmask(SIG_SETMASK, &old, NULL);
}
