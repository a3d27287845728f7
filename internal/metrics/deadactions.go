package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ActionsDeadLettered counts poison actions moved out of the action
// stream into the dead-letter hash (hokm ops actions dlq).
var ActionsDeadLettered = prometheus.NewCounter(prometheus.CounterOpts{
	Name: "hokm_actions_dead_lettered_total",
	Help: "Poison actions moved out of the action stream into the dead-letter hash.",
})

func init() { Registry().MustRegister(ActionsDeadLettered) }

// DeadActionsDesc is hokm_actions_dead_letters.
var DeadActionsDesc = prometheus.NewDesc("hokm_actions_dead_letters",
	"Dead-lettered actions kept, waiting for an operator (hokm ops actions dlq).", nil, nil)

// DeadActions reports hokm_actions_dead_letters at each scrape (one HLEN);
// nothing when Redis cannot be read.
type DeadActions struct {
	count func(context.Context) (int64, error)
}

// NewDeadActions reports what count returns (redisstore's DeadActionCount).
func NewDeadActions(count func(context.Context) (int64, error)) *DeadActions {
	return &DeadActions{count: count}
}

// Describe implements prometheus.Collector.
func (d *DeadActions) Describe(ch chan<- *prometheus.Desc) { ch <- DeadActionsDesc }

// Collect implements prometheus.Collector.
func (d *DeadActions) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if n, err := d.count(ctx); err == nil {
		ch <- prometheus.MustNewConstMetric(DeadActionsDesc, prometheus.GaugeValue, float64(n))
	}
}

// TableCache counts the worker's uses of its table cache: "hit" (an action
// committed from the table as the worker last wrote it, no read), "stale"
// (the copy was behind: read again), "miss" (not cached: read).
var TableCache = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "hokm_worker_table_cache_total",
	Help: "Actions by what the worker's table cache gave: hit (no read), stale (read again), miss (read).",
}, []string{"outcome"})

// CommitBatch observes how many commits a worker sent in one round trip
// (worker.Consumer.handle: the tables of one read, a round at a time).
var CommitBatch = prometheus.NewHistogram(prometheus.HistogramOpts{
	Name:    "hokm_worker_commits_per_round_trip",
	Help:    "Commits a worker sent to Redis in one pipeline (a read of two actions or more, a round of its tables at a time).",
	Buckets: []float64{1, 2, 4, 8, 16},
})

func init() { Registry().MustRegister(TableCache, CommitBatch) }
