/* codegen_ext.h: the generated C for regexes and run-time parameters
 * (codegen_ext.c), called by codegen.c. */
#ifndef STREAMC_CODEGEN_EXT_H
#define STREAMC_CODEGEN_EXT_H

#include <stddef.h>

#include "ast.h"
#include "sbuf.h"

/* The regex table sc_re[] and the param variables sc_parN with their
   table sc_params[] (before the contexts' code, which uses them). */
void cgx_globals(const st_program *p, sbuf *out);
/* sc_bind(): the statements in assign (copies of params into the
   sources' descriptions), when the program has params. */
void cgx_bind(const st_program *p, sbuf *out, const sbuf *assign);
/* What follows the contexts in the st_program_desc initializer (params,
   bind, regexes), in buf. */
const char *cgx_desc_tail(const st_program *p, char *buf, size_t n);
/* The C expression of param pd's value as a source field: "sc_par3",
   "(int)sc_par3" for a port. */
const char *cgx_param_var(const st_decl *pd, char *buf, size_t n, bool as_int);

#endif
