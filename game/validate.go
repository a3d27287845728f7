package game

import "fmt"

// Validate checks that s is a state the engine could have reached: every
// card in exactly one place, counts, turn, tricks and scores consistent.
// Decoding uses it; tests run it after every action.
func (s *State) Validate() error {
	if err := s.Rules.Validate(); err != nil {
		return err
	}
	if err := s.validateShape(); err != nil {
		return err
	}
	if err := s.validateCards(); err != nil {
		return err
	}
	return s.validateScore()
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("game: invalid state: "+format, args...)
}

func seatOK(x int) bool { return x >= 0 && x <= 3 }

func (s *State) validateShape() error {
	switch {
	case s.Phase < PhaseTrump || s.Phase > PhaseOver:
		return invalid("phase %d", s.Phase)
	case !seatOK(s.FirstHakem) || !seatOK(s.Hakem):
		return invalid("Hakem out of range")
	case s.Phase == PhaseTrump && (s.Trump != NoSuit || s.Turn != s.Hakem):
		return invalid("trump phase with trump set or turn not the Hakem's")
	case s.Phase == PhasePlay && !s.Trump.Valid():
		return invalid("play phase without trump")
	case s.Phase == PhaseOver && (s.Turn != -1 || (s.Winner != 0 && s.Winner != 1)):
		return invalid("finished match without winner")
	case s.Phase != PhaseOver && (s.Winner != -1 || !seatOK(s.Turn)):
		return invalid("running match with a winner or no turn")
	case !seatOK(s.Trick.Leader) || s.Trick.N < 0 || s.Trick.N > 3:
		return invalid("trick in progress")
	case s.Phase == PhasePlay && s.Turn != (s.Trick.Leader+s.Trick.N)%4:
		return invalid("turn %d does not follow the trick", s.Turn)
	case s.DoneN < 0 || s.DoneN > 13 || s.Tricks[0]+s.Tricks[1] != s.DoneN:
		return invalid("trick counts")
	case s.Phase != PhaseOver && (s.Tricks[0] >= 7 || s.Tricks[1] >= 7) && !s.Rules.PlayAllTricks:
		return invalid("hand should have ended")
	case s.Phase != PhasePlay && (s.Trick.N != 0 || (s.Phase == PhaseTrump && s.DoneN != 0)):
		return invalid("cards on the table outside play")
	}
	// The Hakem leads the first trick; each trick's winner leads the next.
	if s.Phase != PhaseOver {
		leader := s.Hakem
		if s.DoneN > 0 {
			leader = s.Done[s.DoneN-1].Winner
		}
		if s.Trick.Leader != leader {
			return invalid("seat %d leads the trick, not %d", s.Trick.Leader, leader)
		}
	}
	if s.Phase != PhaseOver && s.DoneN == 13 {
		return invalid("hand should have ended")
	}
	var won [2]int
	for i := 0; i < s.DoneN; i++ {
		if seatOK(s.Done[i].Winner) {
			won[Team(s.Done[i].Winner)]++
		}
	}
	if won != s.Tricks {
		return invalid("trick counts %v do not match the tricks won %v", s.Tricks, won)
	}
	for i := 0; i < s.DoneN; i++ {
		t := &s.Done[i]
		want := s.Hakem
		if i > 0 {
			want = s.Done[i-1].Winner
		}
		if t.Leader != want || t.N != 4 {
			return invalid("completed trick %d", i)
		}
	}
	for i := range s.Decks {
		if !s.Decks[i].Valid() {
			return invalid("deck %d is not 52 distinct cards", i)
		}
	}
	return nil
}

func (s *State) validateCards() error {
	var seen CardSet
	place := func(c Card) error {
		if !c.Valid() || seen.Has(c) {
			return invalid("card %d missing or in two places", c)
		}
		seen = seen.Add(c)
		return nil
	}
	for i := 0; i < s.DoneN; i++ {
		for _, c := range s.Done[i].Cards {
			if err := place(c); err != nil {
				return err
			}
		}
		if TrickWinner(&s.Done[i], s.Trump) != s.Done[i].Winner {
			return invalid("trick %d has the wrong winner", i)
		}
	}
	for _, c := range s.Trick.Cards[:s.Trick.N] {
		if err := place(c); err != nil {
			return err
		}
	}
	if s.Phase == PhaseOver {
		if s.Hands != [4]CardSet{} || s.FirstFive != [4]CardSet{} {
			return invalid("cards held after the match ended")
		}
		return nil
	}
	for seat, h := range s.Hands {
		if h&^FullDeck != 0 || seen&h != 0 {
			return invalid("seat %d holds a card twice", seat)
		}
		seen |= h
		if s.Phase == PhaseTrump && (s.FirstFive[seat].Len() != 5 || s.FirstFive[seat]&^h != 0) {
			return invalid("seat %d first five", seat)
		}
		want := 13 - s.DoneN
		if (seat-s.Trick.Leader+4)%4 < s.Trick.N {
			want-- // already played to the trick in progress
		}
		if h.Len() != want {
			return invalid("seat %d holds %d cards, not %d", seat, h.Len(), want)
		}
	}
	if seen != FullDeck {
		return invalid("cards missing")
	}
	return nil
}

func (s *State) validateScore() error {
	if len(s.Results) > 13 {
		return invalid("%d hands", len(s.Results))
	}
	var score [2]int
	hakem := s.FirstHakem // the Hakem of each hand follows from the one before
	for i, r := range s.Results {
		if r.Hakem != hakem {
			return invalid("hand %d has Hakem %d, the rules give %d", i, r.Hakem, hakem)
		}
		if r.Winner != Team(r.Hakem) {
			hakem = Next(r.Hakem)
		}
		if r.Winner != 0 && r.Winner != 1 || !seatOK(r.Hakem) || !r.Trump.Valid() {
			return invalid("hand result %d", i)
		}
		if !s.possibleTricks(r) {
			return invalid("hand result %d has impossible tricks %v", i, r.Tricks)
		}
		if pts, kind := Score(r.Hakem, r.Tricks, r.Winner); pts != r.Points || kind != r.Kind {
			return invalid("hand result %d scored wrong", i)
		}
		score[r.Winner] += r.Points
	}
	target := s.Rules.TargetPoints()
	wantHand := len(s.Results)
	if s.Phase == PhaseOver {
		wantHand--
		if score[s.Winner] < target || score[1-s.Winner] >= target {
			return invalid("winner has not reached the target")
		}
	} else if score[0] >= target || score[1] >= target {
		return invalid("running match past its target")
	}
	if s.Phase != PhaseOver && s.Hakem != hakem {
		return invalid("Hakem %d, the rules give %d", s.Hakem, hakem)
	}
	if score != s.Score || s.Hand != wantHand {
		return invalid("score or hand number does not match the results")
	}
	return nil
}

// possibleTricks reports whether a hand can end with r.Tricks: the winner
// at exactly 7 and the losers below (or, playing all 13, 7 or more of 13).
func (s *State) possibleTricks(r HandResult) bool {
	w, l := r.Tricks[r.Winner], r.Tricks[1-r.Winner]
	if l < 0 {
		return false
	}
	if s.Rules.PlayAllTricks {
		return w >= 7 && w+l == 13
	}
	return w == 7 && l < 7
}
