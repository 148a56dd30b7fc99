#!/usr/bin/env bash
# A real local addok geocoder (the BAN's engine) for the geocoding tests; no mock of the protocol.
#
#   setup.sh install                       venv with PyPI addok + addok-csv + gunicorn under the
#                                          cargo target dir, Debian redis-server if missing
#   setup.sh start DIR DOCS REDIS_PORT HTTP_PORT [OWNER_PID]
#                                          redis-server and addok on 127.0.0.1, DOCS (addok JSON
#                                          lines) indexed into a fresh database; prints the base
#                                          URL. With OWNER_PID, both stop and DIR is removed when
#                                          that process exits.
#   setup.sh stop DIR                      stops what `start DIR` started
#
# Versions are pinned: addok-csv 1.1.0 (the latest) breaks on addok 1.3 filters (it reads them as
# strings, 1.3 gives lists: 500 "unhashable type: list" on any citycode=/postcode= column filter).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
venv="$target/addok-venv"
ADDOK_PIN="addok==1.2.1 addok-csv==1.1.0 gunicorn==27.0.1"

# shellcheck source=../../.ci/lib.sh
. "$root/.ci/lib.sh"

install() {
  need redis-server redis-server
  need_venv
  if [ ! -x "$venv/bin/addok" ] || ! "$venv/bin/pip" freeze 2>/dev/null | grep -qx "addok==1.2.1"; then
    python3 -m venv "$venv"
    # shellcheck disable=SC2086
    "$venv/bin/pip" install -q --disable-pip-version-check $ADDOK_PIN
  fi
}

wait_for() { # wait_for SECONDS CMD...: retry CMD every 0.2 s
  local n=$(( $1 * 5 )); shift
  for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  return 1
}

start() {
  local dir="$1" docs="$2" rport="$3" hport="$4" owner="${5:-}"
  install
  mkdir -p "$dir"
  stop "$dir" 2>/dev/null || true
  redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$dir" --daemonize no >"$dir/redis.log" 2>&1 &
  echo $! >"$dir/redis.pid"
  wait_for 20 redis-cli -p "$rport" ping || { echo "redis-server did not start (see $dir/redis.log)" >&2; exit 1; }
  sed "s/@REDIS_PORT@/$rport/" "$here/addok.cfg.py" >"$dir/addok_cfg.py"
  export ADDOK_CONFIG_MODULE="$dir/addok_cfg.py" ADDOK_LOG_DIR="$dir"
  "$venv/bin/addok" batch "$docs" >"$dir/batch.log" 2>&1
  "$venv/bin/addok" ngrams >>"$dir/batch.log" 2>&1
  "$venv/bin/gunicorn" --bind "127.0.0.1:$hport" --workers 2 --timeout 300 \
    --chdir "$dir" addok.http.wsgi >"$dir/addok.log" 2>&1 &
  echo $! >"$dir/addok.pid"
  wait_for 60 curl -fsS "http://127.0.0.1:$hport/health" \
    || { echo "addok did not start (see $dir/addok.log)" >&2; stop "$dir"; exit 1; }
  if [ -n "$owner" ]; then
    # Watchdog: the test binary shares one server between tests and cannot run a teardown.
    ( while kill -0 "$owner" 2>/dev/null; do sleep 1; done; bash "$0" stop "$dir"; rm -rf "$dir" ) \
      </dev/null >/dev/null 2>&1 &
  fi
  echo "http://127.0.0.1:$hport"
}

stop() {
  local dir="$1" f
  for f in addok redis; do
    if [ -f "$dir/$f.pid" ]; then
      kill "$(cat "$dir/$f.pid")" 2>/dev/null || true
      rm -f "$dir/$f.pid"
    fi
  done
}

case "${1:-}" in
  install) install ;;
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  *) echo "usage: $0 install | start DIR DOCS REDIS_PORT HTTP_PORT [OWNER_PID] | stop DIR" >&2; exit 2 ;;
esac
