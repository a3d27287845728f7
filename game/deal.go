package game

import "math/rand/v2"

// Stream identifiers keep the draw, the first-Hakem seat and each hand's deck
// independent sequences of one seed. Changing them changes every live game's
// cards: they are part of the state format.
const (
	streamDraw      = 0x68616b656d000000 // "hakem"
	streamRandSeat  = 0x7365617400000000 // "seat"
	streamHandDecks = 0x6465636b00000000 // "deck" + hand number
)

// shuffled returns a deck in an order fixed by (seed, stream). It uses PCG and
// its own Fisher–Yates so the order never depends on the Go version.
func shuffled(seed, stream uint64) Deck {
	var d Deck
	for i := range d {
		d[i] = Card(i)
	}
	src := rand.NewPCG(seed, stream)
	for i := 51; i > 0; i-- {
		j := int(uniform(src, uint64(i+1)))
		d[i], d[j] = d[j], d[i]
	}
	return d
}

// uniform draws an unbiased value in [0, n) by rejection.
func uniform(src *rand.PCG, n uint64) uint64 {
	limit := ^uint64(0) - (^uint64(0) % n)
	for {
		if v := src.Uint64(); v < limit {
			return v % n
		}
	}
}

// DeckFor is the deck order of hand number h (0-based) of the match with seed.
func DeckFor(seed uint64, h int) Deck { return shuffled(seed, streamHandDecks|uint64(h)) }

// HakemDraw is the face-up draw that picks the first Hakem of the match with
// seed: cards dealt one at a time from seat 0 until the first ace, which is
// the last card returned.
func HakemDraw(seed uint64) []Card {
	d := shuffled(seed, streamDraw)
	for i, c := range d {
		if c.Rank() == 14 {
			return append([]Card(nil), d[:i+1]...)
		}
	}
	panic("unreachable: a deck has four aces")
}

// HakemFromDraw returns the seat that receives the first ace when draw is dealt
// face up from seat 0 in play order, and false when draw holds no ace.
// Cards after the first ace are ignored.
func HakemFromDraw(draw []Card) (Seat, bool) {
	for i, c := range draw {
		if c.Valid() && c.Rank() == 14 {
			return i % 4, true
		}
	}
	return 0, false
}

// randomSeat is the first Hakem under RandomFirstHakem.
func randomSeat(seed uint64) Seat {
	return Seat(uniform(rand.NewPCG(seed, streamRandSeat), 4))
}

// FirstHakem is the first Hakem of a match with these rules and seed.
func FirstHakem(r Rules, seed uint64) Seat {
	if r.RandomFirstHakem {
		return randomSeat(seed)
	}
	s, _ := HakemFromDraw(HakemDraw(seed))
	return s
}

// dealTo returns what each seat receives when deck is dealt 5–4–4 starting
// with hakem, and the first packet of five of each seat.
func dealTo(deck *Deck, hakem Seat) (hands, firstFive [4]CardSet) {
	for k := 0; k < 4; k++ {
		seat := (hakem + k) % 4
		for i := 0; i < 5; i++ {
			firstFive[seat] = firstFive[seat].Add(deck[k*5+i])
		}
		hands[seat] = firstFive[seat]
		for i := 0; i < 4; i++ {
			hands[seat] = hands[seat].Add(deck[20+k*4+i]).Add(deck[36+k*4+i])
		}
	}
	return hands, firstFive
}
