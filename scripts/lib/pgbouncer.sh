# pgbouncer, for scripts/test's pass of the persistence and account tests
# through a pooler in transaction mode (HOKM_TEST_PGBOUNCER=1: the tests
# start their own on a side port, internal/testenv/pgbouncer.go). Sourced
# after scripts/lib/services.sh (deb_tool). Only the program is wanted: it
# and the c-ares library it needs are taken out of Debian's packages into
# .cache/tools, never installed, so no pgbouncer service is enabled or
# started. Idempotent.

ensure_pgbouncer() {
  command -v pgbouncer >/dev/null 2>&1 && return 0
  local bin lib wrap
  bin=$(deb_tool pgbouncer usr/sbin/pgbouncer) || die "could not get pgbouncer from Debian's pgbouncer package"
  # Asked of the program itself, not of ldd piped into grep -q: under
  # pipefail, grep leaving at the first match could kill ldd with SIGPIPE
  # and the test read as "nothing missing" (CI failed that way once).
  if ! "$bin" --version >/dev/null 2>&1; then
    lib="$(pwd)/.cache/tools/libc-ares2/usr/lib/$(uname -m)-linux-gnu/libcares.so.2"
    deb_tool libc-ares2 "${lib#"$(pwd)/.cache/tools/libc-ares2/"}" >/dev/null || true # a library: not executable
    [ -e "$lib" ] || die "could not get libcares from Debian's libc-ares2 package"
  fi
  wrap="$(pwd)/.cache/tools/bin"
  mkdir -p "$wrap"
  printf '#!/bin/sh\n%sexec %s "$@"\n' "${lib:+LD_LIBRARY_PATH=$(dirname "$lib") }" "$bin" > "$wrap/pgbouncer"
  chmod 755 "$wrap/pgbouncer"
  "$wrap/pgbouncer" --version >/dev/null 2>&1 || die "pgbouncer from .cache/tools does not run: $("$wrap/pgbouncer" --version 2>&1 | head -3)"
  # The tests run it as the postgres OS user when they run as root.
  chmod o+rx "$(pwd)/.cache" "$(pwd)/.cache/tools" "$wrap" 2>/dev/null || true
  PATH="$wrap:$PATH"
  export PATH
}
