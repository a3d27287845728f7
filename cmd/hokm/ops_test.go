package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/migrations"
	"github.com/hokm-project/hokm/ops"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/pgstore/pgstoretest"
	"github.com/hokm-project/hokm/tasks"
	"github.com/hokm-project/hokm/worker"
)

// TestOpsDLQ runs `hokm ops dlq list|replay` against a dead letter asynq
// no longer has (trimmed): the replay re-enqueues it from PostgreSQL and
// a worker then persists the match exactly once.
func TestOpsDLQ(t *testing.T) {
	const redisDB = testenv.DBOps
	rdb, _ := testenv.Redis(t, redisDB, true)
	dsn := testenv.Database(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := migrations.Up(ctx, dsn); err != nil {
		t.Fatal(err)
	}
	redisDBURL := testenv.RedisDBURL(t, redisDB)
	t.Setenv("HOKM_REDIS_URL", redisDBURL)
	t.Setenv("HOKM_DATABASE_URL", dsn)
	t.Setenv("HOKM_OPS_ADDR", "127.0.0.1:0")

	m := pgstoretest.Play(pgstoretest.Game{Seed: 11})
	task, err := tasks.NewPersistMatchTask(m, 1, true)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	p := pgstore.New(pool)
	id, err := p.RecordDeadLetter(ctx, pgstore.DeadLetter{TaskID: tasks.PersistMatchTaskID(m.MatchID),
		TaskType: task.Type(), Queue: tasks.QueuePersist, Payload: task.Payload(), Error: "connection refused", Retried: 1})
	if err != nil {
		t.Fatal(err)
	}

	code, out, errOut := runHokm(t, "", "ops", "dlq", "list", "--json")
	var list []ops.Entry
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list) != 1 || list[0].ID != id ||
		list[0].MatchID != m.MatchID || list[0].ReplayedAt != nil || list[0].TaskType != tasks.TypePersistMatch ||
		list[0].Stored == nil || *list[0].Stored {
		t.Fatalf("list --json: %d %q %q", code, out, errOut)
	}
	code, out, errOut = runHokm(t, "", "ops", "dlq", "list")
	if code != 0 || !strings.Contains(out, "STORED") || !strings.Contains(out, m.MatchID+"  no ") ||
		!strings.Contains(out, "connection refused") {
		t.Fatalf("list: %d %q %q", code, out, errOut)
	}

	code, out, errOut = runHokm(t, "", "ops", "dlq", "replay", strconv.FormatInt(id, 10))
	if code != 0 || !strings.Contains(out, "enqueued") {
		t.Fatalf("replay: %d %q %q", code, out, errOut)
	}
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{Queues: map[string]int{tasks.QueuePersist: 1},
		TaskCheckInterval: 50 * time.Millisecond, LogLevel: asynq.FatalLevel})
	mux := asynq.NewServeMux()
	mux.Handle(tasks.TypePersistMatch, &worker.PersistHandler{Store: p, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok, err := p.MatchExists(ctx, m.MatchID)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the replayed match was not persisted")
		}
		time.Sleep(20 * time.Millisecond)
	}
	code, out, errOut = runHokm(t, "", "ops", "dlq", "list", "--json")
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list) != 1 || list[0].ReplayedAt == nil ||
		list[0].ReplayCount != 1 || list[0].Stored == nil || !*list[0].Stored {
		t.Fatalf("list after replay: %d %q %q", code, out, errOut)
	}
	if code, out, errOut = runHokm(t, "", "ops", "dlq", "list"); code != 0 || !strings.Contains(out, m.MatchID+"  yes ") {
		t.Fatalf("list after replay: %d %q %q", code, out, errOut)
	}
	code, out, errOut = runHokm(t, "", "ops", "dlq", "replay", "--all")
	if code != 0 || !strings.Contains(out, "nothing to replay") {
		t.Fatalf("replay --all: %d %q %q", code, out, errOut)
	}
	code, out, _ = runHokm(t, "", "ops", "dlq", "replay", "--all", "--json")
	if code != 0 || strings.TrimSpace(out) != "[]" {
		t.Fatalf("replay --all --json: %d %q", code, out)
	}
	if code, _, errOut = runHokm(t, "", "ops", "dlq", "replay", "999"); code != 1 || !strings.Contains(errOut, "not found") {
		t.Fatalf("replay of an unknown id: %d %q", code, errOut)
	}
	for _, args := range [][]string{{"ops"}, {"ops", "dlq"}, {"ops", "queue", "list"}, {"ops", "dlq", "replay"},
		{"ops", "dlq", "replay", "abc"}, {"ops", "dlq", "replay", "1", "--all"}, {"ops", "dlq", "list", "7"}} {
		if code, out, errOut := runHokm(t, "", args...); code != 2 || out != "" || !strings.Contains(errOut, "usage") &&
			!strings.Contains(errOut, "not a dead letter id") {
			t.Errorf("%q: %d %q %q, want 2 with usage", args, code, out, errOut)
		}
	}
}
