/* st_rep.h: the replacement strings of replaceAll(s, re, rep), parsed as
 * Java's Matcher.appendReplacement parses them. Shared by the compiler
 * (which checks a literal rep against the regex's groups) and the runtime.
 *
 *   \x        the byte x (so \$ is a dollar, \\ a backslash)
 *   $N        group N (0 = the whole match): the first digit, then every
 *             further digit as long as the number stays <= the groups
 *   otherwise the byte itself
 * Errors, as Java's: a trailing '\', '$' at the end, '$' not followed by
 * a digit (Java's named groups ${name} do not exist in POSIX regexes),
 * and a group past the last. */
#ifndef ST_REP_H
#define ST_REP_H

#include <stddef.h>

/* Reads the element of rep[0..n) at *i and moves *i past it: a byte
   (*group = -1, *c set) or a group reference (*group >= 0). Returns NULL,
   or the error message (and *group = the bad group number, or -1). */
static inline const char *st_rep_next(const char *rep, size_t n, size_t *i, int nsub, int *group, char *c)
{
    char ch = rep[*i];
    (*i)++;
    *group = -1;
    *c = 0;
    if (ch == '\\') {
        if (*i >= n)
            return "character to be escaped is missing";
        *c = rep[(*i)++];
        return NULL;
    }
    if (ch != '$') {
        *c = ch;
        return NULL;
    }
    if (*i >= n)
        return "illegal group reference: group index is missing";
    if (rep[*i] < '0' || rep[*i] > '9')
        return rep[*i] == '{' ? "named groups ${name} do not exist in POSIX regexes: write $1"
                              : "illegal group reference: '$' must be followed by a group number "
                                "(write \\$ for a dollar)";
    int g = rep[(*i)++] - '0';
    while (*i < n && rep[*i] >= '0' && rep[*i] <= '9') {
        int ng = g * 10 + (rep[*i] - '0');
        if (ng > nsub)
            break;
        g = ng;
        (*i)++;
    }
    *group = g;
    if (g > nsub)
        return "no such group";
    return NULL;
}

#endif
