# Shared by scripts/serve and scripts/test: make sure Go, Redis and
# PostgreSQL are there, installing Debian packages and starting the packaged
# services only when a service is not already reachable. Idempotent.

log() { printf '==> %s\n' "$*" >&2; }
# The machine a benchmark's figures come from.
log_machine() { log "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(free -g | awk '/^Mem:/ {print $2}') GiB"; }
# drop_run_data REDIS_URL DATABASE_URL PATTERN...: what a benchmark run
# leaves behind goes — the Redis keys matching each pattern (in the run's
# own DB) and the run's own database.
drop_run_data() {
  local redis=$1 dburl=$2 pattern db admin
  shift 2
  for pattern in "$@"; do
    redis-cli -u "$redis" --scan --pattern "$pattern" | xargs -r -n 500 redis-cli -u "$redis" UNLINK >/dev/null
  done
  db=$(sed -E 's|.*/([^/?]+)(\?.*)?$|\1|' <<<"$dburl")
  admin=$(sed -E 's|/[^/?]+(\?.*)?$|/postgres\1|' <<<"$dburl")
  psql -q "$admin" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
}
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# port_open HOST PORT: is something listening?
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_port() { # HOST PORT NAME
  for _ in $(seq 1 100); do port_open "$1" "$2" && return 0; sleep 0.1; done
  die "$3 did not start listening on $1:$2"
}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  log "installing Debian packages: $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# deb_tool PACKAGE PATH: a program out of a Debian package, without
# installing the package (so nothing of it is enabled or started): the .deb
# is downloaded and unpacked into .cache/tools/PACKAGE once; prints the
# program's absolute path. Its shared libraries must be on the machine.
deb_tool() {
  local pkg=$1 path=$2 dir
  dir="$(pwd)/.cache/tools/$pkg"
  if [ ! -x "$dir/$path" ]; then
    log "unpacking $path from Debian's $pkg package into .cache/tools (not installed, no service)"
    local tmp
    tmp=$(mktemp -d)
    if ! (cd "$tmp" && apt-get download -qq "$pkg" >/dev/null 2>&1); then
      as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
      (cd "$tmp" && apt-get download -qq "$pkg" >/dev/null) || { rm -rf "$tmp"; return 1; }
    fi
    mkdir -p "$dir" && dpkg-deb -x "$tmp"/"$pkg"_*.deb "$dir"
    rm -rf "$tmp"
  fi
  [ -x "$dir/$path" ] && printf '%s
' "$dir/$path"
}

# url_hostport URL DEFAULT_PORT: prints "host port" of a redis:// or postgres:// URL.
url_hostport() {
  local rest=${1#*://}; rest=${rest#*@}; rest=${rest%%/*}; rest=${rest%%\?*}
  local host=${rest%%:*} port=$2
  [ "$rest" != "$host" ] && port=${rest##*:}
  printf '%s %s\n' "${host:-127.0.0.1}" "$port"
}

ensure_go() {
  command -v go >/dev/null 2>&1 || die "Go 1.26 is required on PATH (https://go.dev/dl); the project builds with the go command"
}

ensure_redis() { # URL
  local host port
  read -r host port < <(url_hostport "${1:-redis://127.0.0.1:6379/0}" 6379)
  if port_open "$host" "$port"; then return 0; fi
  case "$host" in 127.*|localhost) ;; *) die "Redis at $host:$port is not reachable (not local, so not starting it)";; esac
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  log "starting Redis on $host:$port"
  if [ "$port" = 6379 ] && [ -x /etc/init.d/redis-server ] && as_root service redis-server start >/dev/null 2>&1 && wait_port "$host" "$port" Redis 2>/dev/null; then
    return 0
  fi
  # No init system (containers): run it directly, with an append-only file so
  # acknowledged moves survive a Redis crash (fsync every second).
  local dir=${HOKM_REDIS_DIR:-/var/lib/hokm-redis}
  as_root mkdir -p "$dir"
  as_root redis-server --daemonize yes --bind "$host" --port "$port" --dir "$dir" \
    --appendonly yes --appendfsync everysec --save "" --logfile "$dir/redis.log" --pidfile "$dir/redis.pid"
  started_here+=("redis:$dir/redis.pid")
  wait_port "$host" "$port" Redis
}

ensure_postgres() { # URL
  local host port
  read -r host port < <(url_hostport "${1:-postgres://postgres@127.0.0.1:5432/hokm}" 5432)
  if port_open "$host" "$port"; then return 0; fi
  case "$host" in 127.*|localhost) ;; *) die "PostgreSQL at $host:$port is not reachable (not local, so not starting it)";; esac
  local installed_now=0
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    apt_install postgresql
    installed_now=1
  fi
  local ver; ver=$(ls /etc/postgresql | sort -V | tail -n 1)
  if [ "$installed_now" = 1 ]; then
    # A fresh local cluster only allows password logins over TCP. The default
    # HOKM_DATABASE_URL logs in as postgres without a password, so trust
    # loopback connections on this development machine (see README).
    local hba=/etc/postgresql/$ver/main/pg_hba.conf
    as_root sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "$hba"
    log "PostgreSQL $ver installed; loopback connections trusted in $hba"
  fi
  local cluster_port
  cluster_port=$(sed -nE 's/^[[:space:]]*port[[:space:]]*=[[:space:]]*([0-9]+).*/\1/p' "/etc/postgresql/$ver/main/postgresql.conf" | tail -n 1)
  if [ "$port" != "${cluster_port:-5432}" ]; then
    # The packaged cluster listens elsewhere: a private one on the port asked for.
    start_private_postgres "$ver" "$host" "$port"
    return
  fi
  log "starting PostgreSQL $ver"
  as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start 2>/dev/null || as_root service postgresql start
  wait_port "$host" "$port" PostgreSQL
}

# start_private_postgres VERSION HOST PORT: a cluster of our own in
# HOKM_PG_DIR (default /var/lib/hokm-postgres/PORT), trusting local
# connections as user postgres (a development machine), run as the
# postgres system user.
start_private_postgres() {
  local ver=$1 host=$2 port=$3 bin=/usr/lib/postgresql/$1/bin
  local dir=${HOKM_PG_DIR:-/var/lib/hokm-postgres/$port}
  if [ ! -f "$dir/PG_VERSION" ]; then
    log "creating a PostgreSQL $ver cluster for port $port in $dir (the packaged one listens on another port)"
    as_root mkdir -p "$dir"
    as_root chown postgres: "$dir"
    as_root runuser -u postgres -- "$bin/initdb" -D "$dir" -U postgres --auth=trust >/dev/null \
      || die "initdb in $dir failed"
  fi
  log "starting PostgreSQL $ver on $host:$port ($dir)"
  as_root runuser -u postgres -- "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w \
    -o "-p $port -c listen_addresses=$host -k $dir" start >/dev/null \
    || die "PostgreSQL did not start on $host:$port; see $dir/server.log"
  started_here+=("postgres:$dir")
  wait_port "$host" "$port" PostgreSQL
}

# started_here lists what this script started ("redis:PIDFILE",
# "postgres:DIR"); stop_started_here stops them, for a set-up that fails
# before the server runs (nothing is left behind).
started_here=()
stop_started_here() {
  local s
  for s in "${started_here[@]}"; do
    case "$s" in
      redis:*) [ -f "${s#redis:}" ] && as_root kill "$(cat "${s#redis:}")" 2>/dev/null ;;
      postgres:*) as_root runuser -u postgres -- "$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/pg_ctl" -D "${s#postgres:}" -m fast stop >/dev/null 2>&1 ;;
    esac
    log "stopped ${s%%:*}, which this set-up had started"
  done
  started_here=()
}
