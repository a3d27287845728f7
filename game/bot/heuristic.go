package bot

import "github.com/hokm-project/hokm/game"

// drawLength is how many trumps make it worth leading them to pull the
// opponents' trumps, so that our side-suit winners stop being ruffed.
const drawLength = 4

// Heuristic is a deterministic rule-of-thumb player. It remembers nothing
// between calls: everything it knows comes from the View (its cards, the
// tricks played this hand, who has shown out of which suit), so one value
// may play any number of seats, concurrently.
type Heuristic struct{}

// NewHeuristic returns a Heuristic bot.
func NewHeuristic() *Heuristic { return &Heuristic{} }

// Choose returns the Hakem's trump or the card to play, and the zero Action
// when v's seat has nothing to do.
func (*Heuristic) Choose(v game.View) game.Action {
	trump, play := mustAct(&v)
	switch {
	case trump:
		return game.ChooseTrump(chooseTrump(game.SetOf(v.Cards...)))
	case play:
		t := newTable(&v)
		return game.PlayCard(t.choose())
	}
	return game.Action{}
}

// chooseTrump picks the suit with the most cards among the first five, then
// the strongest (sum of ranks), then the one with the higher cards: length
// wins tricks by ruffing and by drawing the opponents' trumps. It differs
// from the timeout's choice (longestSuit) only on ties, on purpose: that
// one is a published rule players can predict (docs/protocol.md), this one
// tries to win.
func chooseTrump(five game.CardSet) game.Suit { return bestSuit(five, betterTrump) }

// betterTrump reports whether suit holding a makes a better trump than b.
func betterTrump(a, b game.CardSet) bool {
	if a.Len() != b.Len() {
		return a.Len() > b.Len()
	}
	if sa, sb := rankSum(a), rankSum(b); sa != sb {
		return sa > sb
	}
	return longerOrHigher(a, b)
}

// rankSum is the sum of the ranks of set, a rough measure of its strength.
func rankSum(set game.CardSet) int {
	n := 0
	for _, c := range set.Cards() {
		n += int(c.Rank())
	}
	return n
}

// choose is the card to play now.
func (t *table) choose() game.Card {
	switch {
	case t.legal.Len() == 1:
		return lowest(t.legal)
	case len(t.plays) == 0:
		return t.lead()
	}
	return t.follow()
}

// lead picks the first card of a trick: the first of these ideas that
// applies, from the most to the least profitable.
func (t *table) lead() game.Card {
	for _, idea := range []func() (game.Card, bool){t.drawTrumps, t.cashMaster, t.partnerRuff, t.lowFromLong} {
		if c, ok := idea(); ok {
			return c
		}
	}
	return t.trumpLead()
}

// drawTrumps leads our top trump when we hold many trumps, it is the master,
// and an opponent may still hold a trump: each round pulls theirs, so our
// long suits and masters can no longer be ruffed.
func (t *table) drawTrumps() (game.Card, bool) {
	trumps := t.hand.OfSuit(t.trump)
	if trumps.Len() < drawLength || !t.opponentMayHold(t.trump) {
		return 0, false
	}
	top := highest(trumps)
	return top, t.master(top)
}

// cashMaster leads a side-suit master that no opponent is likely to ruff,
// from the suit with the most cards still out (the least likely to be
// ruffed).
func (t *table) cashMaster() (game.Card, bool) {
	best, found := game.Card(0), false
	for su := game.Spades; su <= game.Clubs; su++ {
		mine := t.hand.OfSuit(su)
		if su == t.trump || mine == 0 || !t.master(highest(mine)) || t.opponentMayRuff(su) {
			continue
		}
		if !found || t.unseen.OfSuit(su).Len() > t.unseen.OfSuit(best.Suit()).Len() {
			best, found = highest(mine), true
		}
	}
	return best, found
}

// partnerRuff leads low in a side suit our partner has shown out of while he
// may still hold trumps, unless an opponent may ruff it too.
func (t *table) partnerRuff() (game.Card, bool) {
	p := game.Partner(t.seat)
	var pool game.CardSet
	for su := game.Spades; su <= game.Clubs; su++ {
		if su != t.trump && t.void[p][su] && t.mayHold(p, t.trump) && !t.opponentMayRuff(su) {
			pool |= t.hand.OfSuit(su)
		}
	}
	if pool == 0 {
		return 0, false
	}
	return lowestRank(pool), true
}

// lowFromLong leads the lowest card of our longest side suit, preferring a
// suit no opponent is likely to ruff: it gives the lead away cheaply and
// sets up the suit's remaining cards.
func (t *table) lowFromLong() (game.Card, bool) {
	best := game.NoSuit
	for su := game.Spades; su <= game.Clubs; su++ {
		if su != t.trump && t.hand.OfSuit(su) != 0 && (best == game.NoSuit || t.betterLowLead(su, best)) {
			best = su
		}
	}
	if best == game.NoSuit {
		return 0, false
	}
	return lowest(t.hand.OfSuit(best)), true
}

// betterLowLead reports whether suit a is a better suit to lead low from than
// b: not likely ruffed, then longer.
func (t *table) betterLowLead(a, b game.Suit) bool {
	if ra, rb := t.opponentMayRuff(a), t.opponentMayRuff(b); ra != rb {
		return rb
	}
	return t.hand.OfSuit(a).Len() > t.hand.OfSuit(b).Len()
}

// trumpLead is the lead when only trumps are left: the master trump if we
// have it, otherwise the lowest.
func (t *table) trumpLead() game.Card {
	if top := highest(t.hand); t.master(top) {
		return top
	}
	return lowest(t.hand)
}

// opponentMayHold reports whether an opponent may still hold a card of su.
func (t *table) opponentMayHold(su game.Suit) bool {
	opp := t.opponents()
	return t.mayHold(opp[0], su) || t.mayHold(opp[1], su)
}

// opponentMayRuff reports whether an opponent may trump a lead of su.
func (t *table) opponentMayRuff(su game.Suit) bool {
	opp := t.opponents()
	return t.canRuff(opp[0], su) || t.canRuff(opp[1], su)
}

// follow picks a card when the trick has been led: support a partner who is
// winning, otherwise win as cheaply as possible, otherwise throw the least
// useful card.
func (t *table) follow() game.Card {
	seat, w := t.winning()
	if game.Team(seat) == game.Team(t.seat) {
		return t.supportPartner(w)
	}
	winners := t.beating(w)
	switch {
	case winners == 0:
		return t.discard()
	case t.last():
		return lowest(winners)
	}
	// Prefer the cheapest card that the opponents still to play cannot beat;
	// failing that, the cheapest that wins for now, which at least makes
	// them spend a higher card.
	if sure := t.holding(winners, t.led()); sure != 0 {
		return lowest(sure)
	}
	return lowest(winners)
}

// supportPartner plays when the partner's card w is winning. If it will
// probably hold, we throw our least useful card. Otherwise we overtake only
// with a card of the suit led that will hold; we never trump the partner's
// trick, which would waste a trump.
func (t *table) supportPartner(w game.Card) game.Card {
	if t.last() || t.holds(w, t.led()) {
		return t.discard()
	}
	if sure := t.holding(t.beating(w)&suitSet(t.led()), t.led()); sure != 0 {
		return lowest(sure)
	}
	return t.discard()
}

// discard is the card to give up when we will not win the trick: the lowest
// legal card outside trump, keeping masters (future tricks) if we can; when
// void, from the shortest suit, to become void in it and ruff later.
func (t *table) discard() game.Card {
	pool := t.legal &^ suitSet(t.trump)
	if pool == 0 {
		pool = t.legal
	}
	if rest := pool &^ t.masters(pool); rest != 0 {
		pool = rest
	}
	best := lowestRank(pool)
	for _, c := range pool.Cards() {
		if c.Rank() == best.Rank() && t.hand.OfSuit(c.Suit()).Len() < t.hand.OfSuit(best.Suit()).Len() {
			best = c
		}
	}
	return best
}
