package bot

import (
	"math/bits"

	"github.com/hokm-project/hokm/game"
)

// suitSet is every card of suit su (none for NoSuit).
func suitSet(su game.Suit) game.CardSet {
	if !su.Valid() {
		return 0
	}
	return game.FullDeck.OfSuit(su)
}

// lowest is the card of set with the lowest number: within one suit, the
// lowest rank. set must not be empty.
func lowest(set game.CardSet) game.Card {
	return game.Card(bits.TrailingZeros64(uint64(set)))
}

// highest is the card of set with the highest number: within one suit, the
// highest rank. set must not be empty.
func highest(set game.CardSet) game.Card {
	return game.Card(63 - bits.LeadingZeros64(uint64(set)))
}

// lowestRank is the lowest-ranked card of set across suits; equal ranks go to
// the first suit in S H D C. set must not be empty.
func lowestRank(set game.CardSet) game.Card {
	best := game.InvalidCard
	for su := game.Spades; su <= game.Clubs; su++ {
		if s := set.OfSuit(su); s != 0 && (best == game.InvalidCard || lowest(s).Rank() < best.Rank()) {
			best = lowest(s)
		}
	}
	return best
}

// above is the set of cards of c's suit that outrank c.
func above(c game.Card) game.CardSet {
	return suitSet(c.Suit()) &^ (game.CardSet(1)<<(c+1) - 1)
}

// beats reports whether c takes the trick from w, the card winning it so far
// (which was led or has already beaten the lead).
func beats(c, w game.Card, trump game.Suit) bool {
	if c.Suit() == w.Suit() {
		return c.Rank() > w.Rank()
	}
	return c.Suit() == trump
}
