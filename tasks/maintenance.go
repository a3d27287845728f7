package tasks

import (
	"time"

	"github.com/hibiken/asynq"
)

// Maintenance task types, scheduled by the scheduler and run by workers.
const (
	// TypeTrimActions deletes acknowledged entries from the action streams.
	TypeTrimActions = "maintenance:trim-actions"
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
