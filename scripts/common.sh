# Shared by the scripts: where caches live (outside the clone, so CI runs reuse builds).
if [ -z "${NETLINES_CACHE:-}" ]; then
  if [ -w /var/cache ]; then
    NETLINES_CACHE=/var/cache/netlines
  else
    NETLINES_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/netlines"
  fi
fi
export NETLINES_CACHE
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$NETLINES_CACHE/target}"
