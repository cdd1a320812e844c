set -e
for t in 1000 2000 3000; do
    d=out/r-$t
    [ "$(ls $d | grep -c '^part-')" = 5 ] || { echo "$d: not 5 parts"; exit 1; }
    for p in $d/part-*; do [ "$(wc -l < $p)" = 20 ] || { echo "$p: not 20 lines"; exit 1; }; done
    lo=$(( (t / 1000 - 1) * 100 + 1 ))
    [ "$(cat $d/part-* | sort -n | tr '\n' ' ')" = "$(seq $lo $((lo + 99)) | tr '\n' ' ')" ] || { echo "$d: elements differ"; exit 1; }
done
