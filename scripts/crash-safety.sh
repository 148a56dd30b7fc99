#!/usr/bin/env bash
# Crash safety: SIGKILLs `lieux import --out snap.fgb` (writing the snapshot being served) and,
# every other round, the server too, at random moments, ROUNDS times (default 50). After each
# kill the server is restarted on snap.fgb and must serve exactly the old or the new snapshot:
# its /health version (a hash of the content) and the file's SHA-256 must be one of the two
# references, never a partial or empty dataset, and it must start.
#
#   bash scripts/crash-safety.sh               # 50 rounds, debug binary
#   ROUNDS=5 bash scripts/crash-safety.sh
#
# Env: ROUNDS (50), LIEUX_BIN (default: cargo build, $CARGO_TARGET_DIR/debug/lieux), SEED
# (RANDOM seed, for a reproducible sequence of kill delays).
# Inputs: two real lists from ../shared/data (France Services 2022-12, schema v1 CSV; Hinaura,
# schema v0 JSON), imported alternately over the same snapshot.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-50}
RANDOM=${SEED:-$$}
DATA=../shared/data/france-services
[ -d "$DATA" ] || { echo "skipping: $DATA is absent" >&2; exit 0; }
IN_A="$DATA/france-services-20221201.v1.csv"
IN_B="../shared/data/cartographie-nationale-v0/hinaura-687.json"
if [ -z "${LIEUX_BIN:-}" ]; then
  cargo build --quiet --bin lieux
  LIEUX_BIN="${CARGO_TARGET_DIR:-target}/debug/lieux"
fi

WORK=$(mktemp -d)
SERVER=""
IMPORT=""
cleanup() {
  for p in $SERVER $IMPORT; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# start_server FILE: serves FILE on a free port; sets SERVER and BASE, or fails
start_server() {
  : >"$WORK/server.log"
  "$LIEUX_BIN" serve --snapshot "$1" --bind 127.0.0.1:0 2>"$WORK/server.log" &
  SERVER=$!
  BASE=""
  for _ in $(seq 1 600); do
    BASE=$(grep -o 'listening on http://[0-9.:]*' "$WORK/server.log" | sed 's/listening on //' || true)
    [ -n "$BASE" ] && return 0
    kill -0 "$SERVER" 2>/dev/null || break
    sleep 0.05
  done
  echo "server did not start on $1:" >&2
  cat "$WORK/server.log" >&2
  return 1
}
health_version() { curl -fsS "$BASE/health" | sed -n 's/.*"version":"\([^"]*\)".*/\1/p'; }
health_lieux() { curl -fsS "$BASE/health" | sed -n 's/.*"lieux":\([0-9]*\).*/\1/p'; }

# References: each input imported alone, its snapshot's hash, its served version and size.
declare -A SHA VERSION LIEUX
for k in A B; do
  in=IN_$k
  start=$(date +%s%N)
  "$LIEUX_BIN" import "${!in}" --out "$WORK/ref-$k.fgb" 2>/dev/null
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  [ "$k" = A ] && IMPORT_MS_A=$ms || IMPORT_MS_B=$ms
  SHA[$k]=$(sha256sum "$WORK/ref-$k.fgb" | cut -d' ' -f1)
  start_server "$WORK/ref-$k.fgb"
  VERSION[$k]=$(health_version)
  LIEUX[$k]=$(health_lieux)
  kill -9 "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""
done
# the snapshot of an input must be byte-for-byte reproducible for the file check to hold
"$LIEUX_BIN" import "$IN_A" --out "$WORK/ref-A2.fgb" 2>/dev/null
DETERMINISTIC=1
[ "$(sha256sum "$WORK/ref-A2.fgb" | cut -d' ' -f1)" = "${SHA[A]}" ] || DETERMINISTIC=0
echo "A: ${LIEUX[A]} places, version ${VERSION[A]}, import ${IMPORT_MS_A} ms"
echo "B: ${LIEUX[B]} places, version ${VERSION[B]}, import ${IMPORT_MS_B} ms"
echo "snapshots reproducible byte for byte: $DETERMINISTIC"
[ "${VERSION[A]}" != "${VERSION[B]}" ] || { echo "the two inputs give the same dataset" >&2; exit 1; }

SNAP="$WORK/snap.fgb"
cp "$WORK/ref-A.fgb" "$SNAP"
CUR=A
MAX_MS=$(( (IMPORT_MS_A > IMPORT_MS_B ? IMPORT_MS_A : IMPORT_MS_B) * 12 / 10 ))
old=0; new=0; failed=0; server_kills=0; tmp_left=0
start_server "$SNAP"
for round in $(seq 1 "$ROUNDS"); do
  [ "$CUR" = A ] && NEXT=B || NEXT=A
  in=IN_$NEXT
  delay_ms=$(( RANDOM % (MAX_MS + 1) ))
  "$LIEUX_BIN" import "${!in}" --out "$SNAP" 2>/dev/null &
  IMPORT=$!
  sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
  kill -9 "$IMPORT" 2>/dev/null || true
  wait "$IMPORT" 2>/dev/null || true
  IMPORT=""
  # every other round the server dies too, at a random moment of its own
  if [ $((round % 2)) = 0 ]; then
    kill -9 "$SERVER" 2>/dev/null || true
    server_kills=$((server_kills + 1))
  else
    kill -TERM "$SERVER" 2>/dev/null || true
  fi
  wait "$SERVER" 2>/dev/null || true
  SERVER=""
  [ -e "$SNAP.tmp" ] && tmp_left=$((tmp_left + 1))
  verdict=""
  if ! start_server "$SNAP"; then
    verdict="server failed to start"
  else
    v=$(health_version)
    n=$(health_lieux)
    sha=$(sha256sum "$SNAP" | cut -d' ' -f1)
    if [ "$v" = "${VERSION[$CUR]}" ] && [ "$n" = "${LIEUX[$CUR]}" ]; then
      got=$CUR; old=$((old + 1))
    elif [ "$v" = "${VERSION[$NEXT]}" ] && [ "$n" = "${LIEUX[$NEXT]}" ]; then
      got=$NEXT; new=$((new + 1))
    else
      verdict="served version $v ($n places) is neither snapshot"
    fi
    if [ -z "$verdict" ] && [ "$DETERMINISTIC" = 1 ] && [ "$sha" != "${SHA[$got]}" ]; then
      verdict="snapshot file differs from reference $got"
    fi
  fi
  if [ -n "$verdict" ]; then
    failed=$((failed + 1))
    echo "round $round (kill after $delay_ms ms): FAILED: $verdict" >&2
    cp "$WORK/ref-$CUR.fgb" "$SNAP"
    got=$CUR
    [ -n "$SERVER" ] || start_server "$SNAP"
  else
    echo "round $round: import $CUR->$NEXT killed after $delay_ms ms; serving $got"
  fi
  CUR=$got
done
echo
echo "$ROUNDS rounds ($server_kills with the server SIGKILLed too): old snapshot $old, new snapshot $new, failed $failed; leftover .tmp after $tmp_left kills"
echo "$((old + new)) passed, $failed failed"
[ "$failed" = 0 ]
