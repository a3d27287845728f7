package app

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"slices"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/fx"

	"github.com/hokm-project/hokm/internal/config"
	"github.com/hokm-project/hokm/internal/logthrottle"
	"github.com/hokm-project/hokm/internal/metrics"
	"github.com/hokm-project/hokm/internal/readiness"
	"github.com/hokm-project/hokm/internal/redisconn"
	"github.com/hokm-project/hokm/ops"
	"github.com/hokm-project/hokm/store/pgstore"
)

type opsParams struct {
	fx.In
	Lc     fx.Lifecycle
	Cfg    config.Config
	Log    *slog.Logger
	Checks []ReadyCheck `group:"ready_checks"` // breakers.go
}

// runOps serves the operator endpoints unless HOKM_OPS_ADDR is "off":
// /healthz, /readyz (the role's checks, with their errors), /metrics, Go's
// profiles at /debug/pprof/ and the asynqmon UI at /asynq/, all behind HOKM_OPS_TOKEN when it is set
// (without it the listener binds to loopback only) and read-only under
// HOKM_OPS_READONLY. See docs/operations.md.
func runOps(p opsParams) error {
	lc, cfg, log := p.Lc, p.Cfg, p.Log
	if cfg.OpsAddr == "off" {
		return nil
	}
	if err := config.CheckOpsBinding(cfg.OpsAddr, cfg.OpsToken); err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	mux.Handle("GET /readyz", readiness.Handler(slices.DeleteFunc(p.Checks, func(c ReadyCheck) bool { return c.Check == nil }), readiness.Options{
		Detail: true, Log: logthrottle.New(log, logthrottle.DefaultInterval),
	}))
	mux.Handle("GET /metrics", promhttp.HandlerFor(metrics.Registry(), promhttp.HandlerOpts{}))
	// Go's profiles (CPU, heap, goroutines, …), behind the same guard:
	// go tool pprof http://<ops>/debug/pprof/profile?seconds=30
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	conn, err := redisconn.ConnOpt(cfg)
	if err != nil {
		return err
	}
	mon, err := ops.NewAsynqmon(conn, cfg.OpsReadOnly)
	if err != nil {
		return err
	}
	lc.Append(fx.StopHook(mon.Close))
	mux.Handle(ops.AsynqmonRoot+"/", mon)
	serveHTTP(lc, cfg, "ops", cfg.OpsAddr, ops.Guard(cfg.OpsToken, cfg.OpsReadOnly, mux), log, nil)
	return nil
}

// Ops is the operator listener.
var Ops = fx.Module("ops", fx.Invoke(runOps))

// recordDeadLetter is the task server's ErrorHandler part for archived
// tasks: a persist task asynq is about to archive (retries ran out, or
// SkipRetry) is also recorded in PostgreSQL's dead_letters, which asynq's
// trimming does not touch. A failed write is logged; `hokm ops dlq list`
// syncs what is still in asynq's archive.
func recordDeadLetter(ctx context.Context, pg *pgstore.Store, t *asynq.Task, err error, log *slog.Logger) {
	if pg == nil {
		return
	}
	ok, rerr := ops.RecordFailure(ctx, pg, t, err)
	switch {
	case rerr != nil:
		log.Error("dead letter not recorded in PostgreSQL (still in asynq's archive)", "type", t.Type(), "err", rerr)
	case ok:
		log.Warn("task archived: dead letter recorded", "type", t.Type(), "err", err)
	}
}
