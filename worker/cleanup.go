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
	// Journal, when set, is PostgreSQL's table journal: the rows of the
	// removed tables go too (so a later recovery does not bring them back),
	// and so do rows older than MaxAge (their tables expired in Redis).
	Journal interface {
		DeleteLiveTables(ctx context.Context, ids []string) (int64, error)
		PurgeLiveTables(ctx context.Context, before time.Time) (int64, error)
	}
	MaxAge time.Duration // of journal rows; 0: 4 h (the game TTL)
	// Idle is how long a table must be unchanged to be removed; 0 means
	// redisstore.DefaultCleanupIdle (30 min).
	Idle time.Duration
	Log  *slog.Logger
}

// Run removes the abandoned tables once and returns what it did.
func (h *CleanupHandler) Run(ctx context.Context) (redisstore.CleanupResult, error) {
	res, err := h.Store.CleanupTables(ctx, h.Idle)
	metrics.TablesCleaned.Add(float64(res.Removed))
	metrics.TablesUnlisted.Add(float64(res.Unlisted))
	if err != nil {
		return res, fmt.Errorf("cleanup tables: %w", err)
	}
	if res.Removed > 0 || res.Unlisted > 0 {
		h.Log.Info("removed abandoned tables", "removed", res.Removed, "unlisted", res.Unlisted, "changed", res.Changed,
			"scanned", res.Scanned)
	} else {
		h.Log.Debug("no abandoned tables", "scanned", res.Scanned, "changed", res.Changed)
	}
	return res, h.cleanJournal(ctx, res.RemovedIDs)
}

// cleanJournal drops the journal rows of removed and expired tables
// (finished ones whose match is not stored yet stay: see pgstore).
func (h *CleanupHandler) cleanJournal(ctx context.Context, removed []string) error {
	if h.Journal == nil {
		return nil
	}
	if len(removed) > 0 {
		if _, err := h.Journal.DeleteLiveTables(ctx, removed); err != nil {
			return fmt.Errorf("cleanup tables: journal: %w", err)
		}
	}
	maxAge := h.MaxAge
	if maxAge <= 0 {
		maxAge = 4 * time.Hour
	}
	n, err := h.Journal.PurgeLiveTables(ctx, time.Now().Add(-maxAge))
	if err != nil {
		return fmt.Errorf("cleanup tables: journal: %w", err)
	}
	if n > 0 {
		h.Log.Info("dropped journal rows of expired tables", "rows", n)
	}
	return nil
}

// ProcessTask runs the cleanup; Redis errors are retried (the next
// scheduled run does the same work anyway).
func (h *CleanupHandler) ProcessTask(ctx context.Context, _ *asynq.Task) error {
	_, err := h.Run(ctx)
	return err
}
