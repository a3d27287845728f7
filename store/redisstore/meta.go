package redisstore

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/hokm-project/hokm/game/table"
)

// metaMemo is a table's meta as a commit stored it: its JSON, its clock
// (Deadline and Timer, the meta's last fields) and the rest of what the
// JSON encodes. The table's next commit reuses the JSON when only the clock
// changed — what a card changes at a table with a person to play — instead
// of encoding the meta again (json.Marshal of the meta was 3 % of hokm
// serve's CPU at 100 busy tables).
type metaMemo struct {
	key             *metaKey // shared by the memos of a table's commits while it holds
	deadline, timer int64
	json            []byte
}

// metaKey is a meta without its clock, its seats by value: comparable with
// ==, and holding no pointer a later change could write through. (A field
// added to table.Meta is compared with the rest; one that is not
// comparable fails to build here.)
type metaKey struct {
	meta  table.Meta // Seats nil, Deadline and Timer 0
	seats [4]table.Player
	taken [4]bool
}

// encodeMeta is json.Marshal(m) — made from prev, the memo of the table's
// last commit (nil when not known), when only the clock changed since —
// with the memo of m for the next commit.
func encodeMeta(m *table.Meta, prev *metaMemo) (*metaMemo, error) {
	k := metaKey{meta: *m} // (on the stack: copied to the heap only when it is new)
	k.meta.Seats, k.meta.Deadline, k.meta.Timer = [4]*table.Player{}, 0, 0
	for i, p := range m.Seats {
		if p != nil {
			k.seats[i], k.taken[i] = *p, true
		}
	}
	memo := &metaMemo{deadline: m.Deadline, timer: m.Timer}
	if prev != nil && *prev.key == k {
		var tail [48]byte
		if head, ok := bytes.CutSuffix(prev.json, appendClock(tail[:0], prev.deadline, prev.timer)); ok {
			memo.key = prev.key
			memo.json = appendClock(append(make([]byte, 0, len(head)+len(tail)), head...), m.Deadline, m.Timer)
			return memo, nil
		}
	}
	memo.key = new(metaKey)
	*memo.key = k
	var err error
	memo.json, err = json.Marshal(m)
	return memo, err
}

// appendClock appends the meta's last fields as json.Marshal writes them
// (both omitempty) and the object's end.
func appendClock(b []byte, deadline, timer int64) []byte {
	if deadline != 0 {
		b = strconv.AppendInt(append(b, `,"deadline":`...), deadline, 10)
	}
	if timer != 0 {
		b = strconv.AppendInt(append(b, `,"timer":`...), timer, 10)
	}
	return append(b, '}')
}
