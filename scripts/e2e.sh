#!/usr/bin/env bash
# Runs the Playwright specs against the debug build (built by `make build-debug` into
# target/site-debug, apart from the release site that `make run` serves).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
source "$ROOT/scripts/env.sh"
export NETLINES_BIN="${NETLINES_BIN:-$CARGO_TARGET_DIR/debug/netlines}"
export NETLINES_SITE_ROOT="${NETLINES_SITE_ROOT:-$ROOT/target/site-debug}"
cd "$ROOT/end2end"
npx playwright test "$@"
