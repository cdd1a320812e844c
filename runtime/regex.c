/* regex.c: matches, replaceAll and regexSplit over POSIX extended regexes
 * (libc <regex.h>), with Java's semantics for where matches are looked
 * for (Matcher.find): the search starts at 0; after a match [s, e) the
 * next one starts at e, or one code point further when the match was
 * empty; a search starting past the end fails. Strings are slices (not
 * NUL-terminated): regexec gets them with REG_STARTEND, so nothing is
 * copied to match. Results live in the batch arena (no malloc per record).
 * Must not: allocate with malloc outside st_regex_init, or keep state. */
#include "rt_internal.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>

#include "st_rep.h"

int st_regex_init(st_regex *r, int copies, char *err, size_t errsz)
{
    if (copies < 1)
        copies = 1;
    regex_t *v = rt_xcalloc((size_t)copies, sizeof *v);
    for (int i = 0; i < copies; i++) {
        int rc = regcomp(&v[i], r->pattern, REG_EXTENDED);
        if (rc != 0) {
            regerror(rc, &v[i], err, errsz);
            for (int k = 0; k < i; k++)
                regfree(&v[k]);
            free(v);
            return -1;
        }
    }
    r->impl = v;
    r->ncopies = copies;
    r->nsub = (int)v[0].re_nsub;
    return 0;
}

void st_regex_free(st_regex *r)
{
    regex_t *v = r->impl;
    for (int i = 0; v && i < r->ncopies; i++)
        regfree(&v[i]);
    free(v);
    r->impl = NULL;
    r->ncopies = 0;
}

static const regex_t *copy_of(const st_regex *re, int w)
{
    const regex_t *v = re->impl;
    return &v[w >= 0 && w < re->ncopies ? w : (w < 0 ? -w : w) % re->ncopies];
}

/* The leftmost-longest match in s starting at or after from, groups into
   pm[0..nm). False when there is none. */
static bool search(const regex_t *rx, st_str s, int64_t from, regmatch_t *pm, size_t nm)
{
    pm[0].rm_so = (regoff_t)from;
    pm[0].rm_eo = (regoff_t)s.n;
    /* "" has no bytes to point at; any readable address does */
    const char *p = s.p ? s.p : "";
    return regexec(rx, p, nm, pm, REG_STARTEND | (from > 0 ? REG_NOTBOL : 0)) == 0;
}

static inline int64_t cp_after(st_str s, int64_t i)
{
    i++;
    while (i < s.n && ((unsigned char)s.p[i] & 0xC0) == 0x80)
        i++;
    return i;
}

/* Java's Matcher.find after a match [first, last): where the next search
   starts, or -1 when it would start past the end. */
static int64_t next_from(st_str s, int64_t first, int64_t last)
{
    int64_t f = last;
    if (f == first)
        f = f < s.n ? cp_after(s, f) : s.n + 1;
    return f > s.n ? -1 : f;
}

bool st_matches(const st_regex *re, int w, st_str s)
{
    regmatch_t pm[1];
    /* leftmost-longest: when all of s matches, the match found starts at
       0 and is the longest there, all of s */
    return search(copy_of(re, w), s, 0, pm, 1) && pm[0].rm_so == 0 && pm[0].rm_eo == s.n;
}

/* An arena array of `used` elements of size sz, grown to hold `need`. */
static void *reserve(st_arena *a, void *v, int64_t used, int64_t need, int64_t *cap, size_t sz)
{
    if (need <= *cap)
        return v;
    int64_t nc = *cap ? *cap : 8;
    while (nc < need)
        nc *= 2;
    void *nv = st_arena_alloc(a, (size_t)nc * sz);
    if (used)
        memcpy(nv, v, (size_t)used * sz);
    *cap = nc;
    return nv;
}

int64_t st_regex_split(st_arena *a, const st_regex *re, int w, st_str s, st_str **out)
{
    if (!s.p)
        s.p = "";
    const regex_t *rx = copy_of(re, w);
    st_str *pv = NULL;
    int64_t pn = 0, cap = 0, index = 0, first = -1, last = 0;
    regmatch_t pm[1];
    for (int64_t from = 0; from >= 0 && search(rx, s, from, pm, 1); from = next_from(s, first, last)) {
        first = pm[0].rm_so;
        last = pm[0].rm_eo;
        /* no leading empty string for an empty match at the start */
        if (index == 0 && first == 0 && last == 0)
            continue;
        pv = reserve(a, pv, pn, pn + 1, &cap, sizeof *pv);
        pv[pn++] = (st_str){ s.p + index, first - index };
        index = last;
    }
    if (index == 0) {
        /* no match: s itself, even when empty */
        pv = st_arena_alloc(a, sizeof *pv);
        pv[0] = s;
        pn = 1;
    } else {
        pv = reserve(a, pv, pn, pn + 1, &cap, sizeof *pv);
        pv[pn++] = (st_str){ s.p + index, s.n - index };
        while (pn > 0 && pv[pn - 1].n == 0)
            pn--;
    }
    *out = pv;
    return pn;
}

bool st_replace_all(st_arena *a, const st_regex *re, int w, st_str s, st_str rep, st_str *out)
{
    if (!s.p)
        s.p = "";
    const regex_t *rx = copy_of(re, w);
    size_t nm = (size_t)re->nsub + 1;
    regmatch_t small[16];
    regmatch_t *pm = nm <= 16 ? small : st_arena_alloc(a, nm * sizeof *pm);
    /* every match's groups, then the text in one piece */
    regmatch_t *all = NULL;
    int64_t n = 0, cap = 0, first = -1, last = 0;
    for (int64_t from = 0; from >= 0 && search(rx, s, from, pm, nm); from = next_from(s, first, last)) {
        first = pm[0].rm_so;
        last = pm[0].rm_eo;
        all = reserve(a, all, n * (int64_t)nm, (n + 1) * (int64_t)nm, &cap, sizeof *all);
        memcpy(all + n * (int64_t)nm, pm, nm * sizeof *pm);
        n++;
    }
    if (n == 0) {
        *out = s;
        return true;
    }
    /* the length, checking rep once */
    int64_t len = s.n;
    for (int64_t k = 0; k < n; k++) {
        const regmatch_t *m = all + k * (int64_t)nm;
        len -= m[0].rm_eo - m[0].rm_so;
        for (size_t i = 0; i < (size_t)rep.n;) {
            int g;
            char c;
            if (st_rep_next(rep.p, (size_t)rep.n, &i, re->nsub, &g, &c))
                return false;
            len += g < 0 ? 1 : m[g].rm_so >= 0 ? m[g].rm_eo - m[g].rm_so : 0;
        }
    }
    char *buf = st_arena_alloc(a, (size_t)len + 1);
    int64_t o = 0, at = 0;
    for (int64_t k = 0; k < n; k++) {
        const regmatch_t *m = all + k * (int64_t)nm;
        if (m[0].rm_so > at)
            memcpy(buf + o, s.p + at, (size_t)(m[0].rm_so - at));
        o += m[0].rm_so - at;
        for (size_t i = 0; i < (size_t)rep.n;) {
            int g;
            char c;
            (void)st_rep_next(rep.p, (size_t)rep.n, &i, re->nsub, &g, &c);
            if (g < 0)
                buf[o++] = c;
            else if (m[g].rm_so >= 0 && m[g].rm_eo > m[g].rm_so) {
                memcpy(buf + o, s.p + m[g].rm_so, (size_t)(m[g].rm_eo - m[g].rm_so));
                o += m[g].rm_eo - m[g].rm_so;
            }
        }
        at = m[0].rm_eo;
    }
    if (s.n > at)
        memcpy(buf + o, s.p + at, (size_t)(s.n - at));
    o += s.n - at;
    *out = (st_str){ buf, o };
    return true;
}
