package botclient

import (
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
}

func newStopwatch() *stopwatch {
	return &stopwatch{sent: map[string]time.Time{}, seen: map[string]int{}, untimed: map[string]bool{}}
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
	defer w.mu.Unlock()
	w.seen[key]++
	if t0, ok := w.sent[key]; ok && w.seen[key] == 4 && !w.untimed[key] {
		w.moves = append(w.moves, now.Sub(t0))
	}
}

// untime keeps the move out of the latencies: a client got it in a
// catch-up, or its player sent it again after a reconnect.
func (w *stopwatch) untime(key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.untimed[key] = true
}

// latencies is a copy of the moves timed so far.
func (w *stopwatch) latencies() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.moves...)
}
