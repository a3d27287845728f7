package tasks_test

import (
	"context"
	"slices"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/tasks"
)

// TestRegisterQueues: before any task was enqueued, asynq's inspector
// (what asynqmon shows) lists every queue once they are registered.
func TestRegisterQueues(t *testing.T) {
	rdb, _ := testenv.Redis(t, tasksRedisDB, true)
	insp := asynq.NewInspectorFromRedisClient(rdb)
	if qs, err := insp.Queues(); err != nil || len(qs) != 0 {
		t.Fatalf("a fresh DB lists queues %v (%v)", qs, err)
	}
	for range 2 { // idempotent
		if err := tasks.RegisterQueues(context.Background(), rdb); err != nil {
			t.Fatal(err)
		}
	}
	qs, err := insp.Queues()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(qs)
	if want := []string{tasks.QueueDefault, tasks.QueueMaintenance, tasks.QueuePersist}; !slices.Equal(qs, want) {
		t.Fatalf("queues %v, want %v", qs, want)
	}
	for _, q := range qs {
		if info, err := insp.GetQueueInfo(q); err != nil || info.Size != 0 {
			t.Fatalf("queue %s: %+v %v", q, info, err)
		}
	}
}
