package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"

	"github.com/hokm-project/hokm/internal/breaker"
	"github.com/hokm-project/hokm/internal/config"
	"github.com/hokm-project/hokm/internal/readiness"
	"github.com/hokm-project/hokm/store/pgreplica"
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
// breaker; with HOKM_DATABASE_REPLICA_URL its reads that may lag a little
// go to the replica while it answers and keeps up (store/pgreplica).
func newPgStore(lc fx.Lifecycle, cfg config.Config, log *slog.Logger, pool *pgxpool.Pool, b PostgresBreaker) (*pgstore.Store, *pgreplica.Router, error) {
	primary := breaker.GuardPostgres(pool, b.Breaker)
	pg := pgstore.New(primary)
	if cfg.DatabaseReplicaURL == "" {
		return pg, nil, nil
	}
	replica, err := newTracedPool(context.Background(), cfg.DatabaseReplicaURL)
	if err != nil {
		return nil, nil, fmt.Errorf("HOKM_DATABASE_REPLICA_URL: %w", err)
	}
	r := pgreplica.New(primary, replica, pgreplica.Options{MaxLag: cfg.ReplicaMaxLag, Log: log})
	lc.Append(fx.Hook{OnStart: r.Start, OnStop: func(ctx context.Context) error {
		defer replica.Close()
		return r.Stop(ctx)
	}})
	return pg.WithStaleReads(r), r, nil
}

// ReadyCheck is one named check of the ops listener's /readyz (one without
// a Check func is left out). Modules add theirs to the "ready_checks" group:
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

// replicaReadyCheck shows the read replica, when there is one (a check
// without a func is left out): down or lagging, its reads go to the
// primary (degraded, never unready).
func replicaReadyCheck(r *pgreplica.Router) ReadyCheck {
	if r == nil {
		return ReadyCheck{}
	}
	return ReadyCheck{Name: "postgres_replica", Check: func(context.Context) error {
		if !r.Usable() {
			return errors.New("reads go to the primary: the replica is down or lags")
		}
		return nil
	}}
}
