/* json.c: st_json_fields, the one scan of a JSON record that extracts
 * every top-level member a fused chain reads (json(e, "a") ... json(e, "b")
 * on the same record: codegen_json.c in the compiler).
 *
 * The result of each member is exactly st_json's (builtins.c): the record
 * is validated whole by the same grammar (strings: no control bytes, valid
 * escapes; the other values through builtins.c's own scanner, so nesting,
 * numbers and literals are checked by the same code), the first of
 * duplicate members wins, keys are compared unescaped, string values are
 * unescaped into the arena. Only the top level is written again here,
 * with the string scan (keys and string values, most of a record's bytes)
 * done on bitmaps of the record's quotes, backslashes and control bytes
 * (SSE2, 16 bytes at a time). */
#include "rt_internal.h"

#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

typedef const unsigned char *jp;

static inline jp ws(jp p, jp e)
{
    if (p < e && *p > ' ')
        return p;   /* the usual cases: no whitespace, or one space */
    if (p < e && *p == ' ' && ++p < e && *p > ' ')
        return p;
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* The string scan: the first byte at or after p that ends or interrupts
   a string's plain run ('"', '\\' or a control byte < 0x20), e when none.
   A record of 16 to JS_MAX_MASK bytes gets, before it is parsed, bitmaps
   of its quotes and of its backslashes and control bytes (16 bytes at a
   time, no branch on the data), so that each string's end is a bit
   lookup: records are mostly short strings, and a loop per string costs
   a mispredicted exit each. A record with no backslash and no control
   byte at all (the usual one) needs only the quotes: a string ends at
   the next one. */
enum { JS_MAX_MASK = 4096 };
/* Records are mostly read in order from a big buffer: the bytes this far
   ahead are asked for while this one is parsed (one instruction). */
enum { JS_PREFETCH = 512 };

typedef struct jscan2 {
    jp base, e;
    const uint64_t *qm, *bd;  /* quotes (bits past the end set), the others; NULL: scan bytes */
} jscan2;

static inline jp plain_run(jp p, jp e)
{
    while (p < e && *p != '"' && *p != '\\' && *p >= 0x20)
        p++;
    return p;
}

#if defined(__SSE2__)
/* The quotes of the 16 bytes at p, and their backslashes and control bytes */
static inline uint64_t quotes16(const unsigned char *p, uint64_t *bad)
{
    const __m128i q = _mm_set1_epi8('"'), b = _mm_set1_epi8('\\'), c = _mm_set1_epi8(0x1f);
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    /* max(v, 0x1f) == 0x1f: v <= 0x1f, unsigned */
    __m128i x = _mm_or_si128(_mm_cmpeq_epi8(v, b), _mm_cmpeq_epi8(_mm_max_epu8(v, c), c));
    *bad = (unsigned)_mm_movemask_epi8(x);
    return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, q));
}

/* The bitmaps of [p, p + n), 16 <= n <= JS_MAX_MASK, into whole words of
   qm and bd (the bits of qm past n set, of bd clear); whether bd is all
   clear. The last partial 16 bytes are read as the 16 that end at p + n,
   so nothing past the record is read. */
static inline bool build_masks(jp p, size_t n, uint64_t *qm, uint64_t *bd)
{
    uint64_t any = 0, b0, b1, b2, b3;
    size_t k = 0;
    for (; k + 64 <= n; k += 64) {
        qm[k / 64] = quotes16(p + k, &b0) | quotes16(p + k + 16, &b1) << 16 | quotes16(p + k + 32, &b2) << 32 |
                     quotes16(p + k + 48, &b3) << 48;
        bd[k / 64] = b0 | b1 << 16 | b2 << 32 | b3 << 48;
        any |= bd[k / 64];
    }
    uint64_t q = 0, d = 0;
    unsigned sh = 0;
    for (; k + 16 <= n; k += 16, sh += 16) {
        q |= quotes16(p + k, &b0) << sh;
        d |= b0 << sh;
    }
    if (k < n) {
        unsigned r = (unsigned)(n - k);   /* 1..15 bytes left */
        q |= (quotes16(p + n - 16, &b0) >> (16 - r)) << sh;
        d |= (b0 >> (16 - r)) << sh;
        sh += r;
    }
    /* sh < 64: the word of position n, with the bits from n on set in qm */
    qm[n / 64] = q | ~UINT64_C(0) << sh;
    bd[n / 64] = d;
    return (any | d) == 0;
}

/* The quotes of the 16 bytes at p; their backslashes and control bytes
   are gathered into *any. */
static inline uint64_t quotes16_any(jp p, __m128i *any)
{
    const __m128i q = _mm_set1_epi8('"'), b = _mm_set1_epi8('\\'), c = _mm_set1_epi8(0x1f);
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    *any = _mm_or_si128(*any, _mm_or_si128(_mm_cmpeq_epi8(v, b), _mm_cmpeq_epi8(_mm_max_epu8(v, c), c)));
    return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, q));
}

/* The quote bitmap of [p, p + n) as build_masks makes it, and whether the
   record is clean (no backslash, no control byte), with the others only
   gathered, not laid out: the usual record needs no more. */
static inline bool build_quotes(jp p, size_t n, uint64_t *qm)
{
    __m128i any = _mm_setzero_si128();
    size_t k = 0;
    for (; k + 64 <= n; k += 64)
        qm[k / 64] = quotes16_any(p + k, &any) | quotes16_any(p + k + 16, &any) << 16 |
                     quotes16_any(p + k + 32, &any) << 32 | quotes16_any(p + k + 48, &any) << 48;
    uint64_t w = 0;
    unsigned sh = 0;
    for (; k + 16 <= n; k += 16, sh += 16)
        w |= quotes16_any(p + k, &any) << sh;
    if (k < n) {
        /* 1..15 bytes left: the 16 that end at p + n, without the bytes
           before k (looked at already) */
        unsigned r = (unsigned)(n - k);
        uint64_t bad;
        w |= (quotes16(p + n - 16, &bad) >> (16 - r)) << sh;
        if (bad >> (16 - r))
            any = _mm_set1_epi8(-1);
        sh += r;
    }
    qm[n / 64] = w | ~UINT64_C(0) << sh;
    return _mm_movemask_epi8(any) == 0;
}
#endif

/* The w (4 or 8) bytes at p, unaligned. */
static inline uint64_t load_w(const char *p, size_t w)
{
    if (w == 8) {
        uint64_t x;
        memcpy(&x, p, 8);
        return x;
    }
    uint32_t x;
    memcpy(&x, p, 4);
    return x;
}

/* memcmp(a, b, n) == 0 for the short names json() is given, without a
   call: two overlapping loads of each side for 4 to 16 bytes (nothing
   outside [a, a + n) and [b, b + n) is read). */
static inline bool same_bytes(const char *a, const char *b, size_t n)
{
    if (n < 4 || n > 16)
        return memcmp(a, b, n) == 0;
    size_t w = n >= 8 ? 8 : 4;
    return ((load_w(a, w) ^ load_w(b, w)) | (load_w(a + n - w, w) ^ load_w(b + n - w, w))) == 0;
}

static inline jp next_special(const jscan2 *s, jp p)
{
    if (!s->qm)
        return plain_run(p, s->e);
    size_t i = (size_t)(p - s->base), w = i / 64;
    uint64_t m = (s->qm[w] | s->bd[w]) & (~UINT64_C(0) << (i % 64));
    while (!m) {
        w++;
        m = s->qm[w] | s->bd[w];   /* qm's bits past the end are set */
    }
    jp q = s->base + w * 64 + (size_t)__builtin_ctzll(m);
    return q < s->e ? q : s->e;
}

static inline int hex_digit(unsigned c)
{
    if (c - '0' < 10)
        return 0;
    c |= 0x20;
    return c - 'a' < 6 ? 0 : -1;
}

/* p just after a string's opening quote: the position after its closing
   quote, or NULL when it is not a valid string; *esc is set when it holds
   escapes. */
__attribute__((always_inline)) static inline jp str_end(const jscan2 *s, jp p, bool *esc)
{
    jp e = s->e;
    for (;;) {
        p = next_special(s, p);
        if (p >= e || *p < 0x20)
            return NULL;
        if (*p == '"')
            return p + 1;
        /* a backslash */
        *esc = true;
        if (e - p < 2)
            return NULL;
        unsigned char d = p[1];
        if (d == 'u') {
            if (e - p < 6 || (hex_digit(p[2]) | hex_digit(p[3]) | hex_digit(p[4]) | hex_digit(p[5])) < 0)
                return NULL;
            p += 6;
            continue;
        }
        if (d != '"' && d != '\\' && d != '/' && d != 'b' && d != 'f' && d != 'n' && d != 'r' && d != 't')
            return NULL;
        p += 2;
    }
}

/* The index of the name not yet found that key (k, kn), escaped when esc,
   equals once unescaped; -1 when none. */
static int match_key(const st_str *names, int n, uint64_t found, jp k, int64_t kn, bool esc)
{
    char tmp[256];
    char *buf = NULL;
    if (esc) {
        buf = kn <= (int64_t)sizeof tmp ? tmp : rt_xmalloc((size_t)kn);
        kn = rt_json_unescape(buf, (st_str){ (const char *)k, kn }) - buf;
        k = (jp)buf;
    }
    int hit = -1;
    for (int i = 0; i < n; i++)
        if (!(found >> i & 1) && names[i].n == kn && memcmp(names[i].p, k, (size_t)kn) == 0) {
            hit = i;
            break;
        }
    if (buf && buf != tmp)
        free(buf);
    return hit;
}

/* The object's start at p: J_BAD when s is not an object, J_END for {}
   (p past it), J_MORE with p at its first member. */
enum { J_BAD, J_END, J_MORE };
static inline int object_start(jp *pp, jp e)
{
    jp p = ws(*pp, e);
    if (p >= e || *p != '{')
        return J_BAD;
    p = ws(p + 1, e);
    if (p < e && *p == '}') {
        *pp = p + 1;
        return J_END;
    }
    *pp = p;
    return J_MORE;
}

/* After a member's value at p: J_MORE with p at the next member, J_END
   with p past the closing brace, or J_BAD. */
static inline int member_end(jp *pp, jp e)
{
    jp p = ws(*pp, e);
    if (p >= e)
        return J_BAD;
    if (*p == '}') {
        *pp = p + 1;
        return J_END;
    }
    if (*p != ',')
        return J_BAD;
    *pp = ws(p + 1, e);
    return J_MORE;
}

/* A member's value as json() gives it: a string's content (v at its
   opening quote, end after the closing one), any other value's text. */
static inline st_str value_text(jp v, jp end, bool str)
{
    return str ? (st_str){ (const char *)v + 1, end - 1 - (v + 1) } : (st_str){ (const char *)v, end - v };
}

#if defined(__SSE2__)
/* The quotes of a clean record in order: the next one is the lowest bit
   left in m (word w). */
typedef struct qiter {
    const uint64_t *qm;
    size_t w;
    uint64_t m;
} qiter;

static inline void qi_at(qiter *it, const uint64_t *qm, size_t i)
{
    it->qm = qm;
    it->w = i / 64;
    it->m = qm[i / 64] & (~UINT64_C(0) << (i % 64));
}

/* The position of the next quote (past the record's end when none is
   left: the bits past the end are set, and nothing reads beyond the
   first of them). */
static inline size_t qi_peek(qiter *it)
{
    while (!it->m)
        it->m = it->qm[++it->w];
    return it->w * 64 + (size_t)__builtin_ctzll(it->m);
}

static inline size_t qi_take(qiter *it)
{
    size_t q = qi_peek(it);
    it->m &= it->m - 1;
    return q;
}

/* The quickest case, and the usual one: a clean record (no backslash, no
   control byte) whose values are all strings, written as most writers
   write JSON: `{"k": "v", "k": "v"}` or `{"k":"v","k":"v"}` (the spacing
   may change from member to member). Its quotes are taken from the
   bitmap four at a time (key, value), and only the bytes between them
   are compared: a clean string holds no quote, backslash or control
   byte, so each is valid. The positions never wait for the bytes (the
   comparisons only decide whether to go on). Any other record (a number,
   a nested value, other spacing, an error) gives 0, and fields_clean
   then parses it, which gives the exact result. */
static uint64_t fields_canon(jp b, size_t len, const uint64_t *qm, const st_str *names, int n, uint64_t lens,
                             st_str *out)
{
    const uint64_t want = (UINT64_C(1) << n) - 1;
    uint64_t found = 0;
    qiter it;
    qi_at(&it, qm, 0);
    size_t ko = qi_take(&it);
    if (b[0] != '{' || !(ko == 1 || (ko == 2 && b[1] == ' ')))
        return 0;   /* len >= 16: b[1] is the record's */
    for (;;) {
        size_t kc = qi_take(&it), vo = qi_take(&it), vc = qi_take(&it);
        if (vc + 1 >= len)
            return 0;   /* no byte after the value (or fewer than four quotes) */
        if (b[kc + 1] != ':' || !(vo == kc + 2 || (vo == kc + 3 && b[kc + 2] == ' ')))
            return 0;
        int64_t kn = (int64_t)(kc - ko - 1);
        if (found != want && (lens >> (kn < 63 ? kn : 63) & 1))
            for (int i = 0; i < n; i++)
                if (!(found >> i & 1) && names[i].n == kn && same_bytes(names[i].p, (const char *)b + ko + 1, (size_t)kn)) {
                    found |= UINT64_C(1) << i;
                    out[i] = (st_str){ (const char *)b + vo + 1, (int64_t)(vc - vo - 1) };
                    break;
                }
        jp t = b + vc + 1;
        if (*t == '}') {
            jp e = b + len;
            return ws(t + 1, e) == e ? found | ST_JSON_SCANNED : 0;
        }
        ko = qi_take(&it);
        if (*t != ',' || ko >= len || !(ko == vc + 2 || (ko == vc + 3 && t[1] == ' ')))
            return 0;
    }
}

/* st_json_fields for a record with no backslash and no control byte (the
   usual one): every quote then opens or closes a string, so strings are
   taken from the quote bitmap in order, and the parse checks that the
   bytes between them are what st_json allows (whitespace, ':' and ','
   or a value other than a string, read by builtins.c's scanner).
   Positions come from the bitmap rather than from the bytes just read,
   so the records' members are not one long chain of dependent loads.
   The iterator's next quote is always the first at or after p. */
static uint64_t fields_clean(jp base, jp e, const uint64_t *qm, const st_str *names, int n, uint64_t lens,
                             st_str *out)
{
    const size_t len = (size_t)(e - base);
    const uint64_t want = (UINT64_C(1) << n) - 1;
    uint64_t found = 0;
    qiter it;
    qi_at(&it, qm, 0);
    jp p = base;
    int st = object_start(&p, e);
    while (st == J_MORE) {
        size_t q = qi_peek(&it);
        if (q >= len || base + q != p)
            return ST_JSON_SCANNED;   /* not a key */
        it.m &= it.m - 1;
        size_t kc = qi_take(&it);
        if (kc >= len)
            return ST_JSON_SCANNED;
        jp k = p + 1;
        int64_t kn = base + kc - k;
        p = ws(base + kc + 1, e);
        if (p >= e || *p != ':')
            return ST_JSON_SCANNED;
        p = ws(p + 1, e);
        jp v = p;
        q = qi_peek(&it);
        bool vstr = q < len && base + q == p;
        if (vstr) {
            it.m &= it.m - 1;
            size_t vc = qi_take(&it);
            if (vc >= len)
                return ST_JSON_SCANNED;
            p = base + vc + 1;
        } else {
            if (!(p = rt_json_skip_value(p, e, 1)))
                return ST_JSON_SCANNED;
            qi_at(&it, qm, (size_t)(p - base));
        }
        if (found != want && (lens >> (kn < 63 ? kn : 63) & 1))
            for (int i = 0; i < n; i++)
                if (!(found >> i & 1) && names[i].n == kn && same_bytes(names[i].p, (const char *)k, (size_t)kn)) {
                    found |= UINT64_C(1) << i;
                    out[i] = value_text(v, p, vstr);
                    break;
                }
        st = member_end(&p, e);
    }
    if (st == J_BAD || ws(p, e) != e)
        return ST_JSON_SCANNED;   /* not an object, or trailing text after it */
    return found | ST_JSON_SCANNED;
}
#endif

uint64_t st_json_fields(st_arena *a, st_str s, const st_str *names, int n, st_str *out)
{
    jp p = (jp)s.p, e = p + s.n;
    jscan2 sc = { p, e, NULL, NULL };
    uint64_t lens = 0;   /* bit min(length, 63) of each name */
    for (int i = 0; i < n; i++)
        lens |= UINT64_C(1) << (names[i].n < 63 ? names[i].n : 63);
#if defined(__SSE2__)
    uint64_t qm[JS_MAX_MASK / 64 + 1], bd[JS_MAX_MASK / 64 + 1];
    __builtin_prefetch(p + JS_PREFETCH);
    if (s.n >= 16 && s.n <= JS_MAX_MASK) {
        if (build_quotes(p, (size_t)s.n, qm)) {
            uint64_t r = fields_canon(p, (size_t)s.n, qm, names, n, lens, out);
            return r ? r : fields_clean(p, e, qm, names, n, lens, out);
        }
        build_masks(p, (size_t)s.n, qm, bd);
        sc.qm = qm;
        sc.bd = bd;
    }
#endif
    const uint64_t want = (UINT64_C(1) << n) - 1;
    uint64_t found = 0, escaped = 0;
    int st = object_start(&p, e);
    while (st == J_MORE) {
        if (p >= e || *p != '"')
            return ST_JSON_SCANNED;
        jp k = p + 1;
        bool kesc = false, vesc = false;
        if (!(p = str_end(&sc, k, &kesc)))
            return ST_JSON_SCANNED;
        int64_t kn = p - 1 - k;
        p = ws(p, e);
        if (p >= e || *p != ':')
            return ST_JSON_SCANNED;
        p = ws(p + 1, e);
        jp v = p;
        bool vstr = p < e && *p == '"';
        p = vstr ? str_end(&sc, p + 1, &vesc) : rt_json_skip_value(p, e, 1);
        if (!p)
            return ST_JSON_SCANNED;
        if (found != want && (kesc || (lens >> (kn < 63 ? kn : 63) & 1))) {
            int i = match_key(names, n, found, k, kn, kesc);
            if (i >= 0) {
                found |= UINT64_C(1) << i;
                out[i] = value_text(v, p, vstr);
                if (vstr && vesc)
                    escaped |= UINT64_C(1) << i;
            }
        }
        st = member_end(&p, e);
    }
    if (st == J_BAD || ws(p, e) != e)
        return ST_JSON_SCANNED;   /* not an object, or trailing text after it */
    for (int i = 0; escaped; i++, escaped >>= 1)
        if (escaped & 1) {
            char *o = st_arena_alloc(a, (size_t)out[i].n);
            out[i] = (st_str){ o, rt_json_unescape(o, out[i]) - o };
        }
    return found | ST_JSON_SCANNED;
}
