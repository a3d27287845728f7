package metrics

import "github.com/prometheus/client_golang/prometheus"

var (
	// ReconcileFixed counts finished matches the reconciler found missing in
	// PostgreSQL and re-enqueued.
	ReconcileFixed = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hokm_reconcile_fixed_total", Help: "Finished matches missing in PostgreSQL that the reconciler re-enqueued.",
	})
	// ReconcileMissing is how many ledger matches the last reconcile run
	// found missing in PostgreSQL.
	ReconcileMissing = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "hokm_reconcile_missing", Help: "Finished matches the last reconcile run found missing in PostgreSQL.",
	})
	// ReplayVerifyMismatches counts stored matches whose replay disagreed
	// with their stored result.
	ReplayVerifyMismatches = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hokm_replay_verify_mismatches_total", Help: "Stored matches whose replay by the engine disagreed with the stored result.",
	})
	// ReplayVerifyLastMismatches is the mismatch count of the last run.
	ReplayVerifyLastMismatches = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "hokm_replay_verify_last_mismatches", Help: "Mismatches found by the last replay verification run.",
	})
	// ReplayVerified counts stored matches replayed by the verification.
	ReplayVerified = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hokm_replay_verified_total", Help: "Stored matches replayed by the replay verification.",
	})
	// CheckpointsWritten counts hand checkpoints, by how they were written
	// (direct, queued, task, duplicate).
	CheckpointsWritten = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hokm_hand_checkpoints_total", Help: "Hand checkpoints written, by path (direct, queued, task, duplicate).",
	}, []string{"path"})
)

func init() {
	Registry().MustRegister(ReconcileFixed, ReconcileMissing, ReplayVerifyMismatches, ReplayVerifyLastMismatches,
		ReplayVerified, CheckpointsWritten)
}
