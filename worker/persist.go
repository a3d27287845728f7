package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/internal/metrics"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/tasks"
)

// PersistHandler runs tasks.TypePersistMatch: it writes a finished match to
// PostgreSQL. Register it on the persist queue's asynq server with
// tasks.RetryDelay as the RetryDelayFunc (see docs/tasks.md).
type PersistHandler struct {
	// Store writes a whole match idempotently: inserted is false when the
	// match was already stored. An error wrapping pgstore.ErrInvalidMatch
	// means the match can never be stored; any other error is retried.
	Store interface {
		PersistMatch(ctx context.Context, m *table.MatchRecord) (inserted bool, err error)
	}
	Log *slog.Logger // nil: slog.Default()
	// Stored, when set, runs after the match is in PostgreSQL (inserted
	// now or before: a retried task runs it again, so it must be
	// idempotent) — the tournament director records a tournament game's
	// result there. Its error fails the attempt, which is retried.
	Stored func(ctx context.Context, m *table.MatchRecord) error
}

// ProcessTask persists the match carried by t and logs whether it was
// inserted or already there. A payload that does not decode, or a match the
// store reports invalid, returns an error wrapping asynq.SkipRetry: the task
// goes to the archive at once. Other store errors (PostgreSQL down, timeouts)
// are returned as they are, and asynq retries them.
func (h *PersistHandler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	p, err := tasks.ParsePersistMatch(t)
	if err != nil {
		return err
	}
	inserted, err := h.Store.PersistMatch(ctx, &p.Match)
	switch {
	case errors.Is(err, pgstore.ErrInvalidMatch):
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	case err != nil:
		return err
	}
	metrics.MatchPersisted(p.Match.Ended, inserted, time.Now())
	if h.Stored != nil {
		if err := h.Stored(ctx, &p.Match); err != nil {
			return err
		}
	}
	h.persistLog().InfoContext(ctx, persistOutcome(inserted), "match_id", p.Match.MatchID,
		"table_id", p.Match.TableID, "hands", len(p.Match.Results), "moves", len(p.Match.Record.Actions),
		"retried", persistRetried(ctx))
	return nil
}

func (h *PersistHandler) persistLog() *slog.Logger {
	if h.Log == nil {
		return slog.Default()
	}
	return h.Log
}

func persistOutcome(inserted bool) string {
	if inserted {
		return "match persisted"
	}
	return "match already persisted"
}

// persistRetried is how many times asynq had retried the task before this
// attempt, or -1 outside an asynq handler.
func persistRetried(ctx context.Context) int {
	n, ok := asynq.GetRetryCount(ctx)
	if !ok {
		return -1
	}
	return n
}
