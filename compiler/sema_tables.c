/* sema_tables.c: tables (sema_tables.h). A table's arguments are string
 * literals or string params (a path, an address, a separator), checked
 * against its kind's ST_TABLE_ARG / ST_TABLE_OPT rows; lookup(t, k) is an
 * Option[string], contains(t, k) a bool, with k a string, in any
 * function. A table never used is warned about (-Wunused-table) and not
 * opened by the program. */
#include <stdio.h>
#include <string.h>

#include "sema_int.h"
#include "sema_tables.h"

typedef struct table_row {
    const char *name, *impl, *usage, *lib;
} table_row;

static table_row rows[TBL_COUNT_ + 1] = {
#define ST_TABLE(ID, NAME, IMPL, USAGE) [TBL_##ID] = { NAME, #IMPL, USAGE, NULL },
#include "st_kinds.def"
};

typedef struct arg_row {
    int kind;
    const char *name, *def;
    bool named;
} arg_row;

static const arg_row args[] = {
#define ST_TABLE_ARG(ID, NAME) { TBL_##ID, NAME, NULL, false },
#define ST_TABLE_OPT(ID, NAME, DEFAULT) { TBL_##ID, NAME, DEFAULT, true },
#include "st_kinds.def"
    { -1, NULL, NULL, false }
};

static const table_row *row(int kind)
{
    static bool libs;
    if (!libs) {
#define ST_TABLE_LIB(ID, LIB) rows[TBL_##ID].lib = LIB;
#include "st_kinds.def"
        libs = true;
    }
    return &rows[kind];
}

const char *sema_table_kind_name(int kind)
{
    return row(kind)->name;
}

const char *sema_table_kind_impl(int kind)
{
    return row(kind)->impl;
}

const char *sema_table_kind_lib(int kind)
{
    return row(kind)->lib;
}

static int find_kind(const char *name)
{
    for (int i = 0; i < TBL_COUNT_; i++)
        if (strcmp(rows[i].name, name) == 0)
            return i;
    return -1;
}

/* "the path of file()" */
static const char *what_arg(sema *s, const st_decl *d, const char *name)
{
    char buf[96];
    snprintf(buf, sizeof buf, "the %s of %s()", name, d->kind_name);
    return ast_strdup(s->p, buf);
}

/* one argument or option value v of table d, into slot i of t */
static void check_value(sema *s, st_decl *d, st_table_info *t, int i, st_expr *v)
{
    const char *what = what_arg(s, d, t->names[i]);
    st_decl *pd = param_ref(s, v);
    if (pd) {
        if (sema_param_use(s->d, pd, v, TY_STRING, 1, INT64_MAX, true, what)) {
            t->params[i] = pd;
            t->vals[i] = pd->value->sval;
        }
        return;
    }
    if (v->kind != EX_STRING) {
        if (v->kind != EX_NAME || lookup(s, v->name))
            diag_error(s->d, v->loc, "%s must be a string literal or a string param", what);
        else
            unknown_name(s, v->loc, "use of undeclared param", v->name, closest_decl(s, v->name, 1u << DECL_PARAM));
        return;
    }
    if (v->slen == 0 || memchr(v->sval, '\0', v->slen)) {
        diag_error(s->d, v->loc, "%s must be a non-empty string without NUL bytes", what);
        return;
    }
    t->vals[i] = v->sval;
}

void sema_table_decl(sema *s, st_decl *d)
{
    st_table_info *t = ast_alloc(s->p, sizeof *t);
    memset(t, 0, sizeof *t);
    t->index = -1;
    d->table = t;
    t->kind = find_kind(d->kind_name);
    if (t->kind < 0) {
        const char *names[TBL_COUNT_ + 1];
        for (int i = 0; i < TBL_COUNT_; i++)
            names[i] = rows[i].name;
        char dym[160], list[160];
        const char *best = hint_closest(d->kind_name, names, TBL_COUNT_);
        diag_error(s->d, d->kind_loc, "unknown table kind '%s' (expected %s)%s", d->kind_name,
                   sema_kind_join(names, TBL_COUNT_, list, sizeof list), hint_dym(best, dym, sizeof dym));
        if (best)
            diag_fixit(s->d, d->kind_loc, best);
        d->used = true; /* no warning on top of the error */
        return;
    }
    const table_row *r = row(t->kind);
    int npos = 0;
    for (int i = 0; args[i].name; i++)
        if (args[i].kind == t->kind && t->nopts < ST_TABLE_MAXOPTS) {
            t->names[t->nopts] = args[i].name;
            t->vals[t->nopts++] = args[i].def;
            npos += !args[i].named;
        }
    int given = 0, errors = s->d->nerrors;
    bool seen[ST_TABLE_MAXOPTS] = { false };
    for (int i = 0; i < d->nargs; i++) {
        st_expr *a = d->args[i];
        if (a->kind == EX_LAMBDA) {
            diag_error(s->d, a->loc, "table arguments must be string literals or params");
            continue;
        }
        if (a->kind != EX_NAMED_ARG) {
            if (given < npos)
                check_value(s, d, t, given, a);
            given++;
            continue;
        }
        int k = -1;
        const char *opts[ST_TABLE_MAXOPTS];
        int nopt = 0;
        for (int j = npos; j < t->nopts; j++) {
            opts[nopt++] = t->names[j];
            if (strcmp(t->names[j], a->name) == 0)
                k = j;
        }
        if (k < 0) {
            char dym[160], list[160];
            const char *best = hint_closest(a->name, opts, nopt);
            if (nopt)
                diag_error(s->d, a->name_loc, "%s() has no option '%s' (expected %s)%s", d->kind_name, a->name,
                           sema_kind_join(opts, nopt, list, sizeof list), hint_dym(best, dym, sizeof dym));
            else
                diag_error(s->d, a->name_loc, "%s() has no options", d->kind_name);
            if (best)
                diag_fixit(s->d, a->name_loc, best);
        } else if (seen[k])
            diag_error(s->d, a->name_loc, "option '%s' is given twice", a->name);
        else {
            seen[k] = true;
            check_value(s, d, t, k, a->a);
        }
    }
    if (given != npos)
        diag_error(s->d, d->kind_loc, "%s() takes %d argument%s, not %d, as in table %s = %s", d->kind_name, npos,
                   npos == 1 ? "" : "s", given, d->name, r->usage);
    if (s->d->nerrors > errors)
        d->used = true; /* no "never used" on top of its errors */
}

/* The table that the first argument of e names, or NULL. */
static st_decl *table_of(sema *s, const st_expr *a)
{
    if (a->kind != EX_NAME)
        return NULL;
    for (int i = 0; s->lam && i < s->lam->nparams; i++)
        if (strcmp(s->lam->params[i], a->name) == 0)
            return NULL;
    st_decl *d = lookup(s, a->name);
    return d && d->kind == DECL_TABLE ? d : NULL;
}

bool sema_table_call(sema *s, st_expr *e, int depth, const st_type **rt)
{
    bool is_lookup = strcmp(e->name, "lookup") == 0;
    if (!is_lookup && strcmp(e->name, "contains") != 0)
        return false;
    st_expr *a = e->nargs > 0 ? e->args[0] : NULL;
    st_decl *d = a ? table_of(s, a) : NULL;
    if (!d && !is_lookup) {
        /* contains(spm, w) with no spm at all, close to a table: say so;
           anything else is contains of a list or a string */
        bool local = false;
        for (int i = 0; a && a->kind == EX_NAME && s->lam && i < s->lam->nparams; i++)
            local |= strcmp(s->lam->params[i], a->name) == 0;
        const char *best = a && a->kind == EX_NAME && !local && !lookup(s, a->name) && e->nargs == 2
                               ? closest_decl(s, a->name, 1u << DECL_TABLE) : NULL;
        if (!best)
            return false;
        unknown_name(s, a->loc, "use of undeclared table", a->name, best);
        type_expr(s, e->args[1], false, depth + 1);
        *rt = s->t_err;
        return true;
    }
    *rt = s->t_err;
    if (e->nargs != 2) {
        for (int i = 1; i < e->nargs; i++)
            type_expr(s, e->args[i], false, depth + 1);
        diag_error(s->d, e->name_loc, "%s() takes 2 arguments, not %d, as in %s(table, key)", e->name, e->nargs,
                   e->name);
        return true;
    }
    st_expr *k = e->args[1];
    const st_type *kt = type_expr(s, k, false, depth + 1);
    if (!d) {
        if (a->kind == EX_NAME && !lookup(s, a->name)) {
            bool param = false;
            for (int i = 0; s->lam && i < s->lam->nparams; i++)
                param |= strcmp(s->lam->params[i], a->name) == 0;
            if (!param) {
                unknown_name(s, a->loc, "use of undeclared table", a->name,
                             closest_decl(s, a->name, 1u << DECL_TABLE));
                return true;
            }
        }
        st_decl *nd = a->kind == EX_NAME ? lookup(s, a->name) : NULL;
        diag_error(s->d, a->loc, "the first argument of lookup() must be a table (table NAME = file(\"path\");)");
        if (nd && nd->kind != DECL_OUTPUT && nd->kind != DECL_CBLOCK)
            diag_note(s->d, nd->name_loc, "'%s' is a %s, declared here", a->name, decl_what(nd));
        return true;
    }
    bool reported;
    if (!resolve(s, a->name, a->loc, &reported) || reported)
        return true;
    if (!s->lam) {
        d->used = true;
        diag_error(s->d, e->name_loc, "%s() on table '%s' can be used only inside a function (tables are read "
                                      "when the program starts)", e->name, d->name);
        return true;
    }
    d->used = true;
    a->ref = REF_NONE;
    a->decl = d;
    a->type = s->t_err;
    e->ref = REF_BUILTIN;
    e->builtin = is_lookup ? BI_TABLE_LOOKUP : BI_TABLE_CONTAINS;
    e->decl = d;
    if (is_err(kt))
        return true;
    if (kt->kind != TY_STRING) {
        char b[128];
        diag_error(s->d, k->loc, "the key of %s(%s, ...) must be a string, not %s (convert it with toString())",
                   e->name, d->name, tstr(kt, b, sizeof b));
        return true;
    }
    *rt = is_lookup ? type_option(s->p, s->t_str) : s->t_bool;
    return true;
}

int sema_table_libs(const st_program *p, const char **out, int n, int max)
{
    for (int i = 0; i < p->ndecls; i++) {
        const st_decl *d = p->decls[i];
        if (d->kind != DECL_TABLE || !d->table || d->table->index < 0 || !row(d->table->kind)->lib)
            continue;
        const char *lib = row(d->table->kind)->lib;
        bool seen = false;
        for (int k = 0; k < n && !seen; k++)
            seen = strcmp(out[k], lib) == 0;
        if (!seen && n < max)
            out[n++] = lib;
    }
    return n;
}

void sema_tables_finish(st_program *p)
{
    int n = 0;
    for (int i = 0; i < p->ndecls; i++) {
        st_decl *d = p->decls[i];
        if (d->kind == DECL_TABLE && d->table && d->table->kind >= 0 && d->used)
            d->table->index = n++;
    }
}
