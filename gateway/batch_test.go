package gateway

import (
	"bytes"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

// countConn records each write and write deadline.
type countConn struct {
	net.Conn
	writes    [][]byte
	deadlines []time.Time
	reads     []time.Time // read deadlines
}

func (c *countConn) SetReadDeadline(t time.Time) error {
	c.reads = append(c.reads, t)
	return nil
}

func (c *countConn) SetWriteDeadline(t time.Time) error {
	c.deadlines = append(c.deadlines, t)
	return nil
}

func (c *countConn) Write(p []byte) (int, error) {
	c.writes = append(c.writes, bytes.Clone(p))
	return len(p), nil
}

// TestBatchConnGathersABurst: between hold and release the writes are one
// write, in order; outside a burst each goes straight through; a burst
// past batchMax writes what it has.
func TestBatchConnGathersABurst(t *testing.T) {
	cc := &countConn{}
	b := &batchConn{Conn: cc}
	b.Write([]byte("a"))
	if len(cc.writes) != 1 {
		t.Fatalf("a write outside a burst was held: %d writes", len(cc.writes))
	}
	b.hold()
	for _, s := range []string{"b", "c", "d"} {
		b.Write([]byte(s))
	}
	if len(cc.writes) != 1 {
		t.Fatalf("a burst wrote before its release: %q", cc.writes)
	}
	if err := b.release(); err != nil {
		t.Fatal(err)
	}
	if len(cc.writes) != 2 || string(cc.writes[1]) != "bcd" {
		t.Fatalf("the burst's writes: %q, want one \"bcd\"", cc.writes[1:])
	}
	if b.release(); len(cc.writes) != 2 {
		t.Fatal("an empty release wrote")
	}
	b.hold()
	big := []byte(strings.Repeat("x", batchMax))
	b.Write(big)
	if len(cc.writes) != 3 || len(cc.writes[2]) != batchMax {
		t.Fatalf("a burst of %d bytes was held", batchMax)
	}
	b.Write([]byte("y"))
	b.release()
	if len(cc.writes) != 4 || string(cc.writes[3]) != "y" {
		t.Fatalf("after a full burst: %q", cc.writes[3:])
	}
}

// TestBatchConnSetsTheDeadlineOncePerBurst: a burst's frames each set a
// write deadline (gorilla does, per frame); the socket gets the last of
// them once, just before the burst's write. Outside a burst a deadline goes
// straight through, and an empty burst sets none.
func TestBatchConnSetsTheDeadlineOncePerBurst(t *testing.T) {
	cc := &countConn{}
	b := &batchConn{Conn: cc}
	t0 := time.Unix(1000, 0)
	b.SetWriteDeadline(t0)
	if len(cc.deadlines) != 1 || !cc.deadlines[0].Equal(t0) {
		t.Fatalf("a deadline outside a burst: %v", cc.deadlines)
	}
	b.hold()
	for i := range 3 {
		b.SetWriteDeadline(t0.Add(time.Duration(i+1) * time.Second))
		b.Write([]byte("f"))
	}
	if len(cc.deadlines) != 1 {
		t.Fatalf("a burst set its deadlines before its write: %v", cc.deadlines)
	}
	b.release()
	if len(cc.deadlines) != 2 || !cc.deadlines[1].Equal(t0.Add(3*time.Second)) || len(cc.writes) != 1 {
		t.Fatalf("after the burst: deadlines %v, %d writes; want one more deadline, the last, and one write", cc.deadlines, len(cc.writes))
	}
	b.hold()
	b.SetWriteDeadline(t0.Add(time.Hour))
	b.release()
	if len(cc.deadlines) != 2 {
		t.Fatalf("a burst that wrote nothing set a deadline: %v", cc.deadlines)
	}
}

// TestBatchConnMovesTheDeadlineWhenItGains: a socket written to often
// keeps its write deadline while the one asked for is at most an eighth of
// the time it gives later; a later one past that, an earlier one and no
// deadline at all are set. Read deadlines alike, apart from the writes'.
func TestBatchConnMovesTheDeadlineWhenItGains(t *testing.T) {
	cc := &countConn{}
	b := &batchConn{Conn: cc}
	burst := func(d time.Time) {
		b.hold()
		b.SetWriteDeadline(d)
		b.Write([]byte("f"))
		if err := b.release(); err != nil {
			t.Fatal(err)
		}
	}
	first := time.Now().Add(time.Minute)
	burst(first)
	burst(first.Add(time.Second)) // a second later: within an eighth of a minute
	b.SetWriteDeadline(first.Add(2 * time.Second))
	if len(cc.deadlines) != 1 || !cc.deadlines[0].Equal(first) || len(cc.writes) != 2 {
		t.Fatalf("deadlines %v, %d writes; want only the first deadline and two writes", cc.deadlines, len(cc.writes))
	}
	later := first.Add(10 * time.Second) // more than an eighth of the time it gives
	burst(later)
	earlier := time.Now().Add(time.Second)
	burst(earlier)
	b.SetWriteDeadline(time.Time{})
	want := []time.Time{first, later, earlier, {}}
	if len(cc.deadlines) != len(want) {
		t.Fatalf("deadlines %v, want %v", cc.deadlines, want)
	}
	for i, d := range want {
		if !cc.deadlines[i].Equal(d) {
			t.Fatalf("deadline %d is %v, want %v", i, cc.deadlines[i], d)
		}
	}
	for _, d := range []time.Time{first, first.Add(time.Second), later, earlier} {
		b.SetReadDeadline(d)
	}
	if want := []time.Time{first, later, earlier}; !slices.EqualFunc(cc.reads, want, time.Time.Equal) {
		t.Fatalf("read deadlines %v, want %v", cc.reads, want)
	}
}
