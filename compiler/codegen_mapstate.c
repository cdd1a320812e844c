/* codegen_mapstate.c: the translators of spec section 9: Spark's
 * updateStateByKey((values, state) => Option), mapWithState (with its
 * timeouts) and stateSnapshots(), and their part of the checkpoint.
 *
 * The state is split in SC_SHARDS maps by key hash as the fold form's
 * (codegen_state.c), one task per shard. A map entry is never deleted
 * (st_map.h): a removed key's entry is marked dead, and a shard whose
 * dead entries outnumber its live ones (and 1024) is rebuilt with the
 * live ones only, its strings copied into a fresh arena; so memory stays
 * within a constant factor of the live keys.
 *
 * mapWithState's timeouts: each shard keeps a queue of (batch time u,
 * entry) in order of u, one item when a key's state is set in a batch for
 * the first time in that batch. At batch t the items with u < t - D are
 * taken from its head; an entry whose last update is still u times out.
 * A batch touches its own keys and the queue's head only.
 */
#include <string.h>

#include "codegen_int.h"
#include "codegen_mapstate.h"

bool cm_owns(const st_node *n)
{
    return (n->op == OP_UPDATESTATEBYKEY && n->spark_update) || n->op == OP_MAPWITHSTATE ||
           n->op == OP_STATESNAPSHOTS;
}

bool cm_has_state(const st_node *n)
{
    return (n->op == OP_UPDATESTATEBYKEY && n->spark_update) || n->op == OP_MAPWITHSTATE;
}

static bool timed(const st_node *n)
{
    return n->op == OP_MAPWITHSTATE && n->timeout_ms > 0;
}

static const st_type *key_t(const st_node *n)
{
    return n->in->type->a;
}

/* the option types the functions take: Option[V], Option[S] */
static const st_type *opt_of(cg *g, const st_type *a)
{
    for (int i = 0; i < g->p->ntypes; i++)
        if (g->p->types[i]->kind == TY_OPTION && g->p->types[i]->a == a)
            return g->p->types[i];
    return NULL;
}

static const st_type *list_of(cg *g, const st_type *a)
{
    for (int i = 0; i < g->p->ntypes; i++)
        if (g->p->types[i]->kind == TY_LIST && g->p->types[i]->a == a)
            return g->p->types[i];
    return NULL;
}

void cm_emit_types(cg *g, const st_node *n)
{
    int id = n->id;
    if (n->op == OP_STATESNAPSHOTS)
        return;
    /* live: the key has a state; t, pos: when it got it (the order of
       output); last, fpos: the batch of its last update and its first
       record there (timeouts); bn, boff: this batch's values */
    emit(g, 0, "typedef struct sc_us%d { %s v; int64_t t, pos, last, fpos%s; bool live; } sc_us%d;", id,
         ct(g, n->state_type), n->op == OP_UPDATESTATEBYKEY ? ", bn, boff" : "", id);
    emit(g, 0, "void st_state_memory(void); /* runtime/state_mem.c */");
    if (key_t(n)->kind == TY_STRING)
        emit(g, 0, "ST_SMAP_DEFINE(sc_u%d, sc_us%d, sc_eq_%d)", id, id, key_t(n)->id);
    else
        emit(g, 0, "ST_MAP_DEFINE(sc_u%d, %s, sc_us%d, sc_eq_%d)", id, ct(g, key_t(n)), id, key_t(n)->id);
    if (n->op == OP_MAPWITHSTATE) {
        emit(g, 0, "typedef struct sc_mo%d { int64_t o1, o2; %s v; } sc_mo%d;", id, ct(g, n->type), id);
        emit(g, 0, "typedef struct sc_tq%d { int64_t (*e)[2]; int64_t head, n, cap; } sc_tq%d;", id, id);
    }
}

void cm_emit_s_members(cg *g, const st_node *n)
{
    int id = n->id;
    if (n->op == OP_STATESNAPSHOTS)
        return;
    emit(g, 1, "sc_u%d u%d[SC_SHARDS]; st_arena *uar%d[SC_SHARDS]; size_t ulim%d[SC_SHARDS]; int64_t ulive%d[SC_SHARDS];",
         id, id, id, id, id);
    if (n->op == OP_MAPWITHSTATE)
        emit(g, 1, "sc_mo%d *mo%d[SC_SHARDS]; int64_t nmo%d[SC_SHARDS], cmo%d[SC_SHARDS]; /* a batch's output */", id,
             id, id, id);
    if (timed(n))
        emit(g, 1, "sc_tq%d tq%d[SC_SHARDS];", id, id);
}

void cm_create(cg *g, const st_node *n)
{
    cs_create(g, n);
    emit(g, 1, "st_state_memory();");
}

void cm_destroy(cg *g, const st_node *n)
{
    cs_destroy(g, n);
    if (timed(n)) {
        emit(g, 1, "for (int k = 0; k < SC_SHARDS; k++)");
        emit(g, 1, "    free(S->tq%d[k].e);", n->id);
    }
}

/* sc_tqput<id>, sc_tqbuild<id> (the queue of shard j again from its live
   entries, in order of (last, fpos)) and sc_compact<id> (shard j with its
   live entries only, in a fresh arena) */
static void emit_helpers(cg *g, const st_node *n, int ci)
{
    int id = n->id;
    const st_type *kt = key_t(n), *st = n->state_type;
    /* entries to order by (last batch, first record there): the timeout
       queue rebuilt, the keys that got a state in a batch (last = 0) */
    emit(g, 0, "typedef struct sc_tqs%d { int64_t last, fpos, ix; } sc_tqs%d;", id, id);
    emit(g, 0, "static SC_UNUSED int sc_tqcmp%d(const void *a, const void *b)", id);
    emit(g, 0, "{");
    emit(g, 1, "const sc_tqs%d *x = a, *y = b;", id);
    emit(g, 1, "if (x->last != y->last)");
    emit(g, 1, "    return x->last < y->last ? -1 : 1;");
    emit(g, 1, "return (x->fpos > y->fpos) - (x->fpos < y->fpos);");
    emit(g, 0, "}");
    if (timed(n)) {
        emit(g, 0, "static void sc_tqput%d(sc_tq%d *q, int64_t u, int64_t ix)", id, id);
        emit(g, 0, "{");
        emit(g, 1, "if (q->n == q->cap) {");
        emit(g, 2, "if (q->head > 0 && q->head >= q->cap / 2) {");
        emit(g, 3, "memmove(q->e, q->e + q->head, (size_t)(q->n - q->head) * sizeof *q->e);");
        emit(g, 3, "q->n -= q->head;");
        emit(g, 3, "q->head = 0;");
        emit(g, 2, "} else {");
        emit(g, 3, "q->cap = q->cap ? q->cap * 2 : 64;");
        emit(g, 3, "q->e = st_xrealloc(q->e, (size_t)q->cap * sizeof *q->e);");
        emit(g, 2, "}");
        emit(g, 1, "}");
        emit(g, 1, "q->e[q->n][0] = u;");
        emit(g, 1, "q->e[q->n++][1] = ix;");
        emit(g, 0, "}");
        emit(g, 0, "static void sc_tqbuild%d(sc_S%d *S, int j)", id, ci);
        emit(g, 0, "{");
        emit(g, 1, "sc_u%d *m = &S->u%d[j];", id, id);
        emit(g, 1, "sc_tq%d *q = &S->tq%d[j];", id, id);
        emit(g, 1, "sc_tqs%d *ix = st_xrealloc(NULL, (size_t)(m->n + 1) * sizeof *ix);", id);
        emit(g, 1, "int64_t k = 0;");
        emit(g, 1, "for (int64_t i = 0; i < m->n; i++)");
        emit(g, 1, "    if (m->ents[i].v.live)");
        emit(g, 1, "        ix[k++] = (sc_tqs%d){ m->ents[i].v.last, m->ents[i].v.fpos, i };", id);
        emit(g, 1, "qsort(ix, (size_t)k, sizeof *ix, sc_tqcmp%d);", id);
        emit(g, 1, "q->head = q->n = 0;");
        emit(g, 1, "for (int64_t i = 0; i < k; i++)");
        emit(g, 1, "    sc_tqput%d(q, ix[i].last, ix[i].ix);", id);
        emit(g, 1, "free(ix);");
        emit(g, 0, "}");
    }
    /* an entry that gets a state again moves to the end of the array, so
       the live entries stay in the order they got their state (t, pos)
       whatever the history of removals and compactions; what is left is a
       ghost with its hash's top bit flipped, never matched again */
    emit(g, 0, "static sc_u%d_ent *sc_revive%d(sc_u%d *m, int64_t old)", id, id, id);
    emit(g, 0, "{");
    emit(g, 1, "uint64_t j = m->ents[old].h & (m->nslots - 1);");
    emit(g, 1, "while ((m->slots[j] & 0xFFFFFFFFull) != (uint64_t)(old + 1))");
    emit(g, 1, "    j = (j + 1) & (m->nslots - 1);");
    emit(g, 1, "if (m->n == m->cap) {");
    emit(g, 2, "m->cap *= 2;");
    emit(g, 2, "sc_u%d_ent *ne = st_big_alloc((size_t)m->cap * sizeof *ne);", id);
    emit(g, 2, "memcpy(ne, m->ents, (size_t)m->n * sizeof *ne);");
    emit(g, 2, "free(m->ents);");
    emit(g, 2, "m->ents = ne;");
    emit(g, 1, "}");
    emit(g, 1, "m->ents[m->n] = m->ents[old];");
    emit(g, 1, "m->slots[j] = (m->slots[j] & 0xFFFFFFFF00000000ull) | (uint64_t)(m->n + 1);");
    emit(g, 1, "m->ents[old].h ^= 1ull << 63;");
    emit(g, 1, "m->ents[old].v.live = false;");
    emit(g, 1, "return &m->ents[m->n++];");
    emit(g, 0, "}");
    emit(g, 0, "static void sc_compact%d(sc_S%d *S, int j)", id, ci);
    emit(g, 0, "{");
    emit(g, 1, "sc_u%d *m = &S->u%d[j], nm = { 0 };", id, id);
    /* sized for the live entries at once: no growth by copies */
    emit(g, 1, "uint64_t ns = 16;");
    emit(g, 1, "while (ns * 3 < (uint64_t)S->ulive%d[j] * 4 + 4)", id);
    emit(g, 1, "    ns *= 2;");
    emit(g, 1, "nm.cap = S->ulive%d[j] + 16;", id);
    emit(g, 1, "nm.ents = st_big_alloc((size_t)nm.cap * sizeof *nm.ents);");
    emit(g, 1, "sc_u%d_rehash(&nm, ns);", id);
    bool copy = has_strings(kt) || has_strings(st);
    if (copy)
        emit(g, 1, "st_arena *na = st_arena_new();");
    emit(g, 1, "for (int64_t q = 0; q < m->n; q++) {");
    emit(g, 2, "if (!m->ents[q].v.live)");
    emit(g, 2, "    continue;");
    emit(g, 2, "bool ins;");
    emit(g, 2, "sc_u%d_ent *e = sc_u%d_upsert_ent(&nm, &m->ents[q], &ins);", id, id);
    emit(g, 2, "e->v = m->ents[q].v;");
    if (copy) {
        emit(g, 2, "e->k = sc_copy_%d(na, e->k);", kt->id);
        emit(g, 2, "e->v.v = sc_copy_%d(na, e->v.v);", st->id);
    }
    emit(g, 1, "}");
    emit(g, 1, "sc_u%d_free(m);", id);
    emit(g, 1, "*m = nm;");
    if (copy) {
        emit(g, 1, "st_arena_free(S->uar%d[j]);", id);
        emit(g, 1, "S->uar%d[j] = na;", id);
    }
    emit(g, 1, "S->ulim%d[j] = 2 * st_arena_used(S->uar%d[j]) + ((size_t)1 << 20);", id, id);
    if (timed(n))
        emit(g, 1, "sc_tqbuild%d(S, j);", id);
    emit(g, 0, "}");
}

/* the end of a shard's task: compaction when the dead entries outnumber
   the live ones, or (strings) the arena holds more dead copies than live */
static void emit_maybe_compact(cg *g, const st_node *n)
{
    int id = n->id;
    bool copy = has_strings(key_t(n)) || has_strings(n->state_type);
    emit(g, 1, "{");
    emit(g, 2, "int64_t dead = m->n - S->ulive%d[j];", id);
    emit(g, 2, "if ((dead > 1024 && dead > S->ulive%d[j])%s)", id,
         copy ? cg_str(g, " || st_arena_used(S->uar%d[j]) > S->ulim%d[j]", id, id) : "");
    emit(g, 2, "    sc_compact%d(S, j);", id);
    emit(g, 1, "}");
}

/* The node's dataset: the shards' elements merged in order of (f1, f2),
   each shard already in that order (see cm_merge). */
void cm_emit_merge(cg *g, const st_node *n, const cm_merge *m)
{
    int id = n->id;
    emit(g, 1, "int64_t total = 0, at[SC_SHARDS] = { 0 };");
    emit(g, 1, "for (int k = 0; k < SC_SHARDS; k++)");
    emit(g, 1, "    total += %s;", m->total);
    emit(g, 1, "sc_split_out(&D->d%d, total, job->nworkers, sizeof(%s), job->arenas[0]);", id, ct(g, n->type));
    emit(g, 1, "for (int64_t q = 0; q < total; q++) {");
    emit(g, 2, "int best = -1;");
    emit(g, 2, "for (int k = 0; k < SC_SHARDS; k++) {");
    if (m->skip) {
        emit(g, 3, "while (at[k] < %s && %s)", cg_str(g, m->len, "k"), cg_str(g, m->skip, "k", "at[k]"));
        emit(g, 3, "    at[k]++;");
    }
    emit(g, 3, "if (at[k] == %s)", cg_str(g, m->len, "k"));
    emit(g, 3, "    continue;");
    emit(g, 3, "const %s *c = &%s;", m->ktype, cg_str(g, m->kel, "k", "at[k]"));
    const char *b = cg_str(g, m->kel, "best", "at[best]");
    emit(g, 3, "if (best < 0 || c->%s < %s.%s ||", m->f1, b, m->f1);
    emit(g, 3, "    (c->%s == %s.%s && c->%s < %s.%s))", m->f1, b, m->f1, m->f2, b, m->f2);
    emit(g, 3, "    best = k;");
    emit(g, 2, "}");
    emit(g, 2, "const %s *e = &%s;", m->etype, cg_str(g, m->eel, "best", "at[best]++"));
    emit(g, 2, "%s *o = (%s *)sc_out_slot(&D->d%d, q, sizeof *o);", ct(g, n->type), ct(g, n->type), id);
    for (int i = 0; i < 2 && m->out[i]; i++)
        emit(g, 2, "%s", m->out[i]);
    emit(g, 1, "}");
}

/* the node's output: every live key of node sid's state with its state,
   shards merged in order of (t, pos) */
static void emit_merge_state(cg *g, const st_node *n, int sid)
{
    cm_merge m = {
        .total = cg_str(g, "S->ulive%d[k]", sid), .len = cg_str(g, "S->u%d[%%s].n", sid),
        .ktype = cg_str(g, "sc_us%d", sid), .kel = cg_str(g, "S->u%d[%%s].ents[%%s].v", sid), .f1 = "t", .f2 = "pos",
        .skip = cg_str(g, "!S->u%d[%%s].ents[%%s].v.live", sid), .etype = cg_str(g, "sc_u%d_ent", sid),
        .eel = cg_str(g, "S->u%d[%%s].ents[%%s]", sid), .out = { "o->_1 = e->k;", "o->_2 = e->v.v;" },
    };
    cm_emit_merge(g, n, &m);
    emit(g, 1, "D->v%d = true;", n->id);
}

/* the head of a state node's function: its input's batch, the shards' tasks */
static void emit_node_head(cg *g, const st_node *n, int ci, const char *what)
{
    emit(g, 0, "static void sc_node%d(%s *D, st_job *job) /* %s */", n->id, ctx_d(n->ctx), what);
    emit(g, 0, "{");
    emit(g, 1, "if (!D->v%d)", n->in->id);
    emit(g, 1, "    return;");
    emit(g, 1, "sc_S%d *S = D->S;", ci);
    if (n->op != OP_STATESNAPSHOTS)
        emit(g, 1, "st_parallel_for(job, SC_SHARDS, sc_task%d, D);", n->id);
}

/* the shard loop's head: el[r] is a record of shard j, pos its position */
static void emit_shard_loop(cg *g, const st_node *n)
{
    const st_type *it = n->in->type;
    emit(g, 1, "int64_t pos = 0;");
    emit(g, 1, "for (int p = 0; p < in->nparts; p++) {");
    emit(g, 2, "const %s *el = in->parts[p].data;", ct(g, it));
    emit(g, 2, "for (int64_t r = 0; r < in->parts[p].n; r++) {");
    emit(g, 3, "pos++;");
    emit(g, 3, "uint64_t h = sc_hash_%d(el[r]._1, %s);", key_t(n)->id, HASH_SEED);
    emit(g, 3, "if ((int)((h >> 32) %% SC_SHARDS) != j)");
    emit(g, 3, "    continue;");
}

/* The head of a keyed-state stage's task (shared with the fold form of
   codegen_state.c): D, S, the arenas, the shard's map, the input; with
   now, the batch time as `now` too. */
void cm_emit_task_head(cg *g, const st_node *n, int ci, bool with_now)
{
    int id = n->id;
    emit(g, 0, "static void sc_task%d(st_job *job, void *arg, int j, int w)", id);
    emit(g, 0, "{");
    emit(g, 1, "%s *D = arg;", ctx_d(n->ctx));
    emit(g, 1, "sc_S%d *S = D->S;", ci);
    emit(g, 1, "st_arena *ar = job->arenas[w];");
    emit(g, 1, "(void)ar;");
    emit(g, 1, "sc_u%d *m = &S->u%d[j];", id, id);
    emit(g, 1, "st_arena *sa = S->uar%d[j];", id);
    emit(g, 1, "const st_ds *in = &D->d%d;", n->in->id);
    if (!with_now) {
        emit(g, 1, "const int64_t rel = job->time_ms - job->zero_ms;");
        return;
    }
    emit(g, 1, "const int64_t rel = job->time_ms - job->zero_ms, now = job->time_ms;");
    emit(g, 1, "(void)now;");
}

/* a new entry: its key copied into the state, no state yet */
static void emit_new_entry(cg *g, const st_node *n, int indent)
{
    int id = n->id;
    emit(g, indent, "bool ins;");
    emit(g, indent, "sc_u%d_ent *e = sc_u%d_upsert(m, el[r]._1, h, &ins);", id, id);
    emit(g, indent, "if (ins) {");
    emit(g, indent + 1, "e->k = sc_copy_%d(sa, el[r]._1);", key_t(n)->id);
    emit(g, indent + 1, "memset(&e->v, 0, sizeof e->v);");
    emit(g, indent + 1, "e->v.last = INT64_MIN;");
    emit(g, indent, "}");
}

/* Spark's updateStateByKey: the batch's values of each key gathered in
   arrival order (a count per entry, offsets, then the values), then the
   function called for every key with values or a state */
static void emit_update_spark(cg *g, const st_node *n, int ci)
{
    int id = n->id;
    const st_type *vt = n->in->type->b, *st = n->state_type;
    const st_type *lt = list_of(g, vt), *ot = opt_of(g, st);
    cm_emit_task_head(g, n, ci, true);
    emit(g, 1, "int64_t nrec = 0, caprec = 0, *rix = NULL;");
    emit(g, 1, "%s *rv = NULL;", ct(g, vt));
    emit_shard_loop(g, n);
    emit_new_entry(g, n, 3);
    emit(g, 3, "if (e->v.bn++ == 0)");
    emit(g, 3, "    e->v.fpos = pos;");
    emit(g, 3, "if (nrec == caprec) {");
    emit(g, 4, "caprec = caprec ? caprec * 2 : 256;");
    emit(g, 4, "int64_t *nix = st_arena_alloc(ar, (size_t)caprec * sizeof *nix);");
    emit(g, 4, "%s *nv = st_arena_alloc(ar, (size_t)caprec * sizeof *nv);", ct(g, vt));
    emit(g, 4, "if (nrec) {");
    emit(g, 4, "    memcpy(nix, rix, (size_t)nrec * sizeof *nix);");
    emit(g, 4, "    memcpy(nv, rv, (size_t)nrec * sizeof *nv);");
    emit(g, 4, "}");
    emit(g, 4, "rix = nix;");
    emit(g, 4, "rv = nv;");
    emit(g, 3, "}");
    emit(g, 3, "rix[nrec] = e - m->ents;");
    emit(g, 3, "rv[nrec++] = el[r]._2;");
    emit(g, 2, "}");
    emit(g, 1, "}");
    emit(g, 1, "int64_t acc = 0;");
    emit(g, 1, "for (int64_t q = 0; q < m->n; q++) {");
    emit(g, 2, "m->ents[q].v.boff = acc;");
    emit(g, 2, "acc += m->ents[q].v.bn;");
    emit(g, 2, "m->ents[q].v.bn = 0;");
    emit(g, 1, "}");
    emit(g, 1, "%s *vals = st_arena_alloc(ar, (size_t)(acc + 1) * sizeof *vals);", ct(g, vt));
    emit(g, 1, "for (int64_t i = 0; i < nrec; i++) {");
    emit(g, 2, "sc_us%d *u = &m->ents[rix[i]].v;", id);
    emit(g, 2, "vals[u->boff + u->bn++] = rv[i];");
    emit(g, 1, "}");
    emit(g, 1, "int64_t n0 = m->n, nmv = 0;");
    emit(g, 1, "sc_tqs%d *mv = NULL;", id);
    emit(g, 1, "for (int64_t q = 0; q < n0; q++) {");
    emit(g, 2, "sc_u%d_ent *e = &m->ents[q];", id);
    emit(g, 2, "int64_t bn = e->v.bn;");
    emit(g, 2, "e->v.bn = 0;");
    emit(g, 2, "if (!e->v.live && bn == 0)");
    emit(g, 2, "    continue;");
    emit(g, 2, "%s vs = { bn, vals + e->v.boff };", ct(g, lt));
    emit(g, 2, "%s so;", ct(g, ot));
    emit(g, 2, "memset(&so, 0, sizeof so);");
    emit(g, 2, "so.some = e->v.live;");
    emit(g, 2, "if (so.some)");
    emit(g, 2, "    so.v = e->v.v;");
    ex x = { .g = g, .indent = 2, .fail = "continue", .ar = "ar" };
    x.bind[0] = "vs";
    x.bind[1] = "so";
    line_begin(g, 2, n->fn->loc);
    char *v = cx(&x, n->fn->a);
    line_end(g);
    emit(g, 2, "%s res = %s;", ct(g, ot), v);
    emit(g, 2, "if (res.some) {");
    emit(g, 3, "if (!e->v.live) {");
    emit(g, 4, "e->v.live = true;");
    emit(g, 4, "S->ulive%d[j]++;", id);
    emit(g, 4, "e->v.t = rel;");
    emit(g, 4, "e->v.pos = e->v.fpos;");
    emit(g, 4, "if (!mv)");
    emit(g, 4, "    mv = st_arena_alloc(ar, (size_t)n0 * sizeof *mv);");
    emit(g, 4, "mv[nmv++] = (sc_tqs%d){ 0, e->v.fpos, q };", id);
    emit(g, 3, "}");
    emit(g, 3, "e->v.v = sc_copy_%d(sa, res.v);", st->id);
    emit(g, 2, "} else if (e->v.live) {");
    emit(g, 3, "e->v.live = false;");
    emit(g, 3, "S->ulive%d[j]--;", id);
    emit(g, 2, "}");
    emit(g, 1, "}");
    /* the keys that got a state, to the end in the order of their first
       record (their ghosts do not count in ulive) */
    emit(g, 1, "if (nmv)");
    emit(g, 1, "    qsort(mv, (size_t)nmv, sizeof *mv, sc_tqcmp%d);", id);
    emit(g, 1, "for (int64_t i = 0; i < nmv; i++)");
    emit(g, 1, "    if (mv[i].ix != m->n - 1) {");
    emit(g, 1, "        sc_u%d_ent *e = sc_revive%d(m, mv[i].ix);", id, id);
    emit(g, 1, "        e->v.live = true;");
    emit(g, 1, "    }");
    emit_maybe_compact(g, n);
    emit(g, 0, "}");
    emit_node_head(g, n, ci, "updateStateByKey");
    emit_merge_state(g, n, id);
    emit(g, 0, "}");
    sb_puts(&g->out, "\n");
}

/* one call of mapWithState's function on entry e with the option value
   vo and state so; its mapped value pushed with order (o1, o2) */
static void emit_call(cg *g, const st_node *n, int indent, const char *key, const char *o1, const char *o2,
                      bool timing_out)
{
    int id = n->id;
    const st_type *pt = n->fn->type;
    ex x = { .g = g, .indent = indent, .fail = "continue", .ar = "ar" };
    x.bind[0] = key;
    x.bind[1] = "vo";
    x.bind[2] = "so";
    line_begin(g, indent, n->fn->loc);
    char *v = cx(&x, n->fn->a);
    line_end(g);
    emit(g, indent, "%s res = %s;", ct(g, pt), v);
    if (!timing_out) {
        emit(g, indent, "if (res._1.some) {");
        emit(g, indent + 1, "bool fresh = !e->v.live;");
        emit(g, indent + 1, "if (fresh) {");
        emit(g, indent + 2, "if (e != &m->ents[m->n - 1])");
        emit(g, indent + 2, "    e = sc_revive%d(m, e - m->ents);", id);
        emit(g, indent + 2, "e->v.live = true;");
        emit(g, indent + 2, "S->ulive%d[j]++;", id);
        emit(g, indent + 2, "e->v.t = rel;");
        emit(g, indent + 2, "e->v.pos = pos;");
        emit(g, indent + 1, "}");
        emit(g, indent + 1, "e->v.v = sc_copy_%d(sa, res._1.v);", n->state_type->id);
        emit(g, indent + 1, "if (fresh || e->v.last != now) {");
        emit(g, indent + 2, "e->v.last = now;");
        emit(g, indent + 2, "e->v.fpos = pos;");
        if (timed(n))
            emit(g, indent + 2, "sc_tqput%d(&S->tq%d[j], now, e - m->ents);", id, id);
        emit(g, indent + 1, "}");
        emit(g, indent, "} else if (e->v.live) {");
        emit(g, indent + 1, "e->v.live = false;");
        emit(g, indent + 1, "S->ulive%d[j]--;", id);
        emit(g, indent, "}");
    }
    emit(g, indent, "if (S->nmo%d[j] == S->cmo%d[j]) {", id, id);
    emit(g, indent + 1, "S->cmo%d[j] = S->cmo%d[j] ? 2 * S->cmo%d[j] : 64;", id, id, id);
    emit(g, indent + 1, "sc_mo%d *nb = st_arena_alloc(ar, (size_t)S->cmo%d[j] * sizeof *nb);", id, id);
    emit(g, indent + 1, "if (S->nmo%d[j])", id);
    emit(g, indent + 1, "    memcpy(nb, S->mo%d[j], (size_t)S->nmo%d[j] * sizeof *nb);", id, id);
    emit(g, indent + 1, "S->mo%d[j] = nb;", id);
    emit(g, indent, "}");
    emit(g, indent, "sc_mo%d *o = &S->mo%d[j][S->nmo%d[j]++];", id, id, id);
    emit(g, indent, "o->o1 = %s;", o1);
    emit(g, indent, "o->o2 = %s;", o2);
    /* the mapped value may point into the state, which a compaction frees */
    emit(g, indent, "o->v = sc_copy_%d(ar, res._2);", n->type->id);
}

static void emit_map_with_state(cg *g, const st_node *n, int ci)
{
    int id = n->id;
    const st_type *vt = n->in->type->b, *st = n->state_type;
    const st_type *ov = opt_of(g, vt), *os = opt_of(g, st);
    emit_helpers(g, n, ci);
    cm_emit_task_head(g, n, ci, true);
    emit(g, 1, "S->nmo%d[j] = S->cmo%d[j] = 0;", id, id);
    emit(g, 1, "S->mo%d[j] = NULL;", id);
    emit_shard_loop(g, n);
    emit_new_entry(g, n, 3);
    emit(g, 3, "%s vo;", ct(g, ov));
    emit(g, 3, "vo.some = true;");
    emit(g, 3, "vo.v = el[r]._2;");
    emit(g, 3, "%s so;", ct(g, os));
    emit(g, 3, "memset(&so, 0, sizeof so);");
    emit(g, 3, "so.some = e->v.live;");
    emit(g, 3, "if (so.some)");
    emit(g, 3, "    so.v = e->v.v;");
    emit_call(g, n, 3, "el[r]._1", "0", "pos", false);
    emit(g, 2, "}");
    emit(g, 1, "}");
    if (timed(n)) {
        emit(g, 1, "sc_tq%d *tq = &S->tq%d[j];", id, id);
        emit(g, 1, "while (tq->head < tq->n && tq->e[tq->head][0] < now - %lldLL) {", (long long)n->timeout_ms);
        emit(g, 2, "int64_t u = tq->e[tq->head][0];");
        emit(g, 2, "sc_u%d_ent *e = &m->ents[tq->e[tq->head++][1]];", id);
        emit(g, 2, "if (!e->v.live || e->v.last != u)");
        emit(g, 2, "    continue;");
        emit(g, 2, "e->v.live = false; /* removed whatever the function returns */");
        emit(g, 2, "S->ulive%d[j]--;", id);
        emit(g, 2, "%s vo;", ct(g, ov));
        emit(g, 2, "memset(&vo, 0, sizeof vo);");
        emit(g, 2, "%s so;", ct(g, os));
        emit(g, 2, "so.some = true;");
        emit(g, 2, "so.v = e->v.v;");
        emit_call(g, n, 2, "e->k", "1 + u", "e->v.fpos", true);
        emit(g, 1, "}");
    }
    emit_maybe_compact(g, n);
    emit(g, 0, "}");
    emit_node_head(g, n, ci, "mapWithState");
    /* records in arrival order, then the timed-out keys by (u, fpos) */
    cm_merge mg = {
        .total = cg_str(g, "S->nmo%d[k]", id), .len = cg_str(g, "S->nmo%d[%%s]", id), .ktype = cg_str(g, "sc_mo%d", id),
        .kel = cg_str(g, "S->mo%d[%%s][%%s]", id), .f1 = "o1", .f2 = "o2", .etype = cg_str(g, "sc_mo%d", id),
        .eel = cg_str(g, "S->mo%d[%%s][%%s]", id), .out = { "*o = e->v;", NULL },
    };
    cm_emit_merge(g, n, &mg);
    emit(g, 1, "for (int k = 0; k < SC_SHARDS; k++)");
    emit(g, 1, "    S->mo%d[k] = NULL; /* in the batch's arenas */", id);
    emit(g, 1, "D->v%d = true;", id);
    emit(g, 0, "}");
    sb_puts(&g->out, "\n");
}

static void emit_snapshots(cg *g, const st_node *n, int ci)
{
    emit_node_head(g, n, ci, "stateSnapshots");
    emit_merge_state(g, n, n->in->id);
    emit(g, 0, "}");
    sb_puts(&g->out, "\n");
}

void cm_emit_node(cg *g, const st_node *n)
{
    int ci = g_ctx_index(g->p, n->ctx);
    if (n->op == OP_UPDATESTATEBYKEY) {
        emit_helpers(g, n, ci);
        emit_update_spark(g, n, ci);
    } else if (n->op == OP_MAPWITHSTATE)
        emit_map_with_state(g, n, ci);
    else
        emit_snapshots(g, n, ci);
}

void cm_hash(const st_node *n, sbuf *b)
{
    sb_printf(b, "n%d:spark-state:t%lld;", n->id, (long long)n->timeout_ms);
}

/* per shard: the live entry count, then each live entry's key, state,
   t, pos, last and fpos */
void cm_emit_save(cg *g, const st_node *n)
{
    int id = n->id;
    emit(g, 1, "for (int j = 0; j < SC_SHARDS; j++) {");
    emit(g, 2, "st_ser_i64(out, S->ulive%d[j]);", id);
    emit(g, 2, "for (int64_t q = 0; q < S->u%d[j].n; q++) {", id);
    emit(g, 3, "const sc_u%d_ent *e = &S->u%d[j].ents[q];", id, id);
    emit(g, 3, "if (!e->v.live)");
    emit(g, 3, "    continue;");
    emit(g, 3, "sc_ser_%d(out, &e->k);", key_t(n)->id);
    emit(g, 3, "sc_ser_%d(out, &e->v.v);", n->state_type->id);
    emit(g, 3, "st_ser_i64(out, e->v.t);");
    emit(g, 3, "st_ser_i64(out, e->v.pos);");
    emit(g, 3, "st_ser_i64(out, e->v.last);");
    emit(g, 3, "st_ser_i64(out, e->v.fpos);");
    emit(g, 2, "}");
    emit(g, 1, "}");
}

void cm_emit_load(cg *g, const st_node *n)
{
    int id = n->id;
    const st_type *kt = key_t(n);
    emit(g, 1, "for (int j = 0; j < SC_SHARDS; j++) {");
    emit(g, 2, "st_arena *sa = S->uar%d[j];", id);
    emit(g, 2, "int64_t cnt = sc_rd_count(in);");
    emit(g, 2, "for (int64_t q = 0; q < cnt && !in->bad; q++) {");
    emit(g, 3, "%s k;", ct(g, kt));
    emit(g, 3, "sc_us%d v;", id);
    emit(g, 3, "memset(&v, 0, sizeof v);");
    emit(g, 3, "sc_de_%d(in, sa, &k);", kt->id);
    emit(g, 3, "sc_de_%d(in, sa, &v.v);", n->state_type->id);
    emit(g, 3, "v.t = st_rd_i64(in);");
    emit(g, 3, "v.pos = st_rd_i64(in);");
    emit(g, 3, "v.last = st_rd_i64(in);");
    emit(g, 3, "v.fpos = st_rd_i64(in);");
    emit(g, 3, "v.live = true;");
    emit(g, 3, "uint64_t h = sc_hash_%d(k, %s);", kt->id, HASH_SEED);
    emit(g, 3, "bool ins;");
    emit(g, 3, "if (in->bad || (int)((h >> 32) %% SC_SHARDS) != j)");
    emit(g, 3, "    return -1;");
    emit(g, 3, "sc_u%d_ent *e = sc_u%d_upsert(&S->u%d[j], k, h, &ins);", id, id, id);
    emit(g, 3, "if (!ins)");
    emit(g, 3, "    return -1;");
    emit(g, 3, "e->v = v;");
    emit(g, 3, "S->ulive%d[j]++;", id);
    emit(g, 2, "}");
    emit(g, 2, "S->ulim%d[j] = 2 * st_arena_used(sa) + ((size_t)1 << 20);", id);
    if (timed(n))
        emit(g, 2, "sc_tqbuild%d(S, j);", id);
    emit(g, 1, "}");
}
