package bot

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/hokm-project/hokm/game"
)

// playChecked plays a match like PlayMatch, checking at every step that the
// bot to act returns a legal action, that every other bot returns the zero
// Action, that no view shows a card the seat may not see, and that the
// state stays valid.
func playChecked(t *testing.T, rules game.Rules, seed uint64, bots [4]Bot) game.State {
	t.Helper()
	s, _, err := game.NewMatch(rules, seed)
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; !s.Over(); n++ {
		if n > maxActions {
			t.Fatalf("seed %d: match not over after %d actions", seed, n)
		}
		seat := s.Turn
		var a game.Action
		for other := range 4 {
			v := game.ViewFor(&s, other)
			checkView(t, &s, &v, other)
			switch got := bots[other].Choose(v); {
			case other == seat:
				a = got
			case got != (game.Action{}):
				t.Fatalf("seed %d: seat %d chose %v out of turn", seed, other, got)
			}
		}
		if !slices.Contains(s.Legal(seat), a) {
			t.Fatalf("seed %d hand %d: seat %d chose %v, legal %v", seed, s.Hand, seat, a, s.Legal(seat))
		}
		if s, _, err = game.Apply(s, seat, a); err != nil {
			t.Fatalf("seed %d: %v rejected: %v", seed, a, err)
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
	}
	return s
}

// checkView fails if v, seat's view of s, holds a card outside what it may see.
func checkView(t *testing.T, s *game.State, v *game.View, seat game.Seat) {
	t.Helper()
	if got := game.SetOf(v.Cards...); got&^s.Visible(seat) != 0 || got.Len() != len(v.Cards) {
		t.Fatalf("seat %d view shows %v, may see %v", seat, v.Cards, s.Visible(seat).Cards())
	}
}

// TestBotsPlayOnlyLegalActions plays 300 matches per lineup, spread over every
// combination of the rules' options.
func TestBotsPlayOnlyLegalActions(t *testing.T) {
	rules := allRules()
	for name, lineup := range lineups {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for i := range 300 {
				seed := uint64(7000 + i)
				r := rules[i%len(rules)]
				s := playChecked(t, r, seed, lineup(seed))
				if s.Score[s.Winner] < r.TargetPoints() {
					t.Fatalf("seed %d: winner has %d points, target %d", seed, s.Score[s.Winner], r.TargetPoints())
				}
			}
		})
	}
}

// TestPlayMatchAgreesWithCheckedPlay: PlayMatch reaches the same final state
// as the step-by-step checked loop.
func TestPlayMatchAgreesWithCheckedPlay(t *testing.T) {
	for i, r := range allRules() {
		seed := uint64(500 + i)
		want := playChecked(t, r, seed, lineups["mixed"](seed))
		got, err := PlayMatch(r, seed, lineups["mixed"](seed))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("rules %+v seed %d: PlayMatch differs from the checked play", r, seed)
		}
	}
}

// TestBotsAreDeterministic: the same seeds give the same match, move for
// move; another seed gives another match.
func TestBotsAreDeterministic(t *testing.T) {
	for name, lineup := range lineups {
		t.Run(name, func(t *testing.T) {
			for seed := uint64(1); seed <= 20; seed++ {
				a, errA := PlayMatch(game.Rules{}, seed, lineup(seed))
				b, errB := PlayMatch(game.Rules{}, seed, lineup(seed))
				if errA != nil || errB != nil {
					t.Fatal(errA, errB)
				}
				if !reflect.DeepEqual(a, b) {
					t.Fatalf("seed %d: two runs differ: %+v vs %+v", seed, a.Results, b.Results)
				}
			}
		})
	}
}

// TestRandomDependsOnItsSeed: Random bots seeded differently play
// differently on the same deals.
func TestRandomDependsOnItsSeed(t *testing.T) {
	a, _ := PlayMatch(game.Rules{}, 1, lineups["random"](1))
	b, _ := PlayMatch(game.Rules{}, 1, lineups["random"](2))
	if reflect.DeepEqual(a.Results, b.Results) {
		t.Fatal("Random bots with other seeds played the same match")
	}
}

// illegal is a bot that always plays the first card of the deck.
type illegal struct{}

func (illegal) Choose(game.View) game.Action { return game.PlayCard(0) }

func TestPlayMatchReportsIllegalAction(t *testing.T) {
	h := NewHeuristic()
	_, err := PlayMatch(game.Rules{}, 3, [4]Bot{illegal{}, illegal{}, illegal{}, illegal{}})
	if !errors.Is(err, game.ErrWrongPhase) {
		t.Fatalf("a card in the trump phase: got %v, want wrong_phase", err)
	}
	// The Hakem chooses trump, then the illegal bot must play a card: 2S is
	// in at most one hand, so some seat fails with card_not_in_hand.
	var e *game.Error
	bots := [4]Bot{illegal{}, illegal{}, illegal{}, illegal{}}
	first := game.FirstHakem(game.Rules{}, 3)
	bots[first] = h
	_, err = PlayMatch(game.Rules{}, 3, bots)
	if !errors.As(err, &e) || (e.Code != game.CodeCardNotInHand && e.Code != game.CodeMustFollowSuit) {
		t.Fatalf("got %v, want card_not_in_hand or must_follow_suit", err)
	}
}

func TestPlayMatchRejectsBadRules(t *testing.T) {
	h := NewHeuristic()
	if _, err := PlayMatch(game.Rules{Target: 4}, 1, [4]Bot{h, h, h, h}); err == nil {
		t.Fatal("target 4 accepted")
	}
}

func TestStepAfterTheEnd(t *testing.T) {
	h := NewHeuristic()
	s, err := PlayMatch(game.Rules{Target: 3}, 9, [4]Bot{h, h, h, h})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Step(s, h); !errors.Is(err, game.ErrGameOver) {
		t.Fatalf("got %v, want game_over", err)
	}
}

// TestNothingToDo: every bot returns the zero Action for a view in which
// its seat cannot act: a spectator, another seat's turn, the match over.
func TestNothingToDo(t *testing.T) {
	h := NewHeuristic()
	s, _, _ := game.NewMatch(game.Rules{HideUntilTrump: true}, 4)
	over, _ := PlayMatch(game.Rules{Target: 3}, 4, [4]Bot{h, h, h, h})
	views := map[string]game.View{
		"spectator":   game.ViewFor(&s, game.Spectator),
		"not hakem":   game.ViewFor(&s, game.Next(s.Hakem)),
		"match over":  game.ViewFor(&over, 0),
		"zero view":   {},
		"other turn":  {Seat: 1, Turn: 2, Phase: "play", Legal: cards(t, "2S")},
		"empty legal": {Seat: 1, Turn: 1, Phase: "play"},
	}
	for name, v := range views {
		for bname, b := range map[string]Bot{"heuristic": h, "random": newRandom(1, 1), "timeout": Timeout{}} {
			if a := b.Choose(v); a != (game.Action{}) {
				t.Errorf("%s, %s: got %v, want the zero Action", name, bname, a)
			}
		}
	}
}

func ExamplePlayMatch() {
	h := NewHeuristic()
	s, err := PlayMatch(game.Rules{Target: 3}, 42, [4]Bot{h, Timeout{}, h, Timeout{}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("winner: team", s.Winner, "score", s.Score)
	// Output: winner: team 0 score [3 0]
}
