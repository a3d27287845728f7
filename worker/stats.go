package worker

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/hokm-project/hokm/stats"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/tasks"
)

// LeaderboardLimit is how many players a leaderboard snapshot holds.
const LeaderboardLimit = 100

// StatsStore is the PostgreSQL side of the stats tasks; *pgstore.Store
// implements it.
type StatsStore interface {
	RecomputePlayerStats(ctx context.Context, loc *time.Location) (int64, error)
	RollupDay(ctx context.Context, day time.Time, loc *time.Location) (pgstore.DailyActivity, error)
	Leaderboard(ctx context.Context, b stats.Bucket, limit int) ([]stats.Entry, error)
}

// LeaderboardCache is where leaderboards are snapshotted; *redisstore.Store
// implements it.
type LeaderboardCache interface {
	SnapshotLeaderboard(ctx context.Context, b stats.Bucket, entries []stats.Entry, ttl time.Duration) error
}

// StatsHandler runs tasks.TypeStatsRecompute, TypeStatsRollupDay and
// TypeStatsLeaderboards. Days and weeks are those of Location, weeks
// starting on WeekStart.
type StatsHandler struct {
	Store     StatsStore
	Cache     LeaderboardCache
	Location  *time.Location
	WeekStart time.Weekday
	TTL       time.Duration    // snapshot lifetime (redisstore.LeaderboardTTL)
	Now       func() time.Time // nil: time.Now
	Log       *slog.Logger
}

func (h *StatsHandler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// ProcessTask dispatches on the task type; store errors are retried.
func (h *StatsHandler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	switch t.Type() {
	case tasks.TypeStatsRecompute:
		n, err := h.Store.RecomputePlayerStats(ctx, h.Location)
		if err != nil {
			return err
		}
		h.Log.Debug("player stats recomputed", "changed", n)
		return nil
	case tasks.TypeStatsRollupDay:
		p, err := tasks.ParseRollupDay(t.Payload())
		if err != nil {
			return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
		}
		day := h.now().In(h.Location).AddDate(0, 0, -1) // yesterday
		if p.Day != "" {
			d, _ := time.ParseInLocation(time.DateOnly, p.Day, h.Location)
			day = d.Add(12 * time.Hour)
		}
		a, err := h.Store.RollupDay(ctx, day, h.Location)
		if err != nil {
			return err
		}
		h.Log.Info("daily activity rolled up", "day", a.Day, "matches", a.Matches, "players", a.Players)
		return nil
	case tasks.TypeStatsLeaderboards:
		return h.Snapshot(ctx, h.now())
	}
	return fmt.Errorf("stats handler: unexpected task %q: %w", t.Type(), asynq.SkipRetry)
}

// Snapshot computes the daily, weekly and all-time leaderboards of the
// buckets containing now and replaces their Redis snapshots.
func (h *StatsHandler) Snapshot(ctx context.Context, now time.Time) error {
	ttl := h.TTL
	if ttl <= 0 {
		ttl = 15 * time.Minute
	}
	for _, p := range []stats.Period{stats.Daily, stats.Weekly, stats.AllTime} {
		b := stats.BucketOf(p, now, h.Location, h.WeekStart)
		es, err := h.Store.Leaderboard(ctx, b, LeaderboardLimit)
		if err != nil {
			return err
		}
		if err := h.Cache.SnapshotLeaderboard(ctx, b, es, ttl); err != nil {
			return err
		}
	}
	return nil
}
