# Sourced by scripts: a local Redis Cluster of the tests' own (three masters
# with a replica each, redis-server processes on side ports in a temporary
# folder, formed by redis-cli --cluster create; no persistence). It never
# touches the Redis on 6379.
#
#   start_redis_cluster   sets REDIS_CLUSTER_ADDRS (host:port,…) and REDIS_CLUSTER_DIR
#   stop_redis_cluster    kills those processes by PID and removes the folder

start_redis_cluster() {
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null || {
    echo "redis-server and redis-cli are needed for the Redis Cluster (Debian package redis-server)" >&2; return 1; }
  REDIS_CLUSTER_DIR=$(mktemp -d "${TMPDIR:-/tmp}/hokm-redis-cluster-XXXXXX")
  local base port i addrs=()
  # Six free ports in a row, away from the usual ones, with their cluster
  # bus ports (port + 10000) below the kernel's ephemeral range (32768 up),
  # where a client socket could hold one.
  for base in $(shuf -i 12000-22000 -n 20); do
    local free=1
    for i in 0 1 2 3 4 5 10000 10001 10002 10003 10004 10005; do
      if (exec 3<>"/dev/tcp/127.0.0.1/$((base + i))") 2>/dev/null; then free=0; break; fi
    done
    [ "$free" = 1 ] && break
  done
  for i in 0 1 2 3 4 5; do
    port=$((base + i))
    mkdir -p "$REDIS_CLUSTER_DIR/$port"
    redis-server --bind 127.0.0.1 --port "$port" --dir "$REDIS_CLUSTER_DIR/$port" \
      --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 1000 \
      --save "" --appendonly no --daemonize yes --pidfile "$REDIS_CLUSTER_DIR/$port/pid" \
      --logfile "$REDIS_CLUSTER_DIR/$port/log"
    addrs+=("127.0.0.1:$port")
  done
  for i in $(seq 300); do # (a loaded machine: up to 30 s)
    local up=0
    for a in "${addrs[@]}"; do redis-cli -p "${a##*:}" ping >/dev/null 2>&1 && up=$((up + 1)); done
    [ "$up" = 6 ] && break
    sleep 0.1
  done
  redis-cli --cluster create "${addrs[@]}" --cluster-replicas 1 --cluster-yes >"$REDIS_CLUSTER_DIR/create.log" 2>&1 || {
    cat "$REDIS_CLUSTER_DIR/create.log" >&2; stop_redis_cluster; return 1; }
  for i in $(seq 300); do
    local ok=0
    for a in "${addrs[@]}"; do
      redis-cli -p "${a##*:}" cluster info 2>/dev/null | grep '^cluster_state:ok' >/dev/null && ok=$((ok + 1))
    done
    [ "$ok" = 6 ] && break
    sleep 0.1
  done
  REDIS_CLUSTER_ADDRS=$(IFS=,; echo "${addrs[*]}")
  export REDIS_CLUSTER_ADDRS REDIS_CLUSTER_DIR
}

stop_redis_cluster() {
  [ -n "${REDIS_CLUSTER_DIR:-}" ] && [ -d "$REDIS_CLUSTER_DIR" ] || return 0
  local f
  for f in "$REDIS_CLUSTER_DIR"/*/pid; do
    [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
  done
  sleep 0.2
  rm -rf "$REDIS_CLUSTER_DIR"
}
