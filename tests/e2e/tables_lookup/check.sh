# many records on 4 workers at once: every lookup answers as the table
# says (counts computed here with awk from the same data)
set -e
awk 'BEGIN { for (i = 0; i < 30000; i++) { k = substr("defrukxxzz", 1 + (i * 7 % 5) * 2, 2); printf "%d\tu%d,%s\n", (i % 3) * 400, i, k } }' > many.replay
./prog --replay views=many.replay --workers 4 2>/dev/null | grep '^(' | sort > got.txt
awk -F'\t' '{ split($2, f, ","); k = f[2]; n = k == "de" ? "Germany" : k == "fr" ? "France" : k == "uk" ? "United\tKingdom" : k == "xx" ? "last" : "unknown"; c[n]++ }
     END { for (n in c) printf "(%s,%d)\n", n, c[n] }' many.replay | sort > want.txt
diff want.txt got.txt
