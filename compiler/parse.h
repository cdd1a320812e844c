/* parse.h: source text -> syntax tree (lexer.l + parser.y).
 *
 * parse_program() always returns a program; after syntax errors it holds
 * every statement that parsed, and diag has counted the errors. The parser
 * checks nothing beyond the grammar: sema does.
 *
 * st_lexstate is the scanner's yyextra, shared by lexer.l and parser.y
 * only; nothing else should touch it.
 */
#ifndef STREAMC_PARSE_H
#define STREAMC_PARSE_H

#include "ast.h"
#include "diag.h"
#include "source.h"

st_program *parse_program(st_source *src, st_diag *d);

typedef struct st_lexstate {
    st_program *prog;
    st_diag *diag;
    int line, col;          /* position of the next character */
    st_loc tok_start;       /* start of a multi-rule token (string, C block) */
    char *buf;              /* string / C block being collected (malloc'd) */
    size_t buflen, bufcap;
    bool buf_bad;           /* a lexical error inside the current string */
    /* the last token returned, for syntax error messages */
    char tok_text[48];
    bool tok_long;          /* tok_text was cut */
    st_loc tok_loc;
    st_loc prev_loc;        /* the token before it */
    st_loc lambda_loc;      /* the last name `lambda` (Python's), for a hint */
} st_lexstate;

#endif
