package gateway

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/gateway/protocol"
	"github.com/hokm-project/hokm/store/redisstore"
)

// TestGapFill: events the hub never got (a lost Pub/Sub message, a
// reconnect) are read from the log, in order; when the log no longer
// reaches back, a snapshot is sent.
func TestGapFill(t *testing.T) {
	e := setup(t, Options{})
	ctx := context.Background()
	c := dial(t, e.url, nil).startReading()
	me := c.hello("x")
	f := c.ok(protocol.Request{Type: protocol.TypeCreateTable})
	var td protocol.TableData
	_ = json.Unmarshal(f.Data, &td)
	tid := td.Table
	c.ok(protocol.Request{Type: protocol.TypeSit, Table: tid, Seat: ptr(1)})
	c.waitFor("snapshot", func(f *frame) bool { return f.Type == protocol.TypeSnapshot && f.Seq == 1 })

	keys := e.store.Keys()
	entry := func(seq int64) redisstore.Entry {
		return redisstore.Entry{Seq: seq, To: game.Everyone, E: json.RawMessage(`{"type":"note","n":` + strconv.FormatInt(seq, 10) + `}`)}
	}
	logOnly := func(seq int64) { // written to the log, never published
		b, _ := json.Marshal(entry(seq))
		if err := e.rdb.RPush(ctx, keys.Log(tid), b).Err(); err != nil {
			t.Fatal(err)
		}
	}
	publish := func(seq int64) { // logged and published
		logOnly(seq)
		if err := e.store.Publish(ctx, tid, redisstore.Message{Events: []redisstore.Entry{entry(seq)}}); err != nil {
			t.Fatal(err)
		}
	}
	events := func(want ...int64) {
		t.Helper()
		for _, seq := range want {
			got := c.waitFor("event", func(f *frame) bool { return f.Type == protocol.TypeEvent })
			if got.Seq != seq {
				t.Fatalf("event seq %d, want %d", got.Seq, seq)
			}
		}
	}

	// A lost message: 2 only in the log, then 3 published.
	logOnly(2)
	publish(3)
	events(2, 3)

	// The hub re-subscribed after a reconnect: the sockets catch up.
	logOnly(4)
	e.srv.hub.confirmed(keys.Channel(tid))
	events(4)

	// The log no longer reaches back (5 and 6 trimmed): a snapshot, which
	// covers what it holds (the table is at seq 8 by then).
	if err := e.rdb.HSet(ctx, keys.Table(tid), "seq", 8).Err(); err != nil {
		t.Fatal(err)
	}
	publish(7)
	publish(8)
	snap := c.waitFor("snapshot", func(f *frame) bool { return f.Type == protocol.TypeSnapshot })
	if snap.Seq != 8 {
		t.Fatalf("snapshot %s", snap.raw)
	}
	publish(9)
	events(9)
	c.quiet(100*time.Millisecond, "a repeated event", func(f *frame) bool { return f.Type == protocol.TypeEvent })

	if err := e.rdb.HSet(ctx, keys.Table(tid), "seq", 9).Err(); err != nil {
		t.Fatal(err)
	}

	// A resumed socket that sends a command without sync gets the table
	// first once the command is accepted.
	r := dial(t, e.url, nil).startReading()
	r.ok(protocol.Request{Type: protocol.TypeHello, Token: me.Token})
	r.ok(protocol.Request{Type: protocol.TypeSit, Table: tid, Seat: ptr(1)}) // already there: accepted, no change
	frames := r.all()
	if len(frames) < 3 || frames[1].Type != protocol.TypeSnapshot || frames[1].Seq != 9 {
		t.Fatalf("resumed socket got %s", r.dump())
	}
}
