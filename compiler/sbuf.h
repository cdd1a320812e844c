/* sbuf.h: a growable string with printf-append, for the code generator.
 * Aborts on out-of-memory (the compiler has nothing to fall back to). */
#ifndef STREAMC_SBUF_H
#define STREAMC_SBUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf;

void sb_free(sbuf *b);
void sb_put(sbuf *b, const char *s, size_t n);
void sb_puts(sbuf *b, const char *s);
__attribute__((format(printf, 2, 3))) void sb_printf(sbuf *b, const char *fmt, ...);
void sb_vprintf(sbuf *b, const char *fmt, va_list ap);
/* Appends a C string literal for n bytes: printable ASCII as is,
   everything else (and " \\ ?) as a 3-digit octal escape, so nothing can
   end the literal, form a trigraph or merge with a following digit. */
void sb_c_lit(sbuf *b, const char *s, size_t n);
/* A heap copy of a printf result (the caller frees it). */
__attribute__((format(printf, 1, 2))) char *xasprintf(const char *fmt, ...);

#endif
