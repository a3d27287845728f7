package game

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Record is a whole match as data: enough to replay it exactly. It is the
// format `hokm replay` reads and the server exports from PostgreSQL.
type Record struct {
	Rules *Rules `json:"rules,omitempty"`
	// FirstHakem, when set, is the first Hakem and Draw is ignored.
	FirstHakem *int `json:"first_hakem,omitempty"`
	// Draw is the face-up deal from seat 0 that picks the first Hakem.
	Draw    []string       `json:"draw,omitempty"`
	Deals   [][]string     `json:"deals"`
	Actions []RecordAction `json:"actions"`
}

// RecordAction is one action of a record: a seat and exactly one of Trump or Card.
type RecordAction struct {
	Seat  *int    `json:"seat"`
	Trump *string `json:"trump,omitempty"`
	Card  *string `json:"card,omitempty"`
}

// RecordError says a record is malformed (not an illegal action in it).
type RecordError struct{ Msg string }

func (e *RecordError) Error() string { return "invalid record: " + e.Msg }

func badRecord(format string, args ...any) error { return &RecordError{fmt.Sprintf(format, args...)} }

// DecodeRecord reads one JSON record, strictly: unknown fields, trailing data
// and wrong types are errors. It checks the record's shape (seats, actions,
// every deal, the first Hakem) but not the legality of the actions: that is
// Replay's job. Errors are *RecordError.
func DecodeRecord(r io.Reader) (*Record, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, badRecord("%v", err)
	}
	// encoding/json matches field names case-insensitively and keeps the
	// last of duplicate keys; a record must spell each field exactly, once.
	if err := checkKeys(json.NewDecoder(bytes.NewReader(b)), recordShape, 0); err != nil {
		return nil, badRecord("%v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var rec Record
	if err := dec.Decode(&rec); err != nil {
		return nil, badRecord("%v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, badRecord("trailing data after the record")
	}
	if err := rec.check(); err != nil {
		return nil, err
	}
	return &rec, nil
}

// ParseRecord is DecodeRecord of a byte slice.
func ParseRecord(b []byte) (*Record, error) { return DecodeRecord(bytes.NewReader(b)) }

func (rec *Record) check() error {
	if rec.Deals == nil {
		return badRecord("missing deals")
	}
	if rec.Actions == nil {
		return badRecord("missing actions")
	}
	if err := rec.rules().Validate(); err != nil {
		return badRecord("%v", err)
	}
	if _, err := rec.firstHakem(); err != nil {
		return err
	}
	if _, err := rec.decks(); err != nil {
		return err
	}
	for i, a := range rec.Actions {
		if a.Seat == nil || *a.Seat < 0 || *a.Seat > 3 {
			return badRecord("action %d: seat must be 0..3", i)
		}
		if (a.Trump == nil) == (a.Card == nil) {
			return badRecord("action %d: needs exactly one of trump and card", i)
		}
	}
	return nil
}

func (rec *Record) rules() Rules {
	if rec.Rules == nil {
		return Rules{}
	}
	return *rec.Rules
}

func (rec *Record) firstHakem() (Seat, error) {
	if rec.FirstHakem != nil {
		if h := *rec.FirstHakem; h >= 0 && h <= 3 {
			return h, nil
		}
		return 0, badRecord("first_hakem must be 0..3")
	}
	if rec.Draw == nil {
		return 0, badRecord("missing draw (or first_hakem)")
	}
	for i, str := range rec.Draw {
		c, ok := ParseCard(str)
		if !ok {
			return 0, badRecord("draw card %d: %q is not a card", i, str)
		}
		if c.Rank() == 14 {
			return i % 4, nil
		}
	}
	return 0, badRecord("no ace in draw")
}

func (rec *Record) decks() ([]Deck, error) {
	decks := make([]Deck, len(rec.Deals))
	for i, deal := range rec.Deals {
		if len(deal) != 52 {
			return nil, badRecord("deal %d has %d cards, not 52", i, len(deal))
		}
		for j, str := range deal {
			c, ok := ParseCard(str)
			if !ok {
				return nil, badRecord("deal %d card %d: %q is not a card", i, j, str)
			}
			decks[i][j] = c
		}
		if !decks[i].Valid() {
			return nil, badRecord("deal %d repeats a card", i)
		}
	}
	return decks, nil
}

// Action converts a record action to an engine action. A card or suit string
// that does not parse becomes InvalidCard / InvalidSuit, which Apply rejects
// with invalid_card / invalid_suit in their proper order.
func (a RecordAction) Action() Action {
	if a.Trump != nil {
		s, _ := ParseSuit(*a.Trump)
		return ChooseTrump(s)
	}
	c, _ := ParseCard(*a.Card)
	return PlayCard(c)
}

// ReplayResult is what `hokm replay` prints.
type ReplayResult struct {
	OK     bool         `json:"ok"`
	Hands  []HandResult `json:"hands"`
	Score  [2]int       `json:"score"`
	Over   bool         `json:"over"`
	Winner *int         `json:"winner"`
	Error  *ReplayError `json:"error,omitempty"`
}

// ReplayError locates the first illegal action (Index, Code), or says the
// record is malformed (Code "invalid_record", Message).
type ReplayError struct {
	Index   *int   `json:"index,omitempty"`
	Code    string `json:"code"`
	Message string `json:"message,omitempty"`
}

// MarshalJSON writes a malformed record's result as just ok and error.
func (r ReplayResult) MarshalJSON() ([]byte, error) {
	type plain ReplayResult
	if r.Error != nil && r.Error.Code == CodeInvalidRecord {
		return json.Marshal(struct {
			OK    bool         `json:"ok"`
			Error *ReplayError `json:"error"`
		}{r.OK, r.Error})
	}
	return json.Marshal(plain(r))
}

// CodeInvalidRecord is the replay error code of a malformed record.
const CodeInvalidRecord = "invalid_record"

// Replay plays a checked record through the engine. It returns the final
// state and the result; on the first illegal action the result says where
// and why (OK false) and the state is the one before it. A record that runs
// past its deals returns a *RecordError.
func (rec *Record) Replay() (State, ReplayResult, error) {
	first, err := rec.firstHakem()
	if err != nil {
		return State{}, ReplayResult{}, err
	}
	decks, err := rec.decks()
	if err != nil {
		return State{}, ReplayResult{}, err
	}
	s, _, err := NewMatchFromDecks(rec.rules(), first, decks)
	if err != nil {
		return State{}, ReplayResult{}, badRecord("%v", err)
	}
	for i, ra := range rec.Actions {
		if s.Phase != PhaseOver && s.Hand >= len(decks) {
			return s, ReplayResult{}, badRecord("action %d comes after the last deal", i)
		}
		next, _, err := Apply(s, *ra.Seat, ra.Action())
		if err != nil {
			var ge *Error
			if !errors.As(err, &ge) {
				return s, ReplayResult{}, err
			}
			res := Summarize(&s)
			res.OK, res.Error = false, &ReplayError{Index: &i, Code: string(ge.Code)}
			return s, res, nil
		}
		s = next
	}
	return s, Summarize(&s), nil
}

// Summarize is the replay result of a state reached without error.
func Summarize(s *State) ReplayResult {
	res := ReplayResult{OK: true, Hands: append([]HandResult{}, s.Results...), Score: s.Score, Over: s.Over()}
	if s.Over() {
		w := s.Winner
		res.Winner = &w
	}
	return res
}

// ReplayJSON decodes and replays a record, returning the result to print and
// the exit status of `hokm replay`: 0 all legal, 1 an illegal action, 2 a
// malformed record.
func ReplayJSON(r io.Reader) (ReplayResult, int) {
	rec, err := DecodeRecord(r)
	if err == nil {
		var res ReplayResult
		if _, res, err = rec.Replay(); err == nil {
			if res.OK {
				return res, 0
			}
			return res, 1
		}
	}
	return ReplayResult{Error: &ReplayError{Code: CodeInvalidRecord, Message: err.Error()}}, 2
}
