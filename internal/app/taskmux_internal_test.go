package app

import (
	"log/slog"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/internal/config"
	"github.com/hokm-project/hokm/scheduler"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/redisstore"
	"github.com/hokm-project/hokm/tasks"
)

// TestEveryTaskHasAHandler: each job of the schedule, and each task the
// server enqueues as play goes, is routed to a handler by the workers'
// mux — a job without one would fail, be retried and archived every time
// it fires.
func TestEveryTaskHasAHandler(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	store := redisstore.New(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}), redisstore.Options{})
	mux := taskMux(store, pgstore.New(nil), log, config.Defaults(), newTaskFailures(log), nil)
	types := []string{tasks.TypePersistMatch, tasks.TypePersistCheckpoint}
	for _, j := range scheduler.Jobs() {
		types = append(types, j.Task().Type())
	}
	for _, typ := range types {
		if _, pattern := mux.Handler(asynq.NewTask(typ, nil)); pattern != typ {
			t.Errorf("task %s: routed to %q, want its own handler", typ, pattern)
		}
	}
}
