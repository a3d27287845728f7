package worker

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/bot"
	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/gateway/protocol"
	"github.com/hokm-project/hokm/internal/config"
	"github.com/hokm-project/hokm/internal/lifecycle"
	"github.com/hokm-project/hokm/internal/logthrottle"
	"github.com/hokm-project/hokm/internal/metrics"
	"github.com/hokm-project/hokm/internal/panics"
	"github.com/hokm-project/hokm/internal/redisnodes"
	"github.com/hokm-project/hokm/store/redisstore"
)

// Store is what the action path needs of the Redis store.
type Store interface {
	LoadTable(ctx context.Context, id string) (redisstore.Loaded, error)
	Commit(ctx context.Context, c redisstore.Commit) (redisstore.CommitOutcome, error)
	Answer(ctx context.Context, tableID string, epoch int64, r redisstore.Result) (redisstore.CommitOutcome, error)
	Publish(ctx context.Context, tableID string, m redisstore.Message) error
	Enqueue(ctx context.Context, a redisstore.Action) error
}

// Options configure an Actions processor. Zero values take the defaults.
type Options struct {
	Group       string        // consumer group, default "workers"
	Consumer    string        // consumer name, default host-pid
	Block       time.Duration // XREADGROUP block, default 500ms
	ReclaimIdle time.Duration // take over entries pending this long, default 5s
	Batch       int64         // entries per read, default 16
	// MaxAttempts is how many failed attempts make an action poison: after
	// that many deliveries that panicked or never came back (the worker
	// died), the action is moved to the dead-letter hash and its sender is
	// answered internal_error. Attempts that failed with an ordinary error
	// (a dependency down) do not count. Default 5.
	MaxAttempts int64
	// Persist schedules the persistence of a finished match; it must be
	// idempotent per match id (the task id does that).
	Persist func(ctx context.Context, m table.MatchRecord) error
	Bot     func(game.View) game.Action // default: the heuristic bot
	// AfterChange runs after every committed change of a table (and again
	// when a duplicate is answered), with the table as it now is (and as it
	// was, see Change). Each must be idempotent; an error leaves the action
	// pending for a retry.
	AfterChange []Hook
	// Rebuild, when set, is asked to bring a table up to date before an
	// action is applied to it: one Redis does not have (lost in a restart or
	// failover), or one not rebuilt since the Redis server now in use took
	// over (its run id is not ServerRunID's: it may be behind what its
	// players saw). true when the table is there now. See Recovery.Rebuild.
	Rebuild func(ctx context.Context, tableID string) (bool, error)
	// ServerRunID, when set, is the run id of the Redis server in use (""
	// when not known yet).
	ServerRunID func() string
	Now         func() time.Time
	// Seed gives the seed of each new match's deal; default a random one
	// (tests fix it to know the hands).
	Seed func() uint64
	Log  *slog.Logger
	// CacheTables is how many tables the processor keeps as it last
	// committed them, to apply the next action without reading the table
	// (see tableCache); default 8192, negative: none.
	CacheTables int

	// beforeApply, set only by tests, runs at the start of each Process
	// (to inject a panic).
	beforeApply func(redisstore.Action)
}

func (o Options) withDefaults() Options {
	if o.Group == "" {
		o.Group = "workers"
	}
	if o.Consumer == "" {
		host, _ := os.Hostname()
		o.Consumer = host + "-" + strconv.Itoa(os.Getpid())
	}
	if o.Block == 0 {
		// The server's clients end a blocked read when its context is
		// cancelled (ContextTimeoutEnabled, internal/redisconn); a client
		// without that waits out the block before stopping. Idle cost: two
		// cheap calls per second per partition.
		o.Block = 500 * time.Millisecond
	}
	if o.ReclaimIdle == 0 {
		o.ReclaimIdle = config.DefaultReclaimIdle
	}
	if o.Batch == 0 {
		o.Batch = 16
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = config.DefaultActionMaxAttempts
	}
	if o.Bot == nil {
		o.Bot = bot.NewHeuristic().Choose
	}
	if o.Seed == nil {
		o.Seed = randomSeed
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.CacheTables == 0 {
		o.CacheTables = 8192
	}
	if o.Persist == nil {
		o.Persist = func(context.Context, table.MatchRecord) error { return nil }
	}
	return o
}

// maxAttempts bounds compare-and-set retries of one action under contention.
const maxAttempts = 20

// Processor applies actions to tables. Process is safe for concurrent use.
type Processor struct {
	store Store
	opts  Options
	cache *tableCache // nil: none
}

// NewProcessor returns a Processor on store.
func NewProcessor(store Store, opts Options) *Processor {
	p := &Processor{store: store, opts: opts.withDefaults()}
	if p.opts.CacheTables > 0 {
		p.cache = newTableCache(p.opts.CacheTables, p.opts.Now)
	}
	return p
}

// RebuildWith sets Options.Rebuild and ServerRunID (the Recovery of the
// same worker needs the Processor first). Call it before the processor runs.
func (p *Processor) RebuildWith(rebuild func(ctx context.Context, tableID string) (bool, error), runID func() string) {
	p.opts.Rebuild, p.opts.ServerRunID = rebuild, runID
}

// Process applies one action and publishes its answer. It returns an error
// only for infrastructure faults (the action should then stay pending and
// be retried) or a bug: a panic is recovered into a *panics.Error (logged
// with its stack, counted in hokm_panics_total{component="worker"}).
// Refusals are answers, not errors. A panic never leaves a table half
// changed: a change is one compare-and-set script (Store.Commit), and
// what follows it is idempotent.
func (p *Processor) Process(ctx context.Context, a redisstore.Action) error {
	return p.counted(ctx, func() error {
		if p.opts.beforeApply != nil {
			p.opts.beforeApply(a)
		}
		return p.process(ctx, a)
	})
}

// counted runs the handling of one action: counted as a request, its
// failure as an internal error (unless the worker is stopping), a panic
// recovered into a *panics.Error.
func (p *Processor) counted(ctx context.Context, run func() error) (err error) {
	metrics.Request(metrics.ComponentWorker)
	defer func() {
		if err != nil && ctx.Err() == nil { // not a worker stopping
			metrics.Error(metrics.ComponentWorker, "internal")
		}
	}()
	defer panics.Catch(metrics.ComponentWorker, p.opts.Log, &err)
	return run()
}

// env is the environment an action is applied in. Once: each copy of a
// table, read or taken from the cache, is applied to once (a retry reads
// again), so its move list may grow in place.
func (p *Processor) env() table.Env {
	return table.Env{Now: p.opts.Now().UnixMilli(), Seed: p.opts.Seed(), Once: true}
}

// committed does what follows a commit of next, applied to loaded, that
// wrote seq at time at: the table is kept for the next action, and its
// follow-up runs.
//
// The cache keeps loaded itself, rewritten as the table after the commit:
// the action took it (from the cache or a read) and nothing holds it once
// the follow-up, which reads it as the table before, is done.
func (p *Processor) committed(ctx context.Context, a *redisstore.Action, loaded *redisstore.Loaded, next *table.Table, out *redisstore.CommitOutcome, at time.Time) error {
	metrics.MoveApplied(string(a.Op), a.At, at)
	err := p.followUp(ctx, Change{Table: next, Seq: out.NewSeq, Epoch: loaded.Epoch, Before: &loaded.Table, From: loaded.Seq, Durable: out.Durable})
	*loaded = out.Loaded(loaded, next)
	p.cache.put(loaded)
	return err
}

func (p *Processor) process(ctx context.Context, a redisstore.Action) error {
	cmd, code := command(&a)
	res := redisstore.Result{User: a.User, ID: a.ID, Hash: fingerprint(&a)}
	rebuiltUnder := "-" // the server run id of the last rebuild ("-": none)
	for attempt := 0; attempt < maxAttempts; attempt++ {
		// A cached copy only ever leads to a commit: anything else it would
		// decide is decided again on a fresh read (the next attempt).
		loaded, cached := p.cache.take(a.Table)
		var err error
		if !cached {
			var l redisstore.Loaded
			l, err = p.store.LoadTable(ctx, a.Table)
			loaded = &l
		}
		if cached && (code != "" || p.stale(loaded)) {
			continue
		}
		if p.opts.Rebuild != nil && (errors.Is(err, redisstore.ErrNotFound) || err == nil && p.stale(loaded)) {
			now := p.serverRunID()
			if rebuiltUnder == now {
				if errors.Is(err, redisstore.ErrNotFound) && rebuiltUnder != "" {
					// Rebuilt, then gone: the server changed under the
					// rebuild. Left pending, the action is tried again.
					return fmt.Errorf("table %s vanished after its rebuild", a.Table)
				}
			} else {
				back, rerr := p.opts.Rebuild(ctx, a.Table)
				if rerr != nil {
					return rerr
				}
				if rebuiltUnder = now; back {
					continue
				}
			}
		}
		if errors.Is(err, redisstore.ErrNotFound) {
			return p.answerMissingTable(ctx, a, res)
		}
		if err != nil {
			return err
		}
		if code != "" {
			res.Code, res.Seq = string(code), loaded.Seq
			metrics.Error(metrics.ComponentWorker, res.Code)
			return p.answer(ctx, loaded, res)
		}
		next, evs, err := table.Apply(loaded.Table, a.User, cmd, p.env())
		if err != nil && cached {
			continue
		}
		if err != nil {
			c := table.CodeOf(err)
			if c == "" {
				return fmt.Errorf("apply %s: %w", a.Op, err)
			}
			res.Code, res.Seq = string(c), loaded.Seq
			metrics.Error(metrics.ComponentWorker, res.Code)
			p.opts.Log.Debug("action refused", "table", a.Table, "user", a.User, "id", a.ID, "op", a.Op, "arg", a.Arg,
				"code", res.Code, "seq", loaded.Seq, "epoch", loaded.Epoch, "on_turn", loaded.Table.OnTurn(),
				"seat", loaded.Table.SeatOf(a.User))
			return p.answer(ctx, loaded, res)
		}
		out, err := p.store.Commit(ctx, redisstore.CommitOf(loaded, &next, res, Entries(&next, evs, loaded.Seq)))
		if cached {
			switch {
			case errors.Is(err, redisstore.ErrConflict):
				p.cache.outcome(true)
				continue // stale: read again
			case err != nil || out.Dup != nil:
				continue // decided again on a fresh read
			}
			p.cache.outcome(false)
		}
		switch {
		case errors.Is(err, redisstore.ErrConflict):
			continue // the table moved on: read it again
		case errors.Is(err, redisstore.ErrNotFound):
			continue // gone since it was read (Redis restarted meanwhile?): read it again, rebuilding it if need be
		case errors.Is(err, redisstore.ErrLogAhead):
			// The table's state was lost while its log survived: refuse
			// loudly rather than leave the action pending forever.
			p.opts.Log.Error("table state behind its event log", "table", a.Table, "err", err)
			res.Code, res.Seq = string(protocol.CodeUnavailable), loaded.Seq
			metrics.Error(metrics.ComponentWorker, res.Code)
			return p.store.Publish(ctx, a.Table, redisstore.Message{Epoch: loaded.Epoch, Result: &res})
		case err != nil:
			return err
		case out.Dup != nil:
			return p.repeat(ctx, loaded, res, out.Dup)
		}
		return p.committed(ctx, &a, loaded, &next, &out, time.Now())
	}
	return fmt.Errorf("action %s at table %s: still conflicting after %d attempts", a.ID, a.Table, maxAttempts)
}

// prepared is an action applied to its table's cached copy, its commit
// ready to go out with other tables' (Consumer.handle).
type prepared struct {
	loaded *redisstore.Loaded // the cache's copy, taken
	next   table.Table
	commit redisstore.Commit
	at     time.Time // when the commit was applied, as near as the worker knows (the move latency's end)
}

// prepare applies a to its table's cached copy when that copy alone can
// decide it, as the first attempt of process would: a command that parses,
// a copy made under the Redis server in use, a change the rules accept. It
// returns nil otherwise (the action then takes Process's path, as does a
// prepared commit that does not go through: see finish).
func (p *Processor) prepare(a *redisstore.Action) (pr *prepared) {
	if p.opts.beforeApply != nil {
		return nil
	}
	cmd, code := command(a)
	if code != "" {
		return nil
	}
	loaded, ok := p.cache.takeHit(a.Table)
	if !ok || p.stale(loaded) {
		return nil
	}
	defer func() {
		if recover() != nil {
			pr = nil // Process applies it again, and reports the panic
		}
	}()
	next, evs, err := table.Apply(loaded.Table, a.User, cmd, p.env())
	if err != nil {
		return nil
	}
	pr = &prepared{loaded: loaded, next: next}
	res := redisstore.Result{User: a.User, ID: a.ID, Hash: fingerprint(a)}
	pr.commit = redisstore.CommitOf(pr.loaded, &pr.next, res, Entries(&pr.next, evs, loaded.Seq))
	return pr
}

// finish completes a prepared action whose commit came back as r. A commit
// that did not write (a stale copy, a repeated id, a failure) is decided
// again by Process on a fresh read, as process's own cached attempt is.
func (p *Processor) finish(ctx context.Context, a redisstore.Action, pr *prepared, r redisstore.CommitResult) error {
	if r.Err != nil || !r.Out.Wrote {
		if errors.Is(r.Err, redisstore.ErrConflict) {
			p.cache.outcome(true)
		}
		return p.Process(ctx, a)
	}
	return p.counted(ctx, func() error {
		p.cache.outcome(false)
		return p.committed(ctx, &a, pr.loaded, &pr.next, &r.Out, pr.at)
	})
}

// stale reports whether l was not created or rebuilt under the Redis
// server now in use. On a cluster a table is created under its node's run
// id, which is one of the masters' that the current run id lists while
// that node serves; it is rebuilt under the masters' run id.
func (p *Processor) stale(l *redisstore.Loaded) bool {
	now := p.serverRunID()
	return now != "" && l.RunID != now && !redisnodes.RunIDHas(now, l.RunID)
}

func (p *Processor) serverRunID() string {
	if p.opts.ServerRunID == nil {
		return ""
	}
	return p.opts.ServerRunID()
}

// answer records a refusal (or finds the earlier answer to the same id).
func (p *Processor) answer(ctx context.Context, l *redisstore.Loaded, res redisstore.Result) error {
	out, err := p.store.Answer(ctx, l.Table.ID, l.Epoch, res)
	if err != nil {
		return err
	}
	if out.Dup != nil {
		return p.repeat(ctx, l, res, out.Dup)
	}
	return nil
}

// repeat answers an action id seen before: the stored answer again, or
// action_id_reused when the id now comes with another request. The table's
// follow-up work is re-run in case the first attempt died before it.
func (p *Processor) repeat(ctx context.Context, l *redisstore.Loaded, res redisstore.Result, stored *redisstore.Result) error {
	if stored.Hash != res.Hash {
		res.Code, res.Seq = string(protocol.CodeActionIDReused), l.Seq
		metrics.Error(metrics.ComponentWorker, res.Code)
		stored = &res
	}
	if err := p.store.Publish(ctx, l.Table.ID, redisstore.Message{Epoch: l.Epoch, Result: stored}); err != nil {
		return err
	}
	return p.followUp(ctx, Change{Table: &l.Table, Seq: l.Seq, Epoch: l.Epoch})
}

// answerMissingTable answers an action for a table that does not exist.
// Nothing is recorded (there is no table to attach it to).
func (p *Processor) answerMissingTable(ctx context.Context, a redisstore.Action, res redisstore.Result) error {
	p.opts.Log.Debug("action for a missing table", "table", a.Table, "user", a.User, "id", a.ID, "op", a.Op)
	res.Code = string(table.CodeNotInGame)
	if a.Op == table.OpSit {
		res.Code = string(protocol.CodeTableNotFound)
	}
	metrics.Error(metrics.ComponentWorker, res.Code)
	return p.store.Publish(ctx, a.Table, redisstore.Message{Result: &res})
}

// followUp does what the table's state calls for after a change: persist a
// finished match, or let a bot whose turn it is play. Both are idempotent,
// so running it again after a crash or a duplicate is harmless.
func (p *Processor) followUp(ctx context.Context, c Change) error {
	t, seq := c.Table, c.Seq
	switch {
	case t.Status == table.Finished:
		if err := p.opts.Persist(ctx, t.MatchRecord()); err != nil {
			return fmt.Errorf("schedule persistence of %s: %w", t.MatchID(), err)
		}
	case t.Status == table.Playing && t.IsBot(t.Game.Turn):
		if err := p.store.Enqueue(ctx, botAction(t, t.Game.Turn, seq, p.opts.Bot)); err != nil {
			return err
		}
	}
	for _, h := range p.opts.AfterChange {
		if err := h(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

// Entries numbers the events after seq and encodes them for the log; a
// private event names the user holding its seat in t (the table after
// the change), the only one who may ever read it, and a "table" event is
// marked as such (Entry.Meta).
func Entries(t *table.Table, evs []table.Event, seq int64) []redisstore.Entry {
	out := make([]redisstore.Entry, len(evs))
	for i, e := range evs {
		out[i] = redisstore.Entry{Seq: seq + int64(i) + 1, To: e.To, E: mustJSON(e.Data)}
		_, out[i].Meta = e.Data.(table.MetaEvent)
		if e.Public != nil {
			out[i].P = mustJSON(e.Public)
		}
		if e.To >= 0 {
			out[i].U = noOne
			if p := t.Seats[e.To]; p != nil {
				out[i].U = p.ID
			}
		}
	}
	return out
}

// noOne holds an empty seat in a private entry: no user matches it.
const noOne = "-"

// appender is an event that writes its own JSON (game.Event, table.Turned:
// every card's), which then needs no reflection nor encoding/json's check.
type appender interface {
	AppendJSON([]byte) ([]byte, error)
}

func mustJSON(v any) json.RawMessage {
	var raw []byte
	var err error
	if a, ok := v.(appender); ok {
		raw, err = a.AppendJSON(make([]byte, 0, 96))
	} else {
		raw, err = json.Marshal(v)
	}
	if err != nil {
		panic(fmt.Sprintf("worker: encode %T: %v", v, err)) // our own event types always encode
	}
	return raw
}

func randomSeed() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:])
}

// Change is a committed change of a table, as AfterChange hooks see it.
type Change struct {
	Table *table.Table // the table as it now is
	Seq   int64        // its seq
	Epoch int64        // and epoch (what orders its timers after a rebuild: TimerHook)
	// Before is the table as the change found it, at seq From. It is nil
	// when the hooks run again for an action answered before (a duplicate)
	// or after a table's rebuild: an earlier run may have failed, so each
	// hook does all its work then.
	Before *table.Table
	From   int64
	// Durable is the table's journal form as its commit wrote it; nil when
	// the hooks run for anything but a commit (a duplicate, a rebuild).
	Durable *redisstore.Durable
}

// Hook is work that follows every committed change of a table
// (Options.AfterChange).
type Hook func(ctx context.Context, c Change) error

// streamStore is what the stream loop needs besides Store.
type streamStore interface {
	EnsureGroup(ctx context.Context, group string) error
	ReadActions(ctx context.Context, group, consumer string, p int, count int64, block time.Duration) ([]redisstore.StreamEntry, error)
	Reclaim(ctx context.Context, group, consumer string, p int, minIdle time.Duration, count int64) ([]redisstore.StreamEntry, error)
	AckAndRead(ctx context.Context, group, consumer string, p int, ids []string, count int64) ([]redisstore.StreamEntry, error)
	AckIDs(ctx context.Context, group string, p int, ids []string) error
	Uncount(ctx context.Context, group, consumer string, e redisstore.StreamEntry) error
	DeadLetterAction(ctx context.Context, group, consumer string, e redisstore.StreamEntry, reason string) (redisstore.DeadAction, bool, error)
}

// Consumer runs a Processor over every partition of the action stream.
type Consumer struct {
	proc       *Processor
	stream     streamStore
	partitions int
	loops      lifecycle.Group
	lastRead   []atomic.Int64      // per partition: unix ns of the last read that did not fail
	quiet      *logthrottle.Logger // an outage fails every read and every action: one line per 10 s
}

// NewConsumer returns a Consumer reading partitions 0..partitions-1.
func NewConsumer(proc *Processor, stream streamStore, partitions int) *Consumer {
	return &Consumer{proc: proc, stream: stream, partitions: partitions, lastRead: make([]atomic.Int64, partitions),
		quiet: logthrottle.New(proc.opts.Log, logthrottle.DefaultInterval)}
}

// Reading reports an error unless every partition has been read without
// an error within the last maxAge (a readiness check: a worker whose reads
// keep failing does no work).
func (c *Consumer) Reading(maxAge time.Duration) error {
	now := time.Now().UnixNano()
	for p := range c.lastRead {
		if last := c.lastRead[p].Load(); now-last > maxAge.Nanoseconds() {
			return fmt.Errorf("partition %d not read for %v", p, time.Duration(now-last).Round(time.Millisecond))
		}
	}
	return nil
}

// Start creates the consumer group if needed and starts one reader per
// partition plus the reclaimer. It returns at once.
func (c *Consumer) Start(ctx context.Context) error {
	if err := c.stream.EnsureGroup(ctx, c.proc.opts.Group); err != nil {
		return err
	}
	now := time.Now().UnixNano() // the group exists: reading starts now
	for part := 0; part < c.partitions; part++ {
		c.lastRead[part].Store(now)
		c.loops.Go(func(ctx context.Context) { c.read(ctx, part) })
	}
	c.loops.Every(c.proc.opts.ReclaimIdle/2, nil, c.reclaim)
	return nil
}

// Stop stops reading and waits for the actions in hand to finish (bounded
// by ctx). Entries read but not processed stay pending for a reclaim.
func (c *Consumer) Stop(ctx context.Context) error { return c.loops.Stop(ctx) }

// read handles partition part until ctx ends. A batch's entries are
// acknowledged together with the next read (AckAndRead, which waits
// briefly; when it finds nothing the next read blocks longer): the XACK
// rides on a round trip that is made anyway. When nothing urgent follows a
// batch's last commits, the next read rides on their round trip instead
// (see handle), and the batch's earlier entries' XACK with it. An
// acknowledgement that fails is sent again with the next read (XACK is
// idempotent); one lost with the worker leaves the entries pending, and
// their reclaim is answered from the table's record of its action ids,
// applying nothing twice.
func (c *Consumer) read(ctx context.Context, part int) {
	o := c.proc.opts
	backoff := newBackoff()
	var acks []string
	var next *readAhead
	for ctx.Err() == nil {
		var es []redisstore.StreamEntry
		var err error
		switch {
		case next != nil && (len(next.entries) > 0 || next.err != nil):
			es, err = next.entries, next.err
		case len(acks) > 0:
			if es, err = c.stream.AckAndRead(ctx, o.Group, o.Consumer, part, acks, o.Batch); err == nil {
				acks = nil
			}
		default:
			es, err = c.stream.ReadActions(ctx, o.Group, o.Consumer, part, o.Batch, o.Block)
		}
		next = nil
		if err != nil {
			if ctx.Err() == nil {
				c.readFailed(ctx, part, err)
				backoff.wait(ctx)
			}
			continue
		}
		c.lastRead[part].Store(time.Now().UnixNano())
		c.quiet.Recovered(readFailure)
		backoff.reset()
		acks, next = c.handle(ctx, es, &ride{part: part, acks: acks})
	}
	c.ack(ctx, part, acks)
}

// ride is the read that may ride on a batch's last commits: of partition
// part, with the XACK of acks (entries done before).
type ride struct {
	part int
	acks []string
}

// readAhead is what that read brought: entries, or its error (the XACK
// sent with it may then have failed too).
type readAhead struct {
	entries []redisstore.StreamEntry
	err     error
}

// ack acknowledges ids of partition part now (a stopping reader's last
// batch, the reclaimer's).
func (c *Consumer) ack(ctx context.Context, part int, ids []string) {
	if len(ids) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := c.stream.AckIDs(ctx, c.proc.opts.Group, part, ids); err != nil {
		// pending until reclaimed, then answered as duplicates
		c.proc.opts.Log.Warn("acknowledging handled actions failed", "partition", part, "count", len(ids), "err", err)
	}
}

// batchCommitter is a Store that sends several tables' commits in one
// round trip (redisstore.Store.CommitBatch), or sends them with a
// partition's next read (CommitAndRead).
type batchCommitter interface {
	CommitBatch(ctx context.Context, cs []redisstore.Commit) []redisstore.CommitResult
	CommitAndRead(ctx context.Context, cs []redisstore.Commit, group, consumer string, p int, acks []string, count int64) ([]redisstore.CommitResult, []redisstore.StreamEntry, error)
}

// handle processes entries and returns the ids of those done and not yet
// acknowledged, r's acks among them (nil r: none); once stopping, what is
// left stays pending. Each table's actions are handled in their order;
// those of different tables in one batch go in rounds, a round taking the
// next action of each table, and the commits of a round that its tables'
// cached copies decide go to Redis together (one round trip instead of one
// each). The last round's commits carry the partition's next read, with
// the XACK of r's acks and of the batch's earlier entries, when every
// entry of that round is such a commit and its follow-up may wait
// (mayWait): then next is what the read brought, and done only that
// round's entries (their hooks ran after the read). Each action runs to
// completion even if ctx is cancelled meanwhile. A failed action stays
// pending (the reclaimer retries it) while the partition goes on with the
// next ones; a poison one (see Options.MaxAttempts) is dead-lettered.
func (c *Consumer) handle(ctx context.Context, es []redisstore.StreamEntry, r *ride) (done []string, next *readAhead) {
	bc, _ := c.proc.store.(batchCommitter)
	if c.proc.cache == nil {
		bc = nil // nothing is decided before it is read
	}
	if r != nil {
		done = r.acks
	}
	for len(es) > 0 && ctx.Err() == nil {
		round, rest := es, []redisstore.StreamEntry(nil) // one at a time, in order
		if bc != nil {
			round, rest = nextRound(es)
		}
		var rr *ride
		if r != nil && len(rest) == 0 {
			rr = &ride{part: r.part, acks: done}
		}
		d, ahead := c.handleRound(ctx, bc, round, rr)
		if ahead != nil {
			if ahead.err != nil {
				return append(done, d...), ahead // the XACK is sent again
			}
			return d, ahead
		}
		done = append(done, d...)
		es = rest
	}
	return done, nil
}

// nextRound splits es into the first action of each table (in order) and
// the rest.
func nextRound(es []redisstore.StreamEntry) (round, rest []redisstore.StreamEntry) {
	if len(es) == 1 {
		return es, nil
	}
	seen := make(map[string]bool, len(es))
	for _, e := range es {
		if seen[e.Action.Table] {
			rest = append(rest, e)
			continue
		}
		seen[e.Action.Table] = true
		round = append(round, e)
	}
	return round, rest
}

// handleRound handles entries of different tables (any, when bc is nil:
// then one at a time, in order). With r, the round's commits carry r's
// read when they may (see handle), and next is what it brought.
func (c *Consumer) handleRound(ctx context.Context, bc batchCommitter, es []redisstore.StreamEntry, r *ride) (done []string, next *readAhead) {
	preps := make([]*prepared, len(es))
	var results []redisstore.CommitResult
	if bc != nil {
		var commits []redisstore.Commit
		wait := r != nil
		for i := range es {
			if es[i].Deliveries <= 1 { // (a redelivery may be poison: attempt counts it)
				if preps[i] = c.proc.prepare(&es[i].Action); preps[i] != nil {
					commits = append(commits, preps[i].commit)
				}
			}
			wait = wait && preps[i] != nil && mayWait(&es[i].Action, preps[i])
		}
		if len(commits) > 0 {
			metrics.CommitBatch.Observe(float64(len(commits)))
			o := c.proc.opts
			work, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			at := time.Now()
			if wait {
				next = &readAhead{}
				results, next.entries, next.err = bc.CommitAndRead(work, commits, o.Group, o.Consumer, r.part, r.acks, o.Batch)
			} else {
				results = bc.CommitBatch(work, commits)
				at = time.Now()
			}
			cancel()
			for _, pr := range preps {
				if pr != nil {
					pr.at = at
				}
			}
		}
	}
	for i, e := range es {
		if ctx.Err() != nil {
			return done, next
		}
		work, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		var err error
		if pr := preps[i]; pr != nil {
			r := results[0]
			results = results[1:]
			err = c.attemptWith(work, e, func(ctx context.Context) error { return c.proc.finish(ctx, e.Action, pr, r) })
		} else {
			err = c.attempt(work, e)
		}
		cancel()
		if err != nil {
			c.quiet.Warn(pendingFailure, "table", e.Action.Table, "id", e.Action.ID, "err", err)
		} else {
			c.quiet.Recovered(pendingFailure)
			done = append(done, e.ID)
		}
	}
	return done, next
}

// mayWait reports whether the follow-up of a's prepared commit may wait
// for the partition's next read (up to redisstore.CommitReadBlock): a card
// or a trump that leaves the table playing with a person on turn and is
// not a moment the table journal writes at once (journalUrgent). What
// follows it then is bookkeeping nobody is waiting for — the journal's
// copy, the lobby entry's periodic refresh — and the wait costs the move
// nothing: its players have had its events since the commit.
func mayWait(a *redisstore.Action, pr *prepared) bool {
	t := &pr.next
	return (a.Op == table.OpPlay || a.Op == table.OpTrump) && pr.loaded.Table.Status == table.Playing &&
		t.Status == table.Playing && !journalUrgent(t) && !t.IsBot(t.Game.Turn)
}

// attempt processes one entry (its caller acknowledges it), or counts its
// failure.
func (c *Consumer) attempt(ctx context.Context, e redisstore.StreamEntry) error {
	return c.attemptWith(ctx, e, func(ctx context.Context) error { return c.proc.Process(ctx, e.Action) })
}

// attemptWith is attempt with run doing the action.
func (c *Consumer) attemptWith(ctx context.Context, e redisstore.StreamEntry, run func(context.Context) error) error {
	o := c.proc.opts
	if e.Deliveries > o.MaxAttempts {
		// Every earlier delivery panicked or never came back: a worker
		// died on it (a fatal error no recover catches) or stopped first.
		return c.deadLetter(ctx, e, fmt.Sprintf("delivered %d times without completing (a worker died or stopped on it each time)", e.Deliveries-1))
	}
	err := run(ctx)
	var pe *panics.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &pe):
		if e.Deliveries >= o.MaxAttempts {
			return c.deadLetter(ctx, e, err.Error())
		}
		return err // pending; this delivery counts toward the limit
	default:
		// An ordinary failure (a dependency down): retried without limit.
		if uerr := c.stream.Uncount(ctx, o.Group, o.Consumer, e); uerr != nil {
			o.Log.Debug("uncounting a failed attempt failed", "err", uerr)
		}
		return err
	}
}

// deadLetter moves a poison entry out of its partition and answers its
// sender internal_error.
func (c *Consumer) deadLetter(ctx context.Context, e redisstore.StreamEntry, reason string) error {
	o := c.proc.opts
	d, kept, err := c.stream.DeadLetterAction(ctx, o.Group, o.Consumer, e, reason)
	if err != nil {
		return err
	}
	metrics.ActionsDeadLettered.Inc()
	metrics.Error(metrics.ComponentWorker, string(protocol.CodeInternalError))
	msg := "poison action dead-lettered"
	if !kept {
		msg = "poison action dropped: the dead-letter hash is full"
	}
	o.Log.Error(msg, "dead_letter", d.ID, "table", e.Action.Table, "user", e.Action.User,
		"id", e.Action.ID, "op", e.Action.Op, "arg", e.Action.Arg, "attempts", e.Deliveries, "err", reason)
	a := e.Action
	res := redisstore.Result{User: a.User, ID: a.ID, Hash: fingerprint(&a), Code: string(protocol.CodeInternalError)}
	if perr := c.proc.store.Publish(ctx, a.Table, redisstore.Message{Result: &res}); perr != nil {
		o.Log.Warn("answering a dead-lettered action failed", "dead_letter", d.ID, "err", perr)
	}
	return nil
}

// reclaim takes over the entries of every partition that another consumer
// (a dead worker) has held for ReclaimIdle, and handles them.
func (c *Consumer) reclaim(ctx context.Context) {
	o := c.proc.opts
	for part := 0; part < c.partitions && ctx.Err() == nil; part++ {
		es, err := c.stream.Reclaim(ctx, o.Group, o.Consumer, part, o.ReclaimIdle, 64)
		if err != nil {
			c.readFailed(ctx, part, err)
			continue
		}
		if len(es) > 0 {
			o.Log.Info("reclaimed pending actions", "partition", part, "count", len(es))
		}
		done, _ := c.handle(ctx, es, nil)
		c.ack(ctx, part, done)
	}
}

// readFailed handles a failed read of a partition. NOGROUP means Redis
// lost the stream and its consumer group (restarted empty, or failed over
// to a replica without them): the group is created again at once, so the
// worker heals without a restart.
func (c *Consumer) readFailed(ctx context.Context, part int, err error) {
	o := c.proc.opts
	if !redisstore.IsNoGroup(err) {
		c.quiet.Warn(readFailure, "partition", part, "err", err)
		return
	}
	if gerr := c.stream.EnsureGroup(ctx, o.Group); gerr != nil {
		o.Log.Warn("re-creating the consumer group failed", "err", gerr)
		return
	}
	o.Log.Info("consumer group re-created (Redis lost it)", "group", o.Group)
}

// Keys of the consumer's throttled failure lines.
const (
	readFailure    = "reading actions failed"
	pendingFailure = "action left pending"
)

// backoff paces retries after Redis errors: 50 ms doubling to 1 s.
type backoff struct{ d time.Duration }

func newBackoff() *backoff { return &backoff{d: 50 * time.Millisecond} }

func (b *backoff) reset() { b.d = 50 * time.Millisecond }

func (b *backoff) wait(ctx context.Context) {
	t := time.NewTimer(b.d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
	b.d = min(2*b.d, time.Second)
}
