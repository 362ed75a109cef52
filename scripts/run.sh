#!/usr/bin/env bash
# `make run`: set up, build (release) and serve with an embedded SQLite database.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
source scripts/env.sh
# Pages other than the customer's chat are parts of the wasm of their own, loaded when
# opened (app/src/ui.rs, lazy_page!); scripts/build-site cuts them out.
build_site --release --site-root target/site
# Brotli and gzip copies of the wasm, JS and CSS, served instead of compressing per request.
"$CARGO_TARGET_DIR/release/netlines" precompress target/site/pkg
export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-target/site}"
export LEPTOS_SITE_ADDR="${LEPTOS_SITE_ADDR:-127.0.0.1:3000}"
export DATABASE_URL="${DATABASE_URL:-sqlite://data/netlines.db?mode=rwc}"
echo "Serving Netlines on http://$LEPTOS_SITE_ADDR (database: $DATABASE_URL). Ctrl+C stops it."
echo "Tip: \"$CARGO_TARGET_DIR/release/netlines\" demo  seeds demo accounts and prints their passwords."
exec "$CARGO_TARGET_DIR/release/netlines" serve
