/* sema_cnames.h: names and paths the program hands to C and to the file
 * system, checked before C sees them (docs/language.md §4.5, §8.2).
 *
 * cname_check() refuses, for an extern or foreachRDD function: C keywords,
 * names reserved for the C implementation (leading '_') and for types
 * (a '_t' suffix), the runtime's and the generated code's prefixes (st_,
 * sc_, rt_ and ST_, SC_, RT_), main, and every macro of the generated C's
 * headers and symbol of libc/libm (cnames.inc, made at build time by
 * compiler/tools/cnames.sh); and a name no %{ %} block declares. Each
 * refusal is one error at loc; returns true when the name is usable.
 *
 * save_names_check() refuses saveAsTextFiles names that could not be
 * created at run time (a '/' or NUL in the suffix, a NUL in the prefix,
 * a directory name over the file system's limit).
 */
#ifndef STREAMC_SEMA_CNAMES_H
#define STREAMC_SEMA_CNAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "ast.h"
#include "diag.h"

/* what: "foreachRDD" or "extern" (names the function in the messages);
   need_decl: also require a %{ %} block to declare it */
bool cname_check(st_diag *d, const st_program *p, const char *name, st_loc loc, const char *what,
                 bool need_decl);

/* the reason a name is refused by rule or list, NULL if it is not */
const char *cname_reserved(const char *name);

/* "sc_rdd_pair_string_int": the C type of the batch foreachRDD hands to
   its function for a stream of t, in buf */
const char *cname_rdd(const st_type *t, char *buf, size_t n);
/* the documented C name of t without "sc_" ("pair_string_int"), into b
   (codegen_rec.c) */
struct sbuf;
void cr_name_put(struct sbuf *b, const st_type *t);

/* prefix: the first argument of saveAsTextFiles; suffix: NULL or the second */
bool save_names_check(st_diag *d, const st_expr *prefix, const st_expr *suffix);

#endif
