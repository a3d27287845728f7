package gateway

import (
	"sync"
	"sync/atomic"
	"time"
)

// mailbox is a socket's bounded queue of work for its writer (conn.push,
// writer.burst). A buffered channel of SendQueue slots keeps its whole
// buffer for the socket's life — 4 KiB at 256, the largest part of an idle
// socket — while a mailbox holds no buffer when empty: an idle socket costs
// a few words, a busy one a slice the size of its backlog.
type mailbox struct {
	ready chan struct{} // holds a token while items or wake reasons may be waiting
	why   atomic.Uint32 // wake reasons raised since the writer last looked (wake*)

	mu    sync.Mutex
	items []any
	limit int
}

func newMailbox(limit int) *mailbox {
	return &mailbox{ready: make(chan struct{}, 1), limit: limit}
}

// put queues v and, with wake, wakes the writer; false when limit items
// wait already (the slow-client policy: the caller drops the socket).
// Without wake v waits for the writer's next burst, in its turn: for an
// item nothing needs done before something else wakes the writer anyway
// (a command's pending answer, which its answer's message follows).
func (m *mailbox) put(v any, wake bool) bool {
	m.mu.Lock()
	if len(m.items) >= m.limit {
		m.mu.Unlock()
		return false
	}
	m.items = append(m.items, v)
	m.mu.Unlock()
	if wake {
		m.signal()
	}
	return true
}

// Wake reasons: what else than items the writer is woken for. Timers, the
// bye and the socket's end raise them on the mailbox, so the writer waits
// on its ready channel alone — one channel receive per burst, where a
// select over every timer and signal locked each of their channels twice
// per card (about a tenth of the server's CPU at 100 busy tables).
const (
	wakeStop    uint32 = 1 << iota // conn.close: say bye and end
	wakeDead                       // conn.kill: the socket is closed
	wakeHello                      // the hello timeout ran out
	wakePing                       // time to ping the client
	wakeRefresh                    // time to slide the session's expiry
	wakeExpire                     // a pending command's deadline came
	wakeRetry                      // time to catch up the tables left behind
)

// raise adds wake reason r and wakes the writer.
func (m *mailbox) raise(r uint32) {
	m.why.Or(r)
	m.signal()
}

// raiseAfter is a timer that raises wake reason r in d (Reset and Stop
// it as any timer): how every timer of a socket wakes its writer.
func (m *mailbox) raiseAfter(d time.Duration, r uint32) *time.Timer {
	return time.AfterFunc(d, func() { m.raise(r) })
}

// raised takes the wake reasons raised so far.
func (m *mailbox) raised() uint32 { return m.why.Swap(0) }

func (m *mailbox) signal() {
	select {
	case m.ready <- struct{}{}:
	default: // a token is there already
	}
}

// take moves up to max of the oldest items into dst[:0] and returns it;
// the token stays (is put back) when more are left.
func (m *mailbox) take(dst []any, max int) []any {
	m.mu.Lock()
	n := min(len(m.items), max)
	dst = append(dst[:0], m.items[:n]...)
	clear(m.items[:n])
	if n == len(m.items) {
		m.items = nil // an empty mailbox keeps no buffer
	} else {
		m.items = m.items[n:]
	}
	left := len(m.items) > 0
	m.mu.Unlock()
	if left {
		m.signal()
	}
	return dst
}
