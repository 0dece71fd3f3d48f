#!/usr/bin/env bash
# Load test: bare axum vs axum + errcat vs axum + a peer (http-api-problem),
# in one run on one machine, over loopback only, with wrk.
#
#   bash bench/load.sh
#
# Scenarios (each variant on its own port of one server process, see
# crates/errcat-axum/examples/loadtest.rs):
#   ok   GET /ok  {"status":"ok"} through the whole stack   target errcat/bare >= 0.97
#   err  GET /err TEMPLATE_NOT_FOUND with template_id        target errcat/bare >= 0.95
#        (bare: a pre-serialized static body of errcat's size) target errcat/peer >= 1.00
#
# Fair setup on 2 cores: the server runs 1 tokio worker thread pinned to
# CPU 1, wrk runs 1 thread pinned to CPU 0. Each variant gets a warm-up,
# then ROUNDS timed runs, the variants interleaved and their order rotated
# each round so that drift (other work on the machine) spreads over all of
# them. The summary takes the median run of each variant.
#
# Knobs (environment): ROUNDS=3 DURATION=10 WARMUP=3 CONNECTIONS=32
# PORT=18080 SERVER_THREADS=1 SERVER_CPU=1 WRK_CPU=0 SCENARIOS="ok err"
set -euo pipefail

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-3}
CONNECTIONS=${CONNECTIONS:-32}
PORT=${PORT:-18080}
SERVER_THREADS=${SERVER_THREADS:-1}
SERVER_CPU=${SERVER_CPU:-1}
WRK_CPU=${WRK_CPU:-0}
SCENARIOS=${SCENARIOS:-"ok err"}

cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null 2>&1; then
    echo "# installing wrk (Debian package)"
    if ! apt-get install -y wrk >/dev/null 2>&1; then
        apt-get update >/dev/null
        apt-get install -y wrk >/dev/null
    fi
fi

pin() { # pin CPU: the command prefix that pins to CPU (none on one CPU)
    if command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -gt "$1" ]; then
        echo "taskset -c $1"
    fi
}

echo "# building the server (release)"
cargo build --release --quiet -p errcat-axum --example loadtest
bin=target/release/examples/loadtest

work=$(mktemp -d)
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# Started directly (no subshell), so that $! is the server itself.
$(pin "$SERVER_CPU") "$bin" --threads "$SERVER_THREADS" --port "$PORT" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
    grep -q '^serving' "$work/server.log" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; exit 1; }
    sleep 0.1
done
grep -q '^serving' "$work/server.log" || { echo "server did not start"; cat "$work/server.log"; exit 1; }

declare -A port_of=([bare]=$PORT [errcat]=$((PORT + 1)) [peer]=$((PORT + 2)) [peer-ids]=$((PORT + 3)))

busy() { # compilers and other heavy processes on the machine right now
    ps -eo comm= | grep -cE '^(rustc|cargo|cc1|cc1plus|ld|clang|rust-lld|collect2)$' || true
}

echo "# machine: $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); $(uname -srm)"
echo "# wrk: $(wrk -v 2>&1 | head -1 | cut -c1-60)"
echo "# setup: server ${SERVER_THREADS} tokio worker thread(s) on CPU ${SERVER_CPU}; wrk -t1 -c${CONNECTIONS} on CPU ${WRK_CPU}; ${ROUNDS} x ${DURATION}s per variant after ${WARMUP}s warm-up"
echo "# start: loadavg $(cut -d' ' -f1-3 /proc/loadavg), busy processes $(busy)"
sed 's/^/# /' "$work/server.log"

HZ=$(getconf CLK_TCK)
server_ticks() { # the server's user + system CPU time, in clock ticks
    awk '{print $14 + $15}' "/proc/$server_pid/stat"
}
child_seconds() { # CPU time of this shell's finished children (wrk), in seconds
    # `times` must run in this shell, not in a $(...) subshell.
    times >"$work/times"
    awk 'NR == 2 {
        total = 0
        for (i = 1; i <= NF; i++) { split($i, p, "m"); sub("s", "", p[2]); total += p[1] * 60 + p[2] }
        print total
    }' "$work/times"
}

to_ms() { # wrk latency (123.45us, 1.20ms, 2.01s) -> ms
    awk -v v="$1" 'BEGIN {
        n = v + 0
        if (v ~ /us$/) n /= 1000
        else if (v ~ /ms$/) n = n
        else if (v ~ /m$/) n *= 60000
        else if (v ~ /s$/) n *= 1000
        printf "%.3f", n
    }'
}

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR] = $1} END {if (NR % 2) print a[(NR + 1) / 2]; else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

declare -A rps p50 p99 cpu
run() { # scenario variant round
    local scenario=$1 variant=$2 round=$3 path out s0 s1 c0 c1 t0 t1
    local r l50 l99 non2xx errors requests server_cpu wrk_cpu cost
    path=/$scenario
    s0=$(server_ticks)
    child_seconds >"$work/c0"
    c0=$(<"$work/c0")
    t0=$(date +%s.%N)
    out=$($(pin "$WRK_CPU") wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency "http://127.0.0.1:${port_of[$variant]}$path")
    t1=$(date +%s.%N)
    s1=$(server_ticks)
    child_seconds >"$work/c1"
    c1=$(<"$work/c1")
    server_cpu=$(awk -v a="$s0" -v b="$s1" -v hz="$HZ" -v t0="$t0" -v t1="$t1" 'BEGIN {printf "%.0f", 100 * (b - a) / hz / (t1 - t0)}')
    wrk_cpu=$(awk -v a="$c0" -v b="$c1" -v t0="$t0" -v t1="$t1" 'BEGIN {printf "%.0f", 100 * (b - a) / (t1 - t0)}')
    r=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
    l50=$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")
    l99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
    requests=$(awk '/requests in/ {print $1}' <<<"$out")
    non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' <<<"$out")
    errors=$(awk -F': ' '/Socket errors:/ {print $2}' <<<"$out")
    # Server CPU per request: what the stack costs, whatever share of the
    # CPU the scheduler left the server (other work on the machine).
    cost=$(awk -v a="$s0" -v b="$s1" -v hz="$HZ" -v n="$requests" 'BEGIN {printf "%.2f", 1e6 * (b - a) / hz / n}')
    printf 'run  %-3s %-8s round=%s req/s=%10.2f p50=%8.3fms p99=%8.3fms requests=%s non-2xx=%s socket_errors=[%s] server_cpu=%s%% server_us/req=%s wrk_cpu=%s%% loadavg=%s busy=%s\n' \
        "$scenario" "$variant" "$round" "$r" "$l50" "$l99" "$requests" "${non2xx:-0}" "${errors:-none}" \
        "$server_cpu" "$cost" "$wrk_cpu" "$(cut -d' ' -f1 /proc/loadavg)" "$(busy)"
    rps[$scenario/$variant]+="$r "
    p50[$scenario/$variant]+="$l50 "
    p99[$scenario/$variant]+="$l99 "
    cpu[$scenario/$variant]+="$cost "
}

variants_of() {
    case $1 in
    ok) echo "bare errcat peer" ;; # peer = bare on /ok: the control, showing the noise floor
    err) echo "bare errcat peer peer-ids" ;;
    esac
}

for scenario in $SCENARIOS; do
    read -r -a variants <<<"$(variants_of "$scenario")"
    for v in "${variants[@]}"; do
        $(pin "$WRK_CPU") wrk -t1 -c"$CONNECTIONS" -d"${WARMUP}s" "http://127.0.0.1:${port_of[$v]}/$scenario" >/dev/null
    done
    n=${#variants[@]}
    for round in $(seq 1 "$ROUNDS"); do
        for i in $(seq 0 $((n - 1))); do
            run "$scenario" "${variants[$(((i + round - 1) % n))]}" "$round"
        done
    done
done

echo "# end: loadavg $(cut -d' ' -f1-3 /proc/loadavg), busy processes $(busy)"

declare -A med cost
for scenario in $SCENARIOS; do
    read -r -a variants <<<"$(variants_of "$scenario")"
    for v in "${variants[@]}"; do
        k=$scenario/$v
        med[$k]=$(median <<<"${rps[$k]}")
        cost[$k]=$(median <<<"${cpu[$k]}")
        printf 'summary %-3s %-8s req/s=%10.2f p50=%8.3fms p99=%8.3fms server_us/req=%s (medians of %s runs; req/s: %s)\n' \
            "$scenario" "$v" "${med[$k]}" "$(median <<<"${p50[$k]}")" "$(median <<<"${p99[$k]}")" "${cost[$k]}" \
            "$ROUNDS" "${rps[$k]% }"
    done
done

# Two views of each ratio: requests/s as wrk measured them (the target), and
# the inverse ratio of server CPU per request, which is what the ratio of
# requests/s would be if each server had had its CPU to itself.
ratio() { # label numerator denominator target
    local r c verdict
    r=$(awk -v a="${med[$2]}" -v b="${med[$3]}" 'BEGIN {printf "%.3f", a / b}')
    c=$(awk -v a="${cost[$2]}" -v b="${cost[$3]}" 'BEGIN {printf "%.3f", b / a}')
    verdict=$(awk -v r="$r" -v t="$4" 'BEGIN {print (r >= t) ? "PASS" : "MISS"}')
    printf 'ratio %-26s req/s %s (target >= %s) %s; by server CPU/req %s\n' "$1" "$r" "$4" "$verdict" "$c"
}

for scenario in $SCENARIOS; do
    case $scenario in
    ok)
        ratio "ok  errcat/bare" ok/errcat ok/bare 0.97
        ratio "ok  peer/bare (control)" ok/peer ok/bare 0.97
        ;;
    err)
        ratio "err errcat/bare-static" err/errcat err/bare 0.95
        ratio "err errcat/peer" err/errcat err/peer 1.00
        ratio "err errcat/peer-ids" err/errcat err/peer-ids 1.00
        ;;
    esac
done
