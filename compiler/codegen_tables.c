/* codegen_tables.c: tables in the generated C (codegen_tables.h).
 *
 *   static st_table_h *sc_tab0;                       one per used table
 *   static st_table_opt sc_tabopt0[] = { { "path", "spam.txt" }, { "sep", NULL } };
 *   static const st_table_desc sc_tables[] = {
 *       { "spam", "file", &st_table_file, 2, sc_tabopt0, &sc_tab0 },
 *   };
 * st_main opens them at start (after sc_bind has copied --param values
 * into the options) and stores each handle in sc_tabN; a lookup is
 *   sc_T7 t3 = { false, { NULL, 0 } };
 *   { st_str k_ = KEY; const char *v_; size_t n_;
 *     if (st_table_get(sc_tab0, k_.p, (size_t)k_.n, AR, &v_, &n_)) t3 = (sc_T7){ true, { v_, (int64_t)n_ } }; }
 * and contains(t, k) is st_table_has(sc_tab0, k.p, (size_t)k.n). */
#include <stdio.h>
#include <string.h>

#include "codegen_ext.h"
#include "codegen_tables.h"
#include "sema_tables.h"

static bool emitted(const st_decl *d)
{
    return d->kind == DECL_TABLE && d->table && d->table->index >= 0;
}

void cgt_globals(const st_program *p, sbuf *out, sbuf *bind)
{
    int n = 0;
    for (int i = 0; i < p->ndecls; i++)
        n += emitted(p->decls[i]);
    if (!n)
        return;
    sb_puts(out, "/* ---- tables: opened by st_main at start ---- */\n");
    bool declared[TBL_COUNT_] = { false };
    for (int i = 0; i < p->ndecls; i++) {
        const st_decl *d = p->decls[i];
        if (!emitted(d))
            continue;
        const st_table_info *t = d->table;
        if (sema_table_kind_lib(t->kind) && !declared[t->kind]) {
            declared[t->kind] = true;
            sb_printf(out, "extern const st_table_kind st_table_%s; /* lib%s */\n", sema_table_kind_impl(t->kind),
                      sema_table_kind_lib(t->kind));
        }
        sb_printf(out, "static st_table_h *sc_tab%d; /* %s */\n", t->index, d->name);
        sb_printf(out, "static st_table_opt sc_tabopt%d[] = {", t->index);
        for (int k = 0; k < t->nopts; k++) {
            sb_puts(out, k ? ", { " : " { ");
            sb_c_lit(out, t->names[k], strlen(t->names[k]));
            sb_puts(out, ", ");
            if (t->vals[k])
                sb_c_lit(out, t->vals[k], strlen(t->vals[k]));
            else
                sb_puts(out, "NULL");
            sb_puts(out, " }");
            if (t->params[k]) {
                char v[64];
                sb_printf(bind, "    sc_tabopt%d[%d].str = %s;\n", t->index, k,
                          cgx_param_var(t->params[k], v, sizeof v, false));
            }
        }
        sb_puts(out, " };\n");
    }
    sb_puts(out, "static const st_table_desc sc_tables[] = {\n");
    for (int i = 0; i < p->ndecls; i++) {
        const st_decl *d = p->decls[i];
        if (!emitted(d))
            continue;
        const st_table_info *t = d->table;
        sb_puts(out, "    { ");
        sb_c_lit(out, d->name, strlen(d->name));
        sb_puts(out, ", ");
        sb_c_lit(out, sema_table_kind_name(t->kind), strlen(sema_table_kind_name(t->kind)));
        sb_printf(out, ", &st_table_%s, %d, sc_tabopt%d, &sc_tab%d },\n", sema_table_kind_impl(t->kind), t->nopts,
                  t->index, t->index);
    }
    sb_puts(out, "};\n\n");
}

const char *cgt_desc_tail(const st_program *p, char *buf, size_t n)
{
    int nt = 0;
    for (int i = 0; i < p->ndecls; i++)
        nt += emitted(p->decls[i]);
    snprintf(buf, n, ", %d, %s", nt, nt ? "sc_tables" : "NULL");
    return buf;
}

char *cgt_call(ex *x, const st_expr *e)
{
    cg *g = x->g;
    int ti = e->decl->table->index;
    char *k = tmpname(g);
    emit(g, x->indent, "st_str %s = %s;", k, cx(x, e->args[1]));
    if (e->builtin == BI_TABLE_CONTAINS)
        return cg_str(g, "st_table_has(sc_tab%d, %s.p, (size_t)%s.n)", ti, k, k);
    char *t = tmpname(g);
    const char *ot = ct(g, e->type);
    emit(g, x->indent, "%s %s = { false, { NULL, 0 } };", ot, t);
    emit(g, x->indent, "{");
    emit(g, x->indent, "    const char *v_;");
    emit(g, x->indent, "    size_t n_;");
    emit(g, x->indent, "    if (st_table_get(sc_tab%d, %s.p, (size_t)%s.n, %s, &v_, &n_))", ti, k, k, x->ar);
    emit(g, x->indent, "        %s = (%s){ true, { v_, (int64_t)n_ } };", t, ot);
    emit(g, x->indent, "}");
    return t;
}
