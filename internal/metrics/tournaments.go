package metrics

import "github.com/prometheus/client_golang/prometheus"

// Tournament metrics: what the director did (rounds started, tables
// seated, results recorded — a result recorded again by a persist task run
// twice counts as "duplicate") and how long a finished match's result took
// to reach the standings.
var (
	TournamentRounds = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hokm_tournament_rounds_started_total", Help: "Tournament rounds started by the director (round 1 included).",
	})
	TournamentTables = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hokm_tournament_tables_seated_total", Help: "Tournament games whose players the director seated at their table.",
	})
	TournamentResults = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hokm_tournament_results_total", Help: "Tournament game results by outcome: recorded, duplicate (recorded before), conflict (another result stood).",
	}, []string{"outcome"})
	TournamentTransitions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hokm_tournament_transitions_total", Help: "Tournaments moved by the director to a status (checkin, running, finished, cancelled).",
	}, []string{"status"})
)

func init() {
	Registry().MustRegister(TournamentRounds, TournamentTables, TournamentResults, TournamentTransitions)
	// Every series from the start (at 0), so a rate or an alert sees the first.
	for _, o := range []string{"recorded", "duplicate", "conflict"} {
		TournamentResults.WithLabelValues(o)
	}
	for _, s := range []string{"checkin", "running", "finished", "cancelled"} {
		TournamentTransitions.WithLabelValues(s)
	}
}
