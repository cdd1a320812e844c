/* codegen_out.c: the translator of outputs (see codegen_int.h): print,
 * saveAsTextFiles and foreachRDD.
 */
#include <assert.h>
#include <string.h>

#include "codegen_int.h"

void emit_output(cg *g, const st_node *n)
{
    int id = n->id, in = n->in->id;
    const st_type *t = n->in->type;
    if (n->op == OP_SAVE) {
        emit(g, 0, "static void sc_task%d(st_job *job, void *arg, int i, int w)", id);
        emit(g, 0, "{");
        emit(g, 1, "%s *D = arg;", ctx_d(n->ctx));
        emit(g, 1, "(void)job; (void)w;");
        emit(g, 1, "const st_part *ip = &D->d%d.parts[i];", in);
        emit(g, 1, "for (int64_t r = 0; r < ip->n; r++) {");
        emit(g, 2, "sc_fmt_%d(&D->buf%d[i], &((const %s *)ip->data)[r]);", t->id, id, ct(g, t));
        emit(g, 2, "st_buf_putc(&D->buf%d[i], '\\n');", id);
        emit(g, 1, "}");
        emit(g, 0, "}");
    }
    emit(g, 0, "static void sc_node%d(%s *D, st_job *job) /* %s */", id, ctx_d(n->ctx), op_name(n->op));
    emit(g, 0, "{");
    emit(g, 1, "if (!D->v%d || !st_output_enabled(job))", in);
    emit(g, 1, "    return;");
    emit(g, 1, "const st_ds *in = &D->d%d;", in);
    switch (n->op) {
    case OP_PRINT:
        emit(g, 1, "st_buf b = { 0 };");
        emit(g, 1, "int64_t shown = 0;");
        emit(g, 1, "bool more = false;");
        emit(g, 1, "for (int p = 0; p < in->nparts && !more; p++)");
        emit(g, 1, "    for (int64_t r = 0; r < in->parts[p].n; r++) {");
        emit(g, 1, "        if (shown == INT64_C(%lld)) {", (long long)n->n);
        emit(g, 1, "            more = true;");
        emit(g, 1, "            break;");
        emit(g, 1, "        }");
        emit(g, 1, "        sc_fmt_%d(&b, &((const %s *)in->parts[p].data)[r]);", t->id, ct(g, t));
        emit(g, 1, "        st_buf_putc(&b, '\\n');");
        emit(g, 1, "        shown++;");
        emit(g, 1, "    }");
        emit(g, 1, "st_print(job, b.p ? b.p : \"\", b.n, more);");
        emit(g, 1, "st_buf_free(&b);");
        break;
    case OP_SAVE:
        emit(g, 1, "D->buf%d = st_arena_alloc(job->arenas[0], sizeof(st_buf) * (size_t)(in->nparts + 1));", id);
        emit(g, 1, "memset(D->buf%d, 0, sizeof(st_buf) * (size_t)(in->nparts + 1));", id);
        emit(g, 1, "st_parallel_for(job, in->nparts, sc_task%d, D);", id);
        emit(g, 1, "if (st_save(job, %s, %s, in->nparts, D->buf%d) != 0)",
             n->prefix_param ? cg_str(g, "sc_par%d", n->prefix_param->param_index) : c_lit(g, n->prefix, strlen(n->prefix)),
             n->suffix_param ? cg_str(g, "sc_par%d", n->suffix_param->param_index)
             : n->suffix ? c_lit(g, n->suffix, strlen(n->suffix)) : "NULL", id);
        emit(g, 1, "    D->rc = -1;");
        emit(g, 1, "for (int p = 0; p < in->nparts; p++)");
        emit(g, 1, "    st_buf_free(&D->buf%d[p]);", id);
        break;
    default: /* foreachRDD */
        emit(g, 1, "int64_t total = sc_ds_count(in), q = 0;");
        emit(g, 1, "%s *all = st_arena_alloc(job->arenas[0], sizeof(%s) * (size_t)(total + 1));", ct(g, t), ct(g, t));
        emit(g, 1, "for (int p = 0; p < in->nparts; p++)");
        emit(g, 1, "    for (int64_t r = 0; r < in->parts[p].n; r++)");
        emit(g, 1, "        all[q++] = ((const %s *)in->parts[p].data)[r];", ct(g, t));
        emit(g, 1, "%s rdd = { job->time_ms, total, sizeof(%s), all, sc_fmtv_%d };", cr_rdd_name(g, t), ct(g, t),
             t->id);
        emit(g, 1, "%s(&rdd);", n->cfunc_name);
        break;
    }
    emit(g, 0, "}");
    sb_puts(&g->out, "\n");
}
