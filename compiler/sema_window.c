/* sema_window.c: durations (literals with units, vals, params refused)
 * and windows: a window's duration and slide against the batch interval
 * and the slide of the stream it applies to, and window declarations.
 * See sema_int.h. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sema_int.h"

/* ---- durations --------------------------------------------------------- */

static const char *unit_word(const char *text)
{
    size_t n = strlen(text);
    if (n >= 3 && strcmp(text + n - 3, "min") == 0)
        return "minutes";
    if (n >= 2 && strcmp(text + n - 2, "ms") == 0)
        return "milliseconds";
    if (n >= 1 && text[n - 1] == 'h')
        return "hours";
    return "seconds";
}

int64_t duration_unit(const char *name)
{
    if (!name)
        return 0;
    if (strcmp(name, "Milliseconds") == 0)
        return 1;
    if (strcmp(name, "Seconds") == 0)
        return 1000;
    if (strcmp(name, "Minutes") == 0)
        return 60000;
    return 0;
}

/* Evaluates a duration (10s, Seconds(10), -10s); false after an error. */
bool eval_duration(sema *s, st_expr *e, const char *what, int64_t *ms)
{
    if (!e)
        return false;
    e->type = s->t_dur;
    if (e->bad) {
        e->type = s->t_err;
        return false;
    }
    if (e->kind == EX_DURATION) {
        if (e->dur_fraction) {
            diag_error(s->d, e->loc, "duration %s is not a whole number of %s", e->text, unit_word(e->text));
            return false;
        }
        *ms = e->dur_ms;
        return true;
    }
    if (e->kind == EX_UNARY && e->op == '-' && e->a && e->a->kind != EX_UNARY) {
        if (!eval_duration(s, e->a, what, ms))
            return false;
        *ms = -*ms;
        return true;
    }
    int64_t unit = e->kind == EX_CALL ? duration_unit(e->name) : 0;
    if (unit && e->nargs == 1 && (e->args[0]->kind == EX_INT || e->args[0]->kind == EX_FLOAT)) {
        st_expr *a = e->args[0];
        const char *word = unit == 1 ? "milliseconds" : unit == 1000 ? "seconds" : "minutes";
        e->ref = REF_NONE;
        if (a->bad) {
            a->type = s->t_err;
            return false;
        }
        a->type = a->kind == EX_INT ? s->t_int : s->t_float;
        double v = a->kind == EX_INT ? (double)a->ival : a->fval;
        if (!(v * (double)unit < (double)MAX_DURATION_MS)) {
            diag_error(s->d, e->loc, "duration %s(%s) is too large", e->name, a->text ? a->text : "?");
            return false;
        }
        if (a->kind == EX_FLOAT) {
            int64_t whole = (int64_t)v;
            if ((double)whole != v) {
                diag_error(s->d, e->loc, "duration %s(%s) is not a whole number of %s", e->name, a->text,
                           word);
                return false;
            }
            *ms = whole * unit;
        } else
            *ms = a->ival * unit;
        return true;
    }
    if (unit) {
        diag_error(s->d, e->loc, "%s() takes one whole number, as in %s(10)", e->name, e->name);
        return false;
    }
    st_decl *pd = e->kind == EX_NAME ? lookup(s, e->name) : NULL;
    if (pd && pd->kind == DECL_PARAM) {
        sema_param_as_duration(s->d, pd, e, what);
        e->type = s->t_err;
        return false;
    }
    diag_error(s->d, e->loc, "%s must be a duration, like 10s or 200ms", what);
    e->type = s->t_err;
    return false;
}

/* "the batch interval 10s" / "the slide 20s of stream 'x'", plus its note */
static void slide_desc(const st_node *in, char *buf, size_t n)
{
    char b[32];
    if (!in->slide_from_window)
        snprintf(buf, n, "the batch interval %s", dstr(in->slide_ms, b, sizeof b));
    else if (in->stream)
        snprintf(buf, n, "the slide %s of stream '%s'", dstr(in->slide_ms, b, sizeof b), in->stream->name);
    else
        snprintf(buf, n, "the slide %s of the windowed stream it is applied to",
                 dstr(in->slide_ms, b, sizeof b));
}

static void slide_note(sema *s, const st_node *in)
{
    if (!in->slide_from_window)
        diag_note(s->d, in->slide_loc, "batch interval declared here");
    else
        diag_note(s->d, in->slide_loc, "slide declared here");
}

/* The window arguments args[first..] of e, applied to in: fills n's window
 * fields. False after an error. */
bool check_window(sema *s, st_expr *e, int first, st_node *in, st_node *n)
{
    char b1[32], b2[32], desc[160];
    int cnt = e->nargs - first;
    int64_t win = 0, slide = 0;
    st_expr *wexpr = NULL, *sexpr = NULL;
    st_decl *wdecl = NULL;
    if (cnt < 1 || cnt > 2) {
        diag_error(s->d, e->name_loc, "'%s' needs a window: a window name, or a duration and a slide (30s, 10s)",
                   e->name);
        return false;
    }
    st_expr *a = e->args[first];
    if (cnt == 1 && a->kind == EX_NAME) {
        bool reported;
        st_decl *d = resolve(s, a->name, a->loc, &reported);
        if (reported)
            return false;
        if (!d) {
            unknown_name(s, a->loc, "use of undeclared window", a->name, closest_decl(s, a->name, 1u << DECL_WINDOW));
            return false;
        }
        if (d->kind == DECL_PARAM) {
            sema_param_as_duration(s->d, d, a, "a window");
            return false;
        }
        if (d->kind != DECL_WINDOW) {
            diag_error(s->d, a->loc, "%s '%s' is not a window", decl_what(d), a->name);
            diag_note(s->d, d->name_loc, "'%s' is declared here", a->name);
            return false;
        }
        d->used = true;
        a->ref = REF_WINDOW;
        a->decl = d;
        a->type = s->t_dur;
        if (d->win_ms <= 0 || (d->win_slide && d->win_slide_ms <= 0))
            return false; /* reported at the declaration */
        wdecl = d;
        win = d->win_ms;
        slide = d->win_slide ? d->win_slide_ms : 0;
        wexpr = d->win_dur;
        sexpr = d->win_slide;
    } else {
        bool ok = eval_duration(s, a, "a window", &win);
        wexpr = a;
        if (cnt == 2) {
            sexpr = e->args[first + 1];
            ok &= eval_duration(s, sexpr, "a window slide", &slide);
        }
        if (!ok)
            return false;
        if (win <= 0) {
            diag_error(s->d, wexpr->loc, "window duration must be positive");
            return false;
        }
        if (sexpr && slide <= 0) {
            diag_error(s->d, sexpr->loc, "window slide must be positive");
            return false;
        }
        if (sexpr && slide > win)
            diag_warn(s->d, W_WINDOW_GAP, sexpr->loc,
                      "window slide %s is longer than the window %s: records between windows are left out",
                      dstr(slide, b1, sizeof b1), dstr(win, b2, sizeof b2));
    }
    bool ok = true;
    int64_t p = in->slide_ms;
    if (p > 0) {
        slide_desc(in, desc, sizeof desc);
        if (win % p != 0) {
            diag_error(s->d, wexpr->loc, "window duration %s is not a multiple of %s", dstr(win, b1, sizeof b1),
                       desc);
            slide_note(s, in);
            if (wdecl)
                diag_note(s->d, a->loc, "window '%s' is applied here", wdecl->name);
            ok = false;
        }
        if (sexpr && slide % p != 0) {
            diag_error(s->d, sexpr->loc, "window slide %s is not a multiple of %s", dstr(slide, b1, sizeof b1),
                       desc);
            slide_note(s, in);
            if (wdecl)
                diag_note(s->d, a->loc, "window '%s' is applied here", wdecl->name);
            ok = false;
        }
    }
    n->win_ms = win;
    n->win_slide_ms = sexpr ? slide : p;
    n->slide_ms = n->win_slide_ms;
    if (sexpr) {
        n->slide_loc = sexpr->loc;
        n->slide_from_window = true;
    }
    return ok;
}

void check_window_decl(sema *s, st_decl *w)
{
    char b1[32], b2[32];
    int64_t ms;
    if (eval_duration(s, w->win_dur, "a window", &ms)) {
        if (ms <= 0)
            diag_error(s->d, w->win_dur->loc, "window duration must be positive");
        else
            w->win_ms = ms;
    }
    if (w->win_slide && eval_duration(s, w->win_slide, "a window slide", &ms)) {
        if (ms <= 0)
            diag_error(s->d, w->win_slide->loc, "window slide must be positive");
        else
            w->win_slide_ms = ms;
    }
    if (w->win_ms > 0 && w->win_slide_ms > w->win_ms)
        diag_warn(s->d, W_WINDOW_GAP, w->win_slide->loc,
                  "window slide %s is longer than the window %s: records between windows are left out",
                  dstr(w->win_slide_ms, b1, sizeof b1), dstr(w->win_ms, b2, sizeof b2));
}

