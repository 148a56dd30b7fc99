#!/usr/bin/env bash
# Replicas behind a real caching proxy (issue 20), on loopback only: a primary (takes imports,
# publishes /v1/snapshot), two `serve --follow` followers, and Debian nginx in front of the
# followers with deploy/nginx.conf. Checks, each failing the script:
#   1. followers become ready and serve the primary's version; a not-ready one is skipped;
#   2. cache: a second GET is a HIT, If-None-Match gets a 304 through the proxy;
#   3. a live import on the primary reaches both followers within the poll interval plus the
#      load time (printed), and every answer through the proxy carries the old or the new
#      version's ETag, never another;
#   4. `kill -9` of one follower during a bounded wrk run (8 s, loopback) loses no request
#      beyond what the proxy retries (the count is printed and must be 0);
#   5. throughput through nginx (cached and bypassing the cache) against a follower direct,
#      same run (printed; figures for docs/operations.md come from a release binary).
# LIEUX_BIN: the binary (default target/debug/lieux). Tools: nginx, wrk (.ci/install.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$(realpath "${LIEUX_BIN:-${CARGO_TARGET_DIR:-target}/debug/lieux}")"
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"
interval="${FOLLOW_INTERVAL_S:-1}"
tmp="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$tmp/nginx.pid" ] && kill "$(cat "$tmp/nginx.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "replicas-proxy: FAIL: $*" >&2
  [ -s "$tmp/nginx-error.log" ] && tail -5 "$tmp/nginx-error.log" >&2
  exit 1
}

# start NAME ARGS...: runs `lieux serve --bind 127.0.0.1:0 ARGS`, sets ADDR to its address
start() {
  local name="$1"; shift
  RUST_LOG=info LIEUX_IMPORT_TOKEN=secret "$bin" serve --bind 127.0.0.1:0 "$@" \
    >"$tmp/$name.log" 2>&1 &
  pids+=("$!")
  eval "${name}_pid=$!"
  for _ in $(seq 1 300); do
    ADDR="$(grep -ao 'listening on http://[0-9.:]*' "$tmp/$name.log" | head -1 | sed 's#.*http://##' || true)"
    [ -n "$ADDR" ] && { eval "${name}_addr=$ADDR"; return 0; }
    sleep 0.1
  done
  cat "$tmp/$name.log" >&2
  fail "$name did not start"
}
# field URL HEADER: one response header (lower-case name) of GET URL
header() { curl -s -o /dev/null -D - "$1" "${@:3}" | tr -d '\r' | awk -v h="$2" 'tolower($1)==h":" {print $2}'; }
version_of() { curl -s "http://$1/health" | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])'; }

start primary --snapshot "$tmp/primary.fgb" --init-snapshot
start fa --follow "http://$primary_addr/v1/snapshot" --follow-interval-s "$interval"
start fb --follow "http://$primary_addr/v1/snapshot" --follow-interval-s "$interval"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
proxy="127.0.0.1:$port"
# nginx started as root runs its workers as nobody: they write the cache and temp files
mkdir -p "$tmp/cache" "$tmp/body" "$tmp/proxy"
chmod 755 "$tmp"
chmod 777 "$tmp/cache" "$tmp/body" "$tmp/proxy"
sed -e "s#@TMP@#$tmp#g" -e "s#@LISTEN@#$proxy#" \
  -e "s#@UPSTREAM@#        server $fa_addr max_fails=1 fail_timeout=10s;\n        server $fb_addr max_fails=1 fail_timeout=10s;#" \
  deploy/nginx.conf >"$tmp/nginx.conf"
"$nginx_bin" -t -c "$tmp/nginx.conf" -p "$tmp" 2>"$tmp/nginx-t.log" || { cat "$tmp/nginx-t.log" >&2; fail "nginx -t"; }
"$nginx_bin" -c "$tmp/nginx.conf" -p "$tmp"

# 1. readiness
started=$(date +%s.%N)
for _ in $(seq 1 300); do
  a=$(curl -s -o /dev/null -w '%{http_code}' "http://$fa_addr/ready")
  b=$(curl -s -o /dev/null -w '%{http_code}' "http://$fb_addr/ready")
  [ "$a$b" = 200200 ] && break
  sleep 0.1
done
[ "$a$b" = 200200 ] || fail "followers not ready (/ready: $a $b)"
v0="$(version_of "$primary_addr")"
[ "$(version_of "$fa_addr")" = "$v0" ] && [ "$(version_of "$fb_addr")" = "$v0" ] || fail "followers do not serve the primary's version"
echo "1. followers ready in $(python3 -c "print(round($(date +%s.%N)-$started,2))") s, serving $v0"

# 2. cache hits and 304 through the proxy
url="http://$proxy/v1/lieux?limit=50"
s1="$(header "$url" x-cache-status)"; s2="$(header "$url" x-cache-status)"
[ "$s2" = HIT ] || fail "second GET not a cache HIT ($s1 then $s2)"
etag="$(header "$url" etag)"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$url")
[ "$code" = 304 ] || fail "If-None-Match through the proxy: $code, not 304"
echo "2. cache: $s1 then $s2; If-None-Match: $code"

# 3. a live import reaches every follower; answers through the proxy carry one version or the other.
#    The probe is the FlatGeobuf download: its ETag is the dataset version itself ("<version>-fgb"),
#    while the JSON answers' ETags also change with the minute (open-now fields).
probe="http://$proxy/v1/lieux.fgb"
probe_etag() { curl -sI -H 'X-Cache-Bypass: 1' "$probe" | tr -d '\r' | awk 'tolower($1)=="etag:" {print $2}'; }
etag_old="$(probe_etag)"
[ "$etag_old" = "\"$v0-fgb\"" ] || fail "the download's ETag $etag_old is not the version $v0"
( for _ in $(seq 1 400); do probe_etag; sleep 0.02; done ) >"$tmp/etags" &
watcher=$!
data="../shared/data/cartographie-nationale-v0/hinaura-687.json"
[ -f "$data" ] || data="tests/fixtures/$(ls tests/fixtures | grep -m1 '\.json$')"
started=$(date +%s.%N)
code=$(curl -s -o "$tmp/import.json" -w '%{http_code}' -H 'Authorization: Bearer secret' \
  --data-binary @"$data" "http://$primary_addr/v1/imports?source=replica-test&format=json")
[ "$code" = 200 ] || { cat "$tmp/import.json" >&2; fail "import: HTTP $code"; }
v1="$(version_of "$primary_addr")"
[ "$v1" != "$v0" ] || fail "the import did not change the version"
for _ in $(seq 1 600); do
  [ "$(version_of "$fa_addr")" = "$v1" ] && [ "$(version_of "$fb_addr")" = "$v1" ] && break
  sleep 0.05
done
took=$(python3 -c "print(round($(date +%s.%N)-$started,2))")
[ "$(version_of "$fa_addr")" = "$v1" ] && [ "$(version_of "$fb_addr")" = "$v1" ] || fail "followers did not take $v1"
wait "$watcher"
etag_new="$(probe_etag)"
[ "$etag_new" = "\"$v1-fgb\"" ] || fail "the download's ETag $etag_new is not the new version $v1"
other=$(grep -v -x -F -e "$etag_old" -e "$etag_new" "$tmp/etags" | grep -c . || true)
[ "$other" -eq 0 ] || fail "$other answers with an ETag of neither version: $(sort -u "$tmp/etags" | tr '\n' ' ')"
echo "3. import -> both followers serving $v1 in $took s (poll every $interval s); $(wc -l <"$tmp/etags") answers, ETags old/new only"

# 4. kill -9 one follower during a bounded load run
wrk_url="http://$proxy/v1/lieux/nearest?lat=48.85&lon=2.35&k=10"
wrk -t2 -c16 -d8s -H 'X-Cache-Bypass: 1' "$wrk_url" >"$tmp/wrk-kill.txt" 2>&1 &
wrk_pid=$!
sleep 3
kill -9 "$fa_pid"
wait "$wrk_pid" || true
requests=$(awk '/requests in/ {print $1}' "$tmp/wrk-kill.txt")
non2xx=$(awk -F': ' '/Non-2xx/ {print $2}' "$tmp/wrk-kill.txt"); non2xx=${non2xx:-0}
sockerr=$(awk '/Socket errors/ {gsub(",",""); print $4+$6+$8+$10}' "$tmp/wrk-kill.txt"); sockerr=${sockerr:-0}
echo "4. kill -9 of one follower at 3 s of 8 s: $requests requests, $non2xx non-2xx, $sockerr socket errors"
[ "$non2xx" -eq 0 ] && [ "$sockerr" -eq 0 ] || { cat "$tmp/wrk-kill.txt" >&2; fail "requests lost when a follower died"; }

# 5. throughput, same run: the surviving follower direct, through nginx bypassing the cache,
#    through nginx from the cache
rate() { awk '/Requests\/sec/ {print $2}' <(wrk -t2 -c16 -d4s "$@" 2>&1); }
direct=$(rate "http://$fb_addr/v1/lieux/nearest?lat=48.85&lon=2.35&k=10")
bypass=$(rate -H 'X-Cache-Bypass: 1' "$wrk_url")
cached=$(rate "$wrk_url")
echo "5. nearest-10 req/s: follower direct $direct, through nginx $bypass (no cache), $cached (cache hits)"
echo "replicas-proxy: ok"
