package worker

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/hokm-project/hokm/internal/metrics"
	"github.com/hokm-project/hokm/store/redisstore"
)

// CleanupHandler runs tasks.TypeCleanupTables.
type CleanupHandler struct {
	Store interface {
		CleanupTables(ctx context.Context, idle time.Duration) (redisstore.CleanupResult, error)
	}
	// Idle is how long a table must be unchanged to be removed; 0 means
	// redisstore.DefaultCleanupIdle (30 min).
	Idle time.Duration
	Log  *slog.Logger
}

// Run removes the abandoned tables once and returns what it did.
func (h *CleanupHandler) Run(ctx context.Context) (redisstore.CleanupResult, error) {
	res, err := h.Store.CleanupTables(ctx, h.Idle)
	metrics.TablesCleaned.Add(float64(res.Removed))
	if err != nil {
		return res, fmt.Errorf("cleanup tables: %w", err)
	}
	if res.Removed > 0 {
		h.Log.Info("removed abandoned tables", "removed", res.Removed, "changed", res.Changed,
			"scanned", res.Scanned)
	} else {
		h.Log.Debug("no abandoned tables", "scanned", res.Scanned, "changed", res.Changed)
	}
	return res, nil
}

// ProcessTask runs the cleanup; Redis errors are retried (the next
// scheduled run does the same work anyway).
func (h *CleanupHandler) ProcessTask(ctx context.Context, _ *asynq.Task) error {
	_, err := h.Run(ctx)
	return err
}
