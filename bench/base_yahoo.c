/* base_yahoo.c: hand-written single-threaded Yahoo Streaming Benchmark job,
 * the baseline for pipelines/yahoo.stream.
 *
 *   base_yahoo FILE BATCH_MS NBATCHES WINDOW_BATCHES
 *
 * For each JSON event: find the top-level "event_type" and "ad_id" fields
 * in one scan of the object, keep "view" events, map the ad to its
 * campaign (ysb_ads.h's table) and count per campaign in tumbling windows
 * of WINDOW_BATCHES batches. Prints every window's (campaign_id,count)
 * lines under a DStream.print header, as the pipeline's print(1000). */
#include "base_common.h"
#include "ysb_ads.h"

/* Skips a JSON string starting at p (at the opening quote); returns the
   position after the closing quote, or NULL. */
static inline const char *skip_string(const char *p, const char *end)
{
    p++;
    while (p < end) {
        const char *q = memchr(p, '"', (size_t)(end - p));
        if (!q)
            return NULL;
        /* an escaped quote has an odd number of backslashes before it */
        const char *b = q;
        while (b > p && b[-1] == '\\')
            b--;
        if (((q - b) & 1) == 0)
            return q + 1;
        p = q + 1;
    }
    return NULL;
}

/* Skips any JSON value (string, number, literal, nested object/array). */
static inline const char *skip_value(const char *p, const char *end)
{
    if (p < end && *p == '"')
        return skip_string(p, end);
    int depth = 0;
    while (p < end) {
        char c = *p;
        if (c == '"') {
            p = skip_string(p, end);
            if (!p)
                return NULL;
            continue;
        }
        if (c == '{' || c == '[')
            depth++;
        else if (c == '}' || c == ']') {
            if (depth == 0)
                return p;
            depth--;
        } else if (c == ',' && depth == 0)
            return p;
        p++;
    }
    return p;
}

static inline const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    return p;
}

/* The string values of the top-level fields "event_type" and "ad_id";
   false when the record is not an object or lacks either. */
static bool parse_event(const char *p, size_t n, const char **et, size_t *etn,
                        const char **ad, size_t *adn)
{
    const char *end = p + n;
    int found = 0;
    p = skip_ws(p, end);
    if (p >= end || *p != '{')
        return false;
    p++;
    for (;;) {
        p = skip_ws(p, end);
        if (p >= end || *p != '"')
            return false;
        const char *k = p + 1, *ke = skip_string(p, end);
        if (!ke)
            return false;
        size_t kn = (size_t)(ke - 1 - k);
        p = skip_ws(ke, end);
        if (p >= end || *p != ':')
            return false;
        p = skip_ws(p + 1, end);
        const char *v = p, *ve = skip_value(p, end);
        if (!ve)
            return false;
        if (*v == '"') {
            if (kn == 10 && memcmp(k, "event_type", 10) == 0) {
                *et = v + 1;
                *etn = (size_t)(ve - 1 - (v + 1));
                found |= 1;
            } else if (kn == 5 && memcmp(k, "ad_id", 5) == 0) {
                *ad = v + 1;
                *adn = (size_t)(ve - 1 - (v + 1));
                found |= 2;
            }
            if (found == 3)
                return true;
        }
        p = skip_ws(ve, end);
        if (p < end && *p == ',') {
            p++;
            continue;
        }
        return false;
    }
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: base_yahoo FILE BATCH_MS NBATCHES WINDOW_BATCHES\n");
        return 2;
    }
    size_t n;
    const char *p = map_file(argv[1], &n), *end = p + n;
    int64_t batch = atoll(argv[2]), nb = atoll(argv[3]), win = atoll(argv[4]);
    static ysb_table tab;
    ysb_table_init(&tab);
    int64_t counts[YSB_NCAMPAIGNS] = { 0 };
    static char obuf[1 << 16];
    setvbuf(stdout, obuf, _IOFBF, sizeof obuf);

    for (int64_t k = 1; k <= nb; k++) {
        int64_t limit = k * batch;
        while (p < end) {
            if (starts_later_batch(p, end, limit))
                break;
            int64_t off;
            const char *rec, *et = NULL, *ad = NULL;
            size_t rn, etn = 0, adn = 0;
            p = next_line(p, end, &off, &rec, &rn);
            if (off < 0 || !parse_event(rec, rn, &et, &etn, &ad, &adn))
                continue;
            if (etn != 4 || memcmp(et, "view", 4) != 0)
                continue;
            int c = ysb_lookup(&tab, ad, (int64_t)adn);
            if (c >= 0)
                counts[c]++;
        }
        if (k % win == 0) {
            print_header(k * batch);
            for (int c = 0; c < YSB_NCAMPAIGNS; c++)
                if (counts[c] > 0)
                    printf("(%.36s,%lld)\n", tab.campaign_id[c], (long long)counts[c]);
            printf("\n");
            memset(counts, 0, sizeof counts);
        }
    }
    return 0;
}
