package app_test

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/hokm-project/hokm/internal/app"
	"github.com/hokm-project/hokm/internal/config"
	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/internal/testenv/procs"
	"github.com/hokm-project/hokm/migrations"
)

// TestReadReplica runs a gateway with HOKM_DATABASE_REPLICA_URL on a
// primary and a streaming replica of the test's own: the dashboard's reads
// are served by the replica (the ops /metrics says so, per pool), /readyz
// shows it; with the replica stopped the same requests still answer, from
// the primary, and /readyz says degraded.
func TestReadReplica(t *testing.T) {
	// not parallel: it reads process-wide metrics (main_test.go)
	primary := procs.StartPostgres(t, procs.PostgresOptions{})
	replica := primary.StartReplica()
	db := primary.CreateDB("hokm")
	if err := migrations.Up(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	_, prefix, redisDB := appRedis(t)
	cfg := config.Defaults()
	cfg.HTTPAddr, cfg.OpsAddr = freeAddr(t), freeAddr(t)
	cfg.DatabaseURL, cfg.DatabaseReplicaURL = db, replica.URL("hokm")
	cfg.RedisURL, cfg.RedisPrefix = testenv.RedisDBURL(t, redisDB), prefix
	cfg.LogLevel, cfg.ShutdownTimeout = "error", time.Second
	startOptions(t, app.Role("gateway", cfg))

	if !testenv.Until(10*time.Second, func() bool { _, r := opsReady(t, cfg.OpsAddr); return r.Checks["postgres_replica"] == "ok" }) {
		_, r := opsReady(t, cfg.OpsAddr)
		t.Fatalf("the replica never became usable: %+v", r)
	}
	before := replicaReads(t, cfg.OpsAddr)
	get(t, "http://"+cfg.HTTPAddr+"/api/dashboard", http.StatusOK)
	if after := replicaReads(t, cfg.OpsAddr); after < before+2 { // recent results, top players
		t.Fatalf("the dashboard's reads on the replica: %v → %v", before, after)
	}
	code := get(t, "http://"+cfg.HTTPAddr+"/api/players/nobody/stats", -1)

	replica.Stop("fast")
	get(t, "http://"+cfg.HTTPAddr+"/api/players/nobody/stats", code)
	if !testenv.Until(10*time.Second, func() bool {
		c, r := opsReady(t, cfg.OpsAddr)
		return c == 200 && r.Status == "degraded" && r.Checks["postgres_replica"] == "degraded" && r.Checks["postgres"] == "ok"
	}) {
		c, r := opsReady(t, cfg.OpsAddr)
		t.Fatalf("replica down: /readyz %d %+v", c, r)
	}
	before = replicaReads(t, cfg.OpsAddr)
	get(t, "http://"+cfg.HTTPAddr+"/api/players/nobody/stats", code)
	if after := replicaReads(t, cfg.OpsAddr); after != before {
		t.Fatalf("a read went to a replica known to be down: %v → %v", before, after)
	}
}

// get fetches url and wants status want (-1: any below 500); it returns the status.
func get(t *testing.T, url string, want int) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want >= 0 && resp.StatusCode != want || want < 0 && resp.StatusCode >= 500 {
		t.Fatalf("GET %s: %s %s", url, resp.Status, b)
	}
	return resp.StatusCode
}

var replicaReadsRe = regexp.MustCompile(`(?m)^hokm_postgres_stale_reads_total\{pool="replica"\} (\S+)$`)

// replicaReads is hokm_postgres_stale_reads_total{pool="replica"} on the
// ops listener at addr (0 before the first).
func replicaReads(t *testing.T, addr string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := replicaReadsRe.FindSubmatch(b)
	if m == nil {
		return 0
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
