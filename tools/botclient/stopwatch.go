package botclient

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/hokm-project/hokm/game"
)

// stopwatch times each card from its write until all four clients saw it.
//
// Only moves that went the whole way on live sockets are timed: a card
// whose card_played reached a client in a reconnect's catch-up (the
// events a sync sends, or a snapshot or resync, which carry no
// card_played at all), or that its player sent again after a reconnect,
// is not. Such a move's delay is the reconnect's, which the report gives
// as reconnect_ms, and timing it would mix the two.
type stopwatch struct {
	mu      sync.Mutex
	sent    map[string]time.Time
	seen    map[string]int
	untimed map[string]bool
	moves   []time.Duration
	onTimed func(time.Duration) // Options.OnTimed
	// last is when the table's latest card reached its fourth client, gap
	// the longest time between two such moments: the longest a table went
	// without a card, timed or not (a stall behind a failover, say).
	last time.Time
	gap  time.Duration
}

func newStopwatch(onTimed func(time.Duration)) *stopwatch {
	return &stopwatch{sent: map[string]time.Time{}, seen: map[string]int{}, untimed: map[string]bool{}, onTimed: onTimed}
}

func moveKey(hand, seat int, c game.Card) string {
	return strconv.Itoa(hand) + "/" + strconv.Itoa(seat) + "/" + c.String()
}

// start is called just before a card is first written. It starts the
// count afresh: after a resync took moves back, the same card may be
// played again in the same hand.
func (w *stopwatch) start(key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.sent[key] = time.Now()
	w.seen[key] = 0
	delete(w.untimed, key)
}

// saw is called when a client receives the card's card_played live.
func (w *stopwatch) saw(key string) {
	now := time.Now()
	w.mu.Lock()
	w.seen[key]++
	var d time.Duration
	t0, ok := w.sent[key]
	timed := ok && w.seen[key] == 4 && !w.untimed[key]
	if w.seen[key] == 4 {
		if !w.last.IsZero() {
			w.gap = max(w.gap, now.Sub(w.last))
		}
		w.last = now
	}
	if timed {
		d = now.Sub(t0)
		w.moves = append(w.moves, d)
	}
	w.mu.Unlock()
	if timed && w.onTimed != nil {
		w.onTimed(d)
	}
}

// Pacer spaces a table's moves (Options.Pace); its four clients share it.
type Pacer struct {
	Every time.Duration
	mu    sync.Mutex
	slot  time.Time // of the last move
}

// Wait blocks until the table's next slot, Every after the last one, or
// now when that is more than a slot ago (the table is behind).
func (p *Pacer) Wait(ctx context.Context) error {
	if p.Every <= 0 {
		return nil
	}
	p.mu.Lock()
	now := time.Now()
	next := p.slot.Add(p.Every)
	if next.Before(now.Add(-p.Every)) {
		next = now
	}
	p.slot = next
	p.mu.Unlock()
	t := time.NewTimer(time.Until(next))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// untime keeps the move out of the latencies: a client got it in a
// catch-up, or its player sent it again after a reconnect.
func (w *stopwatch) untime(key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.untimed[key] = true
}

// longestGap is the longest time between two cards' arrivals at all four
// clients.
func (w *stopwatch) longestGap() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.gap
}

// latencies is a copy of the moves timed so far.
func (w *stopwatch) latencies() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.moves...)
}
