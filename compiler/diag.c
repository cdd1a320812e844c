/* diag.c: formatting diagnostics with a source excerpt and a caret.
 *
 * The caret line copies the TABs of the source line so that the caret
 * lines up in a terminal; UTF-8 continuation bytes take no column there.
 * Deduplication uses a small open-addressing set of 64-bit hashes.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "diag_json.h"

enum dkind { D_ERROR, D_WARNING, D_NOTE };

#define C_BOLD "\033[1m"
#define C_RESET "\033[0m"

void diag_init(st_diag *d, st_source *src, FILE *out, bool color)
{
    memset(d, 0, sizeof *d);
    d->src = src;
    d->out = out ? out : stderr;
    d->color = color;
}

static uint64_t hash_msg(enum dkind k, st_loc loc, const char *msg)
{
    uint64_t h = 1469598103934665603ULL;
    int v[5] = { (int)k, loc.first_line, loc.first_column, loc.last_line, loc.last_column };
    for (int i = 0; i < 5; i++) {
        h ^= (uint64_t)(unsigned)v[i];
        h *= 1099511628211ULL;
    }
    for (const unsigned char *s = (const unsigned char *)msg; *s; s++) {
        h ^= *s;
        h *= 1099511628211ULL;
    }
    return h ? h : 1;
}

/* true when h was not in the set (and is now) */
static bool seen_insert(st_diag *d, uint64_t h)
{
    if (2 * (d->nseen + 1) > d->capseen) {
        size_t ncap = d->capseen ? 2 * d->capseen : 64;
        uint64_t *ns = calloc(ncap, sizeof *ns);
        if (!ns)
            return true; /* cannot dedupe: print anyway */
        for (size_t i = 0; i < d->capseen; i++) {
            uint64_t x = d->seen[i];
            if (!x)
                continue;
            size_t j = x & (ncap - 1);
            while (ns[j])
                j = (j + 1) & (ncap - 1);
            ns[j] = x;
        }
        free(d->seen);
        d->seen = ns;
        d->capseen = ncap;
    }
    size_t j = h & (d->capseen - 1);
    while (d->seen[j]) {
        if (d->seen[j] == h)
            return false;
        j = (j + 1) & (d->capseen - 1);
    }
    d->seen[j] = h;
    d->nseen++;
    return true;
}

static void excerpt(st_diag *d, st_loc loc)
{
    size_t len;
    const char *line = source_line(d->src, loc.first_line, &len);
    if (!line)
        return;
    FILE *out = d->out;
    int width = 4;
    for (int n = loc.first_line; n >= 10000; n /= 10)
        width++;
    fprintf(out, " %*d | ", width, loc.first_line);
    for (size_t i = 0; i < len; i++) {
        char c = line[i];
        fputc(c == '\0' || c == '\r' || c == '\v' || c == '\f' ? ' ' : c, out);
    }
    fputc('\n', out);
    fprintf(out, " %*s | ", width, "");
    int col = loc.first_column < 1 ? 1 : loc.first_column;
    for (int i = 0; i < col - 1; i++) {
        unsigned char c = (size_t)i < len ? (unsigned char)line[i] : ' ';
        if (c == '\t')
            fputc('\t', out);
        else if ((c & 0xC0) != 0x80)
            fputc(' ', out);
    }
    int last = loc.last_line == loc.first_line ? loc.last_column : (int)len;
    if (d->color)
        fputs("\033[1;32m", out);
    fputc('^', out);
    for (int i = col + 1; i <= last; i++) {
        unsigned char c = (size_t)(i - 1) < len ? (unsigned char)line[i - 1] : ' ';
        if ((c & 0xC0) != 0x80)
            fputc('~', out);
    }
    if (d->color)
        fputs(C_RESET, out);
    fputc('\n', out);
}

static const char *const warn_names[W_COUNT] = {
    [W_UNUSED_SOURCE] = "unused-source",
    [W_UNUSED_STREAM] = "unused-stream",
    [W_UNUSED_WINDOW] = "unused-window",
    [W_DEAD_STREAM] = "dead-stream",
    [W_UNUSED_PARAM] = "unused-param",
    [W_WINDOW_GAP] = "window-gap",
    [W_UNUSED_VAL] = "unused-val",
    [W_UNUSED_TABLE] = "unused-table",
};

const char *diag_warning_name(st_warn w)
{
    return w > W_UNNAMED && w < W_COUNT ? warn_names[w] : NULL;
}

/* bits of the warnings NAME stands for: one, or a group; 0 if none */
static uint32_t warning_bits(const char *name)
{
    if (strcmp(name, "unused") == 0)
        return 1u << W_UNUSED_SOURCE | 1u << W_UNUSED_STREAM | 1u << W_UNUSED_WINDOW | 1u << W_DEAD_STREAM |
               1u << W_UNUSED_PARAM | 1u << W_UNUSED_VAL | 1u << W_UNUSED_TABLE;
    for (int w = W_UNNAMED + 1; w < W_COUNT; w++)
        if (strcmp(name, warn_names[w]) == 0)
            return 1u << w;
    return 0;
}

int diag_warning_option(st_diag_opts *o, const char *arg)
{
    if (strcmp(arg, "-w") == 0) {
        o->no_warnings = true;
        return 0;
    }
    if (strncmp(arg, "-W", 2) != 0)
        return -1;
    const char *a = arg + 2;
    /* every warning is on by default; as in gcc, -Wall does not undo a -Wno-NAME */
    if (strcmp(a, "all") == 0 || strcmp(a, "extra") == 0)
        return 0;
    if (strcmp(a, "error") == 0) {
        o->werror_all = true;
        return 0;
    }
    if (strcmp(a, "no-error") == 0) {
        o->werror_all = false;
        return 0;
    }
    uint32_t b;
    if (strncmp(a, "error=", 6) == 0 && (b = warning_bits(a + 6)) != 0) {
        o->error |= b;
        o->no_error &= ~b;
        o->off &= ~b;
    } else if (strncmp(a, "no-error=", 9) == 0 && (b = warning_bits(a + 9)) != 0) {
        o->no_error |= b;
        o->error &= ~b;
    } else if (strncmp(a, "no-", 3) == 0 && (b = warning_bits(a + 3)) != 0)
        o->off |= b;
    else if ((b = warning_bits(a)) != 0)
        o->off &= ~b;
    else
        return -1;
    return 0;
}

static void vreport(st_diag *d, enum dkind k, st_warn w, st_loc loc, const char *fmt, va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    /* the option a warning shows: "-Wname", "-Werror=name" or "-Werror" */
    char option[64] = "";
    bool promoted = false;
    if (k == D_WARNING) {
        uint32_t bit = w > W_UNNAMED && w < W_COUNT ? 1u << w : 0;
        if (d->opts.no_warnings || (d->opts.off & bit)) {
            d->last_shown = false;
            return;
        }
        const char *name = diag_warning_name(w);
        promoted = (d->opts.error & bit) || (d->opts.werror_all && !(d->opts.no_error & bit));
        if (promoted && name)
            snprintf(option, sizeof option, "-Werror=%s", name);
        else if (promoted)
            snprintf(option, sizeof option, "-Werror");
        else if (name)
            snprintf(option, sizeof option, "-W%s", name);
    }
    enum dkind shown = promoted ? D_ERROR : k;
    if (k == D_NOTE) {
        if (!d->last_shown)
            return;
    } else {
        d->last_shown = seen_insert(d, hash_msg(shown, loc, msg));
        if (!d->last_shown)
            return;
        if (promoted)
            d->nwerrors++;
        else if (k == D_ERROR)
            d->nerrors++;
        else
            d->nwarnings++;
    }
    static const char *const label[] = { "error", "warning", "note" };
    if (d->opts.json) {
        diag_json_add(d, label[shown], loc, msg, option[0] ? option : NULL, k == D_NOTE);
        return;
    }
    static const char *const colour[] = { "\033[1;31m", "\033[1;35m", "\033[1;36m" };
    FILE *out = d->out;
    const char *file = d->src && d->src->name ? d->src->name : "<input>";
    if (d->color)
        fputs(C_BOLD, out);
    if (loc.first_line > 0)
        fprintf(out, "%s:%d:%d: ", file, loc.first_line, loc.first_column);
    else
        fprintf(out, "%s: ", file);
    if (d->color)
        fprintf(out, "%s%s:" C_RESET C_BOLD " %s" C_RESET, colour[shown], label[shown], msg);
    else
        fprintf(out, "%s: %s", label[shown], msg);
    if (option[0] && d->color)
        fprintf(out, " [%s%s" C_RESET "]", colour[shown], option);
    else if (option[0])
        fprintf(out, " [%s]", option);
    fputc('\n', out);
    if (k != D_NOTE && loc.first_line > 0)
        excerpt(d, loc);
}

void diag_error(st_diag *d, st_loc loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(d, D_ERROR, W_UNNAMED, loc, fmt, ap);
    va_end(ap);
}

void diag_warning(st_diag *d, st_loc loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(d, D_WARNING, W_UNNAMED, loc, fmt, ap);
    va_end(ap);
}

void diag_warn(st_diag *d, st_warn w, st_loc loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(d, D_WARNING, w, loc, fmt, ap);
    va_end(ap);
}

void diag_note(st_diag *d, st_loc loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(d, D_NOTE, W_UNNAMED, loc, fmt, ap);
    va_end(ap);
}

/* clang's fix-it line: the replacement text under the caret of the
 * error or warning just printed, at loc's column (tabs copied as in the
 * caret line). Nothing when that message was not printed. */
void diag_fixit(st_diag *d, st_loc loc, const char *text)
{
    if (!d->last_shown || loc.first_line <= 0)
        return;
    if (d->opts.json) {
        diag_json_fixit(d, loc, text);
        return;
    }
    size_t len;
    const char *line = source_line(d->src, loc.first_line, &len);
    if (!line)
        return;
    int width = 4;
    for (int n = loc.first_line; n >= 10000; n /= 10)
        width++;
    fprintf(d->out, " %*s | ", width, "");
    for (int i = 0; i < loc.first_column - 1; i++) {
        unsigned char c = (size_t)i < len ? (unsigned char)line[i] : ' ';
        if (c == '\t')
            fputc('\t', d->out);
        else if ((c & 0xC0) != 0x80)
            fputc(' ', d->out);
    }
    if (d->color)
        fputs("\033[32m", d->out);
    fputs(text, d->out);
    if (d->color)
        fputs(C_RESET, d->out);
    fputc('\n', d->out);
}

void diag_finish(st_diag *d)
{
    int w = d->nwarnings, e = d->nerrors + d->nwerrors;
    if (d->opts.json) {
        diag_json_finish(d);
        w = e = 0;
    } else if (d->nwerrors)
        fprintf(d->out, "streamc: %s warnings being treated as errors\n",
                d->opts.werror_all && !d->opts.no_error ? "all" : "some");
    if (w && e)
        fprintf(d->out, "%d warning%s and %d error%s generated.\n", w, w == 1 ? "" : "s", e, e == 1 ? "" : "s");
    else if (w)
        fprintf(d->out, "%d warning%s generated.\n", w, w == 1 ? "" : "s");
    else if (e)
        fprintf(d->out, "%d error%s generated.\n", e, e == 1 ? "" : "s");
    free(d->seen);
    d->seen = NULL;
    d->nseen = d->capseen = 0;
}
