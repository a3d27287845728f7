package app_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestMetricsEndpoint plays a match on hokm serve and scrapes the ops
// listener: the registry of internal/metrics is served, with the Redis and
// PostgreSQL latencies, moves, sync lag and the scrape-time collectors.
func TestMetricsEndpoint(t *testing.T) {
	// not parallel: it reads process-wide metrics (main_test.go)
	s := startServe(t)
	playStored(t, s)
	// A profile lookup of an unknown player: a miss of the profile cache.
	if resp, err := http.Get("http://" + s.cfg.HTTPAddr + "/api/players/nobody"); err == nil {
		resp.Body.Close()
	}

	want := []string{
		`hokm_moves_applied_total{op="play"}`, "hokm_move_latency_seconds_count",
		`hokm_redis_command_duration_seconds_bucket{command="evalsha"`, "hokm_postgres_query_duration_seconds_bucket",
		"hokm_sync_lag_seconds_count", "hokm_live_tables ", `hokm_queue_tasks{queue="persist",state="pending"}`,
		"hokm_gateway_frames_in_total", "hokm_gateway_frames_out_total", "hokm_gateway_connected_players",
		`hokm_requests_total{component="gateway"}`, `hokm_requests_total{component="worker"}`,
		`hokm_cache_requests_total{cache="profile",result="miss"}`, "go_goroutines", "process_cpu_seconds_total",
	}
	var body string
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + s.cfg.OpsAddr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("/metrics: %s\n%s", resp.Status, b)
		}
		body = string(b)
		missing := []string{}
		for _, w := range want {
			if !strings.Contains(body, w) {
				missing = append(missing, w)
			}
		}
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics lacks %v", missing)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
