#!/usr/bin/env bash
# Installs everything Netlines needs to build and test, and does nothing when all of
# it is present. Safe to run any number of times. Only package registries are used
# (crates.io, Debian, npm): never GitHub downloads.
#
# Rust: route A = rustup toolchain 1.96.0 with the wasm32 target; route B (when rustup
# cannot download) = Debian's rustc-web/cargo-web with the std built from source.
# The route taken is written to $NETLINES_CACHE/toolchain-route and read by
# scripts/env.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
source "$ROOT/scripts/common.sh"

RUST_VERSION=1.96.0
BINARYEN_VERSION=132.0.0
ESBUILD_VERSION=0.28.2

log() { echo "setup: $*"; }
apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then
    apt-get update -qq || true
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

mkdir -p "$NETLINES_CACHE"
export PATH="$HOME/.cargo/bin:/usr/local/bin:$PATH"

# --- Rust toolchain -----------------------------------------------------------------
route=""
if command -v rustup >/dev/null 2>&1; then
  if rustup run "$RUST_VERSION" rustc --version >/dev/null 2>&1 \
     && rustup target list --installed --toolchain "$RUST_VERSION" 2>/dev/null | grep -q wasm32-unknown-unknown \
     && rustup run "$RUST_VERSION" cargo clippy --version >/dev/null 2>&1 \
     && rustup run "$RUST_VERSION" rustfmt --version >/dev/null 2>&1; then
    route=A
  else
    log "installing Rust $RUST_VERSION with rustup (route A)"
    if timeout 300 rustup toolchain install "$RUST_VERSION" --profile minimal --no-self-update \
         --target wasm32-unknown-unknown --component rustfmt,clippy; then
      route=A
    else
      log "rustup could not install $RUST_VERSION; falling back to Debian's toolchain (route B)"
    fi
  fi
fi
if [ -z "$route" ]; then
  if ! [ -x /usr/bin/cargo ] || ! /usr/bin/rustc --version | grep -q " 1\.9[6-9]"; then
    apt_install rustc-web cargo-web rust-web-src lld-22 rust-web-clippy rustfmt-web
  fi
  if command -v rustup >/dev/null 2>&1 && ! rustup toolchain list | grep -q '^debian-web'; then
    rustup toolchain link debian-web /usr
  fi
  route=B
fi
echo "$route" > "$NETLINES_CACHE/toolchain-route"
log "Rust toolchain: route $route"
source "$ROOT/scripts/env.sh"

# No cargo-leptos or wasm-bindgen-cli to install: scripts/build-site links their
# libraries and is built by cargo with the project (`build_site` in scripts/env.sh).
# cargo-leptos is needed only for `cargo leptos watch` (README, "Watch mode").

# --- node, wasm-opt (npm binaryen; Debian's is too old and breaks hydration) ---------
if ! command -v npm >/dev/null 2>&1; then
  log "installing Node.js and npm"
  apt_install nodejs npm
fi
if ! wasm-opt --version 2>/dev/null | grep -q "version ${BINARYEN_VERSION%%.*}"; then
  log "installing wasm-opt from npm binaryen@$BINARYEN_VERSION"
  npm install -g --prefix /usr/local "binaryen@$BINARYEN_VERSION" >/dev/null
fi
# esbuild minifies the release site's JS glue and stylesheet (scripts/build-site).
if [ "$(esbuild --version 2>/dev/null)" != "$ESBUILD_VERSION" ]; then
  log "installing esbuild $ESBUILD_VERSION from npm"
  npm install -g --prefix /usr/local "esbuild@$ESBUILD_VERSION" >/dev/null
fi

# --- Chromium for the browser tests -----------------------------------------------------
if ! [ -x /usr/bin/chromium ]; then
  log "installing Debian's chromium"
  apt_install chromium
fi
# The emoji people's systems have (ratings use 👍 / 👎), so screenshots show what they see.
if ! [ -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ]; then
  log "installing Debian's emoji font"
  apt_install fonts-noto-color-emoji
fi

# --- PostgreSQL client tools (pg_isready) for choosing the test databases -------------
if ! command -v pg_isready >/dev/null 2>&1; then
  apt_install postgresql-client || log "postgresql-client not installed; PostgreSQL tests will be skipped by make"
fi

# --- Playwright (npm) -------------------------------------------------------------------
cd "$ROOT/end2end"
stamp="node_modules/.netlines-lock-stamp"
if ! [ -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  log "installing end2end npm packages"
  npm ci --no-audit --no-fund >/dev/null
  cp package-lock.json "$stamp"
fi

log "ready (route $route; $(cargo --version); $(wasm-opt --version | head -1))"
