set -e
# parts and elements of every saved batch: "dir nparts elements"
while read -r d n want; do
    [ "$(ls out/$d | grep -c "^part-")" = "$n" ] || { echo "out/$d: not $n parts"; exit 1; }
    got=$(cat out/$d/part-* | tr "\n" " " | sed "s/ $//")
    [ "$got" = "$want" ] || { echo "out/$d: $got, not $want"; exit 1; }
done <<'EOF'
cbk-1000 2 (a,2) (b,1) (c,1) (d,1) (e,1)
cbk-2000 2 (f,1)
cbk-3000 2 
cbv-1000 2 (a,2) (b,1) (c,1) (d,1) (e,1)
cbv-2000 2 (f,1)
cbv-3000 2 
cog-1000 1 (a,(CompactBuffer(1, 1),CompactBuffer(1, 1))) (b,(CompactBuffer(1),CompactBuffer(1))) (c,(CompactBuffer(1),CompactBuffer(1))) (d,(CompactBuffer(1),CompactBuffer(1))) (e,(CompactBuffer(1),CompactBuffer(1)))
cog-2000 1 (f,(CompactBuffer(1),CompactBuffer(1)))
cog-3000 1 
dst-1000 3 a b c d e
dst-2000 3 f
dst-3000 3 
gbk-1000 2 (a,CompactBuffer(1, 1)) (b,CompactBuffer(1)) (c,CompactBuffer(1)) (d,CompactBuffer(1)) (e,CompactBuffer(1))
gbk-2000 2 (f,CompactBuffer(1))
gbk-3000 2 
gbkw-1000 5 (a,ArrayBuffer(1, 1)) (b,ArrayBuffer(1)) (c,ArrayBuffer(1)) (d,ArrayBuffer(1)) (e,ArrayBuffer(1))
gbkw-2000 5 (a,ArrayBuffer(1, 1)) (b,ArrayBuffer(1)) (c,ArrayBuffer(1)) (d,ArrayBuffer(1)) (e,ArrayBuffer(1)) (f,ArrayBuffer(1))
gbkw-3000 5 (f,ArrayBuffer(1))
join-1000 4 (a,(1,1)) (a,(1,1)) (b,(1,1)) (c,(1,1)) (a,(1,1)) (a,(1,1)) (d,(1,1)) (e,(1,1))
join-2000 4 (f,(1,1))
join-3000 4 
rbk-1000 3 (a,2) (b,1) (c,1) (d,1) (e,1)
rbk-2000 3 (f,1)
rbk-3000 3 
rbkaw-1000 3 (a,2) (b,1) (c,1) (d,1) (e,1)
rbkaw-2000 3 (a,2) (b,1) (c,1) (d,1) (e,1) (f,1)
rbkaw-3000 3 (f,1)
sbk-1000 2 (e,1) (d,1) (c,1) (b,1) (a,1) (a,1)
sbk-2000 2 (f,1)
sbk-3000 2 
EOF
[ "$(ls -d out/* | wc -l)" = 30 ] || { echo "not 30 saved batches"; exit 1; }
