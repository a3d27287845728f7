package redisstore

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// The hand-written encoders write what encoding/json writes for the structs.
func TestWireAsEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	strs := []string{"", "u-1", "01JC9ZK7", "a\"b", "<tag>&", "ümlaut", "tab\there"}
	raws := []json.RawMessage{nil, {}, json.RawMessage(`{"type":"card_played","seat":2}`), json.RawMessage(`[1,2]`)}
	str := func() string { return strs[r.IntN(len(strs))] }
	raw := func() json.RawMessage { return raws[r.IntN(len(raws))] }
	for i := 0; i < 5000; i++ {
		evs := make([]Entry, r.IntN(4))
		for j := range evs {
			evs[j] = Entry{Seq: r.Int64N(1 << 40), To: r.IntN(5) - 1, E: raw(), P: raw(), U: str(), Meta: r.IntN(2) == 0}
			if len(evs[j].E) == 0 {
				evs[j].E = raws[2] // an entry always has its event
			}
		}
		res := &Result{User: str(), ID: str(), Hash: str(), Code: str(), Seq: r.Int64N(1000)}
		if r.IntN(4) == 0 {
			res = nil
		}
		m := Message{Epoch: r.Int64N(3), Events: evs, Result: res}
		want, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendCommitMessage(nil, m.Epoch, m.Events, m.Result); !bytes.Equal(got, want) {
			t.Fatalf("message\n got %s\nwant %s", got, want)
		}
		if res != nil {
			want, _ := json.Marshal(struct {
				Hash string `json:"h"`
				Code string `json:"code,omitempty"`
				Seq  int64  `json:"seq"`
			}{res.Hash, res.Code, res.Seq})
			if got := storedAnswer(*res); !bytes.Equal(got, want) {
				t.Fatalf("stored answer\n got %s\nwant %s", got, want)
			}
		}
		le := logEntry{Seq: r.Int64N(1 << 40), To: r.IntN(5) - 1, E: raw(), P: raw(), U: str(), M: r.IntN(2) == 0}
		if r.IntN(2) == 0 {
			le.X = make([]byte, r.IntN(40))
			for k := range le.X {
				le.X[k] = byte(r.IntN(256))
			}
		}
		want, _ = json.Marshal(le)
		if got := appendLogEntry(nil, &le); !bytes.Equal(got, want) {
			t.Fatalf("log entry\n got %s\nwant %s", got, want)
		}
	}
}

// DecodeTableMessage reads every message as encoding/json reads it: the
// commit messages appendCommitMessage writes, and every other kind.
func TestDecodeTableMessageAsEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 4))
	strs := []string{"", "u-1", "01JC9ZK7", "a\"b", "<tag>&", "ümlaut"}
	raws := []json.RawMessage{json.RawMessage(`{"type":"card_played","seat":2,"turn":{"seat":3,"deadline":1764988000123}}`),
		json.RawMessage(`{"type":"table","table":{"seats":[null,{"id":"u","ready":true}],"rules":{"target":7}}}`),
		json.RawMessage(`[1,2.5e3,"x",null]`), json.RawMessage(`null`), json.RawMessage(`{"s":"esc\"aped"}`)}
	var payloads [][]byte
	plain := map[int]bool{} // commit messages with nothing escaped: each must be read by hand
	for i := 0; i < 3000; i++ {
		evs := make([]Entry, r.IntN(4))
		for j := range evs {
			evs[j] = Entry{Seq: r.Int64N(1 << 40), To: r.IntN(5) - 1, E: raws[r.IntN(len(raws))], U: strs[r.IntN(len(strs))], Meta: r.IntN(2) == 0}
			if r.IntN(2) == 0 {
				evs[j].P = raws[r.IntN(len(raws))]
			}
		}
		var res *Result
		if r.IntN(4) > 0 {
			res = &Result{User: strs[r.IntN(len(strs))], ID: strs[r.IntN(len(strs))], Hash: "h1", Code: strs[r.IntN(3)], Seq: r.Int64N(1000)}
		}
		payloads = append(payloads, appendCommitMessage(nil, r.Int64N(3), evs, res))
		if !bytes.ContainsRune(payloads[len(payloads)-1], '\\') {
			plain[len(payloads)-1] = true
		}
		m := TableMessage{Message: Message{Epoch: r.Int64N(3), Events: evs, Result: res}}
		switch r.IntN(5) {
		case 0:
			m.Chat = json.RawMessage(`{"type":"chat","from":"u1","text":"salam"}`)
		case 1:
			m.Restored = &Restored{Seq: 4, Reason: "restored"}
		case 2:
			m.Kick = []string{"u2"}
		}
		b, _ := json.Marshal(m)
		payloads = append(payloads, b)
	}
	for _, s := range []string{`{}`, ` { "ep" : 2 , "events" : [ ] } `, `{"ep":1,"events":[{"seq":1,"to":-1,"e":{},"m":null}]}`,
		`{"ep":1,"events":[{"seq":1,"to":-1,"e":{},"M":true}]}`, `{"Ep":3}`, `{"ep":1.5}`, `{"ep":1}x`, `{"ep":1,}`,
		`{"events":[{"seq":1,"to":0,"e":{"a":1}},]}`, `{"result":{"user":"u","seq":2,"extra":[1]}}`, `{"result":null}`,
		`{"events":null}`, `{"chat":"hi"}`, `[]`, `{"events":[{"seq":99999999999999999999,"to":0,"e":1}]}`} {
		payloads = append(payloads, []byte(s))
	}
	for i, p := range payloads {
		var want TableMessage
		werr := json.Unmarshal(p, &want)
		got, gerr := DecodeTableMessage(p)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("%s: error %v, encoding/json %v", p, gerr, werr)
		}
		if werr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%s:\n got %+v\nwant %+v", p, got, want)
		}
		if plain[i] && !readCommitMessage(p, new(TableMessage)) {
			t.Fatalf("%s: a commit's message not read by hand", p)
		}
	}
	if len(plain) < 500 {
		t.Fatalf("only %d plain commit messages", len(plain))
	}
}

func BenchmarkDecodeTableMessage(b *testing.B) {
	p := appendCommitMessage(nil, 1, []Entry{{Seq: 41, To: -1, E: json.RawMessage(`{"card":"AS","hand":1,"seat":2,"turn":{"seat":3,"deadline":1764988000123},"type":"card_played"}`)}},
		&Result{User: "u-1", ID: "m41", Hash: "h", Seq: 41})
	b.Run("hand", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = DecodeTableMessage(p)
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var m TableMessage
			_ = json.Unmarshal(p, &m)
		}
	})
}

// TestPackedAction: an action's packed stream field reads back as the
// action, whatever bytes its strings hold (colons and digits among them);
// a field cut short anywhere, or malformed, is refused, not misread.
func TestPackedAction(t *testing.T) {
	for _, a := range []Action{
		{Table: "t1", User: "u", Name: "12:34 :: 5:", ID: "9:x", Op: "sit", Seat: 2, Arg: "", At: 1_700_000_000_000_000},
		{Table: "میز", User: "کاربر", Name: "علی‌رضا 🃏", ID: "a", Op: "play", Arg: "AS", Seat: -1, At: -7},
		{},
	} {
		b := a.appendPacked(nil)
		got, ok := unpack(string(b))
		if !ok || got != a {
			t.Fatalf("%+v packed as %q read back as %+v (%v)", a, b, got, ok)
		}
		for n := range len(b) {
			if got, ok := unpack(string(b[:n])); ok || got != (Action{}) {
				t.Fatalf("%q, cut to %d bytes, read as %+v (%v)", b, n, got, ok)
			}
		}
	}
	for _, bad := range []string{"", ":", "-1:x", "x:", "3:abc", "99:t1" + strings.Repeat("0:", 5) + "0:0;", "1:a0:0:0:0:0:x:0;", "1:a0:0:0:0:0:0:y;", "1:a0:0:0:0:0:0:0"} {
		if got, ok := unpack(bad); ok || got != (Action{}) {
			t.Fatalf("%q read as %+v (%v)", bad, got, ok)
		}
	}
}
