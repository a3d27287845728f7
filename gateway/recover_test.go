package gateway

import (
	"testing"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hokm-project/hokm/gateway/protocol"
	"github.com/hokm-project/hokm/internal/metrics"
)

// TestPanickingFrameAnsweredInternalError: a frame whose handler panics is
// answered internal_error and counted; the same socket, another socket
// and the process go on.
func TestPanickingFrameAnsweredInternalError(t *testing.T) {
	e := setup(t, Options{})
	beforeFrame = func(r *protocol.Request) {
		if r.ID == "boom" {
			var m map[string]bool
			m[r.ID] = true // a nil map write: a bug reached by one frame
		}
	}
	t.Cleanup(func() { beforeFrame = nil })
	before := testutil.ToFloat64(metrics.Panics.WithLabelValues(panicFrame))
	c := dial(t, e.url, nil).startReading()
	c.hello("crashy")
	f := c.fails(protocol.Request{Type: protocol.TypePing, ID: "boom"}, protocol.CodeInternalError)
	if f.Message == "" {
		t.Fatalf("internal_error without a message: %s", f.raw)
	}
	if d := testutil.ToFloat64(metrics.Panics.WithLabelValues(panicFrame)) - before; d != 1 {
		t.Fatalf("hokm_panics_total{component=gateway} grew by %v, want 1", d)
	}
	c.ok(protocol.Request{Type: protocol.TypePing})
	c.ok(protocol.Request{Type: protocol.TypeCreateTable})
	other := dial(t, e.url, nil).startReading()
	other.hello("other")
	other.ok(protocol.Request{Type: protocol.TypePing})
}

// TestPanickingWriterClosesOnlyItsSocket: a panic in a socket's writer
// closes that socket with 1011 and is counted; other sockets and new
// connections are served.
func TestPanickingWriterClosesOnlyItsSocket(t *testing.T) {
	e := setup(t, Options{})
	before := testutil.ToFloat64(metrics.Panics.WithLabelValues(panicWriter))
	bystander := dial(t, e.url, nil).startReading()
	bystander.hello("bystander")
	c := dial(t, e.url, nil).startReading()
	d := c.hello("victim")
	e.srv.mu.Lock()
	victim := e.srv.users[d.User]
	e.srv.mu.Unlock()
	if victim == nil {
		t.Fatal("no socket for the user")
	}
	victim.push((*hubMsg)(nil)) // the writer dereferences it: a panic
	if code := c.closeCode(); code != websocket.CloseInternalServerErr {
		t.Fatalf("socket closed with %d, want 1011", code)
	}
	if d := testutil.ToFloat64(metrics.Panics.WithLabelValues(panicWriter)) - before; d != 1 {
		t.Fatalf("hokm_panics_total{component=gateway_writer} grew by %v, want 1", d)
	}
	bystander.ok(protocol.Request{Type: protocol.TypePing})
	again := dial(t, e.url, nil).startReading()
	again.hello("victim again")
	again.ok(protocol.Request{Type: protocol.TypePing})
}
