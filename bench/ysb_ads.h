/* ysb_ads.h: the Yahoo Streaming Benchmark's ad -> campaign table, shared
 * by gen.c (which writes the events) and base_yahoo.c (the hand-written
 * baseline). pipelines/yahoo.stream carries a copy of the same code in its
 * %{ %} block (a .stream file is self-contained); the output check of
 * run.sh catches any drift between the copies.
 *
 * 1000 ad ids and 100 campaign ids, all UUIDs derived from a fixed seed;
 * ad i belongs to campaign i % 100. */
#ifndef YSB_ADS_H
#define YSB_ADS_H

#include <stdint.h>
#include <string.h>

#define YSB_NADS 1000
#define YSB_NCAMPAIGNS 100
#define YSB_UUID_LEN 36

static inline uint64_t ysb_mix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* 36 characters, no NUL. */
static inline void ysb_uuid(char *out, uint64_t hi, uint64_t lo)
{
    static const char hex[] = "0123456789abcdef";
    int k = 0;
    for (int i = 0; i < 32; i++) {
        if (i == 8 || i == 12 || i == 16 || i == 20)
            out[k++] = '-';
        uint64_t w = i < 16 ? hi : lo;
        out[k++] = hex[(w >> (60 - 4 * (i % 16))) & 15];
    }
}

static inline void ysb_ad_uuid(char *out, int i)
{
    ysb_uuid(out, ysb_mix(0xAD0000000ull + (uint64_t)i * 2), ysb_mix(0xAD0000001ull + (uint64_t)i * 2));
}

static inline void ysb_campaign_uuid(char *out, int c)
{
    ysb_uuid(out, ysb_mix(0xCA0000000ull + (uint64_t)c * 2), ysb_mix(0xCA0000001ull + (uint64_t)c * 2));
}

/* Lookup table: open addressing over 2048 slots, keyed by the UUID text. */
typedef struct ysb_table {
    char ad[2048][YSB_UUID_LEN];
    int16_t campaign[2048];          /* -1: empty */
    char campaign_id[YSB_NCAMPAIGNS][YSB_UUID_LEN];
} ysb_table;

static inline uint64_t ysb_key_hash(const char *p)
{
    uint64_t a, b;
    memcpy(&a, p, 8);
    memcpy(&b, p + 28, 8);
    return ysb_mix(a ^ (b * 0x9E3779B97F4A7C15ull));
}

static inline void ysb_table_init(ysb_table *t)
{
    for (int s = 0; s < 2048; s++)
        t->campaign[s] = -1;
    for (int c = 0; c < YSB_NCAMPAIGNS; c++)
        ysb_campaign_uuid(t->campaign_id[c], c);
    for (int i = 0; i < YSB_NADS; i++) {
        char u[YSB_UUID_LEN];
        ysb_ad_uuid(u, i);
        uint64_t s = ysb_key_hash(u) & 2047;
        while (t->campaign[s] >= 0)
            s = (s + 1) & 2047;
        memcpy(t->ad[s], u, YSB_UUID_LEN);
        t->campaign[s] = (int16_t)(i % YSB_NCAMPAIGNS);
    }
}

/* Campaign index of the ad id (p, n), or -1 when unknown. */
static inline int ysb_lookup(const ysb_table *t, const char *p, int64_t n)
{
    if (n != YSB_UUID_LEN)
        return -1;
    uint64_t s = ysb_key_hash(p) & 2047;
    while (t->campaign[s] >= 0) {
        if (memcmp(t->ad[s], p, YSB_UUID_LEN) == 0)
            return t->campaign[s];
        s = (s + 1) & 2047;
    }
    return -1;
}

#endif
