package ops_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/migrations"
	"github.com/hokm-project/hokm/ops"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/pgstore/pgstoretest"
	"github.com/hokm-project/hokm/tasks"
	"github.com/hokm-project/hokm/worker"
)

// opsRedisDB is the Redis DB this package's tests own (leased per test).
const opsRedisDB = testenv.DBOps

type env struct {
	ctx   context.Context
	rdb   redis.UniversalClient
	pool  *pgxpool.Pool
	store *pgstore.Store
	dlq   *ops.DLQ
}

func newEnv(t *testing.T) *env {
	t.Helper()
	rdb, _ := testenv.Redis(t, opsRedisDB, true)
	pool, dsn := testenv.Pool(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	if err := migrations.Up(ctx, dsn); err != nil {
		t.Fatal(err)
	}
	store := pgstore.New(pool)
	client := asynq.NewClientFromRedisClient(rdb)
	insp := asynq.NewInspectorFromRedisClient(rdb)
	return &env{ctx: ctx, rdb: rdb, pool: pool, store: store,
		dlq: &ops.DLQ{Store: store, Inspector: insp, Client: client}}
}

// failing is a persist store whose PostgreSQL is never reachable.
type failing struct{}

func (failing) PersistMatch(context.Context, *table.MatchRecord) (bool, error) {
	return false, errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")
}

// serve runs an asynq server on the env's Redis DB with h as the persist
// handler and the dead-letter ErrorHandler; it stops when the test ends
// or when the returned function is called.
func (e *env) serve(t *testing.T, h asynq.Handler) (stop func()) {
	t.Helper()
	srv := asynq.NewServerFromRedisClient(e.rdb, asynq.Config{
		Concurrency:              2,
		Queues:                   map[string]int{tasks.QueuePersist: 1},
		RetryDelayFunc:           func(int, error, *asynq.Task) time.Duration { return 10 * time.Millisecond },
		TaskCheckInterval:        50 * time.Millisecond,
		DelayedTaskCheckInterval: 100 * time.Millisecond,
		ShutdownTimeout:          2 * time.Second,
		LogLevel:                 asynq.FatalLevel,
		ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, task *asynq.Task, err error) {
			if _, rerr := ops.RecordFailure(ctx, e.store, task, err); rerr != nil {
				t.Errorf("RecordFailure: %v", rerr)
			}
		}),
	})
	mux := asynq.NewServeMux()
	mux.Handle(tasks.TypePersistMatch, h)
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			srv.Shutdown()
		}
	}
	t.Cleanup(stop)
	return stop
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (e *env) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := e.pool.QueryRow(e.ctx, query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// archive enqueues the persist task of a fresh match (MaxRetry 1) while
// the handler always fails, and waits until asynq has archived it and the
// dead letter is in PostgreSQL. It returns the match id and the row.
func (e *env) archive(t *testing.T, seed uint64) (string, pgstore.DeadLetter) {
	t.Helper()
	stop := e.serve(t, &worker.PersistHandler{Store: failing{}, Log: quiet})
	defer stop()
	m := pgstoretest.Play(pgstoretest.Game{Seed: seed})
	task, err := tasks.NewPersistMatchTask(m, 1, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := tasks.Enqueue(e.ctx, e.dlq.Client, task); err != nil {
		t.Fatal(err)
	}
	id := tasks.PersistMatchTaskID(m.MatchID)
	waitFor(t, "the task in asynq's archive", func() bool {
		info, err := e.dlq.Inspector.GetTaskInfo(tasks.QueuePersist, id)
		return err == nil && info.State == asynq.TaskStateArchived
	})
	var row pgstore.DeadLetter
	waitFor(t, "the dead letter in PostgreSQL", func() bool {
		list, err := e.store.DeadLetters(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range list {
			if d.TaskID == id {
				row = d
				return true
			}
		}
		return false
	})
	return m.MatchID, row
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestArchivedTaskRecordedAndReplayed(t *testing.T) {
	e := newEnv(t)
	matchID, row := e.archive(t, 7)
	if row.TaskType != tasks.TypePersistMatch || row.Queue != tasks.QueuePersist || row.Retried != 1 ||
		row.ReplayedAt != nil || row.Error == "" || len(row.Payload) == 0 {
		t.Fatalf("dead letter %+v", row)
	}
	list, err := e.dlq.List(e.ctx)
	if err != nil || len(list) != 1 || list[0].MatchID != matchID || !list[0].Pending() || list[0].Stored == nil || *list[0].Stored {
		t.Fatalf("List: %+v %v", list, err)
	}

	// PostgreSQL is back: the replay runs asynq's archived copy.
	e.serve(t, &worker.PersistHandler{Store: e.store, Log: quiet})
	r, err := e.dlq.Replay(e.ctx, row.ID)
	if err != nil || r.How != "run" {
		t.Fatalf("Replay: %+v %v", r, err)
	}
	waitFor(t, "the match persisted", func() bool {
		return e.count(t, `SELECT count(*) FROM matches WHERE id = $1`, matchID) == 1
	})
	d, err := e.store.DeadLetter(e.ctx, row.ID)
	if err != nil || d.ReplayedAt == nil || d.ReplayCount != 1 {
		t.Fatalf("after replay: %+v %v", d, err)
	}
	if n := e.count(t, `SELECT count(*) FROM audit_log WHERE kind = 'ops_dlq_replay' AND user_id IS NULL
		AND detail = jsonb_build_object('id', $1::bigint, 'task_id', $2::text)`, row.ID, row.TaskID); n != 1 {
		t.Fatalf("%d audit rows", n)
	}
	// Replaying again (all were replayed: --all does nothing; by id it
	// re-runs) never stores the match twice.
	done, err := e.dlq.ReplayAll(e.ctx)
	if err != nil || len(done) != 0 {
		t.Fatalf("ReplayAll after replay: %+v %v", done, err)
	}
	if _, err := e.dlq.Replay(e.ctx, row.ID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if n := e.count(t, `SELECT count(*) FROM matches`); n != 1 {
		t.Fatalf("%d matches after a second replay, want 1", n)
	}
	if _, err := e.dlq.Replay(e.ctx, 999); !errors.Is(err, pgstore.ErrDeadLetterNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
}

// TestStoredWithoutReplay: the reconcile job runs an archived persist task
// again without marking its dead letter replayed: the list still shows it
// pending, and stored — nothing is lost.
func TestStoredWithoutReplay(t *testing.T) {
	e := newEnv(t)
	matchID, row := e.archive(t, 10)
	e.serve(t, &worker.PersistHandler{Store: e.store, Log: quiet})
	if err := e.dlq.Inspector.RunTask(tasks.QueuePersist, row.TaskID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the match persisted", func() bool {
		return e.count(t, `SELECT count(*) FROM matches WHERE id = $1`, matchID) == 1
	})
	list, err := e.dlq.List(e.ctx)
	if err != nil || len(list) != 1 || !list[0].Pending() || list[0].Stored == nil || !*list[0].Stored {
		t.Fatalf("List: %+v %v", list, err)
	}
	// A dead letter that is not a match's task says nothing of a match.
	if _, err := e.store.RecordDeadLetter(e.ctx, pgstore.DeadLetter{TaskID: "other:1", TaskType: "other",
		Queue: tasks.QueuePersist, Payload: []byte(`{}`), Error: "boom"}); err != nil {
		t.Fatal(err)
	}
	if list, err = e.dlq.List(e.ctx); err != nil || len(list) != 2 || list[1].MatchID != "" || list[1].Stored != nil {
		t.Fatalf("List with another task: %+v %v", list, err)
	}
}

// TestReplayTrimmed: a dead letter asynq no longer has is re-enqueued from
// the stored payload under the same task id.
func TestReplayTrimmed(t *testing.T) {
	e := newEnv(t)
	matchID, row := e.archive(t, 8)
	if err := e.dlq.Inspector.DeleteTask(tasks.QueuePersist, row.TaskID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.dlq.Inspector.GetTaskInfo(tasks.QueuePersist, row.TaskID); !errors.Is(err, asynq.ErrTaskNotFound) {
		t.Fatalf("still in asynq: %v", err)
	}
	e.serve(t, &worker.PersistHandler{Store: e.store, Log: quiet})
	done, err := e.dlq.ReplayAll(e.ctx)
	if err != nil || len(done) != 1 || done[0].How != "enqueued" || done[0].TaskID != row.TaskID {
		t.Fatalf("ReplayAll: %+v %v", done, err)
	}
	waitFor(t, "the match persisted", func() bool {
		return e.count(t, `SELECT count(*) FROM matches WHERE id = $1`, matchID) == 1
	})
	if n := e.count(t, `SELECT count(*) FROM matches`); n != 1 {
		t.Fatalf("%d matches, want 1", n)
	}
	if d, err := e.store.DeadLetter(e.ctx, row.ID); err != nil || d.ReplayedAt == nil || d.ReplayCount != 1 {
		t.Fatalf("after replay: %+v %v", d, err)
	}
}

// TestSync: a task archived while its dead letter could not be written is
// picked up from asynq's archive.
func TestSync(t *testing.T) {
	e := newEnv(t)
	matchID, row := e.archive(t, 9)
	if _, err := e.pool.Exec(e.ctx, `DELETE FROM dead_letters`); err != nil {
		t.Fatal(err)
	}
	n, err := e.dlq.Sync(e.ctx)
	if err != nil || n != 1 {
		t.Fatalf("Sync: %d %v", n, err)
	}
	list, err := e.dlq.List(e.ctx)
	if err != nil || len(list) != 1 || list[0].TaskID != row.TaskID || list[0].MatchID != matchID || list[0].Error == "" {
		t.Fatalf("after Sync: %+v %v", list, err)
	}
}

func TestArchiving(t *testing.T) {
	down := errors.New("down")
	for _, tc := range []struct {
		retried, max int
		err          error
		want         bool
	}{
		{0, 1, down, false}, {1, 1, down, true}, {0, 12, asynq.SkipRetry, true},
		{0, 12, errors.Join(down, asynq.SkipRetry), true}, {5, 1, asynq.RevokeTask, false},
	} {
		if got := ops.Archiving(tc.retried, tc.max, tc.err); got != tc.want {
			t.Errorf("Archiving(%d, %d, %v) = %v", tc.retried, tc.max, tc.err, got)
		}
	}
}
