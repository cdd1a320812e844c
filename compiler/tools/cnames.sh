#!/bin/sh
# compiler/tools/cnames.sh CC RUNTIME_DIR > cnames.inc
#
# The C names a program's extern and foreachRDD functions must not take,
# as a sorted list of C string literals (sema_cnames.c searches it):
#   - every macro the generated C's headers define (cc -dM -E), and every
#     name they declare at file scope (functions, objects, typedefs);
#   - every symbol the C library and libm export (nm -D of the libc.so.6
#     and libm.so.6 that CC links): a function of the program with such a
#     name would replace the library's for the runtime too.
# Names with a leading '_', ending in _t, or in the runtime's prefixes are
# refused by rule in sema_cnames.c and left out here. A missing nm or a C
# library that is not a shared object leaves only the macros.
set -eu
CC=${1:-cc}
RT=$2
hdr='#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "streamrt.h"
#include "st_map.h"
#include "st_gen.h"'
{
    printf '%s\n' "$hdr" | $CC -std=gnu11 -dM -E -I"$RT" - |
        awk '$1 == "#define" { n = $2; sub(/\(.*/, "", n); print n }'
    # file-scope declarations: the word before the first '(' of a
    # declaration, or the last word of one without '(' (typedefs, objects)
    printf '%s\n' "$hdr" | $CC -std=gnu11 -E -P -I"$RT" - | tr '\n' ' ' | sed 's/[;{}]/&\n/g' |
        awk '{ line = $0; sub(/^ +/, "", line)
               depth -= gsub(/}/, "}", line)
               if (depth == 0 && line !~ /^}/ && match(line, /^[^(]*[^A-Za-z0-9_][A-Za-z_][A-Za-z0-9_]* *\(/)) {
                   w = substr(line, 1, RLENGTH); sub(/ *\($/, "", w); sub(/.*[^A-Za-z0-9_]/, "", w); print w
               } else if (depth == 0 && line !~ /\(/ && match(line, /[A-Za-z_][A-Za-z0-9_]* *;$/)) {
                   w = substr(line, RSTART, RLENGTH); sub(/ *;$/, "", w); print w
               }
               depth += gsub(/{/, "{", line) }'
    if command -v nm >/dev/null 2>&1; then
        for lib in libc.so.6 libm.so.6; do
            f=$($CC -print-file-name=$lib 2>/dev/null || true)
            [ -f "$f" ] || continue
            nm -D --defined-only "$f" 2>/dev/null | awk 'NF >= 3 { n = $3; sub(/@.*/, "", n); print n }'
        done
    fi
} | grep '^[A-Za-z][A-Za-z0-9_]*$' | grep -v '_t$' | grep -v '^\(st\|sc\|rt\|ST\|SC\|RT\)_' |
    LC_ALL=C sort -u | sed 's/.*/"&",/'
