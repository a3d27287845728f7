// Package redisconn builds every Redis client of the server from the
// configuration — the roles' shared client, asynqmon's and the one-shot
// tools' — so that all of them reach the same Redis the same way: a single
// server (HOKM_REDIS_URL), the primary a set of Sentinels names
// (HOKM_REDIS_SENTINELS, HOKM_REDIS_MASTER) or a Redis Cluster
// (HOKM_REDIS_CLUSTER_ADDRS), with the same short timeouts.
// It also reads the Redis settings that decide what a crash or a full
// memory costs (settings.go).
package redisconn

import (
	"context"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/internal/config"
	"github.com/hokm-project/hokm/internal/redisnodes"
)

// Timeouts of every client. go-redis' defaults would block a move for
// seconds when Redis is unreachable; a fast error is what lets play resume
// quickly once it is back (or once a Sentinel has promoted a replica).
const (
	dialTimeout  = time.Second
	ioTimeout    = time.Second
	poolTimeout  = 2 * time.Second
	retries      = 1
	poolPerShard = 10 // connections per action stream partition (blocked reads hold one each)
	// clusterReload is how often a cluster client reloads the slot map.
	// go-redis reloads it on MOVED/ASK and, by default, every 60 s: a
	// master that died unannounced keeps its slots failing until then,
	// while the cluster promotes its replica in a few seconds.
	clusterReload = time.Second
)

// New builds the client cfg describes; it connects lazily, so an
// unreachable Redis shows at the first command, not here. Under Sentinel
// it is a failover client: it asks the Sentinels for the primary, follows
// their switch-master announcements and reconnects to the new primary
// after a failover. On a cluster it is a cluster client: it routes each
// key to the master of its slot and reloads the slot map every
// clusterReload as well as on MOVED/ASK. The error names the variable that
// cannot be used.
//
// onConnect, when given, runs on every new connection before its first use
// (with the connection's server run id — on a cluster, the node's): after
// a restart or failover every connection is new, so the caller knows of
// the new server before any command reaches it.
func New(cfg config.Config, onConnect ...func(runID string)) (redis.UniversalClient, error) {
	opt, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("HOKM_REDIS_URL: %w", err)
	}
	if cfg.RedisPassword != "" {
		opt.Password = cfg.RedisPassword
	}
	opt.Protocol = Protocol(opt.Protocol)
	poolSize := max(opt.PoolSize, poolPerShard*cfg.Partitions)
	if !cfg.Sentinel() && !cfg.Cluster() {
		opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout = dialTimeout, ioTimeout, ioTimeout
		opt.PoolTimeout, opt.MaxRetries, opt.PoolSize = poolTimeout, retries, poolSize
		// Let a cancelled context end a blocking XREADGROUP at once, so a
		// stopping worker does not wait out its block time.
		opt.ContextTimeoutEnabled = true
		opt.OnConnect = connectHook(onConnect)
		return redis.NewClient(opt), nil
	}
	u := &redis.UniversalOptions{Protocol: opt.Protocol, Username: opt.Username, Password: opt.Password, DB: opt.DB, TLSConfig: opt.TLSConfig,
		DialTimeout: dialTimeout, ReadTimeout: ioTimeout, WriteTimeout: ioTimeout, PoolTimeout: poolTimeout,
		MaxRetries: retries, PoolSize: poolSize, ContextTimeoutEnabled: true, OnConnect: connectHook(onConnect)}
	if cfg.Cluster() {
		if opt.DB != 0 {
			return nil, fmt.Errorf("HOKM_REDIS_URL: Redis Cluster has only DB 0 (the URL names DB %d)", opt.DB)
		}
		u.Addrs = cfg.RedisCluster
		co := u.Cluster()
		co.ClusterStateReloadInterval = clusterReload
		return redis.NewClusterClient(co), nil
	}
	u.Addrs, u.MasterName, u.SentinelPassword = cfg.RedisSentinels, cfg.RedisMaster, cfg.RedisSentinelPassword
	return redis.NewFailoverClient(u.Failover()), nil
}

// Protocol is the RESP version the clients speak: the one the URL names
// (urlProtocol, 0 when none), else 2. The server uses none of RESP3's
// additions (push notifications, client-side caching), and under RESP3
// go-redis looks for a push notification before every reply it reads (1 %
// of a busy server's CPU) and says HELLO on every new connection. The
// tests' clients and the bench's relays speak it too.
func Protocol(urlProtocol int) int {
	if urlProtocol != 0 {
		return urlProtocol
	}
	return 2
}

// connectHook reads a new connection's server run id (INFO) and tells fs;
// nil without fs. A connection whose INFO fails is used anyway: its
// commands report the trouble. A replica's is not told: a cluster client
// also talks to replicas (to load the slot map), and only masters hold the
// tables; a replica promoted later is told by its next new connection, and
// found by the recovery check within its interval anyway.
func connectHook(fs []func(runID string)) func(context.Context, *redis.Conn) error {
	if len(fs) == 0 {
		return nil
	}
	return func(ctx context.Context, cn *redis.Conn) error {
		info, err := cn.Info(ctx).Result() // the default sections: server and replication among them
		if err != nil {
			return nil
		}
		f := redisnodes.InfoFields(info)
		if id := f["run_id"]; id != "" && f["role"] != "slave" {
			for _, f := range fs {
				f(id)
			}
		}
		return nil
	}
}

// ConnOpt is cfg as an asynq.RedisConnOpt, for the asynq and asynqmon
// APIs that open (and close) a connection of their own: each client they
// make comes from New. The error is New's.
func ConnOpt(cfg config.Config) (asynq.RedisConnOpt, error) {
	rdb, err := New(cfg)
	if err != nil {
		return nil, err
	}
	rdb.Close() // New made no connection; this only checked cfg
	return connOpt{cfg}, nil
}

type connOpt struct{ cfg config.Config }

// MakeRedisClient implements asynq.RedisConnOpt.
func (c connOpt) MakeRedisClient() any {
	rdb, _ := New(c.cfg) // ConnOpt checked that it builds
	return rdb
}
