package account

import (
	"context"
	"slices"
	"sync"
	"time"
)

// gate admits at most one holder per key at a time: a client (an IP, an
// account) has at most one password hash in flight in this process, so
// that the hashing slots (Hasher) serve distinct clients and one client's
// burst queues behind itself, not in front of everyone else.
type gate struct {
	mu    sync.Mutex
	slots map[string]*gateSlot
}

type gateSlot struct {
	ch   chan struct{} // capacity 1: full while held
	refs int           // holders and waiters
}

func newGate() *gate { return &gate{slots: map[string]*gateSlot{}} }

// enter takes every key (empty ones are skipped), waiting at most wait in
// all. It returns a release func, or the key that stayed busy ("" with a
// non-nil error when ctx ended).
func (g *gate) enter(ctx context.Context, wait time.Duration, keys ...string) (release func(), busy string, err error) {
	keys = slices.Clone(keys)
	slices.Sort(keys) // one order for everyone: no two requests hold each other's keys
	keys = slices.Compact(keys)
	if len(keys) > 0 && keys[0] == "" {
		keys = keys[1:]
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	var held []string
	release = func() {
		for _, k := range held {
			g.leave(k, true)
		}
	}
	for _, k := range keys {
		s := g.join(k)
		select {
		case s.ch <- struct{}{}:
			held = append(held, k)
			continue
		case <-t.C:
			busy = k
		case <-ctx.Done():
			err = ctx.Err()
		}
		g.leave(k, false)
		release()
		return nil, busy, err
	}
	return release, "", nil
}

func (g *gate) join(k string) *gateSlot {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.slots[k]
	if s == nil {
		s = &gateSlot{ch: make(chan struct{}, 1)}
		g.slots[k] = s
	}
	s.refs++
	return s
}

func (g *gate) leave(k string, held bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.slots[k]
	if held {
		<-s.ch
	}
	if s.refs--; s.refs == 0 {
		delete(g.slots, k)
	}
}
