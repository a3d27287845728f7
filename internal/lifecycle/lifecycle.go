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
// stopped Group can be started again, even while goroutines of a Stop that
// gave up are still ending: each start is a run of its own.
type Group struct {
	mu  sync.Mutex
	run *run // nil: stopped
}

// run is one start of a group, to its Stop.
type run struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// current is the group's run, started if need be. Under mu.
func (g *Group) current() *run {
	if g.run == nil {
		r := &run{}
		r.ctx, r.cancel = context.WithCancel(context.Background())
		g.run = r
	}
	return g.run
}

// Context is the context the group's goroutines run with, made on first
// use: work a component starts itself (a subscription) can watch it too.
func (g *Group) Context() context.Context {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.current().ctx
}

// Go runs fn in a goroutine of the group, with the group's context.
func (g *Group) Go(fn func(ctx context.Context)) {
	g.mu.Lock()
	r := g.current()
	r.wg.Add(1) // under mu: never concurrent with the Wait of r's Stop
	g.mu.Unlock()
	go func() {
		defer r.wg.Done()
		fn(r.ctx)
	}()
}

// Stop cancels the group's context and waits for its goroutines, or until
// ctx ends (then it returns ctx.Err(); they still stop on their own).
// Stopping a group that never started does nothing.
func (g *Group) Stop(ctx context.Context) error {
	g.mu.Lock()
	r := g.run
	g.run = nil
	g.mu.Unlock()
	if r == nil {
		return nil
	}
	r.cancel()
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
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
	g.EveryOr(interval, kick, pass, pass)
}

// EveryOr is Every with a pass of its own, kicked, for a kick (the
// journal's: the urgent tables alone).
func (g *Group) EveryOr(interval time.Duration, kick <-chan struct{}, pass, kicked func(ctx context.Context)) {
	g.Go(func(ctx context.Context) {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				pass(ctx)
			case <-kick:
				kicked(ctx)
			}
		}
	})
}
