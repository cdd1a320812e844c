/* parser.y: the .stream grammar; actions only build the tree (ast.h).
 *
 * Every semantic rule (names, types, intervals) is checked later by sema.
 * Keywords other than true/false are also names (`name:`), so a stream may
 * be called `window` and `.window(w)` is a method. Recovery is per
 * statement (`error ';'`, `error '}'`) and per context setting, so one run
 * reports every syntax error of a file. A missing ';' (`semi: error`) ends
 * the statement without losing it, so forgetting a ';' does not cascade
 * into "undeclared" errors. That needs bison's default reductions on the
 * offending token, which is why LAC is off (parse.lac none): with LAC the
 * error is caught before the statement is complete and the statement is
 * lost. Syntax error messages are written by yyreport_syntax_error() below,
 * in gcc's words.
 */
%require "3.8"
%expect 0
%define api.pure full
%define api.location.type {st_loc}
%define api.token.prefix {TK_}
%define parse.error custom
%define parse.lac none
%locations
%param {yyscan_t scanner}

%code requires {
#include "ast.h"
#include "parse.h"
#ifndef YY_TYPEDEF_YY_SCANNER_T
#define YY_TYPEDEF_YY_SCANNER_T
typedef void *yyscan_t;
#endif

/* growable lists built by the grammar (arena memory) */
typedef struct st_exprlist { st_expr **v; int n, cap; } st_exprlist;
typedef struct st_setlist { st_setting *v; int n, cap; } st_setlist;
typedef struct st_typelist { st_typeexpr **v; int n, cap; } st_typelist;
}

%union {
    char *id;
    st_expr *expr;
    struct { char *code; int line; } cblock;
    st_exprlist *list;
    st_setlist *settings;
    st_typelist *types;
    st_typeexpr *type;
    st_decl *decl;
    bool flag;
}

%code {
#include <string.h>

#include "lexer.h"

static void yyerror(YYLTYPE *loc, yyscan_t scanner, const char *msg);

#define PROG (yyget_extra(scanner)->prog)

/* semi: error (a missing ';'). When the next token is on a later line than
 * the statement, the statement simply ends there (the common mistake, and
 * no cascade); otherwise the rest of it up to ';' is skipped, as
 * `stmt: error ';'` would, and the value is true. */
#define END_STMT(skipped)                                                           \
    do {                                                                            \
        int last_line_ = yyget_extra(scanner)->prev_loc.last_line;                  \
        if (yychar == TK_YYEMPTY)                                                   \
            yychar = yylex(&yylval, &yylloc, scanner);                              \
        skipped = false;                                                            \
        if (yychar != TK_YYEOF && yylloc.first_line <= last_line_) {                \
            skipped = true;                                                         \
            while (yychar > TK_YYEOF && yychar != ';')                              \
                yychar = yylex(&yylval, &yylloc, scanner);                          \
            if (yychar == ';')                                                      \
                yyclearin;                                                          \
        }                                                                           \
        yyerrok;                                                                    \
    } while (0)

static void *grow(st_program *p, void *old, int n, int *cap, size_t elem)
{
    return ast_grow(p, old, n, cap, elem);
}

static st_exprlist *list_add(st_program *p, st_exprlist *l, st_expr *e)
{
    if (!l)
        l = ast_alloc(p, sizeof *l);
    l->v = grow(p, l->v, l->n, &l->cap, sizeof *l->v);
    l->v[l->n++] = e;
    return l;
}

static st_expr *binary(st_program *p, int op, st_expr *a, st_expr *b, st_loc loc)
{
    st_expr *e = expr_new(p, EX_BINARY, loc);
    e->op = op;
    e->a = a;
    e->b = b;
    return e;
}

static void set_args(st_expr *e, st_exprlist *l)
{
    if (l) {
        e->args = l->v;
        e->nargs = l->n;
    }
}

/* lhs => body: lhs must be a name or a (name, name, ...) tuple */
static st_expr *lambda(st_program *p, st_expr *lhs, st_expr *body, st_loc loc)
{
    st_expr *e = expr_new(p, EX_LAMBDA, loc);
    e->a = body;
    if (lhs->kind == EX_NAME) {
        e->params[0] = lhs->name;
        e->param_locs[0] = lhs->loc;
        e->nparams = 1;
    } else if (lhs->kind == EX_TUPLE && lhs->nargs <= ST_MAX_PARAMS) {
        bool bad = false;
        for (int i = 0; i < lhs->nargs; i++) {
            e->params[i] = lhs->args[i]->name;
            e->param_locs[i] = lhs->args[i]->loc;
            bad = bad || lhs->args[i]->kind != EX_NAME;
        }
        e->nparams = lhs->nargs;
        e->bad_params = bad;
        if (bad) {
            e->nparams = 0;
            e->param_locs[0] = lhs->loc;
        }
    } else {
        e->bad_params = true;
        e->param_locs[0] = lhs->loc;
    }
    return e;
}
}

%token <id> IDENT "identifier"
%token <id> KW_CONTEXT "context" KW_SOURCE "source" KW_WINDOW "window"
%token <id> KW_STREAM "stream" KW_SLIDE "slide" KW_IN "in"
%token <id> KW_STORAGE "storage" KW_MAXRATE "maxRate" KW_EXTERN "extern" KW_VAL "val" KW_PARAM "param"
%token <id> KW_TABLE "table"
%token <id> KW_IF "if" KW_ELSE "else"
%token <expr> INT "integer" FLOAT "number" STRING "string" DURATION "duration" BOOL "boolean"
%token <cblock> CBLOCK "C block"
%token ARROW "=>" EQ "==" NE "!=" LE "<=" GE ">=" AND "&&" OR "||"
%token INVALID "invalid character"

%type <id> name
%type <expr> expr postfix primary arg opt_maxrate opt_slide
%type <list> args opt_args exprs lets
%type <settings> settings
%type <types> types opt_types
%type <type> type
%type <id> opt_in opt_storage
%type <flag> semi

%precedence IFX
%precedence KW_ELSE
%right '?' ':'
%left OR
%left AND
%left EQ NE
%left '<' '>' LE GE
%left '+' '-'
%left '*' '/' '%'
%precedence UNARY

%%

program:
    %empty
  | program stmt
  ;

stmt:
    KW_CONTEXT name '{' settings '}'
        {
            st_decl *d = decl_new(PROG, DECL_CONTEXT, @$);
            d->name = $2;
            d->name_loc = @2;
            if ($4) {
                d->settings = $4->v;
                d->nsettings = $4->n;
            }
            program_add_decl(PROG, d);
        }
  | KW_CONTEXT name '{' settings error '}'
        {
            st_decl *d = decl_new(PROG, DECL_CONTEXT, @$);
            d->name = $2;
            d->name_loc = @2;
            if ($4) {
                d->settings = $4->v;
                d->nsettings = $4->n;
            }
            program_add_decl(PROG, d);
            yyerrok;
        }
  | KW_SOURCE name '=' name '(' opt_args ')' opt_in opt_storage opt_maxrate semi
        {
            st_decl *d = decl_new(PROG, DECL_SOURCE, @$);
            d->name = $2;
            d->name_loc = @2;
            d->kind_name = $4;
            d->kind_loc = @4;
            if ($6) {
                d->args = $6->v;
                d->nargs = $6->n;
            }
            d->in_ctx = $8;
            d->in_loc = @8;
            d->storage_name = $9;
            d->storage_loc = @9;
            d->max_rate = $10;
            program_add_decl(PROG, d);
        }
  | KW_WINDOW name '=' expr opt_slide semi
        {
            st_decl *d = decl_new(PROG, DECL_WINDOW, @$);
            d->name = $2;
            d->name_loc = @2;
            d->win_dur = $4;
            d->win_slide = $5;
            program_add_decl(PROG, d);
        }
  | KW_STREAM name '=' expr semi
        {
            st_decl *d = decl_new(PROG, DECL_STREAM, @$);
            d->name = $2;
            d->name_loc = @2;
            d->value = $4;
            program_add_decl(PROG, d);
        }
  | KW_VAL name '=' expr semi
        {
            st_decl *d = decl_new(PROG, DECL_VAL, @$);
            d->name = $2;
            d->name_loc = @2;
            d->value = $4;
            program_add_decl(PROG, d);
        }
  | KW_PARAM name '=' expr semi
        {
            st_decl *d = decl_new(PROG, DECL_PARAM, @$);
            d->name = $2;
            d->name_loc = @2;
            d->value = $4;
            program_add_decl(PROG, d);
        }
  | KW_TABLE name '=' name '(' opt_args ')' semi
        {
            /* table NAME = KIND(args); (sema_tables.c) */
            st_decl *d = decl_new(PROG, DECL_TABLE, @$);
            d->name = $2;
            d->name_loc = @2;
            d->kind_name = $4;
            d->kind_loc = @4;
            if ($6) {
                d->args = $6->v;
                d->nargs = $6->n;
            }
            program_add_decl(PROG, d);
        }
  | KW_EXTERN name '(' opt_types ')' ':' type semi
        {
            st_decl *d = decl_new(PROG, DECL_EXTERN, @$);
            d->name = $2;
            d->name_loc = @2;
            if ($4) {
                d->ptypes = $4->v;
                d->nptypes = $4->n;
            }
            d->rtype = $7;
            program_add_decl(PROG, d);
        }
  | CBLOCK
        {
            st_decl *d = decl_new(PROG, DECL_CBLOCK, @$);
            d->code = $1.code;
            d->code_line = $1.line;
            program_add_decl(PROG, d);
        }
  | expr semi
        {
            if (!$2) {
                st_decl *d = decl_new(PROG, DECL_OUTPUT, @$);
                d->value = $1;
                program_add_decl(PROG, d);
            }
        }
  | error ';'   { yyerrok; }
  | error '}'   { yyerrok; }
  ;

/* context settings: NAME = expr; */
settings:
    %empty      { $$ = NULL; }
  | settings name '=' expr semi
        {
            st_setlist *l = $1 ? $1 : ast_alloc(PROG, sizeof *l);
            l->v = grow(PROG, l->v, l->n, &l->cap, sizeof *l->v);
            st_setting *s = &l->v[l->n++];
            s->name = $2;
            s->name_loc = @2;
            s->value = $4;
            $$ = l;
        }
  | settings error ';'  { $$ = $1; yyerrok; }
  ;

semi:
    ';'         { $$ = false; }
  | error       { END_STMT($$); }
  ;

opt_in:
    %empty              { $$ = NULL; }
  | KW_IN name          { $$ = $2; @$ = @2; }
  ;

opt_storage:
    %empty              { $$ = NULL; }
  | KW_STORAGE name     { $$ = $2; @$ = @2; }
  ;

opt_maxrate:
    %empty              { $$ = NULL; }
  | KW_MAXRATE expr     { $$ = $2; }
  ;

opt_slide:
    %empty              { $$ = NULL; }
  | KW_SLIDE expr       { $$ = $2; }
  ;

opt_types:
    %empty              { $$ = NULL; }
  | types
  ;

types:
    type
        {
            $$ = ast_alloc(PROG, sizeof *$$);
            $$->v = grow(PROG, NULL, 0, &$$->cap, sizeof *$$->v);
            $$->v[$$->n++] = $1;
        }
  | types ',' type
        {
            $$ = $1;
            $$->v = grow(PROG, $$->v, $$->n, &$$->cap, sizeof *$$->v);
            $$->v[$$->n++] = $3;
        }
  ;

type:
    name
        {
            $$ = ast_alloc(PROG, sizeof *$$);
            $$->name = $1;
            $$->loc = @$;
        }
  | name '[' type ']'
        {
            $$ = ast_alloc(PROG, sizeof *$$);
            $$->name = $1;
            $$->a = $3;
            $$->loc = @$;
        }
  | '(' type ',' types ')'
        {
            $$ = ast_alloc(PROG, sizeof *$$);
            $$->n = $4->n + 1;
            $$->el = ast_alloc(PROG, sizeof *$$->el * (size_t)$$->n);
            $$->el[0] = $2;
            memcpy($$->el + 1, $4->v, sizeof *$$->el * (size_t)$4->n);
            $$->a = $2;
            $$->b = $4->v[0];
            $$->loc = @$;
        }
  ;

/* any keyword but true/false is also a name */
name:
    IDENT | KW_CONTEXT | KW_SOURCE | KW_WINDOW | KW_STREAM | KW_SLIDE | KW_IN
  | KW_STORAGE | KW_MAXRATE | KW_EXTERN | KW_VAL | KW_PARAM
  | KW_TABLE
  ;

expr:
    KW_IF '(' expr ')' expr KW_ELSE expr %prec IFX
        {
            $$ = expr_new(PROG, EX_COND, @$);
            $$->a = $3;
            $$->b = $5;
            $$->c = $7;
            $$->op = 'i';
        }
  | KW_IF '(' expr ')' expr %prec IFX
        {
            $$ = expr_new(PROG, EX_COND, @$);
            $$->a = $3;
            $$->b = $5;
            $$->no_else = true;
            $$->op = 'i';
        }
  | expr '?' expr ':' expr
        {
            $$ = expr_new(PROG, EX_COND, @$);
            $$->a = $1;
            $$->b = $3;
            $$->c = $5;
        }
  | expr OR expr        { $$ = binary(PROG, ST_OP_OR, $1, $3, @$); }
  | expr AND expr       { $$ = binary(PROG, ST_OP_AND, $1, $3, @$); }
  | expr EQ expr        { $$ = binary(PROG, ST_OP_EQ, $1, $3, @$); }
  | expr NE expr        { $$ = binary(PROG, ST_OP_NE, $1, $3, @$); }
  | expr '<' expr       { $$ = binary(PROG, '<', $1, $3, @$); }
  | expr '>' expr       { $$ = binary(PROG, '>', $1, $3, @$); }
  | expr LE expr        { $$ = binary(PROG, ST_OP_LE, $1, $3, @$); }
  | expr GE expr        { $$ = binary(PROG, ST_OP_GE, $1, $3, @$); }
  | expr '+' expr       { $$ = binary(PROG, '+', $1, $3, @$); }
  | expr '-' expr       { $$ = binary(PROG, '-', $1, $3, @$); }
  | expr '*' expr       { $$ = binary(PROG, '*', $1, $3, @$); }
  | expr '/' expr       { $$ = binary(PROG, '/', $1, $3, @$); }
  | expr '%' expr       { $$ = binary(PROG, '%', $1, $3, @$); }
  | '-' expr %prec UNARY
        {
            $$ = expr_new(PROG, EX_UNARY, @$);
            $$->op = '-';
            $$->a = $2;
        }
  | '!' expr %prec UNARY
        {
            $$ = expr_new(PROG, EX_UNARY, @$);
            $$->op = '!';
            $$->a = $2;
        }
  | postfix
  ;

postfix:
    primary
  | postfix '.' name
        {
            $$ = expr_new(PROG, EX_FIELD, @$);
            $$->a = $1;
            $$->name = $3;
            $$->name_loc = @3;
        }
  | postfix '.' name '(' opt_args ')'
        {
            $$ = expr_new(PROG, EX_METHOD, @$);
            $$->a = $1;
            $$->name = $3;
            $$->name_loc = @3;
            set_args($$, $5);
        }
  | postfix '[' expr ']'
        {
            $$ = expr_new(PROG, EX_INDEX, @$);
            $$->a = $1;
            $$->b = $3;
            $$->name_loc = @2;
        }
  ;

primary:
    INT | FLOAT | STRING | DURATION | BOOL
  | name
        {
            $$ = expr_new(PROG, EX_NAME, @$);
            $$->name = $1;
        }
  | name '(' opt_args ')'
        {
            $$ = expr_new(PROG, EX_CALL, @$);
            $$->name = $1;
            $$->name_loc = @1;
            set_args($$, $3);
        }
  | '(' expr ')'
        {
            $$ = $2;
        }
  | '(' exprs ')'
        {
            $$ = expr_new(PROG, EX_TUPLE, @$);
            set_args($$, $2);
            $$->a = $2->v[0]; /* as before tuples: a pair's a, b */
            $$->b = $2->v[1];
        }
  | '[' opt_args ']'
        {
            $$ = expr_new(PROG, EX_LIST, @$);
            set_args($$, $2);
        }
  | '{' lets expr '}'
        {
            $$ = expr_new(PROG, EX_BLOCK, @$);
            set_args($$, $2);
            $$->c = $3;
        }
  | '{' lets error '}'
        {
            /* reported; the statement goes on after the block */
            $$ = expr_new(PROG, EX_BLOCK, @$);
            $$->bad = true;
            yyerrok;
        }
  ;

exprs:
    expr ',' expr       { $$ = list_add(PROG, list_add(PROG, NULL, $1), $3); }
  | exprs ',' expr      { $$ = list_add(PROG, $1, $3); }
  ;

/* the vals of a block: val NAME = expr; ... */
lets:
    %empty              { $$ = NULL; }
  | lets KW_VAL name '=' expr ';'
        {
            st_expr *l = expr_new(PROG, EX_LET, @$);
            l->name = $3;
            l->name_loc = @3;
            l->a = $5;
            l->loc = @2;
            $$ = list_add(PROG, $1, l);
        }
  ;

opt_args:
    %empty              { $$ = NULL; }
  | args
  ;

args:
    arg                 { $$ = list_add(PROG, NULL, $1); }
  | args ',' arg        { $$ = list_add(PROG, $1, $3); }
  ;

arg:
    expr
  | expr ARROW expr     { $$ = lambda(PROG, $1, $3, @$); }
  | name '=' expr
        {
            $$ = expr_new(PROG, EX_NAMED_ARG, @$);
            $$->name = $1;
            $$->name_loc = @1;
            $$->a = $3;
        }
  ;

%%

static void yyerror(YYLTYPE *loc, yyscan_t scanner, const char *msg)
{
    st_lexstate *s = yyget_extra(scanner);
    if (strstr(msg, "exhausted"))
        diag_error(s->diag, *loc, "program is nested too deeply");
    else
        diag_error(s->diag, *loc, "%s", msg);
}

/* A token as named in messages: 'x' for punctuation and keywords. */
static void sym_display(yysymbol_kind_t k, char *buf, size_t size)
{
    switch (k) {
    case YYSYMBOL_IDENT: snprintf(buf, size, "name"); return;
    case YYSYMBOL_INT: snprintf(buf, size, "expression"); return;
    case YYSYMBOL_FLOAT: snprintf(buf, size, "number"); return;
    case YYSYMBOL_DURATION: snprintf(buf, size, "duration"); return;
    case YYSYMBOL_STRING: snprintf(buf, size, "string"); return;
    case YYSYMBOL_BOOL: snprintf(buf, size, "boolean"); return;
    case YYSYMBOL_CBLOCK: snprintf(buf, size, "C block"); return;
    case YYSYMBOL_YYEOF: snprintf(buf, size, "end of file"); return;
    default: break;
    }
    const char *name = yysymbol_name(k);
    size_t n = strlen(name);
    if (n >= 2 && name[0] == '"')
        snprintf(buf, size, "'%.*s'", (int)(n - 2), name + 1);
    else
        snprintf(buf, size, "%s", name);
}

/* Tokens that continue an expression: left out of "expected" lists. */
static bool sym_continues(const char *disp)
{
    static const char *const ops[] = { "'||'", "'&&'", "'=='", "'!='", "'<='", "'>='", "'<'", "'>'",
                                       "'+'", "'-'", "'*'", "'/'", "'%'", "'?'", "'.'", "'('", "'!'" };
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (strcmp(disp, ops[i]) == 0)
            return true;
    return false;
}

static bool sym_is_keyword(yysymbol_kind_t k)
{
    return k == YYSYMBOL_KW_CONTEXT || k == YYSYMBOL_KW_SOURCE || k == YYSYMBOL_KW_WINDOW ||
           k == YYSYMBOL_KW_STREAM || k == YYSYMBOL_KW_SLIDE || k == YYSYMBOL_KW_IN ||
           k == YYSYMBOL_KW_STORAGE || k == YYSYMBOL_KW_MAXRATE || k == YYSYMBOL_KW_EXTERN ||
           k == YYSYMBOL_KW_VAL || k == YYSYMBOL_KW_PARAM || k == YYSYMBOL_KW_TABLE;
}

static int report_syntax_error(const yypcontext_t *ctx, yyscan_t scanner);

/* Syntax errors, and a hint when Python's lambda comes just before one. */
static int yyreport_syntax_error(const yypcontext_t *ctx, yyscan_t scanner)
{
    st_lexstate *s = yyget_extra(scanner);
    st_loc loc = *yypcontext_location(ctx);
    int before = s->diag->nerrors;
    int rc = report_syntax_error(ctx, scanner);
    st_loc l = s->lambda_loc;
    if (s->diag->nerrors > before && l.first_line > 0 && l.first_line == loc.first_line && l.first_column < loc.first_column) {
        diag_note(s->diag, l, "Python's lambda x: e is written x => e, and lambda a, b: e is (a, b) => e");
        s->lambda_loc.first_line = 0;
    }
    return rc;
}

static int report_syntax_error(const yypcontext_t *ctx, yyscan_t scanner)
{
    st_lexstate *s = yyget_extra(scanner);
    yysymbol_kind_t tok = yypcontext_token(ctx);
    st_loc loc = *yypcontext_location(ctx);
    if (tok == YYSYMBOL_INVALID)
        return 0; /* the lexer has reported it */

    char what[96];
    switch (tok) {
    case YYSYMBOL_YYEOF: snprintf(what, sizeof what, "end of file"); break;
    case YYSYMBOL_STRING: snprintf(what, sizeof what, "string literal"); break;
    case YYSYMBOL_CBLOCK: snprintf(what, sizeof what, "C block"); break;
    default: snprintf(what, sizeof what, "'%s%s'", s->tok_text, s->tok_long ? "..." : ""); break;
    }

    yysymbol_kind_t exp[64];
    int n = yypcontext_expected_tokens(ctx, exp, 64);
    if (n < 0)
        n = 0;
    bool semi = false, has_expr = false, has_name = false, stmt = false;
    char disp[64][32];
    for (int i = 0; i < n; i++) {
        sym_display(exp[i], disp[i], sizeof disp[i]);
        semi |= strcmp(disp[i], "';'") == 0;
        has_expr |= exp[i] == YYSYMBOL_INT;
        has_name |= exp[i] == YYSYMBOL_IDENT;
        stmt |= exp[i] == YYSYMBOL_CBLOCK;
    }
    if (semi) {
        /* as gcc: a missing ';' is reported just after the previous token
           when the next one is on a later line */
        st_loc prev = s->prev_loc;
        if (prev.last_line > 0 && loc.first_line > prev.last_line) {
            loc.first_line = loc.last_line = prev.last_line;
            loc.first_column = loc.last_column = prev.last_column + 1;
        }
        if (tok == YYSYMBOL_YYEOF)
            diag_error(s->diag, loc, "expected ';' at end of input");
        else
            diag_error(s->diag, loc, "expected ';' before %s", what);
        return 0;
    }
    if (stmt) {
        diag_error(s->diag, loc, "unexpected %s, expected a declaration or statement", what);
        return 0;
    }
    /* what may come here, without the tokens that would continue an
       expression and the keywords that a name may also be */
    const char *names[8];
    int k = 0;
    if (has_expr)
        names[k++] = "expression";
    else if (has_name)
        names[k++] = "name";
    for (int i = 0; i < n && k < 8; i++) {
        yysymbol_kind_t e = exp[i];
        if (e == YYSYMBOL_INT || e == YYSYMBOL_IDENT || sym_continues(disp[i]))
            continue;
        if ((has_expr || has_name) && sym_is_keyword(e))
            continue;
        if (has_expr && (e == YYSYMBOL_FLOAT || e == YYSYMBOL_STRING || e == YYSYMBOL_DURATION ||
                         e == YYSYMBOL_BOOL || strcmp(disp[i], "'-'") == 0 || e == YYSYMBOL_KW_IF ||
                         strcmp(disp[i], "'{'") == 0 || strcmp(disp[i], "'['") == 0))
            continue;
        names[k++] = disp[i];
    }
    if (k == 0 || k > 4) {
        diag_error(s->diag, loc, "unexpected %s", what);
        return 0;
    }
    char list[256];
    size_t len = 0;
    list[0] = '\0';
    for (int i = 0; i < k; i++) {
        const char *sep = i == 0 ? "" : i == k - 1 ? " or " : ", ";
        int w = snprintf(list + len, sizeof list - len, "%s%s", sep, names[i]);
        if (w < 0 || (size_t)w >= sizeof list - len)
            break;
        len += (size_t)w;
    }
    diag_error(s->diag, loc, "unexpected %s, expected %s", what, list);
    return 0;
}

st_program *parse_program(st_source *src, st_diag *d)
{
    st_program *p = program_new(src ? src->name : "<input>");
    if (!src)
        return p;
    st_lexstate st;
    memset(&st, 0, sizeof st);
    st.prog = p;
    st.diag = d;
    st.line = 1;
    st.col = 1;
    yyscan_t scanner;
    if (yylex_init_extra(&st, &scanner) != 0) {
        diag_error(d, (st_loc){ 0, 0, 0, 0 }, "cannot start the scanner");
        return p;
    }
    YY_BUFFER_STATE b = yy_scan_bytes(src->text, (int)src->len, scanner);
    yyparse(scanner);
    yy_delete_buffer(b, scanner);
    yylex_destroy(scanner);
    free(st.buf);
    return p;
}
