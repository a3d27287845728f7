package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Outcomes of a scheduled bucket's enqueue (hokm_scheduler_runs_total).
const (
	SchedulerEnqueued  = "enqueued"  // asynq took the bucket's task
	SchedulerDuplicate = "duplicate" // asynq already had it (TaskID conflict): another scheduler or a restart
	SchedulerError     = "error"     // the enqueue failed; retried at the next tick while leading
)

var (
	// SchedulerLeader is 1 while this process's scheduler holds the lease.
	SchedulerLeader = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "hokm_scheduler_leader", Help: "1 while this process's scheduler holds the leadership lease and enqueues the periodic jobs, else 0.",
	})
	// SchedulerFencingToken is the fencing token of this scheduler's last
	// acquisition of the lease.
	SchedulerFencingToken = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "hokm_scheduler_fencing_token", Help: "Fencing token drawn by this process's scheduler at its last acquisition of the lease (grows at every acquisition by any scheduler).",
	})
	// SchedulerRuns counts enqueues of scheduled buckets by job (the task
	// type) and outcome.
	SchedulerRuns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hokm_scheduler_runs_total", Help: "Scheduled buckets this scheduler enqueued, by job (task type) and outcome (enqueued, duplicate, error).",
	}, []string{"job", "outcome"})
	// SchedulerLastRun is the bucket (scheduled time) of each job's latest
	// run this scheduler enqueued or found enqueued.
	SchedulerLastRun = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "hokm_scheduler_last_run_timestamp_seconds", Help: "Scheduled time (unix s) of the latest bucket of a job this scheduler enqueued or found already enqueued.",
	}, []string{"job"})
)

func init() {
	Registry().MustRegister(SchedulerLeader, SchedulerFencingToken, SchedulerRuns, SchedulerLastRun)
}

// SchedulerLeading records whether this scheduler leads and, when it has
// just acquired the lease, its fencing token.
func SchedulerLeading(leading bool, token int64) {
	if !leading {
		SchedulerLeader.Set(0)
		return
	}
	SchedulerLeader.Set(1)
	SchedulerFencingToken.Set(float64(token))
}

// SchedulerRun counts one enqueue of job's bucket with its outcome; a
// bucket that is now in asynq (enqueued or duplicate) becomes the job's
// last run.
func SchedulerRun(job, outcome string, bucket time.Time) {
	SchedulerRuns.WithLabelValues(job, outcome).Inc()
	if outcome != SchedulerError {
		SchedulerLastRun.WithLabelValues(job).Set(float64(bucket.Unix()))
	}
}
