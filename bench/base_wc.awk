# base_wc.awk: word count per batch in awk, the scripting baseline.
#   awk -v batch=1000 -v nbatches=N -f base_wc.awk FILE
# Prints what pipelines/wordcount.stream prints. Offsets must not decrease.
function flush(k,    d, s, w, x) {
    d = 0; s = 0; w = 0
    for (x in c) { d++; s += c[x]; w += length(x) * c[x] }
    printf "-------------------------------------------\nTime: %d ms\n-------------------------------------------\n%d\n\n", k * batch, d
    printf "-------------------------------------------\nTime: %d ms\n-------------------------------------------\n", k * batch
    if (d > 0) printf "(%d,%d)\n", s, w
    printf "\n"
    split("", c)
}
BEGIN { cur = 1 }
{
    k = int($1 / batch) + 1
    if (k > nbatches) exit
    while (k > cur) { flush(cur); cur++ }
    for (i = 2; i <= NF; i++) c[$i]++
}
END { while (cur <= nbatches) { flush(cur); cur++ } }
