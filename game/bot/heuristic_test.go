package bot

import (
	"testing"

	"github.com/hokm-project/hokm/game"
)

func TestHeuristicChoosesTrump(t *testing.T) {
	tests := []struct {
		name, five, want string
	}{
		{"longest suit", "2C 3C 4C AS KS", "C"},
		{"equal length: the stronger", "AS 2H 3H KD QD", "D"},
		{"equal length and strength: the higher cards", "AH 2H KD 3D 9S", "H"},
		{"five of a suit", "2D 3D 4D 5D 6D", "D"},
		{"all four suits", "AS KH 7D 9C 4C", "C"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := game.View{Seat: 2, Hakem: 2, Turn: 2, Phase: "trump", Trump: game.NoSuit, Cards: cards(t, tt.five)}
			if got := NewHeuristic().Choose(v); got != game.ChooseTrump(suit(t, tt.want)) {
				t.Fatalf("got %v, want trump %s", got, tt.want)
			}
		})
	}
}

// TestHeuristicPlays crafts a seat's view of a trick and checks the card
// the heuristic plays. Seat numbers: partners are 0/2 and 1/3.
func TestHeuristicPlays(t *testing.T) {
	tests := []struct {
		name string
		sp   spot
		want string
	}{
		// Following, partner winning.
		{"partner's ace holds: play low, don't overtake", spot{
			seat: 2, trump: "S", hand: "KH 3H 9S",
			now: trick{0, "AH 5H"}}, "3H"},
		{"last, partner winning: don't trump it, discard low", spot{
			seat: 0, trump: "S", hand: "2S 9S 3D 7C",
			now: trick{1, "4H QH 5H"}}, "3D"},
		{"last, partner winning: play the lowest of the suit", spot{
			seat: 3, trump: "S", hand: "AD KD 2D",
			now: trick{0, "3D QD 4D"}}, "2D"},
		{"partner's queen may be beaten: overtake with the ace", spot{
			seat: 2, trump: "S", hand: "AH 4H 9C",
			now: trick{0, "QH 3H"}}, "AH"},
		{"partner's queen may be beaten but we are void: never trump it", spot{
			seat: 2, trump: "S", hand: "3S 9C 4D",
			now: trick{0, "QH 3H"}}, "4D"},
		// Following, opponent winning.
		{"last: win as cheaply as possible", spot{
			seat: 0, trump: "S", hand: "AH KH QH 3H",
			now: trick{1, "9H 2H JH"}}, "QH"},
		{"last, void: trump with the lowest trump", spot{
			seat: 0, trump: "S", hand: "4S 9S KD",
			now: trick{1, "9H 2H AH"}}, "4S"},
		{"last, void: overtrump as cheaply as possible", spot{
			seat: 0, trump: "S", hand: "4S 9S KS KD",
			now: trick{1, "9H 2H 8S"}}, "9S"},
		{"second: the cheapest card that will hold", spot{
			seat: 0, trump: "S", hand: "AH QH 7C",
			now: trick{3, "5H"}}, "AH"},
		{"third: the cheapest winner when none will hold", spot{
			seat: 0, trump: "S", hand: "QH JH 7C",
			now: trick{2, "5H 9H"}}, "JH"},
		{"second: king is master once the ace is gone", spot{
			seat: 0, trump: "S", hand: "KH QH 7C",
			done: []trick{{0, "AH 2H 3H 4H"}},
			now:  trick{3, "5H"}}, "QH"},
		// Cannot win.
		{"cannot beat: the lowest of the suit", spot{
			seat: 2, trump: "S", hand: "7H 4H KC",
			now: trick{1, "AH"}}, "4H"},
		{"trump led, void: discard the lowest non-trump", spot{
			seat: 2, trump: "S", hand: "5D 3C 9C",
			now: trick{1, "AS"}}, "3C"},
		{"cannot win: keep a master, throw a loser", spot{
			seat: 2, trump: "S", hand: "AD 9C",
			now: trick{1, "AS"}}, "9C"},
		{"void, equal ranks: discard from the shorter suit", spot{
			seat: 2, trump: "S", hand: "3D 8D 3C",
			now: trick{1, "AS"}}, "3C"},
		// Leading.
		{"lead a master", spot{
			seat: 0, trump: "S", hand: "AH 5H 7C 3D 2S",
			now: trick{0, ""}}, "AH"},
		{"lead a king once the ace is played", spot{
			seat: 1, trump: "S", hand: "KH 5H 7C 3D",
			done: []trick{{0, "AH 2H 3H 4H"}},
			now:  trick{1, ""}}, "KH"},
		{"draw trumps when long in trumps", spot{
			seat: 0, trump: "S", hand: "AS KS QS 5S AH 4D",
			now: trick{0, ""}}, "AS"},
		{"no trump drawing when the opponents have none", spot{
			seat: 0, trump: "S", hand: "AS KS QS 5S 4H 6H 4D",
			done: []trick{{0, "2S 3D 3S 5D"}, {2, "4S 6D 7S 7D"}},
			now:  trick{0, ""}}, "4H"},
		{"no master: lead low from the longest side suit", spot{
			seat: 0, trump: "S", hand: "QH 8H 5H 2H JC 3D 9S",
			now: trick{0, ""}}, "2H"},
		{"don't cash a master an opponent can ruff", spot{
			seat: 0, trump: "S", hand: "AD 8H 5H 2H JC",
			done: []trick{{0, "3D 2C 4D 5D"}},
			now:  trick{0, ""}}, "2H"},
		{"lead for the partner to ruff", spot{
			seat: 0, trump: "S", hand: "8H 5H 2H QC 4C",
			done: []trick{{0, "3C 5C 2D 6C"}},
			now:  trick{0, ""}}, "4C"},
		{"only trumps left, no master: the lowest", spot{
			seat: 0, trump: "S", hand: "KS 4S 2S",
			now: trick{0, ""}}, "2S"},
		{"only trumps left, with the master: the master", spot{
			seat: 0, trump: "S", hand: "AS 4S 2S",
			now: trick{0, ""}}, "AS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NewHeuristic().Choose(tt.sp.view(t))
			if want := game.PlayCard(card(t, tt.want)); got != want {
				t.Fatalf("got %v, want %v", got, want)
			}
		})
	}
}

// TestHeuristicLastToPlay checks, at every card the heuristic plays last to
// a trick in 200 real matches (all seats heuristic), the rules it follows
// when the outcome is in its hands: never take a trick from the partner
// unless forced, win as cheaply as possible, and lose with the lowest card,
// a non-trump when it has one.
func TestHeuristicLastToPlay(t *testing.T) {
	h := NewHeuristic()
	checked := 0
	for seed := uint64(1); seed <= 200; seed++ {
		s, _, _ := game.NewMatch(game.Rules{}, seed)
		for !s.Over() {
			a := h.Choose(game.ViewFor(&s, s.Turn))
			if s.Phase == game.PhasePlay && s.Trick.N == 3 {
				checkLastCard(t, &s, a.Card)
				checked++
			}
			var err error
			if s, _, err = game.Apply(s, s.Turn, a); err != nil {
				t.Fatal(err)
			}
		}
	}
	if checked < 1000 {
		t.Fatalf("only %d last cards checked", checked)
	}
}

// checkLastCard checks c, the card the seat to play last chose in s.
func checkLastCard(t *testing.T, s *game.State, c game.Card) {
	t.Helper()
	seat, legal := s.Turn, s.LegalCards(s.Turn)
	winner, w := currentWinner(s)
	var winners game.CardSet
	for _, l := range legal.Cards() {
		if beats(l, w, s.Trump) {
			winners = winners.Add(l)
		}
	}
	switch {
	case game.Team(winner) == game.Team(seat):
		if beats(c, w, s.Trump) && winners != legal {
			t.Fatalf("hand %d: %v takes the partner's trick won by %v", s.Hand, c, w)
		}
	case winners != 0:
		if c != lowest(winners) {
			t.Fatalf("hand %d: played %v, the cheapest winner is %v", s.Hand, c, lowest(winners))
		}
	default:
		side := legal &^ suitSet(s.Trump)
		if side != 0 && c.Suit() == s.Trump {
			t.Fatalf("hand %d: threw trump %v while holding %v", s.Hand, c, side.Cards())
		}
		if legal.OfSuit(c.Suit()) == legal && c != lowest(legal) {
			t.Fatalf("hand %d: followed with %v, not the lowest %v", s.Hand, c, lowest(legal))
		}
	}
}

// currentWinner is the seat and card winning s's trick in progress.
func currentWinner(s *game.State) (game.Seat, game.Card) {
	best := 0
	for i := 1; i < s.Trick.N; i++ {
		if beats(s.Trick.Cards[i], s.Trick.Cards[best], s.Trump) {
			best = i
		}
	}
	return (s.Trick.Leader + best) % 4, s.Trick.Cards[best]
}

// TestHeuristicFromASeed plays the first trick of the match with seed 13,
// every seat heuristic. Hakem 3 sees QH TD JD 8C AC: diamonds and clubs tie
// on length, clubs are stronger, so clubs are trump. Holding four trumps with
// the ace (3C 5C 8C AC), he draws trumps with AC. Nobody can beat it: seat 0
// (4C 6C KC) and seat 2 (JC QC) throw their lowest club, and so does seat 1,
// whose partner's ace is winning (2C 7C 9C TC).
func TestHeuristicFromASeed(t *testing.T) {
	h := NewHeuristic()
	s, _, _ := game.NewMatch(game.Rules{}, 13)
	if s.Hakem != 3 || s.FirstFive[3] != game.SetOf(cards(t, "QH TD JD 8C AC")...) {
		t.Fatalf("the deal changed: Hakem %d, first five %v", s.Hakem, s.FirstFive[s.Hakem].Cards())
	}
	want := []game.Action{
		game.ChooseTrump(game.Clubs),
		game.PlayCard(card(t, "AC")), game.PlayCard(card(t, "4C")),
		game.PlayCard(card(t, "2C")), game.PlayCard(card(t, "JC")),
	}
	for i, w := range want {
		seat := s.Turn
		if got := h.Choose(game.ViewFor(&s, seat)); got != w {
			t.Fatalf("action %d, seat %d holding %v: got %v, want %v", i, seat, s.Hands[seat].Cards(), got, w)
		}
		s, _, _ = game.Apply(s, seat, w)
	}
	if s.Tricks != [2]int{0, 1} {
		t.Fatalf("tricks %v, want the Hakem's team to win the first", s.Tricks)
	}
}
