package procs_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/internal/testenv/procs"
)

func TestMain(m *testing.M) { procs.Main(m) }

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// TestRedis: a server with AOF keeps its data across SIGKILL, loses it on
// RestartEmpty, answers nothing while paused, and starts after its AOF
// tail was cut. (appendfsync always: with everysec Redis may hold the
// writes of an fsync's duration in memory, see tests/redisprod.)
func TestRedis(t *testing.T) {
	r := procs.StartRedis(t, procs.RedisOptions{AOF: true, AppendFsync: "always"})
	if r.Addr() == "127.0.0.1:6379" {
		t.Fatal("started on the system Redis' port")
	}
	c := r.Client(0)
	ctx := ctxT(t, 60*time.Second)
	for i := range 100 {
		if err := c.Set(ctx, fmt.Sprintf("k%03d", i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	pid := r.PID()
	r.RestartFromDisk() // SIGKILL, then start from the AOF
	if r.PID() == pid || r.Proc().Running() != true {
		t.Fatalf("not restarted: pid %d → %d", pid, r.PID())
	}
	if n := c.DBSize(ctx).Val(); n != 100 {
		t.Fatalf("%d keys after SIGKILL and restart from disk, want 100", n)
	}

	r.Pause()
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	err := c.Ping(short).Err()
	cancel()
	if err == nil {
		t.Fatal("a paused Redis answered")
	}
	r.Resume()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("after Resume: %v", err)
	}

	r.Kill()
	cut := r.TruncateAOF(10) // the last SET is incomplete: check-aof drops it
	if cut < 10 {
		t.Fatalf("TruncateAOF removed %d bytes, want ≥ 10", cut)
	}
	r.Start()
	if n := c.DBSize(ctx).Val(); n != 99 {
		t.Fatalf("%d keys after cutting the AOF's last command, want 99", n)
	}
	if c.Exists(ctx, "k099").Val() != 0 {
		t.Fatal("the cut command survived")
	}

	r.RestartEmpty()
	if n := c.DBSize(ctx).Val(); n != 0 {
		t.Fatalf("%d keys after RestartEmpty", n)
	}
	r.Term()
	if r.Running() {
		t.Fatal("running after Term")
	}
}

// TestSentinelSet: a failover by SIGKILL of the primary and one by
// SENTINEL FAILOVER each move the primary; the killed node rejoins as a
// replica, and the set is stable with it.
func TestSentinelSet(t *testing.T) {
	start := time.Now()
	s := procs.StartSentinelSet(t, procs.SentinelOptions{})
	t.Logf("set up in %v", time.Since(start).Round(time.Millisecond))
	if len(s.SentinelAddrs()) != 3 || s.MasterName() == "" {
		t.Fatalf("sentinels %v master %q", s.SentinelAddrs(), s.MasterName())
	}
	first, second := s.Primary(), s.Replica()
	ctx := ctxT(t, 2*time.Minute)
	if err := first.Client(0).Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if !until(5*time.Second, func() bool { return second.Client(0).Get(ctx, "k").Val() == "v" }) {
		t.Fatal("the replica never got k")
	}

	start = time.Now()
	killed := s.KillPrimary()
	now := s.WaitPrimaryChanged(killed, 30*time.Second)
	if killed != first.Addr() || now != second.Addr() {
		t.Fatalf("after SIGKILL of %s the primary is %s, want %s", killed, now, second.Addr())
	}
	t.Logf("SIGKILL of the primary: new primary after %v", time.Since(start).Round(time.Millisecond))
	s.Rejoin(first)
	s.WaitStable(30 * time.Second)
	if s.Replica() != first {
		// Under load the new primary can miss the Sentinels' pings for
		// down-after (1 s) just after its promotion: they fail over again,
		// to the node that just rejoined — which it could only take as a
		// replica that had synced. The roles are then the other way round.
		t.Logf("the Sentinels failed over again, to the rejoined %s", first.Addr())
		first, second = second, first
	}

	start = time.Now()
	old := s.Failover()
	now = s.WaitPrimaryChanged(old, 30*time.Second)
	if old != second.Addr() || now != first.Addr() {
		t.Fatalf("failover %s → %s, want %s → %s", old, now, second.Addr(), first.Addr())
	}
	t.Logf("SENTINEL FAILOVER: new primary after %v", time.Since(start).Round(time.Millisecond))
	if v := first.Client(0).Get(ctx, "k").Val(); v != "v" {
		t.Fatalf("the new primary has k=%q", v)
	}
}

// TestRedisCluster: three masters with a replica each form a cluster that
// serves every slot; SIGKILL of a master holding keys moves its slots to
// its replica, and every key reads and writes again (the time it takes is
// logged: the node timeout is 1 s).
func TestRedisCluster(t *testing.T) {
	start := time.Now()
	c := procs.StartRedisCluster(t, 3, procs.RedisOptions{})
	t.Logf("3 masters + 3 replicas formed in %v", time.Since(start).Round(time.Millisecond))
	if n := len(c.Masters()); n != 3 {
		t.Fatalf("%d masters, want 3", n)
	}
	ctx := ctxT(t, 2*time.Minute)
	cl := c.Client()
	for i := range 100 {
		if err := cl.Set(ctx, fmt.Sprintf("k%d", i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	// Replication is asynchronous: a master killed at once would take
	// acknowledged writes with it. WAIT until each has reached its replica.
	if err := cl.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
		if n, err := m.Wait(ctx, 1, 5*time.Second).Result(); err != nil || n < 1 {
			return fmt.Errorf("WAIT on %s: %d replicas, %v", m.Options().Addr, n, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	victim := c.Masters()[0]
	n, err := victim.Client(0).DBSize(ctx).Result()
	if err != nil || n == 0 {
		t.Fatalf("the master to kill holds %d keys, %v", n, err)
	}
	start = time.Now()
	victim.Kill()
	if err := c.WaitHealthy(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	var last error
	if !until(30*time.Second, func() bool {
		for i := range 100 {
			if v, err := cl.Get(ctx, fmt.Sprintf("k%d", i)).Int(); err != nil || v != i {
				last = fmt.Errorf("k%d = %d, %v", i, v, err)
				return false
			}
		}
		last = cl.Set(ctx, "after", 1, 0).Err()
		return last == nil
	}) {
		t.Fatalf("the keys of the killed master never came back: %v", last)
	}
	t.Logf("SIGKILL of a master holding %d keys: every key served again after %v", n, time.Since(start).Round(time.Millisecond))
	if n := len(c.Masters()); n != 3 {
		t.Fatalf("%d masters after the failover, want 3 (the replica promoted)", n)
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

// TestPostgres: a row survives an immediate stop (a crash) and a SIGKILL
// of the postmaster; a paused server answers nothing until resumed.
func TestPostgres(t *testing.T) {
	start := time.Now()
	pg := procs.StartPostgres(t, procs.PostgresOptions{})
	t.Logf("started in %v", time.Since(start).Round(time.Millisecond))
	if pg.Addr() == "127.0.0.1:5432" {
		t.Fatal("started on the system PostgreSQL's port")
	}
	url := pg.CreateDB("harness")
	ctx := ctxT(t, 2*time.Minute)
	exec := func(sql string) error {
		c, err := pgx.Connect(ctx, url)
		if err != nil {
			return err
		}
		defer c.Close(context.Background())
		_, err = c.Exec(ctx, sql)
		return err
	}
	// count counts rows 1 and 3: the INSERT sent to the paused server is
	// in its socket and may run once it resumes.
	count := func() int {
		t.Helper()
		c, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(context.Background())
		var n int
		if err := c.QueryRow(ctx, "SELECT count(*) FROM t WHERE x IN (1, 3)").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if err := exec("CREATE TABLE t (x int); INSERT INTO t VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	pg.Stop("immediate")
	if pg.Running() {
		t.Fatal("running after Stop")
	}
	pg.Start()
	if n := count(); n != 1 {
		t.Fatalf("%d rows after an immediate stop, want 1", n)
	}

	c, err := pgx.Connect(ctx, url) // a backend of its own, paused too
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	pg.Pause()
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	_, err = c.Exec(short, "INSERT INTO t VALUES (2)")
	cancel()
	if err == nil {
		t.Fatal("a paused PostgreSQL answered")
	}
	short, cancel = context.WithTimeout(ctx, 300*time.Millisecond)
	_, err = pgx.Connect(short, url)
	cancel()
	if err == nil {
		t.Fatal("a paused PostgreSQL accepted a connection")
	}
	pg.Resume()
	if err := exec("INSERT INTO t VALUES (3)"); err != nil {
		t.Fatalf("after Resume: %v", err)
	}

	pg.Kill()
	pg.Start()
	if n := count(); n != 2 {
		t.Fatalf("%d rows after SIGKILL, want 2", n)
	}
	pg.Stop("fast")
}

// TestHokm: a gateway on the harness' own Redis and PostgreSQL becomes
// ready, stalls while paused, drains on SIGTERM with status 0; a killed
// one reports SIGKILL.
func TestHokm(t *testing.T) {
	r := procs.StartRedis(t, procs.RedisOptions{})
	pg := procs.StartPostgres(t, procs.PostgresOptions{})
	h := procs.NewHokm(t, "HOKM_REDIS_URL="+r.URL(0), "HOKM_DATABASE_URL="+pg.URL("hokm"), "HOKM_OPS_ADDR=off")
	mig := h.Start("migrate", nil, "migrate")
	if !mig.Wait(60*time.Second) || mig.ExitCode() != 0 || !strings.Contains(mig.Output(), "migrations applied") {
		t.Fatalf("hokm migrate: exit %d %v", mig.ExitCode(), mig.Err())
	}
	addr := procs.FreePort(t)
	gw := h.Start("gateway", []string{"HOKM_HTTP_ADDR=" + addr}, "gateway")
	gw.WaitReady(addr)

	gw.Pause()
	hc := &http.Client{Timeout: 300 * time.Millisecond}
	if resp, err := hc.Get("http://" + addr + "/readyz"); err == nil {
		resp.Body.Close()
		t.Fatal("a paused gateway answered")
	}
	gw.Resume()
	gw.WaitReady(addr)
	gw.Term()
	if !gw.Wait(15*time.Second) || gw.ExitCode() != 0 {
		t.Fatalf("gateway after SIGTERM: running %v, exit %d, %v", gw.Running(), gw.ExitCode(), gw.Err())
	}
	if out := gw.Output(); !strings.Contains(out, "msg=draining") || !strings.Contains(out, "msg=stopped") {
		t.Fatalf("the gateway did not say it was draining, then stopped:\n%s", out)
	}

	gw2 := h.Start("gateway 2", []string{"HOKM_HTTP_ADDR=" + addr}, "gateway")
	gw2.WaitReady(addr)
	gw2.Kill()
	if gw2.Signaled() != syscall.SIGKILL || gw2.ExitCode() != -1 {
		t.Fatalf("killed gateway: signal %v exit %d", gw2.Signaled(), gw2.ExitCode())
	}
}
