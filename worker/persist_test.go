package worker

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/migrations"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/pgstore/pgstoretest"
	"github.com/hokm-project/hokm/tasks"
)

// persistRedisDB is the Redis DB this file's asynq servers own (flushed per
// test). These tests are not parallel: they share it.
const persistRedisDB = testenv.DBPersist

// persistCounting wraps a store and counts PersistMatch calls.
type persistCounting struct {
	next interface {
		PersistMatch(context.Context, *table.MatchRecord) (bool, error)
	}
	calls, inserted atomic.Int32
}

func (c *persistCounting) PersistMatch(ctx context.Context, m *table.MatchRecord) (bool, error) {
	c.calls.Add(1)
	ok, err := c.next.PersistMatch(ctx, m)
	if ok {
		c.inserted.Add(1)
	}
	return ok, err
}

// persistDown is a store whose database is never reachable.
type persistDown struct{}

func (persistDown) PersistMatch(context.Context, *table.MatchRecord) (bool, error) {
	return false, errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")
}

// persistEnv is an asynq server running a PersistHandler on a Redis DB of
// its own, with a client and an inspector on it.
type persistEnv struct {
	client    *asynq.Client
	inspector *asynq.Inspector
}

// newPersistEnv starts the server; it is shut down, and checked for leaked
// goroutines, when the test ends.
func newPersistEnv(t *testing.T, rdb redis.UniversalClient, store *persistCounting) *persistEnv {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{
		Concurrency:              2,
		Queues:                   map[string]int{tasks.QueuePersist: 1},
		TaskCheckInterval:        10 * time.Millisecond,
		DelayedTaskCheckInterval: 20 * time.Millisecond,
		RetryDelayFunc:           func(int, error, *asynq.Task) time.Duration { return 5 * time.Millisecond },
		ShutdownTimeout:          2 * time.Second,
		LogLevel:                 asynq.FatalLevel,
	})
	mux := asynq.NewServeMux()
	mux.Handle(tasks.TypePersistMatch, &PersistHandler{Store: store, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err := srv.Start(mux); err != nil {
		t.Fatalf("start asynq server: %v", err)
	}
	t.Cleanup(func() {
		srv.Shutdown()
		goleak.VerifyNone(t, ignore)
	})
	return &persistEnv{client: asynq.NewClientFromRedisClient(rdb), inspector: asynq.NewInspectorFromRedisClient(rdb)}
}

func persistStore(t *testing.T) *pgstore.Store {
	t.Helper()
	pool, dsn := testenv.Pool(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := migrations.Up(ctx, dsn); err != nil {
		t.Fatalf("migrations: %v", err)
	}
	return pgstore.New(pool)
}

func persistCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// persistEventually polls cond every 10 ms for up to 5 s.
func persistEventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// persistArchived returns the archived task with id, or nil.
func (e *persistEnv) persistArchived(id string) *asynq.TaskInfo {
	list, err := e.inspector.ListArchivedTasks(tasks.QueuePersist)
	if err != nil {
		return nil // the queue may not exist yet
	}
	for _, ti := range list {
		if ti.ID == id {
			return ti
		}
	}
	return nil
}

func TestPersistHandlerDuplicateTaskProcessedOnce(t *testing.T) {
	rdb, _ := testenv.Redis(t, persistRedisDB, true)
	store := &persistCounting{next: persistStore(t)}
	env := newPersistEnv(t, rdb, store)
	ctx := persistCtx(t)
	m := pgstoretest.Play(pgstoretest.Game{Seed: 21})
	task, err := tasks.NewPersistMatchTask(m, tasks.DefaultMaxRetry, true)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 { // the game worker may enqueue twice (crash before ack)
		if err := tasks.Enqueue(ctx, env.client, task); err != nil {
			t.Fatalf("enqueue %d: %v", i, err)
		}
	}
	id := tasks.PersistMatchTaskID(m.MatchID)
	persistEventually(t, "the task to complete", func() bool {
		ti, err := env.inspector.GetTaskInfo(tasks.QueuePersist, id)
		return err == nil && ti.State == asynq.TaskStateCompleted
	})
	// Within the retention a third enqueue is refused too, and is fine.
	if err := tasks.Enqueue(ctx, env.client, task); err != nil {
		t.Fatalf("enqueue after completion: %v", err)
	}
	time.Sleep(100 * time.Millisecond) // time for a wrongly accepted duplicate to run
	if c, n := store.calls.Load(), store.inserted.Load(); c != 1 || n != 1 {
		t.Fatalf("store called %d times, inserted %d; want 1 and 1", c, n)
	}
}

// TestPersistHandlerRedeliveryIsNoOp runs the same task through the handler
// twice, as asynq does when a worker dies mid-task: one insert, no error —
// with the payload compressed and plain (as a release before compression
// enqueued it, still waiting in the queue after an upgrade).
func TestPersistHandlerRedeliveryIsNoOp(t *testing.T) {
	store := &persistCounting{next: persistStore(t)}
	h := &PersistHandler{Store: store, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for n, compress := range []bool{true, false} {
		task, err := tasks.NewPersistMatchTask(pgstoretest.Play(pgstoretest.Game{Seed: 22 + uint64(n)}), 3, compress)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 2 {
			if err := h.ProcessTask(persistCtx(t), task); err != nil {
				t.Fatalf("compress %v, run %d: %v", compress, i, err)
			}
		}
		if c, ins := store.calls.Load(), store.inserted.Load(); c != 2*int32(n+1) || ins != int32(n+1) {
			t.Fatalf("compress %v: store called %d times, inserted %d; want %d and %d", compress, c, ins, 2*(n+1), n+1)
		}
	}
}

func TestPersistHandlerFailingStoreArchived(t *testing.T) {
	rdb, _ := testenv.Redis(t, persistRedisDB, true)
	store := &persistCounting{next: persistDown{}}
	env := newPersistEnv(t, rdb, store)
	m := pgstoretest.Play(pgstoretest.Game{Seed: 23})
	task, err := tasks.NewPersistMatchTask(m, 1, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := tasks.Enqueue(persistCtx(t), env.client, task); err != nil {
		t.Fatal(err)
	}
	id := tasks.PersistMatchTaskID(m.MatchID)
	var ti *asynq.TaskInfo
	persistEventually(t, "the task to be archived", func() bool { ti = env.persistArchived(id); return ti != nil })
	if c := store.calls.Load(); c != 2 || ti.Retried != 1 {
		t.Errorf("store called %d times, retried %d; want 2 attempts (MaxRetry 1)", c, ti.Retried)
	}
	if !strings.Contains(ti.LastErr, "connection refused") {
		t.Errorf("archived with last error %q, want the store's error", ti.LastErr)
	}
}

func TestPersistHandlerBadTasksArchivedWithoutRetry(t *testing.T) {
	rdb, _ := testenv.Redis(t, persistRedisDB, true)
	store := &persistCounting{next: persistStore(t)}
	env := newPersistEnv(t, rdb, store)
	ctx := persistCtx(t)

	garbage := asynq.NewTask(tasks.TypePersistMatch, []byte("{not json"),
		asynq.Queue(tasks.QueuePersist), asynq.MaxRetry(5), asynq.TaskID("garbage-1"))
	bad := pgstoretest.Play(pgstoretest.Game{Seed: 24})
	bad.Score[0]++ // disagrees with the replay of its record: can never be stored
	invalid, err := tasks.NewPersistMatchTask(bad, 5, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range []*asynq.Task{garbage, invalid} {
		if err := tasks.Enqueue(ctx, env.client, task); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"garbage-1", tasks.PersistMatchTaskID(bad.MatchID)} {
		var ti *asynq.TaskInfo
		persistEventually(t, "task "+id+" to be archived", func() bool { ti = env.persistArchived(id); return ti != nil })
		if ti.Retried != 0 {
			t.Errorf("%s: retried %d times before the archive, want 0", id, ti.Retried)
		}
	}
	if c, n := store.calls.Load(), store.inserted.Load(); c != 1 || n != 0 {
		t.Errorf("store called %d times, inserted %d; want 1 (the invalid match) and 0", c, n)
	}
}
