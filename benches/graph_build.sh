#!/usr/bin/env bash
# Graph build time, peak memory (RSS) and the compact graph's node/arc reduction (issue 18:
# against every way node a node) of `lieux graph build` on every OSM extract given
# (default: ../shared/data/osm/*.osm.pbf), as a Markdown table, with the memory per million
# way nodes above the process's fixed cost (fitted between the smallest and the largest input).
#
#   bash benches/graph_build.sh [FILE.osm.pbf ...]
#
# Builds the release binary first. Not part of cargo test or CI.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET="${CARGO_TARGET_DIR:-target}"
cargo build --release --quiet --bin lieux
LIEUX="$TARGET/release/lieux"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
if [ $# -eq 0 ]; then set -- ../shared/data/osm/*.osm.pbf; fi

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| extract | PBF MB | way nodes | car nodes / arcs | walk nodes / arcs | uncontracted car / walk nodes / arcs | reduction car / walk (nodes, arcs) | build s | peak RSS MB |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
ROWS="$OUT/rows"
: >"$ROWS"
for pbf in "$@"; do
  name="$(basename "$pbf" .osm.pbf)"
  /usr/bin/time -f "%e %M" -o "$OUT/time" "$LIEUX" graph build --osm "$pbf" --out "$OUT/g.graph" 2>"$OUT/log"
  read -r secs kb <"$OUT/time"
  line="$(grep ' nodes / ' "$OUT/log" | tail -1)"
  car="$(sed -E 's/.*car ([0-9]+) nodes \/ ([0-9]+) arcs.*/\1 \/ \2/' <<<"$line")"
  walk="$(sed -E 's/.*walk ([0-9]+) nodes \/ ([0-9]+) arcs.*/\1 \/ \2/' <<<"$line")"
  way_nodes="$(sed -E 's/.* ([0-9]+) way nodes.*/\1/' <<<"$line")"
  full="$(grep 'would be car' "$OUT/log" | tail -1)"
  read -r fcn fca fwn fwa < <(sed -E 's/.*car ([0-9]+) nodes \/ ([0-9]+) arcs, walk ([0-9]+) nodes \/ ([0-9]+) arcs.*/\1 \2 \3 \4/' <<<"$full")
  read -r ccn cca <<<"${car/ \/ / }"
  read -r cwn cwa <<<"${walk/ \/ / }"
  red="$(awk -v a="$fcn" -v b="$ccn" -v c="$fca" -v d="$cca" -v e="$fwn" -v f="$cwn" -v g="$fwa" -v h="$cwa" \
    'BEGIN{printf "%.1f×, %.1f× / %.1f×, %.1f×", a/b, c/d, e/f, g/h}')"
  mb="$(awk -v s="$(stat -c %s "$pbf")" 'BEGIN{printf "%.1f", s/1e6}')"
  echo "| $name | $mb | $way_nodes | $car | $walk | $fcn / $fca, $fwn / $fwa | $red | $secs | $(awk -v k="$kb" 'BEGIN{printf "%.0f", k/1024}') |"
  echo "$way_nodes $kb" >>"$ROWS"
done
sort -n "$ROWS" | awk 'NR==1{n0=$1;k0=$2} {n1=$1;k1=$2} END{
  if (n1 > n0) printf "\nmemory above the fixed cost: %.0f MB per million way nodes (fixed cost ~%.0f MB)\n",
    (k1-k0)/1024/((n1-n0)/1e6), (k0 - (k1-k0)/(n1-n0)*n0)/1024 }'
