package protocol

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/hokm-project/hokm/game"
)

func TestDecodeValid(t *testing.T) {
	seat, after, to, no, yes := 2, int64(17), 0, false, true
	cases := []struct {
		in   string
		want Request
	}{
		{`{"type":"hello","id":"1"}`, Request{Type: TypeHello, ID: "1"}},
		{`{"type":"hello","id":"1","name":"Ali"}`, Request{Type: TypeHello, ID: "1", Name: "Ali"}},
		{`{"id":"x y","token":"abc","type":"hello"}`, Request{Type: TypeHello, ID: "x y", Token: "abc"}},
		{`{"type":"create_table","id":"2"}`, Request{Type: TypeCreateTable, ID: "2"}},
		{`{"type":"create_table","id":"2","rules":{"target":5,"play_all_tricks":true}}`,
			Request{Type: TypeCreateTable, ID: "2", Rules: &game.Rules{Target: 5, PlayAllTricks: true}}},
		{`{"type":"sit","id":"3","table":"ab12","seat":2}`, Request{Type: TypeSit, ID: "3", Table: "ab12", Seat: &seat}},
		{`{"type":"leave","id":"4","table":"ab12"}`, Request{Type: TypeLeave, ID: "4", Table: "ab12"}},
		{`{"type":"add_bots","id":"4","table":"ab12"}`, Request{Type: TypeAddBots, ID: "4", Table: "ab12"}},
		{`{"type":"start","id":"4","table":"ab12"}`, Request{Type: TypeStart, ID: "4", Table: "ab12"}},
		{`{"type":"rematch","id":"4","table":"ab12"}`, Request{Type: TypeRematch, ID: "4", Table: "ab12"}},
		{`{"type":"ready","id":"4","table":"ab12"}`, Request{Type: TypeReady, ID: "4", Table: "ab12"}},
		{`{"type":"ready","id":"4","table":"ab12","ready":false}`, Request{Type: TypeReady, ID: "4", Table: "ab12", Ready: &no}},
		{`{"type":"ready","id":"4","table":"ab12","ready":true}`, Request{Type: TypeReady, ID: "4", Table: "ab12", Ready: &yes}},
		{`{"type":"swap","id":"4","table":"ab12","seat":2,"to":0}`, Request{Type: TypeSwap, ID: "4", Table: "ab12", Seat: &seat, To: &to}},
		{`{"type":"create_table","id":"2","options":{"untimed":true,"rematch_seconds":90}}`,
			Request{Type: TypeCreateTable, ID: "2", Options: &TableOptions{Untimed: true, RematchSeconds: 90}}},
		{`{"type":"trump","id":"5","table":"ab12","suit":"H"}`, Request{Type: TypeTrump, ID: "5", Table: "ab12", Suit: "H"}},
		{` {"type":"play","id":"6","table":"ab12","card":"TD"} `, Request{Type: TypePlay, ID: "6", Table: "ab12", Card: "TD"}},
		{`{"type":"sync","id":"7","table":"ab12"}`, Request{Type: TypeSync, ID: "7", Table: "ab12"}},
		{`{"type":"sync","id":"7","table":"ab12","after":17}`, Request{Type: TypeSync, ID: "7", Table: "ab12", After: &after}},
		{`{"type":"ping","id":"` + strings.Repeat("z", MaxIDLen) + `"}`, Request{Type: TypePing, ID: strings.Repeat("z", MaxIDLen)}},
		{`{"type":"p\u0069ng","id":"8"}`, Request{Type: TypePing, ID: "8"}}, // escapes are the same key/value
	}
	for _, c := range cases {
		got, err := Decode([]byte(c.in))
		if err != nil {
			t.Errorf("Decode(%s): %v", c.in, err)
			continue
		}
		gb, _ := json.Marshal(got)
		wb, _ := json.Marshal(c.want)
		if string(gb) != string(wb) {
			t.Errorf("Decode(%s) = %s, want %s", c.in, gb, wb)
		}
	}
}

func TestDecodeRefused(t *testing.T) {
	long := strings.Repeat("a", MaxFrameLen)
	cases := []struct {
		name, in string
		code     game.Code
		id       string // the id the error must carry
	}{
		{"not JSON", `hello`, CodeBadMessage, ""},
		{"empty", ``, CodeBadMessage, ""},
		{"truncated", `{"type":"ping","id":"a1"`, CodeBadMessage, "a1"},
		{"truncated early", `{"type":"pi`, CodeBadMessage, ""},
		{"null", `null`, CodeBadMessage, ""},
		{"array", `[{"type":"ping","id":"a1"}]`, CodeBadMessage, ""},
		{"string", `"ping"`, CodeBadMessage, ""},
		{"number", `12`, CodeBadMessage, ""},
		{"two objects", `{"type":"ping","id":"a1"}{"type":"ping","id":"a2"}`, CodeBadMessage, "a1"},
		{"trailing bytes", `{"type":"ping","id":"a1"}x`, CodeBadMessage, "a1"},
		{"trailing comma", `{"type":"ping","id":"a1",}`, CodeBadMessage, "a1"},
		{"invalid UTF-8", "{\"type\":\"hello\",\"id\":\"a1\",\"name\":\"\xff\"}", CodeBadMessage, ""},
		{"too large", `{"type":"hello","id":"a1","name":"` + long + `"}`, CodeBadMessage, ""},
		{"missing id", `{"type":"ping"}`, CodeBadMessage, ""},
		{"empty id", `{"type":"ping","id":""}`, CodeBadMessage, ""},
		{"long id", `{"type":"ping","id":"` + strings.Repeat("z", MaxIDLen+1) + `"}`, CodeBadMessage, ""},
		{"non-ASCII id", `{"type":"ping","id":"é"}`, CodeBadMessage, ""},
		{"control char id", `{"type":"ping","id":"a\n"}`, CodeBadMessage, ""},
		{"number id", `{"type":"ping","id":1}`, CodeBadMessage, ""},
		{"null id", `{"type":"ping","id":null}`, CodeBadMessage, ""},
		{"duplicate id", `{"type":"ping","id":"a1","id":"a2"}`, CodeBadMessage, ""},
		{"missing type", `{"id":"a1"}`, CodeBadMessage, "a1"},
		{"number type", `{"type":5,"id":"a1"}`, CodeBadMessage, "a1"},
		{"unknown type", `{"type":"fly","id":"a1"}`, CodeUnknownType, "a1"},
		{"case-folded type", `{"type":"PING","id":"a1"}`, CodeUnknownType, "a1"},
		{"duplicate type", `{"type":"ping","type":"ping","id":"a1"}`, CodeBadMessage, "a1"},
		{"duplicate key", `{"type":"play","id":"a1","table":"t1","card":"AS","card":"KS"}`, CodeBadMessage, "a1"},
		{"duplicate escaped key", `{"type":"play","id":"a1","table":"t1","card":"AS","c\u0061rd":"KS"}`, CodeBadMessage, "a1"},
		{"duplicate nested key", `{"type":"create_table","id":"a1","rules":{"target":5,"target":3}}`, CodeBadMessage, "a1"},
		{"case-folded field", `{"type":"play","id":"a1","table":"t1","Card":"AS"}`, CodeBadMessage, "a1"},
		{"case-folded field and right one", `{"type":"play","id":"a1","table":"t1","card":"AS","Card":"KS"}`, CodeBadMessage, "a1"},
		{"case-folded id key", `{"type":"ping","ID":"a1"}`, CodeBadMessage, ""},
		{"case-folded nested field", `{"type":"create_table","id":"a1","rules":{"Target":5}}`, CodeBadMessage, "a1"},
		{"unknown field", `{"type":"ping","id":"a1","x":1}`, CodeBadMessage, "a1"},
		{"unknown nested field", `{"type":"create_table","id":"a1","rules":{"target":5,"jokers":true}}`, CodeBadMessage, "a1"},
		{"field of another type", `{"type":"ping","id":"a1","table":"t1"}`, CodeBadMessage, "a1"},
		{"seat in play", `{"type":"play","id":"a1","table":"t1","card":"AS","seat":2}`, CodeBadMessage, "a1"},
		{"seat in trump", `{"type":"trump","id":"a1","table":"t1","suit":"S","seat":0}`, CodeBadMessage, "a1"},
		{"missing table", `{"type":"start","id":"a1"}`, CodeBadMessage, "a1"},
		{"missing seat", `{"type":"sit","id":"a1","table":"t1"}`, CodeBadMessage, "a1"},
		{"missing card", `{"type":"play","id":"a1","table":"t1"}`, CodeBadMessage, "a1"},
		{"swap without to", `{"type":"swap","id":"a1","table":"t1","seat":1}`, CodeBadMessage, "a1"},
		{"swap without seat", `{"type":"swap","id":"a1","table":"t1","to":1}`, CodeBadMessage, "a1"},
		{"string to", `{"type":"swap","id":"a1","table":"t1","seat":1,"to":"2"}`, CodeBadMessage, "a1"},
		{"to in sit", `{"type":"sit","id":"a1","table":"t1","seat":1,"to":2}`, CodeBadMessage, "a1"},
		{"string ready", `{"type":"ready","id":"a1","table":"t1","ready":"yes"}`, CodeBadMessage, "a1"},
		{"null ready", `{"type":"ready","id":"a1","table":"t1","ready":null}`, CodeBadMessage, "a1"},
		{"ready in rematch", `{"type":"rematch","id":"a1","table":"t1","ready":true}`, CodeBadMessage, "a1"},
		{"string untimed", `{"type":"create_table","id":"a1","options":{"untimed":"yes"}}`, CodeBadMessage, "a1"},
		{"string seat", `{"type":"sit","id":"a1","table":"t1","seat":"2"}`, CodeBadMessage, "a1"},
		{"float seat", `{"type":"sit","id":"a1","table":"t1","seat":1.5}`, CodeBadMessage, "a1"},
		{"exponent seat", `{"type":"sit","id":"a1","table":"t1","seat":1e2}`, CodeBadMessage, "a1"},
		{"huge seat", `{"type":"sit","id":"a1","table":"t1","seat":99999999999999999999999}`, CodeBadMessage, "a1"},
		{"number card", `{"type":"play","id":"a1","table":"t1","card":12}`, CodeBadMessage, "a1"},
		{"null card", `{"type":"play","id":"a1","table":"t1","card":null}`, CodeBadMessage, "a1"},
		{"object table", `{"type":"start","id":"a1","table":{}}`, CodeBadMessage, "a1"},
		{"bool rules", `{"type":"create_table","id":"a1","rules":true}`, CodeBadMessage, "a1"},
		{"string target", `{"type":"create_table","id":"a1","rules":{"target":"5"}}`, CodeBadMessage, "a1"},
		{"string after", `{"type":"sync","id":"a1","table":"t1","after":"3"}`, CodeBadMessage, "a1"},
		{"negative after", `{"type":"sync","id":"a1","table":"t1","after":-1}`, CodeBadMessage, "a1"},
		{"empty table", `{"type":"start","id":"a1","table":""}`, CodeBadMessage, "a1"},
		{"hash tag table", `{"type":"start","id":"a1","table":"a}b"}`, CodeBadMessage, "a1"},
		{"long table", `{"type":"start","id":"a1","table":"` + strings.Repeat("t", MaxTableLen+1) + `"}`, CodeBadMessage, "a1"},
		{"empty token", `{"type":"hello","id":"a1","token":""}`, CodeBadMessage, "a1"},
		{"deep nesting", `{"type":"create_table","id":"a1","rules":{"target":[[[[1]]]]}}`, CodeBadMessage, "a1"},
		{"deep nesting unknown", `{"id":"a1","type":"ping","x":[[[[[[[[[[]]]]]]]]]]}`, CodeBadMessage, "a1"},
		{"bad card 10H", `{"type":"play","id":"a1","table":"t1","card":"10H"}`, game.CodeInvalidCard, "a1"},
		{"bad card lower", `{"type":"play","id":"a1","table":"t1","card":"as"}`, game.CodeInvalidCard, "a1"},
		{"bad card empty", `{"type":"play","id":"a1","table":"t1","card":""}`, game.CodeInvalidCard, "a1"},
		{"bad suit", `{"type":"trump","id":"a1","table":"t1","suit":"X"}`, game.CodeInvalidSuit, "a1"},
		{"bad suit lower", `{"type":"trump","id":"a1","table":"t1","suit":"s"}`, game.CodeInvalidSuit, "a1"},
		{"bad suit word", `{"type":"trump","id":"a1","table":"t1","suit":"Spades"}`, game.CodeInvalidSuit, "a1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := Decode([]byte(c.in))
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Decode(%s) = %+v, %v; want a *protocol.Error", c.in, req, err)
			}
			if pe.Code != c.code || pe.ID != c.id {
				t.Fatalf("Decode(%s) = code %q id %q (%s), want code %q id %q", c.in, pe.Code, pe.ID, pe.Msg, c.code, c.id)
			}
			if pe.Msg == "" {
				t.Fatalf("Decode(%s): error without a message", c.in)
			}
		})
	}
}

func TestEncodeFrames(t *testing.T) {
	cases := []struct{ got, want string }{
		{string(AppendAck(nil, `a"b`, nil)), `{"type":"ack","id":"a\"b"}`},
		{string(AppendAck(nil, "a", json.RawMessage(`{"x":1}`))), `{"type":"ack","id":"a","data":{"x":1}}`},
		{string(AppendAckSeq(nil, "a", 42)), `{"type":"ack","id":"a","data":{"seq":42}}`},
		{string(AppendError(nil, "", CodeBadMessage, "x")), `{"type":"error","code":"bad_message","message":"x"}`},
		{string(AppendError(nil, `\`, CodeRateLimited, "")), `{"type":"error","id":"\\","code":"rate_limited","message":"too many frames; slow down"}`},
		{string(AppendEvent(nil, "t1", 7, json.RawMessage(`{"type":"x"}`))), `{"type":"event","table":"t1","seq":7,"event":{"type":"x"}}`},
		{string(AppendBye(nil, ByeShutdown)), `{"type":"bye","reason":"shutdown"}`},
		{string(appendEvents("t1", 7, "", `{"type":"x"}`)), `{"type":"events","table":"t1","seq":7,"events":[{"type":"x"}]}`},
		{string(appendEvents("t1", 7, `q"1`, `{"type":"x"}`, `{"type":"y"}`)),
			`{"type":"events","table":"t1","seq":7,"events":[{"type":"x"},{"type":"y"}],"ack":"q\"1"}`},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %s, want %s", c.got, c.want)
		}
		if !json.Valid([]byte(c.got)) {
			t.Errorf("%s is not valid JSON", c.got)
		}
	}
}

func appendEvents(tableID string, seq int64, ack string, events ...string) []byte {
	b := AppendEventsOpen(nil, tableID, seq)
	for i, ev := range events {
		b = AppendEventsNext(b, json.RawMessage(ev), i == 0)
	}
	return AppendEventsClose(b, ack)
}

// TestUnfold: a version-2 events frame stands for its events at
// consecutive seqs, then the ack at the last one's seq.
func TestUnfold(t *testing.T) {
	var f ServerFrame
	if err := json.Unmarshal(appendEvents("t1", 7, "q1", `{"type":"x"}`, `{"type":"y"}`), &f); err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(f.Unfold())
	want := `[{"type":"event","table":"t1","seq":7,"event":{"type":"x"}},{"type":"event","table":"t1","seq":8,"event":{"type":"y"}},` +
		`{"type":"ack","id":"q1","data":{"seq":8}}]`
	if string(got) != want {
		t.Fatalf("unfolded\n%s\nwant\n%s", got, want)
	}
	var g ServerFrame
	if err := json.Unmarshal(appendEvents("t1", 9, "", `{"type":"z"}`), &g); err != nil || len(g.Unfold()) != 1 || g.Unfold()[0].Seq != 9 {
		t.Fatalf("without an ack: %+v %v", g.Unfold(), err)
	}
	ack := ServerFrame{Type: TypeAck, ID: "a"}
	if u := ack.Unfold(); len(u) != 1 || u[0].ID != "a" {
		t.Fatalf("an ack unfolds to %+v", u)
	}
}

func BenchmarkDecodePlay(b *testing.B) {
	frame := []byte(`{"type":"play","id":"m-000123","table":"k3x9q2ab","card":"TD"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(frame); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendEvent(b *testing.B) {
	ev := json.RawMessage(`{"card":"TD","hand":0,"seat":2,"type":"card_played"}`)
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendEvent(buf[:0], "k3x9q2ab", 123, ev)
	}
}
