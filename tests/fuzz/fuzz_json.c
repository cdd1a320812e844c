/* fuzz_json.c: libFuzzer target, differential: st_json_fields (runtime/
 * json.c, the one scan for every json() member of a fused chain, with
 * its quick paths) against st_json (builtins.c) on the same bytes, for a
 * fixed set of names and for the names the input itself holds. Any
 * difference in success or value aborts. The first byte picks the names'
 * set, the rest is the record. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_internal.h"

static const st_str fixed[] = {
    ST_STR_LIT("a"),     ST_STR_LIT("b"),          ST_STR_LIT("ab"),      ST_STR_LIT(""),
    ST_STR_LIT("ad_id"), ST_STR_LIT("event_type"), ST_STR_LIT("a\"b"),    ST_STR_LIT("\xc3\xa9"),
    ST_STR_LIT("key"),   ST_STR_LIT("0123456789abcdefX"),
};
enum { NFIXED = sizeof fixed / sizeof *fixed };

static void check(st_arena *a, st_str rec, const st_str *names, int n)
{
    st_str got[ST_JSON_MAX_FIELDS];
    uint64_t m = st_json_fields(a, rec, names, n, got);
    if (!(m & ST_JSON_SCANNED) || (m & ~ST_JSON_SCANNED) >> n)
        abort();
    for (int i = 0; i < n; i++) {
        st_str want;
        bool ok = st_json(a, rec, names[i], &want);
        if (ok != (bool)(m >> i & 1))
            abort();
        if (ok && (want.n != got[i].n || memcmp(want.p, got[i].p, (size_t)want.n) != 0))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned sel = data[0];
    /* the record in a buffer of its own size, so that a read past it is
       caught by ASan */
    size_t n = size - 1;
    char *buf = malloc(n ? n : 1);
    if (!buf)
        return 0;
    memcpy(buf, data + 1, n);
    st_str rec = { buf, (int64_t)n };
    st_arena *a = st_arena_new();
    check(a, rec, fixed, NFIXED);
    st_str one = fixed[sel % NFIXED];
    check(a, rec, &one, 1);
    /* names cut from the record itself: the text between the first quotes
       (so that keys of the input match) */
    st_str mine[4];
    int k = 0;
    for (size_t i = 0; i < n && k < 4; i++)
        if (buf[i] == '"') {
            size_t j = i + 1;
            while (j < n && buf[j] != '"' && j - i < 40)
                j++;
            if (j < n && buf[j] == '"') {
                st_str c = { buf + i + 1, (int64_t)(j - i - 1) };
                bool dup = false;
                for (int q = 0; q < k; q++)
                    dup |= mine[q].n == c.n && memcmp(mine[q].p, c.p, (size_t)c.n) == 0;
                if (!dup)
                    mine[k++] = c;
                i = j;
            }
        }
    if (k)
        check(a, rec, mine, k);
    st_arena_free(a);
    free(buf);
    return 0;
}
