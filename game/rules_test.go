package game_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/hokm-project/hokm/game"
)

func TestRulesValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		target, points int
		ok             bool
	}{
		{0, 7, true}, {3, 3, true}, {5, 5, true}, {7, 7, true},
		{1, 0, false}, {2, 0, false}, {4, 0, false}, {6, 0, false}, {8, 0, false}, {9, 0, false},
		{-1, 0, false}, {-7, 0, false}, {13, 0, false}, {255, 0, false},
	} {
		r := game.Rules{Target: tc.target}
		err := r.Validate()
		if (err == nil) != tc.ok {
			t.Errorf("target %d: Validate() = %v, want ok %v", tc.target, err, tc.ok)
		}
		if !tc.ok {
			if err != nil && !strings.Contains(err.Error(), "target") {
				t.Errorf("target %d: error %q does not name the option", tc.target, err)
			}
			if _, _, err := game.NewMatch(r, 1); err == nil {
				t.Errorf("target %d: NewMatch accepted it", tc.target)
			}
			if _, _, err := game.NewMatchFromDecks(r, 0, []game.Deck{game.DeckFor(1, 0)}); err == nil {
				t.Errorf("target %d: NewMatchFromDecks accepted it", tc.target)
			}
			continue
		}
		if r.TargetPoints() != tc.points || r.Normalized().Target != tc.points {
			t.Errorf("target %d: TargetPoints %d Normalized %d, want %d", tc.target, r.TargetPoints(),
				r.Normalized().Target, tc.points)
		}
	}
}

func TestSeats(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ seat, next, prev, team, partner int }{
		{0, 1, 3, 0, 2}, {1, 2, 0, 1, 3}, {2, 3, 1, 0, 0}, {3, 0, 2, 1, 1},
	} {
		if game.Next(tc.seat) != tc.next || game.Prev(tc.seat) != tc.prev || game.Team(tc.seat) != tc.team ||
			game.Partner(tc.seat) != tc.partner {
			t.Errorf("seat %d: Next %d Prev %d Team %d Partner %d", tc.seat, game.Next(tc.seat),
				game.Prev(tc.seat), game.Team(tc.seat), game.Partner(tc.seat))
		}
	}
}

// TestDeal544 deals a known deck from each Hakem seat and checks every seat's
// cards against the layout of docs/rules.md, written out index by index.
func TestDeal544(t *testing.T) {
	t.Parallel()
	// Position k counts from the Hakem in play order: k = 0 is the Hakem.
	layout := [4][3][2]int{
		{{0, 4}, {20, 23}, {36, 39}},
		{{5, 9}, {24, 27}, {40, 43}},
		{{10, 14}, {28, 31}, {44, 47}},
		{{15, 19}, {32, 35}, {48, 51}},
	}
	deck := game.DeckFor(7, 3)
	for hakem := 0; hakem < 4; hakem++ {
		s, evs, err := game.NewMatchFromDecks(game.Rules{}, hakem, []game.Deck{deck})
		if err != nil {
			t.Fatal(err)
		}
		if s.Hakem != hakem || s.FirstHakem != hakem || s.Dealer() != (hakem+3)%4 || s.Turn != hakem ||
			s.Phase != game.PhaseTrump || s.Trump != game.NoSuit || s.Hand != 0 {
			t.Fatalf("hakem %d: state %+v", hakem, s)
		}
		for k, packets := range layout {
			seat := (hakem + k) % 4
			var hand, five game.CardSet
			for p, rg := range packets {
				for i := rg[0]; i <= rg[1]; i++ {
					hand = hand.Add(deck[i])
					if p == 0 {
						five = five.Add(deck[i])
					}
				}
			}
			if s.Hands[seat] != hand || s.FirstFive[seat] != five {
				t.Errorf("hakem %d seat %d: hand %v first five %v, want %v and %v", hakem, seat,
					s.Hands[seat].Cards(), s.FirstFive[seat].Cards(), hand.Cards(), five.Cards())
			}
			var dealt []game.Card
			for _, e := range evs {
				if e.Type == game.EvCardsDealt && e.To == seat {
					dealt = e.Cards
				}
			}
			if game.SetOf(dealt...) != five || len(dealt) != 5 {
				t.Errorf("hakem %d seat %d: cards_dealt %v, want the first five %v", hakem, seat, dealt, five.Cards())
			}
		}
		// The three packets of the Hakem, literally.
		if !s.Hands[hakem].Has(deck[0]) || !s.Hands[hakem].Has(deck[23]) || !s.Hands[hakem].Has(deck[39]) ||
			!s.Hands[(hakem+1)%4].Has(deck[5]) || !s.Hands[(hakem+3)%4].Has(deck[51]) {
			t.Errorf("hakem %d: packet boundaries wrong", hakem)
		}
		var hs *game.Event
		for i := range evs {
			if evs[i].Type == game.EvHandStarted {
				hs = &evs[i]
			}
		}
		if hs == nil || hs.Seat != hakem || hs.Dealer != (hakem+3)%4 || hs.Hand != 0 || !hs.Public() {
			t.Errorf("hakem %d: hand_started %+v", hakem, hs)
		}
	}
}

func TestNewMatchFromDecksRejects(t *testing.T) {
	t.Parallel()
	good := game.DeckFor(1, 0)
	dup := good
	dup[10] = dup[11]
	for name, tc := range map[string]struct {
		hakem game.Seat
		decks []game.Deck
	}{
		"hakem -1":        {-1, []game.Deck{good}},
		"hakem 4":         {4, []game.Deck{good}},
		"duplicate card":  {0, []game.Deck{good, dup}},
		"invalid card":    {0, []game.Deck{{}}},
		"first deck dups": {2, []game.Deck{dup}},
	} {
		if _, _, err := game.NewMatchFromDecks(game.Rules{}, tc.hakem, tc.decks); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestShufflePinned guards the seed → cards mapping: live games are stored as
// (seed, actions), so it must never change across versions.
func TestShufflePinned(t *testing.T) {
	t.Parallel()
	d42 := game.DeckFor(42, 0)
	pins := []struct {
		name string
		got  []game.Card
		want string
	}{
		{"DeckFor(42, 0)", d42[:], "QC 7D 7H 5S QD KS KD 4D QS 8S 6C 3D 5C KC 8D QH 2S 6D 7C TD 2H 4C 2C 4H 9D 9S " +
			"4S JH JD 5D 3C TS KH AD 9C 5H 3S 7S TH 6H 2D 6S JS 8C 9H 3H AH JC AC 8H AS TC"},
		{"DeckFor(42, 1)[:5]", func() []game.Card { d := game.DeckFor(42, 1); return d[:5] }(), "6D TD 9S 3S QH"},
		{"DeckFor(1, 0)[:5]", func() []game.Card { d := game.DeckFor(1, 0); return d[:5] }(), "AS 7D 8D TS QC"},
		{"DeckFor(0, 0)[:5]", func() []game.Card { d := game.DeckFor(0, 0); return d[:5] }(), "KD JD 8H 9C AH"},
		{"HakemDraw(42)", game.HakemDraw(42), "3D 6C 4C 4S KS 4D AD"},
		{"HakemDraw(0)", game.HakemDraw(0), "5H TS 4H 8C 9S AS"},
		{"HakemDraw(1)", game.HakemDraw(1), "JS QS 3S 6C 7D KD AC"},
	}
	for _, p := range pins {
		if !reflect.DeepEqual(p.got, tcCards(t, p.want)) {
			t.Errorf("%s = %v, want %s", p.name, p.got, p.want)
		}
	}
	random := game.Rules{RandomFirstHakem: true}
	wantRandom := []game.Seat{2, 2, 1, 2, 1, 0, 0, 0}
	wantDraw := []game.Seat{1, 2, 0, 2, 1, 0, 3, 0}
	for seed := range wantRandom {
		if got := game.FirstHakem(random, uint64(seed)); got != wantRandom[seed] {
			t.Errorf("random first Hakem of seed %d = %d, want %d", seed, got, wantRandom[seed])
		}
		if got := game.FirstHakem(game.Rules{}, uint64(seed)); got != wantDraw[seed] {
			t.Errorf("drawn first Hakem of seed %d = %d, want %d", seed, got, wantDraw[seed])
		}
	}
	if got := game.FirstHakem(game.Rules{}, 42); got != 2 {
		t.Errorf("first Hakem of seed 42 = %d, want 2 (ace on the 7th card)", got)
	}
}

func TestShuffleDeterministic(t *testing.T) {
	t.Parallel()
	for seed := uint64(0); seed < 64; seed++ {
		var decks [13]game.Deck
		for h := range decks {
			decks[h] = game.DeckFor(seed, h)
			if !decks[h].Valid() {
				t.Fatalf("DeckFor(%d, %d) is not a permutation: %v", seed, h, decks[h])
			}
			if again := game.DeckFor(seed, h); again != decks[h] {
				t.Fatalf("DeckFor(%d, %d) differs between calls", seed, h)
			}
			for g := 0; g < h; g++ {
				if decks[g] == decks[h] {
					t.Errorf("seed %d: hands %d and %d have the same deck", seed, g, h)
				}
			}
			if other := game.DeckFor(seed+1000, h); other == decks[h] {
				t.Errorf("seeds %d and %d: same deck for hand %d", seed, seed+1000, h)
			}
		}
		if !reflect.DeepEqual(game.HakemDraw(seed), game.HakemDraw(seed)) {
			t.Fatalf("HakemDraw(%d) differs between calls", seed)
		}
		for _, r := range []game.Rules{{}, {RandomFirstHakem: true, HideUntilTrump: true}} {
			a, ea, err := game.NewMatch(r, seed)
			if err != nil {
				t.Fatal(err)
			}
			b, eb, _ := game.NewMatch(r, seed)
			if !reflect.DeepEqual(a, b) || !reflect.DeepEqual(ea, eb) {
				t.Fatalf("NewMatch(%+v, %d) is not deterministic", r, seed)
			}
			if a.Seed != seed || a.Decks != nil {
				t.Errorf("NewMatch: Seed %d Decks %v", a.Seed, a.Decks)
			}
			// The first hand is dealt from DeckFor(seed, 0).
			want, _, _ := game.NewMatchFromDecks(r, a.Hakem, []game.Deck{game.DeckFor(seed, 0)})
			if want.Hands != a.Hands || want.FirstFive != a.FirstFive {
				t.Errorf("seed %d: first hand not dealt from DeckFor(seed, 0)", seed)
			}
		}
	}
	if game.DeckFor(1, 0) == game.DeckFor(2, 0) || reflect.DeepEqual(game.HakemDraw(1), game.HakemDraw(3)) {
		t.Error("different seeds give the same cards")
	}
}

func TestHakemDraw(t *testing.T) {
	t.Parallel()
	for seed := uint64(0); seed < 300; seed++ {
		draw := game.HakemDraw(seed)
		if len(draw) == 0 || len(draw) > 49 || draw[len(draw)-1].Rank() != 14 {
			t.Fatalf("seed %d: draw %v does not end with its first ace", seed, draw)
		}
		for _, c := range draw[:len(draw)-1] {
			if c.Rank() == 14 {
				t.Fatalf("seed %d: draw %v goes past the first ace", seed, draw)
			}
		}
		if game.SetOf(draw...).Len() != len(draw) {
			t.Fatalf("seed %d: draw %v repeats a card", seed, draw)
		}
		s, evs, err := game.NewMatch(game.Rules{}, seed)
		if err != nil {
			t.Fatal(err)
		}
		want := (len(draw) - 1) % 4
		if s.Hakem != want || s.FirstHakem != want || game.FirstHakem(game.Rules{}, seed) != want {
			t.Fatalf("seed %d: draw %v gives seat %d, match has Hakem %d", seed, draw, want, s.Hakem)
		}
		if evs[0].Type != game.EvMatchStarted || !evs[0].Public() || evs[0].Seat != want ||
			!reflect.DeepEqual(evs[0].Cards, draw) {
			t.Fatalf("seed %d: match_started %+v, want the draw %v", seed, evs[0], draw)
		}
	}
}

func TestHakemFromDraw(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		draw string
		seat game.Seat
		ok   bool
	}{
		{"5D KC AH", 2, true}, // the HOKM_RULES example: Hakem 2, dealer 1
		{"AS", 0, true},
		{"2C AD", 1, true},
		{"2C 3C 4C AC", 3, true},
		{"2C 3C 4C 5C AC", 0, true}, // the fifth card goes to seat 0 again
		{"2C 3C 4C 5C 6C AS", 1, true},
		{"2C 3C 4C 5C 6C 7C 8C AS", 3, true},
		{"2C 3C 4C 5C 6C 7C 8C 9C AH", 0, true},
		{"KD AH AS", 1, true}, // cards after the first ace are ignored
		{"", 0, false},
		{"KD QD 2S", 0, false},
	} {
		seat, ok := game.HakemFromDraw(tcCards(t, tc.draw))
		if seat != tc.seat || ok != tc.ok {
			t.Errorf("draw %q: seat %d ok %v, want %d %v", tc.draw, seat, ok, tc.seat, tc.ok)
		}
		if ok && game.Prev(seat) != (tc.seat+3)%4 {
			t.Errorf("draw %q: dealer %d", tc.draw, game.Prev(seat))
		}
	}
	// The example's dealer is seat 1.
	if s, _ := game.HakemFromDraw(tcCards(t, "5D KC AH")); game.Prev(s) != 1 {
		t.Errorf("dealer of the example = %d, want 1", game.Prev(s))
	}
}

func TestRandomFirstHakem(t *testing.T) {
	t.Parallel()
	r := game.Rules{RandomFirstHakem: true}
	var count [4]int
	for seed := uint64(0); seed < 200; seed++ {
		want := game.FirstHakem(r, seed)
		if want < 0 || want > 3 || game.FirstHakem(r, seed) != want {
			t.Fatalf("seed %d: FirstHakem %d not a stable seat", seed, want)
		}
		count[want]++
		s, evs, err := game.NewMatch(r, seed)
		if err != nil {
			t.Fatal(err)
		}
		if s.Hakem != want || s.FirstHakem != want || s.Dealer() != game.Prev(want) {
			t.Fatalf("seed %d: Hakem %d, want %d", seed, s.Hakem, want)
		}
		if evs[0].Type != game.EvMatchStarted || evs[0].Seat != want || evs[0].Cards != nil {
			t.Fatalf("seed %d: match_started %+v (no draw under random_first_hakem)", seed, evs[0])
		}
	}
	for seat, n := range count {
		if n < 20 {
			t.Errorf("seat %d is the random first Hakem %d times in 200 seeds: %v", seat, n, count)
		}
	}
}

// TestDealerAlwaysPrevHakem follows random matches with every rule set:
// the dealer is prev(Hakem) in every state and every hand_started event, and
// the Hakem changes only as the rules say.
func TestDealerAlwaysPrevHakem(t *testing.T) {
	t.Parallel()
	for i, r := range tcAllRules() {
		s, _, err := game.NewMatch(r, uint64(1000+i))
		if err != nil {
			t.Fatal(err)
		}
		tcRandomPlay(t, s, uint64(i), 1<<20, func(st tcStep) {
			n := &st.Next
			if n.Dealer() != game.Prev(n.Hakem) || game.Team(n.Dealer()) == game.Team(n.Hakem) {
				t.Fatalf("dealer %d with Hakem %d", n.Dealer(), n.Hakem)
			}
			for _, e := range st.Events {
				if e.Type == game.EvHandStarted && e.Dealer != game.Prev(e.Seat) {
					t.Fatalf("hand_started: Hakem %d dealer %d", e.Seat, e.Dealer)
				}
			}
			if len(n.Results) == len(st.Prev.Results) {
				if n.Hakem != st.Prev.Hakem {
					t.Fatalf("Hakem changed from %d to %d within a hand", st.Prev.Hakem, n.Hakem)
				}
				return
			}
			res := n.Results[len(n.Results)-1]
			want := res.Hakem
			if res.Winner != game.Team(res.Hakem) {
				want = (res.Hakem + 1) % 4
			}
			if !n.Over() && (n.Hakem != want || n.Hand != st.Prev.Hand+1) {
				t.Fatalf("after %+v: Hakem %d hand %d, want Hakem %d", res, n.Hakem, n.Hand, want)
			}
		})
	}
}

// TestTargets plays random matches to each target: the match ends at the
// first hand that brings a team to the target, never before or after.
func TestTargets(t *testing.T) {
	t.Parallel()
	for _, target := range []int{0, 3, 5, 7} {
		for _, all := range []bool{false, true} {
			r := game.Rules{Target: target, PlayAllTricks: all}
			want := r.TargetPoints()
			for seed := uint64(0); seed < 4; seed++ {
				s, _, err := game.NewMatch(r, seed*7+uint64(target))
				if err != nil {
					t.Fatal(err)
				}
				s = tcRandomPlay(t, s, seed, 1<<20, func(st tcStep) {
					if st.Next.Over() {
						return
					}
					if st.Next.Score[0] >= want || st.Next.Score[1] >= want {
						t.Fatalf("target %d: match runs on at %v", want, st.Next.Score)
					}
				})
				if !s.Over() || s.Winner < 0 || s.Winner > 1 || s.Score[s.Winner] < want || s.Score[1-s.Winner] >= want {
					t.Fatalf("target %d: final phase %v winner %d score %v", want, s.Phase, s.Winner, s.Score)
				}
				if s.Score[s.Winner] > want+2 {
					t.Fatalf("target %d: winner has %d (more than a Hakem-Kot past %d)", want, s.Score[s.Winner], want-1)
				}
				if len(s.Results) != s.Hand+1 || s.Turn != -1 {
					t.Fatalf("target %d: %d results in hand %d, turn %d", want, len(s.Results), s.Hand, s.Turn)
				}
				// Every hand is won at 7 tricks; under play_all_tricks all 13 are played.
				for _, res := range s.Results {
					won, lost := res.Tricks[res.Winner], res.Tricks[1-res.Winner]
					if all && (won+lost != 13 || won < 7) || !all && (won != 7 || lost > 6) {
						t.Fatalf("play_all_tricks %v: hand %+v", all, res)
					}
					if (res.Kind != game.KindNormal) != (lost == 0) {
						t.Fatalf("hand %+v: Kot kinds need a trickless loser", res)
					}
				}
			}
		}
	}
}
