// Package logthrottle keeps a failure that repeats during an outage (a
// retried task, a polling loop, every client's request) to a few log lines:
// the first occurrence is written at once, then at most one line per
// interval carrying the number of occurrences held back, and a
// "recovered" line when the caller next succeeds.
//
//	quiet := logthrottle.New(log, 10*time.Second)
//	for {
//		if err := poll(ctx); err != nil {
//			quiet.Warn("polling failed", "err", err)
//			continue
//		}
//		quiet.Recovered("polling failed")
//	}
//
// Lines are grouped by a key: the message for Warn, any string for Log.
// Keys should come from a small fixed set (messages, task types), not from
// ids: the Logger remembers each key until its Recovered (beyond maxRuns
// keys it forgets those quiet for an interval).
package logthrottle

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// DefaultInterval is the interval servers use: an outage of 90 s writes
// about ten lines per kind of failure.
const DefaultInterval = 10 * time.Second

// Logger writes through a slog.Logger, at most one line per key and
// interval. It is safe for concurrent use; the zero value is not usable.
type Logger struct {
	log   *slog.Logger
	every time.Duration
	now   func() time.Time

	mu   sync.Mutex
	runs map[string]*run
}

// run is one key's failures since its last Recovered.
type run struct {
	msg   string
	first time.Time // the first occurrence
	last  time.Time // the last line written
	count int       // occurrences
	held  int       // occurrences not written since the last line
	lines int       // lines written
}

// New returns a Logger writing to log at most one line per key and every
// (DefaultInterval when every <= 0).
func New(log *slog.Logger, every time.Duration) *Logger {
	if every <= 0 {
		every = DefaultInterval
	}
	return &Logger{log: log, every: every, now: time.Now, runs: map[string]*run{}}
}

// Warn is Log at Warn level with msg as the key.
func (l *Logger) Warn(msg string, args ...any) {
	l.Log(context.Background(), slog.LevelWarn, msg, msg, args...)
}

// Log writes msg with args at level, unless a line of key was written less
// than the interval ago: then it only counts the occurrence. A line
// written after some were held back carries "suppressed" (how many) and
// "failures" (how many in this run so far).
func (l *Logger) Log(ctx context.Context, level slog.Level, key, msg string, args ...any) {
	now := l.now()
	l.mu.Lock()
	r := l.runs[key]
	if r == nil {
		if len(l.runs) >= maxRuns {
			l.prune(now)
		}
		r = &run{msg: msg, first: now}
		l.runs[key] = r
	}
	r.count++
	if r.count > 1 && now.Sub(r.last) < l.every {
		r.held++
		l.mu.Unlock()
		return
	}
	held, count := r.held, r.count
	r.held, r.last = 0, now
	r.lines++
	l.mu.Unlock()
	if count > 1 {
		args = append(args[:len(args):len(args)], "suppressed", held, "failures", count) // never the caller's array
	}
	l.log.Log(ctx, level, msg, args...)
}

// maxRuns bounds the keys remembered at once.
const maxRuns = 1024

// prune forgets the runs with no line for an interval (under mu).
func (l *Logger) prune(now time.Time) {
	for k, r := range l.runs {
		if now.Sub(r.last) >= l.every {
			delete(l.runs, k)
		}
	}
}

// Recovered ends key's run: if anything was logged under key since the
// last Recovered, it writes "<msg>: recovered" at Info with the number of
// failures, how many of them were never written, how long the run
// lasted, and the key when it is not the message. The next failure is written at once again. Without a run it
// writes nothing (cheap enough to call after every success).
func (l *Logger) Recovered(key string) {
	l.mu.Lock()
	r := l.runs[key]
	delete(l.runs, key)
	l.mu.Unlock()
	if r != nil {
		l.recovered(key, r)
	}
}

// RecoveredAll ends every run, as Recovered does for each key (when the
// one dependency all of them were about is back).
func (l *Logger) RecoveredAll() {
	l.mu.Lock()
	runs := l.runs
	l.runs = map[string]*run{}
	l.mu.Unlock()
	for key, r := range runs {
		l.recovered(key, r)
	}
}

func (l *Logger) recovered(key string, r *run) {
	args := []any{"failures", r.count, "suppressed", r.count - r.lines,
		"duration", l.now().Sub(r.first).Round(time.Millisecond).String()}
	if key != r.msg {
		args = append(args, "key", key)
	}
	l.log.Info(r.msg+": recovered", args...)
}

// Outcome logs how one pass of a loop ended, with msg as the key: an error
// as Warn unless ctx has ended (the loop is stopping, and its last pass
// failed for that), a success as Recovered.
func (l *Logger) Outcome(ctx context.Context, msg string, err error) {
	switch {
	case err == nil:
		l.Recovered(msg)
	case ctx.Err() == nil:
		l.Warn(msg, "err", err)
	}
}
