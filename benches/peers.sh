#!/usr/bin/env bash
# Peer benchmark, one run (issue 19): PostgreSQL + PostGIS (KNN `ORDER BY geom <-> point
# LIMIT 10` with a GiST index, bbox `geom && envelope`, through pgbench, answering bare ids over
# its own protocol), Redis (`GEOSEARCH … FROMLONLAT … BYRADIUS 30 km ASC COUNT 10`, bare ids over
# RESP) and lieux over HTTP (full GeoJSON answers, and the `properties=` shape a widget asks
# for), at three sizes: the embedded France Services (2.7 k), one place per commune (35 k) and
# 1 M generated places. lieux and Redis answer the same ~200 query points
# (benches/wrk/points.lua), PostGIS random points over the same area.
#
# Against Redis, both sides get the same question and the same client: lieux is asked
# `nearest?k=10&max_km=30` (the ten nearest within 30 km, as GEOSEARCH BYRADIUS 30 km COUNT 10;
# about half of the points have none), and both are driven by examples/peer_load.rs (one tokio
# client design, RESP or HTTP/1.1 keep-alive, same connections and threads), so the ratio
# compares the servers, not wrk's Lua against a Rust client. Against PostGIS and tipg, lieux
# answers the unbounded nearest-10 and the bbox under wrk.
#
#   bash benches/peers.sh                        # 3 runs of 10 s per side and query (~25 min)
#   DURATION=3 REPS=1 bash benches/peers.sh      # quick sanity run
#   SETS=fs PEERS=redis bash benches/peers.sh    # one size, one peer
#
# Installs Debian postgresql-15-postgis-3, redis-server and wrk when missing; starts a private
# PostgreSQL cluster (initdb in a temporary directory, loopback only, port chosen free) and a
# private redis-server (no persistence), and stops them at exit. Each query: a 2 s warm-up run
# per side (discarded: connections, prepared statements, lieux's feature cache), then REPS runs
# per side, alternating the sides so that all sample the same moments of the machine; the table
# gives the median of each side and lieux's ratio to each peer. For lieux and Redis it also
# gives the server's CPU time per request (user + system, from /proc), which a loaded machine
# disturbs less than the rates. tipg (PyPI `tipg`, OGC API Features over the same PostGIS
# table, in a venv under the target dir, uvicorn with 2 workers) answers the bbox as OGC items
# beside lieux's `/collections/lieux/items`, both with `limit=1000`. Martin is not run: it serves
# vector tiles only, and builds from source for minutes (see docs/performance.md).
# Env: DURATION (seconds per run, default 10), REPS (3), CONNECTIONS (32), THREADS (2),
# SETS ("fs communes synthetic"), PEERS ("postgis redis tipg"; tipg needs postgis),
# CARGO_TARGET_DIR (honoured).
# Not part of CI (needs minutes and two database servers).
set -euo pipefail

cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}
REPS=${REPS:-3}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
SETS=${SETS:-fs communes synthetic}
PEERS=${PEERS:-postgis redis tipg}
TARGET_DIR=${CARGO_TARGET_DIR:-target}
BIN="$TARGET_DIR/release/lieux"
has() { [[ " $PEERS " == *" $1 "* ]]; }

# shellcheck source=benches/lib.sh
. benches/lib.sh
if has postgis; then
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
  PGVER=$(basename "$(dirname "${PGBIN:-/x/15/bin}")")
  if [ -z "$PGBIN" ] || [ ! -f "/usr/share/postgresql/$PGVER/extension/postgis.control" ]; then
    apt_install postgresql-15-postgis-3
    PGBIN=/usr/lib/postgresql/15/bin
    PGVER=15
  fi
fi
if has redis; then need redis-server redis-server; fi
if has tipg && ! has postgis; then echo "tipg needs postgis in PEERS" >&2; exit 2; fi
TIPG_VENV="$TARGET_DIR/tipg-venv"
if has tipg && ! "$TIPG_VENV/bin/python" -c 'import tipg, uvicorn' 2>/dev/null; then
  need_venv
  python3 -m venv "$TIPG_VENV"
  "$TIPG_VENV/bin/pip" install --quiet 'tipg==1.6.1' 'uvicorn[standard]'
fi
need wrk wrk
need curl curl

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "building the release binary and the bench data..." >&2
cargo build --release --quiet --bin lieux --example bench_data --example peer_load
WORK=$(mktemp -d)
chmod 755 "$WORK"
"$TARGET_DIR/release/examples/bench_data" "$WORK/data" ../shared/data/communes/communes-france.csv.gz

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# cpu_ticks PID: user + system clock ticks of a process so far
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TICKS=$(getconf CLK_TCK)

# --- private Redis ----------------------------------------------------------------------------
REDIS_PID=""
if has redis; then
  RPORT=$(free_port)
  redis-server --bind 127.0.0.1 --port "$RPORT" --save '' --appendonly no --daemonize no \
    --dir "$WORK" >"$WORK/redis.log" 2>&1 &
  REDIS_PID=$!
  for _ in $(seq 1 100); do redis-cli -p "$RPORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  RV=$(redis-cli -p "$RPORT" info server | sed -n 's/^redis_version:\([^\r]*\).*/\1/p')
fi
run_load() { # run_load PID resp|http HOST:PORT KEY|EXTRA [SECONDS]: prints "rps cpu_us_per_request"
  local pid=$1 t0 r n
  t0=$(cpu_ticks "$pid")
  r=$("$TARGET_DIR/release/examples/peer_load" "$2" "$3" "$4" "${5:-$DURATION}" "$CONNECTIONS" "$THREADS")
  if ! grep -q 'errors=0' <<<"$r"; then echo "peer_load errors: $r" >&2; exit 1; fi
  n=$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' <<<"$r")
  echo "$(sed -n 's/.* rps=\([^ ]*\).*/\1/p' <<<"$r") $(( ($(cpu_ticks "$pid") - t0) * 1000000 / TICKS / n ))"
}

# --- private PostgreSQL cluster -------------------------------------------------------------
PGDATA="$WORK/pg"
cleanup() {
  stop_lieux
  stop_tipg
  if [ -f "$PGDATA/postmaster.pid" ]; then
    as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1 || true
  fi
  if [ -n "$REDIS_PID" ]; then kill "$REDIS_PID" 2>/dev/null || true; wait "$REDIS_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
PGUSER_OS=""
if [ "$(id -u)" = 0 ]; then PGUSER_OS=postgres; fi # initdb refuses to run as root
as_pg() { if [ -n "$PGUSER_OS" ]; then runuser -u "$PGUSER_OS" -- "$@"; else "$@"; fi; }
if has postgis; then
  mkdir -p "$PGDATA"
  if [ -n "$PGUSER_OS" ]; then chown -R "$PGUSER_OS" "$PGDATA" "$WORK/data"; fi
  PGPORT=$(free_port)
  as_pg "$PGBIN/initdb" -D "$PGDATA" -U bench -A trust >/dev/null
  # shared_buffers large enough to keep the 1 M table and index in memory; no durability needed
  as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -w -l "$PGDATA/log" \
    -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGDATA -c shared_buffers=512MB -c fsync=off -c synchronous_commit=off -c max_connections=100" \
    start >/dev/null
  PSQL=(psql -h 127.0.0.1 -p "$PGPORT" -U bench -d postgres -v ON_ERROR_STOP=1 -q)
  "${PSQL[@]}" -c "CREATE EXTENSION postgis"
  PGV=$("${PSQL[@]}" -tAc "SELECT split_part(version(), ' ', 2) || ' / PostGIS ' || postgis_lib_version()")
fi

# --- lieux server: start_lieux / stop_lieux of benches/lib.sh ------------------------------
run_wrk() { # run_wrk SCRIPT "ARGS" [SECONDS]: lieux; prints "rps cpu_us_per_request"
  wrk_at "$BASE" "$SERVER_PID" "$@"
}
wrk_at() { # wrk_at BASE PID SCRIPT "ARGS" [SECONDS]: prints "rps cpu_us_per_request" (CPU "-" without PID)
  local base=$1 pid=$2 t0=0 r n args=()
  shift 2
  read -ra args <<<"$2"
  if [ -n "$pid" ]; then t0=$(cpu_ticks "$pid"); fi
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${3:-$DURATION}s" --timeout 10s -s "$1" "$base" -- "${args[@]}" >"$WORK/wrk.out" 2>&1
  r=$(grep '^RESULT' "$WORK/wrk.out")
  if ! grep -q 'non2xx=0 socket_errors=0' <<<"$r"; then echo "wrk errors: $r" >&2; exit 1; fi
  n=$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' <<<"$r")
  if [ -z "$pid" ]; then echo "$(sed -n 's/.* rps=\([^ ]*\).*/\1/p' <<<"$r") -"; return; fi
  echo "$(sed -n 's/.* rps=\([^ ]*\).*/\1/p' <<<"$r") $(( ($(cpu_ticks "$pid") - t0) * 1000000 / TICKS / n ))"
}

# --- tipg over the PostGIS table (restarted per set: it reads the catalogue at start) --------
TIPG_PID=""
TIPG_BASE=""
start_tipg() {
  local port
  port=$(free_port)
  DATABASE_URL="postgresql://bench@127.0.0.1:$PGPORT/postgres" TIPG_DB_SCHEMAS='["public"]' \
    "$TIPG_VENV/bin/uvicorn" tipg.main:app --host 127.0.0.1 --port "$port" --workers 2 \
    --log-level warning >"$WORK/tipg.log" 2>&1 &
  TIPG_PID=$!
  TIPG_BASE="http://127.0.0.1:$port"
  for _ in $(seq 1 300); do
    curl -sf -o /dev/null "$TIPG_BASE/collections/public.lieux" && return
    kill -0 "$TIPG_PID" 2>/dev/null || break
    sleep 0.2
  done
  echo "tipg did not start:" >&2
  cat "$WORK/tipg.log" >&2
  exit 1
}
stop_tipg() {
  if [ -n "$TIPG_PID" ]; then kill "$TIPG_PID" 2>/dev/null || true; wait "$TIPG_PID" 2>/dev/null || true; fi
  TIPG_PID=""
}
run_pgbench() { # run_pgbench FILE [SECONDS]: prints "tps -" (no single server process to time)
  pgbench -h 127.0.0.1 -p "$PGPORT" -U bench -n -M prepared -c "$CONNECTIONS" -j "$THREADS" \
    -T "${2:-$DURATION}" -f "$1" postgres >"$WORK/pgbench.out" 2>&1 || { cat "$WORK/pgbench.out" >&2; exit 1; }
  echo "$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$WORK/pgbench.out" | head -n1) -"
}

# pgbench scripts: random points uniform over the same area as benches/wrk/points.lua
# (lon -5..9.5, lat 41.3..51.1); bbox 0.2° × 0.2° as benches/wrk/bbox.lua.
POINT='\set lon -5.0 + random(0, 14500000) / 1000000.0
\set lat 41.3 + random(0, 9800000) / 1000000.0'
printf '%s\nSELECT id FROM lieux ORDER BY geom <-> ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) LIMIT 10;\n' "$POINT" >"$WORK/knn.sql"
printf '%s\nSELECT id FROM lieux WHERE fs ORDER BY geom <-> ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) LIMIT 10;\n' "$POINT" >"$WORK/knn_fs.sql"
printf '%s\nSELECT id FROM lieux WHERE geom && ST_MakeEnvelope(:lon - 0.1, :lat - 0.1, :lon + 0.1, :lat + 0.1, 4326);\n' "$POINT" >"$WORK/bbox.sql"

# median_of "a b c": the median
median_of() { python3 -c 'import statistics, sys; v=[float(x) for x in sys.argv[1:] if x != "-"]; print(f"{statistics.median(v):.0f}" if v else "-")' $1; }
ratio() { python3 -c 'import sys; a, b = sys.argv[1:]; print(f"{float(a) / float(b):.2f}×" if "-" not in (a, b) else "-")' "$1" "$2"; }

FS='&dispositif_programmes_nationaux=France%20Services'
WIDGET='&properties=nom,adresse,commune,distance_m'
R30='&max_km=30'
ROWS=()
for set in $SETS; do
  [ -f "$WORK/data/$set.csv" ] || continue
  n=$(wc -l <"$WORK/data/$set.csv")
  echo "== $set: $n positioned places" >&2
  if has postgis; then
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
  fi
  if has redis; then
    redis-cli -p "$RPORT" del lieux >/dev/null
    # GEOADD in RESP, 1 000 members a command
    awk -F, '{ m[++k] = $3 " " $4 " " $1; if (k == 1000) { out(); k = 0 } }
      END { if (k) out() }
      function out(  i, s, p, a) { s = "*" (2 + 3 * k) "\r\n$6\r\nGEOADD\r\n$5\r\nlieux\r\n"
        for (i = 1; i <= k; i++) { split(m[i], a, " "); for (p = 1; p <= 3; p++) s = s "$" length(a[p]) "\r\n" a[p] "\r\n" }
        printf "%s", s }' "$WORK/data/$set.csv" | redis-cli -p "$RPORT" --pipe >/dev/null
    echo "   redis: $(redis-cli -p "$RPORT" zcard lieux) members" >&2
  fi
  start_lieux "$BIN" "$WORK/server.log" --snapshot "$WORK/data/$set.fgb"
  if has tipg; then start_tipg; fi
  # query | PostGIS script | Redis? or tipg? | lieux wrk script (or `load`: peer_load) | its arguments
  for q in "nearest-10|knn|-|benches/wrk/nearest.lua|" \
    "nearest-10 within 30 km|-|redis|load|$R30" \
    "nearest-10 within 30 km, properties=|-|redis|load|$R30$WIDGET" \
    "nearest-10 France Services|knn_fs|-|benches/wrk/nearest.lua|$FS" \
    "bbox 0.2 x 0.2 deg|bbox|-|benches/wrk/bbox.lua|0.1" \
    "bbox as OGC items, 1000|-|tipg|benches/wrk/bbox.lua|0.1 /collections/lieux/items?limit=1000&bbox="; do
    IFS='|' read -r name sql red lua arg <<<"$q"
    sides=()
    if has postgis && [ "$sql" != - ]; then sides+=(pg); fi
    if has redis && [ "$red" = redis ]; then sides+=(redis); fi
    if has tipg && [ "$red" = tipg ]; then sides+=(tipg); fi
    sides+=(lieux)
    run_side() { # run_side SIDE [SECONDS]
      case $1 in
        pg) run_pgbench "$WORK/$sql.sql" ${2:+"$2"} ;;
        redis) run_load "$REDIS_PID" resp "127.0.0.1:$RPORT" lieux ${2:+"$2"} ;;
        tipg) wrk_at "$TIPG_BASE" "" "$lua" "0.1 /collections/public.lieux/items?limit=1000&bbox=" ${2:+"$2"} ;;
        lieux) if [ "$lua" = load ]; then run_load "$SERVER_PID" http "${BASE#http://}" "$arg" ${2:+"$2"}; else run_wrk "$lua" "$arg" ${2:+"$2"}; fi ;;
      esac
    }
    declare -A rate=() cpu=()
    for side in "${sides[@]}"; do run_side "$side" 2 >/dev/null; rate[$side]=""; cpu[$side]=""; done
    for _ in $(seq 1 "$REPS"); do
      for side in "${sides[@]}"; do
        read -r r c < <(run_side "$side")
        rate[$side]+=" $r"
        cpu[$side]+=" $c"
      done
    done
    pg=- red=- pgc=- redc=- tg=-
    if [ -n "${rate[pg]:-}" ]; then pg=$(median_of "${rate[pg]}"); fi
    if [ -n "${rate[redis]:-}" ]; then red=$(median_of "${rate[redis]}"); redc=$(median_of "${cpu[redis]}"); fi
    if [ -n "${rate[tipg]:-}" ]; then tg=$(median_of "${rate[tipg]}"); fi
    li=$(median_of "${rate[lieux]}")
    lic=$(median_of "${cpu[lieux]}")
    echo "   $name: PostGIS${rate[pg]:- -} tps, tipg${rate[tipg]:- -} req/s, Redis${rate[redis]:- -} ops/s (${cpu[redis]:- -} µs CPU), lieux${rate[lieux]} req/s (${cpu[lieux]} µs CPU)" >&2
    ROWS+=("$(printf '| %-9s | %9s | %-26s | %8s | %8s | %8s | %8s | %6s | %6s | %6s | %6s | %6s |' \
      "$set" "$n" "$name" "$pg" "$tg" "$red" "$li" "$(ratio "$li" "$pg")" "$(ratio "$li" "$tg")" "$(ratio "$li" "$red")" "$redc" "$lic")")
    unset rate cpu
  done
  stop_lieux
  stop_tipg
done

CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
echo
echo "Machine: $(nproc) cores, ${CPU:-unknown CPU}; clients and servers on the same machine; load average before the run: $LOAD0"
if has postgis; then echo "PostgreSQL $PGV (private cluster, shared_buffers 512MB, pgbench -M prepared -c $CONNECTIONS -j $THREADS -T $DURATION, random points)"; fi
if has tipg; then echo "tipg $("$TIPG_VENV/bin/python" -c 'import tipg; print(tipg.__version__)') (uvicorn, 2 workers, same PostGIS table; OGC items with limit=1000: id, fs, lon, lat)"; fi
if has redis; then echo "Redis $RV (no persistence) and lieux within 30 km: examples/peer_load.rs, $CONNECTIONS connections on $THREADS threads, one request in flight each; GEOSEARCH BYRADIUS 30 km ASC COUNT 10 against nearest?k=10&max_km=30"; fi
echo "lieux $(git rev-parse --short HEAD 2>/dev/null || echo '?') release (other rows: wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s; full GeoJSON, or properties=nom,adresse,commune,distance_m)"
echo "medians of $REPS alternating runs per side after a 2 s warm-up each; CPU: server user+system µs per request"
echo
printf '| %-9s | %9s | %-26s | %8s | %8s | %8s | %8s | %6s | %6s | %6s | %6s | %6s |\n' "set" "places" "query" "PostGIS" "tipg" "Redis" "lieux" "÷PG" "÷tipg" "÷Redis" "Redis µs" "lieux µs"
printf '|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n' "-----------" "----------:" "----------------------------" "---------:" "---------:" "---------:" "---------:" "-------:" "-------:" "-------:" "-------:" "-------:"
printf '%s\n' "${ROWS[@]}"
