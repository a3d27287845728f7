package pgstore

import (
	"encoding/json"
	"testing"
	"time"
)

func TestSystemConfig(t *testing.T) {
	t.Parallel()
	s, pool, ctx := historySetup(t)
	if list, err := s.ConfigEntries(ctx); err != nil || len(list) != 0 {
		t.Fatalf("empty config: %+v %v", list, err)
	}
	if err := s.SetConfig(ctx, "maintenance", json.RawMessage(`true`), "alice"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetConfig(ctx, "maintenance", json.RawMessage(`false`), "bob"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetConfig(ctx, "flag.x", json.RawMessage(`{"a": 1}`), "bob"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetConfig(ctx, "bad", json.RawMessage(`{`), "bob"); err == nil {
		t.Fatal("a value that is not JSON was stored")
	}
	list, err := s.ConfigEntries(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("entries: %+v %v", list, err)
	}
	if list[0].Key != "flag.x" || string(list[0].Value) != `{"a": 1}` || list[1].Key != "maintenance" ||
		string(list[1].Value) != "false" || list[1].UpdatedBy != "bob" || list[1].UpdatedAt.IsZero() {
		t.Fatalf("entries: %+v", list)
	}
	rows, err := pool.Query(ctx, `SELECT detail::text FROM audit_log WHERE kind = 'ops_config_set' AND user_id IS NULL ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var details []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			t.Fatal(err)
		}
		details = append(details, d)
	}
	want := []string{
		`{"key": "maintenance", "old": null, "value": true, "operator": "alice"}`,
		`{"key": "maintenance", "old": true, "value": false, "operator": "bob"}`,
		`{"key": "flag.x", "old": null, "value": {"a": 1}, "operator": "bob"}`,
	}
	if len(details) != len(want) {
		t.Fatalf("audit rows %q, want %q", details, want)
	}
	for i := range want {
		if details[i] != want[i] {
			t.Fatalf("audit row %d: %s, want %s", i, details[i], want[i])
		}
	}
}

func TestRecentResultsAndTopPlayers(t *testing.T) {
	t.Parallel()
	s, _, ctx := historySetup(t)
	if r, err := s.RecentResults(ctx, 10); err != nil || len(r) != 0 {
		t.Fatalf("no results: %+v %v", r, err)
	}
	ms := []struct {
		seed   uint64
		guests [2]string
	}{{1, [2]string{"ann", "ben"}}, {2, [2]string{"ann", "cat"}}, {3, [2]string{"ann", "ben"}}}
	for _, m := range ms {
		mustPersist(t, ctx, s, play(t, m.seed, m.guests))
	}
	recent, err := s.RecentResults(ctx, 2)
	if err != nil || len(recent) != 2 {
		t.Fatalf("recent: %+v %v", recent, err)
	}
	if !recent[0].EndedAt.After(recent[1].EndedAt) || recent[0].Names[0] != "Guest A" || recent[0].Winner == nil {
		t.Fatalf("recent: %+v", recent)
	}
	if top, err := s.TopPlayers(ctx, 10); err != nil || len(top) != 0 {
		t.Fatalf("top players before the stats job ran: %+v %v", top, err)
	}
	if _, err := s.RecomputePlayerStats(ctx, time.UTC); err != nil {
		t.Fatal(err)
	}
	top, err := s.TopPlayers(ctx, 10)
	if err != nil || len(top) != 3 {
		t.Fatalf("top: %+v %v", top, err)
	}
	var ann TopPlayer
	for i, p := range top {
		if i > 0 && p.Won > top[i-1].Won {
			t.Fatalf("top not by wins: %+v", top)
		}
		if p.PlayerID == "ann" {
			ann = p
		}
	}
	if ann.Played != 3 || ann.Name == "" {
		t.Fatalf("ann: %+v in %+v", ann, top)
	}
}
