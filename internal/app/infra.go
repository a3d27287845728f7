// Package app is the composition root: fx modules that bind the packages'
// constructors to configuration and lifecycles. Each constructor also works
// without fx; this is the only package that knows them all.
package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/fx/fxevent"

	"github.com/hokm-project/hokm/internal/breaker"
	"github.com/hokm-project/hokm/internal/clientip"
	"github.com/hokm-project/hokm/internal/config"
	"github.com/hokm-project/hokm/internal/redisconn"
	"github.com/hokm-project/hokm/migrations"
	"github.com/hokm-project/hokm/store/redisstore"
)

// NewLogger builds the process logger from the configuration. Every line
// goes through the configuration's Redactor: no secret (HOKM_OPS_TOKEN,
// HOKM_STATE_KEYS, a password of HOKM_REDIS_URL, HOKM_DATABASE_URL, …)
// reaches the log, whatever error embeds it.
func NewLogger(cfg config.Config) *slog.Logger { return newLogger(cfg, os.Stderr) }

func newLogger(cfg config.Config, out io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	w := cfg.Redactor().Writer(out)
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// NewRedis opens the Redis client of every role (redisconn.New: a single
// server or, under Sentinel, a failover client; short timeouts either
// way), guarded by the Redis circuit breaker, observed in the Redis
// metrics and closed at stop.
func NewRedis(lc fx.Lifecycle, cfg config.Config, rb RedisBreaker, ids *RedisRunIDs) (redis.UniversalClient, error) {
	rdb, err := redisconn.New(cfg, ids.note)
	if err != nil {
		return nil, err
	}
	rdb.AddHook(breaker.RedisHook(rb.Breaker)) // first: the outermost hook, so refused calls are not timed as Redis calls
	instrumentRedis(rdb)
	lc.Append(fx.StopHook(rdb.Close))
	return rdb, nil
}

// RedisRunIDs passes on the run id of the Redis server each new connection
// reaches (redisconn's connect hook): after a restart or failover every
// connection is new, so the workers know of the new server before any of
// their commands reaches it (worker.Recovery.NoteRunID).
type RedisRunIDs struct {
	mu sync.Mutex
	fs []func(runID string)
}

// OnRunID adds f, called with the run id on every new connection.
func (r *RedisRunIDs) OnRunID(f func(runID string)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fs = append(r.fs, f)
}

func (r *RedisRunIDs) note(runID string) {
	r.mu.Lock()
	fs := r.fs
	r.mu.Unlock()
	for _, f := range fs {
		f(runID)
	}
}

type redisStoreParams struct {
	fx.In
	RDB  redis.UniversalClient
	Cfg  config.Config
	Seal *StateSealer `optional:"true"` // in every role that touches tables (StateKeys)
}

// NewRedisStore is the hot-state store on the configured prefix, sealing
// hidden hands with the state keys where the role has them.
func NewRedisStore(p redisStoreParams) *redisstore.Store {
	opts := redisstore.Options{Prefix: p.Cfg.RedisPrefix, Partitions: p.Cfg.Partitions}
	if p.Seal != nil {
		opts.Seal = p.Seal
	}
	return redisstore.New(p.RDB, opts)
}

// NewPool opens the PostgreSQL pool (connections are made lazily).
func NewPool(lc fx.Lifecycle, cfg config.Config) (*pgxpool.Pool, error) {
	pool, err := newTracedPool(context.Background(), cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	lc.Append(fx.StopHook(pool.Close))
	return pool, nil
}

// NewAsynqClient enqueues tasks over the shared Redis client.
func NewAsynqClient(rdb redis.UniversalClient) *asynq.Client {
	return asynq.NewClientFromRedisClient(rdb)
}

// migrate creates the database if needed and applies every migration
// before the rest of the process starts.
func migrate(lc fx.Lifecycle, cfg config.Config, log *slog.Logger) {
	lc.Append(fx.StartHook(func(ctx context.Context) error {
		if err := migrations.EnsureDatabase(ctx, cfg.DatabaseURL); err != nil {
			return fmt.Errorf("create database: %w", err)
		}
		if err := migrations.Up(ctx, cfg.DatabaseURL); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		log.Info("database migrated")
		return nil
	}))
}

// Core is what every role needs: configuration, logging, Redis.
func Core(cfg config.Config) fx.Option {
	return fx.Options(
		fx.Supply(cfg),
		fx.Provide(NewLogger, newRedisBreaker, NewRedis, NewRedisStore, NewAsynqClient,
			func() *RedisRunIDs { return &RedisRunIDs{} },
			func() clientip.Resolver { return clientip.New(cfg.TrustedProxies) }),
		readyGroup(redisReadyCheck),   // breakers.go
		fx.Invoke(watchRedisSettings), // redischeck.go
		fx.WithLogger(func(log *slog.Logger) fxevent.Logger {
			l := &fxevent.SlogLogger{Logger: log}
			l.UseLogLevel(slog.LevelDebug)
			return l
		}),
	)
}

// Postgres provides the pool and the durable store on it, behind the
// PostgreSQL circuit breaker (breakers.go).
var Postgres = fx.Options(fx.Provide(NewPool, newPostgresBreaker, newPgStore), readyGroup(postgresReadyCheck),
	readyGroup(replicaReadyCheck))

// Migrate applies migrations at start (serve does this; the split roles
// expect `hokm migrate` to have run).
// It is a module because fx runs modules' invokes before the root's, and
// the migration must come before every module that needs the schema.
var Migrate = fx.Module("migrate", fx.Invoke(migrate))

// OpenPool opens a pool outside fx (for one-shot tools) and checks it.
func OpenPool(ctx context.Context, cfg config.Config) (*pgxpool.Pool, error) {
	pool, err := newTracedPool(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	return pool, nil
}
