#!/usr/bin/env bash
# The France-size build end to end (issue #18): `lieux graph synth` writes a synthetic France
# PBF of NODES road nodes (default 100 M) and the overseas extracts, `lieux graph build` joins
# them into one graph, then `lieux serve --graph` starts on it. Prints the counts, file sizes,
# wall and CPU time and peak RSS (/usr/bin/time -v) of each step, and the serve start-up time
# (process start to "listening"). Files go to DIR (default /tmp/lieux-france) and are deleted
# at the end unless KEEP=1: the 100 M-node PBF is a few GB, its graph about as much.
#
#   NODES=10000000 bash benches/france_build.sh [DIR]
#
# REUSE=1 keeps the PBFs already in DIR (the 100 M synth takes minutes) and builds from them.
#
# Builds the release binary first. Not part of cargo test or CI.
set -euo pipefail
NODES="${NODES:-100000000}"
DIR="$(realpath -m "${1:-/tmp/lieux-france}")"
mkdir -p "$DIR"
cd "$(dirname "$0")/.." && cargo build --release --quiet --bin lieux
LIEUX="$(pwd)/${CARGO_TARGET_DIR:-target}/release/lieux"
[ "${KEEP:-0}" = 1 ] || trap 'rm -f "$DIR"/france*.osm.pbf "$DIR"/france.graph "$DIR"/*.time "$DIR"/*.log' EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GB, load $(cut -d' ' -f1-3 /proc/loadavg)"

# wall s, user+sys s, peak RSS MB of a /usr/bin/time -v report
times() {
  awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,t,":"); w=(n==3)?t[1]*3600+t[2]*60+t[3]:t[1]*60+t[2]}
    /User time/{u=$2} /System time/{s=$2} /Maximum resident/{m=$2}
    END{printf "wall %.0f s, CPU %.0f s, peak RSS %.0f MB\n", w, u+s, m/1024}' "$1"
}

if [ "${REUSE:-0}" = 1 ] && [ -f "$DIR/france.osm.pbf" ]; then
  echo "synth: reusing the PBFs in $DIR"
else
  /usr/bin/time -v -o "$DIR/synth.time" "$LIEUX" graph synth --nodes "$NODES" --overseas \
    --out "$DIR/france.osm.pbf" 2>"$DIR/synth.log"
  grep -E 'nodes,|written in' "$DIR/synth.log"
  echo "synth: $(times "$DIR/synth.time")"
fi
echo "PBFs $(du -cm "$DIR"/france*.osm.pbf | tail -1 | cut -f1) MB"

/usr/bin/time -v -o "$DIR/build.time" "$LIEUX" graph build "$DIR"/france*.osm.pbf \
  --out "$DIR/france.graph" 2>"$DIR/build.log"
grep -aE 'nodes /|turn restrictions|extracts:' "$DIR/build.log"
echo "build: $(times "$DIR/build.time"), graph $(du -m "$DIR/france.graph" | cut -f1) MB"

start=$(date +%s.%N)
"$LIEUX" serve --graph "$DIR/france.graph" --bind 127.0.0.1:0 >"$DIR/serve.log" 2>&1 &
pid=$!
until grep -q 'listening on' "$DIR/serve.log"; do
  kill -0 "$pid" 2>/dev/null || { cat "$DIR/serve.log"; exit 1; }
  sleep 0.1
done
end=$(date +%s.%N)
rss=$(awk '/VmHWM/{print $2}' /proc/$pid/status)
kill "$pid"
wait "$pid" 2>/dev/null || true
awk -v a="$start" -v b="$end" -v r="$rss" 'BEGIN{printf "serve start-up: %.1f s to listening, peak RSS %.0f MB\n", b-a, r/1024}'
