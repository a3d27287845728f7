package game

// Fuzz targets. `go test` runs their seed corpora; `make fuzz` fuzzes each.

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"reflect"
	"testing"
)

// fuzzRules picks the options from one byte: target, then the flags.
func fuzzRules(opts byte) Rules {
	return Rules{
		Target:           []int{3, 5, 7, 0}[opts&3],
		PlayAllTricks:    opts&4 != 0,
		HideUntilTrump:   opts&8 != 0,
		RandomFirstHakem: opts&16 != 0,
	}
}

// fuzzMaxMatches bounds the matches one input may play.
const fuzzMaxMatches = 4

// FuzzApply plays matches driven by the input: a byte below 0xC0 picks one of
// the legal actions, a higher byte (and the next one as its parameter) makes
// an action that is usually illegal: a wrong seat, a seat off the table, the
// other phase's action, a value that is no card or suit, another seat's card,
// a card already played, a card that does not follow suit, an unknown kind.
// Mostly legal moves carry long inputs to the end of a match, and on into the
// next (up to fuzzMaxMatches); a run stops where its input does. Every outcome must be the naive model's: the same error code with nothing
// changed, or the same legal transition to a state that passes Validate,
// with the events, scores and hand ends the property tests check.
func FuzzApply(f *testing.F) {
	f.Add(uint64(1), byte(0), []byte{})
	f.Add(uint64(2), byte(0), bytes.Repeat([]byte{0}, 300))
	f.Add(uint64(3), byte(0x1c), bytes.Repeat([]byte{7, 0xc3, 9, 1}, 150))
	f.Add(uint64(4), byte(0x08), []byte{0xc4, 9, 0xc0, 1, 0xc1, 200, 0xc2, 3, 5, 0xc5, 17, 0xc6, 4, 0xc7, 2, 0xc8, 3, 0xc9, 0, 0xca, 255})
	f.Add(uint64(5), byte(0x04), bytes.Repeat([]byte{0xcb, 1, 3, 0xcc, 2, 0xcd, 0xce, 4, 0xcf, 0x7f, 5, 6, 7, 8}, 60))
	f.Add(uint64(6), byte(0x12), bytes.Repeat([]byte{0xbf, 0x80, 0x40, 0xc9, 0x11, 3}, 150))
	f.Add(uint64(7), byte(0x03), bytes.Repeat([]byte{1, 2, 3, 0xc6, 9}, 250))
	f.Fuzz(func(t *testing.T, seed uint64, opts byte, data []byte) {
		rules := fuzzRules(opts)
		for match := 0; match < fuzzMaxMatches; match++ {
			data = fuzzPlay(t, rules, seed+uint64(match), data)
			if len(data) == 0 {
				return
			}
		}
	})
}

// fuzzPlay plays one match from data and returns the bytes it did not use.
func fuzzPlay(t *testing.T, rules Rules, seed uint64, data []byte) []byte {
	r := &propRun{t: t, rules: rules, seed: seed, rng: rand.New(rand.NewPCG(seed, 0x66757a7a)), stats: propNewStats()}
	s, evs, err := NewMatch(rules, seed)
	if err != nil {
		t.Fatal(err)
	}
	r.s = s
	r.start(evs)
	next := func() byte {
		if len(data) == 0 {
			return 0
		}
		b := data[0]
		data = data[1:]
		return b
	}
	for !r.s.Over() && len(data) > 0 {
		if r.step++; r.step > 2*propMaxSteps {
			r.fatalf("match not over after %d actions", r.step)
		}
		r.lockstep()
		actor := r.s.Turn
		b := next()
		if b < 0xC0 {
			legal := r.s.Legal(actor)
			r.apply(actor, legal[int(b)%len(legal)])
			continue
		}
		seat, a := fuzzAction(&r.s, b, next())
		if code := r.nm.Check(naiveFromEngineAction(seat, a)); code != "" {
			r.reject(seat, a, code)
		} else {
			r.apply(seat, a)
		}
	}
	r.lockstep()
	r.checkEncoding()
	if r.s.Over() {
		r.finish()
	}
	return data
}

// fuzzAction makes a (usually illegal) action of kind b&15 with parameter p.
func fuzzAction(s *State, b, p byte) (Seat, Action) {
	actor := s.Turn
	pick := func(set CardSet) Card {
		if cards := set.Cards(); len(cards) > 0 {
			return cards[int(p)%len(cards)]
		}
		return Card(p % 52)
	}
	plausible := func() Action {
		if s.Phase == PhaseTrump {
			return ChooseTrump(Suit(p % 4))
		}
		return PlayCard(pick(s.Hands[actor]))
	}
	switch b & 15 {
	case 0: // another seat
		return (actor + 1 + int(p)%3) % 4, plausible()
	case 1: // no seat at all
		return []Seat{-1, 4, int(p) + 4, -int(p) - 1}[p%4], plausible()
	case 2: // the other phase's action
		if s.Phase == PhasePlay {
			return actor, ChooseTrump(Suit(p % 4))
		}
		return actor, PlayCard(pick(s.FirstFive[actor]))
	case 3: // not a card
		return actor, PlayCard(Card(52 + int(p)%204))
	case 4: // not a suit
		return actor, ChooseTrump(Suit(4 + int(p)%252))
	case 5: // another seat's card
		return actor, PlayCard(pick(s.Hands[(actor+1+int(p)%3)%4]))
	case 6: // any card
		return actor, PlayCard(Card(p % 52))
	case 7: // a card already played
		return actor, PlayCard(pick(s.Played()))
	case 8: // not following suit, when there is a suit to follow
		h := s.Hands[actor]
		if s.Phase == PhasePlay && s.Trick.N > 0 {
			return actor, PlayCard(pick(h &^ h.OfSuit(s.Trick.Cards[0].Suit())))
		}
		return actor, PlayCard(pick(h))
	case 9: // a trump choice by anyone
		return int(p) % 4, ChooseTrump(Suit(p >> 2 % 5))
	case 10: // an action of no known kind
		return actor, Action{Kind: ActionKind(3 + int(p)%253), Suit: Suit(p), Card: Card(p)}
	case 11: // the zero action
		return int(p) % 4, Action{}
	default: // anything at all
		return int(p%6) - 1, Action{Kind: ActionKind(p >> 6), Suit: Suit(p % 5), Card: Card(p)}
	}
}

// fuzzConformanceRecords are the "record" objects of the example records.
func fuzzConformanceRecords(f *testing.F) [][]byte {
	var out [][]byte
	for _, name := range naiveConformanceFiles() {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		var c naiveConformanceCase
		if err := json.Unmarshal(b, &c); err != nil {
			f.Fatalf("%s: %v", name, err)
		}
		out = append(out, c.Record)
	}
	return out
}

// fuzzRecordOf is the JSON record of a random match, cut after n actions.
func fuzzRecordOf(f *testing.F, rules Rules, seed uint64, n int) []byte {
	s, actions := propRandomMatch(rules, seed)
	if n < len(actions) {
		actions = actions[:n]
	}
	b, err := json.Marshal(propRecordOf(rules, s.FirstHakem, seed, &s, actions))
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// FuzzDecodeRecord feeds arbitrary bytes to ReplayJSON. It must never panic;
// its exit status must be 0, 1 or 2 and agree with ParseRecord and Replay;
// and a well-formed record must replay exactly as the naive model plays it.
func FuzzDecodeRecord(f *testing.F) {
	for _, b := range fuzzConformanceRecords(f) {
		f.Add(b)
	}
	f.Add(fuzzRecordOf(f, Rules{Target: 3}, 11, 1000))
	f.Add(fuzzRecordOf(f, Rules{PlayAllTricks: true, RandomFirstHakem: true}, 12, 120))
	f.Add(fuzzRecordOf(f, Rules{Target: 5}, 13, 0))
	for _, s := range []string{
		``, `null`, `[]`, `{}`, `{"deals":[],"actions":[]}`, `{"first_hakem":0,"deals":[],"actions":[]}`,
		`{"first_hakem":0,"deals":[],"actions":[{"seat":0,"trump":"S"}]}`,
		`{"first_hakem":4,"deals":[],"actions":[]}`, `{"draw":["2S","3S"],"deals":[],"actions":[]}`,
		`{"draw":["KS","AH"],"deals":[],"actions":[]} {}`, `{"draw":["AH"],"deals":[],"actions":[],"x":1}`,
		`{"rules":{"target":4},"first_hakem":0,"deals":[],"actions":[]}`,
		`{"first_hakem":1,"deals":[["AS"]],"actions":[]}`,
		`{"first_hakem":1,"deals":[],"actions":[{"seat":0}]}`,
		`{"first_hakem":1,"deals":[],"actions":[{"seat":0,"trump":"S","card":"AS"}]}`,
		`{"first_hakem":1,"deals":[],"actions":[{"seat":9,"card":"AS"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		res, status := ReplayJSON(bytes.NewReader(b))
		if _, err := json.Marshal(res); err != nil {
			t.Fatalf("result does not marshal: %v", err)
		}
		rec, err := ParseRecord(b)
		if err != nil {
			var re *RecordError
			if !errors.As(err, &re) || status != 2 || res.OK || res.Error == nil || res.Error.Code != CodeInvalidRecord {
				t.Fatalf("ParseRecord: %v; ReplayJSON status %d %+v", err, status, res)
			}
			return
		}
		st, res2, err := rec.Replay()
		want := naiveReplay(rec)
		if err != nil {
			var re *RecordError
			if !errors.As(err, &re) || status != 2 || res.Error == nil || res.Error.Code != CodeInvalidRecord || want.Status != 2 {
				t.Fatalf("Replay: %v; ReplayJSON status %d %+v; naive status %d", err, status, res, want.Status)
			}
			return
		}
		if !reflect.DeepEqual(res, res2) {
			t.Fatalf("ReplayJSON %+v, Replay %+v", res, res2)
		}
		if err := st.Validate(); err != nil {
			t.Fatalf("replayed state: %v", err)
		}
		if sum := Summarize(&st); !reflect.DeepEqual(sum.Hands, res.Hands) || sum.Score != res.Score || sum.Over != res.Over || !reflect.DeepEqual(sum.Winner, res.Winner) {
			t.Fatalf("result %+v does not summarize the state %+v", res, sum)
		}
		switch {
		case status == 0 && res.OK && res.Error == nil:
		case status == 1 && !res.OK && res.Error != nil && res.Error.Index != nil && *res.Error.Index < len(rec.Actions):
			i := *res.Error.Index
			_, _, err := Apply(st, *rec.Actions[i].Seat, rec.Actions[i].Action())
			if ge, ok := err.(*Error); !ok || string(ge.Code) != res.Error.Code {
				t.Fatalf("action %d fails with %s, but applying it again gives %v", i, res.Error.Code, err)
			}
		default:
			t.Fatalf("status %d with result %+v", status, res)
		}
		var hands []naiveResult
		for _, h := range res.Hands {
			hands = append(hands, naiveFromEngine(h))
		}
		winner := -1
		if res.Winner != nil {
			winner = *res.Winner
		}
		errIndex, errCode := -1, ""
		if res.Error != nil {
			errIndex, errCode = *res.Error.Index, res.Error.Code
		}
		got := naiveReplayResult{Status: status, Hands: hands, Score: res.Score, Over: res.Over, Winner: winner, ErrIndex: errIndex, ErrCode: errCode}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("engine %+v\nnaive  %+v", got, want)
		}
	})
}

// FuzzUnmarshalState feeds arbitrary bytes to UnmarshalBinary. It must never
// panic. A state it accepts must pass Validate, marshal back to the same
// bytes, and be a state play can go on from: a legal action always exists
// while the match runs, and legal play keeps passing Validate (until past
// the end of the hand).
func FuzzUnmarshalState(f *testing.F) {
	for i, rules := range []Rules{{}, {Target: 3, PlayAllTricks: true}, {Target: 5, HideUntilTrump: true, RandomFirstHakem: true}} {
		s, actions := propRandomMatch(rules, uint64(20+i))
		for _, n := range []int{0, 1, 2, 7, 33, len(actions) / 2} {
			st := propReplayActions(f, s, actions[:n])
			b, err := st.MarshalBinary()
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
		b, err := s.MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	rec, err := ParseRecord(fuzzRecordOf(f, Rules{Target: 3}, 30, 70))
	if err != nil {
		f.Fatal(err)
	}
	st, _, err := rec.Replay()
	if err != nil {
		f.Fatal(err)
	}
	b, err := st.MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte{})
	f.Add([]byte{EncodingVersion})
	f.Add([]byte{2, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		var s State
		if err := s.UnmarshalBinary(b); err != nil {
			if !propSameState(&s, &State{}) {
				t.Fatalf("failed UnmarshalBinary (%v) changed the state", err)
			}
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("decoded state does not validate: %v", err)
		}
		again, err := s.MarshalBinary()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("re-marshals to %x (%v), not %x", again, err, b)
		}
		cur := s
		for k := 0; k < 64 && !cur.Over(); k++ {
			legal := cur.Legal(cur.Turn)
			if len(legal) == 0 {
				t.Fatalf("decoded running match (%s, hand %d, %d tricks done) has no legal action for seat %d", cur.Phase, cur.Hand, cur.DoneN, cur.Turn)
			}
			a := legal[k%len(legal)]
			next, _, err := Apply(cur, cur.Turn, a)
			if err != nil {
				t.Fatalf("legal %v rejected: %v", a, err)
			}
			if err := next.Validate(); err != nil {
				t.Fatalf("after %d legal actions from a decoded state (%v by %d in %s, hand %d): %v", k+1, a, cur.Turn, cur.Phase, cur.Hand, err)
			}
			cur = next
		}
	})
}

// fuzzPlayUntil plays first-legal moves from a new match until done(s).
func fuzzPlayUntil(t *testing.T, rules Rules, seed uint64, done func(*State) bool) State {
	t.Helper()
	s, _, err := NewMatch(rules, seed)
	if err != nil {
		t.Fatal(err)
	}
	for !done(&s) {
		if s.Over() {
			t.Fatal("match ended first")
		}
		if s, _, err = Apply(s, s.Turn, s.Legal(s.Turn)[0]); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// Corrupt states that FuzzUnmarshalState found (or that its findings led
// to). UnmarshalBinary used to accept each, although the engine can never
// reach it, and the first three break play. UnmarshalBinary promises "a
// corrupt or foreign value is an error, never a broken state".
func TestFuzzFoundCorruptStates(t *testing.T) {
	cases := []struct {
		name    string
		corrupt func(t *testing.T) State
	}{
		{"deck_of_a_later_hand_repeats_a_card", func(t *testing.T) State {
			// Decks are never checked: the next hand is dealt from a deck
			// with 51 distinct cards, and play leads to a state that fails
			// Validate (a seat's first five are not five cards).
			d := DeckFor(1, 0)
			bad := DeckFor(1, 1)
			bad[1] = bad[0]
			s, _, err := NewMatchFromDecks(Rules{}, 0, []Deck{d, bad})
			if err == nil {
				t.Fatal("NewMatchFromDecks accepted a deck with a repeated card")
			}
			s, _, err = NewMatchFromDecks(Rules{}, 0, []Deck{d, DeckFor(1, 1)})
			if err != nil {
				t.Fatal(err)
			}
			s.Decks = []Deck{d, bad}
			return s
		}},
		{"trump_phase_trick_not_led_by_the_Hakem", func(t *testing.T) State {
			// Choosing trump then gives a state that fails Validate: the
			// Hakem has the turn but the trick's leader is another seat.
			s := fuzzPlayUntil(t, Rules{}, 3, func(*State) bool { return true })
			s.Trick.Leader = Next(s.Hakem)
			return s
		}},
		{"play_all_tricks_13_done_still_in_play", func(t *testing.T) State {
			// Nobody holds a card: no legal action, and the match never ends.
			s := fuzzPlayUntil(t, Rules{PlayAllTricks: true}, 4, func(s *State) bool { return s.DoneN == 12 && s.Trick.N == 3 })
			c := s.Hands[s.Turn].Cards()[0]
			s.Hands[s.Turn] = 0
			t4 := s.Trick
			t4.Cards[3], t4.N = c, 4
			t4.Winner = TrickWinner(&t4, s.Trump)
			s.Done[12], s.DoneN = t4, 13
			s.Tricks[Team(t4.Winner)]++
			s.Trick, s.Turn = Trick{Leader: t4.Winner}, t4.Winner
			return s
		}},
		{"trick_counts_disagree_with_the_tricks_won", func(t *testing.T) State {
			s := fuzzPlayUntil(t, Rules{}, 5, func(s *State) bool { return s.Phase == PhasePlay && s.Tricks[0] != s.Tricks[1] })
			s.Tricks[0], s.Tricks[1] = s.Tricks[1], s.Tricks[0]
			return s
		}},
		{"hand_result_with_impossible_tricks", func(t *testing.T) State {
			s := fuzzPlayUntil(t, Rules{}, 6, func(s *State) bool { return len(s.Results) == 1 })
			s.Results = []HandResult{s.Results[0]}
			s.Results[0].Tricks[1-s.Results[0].Winner] = 9 // 7 and 9 of 13 tricks
			return s
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := c.corrupt(t)
			b, err := s.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			var u State
			if err := u.UnmarshalBinary(b); err == nil {
				t.Errorf("UnmarshalBinary accepted a state the engine cannot reach (Validate: %v)", s.Validate())
			}
		})
	}
}
