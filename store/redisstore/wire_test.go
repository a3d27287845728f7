package redisstore

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
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
