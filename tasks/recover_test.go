package tasks_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hokm-project/hokm/internal/metrics"
	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/tasks"
)

// tasksRedisDB is the Redis DB this package's asynq test owns (leased).
const tasksRedisDB = testenv.DBTasks

// TestPanickingTaskRetriedArchivedAndCounted: under tasks.Recover a
// handler that panics fails its attempt like an error: asynq retries it,
// then archives it, and every panic is counted in
// hokm_panics_total{component="task"}. The server goes on.
func TestPanickingTaskRetriedArchivedAndCounted(t *testing.T) {
	rdb, _ := testenv.Redis(t, tasksRedisDB, true)
	before := testutil.ToFloat64(metrics.Panics.WithLabelValues(tasks.PanicComponent))
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{
		Concurrency:              1,
		Queues:                   map[string]int{tasks.QueueDefault: 1},
		RetryDelayFunc:           func(int, error, *asynq.Task) time.Duration { return 10 * time.Millisecond },
		TaskCheckInterval:        50 * time.Millisecond,
		DelayedTaskCheckInterval: 100 * time.Millisecond,
		ShutdownTimeout:          2 * time.Second,
		LogLevel:                 asynq.FatalLevel,
	})
	done := make(chan struct{}, 1)
	mux := asynq.NewServeMux()
	mux.Use(tasks.Recover(slog.New(slog.DiscardHandler)))
	mux.HandleFunc("test:panic", func(context.Context, *asynq.Task) error {
		var m map[string]int
		m["x"]++ // a nil map write
		return nil
	})
	mux.HandleFunc("test:ok", func(context.Context, *asynq.Task) error { done <- struct{}{}; return nil })
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	client := asynq.NewClientFromRedisClient(rdb)
	info, err := client.Enqueue(asynq.NewTask("test:panic", nil), asynq.Queue(tasks.QueueDefault), asynq.MaxRetry(2))
	if err != nil {
		t.Fatal(err)
	}
	insp := asynq.NewInspectorFromRedisClient(rdb)
	var ti *asynq.TaskInfo
	deadline := time.Now().Add(20 * time.Second)
	for {
		ti, err = insp.GetTaskInfo(tasks.QueueDefault, info.ID)
		if err == nil && ti.State == asynq.TaskStateArchived {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("task not archived: %+v %v", ti, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if ti.Retried != 2 || !strings.Contains(ti.LastErr, "panic") {
		t.Fatalf("archived after %d retries with %q, want 2 and a panic", ti.Retried, ti.LastErr)
	}
	if d := testutil.ToFloat64(metrics.Panics.WithLabelValues(tasks.PanicComponent)) - before; d != 3 {
		t.Fatalf("hokm_panics_total{component=task} grew by %v, want 3 (one per attempt)", d)
	}
	if _, err := client.Enqueue(asynq.NewTask("test:ok", nil), asynq.Queue(tasks.QueueDefault)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the server ran no task after the panics")
	}
}
