/* sema_kinds.c: the source kinds as sema sees them, from the one table
 * runtime/st_kinds.def (shared with codegen and the runtime): a kind's
 * number from its name, its element type, its named options, and the
 * lists the diagnostics print ("expected socket, ... or rate"). */
#include <stdio.h>
#include <string.h>

#include "sema_ext.h"

typedef struct kind_row {
    const char *name;
    bool ints;
} kind_row;

#define ELEM_INT true
#define ELEM_STR false
static const kind_row rows[] = {
#define ST_SOURCE(ID, NAME, ELEM, REPLAY, RECEIVER) { NAME, ELEM_##ELEM },
#include "st_kinds.def"
};

static const char *const names[] = {
#define ST_SOURCE(ID, NAME, ELEM, REPLAY, RECEIVER) NAME,
#include "st_kinds.def"
};

typedef struct opt_row {
    int kind;
    const char *name;
} opt_row;

static const opt_row opts[] = {
#define ST_SOURCE_OPT(ID, NAME, TYPE, DEFAULT) { SRC_##ID, NAME },
#include "st_kinds.def"
};

int sema_kind_find(const char *name)
{
    for (int i = 0; i < SRC_COUNT_; i++)
        if (strcmp(rows[i].name, name) == 0)
            return i;
    return -1;
}

bool sema_kind_ints(int kind)
{
    return kind >= 0 && kind < SRC_COUNT_ && rows[kind].ints;
}

const char *const *sema_kind_names(int *n)
{
    *n = SRC_COUNT_;
    return names;
}

int sema_kind_opts(int kind, const char **out, int max)
{
    int n = 0;
    for (size_t i = 0; i < sizeof opts / sizeof *opts; i++)
        if (opts[i].kind == kind && n < max)
            out[n++] = opts[i].name;
    return n;
}

/* "a, b, c or d" */
const char *sema_kind_join(const char *const *v, int n, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", i == 0 ? "" : i == n - 1 ? " or " : ", ",
                                v[i]);
    return buf;
}
