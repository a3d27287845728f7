package lifecycle_test

import (
	"context"
	"errors"
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
	close(release)

	// Started again after a Stop, with a fresh context.
	ctx := g.Context()
	if ctx.Err() != nil {
		t.Fatal("a restarted group has a cancelled context")
	}
	g.Go(func(ctx context.Context) { <-ctx.Done() })
	if err := g.Stop(context.Background()); err != nil || ctx.Err() == nil {
		t.Fatalf("second Stop: %v, context %v", err, ctx.Err())
	}
}
