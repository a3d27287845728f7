package worker

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/store/redisstore"
)

// readCounter counts the table reads of a processor.
type readCounter struct {
	Store
	loads atomic.Int64
}

func (s *readCounter) LoadTable(ctx context.Context, id string) (redisstore.Loaded, error) {
	s.loads.Add(1)
	return s.Store.LoadTable(ctx, id)
}

// TestCachedTableSavesReads: a processor reads a table once, then applies
// each of its next actions to the table as it committed it.
func TestCachedTableSavesReads(t *testing.T) {
	e := newActionEnv(t)
	cs := &readCounter{Store: e.store}
	e.proc = NewProcessor(cs, e.proc.opts)
	e.seatFour() // 8 actions
	if n := cs.loads.Load(); n != 1 {
		t.Fatalf("8 actions at one table read it %d times, want 1", n)
	}
	l := e.load()
	if l.Table.Status != table.Playing || l.Seq == 0 {
		t.Fatalf("after seating and starting: status %s, seq %d", l.Table.Status, l.Seq)
	}
}

// TestStaleCachedTableNeverDecides: another writer changes the table behind
// a processor's cached copy. A command the stale copy would refuse is
// applied to a fresh read, and one it would accept is applied again to a
// fresh read, so the other writer's change is kept.
func TestStaleCachedTableNeverDecides(t *testing.T) {
	e := newActionEnv(t)
	other := NewProcessor(e.store, Options{CacheTables: -1})
	for s := 0; s < 4; s++ {
		if r := e.do(e.action(userOf(s), "sit", table.OpSit, s, "")); r.Code != "" {
			t.Fatalf("sit %d: %s", s, r.Code)
		}
	}
	// The stale copy would accept u2's ready: the commit finds the table
	// moved on, and u2's ready is applied on top of u1's.
	if err := other.Process(e.ctx, e.action(userOf(1), "ready", table.OpReady, 0, table.ReadyYes)); err != nil {
		t.Fatal(err)
	}
	if r := e.do(e.action(userOf(2), "ready", table.OpReady, 0, table.ReadyYes)); r.Code != "" {
		t.Fatalf("u2 ready: %s", r.Code)
	}
	if l := e.load(); !l.Table.Seats[1].Ready || !l.Table.Seats[2].Ready {
		t.Fatalf("ready flags after a stale commit: u1 %v, u2 %v (want both)", l.Table.Seats[1].Ready, l.Table.Seats[2].Ready)
	}
	if r := e.do(e.action(userOf(3), "ready", table.OpReady, 0, table.ReadyYes)); r.Code != "" {
		t.Fatalf("u3 ready: %s", r.Code)
	}
	if r := e.do(e.action(userOf(0), "start", table.OpStart, 0, "")); r.Code != "" {
		t.Fatalf("start: %s", r.Code)
	}
	// The stale copy would refuse the first card (trump not chosen yet):
	// the card is judged on a fresh read, and accepted.
	hakem := e.load().Table.Game.Hakem
	if err := other.Process(e.ctx, e.action(userOf(hakem), "trump", table.OpTrump, 0, "S")); err != nil {
		t.Fatal(err)
	}
	l := e.load()
	card := l.Table.Game.LegalCards(hakem).Cards()[0]
	if r := e.do(e.action(userOf(hakem), "card", table.OpPlay, 0, card.String())); r.Code != "" {
		t.Fatalf("the Hakem's first card after a trump chosen elsewhere: refused %s", r.Code)
	}
	if l := e.load(); len(l.Table.Moves) != 2 || l.Table.Game.Trump != game.Spades {
		t.Fatalf("after trump and card: %d moves, trump %v", len(l.Table.Moves), l.Table.Game.Trump)
	}
}

// TestTableCacheStandsAsideWhenStale: a cache whose copies are mostly stale
// keeps nothing for cacheOff, then keeps again.
func TestTableCacheStandsAsideWhenStale(t *testing.T) {
	now := time.Unix(1000, 0)
	c := newTableCache(10, func() time.Time { return now })
	keep := func(id string) bool {
		c.put(&redisstore.Loaded{Table: table.Table{Meta: table.Meta{ID: id}}})
		_, ok := c.take(id)
		return ok
	}
	if !keep("a") {
		t.Fatal("a new cache keeps nothing")
	}
	for i := range cacheLook {
		c.outcome(i%2 == 0) // half stale
	}
	if keep("b") {
		t.Fatal("kept a table with half the copies stale")
	}
	now = now.Add(cacheOff)
	if !keep("c") {
		t.Fatalf("kept nothing %v later", cacheOff)
	}
	for i := range 11 {
		c.put(&redisstore.Loaded{Table: table.Table{Meta: table.Meta{ID: string(rune('k' + i))}}})
	}
	if len(c.tables) != 10 {
		t.Fatalf("%d tables kept, want at most 10", len(c.tables))
	}
}
