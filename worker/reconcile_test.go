package worker

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/internal/metrics"
	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/internal/zjson"
	"github.com/hokm-project/hokm/migrations"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/pgstore/pgstoretest"
	"github.com/hokm-project/hokm/store/redisstore"
	"github.com/hokm-project/hokm/tasks"
)

// reconcileRedisDB is the Redis DB the reconcile tests' asynq servers own.
const reconcileRedisDB = testenv.DBReconcile

// migratedPG is a PostgreSQL database of the test's own, migrated.
func migratedPG(t *testing.T) (*pgstore.Store, *pgxpool.Pool) {
	t.Helper()
	pool, dsn := testenv.Pool(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := migrations.Up(ctx, dsn); err != nil {
		t.Fatalf("migrations: %v", err)
	}
	return pgstore.New(pool), pool
}

// switchable persists through next, or fails while down is set.
type switchable struct {
	next interface {
		PersistMatch(context.Context, *table.MatchRecord) (bool, error)
	}
	down atomic.Bool
}

func (s *switchable) PersistMatch(ctx context.Context, m *table.MatchRecord) (bool, error) {
	if s.down.Load() {
		return false, errors.New("connection refused")
	}
	return s.next.PersistMatch(ctx, m)
}

func TestReconcileRepersistsDeletedAndArchivedMatches(t *testing.T) {
	rdb, prefix := testenv.Redis(t, reconcileRedisDB, true) // first: on a cluster it may wait for its turn
	ctx := persistCtx(t)
	pg, pool := migratedPG(t)
	sw := &switchable{next: pg}
	counting := &persistCounting{next: sw}
	env := newPersistEnv(t, rdb, counting)
	keys := redisstore.New(rdb, redisstore.Options{Prefix: prefix}).Keys()
	ledger := &Ledger{RDB: rdb, Keys: keys, Compress: true}
	var deadLetters []string // recorded before an archived task is run again
	r := &Reconciler{Ledger: ledger, Store: pg, Client: env.client, Inspector: env.inspector, MaxRetry: 3,
		DeadLetters: func(_ context.Context, ti *asynq.TaskInfo) error {
			if ti.State != asynq.TaskStateArchived {
				t.Errorf("dead letter of a task in state %v", ti.State)
			}
			deadLetters = append(deadLetters, ti.ID)
			return nil
		}}
	exists := func(id string) bool { ok, err := pg.MatchExists(ctx, id); return err == nil && ok }

	// Match a: persisted, its task completed, then its rows deleted; its
	// ledger record plain, as a release before compression wrote it.
	a := pgstoretest.Play(pgstoretest.Game{Seed: 21})
	if err := (&Ledger{RDB: rdb, Keys: keys}).Record(ctx, a); err != nil {
		t.Fatal(err)
	}
	task, _ := tasks.NewPersistMatchTask(a, 3, true)
	if err := tasks.Enqueue(ctx, env.client, task); err != nil {
		t.Fatal(err)
	}
	persistEventually(t, "match a persisted", func() bool { return exists(a.MatchID) })
	persistEventually(t, "task of a completed", func() bool {
		info, err := env.inspector.GetTaskInfo(tasks.QueuePersist, tasks.PersistMatchTaskID(a.MatchID))
		return err == nil && info.State == asynq.TaskStateCompleted
	})
	if _, err := pool.Exec(ctx, "DELETE FROM matches WHERE id = $1", a.MatchID); err != nil {
		t.Fatal(err)
	}

	// Match b: its task archived while PostgreSQL was down.
	b := pgstoretest.Play(pgstoretest.Game{Seed: 22})
	if err := ledger.Record(ctx, b); err != nil {
		t.Fatal(err)
	}
	sw.down.Store(true)
	task, _ = tasks.NewPersistMatchTask(b, 0, true)
	if err := tasks.Enqueue(ctx, env.client, task); err != nil {
		t.Fatal(err)
	}
	persistEventually(t, "task of b archived", func() bool { return env.persistArchived(tasks.PersistMatchTaskID(b.MatchID)) != nil })
	sw.down.Store(false)
	before := counting.inserted.Load()
	fixedBefore := metricValue(metrics.ReconcileFixed)

	rep, err := r.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Missing) != 2 || len(rep.Fixed) != 2 {
		t.Fatalf("first run: %+v, want a and b missing and fixed", rep)
	}
	if len(deadLetters) != 1 || deadLetters[0] != tasks.PersistMatchTaskID(b.MatchID) {
		t.Fatalf("dead letters recorded %v, want b's archived task", deadLetters)
	}
	if got := metricValue(metrics.ReconcileMissing); got != 2 {
		t.Errorf("hokm_reconcile_missing %v, want 2", got)
	}
	if got := metricValue(metrics.ReconcileFixed) - fixedBefore; got != 2 {
		t.Errorf("hokm_reconcile_fixed_total grew by %v, want 2", got)
	}
	persistEventually(t, "a and b persisted again", func() bool { return exists(a.MatchID) && exists(b.MatchID) })
	if got := counting.inserted.Load() - before; got != 2 {
		t.Fatalf("%d inserts after reconcile, want 2 (each match once)", got)
	}
	// Both forms of a ledger record read back whole; what the reconciler
	// enqueued again for a (from its plain record) is compressed.
	for _, m := range []table.MatchRecord{a, b} {
		raw, _ := rdb.HGet(ctx, keys.Reconciled(), m.MatchID).Bytes()
		got, err := r.ledgerRecord(m.MatchID)(ctx)
		if err != nil || !reflect.DeepEqual(got, m) || zjson.Compressed(raw) != (m.MatchID == b.MatchID) {
			t.Fatalf("ledger record of %s (compressed %v): %v, equal %v", m.MatchID, zjson.Compressed(raw), err, reflect.DeepEqual(got, m))
		}
	}
	if info, err := env.inspector.GetTaskInfo(tasks.QueuePersist, tasks.PersistMatchTaskID(a.MatchID)); err != nil || !zjson.Compressed(info.Payload) {
		t.Fatalf("a's task enqueued again: %v (compressed %v)", err, err == nil && zjson.Compressed(info.Payload))
	}

	// A second run, while the matches' ends are within LedgerRetention,
	// finds nothing missing and keeps both entries; a third, once past it,
	// drops them.
	first, last := time.UnixMilli(min(a.Ended, b.Ended)), time.UnixMilli(max(a.Ended, b.Ended))
	r.Now = func() time.Time { return first.Add(LedgerRetention - time.Second) }
	rep, err = r.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Missing) != 0 || len(rep.Fixed) != 0 || rep.Cleaned != 0 || rep.Checked != 2 {
		t.Fatalf("second run: %+v, want 2 checked, nothing missing and nothing cleaned", rep)
	}
	r.Now = func() time.Time { return last.Add(LedgerRetention + time.Second) }
	rep, err = r.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Missing) != 0 || len(rep.Fixed) != 0 || rep.Cleaned != 2 {
		t.Fatalf("third run: %+v, want nothing missing and 2 cleaned", rep)
	}
	time.Sleep(200 * time.Millisecond)
	if got := counting.inserted.Load() - before; got != 2 {
		t.Fatalf("%d inserts after the later runs, want still 2", got)
	}
	if n, _ := rdb.ZCard(ctx, keys.Finished()).Result(); n != 0 {
		t.Errorf("ledger still holds %d entries", n)
	}
	if n, _ := rdb.HLen(ctx, keys.Finished()+":rec").Result(); n != 0 {
		t.Errorf("ledger hash still holds %d records", n)
	}
}

// checkpointsDown is a checkpoint store whose database is unreachable.
type checkpointsDown struct{}

func (checkpointsDown) WriteCheckpoint(context.Context, pgstore.Checkpoint) (bool, error) {
	return false, errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")
}

func TestHandCheckpointsWrittenAndQueuedWhenPostgresDown(t *testing.T) {
	e := newActionEnv(t)
	pg, _ := migratedPG(t)
	viaQueue, _ := migratedPG(t)
	direct := &CheckpointHook{Store: pg, Enqueue: func(context.Context, *asynq.Task) error {
		return errors.New("direct hook must not enqueue")
	}}
	var mu sync.Mutex
	var queued []*asynq.Task
	fallback := &CheckpointHook{Store: checkpointsDown{}, Timeout: 100 * time.Millisecond,
		Enqueue: func(_ context.Context, task *asynq.Task) error {
			mu.Lock()
			defer mu.Unlock()
			queued = append(queued, task)
			return nil
		}}
	ledger := &Ledger{RDB: e.rdb, Keys: e.store.Keys()}
	proc := NewProcessor(e.store, Options{Group: "g", Consumer: "c1", Block: 50 * time.Millisecond,
		ReclaimIdle: time.Second, Persist: e.proc.opts.Persist,
		AfterChange: []Hook{direct.AfterChange, fallback.AfterChange, ledger.AfterChange}})
	c := NewConsumer(proc, e.store, 2)
	if err := c.Start(e.ctx); err != nil {
		t.Fatal(err)
	}
	defer c.Stop(context.Background())
	for _, a := range []redisstore.Action{
		e.action("u0", "1", table.OpSit, 0, ""), e.action("u0", "2", table.OpAddBots, 0, ""),
		e.action("u0", "3", table.OpStart, 0, ""), e.action("u0", "4", table.OpLeave, 0, ""),
	} {
		if err := e.store.Enqueue(e.ctx, a); err != nil {
			t.Fatal(err)
		}
		if r := e.waitResult(a.User, a.ID); r.Code != "" {
			t.Fatalf("%s refused: %s", a.Op, r.Code)
		}
	}
	waitFor(t, func() bool { e.mu.Lock(); defer e.mu.Unlock(); return len(e.persisted) > 0 })
	l := e.load()
	id := l.Table.MatchID()
	results := l.Table.Game.Results
	// The match is handed to Persist before the hooks run: wait for the
	// fallback hook (after the direct one) to have queued the last hand.
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(queued) >= len(results) })

	cps, err := pg.Checkpoints(e.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(cps) != len(results) {
		t.Fatalf("%d checkpoints, want one per finished hand (%d)", len(cps), len(results))
	}
	for i, cp := range cps {
		if cp.HandNo != i || cp.TableID != e.tableID {
			t.Fatalf("checkpoint %d: hand %d table %s", i, cp.HandNo, cp.TableID)
		}
		var st game.State
		if err := st.UnmarshalBinary(cp.State); err != nil {
			t.Fatalf("checkpoint %d state: %v", i, err)
		}
		if len(st.Results) != i+1 || st.Score != cp.Score {
			t.Fatalf("checkpoint %d: state has %d results score %v, row score %v", i, len(st.Results), st.Score, cp.Score)
		}
		if i == len(cps)-1 && (!st.Over() || st.Score != l.Table.Game.Score) {
			t.Fatalf("last checkpoint not the match's end: phase %v score %v", st.Phase, st.Score)
		}
		if i < len(cps)-1 && (st.Phase != game.PhaseTrump || st.Hand != i+1) {
			t.Fatalf("checkpoint %d not at the start of hand %d: phase %v hand %d", i, i+1, st.Phase, st.Hand)
		}
	}

	// PostgreSQL down: every hand went to the queue instead, and the
	// handler writes the same rows.
	mu.Lock()
	defer mu.Unlock()
	if len(queued) != len(results) {
		t.Fatalf("%d checkpoint tasks queued, want %d", len(queued), len(results))
	}
	h := &CheckpointHandler{Store: viaQueue}
	for i, task := range queued {
		if task.Type() != tasks.TypePersistCheckpoint {
			t.Fatalf("task type %s", task.Type())
		}
		for range 2 { // a redelivered task writes nothing more
			if err := h.ProcessTask(e.ctx, task); err != nil {
				t.Fatalf("task %d: %v", i, err)
			}
		}
	}
	got, err := viaQueue.Checkpoints(e.ctx, id)
	if err != nil || len(got) != len(cps) {
		t.Fatalf("checkpoints via the queue: %d (%v), want %d", len(got), err, len(cps))
	}
	for i := range got {
		if string(got[i].State) != string(cps[i].State) || got[i].Score != cps[i].Score {
			t.Fatalf("checkpoint %d via the queue differs from the direct one", i)
		}
	}

	// The finished match is in the ledger.
	if ok, _ := e.rdb.HExists(e.ctx, e.store.Keys().Finished()+":rec", id).Result(); !ok {
		t.Error("finished match not in the ledger")
	}
}

func TestVerifyReplaysRaisesMetricOnAlteredRecord(t *testing.T) {
	ctx := persistCtx(t)
	pg, pool := migratedPG(t)
	var ids []string
	for seed := uint64(31); seed < 34; seed++ {
		m := pgstoretest.Play(pgstoretest.Game{Seed: seed})
		if _, err := pg.PersistMatch(ctx, &m); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.MatchID)
	}
	v := &Verifier{Store: pg}
	before := metricValue(metrics.ReplayVerifyMismatches)
	n, bad, err := v.Run(ctx)
	if err != nil || n != 3 || len(bad) != 0 {
		t.Fatalf("clean run: %d checked, mismatches %v, err %v", n, bad, err)
	}
	if got := metricValue(metrics.ReplayVerifyLastMismatches); got != 0 {
		t.Fatalf("last mismatches %v, want 0", got)
	}
	// Alter one stored hand result and one stored move on purpose.
	if _, err := pool.Exec(ctx, "UPDATE match_hands SET hakem = (hakem + 1) % 4 WHERE match_id = $1 AND hand_no = 0", ids[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE match_hands SET move_values[1] = CASE move_values[1] WHEN 'S' THEN 'H' ELSE 'S' END
		WHERE match_id = $1 AND hand_no = 0`, ids[1]); err != nil { // (a hand's first move is its trump choice)
		t.Fatal(err)
	}
	n, bad, err = v.Run(ctx)
	if err != nil || n != 3 {
		t.Fatalf("run: %d checked, err %v", n, err)
	}
	want := map[string]bool{ids[0]: true, ids[1]: true}
	if len(bad) != 2 || !want[bad[0]] || !want[bad[1]] {
		t.Fatalf("mismatches %v, want %v", bad, ids[:2])
	}
	if got := metricValue(metrics.ReplayVerifyMismatches) - before; got != 2 {
		t.Errorf("hokm_replay_verify_mismatches_total grew by %v, want 2", got)
	}
	if got := metricValue(metrics.ReplayVerifyLastMismatches); got != 2 {
		t.Errorf("hokm_replay_verify_last_mismatches %v, want 2", got)
	}
}

// metricValue reads a counter's or gauge's value.
func metricValue(c prometheus.Metric) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		panic(err)
	}
	if m.Counter != nil {
		return m.Counter.GetValue()
	}
	return m.Gauge.GetValue()
}
