/* fuzz_frontend.c: libFuzzer target for the whole compiler front end and
 * code generator: any byte string goes through lex, parse and sema, and
 * a program that checks clean is also lowered and emitted as C. Nothing
 * may crash, hang, leak or trip a sanitizer; codegen may not assert on a
 * program sema accepted. Built and run by tests/fuzz/run.sh. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ast.h"
#include "codegen.h"
#include "diag.h"
#include "lower.h"
#include "parse.h"
#include "sema.h"
#include "source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink;
    if (!sink)
        sink = fopen("/dev/null", "w");
    st_source *src = source_from_string("fuzz.stream", (const char *)data, size);
    st_diag d;
    diag_init(&d, src, sink, false);
    st_program *p = parse_program(src, &d);
    bool ok = d.nerrors == 0;
    ok = sema_check(p, &d) && ok;
    diag_finish(&d);
    if (ok) {
        codegen_opts o = { .line_directives = true, .src_path = "fuzz.stream" };
        lw_plan *plan = lower_program(p);
        codegen_emit(p, plan, &o, sink);
        lower_free(plan);
    }
    program_free(p);
    source_free(src);
    return 0;
}
