/* source.h: one .stream file in memory with its line table.
 *
 * The text may contain NUL bytes; it is also NUL-terminated. Lines are
 * 1-based; source_line() returns a line without its '\n' (nor a '\r'
 * before it). Diagnostics and the lexer read the text, nobody writes it.
 */
#ifndef STREAMC_SOURCE_H
#define STREAMC_SOURCE_H

#include <stddef.h>

typedef struct st_source {
    char *name;        /* as given on the command line */
    char *text;        /* len bytes + a NUL */
    size_t len;
    size_t *lines;     /* offset of the first byte of each line */
    int nlines;
} st_source;

/* NULL on failure with a message ("cannot open 'x': ...") in err. */
st_source *source_load(const char *path, char *err, size_t errsz);
st_source *source_from_string(const char *name, const char *text, size_t len);
void source_free(st_source *src);
/* Line n (1-based) and its length; NULL when n is out of range. */
const char *source_line(const st_source *src, int n, size_t *len);

#endif
