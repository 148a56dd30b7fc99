#!/usr/bin/env bash
# Start-up and memory of `lieux serve` on a snapshot (issue 19): for each binary given, in turn
# and ROUNDS times (alternating, so that a loaded machine weighs on each alike), the wall time
# from the process start to the first `/v1/lieux/nearest` answer, the process's CPU (user +
# system) at that moment, its RSS then, after one full stream of `/v1/lieux`, and its peak.
#
#   bash benches/startup.sh SNAPSHOT BINARY... [ROUNDS=3 in the environment]
#
# The 1 M-place snapshot: `cargo run --release --example bench_data -- /dev/shm/lieux-bench`
# (`synthetic.fgb`). One line per run: binary, wall_s, cpu_s, rss_start_mb, rss_stream_mb,
# peak_mb, stream_mb.
set -euo pipefail
snapshot=$1
shift
rounds=${ROUNDS:-3}
tick=$(getconf CLK_TCK)
port=18719

rss_mb() { awk '/^VmRSS/ {printf "%d", $2 / 1024}' "/proc/$1/status"; }
hwm_mb() { awk '/^VmHWM/ {printf "%d", $2 / 1024}' "/proc/$1/status"; }
cpu_s() { awk -v t="$tick" '{printf "%.2f", ($14 + $15) / t}' "/proc/$1/stat"; }

printf 'binary\twall_s\tcpu_s\trss_start_mb\trss_stream_mb\tpeak_mb\tstream_mb\n'
for _ in $(seq "$rounds"); do
    for bin in "$@"; do
        start=$(date +%s.%N)
        "$bin" serve --snapshot "$snapshot" --bind "127.0.0.1:$port" >/dev/null 2>&1 &
        pid=$!
        until curl -sf -o /dev/null "http://127.0.0.1:$port/v1/lieux/nearest?lat=46.5&lon=2.5&k=10"; do
            kill -0 "$pid" 2>/dev/null || { echo "$bin exited" >&2; exit 1; }
            sleep 0.02
        done
        end=$(date +%s.%N)
        cpu=$(cpu_s "$pid")
        rss0=$(rss_mb "$pid")
        bytes=$(curl -sf -o /dev/null -w '%{size_download}' "http://127.0.0.1:$port/v1/lieux")
        rss1=$(rss_mb "$pid")
        peak=$(hwm_mb "$pid")
        kill "$pid"
        wait "$pid" 2>/dev/null || true
        printf '%s\t%.2f\t%s\t%s\t%s\t%s\t%d\n' "$(basename "$bin")" "$(echo "$end - $start" | bc)" \
            "$cpu" "$rss0" "$rss1" "$peak" "$((bytes / 1000000))"
    done
done
