/* codegen_dag.c: the pipeline's DAG (dag.c's SVG) as a string of the
 * generated C, for the executable's live page (--metrics). */
#include "codegen_dag.h"

#include "dag.h"

void codegen_dag(const st_program *p, sbuf *out)
{
    sbuf svg = { 0 };
    dag_svg(p, &svg);
    sb_puts(out, "static const char sc_dag_svg[] =");
    for (size_t i = 0; i < svg.n;) {
        sb_puts(out, "\n    \"");
        for (; i < svg.n; i++) {
            unsigned char c = (unsigned char)svg.p[i];
            if (c == '\n') {
                sb_puts(out, "\\n");
                i++;
                break;
            }
            if (c == '"' || c == '\\') {
                sb_put(out, "\\", 1);
                sb_put(out, (const char *)&c, 1);
                continue;
            }
            /* '?' escaped: no trigraphs in -std=c11 */
            if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '?')
                sb_put(out, (const char *)&c, 1);
            else
                sb_printf(out, "\\%03o", c);
        }
        sb_puts(out, "\"");
    }
    if (svg.n == 0)
        sb_puts(out, " \"\"");
    sb_puts(out, ";\n");
    sb_free(&svg);
}

void codegen_view(const st_program *p, const lw_plan *plan, sbuf *out)
{
    for (int ci = 0; ci < p->ncontexts; ci++) {
        const st_decl *c = p->contexts[ci];
        sb_printf(out, "static int64_t sc_keys%d(void *state)\n{\n    const sc_S%d *S = state;\n"
                       "    int64_t n = 0;\n    (void)S;\n", ci, ci);
        for (int i = 0; i < p->nnodes; i++) {
            const st_node *n = plan->order[i];
            lw_kind k = plan->nodes[n->id].kind;
            if (n->ctx != c || k == LW_DEAD || k == LW_FUSED)
                continue;
            if (n->op == OP_MAPWITHSTATE || n->spark_update)
                sb_printf(out, "    for (int j = 0; j < SC_SHARDS; j++)\n        n += S->ulive%d[j];\n", n->id);
            else if (n->op == OP_UPDATESTATEBYKEY)
                sb_printf(out, "    for (int j = 0; j < SC_SHARDS; j++)\n        n += S->u%d[j].n;\n", n->id);
            else if (n->op == OP_COUNTBYVALUEANDWINDOW || (n->op == OP_REDUCEBYKEYANDWINDOW && n->fn2))
                sb_printf(out, "    n += S->w%d.n;\n", n->id);
        }
        sb_puts(out, "    return n;\n}\n");
    }
    sb_puts(out, "static int64_t (*const sc_keys[])(void *) = {");
    for (int ci = 0; ci < p->ncontexts; ci++)
        sb_printf(out, "%s sc_keys%d", ci ? "," : "", ci);
    sb_puts(out, p->ncontexts ? " };\n" : " NULL };\n");
    codegen_dag(p, out);
    sb_puts(out, "static const st_program_view sc_view = { sc_dag_svg, sc_keys };\n");
}
