package tasks

import (
	"time"

	"github.com/hibiken/asynq"
)

// TypeCleanupTables removes abandoned tables from Redis: waiting tables
// with no person seated and finished tables, unchanged for longer than the
// idle limit (worker.CleanupHandler, redisstore.Store.CleanupTables).
const TypeCleanupTables = "maintenance:cleanup-tables"

// NewCleanupTablesTask builds the table cleanup task (no payload). It is
// scheduled every 10 min with a TaskID per time bucket (added by the
// scheduler), and a run twice in a row does no harm (the second finds
// nothing more to remove).
func NewCleanupTablesTask() *asynq.Task {
	return asynq.NewTask(TypeCleanupTables, nil, asynq.Queue(QueueMaintenance), asynq.MaxRetry(2),
		asynq.Timeout(2*time.Minute))
}
