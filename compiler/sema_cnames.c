/* sema_cnames.c: the C-facing names of a program (see sema_cnames.h). */
#include <stdlib.h>
#include <string.h>

#include "sema_cnames.h"
#include "sbuf.h"

/* C11, C23 and GNU keywords (those with a leading '_' fall under the
   reserved rule) */
static const char *const c_keywords[] = {
    "alignas", "alignof", "asm", "auto", "bool", "break", "case", "char", "const", "constexpr",
    "continue", "default", "do", "double", "else", "enum", "extern", "false", "float", "for",
    "goto", "if", "inline", "int", "long", "nullptr", "register", "restrict", "return", "short",
    "signed", "sizeof", "static", "static_assert", "struct", "switch", "thread_local", "true",
    "typedef", "typeof", "typeof_unqual", "union", "unsigned", "void", "volatile", "while",
};

/* sorted, from compiler/tools/cnames.sh */
static const char *const c_library[] = {
#include "cnames.inc"
};

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char *cname_reserved(const char *name)
{
    for (size_t i = 0; i < sizeof c_keywords / sizeof c_keywords[0]; i++)
        if (strcmp(name, c_keywords[i]) == 0)
            return "it is a C keyword";
    if (name[0] == '_')
        return "names beginning with '_' are reserved for the C implementation";
    size_t n = strlen(name);
    if (n >= 2 && strcmp(name + n - 2, "_t") == 0)
        return "names ending in '_t' are reserved for C types (POSIX)";
    static const char *const prefixes[] = { "st_", "sc_", "rt_", "ST_", "SC_", "RT_" };
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (strncmp(name, prefixes[i], 3) == 0)
            return "the prefixes st_, sc_, rt_ (and ST_, SC_, RT_) belong to the runtime and the generated C";
    if (strcmp(name, "main") == 0)
        return "the generated program defines main";
    size_t nlib = sizeof c_library / sizeof c_library[0];
    if (nlib && bsearch(&name, c_library, nlib, sizeof c_library[0], cmp_name))
        return "it is a name of the C library (libc, libm or the headers the generated C includes)";
    return NULL;
}

static bool ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* name followed by '(' as a token of C code, outside comments and literals */
static bool code_has_call(const char *s, const char *name)
{
    size_t n = strlen(name);
    while (*s) {
        if (s[0] == '/' && s[1] == '/') {
            while (*s && *s != '\n')
                s++;
        } else if (s[0] == '/' && s[1] == '*') {
            const char *e = strstr(s + 2, "*/");
            if (!e)
                return false;
            s = e + 2;
        } else if (*s == '"' || *s == '\'') {
            char q = *s++;
            while (*s && *s != q && *s != '\n') {
                if (*s == '\\' && s[1])
                    s++;
                s++;
            }
            if (*s)
                s++;
        } else if (ident_char(*s)) {
            const char *t = s;
            while (ident_char(*s))
                s++;
            if ((size_t)(s - t) == n && memcmp(t, name, n) == 0 && !(*t >= '0' && *t <= '9')) {
                const char *u = s;
                while (*u == ' ' || *u == '\t' || *u == '\n' || *u == '\r')
                    u++;
                if (*u == '(')
                    return true;
            }
        } else
            s++;
    }
    return false;
}

const char *cname_rdd(const st_type *t, char *buf, size_t n)
{
    sbuf b = { 0 };
    sb_puts(&b, "sc_rdd_");
    cr_name_put(&b, t);
    snprintf(buf, n, "%s", b.p ? b.p : "st_rdd");
    sb_free(&b);
    return buf;
}

bool cname_check(st_diag *d, const st_program *p, const char *name, st_loc loc, const char *what,
                 bool need_decl)
{
    bool fe = strcmp(what, "foreachRDD") == 0;
    const char *why = cname_reserved(name);
    if (why) {
        if (fe)
            diag_error(d, loc, "the C function of foreachRDD cannot be named '%s': %s", name, why);
        else
            diag_error(d, loc, "extern function '%s' cannot have this name in C: %s", name, why);
        return false;
    }
    if (!need_decl)
        return true;
    for (int i = 0; i < p->ndecls; i++) {
        const st_decl *x = p->decls[i];
        if (x->kind == DECL_CBLOCK && x->code && code_has_call(x->code, name))
            return true;
    }
    if (fe)
        diag_error(d, loc, "foreachRDD calls the C function '%s', but no %%{ ... %%} block defines it", name);
    else
        diag_error(d, loc, "extern function '%s' is not declared in a %%{ ... %%} block "
                           "(define it there, or declare a library's function there)", name);
    return false;
}

/* bytes of a directory name beyond prefix and suffix at run time:
   ".", "-", 19 digits of time, ".", ".tmp-", 7 of pid, "-", 4 of serial, ".old" */
#define SAVE_NAME_EXTRA 43
#define SAVE_NAME_MAX (255 - SAVE_NAME_EXTRA)
#define SAVE_PATH_MAX 4000

bool save_names_check(st_diag *d, const st_expr *prefix, const st_expr *suffix)
{
    bool ok = true;
    if (memchr(prefix->sval, '\0', prefix->slen)) {
        diag_error(d, prefix->loc, "the prefix of saveAsTextFiles cannot hold a NUL byte");
        ok = false;
    }
    if (suffix && memchr(suffix->sval, '\0', suffix->slen)) {
        diag_error(d, suffix->loc, "the suffix of saveAsTextFiles cannot hold a NUL byte");
        ok = false;
    }
    if (suffix && memchr(suffix->sval, '/', suffix->slen)) {
        diag_error(d, suffix->loc, "the suffix of saveAsTextFiles cannot hold '/': it ends the name of "
                                   "each batch's directory, PREFIX-TIME.SUFFIX");
        ok = false;
    }
    if (!ok)
        return false;
    const char *last = strrchr(prefix->sval, '/');
    last = last ? last + 1 : prefix->sval;
    size_t name = strlen(last) + (suffix ? suffix->slen : 0);
    if (name > SAVE_NAME_MAX) {
        diag_error(d, suffix && strlen(last) < suffix->slen ? suffix->loc : prefix->loc,
                   "saveAsTextFiles directory names would be too long: the prefix after its last '/' "
                   "and the suffix may have %d bytes together, not %zu", SAVE_NAME_MAX, name);
        return false;
    }
    if (prefix->slen + (suffix ? suffix->slen : 0) > SAVE_PATH_MAX) {
        diag_error(d, prefix->loc, "saveAsTextFiles paths would be too long: the prefix and the suffix "
                                   "may have %d bytes together, not %zu", SAVE_PATH_MAX,
                   prefix->slen + (suffix ? suffix->slen : 0));
        return false;
    }
    return true;
}
