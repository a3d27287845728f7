package bot

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/hokm-project/hokm/game"
)

// Tally counts one team's results over a series of matches.
type Tally struct {
	Matches, MatchesWon int
	Hands, HandsWon     int
}

// Add returns the sum of two tallies.
func (t Tally) Add(u Tally) Tally {
	return Tally{t.Matches + u.Matches, t.MatchesWon + u.MatchesWon, t.Hands + u.Hands, t.HandsWon + u.HandsWon}
}

// MatchRate is the share of matches won, 0 with no match.
func (t Tally) MatchRate() float64 { return ratio(t.MatchesWon, t.Matches) }

// HandRate is the share of hands won, 0 with no hand.
func (t Tally) HandRate() float64 { return ratio(t.HandsWon, t.Hands) }

func ratio(k, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(k) / float64(n)
}

// count adds the result of the finished match s for team.
func (t *Tally) count(s *game.State, team int) {
	t.Matches++
	if s.Winner == team {
		t.MatchesWon++
	}
	for _, r := range s.Results {
		t.Hands++
		if r.Winner == team {
			t.HandsWon++
		}
	}
}

// Wilson95 is the Wilson score 95 % confidence interval of a proportion of
// k successes in n trials ([0, 1] when n is 0).
func Wilson95(k, n int) (lo, hi float64) {
	if n == 0 {
		return 0, 1
	}
	const z = 1.959963984540054
	p, nf := float64(k)/float64(n), float64(n)
	centre := (p + z*z/(2*nf)) / (1 + z*z/nf)
	half := z / (1 + z*z/nf) * math.Sqrt(p*(1-p)/nf+z*z/(4*nf*nf))
	return math.Max(0, centre-half), math.Min(1, centre+half)
}

// HeuristicVsRandom plays n matches of a Heuristic team against a team of
// Random bots: match i has seed seed+i, and the heuristic team holds seats
// 0/2 when i is even and seats 1/3 when i is odd. Each Random bot is seeded
// from the match seed and its seat. It returns the heuristic team's tally for
// each arrangement, indexed by the heuristic team (0: seats 0/2, 1: seats
// 1/3), or the first error of PlayMatch.
func HeuristicVsRandom(rules game.Rules, seed uint64, n int) ([2]Tally, error) {
	var out [2]Tally
	for i := 0; i < n; i++ {
		ms, team := seed+uint64(i), i%2
		s, err := PlayMatch(rules, ms, heuristicVsRandom(ms, team))
		if err != nil {
			return out, fmt.Errorf("heuristic vs random: %w", err)
		}
		out[team].count(&s, team)
	}
	return out, nil
}

// heuristicVsRandom seats a Heuristic team as team and Random bots, seeded
// from the match seed and their seat, on the other team.
func heuristicVsRandom(seed uint64, team int) [4]Bot {
	h := NewHeuristic()
	var bots [4]Bot
	for seat := range bots {
		bots[seat] = h
		if game.Team(seat) != team {
			bots[seat] = NewRandom(rand.New(rand.NewPCG(seed, uint64(seat))))
		}
	}
	return bots
}
