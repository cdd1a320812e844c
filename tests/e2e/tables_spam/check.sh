# a replay resumed from its checkpoint reads the table again at start: the
# second run sees the file as it is then ("hello" added)
set -e
rm -rf ck
./prog --replay lines=lines.replay --checkpoint ck --batches 1 > run1.txt 2>/dev/null
[ "$(grep -c '^Time' run1.txt)" = 2 ]
printf '\nhello\n' >> spam.txt   # spam.txt ends without a newline
./prog --replay lines=lines.replay --checkpoint ck > run2.txt 2>err2.txt
[ "$(cat err2.txt)" = "prog: note: context 't': resuming from checkpoint ck/t after the batch at 1000 ms" ] || { cat err2.txt; exit 1; }
cat > want.txt <<'WANT'
-------------------------------------------
Time: 2000 ms
-------------------------------------------
(world,1)

-------------------------------------------
Time: 2000 ms
-------------------------------------------
(hello,Some(hello))
(free,Some(free))
(win,Some(win))

WANT
diff want.txt run2.txt
