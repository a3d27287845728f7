package game_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/hokm-project/hokm/game"
)

// tcJSONCards decodes a JSON document and collects every string in it that
// looks like a card ("AS", "TD"), wherever it sits (keys included).
func tcJSONCards(t testing.TB, b []byte) []game.Card {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("bad JSON %s: %v", b, err)
	}
	var out []game.Card
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			if c, ok := game.ParseCard(x); ok {
				out = append(out, c)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for k, e := range x {
				walk(k)
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

// tcPublic is the set of cards on the table: the trick in progress and the
// completed tricks of the hand.
func tcPublic(s *game.State) game.CardSet {
	p := game.SetOf(s.Trick.Cards[:s.Trick.N]...)
	for i := 0; i < s.DoneN; i++ {
		p |= game.SetOf(s.Done[i].Cards[:]...)
	}
	return p
}

// tcMaySee is what seat may see of its own hand, from docs/rules.md: its
// first five before trump (nothing but the Hakem's under hide_until_trump),
// its whole hand after.
func tcMaySee(s *game.State, seat game.Seat) game.CardSet {
	switch {
	case seat < 0 || seat > 3 || s.Phase == game.PhaseOver:
		return 0
	case s.Phase == game.PhaseTrump && s.Rules.HideUntilTrump && seat != s.Hakem:
		return 0
	case s.Phase == game.PhaseTrump:
		return s.FirstFive[seat]
	}
	return s.Hands[seat]
}

// checkView checks seat's view of s: its own visible cards and legal cards
// only, no card of another seat anywhere in its JSON.
func checkView(t testing.TB, s *game.State, seat game.Seat) {
	t.Helper()
	v := game.ViewFor(s, seat)
	own := tcMaySee(s, seat)
	spectator := seat < 0 || seat > 3
	if spectator {
		if v.Seat != game.Spectator || v.Cards != nil || v.Legal != nil {
			t.Fatalf("spectator view (seat %d): seat %d cards %v legal %v", seat, v.Seat, v.Cards, v.Legal)
		}
	} else {
		if v.Seat != seat || game.SetOf(v.Cards...) != own || len(v.Cards) != own.Len() {
			t.Fatalf("seat %d (phase %v, Hakem %d): view cards %v, want %v", seat, s.Phase, s.Hakem, v.Cards, own.Cards())
		}
		var legal game.CardSet
		if s.Phase == game.PhasePlay && seat == s.Turn {
			legal = s.LegalCards(seat)
		}
		if game.SetOf(v.Legal...) != legal || len(v.Legal) != legal.Len() || legal&^own != 0 {
			t.Fatalf("seat %d: view legal %v, want %v", seat, v.Legal, legal.Cards())
		}
	}
	if v.Hakem != s.Hakem || v.Dealer != game.Prev(s.Hakem) || v.Phase != s.Phase.String() || v.Hand != s.Hand ||
		v.Score != s.Score || v.Tricks != s.Tricks || v.Rules != s.Rules.Normalized() || len(v.Done) != s.DoneN ||
		len(v.Trick.Plays) != s.Trick.N || !reflect.DeepEqual(v.Results, append([]game.HandResult{}, s.Results...)) {
		t.Fatalf("view %+v does not match the state", v)
	}
	if s.Phase == game.PhaseTrump && v.Trump != game.NoSuit || s.Phase == game.PhasePlay && v.Trump != s.Trump {
		t.Fatalf("view trump %v in phase %v", v.Trump, s.Phase)
	}
	if (v.Winner != nil) != s.Over() || s.Over() && *v.Winner != s.Winner {
		t.Fatalf("view winner %v, over %v", v.Winner, s.Over())
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	allowed := own | tcPublic(s)
	for _, c := range tcJSONCards(t, b) {
		if !allowed.Has(c) {
			t.Fatalf("seat %d (phase %v): view JSON shows %v, not its own nor on the table: %s", seat, s.Phase, c, b)
		}
	}
	if bytes.Contains(b, []byte(`"cards":`)) && own == 0 {
		t.Fatalf("seat %d sees no card but its view has a cards field: %s", seat, b)
	}
	if bytes.Contains(b, []byte(`"legal":`)) && spectator {
		t.Fatalf("spectator view has legal: %s", b)
	}
}

// checkEvents checks the events of one step: a private event is a
// cards_dealt for exactly one seat with only what it may now see; a public
// event holds only cards on the table (or the face-up draw).
func checkEvents(t testing.TB, prev, next *game.State, a *game.Action, evs []game.Event) {
	t.Helper()
	public := game.CardSet(0)
	if prev != nil {
		public = tcPublic(prev)
	}
	if a != nil && a.Kind == game.KindPlayCard {
		public = public.Add(a.Card)
	}
	var dealtTo [4]int
	for _, e := range evs {
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		shown := game.SetOf(tcJSONCards(t, b)...)
		if !e.Public() {
			if e.To < 0 || e.To > 3 || e.Type != game.EvCardsDealt || e.Seat != e.To {
				t.Fatalf("private event %+v", e)
			}
			dealtTo[e.To]++
			want := tcMaySee(next, e.To)
			if game.SetOf(e.Cards...) != want || len(e.Cards) != want.Len() || shown != want {
				t.Fatalf("cards_dealt to %d shows %v (JSON %s), want %v", e.To, e.Cards, b, want.Cards())
			}
			if next.Phase == game.PhaseTrump && next.Rules.HideUntilTrump && e.To != next.Hakem {
				t.Fatalf("hide_until_trump: seat %d (not the Hakem) got cards %v before trump", e.To, e.Cards)
			}
			continue
		}
		switch e.Type {
		case game.EvCardsDealt:
			t.Fatalf("public cards_dealt %+v", e)
		case game.EvMatchStarted:
			if shown != game.SetOf(e.Cards...) || len(e.Cards) > 0 && e.Cards[len(e.Cards)-1].Rank() != 14 {
				t.Fatalf("match_started shows more than the draw: %s", b)
			}
		default:
			if shown&^public != 0 {
				t.Fatalf("public %s shows %v, not on the table: %s", e.Type, (shown &^ public).Cards(), b)
			}
		}
	}
	// After a deal and after trump, every seat that may now see cards is told
	// once; at other times nobody is told anything.
	told := false
	for _, e := range evs {
		told = told || e.Type == game.EvHandStarted || e.Type == game.EvTrumpChosen
	}
	for seat, n := range dealtTo {
		want := 0
		if told && tcMaySee(next, seat) != 0 {
			want = 1
		}
		if n != want {
			t.Fatalf("seat %d told its cards %d times, want %d (events %v)", seat, n, want, evs)
		}
	}
}

// TestViewsAndEventsHideCards follows random matches under every rule set and
// checks every view (4 seats and spectators) and every event of every step.
func TestViewsAndEventsHideCards(t *testing.T) {
	t.Parallel()
	for i, r := range []game.Rules{ // each option on and off, hide_until_trump with each other option
		{Target: 3},
		{Target: 5, HideUntilTrump: true},
		{Target: 3, HideUntilTrump: true, PlayAllTricks: true, RandomFirstHakem: true},
		{PlayAllTricks: true, RandomFirstHakem: true},
	} {
		s, evs, err := game.NewMatch(r, uint64(500+i))
		if err != nil {
			t.Fatal(err)
		}
		checkEvents(t, nil, &s, nil, evs)
		for seat := -2; seat <= 5; seat++ {
			checkView(t, &s, seat)
		}
		step := 0
		tcRandomPlay(t, s, uint64(i), 1<<20, func(st tcStep) {
			checkEvents(t, &st.Prev, &st.Next, &st.Action, st.Events)
			for seat := -1; seat <= 3; seat++ {
				checkView(t, &st.Next, seat)
			}
			if step++; step%10 == 0 {
				checkView(t, &st.Next, 4)
				checkView(t, &st.Next, 99)
			}
		})
	}
}

// TestViewBeforeTrump: before trump each seat sees its first packet of five
// (deck[0..4] for the Hakem, and so on), or under hide_until_trump only the
// Hakem sees his; after trump every seat sees its 13 cards.
func TestViewBeforeTrump(t *testing.T) {
	t.Parallel()
	deck := game.DeckFor(9, 0)
	for _, hide := range []bool{false, true} {
		for hakem := 0; hakem < 4; hakem++ {
			r := game.Rules{HideUntilTrump: hide}
			s, evs, err := game.NewMatchFromDecks(r, hakem, []game.Deck{deck})
			if err != nil {
				t.Fatal(err)
			}
			var told [4][]game.Card
			for _, e := range evs {
				if e.Type == game.EvCardsDealt {
					told[e.To] = e.Cards
				}
			}
			for k := 0; k < 4; k++ {
				seat := (hakem + k) % 4
				var want game.CardSet
				if !hide || seat == hakem {
					want = game.SetOf(deck[5*k : 5*k+5]...)
				}
				v := game.ViewFor(&s, seat)
				if game.SetOf(v.Cards...) != want || len(v.Cards) != want.Len() {
					t.Errorf("hide %v Hakem %d seat %d: view %v, want %v", hide, hakem, seat, v.Cards, want.Cards())
				}
				if game.SetOf(told[seat]...) != want || len(told[seat]) != want.Len() {
					t.Errorf("hide %v Hakem %d seat %d: cards_dealt %v, want %v", hide, hakem, seat, told[seat], want.Cards())
				}
				if len(v.Legal) != 0 || v.HandSizes[seat] != 5 || v.Trump != game.NoSuit || v.Turn != hakem {
					t.Errorf("trump phase view %+v", v)
				}
			}
			// Trump chosen: everyone is told its whole hand.
			n, evs := tcDo(t, s, hakem, game.ChooseTrump(game.Diamonds))
			told = [4][]game.Card{}
			for _, e := range evs {
				if e.Type == game.EvCardsDealt {
					told[e.To] = e.Cards
				}
			}
			for seat := 0; seat < 4; seat++ {
				v := game.ViewFor(&n, seat)
				if len(v.Cards) != 13 || game.SetOf(v.Cards...) != n.Hands[seat] || len(told[seat]) != 13 ||
					game.SetOf(told[seat]...) != n.Hands[seat] || v.HandSizes[seat] != 13 || v.Trump != game.Diamonds {
					t.Errorf("hide %v seat %d after trump: view %v told %v", hide, seat, v.Cards, told[seat])
				}
				if (seat == hakem) != (len(v.Legal) == 13) {
					t.Errorf("seat %d legal %v (Hakem %d leads)", seat, v.Legal, hakem)
				}
			}
			if evs[0].Type != game.EvTrumpChosen || !evs[0].Public() || evs[0].Suit != game.Diamonds || evs[0].Seat != hakem {
				t.Errorf("trump_chosen %+v", evs[0])
			}
		}
	}
}

// TestViewJSON pins the shape of a view's JSON for a seat and a spectator.
func TestViewJSON(t *testing.T) {
	t.Parallel()
	s := tcStart(t, game.Rules{Target: 5}, tcDeal{1, spsHands("SHDC")})
	s, _ = tcDo(t, s, 1, game.ChooseTrump(game.Hearts))
	s = tcPlays(t, s, "AH 2D")
	check := func(seat game.Seat, want string) {
		t.Helper()
		b, err := json.Marshal(game.ViewFor(&s, seat))
		if err != nil {
			t.Fatal(err)
		}
		var got, exp any
		_ = json.Unmarshal(b, &got)
		if err := json.Unmarshal([]byte(want), &exp); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, exp) {
			t.Errorf("seat %d view:\n got %s\nwant %s", seat, b, want)
		}
	}
	common := `"rules":{"target":5},"phase":"play","hand":0,"hakem":1,"dealer":0,"trump":"H","turn":3,` +
		`"hand_sizes":[13,12,12,13],"trick":{"leader":1,"plays":[{"seat":1,"card":"AH"},{"seat":2,"card":"2D"}]},` +
		`"done":[],"tricks":[0,0],"score":[0,0],"results":[],"winner":null`
	check(game.Spectator, `{"seat":-1,`+common+`}`)
	check(7, `{"seat":-1,`+common+`}`)
	check(3, `{"seat":3,"cards":["2C","3C","4C","5C","6C","7C","8C","9C","TC","JC","QC","KC","AC"],`+
		`"legal":["2C","3C","4C","5C","6C","7C","8C","9C","TC","JC","QC","KC","AC"],`+common+`}`)
	check(2, `{"seat":2,"cards":["3D","4D","5D","6D","7D","8D","9D","TD","JD","QD","KD","AD"],`+common+`}`)
}

// TestEventJSON pins the wire shape of each event type.
func TestEventJSON(t *testing.T) {
	t.Parallel()
	res := game.HandResult{Hakem: 1, Trump: game.Clubs, Tricks: [2]int{0, 7}, Winner: 1, Points: 2, Kind: game.KindKot}
	for _, tc := range []struct {
		e    game.Event
		want string
	}{
		{game.Event{Type: game.EvMatchStarted, To: game.Everyone, Seat: 2, Cards: tcCards(t, "5D KC AH")},
			`{"type":"match_started","hand":0,"first_hakem":2,"draw":["5D","KC","AH"]}`},
		{game.Event{Type: game.EvMatchStarted, To: game.Everyone, Seat: 3},
			`{"type":"match_started","hand":0,"first_hakem":3}`},
		{game.Event{Type: game.EvHandStarted, To: game.Everyone, Hand: 2, Seat: 0, Dealer: 3},
			`{"type":"hand_started","hand":2,"hakem":0,"dealer":3}`},
		{game.Event{Type: game.EvCardsDealt, To: 1, Hand: 1, Seat: 1, Cards: tcCards(t, "2S AH")},
			`{"type":"cards_dealt","hand":1,"seat":1,"count":2,"cards":["2S","AH"]}`},
		{game.Event{Type: game.EvCardsDealt, To: 1, Seat: 1, Cards: []game.Card{}},
			`{"type":"cards_dealt","hand":0,"seat":1,"count":0,"cards":[]}`},
		// The redacted form everyone else receives: the count, no cards.
		{game.Event{Type: game.EvCardsDealt, To: 1, Hand: 1, Seat: 1, Cards: tcCards(t, "2S AH")}.Redacted(),
			`{"type":"cards_dealt","hand":1,"seat":1,"count":2}`},
		{game.Event{Type: game.EvTrumpChosen, To: game.Everyone, Seat: 1, Suit: game.Diamonds},
			`{"type":"trump_chosen","hand":0,"seat":1,"suit":"D"}`},
		{game.Event{Type: game.EvCardPlayed, To: game.Everyone, Seat: 3, Card: tcCard(t, "TS")},
			`{"type":"card_played","hand":0,"seat":3,"card":"TS"}`},
		{game.Event{Type: game.EvTrickWon, To: game.Everyone, Seat: 2, Leader: 3, Cards: tcCards(t, "2H 3H 4H 5H"), Tricks: [2]int{1, 0}},
			`{"type":"trick_won","hand":0,"winner":2,"leader":3,"cards":["2H","3H","4H","5H"],"tricks":[1,0]}`},
		{game.Event{Type: game.EvHandEnded, To: game.Everyone, Hand: 4, Result: &res, Score: [2]int{3, 5}},
			`{"type":"hand_ended","hand":4,"result":{"hakem":1,"trump":"C","tricks":[0,7],"winner":1,"points":2,"kind":"kot"},"score":[3,5]}`},
		{game.Event{Type: game.EvMatchEnded, To: game.Everyone, Hand: 4, Winner: 1, Score: [2]int{3, 7}},
			`{"type":"match_ended","hand":4,"winner":1,"score":[3,7]}`},
	} {
		b, err := json.Marshal(tc.e)
		if err != nil {
			t.Fatal(err)
		}
		var got, want any
		_ = json.Unmarshal(b, &got)
		_ = json.Unmarshal([]byte(tc.want), &want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %s\nwant %s", tc.e.Type, b, tc.want)
		}
	}
}

// TestVisibleAfterMatch: once the match is over nobody holds or sees a card,
// and the view still shows the final trick and the winner.
func TestVisibleAfterMatch(t *testing.T) {
	t.Parallel()
	s := errorTableState(t, atOver)
	for seat := -1; seat <= 4; seat++ {
		v := game.ViewFor(&s, seat)
		if len(v.Cards) != 0 || len(v.Legal) != 0 || v.Turn != -1 || v.Winner == nil || *v.Winner != 1 || v.Phase != "over" ||
			len(v.Done) != 7 || v.HandSizes != [4]int{} {
			t.Errorf("seat %d: view after the match %+v", seat, v)
		}
	}
}
