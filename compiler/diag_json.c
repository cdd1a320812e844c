/* diag_json.c: the JSON form of diagnostics (see diag_json.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag_json.h"

/* growable text; on out-of-memory the JSON is lost, not the program */
static void put(char **buf, size_t *n, size_t *cap, const char *s, size_t len)
{
    if (*n + len + 1 > *cap) {
        size_t nc = *cap ? *cap : 256;
        while (nc < *n + len + 1)
            nc *= 2;
        char *nb = realloc(*buf, nc);
        if (!nb)
            return;
        *buf = nb;
        *cap = nc;
    }
    memcpy(*buf + *n, s, len);
    *n += len;
    (*buf)[*n] = '\0';
}

typedef struct jbuf {
    char **p;
    size_t *n, *cap;
} jbuf;

static void jputs(jbuf b, const char *s)
{
    put(b.p, b.n, b.cap, s, strlen(s));
}

static void jprintf(jbuf b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void jprintf(jbuf b, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        put(b.p, b.n, b.cap, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    size_t len;
    unsigned min;
    if (s[0] < 0x80)
        return 1;
    else if ((s[0] & 0xE0) == 0xC0)
        len = 2, min = 0x80;
    else if ((s[0] & 0xF0) == 0xE0)
        len = 3, min = 0x800;
    else if ((s[0] & 0xF8) == 0xF0)
        len = 4, min = 0x10000;
    else
        return 0;
    if (len > n)
        return 0;
    unsigned cp = s[0] & (0x7F >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

static void jstring(jbuf b, const char *s)
{
    jputs(b, "\"");
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        if (c == '"' || c == '\\') {
            char e[3] = { '\\', (char)c, 0 };
            jputs(b, e);
            i++;
        } else if (c == '\n') {
            jputs(b, "\\n"), i++;
        } else if (c == '\t') {
            jputs(b, "\\t"), i++;
        } else if (c < 0x20 || c == 0x7F) {
            jprintf(b, "\\u%04x", c), i++;
        } else {
            size_t l = utf8_len(p + i, n - i);
            if (l == 0) {
                jputs(b, "\\ufffd");
                i++;
            } else {
                put(b.p, b.n, b.cap, s + i, l);
                i += l;
            }
        }
    }
    jputs(b, "\"");
}

/* display column of byte column col (1-based) on line n */
static int display_column(const st_diag *d, int line, int col)
{
    size_t len;
    const char *s = d->src ? source_line(d->src, line, &len) : NULL;
    if (!s)
        return col;
    int disp = 1;
    for (int i = 0; i < col - 1; i++) {
        unsigned char c = (size_t)i < len ? (unsigned char)s[i] : ' ';
        if (c == '\t')
            disp = ((disp - 1) / 8 + 1) * 8 + 1;
        else if ((c & 0xC0) != 0x80)
            disp++;
    }
    return disp;
}

/* a column inside a UTF-8 character means the character (as in gcc) */
static int char_start(const st_diag *d, int line, int col)
{
    size_t len;
    const char *s = d->src ? source_line(d->src, line, &len) : NULL;
    while (s && col > 1 && (size_t)(col - 1) < len && ((unsigned char)s[col - 1] & 0xC0) == 0x80)
        col--;
    return col;
}

static void jpos(jbuf b, const st_diag *d, const char *file, int line, int col)
{
    jputs(b, "{\"file\": ");
    jstring(b, file);
    jprintf(b, ", \"line\": %d, \"display-column\": %d", line, display_column(d, line, col));
    jprintf(b, ", \"byte-column\": %d, \"column\": %d}", col, col);
}

/* closes the open top-level object */
static void close_top(st_diag *d)
{
    if (!d->jopen)
        return;
    jbuf top = { &d->json, &d->njson, &d->capjson };
    jputs(top, ", \"children\": [");
    if (d->jchildren)
        jputs(top, d->jchildren);
    jputs(top, "], \"column-origin\": 1, \"escape-source\": false}");
    d->njchildren = 0;
    if (d->jchildren)
        d->jchildren[0] = '\0';
    d->jopen = false;
}

void diag_json_add(st_diag *d, const char *kind, st_loc loc, const char *msg, const char *option, bool note)
{
    jbuf top = { &d->json, &d->njson, &d->capjson };
    jbuf kids = { &d->jchildren, &d->njchildren, &d->capjchildren };
    jbuf b;
    if (note) {
        if (!d->jopen)
            return;
        b = kids;
        if (d->njchildren)
            jputs(b, ", ");
    } else {
        close_top(d);
        b = top;
        if (d->njson)
            jputs(b, ", ");
        d->jopen = true;
        d->jfixit = false;
    }
    jputs(b, "{\"kind\": ");
    jstring(b, kind);
    jputs(b, ", \"message\": ");
    jstring(b, msg);
    if (option) {
        jputs(b, ", \"option\": ");
        jstring(b, option);
    }
    jputs(b, ", \"locations\": [");
    if (loc.first_line > 0) {
        const char *file = d->src && d->src->name ? d->src->name : "<input>";
        int col = char_start(d, loc.first_line, loc.first_column < 1 ? 1 : loc.first_column);
        jputs(b, "{\"caret\": ");
        jpos(b, d, file, loc.first_line, col);
        int lline = loc.last_line > 0 ? loc.last_line : loc.first_line;
        int lcol = char_start(d, lline, loc.last_column);
        if (lline > loc.first_line || (lline == loc.first_line && lcol > col)) {
            jputs(b, ", \"finish\": ");
            jpos(b, d, file, lline, lcol);
        }
        jputs(b, "}");
    }
    jputs(b, "]");
    if (note)
        jputs(b, ", \"escape-source\": false}");
}

void diag_json_fixit(st_diag *d, st_loc loc, const char *text)
{
    if (!d->jopen || d->jfixit || d->njchildren || loc.first_line <= 0)
        return;
    jbuf top = { &d->json, &d->njson, &d->capjson };
    const char *file = d->src && d->src->name ? d->src->name : "<input>";
    int col = char_start(d, loc.first_line, loc.first_column < 1 ? 1 : loc.first_column);
    int lline = loc.last_line > 0 ? loc.last_line : loc.first_line;
    int lcol = loc.last_column >= col || lline > loc.first_line ? loc.last_column : col;
    jputs(top, ", \"fixits\": [{\"start\": ");
    jpos(top, d, file, loc.first_line, col);
    jputs(top, ", \"next\": ");
    jpos(top, d, file, lline, lcol + 1);
    jputs(top, ", \"string\": ");
    jstring(top, text);
    jputs(top, "}]");
    d->jfixit = true;
}

void diag_json_finish(st_diag *d)
{
    close_top(d);
    fprintf(d->out, "[%s]\n", d->json ? d->json : "");
    free(d->json);
    free(d->jchildren);
    d->json = d->jchildren = NULL;
    d->njson = d->capjson = d->njchildren = d->capjchildren = 0;
}

void diag_json_fatal(FILE *out, const char *msg)
{
    char *s = NULL;
    size_t n = 0, cap = 0;
    jbuf b = { &s, &n, &cap };
    jputs(b, "[{\"kind\": \"fatal error\", \"message\": ");
    jstring(b, msg);
    jputs(b, ", \"locations\": [], \"children\": [], \"column-origin\": 1, \"escape-source\": false}]");
    fprintf(out, "%s\n", s ? s : "[]");
    free(s);
}
