package game

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// mapJSON is how events were encoded before AppendJSON: a map of the
// type's fields through encoding/json. AppendJSON must write the same bytes.
func mapJSON(e Event) ([]byte, error) {
	m := map[string]any{"type": e.Type, "hand": e.Hand}
	switch e.Type {
	case EvMatchStarted:
		m["first_hakem"] = e.Seat
		if e.Cards != nil {
			m["draw"] = e.Cards
		}
	case EvHandStarted:
		m["hakem"], m["dealer"] = e.Seat, e.Dealer
	case EvCardsDealt:
		m["seat"], m["count"] = e.Seat, max(e.Count, len(e.Cards))
		if e.Cards != nil {
			m["cards"] = e.Cards
		}
	case EvTrumpChosen:
		m["seat"], m["suit"] = e.Seat, e.Suit
	case EvCardPlayed:
		m["seat"], m["card"] = e.Seat, e.Card
	case EvTrickWon:
		m["winner"], m["leader"], m["cards"], m["tricks"] = e.Seat, e.Leader, e.Cards, e.Tricks
	case EvHandEnded:
		m["result"], m["score"] = e.Result, e.Score
	case EvMatchEnded:
		m["winner"], m["score"] = e.Winner, e.Score
	}
	return json.Marshal(m)
}

func TestAppendJSONAsTheMapEncoding(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	types := []EventType{EvMatchStarted, EvHandStarted, EvCardsDealt, EvTrumpChosen, EvCardPlayed, EvTrickWon,
		EvHandEnded, EvMatchEnded, "turn", "a<b&\"c\"", "ümlaut"}
	someCards := func() []Card {
		switch r.IntN(4) {
		case 0:
			return nil
		case 1:
			return []Card{}
		}
		cs := make([]Card, 1+r.IntN(13))
		for i := range cs {
			cs[i] = Card(r.IntN(52))
		}
		return cs
	}
	for i := 0; i < 20000; i++ {
		e := Event{
			Type: types[r.IntN(len(types))], To: r.IntN(5) - 1, Hand: r.IntN(30), Seat: r.IntN(4),
			Leader: r.IntN(4), Dealer: r.IntN(4), Card: Card(r.IntN(52)), Suit: Suit(r.IntN(5)) - 1,
			Cards: someCards(), Count: r.IntN(14), Tricks: [2]int{r.IntN(8), r.IntN(8)},
			Score: [2]int{r.IntN(12), r.IntN(12)}, Winner: r.IntN(2),
		}
		if r.IntN(2) == 0 {
			e.Result = &HandResult{Hakem: r.IntN(4), Trump: Suit(r.IntN(4)), Tricks: [2]int{7, r.IntN(7)},
				Winner: r.IntN(2), Points: 1 + r.IntN(3), Kind: "kot"}
		}
		if r.IntN(50) == 0 { // an invalid card fails both ways
			e.Card = Card(60)
			if len(e.Cards) > 0 {
				e.Cards[0] = Card(99)
			}
		}
		want, werr := mapJSON(e)
		got, gerr := e.AppendJSON([]byte("prefix"))
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("%+v: error %v, want %v", e, gerr, werr)
		}
		if werr != nil {
			continue
		}
		if !bytes.Equal(got[len("prefix"):], want) || string(got[:6]) != "prefix" {
			t.Fatalf("%+v:\n got %s\nwant %s", e, got, want)
		}
		if m, err := json.Marshal(e); err != nil || !bytes.Equal(m, want) {
			t.Fatalf("json.Marshal %s, %v; want %s", m, err, want)
		}
	}
}

func BenchmarkAppendJSONCardPlayed(b *testing.B) {
	e := Event{Type: EvCardPlayed, To: Everyone, Hand: 3, Seat: 2, Card: Card(17)}
	buf := make([]byte, 0, 128)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = e.AppendJSON(buf[:0])
	}
}

func BenchmarkMapJSONCardPlayed(b *testing.B) {
	e := Event{Type: EvCardPlayed, To: Everyone, Hand: 3, Seat: 2, Card: Card(17)}
	b.ReportAllocs()
	for b.Loop() {
		_, _ = mapJSON(e)
	}
}
