package app

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"

	"github.com/hokm-project/hokm/internal/breaker"
	"github.com/hokm-project/hokm/internal/readiness"
	"github.com/hokm-project/hokm/store/pgstore"
)

// RedisBreaker is the process's circuit breaker in front of Redis:
// NewRedis adds its hook to the client, so every command but the blocking
// reads goes through it. See internal/breaker.
type RedisBreaker struct{ *breaker.Breaker }

// PostgresBreaker is the process's circuit breaker in front of the
// PostgreSQL pool the stores use.
type PostgresBreaker struct{ *breaker.Breaker }

func newRedisBreaker() RedisBreaker       { return RedisBreaker{breaker.NewRedis()} }
func newPostgresBreaker() PostgresBreaker { return PostgresBreaker{breaker.NewPostgres()} }

// newPgStore is the durable store on the pool behind the PostgreSQL
// breaker.
func newPgStore(pool *pgxpool.Pool, b PostgresBreaker) *pgstore.Store {
	return pgstore.New(breaker.GuardPostgres(pool, b.Breaker))
}

// ReadyCheck is one named check of the ops listener's /readyz. Modules add
// theirs to the "ready_checks" group:
//
//	fx.Provide(fx.Annotate(newCheck, fx.ResultTags(`group:"ready_checks"`)))
//
// A Required check failing makes the process unready (503); another makes
// it degraded (200). See docs/operations.md.
type ReadyCheck = readiness.Check

// readyGroup tags a constructor's result as a member of "ready_checks".
func readyGroup(f any) fx.Option {
	return fx.Provide(fx.Annotate(f, fx.ResultTags(`group:"ready_checks"`)))
}

// redisReadyCheck: every role needs Redis (PING goes through the breaker,
// so an open breaker fails it at once).
func redisReadyCheck(rdb redis.UniversalClient) ReadyCheck {
	return ReadyCheck{Name: "redis", Required: true, Check: func(ctx context.Context) error { return rdb.Ping(ctx).Err() }}
}

// postgresReadyCheck: no role stops working without PostgreSQL — play goes
// on, persistence retries — so it is optional everywhere.
func postgresReadyCheck(pg *pgstore.Store) ReadyCheck {
	return ReadyCheck{Name: "postgres", Check: pg.Ping}
}
