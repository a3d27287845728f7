package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/internal/logthrottle"
	"github.com/hokm-project/hokm/internal/metrics"
	"github.com/hokm-project/hokm/internal/zjson"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/redisstore"
	"github.com/hokm-project/hokm/tasks"
)

// LedgerRetention is how long after its end a finished match stays in the
// ledger once PostgreSQL has it: two reconcile periods, so a PostgreSQL
// that loses what it stored last (a failover to a replica that was behind)
// is seen missing by a run and gets the matches again from the ledger. An
// entry holds the whole record (≈ 15 KB): kept a day, as it was, the
// ledger grew by 1.3 GB for every match ending a second.
const LedgerRetention = 10 * time.Minute

// Ledger is the finished-match ledger in Redis: the sorted set
// Keys.Finished() (match id by end time, unix ms) and the hash
// Keys.Reconciled() (match id → MatchRecord JSON, gzip-compressed with
// Compress; read in either form). The worker records every finished
// match; the reconciler compares it with PostgreSQL. Compress also
// compresses the persist tasks the reconciler enqueues.
type Ledger struct {
	RDB      redis.UniversalClient
	Keys     redisstore.Keys
	Compress bool
}

func (l *Ledger) recKey() string { return l.Keys.Reconciled() }

// Record adds m to the ledger (idempotent).
func (l *Ledger) Record(ctx context.Context, m table.MatchRecord) error {
	b, err := zjson.Marshal(m, l.Compress)
	if err != nil {
		return fmt.Errorf("ledger: marshal %s: %w", m.MatchID, err)
	}
	_, err = l.RDB.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, l.recKey(), m.MatchID, b)
		p.ZAdd(ctx, l.Keys.Finished(), redis.Z{Score: float64(m.Ended), Member: m.MatchID})
		return nil
	})
	if err != nil {
		return fmt.Errorf("ledger: record %s: %w", m.MatchID, err)
	}
	return nil
}

// AfterChange is the worker hook: it records a finished match.
func (l *Ledger) AfterChange(ctx context.Context, c Change) error {
	t := c.Table
	if t.Status != table.Finished || t.Ended == 0 {
		return nil
	}
	return l.Record(ctx, t.MatchRecord())
}

// reconcileBatch is how many ledger entries one PostgreSQL query checks.
const reconcileBatch = 500

// ReconcileReport is what one reconcile run did.
type ReconcileReport struct {
	Checked  int      `json:"checked"`  // ledger entries looked at
	Missing  []string `json:"missing"`  // finished in Redis, not in PostgreSQL
	Fixed    []string `json:"fixed"`    // of those, re-enqueued (or their archived task re-run)
	InFlight []string `json:"inflight"` // of those, with a persist task still pending or retrying
	Cleaned  int      `json:"cleaned"`  // ledger entries dropped (in PostgreSQL, older than LedgerRetention)
}

// Reconciler finds matches finished in Redis but missing in PostgreSQL and
// persists them again through the persist queue.
type Reconciler struct {
	Ledger *Ledger
	Store  interface {
		StoredMatches(ctx context.Context, ids []string) (map[string]bool, error)
	}
	Client    *asynq.Client
	Inspector *asynq.Inspector
	MaxRetry  int
	// Journal, when set, is PostgreSQL's table journal: finished matches it
	// holds that are not stored (their ledger entry and persist task were
	// lost with Redis) are persisted too; Decode opens a journal row.
	Journal interface {
		FinishedUnstored(ctx context.Context, before time.Time, limit int) ([]pgstore.LiveTable, error)
	}
	Decode func(pgstore.LiveTable) (table.Table, error)
	// DeadLetters, when set, records an archived persist task before the
	// reconciler runs it again, so `hokm ops dlq list` still shows that it
	// failed (the task server's own record may have failed with PostgreSQL).
	DeadLetters func(ctx context.Context, info *asynq.TaskInfo) error
	Now         func() time.Time // nil: time.Now
	Log         *slog.Logger     // nil: slog.Default()
}

// Run reconciles the ledger once.
func (r *Reconciler) Run(ctx context.Context) (ReconcileReport, error) {
	var rep ReconcileReport
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	log := r.Log
	if log == nil {
		log = slog.Default()
	}
	entries, err := r.Ledger.RDB.ZRangeWithScores(ctx, r.Ledger.Keys.Finished(), 0, -1).Result()
	if err != nil {
		return rep, fmt.Errorf("reconcile: read ledger: %w", err)
	}
	cutoff := now().Add(-LedgerRetention).UnixMilli()
	var stored map[string]bool
	for i, z := range entries {
		id, _ := z.Member.(string)
		if i%reconcileBatch == 0 { // one query per batch of ledger entries
			ids := make([]string, 0, reconcileBatch)
			for _, z := range entries[i:min(i+reconcileBatch, len(entries))] {
				s, _ := z.Member.(string)
				ids = append(ids, s)
			}
			if stored, err = r.Store.StoredMatches(ctx, ids); err != nil {
				return rep, err
			}
		}
		rep.Checked++
		if stored[id] {
			if int64(z.Score) < cutoff {
				if err := r.forget(ctx, id); err != nil {
					return rep, err
				}
				rep.Cleaned++
			}
			continue
		}
		if err := r.missing(ctx, &rep, id, r.ledgerRecord(id)); err != nil {
			return rep, err
		}
	}
	if err := r.fromJournal(ctx, &rep, now()); err != nil {
		return rep, err
	}
	metrics.ReconcileMissing.Set(float64(len(rep.Missing)))
	return rep, nil
}

// journalBatch bounds the journal's finished matches one run looks at.
const reconcileJournalBatch = 200

// errUnreadable marks a journal row that cannot be turned into a match
// record (finishedRecord).
var errUnreadable = errors.New("unreadable")

// finishedRecord is the record of the finished match a journal row names,
// from its state opened by decode; an errUnreadable error when the row
// cannot be opened or holds another match or no finished one.
func finishedRecord(row *pgstore.LiveTable, decode func(pgstore.LiveTable) (table.Table, error)) (table.MatchRecord, error) {
	t, err := decode(*row)
	if err == nil && (t.MatchID() != row.MatchID || t.Status != table.Finished) {
		err = fmt.Errorf("holds %s (%s)", t.MatchID(), t.Status)
	}
	if err != nil {
		return table.MatchRecord{}, fmt.Errorf("%w: journal row of %s: %w", errUnreadable, row.MatchID, err)
	}
	return t.MatchRecord(), nil
}

// fromJournal persists the finished matches the table journal holds and
// PostgreSQL does not (idle for a minute, so a persist task in flight has
// had its chance), unless the ledger pass saw them already.
func (r *Reconciler) fromJournal(ctx context.Context, rep *ReconcileReport, now time.Time) error {
	if r.Journal == nil || r.Decode == nil {
		return nil
	}
	rows, err := r.Journal.FinishedUnstored(ctx, now.Add(-time.Minute), reconcileJournalBatch)
	if err != nil {
		return fmt.Errorf("reconcile: journal: %w", err)
	}
	seen := make(map[string]bool, len(rep.Missing))
	for _, id := range rep.Missing {
		seen[id] = true
	}
	for _, row := range rows {
		if seen[row.MatchID] {
			continue
		}
		rep.Checked++
		err := r.missing(ctx, rep, row.MatchID, func(context.Context) (table.MatchRecord, error) {
			return finishedRecord(&row, r.Decode)
		})
		if errors.Is(err, errUnreadable) {
			// (a row no key opens, say: the others are still reconciled)
			r.logger().ErrorContext(ctx, "reconcile: a finished match in the journal cannot be read", "match_id", row.MatchID, "err", err)
			continue
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// missing makes sure match id, finished but not in PostgreSQL, gets
// persisted (record gives its record if a new task is needed).
func (r *Reconciler) missing(ctx context.Context, rep *ReconcileReport, id string, record func(context.Context) (table.MatchRecord, error)) error {
	rep.Missing = append(rep.Missing, id)
	fixed, err := r.fix(ctx, id, record)
	if err != nil {
		return err
	}
	if fixed {
		rep.Fixed = append(rep.Fixed, id)
		metrics.ReconcileFixed.Inc()
		r.logger().WarnContext(ctx, "reconcile: match missing in PostgreSQL re-enqueued", "match_id", id)
	} else {
		rep.InFlight = append(rep.InFlight, id)
	}
	return nil
}

func (r *Reconciler) logger() *slog.Logger {
	if r.Log == nil {
		return slog.Default()
	}
	return r.Log
}

// ledgerRecord reads match id's record from the ledger.
func (r *Reconciler) ledgerRecord(id string) func(context.Context) (table.MatchRecord, error) {
	return func(ctx context.Context) (table.MatchRecord, error) {
		var m table.MatchRecord
		raw, err := r.Ledger.RDB.HGet(ctx, r.Ledger.recKey(), id).Bytes()
		if err != nil {
			return m, fmt.Errorf("reconcile: ledger record of %s: %w", id, err)
		}
		if err := zjson.Unmarshal(raw, &m); err != nil {
			return m, fmt.Errorf("reconcile: decode ledger record of %s: %w", id, err)
		}
		return m, nil
	}
}

func (r *Reconciler) forget(ctx context.Context, id string) error {
	_, err := r.Ledger.RDB.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRem(ctx, r.Ledger.Keys.Finished(), id)
		p.HDel(ctx, r.Ledger.recKey(), id)
		return nil
	})
	if err != nil {
		return fmt.Errorf("reconcile: forget %s: %w", id, err)
	}
	return nil
}

// fix makes sure a persist task of match id will run: an archived task is
// recorded as a dead letter and run again, a completed one (its match
// deleted since) or none at all is replaced by a fresh task of record's
// match. A task still pending, scheduled or retrying is left alone (fixed
// is false).
func (r *Reconciler) fix(ctx context.Context, id string, record func(context.Context) (table.MatchRecord, error)) (fixed bool, err error) {
	taskID := tasks.PersistMatchTaskID(id)
	info, err := r.Inspector.GetTaskInfo(tasks.QueuePersist, taskID)
	switch {
	case errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound):
	case err != nil:
		return false, fmt.Errorf("reconcile: task of %s: %w", id, err)
	case info.State == asynq.TaskStateArchived:
		if r.DeadLetters != nil {
			if err := r.DeadLetters(ctx, info); err != nil {
				return false, fmt.Errorf("reconcile: record dead letter of %s: %w", id, err)
			}
		}
		if err := r.Inspector.RunTask(tasks.QueuePersist, taskID); err != nil {
			return false, fmt.Errorf("reconcile: run archived task of %s: %w", id, err)
		}
		return true, nil
	case info.State == asynq.TaskStateCompleted:
		if err := r.Inspector.DeleteTask(tasks.QueuePersist, taskID); err != nil && !errors.Is(err, asynq.ErrTaskNotFound) {
			return false, fmt.Errorf("reconcile: delete stale task of %s: %w", id, err)
		}
	default:
		return false, nil
	}
	m, err := record(ctx)
	if err != nil {
		return false, err
	}
	task, err := tasks.NewPersistMatchTask(m, r.MaxRetry, r.Ledger.Compress)
	if err != nil {
		return false, err
	}
	if err := tasks.Enqueue(ctx, r.Client, task); err != nil {
		return false, err
	}
	return true, nil
}

// ReconcileHandler runs tasks.TypeReconcile.
type ReconcileHandler struct{ Reconciler *Reconciler }

// ProcessTask runs the reconciler once.
func (h *ReconcileHandler) ProcessTask(ctx context.Context, _ *asynq.Task) error {
	_, err := h.Reconciler.Run(ctx)
	return err
}

// CheckpointStore writes hand checkpoints.
type CheckpointStore interface {
	WriteCheckpoint(ctx context.Context, c pgstore.Checkpoint) (inserted bool, err error)
}

// CheckpointHook writes a checkpoint row to PostgreSQL when a hand has just
// ended. The write happens behind the move path: AfterChange only queues
// it (a slow PostgreSQL never stalls a move), a background writer writes it
// with a short timeout and falls back to a persist:checkpoint task when
// PostgreSQL does not answer (or the queue is full). The state is sealed
// (Seal) like a live table's, since it has every hand of the next deal.
type CheckpointHook struct {
	Store   CheckpointStore
	Enqueue func(ctx context.Context, t *asynq.Task) error
	Timeout time.Duration // of the direct write; 0: 2 s
	// Seal seals the state with associated data CheckpointAD; nil: plain.
	Seal  func(plaintext, ad []byte) []byte
	Queue int          // checkpoints waiting for the writer; 0: 1024
	Log   *slog.Logger // nil: slog.Default()

	mu    sync.Mutex
	done  map[string]int // match id → hands checkpointed by this process
	ch    chan pgstore.Checkpoint
	stop  chan struct{}
	wg    sync.WaitGroup
	quiet *logthrottle.Logger // one failed write per hand end during an outage
}

// failures is the hook's throttled log, made on first use.
func (h *CheckpointHook) failures() *logthrottle.Logger {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.quiet == nil {
		h.quiet = logthrottle.New(h.log(), logthrottle.DefaultInterval)
	}
	return h.quiet
}

// CheckpointAD is the associated data a checkpoint's state is sealed with.
func CheckpointAD(matchID string, handNo int) []byte {
	return []byte("checkpoint|" + matchID + "|" + strconv.Itoa(handNo))
}

// Start runs the background writer until Stop. Without Start, AfterChange
// writes in line (tests).
func (h *CheckpointHook) Start(context.Context) error {
	n := h.Queue
	if n <= 0 {
		n = 1024
	}
	h.ch, h.stop = make(chan pgstore.Checkpoint, n), make(chan struct{})
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		for {
			select {
			case c := <-h.ch:
				h.writeLogged(context.Background(), c)
			case <-h.stop:
				return
			}
		}
	}()
	return nil
}

// Stop ends the writer after it wrote (or queued as tasks) what waits,
// bounded by ctx.
func (h *CheckpointHook) Stop(ctx context.Context) error {
	if h.stop == nil {
		return nil
	}
	close(h.stop)
	h.wg.Wait()
	for {
		select {
		case c := <-h.ch:
			if ctx.Err() != nil {
				return ctx.Err()
			}
			h.writeLogged(ctx, c)
		default:
			return nil
		}
	}
}

// AfterChange checkpoints the hand that just ended, if any: the state is
// at the start of the next hand (trump not chosen yet) or at the match's
// end, and this process has not checkpointed that hand.
func (h *CheckpointHook) AfterChange(ctx context.Context, c Change) error {
	t := c.Table
	if !handJustEnded(t) {
		return nil
	}
	g := &t.Game
	n := len(g.Results)
	id := t.MatchID()
	h.mu.Lock()
	if h.done == nil || len(h.done) > 10000 {
		h.done = map[string]int{}
	}
	seen := h.done[id] >= n
	h.mu.Unlock()
	if seen {
		return nil
	}
	cp, err := h.checkpointOf(t)
	if err != nil {
		return err
	}
	if err := h.queue(ctx, cp); err != nil {
		return err
	}
	h.mu.Lock()
	if g.Over() {
		delete(h.done, id)
	} else {
		h.done[id] = n
	}
	h.mu.Unlock()
	return nil
}

// queue hands c to the writer; without one (or with its queue full) it is
// written, or queued as a task, now.
func (h *CheckpointHook) queue(ctx context.Context, c pgstore.Checkpoint) error {
	if h.ch != nil {
		select {
		case h.ch <- c:
			return nil
		default:
			h.failures().Log(ctx, slog.LevelWarn, "checkpoint queue full", "checkpoint queue full, queued as a task",
				"match_id", c.MatchID, "hand_no", c.HandNo)
			return h.enqueue(ctx, c)
		}
	}
	return h.write(ctx, c)
}

func (h *CheckpointHook) writeLogged(ctx context.Context, c pgstore.Checkpoint) {
	if err := h.write(ctx, c); err != nil {
		h.log().ErrorContext(ctx, "hand checkpoint lost: neither written nor queued", "match_id", c.MatchID,
			"hand_no", c.HandNo, "err", err)
	}
}

func (h *CheckpointHook) write(ctx context.Context, c pgstore.Checkpoint) error {
	timeout := h.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	inserted, err := h.Store.WriteCheckpoint(wctx, c)
	cancel()
	const failed = "checkpoint write failed, queued"
	if err == nil {
		metrics.CheckpointsWritten.WithLabelValues(map[bool]string{true: "direct", false: "duplicate"}[inserted]).Inc()
		h.failures().Recovered(failed)
		return nil
	}
	h.failures().Log(ctx, slog.LevelWarn, failed, failed, "match_id", c.MatchID, "hand_no", c.HandNo, "err", err)
	return h.enqueue(ctx, c)
}

// enqueue queues c as a persist:checkpoint task.
func (h *CheckpointHook) enqueue(ctx context.Context, c pgstore.Checkpoint) error {
	task, terr := tasks.NewPersistCheckpointTask(tasks.PersistCheckpoint{
		MatchID: c.MatchID, HandNo: c.HandNo, TableID: c.TableID, State: c.State, Results: c.Results, Score: c.Score,
	})
	if terr != nil {
		return terr
	}
	if err := h.Enqueue(ctx, task); err != nil {
		return fmt.Errorf("checkpoint %s/%d: enqueue: %w", c.MatchID, c.HandNo, err)
	}
	metrics.CheckpointsWritten.WithLabelValues("queued").Inc()
	return nil
}

func (h *CheckpointHook) log() *slog.Logger {
	if h.Log == nil {
		return slog.Default()
	}
	return h.Log
}

func (h *CheckpointHook) checkpointOf(t *table.Table) (pgstore.Checkpoint, error) {
	state, err := t.Game.MarshalBinary()
	if err != nil {
		return pgstore.Checkpoint{}, fmt.Errorf("checkpoint %s: encode state: %w", t.MatchID(), err)
	}
	results, err := json.Marshal(t.Game.Results)
	if err != nil {
		return pgstore.Checkpoint{}, fmt.Errorf("checkpoint %s: results: %w", t.MatchID(), err)
	}
	handNo := len(t.Game.Results) - 1
	if h.Seal != nil {
		state = h.Seal(state, CheckpointAD(t.MatchID(), handNo))
	}
	return pgstore.Checkpoint{MatchID: t.MatchID(), HandNo: handNo, TableID: t.ID,
		State: state, Results: results, Score: t.Game.Score}, nil
}

// CheckpointHandler runs tasks.TypePersistCheckpoint.
type CheckpointHandler struct{ Store CheckpointStore }

// ProcessTask writes the checkpoint the task carries; store errors are retried.
func (h *CheckpointHandler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	p, err := tasks.ParsePersistCheckpoint(t)
	if err != nil {
		return err
	}
	if _, err := h.Store.WriteCheckpoint(ctx, pgstore.Checkpoint{MatchID: p.MatchID, HandNo: p.HandNo, TableID: p.TableID,
		State: p.State, Results: p.Results, Score: p.Score}); err != nil {
		return err
	}
	metrics.CheckpointsWritten.WithLabelValues("task").Inc()
	return nil
}

// VerifySample is how many stored matches one verification run replays.
const VerifySample = 20

// Verifier replays a random sample of stored matches with the engine and
// compares hands, score and winner with what PostgreSQL stored. A mismatch
// increments hokm_replay_verify_mismatches_total (an alert).
type Verifier struct {
	Store interface {
		SampleFinishedMatches(ctx context.Context, n int) ([]string, error)
		ExportRecord(ctx context.Context, matchID string) (game.Record, error)
		MatchResult(ctx context.Context, matchID string) ([]game.HandResult, [2]int, *int, error)
	}
	Sample int          // 0: VerifySample
	Log    *slog.Logger // nil: slog.Default()
}

// Run verifies one sample; it returns the ids checked and those that did
// not match.
func (v *Verifier) Run(ctx context.Context) (checked int, mismatches []string, err error) {
	n := v.Sample
	if n <= 0 {
		n = VerifySample
	}
	log := v.Log
	if log == nil {
		log = slog.Default()
	}
	ids, err := v.Store.SampleFinishedMatches(ctx, n)
	if err != nil {
		return 0, nil, err
	}
	for _, id := range ids {
		why, err := v.verify(ctx, id)
		if err != nil {
			return checked, mismatches, err
		}
		checked++
		metrics.ReplayVerified.Inc()
		if why != "" {
			mismatches = append(mismatches, id)
			metrics.ReplayVerifyMismatches.Inc()
			log.ErrorContext(ctx, "replay verification mismatch", "match_id", id, "reason", why)
		}
	}
	metrics.ReplayVerifyLastMismatches.Set(float64(len(mismatches)))
	return checked, mismatches, nil
}

// verify returns why match id's replay disagrees with its stored result, or
// "" when it agrees.
func (v *Verifier) verify(ctx context.Context, id string) (string, error) {
	rec, err := v.Store.ExportRecord(ctx, id)
	if errors.Is(err, pgstore.ErrNotFound) {
		return "", nil // deleted since it was sampled
	}
	if err != nil {
		return "", err
	}
	hands, score, winner, err := v.Store.MatchResult(ctx, id)
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return "", err
	}
	res, status := game.ReplayJSON(bytes.NewReader(b))
	switch {
	case status != 0:
		return "replay status " + strconv.Itoa(status), nil
	case res.Score != score:
		return fmt.Sprintf("score %v, stored %v", res.Score, score), nil
	case (res.Winner == nil) != (winner == nil) || (winner != nil && *res.Winner != *winner):
		return "winner differs", nil
	case len(res.Hands) != len(hands):
		return fmt.Sprintf("%d hands, stored %d", len(res.Hands), len(hands)), nil
	}
	for i := range hands {
		if res.Hands[i] != hands[i] {
			return fmt.Sprintf("hand %d: %+v, stored %+v", i, res.Hands[i], hands[i]), nil
		}
	}
	return "", nil
}

// VerifyHandler runs tasks.TypeVerifyReplays.
type VerifyHandler struct{ Verifier *Verifier }

// ProcessTask runs one verification.
func (h *VerifyHandler) ProcessTask(ctx context.Context, _ *asynq.Task) error {
	_, _, err := h.Verifier.Run(ctx)
	return err
}
