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
 */
#ifndef STREAMC_DIAG_H
#define STREAMC_DIAG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ast.h"
#include "source.h"

typedef struct st_diag {
    st_source *src;
    FILE *out;
    bool color;
    int nerrors, nwarnings;
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
void diag_note(st_diag *d, st_loc loc, const char *fmt, ...) ST_PRINTF(3, 4);
/* After an error or warning: clang's fix-it line, text under loc's column
   (what to write instead). */
void diag_fixit(st_diag *d, st_loc loc, const char *text);
void diag_finish(st_diag *d);

#endif
