package history_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hokm-project/hokm/history"
	"github.com/hokm-project/hokm/stats"
	"github.com/hokm-project/hokm/store/redisstore"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hokm-project/hokm/internal/metrics"
	"github.com/hokm-project/hokm/internal/testenv"
)

// GET /api/leaderboards/{period}: a miss computes in PostgreSQL and
// snapshots into Redis; the next request is served from the snapshot.
func TestLeaderboardEndpoint(t *testing.T) {
	e := newEnv(t)
	m := match(t, 8, [2]string{"lb-a", "lb-b"}, 0)        // team 0 (lb-a) wins
	end := time.Date(2026, 3, 20, 20, 31, 0, 0, time.UTC) // Saturday 00:01 in Tehran
	d := m.Ended - m.Started
	m.Ended, m.Started = end.UnixMilli(), end.UnixMilli()-d
	e.persist(m)
	loc, err := time.LoadLocation("Asia/Tehran")
	if err != nil {
		t.Fatal(err)
	}
	l := &history.Leaderboards{Store: e.pg, Cache: e.sessions, Location: loc, WeekStart: time.Saturday,
		TTL: redisstore.LeaderboardTTL, Now: func() time.Time { return end.Add(time.Hour) },
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	mux := http.NewServeMux()
	r := l.Route()
	mux.Handle(r.Pattern, r.Handler)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e.srv = srv

	hits := testutil.ToFloat64(metrics.CacheRequests.WithLabelValues("leaderboard", "hit"))
	misses := testutil.ToFloat64(metrics.CacheRequests.WithLabelValues("leaderboard", "miss"))
	var got history.LeaderboardJSON
	e.get("/api/leaderboards/daily", "", http.StatusOK, &got)
	if got.Cached || got.Bucket != "2026-03-21" || got.TimeZone != "Asia/Tehran" || len(got.Entries) != 2 ||
		got.Entries[0].PlayerID != "lb-a" || got.Entries[0].Wins != 1 || got.Entries[1].Wins != 0 {
		t.Fatalf("first daily: %+v", got)
	}
	var again history.LeaderboardJSON
	e.get("/api/leaderboards/daily", "", http.StatusOK, &again)
	if !again.Cached || len(again.Entries) != 2 || again.Entries[0] != got.Entries[0] {
		t.Fatalf("second daily: %+v", again)
	}
	dh := testutil.ToFloat64(metrics.CacheRequests.WithLabelValues("leaderboard", "hit")) - hits
	dm := testutil.ToFloat64(metrics.CacheRequests.WithLabelValues("leaderboard", "miss")) - misses
	if dh != 1 || dm != 1 {
		t.Fatalf("cache metric moved by %v hits and %v misses, want 1 and 1", dh, dm)
	}
	// The day before in Tehran (the match ended two minutes after midnight) is empty.
	var fri history.LeaderboardJSON
	e.get("/api/leaderboards/daily?bucket=2026-03-20", "", http.StatusOK, &fri)
	if len(fri.Entries) != 0 || fri.Bucket != "2026-03-20" {
		t.Fatalf("friday: %+v", fri)
	}
	e.get("/api/leaderboards/daily?bucket=2026-03-20", "", http.StatusOK, &fri)
	if !fri.Cached {
		t.Error("an empty board was not snapshotted")
	}
	var week history.LeaderboardJSON
	e.get("/api/leaderboards/weekly", "", http.StatusOK, &week)
	if week.Bucket != "2026-03-21" || len(week.Entries) != 2 {
		t.Fatalf("weekly: %+v", week)
	}
	// All time reads player_stats: empty until the recompute job ran.
	var all history.LeaderboardJSON
	e.get("/api/leaderboards/alltime", "", http.StatusOK, &all)
	if all.Bucket != "all" || len(all.Entries) != 0 {
		t.Fatalf("alltime: %+v", all)
	}
	if _, ok, err := e.sessions.Leaderboard(e.ctx, stats.BucketOf(stats.Weekly, end, loc, time.Saturday)); !ok || err != nil {
		t.Errorf("weekly snapshot missing: %v", err)
	}
	e.get("/api/leaderboards/monthly", "", http.StatusNotFound, nil)
	e.get("/api/leaderboards/daily?bucket=yesterday", "", http.StatusBadRequest, nil)
}

// TestLeaderboardBucketWindow (finding 13): only buckets that can have
// data are served — from Days days back to the current one. A bucket in
// the future or before the window is 404 without a query or a snapshot,
// so no anonymous caller can make one per date from year 1 to 9999.
func TestLeaderboardBucketWindow(t *testing.T) {
	e := newEnv(t)
	now := time.Date(2026, 3, 21, 12, 0, 0, 0, time.UTC)
	store := &countingBoards{LeaderboardStore: e.pg}
	l := &history.Leaderboards{Store: store, Cache: e.sessions, Location: time.UTC, WeekStart: time.Saturday,
		TTL: redisstore.LeaderboardTTL, Days: 30, Now: func() time.Time { return now },
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	mux := http.NewServeMux()
	r := l.Route()
	mux.Handle(r.Pattern, r.Handler)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e.srv = srv

	for _, q := range []string{
		"daily?bucket=0001-01-01", "daily?bucket=9999-12-31", "daily?bucket=2026-03-22", // tomorrow
		"daily?bucket=2026-02-18", // 31 days back
		"weekly?bucket=2026-03-28", "weekly?bucket=2025-01-04",
	} {
		e.get("/api/leaderboards/"+q, "", http.StatusNotFound, nil)
	}
	if store.n != 0 {
		t.Fatalf("%d leaderboard queries ran for buckets outside the window", store.n)
	}
	if keys := testenv.Keys(t, e.sessions.Client(), e.sessions.Keys().Leaderboard("*", "*")); len(keys) != 0 {
		t.Fatalf("snapshots stored for refused buckets: %v", keys)
	}
	for _, q := range []string{"daily?bucket=2026-03-21", "daily?bucket=2026-02-20", "weekly?bucket=2026-03-21",
		"weekly?bucket=2026-02-14", "alltime?bucket=0001-01-01", "daily"} {
		e.get("/api/leaderboards/"+q, "", http.StatusOK, nil)
	}
	if store.n != 5 { // "daily" is today's bucket, snapshotted by the first request
		t.Fatalf("%d queries for 5 buckets in the window", store.n)
	}
}

type countingBoards struct {
	history.LeaderboardStore
	n int
}

func (c *countingBoards) Leaderboard(ctx context.Context, b stats.Bucket, limit int) ([]stats.Entry, error) {
	c.n++
	return c.LeaderboardStore.Leaderboard(ctx, b, limit)
}
