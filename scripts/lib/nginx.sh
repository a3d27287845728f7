# nginx, from Debian's nginx-light package, for the test of the reverse-proxy
# example (tests/proxy runs deploy/nginx/hokm.conf). Sourced after
# scripts/lib/services.sh (apt_install). Only the binary is wanted: the
# package's own service is kept from starting (policy-rc.d), since the test
# runs nginx itself on side ports. Idempotent.

ensure_nginx() {
  command -v nginx >/dev/null 2>&1 && return 0
  [ -x /usr/sbin/nginx ] && return 0
  local made=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null
    as_root chmod 755 /usr/sbin/policy-rc.d
    made=1
  fi
  apt_install nginx-light
  if [ -n "$made" ]; then as_root rm -f /usr/sbin/policy-rc.d; fi
}
