package table_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/table"
)

func TestEncodeDecodeMovesRoundTrip(t *testing.T) {
	t.Parallel()
	var all []table.Move
	for seat := 0; seat < 4; seat++ {
		for c := game.Card(0); c < 52; c++ {
			all = append(all, table.Move{Seat: seat, Action: game.PlayCard(c)})
		}
		for s := game.Suit(0); s < 4; s++ {
			all = append(all, table.Move{Seat: seat, Action: game.ChooseTrump(s)})
		}
	}
	b := table.EncodeMoves(all)
	if len(b) != len(all) {
		t.Fatalf("%d bytes for %d moves", len(b), len(all))
	}
	got, err := table.DecodeMoves(b)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, all) {
		t.Fatal("moves changed in a round trip")
	}
	// Every encoding is distinct.
	seen := map[byte]bool{}
	for _, v := range b {
		if seen[v] {
			t.Fatalf("byte %#x used twice", v)
		}
		seen[v] = true
	}

	// The moves of a real match.
	tb := playToEnd(t, started(t, game.Rules{}, 8), rng(8))
	got, err = table.DecodeMoves(table.EncodeMoves(tb.Moves))
	if err != nil || !slices.Equal(got, tb.Moves) {
		t.Fatalf("real match moves: err %v, equal %v", err, slices.Equal(got, tb.Moves))
	}

	if got, err := table.DecodeMoves(nil); err != nil || len(got) != 0 {
		t.Fatalf("empty: %v %v", got, err)
	}
	if b := table.EncodeMoves(nil); len(b) != 0 {
		t.Fatalf("EncodeMoves(nil) = %v", b)
	}
}

func TestDecodeMovesRejectsBadValues(t *testing.T) {
	t.Parallel()
	for v := 0; v < 256; v++ {
		in := []byte{0x05, byte(v), 0x45}
		ms, err := table.DecodeMoves(in)
		if v&0x3f >= 56 {
			if err == nil || ms != nil {
				t.Errorf("byte %#x (low bits %d): accepted as %v", v, v&0x3f, ms)
			}
			continue
		}
		if err != nil {
			t.Errorf("byte %#x: %v", v, err)
			continue
		}
		if ms[1].Seat != v>>6 {
			t.Errorf("byte %#x: seat %d", v, ms[1].Seat)
		}
		if back := table.EncodeMoves(ms); !bytes.Equal(back, in) {
			t.Errorf("byte %#x: re-encoded as %v", v, back)
		}
	}
}

// replay runs rec's JSON through game.ReplayJSON.
func replay(t testing.TB, rec game.Record) (game.ReplayResult, int, []byte) {
	t.Helper()
	b := mustJSON(t, rec)
	res, code := game.ReplayJSON(bytes.NewReader(b))
	return res, code, b
}

// A whole match played through table.Apply produces a record that replays
// to the same results; so does a match stopped in the middle of a hand.
func TestRecordReplays(t *testing.T) {
	t.Parallel()
	rulesets := []game.Rules{{}, {Target: 3}, {Target: 5, PlayAllTricks: true}, {HideUntilTrump: true}, {RandomFirstHakem: true}}
	mids, laterHands := 0, 0
	for ri, rules := range rulesets {
		for seed := uint64(1); seed <= 6; seed++ {
			r := rng(seed*31 + uint64(ri))
			tb := seated(t, rules, 0, 1)
			tb, _ = mustApply(t, tb, "u0", table.Command{Op: table.OpAddBots}, table.Env{})
			tb = startedAt(t, tb, table.Env{Now: 1, Seed: seed * 0x9e3779b97f4a7c15})

			stopAt := 30 + r.IntN(60) // somewhere mid-match, inside a trick
			var mid *table.Table
			for tb.Status == table.Playing {
				if mid == nil && len(tb.Moves) >= stopAt && tb.Game.Trick.N > 0 {
					c := clone(tb)
					mid = &c
				}
				tb, _, _, _ = step(t, tb, r, 2)
			}
			checkRecordReplays(t, &tb)
			if mid != nil {
				mids++
				if mid.Game.Hand > 0 {
					laterHands++
				}
				checkRecordReplays(t, mid)
			}
		}
	}
	if mids < 25 || laterHands == 0 {
		t.Fatalf("only %d matches stopped mid-hand (%d after the first hand)", mids, laterHands)
	}
}

func checkRecordReplays(t testing.TB, tb *table.Table) {
	t.Helper()
	rec := tb.Record()
	res, code, b := replay(t, rec)
	if code != 0 || !res.OK || res.Error != nil {
		t.Fatalf("replay exit %d: %+v\nrecord %s", code, res.Error, b)
	}
	g := &tb.Game
	if !reflect.DeepEqual(res.Hands, append([]game.HandResult{}, g.Results...)) {
		t.Fatalf("replayed hands %+v\nlive %+v", res.Hands, g.Results)
	}
	if res.Score != g.Score || res.Over != g.Over() {
		t.Fatalf("replayed score %v over %v; live %v %v", res.Score, res.Over, g.Score, g.Over())
	}
	if g.Over() {
		if res.Winner == nil || *res.Winner != g.Winner {
			t.Fatalf("replayed winner %v, live %d", res.Winner, g.Winner)
		}
	} else if res.Winner != nil {
		t.Fatalf("winner %d in a running match", *res.Winner)
	}
	if len(rec.Actions) != len(tb.Moves) || len(rec.Deals) != g.Hand+1 {
		t.Fatalf("%d actions for %d moves, %d deals for hand %d", len(rec.Actions), len(tb.Moves), len(rec.Deals), g.Hand)
	}
	// The replayed state is the live one (hands, trick, score, turn).
	parsed, err := game.ParseRecord(b)
	if err != nil {
		t.Fatal(err)
	}
	st, _, err := parsed.Replay()
	if err != nil {
		t.Fatal(err)
	}
	if st.Phase != g.Phase || st.Hand != g.Hand || st.Hands != g.Hands || st.Trick != g.Trick || st.Turn != g.Turn ||
		st.Hakem != g.Hakem || st.Tricks != g.Tricks || st.FirstHakem != g.FirstHakem {
		t.Fatalf("replayed state differs from the live one:\n%+v\n%+v", st, *g)
	}

	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	_, hasFirst := raw["first_hakem"]
	_, hasDraw := raw["draw"]
	if tb.Rules.RandomFirstHakem {
		if !hasFirst || hasDraw || rec.FirstHakem == nil || *rec.FirstHakem != g.FirstHakem {
			t.Fatalf("random first Hakem: record %s", b)
		}
	} else {
		if hasFirst || !hasDraw {
			t.Fatalf("ace draw: record %s", b)
		}
		draw := make([]game.Card, len(rec.Draw))
		for i, s := range rec.Draw {
			draw[i], _ = game.ParseCard(s)
		}
		if h, ok := game.HakemFromDraw(draw); !ok || h != g.FirstHakem {
			t.Fatalf("draw %v picks %d, live first Hakem %d", rec.Draw, h, g.FirstHakem)
		}
	}
}

// A record taken right after the start (no actions yet) replays too.
func TestRecordOfFreshMatch(t *testing.T) {
	t.Parallel()
	for _, rules := range []game.Rules{{}, {RandomFirstHakem: true}} {
		tb := started(t, rules, 4242)
		rec := tb.Record()
		res, code, b := replay(t, rec)
		if code != 0 || res.Over || len(res.Hands) != 0 || len(rec.Actions) != 0 || len(rec.Deals) != 1 {
			t.Fatalf("fresh record exit %d %+v: %s", code, res, b)
		}
		if !strings.Contains(string(b), `"actions":[]`) {
			t.Fatalf("actions must be an empty list, not null: %s", b)
		}
		if rec.Rules == nil || *rec.Rules != tb.Rules {
			t.Fatalf("record rules %+v, table rules %+v", rec.Rules, tb.Rules)
		}
	}
}

func TestMatchRecord(t *testing.T) {
	t.Parallel()
	tb := seated(t, game.Rules{Target: 3}, 0, 2)
	tb, _ = mustApply(t, tb, "u0", table.Command{Op: table.OpAddBots}, table.Env{})
	tb = startedAt(t, tb, table.Env{Now: 1111, Seed: 31})
	r := rng(31)
	for i := 0; i < 40; i++ {
		tb, _, _, _ = step(t, tb, r, 2222)
	}

	m := tb.MatchRecord()
	if m.MatchID != "tb1-1" || m.TableID != tableID || m.Started != 1111 || m.Ended != 0 || m.Winner != -1 {
		t.Fatalf("running match record: id %q table %q started %d ended %d winner %d", m.MatchID, m.TableID, m.Started, m.Ended, m.Winner)
	}
	wantSeats := [4]table.Player{{ID: "u0", Name: "u0"}, {ID: table.BotID(1), Name: "Sohrab", Bot: true},
		{ID: "u2", Name: "u2"}, {ID: table.BotID(3), Name: "Gordafarid", Bot: true}}
	if m.Seats != wantSeats {
		t.Fatalf("seats %+v", m.Seats)
	}
	if !reflect.DeepEqual(m.Record, tb.Record()) || m.Score != tb.Game.Score ||
		!reflect.DeepEqual(m.Results, append([]game.HandResult{}, tb.Game.Results...)) {
		t.Fatal("running match record does not match the table")
	}

	for tb.Status == table.Playing {
		tb, _, _, _ = step(t, tb, r, 3333)
	}
	snap := clone(tb)
	m = tb.MatchRecord()
	if m.Winner != tb.Game.Winner || m.Winner < 0 || m.Ended != 3333 || m.Started != 1111 || m.Score != tb.Game.Score || len(m.Results) == 0 {
		t.Fatalf("finished match record: winner %d ended %d started %d score %v, %d results",
			m.Winner, m.Ended, m.Started, m.Score, len(m.Results))
	}
	if m.Score[m.Winner] < 3 {
		t.Fatalf("winner %d with score %v", m.Winner, m.Score)
	}
	// The record is a copy: changing it leaves the table alone.
	m.Results[0].Points = 99
	m.Seats[0].Name = "changed"
	sameTable(t, "table after editing its match record", tb, snap)

	// JSON field names are the persisted format.
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(mustJSON(t, tb.MatchRecord()), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"match_id", "table_id", "seats", "record", "results", "score", "winner", "started", "ended"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("match record JSON lacks %q", k)
		}
	}
	res, code := game.ReplayJSON(bytes.NewReader(raw["record"]))
	if code != 0 || !res.Over || *res.Winner != tb.Game.Winner {
		t.Fatalf("persisted record replays with exit %d: %+v", code, res)
	}
	// An empty seat (someone left after the match) is a zero Player; a
	// person's yes to the next match and the time they sat down are not
	// part of the record.
	tb, _ = mustApply(t, tb, "u2", table.Command{Op: table.OpLeave}, table.Env{})
	if got := tb.MatchRecord().Seats[2]; got != (table.Player{}) {
		t.Fatalf("empty seat in match record: %+v", got)
	}
	tb, _ = mustApply(t, tb, "u0", table.Command{Op: table.OpRematch}, table.Env{})
	tb.Seats[0].Since = 42
	if got := tb.MatchRecord().Seats[0]; got != wantSeats[0] || !tb.Seats[0].Ready {
		t.Fatalf("seat 0 in the match record: %+v (table %+v)", got, tb.Seats[0])
	}
}

func TestCleanName(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 40)
	persian32 := strings.Repeat("ش", 32)
	cases := []struct{ in, want string }{
		{"Ali", "Ali"},
		{"", "player"},
		{"\x00\x01\n\t\r\x1b\x7f", "player"},
		{"a\nb\tc\x7fd\x00e", "abcde"},
		{"a\u0085b\u009fc\u00a0d", "abc\u00a0d"}, // C1 controls go; NBSP is not a control
		{"a\xffb\xc3", "ab"},                     // invalid UTF-8
		{"\xed\xa0\x80z", "z"},                   // an encoded surrogate is invalid UTF-8
		{"\xff\xfe", "player"},
		{long, long[:32]},
		{persian32, persian32},
		{persian32 + "ی", persian32},
		{"علی", "علی"},
		{"محمد\u200cرضا", "محمد\u200cرضا"}, // ZWNJ belongs to Persian spelling
		{"عبد الله", "عبد الله"},
		{"مُحَمَّد", "مُحَمَّد"}, // Arabic diacritics
		{"🃏♠️", "🃏♠️"},
		{"👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"},
		{"Zoë Ünal", "Zoë Ünal"},
		{strings.Repeat("a\n", 40), strings.Repeat("a", 32)}, // dropped characters do not count
		// Invisible names (security review, finding 14) are empty.
		{"\u3164", "player"},
		{"\u3164\u3164\u3164", "player"},
		{"\u2800\u2800", "player"},
		{"\u115f\u1160", "player"},
		{"\uffa0", "player"},
		{"\u200b\u200c\u200d\u2060\ufeff\u00ad", "player"},
		{"\u034f\ufe0f\U000e0041\u180e\u17b4", "player"},
		{"\u3000\u2003\u00a0\u202f", "player"},
		// The blank letters go from visible names too (no "Ali" + filler
		// passing for "Ali").
		{"Ali\u3164", "Ali"},
		{"A\u2800li", "Ali"},
	}
	for _, tc := range cases {
		if got := table.CleanName(tc.in); got != tc.want {
			t.Errorf("CleanName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}

	// Any input: valid UTF-8, at most 32 characters, no control characters,
	// never empty, and cleaning is idempotent.
	r := rng(1)
	for i := 0; i < 5000; i++ {
		b := make([]byte, r.IntN(200))
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		in := string(b)
		if i%2 == 0 { // mix in real multi-byte characters
			in = string([]rune{rune(r.IntN(0x10ffff))}) + in + "سلام"
		}
		got := table.CleanName(in)
		if !utf8.ValidString(got) || utf8.RuneCountInString(got) > table.MaxNameLen || got == "" {
			t.Fatalf("CleanName(%q) = %q", in, got)
		}
		visible := false
		for _, c := range got {
			if c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) {
				t.Fatalf("CleanName(%q) keeps control %U", in, c)
			}
			if c == 0x3164 || c == 0x2800 || c == 0x115f || c == 0x1160 || c == 0xffa0 {
				t.Fatalf("CleanName(%q) keeps the blank letter %U", in, c)
			}
			visible = visible || !table.Invisible(c)
		}
		if !visible {
			t.Fatalf("CleanName(%q) = %q: nothing visible", in, got)
		}
		if table.CleanName(got) != got {
			t.Fatalf("CleanName not idempotent on %q", got)
		}
	}

	// Names go through CleanName on sit.
	tb := newTable(t, game.Rules{})
	tb, _ = mustApply(t, tb, "u0", table.Command{Op: table.OpSit, Seat: 0, Name: "\x00" + long}, table.Env{})
	if tb.Seats[0].Name != long[:32] {
		t.Fatalf("seated name %q", tb.Seats[0].Name)
	}
	tb, _ = mustApply(t, tb, "u1", table.Command{Op: table.OpSit, Seat: 1}, table.Env{})
	if tb.Seats[1].Name != "player" {
		t.Fatalf("empty name seated as %q", tb.Seats[1].Name)
	}
}
