#!/usr/bin/env bash
# Load test: wrk on loopback against nearest, bbox, tiles and reachable at once (four wrk
# processes, one per endpoint) for DURATION, with the server's RSS sampled every RSS_EVERY
# seconds. Fails on any non-2xx/3xx answer, any socket error, or an RSS that grows by more than
# 10 % after the warm-up (the first WARMUP seconds: caches of tiles and road searches fill),
# comparing the median of the last fifth of the samples with the median of the first fifth: the
# allocator moves RSS up and down by a few MiB from sample to sample, which is not growth.
#
#   bash benches/load.sh                   # 10 minutes (the issue's figure)
#   DURATION=30 bash benches/load.sh       # quick run while developing
#
# reachable needs road data: the script builds the Andorra graph from
# ../shared/data/osm/andorra-2020-05-01.osm.pbf and serves the France Services list plus 60
# synthetic places around Andorra's towns (the French lists have none there), so reachable runs
# real searches on a 26 k-node car graph (and the walk graph).
# Env: DURATION (s, 600), CONNECTIONS (per endpoint, 8), RSS_EVERY (s, 5), WARMUP (s, 10 % of
# DURATION), LIEUX_BIN (default: cargo build --release), CARGO_TARGET_DIR (honoured).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-600}
CONNECTIONS=${CONNECTIONS:-8}
RSS_EVERY=${RSS_EVERY:-5}
WARMUP=${WARMUP:-$((DURATION / 10))}
TARGET_DIR=${CARGO_TARGET_DIR:-target}
DATA=../shared/data
[ -d "$DATA" ] || { echo "skipping: $DATA is absent" >&2; exit 0; }

# shellcheck source=benches/lib.sh
. benches/lib.sh
need wrk wrk
need curl curl

if [ -z "${LIEUX_BIN:-}" ]; then
  echo "building release binary..." >&2
  cargo build --release --quiet --bin lieux
  LIEUX_BIN="$TARGET_DIR/release/lieux"
fi

WORK=$(mktemp -d)
WRKS=()
cleanup() {
  for p in "${WRKS[@]}"; do kill "$p" 2>/dev/null || true; done
  stop_lieux
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "building the Andorra road graph..." >&2
"$LIEUX_BIN" graph build --osm "$DATA/osm/andorra-2020-05-01.osm.pbf" --out "$WORK/andorra.graph" 2>/dev/null
python3 - "$DATA/france-services/france-services-20221201.v1.csv" "$WORK/places.csv" <<'PY'
import csv, random, sys
src, out = sys.argv[1], sys.argv[2]
rows = list(csv.DictReader(open(src, encoding="utf-8")))
towns = [(1.5218, 42.5063), (1.5341, 42.5100), (1.5801, 42.5346), (1.4913, 42.4636),
         (1.5148, 42.5450), (1.5331, 42.5562), (1.5973, 42.5676), (1.7333, 42.5425),
         (1.6676, 42.5766), (1.4843, 42.5721)]
rnd = random.Random(7)
template = rows[0]
for n in range(60):
    lon, lat = towns[n % len(towns)]
    r = dict(template)
    r.update(id=f"andorra-{n}", nom=f"Lieu de test {n}", commune="Andorra",
             latitude=f"{lat + rnd.uniform(-0.01, 0.01):.6f}",
             longitude=f"{lon + rnd.uniform(-0.01, 0.01):.6f}",
             code_insee="", adresse=f"{n} carrer de prova")
    rows.append(r)
with open(out, "w", encoding="utf-8", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(template.keys()), quoting=csv.QUOTE_ALL)
    w.writeheader()
    w.writerows(rows)
PY
"$LIEUX_BIN" import "$WORK/places.csv" --out "$WORK/places.fgb" 2>/dev/null

start_lieux "$LIEUX_BIN" "$WORK/server.log" --snapshot "$WORK/places.fgb" --graph "$WORK/andorra.graph"
HEALTH=$(curl -fsS "$BASE/health")
echo "serving on $BASE: $HEALTH" >&2

# name|script|argument|sample path checked for 200 first
RUNS=(
  "nearest k=10|benches/wrk/nearest.lua||/v1/lieux/nearest?lat=48.85660&lon=2.35220&k=10"
  "bbox 0.2 deg|benches/wrk/bbox.lua|0.1|/v1/lieux?bbox=2.25220,48.75660,2.45220,48.95660"
  "tiles z5-12|benches/wrk/tiles.lua||/tiles/lieux/5/16/11.mvt"
  "reachable (Andorra graph)|benches/wrk/reachable.lua||/v1/lieux/reachable?lat=42.5063&lon=1.5218&minutes=20"
)
for run in "${RUNS[@]}"; do
  IFS='|' read -r name _ _ sample <<<"$run"
  status=$(curl -s -o "$WORK/sample" -w '%{http_code}' "$BASE$sample")
  [ "$status" = 200 ] || { echo "$name: $sample answered $status" >&2; cat "$WORK/sample" >&2; exit 1; }
done
if ! grep -q '"duration_s"' <(curl -fsS "$BASE${RUNS[3]##*|}"); then
  echo "reachable found no place in Andorra: the graph or the places are wrong" >&2
  exit 1
fi

echo "wrk: 4 x (-t1 -c$CONNECTIONS) for ${DURATION}s, RSS every ${RSS_EVERY}s" >&2
n=0
for run in "${RUNS[@]}"; do
  IFS='|' read -r name script arg _ <<<"$run"
  wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency --timeout 30s -s "$script" "$BASE" -- "$arg" \
    >"$WORK/wrk.$n" 2>&1 &
  WRKS+=($!)
  n=$((n + 1))
done
: >"$WORK/rss"
start=$(date +%s)
while :; do
  t=$(( $(date +%s) - start ))
  rss=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$SERVER_PID/status")
  echo "$t $rss" >>"$WORK/rss"
  alive=0
  for p in "${WRKS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
  [ "$alive" = 1 ] || break
  sleep "$RSS_EVERY"
done
for p in "${WRKS[@]}"; do wait "$p" || true; done
WRKS=()

FAILED=0
CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
echo
echo "Machine: $(nproc) cores, ${CPU:-unknown CPU}, load average before the run in the log; wrk and server on the same machine"
echo "Data: $(sed -n 's/.*"lieux":\([0-9]*\).*/\1/p' <<<"$HEALTH") places, Andorra graph; 4 wrk processes at once, -t1 -c$CONNECTIONS each, ${DURATION}s; $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo
printf '| %-26s | %9s | %8s | %8s | %9s | %7s | %13s |\n' "endpoint" "req/s" "p50 ms" "p99 ms" "max ms" "non-2xx" "socket errors"
printf '|%s|%s|%s|%s|%s|%s|%s|\n' "----------------------------" "----------:" "---------:" "---------:" "----------:" "--------:" "--------------:"
n=0
for run in "${RUNS[@]}"; do
  IFS='|' read -r name _ _ _ <<<"$run"
  result=$(grep '^RESULT' "$WORK/wrk.$n" || true)
  n=$((n + 1))
  if [ -z "$result" ]; then echo "$name: no RESULT from wrk" >&2; FAILED=1; continue; fi
  get() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$result"; }
  [ "$(get non2xx)" = 0 ] && [ "$(get socket_errors)" = 0 ] || FAILED=1
  printf '| %-26s | %9s | %8s | %8s | %9s | %7s | %13s |\n' "$name" "$(get rps)" "$(get p50_ms)" \
    "$(get p99_ms)" "$(get max_ms)" "$(get non2xx)" "$(get socket_errors)"
done
# RSS after the warm-up: spread = (max - min) / min
read -r samples first min max last < <(awk -v w="$WARMUP" '$1 >= w && $2 > 0 {
    n++; if (n == 1) { first = $2; min = $2; max = $2 }
    if ($2 < min) min = $2; if ($2 > max) max = $2; last = $2 }
  END { print n, first, min, max, last }' "$WORK/rss")
spread=$(awk -v a="$min" -v b="$max" 'BEGIN { printf "%.1f", (b - a) * 100 / a }')
echo
echo "RSS (MiB) after ${WARMUP}s warm-up, $samples samples: first $((first / 1024)), min $((min / 1024)), max $((max / 1024)), last $((last / 1024)); spread ${spread} %"
echo "RSS over time (s: MiB): $(awk '{ printf "%s:%d ", $1, $2 / 1024 }' "$WORK/rss" | fold -w 2000)"
growth=$(awk -v w="$WARMUP" '$1 >= w && $2 > 0 { print $2 }' "$WORK/rss" | python3 -c '
import statistics, sys
v = [int(x) for x in sys.stdin.read().split()]
k = max(1, len(v) // 5)
print(f"{(statistics.median(v[-k:]) / statistics.median(v[:k]) - 1) * 100:.1f}")')
echo "RSS growth (median of the last fifth against the first fifth): ${growth} %"
awk -v g="$growth" 'BEGIN { exit !(g <= 10) }' || { echo "FAILED: RSS grew by more than 10 %" >&2; FAILED=1; }
if grep -qiE 'panicked|ERROR' "$WORK/server.log"; then
  echo "server log has errors:" >&2; grep -iE 'panicked|ERROR' "$WORK/server.log" | head >&2; FAILED=1
fi
[ "$FAILED" = 0 ] && echo "load: no error" || { echo "FAILED" >&2; exit 1; }
