package app

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"

	"github.com/hokm-project/hokm/internal/redisconn"
)

// redisSettingsEvery is how often every role re-reads the Redis settings:
// after a Sentinel failover the new primary's may differ.
const redisSettingsEvery = time.Minute

// watchRedisSettings checks the Redis settings at start and then every
// minute (docs/operations.md, "Redis in production"): exported as
// hokm_redis_config_ok and _info, a warning logged when the eviction
// policy is not noeviction. It never blocks the start nor fails it.
func watchRedisSettings(lc fx.Lifecycle, rdb redis.UniversalClient, log *slog.Logger) {
	w := &redisconn.Watcher{RDB: rdb, Log: log}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tick := time.NewTicker(redisSettingsEvery)
				defer tick.Stop()
				for {
					cctx, ccancel := context.WithTimeout(ctx, 5*time.Second)
					w.Check(cctx)
					ccancel()
					select {
					case <-ctx.Done():
						return
					case <-tick.C:
					}
				}
			}()
			return nil
		},
		OnStop: func(context.Context) error { cancel(); wg.Wait(); return nil },
	})
}
