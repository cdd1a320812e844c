/* diag.h: error, warning and note messages in gcc's format.
 *
 *   file:line:col: error: message
 *       9 | the source line
 *         |     ^~~~
 *         |     fixed               (diag_fixit: what to write instead)
 *   file:line:col: note: message          (notes: one line, no excerpt)
 *
 * An error or warning identical to one already printed (same kind,
 * location and text) is printed once, and so are the notes after it.
 * diag_finish() prints "N errors generated." (clang style) and releases
 * what diag allocated. Only the lexer, parser and sema report user errors.
 *
 * A named warning ends in its option, as gcc shows it:
 *   file:line:col: warning: stream 'x' is never used [-Wunused-stream]
 *   file:line:col: error: stream 'x' is never used [-Werror=unused-stream]
 * With opts.json the same diagnostics are one JSON array written by
 * diag_finish() (gcc 12's -fdiagnostics-format=json; diag_json.c), with
 * no summary line.
 */
#ifndef STREAMC_DIAG_H
#define STREAMC_DIAG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ast.h"
#include "source.h"

/* Named warnings (docs/language.md §10, "Warnings"): -Wno-NAME turns one
 * off, -Werror=NAME makes it an error, -Werror all of them. A warning
 * reported through diag_warning() has no name and follows only -Werror/-w. */
typedef enum st_warn {
    W_UNNAMED,
    W_UNUSED_SOURCE,   /* source 'x' is never used */
    W_UNUSED_STREAM,   /* stream 'x' is never used */
    W_UNUSED_WINDOW,   /* window 'w' is never used */
    W_DEAD_STREAM,     /* source/stream 'x' does not feed any output operation */
    W_UNUSED_PARAM,    /* param 'p' is never used */
    W_WINDOW_GAP,      /* window slide longer than the window */
    W_UNUSED_VAL,      /* val 'v' is never used (sema_rec.c) */
    W_UNUSED_TABLE,    /* table 't' is never used (sema_tables.c) */
    W_COUNT
} st_warn;

/* What the command line asks of diagnostics (main.c fills it, then copies
 * it into st_diag.opts after diag_init). */
typedef struct st_diag_opts {
    bool json;            /* -fdiagnostics-format=json: gcc 12's layout */
    bool werror_all;      /* -Werror */
    bool no_warnings;     /* -w */
    uint32_t off;         /* bit per st_warn: -Wno-NAME */
    uint32_t error;       /* -Werror=NAME */
    uint32_t no_error;    /* -Wno-error=NAME */
} st_diag_opts;

/* Applies one -W... or -w option to o; -1 if it names no warning. */
int diag_warning_option(st_diag_opts *o, const char *arg);
/* "unused-stream" for W_UNUSED_STREAM; NULL for W_UNNAMED */
const char *diag_warning_name(st_warn w);

typedef struct st_diag {
    st_source *src;
    FILE *out;
    bool color;
    st_diag_opts opts;
    int nerrors, nwarnings;
    int nwerrors;        /* warnings reported as errors (-Werror): not in nerrors */
    /* private: the JSON array being built (opts.json) */
    char *json;
    size_t njson, capjson;
    char *jchildren;
    size_t njchildren, capjchildren;
    bool jopen;
    bool jfixit;        /* the open JSON object has its fix-it */
    /* private: hashes of the messages printed so far */
    uint64_t *seen;
    size_t nseen, capseen;
    bool last_shown;     /* the last error/warning was printed: its notes are */
} st_diag;

void diag_init(st_diag *d, st_source *src, FILE *out, bool color);
#if defined(__GNUC__)
#define ST_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define ST_PRINTF(a, b)
#endif
void diag_error(st_diag *d, st_loc loc, const char *fmt, ...) ST_PRINTF(3, 4);
void diag_warning(st_diag *d, st_loc loc, const char *fmt, ...) ST_PRINTF(3, 4);
void diag_warn(st_diag *d, st_warn w, st_loc loc, const char *fmt, ...) ST_PRINTF(4, 5);
void diag_note(st_diag *d, st_loc loc, const char *fmt, ...) ST_PRINTF(3, 4);
/* After an error or warning: clang's fix-it line, text under loc's column
   (what to write instead). */
void diag_fixit(st_diag *d, st_loc loc, const char *text);
void diag_finish(st_diag *d);

#endif
