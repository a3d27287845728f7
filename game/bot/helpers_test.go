package bot

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/hokm-project/hokm/game"
)

// cards parses space-separated cards such as "AS TD 2C".
func cards(t testing.TB, s string) []game.Card {
	t.Helper()
	var out []game.Card
	for _, f := range strings.Fields(s) {
		c, ok := game.ParseCard(f)
		if !ok {
			t.Fatalf("bad card %q", f)
		}
		out = append(out, c)
	}
	return out
}

func card(t testing.TB, s string) game.Card { return cards(t, s)[0] }

func suit(t testing.TB, s string) game.Suit {
	t.Helper()
	su, ok := game.ParseSuit(s)
	if !ok {
		t.Fatalf("bad suit %q", s)
	}
	return su
}

// trick is a trick as a test writes it: the leader and the cards in play order.
type trick struct {
	leader game.Seat
	cards  string
}

// spot describes a moment of the play phase from one seat's side.
type spot struct {
	seat  game.Seat
	trump string
	hand  string
	done  []trick // completed tricks of this hand
	now   trick   // the trick in progress (cards "" when seat leads)
}

// view builds seat's View of the spot, with Legal computed by the rules:
// the cards of the suit led if it holds any, else the whole hand.
func (sp spot) view(t testing.TB) game.View {
	t.Helper()
	trump := suit(t, sp.trump)
	hand := cards(t, sp.hand)
	v := game.View{
		Seat: sp.seat, Phase: game.PhasePlay.String(), Trump: trump, Turn: sp.seat,
		Cards: game.SetOf(hand...).Cards(), Trick: sp.now.view(t, trump, false),
	}
	for _, d := range sp.done {
		v.Done = append(v.Done, d.view(t, trump, true))
	}
	if want := (sp.now.leader + len(v.Trick.Plays)) % 4; want != sp.seat {
		t.Fatalf("spot: seat %d is not next to play (seat %d is)", sp.seat, want)
	}
	v.Legal = v.Cards
	if len(v.Trick.Plays) > 0 {
		if follow := game.SetOf(hand...).OfSuit(v.Trick.Plays[0].Card.Suit()); follow != 0 {
			v.Legal = follow.Cards()
		}
	}
	return v
}

func (tr trick) view(t testing.TB, trump game.Suit, complete bool) game.TrickView {
	tv := game.TrickView{Leader: tr.leader, Plays: []game.Play{}}
	cs := cards(t, tr.cards)
	for i, c := range cs {
		tv.Plays = append(tv.Plays, game.Play{Seat: (tr.leader + i) % 4, Card: c})
	}
	if complete {
		if len(cs) != 4 {
			t.Fatalf("completed trick %q has %d cards", tr.cards, len(cs))
		}
		full := game.Trick{Leader: tr.leader, N: 4, Cards: [4]game.Card(cs)}
		w := game.TrickWinner(&full, trump)
		tv.Winner = &w
	}
	return tv
}

// allRules is every combination of the table options.
func allRules() []game.Rules {
	var out []game.Rules
	for _, target := range []int{3, 5, 7} {
		for flags := 0; flags < 8; flags++ {
			out = append(out, game.Rules{
				Target: target, PlayAllTricks: flags&1 != 0,
				HideUntilTrump: flags&2 != 0, RandomFirstHakem: flags&4 != 0,
			})
		}
	}
	return out
}

// newRandom is a Random bot seeded from a match seed and a seat.
func newRandom(seed uint64, seat int) *Random {
	return NewRandom(rand.New(rand.NewPCG(seed, uint64(seat))))
}

// lineups are the seatings the legality tests play, made afresh per match
// so that the Random bots are seeded from it.
var lineups = map[string]func(seed uint64) [4]Bot{
	"heuristic": func(uint64) [4]Bot { h := NewHeuristic(); return [4]Bot{h, h, h, h} },
	"random": func(seed uint64) [4]Bot {
		return [4]Bot{newRandom(seed, 0), newRandom(seed, 1), newRandom(seed, 2), newRandom(seed, 3)}
	},
	"timeout": func(uint64) [4]Bot { return [4]Bot{Timeout{}, Timeout{}, Timeout{}, Timeout{}} },
	"mixed": func(seed uint64) [4]Bot {
		return [4]Bot{NewHeuristic(), newRandom(seed, 1), Timeout{}, newRandom(seed, 3)}
	},
}
