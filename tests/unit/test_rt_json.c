/* test_rt_json.c: st_json_fields (runtime/json.c), the one scan of a
 * record for every json() member a fused chain reads, against st_json
 * (builtins.c), which the unfused calls use: for every input and every
 * set of names, each member's success and value must be st_json's. A
 * corpus of tricky records (malformed, duplicate keys, escapes, nesting,
 * missing members, the lengths where the scan changes method), then
 * random records and mutations of them from a fixed seed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_internal.h"

#define S(lit) ST_STR_LIT(lit)

static void show(const char *what, st_str s)
{
    fprintf(stderr, "%s (%lld bytes): \"", what, (long long)s.n);
    for (int64_t i = 0; i < s.n && i < 300; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
            fputc(c, stderr);
        else
            fprintf(stderr, "\\x%02x", c);
    }
    fprintf(stderr, "%s\"\n", s.n > 300 ? "..." : "");
}

/* st_json_fields(rec, names) agrees with st_json(rec, name) for each name */
static void check_same(st_arena *a, st_str rec, const st_str *names, int n)
{
    st_str got[ST_JSON_MAX_FIELDS];
    uint64_t m = st_json_fields(a, rec, names, n, got);
    if (!(m & ST_JSON_SCANNED)) {
        show("record", rec);
        fail_msg("ST_JSON_SCANNED not set");
    }
    if (m & ~ST_JSON_SCANNED & ~((UINT64_C(1) << n) - 1)) {
        show("record", rec);
        fail_msg("bits past the names set: %llx", (unsigned long long)m);
    }
    for (int i = 0; i < n; i++) {
        st_str want;
        bool ok = st_json(a, rec, names[i], &want);
        bool fok = m >> i & 1;
        if (ok != fok) {
            show("record", rec);
            show("name", names[i]);
            fail_msg("st_json %s, st_json_fields %s", ok ? "found it" : "failed", fok ? "found it" : "failed");
        }
        if (ok && (want.n != got[i].n || memcmp(want.p, got[i].p, (size_t)want.n) != 0)) {
            show("record", rec);
            show("name", names[i]);
            show("st_json", want);
            show("st_json_fields", got[i]);
            fail_msg("values differ");
        }
    }
}

static const st_str pool_names[] = {
    ST_STR_LIT("a"), ST_STR_LIT("b"), ST_STR_LIT("ab"), ST_STR_LIT(""), ST_STR_LIT("c"),
    ST_STR_LIT("event_type"), ST_STR_LIT("ad_id"), ST_STR_LIT("a\"b"), ST_STR_LIT("\xc3\xa9"),
};
enum { NPOOL = sizeof pool_names / sizeof *pool_names };

/* every name alone, all together, and pairs */
static void check_all_sets(st_arena *a, st_str rec)
{
    check_same(a, rec, pool_names, NPOOL);
    for (int i = 0; i < NPOOL; i++) {
        check_same(a, rec, &pool_names[i], 1);
        for (int j = 0; j < NPOOL; j++)
            if (j != i) {
                st_str two[2] = { pool_names[i], pool_names[j] };
                check_same(a, rec, two, 2);
            }
    }
}

static const char *const corpus[] = {
    "{\"a\": 1}", "{\"a\":\"x\",\"b\":\"y\"}", "{}", "  { }  ", "{\"a\": {}}", "{\"a\": []}",
    /* duplicates: the first wins, escaped spellings of the same key too */
    "{\"a\": 1, \"a\": 2}", "{\"a\": \"x\", \"b\": 1, \"a\": \"y\", \"b\": 2}", "{\"\\u0061\": 1, \"a\": 2}",
    "{\"a\": 1, \"\\u0061\": 2}", "{\"a\\u0062\": 3, \"ab\": 4}", "{\"a\\\"b\": 5}", "{\"\\u00e9\": 6, \"\\u00E9\": 7}",
    /* duplicates after an invalid member: the whole record fails */
    "{\"a\": 1, \"a\": x}", "{\"a\": 1, \"b\": [1, 2}",
    /* escapes in values */
    "{\"a\": \"caf\\u00e9 \\\"au lait\\\"\"}", "{\"a\": \"\\/\\b\\f\\n\\r\\t\\\\\"}", "{\"a\": \"\\ud83d\\ude00\"}",
    "{\"a\": \"\\ud83d\"}", "{\"a\": \"\\ude00x\"}", "{\"a\": \"\\x\"}", "{\"a\": \"\\u12G4\"}", "{\"a\": \"\\u12\"}",
    "{\"a\": \"\\", "{\"a\": \"\\\"}", "{\"a\": \"x\\\\\"}", "{\"a\": \"\\u0000\"}",
    /* control bytes: inside strings they fail, between tokens \t \n \r are whitespace */
    "{\"a\": \"x\ny\"}", "{\"a\": \"x\ty\"}", "{\t\"a\"\n:\r\"x\"\n}\n", "{\"a\": \"x\x01\"}", "{\"a\":\x0b 1}",
    "{\"a\x1f\": 1}",
    /* nested objects with the same names, arrays of strings with brackets */
    "{\"b\": {\"a\": 1}, \"a\": 2}", "{\"b\": {\"a\": 1}}", "{\"a\": {\"a\": {\"a\": \"}\"}}, \"b\": [\"]\", \"{\"]}",
    "{\"a\": [1, [2, [3, {\"b\": null}]]], \"b\": true}",
    /* numbers and literals */
    "{\"a\": -0}", "{\"a\": 12.50}", "{\"a\": -1.5e+3}", "{\"a\": 1E-2}", "{\"a\": 01}", "{\"a\": 1.}", "{\"a\": .5}",
    "{\"a\": +1}", "{\"a\": -}", "{\"a\": 1e}", "{\"a\": 1e+}", "{\"a\": true}", "{\"a\": false}", "{\"a\": null}",
    "{\"a\": tru}", "{\"a\": nul}", "{\"a\": True}", "{\"a\": 1 2}",
    /* not one object */
    "", " ", "{", "}", "[1, 2]", "\"a\"", "1", "null", "hello world", "{a: 1}", "{'a': 1}", "{\"a\": 1} x",
    "{\"a\": 1}{\"a\": 2}", "{\"a\": 1,}", "{,\"a\": 1}", "{\"a\" 1}", "{\"a\":}", "{\"a\": 1 \"b\": 2}", "{\"a\"}",
    "{\"a\": 1", "{\"a\": \"1}", "{\"a\": 1]", "x{\"a\": 1}",
    /* bytes past ASCII are plain */
    "{\"a\": \"\xff\xfe\", \"\xc3\xa9\": \"\xe2\x82\xac\"}",
    /* a YSB event */
    "{\"user_id\": \"bb26a21b-da1c-b6ef-ab46-5b3a597370e7\", \"page_id\": \"67788e30-85ff-a6f1-c994-012140a2f151\", "
    "\"ad_id\": \"28c3c611-6789-37a5-ea38-7d239e08eb04\", \"ad_type\": \"banner\", \"event_type\": \"view\", "
    "\"event_time\": \"1700000000000\", \"ip_address\": \"1.2.3.4\"}",
};

static void test_corpus(void **state)
{
    (void)state;
    st_arena *a = st_arena_new();
    for (size_t i = 0; i < sizeof corpus / sizeof *corpus; i++)
        check_all_sets(a, (st_str){ corpus[i], (int64_t)strlen(corpus[i]) });
    /* NUL bytes */
    check_all_sets(a, (st_str){ "{\"a\":\0}", 7 });
    check_all_sets(a, (st_str){ "{\"a\":\"\0\"}", 9 });
    check_all_sets(a, (st_str){ "{\"a\":1}\0", 8 });
    /* every prefix of records of 0 to 200 bytes (the scan reads 16 and 64
       bytes at a time: each boundary falls in each token) */
    char buf[512];
    for (int pad = 0; pad < 70; pad++) {
        int n = snprintf(buf, sizeof buf, "{\"b\": \"%*s\", \"a\": \"x\\u00e9\\\"y\", \"c\": [1, {\"a\": 2}], \"ab\": 3}",
                         pad, "");
        for (int k = 0; k <= n; k++)
            check_same(a, (st_str){ buf, k }, pool_names, NPOOL);
        buf[n - 1] = ' ';   /* unterminated */
        check_same(a, (st_str){ buf, n }, pool_names, NPOOL);
    }
    st_arena_free(a);
}

/* Records around 4096 bytes (the largest that gets bitmaps), a key over
   the 256 bytes the key compare unescapes on the stack, deep nesting. */
static void test_long(void **state)
{
    (void)state;
    st_arena *a = st_arena_new();
    size_t cap = 20000;
    char *buf = malloc(cap);
    assert_non_null(buf);
    for (int n = 4060; n < 4130; n++) {
        /* {"a": "xxx...", "b": "\"q"} of exactly n bytes */
        int head = snprintf(buf, cap, "{\"b\": \"\\\"q\", \"a\": \"");
        int tail = (int)strlen("\", \"ab\": 1}");
        int fill = n - head - tail;
        memset(buf + head, 'x', (size_t)fill);
        memcpy(buf + head + fill, "\", \"ab\": 1}", (size_t)tail);
        check_all_sets(a, (st_str){ buf, n });
        buf[head + fill / 2] = '\n';   /* a control byte inside, far from the start */
        check_same(a, (st_str){ buf, n }, pool_names, NPOOL);
        buf[head + fill / 2] = '"';   /* a quote: the record is broken */
        check_same(a, (st_str){ buf, n }, pool_names, NPOOL);
    }
    /* a long escaped key equal to a long name */
    size_t k = 0;
    k += (size_t)snprintf(buf + k, cap - k, "{\"");
    for (int i = 0; i < 300; i++)
        k += (size_t)snprintf(buf + k, cap - k, "\\u0061");
    k += (size_t)snprintf(buf + k, cap - k, "\": \"long\", \"b\": 2}");
    char *name = malloc(300);
    assert_non_null(name);
    memset(name, 'a', 300);
    st_str names[2] = { { name, 300 }, S("b") };
    check_same(a, (st_str){ buf, (int64_t)k }, names, 2);
    st_str got[2];
    assert_int_equal(st_json_fields(a, (st_str){ buf, (int64_t)k }, names, 2, got), ST_JSON_SCANNED | 3);
    assert_int_equal(got[0].n, 4);
    assert_memory_equal(got[0].p, "long", 4);
    free(name);
    /* nesting: 255 levels below a member pass, 256 fail (st_json's bound) */
    for (int depth = 250; depth < 260; depth++) {
        k = (size_t)snprintf(buf, cap, "{\"b\": ");
        for (int i = 0; i < depth; i++)
            buf[k++] = '[';
        for (int i = 0; i < depth; i++)
            buf[k++] = ']';
        k += (size_t)snprintf(buf + k, cap - k, ", \"a\": 1}");
        check_all_sets(a, (st_str){ buf, (int64_t)k });
    }
    free(buf);
    st_arena_free(a);
}

/* The values themselves, not only agreement with st_json. */
static void test_values(void **state)
{
    (void)state;
    st_arena *a = st_arena_new();
    st_str names[4] = { S("event_type"), S("ad_id"), S("missing"), S("n") };
    st_str got[4];
    const st_str rec = S("{\"ad_id\": \"28c3\", \"event_type\": \"v\\u00e9w\", \"event_type\": \"x\", "
                         "\"n\": {\"a\": [1, \"}\"]} }");
    assert_int_equal(st_json_fields(a, rec, names, 4, got), ST_JSON_SCANNED | 1 | 2 | 8);
    assert_int_equal(got[0].n, 4);
    assert_memory_equal(got[0].p, "v\xc3\xa9w", 4);
    assert_int_equal(got[1].n, 4);
    assert_true(got[1].p > rec.p && got[1].p < rec.p + rec.n);   /* a slice, no copy */
    assert_memory_equal(got[1].p, "28c3", 4);
    assert_int_equal(got[3].n, 15);
    assert_memory_equal(got[3].p, "{\"a\": [1, \"}\"]}", 15);
    /* a broken record: nothing found, whatever came before the break */
    assert_int_equal(st_json_fields(a, S("{\"ad_id\": \"1\", \"n\": 01}"), names, 4, got), ST_JSON_SCANNED);
    assert_int_equal(st_json_fields(a, S("{\"ad_id\": \"1\"} ,"), names, 4, got), ST_JSON_SCANNED);
    assert_int_equal(st_json_fields(a, S("{}"), names, 4, got), ST_JSON_SCANNED);
    assert_int_equal(st_json_fields(a, S("{\"n\": 0}"), names, 0, got), ST_JSON_SCANNED);
    st_arena_free(a);
}

/* ---- random records (xorshift64*, fixed seed) ---- */
static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1Dull;
}
static unsigned pick(unsigned n)
{
    return (unsigned)(rnd() % n);
}

typedef struct gbuf {
    char *p;
    size_t n, cap;
} gbuf;
static void put(gbuf *b, const char *s, size_t n)
{
    if (n == 0)
        return;   /* b->p may still be NULL */
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
}
static void puts_(gbuf *b, const char *s)
{
    put(b, s, strlen(s));
}

static void gen_ws(gbuf *b)
{
    static const char *const w[] = { "", "", "", " ", " ", "  ", "\t", "\n", "\r\n ", " \x0b" };
    unsigned k = pick(10);
    puts_(b, w[k == 9 && pick(30) ? 3 : k]);   /* \v is not whitespace: rare */
}

static void gen_string(gbuf *b, bool key)
{
    static const char *const keys[] = { "a", "b", "ab", "", "c", "\\u0061", "a\\u0062", "event_type", "ad_id",
                                        "a\\\"b", "\\u00e9", "\xc3\xa9", "\\u00E9", "x\\/y" };
    static const char *const bits[] = { "x", "hello", "\\\"", "\\\\", "\\/", "\\n", "\\u00e9", "\\ud83d\\ude00", "}",
                                        "]", ",", ":", "{", "\xc3\xa9", "\xff", "\\x", "\\u12", "\x01", "\t", " ",
                                        "0123456789abcdef0123456789", "\\" };
    puts_(b, "\"");
    if (key && pick(4)) {
        puts_(b, keys[pick(sizeof keys / sizeof *keys)]);
    } else {
        unsigned n = pick(8);
        if (!pick(20))
            n += 40 + pick(200);   /* long runs: across 16- and 64-byte words */
        for (unsigned i = 0; i < n; i++) {
            unsigned k = pick(sizeof bits / sizeof *bits);
            /* invalid pieces are rarer, so that most records are valid */
            if (k >= 15 && pick(20))
                k = 0;
            puts_(b, bits[k]);
        }
    }
    if (pick(200))
        puts_(b, "\"");
}

static void gen_value(gbuf *b, int depth)
{
    static const char *const atoms[] = { "1", "-0", "12.50", "-1.5e+3", "1E-2", "0", "true", "false", "null",
                                         "01", "1.", "tru", "+1", "-", ".5", "nul" };
    unsigned k = pick(depth > 3 ? 3 : 4);
    if (k == 0 || k == 1) {
        gen_string(b, false);
    } else if (k == 2) {
        unsigned a = pick(sizeof atoms / sizeof *atoms);
        puts_(b, atoms[a >= 10 && pick(20) ? 0 : a]);
    } else {
        bool obj = pick(2);
        puts_(b, obj ? "{" : "[");
        unsigned n = pick(4);
        for (unsigned i = 0; i < n; i++) {
            if (i)
                puts_(b, ",");
            gen_ws(b);
            if (obj) {
                gen_string(b, true);
                gen_ws(b);
                puts_(b, ":");
                gen_ws(b);
            }
            gen_value(b, depth + 1);
            gen_ws(b);
        }
        puts_(b, obj ? "}" : "]");
    }
}

static void gen_record(gbuf *b)
{
    b->n = 0;
    gen_ws(b);
    puts_(b, "{");
    unsigned n = pick(9);
    for (unsigned i = 0; i < n; i++) {
        if (i)
            puts_(b, pick(100) ? "," : "");
        gen_ws(b);
        gen_string(b, true);
        gen_ws(b);
        puts_(b, pick(100) ? ":" : "");
        gen_ws(b);
        gen_value(b, 1);
        gen_ws(b);
    }
    puts_(b, pick(80) ? "}" : "");
    gen_ws(b);
    if (!pick(80))
        puts_(b, "x");
}

/* a random edit: a byte removed, replaced or inserted, or the end cut */
static void mutate(gbuf *b)
{
    static const char specials[] = "\"\\{}[],: \t\n\x01\x00u0a";
    if (b->n == 0)
        return;
    size_t at = pick((unsigned)b->n);
    switch (pick(4)) {
    case 0:
        memmove(b->p + at, b->p + at + 1, b->n - at - 1);
        b->n--;
        break;
    case 1:
        b->p[at] = specials[pick(sizeof specials - 1)];
        break;
    case 2:
        put(b, " ", 1);
        memmove(b->p + at + 1, b->p + at, b->n - at - 1);
        b->p[at] = specials[pick(sizeof specials - 1)];
        break;
    default:
        b->n = at;
        break;
    }
}

static void test_random(void **state)
{
    (void)state;
    st_arena *a = st_arena_new();
    gbuf b = { 0 };
    long valid = 0, found = 0;
    for (int it = 0; it < 40000; it++) {
        gen_record(&b);
        if (it % 3 == 0)
            mutate(&b);
        st_str rec = { b.p ? b.p : "", (int64_t)b.n };
        st_str got[NPOOL];
        uint64_t m = st_json_fields(a, rec, pool_names, NPOOL, got);
        st_str one;
        valid += st_json(a, rec, S("zz"), &one) || m != ST_JSON_SCANNED;
        found += __builtin_popcountll(m & ~ST_JSON_SCANNED);
        check_same(a, rec, pool_names, NPOOL);
        /* a random subset, in a random order */
        st_str sub[3];
        for (int i = 0; i < 3; i++)
            sub[i] = pool_names[(it + i * 4) % NPOOL];
        check_same(a, rec, sub, 3);
        if (it % 1000 == 999)
            st_arena_reset(a);
    }
    /* the generator is not degenerate: many records are valid and hold
       several of the names */
    if (valid < 10000 || found < 20000)
        fail_msg("generator: %ld records with a member found, %ld members found", valid, found);
    free(b.p);
    st_arena_free(a);
}

/* Records of the quickest path (json.c's fields_canon): clean (no
   backslash, no control byte), every value a string, spaced as writers
   space JSON ({"k": "v", ...} or {"k":"v",...}, member by member), and
   the same with one or two edits of the bytes that path compares (the
   spacing, ':' ',' '{' '}' and quotes), which the slower paths must then
   judge exactly as st_json. */
static void gen_clean_string(gbuf *b, bool key)
{
    static const char *const keys[] = { "a", "b", "ab", "", "c", "event_type", "ad_id", "\xc3\xa9", "ad_ie" };
    static const char *const bits[] = { "x", "hello", "}", "]", ",", ":", "{", " ", ": ", ", ", "\xc3\xa9", "\xff",
                                        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" };
    puts_(b, "\"");
    if (key && pick(3)) {
        puts_(b, keys[pick(sizeof keys / sizeof *keys)]);
    } else {
        unsigned n = pick(6);
        for (unsigned i = 0; i < n; i++)
            puts_(b, bits[pick(sizeof bits / sizeof *bits)]);
    }
    puts_(b, "\"");
}

static void gen_clean_record(gbuf *b)
{
    b->n = 0;
    puts_(b, pick(4) ? "{" : "{ ");
    unsigned n = pick(10);
    for (unsigned i = 0; i < n; i++) {
        if (i)
            puts_(b, pick(2) ? ", " : ",");
        gen_clean_string(b, true);
        puts_(b, pick(2) ? ": " : ":");
        gen_clean_string(b, false);
    }
    puts_(b, "}");
    if (!pick(10))
        puts_(b, pick(2) ? " " : "  ");
}

static void test_random_clean(void **state)
{
    (void)state;
    static const char edits[] = "\"{}:, x\\\x01";
    st_arena *a = st_arena_new();
    gbuf b = { 0 };
    long valid = 0;
    for (int it = 0; it < 40000; it++) {
        gen_clean_record(&b);
        for (unsigned e = it % 4 == 0 ? 1 + pick(2) : 0; e > 0 && b.n > 0; e--) {
            size_t at = pick((unsigned)b.n);
            switch (pick(3)) {
            case 0:
                b.p[at] = edits[pick(sizeof edits - 1)];
                break;
            case 1:
                memmove(b.p + at, b.p + at + 1, b.n - at - 1);
                b.n--;
                break;
            default:
                put(&b, " ", 1);
                memmove(b.p + at + 1, b.p + at, b.n - at - 1);
                b.p[at] = edits[pick(sizeof edits - 1)];
                break;
            }
        }
        st_str rec = { b.p ? b.p : "", (int64_t)b.n };
        st_str got[NPOOL];
        valid += st_json_fields(a, rec, pool_names, NPOOL, got) != ST_JSON_SCANNED;
        check_same(a, rec, pool_names, NPOOL);
        st_str two[2] = { pool_names[5 + it % 2], pool_names[it % 5] };
        check_same(a, rec, two, 2);
        if (it % 1000 == 999)
            st_arena_reset(a);
    }
    if (valid < 20000)
        fail_msg("generator: only %ld records with a member found", valid);
    free(b.p);
    st_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus),
        cmocka_unit_test(test_long),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_random_clean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
