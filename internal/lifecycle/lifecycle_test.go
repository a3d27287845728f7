package lifecycle_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hokm-project/hokm/internal/lifecycle"
)

func TestGroup(t *testing.T) {
	var g lifecycle.Group
	if err := g.Stop(context.Background()); err != nil {
		t.Fatalf("stopping a group never started: %v", err)
	}
	ended := make(chan int, 2)
	for i := range 2 {
		g.Go(func(ctx context.Context) { <-ctx.Done(); ended <- i })
	}
	if err := g.Stop(context.Background()); err != nil || len(ended) != 2 {
		t.Fatalf("Stop: %v, %d goroutines ended, want 2", err, len(ended))
	}

	// A goroutine that does not stop in time: Stop gives up with ctx's error.
	release := make(chan struct{})
	g.Go(func(context.Context) { <-release })
	short, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := g.Stop(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Stop of a stuck goroutine: %v", err)
	}

	// Started again after a Stop, with a fresh context, while the stuck
	// goroutine of the last run has still not ended: the new run's Stop
	// waits for its own goroutines only.
	ctx := g.Context()
	if ctx.Err() != nil {
		t.Fatal("a restarted group has a cancelled context")
	}
	g.Go(func(ctx context.Context) { <-ctx.Done() })
	bound, cancel2 := context.WithTimeout(context.Background(), 10*time.Second) // a hang's bound, not a timing
	defer cancel2()
	if err := g.Stop(bound); err != nil || ctx.Err() == nil {
		t.Fatalf("second Stop: %v, context %v", err, ctx.Err())
	}
	close(release)
}

// TestEvery: passes come on the interval and on a kick, one at a time, and
// none after Stop returns.
func TestEvery(t *testing.T) {
	var g lifecycle.Group
	kick := make(chan struct{}, 1)
	passes := make(chan struct{})
	var running, overlapped atomic.Int32
	g.Every(time.Hour, kick, func(ctx context.Context) {
		if running.Add(1) > 1 {
			overlapped.Add(1)
		}
		defer running.Add(-1)
		select {
		case passes <- struct{}{}:
		case <-ctx.Done():
		}
	})
	for i := range 3 { // an hour's interval: only the kicks run passes
		kick <- struct{}{}
		select {
		case <-passes:
		case <-time.After(5 * time.Second):
			t.Fatalf("kick %d ran no pass", i)
		}
	}
	if err := g.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case kick <- struct{}{}:
	default:
	}
	select {
	case <-passes:
		t.Fatal("a pass ran after Stop")
	default:
	}
	if overlapped.Load() != 0 {
		t.Fatal("passes overlapped")
	}

	var ticks lifecycle.Group
	ticked := make(chan struct{}, 1)
	ticks.Every(time.Millisecond, nil, func(context.Context) {
		select {
		case ticked <- struct{}{}:
		default:
		}
	})
	defer ticks.Stop(context.Background())
	select {
	case <-ticked:
	case <-time.After(5 * time.Second):
		t.Fatal("no pass on the interval")
	}
}
