package game

import "fmt"

// NewMatch starts a match with rules r whose every card comes from seed:
// the first Hakem (ace draw, or a random seat under RandomFirstHakem) and
// each hand's deck order (DeckFor). It returns the state with the first hand
// dealt and the events that produced it.
func NewMatch(r Rules, seed uint64) (State, []Event, error) {
	if err := r.Validate(); err != nil {
		return State{}, nil, err
	}
	var draw []Card
	first := randomSeat(seed)
	if !r.RandomFirstHakem {
		draw = HakemDraw(seed)
		first, _ = HakemFromDraw(draw)
	}
	s, evs := start(State{Rules: r, Seed: seed}, first, draw)
	return s, evs, nil
}

// NewMatchFromDecks starts a match with a given first Hakem whose hands are
// dealt from decks in turn (as a game record describes it). Every deck must
// hold 52 distinct cards. Hands beyond the decks fall back to DeckFor(0, h);
// a replay stops before reaching them.
func NewMatchFromDecks(r Rules, firstHakem Seat, decks []Deck) (State, []Event, error) {
	if err := r.Validate(); err != nil {
		return State{}, nil, err
	}
	if firstHakem < 0 || firstHakem > 3 {
		return State{}, nil, fmt.Errorf("game: first Hakem must be a seat 0..3, not %d", firstHakem)
	}
	for i := range decks {
		if !decks[i].Valid() {
			return State{}, nil, fmt.Errorf("game: deck %d is not 52 distinct cards", i)
		}
	}
	s, evs := start(State{Rules: r, Decks: decks}, firstHakem, nil)
	return s, evs, nil
}

func start(s State, first Seat, draw []Card) (State, []Event) {
	s.FirstHakem, s.Hakem, s.Winner = first, first, -1
	evs := []Event{{Type: EvMatchStarted, To: Everyone, Seat: first, Cards: draw}}
	evs = s.deal(evs)
	return s, evs
}

// deal starts hand s.Hand with s.Hakem: deck dealt 5–4–4, Hakem to choose trump.
func (s *State) deal(evs []Event) []Event {
	deck := s.DeckOf(s.Hand)
	s.Hands, s.FirstFive = dealTo(&deck, s.Hakem)
	s.Phase, s.Trump, s.Turn = PhaseTrump, NoSuit, s.Hakem
	s.Trick, s.Done, s.DoneN, s.Tricks = Trick{Leader: s.Hakem}, [13]Trick{}, 0, [2]int{}
	evs = append(evs, Event{Type: EvHandStarted, To: Everyone, Hand: s.Hand, Seat: s.Hakem, Dealer: s.Dealer()})
	return s.dealtEvents(evs)
}

// dealtEvents tells each seat, privately, what it may now see of its hand.
func (s *State) dealtEvents(evs []Event) []Event {
	for seat := 0; seat < 4; seat++ {
		if v := s.Visible(seat); v != 0 {
			evs = append(evs, Event{Type: EvCardsDealt, To: seat, Hand: s.Hand, Seat: seat, Cards: v.Cards()})
		}
	}
	return evs
}

// Apply applies seat's action to s. It returns the next state and the events
// the action produced, or s unchanged and an *Error with the first code that
// applies: for a trump choice game_over, wrong_phase, not_hakem, invalid_suit;
// for a card play game_over, wrong_phase, not_your_turn, invalid_card,
// card_not_in_hand, must_follow_suit.
func Apply(s State, seat Seat, a Action) (State, []Event, error) {
	if s.Phase == PhaseOver {
		return s, nil, ErrGameOver
	}
	switch a.Kind {
	case KindChooseTrump:
		return chooseTrump(s, seat, a.Suit)
	case KindPlayCard:
		return playCard(s, seat, a.Card)
	}
	return s, nil, ErrWrongPhase
}

// Check reports the error Apply would return, without building a new state.
func Check(s *State, seat Seat, a Action) error {
	if s.Phase == PhaseOver {
		return ErrGameOver
	}
	switch a.Kind {
	case KindChooseTrump:
		return checkTrump(s, seat, a.Suit)
	case KindPlayCard:
		return checkPlay(s, seat, a.Card)
	}
	return ErrWrongPhase
}

func checkTrump(s *State, seat Seat, su Suit) error {
	switch {
	case s.Phase != PhaseTrump:
		return ErrWrongPhase
	case seat != s.Hakem:
		return ErrNotHakem
	case !su.Valid():
		return ErrInvalidSuit
	}
	return nil
}

func chooseTrump(s State, seat Seat, su Suit) (State, []Event, error) {
	if err := checkTrump(&s, seat, su); err != nil {
		return s, nil, err
	}
	s.Trump, s.Phase = su, PhasePlay
	evs := []Event{{Type: EvTrumpChosen, To: Everyone, Hand: s.Hand, Seat: seat, Suit: su}}
	return s, s.dealtEvents(evs), nil
}

func checkPlay(s *State, seat Seat, c Card) error {
	switch {
	case s.Phase != PhasePlay:
		return ErrWrongPhase
	case seat != s.Turn:
		return ErrNotYourTurn
	case !c.Valid():
		return ErrInvalidCard
	case !s.Hands[seat].Has(c):
		return ErrCardNotInHand
	case !s.LegalCards(seat).Has(c):
		return ErrMustFollowSuit
	}
	return nil
}

func playCard(s State, seat Seat, c Card) (State, []Event, error) {
	if err := checkPlay(&s, seat, c); err != nil {
		return s, nil, err
	}
	s.Hands[seat] = s.Hands[seat].Remove(c)
	s.Trick.Cards[s.Trick.N] = c
	s.Trick.N++
	s.Turn = Next(seat)
	evs := []Event{{Type: EvCardPlayed, To: Everyone, Hand: s.Hand, Seat: seat, Card: c}}
	if s.Trick.N == 4 {
		evs = s.closeTrick(evs)
	}
	return s, evs, nil
}

// TrickWinner is the seat that wins trick t (4 cards) under trump: the
// highest trump, or else the highest card of the suit led.
func TrickWinner(t *Trick, trump Suit) Seat {
	best := 0
	for i := 1; i < 4; i++ {
		if beats(t.Cards[i], t.Cards[best], trump) {
			best = i
		}
	}
	return (t.Leader + best) % 4
}

// beats reports whether c beats the currently winning card w, which was
// either led or has already beaten the lead.
func beats(c, w Card, trump Suit) bool {
	switch {
	case c.Suit() == w.Suit():
		return c.Rank() > w.Rank()
	case c.Suit() == trump:
		return true
	}
	return false
}

func (s *State) closeTrick(evs []Event) []Event {
	t := s.Trick
	t.Winner = TrickWinner(&t, s.Trump)
	s.Done[s.DoneN] = t
	s.DoneN++
	s.Tricks[Team(t.Winner)]++
	s.Trick, s.Turn = Trick{Leader: t.Winner}, t.Winner
	evs = append(evs, Event{Type: EvTrickWon, To: Everyone, Hand: s.Hand, Seat: t.Winner, Leader: t.Leader,
		Cards: append([]Card(nil), t.Cards[:]...), Tricks: s.Tricks})
	if s.handDecided() {
		evs = s.endHand(evs)
	}
	return evs
}

func (s *State) handDecided() bool {
	if s.Rules.PlayAllTricks {
		return s.DoneN == 13
	}
	return s.Tricks[0] == 7 || s.Tricks[1] == 7
}

// Score is the result of a hand won by team winner with final tricks under
// Hakem hakem: 1 normally, 2 for Kot (Hakem's team 7–0), 3 for Hakem-Kot.
func Score(hakem Seat, tricks [2]int, winner int) (int, Kind) {
	switch {
	case tricks[1-winner] > 0:
		return 1, KindNormal
	case winner == Team(hakem):
		return 2, KindKot
	}
	return 3, KindHakemKot
}

func (s *State) endHand(evs []Event) []Event {
	w := 0
	if s.Tricks[1] > s.Tricks[0] {
		w = 1
	}
	pts, kind := Score(s.Hakem, s.Tricks, w)
	r := HandResult{Hakem: s.Hakem, Trump: s.Trump, Tricks: s.Tricks, Winner: w, Points: pts, Kind: kind}
	s.Score[w] += pts
	// Full slice expression: the append must never write into an array that
	// an earlier State shares.
	s.Results = append(s.Results[:len(s.Results):len(s.Results)], r)
	evs = append(evs, Event{Type: EvHandEnded, To: Everyone, Hand: s.Hand, Result: &r, Score: s.Score})
	if s.Score[w] >= s.Rules.TargetPoints() {
		s.Phase, s.Winner, s.Turn = PhaseOver, w, -1
		s.Hands, s.FirstFive = [4]CardSet{}, [4]CardSet{}
		return append(evs, Event{Type: EvMatchEnded, To: Everyone, Hand: s.Hand, Winner: w, Score: s.Score})
	}
	if w != Team(s.Hakem) {
		s.Hakem = Next(s.Hakem)
	}
	s.Hand++
	return s.deal(evs)
}
