package tasks

import (
	"time"

	"github.com/hibiken/asynq"
)

// Maintenance task types, scheduled by the scheduler and run by workers.
const (
	// TypeTrimActions deletes acknowledged entries from the action streams.
	TypeTrimActions = "maintenance:trim-actions"
	// TypePruneAudit deletes audit log rows older than the retention.
	TypePruneAudit = "maintenance:prune-audit"
	// TypePruneCheckpoints deletes hand checkpoints older than the retention.
	TypePruneCheckpoints = "maintenance:prune-checkpoints"
	// TypePartitions creates the coming months' partitions and detaches the
	// match months past the retention.
	TypePartitions = "maintenance:partitions"
)

// QueueMaintenance holds low-priority periodic work.
const QueueMaintenance = "maintenance"

// NewTrimActionsTask builds the stream trim task. It has no payload; a run
// twice in a row does no harm (the second finds nothing to trim). The
// scheduler adds a TaskID per time bucket, which refuses a second enqueue
// of the same bucket.
func NewTrimActionsTask() *asynq.Task {
	return asynq.NewTask(TypeTrimActions, nil, asynq.Queue(QueueMaintenance), asynq.MaxRetry(2),
		asynq.Timeout(time.Minute))
}

// NewPruneAuditTask builds the audit log retention task (no payload; a
// second run finds nothing more to delete).
func NewPruneAuditTask() *asynq.Task {
	return asynq.NewTask(TypePruneAudit, nil, asynq.Queue(QueueMaintenance), asynq.MaxRetry(2),
		asynq.Timeout(10*time.Minute))
}

// NewPruneCheckpointsTask builds the hand checkpoints' retention task (no
// payload; a second run finds nothing more to delete).
func NewPruneCheckpointsTask() *asynq.Task {
	return asynq.NewTask(TypePruneCheckpoints, nil, asynq.Queue(QueueMaintenance), asynq.MaxRetry(2),
		asynq.Timeout(10*time.Minute))
}

// NewPartitionsTask builds the monthly partitions task (no payload; a
// second run finds the months made and the old ones detached).
func NewPartitionsTask() *asynq.Task {
	return asynq.NewTask(TypePartitions, nil, asynq.Queue(QueueMaintenance), asynq.MaxRetry(3),
		asynq.Timeout(5*time.Minute))
}
