package app

import (
	"log/slog"

	"go.uber.org/fx"

	"github.com/hokm-project/hokm/internal/config"
	"github.com/hokm-project/hokm/store/redisstore"
	"github.com/hokm-project/hokm/worker"
)

// newLobbyHook keeps the lobby listing and join codes in step with every
// table change (a worker AfterChange hook).
func newLobbyHook(store *redisstore.Store) AfterChange {
	return AfterChange(worker.LobbyHook(store))
}

// runMatchmaker runs the quick-match loop in the worker; every worker
// runs one (claims are atomic).
func runMatchmaker(lc fx.Lifecycle, store *redisstore.Store, cfg config.Config, log *slog.Logger) {
	m := worker.NewMatchmaker(store, worker.MatchmakerOptions{Wait: cfg.QuickMatchWait, Log: log.With("component", "matchmaker")})
	lc.Append(fx.Hook{OnStart: m.Start, OnStop: m.Stop})
}

// Lobby is the worker side of the lobby: the listing hook and the
// matchmaker.
var Lobby = fx.Module("lobby",
	fx.Provide(fx.Annotate(newLobbyHook, fx.ResultTags(`group:"after_change"`))),
	fx.Invoke(runMatchmaker),
)
