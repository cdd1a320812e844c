# every line of the file given with --param, in order, under the prefix
# given with --param (one directory per batch: res/up-TIME)
set -e
[ ! -e none ]
[ -n "$(ls res)" ]
for d in res/*; do case "$d" in res/up-[0-9]*) [ -f "$d/_SUCCESS" ] ;; *) exit 1 ;; esac; done
[ "$(for d in $(ls -d res/up-* | sort); do cat "$d"/part-*; done)" = "$(printf 'ONE\nTWO\nTHREE\nFOUR')" ]
