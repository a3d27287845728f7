package gateway

import (
	"bytes"
	"net"
	"strings"
	"testing"
	"time"
)

// countConn records each write and write deadline.
type countConn struct {
	net.Conn
	writes    [][]byte
	deadlines []time.Time
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
