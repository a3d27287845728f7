package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"go.uber.org/fx"

	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/redisstore"
	"github.com/hokm-project/hokm/tasks"
	"github.com/hokm-project/hokm/tournament/director"
)

// newDirector is the workers' tournament director: it runs the
// tournament:advance tasks and records results after the persist task
// stored a match; the steps it schedules are asynq tasks.
func newDirector(pg *pgstore.Store, store *redisstore.Store, client *asynq.Client, log *slog.Logger) *director.Director {
	schedule := func(ctx context.Context, id string, at time.Time, round, line int) error {
		if at.IsZero() {
			return tasks.Enqueue(ctx, client, tasks.NewTournamentAdvanceAfter(id, round, line))
		}
		return tasks.Enqueue(ctx, client, tasks.NewTournamentAdvanceAt(id, at))
	}
	return director.New(pg, store, schedule, nil, log.With("component", "director"))
}

// newTournamentRoutes mounts the tournaments API on the public listener.
func newTournamentRoutes(pg *pgstore.Store, sessions *redisstore.Store, log *slog.Logger) []Route {
	return director.NewHandler(pg, sessions, log.With("component", "tournaments")).Routes()
}

// Tournaments serves the tournaments API; it needs PostgreSQL.
var Tournaments = fx.Module("tournaments",
	fx.Provide(fx.Annotate(newTournamentRoutes, fx.ResultTags(`group:"routes,flatten"`))),
)
