# 0..9, each once (in order: one receiver thread)
set -e
[ "$(for d in $(ls -d res/n-* | sort); do cat "$d"/part-*; done)" = "$(seq 0 9)" ]
