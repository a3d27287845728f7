package bot

import "github.com/hokm-project/hokm/game"

// TimeoutAction is the move the server makes for a seat whose time ran out,
// decided from that seat's view, game.ViewFor(&state, seat), so it can never
// use a card the player could not see. It is deterministic:
//   - trump: the longest suit of the Hakem's first five cards, ties broken by
//     the higher cards (the suit whose cards, compared from the highest down,
//     are higher), then by suit order S H D C;
//   - a card: the lowest-ranked legal card that is not a trump; only when
//     every legal card is a trump, the lowest trump. Equal ranks go to the
//     suit that comes first in S H D C.
//
// It returns the zero Action, which game.Apply rejects, when the seat has
// nothing to do.
func TimeoutAction(v game.View) game.Action {
	trump, play := mustAct(&v)
	switch {
	case trump:
		return game.ChooseTrump(longestSuit(game.SetOf(v.Cards...)))
	case play:
		return game.PlayCard(lowestPreferNonTrump(game.SetOf(v.Legal...), v.Trump))
	}
	return game.Action{}
}

// TimeoutFor is TimeoutAction of seat's view of s.
func TimeoutFor(s *game.State, seat game.Seat) game.Action {
	return TimeoutAction(game.ViewFor(s, seat))
}

// Timeout is a Bot that always makes the timeout move; the server can let it
// hold the seat of a player who keeps timing out.
type Timeout struct{}

// Choose returns TimeoutAction(v).
func (Timeout) Choose(v game.View) game.Action { return TimeoutAction(v) }

// longestSuit is the suit with the most cards in set, ties broken by the
// higher cards, then by suit order. With an empty set it is Spades.
func longestSuit(set game.CardSet) game.Suit { return bestSuit(set, longerOrHigher) }

// bestSuit is the suit whose cards in set better ranks above the others'
// (the first in suit order S H D C among equals).
func bestSuit(set game.CardSet, better func(a, b game.CardSet) bool) game.Suit {
	best := game.Spades
	for su := game.Hearts; su <= game.Clubs; su++ {
		if better(set.OfSuit(su), set.OfSuit(best)) {
			best = su
		}
	}
	return best
}

// longerOrHigher reports whether suit holding a beats b: more cards, or as
// many and higher ranks compared from the top down.
func longerOrHigher(a, b game.CardSet) bool {
	if a.Len() != b.Len() {
		return a.Len() > b.Len()
	}
	ra, rb := ranksDown(a), ranksDown(b)
	for i := range ra {
		if ra[i] != rb[i] {
			return ra[i] > rb[i]
		}
	}
	return false
}

// ranksDown lists the ranks of a one-suit set from the highest down.
func ranksDown(set game.CardSet) []game.Rank {
	cards := set.Cards()
	out := make([]game.Rank, len(cards))
	for i, c := range cards {
		out[len(cards)-1-i] = c.Rank()
	}
	return out
}

// lowestPreferNonTrump is the lowest-ranked card of set outside trump, or the
// lowest trump when set holds only trumps. Equal ranks go to the first suit.
func lowestPreferNonTrump(set game.CardSet, trump game.Suit) game.Card {
	if side := set &^ suitSet(trump); side != 0 {
		return lowestRank(side)
	}
	return lowestRank(set)
}
