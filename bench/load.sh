#!/usr/bin/env bash
# Load test: bare axum vs axum + errcat vs axum + a peer (http-api-problem),
# in one run on one machine, over loopback only, with wrk.
#
#   bash bench/load.sh
#
# Scenarios (each variant on its own port of one server process, see
# crates/errcat-axum/examples/loadtest.rs):
#   ok   GET /ok  {"status":"ok"} through the whole stack   target errcat/bare >= 0.97
#        (peer on /ok is the same code as bare: a control that shows the noise;
#        ids is bare axum with tower-http's request id layers and nothing
#        else: what request ids commonly cost; floor is the least a layer
#        giving each response a new id can do (crates/errcat-bench-support/src/peer_app.rs):
#        floor/bare bounds what any such layer can reach; noop is a layer
#        that does nothing: what axum's Router::layer costs by itself)
#   err  GET /err TEMPLATE_NOT_FOUND with template_id        target errcat/bare >= 0.95
#        bare: a pre-serialized static body of errcat's size  target errcat/peer >= 1.00
#        peer: http-api-problem, same members but the ids
#        peer-ids: the same plus two fresh UUIDv7 ids and errcat's headers
#        floor: errcat's bytes and headers formatted by hand in one pass,
#        behind the floor layer (the least any per-request error can cost)
#
# Fair setup on 2 cores: the server runs 1 tokio worker thread pinned to
# CPU 1, wrk runs 1 thread pinned to CPU 0. Each variant gets a warm-up,
# then ROUNDS timed runs, the variants interleaved and their order rotated
# each round so that drift spreads over all of them. Each ratio is judged
# on the median of its per-round ratios (see `ratio` below); the summary
# also gives each variant's median run.
#
# Shared machines: before each run the script waits for the other work on
# the machine (compilers, fuzzers, tests) to stop, and redoes a run in which the server could not use its whole CPU, both
# within a bounded budget (PATIENCE seconds in all). Runs that stay noisy are
# counted on the ratio lines. Besides requests/s, each run reports the
# server's CPU time per request, which other work on the machine disturbs
# much less.
#
# Knobs (environment): ROUNDS=3 DURATION=10 WARMUP=3 CONNECTIONS=32
# PORT=18080 SERVER_THREADS=1 SERVER_CPU=1 WRK_CPU=0 SCENARIOS="ok err"
# PATIENCE=120 SATURATED=85
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
PATIENCE=${PATIENCE:-120}
SATURATED=${SATURATED:-85}

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
bin=${CARGO_TARGET_DIR:-target}/release/examples/loadtest

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
    kill -0 "$server_pid" 2>/dev/null || {
        cat "$work/server.log"
        exit 1
    }
    sleep 0.1
done
grep -q '^serving' "$work/server.log" || {
    echo "server did not start"
    cat "$work/server.log"
    exit 1
}

declare -A port_of=([bare]=$PORT [errcat]=$((PORT + 1)) [peer]=$((PORT + 2)) [peer-ids]=$((PORT + 3)) [ids]=$((PORT + 4)) [floor]=$((PORT + 5)) [noop]=$((PORT + 6)))

others() { # % of all CPUs busy during 1 s; between runs, that is other work on the machine
    local u n s i w q sq st t0 i0 t1 i1
    read -r _ u n s i w q sq st _ </proc/stat
    t0=$((u + n + s + i + w + q + sq + st)) i0=$((i + w))
    sleep 1
    read -r _ u n s i w q sq st _ </proc/stat
    t1=$((u + n + s + i + w + q + sq + st)) i1=$((i + w))
    echo $((100 * ((t1 - t0) - (i1 - i0)) / (t1 - t0 > 0 ? t1 - t0 : 1)))
}

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

echo "# machine: $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); $(uname -srm)"
echo "# wrk: $(wrk -v 2>&1 | head -1 | cut -c1-60)"
echo "# setup: server ${SERVER_THREADS} tokio worker thread(s) on CPU ${SERVER_CPU}; wrk -t1 -c${CONNECTIONS} on CPU ${WRK_CPU}; ${ROUNDS} x ${DURATION}s per variant after ${WARMUP}s warm-up; patience ${PATIENCE}s"
echo "# start: loadavg $(cut -d' ' -f1-3 /proc/loadavg), other work $(others)% of the CPUs"
sed 's/^/# /' "$work/server.log"

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

spent=0   # seconds of PATIENCE used
before=0  # other work on the machine just before the run, in % of the CPUs
quiet() { # wait (within the budget) until the machine is idle but for us
    before=$(others)
    spent=$((spent + 1))
    while [ "$before" -ge 10 ] && [ "$spent" -lt "$PATIENCE" ]; do
        sleep 1
        before=$(others)
        spent=$((spent + 2))
    done
}

# One wrk run; sets the globals below and prints a `run` line.
r= l50= l99= server_cpu= cost=
measure() { # scenario variant round note
    local scenario=$1 variant=$2 round=$3 note=$4 out s0 s1 c0 c1 t0 t1 non2xx errors requests wrk_cpu
    s0=$(server_ticks)
    child_seconds >"$work/c0"
    c0=$(<"$work/c0")
    t0=$(date +%s.%N)
    out=$($(pin "$WRK_CPU") wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency "http://127.0.0.1:${port_of[$variant]}/$scenario")
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
    # CPU the scheduler left the server.
    cost=$(awk -v a="$s0" -v b="$s1" -v hz="$HZ" -v n="$requests" 'BEGIN {printf "%.2f", 1e6 * (b - a) / hz / n}')
    printf 'run  %-3s %-8s round=%s req/s=%10.2f p50=%8.3fms p99=%8.3fms requests=%s non-2xx=%s socket_errors=[%s] server_cpu=%s%% server_us/req=%s wrk_cpu=%s%% others_before=%s%%%s\n' \
        "$scenario" "$variant" "$round" "$r" "$l50" "$l99" "$requests" "${non2xx:-0}" "${errors:-none}" \
        "$server_cpu" "$cost" "$wrk_cpu" "$before" "$note"
}

declare -A rps p50 p99 cpu noisy
run() { # scenario variant round
    local k=$1/$2
    quiet
    measure "$1" "$2" "$3" ""
    if [ "$server_cpu" -lt "$SATURATED" ] && [ $((spent + DURATION)) -le "$PATIENCE" ]; then
        echo "     (server at ${server_cpu}% CPU: run discarded, redone)"
        spent=$((spent + DURATION))
        quiet
        measure "$1" "$2" "$3" " (redo)"
    fi
    if [ "$server_cpu" -lt "$SATURATED" ]; then
        noisy[$k]=$((${noisy[$k]:-0} + 1))
    fi
    rps[$k]+="$r "
    p50[$k]+="$l50 "
    p99[$k]+="$l99 "
    cpu[$k]+="$cost "
}

variants_of() {
    case $1 in
    ok) echo "bare errcat peer ids floor noop" ;;
    err) echo "bare errcat peer peer-ids floor" ;;
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

echo "# end: loadavg $(cut -d' ' -f1-3 /proc/loadavg), other work $(others)% of the CPUs, waited or redid runs for ${spent}s (budget ${PATIENCE}s)"

declare -A med cost_of best
for scenario in $SCENARIOS; do
    read -r -a variants <<<"$(variants_of "$scenario")"
    for v in "${variants[@]}"; do
        k=$scenario/$v
        med[$k]=$(median <<<"${rps[$k]}")
        cost_of[$k]=$(median <<<"${cpu[$k]}")
        best[$k]=$(tr ' ' '\n' <<<"${rps[$k]}" | grep -v '^$' | sort -g | tail -1)
        printf 'summary %-3s %-8s req/s=%10.2f p50=%8.3fms p99=%8.3fms server_us/req=%s (medians of %s runs; req/s: %s)\n' \
            "$scenario" "$v" "${med[$k]}" "$(median <<<"${p50[$k]}")" "$(median <<<"${p99[$k]}")" "${cost_of[$k]}" \
            "$ROUNDS" "${rps[$k]% }"
    done
done

# Four views of each ratio, the verdict on the first:
# - paired: the median over rounds of the two variants' ratio within the
#   round. The variants of a round run back to back, so they share the
#   machine's state of the moment; a virtual machine's throughput drifts
#   between states far apart (this harness has seen bare axum at 150k and
#   at 300k req/s minutes apart), and medians taken per variant can then
#   compare one state with another (the peer/bare control, the same code
#   twice, shows it: its paired ratio stays near 1 when its ratio of
#   medians does not);
# - requests/s as wrk measured them, median of each variant;
# - the inverse ratio of server CPU per request (what the ratio of
#   requests/s would be were the server CPU-bound with its core to itself);
# - the ratio of each variant's best run: other work only ever slows a run
#   down, so the best runs compare the stacks' own costs.
paired() { # numerator denominator: the median of per-round ratios
    paste <(tr ' ' '\n' <<<"${rps[$1]}" | grep -v '^$') <(tr ' ' '\n' <<<"${rps[$2]}" | grep -v '^$') |
        awk '{printf "%.4f\n", $1 / $2}' | median
}
ratio() { # label numerator denominator target
    local p r br c verdict n
    p=$(paired "$2" "$3" | awk '{printf "%.3f", $1}')
    r=$(awk -v a="${med[$2]}" -v b="${med[$3]}" 'BEGIN {printf "%.3f", a / b}')
    br=$(awk -v a="${best[$2]}" -v b="${best[$3]}" 'BEGIN {printf "%.3f", a / b}')
    c=$(awk -v a="${cost_of[$2]}" -v b="${cost_of[$3]}" 'BEGIN {printf "%.3f", b / a}')
    if [ "$4" = - ]; then
        verdict="(no target)"
    else
        verdict="(target >= $4) $(awk -v r="$p" -v t="$4" 'BEGIN {print (r >= t) ? "PASS" : "MISS"}')"
    fi
    n=$((${noisy[$2]:-0} + ${noisy[$3]:-0}))
    if [ "$n" -gt 0 ]; then
        verdict="$verdict, UNRELIABLE: $n of $((2 * ROUNDS)) runs with the server under ${SATURATED}% CPU"
    fi
    printf 'ratio %-26s paired %s %s; medians %s; by server CPU/req %s; best runs %s\n' "$1" "$p" "$verdict" "$r" "$c" "$br"
}

for scenario in $SCENARIOS; do
    case $scenario in
    ok)
        ratio "ok  errcat/bare" ok/errcat ok/bare 0.97
        ratio "ok  peer/bare (control)" ok/peer ok/bare 0.97
        ratio "ok  ids/bare" ok/ids ok/bare -
        ratio "ok  noop/bare" ok/noop ok/bare -
        ratio "ok  floor/bare" ok/floor ok/bare -
        ratio "ok  errcat/ids" ok/errcat ok/ids -
        ratio "ok  errcat/floor" ok/errcat ok/floor -
        ;;
    err)
        ratio "err errcat/bare-static" err/errcat err/bare 0.95
        ratio "err errcat/peer" err/errcat err/peer 1.00
        ratio "err errcat/peer-ids" err/errcat err/peer-ids 1.00
        ratio "err floor/bare-static" err/floor err/bare -
        ratio "err errcat/floor" err/errcat err/floor -
        ;;
    esac
done
