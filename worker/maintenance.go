package worker

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/hokm-project/hokm/internal/metrics"
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

// PruneAuditHandler runs tasks.TypePruneAudit: the audit log keeps
// Retention (0: everything, forever).
type PruneAuditHandler struct {
	Store interface {
		PruneAudit(ctx context.Context, before time.Time) (int64, error)
	}
	Retention time.Duration
	Log       *slog.Logger
}

// ProcessTask deletes the audit rows older than the retention; a
// PostgreSQL error is retried (what was deleted stays deleted).
func (h *PruneAuditHandler) ProcessTask(ctx context.Context, _ *asynq.Task) error {
	if h.Retention <= 0 {
		return nil
	}
	n, err := h.Store.PruneAudit(ctx, time.Now().Add(-h.Retention))
	metrics.AuditPruned.Add(float64(n))
	if err != nil {
		return fmt.Errorf("prune audit log: %w", err)
	}
	if n > 0 {
		h.Log.Info("pruned the audit log", "deleted", n, "retention", h.Retention)
	}
	return nil
}
