#!/usr/bin/env bash
# Runs the Playwright specs against the debug build (built by `cargo leptos build`).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
source "$ROOT/scripts/env.sh"
export NETLINES_BIN="${NETLINES_BIN:-$CARGO_TARGET_DIR/debug/netlines}"
export NETLINES_SITE_ROOT="$ROOT/target/site"
cd "$ROOT/end2end"
npx playwright test "$@"
