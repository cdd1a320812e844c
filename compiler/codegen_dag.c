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
