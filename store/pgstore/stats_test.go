package pgstore

import (
	"math"
	"testing"
	"time"

	"github.com/hokm-project/hokm/game/table"
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
	n, err := s.RecomputePlayerStats(ctx)
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
	if n, err := s.RecomputePlayerStats(ctx); err != nil || n != 0 {
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

	// A damaged row is repaired by the next run.
	if _, err := pool.Exec(ctx, `UPDATE player_stats SET rating = 1, matches_won = 99 WHERE player_id = 'B'`); err != nil {
		t.Fatal(err)
	}
	if n, err := s.RecomputePlayerStats(ctx); err != nil || n != 1 {
		t.Fatalf("repair: %d rows, %v; want 1", n, err)
	}
	check()
}

func tehran(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Tehran")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestLeaderboardsByHand(t *testing.T) {
	s, _, ctx := historySetup(t)
	mustPersist(t, ctx, s, statsFixture(t)...)
	if _, err := s.RecomputePlayerStats(ctx); err != nil {
		t.Fatal(err)
	}
	loc := tehran(t)
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
