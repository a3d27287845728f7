package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"

	"github.com/hokm-project/hokm/internal/app"
	"github.com/hokm-project/hokm/internal/config"
	"github.com/hokm-project/hokm/internal/gctune"
	"github.com/hokm-project/hokm/internal/redisconn"
	"github.com/hokm-project/hokm/migrations"
	"github.com/hokm-project/hokm/store/pgstore"
)

// toolEnv is what a one-shot tool needs: the configuration, a checked
// PostgreSQL pool and a Redis client (redisconn.New, like the roles'; it
// connects at its first command), under a deadline. Close releases them.
type toolEnv struct {
	cfg    config.Config
	ctx    context.Context
	pool   *pgxpool.Pool
	rdb    redis.UniversalClient
	cancel context.CancelFunc
}

// Close closes the pool and the Redis client and ends the deadline.
func (e *toolEnv) Close() {
	e.rdb.Close()
	e.pool.Close()
	e.cancel()
}

// openTool loads the configuration and connects to PostgreSQL. On failure it
// has told stderr why (prefixed with name) and returns the exit status.
func openTool(name string, timeout time.Duration, stderr io.Writer) (*toolEnv, int) {
	cfg, ok := loadConfig(stderr)
	if !ok {
		return nil, 2
	}
	rdb, err := redisconn.New(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return nil, 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	pool, err := app.OpenPool(ctx, cfg)
	if err != nil {
		cancel()
		rdb.Close()
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return nil, 1
	}
	return &toolEnv{cfg: cfg, ctx: ctx, pool: pool, rdb: rdb, cancel: cancel}, 0
}

func loadConfig(stderr io.Writer) (config.Config, bool) {
	cfg, err := config.Load(os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "hokm: %v\n", err)
		return cfg, false
	}
	return cfg, true
}

// runRole starts one role (or all, for serve) and runs it until a signal.
func runRole(role string, stderr io.Writer) int {
	cfg, ok := loadConfig(stderr)
	if !ok {
		return 2
	}
	gctune.Start(uint64(cfg.GCHeapMiB)<<20, os.Getenv)
	var log *slog.Logger
	a := fx.New(app.Role(role, cfg), fx.Populate(&log))
	if err := a.Err(); err != nil {
		fmt.Fprintf(stderr, "hokm %s: %v\n", role, err)
		return 1
	}
	start, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	err := a.Start(start)
	cancel()
	if err != nil {
		fmt.Fprintf(stderr, "hokm %s: %v\n", role, err)
		return 1
	}
	sig := <-a.Wait() // SIGINT or SIGTERM
	// Operators see when draining begins and that it ended (a deploy waits
	// for the second line, not for a timeout).
	log.Info("draining", "role", role, "signal", sig.Signal.String(), "within", cfg.ShutdownTimeout)
	began := time.Now()
	stop, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout+5*time.Second)
	err = a.Stop(stop)
	cancel()
	if err != nil {
		log.Error("stopped, not cleanly", "role", role, "took", time.Since(began).Round(time.Millisecond), "err", err)
		return 1
	}
	log.Info("stopped", "role", role, "took", time.Since(began).Round(time.Millisecond))
	return 0
}

func runMigrate(args []string, stdout, stderr io.Writer) int {
	cfg, ok := loadConfig(stderr)
	if !ok {
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	what := "up"
	if len(args) > 0 {
		what = args[0]
	}
	var err error
	switch what {
	case "up":
		if err = migrations.EnsureDatabase(ctx, cfg.DatabaseURL); err == nil {
			err = migrations.Up(ctx, cfg.DatabaseURL)
		}
		if err == nil {
			fmt.Fprintln(stdout, "migrations applied")
		}
	case "status":
		err = migrations.Status(ctx, cfg.DatabaseURL, stdout)
	default:
		fmt.Fprintf(stderr, "usage: hokm migrate [up|status]\n")
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "hokm migrate %s: %v\n", what, err)
		return 1
	}
	return 0
}

func runExport(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	id := fs.String("match", "", "match id")
	if err := fs.Parse(args); err != nil || *id == "" {
		fmt.Fprintln(stderr, "usage: hokm export --match ID")
		return 2
	}
	env, status := openTool("hokm export", 30*time.Second, stderr)
	if env == nil {
		return status
	}
	defer env.Close()
	rec, err := pgstore.New(env.pool).ExportRecord(env.ctx, *id)
	if err != nil {
		fmt.Fprintf(stderr, "hokm export: %v\n", err)
		return 1
	}
	writeJSON(stdout, rec)
	return 0
}
