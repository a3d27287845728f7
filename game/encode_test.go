package game_test

import (
	"fmt"
	"testing"

	"github.com/hokm-project/hokm/game"
)

// tcRoundTrip encodes s, checks the version byte, decodes it into a fresh
// state and requires exact equality.
func tcRoundTrip(t testing.TB, s *game.State) []byte {
	t.Helper()
	b, err := s.MarshalBinary()
	if err != nil {
		t.Fatalf("MarshalBinary: %v", err)
	}
	if len(b) == 0 || b[0] != game.EncodingVersion || game.EncodingVersion != 1 {
		t.Fatalf("encoding starts with %v, want version 1", b[:1])
	}
	var back game.State
	if err := back.UnmarshalBinary(b); err != nil {
		t.Fatalf("UnmarshalBinary of phase %v hand %d: %v", s.Phase, s.Hand, err)
	}
	tcSame(t, "round trip", back, *s)
	return b
}

// tcMatchStates plays a random match and returns every state of it.
func tcMatchStates(t testing.TB, r game.Rules, seed uint64, decks int) []game.State {
	t.Helper()
	var s game.State
	var err error
	if decks == 0 {
		s, _, err = game.NewMatch(r, seed)
	} else {
		d := make([]game.Deck, decks)
		for h := range d {
			d[h] = game.DeckFor(seed, h)
		}
		s, _, err = game.NewMatchFromDecks(r, int(seed%4), d)
	}
	if err != nil {
		t.Fatal(err)
	}
	out := []game.State{s}
	tcRandomPlay(t, s, seed, 1<<20, func(st tcStep) { out = append(out, st.Next) })
	return out
}

func TestMarshalBinaryRoundTrip(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for i, r := range tcAllRules() {
		if i%3 != 0 {
			continue // 11 of the 32 rule sets, each option on and off
		}
		decks := []int{0, 1, 3, 13}[i%4]
		for _, s := range tcMatchStates(t, r, uint64(i)*31+7, decks) {
			tcRoundTrip(t, &s)
			seen[s.Phase.String()] = true
			if s.Decks != nil {
				seen["decks"] = true
			} else {
				seen["no decks"] = true
			}
			if s.Phase == game.PhasePlay && s.Trick.N > 0 && len(s.Results) > 0 {
				seen["mid-trick, later hand"] = true
			}
		}
	}
	for _, k := range []string{"trump", "play", "over", "decks", "no decks", "mid-trick, later hand"} {
		if !seen[k] {
			t.Errorf("no state with %s was encoded", k)
		}
	}
	// The zero-value target and every option survive the trip.
	s, _, _ := game.NewMatch(game.Rules{Target: 0, PlayAllTricks: true, HideUntilTrump: true, RandomFirstHakem: true}, 1<<63+5)
	tcRoundTrip(t, &s)
}

// tcSampleStates are states in every phase, with and without decks.
func tcSampleStates(t testing.TB) map[string]game.State {
	t.Helper()
	out := map[string]game.State{}
	plain := tcMatchStates(t, game.Rules{Target: 3}, 11, 0)
	out["trump phase"] = plain[0]
	for _, s := range plain {
		if s.Phase == game.PhasePlay && s.Trick.N == 2 && len(s.Results) == 1 {
			out["mid-trick, second hand"] = s
			break
		}
	}
	out["over"] = plain[len(plain)-1]
	withDecks := tcMatchStates(t, game.Rules{PlayAllTricks: true, HideUntilTrump: true}, 12, 2)
	for _, s := range withDecks {
		if s.Phase == game.PhasePlay && s.DoneN == 12 && s.Trick.N == 1 {
			out["decks, last trick"] = s
			break
		}
	}
	if len(out) != 4 {
		t.Fatalf("sample states: %d", len(out))
	}
	return out
}

func TestUnmarshalBinaryTruncated(t *testing.T) {
	t.Parallel()
	for name, s := range tcSampleStates(t) {
		b := tcRoundTrip(t, &s)
		for n := 0; n < len(b); n++ {
			target := s
			if err := target.UnmarshalBinary(b[:n]); err == nil {
				t.Fatalf("%s: %d of %d bytes decoded", name, n, len(b))
			}
			tcSame(t, name+": receiver after a failed decode", target, s)
		}
	}
}

func TestUnmarshalBinaryBadFraming(t *testing.T) {
	t.Parallel()
	for name, s := range tcSampleStates(t) {
		b := tcRoundTrip(t, &s)
		bad := map[string][]byte{
			"trailing byte":  append(append([]byte{}, b...), 0),
			"trailing bytes": append(append([]byte{}, b...), b...),
			"nil":            nil,
			"empty":          {},
		}
		for _, v := range []byte{0, 2, 3, 0x7F, 0xFF} {
			x := append([]byte{}, b...)
			x[0] = v
			bad[fmt.Sprintf("version %d", v)] = x
		}
		x := append([]byte{}, b...)
		x[1] = 8 // an unknown option flag
		bad["unknown flag"] = x
		for what, in := range bad {
			var out game.State
			if err := out.UnmarshalBinary(in); err == nil {
				t.Errorf("%s: %s decoded", name, what)
			}
		}
	}
}

// TestUnmarshalBinaryCorrupt changes every byte of encoded states in several
// ways. Decoding must never panic, and a value it accepts must be a valid
// state from which the match plays on validly (into the next deal).
func TestUnmarshalBinaryCorrupt(t *testing.T) {
	t.Parallel()
	for name, s := range tcSampleStates(t) {
		b := tcRoundTrip(t, &s)
		for i := range b {
			for _, v := range []byte{b[i] ^ 1, b[i] ^ 0x80, b[i] + 1, 0, 0xFF, 52} {
				if v == b[i] {
					continue
				}
				x := append([]byte{}, b...)
				x[i] = v
				var out game.State
				err := func() (err error) {
					defer func() {
						if p := recover(); p != nil {
							t.Fatalf("%s: byte %d = %#x: UnmarshalBinary panicked: %v", name, i, v, p)
						}
					}()
					return out.UnmarshalBinary(x)
				}()
				if err != nil {
					continue
				}
				if err := out.Validate(); err != nil {
					t.Fatalf("%s: byte %d = %#x: accepted an invalid state: %v", name, i, v, err)
				}
				// Play on (into the next deal when the hand ends): every state must validate.
				for n := 0; n < 60 && !out.Over(); n++ {
					a := out.Legal(out.Turn)[0]
					next, _, err := game.Apply(out, out.Turn, a)
					if err == nil {
						err = next.Validate()
					}
					if err != nil {
						t.Fatalf("%s: byte %d = %#x accepted; %d actions later, %v: %v", name, i, v, n, a, err)
					}
					out = next
				}
			}
		}
	}
}

// TestUnmarshalBinaryRejectsInvalidDecks: a state whose recorded deck is not
// 52 distinct cards is broken (its next hand would be dealt from it), and
// NewMatchFromDecks refuses such decks; decoding must refuse it too.
func TestUnmarshalBinaryRejectsInvalidDecks(t *testing.T) {
	t.Parallel()
	s, _, err := game.NewMatchFromDecks(game.Rules{}, 0, []game.Deck{game.DeckFor(3, 0), game.DeckFor(3, 1)})
	if err != nil {
		t.Fatal(err)
	}
	b := tcRoundTrip(t, &s)
	last := len(b) - 1 // the last card of the second deck
	for name, v := range map[string]byte{"repeated card": b[last-1], "invalid card": 0xFF, "card 52": 52} {
		x := append([]byte{}, b...)
		x[last] = v
		var out game.State
		if err := out.UnmarshalBinary(x); err == nil {
			t.Errorf("%s in a deck: decoded (deck %v)", name, out.Decks[1][48:])
		}
	}
}

// TestValidateRejectsBrokenStates breaks valid states in one way each.
func TestValidateRejectsBrokenStates(t *testing.T) {
	t.Parallel()
	samples := tcSampleStates(t)
	mid := samples["mid-trick, second hand"]
	for name, tc := range map[string]struct {
		base   game.State
		mutate func(s *game.State)
	}{
		"card in two hands":    {mid, func(s *game.State) { s.Hands[(s.Turn+1)%4] |= s.Hands[s.Turn] & -s.Hands[s.Turn] }},
		"card missing":         {mid, func(s *game.State) { s.Hands[s.Turn] &= s.Hands[s.Turn] - 1 }},
		"wrong turn":           {mid, func(s *game.State) { s.Turn = (s.Turn + 1) % 4 }},
		"score off":            {mid, func(s *game.State) { s.Score[0]++ }},
		"trick count off":      {mid, func(s *game.State) { s.Tricks[1]++ }},
		"hand number off":      {mid, func(s *game.State) { s.Hand++ }},
		"result kind":          {mid, func(s *game.State) { s.Results[0].Kind = game.KindKot }},
		"no trump in play":     {mid, func(s *game.State) { s.Trump = game.NoSuit }},
		"trump before choice":  {samples["trump phase"], func(s *game.State) { s.Trump = game.Hearts }},
		"turn not Hakem":       {samples["trump phase"], func(s *game.State) { s.Turn = (s.Hakem + 1) % 4 }},
		"first five not held":  {samples["trump phase"], func(s *game.State) { s.FirstFive[0] = s.Hands[1] }},
		"bad phase":            {mid, func(s *game.State) { s.Phase = 0 }},
		"winner while running": {mid, func(s *game.State) { s.Winner = 0 }},
		"over, no winner":      {samples["over"], func(s *game.State) { s.Winner = -1 }},
		"bad target":           {mid, func(s *game.State) { s.Rules.Target = 4 }},
		"wrong trick winner": {samples["decks, last trick"], func(s *game.State) {
			s.Done[0].Winner = (s.Done[0].Winner + 1) % 4
		}},
		"hand should have ended": {samples["decks, last trick"], func(s *game.State) { s.Rules.PlayAllTricks = false }},
	} {
		s := tcClone(tc.base)
		if err := s.Validate(); err != nil {
			t.Fatalf("%s: base state invalid: %v", name, err)
		}
		tc.mutate(&s)
		if err := s.Validate(); err == nil {
			t.Errorf("%s: Validate accepted the broken state", name)
		}
		if name == "result kind" {
			continue // the encoding stores the points only and derives the kind
		}
		b, _ := s.MarshalBinary()
		var out game.State
		if err := out.UnmarshalBinary(b); err == nil {
			t.Errorf("%s: UnmarshalBinary accepted the broken state", name)
		}
	}
}

// TestValidateRejectsUnreachable: states no sequence of actions can reach,
// each consistent in its card counts, so only the turn order gives them away.
// Validate promises "a state the engine could have reached", and decoding
// relies on it.
func TestValidateRejectsUnreachable(t *testing.T) {
	t.Parallel()
	start := errorTableState(t, atLead) // Hakem 0 to lead the first trick
	afterOne := errorTableState(t, atSecond)
	for name, mutate := range map[string]func(s *game.State){
		"first trick led by a seat that is not the Hakem": func(s *game.State) {
			*s = start
			s.Trick.Leader, s.Turn = 1, 1
		},
		"Hakem is not who led the first trick": func(s *game.State) {
			*s = afterOne
			s.Hakem = 1
		},
		"trick led by a seat that did not win the last one": func(s *game.State) {
			*s = afterOne // seat 0 won trick 1 and should lead
			c := s.Hands[1].Cards()[0]
			s.Hands[1] = s.Hands[1].Remove(c)
			s.Trick.Leader, s.Trick.N, s.Trick.Cards[0], s.Turn = 1, 1, c, 2
		},
	} {
		t.Run(name, func(t *testing.T) {
			var s game.State
			mutate(&s)
			if err := s.Validate(); err == nil {
				t.Errorf("Validate accepted an unreachable state")
			}
		})
	}
}
