#!/usr/bin/env bash
# Compares lieux's road times with Valhalla's on the same OSM extract (Andorra), one command:
#
#   bash benches/valhalla/run.sh
#
# - makes a Python 3.12 venv with pyvalhalla (PyPI; it ships only cp312-abi3 wheels, with the
#   valhalla_build_* executables) under $CARGO_TARGET_DIR (or target/);
# - builds Valhalla's tiles and lieux's graph from ../shared/data/osm/andorra-2020-05-01.osm.pbf;
# - builds the release lieux binary, then runs compare.py: seeded origins and target places on
#   the car graph, lieux over HTTP (`serve --graph`) against Valhalla's in-process Actor
#   (matrix and isochrone), car 10/20/30 min. Prints a Markdown report (also written to
#   $WORK/report.md).
#
# Not part of cargo test or CI (needs ~300 MB of wheels and a release build).
# Environment: PYTHON (a Python 3.12, default /root/.pyenv/versions/3.12.1/bin/python, else
# python3.12), PBF (another extract), ORIGINS, PLACES, REPEAT.
set -euo pipefail
cd "$(dirname "$0")/../.."

TARGET="${CARGO_TARGET_DIR:-target}"
PBF="${PBF:-../shared/data/osm/andorra-2020-05-01.osm.pbf}"
[ -f "$PBF" ] || { echo "missing $PBF (../shared/data beside the repo)" >&2; exit 1; }
PYTHON="${PYTHON:-/root/.pyenv/versions/3.12.1/bin/python}"
[ -x "$PYTHON" ] || PYTHON="$(command -v python3.12 || true)"
[ -n "$PYTHON" ] || { echo "pyvalhalla needs Python 3.12 (set PYTHON)" >&2; exit 1; }

VENV="$TARGET/valhalla-venv"
if [ ! -x "$VENV/bin/valhalla_build_tiles" ]; then
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q "pyvalhalla==3.9.1"
fi
# the valhalla_* wrappers look their executables up on PATH
VENV="$(cd "$VENV" && pwd)"
export PATH="$VENV/bin:$PATH"

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

cargo build --release --quiet
LIEUX="$TARGET/release/lieux"
/usr/bin/time -f "%e s %M KB" -o "$WORK/lieux-build.time" \
  "$LIEUX" graph build --osm "$PBF" --out "$WORK/lieux.graph" >"$WORK/lieux-build.log" 2>&1

"$VENV/bin/python" benches/valhalla/compare.py \
  --lieux "$LIEUX" --graph "$WORK/lieux.graph" --valhalla-tiles "$WORK/tiles" --work "$WORK" \
  --origins "${ORIGINS:-25}" --places "${PLACES:-300}" --repeat "${REPEAT:-5}" | tee "$WORK/report.md"
echo "build: valhalla $(cat "$WORK/valhalla-build.time"), lieux $(cat "$WORK/lieux-build.time")" | tee -a "$WORK/report.md"
