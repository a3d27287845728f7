package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"

	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/internal/config"
	"github.com/hokm-project/hokm/internal/logthrottle"
	"github.com/hokm-project/hokm/internal/metrics"
	"github.com/hokm-project/hokm/scheduler"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/redisstore"
	"github.com/hokm-project/hokm/tasks"
	"github.com/hokm-project/hokm/tournament/director"
	"github.com/hokm-project/hokm/worker"
)

// actionGroup is the consumer group of every worker on the action stream.
const actionGroup = "workers"

// AfterChange is a worker hook run after each committed table change;
// modules add theirs to the "after_change" group.
type AfterChange = worker.Hook

type processorParams struct {
	fx.In
	Store  *redisstore.Store
	Client *asynq.Client
	Cfg    config.Config
	Log    *slog.Logger
	Hooks  []AfterChange `group:"after_change"`
}

// newProcessor builds the action processor; finished matches are handed to
// the persistence queue (the task id makes a repeat a no-op).
func newProcessor(p processorParams) *worker.Processor {
	persist := func(ctx context.Context, m table.MatchRecord) error {
		task, err := tasks.NewPersistMatchTask(m, p.Cfg.PersistRetries, p.Cfg.CompressRecords)
		if err != nil {
			return err
		}
		return tasks.Enqueue(ctx, p.Client, task)
	}
	opts := worker.Options{
		Group: actionGroup, Consumer: p.Cfg.WorkerID, ReclaimIdle: p.Cfg.ReclaimIdle, Persist: persist, Log: p.Log,
		MaxAttempts: int64(p.Cfg.ActionMaxAttempts),
	}
	for _, h := range p.Hooks {
		opts.AfterChange = append(opts.AfterChange, h)
	}
	return worker.NewProcessor(p.Store, opts)
}

func newConsumer(proc *worker.Processor, store *redisstore.Store, cfg config.Config) *worker.Consumer {
	return worker.NewConsumer(proc, store, cfg.Partitions)
}

func runConsumer(lc fx.Lifecycle, c *worker.Consumer) {
	lc.Append(fx.Hook{OnStart: c.Start, OnStop: c.Stop})
}

// consumerReadyCheck: a worker whose reads of the action stream keep
// failing (or have not started) does no work.
func consumerReadyCheck(c *worker.Consumer) ReadyCheck {
	return ReadyCheck{Name: "action_stream", Required: true,
		Check: func(context.Context) error { return c.Reading(5 * time.Second) }}
}

// taskFailures throttles the "task failed" line per task type: a
// PostgreSQL outage makes every persist task fail at each retry (2,092
// lines for one 90 s outage before). The first failure of a type is
// logged, then one line per 10 s with the count held back, and "task
// failed: recovered" at the type's next success (taskRecovered).
type taskFailures struct{ *logthrottle.Logger }

func newTaskFailures(log *slog.Logger) taskFailures {
	return taskFailures{logthrottle.New(log, logthrottle.DefaultInterval)}
}

func taskFailedKey(taskType string) string { return "task failed " + taskType }

// taskRecovered is task middleware ending a task type's run of failures
// when one of its tasks succeeds.
func taskRecovered(quiet taskFailures) asynq.MiddlewareFunc {
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			err := next.ProcessTask(ctx, t)
			if err == nil {
				quiet.Recovered(taskFailedKey(t.Type()))
			}
			return err
		})
	}
}

// newTaskServer is the asynq server that runs persistence and maintenance.
func newTaskServer(rdb redis.UniversalClient, cfg config.Config, log *slog.Logger, pg *pgstore.Store, quiet taskFailures) *asynq.Server {
	return asynq.NewServerFromRedisClient(rdb, asynq.Config{
		Concurrency:       4,
		Queues:            tasks.Queues,
		RetryDelayFunc:    tasks.RetryDelay,
		TaskCheckInterval: 250 * time.Millisecond,
		// asynq checks retries every 5 s by default: too slow to persist
		// everything within 30 s of PostgreSQL coming back.
		DelayedTaskCheckInterval: time.Second,
		ShutdownTimeout:          cfg.ShutdownTimeout,
		Logger:                   newQuietAsynqLogger(log.With("component", "asynq")),
		LogLevel:                 asynq.WarnLevel,
		ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, t *asynq.Task, err error) {
			retried, _ := asynq.GetRetryCount(ctx)
			maxRetry, _ := asynq.GetMaxRetry(ctx)
			quiet.Log(ctx, slog.LevelWarn, taskFailedKey(t.Type()), "task failed", "type", t.Type(), "retry", retried, "max_retry", maxRetry, "err", err)
			recordDeadLetter(ctx, pg, t, err, log) // ops.go
		}),
	})
}

func runTaskServer(lc fx.Lifecycle, srv *asynq.Server, store *redisstore.Store, pg *pgstore.Store, log *slog.Logger, cfg config.Config, quiet taskFailures, dir *director.Director) {
	mux := taskMux(store, pg, log, cfg, quiet, dir)
	lc.Append(fx.Hook{
		OnStart: func(ctx context.Context) error {
			// Every queue shows in asynqmon from the start, not after its
			// first task; Redis down here is no reason not to start.
			if err := tasks.RegisterQueues(ctx, store.Client()); err != nil {
				log.Warn("asynq queues not registered yet", "err", err)
			}
			return srv.Start(mux)
		},
		OnStop: func(context.Context) error { srv.Shutdown(); return nil },
	})
}

// taskMux routes every task type the workers run to its handler.
func taskMux(store *redisstore.Store, pg *pgstore.Store, log *slog.Logger, cfg config.Config, quiet taskFailures, dir *director.Director) *asynq.ServeMux {
	mux := asynq.NewServeMux()
	// tasks.Recover: a panicking handler fails its attempt (retried, then
	// archived) and is counted in hokm_panics_total{component="task"}.
	mux.Use(taskRecovered(quiet), tasks.Recover(log))
	mux.Handle(tasks.TypePersistMatch, &worker.PersistHandler{Store: pg, Log: log, Stored: dir.MatchStored})
	mux.Handle(tasks.TypeTournamentAdvance, dir) // tournaments.go
	mux.Handle(tasks.TypeTrimActions, &worker.TrimHandler{Store: store, Group: actionGroup, Log: log})
	mux.Handle(tasks.TypeCleanupTables, &worker.CleanupHandler{Store: store, Journal: pg, MaxAge: store.Options().GameTTL, Log: log})
	mux.Handle(tasks.TypePruneAudit, &worker.PruneHandler{What: "audit log", Prune: pg.PruneAudit,
		Retention: time.Duration(cfg.AuditRetention) * 24 * time.Hour, Pruned: metrics.AuditPruned, Log: log})
	mux.Handle(tasks.TypePruneCheckpoints, &worker.PruneHandler{What: "hand checkpoints", Prune: pg.PruneCheckpoints,
		Retention: time.Duration(cfg.CheckpointRetention) * time.Hour, Pruned: metrics.CheckpointsPruned, Log: log})
	mux.Handle(tasks.TypePartitions, &worker.PartitionsHandler{Store: pg, RetentionMonths: cfg.MatchRetentionMonths, Log: log})
	registerReconcileHandlers(mux, store, pg, cfg, log) // reconcile.go
	registerStatsHandlers(mux, store, pg, cfg, log)
	return mux
}

// Worker applies actions and runs tasks.
var Worker = fx.Module("worker",
	fx.Provide(newProcessor, newTaskFailures, newTaskServer, newDirector),
	reconcileHooks, // reconcile.go
	recoveryModule, // recovery.go: the table journal and the recovery start before the consumer
	fx.Provide(newConsumer),
	readyGroup(consumerReadyCheck),
	fx.Invoke(runConsumer, runTaskServer),
)

// runScheduler runs the periodic jobs' scheduler on the shared Redis
// client: a lease under the configured prefix elects one leader among the
// running schedulers, and the per-bucket TaskIDs of its tasks refuse any
// duplicate.
func runScheduler(lc fx.Lifecycle, rdb redis.UniversalClient, client *asynq.Client, cfg config.Config, log *slog.Logger) error {
	keys := redisstore.Keys{Prefix: cfg.RedisPrefix}
	lease := scheduler.NewLease(rdb, keys.SchedulerLease(), keys.SchedulerFence(), "")
	s, err := scheduler.New(lease, client, scheduler.Jobs(), scheduler.Options{
		Location: cfg.Location(), // HOKM_TIMEZONE: the buckets are local wall-clock times
		LeaseTTL: cfg.SchedulerLease,
		Log:      log.With("component", "scheduler"),
	})
	if err != nil {
		return err
	}
	lc.Append(fx.Hook{OnStart: s.Start, OnStop: s.Stop})
	return nil
}

// Scheduler enqueues the periodic jobs; run it as many times as wanted,
// one leads.
var Scheduler = fx.Module("scheduler", fx.Invoke(runScheduler))

// serveHTTP binds addr at start (so a taken port fails the start) and
// serves h until stop, with the configured timeouts (HOKM_HTTP_*_TIMEOUT):
// a request's headers, the whole request and the answer each have a
// deadline, and an idle keep-alive connection is closed. A hijacked
// WebSocket keeps none of them (httpedge clears them on hijack).
func serveHTTP(lc fx.Lifecycle, cfg config.Config, name, addr string, h http.Handler, log *slog.Logger, beforeStop func(context.Context) error) {
	srv := newHTTPServer(cfg, addr, h, log)
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error {
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("%s listener on %s: %w", name, addr, err)
			}
			log.Info("listening", "listener", name, "addr", ln.Addr().String())
			go func() {
				if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
					log.Error("listener stopped", "listener", name, "err", err)
				}
			}()
			return nil
		},
		OnStop: func(ctx context.Context) error {
			if beforeStop != nil {
				if err := beforeStop(ctx); err != nil {
					log.Warn("drain", "listener", name, "err", err)
				}
			}
			return srv.Shutdown(ctx)
		},
	})
}

// newHTTPServer is an http.Server with the configured timeouts; its own
// errors (a bad request line, a TLS handshake) go to the log at debug.
func newHTTPServer(cfg config.Config, addr string, h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: cfg.HTTPReadHeaderTimeout,
		ReadTimeout:       cfg.HTTPReadTimeout,
		WriteTimeout:      cfg.HTTPWriteTimeout,
		IdleTimeout:       cfg.HTTPIdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
}

// asynqLogger adapts slog to asynq's logger.
type asynqLogger struct{ l *slog.Logger }

func (a asynqLogger) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...)) }
func (a asynqLogger) Info(args ...any)  { a.l.Info(fmt.Sprint(args...)) }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...)) }
func (a asynqLogger) Error(args ...any) { a.l.Error(fmt.Sprint(args...)) }
func (a asynqLogger) Fatal(args ...any) { a.l.Error(fmt.Sprint(args...)) }

// quietAsynqLogger is asynqLogger with its warnings and errors throttled
// per kind (the message up to its first colon): while Redis is down the
// task server's loops log one line per poll ("Failed to forward scheduled
// tasks: …" every second).
type quietAsynqLogger struct {
	asynqLogger
	quiet *logthrottle.Logger
}

func newQuietAsynqLogger(log *slog.Logger) quietAsynqLogger {
	return quietAsynqLogger{asynqLogger{log}, logthrottle.New(log, logthrottle.DefaultInterval)}
}

func (a quietAsynqLogger) Warn(args ...any)  { a.log(slog.LevelWarn, fmt.Sprint(args...)) }
func (a quietAsynqLogger) Error(args ...any) { a.log(slog.LevelError, fmt.Sprint(args...)) }

func (a quietAsynqLogger) log(level slog.Level, msg string) {
	kind, _, _ := strings.Cut(msg, ":")
	a.quiet.Log(context.Background(), level, kind, msg)
}

// Role is the fx application of one role; "serve" runs them all.
func Role(role string, cfg config.Config) fx.Option {
	switch role {
	case "serve":
		// Workers start before the gateway, so on stop (reverse order) the
		// gateway drains its clients while the workers still run.
		return fx.Options(Core(cfg), Postgres, Sessions, Migrate, StateKeys, Worker, Lobby, Timers, Scheduler, Gateway, Web, History, Tournaments, Account, Metrics, Ops, SysConfig, Dashboard)
	case "gateway":
		return fx.Options(Core(cfg), Postgres, Sessions, StateKeys, Gateway, Web, History, Tournaments, Account, Metrics, Ops, SysConfig, Dashboard)
	case "worker":
		return fx.Options(Core(cfg), Postgres, StateKeys, Worker, Lobby, Timers, Metrics, Ops)
	case "scheduler":
		return fx.Options(Core(cfg), Scheduler, Metrics, Ops)
	}
	return fx.Error(fmt.Errorf("unknown role %q", role))
}
