package game_test

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/hokm-project/hokm/game"
)

// Helpers shared by the table-driven and golden tests. These tests live in
// the external package game_test and use only the exported API; the shared
// helpers' names start with "tc".

// tcCards parses space-separated cards ("AS KH 2C").
func tcCards(t testing.TB, s string) []game.Card {
	t.Helper()
	var out []game.Card
	for _, f := range strings.Fields(s) {
		c, ok := game.ParseCard(f)
		if !ok {
			t.Fatalf("bad card %q in test data", f)
		}
		out = append(out, c)
	}
	return out
}

// tcCard parses one card.
func tcCard(t testing.TB, s string) game.Card { t.Helper(); return tcCards(t, s)[0] }

// tcSet is the set of space-separated cards.
func tcSet(t testing.TB, s string) game.CardSet { t.Helper(); return game.SetOf(tcCards(t, s)...) }

// tcSuit is every card of suit s ("S", "H", "D" or "C"), high to low, as text.
func tcSuit(s string) string {
	var b []string
	for _, r := range "AKQJT98765432" {
		b = append(b, string(r)+s)
	}
	return strings.Join(b, " ")
}

// tcDeck is the deck that, dealt 5–4–4 from hakem as docs/rules.md lays it
// out, gives seat i the 13 cards of hands[i] (its first five first).
func tcDeck(t testing.TB, hakem game.Seat, hands [4]string) game.Deck {
	t.Helper()
	var d game.Deck
	var all game.CardSet
	for k := 0; k < 4; k++ {
		h := tcCards(t, hands[(hakem+k)%4])
		if len(h) != 13 {
			t.Fatalf("seat %d: %d cards in test data", (hakem+k)%4, len(h))
		}
		copy(d[5*k:], h[:5])
		copy(d[20+4*k:], h[5:9])
		copy(d[36+4*k:], h[9:13])
		all |= game.SetOf(h...)
	}
	if all != game.FullDeck || !d.Valid() {
		t.Fatalf("test hands are not the 52 cards")
	}
	return d
}

// tcDeal is one hand's deal: the Hakem it is dealt from and what each seat gets.
type tcDeal struct {
	Hakem game.Seat
	Hands [4]string
}

// tcStart starts a match dealt from deals in turn; the first deal's Hakem is
// the first Hakem.
func tcStart(t testing.TB, r game.Rules, deals ...tcDeal) game.State {
	t.Helper()
	var decks []game.Deck
	for _, d := range deals {
		decks = append(decks, tcDeck(t, d.Hakem, d.Hands))
	}
	s, _, err := game.NewMatchFromDecks(r, deals[0].Hakem, decks)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tcDo applies an action that must be legal and checks the new state.
func tcDo(t testing.TB, s game.State, seat game.Seat, a game.Action) (game.State, []game.Event) {
	t.Helper()
	n, evs, err := game.Apply(s, seat, a)
	if err != nil {
		t.Fatalf("%v by seat %d: %v", a, seat, err)
	}
	if err := n.Validate(); err != nil {
		t.Fatalf("after %v by seat %d: %v", a, seat, err)
	}
	return n, evs
}

// tcPlays plays the cards, each by the seat whose turn it is.
func tcPlays(t testing.TB, s game.State, cards string) game.State {
	t.Helper()
	for _, c := range tcCards(t, cards) {
		s, _ = tcDo(t, s, s.Turn, game.PlayCard(c))
	}
	return s
}

// tcStep is one applied action of a random match.
type tcStep struct {
	Prev, Next game.State
	Seat       game.Seat
	Action     game.Action
	Events     []game.Event
}

// tcRandomPlay plays random legal actions from s (at most max of them, or to
// the end of the match) and calls step after each.
func tcRandomPlay(t testing.TB, s game.State, seed uint64, max int, step func(tcStep)) game.State {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 0x7465737473))
	for i := 0; i < max && !s.Over(); i++ {
		seat := s.Turn
		legal := s.Legal(seat)
		if len(legal) == 0 {
			t.Fatalf("seat %d to act has no legal action", seat)
		}
		a := legal[rng.IntN(len(legal))]
		n, evs := tcDo(t, s, seat, a)
		if step != nil {
			step(tcStep{Prev: s, Next: n, Seat: seat, Action: a, Events: evs})
		}
		s = n
	}
	return s
}

// tcAllRules lists every combination of the options with each target.
func tcAllRules() []game.Rules {
	var out []game.Rules
	for _, target := range []int{0, 3, 5, 7} {
		for bits := 0; bits < 8; bits++ {
			out = append(out, game.Rules{Target: target, PlayAllTricks: bits&1 != 0,
				HideUntilTrump: bits&2 != 0, RandomFirstHakem: bits&4 != 0})
		}
	}
	return out
}

// tcClone is a deep copy of s (its slices are copied too).
func tcClone(s game.State) game.State {
	s.Results = slices.Clone(s.Results)
	s.Decks = slices.Clone(s.Decks)
	return s
}

// tcSame fails unless the two states are deeply equal.
func tcSame(t testing.TB, what string, got, want game.State) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: state changed\n got %+v\nwant %+v", what, got, want)
	}
}
