package bot

import (
	"math"
	"testing"

	"github.com/hokm-project/hokm/game"
)

// minWinRate is the match win rate the heuristic team must reach against
// random players.
const minWinRate = 0.75

// TestHeuristicBeatsRandom plays 400 seeded matches, 200 with the heuristic
// team on seats 0/2 and 200 on seats 1/3, and fails if the heuristic team
// wins fewer than 75 % of them, overall or in either arrangement.
func TestHeuristicBeatsRandom(t *testing.T) {
	by, err := HeuristicVsRandom(game.Rules{}, 1, 400)
	if err != nil {
		t.Fatal(err)
	}
	total := by[0].Add(by[1])
	t.Logf("match win rate %.3f (%d/%d), hand win rate %.3f",
		total.MatchRate(), total.MatchesWon, total.Matches, total.HandRate())
	if total.Matches != 400 || by[0].Matches != 200 {
		t.Fatalf("played %d matches (%d on seats 0/2), want 400 (200)", total.Matches, by[0].Matches)
	}
	for team, tally := range by {
		if tally.MatchRate() < minWinRate {
			t.Errorf("heuristic on seats %d/%d won %.3f of matches, want ≥ %.2f", team, team+2, tally.MatchRate(), minWinRate)
		}
	}
	if total.MatchRate() < minWinRate {
		t.Errorf("heuristic won %.3f of matches, want ≥ %.2f", total.MatchRate(), minWinRate)
	}
}

func TestWilson95(t *testing.T) {
	tests := []struct {
		k, n   int
		lo, hi float64
	}{
		{0, 0, 0, 1},
		{50, 100, 0.4038, 0.5962},
		{100, 100, 0.9630, 1},
		{0, 10, 0, 0.2775},
		{9500, 10000, 0.9455, 0.9541},
	}
	for _, tt := range tests {
		lo, hi := Wilson95(tt.k, tt.n)
		if math.Abs(lo-tt.lo) > 1e-4 || math.Abs(hi-tt.hi) > 1e-4 {
			t.Errorf("Wilson95(%d, %d) = [%.4f, %.4f], want [%.4f, %.4f]", tt.k, tt.n, lo, hi, tt.lo, tt.hi)
		}
	}
}

func TestTally(t *testing.T) {
	var zero Tally
	if zero.MatchRate() != 0 || zero.HandRate() != 0 {
		t.Fatal("an empty tally has a rate")
	}
	sum := Tally{2, 1, 10, 4}.Add(Tally{2, 2, 6, 4})
	if sum != (Tally{4, 3, 16, 8}) || sum.MatchRate() != 0.75 || sum.HandRate() != 0.5 {
		t.Fatalf("sum %+v", sum)
	}
}
