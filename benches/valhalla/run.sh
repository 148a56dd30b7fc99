#!/usr/bin/env bash
# Compares lieux's road times with Valhalla's on the shared OSM extracts, one command:
#
#   bash benches/valhalla/run.sh                 # Andorra, Monaco, Nantes, Paris centre
#   PBFS=../shared/data/osm/monaco-2020-07-19.osm.pbf bash benches/valhalla/run.sh
#
# - makes a Python 3.12 venv with pyvalhalla (PyPI; it ships only cp312-abi3 wheels, with the
#   valhalla_build_* executables) and shapely under $CARGO_TARGET_DIR (or target/);
# - per extract, builds Valhalla's tiles and lieux's graph;
# - builds the release lieux binary, then runs compare.py per extract: seeded origins and target
#   places on the graph, lieux over HTTP (`serve --graph`) against Valhalla's in-process Actor
#   (matrix and isochrone), car and walk, 3/5/10/15/30 min, and whether issue 18's targets are
#   met. Prints a Markdown report (also written to $TARGET/valhalla-compare/report.md).
#
# Not part of cargo test or CI (needs ~300 MB of wheels and a release build).
# Environment: PYTHON (a Python 3.12, default /root/.pyenv/versions/3.12.1/bin/python, else
# python3.12), PBFS (space-separated extracts), ORIGINS, PLACES, REPEAT, LIEUX (a lieux binary
# to compare instead of the release build), TAG (names the lieux work folders and the report, so
# that two binaries can be compared side by side: `LIEUX=old TAG=before`, then `TAG=after`).
set -euo pipefail
cd "$(dirname "$0")/../.."

TARGET="${CARGO_TARGET_DIR:-target}"
D=../shared/data/osm
PBFS="${PBFS:-$D/andorra-2020-05-01.osm.pbf $D/monaco-2020-07-19.osm.pbf $D/nantes-centre-2014.osm.pbf $D/paris-centre-small.osm.pbf}"
PYTHON="${PYTHON:-/root/.pyenv/versions/3.12.1/bin/python}"
[ -x "$PYTHON" ] || PYTHON="$(command -v python3.12 || true)"
[ -n "$PYTHON" ] || { echo "pyvalhalla needs Python 3.12 (set PYTHON)" >&2; exit 1; }

VENV="$TARGET/valhalla-venv"
if [ ! -x "$VENV/bin/valhalla_build_tiles" ] || [ ! -d "$VENV/lib/python3.12/site-packages/shapely" ]; then
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q "pyvalhalla==3.9.1" "shapely==2.*"
fi
# the valhalla_* wrappers look their executables up on PATH
VENV="$(cd "$VENV" && pwd)"
export PATH="$VENV/bin:$PATH"

if [ -z "${LIEUX:-}" ]; then
  cargo build --release --quiet
  LIEUX="$TARGET/release/lieux"
fi
TAG="${TAG:-lieux}"
REPORT="$TARGET/valhalla-compare/report-$TAG.md"
mkdir -p "$(dirname "$REPORT")"
: >"$REPORT"
for PBF in $PBFS; do
  [ -f "$PBF" ] || { echo "missing $PBF (../shared/data beside the repo)" >&2; exit 1; }
  WORK="$TARGET/valhalla-compare/$(basename "$PBF" .osm.pbf)"
  mkdir -p "$WORK"
  WORK="$(cd "$WORK" && pwd)"
  if [ ! -f "$WORK/tiles.done" ]; then
    rm -rf "$WORK/tiles"
    valhalla_build_config --mjolnir-tile-dir "$WORK/tiles" --mjolnir-tile-extract "$WORK/tiles.tar" \
      --mjolnir-timezone "$WORK/tz.sqlite" --mjolnir-admin "$WORK/admins.sqlite" >"$WORK/valhalla.json"
    /usr/bin/time -f "%e s %M KB" -o "$WORK/valhalla-build.time" \
      valhalla_build_tiles -c "$WORK/valhalla.json" "$PBF" >"$WORK/valhalla-build.log" 2>&1
    touch "$WORK/tiles.done"
  fi
  OWN="$WORK/$TAG"
  mkdir -p "$OWN"
  /usr/bin/time -f "%e s %M KB" -o "$OWN/lieux-build.time" \
    "$LIEUX" graph build --osm "$PBF" --out "$OWN/lieux.graph" >"$OWN/lieux-build.log" 2>&1
  "$VENV/bin/python" benches/valhalla/compare.py \
    --lieux "$LIEUX" --graph "$OWN/lieux.graph" --valhalla-tiles "$WORK/tiles" --work "$OWN" \
    --origins "${ORIGINS:-40}" --places "${PLACES:-600}" --repeat "${REPEAT:-1}" \
    --json "$OWN/figures.json" | tee -a "$REPORT"
  echo "build: valhalla $(cat "$WORK/valhalla-build.time"), lieux $(cat "$OWN/lieux-build.time")" | tee -a "$REPORT"
  echo | tee -a "$REPORT"
done
