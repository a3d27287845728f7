package worker

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/internal/lifecycle"
	"github.com/hokm-project/hokm/internal/logthrottle"
	"github.com/hokm-project/hokm/internal/panics"
	"github.com/hokm-project/hokm/store/redisstore"
)

// Turn timers. A table's clock is part of its state: table.Apply sets
// Meta.Deadline and Meta.Timer in the same compare-and-set step as the move
// (so clients and snapshots see it). The commit mirrors that deadline into a
// Redis sorted set in the same script (TimerHook does it after a change
// whose commit did not: a rebuild, a duplicate's re-run, any commit on a
// Redis Cluster); every worker process runs
// a TimerLoop that sends each due deadline through the action stream as a
// "timeout" action with an id derived from the timer number. So:
//   - a timer lives in Redis and survives any worker's crash or restart;
//   - two loops firing the same timer, or one firing it again after a crash
//     between the send and the removal, send the same action id: it is
//     applied once and answered as a duplicate after that;
//   - a timer that fires after the turn moved on is refused (stale_timeout)
//     and changes nothing.

// TimerUser is the user the timer loop sends timeouts as; the worker
// accepts the timeout op from no one else.
const TimerUser = "timer"

// TimerStore is what the timer hook and loop need of Redis.
type TimerStore interface {
	SetTimer(ctx context.Context, tableID string, epoch, id, deadline int64) error
	DueTimers(ctx context.Context, now int64, max int64) ([]redisstore.Timer, error)
	DropTimer(ctx context.Context, t redisstore.Timer) (bool, error)
	Enqueue(ctx context.Context, a redisstore.Action) error
	// CommitRecordsTimer: a commit records its table's timer itself (a
	// single Redis server; not a cluster).
	CommitRecordsTimer() bool
}

// TimerHook is the AfterChange hook that records t's current deadline (or
// its absence) in the timer set when no commit did: on a single Redis
// server a committed change (Change.Before set) recorded it in the same
// step (redisstore.Commit); a rebuild or a duplicate's re-run did not, nor
// does any commit on a cluster. It is idempotent.
func TimerHook(s TimerStore) Hook {
	inCommit := s.CommitRecordsTimer()
	return func(ctx context.Context, c Change) error {
		t := c.Table
		if t.Timer == 0 || c.Before != nil && inCommit {
			return nil // never armed (nothing to record or remove), or a commit that recorded it
		}
		return s.SetTimer(ctx, t.ID, c.Epoch, t.Timer, t.Deadline)
	}
}

// TimeoutAction is the stream action a due timer sends.
func TimeoutAction(t redisstore.Timer) redisstore.Action {
	n := strconv.FormatInt(t.ID, 10)
	return redisstore.Action{Table: t.Table, User: TimerUser, ID: "t" + n, Op: table.OpTimeout, Arg: n}
}

// TimerOptions configure a TimerLoop. Zero values take the defaults.
type TimerOptions struct {
	Interval time.Duration    // time between passes, default 200 ms
	Batch    int64            // deadlines fired per pass at most, default 128
	Now      func() time.Time // the clock deadlines are compared with, default time.Now
	// Paused, when set and true, holds the timers back (while the tables
	// are being recovered after a Redis restart, a deadline that passed
	// during the outage must not time the player out).
	Paused func() bool
	Log    *slog.Logger
}

func (o TimerOptions) withDefaults() TimerOptions {
	if o.Interval == 0 {
		o.Interval = 200 * time.Millisecond
	}
	if o.Batch == 0 {
		o.Batch = 128
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o
}

// TimerLoop fires due turn timers. Any number may run (one per worker
// process); together they fire each timer at least once, and the action id
// makes it count once.
type TimerLoop struct {
	store TimerStore
	opts  TimerOptions
	quiet *logthrottle.Logger // a failing pass every 200 ms during an outage
	loops lifecycle.Group
}

// NewTimerLoop returns a loop on store.
func NewTimerLoop(store TimerStore, opts TimerOptions) *TimerLoop {
	opts = opts.withDefaults()
	return &TimerLoop{store: store, opts: opts, quiet: logthrottle.New(opts.Log, logthrottle.DefaultInterval)}
}

// Start runs the loop in the background until Stop: a pass (Fire) every
// Interval. It returns at once.
func (l *TimerLoop) Start(context.Context) error {
	l.loops.Every(l.opts.Interval, nil, func(ctx context.Context) {
		err := panics.Do("timers", l.opts.Log, func() error { _, err := l.Fire(ctx); return err })
		l.quiet.Outcome(ctx, "firing turn timers", err)
	})
	return nil
}

// Stop ends the loop and waits for the pass in progress (bounded by ctx).
// A timer fired but not yet removed is simply fired again by another loop.
func (l *TimerLoop) Stop(ctx context.Context) error { return l.loops.Stop(ctx) }

// Fire sends a timeout for every deadline due now and removes each one it
// sent unless it was re-armed meanwhile. It returns how many it sent.
// Sending comes first: a crash before the removal only sends it again.
func (l *TimerLoop) Fire(ctx context.Context) (int, error) {
	if l.opts.Paused != nil && l.opts.Paused() {
		return 0, nil
	}
	due, err := l.store.DueTimers(ctx, l.opts.Now().UnixMilli(), l.opts.Batch)
	if err != nil {
		return 0, err
	}
	for i, t := range due {
		if err := l.store.Enqueue(ctx, TimeoutAction(t)); err != nil {
			return i, err
		}
		if _, err := l.store.DropTimer(ctx, t); err != nil {
			return i + 1, err
		}
	}
	return len(due), nil
}
