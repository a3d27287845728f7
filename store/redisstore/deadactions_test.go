package redisstore_test

import (
	"errors"
	"testing"
	"time"

	"github.com/hokm-project/hokm/store/redisstore"
)

// TestDeliveriesCountedAndUncounted: the delivery count comes with every
// read and reclaim; Uncount takes one back.
func TestDeliveriesCountedAndUncounted(t *testing.T) {
	t.Parallel()
	e := setup(t, redisstore.Options{Partitions: 1})
	if err := e.s.EnsureGroup(e.ctx, group); err != nil {
		t.Fatal(err)
	}
	if err := e.s.Enqueue(e.ctx, redisstore.Action{Table: "t1", User: "u", ID: "a", Op: "sit"}); err != nil {
		t.Fatal(err)
	}
	got, err := e.s.ReadActions(e.ctx, group, "A", 0, 10, time.Second)
	if err != nil || len(got) != 1 || got[0].Deliveries != 1 {
		t.Fatalf("read: %v %+v", err, got)
	}
	for want := int64(2); want <= 3; want++ {
		got, err = e.s.Reclaim(e.ctx, group, "B", 0, 0, 10)
		if err != nil || len(got) != 1 || got[0].Deliveries != want {
			t.Fatalf("reclaim: %v %+v, want %d deliveries", err, got, want)
		}
	}
	if err := e.s.Uncount(e.ctx, group, "B", got[0]); err != nil {
		t.Fatal(err)
	}
	got, err = e.s.Reclaim(e.ctx, group, "C", 0, 0, 10)
	if err != nil || len(got) != 1 || got[0].Deliveries != 3 {
		t.Fatalf("reclaim after uncount: %v %+v, want 3 deliveries", err, got)
	}
}

// TestDeadActionLifecycle: a dead-lettered entry leaves the pending list,
// is listed and shown, replays as a new entry of its partition, and drops.
func TestDeadActionLifecycle(t *testing.T) {
	t.Parallel()
	e := setup(t, redisstore.Options{Partitions: 2})
	if err := e.s.EnsureGroup(e.ctx, group); err != nil {
		t.Fatal(err)
	}
	a := redisstore.Action{Table: "t1", User: "u", Name: "U", ID: "a1", Op: "play", Arg: "AS"}
	if err := e.s.Enqueue(e.ctx, a); err != nil {
		t.Fatal(err)
	}
	p := e.s.Partition("t1")
	got, err := e.s.ReadActions(e.ctx, group, "A", p, 10, time.Second)
	if err != nil || len(got) != 1 {
		t.Fatalf("read: %v %+v", err, got)
	}
	d, kept, err := e.s.DeadLetterAction(e.ctx, group, "A", got[0], "panic: boom")
	if err != nil {
		t.Fatal(err)
	}
	if !kept || d.ID != redisstore.DeadActionID(got[0]) || d.Action != got[0].Action || d.Attempts != 1 {
		t.Fatalf("dead letter %+v", d)
	}
	if pend, err := e.rdb.XPending(e.ctx, e.s.Keys().Actions(p), group).Result(); err != nil || pend.Count != 0 {
		t.Fatalf("still pending: %+v %v", pend, err)
	}
	list, err := e.s.DeadActions(e.ctx)
	if err != nil || len(list) != 1 || list[0].ID != d.ID || list[0].Error != "panic: boom" {
		t.Fatalf("list: %v %+v", err, list)
	}
	if n, err := e.s.DeadActionCount(e.ctx); err != nil || n != 1 {
		t.Fatalf("count %d %v", n, err)
	}
	if one, err := e.s.DeadAction(e.ctx, d.ID); err != nil || one.Action != d.Action {
		t.Fatalf("show: %v %+v", err, one)
	}
	if _, err := e.s.DeadAction(e.ctx, "9-0-0"); !errors.Is(err, redisstore.ErrNoDeadAction) {
		t.Fatalf("show of an unknown id: %v", err)
	}
	if _, err := e.s.ReplayDeadAction(e.ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	again, err := e.s.ReadActions(e.ctx, group, "A", p, 10, time.Second)
	if err != nil || len(again) != 1 || again[0].ID == got[0].ID {
		t.Fatalf("replayed entry: %v %+v", err, again)
	}
	if r := again[0].Action; r.Table != a.Table || r.User != a.User || r.ID != a.ID || r.Op != a.Op || r.Arg != a.Arg || r.Name != a.Name {
		t.Fatalf("replayed %+v, want %+v", r, a)
	}
	if n, _ := e.s.DeadActionCount(e.ctx); n != 0 {
		t.Fatalf("%d dead letters after replay", n)
	}
	if _, _, err := e.s.DeadLetterAction(e.ctx, group, "A", again[0], "again"); err != nil {
		t.Fatal(err)
	}
	if err := e.s.DropDeadAction(e.ctx, redisstore.DeadActionID(again[0])); err != nil {
		t.Fatal(err)
	}
	if err := e.s.DropDeadAction(e.ctx, redisstore.DeadActionID(again[0])); !errors.Is(err, redisstore.ErrNoDeadAction) {
		t.Fatalf("second drop: %v", err)
	}
}

// TestDeadActionsBounded: past DeadActionsMax records an entry is still
// taken out of its partition, without a record.
func TestDeadActionsBounded(t *testing.T) {
	t.Parallel()
	e := setup(t, redisstore.Options{Partitions: 1, DeadActionsMax: 1})
	if err := e.s.EnsureGroup(e.ctx, group); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a1", "a2"} {
		if err := e.s.Enqueue(e.ctx, redisstore.Action{Table: "t1", User: "u", ID: id, Op: "sit"}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := e.s.ReadActions(e.ctx, group, "A", 0, 10, time.Second)
	if err != nil || len(got) != 2 {
		t.Fatalf("read: %v %+v", err, got)
	}
	for i, want := range []bool{true, false} {
		if _, kept, err := e.s.DeadLetterAction(e.ctx, group, "A", got[i], "panic"); err != nil || kept != want {
			t.Fatalf("dead letter %d: kept %v, want %v (%v)", i, kept, want, err)
		}
	}
	// The kept one is updated in place even though the hash is full.
	if _, kept, err := e.s.DeadLetterAction(e.ctx, group, "A", got[0], "again"); err != nil || !kept {
		t.Fatalf("re-recording the kept one: %v %v", kept, err)
	}
	if n, _ := e.s.DeadActionCount(e.ctx); n != 1 {
		t.Fatalf("%d dead letters, want 1", n)
	}
	if pend, err := e.rdb.XPending(e.ctx, e.s.Keys().Actions(0), group).Result(); err != nil || pend.Count != 0 {
		t.Fatalf("still pending: %+v %v", pend, err)
	}
}
