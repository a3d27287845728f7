package botclient

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/table"
)

// decodeEvent reads every event as encoding/json reads it, by hand or not.
func TestDecodeEventAsEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	types := []game.EventType{game.EvMatchStarted, game.EvHandStarted, game.EvCardsDealt, game.EvTrumpChosen,
		game.EvCardPlayed, game.EvTrickWon, game.EvHandEnded, game.EvMatchEnded}
	var inputs []string
	fast := 0
	for i := 0; i < 3000; i++ {
		e := game.Event{Type: types[r.IntN(len(types))], Hand: r.IntN(30), Seat: r.IntN(4), Leader: r.IntN(4),
			Dealer: r.IntN(4), Card: game.Card(r.IntN(52)), Suit: game.Suit(r.IntN(4)), Count: r.IntN(14),
			Tricks: [2]int{r.IntN(8), r.IntN(8)}, Score: [2]int{r.IntN(12), r.IntN(12)}, Winner: r.IntN(2)}
		if r.IntN(3) > 0 {
			for n := r.IntN(14); n > 0; n-- {
				e.Cards = append(e.Cards, game.Card(r.IntN(52)))
			}
		}
		if e.Type == game.EvHandEnded {
			e.Result = &game.HandResult{Hakem: 1, Trump: 2, Tricks: [2]int{7, 3}, Winner: 0, Points: 1, Kind: "normal"}
		}
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, string(b))
		if r.IntN(4) == 0 {
			b, _ = json.Marshal(table.Turned{Event: e, Turn: table.Clock{Seat: 2, Deadline: 1764988000123}})
			inputs = append(inputs, string(b))
		}
	}
	meta, _ := json.Marshal(table.MetaEvent{Type: "table", Table: table.Meta{ID: "t1", Host: "u1", Match: 2}})
	inputs = append(inputs, string(meta),
		`{"type":"turn","seat":1,"deadline":1764988000123}`, `{"type":"timeout","seat":3,"action":"play"}`,
		// what the hand-reader leaves to encoding/json, or must refuse alike
		`{"type":"trump_chosen","hand":1,"seat":0,"suit":null}`, `{"type":"trump_chosen","suit":"X"}`,
		`{"type":"card_played","card":"1S"}`, `{"type":"card_played","card":null}`, `{"type":"card_played","card":"A\u0053"}`,
		`{"type":"cards_dealt","cards":null}`, `{"type":"cards_dealt","cards":[]}`, `{"type":"cards_dealt","cards":["AS",]}`,
		`{"type":"trick_won","tricks":[1,2,3]}`, `{"type":"trick_won","tricks":[1]}`, `{"hand":1.5}`, `{"hand":-0}`,
		`{"hand":01}`, `{"hand":1e2}`, `{"hand":12345678901}`, `{"hand":-3}`, `{"seat":null}`, `{"type":"a\"b"}`,
		`{"x":[1,"a",true,null,-2.5e-3]}`, `{"x":{}}`, `{"x":{"a":[1,{"b":null}]}}`, `{"x":{"a"}}`, `{"x":[1,]}`, `{}`, ` { "type" : "card_played" , "card" : "TD" } `,
		`{"type":"card_played"}x`, `{"type":"card_played",}`, `[]`, `null`, `{"Type":"card_played"}`, `{"type":"é"}`,
		`{"type":"card_played","hand":2,"hand":3}`, "{\"type\":\"a\tb\"}")
	for _, in := range inputs {
		var want event
		werr := json.Unmarshal([]byte(in), &want)
		got := event{Type: "stale", Cards: []game.Card{1}} // decodeEvent starts afresh
		gerr := decodeEvent([]byte(in), &got)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("%s: error %v, encoding/json %v", in, gerr, werr)
		}
		if werr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%s:\n got %+v\nwant %+v", in, got, want)
		}
		var probe event
		if readFlatEvent([]byte(in), &probe) {
			fast++
		}
	}
	checkFrames(t, r, inputs)
	// The events of play take the hand-reader (it is not decoration).
	if fast < len(inputs)*3/4 {
		t.Errorf("%d of %d events read by hand", fast, len(inputs))
	}
	if !readFlatEvent([]byte(`{"card":"AS","hand":1,"seat":2,"type":"card_played"}`), new(event)) ||
		readFlatEvent([]byte(strings.TrimSuffix(string(meta), "}")), new(event)) ||
		readFlatEvent([]byte(`{"x":[[[[[1]]]]]}`), new(event)) {
		t.Error("the hand-reader's choice of what to read")
	}
}

func BenchmarkDecodeEvent(b *testing.B) {
	raw := []byte(`{"card":"AS","hand":1,"seat":2,"turn":{"seat":3,"deadline":1764988000123},"type":"card_played"}`)
	plain := []byte(`{"card":"AS","hand":1,"seat":2,"type":"card_played"}`)
	for _, c := range []struct {
		name string
		raw  []byte
	}{{"turned", raw}, {"plain", plain}} {
		b.Run(c.name+"/hand", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var e event
				_ = decodeEvent(c.raw, &e)
			}
		})
		b.Run(c.name+"/encoding-json", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var e event
				_ = json.Unmarshal(c.raw, &e)
			}
		})
	}
}

// checkFrames: decodeFrame reads frames as encoding/json does — events
// frames made of the events given, and frames of every other kind.
func checkFrames(t *testing.T, r *rand.Rand, events []string) {
	var frames []string
	for i := 0; i+1 < len(events); i += 1 + r.IntN(7) {
		var evs []string
		for j := i; j < len(events) && j < i+1+r.IntN(7); j++ {
			if json.Valid([]byte(events[j])) {
				evs = append(evs, events[j])
			}
		}
		f := `{"type":"events","table":"k3x9q2ab","seq":` + strconv.Itoa(1+r.IntN(100000)) + `,"events":[` + strings.Join(evs, ",") + `]`
		if r.IntN(3) == 0 {
			f += `,"ack":"m` + strconv.Itoa(i) + `"`
		}
		frames = append(frames, f+"}")
	}
	frames = append(frames,
		`{"type":"ack","id":"m1","data":{"seq":4}}`, `{"type":"event","table":"t","seq":3,"event":{"type":"card_played"}}`,
		`{"type":"snapshot","table":"t","seq":9,"epoch":2,"view":{"seat":1},"table_info":{"id":"t"}}`,
		`{"type":"error","id":"m2","code":"rate_limited","message":"slow down","retry_after":2}`,
		`{"type":"events","table":"t","seq":1,"events":[]}`, `{"type":"events","seq":1,"events":[1]}`,
		`{"type":"events","seq":1,"events":[{"type":"x"},]}`, `{"type":"events","seq":1,"events":[{"type":"x"} {"type":"y"}]}`,
		`{"type":"events","seq":1,"events":null}`, `{"type":"events","seq":"1"}`, `{"type":"bye","reason":"shutdown"}`,
		`{"seq":1,"events":[{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":1}}}}}}}}}],"type":"events"}`,
		` {"type" : "events" , "seq" : 2 , "events" : [ {"type":"card_played"} , {} ] } `, `{"type":"events"`)
	fast := 0
	for _, in := range frames {
		var want frame
		werr := json.Unmarshal([]byte(in), &want)
		got := frame{Type: "stale", Reason: "x"}
		gerr := decodeFrame([]byte(in), &got)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("%s: error %v, encoding/json %v", in, gerr, werr)
		}
		if werr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%s:\n got %+v\nwant %+v", in, got, want)
		}
		if readEventsFrame([]byte(in), new(frame)) {
			fast++
		}
	}
	if fast < len(frames)/2 {
		t.Errorf("%d of %d frames read by hand", fast, len(frames))
	}
}
