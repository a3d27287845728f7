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
// again, still there. (Later, 00022 moves the moves into their hands:
// TestMovesInHandsMigration.)
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
		func() error { return migrations.UpTo(ctx, dsn, 15) },
		func() error { return migrations.DownTo(ctx, dsn, 14) },
		func() error { return migrations.UpTo(ctx, dsn, 15) },
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

// TestMovesInHandsMigration: a database at version 21 with a stored match
// of two hands (three moves) is migrated to the moves kept in their hands
// (00022): each hand's row holds its moves in order, and the match_moves
// view reads them back as the table held them (idx across the hands); a
// malformed move is refused; rolled back, match_moves is a partitioned table
// again with the moves in their month's partition and deleted with their
// match; migrated again, the moves are back in their hands.
func TestMovesInHandsMigration(t *testing.T) {
	pool, dsn := testenv.Pool(t)
	ctx := ctxT(t)
	if err := migrations.UpTo(ctx, dsn, 21); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`SELECT hokm_month_partitions('2025-03-01', '2025-03-01')`,
		`INSERT INTO matches (id, table_id, rules, first_hakem, score0, score1, winner, hands_played, moves_count, started_at, ended_at)
		 VALUES ('t1-1', 't1', '{"target":7}', 0, 7, 0, 0, 1, 3, '2025-03-10 12:00+00', '2025-03-10 12:30+00')`,
		`INSERT INTO match_hands (match_id, hand_no, hakem, trump, tricks0, tricks1, winner, points, kind, deck, started_at)
		 VALUES ('t1-1', 0, 0, 'S', 7, 0, 0, 2, 'kot', array_fill('AS'::text, ARRAY[52]), '2025-03-10 12:00+00'),
		        ('t1-1', 1, 1, NULL, 0, 0, NULL, NULL, NULL, array_fill('KS'::text, ARRAY[52]), '2025-03-10 12:00+00')`,
		`INSERT INTO match_moves (match_id, idx, hand_no, seat, kind, value, started_at) VALUES
		 ('t1-1', 0, 0, 0, 'trump', 'S', '2025-03-10 12:00+00'), ('t1-1', 1, 0, 0, 'card', 'AS', '2025-03-10 12:00+00'),
		 ('t1-1', 2, 1, 1, 'trump', 'H', '2025-03-10 12:00+00')`,
	} {
		if _, err := pool.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	const moves = `SELECT string_agg(idx || ':' || hand_no || ':' || seat || ':' || kind || ':' || value, ' ' ORDER BY idx)
		FROM match_moves WHERE match_id = 't1-1' AND started_at = '2025-03-10 12:00+00'`
	const want = "0:0:0:trump:S 1:0:0:card:AS 2:1:1:trump:H"
	read := func(round int, q string) (s string) {
		t.Helper()
		if err := pool.QueryRow(ctx, q).Scan(&s); err != nil {
			t.Fatalf("round %d: %s: %v", round, q, err)
		}
		return s
	}
	for round, step := range []func() error{
		func() error { return migrations.Up(ctx, dsn) },
		func() error { return migrations.DownTo(ctx, dsn, 21) },
		func() error { return migrations.Up(ctx, dsn) },
	} {
		if err := step(); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if got := read(round, moves); got != want {
			t.Fatalf("round %d: match_moves reads %q, want %q", round, got, want)
		}
		kind := read(round, `SELECT relkind::text FROM pg_class WHERE relname = 'match_moves'`)
		if round == 1 {
			if kind != "p" || read(round, `SELECT count(*)::text FROM match_moves_p202503`) != "3" {
				t.Fatalf("round %d: match_moves is of kind %q, or its moves are not in March's partition", round, kind)
			}
			continue
		}
		hands := read(round, `SELECT string_agg(array_to_string(move_seats, ',') || '/' || array_to_string(move_values, ','), ' '
			ORDER BY hand_no) FROM match_hands WHERE match_id = 't1-1'`)
		if kind != "v" || hands != "0,0/S,AS 1/H" {
			t.Fatalf("round %d: match_moves is of kind %q, the hands hold %q", round, kind, hands)
		}
		if _, err := pool.Exec(ctx, `UPDATE match_hands SET move_values = '{S,XX}' WHERE match_id = 't1-1' AND hand_no = 0`); err == nil {
			t.Fatalf("round %d: a move that is neither a suit nor a card was stored", round)
		}
	}
	// Rolled back, the months made ahead include match_moves' again, and
	// deleting the match deletes its moves (the trigger is back).
	if err := migrations.DownTo(ctx, dsn, 21); err != nil {
		t.Fatal(err)
	}
	if made := read(3, `SELECT hokm_month_partitions('2025-04-01', '2025-04-01')::text`); made != "5" ||
		read(3, `SELECT to_regclass('match_moves_p202504')::text`) != "match_moves_p202504" {
		t.Fatalf("rolled back, a new month made %s partitions, match_moves' not among them", made)
	}
	if _, err := pool.Exec(ctx, `DELETE FROM matches WHERE id = 't1-1'`); err != nil {
		t.Fatal(err)
	}
	if n := read(3, `SELECT count(*)::text FROM match_moves`); n != "0" {
		t.Fatalf("%s moves of a deleted match left", n)
	}
}
