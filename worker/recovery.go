package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/internal/lifecycle"
	"github.com/hokm-project/hokm/internal/logthrottle"
	"github.com/hokm-project/hokm/internal/metrics"
	"github.com/hokm-project/hokm/internal/panics"
	"github.com/hokm-project/hokm/internal/redisnodes"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/redisstore"
)

// RecoveryStore is what recovery needs of Redis.
type RecoveryStore interface {
	RecoveryNeeded(ctx context.Context) (runID string, needed bool, err error)
	RunID(ctx context.Context) (string, error)
	MarkRecovered(ctx context.Context, runID string) error
	TryLease(ctx context.Context, key, holder string, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, key, holder string) error
	RestoreTable(ctx context.Context, id, runID string, j *redisstore.Durable, rebuild bool) (redisstore.RestoreResult, error)
	EachTable(ctx context.Context, fn func(ids []string) error) error
	ReserveCode(ctx context.Context, code, tableID string) (bool, error)
	DecodeDurable(d redisstore.Durable) (table.Table, error)
	Keys() redisstore.Keys
}

// JournalReader reads PostgreSQL's table journal.
type JournalReader interface {
	LiveTables(ctx context.Context, since time.Time, after string, limit int) ([]pgstore.LiveTable, error)
	LiveTable(ctx context.Context, id string, since time.Time) (*pgstore.LiveTable, error)
	PassedFinished(ctx context.Context, limit int) ([]pgstore.LiveTable, error)
}

// RecoveryOptions tune a Recovery. Zero values take the defaults.
type RecoveryOptions struct {
	Interval time.Duration // between checks of the Redis run id; default 1 s
	LeaseTTL time.Duration // of the recovering worker's lease; default 30 s
	// MaxAge: journal rows older than this are not restored (their table
	// would have expired in Redis anyway); default 4 h (the game TTL).
	MaxAge time.Duration
	Holder string // this worker's name in the lease; default the consumer name
	// OnNewRedis runs when this process sees a Redis server it did not see
	// before (a restart or failover): re-create what the process keeps in
	// Redis (the consumer group). Errors are logged and retried next check.
	OnNewRedis []func(ctx context.Context) error
	Now        func() time.Time
	Log        *slog.Logger
}

// Recovery makes the workers survive Redis losing state. Every worker runs
// one; each Interval it asks Redis for its run id:
//   - a run id this process has not seen: Redis restarted or failed over, so
//     it re-creates what it needs there (OnNewRedis: the consumer group);
//   - a run id whose data has not been checked yet (redisstore.Keys.Boot):
//     the worker that gets the lease rebuilds every table — from the journal
//     where it is newer than Redis, and into a new epoch either way, so every
//     client starts over from a snapshot — then marks the run id checked.
//
// A table an action names that Redis does not have, or that has not been
// rebuilt since the server in use took over, is rebuilt on demand (Rebuild,
// the Processor's Rebuild option) — so play at a table does not wait for
// the whole pass, and no action is ever applied to a table that came back
// behind what its players saw. The run id of the server in use is known
// from every new connection (NoteRunID, before its first command), not
// only from the once-a-second check. After a rebuild the table's follow-up work
// runs as after any change (lobby listing, timers, the bot on turn, the
// persistence of a finished match, the journal) and the seat on turn gets a
// fresh deadline (the "resume" action): the outage does not count against
// the player.
type Recovery struct {
	store   RecoveryStore
	journal JournalReader
	proc    *Processor
	opts    RecoveryOptions

	runID   atomic.Value // string: the run id the last check saw (OnNewRedis ran for it)
	current atomic.Value // string: the run id of the server in use, as last seen by a connection or a check
	pending atomic.Bool  // the current run id's data is not checked yet
	kick    chan struct{}
	quiet   *logthrottle.Logger
	loops   lifecycle.Group
}

// NewRecovery returns a stopped Recovery; proc runs the follow-up work.
func NewRecovery(store RecoveryStore, journal JournalReader, proc *Processor, opts RecoveryOptions) *Recovery {
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = 30 * time.Second
	}
	if opts.MaxAge <= 0 {
		opts.MaxAge = 4 * time.Hour
	}
	if opts.Holder == "" {
		opts.Holder = proc.opts.Consumer
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	r := &Recovery{store: store, journal: journal, proc: proc, opts: opts, kick: make(chan struct{}, 1),
		quiet: logthrottle.New(opts.Log, logthrottle.DefaultInterval)}
	r.runID.Store("")
	r.current.Store("")
	return r
}

// Start checks once (so a worker started on a Redis that lost its data
// rebuilds before it reads actions) and then every Interval until Stop.
func (r *Recovery) Start(ctx context.Context) error {
	if err := r.Check(ctx); err != nil {
		r.opts.Log.Warn("redis recovery check", "err", err)
	}
	r.loops.Every(r.opts.Interval, r.kick, r.pass)
	return nil
}

// Stop ends the checks and waits for one in progress (bounded by ctx).
func (r *Recovery) Stop(ctx context.Context) error { return r.loops.Stop(ctx) }

func (r *Recovery) pass(ctx context.Context) {
	err := panics.Do("recovery", r.opts.Log, func() error { return r.Check(ctx) })
	r.quiet.Outcome(ctx, "redis recovery check failed; retrying every interval", err)
}

// Pending reports whether the tables of the Redis server in use still
// need their recovery (timers hold back meanwhile; a worker is not ready).
func (r *Recovery) Pending() bool { return r.pending.Load() }

// Ready is a readiness check: an error while a recovery is due.
func (r *Recovery) Ready(context.Context) error {
	if r.Pending() {
		return errors.New("tables not recovered yet after a Redis restart or failover")
	}
	return nil
}

// Check looks at Redis's run id once and recovers if that is due and this
// worker gets the lease.
func (r *Recovery) Check(ctx context.Context) error {
	runID, needed, err := r.store.RecoveryNeeded(ctx)
	if err != nil {
		return err
	}
	if prev := r.runID.Load().(string); prev != runID {
		if prev != "" {
			r.opts.Log.Warn("Redis server changed (restart or failover)", "run_id", runID, "previous", prev)
		}
		for _, f := range r.opts.OnNewRedis {
			if err := f(ctx); err != nil {
				return fmt.Errorf("after a new Redis server: %w", err)
			}
		}
		r.runID.Store(runID)
	}
	r.current.Store(runID)
	r.setPending(needed)
	if !needed {
		return nil
	}
	lease := r.store.Keys().RecoveryLease()
	got, err := r.store.TryLease(ctx, lease, r.opts.Holder, r.opts.LeaseTTL)
	if err != nil || !got {
		return err // another worker recovers
	}
	defer func() {
		if err := r.store.ReleaseLease(context.WithoutCancel(ctx), lease, r.opts.Holder); err != nil {
			r.opts.Log.Warn("releasing the recovery lease", "err", err)
		}
	}()
	start := r.opts.Now()
	rep, err := r.RecoverAll(ctx, runID)
	if err != nil {
		metrics.RedisRecoveries.WithLabelValues("failed").Inc()
		return fmt.Errorf("recover tables: %w", err)
	}
	metrics.RedisRecoveries.WithLabelValues("done").Inc()
	r.setPending(false)
	r.opts.Log.Info("tables recovered after a Redis restart or failover", "run_id", runID,
		"restored", rep.Restored, "kept", rep.Kept, "checked", rep.Checked, "persisted", rep.Persisted, "took", r.opts.Now().Sub(start).Round(time.Millisecond))
	return nil
}

func (r *Recovery) setPending(v bool) {
	r.pending.Store(v)
	metrics.RecoveryPending.Set(map[bool]float64{true: 1}[v])
}

// RecoveryReport is what one RecoverAll did.
type RecoveryReport struct {
	Checked   int // tables looked at (journal rows and Redis tables)
	Restored  int // rebuilt from the journal
	Kept      int // kept from Redis in a new epoch
	Persisted int // finished matches the journal had moved past, not stored: persisted again
}

// recoverPage is how many journal rows one query reads.
const recoverPage = 500

// RecoverAll rebuilds every table for Redis run runID: each journal row
// newer than MaxAge, then every table Redis has that the journal did not
// name; then it marks runID checked. Safe to run by several workers and
// again after a crash (each table is rebuilt once per run id).
func (r *Recovery) RecoverAll(ctx context.Context, runID string) (RecoveryReport, error) {
	var rep RecoveryReport
	seen := map[string]bool{}
	since := r.opts.Now().Add(-r.opts.MaxAge)
	lease := r.store.Keys().RecoveryLease()
	for after := ""; ; {
		rows, err := r.journal.LiveTables(ctx, since, after, recoverPage)
		if err != nil {
			return rep, err
		}
		for i := range rows {
			d := durableOf(&rows[i])
			if err := r.rebuild(ctx, runID, rows[i].ID, &d, &rep); err != nil {
				return rep, err
			}
			seen[rows[i].ID] = true
		}
		if len(rows) < recoverPage {
			break
		}
		after = rows[len(rows)-1].ID
		if _, err := r.store.TryLease(ctx, lease, r.opts.Holder, r.opts.LeaseTTL); err != nil {
			return rep, err
		}
	}
	err := r.store.EachTable(ctx, func(ids []string) error {
		for _, id := range ids {
			if !seen[id] {
				if err := r.rebuild(ctx, runID, id, nil, &rep); err != nil {
					return err
				}
			}
		}
		_, err := r.store.TryLease(ctx, lease, r.opts.Holder, r.opts.LeaseTTL)
		return err
	})
	if err != nil {
		return rep, err
	}
	if err := r.persistPassed(ctx, &rep); err != nil {
		return rep, err
	}
	return rep, r.store.MarkRecovered(ctx, runID)
}

// persistPassed persists again the finished matches not stored whose
// tables went on before they were (pgstore.PassedFinished): the rebuilt
// table no longer holds them, and Redis lost their persist tasks. A task
// still queued (a failover kept it) stores the match once with this one.
// One page of them: the reconcile job takes any beyond it (FinishedUnstored).
func (r *Recovery) persistPassed(ctx context.Context, rep *RecoveryReport) error {
	rows, err := r.journal.PassedFinished(ctx, recoverPage)
	if err != nil {
		return err
	}
	decode := func(row pgstore.LiveTable) (table.Table, error) { return r.store.DecodeDurable(durableOf(&row)) }
	for i := range rows {
		m, err := finishedRecord(&rows[i], decode)
		if err != nil { // (a row no key opens: logged, the others go on)
			r.opts.Log.Error("a finished match the journal kept cannot be read", "match_id", rows[i].MatchID, "err", err)
			continue
		}
		if err := r.proc.opts.Persist(ctx, m); err != nil {
			return err
		}
		rep.Persisted++
	}
	return nil
}

func (r *Recovery) rebuild(ctx context.Context, runID, id string, j *redisstore.Durable, rep *RecoveryReport) error {
	rep.Checked++
	res, err := r.store.RestoreTable(ctx, id, runID, j, true)
	if err != nil {
		return err
	}
	switch res.Outcome {
	case redisstore.OutcomeRestored:
		rep.Restored++
	case redisstore.OutcomeKept:
		rep.Kept++
	default:
		return nil
	}
	return r.after(ctx, id, res.Outcome)
}

// Rebuild brings table id up to date for the Redis server in use before an
// action is applied to it: a table Redis does not have comes back from the
// journal; one not rebuilt since that server took over is rebuilt as the
// recovery pass would (the newer of Redis and the journal, in a new epoch),
// so a worker never acts on a table that came back behind what its players
// saw, whether or not the pass has reached it. true when the table is in
// Redis now. A journal that cannot be read counts as no journal unless the
// table is missing and a recovery is pending (then the action waits).
func (r *Recovery) Rebuild(ctx context.Context, id string) (bool, error) {
	runID := r.ServerRunID()
	if runID == "" {
		var err error
		if runID, err = r.store.RunID(ctx); err != nil {
			return false, err
		}
	}
	var j *redisstore.Durable
	row, err := r.journal.LiveTable(ctx, id, r.opts.Now().Add(-r.opts.MaxAge))
	switch {
	case err != nil && r.Pending():
		return false, err
	case err != nil:
		r.opts.Log.Warn("table journal unreadable: the table is rebuilt from Redis alone", "table", id, "err", err)
	case row != nil:
		d := durableOf(row)
		j = &d
	}
	res, err := r.store.RestoreTable(ctx, id, runID, j, true)
	if err != nil {
		return false, err
	}
	r.opts.Log.Debug("table rebuilt before an action", "table", id, "run_id", runID, "journal", j != nil,
		"outcome", res.Outcome, "seq", res.Seq, "epoch", res.Epoch)
	switch res.Outcome {
	case redisstore.OutcomeRestored, redisstore.OutcomeKept:
		return true, r.after(ctx, id, "on_demand")
	}
	return res.Seq >= 0, nil // rebuilt meanwhile by someone else, or missing with no journal
}

// ServerRunID is the run id of the Redis server in use as last seen (by a
// new connection or a check); "" before either.
func (r *Recovery) ServerRunID() string { return r.current.Load().(string) }

// NoteRunID is told the server run id of every new Redis connection
// (before its first use). A run id not seen before means Redis restarted
// or failed over: the tables are stale from now on (each is rebuilt before
// use) and a check runs at once. On a cluster a connection tells its
// node's run id: one of the masters' that the current run id lists is not
// news; another one (a replica promoted, a master restarted) makes every
// table stale until the check has read the masters' run ids again. (Before
// the first check there is nothing to compare a node's run id with: the
// check is only hastened, else tables made meanwhile on one node would be
// stale as soon as a connection reached another.)
func (r *Recovery) NoteRunID(runID string) {
	prev := r.current.Load().(string)
	if redisnodes.RunIDHas(prev, runID) {
		return
	}
	if prev != "" || !r.store.Keys().Cluster {
		r.current.Store(runID)
	}
	r.setPending(true)
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// after publishes a rebuilt table's new epoch, gives the seat on turn a
// fresh deadline and runs the table's follow-up work.
func (r *Recovery) after(ctx context.Context, id, how string) error {
	metrics.TablesRestored.WithLabelValues(how).Inc()
	l, err := r.proc.store.LoadTable(ctx, id)
	if errors.Is(err, redisstore.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	msg := redisstore.Message{Epoch: l.Epoch, Restored: &redisstore.Restored{Seq: l.Seq, Reason: redisstore.RestoreReason}}
	if err := r.proc.store.Publish(ctx, id, msg); err != nil {
		return err
	}
	if code := l.Table.Options.Code; code != "" { // lost with Redis: friends still join by it
		if _, err := r.store.ReserveCode(ctx, code, id); err != nil {
			return err
		}
	}
	if l.Table.Deadline != 0 {
		if err := r.proc.store.Enqueue(ctx, ResumeAction(id, l.Epoch)); err != nil {
			return err
		}
	}
	return r.proc.followUp(ctx, Change{Table: &l.Table, Seq: l.Seq, Epoch: l.Epoch})
}

// ResumeAction restarts the clock of the seat on turn at a table rebuilt
// into epoch (sent through the table's partition, so it is applied in order
// with the table's other actions; its id makes it count once per epoch).
func ResumeAction(tableID string, epoch int64) redisstore.Action {
	return redisstore.Action{Table: tableID, User: TimerUser, ID: "r" + strconv.FormatInt(epoch, 10), Op: table.OpResume}
}

func durableOf(r *pgstore.LiveTable) redisstore.Durable {
	return redisstore.Durable{ID: r.ID, Epoch: r.Epoch, Seq: r.Seq, Meta: r.Meta, State: r.State}
}
