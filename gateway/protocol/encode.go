package protocol

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/hokm-project/hokm/game"
)

// The Append functions write one server frame each, appending to dst. They
// are hand-written because they run once per frame and recipient.

// AppendAck appends an ack of id; data, when not nil, must be a JSON object.
func AppendAck(dst []byte, id string, data json.RawMessage) []byte {
	dst = append(dst, `{"type":"ack","id":`...)
	dst = game.AppendJSONString(dst, id)
	if data != nil {
		dst = append(dst, `,"data":`...)
		dst = append(dst, data...)
	}
	return append(dst, '}')
}

// AppendAckSeq appends an ack of id with data {"seq":seq}.
func AppendAckSeq(dst []byte, id string, seq int64) []byte {
	dst = append(dst, `{"type":"ack","id":`...)
	dst = game.AppendJSONString(dst, id)
	dst = append(dst, `,"data":`...)
	return append(AppendSeqData(dst, seq), '}')
}

// AppendSeqData appends the data object {"seq":seq}.
func AppendSeqData(dst []byte, seq int64) []byte {
	dst = append(dst, `{"seq":`...)
	dst = strconv.AppendInt(dst, seq, 10)
	return append(dst, '}')
}

// AppendError appends an error frame; id is left out when empty, and msg
// defaults to Message(code).
func AppendError(dst []byte, id string, code game.Code, msg string) []byte {
	dst = append(dst, `{"type":"error"`...)
	if id != "" {
		dst = append(dst, `,"id":`...)
		dst = game.AppendJSONString(dst, id)
	}
	dst = append(dst, `,"code":`...)
	dst = game.AppendJSONString(dst, string(code))
	if msg == "" {
		msg = Message(code)
	}
	dst = append(dst, `,"message":`...)
	dst = game.AppendJSONString(dst, msg)
	return append(dst, '}')
}

// AppendErrorRetry is AppendError with "retry_after": the whole seconds
// (at least 1) after which the request may succeed.
func AppendErrorRetry(dst []byte, id string, code game.Code, msg string, retry time.Duration) []byte {
	dst = AppendError(dst, id, code, msg)
	secs := int64((retry + time.Second - 1) / time.Second)
	dst = append(dst[:len(dst)-1], `,"retry_after":`...)
	dst = strconv.AppendInt(dst, max(secs, 1), 10)
	return append(dst, '}')
}

// AppendEvent appends an event frame; event must be a JSON object.
func AppendEvent(dst []byte, tableID string, seq int64, event json.RawMessage) []byte {
	dst = append(dst, `{"type":"event","table":`...)
	dst = game.AppendJSONString(dst, tableID)
	dst = append(dst, `,"seq":`...)
	dst = strconv.AppendInt(dst, seq, 10)
	dst = append(dst, `,"event":`...)
	dst = append(dst, event...)
	return append(dst, '}')
}

// AppendEventsOpen opens a version-2 events frame whose first event has
// seq: append each event with AppendEventsNext, then AppendEventsClose.
func AppendEventsOpen(dst []byte, tableID string, seq int64) []byte {
	dst = append(dst, `{"type":"events","table":`...)
	dst = game.AppendJSONString(dst, tableID)
	dst = append(dst, `,"seq":`...)
	dst = strconv.AppendInt(dst, seq, 10)
	return append(dst, `,"events":[`...)
}

// AppendEventsNext appends one event (a JSON object) to an open events
// frame; first says whether it is the frame's first.
func AppendEventsNext(dst []byte, event json.RawMessage, first bool) []byte {
	if !first {
		dst = append(dst, ',')
	}
	return append(dst, event...)
}

// AppendEventsClose closes an events frame, with "ack": ack when not "" —
// the ack of the recipient's command id ack, at the frame's last seq.
func AppendEventsClose(dst []byte, ack string) []byte {
	dst = append(dst, ']')
	if ack != "" {
		dst = append(dst, `,"ack":`...)
		dst = game.AppendJSONString(dst, ack)
	}
	return append(dst, '}')
}

// AppendBye appends a bye frame.
func AppendBye(dst []byte, reason string) []byte {
	dst = append(dst, `{"type":"bye","reason":`...)
	dst = game.AppendJSONString(dst, reason)
	return append(dst, '}')
}

// MarshalSnapshot encodes a snapshot frame, or a resync frame when
// s.Reason is set (Type is set for the caller).
func MarshalSnapshot(s Snapshot) ([]byte, error) {
	s.Type = TypeSnapshot
	if s.Reason != "" {
		s.Type = TypeResync
		if s.Back == nil {
			s.Back = new(int64)
		}
	}
	return json.Marshal(s)
}
