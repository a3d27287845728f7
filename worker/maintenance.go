package worker

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

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

// PruneHandler runs a retention task (tasks.TypePruneAudit,
// tasks.TypePruneCheckpoints): Prune deletes the rows older than
// Retention (0: everything is kept, forever).
type PruneHandler struct {
	What      string // the rows, for logs and errors: "audit log"
	Prune     func(ctx context.Context, before time.Time) (int64, error)
	Retention time.Duration
	Pruned    prometheus.Counter // counts the rows deleted
	Log       *slog.Logger
}

// ProcessTask deletes the rows older than the retention; a PostgreSQL
// error is retried (what was deleted stays deleted).
func (h *PruneHandler) ProcessTask(ctx context.Context, _ *asynq.Task) error {
	if h.Retention <= 0 {
		return nil
	}
	n, err := h.Prune(ctx, time.Now().Add(-h.Retention))
	h.Pruned.Add(float64(n))
	if err != nil {
		return fmt.Errorf("prune %s: %w", h.What, err)
	}
	if n > 0 {
		h.Log.Info("pruned the "+h.What, "deleted", n, "retention", h.Retention)
	}
	return nil
}

// PartitionsAhead is how many months past the current one the partitions
// job keeps made: a persist never waits for one (it makes a missing month
// itself, but a month made ahead costs it nothing).
const PartitionsAhead = 3

// PartitionsHandler runs tasks.TypePartitions: the monthly partitions of
// the match tables and the audit log exist from this month to
// PartitionsAhead months on, and the match months that ended more than
// RetentionMonths ago (0: none, keep everything) are detached — kept as
// tables of their own for the operator to archive and drop
// (docs/operations.md, "Partitions and retention").
type PartitionsHandler struct {
	Store interface {
		EnsurePartitions(ctx context.Context, first, last time.Time) (int, error)
		DetachMatchMonths(ctx context.Context, before time.Time) ([]string, error)
	}
	RetentionMonths int
	Log             *slog.Logger
	Now             func() time.Time // nil: time.Now
}

// ProcessTask makes the coming months and detaches the expired ones; a
// PostgreSQL error is retried (what was done stays done).
func (h *PartitionsHandler) ProcessTask(ctx context.Context, _ *asynq.Task) error {
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	t := now().UTC()
	month := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC) // months are counted from the first
	last := month.AddDate(0, PartitionsAhead, 0)
	made, err := h.Store.EnsurePartitions(ctx, month, last)
	metrics.PartitionsCreated.Add(float64(made))
	if err != nil {
		return fmt.Errorf("partitions: %w", err)
	}
	if made > 0 {
		h.Log.Info("created monthly partitions", "created", made, "through", last.Format("2006-01"))
	}
	if h.RetentionMonths <= 0 {
		return nil
	}
	// The months that ended before the first of (this month − retention).
	before := month.AddDate(0, -h.RetentionMonths, 0)
	done, err := h.Store.DetachMatchMonths(ctx, before)
	metrics.PartitionsDetached.Add(float64(len(done)))
	if len(done) > 0 {
		h.Log.Info("detached match months past the retention", "partitions", done, "before", before.Format("2006-01"))
	}
	if err != nil {
		return fmt.Errorf("partitions: %w", err)
	}
	return nil
}
