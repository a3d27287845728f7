package worker

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/gateway/protocol"
	"github.com/hokm-project/hokm/internal/metrics"
	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/store/redisstore"
)

// TestPoisonActionDeadLettered: an action whose processing panics every
// time is retried, then after MaxAttempts panics moved to the dead-letter
// hash and answered internal_error, while the actions after it in the same
// partition are applied; the worker goes on.
func TestPoisonActionDeadLettered(t *testing.T) {
	e := newActionEnv(t)
	var tries atomic.Int64
	panicsBefore := testutil.ToFloat64(metrics.Panics.WithLabelValues(metrics.ComponentWorker))
	deadBefore := testutil.ToFloat64(metrics.ActionsDeadLettered)
	proc := NewProcessor(e.store, Options{Group: "g", Consumer: "c1", Block: 50 * time.Millisecond,
		ReclaimIdle: 100 * time.Millisecond, MaxAttempts: 3,
		beforeApply: func(a redisstore.Action) {
			if a.ID == "poison" {
				tries.Add(1)
				var m map[string]int
				m[a.ID]++ // a nil map write: a bug reached by one input
			}
		}})
	c := NewConsumer(proc, e.store, 2)
	if err := c.Start(e.ctx); err != nil {
		t.Fatal(err)
	}
	defer c.Stop(e.ctx)
	for _, a := range []redisstore.Action{e.action("u0", "poison", table.OpSit, 0, ""), e.action("u1", "ok1", table.OpSit, 1, "")} {
		if err := e.store.Enqueue(e.ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if r := e.waitResult("u1", "ok1"); r.Code != "" {
		t.Fatalf("the action after the poison one was refused: %s", r.Code)
	}
	if r := e.waitResult("u0", "poison"); r.Code != string(protocol.CodeInternalError) {
		t.Fatalf("poison action answered %q, want internal_error", r.Code)
	}
	// Later actions still go through the same partition.
	if err := e.store.Enqueue(e.ctx, e.action("u2", "ok2", table.OpSit, 2, "")); err != nil {
		t.Fatal(err)
	}
	if r := e.waitResult("u2", "ok2"); r.Code != "" {
		t.Fatalf("an action after the dead letter was refused: %s", r.Code)
	}
	if n := tries.Load(); n != 3 {
		t.Fatalf("poison action tried %d times, want 3 (MaxAttempts)", n)
	}
	dead, err := e.store.DeadActions(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 || dead[0].Action.ID != "poison" || dead[0].Action.User != "u0" || dead[0].Attempts != 3 ||
		!strings.Contains(dead[0].Error, "panic") || dead[0].Partition != e.store.Partition(e.tableID) {
		t.Fatalf("dead letters: %+v", dead)
	}
	// Nothing stays pending (the last answer is published just before its
	// entry is acknowledged: wait for that).
	var pending *redis.XPending
	if !testenv.Until(5*time.Second, func() bool {
		pending, err = e.rdb.XPending(e.ctx, e.store.Keys().Actions(e.store.Partition(e.tableID)), "g").Result()
		return err == nil && pending.Count == 0
	}) {
		t.Fatalf("entries still pending: %+v %v", pending, err)
	}
	l := e.load()
	if l.Table.SeatOf("u0") >= 0 || l.Table.SeatOf("u1") != 1 || l.Table.SeatOf("u2") != 2 {
		t.Fatalf("seats after the dead letter: u0 %d u1 %d u2 %d", l.Table.SeatOf("u0"), l.Table.SeatOf("u1"), l.Table.SeatOf("u2"))
	}
	if d := testutil.ToFloat64(metrics.Panics.WithLabelValues(metrics.ComponentWorker)) - panicsBefore; d < 3 {
		t.Fatalf("hokm_panics_total{component=worker} grew by %v, want 3", d)
	}
	if d := testutil.ToFloat64(metrics.ActionsDeadLettered) - deadBefore; d != 1 {
		t.Fatalf("hokm_actions_dead_lettered_total grew by %v, want 1", d)
	}
}

// TestActionDeliveredTooOftenDeadLettered: an entry whose earlier
// deliveries never came back (workers that died on it: a fatal error no
// recover catches) is dead-lettered without being tried again.
func TestActionDeliveredTooOftenDeadLettered(t *testing.T) {
	e := newActionEnv(t)
	group := "g"
	if err := e.store.EnsureGroup(e.ctx, group); err != nil {
		t.Fatal(err)
	}
	if err := e.store.Enqueue(e.ctx, e.action("u0", "crash", table.OpSit, 0, "")); err != nil {
		t.Fatal(err)
	}
	part := e.store.Partition(e.tableID)
	// Three workers take it and die holding it.
	if got, err := e.store.ReadActions(e.ctx, group, "dead0", part, 10, time.Second); err != nil || len(got) != 1 {
		t.Fatalf("read: %v %d", err, len(got))
	}
	for i, name := range []string{"dead1", "dead2"} {
		got, err := e.store.Reclaim(e.ctx, group, name, part, 0, 10)
		if err != nil || len(got) != 1 || got[0].Deliveries != int64(i+2) {
			t.Fatalf("reclaim %d: %v %+v", i, err, got)
		}
	}
	var tried atomic.Bool
	proc := NewProcessor(e.store, Options{Group: group, Consumer: "c1", Block: 50 * time.Millisecond,
		ReclaimIdle: 100 * time.Millisecond, MaxAttempts: 3,
		beforeApply: func(redisstore.Action) { tried.Store(true) }})
	c := NewConsumer(proc, e.store, 2)
	if err := c.Start(e.ctx); err != nil {
		t.Fatal(err)
	}
	defer c.Stop(e.ctx)
	if r := e.waitResult("u0", "crash"); r.Code != string(protocol.CodeInternalError) {
		t.Fatalf("answered %q, want internal_error", r.Code)
	}
	if tried.Load() {
		t.Fatal("an action past its attempts was processed again")
	}
	dead, err := e.store.DeadActions(e.ctx)
	if err != nil || len(dead) != 1 || dead[0].Attempts != 4 || !strings.Contains(dead[0].Error, "delivered 3 times") {
		t.Fatalf("dead letters: %+v %v", dead, err)
	}
}

// TestPanicAfterCommitLeavesTableWhole: a panic after the commit (in an
// AfterChange hook) leaves the table as the one compare-and-set script
// wrote it; the retry finds the action applied (a duplicate), re-runs the
// hook, and the action is acked, applied once.
func TestPanicAfterCommitLeavesTableWhole(t *testing.T) {
	e := newActionEnv(t)
	var hooked atomic.Int64
	proc := NewProcessor(e.store, Options{Group: "g", Consumer: "c1", Block: 50 * time.Millisecond,
		ReclaimIdle: 100 * time.Millisecond, MaxAttempts: 3,
		AfterChange: []Hook{func(context.Context, Change) error {
			if hooked.Add(1) == 1 {
				panic("hook bug")
			}
			return nil
		}}})
	c := NewConsumer(proc, e.store, 2)
	if err := c.Start(e.ctx); err != nil {
		t.Fatal(err)
	}
	defer c.Stop(e.ctx)
	seq := e.load().Seq
	if err := e.store.Enqueue(e.ctx, e.action("u0", "s", table.OpSit, 0, "")); err != nil {
		t.Fatal(err)
	}
	if r := e.waitResult("u0", "s"); r.Code != "" {
		t.Fatalf("sit refused: %s", r.Code)
	}
	waitFor(t, func() bool {
		p, err := e.rdb.XPending(e.ctx, e.store.Keys().Actions(e.store.Partition(e.tableID)), "g").Result()
		return err == nil && p.Count == 0 && hooked.Load() >= 2
	})
	l := e.load()
	if l.Table.SeatOf("u0") != 0 || l.Seq != seq+1 {
		t.Fatalf("after the retry: seat %d, seq %d→%d (want one event)", l.Table.SeatOf("u0"), seq, l.Seq)
	}
	if dead, _ := e.store.DeadActions(e.ctx); len(dead) != 0 {
		t.Fatalf("dead-lettered: %+v", dead)
	}
}

// TestOrdinaryFailuresDoNotMakeActionPoison: attempts failing with an
// ordinary error (here the rebuild of a missing table, PostgreSQL down)
// do not count toward MaxAttempts: the action is retried until it goes
// through, never dead-lettered.
func TestOrdinaryFailuresDoNotMakeActionPoison(t *testing.T) {
	e := newActionEnv(t)
	var fails atomic.Int64
	proc := NewProcessor(e.store, Options{Group: "g", Consumer: "c1", Block: 50 * time.Millisecond,
		ReclaimIdle: 100 * time.Millisecond, MaxAttempts: 2,
		Rebuild: func(context.Context, string) (bool, error) {
			if fails.Add(1) <= 5 {
				return false, errors.New("postgres down")
			}
			return false, nil
		}})
	c := NewConsumer(proc, e.store, 2)
	if err := c.Start(e.ctx); err != nil {
		t.Fatal(err)
	}
	defer c.Stop(e.ctx)
	a := e.action("u0", "s", table.OpSit, 0, "")
	a.Table = "missing-" + e.tableID
	ps := e.rdb.Subscribe(e.ctx, e.store.Keys().Channel(a.Table))
	defer ps.Close()
	if _, err := ps.Receive(e.ctx); err != nil { // the subscription confirmation
		t.Fatal(err)
	}
	if err := e.store.Enqueue(e.ctx, a); err != nil {
		t.Fatal(err)
	}
	msg, err := ps.ReceiveMessage(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var m redisstore.Message
	if err := json.Unmarshal([]byte(msg.Payload), &m); err != nil || m.Result == nil {
		t.Fatalf("message %s: %v", msg.Payload, err)
	}
	if m.Result.Code != string(protocol.CodeTableNotFound) || fails.Load() < 6 {
		t.Fatalf("answered %q after %d rebuilds, want table_not_found after 6", m.Result.Code, fails.Load())
	}
	if dead, _ := e.store.DeadActions(e.ctx); len(dead) != 0 {
		t.Fatalf("dead-lettered: %+v", dead)
	}
}
