# -fdiagnostics-format=json: every golden diagnostic of tests/diag in both
# forms, compared diagnostic by diagnostic (kind, message, option, file,
# line, column, notes) by tests/tools/diag_compare.py, also with -Werror;
# the same exit status; valid JSON (json.loads, and python3 -m json.tool
# for a few); and a few exact
# JSON files (tests/diag_json/NAME.json for tests/diag/NAME.stream).
. "$(dirname "$0")/lib.sh"
D=$ROOT/tests/diag
pairs=()
for f in "$D"/*.stream; do
    name=$(basename "$f" .stream)
    for flags in "" "-Werror"; do
        t="$W/$name$flags.txt" j="$W/$name$flags.json"
        set +e
        (cd "$D" && NO_COLOR=1 "$STREAMC" $flags --check "$name.stream") >/dev/null 2>"$t"; trc=$?
        (cd "$D" && "$STREAMC" $flags -fdiagnostics-format=json --check "$name.stream") >"$W/j.out" 2>"$j"; jrc=$?
        set -e
        [ "$trc" = "$jrc" ] || fail "$name $flags: exit $trc as text, $jrc as json"
        [ ! -s "$W/j.out" ] || fail "$name $flags: json on stdout"
        ! grep -q 'generated\.' "$j" || fail "$name: summary line in json"
        pairs+=("$t" "$j")
    done
done
[ "${#pairs[@]}" -gt 160 ] || fail "only ${#pairs[@]} files"
python3 "$ROOT/tests/tools/diag_compare.py" "${pairs[@]}" || fail "text and json differ"
# valid JSON by python's own checker too
for j in "$W/multi_errors.json" "$W/warnings-Werror.json" "$W/cnames_extern.json"; do
    python3 -m json.tool "$j" >/dev/null || fail "invalid JSON: $j"
done
for g in "$ROOT"/tests/diag_json/*.json; do
    name=$(basename "$g" .json)
    (cd "$D" && "$STREAMC" -fdiagnostics-format=json --check "$name.stream") 2>"$W/j.err" >/dev/null || true
    diff -u "$g" "$W/j.err" || fail "$name: json differs from $g"
done
# a program without diagnostics is an empty array; -Werror's summary and
# colour never reach the JSON
printf 'context c { batch = 1s; }\nsource s = stdin();\ns.print();\n' > clean.stream
"$STREAMC" -fdiagnostics-format=json --color=always --check clean.stream 2>j.err || fail "clean: exit $?"
[ "$(cat j.err)" = "[]" ] || fail "clean: $(cat j.err)"
(cd "$D" && "$STREAMC" -fdiagnostics-format=json -Werror --color=always --check warnings.stream) 2>j.err && fail "-Werror: exit 0"
! grep -q "$(printf '\033')" j.err || fail "colour in json"
! grep -q 'treated as errors' j.err || fail "-Werror line in json"
# an input that cannot be read: one fatal error, as gcc 12 writes it, exit 2
rc=0; "$STREAMC" -fdiagnostics-format=json --check no/such.stream 2>j.err || rc=$?
[ "$rc" = 2 ] || fail "missing input: exit $rc"
[ "$(cat j.err)" = '[{"kind": "fatal error", "message": "cannot open '"'"'no/such.stream'"'"': No such file or directory", "locations": [], "children": [], "column-origin": 1, "escape-source": false}]' ] \
    || fail "missing input: $(cat j.err)"
python3 -m json.tool j.err >/dev/null || fail "missing input: not JSON"
echo ok
