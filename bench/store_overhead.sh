#!/usr/bin/env bash
# The error log's cost under load: the error path (every request a catalog
# error) through ErrcatLayer with the SQLite error log off and on, in one run,
# interleaved, over loopback with wrk. Prints req/s and p99 per variant, the
# on/off ratio (target >= 0.90; the median of per-round ratios), and the
# log's accepted/written/dropped counts.
#
# Two more variants (crates/errcat-store/examples/loadtest_store.rs) say
# where the cost is: `event`, an observer that drops each event (what the
# layer spends making the event), and `floor`, the least a durable per-error
# SQLite log can do (ids, code, status and time; a primary key and no other
# index; the log's batch and linger): what any log writing a row per error
# on the server's core costs at least.
#
# Two scenarios, each on a fresh server: `err`, every request an error (a
# storm: the log samples 4xx once its writer would need more than its
# budget; target on/off >= 0.90 with no 5xx lost), and `mix5`, 5% errors and
# the rest successes (target on/off >= 0.98 with every error recorded). The
# log's line says how many records it wrote and how many it sampled out.
#
#   bash bench/store_overhead.sh        (ROUNDS=3 DURATION=10 CONNECTIONS=32 PORT=18090 SCENARIOS="err mix5")
set -euo pipefail
SCENARIOS=${SCENARIOS:-err mix5}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
PORT=${PORT:-18090}
cd "$(dirname "$0")/.."
command -v wrk >/dev/null 2>&1 || { apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }; }
cargo build --release --quiet -p errcat-store --features axum --example loadtest_store
bin=${CARGO_TARGET_DIR:-target}/release/examples/loadtest_store
work=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill -INT "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
pin() { if command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -gt "$1" ]; then echo "taskset -c $1"; fi; }
# wrk's script for `mix5`: one request in 20 is the error.
cat > "$work/mix5.lua" <<'LUA'
local n = 0
request = function()
  n = n + 1
  if n % 20 == 0 then return wrk.format("GET", "/err") end
  return wrk.format("GET", "/ok")
end
LUA
variants=(off on event floor)
median() { sort -g -k1,1 "$1" | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'; }
for scenario in $SCENARIOS; do
    rm -f "$work"/*.all "$work"/*.median "$work"/errcat.db*
    $(pin 1) "$bin" "$PORT" "$work/errcat.db" > "$work/server.log" &
    server=$!
    for _ in $(seq 50); do grep -q ready "$work/server.log" 2>/dev/null && break; sleep 0.1; done
    declare -A port_of=([off]=$PORT [on]=$((PORT + 1)) [event]=$((PORT + 2)) [floor]=$((PORT + 3)))
    if [ "$scenario" = mix5 ]; then script=(-s "$work/mix5.lua"); path=/; target_on=0.98; else script=(); path=/err; target_on=0.90; fi
    run() { # name
        $(pin 0) wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency "${script[@]}" "http://127.0.0.1:${port_of[$1]}$path" > "$work/$1.$r.txt"
        rps=$(awk '/Requests\/sec/ {print $2}' "$work/$1.$r.txt")
        p99=$(awk '$1 == "99%" {print $2}' "$work/$1.$r.txt")
        echo "run $scenario $1 round=$r req/s=$rps p99=$p99"
        echo "$rps $p99" >> "$work/$1.all"
    }
    for v in "${variants[@]}"; do
        $(pin 0) wrk -t1 -c"$CONNECTIONS" -d3s "${script[@]}" "http://127.0.0.1:${port_of[$v]}$path" > /dev/null
    done
    # Each round runs every variant once, the order rotated from round to round.
    n=${#variants[@]}
    for r in $(seq "$ROUNDS"); do
        for i in $(seq 0 $((n - 1))); do
            run "${variants[$(((i + r - 1) % n))]}"
        done
    done
    for v in "${variants[@]}"; do
        read -r rps p99 < <(median "$work/$v.all")
        printf 'summary %-5s %-5s req/s=%s p99=%s (median of %s)\n' "$scenario" "$v" "$rps" "$p99" "$ROUNDS"
        echo "$rps" > "$work/$v.median"
    done
    # Judged on the median of per-round ratios: the runs of a round share the
    # machine's state of the moment (see bench/load.sh); the ratio of the
    # medians is printed too.
    ratio() { # label numerator denominator target (- for none)
        paste "$work/$2.all" "$work/$3.all" | awk '{print $1 / $3}' > "$work/ratio.all"
        awk -v p="$(median "$work/ratio.all")" -v a="$(cat "$work/$2.median")" -v b="$(cat "$work/$3.median")" -v t="$4" -v l="$scenario $1" 'BEGIN {
            v = (t == "-") ? "(no target)" : sprintf("(target >= %s) %s", t, (p >= t + 0) ? "PASS" : "MISS")
            printf "ratio %-24s req/s paired %.3f %s; medians %.3f\n", l, p, v, a / b
        }'
    }
    ratio "store on/off" on off "$target_on"
    ratio "event/off" event off -
    ratio "floor/off" floor off -
    ratio "on/floor" on floor -
    kill -INT $server; wait $server 2>/dev/null || true
    grep -E "^(log|floor):" "$work/server.log" | sed "s/^/$scenario /"
done
