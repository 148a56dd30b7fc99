#!/usr/bin/env bash
# HTTP load bench: builds the release binary, serves the embedded data (or $SNAPSHOT) on a free
# port, and runs wrk against nearest, nearest + France Services filter, and bbox.
#
#   bash benches/http.sh                   # 15 s per run
#   DURATION=3s bash benches/http.sh       # quick sanity run
#   SNAPSHOT=data/x.fgb bash benches/http.sh
#
# Env: DURATION (wrk -d, default 15s), THREADS (2), CONNECTIONS (32), SNAPSHOT (optional),
# CARGO_TARGET_DIR (honoured). Exits non-zero if any request failed or was not 2xx.
# wrk and the server share the machine: on 2 cores they compete for the CPU, which the figures
# include. Record them in the top README with the machine line printed at the end.
set -euo pipefail

cd "$(dirname "$0")/.."
DURATION=${DURATION:-15s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
TARGET_DIR=${CARGO_TARGET_DIR:-target}
BIN="$TARGET_DIR/release/lieux"

# shellcheck source=benches/lib.sh
. benches/lib.sh
need wrk wrk
need curl curl

echo "building release binary..." >&2
cargo build --release --quiet --bin lieux

WORK=$(mktemp -d)
cleanup() {
  stop_lieux
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

SERVE_ARGS=()
if [ -n "${SNAPSHOT:-}" ]; then SERVE_ARGS+=(--snapshot "$SNAPSHOT"); fi
start_lieux "$BIN" "$WORK/server.log" ${SERVE_ARGS[@]+"${SERVE_ARGS[@]}"}

HEALTH=""
for _ in $(seq 1 100); do
  HEALTH=$(curl -fsS "$BASE/health" 2>/dev/null) && break
  sleep 0.1
done
if [ -z "$HEALTH" ]; then
  echo "no answer from $BASE/health" >&2
  exit 1
fi
json_field() { sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p" <<<"$HEALTH" | tr -d '"'; }
LIEUX=$(json_field lieux)
POSITIONED=$(json_field positioned)
echo "serving $LIEUX places ($POSITIONED positioned) on $BASE" >&2
if [ "${POSITIONED:-0}" = 0 ]; then
  echo "WARNING: the dataset is empty: these figures measure request handling only." >&2
fi

# name|lua script|script argument|sample path (checked for 200 before the run)
FS='&dispositif_programmes_nationaux=France%20Services'
RUNS=(
  "nearest k=10|benches/wrk/nearest.lua||/v1/lieux/nearest?lat=48.85660&lon=2.35220&k=10"
  "nearest k=10 France Services|benches/wrk/nearest.lua|$FS|/v1/lieux/nearest?lat=48.85660&lon=2.35220&k=10$FS"
  "bbox 0.2 deg|benches/wrk/bbox.lua|0.1|/v1/lieux?bbox=2.25220,48.75660,2.45220,48.95660"
)

ROWS=()
FAILED=0
for run in "${RUNS[@]}"; do
  IFS='|' read -r name script arg sample <<<"$run"
  status=$(curl -s -o /dev/null -w '%{http_code}' "$BASE$sample")
  if [ "$status" != 200 ]; then
    echo "$name: $sample answered $status, not 200" >&2
    FAILED=1
  fi
  echo "== $name: wrk -t$THREADS -c$CONNECTIONS -d$DURATION" >&2
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$script" "$BASE" -- "$arg" \
    >"$WORK/wrk.out" 2>&1 || { cat "$WORK/wrk.out" >&2; exit 1; }
  grep -v '^RESULT' "$WORK/wrk.out" >&2
  result=$(grep '^RESULT' "$WORK/wrk.out" || true)
  if [ -z "$result" ]; then
    echo "$name: no RESULT line from wrk" >&2
    exit 1
  fi
  get() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$result"; }
  non2xx=$(get non2xx)
  sockerr=$(get socket_errors)
  if [ "$non2xx" != 0 ] || [ "$sockerr" != 0 ]; then FAILED=1; fi
  ROWS+=("$(printf '| %-30s | %10s | %8s | %8s | %7s | %13s |' \
    "$name" "$(get rps)" "$(get p50_ms)" "$(get p99_ms)" "$non2xx" "$sockerr")")
done

CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
echo
echo "Machine: $(nproc) cores, ${CPU:-unknown CPU}; wrk and server on the same machine"
echo "Data: $LIEUX places ($POSITIONED positioned)${SNAPSHOT:+ from $SNAPSHOT}; wrk -t$THREADS -c$CONNECTIONS -d$DURATION; $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo
printf '| %-30s | %10s | %8s | %8s | %7s | %13s |\n' "Run" "req/s" "p50 ms" "p99 ms" "non-2xx" "socket errors"
printf '|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..32})" "-----------:" "---------:" "---------:" "--------:" "--------------:"
printf '%s\n' "${ROWS[@]}"

if [ "$FAILED" != 0 ]; then
  echo "FAILED: some requests were not 2xx (see above)" >&2
  exit 1
fi
