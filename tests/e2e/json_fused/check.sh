set -e
# the calls of prog.stream are fused: one scan per chain element
"$STREAMC" --emit-c fused.c prog.stream
n=$(grep -c 'st_json_fields(' fused.c)
[ "$n" -ge 8 ] || { echo "prog.stream: $n st_json_fields calls in the generated C, want 8 or more"; exit 1; }
! grep -q 'st_json(' fused.c || { echo "prog.stream: an unfused st_json call is left"; grep -n 'st_json(' fused.c; exit 1; }
# unfused.stream: the same program with no call fused
# (built as u/prog from u/prog.stream: the warnings name the program)
mkdir -p u
cp unfused.stream u/prog.stream
(cd u && "$STREAMC" -o prog prog.stream && "$STREAMC" --emit-c prog.c prog.stream)
! grep -q 'st_json_fields' u/prog.c || { echo "unfused.stream: a fused call"; exit 1; }
(cd u && ./prog --replay ev=../input.replay > out 2> err)
./prog --replay ev=input.replay > fused.out 2> fused.err
cmp fused.out u/out || { echo "fused and unfused outputs differ"; diff fused.out u/out; exit 1; }
cmp fused.err u/err || { echo "fused and unfused skips differ"; diff fused.err u/err; exit 1; }
