package tasks_test

import (
	"context"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/tasks"
)

// A tournament step scheduled within a second is never due before its
// time (asynq keeps whole seconds), and asked for twice it is enqueued once.
func TestTournamentAdvanceAtIsNotEarly(t *testing.T) {
	rdb, _ := testenv.Redis(t, tasksRedisDB, true)
	client := asynq.NewClientFromRedisClient(rdb)
	insp := asynq.NewInspectorFromRedisClient(rdb)
	ctx := context.Background()
	at := time.Now().Add(time.Hour).Truncate(time.Second).Add(300 * time.Millisecond)
	info, err := client.EnqueueContext(ctx, tasks.NewTournamentAdvanceAt("cup", at))
	if err != nil {
		t.Fatal(err)
	}
	if err := tasks.Enqueue(ctx, client, tasks.NewTournamentAdvanceAt("cup", at)); err != nil {
		t.Fatalf("the same step again: %v", err)
	}
	got, err := insp.GetTaskInfo(tasks.QueueDefault, info.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.NextProcessAt.Before(at) {
		t.Fatalf("due at %v, before the step's time %v", got.NextProcessAt, at)
	}
	if n, _ := insp.ListScheduledTasks(tasks.QueueDefault); len(n) != 1 {
		t.Fatalf("%d tasks scheduled for one step", len(n))
	}
	if id, err := tasks.ParseTournamentAdvance(asynq.NewTask(got.Type, got.Payload)); err != nil || id != "cup" {
		t.Fatalf("payload: %q %v", id, err)
	}
}
