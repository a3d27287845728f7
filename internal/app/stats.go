package app

import (
	"log/slog"

	"github.com/hibiken/asynq"

	"github.com/hokm-project/hokm/history"
	"github.com/hokm-project/hokm/internal/config"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/redisstore"
	"github.com/hokm-project/hokm/tasks"
	"github.com/hokm-project/hokm/worker"
)

// registerStatsHandlers adds the stats tasks (recompute, daily rollup,
// leaderboard snapshots) to the task server's mux; days and weeks follow
// HOKM_TIMEZONE and HOKM_WEEK_START.
func registerStatsHandlers(mux *asynq.ServeMux, store *redisstore.Store, pg *pgstore.Store, cfg config.Config, log *slog.Logger) {
	h := &worker.StatsHandler{Store: pg, Cache: store, Location: cfg.Location(), WeekStart: cfg.FirstWeekday(),
		TTL: redisstore.LeaderboardTTL, Log: log.With("component", "stats")}
	mux.Handle(tasks.TypeStatsRecompute, h)
	mux.Handle(tasks.TypeStatsRollupDay, h)
	mux.Handle(tasks.TypeStatsLeaderboards, h)
}

// leaderboardRoute is GET /api/leaderboards/{period} (Redis snapshot,
// PostgreSQL on a miss).
func leaderboardRoute(pg *pgstore.Store, cache *redisstore.Store, cfg config.Config, log *slog.Logger) Route {
	l := &history.Leaderboards{Store: pg, Cache: cache, Location: cfg.Location(), WeekStart: cfg.FirstWeekday(),
		TTL: redisstore.LeaderboardTTL, Limit: worker.LeaderboardLimit, Days: cfg.LeaderboardDays, Log: log.With("component", "leaderboards")}
	return l.Route()
}
