package redisstore

import (
	"encoding/base64"
	"encoding/json"
	"strconv"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/internal/jsonlex"
)

// Every commit writes its message, its log entries and its answer as JSON.
// They are appended by hand here — the same bytes encoding/json writes for
// the structs (wire_test.go compares them), without reflection or its check
// of the raw events, which our encoders made.

// appendCommitMessage appends the Message of a commit: its epoch, events
// and answer.
func appendCommitMessage(b []byte, epoch int64, events []Entry, r *Result) []byte {
	b = append(b, '{')
	if epoch != 0 {
		b = strconv.AppendInt(append(b, `"ep":`...), epoch, 10)
	}
	if len(events) > 0 {
		if epoch != 0 {
			b = append(b, ',')
		}
		b = append(b, `"events":[`...)
		for i := range events {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendEntry(b, &events[i])
		}
		b = append(b, ']')
	}
	if r != nil {
		if epoch != 0 || len(events) > 0 {
			b = append(b, ',')
		}
		b = appendResult(append(b, `"result":`...), r)
	}
	return append(b, '}')
}

func appendEntry(b []byte, e *Entry) []byte {
	b = strconv.AppendInt(append(b, `{"seq":`...), e.Seq, 10)
	b = strconv.AppendInt(append(b, `,"to":`...), int64(e.To), 10)
	b = appendRaw(append(b, `,"e":`...), e.E)
	return appendEntryEnd(b, e.P, e.U, e.Meta)
}

func appendLogEntry(b []byte, le *logEntry) []byte {
	b = strconv.AppendInt(append(b, `{"seq":`...), le.Seq, 10)
	b = strconv.AppendInt(append(b, `,"to":`...), int64(le.To), 10)
	if len(le.E) > 0 {
		b = append(append(b, `,"e":`...), le.E...)
	}
	if len(le.X) > 0 {
		b = append(b, `,"x":"`...)
		b = base64.StdEncoding.AppendEncode(b, le.X)
		b = append(b, '"')
	}
	return appendEntryEnd(b, le.P, le.U, le.M)
}

// appendEntryEnd appends the fields an Entry and a logEntry end alike
// with (p, u, m, each left out when empty) and closes the object.
func appendEntryEnd(b []byte, p json.RawMessage, u string, meta bool) []byte {
	if len(p) > 0 {
		b = append(append(b, `,"p":`...), p...)
	}
	if u != "" {
		b = game.AppendJSONString(append(b, `,"u":`...), u)
	}
	if meta {
		b = append(b, `,"m":true`...)
	}
	return append(b, '}')
}

// appendStoredAnswer appends r as the acts hash keeps it (storedAnswer).
func appendStoredAnswer(b []byte, r *Result) []byte {
	return appendAnswerEnd(append(b, '{'), r)
}

func appendResult(b []byte, r *Result) []byte {
	b = game.AppendJSONString(append(b, `{"user":`...), r.User)
	b = game.AppendJSONString(append(b, `,"id":`...), r.ID)
	return appendAnswerEnd(append(b, ','), r)
}

// appendAnswerEnd appends the fields a Result and its stored form end
// alike with (h, code when set, seq last) and closes the object.
func appendAnswerEnd(b []byte, r *Result) []byte {
	b = game.AppendJSONString(append(b, `"h":`...), r.Hash)
	if r.Code != "" {
		b = game.AppendJSONString(append(b, `,"code":`...), r.Code)
	}
	b = strconv.AppendInt(append(b, `,"seq":`...), r.Seq, 10)
	return append(b, '}')
}

// appendRaw appends raw JSON, null when there is none (as encoding/json
// writes an empty RawMessage field that is not omitempty).
func appendRaw(b []byte, raw json.RawMessage) []byte {
	if len(raw) == 0 {
		return append(b, "null"...)
	}
	return append(b, raw...)
}

// DecodeTableMessage reads a table channel's message as json.Unmarshal
// would. A commit's message (epoch, events, answer: every card's, at every
// gateway that follows the table) is read by hand, its raw events and chat
// kept as slices of payload, which the caller must not reuse; anything
// else (a restore, an escaped string, a name in capitals) by encoding/json.
func DecodeTableMessage(payload []byte) (TableMessage, error) {
	var m TableMessage
	if readCommitMessage(payload, &m) {
		return m, nil
	}
	m = TableMessage{}
	err := json.Unmarshal(payload, &m)
	return m, err
}

func readCommitMessage(payload []byte, m *TableMessage) bool {
	l := jsonlex.Lexer{B: payload}
	return l.Object(func(name []byte) bool {
		var ok bool
		switch string(name) {
		case "ep":
			m.Epoch, ok = l.Int()
		case "events":
			m.Events = make([]Entry, 0, 4)
			ok = l.Array(func() bool {
				var e Entry
				ok := readEntry(&l, &e)
				m.Events = append(m.Events, e)
				return ok
			})
		case "result":
			m.Result = &Result{}
			ok = readResult(&l, m.Result)
		case "chat":
			m.Chat, ok = l.Value(8)
		}
		return ok // kick, restored, a name of another spelling: not read here
	}) && l.End()
}

func readEntry(l *jsonlex.Lexer, e *Entry) bool {
	return l.Object(func(name []byte) bool {
		var ok bool
		switch string(name) {
		case "seq":
			e.Seq, ok = l.Int()
		case "to":
			ok = l.IntTo(&e.To)
		case "e":
			e.E, ok = l.Value(8)
		case "p":
			e.P, ok = l.Value(8)
		case "u":
			ok = l.StrTo(&e.U)
		case "m":
			switch v, _ := l.Value(0); string(v) {
			case "true":
				e.Meta, ok = true, true
			case "false":
				e.Meta, ok = false, true
			}
		default:
			ok = l.Skip(name, 8)
		}
		return ok
	})
}

func readResult(l *jsonlex.Lexer, r *Result) bool {
	return l.Object(func(name []byte) bool {
		var ok bool
		switch string(name) {
		case "user":
			ok = l.StrTo(&r.User)
		case "id":
			ok = l.StrTo(&r.ID)
		case "h":
			ok = l.StrTo(&r.Hash)
		case "code":
			ok = l.StrTo(&r.Code)
		case "seq":
			r.Seq, ok = l.Int()
		default:
			ok = l.Skip(name, 8)
		}
		return ok
	})
}
