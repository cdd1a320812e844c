/* st_kinds_fmt.h: how a source is described (the runtime's --describe
 * and the compiler's --dag), from the DESCRIBE format of its kind's row
 * in st_kinds.def, so that neither side switches on kind names.
 *
 * A format is the text to print, with
 *   $FIELD     the field's value (a string as is, NULL as ""; a number)
 *   $!FIELD    nothing: only a condition for the group around it
 *   [ ... ]    a group, printed only when every $FIELD in it is set
 *              (a string not NULL, a number not 0)
 * FIELD is a name that get() knows (host, port, path, rate, loop,
 * receiver). Header-only: the compiler and the runtime include it. */
#ifndef ST_KINDS_FMT_H
#define ST_KINDS_FMT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* get(obj, name, &str, &num): ST_KF_STR (the value in *str), ST_KF_NUM
   (in *num), or 0 when the name is unknown (set: neither) */
enum { ST_KF_STR = 1, ST_KF_NUM = 2 };
typedef int st_kind_field_fn(const void *obj, const char *name, const char **str, int64_t *num);

/* the field named at *p (after '$' or '$!'); moves *p past it */
static inline int st_kind_field(const char **p, st_kind_field_fn *get, const void *obj, const char **s,
                                int64_t *v)
{
    char name[32];
    size_t n = 0;
    while ((*p)[n] >= 'a' && (*p)[n] <= 'z' && n + 1 < sizeof name)
        n++;
    memcpy(name, *p, n);
    name[n] = '\0';
    *p += n;
    *s = NULL;
    *v = 0;
    return get(obj, name, s, v);
}

/* writes the description into buf (at most cap bytes, NUL-terminated) */
static inline void st_kind_format(const char *fmt, st_kind_field_fn *get, const void *obj, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (const char *p = fmt; *p;) {
        const char *s;
        int64_t v;
        if (*p == '[') {   /* a group: printed when every field in it is set */
            const char *q = p + 1;
            bool set = true;
            while (*q && *q != ']')
                if (*q++ == '$') {
                    q += *q == '!';
                    int t = st_kind_field(&q, get, obj, &s, &v);
                    set = set && ((t == ST_KF_STR && s) || (t == ST_KF_NUM && v));
                }
            p = set ? p + 1 : *q ? q + 1 : q;
            continue;
        }
        if (*p == ']') {
            p++;
            continue;
        }
        if (*p != '$') {
            if (len + 1 < cap) {
                buf[len++] = *p;
                buf[len] = '\0';
            }
            p++;
            continue;
        }
        bool quiet = *++p == '!';
        p += quiet;
        int t = st_kind_field(&p, get, obj, &s, &v);
        if (!quiet && len < cap)
            len += (size_t)(t == ST_KF_NUM ? snprintf(buf + len, cap - len, "%lld", (long long)v)
                                           : snprintf(buf + len, cap - len, "%s", s ? s : ""));
    }
}

#endif
