/* codegen.h: lowering of a checked program to C, and building it.
 *
 * codegen_emit() writes one self-contained C file for a program that
 * sema_check() accepted and lower_program() planned. It never reports user errors (sema did); an
 * inconsistency in the tree is a bug and asserts.
 */
#ifndef STREAMC_CODEGEN_H
#define STREAMC_CODEGEN_H

#include <stdbool.h>
#include <stdio.h>

#include "ast.h"
#include "lower.h"

#define ST_VERSION_STRING "0.1.0"

typedef struct codegen_opts {
    bool line_directives;   /* #line N "file.stream" around user code */
    const char *src_path;   /* as written in #line directives */
} codegen_opts;

/* Writes the C translation of p, lowered to plan (lower_program(p)), to
   out. Returns 0, or -1 on a write error. */
int codegen_emit(const st_program *p, lw_plan *plan, const codegen_opts *opts, FILE *out);

#endif
