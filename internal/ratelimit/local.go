package ratelimit

import (
	"sync"
	"time"
)

// localLimiter is the in-process fallback of the Redis windows: the same
// fixed windows, in a map bounded to maxWindows keys. When it is full of
// running windows (a flood of distinct IPs or usernames during an outage)
// it refuses new keys: it fails closed rather than grow without bound.
type localLimiter struct {
	mu         sync.Mutex
	windows    map[string]*localWindow
	maxWindows int
	lastPrune  time.Time
}

type localWindow struct {
	n   int
	end time.Time
}

func newLocalLimiter(maxWindows int) *localLimiter {
	return &localLimiter{windows: map[string]*localWindow{}, maxWindows: maxWindows}
}

func (ll *localLimiter) hit(key string, l Limit, now time.Time) (bool, time.Duration) {
	ll.mu.Lock()
	defer ll.mu.Unlock()
	w := ll.windows[key]
	if w == nil && len(ll.windows) >= ll.maxWindows && !ll.prune(now) {
		return false, l.Window
	}
	if w == nil || !now.Before(w.end) {
		w = &localWindow{end: now.Add(l.Window)}
		ll.windows[key] = w
	}
	w.n++
	if w.n > l.Max {
		return false, w.end.Sub(now)
	}
	return true, 0
}

// prune drops ended windows, at most once a second (it walks the whole
// map); it reports whether there is room now.
func (ll *localLimiter) prune(now time.Time) bool {
	if now.Sub(ll.lastPrune) >= time.Second {
		ll.lastPrune = now
		for k, w := range ll.windows {
			if !now.Before(w.end) {
				delete(ll.windows, k)
			}
		}
	}
	return len(ll.windows) < ll.maxWindows
}

func (ll *localLimiter) undo(key string) {
	ll.mu.Lock()
	defer ll.mu.Unlock()
	if w := ll.windows[key]; w != nil && w.n > 0 {
		w.n--
	}
}

// over reports whether key's running window has reached l.Max.
func (ll *localLimiter) over(key string, l Limit, now time.Time) (bool, time.Duration) {
	ll.mu.Lock()
	defer ll.mu.Unlock()
	if w := ll.windows[key]; w != nil && now.Before(w.end) && w.n >= l.Max {
		return true, w.end.Sub(now)
	}
	return false, 0
}
