package metrics

import "github.com/prometheus/client_golang/prometheus"

// TablesCleaned counts abandoned tables removed from Redis by the cleanup
// job (maintenance:cleanup-tables).
var TablesCleaned = prometheus.NewCounter(prometheus.CounterOpts{
	Name: "hokm_tables_cleaned_total", Help: "Abandoned tables (idle waiting tables without people, idle finished tables) removed from Redis.",
})

func init() { Registry().MustRegister(TablesCleaned) }

// AuditPruned counts audit log rows deleted by the retention job
// (maintenance:prune-audit).
var AuditPruned = prometheus.NewCounter(prometheus.CounterOpts{
	Name: "hokm_audit_pruned_total", Help: "Audit log rows older than the retention deleted by maintenance:prune-audit.",
})

// CheckpointsPruned counts hand checkpoints deleted by their retention job
// (maintenance:prune-checkpoints).
var CheckpointsPruned = prometheus.NewCounter(prometheus.CounterOpts{
	Name: "hokm_checkpoints_pruned_total", Help: "Hand checkpoints older than the retention deleted by maintenance:prune-checkpoints.",
})

func init() { Registry().MustRegister(AuditPruned, CheckpointsPruned) }

// TablesUnlisted counts stale waiting tables (public, people seated,
// unchanged for 15 min) the cleanup job took out of the lobby.
var TablesUnlisted = prometheus.NewCounter(prometheus.CounterOpts{
	Name: "hokm_tables_unlisted_total", Help: "Stale waiting tables (unchanged for 15 min with people seated) taken out of the lobby.",
})

func init() { Registry().MustRegister(TablesUnlisted) }

// PartitionsCreated and PartitionsDetached count the monthly partitions the
// partitions job made ahead and the match months it detached past the
// retention (maintenance:partitions).
var (
	PartitionsCreated = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hokm_partitions_created_total", Help: "Monthly partitions of the match tables and the audit log created ahead by maintenance:partitions.",
	})
	PartitionsDetached = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hokm_partitions_detached_total", Help: "Monthly partitions of the match tables detached past HOKM_MATCH_RETENTION_MONTHS by maintenance:partitions.",
	})
)

func init() { Registry().MustRegister(PartitionsCreated, PartitionsDetached) }
