package history

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/hokm-project/hokm/account/httpauth"
	"github.com/hokm-project/hokm/stats"

	"github.com/hokm-project/hokm/internal/metrics"
)

// LeaderboardStore computes leaderboards in PostgreSQL; *pgstore.Store
// implements it.
type LeaderboardStore interface {
	Leaderboard(ctx context.Context, b stats.Bucket, limit int) ([]stats.Entry, error)
}

// LeaderboardCache holds the Redis snapshots; *redisstore.Store implements
// it.
type LeaderboardCache interface {
	Leaderboard(ctx context.Context, b stats.Bucket) ([]stats.Entry, bool, error)
	SnapshotLeaderboard(ctx context.Context, b stats.Bucket, entries []stats.Entry, ttl time.Duration) error
}

// Leaderboards serves GET /api/leaderboards/{period} (daily, weekly,
// alltime; ?bucket=YYYY-MM-DD for a past day or the week containing it).
// It reads the Redis snapshot and, on a miss, computes the board in
// PostgreSQL and stores the snapshot (cache-aside, TTL).
type Leaderboards struct {
	Store     LeaderboardStore
	Cache     LeaderboardCache
	Location  *time.Location
	WeekStart time.Weekday
	TTL       time.Duration
	Limit     int
	// Days is how far back a ?bucket= may go (HOKM_LEADERBOARD_DAYS; 0:
	// DefaultDays). A bucket ending that many days ago or earlier, or
	// starting after the current one, is 404: it has no data, and is
	// neither computed nor snapshotted.
	Days int
	Now  func() time.Time // nil: time.Now
	Log  *slog.Logger
}

// DefaultDays is Leaderboards.Days when it is 0.
const DefaultDays = 400

// LeaderboardJSON is the answer of GET /api/leaderboards/{period}.
type LeaderboardJSON struct {
	Period   string        `json:"period"`
	Bucket   string        `json:"bucket"` // first local day of the period; "all" for all time
	TimeZone string        `json:"time_zone"`
	Start    *time.Time    `json:"start,omitempty"`
	End      *time.Time    `json:"end,omitempty"`
	Entries  []stats.Entry `json:"entries"`
	Cached   bool          `json:"cached"` // served from the Redis snapshot
}

// Route is the endpoint to mount.
func (l *Leaderboards) Route() Route {
	return Route{Pattern: "GET /api/leaderboards/{period}", Handler: http.HandlerFunc(l.serve)}
}

func (l *Leaderboards) serve(w http.ResponseWriter, r *http.Request) {
	p, err := stats.ParsePeriod(r.PathValue("period"))
	if err != nil {
		httpauth.Error(w, http.StatusNotFound, CodeNotFound, err.Error())
		return
	}
	now := time.Now()
	if l.Now != nil {
		now = l.Now()
	}
	b := stats.BucketOf(p, now, l.Location, l.WeekStart)
	if q := r.URL.Query().Get("bucket"); q != "" {
		cur := b
		if b, err = stats.ParseBucket(p, q, l.Location, l.WeekStart); err != nil {
			httpauth.Error(w, http.StatusBadRequest, CodeBadRequest, err.Error())
			return
		}
		if !l.inWindow(b, cur, now) {
			httpauth.Error(w, http.StatusNotFound, CodeNotFound,
				fmt.Sprintf("no leaderboard for bucket %s: buckets go from %d days ago to the current one", q, l.days()))
			return
		}
	}
	entries, cached, err := l.Get(r.Context(), b)
	if err != nil {
		l.Log.Error("leaderboard", "period", p, "bucket", b.Name, "err", err)
		w.Header().Set("Retry-After", "1")
		httpauth.Error(w, http.StatusServiceUnavailable, "unavailable", "try again shortly")
		return
	}
	out := LeaderboardJSON{Period: string(p), Bucket: b.Name, TimeZone: l.Location.String(), Entries: entries,
		Cached: cached}
	if entries == nil {
		out.Entries = []stats.Entry{}
	}
	if p != stats.AllTime {
		out.Start, out.End = &b.Start, &b.End
	}
	httpauth.JSON(w, http.StatusOK, out)
}

func (l *Leaderboards) days() int {
	if l.Days > 0 {
		return l.Days
	}
	return DefaultDays
}

// inWindow: b is not after the current bucket cur and ends less than
// days() days before now (all time has one bucket, always in).
func (l *Leaderboards) inWindow(b, cur stats.Bucket, now time.Time) bool {
	if b.Period == stats.AllTime {
		return true
	}
	oldest := now.In(l.Location).AddDate(0, 0, -l.days())
	return !b.Start.After(cur.Start) && b.End.After(oldest)
}

// Get is the leaderboard of b: the snapshot when there is one (cached),
// else computed in PostgreSQL (the snapshot job's query) and snapshotted.
// While Redis fails, PostgreSQL answers every request and nothing is
// snapshotted; only a PostgreSQL failure is an error.
func (l *Leaderboards) Get(ctx context.Context, b stats.Bucket) (entries []stats.Entry, cached bool, err error) {
	entries, ok, cacheErr := l.Cache.Leaderboard(ctx, b)
	if cacheErr == nil && ok {
		metrics.CacheHit("leaderboard")
		return entries, true, nil
	}
	metrics.CacheMiss("leaderboard")
	if cacheErr != nil { // an outage is seen in the Redis metrics; this is its expected fallback
		l.Log.Debug("leaderboard cache", "err", cacheErr)
	}
	limit := l.Limit
	if limit <= 0 {
		limit = 100
	}
	entries, err = l.Store.Leaderboard(ctx, b, limit)
	if err != nil {
		return nil, false, err
	}
	if cacheErr != nil { // no point writing to a Redis that just failed
		return entries, false, nil
	}
	ttl := l.TTL
	if ttl <= 0 {
		ttl = 15 * time.Minute
	}
	if err := l.Cache.SnapshotLeaderboard(ctx, b, entries, ttl); err != nil {
		l.Log.Warn("leaderboard snapshot", "err", err)
	}
	return entries, false, nil
}
