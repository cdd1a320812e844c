/* sema_kinds.c: the source kinds as sema sees them, from the one table
 * runtime/st_kinds.def (shared with codegen and the runtime): a kind's
 * number from its name, its element type, its named options, the
 * lists the diagnostics print ("expected socket, ... or rate"), the
 * checks of a kind's arguments from its ST_SOURCE_ARG rows (a kind
 * without checks of its own in sema.c) and its --emit-dot description
 * (ST_SOURCE_DESCRIBE). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "sema_ext.h"
#include "sema_cnames.h"
#include "sema_kinds.h"
#include "sbuf.h"
#include "st_kinds_fmt.h"

typedef struct kind_row {
    const char *name;
    bool ints, listed;
} kind_row;

#define ELEM_INT true
#define ELEM_STR false
static const kind_row rows[] = {
#define ST_SOURCE(ID, NAME, ELEM, REPLAY, LISTED, RECEIVER) { NAME, ELEM_##ELEM, LISTED },
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

/* the kinds the diagnostics list (not receiver(fn): the user's own) */
const char *const *sema_kind_names(int *n)
{
    static const char *names[SRC_COUNT_];
    static int nn;
    if (!nn)
        for (int i = 0; i < SRC_COUNT_; i++)
            if (rows[i].listed)
                names[nn++] = rows[i].name;
    *n = nn;
    return names;
}

/* the kind closest to a misspelt name, for did-you-mean: every kind, also
   those the "expected ..." lists leave out (receiver) */
const char *sema_kind_closest(const char *name)
{
    const char *names[SRC_COUNT_];
    for (int i = 0; i < SRC_COUNT_; i++)
        names[i] = rows[i].name;
    return hint_closest(name, names, SRC_COUNT_);
}

int sema_kind_opts(int kind, const char **out, int max)
{
    int n = 0;
    for (size_t i = 0; i < sizeof opts / sizeof *opts; i++)
        if (opts[i].kind == kind && n < max)
            out[n++] = opts[i].name;
    return n;
}

typedef struct arg_row {
    int kind;
    const char *field;
    int type;
} arg_row;

enum { T_STRING, T_INT, T_BOOL, T_FLOAT };
#define ARG_STRING T_STRING
#define ARG_INT T_INT
#define ARG_BOOL T_BOOL
#define ARG_FLOAT T_FLOAT
static const arg_row args[] = {
#define ST_SOURCE_ARG(ID, FIELD, TYPE) { SRC_##ID, FIELD, ARG_##TYPE },
#include "st_kinds.def"
    { -1, NULL, 0 }   /* the end (the built-in kinds have no rows here) */
};
static const arg_row opt_types[] = {
#define ST_SOURCE_OPT(ID, NAME, TYPE, DEFAULT) { SRC_##ID, NAME, ARG_##TYPE },
#include "st_kinds.def"
    { -1, NULL, 0 }
};
/* the BOOL option that makes a kind's elements (String, String) */
static const char *const keyed_opt[SRC_COUNT_ + 1] = {
#define ST_SOURCE_KEYED(ID, OPTION) [SRC_##ID] = OPTION,
#include "st_kinds.def"
};
/* the default of a BOOL option (INT and FLOAT ones are 0 unless given) */
#define DEF_STRING(D) 0
#define DEF_INT(D) (int64_t)(D)
#define DEF_BOOL(D) (int64_t)(D)
#define DEF_FLOAT(D) (int64_t)(D)
static const int64_t opt_defaults[] = {
#define ST_SOURCE_OPT(ID, NAME, TYPE, DEFAULT) DEF_##TYPE(DEFAULT),
#include "st_kinds.def"
    0
};

/* the row of kind kid's positional argument i, or named option name */
static const arg_row *arg_of(int kid, int i, const char *name)
{
    const arg_row *r = name ? opt_types : args;
    for (; r->field; r++)
        if (r->kind == kid && (name ? strcmp(r->field, name) == 0 : i-- == 0))
            return r;
    return NULL;
}

static const char *const type_words[] = { "a string", "an integer", "true or false", "a number" };

/* A param standing for an argument of a kind checked from its rows:
   the param's type must be the row's (sema_source_params). The keyed
   option decides the element type when the program is compiled, so it
   cannot be a param. */
bool sema_kind_param(st_diag *dg, int kid, int pos, const char *name, st_tykind *want, const char **what,
                     char *buf, size_t cap)
{
    const arg_row *r = kid >= 0 && kid < SRC_COUNT_ ? arg_of(kid, pos, name) : NULL;
    (void)dg;
    if (!r)
        return false;
    static const st_tykind tk[] = { TY_STRING, TY_INT, TY_BOOL, TY_FLOAT };
    *want = tk[r->type];
    if (name)
        snprintf(buf, cap, "option '%s' of %s()", name, rows[kid].name);
    else
        snprintf(buf, cap, "argument %d of %s()", pos + 1, rows[kid].name);
    *what = buf;
    return true;
}

bool sema_kind_keyed_opt(int kid, const char *name)
{
    return kid >= 0 && kid < SRC_COUNT_ && keyed_opt[kid] && strcmp(keyed_opt[kid], name) == 0;
}

/* the param argument e is (sema_source_params), or NULL */
static st_decl *param_at(const st_decl *d, const st_expr *e)
{
    for (int i = 0; d->argp && i < d->nargs; i++)
        if (d->args[i] == e || (d->args[i]->kind == EX_NAMED_ARG && d->args[i]->a == e))
            return d->argp[i];
    return NULL;
}

/* a literal into the field of that name, or into the source's list of
   options; false: not of its type */
static bool bind(st_program *p, st_decl *d, const char *fieldname, int type, const st_expr *v)
{
    bool str = type == T_STRING;
    if (str ? v->kind != EX_STRING
            : type == T_BOOL ? v->kind != EX_BOOL
            : type == T_FLOAT ? v->kind != EX_INT && v->kind != EX_FLOAT : v->kind != EX_INT && v->kind != EX_BOOL)
        return false;
    int64_t n = v->kind == EX_BOOL ? v->bval : v->kind == EX_FLOAT ? (int64_t)v->fval : v->ival;
    st_decl *pd = param_at(d, v);
    static const char *const fixed[] = { "host", "port", "path", "rate", "loop" };
    static const st_srcarg slots[] = { SA_HOST, SA_PORT, SA_PATH, SA_RATE, SA_LOOP };
    for (int i = 0; i < 5; i++)
        if (strcmp(fieldname, fixed[i]) == 0) {
            if (pd)
                d->arg_param[slots[i]] = pd;
            if (i == 0)
                d->host = v->sval;
            else if (i == 2)
                d->path = v->sval;
            else if (i == 1)
                d->port = n;
            else if (i == 3)
                d->rate = n;
            else
                d->loop = n != 0;
            return true;
        }
    if (!d->opts)
        d->opts = ast_alloc(p, sizeof *d->opts * (size_t)(d->nargs + 1));
    if (d->nopts < d->nargs)
        d->opts[d->nopts++] = (st_srcopt){ fieldname, str ? v->sval : NULL, str ? 0 : n, pd };
    return true;
}

/* A kind checked from the table (its ST_SOURCE_ARG and ST_SOURCE_OPT
   rows): false when kid is no kind at all (sema reports it unknown). */
bool sema_kind_args(st_program *p, st_diag *dg, st_decl *d, int kid, st_expr **pos, int npos)
{
    if (kid < 0 || kid >= SRC_COUNT_)
        return false;
    d->src_kind = kid;
    const char *k = rows[kid].name;
    int want = 0;
    for (const arg_row *r = args; r->field; r++)
        if (r->kind == kid) {
            if (want < npos && want < 8 && !bind(p, d, r->field, r->type, pos[want]))   /* sema.c keeps 8 */
                diag_error(dg, pos[want]->loc, "argument %d of %s() must be %s", want + 1, k,
                           type_words[r->type]);
            want++;
        }
    if (npos != want)
        diag_error(dg, d->kind_loc, "%s() takes %d argument%s, not %d", k, want, want == 1 ? "" : "s", npos);
    for (int i = 0; i < d->nargs; i++) {
        st_expr *a = d->args[i];
        bool known = a->kind != EX_NAMED_ARG;
        for (size_t j = 0; !known && opt_types[j].field; j++)
            if (opt_types[j].kind == kid && strcmp(opt_types[j].field, a->name) == 0) {
                known = true;
                bool twice = false;
                for (int o = 0; o < i; o++)
                    twice = twice || (d->args[o]->kind == EX_NAMED_ARG && strcmp(d->args[o]->name, a->name) == 0);
                if (twice)
                    diag_error(dg, a->name_loc, "option '%s' is given twice", a->name);
                else if (!bind(p, d, a->name, opt_types[j].type, a->a))
                    diag_error(dg, a->a->loc, "option '%s' of %s() must be %s", a->name, k,
                               type_words[opt_types[j].type]);
            }
        const char *names[8];
        int nn = sema_kind_opts(kid, names, 8);
        if (!known && nn > 0) {   /* with none, sema.c has said so */
            char dym[160], list[160];
            const char *best = hint_closest(a->name, names, nn);
            diag_error(dg, a->name_loc, "%s() has no option '%s' (expected %s)%s", k, a->name,
                       sema_kind_join(names, nn, list, sizeof list), hint_dym(best, dym, sizeof dym));
        }
    }
    /* the element type: (String, String) when the keyed option is true */
    if (keyed_opt[kid]) {
        int64_t on = 0;
        for (size_t j = 0; opt_types[j].field; j++)
            if (opt_types[j].kind == kid && strcmp(opt_types[j].field, keyed_opt[kid]) == 0)
                on = opt_defaults[j];
        for (int i = 0; i < d->nopts; i++)
            if (strcmp(d->opts[i].name, keyed_opt[kid]) == 0)
                on = d->opts[i].num;
        d->keyed = on != 0;
    }
    return true;
}

/* a source's field by name (st_kinds_fmt.h): its options given, then
   the fixed fields, the strings first */
static int field(const void *obj, const char *name, const char **str, int64_t *num)
{
    static const char *const names[] = { "host", "path", "receiver", "arg", "port", "rate", "loop" };
    const st_decl *d = obj;
    for (int i = 0; i < d->nopts; i++)
        if (strcmp(d->opts[i].name, name) == 0) {
            *str = d->opts[i].str;
            *num = d->opts[i].num;
            return d->opts[i].str ? ST_KF_STR : ST_KF_NUM;
        }
    int k = 0;
    while (k < 7 && strcmp(names[k], name) != 0)
        k++;
    const char *sv[] = { d->host, d->path, d->recv_fn, d->recv_arg };
    int64_t nv[] = { d->port, d->rate, d->loop };
    if (k < 4)
        *str = sv[k];
    else if (k < 7)
        *num = nv[k - 4];
    return k < 4 ? ST_KF_STR : k < 7 ? ST_KF_NUM : 0;
}

static const char *const describe[SRC_COUNT_] = {
#define ST_SOURCE_DESCRIBE(ID, FORMAT) [SRC_##ID] = FORMAT,
#include "st_kinds.def"
};

/* a source as --dag shows it, from its row's DESCRIBE format (malloc'd) */
char *sema_kind_describe(const st_decl *d)
{
    char buf[8192];
    int k = d->src_kind;
    st_kind_format(k >= 0 && k < SRC_COUNT_ && describe[k] ? describe[k] : "?", field, d, buf, sizeof buf);
    return xasprintf("%s", buf);
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

/* receiver(fn [, "arg"]): fn names a C function of a %{ %} block that
   fills an st_receiver (st_receiver.h). */
bool sema_receiver_args(st_diag *dg, const st_program *p, st_decl *d)
{
    int n = d->nargs;
    st_expr *f = n > 0 ? d->args[0] : NULL, *a = n > 1 ? d->args[1] : NULL;
    if (n < 1 || n > 2 || f->kind != EX_NAME || (a && a->kind != EX_STRING)) {
        st_loc at = n < 1 || n > 2 ? d->kind_loc : f->kind != EX_NAME ? f->loc : a->loc;
        diag_error(dg, at, "receiver() takes the name of a C function (from a %%{ ... %%} block) and an "
                           "optional string, as in receiver(my_receiver, \"arg\")");
        return false;
    }
    const char *why = cname_reserved(f->name);
    if (why) {
        diag_error(dg, f->loc, "the C function of receiver() cannot be named '%s': %s", f->name, why);
        return false;
    }
    bool found = false;
    size_t ln = strlen(f->name);
    for (int i = 0; i < p->ndecls && !found; i++) {
        const st_decl *x = p->decls[i];
        for (const char *c = x->kind == DECL_CBLOCK && x->code ? x->code : ""; (c = strstr(c, f->name)); c += ln) {
            bool start = c == x->code || !(c[-1] == '_' || isalnum((unsigned char)c[-1]));
            const char *e = c + ln;
            while (*e == ' ' || *e == '\t' || *e == '\n')
                e++;
            if (start && *e == '(') {
                found = true;
                break;
            }
        }
    }
    if (!found) {
        diag_error(dg, f->loc, "receiver() calls the C function '%s', but no %%{ ... %%} block defines it",
                   f->name);
        return false;
    }
    d->recv_fn = f->name;
    d->recv_arg = a ? a->sval : NULL;
    return true;
}
