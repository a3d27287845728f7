# nginx, for the test of the reverse-proxy example (tests/proxy runs
# deploy/nginx/hokm.conf on side ports). Sourced after
# scripts/lib/services.sh (deb_tool). Only the binary is wanted: it is taken
# out of Debian's nginx package into .cache/tools, never installed as a
# package, so no nginx service is enabled or started. The test finds it
# through HOKM_TEST_NGINX. Idempotent.

ensure_nginx() {
  if [ -z "${HOKM_TEST_NGINX:-}" ]; then
    HOKM_TEST_NGINX=$(deb_tool nginx usr/sbin/nginx) || die "could not get nginx from Debian's nginx package"
  fi
  export HOKM_TEST_NGINX
}
