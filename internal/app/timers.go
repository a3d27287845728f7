package app

import (
	"log/slog"

	"go.uber.org/fx"

	"github.com/hokm-project/hokm/store/redisstore"
	"github.com/hokm-project/hokm/worker"
)

// newTimerHook mirrors every table's turn deadline into the Redis timer
// set after each committed change (a worker AfterChange hook).
func newTimerHook(store *redisstore.Store) AfterChange {
	return AfterChange(worker.TimerHook(store))
}

// runTimerLoop fires due turn timers; every worker process runs one (the
// timeout's action id makes a timer fired twice count once).
func runTimerLoop(lc fx.Lifecycle, store *redisstore.Store, rec *worker.Recovery, log *slog.Logger) {
	l := worker.NewTimerLoop(store, worker.TimerOptions{Log: log.With("component", "timers"), Paused: rec.Pending})
	lc.Append(fx.Hook{OnStart: l.Start, OnStop: l.Stop})
}

// Timers is the worker side of turn timers: the hook that arms them and
// the loop that fires them.
var Timers = fx.Module("timers",
	fx.Provide(fx.Annotate(newTimerHook, fx.ResultTags(`group:"after_change"`))),
	fx.Invoke(runTimerLoop),
)
