package game_test

import (
	"math/rand/v2"
	"testing"

	"github.com/hokm-project/hokm/game"
)

// playUntil plays random legal actions from seed until stop says so.
func playUntil(t *testing.T, seed uint64, stop func(*game.State) bool) game.State {
	t.Helper()
	s, _, err := game.NewMatch(game.Rules{}, seed)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(seed, 7))
	for !stop(&s) {
		acts := s.Legal(s.Turn)
		if s, _, err = game.Apply(s, s.Turn, acts[r.IntN(len(acts))]); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func TestValidateRejectsBrokenHakemSequenceAndLeftovers(t *testing.T) {
	mid := playUntil(t, 11, func(s *game.State) bool { return len(s.Results) >= 2 && s.Phase == game.PhasePlay })
	if err := mid.Validate(); err != nil {
		t.Fatalf("reached state invalid: %v", err)
	}
	over := playUntil(t, 12, func(s *game.State) bool { return s.Over() })
	cases := map[string]func() game.State{
		"first hakem differs from hand 0": func() game.State {
			s := mid
			s.FirstHakem = game.Next(s.FirstHakem)
			return s
		},
		"result hakem breaks the rotation": func() game.State {
			s := mid
			s.Results = append([]game.HandResult(nil), s.Results...)
			s.Results[1].Hakem = game.Partner(s.Results[1].Hakem)
			return s
		},
		"current hakem breaks the rotation": func() game.State {
			s := mid
			s.Hakem = game.Partner(s.Hakem)
			return s
		},
		"cards held after the end": func() game.State {
			s := over
			s.Hands[0] = game.SetOf(game.NewCard(game.Spades, 14))
			return s
		},
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			s := mk()
			if err := s.Validate(); err == nil {
				t.Fatal("Validate accepted the corrupted state")
			}
			b, err := s.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			var back game.State
			if err := back.UnmarshalBinary(b); err == nil {
				t.Fatal("UnmarshalBinary accepted the corrupted state")
			}
		})
	}
}
