package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/sysconfig"
	"github.com/hokm-project/hokm/tools/botclient"
)

// try sends msg with a new id and returns the answering frame (ack or error).
func (c *wsClient) try(msg map[string]any) wsFrame {
	c.t.Helper()
	c.nextID++
	id := "r" + strconv.Itoa(c.nextID)
	msg["id"] = id
	b, _ := json.Marshal(msg)
	c.write(b)
	f, _ := c.await(id)
	return f
}

// Maintenance mode, switched on by an operator while a match is being
// played, refuses create_table and quick_match with code maintenance at
// once (no restart), while the running match goes on to its end; switched
// off, tables can be created again.
func TestMaintenanceModeLetsRunningMatchFinish(t *testing.T) {
	t.Parallel()
	s := startServe(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	w := sysconfig.Writer{Store: s.pg, Redis: s.rdb, Prefix: s.cfg.RedisPrefix}

	other := dialWS(t, "other", s.cfg.HTTPAddr)
	other.request(map[string]any{"type": "hello", "name": "late"})

	var (
		once    sync.Once
		refused []string
		errs    []string
	)
	check := func() { // run on the first move: the match is running
		if err := w.Set(ctx, sysconfig.KeyMaintenance, json.RawMessage("true"), "test-operator"); err != nil {
			errs = append(errs, err.Error())
			return
		}
		deadline := time.Now().Add(2 * time.Second)
		for _, typ := range []string{"create_table", "quick_match"} {
			for {
				msg := map[string]any{"type": typ}
				if typ == "create_table" {
					msg["rules"] = map[string]any{"target": 3}
				}
				f := other.try(msg)
				if f.Type == "error" && f.Code == "maintenance" {
					refused = append(refused, typ)
					break
				}
				if time.Now().After(deadline) {
					errs = append(errs, typ+" not refused within 2 s: "+f.raw)
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
	}
	rep, err := botclient.Run(ctx, botclient.Options{
		URL: s.wsURL(), Matches: 1, Parallel: 1, Rules: game.Rules{Target: 3}, Timeout: 45 * time.Second,
		OnMove: func() { once.Do(check) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) > 0 || len(refused) != 2 {
		t.Fatalf("while the match ran: refused %v, errors %v", refused, errs)
	}
	if rep.Completed != 1 || len(rep.Errors) > 0 {
		t.Fatalf("the running match did not finish under maintenance: %+v", rep)
	}
	waitStored(t, s.pg, rep.Results[0].ID, 10*time.Second)

	if err := w.Set(ctx, sysconfig.KeyMaintenance, json.RawMessage("false"), "test-operator"); err != nil {
		t.Fatal(err)
	}
	// a new guest: until maintenance took effect, other's probes may have
	// created tables, up to the limit a host may have waiting
	after := dialWS(t, "after", s.cfg.HTTPAddr)
	after.request(map[string]any{"type": "hello", "name": "after"})
	deadline := time.Now().Add(2 * time.Second)
	for {
		f := after.try(map[string]any{"type": "create_table", "rules": map[string]any{"target": 3}})
		if f.Type == "ack" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("create_table after maintenance off: %s", f.raw)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var n int
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	pool := poolOf(t, s)
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE kind = 'ops_config_set'
		AND detail->>'operator' = 'test-operator' AND detail->>'key' = 'maintenance'`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("audit rows of the operator: %d %v", n, err)
	}
}

// GET /api/dashboard merges Redis and PostgreSQL, is cached (miss then
// hit); GET /api/players/{id}/page shows a player's matches.
func TestDashboardEndpoints(t *testing.T) {
	t.Parallel()
	s := startServe(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	watcher := dialWS(t, "watcher", s.cfg.HTTPAddr)
	watcher.request(map[string]any{"type": "hello", "name": "watcher"})
	var open struct {
		Table string `json:"table"`
	}
	_ = json.Unmarshal(watcher.request(map[string]any{"type": "create_table", "rules": map[string]any{"target": 3},
		"options": map[string]any{"public": true}}), &open)
	// Seated: a waiting table nobody sits at is not listed.
	watcher.request(map[string]any{"type": "sit", "table": open.Table, "seat": 0})
	rep, err := botclient.Run(ctx, botclient.Options{
		URL: s.wsURL(), Matches: 1, Parallel: 1, Rules: game.Rules{Target: 3}, Timeout: 45 * time.Second,
	})
	if err != nil || rep.Completed != 1 {
		t.Fatalf("%+v %v", rep, err)
	}
	m := rep.Results[0]
	waitStored(t, s.pg, m.ID, 10*time.Second)

	get := func(path string) (*http.Response, []byte) {
		t.Helper()
		resp, err := http.Get("http://" + s.cfg.HTTPAddr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var raw json.RawMessage
		if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return resp, raw
	}
	for n := 0; n < 1; { // the gateway reports its sockets within a second
		if n, err = s.store.PlayersOnline(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	resp, body := get("/api/dashboard")
	if resp.StatusCode != 200 || resp.Header.Get("X-Cache") != "miss" {
		t.Fatalf("dashboard: %d %s %s", resp.StatusCode, resp.Header.Get("X-Cache"), body)
	}
	var d struct {
		GeneratedAt   time.Time              `json:"generated_at"`
		PlayersOnline *int                   `json:"players_online"`
		LiveTables    *int                   `json:"live_tables"`
		Tables        []map[string]any       `json:"tables"`
		Recent        []pgstore.RecentResult `json:"recent"`
		Top           []pgstore.TopPlayer    `json:"top"`
	}
	if err := json.Unmarshal(body, &d); err != nil {
		t.Fatal(err)
	}
	if d.GeneratedAt.IsZero() || d.PlayersOnline == nil || *d.PlayersOnline < 1 || d.LiveTables == nil ||
		*d.LiveTables < 1 || len(d.Tables) != *d.LiveTables || len(d.Recent) != 1 || d.Recent[0].MatchID != m.ID ||
		d.Top == nil {
		t.Fatalf("dashboard %s", body)
	}
	found := false
	for _, tb := range d.Tables {
		found = found || tb["id"] == open.Table
	}
	if !found {
		t.Fatalf("the open public table %s is not listed: %s", open.Table, body)
	}
	resp2, body2 := get("/api/dashboard")
	if resp2.Header.Get("X-Cache") != "hit" || string(body2) != string(body) {
		t.Fatalf("second read: %s %s", resp2.Header.Get("X-Cache"), body2)
	}
	if ttl := s.rdb.TTL(ctx, s.cfg.RedisPrefix+":dashboard").Val(); ttl <= 0 || ttl > 15*time.Second {
		t.Fatalf("cache TTL %v", ttl)
	}

	// A player of the bot match: no live table (theirs is not public).
	var player string
	if err := poolOf(t, s).QueryRow(ctx, `SELECT player_id FROM match_seats WHERE match_id = $1 AND player_id IS NOT NULL
		LIMIT 1`, m.ID).Scan(&player); err != nil {
		t.Fatal(err)
	}
	resp, body = get("/api/players/" + player + "/page")
	var p struct {
		Player  map[string]any   `json:"player"`
		Live    *map[string]any  `json:"live"`
		Matches []map[string]any `json:"matches"`
	}
	if err := json.Unmarshal(body, &p); err != nil || resp.StatusCode != 200 || p.Player["id"] != player ||
		len(p.Matches) != 1 || p.Matches[0]["id"] != m.ID || p.Live != nil {
		t.Fatalf("page: %d %s %v", resp.StatusCode, body, err)
	}
	if resp, _ := get("/api/players/nobody/page"); resp.StatusCode != 404 {
		t.Fatalf("unknown player: %d", resp.StatusCode)
	}
}

func poolOf(t *testing.T, s *server) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), s.cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}
