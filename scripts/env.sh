# Environment for building with the toolchain route chosen by scripts/setup.sh.
# Source it: `source scripts/env.sh`.
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$_root/scripts/common.sh"
export PATH="$HOME/.cargo/bin:/usr/local/bin:$PATH"
LEPTOS_LIB_ARGS=()
if [ "$(cat "$NETLINES_CACHE/toolchain-route" 2>/dev/null)" = "B" ]; then
  # Debian's compiler has no prebuilt wasm32 std: build it from source.
  command -v rustup >/dev/null 2>&1 && export RUSTUP_TOOLCHAIN=debian-web
  export RUSTC_BOOTSTRAP=1
  export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld-22
  LEPTOS_LIB_ARGS=(--lib-cargo-args=-Zbuild-std=std,panic_abort)
fi
export LEPTOS_LIB_ARGS
unset _root
# The same value cargo-leptos sets; leptos reads it with option_env!, so exporting it
# for plain cargo commands too keeps their build fingerprints equal (no rebuilds when
# alternating `cargo test` and `cargo leptos build`).
export LEPTOS_OUTPUT_NAME=netlines
