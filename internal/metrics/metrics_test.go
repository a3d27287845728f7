package metrics_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/internal/metrics"
	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/store/redisstore"
	"github.com/hokm-project/hokm/tasks"
	"github.com/hokm-project/hokm/worker"
)

// registerCollectors registers the scrape-time collectors on a test key
// space of the real Redis.
func registerCollectors(t *testing.T) (*redisstore.Store, string) {
	t.Helper()
	rdb, prefix := testenv.Redis(t, 0, false)
	metrics.Register(metrics.NewLiveTables(rdb, redisstore.Keys{Prefix: prefix}.TablePattern()))
	metrics.Register(metrics.NewQueues(rdb, tasks.QueuePersist, tasks.QueueDefault, tasks.QueueMaintenance))
	st := redisstore.New(rdb, redisstore.Options{Prefix: prefix, Partitions: 2})
	metrics.Register(metrics.NewDeadActions(st.DeadActionCount))
	return st, prefix
}

// sample is the value of a counter or gauge series, or the sample count of
// a histogram series, whose labels include want; -1 when absent.
func sample(t *testing.T, name string, want map[string]string) float64 {
	t.Helper()
	fams, err := metrics.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	next:
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if labels[k] != v {
					continue next
				}
			}
			switch {
			case m.Counter != nil:
				return m.GetCounter().GetValue()
			case m.Gauge != nil:
				return m.GetGauge().GetValue()
			case m.Histogram != nil:
				return float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return -1
}

func TestSQLOperation(t *testing.T) {
	for sql, want := range map[string]string{
		"SELECT 1": "select", "  insert into x": "insert", "WITH a AS (select 1) insert": "with",
		"-- a comment\nUPDATE t": "update", "vacuum": "other", "": "other", "select": "select",
	} {
		if got := metrics.SQLOperation(sql); got != want {
			t.Errorf("SQLOperation(%q) = %q, want %q", sql, got, want)
		}
	}
}

func TestErrorsSplitClientFromServer(t *testing.T) {
	srv := sample(t, "hokm_server_errors_total", map[string]string{"component": "worker", "code": "unavailable"})
	cli := sample(t, "hokm_client_errors_total", map[string]string{"component": "worker", "code": "invalid_card"})
	metrics.Error(metrics.ComponentWorker, "unavailable")
	metrics.Error(metrics.ComponentWorker, "invalid_card")
	metrics.Error(metrics.ComponentWorker, "invalid_card")
	metrics.Error(metrics.ComponentWorker, "") // no error
	if got := sample(t, "hokm_server_errors_total", map[string]string{"component": "worker", "code": "unavailable"}); got != max(srv, 0)+1 {
		t.Errorf("server errors %v → %v", srv, got)
	}
	if got := sample(t, "hokm_client_errors_total", map[string]string{"component": "worker", "code": "invalid_card"}); got != max(cli, 0)+2 {
		t.Errorf("client errors %v → %v", cli, got)
	}
}

func TestLiveTablesAndQueues(t *testing.T) {
	st, _ := registerCollectors(t)
	ctx := context.Background()
	for i := range 3 {
		tb, err := table.New(testenv.RandomName("tb"), game.Rules{Target: 3}, "host", int64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		if err := st.CreateTable(ctx, &tb); err != nil {
			t.Fatal(err)
		}
	}
	if got := sample(t, "hokm_live_tables", nil); got != 3 {
		t.Fatalf("hokm_live_tables = %v, want 3", got)
	}
	for _, q := range []string{tasks.QueuePersist, tasks.QueueDefault, tasks.QueueMaintenance} {
		for _, s := range []string{"pending", "active", "scheduled", "retry", "archived"} {
			if got := sample(t, "hokm_queue_tasks", map[string]string{"queue": q, "state": s}); got < 0 {
				t.Errorf("no hokm_queue_tasks{queue=%q,state=%q}", q, s)
			}
		}
	}
}

// TestMetricsMoveWhenAMatchIsPlayed plays a whole match through the worker
// (a person who starts it and leaves, three bots) on a real Redis, then
// persists it: the moves counter, the move latency histogram, the request
// counter and the sync lag histogram all move.
func TestMetricsMoveWhenAMatchIsPlayed(t *testing.T) {
	rdb, prefix := testenv.Redis(t, 0, false)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	st := redisstore.New(rdb, redisstore.Options{Prefix: prefix, Partitions: 2})
	id := testenv.RandomName("tb")
	tb, err := table.New(id, game.Rules{Target: 3}, "host", 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateTable(ctx, &tb); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var persisted []table.MatchRecord
	proc := worker.NewProcessor(st, worker.Options{Group: "g", Consumer: "c1", Block: 50 * time.Millisecond,
		ReclaimIdle: time.Second, Persist: func(_ context.Context, m table.MatchRecord) error {
			mu.Lock()
			defer mu.Unlock()
			persisted = append(persisted, m)
			return nil
		}})

	plays := sample(t, "hokm_moves_applied_total", map[string]string{"op": "play"})
	latency := sample(t, "hokm_move_latency_seconds", nil)
	requests := sample(t, "hokm_requests_total", map[string]string{"component": "worker"})
	lag := sample(t, "hokm_sync_lag_seconds", nil)

	c := worker.NewConsumer(proc, st, 2)
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer c.Stop(context.Background())
	for i, op := range []table.Op{table.OpSit, table.OpAddBots, table.OpStart, table.OpLeave} {
		a := redisstore.Action{Table: id, User: "host", Name: "host", ID: string(rune('a' + i)), Op: op,
			At: time.Now().UnixMicro()} // as the gateway stamps it
		if err := st.Enqueue(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	for {
		mu.Lock()
		done := len(persisted) > 0
		mu.Unlock()
		if done {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("the match did not finish")
		case <-time.After(20 * time.Millisecond):
		}
	}

	// the match's cards: 28 at least (one hand ended 7-0, a Kot of the
	// Hakem's team reaching the target of 3), as the record counts them
	mu.Lock()
	cards := 0
	for _, a := range persisted[0].Record.Actions {
		if a.Card != nil {
			cards++
		}
	}
	mu.Unlock()
	if got := sample(t, "hokm_moves_applied_total", map[string]string{"op": "play"}); cards < 28 || got < max(plays, 0)+float64(cards) {
		t.Errorf("hokm_moves_applied_total{op=play}: %v → %v, want the match's %d cards more", plays, got, cards)
	}
	if got := sample(t, "hokm_move_latency_seconds", nil); got < max(latency, 0)+4 {
		t.Errorf("hokm_move_latency_seconds count: %v → %v, want at least the 4 stamped actions", latency, got)
	}
	if got := sample(t, "hokm_requests_total", map[string]string{"component": "worker"}); got < max(requests, 0)+float64(cards)+4 {
		t.Errorf("hokm_requests_total{component=worker}: %v → %v", requests, got)
	}

	mu.Lock()
	m := persisted[0]
	mu.Unlock()
	if m.Ended == 0 {
		t.Fatal("finished match without an end time")
	}
	task, err := tasks.NewPersistMatchTask(m, 3, true)
	if err != nil {
		t.Fatal(err)
	}
	h := &worker.PersistHandler{Store: fakePG{}}
	if err := h.ProcessTask(ctx, task); err != nil {
		t.Fatal(err)
	}
	if got := sample(t, "hokm_sync_lag_seconds", nil); got != max(lag, 0)+1 {
		t.Errorf("hokm_sync_lag_seconds count: %v → %v, want one more", lag, got)
	}
}

type fakePG struct{}

func (fakePG) PersistMatch(context.Context, *table.MatchRecord) (bool, error) { return true, nil }

// TestDeadActionsGauge: hokm_actions_dead_letters is the size of the
// dead-letter hash of actions at scrape time.
func TestDeadActionsGauge(t *testing.T) {
	st, _ := registerCollectors(t)
	ctx := context.Background()
	if got := sample(t, "hokm_actions_dead_letters", nil); got != 0 {
		t.Fatalf("hokm_actions_dead_letters %v before any dead letter, want 0", got)
	}
	if err := st.EnsureGroup(ctx, "workers"); err != nil {
		t.Fatal(err)
	}
	if err := st.Enqueue(ctx, redisstore.Action{Table: "t", User: "u", ID: "a", Op: "sit"}); err != nil {
		t.Fatal(err)
	}
	es, err := st.ReadActions(ctx, "workers", "w", st.Partition("t"), 1, time.Second)
	if err != nil || len(es) != 1 {
		t.Fatalf("read: %v %+v", err, es)
	}
	if _, _, err := st.DeadLetterAction(ctx, "workers", "w", es[0], "panic: x"); err != nil {
		t.Fatal(err)
	}
	if got := sample(t, "hokm_actions_dead_letters", nil); got != 1 {
		t.Fatalf("hokm_actions_dead_letters %v, want 1", got)
	}
}

// The memoized children are the vectors' own: counts land under each label
// value, and distinct values stay apart.
func TestByLabelCountsOnTheVector(t *testing.T) {
	before := testutil.ToFloat64(metrics.Requests.WithLabelValues("bylabel-a"))
	for range 3 {
		metrics.Request("bylabel-a")
	}
	metrics.Request("bylabel-b")
	if got := testutil.ToFloat64(metrics.Requests.WithLabelValues("bylabel-a")) - before; got != 3 {
		t.Fatalf("bylabel-a counted %v, want 3", got)
	}
	if got := testutil.ToFloat64(metrics.Requests.WithLabelValues("bylabel-b")); got != 1 {
		t.Fatalf("bylabel-b counted %v, want 1", got)
	}
}

// TestRegisterConcurrently: apps started at once in one process (the
// parallel tests of internal/app) each register their own collector of the
// same metric; every Register replaces the last one, none panics.
func TestRegisterConcurrently(t *testing.T) {
	var wg sync.WaitGroup
	panics := make(chan any, 8)
	for range 8 {
		wg.Go(func() {
			defer func() {
				if p := recover(); p != nil {
					panics <- p
				}
			}()
			for range 200 {
				metrics.Register(metrics.NewSessions(func() metrics.SessionStats { return metrics.SessionStats{Written: 7} }))
			}
		})
	}
	wg.Wait()
	close(panics)
	for p := range panics {
		t.Fatalf("Register panicked: %v", p)
	}
	if got := testutil.CollectAndCount(metrics.Registry(), "hokm_session_mirror_flush_errors_total"); got != 1 {
		t.Fatalf("%d series of the sessions' collector registered, want 1", got)
	}
}
