package metrics

import "github.com/prometheus/client_golang/prometheus"

var (
	// JournalPending is how many changed tables wait for the next write to
	// PostgreSQL's table journal (grows while PostgreSQL is down).
	JournalPending = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "hokm_journal_pending_tables", Help: "Changed tables not yet written to PostgreSQL's table journal.",
	})
	// JournalWritten counts table rows written to the journal.
	JournalWritten = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hokm_journal_written_total", Help: "Table states written to PostgreSQL's table journal.",
	})
	// JournalPassSeconds is the time of one journal write (Redis read and
	// PostgreSQL upsert): with the interval, the loss bound after Redis loss.
	JournalPassSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "hokm_journal_pass_seconds", Help: "Time of one successful table journal write (read from Redis, upsert into PostgreSQL).",
		Buckets: storeBuckets,
	})
	// RedisRecoveries counts recoveries after a Redis restart or failover,
	// by outcome (done, failed).
	RedisRecoveries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hokm_redis_recoveries_total", Help: "Recoveries of the tables after a Redis restart or failover (new run id), by outcome.",
	}, []string{"outcome"})
	// TablesRestored counts tables rebuilt, by outcome: restored (from the
	// journal), kept (Redis was newer; new epoch), on_demand (a missing table
	// an action or sync named).
	TablesRestored = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hokm_tables_restored_total", Help: "Tables rebuilt after Redis lost or may have lost state, by outcome (restored, kept, on_demand).",
	}, []string{"outcome"})
	// RecoveryPending is 1 while the data of the Redis server now in use has
	// not been checked against the journal (a recovery is due or running).
	RecoveryPending = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "hokm_redis_recovery_pending", Help: "1 while the tables of the current Redis server still need a recovery from PostgreSQL's journal.",
	})
	// Resyncs counts resync frames sent: a client's state replaced because
	// its table's history changed (rebuilt after Redis lost state).
	Resyncs = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hokm_resyncs_total", Help: "Resync frames sent to clients whose table was rebuilt after Redis lost state.",
	})
)

func init() {
	Registry().MustRegister(JournalPending, JournalWritten, JournalPassSeconds, RedisRecoveries, TablesRestored, RecoveryPending, Resyncs)
}
