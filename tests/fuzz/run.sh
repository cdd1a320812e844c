#!/usr/bin/env bash
# tests/fuzz/run.sh [short|long|RUNS]: builds the libFuzzer targets with
# clang (ASan + UBSan) and runs them: fuzz_frontend on a seed corpus made
# of every program in the tree (and tests/fuzz/seeds/, with the dictionary
# stream.dict), fuzz_recovery (log recovery, block
# decoding, snapshots, the manifest) on tests/fuzz/recovery_corpus/.
# short: 30k executions of the one, 20k of the other (part of make test);
# long: 10M each (make fuzz). A crash leaves its input in build/fuzz/ and
# fails the run; turn it into a regression test under
# tests/fuzz/regressions/ (front end) or tests/fuzz/recovery_corpus/
# (recovery), which every run replays first. fuzz_json (st_json_fields
# against st_json, differential) starts from tests/fuzz/json_corpus/
# (100k executions in make test); a finding goes there too.
set -eu
cd "$(dirname "$0")/../.."
mode=${1:-short}
case "$mode" in
short) runs=30000 rruns=20000 jruns=100000 ;;
long) runs=10000000 rruns=10000000 jruns=10000000 ;;
*) runs=$mode rruns=$mode jruns=$mode ;;
esac
if ! command -v clang >/dev/null; then
    echo "fuzz: clang not installed; skipped"
    exit 0
fi
out=build/fuzz
mkdir -p "$out/obj" "$out/corpus"
make -s build/obj/compiler/parser.tab.c build/obj/compiler/lexer.c build/obj/compiler/cnames.inc >/dev/null
flags="-std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -Icompiler -Ibuild/obj/compiler -Iruntime"
objs=""
for f in compiler/*.c build/obj/compiler/parser.tab.c build/obj/compiler/lexer.c; do
    [ "$(basename "$f")" = main.c ] && continue
    o="$out/obj/$(basename "$f" .c).o"
    # rebuilt when its source or any compiler header is newer (a header
    # change alters struct layouts every object must agree on)
    if [ ! -f "$o" ] || [ "$f" -nt "$o" ] || [ -n "$(find compiler build/obj/compiler -name '*.h' -newer "$o")" ]; then
        clang $flags -w -c "$f" -o "$o"
    fi
    objs="$objs $o"
done
clang $flags -fsanitize=fuzzer tests/fuzz/fuzz_frontend.c $objs -o "$out/fuzz_frontend"
for f in examples/*.stream tests/spec/*.stream tests/diag/*.stream tests/e2e/*/prog.stream tests/fuzz/seeds/*.stream; do
    cp "$f" "$out/corpus/$(echo "$f" | tr / _)"
done
if [ -d tests/fuzz/regressions ] && [ -n "$(ls tests/fuzz/regressions)" ]; then
    "$out/fuzz_frontend" tests/fuzz/regressions/* >/dev/null 2>&1 || { echo "fuzz: a regression input fails"; exit 1; }
fi
# -max_len keeps inputs program-sized; -timeout catches hangs; the
# dictionary holds the language's tokens (records: val, if, [ ], Some ..., regexes, param)
"$out/fuzz_frontend" -runs="$runs" -max_len=4096 -timeout=10 -print_final_stats=1 -dict=tests/fuzz/stream.dict \
    -artifact_prefix="$out/" "$out/corpus" 2>"$out/log" || { tail -40 "$out/log"; exit 1; }
grep -E 'stat::number_of_executed_units|Done' "$out/log" | tail -2
echo "fuzz: $runs executions, no finding"

# ---- recovery: the runtime's readers of a checkpoint directory ----
mkdir -p "$out/rtobj" "$out/rcorpus"
robjs=""
libkinds=$(sh compiler/tools/kind_libs.sh runtime/st_kinds.def | cut -d: -f2)
for f in runtime/*.c runtime/sources/*.c; do
    # the kinds that need a C library (librdkafka...) are not the core's
    case " $(echo $libkinds) " in *" $f "*) continue ;; esac
    o="$out/rtobj/$(echo "${f#runtime/}" | tr / -)"; o="${o%.c}.o"
    if [ ! -f "$o" ] || [ "$f" -nt "$o" ] || [ runtime/rt_internal.h -nt "$o" ] || [ runtime/engine.h -nt "$o" ]; then
        clang $flags -w -c "$f" -o "$o"
    fi
    robjs="$robjs $o"
done
clang $flags -fsanitize=fuzzer tests/fuzz/fuzz_recovery.c $robjs -lpthread -lm -o "$out/fuzz_recovery"
"$out/fuzz_recovery" -close_fd_mask=2 tests/fuzz/recovery_corpus/* >"$out/rlog" 2>&1 || { echo "fuzz: a recovery corpus input fails"; tail -40 "$out/rlog"; exit 1; }
cp tests/fuzz/recovery_corpus/* "$out/rcorpus/"
"$out/fuzz_recovery" -runs="$rruns" -max_len=4096 -timeout=10 -print_final_stats=1 -close_fd_mask=2 \
    -artifact_prefix="$out/" "$out/rcorpus" 2>"$out/rlog" || { tail -40 "$out/rlog"; exit 1; }
echo "fuzz: recovery: $rruns executions, no finding"

# ---- json(): the fused scan against st_json ----
clang $flags -fsanitize=fuzzer tests/fuzz/fuzz_json.c $robjs -lpthread -lm -o "$out/fuzz_json"
mkdir -p "$out/jcorpus"
cp tests/fuzz/json_corpus/* "$out/jcorpus/"
"$out/fuzz_json" -runs="$jruns" -max_len=1024 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$out/" "$out/jcorpus" 2>"$out/jlog" || { tail -40 "$out/jlog"; exit 1; }
echo "fuzz: json: $jruns executions, no finding"
