package game_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/hokm-project/hokm/game"
)

// tcDeckStrings is a deck as a record writes it.
func tcDeckStrings(d game.Deck) []string {
	out := make([]string, len(d))
	for i, c := range d {
		out[i] = c.String()
	}
	return out
}

// tcRecord is a well-formed record (Hakem 0, who holds every spade) as a
// JSON object to change; actions are optional.
func tcRecord(t testing.TB, actions ...map[string]any) map[string]any {
	t.Helper()
	deal := tcDeckStrings(tcDeck(t, 0, spsHands("SHDC")))
	acts := []any{}
	for _, a := range actions {
		acts = append(acts, a)
	}
	return map[string]any{"first_hakem": 0, "deals": []any{deal, deal}, "actions": acts}
}

func tcJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tcReplay replays raw record JSON and returns the exit status and the
// printed result decoded as generic JSON.
func tcReplay(t testing.TB, raw []byte) (int, map[string]any, []byte) {
	t.Helper()
	res, status := game.ReplayJSON(bytes.NewReader(raw))
	out := tcJSON(t, res)
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	return status, m, out
}

// checkInvalidRecordOutput requires exactly {"ok":false,"error":{"code":"invalid_record","message":...}}.
func checkInvalidRecordOutput(t testing.TB, m map[string]any, out []byte) {
	t.Helper()
	e, _ := m["error"].(map[string]any)
	msg, _ := e["message"].(string)
	if len(m) != 2 || m["ok"] != false || len(e) != 2 || e["code"] != "invalid_record" || msg == "" {
		t.Fatalf("malformed record output %s", out)
	}
	if !bytes.HasPrefix(out, []byte(`{"ok":false,"error":{"code":"invalid_record","message":"`)) {
		t.Fatalf("malformed record output not in the documented order: %s", out)
	}
}

// TestDecodeRecordInvalid: every malformed record is exit 2, invalid_record,
// whatever its actions would do.
func TestDecodeRecordInvalid(t *testing.T) {
	t.Parallel()
	good := tcJSON(t, tcRecord(t, map[string]any{"seat": 0, "trump": "S"}))
	with := func(change func(m map[string]any)) []byte {
		m := tcRecord(t, map[string]any{"seat": 0, "trump": "S"})
		change(m)
		return tcJSON(t, m)
	}
	action := func(a map[string]any) []byte {
		return with(func(m map[string]any) { m["actions"] = []any{a} })
	}
	deal := tcDeckStrings(tcDeck(t, 0, spsHands("SHDC")))
	dealWith := func(i int, c string) []string {
		d := append([]string{}, deal...)
		d[i] = c
		return d
	}
	kot := tcRecord(t)
	// A Kot by Hakem 0, who leads (and wins) every trick.
	kotActions := []any{map[string]any{"seat": 0, "trump": "S"}}
	for i, c := range tcCards(t, kotPlays("S", [3]string{"H", "D", "C"})) {
		kotActions = append(kotActions, map[string]any{"seat": i % 4, "card": c.String()})
	}
	cases := map[string][]byte{
		"empty input":          []byte(``),
		"not JSON":             []byte(`hello`),
		"truncated":            good[:len(good)/2],
		"JSON null":            []byte(`null`),
		"array":                []byte(`[]`),
		"string":               []byte(`"record"`),
		"number":               []byte(`7`),
		"trailing data":        append(append([]byte{}, good...), []byte(` x`)...),
		"trailing brace":       append(append([]byte{}, good...), '}'),
		"two records":          append(append(append([]byte{}, good...), '\n'), good...),
		"missing deals":        with(func(m map[string]any) { delete(m, "deals") }),
		"null deals":           with(func(m map[string]any) { m["deals"] = nil }),
		"deals not a list":     with(func(m map[string]any) { m["deals"] = "AS" }),
		"missing actions":      with(func(m map[string]any) { delete(m, "actions") }),
		"null actions":         with(func(m map[string]any) { m["actions"] = nil }),
		"seat 4":               action(map[string]any{"seat": 4, "trump": "S"}),
		"seat -1":              action(map[string]any{"seat": -1, "trump": "S"}),
		"seat 1.5":             action(map[string]any{"seat": 1.5, "trump": "S"}),
		"seat 1e0":             []byte(strings.Replace(string(good), `"seat":0`, `"seat":1e0`, 1)),
		"seat 0.0":             []byte(strings.Replace(string(good), `"seat":0`, `"seat":0.0`, 1)),
		"seat string":          action(map[string]any{"seat": "0", "trump": "S"}),
		"seat null":            action(map[string]any{"seat": nil, "trump": "S"}),
		"seat missing":         action(map[string]any{"trump": "S"}),
		"seat huge":            action(map[string]any{"seat": 1 << 40, "trump": "S"}),
		"trump and card":       action(map[string]any{"seat": 0, "trump": "S", "card": "AS"}),
		"neither":              action(map[string]any{"seat": 0}),
		"trump not a string":   action(map[string]any{"seat": 0, "trump": 1}),
		"card not a string":    action(map[string]any{"seat": 0, "card": []string{"AS"}}),
		"action not an object": with(func(m map[string]any) { m["actions"] = []any{"AS"} }),
		"deal of 51":           with(func(m map[string]any) { m["deals"] = []any{deal[:51]} }),
		"deal of 53":           with(func(m map[string]any) { m["deals"] = []any{append(append([]string{}, deal...), "AS")} }),
		"empty deal":           with(func(m map[string]any) { m["deals"] = []any{[]string{}} }),
		"deal repeats a card":  with(func(m map[string]any) { m["deals"] = []any{dealWith(51, deal[0])} }),
		"deal with 10H":        with(func(m map[string]any) { m["deals"] = []any{dealWith(7, "10H")} }),
		"deal with as":         with(func(m map[string]any) { m["deals"] = []any{dealWith(7, "as")} }),
		"deal with empty card": with(func(m map[string]any) { m["deals"] = []any{dealWith(7, "")} }),
		"deal of numbers":      with(func(m map[string]any) { m["deals"] = []any{make([]int, 52)} }),
		// Checked before the first action, even when the deal is never reached
		// and the first action is illegal anyway (not_hakem).
		"bad second deal, illegal action 0": with(func(m map[string]any) {
			m["deals"] = []any{deal, dealWith(0, deal[1])}
			m["actions"] = []any{map[string]any{"seat": 1, "trump": "S"}}
		}),
		"bad last of 5 deals, no actions": with(func(m map[string]any) {
			m["deals"] = []any{deal, deal, deal, deal, dealWith(3, "XX")}
			m["actions"] = []any{}
		}),
		"no ace in draw": with(func(m map[string]any) {
			delete(m, "first_hakem")
			m["draw"] = []string{"2C", "3D", "KH", "QS", "JD"}
		}),
		"empty draw": with(func(m map[string]any) {
			delete(m, "first_hakem")
			m["draw"] = []string{}
		}),
		"bad card in draw": with(func(m map[string]any) {
			delete(m, "first_hakem")
			m["draw"] = []string{"2C", "10D", "AH"}
		}),
		"no draw, no first_hakem": with(func(m map[string]any) { delete(m, "first_hakem") }),
		"first_hakem 4":           with(func(m map[string]any) { m["first_hakem"] = 4 }),
		"first_hakem -1":          with(func(m map[string]any) { m["first_hakem"] = -1 }),
		"first_hakem 0.5":         with(func(m map[string]any) { m["first_hakem"] = 0.5 }),
		"first_hakem string":      with(func(m map[string]any) { m["first_hakem"] = "0" }),
		"action after the last deal": with(func(m map[string]any) {
			m["deals"] = []any{deal}
			m["actions"] = append(append([]any{}, kotActions...), map[string]any{"seat": 0, "trump": "S"})
		}),
		"unknown field":         with(func(m map[string]any) { m["seed"] = 1 }),
		"unknown action field":  action(map[string]any{"seat": 0, "trump": "S", "id": "a1"}),
		"unknown rules field":   with(func(m map[string]any) { m["rules"] = map[string]any{"bam": true} }),
		"rules not an object":   with(func(m map[string]any) { m["rules"] = 7 }),
		"option not a bool":     with(func(m map[string]any) { m["rules"] = map[string]any{"play_all_tricks": 1} }),
		"target 1":              with(func(m map[string]any) { m["rules"] = map[string]any{"target": 1} }),
		"target 4":              with(func(m map[string]any) { m["rules"] = map[string]any{"target": 4} }),
		"target 9":              with(func(m map[string]any) { m["rules"] = map[string]any{"target": 9} }),
		"target -3":             with(func(m map[string]any) { m["rules"] = map[string]any{"target": -3} }),
		"target 3.5":            with(func(m map[string]any) { m["rules"] = map[string]any{"target": 3.5} }),
		"target string":         with(func(m map[string]any) { m["rules"] = map[string]any{"target": "5"} }),
		"deals nested too deep": with(func(m map[string]any) { m["deals"] = []any{[]any{deal}} }),
	}
	for name, raw := range cases {
		status, m, out := tcReplay(t, raw)
		if status != 2 {
			t.Errorf("%s: exit %d, want 2: %s", name, status, out)
			continue
		}
		checkInvalidRecordOutput(t, m, out)
		// The same through the API: a *RecordError from decoding or replay.
		rec, err := game.ParseRecord(raw)
		if err == nil {
			_, _, err = rec.Replay()
		}
		var re *game.RecordError
		if !errors.As(err, &re) || !strings.HasPrefix(err.Error(), "invalid record: ") {
			t.Errorf("%s: error %v, want a *RecordError", name, err)
		}
	}
	// The well-formed base and the Kot record are accepted.
	if status, _, out := tcReplay(t, good); status != 0 {
		t.Fatalf("base record: exit %d %s", status, out)
	}
	kot["actions"] = kotActions
	if status, m, out := tcReplay(t, tcJSON(t, kot)); status != 0 || len(m["hands"].([]any)) != 1 {
		t.Fatalf("Kot record: exit %d %s", status, out)
	}
}

// TestDecodeRecordRejectsCaseFoldedFields: the record format's field names
// are lower case; "Deals", "Seat" or "Card" are unknown fields (docs/record.md
// says the field names are exact: a case-folded one is malformed), but
// encoding/json matches field names case-insensitively.
func TestDecodeRecordRejectsCaseFoldedFields(t *testing.T) {
	t.Parallel()
	good := string(tcJSON(t, tcRecord(t, map[string]any{"seat": 0, "trump": "S"})))
	for _, tc := range [][2]string{
		{`"deals":`, `"Deals":`},
		{`"actions":`, `"ACTIONS":`},
		{`"first_hakem":`, `"First_Hakem":`},
		{`"seat":`, `"Seat":`},
		{`"trump":`, `"Trump":`},
	} {
		raw := strings.Replace(good, tc[0], tc[1], 1)
		if status, _, out := tcReplay(t, []byte(raw)); status != 2 {
			t.Errorf("field %s accepted as %s: exit %d %s", tc[1], tc[0], status, out)
		}
	}
}

// TestReplayIllegal: an illegal action is exit 1 with its index and code, and
// the result up to it.
func TestReplayIllegal(t *testing.T) {
	t.Parallel()
	a := func(seat int, kind, v string) map[string]any { return map[string]any{"seat": seat, kind: v} }
	t0 := a(0, "trump", "S")
	for _, tc := range []struct {
		actions []map[string]any
		index   int
		code    game.Code
	}{
		{[]map[string]any{a(0, "trump", "X")}, 0, game.CodeInvalidSuit},
		{[]map[string]any{a(0, "trump", "")}, 0, game.CodeInvalidSuit},
		{[]map[string]any{a(0, "trump", "s")}, 0, game.CodeInvalidSuit},
		{[]map[string]any{a(0, "trump", "SH")}, 0, game.CodeInvalidSuit},
		{[]map[string]any{a(0, "trump", "♠")}, 0, game.CodeInvalidSuit},
		{[]map[string]any{a(1, "trump", "X")}, 0, game.CodeNotHakem},
		{[]map[string]any{a(3, "trump", "S")}, 0, game.CodeNotHakem},
		{[]map[string]any{a(0, "card", "AS")}, 0, game.CodeWrongPhase},
		{[]map[string]any{a(2, "card", "10H")}, 0, game.CodeWrongPhase},
		{[]map[string]any{t0, a(0, "card", "10H")}, 1, game.CodeInvalidCard},
		{[]map[string]any{t0, a(0, "card", "as")}, 1, game.CodeInvalidCard},
		{[]map[string]any{t0, a(0, "card", "")}, 1, game.CodeInvalidCard},
		{[]map[string]any{t0, a(0, "card", "A")}, 1, game.CodeInvalidCard},
		{[]map[string]any{t0, a(0, "card", "AS ")}, 1, game.CodeInvalidCard},
		{[]map[string]any{t0, a(1, "card", "10H")}, 1, game.CodeNotYourTurn},
		{[]map[string]any{t0, a(0, "card", "AH")}, 1, game.CodeCardNotInHand},
		{[]map[string]any{t0, a(0, "trump", "S")}, 1, game.CodeWrongPhase},
		{[]map[string]any{t0, a(0, "card", "AS"), a(1, "card", "2H"), a(2, "card", "2D"), a(3, "card", "2C"),
			a(0, "card", "AS")}, 5, game.CodeCardNotInHand},
		{[]map[string]any{t0, a(0, "card", "AS"), a(1, "card", "2H"), a(2, "card", "2D"), a(3, "card", "2C"),
			a(1, "card", "3H")}, 5, game.CodeNotYourTurn},
	} {
		raw := tcJSON(t, tcRecord(t, tc.actions...))
		status, m, out := tcReplay(t, raw)
		e, _ := m["error"].(map[string]any)
		if status != 1 || m["ok"] != false || e["code"] != string(tc.code) || e["index"] != float64(tc.index) {
			t.Errorf("%v: exit %d %s, want 1 with %s at %d", tc.actions, status, out, tc.code, tc.index)
		}
		if _, ok := e["message"]; ok || len(e) != 2 {
			t.Errorf("illegal action error %s has more than index and code", out)
		}
		if m["over"] != false || m["winner"] != nil || !reflect.DeepEqual(m["score"], []any{0.0, 0.0}) ||
			!reflect.DeepEqual(m["hands"], []any{}) {
			t.Errorf("result before the illegal action: %s", out)
		}
	}
}

// TestReplayFirstHakem: the draw decides the first Hakem unless first_hakem
// is given, in which case the draw is ignored.
func TestReplayFirstHakem(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		first any
		draw  any
		hakem game.Seat
	}{
		{nil, []string{"5D", "KC", "AH"}, 2},
		{nil, []string{"AS"}, 0},
		{nil, []string{"2C", "3C", "4C", "5C", "6C", "AS"}, 1},
		{nil, []string{"2C", "3C", "4C", "AS", "ZZ"}, 3}, // after the first ace nothing counts
		{1, []string{"AS"}, 1},
		{2, []string{"2C", "3D"}, 2}, // no ace, but first_hakem decides
		{3, []string{"nonsense"}, 3},
		{0, nil, 0},
	} {
		m := tcRecord(t)
		delete(m, "first_hakem")
		if tc.first != nil {
			m["first_hakem"] = tc.first
		}
		if tc.draw != nil {
			m["draw"] = tc.draw
		}
		// Only the Hakem may choose trump: every other seat gets not_hakem.
		for seat := 0; seat < 4; seat++ {
			m["actions"] = []any{map[string]any{"seat": seat, "trump": "D"}}
			status, _, out := tcReplay(t, tcJSON(t, m))
			if (status == 0) != (seat == tc.hakem) || status == 2 {
				t.Errorf("first %v draw %v: trump by seat %d: exit %d %s, want Hakem %d", tc.first, tc.draw, seat,
					status, out, tc.hakem)
			}
		}
		rec, err := game.ParseRecord(tcJSON(t, m))
		if err != nil {
			t.Fatal(err)
		}
		s, _, err := rec.Replay()
		if err != nil || s.FirstHakem != tc.hakem || s.Hakem != tc.hakem {
			t.Errorf("first %v draw %v: Hakem %d, want %d (%v)", tc.first, tc.draw, s.Hakem, tc.hakem, err)
		}
	}
}

// TestReplayStopsAnywhere: a record may end at any action; the result is
// the match so far.
func TestReplayStopsAnywhere(t *testing.T) {
	t.Parallel()
	raw := tcJSON(t, tcRecord(t))
	status, m, out := tcReplay(t, raw)
	want := map[string]any{"ok": true, "hands": []any{}, "score": []any{0.0, 0.0}, "over": false, "winner": nil}
	if status != 0 || !reflect.DeepEqual(m, want) {
		t.Errorf("no actions: exit %d %s", status, out)
	}
}

func TestRecordAction(t *testing.T) {
	t.Parallel()
	str := func(s string) *string { return &s }
	for _, tc := range []struct {
		ra   game.RecordAction
		want game.Action
	}{
		{game.RecordAction{Trump: str("H")}, game.ChooseTrump(game.Hearts)},
		{game.RecordAction{Trump: str("X")}, game.ChooseTrump(game.InvalidSuit)},
		{game.RecordAction{Card: str("TD")}, game.PlayCard(game.NewCard(game.Diamonds, 10))},
		{game.RecordAction{Card: str("10D")}, game.PlayCard(game.InvalidCard)},
		{game.RecordAction{Card: str("")}, game.PlayCard(game.InvalidCard)},
	} {
		if got := tc.ra.Action(); got != tc.want {
			t.Errorf("%+v: %+v, want %+v", tc.ra, got, tc.want)
		}
	}
}

// golden is one file of testdata/replay (and of the shared conformance set).
type golden struct {
	Record     json.RawMessage `json:"record"`
	ExitStatus *int            `json:"exit_status"`
	Expect     map[string]any  `json:"expect"`
}

func readGolden(t *testing.T, path string) golden {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var g golden
	if err := dec.Decode(&g); err != nil || g.Record == nil || g.ExitStatus == nil || g.Expect == nil {
		t.Fatalf("%s: not a golden record (%v)", path, err)
	}
	return g
}

// checkGolden replays one golden record and compares the exit status and
// every field of expect.
func checkGolden(t *testing.T, path string) {
	g := readGolden(t, path)
	status, got, out := tcReplay(t, g.Record)
	if status != *g.ExitStatus {
		t.Fatalf("exit %d, want %d: %s", status, *g.ExitStatus, out)
	}
	if _, ok := g.Expect["ok"]; !ok {
		t.Fatalf("expect has no ok field")
	}
	for k, want := range g.Expect {
		if k == "error" {
			we, _ := want.(map[string]any)
			ge, _ := got["error"].(map[string]any)
			if ge == nil || len(we) == 0 {
				t.Errorf("error: got %v, want %v", got["error"], want)
			}
			for ek, ev := range we {
				if !reflect.DeepEqual(ge[ek], ev) {
					t.Errorf("error.%s = %v, want %v", ek, ge[ek], ev)
				}
			}
			continue
		}
		if !reflect.DeepEqual(got[k], want) {
			t.Errorf("%s = %v, want %v", k, got[k], want)
		}
	}
	switch status {
	case 0:
		if got["ok"] != true || got["error"] != nil {
			t.Errorf("exit 0 with %s", out)
		}
	case 1:
		e, _ := got["error"].(map[string]any)
		if got["ok"] != false || e == nil || e["index"] == nil || e["code"] == nil {
			t.Errorf("exit 1 with %s", out)
		}
	case 2:
		checkInvalidRecordOutput(t, got, out)
		return
	}
	// Step by step: every state validates, and the final one is the result.
	rec, err := game.ParseRecord(g.Record)
	if err != nil {
		t.Fatal(err)
	}
	s, res, err := rec.Replay()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(); err != nil {
		t.Fatalf("final state: %v", err)
	}
	if !reflect.DeepEqual(res.Hands, append([]game.HandResult{}, s.Results...)) || res.Score != s.Score ||
		res.Over != s.Over() {
		t.Errorf("result %+v does not match the final state", res)
	}
	for _, r := range s.Results {
		if p, k := game.Score(r.Hakem, r.Tricks, r.Winner); p != r.Points || k != r.Kind {
			t.Errorf("hand %+v scored %d %s", r, p, k)
		}
	}
}

func goldenFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	return files
}

// TestReplayGolden replays every record of testdata/replay: the conformance
// examples (copied from shared/conformance/replay) and the project's own.
func TestReplayGolden(t *testing.T) {
	t.Parallel()
	files := goldenFiles(t, filepath.Join("testdata", "replay"))
	var conformance, own, status [3]int
	for _, f := range files {
		g := readGolden(t, f)
		base := filepath.Base(f)
		if strings.HasPrefix(base, "own-") {
			own[*g.ExitStatus]++
		} else {
			conformance[*g.ExitStatus]++
		}
		status[*g.ExitStatus]++
		t.Run(base, func(t *testing.T) {
			t.Parallel()
			checkGolden(t, f)
		})
	}
	// The copies of the 33 conformance examples and the own records are all here.
	if conformance[0]+conformance[1] < 33 || own[0] < 10 || own[1] < 10 || own[2] < 20 {
		t.Errorf("golden records: conformance %v own %v", conformance, own)
	}
}

// TestReplaySharedConformance replays the shared conformance examples
// themselves when they are present beside the project (an optional extra
// source: testdata/replay holds copies of them).
func TestReplaySharedConformance(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("..", "..", "shared", "conformance", "replay")
	if _, err := os.Stat(dir); err != nil {
		return
	}
	for _, f := range goldenFiles(t, dir) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			checkGolden(t, f)
		})
	}
}
