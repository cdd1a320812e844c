/* diag_json.h: diagnostics as gcc 12's -fdiagnostics-format=json (private
 * to diag.c).
 *
 * One JSON array on one line, written at diag_finish(): an object per
 * error or warning, with its notes as "children":
 *   {"kind": "warning", "message": "...", "option": "-Wunused-stream",
 *    "locations": [{"caret": POS, "finish": POS}], "children": [...],
 *    "column-origin": 1, "escape-source": false}
 *   POS = {"file": F, "line": N, "display-column": N, "byte-column": N,
 *          "column": N}
 * "column" is the column of the text form (bytes, 1-based); display
 * columns count a UTF-8 character as one and a TAB up to the next multiple
 * of 8, as gcc does. "finish" (the last character) is left out when the
 * range is one character; "locations" is empty for a message about the
 * whole file. Invalid UTF-8 in a message is written as U+FFFD.
 */
#ifndef STREAMC_DIAG_JSON_H
#define STREAMC_DIAG_JSON_H

#include <stdbool.h>
#include <stdio.h>

#include "diag.h"

void diag_json_add(st_diag *d, const char *kind, st_loc loc, const char *msg, const char *option, bool note);
/* The fix-it of the open top-level diagnostic, as gcc's "fixits": replace
   [loc's start, the column after its end) with text. Only the first one
   of a diagnostic is kept, and only before its first note. */
void diag_json_fixit(st_diag *d, st_loc loc, const char *text);
void diag_json_finish(st_diag *d);
/* A fatal error before any source is read (an input that cannot be read),
   as gcc 12 writes it: one "fatal error" with no location. */
void diag_json_fatal(FILE *out, const char *msg);

#endif
