/* params.c: run-time parameters (`param NAME = LITERAL;` in the program,
 * `--param NAME=VALUE` on the command line): parsing and checking the
 * values at start, storing them where the generated code reads them, and
 * their lines in --help. A value is checked against its parameter's type
 * and against the range every use of it allows (a port 1..65535, a rate
 * >= 1, a non-empty prefix); anything else is a usage error (exit 2). */
#include "rt_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

static const char *type_word(st_param_type t)
{
    switch (t) {
    case ST_PARAM_STRING: return "string";
    case ST_PARAM_INT: return "int";
    case ST_PARAM_FLOAT: return "float";
    case ST_PARAM_BOOL: return "bool";
    }
    return "?";
}

/* Index of the param called name[0..n), or -1. */
static int find_param(const st_program_desc *prog, const char *name, size_t n)
{
    for (int i = 0; i < prog->nparams; i++)
        if (strlen(prog->params[i].name) == n && memcmp(prog->params[i].name, name, n) == 0)
            return i;
    return -1;
}

/* Checks val against p; 0, or -1 after writing the reason (no newline). */
static int check_value(const st_param_desc *p, const char *val, char *err, size_t n)
{
    switch (p->type) {
    case ST_PARAM_STRING:
        if (p->nonempty && !*val) {
            snprintf(err, n, "must not be empty (it is %s)", p->use);
            return -1;
        }
        if (p->noslash && strchr(val, '/')) {
            snprintf(err, n, "'%s' cannot hold '/' (it is the suffix of saveAsTextFiles(), which ends the name of "
                     "each batch's directory, PREFIX-TIME.SUFFIX)", val);
            return -1;
        }
        return 0;
    case ST_PARAM_INT: {
        char *end;
        errno = 0;
        long long v = strtoll(val, &end, 10);
        if (!*val || *end || errno == ERANGE || (*val != '-' && (*val < '0' || *val > '9'))) {
            snprintf(err, n, "'%s' is not an integer", val);
            return -1;
        }
        if (v < p->min || v > p->max) {
            if (p->max == INT64_MAX)
                snprintf(err, n, "%lld is out of range: %s must be >= %lld", v, p->use, (long long)p->min);
            else
                snprintf(err, n, "%lld is out of range: %s must be between %lld and %lld", v, p->use,
                        (long long)p->min, (long long)p->max);
            return -1;
        }
        return 0;
    }
    case ST_PARAM_FLOAT: {
        char *end;
        errno = 0;
        double v = strtod(val, &end);
        if (!*val || *end || errno == ERANGE || !isfinite(v)) {
            snprintf(err, n, "'%s' is not a number", val);
            return -1;
        }
        return 0;
    }
    case ST_PARAM_BOOL:
        if (strcmp(val, "true") && strcmp(val, "false")) {
            snprintf(err, n, "'%s' is not true or false", val);
            return -1;
        }
        return 0;
    }
    return -1;
}

int rt_param_opt(const st_program_desc *prog, rt_opts *o, const char *val, FILE *err, const char *name)
{
    const char *eq = strchr(val, '=');
    if (!eq || eq == val) {
        fprintf(err, "%s: error: --param needs NAME=VALUE, not '%s'\n", name, val);
        return -1;
    }
    int i = find_param(prog, val, (size_t)(eq - val));
    if (i < 0) {
        fprintf(err, "%s: error: --param: the program has no param '%.*s'", name, (int)(eq - val), val);
        if (prog->nparams == 0)
            fputs(" (it declares none)", err);
        else {
            fputs(" (its params:", err);
            for (int k = 0; k < prog->nparams; k++)
                fprintf(err, " %s", prog->params[k].name);
            fputc(')', err);
        }
        fputc('\n', err);
        return -1;
    }
    const st_param_desc *p = &prog->params[i];
    if (!o->params)
        o->params = rt_xcalloc((size_t)prog->nparams, sizeof *o->params);
    if (o->params[i]) {
        fprintf(err, "%s: error: --param: '%s' given twice\n", name, p->name);
        return -1;
    }
    char reason[256];
    if (check_value(p, eq + 1, reason, sizeof reason) != 0) {
        fprintf(err, "%s: error: --param %s (%s): %s\n", name, p->name, type_word(p->type), reason);
        return -1;
    }
    o->params[i] = eq + 1;
    return 0;
}

void rt_params_apply(const st_program_desc *prog, const rt_opts *o)
{
    for (int i = 0; o->params && i < prog->nparams; i++) {
        const st_param_desc *p = &prog->params[i];
        const char *v = o->params[i];
        if (!v)
            continue;
        switch (p->type) {
        case ST_PARAM_STRING: *(const char **)p->value = v; break;
        case ST_PARAM_INT: *(int64_t *)p->value = strtoll(v, NULL, 10); break;
        case ST_PARAM_FLOAT: *(double *)p->value = strtod(v, NULL); break;
        case ST_PARAM_BOOL: *(bool *)p->value = strcmp(v, "true") == 0; break;
        }
    }
    if (prog->bind)
        prog->bind();
}

void rt_params_usage(const st_program_desc *prog, FILE *f)
{
    if (prog->nparams == 0)
        return;
    fputs("\nparams (--param NAME=VALUE):\n", f);
    for (int i = 0; i < prog->nparams; i++) {
        const st_param_desc *p = &prog->params[i];
        fprintf(f, "  %-20s %s, default %s", p->name, type_word(p->type), p->def);
        if (p->use)
            fprintf(f, "  [%s]", p->use);
        fputc('\n', f);
    }
}
