// Package pgreplica sends the PostgreSQL reads that may be a little stale
// (history, stats, leaderboards, the dashboard, replay verification) to a
// streaming read replica while it answers and is close enough behind the
// primary, and to the primary otherwise.
//
// A Router is a DB (the method set of a pgx pool that the stores use):
// pgstore takes it for its stale reads. A loop checks the replica every
// Interval: its lag is measured against the primary's WAL position, so an
// idle primary reads as no lag and a replica whose replay is paused, or
// whose link to the primary is cut, reads as lagging from the moment the
// primary wrote what it lacks. While the replica is down or lags by more
// than MaxLag every read goes to the primary; a read the replica fails for
// a reason of its own (a refused or broken connection, a shutdown, a
// conflict with recovery) is run again on the primary at once, so a
// replica dying between two checks costs no caller an error.
package pgreplica

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hokm-project/hokm/internal/breaker"
	"github.com/hokm-project/hokm/internal/lifecycle"
	"github.com/hokm-project/hokm/internal/metrics"
)

// DB is what the stores call on PostgreSQL: a *pgxpool.Pool, or one behind
// the circuit breaker.
type DB = breaker.PgxDB

// Defaults of Options.
const (
	DefaultMaxLag   = 5 * time.Second
	DefaultInterval = 500 * time.Millisecond
)

// Options tune a Router.
type Options struct {
	MaxLag   time.Duration // the most a read may lag behind the primary; 0: DefaultMaxLag
	Interval time.Duration // between checks of the replica; 0: DefaultInterval
	Log      *slog.Logger  // state changes (nil: discard)
}

// Router routes stale-tolerant reads; see the package comment. Exec and
// Begin always go to the primary: only reads are routed.
type Router struct {
	primary, replica DB
	opt              Options

	usable atomic.Bool
	lag    atomic.Int64 // nanoseconds, as of the last check

	mu      sync.Mutex
	samples []sample // the primary's WAL position at each check, oldest first
	loops   lifecycle.Group
}

// sample is where the primary's WAL was at a time.
type sample struct {
	at  time.Time
	lsn int64
}

// New returns a Router over primary and replica. It sends reads to the
// primary until a check has found the replica usable: call Start (or
// Check).
func New(primary, replica DB, opt Options) *Router {
	if opt.MaxLag <= 0 {
		opt.MaxLag = DefaultMaxLag
	}
	if opt.Interval <= 0 {
		opt.Interval = DefaultInterval
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	r := &Router{primary: primary, replica: replica, opt: opt}
	metrics.RegisterReplica(r.Usable, r.Lag)
	return r
}

// Start checks the replica once, then every Interval until Stop.
func (r *Router) Start(ctx context.Context) error {
	r.Check(ctx)
	r.loops.Every(r.opt.Interval, nil, r.Check)
	return nil
}

// Stop ends the checks.
func (r *Router) Stop(ctx context.Context) error { return r.loops.Stop(ctx) }

// Usable reports whether reads go to the replica now.
func (r *Router) Usable() bool { return r.usable.Load() }

// Lag is the replica's lag at the last check (0 when it was caught up,
// unknown while it is down).
func (r *Router) Lag() time.Duration { return time.Duration(r.lag.Load()) }

// Check measures the replica now and routes reads accordingly: to the
// replica when it answered and lags by at most MaxLag.
func (r *Router) Check(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, max(r.opt.Interval, time.Second))
	defer cancel()
	lag, err := r.measure(ctx)
	switch {
	case err != nil:
		r.set(false, fmt.Sprintf("replica unreachable: %v", err))
	case lag > r.opt.MaxLag:
		r.lag.Store(int64(lag))
		r.set(false, fmt.Sprintf("replica lags %v (more than %v)", lag.Round(time.Millisecond), r.opt.MaxLag))
	default:
		r.lag.Store(int64(lag))
		r.set(true, "replica caught up")
	}
}

// measure reads the primary's WAL position, then what the replica has
// replayed: the lag is the age of the oldest position the replica has not
// reached, 0 when it has reached the newest.
func (r *Router) measure(ctx context.Context) (time.Duration, error) {
	var now int64
	err := r.primary.QueryRow(ctx, `SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint`).Scan(&now)
	at := time.Now()
	r.mu.Lock()
	if err == nil {
		r.samples = thin(append(r.samples, sample{at: at, lsn: now}), maxSamples)
	}
	r.mu.Unlock()
	// A primary down leaves the replica's state as it was: every read goes
	// through the primary's own failure path when the replica is unusable.
	var standby bool
	var replayed int64
	if err := r.replica.QueryRow(ctx, `SELECT pg_is_in_recovery(),
		(coalesce(pg_last_wal_replay_lsn(), '0/0'::pg_lsn) - '0/0'::pg_lsn)::bigint`).Scan(&standby, &replayed); err != nil {
		return 0, err
	}
	if !standby { // a server that is no replica (promoted, or the primary itself) is as fresh as it gets
		r.trim()
		return 0, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	// Positions the replica has reached are no longer needed, but the
	// newest is kept: the next check compares with it.
	i := 0
	for i < len(r.samples)-1 && r.samples[i].lsn <= replayed {
		i++
	}
	r.samples = r.samples[i:]
	if len(r.samples) == 0 || r.samples[0].lsn <= replayed {
		return 0, nil
	}
	return time.Since(r.samples[0].at), nil
}

// maxSamples bounds the samples kept while a replica stays behind (two a
// second: a replica stuck for a day would otherwise keep 170,000).
const maxSamples = 1024

// thin halves the samples between the oldest and the newest once there are
// more than max: the oldest (the lag) and the newest stay exact, the
// positions between are kept one in two — a replica catching up reads a lag
// that may be older than the truth, never younger.
func thin(samples []sample, max int) []sample {
	if len(samples) <= max {
		return samples
	}
	out := samples[:1]
	for i := 2; i < len(samples)-1; i += 2 {
		out = append(out, samples[i])
	}
	return append(out, samples[len(samples)-1])
}

// trim drops every sample but the newest.
func (r *Router) trim() {
	r.mu.Lock()
	if n := len(r.samples); n > 1 {
		r.samples = r.samples[n-1:]
	}
	r.mu.Unlock()
}

// set records whether the replica is usable, logging changes.
func (r *Router) set(ok bool, why string) {
	if r.usable.Swap(ok) != ok {
		if ok {
			r.opt.Log.Info("postgres replica: reads go to the replica", "why", why)
		} else {
			r.opt.Log.Warn("postgres replica: reads go to the primary", "why", why)
		}
	}
}

// pick is where a read goes now, counted by pool.
func (r *Router) pick() (DB, bool) {
	if r.usable.Load() {
		metrics.PostgresReads.WithLabelValues("replica").Inc()
		return r.replica, true
	}
	metrics.PostgresReads.WithLabelValues("primary").Inc()
	return r.primary, false
}

// failover reports whether a read the replica failed with err should be run
// on the primary instead — a failure of the replica, not of the read, and
// not the caller's context ending — and if so stops routing reads to the
// replica until a check finds it well again.
func (r *Router) failover(ctx context.Context, err error) bool {
	if err == nil || ctx.Err() != nil || !replicaFault(err) {
		return false
	}
	r.set(false, fmt.Sprintf("a read failed on the replica: %v", err))
	metrics.PostgresReads.WithLabelValues("primary").Inc()
	metrics.ReplicaFallbacks.Inc()
	return true
}

// replicaFault: err is the server or the connection failing rather than the
// statement (breaker.IsPostgresFailure: refused, reset, closed, shutting
// down, starting up, out of connections), or 40001, a hot standby
// cancelling a read that conflicts with its replay.
func replicaFault(err error) bool {
	var pe *pgconn.PgError
	return breaker.IsPostgresFailure(err) || errors.As(err, &pe) && pe.Code == "40001"
}

// Query runs a read on the replica or the primary.
func (r *Router) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	db, onReplica := r.pick()
	rows, err := db.Query(ctx, sql, args...)
	if onReplica && r.failover(ctx, err) {
		return r.primary.Query(ctx, sql, args...)
	}
	return rows, err
}

// QueryRow runs a one-row read on the replica or the primary; a replica
// failure shows at Scan, which then reads the row from the primary.
func (r *Router) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	db, onReplica := r.pick()
	row := db.QueryRow(ctx, sql, args...)
	if !onReplica {
		return row
	}
	return &routedRow{r: r, ctx: ctx, sql: sql, args: args, row: row}
}

type routedRow struct {
	r    *Router
	ctx  context.Context
	sql  string
	args []any
	row  pgx.Row
}

func (rr *routedRow) Scan(dest ...any) error {
	err := rr.row.Scan(dest...)
	if rr.r.failover(rr.ctx, err) {
		return rr.r.primary.QueryRow(rr.ctx, rr.sql, rr.args...).Scan(dest...)
	}
	return err
}

// SendBatch runs a batch of reads on the replica or the primary (a batch
// that begins a transaction goes to the primary). A replica failure at the
// batch's first result, or at Close when the results are read by the
// queries' callbacks, sends the whole batch again to the primary — so the
// callbacks run again and must set, not append; one after a result was
// read is returned (what was read came from the replica).
func (r *Router) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if len(b.QueuedQueries) > 0 && strings.HasPrefix(strings.ToLower(strings.TrimSpace(b.QueuedQueries[0].SQL)), "begin") {
		return r.primary.SendBatch(ctx, b)
	}
	db, onReplica := r.pick()
	if !onReplica {
		return db.SendBatch(ctx, b)
	}
	// Sending a batch fills its queries with what that connection prepared:
	// the replica gets a copy, so that the batch itself can still go to the
	// primary.
	return &routedBatch{r: r, ctx: ctx, b: b, br: db.SendBatch(ctx, clone(b))}
}

// clone is a new batch of b's queries, callbacks included.
func clone(b *pgx.Batch) *pgx.Batch {
	c := &pgx.Batch{QueuedQueries: make([]*pgx.QueuedQuery, 0, len(b.QueuedQueries))}
	for _, q := range b.QueuedQueries {
		c.Queue(q.SQL, q.Arguments...).Fn = q.Fn
	}
	return c
}

type routedBatch struct {
	r    *Router
	ctx  context.Context
	b    *pgx.Batch
	br   pgx.BatchResults
	done bool // a result was read from the replica, or the batch moved: no more moves
}

// retry moves the batch to the primary when err is the replica's failure
// and nothing was read from it yet.
func (rb *routedBatch) retry(err error) bool {
	if rb.done {
		return false
	}
	rb.done = true
	if !rb.r.failover(rb.ctx, err) {
		return false
	}
	rb.br.Close()
	rb.br = rb.r.primary.SendBatch(rb.ctx, rb.b)
	return true
}

func (rb *routedBatch) Exec() (pgconn.CommandTag, error) {
	tag, err := rb.br.Exec()
	if rb.retry(err) {
		return rb.br.Exec()
	}
	return tag, err
}

func (rb *routedBatch) Query() (pgx.Rows, error) {
	rows, err := rb.br.Query()
	if rb.retry(err) {
		return rb.br.Query()
	}
	return rows, err
}

func (rb *routedBatch) QueryRow() pgx.Row {
	if rb.done {
		return rb.br.QueryRow()
	}
	return batchRow{rb: rb, row: rb.br.QueryRow()}
}

func (rb *routedBatch) Close() error {
	err := rb.br.Close()
	if rb.retry(err) {
		return rb.br.Close()
	}
	return err
}

func (rb *routedBatch) Tx() pgx.Tx { return rb.br.Tx() }

type batchRow struct {
	rb  *routedBatch
	row pgx.Row
}

func (br batchRow) Scan(dest ...any) error {
	err := br.row.Scan(dest...)
	if br.rb.retry(err) {
		return br.rb.br.QueryRow().Scan(dest...)
	}
	return err
}

// Exec goes to the primary: only reads are routed.
func (r *Router) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return r.primary.Exec(ctx, sql, args...)
}

// Begin goes to the primary: a transaction may write.
func (r *Router) Begin(ctx context.Context) (pgx.Tx, error) { return r.primary.Begin(ctx) }

// Ping checks the primary (the replica is optional: its state is Usable).
func (r *Router) Ping(ctx context.Context) error { return r.primary.Ping(ctx) }
