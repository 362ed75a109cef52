#!/usr/bin/env bash
# `make run`: set up, build and serve with an embedded SQLite database.
# The client (what browsers download) is always the release build. The server is a debug
# build unless NETLINES_RELEASE=1: it builds in about a third of the time (the first run
# on 2 cores), and is the same binary `make test` builds. For production and for speed
# figures use the release server (`make build`, `NETLINES_RELEASE=1 make run`).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
source scripts/env.sh
# Pages other than the customer's chat are parts of the wasm of their own, loaded when
# opened (app/src/ui.rs, lazy_page!); scripts/build-site cuts them out.
if [ "${NETLINES_RELEASE:-0}" = "1" ]; then
  build_site --release --site-root target/site
  bin="$CARGO_TARGET_DIR/release/netlines"
else
  build_site --release --debug-server --site-root target/site
  bin="$CARGO_TARGET_DIR/debug/netlines"
fi
# Brotli and gzip copies of the wasm, JS and CSS, served instead of compressing per request.
"$bin" precompress target/site/pkg
export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-target/site}"
export LEPTOS_SITE_ADDR="${LEPTOS_SITE_ADDR:-127.0.0.1:3000}"
export DATABASE_URL="${DATABASE_URL:-sqlite://data/netlines.db?mode=rwc}"
echo "Serving Netlines on http://$LEPTOS_SITE_ADDR (database: $DATABASE_URL). Ctrl+C stops it."
echo "Tip: \"$bin\" demo  seeds demo accounts and prints their passwords."
exec "$bin" serve
