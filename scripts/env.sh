# Environment for building with the toolchain route chosen by scripts/setup.sh.
# Source it: `source scripts/env.sh`.
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$_root/scripts/common.sh"
export PATH="$HOME/.cargo/bin:/usr/local/bin:$PATH"
# Extra cargo arguments for every wasm32 build (clippy and the site).
WASM_CARGO_ARGS=()
if [ "$(cat "$NETLINES_CACHE/toolchain-route" 2>/dev/null)" = "B" ]; then
  # Debian's compiler has no prebuilt wasm32 std: build it from source.
  command -v rustup >/dev/null 2>&1 && export RUSTUP_TOOLCHAIN=debian-web
  export RUSTC_BOOTSTRAP=1
  export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld-22
  WASM_CARGO_ARGS=(-Zbuild-std=std,panic_abort)
fi
unset _root

# Builds the site (server binary, split wasm, CSS, assets) with scripts/build-site:
# plain cargo plus the wasm-bindgen and wasm-split libraries, no cargo-leptos needed.
#   build_site [--release] [--site-root DIR] [--skip-server]
build_site() {
  cargo build -q -p build-site && "$CARGO_TARGET_DIR/debug/build-site" "$@" -- "${WASM_CARGO_ARGS[@]}"
}
# The site's output name; leptos reads it with option_env!, so every cargo command gets
# the same value (scripts/build-site sets it too) and they share their builds.
export LEPTOS_OUTPUT_NAME=netlines
