package worker

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/internal/config"
	"github.com/hokm-project/hokm/internal/lifecycle"
	"github.com/hokm-project/hokm/internal/logthrottle"
	"github.com/hokm-project/hokm/internal/metrics"
	"github.com/hokm-project/hokm/internal/panics"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/redisstore"
)

// Journal writes every live table's latest state to PostgreSQL's table
// journal behind the move path, so that Redis losing a table (a restart, a
// failover to a replica that was behind) costs at most the moves of the
// last interval while PostgreSQL answers (docs/operations.md states the
// bound). Its AfterChange hook only keeps the table's stored form as its
// commit wrote it (the latest per table), or notes the table when the
// change came from elsewhere (a rebuild); every Interval one pass upserts
// them in one statement, the noted tables' forms read from Redis in one
// pipeline — so a table that changed ten times meanwhile is written once,
// and the hands stay sealed (the state is copied as Redis holds it). The
// start of a match and the end of a hand or of a match are written at once
// (a pass of their tables alone: at 100 busy tables hands end about a
// hundred times a second, and a whole pass at each rewrote every busy
// table's row many times an interval). While PostgreSQL fails
// the tables are kept (at most one entry per live table) and written once
// it answers.
type Journal struct {
	Redis interface {
		ReadDurable(ctx context.Context, ids []string) ([]redisstore.Durable, error)
	}
	PG interface {
		SaveLiveTables(ctx context.Context, rows []pgstore.LiveTable) error
	}
	Interval time.Duration // between passes; 0: 100 ms
	Log      *slog.Logger  // nil: discard

	mu     sync.Mutex
	dirty  map[string]struct{}          // tables to read from Redis
	kept   map[string]pgstore.LiveTable // rows as their commits wrote them
	urgent map[string]struct{}          // of those, the tables to write at once
	kick   chan struct{}                // a table is urgent
	quiet  *logthrottle.Logger
	loops  lifecycle.Group
	began  bool // Start ran: Stop writes what is noted
}

// journalBatch bounds the tables one statement writes.
const journalBatch = 500

func (j *Journal) init() {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.dirty == nil {
		j.dirty, j.kept, j.kick = map[string]struct{}{}, map[string]pgstore.LiveTable{}, make(chan struct{}, 1)
		j.urgent = map[string]struct{}{}
		j.quiet = logthrottle.New(j.log(), logthrottle.DefaultInterval)
	}
}

// AfterChange is the worker hook: it keeps the table's row for the next
// pass (and asks for the table's write now when a match just started, a
// hand or the match just ended: the moments most worth not losing).
func (j *Journal) AfterChange(_ context.Context, c Change) error {
	t := c.Table
	if d := c.Durable; d != nil {
		j.keep(pgstore.LiveTable{ID: d.ID, Epoch: d.Epoch, Seq: d.Seq, Meta: d.Meta, State: d.State,
			Status: string(t.Status), MatchID: matchID(t.ID, t.Match)})
	} else {
		j.Touch(t.ID)
	}
	if journalUrgent(t) {
		j.mu.Lock()
		j.urgent[t.ID] = struct{}{}
		j.mu.Unlock()
		j.flushSoon()
	}
	return nil
}

// keep holds row for the next pass unless a later one of its table is held.
func (j *Journal) keep(row pgstore.LiveTable) {
	j.init()
	j.mu.Lock()
	if old, ok := j.kept[row.ID]; !ok || old.Epoch < row.Epoch || old.Epoch == row.Epoch && old.Seq < row.Seq {
		j.kept[row.ID] = row
	}
	j.pendingChanged()
	j.mu.Unlock()
}

// pendingChanged reports the tables waiting for a pass (j.mu held).
func (j *Journal) pendingChanged() {
	metrics.JournalPending.Set(float64(len(j.dirty) + len(j.kept)))
}

func matchID(tableID string, match int) string {
	if match > 0 {
		return table.MatchID(tableID, match)
	}
	return ""
}

// journalUrgent reports whether t, as a change left it, is written to the
// journal at once: a match just started, a hand or the match just ended.
func journalUrgent(t *table.Table) bool {
	return t.Status == table.Finished || handJustEnded(t) || (t.Status == table.Playing && len(t.Moves) == 0)
}

// handJustEnded: a hand is over and the next one's trump is not chosen yet
// (or the match is over).
func handJustEnded(t *table.Table) bool {
	g := &t.Game
	n := len(g.Results)
	return t.Match > 0 && n > 0 && (g.Phase == game.PhaseOver || (g.Phase == game.PhaseTrump && g.Hand == n))
}

// Touch notes that table id changed: the next pass reads it from Redis.
func (j *Journal) Touch(id string) {
	j.init()
	j.mu.Lock()
	j.dirty[id] = struct{}{}
	j.pendingChanged()
	j.mu.Unlock()
}

func (j *Journal) flushSoon() {
	select {
	case j.kick <- struct{}{}:
	default:
	}
}

// Start runs the passes in the background until Stop: every Interval a
// pass of everything noted, and at once a pass of the urgent tables.
func (j *Journal) Start(context.Context) error {
	j.init()
	j.began = true
	every := j.Interval
	if every <= 0 {
		every = config.DefaultJournalInterval
	}
	j.loops.EveryOr(every, j.kick, func(ctx context.Context) { j.pass(ctx, false) }, func(ctx context.Context) { j.pass(ctx, true) })
	return nil
}

// Stop ends the passes after one last attempt to write what is noted
// (bounded by ctx).
func (j *Journal) Stop(ctx context.Context) error {
	if !j.began {
		return nil
	}
	if err := j.loops.Stop(ctx); err != nil {
		return err
	}
	return j.Flush(ctx)
}

// pass writes what is noted (urgent: the urgent tables alone), within 5 s.
func (j *Journal) pass(ctx context.Context, urgent bool) {
	pass, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := panics.Do("journal", j.log(), func() error { return j.flush(pass, urgent) })
	j.quiet.Outcome(ctx, "table journal: writing to PostgreSQL failed; retrying every pass", err)
}

func (j *Journal) log() *slog.Logger {
	if j.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return j.Log
}

// Flush writes every table kept or noted now; what it could not write
// stays for the next pass. A table both kept and noted is read from Redis
// (the note came after its commit).
func (j *Journal) Flush(ctx context.Context) error { return j.flush(ctx, false) }

// flush is Flush, of the urgent tables alone when urgent is set.
func (j *Journal) flush(ctx context.Context, urgent bool) error {
	j.init()
	j.mu.Lock()
	pick := func(id string) bool {
		_, ok := j.urgent[id]
		return !urgent || ok
	}
	var rows []pgstore.LiveTable
	for id, row := range j.kept {
		if !pick(id) {
			continue
		}
		if _, noted := j.dirty[id]; !noted {
			rows = append(rows, row)
		}
		delete(j.kept, id)
	}
	var ids []string
	for id := range j.dirty {
		if pick(id) {
			ids = append(ids, id)
			delete(j.dirty, id)
		}
	}
	clear(j.urgent) // (a full pass writes them too)
	j.mu.Unlock()
	var err error
	for len(rows) > 0 && err == nil {
		n := min(len(rows), journalBatch)
		if err = j.save(ctx, time.Now(), rows[:n]); err == nil {
			rows = rows[n:]
		}
	}
	for len(ids) > 0 && err == nil {
		n := min(len(ids), journalBatch)
		if err = j.write(ctx, ids[:n]); err == nil {
			ids = ids[n:]
		}
	}
	for _, row := range rows { // what was not written waits for the next pass
		j.keep(row)
	}
	for _, id := range ids {
		j.Touch(id)
	}
	j.mu.Lock()
	j.pendingChanged()
	j.mu.Unlock()
	return err
}

// write writes the tables ids, read from Redis.
func (j *Journal) write(ctx context.Context, ids []string) error {
	start := time.Now()
	ds, err := j.Redis.ReadDurable(ctx, ids)
	if err != nil {
		return err
	}
	rows := make([]pgstore.LiveTable, 0, len(ds))
	for _, d := range ds {
		row, err := liveRow(d)
		if err != nil {
			j.log().Error("table journal: undecodable table meta", "table", d.ID, "err", err)
			continue
		}
		rows = append(rows, row)
	}
	return j.save(ctx, start, rows)
}

func (j *Journal) save(ctx context.Context, start time.Time, rows []pgstore.LiveTable) error {
	if err := j.PG.SaveLiveTables(ctx, rows); err != nil {
		return err
	}
	metrics.JournalWritten.Add(float64(len(rows)))
	metrics.JournalPassSeconds.Observe(time.Since(start).Seconds())
	return nil
}

// liveRow is the journal row of a table's stored form.
func liveRow(d redisstore.Durable) (pgstore.LiveTable, error) {
	var m struct {
		Status table.Status `json:"status"`
		Match  int          `json:"match"`
	}
	if err := json.Unmarshal(d.Meta, &m); err != nil {
		return pgstore.LiveTable{}, err
	}
	return pgstore.LiveTable{ID: d.ID, Epoch: d.Epoch, Seq: d.Seq, Meta: d.Meta, State: d.State, Status: string(m.Status),
		MatchID: matchID(d.ID, m.Match)}, nil
}
