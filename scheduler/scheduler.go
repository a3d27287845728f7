// Package scheduler registers the periodic jobs (cron specs and the tasks
// they enqueue) with asynq's Scheduler. The work itself runs in the workers;
// every job is idempotent per time bucket, so a second scheduler or a re-run
// does no harm. Run one scheduler: asynq's has no leader election.
package scheduler

import (
	"fmt"

	"github.com/hibiken/asynq"

	"github.com/hokm-project/hokm/tasks"
)

// Job is one periodic task.
type Job struct {
	Name string // for logs and docs
	Spec string // cron spec or "@every <duration>"
	Task func() *asynq.Task
}

// Jobs is the schedule. docs/tasks.md lists it for operators.
func Jobs() []Job {
	return []Job{
		{Name: "trim acknowledged actions", Spec: "@every 1m", Task: tasks.NewTrimActionsTask},
		{Name: "recompute player stats and ratings", Spec: "@every 5m", Task: tasks.NewStatsRecomputeTask},
		{Name: "snapshot leaderboards into Redis", Spec: "@every 5m", Task: tasks.NewStatsLeaderboardsTask},
		{Name: "roll up yesterday's activity", Spec: "5 0 * * *", Task: tasks.NewStatsRollupYesterdayTask},
		{Name: "reconcile finished matches", Spec: "@every 5m", Task: tasks.NewReconcileTask},
		{Name: "verify replays of stored matches", Spec: "@every 1h", Task: tasks.NewVerifyReplaysTask},
		{Name: "clean up abandoned tables", Spec: "@every 10m", Task: tasks.NewCleanupTablesTask},
	}
}

// registrar is the part of *asynq.Scheduler that Register needs.
type registrar interface {
	Register(cronspec string, task *asynq.Task, opts ...asynq.Option) (string, error)
}

// Register adds every job to s.
func Register(s registrar, jobs []Job) error {
	for _, j := range jobs {
		if _, err := s.Register(j.Spec, j.Task()); err != nil {
			return fmt.Errorf("schedule %q (%s): %w", j.Name, j.Spec, err)
		}
	}
	return nil
}
