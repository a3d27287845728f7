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

func init() { Registry().MustRegister(AuditPruned) }
