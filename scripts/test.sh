#!/usr/bin/env bash
# `make test`: set up and run every check and test. Fails on the first failure.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
source scripts/env.sh

WASM_ARGS=()
[ "${#LEPTOS_LIB_ARGS[@]}" -gt 0 ] && WASM_ARGS=(-Zbuild-std=std,panic_abort)
start=$SECONDS
step() { echo; echo "==> [$((SECONDS - start))s] $*"; }

step "rustfmt"
cargo fmt --all -- --check

step "clippy (server side: ssr)"
cargo clippy -p app -p server --features app/ssr --all-targets -- -D warnings

step "clippy (browser side: hydrate, wasm32)"
cargo clippy -p frontend -p app --features app/hydrate --target wasm32-unknown-unknown "${WASM_ARGS[@]}" -- -D warnings

# PostgreSQL: when it answers, the API tests also run on it (a fresh database per test).
if [ -z "${TEST_DATABASE_URL:-}" ] && command -v pg_isready >/dev/null 2>&1 \
   && pg_isready -q -h 127.0.0.1 -p 5432; then
  export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:5432/test"
fi
if [ -n "${CI:-}" ] && [ -z "${TEST_DATABASE_URL:-}" ]; then
  echo "CI requires PostgreSQL on 127.0.0.1:5432 (TEST_DATABASE_URL); it does not answer" >&2
  exit 1
fi
step "unit and API tests (SQLite${TEST_DATABASE_URL:+ and PostgreSQL})"
cargo test -p app -p server --features app/ssr

step "browser tests (Playwright, Chromium)"
cargo leptos build "${LEPTOS_LIB_ARGS[@]}"
bash scripts/e2e.sh

step "all tests passed"
