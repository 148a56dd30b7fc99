#!/usr/bin/env bash
# Streamed `/v1/lieux` throughput by coding (issue 19): for each binary given, in turn and
# ROUNDS times (alternating, so that a loaded machine weighs on each alike), one server on
# SNAPSHOT answers the whole FeatureCollection once per coding (identity, gzip, br, zstd). For
# each answer: the server's CPU seconds (user + system, read from /proc before and after, so
# other processes' load does not count), the wall time, the bytes sent and the bytes of JSON
# they decode to; hence MB of JSON per CPU second of the server, the figure issue 19 asks for
# (≥ 250 MB/s gzip/br), and per wall second.
#
#   bash benches/stream.sh SNAPSHOT BINARY... [ROUNDS=3 CODINGS="identity gzip br zstd"]
#
# The 1 M-place snapshot: `cargo run --release --example bench_data -- /dev/shm/lieux-bench`
# (`synthetic.fgb`). One line per answer: binary, coding, json_mb, sent_mb, cpu_s, wall_s,
# json_mb_per_cpu_s, json_mb_per_wall_s.
set -euo pipefail
snapshot=$(realpath "$1")
shift
bins=()
for b in "$@"; do bins+=("$(realpath "$b")"); done
cd "$(dirname "$0")/.."
# shellcheck source=benches/lib.sh
. benches/lib.sh
trap stop_lieux EXIT
rounds=${ROUNDS:-3}
codings=${CODINGS:-"identity gzip br zstd"}
tick=$(getconf CLK_TCK)
log=$(mktemp)

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

printf 'binary\tcoding\tjson_mb\tsent_mb\tcpu_s\twall_s\tjson_mb_per_cpu_s\tjson_mb_per_wall_s\n'
for _ in $(seq "$rounds"); do
    for bin in "${bins[@]}"; do
        start_lieux "$bin" "$log" --snapshot "$snapshot"
        # plain size once: the JSON every coding carries
        json=$(curl -sf -o /dev/null -w '%{size_download}' "$BASE/v1/lieux")
        for coding in $codings; do
            before=$(cpu_ticks "$SERVER_PID")
            start=$(date +%s.%N)
            sent=$(curl -sf -o /dev/null -H "Accept-Encoding: $coding" -w '%{size_download}' \
                "$BASE/v1/lieux")
            end=$(date +%s.%N)
            after=$(cpu_ticks "$SERVER_PID")
            awk -v b="$(basename "$bin")" -v c="$coding" -v j="$json" -v s="$sent" \
                -v t0="$before" -v t1="$after" -v hz="$tick" -v w0="$start" -v w1="$end" 'BEGIN {
                    cpu = (t1 - t0) / hz; wall = w1 - w0; mb = j / 1e6
                    printf "%s\t%s\t%.0f\t%.1f\t%.2f\t%.2f\t%.0f\t%.0f\n", b, c, mb, s / 1e6, cpu, wall,
                        (cpu > 0 ? mb / cpu : 0), mb / wall }'
        done
        stop_lieux
    done
done
