package main

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/internal/testenv/procs"
	"github.com/hokm-project/hokm/tools/bench"
)

// TestBenchMeasuresEveryTarget runs `hokm bench` briefly on every target
// (the relay floor and prototype, hokm serve, gateway + worker) in a closed
// loop and paced: every row has cards delivered to four seats each, with
// latencies, CPU and Redis commands; a paced table keeps to its rate, and
// a closed loop goes faster than that. hokm's load runs in two processes
// (--clients), the split target with two gateways (--gateways).
func TestBenchMeasuresEveryTarget(t *testing.T) {
	c, _, _, dbURL := newCluster(t)
	_, free, _ := net.SplitHostPort(procs.FreePort(t))
	port, _ := strconv.Atoi(free)
	if m := c.Start("migrate", nil, "migrate"); !m.Wait(60*time.Second) || m.Err() != nil {
		t.Fatalf("migrate: %v\n%s", m.Err(), m.Output())
	}
	p := c.Start("bench", []string{"HOKM_WS_PER_IP=0", "HOKM_TABLE_CREATE_LIMIT=0", "HOKM_GUEST_LIMIT=1000000/1h"},
		"bench", "--targets", "floor,prototype,serve,serve+v1,split", "--modes", "closed:2,paced:2", "--rate", "10",
		"--window", "1s", "--warm", "200ms", "--port", strconv.Itoa(port), "--json",
		"--gateways", "2", "--clients", "2", "--ramp", "100ms") // hokm's load in two processes, split with two gateways
	if !p.Wait(3*time.Minute) || p.Err() != nil {
		t.Fatalf("hokm bench: %v\n%s", p.Err(), p.Output())
	}
	// each run's table journal was emptied after it (else the next run
	// would begin by restoring its tables)
	pool, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var left int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM live_tables WHERE status <> 'finished'`).Scan(&left); err != nil || left != 0 {
		t.Errorf("%d tables left in the journal after the bench (%v)", left, err)
	}
	var rows []bench.Row
	for _, line := range strings.Split(p.Output(), "\n") { // the JSON is the line of rows
		if strings.HasPrefix(line, "[") {
			if err := json.Unmarshal([]byte(line), &rows); err != nil {
				t.Fatalf("hokm bench printed %q: %v", line, err)
			}
		}
	}
	if len(rows) != 10 {
		t.Fatalf("%d rows, want 10 (5 targets × 2 modes): %+v", len(rows), rows)
	}
	closed, frames := map[string]float64{}, map[string]float64{}
	for _, r := range rows {
		// A card reaches four seats: 4 frames each, less those of the cards
		// in flight as the window opened — at most one a table (a seat
		// plays once the card before is in), three of its frames read
		// before the window; the window is 1 s, so moves ≥ Delivered.
		minFrames := 4 - 3*float64(r.Tables)/r.Delivered
		if r.Delivered <= 0 || r.P50 <= 0 || r.P99 < r.P50 || r.RedisUS <= 0 || r.Commands < 3 || r.RoundTrips < 2 || r.Frames < minFrames ||
			r.TableBytes <= 0 || r.RSS <= 0 {
			t.Errorf("%s, %s: a row without its measurements: %+v", r.Target, r.Mode, r)
		}
		if r.Offered == 0 && r.ServerUS <= 0 { // (CPU time comes in 10 ms ticks: only a closed loop is sure to use one)
			t.Errorf("%s, %s: no CPU time: %+v", r.Target, r.Mode, r)
		}
		if r.Offered == 0 && r.Target == "split" && (r.RoleUS["gateway"] <= 0 || r.RoleUS["gateway2"] <= 0 || r.RoleUS["worker"] <= 0) {
			t.Errorf("split, %s: no CPU time by process: %v", r.Mode, r.RoleUS)
		}
		if r.Offered == 0 {
			closed[r.Target], frames[r.Target] = r.Delivered, r.Frames
			continue
		}
		if r.Offered != 20 || r.Delivered > 1.3*r.Offered {
			t.Errorf("%s, %s: %.0f cards/s delivered, %.0f offered (2 tables paced at 10/s)", r.Target, r.Mode, r.Delivered, r.Offered)
		}
		if closed[r.Target] <= r.Delivered {
			t.Errorf("%s: a closed loop delivered %.0f cards/s, no more than paced at 10/s (%.0f)", r.Target, closed[r.Target], r.Delivered)
		}
	}
	// Protocol 2 (the load client's own) folds a change's events and the
	// mover's ack into one frame; serve+v1 is the same server spoken to in
	// version 1: a frame per event and per ack (≈ 7 a card against ≈ 4.3).
	if frames["serve+v1"] < frames["serve"]+1.5 {
		t.Errorf("frames a card: serve %.1f, serve+v1 %.1f: version 2 should save one and a half at least", frames["serve"], frames["serve+v1"])
	}
}

// TestBenchOnRedisCluster runs `hokm bench` briefly on serve and split on
// a Redis Cluster of the test's own (three masters, a replica each):
// every row has moves delivered, and Redis's CPU and commands per move
// counted over the cluster's nodes — CPU over all six, the replicas' part
// of it too, commands over the three masters; each run's keys are deleted
// on every master. The relay targets are refused on a cluster.
func TestBenchOnRedisCluster(t *testing.T) {
	rc := procs.StartRedisCluster(t, 3, procs.RedisOptions{})
	dbURL := testenv.Database(t)
	prefix := testenv.RandomName("tb")
	c := procs.NewHokm(t, "HOKM_REDIS_URL=redis://"+rc.Addrs()[0]+"/0", "HOKM_REDIS_PREFIX="+prefix,
		"HOKM_DATABASE_URL="+dbURL, "HOKM_OPS_ADDR=off", "HOKM_SHUTDOWN_TIMEOUT=2s", "HOKM_LOG_LEVEL=info",
		"HOKM_CLIENT_RATE=100000", "HOKM_CLIENT_BURST=100000",
		"HOKM_WS_PER_IP=0", "HOKM_TABLE_CREATE_LIMIT=0", "HOKM_GUEST_LIMIT=1000000/1h")
	if m := c.Start("migrate", nil, "migrate"); !m.Wait(60*time.Second) || m.Err() != nil {
		t.Fatalf("migrate: %v\n%s", m.Err(), m.Output())
	}
	nodes := strings.Join(rc.Addrs(), ",")
	relay := c.Start("bench relay", nil, "bench", "--redis-cluster", nodes, "--targets", "serve,floor", "--modes", "closed:1")
	if !relay.Wait(time.Minute) || relay.Err() == nil || !strings.Contains(relay.Output(), "target floor: the relay targets run on a single Redis server") {
		t.Errorf("hokm bench --targets serve,floor on a cluster: %v, want the floor refused\n%s", relay.Err(), relay.Output())
	}
	_, free, _ := net.SplitHostPort(procs.FreePort(t))
	p := c.Start("bench", nil, "bench", "--redis-cluster", nodes, "--targets", "serve,split", "--modes", "closed:2",
		"--window", "2s", "--warm", "200ms", "--port", free, "--json")
	if !p.Wait(2*time.Minute) || p.Err() != nil {
		t.Fatalf("hokm bench: %v\n%s", p.Err(), p.Output())
	}
	var rows []bench.Row
	for _, line := range strings.Split(p.Output(), "\n") { // the JSON is the line of rows
		if strings.HasPrefix(line, "[") {
			if err := json.Unmarshal([]byte(line), &rows); err != nil {
				t.Fatalf("hokm bench printed %q: %v", line, err)
			}
		}
	}
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2 (serve and split): %+v\n%s", len(rows), rows, p.Output())
	}
	for _, r := range rows {
		if r.Delivered <= 0 || r.P50 <= 0 || r.P99 < r.P50 || r.Commands < 3 || r.RoundTrips < 2 || r.TableBytes <= 0 || r.Errors > 0 {
			t.Errorf("%s: a row without its measurements: %+v", r.Target, r)
		}
		// Redis's costs are the cluster's: CPU of its six nodes (the
		// replicas replay every write: some is theirs, not all),
		// commands of its three masters.
		if r.RedisMasters != 3 || r.RedisReplicas != 3 || r.RedisUS <= 0 || r.ReplicaUS <= 0 || r.ReplicaUS >= r.RedisUS {
			t.Errorf("%s: Redis's costs not over the cluster's 3 masters and 3 replicas: %d masters, %d replicas, CPU %.1f µs/move (replicas %.1f)",
				r.Target, r.RedisMasters, r.RedisReplicas, r.RedisUS, r.ReplicaUS)
		}
	}
	// every run's keys were deleted, on every master
	if left := testenv.Keys(t, rc.Client(), prefix+"-*"); len(left) > 0 {
		t.Errorf("%d keys left on the cluster after the bench, e.g. %q", len(left), left[0])
	}
}

// TestBenchProfiles: --profile leaves a CPU profile of each hokm process
// and of the load client (here in the bench process) for each run.
func TestBenchProfiles(t *testing.T) {
	c, _, _, _ := newCluster(t)
	_, free, _ := net.SplitHostPort(procs.FreePort(t))
	if m := c.Start("migrate", nil, "migrate"); !m.Wait(60*time.Second) || m.Err() != nil {
		t.Fatalf("migrate: %v\n%s", m.Err(), m.Output())
	}
	dir := filepath.Join(t.TempDir(), "profiles") // made by the bench
	p := c.Start("bench", []string{"HOKM_WS_PER_IP=0", "HOKM_TABLE_CREATE_LIMIT=0", "HOKM_GUEST_LIMIT=1000000/1h"},
		"bench", "--targets", "serve,serve+v1", "--modes", "closed:2", "--window", "1s", "--warm", "200ms",
		"--port", free, "--profile", dir)
	if !p.Wait(2*time.Minute) || p.Err() != nil {
		t.Fatalf("hokm bench: %v\n%s", p.Err(), p.Output())
	}
	// Each target keeps its own (serve+v1 is serve too).
	for _, name := range []string{"serve-serve-closedloop-2.pprof", "serve-client-closedloop-2.pprof",
		"serve+v1-serve-closedloop-2.pprof", "serve+v1-client-closedloop-2.pprof"} {
		if st, err := os.Stat(filepath.Join(dir, name)); err != nil || st.Size() == 0 {
			t.Errorf("profile %s: %v (size %d)\n%s", name, err, sizeOf(st), p.Output())
		}
	}
}

func sizeOf(st os.FileInfo) int64 {
	if st == nil {
		return -1
	}
	return st.Size()
}
