# promtool, from Debian's prometheus package, for the tests of the alerting
# rules (internal/metrics: promtool check rules / test rules on
# deploy/prometheus). Sourced after scripts/lib/services.sh (apt_install).
# Only the tool is wanted: the package's own server is not started here.
# Idempotent.

ensure_promtool() {
  command -v promtool >/dev/null 2>&1 && return 0
  apt_install prometheus
}
