package botclient

import (
	"encoding/json"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/internal/jsonlex"
)

// decodeEvent reads raw into e as json.Unmarshal would. The events of play
// are flat objects of numbers, strings and arrays of them, read here by
// hand (every seat of every bot decodes every event: with encoding/json's
// reflection that was the load client's largest cost after its system
// calls); anything else — a table's meta, a hand's result, an escaped
// string, a null where the event keeps a value, a name in capitals — is
// left to encoding/json.
func decodeEvent(raw []byte, e *event) error {
	*e = event{}
	if readFlatEvent(raw, e) {
		return nil
	}
	*e = event{}
	return json.Unmarshal(raw, e)
}

// readFlatEvent fills e from raw when raw is a flat event object it can
// read exactly; false leaves e to be read by encoding/json.
func readFlatEvent(raw []byte, e *event) bool {
	l := jsonlex.Lexer{B: raw}
	return l.Object(func(name []byte) bool {
		var ok bool
		switch string(name) {
		case "type":
			ok = l.StrTo(&e.Type)
		case "hand":
			ok = l.IntTo(&e.Hand)
		case "seat":
			ok = l.IntTo(&e.Seat)
		case "hakem":
			ok = l.IntTo(&e.Hakem)
		case "dealer":
			ok = l.IntTo(&e.Dealer)
		case "winner":
			ok = l.IntTo(&e.Winner)
		case "leader":
			ok = l.IntTo(&e.Leader)
		case "card":
			ok = readCard(&l, &e.Card)
		case "suit":
			var s []byte
			if s, ok = l.Str(); ok { // a null too is encoding/json's business
				e.Suit, ok = game.ParseSuit(string(s))
			}
		case "cards":
			ok = readCards(&l, &e.Cards)
		case "tricks":
			ok = readPair(&l, &e.Tricks)
		case "score":
			ok = readPair(&l, &e.Score)
		case "table", "result":
			// objects the event keeps: encoding/json reads them
		default:
			ok = l.Skip(name, 4)
		}
		return ok
	}) && l.End()
}

func readCard(l *jsonlex.Lexer, dst *game.Card) bool {
	s, ok := l.Str()
	if !ok {
		return false
	}
	*dst, ok = game.ParseCard(string(s))
	return ok
}

// readCards reads an array of cards (not null: encoding/json's business).
func readCards(l *jsonlex.Lexer, dst *[]game.Card) bool {
	out := make([]game.Card, 0, 13)
	ok := l.Array(func() bool {
		var c game.Card
		ok := readCard(l, &c)
		out = append(out, c)
		return ok
	})
	*dst = out
	return ok
}

// readPair reads an array of exactly two whole numbers.
func readPair(l *jsonlex.Lexer, dst *[2]int) bool {
	return l.Take('[') && l.IntTo(&dst[0]) && l.Take(',') && l.IntTo(&dst[1]) && l.Take(']')
}

// decodeFrame reads raw into f as json.Unmarshal would: a version-2
// events frame (every change of every table each seat follows) by hand,
// its events kept as slices of raw, which the caller must not reuse; any
// other frame through encoding/json.
func decodeFrame(raw []byte, f *frame) error {
	*f = frame{}
	if readEventsFrame(raw, f) {
		return nil
	}
	*f = frame{}
	return json.Unmarshal(raw, f)
}

func readEventsFrame(raw []byte, f *frame) bool {
	l := jsonlex.Lexer{B: raw}
	return l.Object(func(name []byte) bool {
		switch string(name) {
		case "type":
			return l.StrTo(&f.Type)
		case "table":
			return l.StrTo(&f.Table)
		case "ack":
			return l.StrTo(&f.Ack)
		case "seq":
			var ok bool
			f.Seq, ok = l.Int()
			return ok
		case "events":
			f.Events = make([]json.RawMessage, 0, 8)
			return l.Array(func() bool {
				if l.Space(); l.I >= len(l.B) || l.B[l.I] != '{' {
					return false
				}
				ev, ok := l.Value(8)
				f.Events = append(f.Events, ev)
				return ok
			})
		}
		return false // any other field: encoding/json's business
	}) && l.End() && f.Type == "events"
}
