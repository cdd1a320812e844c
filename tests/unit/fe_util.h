/* fe_util.h: helpers shared by the front-end unit tests: parse (and check)
 * a program held in a string, with diagnostics captured in memory. */
#ifndef FE_UTIL_H
#define FE_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "diag.h"
#include "parse.h"
#include "sema.h"
#include "source.h"

typedef struct fe_run {
    st_source *src;
    st_program *prog;
    st_diag diag;
    char *out;
    size_t outlen;
    FILE *f;
    bool ok;
} fe_run;

static inline void fe_parse(fe_run *r, const char *text, bool check)
{
    memset(r, 0, sizeof *r);
    r->src = source_from_string("t.stream", text, strlen(text));
    r->f = open_memstream(&r->out, &r->outlen);
    diag_init(&r->diag, r->src, r->f, false);
    r->prog = parse_program(r->src, &r->diag);
    r->ok = r->diag.nerrors == 0;
    if (check)
        r->ok = sema_check(r->prog, &r->diag) && r->ok;
    diag_finish(&r->diag);
    fflush(r->f);
}

static inline void fe_free(fe_run *r)
{
    fclose(r->f);
    free(r->out);
    program_free(r->prog);
    source_free(r->src);
}

static inline st_decl *fe_decl(fe_run *r, const char *name)
{
    for (int i = 0; i < r->prog->ndecls; i++)
        if (r->prog->decls[i]->name && strcmp(r->prog->decls[i]->name, name) == 0)
            return r->prog->decls[i];
    return NULL;
}

/* type t as text, in buf */
static inline const char *fe_type(const st_type *t, char *buf, size_t n)
{
    type_str(t, buf, n);
    return buf;
}

#endif
