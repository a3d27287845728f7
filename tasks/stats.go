package tasks

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
)

// Stats task types (docs/tasks.md, docs/operations.md "Stats, rating and
// leaderboards"). All run on the default queue and are idempotent per time
// bucket: a re-run computes the same values from the stored matches.
const (
	// TypeStatsRecompute recomputes player_stats (totals and ratings).
	TypeStatsRecompute = "stats:recompute"
	// TypeStatsRollupDay writes daily_activity for one local day.
	TypeStatsRollupDay = "stats:rollup-day"
	// TypeStatsLeaderboards snapshots the current daily, weekly and
	// all-time leaderboards into Redis.
	TypeStatsLeaderboards = "stats:leaderboards"
)

// RollupDay is the payload of TypeStatsRollupDay: the local day
// (YYYY-MM-DD in HOKM_TIMEZONE); empty means "yesterday", resolved by the
// worker in the configured zone (what the scheduler enqueues).
type RollupDay struct {
	V   int    `json:"v"`
	Day string `json:"day,omitempty"`
}

// NewStatsRecomputeTask builds the recompute task (the scheduler adds a
// TaskID per time bucket).
func NewStatsRecomputeTask() *asynq.Task {
	return asynq.NewTask(TypeStatsRecompute, nil, asynq.Queue(QueueDefault), asynq.MaxRetry(3),
		asynq.Timeout(5*time.Minute))
}

// NewStatsLeaderboardsTask builds the leaderboard snapshot task (the
// scheduler adds a TaskID per time bucket).
func NewStatsLeaderboardsTask() *asynq.Task {
	return asynq.NewTask(TypeStatsLeaderboards, nil, asynq.Queue(QueueDefault), asynq.MaxRetry(3),
		asynq.Timeout(2*time.Minute))
}

// NewStatsRollupYesterdayTask is the scheduled rollup: yesterday in the
// worker's zone (the scheduler adds a TaskID per day's bucket).
func NewStatsRollupYesterdayTask() *asynq.Task {
	p, _ := json.Marshal(RollupDay{V: 1})
	return asynq.NewTask(TypeStatsRollupDay, p, asynq.Queue(QueueDefault), asynq.MaxRetry(5),
		asynq.Timeout(5*time.Minute))
}

// NewStatsRollupDayTask rolls up one given day (YYYY-MM-DD); its TaskID
// stats:rollup-day:<day> makes a second enqueue of the same day a no-op
// while asynq keeps the first (1 h retention).
func NewStatsRollupDayTask(day string) (*asynq.Task, error) {
	if _, err := time.Parse(time.DateOnly, day); err != nil {
		return nil, fmt.Errorf("tasks: rollup day %q: want YYYY-MM-DD", day)
	}
	p, err := json.Marshal(RollupDay{V: 1, Day: day})
	if err != nil {
		return nil, err
	}
	return asynq.NewTask(TypeStatsRollupDay, p, asynq.Queue(QueueDefault), asynq.MaxRetry(5),
		asynq.Timeout(5*time.Minute), asynq.TaskID(TypeStatsRollupDay+":"+day), asynq.Retention(time.Hour)), nil
}

// ParseRollupDay decodes a TypeStatsRollupDay payload.
func ParseRollupDay(payload []byte) (RollupDay, error) {
	var p RollupDay
	if len(payload) == 0 {
		return RollupDay{V: 1}, nil
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return p, fmt.Errorf("tasks: rollup payload: %w", err)
	}
	if p.V != 1 {
		return p, fmt.Errorf("tasks: rollup payload version %d", p.V)
	}
	if p.Day != "" {
		if _, err := time.Parse(time.DateOnly, p.Day); err != nil {
			return p, fmt.Errorf("tasks: rollup day %q: want YYYY-MM-DD", p.Day)
		}
	}
	return p, nil
}
