// Package jsonlex reads the few JSON forms that the server's own hot
// messages use — objects of names, whole numbers, plain strings, and values
// passed over whole — without reflection. It never decides what it cannot
// read exactly: every method reports false on anything else, and its
// callers then hand the whole message to encoding/json, so that what is
// read by hand is always what encoding/json would have read.
package jsonlex

// Lexer reads B from I.
type Lexer struct {
	B []byte
	I int
}

// Space passes over white space.
func (l *Lexer) Space() {
	for l.I < len(l.B) {
		switch l.B[l.I] {
		case ' ', '\t', '\n', '\r':
			l.I++
		default:
			return
		}
	}
}

// Take passes over c (after white space), if it is next.
func (l *Lexer) Take(c byte) bool {
	l.Space()
	if l.I < len(l.B) && l.B[l.I] == c {
		l.I++
		return true
	}
	return false
}

// End reports whether only white space is left.
func (l *Lexer) End() bool {
	l.Space()
	return l.I == len(l.B)
}

// Str reads a string without escapes or control characters and returns
// its bytes (a slice of B).
func (l *Lexer) Str() ([]byte, bool) {
	if !l.Take('"') {
		return nil, false
	}
	start := l.I
	for l.I < len(l.B) {
		switch c := l.B[l.I]; {
		case c == '"':
			l.I++
			return l.B[start : l.I-1], true
		case c == '\\' || c < 0x20:
			return nil, false
		}
		l.I++
	}
	return nil, false
}

// Int reads a whole number of at most 18 digits (no fraction, exponent
// or leading zero).
func (l *Lexer) Int() (int64, bool) {
	l.Space()
	neg := l.I < len(l.B) && l.B[l.I] == '-'
	if neg {
		l.I++
	}
	start := l.I
	var n int64
	for l.I < len(l.B) && l.B[l.I] >= '0' && l.B[l.I] <= '9' {
		if l.I-start == 18 {
			return 0, false
		}
		n = n*10 + int64(l.B[l.I]-'0')
		l.I++
	}
	if l.I == start || l.B[start] == '0' && l.I-start > 1 ||
		l.I < len(l.B) && (l.B[l.I] == '.' || l.B[l.I] == 'e' || l.B[l.I] == 'E') {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

// Object reads an object: for each name, field reads the value. False when
// field does, or the object is not read exactly.
func (l *Lexer) Object(field func(name []byte) bool) bool {
	if !l.Take('{') {
		return false
	}
	if l.Take('}') {
		return true
	}
	for {
		name, ok := l.Str()
		if !ok || !l.Take(':') || !field(name) {
			return false
		}
		if l.Take(',') {
			continue
		}
		return l.Take('}')
	}
}

// Array reads an array: elem reads each element. False when elem does, or
// the array is not read exactly.
func (l *Lexer) Array(elem func() bool) bool {
	if !l.Take('[') {
		return false
	}
	for n := 0; !l.Take(']'); n++ {
		if n > 0 && !l.Take(',') || !elem() {
			return false
		}
	}
	return true
}

// StrTo reads a string (as Str) into *dst.
func (l *Lexer) StrTo(dst *string) bool {
	s, ok := l.Str()
	*dst = string(s)
	return ok
}

// Skip passes over the value, nested at most depth deep, of a field named
// name that the reader does not keep. It refuses a name that is not
// lower-case ASCII (see LowerName): encoding/json might match it to a kept
// field.
func (l *Lexer) Skip(name []byte, depth int) bool {
	if !LowerName(name) {
		return false
	}
	_, ok := l.Value(depth)
	return ok
}

// IntTo reads a whole number into *dst.
func (l *Lexer) IntTo(dst *int) bool {
	n, ok := l.Int()
	*dst = int(n)
	return ok
}

// Value passes over any value nested at most depth deep — an object, an
// array, a string without escapes, a number, true, false or null — and
// returns its bytes (a slice of B).
func (l *Lexer) Value(depth int) ([]byte, bool) {
	l.Space()
	start := l.I
	if !l.skip(depth) {
		return nil, false
	}
	return l.B[start:l.I:l.I], true
}

func (l *Lexer) skip(depth int) bool {
	var closing byte
	switch {
	case depth == 0:
		return l.scalar()
	case l.Take('['):
		closing = ']'
	case l.Take('{'):
		closing = '}'
	default:
		return l.scalar()
	}
	if l.Take(closing) {
		return true
	}
	for {
		if closing == '}' {
			if _, ok := l.Str(); !ok || !l.Take(':') {
				return false
			}
		}
		if !l.skip(depth - 1) {
			return false
		}
		if l.Take(',') {
			continue
		}
		return l.Take(closing)
	}
}

func (l *Lexer) scalar() bool {
	l.Space()
	if l.I >= len(l.B) {
		return false
	}
	switch c := l.B[l.I]; {
	case c == '"':
		_, ok := l.Str()
		return ok
	case c == '-' || c >= '0' && c <= '9':
		return l.number()
	}
	for _, lit := range []string{"true", "false", "null"} {
		if len(l.B)-l.I >= len(lit) && string(l.B[l.I:l.I+len(lit)]) == lit {
			l.I += len(lit)
			return true
		}
	}
	return false
}

// number passes over a JSON number.
func (l *Lexer) number() bool {
	digits := func() bool {
		start := l.I
		for l.I < len(l.B) && l.B[l.I] >= '0' && l.B[l.I] <= '9' {
			l.I++
		}
		return l.I > start
	}
	if l.B[l.I] == '-' {
		l.I++
	}
	start := l.I
	if !digits() || l.B[start] == '0' && l.I-start > 1 {
		return false
	}
	if l.I < len(l.B) && l.B[l.I] == '.' {
		l.I++
		if !digits() {
			return false
		}
	}
	if l.I < len(l.B) && (l.B[l.I] == 'e' || l.B[l.I] == 'E') {
		l.I++
		if l.I < len(l.B) && (l.B[l.I] == '+' || l.B[l.I] == '-') {
			l.I++
		}
		return digits()
	}
	return true
}

// LowerName reports whether name is lower-case ASCII: encoding/json
// matches names regardless of case (and of some Unicode folds), so a
// reader that knows its names only by their exact spelling leaves any
// other to it.
func LowerName(name []byte) bool {
	for _, c := range name {
		if c >= 'A' && c <= 'Z' || c >= 0x80 {
			return false
		}
	}
	return true
}
