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
	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/store/redisstore"
	"github.com/hokm-project/hokm/store/sessionmirror"
)

// With Redis down, history, stats, a match's record and the leaderboards
// are served from PostgreSQL: the bearer token is checked against the
// sessions mirror and the leaderboard is computed by the snapshot job's
// query.
func TestHistoryWhileRedisIsDown(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	m := match(t, 11, [2]string{"alice", "bob"}, 0)
	e.persist(m)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	mirror := sessionmirror.New(e.pg, sessionmirror.Options{Log: quiet})
	mirror.Start()
	t.Cleanup(func() { _ = mirror.Stop(context.Background()) })
	down := redisstore.New(testenv.UnreachableRedis(t), redisstore.Options{Prefix: e.sessions.Keys().Prefix, SessionMirror: mirror})
	tok, err := down.NewSession(e.ctx, redisstore.Session{User: "alice", Name: "alice", Guest: true})
	if err != nil {
		t.Fatalf("session while Redis is down: %v", err)
	}

	h := history.New(e.pg, down, quiet)
	lb := &history.Leaderboards{Store: e.pg, Cache: down, Location: time.UTC, WeekStart: time.Saturday,
		TTL: redisstore.LeaderboardTTL, Now: func() time.Time { return time.UnixMilli(m.Ended) }, Log: quiet}
	mux := http.NewServeMux()
	for _, r := range append(h.Routes(), lb.Route()) {
		mux.Handle(r.Pattern, r.Handler)
	}
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)

	var page history.MatchesPage
	e.get("/api/me/matches", tok, http.StatusOK, &page)
	if len(page.Matches) != 1 || page.Matches[0].ID != m.MatchID {
		t.Fatalf("history while Redis is down: %+v", page)
	}
	var st history.StatsJSON
	e.get("/api/players/alice/stats", "", http.StatusOK, &st)
	if st.MatchesPlayed != 1 {
		t.Fatalf("stats while Redis is down: %+v", st)
	}
	var rec history.RecordJSON
	e.get("/api/matches/"+m.MatchID, tok, http.StatusOK, &rec)
	if rec.ID != m.MatchID {
		t.Fatalf("record while Redis is down: %+v", rec.MatchJSON)
	}
	var board history.LeaderboardJSON
	e.get("/api/leaderboards/daily", "", http.StatusOK, &board)
	if board.Cached || len(board.Entries) != 2 {
		t.Fatalf("daily leaderboard while Redis is down: %+v", board)
	}
	e.get("/api/me/matches", "", http.StatusUnauthorized, nil)
}
