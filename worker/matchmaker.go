package worker

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/internal/config"
	"github.com/hokm-project/hokm/internal/lifecycle"
	"github.com/hokm-project/hokm/internal/logthrottle"
	"github.com/hokm-project/hokm/internal/panics"
	"github.com/hokm-project/hokm/store/redisstore"
)

// DefaultQuickMatchWait is how long the oldest queued player waits for
// three others before the rest of the table is filled with bots.
const DefaultQuickMatchWait = config.DefaultQuickMatchWait

// MatchStore is what the matchmaker needs of the Redis store.
type MatchStore interface {
	TableIndex
	ClaimGroup(ctx context.Context, now time.Time, wait time.Duration, tableID string) ([]redisstore.Queued, error)
	RetakeClaim(ctx context.Context, now time.Time, staleAfter time.Duration) (string, []redisstore.Queued, error)
	FinishClaim(ctx context.Context, tableID string) error
	JoinQueue(ctx context.Context, user, name string, now time.Time) error
	CreateTable(ctx context.Context, t *table.Table) error
	LoadTable(ctx context.Context, id string) (redisstore.Loaded, error)
	Enqueue(ctx context.Context, a redisstore.Action) error
	Notify(ctx context.Context, user string, notice any) error
}

// MatchmakerOptions tune a Matchmaker. Zero values take the defaults.
type MatchmakerOptions struct {
	Wait     time.Duration // DefaultQuickMatchWait
	Interval time.Duration // between looks at the queue; default 250ms
	// StaleClaim is how long a claimed group may stay unseated before
	// another matchmaker finishes seating it (its own died); default 30s.
	StaleClaim time.Duration
	// Now is the clock the queue's waits and claims are read on; default
	// time.Now (tests move it instead of sleeping).
	Now func() time.Time
	Log *slog.Logger
}

// Matchmaker seats the players of the quick-match queue. Any number may
// run (one per worker): each group is claimed atomically by one of them.
type Matchmaker struct {
	store MatchStore
	opts  MatchmakerOptions
	quiet *logthrottle.Logger // a failing tick every 250 ms during an outage
	loops lifecycle.Group
}

// Matched is the notice a seated user gets on their user channel.
type Matched struct {
	Type  string `json:"type"` // "matched"
	Table string `json:"table"`
}

// NewMatchmaker returns a stopped Matchmaker.
func NewMatchmaker(store MatchStore, opts MatchmakerOptions) *Matchmaker {
	if opts.Wait <= 0 {
		opts.Wait = DefaultQuickMatchWait
	}
	if opts.Interval <= 0 {
		opts.Interval = 250 * time.Millisecond
	}
	if opts.StaleClaim <= 0 {
		opts.StaleClaim = 30 * time.Second
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Matchmaker{store: store, opts: opts, quiet: logthrottle.New(opts.Log, logthrottle.DefaultInterval)}
}

// Start runs the loop until Stop: a Tick every Interval.
func (m *Matchmaker) Start(context.Context) error {
	m.loops.Every(m.opts.Interval, nil, func(ctx context.Context) {
		m.quiet.Outcome(ctx, "matchmaking", panics.Do("matchmaker", m.opts.Log, func() error { return m.Tick(ctx) }))
	})
	return nil
}

// Stop ends the loop and waits for it (bounded by ctx).
func (m *Matchmaker) Stop(ctx context.Context) error { return m.loops.Stop(ctx) }

// Tick seats every group the queue holds now, after finishing the groups
// other matchmakers claimed and left unseated.
func (m *Matchmaker) Tick(ctx context.Context) error {
	for ctx.Err() == nil {
		id, group, err := m.store.RetakeClaim(ctx, m.opts.Now(), m.opts.StaleClaim)
		if err != nil || id == "" {
			if err != nil {
				return err
			}
			break
		}
		m.opts.Log.Warn("finishing a quick match left unseated", "table", id, "players", len(group))
		if err := m.place(ctx, id, group); err != nil {
			return err
		}
	}
	for ctx.Err() == nil {
		id := redisstore.NewTableID()
		group, err := m.store.ClaimGroup(ctx, m.opts.Now(), m.opts.Wait, id)
		if err != nil || len(group) == 0 {
			return err
		}
		if err := m.place(ctx, id, group); err != nil {
			return err
		}
	}
	return nil
}

// place seats a claimed group at table id. It runs to the end even when
// ctx is cancelled meanwhile (stopping). Every step is idempotent, so when
// it fails the claim stays and is placed again later (RetakeClaim).
func (m *Matchmaker) place(ctx context.Context, id string, group []redisstore.Queued) error {
	if len(group) == 0 {
		return m.store.FinishClaim(ctx, id)
	}
	work, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	t, ours, err := m.ensureTable(work, id, group[0].User, len(group))
	if err != nil {
		return err
	}
	if !ours { // the id is another table's (odds 2^-40): queue them again
		m.requeue(work, group)
	} else if err := m.seat(work, t, group); err != nil {
		return err
	}
	return m.store.FinishClaim(work, id)
}

// seat seats group, through the action stream, at its public table (bots
// in the seats after theirs already), in queue order and ready: the table
// starts its match once the last of them sat down (table.NewQuickMatch),
// whatever order the workers apply the sits in — a start command sent
// after them could be applied before them and refused. Then it tells each
// user where they sit.
func (m *Matchmaker) seat(ctx context.Context, t *table.Table, group []redisstore.Queued) error {
	for i, q := range group {
		if err := m.store.Enqueue(ctx, ServerSit(t.ID, q.User, q.Name, i)); err != nil {
			return err
		}
	}
	for _, q := range group {
		if err := m.store.Notify(ctx, q.User, Matched{Type: "matched", Table: t.ID}); err != nil {
			m.opts.Log.Warn("matched notice not sent", "user", q.User, "table", t.ID, "err", err)
		}
	}
	m.opts.Log.Info("quick match", "table", t.ID, "players", len(group))
	return nil
}

// ensureTable creates the quick-match table id for people people hosted
// by host, or finds the one an earlier attempt created; false when the id
// is another table's.
func (m *Matchmaker) ensureTable(ctx context.Context, id, host string, people int) (*table.Table, bool, error) {
	t, err := table.NewQuickMatch(id, game.Rules{}, host, people, time.Now().UnixMilli())
	if err != nil {
		return nil, false, err
	}
	err = m.store.CreateTable(ctx, &t)
	if errors.Is(err, redisstore.ErrExists) {
		l, err := m.store.LoadTable(ctx, id)
		if err != nil {
			return nil, false, err
		}
		// (its host may be another of the group by now: whoever sat first)
		return &l.Table, l.Table.Options.AutoStart && l.Table.Options.Public, nil
	}
	if err != nil {
		return nil, false, err
	}
	if err := IndexTable(ctx, m.store, &t.Meta); err != nil {
		m.opts.Log.Warn("listing a quick-match table failed", "table", t.ID, "err", err)
	}
	return &t, true, nil
}

// requeue puts a group whose table could not be made back in the queue.
func (m *Matchmaker) requeue(ctx context.Context, group []redisstore.Queued) {
	for _, q := range group {
		if err := m.store.JoinQueue(ctx, q.User, q.Name, m.opts.Now()); err != nil {
			m.opts.Log.Warn("requeue failed", "user", q.User, "err", err)
		}
	}
}
