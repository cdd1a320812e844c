set -e
for w in 2 8 70; do
    ./prog --replay lines=input.replay --batches 2 --workers $w > out.$w
    cmp expected out.$w || { echo "--workers $w: output differs from --workers 1"; exit 1; }
done
