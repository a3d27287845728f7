# promtool, for the tests of the alerting rules (internal/metrics: promtool
# check rules / test rules on deploy/prometheus). Sourced after
# scripts/lib/services.sh (deb_tool). Only the tool is wanted: it is taken
# out of Debian's prometheus package into .cache/tools, never installed as
# a package, so no Prometheus service is enabled or started. Idempotent.

ensure_promtool() {
  command -v promtool >/dev/null 2>&1 && return 0
  local bin
  bin=$(deb_tool prometheus usr/bin/promtool) || die "could not get promtool from Debian's prometheus package"
  PATH="$(dirname "$bin"):$PATH"
  export PATH
}
