# every line of the .json files, in name order, once, under res/; every
# file's name committed once, in order, after its batch completed
set -e
[ -n "$(ls res)" ]
[ "$(for d in $(ls -d res/up-* | sort); do cat "$d"/part-*; done)" = "$(cat in/a.json in/b.json in/c.json | tr a-z A-Z)" ]
[ "$(cat committed.txt)" = "$(printf 'a.json\nb.json\nc.json')" ]
