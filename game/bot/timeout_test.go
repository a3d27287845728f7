package bot

import (
	"testing"

	"github.com/hokm-project/hokm/game"
)

func TestTimeoutTrump(t *testing.T) {
	tests := []struct {
		name, five, want string
	}{
		{"longest suit", "2C 3C 4C AS KS", "C"},
		{"longest suit beats high cards", "2D 3D AS KS AH", "S"}, // S and D have 2: S is higher
		{"tie: the higher top card", "AH 2H KD QD 3S", "H"},
		{"tie on the top card: the next card decides", "AH 3H AD 2D 9C", "H"},
		{"tie on every card: suit order", "AS KS AH KH 2C", "S"},
		{"five of a suit", "2D 3D 4D 5D 6D", "D"},
		{"a single long suit", "4C 6C 9C AS AH", "C"},
		{"all singletons but one pair", "AS AH AD 2C 3C", "C"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := game.View{Seat: 1, Hakem: 1, Turn: 1, Phase: "trump", Trump: game.NoSuit, Cards: cards(t, tt.five)}
			if got, want := TimeoutAction(v), game.ChooseTrump(suit(t, tt.want)); got != want {
				t.Fatalf("got %v, want %v", got, want)
			}
		})
	}
}

func TestTimeoutCard(t *testing.T) {
	tests := []struct {
		name  string
		trump string
		legal string
		want  string
	}{
		{"lowest rank", "S", "9H 4D KC", "4D"},
		{"a low trump is kept: lowest non-trump", "S", "2S 5H 9D", "5H"},
		{"only trumps: the lowest trump", "H", "QH 4H AH", "4H"},
		{"following suit: the lowest of it", "D", "KC 3C TC", "3C"},
		{"trump led, following: the lowest trump", "C", "TC 2C", "2C"},
		{"equal ranks: the first suit in S H D C", "C", "7D 7H 9S", "7H"},
		{"equal ranks, one of them trump", "H", "3H 3D 3C", "3D"},
		{"a single card", "S", "AS", "AS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			legal := cards(t, tt.legal)
			v := game.View{Seat: 3, Turn: 3, Phase: "play", Trump: suit(t, tt.trump), Cards: legal, Legal: legal}
			if got, want := TimeoutAction(v), game.PlayCard(card(t, tt.want)); got != want {
				t.Fatalf("got %v, want %v", got, want)
			}
		})
	}
}

// TestTimeoutForAState: TimeoutFor decides from the seat's view of a real
// state, and its move is legal at each step of a match.
func TestTimeoutForAState(t *testing.T) {
	s, _, _ := game.NewMatch(game.Rules{HideUntilTrump: true}, 21)
	if a := TimeoutFor(&s, game.Next(s.Hakem)); a != (game.Action{}) {
		t.Fatalf("a seat that is not the Hakem chose %v", a)
	}
	if got, want := TimeoutFor(&s, s.Hakem), game.ChooseTrump(longestSuit(s.FirstFive[s.Hakem])); got != want {
		t.Fatalf("got %v, want %v", got, want)
	}
	for !s.Over() {
		var err error
		if s, _, err = game.Apply(s, s.Turn, TimeoutFor(&s, s.Turn)); err != nil {
			t.Fatal(err)
		}
	}
}
