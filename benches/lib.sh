# Shared by the bench scripts (sourced, not run): Debian installs and a lieux server on a free
# loopback port. The caller sets `set -euo pipefail` and its own cleanup trap, which should call
# stop_lieux.

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

# need COMMAND PACKAGE: installs the Debian PACKAGE quietly when COMMAND is missing.
need() {
  command -v "$1" >/dev/null 2>&1 && return
  apt_install "$2"
}

# apt_install PACKAGE...: installs Debian packages quietly (updating the lists if needed).
apt_install() {
  echo "installing $*..." >&2
  $SUDO apt-get install -y -qq "$@" >/dev/null 2>&1 ||
    { $SUDO apt-get update -qq >/dev/null && $SUDO apt-get install -y -qq "$@" >/dev/null; }
}

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
