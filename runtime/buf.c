/* buf.c: the growable text buffer and the number formats the language
 * prints (Java's Long.toString and Double.toString), plus the escaped form
 * used when a record is shown in a log line.
 * Must not: depend on the locale (no printf for the final text). */
#include "rt_internal.h"

#include <math.h>
#include <stdlib.h>

void st_buf_free(st_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

void st_buf_reserve(st_buf *b, size_t extra)
{
    if (extra > SIZE_MAX / 2 - b->n)
        rt_oom();
    size_t need = b->n + extra;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    b->p = st_xrealloc(b->p, cap);
    b->cap = cap;
}

void st_buf_put(st_buf *b, const void *p, size_t n)
{
    if (n == 0)
        return;
    st_buf_reserve(b, n);
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

void st_buf_puts(st_buf *b, const char *s)
{
    st_buf_put(b, s, strlen(s));
}

void st_buf_str(st_buf *b, st_str s)
{
    if (s.n > 0)
        st_buf_put(b, s.p, (size_t)s.n);
}

void st_buf_int(st_buf *b, int64_t v)
{
    char tmp[24];
    int i = (int)sizeof tmp;
    /* Negative magnitudes: INT64_MIN has no positive counterpart. */
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        tmp[--i] = '-';
    st_buf_put(b, tmp + i, sizeof tmp - (size_t)i);
}

void st_buf_bool(st_buf *b, bool v)
{
    if (v)
        st_buf_put(b, "true", 4);
    else
        st_buf_put(b, "false", 5);
}

/* Java's Double.toString (JDK 19+, Raffaello Giulietti's spec): the
 * shortest decimal that reads back as v, with at least two significant
 * digits considered (so Double.MIN_VALUE is 4.9E-324, not 5.0E-324), the
 * closest such decimal; plain notation for 1e-3 <= |v| < 1e7, else
 * d.dddE[-]n. %.*e is correctly rounded by glibc, so the first precision
 * that round-trips gives the closest shortest digits. */
size_t rt_format_float(char out[40], double v)
{
    char *o = out;
    if (isnan(v)) {
        memcpy(out, "NaN", 4);
        return 3;
    }
    if (signbit(v)) {
        *o++ = '-';
        v = -v;
    }
    if (isinf(v)) {
        memcpy(o, "Infinity", 9);
        return (size_t)(o - out) + 8;
    }
    if (v == 0) {
        memcpy(o, "0.0", 4);
        return (size_t)(o - out) + 3;
    }
    char sci[40];
    for (int prec = 1; prec <= 16; prec++) {
        snprintf(sci, sizeof sci, "%.*e", prec, v);
        if (strtod(sci, NULL) == v)
            break;
    }
    /* sci is "d.ddddde[+-]XX": collect the digits and the exponent. */
    char dig[24];
    int nd = 0;
    const char *s = sci;
    for (; *s && *s != 'e'; s++)
        if (*s >= '0' && *s <= '9')
            dig[nd++] = *s;
    int exp = atoi(s + 1);
    while (nd > 1 && dig[nd - 1] == '0')
        nd--;

    if (v >= 1e-3 && v < 1e7) {
        if (exp >= 0) {
            for (int i = 0; i <= exp; i++)
                *o++ = i < nd ? dig[i] : '0';
            *o++ = '.';
            if (nd > exp + 1)
                for (int i = exp + 1; i < nd; i++)
                    *o++ = dig[i];
            else
                *o++ = '0';
        } else {
            *o++ = '0';
            *o++ = '.';
            for (int i = 0; i < -exp - 1; i++)
                *o++ = '0';
            for (int i = 0; i < nd; i++)
                *o++ = dig[i];
        }
    } else {
        *o++ = dig[0];
        *o++ = '.';
        if (nd > 1)
            for (int i = 1; i < nd; i++)
                *o++ = dig[i];
        else
            *o++ = '0';
        *o++ = 'E';
        if (exp < 0) {
            *o++ = '-';
            exp = -exp;
        }
        char e[8];
        int ne = 0;
        do {
            e[ne++] = (char)('0' + exp % 10);
            exp /= 10;
        } while (exp);
        while (ne)
            *o++ = e[--ne];
    }
    *o = '\0';
    return (size_t)(o - out);
}

void st_buf_float(st_buf *b, double v)
{
    char tmp[40];
    size_t n = rt_format_float(tmp, v);
    st_buf_put(b, tmp, n);
}

void rt_buf_escaped(st_buf *b, const char *p, size_t n, size_t max)
{
    static const char hex[] = "0123456789abcdef";
    size_t m = n < max ? n : max;
    for (size_t i = 0; i < m; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '\\' || c == '"') {
            st_buf_putc(b, '\\');
            st_buf_putc(b, (char)c);
        } else if (c == '\n') {
            st_buf_put(b, "\\n", 2);
        } else if (c == '\r') {
            st_buf_put(b, "\\r", 2);
        } else if (c == '\t') {
            st_buf_put(b, "\\t", 2);
        } else if (c < 0x20 || c >= 0x7f) {
            char e[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };
            st_buf_put(b, e, 4);
        } else {
            st_buf_putc(b, (char)c);
        }
    }
    if (m < n)
        st_buf_put(b, "...", 3);
}
