/* tables/file.h: what the file table kind (file.c) tells about its load,
 * for the unit tests (tests/unit/test_rt_table_file.c). */
#ifndef ST_TABLES_FILE_H
#define ST_TABLES_FILE_H

#include <stdint.h>

struct st_table_h;

typedef struct st_table_file_stats {
    int64_t lines;       /* lines read (the last one without a newline too) */
    int64_t entries;     /* distinct keys (lines of a set) */
    int64_t skipped;     /* lines skipped: a NUL byte, or no separator */
    int64_t duplicates;  /* lines whose key an earlier line had (the last wins) */
} st_table_file_stats;

void st_table_file_stats_of(const struct st_table_h *h, st_table_file_stats *out);

#endif
