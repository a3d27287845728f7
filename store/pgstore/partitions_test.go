package pgstore_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/pgstore/pgstoretest"
)

// months lists the months (YYYYMM) table has attached partitions for.
func months(t *testing.T, s *pgstore.Store, table string) []string {
	t.Helper()
	ps, err := s.Partitions(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range ps {
		if p.Table == table {
			out = append(out, p.Month.Format("200601"))
		}
	}
	return out
}

// TestMonthlyPartitions: the migration makes this month and the next three
// for every partitioned table; EnsurePartitions makes missing months once;
// a match from a month nobody made is stored anyway (its persist makes the
// month); detaching a month takes its matches out of every read, children
// first, and leaves its rows in tables of their own.
func TestMonthlyPartitions(t *testing.T) {
	t.Parallel()
	s, pool, ctx := setup(t)
	now := time.Now().UTC()
	want := []string{}
	for i := range 4 {
		want = append(want, time.Date(now.Year(), now.Month()+time.Month(i), 1, 0, 0, 0, 0, time.UTC).Format("200601"))
	}
	for _, table := range pgstore.PartitionedTables {
		if got := months(t, s, table); !slices.Equal(got, want) {
			t.Fatalf("%s partitions after migrating: %v, want %v", table, got, want)
		}
	}

	first, last := time.Date(2020, 1, 15, 0, 0, 0, 0, time.UTC), time.Date(2020, 3, 2, 0, 0, 0, 0, time.UTC)
	if n, err := s.EnsurePartitions(ctx, first, last); err != nil || n != 3*len(pgstore.PartitionedTables) {
		t.Fatalf("EnsurePartitions 2020-01..03: %d, %v; want %d", n, err, 3*len(pgstore.PartitionedTables))
	}
	if n, err := s.EnsurePartitions(ctx, first, last); err != nil || n != 0 {
		t.Fatalf("EnsurePartitions again: %d, %v; want 0", n, err)
	}

	old := pgstoretest.Play(pgstoretest.Game{Seed: 21, Guests: [2]string{"old-a", "old-b"}})
	old.Started = time.Date(2019, 5, 10, 12, 0, 0, 0, time.UTC).UnixMilli()
	old.Ended = old.Started + 20*60*1000
	recent := pgstoretest.Play(pgstoretest.Game{Seed: 22})
	recent.Started, recent.Ended = now.UnixMilli(), now.UnixMilli()+1
	if !persist(t, ctx, s, &old) || !persist(t, ctx, s, &recent) {
		t.Fatal("a match was not stored")
	}
	if persist(t, ctx, s, &old) {
		t.Fatal("the same match stored twice")
	}
	if got := months(t, s, "match_hands"); !slices.Contains(got, "201905") {
		t.Fatalf("match_hands months %v: the persist did not make May 2019", got)
	}
	// (the moves are their hands': counted in the month's hands)
	const movesIn = "SELECT coalesce(sum(cardinality(move_seats)), 0) FROM match_hands_p201905"
	var inMonth int
	if err := pool.QueryRow(ctx, movesIn).Scan(&inMonth); err != nil || inMonth != len(old.Record.Actions) {
		t.Fatalf("moves in match_hands_p201905: %d, %v; want %d", inMonth, err, len(old.Record.Actions))
	}

	if _, err := s.RecomputePlayerStats(ctx, time.UTC); err != nil {
		t.Fatal(err)
	}
	if _, err := s.StoredPlayerStats(ctx, "old-a"); err != nil {
		t.Fatalf("stats of the May 2019 match's player: %v", err)
	}
	oldDays := func() (n int) {
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM player_days WHERE day < '2019-06-01'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if oldDays() == 0 {
		t.Fatal("the May 2019 match is not in its players' days")
	}
	done, err := s.DetachMatchMonths(ctx, time.Date(2019, 6, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	var daysBound *int64
	if err := pool.QueryRow(ctx, `SELECT days_bound FROM stats_progress`).Scan(&daysBound); err != nil || daysBound != nil {
		t.Fatalf("the detach kept the days' bound: %v, %v", daysBound, err)
	}
	// The detached month's matches leave the stats and the days at the next
	// run (a full one: the detach asked for it).
	if _, err := s.RecomputePlayerStats(ctx, time.UTC); err != nil {
		t.Fatal(err)
	}
	if n := oldDays(); n != 0 {
		t.Fatalf("%d days of the detached month left", n)
	}
	if st, err := s.StoredPlayerStats(ctx, "old-a"); !errors.Is(err, pgstore.ErrPlayerNotFound) {
		t.Fatalf("stats of a detached month's player: %+v, %v", st, err)
	}
	if want := []string{"match_hands_p201905", "match_seats_p201905", "matches_p201905"}; !slices.Equal(done, want) {
		t.Fatalf("detached %v, want %v (children first)", done, want)
	}
	if _, err := s.FinishedMatch(ctx, old.MatchID); !errors.Is(err, pgstore.ErrNotFound) {
		t.Fatalf("a detached month's match is still read: %v", err)
	}
	if _, err := s.ExportRecord(ctx, recent.MatchID); err != nil {
		t.Fatalf("this month's match after detaching May 2019: %v", err)
	}
	if err := pool.QueryRow(ctx, movesIn).Scan(&inMonth); err != nil || inMonth != len(old.Record.Actions) {
		t.Fatalf("the detached month's moves are not kept: %d, %v", inMonth, err)
	}
	if got := months(t, s, "audit_log"); !slices.Contains(got, "201905") {
		t.Fatal("the audit log's month was detached with the matches'")
	}
	if done, err := s.DetachMatchMonths(ctx, time.Date(2019, 6, 1, 0, 0, 0, 0, time.UTC)); err != nil || len(done) != 0 {
		t.Fatalf("detaching again: %v, %v", done, err)
	}

	// Deleting a match deletes all its rows (the moves with their hands),
	// so it can be stored again.
	if _, err := pool.Exec(ctx, "DELETE FROM matches WHERE id = $1", recent.MatchID); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM match_moves WHERE match_id = $1)
		+ (SELECT count(*) FROM match_hands WHERE match_id = $1) + (SELECT count(*) FROM match_seats WHERE match_id = $1)`,
		recent.MatchID).Scan(&left); err != nil || left != 0 {
		t.Fatalf("%d rows of a deleted match left, %v", left, err)
	}
	if !persist(t, ctx, s, &recent) {
		t.Fatal("a deleted match could not be stored again")
	}
}

// TestSampleFinishedMatches: the replay verification's sample reads a
// share of the pages of a large history (here 5,000 matches, analyzed: about
// 2 % for 5) and still returns n distinct matches with a winner; a small one
// is read whole.
func TestSampleFinishedMatches(t *testing.T) {
	t.Parallel()
	s, pool, ctx := setup(t)
	m := pgstoretest.Play(pgstoretest.Game{Seed: 31})
	if !persist(t, ctx, s, &m) {
		t.Fatal("not stored")
	}
	if ids, err := s.SampleFinishedMatches(ctx, 5); err != nil || !slices.Equal(ids, []string{m.MatchID}) {
		t.Fatalf("a history of one match: %v, %v", ids, err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO matches (id, table_id, rules, first_hakem, score0, score1, winner,
		hands_played, moves_count, started_at, ended_at)
		SELECT 's' || i, 'x' || i, '{"target":7}', 0, 7, 2, CASE WHEN i % 10 = 0 THEN NULL ELSE i % 2 END, 2, 0,
		       now() - i * interval '1 second', now()
		FROM generate_series(1, 5000) i`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "ANALYZE matches"); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		ids, err := s.SampleFinishedMatches(ctx, 5)
		if err != nil || len(ids) != 5 {
			t.Fatalf("a sample of 5: %v, %v", ids, err)
		}
		var winners int
		if err := pool.QueryRow(ctx, "SELECT count(DISTINCT id) FROM matches WHERE id = ANY($1) AND winner IS NOT NULL", ids).Scan(&winners); err != nil || winners != 5 {
			t.Fatalf("sample %v: %d distinct stored matches with a winner, %v", ids, winners, err)
		}
	}
}
