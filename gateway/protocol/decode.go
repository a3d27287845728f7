package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/internal/jsonlex"
)

// MaxFrameLen is the largest client frame in bytes; the gateway's read limit.
const MaxFrameLen = 4096

// field is one top-level key of a client frame, as a bit.
type field uint16

const (
	fType field = 1 << iota
	fID
	fToken
	fName
	fRules
	fTable
	fSeat
	fSuit
	fCard
	fAfter
	fOptions
	fCode
	fText
	fEpoch
	fTo
	fReady
)

var fieldNames = map[string]field{
	"type": fType, "id": fID, "token": fToken, "name": fName, "rules": fRules,
	"table": fTable, "seat": fSeat, "suit": fSuit, "card": fCard, "after": fAfter,
	"options": fOptions, "code": fCode, "text": fText, "epoch": fEpoch, "to": fTo, "ready": fReady,
}

// ruleKeys are the keys of create_table's "rules" object.
var ruleKeys = map[string]bool{"target": true, "play_all_tricks": true, "hide_until_trump": true, "random_first_hakem": true}

// optionKeys are the keys of create_table's "options" object.
var optionKeys = map[string]bool{"turn_seconds": true, "trump_seconds": true, "max_timeouts": true, "public": true,
	"untimed": true, "rematch_seconds": true}

// spec is which keys a frame type allows and requires besides type and id.
type spec struct{ allowed, required field }

var specs = map[Type]spec{
	TypeHello:       {allowed: fToken | fName},
	TypeCreateTable: {allowed: fRules | fOptions},
	TypeSit:         {allowed: fTable | fSeat, required: fTable | fSeat},
	TypeLeave:       {allowed: fTable, required: fTable},
	TypeAddBots:     {allowed: fTable, required: fTable},
	TypeStart:       {allowed: fTable, required: fTable},
	TypeRematch:     {allowed: fTable, required: fTable},
	TypeReady:       {allowed: fTable | fReady, required: fTable},
	TypeSwap:        {allowed: fTable | fSeat | fTo, required: fTable | fSeat | fTo},
	TypeTrump:       {allowed: fTable | fSuit, required: fTable | fSuit},
	TypePlay:        {allowed: fTable | fCard, required: fTable | fCard},
	TypeSync:        {allowed: fTable | fAfter | fEpoch, required: fTable},
	TypePing:        {},

	TypeJoinCode:         {allowed: fCode | fSeat, required: fCode},
	TypeLobby:            {},
	TypeLobbyLeave:       {},
	TypeQuickMatch:       {},
	TypeQuickMatchCancel: {},
	TypeWatch:            {allowed: fTable, required: fTable},
	TypeUnwatch:          {allowed: fTable, required: fTable},
	TypeChat:             {allowed: fTable | fText, required: fTable | fText},
	TypeBack:             {allowed: fTable, required: fTable},
}

// Decode decodes one client frame strictly: a single JSON object of valid
// UTF-8 and at most MaxFrameLen bytes, nested at most MaxDepth deep, with no
// null, no duplicate key at any level, and exactly the keys its type allows
// (compared byte for byte, unlike encoding/json). Every error is an *Error:
// bad_message, unknown_type, invalid_card or invalid_suit, carrying the
// frame's id whenever the id could be read.
func Decode(data []byte) (*Request, error) {
	if len(data) > MaxFrameLen {
		return nil, &Error{Code: CodeBadMessage, Msg: "frame too large"}
	}
	if !utf8.Valid(data) {
		return nil, &Error{Code: CodeBadMessage, Msg: "frame is not valid UTF-8"}
	}
	var sc scan
	fast := sc.flat(data)
	if !fast {
		sc = scan{}
		sc.walk(data)
	}
	id := sc.validID()
	bad := func(format string, args ...any) (*Request, error) {
		return nil, &Error{Code: CodeBadMessage, ID: id, Msg: fmt.Sprintf(format, args...)}
	}
	switch {
	case sc.problem != "":
		return bad("%s", sc.problem)
	case sc.seen&fID == 0:
		return bad("missing id")
	case id == "":
		return bad("id must be a string of 1 to %d printable ASCII characters", MaxIDLen)
	case sc.seen&fType == 0 || !sc.typOK:
		return bad("missing type")
	}
	sp, ok := specs[Type(sc.typ)]
	if !ok {
		return nil, &Error{Code: CodeUnknownType, ID: id, Msg: fmt.Sprintf("unknown type %q", sc.typ)}
	}
	if sc.unknown != "" {
		return bad("unknown field %q", sc.unknown)
	}
	if extra := sc.seen &^ (sp.allowed | fType | fID); extra != 0 {
		return bad("field %q is not allowed in %s", nameOf(extra), sc.typ)
	}
	if missing := sp.required &^ sc.seen; missing != 0 {
		return bad("missing field %q", nameOf(missing))
	}
	req := new(Request)
	var err error
	switch {
	case fast && fill(data, req):
		// A flat frame whose values all have their fields' types (every
		// frame of play), read by the lexer: json.Unmarshal's reflection
		// was 3 % of the server's CPU at 100 busy tables.
	case sc.seen&(fRules|fOptions) == 0:
		// Flat: the walk has refused unknown fields already, and Unmarshal
		// reads the frame in place where a Decoder copies it into a buffer
		// of its own (≈ 3 KB a frame). It says what is wrong with a value.
		*req = Request{}
		err = json.Unmarshal(data, req)
	default:
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields() // (the nested objects' fields too)
		err = dec.Decode(req)
	}
	if err != nil {
		return bad("%s", typeProblem(err))
	}
	req.Code = strings.ToUpper(req.Code) // codes are typed by people
	if err := check(req, sc.seen); err != nil {
		err.ID = id
		return nil, err
	}
	return req, nil
}

// check validates the values of a decoded frame.
func check(r *Request, seen field) *Error {
	bad := func(msg string) *Error { return &Error{Code: CodeBadMessage, Msg: msg} }
	switch {
	case seen&fTable != 0 && !ValidTableID(r.Table):
		return bad(fmt.Sprintf("table must be 1 to %d characters of A-Z a-z 0-9 _ -", MaxTableLen))
	case seen&fToken != 0 && (r.Token == "" || len(r.Token) > MaxTokenLen):
		return bad(fmt.Sprintf("token must be 1 to %d characters", MaxTokenLen))
	case r.After != nil && *r.After < 0:
		return bad("after must not be negative")
	case r.Epoch != nil && *r.Epoch < 1:
		return bad("epoch must be at least 1")
	case seen&fCode != 0 && !ValidJoinCode(r.Code):
		return bad(fmt.Sprintf("code must be %d (or %d) characters of %s", JoinCodeLen, OldJoinCodeLen, JoinCodeAlphabet))
	}
	if seen&fCard != 0 {
		if _, ok := game.ParseCard(r.Card); !ok {
			return &Error{Code: game.CodeInvalidCard, Msg: Message(game.CodeInvalidCard)}
		}
	}
	if seen&fSuit != 0 {
		if _, ok := game.ParseSuit(r.Suit); !ok {
			return &Error{Code: game.CodeInvalidSuit, Msg: Message(game.CodeInvalidSuit)}
		}
	}
	return nil
}

// ValidTableID reports whether id is a well-formed table id. Table ids go
// into Redis key names inside a {hash tag}, so nothing else may pass.
func ValidTableID(id string) bool {
	if len(id) == 0 || len(id) > MaxTableLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// ValidJoinCode reports whether code is a well-formed join code (Decode
// upper-cases it first).
func ValidJoinCode(code string) bool {
	if len(code) != JoinCodeLen && len(code) != OldJoinCodeLen {
		return false
	}
	for i := 0; i < len(code); i++ {
		if strings.IndexByte(JoinCodeAlphabet, code[i]) < 0 {
			return false
		}
	}
	return true
}

// ValidID reports whether id is a well-formed frame id.
func ValidID(id string) bool {
	if len(id) == 0 || len(id) > MaxIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x20 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

func nameOf(f field) string {
	for name, bit := range fieldNames {
		if f&bit != 0 && f&(bit-1) == 0 { // the lowest bit set
			return name
		}
	}
	return "?"
}

// typeProblem turns an encoding/json error into a message without Go type names.
func typeProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("field %q has the wrong type (%s)", te.Field, te.Value)
	}
	return "malformed frame"
}

// scan is what the token walk learns about a frame.
type scan struct {
	seen    field  // top-level keys present
	unknown string // first top-level key that no frame type has
	id, typ string
	idKeys  int // how many times "id" appeared
	typKeys int
	idOK    bool // "id" appeared once, with a string value
	typOK   bool // "type" appeared once, with a string value
	problem string
}

func (sc *scan) fail(msg string) {
	if sc.problem == "" {
		sc.problem = msg
	}
}

func (sc *scan) validID() string {
	if sc.idOK && ValidID(sc.id) {
		return sc.id
	}
	return ""
}

// flat is the walk of a flat frame — every frame of play: known keys once
// each, with strings and numbers — read without a json.Decoder and its
// tokens (the walk was most of a play frame's decoding). It reports false
// for anything else (a nested value, a null, an escaped string, a repeated
// or unknown key), and the walk then reads the frame and says what is
// wrong with it. Where it reports true it has found what the walk would.
func (sc *scan) flat(data []byte) bool {
	l := jsonlex.Lexer{B: data}
	return l.Object(func(name []byte) bool {
		f := fieldNames[string(name)]
		if f == 0 || sc.seen&f != 0 {
			return false
		}
		sc.seen |= f
		l.Space()
		if f == fID || f == fType {
			s, ok := l.Str()
			if f == fID {
				sc.id, sc.idOK, sc.idKeys = string(s), ok, 1
			} else {
				sc.typ, sc.typOK, sc.typKeys = string(s), ok, 1
			}
			return ok
		}
		v, ok := l.Value(0) // a scalar
		return ok && string(v) != "null"
	}) && l.End()
}

// fill reads a flat frame (one flat has read) into req: false, leaving
// req partly filled, when a value is not of its field's type — a number
// for a string, a fraction or exponent for an integer — or a field is one
// of create_table's objects; json.Unmarshal then says what is wrong. A
// string flat has read has no escape, so its bytes are its value.
func fill(data []byte, req *Request) bool {
	l := jsonlex.Lexer{B: data}
	return l.Object(func(name []byte) bool {
		f := fieldNames[string(name)]
		l.Space()
		if str := strField(req, f); str != nil {
			s, ok := l.Str()
			*str = string(s)
			return ok
		}
		switch f {
		case fSeat, fTo, fAfter, fEpoch:
			n, ok := l.Int()
			switch {
			case !ok:
				return false
			case f == fSeat:
				req.Seat = new(int(n))
			case f == fTo:
				req.To = new(int(n))
			case f == fAfter:
				req.After = &n
			default:
				req.Epoch = &n
			}
			return true
		case fReady:
			v, ok := l.Value(0)
			if !ok || string(v) != "true" && string(v) != "false" {
				return false
			}
			req.Ready = new(string(v) == "true")
			return true
		}
		return false // rules, options
	}) && l.End()
}

// strField is req's string field f, nil when f is not one.
func strField(req *Request, f field) *string {
	switch f {
	case fType:
		return (*string)(&req.Type)
	case fID:
		return &req.ID
	case fToken:
		return &req.Token
	case fName:
		return &req.Name
	case fTable:
		return &req.Table
	case fSuit:
		return &req.Suit
	case fCard:
		return &req.Card
	case fCode:
		return &req.Code
	case fText:
		return &req.Text
	}
	return nil
}

// level is one open object or array during the walk.
type level struct {
	array   bool
	top     bool // the frame itself
	rules   bool // create_table's rules object
	options bool // create_table's options object
	wantKey bool
	key     string   // key of the value being read
	keys    []string // keys seen so far in this object
}

// walk reads data token by token. It stops at the first syntax error and
// otherwise goes on to the end, so that the id can be read from a frame
// that is wrong in another way.
func (sc *scan) walk(data []byte) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if d, ok := tok.(json.Delim); err != nil || !ok || d != '{' {
		sc.fail("frame must be one JSON object")
		return
	}
	stack := []level{{top: true, wantKey: true}}
	for len(stack) > 0 {
		tok, err := dec.Token()
		if err != nil {
			sc.fail("malformed JSON")
			return
		}
		lv := &stack[len(stack)-1]
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			continue
		}
		if !lv.array && lv.wantKey {
			sc.key(lv, tok.(string)) // the decoder only returns string keys
			continue
		}
		if !lv.array {
			lv.wantKey = true
		}
		if lv.top {
			sc.topValue(lv.key, tok)
		}
		switch v := tok.(type) {
		case json.Delim: // '{' or '['
			if len(stack) >= MaxDepth {
				sc.fail("nested too deeply")
			}
			stack = append(stack, level{array: v == '[', wantKey: v == '{',
				rules: lv.top && lv.key == "rules" && v == '{', options: lv.top && lv.key == "options" && v == '{'})
		case nil:
			sc.fail(fmt.Sprintf("%q must not be null", lv.key))
		}
	}
	if _, err := dec.Token(); err != io.EOF {
		sc.fail("data after the object")
	}
}

func (sc *scan) key(lv *level, key string) {
	lv.wantKey, lv.key = false, key
	if lv.top {
		switch key {
		case "id":
			sc.idKeys++
		case "type":
			sc.typKeys++
		}
	}
	for _, k := range lv.keys {
		if k == key {
			sc.fail(fmt.Sprintf("duplicate key %q", key))
			return
		}
	}
	lv.keys = append(lv.keys, key)
	switch {
	case lv.top:
		if f := fieldNames[key]; f != 0 {
			sc.seen |= f
		} else if sc.unknown == "" {
			sc.unknown = key
		}
	case lv.rules && !ruleKeys[key]:
		sc.fail(fmt.Sprintf("unknown field %q in rules", key))
	case lv.options && !optionKeys[key]:
		sc.fail(fmt.Sprintf("unknown field %q in options", key))
	}
}

// topValue notes the value of a top-level key (only id and type matter).
func (sc *scan) topValue(key string, tok json.Token) {
	s, isString := tok.(string)
	switch key {
	case "id":
		sc.id, sc.idOK = s, isString && sc.idKeys == 1
	case "type":
		sc.typ, sc.typOK = s, isString && sc.typKeys == 1
	}
}
