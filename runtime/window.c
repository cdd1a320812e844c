/* window.c: slot bookkeeping for windowed operators (see streamrt.h).
 * Owns the slots and their arenas; knows nothing of element types, which
 * the generated code handles. */
#include "streamrt.h"

#include <stdlib.h>
#include <string.h>

#include "st_map.h"

int64_t st_gcd(int64_t a, int64_t b)
{
    while (b) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

void st_window_init(st_window *w, int64_t win_ms, int64_t slide_ms, int64_t pane_ms)
{
    memset(w, 0, sizeof *w);
    w->win_ms = win_ms;
    w->slide_ms = slide_ms;
    w->pane_ms = pane_ms > 0 ? pane_ms : 1;
}

void st_window_free(st_window *w)
{
    for (int64_t i = 0; i < w->n; i++)
        if (w->slots[i].ar)
            st_arena_free(w->slots[i].ar);
    free(w->slots);
    memset(w, 0, sizeof *w);
}

int64_t st_window_pane_end(const st_window *w, int64_t t)
{
    int64_t p = w->pane_ms;
    /* ceil(t / p) * p for t >= 0; input times are positive */
    return ((t + p - 1) / p) * p;
}

st_wslot *st_window_restore_slot(st_window *w, int64_t time)
{
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 8;
        w->slots = st_xrealloc(w->slots, sizeof *w->slots * (size_t)w->cap);
    }
    st_wslot *s = &w->slots[w->n++];
    s->time = time;
    s->ar = st_arena_new();
    s->n = 0;
    s->data = NULL;
    return s;
}

st_wslot *st_window_slot(st_window *w, int64_t t, bool *fresh)
{
    int64_t end = st_window_pane_end(w, t);
    if (w->n > 0 && w->slots[w->n - 1].time == end) {
        *fresh = false;
        return &w->slots[w->n - 1];
    }
    *fresh = true;
    return st_window_restore_slot(w, end);
}

bool st_window_oldest_expired(const st_window *w, int64_t now)
{
    return w->n > 0 && w->slots[0].time <= now - w->win_ms;
}

void st_window_drop_oldest(st_window *w)
{
    if (w->n == 0)
        return;
    if (w->slots[0].ar)
        st_arena_free(w->slots[0].ar);
    memmove(w->slots, w->slots + 1, sizeof *w->slots * (size_t)(w->n - 1));
    w->n--;
}
