package game

import (
	"cmp"
	"encoding/json"
	"strconv"
)

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
func (e Event) MarshalJSON() ([]byte, error) { return e.AppendJSON(nil) }

// AppendJSON appends the event's JSON object to b: only the fields that
// belong to its type, in the order of their names (as a map of them would
// be written). Every card of every move is encoded so, by hand rather than
// through reflection.
func (e Event) AppendJSON(b []byte) ([]byte, error) {
	o := object{b: append(b, '{')}
	switch e.Type {
	case EvMatchStarted:
		if e.Cards != nil {
			o.cards("draw", e.Cards)
		}
		o.int("first_hakem", e.Seat)
	case EvHandStarted:
		o.int("dealer", e.Dealer)
		o.int("hakem", e.Seat)
	case EvCardsDealt:
		if e.Cards != nil {
			o.cards("cards", e.Cards)
		}
		o.int("count", max(e.Count, len(e.Cards)))
	case EvCardPlayed:
		o.card("card", e.Card)
	case EvTrickWon:
		o.cards("cards", e.Cards)
	}
	o.int("hand", e.Hand)
	switch e.Type {
	case EvCardsDealt, EvCardPlayed:
		o.int("seat", e.Seat)
	case EvTrumpChosen:
		o.int("seat", e.Seat)
		o.name("suit")
		o.b = e.Suit.appendJSON(o.b)
	case EvTrickWon:
		o.int("leader", e.Leader)
		o.pair("tricks", e.Tricks)
	case EvHandEnded:
		o.name("result")
		res, err := json.Marshal(e.Result)
		o.b, o.err = append(o.b, res...), cmp.Or(o.err, err)
		o.pair("score", e.Score)
	case EvMatchEnded:
		o.pair("score", e.Score)
	}
	o.name("type")
	o.b = AppendJSONString(o.b, string(e.Type))
	switch e.Type {
	case EvTrickWon:
		o.int("winner", e.Seat)
	case EvMatchEnded:
		o.int("winner", e.Winner)
	}
	if o.err != nil {
		return nil, o.err
	}
	return append(o.b, '}'), nil
}

// object writes the fields of a JSON object, in the order called, after
// its opening brace; the first error is kept.
type object struct {
	b   []byte
	n   int // fields written
	err error
}

func (o *object) name(n string) {
	if o.n > 0 {
		o.b = append(o.b, ',')
	}
	o.n++
	o.b = append(append(append(o.b, '"'), n...), `":`...)
}

func (o *object) int(n string, v int) {
	o.name(n)
	o.b = strconv.AppendInt(o.b, int64(v), 10)
}

func (o *object) pair(n string, p [2]int) {
	o.name(n)
	o.b = append(strconv.AppendInt(append(strconv.AppendInt(append(o.b, '['), int64(p[0]), 10), ','), int64(p[1]), 10), ']')
}

func (o *object) card(n string, c Card) {
	o.name(n)
	o.appendCard(c)
}

func (o *object) appendCard(c Card) {
	b, err := c.appendJSON(o.b)
	if err != nil {
		o.err = cmp.Or(o.err, err)
		return
	}
	o.b = b
}

// cards writes cs as an array, null when nil.
func (o *object) cards(n string, cs []Card) {
	o.name(n)
	if cs == nil {
		o.b = append(o.b, "null"...)
		return
	}
	o.b = append(o.b, '[')
	for i, c := range cs {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		o.appendCard(c)
	}
	o.b = append(o.b, ']')
}

// AppendJSONString appends s as a JSON string: directly when it holds
// nothing to escape (event types, ids, hashes), else as encoding/json
// writes it. The protocol's frames and the store's commit messages use it
// too.
func AppendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
