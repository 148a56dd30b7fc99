#!/usr/bin/env bash
# Runs schemathesis (PyPI) against a live server: every operation of /openapi.json is fuzzed and
# each response must be no 5xx and match the documented schema. Bounded: 15 examples per
# operation (about a minute on 2 cores once built).
#
# Usage: tests/schemathesis.sh            (builds the release binary)
#        LIEUX_BIN=path/to/lieux tests/schemathesis.sh
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${SCHEMATHESIS_VENV:-${CARGO_TARGET_DIR:-target}/schemathesis-venv}"
if [ ! -x "$VENV/bin/schemathesis" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "schemathesis==4.32.5"
fi

if [ -z "${LIEUX_BIN:-}" ]; then
  cargo build --release --quiet
  LIEUX_BIN="${CARGO_TARGET_DIR:-target}/release/lieux"
fi

LOG="$(mktemp)"
"$LIEUX_BIN" serve --bind 127.0.0.1:0 2>"$LOG" &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; rm -f "$LOG"' EXIT
BASE=""
for _ in $(seq 1 100); do
  BASE="$(grep -o 'listening on http://[0-9.:]*' "$LOG" | sed 's/listening on //' || true)"
  [ -n "$BASE" ] && break
  sleep 0.1
done
[ -n "$BASE" ] || { echo "server did not start:" >&2; cat "$LOG" >&2; exit 1; }

"$VENV/bin/schemathesis" run "$BASE/openapi.json" \
  --checks not_a_server_error,response_schema_conformance \
  --max-examples "${MAX_EXAMPLES:-15}" \
  --request-timeout 30
