package pgstore

// BenchmarkPartitionPlans (make partitionplans): the real queries over the
// partitioned history at a size worth planning for.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/migrations"
	"github.com/hokm-project/hokm/stats"
)

// BenchmarkPartitionPlans fills a database of its own with HOKM_PLAN_MOVES
// stored moves (default 10,000,000: about 20,800 matches of 480 moves and
// 10 hands, 4 seats of 10,000 players, started over the last 12 months, so
// in 13 monthly partitions), then runs EXPLAIN (ANALYZE, BUFFERS) of the
// queries players and jobs make — a player's recent matches and stats, a
// week's and a month's leaderboard, a stored match's summary, a day's
// activity rollup, the replay of a match by id (its hands: decks and moves)
// and replay verification's sample — logging each plan and reporting each
// execution time (ms), the median of 7 runs of the statement itself and
// the partitions each one read; then times the stats job (a full
// recompute, runs adding new matches) and the dashboard's top players. Run
// it with `make partitionplans` (-benchtime=1x: the fill takes seconds).
func BenchmarkPartitionPlans(b *testing.B) {
	moves := 10_000_000
	if v := os.Getenv("HOKM_PLAN_MOVES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 4800 {
			b.Fatalf("HOKM_PLAN_MOVES=%q: want a number of moves ≥ 4800", v)
		}
		moves = n
	}
	pool, dsn := testenv.Pool(b)
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	if err := migrations.Up(ctx, dsn); err != nil {
		b.Fatal(err)
	}
	s := New(pool)
	const perMatch, hands, players = 480, 10, 10_000
	matches := moves / perMatch
	now := time.Now().UTC()
	if _, err := s.EnsurePartitions(ctx, now.AddDate(-1, 0, 0), now); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	fill := append([]string{
		// The fill skips the foreign key triggers (the rows are consistent by
		// construction): 10 million checks would triple its time.
		`SET session_replication_role = replica`,
		`INSERT INTO players (id, name) SELECT 'p' || i, 'P' || i FROM generate_series(0, ` + strconv.Itoa(players-1) + `) i`,
	}, fillMatches(1, matches, matches, players, perMatch, hands)...)
	fill = append(fill, `RESET session_replication_role`, `ANALYZE`)
	conn, err := pool.Acquire(ctx) // SET and the inserts on one connection
	if err != nil {
		b.Fatal(err)
	}
	for i, q := range fill {
		if _, err := conn.Exec(ctx, q); err != nil {
			conn.Release()
			b.Fatalf("fill, statement %d: %v", i, err)
		}
	}
	conn.Release()
	var stored int64
	if err := pool.QueryRow(ctx, "SELECT sum(cardinality(move_seats)) FROM match_hands").Scan(&stored); err != nil {
		b.Fatal(err)
	}
	var size string
	if err := pool.QueryRow(ctx, "SELECT pg_size_pretty(pg_database_size(current_database()))").Scan(&size); err != nil {
		b.Fatal(err)
	}
	b.Logf("filled %d matches, %d moves, database %s, in %v", matches, stored, size, time.Since(start).Round(time.Second))

	week := stats.BucketOf(stats.Weekly, now, time.UTC, time.Saturday)
	day := stats.BucketOf(stats.Daily, now.AddDate(0, 0, -1), time.UTC, time.Saturday)
	month := stats.Bucket{Period: stats.Daily, Name: "last 30 days", Start: now.AddDate(0, 0, -30), End: now}
	id := "m" + strconv.Itoa(matches/2) // a match from about six months ago
	queries := []struct {
		name string
		sql  string
		args []any
	}{
		{"a player's recent matches", playerMatchesSQL, []any{"p42", now.AddDate(1000, 0, 0), "", 21}},
		{"a player's stats", playerStatsSQL, []any{"p42"}},
		{"this week's leaderboard", countedBoardSQL, []any{week.Start, week.End, 100}},
		{"the last 30 days' leaderboard", countedBoardSQL, []any{month.Start, month.End, 100}},
		{"a stored match's summary", matchInfoSQL, []any{id}},
		{"a day's activity rollup", rollupSQL, []any{day.Name, day.Start, day.End, "UTC"}},
		{"a replay: the hands", exportHandsSQL, []any{id}},
		// Replay verification's sample of 20: as SampleFinishedMatches asks
		// it, and as it was asked before the history grew (for comparison).
		{"verification's sample of 20", sampleSQL, []any{min(100, 100*20*20/float64(matches)), 20}},
		{"the same by ORDER BY random() alone", `SELECT id FROM matches WHERE winner IS NOT NULL ORDER BY random() LIMIT $1`, []any{20}},
	}
	b.ResetTimer()
	for range b.N {
		for _, q := range queries {
			var plan []map[string]any
			if err := pool.QueryRow(ctx, "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) "+q.sql, q.args...).Scan(&plan); err != nil {
				b.Fatalf("%s: %v", q.name, err)
			}
			ms, _ := plan[0]["Execution Time"].(float64)
			planMS, _ := plan[0]["Planning Time"].(float64)
			read := scannedPartitions(plan)
			pj, _ := json.MarshalIndent(plan[0]["Plan"], "", " ")
			// The statement run as the server runs it, timed from here: EXPLAIN
			// ANALYZE's timing of each row (a nested loop's in particular)
			// adds to what it reports.
			var runs []float64
			for range 7 {
				start := time.Now()
				rows, err := pool.Query(ctx, q.sql, q.args...)
				if err != nil {
					b.Fatal(err)
				}
				for rows.Next() {
				}
				rows.Close()
				runs = append(runs, float64(time.Since(start).Microseconds())/1000)
			}
			slices.Sort(runs)
			b.Logf("%s: %.2f ms (planned in %.2f ms; run as is: median %.2f ms of 7), partitions read %v\n%s", q.name, ms, planMS, runs[3], read, pj)
			b.ReportMetric(ms, metricName.ReplaceAllString(q.name, "_")+"_ms")
			b.ReportMetric(planMS, metricName.ReplaceAllString(q.name, "_")+"_plan_ms")
			b.ReportMetric(runs[3], metricName.ReplaceAllString(q.name, "_")+"_run_ms")
		}
	}
	b.StopTimer()
	// (After the plans: the matches it stores would change what they read.)
	// The stats job: a full recompute (the first run), a run with nothing
	// new, runs adding the matches stored since (as a quiet server stores in
	// its 5 minutes, and at 50 matches ending a second), a full recompute of
	// them all; then the dashboard's top players (from the stats' rows).
	timed := func(name string, f func() error) {
		start := time.Now()
		if err := f(); err != nil {
			b.Fatalf("%s: %v", name, err)
		}
		ms := float64(time.Since(start).Microseconds()) / 1000
		b.Logf("%s: %.2f ms", name, ms)
		b.ReportMetric(ms, metricName.ReplaceAllString(name, "_")+"_ms")
	}
	recompute := func() error { _, err := s.RecomputePlayerStats(ctx, time.UTC); return err }
	timed("stats: a full recompute", recompute)
	timed("stats: a run with nothing new", recompute)
	next := matches + 1
	for _, n := range []int{50, 15_000} { // a quiet server's 5 minutes, and 5 minutes of 50 matches ending a second
		for _, q := range fillMatches(next, next+n-1, matches, players, perMatch, hands) {
			if _, err := pool.Exec(ctx, q); err != nil {
				b.Fatal(err)
			}
		}
		next += n
		timed(fmt.Sprintf("stats: a run adding %d matches", n), recompute)
	}
	timed("stats: a full recompute again", func() error { _, err := s.RecomputeAllPlayerStats(ctx, time.UTC); return err })
	timed("top players", func() error { _, err := s.TopPlayers(ctx, 10); return err })
	// This week's board, now that the week holds the 15,050 matches just
	// stored: counted from the matches, and summed from the days the stats
	// job kept (median of 7 each), with the planner's statistics up to date
	// (as autovacuum would have them).
	if _, err := pool.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		sql  string
		args []any
	}{
		{"this week's leaderboard, counted", countedBoardSQL, []any{week.Start, week.End, 100}},
		{"this week's leaderboard, from the days", periodBoardSQL, []any{week.Start, week.End, 100}},
	} {
		var runs []float64
		for range 7 {
			start := time.Now()
			if _, err := s.board(ctx, week, c.sql, c.args...); err != nil {
				b.Fatalf("%s: %v", c.name, err)
			}
			runs = append(runs, float64(time.Since(start).Microseconds())/1000)
		}
		slices.Sort(runs)
		b.Logf("%s: median %.2f ms of 7", c.name, runs[3])
		b.ReportMetric(runs[3], metricName.ReplaceAllString(c.name, "_")+"_ms")
	}
	var fromDays bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (`+daysUsableSQL+`)`, week.Start, week.End).Scan(&fromDays); err != nil || !fromDays {
		b.Fatalf("this week's board is not summed from the days: %v, %v", fromDays, err)
	}

}

var metricName = regexp.MustCompile(`[^a-z0-9]+`)

// scannedPartitions names the relations a plan read (its scan nodes that ran).
func scannedPartitions(plan any) []string {
	seen := map[string]bool{}
	var out []string
	eachPlanNode(plan, func(n map[string]any) {
		rel, ok := n["Relation Name"].(string)
		if loops, _ := n["Actual Loops"].(float64); ok && loops > 0 && !seen[rel] {
			seen[rel] = true
			out = append(out, fmt.Sprintf("%s(%s)", rel, n["Node Type"]))
		}
	})
	return out
}

// fillMatches are the statements that store matches m<from>…m<to> (of
// perMatch moves in hands hands, four of players seated, a match every
// 365 days / spread, the later ones older; from above spread: ending now).
func fillMatches(from, to, spread, players, perMatch, hands int) []string {
	age := `greatest(0, (i::float8 / ` + strconv.Itoa(spread) + `)) * interval '365 days'`
	if from > spread {
		age = `interval '0 days'`
	}
	ids := `'m' || i FROM generate_series(` + strconv.Itoa(from) + `, ` + strconv.Itoa(to) + `) i`
	in := `m.id IN (SELECT ` + ids + `)`
	return []string{
		`INSERT INTO matches (id, table_id, rules, first_hakem, score0, score1, winner, hands_played, moves_count, started_at, ended_at)
		 SELECT 'm' || i, 't' || i, '{"target":7}', 0, 7, 3, i % 2, 10, 480,
		        now() - ` + age + ` - interval '25 minutes', now() - ` + age + `
		 FROM generate_series(` + strconv.Itoa(from) + `, ` + strconv.Itoa(to) + `) i`,
		`INSERT INTO match_seats (match_id, seat, player_id, name, bot, started_at)
		 SELECT m.id, st, 'p' || ((hashtext(m.id) & 65535) * 4 + st) % ` + strconv.Itoa(players) + `, 'P', false, m.started_at
		 FROM matches m, generate_series(0, 3) st WHERE ` + in,
		`INSERT INTO match_hands (match_id, hand_no, hakem, trump, tricks0, tricks1, winner, points, kind, deck,
		                          move_seats, move_values, started_at)
		 SELECT m.id, h, h % 4, 'S', 7, 6, h % 2, 1, 'normal', array_fill('AS'::text, ARRAY[52]),
		        (SELECT array_agg((g % 4)::smallint) FROM generate_series(1, ` + strconv.Itoa(perMatch/hands) + `) g),
		        array_fill('AS'::text, ARRAY[` + strconv.Itoa(perMatch/hands) + `]), m.started_at
		 FROM matches m, generate_series(0, ` + strconv.Itoa(hands-1) + `) h WHERE ` + in,
	}
}
