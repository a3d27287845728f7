package bot

import "github.com/hokm-project/hokm/game"

// table is what a seat knows of the hand in play, all of it derived from its
// View: its own cards, every card played so far, and which seats have shown
// out of a suit (a seat that did not follow suit holds none of it).
type table struct {
	seat   game.Seat
	trump  game.Suit
	hand   game.CardSet // own remaining cards
	legal  game.CardSet // the cards that may be played now
	unseen game.CardSet // cards in the other three hands
	void   [4][4]bool   // void[seat][suit]: seat showed out of suit
	plays  []game.Play  // the trick in progress, in play order
}

// newTable reads v, the view of a seat that is to play a card.
func newTable(v *game.View) table {
	t := table{
		seat: v.Seat, trump: v.Trump, plays: v.Trick.Plays,
		hand: game.SetOf(v.Cards...), legal: game.SetOf(v.Legal...),
	}
	var played game.CardSet
	for i := range v.Done {
		played |= t.observe(v.Done[i].Plays)
	}
	played |= t.observe(v.Trick.Plays)
	t.unseen = game.FullDeck &^ played &^ t.hand
	return t
}

// observe notes the seats that showed out of the suit led in plays and
// returns the cards played.
func (t *table) observe(plays []game.Play) game.CardSet {
	var set game.CardSet
	for _, p := range plays {
		set = set.Add(p.Card)
		if led := plays[0].Card.Suit(); p.Card.Suit() != led {
			t.void[p.Seat][led] = true
		}
	}
	return set
}

// opponents are the two seats of the other team.
func (t *table) opponents() [2]game.Seat {
	return [2]game.Seat{game.Next(t.seat), game.Prev(t.seat)}
}

// mayHold reports whether seat (another seat) may still hold a card of su.
func (t *table) mayHold(seat game.Seat, su game.Suit) bool {
	return !t.void[seat][su] && t.unseen.OfSuit(su) != 0
}

// canRuff reports whether seat may trump a lead of su: it has shown out of
// su and may still hold a trump. A seat that has not shown out is taken to
// follow suit; guessing voids from how few cards of a suit are left made the
// bot win fewer hands, both against Random and head to head.
func (t *table) canRuff(seat game.Seat, su game.Suit) bool {
	return su != t.trump && t.void[seat][su] && t.mayHold(seat, t.trump)
}

// master reports whether c is the highest card of its suit still out: every
// higher card has been played or is in our own hand.
func (t *table) master(c game.Card) bool { return t.unseen&above(c) == 0 }

// masters is the subset of set that are masters.
func (t *table) masters(set game.CardSet) game.CardSet {
	var out game.CardSet
	for _, c := range set.Cards() {
		if t.master(c) {
			out = out.Add(c)
		}
	}
	return out
}

// led is the suit led to the trick in progress.
func (t *table) led() game.Suit { return t.plays[0].Card.Suit() }

// last reports whether our card closes the trick.
func (t *table) last() bool { return len(t.plays) == 3 }

// winning is the seat and card winning the trick in progress so far.
func (t *table) winning() (game.Seat, game.Card) {
	best := t.plays[0]
	for _, p := range t.plays[1:] {
		if beats(p.Card, best.Card, t.trump) {
			best = p
		}
	}
	return best.Seat, best.Card
}

// beating is the subset of legal cards that would take the trick from w.
func (t *table) beating(w game.Card) game.CardSet {
	var out game.CardSet
	for _, c := range t.legal.Cards() {
		if beats(c, w, t.trump) {
			out = out.Add(c)
		}
	}
	return out
}

// opponentsAfter are the opponents still to play to the trick after us.
func (t *table) opponentsAfter() []game.Seat {
	var out []game.Seat
	for k := 1; k < 4-len(t.plays); k++ {
		if s := (t.seat + k) % 4; game.Team(s) != game.Team(t.seat) {
			out = append(out, s)
		}
	}
	return out
}

// holds reports whether c, winning a trick led in led, is safe from the
// opponents still to play, as far as we can tell.
func (t *table) holds(c game.Card, led game.Suit) bool {
	for _, opp := range t.opponentsAfter() {
		if t.canBeat(opp, c, led) {
			return false
		}
	}
	return true
}

// holding is the subset of set whose cards would hold (see holds).
func (t *table) holding(set game.CardSet, led game.Suit) game.CardSet {
	var out game.CardSet
	for _, c := range set.Cards() {
		if t.holds(c, led) {
			out = out.Add(c)
		}
	}
	return out
}

// canBeat reports whether opp may beat c, the card winning a trick led in
// led: with a higher card of c's suit, or by trumping a non-trump.
func (t *table) canBeat(opp game.Seat, c game.Card, led game.Suit) bool {
	higher := t.unseen&above(c) != 0
	if c.Suit() == t.trump {
		return higher && t.mayHold(opp, t.trump) && (led == t.trump || t.void[opp][led])
	}
	return (higher && t.mayHold(opp, led)) || t.canRuff(opp, led)
}
