package bot

import (
	"testing"

	"github.com/hokm-project/hokm/game"
)

// decisionViews collects the views of every decision in a few heuristic
// matches, trump choices and cards.
func decisionViews(b *testing.B) []game.View {
	b.Helper()
	h := NewHeuristic()
	var views []game.View
	for seed := uint64(1); seed <= 20; seed++ {
		s, _, _ := game.NewMatch(game.Rules{}, seed)
		for !s.Over() {
			v := game.ViewFor(&s, s.Turn)
			views = append(views, v)
			var err error
			if s, _, err = game.Apply(s, s.Turn, h.Choose(v)); err != nil {
				b.Fatal(err)
			}
		}
	}
	return views
}

func benchmarkChoose(b *testing.B, bot Bot) {
	views := decisionViews(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		bot.Choose(views[i%len(views)])
	}
}

// BenchmarkHeuristicChoose is the cost of one heuristic decision from a view.
func BenchmarkHeuristicChoose(b *testing.B) { benchmarkChoose(b, NewHeuristic()) }

// BenchmarkTimeoutChoose is the cost of one timeout move from a view.
func BenchmarkTimeoutChoose(b *testing.B) { benchmarkChoose(b, Timeout{}) }

// BenchmarkHeuristicVsRandomMatch plays whole matches to 7, heuristic team
// against random, views and Apply included.
func BenchmarkHeuristicVsRandomMatch(b *testing.B) {
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if _, err := PlayMatch(game.Rules{}, uint64(n), heuristicVsRandom(uint64(n), n%2)); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "matches/s")
}
