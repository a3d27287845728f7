package gateway

import (
	"context"
	"testing"
	"time"

	"github.com/hokm-project/hokm/gateway/protocol"
	"github.com/hokm-project/hokm/internal/ratelimit"
)

// A socket at its bound of followed tables lets go of the tables its user
// left, and only of those: a player who leaves table after table plays on,
// still hears the table they sit at and the one they watch, and the
// gateway no longer subscribes to the ones they left.
func TestSocketLetsGoOfTablesLeft(t *testing.T) {
	answer := time.Second
	e := setup(t, Options{AnswerTimeout: answer, TablesPerUser: -1, TableLimit: ratelimit.Limit{Max: 1000, Window: time.Minute}})
	host := dial(t, e.url, nil).startReading()
	host.hello("host")
	c := dial(t, e.url, nil).startReading()
	me := c.hello("player").User
	// followed: whether the hub hands the table's messages to c's socket.
	followed := func(id string) bool {
		e.srv.mu.Lock()
		sc := e.srv.users[me]
		e.srv.mu.Unlock()
		h := e.srv.hub
		h.mu.Lock()
		defer h.mu.Unlock()
		t := h.chans[h.keys.Channel(id)]
		if t == nil {
			return false
		}
		_, ok := t.conns[sc]
		return ok
	}

	seated := createTable(t, host, nil).Table
	c.ok(protocol.Request{Type: protocol.TypeSit, Table: seated, Seat: ptr(0)})
	watched := createTable(t, host, nil).Table
	c.ok(protocol.Request{Type: protocol.TypeWatch, Table: watched})
	var left []string
	for len(left) < maxTables-2 {
		id := createTable(t, host, nil).Table
		c.ok(protocol.Request{Type: protocol.TypeSit, Table: id, Seat: ptr(1)})
		c.ok(protocol.Request{Type: protocol.TypeLeave, Table: id})
		left = append(left, id)
	}
	next := createTable(t, host, nil).Table
	before := limited(LimitTablesFollowed)
	// Every table left is too recent to let go of yet: a command for it may
	// still be on its way.
	c.fails(protocol.Request{Type: protocol.TypeSit, Table: next, Seat: ptr(1)}, protocol.CodeRateLimited)
	if got := limited(LimitTablesFollowed) - before; got != 1 {
		t.Fatalf("%s counted %v times, want 1", LimitTablesFollowed, got)
	}
	time.Sleep(answer + 100*time.Millisecond)
	c.ok(protocol.Request{Type: protocol.TypeSit, Table: next, Seat: ptr(1)})

	// subscribed: whether the gateway's hub is subscribed to the table's
	// channel (on a cluster on the table's node, which PUBSUB NUMSUB sent to
	// any node would not tell).
	subscribed := func(id string) bool {
		h := e.srv.hub
		h.mu.Lock()
		defer h.mu.Unlock()
		return h.chans[h.keys.Channel(id)] != nil
	}
	for _, id := range left {
		if subscribed(id) {
			t.Fatalf("table %s, left, is still subscribed", id)
		}
	}
	for _, id := range []string{seated, watched, next} {
		if !followed(id) {
			t.Fatalf("table %s is no longer followed", id)
		}
	}
	for _, id := range []string{seated, watched, next} {
		host.ok(protocol.Request{Type: protocol.TypeSit, Table: id, Seat: ptr(2)})
		c.waitFor("the host's sit at "+id, func(f *frame) bool {
			return f.Type == protocol.TypeEvent && f.Table == id && eventType(f) == "table" && tableOf(t, f).Seats[2] != nil
		})
	}

	// The bound still holds for tables the socket has a part in: sitting at
	// more, the player is refused once the socket follows 16 of them.
	for i := 3; i < maxTables; i++ {
		id := createTable(t, host, nil).Table
		c.ok(protocol.Request{Type: protocol.TypeSit, Table: id, Seat: ptr(0)})
	}
	time.Sleep(answer + 100*time.Millisecond)
	id := createTable(t, host, nil).Table
	c.fails(protocol.Request{Type: protocol.TypeSit, Table: id, Seat: ptr(0)}, protocol.CodeRateLimited)
	// Unwatched, a table is let go of like one left.
	c.ok(protocol.Request{Type: protocol.TypeUnwatch, Table: watched})
	c.ok(protocol.Request{Type: protocol.TypeSit, Table: id, Seat: ptr(0)})
	if followed(watched) {
		t.Fatal("the socket still follows the table it no longer watches")
	}
	if !followed(seated) || !followed(id) {
		t.Fatal("the socket no longer follows tables its user sits at")
	}
	// A table that is gone (cleaned up) is let go of, seated or not; not
	// while Redis waits to be recovered (it may come back).
	ctx := context.Background()
	runID, _, err := e.store.RecoveryNeeded(ctx)
	if err != nil {
		t.Fatal(err)
	}
	keys := e.store.Keys()
	for _, k := range []string{keys.Table(next), keys.Boot()} {
		if err := e.rdb.Del(ctx, k).Err(); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(answer + 100*time.Millisecond)
	id = createTable(t, host, nil).Table
	c.fails(protocol.Request{Type: protocol.TypeSit, Table: id, Seat: ptr(0)}, protocol.CodeRateLimited)
	if err := e.store.MarkRecovered(ctx, runID); err != nil {
		t.Fatal(err)
	}
	c.ok(protocol.Request{Type: protocol.TypeSit, Table: id, Seat: ptr(0)})
	if followed(next) || !followed(seated) {
		t.Fatal("the socket let go of a table its user sits at, or kept one that is gone")
	}
}
