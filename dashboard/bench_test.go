package dashboard_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/hokm-project/hokm/dashboard"
	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/gateway/protocol"
	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/migrations"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/pgstore/pgstoretest"
	"github.com/hokm-project/hokm/store/redisstore"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hokm-project/hokm/internal/metrics"
)

// env is a dashboard over real Redis and PostgreSQL with seeded data:
// matches finished matches of players (a few dozen distinct ones) and
// tables public tables in the lobby.
type env struct {
	srv   *httptest.Server
	rs    *redisstore.Store
	pg    *pgstore.Store
	users []string
}

func setup(tb testing.TB, matches, tables int) *env {
	tb.Helper()
	pool, dsn := testenv.Pool(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := migrations.Up(ctx, dsn); err != nil {
		tb.Fatal(err)
	}
	rdb, prefix := testenv.Redis(tb, 0, false)
	rs := redisstore.New(rdb, redisstore.Options{Prefix: prefix})
	pg := pgstore.New(pool)
	e := &env{rs: rs, pg: pg}
	for i := range 40 {
		e.users = append(e.users, fmt.Sprintf("u%02d", i))
	}
	for i := range matches {
		g := pgstoretest.Game{Seed: uint64(i + 1), Rules: game.Rules{Target: 3},
			Guests: [2]string{e.users[i%len(e.users)], e.users[(i*7+3)%len(e.users)]}}
		if g.Guests[0] == g.Guests[1] {
			g.Guests[1] = e.users[(i+1)%len(e.users)]
		}
		m := pgstoretest.Play(g)
		if ok, err := pg.PersistMatch(ctx, &m); err != nil || !ok {
			tb.Fatalf("persist: %v %v", ok, err)
		}
	}
	if _, err := pg.RecomputePlayerStats(ctx, time.UTC); err != nil { // (the stats job: the top players read its rows)
		tb.Fatal(err)
	}
	for i := range tables {
		t, err := table.New(fmt.Sprintf("tb%04d", i), game.Rules{Target: 3}, "host", time.Now().UnixMilli())
		if err != nil {
			tb.Fatal(err)
		}
		t.Options.Public = true
		if i%2 == 0 {
			t.Seats[0] = &table.Player{ID: e.users[i%len(e.users)], Name: "Guest A"}
		}
		if err := rs.CreateTable(ctx, &t); err != nil {
			tb.Fatal(err)
		}
		sum, _ := json.Marshal(protocol.NewLobbyTable(&t.Meta))
		if err := rs.IndexTable(ctx, t.ID, sum, ""); err != nil {
			tb.Fatal(err)
		}
	}
	rdb.HSet(ctx, prefix+":online", "gw1", fmt.Sprintf("37:%d", time.Now().Add(time.Hour).UnixMilli()))
	h := dashboard.New(pg, rs, slog.New(slog.NewTextHandler(io.Discard, nil)))
	mux := http.NewServeMux()
	for _, r := range h.Routes() {
		mux.Handle(r.Pattern, r.Handler)
	}
	e.srv = httptest.NewServer(mux)
	tb.Cleanup(e.srv.Close)
	return e
}

func (e *env) get(tb testing.TB, path string) (*http.Response, []byte) {
	tb.Helper()
	resp, err := e.srv.Client().Get(e.srv.URL + path)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp, b
}

func TestDashboardShapeAndCache(t *testing.T) {
	e := setup(t, 30, 12)
	ctx := context.Background()
	hits, misses := cacheCount("dashboard", "hit"), cacheCount("dashboard", "miss")
	resp, b := e.get(t, "/api/dashboard")
	if resp.StatusCode != 200 || resp.Header.Get("X-Cache") != "miss" {
		t.Fatalf("%d %s %s", resp.StatusCode, resp.Header.Get("X-Cache"), b)
	}
	var d dashboard.Dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	if d.PlayersOnline != 37 || d.LiveTables != 12 || len(d.Tables) != 12 || len(d.Recent) != dashboard.RecentLimit ||
		len(d.Top) != dashboard.TopLimit || d.Tables[0].Created < d.Tables[11].Created {
		t.Fatalf("dashboard %s", b)
	}
	var keys map[string]json.RawMessage
	_ = json.Unmarshal(b, &keys)
	for _, k := range []string{"generated_at", "players_online", "live_tables", "tables", "recent", "top"} {
		if _, ok := keys[k]; !ok {
			t.Fatalf("no %q in %s", k, b)
		}
	}
	// A new table is not seen until the cached copy expires (15 s) or is
	// dropped.
	sum, _ := json.Marshal(protocol.LobbyTable{ID: "zz", Created: time.Now().UnixMilli()})
	e.rs.IndexTable(ctx, "zz", sum, "")
	resp, b2 := e.get(t, "/api/dashboard")
	if resp.Header.Get("X-Cache") != "hit" || string(b2) != string(b) {
		t.Fatalf("second read %s", resp.Header.Get("X-Cache"))
	}
	if dh, dm := cacheCount("dashboard", "hit")-hits, cacheCount("dashboard", "miss")-misses; dh != 1 || dm != 1 {
		t.Fatalf("cache metric moved by %v hits and %v misses, want 1 and 1", dh, dm)
	}
	ttl := e.rs.Client().TTL(ctx, e.rs.Keys().DashboardCache()).Val()
	if ttl <= 0 || ttl > dashboard.CacheTTL {
		t.Fatalf("ttl %v", ttl)
	}
	e.rs.Client().Del(ctx, e.rs.Keys().DashboardCache())
	if resp, b = e.get(t, "/api/dashboard"); resp.Header.Get("X-Cache") != "miss" {
		t.Fatal("not rebuilt")
	}
	_ = json.Unmarshal(b, &d)
	if d.LiveTables != 13 {
		t.Fatalf("after expiry: %d tables", d.LiveTables)
	}

	// u00 sits at table tb0000 (seat 0, public) and has finished matches.
	resp, b = e.get(t, "/api/players/u00/page")
	var p dashboard.Page
	if err := json.Unmarshal(b, &p); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	if p.Player.ID != "u00" || p.Player.MatchesPlayed == 0 || len(p.Matches) == 0 || p.Live == nil ||
		p.Live.ID != "tb0000" || p.LiveAt == nil || *p.LiveAt != 0 {
		t.Fatalf("page %s", b)
	}
	// u01 sits nowhere (the odd tables are empty).
	_, b = e.get(t, "/api/players/u01/page")
	if err := json.Unmarshal(b, &p); err != nil || p.Live != nil || len(p.Matches) == 0 {
		t.Fatalf("page %s", b)
	}
	if resp, _ := e.get(t, "/api/players/nobody/page"); resp.StatusCode != 404 {
		t.Fatalf("unknown player: %d", resp.StatusCode)
	}
}

// BenchmarkDashboard measures GET /api/dashboard over HTTP against real
// Redis and PostgreSQL seeded with 500 finished matches of 40 players and
// 200 public live tables: cold (the cached copy dropped before each
// request: two Redis reads and two PostgreSQL queries) and warm (served
// from the Redis cache). p50/p99 are reported in ms.
func BenchmarkDashboard(b *testing.B) {
	e := setup(b, 500, 200)
	key := e.rs.Keys().DashboardCache()
	rdb := e.rs.Client()
	b.Run("page", func(b *testing.B) { // GET /api/players/{id}/page: not cached
		var lat []time.Duration
		i := 0
		for b.Loop() {
			start := time.Now()
			resp, _ := e.get(b, "/api/players/"+e.users[i%len(e.users)]+"/page")
			lat = append(lat, time.Since(start))
			if resp.StatusCode != 200 {
				b.Fatal(resp.StatusCode)
			}
			i++
		}
		report(b, lat)
	})
	for _, mode := range []string{"cold", "warm"} {
		b.Run(mode, func(b *testing.B) {
			ctx := context.Background()
			var lat []time.Duration
			e.get(b, "/api/dashboard") // connections and plans warmed up
			b.ResetTimer()
			for b.Loop() {
				if mode == "cold" {
					b.StopTimer()
					rdb.Del(ctx, key)
					b.StartTimer()
				}
				start := time.Now()
				resp, _ := e.get(b, "/api/dashboard")
				lat = append(lat, time.Since(start))
				// warm: a rare miss when the copy expires (15 s) is the cache-aside at work
				if resp.StatusCode != 200 || (mode == "cold" && resp.Header.Get("X-Cache") != "miss") {
					b.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("X-Cache"))
				}
			}
			report(b, lat)
		})
	}
}

// report adds the p50 and p99 of lat, in ms.
func report(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

// cacheCount reads the cache lookup counter (other tests in the package
// may move it too, so callers compare deltas around their own requests).
func cacheCount(cache, result string) float64 {
	return testutil.ToFloat64(metrics.CacheRequests.WithLabelValues(cache, result))
}
