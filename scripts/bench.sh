#!/usr/bin/env bash
# `make bench`: the load generator against a release build of the server. Every run
# starts its own server on a fresh database and prints its figures; JSON copies go to
# $BENCH_OUT (default target/bench). See docs/benchmarks.md.
#
#   BENCH_SECS=20       seconds measured per run
#   BENCH_PAIRS=100     customer/operator pairs
#   BENCH_IDLE=19000    idle sockets (this machine allows 20,000 open files per process)
#   BENCH_PG=postgres://postgres@127.0.0.1:5432/test   also run on PostgreSQL ("" skips)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
source scripts/env.sh
cargo build --release -p server --bin netlines --bin loadgen

SECS="${BENCH_SECS:-20}"
PAIRS="${BENCH_PAIRS:-100}"
IDLE="${BENCH_IDLE:-19000}"
PG="${BENCH_PG-postgres://postgres@127.0.0.1:5432/test}"
OUT="${BENCH_OUT:-target/bench}"
mkdir -p "$OUT"
LG="$CARGO_TARGET_DIR/release/loadgen"

run() {
  local label="$1"; shift
  echo
  echo "==> $label"
  "$LG" --label "$label" --json "$OUT/$label.json" "$@"
}

run sqlite-flat --pairs "$PAIRS" --duration "$SECS"
run sqlite-rate-5000 --pairs "$PAIRS" --duration "$SECS" --rate 5000
if [ -n "$PG" ]; then
  run postgres-flat --pairs "$PAIRS" --duration "$SECS" --database-url "$PG"
  run postgres-rate-5000 --pairs "$PAIRS" --duration "$SECS" --rate 5000 --database-url "$PG"
fi
run sqlite-chaos --pairs "$PAIRS" --duration "$SECS" --kill-every 4 --storm 1000
run sqlite-idle --idle "$IDLE"

# The customer's chat page on the wire: the release build, split and precompressed, opened
# with an empty cache in Chromium (end2end/tests/bundle.spec.ts prints what it received).
echo
echo "==> chat-page-weight"
build_site --release --site-root target/site
"$CARGO_TARGET_DIR/release/netlines" precompress target/site/pkg > /dev/null
BUNDLE_REPORT=1 NETLINES_BIN="$CARGO_TARGET_DIR/release/netlines" NETLINES_SITE_ROOT="$PWD/target/site" \
  bash scripts/e2e.sh tests/bundle.spec.ts \
  | tee "$OUT/chat-page-weight.txt" | grep -E "bundle_|passed|failed"
echo
echo "Figures written to $OUT/*.json"
