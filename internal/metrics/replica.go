package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

var (
	// PostgresReads counts the reads that may be stale (history, stats,
	// leaderboards, the dashboard, replay verification) by the pool that
	// served them: replica, or primary (no replica configured, or it is down
	// or lagging).
	PostgresReads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hokm_postgres_stale_reads_total", Help: "Reads that may be stale, by the pool that served them (replica, primary).",
	}, []string{"pool"})
	// ReplicaFallbacks counts reads the replica failed that were run again
	// on the primary.
	ReplicaFallbacks = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hokm_postgres_replica_fallbacks_total", Help: "Reads the PostgreSQL read replica failed (down, shutting down, recovery conflict) that were run again on the primary.",
	})
)

func init() {
	Registry().MustRegister(PostgresReads, ReplicaFallbacks)
}

// RegisterReplica adds the read replica's gauges, read from its router at
// scrape time: hokm_postgres_replica_usable (1 while the reads that may lag
// go to the replica) and hokm_postgres_replica_lag_seconds (its lag at the
// last check). Only a process with a replica has them, so an alert on them
// never fires where there is none.
func RegisterReplica(usable func() bool, lag func() time.Duration) {
	Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "hokm_postgres_replica_usable", Help: "1 while reads that may be stale go to the PostgreSQL read replica (it answers and lags within HOKM_DATABASE_REPLICA_MAX_LAG).",
	}, func() float64 {
		if usable() {
			return 1
		}
		return 0
	}))
	Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "hokm_postgres_replica_lag_seconds", Help: "How far the PostgreSQL read replica's replay was behind the primary at the last check.",
	}, func() float64 { return lag().Seconds() }))
}
