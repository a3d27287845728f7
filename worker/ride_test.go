package worker

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/bot"
	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/store/redisstore"
)

// rideRecorder records, by action id, whether each commit went to Redis
// with the partition's next read (CommitAndRead) or without (CommitBatch).
type rideRecorder struct {
	*redisstore.Store
	mu   sync.Mutex
	rode map[string]bool
}

func (s *rideRecorder) note(cs []redisstore.Commit, rode bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range cs {
		s.rode[cs[i].Result.ID] = rode
	}
}

func (s *rideRecorder) CommitBatch(ctx context.Context, cs []redisstore.Commit) []redisstore.CommitResult {
	s.note(cs, false)
	return s.Store.CommitBatch(ctx, cs)
}

func (s *rideRecorder) CommitAndRead(ctx context.Context, cs []redisstore.Commit, group, consumer string, p int, acks []string, count int64) ([]redisstore.CommitResult, []redisstore.StreamEntry, error) {
	s.note(cs, true)
	return s.Store.CommitAndRead(ctx, cs, group, consumer, p, acks, count)
}

// TestQuietCommitsCarryTheNextRead: four people play a hand through the
// action stream, one action at a time as people do. Every card and trump
// choice goes to Redis with the partition's next read (one round trip for
// both) but the first (the worker has no copy of the table yet: read, then
// committed alone) and the hand's last card (its end is written to the
// journal at once, so its follow-up does not wait); the next hand's trump
// choice rides again. Every action is answered and applied once, the hooks
// see every change once and in order, and nothing is left pending: the
// acknowledgements that rode with the reads arrived.
func TestQuietCommitsCarryTheNextRead(t *testing.T) {
	// To 7 points: no first hand ends the match (a Hakem-Kot is worth 3,
	// which ended a match to 3 and left no next hand to choose a trump in).
	e := newActionEnvRules(t, game.Rules{Target: 7})
	e.seatFour()
	rec := &rideRecorder{Store: e.store, rode: map[string]bool{}}
	var mu sync.Mutex
	var hooked []int64
	proc := NewProcessor(rec, Options{Group: "g", Consumer: "c1", Block: 50 * time.Millisecond, ReclaimIdle: time.Hour,
		AfterChange: []Hook{func(_ context.Context, c Change) error {
			mu.Lock()
			hooked = append(hooked, c.Seq)
			mu.Unlock()
			return nil
		}}})
	c := NewConsumer(proc, e.store, e.store.Options().Partitions)
	if err := c.Start(e.ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop(context.Background()) })

	choose := bot.NewHeuristic().Choose
	var ids []string
	var seqs []int64
	lastOfHand := ""
	for {
		l := e.load()
		if len(l.Table.Game.Results) == 1 && l.Table.Game.Phase == game.PhasePlay {
			break // the next hand's trump is chosen
		}
		seat := l.Table.OnTurn()
		a := botAction(&l.Table, seat, l.Seq, choose)
		a.User, a.ID = userOf(seat), fmt.Sprintf("m%d", l.Seq)
		if err := e.store.Enqueue(e.ctx, a); err != nil {
			t.Fatal(err)
		}
		if r := e.waitResult(a.User, a.ID); r.Code != "" {
			t.Fatalf("%s %s by %s: %s", a.Op, a.Arg, a.User, r.Code)
		}
		after := e.load()
		if after.Seq <= l.Seq {
			t.Fatalf("%s %s at seq %d: table at seq %d after it", a.Op, a.Arg, l.Seq, after.Seq)
		}
		if len(after.Table.Game.Results) == 1 && lastOfHand == "" {
			lastOfHand = a.ID
		}
		ids, seqs = append(ids, a.ID), append(seqs, after.Seq)
	}
	rec.mu.Lock()
	for i, id := range ids {
		want := i > 0 && id != lastOfHand
		if rec.rode[id] != want {
			t.Errorf("action %d of %d (%s): carried the next read %v, want %v", i+1, len(ids), id, rec.rode[id], want)
		}
	}
	rec.mu.Unlock()
	waitFor(t, func() bool {
		var n int64
		for p := range e.store.Options().Partitions {
			n += e.rdb.XPending(e.ctx, e.store.Keys().Actions(p), "g").Val().Count
		}
		return n == 0
	})
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(hooked) != fmt.Sprint(seqs) {
		t.Errorf("hooks ran for seqs %v, want %v", hooked, seqs)
	}
}

// TestMayWait: the rule for which commits may carry the next read — a card
// or trump that leaves people playing — against what would be kept
// waiting otherwise: a bot on turn (an away player's seat), a match that
// ended, an action that is neither a card nor a trump.
func TestMayWait(t *testing.T) {
	e := newActionEnv(t)
	e.seatFour()
	l := e.load()
	seat := l.Table.OnTurn()
	a := botAction(&l.Table, seat, l.Seq, bot.NewHeuristic().Choose)
	a.User = userOf(seat)
	next, _, err := table.Apply(l.Table, a.User, table.Act(bot.NewHeuristic().Choose(game.ViewFor(&l.Table.Game, seat))), table.Env{})
	if err != nil {
		t.Fatal(err)
	}
	prep := func(change func(t *table.Table)) *prepared {
		pr := &prepared{loaded: &redisstore.Loaded{Table: l.Table}, next: next}
		if change != nil {
			change(&pr.next)
		}
		return pr
	}
	if !mayWait(&a, prep(nil)) {
		t.Errorf("%s with a person on turn after it: may not wait", a.Op)
	}
	away := prep(func(t *table.Table) {
		p := *t.Seats[t.Game.Turn] // (a copy: the seat is shared with next)
		p.Away = true
		t.Seats[t.Game.Turn] = &p
	})
	if mayWait(&a, away) {
		t.Errorf("%s with an away player's bot on turn after it: may wait", a.Op)
	}
	if mayWait(&a, prep(func(t *table.Table) { t.Status = table.Finished })) {
		t.Errorf("%s that ended the match: may wait", a.Op)
	}
	leave := a
	leave.Op = table.OpLeave
	if mayWait(&leave, prep(nil)) {
		t.Errorf("a %s: may wait", leave.Op)
	}
}
