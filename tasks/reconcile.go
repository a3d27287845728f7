package tasks

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
)

// Reconciliation, replay verification and hand checkpoints.
const (
	// TypeReconcile re-enqueues matches finished in Redis but missing in
	// PostgreSQL (the finished-match ledger).
	TypeReconcile = "maintenance:reconcile"
	// TypeVerifyReplays replays a random sample of stored matches with the
	// engine and compares them with their stored results.
	TypeVerifyReplays = "maintenance:verify-replays"
	// TypePersistCheckpoint writes one hand checkpoint to PostgreSQL when
	// the write-through failed.
	TypePersistCheckpoint = "persist:checkpoint"
)

// NewReconcileTask builds the reconcile job's task (no payload; a second
// run finds nothing more to fix). The scheduler adds a TaskID per time
// bucket.
func NewReconcileTask() *asynq.Task {
	return asynq.NewTask(TypeReconcile, nil, asynq.Queue(QueueMaintenance), asynq.MaxRetry(2),
		asynq.Timeout(2*time.Minute))
}

// NewVerifyReplaysTask builds the replay verification job's task (the
// scheduler adds a TaskID per time bucket).
func NewVerifyReplaysTask() *asynq.Task {
	return asynq.NewTask(TypeVerifyReplays, nil, asynq.Queue(QueueMaintenance), asynq.MaxRetry(1),
		asynq.Timeout(5*time.Minute))
}

// PersistCheckpointVersion is the payload version NewPersistCheckpointTask
// writes.
const PersistCheckpointVersion = 1

// PersistCheckpoint is the payload of a persist:checkpoint task.
type PersistCheckpoint struct {
	V       int             `json:"v"`
	MatchID string          `json:"match_id"`
	HandNo  int             `json:"hand_no"`
	TableID string          `json:"table_id"`
	State   []byte          `json:"state"`
	Results json.RawMessage `json:"results"`
	Score   [2]int          `json:"score"`
}

// PersistCheckpointTaskID is the TaskID of a hand's checkpoint task.
func PersistCheckpointTaskID(matchID string, handNo int) string {
	return TypePersistCheckpoint + ":" + matchID + ":" + strconv.Itoa(handNo)
}

// NewPersistCheckpointTask builds the persist:checkpoint task of p (its V is
// set): queue persist, DefaultMaxRetry retries, TaskID per match and hand,
// 24 h retention.
func NewPersistCheckpointTask(p PersistCheckpoint) (*asynq.Task, error) {
	if p.MatchID == "" {
		return nil, errors.New("tasks: persist:checkpoint: empty match id")
	}
	p.V = PersistCheckpointVersion
	payload, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("tasks: persist:checkpoint payload: %w", err)
	}
	return asynq.NewTask(TypePersistCheckpoint, payload,
		asynq.Queue(QueuePersist),
		asynq.MaxRetry(DefaultMaxRetry),
		asynq.Timeout(PersistTimeout),
		asynq.TaskID(PersistCheckpointTaskID(p.MatchID, p.HandNo)),
		asynq.Retention(PersistRetention),
	), nil
}

// ParsePersistCheckpoint decodes a persist:checkpoint task; a payload that
// will never decode is an error wrapping asynq.SkipRetry.
func ParsePersistCheckpoint(t *asynq.Task) (PersistCheckpoint, error) {
	var p PersistCheckpoint
	if t.Type() != TypePersistCheckpoint {
		return p, fmt.Errorf("tasks: task type %q is not %s: %w", t.Type(), TypePersistCheckpoint, asynq.SkipRetry)
	}
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return p, fmt.Errorf("tasks: persist:checkpoint: decode: %v: %w", err, asynq.SkipRetry)
	}
	if p.V != PersistCheckpointVersion || p.MatchID == "" || len(p.State) == 0 {
		return p, fmt.Errorf("tasks: persist:checkpoint: bad payload (v %d): %w", p.V, asynq.SkipRetry)
	}
	return p, nil
}
