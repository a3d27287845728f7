package app

import (
	"log/slog"

	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"

	"github.com/hokm-project/hokm/dashboard"
	"github.com/hokm-project/hokm/internal/config"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/redisstore"
	"github.com/hokm-project/hokm/sysconfig"
)

// newSysConfig is the process's cached system configuration (feature
// flags, maintenance mode), followed until stop.
func newSysConfig(lc fx.Lifecycle, pg *pgstore.Store, rdb redis.UniversalClient, cfg config.Config, log *slog.Logger) *sysconfig.Reader {
	r := sysconfig.New(pg, rdb, cfg.RedisPrefix, sysconfig.DefaultRefresh, log.With("component", "sysconfig"))
	lc.Append(fx.Hook{OnStart: r.Start, OnStop: r.Stop})
	return r
}

// SysConfig provides *sysconfig.Reader; the gateway takes maintenance mode
// from it when present. It needs Postgres.
var SysConfig = fx.Module("sysconfig", fx.Provide(newSysConfig))

// newDashboardRoutes mounts GET /api/dashboard and GET /api/players/{id}/page.
func newDashboardRoutes(pg *pgstore.Store, rs *redisstore.Store, log *slog.Logger) []Route {
	return dashboard.New(pg, rs, log.With("component", "dashboard")).Routes()
}

// Dashboard serves the hybrid Redis + PostgreSQL views; it needs Postgres.
var Dashboard = fx.Module("dashboard",
	fx.Provide(fx.Annotate(newDashboardRoutes, fx.ResultTags(`group:"routes,flatten"`))),
)
