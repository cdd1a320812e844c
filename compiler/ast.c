/* ast.c: memory, type interning and the text dump of the syntax tree.
 *
 * Every tree object lives in the program's arena (a list of large blocks)
 * so that error recovery in the parser can drop half-built subtrees without
 * leaking; program_free() releases everything at once. The decl, node and
 * type tables are plain growable arrays. Nothing here reports user errors.
 */
#include <stdlib.h>
#include <string.h>

#include "ast.h"

struct st_arena {
    struct st_arena *next;
    size_t used, size;
    max_align_t data[];
};

#define ARENA_BLOCK (64 * 1024)

static void *xmalloc(size_t n)
{
    void *q = malloc(n ? n : 1);
    if (!q) {
        fputs("streamc: out of memory\n", stderr);
        abort();
    }
    return q;
}

static void *xrealloc(void *q, size_t n)
{
    q = realloc(q, n ? n : 1);
    if (!q) {
        fputs("streamc: out of memory\n", stderr);
        abort();
    }
    return q;
}

void *ast_alloc(st_program *p, size_t n)
{
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    struct st_arena *a = p->arena;
    if (!a || a->size - a->used < n) {
        size_t size = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        a = xmalloc(sizeof *a + size);
        a->size = size;
        a->used = 0;
        a->next = p->arena;
        p->arena = a;
    }
    void *q = (char *)a->data + a->used;
    a->used += n;
    memset(q, 0, n);
    return q;
}

void *ast_grow(st_program *p, void *old, int n, int *cap, size_t elem)
{
    if (n < *cap)
        return old;
    int ncap = *cap ? 2 * *cap : 4;
    void *nv = ast_alloc(p, (size_t)ncap * elem);
    if (n)
        memcpy(nv, old, (size_t)n * elem);
    *cap = ncap;
    return nv;
}

char *ast_strndup(st_program *p, const char *s, size_t n)
{
    char *q = ast_alloc(p, n + 1);
    if (n)
        memcpy(q, s, n);
    q[n] = '\0';
    return q;
}

char *ast_strdup(st_program *p, const char *s)
{
    return ast_strndup(p, s, strlen(s));
}

st_program *program_new(const char *filename)
{
    st_program *p = xmalloc(sizeof *p);
    memset(p, 0, sizeof *p);
    p->filename = ast_strdup(p, filename ? filename : "<input>");
    return p;
}

void program_free(st_program *p)
{
    if (!p)
        return;
    free(p->decls);
    free(p->nodes);
    for (int i = 0; i < p->ntypes; i++)
        free(p->types[i]);
    free(p->types);
    for (struct st_arena *a = p->arena, *next; a; a = next) {
        next = a->next;
        free(a);
    }
    free(p);
}

void program_add_decl(st_program *p, st_decl *d)
{
    if (p->ndecls == p->capdecls) {
        p->capdecls = p->capdecls ? 2 * p->capdecls : 16;
        p->decls = xrealloc(p->decls, (size_t)p->capdecls * sizeof *p->decls);
    }
    d->index = p->ndecls;
    p->decls[p->ndecls++] = d;
}

st_decl *decl_new(st_program *p, st_declkind kind, st_loc loc)
{
    st_decl *d = ast_alloc(p, sizeof *d);
    d->kind = kind;
    d->loc = loc;
    d->index = -1;
    d->block_ms = 200;
    d->storage = STORE_MEMORY_AND_DISK_SER | STORE_REPLICATED;
    return d;
}

st_expr *expr_new(st_program *p, st_exkind kind, st_loc loc)
{
    st_expr *e = ast_alloc(p, sizeof *e);
    e->kind = kind;
    e->loc = loc;
    e->name_loc = loc;
    return e;
}

st_node *node_new(st_program *p, st_opkind op, st_loc loc)
{
    st_node *n = ast_alloc(p, sizeof *n);
    n->op = op;
    n->loc = loc;
    if (p->nnodes == p->capnodes) {
        p->capnodes = p->capnodes ? 2 * p->capnodes : 16;
        p->nodes = xrealloc(p->nodes, (size_t)p->capnodes * sizeof *p->nodes);
    }
    n->id = p->nnodes;
    p->nodes[p->nnodes++] = n;
    return n;
}

/* ---- types ------------------------------------------------------------- */

static const st_type *intern_n(st_program *p, st_tykind k, const st_type *a, const st_type *b, int n,
                               const st_type *const *el)
{
    for (int i = 0; i < p->ntypes; i++) {
        const st_type *t = p->types[i];
        if (t->kind == k && t->a == a && t->b == b && t->n == n &&
            (n == 0 || memcmp(t->el, el, (size_t)n * sizeof *el) == 0))
            return t;
    }
    if (p->ntypes == p->captypes) {
        p->captypes = p->captypes ? 2 * p->captypes : 16;
        p->types = xrealloc(p->types, (size_t)p->captypes * sizeof *p->types);
    }
    st_type *t = xmalloc(sizeof *t);
    t->kind = k;
    t->a = a;
    t->b = b;
    t->id = p->ntypes;
    t->n = n;
    t->el = NULL;
    if (n) {
        const st_type **e = ast_alloc(p, (size_t)n * sizeof *e);
        memcpy(e, el, (size_t)n * sizeof *e);
        t->el = e;
    }
    p->types[p->ntypes++] = t;
    return t;
}

static const st_type *intern(st_program *p, st_tykind k, const st_type *a, const st_type *b)
{
    if (k == TY_PAIR) {
        const st_type *el[2] = { a, b };
        return intern_n(p, k, a, b, 2, el);
    }
    return intern_n(p, k, a, b, 0, NULL);
}

bool type_has(const st_type *t, unsigned kinds)
{
    if (!t)
        return false;
    if (kinds & (1u << t->kind))
        return true;
    if (t->kind == TY_LIST || t->kind == TY_OPTION)
        return type_has(t->a, kinds);
    for (int i = 0; i < t->n; i++)
        if (type_has(t->el[i], kinds))
            return true;
    return false;
}

const st_type *type_tuple(st_program *p, int n, const st_type *const *el)
{
    if (n == 2)
        return intern(p, TY_PAIR, el[0], el[1]);
    return intern_n(p, TY_TUPLE, el[0], el[1], n, el);
}

const st_type *type_basic(st_program *p, st_tykind k)
{
    return intern(p, k, NULL, NULL);
}

const st_type *type_pair(st_program *p, const st_type *a, const st_type *b)
{
    return intern(p, TY_PAIR, a, b);
}

const st_type *type_option(st_program *p, const st_type *a)
{
    return intern(p, TY_OPTION, a, NULL);
}

const st_type *type_list(st_program *p, const st_type *a)
{
    return intern(p, TY_LIST, a, NULL);
}

/* Appends to buf at *len, never past size (always NUL-terminated). */
static void put(char *buf, size_t size, size_t *len, const char *s)
{
    while (*s && *len + 1 < size)
        buf[(*len)++] = *s++;
    if (size)
        buf[*len < size ? *len : size - 1] = '\0';
}

static void type_put(const st_type *t, char *buf, size_t size, size_t *len, int depth)
{
    if (!t) {
        put(buf, size, len, "?");
        return;
    }
    if (depth > 64) {
        put(buf, size, len, "...");
        return;
    }
    switch (t->kind) {
    case TY_ERROR: put(buf, size, len, "<error>"); break;
    case TY_STRING: put(buf, size, len, "string"); break;
    case TY_INT: put(buf, size, len, "int"); break;
    case TY_FLOAT: put(buf, size, len, "float"); break;
    case TY_BOOL: put(buf, size, len, "bool"); break;
    case TY_DURATION: put(buf, size, len, "duration"); break;
    case TY_PAIR:
    case TY_TUPLE:
        put(buf, size, len, "(");
        for (int i = 0; i < t->n; i++) {
            if (i)
                put(buf, size, len, ", ");
            type_put(t->el[i], buf, size, len, depth + 1);
        }
        put(buf, size, len, ")");
        break;
    case TY_NOTHING: put(buf, size, len, "?"); break;
    case TY_OPTION:
        put(buf, size, len, "Option[");
        type_put(t->a, buf, size, len, depth + 1);
        put(buf, size, len, "]");
        break;
    case TY_LIST:
        put(buf, size, len, "list of ");
        type_put(t->a, buf, size, len, depth + 1);
        break;
    }
}

void type_str(const st_type *t, char *buf, size_t size)
{
    size_t len = 0;
    if (size == 0)
        return;
    buf[0] = '\0';
    type_put(t, buf, size, &len, 0);
}

const char *op_name(st_opkind op)
{
    static const char *const names[] = {
        [OP_SOURCE] = "source",
        [OP_MAP] = "map",
        [OP_FLATMAP] = "flatMap",
        [OP_FILTER] = "filter",
        [OP_MAPVALUES] = "mapValues",
        [OP_FLATMAPVALUES] = "flatMapValues",
        [OP_UNION] = "union",
        [OP_REPARTITION] = "repartition",
        [OP_COUNT] = "count",
        [OP_COUNTBYVALUE] = "countByValue",
        [OP_REDUCE] = "reduce",
        [OP_REDUCEBYKEY] = "reduceByKey",
        [OP_JOIN] = "join",
        [OP_LEFTOUTERJOIN] = "leftOuterJoin",
        [OP_RIGHTOUTERJOIN] = "rightOuterJoin",
        [OP_FULLOUTERJOIN] = "fullOuterJoin",
        [OP_UPDATESTATEBYKEY] = "updateStateByKey",
        [OP_WINDOW] = "window",
        [OP_COUNTBYWINDOW] = "countByWindow",
        [OP_REDUCEBYWINDOW] = "reduceByWindow",
        [OP_REDUCEBYKEYANDWINDOW] = "reduceByKeyAndWindow",
        [OP_COUNTBYVALUEANDWINDOW] = "countByValueAndWindow",
#define ST_SINK(ID, NAME, MINARGS, MAXARGS, ARG, USAGE) [OP_##ID] = NAME,
#include "st_kinds.def"
    };
    if ((unsigned)op < sizeof names / sizeof names[0] && names[op])
        return names[op];
    return "?";
}

/* ---- dump -------------------------------------------------------------- */

static void indent(FILE *out, int n)
{
    for (int i = 0; i < n; i++)
        fputs("  ", out);
}

static void dump_type(FILE *out, const st_type *t)
{
    if (!t)
        return;
    char buf[256];
    type_str(t, buf, sizeof buf);
    fprintf(out, " : %s", buf);
}

static void dump_string(FILE *out, const char *s, size_t n)
{
    fputc('"', out);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", out);
        else if (c == '\t')
            fputs("\\t", out);
        else if (c < 32 || c >= 127)
            fprintf(out, "\\x%02x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

const char *op_spelling(int op)
{
    switch (op) {
    case ST_OP_EQ: return "==";
    case ST_OP_NE: return "!=";
    case ST_OP_LE: return "<=";
    case ST_OP_GE: return ">=";
    case ST_OP_AND: return "&&";
    case ST_OP_OR: return "||";
    default: break;
    }
    switch (op) {
    case '+': return "+";
    case '-': return "-";
    case '*': return "*";
    case '/': return "/";
    case '%': return "%";
    case '<': return "<";
    case '>': return ">";
    case '!': return "!";
    default: return "?";
    }
}

static void dump_expr(FILE *out, const st_expr *e, int depth)
{
    indent(out, depth);
    if (!e) {
        fputs("(null)\n", out);
        return;
    }
    if (depth > 200) {
        fputs("...\n", out);
        return;
    }
    switch (e->kind) {
    case EX_INT: fprintf(out, "int %lld", (long long)e->ival); break;
    case EX_FLOAT: fprintf(out, "float %s", e->text ? e->text : "?"); break;
    case EX_STRING: fputs("string ", out); dump_string(out, e->sval ? e->sval : "", e->slen); break;
    case EX_BOOL: fputs(e->bval ? "bool true" : "bool false", out); break;
    case EX_DURATION:
        fprintf(out, "duration %s (%lld ms%s)", e->text ? e->text : "?", (long long)e->dur_ms,
                e->dur_fraction ? ", fraction" : "");
        break;
    case EX_NAME: fprintf(out, "name %s", e->name); break;
    case EX_FIELD: fprintf(out, "field %s", e->name); break;
    case EX_CALL: fprintf(out, "call %s", e->name); break;
    case EX_METHOD: fprintf(out, "method %s", e->name); break;
    case EX_UNARY: fprintf(out, "unary %c", e->op); break;
    case EX_BINARY: fprintf(out, "binary %s", op_spelling(e->op)); break;
    case EX_COND: fputs("cond", out); break;
    case EX_TUPLE: fputs("tuple", out); break;
    case EX_LAMBDA:
        fputs("lambda", out);
        if (e->bad_params)
            fputs(" <bad params>", out);
        for (int i = 0; i < e->nparams; i++)
            fprintf(out, " %s", e->params[i]);
        if (e->destructure)
            fputs(" (destructure)", out);
        break;
    case EX_NAMED_ARG: fprintf(out, "named %s", e->name); break;
    case EX_LIST: fputs("list", out); break;
    case EX_INDEX: fputs("index", out); break;
    case EX_BLOCK: fputs("block", out); break;
    case EX_LET: fprintf(out, "val %s", e->name); break;
    }
    dump_type(out, e->type);
    if (e->node)
        fprintf(out, " [node %d]", e->node->id);
    fprintf(out, " @%d:%d\n", e->loc.first_line, e->loc.first_column);
    if (e->a && e->kind != EX_TUPLE) /* a tuple's a, b are args[0], args[1] */
        dump_expr(out, e->a, depth + 1);
    if (e->b && e->kind != EX_TUPLE)
        dump_expr(out, e->b, depth + 1);
    if (e->c)
        dump_expr(out, e->c, depth + 1);
    for (int i = 0; i < e->nargs; i++)
        dump_expr(out, e->args[i], depth + 1);
}

static void dump_typeexpr(FILE *out, const st_typeexpr *t, int depth)
{
    if (!t || depth > 50) {
        fputs("?", out);
        return;
    }
    if (t->name) {
        fputs(t->name, out);
        if (t->a) {
            fputs("[", out);
            dump_typeexpr(out, t->a, depth + 1);
            fputs("]", out);
        }
        return;
    }
    fputs("(", out);
    for (int i = 0; i < t->n; i++) {
        if (i)
            fputs(", ", out);
        dump_typeexpr(out, t->el[i], depth + 1);
    }
    fputs(")", out);
}

static void dump_decl(FILE *out, const st_decl *d)
{
    switch (d->kind) {
    case DECL_CONTEXT:
        fprintf(out, "context %s", d->name);
        if (d->batch_ms)
            fprintf(out, " (batch %lld ms, block %lld ms)", (long long)d->batch_ms, (long long)d->block_ms);
        fputc('\n', out);
        for (int i = 0; i < d->nsettings; i++) {
            indent(out, 1);
            fprintf(out, "setting %s\n", d->settings[i].name);
            dump_expr(out, d->settings[i].value, 2);
        }
        break;
    case DECL_SOURCE:
        fprintf(out, "source %s = %s", d->name, d->kind_name);
        if (d->in_ctx)
            fprintf(out, " in %s", d->in_ctx);
        if (d->storage_name)
            fprintf(out, " storage %s", d->storage_name);
        fputc('\n', out);
        for (int i = 0; i < d->nargs; i++)
            dump_expr(out, d->args[i], 1);
        if (d->max_rate) {
            indent(out, 1);
            fputs("maxRate\n", out);
            dump_expr(out, d->max_rate, 2);
        }
        break;
    case DECL_WINDOW:
        fprintf(out, "window %s\n", d->name);
        dump_expr(out, d->win_dur, 1);
        if (d->win_slide) {
            indent(out, 1);
            fputs("slide\n", out);
            dump_expr(out, d->win_slide, 2);
        }
        break;
    case DECL_STREAM:
        fprintf(out, "stream %s\n", d->name);
        dump_expr(out, d->value, 1);
        break;
    case DECL_OUTPUT:
        fputs("output\n", out);
        dump_expr(out, d->value, 1);
        break;
    case DECL_EXTERN:
        fprintf(out, "extern %s(", d->name);
        for (int i = 0; i < d->nptypes; i++) {
            if (i)
                fputs(", ", out);
            dump_typeexpr(out, d->ptypes[i], 0);
        }
        fputs(") : ", out);
        dump_typeexpr(out, d->rtype, 0);
        fputc('\n', out);
        break;
    case DECL_CBLOCK:
        fprintf(out, "cblock line %d, %zu bytes\n", d->code_line, d->code ? strlen(d->code) : 0);
        break;
    case DECL_VAL:
        fprintf(out, "val %s\n", d->name);
        dump_expr(out, d->value, 1);
        break;
    case DECL_PARAM:
        fprintf(out, "param %s\n", d->name);
        dump_expr(out, d->value, 1);
        break;
    case DECL_TABLE:
        fprintf(out, "table %s = %s\n", d->name, d->kind_name);
        for (int i = 0; i < d->nargs; i++)
            dump_expr(out, d->args[i], 1);
        break;
    }
}

void ast_dump(const st_program *p, FILE *out)
{
    fprintf(out, "program %s\n", p->filename);
    for (int i = 0; i < p->ndecls; i++)
        dump_decl(out, p->decls[i]);
    if (p->nnodes)
        fputs("nodes\n", out);
    for (int i = 0; i < p->nnodes; i++) {
        const st_node *n = p->nodes[i];
        fprintf(out, "  %d %s", n->id, op_name(n->op));
        if (n->in)
            fprintf(out, " in=%d", n->in->id);
        if (n->in2)
            fprintf(out, " in2=%d", n->in2->id);
        dump_type(out, n->type);
        fprintf(out, " slide=%lld", (long long)n->slide_ms);
        if (n->win_ms)
            fprintf(out, " window=%lld/%lld", (long long)n->win_ms, (long long)n->win_slide_ms);
        if (n->ctx)
            fprintf(out, " ctx=%s", n->ctx->name);
        if (n->stream)
            fprintf(out, " stream=%s", n->stream->name);
        if (n->source)
            fprintf(out, " source=%s", n->source->name);
        fprintf(out, " consumers=%d\n", n->nconsumers);
    }
}
