package main

import (
	"context"
	"encoding/json"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/internal/testenv/procs"
	"github.com/hokm-project/hokm/store/pgstore"
)

// onRedisCluster is a deployment on a Redis Cluster of the test's own
// (three masters with a replica each, side ports): migrate, two gateways,
// two workers and a scheduler as separate processes on
// HOKM_REDIS_CLUSTER_ADDRS.
type onRedisCluster struct {
	redis    *procs.RedisCluster
	hokm     *procs.Hokm
	gateways []string // ws:// URLs
	pool     *pgxpool.Pool
	pg       *pgstore.Store
}

func startOnRedisCluster(t *testing.T) *onRedisCluster {
	t.Helper()
	rc := procs.StartRedisCluster(t, 3, procs.RedisOptions{})
	dbURL := testenv.Database(t)
	h := procs.NewHokm(t, "HOKM_REDIS_URL=redis://127.0.0.1:1/0", // only its user and password would count
		"HOKM_REDIS_CLUSTER_ADDRS="+strings.Join(rc.Addrs(), ","), "HOKM_REDIS_PREFIX="+testenv.RandomName("c"),
		"HOKM_DATABASE_URL="+dbURL, "HOKM_OPS_ADDR=off", "HOKM_RECLAIM_IDLE=1s", "HOKM_SHUTDOWN_TIMEOUT=2s",
		"HOKM_CLIENT_RATE=100000", "HOKM_CLIENT_BURST=100000", "HOKM_LOG_LEVEL=info")
	if m := h.Start("migrate", nil, "migrate"); !m.Wait(60*time.Second) || m.Err() != nil {
		t.Fatalf("hokm migrate: %v", m.Err())
	}
	c := &onRedisCluster{redis: rc, hokm: h}
	var addrs []string
	for _, name := range []string{"gateway A", "gateway B"} {
		addr := procs.FreePort(t)
		h.Start(name, []string{"HOKM_HTTP_ADDR=" + addr}, "gateway")
		addrs = append(addrs, addr)
		c.gateways = append(c.gateways, "ws://"+addr+"/ws")
	}
	h.Start("worker w1", []string{"HOKM_WORKER_ID=w1"}, "worker")
	h.Start("worker w2", []string{"HOKM_WORKER_ID=w2"}, "worker")
	h.Start("scheduler", nil, "scheduler")
	for i, p := range h.Procs()[1:3] {
		p.WaitReady(addrs[i])
	}
	pool, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	c.pool, c.pg = pool, pgstore.New(pool)
	return c
}

// bots starts `hokm bots` with every table's seats spread over both
// gateways, a move every 15 ms at each table: a match to 7 lasts some 8 s
// however fast the machine, so play outlasts the fault.
func (c *onRedisCluster) bots(matches, parallel int) *procs.Proc {
	return c.hokm.Start("bots", nil, "bots", "--url", strings.Join(c.gateways, ","), "--target", "7",
		"--matches", strconv.Itoa(matches), "--parallel", strconv.Itoa(parallel), "--pace", "15ms", "--timeout", "2m")
}

// report waits for the bots and checks that every match completed and is
// stored once in PostgreSQL, its export replaying to the stored result.
func (c *onRedisCluster) report(t *testing.T, bots *procs.Proc, matches int) botsReport {
	t.Helper()
	if !bots.Wait(3 * time.Minute) {
		t.Fatal("hokm bots still running after 3 minutes")
	}
	out := strings.TrimSpace(bots.Output())
	var rep botsReport
	if err := json.Unmarshal([]byte(out[strings.LastIndexByte(out, '\n')+1:]), &rep); err != nil {
		t.Fatalf("hokm bots: %v (%v)", err, bots.Err())
	}
	if bots.Err() != nil || rep.Completed != matches || len(rep.MatchIDs) != matches {
		t.Fatalf("hokm bots: %v; %d of %d matches completed: %v", bots.Err(), rep.Completed, matches, rep.Errors)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, id := range rep.MatchIDs {
		if !until(20*time.Second, func() bool { ok, _ := c.pg.MatchExists(ctx, id); return ok }) {
			t.Fatalf("match %s never reached PostgreSQL", id)
		}
		replayStored(t, ctx, c.pg, id)
	}
	var stored, distinct int
	if err := c.pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT id) FROM matches`).Scan(&stored, &distinct); err != nil {
		t.Fatal(err)
	}
	if stored != matches || distinct != matches {
		t.Fatalf("%d rows, %d matches stored; %d played", stored, distinct, matches)
	}
	return rep
}

// TestBotsOnRedisClusterThroughFailover: matches played by `hokm bots`
// through two gateways and two workers on a Redis Cluster; a master is
// SIGKILLed mid-run (no WAIT: its last writes may never reach its
// replica). Its replica takes over, the tables it may have lost are rebuilt
// from the journal, and every match completes, is stored once and replays
// to its result. The longest move (the stall the players saw) is logged.
func TestBotsOnRedisClusterThroughFailover(t *testing.T) {
	c := startOnRedisCluster(t)
	const matches = 12
	bots := c.bots(matches, 4)
	time.Sleep(3 * time.Second) // matches under way
	victim := c.redis.Masters()[0]
	victim.Kill()
	killed := time.Now()
	// Its replica is promoted: three masters again, every slot served.
	if !until(30*time.Second, func() bool { return len(c.redis.Masters()) == 3 }) {
		t.Fatal("no replica took over from the killed master within 30 s")
	}
	promoted := time.Since(killed)
	if err := c.redis.WaitHealthy(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	if !bots.Running() {
		t.Fatalf("the matches ended before the failover was over: nothing was shown (play longer): %v\n%s", bots.Err(), bots.Output())
	}
	rep := c.report(t, bots, matches)
	if rep.Resyncs == 0 {
		t.Error("no table was rebuilt after the failover (the new master's run id went unnoticed)")
	}
	t.Logf("replica promoted %v after the kill; %d moves in %.1f s; move latency p50 %.1f ms, p99 %.1f ms; "+
		"longest a table waited for a card %.0f ms; %d resyncs, %d dropped moves", promoted.Round(100*time.Millisecond),
		rep.Moves, rep.Seconds, rep.Latency.P50, rep.Latency.P99, rep.LongestGap, rep.Resyncs, rep.DroppedMoves)
}

// TestBotsOnRedisClusterThroughReshard: 2,000 slots (with their keys:
// tables, streams, timers) move from one master to another with redis-cli
// --cluster reshard while matches run; every match completes, is stored
// once and replays to its result.
func TestBotsOnRedisClusterThroughReshard(t *testing.T) {
	c := startOnRedisCluster(t)
	const matches = 12
	bots := c.bots(matches, 4)
	time.Sleep(3 * time.Second) // matches under way
	ms := c.redis.Masters()
	from, to := nodeID(t, ms[0].Addr()), nodeID(t, ms[1].Addr())
	start := time.Now()
	out, err := exec.Command("redis-cli", "--cluster", "reshard", ms[0].Addr(), "--cluster-from", from,
		"--cluster-to", to, "--cluster-slots", "2000", "--cluster-yes").CombinedOutput()
	if err != nil {
		t.Fatalf("reshard: %v\n%s", err, out)
	}
	t.Logf("2000 slots moved in %v", time.Since(start).Round(100*time.Millisecond))
	if !bots.Running() {
		t.Fatalf("the matches ended before the slots had moved: nothing was shown (play longer): %v\n%s", bots.Err(), bots.Output())
	}
	rep := c.report(t, bots, matches)
	t.Logf("%d moves in %.1f s; move latency p50 %.1f ms, p99 %.1f ms; longest a table waited for a card %.0f ms; "+
		"%d resyncs, %d dropped moves", rep.Moves, rep.Seconds, rep.Latency.P50, rep.Latency.P99, rep.LongestGap,
		rep.Resyncs, rep.DroppedMoves)
}

// nodeID is the cluster node id of the node at addr.
func nodeID(t *testing.T, addr string) string {
	t.Helper()
	out, err := exec.Command("redis-cli", "-p", addr[strings.LastIndexByte(addr, ':')+1:], "cluster", "myid").Output()
	if err != nil {
		t.Fatalf("cluster myid of %s: %v", addr, err)
	}
	return strings.TrimSpace(string(out))
}
