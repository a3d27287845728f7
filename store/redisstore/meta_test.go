package redisstore

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/table"
)

// TestEncodeMetaIsMarshal: through whole matches at a table where people
// play (so the clock changes with most cards) and the table changes in
// other ways between them (sits, ready, a new match), each commit's meta
// made from the last commit's memo is json.Marshal's, byte for byte. (Most
// steps change the clock alone, so most take the memo's path.)
func TestEncodeMetaIsMarshal(t *testing.T) {
	tb, err := table.New("t1", game.Rules{Target: 3}, "u0", 1_700_000_000_000)
	if err != nil {
		t.Fatal(err)
	}
	var memo *metaMemo
	steps, clockOnly := 0, 0
	apply := func(user string, c table.Command, now int64) {
		t.Helper()
		next, _, err := table.Apply(tb, user, c, table.Env{Now: now, Seed: uint64(now)})
		if err != nil {
			t.Fatalf("Apply(%s, %+v): %v", user, c, err)
		}
		got, err := encodeMeta(&next.Meta, memo)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(next.Meta)
		if !bytes.Equal(got.json, want) {
			t.Fatalf("step %d: meta %s, want %s", steps, got.json, want)
		}
		if memo != nil && *got.key == *memo.key {
			clockOnly++
		}
		steps++
		tb, memo = next, got
	}
	apply("u0", table.Command{Op: table.OpSit, Seat: 0, Name: "Ali"}, 1)
	apply("u2", table.Command{Op: table.OpSit, Seat: 2, Name: "Zoë \"z\" <b>"}, 2)
	apply("u0", table.Command{Op: table.OpAddBots}, 3)
	apply("u2", table.Command{Op: table.OpReady, Ready: true}, 4)
	apply("u0", table.Command{Op: table.OpStart}, 5)
	r := rand.New(rand.NewPCG(1, 2))
	now := int64(10)
	for matches := 0; matches < 2; {
		g := &tb.Game
		if tb.Status == table.Finished {
			matches++
			apply("u0", table.Command{Op: table.OpRematch}, now)
			apply("u2", table.Command{Op: table.OpRematch}, now+1)
			now += 2
			continue
		}
		seat := g.Turn
		if g.Phase == game.PhaseTrump {
			seat = g.Hakem
		}
		legal := g.Legal(seat)
		apply(tb.Seats[seat].ID, table.Act(legal[r.IntN(len(legal))]), now)
		now += 1000
	}
	if clockOnly < steps/2 {
		t.Fatalf("the clock alone changed in %d of %d steps: the memo's path is hardly tried", clockOnly, steps)
	}
	t.Logf("%d steps, %d of them the clock alone", steps, clockOnly)
}

// TestEncodeMetaReusesOnlyTheUnchanged: a memo's JSON is reused when only
// the clock changed (shown by a memo whose JSON was tampered with), never
// when anything else did, a player's flag included; a memo whose JSON does
// not end with its clock (a field added after Timer) is not reused.
func TestEncodeMetaReusesOnlyTheUnchanged(t *testing.T) {
	tb, err := table.New("t1", game.Rules{Target: 3}, "u0", 1_700_000_000_000)
	if err != nil {
		t.Fatal(err)
	}
	tb.Seats[1] = &table.Player{ID: "u1", Name: "One", Since: 3}
	tb.Deadline, tb.Timer = 99, 4
	prev, err := encodeMeta(&tb.Meta, nil)
	if err != nil {
		t.Fatal(err)
	}
	tampered := *prev
	tampered.json = bytes.Replace(prev.json, []byte(`"One"`), []byte(`"Uno"`), 1)
	clock := tb.Meta
	clock.Deadline, clock.Timer = 0, 5
	if m, _ := encodeMeta(&clock, &tampered); !bytes.Contains(m.json, []byte(`"Uno"`)) || !bytes.HasSuffix(m.json, []byte(`,"timer":5}`)) {
		t.Fatalf("a clock change did not reuse the memo: %s", m.json)
	}
	ready := tb.Meta
	p := *ready.Seats[1]
	p.Ready = true
	ready.Seats[1] = &p
	opts := tb.Meta
	opts.Options.Public = true
	moved := tb.Meta
	moved.Seats[1], moved.Seats[3] = nil, moved.Seats[1]
	for name, m := range map[string]table.Meta{"ready": ready, "options": opts, "moved": moved} {
		got, _ := encodeMeta(&m, &tampered)
		want, _ := json.Marshal(m)
		if !bytes.Equal(got.json, want) {
			t.Errorf("%s: %s, want %s", name, got.json, want)
		}
	}
	extended := *prev
	extended.json = append(bytes.TrimSuffix(prev.json, []byte("}")), `,"later":1}`...)
	if m, _ := encodeMeta(&clock, &extended); bytes.Contains(m.json, []byte("later")) {
		t.Fatalf("a memo not ending with its clock was reused: %s", m.json)
	}
}

// BenchmarkEncodeMeta: a card's meta (the clock alone changed) from the
// last commit's memo, against json.Marshal of it.
func BenchmarkEncodeMeta(b *testing.B) {
	tb, err := table.New("t1", game.Rules{Target: 7}, "u0", 1_700_000_000_000)
	if err != nil {
		b.Fatal(err)
	}
	for i := range tb.Seats {
		tb.Seats[i] = &table.Player{ID: "user-" + string(rune('a'+i)), Name: "Player " + string(rune('A'+i)), Since: 1_700_000_000_001}
	}
	tb.Status, tb.Match, tb.Started, tb.Deadline, tb.Timer = table.Playing, 2, 1_700_000_100_000, 1_700_000_130_000, 41
	prev, err := encodeMeta(&tb.Meta, nil)
	if err != nil {
		b.Fatal(err)
	}
	next := tb.Meta
	next.Deadline, next.Timer = next.Deadline+1000, next.Timer+1
	b.Run("memo", func(b *testing.B) {
		for b.Loop() {
			if _, err := encodeMeta(&next, prev); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("marshal", func(b *testing.B) {
		for b.Loop() {
			if _, err := json.Marshal(&next); err != nil {
				b.Fatal(err)
			}
		}
	})
}
