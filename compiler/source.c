/* source.c: loading a source file and indexing its lines.
 *
 * Owns the text buffer and the line table; reports nothing itself (the
 * caller prints the error message it fills in).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source.h"

static st_source *source_make(const char *name, char *text, size_t len)
{
    st_source *src = calloc(1, sizeof *src);
    size_t n = 1;
    for (size_t i = 0; i < len; i++)
        n += text[i] == '\n';
    size_t nl = strlen(name);
    char *nm = malloc(nl + 1);
    size_t *lines = malloc(n * sizeof *lines);
    if (!src || !nm || !lines) {
        free(src);
        free(nm);
        free(lines);
        free(text);
        return NULL;
    }
    memcpy(nm, name, nl + 1);
    src->name = nm;
    src->text = text;
    src->len = len;
    src->lines = lines;
    int k = 0;
    lines[k++] = 0;
    for (size_t i = 0; i < len; i++)
        if (text[i] == '\n')
            lines[k++] = i + 1;
    src->nlines = k;
    return src;
}

st_source *source_from_string(const char *name, const char *text, size_t len)
{
    char *copy = malloc(len + 1);
    if (!copy)
        return NULL;
    if (len)
        memcpy(copy, text, len);
    copy[len] = '\0';
    return source_make(name, copy, len);
}

st_source *source_load(const char *path, char *err, size_t errsz)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errsz, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
        if (len == cap) {
            char *nb = realloc(buf, 2 * cap + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    if (!buf || ferror(f)) {
        snprintf(err, errsz, "cannot read '%s': %s", path, buf ? strerror(errno) : "out of memory");
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    buf[len] = '\0';
    st_source *src = source_make(path, buf, len);
    if (!src)
        snprintf(err, errsz, "cannot read '%s': out of memory", path);
    return src;
}

void source_free(st_source *src)
{
    if (!src)
        return;
    free(src->name);
    free(src->text);
    free(src->lines);
    free(src);
}

const char *source_line(const st_source *src, int n, size_t *len)
{
    if (!src || n < 1 || n > src->nlines) {
        if (len)
            *len = 0;
        return NULL;
    }
    size_t start = src->lines[n - 1];
    size_t end = n < src->nlines ? src->lines[n] - 1 : src->len;
    if (end > start && src->text[end - 1] == '\r')
        end--;
    if (len)
        *len = end - start;
    return src->text + start;
}
