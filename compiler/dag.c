/* dag.c: the operator graph as Graphviz dot and as a self-laid-out SVG
 * (see dag.h). One model (labels, classes, columns) feeds both. */
#include "dag.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lower.h"
#include "sema_kinds.h"

enum { D_OP, D_SOURCE, D_WINDOW, D_OUTPUT };

#define D_MAXLINES 4

typedef struct dnode {
    const st_node *n;
    char *lines[D_MAXLINES];
    int nlines;
    int cls;
    bool dead, fused;
    int depth, row;          /* SVG layout: column and row within its context */
} dnode;

typedef struct dgraph {
    const st_program *p;
    dnode *v;                /* indexed by st_node.id */
    int n;
} dgraph;

/* 30000 -> "30s", 200 -> "200ms", 120000 -> "2min", 3600000 -> "1h". */
static void fmt_dur(char *buf, size_t size, int64_t ms)
{
    if (ms > 0 && ms % 3600000 == 0)
        snprintf(buf, size, "%lldh", (long long)(ms / 3600000));
    else if (ms > 0 && ms % 60000 == 0)
        snprintf(buf, size, "%lldmin", (long long)(ms / 60000));
    else if (ms > 0 && ms % 1000 == 0)
        snprintf(buf, size, "%llds", (long long)(ms / 1000));
    else
        snprintf(buf, size, "%lldms", (long long)ms);
}

static const char *storage_name(int s, char *buf, size_t size)
{
    const char *base;
    switch (s & ~STORE_REPLICATED) {
    case STORE_MEMORY_ONLY: base = "MEMORY_ONLY"; break;
    case STORE_MEMORY_ONLY_SER: base = "MEMORY_ONLY_SER"; break;
    case STORE_MEMORY_AND_DISK: base = "MEMORY_AND_DISK"; break;
    case STORE_MEMORY_AND_DISK_SER: base = "MEMORY_AND_DISK_SER"; break;
    case STORE_DISK_ONLY: base = "DISK_ONLY"; break;
    default: base = "?"; break;
    }
    snprintf(buf, size, "%s%s", base, s & STORE_REPLICATED ? "_2" : "");
    return buf;
}

static void add_line(dnode *d, char *s)
{
    if (d->nlines < D_MAXLINES)
        d->lines[d->nlines++] = s;
    else
        free(s);
}

static void source_lines(dnode *d, const st_decl *s)
{
    char st[40];
    add_line(d, xasprintf("source %s", s->name));
    add_line(d, sema_kind_describe(s));
    if (s->max_rate_v > 0)
        add_line(d, xasprintf("%s, maxRate %lld", storage_name(s->storage, st, sizeof st),
                              (long long)s->max_rate_v));
    else
        add_line(d, xasprintf("%s", storage_name(s->storage, st, sizeof st)));
}

static bool is_window(st_opkind op)
{
    return op >= OP_WINDOW && op <= OP_COUNTBYVALUEANDWINDOW;
}

static void build(dgraph *g, const st_program *p)
{
    g->p = p;
    g->n = p->nnodes;
    g->v = calloc((size_t)p->nnodes + 1, sizeof *g->v);
    lw_plan *plan = lower_program(p);
    for (int i = 0; i < p->nnodes; i++) {
        const st_node *n = p->nodes[i];
        dnode *d = &g->v[n->id];
        d->n = n;
        d->dead = !n->live;
        d->fused = plan && plan->nodes[n->id].kind == LW_FUSED;
        if (n->op == OP_SOURCE) {
            d->cls = D_SOURCE;
            source_lines(d, n->source);
            continue;
        }
        char a[24], b[24];
        d->cls = is_window(n->op) ? D_WINDOW : n->op >= OP_PRINT ? D_OUTPUT : D_OP;
        switch (n->op) {
        case OP_PRINT: add_line(d, xasprintf("print(%lld)", (long long)n->n)); break;
        case OP_REPARTITION: add_line(d, xasprintf("repartition(%lld)", (long long)n->n)); break;
        case OP_SAVE:
            add_line(d, n->suffix ? xasprintf("saveAsTextFiles(\"%s\", \"%s\")", n->prefix, n->suffix)
                                  : xasprintf("saveAsTextFiles(\"%s\")", n->prefix ? n->prefix : ""));
            break;
        case OP_FOREACHRDD: add_line(d, xasprintf("foreachRDD(%s)", n->cfunc_name ? n->cfunc_name : "")); break;
        default: add_line(d, xasprintf("%s", op_name(n->op))); break;
        }
        if (d->cls == D_WINDOW) {
            fmt_dur(a, sizeof a, n->win_ms);
            fmt_dur(b, sizeof b, n->win_slide_ms ? n->win_slide_ms : n->slide_ms);
            add_line(d, xasprintf("window %s, slide %s", a, b));
        }
        if (n->stream)
            add_line(d, xasprintf("stream %s", n->stream->name));
        if (d->fused)
            add_line(d, xasprintf("(fused)"));
    }
    if (plan)
        lower_free(plan);
    /* columns: sources 0, others one right of their deepest input */
    for (int i = 0; i < p->nnodes; i++) {
        const st_node *n = p->nodes[i];
        int dep = 0;
        if (n->in && g->v[n->in->id].depth + 1 > dep)
            dep = g->v[n->in->id].depth + 1;
        if (n->in2 && g->v[n->in2->id].depth + 1 > dep)
            dep = g->v[n->in2->id].depth + 1;
        g->v[n->id].depth = dep;
    }
}

static void release(dgraph *g)
{
    for (int i = 0; i < g->n; i++)
        for (int k = 0; k < g->v[i].nlines; k++)
            free(g->v[i].lines[k]);
    free(g->v);
}

static void ctx_label(const st_decl *c, char *buf, size_t size)
{
    char a[24], b[24];
    fmt_dur(a, sizeof a, c->batch_ms);
    fmt_dur(b, sizeof b, c->block_ms);
    int k = snprintf(buf, size, "context %s: batch %s, block %s", c->name, a, b);
    if (c->initial_rate > 0 && k > 0 && (size_t)k < size)
        k += snprintf(buf + k, size - (size_t)k, ", initialRate %lld", (long long)c->initial_rate);
    if (c->checkpoint && k > 0 && (size_t)k < size)
        snprintf(buf + k, size - (size_t)k, ", checkpoint \"%s\"", c->checkpoint);
}

/* ---- dot ---------------------------------------------------------------- */

static void dot_str(sbuf *o, const char *s)
{
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            sb_put(o, "\\", 1);
        if ((unsigned char)*s < 0x20)
            sb_printf(o, "\\\\x%02x", (unsigned char)*s);
        else
            sb_put(o, s, 1);
    }
}

void dag_dot(const st_program *p, sbuf *o)
{
    dgraph g;
    build(&g, p);
    static const char *const styles[] = {
        [D_OP] = "shape=box, style=\"filled\", fillcolor=\"#eef2f7\"",
        [D_SOURCE] = "shape=cylinder, style=\"filled\", fillcolor=\"#cfe3f6\"",
        [D_WINDOW] = "shape=box, style=\"rounded,filled\", fillcolor=\"#fbe8b5\"",
        [D_OUTPUT] = "shape=box, style=\"filled\", fillcolor=\"#cdeccd\"",
    };
    const char *name = p->filename ? p->filename : "program";
    sb_puts(o, "digraph \"");
    dot_str(o, strrchr(name, '/') ? strrchr(name, '/') + 1 : name);
    sb_puts(o, "\" {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=10];\n"
               "  edge [color=\"#555555\"];\n");
    for (int c = 0; c < p->ncontexts; c++) {
        const st_decl *ctx = p->contexts[c];
        char lab[600];
        ctx_label(ctx, lab, sizeof lab);
        sb_printf(o, "  subgraph cluster_%d {\n    label=\"", c);
        dot_str(o, lab);
        sb_puts(o, "\";\n    fontname=\"Helvetica\"; fontsize=11; style=\"rounded\"; color=\"#888888\";\n");
        for (int i = 0; i < g.n; i++) {
            const dnode *d = &g.v[i];
            if (!d->n || d->n->ctx != ctx)
                continue;
            sb_printf(o, "    n%d [label=\"", d->n->id);
            for (int k = 0; k < d->nlines; k++) {
                if (k)
                    sb_puts(o, "\\n");
                dot_str(o, d->lines[k]);
            }
            sb_printf(o, "\", %s%s];\n", styles[d->cls],
                      d->dead ? ", color=\"#999999\", fontcolor=\"#999999\", peripheries=1, penwidth=1, "
                                "style=\"dashed\""
                              : "");
        }
        sb_puts(o, "  }\n");
    }
    for (int i = 0; i < p->nnodes; i++) {
        const st_node *n = p->nodes[i];
        if (n->in)
            sb_printf(o, "  n%d -> n%d;\n", n->in->id, n->id);
        if (n->in2)
            sb_printf(o, "  n%d -> n%d;\n", n->in2->id, n->id);
    }
    sb_puts(o, "}\n");
    release(&g);
}

/* ---- SVG ---------------------------------------------------------------- */

#define BOX_W 200
#define COL_W 240
#define LINE_H 14
#define ROW_GAP 16
#define PAD 14
#define TITLE_H 22

static void xml_str(sbuf *o, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': sb_puts(o, "&lt;"); break;
        case '>': sb_puts(o, "&gt;"); break;
        case '&': sb_puts(o, "&amp;"); break;
        case '"': sb_puts(o, "&quot;"); break;
        default:
            if ((unsigned char)*s >= 0x20)
                sb_put(o, s, 1);
        }
    }
}

static int box_h(const dnode *d)
{
    return d->nlines * LINE_H + 10;
}

void dag_svg(const st_program *p, sbuf *o)
{
    dgraph g;
    build(&g, p);
    int *x = calloc((size_t)g.n + 1, sizeof *x), *y = calloc((size_t)g.n + 1, sizeof *y);
    int width = 0, top = 0;
    sbuf body = { 0 };
    for (int c = 0; c < p->ncontexts; c++) {
        const st_decl *ctx = p->contexts[c];
        int ncols = 0;
        for (int i = 0; i < g.n; i++)
            if (g.v[i].n && g.v[i].n->ctx == ctx && g.v[i].depth + 1 > ncols)
                ncols = g.v[i].depth + 1;
        /* each column stacks its nodes in graph order */
        int *colh = calloc((size_t)ncols + 1, sizeof *colh);
        int maxh = 0;
        for (int i = 0; i < p->nnodes; i++) {
            const dnode *d = &g.v[p->nodes[i]->id];
            if (d->n->ctx != ctx)
                continue;
            int id = d->n->id;
            x[id] = PAD * 2 + d->depth * COL_W;
            y[id] = top + TITLE_H + PAD + colh[d->depth];
            colh[d->depth] += box_h(d) + ROW_GAP;
            if (colh[d->depth] > maxh)
                maxh = colh[d->depth];
        }
        free(colh);
        int cw = PAD * 2 + (ncols > 0 ? (ncols - 1) * COL_W + BOX_W : BOX_W);
        int ch = TITLE_H + PAD + maxh;
        char lab[600];
        ctx_label(ctx, lab, sizeof lab);
        sb_printf(&body, "<g class=\"ctx\"><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"8\" "
                         "fill=\"#fafafa\" stroke=\"#888\"/>\n<text x=\"%d\" y=\"%d\" font-size=\"12\" "
                         "font-weight=\"bold\">", PAD, top + 4, cw, ch, PAD + 8, top + 20);
        xml_str(&body, lab);
        sb_puts(&body, "</text></g>\n");
        if (PAD + cw > width)
            width = PAD + cw;
        top += ch + PAD + 4;
    }
    static const char *const fills[] = { [D_OP] = "#eef2f7", [D_SOURCE] = "#cfe3f6", [D_WINDOW] = "#fbe8b5",
                                         [D_OUTPUT] = "#cdeccd" };
    for (int i = 0; i < p->nnodes; i++) {
        const st_node *n = p->nodes[i];
        const st_node *ins[2] = { n->in, n->in2 };
        for (int k = 0; k < 2; k++) {
            if (!ins[k])
                continue;
            int a = ins[k]->id, b = n->id;
            int x1 = x[a] + BOX_W, y1 = y[a] + box_h(&g.v[a]) / 2;
            int x2 = x[b], y2 = y[b] + box_h(&g.v[b]) / 2;
            sb_printf(&body, "<path class=\"edge\" d=\"M%d,%d C%d,%d %d,%d %d,%d\" fill=\"none\" "
                             "stroke=\"#555\" marker-end=\"url(#arrow)\"/>\n",
                      x1, y1, (x1 + x2) / 2, y1, (x1 + x2) / 2, y2, x2 - 2, y2);
        }
    }
    for (int i = 0; i < p->nnodes; i++) {
        const dnode *d = &g.v[p->nodes[i]->id];
        int id = d->n->id;
        sb_printf(&body, "<g class=\"node\" id=\"dag-n%d\"><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
                         "rx=\"%d\" fill=\"%s\" stroke=\"%s\"%s/>\n",
                  id, x[id], y[id], BOX_W, box_h(d), d->cls == D_WINDOW || d->cls == D_SOURCE ? 10 : 2,
                  fills[d->cls], d->dead ? "#999" : "#333", d->dead ? " stroke-dasharray=\"4 3\"" : "");
        for (int k = 0; k < d->nlines; k++) {
            sb_printf(&body, "<text x=\"%d\" y=\"%d\" font-size=\"11\"%s>", x[id] + 8,
                      y[id] + 16 + k * LINE_H, k == 0 ? " font-weight=\"bold\"" : "");
            xml_str(&body, d->lines[k]);
            sb_puts(&body, "</text>\n");
        }
        sb_puts(&body, "</g>\n");
    }
    sb_printf(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"dag\" width=\"%d\" height=\"%d\" "
                 "viewBox=\"0 0 %d %d\" font-family=\"Helvetica, Arial, sans-serif\">\n"
                 "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" "
                 "markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#555\"/></marker></defs>\n",
              width + PAD, top + PAD, width + PAD, top + PAD);
    if (body.p)
        sb_put(o, body.p, body.n);
    sb_puts(o, "</svg>\n");
    sb_free(&body);
    free(x);
    free(y);
    release(&g);
}

int dag_write_dot(const st_program *p, const char *path)
{
    sbuf b = { 0 };
    dag_dot(p, &b);
    bool out = strcmp(path, "-") == 0;
    FILE *f = out ? stdout : fopen(path, "w");
    if (!f) {
        fprintf(stderr, "streamc: error: cannot write '%s': %s\n", path, strerror(errno));
        sb_free(&b);
        return 2;
    }
    int rc = fwrite(b.p, 1, b.n, f) == b.n ? 0 : 1;
    if (out ? fflush(f) != 0 : fclose(f) != 0)
        rc = 1;
    if (rc)
        fprintf(stderr, "streamc: error: cannot write '%s'\n", path);
    sb_free(&b);
    return rc;
}
