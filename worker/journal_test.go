package worker

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/redisstore"
)

// journalRedis and journalPG stand in for Redis and PostgreSQL in this
// pure unit test of the journal's bookkeeping (the real round trip is in
// recovery_test.go).
type journalRedis struct {
	reads [][]string
	forms map[string]redisstore.Durable
}

func (r *journalRedis) ReadDurable(_ context.Context, ids []string) ([]redisstore.Durable, error) {
	r.reads = append(r.reads, slices.Sorted(slices.Values(ids)))
	var out []redisstore.Durable
	for _, id := range ids {
		out = append(out, r.forms[id])
	}
	return out, nil
}

type journalPG struct {
	mu     sync.Mutex
	fail   bool
	saved  map[string]pgstore.LiveTable
	writes [][]string // the ids of each statement
}

func (p *journalPG) SaveLiveTables(_ context.Context, rows []pgstore.LiveTable) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail {
		return errors.New("down")
	}
	var ids []string
	for _, r := range rows {
		p.saved[r.ID] = r
		ids = append(ids, r.ID)
	}
	p.writes = append(p.writes, ids)
	return nil
}

func (p *journalPG) written() [][]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.writes)
}

// TestJournalWritesWhatTheCommitWrote: a committed change's row is written
// as the commit wrote it — the latest per table, no read from Redis —;
// a table changed otherwise (a rebuild) is read from Redis, and so is one
// noted after its commit; what PostgreSQL refused is written next pass.
func TestJournalWritesWhatTheCommitWrote(t *testing.T) {
	ctx := context.Background()
	meta := []byte(`{"status":"playing","match":2}`)
	r := &journalRedis{forms: map[string]redisstore.Durable{
		"t2": {ID: "t2", Epoch: 3, Seq: 40, Meta: meta, State: []byte("s2")},
		"t3": {ID: "t3", Epoch: 1, Seq: 9, Meta: meta, State: []byte("s3-redis")},
	}}
	pg := &journalPG{saved: map[string]pgstore.LiveTable{}}
	j := &Journal{Redis: r, PG: pg}
	change := func(id string, seq int64, d bool) {
		t.Helper()
		c := Change{Table: &table.Table{Meta: table.Meta{ID: id, Status: table.Playing, Match: 1}}, Seq: seq}
		if d {
			c.Durable = &redisstore.Durable{ID: id, Epoch: 1, Seq: seq, Meta: []byte("m"), State: []byte{byte(seq)}}
		}
		if err := j.AfterChange(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	change("t1", 5, true)
	change("t1", 7, true)
	change("t1", 6, true) // late: the kept seq 7 stays
	change("t2", 40, false)
	change("t3", 8, true)
	j.Touch("t3") // noted after its commit: read again
	pg.fail = true
	if err := j.Flush(ctx); err == nil {
		t.Fatal("a failing PostgreSQL: no error")
	}
	pg.fail = false
	if err := j.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	want := map[string]pgstore.LiveTable{
		"t1": {ID: "t1", Epoch: 1, Seq: 7, Meta: []byte("m"), State: []byte{7}, Status: "playing", MatchID: table.MatchID("t1", 1)},
		"t2": {ID: "t2", Epoch: 3, Seq: 40, Meta: meta, State: []byte("s2"), Status: "playing", MatchID: table.MatchID("t2", 2)},
		"t3": {ID: "t3", Epoch: 1, Seq: 9, Meta: meta, State: []byte("s3-redis"), Status: "playing", MatchID: table.MatchID("t3", 2)},
	}
	for id, w := range want {
		g := pg.saved[id]
		if g.Epoch != w.Epoch || g.Seq != w.Seq || string(g.Meta) != string(w.Meta) || string(g.State) != string(w.State) ||
			g.Status != w.Status || g.MatchID != w.MatchID {
			t.Errorf("%s written as %+v, want %+v", id, g, w)
		}
	}
	for _, ids := range r.reads {
		if slices.Contains(ids, "t1") {
			t.Errorf("a table only committed was read from Redis: %v", r.reads)
		}
	}
	if n := len(j.kept) + len(j.dirty); n != 0 {
		t.Errorf("%d tables still pending after a pass that wrote", n)
	}
}

// TestJournalWritesTheUrgentTablesAtOnce: a match's start is written at
// once, in a statement of its own, while the other tables changed meanwhile
// wait for the interval's pass (a whole pass at every hand's end rewrote
// every busy table many times an interval); Stop writes them.
func TestJournalWritesTheUrgentTablesAtOnce(t *testing.T) {
	ctx := context.Background()
	pg := &journalPG{saved: map[string]pgstore.LiveTable{}}
	j := &Journal{Redis: &journalRedis{}, PG: pg, Interval: time.Hour}
	if err := j.Start(ctx); err != nil {
		t.Fatal(err)
	}
	change := func(id string, moves int) {
		t.Helper()
		tb := &table.Table{Meta: table.Meta{ID: id, Status: table.Playing, Match: 1}, Moves: make([]table.Move, moves)}
		d := &redisstore.Durable{ID: id, Epoch: 1, Seq: int64(moves + 1), Meta: []byte("m"), State: []byte("s")}
		if err := j.AfterChange(ctx, Change{Table: tb, Seq: d.Seq, Durable: d}); err != nil {
			t.Fatal(err)
		}
	}
	change("busy", 3)  // mid-hand
	change("fresh", 0) // its match just started
	deadline := time.Now().Add(5 * time.Second)
	for len(pg.written()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("a match's start was not written at once")
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // (a stray pass of the busy table would show by now)
	if w := pg.written(); len(w) != 1 || !slices.Equal(w[0], []string{"fresh"}) {
		t.Fatalf("statements %v, want one of the fresh table alone", w)
	}
	if err := j.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if w := pg.written(); len(w) != 2 || !slices.Equal(w[1], []string{"busy"}) {
		t.Fatalf("statements %v, want the busy table written at the stop", w)
	}
}
