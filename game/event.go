package game

import (
	"encoding/json"
	"fmt"
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
	var err error
	card := func(b []byte, c Card) []byte {
		if !c.Valid() {
			err = fmt.Errorf("game: marshal invalid card %d", uint8(c))
			return append(b, "null"...)
		}
		r := c % 13
		return append(b, '"', rankLetters[r], suitLetters[c.Suit()], '"')
	}
	cards := func(b []byte, cs []Card) []byte {
		if cs == nil {
			return append(b, "null"...)
		}
		b = append(b, '[')
		for i, c := range cs {
			if i > 0 {
				b = append(b, ',')
			}
			b = card(b, c)
		}
		return append(b, ']')
	}
	num := func(b []byte, name string, n int) []byte {
		b = append(b, name...)
		return strconv.AppendInt(b, int64(n), 10)
	}
	pair := func(b []byte, name string, p [2]int) []byte {
		b = num(append(b, name...), `[`, p[0])
		return append(num(b, ",", p[1]), ']')
	}
	hand := func(b []byte) []byte { return num(b, `"hand":`, e.Hand) }
	typ := func(b []byte) []byte {
		b = append(b, `"type":`...)
		return AppendJSONString(b, string(e.Type))
	}
	b = append(b, '{')
	switch e.Type {
	case EvMatchStarted:
		if e.Cards != nil {
			b = append(cards(append(b, `"draw":`...), e.Cards), ',')
		}
		b = typ(append(hand(append(num(b, `"first_hakem":`, e.Seat), ',')), ','))
	case EvHandStarted:
		b = num(b, `"dealer":`, e.Dealer)
		b = num(b, `,"hakem":`, e.Seat)
		b = typ(append(hand(append(b, ',')), ','))
	case EvCardsDealt:
		if e.Cards != nil {
			b = append(cards(append(b, `"cards":`...), e.Cards), ',')
		}
		b = num(b, `"count":`, max(e.Count, len(e.Cards)))
		b = hand(append(b, ','))
		b = typ(append(num(b, `,"seat":`, e.Seat), ','))
	case EvTrumpChosen:
		b = num(hand(b), `,"seat":`, e.Seat)
		b = append(b, `,"suit":`...)
		if e.Suit.Valid() {
			b = append(b, '"', suitLetters[e.Suit], '"')
		} else {
			b = append(b, "null"...)
		}
		b = typ(append(b, ','))
	case EvCardPlayed:
		b = card(append(b, `"card":`...), e.Card)
		b = num(hand(append(b, ',')), `,"seat":`, e.Seat)
		b = typ(append(b, ','))
	case EvTrickWon:
		b = cards(append(b, `"cards":`...), e.Cards)
		b = num(hand(append(b, ',')), `,"leader":`, e.Leader)
		b = pair(b, `,"tricks":`, e.Tricks)
		b = num(typ(append(b, ',')), `,"winner":`, e.Seat)
	case EvHandEnded:
		b = append(hand(b), `,"result":`...)
		res, rerr := json.Marshal(e.Result)
		if rerr != nil {
			return nil, rerr
		}
		b = pair(append(b, res...), `,"score":`, e.Score)
		b = typ(append(b, ','))
	case EvMatchEnded:
		b = pair(hand(b), `,"score":`, e.Score)
		b = num(typ(append(b, ',')), `,"winner":`, e.Winner)
	default:
		b = typ(append(hand(b), ','))
	}
	if err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

// AppendJSONString appends s as a JSON string: directly when it holds
// nothing to escape (event types, ids, hashes), else as encoding/json
// writes it.
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
