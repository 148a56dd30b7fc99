#!/usr/bin/env bash
# Runs the cargo-fuzz targets of fuzz/ one after the other, each for a bounded time, and prints a
# summary line per target. Heavy: not part of `cargo test` nor .ci/run.
#
#   bash scripts/fuzz.sh                     # every target, 600 s each
#   SECONDS_PER_TARGET=60 bash scripts/fuzz.sh query tile
#
# Only the stable toolchain is needed: cargo-fuzz is installed from crates.io when missing,
# RUSTC_BOOTSTRAP=1 lets stable rustc take the -Z flags cargo-fuzz passes, and
# `--sanitizer none` skips AddressSanitizer (safe Rust: libFuzzer finds panics, overflows with
# debug assertions on, and hangs/out-of-memory). Crashes land in fuzz/artifacts/<target>/;
# reproduce one with `RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none <target> <file>`.
# Env: SECONDS_PER_TARGET (600), JOBS (1), FUZZ_CORPUS (scratch corpus root,
# $CARGO_TARGET_DIR/fuzz-corpus), CARGO_TARGET_DIR (honoured).
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET=${SECONDS_PER_TARGET:-600}
TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
CORPUS_ROOT=${FUZZ_CORPUS:-$TARGET_DIR/fuzz-corpus}
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz from crates.io..." >&2
  cargo install cargo-fuzz --locked
fi

TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
  mapfile -t TARGETS < <(cd fuzz && cargo fuzz list)
fi

echo "building ${TARGETS[*]} (release, coverage instrumentation, no sanitizer)..." >&2
(cd fuzz && cargo fuzz build -O --sanitizer none --target-dir "$TARGET_DIR/fuzz")

run_target() { # run_target NAME: fuzzes NAME for SECONDS_PER_TARGET, prints one summary line
  local t=$1 log="$CORPUS_ROOT/$1.log" status=0 runs cov corpus
  mkdir -p "$CORPUS_ROOT/$t" "fuzz/artifacts/$t"
  # new inputs go to the scratch corpus (first directory); the committed seeds are read only
  (cd fuzz && cargo fuzz run -O --sanitizer none --target-dir "$TARGET_DIR/fuzz" "$t" \
    "$CORPUS_ROOT/$t" "seeds/$t" -- \
    -max_total_time="$SECONDS_PER_TARGET" -timeout=20 -rss_limit_mb=2048 \
    -print_final_stats=1) >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n1 | cut -d' ' -f2)
  corpus=$(find "$CORPUS_ROOT/$t" -type f | wc -l)
  printf '%-8s %ss exit=%s runs=%s cov=%s corpus=%s\n' "$t" "$SECONDS_PER_TARGET" "$status" \
    "${runs:-?}" "${cov:-?}" "$corpus"
  if [ "$status" != 0 ]; then
    grep -E 'panicked|ERROR|SUMMARY|Test unit written' "$log" | head -n 8
  fi
}

# JOBS targets at a time (default 1: the machine is usually shared)
JOBS=${JOBS:-1}
for t in "${TARGETS[@]}"; do
  echo "== $t: ${SECONDS_PER_TARGET}s, log $CORPUS_ROOT/$t.log" >&2
  run_target "$t" &
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
done
wait
