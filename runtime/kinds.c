/* kinds.c: the runtime's side of the table of source kinds
 * (st_kinds.def): each kind's name, element type, replayability, options
 * and their defaults. The receivers are not named here: the generated
 * descriptor names its kind's (st_source_desc.recv), so that a kind's
 * code, and the library it may need, is linked only where it is used. */
#include "engine.h"
#include "st_kinds_fmt.h"

typedef struct rt_kind {
    const char *name;
    bool ints, replays;
} rt_kind;

#define ELEM_INT true
#define ELEM_STR false
static const rt_kind kinds[] = {
#define ST_SOURCE(ID, NAME, ELEM, REPLAY, LISTED, RECEIVER) { NAME, ELEM_##ELEM, REPLAY },
#include "st_kinds.def"
};
static const char *const keyed_opt[ST_SRC_COUNT_ + 1] = {
#define ST_SOURCE_KEYED(ID, OPTION) [ST_SRC_##ID] = OPTION,
#include "st_kinds.def"
};

static const rt_kind *kind(st_src_kind k)
{
    static const rt_kind none = { "?", false, false };
    return (unsigned)k < ST_SRC_COUNT_ ? &kinds[k] : &none;
}

bool rt_kind_ints(st_src_kind k) { return kind(k)->ints; }
bool rt_kind_replays(st_src_kind k) { return kind(k)->replays; }
const char *rt_kind_name(st_src_kind k) { return kind(k)->name; }

/* the named options' defaults (ST_SOURCE_OPT rows) */
typedef struct rt_opt {
    st_src_kind kind;
    const char *name;
    int type;
    int64_t num;
    const char *str;
} rt_opt;
#define ST_KF_INT ST_KF_NUM
#define ST_KF_BOOL ST_KF_NUM
#define ST_KF_FLOAT ST_KF_NUM
#define ST_KF_STRING ST_KF_STR
#define ST_OPT_DEF_INT(D) (int64_t)(D), NULL
#define ST_OPT_DEF_BOOL(D) (int64_t)(D), NULL
#define ST_OPT_DEF_FLOAT(D) (int64_t)(D), NULL
#define ST_OPT_DEF_STRING(D) 0, D
static const rt_opt opts[] = {
#define ST_SOURCE_OPT(ID, NAME, TYPE, DEFAULT) { ST_SRC_##ID, NAME, ST_KF_##TYPE, ST_OPT_DEF_##TYPE(DEFAULT) },
#include "st_kinds.def"
};

/* A source's fields by name (the DESCRIBE formats' $FIELD, st_recv_opt_*):
   ST_KF_STR with the value in *str, ST_KF_NUM in *num, 0 if unknown. An
   option of the kind's row that was not given (NULL or 0) reads as the
   row's default: the one place defaults are applied. */
int rt_source_field(const st_source_desc *d, const char *name, const char **str, int64_t *num)
{
    int t = ST_KF_NUM;
    const st_source_opt *given = NULL;
    for (int i = 0; i < d->nopts && !given; i++)
        if (strcmp(d->opts[i].name, name) == 0)
            given = &d->opts[i];
    if (given) {
        *str = given->str;
        *num = given->num;
        t = given->str ? ST_KF_STR : ST_KF_NUM;
        for (size_t i = 0; i < sizeof opts / sizeof *opts; i++)
            if (opts[i].kind == d->kind && strcmp(opts[i].name, name) == 0)
                t = opts[i].type;
        return t;
    }
    if (strcmp(name, "host") == 0)
        *str = d->host, t = ST_KF_STR;
    else if (strcmp(name, "path") == 0)
        *str = d->path, t = ST_KF_STR;
    else if (strcmp(name, "arg") == 0 || strcmp(name, "receiver") == 0)   /* the function's name is not kept */
        *str = d->arg, t = ST_KF_STR;
    else if (strcmp(name, "port") == 0)
        *num = d->port;
    else if (strcmp(name, "rate") == 0)
        *num = d->rate;
    else if (strcmp(name, "loop") == 0)
        *num = d->loop;
    else if (strcmp(name, "maxRate") == 0)
        *num = d->max_rate;
    else
        t = 0;
    for (size_t i = 0; i < sizeof opts / sizeof *opts; i++)
        if (opts[i].kind == d->kind && strcmp(opts[i].name, name) == 0) {
            if (opts[i].type == ST_KF_STR && !*str)
                *str = opts[i].str;
            else if (opts[i].type == ST_KF_NUM && !*num)
                *num = opts[i].num;
            return opts[i].type;
        }
    return t;
}

bool rt_source_keyed(const st_source_desc *d)
{
    const char *o = (unsigned)d->kind < ST_SRC_COUNT_ ? keyed_opt[d->kind] : NULL;
    const char *str = NULL;
    int64_t num = 0;
    return o && rt_source_field(d, o, &str, &num) == ST_KF_NUM && num != 0;
}

static int field(const void *obj, const char *name, const char **str, int64_t *num)
{
    return rt_source_field(obj, name, str, num);
}

static const char *const describe[ST_SRC_COUNT_] = {
#define ST_SOURCE_DESCRIBE(ID, FORMAT) [ST_SRC_##ID] = FORMAT,
#include "st_kinds.def"
};

/* the source as --describe shows it (its row's DESCRIBE format) */
void rt_kind_describe(const st_source_desc *d, char *buf, size_t cap)
{
    st_kind_format((unsigned)d->kind < ST_SRC_COUNT_ && describe[d->kind] ? describe[d->kind] : "?", field, d,
                   buf, cap);
}
