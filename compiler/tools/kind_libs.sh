#!/bin/sh
# kind_libs.sh DEF: the kinds of the table (runtime/st_kinds.def) that
# need a C library, one "LIB:FILE" a line: an ST_SOURCE_LIB(ID, "LIB")
# row's kind runs with runtime/sources/RECEIVER.c (its ST_SOURCE row),
# an ST_SINK_LIB(ID, "LIB") row's with runtime/sinks/NAME.c (its
# ST_SINK_IMPL row). The Makefile builds those files into
# libstreamrt_LIB.a instead of libstreamrt.a. An ST_TABLE_LIB(ID, "LIB")
# row's table kind runs with runtime/tables/IMPL.c (its ST_TABLE row). A
# row whose file is not in the tree (yet) is left out.
sed -n 's/^[ \t]*\(ST_SOURCE\|ST_SOURCE_LIB\|ST_SINK_IMPL\|ST_SINK_LIB\|ST_TABLE\|ST_TABLE_LIB\)(\(.*\))[ \t]*$/\1,\2/p' "$1" |
awk -F', *' '
    $1 == "ST_SOURCE"     { src[$2] = $NF }
    $1 == "ST_SINK_IMPL"  { sink[$2] = $3 }
    $1 == "ST_SOURCE_LIB" { slib[$2] = $3 }
    $1 == "ST_SINK_LIB"   { klib[$2] = $3 }
    $1 == "ST_TABLE"      { tab[$2] = $4 }
    $1 == "ST_TABLE_LIB"  { tlib[$2] = $3 }
    END {
        for (id in slib) if (id in src) { l = slib[id]; gsub(/"/, "", l); print l ":runtime/sources/" src[id] ".c" }
        for (id in klib) if (id in sink) { l = klib[id]; n = sink[id]; gsub(/"/, "", l); gsub(/"/, "", n); print l ":runtime/sinks/" n ".c" }
        for (id in tlib) if (id in tab) { l = tlib[id]; gsub(/"/, "", l); print l ":runtime/tables/" tab[id] ".c" }
    }' | sort | while IFS= read -r l; do if [ -f "$(dirname "$1")/../${l#*:}" ]; then echo "$l"; fi; done
