package protocol

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/table"
)

func TestDecodePlayersFrames(t *testing.T) {
	seat := 1
	cases := []struct {
		in   string
		want Request
	}{
		{`{"type":"create_table","id":"1","options":{"turn_seconds":20,"trump_seconds":15,"max_timeouts":3,"public":true}}`,
			Request{Type: TypeCreateTable, ID: "1", Options: &TableOptions{TurnSeconds: 20, TrumpSeconds: 15, MaxTimeouts: 3, Public: true}}},
		{`{"type":"join_code","id":"2","code":"k7qx2m"}`, Request{Type: TypeJoinCode, ID: "2", Code: "K7QX2M"}},
		{`{"type":"join_code","id":"2","code":"K7QX2M","seat":1}`, Request{Type: TypeJoinCode, ID: "2", Code: "K7QX2M", Seat: &seat}},
		{`{"type":"join_code","id":"2","code":"k7qx2mabc"}`, Request{Type: TypeJoinCode, ID: "2", Code: "K7QX2MABC"}},
		{`{"type":"lobby","id":"3"}`, Request{Type: TypeLobby, ID: "3"}},
		{`{"type":"lobby_leave","id":"3"}`, Request{Type: TypeLobbyLeave, ID: "3"}},
		{`{"type":"quick_match","id":"4"}`, Request{Type: TypeQuickMatch, ID: "4"}},
		{`{"type":"quick_match_cancel","id":"4"}`, Request{Type: TypeQuickMatchCancel, ID: "4"}},
		{`{"type":"watch","id":"5","table":"ab"}`, Request{Type: TypeWatch, ID: "5", Table: "ab"}},
		{`{"type":"unwatch","id":"5","table":"ab"}`, Request{Type: TypeUnwatch, ID: "5", Table: "ab"}},
		{`{"type":"chat","id":"6","table":"ab","text":"سلام"}`, Request{Type: TypeChat, ID: "6", Table: "ab", Text: "سلام"}},
		{`{"type":"back","id":"7","table":"ab"}`, Request{Type: TypeBack, ID: "7", Table: "ab"}},
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

func TestDecodePlayersFramesRefused(t *testing.T) {
	for _, in := range []string{
		`{"type":"create_table","id":"a","options":{"code":"ABCDEF"}}`,
		`{"type":"create_table","id":"a","options":{"Public":true}}`,
		`{"type":"create_table","id":"a","options":{"public":"yes"}}`,
		`{"type":"create_table","id":"a","options":{"public":true,"public":false}}`,
		`{"type":"create_table","id":"a","options":true}`,
		`{"type":"join_code","id":"a"}`,
		`{"type":"join_code","id":"a","code":"ABC"}`,
		`{"type":"join_code","id":"a","code":"ABCDEFG"}`,
		`{"type":"join_code","id":"a","code":"ABCDEFGH"}`,
		`{"type":"join_code","id":"a","code":"ABCDEFGHJK"}`,
		`{"type":"join_code","id":"a","code":"ABCDE0"}`,
		`{"type":"join_code","id":"a","code":"ABCDEI"}`,
		`{"type":"join_code","id":"a","code":"ABCDEF","table":"x"}`,
		`{"type":"lobby","id":"a","table":"x"}`,
		`{"type":"watch","id":"a"}`,
		`{"type":"chat","id":"a","table":"x"}`,
		`{"type":"chat","id":"a","text":"hi"}`,
		`{"type":"chat","id":"a","table":"x","text":5}`,
		`{"type":"back","id":"a","table":"x","seat":1}`,
		`{"type":"sit","id":"a","table":"x","seat":1,"text":"hi"}`,
	} {
		_, err := Decode([]byte(in))
		var pe *Error
		if !errors.As(err, &pe) || pe.Code != CodeBadMessage || pe.ID != "a" {
			t.Errorf("Decode(%s): %v, want bad_message with id", in, err)
		}
	}
}

// TestServerFrameLobby: a lobby frame's table object decodes into Lobby.
func TestServerFrameLobby(t *testing.T) {
	var f ServerFrame
	m := table.Meta{ID: "t1", Rules: game.Rules{Target: 3}, Options: table.Options{Public: true, Code: "SECRET"},
		Seats: [4]*table.Player{{ID: "u", Name: "Sara"}, nil, {ID: "bot:2", Name: "bot", Bot: true}, nil}}
	lt := NewLobbyTable(&m)
	if lt.Options.Code != "" {
		t.Fatal("code in a lobby entry")
	}
	b, _ := json.Marshal(map[string]any{"type": "lobby", "table": lt})
	if err := json.Unmarshal(b, &f); err != nil || f.Type != TypeLobby || f.Lobby == nil || f.Lobby.ID != "t1" ||
		f.Lobby.Seats[0].Name != "Sara" || !f.Lobby.Seats[2].Bot || f.Lobby.Seats[1] != nil {
		t.Fatalf("%s → %+v %v", b, f, err)
	}
	f = ServerFrame{}
	if err := json.Unmarshal([]byte(`{"type":"lobby","removed":"t1"}`), &f); err != nil || f.Removed != "t1" {
		t.Fatalf("removed: %+v %v", f, err)
	}
	f = ServerFrame{}
	if err := json.Unmarshal([]byte(`{"type":"event","table":"t1","seq":3}`), &f); err != nil || f.Table != "t1" || f.Seq != 3 {
		t.Fatalf("event: %+v %v", f, err)
	}
}

// TestAppendErrorRetry: a refusal with a retry hint in whole seconds,
// rounded up, at least 1.
func TestAppendErrorRetry(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want int
	}{{0, 1}, {time.Millisecond, 1}, {1500 * time.Millisecond, 2}, {time.Hour, 3600}} {
		b := AppendErrorRetry(nil, "x", CodeRateLimited, "", c.d)
		var f ServerFrame
		if err := json.Unmarshal(b, &f); err != nil || f.Code != CodeRateLimited || f.ID != "x" || f.RetryAfter != c.want ||
			f.Message != Message(CodeRateLimited) {
			t.Errorf("%v: %s %v", c.d, b, err)
		}
	}
}
