/* main.c: the streamc command line; the phases are plain calls here:
 * load -> parse -> sema -> lower -> codegen -> cc.
 *
 * Exit status: 0 valid (warnings allowed), 1 errors in the program (or the
 * C compiler failed), 2 usage error (bad options, unreadable file).
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ast.h"
#include "cli.h"
#include "codegen.h"
#include "dag.h"
#include "diag.h"
#include "diag_json.h"
#include "lower.h"
#include "parse.h"
#include "sema.h"
#include "sema_kinds.h"
#include "source.h"

#ifndef STREAMC_PREFIX
#define STREAMC_PREFIX "/usr/local"
#endif

extern char **environ;

static void usage(FILE *out)
{
    fputs("usage: streamc [options] FILE.stream\n"
          "\n"
          "Compiles a .stream pipeline into a standalone executable.\n"
          "\n"
          "  -o OUT       write the executable to OUT (default: FILE without .stream)\n"
          "  --check      only validate the program (for CI); writes nothing\n"
          "  --emit-c OUT write the generated C to OUT ('-' for stdout) and stop\n"
          "  --no-line    no #line directives in the generated C\n"
          "  --emit-dot OUT write the job's DAG in Graphviz dot to OUT ('-' for stdout)\n"
          "               and stop (render it with dot -Tsvg)\n"
          "  --dump-ast   print the checked syntax tree and stop\n"
          "  -Wno-NAME    turn warning NAME off (-WNAME: on again)\n"
          "  -Werror      make every warning an error; -Werror=NAME only NAME\n"
          "  -w           no warnings\n"
          "               NAME: unused-source unused-stream unused-window unused-param\n"
          "               dead-stream unused-val unused-table (these seven: unused)\n"
          "               window-gap\n"
          "  -fdiagnostics-format=text|json\n"
          "               diagnostics as text (default) or as gcc 12's JSON\n"
          "  --color=auto|always|never\n"
          "               colour diagnostics (auto: on a terminal, unless NO_COLOR)\n"
          "  --version    print the version\n"
          "  --help       this text\n"
          "\n"
          "Environment: CC (default cc) and CFLAGS (default -O2) compile the\n"
          "generated C, LDLIBS adds libraries after it (-lz ...);\n"
          "STREAMC_RUNTIME overrides where the runtime is found.\n"
          "Exit status: 0 valid, 1 errors in the program, 2 usage error.\n",
          out);
}

/* Directory holding this executable, from /proc/self/exe. */
static int self_dir(char *buf, size_t size)
{
    ssize_t n = readlink("/proc/self/exe", buf, size - 1);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    char *slash = strrchr(buf, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    return 0;
}

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Finds include/streamc and lib/streamc: $STREAMC_RUNTIME, next to the
 * compiler (build tree or install), then the configured prefix. */
static int find_runtime(char *inc, char *lib, size_t size)
{
    char base[PATH_MAX + 8];
    const char *env = getenv("STREAMC_RUNTIME");
    const char *cands[3];
    int n = 0;
    char here[PATH_MAX];
    if (env && *env)
        cands[n++] = env;
    if (self_dir(here, sizeof here) == 0) {
        snprintf(base, sizeof base, "%s/..", here);
        cands[n++] = base;
    }
    cands[n++] = STREAMC_PREFIX;
    for (int i = 0; i < n; i++) {
        char probe[PATH_MAX + 64];
        snprintf(probe, sizeof probe, "%s/lib/streamc/libstreamrt.a", cands[i]);
        if (!is_file(probe))
            continue;
        snprintf(lib, size, "%s/lib/streamc/libstreamrt.a", cands[i]);
        snprintf(inc, size, "%s/include/streamc", cands[i]);
        return 0;
    }
    return -1;
}

/* Splits s at blanks into argv (no quoting: CC/CFLAGS are word lists). */
static int split_words(char *s, char **argv, int max)
{
    int n = 0;
    for (char *tok = strtok(s, " \t\n"); tok && n < max; tok = strtok(NULL, " \t\n"))
        argv[n++] = tok;
    return n;
}

static int run_cc(const char *csrc, const char *out, const char *inc, const char *lib, const char *const *libs,
                  int nlibs)
{
    char *cc = strdup(getenv("CC") && *getenv("CC") ? getenv("CC") : "cc");
    const char *cf = getenv("CFLAGS");
    char *cflags = strdup(cf ? cf : "-O2");
    char incflag[PATH_MAX + 8];
    snprintf(incflag, sizeof incflag, "-I%s", inc);
    char *argv[300];
    int n = split_words(cc, argv, 32);
    n += split_words(cflags, argv + n, 180);
    const char *tail[] = { "-std=gnu11", incflag, "-o", out, csrc, NULL };
    for (int i = 0; tail[i]; i++)
        argv[n++] = (char *)tail[i];
    /* a kind that needs a library: its archive (before the runtime's,
       whose functions it calls) and the library, only when used */
    static char arch[8][PATH_MAX + 64], lflag[8][80];
    const char *slash = strrchr(lib, '/');
    int dirlen = slash ? (int)(slash - lib) : 0;
    for (int i = 0; i < nlibs && i < 8; i++) {
        snprintf(arch[i], sizeof arch[i], "%.*s/libstreamrt_%s.a", dirlen, lib, libs[i]);
        argv[n++] = arch[i];
    }
    argv[n++] = (char *)lib;
    /* libraries a program's C code needs (a connector's, say) go after
       the generated file, where the linker resolves them */
    const char *ll = getenv("LDLIBS");
    char *ldlibs = strdup(ll ? ll : "");
    n += split_words(ldlibs, argv + n, 32);
    for (int i = 0; i < nlibs && i < 8; i++) {
        snprintf(lflag[i], sizeof lflag[i], "-l%s", libs[i]);
        argv[n++] = lflag[i];
    }
    argv[n++] = "-lpthread";
    argv[n++] = "-lm";
    argv[n] = NULL;
    int rc = 1;
    pid_t pid;
    /* a signal between the spawn and tmp_c_child() would miss the child:
       held until then, and the child starts with none held */
    sigset_t set, old, none;
    sigemptyset(&set);
    sigemptyset(&none);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
    sigprocmask(SIG_BLOCK, &set, &old);
    int err = posix_spawnp(&pid, argv[0], NULL, &attr, argv, environ);
    if (err == 0)
        tmp_c_child(pid);
    sigprocmask(SIG_SETMASK, &old, NULL);
    posix_spawnattr_destroy(&attr);
    if (err != 0) {
        fprintf(stderr, "streamc: error: cannot run C compiler '%s': %s\n", argv[0], strerror(err));
    } else {
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
            rc = 0;
        else
            fprintf(stderr, "streamc: error: the C compiler '%s' failed (its messages are above)\n", argv[0]);
    }
    free(cc);
    free(cflags);
    free(ldlibs);
    return rc;
}

/* "dir/wordcount.stream" -> "wordcount" (in the current directory, as cc's a.out). */
static char *default_output(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 7 && strcmp(base + n - 7, ".stream") == 0)
        n -= 7;
    else {
        char *o = malloc(n + 5);
        snprintf(o, n + 5, "%s.out", base);
        return o;
    }
    char *o = malloc(n + 1);
    memcpy(o, base, n);
    o[n] = '\0';
    return o;
}

int main(int argc, char **argv)
{
    const char *file = NULL, *out = NULL, *emit_c = NULL, *emit_dot = NULL;
    bool check = false, dump_ast = false, lines = true;
    st_diag_opts dopts = { 0 };
    int color = -1; /* auto */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if ((a[0] == '-' && a[1] == 'W') || strcmp(a, "-w") == 0) {
            if (diag_warning_option(&dopts, a) != 0) {
                fprintf(stderr, "streamc: error: unknown warning option '%s' (see --help)\n", a);
                return 2;
            }
        } else if (strncmp(a, "-fdiagnostics-format=", 21) == 0) {
            if (strcmp(a + 21, "json") == 0)
                dopts.json = true;
            else if (strcmp(a + 21, "text") == 0)
                dopts.json = false;
            else {
                fprintf(stderr, "streamc: error: unknown diagnostics format '%s' (expected text or json)\n", a + 21);
                return 2;
            }
        } else if (strncmp(a, "--color=", 8) == 0 || strncmp(a, "-fdiagnostics-color=", 20) == 0) {
            const char *v = strchr(a, '=') + 1;
            if (strcmp(v, "auto") == 0)
                color = -1;
            else if (strcmp(v, "always") == 0)
                color = 1;
            else if (strcmp(v, "never") == 0)
                color = 0;
            else {
                fprintf(stderr, "streamc: error: unknown colour setting '%s' (expected auto, always or never)\n", v);
                return 2;
            }
        } else if (strcmp(a, "--check") == 0)
            check = true;
        else if (strcmp(a, "--dump-ast") == 0)
            dump_ast = true;
        else if (strcmp(a, "--no-line") == 0)
            lines = false;
        else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--version") == 0) {
            printf("streamc %s\n", ST_VERSION_STRING);
            return 0;
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--emit-c") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "streamc: error: %s needs an argument\n", a);
                return 2;
            }
            if (a[1] == 'o')
                out = argv[++i];
            else
                emit_c = argv[++i];
        } else if (strcmp(a, "--emit-dot") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "streamc: error: %s needs an argument\n", a);
                return 2;
            }
            emit_dot = argv[++i];
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "streamc: error: unknown option '%s' (see --help)\n", a);
            return 2;
        } else if (file) {
            fprintf(stderr, "streamc: error: more than one input file ('%s' and '%s')\n", file, a);
            return 2;
        } else
            file = a;
    }
    if (!file) {
        fprintf(stderr, "streamc: error: no input file\n");
        usage(stderr);
        return 2;
    }

    char err[512];
    st_source *src = source_load(file, err, sizeof err);
    if (!src) {
        if (dopts.json)
            diag_json_fatal(stderr, err);
        else
            fprintf(stderr, "streamc: error: %s\n", err);
        return 2;
    }
    st_diag diag;
    /* auto: a terminal, and NO_COLOR unset or empty (no-color.org) */
    const char *nc = getenv("NO_COLOR");
    if (color < 0)
        color = isatty(2) && !(nc && *nc);
    diag_init(&diag, src, stderr, color && !dopts.json);
    diag.opts = dopts;
    st_program *prog = parse_program(src, &diag);
    bool ok = diag.nerrors == 0;
    ok = sema_check(prog, &diag) && ok;
    ok = ok && diag.nwerrors == 0; /* -Werror */
    diag_finish(&diag);

    int rc = ok ? 0 : 1;
    if (ok && dump_ast)
        ast_dump(prog, stdout);
    else if (ok && emit_dot && !check)
        rc = strcmp(emit_dot, "-") != 0 && output_path_check(emit_dot, file, "the DAG") != 0
                 ? 2
                 : dag_write_dot(prog, emit_dot);
    else if (ok && !check) {
        codegen_opts opts = { .line_directives = lines, .src_path = file };
        lw_plan *plan = lower_program(prog);
        if (emit_c) {
            bool to_stdout = strcmp(emit_c, "-") == 0;
            FILE *f = NULL;
            if (!to_stdout && output_path_check(emit_c, file, "the generated C") != 0)
                rc = 2;
            else if (!(f = to_stdout ? stdout : fopen(emit_c, "w"))) {
                fprintf(stderr, "streamc: error: cannot write '%s': %s\n", emit_c, strerror(errno));
                rc = 2;
            } else {
                if (codegen_emit(prog, plan, &opts, f) != 0)
                    rc = 1;
                if (f != stdout && fclose(f) != 0)
                    rc = 1;
            }
        } else {
            char inc[PATH_MAX], lib[PATH_MAX];
            char *outpath = out ? strdup(out) : default_output(file);
            char tmpl[PATH_MAX];
            int fd = -1;
            if (find_runtime(inc, lib, sizeof inc) != 0) {
                fprintf(stderr, "streamc: error: cannot find the runtime (lib/streamc/libstreamrt.a); "
                                "set STREAMC_RUNTIME to its prefix\n");
                rc = 2;
            } else if (output_path_check(outpath, file, "the executable") != 0) {
                rc = 2;
            } else if ((fd = tmp_c_create(tmpl, sizeof tmpl)) < 0) {
                rc = 2;
            } else {
                FILE *f = fdopen(fd, "w");
                int wrc = codegen_emit(prog, plan, &opts, f);
                if (fclose(f) != 0 || wrc != 0) {
                    fprintf(stderr, "streamc: error: cannot write '%s'\n", tmpl);
                    rc = 1;
                } else {
                    const char *libs[8];
                    int nlibs = sema_kind_libs(prog, libs, 8);
                    rc = run_cc(tmpl, outpath, inc, lib, libs, nlibs);
                }
            }
            if (fd >= 0)
                tmp_c_remove();
            free(outpath);
        }
        lower_free(plan);
    }
    program_free(prog);
    source_free(src);
    return rc;
}
