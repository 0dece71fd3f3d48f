#!/usr/bin/env bash
# The error log's cost under load: the error path (every request a catalog
# error) through ErrcatLayer with the SQLite error log off and on, in one run,
# interleaved, over loopback with wrk. Prints req/s and p99 per variant, the
# on/off ratio (target >= 0.90; the median of per-round ratios), and the
# log's accepted/written/dropped counts.
#
#   bash bench/store_overhead.sh        (ROUNDS=3 DURATION=10 CONNECTIONS=32 PORT=18090)
set -euo pipefail
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
PORT=${PORT:-18090}
cd "$(dirname "$0")/.."
command -v wrk >/dev/null 2>&1 || { apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }; }
cargo build --release --quiet -p errcat-store --features axum --example loadtest_store
work=$(mktemp -d)
pin() { if command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -gt "$1" ]; then echo "taskset -c $1"; fi; }
$(pin 1) target/release/examples/loadtest_store "$PORT" "$work/errcat.db" > "$work/server.log" &
server=$!
trap 'kill -INT $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 50); do grep -q ready "$work/server.log" 2>/dev/null && break; sleep 0.1; done
run() { # name port
    $(pin 0) wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency "http://127.0.0.1:$2/err" > "$work/$1.$r.txt"
    rps=$(awk '/Requests\/sec/ {print $2}' "$work/$1.$r.txt")
    p99=$(awk '$1 == "99%" {print $2}' "$work/$1.$r.txt")
    echo "run $1 round=$r req/s=$rps p99=$p99"
    echo "$rps $p99" >> "$work/$1.all"
}
$(pin 0) wrk -t1 -c"$CONNECTIONS" -d3s "http://127.0.0.1:$PORT/err" > /dev/null
$(pin 0) wrk -t1 -c"$CONNECTIONS" -d3s "http://127.0.0.1:$((PORT + 1))/err" > /dev/null
for r in $(seq "$ROUNDS"); do
    if [ $((r % 2)) -eq 1 ]; then run off "$PORT"; run on $((PORT + 1)); else run on $((PORT + 1)); run off "$PORT"; fi
done
median() { sort -g -k1,1 "$1" | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'; }
read -r off_rps off_p99 < <(median "$work/off.all")
read -r on_rps on_p99 < <(median "$work/on.all")
echo "summary off req/s=$off_rps p99=$off_p99 (median of $ROUNDS)"
echo "summary on  req/s=$on_rps p99=$on_p99 (median of $ROUNDS)"
# Judged on the median of per-round ratios: the two runs of a round share
# the machine's state of the moment (see bench/load.sh); the ratio of the
# medians is printed too.
paste "$work/on.all" "$work/off.all" | awk '{print $1 / $3}' > "$work/ratio.all"
paired=$(median "$work/ratio.all")
awk -v p="$paired" -v a="$on_rps" -v b="$off_rps" 'BEGIN { printf "ratio store on/off req/s paired %.3f (target >= 0.90) %s; medians %.3f\n", p, (p >= 0.90 ? "PASS" : "MISS"), a / b }'
kill -INT $server; wait $server 2>/dev/null || true
grep "^log:" "$work/server.log"
