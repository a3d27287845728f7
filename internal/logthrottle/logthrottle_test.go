package logthrottle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// records keeps what a logger wrote.
type records struct {
	mu    sync.Mutex
	lines []slog.Record
}

func (r *records) Enabled(context.Context, slog.Level) bool { return true }
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, rec)
	return nil
}
func (r *records) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *records) WithGroup(string) slog.Handler      { return r }

func (r *records) take() []slog.Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.lines
	r.lines = nil
	return out
}

func attrs(rec slog.Record) map[string]any {
	m := map[string]any{}
	rec.Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value.Any(); return true })
	return m
}

// clock is a manual clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newTest() (*Logger, *records, *clock) {
	rec := &records{}
	c := &clock{t: time.Unix(1_000_000, 0)}
	l := New(slog.New(rec), 10*time.Second)
	l.now = c.now
	return l, rec, c
}

func TestFirstThenOnePerIntervalThenRecovered(t *testing.T) {
	l, rec, c := newTest()
	// A 90 s outage with a failure every 50 ms: 1,800 failures.
	for range 1800 {
		l.Warn("task failed", "type", "persist:match")
		c.advance(50 * time.Millisecond)
	}
	lines := rec.take()
	if len(lines) != 9 { // t=0 and every 10 s after: 0, 10, …, 80
		t.Fatalf("%d lines for 1,800 failures in 90 s, want 9", len(lines))
	}
	if a := attrs(lines[0]); lines[0].Message != "task failed" || a["type"] != "persist:match" || a["suppressed"] != nil {
		t.Fatalf("first line: %s %v", lines[0].Message, a)
	}
	if a := attrs(lines[1]); a["suppressed"] != int64(199) || a["failures"] != int64(201) || a["type"] != "persist:match" {
		t.Fatalf("second line: %v", a)
	}
	if lines[1].Level != slog.LevelWarn {
		t.Fatalf("level %v", lines[1].Level)
	}
	l.Recovered("task failed")
	lines = rec.take()
	if len(lines) != 1 || lines[0].Message != "task failed: recovered" || lines[0].Level != slog.LevelInfo {
		t.Fatalf("recovered: %v", lines)
	}
	if a := attrs(lines[0]); a["failures"] != int64(1800) || a["suppressed"] != int64(1800-9) || a["duration"] != "1m30s" {
		t.Fatalf("recovered attrs: %v", a)
	}
	// The run is over: the next failure is written at once, and a second
	// Recovered writes nothing more.
	l.Recovered("task failed")
	if lines := rec.take(); len(lines) != 0 {
		t.Fatalf("recovered twice: %v", lines)
	}
	l.Warn("task failed", "type", "persist:match")
	if lines := rec.take(); len(lines) != 1 || attrs(lines[0])["suppressed"] != nil {
		t.Fatalf("after recovery: %v", lines)
	}
}

func TestKeysAreApart(t *testing.T) {
	l, rec, c := newTest()
	l.Log(context.Background(), slog.LevelWarn, "task failed persist:match", "task failed", "type", "persist:match")
	l.Log(context.Background(), slog.LevelWarn, "task failed stats:recompute", "task failed", "type", "stats:recompute")
	l.Log(context.Background(), slog.LevelError, "task failed persist:match", "task failed", "type", "persist:match")
	if lines := rec.take(); len(lines) != 2 {
		t.Fatalf("%d lines, want one per key", len(lines))
	}
	c.advance(10 * time.Second)
	l.Log(context.Background(), slog.LevelError, "task failed persist:match", "task failed", "type", "persist:match")
	lines := rec.take()
	if len(lines) != 1 || lines[0].Level != slog.LevelError || attrs(lines[0])["suppressed"] != int64(1) {
		t.Fatalf("after the interval: %v", lines)
	}
	l.RecoveredAll()
	lines = rec.take()
	if len(lines) != 2 || lines[0].Message != "task failed: recovered" {
		t.Fatalf("RecoveredAll wrote %v, want one line per key", lines)
	}
	keys := map[any]bool{attrs(lines[0])["key"]: true, attrs(lines[1])["key"]: true}
	if !keys["task failed persist:match"] || !keys["task failed stats:recompute"] {
		t.Fatalf("recovered lines name %v", keys)
	}
	l.Recovered("never failed")
	if lines := rec.take(); len(lines) != 0 {
		t.Fatalf("recovered without failures: %v", lines)
	}
}

func TestCallersArgsUntouched(t *testing.T) {
	l, _, c := newTest()
	args := make([]any, 2, 10)
	args[0], args[1] = "k", "v"
	l.Warn("m", args...)
	c.advance(time.Minute)
	l.Warn("m", args...)
	if got := args[:4]; got[2] != nil || got[3] != nil {
		t.Fatalf("the caller's array was written: %v", got)
	}
}

func TestConcurrent(t *testing.T) {
	rec := &records{}
	l := New(slog.New(rec), time.Hour)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				l.Warn("x")
			}
		}()
	}
	wg.Wait()
	l.Recovered("x")
	lines := rec.take()
	if len(lines) != 2 || attrs(lines[1])["failures"] != int64(8000) {
		t.Fatalf("lines %d, recovered %v", len(lines), lines)
	}
}

func TestManyKeysAreForgotten(t *testing.T) {
	l, rec, c := newTest()
	for i := range 5000 {
		l.Warn(fmt.Sprint("failed ", i))
		c.advance(100 * time.Millisecond)
	}
	if n := len(rec.take()); n != 5000 {
		t.Fatalf("%d lines for 5000 distinct keys", n)
	}
	l.mu.Lock()
	n := len(l.runs)
	l.mu.Unlock()
	if n > maxRuns {
		t.Fatalf("%d runs remembered", n)
	}
}

// TestOutcome: a failed pass warns, a failure while stopping is silent, the
// next success says recovered.
func TestOutcome(t *testing.T) {
	l, rec, _ := newTest()
	ctx, cancel := context.WithCancel(context.Background())
	l.Outcome(ctx, "firing turn timers", nil)
	if lines := rec.take(); len(lines) != 0 {
		t.Fatalf("a success with no failure before logged %d lines", len(lines))
	}
	l.Outcome(ctx, "firing turn timers", errors.New("redis down"))
	lines := rec.take()
	if len(lines) != 1 || lines[0].Level != slog.LevelWarn || attrs(lines[0])["err"] == nil {
		t.Fatalf("failed pass: %v", lines)
	}
	l.Outcome(ctx, "firing turn timers", nil)
	if lines := rec.take(); len(lines) != 1 || lines[0].Message != "firing turn timers: recovered" {
		t.Fatalf("success after a failure: %v", lines)
	}
	cancel()
	l.Outcome(ctx, "firing turn timers", context.Canceled)
	if lines := rec.take(); len(lines) != 0 {
		t.Fatalf("a pass cut short by stopping logged %v", lines)
	}
}
