package app

import (
	"log/slog"

	"go.uber.org/fx"

	"github.com/hokm-project/hokm/history"
	"github.com/hokm-project/hokm/internal/config"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/redisstore"
)

// newHistoryRoutes mounts the history endpoints (matches, stats, records,
// replays; they read PostgreSQL) on the public listener.
func newHistoryRoutes(pg *pgstore.Store, sessions *redisstore.Store, log *slog.Logger, cfg config.Config) []Route {
	routes := history.New(pg, sessions, log.With("component", "history")).Routes()
	return append(routes, leaderboardRoute(pg, sessions, cfg, log)) // stats.go
}

// History serves players' match history and stats; it needs Postgres.
var History = fx.Module("history",
	fx.Provide(fx.Annotate(newHistoryRoutes, fx.ResultTags(`group:"routes,flatten"`))),
)
