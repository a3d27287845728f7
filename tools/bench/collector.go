package bench

import (
	"sync"
	"sync/atomic"
	"time"
)

// collector counts what the clients see. Until the window opens it only
// notes which tables have played (the run is warm when all have); in the
// window it counts cards delivered, frames read and latencies.
type collector struct {
	measuring atomic.Bool
	moves     atomic.Int64 // cards delivered in the window
	frames    atomic.Int64 // frames read in the window

	mu      sync.Mutex
	lats    []time.Duration
	playing map[string]bool // tables that played a card (until the window)
}

func newCollector() *collector { return &collector{playing: map[string]bool{}} }

// played: a table's card reached its player.
func (c *collector) played(table string) {
	if c.measuring.Load() {
		c.moves.Add(1)
		return
	}
	c.mu.Lock()
	if c.playing != nil {
		c.playing[table] = true
	}
	c.mu.Unlock()
}

// frame: a client read a frame.
func (c *collector) frame() {
	if c.measuring.Load() {
		c.frames.Add(1)
	}
}

// timed: a card's latency, write to the fourth read.
func (c *collector) timed(d time.Duration) {
	if c.measuring.Load() {
		c.mu.Lock()
		c.lats = append(c.lats, d)
		c.mu.Unlock()
	}
}

// tablesPlaying is how many tables have played a card so far.
func (c *collector) tablesPlaying() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.playing)
}

// open starts the window.
func (c *collector) open() {
	c.mu.Lock()
	c.playing = nil
	c.mu.Unlock()
	c.measuring.Store(true)
}

// close ends the window and returns its latencies, cards and frames.
func (c *collector) close() (lats []time.Duration, moves, frames int64) {
	c.measuring.Store(false)
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lats, c.moves.Load(), c.frames.Load()
}
