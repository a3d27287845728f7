// Package lifecycle runs a component's background goroutines from its
// Start to its Stop: one context they all watch, cancelled by Stop, which
// then waits for them — at most until its own context ends. Components
// (the action consumer, the timer loop, the matchmaker, the configuration
// reader, …) embed a Group instead of each keeping a cancel func, a
// WaitGroup and the same select.
package lifecycle

import (
	"context"
	"sync"
	"time"
)

// Group is the goroutines of one component. The zero value is ready; a
// stopped Group can be started again.
type Group struct {
	mu     sync.Mutex
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Context is the context the group's goroutines run with, made on first
// use: work a component starts itself (a subscription) can watch it too.
func (g *Group) Context() context.Context {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ctx == nil {
		g.ctx, g.cancel = context.WithCancel(context.Background())
	}
	return g.ctx
}

// Go runs fn in a goroutine of the group, with the group's context.
func (g *Group) Go(fn func(ctx context.Context)) {
	ctx := g.Context()
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		fn(ctx)
	}()
}

// Stop cancels the group's context and waits for its goroutines, or until
// ctx ends (then it returns ctx.Err(); they still stop on their own).
// Stopping a group that never started does nothing.
func (g *Group) Stop(ctx context.Context) error {
	g.mu.Lock()
	cancel := g.cancel
	g.ctx, g.cancel = nil, nil
	g.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	done := make(chan struct{})
	go func() { g.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Every runs pass in a goroutine of the group after every interval, and at
// once whenever kick (nil for none) receives, until Stop: the periodic
// loops of the worker (journal, recovery checks, reclaiming, timers,
// matchmaking) with one shape. Passes never overlap; a pass that outlasts
// the interval delays the next tick instead of queueing ticks.
func (g *Group) Every(interval time.Duration, kick <-chan struct{}, pass func(ctx context.Context)) {
	g.Go(func(ctx context.Context) {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			case <-kick:
			}
			pass(ctx)
		}
	})
}
