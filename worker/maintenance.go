package worker

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/hibiken/asynq"
)

// TrimHandler runs tasks.TypeTrimActions.
type TrimHandler struct {
	Store interface {
		TrimActions(ctx context.Context, group string) (int64, error)
	}
	Group string
	Log   *slog.Logger
}

// ProcessTask trims the action streams; Redis errors are retried.
func (h *TrimHandler) ProcessTask(ctx context.Context, _ *asynq.Task) error {
	n, err := h.Store.TrimActions(ctx, h.Group)
	if err != nil {
		return fmt.Errorf("trim actions: %w", err)
	}
	if n > 0 {
		h.Log.Debug("trimmed action streams", "deleted", n)
	}
	return nil
}
