package gateway

import (
	"bytes"
	"net"
	"strings"
	"testing"
)

// countConn records each write.
type countConn struct {
	net.Conn
	writes [][]byte
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
