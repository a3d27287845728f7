package pgstore

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/stats"
	"github.com/hokm-project/hokm/store/pgstore/pgstoretest"
)

// statsFixture is a small fixed set of matches whose stats, ratings and
// leaderboards are worked out by hand below. The results are those of the
// seeded games (each seed's hands are listed next to it); seats and times
// are set here.
//
//	M1 seed 8, ends 2026-03-20T20:29Z (Tehran Fri 23:59): A B C D; team 0 (A, C) wins 7–0 in 7 hands,
//	   tricks team 0: 49, team 1: 4+5+3+4+5+5+4 = 30. 323 moves, 226.1 s.
//	M2 seed 5, ends 2026-03-20T20:31Z (Tehran Sat 2026-03-21 00:01): A B bot bot; team 0 (A) wins 7–6
//	   in 11 hands, team 0 won 7 of them; hand 9 is a Hakem-Kot by team 1 (Hakem seat 0);
//	   tricks team 0: 65, team 1: 49. 467 moves, 326.9 s.
//	M3 seed 1, ends 2026-03-21T10:00Z (Tehran Sat 13:30): C(abandoned) B bot D; team 1 (B, D) wins
//	   5–7 in 12 hands, team 1 won 7 of them; tricks team 0: 63, team 1: 72. 552 moves, 386.4 s.
func statsFixture(t *testing.T) []table.MatchRecord {
	t.Helper()
	human := func(id string) table.Player { return table.Player{ID: id, Name: "Player " + id} }
	bot := func(seat int) table.Player { return table.Player{ID: table.BotID(seat), Name: "bot", Bot: true} }
	at := func(seed uint64, id string, end string, seats [4]table.Player) table.MatchRecord {
		m := pgstoretest.Play(pgstoretest.Game{Seed: seed, TableID: "t-" + id})
		e, err := time.Parse(time.RFC3339, end)
		if err != nil {
			t.Fatal(err)
		}
		d := m.Ended - m.Started
		m.MatchID, m.Seats, m.Ended, m.Started = id, seats, e.UnixMilli(), e.UnixMilli()-d
		return m
	}
	m3 := at(1, "M3", "2026-03-21T10:00:00Z", [4]table.Player{human("C"), human("B"), bot(2), human("D")})
	m3 = abandon(m3, 0)
	return []table.MatchRecord{
		at(8, "M1", "2026-03-20T20:29:00Z", [4]table.Player{human("A"), human("B"), human("C"), human("D")}),
		at(5, "M2", "2026-03-20T20:31:00Z", [4]table.Player{human("A"), human("B"), bot(2), bot(3)}),
		m3,
	}
}

// Ratings by hand (K = 32, bots 1500, team = mean of its seats):
//
//	M1: 1500 v 1500, E = 0.5: A, C +16 → 1516; B, D −16 → 1484.
//	M2: A+bot = 1508 v B+bot = 1492, E = 1/(1+10^(−16/400)) = 0.52301; d = 32·0.47699 = 15.26369:
//	    A 1531.26369, B 1468.73631.
//	M3: C+bot = 1508 v B+D = 1476.36815, team 1 wins: d = 32·(1 − E(1476.37, 1508)) = 17.45269:
//	    B 1486.18900, D 1501.45269, C 1498.54731.
var wantRated = map[string]RatedStats{
	"A": {PlayerStats: PlayerStats{Player: "A", Name: "Player A", MatchesPlayed: 2, MatchesWon: 2, HandsPlayed: 18,
		HandsWon: 14, HakemKotsTaken: 1, TricksTaken: 114, TimePlayed: 553 * time.Second},
		Rating: 1531.263693, RatingGames: 2},
	"B": {PlayerStats: PlayerStats{Player: "B", Name: "Player B", MatchesPlayed: 3, MatchesWon: 1, HandsPlayed: 30,
		HandsWon: 11, HakemKotsGiven: 1, TricksTaken: 151, TimePlayed: 939400 * time.Millisecond},
		Rating: 1486.188996, RatingGames: 3},
	"C": {PlayerStats: PlayerStats{Player: "C", Name: "Player C", MatchesPlayed: 2, MatchesWon: 1, MatchesLeft: 1,
		HandsPlayed: 19, HandsWon: 12, TricksTaken: 112, TimePlayed: 612500 * time.Millisecond},
		Rating: 1498.547311, RatingGames: 2},
	"D": {PlayerStats: PlayerStats{Player: "D", Name: "Player D", MatchesPlayed: 2, MatchesWon: 1, HandsPlayed: 19,
		HandsWon: 7, TricksTaken: 102, TimePlayed: 612500 * time.Millisecond},
		Rating: 1501.452689, RatingGames: 2},
}

func TestStatsByHand(t *testing.T) {
	s, pool, ctx := historySetup(t)
	mustPersist(t, ctx, s, statsFixture(t)...)
	n, err := s.RecomputePlayerStats(ctx, time.UTC)
	if err != nil || n != 4 {
		t.Fatalf("recompute: %d rows, %v; want 4", n, err)
	}
	check := func() {
		t.Helper()
		for id, want := range wantRated {
			got, err := s.StoredPlayerStats(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got.Rating-want.Rating) > 1e-5 {
				t.Errorf("%s rating %.6f, want %.6f", id, got.Rating, want.Rating)
			}
			got.Rating = want.Rating
			if got != want {
				t.Errorf("%s:\n got  %+v\n want %+v", id, got, want)
			}
			// The stored counters agree with the on-request stats.
			live, err := s.PlayerStats(ctx, id)
			if err != nil || live != got.PlayerStats {
				t.Errorf("%s: live stats %+v (%v), stored %+v", id, live, err, got.PlayerStats)
			}
		}
	}
	check()

	// Idempotent: a second run writes nothing.
	var before time.Time
	if err := pool.QueryRow(ctx, `SELECT max(updated_at) FROM player_stats`).Scan(&before); err != nil {
		t.Fatal(err)
	}
	if n, err := s.RecomputePlayerStats(ctx, time.UTC); err != nil || n != 0 {
		t.Fatalf("second recompute: %d rows, %v; want 0", n, err)
	}
	var after time.Time
	if err := pool.QueryRow(ctx, `SELECT max(updated_at) FROM player_stats`).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if !after.Equal(before) {
		t.Errorf("second recompute touched rows: updated_at %v → %v", before, after)
	}
	check()

	// A damaged row is left by the runs that add new matches, repaired by a
	// full one (RecomputeAllPlayerStats: `hokm ops stats recompute --all`).
	if _, err := pool.Exec(ctx, `UPDATE player_stats SET rating = 1, matches_won = 99 WHERE player_id = 'B'`); err != nil {
		t.Fatal(err)
	}
	if n, err := s.RecomputePlayerStats(ctx, time.UTC); err != nil || n != 0 {
		t.Fatalf("a run without new matches: %d rows, %v; want 0", n, err)
	}
	if n, err := s.RecomputeAllPlayerStats(ctx, time.UTC); err != nil || n != 1 {
		t.Fatalf("repair: %d rows, %v; want 1", n, err)
	}
	check()
}

// checkRated compares every player's stored stats with want (ratings to
// 1e-5, as worked out by hand).
func checkRated(t *testing.T, s *Store, want map[string]RatedStats) {
	t.Helper()
	for id, w := range want {
		got, err := s.StoredPlayerStats(context.Background(), id)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if math.Abs(got.Rating-w.Rating) > 1e-5 {
			t.Errorf("%s rating %.6f, want %.6f", id, got.Rating, w.Rating)
		}
		got.Rating = w.Rating
		if got != w {
			t.Errorf("%s:\n got  %+v\n want %+v", id, got, w)
		}
	}
}

// fullAt is when the stats were last recomputed in full.
func fullAt(t *testing.T, pool *pgxpool.Pool) time.Time {
	t.Helper()
	var at time.Time
	if err := pool.QueryRow(context.Background(), `SELECT full_at FROM stats_progress`).Scan(&at); err != nil {
		t.Fatal(err)
	}
	return at
}

// The stats are brought up to date by the matches stored since the last
// run: stored one at a time in the order they ended, each run adds one
// match and rates it on top of the ratings so far, and the end is the stats
// worked out by hand — with no full recompute after the first.
func TestStatsAddNewMatches(t *testing.T) {
	t.Parallel()
	s, pool, ctx := historySetup(t)
	ms := statsFixture(t)
	if n, err := s.RecomputePlayerStats(ctx, time.UTC); err != nil || n != 0 {
		t.Fatalf("the first run, nothing stored: %d, %v", n, err)
	}
	first := fullAt(t, pool)
	touched := []int64{4, 2, 3} // M1: A B C D; M2: A B; M3: C B D
	for i := range ms {
		mustPersist(t, ctx, s, ms[i])
		if n, err := s.RecomputePlayerStats(ctx, time.UTC); err != nil || n != touched[i] {
			t.Fatalf("after %s: %d rows, %v; want %d", ms[i].MatchID, n, err, touched[i])
		}
	}
	if at := fullAt(t, pool); !at.Equal(first) {
		t.Fatalf("a full recompute ran (%v, first %v): each run should have added its match", at, first)
	}
	checkRated(t, s, wantRated)
}

// A rated match stored after one that ended later (a dead letter replayed,
// a match reconciled after a Redis loss) is rated when it is stored, on top
// of the ratings so far — no full recompute, and a full recompute rates it
// in the same place.
func TestStatsLateMatchIsRatedWhenStored(t *testing.T) {
	t.Parallel()
	s, pool, ctx := historySetup(t)
	ms := statsFixture(t)
	mustPersist(t, ctx, s, ms[0], ms[2])
	if _, err := s.RecomputePlayerStats(ctx, time.UTC); err != nil {
		t.Fatal(err)
	}
	first := fullAt(t, pool)
	mustPersist(t, ctx, s, ms[1]) // M2 ended before M3
	if n, err := s.RecomputePlayerStats(ctx, time.UTC); err != nil || n != 2 {
		t.Fatalf("the run after M2: %d rows, %v; want 2", n, err)
	}
	if at := fullAt(t, pool); !at.Equal(first) {
		t.Fatalf("a full recompute ran after a late match (full_at %v, before %v)", at, first)
	}
	// By hand: M1 as in wantRated (A, C 1516; B, D 1484). M3: C+bot = 1508 v
	// B+D = 1484, team 1 wins: d = 32·(1 − E(1484, 1508)) = 32·0.534484 =
	// 17.10349: B, D 1501.10349, C 1498.89651. M2: A+bot = 1508 v B+bot =
	// 1500.55174, team 0 wins: d = 32·(1 − 0.510717) = 15.65705: A
	// 1531.65705, B 1485.44644.
	want := map[string]float64{"A": 1531.65705, "B": 1485.44644, "C": 1498.89651, "D": 1501.10349}
	check := func(when string) {
		t.Helper()
		for id, w := range want {
			got, err := s.StoredPlayerStats(ctx, id)
			if err != nil || math.Abs(got.Rating-w) > 1e-4 {
				t.Errorf("%s: %s rating %.5f (%v), want %.5f", when, id, got.Rating, err, w)
			}
		}
	}
	check("by increments")
	if n, err := s.RecomputeAllPlayerStats(ctx, time.UTC); err != nil || n != 0 {
		t.Fatalf("a full recompute after the increments: %d rows, %v; want 0 (the same ratings)", n, err)
	}
	check("recomputed")
}

// Many matches of a few players, stored in batches in an order close to
// the one they ended in (now and then a batch's first held back to the
// next: late), each batch followed by a run: the stats are those a full
// recompute gives, to the last bit of each rating.
func TestStatsIncrementsEqualAFullRecompute(t *testing.T) {
	t.Parallel()
	s, pool, ctx := historySetup(t)
	rng := rand.New(rand.NewPCG(7, 12))
	players := []string{"p1", "p2", "p3", "p4", "p5", "p6"}
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var ms []table.MatchRecord
	for i := range 60 {
		m := pgstoretest.Play(pgstoretest.Game{Seed: uint64(100 + i), TableID: fmt.Sprintf("t-inc-%d", i)})
		var seats [4]table.Player
		for k, j := range rng.Perm(len(players))[:4] {
			seats[k] = table.Player{ID: players[j], Name: "Player " + players[j]}
			if rng.IntN(5) == 0 {
				seats[k] = table.Player{ID: table.BotID(k), Name: "bot", Bot: true}
			}
		}
		d := m.Ended - m.Started
		m.MatchID, m.Seats = fmt.Sprintf("inc-%02d", i), seats
		m.Ended = base.Add(time.Duration(i) * time.Minute).UnixMilli()
		m.Started = m.Ended - d
		if rng.IntN(8) == 0 {
			m = abandon(m, rng.IntN(4))
		}
		ms = append(ms, m)
	}
	// Batches of 5 in the order they ended, but now and then a match is
	// held back one batch.
	var held []table.MatchRecord
	fulls, runs := 0, 0
	last := time.Time{}
	for b := 0; b < len(ms); b += 5 {
		batch := append(held, ms[b:b+5]...)
		held = nil
		if rng.IntN(4) == 0 { // (the batch's first ended before the others: late at the next run)
			held, batch = []table.MatchRecord{batch[0]}, batch[1:]
		}
		mustPersist(t, ctx, s, batch...)
		if _, err := s.RecomputePlayerStats(ctx, time.UTC); err != nil {
			t.Fatal(err)
		}
		runs++
		if at := fullAt(t, pool); !at.Equal(last) {
			fulls, last = fulls+1, at
		}
	}
	mustPersist(t, ctx, s, held...)
	if _, err := s.RecomputePlayerStats(ctx, time.UTC); err != nil {
		t.Fatal(err)
	}
	if fulls != 1 {
		t.Fatalf("%d of %d runs were full recomputes: want the first alone", fulls, runs)
	}
	read := func() map[string]RatedStats {
		out := map[string]RatedStats{}
		for _, p := range players {
			st, err := s.StoredPlayerStats(ctx, p)
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			out[p] = st
		}
		return out
	}
	incremental := read()
	if _, err := s.RecomputeAllPlayerStats(ctx, time.UTC); err != nil {
		t.Fatal(err)
	}
	checkRated(t, s, incremental)
	for p, st := range read() {
		if math.Abs(st.Rating-incremental[p].Rating) > 1e-9 {
			t.Errorf("%s: rating %.12f by increments, %.12f recomputed", p, incremental[p].Rating, st.Rating)
		}
	}
}

func tehran(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Tehran")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestLeaderboardsByHand: the boards of the fixture's days and weeks, as
// worked out by hand. The stats job counted the days in Tehran: those
// boards sum player_days, the UTC day's is counted from the matches.
func TestLeaderboardsByHand(t *testing.T) {
	s, _, ctx := historySetup(t)
	mustPersist(t, ctx, s, statsFixture(t)...)
	loc := tehran(t)
	if _, err := s.RecomputePlayerStats(ctx, loc); err != nil {
		t.Fatal(err)
	}
	at := func(v string) time.Time {
		x, err := time.Parse(time.RFC3339, v)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	type row struct {
		id           string
		wins, played int
	}
	for _, c := range []struct {
		name string
		b    stats.Bucket
		want []row
	}{
		// M1 ends at 23:59 Friday in Tehran, M2 at 00:01 Saturday: different days and weeks.
		{"daily Fri", stats.BucketOf(stats.Daily, at("2026-03-20T20:29:00Z"), loc, time.Saturday),
			[]row{{"A", 1, 1}, {"C", 1, 1}, {"B", 0, 1}, {"D", 0, 1}}},
		{"daily Sat", stats.BucketOf(stats.Daily, at("2026-03-20T20:31:00Z"), loc, time.Saturday),
			[]row{{"A", 1, 1}, {"D", 1, 1}, {"B", 1, 2}, {"C", 0, 1}}},
		{"week to Fri", stats.BucketOf(stats.Weekly, at("2026-03-20T20:29:00Z"), loc, time.Saturday),
			[]row{{"A", 1, 1}, {"C", 1, 1}, {"B", 0, 1}, {"D", 0, 1}}},
		{"week from Sat", stats.BucketOf(stats.Weekly, at("2026-03-21T10:00:00Z"), loc, time.Saturday),
			[]row{{"A", 1, 1}, {"D", 1, 1}, {"B", 1, 2}, {"C", 0, 1}}},
		// Weeks from Monday put all three matches in one week.
		{"week from Mon", stats.BucketOf(stats.Weekly, at("2026-03-20T20:29:00Z"), loc, time.Monday),
			[]row{{"A", 2, 2}, {"C", 1, 2}, {"D", 1, 2}, {"B", 1, 3}}},
		// In UTC, M1 and M2 share 2026-03-20.
		{"daily UTC", stats.BucketOf(stats.Daily, at("2026-03-20T20:31:00Z"), time.UTC, time.Saturday),
			[]row{{"A", 2, 2}, {"C", 1, 1}, {"B", 0, 2}, {"D", 0, 1}}},
		{"alltime", stats.BucketOf(stats.AllTime, time.Time{}, loc, time.Saturday),
			[]row{{"A", 2, 2}, {"D", 1, 2}, {"C", 1, 2}, {"B", 1, 3}}},
		{"empty day", stats.BucketOf(stats.Daily, at("2026-03-25T10:00:00Z"), loc, time.Saturday), nil},
	} {
		got, err := s.Leaderboard(ctx, c.b, 10)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var rows []row
		for i, e := range got {
			rows = append(rows, row{e.PlayerID, e.Wins, e.Played})
			if e.Rank != i+1 || e.Name != "Player "+e.PlayerID {
				t.Errorf("%s: entry %d %+v", c.name, i, e)
			}
		}
		if len(rows) != len(c.want) {
			t.Errorf("%s (%s): %v, want %v", c.name, c.b.Name, rows, c.want)
			continue
		}
		for i := range rows {
			if rows[i] != c.want[i] {
				t.Errorf("%s (%s): %v, want %v", c.name, c.b.Name, rows, c.want)
				break
			}
		}
	}
	if got, err := s.Leaderboard(ctx, stats.BucketOf(stats.AllTime, time.Time{}, loc, time.Saturday), 2); err != nil ||
		len(got) != 2 || got[1].PlayerID != "D" || math.Abs(got[1].Rating-1501.452689) > 1e-5 {
		t.Errorf("limit 2: %+v, %v", got, err)
	}
}

// TestLeaderboardFromDays: a day's and a week's board summed from
// player_days, with the matches stored since the stats job's last run
// counted beside them, is the board counted from the matches — before any
// run, between runs and after one; the days are in the zone of the last run
// (another zone's boards are counted), and a run in another zone counts
// them again in it.
func TestLeaderboardFromDays(t *testing.T) {
	s, pool, ctx := historySetup(t)
	teh := tehran(t)
	human := func(id string) table.Player { return table.Player{ID: id, Name: "Player " + id} }
	// 24 matches of six players ending every 7 hours from a Thursday
	// evening, over days and a week's start in both zones; every third left
	// by a player.
	base := time.Date(2026, 3, 19, 15, 0, 0, 0, time.UTC)
	ids := []string{"A", "B", "C", "D", "E", "F"}
	var ms []table.MatchRecord
	type bucket struct {
		b   stats.Bucket
		loc *time.Location
	}
	var buckets []bucket
	seen := map[string]bool{}
	for i := range 24 {
		m := pgstoretest.Play(pgstoretest.Game{Seed: uint64(100 + i), TableID: fmt.Sprintf("t-d%d", i)})
		end := base.Add(time.Duration(i) * 7 * time.Hour)
		d := m.Ended - m.Started
		m.MatchID, m.Ended, m.Started = fmt.Sprintf("D%d", i), end.UnixMilli(), end.UnixMilli()-d
		m.Seats = [4]table.Player{human(ids[i%6]), human(ids[(i+1)%6]), human(ids[(i+3)%6]), human(ids[(i+4)%6])}
		if i%3 == 0 {
			m = abandon(m, i%4)
		}
		ms = append(ms, m)
		for _, loc := range []*time.Location{teh, time.UTC} {
			for _, p := range []stats.Period{stats.Daily, stats.Weekly} {
				b := stats.BucketOf(p, end, loc, time.Saturday)
				if key := loc.String() + string(p) + b.Name; !seen[key] {
					seen[key] = true
					buckets = append(buckets, bucket{b, loc})
				}
			}
		}
	}
	check := func(stage string, daysIn *time.Location, stored int) {
		t.Helper()
		for _, c := range buckets {
			var fromDays bool
			if err := pool.QueryRow(ctx, `SELECT EXISTS (`+daysUsableSQL+`)`, c.b.Start, c.b.End).Scan(&fromDays); err != nil {
				t.Fatal(err)
			}
			if want := daysIn == c.loc; fromDays != want {
				t.Errorf("%s: %s %s in %s: from the days %v, want %v", stage, c.b.Period, c.b.Name, c.loc, fromDays, want)
			}
			got, err := s.Leaderboard(ctx, c.b, 100)
			if err != nil {
				t.Fatal(err)
			}
			want, err := s.board(ctx, c.b, countedBoardSQL, c.b.Start, c.b.End, 100)
			if err != nil {
				t.Fatal(err)
			}
			// (Every bucket holds a match's end: its board is empty only
			// if that match is not stored yet.)
			if len(want) == 0 && stored >= 24 || fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: %s %s in %s:\n got %v\nwant %v", stage, c.b.Period, c.b.Name, c.loc, got, want)
			}
		}
	}
	mustPersist(t, ctx, s, ms[:12]...)
	check("before any run", nil, 12)
	if _, err := s.RecomputePlayerStats(ctx, teh); err != nil {
		t.Fatal(err)
	}
	mustPersist(t, ctx, s, ms[12:]...) // stored since the run
	check("days and the matches stored since", teh, 24)
	if _, err := s.RecomputePlayerStats(ctx, teh); err != nil {
		t.Fatal(err)
	}
	var rows, played int
	if err := pool.QueryRow(ctx, `SELECT count(*), coalesce(sum(played), 0) FROM player_days`).Scan(&rows, &played); err != nil {
		t.Fatal(err)
	}
	if played != 24*4 {
		t.Errorf("player_days: %d rows, %d seats played; want the 96 seats of the 24 matches", rows, played)
	}
	check("days", teh, 24)
	// A run of the previous release (no days) moves the stats' bound on past
	// matches stored since: they are counted beside the days until a run of
	// this one adds them.
	more := make([]table.MatchRecord, 6)
	for i := range more {
		m := ms[i]
		m.MatchID, m.TableID = fmt.Sprintf("E%d", i), fmt.Sprintf("t-e%d", i)
		more[i] = m
	}
	mustPersist(t, ctx, s, more...)
	if _, err := pool.Exec(ctx, `UPDATE stats_progress SET bound = (SELECT max(stored_xid) + 1 FROM matches)`); err != nil {
		t.Fatal(err)
	}
	ms = append(ms, more...)
	check("days, and matches an older run counted without them", teh, len(ms))
	if _, err := s.RecomputePlayerStats(ctx, teh); err != nil {
		t.Fatal(err)
	}
	check("days caught up", teh, len(ms))
	if err := pool.QueryRow(ctx, `SELECT coalesce(sum(played), 0) FROM player_days`).Scan(&played); err != nil || played != 30*4 {
		t.Errorf("player_days: %d seats played (%v); want the 120 of the 30 matches", played, err)
	}
	if _, err := s.RecomputePlayerStats(ctx, time.UTC); err != nil {
		t.Fatal(err)
	}
	check("days counted again in UTC", time.UTC, len(ms))
}

func TestRollupDayTehran(t *testing.T) {
	s, pool, ctx := historySetup(t)
	mustPersist(t, ctx, s, statsFixture(t)...)
	loc := tehran(t)
	fri := time.Date(2026, 3, 20, 12, 0, 0, 0, loc)
	sat := time.Date(2026, 3, 21, 12, 0, 0, 0, loc)
	for range 2 { // idempotent: the second run finds the same values
		a, err := s.RollupDay(ctx, fri, loc)
		want := DailyActivity{Day: "2026-03-20", TimeZone: "Asia/Tehran", Matches: 1, Hands: 7, Players: 4, Moves: 323}
		if err != nil || a != want {
			t.Errorf("friday: %+v, %v; want %+v", a, err, want)
		}
		a, err = s.RollupDay(ctx, sat, loc)
		want = DailyActivity{Day: "2026-03-21", TimeZone: "Asia/Tehran", Matches: 2, Hands: 23, Players: 4, Moves: 1019}
		if err != nil || a != want {
			t.Errorf("saturday: %+v, %v; want %+v", a, err, want)
		}
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM daily_activity`).Scan(&n); err != nil || n != 2 {
		t.Errorf("%d rows, %v", n, err)
	}
}

// A run's bound is the oldest transaction of its database still running:
// a match stored while an older transaction is open there (its xid below
// the match's) waits for the first run after that transaction ends, then
// counts once — never skipped, never twice. An older transaction in
// another database of the cluster holds nothing back.
func TestStatsBoundIsTheOldestRunningTransaction(t *testing.T) {
	t.Parallel()
	s, pool, ctx := historySetup(t)
	other, _ := testenv.Pool(t) // a database of its own
	ms := statsFixture(t)
	if _, err := s.RecomputePlayerStats(ctx, time.UTC); err != nil {
		t.Fatal(err)
	}
	older := func(p *pgxpool.Pool) pgx.Tx {
		tx, err := p.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tx.Rollback(context.Background()) })
		if _, err := tx.Exec(ctx, `SELECT pg_current_xact_id()`); err != nil { // (it takes an xid)
			t.Fatal(err)
		}
		return tx
	}
	elsewhere := older(other)
	mustPersist(t, ctx, s, ms[0])
	if n, err := s.RecomputePlayerStats(ctx, time.UTC); err != nil || n != 4 {
		t.Fatalf("a run while another database's older transaction is open: %d rows, %v; want 4", n, err)
	}
	if err := elsewhere.Rollback(ctx); err != nil {
		t.Fatal(err)
	}

	here := older(pool)
	mustPersist(t, ctx, s, ms[1])
	if n, err := s.RecomputePlayerStats(ctx, time.UTC); err != nil || n != 0 {
		t.Fatalf("a run while an older transaction is open here: %d rows, %v; want 0", n, err)
	}
	if err := here.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	for i, want := range []int64{2, 0} {
		if n, err := s.RecomputePlayerStats(ctx, time.UTC); err != nil || n != want {
			t.Fatalf("run %d after it ended: %d rows, %v; want %d", i+1, n, err, want)
		}
	}
	st, err := s.StoredPlayerStats(ctx, "A")
	if err != nil || st.MatchesPlayed != 2 {
		t.Fatalf("A after M1 and M2: %+v, %v", st, err)
	}
}
