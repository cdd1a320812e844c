# the directories, their part files and _SUCCESS
set -e
[ "$(ls out)" = "$(printf 'plain-1000\nplain-500\nw-1000.txt\nw-500.txt')" ]
for d in out/w-500.txt out/plain-500 out/w-1000.txt; do [ -f "$d/_SUCCESS" ] && [ ! -s "$d/_SUCCESS" ]; done
[ "$(cat out/w-500.txt/part-*)" = "$(printf '(ab,2)\n(abcd,2)\n(abcdef,2)')" ]
[ "$(cat out/w-1000.txt/part-*)" = "(x,1)" ]
[ -f out/w-500.txt/part-00000 ]
