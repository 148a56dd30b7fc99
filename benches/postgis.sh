#!/usr/bin/env bash
# Peer benchmark, one run: PostgreSQL + PostGIS (KNN `ORDER BY geom <-> point LIMIT 10` with a
# GiST index, bbox `geom && envelope`, through pgbench, answering bare ids over its own
# protocol) against lieux over HTTP (wrk, full GeoJSON answers), at three sizes: the embedded
# France Services (2.7 k), one place per commune (35 k) and 1 M generated places.
#
#   bash benches/postgis.sh                 # 3 runs of 10 s per side and query (~15 min)
#   DURATION=3 REPS=1 bash benches/postgis.sh   # quick sanity run
#
# Installs Debian postgresql-15-postgis-3 (and wrk) when missing; starts a private cluster
# (initdb in a temporary directory, loopback only, port chosen free) and stops it at exit.
# Each query: a 2 s warm-up run per side (discarded: connections, prepared statements, lieux's
# feature cache), then REPS runs per side, alternating PostGIS and lieux so that both sample the
# same moments of the machine; the table gives the median of each side and their ratio.
# Env: DURATION (seconds per run, default 10), REPS (3), CONNECTIONS (32), THREADS (2),
# CARGO_TARGET_DIR (honoured). Not part of CI (needs minutes and a PostgreSQL server).
set -euo pipefail

cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}
REPS=${REPS:-3}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
TARGET_DIR=${CARGO_TARGET_DIR:-target}
BIN="$TARGET_DIR/release/lieux"

# shellcheck source=benches/lib.sh
. benches/lib.sh
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
PGVER=$(basename "$(dirname "${PGBIN:-/x/15/bin}")")
if [ -z "$PGBIN" ] || [ ! -f "/usr/share/postgresql/$PGVER/extension/postgis.control" ]; then
  apt_install postgresql-15-postgis-3
  PGBIN=/usr/lib/postgresql/15/bin
  PGVER=15
fi
need wrk wrk
need curl curl

echo "building the release binary and the bench data..." >&2
cargo build --release --quiet --bin lieux --example bench_data
WORK=$(mktemp -d)
chmod 755 "$WORK"
"$TARGET_DIR/release/examples/bench_data" "$WORK/data" ../shared/data/communes/communes-france.csv.gz

# --- private PostgreSQL cluster -------------------------------------------------------------
PGUSER_OS=""
if [ "$(id -u)" = 0 ]; then PGUSER_OS=postgres; fi # initdb refuses to run as root
as_pg() { if [ -n "$PGUSER_OS" ]; then runuser -u "$PGUSER_OS" -- "$@"; else "$@"; fi; }
PGDATA="$WORK/pg"
mkdir -p "$PGDATA"
if [ -n "$PGUSER_OS" ]; then chown -R "$PGUSER_OS" "$PGDATA" "$WORK/data"; fi
PGPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() {
  stop_lieux
  if [ -f "$PGDATA/postmaster.pid" ]; then
    as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
as_pg "$PGBIN/initdb" -D "$PGDATA" -U bench -A trust >/dev/null
# shared_buffers large enough to keep the 1 M table and index in memory; no durability needed
as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -w -l "$PGDATA/log" \
  -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGDATA -c shared_buffers=512MB -c fsync=off -c synchronous_commit=off -c max_connections=100" \
  start >/dev/null
PSQL=(psql -h 127.0.0.1 -p "$PGPORT" -U bench -d postgres -v ON_ERROR_STOP=1 -q)
"${PSQL[@]}" -c "CREATE EXTENSION postgis"
PGV=$("${PSQL[@]}" -tAc "SELECT split_part(version(), ' ', 2) || ' / PostGIS ' || postgis_lib_version()")

# --- lieux server: start_lieux / stop_lieux of benches/lib.sh ------------------------------
run_wrk() { # run_wrk SCRIPT ARG [SECONDS]: prints rps
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${3:-$DURATION}s" -s "$1" "$BASE" -- "$2" >"$WORK/wrk.out" 2>&1
  local r
  r=$(grep '^RESULT' "$WORK/wrk.out")
  if ! grep -q 'non2xx=0 socket_errors=0' <<<"$r"; then echo "wrk errors: $r" >&2; exit 1; fi
  sed -n 's/.* rps=\([^ ]*\).*/\1/p' <<<"$r"
}
run_pgbench() { # run_pgbench FILE [SECONDS]: prints tps
  pgbench -h 127.0.0.1 -p "$PGPORT" -U bench -n -M prepared -c "$CONNECTIONS" -j "$THREADS" \
    -T "${2:-$DURATION}" -f "$1" postgres >"$WORK/pgbench.out" 2>&1 || { cat "$WORK/pgbench.out" >&2; exit 1; }
  sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$WORK/pgbench.out" | head -n1
}

# pgbench scripts: random points uniform over the same area as benches/wrk/points.lua
# (lon -5..9.5, lat 41.3..51.1); bbox 0.2° × 0.2° as benches/wrk/bbox.lua.
POINT='\set lon -5.0 + random(0, 14500000) / 1000000.0
\set lat 41.3 + random(0, 9800000) / 1000000.0'
printf '%s\nSELECT id FROM lieux ORDER BY geom <-> ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) LIMIT 10;\n' "$POINT" >"$WORK/knn.sql"
printf '%s\nSELECT id FROM lieux WHERE fs ORDER BY geom <-> ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) LIMIT 10;\n' "$POINT" >"$WORK/knn_fs.sql"
printf '%s\nSELECT id FROM lieux WHERE geom && ST_MakeEnvelope(:lon - 0.1, :lat - 0.1, :lon + 0.1, :lat + 0.1, 4326);\n' "$POINT" >"$WORK/bbox.sql"

FS='&dispositif_programmes_nationaux=France%20Services'
ROWS=()
for set in fs communes synthetic; do
  [ -f "$WORK/data/$set.csv" ] || continue
  n=$(wc -l <"$WORK/data/$set.csv")
  echo "== $set: $n positioned places" >&2
  "${PSQL[@]}" <<SQL
DROP TABLE IF EXISTS lieux;
CREATE TABLE lieux (id text PRIMARY KEY, fs boolean NOT NULL, lon float8, lat float8);
\copy lieux FROM '$WORK/data/$set.csv' WITH (FORMAT csv)
ALTER TABLE lieux ADD COLUMN geom geometry(Point, 4326);
UPDATE lieux SET geom = ST_SetSRID(ST_MakePoint(lon, lat), 4326);
CREATE INDEX lieux_geom ON lieux USING gist (geom);
-- a partial index would flatter the filtered query; the filter is evaluated on the KNN scan
VACUUM ANALYZE lieux;
SQL
  start_lieux "$BIN" "$WORK/server.log" --snapshot "$WORK/data/$set.fgb"
  for q in "nearest-10|knn|benches/wrk/nearest.lua|" "nearest-10 France Services|knn_fs|benches/wrk/nearest.lua|$FS" "bbox 0.2 x 0.2 deg|bbox|benches/wrk/bbox.lua|0.1"; do
    IFS='|' read -r name sql lua arg <<<"$q"
    run_pgbench "$WORK/$sql.sql" 2 >/dev/null
    run_wrk "$lua" "$arg" 2 >/dev/null
    pgs=() lis=()
    for _ in $(seq 1 "$REPS"); do
      pgs+=("$(run_pgbench "$WORK/$sql.sql")")
      lis+=("$(run_wrk "$lua" "$arg")")
    done
    read -r pg li ratio < <(python3 -c "
import statistics, sys
pg, li = (statistics.median(map(float, a.split())) for a in sys.argv[1:3])
print(f'{pg:.0f} {li:.0f} {li / pg:.2f}')" "${pgs[*]}" "${lis[*]}")
    echo "   $name: PostGIS ${pgs[*]} tps, lieux ${lis[*]} req/s; medians $pg / $li, ratio $ratio" >&2
    ROWS+=("$(printf '| %-9s | %9s | %-26s | %10.0f | %10.0f | %6s× |' "$set" "$n" "$name" "$pg" "$li" "$ratio")")
  done
  stop_lieux
done

CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
echo
echo "Machine: $(nproc) cores, ${CPU:-unknown CPU}; client and server on the same machine"
echo "PostgreSQL $PGV (private cluster, shared_buffers 512MB, pgbench -M prepared -c $CONNECTIONS -j $THREADS -T $DURATION)"
echo "lieux $(git rev-parse --short HEAD 2>/dev/null || echo '?') release (wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s, full GeoJSON)"
echo "medians of $REPS alternating runs per side after a 2 s warm-up each"
echo
printf '| %-9s | %9s | %-26s | %10s | %10s | %7s |\n' "set" "places" "query" "PostGIS tps" "lieux req/s" "ratio"
printf '|%s|%s|%s|%s|%s|%s|\n' "-----------" "----------:" "----------------------------" "------------:" "------------:" "--------:"
printf '%s\n' "${ROWS[@]}"
