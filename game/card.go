// Package game is the pure rules engine of 4-player Hokm.
//
// It imports only the standard library: no clock, no global randomness, no I/O.
// Apply is the only mutator; every other function reads a State.
package game

import (
	"encoding/json"
	"fmt"
	"math/bits"
)

// Suit is one of the four suits. The order S H D C is the wire order.
type Suit uint8

// The suits. NoSuit marks "not chosen" (trump before the Hakem speaks) and
// InvalidSuit a value that failed to parse.
const (
	Spades Suit = iota
	Hearts
	Diamonds
	Clubs
	NoSuit      Suit = 0xFE
	InvalidSuit Suit = 0xFF
)

const suitLetters = "SHDC"

// Valid reports whether s is one of the four suits.
func (s Suit) Valid() bool { return s < 4 }

func (s Suit) String() string {
	if s.Valid() {
		return suitLetters[s : s+1]
	}
	return ""
}

// ParseSuit parses exactly one of "S", "H", "D", "C". Anything else returns
// InvalidSuit and false.
func ParseSuit(str string) (Suit, bool) {
	if len(str) == 1 {
		for i := 0; i < 4; i++ {
			if suitLetters[i] == str[0] {
				return Suit(i), true
			}
		}
	}
	return InvalidSuit, false
}

// MarshalJSON writes the suit letter, or null when no suit is set.
func (s Suit) MarshalJSON() ([]byte, error) { return s.appendJSON(nil), nil }

func (s Suit) appendJSON(b []byte) []byte {
	if !s.Valid() {
		return append(b, "null"...)
	}
	return append(b, '"', suitLetters[s], '"')
}

// UnmarshalJSON accepts a suit letter, or null for no suit.
func (s *Suit) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*s = NoSuit
		return nil
	}
	var str string
	if err := json.Unmarshal(b, &str); err != nil {
		return err
	}
	v, ok := ParseSuit(str)
	if !ok {
		return fmt.Errorf("game: invalid suit %q", str)
	}
	*s = v
	return nil
}

// Rank is a card's rank, 2 (low) to 14 (ace).
type Rank uint8

const rankLetters = "23456789TJQKA"

// Card is one of the 52 cards, numbered suit*13 + (rank-2). InvalidCard is
// what a malformed card string parses to; Apply rejects it with invalid_card.
type Card uint8

// InvalidCard is not a card; NoCard marks an empty slot in a trick.
const (
	InvalidCard Card = 0xFF
	NoCard      Card = 0xFE
)

// NewCard builds a card from suit and rank (2..14).
func NewCard(s Suit, r Rank) Card { return Card(uint8(s)*13 + uint8(r) - 2) }

// Valid reports whether c is one of the 52 cards.
func (c Card) Valid() bool { return c < 52 }

// Suit of the card.
func (c Card) Suit() Suit { return Suit(c / 13) }

// Rank of the card, 2..14.
func (c Card) Rank() Rank { return Rank(c%13) + 2 }

func (c Card) String() string {
	if !c.Valid() {
		return "??"
	}
	r := c % 13
	return rankLetters[r:r+1] + c.Suit().String()
}

// ParseCard parses exactly rank then suit: "AS", "TD", "2C". Anything else
// ("10H", "as", "") returns InvalidCard and false.
func ParseCard(str string) (Card, bool) {
	if len(str) != 2 {
		return InvalidCard, false
	}
	s, ok := ParseSuit(str[1:])
	if !ok {
		return InvalidCard, false
	}
	for r := 0; r < 13; r++ {
		if rankLetters[r] == str[0] {
			return NewCard(s, Rank(r+2)), true
		}
	}
	return InvalidCard, false
}

// MarshalJSON writes the card as its two-letter string.
func (c Card) MarshalJSON() ([]byte, error) { return c.appendJSON(nil) }

func (c Card) appendJSON(b []byte) ([]byte, error) {
	if !c.Valid() {
		return nil, fmt.Errorf("game: marshal invalid card %d", uint8(c))
	}
	return append(b, '"', rankLetters[c%13], suitLetters[c.Suit()], '"'), nil
}

// UnmarshalJSON accepts only a two-letter card string.
func (c *Card) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, ok := ParseCard(s)
	if !ok {
		return fmt.Errorf("game: invalid card %q", s)
	}
	*c = v
	return nil
}

// CardSet is a set of cards as a bit mask (bit c set = card c present).
type CardSet uint64

// FullDeck holds all 52 cards.
const FullDeck CardSet = 1<<52 - 1

// SetOf builds a set from cards (invalid cards are ignored).
func SetOf(cards ...Card) CardSet {
	var s CardSet
	for _, c := range cards {
		if c.Valid() {
			s |= 1 << c
		}
	}
	return s
}

// Has reports whether c is in the set.
func (s CardSet) Has(c Card) bool { return c.Valid() && s&(1<<c) != 0 }

// Add returns the set with c added.
func (s CardSet) Add(c Card) CardSet { return s | 1<<c }

// Remove returns the set without c.
func (s CardSet) Remove(c Card) CardSet { return s &^ (1 << c) }

// Len is the number of cards in the set.
func (s CardSet) Len() int { return bits.OnesCount64(uint64(s)) }

// OfSuit keeps only the cards of suit su.
func (s CardSet) OfSuit(su Suit) CardSet { return s & (0x1FFF << (13 * CardSet(su))) }

// Cards lists the set in ascending order (by suit S H D C, then rank low to high).
func (s CardSet) Cards() []Card {
	out := make([]Card, 0, s.Len())
	for v := uint64(s); v != 0; v &= v - 1 {
		out = append(out, Card(bits.TrailingZeros64(v)))
	}
	return out
}

// Deck is the order of the 52 cards for one deal; Deck[0] is dealt first.
type Deck [52]Card

// Valid reports whether the deck holds 52 distinct valid cards.
func (d *Deck) Valid() bool {
	var seen CardSet
	for _, c := range d {
		if !c.Valid() || seen.Has(c) {
			return false
		}
		seen = seen.Add(c)
	}
	return true
}
