# The browser tests' tools (internal/app/browser_test.go): Debian's Chromium
# (the headless shell for the tests, the full browser for make webbench),
# Node.js with npm, and playwright-core as pinned in
# tests/browser/package-lock.json. Playwright never downloads a browser: the
# tests start /usr/bin/chromium-headless-shell. Sourced after scripts/lib/services.sh
# (apt_install, log). Idempotent.

ensure_browser_deps() {
  local pkgs=()
  command -v chromium >/dev/null 2>&1 || pkgs+=(chromium chromium-driver fonts-noto-core)
  command -v chromium-headless-shell >/dev/null 2>&1 || pkgs+=(chromium-headless-shell)
  command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
  command -v npm >/dev/null 2>&1 || pkgs+=(npm)
  if [ ${#pkgs[@]} -gt 0 ]; then apt_install "${pkgs[@]}"; fi
  # npm ci only when the installed playwright-core is not the locked one
  if ! node -e '
      const want = require("./tests/browser/package-lock.json").packages["node_modules/playwright-core"].version
      const have = require("./tests/browser/node_modules/playwright-core/package.json").version
      process.exit(want === have ? 0 : 1)' 2>/dev/null; then
    log "installing the browser tests' npm packages (npm ci --prefix tests/browser)"
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error >/dev/null
  fi
}
