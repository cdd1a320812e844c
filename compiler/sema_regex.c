/* sema_regex.c: the regex built-ins matches(s, re), replaceAll(s, re, rep)
 * and regexSplit(s, re) (spec §8).
 *
 * The regex is a string literal compiled here with the same libc regcomp
 * (POSIX extended) that the executable uses, so a regex that does not
 * compile is an error at its location with regcomp's message, and the
 * executable compiles each one once at start (runtime/regex.c). Two Java
 * habits that POSIX would silently read otherwise are errors with a hint:
 * \d / \D (POSIX reads a plain 'd') and lazy or possessive quantifiers
 * (*? +? ?? {n}? and *+ ...: POSIX matches are leftmost-longest). A literal
 * replacement is checked against the regex's groups (st_rep.h, as Java's
 * appendReplacement). Equal regexes share one entry of p->regexes. */
#include <regex.h>
#include <string.h>

#include "sema_ext.h"
#include "st_rep.h"

/* The Java-only constructs of pattern: reported at loc; true when none. */
static bool java_habits(st_diag *d, const st_expr *lit)
{
    const char *s = lit->sval;
    size_t n = lit->slen;
    bool in_bracket = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_bracket) {
            /* ] closes, except first in the bracket ([]a] and [^]a]) */
            if (c == '[' && i + 1 < n && (s[i + 1] == ':' || s[i + 1] == '.' || s[i + 1] == '=')) {
                const char *end = strstr(s + i + 2, s[i + 1] == ':' ? ":]" : s[i + 1] == '.' ? ".]" : "=]");
                if (end)
                    i = (size_t)(end - s) + 1;
            } else if (c == ']' && !(i > 0 && (s[i - 1] == '[' || (s[i - 1] == '^' && i > 1 && s[i - 2] == '['))))
                in_bracket = false;
            continue;
        }
        if (c == '[') {
            in_bracket = true;
            continue;
        }
        if (c == '\\' && i + 1 < n) {
            char e = s[i + 1];
            if (e == 'd' || e == 'D') {
                diag_error(d, lit->loc, "'\\%c' is not a class in POSIX regexes (it would match '%c')", e, e);
                diag_note(d, lit->loc, "write %s (or %s)", e == 'd' ? "[0-9]" : "[^0-9]",
                          e == 'd' ? "[[:digit:]]" : "[^[:digit:]]");
                return false;
            }
            i++;
            continue;
        }
        if (c == '(' && i + 1 < n && s[i + 1] == '?') {
            diag_error(d, lit->loc, "'(?' groups do not exist in POSIX regexes (no flags, non-capturing groups "
                                    "or lookaround)");
            diag_note(d, lit->loc, "write a plain group (...); for case-insensitive matching, lower(s) first");
            return false;
        }
        bool quant = c == '*' || c == '+' || c == '?' || c == '}';
        if (quant && i + 1 < n && (s[i + 1] == '?' || s[i + 1] == '+')) {
            diag_error(d, lit->loc, "'%c%c' is not a %s quantifier in POSIX regexes", c, s[i + 1],
                       s[i + 1] == '?' ? "lazy" : "possessive");
            diag_note(d, lit->loc, "POSIX matches are leftmost-longest; to stop early, exclude the "
                                   "delimiter: [^,]* instead of .*?");
            return false;
        }
    }
    return true;
}

/* What glibc's regcomp would spend on a regex, from a rough parse, to
 * refuse the ones it takes seconds and gigabytes to build: counted
 * repetitions are expanded (((a{100}){100}){100} is a million positions,
 * 200 MB), and a repetition of something that can match the empty string
 * costs far more ((a?){2000}: 300 MB; ((a*)*){1000}: minutes).
 *   size: positions once expanded (a sequence adds its items, an
 *         alternation its branches, X{n,m} multiplies X by max(n, m));
 *   nul:  the positions repeated while they can match empty, counted each
 *         time a repetition applies to them.
 * Limits: size <= RX_MAX, nul <= RX_NUL, repetitions of empty-matching
 * parts nested at most RX_DEPTH deep. Values are capped past the limits. */
#define RX_MAX 20000
#define RX_NUL 200
#define RX_DEPTH 3

typedef struct rxscan { const char *s; size_t n, i; int depth; long nul; } rxscan;
typedef struct rxval { long size; bool nullable; int ndepth; } rxval;

static rxval rx_seq(rxscan *r);

static long rx_cap(long v)
{
    return v > RX_MAX ? RX_MAX + 1 : v;
}

static rxval rx_atom(rxscan *r)
{
    char c = r->s[r->i++];
    if (c == '(') {
        if (++r->depth > 200)
            return (rxval){ RX_MAX + 1, false, 0 };
        rxval v = rx_seq(r);
        r->depth--;
        if (r->i < r->n && r->s[r->i] == ')')
            r->i++;
        return v;
    }
    if (c == '[') {
        /* to the closing ], which may come first ([]a] [^]a]) */
        if (r->i < r->n && r->s[r->i] == '^')
            r->i++;
        if (r->i < r->n && r->s[r->i] == ']')
            r->i++;
        while (r->i < r->n && r->s[r->i] != ']') {
            if (r->s[r->i] == '[' && r->i + 1 < r->n && strchr(":.=", r->s[r->i + 1])) {
                const char *e = strstr(r->s + r->i + 2, r->s[r->i + 1] == ':' ? ":]" : r->s[r->i + 1] == '.' ? ".]" : "=]");
                r->i = e ? (size_t)(e - r->s) + 2 : r->n;
            } else
                r->i++;
        }
        if (r->i < r->n)
            r->i++;
        return (rxval){ 1, false, 0 };
    }
    if (c == '\\' && r->i < r->n)
        r->i++;
    /* anchors match empty */
    return (rxval){ 1, c == '^' || c == '$', 0 };
}

/* a sequence of items with their repetitions, and its alternatives */
static rxval rx_seq(rxscan *r)
{
    rxval total = { 0, false, 0 }, branch = { 0, true, 0 };
    while (r->i < r->n && r->s[r->i] != ')') {
        if (r->s[r->i] == '|') {
            r->i++;
            total = (rxval){ rx_cap(total.size + branch.size), total.nullable || branch.nullable,
                             total.ndepth > branch.ndepth ? total.ndepth : branch.ndepth };
            branch = (rxval){ 0, true, 0 };
            continue;
        }
        rxval v = rx_atom(r);
        while (r->i < r->n && strchr("*+?{", r->s[r->i])) {
            char op = r->s[r->i++];
            long k = 1, lo = op == '+';
            if (op == '{') {
                long cur = 0;
                bool first = true;
                k = 0;
                while (r->i < r->n && r->s[r->i] != '}') {
                    char c = r->s[r->i++];
                    if (c >= '0' && c <= '9')
                        cur = rx_cap(cur * 10 + (c - '0'));
                    else {
                        if (first)
                            lo = cur;
                        first = false;
                        k = cur > k ? cur : k;
                        cur = 0;
                    }
                }
                if (first)
                    lo = cur;
                k = cur > k ? cur : k;
                if (r->i < r->n)
                    r->i++;
            }
            if (v.nullable) {
                r->nul = rx_cap(r->nul + v.size * (k > 1 ? k : 1));
                v.ndepth++;
            }
            v.size = rx_cap(v.size * (k > 1 ? k : 1));
            v.nullable = v.nullable || lo == 0;
        }
        branch = (rxval){ rx_cap(branch.size + v.size), branch.nullable && v.nullable,
                          branch.ndepth > v.ndepth ? branch.ndepth : v.ndepth };
    }
    return (rxval){ rx_cap(total.size + branch.size), total.nullable || branch.nullable,
                    total.ndepth > branch.ndepth ? total.ndepth : branch.ndepth };
}

/* True when regcomp can build the regex in reasonable time and memory. */
static bool rx_affordable(const char *s, size_t n)
{
    rxscan scan = { s, n, 0, 0, 0 };
    long size = 0;
    int depth = 0;
    while (scan.i < scan.n && size <= RX_MAX) {
        rxval v = rx_seq(&scan);
        size = rx_cap(size + v.size);
        depth = v.ndepth > depth ? v.ndepth : depth;
        if (scan.i < scan.n)
            scan.i++; /* an unmatched ')': regcomp reports it */
    }
    return size <= RX_MAX && scan.nul <= RX_NUL && depth <= RX_DEPTH;
}

static bool regex_call(st_program *p, st_diag *d, st_expr *e, st_expr *re);

bool sema_regex_call(st_program *p, st_diag *d, st_expr *e)
{
    st_expr *use = e->args[1], *re = use;
    /* a val constant (or a chain of them) holding a literal is that
       literal: compiled once, errors at the literal with a note here */
    for (int hops = 0; re->kind == EX_NAME && re->ref == REF_CONST && re->decl && re->decl->value &&
                       re->decl->value->type && hops < 1000; hops++)
        re = re->decl->value;
    if (re->kind != EX_STRING)
        re = use;
    int before = d->nerrors;
    bool ok = regex_call(p, d, e, re);
    if (!ok && re != use && d->nerrors > before)
        diag_note(d, use->loc, "'%s' is the regex of %s() here", use->name, e->name);
    return ok;
}

static bool regex_call(st_program *p, st_diag *d, st_expr *e, st_expr *re)
{
    const char *fn = e->name;
    if (re->kind != EX_STRING) {
        diag_error(d, re->loc, "the regex of %s() must be a string literal or a val holding one (it is "
                               "compiled once, with the program)", fn);
        return false;
    }
    if (memchr(re->sval, '\0', re->slen)) {
        diag_error(d, re->loc, "a regex cannot hold a NUL byte");
        return false;
    }
    if (!java_habits(d, re))
        return false;
    if (!rx_affordable(re->sval, re->slen)) {
        diag_error(d, re->loc, "regex is too large once its repetitions are expanded");
        diag_note(d, re->loc, "counts multiply ((a{100}){100} is 10000 copies of a), and repeating what can "
                              "match the empty string costs far more ((a*){300})");
        return false;
    }
    regex_t rx;
    int rc = regcomp(&rx, re->sval, REG_EXTENDED);
    if (rc != 0) {
        char msg[256];
        regerror(rc, &rx, msg, sizeof msg);
        diag_error(d, re->loc, "invalid regex: %s", msg);
        return false;
    }
    int nsub = (int)rx.re_nsub;
    regfree(&rx);
    if (e->builtin == BI_REPLACEALL && e->args[2]->kind == EX_STRING) {
        const st_expr *rep = e->args[2];
        for (size_t i = 0; i < rep->slen;) {
            int g;
            char c;
            const char *err = st_rep_next(rep->sval, rep->slen, &i, nsub, &g, &c);
            if (err && g > nsub) {
                diag_error(d, rep->loc, "the replacement refers to group $%d, but the regex has %d group%s", g,
                           nsub, nsub == 1 ? "" : "s");
                return false;
            }
            if (err) {
                diag_error(d, rep->loc, "invalid replacement: %s", err);
                return false;
            }
        }
    }
    for (int i = 0; i < p->nregexes; i++) {
        const st_expr *o = p->regexes[i];
        if (o->slen == re->slen && memcmp(o->sval, re->sval, re->slen) == 0) {
            e->regex = i;
            return true;
        }
    }
    p->regexes = ast_grow(p, p->regexes, p->nregexes, &p->capregexes, sizeof *p->regexes);
    e->regex = p->nregexes;
    p->regexes[p->nregexes++] = re;
    return true;
}
