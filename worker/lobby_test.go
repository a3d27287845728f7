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
		tb.Status, tb.Options.Public = c.status, c.public
		if err := hook(context.Background(), &tb, 3); err != nil {
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
