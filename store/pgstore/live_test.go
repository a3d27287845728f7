package pgstore_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/store/pgstore"
)

// TestJournalRewritesAreHeapOnly: the table journal rewrites each busy
// table's row every pass; those updates change no indexed column, so they
// must be heap-only (HOT: no index write, the old version pruned in its
// page) — which an index on updated_at, or full pages, would prevent.
func TestJournalRewritesAreHeapOnly(t *testing.T) {
	pool := migratedPool(t, 1) // one backend: its statistics are flushed on request below
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s := pgstore.New(pool)
	meta := []byte(`{"seats":[` + strings.Repeat(`{"id":"g_0123456789abcdef","name":"player"},`, 11) + `{}],"status":"playing","match":1}`)
	rows := make([]pgstore.LiveTable, 40)
	for i := range rows {
		rows[i] = pgstore.LiveTable{ID: fmt.Sprintf("t%03d", i), Epoch: 1, Meta: meta, State: bytes.Repeat([]byte{7}, 350), Status: "playing"}
	}
	const passes = 12
	for seq := range passes + 1 {
		for i := range rows {
			rows[i].Seq = int64(seq)
		}
		if err := s.SaveLiveTables(ctx, rows); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, `SELECT pg_stat_force_next_flush()`); err != nil {
		t.Fatal(err)
	}
	var upd, hot int64
	var err error
	testenv.Until(10*time.Second, func() bool {
		err = pool.QueryRow(ctx, `SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'live_tables'`).Scan(&upd, &hot)
		return err != nil || upd >= passes*int64(len(rows))
	})
	if err != nil || upd < passes*int64(len(rows)) {
		t.Fatalf("%d updates counted (%v), want %d", upd, err, passes*len(rows))
	}
	// All of them alone (480 of 480 here); fewer while other tests load the
	// server — a page's old versions are pruned only under its cleanup lock,
	// which a concurrent pin (the background writer, autovacuum) denies, and
	// a full page takes the next version elsewhere. With the updated_at
	// index none is.
	if hot*4 < upd {
		t.Fatalf("%d of %d journal updates were heap-only, want a quarter at least", hot, upd)
	}
	t.Logf("%d of %d updates heap-only", hot, upd)
}

// TestJournalKeepsTheFinishedMatchItMovesPast: a finished table's row is
// the durable copy of its match until the match is stored. When the table
// moves on — the rematch offer ends (waiting, same match id), the next
// match starts (another id) — the row it had is kept in journal_finished,
// read by PassedFinished and FinishedUnstored; a stored match's row is not
// kept, a finished row rewritten as finished (the same match) is not
// copied, and the purge drops a copy once its match is stored.
func TestJournalKeepsTheFinishedMatchItMovesPast(t *testing.T) {
	pool := migratedPool(t, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s := pgstore.New(pool)
	row := func(id string, seq int64, status, match string) pgstore.LiveTable {
		return pgstore.LiveTable{ID: id, Epoch: 1, Seq: seq, Meta: []byte(`{"status":"` + status + `"}`),
			State: []byte(id + "/" + fmt.Sprint(seq)), Status: status, MatchID: match}
	}
	save := func(rows ...pgstore.LiveTable) {
		t.Helper()
		if err := s.SaveLiveTables(ctx, rows); err != nil {
			t.Fatal(err)
		}
	}
	save(row("a", 10, "finished", "a-1"), row("b", 10, "finished", "b-1"), row("c", 10, "finished", "c-1"),
		row("d", 10, "finished", "d-1"))
	if _, err := pool.Exec(ctx, `INSERT INTO matches (id, table_id, rules, first_hakem, score0, score1, hands_played,
		moves_count, started_at, ended_at) VALUES ('d-1', 'd', '{}', 0, 7, 0, 1, 13, now(), now())`); err != nil {
		t.Fatal(err)
	}
	save(row("a", 11, "waiting", "a-1"), // the rematch offer ended
		row("b", 11, "playing", "b-2"),  // the next match started
		row("c", 11, "finished", "c-1"), // still the same finished match
		row("d", 11, "waiting", "d-1"))  // stored already
	save(row("b", 9, "waiting", "b-1")) // older than the row: changes nothing
	passed, err := s.PassedFinished(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range passed {
		got = append(got, fmt.Sprintf("%s %s %d %s %s", p.MatchID, p.ID, p.Seq, p.Status, p.State))
	}
	if want := []string{"a-1 a 10 finished a/10", "b-1 b 10 finished b/10"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("passed finished matches %q, want %q", got, want)
	}
	unstored, err := s.FinishedUnstored(ctx, time.Now().Add(time.Minute), 10)
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, u := range unstored {
		got = append(got, u.MatchID+" "+string(u.State))
	}
	slices.Sort(got)
	if want := []string{"a-1 a/10", "b-1 b/10", "c-1 c/11"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("finished unstored %q, want %q", got, want)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO matches (id, table_id, rules, first_hakem, score0, score1, hands_played,
		moves_count, started_at, ended_at) VALUES ('a-1', 'a', '{}', 0, 7, 0, 1, 13, now(), now())`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PurgeLiveTables(ctx, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	rows, _ := pool.Query(ctx, `SELECT match_id FROM journal_finished ORDER BY 1`)
	left, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(left, ",") != "b-1" {
		t.Fatalf("journal_finished after the purge: %q, want only b-1 (a-1 is stored)", left)
	}
}
