package tasks

import (
	"context"
	"log/slog"

	"github.com/hibiken/asynq"

	"github.com/hokm-project/hokm/internal/panics"
)

// PanicComponent is the component label of hokm_panics_total for tasks.
const PanicComponent = "task"

// Recover is task middleware that turns a panicking handler into a failed
// attempt: the panic is logged with its stack and counted in
// hokm_panics_total{component="task"}, and the task fails with a
// *panics.Error, so asynq retries it and archives it once its retries
// run out (a persist task's archive is recorded as a dead letter), like
// any other failure. asynq v0.26 recovers a panicking handler itself
// (processor.go) but neither counts nor stack-logs it through slog.
func Recover(log *slog.Logger) asynq.MiddlewareFunc {
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) (err error) {
			defer panics.Catch(PanicComponent, log.With("task_type", t.Type()), &err)
			return next.ProcessTask(ctx, t)
		})
	}
}
