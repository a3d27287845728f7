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
// bound). Its AfterChange hook only notes that a table changed; every
// Interval one pass reads the noted tables' stored forms from Redis in one
// pipeline and upserts them in one statement — so a table that changed ten
// times meanwhile is written once, and the hands stay sealed (the state is
// copied as Redis holds it). The end of a hand or of a match starts a pass
// at once. While PostgreSQL fails the noted tables are kept (the set is
// bounded by the number of live tables) and written once it answers.
type Journal struct {
	Redis interface {
		ReadDurable(ctx context.Context, ids []string) ([]redisstore.Durable, error)
	}
	PG interface {
		SaveLiveTables(ctx context.Context, rows []pgstore.LiveTable) error
	}
	Interval time.Duration // between passes; 0: 100 ms
	Log      *slog.Logger  // nil: discard

	mu    sync.Mutex
	dirty map[string]struct{}
	kick  chan struct{}
	quiet *logthrottle.Logger
	loops lifecycle.Group
	began bool // Start ran: Stop writes what is noted
}

// journalBatch bounds the tables one statement writes.
const journalBatch = 500

func (j *Journal) init() {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.dirty == nil {
		j.dirty, j.kick = map[string]struct{}{}, make(chan struct{}, 1)
		j.quiet = logthrottle.New(j.log(), logthrottle.DefaultInterval)
	}
}

// AfterChange is the worker hook: it notes t for the next pass (and asks
// for the pass now when a match just started, a hand or the match just
// ended: the moments most worth not losing).
func (j *Journal) AfterChange(_ context.Context, c Change) error {
	t := c.Table
	j.Touch(t.ID)
	if t.Status == table.Finished || handJustEnded(t) || (t.Status == table.Playing && len(t.Moves) == 0) {
		j.flushSoon()
	}
	return nil
}

// handJustEnded: a hand is over and the next one's trump is not chosen yet
// (or the match is over).
func handJustEnded(t *table.Table) bool {
	g := &t.Game
	n := len(g.Results)
	return t.Match > 0 && n > 0 && (g.Phase == game.PhaseOver || (g.Phase == game.PhaseTrump && g.Hand == n))
}

// Touch notes that table id changed.
func (j *Journal) Touch(id string) {
	j.init()
	j.mu.Lock()
	j.dirty[id] = struct{}{}
	n := len(j.dirty)
	j.mu.Unlock()
	metrics.JournalPending.Set(float64(n))
}

func (j *Journal) flushSoon() {
	select {
	case j.kick <- struct{}{}:
	default:
	}
}

// Start runs the passes in the background until Stop.
func (j *Journal) Start(context.Context) error {
	j.init()
	j.began = true
	every := j.Interval
	if every <= 0 {
		every = config.DefaultJournalInterval
	}
	j.loops.Every(every, j.kick, j.pass)
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

// pass writes what is noted, within 5 s.
func (j *Journal) pass(ctx context.Context) {
	pass, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := panics.Do("journal", j.log(), func() error { return j.Flush(pass) })
	j.quiet.Outcome(ctx, "table journal: writing to PostgreSQL failed; retrying every pass", err)
}

func (j *Journal) log() *slog.Logger {
	if j.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return j.Log
}

// Flush writes every noted table now. Tables it could not write stay noted.
func (j *Journal) Flush(ctx context.Context) error {
	j.init()
	j.mu.Lock()
	ids := make([]string, 0, len(j.dirty))
	for id := range j.dirty {
		ids = append(ids, id)
	}
	clear(j.dirty)
	j.mu.Unlock()
	var err error
	for len(ids) > 0 && err == nil {
		n := min(len(ids), journalBatch)
		if err = j.write(ctx, ids[:n]); err == nil {
			ids = ids[n:]
		}
	}
	if len(ids) > 0 { // keep what was not written for the next pass
		j.mu.Lock()
		for _, id := range ids {
			j.dirty[id] = struct{}{}
		}
		j.mu.Unlock()
	}
	j.mu.Lock()
	metrics.JournalPending.Set(float64(len(j.dirty)))
	j.mu.Unlock()
	return err
}

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
	row := pgstore.LiveTable{ID: d.ID, Epoch: d.Epoch, Seq: d.Seq, Meta: d.Meta, State: d.State, Status: string(m.Status)}
	if m.Match > 0 {
		row.MatchID = table.MatchID(d.ID, m.Match)
	}
	return row, nil
}
