package gateway

import "sync"

// mailbox is a socket's bounded queue of work for its writer (conn.push,
// writer.burst). A buffered channel of SendQueue slots keeps its whole
// buffer for the socket's life — 4 KiB at 256, the largest part of an idle
// socket — while a mailbox holds no buffer when empty: an idle socket costs
// a few words, a busy one a slice the size of its backlog.
type mailbox struct {
	ready chan struct{} // holds a token while items may be waiting

	mu    sync.Mutex
	items []any
	limit int
}

func newMailbox(limit int) *mailbox {
	return &mailbox{ready: make(chan struct{}, 1), limit: limit}
}

// put queues v; false when limit items wait already (the slow-client
// policy: the caller drops the socket).
func (m *mailbox) put(v any) bool {
	m.mu.Lock()
	if len(m.items) >= m.limit {
		m.mu.Unlock()
		return false
	}
	m.items = append(m.items, v)
	m.mu.Unlock()
	m.signal()
	return true
}

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
