package game

import "encoding/json"

// EventType names an event on the wire.
type EventType string

// Events, in the order a match produces them.
const (
	EvMatchStarted EventType = "match_started" // First Hakem (and the draw that chose him)
	EvHandStarted  EventType = "hand_started"  // Hand, Seat = Hakem, Dealer
	EvCardsDealt   EventType = "cards_dealt"   // private: Cards = all the receiver may now see of its hand; Redacted keeps Count
	EvTrumpChosen  EventType = "trump_chosen"  // Seat, Suit
	EvCardPlayed   EventType = "card_played"   // Seat, Card
	EvTrickWon     EventType = "trick_won"     // Seat = winner, Cards in play order from Leader, Tricks
	EvHandEnded    EventType = "hand_ended"    // Result, Score
	EvMatchEnded   EventType = "match_ended"   // Winner, Score
)

// Everyone is the To of an event every seat and spectator may see.
const Everyone = -1

// Event is one thing that happened. An event whose To is a seat holds that
// seat's hidden cards and must reach nobody else.
type Event struct {
	Type   EventType
	To     int // Everyone, or the only seat that may see the event
	Hand   int
	Seat   Seat
	Leader Seat
	Dealer Seat
	Card   Card
	Suit   Suit
	Cards  []Card
	Count  int // cards_dealt: how many cards (the only field a redacted one keeps)
	Tricks [2]int
	Score  [2]int
	Winner int
	Result *HandResult
}

// Public reports whether everyone may see the event.
func (e Event) Public() bool { return e.To == Everyone }

// Redacted is the form of a private event that everyone may see: what
// happened, without the cards (a cards_dealt keeps only their count). It
// lets every client receive every seq, so a missing seq is always a gap.
func (e Event) Redacted() Event {
	e.To, e.Count, e.Cards = Everyone, len(e.Cards), nil
	return e
}

// MarshalJSON writes only the fields that belong to the event's type.
func (e Event) MarshalJSON() ([]byte, error) {
	m := map[string]any{"type": e.Type, "hand": e.Hand}
	switch e.Type {
	case EvMatchStarted:
		m["first_hakem"] = e.Seat
		if e.Cards != nil {
			m["draw"] = e.Cards
		}
	case EvHandStarted:
		m["hakem"], m["dealer"] = e.Seat, e.Dealer
	case EvCardsDealt:
		m["seat"], m["count"] = e.Seat, max(e.Count, len(e.Cards))
		if e.Cards != nil {
			m["cards"] = e.Cards
		}
	case EvTrumpChosen:
		m["seat"], m["suit"] = e.Seat, e.Suit
	case EvCardPlayed:
		m["seat"], m["card"] = e.Seat, e.Card
	case EvTrickWon:
		m["winner"], m["leader"], m["cards"], m["tricks"] = e.Seat, e.Leader, e.Cards, e.Tricks
	case EvHandEnded:
		m["result"], m["score"] = e.Result, e.Score
	case EvMatchEnded:
		m["winner"], m["score"] = e.Winner, e.Score
	}
	return json.Marshal(m)
}
