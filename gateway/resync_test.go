package gateway

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/hokm-project/hokm/gateway/protocol"
	"github.com/hokm-project/hokm/store/redisstore"
)

// TestResyncWhenTableRebuilt: Redis loses a table and it comes back from
// an older journal copy in a new epoch. A socket that had seqs the table no
// longer has is told so with a resync (the server's truth, and how many of
// its seqs are gone); a client that syncs with its old epoch or a seq ahead
// of the table's gets the same; a late message of the old epoch is dropped;
// play goes on in the new epoch.
func TestResyncWhenTableRebuilt(t *testing.T) {
	e := setup(t, Options{})
	ctx := context.Background()
	c := dial(t, e.url, nil).startReading()
	c.hello("p")
	var td protocol.TableData
	_ = json.Unmarshal(c.ok(protocol.Request{Type: protocol.TypeCreateTable}).Data, &td)
	tid := td.Table
	c.ok(protocol.Request{Type: protocol.TypeSit, Table: tid, Seat: ptr(0)})
	snap := c.waitFor("snapshot", func(f *frame) bool { return f.Type == protocol.TypeSnapshot })
	if snap.Epoch != 1 {
		t.Fatalf("first snapshot in epoch %d", snap.Epoch)
	}
	older, err := e.store.ReadDurable(ctx, []string{tid}) // the journal's copy: seat 0 taken
	if err != nil || len(older) != 1 {
		t.Fatalf("read durable: %v %v", older, err)
	}
	// Another player sits down after the journal's copy was taken.
	c2 := dial(t, e.url, nil).startReading()
	c2.hello("q")
	c2.ok(protocol.Request{Type: protocol.TypeSit, Table: tid, Seat: ptr(1)})
	c2.ok(protocol.Request{Type: protocol.TypeReady, Table: tid})
	c.ok(protocol.Request{Type: protocol.TypeAddBots, Table: tid})
	ack := c.ok(protocol.Request{Type: protocol.TypeStart, Table: tid})
	var sd protocol.SeqData
	_ = json.Unmarshal(ack.Data, &sd)
	had := sd.Seq // the client has every seq up to here
	if had <= older[0].Seq {
		t.Fatalf("seq %d after start, journal copy at %d", had, older[0].Seq)
	}

	// Redis loses the table; it is rebuilt from the older copy.
	k := e.store.Keys()
	if err := e.rdb.Del(ctx, k.Table(tid), k.Acts(tid), k.Log(tid)).Err(); err != nil {
		t.Fatal(err)
	}
	runID, _ := e.store.RunID(ctx)
	res, err := e.store.RestoreTable(ctx, tid, runID+"-test", &older[0], false)
	if err != nil || res.Outcome != redisstore.OutcomeRestored || res.Epoch != 2 {
		t.Fatalf("restore: %+v %v", res, err)
	}
	if err := e.store.Publish(ctx, tid, redisstore.Message{Epoch: res.Epoch,
		Restored: &redisstore.Restored{Seq: res.Seq, Reason: redisstore.RestoreReason}}); err != nil {
		t.Fatal(err)
	}
	rs := c.waitFor("resync", func(f *frame) bool { return f.Type == protocol.TypeResync })
	if rs.Table != tid || rs.Seq != older[0].Seq || rs.Epoch != 2 || rs.Reason != protocol.ResyncRestored ||
		rs.Back != had-older[0].Seq || rs.TableInfo == nil || rs.TableInfo.Seats[1] != nil || string(rs.View) != "null" {
		t.Fatalf("resync %s (had %d)", rs.raw, had)
	}

	// The player who sat down after the copy is told too, though the
	// rebuilt table no longer has them, and then follows it no more.
	rs2 := c2.waitFor("resync of a player no longer seated", func(f *frame) bool { return f.Type == protocol.TypeResync })
	if rs2.Seq != older[0].Seq || rs2.Epoch != 2 || rs2.TableInfo == nil || rs2.TableInfo.Seats[1] != nil {
		t.Fatalf("resync of the unseated player %s", rs2.raw)
	}
	c2.drain()

	// A client that reconnects with its old epoch, or a seq ahead of the
	// table, gets the same resync before the ack.
	for _, sync := range []protocol.Request{
		{Type: protocol.TypeSync, Table: tid, After: ptr(had), Epoch: ptr(int64(1))},
		{Type: protocol.TypeSync, Table: tid, After: ptr(had)},
	} {
		f := c.ok(sync)
		var got protocol.SeqData
		_ = json.Unmarshal(f.Data, &got)
		again := c.waitFor("resync after sync", func(f *frame) bool { return f.Type == protocol.TypeResync })
		if got.Seq != older[0].Seq || again.Back != had-older[0].Seq || again.Epoch != 2 {
			t.Fatalf("sync %+v: ack %s, resync %s", sync, f.raw, again.raw)
		}
	}
	// In step: nothing more.
	c.ok(protocol.Request{Type: protocol.TypeSync, Table: tid, After: ptr(older[0].Seq), Epoch: ptr(int64(2))})

	// A message of the old epoch arriving late is not passed on.
	c.drain()
	late := redisstore.Message{Epoch: 1, Events: []redisstore.Entry{{Seq: older[0].Seq + 1, To: -1,
		E: json.RawMessage(`{"type":"hand_started","hand":0,"hakem":1,"dealer":0}`)}}}
	if err := e.store.Publish(ctx, tid, late); err != nil {
		t.Fatal(err)
	}
	c.quiet(300*time.Millisecond, "an old epoch's event", func(f *frame) bool { return f.Type == protocol.TypeEvent })

	// Play goes on in the new epoch, with the seqs after the rebuild.
	ack = c.ok(protocol.Request{Type: protocol.TypeAddBots, Table: tid})
	_ = json.Unmarshal(ack.Data, &sd)
	ev := c.waitFor("table event", func(f *frame) bool { return f.Type == protocol.TypeEvent })
	if ev.Seq != older[0].Seq+1 || sd.Seq != ev.Seq {
		t.Fatalf("after the rebuild: event %s, ack seq %d", ev.raw, sd.Seq)
	}
	c2.quiet(200*time.Millisecond, "an event for a player no longer seated", func(f *frame) bool { return f.Type == protocol.TypeEvent })

	// A client that reconnects with its old epoch only now, after play went
	// on in the new one, is told the same seqs are gone: those after the
	// rebuild's start, not after the table's seq now.
	c.drain()
	f := c.ok(protocol.Request{Type: protocol.TypeSync, Table: tid, After: ptr(had), Epoch: ptr(int64(1))})
	late2 := c.waitFor("resync after play went on", func(f *frame) bool { return f.Type == protocol.TypeResync })
	if late2.Seq <= older[0].Seq || late2.Back != had-older[0].Seq {
		t.Fatalf("late sync: ack %s, resync %s (had %d, rebuilt at %d)", f.raw, late2.raw, had, older[0].Seq)
	}
}
