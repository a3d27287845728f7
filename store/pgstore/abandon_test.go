package pgstore

import (
	"testing"
	"time"

	"github.com/hokm-project/hokm/stats"
)

// TestAbandonedWinIsNoWin: a player who left a match that their team then
// won (a bot finished it for them) has it as played and left, never as
// won: in the on-request stats, the stored stats, the day's leaderboard and
// the dashboard's top players. (Their rating still moves with their team's
// result: see stats.Ratings.)
func TestAbandonedWinIsNoWin(t *testing.T) {
	t.Parallel()
	s, _, ctx := historySetup(t)
	m := abandon(play(t, 1, [2]string{"bob", "alice"}), 1) // alice: team 1
	if m.Winner != 1 || m.Seats[1].AbandonedBy != "alice" {
		t.Fatalf("fixture changed: winner %d, seat 1 %+v", m.Winner, m.Seats[1])
	}
	mustPersist(t, ctx, s, m)
	live, err := s.PlayerStats(ctx, "alice")
	if err != nil || live.MatchesPlayed != 1 || live.MatchesWon != 0 || live.MatchesLeft != 1 {
		t.Fatalf("alice's stats: %+v, %v", live, err)
	}
	if _, err := s.RecomputePlayerStats(ctx, time.UTC); err != nil {
		t.Fatal(err)
	}
	stored, err := s.StoredPlayerStats(ctx, "alice")
	if err != nil || stored.PlayerStats != live {
		t.Fatalf("alice's stored stats: %+v, %v; live %+v", stored.PlayerStats, err, live)
	}
	b := stats.BucketOf(stats.Daily, time.UnixMilli(m.Ended), time.UTC, time.Saturday)
	board, err := s.Leaderboard(ctx, b, 10)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range board {
		if e.PlayerID == "alice" {
			found = true
			if e.Wins != 0 || e.Played != 1 {
				t.Fatalf("alice on the day's board: %+v", e)
			}
		}
	}
	if !found {
		t.Fatalf("alice not on the day's board: %+v", board)
	}
	top, err := s.TopPlayers(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range top {
		if p.PlayerID == "alice" && (p.Won != 0 || p.Played != 1) {
			t.Fatalf("alice among the top players: %+v", p)
		}
	}
}
