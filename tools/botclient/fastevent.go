package botclient

import (
	"encoding/json"

	"github.com/hokm-project/hokm/game"
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
	l := lexer{b: raw}
	if !l.take('{') {
		return false
	}
	if l.take('}') {
		return l.end()
	}
	for {
		key, ok := l.str()
		if !ok || !l.take(':') {
			return false
		}
		switch string(key) {
		case "type":
			s, ok := l.str()
			if !ok {
				return false
			}
			e.Type = string(s)
		case "hand":
			ok = l.intTo(&e.Hand)
		case "seat":
			ok = l.intTo(&e.Seat)
		case "hakem":
			ok = l.intTo(&e.Hakem)
		case "dealer":
			ok = l.intTo(&e.Dealer)
		case "winner":
			ok = l.intTo(&e.Winner)
		case "leader":
			ok = l.intTo(&e.Leader)
		case "card":
			ok = l.card(&e.Card)
		case "suit":
			s, isStr := l.str()
			if !isStr {
				return false // null too: encoding/json's business
			}
			e.Suit, ok = game.ParseSuit(string(s))
		case "cards":
			ok = l.cards(&e.Cards)
		case "tricks":
			ok = l.pair(&e.Tricks)
		case "score":
			ok = l.pair(&e.Score)
		case "table", "result":
			return false // objects the event keeps: encoding/json reads them
		default:
			// encoding/json matches names regardless of case ("Type"
			// is type): such a name is its business.
			ok = lowerASCII(key) && l.skip()
		}
		if !ok {
			return false
		}
		if l.take(',') {
			continue
		}
		return l.take('}') && l.end()
	}
}

// lexer reads the few JSON forms readFlatEvent accepts; every method
// reports false on anything else.
type lexer struct {
	b []byte
	i int
}

func (l *lexer) space() {
	for l.i < len(l.b) {
		switch l.b[l.i] {
		case ' ', '\t', '\n', '\r':
			l.i++
		default:
			return
		}
	}
}

func (l *lexer) take(c byte) bool {
	l.space()
	if l.i < len(l.b) && l.b[l.i] == c {
		l.i++
		return true
	}
	return false
}

func (l *lexer) end() bool {
	l.space()
	return l.i == len(l.b)
}

// str reads a string without escapes or control characters.
func (l *lexer) str() ([]byte, bool) {
	if !l.take('"') {
		return nil, false
	}
	start := l.i
	for l.i < len(l.b) {
		switch c := l.b[l.i]; {
		case c == '"':
			l.i++
			return l.b[start : l.i-1], true
		case c == '\\' || c < 0x20:
			return nil, false
		}
		l.i++
	}
	return nil, false
}

// intTo reads a whole number (no fraction or exponent) into *dst.
func (l *lexer) intTo(dst *int) bool {
	l.space()
	neg := l.i < len(l.b) && l.b[l.i] == '-'
	if neg {
		l.i++
	}
	start, n := l.i, 0
	for l.i < len(l.b) && l.b[l.i] >= '0' && l.b[l.i] <= '9' && l.i-start < 9 {
		n = n*10 + int(l.b[l.i]-'0')
		l.i++
	}
	if l.i == start || l.i < len(l.b) && (l.b[l.i] >= '0' && l.b[l.i] <= '9' || l.b[l.i] == '.' || l.b[l.i] == 'e' || l.b[l.i] == 'E') ||
		l.b[start] == '0' && l.i-start > 1 {
		return false
	}
	if neg {
		n = -n
	}
	*dst = n
	return true
}

func (l *lexer) card(dst *game.Card) bool {
	s, ok := l.str()
	if !ok {
		return false
	}
	*dst, ok = game.ParseCard(string(s))
	return ok
}

// cards reads an array of cards (not null: encoding/json's business).
func (l *lexer) cards(dst *[]game.Card) bool {
	if !l.take('[') {
		return false
	}
	out := make([]game.Card, 0, 13)
	if l.take(']') {
		*dst = out
		return true
	}
	for {
		var c game.Card
		if !l.card(&c) {
			return false
		}
		out = append(out, c)
		if l.take(',') {
			continue
		}
		if !l.take(']') {
			return false
		}
		*dst = out
		return true
	}
}

// pair reads an array of exactly two whole numbers.
func (l *lexer) pair(dst *[2]int) bool {
	return l.take('[') && l.intTo(&dst[0]) && l.take(',') && l.intTo(&dst[1]) && l.take(']')
}

// skip passes over a value of a field the event does not keep (a turn's
// clock, a count): a number, a string, true, false, null, or an array or
// object of those, nested a few deep.
func (l *lexer) skip() bool { return l.skipDepth(4) }

func (l *lexer) skipDepth(depth int) bool {
	var closing byte
	switch {
	case depth == 0:
		return l.scalar()
	case l.take('['):
		closing = ']'
	case l.take('{'):
		closing = '}'
	default:
		return l.scalar()
	}
	if l.take(closing) {
		return true
	}
	for {
		if closing == '}' {
			if _, ok := l.str(); !ok || !l.take(':') {
				return false
			}
		}
		if !l.skipDepth(depth - 1) {
			return false
		}
		if l.take(',') {
			continue
		}
		return l.take(closing)
	}
}

func (l *lexer) scalar() bool {
	l.space()
	if l.i >= len(l.b) {
		return false
	}
	switch c := l.b[l.i]; {
	case c == '"':
		_, ok := l.str()
		return ok
	case c == '-' || c >= '0' && c <= '9':
		return l.number()
	}
	for _, lit := range []string{"true", "false", "null"} {
		if len(l.b)-l.i >= len(lit) && string(l.b[l.i:l.i+len(lit)]) == lit {
			l.i += len(lit)
			return true
		}
	}
	return false
}

// number passes over a JSON number.
func (l *lexer) number() bool {
	digits := func() bool {
		start := l.i
		for l.i < len(l.b) && l.b[l.i] >= '0' && l.b[l.i] <= '9' {
			l.i++
		}
		return l.i > start
	}
	if l.b[l.i] == '-' {
		l.i++
	}
	start := l.i
	if !digits() || l.b[start] == '0' && l.i-start > 1 {
		return false
	}
	if l.i < len(l.b) && l.b[l.i] == '.' {
		l.i++
		if !digits() {
			return false
		}
	}
	if l.i < len(l.b) && (l.b[l.i] == 'e' || l.b[l.i] == 'E') {
		l.i++
		if l.i < len(l.b) && (l.b[l.i] == '+' || l.b[l.i] == '-') {
			l.i++
		}
		return digits()
	}
	return true
}

func lowerASCII(s []byte) bool {
	for _, c := range s {
		if c >= 'A' && c <= 'Z' || c >= 0x80 {
			return false
		}
	}
	return true
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
	l := lexer{b: raw}
	if !l.take('{') {
		return false
	}
	for {
		key, ok := l.str()
		if !ok || !l.take(':') {
			return false
		}
		switch string(key) {
		case "type", "table", "ack":
			s, ok := l.str()
			if !ok {
				return false
			}
			switch key[1] {
			case 'y':
				f.Type = string(s)
			case 'a':
				f.Table = string(s)
			default:
				f.Ack = string(s)
			}
		case "seq":
			var n int
			if !l.intTo(&n) {
				return false
			}
			f.Seq = int64(n)
		case "events":
			if !l.take('[') {
				return false
			}
			f.Events = make([]json.RawMessage, 0, 8)
			for !l.take(']') {
				if len(f.Events) > 0 && !l.take(',') {
					return false
				}
				l.space()
				start := l.i
				if l.i >= len(l.b) || l.b[l.i] != '{' || !l.skipDepth(8) {
					return false
				}
				f.Events = append(f.Events, l.b[start:l.i:l.i])
			}
		default:
			return false // any other field: encoding/json's business
		}
		if l.take(',') {
			continue
		}
		return l.take('}') && l.end() && f.Type == "events"
	}
}
