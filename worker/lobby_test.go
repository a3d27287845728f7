package worker

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/table"
)

type fakeIndex struct {
	id, code string
	summary  []byte
}

func (f *fakeIndex) IndexTable(_ context.Context, id string, summary []byte, code string) error {
	f.id, f.summary, f.code = id, summary, code
	return nil
}

// TestLobbyHook lists public waiting and playing tables (without their
// code), and unlists private and finished ones.
func TestLobbyHook(t *testing.T) {
	idx := &fakeIndex{}
	hook := LobbyHook(idx)
	tb, _ := table.New("t1", game.Rules{}, "h", 1)
	tb.Options = table.Options{Public: true, Code: "ABCDEF"}
	tb.Seats[1] = &table.Player{ID: "u1", Name: "Sara"}
	for _, c := range []struct {
		status table.Status
		public bool
		listed bool
	}{
		{table.Waiting, true, true}, {table.Playing, true, true}, {table.Finished, true, false},
		{table.Waiting, false, false}, {table.Playing, false, false},
	} {
		tb.Seats[1] = &table.Player{ID: "u1", Name: "Sara"}
		tb.Status, tb.Options.Public = c.status, c.public
		if err := hook(context.Background(), Change{Table: &tb, Seq: 3}); err != nil {
			t.Fatal(err)
		}
		if idx.id != "t1" || idx.code != "ABCDEF" || (idx.summary != nil) != c.listed {
			t.Fatalf("%+v: indexed %q %q %s", c, idx.id, idx.code, idx.summary)
		}
		if c.listed {
			var got map[string]any
			_ = json.Unmarshal(idx.summary, &got)
			if got["options"].(map[string]any)["code"] != nil || got["seats"].([]any)[1].(map[string]any)["name"] != "Sara" {
				t.Fatalf("summary %s", idx.summary)
			}
		}
	}
}

// TestLobbyUnlistsEmptyWaitingTables: a public waiting table with no
// person seated (bots only, or nobody) is not listed; a playing one is.
func TestLobbyUnlistsEmptyWaitingTables(t *testing.T) {
	idx := &fakeIndex{}
	hook := LobbyHook(idx)
	tb, _ := table.New("t1", game.Rules{}, "h", 1)
	tb.Options = table.Options{Public: true}
	for _, c := range []struct {
		status table.Status
		seats  [4]*table.Player
		listed bool
	}{
		{table.Waiting, [4]*table.Player{}, false},
		{table.Waiting, [4]*table.Player{{ID: "b0", Bot: true}}, false},
		{table.Waiting, [4]*table.Player{nil, {ID: "u1"}}, true},
		{table.Playing, [4]*table.Player{{ID: "b0", Bot: true}, {ID: "b1", Bot: true}, {ID: "b2", Bot: true}, {ID: "b3", Bot: true}}, true},
	} {
		tb.Status, tb.Seats = c.status, c.seats
		if err := hook(context.Background(), Change{Table: &tb, Seq: 3}); err != nil {
			t.Fatal(err)
		}
		if (idx.summary != nil) != c.listed {
			t.Errorf("%v %+v: listed %v, want %v", c.status, c.seats, idx.summary != nil, c.listed)
		}
	}
}

// countingIndex counts IndexTable calls.
type countingIndex struct{ n int }

func (c *countingIndex) IndexTable(context.Context, string, []byte, string) error { c.n++; return nil }

// TestLobbyHookSkipsUnchangedEntries: a change during play that leaves the
// lobby entry and the join code as they were writes nothing, unless its seq
// crosses a multiple of lobbyRefresh or it is a re-run (no Before); a change
// of a seat, the status, an option or the code writes, listed or not, and
// so does any change of a waiting table (the cleanup may have unlisted it).
func TestLobbyHookSkipsUnchangedEntries(t *testing.T) {
	before, _ := table.New("t1", game.Rules{}, "h", 1)
	before.Options = table.Options{Public: true, Code: "ABCDEF"}
	before.Status = table.Playing
	before.Seats[1] = &table.Player{ID: "u1", Name: "Sara"}
	private := before
	private.Options.Public = false
	waiting := before
	waiting.Status = table.Waiting
	for _, c := range []struct {
		name       string
		before     *table.Table
		change     func(*table.Table)
		from, seq  int64
		rerun      bool
		wantWrites int
	}{
		{"a card", &before, func(*table.Table) {}, 10, 13, false, 0},
		{"a card in a private table", &private, func(*table.Table) {}, 10, 13, false, 0},
		{"a card crossing a refresh", &before, func(*table.Table) {}, lobbyRefresh - 2, lobbyRefresh + 1, false, 1},
		{"a re-run for a duplicate", &before, func(*table.Table) {}, 10, 13, true, 1},
		{"a seat taken", &before, func(t *table.Table) { t.Seats[2] = &table.Player{ID: "u2", Name: "Ali"} }, 10, 11, false, 1},
		{"a renamed player", &before, func(t *table.Table) { t.Seats[1] = &table.Player{ID: "u1", Name: "Sara B"} }, 10, 11, false, 1},
		{"the match ends", &before, func(t *table.Table) { t.Status = table.Finished }, 10, 11, false, 1},
		{"made private", &before, func(t *table.Table) { t.Options.Public = false }, 10, 11, false, 1},
		{"a private table's code", &private, func(t *table.Table) { t.Options.Code = "GHJKLM" }, 10, 11, false, 1},
		{"a waiting table's change that leaves the entry", &waiting, func(*table.Table) {}, 10, 11, false, 1},
	} {
		idx := &countingIndex{}
		after := *c.before
		c.change(&after)
		ch := Change{Table: &after, Seq: c.seq, Before: c.before, From: c.from}
		if c.rerun {
			ch.Before, ch.From = nil, 0
		}
		if err := LobbyHook(idx)(context.Background(), ch); err != nil {
			t.Fatal(err)
		}
		if idx.n != c.wantWrites {
			t.Errorf("%s: %d writes, want %d", c.name, idx.n, c.wantWrites)
		}
	}
}
