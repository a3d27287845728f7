package main

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/internal/testenv/procs"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/tools/botclient"
)

// multiRedisDB is this test's own Redis database (asynq's keys have no
// prefix): flushed first, used by nobody else.
const multiRedisDB = testenv.DBMultiProcess

func TestMain(m *testing.M) { procs.Main(m) } // removes the hokm binary procs built

// newCluster sets up the environment of a test's hokm processes (its own
// Redis DB and prefix, its own database) and returns their starter; every
// process still running when the test ends is killed, and all output is
// logged if it failed.
func newCluster(t *testing.T) (*procs.Hokm, redis.UniversalClient, string, string) {
	t.Helper()
	rdb, prefix := testenv.Redis(t, multiRedisDB, true)
	dbURL := testenv.Database(t)
	env := append(testenv.RedisEnv(t, multiRedisDB), "HOKM_REDIS_PREFIX="+prefix, "HOKM_DATABASE_URL="+dbURL,
		"HOKM_OPS_ADDR=off", "HOKM_RECLAIM_IDLE=1s", "HOKM_SHUTDOWN_TIMEOUT=2s",
		"HOKM_CLIENT_RATE=100000", "HOKM_CLIENT_BURST=100000", "HOKM_LOG_LEVEL=info")
	c := procs.NewHokm(t, env...)
	return c, rdb, prefix, dbURL
}

// consumers is each consumer's pending entries over every partition of
// the action stream (a consumer shows once it has read).
func consumers(ctx context.Context, rdb redis.UniversalClient, prefix string) (map[string]int64, error) {
	out := map[string]int64{}
	for p := range 8 { // HOKM_PARTITIONS' default
		cs, err := rdb.XInfoConsumers(ctx, prefix+":actions:{p"+strconv.Itoa(p)+"}", "workers").Result()
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			out[c.Name] += c.Pending
		}
	}
	return out, nil
}

// freshRead reports whether consumer's reader of the partition that holds
// actions (the test's one table's) began its read less than 50 ms ago
// (XINFO CONSUMERS idle: time since its last read), false when unknown.
func freshRead(ctx context.Context, rdb redis.UniversalClient, prefix, consumer string) bool {
	for p := range 8 {
		key := prefix + ":actions:{p" + strconv.Itoa(p) + "}"
		if n, err := rdb.XLen(ctx, key).Result(); err != nil || n == 0 {
			continue
		}
		cs, err := rdb.XInfoConsumers(ctx, key, "workers").Result()
		if err != nil {
			return false
		}
		for _, c := range cs {
			if c.Name == consumer {
				return c.Idle < 50*time.Millisecond
			}
		}
	}
	return false
}

// blockedReads counts the connections blocked in XREADGROUP on this
// test's Redis DB (on every node of a cluster, DB 0): each worker has one
// per partition.
func blockedReads(ctx context.Context, rdb redis.UniversalClient) int {
	db := " db=" + strconv.Itoa(multiRedisDB) + " "
	if testenv.RedisCluster() != nil {
		db = " db=0 "
	}
	var n atomic.Int64
	testenv.EachNode(rdb, func(c *redis.Client) {
		list, err := c.ClientList(ctx).Result()
		if err != nil {
			return
		}
		for _, line := range strings.Split(list, "\n") {
			if f := " " + line + " "; strings.Contains(f, db) && strings.Contains(f, " cmd=xreadgroup ") {
				n.Add(1)
			}
		}
	})
	return int(n.Load())
}

var until = testenv.Until

// TestMultiProcess runs the roles as separate processes — two gateways,
// two workers, a scheduler — and plays a match whose four players are
// spread over both gateways. Mid-match one worker is SIGKILLed while it
// holds unacknowledged actions: the other takes them over, the match
// completes and is stored, and its export replays to the stored result.
// Then every remaining process drains on SIGTERM and exits 0.
func TestMultiProcess(t *testing.T) {
	c, rdb, prefix, dbURL := newCluster(t)
	begin := time.Now()

	migrate := c.Start("migrate", nil, "migrate")
	if !migrate.Wait(60*time.Second) || migrate.Err() != nil || !strings.Contains(migrate.Output(), "migrations applied") {
		t.Fatalf("hokm migrate: %v", migrate.Err())
	}
	addrA, addrB := procs.FreePort(t), procs.FreePort(t)
	gwA := c.Start("gateway A", []string{"HOKM_HTTP_ADDR=" + addrA}, "gateway")
	gwB := c.Start("gateway B", []string{"HOKM_HTTP_ADDR=" + addrB}, "gateway")
	w1 := c.Start("worker w1", []string{"HOKM_WORKER_ID=w1"}, "worker")
	w2 := c.Start("worker w2", []string{"HOKM_WORKER_ID=w2"}, "worker")
	sched := c.Start("scheduler", nil, "scheduler")
	gwA.WaitReady(addrA)
	gwB.WaitReady(addrB)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	// Both workers are reading every partition (Redis lists a consumer only
	// once it has been delivered something, so count blocked reads).
	if !until(20*time.Second, func() bool { return blockedReads(ctx, rdb) >= 2*8 }) {
		t.Fatalf("the workers never read the action stream: %d blocked reads", blockedReads(ctx, rdb))
	}
	for _, p := range []*procs.Proc{w1, w2, sched} {
		if !p.Running() {
			t.Fatalf("%s exited at start: %v", p.Name(), p.Err())
		}
	}
	t.Logf("processes up in %v", time.Since(begin).Round(time.Millisecond))

	// Kill w1 mid-match while it holds an action it has read and not
	// acknowledged. The clients are held (in OnMove, after they sent a
	// move) until the table is quiet; then w1 is stopped just after its
	// reader of the table's partition began a blocking read — which stays
	// blocked in Redis for the read's 500 ms — and the clients let go:
	// within two moves one is delivered to w1 and stays pending there.
	// Then SIGKILL. (A read that acknowledges a batch blocks only 200 ms:
	// the quiet table is given longer than that, so the read w1 is stopped
	// in is a plain one. If it had just timed out anyway, w1 is resumed
	// and the whole is tried again.)
	var (
		moves         atomic.Int64
		gate          sync.RWMutex // write-locked: clients wait after their move
		midMatch      = make(chan struct{})
		once          sync.Once
		killedPending int64
		attempts      int
		killed        = make(chan struct{})
	)
	quiet := func() bool {
		n := moves.Load()
		cs, err := consumers(ctx, rdb, prefix)
		time.Sleep(100 * time.Millisecond)
		return err == nil && cs["w1"] == 0 && cs["w2"] == 0 && moves.Load() == n
	}
	go func() {
		defer close(killed)
		select {
		case <-midMatch:
		case <-ctx.Done():
			return
		}
		for attempts < 5 && killedPending == 0 {
			attempts++
			gate.Lock()
			until(5*time.Second, quiet)
			time.Sleep(250 * time.Millisecond) // any acknowledging read has ended
			until(2*time.Second, func() bool { return freshRead(ctx, rdb, prefix, "w1") })
			w1.Pause()
			gate.Unlock()
			until(500*time.Millisecond, func() bool {
				cs, err := consumers(ctx, rdb, prefix)
				killedPending = cs["w1"]
				return err == nil && killedPending > 0
			})
			if killedPending == 0 {
				w1.Resume()
			}
		}
		w1.Signal(syscall.SIGKILL)
	}()
	start := time.Now()
	rep, err := botclient.Run(ctx, botclient.Options{
		URLs:  []string{"ws://" + addrA + "/ws", "ws://" + addrB + "/ws"},
		Rules: game.Rules{Target: 7}, Matches: 1, Parallel: 1, Timeout: 60 * time.Second, CheckLeaks: true,
		OnMove: func() {
			if moves.Add(1) == 6 {
				once.Do(func() { close(midMatch) })
			}
			gate.RLock()
			gate.RUnlock()
		},
	})
	once.Do(func() { close(midMatch) })
	<-killed
	if err != nil {
		t.Fatal(err)
	}
	if rep.Completed != 1 || len(rep.Errors) > 0 || len(rep.Results) != 1 {
		t.Fatalf("report %+v", rep)
	}
	if !w1.Wait(5 * time.Second) {
		t.Fatal("w1 survived SIGKILL")
	}
	if w1.Signaled() != syscall.SIGKILL {
		t.Fatalf("w1 ended with %v, want killed", w1.Err())
	}
	if killedPending == 0 {
		t.Fatal("w1 never held an unacknowledged action: the kill tested nothing")
	}
	t.Logf("match of %d moves in %v over both gateways; w1 killed holding %d actions (attempt %d); p99 %.1f ms, max %.1f ms",
		rep.Moves, time.Since(start).Round(time.Millisecond), killedPending, attempts, rep.Latency.P99, rep.Latency.Max)

	// w2 took over what w1 held, and nothing is left unacknowledged.
	if !until(10*time.Second, func() bool {
		cs, err := consumers(ctx, rdb, prefix)
		return err == nil && cs["w1"] == 0 && cs["w2"] == 0
	}) {
		cs, err := consumers(ctx, rdb, prefix)
		t.Fatalf("pending actions left: %v %v", cs, err)
	}
	if !strings.Contains(w2.Output(), "reclaimed pending actions") {
		t.Fatal("w2 did not log a reclaim")
	}

	// Stored, and the stored record replays to the stored result, which
	// is what the clients saw.
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	pg := pgstore.New(pool)
	m := rep.Results[0]
	if !until(15*time.Second, func() bool { ok, _ := pg.MatchExists(ctx, m.ID); return ok }) {
		t.Fatalf("match %s never reached PostgreSQL", m.ID)
	}
	checkStoredMatch(t, ctx, pg, m, rep.Moves)

	// Graceful drain: SIGTERM, exit 0.
	rest := []*procs.Proc{gwA, gwB, w2, sched}
	for _, p := range rest {
		p.Term()
	}
	drain := time.Now()
	for _, p := range rest {
		if !p.Wait(10 * time.Second) {
			t.Fatalf("%s still running 10 s after SIGTERM", p.Name())
		}
		if p.Err() != nil {
			t.Fatalf("%s exited with %v after SIGTERM", p.Name(), p.Err())
		}
	}
	t.Logf("all drained in %v; whole test %v", time.Since(drain).Round(time.Millisecond), time.Since(begin).Round(time.Millisecond))
}

// replayStored exports stored match id and replays it (as `hokm export` |
// `hokm replay`), failing unless the replay ends the match with a winner.
func replayStored(t *testing.T, ctx context.Context, pg *pgstore.Store, id string) (game.Record, game.ReplayResult) {
	t.Helper()
	rec, err := pg.ExportRecord(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(rec)
	res, status := game.ReplayJSON(bytes.NewReader(b))
	if status != 0 || !res.OK || !res.Over || res.Winner == nil {
		t.Fatalf("replay of %s: exit %d %+v", id, status, res)
	}
	return rec, res
}

// checkStoredMatch: export → replay gives the stored result, the stored
// result is what the clients saw, and every move is stored once.
func checkStoredMatch(t *testing.T, ctx context.Context, pg *pgstore.Store, m botclient.MatchSummary, moves int) {
	t.Helper()
	rec, res := replayStored(t, ctx, pg, m.ID)
	hands, score, winner, err := pg.MatchResult(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if winner == nil || *winner != *res.Winner || score != res.Score || !reflect.DeepEqual(hands, res.Hands) {
		t.Fatalf("match %s: stored %v %v %+v, replay %v %d %+v", m.ID, score, winner, hands, res.Score, *res.Winner, res.Hands)
	}
	if m.Score != score || m.Winner != *winner || !reflect.DeepEqual(m.Hands, hands) {
		t.Fatalf("match %s: clients saw %v %d %+v, stored %v %d %+v", m.ID, m.Score, m.Winner, m.Hands, score, *winner, hands)
	}
	if len(rec.Actions) != moves {
		t.Fatalf("match %s: %d actions stored, the clients made %d moves", m.ID, len(rec.Actions), moves)
	}
}
