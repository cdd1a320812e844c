/* codegen_sink.c: the translator of the outputs that run through an
 * st_sink (runtime/st_sink.h; ST_SINK_IMPL rows of st_kinds.def): per
 * batch, every element becomes a row of strings (a STRLIST_FN row's
 * lambda's list; a pair's key and value; any other element's printed
 * form), in the batch's order, handed to the runtime in one write
 * (st_sink_write_rows retries it until it succeeds or the job stops).
 * The context's sinks are described by sc_sinkN, its arguments with
 * the params applied by the bind function.
 */
#include <string.h>

#include "codegen_int.h"

static const struct {
    st_opkind op;
    const char *sink;
} impls[] = {
#define ST_SINK_IMPL(ID, NAME) { OP_##ID, "&st_sink_" #NAME },
#include "st_kinds.def"
    { OP_SOURCE, NULL }
};

static const char *impl_of(st_opkind op)
{
    for (int i = 0; impls[i].sink; i++)
        if (impls[i].op == op)
            return impls[i].sink;
    return NULL;
}

static bool is_sink(cg *g, const st_node *n, const st_decl *c)
{
    return n->ctx == c && impl_of(n->op) && g->plan->nodes[n->id].kind != LW_DEAD;
}

/* n's position among its context's st_sink outputs */
static int sink_index(cg *g, const st_node *n)
{
    int k = 0;
    for (int i = 0; i < g->p->nnodes && g->plan->order[i] != n; i++)
        k += is_sink(g, g->plan->order[i], n->ctx);
    return k;
}

void emit_sink(cg *g, const st_node *n)
{
    int id = n->id, in = n->in->id;
    const st_type *t = n->in->type;
    emit(g, 0, "static void sc_node%d(%s *D, st_job *job) /* %s */", id, ctx_d(n->ctx), op_name(n->op));
    emit(g, 0, "{");
    emit(g, 1, "if (!D->v%d || !st_output_enabled(job))", in);
    emit(g, 1, "    return;");
    emit(g, 1, "const st_ds *in = &D->d%d;", in);
    emit(g, 1, "st_sink_rows R = { 0 };");
    if (n->fn) {
        emit(g, 1, "st_arena *ar = job->arenas[0];");
        emit(g, 1, "const int w = 0;");
        emit(g, 1, "(void)ar; (void)w;");
    }
    emit(g, 1, "for (int p = 0; p < in->nparts; p++)");
    emit(g, 1, "    for (int64_t r = 0; r < in->parts[p].n; r++) {");
    emit(g, 3, "const %s *e = &((const %s *)in->parts[p].data)[r];", ct(g, t), ct(g, t));
    if (n->fn) {   /* the lambda's list is the row */
        ex x = { .g = g, .indent = 3, .fail = "continue", .ar = "ar" };
        line_begin(g, 3, n->fn->loc);
        char *v = cx_lambda(&x, n->fn, "(*e)", NULL);
        emit(g, 3, "%s l = %s;", ct(g, n->fn->a->type), v);
        line_end(g);
        emit(g, 3, "st_sink_row(&R);");
        emit(g, 3, "for (int64_t i = 0; i < l.n; i++) {");
        emit(g, 3, "    st_buf_put(&R.b, l.v[i].p, (size_t)l.v[i].n);");
        emit(g, 3, "    st_sink_cell(&R);");
        emit(g, 3, "}");
    } else if (t->kind == TY_PAIR) {   /* key and value */
        emit(g, 3, "st_sink_row(&R);");
        emit(g, 3, "sc_fmt_%d(&R.b, &e->_1);", t->a->id);
        emit(g, 3, "st_sink_cell(&R);");
        emit(g, 3, "sc_fmt_%d(&R.b, &e->_2);", t->b->id);
        emit(g, 3, "st_sink_cell(&R);");
    } else {
        emit(g, 3, "st_sink_row(&R);");
        emit(g, 3, "sc_fmt_%d(&R.b, e);", t->id);
        emit(g, 3, "st_sink_cell(&R);");
    }
    emit(g, 1, "    }");
    emit(g, 1, "if (st_sink_write_rows(job, %d, &R) != 0)", sink_index(g, n));
    emit(g, 1, "    D->rc = -1;");
    emit(g, 1, "st_sink_rows_free(&R);");
    emit(g, 0, "}");
    sb_puts(&g->out, "\n");
}

void emit_sink_descs(cg *g, int ci)
{
    const st_decl *c = g->p->contexts[ci];
    int k = 0;
    sbuf descs = { 0 };
    for (int i = 0; i < g->p->nnodes; i++) {
        const st_node *n = g->plan->order[i];
        if (!is_sink(g, n, c))
            continue;
        sbuf b = { 0 };
        for (int a = 0; a < n->nsink_args; a++) {
            const char *s = n->sink_args[a] ? n->sink_args[a] : "";
            sb_printf(&b, "%s, ", c_lit(g, s, strlen(s)));
            if (n->sink_params[a])
                sb_printf(&g->bind, "    sc_sarg%d[%d] = sc_par%d;\n", n->id, a, n->sink_params[a]->param_index);
        }
        emit(g, 0, "static const char *sc_sarg%d[] = { %sNULL };", n->id, b.p ? b.p : "");
        sb_free(&b);
        sb_printf(&descs, "    { %s, %s, %d, sc_sarg%d },\n", c_lit(g, op_name(n->op), strlen(op_name(n->op))),
                  impl_of(n->op), n->nsink_args, n->id);
        k++;
    }
    if (k) {
        emit(g, 0, "static const st_sink_desc sc_sink%d[] = {", ci);
        sb_puts(&g->out, descs.p);
        emit(g, 0, "};");
    }
    sb_free(&descs);
}

const char *cg_sinks_of(cg *g, int ci)
{
    int k = 0;
    for (int i = 0; i < g->p->nnodes; i++)
        k += is_sink(g, g->plan->order[i], g->p->contexts[ci]);
    return k ? cg_str(g, "%d, sc_sink%d", k, ci) : "0, NULL";
}
