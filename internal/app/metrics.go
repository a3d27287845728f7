package app

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"

	"github.com/hokm-project/hokm/internal/config"
	"github.com/hokm-project/hokm/internal/metrics"
	"github.com/hokm-project/hokm/store/redisstore"
	"github.com/hokm-project/hokm/tasks"
)

// instrumentRedis makes every command of rdb observed in
// hokm_redis_command_duration_seconds.
func instrumentRedis(rdb redis.UniversalClient) {
	rdb.AddHook(metrics.RedisHook{})
}

// newTracedPool opens a pgx pool whose queries are observed in
// hokm_postgres_query_duration_seconds.
func newTracedPool(ctx context.Context, url string) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("HOKM_DATABASE_URL: %w", err)
	}
	pc.ConnConfig.Tracer = metrics.PgxTracer{}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("HOKM_DATABASE_URL: %w", err)
	}
	return pool, nil
}

// registerCollectors adds the scrape-time collectors: live tables (a SCAN
// at most every 15 s, see metrics.LiveTables), asynq queue sizes by
// state and the dead-lettered actions kept.
func registerCollectors(rdb redis.UniversalClient, cfg config.Config) {
	metrics.Register(metrics.NewLiveTables(rdb, redisstore.Keys{Prefix: cfg.RedisPrefix}.TablePattern()))
	metrics.Register(metrics.NewQueues(rdb, tasks.QueuePersist, tasks.QueueDefault, tasks.QueueMaintenance))
	dead := redisstore.Keys{Prefix: cfg.RedisPrefix}.DeadActions()
	metrics.Register(metrics.NewDeadActions(func(ctx context.Context) (int64, error) { return rdb.HLen(ctx, dead).Result() }))
}

// Metrics registers the collectors that read Redis at scrape time; the
// other metrics are package-level in internal/metrics. The ops listener
// serves metrics.Registry() at /metrics.
var Metrics = fx.Module("metrics", fx.Invoke(registerCollectors))
