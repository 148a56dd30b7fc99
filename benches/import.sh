#!/usr/bin/env bash
# Import benchmark (issue 7): `lieux import RAW --mapping CONFIG --geocoder offline` end to end
# (read, map, validate, geocode, list duplicates, write the snapshot and the report) on generated raw producer files shaped like
# ../shared/data/mednum-cli-sources/la-creuse (free-text hours converted to OSM, choice lists,
# no date: the import date is used, one row in 40 without coordinates), at 20 000 and
# 1 000 000 rows. Prints the wall time (median of RUNS runs at 20 k, of RUNS_1M runs at 1 M)
# and the peak resident memory (`/usr/bin/time -v`, "Maximum resident set size"), plus the
# median CPU time (user + system): on a loaded machine it says how much of the wall time was
# waiting for a core.
#
#   bash benches/import.sh               # both sizes
#   SIZES=20000 bash benches/import.sh   # 20 k only
#
# Env: SIZES (20000 1000000), RUNS (5), RUNS_1M (3), SOURCE (the raw file replicated),
# GEOCODER (offline: rows without coordinates are placed in their commune; `none` for no
# geocoding, or a BAN URL),
# LIEUX_BIN (default: cargo build --release), CARGO_TARGET_DIR (honoured; the generated files,
# ~620 MB at 1 M rows, go in $CARGO_TARGET_DIR/bench-import and are deleted at the end).
# BASE_BIN: another `lieux` binary (e.g. built from an older commit) measured in the same run
# on the same files, for sizes up to BASE_MAX_ROWS (200000: the whole-file pipeline before
# streaming needs several GB at 1 M rows). WORK_DIR: where the generated files go instead of
# the target dir (~2 GB at 1 M rows with the snapshot and report; /dev/shm on a full disk).
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${SIZES:-"20000 1000000"}
RUNS=${RUNS:-5}
RUNS_1M=${RUNS_1M:-3}
GEOCODER=${GEOCODER:-offline}
TARGET_DIR=${CARGO_TARGET_DIR:-target}
DATA=../shared/data
SOURCE=${SOURCE:-$DATA/mednum-cli-sources/la-creuse/la-creuse.json}
CONFIG=${CONFIG:-${SOURCE%.json}.config.json}
[ -f "$SOURCE" ] || { echo "skipping: $SOURCE is absent" >&2; exit 0; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is missing (Debian package: time)" >&2; exit 1; }

echo "building release binaries..." >&2
cargo build --release --quiet --bin lieux --example raw_bench_data
BIN=${LIEUX_BIN:-$TARGET_DIR/release/lieux}
GEN=$TARGET_DIR/release/examples/raw_bench_data

WORK=${WORK_DIR:-$TARGET_DIR}/bench-import
mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "source rows: $SOURCE (mapping $CONFIG)"
BASE_MAX_ROWS=${BASE_MAX_ROWS:-200000}
printf '%-9s %-9s %-5s %-9s %-9s %-9s %-12s %s\n' rows binary runs "median_s" "min_s" "cpu_s" "peak_rss_MB" "import summary"
for n in $SIZES; do
  raw=$WORK/raw-$n.json
  "$GEN" "$SOURCE" "$n" "$raw" 2>/dev/null
  runs=$RUNS
  [ "$n" -ge 1000000 ] && runs=$RUNS_1M
  bins=("current:$BIN")
  [ -n "${BASE_BIN:-}" ] && [ "$n" -le "$BASE_MAX_ROWS" ] && bins+=("base:$BASE_BIN")
  for entry in "${bins[@]}"; do
  label=${entry%%:*}
  bin=${entry#*:}
  # the issue's figure is with the offline geocoder; a BASE_BIN that predates the flag
  # (before f3d709f) needs BASE_GEOCODER=none
  geo_args=()
  geocoder=$GEOCODER
  [ "$label" = base ] && geocoder=${BASE_GEOCODER:-$GEOCODER}
  [ "$geocoder" != none ] && geo_args=(--geocoder "$geocoder")
  walls=()
  cpus=()
  rss=()
  for ((r = 0; r < runs; r++)); do
    /usr/bin/time -v -o "$WORK/time.txt" \
      "$bin" import "$raw" --mapping "$CONFIG" --date-maj 2026-01-01 --source bench \
      ${geo_args[@]+"${geo_args[@]}"} --out "$WORK/out-$n.fgb" 2>"$WORK/stderr.txt" >/dev/null ||
      { cat "$WORK/stderr.txt" "$WORK/time.txt" >&2; exit 1; }
    # "Elapsed (wall clock) time (h:mm:ss or m:ss): 0:01.23"
    walls+=("$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; print s}' "$WORK/time.txt")")
    cpus+=("$(awk -F': ' '/User time|System time/ {s+=$2} END {print s}' "$WORK/time.txt")")
    rss+=("$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$WORK/time.txt")")
  done
  med=$(printf '%s\n' "${walls[@]}" | median)
  min=$(printf '%s\n' "${walls[@]}" | sort -n | head -1)
  peak=$(printf '%s\n' "${rss[@]}" | sort -n | tail -1)
  cpu=$(printf '%s\n' "${cpus[@]}" | median)
  printf '%-9s %-9s %-5s %-9s %-9s %-9s %-12s %s\n' "$n" "$label" "$runs" "$med" "$min" "$cpu" "$peak" "$(grep -m1 ' rows: ' "$WORK/stderr.txt")"
  done
  rm -f "$raw" "$WORK/out-$n.fgb" "$WORK/out-$n.fgb.report.csv"
done
