package redisstore

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/table"
)

// A table's state blob (the hash field "st") holds what changes with every
// move: the engine state (game.State's binary encoding, which has every
// hand) and the match's moves. Plain form:
//
//	uvarint(len(game)) | game | moves (table.EncodeMoves)
//
// sealed (Options.Seal) with associated data stateAD(table id, seq), so
// the blob of one table or seq does not open as another's. The same sealed
// bytes go to PostgreSQL's table journal and come back on a restore.

func stateAD(tableID string, seq int64) []byte {
	return strconv.AppendInt([]byte(tableID+"|"), seq, 10)
}

// encodeState is a table's plain state blob ("" before the first match).
func encodeState(t *table.Table) ([]byte, error) {
	if t.Match == 0 {
		return nil, nil
	}
	g, err := t.Game.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("encode game: %w", err)
	}
	b := binary.AppendUvarint(make([]byte, 0, 2+len(g)+len(t.Moves)), uint64(len(g)))
	b = append(b, g...)
	return append(b, table.EncodeMoves(t.Moves)...), nil
}

func decodeState(t *table.Table, b []byte) error {
	n, k := binary.Uvarint(b)
	if k <= 0 || uint64(len(b)-k) < n {
		return fmt.Errorf("table state: bad length")
	}
	return decodeGame(t, b[k:k+int(n)], b[k+int(n):])
}

// sealState is the stored form of a plain state blob at seq.
func (s *Store) sealState(tableID string, seq int64, plain []byte) []byte {
	if s.opts.Seal == nil || len(plain) == 0 {
		return plain
	}
	return s.opts.Seal.Seal(nil, plain, stateAD(tableID, seq))
}

func (s *Store) openState(tableID string, seq int64, stored []byte) ([]byte, error) {
	if s.opts.Seal == nil || len(stored) == 0 {
		return stored, nil
	}
	plain, err := s.opts.Seal.Open(nil, stored, stateAD(tableID, seq))
	if err != nil {
		return nil, fmt.Errorf("table %s state at seq %d: %w", tableID, seq, err)
	}
	return plain, nil
}

// logEntry is an Entry as the event log stores it: a private event's own
// form is sealed (X) with associated data logAD, so the log at rest shows
// no hidden card; public events and redacted forms stay plain.
type logEntry struct {
	Seq int64           `json:"seq"`
	To  int             `json:"to"`
	E   json.RawMessage `json:"e,omitempty"`
	X   []byte          `json:"x,omitempty"` // sealed E of a private event
	P   json.RawMessage `json:"p,omitempty"`
	U   string          `json:"u,omitempty"` // Entry.U
	M   bool            `json:"m,omitempty"` // Entry.Meta
}

func logAD(tableID string, seq int64, to int) []byte {
	return strconv.AppendInt(append(stateAD(tableID, seq), '|'), int64(to), 10)
}

func (s *Store) encodeLogEntry(tableID string, e *Entry) []byte {
	le := logEntry{Seq: e.Seq, To: e.To, E: e.E, P: e.P, U: e.U, M: e.Meta}
	if s.opts.Seal != nil && e.To != game.Everyone {
		le.E, le.X = nil, s.opts.Seal.Seal(nil, e.E, logAD(tableID, e.Seq, e.To))
	}
	return appendLogEntry(make([]byte, 0, 128), &le)
}

func (s *Store) decodeLogEntry(tableID string, raw []byte) (Entry, error) {
	var le logEntry
	if err := json.Unmarshal(raw, &le); err != nil {
		return Entry{}, err
	}
	e := Entry{Seq: le.Seq, To: le.To, E: le.E, P: le.P, U: le.U, Meta: le.M}
	if le.X != nil {
		if s.opts.Seal == nil {
			return Entry{}, fmt.Errorf("sealed log entry %d and no key", le.Seq)
		}
		plain, err := s.opts.Seal.Open(nil, le.X, logAD(tableID, le.Seq, le.To))
		if err != nil {
			return Entry{}, fmt.Errorf("log entry %d: %w", le.Seq, err)
		}
		e.E = plain
	}
	return e, nil
}
