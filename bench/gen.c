/* gen.c: deterministic replay-file generator for the benchmarks.
 *
 *   gen words N SECONDS OUT   N ~100-byte lines of Zipf(s=1) words drawn from
 *                             a 50,000-word vocabulary
 *   gen yahoo N SECONDS OUT   N JSON-lines events in the Yahoo Streaming
 *                             Benchmark's shape (1000 ads, 100 campaigns)
 *
 * Each output line is OFFSET_MS<TAB>RECORD with the N records spread evenly
 * over SECONDS seconds of offsets (record i at i * SECONDS * 1000 / N ms).
 * Fixed seeds and an own PRNG (xoshiro256**): the same arguments always
 * give the same bytes, on any libc. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ysb_ads.h"

#define VOCAB 50000
#define LINE_TARGET 100

/* ---- PRNG: xoshiro256** seeded through splitmix64 ----------------------- */
static uint64_t rs[4];

static void rng_seed(uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        rs[i] = ysb_mix(seed + (uint64_t)i);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t rng_next(void)
{
    uint64_t r = rotl(rs[1] * 5, 7) * 9, t = rs[1] << 17;
    rs[2] ^= rs[0];
    rs[3] ^= rs[1];
    rs[1] ^= rs[2];
    rs[0] ^= rs[3];
    rs[2] ^= t;
    rs[3] = rotl(rs[3], 45);
    return r;
}

/* uniform in [0, 1) with 53 bits */
static inline double rng_unit(void) { return (double)(rng_next() >> 11) * 0x1.0p-53; }

static inline uint64_t rng_below(uint64_t n) { return (uint64_t)(rng_unit() * (double)n); }

/* ---- words -------------------------------------------------------------- */
static char vocab[VOCAB][12];
static int vlen[VOCAB];
static double cdf[VOCAB];

/* Word of rank r: 4 letters that encode r (so every word is distinct),
   then 0-4 letters from a hash: lengths 4-8. */
static void build_vocab(void)
{
    double sum = 0;
    for (int r = 0; r < VOCAB; r++) {
        int x = r, n = 0;
        for (int k = 0; k < 4; k++) {
            vocab[r][n++] = (char)('a' + x % 26);
            x /= 26;
        }
        uint64_t h = ysb_mix(0x5EED0000ull + (uint64_t)r);
        int extra = (int)(h % 5);
        h /= 5;
        for (int k = 0; k < extra; k++) {
            vocab[r][n++] = (char)('a' + h % 26);
            h /= 26;
        }
        vlen[r] = n;
        sum += 1.0 / (double)(r + 1);    /* Zipf, s = 1 */
        cdf[r] = sum;
    }
    for (int r = 0; r < VOCAB; r++)
        cdf[r] /= sum;
    cdf[VOCAB - 1] = 1.0;
}

static int zipf_rank(void)
{
    double u = rng_unit();
    int lo = 0, hi = VOCAB - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (cdf[mid] < u) lo = mid + 1; else hi = mid;
    }
    return lo;
}

static void gen_words(FILE *f, long long n, long long secs)
{
    build_vocab();
    rng_seed(42);
    char line[256];
    for (long long i = 0; i < n; i++) {
        long long off = (long long)((__int128)i * secs * 1000 / n);
        int len = 0;
        /* words until the line is ~100 bytes: stop when the next word
           would pass LINE_TARGET (at least one word per line) */
        for (;;) {
            int r = zipf_rank();
            if (len > 0 && len + 1 + vlen[r] > LINE_TARGET)
                break;
            if (len > 0)
                line[len++] = ' ';
            memcpy(line + len, vocab[r], (size_t)vlen[r]);
            len += vlen[r];
        }
        fprintf(f, "%lld\t%.*s\n", off, len, line);
    }
}

/* ---- Yahoo Streaming Benchmark events ----------------------------------- */
static void gen_yahoo(FILE *f, long long n, long long secs)
{
    static const char *ad_types[] = { "banner", "modal", "sponsored-search", "mail", "mobile" };
    static const char *ev_types[] = { "view", "click", "purchase" };
    char ads[YSB_NADS][YSB_UUID_LEN];
    for (int i = 0; i < YSB_NADS; i++)
        ysb_ad_uuid(ads[i], i);
    rng_seed(1234);
    const long long t0 = 1700000000000LL;
    for (long long i = 0; i < n; i++) {
        long long off = (long long)((__int128)i * secs * 1000 / n);
        char user[YSB_UUID_LEN], page[YSB_UUID_LEN];
        ysb_uuid(user, rng_next(), rng_next());
        ysb_uuid(page, rng_next(), rng_next());
        int ad = (int)rng_below(YSB_NADS);
        const char *at = ad_types[rng_below(5)];
        const char *et = ev_types[rng_below(3)];
        fprintf(f,
                "%lld\t{\"user_id\": \"%.36s\", \"page_id\": \"%.36s\", \"ad_id\": \"%.36s\", "
                "\"ad_type\": \"%s\", \"event_type\": \"%s\", \"event_time\": \"%lld\", "
                "\"ip_address\": \"1.2.3.4\"}\n",
                off, user, page, ads[ad], at, et, t0 + off);
    }
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: gen words|yahoo N SECONDS OUT\n");
        return 2;
    }
    long long n = atoll(argv[2]), secs = atoll(argv[3]);
    if (n <= 0 || secs <= 0) {
        fprintf(stderr, "gen: N and SECONDS must be positive\n");
        return 2;
    }
    FILE *f = fopen(argv[4], "w");
    if (!f) {
        perror(argv[4]);
        return 1;
    }
    static char buf[1 << 20];
    setvbuf(f, buf, _IOFBF, sizeof buf);
    if (!strcmp(argv[1], "words"))
        gen_words(f, n, secs);
    else if (!strcmp(argv[1], "yahoo"))
        gen_yahoo(f, n, secs);
    else {
        fprintf(stderr, "gen: unknown kind %s\n", argv[1]);
        fclose(f);
        return 2;
    }
    if (fclose(f) != 0) {
        perror(argv[4]);
        return 1;
    }
    return 0;
}
