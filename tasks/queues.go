package tasks

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// Queues are every queue the task servers read, by priority weight.
var Queues = map[string]int{QueuePersist: 6, QueueDefault: 3, QueueMaintenance: 1}

// allQueuesKey is asynq's own set of known queues (its base.AllQueues):
// asynq adds a queue there at its first enqueue, and asynqmon lists only
// what it holds.
const allQueuesKey = "asynq:queues"

// RegisterQueues makes every queue known to asynq before anything was
// enqueued, so that an operator sees all of them in asynqmon at once (an
// empty queue shows with zero tasks). Idempotent.
func RegisterQueues(ctx context.Context, rdb redis.UniversalClient) error {
	names := make([]any, 0, len(Queues))
	for q := range Queues {
		names = append(names, q)
	}
	if err := rdb.SAdd(ctx, allQueuesKey, names...).Err(); err != nil {
		return fmt.Errorf("register asynq queues: %w", err)
	}
	return nil
}
