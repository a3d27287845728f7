package migrations_test

import (
	"testing"

	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/migrations"
)

// TestPartitionMigrationKeepsRows: a database at version 14 with a stored
// match and an audit row is migrated to the monthly partitions (00015):
// every row lands in its month's partition (the hands and moves with their
// match's start); rolled back, the rows are in plain tables again; migrated
// again, still there.
func TestPartitionMigrationKeepsRows(t *testing.T) {
	pool, dsn := testenv.Pool(t)
	ctx := ctxT(t)
	if err := migrations.UpTo(ctx, dsn, 14); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO players (id, name) VALUES ('g_a', 'A')`,
		`INSERT INTO matches (id, table_id, rules, first_hakem, score0, score1, winner, hands_played, moves_count, started_at, ended_at)
		 VALUES ('t1-1', 't1', '{"target":7}', 0, 7, 0, 0, 1, 2, '2025-03-10 12:00+00', '2025-03-10 12:30+00')`,
		`INSERT INTO match_seats (match_id, seat, player_id, name, bot, started_at)
		 SELECT 't1-1', s, CASE WHEN s = 0 THEN 'g_a' END, 'x', s <> 0, '2025-03-10 12:00+00' FROM generate_series(0, 3) s`,
		`INSERT INTO match_hands (match_id, hand_no, hakem, trump, tricks0, tricks1, winner, points, kind, deck)
		 VALUES ('t1-1', 0, 0, 'S', 7, 0, 0, 2, 'kot', array_fill('AS'::text, ARRAY[52]))`,
		`INSERT INTO match_moves (match_id, idx, hand_no, seat, kind, value) VALUES
		 ('t1-1', 0, 0, 0, 'trump', 'S'), ('t1-1', 1, 0, 0, 'card', 'AS')`,
		`INSERT INTO audit_log (kind, user_id, at) VALUES ('login_ok', 'g_a', '2025-02-01 08:00+00')`,
	} {
		if _, err := pool.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	count := func(q string) (n int) {
		t.Helper()
		if err := pool.QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	for round, step := range []func() error{
		func() error { return migrations.Up(ctx, dsn) },
		func() error { return migrations.DownTo(ctx, dsn, 14) },
		func() error { return migrations.Up(ctx, dsn) },
	} {
		if err := step(); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		partitioned := round != 1
		kind := map[bool]string{true: "p", false: "r"}[partitioned]
		for _, table := range []string{"matches", "match_seats", "match_hands", "match_moves", "audit_log"} {
			var got string
			if err := pool.QueryRow(ctx, "SELECT relkind::text FROM pg_class WHERE relname = $1", table).Scan(&got); err != nil || got != kind {
				t.Fatalf("round %d: %s is of kind %q (%v), want %q", round, table, got, err, kind)
			}
		}
		suffix := ""
		if partitioned {
			suffix = "_p202503"
		}
		if n := count("SELECT count(*) FROM matches" + suffix); n != 1 {
			t.Fatalf("round %d: %d matches in matches%s", round, n, suffix)
		}
		if n := count("SELECT count(*) FROM match_seats" + suffix); n != 4 {
			t.Fatalf("round %d: %d seats", round, n)
		}
		if n := count("SELECT count(*) FROM match_hands" + suffix); n != 1 {
			t.Fatalf("round %d: %d hands", round, n)
		}
		if n := count("SELECT count(*) FROM match_moves" + suffix); n != 2 {
			t.Fatalf("round %d: %d moves", round, n)
		}
		if partitioned {
			if n := count("SELECT count(*) FROM match_moves WHERE started_at = '2025-03-10 12:00+00'"); n != 2 {
				t.Fatalf("round %d: the moves did not take their match's start", round)
			}
			if n := count("SELECT count(*) FROM audit_log_p202502"); n != 1 {
				t.Fatalf("round %d: the audit row is not in February's partition", round)
			}
		} else if n := count("SELECT count(*) FROM audit_log WHERE user_id = 'g_a'"); n != 1 {
			t.Fatalf("round %d: %d audit rows", round, n)
		}
		// The audit log's id sequence survives both ways.
		if _, err := pool.Exec(ctx, `INSERT INTO audit_log (kind) VALUES ('logout')`); err != nil {
			t.Fatalf("round %d: a new audit row: %v", round, err)
		}
	}
}
