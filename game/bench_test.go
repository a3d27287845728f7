package game

// Benchmarks of the engine's hot paths. `make bench` runs them with -benchmem.

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// benchMidHand is a match in the middle of a hand: trump chosen, a few
// tricks done, one card on the table.
func benchMidHand(b *testing.B) State {
	b.Helper()
	s, _, err := NewMatch(Rules{}, 2026)
	if err != nil {
		b.Fatal(err)
	}
	for s.Phase == PhaseTrump || s.DoneN < 3 || s.Trick.N != 1 {
		if s, _, err = Apply(s, s.Turn, s.Legal(s.Turn)[0]); err != nil {
			b.Fatal(err)
		}
	}
	return s
}

// BenchmarkApply measures one Apply: a card that does not end the trick
// (the typical move), the fourth card of a trick, and the card that ends a
// hand and deals the next one.
func BenchmarkApply(b *testing.B) {
	mid := benchMidHand(b)
	trickEnd := mid
	for trickEnd.Trick.N != 3 {
		trickEnd, _, _ = Apply(trickEnd, trickEnd.Turn, trickEnd.Legal(trickEnd.Turn)[0])
	}
	handEnd := trickEnd
	for {
		next, _, _ := Apply(handEnd, handEnd.Turn, handEnd.Legal(handEnd.Turn)[0])
		if next.Hand != handEnd.Hand {
			break
		}
		handEnd = next
	}
	for _, c := range []struct {
		name string
		s    State
	}{{"play", mid}, {"trick_end", trickEnd}, {"hand_end", handEnd}} {
		b.Run(c.name, func(b *testing.B) {
			seat, a := c.s.Turn, c.s.Legal(c.s.Turn)[0]
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := Apply(c.s, seat, a); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("rejected", func(b *testing.B) {
		seat := Next(mid.Turn)
		a := PlayCard(mid.Hands[seat].Cards()[0])
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := Apply(mid, seat, a); err != ErrNotYourTurn {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRandomMatch plays whole matches (to 7) with random legal moves:
// NewMatch, then Legal and Apply until the end.
func BenchmarkRandomMatch(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	actions := 0
	b.ReportAllocs()
	seed := uint64(0)
	for b.Loop() {
		seed++
		s, _, err := NewMatch(Rules{}, seed)
		if err != nil {
			b.Fatal(err)
		}
		for !s.Over() {
			legal := s.Legal(s.Turn)
			if s, _, err = Apply(s, s.Turn, legal[rng.IntN(len(legal))]); err != nil {
				b.Fatal(err)
			}
			actions++
		}
	}
	b.ReportMetric(float64(seed)/b.Elapsed().Seconds(), "matches/s")
	b.ReportMetric(float64(actions)/float64(seed), "actions/match")
}

func BenchmarkMarshalState(b *testing.B) {
	s := benchMidHand(b)
	b.ReportAllocs()
	var n int
	for b.Loop() {
		out, err := s.MarshalBinary()
		if err != nil {
			b.Fatal(err)
		}
		n = len(out)
	}
	b.ReportMetric(float64(n), "bytes")
}

func BenchmarkUnmarshalState(b *testing.B) {
	s := benchMidHand(b)
	enc, err := s.MarshalBinary()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		var u State
		if err := u.UnmarshalBinary(enc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkViewFor(b *testing.B) {
	s := benchMidHand(b)
	b.Run("seat", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = ViewFor(&s, s.Turn)
		}
	})
	b.Run("seat_json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			v := ViewFor(&s, s.Turn)
			if _, err := json.Marshal(&v); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkReplayRecord decodes and replays the JSON record of a whole match
// to 7, as `hokm replay` does.
func BenchmarkReplayRecord(b *testing.B) {
	rules := Rules{}
	s, actions := propRandomMatch(rules, 77)
	rec, err := json.Marshal(propRecordOf(rules, s.FirstHakem, 77, &s, actions))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	for b.Loop() {
		if res, status := ReplayJSON(bytes.NewReader(rec)); status != 0 || !res.Over {
			b.Fatalf("status %d %+v", status, res)
		}
	}
	b.ReportMetric(float64(len(actions)), "actions/record")
}
