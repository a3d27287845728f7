package worker

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
)

// TrimKeep is how long acknowledged actions stay in their stream: a trim
// never takes what a reader was just told had been applied.
const TrimKeep = 10 * time.Second

// TrimHandler runs tasks.TypeTrimActions.
type TrimHandler struct {
	Store interface {
		TrimActions(ctx context.Context, group string, keep time.Duration) (int64, error)
	}
	Group string
	Log   *slog.Logger
}

// ProcessTask trims the action streams; Redis errors are retried.
func (h *TrimHandler) ProcessTask(ctx context.Context, _ *asynq.Task) error {
	n, err := h.Store.TrimActions(ctx, h.Group, TrimKeep)
	if err != nil {
		return fmt.Errorf("trim actions: %w", err)
	}
	if n > 0 {
		h.Log.Debug("trimmed action streams", "deleted", n)
	}
	return nil
}
