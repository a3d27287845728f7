package redisconn_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/internal/config"
	"github.com/hokm-project/hokm/internal/redisconn"
	"github.com/hokm-project/hokm/internal/redisnodes"
	"github.com/hokm-project/hokm/internal/testenv/procs"
)

func TestMain(m *testing.M) { procs.Main(m) }

func load(t *testing.T, env map[string]string) config.Config {
	t.Helper()
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestNewSingleServer: the URL's DB and password, HOKM_REDIS_PASSWORD over
// the URL's, and the short timeouts.
func TestNewSingleServer(t *testing.T) {
	cfg := load(t, map[string]string{"HOKM_REDIS_URL": "redis://:urlpw@127.0.0.1:6390/5", "HOKM_PARTITIONS": "16"})
	rdb, err := redisconn.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	o := rdb.(*redis.Client).Options()
	if o.Addr != "127.0.0.1:6390" || o.DB != 5 || o.Password != "urlpw" {
		t.Fatalf("addr %s db %d password %q", o.Addr, o.DB, o.Password)
	}
	if o.DialTimeout != time.Second || o.ReadTimeout != time.Second || o.MaxRetries != 1 ||
		!o.ContextTimeoutEnabled || o.PoolSize != 160 {
		t.Fatalf("timeouts %+v", o)
	}
	cfg.RedisPassword = "envpw"
	rdb2, _ := redisconn.New(cfg)
	defer rdb2.Close()
	if p := rdb2.(*redis.Client).Options().Password; p != "envpw" {
		t.Fatalf("HOKM_REDIS_PASSWORD not used: %q", p)
	}
	cfg.RedisURL = "redis://127.0.0.1:6390/x"
	if _, err := redisconn.New(cfg); err == nil || !strings.Contains(err.Error(), "HOKM_REDIS_URL") {
		t.Fatalf("a bad DB in the URL: %v", err)
	}
	if _, err := redisconn.ConnOpt(cfg); err == nil {
		t.Fatal("ConnOpt accepted a bad URL")
	}
}

// writer SETs w:<n> for n = 0, 1, … one at a time through rdb, as a game
// worker would, and records which writes were acknowledged and when the
// first failure and the recovery after it happened.
type writer struct {
	mu        sync.Mutex
	acked     []int
	failedAt  time.Time // first failure since the last mark
	recovered time.Time // first success after failedAt
	errors    int
	lastErr   error
}

func (w *writer) run(ctx context.Context, rdb redis.UniversalClient) {
	for n := 0; ctx.Err() == nil; n++ {
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		err := rdb.Set(cctx, fmt.Sprintf("w:%d", n), n, 0).Err()
		cancel()
		now := time.Now()
		w.mu.Lock()
		if err != nil {
			w.errors++
			w.lastErr = err
			if w.failedAt.IsZero() {
				w.failedAt = now
			}
		} else {
			w.acked = append(w.acked, n)
			if !w.failedAt.IsZero() && w.recovered.IsZero() {
				w.recovered = now
			}
		}
		w.mu.Unlock()
		if err != nil {
			time.Sleep(10 * time.Millisecond) // as a retrying client would
		}
	}
}

// mark starts a new fault: it returns the number of writes acknowledged
// so far.
func (w *writer) mark() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.failedAt, w.recovered, w.errors, w.lastErr = time.Time{}, time.Time{}, 0, nil
	return len(w.acked)
}

// ackedSince are the writes acknowledged after the first from of them.
func (w *writer) ackedSince(from int) []int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]int{}, w.acked[from:]...)
}

func (w *writer) snapshot() (failedAt, recovered time.Time, errors int, lastErr error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.failedAt, w.recovered, w.errors, w.lastErr
}

// failoverCase is one way to lose the primary.
type failoverCase struct {
	name   string
	inject func() string // returns the old primary's address
	// after runs once the Sentinels name the new primary (old, now).
	after func(old, now string)
	// pubsubWithin bounds the wait for a published message to reach the
	// subscriber; mustDeliver makes missing it a failure, not a figure.
	pubsubWithin time.Duration
	mustDeliver  bool
}

// failoverResult is what a case measured.
type failoverResult struct {
	old, now           string
	elected, downtime  time.Duration
	errors, lost, seen int
	lastErr            error
	pubsub             time.Duration // fault → a message delivered again (0: not within pubsubWithin)
}

// The clients speak RESP2 (no push notification is looked for before each
// reply, no HELLO per connection) unless the URL names a protocol.
func TestSpeaksRESP2(t *testing.T) {
	r := procs.StartRedis(t, procs.RedisOptions{})
	ctx := context.Background()
	for url, want := range map[string]string{"redis://" + r.Addr() + "/0": "resp=2", "redis://" + r.Addr() + "/0?protocol=3": "resp=3"} {
		rdb, err := redisconn.New(load(t, map[string]string{"HOKM_REDIS_URL": url}))
		if err != nil {
			t.Fatal(err)
		}
		info, err := rdb.ClientInfo(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		if got := "resp=" + strconv.Itoa(info.Resp); got != want {
			t.Errorf("%s: the connection speaks %s, want %s", url, got, want)
		}
		rdb.Close()
	}
}

// TestFailoverClient: the client NewRedis uses, built from a Config naming
// three Sentinels, keeps writing and subscribing (as workers and gateways
// do) across a SIGKILL of the primary and a SENTINEL FAILOVER.
//
// Asserted: after a SIGKILL writes resume on the new primary and the
// subscription with them; after the planned switch of docs/operations.md
// (CLIENT PAUSE WRITE on the primary, SENTINEL FAILOVER, CLIENT KILL TYPE
// pubsub on the old primary) no acknowledged write is lost and messages
// flow again. Logged as measurements: the time without writes, the
// acknowledged writes the new primary lacks, and — for a plain SENTINEL
// FAILOVER — that about a second of writes acknowledged by the old primary
// is lost and that subscribers stay on the old primary (go-redis moves
// only its command connections on +switch-master) until it is demoted.
func TestFailoverClient(t *testing.T) {
	s := procs.StartSentinelSet(t, procs.SentinelOptions{Redis: procs.RedisOptions{AOF: true}})
	cfg := load(t, map[string]string{
		"HOKM_REDIS_URL":       "redis://ignored.invalid:1/3", // under Sentinel only the DB (3) counts
		"HOKM_REDIS_SENTINELS": strings.Join(s.SentinelAddrs(), ","),
		"HOKM_REDIS_MASTER":    s.MasterName(),
	})
	rdb, err := redisconn.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := rdb.Set(ctx, "hello", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if v := s.Primary().Client(3).Get(ctx, "hello").Val(); v != "1" {
		t.Fatalf("the write did not land in DB 3 of the primary: %q", v)
	}
	sub := rdb.Subscribe(ctx, "events")
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	msgs := sub.Channel()

	w := &writer{}
	wctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); w.run(wctx, rdb) }()
	defer func() { stop(); <-done }()
	waitAcked := func(n int) {
		t.Helper()
		if !until(30*time.Second, func() bool { return len(w.ackedSince(0)) >= n }) {
			_, _, errs, last := w.snapshot()
			t.Fatalf("fewer than %d writes acknowledged (%d errors, last %v)", n, errs, last)
		}
	}
	waitAcked(200)

	// delivered publishes through rdb until the subscriber gets one of the
	// messages, for at most d, and says how long it took.
	delivered := func(tag string, d time.Duration) (time.Duration, bool) {
		start := time.Now()
		for i := 0; time.Since(start) < d; i++ {
			want := fmt.Sprintf("%s %d", tag, i)
			if rdb.Publish(ctx, "events", want).Err() != nil {
				time.Sleep(50 * time.Millisecond)
				continue
			}
			timeout := time.After(100 * time.Millisecond)
			for waiting := true; waiting; {
				select {
				case m := <-msgs:
					if m.Payload == want {
						return time.Since(start), true
					}
				case <-timeout:
					waiting = false
				}
			}
		}
		return d, false
	}

	run := func(c failoverCase) failoverResult {
		t.Helper()
		var r failoverResult
		from := w.mark()
		start := time.Now()
		r.old = c.inject()
		r.now = s.WaitPrimaryChanged(r.old, 60*time.Second)
		r.elected = time.Since(start)
		if c.after != nil {
			c.after(r.old, r.now)
		}
		// Writes resume: more acknowledged after the change, and the last
		// of them is on the new primary.
		waitAcked(len(w.ackedSince(0)) + 100)
		acked := w.ackedSince(from)
		last := acked[len(acked)-1]
		direct := redis.NewClient(&redis.Options{Addr: r.now, DB: 3})
		defer direct.Close()
		if !until(5*time.Second, func() bool { return direct.Exists(ctx, fmt.Sprintf("w:%d", last)).Val() == 1 }) {
			t.Fatalf("%s: the last acknowledged write w:%d is not on the new primary %s", c.name, last, r.now)
		}
		for _, n := range acked {
			if direct.Exists(ctx, fmt.Sprintf("w:%d", n)).Val() == 0 {
				r.lost++
			}
		}
		r.seen = len(acked)
		if _, ok := delivered(c.name, c.pubsubWithin); ok {
			r.pubsub = time.Since(start)
		} else if c.mustDeliver {
			t.Fatalf("%s: published messages did not reach the subscriber within %v", c.name, c.pubsubWithin)
		}
		failedAt, recovered, errs, lastErr := w.snapshot()
		if !failedAt.IsZero() && !recovered.IsZero() {
			r.downtime = recovered.Sub(failedAt)
		}
		r.errors, r.lastErr = errs, lastErr
		pubsub := "not at all (checked for " + c.pubsubWithin.String() + ")"
		if r.pubsub > 0 {
			pubsub = r.pubsub.Round(time.Millisecond).String() + " after the fault"
		}
		t.Logf("%s: %s → %s; Sentinels agreed after %v; writes failed for %v (%d errors, last: %v); "+
			"%d of %d writes acknowledged since the fault missing on the new primary; a message published then reached the subscriber %s",
			c.name, r.old, r.now, r.elected.Round(time.Millisecond), r.downtime.Round(time.Millisecond), r.errors, r.lastErr,
			r.lost, r.seen, pubsub)
		return r
	}

	run(failoverCase{name: "SIGKILL of the primary", inject: s.KillPrimary, pubsubWithin: 10 * time.Second, mustDeliver: true})
	for _, n := range s.Nodes() {
		if !n.Running() {
			s.Rejoin(n)
		}
	}
	s.WaitStable(30 * time.Second)

	plain := run(failoverCase{name: "SENTINEL FAILOVER", inject: s.Failover, pubsubWithin: 2 * time.Second})
	// The old primary stays a primary until the Sentinels demote it, 10–20 s
	// later; do now what they will do then.
	host, port, _ := strings.Cut(plain.now, ":")
	oc := redis.NewClient(&redis.Options{Addr: plain.old})
	defer oc.Close()
	if err := oc.Do(ctx, "REPLICAOF", host, port).Err(); err != nil {
		t.Fatal(err)
	}
	s.WaitStable(30 * time.Second)

	planned := run(failoverCase{
		name: "planned switch (CLIENT PAUSE WRITE, SENTINEL FAILOVER, CLIENT KILL TYPE pubsub)",
		inject: func() string {
			// Writes wait on the old primary while the replica catches up
			// and is promoted; the clients switch before the pause ends.
			if err := s.Primary().Client(0).Do(ctx, "CLIENT", "PAUSE", "10000", "WRITE").Err(); err != nil {
				t.Fatal(err)
			}
			return s.Failover()
		},
		after: func(old, _ string) {
			// Subscribers reconnect, through the Sentinels, to the new primary.
			c := redis.NewClient(&redis.Options{Addr: old})
			defer c.Close()
			if err := c.Do(ctx, "CLIENT", "KILL", "TYPE", "pubsub").Err(); err != nil {
				t.Fatal(err)
			}
		},
		pubsubWithin: 10 * time.Second, mustDeliver: true,
	})
	if planned.lost != 0 {
		t.Fatalf("%d acknowledged writes lost in the planned switch", planned.lost)
	}

	// asynq (asynqmon's and the tools' path) reaches the new primary too.
	conn, err := redisconn.ConnOpt(cfg)
	if err != nil {
		t.Fatal(err)
	}
	insp := asynq.NewInspector(conn)
	defer insp.Close()
	if _, err := insp.Queues(); err != nil {
		t.Fatalf("asynq inspector through ConnOpt: %v", err)
	}
}

func until(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// TestClusterClient: HOKM_REDIS_CLUSTER_ADDRS gives a cluster client with
// the same short timeouts; the settings and the run id are read from every
// master; a master killed is replaced by its replica and the client serves
// its slots again within seconds (it reloads the slot map every second),
// the run id then naming the new master.
func TestClusterClient(t *testing.T) {
	cfg := load(t, map[string]string{"HOKM_REDIS_CLUSTER_ADDRS": "127.0.0.1:6390", "HOKM_REDIS_URL": "redis://:pw@x:1/3"})
	if _, err := redisconn.New(cfg); err == nil || !strings.Contains(err.Error(), "DB 0") {
		t.Fatalf("a DB other than 0 on a cluster: %v", err)
	}
	c := procs.StartRedisCluster(t, 3, procs.RedisOptions{})
	cfg = load(t, map[string]string{"HOKM_REDIS_CLUSTER_ADDRS": strings.Join(c.Addrs()[:2], ","), "HOKM_PARTITIONS": "4"})
	var mu sync.Mutex
	seen := map[string]bool{}
	rdb, err := redisconn.New(cfg, func(id string) { mu.Lock(); seen[id] = true; mu.Unlock() })
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	cc, ok := rdb.(*redis.ClusterClient)
	if !ok {
		t.Fatalf("%T, want a cluster client", rdb)
	}
	if o := cc.Options(); o.DialTimeout != time.Second || o.ReadTimeout != time.Second || o.MaxRetries != 1 ||
		o.PoolSize != 40 || o.ClusterStateReloadInterval != time.Second {
		t.Fatalf("options %+v", o)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for i := range 300 { // keys on every master
		if err := rdb.Set(ctx, fmt.Sprintf("k%d", i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	id1, err := redisnodes.RunID(ctx, rdb)
	if n := len(strings.Split(id1, ",")); err != nil || n != 3 {
		t.Fatalf("run id %q (%d masters), %v", id1, n, err)
	}
	// The slot map is loaded from any node, replicas too: their connections
	// are not reported (only masters hold the tables).
	// (A fresh cluster lists a replica in its slot map once it has
	// replicated something.)
	var nodes atomic.Int64
	if !until(20*time.Second, func() bool {
		cc.ReloadState(ctx)
		nodes.Store(0)
		err := cc.ForEachShard(ctx, func(ctx context.Context, c *redis.Client) error {
			nodes.Add(1)
			return c.Ping(ctx).Err()
		})
		return err == nil && nodes.Load() == 6
	}) {
		t.Fatalf("pinged %d nodes of 6", nodes.Load())
	}
	mu.Lock()
	for id := range seen {
		if !redisnodes.RunIDHas(id1, id) {
			t.Errorf("a connection reported run id %s, not a master's (%s)", id, id1)
		}
	}
	mu.Unlock()
	// Settings: the worst master's. One master with the AOF on is not enough.
	victim := c.Masters()[0]
	if err := victim.Client(0).ConfigSet(ctx, "appendonly", "yes").Err(); err != nil {
		t.Fatal(err)
	}
	if s, err := redisconn.ReadSettings(ctx, rdb); err != nil || s.AppendOnly != "no" {
		t.Fatalf("settings %+v, %v: want appendonly no (two masters of three)", s, err)
	}

	// The master's writes reach its replica before it dies (WAIT), as
	// replication is asynchronous.
	if err := victim.Client(0).Do(ctx, "WAIT", 1, 5000).Err(); err != nil {
		t.Fatal(err)
	}
	victim.Kill()
	killed := time.Now()
	var back time.Duration
	if !until(30*time.Second, func() bool {
		for i := range 300 {
			if v, err := rdb.Get(ctx, fmt.Sprintf("k%d", i)).Int(); err != nil || v != i {
				return false
			}
		}
		back = time.Since(killed)
		return true
	}) {
		t.Fatal("keys of the killed master not served again within 30 s")
	}
	t.Logf("every key served again %v after its master was killed", back.Round(100*time.Millisecond))
	if id2, err := redisnodes.RunID(ctx, rdb); err != nil || id2 == id1 || len(strings.Split(id2, ",")) != 3 {
		t.Fatalf("run id after the failover %q (before %q), %v", id2, id1, err)
	}
}
