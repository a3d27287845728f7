package gateway

import (
	"bufio"
	"net"
	"net/http"
	"sync"
	"time"
)

// batchConn lets a socket's writer send a burst of frames — a move's
// events and the answer to its sender, a catch-up — in one write system
// call instead of one each. Between hold and release the frames gorilla
// writes are gathered; release writes them at once. Outside a burst (and
// for writes from other goroutines then, such as a close frame) a write
// goes straight through. The buffer comes from a pool and goes back after
// each burst: an idle socket keeps none.
type batchConn struct {
	net.Conn
	mu   sync.Mutex
	held bool
	buf  *[]byte
	// deadline is the write deadline gorilla set during the burst, set on
	// the socket once at its write rather than with every frame.
	deadline time.Time
	wd       lazyDeadline // the socket's write deadline (b.mu held)

	rmu sync.Mutex   // not b.mu: a write in progress holds that
	rd  lazyDeadline // the socket's read deadline
}

var batchBufs = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// batchMax is the most a burst gathers before it writes what it has.
const batchMax = 64 << 10

func (b *batchConn) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.held {
		return b.Conn.Write(p)
	}
	if b.buf == nil {
		b.buf = batchBufs.Get().(*[]byte)
	}
	*b.buf = append(*b.buf, p...)
	if len(*b.buf) >= batchMax {
		return len(p), b.flush()
	}
	return len(p), nil
}

func (b *batchConn) SetWriteDeadline(t time.Time) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.held {
		b.deadline = t
		return nil
	}
	return b.wd.set(t, b.Conn.SetWriteDeadline)
}

// SetReadDeadline: the reader sets one at every frame (gateway.conn.frame).
func (b *batchConn) SetReadDeadline(t time.Time) error {
	b.rmu.Lock()
	defer b.rmu.Unlock()
	return b.rd.set(t, b.Conn.SetReadDeadline)
}

// lazyDeadline is the deadline a socket has in one direction. Setting t
// is skipped while the one it has is at most an eighth of t's time from
// now earlier than t: a read or a write still gets at least 7/8 of its
// time, and a socket busy many times a second moves its deadline (a
// runtime timer's update, the costliest part of a burst after its write)
// about once every eighth of the timeout instead of at every frame. An
// earlier or a zero t is always set.
type lazyDeadline struct{ applied time.Time }

func (d *lazyDeadline) set(t time.Time, apply func(time.Time) error) error {
	if !t.IsZero() && !d.applied.IsZero() && !t.Before(d.applied) && t.Sub(d.applied) <= time.Until(t)/8 {
		return nil
	}
	if err := apply(t); err != nil {
		return err
	}
	d.applied = t
	return nil
}

// hold starts a burst.
func (b *batchConn) hold() {
	b.mu.Lock()
	b.held = true
	b.mu.Unlock()
}

// release ends a burst, writing what it gathered.
func (b *batchConn) release() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.held = false
	return b.flush()
}

func (b *batchConn) flush() error {
	deadline := b.deadline
	b.deadline = time.Time{}
	if b.buf == nil {
		return nil
	}
	if !deadline.IsZero() {
		if err := b.wd.set(deadline, b.Conn.SetWriteDeadline); err != nil {
			return err
		}
	}
	_, err := b.Conn.Write(*b.buf)
	if cap(*b.buf) <= batchMax {
		*b.buf = (*b.buf)[:0]
		batchBufs.Put(b.buf)
	}
	b.buf = nil
	return err
}

// batchHijack hands gorilla's Upgrader a batchConn for the socket.
type batchHijack struct {
	http.ResponseWriter
	conn *batchConn
}

func (h *batchHijack) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	h.conn = &batchConn{Conn: c}
	return h.conn, brw, nil
}
