package pgreplica_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hokm-project/hokm/internal/metrics"
	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/internal/testenv/procs"
	"github.com/hokm-project/hokm/store/pgreplica"
)

// cluster is a primary of the test's own with a streaming replica, each
// behind a pool, and a Router over them (checked by hand: no loop).
type cluster struct {
	primary, replica *procs.Postgres
	p, r             *pgxpool.Pool
	router           *pgreplica.Router
}

func newCluster(t *testing.T, maxLag time.Duration) *cluster {
	t.Helper()
	c := &cluster{primary: procs.StartPostgres(t, procs.PostgresOptions{})}
	c.replica = c.primary.StartReplica()
	c.p, c.r = pool(t, c.primary.URL("postgres")), pool(t, c.replica.URL("postgres"))
	c.router = pgreplica.New(c.p, c.r, pgreplica.Options{MaxLag: maxLag})
	return c
}

func pool(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	p, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// server names which server answered a read through the router.
func (c *cluster) server(t *testing.T) string {
	t.Helper()
	var standby bool
	if err := c.router.QueryRow(context.Background(), "SELECT pg_is_in_recovery()").Scan(&standby); err != nil {
		t.Fatalf("read through the router: %v", err)
	}
	if standby {
		return "replica"
	}
	return "primary"
}

func write(t *testing.T, p *pgxpool.Pool, sql string) {
	t.Helper()
	if _, err := p.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func reads(pool string) float64 {
	return testutil.ToFloat64(metrics.PostgresReads.WithLabelValues(pool))
}

func TestReadsGoToTheReplicaWhileItKeepsUp(t *testing.T) {
	c := newCluster(t, 300*time.Millisecond)
	ctx := context.Background()
	if got := c.server(t); got != "primary" {
		t.Fatalf("before any check a read went to the %s", got)
	}
	c.router.Check(ctx)
	if !c.router.Usable() {
		t.Fatal("a replica that is caught up is not used")
	}
	before := reads("replica")
	if got := c.server(t); got != "replica" {
		t.Fatalf("a read went to the %s, want the replica", got)
	}
	if reads("replica") != before+1 {
		t.Fatalf("hokm_postgres_stale_reads_total{pool=replica} went from %v to %v", before, reads("replica"))
	}
	// What the primary writes reaches the reads.
	write(t, c.p, "CREATE TABLE t (v int); INSERT INTO t VALUES (7)")
	if !testenv.Until(10*time.Second, func() bool {
		var v int
		return c.router.QueryRow(ctx, "SELECT v FROM t").Scan(&v) == nil && v == 7
	}) {
		t.Fatal("a row written on the primary never showed through the router")
	}
	// An idle primary is no lag, however long ago its last write was.
	time.Sleep(400 * time.Millisecond)
	c.router.Check(ctx)
	if !c.router.Usable() || c.router.Lag() != 0 {
		t.Fatalf("idle and caught up: usable %v, lag %v", c.router.Usable(), c.router.Lag())
	}
	// A statement's own error is the caller's, not a reason to leave the replica.
	if err := c.router.QueryRow(ctx, "SELECT v FROM t WHERE v = 8").Scan(new(int)); !errors.Is(err, pgx.ErrNoRows) {
		t.Fatalf("no row: %v", err)
	}
	if err := c.router.QueryRow(ctx, "SELECT * FROM missing_table").Scan(); err == nil {
		t.Fatal("a query of a missing table succeeded")
	}
	if !c.router.Usable() {
		t.Fatal("a statement's own error took the reads off the replica")
	}
	// Writes never go to the replica.
	if _, err := c.router.Exec(ctx, "INSERT INTO t VALUES (9)"); err != nil {
		t.Fatalf("a write through the router: %v", err)
	}
}

func TestALaggingReplicaIsLeftUntilItCatchesUp(t *testing.T) {
	c := newCluster(t, 300*time.Millisecond)
	ctx := context.Background()
	c.router.Check(ctx)
	if !c.router.Usable() {
		t.Fatal("a replica that is caught up is not used")
	}
	write(t, c.r, "SELECT pg_wal_replay_pause()")
	write(t, c.p, "CREATE TABLE t (v int)")
	c.router.Check(ctx) // notes the primary's position the replica lacks
	if !testenv.Until(10*time.Second, func() bool { c.router.Check(ctx); return !c.router.Usable() }) {
		t.Fatalf("replay paused: still used, lag %v", c.router.Lag())
	}
	if c.router.Lag() < 300*time.Millisecond {
		t.Fatalf("left at a lag of %v, under the bound", c.router.Lag())
	}
	if got := c.server(t); got != "primary" {
		t.Fatalf("a lagging replica served a read")
	}
	var exists bool // the primary's data, not the replica's
	if err := c.router.QueryRow(ctx, "SELECT to_regclass('t') IS NOT NULL").Scan(&exists); err != nil || !exists {
		t.Fatalf("read of a table the replica lacks: %v %v", exists, err)
	}
	write(t, c.r, "SELECT pg_wal_replay_resume()")
	if !testenv.Until(10*time.Second, func() bool { c.router.Check(ctx); return c.router.Usable() }) {
		t.Fatalf("replay resumed: never used again, lag %v", c.router.Lag())
	}
	if got := c.server(t); got != "replica" {
		t.Fatalf("caught up again, a read went to the %s", got)
	}
}

func TestAReplicaDownCostsNoRead(t *testing.T) {
	c := newCluster(t, time.Second)
	ctx := context.Background()
	write(t, c.p, "CREATE TABLE t (v int); INSERT INTO t VALUES (1), (2)")
	if !testenv.Until(10*time.Second, func() bool { c.router.Check(ctx); return c.router.Usable() }) {
		t.Fatal("the replica never became usable")
	}
	if !testenv.Until(10*time.Second, func() bool {
		var n int
		return c.r.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n) == nil && n == 2
	}) {
		t.Fatal("the replica never got the rows")
	}
	fallbacks := testutil.ToFloat64(metrics.ReplicaFallbacks)
	c.replica.Stop("fast")
	// Before any check notices, each kind of read still succeeds: the
	// router runs it again on the primary.
	var n int
	if err := c.router.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil || n != 2 {
		t.Fatalf("QueryRow with the replica just stopped: %d, %v", n, err)
	}
	if c.router.Usable() {
		t.Fatal("a read the replica failed left it in use")
	}
	if got := testutil.ToFloat64(metrics.ReplicaFallbacks); got != fallbacks+1 {
		t.Fatalf("fallbacks %v → %v, want one more", fallbacks, got)
	}
	if got := c.server(t); got != "primary" {
		t.Fatalf("with the replica down a read went to the %s", got)
	}
	c.router.Check(ctx)
	if c.router.Usable() {
		t.Fatal("a check found a stopped replica usable")
	}

	// The same with Query and a batch read by callbacks, the replica
	// dying between checks again.
	c.replica.Start()
	if !testenv.Until(10*time.Second, func() bool { c.router.Check(ctx); return c.router.Usable() }) {
		t.Fatal("the replica, back, never became usable")
	}
	c.replica.Stop("fast")
	rows, err := c.router.Query(ctx, "SELECT v FROM t ORDER BY v")
	if err != nil {
		t.Fatalf("Query with the replica just stopped: %v", err)
	}
	vs, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil || len(vs) != 2 {
		t.Fatalf("Query with the replica just stopped: %v %v", vs, err)
	}
	c.replica.Start()
	if !testenv.Until(10*time.Second, func() bool { c.router.Check(ctx); return c.router.Usable() }) {
		t.Fatal("the replica, back, never became usable")
	}
	c.replica.Stop("fast")
	var count, sum int
	b := &pgx.Batch{}
	b.Queue("SELECT count(*) FROM t").QueryRow(func(row pgx.Row) error { return row.Scan(&count) })
	b.Queue("SELECT sum(v) FROM t").QueryRow(func(row pgx.Row) error { return row.Scan(&sum) })
	if err := c.router.SendBatch(ctx, b).Close(); err != nil || count != 2 || sum != 3 {
		t.Fatalf("batch with the replica just stopped: count %d sum %d, %v", count, sum, err)
	}
}
