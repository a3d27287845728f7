package botclient

import (
	"context"
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
	cards   map[cardKey]*timing // the cards on their way: one goes when its fourth client saw it
	moves   []time.Duration
	onTimed func(time.Duration) // Options.OnTimed
	// last is when the table's latest card reached its fourth client, gap
	// the longest time between two such moments: the longest a table went
	// without a card, timed or not (a stall behind a failover, say).
	last time.Time
	gap  time.Duration
}

// cardKey names a card of a table's match: which hand, which seat played
// it (a value: no string built per frame, as the key was).
type cardKey struct {
	hand, seat int
	card       game.Card
}

// timing is a card's way to the four clients.
type timing struct {
	sent    time.Time // zero: not started by this table's clients
	seen    int
	untimed bool
}

func newStopwatch(onTimed func(time.Duration)) *stopwatch {
	return &stopwatch{cards: map[cardKey]*timing{}, onTimed: onTimed}
}

func moveKey(hand, seat int, c game.Card) cardKey { return cardKey{hand, seat, c} }

// card is key's timing, made when first met.
func (w *stopwatch) card(key cardKey) *timing {
	t := w.cards[key]
	if t == nil {
		t = &timing{}
		w.cards[key] = t
	}
	return t
}

// start is called just before a card is first written. It starts the
// count afresh: after a resync took moves back, the same card may be
// played again in the same hand.
func (w *stopwatch) start(key cardKey) {
	w.mu.Lock()
	defer w.mu.Unlock()
	*w.card(key) = timing{sent: time.Now()}
}

// saw is called when a client receives the card's card_played live. The
// fourth ends the card's timing: it is forgotten (a card a client got in a
// catch-up instead is kept until it is played again).
func (w *stopwatch) saw(key cardKey) {
	now := time.Now()
	w.mu.Lock()
	c := w.card(key)
	c.seen++
	var d time.Duration
	timed := !c.sent.IsZero() && c.seen == 4 && !c.untimed
	if c.seen == 4 {
		if !w.last.IsZero() {
			w.gap = max(w.gap, now.Sub(w.last))
		}
		w.last = now
		delete(w.cards, key)
	}
	if timed {
		d = now.Sub(c.sent)
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
func (w *stopwatch) untime(key cardKey) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.card(key).untimed = true
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
