/* codegen_ext.c: regexes and run-time parameters in the generated C.
 *
 *   static st_regex sc_re[] = { { "pattern", NULL, 0, 0 }, ... };
 *   static const char *sc_par0 = "localhost";          one per param
 *   static int64_t sc_par1 = INT64_C(9999);
 *   static const st_param_desc sc_params[] = { ... };  name, type, default,
 *                                                       &variable, range
 *   static void sc_bind(void) { sc_src0[0].host = sc_par0; ... }
 * st_main compiles sc_re at start and stores --param values in the
 * variables before it calls sc_bind; outputs read the variables. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "codegen_ext.h"

static const char *ptype(const st_type *t)
{
    switch (t ? t->kind : TY_ERROR) {
    case TY_STRING: return "ST_PARAM_STRING";
    case TY_INT: return "ST_PARAM_INT";
    case TY_FLOAT: return "ST_PARAM_FLOAT";
    default: return "ST_PARAM_BOOL";
    }
}

/* The default as a user would write it, for --help. */
static void default_text(sbuf *b, const st_decl *pd)
{
    const st_expr *v = pd->value;
    const st_expr *lit = v->kind == EX_UNARY ? v->a : v;
    if (lit != v)
        sb_puts(b, "-");
    switch (lit->kind) {
    case EX_STRING:
        sb_puts(b, "\"");
        for (size_t i = 0; i < lit->slen; i++) {
            unsigned char c = (unsigned char)lit->sval[i];
            if (c == '"' || c == '\\')
                sb_printf(b, "\\%c", c);
            else if (c < 0x20 || c == 0x7f)
                sb_printf(b, "\\x%02x", c);
            else
                sb_put(b, (const char *)&c, 1);
        }
        sb_puts(b, "\"");
        break;
    case EX_BOOL: sb_puts(b, lit->bval ? "true" : "false"); break;
    default: sb_puts(b, lit->text ? lit->text : "0"); break;
    }
}

void cgx_globals(const st_program *p, sbuf *out)
{
    if (p->nregexes) {
        sb_puts(out, "/* ---- regexes: compiled by st_main at start ---- */\n");
        sb_puts(out, "static st_regex sc_re[] = {\n");
        for (int i = 0; i < p->nregexes; i++) {
            sb_puts(out, "    { ");
            sb_c_lit(out, p->regexes[i]->sval, p->regexes[i]->slen);
            sb_puts(out, ", NULL, 0, 0 },\n");
        }
        sb_puts(out, "};\n\n");
    }
    if (!p->nparams)
        return;
    sb_puts(out, "/* ---- run-time parameters: --param NAME=VALUE ---- */\n");
    for (int i = 0; i < p->nparams; i++) {
        const st_decl *pd = p->params[i];
        const st_expr *v = pd->value, *lit = v->kind == EX_UNARY ? v->a : v;
        const char *neg = lit != v ? "-" : "";
        switch (pd->param_type->kind) {
        case TY_STRING:
            sb_printf(out, "static const char *sc_par%d = ", i);
            sb_c_lit(out, lit->sval, lit->slen);
            sb_puts(out, ";");
            break;
        case TY_INT:
            if (lit != v && lit->ival == INT64_MAX)
                sb_printf(out, "static int64_t sc_par%d = -INT64_MAX;", i);
            else
                sb_printf(out, "static int64_t sc_par%d = %sINT64_C(%" PRId64 ");", i, neg, lit->ival);
            break;
        case TY_FLOAT: sb_printf(out, "static double sc_par%d = %s%.17g;", i, neg, lit->fval); break;
        default: sb_printf(out, "static bool sc_par%d = %s;", i, lit->bval ? "true" : "false"); break;
        }
        sb_printf(out, " /* %s */\n", pd->name);
    }
    sb_puts(out, "static const st_param_desc sc_params[] = {\n");
    for (int i = 0; i < p->nparams; i++) {
        const st_decl *pd = p->params[i];
        sbuf def = { 0 };
        default_text(&def, pd);
        sb_puts(out, "    { ");
        sb_c_lit(out, pd->name, strlen(pd->name));
        sb_printf(out, ", %s, ", ptype(pd->param_type));
        sb_c_lit(out, def.p, def.n);
        sb_printf(out, ", &sc_par%d, ", i);
        if (pd->param_min == INT64_MIN)
            sb_puts(out, "INT64_MIN, ");
        else
            sb_printf(out, "INT64_C(%" PRId64 "), ", pd->param_min);
        if (pd->param_max == INT64_MAX)
            sb_puts(out, "INT64_MAX, ");
        else
            sb_printf(out, "INT64_C(%" PRId64 "), ", pd->param_max);
        sb_printf(out, "%s, ", pd->param_nonempty ? "true" : "false");
        if (pd->param_use)
            sb_c_lit(out, pd->param_use, strlen(pd->param_use));
        else
            sb_puts(out, "NULL");
        sb_printf(out, ", %s", pd->param_noslash ? "true" : "false");
        sb_puts(out, " },\n");
        sb_free(&def);
    }
    sb_puts(out, "};\n\n");
}

void cgx_bind(const st_program *p, sbuf *out, const sbuf *assign)
{
    if (!p->nparams)
        return;
    sb_puts(out, "static void sc_bind(void)\n{\n");
    if (assign->n)
        sb_put(out, assign->p, assign->n);
    sb_puts(out, "}\n");
}

const char *cgx_desc_tail(const st_program *p, char *buf, size_t n)
{
    snprintf(buf, n, ", %d, %s, %s, %d, %s", p->nparams, p->nparams ? "sc_params" : "NULL",
                 p->nparams ? "sc_bind" : "NULL", p->nregexes, p->nregexes ? "sc_re" : "NULL");
    return buf;
}

const char *cgx_param_var(const st_decl *pd, char *buf, size_t n, bool as_int)
{
    snprintf(buf, n, "%ssc_par%d", as_int ? "(int)" : "", pd->param_index);
    return buf;
}
