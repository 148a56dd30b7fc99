# Shared by the bench scripts (sourced, not run): Debian installs and a lieux server on a free
# loopback port. The caller sets `set -euo pipefail` and its own cleanup trap, which should call
# stop_lieux.

# need COMMAND PACKAGE, apt_install PACKAGE..., as_root CMD...: the project's one install
# library, shared with .ci/run.
# shellcheck source=../.ci/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../.ci/lib.sh"

SERVER_PID=""
BASE=""

# start_lieux BIN LOG [SERVE ARGS...]: starts `BIN serve --bind 127.0.0.1:0 ARGS...` with its
# log in LOG, waits for the port it reports, sets SERVER_PID and BASE (http://127.0.0.1:PORT).
# Logs at warn (lieux at info): a log line per request would measure the logger.
start_lieux() {
  local bin=$1 log=$2 port=""
  shift 2
  NO_COLOR=1 RUST_LOG=${RUST_LOG:-warn,lieux=info} "$bin" serve --bind 127.0.0.1:0 "$@" 2>"$log" &
  SERVER_PID=$!
  for _ in $(seq 1 1200); do
    port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$log" | head -n1)
    [ -n "$port" ] && break
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "lieux serve exited before listening:" >&2
      cat "$log" >&2
      exit 1
    fi
    sleep 0.1
  done
  if [ -z "$port" ]; then
    echo "lieux serve did not report its port within 120 s:" >&2
    cat "$log" >&2
    exit 1
  fi
  BASE="http://127.0.0.1:$port"
}

# stop_lieux: stops the server started by start_lieux, if it runs.
stop_lieux() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}
