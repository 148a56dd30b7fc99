#!/usr/bin/env bash
# Replica figures (issue 20), release build, loopback only: for the embedded France Services
# (2.7 k places), one place per commune (35 k) and 1 M generated places, a primary serving the
# snapshot and one `serve --follow` follower polling every second:
#   - first load: follower start -> /ready 200 (download, verify, load), seconds;
#   - publish -> follower serving: a live import on the primary (the hinaura v0 export, merged
#     by source) until the follower's /health version is the primary's new one, seconds;
#   - follower peak RSS (VmHWM) after its first load and after the swap (two datasets at once
#     during the swap), MB.
# Usage: bash benches/replicas.sh [SIZES...]   (default: fs communes synthetic)
# LIEUX_BIN / CARGO_TARGET_DIR honoured; data generated once into $TARGET_DIR/bench-data.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
if [ -z "${LIEUX_BIN:-}" ]; then
  cargo build --release --quiet --bin lieux --example bench_data
  LIEUX_BIN="$TARGET_DIR/release/lieux"
fi
data="$TARGET_DIR/bench-data"
if [ ! -f "$data/synthetic.fgb" ]; then
  mkdir -p "$data"
  "$TARGET_DIR/release/examples/bench_data" "$data" ../shared/data/communes/communes-france.csv.gz
fi
import_file=../shared/data/cartographie-nationale-v0/hinaura-687.json
tmp="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
now() { date +%s.%N; }
since() { python3 -c "print(f'{$(now)-$1:.2f}')"; }
start() { # start NAME ARGS...: sets NAME_pid and NAME_addr
  local name="$1"; shift
  RUST_LOG=info LIEUX_IMPORT_TOKEN=secret "$LIEUX_BIN" serve --bind 127.0.0.1:0 "$@" >"$tmp/$name.log" 2>&1 &
  pids+=("$!"); eval "${name}_pid=$!"
  for _ in $(seq 1 1200); do
    local a
    a="$(grep -ao 'listening on http://[0-9.:]*' "$tmp/$name.log" | head -1 | sed 's#.*http://##' || true)"
    [ -n "$a" ] && { eval "${name}_addr=$a"; return 0; }
    sleep 0.1
  done
  echo "$name did not start" >&2; cat "$tmp/$name.log" >&2; exit 1
}
version_of() { curl -s "http://$1/health" | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])'; }
hwm_mb() { awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s %9s %12s %14s %14s %16s\n' size places first_load_s publish_to_s rss_first_MB rss_after_swap_MB
for size in "${@:-fs communes synthetic}"; do
  for s in $size; do
    cp "$data/$s.fgb" "$tmp/primary.fgb"
    start primary --snapshot "$tmp/primary.fgb"
    places=$(curl -s "http://$primary_addr/health" | python3 -c 'import json,sys; print(json.load(sys.stdin)["lieux"])')
    # the primary encodes its snapshot once per version: do it before timing the follower
    curl -s -o /dev/null "http://$primary_addr/v1/snapshot"
    t0=$(now)
    start follower --follow "http://$primary_addr/v1/snapshot" --follow-interval-s 1
    until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$follower_addr/ready")" = 200 ]; do sleep 0.05; done
    first=$(since "$t0")
    rss1=$(hwm_mb "$follower_pid")
    t0=$(now)
    curl -s -o /dev/null -H 'Authorization: Bearer secret' --data-binary @"$import_file" \
      "http://$primary_addr/v1/imports?source=bench-replicas&format=json"
    v=$(version_of "$primary_addr")
    until [ "$(version_of "$follower_addr")" = "$v" ]; do sleep 0.05; done
    publish=$(since "$t0")
    rss2=$(hwm_mb "$follower_pid")
    printf '%-10s %9s %12s %14s %14s %16s\n' "$s" "$places" "$first" "$publish" "$rss1" "$rss2"
    kill "$primary_pid" "$follower_pid"; wait "$primary_pid" "$follower_pid" 2>/dev/null || true
    pids=()
  done
done
