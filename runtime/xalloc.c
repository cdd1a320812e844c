/* xalloc.c: allocation that cannot fail quietly. Out of memory is the one
 * condition the runtime does not return from: it aborts (there is no sane
 * way to go on with a half-built batch). */
#include <stdio.h>
#include <stdlib.h>

#include "st_map.h"

void *st_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fputs("streamrt: out of memory\n", stderr);
        abort();
    }
    return q;
}
