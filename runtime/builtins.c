/* builtins.c: the language's built-in string functions (len, substr,
 * split, field, json, toInt, ...). Each works on st_str slices, copies only
 * when it must change bytes, and reports failure by returning false so the
 * generated code can skip the record.
 * Must not: crash or read past a slice on any input (NUL bytes, invalid
 * UTF-8, truncated JSON), allocate with malloc, or keep state.
 *
 * Code points: a code point starts at offset 0 and at every byte that is
 * not a UTF-8 continuation byte (10xxxxxx). For valid UTF-8 that is the
 * usual count; invalid input still gets a consistent, crash-free answer. */
#include "rt_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

static inline bool is_cont(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

/* Offset of the code point after the one starting at i (i < n). */
static inline int64_t cp_next(st_str s, int64_t i)
{
    i++;
    while (i < s.n && is_cont((unsigned char)s.p[i]))
        i++;
    return i;
}

/* memmem is a GNU extension; this is the portable equivalent. */
static const char *find(const char *h, size_t hn, const char *n, size_t nn)
{
    if (nn == 0)
        return h;
    const char *end = h + hn;
    while ((size_t)(end - h) >= nn) {
        const char *c = memchr(h, n[0], (size_t)(end - h) - nn + 1);
        if (!c)
            return NULL;
        if (memcmp(c, n, nn) == 0)
            return c;
        h = c + 1;
    }
    return NULL;
}

int st_str_cmp(st_str a, st_str b)
{
    int64_t m = a.n < b.n ? a.n : b.n;
    int c = m > 0 ? memcmp(a.p, b.p, (size_t)m) : 0;
    if (c)
        return c;
    return (a.n > b.n) - (a.n < b.n);
}

int64_t st_len(st_str s)
{
    int64_t n = 0;
    for (int64_t i = 0; i < s.n; i = cp_next(s, i))
        n++;
    return n;
}

static st_str map_ascii(st_arena *a, st_str s, char lo, char hi, int delta)
{
    if (s.n <= 0)
        return s;
    int64_t i = 0;
    while (i < s.n && !(s.p[i] >= lo && s.p[i] <= hi))
        i++;
    if (i == s.n)
        return s;   /* nothing to change: no copy */
    char *p = st_arena_alloc(a, (size_t)s.n);
    memcpy(p, s.p, (size_t)s.n);
    for (; i < s.n; i++)
        if (p[i] >= lo && p[i] <= hi)
            p[i] = (char)(p[i] + delta);
    return (st_str){ p, s.n };
}

st_str st_lower(st_arena *a, st_str s)
{
    return map_ascii(a, s, 'A', 'Z', 'a' - 'A');
}

st_str st_upper(st_arena *a, st_str s)
{
    return map_ascii(a, s, 'a', 'z', 'A' - 'a');
}

/* As Java's String.trim: everything <= ' ' at either end. */
st_str st_trim(st_str s)
{
    int64_t b = 0, e = s.n;
    while (b < e && (unsigned char)s.p[b] <= ' ')
        b++;
    while (e > b && (unsigned char)s.p[e - 1] <= ' ')
        e--;
    return (st_str){ s.p + b, e - b };
}

bool st_substr(st_str s, int64_t from, int64_t n, st_str *out)
{
    if (from < 0 || n < 0)
        return false;
    int64_t i = 0;
    for (int64_t k = 0; k < from; k++) {
        if (i >= s.n)
            return false;
        i = cp_next(s, i);
    }
    int64_t j = i;
    for (int64_t k = 0; k < n; k++) {
        if (j >= s.n)
            return false;
        j = cp_next(s, j);
    }
    *out = (st_str){ s.p + i, j - i };
    return true;
}

bool st_contains(st_str s, st_str t)
{
    if (t.n == 0)
        return true;
    if (t.n > s.n)
        return false;
    return find(s.p, (size_t)s.n, t.p, (size_t)t.n) != NULL;
}

bool st_starts_with(st_str s, st_str t)
{
    return t.n <= s.n && (t.n == 0 || memcmp(s.p, t.p, (size_t)t.n) == 0);
}

bool st_ends_with(st_str s, st_str t)
{
    return t.n <= s.n &&
           (t.n == 0 || memcmp(s.p + s.n - t.n, t.p, (size_t)t.n) == 0);
}

/* Numbers allow surrounding whitespace, but not the other control bytes
   that trim() drops: "1\0" is junk, not 1. */
static st_str trim_space(st_str s)
{
    int64_t b = 0, e = s.n;
    while (b < e && (s.p[b] == ' ' || (s.p[b] >= '\t' && s.p[b] <= '\r')))
        b++;
    while (e > b && (s.p[e - 1] == ' ' || (s.p[e - 1] >= '\t' && s.p[e - 1] <= '\r')))
        e--;
    return (st_str){ s.p + b, e - b };
}

bool st_to_int(st_str s, int64_t *out)
{
    s = trim_space(s);
    int64_t i = 0;
    bool neg = false;
    if (i < s.n && (s.p[i] == '+' || s.p[i] == '-'))
        neg = s.p[i++] == '-';
    if (i == s.n)
        return false;
    uint64_t v = 0;
    const uint64_t lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < s.n; i++) {
        unsigned d = (unsigned)((unsigned char)s.p[i] - '0');
        if (d > 9)
            return false;
        if (v > (lim - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

/* As Java's Double.parseDouble: decimal or hex floats, an optional
   trailing f/F/d/D, "NaN", "Infinity"; surrounding spaces ok. strtod alone
   would also take "inf", "nan(...)" and a locale's decimal point. */
bool st_to_float(st_str s, double *out)
{
    s = trim_space(s);
    if (s.n == 0 || s.n > 1000)
        return false;
    char tmp[1024];
    memcpy(tmp, s.p, (size_t)s.n);
    tmp[s.n] = '\0';
    if (memchr(tmp, '\0', (size_t)s.n))
        return false;
    const char *body = tmp + (tmp[0] == '+' || tmp[0] == '-');
    bool neg = tmp[0] == '-';
    if (strcmp(body, "NaN") == 0) {
        *out = NAN;
        return true;
    }
    if (strcmp(body, "Infinity") == 0) {
        *out = neg ? -INFINITY : INFINITY;
        return true;
    }
    if (!((*body >= '0' && *body <= '9') || *body == '.'))
        return false;
    size_t n = (size_t)s.n;
    bool hex = body[0] == '0' && (body[1] == 'x' || body[1] == 'X');
    char last = tmp[n - 1];
    if (!hex && (last == 'f' || last == 'F' || last == 'd' || last == 'D'))
        tmp[--n] = '\0';
    if (hex && !strpbrk(body, "pP"))
        return false;   /* Java requires the binary exponent */
    char *end;
    errno = 0;
    double v = strtod(tmp, &end);
    if (end != tmp + n || end == tmp)
        return false;
    *out = v;   /* overflow gives +-Infinity, as Java */
    return true;
}

st_str st_int_to_str(st_arena *a, int64_t v)
{
    char tmp[24];
    st_buf b = { tmp, 0, sizeof tmp };   /* fits: st_buf_int never grows it */
    st_buf_int(&b, v);
    return st_arena_strdup(a, (st_str){ tmp, (int64_t)b.n });
}

st_str st_float_to_str(st_arena *a, double v)
{
    char tmp[40];
    size_t n = rt_format_float(tmp, v);
    return st_arena_strdup(a, (st_str){ tmp, (int64_t)n });
}

st_str st_bool_to_str(bool v)
{
    return v ? ST_STR_LIT("true") : ST_STR_LIT("false");
}

st_str st_concat(st_arena *a, st_str x, st_str y)
{
    if (y.n == 0)
        return x;
    if (x.n == 0)
        return y;
    char *p = st_arena_alloc(a, (size_t)(x.n + y.n));
    memcpy(p, x.p, (size_t)x.n);
    memcpy(p + x.n, y.p, (size_t)y.n);
    return (st_str){ p, x.n + y.n };
}

/* ---- split -------------------------------------------------------------- */

/* The piece starting at pos: its end and where the next piece starts. */
static void split_piece(const st_split *it, int64_t pos, int64_t *end, int64_t *next)
{
    const st_str s = it->s, sep = it->sep;
    if (sep.n == 0) {
        *end = *next = cp_next(s, pos);
        return;
    }
    const char *m = NULL;
    if (s.n - pos >= sep.n)
        m = find(s.p + pos, (size_t)(s.n - pos), sep.p, (size_t)sep.n);
    if (m) {
        *end = m - s.p;
        *next = *end + sep.n;
    } else {
        *end = s.n;
        *next = s.n + 1;   /* past the end: no piece follows */
    }
}

/* Java drops trailing empty pieces, so the first pass finds where the last
   non-empty piece ends; overlapping separators ("aa" in "baaa") make a
   backward scan wrong. */
void st_split_init(st_split *it, st_str s, st_str sep)
{
    it->s = s;
    it->sep = sep;
    it->pos = 0;
    it->done = false;
    it->end = 0;
    if (s.n == 0)
        return;   /* "" gives one "": see st_split_next_any */
    if (sep.n == 1) {
        /* one byte cannot overlap itself: trailing empties are the
           trailing separators */
        int64_t e = s.n;
        while (e > 0 && s.p[e - 1] == sep.p[0])
            e--;
        it->end = e;
        return;
    }
    /* A piece starting at s.n is empty, so it cannot move end. */
    for (int64_t pos = 0; pos < s.n;) {
        int64_t e, nx;
        split_piece(it, pos, &e, &nx);
        if (e > pos)
            it->end = e;
        pos = nx;
    }
}

bool st_split_next_any(st_split *it, st_str *out)
{
    if (it->done)
        return false;
    if (it->s.n == 0) {
        it->done = true;
        *out = it->s;
        return true;
    }
    /* A piece is kept when it starts before the end of the last non-empty
       piece; at pos == end only the trailing empties are left. */
    if (it->pos >= it->end) {
        it->done = true;
        return false;
    }
    int64_t e, nx;
    split_piece(it, it->pos, &e, &nx);
    *out = (st_str){ it->s.p + it->pos, e - it->pos };
    it->pos = nx;
    return true;
}

/* As split(s, sep)[i]: trailing empty fields do not exist. */
bool st_field(st_str s, st_str sep, int64_t i, st_str *out)
{
    if (i < 0)
        return false;
    st_split it;
    st_split_init(&it, s, sep);
    st_str piece;
    for (int64_t k = 0; st_split_next(&it, &piece); k++)
        if (k == i) {
            *out = piece;
            return true;
        }
    return false;
}

/* ---- json --------------------------------------------------------------- */
/* A validating scanner over one JSON text: it finds the top-level member
   and checks the rest of the object, so truncated or malformed records are
   rejected, without building anything. Nesting is bounded so hostile
   input cannot exhaust the stack. */
enum { JSON_MAX_DEPTH = 256 };

typedef struct jscan {
    const unsigned char *p, *e;
} jscan;

static void j_ws(jscan *j)
{
    while (j->p < j->e && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int j_hex4(const unsigned char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int c = p[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* At '"': moves past the closing quote; *content is the raw text between
   the quotes, *esc whether it holds escapes. */
/* The first byte of the 8 at p that ends or interrupts a JSON string's
   plain run ('"', '\\' or a control byte), or 8 when there is none: values
   are mostly long plain runs (UUIDs, names), a byte at a time is the cost
   of a JSON record. Each test is exact for the lowest byte it flags, which
   is all that is used. */
static inline int j_plain8(const unsigned char *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    uint64_t w;
    memcpy(&w, p, 8);
    uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
    uint64_t hit = ((q - ones) & ~q) | ((b - ones) & ~b) | ((w - ones * 0x20) & ~w);
    hit &= high;
    return hit ? __builtin_ctzll(hit) / 8 : 8;
#else
    for (int i = 0; i < 8; i++)
        if (p[i] == '"' || p[i] == '\\' || p[i] < 0x20)
            return i;
    return 8;
#endif
}

static bool j_string(jscan *j, st_str *content, bool *esc)
{
    const unsigned char *start = ++j->p;
    *esc = false;
    while (j->p < j->e) {
        int k = 0;
        while (j->e - j->p >= 8 && (k = j_plain8(j->p)) == 8)
            j->p += 8;
        if (j->e - j->p >= 8)
            j->p += k;
        if (j->p >= j->e)
            break;
        unsigned char c = *j->p;
        if (c == '"') {
            *content = (st_str){ (const char *)start, j->p - start };
            j->p++;
            return true;
        }
        if (c < 0x20)
            return false;
        if (c == '\\') {
            *esc = true;
            if (j->e - j->p < 2)
                return false;
            unsigned char d = j->p[1];
            if (d == 'u') {
                if (j->e - j->p < 6 || j_hex4(j->p + 2) < 0)
                    return false;
                j->p += 6;
                continue;
            }
            if (!strchr("\"\\/bfnrt", d) || d == 0)
                return false;
            j->p += 2;
            continue;
        }
        j->p++;
    }
    return false;
}

static char *put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xC0 | cp >> 6);
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | cp >> 12);
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (char)(0xF0 | cp >> 18);
        *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    return o;
}

/* Unescapes validated string content into o (room: raw length; no escape
   grows: \uXXXX is 6 bytes for at most 3, a surrogate pair 12 for 4).
   Returns the end. A lone surrogate becomes U+FFFD. */
static char *j_unescape(char *o, st_str raw)
{
    const unsigned char *p = (const unsigned char *)raw.p, *e = p + raw.n;
    while (p < e) {
        if (*p != '\\') {
            *o++ = (char)*p++;
            continue;
        }
        unsigned char d = p[1];
        p += 2;
        switch (d) {
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            unsigned cp = (unsigned)j_hex4(p);
            p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF && e - p >= 6 && p[0] == '\\' &&
                p[1] == 'u') {
                int lo = j_hex4(p + 2);
                if (lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + ((unsigned)lo - 0xDC00);
                    p += 6;
                }
            }
            if (cp >= 0xD800 && cp <= 0xDFFF)
                cp = 0xFFFD;
            o = put_utf8(o, cp);
            break;
        }
        default: *o++ = (char)d; break;   /* " \ / */
        }
    }
    return o;
}

static bool j_digits(jscan *j)
{
    const unsigned char *s = j->p;
    while (j->p < j->e && *j->p >= '0' && *j->p <= '9')
        j->p++;
    return j->p > s;
}

static bool j_value(jscan *j, int depth);

static bool j_number(jscan *j)
{
    if (j->p < j->e && *j->p == '-')
        j->p++;
    if (j->p < j->e && *j->p == '0')
        j->p++;
    else if (!j_digits(j))
        return false;
    if (j->p < j->e && *j->p == '.') {
        j->p++;
        if (!j_digits(j))
            return false;
    }
    if (j->p < j->e && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->e && (*j->p == '+' || *j->p == '-'))
            j->p++;
        if (!j_digits(j))
            return false;
    }
    return true;
}

static bool j_word(jscan *j, const char *w, size_t n)
{
    if ((size_t)(j->e - j->p) < n || memcmp(j->p, w, n) != 0)
        return false;
    j->p += n;
    return true;
}

/* Object or array at '{' / '['. */
static bool j_container(jscan *j, int depth)
{
    if (depth >= JSON_MAX_DEPTH)
        return false;
    bool obj = *j->p == '{';
    unsigned char close = obj ? '}' : ']';
    j->p++;
    j_ws(j);
    if (j->p < j->e && *j->p == close) {
        j->p++;
        return true;
    }
    for (;;) {
        if (obj) {
            st_str k;
            bool esc;
            if (j->p >= j->e || *j->p != '"' || !j_string(j, &k, &esc))
                return false;
            j_ws(j);
            if (j->p >= j->e || *j->p != ':')
                return false;
            j->p++;
        }
        if (!j_value(j, depth + 1))
            return false;
        j_ws(j);
        if (j->p >= j->e)
            return false;
        if (*j->p == close) {
            j->p++;
            return true;
        }
        if (*j->p != ',')
            return false;
        j->p++;
        j_ws(j);
    }
}

/* Skips one value with its leading whitespace. */
static bool j_value(jscan *j, int depth)
{
    j_ws(j);
    if (j->p >= j->e)
        return false;
    switch (*j->p) {
    case '"': {
        st_str c;
        bool esc;
        return j_string(j, &c, &esc);
    }
    case '{':
    case '[':
        return j_container(j, depth);
    case 't': return j_word(j, "true", 4);
    case 'f': return j_word(j, "false", 5);
    case 'n': return j_word(j, "null", 4);
    default: return j_number(j);
    }
}

/* Does the raw (escaped) key equal name once unescaped? */
static bool j_key_is(st_str raw, bool esc, st_str name)
{
    if (!esc)
        return st_str_eq(raw, name);
    if (name.n > raw.n)
        return false;   /* unescaping never lengthens */
    char tmp[256];
    char *buf = raw.n <= (int64_t)sizeof tmp ? tmp : rt_xmalloc((size_t)raw.n);
    int64_t n = j_unescape(buf, raw) - buf;
    bool eq = n == name.n && memcmp(buf, name.p, (size_t)n) == 0;
    if (buf != tmp)
        free(buf);
    return eq;
}

bool st_json(st_arena *a, st_str s, st_str name, st_str *out)
{
    jscan j = { (const unsigned char *)s.p, (const unsigned char *)s.p + s.n };
    j_ws(&j);
    if (j.p >= j.e || *j.p != '{')
        return false;
    j.p++;
    j_ws(&j);
    bool found = false;
    st_str val = { "", 0 };
    bool val_esc = false, val_str = false;
    if (j.p < j.e && *j.p == '}') {
        j.p++;
    } else {
        for (;;) {
            st_str k;
            bool kesc;
            if (j.p >= j.e || *j.p != '"' || !j_string(&j, &k, &kesc))
                return false;
            j_ws(&j);
            if (j.p >= j.e || *j.p != ':')
                return false;
            j.p++;
            j_ws(&j);
            const unsigned char *vs = j.p;
            bool is_str = j.p < j.e && *j.p == '"';
            st_str content = { "", 0 };
            bool cesc = false;
            if (is_str ? !j_string(&j, &content, &cesc) : !j_value(&j, 1))
                return false;
            /* The first of duplicate members wins. */
            if (!found && j_key_is(k, kesc, name)) {
                found = true;
                val_str = is_str;
                val_esc = cesc;
                val = is_str ? content : (st_str){ (const char *)vs, j.p - vs };
            }
            j_ws(&j);
            if (j.p >= j.e)
                return false;
            if (*j.p == '}') {
                j.p++;
                break;
            }
            if (*j.p != ',')
                return false;
            j.p++;
            j_ws(&j);
        }
    }
    j_ws(&j);
    if (j.p != j.e || !found)
        return false;   /* trailing junk after the object, or no member */
    if (val_str && val_esc) {
        char *o = st_arena_alloc(a, (size_t)val.n);
        int64_t n = j_unescape(o, val) - o;
        val = (st_str){ o, n };
    }
    *out = val;
    return true;
}

/* For json.c's one-scan extraction of several members (st_json_fields):
   the same value grammar and unescaping as st_json. */
const unsigned char *rt_json_skip_value(const unsigned char *p, const unsigned char *e, int depth)
{
    jscan j = { p, e };
    return j_value(&j, depth) ? j.p : NULL;
}

char *rt_json_unescape(char *o, st_str raw)
{
    return j_unescape(o, raw);
}
