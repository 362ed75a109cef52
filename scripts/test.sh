#!/usr/bin/env bash
# `make test`: set up and run every check and test. Fails on the first failure.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
source scripts/env.sh

start=$SECONDS
step() { echo; echo "==> [$((SECONDS - start))s] $*"; }

step "rustfmt"
cargo fmt --all -- --check

step "clippy (server side: ssr)"
cargo clippy -p app -p server --features app/ssr --all-targets -- -D warnings
# The site builder on its own: selected together, its dependencies' features would be
# unified with the server's and the server would be built twice.
cargo clippy -p build-site -p test-macros --all-targets -- -D warnings

step "clippy (browser side: hydrate, wasm32)"
cargo clippy -p frontend -p app --features app/hydrate --target wasm32-unknown-unknown "${WASM_CARGO_ARGS[@]}" -- -D warnings

# PostgreSQL: when it answers, the API tests also run on it (a fresh database per test).
if [ -z "${TEST_DATABASE_URL:-}" ] && command -v pg_isready >/dev/null 2>&1 \
   && pg_isready -q -h 127.0.0.1 -p 5432; then
  export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:5432/test"
fi
if [ -n "${CI:-}" ] && [ -z "${TEST_DATABASE_URL:-}" ]; then
  echo "CI requires PostgreSQL on 127.0.0.1:5432 (TEST_DATABASE_URL); it does not answer" >&2
  exit 1
fi
# NATS (JetStream): the multi-node tests (server/tests/api/cluster.rs) run whenever
# PostgreSQL does, and fail when NATS does not answer.
export TEST_NATS_URL="${TEST_NATS_URL:-nats://127.0.0.1:4222}"
if [ -n "${TEST_DATABASE_URL:-}" ] && ! (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null \
   && [ "$TEST_NATS_URL" = "nats://127.0.0.1:4222" ]; then
  echo "the multi-node tests need NATS with JetStream on 127.0.0.1:4222 (TEST_NATS_URL); it does not answer" >&2
  exit 1
fi
step "unit and API tests (SQLite${TEST_DATABASE_URL:+, PostgreSQL and several nodes over NATS})"
cargo test -p app -p server --features app/ssr
cargo test -p build-site

# A smoke run of the load generator, never timed: the server is SIGKILLed every 2 s and
# clients are forced off 100 times; every acknowledged message must be stored once, in
# order, and seen once by both sides. Then a short run at a fixed rate on PostgreSQL.
step "load generator smoke (kills, reconnect storm; nothing lost or repeated)"
cargo build -p server --features app/ssr --bin netlines --bin loadgen
"$CARGO_TARGET_DIR/debug/loadgen" --label smoke-chaos --pairs 10 --warmup 1 --duration 6 \
  --kill-every 2 --storm 100 --min-acked 100
if [ -n "${TEST_DATABASE_URL:-}" ]; then
  "$CARGO_TARGET_DIR/debug/loadgen" --label smoke-postgres --pairs 5 --warmup 1 --duration 3 \
    --rate 100 --database-url "$TEST_DATABASE_URL" --min-acked 100
  # Two nodes joined by NATS; every pair's customer and operator on different nodes,
  # and the first node SIGKILLed every 2 s (its clients move to the other).
  "$CARGO_TARGET_DIR/debug/loadgen" --label smoke-nodes --pairs 10 --warmup 1 --duration 6 \
    --nodes 2 --nats-url "$TEST_NATS_URL" --database-url "$TEST_DATABASE_URL" \
    --kill-every 2 --min-acked 100
fi
"$CARGO_TARGET_DIR/debug/loadgen" --label smoke-idle --idle 200

step "browser tests (Playwright, Chromium)"
# Split as in production (make run): the specs cover loading pages' parts on demand.
# Into a site folder of its own, so a `make run` serving target/site keeps its files.
# The server binary is the one built above for the load generator.
build_site --site-root target/site-debug --skip-server
bash scripts/e2e.sh

step "all tests passed"
